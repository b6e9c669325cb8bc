/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transport layer's face to the rest of korero: listen sockets (configured once,
 * immutable while running), what a received message carries about where it came from,
 * and sending. Sending is allowed from any worker thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "net/addr.h"
#include "sip/uri.h"

/* One `listen=` entry. Built from the config before start; never changed afterwards. */
struct kr_listen {
    unsigned id;                /* index in the listen table */
    enum kr_uri_proto proto;    /* UDP or TCP (TLS, WS later) */
    struct kr_sockaddr addr;    /* bound address; 0.0.0.0 / :: for wildcard */
    char name[KR_ADDR_STRLEN + 8];   /* "udp:127.0.0.1:5060" ($Ri/$Rp, force_send_socket) */
    char ip[KR_ADDR_STRLEN];         /* "127.0.0.1" / "::1" */
    uint16_t port;
    /* What goes into Via / Record-Route: the advertised address when set, else the bound
     * one ("[::1]" for IPv6). */
    char adv_host[256];
    uint16_t adv_port;
    bool is_wildcard;
};

/* Where a message came from; valid while the message is handled. */
struct kr_rcv {
    enum kr_uri_proto proto;
    struct kr_sockaddr src;        /* peer */
    struct kr_sockaddr dst;        /* local address it arrived at */
    const struct kr_listen *sock;  /* the listen entry it arrived on */
    uint64_t conn_id;              /* stream connection id ($conid), 0 for UDP */
};

enum kr_send_flags {
    KR_SEND_NO_CONNECT = 1 << 0, /* stream: only an existing connection */
    KR_SEND_CLOSE = 1 << 1,      /* stream: close after this message */
};

struct kr_send_dst {
    enum kr_uri_proto proto;
    struct kr_sockaddr to;
    const struct kr_listen *from; /* NULL: pick one matching proto and address family */
    uint64_t conn_id;             /* stream: this connection if still open, else by address */
    unsigned flags;               /* kr_send_flags */
};

struct kr_worker;

/* Sends one message. UDP: one datagram. Stream: appended to the connection's send queue
 * (written at once when the queue is empty); a new connection is opened when none exists
 * and KR_SEND_NO_CONNECT is not set. Returns 0, KR_ENOTFOUND (no socket / no connection),
 * KR_ELIMIT (queue over its limit), KR_EIO. Any worker thread. */
int kr_net_send(struct kr_worker *w, const struct kr_send_dst *dst, const char *data, size_t len);

/* The listen entry to send from for proto and the destination's family, or NULL. */
const struct kr_listen *kr_net_pick_listen(enum kr_uri_proto proto, const struct kr_sockaddr *to);

/* Called by the transport for each framed message (UDP datagram or a message cut from a
 * stream) on the worker that read it. data is valid only during the call. */
typedef void kr_net_recv_fn(struct kr_worker *w, const struct kr_rcv *rcv, const char *data,
                            size_t len);
