/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stateless forwarding of requests and replies (RFC 3261 §16.11, §18.2.1, §18.2.2;
 * RFC 3581). Edits are made on a copy of the context's edit list; text comes from the
 * per-message arena. Worker threads, one message at a time. */
#define KR_LOG_UNIT "fwd"
#include "modules/core/fwd.h"

#include <string.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/stats.h"
#include "net/addr.h"
#include "sip/build.h"
#include "sip/lex.h"

enum {
    SIP_PORT = 5060,
    BRANCH_LEN = 7 + 16, /* "z9hG4bK" + 16 hex digits */
};

uint64_t kr_fwd_hash(const struct kr_str *parts, size_t n)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a 64 */

    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < parts[i].len; j++) {
            h = (h ^ (uint8_t)parts[i].ptr[j]) * 1099511628211ull;
        }
        h = (h ^ 0xffu) * 1099511628211ull;
    }
    return h;
}

void kr_fwd_hex64(uint64_t v, char out[16])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 15; i >= 0; i--) {
        out[i] = digits[v & 15u];
        v >>= 4;
    }
}

struct kr_str kr_fwd_hdr_tag(const struct kr_sip_msg *msg, enum kr_sip_hdr_type t)
{
    struct kr_sip_nameaddr na;
    int rc = t == KR_SIP_HDR_FROM ? kr_sip_msg_from(msg, &na, NULL)
             : t == KR_SIP_HDR_TO ? kr_sip_msg_to(msg, &na, NULL)
                                  : KR_EINVAL;

    if (rc < 0) {
        return kr_str_make("", 0);
    }
    return na.tag.ptr ? na.tag : kr_str_make("", 0);
}

int kr_fwd_top_via(const struct kr_sip_msg *msg, struct kr_sip_via *via,
                   const struct kr_sip_hdr **hdr, struct kr_str *rest)
{
    const struct kr_sip_hdr *h = kr_sip_msg_hdr(msg, KR_SIP_HDR_VIA, 0);
    struct kr_str r = KR_STR_NULL;

    if (!h) {
        return KR_ENOTFOUND;
    }
    int rc = kr_sip_msg_via1(msg, via, &r);
    if (rc < 0) {
        return rc;
    }
    if (hdr) {
        *hdr = h;
    }
    if (rest) {
        *rest = r;
    }
    return 0;
}

/* Text of a port number in the arena. */
static struct kr_str port_text(struct kr_arena *a, const char *prefix, uint16_t port)
{
    struct kr_buf b;

    kr_buf_init_arena(&b, a, 16, 32);
    kr_buf_append_c(&b, prefix);
    kr_buf_append_u64(&b, port);
    return b.err ? KR_STR_NULL : kr_buf_str(&b);
}

int kr_fwd_via_fix(struct kr_ctx *ctx, const struct kr_sip_via *via, struct kr_fwd_via_fix *fix)
{
    const struct kr_rcv *rcv = ctx->rcv;
    bool has_rport = false;
    bool has_received = false;
    const char *rport_at = NULL;
    bool rport_has_eq = false;
    struct kr_str rest = via->params;
    struct kr_str name;
    struct kr_str value;

    *fix = (struct kr_fwd_via_fix){ .add = kr_str_make("", 0) };
    if (!rcv) {
        return 0;
    }
    const char *pend = via->params.ptr + via->params.len;
    while (kr_sip_params_next(&rest, &name, &value)) {
        if (kr_str_caseeq(name, KR_STR("rport"))) {
            has_rport = true;
            if (value.len == 0) {
                /* "rport" or "rport=": the value goes right after the name or the '='. */
                const char *p = name.ptr + name.len;
                while (p < pend && (*p == ' ' || *p == '\t')) {
                    p++;
                }
                rport_has_eq = p < pend && *p == '=';
                rport_at = rport_has_eq ? p + 1 : name.ptr + name.len;
            }
        } else if (kr_str_caseeq(name, KR_STR("received"))) {
            has_received = true;
        }
    }

    bool need_rport = has_rport || ctx->force_rport;
    char ip[KR_ADDR_STRLEN];
    kr_addr_ip_str(&rcv->src, ip, sizeof(ip));
    /* RFC 3261 §18.2.1: received= when the sent-by host is not the source address. The
     * canonical IPv4 text compares as text; anything else goes through the parser. */
    bool differs = !kr_str_eq(via->host, kr_str_c(ip));
    struct kr_sockaddr host_addr;
    if (differs && rcv->src.u.sa.sa_family == AF_INET6 &&
        kr_addr_from_ip(via->host, 0, &host_addr) == 0 && kr_addr_ip_eq(&host_addr, &rcv->src)) {
        differs = false;
    }
    uint16_t sport = kr_addr_port(&rcv->src);

    struct kr_buf b;
    kr_buf_init_arena(&b, ctx->arena, 96, 256);
    if ((differs || need_rport) && !has_received) {
        kr_buf_append_c(&b, ";received=");
        kr_buf_append_c(&b, ip);
    }
    if (ctx->force_rport && !has_rport) {
        kr_buf_append_c(&b, ";rport=");
        kr_buf_append_u64(&b, sport);
    }
    if (b.err) {
        return KR_ENOMEM;
    }
    fix->add = kr_buf_str(&b);
    if (rport_at) {
        fix->rport_at = rport_at;
        fix->rport_val = port_text(ctx->arena, rport_has_eq ? "" : "=", sport);
        if (!fix->rport_val.ptr) {
            return KR_ENOMEM;
        }
    }
    return 0;
}

static bool has_cookie(struct kr_str branch)
{
    return branch.len > 7 && memcmp(branch.ptr, "z9hG4bK", 7) == 0;
}

struct kr_str kr_fwd_branch(struct kr_ctx *ctx, const struct kr_sip_via *top)
{
    const struct kr_sip_msg *msg = ctx->msg;
    uint64_t h;

    if (top && has_cookie(top->branch)) {
        struct kr_str parts[] = { KR_STR("korero-branch"), top->branch };
        h = kr_fwd_hash(parts, 2);
    } else {
        const struct kr_sip_hdr *cid = kr_sip_msg_hdr(msg, KR_SIP_HDR_CALL_ID, 0);
        struct kr_sip_cseq cs = { 0 };
        char num[24];
        size_t numlen = 0;

        if (kr_sip_msg_cseq(msg, &cs) == 0) {
            struct kr_buf nb;
            kr_buf_init_fixed(&nb, num, sizeof(num));
            kr_buf_append_u64(&nb, cs.num);
            numlen = nb.err ? 0 : nb.len;
        }
        struct kr_str parts[] = {
            KR_STR("korero-branch-2543"),
            cid ? cid->value : kr_str_make("", 0),
            kr_fwd_hdr_tag(msg, KR_SIP_HDR_FROM),
            kr_fwd_hdr_tag(msg, KR_SIP_HDR_TO),
            kr_str_make(num, numlen),
            msg->ruri,
        };
        h = kr_fwd_hash(parts, sizeof(parts) / sizeof(parts[0]));
    }
    char *p = kr_arena_alloc(ctx->arena, BRANCH_LEN);
    if (!p) {
        return KR_STR_NULL;
    }
    memcpy(p, "z9hG4bK", 7);
    kr_fwd_hex64(h, p + 7);
    return kr_str_make(p, BRANCH_LEN);
}

/* --- destinations --- */

struct target {
    struct kr_str host; /* IPv6 keeps its brackets */
    uint16_t port;      /* 0: default */
    enum kr_uri_proto proto;
};

static int target_from_uri(struct kr_str s, struct target *t)
{
    struct kr_sip_uri u;
    struct kr_err err = { 0 };

    if (kr_sip_uri_parse(s, &u, &err) < 0) {
        KR_DBG("cannot forward to " KR_STR_FMT ": %s", KR_STR_ARG(s),
               err.reason ? err.reason : "bad URI");
        return KR_EPARSE;
    }
    if (u.scheme == KR_URI_SIPS) {
        KR_INFO("cannot forward to " KR_STR_FMT ": sips (TLS) is not supported yet", KR_STR_ARG(s));
        return KR_EINVAL;
    }
    if (u.scheme != KR_URI_SIP) {
        KR_DBG("cannot forward to " KR_STR_FMT ": not a sip: URI", KR_STR_ARG(s));
        return KR_EINVAL;
    }
    t->host = u.host;
    t->port = u.port_no;
    t->proto = u.proto;
    return 0;
}

/* "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address. */
static int target_from_hostport(struct kr_str s, struct target *t)
{
    struct kr_str port = KR_STR_NULL;

    s = kr_str_trim(s);
    if (s.len == 0) {
        return KR_EINVAL;
    }
    if (s.ptr[0] == '[') {
        long close = kr_str_chr(s, ']');
        if (close < 0) {
            return KR_EPARSE;
        }
        t->host = kr_str_sub(s, 0, (size_t)close + 1);
        struct kr_str after = kr_str_sub(s, (size_t)close + 1, s.len);
        if (after.len) {
            if (after.ptr[0] != ':') {
                return KR_EPARSE;
            }
            port = kr_str_sub(after, 1, after.len);
        }
    } else {
        long colon = kr_str_chr(s, ':');
        struct kr_str tail = colon >= 0 ? kr_str_sub(s, (size_t)colon + 1, s.len) : KR_STR_NULL;
        if (colon >= 0 && kr_str_chr(tail, ':') < 0) {
            t->host = kr_str_sub(s, 0, (size_t)colon);
            port = tail;
        } else {
            t->host = s; /* no port, or a bare IPv6 address */
        }
    }
    if (port.ptr) {
        uint64_t v;
        if (kr_str_to_u64(port, 65535, &v) < 0 || v == 0) {
            return KR_EPARSE;
        }
        t->port = (uint16_t)v;
    }
    return t->host.len ? 0 : KR_EPARSE;
}

static int resolve(struct kr_str host, uint16_t port, struct kr_sockaddr *to)
{
    if (host.len >= 2 && host.ptr[0] == '[' && host.ptr[host.len - 1] == ']') {
        host = kr_str_sub(host, 1, host.len - 2);
    }
    if (kr_addr_from_ip(host, port, to) == 0) {
        return 0;
    }
    return kr_addr_resolve(host, port, to) < 0 ? KR_ENOTFOUND : 0;
}

static bool proto_supported(enum kr_uri_proto p)
{
    return p == KR_PROTO_UDP || p == KR_PROTO_TCP;
}

/* A private copy of the script's edits, with room for a few more. */
static int edits_copy(struct kr_ctx *ctx, struct kr_sip_edits *e)
{
    *e = ctx->edits;
    size_t cap = ctx->edits.n + 8;
    struct kr_sip_edit *v = kr_arena_alloc(ctx->arena, cap * sizeof(*v));
    if (!v) {
        return KR_ENOMEM;
    }
    if (ctx->edits.n) {
        memcpy(v, ctx->edits.v, ctx->edits.n * sizeof(*v));
    }
    e->v = v;
    e->cap = cap;
    if (!e->arena) {
        e->arena = ctx->arena;
    }
    return 0;
}

static size_t off_of(const struct kr_sip_msg *msg, const char *p)
{
    return (size_t)(p - msg->buf.ptr);
}

/* "Via: SIP/2.0/UDP host:port;branch=...\r\n" */
static int our_via(struct kr_ctx *ctx, const struct kr_listen *ls, enum kr_uri_proto proto,
                   struct kr_str branch, struct kr_str *out)
{
    struct kr_str host = ctx->adv_addr.len ? ctx->adv_addr : kr_str_c(ls->adv_host);
    struct kr_buf b;

    if (host.len == 0) {
        host = kr_str_c(ls->ip);
    }
    kr_buf_init_arena(&b, ctx->arena, 128, 512);
    kr_buf_append_c(&b, "Via: SIP/2.0/");
    kr_buf_append_c(&b, kr_proto_name_uc(proto));
    kr_buf_append_char(&b, ' ');
    bool bare_v6 = kr_str_chr(host, ':') >= 0 && host.ptr[0] != '[';
    if (bare_v6) {
        kr_buf_append_char(&b, '[');
    }
    kr_buf_append_str(&b, host);
    if (bare_v6) {
        kr_buf_append_char(&b, ']');
    }
    kr_buf_append_char(&b, ':');
    if (ctx->adv_port.len) {
        kr_buf_append_str(&b, ctx->adv_port);
    } else {
        kr_buf_append_u64(&b, ls->adv_port ? ls->adv_port : ls->port);
    }
    kr_buf_append_c(&b, ";branch=");
    kr_buf_append_str(&b, branch);
    kr_buf_append_c(&b, "\r\n");
    if (b.err) {
        return b.err;
    }
    *out = kr_buf_str(&b);
    return 0;
}

static int build_request(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                         enum kr_uri_proto proto, bool force_proto, struct kr_buf *out,
                         struct kr_send_dst *dst)
{
    const struct kr_sip_msg *msg = ctx->msg;
    struct target t = { 0 };
    int rc;

    if (!msg || !msg->is_request || msg->nhdrs == 0) {
        return KR_EINVAL;
    }
    if (host.len == 0) {
        struct kr_str uri = ctx->dst_uri.len ? ctx->dst_uri : kr_ctx_ruri(ctx);
        rc = target_from_uri(uri, &t);
    } else if (kr_str_casestarts(host, KR_STR("sip:")) ||
               kr_str_casestarts(host, KR_STR("sips:"))) {
        rc = target_from_uri(host, &t);
    } else {
        rc = target_from_hostport(host, &t);
        if (rc < 0) {
            KR_ERR("forward: bad destination " KR_STR_FMT, KR_STR_ARG(host));
        }
    }
    if (rc < 0) {
        return rc;
    }
    if (port) {
        t.port = port;
    }
    enum kr_uri_proto p = KR_PROTO_UDP;
    if (force_proto && proto != KR_PROTO_NONE) {
        p = proto;
    } else if (t.proto != KR_PROTO_NONE) {
        p = t.proto;
    } else if (proto != KR_PROTO_NONE) {
        p = proto;
    }
    if (!proto_supported(p)) {
        KR_INFO("forward: transport %s is not supported yet", kr_proto_name(p));
        return KR_EINVAL;
    }
    if (t.port == 0) {
        t.port = SIP_PORT;
    }

    *dst = (struct kr_send_dst){ .proto = p };
    if (resolve(t.host, t.port, &dst->to) < 0) {
        KR_INFO("forward: cannot resolve " KR_STR_FMT, KR_STR_ARG(t.host));
        return KR_ENOTFOUND;
    }
    const struct kr_listen *ls = ctx->force_sock;
    if (ls && ls->proto != p) {
        KR_DBG("forced socket %s does not match transport %s: ignored", ls->name, kr_proto_name(p));
        ls = NULL;
    }
    if (!ls) {
        ls = kr_net_pick_listen(p, &dst->to);
    }
    if (!ls) {
        char a[KR_ADDR_STRLEN];
        KR_ERR("forward: no %s socket to send to %s", kr_proto_name(p),
               kr_addr_str(&dst->to, a, sizeof(a)));
        return KR_ENOTFOUND;
    }
    dst->from = ls;

    struct kr_sip_via top;
    const struct kr_sip_hdr *vh;
    struct kr_str rest;
    rc = kr_fwd_top_via(msg, &top, &vh, &rest);
    if (rc < 0) {
        KR_DBG("forward: request without a usable Via");
        return KR_EPARSE;
    }
    struct kr_sip_edits e;
    rc = edits_copy(ctx, &e);
    if (rc < 0) {
        return rc;
    }
    struct kr_str branch = kr_fwd_branch(ctx, &top);
    struct kr_str via;
    if (!branch.ptr || our_via(ctx, ls, p, branch, &via) < 0) {
        return KR_ENOMEM;
    }
    rc = kr_sip_edit_insert(&e, off_of(msg, msg->hdrs[0].raw.ptr), via);
    struct kr_fwd_via_fix fix;
    if (rc == 0) {
        rc = kr_fwd_via_fix(ctx, &top, &fix);
    }
    if (rc == 0 && fix.rport_at) {
        rc = kr_sip_edit_insert(&e, off_of(msg, fix.rport_at), fix.rport_val);
    }
    if (rc == 0 && fix.add.len) {
        rc = kr_sip_edit_insert(&e, off_of(msg, top.whole.ptr + top.whole.len), fix.add);
    }
    if (rc == 0 && ctx->new_ruri.ptr && !kr_str_eq(ctx->new_ruri, msg->ruri)) {
        rc = kr_sip_edit_replace(&e, off_of(msg, msg->ruri.ptr), msg->ruri.len, ctx->new_ruri);
    }
    if (rc < 0) {
        return rc;
    }
    return kr_sip_build(msg, &e, false, out);
}

int kr_fwd_build_request(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                         enum kr_uri_proto proto, struct kr_buf *out, struct kr_send_dst *dst)
{
    return build_request(ctx, host, port, proto, false, out, dst);
}

int kr_fwd_build_request_proto(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                               enum kr_uri_proto proto, struct kr_buf *out, struct kr_send_dst *dst)
{
    return build_request(ctx, host, port, proto, true, out, dst);
}

static int send_request(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                        enum kr_uri_proto proto, bool force_proto)
{
    struct kr_buf out;
    struct kr_send_dst dst;

    if (!ctx->msg) {
        return KR_EINVAL;
    }
    kr_buf_init_arena(&out, ctx->arena, ctx->msg->buf.len + 256, KR_SIP_MAX_MSG);
    int rc = build_request(ctx, host, port, proto, force_proto, &out, &dst);
    if (rc == 0) {
        rc = kr_net_send(ctx->worker, &dst, out.ptr, out.len);
        if (rc < 0) {
            char a[KR_ADDR_STRLEN];
            KR_INFO("forward to %s:%s failed: %s", kr_proto_name(dst.proto),
                    kr_addr_str(&dst.to, a, sizeof(a)), kr_strerror(rc));
        }
    }
    if (rc < 0) {
        /* Failed sends are counted by the transport (core.send_errors); the receive
         * path counts the request as dropped. */
        return rc;
    }
    kr_stat_inc(KR_STAT_FWD_REQUESTS);
    ctx->forwarded = true;
    return 0;
}

int kr_fwd_request(struct kr_ctx *ctx, struct kr_str host, uint16_t port, enum kr_uri_proto proto)
{
    return send_request(ctx, host, port, proto, false);
}

int kr_fwd_request_proto(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                         enum kr_uri_proto proto)
{
    return send_request(ctx, host, port, proto, true);
}

/* --- replies --- */

static bool listen_matches(const struct kr_listen *ls, struct kr_str host,
                           const struct kr_sockaddr *addr, bool addr_ok, uint16_t port)
{
    if (!ls) {
        return false;
    }
    uint16_t adv_port = ls->adv_port ? ls->adv_port : ls->port;
    if (port == adv_port && ls->adv_host[0] && kr_str_caseeq(host, kr_str_c(ls->adv_host))) {
        return true;
    }
    return port == ls->port && addr_ok && !ls->is_wildcard && kr_addr_ip_eq(addr, &ls->addr);
}

bool kr_fwd_is_local(const struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                     enum kr_uri_proto proto)
{
    struct kr_sockaddr addr;

    if (port == 0) {
        port = proto == KR_PROTO_TLS ? 5061 : SIP_PORT;
    }
    bool addr_ok = kr_addr_from_ip(host, port, &addr) == 0;
    if (ctx->rcv && listen_matches(ctx->rcv->sock, host, &addr, addr_ok, port)) {
        return true;
    }
    if (listen_matches(ctx->force_sock, host, &addr, addr_ok, port)) {
        return true;
    }
    size_t n = 0;
    const struct kr_listen *ls = kr_net_listens(&n);
    for (size_t i = 0; i < n; i++) {
        if (listen_matches(&ls[i], host, &addr, addr_ok, port)) {
            return true;
        }
    }
    return ctx->cfg && kr_cfg_is_myself(ctx->cfg, host, port);
}

static int parse_via_at(struct kr_str v, struct kr_sip_via *via)
{
    struct kr_str rest;
    struct kr_err err = { 0 };
    return kr_sip_parse_via(v, via, &rest, &err);
}

int kr_fwd_build_reply(struct kr_ctx *ctx, struct kr_buf *out, struct kr_send_dst *dst)
{
    const struct kr_sip_msg *msg = ctx->msg;
    struct kr_sip_via v1;
    struct kr_sip_via v2;
    const struct kr_sip_hdr *h1;
    struct kr_str rest;

    if (!msg || msg->is_request) {
        return KR_EINVAL;
    }
    int rc = kr_fwd_top_via(msg, &v1, &h1, &rest);
    if (rc < 0) {
        KR_DBG("reply: no usable top Via");
        return rc == KR_ENOTFOUND ? KR_EPARSE : rc;
    }
    if (!kr_fwd_is_local(ctx, v1.host, v1.port_no, v1.proto)) {
        KR_DBG("reply: top Via " KR_STR_FMT " is not ours", KR_STR_ARG(v1.whole));
        return KR_ENOTFOUND;
    }
    const char *next = NULL;
    if (rest.len) {
        const char *end = rest.ptr + rest.len;
        next = kr_sip_skip_lws(rest.ptr, end);
        rc = parse_via_at(kr_str_make(next, (size_t)(end - next)), &v2);
    } else {
        const struct kr_sip_hdr *h2 = kr_sip_msg_hdr(msg, KR_SIP_HDR_VIA, 1);
        if (!h2) {
            KR_DBG("reply: only one Via, it was for us");
            return KR_ENOTFOUND;
        }
        rc = parse_via_at(h2->value, &v2);
    }
    if (rc < 0) {
        KR_DBG("reply: bad second Via");
        return KR_EPARSE;
    }
    if (!proto_supported(v2.proto)) {
        KR_DBG("reply: transport " KR_STR_FMT " not supported", KR_STR_ARG(v2.transport));
        return KR_EINVAL;
    }

    /* RFC 3261 §18.2.2 with RFC 3581 §4: maddr, else received, else sent-by; rport. */
    struct kr_str host = v2.host;
    struct kr_str maddr;
    if (kr_sip_param_find(v2.params, KR_STR("maddr"), &maddr) && maddr.len) {
        host = maddr;
    } else if (v2.received.len) {
        host = v2.received;
    }
    uint16_t port = v2.port_no ? v2.port_no : SIP_PORT;
    if (v2.has_rport && v2.rport.len) {
        uint64_t rp;
        if (kr_str_to_u64(v2.rport, 65535, &rp) == 0 && rp) {
            port = (uint16_t)rp;
        }
    }
    *dst = (struct kr_send_dst){ .proto = v2.proto };
    if (resolve(host, port, &dst->to) < 0) {
        KR_INFO("reply: cannot resolve " KR_STR_FMT, KR_STR_ARG(host));
        return KR_ENOTFOUND;
    }
    if (ctx->force_sock && ctx->force_sock->proto == v2.proto) {
        dst->from = ctx->force_sock;
    }
    if (ctx->reply_flags & KR_REPLY_NO_CONNECT) {
        dst->flags |= KR_SEND_NO_CONNECT;
    }
    if (ctx->reply_flags & KR_REPLY_CLOSE) {
        dst->flags |= KR_SEND_CLOSE;
    }

    struct kr_sip_edits e;
    rc = edits_copy(ctx, &e);
    if (rc < 0) {
        return rc;
    }
    if (next) {
        rc = kr_sip_edit_delete(&e, off_of(msg, h1->value.ptr), (size_t)(next - h1->value.ptr));
    } else {
        rc = kr_sip_edit_delete(&e, off_of(msg, h1->raw.ptr), h1->raw.len);
    }
    if (rc < 0) {
        return rc;
    }
    return kr_sip_build(msg, &e, false, out);
}

int kr_fwd_reply(struct kr_ctx *ctx)
{
    struct kr_buf out;
    struct kr_send_dst dst;

    if (!ctx->msg) {
        return KR_EINVAL;
    }
    if (ctx->dropped) {
        kr_stat_inc(KR_STAT_DROP_REPLIES);
        return 1;
    }
    kr_buf_init_arena(&out, ctx->arena, ctx->msg->buf.len + 64, KR_SIP_MAX_MSG);
    int rc = kr_fwd_build_reply(ctx, &out, &dst);
    if (rc < 0) {
        kr_stat_inc(KR_STAT_DROP_REPLIES);
        return rc;
    }
    rc = kr_net_send(ctx->worker, &dst, out.ptr, out.len);
    if (rc < 0) {
        char a[KR_ADDR_STRLEN];
        KR_INFO("relaying reply to %s:%s failed: %s", kr_proto_name(dst.proto),
                kr_addr_str(&dst.to, a, sizeof(a)), kr_strerror(rc));
        return rc;
    }
    kr_stat_inc(KR_STAT_FWD_REPLIES);
    return 0;
}
