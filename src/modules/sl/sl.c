/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stateless replies: the sl module's script functions and the C API the receive path uses
 * for its automatic answers. The per-process To-tag prefix is an atomic set once; all
 * other data is per message (arena). Worker threads. */
#define KR_LOG_UNIT "sl"
#include "modules/sl/sl.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/stats.h"
#include "modules/core/fwd.h"
#include "net/addr.h"
#include "sip/build.h"

struct sl_state {
    int64_t default_code;
    struct kr_str default_reason; /* owned by the config */
};

static atomic_uint_fast64_t tag_seed;

/* A random value fixed for the life of the process, so that replies from two korero
 * instances to the same request carry different tags. */
static uint64_t seed(void)
{
    uint_fast64_t s = atomic_load_explicit(&tag_seed, memory_order_acquire);
    if (s) {
        return s;
    }
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        r = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    }
    r |= 1u;
    uint_fast64_t expected = 0;
    atomic_compare_exchange_strong(&tag_seed, &expected, r);
    return atomic_load_explicit(&tag_seed, memory_order_acquire);
}

struct kr_str kr_sl_to_tag(struct kr_ctx *ctx)
{
    const struct kr_sip_msg *msg = ctx->msg;
    struct kr_sip_via top;

    if (ctx->to_tag.len) {
        return ctx->to_tag;
    }
    if (!msg) {
        return kr_str_make("", 0);
    }
    struct kr_str via_id = kr_str_make("", 0);
    if (kr_sip_msg_via1(msg, &top, NULL) == 0) {
        via_id = top.branch.len ? top.branch : top.whole;
    }
    const struct kr_sip_hdr *cid = kr_sip_msg_hdr(msg, KR_SIP_HDR_CALL_ID, 0);
    struct kr_str parts[] = {
        KR_STR("korero-totag"),
        cid ? cid->value : kr_str_make("", 0),
        kr_fwd_hdr_tag(msg, KR_SIP_HDR_FROM),
        via_id,
    };
    uint64_t h = kr_fwd_hash(parts, sizeof(parts) / sizeof(parts[0]));
    char *p = kr_arena_alloc(ctx->arena, 8 + 1 + 16);
    if (!p) {
        return kr_str_make("", 0);
    }
    char s[16];
    kr_fwd_hex64(seed(), s);
    memcpy(p, s, 8);
    p[8] = '-';
    kr_fwd_hex64(h, p + 9);
    ctx->to_tag = kr_str_make(p, 8 + 1 + 16);
    return ctx->to_tag;
}

/* The Server header value: the config's server_header ("Server: korero (0.1.0)") without
 * its name, when server_signature is on. */
static struct kr_str server_value(const struct kr_ctx *ctx)
{
    const struct kr_cfg_core *core = ctx->cfg ? kr_cfg_core(ctx->cfg) : NULL;

    if (!core || !core->server_signature || !core->server_header) {
        return kr_str_make("", 0);
    }
    struct kr_str v = kr_str_trim(kr_str_c(core->server_header));
    long colon = kr_str_chr(v, ':');
    if (colon >= 0 &&
        kr_str_caseeq(kr_str_trim(kr_str_sub(v, 0, (size_t)colon)), KR_STR("Server"))) {
        v = kr_str_trim(kr_str_sub(v, (size_t)colon + 1, v.len));
    }
    return v;
}

/* RFC 3261 §18.2.2 with RFC 3581 §4. */
static int reply_dst(const struct kr_ctx *ctx, const struct kr_sip_via *top, bool top_ok,
                     struct kr_send_dst *dst)
{
    const struct kr_rcv *rcv = ctx->rcv;

    if (!rcv) {
        return KR_EINVAL;
    }
    /* Answer from the address the request arrived at (it matters on wildcard sockets). */
    *dst = (struct kr_send_dst){
        .proto = rcv->proto, .to = rcv->src, .from = rcv->sock, .src_ip = &rcv->dst
    };
    if (kr_proto_is_stream(rcv->proto)) {
        dst->conn_id = rcv->conn_id;
        if (ctx->reply_flags & KR_REPLY_NO_CONNECT) {
            dst->flags |= KR_SEND_NO_CONNECT;
        }
        if (ctx->reply_flags & KR_REPLY_CLOSE) {
            dst->flags |= KR_SEND_CLOSE;
        }
        return 0;
    }
    if (top_ok && !top->has_rport && !ctx->force_rport) {
        kr_addr_set_port(&dst->to, top->port_no ? top->port_no : 5060);
    }
    return 0;
}

static int build(struct kr_ctx *ctx, unsigned code, struct kr_str reason, struct kr_str extra,
                 struct kr_str ctype, struct kr_str body, struct kr_buf *out,
                 struct kr_send_dst *dst)
{
    const struct kr_sip_msg *msg = ctx->msg;
    struct kr_sip_via top;
    struct kr_fwd_via_fix fix = { .add = kr_str_make("", 0) };
    int rc;

    if (!msg || !msg->is_request || msg->method_id == KR_SIP_METHOD_ACK || !ctx->rcv) {
        return KR_EINVAL;
    }
    bool top_ok = kr_sip_msg_via1(msg, &top, NULL) == 0;
    if (top_ok) {
        rc = kr_fwd_via_fix(ctx, &top, &fix);
        if (rc < 0) {
            return rc;
        }
    }
    struct kr_sip_reply_opts o = {
        .code = code,
        .reason = reason,
        .to_tag = code > 100 ? kr_sl_to_tag(ctx) : kr_str_make("", 0),
        .via_add = fix.add,
        .via_insert_at = fix.rport_at,
        .via_insert = fix.rport_val,
        .extra_headers = extra,
        .server = server_value(ctx),
        .content_type = ctype,
        .body = body,
    };
    rc = kr_sip_build_reply(msg, &o, out);
    if (rc < 0) {
        return rc;
    }
    return reply_dst(ctx, &top, top_ok, dst);
}

int kr_sl_build_reply(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                      struct kr_str extra_headers, struct kr_buf *out, struct kr_send_dst *dst)
{
    return build(ctx, code, reason, extra_headers, kr_str_make("", 0), kr_str_make("", 0), out,
                 dst);
}

int kr_sl_build_reply_body(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                           struct kr_str extra_headers, struct kr_str content_type,
                           struct kr_str body, struct kr_buf *out, struct kr_send_dst *dst)
{
    return build(ctx, code, reason, extra_headers, content_type, body, out, dst);
}

int kr_sl_reply_body(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                     struct kr_str extra_headers, struct kr_str content_type, struct kr_str body)
{
    struct kr_buf out;
    struct kr_send_dst dst;

    if (!ctx->msg) {
        return KR_EINVAL;
    }
    if (ctx->msg->is_request && ctx->msg->method_id == KR_SIP_METHOD_ACK) {
        KR_DBG("not answering an ACK");
        return KR_EINVAL;
    }
    kr_buf_init_arena(&out, ctx->arena, 512 + ctx->msg->headers.len + body.len, KR_SIP_MAX_MSG);
    int rc = build(ctx, code, reason, extra_headers, content_type, body, &out, &dst);
    if (rc < 0) {
        KR_DBG("cannot build %u reply: %s", code, kr_strerror(rc));
        return rc;
    }
    rc = kr_net_send(ctx->worker, &dst, out.ptr, out.len);
    if (rc < 0) {
        char a[KR_ADDR_STRLEN];
        KR_INFO("sending %u reply to %s:%s failed: %s", code, kr_proto_name(dst.proto),
                kr_addr_str(&dst.to, a, sizeof(a)), kr_strerror(rc));
        return rc;
    }
    kr_stat_inc(KR_STAT_SENT_REPLIES);
    ctx->replied = true;
    return 0;
}

int kr_sl_reply(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                struct kr_str extra_headers)
{
    return kr_sl_reply_body(ctx, code, reason, extra_headers, kr_str_make("", 0),
                            kr_str_make("", 0));
}

/* --- script functions --- */

static const struct sl_state *state_of(const struct kr_ctx *ctx)
{
    return kr_module_state(ctx, &kr_mod_sl);
}

static int fixup_code(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 1 && args[0].is_const && (args[0].ival < 100 || args[0].ival > 699)) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "reply code must be between 100 and 699");
    }
    return 0;
}

static int w_send_reply(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct sl_state *st = state_of(ctx);
    int64_t code = 0;
    struct kr_str reason = kr_str_make("", 0);

    if (nargs < 2 || kr_arg_int(ctx, &args[0], &code) < 0 ||
        kr_arg_str(ctx, &args[1], &reason) < 0 || code < 100 || code > 699) {
        KR_WARN("sl_send_reply: bad reply code or reason, sending the default reply");
        code = st ? st->default_code : 500;
        reason = st ? st->default_reason : KR_STR("Internal Server Error");
    }
    return kr_sl_reply(ctx, (unsigned)code, reason, kr_str_make("", 0)) == 0 ? 1 : -1;
}

static int w_sl_reply_error(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct sl_state *st = state_of(ctx);
    unsigned code = st ? (unsigned)st->default_code : 500;
    struct kr_str reason = st ? st->default_reason : KR_STR("Internal Server Error");

    (void)args;
    (void)nargs;
    return kr_sl_reply(ctx, code, reason, kr_str_make("", 0)) == 0 ? 1 : -1;
}

static int sl_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct sl_state *s = calloc(1, sizeof(*s));

    if (!s) {
        return kr_err_set(err, KR_ENOMEM, 0, "sl: out of memory");
    }
    s->default_code = kr_modparam_int(cfg, "sl", "default_code", 500);
    if (s->default_code < 100 || s->default_code > 699) {
        free(s);
        return kr_err_set(err, KR_EINVAL, 0, "sl: default_code must be between 100 and 699");
    }
    s->default_reason =
        kr_modparam_str(cfg, "sl", "default_reason", KR_STR("Internal Server Error"));
    *state = s;
    return 0;
}

static void sl_destroy(void *state)
{
    free(state);
}

static const struct kr_param sl_params[] = {
    { .name = "default_code", .type = KR_PARAM_INT },
    { .name = "default_reason", .type = KR_PARAM_STR },
    { .name = "bind_tm", .type = KR_PARAM_INT },
    { 0 },
};

static const struct kr_func sl_funcs[] = {
    { .name = "sl_send_reply",
      .fn = w_send_reply,
      .args = { KR_ARG_INT, KR_ARG_STR },
      .fixup = fixup_code,
      .routes = KR_ROUTE_REQUEST },
    { .name = "send_reply",
      .fn = w_send_reply,
      .args = { KR_ARG_INT, KR_ARG_STR },
      .fixup = fixup_code,
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_FAILURE },
    { .name = "sl_reply_error", .fn = w_sl_reply_error, .routes = KR_ROUTE_REQUEST },
    { 0 },
};

const struct kr_module kr_mod_sl = {
    .name = "sl",
    .params = sl_params,
    .funcs = sl_funcs,
    .init = sl_init,
    .destroy = sl_destroy,
};
