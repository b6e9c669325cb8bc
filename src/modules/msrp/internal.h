/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the msrp module's files (msrp.c: the module, script functions, PVs, RPC;
 * relay.c: forwarding, re-chunking, transactions, REPORTs, the one-call relay). Nothing
 * outside src/modules/msrp includes it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/ctx.h"
#include "core/buf.h"
#include "core/timer.h"
#include "modules/auth/auth.h"
#include "modules/msrp/store.h"
#include "msrp/frame.h"
#include "msrp/uri.h"
#include "net/net.h"

enum {
    MSRP_PATH_MAX = 32,     /* URIs read from a To-Path / From-Path */
    MSRP_DEF_PORT = 2855,   /* IANA */
    MSRP_DEF_WHOLE = 131072, /* frames up to this are held whole */
    MSRP_MAX_HEAD = 16384,  /* longest header part */
    MSRP_SWEEP_MS = 250,    /* transaction timeout resolution */
};

/* The module's state for one config. */
struct msrp_mod {
    /* parameters */
    int64_t cmap_size;
    int64_t timer_interval;
    int64_t auth_min_expires;
    int64_t auth_max_expires;
    struct kr_str use_path_addr; /* host:port, config memory; empty: the socket's */
    bool sipmsg;
    int64_t tx_timeout;     /* s */
    int64_t max_frame_size; /* bytes of one chunk's body */
    int64_t whole_max;      /* frames held whole below this */
    /* state */
    struct kr_auth *auth;
    struct kr_msrp_sessions *sess;
    struct kr_msrp_txs *txs;
    struct kr_timer sweep; /* on the first worker */
    uint64_t last_expire_ms;
};

/* The frame being handled and what the script decided about it. Lives on the worker's
 * stack for one frame; slices point into the received bytes or the arena. */
struct kr_msrp_rx {
    struct msrp_mod *mod;
    struct kr_worker *w;
    const struct kr_rcv *rcv;
    const char *data; /* the whole frame, or its head when streamed */
    size_t len;
    bool streamed; /* the body follows through a sink */
    struct kr_msrp_frame f;
    struct kr_str body; /* whole frames */
    char flag;          /* '$' '+' '#' (whole frames) */
    /* paths, parsed on first use */
    bool paths_parsed;
    int paths_rc;
    struct kr_msrp_uri *to; /* MSRP_PATH_MAX each, arena */
    size_t nto;
    struct kr_msrp_uri *from;
    size_t nfrom;
    /* set by msrp_set_dst() / msrp_cmap_lookup() */
    bool has_dst;
    struct kr_sockaddr dst;
    uint64_t dst_conn;
    const struct kr_listen *dst_sock;
    unsigned relay_flags; /* 1: no new connection, 2: close after sending */
    unsigned reply_flags;
    bool done; /* relayed, answered or given a sink */
};

/* Parses To-Path and From-Path once; 0 or negative. */
int msrp_rx_paths(struct kr_msrp_rx *rx);

/* Sends bytes on the connection the frame came from (flags: reply flags). 0 or negative. */
int msrp_send_back(struct kr_msrp_rx *rx, const char *p, size_t n);
/* Answers a request: To-Path = the previous hop (SEND) or the whole From-Path (others),
 * From-Path = the first To-Path URI, extra headers (each ending CRLF). Nothing for
 * responses and REPORT. 1 sent, 0 nothing to do, negative on failure. */
int msrp_answer(struct kr_msrp_rx *rx, unsigned code, struct kr_str comment, struct kr_str extra);

/* relay.c */

/* The address of an msrp URI's host and port (2855 when absent); KR_EINVAL for msrps
 * (TLS next hops wait for korero's TLS), KR_ENOTFOUND when the name does not resolve
 * (names are resolved by getaddrinfo: blocking). */
int msrp_uri_addr(const struct kr_msrp_uri *u, struct kr_sockaddr *out);

/* Kamailio's msrp_relay(): pops the first To-Path URI onto From-Path and sends to the
 * destination set by the script or the next To-Path URI; the tid is kept. 1 or negative. */
int msrp_relay_kamailio(struct kr_msrp_rx *rx);
/* msrp_forward(): the frame with its paths replaced (empty: unchanged), to the set
 * destination or the first URI of the (new) To-Path. 1 or negative. */
int msrp_forward_paths(struct kr_msrp_rx *rx, struct kr_str tpath, struct kr_str fpath);
/* The one-call RFC 4976 relay. 1 handled, negative on failure. */
int msrp_auto(struct kr_ctx *ctx, struct kr_msrp_rx *rx, struct kr_str realm,
              const struct kr_arg *password);
/* Kamailio's msrp_cmap_save(): binds a session to the AUTH's connection and answers 200
 * with Use-Path and Expires (423 out of bounds). 1 or negative. */
int msrp_cmap_save_do(struct kr_msrp_rx *rx, const char *user);
/* A response whose tid is one of the relay's transactions: handled here (absorbed,
 * REPORT, or sent back upstream). True when it was one. */
bool msrp_tx_response(struct kr_msrp_rx *rx);
/* Streamed frames nobody relayed: the body is read and dropped. */
void msrp_sink_discard(struct kr_msrp_rx *rx);
/* Timeouts: 408 for expired transactions; expired sessions. Worker 0's timer. */
void msrp_sweep(struct msrp_mod *m, uint64_t now_ms);
/* The Use-Path authority (host:port) for a frame received on rcv, into out. */
void msrp_relay_authority(const struct msrp_mod *m, const struct kr_rcv *rcv, struct kr_buf *out);
/* Sends a REPORT upstream for transaction tx with status code/text. */
void msrp_report(struct msrp_mod *m, const struct kr_msrp_tx *tx, unsigned code, const char *text);
