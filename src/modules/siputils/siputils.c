/* SPDX-License-Identifier: GPL-2.0-or-later */
/* siputils: tests on the message and on URIs, R-URI parameter edits and the stateless
 * answer to OPTIONS. Module state holds the options_* header values (heap, built by
 * init). Worker threads. */
#define KR_LOG_UNIT "siputils"
#include "modules/siputils/siputils.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/ctx.h"
#include "core/buf.h"
#include "core/log.h"
#include "modules/core/fwd.h"
#include "modules/sl/sl.h"
#include "sip/msg.h"
#include "sip/uri.h"

/* What options_reply() sends besides the status line. */
struct siputils_state {
    char *options_hdrs; /* heap: complete header lines */
    size_t options_len;
};

static const char ALLOW[] = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, PRACK, "
                            "REFER, SUBSCRIBE, NOTIFY, PUBLISH, REGISTER";

bool kr_siputils_is_e164(struct kr_str s)
{
    if (s.len < 3 || s.len > 16 || s.ptr[0] != '+') {
        return false;
    }
    for (size_t i = 1; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') {
            return false;
        }
    }
    return true;
}

static int parse_ruri(struct kr_ctx *ctx, struct kr_sip_uri *u)
{
    struct kr_err err = { 0 };
    if (!ctx->msg || !ctx->msg->is_request) {
        return -1;
    }
    return kr_sip_uri_parse(kr_ctx_ruri(ctx), u, &err) < 0 ? -1 : 0;
}

static int w_has_totag(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    if (!ctx->msg) {
        return -1;
    }
    return kr_fwd_hdr_tag(ctx->msg, KR_SIP_HDR_TO).len ? 1 : -1;
}

/* is_user(user): the user name in the credentials (Proxy-Authorization, else
 * Authorization), without any "@domain", equals user. */
static int w_is_user(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const enum kr_sip_hdr_type types[] = { KR_SIP_HDR_PROXY_AUTHORIZATION,
                                           KR_SIP_HDR_AUTHORIZATION };
    struct kr_str want;

    (void)nargs;
    if (!ctx->msg || kr_arg_str(ctx, &args[0], &want) < 0) {
        return -1;
    }
    for (size_t i = 0; i < 2; i++) {
        const struct kr_sip_hdr *h = kr_sip_msg_hdr(ctx->msg, types[i], 0);
        struct kr_sip_auth au;
        struct kr_err err = { 0 };
        if (!h || kr_sip_parse_auth(h->value, &au, &err) < 0) {
            continue;
        }
        struct kr_str user = au.username;
        if (user.len >= 2 && user.ptr[0] == '"' && user.ptr[user.len - 1] == '"') {
            user = kr_str_sub(user, 1, user.len - 2);
        }
        long at = kr_str_chr(user, '@');
        if (at >= 0) {
            user = kr_str_sub(user, 0, (size_t)at);
        }
        return kr_str_eq(user, want) ? 1 : -1;
    }
    return -1;
}

static int w_uri_param(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_sip_uri u;
    struct kr_str name;
    struct kr_str value;

    if (parse_ruri(ctx, &u) < 0 || kr_arg_str(ctx, &args[0], &name) < 0) {
        return -1;
    }
    if (!kr_sip_param_find(u.params, name, &value)) {
        return -1;
    }
    if (nargs >= 2 && args[1].present) {
        struct kr_str want;
        if (kr_arg_str(ctx, &args[1], &want) < 0) {
            return -1;
        }
        return kr_str_eq(value, want) ? 1 : -1;
    }
    return 1;
}

/* add_uri_param(p): ";p" appended to the R-URI's parameters (before any '?headers'). */
static int w_add_uri_param(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_sip_uri u;
    struct kr_str p;
    struct kr_buf b;

    (void)nargs;
    if (parse_ruri(ctx, &u) < 0 || kr_arg_str(ctx, &args[0], &p) < 0 || p.len == 0) {
        return -1;
    }
    struct kr_str cur = kr_ctx_ruri(ctx);
    size_t cut = u.headers.len ? (size_t)(u.headers.ptr - 1 - cur.ptr) : cur.len;
    kr_buf_init_arena(&b, ctx->arena, cur.len + p.len + 2, KR_SIP_MAX_MSG);
    kr_buf_append(&b, cur.ptr, cut);
    kr_buf_append_char(&b, ';');
    kr_buf_append_str(&b, p);
    kr_buf_append(&b, cur.ptr + cut, cur.len - cut);
    if (b.err) {
        return -1;
    }
    ctx->new_ruri = kr_buf_str(&b);
    return 1;
}

static int w_options_reply(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct siputils_state *st = kr_module_state(ctx, &kr_mod_siputils);
    struct kr_sip_uri u;

    (void)args;
    (void)nargs;
    if (!ctx->msg || !ctx->msg->is_request || ctx->msg->method_id != KR_SIP_METHOD_OPTIONS) {
        KR_DBG("options_reply: not an OPTIONS request");
        return -1;
    }
    if (parse_ruri(ctx, &u) < 0 || u.user.len) {
        KR_DBG("options_reply: R-URI has a user part");
        return -1;
    }
    struct kr_str hdrs;
    if (st) {
        hdrs = kr_str_make(st->options_hdrs, st->options_len);
    } else {
        hdrs = KR_STR("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, PRACK, "
                      "REFER, SUBSCRIBE, NOTIFY, PUBLISH, REGISTER\r\n"
                      "Accept: */*\r\n"
                      "Accept-Language: en\r\n");
    }
    return kr_sl_reply(ctx, 200, KR_STR("OK"), hdrs) == 0 ? 1 : -1;
}

static int w_is_e164(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str s;
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &s) < 0) {
        return -1;
    }
    return kr_siputils_is_e164(s) ? 1 : -1;
}

static int w_is_uri_user_e164(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str s;
    struct kr_sip_uri u;
    struct kr_err err = { 0 };

    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &s) < 0 || kr_sip_uri_parse(s, &u, &err) < 0) {
        return -1;
    }
    return kr_siputils_is_e164(u.user) ? 1 : -1;
}

static int two_uris(struct kr_ctx *ctx, const struct kr_arg *args, struct kr_sip_uri *a,
                    struct kr_sip_uri *b)
{
    struct kr_str sa;
    struct kr_str sb;
    struct kr_err err = { 0 };

    if (kr_arg_str(ctx, &args[0], &sa) < 0 || kr_arg_str(ctx, &args[1], &sb) < 0) {
        return -1;
    }
    if (kr_sip_uri_parse(sa, a, &err) < 0) {
        return -1;
    }
    err = (struct kr_err){ 0 };
    return kr_sip_uri_parse(sb, b, &err) < 0 ? -1 : 0;
}

static int w_cmp_uri(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_sip_uri a;
    struct kr_sip_uri b;
    (void)nargs;
    if (two_uris(ctx, args, &a, &b) < 0) {
        return -2;
    }
    return kr_sip_uri_eq(&a, &b) ? 1 : -1;
}

static uint16_t port_or_default(const struct kr_sip_uri *u)
{
    if (u->port_no) {
        return u->port_no;
    }
    return u->scheme == KR_URI_SIPS ? 5061 : 5060;
}

/* cmp_aor(a, b): same user, host (case-insensitive) and port (default filled in). */
static int w_cmp_aor(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_sip_uri a;
    struct kr_sip_uri b;
    (void)nargs;
    if (two_uris(ctx, args, &a, &b) < 0) {
        return -2;
    }
    bool same = kr_str_eq(a.user, b.user) && kr_str_caseeq(a.host, b.host) &&
                port_or_default(&a) == port_or_default(&b);
    return same ? 1 : -1;
}

static void add_line(struct kr_buf *b, const char *name, struct kr_str value)
{
    if (value.len == 0) {
        return;
    }
    kr_buf_append_c(b, name);
    kr_buf_append_c(b, ": ");
    kr_buf_append_str(b, value);
    kr_buf_append_c(b, "\r\n");
}

static int siputils_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct siputils_state *s = calloc(1, sizeof(*s));
    struct kr_buf b;

    if (!s) {
        return kr_err_set(err, KR_ENOMEM, 0, "siputils: out of memory");
    }
    kr_buf_init_heap(&b, 256, 8192);
    add_line(&b, "Allow", kr_str_c(ALLOW));
    add_line(&b, "Accept", kr_modparam_str(cfg, "siputils", "options_accept", KR_STR("*/*")));
    add_line(&b, "Accept-Encoding",
             kr_modparam_str(cfg, "siputils", "options_accept_encoding", kr_str_make("", 0)));
    add_line(&b, "Accept-Language",
             kr_modparam_str(cfg, "siputils", "options_accept_language", KR_STR("en")));
    add_line(&b, "Supported",
             kr_modparam_str(cfg, "siputils", "options_support", kr_str_make("", 0)));
    if (b.err) {
        kr_buf_fini(&b);
        free(s);
        return kr_err_set(err, KR_ENOMEM, 0, "siputils: options headers too long");
    }
    s->options_hdrs = b.ptr; /* heap storage now owned by the state */
    s->options_len = b.len;
    *state = s;
    return 0;
}

static void siputils_destroy(void *state)
{
    struct siputils_state *s = state;
    if (s) {
        free(s->options_hdrs);
        free(s);
    }
}

static const struct kr_param siputils_params[] = {
    { .name = "options_accept", .type = KR_PARAM_STR },
    { .name = "options_accept_encoding", .type = KR_PARAM_STR },
    { .name = "options_accept_language", .type = KR_PARAM_STR },
    { .name = "options_support", .type = KR_PARAM_STR },
    { 0 },
};

#define REQ_ROUTES (KR_ROUTE_REQUEST | KR_ROUTE_FAILURE | KR_ROUTE_BRANCH)

static const struct kr_func siputils_funcs[] = {
    { .name = "has_totag", .fn = w_has_totag },
    { .name = "is_user", .fn = w_is_user, .args = { KR_ARG_STR }, .routes = KR_ROUTE_REQUEST },
    { .name = "uri_param",
      .fn = w_uri_param,
      .args = { KR_ARG_STR, KR_ARG_STR_OPT },
      .routes = REQ_ROUTES },
    { .name = "add_uri_param",
      .fn = w_add_uri_param,
      .args = { KR_ARG_STR },
      .routes = REQ_ROUTES },
    { .name = "options_reply", .fn = w_options_reply, .routes = KR_ROUTE_REQUEST },
    { .name = "is_e164", .fn = w_is_e164, .args = { KR_ARG_STR } },
    { .name = "is_uri_user_e164", .fn = w_is_uri_user_e164, .args = { KR_ARG_STR } },
    { .name = "cmp_uri", .fn = w_cmp_uri, .args = { KR_ARG_STR, KR_ARG_STR } },
    { .name = "cmp_aor", .fn = w_cmp_aor, .args = { KR_ARG_STR, KR_ARG_STR } },
    { 0 },
};

const struct kr_module kr_mod_siputils = {
    .name = "siputils",
    .params = siputils_params,
    .funcs = siputils_funcs,
    .init = siputils_init,
    .destroy = siputils_destroy,
};
