/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sanity: Kamailio's check bits mapped onto sip/check.h, plus per-URI parsing for
 * uri_checks. A failure is answered through kr_sl_reply unless noreply is set; the code
 * and reason are kept in the context (as private AVPs) for sanity_reply(). Worker
 * threads. */
#define KR_LOG_UNIT "sanity"
#include "modules/sanity/sanity.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "modules/sl/sl.h"
#include "sip/check.h"
#include "sip/msg.h"
#include "sip/uri.h"

struct sanity_state {
    int64_t default_checks;
    int64_t uri_checks;
    char *proxy_require; /* heap, NUL-terminated */
    size_t proxy_require_len;
    bool autodrop;
    bool noreply;
};

/* Kamailio's bits 0..13 are the same bits in sip/check.h; 16384 is our Via check. */
static unsigned check_mask(unsigned msg_checks)
{
    unsigned mask = msg_checks & 0x3fffu & ~(unsigned)KR_SANITY_PARSE_URIS;
    if (msg_checks & KR_SANITY_CHECK_VIA1_HEADER) {
        mask |= KR_SIP_CHECK_VIA;
    }
    return mask;
}

static bool unsupported_scheme(const struct kr_err *e)
{
    return e->reason && strcmp(e->reason, "unsupported URI scheme") == 0;
}

/* KR_SANITY_PARSE_URIS for the URIs uri_checks names. 0 or a reason. */
static const char *check_uris(const struct kr_sip_msg *msg, unsigned uri_checks)
{
    static const struct {
        unsigned bit;
        enum kr_sip_hdr_type type;
        const char *reason;
    } hdrs[] = {
        { KR_SANITY_URI_FROM, KR_SIP_HDR_FROM, "Bad Request - Bad From URI" },
        { KR_SANITY_URI_TO, KR_SIP_HDR_TO, "Bad Request - Bad To URI" },
        { KR_SANITY_URI_CONTACT, KR_SIP_HDR_CONTACT, "Bad Request - Bad Contact URI" },
    };
    struct kr_sip_uri u;
    struct kr_err err = { 0 };

    if ((uri_checks & KR_SANITY_URI_RURI) && kr_sip_uri_parse(msg->ruri, &u, &err) < 0 &&
        !unsupported_scheme(&err)) {
        return "Bad Request - Bad Request-URI";
    }
    for (size_t k = 0; k < sizeof(hdrs) / sizeof(hdrs[0]); k++) {
        if (!(uri_checks & hdrs[k].bit)) {
            continue;
        }
        for (size_t i = 0; i < msg->nhdrs; i++) {
            if (msg->hdrs[i].type != hdrs[k].type) {
                continue;
            }
            struct kr_str rest = msg->hdrs[i].value;
            do {
                struct kr_sip_nameaddr na;
                err = (struct kr_err){ 0 };
                if (kr_sip_parse_nameaddr(rest, &na, &rest, &err) < 0) {
                    return hdrs[k].reason;
                }
                if (na.star) {
                    continue;
                }
                err = (struct kr_err){ 0 };
                if (kr_sip_uri_parse(na.uri, &u, &err) < 0 && !unsupported_scheme(&err)) {
                    return hdrs[k].reason;
                }
            } while (rest.len && hdrs[k].type == KR_SIP_HDR_CONTACT);
        }
    }
    return NULL;
}

unsigned kr_sanity_run(struct kr_ctx *ctx, unsigned msg_checks, unsigned uri_checks,
                       struct kr_str proxy_require, struct kr_str *reason, struct kr_str *extra)
{
    const struct kr_sip_msg *msg = ctx->msg;
    struct kr_buf unsup;
    struct kr_err err = { 0 };
    unsigned code = 0;

    *reason = kr_str_make("", 0);
    *extra = kr_str_make("", 0);
    if (!msg || !msg->is_request) {
        return 0;
    }
    kr_buf_init_arena(&unsup, ctx->arena, 64, 1024);
    struct kr_sip_check_opts opts = { .proxy_supported = proxy_require, .unsupported = &unsup };
    if (kr_sip_check_request_mask(msg, check_mask(msg_checks), &opts, &code, &err) < 0 && code) {
        *reason = kr_str_c(err.reason ? err.reason : "Bad Request");
        if (code == 420 && unsup.len && !unsup.err) {
            struct kr_buf h;
            kr_buf_init_arena(&h, ctx->arena, unsup.len + 20, 2048);
            kr_buf_append_c(&h, "Unsupported: ");
            kr_buf_append_str(&h, kr_buf_str(&unsup));
            kr_buf_append_c(&h, "\r\n");
            if (!h.err) {
                *extra = kr_buf_str(&h);
            }
        }
        return code;
    }
    if (msg_checks & KR_SANITY_PARSE_URIS) {
        const char *why = check_uris(msg, uri_checks);
        if (why) {
            *reason = kr_str_c(why);
            return 400;
        }
    }
    return 0;
}

/* --- what sanity_reply() sends: kept in the context --- */

static const struct kr_str AVP_CODE = { "\x01sanity_code", 12 };
static const struct kr_str AVP_REASON = { "\x01sanity_reason", 14 };
static const struct kr_str AVP_HDRS = { "\x01sanity_hdrs", 12 };

static void push_avp(struct kr_ctx *ctx, struct kr_str name, struct kr_value v)
{
    struct kr_avp *a = kr_arena_zalloc(ctx->arena, sizeof(*a));
    if (a) {
        a->name = name;
        a->val = v;
        a->next = ctx->avps;
        ctx->avps = a;
    }
}

static const struct kr_avp *find_avp(const struct kr_ctx *ctx, struct kr_str name)
{
    for (const struct kr_avp *a = ctx->avps; a; a = a->next) {
        if (kr_str_eq(a->name, name)) {
            return a;
        }
    }
    return NULL;
}

static int do_sanity(struct kr_ctx *ctx, int64_t msg_checks, int64_t uri_checks)
{
    const struct sanity_state *st = kr_module_state(ctx, &kr_mod_sanity);
    struct kr_str reason;
    struct kr_str extra;

    struct kr_str preq =
        st ? kr_str_make(st->proxy_require, st->proxy_require_len) : kr_str_make("", 0);
    unsigned code =
        kr_sanity_run(ctx, (unsigned)msg_checks, (unsigned)uri_checks, preq, &reason, &extra);
    if (code == 0) {
        return 1;
    }
    KR_DBG("request failed sanity checks: %u " KR_STR_FMT, code, KR_STR_ARG(reason));
    push_avp(ctx, AVP_CODE, kr_value_int(code));
    push_avp(ctx, AVP_REASON, kr_value_str(reason));
    push_avp(ctx, AVP_HDRS, kr_value_str(extra));
    if (!(st && st->noreply)) {
        kr_sl_reply(ctx, code, reason, extra);
    }
    return (st && !st->autodrop) ? -1 : 0;
}

static int w_sanity_check(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct sanity_state *st = kr_module_state(ctx, &kr_mod_sanity);
    int64_t msg_checks = st ? st->default_checks : KR_SANITY_DEFAULT_CHECKS;
    int64_t uri_checks = st ? st->uri_checks : KR_SANITY_DEFAULT_URI_CHECKS;

    if (nargs >= 1 && args[0].present && kr_arg_int(ctx, &args[0], &msg_checks) < 0) {
        return -1;
    }
    if (nargs >= 2 && args[1].present && kr_arg_int(ctx, &args[1], &uri_checks) < 0) {
        return -1;
    }
    if (msg_checks < 0 || uri_checks < 0) {
        return -1;
    }
    return do_sanity(ctx, msg_checks, uri_checks);
}

static int w_sanity_reply(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_avp *code = find_avp(ctx, AVP_CODE);
    const struct kr_avp *reason = find_avp(ctx, AVP_REASON);
    const struct kr_avp *hdrs = find_avp(ctx, AVP_HDRS);

    (void)args;
    (void)nargs;
    if (!code || !reason || code->val.type != KR_VAL_INT) {
        return -1;
    }
    struct kr_str extra = hdrs ? hdrs->val.s : kr_str_make("", 0);
    return kr_sl_reply(ctx, (unsigned)code->val.i, reason->val.s, extra) == 0 ? 1 : -1;
}

static int fixup_checks(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    for (unsigned i = 0; i < nargs && i < 2; i++) {
        if (args[i].present && args[i].is_const && args[i].ival < 0) {
            return kr_err_set(fx->err, KR_EINVAL, 0, "sanity checks must be a positive sum");
        }
    }
    return 0;
}

static int sanity_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct sanity_state *s = calloc(1, sizeof(*s));
    if (!s) {
        return kr_err_set(err, KR_ENOMEM, 0, "sanity: out of memory");
    }
    s->default_checks = kr_modparam_int(cfg, "sanity", "default_checks", KR_SANITY_DEFAULT_CHECKS);
    s->uri_checks = kr_modparam_int(cfg, "sanity", "uri_checks", KR_SANITY_DEFAULT_URI_CHECKS);
    s->autodrop = kr_modparam_int(cfg, "sanity", "autodrop", 1) != 0;
    s->noreply = kr_modparam_int(cfg, "sanity", "noreply", 0) != 0;
    struct kr_str pr = kr_modparam_str(cfg, "sanity", "proxy_require", kr_str_make("", 0));
    s->proxy_require = malloc(pr.len + 1);
    if (!s->proxy_require) {
        free(s);
        return kr_err_set(err, KR_ENOMEM, 0, "sanity: out of memory");
    }
    if (pr.len) {
        memcpy(s->proxy_require, pr.ptr, pr.len);
    }
    s->proxy_require[pr.len] = '\0';
    s->proxy_require_len = pr.len;
    if (s->default_checks < 0 || s->uri_checks < 0) {
        free(s->proxy_require);
        free(s);
        return kr_err_set(err, KR_EINVAL, 0, "sanity: checks must be a positive sum of bits");
    }
    *state = s;
    return 0;
}

static void sanity_destroy(void *state)
{
    struct sanity_state *s = state;
    if (s) {
        free(s->proxy_require);
        free(s);
    }
}

static const struct kr_param sanity_params[] = {
    { .name = "default_checks", .type = KR_PARAM_INT },
    { .name = "uri_checks", .type = KR_PARAM_INT },
    { .name = "proxy_require", .type = KR_PARAM_STR },
    { .name = "autodrop", .type = KR_PARAM_INT },
    { .name = "noreply", .type = KR_PARAM_INT },
    { 0 },
};

static const struct kr_func sanity_funcs[] = {
    { .name = "sanity_check",
      .fn = w_sanity_check,
      .args = { KR_ARG_INT_OPT, KR_ARG_INT_OPT },
      .fixup = fixup_checks,
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_REPLY },
    { .name = "sanity_reply", .fn = w_sanity_reply, .routes = KR_ROUTE_REQUEST },
    { 0 },
};

const struct kr_module kr_mod_sanity = {
    .name = "sanity",
    .params = sanity_params,
    .funcs = sanity_funcs,
    .init = sanity_init,
    .destroy = sanity_destroy,
};
