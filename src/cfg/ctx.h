/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The context a route runs in: the message, where it came from, the worker's arena and
 * the state that script functions change (new R-URI, destination, flags, header edits,
 * AVPs). One per message, on the worker's stack; everything it points to lives in the
 * worker's arena until the route returns, except `vars` (the worker's $var store,
 * which persists across messages as Kamailio's does). One thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cfg/module.h"
#include "core/arena.h"
#include "core/str.h"
#include "net/net.h"
#include "sip/build.h"
#include "sip/msg.h"

struct kr_worker;
struct kr_cfg;
struct kr_vars;
struct kr_pv_cache;
struct kr_msrp_rx;

/* One AVP ($avp(name)): a stack per name, newest first, as Kamailio's. Arena memory. */
struct kr_avp {
    struct kr_avp *next;
    struct kr_str name;
    struct kr_value val;
};

/* A branch added by append_branch(): URI and optional destination. */
struct kr_branch {
    struct kr_branch *next;
    struct kr_str uri;
    struct kr_str dst_uri;
};

enum kr_reply_flags {
    KR_REPLY_CLOSE = 1 << 0,      /* set_reply_close(): close the stream after the reply */
    KR_REPLY_NO_CONNECT = 1 << 1, /* set_reply_no_connect(): never open a connection */
};

struct kr_ctx {
    struct kr_worker *worker; /* NULL in unit tests */
    struct kr_arena *arena;   /* per-message memory */
    const struct kr_cfg *cfg; /* the config tree this message runs on */
    struct kr_sip_msg *msg;   /* NULL for non-SIP events */
    /* The MSRP frame handled by event_route[msrp:frame-in] (the msrp module's), else NULL.
     * msg is then a SIP view of the frame's headers (Kamailio's sipmsg) or NULL. */
    struct kr_msrp_rx *msrp;
    /* Builds msg on first use (the MSRP frame's SIP view), or NULL: see kr_ctx_sip(). */
    struct kr_sip_msg *(*lazy_msg)(struct kr_ctx *ctx);
    const struct kr_rcv *rcv; /* where the message came from; NULL for timer events */
    enum kr_route_type route_type;

    struct kr_sip_edits edits; /* header/body changes applied when the message is sent */

    /* Request state the script changes. */
    struct kr_str new_ruri;             /* $ru after a write; .ptr NULL: unchanged */
    struct kr_str dst_uri;              /* $du; .ptr NULL: none */
    const struct kr_listen *force_sock; /* force_send_socket() */
    struct kr_str adv_addr;             /* set_advertised_address() */
    struct kr_str adv_port;             /* set_advertised_port() */
    bool force_rport;                   /* force_rport(): reply to the source port */
    uint64_t flags;                     /* message flags 0..63: setflag/resetflag/isflag */
    unsigned reply_flags;               /* kr_reply_flags */
    struct kr_avp *avps;                /* $avp: newest first */
    struct kr_branch *branches;         /* append_branch() */
    struct kr_vars *vars;               /* this worker's $var store */

    /* Outcome */
    bool replied;         /* a stateless reply was sent */
    bool forwarded;       /* forward() sent it */
    bool dropped;         /* drop: in reply routes, do not relay the reply */
    int64_t retcode;      /* $rc / $retcode: last function or route result */
    struct kr_str to_tag; /* local To-tag for replies to this request (lazily made) */

    /* Headers and URIs the pseudo-variables parsed for this message (arena); NULL until
     * the first use. Owned by cfg/pv_core.c. */
    struct kr_pv_cache *pv_cache;
};

/* Prepares ctx for one message: zeroes it and sets the given fields; the edit list uses
 * the arena. msg, rcv and vars may be NULL (timer events, tests). */
void kr_ctx_init(struct kr_ctx *ctx, const struct kr_cfg *cfg, struct kr_arena *a,
                 struct kr_sip_msg *msg, const struct kr_rcv *rcv, struct kr_vars *vars);

/* The SIP message the context runs on: msg, or the one lazy_msg builds on first use
 * (an MSRP frame's headers seen as SIP, only when a pseudo-variable or function asks). */
static inline struct kr_sip_msg *kr_ctx_sip(struct kr_ctx *ctx)
{
    if (ctx->msg == NULL && ctx->lazy_msg != NULL) {
        ctx->msg = ctx->lazy_msg(ctx);
        ctx->lazy_msg = NULL;
    }
    return ctx->msg;
}

/* The R-URI as the script sees it now ($ru): new_ruri when set, else the received one. */
static inline struct kr_str kr_ctx_ruri(const struct kr_ctx *ctx)
{
    if (ctx->new_ruri.ptr) {
        return ctx->new_ruri;
    }
    return ctx->msg ? ctx->msg->ruri : KR_STR_NULL;
}
