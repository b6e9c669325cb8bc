/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process-wide statistics: named atomic counters (stats.fetch, Prometheus). The core's
 * counters are a fixed enum; every thread increments them with relaxed atomics. */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

enum kr_stat {
    KR_STAT_RCV_REQUESTS,
    KR_STAT_RCV_REQ_INVITE,
    KR_STAT_RCV_REQ_ACK,
    KR_STAT_RCV_REQ_CANCEL,
    KR_STAT_RCV_REQ_BYE,
    KR_STAT_RCV_REQ_REGISTER,
    KR_STAT_RCV_REQ_OPTIONS,
    KR_STAT_RCV_REQ_INFO,
    KR_STAT_RCV_REQ_UPDATE,
    KR_STAT_RCV_REQ_PRACK,
    KR_STAT_RCV_REQ_SUBSCRIBE,
    KR_STAT_RCV_REQ_NOTIFY,
    KR_STAT_RCV_REQ_PUBLISH,
    KR_STAT_RCV_REQ_MESSAGE,
    KR_STAT_RCV_REQ_REFER,
    KR_STAT_RCV_REQ_OTHER,
    KR_STAT_RCV_REPLIES,
    KR_STAT_RCV_REPL_1XX,
    KR_STAT_RCV_REPL_2XX,
    KR_STAT_RCV_REPL_3XX,
    KR_STAT_RCV_REPL_4XX,
    KR_STAT_RCV_REPL_5XX,
    KR_STAT_RCV_REPL_6XX,
    KR_STAT_SENT_REPLIES,  /* stateless replies sent by korero */
    KR_STAT_FWD_REQUESTS,  /* requests forwarded */
    KR_STAT_FWD_REPLIES,   /* replies relayed */
    KR_STAT_DROP_REQUESTS, /* requests dropped by the script or unroutable */
    KR_STAT_DROP_REPLIES,
    KR_STAT_ERR_REQUESTS,  /* malformed requests (answered 400 or dropped) */
    KR_STAT_ERR_REPLIES,   /* malformed replies (dropped) */
    KR_STAT_PARSE_ERRORS,  /* unparseable bytes dropped (no reply possible) */
    KR_STAT_UDP_RCV_DROPS, /* datagrams the kernel dropped on our sockets (SO_RXQ_OVFL) */
    KR_STAT_SEND_ERRORS,
    KR_STAT_TCP_CONNECTIONS, /* open now (gauge) */
    KR_STAT_TCP_ACCEPTED,
    KR_STAT_TCP_CONNECTED,  /* outgoing connections opened */
    KR_STAT_TCP_REFUSED,    /* accepts refused at tcp_max_connections */
    KR_STAT_TCP_TIMEOUTS,   /* closed by tcp_connection_lifetime */
    KR_STAT_TCP_SENDQ_FULL, /* sends refused: queue over its limit */
    KR_STAT__COUNT,
};

extern atomic_ullong kr_stats[KR_STAT__COUNT];

static inline void kr_stat_inc(enum kr_stat s)
{
    atomic_fetch_add_explicit(&kr_stats[s], 1, memory_order_relaxed);
}
static inline void kr_stat_add(enum kr_stat s, unsigned long long n)
{
    atomic_fetch_add_explicit(&kr_stats[s], n, memory_order_relaxed);
}
static inline void kr_stat_dec(enum kr_stat s)
{
    atomic_fetch_sub_explicit(&kr_stats[s], 1, memory_order_relaxed);
}
static inline unsigned long long kr_stat_get(enum kr_stat s)
{
    return atomic_load_explicit(&kr_stats[s], memory_order_relaxed);
}

/* "group.name" as stats.fetch shows it, e.g. "core.rcv_requests_invite". */
const char *kr_stat_name(enum kr_stat s);
/* Whether the counter is a gauge (current value) rather than a running total. */
int kr_stat_is_gauge(enum kr_stat s);
