/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core's message pseudo-variables ($ru, $fu, $si, $hdr(X), ...): values read from
 * kr_ctx_sip(ctx) (headers parsed on demand and cached in ctx->pv_cache, arena memory) and
 * ctx->rcv. $ru/$rU/$rd/$rp/$du/$mf are writable. Worker threads. */
#include "cfg/pv_core.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "cfg/tree.h"
#include "core/buf.h"
#include "sip/msg.h"
#include "sip/uri.h"

struct kr_pv_nameaddr {
    bool done;
    int rc;
    struct kr_sip_nameaddr na;
    bool uri_done;
    int uri_rc;
    struct kr_sip_uri uri;
};

struct kr_pv_cache {
    struct kr_str ruri_src; /* the R-URI text ruri was parsed from */
    int ruri_rc;
    struct kr_sip_uri ruri;
    struct kr_str du_src;
    int du_rc;
    struct kr_sip_uri du;
    struct kr_pv_nameaddr from, to, pai;
    bool auth_done;
    int auth_rc;
    struct kr_sip_auth auth;
    bool cseq_done;
    int cseq_rc;
    struct kr_sip_cseq cseq;
};

static struct kr_pv_cache *cache(struct kr_ctx *ctx)
{
    if (ctx->pv_cache == NULL) {
        ctx->pv_cache = kr_arena_zalloc(ctx->arena, sizeof(struct kr_pv_cache));
    }
    return ctx->pv_cache;
}

static int set_str(struct kr_value *out, struct kr_str s)
{
    *out = (s.ptr && s.len) ? kr_value_str(s) : kr_value_null();
    return 0;
}

static int set_null(struct kr_value *out)
{
    *out = kr_value_null();
    return 0;
}

/* --- parsed pieces --- */

static const struct kr_sip_uri *cur_ruri(struct kr_ctx *ctx)
{
    struct kr_pv_cache *c = cache(ctx);
    struct kr_str s = kr_ctx_ruri(ctx);

    if (c == NULL || s.ptr == NULL || s.len == 0) {
        return NULL;
    }
    if (c->ruri_src.ptr != s.ptr || c->ruri_src.len != s.len) {
        struct kr_err err = { 0 };
        c->ruri_src = s;
        c->ruri_rc = kr_sip_uri_parse(s, &c->ruri, &err);
    }
    return c->ruri_rc == 0 ? &c->ruri : NULL;
}

static const struct kr_sip_uri *cur_du(struct kr_ctx *ctx)
{
    struct kr_pv_cache *c = cache(ctx);
    struct kr_str s = ctx->dst_uri;

    if (c == NULL || s.ptr == NULL || s.len == 0) {
        return NULL;
    }
    if (c->du_src.ptr != s.ptr || c->du_src.len != s.len) {
        struct kr_err err = { 0 };
        c->du_src = s;
        c->du_rc = kr_sip_uri_parse(s, &c->du, &err);
    }
    return c->du_rc == 0 ? &c->du : NULL;
}

static struct kr_pv_nameaddr *nameaddr(struct kr_ctx *ctx, enum kr_sip_hdr_type t)
{
    struct kr_pv_cache *c = cache(ctx);
    struct kr_pv_nameaddr *p;

    if (c == NULL || kr_ctx_sip(ctx) == NULL) {
        return NULL;
    }
    p = t == KR_SIP_HDR_FROM ? &c->from : &c->to;
    if (!p->done) {
        /* The message keeps From/To parsed (the core's checks parsed them already). */
        p->done = true;
        p->rc = t == KR_SIP_HDR_FROM ? kr_sip_msg_from(kr_ctx_sip(ctx), &p->na, NULL)
                                     : kr_sip_msg_to(kr_ctx_sip(ctx), &p->na, NULL);
    }
    return p->rc == 0 ? p : NULL;
}

static struct kr_pv_nameaddr *nameaddr_by_name(struct kr_ctx *ctx, struct kr_pv_nameaddr *p,
                                               struct kr_str hname)
{
    if (kr_ctx_sip(ctx) == NULL) {
        return NULL;
    }
    if (!p->done) {
        const struct kr_sip_hdr *h = kr_sip_msg_hdr_by_name(kr_ctx_sip(ctx), hname, 0);
        struct kr_err err = { 0 };
        struct kr_str rest;
        p->done = true;
        p->rc = h ? kr_sip_parse_nameaddr(h->value, &p->na, &rest, &err) : KR_ENOTFOUND;
    }
    return p->rc == 0 ? p : NULL;
}

static const struct kr_sip_uri *nameaddr_uri(struct kr_pv_nameaddr *p)
{
    if (p == NULL) {
        return NULL;
    }
    if (!p->uri_done) {
        struct kr_err err = { 0 };
        p->uri_done = true;
        p->uri_rc = kr_sip_uri_parse(p->na.uri, &p->uri, &err);
    }
    return p->uri_rc == 0 ? &p->uri : NULL;
}

static const struct kr_sip_auth *auth(struct kr_ctx *ctx)
{
    struct kr_pv_cache *c = cache(ctx);

    if (c == NULL || kr_ctx_sip(ctx) == NULL || !kr_ctx_sip(ctx)->is_request) {
        return NULL;
    }
    if (!c->auth_done) {
        enum kr_sip_hdr_type first = KR_SIP_HDR_PROXY_AUTHORIZATION;
        enum kr_sip_hdr_type second = KR_SIP_HDR_AUTHORIZATION;
        if (kr_ctx_sip(ctx)->method_id == KR_SIP_METHOD_REGISTER ||
            kr_ctx_sip(ctx)->method_id == KR_SIP_METHOD_PUBLISH) {
            first = KR_SIP_HDR_AUTHORIZATION;
            second = KR_SIP_HDR_PROXY_AUTHORIZATION;
        }
        const struct kr_sip_hdr *h = kr_sip_msg_hdr(kr_ctx_sip(ctx), first, 0);
        if (h == NULL) {
            h = kr_sip_msg_hdr(kr_ctx_sip(ctx), second, 0);
        }
        struct kr_err err = { 0 };
        c->auth_done = true;
        c->auth_rc = h ? kr_sip_parse_auth(h->value, &c->auth, &err) : KR_ENOTFOUND;
    }
    return c->auth_rc == 0 ? &c->auth : NULL;
}

static const struct kr_sip_cseq *cseq(struct kr_ctx *ctx)
{
    struct kr_pv_cache *c = cache(ctx);

    if (c == NULL || kr_ctx_sip(ctx) == NULL) {
        return NULL;
    }
    if (!c->cseq_done) {
        c->cseq_done = true;
        c->cseq_rc = kr_sip_msg_cseq(kr_ctx_sip(ctx), &c->cseq);
    }
    return c->cseq_rc == 0 ? &c->cseq : NULL;
}

static struct kr_str hdr_value(struct kr_ctx *ctx, enum kr_sip_hdr_type t)
{
    const struct kr_sip_hdr *h = kr_ctx_sip(ctx) ? kr_sip_msg_hdr(kr_ctx_sip(ctx), t, 0) : NULL;
    return h ? h->value : KR_STR_NULL;
}

static uint16_t default_port(const struct kr_sip_uri *u)
{
    return u->scheme == KR_URI_SIPS ? 5061 : 5060;
}

/* --- R-URI --- */

static int ru_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (kr_ctx_sip(ctx) && !kr_ctx_sip(ctx)->is_request) {
        return set_null(out);
    }
    return set_str(out, kr_ctx_ruri(ctx));
}

static int rU_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = cur_ruri(ctx);
    return u ? set_str(out, u->user) : set_null(out);
}

static int rd_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = cur_ruri(ctx);
    return u ? set_str(out, u->host) : set_null(out);
}

static int rp_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = cur_ruri(ctx);
    if (u == NULL || u->scheme == KR_URI_TEL) {
        return set_null(out);
    }
    *out = kr_value_int(u->port_no ? u->port_no : default_port(u));
    return 0;
}

static int rz_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_str s = kr_ctx_ruri(ctx);
    long c = kr_str_chr(s, ':');
    if (c <= 0) {
        return set_null(out);
    }
    return set_str(out, kr_str_make(s.ptr, (size_t)c));
}

/* Replaces [from, to) of the current R-URI with ins and makes it the new R-URI. */
static int ruri_splice(struct kr_ctx *ctx, struct kr_str cur, const char *from, const char *to,
                       struct kr_str a, struct kr_str b)
{
    size_t pre = (size_t)(from - cur.ptr);
    size_t post = cur.len - (size_t)(to - cur.ptr);
    size_t len = pre + a.len + b.len + post;
    char *p = kr_arena_alloc(ctx->arena, len + 1);

    if (p == NULL) {
        return KR_ENOMEM;
    }
    memcpy(p, cur.ptr, pre);
    if (a.len) {
        memcpy(p + pre, a.ptr, a.len);
    }
    if (b.len) {
        memcpy(p + pre + a.len, b.ptr, b.len);
    }
    memcpy(p + pre + a.len + b.len, to, post);
    p[len] = '\0';
    ctx->new_ruri = kr_str_make(p, len);
    return 0;
}

static int value_text(struct kr_ctx *ctx, const struct kr_value *v, struct kr_str *s)
{
    if (v->type == KR_VAL_NULL) {
        *s = kr_str_make("", 0);
        return 0;
    }
    return kr_value_to_str(ctx->arena, v, s);
}

static int ru_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    struct kr_str s;
    if (v->type == KR_VAL_NULL) {
        ctx->new_ruri = KR_STR_NULL;
        return 0;
    }
    int rc = value_text(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    s = kr_arena_strdup(ctx->arena, s);
    if (s.ptr == NULL) {
        return KR_ENOMEM;
    }
    ctx->new_ruri = s;
    return 0;
}

static int rU_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    const struct kr_sip_uri *u = cur_ruri(ctx);
    struct kr_str cur = kr_ctx_ruri(ctx);
    struct kr_str s;
    int rc;

    if (u == NULL || u->scheme == KR_URI_TEL) {
        return KR_EINVAL;
    }
    rc = value_text(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    if (u->user.ptr && u->user.len) {
        if (s.len == 0) {
            return ruri_splice(ctx, cur, u->user.ptr, u->host.ptr, s, KR_STR_NULL);
        }
        return ruri_splice(ctx, cur, u->user.ptr, u->user.ptr + u->user.len, s, KR_STR_NULL);
    }
    if (s.len == 0) {
        return 0;
    }
    return ruri_splice(ctx, cur, u->host.ptr, u->host.ptr, s, KR_STR("@"));
}

static int rd_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    const struct kr_sip_uri *u = cur_ruri(ctx);
    struct kr_str cur = kr_ctx_ruri(ctx);
    struct kr_str s;
    int rc;

    if (u == NULL || u->scheme == KR_URI_TEL || v->type == KR_VAL_NULL) {
        return KR_EINVAL;
    }
    rc = value_text(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    if (s.len == 0) {
        return KR_EINVAL;
    }
    if (kr_str_chr(s, ':') >= 0 && s.ptr[0] != '[') {
        /* a bare IPv6 address needs brackets in a URI */
        struct kr_str br = kr_str_make(s.ptr, s.len);
        char *p = kr_arena_alloc(ctx->arena, br.len + 3);
        if (p == NULL) {
            return KR_ENOMEM;
        }
        p[0] = '[';
        memcpy(p + 1, br.ptr, br.len);
        p[br.len + 1] = ']';
        p[br.len + 2] = '\0';
        s = kr_str_make(p, br.len + 2);
    }
    return ruri_splice(ctx, cur, u->host.ptr, u->host.ptr + u->host.len, s, KR_STR_NULL);
}

static int rp_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    const struct kr_sip_uri *u = cur_ruri(ctx);
    struct kr_str cur = kr_ctx_ruri(ctx);
    struct kr_str s;
    int rc;

    if (u == NULL || u->scheme == KR_URI_TEL) {
        return KR_EINVAL;
    }
    rc = value_text(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    const char *hend = u->host.ptr + u->host.len;
    if (u->port.ptr && u->port.len) {
        const char *pend = u->port.ptr + u->port.len;
        if (s.len == 0) {
            return ruri_splice(ctx, cur, hend, pend, KR_STR_NULL, KR_STR_NULL);
        }
        return ruri_splice(ctx, cur, hend, pend, KR_STR(":"), s);
    }
    if (s.len == 0) {
        return 0;
    }
    return ruri_splice(ctx, cur, hend, hend, KR_STR(":"), s);
}

/* --- destination URI --- */

static int du_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return set_str(out, ctx->dst_uri);
}

static int du_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    struct kr_str s;
    if (v->type == KR_VAL_NULL) {
        ctx->dst_uri = KR_STR_NULL;
        return 0;
    }
    int rc = value_text(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    if (s.len == 0) {
        ctx->dst_uri = KR_STR_NULL;
        return 0;
    }
    ctx->dst_uri = kr_arena_strdup(ctx->arena, s);
    return ctx->dst_uri.ptr ? 0 : KR_ENOMEM;
}

static int dd_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = cur_du(ctx);
    return u ? set_str(out, u->host) : set_null(out);
}

static int dp_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = cur_du(ctx);
    if (u == NULL) {
        return set_null(out);
    }
    *out = kr_value_int(u->port_no ? u->port_no : default_port(u));
    return 0;
}

static int dP_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = cur_du(ctx);
    if (u == NULL) {
        return set_null(out);
    }
    return set_str(out, u->transport.len ? u->transport : KR_STR("udp"));
}

/* --- From / To --- */

static int fu_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_pv_nameaddr *p = nameaddr(ctx, KR_SIP_HDR_FROM);
    return p ? set_str(out, p->na.uri) : set_null(out);
}

static int fU_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = nameaddr_uri(nameaddr(ctx, KR_SIP_HDR_FROM));
    return u ? set_str(out, u->user) : set_null(out);
}

static int fd_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = nameaddr_uri(nameaddr(ctx, KR_SIP_HDR_FROM));
    return u ? set_str(out, u->host) : set_null(out);
}

static int fn_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_pv_nameaddr *p = nameaddr(ctx, KR_SIP_HDR_FROM);
    return p ? set_str(out, p->na.display) : set_null(out);
}

static int ft_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_pv_nameaddr *p = nameaddr(ctx, KR_SIP_HDR_FROM);
    return p ? set_str(out, p->na.tag) : set_null(out);
}

static int tu_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_pv_nameaddr *p = nameaddr(ctx, KR_SIP_HDR_TO);
    return p ? set_str(out, p->na.uri) : set_null(out);
}

static int tU_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = nameaddr_uri(nameaddr(ctx, KR_SIP_HDR_TO));
    return u ? set_str(out, u->user) : set_null(out);
}

static int td_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_uri *u = nameaddr_uri(nameaddr(ctx, KR_SIP_HDR_TO));
    return u ? set_str(out, u->host) : set_null(out);
}

static int tn_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_pv_nameaddr *p = nameaddr(ctx, KR_SIP_HDR_TO);
    return p ? set_str(out, p->na.display) : set_null(out);
}

static int tt_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_pv_nameaddr *p = nameaddr(ctx, KR_SIP_HDR_TO);
    return p ? set_str(out, p->na.tag) : set_null(out);
}

static int ai_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_pv_cache *c = cache(ctx);
    struct kr_pv_nameaddr *p =
        c ? nameaddr_by_name(ctx, &c->pai, KR_STR("P-Asserted-Identity")) : NULL;
    return p ? set_str(out, p->na.uri) : set_null(out);
}

/* --- start line, common headers --- */

static int rm_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (kr_ctx_sip(ctx) == NULL) {
        return set_null(out);
    }
    if (kr_ctx_sip(ctx)->is_request) {
        return set_str(out, kr_ctx_sip(ctx)->method);
    }
    const struct kr_sip_cseq *cs = cseq(ctx);
    return cs ? set_str(out, cs->method) : set_null(out);
}

static int rs_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (kr_ctx_sip(ctx) == NULL || kr_ctx_sip(ctx)->is_request) {
        return set_null(out);
    }
    *out = kr_value_int(kr_ctx_sip(ctx)->status);
    return 0;
}

static int rr_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (kr_ctx_sip(ctx) == NULL || kr_ctx_sip(ctx)->is_request) {
        return set_null(out);
    }
    return set_str(out, kr_ctx_sip(ctx)->reason);
}

static int rv_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return kr_ctx_sip(ctx) ? set_str(out, kr_ctx_sip(ctx)->version) : set_null(out);
}

static int ci_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return set_str(out, hdr_value(ctx, KR_SIP_HDR_CALL_ID));
}

static int cs_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_cseq *cs = cseq(ctx);
    if (cs == NULL) {
        return set_null(out);
    }
    *out = kr_value_int(cs->num);
    return 0;
}

static int ua_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return set_str(out, hdr_value(ctx, KR_SIP_HDR_USER_AGENT));
}

static int ct_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return set_str(out, hdr_value(ctx, KR_SIP_HDR_CONTACT));
}

static int cT_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return set_str(out, hdr_value(ctx, KR_SIP_HDR_CONTENT_TYPE));
}

static int cl_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_str v = hdr_value(ctx, KR_SIP_HDR_CONTENT_LENGTH);
    uint64_t u;
    if (v.ptr == NULL || kr_str_to_u64(kr_str_trim(v), UINT32_MAX, &u) < 0) {
        return set_null(out);
    }
    *out = kr_value_int((int64_t)u);
    return 0;
}

static int mb_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return kr_ctx_sip(ctx) ? set_str(out, kr_ctx_sip(ctx)->buf) : set_null(out);
}

static int ml_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (kr_ctx_sip(ctx) == NULL) {
        return set_null(out);
    }
    *out = kr_value_int((int64_t)kr_ctx_sip(ctx)->buf.len);
    return 0;
}

static int rb_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return kr_ctx_sip(ctx) ? set_str(out, kr_ctx_sip(ctx)->body) : set_null(out);
}

/* --- auth --- */

static int au_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_auth *a = auth(ctx);
    if (a == NULL) {
        return set_null(out);
    }
    long at = kr_str_chr(a->username, '@');
    return set_str(out, at >= 0 ? kr_str_make(a->username.ptr, (size_t)at) : a->username);
}

static int ad_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_auth *a = auth(ctx);
    if (a == NULL) {
        return set_null(out);
    }
    long at = kr_str_chr(a->username, '@');
    if (at < 0) {
        return set_str(out, a->realm);
    }
    return set_str(out, kr_str_sub(a->username, (size_t)at + 1, a->username.len));
}

static int aU_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_auth *a = auth(ctx);
    return a ? set_str(out, a->username) : set_null(out);
}

static int ar_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_auth *a = auth(ctx);
    return a ? set_str(out, a->realm) : set_null(out);
}

static int adu_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_auth *a = auth(ctx);
    return a ? set_str(out, a->uri) : set_null(out);
}

static int aa_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_auth *a = auth(ctx);
    return a ? set_str(out, a->algorithm) : set_null(out);
}

/* --- where it came from --- */

/* The address as text; IPv6 in brackets when bracket_v6 ($siz). */
static int ip_text_b(struct kr_ctx *ctx, const struct kr_sockaddr *sa, bool bracket_v6,
                     struct kr_value *out)
{
    char tmp[KR_ADDR_STRLEN + 2];
    size_t o = 0;

    if (sa->u.sa.sa_family != AF_INET && sa->u.sa.sa_family != AF_INET6) {
        return set_null(out);
    }
    bool br = bracket_v6 && sa->u.sa.sa_family == AF_INET6;
    if (br) {
        tmp[o++] = '[';
    }
    kr_addr_ip_str(sa, tmp + o, sizeof(tmp) - o - 1);
    if (br) {
        size_t l = strlen(tmp);
        tmp[l] = ']';
        tmp[l + 1] = '\0';
    }
    struct kr_str s = kr_arena_strdup(ctx->arena, kr_str_c(tmp));
    if (s.ptr == NULL) {
        return KR_ENOMEM;
    }
    *out = kr_value_str(s);
    return 0;
}

static int port_of(const struct kr_sockaddr *sa, struct kr_value *out)
{
    if (sa->u.sa.sa_family == AF_INET) {
        *out = kr_value_int(ntohs(sa->u.in.sin_port));
    } else if (sa->u.sa.sa_family == AF_INET6) {
        *out = kr_value_int(ntohs(sa->u.in6.sin6_port));
    } else {
        *out = kr_value_null();
    }
    return 0;
}

static int ip_text(struct kr_ctx *ctx, const struct kr_sockaddr *sa, struct kr_value *out)
{
    return ip_text_b(ctx, sa, false, out);
}

static int si_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return ctx->rcv ? ip_text(ctx, &ctx->rcv->src, out) : set_null(out);
}

/* $siz: the source address with IPv6 in brackets, ready for a URI. */
static int siz_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return ctx->rcv ? ip_text_b(ctx, &ctx->rcv->src, true, out) : set_null(out);
}

static int sp_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return ctx->rcv ? port_of(&ctx->rcv->src, out) : set_null(out);
}

static int Ri_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (ctx->rcv == NULL) {
        return set_null(out);
    }
    if (ctx->rcv->dst.u.sa.sa_family == AF_INET || ctx->rcv->dst.u.sa.sa_family == AF_INET6) {
        return ip_text(ctx, &ctx->rcv->dst, out);
    }
    if (ctx->rcv->sock) {
        return set_str(out, kr_str_c(ctx->rcv->sock->ip));
    }
    return set_null(out);
}

static int Rp_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (ctx->rcv == NULL) {
        return set_null(out);
    }
    if (ctx->rcv->dst.u.sa.sa_family == AF_INET || ctx->rcv->dst.u.sa.sa_family == AF_INET6) {
        return port_of(&ctx->rcv->dst, out);
    }
    if (ctx->rcv->sock) {
        *out = kr_value_int(ctx->rcv->sock->port);
        return 0;
    }
    return set_null(out);
}

static const char *const proto_names[] = {
    [KR_PROTO_NONE] = "none", [KR_PROTO_UDP] = "udp",     [KR_PROTO_TCP] = "tcp",
    [KR_PROTO_TLS] = "tls",   [KR_PROTO_SCTP] = "sctp",   [KR_PROTO_WS] = "ws",
    [KR_PROTO_WSS] = "wss",   [KR_PROTO_OTHER] = "other",
};

static int proto_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (ctx->rcv == NULL || (unsigned)ctx->rcv->proto > KR_PROTO_OTHER) {
        return set_null(out);
    }
    return set_str(out, kr_str_c(proto_names[ctx->rcv->proto]));
}

static int conid_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    if (ctx->rcv == NULL || ctx->rcv->conn_id == 0) {
        return set_null(out);
    }
    *out = kr_value_int((int64_t)ctx->rcv->conn_id);
    return 0;
}

static int fs_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return ctx->force_sock ? set_str(out, kr_str_c(ctx->force_sock->name)) : set_null(out);
}

/* --- misc --- */

static int Ts_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    *out = kr_value_int((int64_t)time(NULL));
    return 0;
}

static int TS_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    *out = kr_value_int(ctx->cfg ? (int64_t)ctx->cfg->started : 0);
    return 0;
}

static int pp_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    *out = kr_value_int((int64_t)getpid());
    return 0;
}

static int rc_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    *out = kr_value_int(ctx->retcode);
    return 0;
}

static int mf_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    *out = kr_value_int((int64_t)ctx->flags);
    return 0;
}

static int mf_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    int64_t i = 0;
    if (v->type != KR_VAL_NULL && kr_value_to_int(v, &i) < 0) {
        return KR_EINVAL;
    }
    ctx->flags = (uint64_t)i;
    return 0;
}

int kr_pv_parse_fmt_name(struct kr_fixup *fx, struct kr_pv_name *n)
{
    struct kr_fmt *f = NULL;
    int rc = kr_cfg_fmt_parse(fx->cfg, n->name, &f, fx->err);
    if (rc < 0) {
        return rc;
    }
    n->priv = f;
    return 0;
}

static int s_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_str s;
    int rc = kr_fmt_eval(ctx, n->priv, &s);
    if (rc < 0) {
        return rc;
    }
    *out = kr_value_str(s);
    return 0;
}

/* --- headers --- */

static int hdr_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    if (n->name.len == 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "$hdr needs a header name");
    }
    for (size_t i = 0; i < n->name.len; i++) {
        char c = n->name.ptr[i];
        if (c <= ' ' || c == ':' || c >= 127) {
            return kr_err_set(fx->err, KR_EINVAL, i, "bad character in header name");
        }
    }
    n->priv = (void *)(uintptr_t)(kr_sip_hdr_type_of(n->name) + 1);
    return 0;
}

static enum kr_sip_hdr_type hdr_type(const struct kr_pv_name *n)
{
    if (n->priv) {
        return (enum kr_sip_hdr_type)((uintptr_t)n->priv - 1);
    }
    return kr_sip_hdr_type_of(n->name);
}

/* The i-th header named n (known types by type, others by name and compact form). */
static const struct kr_sip_hdr *hdr_nth(const struct kr_sip_msg *m, enum kr_sip_hdr_type t,
                                        struct kr_str name, size_t i)
{
    if (t != KR_SIP_HDR_OTHER) {
        return kr_sip_msg_hdr(m, t, i);
    }
    return kr_sip_msg_hdr_by_name(m, name, (long)i);
}

static int hdr_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_msg *m = kr_ctx_sip(ctx);
    enum kr_sip_hdr_type t;

    if (m == NULL) {
        return set_null(out);
    }
    t = hdr_type(n);
    if (n->all_index) {
        struct kr_buf b;
        bool any = false;
        const struct kr_sip_hdr *h;
        kr_buf_init_arena(&b, ctx->arena, 128, KR_SIP_MAX_MSG);
        for (size_t i = 0; (h = hdr_nth(m, t, n->name, i)) != NULL; i++) {
            if (any) {
                kr_buf_append_char(&b, ',');
            }
            kr_buf_append_str(&b, h->value);
            any = true;
        }
        if (b.err) {
            return b.err;
        }
        return any ? set_str(out, kr_buf_str(&b)) : set_null(out);
    }
    int64_t idx = n->has_index ? n->index : 0;
    const struct kr_sip_hdr *h;
    if (t != KR_SIP_HDR_OTHER && idx >= 0) {
        h = kr_sip_msg_hdr(m, t, (size_t)idx);
    } else {
        h = kr_sip_msg_hdr_by_name(m, n->name, (long)idx);
    }
    if (h == NULL) {
        return set_null(out);
    }
    *out = kr_value_str(h->value);
    return 0;
}

static int hdrc_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    const struct kr_sip_msg *m = kr_ctx_sip(ctx);
    int64_t count = 0;

    if (m) {
        enum kr_sip_hdr_type t = hdr_type(n);
        while (hdr_nth(m, t, n->name, (size_t)count) != NULL) {
            count++;
        }
    }
    *out = kr_value_int(count);
    return 0;
}

const struct kr_pv_def kr_pv_core_defs[] = {
    { .name = "ru", .get = ru_get, .set = ru_set },
    { .name = "rU", .get = rU_get, .set = rU_set },
    { .name = "rd", .get = rd_get, .set = rd_set },
    { .name = "rp", .get = rp_get, .set = rp_set },
    { .name = "rz", .get = rz_get },
    { .name = "du", .get = du_get, .set = du_set },
    { .name = "dd", .get = dd_get },
    { .name = "dp", .get = dp_get },
    { .name = "dP", .get = dP_get },
    { .name = "fu", .get = fu_get },
    { .name = "fU", .get = fU_get },
    { .name = "fd", .get = fd_get },
    { .name = "fn", .get = fn_get },
    { .name = "ft", .get = ft_get },
    { .name = "tu", .get = tu_get },
    { .name = "tU", .get = tU_get },
    { .name = "td", .get = td_get },
    { .name = "tn", .get = tn_get },
    { .name = "tt", .get = tt_get },
    { .name = "ai", .get = ai_get },
    { .name = "rm", .get = rm_get },
    { .name = "rs", .get = rs_get },
    { .name = "rr", .get = rr_get },
    { .name = "rv", .get = rv_get },
    { .name = "ci", .get = ci_get },
    { .name = "cs", .get = cs_get },
    { .name = "ua", .get = ua_get },
    { .name = "ct", .get = ct_get },
    { .name = "cT", .get = cT_get },
    { .name = "cl", .get = cl_get },
    { .name = "mb", .get = mb_get },
    { .name = "ml", .get = ml_get },
    { .name = "rb", .get = rb_get },
    { .name = "au", .get = au_get },
    { .name = "ad", .get = ad_get },
    { .name = "aU", .get = aU_get },
    { .name = "ar", .get = ar_get },
    { .name = "adu", .get = adu_get },
    { .name = "aa", .get = aa_get },
    { .name = "si", .get = si_get },
    { .name = "siz", .get = siz_get },
    { .name = "sp", .get = sp_get },
    { .name = "Ri", .get = Ri_get },
    { .name = "Rp", .get = Rp_get },
    { .name = "proto", .get = proto_get },
    { .name = "pr", .get = proto_get },
    { .name = "conid", .get = conid_get },
    { .name = "fs", .get = fs_get },
    { .name = "Ts", .get = Ts_get },
    { .name = "TS", .get = TS_get },
    { .name = "pp", .get = pp_get },
    { .name = "rc", .get = rc_get },
    { .name = "retcode", .get = rc_get },
    { .name = "mf", .get = mf_get, .set = mf_set },
    { .name = "_s", .get = s_get, .parse = kr_pv_parse_fmt_name, .needs_name = true },
    { .name = "hdr", .get = hdr_get, .parse = hdr_parse, .needs_name = true },
    { .name = "hdrc", .get = hdrc_get, .parse = hdr_parse, .needs_name = true },
    { 0 },
};
