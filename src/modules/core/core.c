/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Script functions of korero's core (Kamailio's core, pv, kex and corex): forwarding,
 * message flags, R-URI and destination changes, socket and advertised address choice,
 * logging. State lives in the route context; fixup data in the config arena. Worker
 * threads. */
#define KR_LOG_UNIT "core"
#include "modules/core/core.h"

#include <string.h>

#include "cfg/cfg.h"
#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "core/log.h"
#include "modules/core/fwd.h"
#include "net/addr.h"
#include "net/net.h"
#include "sip/uri.h"

enum {
    LOG_DEFAULT_LEVEL = KR_L_DBG + 1, /* log("...") without a level, as Kamailio's */
    MAX_FLAG = 63,
};

static int fail(struct kr_fixup *fx, const char *reason)
{
    return kr_err_set(fx->err, KR_EINVAL, 0, reason);
}

/* --- forward --- */

static int do_forward(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs,
                      enum kr_uri_proto proto, bool force)
{
    struct kr_str host = kr_str_make("", 0);
    int64_t port = 0;

    if (nargs >= 1 && args[0].present && kr_arg_str(ctx, &args[0], &host) < 0) {
        return -1;
    }
    if (nargs >= 2 && args[1].present) {
        if (kr_arg_int(ctx, &args[1], &port) < 0 || port < 0 || port > 65535) {
            KR_ERR("forward: bad port");
            return -1;
        }
    }
    int rc = force ? kr_fwd_request_proto(ctx, host, (uint16_t)port, proto)
                   : kr_fwd_request(ctx, host, (uint16_t)port, proto);
    return rc == 0 ? 1 : -1;
}

static int fixup_forward(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 2 && args[1].present && args[1].is_const &&
        (args[1].ival <= 0 || args[1].ival > 65535)) {
        return fail(fx, "port must be between 1 and 65535");
    }
    return 0;
}

static int w_forward(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return do_forward(ctx, args, nargs, KR_PROTO_NONE, false);
}

static int w_forward_udp(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return do_forward(ctx, args, nargs, KR_PROTO_UDP, true);
}

static int w_forward_tcp(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return do_forward(ctx, args, nargs, KR_PROTO_TCP, true);
}

/* --- flags --- */

static int fixup_flag(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 1 && args[0].is_const && (args[0].ival < 0 || args[0].ival > MAX_FLAG)) {
        return fail(fx, "flag must be between 0 and 63");
    }
    return 0;
}

static int flag_arg(struct kr_ctx *ctx, const struct kr_arg *a, uint64_t *bit)
{
    int64_t n;
    if (kr_arg_int(ctx, a, &n) < 0 || n < 0 || n > MAX_FLAG) {
        KR_ERR("flag must be between 0 and 63");
        return -1;
    }
    *bit = 1ull << n;
    return 0;
}

static int w_setflag(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    uint64_t bit;
    (void)nargs;
    if (flag_arg(ctx, &args[0], &bit) < 0) {
        return -1;
    }
    ctx->flags |= bit;
    return 1;
}

static int w_resetflag(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    uint64_t bit;
    (void)nargs;
    if (flag_arg(ctx, &args[0], &bit) < 0) {
        return -1;
    }
    ctx->flags &= ~bit;
    return 1;
}

static int w_isflag(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    uint64_t bit;
    (void)nargs;
    if (flag_arg(ctx, &args[0], &bit) < 0) {
        return -1;
    }
    return (ctx->flags & bit) ? 1 : -1;
}

/* --- transport choices --- */

static int w_force_rport(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    ctx->force_rport = true;
    return 1;
}

/* force_send_socket's parsed socket: one entry, or two (udp and tcp) without a proto. */
struct fss {
    struct kr_listen l[KR_LISTEN_PARSE_MAX];
    int n;
};

static int fixup_send_socket(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs < 1 || !args[0].is_const) {
        return fail(fx, "force_send_socket needs a constant socket (proto:ip:port)");
    }
    struct fss *f = kr_arena_zalloc(fx->arena, sizeof(*f));
    if (!f) {
        return kr_err_set(fx->err, KR_ENOMEM, 0, "out of memory");
    }
    struct kr_err perr = { 0 };
    int n = kr_net_listen_parse(args[0].lit, f->l, &perr);
    if (n <= 0) {
        return fail(fx, perr.reason ? perr.reason : "bad socket (expected proto:ip:port)");
    }
    f->n = n;
    args[0].priv = f;
    return 0;
}

static int w_force_send_socket(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct fss *f = args[0].priv;
    size_t n = 0;
    const struct kr_listen *ls = kr_net_listens(&n);

    (void)nargs;
    if (!f) {
        return -1;
    }
    for (int j = 0; j < f->n; j++) {
        for (size_t i = 0; i < n; i++) {
            if (ls[i].proto == f->l[j].proto && kr_addr_eq(&ls[i].addr, &f->l[j].addr)) {
                ctx->force_sock = &ls[i];
                return 1;
            }
        }
    }
    KR_WARN("force_send_socket: " KR_STR_FMT " is not a listen socket", KR_STR_ARG(args[0].lit));
    return -1;
}

static int w_set_adv_address(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str v;
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &v) < 0 || v.len == 0) {
        return -1;
    }
    ctx->adv_addr = v;
    return 1;
}

static int w_set_adv_port(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    int64_t port;
    struct kr_buf b;

    (void)nargs;
    if (kr_arg_int(ctx, &args[0], &port) < 0 || port <= 0 || port > 65535) {
        KR_ERR("set_advertised_port: bad port");
        return -1;
    }
    kr_buf_init_arena(&b, ctx->arena, 8, 16);
    kr_buf_append_u64(&b, (unsigned long long)port);
    if (b.err) {
        return -1;
    }
    ctx->adv_port = kr_buf_str(&b);
    return 1;
}

static int fixup_port(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 1 && args[0].is_const && (args[0].ival <= 0 || args[0].ival > 65535)) {
        return fail(fx, "port must be between 1 and 65535");
    }
    return 0;
}

static int w_set_reply_close(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    ctx->reply_flags |= KR_REPLY_CLOSE;
    return 1;
}

static int w_set_reply_no_connect(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    ctx->reply_flags |= KR_REPLY_NO_CONNECT;
    return 1;
}

/* --- R-URI and destination --- */

struct uri_edit {
    bool set_user;
    struct kr_str user;
    bool set_host;
    struct kr_str host;
    bool set_port;
    struct kr_str port;
};

/* Rebuilds the current R-URI with the parts in ed replaced and makes it the new one. */
static int ruri_rewrite(struct kr_ctx *ctx, const struct uri_edit *ed)
{
    struct kr_str cur = kr_ctx_ruri(ctx);
    struct kr_sip_uri u;
    struct kr_err err = { 0 };
    struct kr_buf b;

    if (kr_sip_uri_parse(cur, &u, &err) < 0) {
        KR_DBG("cannot rewrite R-URI " KR_STR_FMT ": %s", KR_STR_ARG(cur),
               err.reason ? err.reason : "bad URI");
        return -1;
    }
    if (u.scheme == KR_URI_TEL && (ed->set_host || ed->set_port)) {
        KR_DBG("cannot set host or port of a tel: URI");
        return -1;
    }
    long colon = kr_str_chr(cur, ':');
    struct kr_str user = ed->set_user ? ed->user : u.user;
    kr_buf_init_arena(&b, ctx->arena, cur.len + ed->user.len + ed->host.len + 16, KR_SIP_MAX_MSG);
    kr_buf_append(&b, cur.ptr, (size_t)colon + 1);
    if (u.scheme == KR_URI_TEL) {
        kr_buf_append_str(&b, user);
    } else {
        if (user.len) {
            kr_buf_append_str(&b, user);
            if (u.password.len) {
                kr_buf_append_char(&b, ':');
                kr_buf_append_str(&b, u.password);
            }
            kr_buf_append_char(&b, '@');
        }
        kr_buf_append_str(&b, ed->set_host ? ed->host : u.host);
        struct kr_str port = ed->set_port ? ed->port : u.port;
        if (port.len) {
            kr_buf_append_char(&b, ':');
            kr_buf_append_str(&b, port);
        }
    }
    if (u.params.len) {
        kr_buf_append_char(&b, ';');
        kr_buf_append_str(&b, u.params);
    }
    if (u.headers.len) {
        kr_buf_append_char(&b, '?');
        kr_buf_append_str(&b, u.headers);
    }
    if (b.err) {
        return -1;
    }
    ctx->new_ruri = kr_buf_str(&b);
    return 1;
}

static int current_user(struct kr_ctx *ctx, struct kr_str *user)
{
    struct kr_sip_uri u;
    struct kr_err err = { 0 };

    if (kr_sip_uri_parse(kr_ctx_ruri(ctx), &u, &err) < 0) {
        return -1;
    }
    *user = u.user;
    return 0;
}

static int w_sethost(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct uri_edit ed = { .set_host = true };
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &ed.host) < 0 || ed.host.len == 0) {
        return -1;
    }
    return ruri_rewrite(ctx, &ed);
}

static int w_sethostport(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct uri_edit ed = { .set_host = true, .set_port = true, .port = kr_str_make("", 0) };
    struct kr_str hp;

    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &hp) < 0 || hp.len == 0) {
        return -1;
    }
    /* "host", "host:port", "[v6]:port" */
    long close = hp.ptr[0] == '[' ? kr_str_chr(hp, ']') : -1;
    size_t from = close >= 0 ? (size_t)close : 0;
    long colon = kr_str_chr(kr_str_sub(hp, from, hp.len), ':');
    if (colon >= 0 && (hp.ptr[0] == '[' ||
                       kr_str_chr(kr_str_sub(hp, from + (size_t)colon + 1, hp.len), ':') < 0)) {
        ed.host = kr_str_sub(hp, 0, from + (size_t)colon);
        ed.port = kr_str_sub(hp, from + (size_t)colon + 1, hp.len);
    } else {
        ed.host = hp;
    }
    return ruri_rewrite(ctx, &ed);
}

static int w_setport(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct uri_edit ed = { .set_port = true };
    uint64_t v;

    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &ed.port) < 0 ||
        (ed.port.len && kr_str_to_u64(ed.port, 65535, &v) < 0)) {
        return -1;
    }
    return ruri_rewrite(ctx, &ed);
}

static int w_setuser(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct uri_edit ed = { .set_user = true };
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &ed.user) < 0) {
        return -1;
    }
    return ruri_rewrite(ctx, &ed);
}

static int w_seturi(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str v;
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &v) < 0 || v.len == 0) {
        return -1;
    }
    ctx->new_ruri = kr_arena_strdup(ctx->arena, v);
    return ctx->new_ruri.ptr ? 1 : -1;
}

static int w_revert_uri(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    ctx->new_ruri = KR_STR_NULL;
    return 1;
}

static int w_prefix(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str pre;
    struct kr_str user;
    struct kr_buf b;

    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &pre) < 0 || current_user(ctx, &user) < 0) {
        return -1;
    }
    kr_buf_init_arena(&b, ctx->arena, pre.len + user.len + 1, KR_SIP_MAX_MSG);
    kr_buf_append_str(&b, pre);
    kr_buf_append_str(&b, user);
    if (b.err) {
        return -1;
    }
    struct uri_edit ed = { .set_user = true, .user = kr_buf_str(&b) };
    return ruri_rewrite(ctx, &ed);
}

static int strip_user(struct kr_ctx *ctx, const struct kr_arg *a, bool tail)
{
    int64_t n;
    struct kr_str user;

    if (kr_arg_int(ctx, a, &n) < 0 || n < 0 || current_user(ctx, &user) < 0) {
        return -1;
    }
    size_t k = (uint64_t)n > user.len ? user.len : (size_t)n;
    struct uri_edit ed = {
        .set_user = true,
        .user = tail ? kr_str_sub(user, 0, user.len - k) : kr_str_sub(user, k, user.len),
    };
    return ruri_rewrite(ctx, &ed);
}

static int w_strip(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return strip_user(ctx, &args[0], false);
}

static int w_strip_tail(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return strip_user(ctx, &args[0], true);
}

static int fixup_nonneg(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 1 && args[0].is_const && args[0].ival < 0) {
        return fail(fx, "the number must not be negative");
    }
    return 0;
}

static int w_append_branch(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_branch *br = kr_arena_zalloc(ctx->arena, sizeof(*br));

    if (!br) {
        return -1;
    }
    if (nargs >= 1 && args[0].present) {
        struct kr_str uri;
        if (kr_arg_str(ctx, &args[0], &uri) < 0 || uri.len == 0) {
            return -1;
        }
        br->uri = kr_arena_strdup(ctx->arena, uri);
        br->dst_uri = KR_STR_NULL;
    } else {
        br->uri = kr_ctx_ruri(ctx);
        br->dst_uri = ctx->dst_uri;
    }
    if (!br->uri.ptr || br->uri.len == 0) {
        return -1;
    }
    struct kr_branch **tail = &ctx->branches;
    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = br;
    return 1;
}

static int w_setdsturi(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str v;
    struct kr_sip_uri u;
    struct kr_err err = { 0 };

    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &v) < 0 || kr_sip_uri_parse(v, &u, &err) < 0) {
        KR_DBG("setdsturi: not a valid URI");
        return -1;
    }
    ctx->dst_uri = kr_arena_strdup(ctx->arena, v);
    return ctx->dst_uri.ptr ? 1 : -1;
}

static int w_resetdsturi(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    ctx->dst_uri = KR_STR_NULL;
    return 1;
}

static int w_isdsturiset(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    return ctx->dst_uri.len ? 1 : -1;
}

/* is_myself(uri): the URI's host (and port when given) is one of ours. */
static int w_is_myself(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str v;
    struct kr_sip_uri u;
    struct kr_err err = { 0 };

    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &v) < 0) {
        return -1;
    }
    if (kr_sip_uri_parse(v, &u, &err) < 0) {
        /* a bare host[:port] is accepted too */
        struct kr_buf b;
        kr_buf_init_arena(&b, ctx->arena, v.len + 8, KR_SIP_MAX_MSG);
        kr_buf_append_c(&b, "sip:");
        kr_buf_append_str(&b, v);
        err = (struct kr_err){ 0 };
        if (b.err || kr_sip_uri_parse(kr_buf_str(&b), &u, &err) < 0) {
            return -1;
        }
    }
    if (u.scheme == KR_URI_TEL) {
        return -1;
    }
    enum kr_uri_proto proto = u.proto ? u.proto : KR_PROTO_UDP;
    if (u.scheme == KR_URI_SIPS) {
        proto = KR_PROTO_TLS;
    }
    return kr_fwd_is_local(ctx, u.host, u.port_no, proto) ? 1 : -1;
}

/* --- pv and kex helpers --- */

static int w_pv_isset(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_value v;
    (void)nargs;
    if (!args[0].pv || kr_pv_get(ctx, args[0].pv, &v) < 0) {
        return -1;
    }
    return v.type == KR_VAL_NULL ? -1 : 1;
}

static int w_pv_unset(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_value v = kr_value_null();
    (void)nargs;
    if (!args[0].pv || kr_pv_set(ctx, args[0].pv, &v) < 0) {
        return -1;
    }
    return 1;
}

static int w_is_int(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_value v;
    int64_t n;
    (void)nargs;
    if (!args[0].pv || kr_pv_get(ctx, args[0].pv, &v) < 0) {
        return -1;
    }
    return kr_value_to_int(&v, &n) == 0 ? 1 : -1;
}

/* pv_printf(pv, format): the format evaluated into the variable (kex). */
static int w_pv_printf(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str s;
    (void)nargs;
    if (!args[0].pv || kr_arg_str(ctx, &args[1], &s) < 0) {
        return -1;
    }
    struct kr_value v = kr_value_str(s);
    return kr_pv_set(ctx, args[0].pv, &v) < 0 ? -1 : 1;
}

/* --- logging --- */

static int fixup_log(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 2 && args[1].present && args[0].is_const) {
        int64_t lv;
        if (kr_str_to_i64(kr_str_trim(args[0].lit), &lv) < 0 || lv < KR_L_ALERT || lv > 9) {
            return fail(fx, "log level must be a number from -5 (alert) to 3 (debug)");
        }
    }
    return 0;
}

static int w_log(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    int64_t level = LOG_DEFAULT_LEVEL;
    const struct kr_arg *text = &args[0];
    struct kr_str s;

    if (nargs >= 2 && args[1].present) {
        struct kr_str lv;
        if (kr_arg_str(ctx, &args[0], &lv) < 0 || kr_str_to_i64(kr_str_trim(lv), &level) < 0) {
            return -1;
        }
        text = &args[1];
    }
    if (level < KR_L_ALERT) {
        level = KR_L_ALERT;
    }
    if (!kr_log_enabled((int)level)) {
        return 1;
    }
    if (kr_arg_str(ctx, text, &s) < 0) {
        return -1;
    }
    if (s.len && s.ptr[s.len - 1] == '\n') {
        s.len--;
    }
    kr_log_write((int)level, "script", "<script>: " KR_STR_FMT, KR_STR_ARG(s));
    return 1;
}

static int w_setdebug(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    int64_t level;
    (void)nargs;
    if (kr_arg_int(ctx, &args[0], &level) < 0) {
        return -1;
    }
    if (level < KR_L_ALERT) {
        level = KR_L_ALERT;
    }
    if (level > 9) {
        level = 9;
    }
    atomic_store(&kr_log_level_now, (int)level);
    return 1;
}

/* Back to the config's debug= value. */
static int w_resetdebug(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_cfg_core *core = ctx->cfg ? kr_cfg_core(ctx->cfg) : NULL;

    (void)args;
    (void)nargs;
    atomic_store(&kr_log_level_now, core ? (int)core->debug : KR_L_WARN);
    return 1;
}

#define REQ_ROUTES (KR_ROUTE_REQUEST | KR_ROUTE_FAILURE | KR_ROUTE_BRANCH)

static const struct kr_func core_funcs[] = {
    { .name = "forward",
      .fn = w_forward,
      .args = { KR_ARG_STR_OPT, KR_ARG_INT_OPT },
      .fixup = fixup_forward,
      .routes = KR_ROUTE_REQUEST },
    { .name = "forward_udp",
      .fn = w_forward_udp,
      .args = { KR_ARG_STR_OPT, KR_ARG_INT_OPT },
      .fixup = fixup_forward,
      .routes = KR_ROUTE_REQUEST },
    { .name = "forward_tcp",
      .fn = w_forward_tcp,
      .args = { KR_ARG_STR_OPT, KR_ARG_INT_OPT },
      .fixup = fixup_forward,
      .routes = KR_ROUTE_REQUEST },
    { .name = "setflag", .fn = w_setflag, .args = { KR_ARG_INT }, .fixup = fixup_flag },
    { .name = "resetflag", .fn = w_resetflag, .args = { KR_ARG_INT }, .fixup = fixup_flag },
    { .name = "isflagset", .fn = w_isflag, .args = { KR_ARG_INT }, .fixup = fixup_flag },
    { .name = "isflag", .fn = w_isflag, .args = { KR_ARG_INT }, .fixup = fixup_flag },
    { .name = "force_rport", .fn = w_force_rport, .routes = KR_ROUTE_REQUEST | KR_ROUTE_BRANCH },
    { .name = "add_rport", .fn = w_force_rport, .routes = KR_ROUTE_REQUEST | KR_ROUTE_BRANCH },
    { .name = "force_send_socket",
      .fn = w_force_send_socket,
      .args = { KR_ARG_STR },
      .fixup = fixup_send_socket,
      .routes = REQ_ROUTES },
    { .name = "set_advertised_address",
      .fn = w_set_adv_address,
      .args = { KR_ARG_STR },
      .routes = REQ_ROUTES },
    { .name = "set_advertised_port",
      .fn = w_set_adv_port,
      .args = { KR_ARG_INT },
      .fixup = fixup_port,
      .routes = REQ_ROUTES },
    { .name = "set_reply_close", .fn = w_set_reply_close },
    { .name = "set_reply_no_connect", .fn = w_set_reply_no_connect },
    { .name = "append_branch",
      .fn = w_append_branch,
      .args = { KR_ARG_STR_OPT },
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_FAILURE },
    { .name = "km_append_branch",
      .fn = w_append_branch,
      .args = { KR_ARG_STR_OPT },
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_FAILURE },
    { .name = "revert_uri", .fn = w_revert_uri, .routes = REQ_ROUTES },
    { .name = "rewritehost", .fn = w_sethost, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "sethost", .fn = w_sethost, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "rewritehostport",
      .fn = w_sethostport,
      .args = { KR_ARG_STR },
      .routes = REQ_ROUTES },
    { .name = "sethostport", .fn = w_sethostport, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "rewriteport", .fn = w_setport, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "setport", .fn = w_setport, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "rewriteuser", .fn = w_setuser, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "setuser", .fn = w_setuser, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "rewriteuri", .fn = w_seturi, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "seturi", .fn = w_seturi, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "prefix", .fn = w_prefix, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "strip",
      .fn = w_strip,
      .args = { KR_ARG_INT },
      .fixup = fixup_nonneg,
      .routes = REQ_ROUTES },
    { .name = "strip_tail",
      .fn = w_strip_tail,
      .args = { KR_ARG_INT },
      .fixup = fixup_nonneg,
      .routes = REQ_ROUTES },
    { .name = "setdsturi", .fn = w_setdsturi, .args = { KR_ARG_STR }, .routes = REQ_ROUTES },
    { .name = "resetdsturi", .fn = w_resetdsturi, .routes = REQ_ROUTES },
    { .name = "isdsturiset", .fn = w_isdsturiset, .routes = REQ_ROUTES },
    { .name = "is_myself", .fn = w_is_myself, .args = { KR_ARG_STR } },
    { .name = "pv_isset", .fn = w_pv_isset, .args = { KR_ARG_PV } },
    { .name = "pv_unset", .fn = w_pv_unset, .args = { KR_ARG_PV } },
    { .name = "is_int", .fn = w_is_int, .args = { KR_ARG_PV } },
    { .name = "pv_printf", .fn = w_pv_printf, .args = { KR_ARG_PV, KR_ARG_STR } },
    { .name = "log", .fn = w_log, .args = { KR_ARG_STR, KR_ARG_STR_OPT }, .fixup = fixup_log },
    { .name = "setdebug", .fn = w_setdebug, .args = { KR_ARG_INT } },
    { .name = "resetdebug", .fn = w_resetdebug },
    { 0 },
};

const struct kr_module kr_mod_core = {
    .name = "core",
    .always = true,
    .funcs = core_funcs,
};
