/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The server: config -> listen table -> modules -> RPC -> transport, and the receive path
 * of SIP messages (parse, count, route, relay replies). Start/stop on the main thread;
 * on_message and the framer on worker threads. */
#include "server.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KR_LOG_UNIT "core"
#include "cfg/cfg.h"
#include "cfg/ctx.h"
#include "core/log.h"
#include "core/rpc.h"
#include "core/stats.h"
#include "core/worker.h"
#include "kr_config.h"
#include "modules/core/fwd.h"
#include "modules/htable/htable.h"
#include "modules/msrp/msrp.h"
#include "modules/sl/sl.h"
#include "msrp/frame.h"
#include "net/net.h"
#include "sip/check.h"
#include "sip/msg.h"

enum { MAX_LISTENS = 64 };

struct kr_server {
    struct kr_cfg *cfg;
    struct kr_listen listens[MAX_LISTENS]; /* what the transport opens */
    size_t nlistens;
    struct kr_listen myself[MAX_LISTENS]; /* what `myself` matches (wildcards expanded) */
    size_t nmyself;
    sigset_t sigs;
    bool started;
    struct msrp_mod *msrp; /* the msrp module's state when loaded: MSRP frames on streams */
    size_t msrp_whole;     /* MSRP frames up to this size are framed whole */
};

/* Per-worker state hung on kr_worker.user. */
struct srv_worker {
    struct kr_server *srv;
    struct kr_vars *vars;
};

/* The running server, for the transport's callbacks (set once before the workers start,
 * read-only afterwards). */
static struct kr_server *running;

/* ---- receive path ---- */

static const enum kr_stat method_stat[] = {
    [KR_SIP_METHOD_OTHER] = KR_STAT_RCV_REQ_OTHER,
    [KR_SIP_METHOD_INVITE] = KR_STAT_RCV_REQ_INVITE,
    [KR_SIP_METHOD_ACK] = KR_STAT_RCV_REQ_ACK,
    [KR_SIP_METHOD_CANCEL] = KR_STAT_RCV_REQ_CANCEL,
    [KR_SIP_METHOD_BYE] = KR_STAT_RCV_REQ_BYE,
    [KR_SIP_METHOD_REGISTER] = KR_STAT_RCV_REQ_REGISTER,
    [KR_SIP_METHOD_OPTIONS] = KR_STAT_RCV_REQ_OPTIONS,
    [KR_SIP_METHOD_INFO] = KR_STAT_RCV_REQ_INFO,
    [KR_SIP_METHOD_UPDATE] = KR_STAT_RCV_REQ_UPDATE,
    [KR_SIP_METHOD_PRACK] = KR_STAT_RCV_REQ_PRACK,
    [KR_SIP_METHOD_SUBSCRIBE] = KR_STAT_RCV_REQ_SUBSCRIBE,
    [KR_SIP_METHOD_NOTIFY] = KR_STAT_RCV_REQ_NOTIFY,
    [KR_SIP_METHOD_PUBLISH] = KR_STAT_RCV_REQ_PUBLISH,
    [KR_SIP_METHOD_MESSAGE] = KR_STAT_RCV_REQ_MESSAGE,
    [KR_SIP_METHOD_REFER] = KR_STAT_RCV_REQ_REFER,
};

static const enum kr_stat class_stat[] = {
    KR_STAT_RCV_REPL_1XX, KR_STAT_RCV_REPL_2XX, KR_STAT_RCV_REPL_3XX,
    KR_STAT_RCV_REPL_4XX, KR_STAT_RCV_REPL_5XX, KR_STAT_RCV_REPL_6XX,
};

/* Answers a request korero found broken, to the source address and port (a Via in a
 * broken message is not to be trusted); an ACK, or a request without Via, is dropped. */
static void refuse(struct kr_ctx *ctx, unsigned code, struct kr_str reason)
{
    const struct kr_sip_msg *m = ctx->msg;

    if (m->method_id == KR_SIP_METHOD_ACK || m->first[KR_SIP_HDR_VIA] < 0) {
        KR_DBG("dropped invalid request: " KR_STR_FMT, KR_STR_ARG(reason));
        return;
    }
    ctx->force_rport = true;
    if (kr_sl_reply(ctx, code, reason, KR_STR_NULL) < 0) {
        KR_DBG("could not answer an invalid request");
    }
}

/* A message that failed to parse: a request is refused (400, or 505 for another SIP
 * version), anything else is dropped; both are counted. */
static void reject(struct kr_ctx *ctx, int rc, const struct kr_err *err)
{
    const struct kr_sip_msg *m = ctx->msg;

    if (!m->is_request || rc == KR_ENOMEM) {
        kr_stat_inc(m->is_request || !m->status ? KR_STAT_PARSE_ERRORS : KR_STAT_ERR_REPLIES);
        KR_DBG("dropped malformed message from %s: %s", ctx->rcv->sock ? ctx->rcv->sock->name : "?",
               err->reason ? err->reason : kr_strerror(rc));
        return;
    }
    kr_stat_inc(m->first[KR_SIP_HDR_VIA] < 0 ? KR_STAT_PARSE_ERRORS : KR_STAT_ERR_REQUESTS);
    unsigned code = rc == KR_EVERSION ? 505 : 400;
    struct kr_buf reason;
    kr_buf_init_arena(&reason, ctx->arena, 96, 200);
    kr_buf_append_c(&reason, code == 505 ? "Version Not Supported" : "Bad Request");
    if (err->reason) {
        kr_buf_append_c(&reason, " - ");
        kr_buf_append_c(&reason, err->reason);
    }
    refuse(ctx, code, kr_buf_str(&reason));
}

/* RFC 3261 §16.3: a proxy validates a request before it routes it. The core does what
 * every later stage relies on (required headers present and single, Via, CSeq, From/To,
 * Max-Forwards, Content-Length, Expires and the Request-URI parse; RFC 4475) and answers
 * 400/416/505 itself; policy checks (Proxy-Require, credentials) stay with sanity_check().
 * Returns true when the request may be routed. */
static bool validate(struct kr_ctx *ctx)
{
    struct kr_err err = { 0 };
    unsigned code = 0;

    /* The default checks less the From/To/Contact URI parse: routing needs only the
     * R-URI, and sanity_check() still offers the rest. */
    enum {
        CORE_CHECKS = (KR_SIP_CHECK_DEFAULT & ~KR_SIP_CHECK_PARSE_URI) | KR_SIP_CHECK_RURI_PARSE
    };
    if (kr_sip_check_request_mask(ctx->msg, CORE_CHECKS, NULL, &code, &err) == 0) {
        return true;
    }
    kr_stat_inc(KR_STAT_ERR_REQUESTS);
    refuse(ctx, code, kr_str_c(err.reason ? err.reason : "Bad Request"));
    return false;
}

static void on_request(struct kr_ctx *ctx)
{
    kr_stat_inc(KR_STAT_RCV_REQUESTS);
    kr_stat_inc(method_stat[ctx->msg->method_id]);
    if (!validate(ctx)) {
        return;
    }
    kr_cfg_run(ctx->cfg, ctx, KR_CFG_ROUTE_REQUEST, KR_STR_NULL);
    if (!ctx->replied && !ctx->forwarded) {
        kr_stat_inc(KR_STAT_DROP_REQUESTS);
    }
}

static void on_reply(struct kr_ctx *ctx)
{
    unsigned cls = ctx->msg->status / 100;

    kr_stat_inc(KR_STAT_RCV_REPLIES);
    if (cls >= 1 && cls <= 6) {
        kr_stat_inc(class_stat[cls - 1]);
    }
    ctx->route_type = KR_ROUTE_REPLY;
    if (kr_cfg_has_route(ctx->cfg, KR_CFG_ROUTE_REPLY, KR_STR_NULL)) {
        kr_cfg_run(ctx->cfg, ctx, KR_CFG_ROUTE_REPLY, KR_STR_NULL);
    }
    if (ctx->dropped) {
        kr_stat_inc(KR_STAT_DROP_REPLIES);
        return;
    }
    kr_fwd_reply(ctx);
}

static bool is_msrp(const char *data, size_t len)
{
    return len >= 5 && memcmp(data, "MSRP ", 5) == 0;
}

static void on_message(struct kr_worker *w, const struct kr_rcv *rcv, const char *data, size_t len)
{
    struct srv_worker *sw = w->user;
    struct kr_sip_msg msg;
    struct kr_err err = { 0 };
    struct kr_ctx ctx;

    /* CRLF keep-alives (RFC 5626 §3.5.1; clients send them over UDP too): not messages. */
    size_t i = 0;
    while (i < len && (data[i] == '\r' || data[i] == '\n')) {
        i++;
    }
    if (i == len) {
        return;
    }
    if (sw->srv->msrp && rcv->conn_id && is_msrp(data + i, len - i)) {
        kr_msrp_recv(sw->srv->msrp, sw->srv->cfg, w, sw->vars, rcv, data + i, len - i);
        kr_arena_reset(&w->arena);
        return;
    }
    kr_ctx_init(&ctx, sw->srv->cfg, &w->arena, &msg, rcv, sw->vars);
    ctx.worker = w;
    int rc = kr_sip_msg_parse(data, len, &w->arena, &msg, &err);
    if (rc < 0) {
        reject(&ctx, rc, &err);
    } else if (msg.is_request) {
        on_request(&ctx);
    } else {
        on_reply(&ctx);
    }
    kr_arena_reset(&w->arena);
}

_Static_assert(sizeof(struct kr_sip_frame_state) <= sizeof(struct kr_net_frame_state),
               "the SIP framer's state must fit the connection's scratch");

_Static_assert(sizeof(struct kr_msrp_stream_state) <= sizeof(struct kr_net_frame_state),
               "the MSRP framer's state must fit the connection's scratch");

/* A stream carries SIP and, with the msrp module, MSRP: each message's first bytes say
 * which ("MSRP " starts an MSRP frame), so the two may alternate on one connection. */
static int frame(const char *data, size_t len, struct kr_net_frame_state *st, size_t *skip,
                 size_t *msg_len, struct kr_err *err)
{
    const struct kr_cfg_core *core = kr_cfg_core(running->cfg);
    if (running->msrp) {
        size_t i = 0;
        while (i < len && (data[i] == '\r' || data[i] == '\n')) {
            i++;
        }
        size_t n = len - i < 5 ? len - i : 5;
        if (memcmp(data + i, "MSRP ", n) == 0) {
            if (n < 5) {
                *skip = i;
                return KR_EAGAIN;
            }
            struct kr_msrp_stream_state *ms = (struct kr_msrp_stream_state *)(void *)st->b;
            int rc = kr_msrp_frame_stream(data + i, len - i, running->msrp_whole, KR_MSRP_MAX_HEAD,
                                          ms, msg_len, err);
            *skip = i;
            return rc == KR_MSRP_FRAME_HEAD ? KR_NET_FRAME_HEAD : rc;
        }
    }
    struct kr_sip_frame_state *fs = (struct kr_sip_frame_state *)(void *)st->b;
    return kr_sip_frame_resume(data, len, KR_SIP_MAX_MSG, !core->tcp_accept_no_cl, fs, skip,
                               msg_len, err);
}

/* The transport's message size with MSRP: a whole frame, or a head (up to
 * KR_MSRP_MAX_HEAD) with a little of its body; 0 (the default) without MSRP. */
static size_t msrp_max_msg(size_t whole)
{
    size_t m = (whole > KR_MSRP_MAX_HEAD ? whole : KR_MSRP_MAX_HEAD) + 1024;
    return whole && m > KR_NET_DEF_MAX_MSG ? m : 0;
}

static void on_closed(struct kr_worker *w, uint64_t conn_id)
{
    (void)w;
    if (running && running->msrp) {
        kr_msrp_conn_closed(running->msrp, conn_id);
    }
}

static int worker_init(struct kr_worker *w, void *arg)
{
    struct kr_server *s = arg;
    struct srv_worker *sw = calloc(1, sizeof(*sw));

    if (sw == NULL) {
        return KR_ENOMEM;
    }
    sw->srv = s;
    sw->vars = kr_vars_new();
    if (sw->vars == NULL) {
        free(sw);
        return KR_ENOMEM;
    }
    w->user = sw;
    return kr_cfg_worker_init(s->cfg, w->id);
}

static void worker_fini(struct kr_worker *w, void *arg)
{
    struct srv_worker *sw = w->user;

    (void)arg;
    if (sw) {
        kr_vars_free(sw->vars);
        free(sw);
        w->user = NULL;
    }
}

/* ---- start and stop ---- */

/* The machine's addresses (getifaddrs; IPv6 link-local left out: they need a scope).
 * wild NULL: adds a UDP and a TCP listen entry for each to the listen table. Else adds
 * entries of wild's protocol, port and advertised address to the `myself` table. */
static void add_interfaces(struct kr_server *s, uint16_t port, const struct kr_listen *wild)
{
    struct ifaddrs *ifs = NULL;

    if (getifaddrs(&ifs) < 0) {
        KR_WARN("cannot list the machine's addresses: %s", strerror(errno));
        return;
    }
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) {
            continue;
        }
        int fam = i->ifa_addr->sa_family;
        if (fam != AF_INET && fam != AF_INET6) {
            continue;
        }
        struct kr_sockaddr a = { .len = fam == AF_INET ? sizeof(a.u.in) : sizeof(a.u.in6) };
        memcpy(&a.u.sa, i->ifa_addr, a.len);
        if (fam == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a.u.in6.sin6_addr)) {
            continue;
        }
        if (wild && wild->addr.u.sa.sa_family != fam) {
            continue;
        }
        kr_addr_set_port(&a, port);
        if (wild) {
            if (s->nmyself < MAX_LISTENS) {
                struct kr_listen *l = &s->myself[s->nmyself++];
                kr_net_listen_fill(l, wild->proto, &a, NULL, 0);
            }
            continue;
        }
        for (int p = 0; p < 2 && s->nlistens < MAX_LISTENS; p++) {
            struct kr_listen *l = &s->listens[s->nlistens];
            kr_net_listen_fill(l, p ? KR_PROTO_TCP : KR_PROTO_UDP, &a, NULL, 0);
            l->id = (unsigned)s->nlistens++;
        }
    }
    freeifaddrs(ifs);
}

struct kr_server *kr_server_load(const struct kr_server_opts *o)
{
    char diag[16384] = "";
    struct kr_cfg_opts co = {
        .modules = kr_builtin_modules,
        .aliases = kr_core_module_aliases,
        .defines = o->defines,
        .ndefines = o->ndefines,
    };
    struct kr_server *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        fprintf(stderr, "korero: out of memory\n");
        return NULL;
    }
    if (kr_cfg_load(o->cfg_path, &co, &s->cfg, diag, sizeof(diag)) < 0) {
        fprintf(stderr, "%s\n", diag);
        free(s);
        return NULL;
    }
    const struct kr_cfg_core *core = kr_cfg_core(s->cfg);
    atomic_store(&kr_log_level_now, (int)core->debug);

    /* The listen table, as the transport will open it. */
    for (size_t i = 0; i < core->nlistens; i++) {
        struct kr_listen pair[KR_LISTEN_PARSE_MAX];
        struct kr_err err = { 0 };
        char spec[512];
        const struct kr_cfg_listen *cl = &core->listens[i];
        snprintf(spec, sizeof(spec), "%s%s%s", cl->text, cl->advertise ? " advertise " : "",
                 cl->advertise ? cl->advertise : "");
        int n = kr_net_listen_parse_port(kr_str_c(spec), (uint16_t)core->port, pair, &err);
        if (n < 0) {
            fprintf(stderr, "%s: error: listen=%s: %s\n", o->cfg_path, spec,
                    err.reason ? err.reason : kr_strerror(n));
            kr_server_free(s);
            return NULL;
        }
        for (int j = 0; j < n; j++) {
            if (s->nlistens == MAX_LISTENS) {
                fprintf(stderr, "%s: error: more than %d listen addresses\n", o->cfg_path,
                        MAX_LISTENS);
                kr_server_free(s);
                return NULL;
            }
            pair[j].id = (unsigned)s->nlistens;
            /* advertised_address= / advertised_port= apply where listen= has no
             * advertise of its own. */
            if (core->advertised_address && !cl->advertise) {
                snprintf(pair[j].adv_host, sizeof(pair[j].adv_host), "%s",
                         core->advertised_address);
            }
            if (core->advertised_port && !cl->advertise) {
                pair[j].adv_port = (uint16_t)core->advertised_port;
            }
            s->listens[s->nlistens++] = pair[j];
        }
    }
    if (s->nlistens == 0) {
        /* No listen=: as Kamailio, listen on every address of the machine. */
        add_interfaces(s, (uint16_t)core->port, NULL);
    }
    /* `myself` also matches the machine's addresses behind a wildcard listen. */
    s->nmyself = 0;
    for (size_t i = 0; i < s->nlistens; i++) {
        if (s->listens[i].is_wildcard) {
            add_interfaces(s, s->listens[i].port, &s->listens[i]);
        }
        if (s->nmyself < MAX_LISTENS) { /* its advertised address counts too */
            s->myself[s->nmyself++] = s->listens[i];
        }
    }
    kr_cfg_set_listens(s->cfg, s->myself, s->nmyself);
    return s;
}

static void ask_shutdown(void *arg)
{
    (void)arg;
    kill(getpid(), SIGTERM);
}

int kr_server_start(struct kr_server *s)
{
    const struct kr_cfg_core *core = kr_cfg_core(s->cfg);
    struct kr_err err = { 0 };

    /* Every thread started from here inherits these blocked; main takes them with
     * sigwait. SIGPIPE is ignored: a peer closing a connection is an ordinary event. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&s->sigs);
    sigaddset(&s->sigs, SIGTERM);
    sigaddset(&s->sigs, SIGINT);
    sigaddset(&s->sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &s->sigs, NULL);

    if (!core->log_stderror) {
        kr_log_set_stderr(false);
    }
    struct kr_rpc_core_hooks hooks = {
        .shutdown = ask_shutdown,
        .started = time(NULL),
        .workers =
            core->children > 0 ? (unsigned)core->children : (unsigned)sysconf(_SC_NPROCESSORS_ONLN),
    };
    if (kr_rpc_register_core(&hooks) < 0) {
        KR_ERR("cannot register the core RPC commands");
        return -1;
    }
    if (kr_cfg_init_modules(s->cfg, &err) < 0) {
        KR_ERR("module start-up failed: %s", err.reason ? err.reason : "?");
        return -1;
    }
    /* Kamailio runs event_route[htable:mod-init] once the tables exist, before any
     * message: the place to fill tables from the script. */
    if (kr_htable_run_mod_init(s->cfg) < 0) {
        KR_ERR("event_route[htable:mod-init] failed");
        return -1;
    }
    running = s;
    s->msrp = kr_msrp_of(s->cfg);
    s->msrp_whole = s->msrp ? kr_msrp_whole_max(s->msrp) : 0;
    struct kr_net_opts no = {
        .listens = s->listens,
        .nlistens = s->nlistens,
        .workers = core->children,
        .recv = on_message,
        .frame = frame,
        .worker_init = worker_init,
        .worker_fini = worker_fini,
        .closed = on_closed,
        .arg = s,
        /* MSRP frames up to the whole-frame size are read whole */
        .max_msg_size = msrp_max_msg(s->msrp_whole),
        .tcp_connection_lifetime = (unsigned)core->tcp_connection_lifetime,
        .tcp_max_connections = (unsigned)core->tcp_max_connections,
        .tcp_connect_timeout = (unsigned)core->tcp_connect_timeout,
        .udp_rcvbuf = (size_t)core->maxbuffer,
    };
    if (kr_net_start(&no, &err) < 0) {
        KR_ERR("cannot start the transport: %s", err.reason ? err.reason : "?");
        return -1;
    }
    s->started = true;
    size_t n;
    const struct kr_listen *l = kr_net_listens(&n);
    for (size_t i = 0; i < n; i++) {
        KR_NOTICE("listening on %s (advertised %s:%u)", l[i].name, l[i].adv_host, l[i].adv_port);
    }
    KR_NOTICE("korero %s started with %u workers", KR_VERSION, kr_net_nworkers());
    return 0;
}

void kr_server_wait(struct kr_server *s)
{
    for (;;) {
        int sig = 0;
        if (sigwait(&s->sigs, &sig) != 0) {
            continue;
        }
        if (sig == SIGHUP) {
            KR_NOTICE("SIGHUP: config reload is not supported yet; ignored");
            continue;
        }
        KR_NOTICE("signal %d: stopping", sig);
        return;
    }
}

void kr_server_free(struct kr_server *s)
{
    if (s == NULL) {
        return;
    }
    if (s->started) {
        kr_net_stop();
    }
    kr_cfg_free(s->cfg);
    kr_rpc_reset();
    running = NULL;
    free(s);
}
