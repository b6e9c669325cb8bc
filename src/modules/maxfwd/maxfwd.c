/* SPDX-License-Identifier: GPL-2.0-or-later */
/* maxfwd: adds or decrements Max-Forwards through the context's edit list and answers
 * questions about the value the message will carry. Module state (max_limit) is built by
 * init and read-only afterwards. Worker threads. */
#define KR_LOG_UNIT "maxfwd"
#include "modules/maxfwd/maxfwd.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/log.h"
#include "sip/build.h"
#include "sip/msg.h"

struct maxfwd_state {
    int64_t max_limit;
};

enum { DEFAULT_MAX_LIMIT = 70 };

static int64_t parse_value(struct kr_str v)
{
    unsigned n;
    struct kr_err err = { 0 };
    return kr_sip_parse_maxfwd(v, &n, &err) < 0 ? -2 : (int64_t)n;
}

/* The value the message carries now: one set by this module (an edit replacing the
 * header's value, or an inserted header) wins over the received one. -1 when there is
 * none, -2 when it does not parse. */
static int64_t current_value(const struct kr_ctx *ctx)
{
    const struct kr_sip_msg *msg = ctx->msg;
    const struct kr_sip_hdr *h = kr_sip_msg_hdr(msg, KR_SIP_HDR_MAX_FORWARDS, 0);
    const struct kr_sip_edit *best = NULL;
    size_t voff = h ? (size_t)(h->value.ptr - msg->buf.ptr) : 0;

    for (size_t i = 0; i < ctx->edits.n; i++) {
        const struct kr_sip_edit *e = &ctx->edits.v[i];
        bool ours = h ? (e->off == voff && e->del == h->value.len)
                      : (e->del == 0 && kr_str_casestarts(e->ins, KR_STR("Max-Forwards:")));
        if (ours && (!best || e->seq > best->seq)) {
            best = e;
        }
    }
    if (best) {
        struct kr_str v = best->ins;
        if (!h) {
            v = kr_str_trim(kr_str_sub(v, sizeof("Max-Forwards:") - 1, v.len));
        }
        return parse_value(v);
    }
    if (!h) {
        return -1;
    }
    return parse_value(h->value);
}

int kr_maxfwd_process(struct kr_ctx *ctx, int64_t max, int64_t max_limit)
{
    const struct kr_sip_msg *msg = ctx->msg;
    struct kr_buf b;

    if (max < 0 || max > 255) {
        KR_ERR("maxfwd: bad value %lld (0-255)", (long long)max);
        return -2;
    }
    if (!msg || !msg->is_request || msg->nhdrs == 0) {
        return -2;
    }
    const struct kr_sip_hdr *h = kr_sip_msg_hdr(msg, KR_SIP_HDR_MAX_FORWARDS, 0);
    kr_buf_init_arena(&b, ctx->arena, 32, 64);
    if (!h) {
        kr_buf_append_c(&b, "Max-Forwards: ");
        kr_buf_append_u64(&b, (unsigned long long)max);
        kr_buf_append_c(&b, "\r\n");
        if (b.err || kr_sip_edit_insert(&ctx->edits, (size_t)(msg->hdrs[0].raw.ptr - msg->buf.ptr),
                                        kr_buf_str(&b)) < 0) {
            return -2;
        }
        return 2;
    }
    int64_t val = parse_value(h->value);
    if (val < 0) {
        KR_DBG("maxfwd: bad Max-Forwards value");
        return -2;
    }
    if (val == 0) {
        return -1;
    }
    if (max_limit > 0 && val > max_limit) {
        val = max_limit + 1;
    }
    kr_buf_append_u64(&b, (unsigned long long)(val - 1));
    if (b.err || kr_sip_edit_replace(&ctx->edits, (size_t)(h->value.ptr - msg->buf.ptr),
                                     h->value.len, kr_buf_str(&b)) < 0) {
        return -2;
    }
    return 1;
}

static int64_t max_limit_of(const struct kr_ctx *ctx)
{
    const struct maxfwd_state *st = kr_module_state(ctx, &kr_mod_maxfwd);
    return st ? st->max_limit : DEFAULT_MAX_LIMIT;
}

static int fixup_max(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 1 && args[0].is_const && (args[0].ival < 0 || args[0].ival > 255)) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "Max-Forwards value must be between 0 and 255");
    }
    return 0;
}

static int w_process(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    int64_t max;
    (void)nargs;
    if (kr_arg_int(ctx, &args[0], &max) < 0) {
        return -2;
    }
    return kr_maxfwd_process(ctx, max, max_limit_of(ctx));
}

static int w_is_maxfwd_lt(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    int64_t limit;
    (void)nargs;
    if (!ctx->msg || kr_arg_int(ctx, &args[0], &limit) < 0 || limit < 0 || limit > 255) {
        return -1;
    }
    int64_t val = current_value(ctx);
    if (val < 0) {
        return (int)val - 1; /* -2 absent, -3 bad */
    }
    return val < limit ? 1 : -1;
}

static int maxfwd_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct maxfwd_state *s = calloc(1, sizeof(*s));
    if (!s) {
        return kr_err_set(err, KR_ENOMEM, 0, "maxfwd: out of memory");
    }
    s->max_limit = kr_modparam_int(cfg, "maxfwd", "max_limit", DEFAULT_MAX_LIMIT);
    if (s->max_limit < 1 || s->max_limit > 256) {
        free(s);
        return kr_err_set(err, KR_EINVAL, 0, "maxfwd: max_limit must be between 1 and 256");
    }
    *state = s;
    return 0;
}

static void maxfwd_destroy(void *state)
{
    free(state);
}

static const struct kr_param maxfwd_params[] = {
    { .name = "max_limit", .type = KR_PARAM_INT },
    { 0 },
};

static const struct kr_func maxfwd_funcs[] = {
    { .name = "mf_process_maxfwd_header",
      .fn = w_process,
      .args = { KR_ARG_INT },
      .fixup = fixup_max,
      .routes = KR_ROUTE_REQUEST },
    { .name = "maxfwd_process",
      .fn = w_process,
      .args = { KR_ARG_INT },
      .fixup = fixup_max,
      .routes = KR_ROUTE_REQUEST },
    { .name = "process_maxfwd",
      .fn = w_process,
      .args = { KR_ARG_INT },
      .fixup = fixup_max,
      .routes = KR_ROUTE_REQUEST },
    { .name = "is_maxfwd_lt",
      .fn = w_is_maxfwd_lt,
      .args = { KR_ARG_INT },
      .fixup = fixup_max,
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_FAILURE | KR_ROUTE_BRANCH },
    { .name = "maxfwd_at_least",
      .fn = w_is_maxfwd_lt,
      .args = { KR_ARG_INT },
      .fixup = fixup_max,
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_FAILURE | KR_ROUTE_BRANCH },
    { .name = "mf_lowlimit",
      .fn = w_is_maxfwd_lt,
      .args = { KR_ARG_INT },
      .fixup = fixup_max,
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_FAILURE | KR_ROUTE_BRANCH },
    { 0 },
};

const struct kr_module kr_mod_maxfwd = {
    .name = "maxfwd",
    .params = maxfwd_params,
    .funcs = maxfwd_funcs,
    .init = maxfwd_init,
    .destroy = maxfwd_destroy,
};
