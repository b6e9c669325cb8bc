/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The msrp module: parameters, the receive path of MSRP frames (parse, 400 for malformed
 * requests, event_route[msrp:frame-in]), Kamailio's script functions, $msrp(key), the
 * {msrpuri.*} transformation and the RPC commands. The relaying itself is in relay.c. */
#define KR_LOG_UNIT "msrp"
#include "modules/msrp/msrp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cfg/pv.h"
#include "cfg/trans.h"
#include "core/log.h"
#include "core/rpc.h"
#include "core/stats.h"
#include "core/worker.h"
#include "modules/msrp/internal.h"
#include "sip/msg.h"

/* ---- helpers on the frame being handled ---- */

int msrp_rx_paths(struct kr_msrp_rx *rx)
{
    struct kr_err err = { 0 };
    if (rx->paths_parsed) {
        return rx->paths_rc;
    }
    rx->paths_parsed = true;
    const struct kr_msrp_hdr *tp = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_TO_PATH, 0);
    const struct kr_msrp_hdr *fp = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_FROM_PATH, 0);
    rx->paths_rc = KR_EPARSE;
    rx->to = kr_arena_alloc(&rx->w->arena, 2 * MSRP_PATH_MAX * sizeof(*rx->to));
    if (!rx->to) {
        return rx->paths_rc = KR_ENOMEM;
    }
    rx->from = rx->to + MSRP_PATH_MAX;
    if (tp && fp && kr_msrp_parse_path(tp->value, rx->to, MSRP_PATH_MAX, &rx->nto, &err) == 0 &&
        kr_msrp_parse_path(fp->value, rx->from, MSRP_PATH_MAX, &rx->nfrom, &err) == 0) {
        rx->paths_rc = 0;
    }
    return rx->paths_rc;
}

int msrp_send_back(struct kr_msrp_rx *rx, const char *p, size_t n)
{
    struct kr_send_dst d = {
        .proto = rx->rcv->proto,
        .to = rx->rcv->src,
        .from = rx->rcv->sock,
        .conn_id = rx->rcv->conn_id,
        .flags = KR_SEND_NO_CONNECT | ((rx->reply_flags & 2) ? KR_SEND_CLOSE : 0),
    };
    return kr_net_send(rx->w, &d, p, n);
}

int msrp_answer(struct kr_msrp_rx *rx, unsigned code, struct kr_str comment, struct kr_str extra)
{
    const struct kr_msrp_frame *f = &rx->f;
    if (!f->is_request || f->method_id == KR_MSRP_METHOD_REPORT || f->tid.len == 0) {
        return 0;
    }
    struct kr_str to_path = KR_STR_NULL;
    struct kr_str from_path = KR_STR_NULL;
    const struct kr_msrp_hdr *tp = kr_msrp_frame_hdr(f, KR_MSRP_HDR_TO_PATH, 0);
    const struct kr_msrp_hdr *fp = kr_msrp_frame_hdr(f, KR_MSRP_HDR_FROM_PATH, 0);
    if (msrp_rx_paths(rx) == 0) {
        /* RFC 4975 §7.2: for SEND the To-Path is the previous hop only. */
        to_path = f->method_id == KR_MSRP_METHOD_SEND ? rx->from[0].whole : fp->value;
        from_path = rx->to[0].whole;
    } else {
        /* a broken path: echo what can be read, so that the sender can match it */
        struct kr_str rest;
        struct kr_msrp_uri u;
        struct kr_err err = { 0 };
        if (fp) {
            rest = fp->value;
            to_path = kr_msrp_path_next(&rest, &u, &err) == 1 ? u.whole : fp->value;
        }
        if (tp) {
            rest = tp->value;
            from_path = kr_msrp_path_next(&rest, &u, &err) == 1 ? u.whole : tp->value;
        }
    }
    struct kr_buf hdrs;
    kr_buf_init_arena(&hdrs, &rx->w->arena, 128, 1 << 16);
    const struct kr_msrp_hdr *mid = kr_msrp_frame_hdr(f, KR_MSRP_HDR_MESSAGE_ID, 0);
    if (mid) {
        kr_buf_append_c(&hdrs, "Message-ID: ");
        kr_buf_append_str(&hdrs, mid->value);
        kr_buf_append(&hdrs, "\r\n", 2);
    }
    kr_buf_append_str(&hdrs, extra);
    struct kr_buf out;
    kr_buf_init_arena(&out, &rx->w->arena, 256 + hdrs.len, 1 << 20);
    int rc = kr_msrp_build_response(f, code, comment, to_path, from_path, kr_buf_str(&hdrs), &out);
    if (rc < 0) {
        return rc;
    }
    rc = msrp_send_back(rx, out.ptr, out.len);
    if (rc < 0) {
        KR_DBG("cannot send a %u response: %s", code, kr_strerror(rc));
        return rc;
    }
    if (code >= 400) {
        kr_stat_inc(KR_STAT_MSRP_ERRORS);
    }
    rx->done = true;
    return 1;
}

static struct kr_msrp_rx *rx_of(struct kr_ctx *ctx)
{
    return ctx->msrp;
}

/* ---- module parameters and state ---- */

static const struct kr_param msrp_params[] = {
    { .name = "cmap_size", .type = KR_PARAM_INT },
    { .name = "timer_interval", .type = KR_PARAM_INT },
    { .name = "auth_min_expires", .type = KR_PARAM_INT },
    { .name = "auth_max_expires", .type = KR_PARAM_INT },
    { .name = "use_path_addr", .type = KR_PARAM_STR },
    { .name = "sipmsg", .type = KR_PARAM_INT },
    { .name = "event_callback", .type = KR_PARAM_STR }, /* KEMI: accepted, not used */
    { .name = "transaction_timeout", .type = KR_PARAM_INT },
    { .name = "max_frame_size", .type = KR_PARAM_INT },
    { .name = "whole_frame_size", .type = KR_PARAM_INT },
    { 0 },
};

static pthread_mutex_t rpc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct msrp_mod *rpc_state; /* guarded by rpc_lock */
static const struct kr_rpc_cmd msrp_rpc[];

static void mod_free(struct msrp_mod *m)
{
    if (!m) {
        return;
    }
    kr_msrp_sessions_free(m->sess);
    kr_msrp_txs_free(m->txs);
    kr_auth_free(m->auth);
    free(m);
}

static int mod_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct msrp_mod *m = calloc(1, sizeof(*m));
    if (!m) {
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    m->cmap_size = kr_modparam_int(cfg, "msrp", "cmap_size", 0);
    m->timer_interval = kr_modparam_int(cfg, "msrp", "timer_interval", 60);
    m->auth_min_expires = kr_modparam_int(cfg, "msrp", "auth_min_expires", 60);
    m->auth_max_expires = kr_modparam_int(cfg, "msrp", "auth_max_expires", 3600);
    m->use_path_addr = kr_modparam_str(cfg, "msrp", "use_path_addr", KR_STR_NULL);
    m->sipmsg = kr_modparam_int(cfg, "msrp", "sipmsg", 1) != 0;
    m->tx_timeout = kr_modparam_int(cfg, "msrp", "transaction_timeout", 30);
    m->max_frame_size = kr_modparam_int(cfg, "msrp", "max_frame_size", 256LL << 20);
    m->whole_max = kr_modparam_int(cfg, "msrp", "whole_frame_size", MSRP_DEF_WHOLE);
    const char *bad = NULL;
    if (m->cmap_size < 0 || m->cmap_size > 16) {
        bad = "modparam msrp cmap_size must be 0..16 (2^n slots)";
    } else if (m->timer_interval < 1) {
        bad = "modparam msrp timer_interval must be at least 1";
    } else if (m->auth_min_expires < 1 || m->auth_max_expires < m->auth_min_expires) {
        bad = "modparam msrp auth_min_expires/auth_max_expires: need 1 <= min <= max";
    } else if (m->tx_timeout < 1) {
        bad = "modparam msrp transaction_timeout must be at least 1";
    } else if (m->whole_max < 1024 || m->whole_max > (16 << 20)) {
        bad = "modparam msrp whole_frame_size must be 1024..16777216";
    } else if (m->max_frame_size < 1) {
        bad = "modparam msrp max_frame_size must be positive";
    }
    if (m->use_path_addr.len && (kr_str_casestarts(m->use_path_addr, KR_STR("msrp://")) ||
                                 kr_str_casestarts(m->use_path_addr, KR_STR("msrps://")))) {
        /* Kamailio's README example writes the scheme and gets "msrp://msrp://": the
         * value is host:port, the scheme is added here. */
        bad = "modparam msrp use_path_addr is host:port, without msrp://";
    }
    if (bad) {
        mod_free(m);
        return kr_err_set(err, KR_EINVAL, 0, bad);
    }
    struct kr_auth_opts ao = {
        .nonce_expire = KR_AUTH_DEFAULT_EXPIRE,
        .qop_auth = true,
        .algo = KR_AUTH_MD5,
    };
    m->sess = kr_msrp_sessions_new(m->cmap_size ? (unsigned)m->cmap_size : 10);
    m->txs = kr_msrp_txs_new();
    if (!m->sess || !m->txs) {
        mod_free(m);
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    int rc = kr_auth_new(&ao, &m->auth, err);
    if (rc < 0) {
        mod_free(m);
        return rc;
    }
    const struct kr_rpc_cmd *c = kr_rpc_find("msrp.cmaplist");
    if (!c) {
        if (kr_rpc_register(msrp_rpc) < 0) {
            KR_WARN("cannot register the msrp RPC commands");
        }
    } else if (c != &msrp_rpc[0]) {
        KR_WARN("msrp.cmaplist is registered by someone else: msrp RPC commands not available");
    }
    pthread_mutex_lock(&rpc_lock);
    rpc_state = m;
    pthread_mutex_unlock(&rpc_lock);
    *state = m;
    return 0;
}

static void mod_destroy(void *state)
{
    pthread_mutex_lock(&rpc_lock);
    if (rpc_state == state) {
        rpc_state = NULL;
    }
    pthread_mutex_unlock(&rpc_lock);
    mod_free(state);
}

static void on_sweep(struct kr_timer *t, void *arg)
{
    struct msrp_mod *m = arg;
    (void)t;
    msrp_sweep(m, kr_time_now_ms());
}

static int mod_worker_init(const struct kr_cfg *cfg, void *state, unsigned worker_id)
{
    struct msrp_mod *m = state;
    (void)cfg;
    /* the first worker (ids count from 1) runs the timeouts */
    if (worker_id != 1) {
        return 0;
    }
    struct kr_worker *w = kr_net_worker(0);
    if (!w) {
        return 0; /* unit tests: no transport */
    }
    kr_timer_init(&m->sweep, on_sweep, m);
    return kr_loop_timer_start(&w->loop, &m->sweep, MSRP_SWEEP_MS, MSRP_SWEEP_MS);
}

struct msrp_mod *kr_msrp_of(const struct kr_cfg *cfg)
{
    struct kr_ctx c = { .cfg = cfg };
    return kr_module_state(&c, &kr_mod_msrp);
}

size_t kr_msrp_whole_max(const struct msrp_mod *m)
{
    return (size_t)m->whole_max;
}

void kr_msrp_conn_closed(struct msrp_mod *m, uint64_t conn_id)
{
    size_t n = kr_msrp_sess_end_conn(m->sess, conn_id);
    if (n) {
        KR_DBG("connection %llu closed: %zu session(s) ended", (unsigned long long)conn_id, n);
    }
}

/* ---- the receive path ---- */

static const enum kr_stat rcv_stat[] = {
    [KR_MSRP_METHOD_OTHER] = KR_STAT_MSRP_RCV_OTHER,
    [KR_MSRP_METHOD_SEND] = KR_STAT_MSRP_RCV_SEND,
    [KR_MSRP_METHOD_REPORT] = KR_STAT_MSRP_RCV_REPORT,
    [KR_MSRP_METHOD_AUTH] = KR_STAT_MSRP_RCV_AUTH,
    [KR_MSRP_METHOD_NICKNAME] = KR_STAT_MSRP_RCV_NICKNAME,
};

/* Kamailio's sipmsg: a SIP view of the frame's headers, so that $hdr(), $au and the
 * other SIP pseudo-variables work on it. The start line becomes a fixed request line. */
static struct kr_sip_msg *sip_view(struct kr_msrp_rx *rx)
{
    const struct kr_msrp_frame *f = &rx->f;
    if (f->nhdrs == 0) {
        return NULL;
    }
    const char *hs = f->hdrs[0].raw.ptr;
    const char *he = f->hdrs[f->nhdrs - 1].raw.ptr + f->hdrs[f->nhdrs - 1].raw.len;
    static const char line[] = "MSRP sip:msrp.invalid SIP/2.0\r\n";
    size_t n = sizeof(line) - 1 + (size_t)(he - hs) + 2;
    char *p = kr_arena_alloc(&rx->w->arena, n);
    struct kr_sip_msg *msg = kr_arena_zalloc(&rx->w->arena, sizeof(*msg));
    if (!p || !msg) {
        return NULL;
    }
    memcpy(p, line, sizeof(line) - 1);
    memcpy(p + sizeof(line) - 1, hs, (size_t)(he - hs));
    memcpy(p + n - 2, "\r\n", 2);
    struct kr_err err = { 0 };
    if (kr_sip_msg_parse(p, n, &rx->w->arena, msg, &err) < 0) {
        return NULL;
    }
    return msg;
}

static struct kr_sip_msg *lazy_view(struct kr_ctx *ctx)
{
    return ctx->msrp ? sip_view(ctx->msrp) : NULL;
}

/* The body and end flag of a whole frame: the end-line closes it. */
static void whole_body(struct kr_msrp_rx *rx)
{
    size_t end_line = 7 + rx->f.tid.len + 3;
    if (rx->len < end_line) {
        return;
    }
    rx->flag = rx->data[rx->len - 3];
    if (!rx->f.has_body) {
        return;
    }
    size_t end = rx->len - end_line;
    if (end >= rx->f.body_off + 2 && rx->data[end - 2] == '\r' && rx->data[end - 1] == '\n') {
        end -= 2;
    }
    if (end >= rx->f.body_off) {
        rx->body = kr_str_make(rx->data + rx->f.body_off, end - rx->f.body_off);
    }
}

/* A frame that does not parse: a request whose tid can be read gets 400 (the connection
 * stays open); anything else is dropped and counted. */
static void bad_frame(struct kr_msrp_rx *rx, const struct kr_err *err, int rc)
{
    kr_stat_inc(KR_STAT_MSRP_BAD_FRAMES);
    KR_DBG("malformed MSRP frame: %s", err->reason ? err->reason : kr_strerror(rc));
    if (rx->f.tid.len == 0) {
        rx->f.tid = kr_msrp_start_tid(rx->data, rx->len);
    }
    if (!rx->f.is_request || rx->f.tid.len == 0 || rx->f.method_id == KR_MSRP_METHOD_REPORT) {
        return;
    }
    struct kr_buf why;
    kr_buf_init_arena(&why, &rx->w->arena, 64, 256);
    kr_buf_append_c(&why, "Bad Request");
    if (err->reason) {
        kr_buf_append_c(&why, " - ");
        kr_buf_append_c(&why, err->reason);
    }
    msrp_answer(rx, 400, kr_buf_str(&why), KR_STR_NULL);
}

void kr_msrp_recv(struct msrp_mod *m, const struct kr_cfg *cfg, struct kr_worker *w,
                  struct kr_vars *vars, const struct kr_rcv *rcv, const char *data, size_t len)
{
    struct kr_msrp_rx rx = {
        .mod = m,
        .w = w,
        .rcv = rcv,
        .data = data,
        .len = len,
        .streamed = rcv->sink != NULL,
    };
    struct kr_err err = { 0 };
    int rc = kr_msrp_parse_head(data, len, &w->arena, &rx.f, &err);
    if (rc == 0 && (rx.f.is_request ? false : rx.f.status < 100)) {
        rc = kr_err_set(&err, KR_EPARSE, 0, "bad status code");
    }
    if (rc == 0 && rx.f.is_request && msrp_rx_paths(&rx) < 0) {
        rc = kr_err_set(&err, KR_EPARSE, 0, "bad To-Path or From-Path");
    }
    if (rc < 0) {
        /* a malformed request whose tid can be read gets 400; the connection stays */
        bad_frame(&rx, &err, rc);
        msrp_sink_discard(&rx);
        return;
    }
    if (rx.f.is_request) {
        kr_stat_inc(rcv_stat[rx.f.method_id]);
    } else {
        kr_stat_inc(KR_STAT_MSRP_RCV_RESPONSES);
        if (msrp_tx_response(&rx)) {
            return;
        }
    }
    if (!rx.streamed) {
        whole_body(&rx);
        if (rx.f.is_request && (int64_t)rx.body.len > m->max_frame_size) {
            msrp_answer(&rx, 413, KR_STR("Message Too Large"), KR_STR_NULL);
            return;
        }
    }
    struct kr_ctx ctx;
    kr_ctx_init(&ctx, cfg, &w->arena, NULL, rcv, vars);
    ctx.worker = w;
    ctx.msrp = &rx;
    /* the SIP view is built only when a pseudo-variable or function asks for it */
    if (m->sipmsg || rx.f.method_id == KR_MSRP_METHOD_AUTH) {
        ctx.lazy_msg = lazy_view;
    }
    static const struct kr_str ev = KR_STR("msrp:frame-in");
    if (kr_cfg_run(cfg, &ctx, KR_CFG_ROUTE_EVENT, ev) == KR_ENOTFOUND) {
        KR_DBG("no event_route[msrp:frame-in]: frame dropped");
    }
    /* the body of a streamed frame nobody relayed (answered, dropped) is read away */
    msrp_sink_discard(&rx);
}

/* ---- script functions ---- */

static int f_relay(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)a;
    (void)n;
    struct kr_msrp_rx *rx = rx_of(ctx);
    return rx ? msrp_relay_kamailio(rx) : -1;
}

static int f_reply(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    struct kr_msrp_rx *rx = rx_of(ctx);
    struct kr_str code_s;
    struct kr_str text;
    struct kr_str hdrs = KR_STR_NULL;
    uint64_t code = 0;
    if (!rx || kr_arg_str(ctx, &a[0], &code_s) < 0 || kr_arg_str(ctx, &a[1], &text) < 0) {
        return -1;
    }
    if (n > 2 && a[2].present && kr_arg_str(ctx, &a[2], &hdrs) < 0) {
        return -1;
    }
    if (hdrs.len &&
        (hdrs.len < 2 || hdrs.ptr[hdrs.len - 2] != '\r' || hdrs.ptr[hdrs.len - 1] != '\n')) {
        /* each header line ends in CRLF; Kamailio sends a last one without it into the
         * end-line, which no peer can read: end it here */
        struct kr_buf b;
        kr_buf_init_arena(&b, ctx->arena, hdrs.len + 2, 1 << 16);
        kr_buf_append_str(&b, hdrs);
        kr_buf_append(&b, "\r\n", 2);
        if (b.err) {
            return -1;
        }
        hdrs = kr_buf_str(&b);
    }
    if (kr_str_to_u64(code_s, 999, &code) < 0 || code < 100) {
        KR_WARN("msrp_reply: bad code '" KR_STR_FMT "'", KR_STR_ARG(code_s));
        return -1;
    }
    int rc = msrp_answer(rx, (unsigned)code, text, hdrs);
    return rc < 0 ? -1 : 1;
}

static int f_is_request(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)a;
    (void)n;
    struct kr_msrp_rx *rx = rx_of(ctx);
    return rx && rx->f.is_request ? 1 : -1;
}

static int f_is_reply(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)a;
    (void)n;
    struct kr_msrp_rx *rx = rx_of(ctx);
    return rx && !rx->f.is_request ? 1 : -1;
}

/* "msrp://host:port" into an address (the default port is 2855); KR_EINVAL for msrps
 * (TLS next hops wait for korero's TLS). */
static int parse_addr(struct kr_str s, struct kr_sockaddr *out)
{
    struct kr_msrp_uri u;
    struct kr_err err = { 0 };
    char tmp[600];
    if (s.len + 6 >= sizeof(tmp)) {
        return KR_EPARSE;
    }
    /* a URI without transport is fine here: add one for the parser */
    memcpy(tmp, s.ptr, s.len);
    size_t n = s.len;
    if (kr_str_chr(s, ';') < 0) {
        memcpy(tmp + n, ";tcp", 4);
        n += 4;
    }
    if (kr_msrp_uri_parse(kr_str_make(tmp, n), &u, &err) < 0) {
        return KR_EPARSE;
    }
    return msrp_uri_addr(&u, out);
}

static int f_set_dst(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    struct kr_msrp_rx *rx = rx_of(ctx);
    struct kr_str addr;
    struct kr_str sock = KR_STR_NULL;
    if (!rx || kr_arg_str(ctx, &a[0], &addr) < 0) {
        return -1;
    }
    if (n > 1 && a[1].present && kr_arg_str(ctx, &a[1], &sock) < 0) {
        return -1;
    }
    int rc = parse_addr(addr, &rx->dst);
    if (rc < 0) {
        KR_WARN("msrp_set_dst: cannot use '" KR_STR_FMT "': %s", KR_STR_ARG(addr),
                rc == KR_EINVAL ? "msrps needs TLS, which korero does not have yet"
                                : kr_strerror(rc));
        return -1;
    }
    rx->dst_sock = NULL;
    if (sock.len) {
        size_t nl = 0;
        const struct kr_listen *l = kr_net_listens(&nl);
        for (size_t i = 0; l && i < nl; i++) {
            if (kr_str_caseeq(kr_str_c(l[i].name), sock)) {
                rx->dst_sock = &l[i];
            }
        }
        if (!rx->dst_sock) {
            KR_WARN("msrp_set_dst: no local socket '" KR_STR_FMT "'", KR_STR_ARG(sock));
            return -1;
        }
    }
    rx->has_dst = true;
    rx->dst_conn = 0;
    return 1;
}

/* msrp_relay_flags(f) / msrp_reply_flags(f): the frame's relay or reply flags. */
static int set_flags(struct kr_ctx *ctx, const struct kr_arg *a, bool relay)
{
    struct kr_msrp_rx *rx = rx_of(ctx);
    int64_t v = 0;
    if (!rx || kr_arg_int(ctx, &a[0], &v) < 0) {
        return -1;
    }
    *(relay ? &rx->relay_flags : &rx->reply_flags) = (unsigned)v;
    return 1;
}

static int f_relay_flags(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)n;
    return set_flags(ctx, a, true);
}

static int f_reply_flags(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)n;
    return set_flags(ctx, a, false);
}

static int f_cmap_save(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)a;
    (void)n;
    struct kr_msrp_rx *rx = rx_of(ctx);
    if (!rx || !rx->f.is_request || rx->f.method_id != KR_MSRP_METHOD_AUTH) {
        return -1;
    }
    return msrp_cmap_save_do(rx, "");
}

/* Kamailio's msrp_cmap_lookup() sends every frame of a session to its owner, even the
 * owner's own frames (they came back to it). Here the owner's frames go on to the next
 * To-Path hop instead; everyone else's go to the owner. */
static int f_cmap_lookup(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)a;
    (void)n;
    struct kr_msrp_rx *rx = rx_of(ctx);
    struct kr_msrp_sess_info s;
    if (!rx || msrp_rx_paths(rx) < 0 || rx->f.method_id == KR_MSRP_METHOD_AUTH ||
        rx->to[0].session_id.len == 0) {
        return -1;
    }
    if (kr_msrp_sess_find(rx->mod->sess, rx->to[0].session_id, time(NULL), &s) < 0) {
        return -1;
    }
    if (s.conn_id == rx->rcv->conn_id) {
        if (rx->nto < 2 || parse_addr(rx->to[1].whole, &rx->dst) < 0) {
            return -1;
        }
        rx->dst_conn = 0;
    } else {
        rx->dst = s.src;
        rx->dst_conn = s.conn_id;
    }
    rx->dst_sock = NULL;
    rx->has_dst = true;
    return 1;
}

static int f_forward(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    struct kr_msrp_rx *rx = rx_of(ctx);
    struct kr_str tp = KR_STR_NULL;
    struct kr_str fp = KR_STR_NULL;
    if (!rx) {
        return -1;
    }
    if (n > 0 && a[0].present && kr_arg_str(ctx, &a[0], &tp) < 0) {
        return -1;
    }
    if (n > 1 && a[1].present && kr_arg_str(ctx, &a[1], &fp) < 0) {
        return -1;
    }
    return msrp_forward_paths(rx, tp, fp);
}

static int f_auto_relay(struct kr_ctx *ctx, const struct kr_arg *a, unsigned n)
{
    (void)n;
    struct kr_msrp_rx *rx = rx_of(ctx);
    struct kr_str realm;
    if (!rx || kr_arg_str(ctx, &a[0], &realm) < 0) {
        return -1;
    }
    return msrp_auto(ctx, rx, realm, &a[1]);
}

static const struct kr_func msrp_funcs[] = {
    { "msrp_relay", f_relay, { 0 }, NULL, KR_ROUTE_ANY },
    { "msrp_reply", f_reply, { KR_ARG_STR, KR_ARG_STR, KR_ARG_STR_OPT }, NULL, KR_ROUTE_ANY },
    { "msrp_is_request", f_is_request, { 0 }, NULL, KR_ROUTE_ANY },
    { "msrp_is_reply", f_is_reply, { 0 }, NULL, KR_ROUTE_ANY },
    { "msrp_set_dst", f_set_dst, { KR_ARG_STR, KR_ARG_STR_OPT }, NULL, KR_ROUTE_ANY },
    { "msrp_relay_flags", f_relay_flags, { KR_ARG_INT }, NULL, KR_ROUTE_ANY },
    { "msrp_reply_flags", f_reply_flags, { KR_ARG_INT }, NULL, KR_ROUTE_ANY },
    { "msrp_cmap_save", f_cmap_save, { 0 }, NULL, KR_ROUTE_ANY },
    { "msrp_cmap_lookup", f_cmap_lookup, { 0 }, NULL, KR_ROUTE_ANY },
    { "msrp_forward", f_forward, { KR_ARG_STR_OPT, KR_ARG_STR_OPT }, NULL, KR_ROUTE_ANY },
    { "msrp_auto_relay", f_auto_relay, { KR_ARG_STR, KR_ARG_STR }, NULL, KR_ROUTE_ANY },
    { 0 },
};

/* ---- $msrp(key) ---- */

enum msrp_key {
    K_BUF = 1,
    K_BODY,
    K_CODE,
    K_HDRS,
    K_MSGID,
    K_METHOD,
    K_BUFLEN,
    K_SESSID,
    K_REASON,
    K_CRTHOP,
    K_BODYLEN,
    K_TRANSID,
    K_PREVHOP,
    K_NEXTHOP,
    K_LASTHOP,
    K_SRCADDR,
    K_SRCSOCK,
    K_FIRSTHOP,
    K_PREVHOPS,
    K_NEXTHOPS,
    K_CONID,
};

static const struct {
    const char *name;
    enum msrp_key key;
} msrp_keys[] = {
    { "buf", K_BUF },           { "body", K_BODY },         { "code", K_CODE },
    { "hdrs", K_HDRS },         { "msgid", K_MSGID },       { "method", K_METHOD },
    { "buflen", K_BUFLEN },     { "sessid", K_SESSID },     { "reason", K_REASON },
    { "crthop", K_CRTHOP },     { "bodylen", K_BODYLEN },   { "transid", K_TRANSID },
    { "prevhop", K_PREVHOP },   { "nexthop", K_NEXTHOP },   { "lasthop", K_LASTHOP },
    { "srcaddr", K_SRCADDR },   { "srcsock", K_SRCSOCK },   { "firsthop", K_FIRSTHOP },
    { "prevhops", K_PREVHOPS }, { "nexthops", K_NEXTHOPS }, { "conid", K_CONID },
};

static int pv_msrp_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    for (size_t i = 0; i < sizeof(msrp_keys) / sizeof(msrp_keys[0]); i++) {
        if (kr_str_eq(n->name, kr_str_c(msrp_keys[i].name))) {
            n->priv = (void *)(uintptr_t)msrp_keys[i].key;
            return 0;
        }
    }
    return kr_err_set(fx->err, KR_EINVAL, 0,
                      "unknown $msrp key (buf body code hdrs msgid method buflen sessid reason "
                      "crthop bodylen transid prevhop nexthop lasthop srcaddr srcsock firsthop "
                      "prevhops nexthops conid)");
}

static int str_or_null(struct kr_value *out, struct kr_str s, bool have)
{
    *out = have ? kr_value_str(s) : kr_value_null();
    return 0;
}

static int pv_msrp_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_msrp_rx *rx = rx_of(ctx);
    if (!rx) {
        *out = kr_value_null();
        return 0;
    }
    const struct kr_msrp_frame *f = &rx->f;
    bool paths = msrp_rx_paths(rx) == 0;
    switch ((enum msrp_key)(uintptr_t)n->priv) {
    case K_BUF:
        return str_or_null(out, kr_str_make(rx->data, rx->len), true);
    case K_BODY:
        /* streamed frames: the body was not held (see whole_frame_size) */
        return str_or_null(out, rx->body, !rx->streamed && f->has_body);
    case K_CODE:
        if (f->is_request) {
            return str_or_null(out, KR_STR_NULL, false);
        }
        *out = kr_value_int(f->status);
        return 0;
    case K_HDRS:
        if (f->nhdrs == 0) {
            return str_or_null(out, KR_STR_NULL, false);
        }
        return str_or_null(out,
                           kr_str_make(f->hdrs[0].raw.ptr, (size_t)(f->hdrs[f->nhdrs - 1].raw.ptr +
                                                                    f->hdrs[f->nhdrs - 1].raw.len -
                                                                    f->hdrs[0].raw.ptr)),
                           true);
    case K_MSGID: {
        const struct kr_msrp_hdr *h = kr_msrp_frame_hdr(f, KR_MSRP_HDR_MESSAGE_ID, 0);
        return str_or_null(out, h ? h->value : KR_STR_NULL, h != NULL);
    }
    case K_METHOD:
        return str_or_null(out, f->method, f->is_request);
    case K_BUFLEN:
        *out = kr_value_int((int64_t)rx->len);
        return 0;
    case K_SESSID:
        return str_or_null(out, paths ? rx->to[0].session_id : KR_STR_NULL,
                           paths && rx->to[0].session_id.len);
    case K_REASON:
        return str_or_null(out, f->comment, !f->is_request);
    case K_CRTHOP:
        return str_or_null(out, paths ? rx->to[0].whole : KR_STR_NULL, paths);
    case K_BODYLEN:
        *out = kr_value_int(rx->streamed ? 0 : (int64_t)rx->body.len);
        return 0;
    case K_TRANSID:
        return str_or_null(out, f->tid, true);
    case K_PREVHOP:
        return str_or_null(out, paths ? rx->from[0].whole : KR_STR_NULL, paths);
    case K_NEXTHOP:
        return str_or_null(out, paths && rx->nto > 1 ? rx->to[1].whole : KR_STR_NULL,
                           paths && rx->nto > 1);
    case K_LASTHOP:
        return str_or_null(out, paths ? rx->to[rx->nto - 1].whole : KR_STR_NULL, paths);
    case K_FIRSTHOP:
        return str_or_null(out, paths ? rx->from[rx->nfrom - 1].whole : KR_STR_NULL, paths);
    case K_PREVHOPS:
        *out = paths ? kr_value_int((int64_t)rx->nfrom) : kr_value_null();
        return 0;
    case K_NEXTHOPS:
        *out = paths ? kr_value_int((int64_t)rx->nto - 1) : kr_value_null();
        return 0;
    case K_SRCADDR: {
        /* The scheme follows the connection's real transport (Kamailio writes msrps
         * whenever its TLS module is loaded). */
        char ip[KR_ADDR_STRLEN];
        struct kr_buf b;
        kr_buf_init_arena(&b, ctx->arena, 80, 256);
        kr_buf_append_c(&b, rx->rcv->proto == KR_PROTO_TLS ? "msrps://" : "msrp://");
        kr_buf_append_c(&b, kr_addr_str(&rx->rcv->src, ip, sizeof(ip)));
        return b.err ? b.err : str_or_null(out, kr_buf_str(&b), true);
    }
    case K_SRCSOCK:
        return str_or_null(out, rx->rcv->sock ? kr_str_c(rx->rcv->sock->name) : KR_STR_NULL,
                           rx->rcv->sock != NULL);
    case K_CONID:
        *out = kr_value_int((int64_t)rx->rcv->conn_id);
        return 0;
    }
    *out = kr_value_null();
    return 0;
}

static const struct kr_pv_def msrp_pvs[] = {
    { .name = "msrp", .get = pv_msrp_get, .parse = pv_msrp_parse, .needs_name = true },
    { 0 },
};

/* ---- {msrpuri.*} ---- */

static int t_msrpuri(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    struct kr_msrp_uri u;
    struct kr_err err = { 0 };
    int rc = kr_trans_value_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    if (kr_msrp_uri_parse(s, &u, &err) < 0) {
        return KR_EPARSE;
    }
    const char *key = t->def->name + sizeof("msrpuri.") - 1;
    struct kr_str r;
    if (strcmp(key, "user") == 0) {
        long colon = kr_str_chr(u.userinfo, ':');
        r = colon >= 0 ? kr_str_make(u.userinfo.ptr, (size_t)colon) : u.userinfo;
    } else if (strcmp(key, "host") == 0) {
        r = u.host;
    } else if (strcmp(key, "port") == 0) {
        r = u.port;
    } else if (strcmp(key, "session") == 0) {
        r = u.session_id;
    } else if (strcmp(key, "proto") == 0) {
        r = u.transport;
    } else if (strcmp(key, "params") == 0) {
        r = u.params;
    } else if (strcmp(key, "userinfo") == 0) {
        r = u.userinfo;
    } else { /* scheme */
        r = u.scheme == KR_MSRP_SCHEME_MSRPS ? KR_STR("msrps") : KR_STR("msrp");
    }
    *v = kr_value_str(r);
    return 0;
}

static const struct kr_trans_def msrp_trans[] = {
    { "msrpuri.user", t_msrpuri, 0, 0 },
    { "msrpuri.host", t_msrpuri, 0, 0 },
    { "msrpuri.port", t_msrpuri, 0, 0 },
    { "msrpuri.session", t_msrpuri, 0, 0 },
    { "msrpuri.proto", t_msrpuri, 0, 0 },
    { "msrpuri.params", t_msrpuri, 0, 0 },
    { "msrpuri.userinfo", t_msrpuri, 0, 0 },
    { "msrpuri.scheme", t_msrpuri, 0, 0 },
    { 0 },
};

/* ---- RPC ---- */

static json_t *sess_json(const struct kr_msrp_sess_info *s)
{
    char addr[KR_ADDR_STRLEN];
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "SESSIONID", s->id, "PEER",
                     s->peer, "USER", s->user, "ADDR", kr_addr_str(&s->src, addr, sizeof(addr)),
                     "SOCK", s->sock ? s->sock->name : "", "CONID", (json_int_t)s->conn_id,
                     "CREATED", (json_int_t)s->created, "EXPIRES", (json_int_t)s->expires, "FRAMES",
                     (json_int_t)s->frames);
}

static void add_sess(const struct kr_msrp_sess_info *s, void *arg)
{
    json_t *j = sess_json(s);
    if (j) {
        json_array_append_new(arg, j);
    }
}

static struct msrp_mod *rpc_mod_locked(struct kr_rpc_err *err)
{
    if (!rpc_state) {
        kr_rpc_fail(err, 500, "msrp module not loaded");
    }
    return rpc_state;
}

/* Every session as an array (and the map's slots), or NULL with err set. */
static json_t *sessions_json(struct kr_rpc_err *err, unsigned *slots)
{
    pthread_mutex_lock(&rpc_lock);
    struct msrp_mod *m = rpc_mod_locked(err);
    json_t *items = m ? json_array() : NULL;
    if (items) {
        kr_msrp_sess_each(m->sess, add_sess, items);
        *slots = kr_msrp_sess_slots(m->sess);
    }
    pthread_mutex_unlock(&rpc_lock);
    return items;
}

static int rpc_cmaplist(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)params;
    unsigned slots = 0;
    json_t *items = sessions_json(err, &slots);
    if (!items) {
        return KR_ENOTFOUND;
    }
    *result = json_pack("{s:i, s:o, s:I}", "MAPSIZE", (int)slots, "ITEMS", items, "CONCOUNT",
                        (json_int_t)json_array_size(items));
    return 0;
}

static int rpc_sessions(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)params;
    unsigned slots = 0;
    *result = sessions_json(err, &slots);
    return *result ? 0 : KR_ENOTFOUND;
}

/* msrp.session ID (end false) and msrp.end ID (end true). */
static int rpc_one(const json_t *params, json_t **result, struct kr_rpc_err *err, bool end)
{
    struct kr_str id;
    if (kr_rpc_param_str(params, 0, "id", true, KR_STR_NULL, &id, err) < 0) {
        return KR_EINVAL;
    }
    pthread_mutex_lock(&rpc_lock);
    struct msrp_mod *m = rpc_mod_locked(err);
    struct kr_msrp_sess_info s;
    int rc = KR_ENOTFOUND;
    if (m) {
        rc = end ? kr_msrp_sess_end(m->sess, id) : kr_msrp_sess_find(m->sess, id, time(NULL), &s);
    }
    pthread_mutex_unlock(&rpc_lock);
    if (!m) {
        return KR_ENOTFOUND;
    }
    if (rc < 0) {
        return kr_rpc_fail(err, 404, "no such session");
    }
    *result = end ? json_pack("{s:s}", "ended", "ok") : sess_json(&s);
    return 0;
}

static int rpc_session(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    return rpc_one(params, result, err, false);
}

static int rpc_end(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    return rpc_one(params, result, err, true);
}

static const struct kr_rpc_cmd msrp_rpc[] = {
    { "msrp.cmaplist", rpc_cmaplist, "the relay's sessions (Kamailio's connection map)" },
    { "msrp.sessions", rpc_sessions, "the relay's sessions, one object each" },
    { "msrp.session", rpc_session, "one session by id: msrp.session ID" },
    { "msrp.end", rpc_end, "ends a session: msrp.end ID" },
    { 0 },
};

const struct kr_module kr_mod_msrp = {
    .name = "msrp",
    .params = msrp_params,
    .funcs = msrp_funcs,
    .pvs = msrp_pvs,
    .init = mod_init,
    .worker_init = mod_worker_init,
    .destroy = mod_destroy,
    .trans = msrp_trans,
};
