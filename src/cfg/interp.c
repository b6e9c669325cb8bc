/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The route interpreter: walks the checked tree for one message. Kamailio's rules:
 * a function's result is true when > 0, false when < 0, and 0 stops the script; `return`
 * leaves a route[X] with a value (0 stops everything); `exit` and `drop` stop. Per-message
 * memory comes from ctx->arena only. Runs on worker threads; the tree is read-only. */
#include "cfg/interp.h"

#include <arpa/inet.h>
#include <regex.h>
#include <string.h>

#include "cfg/cfg.h"
#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "cfg/tree.h"
#include "core/log.h"
#include "sip/uri.h"

#undef KR_LOG_UNIT
#define KR_LOG_UNIT "cfg"

enum flow {
    FL_NEXT = 0,
    FL_BREAK,
    FL_RETURN,
    FL_EXIT,
    FL_DROP,
};

struct run {
    struct kr_ctx *ctx; /* NULL when folding constants at load time */
    const struct kr_cfg *cfg;
    struct kr_arena *arena;
    unsigned depth;
    int64_t ret;
    bool exit; /* a function returned 0: stop */
};

static int eval(struct run *r, const struct kr_expr *e, struct kr_value *out);
static enum flow exec(struct run *r, const struct kr_stmt *s);

static const struct kr_route *route_at(const struct kr_cfg *cfg, size_t i)
{
    return kr_vec_at(&cfg->routes, sizeof(struct kr_route), i);
}

/* --- values --- */

static bool numeric(const struct kr_value *v, int64_t *i)
{
    return kr_value_to_int(v, i) == 0;
}

static bool truthy(const struct kr_value *v)
{
    int64_t i;
    switch (v->type) {
    case KR_VAL_INT:
        return v->i > 0;
    case KR_VAL_STR:
        if (numeric(v, &i)) {
            return i > 0;
        }
        return v->s.len > 0;
    default:
        return false;
    }
}

static int to_int(const struct kr_value *v, int64_t *out)
{
    if (v->type == KR_VAL_NULL) {
        *out = 0;
        return 0;
    }
    return kr_value_to_int(v, out);
}

static int to_str(struct run *r, const struct kr_value *v, struct kr_str *out)
{
    return kr_value_to_str(r->arena, v, out);
}

/* --- calls --- */

static int64_t call(struct run *r, const struct kr_call *c)
{
    if (r->ctx == NULL || c->func == NULL) {
        return -1;
    }
    int rc = c->func->fn(r->ctx, c->args, c->nargs);
    r->ctx->retcode = rc;
    if (rc == 0) {
        r->exit = true;
    }
    return rc;
}

static int find_sub(const struct kr_cfg *cfg, struct kr_str name)
{
    for (size_t i = 0; i < cfg->routes.n; i++) {
        const struct kr_route *rt = route_at(cfg, i);
        if (rt->kind == KR_CFG_ROUTE_SUB && kr_str_eq(rt->name, name)) {
            return (int)i;
        }
    }
    return -1;
}

static int64_t route_call(struct run *r, const struct kr_rcall *rc)
{
    int idx = rc->target;

    if (r->ctx == NULL) {
        return -1;
    }
    if (idx < 0 && rc->dyn) {
        struct kr_str name;
        if (kr_fmt_eval(r->ctx, rc->dyn, &name) < 0) {
            return -1;
        }
        idx = find_sub(r->cfg, name);
        if (idx < 0) {
            KR_ERR("%s:%u: route(" KR_STR_FMT "): no such route", rc->loc.file, rc->loc.line,
                   KR_STR_ARG(name));
            r->ctx->retcode = -1;
            return -1;
        }
    }
    if (idx < 0) {
        return -1;
    }
    if (r->depth >= (unsigned)r->cfg->core.max_recursive_level) {
        KR_ERR("%s:%u: route calls nested deeper than max_recursive_level (%lld)", rc->loc.file,
               rc->loc.line, (long long)r->cfg->core.max_recursive_level);
        r->ctx->retcode = -1;
        return -1;
    }
    r->depth++;
    enum flow f = exec(r, route_at(r->cfg, (size_t)idx)->body);
    r->depth--;
    switch (f) {
    case FL_EXIT:
    case FL_DROP:
        r->exit = true;
        return 0;
    case FL_RETURN:
        r->ctx->retcode = r->ret;
        return r->ret;
    default:
        r->ctx->retcode = 1;
        return 1;
    }
}

/* --- conditions --- */

static bool cond(struct run *r, const struct kr_expr *e)
{
    struct kr_value v;

    switch (e->kind) {
    case KR_EX_CALL:
        return call(r, e->call) > 0;
    case KR_EX_ROUTE:
        return route_call(r, e->rcall) > 0;
    case KR_EX_UNARY:
        if (e->op == KR_OP_NOT) {
            bool c = cond(r, e->a);
            return r->exit ? false : !c;
        }
        break;
    case KR_EX_AND:
        return cond(r, e->a) && !r->exit && cond(r, e->b);
    case KR_EX_OR:
        return cond(r, e->a) || (!r->exit && cond(r, e->b));
    default:
        break;
    }
    if (eval(r, e, &v) < 0) {
        return false;
    }
    return truthy(&v);
}

/* --- comparisons --- */

static int strcmp_s(struct kr_str a, struct kr_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) {
        return c;
    }
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

static bool cmp_result(enum kr_op op, int c)
{
    switch (op) {
    case KR_OP_EQ:
    case KR_OP_STREQ:
    case KR_OP_INTEQ:
        return c == 0;
    case KR_OP_NE:
    case KR_OP_STRNE:
    case KR_OP_INTNE:
        return c != 0;
    case KR_OP_LT:
        return c < 0;
    case KR_OP_GT:
        return c > 0;
    case KR_OP_LE:
        return c <= 0;
    case KR_OP_GE:
        return c >= 0;
    default:
        return false;
    }
}

static int compare(struct run *r, enum kr_op op, const struct kr_value *a, const struct kr_value *b,
                   bool nocase, bool *res)
{
    int64_t ia, ib;
    struct kr_str sa, sb;

    if (op == KR_OP_INTEQ || op == KR_OP_INTNE) {
        if (to_int(a, &ia) < 0 || to_int(b, &ib) < 0) {
            return KR_EINVAL;
        }
        *res = cmp_result(op, ia < ib ? -1 : ia > ib);
        return 0;
    }
    if (op != KR_OP_STREQ && op != KR_OP_STRNE &&
        (a->type == KR_VAL_NULL || b->type == KR_VAL_NULL)) {
        bool both = a->type == b->type;
        *res = op == KR_OP_EQ ? both : op == KR_OP_NE ? !both : false;
        return 0;
    }
    if (op != KR_OP_STREQ && op != KR_OP_STRNE && a->type == KR_VAL_INT &&
        (b->type == KR_VAL_INT || numeric(b, &ib))) {
        ia = a->i;
        if (b->type == KR_VAL_INT) {
            ib = b->i;
        }
        *res = cmp_result(op, ia < ib ? -1 : ia > ib);
        return 0;
    }
    if (to_str(r, a, &sa) < 0 || to_str(r, b, &sb) < 0) {
        return KR_ENOMEM;
    }
    if (nocase && (op == KR_OP_EQ || op == KR_OP_NE)) {
        *res = kr_str_caseeq(sa, sb) == (op == KR_OP_EQ);
        return 0;
    }
    *res = cmp_result(op, strcmp_s(sa, sb));
    return 0;
}

static int concat(struct run *r, const struct kr_value *a, const struct kr_value *b,
                  struct kr_value *out)
{
    struct kr_str sa, sb;
    if (to_str(r, a, &sa) < 0 || to_str(r, b, &sb) < 0) {
        return KR_ENOMEM;
    }
    char *p = kr_arena_alloc(r->arena, sa.len + sb.len + 1);
    if (p == NULL) {
        return KR_ENOMEM;
    }
    if (sa.len) {
        memcpy(p, sa.ptr, sa.len);
    }
    if (sb.len) {
        memcpy(p + sa.len, sb.ptr, sb.len);
    }
    p[sa.len + sb.len] = '\0';
    *out = kr_value_str(kr_str_make(p, sa.len + sb.len));
    return 0;
}

static int arith(enum kr_op op, int64_t a, int64_t b, int64_t *out)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case KR_OP_ADD:
        *out = (int64_t)(ua + ub);
        return 0;
    case KR_OP_SUB:
        *out = (int64_t)(ua - ub);
        return 0;
    case KR_OP_MUL:
        *out = (int64_t)(ua * ub);
        return 0;
    case KR_OP_DIV:
    case KR_OP_MOD:
        if (b == 0 || (a == INT64_MIN && b == -1)) {
            return KR_EINVAL;
        }
        *out = op == KR_OP_DIV ? a / b : a % b;
        return 0;
    case KR_OP_BAND:
        *out = (int64_t)(ua & ub);
        return 0;
    case KR_OP_BOR:
        *out = (int64_t)(ua | ub);
        return 0;
    case KR_OP_BXOR:
        *out = (int64_t)(ua ^ ub);
        return 0;
    case KR_OP_SHL:
        *out = b < 0 || b > 63 ? 0 : (int64_t)(ua << b);
        return 0;
    case KR_OP_SHR:
        *out = b < 0 || b > 63 ? 0 : (int64_t)(ua >> b);
        return 0;
    default:
        return KR_EINVAL;
    }
}

static int eval_binary(struct run *r, const struct kr_expr *e, struct kr_value *out)
{
    struct kr_value a, b;
    int rc;

    if ((rc = eval(r, e->a, &a)) < 0 || r->exit || (rc = eval(r, e->b, &b)) < 0) {
        return rc;
    }
    switch (e->op) {
    case KR_OP_EQ:
    case KR_OP_NE:
    case KR_OP_LT:
    case KR_OP_GT:
    case KR_OP_LE:
    case KR_OP_GE:
    case KR_OP_STREQ:
    case KR_OP_STRNE:
    case KR_OP_INTEQ:
    case KR_OP_INTNE: {
        bool res = false;
        bool nocase = e->a->kind == KR_EX_KW && e->a->kw == KR_KW_METHOD;
        rc = compare(r, e->op, &a, &b, nocase, &res);
        if (rc < 0) {
            return rc;
        }
        *out = kr_value_int(res);
        return 0;
    }
    case KR_OP_ADD: {
        int64_t ia, ib;
        if (a.type == KR_VAL_STR || (b.type == KR_VAL_STR && !numeric(&b, &ib))) {
            return concat(r, &a, &b, out);
        }
        if (to_int(&a, &ia) < 0 || to_int(&b, &ib) < 0) {
            return KR_EINVAL;
        }
        *out = kr_value_int((int64_t)((uint64_t)ia + (uint64_t)ib));
        return 0;
    }
    default: {
        int64_t ia, ib, res;
        if (to_int(&a, &ia) < 0 || to_int(&b, &ib) < 0) {
            return KR_EINVAL;
        }
        rc = arith(e->op, ia, ib, &res);
        if (rc < 0) {
            return rc;
        }
        *out = kr_value_int(res);
        return 0;
    }
    }
}

static int eval_match(struct run *r, const struct kr_expr *e, struct kr_value *out)
{
    struct kr_value a, b;
    struct kr_str s;
    int rc;
    bool m = false;

    if ((rc = eval(r, e->a, &a)) < 0 || r->exit) {
        return rc;
    }
    if (a.type != KR_VAL_NULL) {
        if ((rc = to_str(r, &a, &s)) < 0) {
            return rc;
        }
        char *subject = kr_arena_cstr(r->arena, s);
        if (subject == NULL) {
            return KR_ENOMEM;
        }
        if (e->re) {
            m = regexec(e->re, subject, 0, NULL, 0) == 0;
        } else {
            struct kr_str ps;
            regex_t re;
            if ((rc = eval(r, e->b, &b)) < 0 || (rc = to_str(r, &b, &ps)) < 0) {
                return rc;
            }
            char *pat = kr_arena_cstr(r->arena, ps);
            if (pat == NULL) {
                return KR_ENOMEM;
            }
            if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0) {
                KR_DBG("%s:%u: bad regular expression '%s'", e->loc.file, e->loc.line, pat);
                return KR_EINVAL;
            }
            m = regexec(&re, subject, 0, NULL, 0) == 0;
            regfree(&re);
        }
    }
    *out = kr_value_int(m != e->negate);
    return 0;
}

/* Host and port of a URI value for `uri == myself`; bare hosts too. */
static bool value_myself(struct run *r, const struct kr_value *v, bool ip_only)
{
    struct kr_str s;
    if (v->type == KR_VAL_NULL || to_str(r, v, &s) < 0) {
        return false;
    }
    if (ip_only) {
        return kr_cfg_myself_match(r->cfg, s, 0, true);
    }
    struct kr_sip_uri u;
    struct kr_err err = { 0 };
    if (kr_sip_uri_parse(s, &u, &err) == 0) {
        if (u.scheme == KR_URI_TEL) {
            return false;
        }
        uint16_t port = u.port_no ? u.port_no : (u.scheme == KR_URI_SIPS ? 5061 : 5060);
        return kr_cfg_myself_match(r->cfg, u.host, port, false);
    }
    /* not a URI: host or host:port */
    long colon = kr_str_chr(s, ':');
    if (colon > 0 && kr_str_chr(kr_str_sub(s, (size_t)colon + 1, s.len), ':') < 0) {
        uint64_t p;
        if (kr_str_to_u64(kr_str_sub(s, (size_t)colon + 1, s.len), 65535, &p) == 0) {
            return kr_cfg_myself_match(r->cfg, kr_str_make(s.ptr, (size_t)colon), (uint16_t)p,
                                       false);
        }
    }
    return kr_cfg_myself_match(r->cfg, s, 5060, false);
}

static bool ipnet_match(const struct kr_expr *e, const struct kr_sockaddr *sa)
{
    const uint8_t *ip;
    unsigned bits;

    if (sa->u.sa.sa_family == AF_INET && e->af == AF_INET) {
        ip = (const uint8_t *)&sa->u.in.sin_addr;
        bits = 32;
    } else if (sa->u.sa.sa_family == AF_INET6 && e->af == AF_INET6) {
        ip = (const uint8_t *)&sa->u.in6.sin6_addr;
        bits = 128;
    } else {
        return false;
    }
    unsigned mask = e->mask < bits ? e->mask : bits;
    for (unsigned i = 0; i < mask / 8; i++) {
        if (ip[i] != e->net[i]) {
            return false;
        }
    }
    if (mask % 8) {
        uint8_t m = (uint8_t)(0xff << (8 - mask % 8));
        if ((ip[mask / 8] & m) != (e->net[mask / 8] & m)) {
            return false;
        }
    }
    return true;
}

static int eval_kw(struct run *r, const struct kr_expr *e, struct kr_value *out)
{
    const struct kr_rcv *rcv = r->ctx ? r->ctx->rcv : NULL;

    switch (e->kw) {
    case KR_KW_PROTO:
        *out = rcv ? kr_value_int(rcv->proto) : kr_value_null();
        return 0;
    case KR_KW_AF:
        if (rcv == NULL) {
            *out = kr_value_null();
        } else {
            *out = kr_value_int(rcv->src.u.sa.sa_family == AF_INET6 ? 6 : 4);
        }
        return 0;
    default:
        if (e->pv == NULL || r->ctx == NULL) {
            *out = kr_value_null();
            return 0;
        }
        return kr_pv_get(r->ctx, e->pv, out);
    }
}

static int eval(struct run *r, const struct kr_expr *e, struct kr_value *out)
{
    struct kr_value v;
    struct kr_str s;
    int rc;

    switch (e->kind) {
    case KR_EX_CONST:
        *out = e->val;
        return 0;
    case KR_EX_PV:
        if (r->ctx == NULL) {
            return KR_EINVAL;
        }
        return kr_pv_get(r->ctx, e->pv, out);
    case KR_EX_CALL:
        *out = kr_value_int(call(r, e->call));
        return 0;
    case KR_EX_ROUTE:
        *out = kr_value_int(route_call(r, e->rcall));
        return 0;
    case KR_EX_AND:
    case KR_EX_OR:
        *out = kr_value_int(cond(r, e));
        return 0;
    case KR_EX_UNARY:
        if (e->op == KR_OP_NOT) {
            *out = kr_value_int(cond(r, e));
            return 0;
        }
        if ((rc = eval(r, e->a, &v)) < 0) {
            return rc;
        }
        {
            int64_t i;
            if (to_int(&v, &i) < 0) {
                return KR_EINVAL;
            }
            *out = kr_value_int(e->op == KR_OP_NEG ? (int64_t)(0 - (uint64_t)i) : ~i);
        }
        return 0;
    case KR_EX_BINARY:
        return eval_binary(r, e, out);
    case KR_EX_MATCH:
        return eval_match(r, e, out);
    case KR_EX_KW:
        return eval_kw(r, e, out);
    case KR_EX_MYSELF: {
        bool ip_only =
            e->a->kind == KR_EX_KW && (e->a->kw == KR_KW_SRC_IP || e->a->kw == KR_KW_DST_IP);
        if ((rc = eval(r, e->a, &v)) < 0) {
            return rc;
        }
        *out = kr_value_int(value_myself(r, &v, ip_only) != e->negate);
        return 0;
    }
    case KR_EX_IPNET: {
        const struct kr_rcv *rcv = r->ctx ? r->ctx->rcv : NULL;
        bool m = false;
        if (rcv) {
            m = ipnet_match(e, e->a->kw == KR_KW_SRC_IP ? &rcv->src : &rcv->dst);
        }
        *out = kr_value_int(m != e->negate);
        return 0;
    }
    case KR_EX_DEFINED:
        if ((rc = eval(r, e->a, &v)) < 0) {
            return rc;
        }
        *out = kr_value_int(v.type != KR_VAL_NULL);
        return 0;
    case KR_EX_CAST_INT: {
        int64_t i = 0;
        if ((rc = eval(r, e->a, &v)) < 0) {
            return rc;
        }
        if (v.type == KR_VAL_STR) {
            /* (int)"12abc" is 12, (int)"abc" is 0 */
            struct kr_str t = kr_str_trim(v.s);
            size_t k = 0;
            bool neg = false;
            if (k < t.len && (t.ptr[k] == '-' || t.ptr[k] == '+')) {
                neg = t.ptr[k++] == '-';
            }
            for (; k < t.len && t.ptr[k] >= '0' && t.ptr[k] <= '9' && i < INT64_MAX / 10; k++) {
                i = i * 10 + (t.ptr[k] - '0');
            }
            i = neg ? -i : i;
        } else if (v.type == KR_VAL_INT) {
            i = v.i;
        }
        *out = kr_value_int(i);
        return 0;
    }
    case KR_EX_CAST_STR:
        if ((rc = eval(r, e->a, &v)) < 0 || (rc = to_str(r, &v, &s)) < 0) {
            return rc;
        }
        *out = kr_value_str(s);
        return 0;
    case KR_EX_STRLEN:
        if ((rc = eval(r, e->a, &v)) < 0 || (rc = to_str(r, &v, &s)) < 0) {
            return rc;
        }
        *out = kr_value_int((int64_t)s.len);
        return 0;
    case KR_EX_STREMPTY:
        if ((rc = eval(r, e->a, &v)) < 0 || (rc = to_str(r, &v, &s)) < 0) {
            return rc;
        }
        *out = kr_value_int(s.len == 0);
        return 0;
    default:
        return KR_EINVAL;
    }
}

/* Evaluates for a statement; errors are the script's and become $null (logged at DBG:
 * they usually come from what a message contains). */
static void eval_or_null(struct run *r, const struct kr_expr *e, struct kr_value *out)
{
    int rc = eval(r, e, out);
    if (rc < 0) {
        KR_DBG("%s:%u:%u: expression failed: %s", e->loc.file, e->loc.line, e->loc.col,
               kr_strerror(rc));
        *out = kr_value_null();
    }
}

/* --- statements --- */

static bool case_matches(struct run *r, const struct kr_value *v, const struct kr_value *c)
{
    if (v->type == KR_VAL_NULL) {
        return false;
    }
    if (c->type == KR_VAL_INT) {
        int64_t i;
        return numeric(v, &i) && i == c->i;
    }
    struct kr_str s;
    return to_str(r, v, &s) == 0 && kr_str_eq(s, c->s);
}

static enum flow exec_switch(struct run *r, const struct kr_stmt *s)
{
    struct kr_value v;
    int start = -1, def = -1;

    eval_or_null(r, s->e, &v);
    if (r->exit) {
        return FL_EXIT;
    }
    for (unsigned i = 0; i < s->ncases; i++) {
        if (s->cases[i].is_default) {
            def = (int)i;
        } else if (start < 0 && case_matches(r, &v, &s->cases[i].val)) {
            start = (int)i;
        }
    }
    if (start < 0) {
        start = def;
    }
    if (start < 0) {
        return FL_NEXT;
    }
    for (unsigned i = (unsigned)start; i < s->ncases; i++) {
        enum flow f = exec(r, s->cases[i].body);
        if (f == FL_BREAK) {
            return FL_NEXT;
        }
        if (f != FL_NEXT) {
            return f;
        }
    }
    return FL_NEXT;
}

static enum flow exec_while(struct run *r, const struct kr_stmt *s)
{
    int64_t n = 0;

    for (;;) {
        bool c = cond(r, s->e);
        if (r->exit) {
            return FL_EXIT;
        }
        if (!c) {
            return FL_NEXT;
        }
        if (++n > r->cfg->core.max_while_loops) {
            KR_ERR("%s:%u: while loop stopped after max_while_loops (%lld) iterations", s->loc.file,
                   s->loc.line, (long long)r->cfg->core.max_while_loops);
            return FL_NEXT;
        }
        enum flow f = exec(r, s->body);
        if (f == FL_BREAK) {
            return FL_NEXT;
        }
        if (f != FL_NEXT) {
            return f;
        }
    }
}

static void assign(struct run *r, const struct kr_stmt *s)
{
    struct kr_value v;
    eval_or_null(r, s->e, &v);
    if (r->exit) {
        return;
    }
    if (s->replace_all && v.type != KR_VAL_NULL) {
        struct kr_value null = kr_value_null();
        (void)kr_pv_set(r->ctx, s->lhs, &null);
    }
    int rc = kr_pv_set(r->ctx, s->lhs, &v);
    if (rc < 0) {
        KR_DBG("%s:%u: assigning " KR_STR_FMT " failed: %s", s->loc.file, s->loc.line,
               KR_STR_ARG(s->lhs_text), kr_strerror(rc));
    }
}

static enum flow exec(struct run *r, const struct kr_stmt *s)
{
    for (; s; s = s->next) {
        enum flow f = FL_NEXT;
        struct kr_value v;

        switch (s->kind) {
        case KR_ST_EXPR:
            eval_or_null(r, s->e, &v);
            break;
        case KR_ST_IF: {
            bool c = cond(r, s->e);
            if (!r->exit) {
                f = exec(r, c ? s->body : s->els);
            }
            break;
        }
        case KR_ST_WHILE:
            f = exec_while(r, s);
            break;
        case KR_ST_SWITCH:
            f = exec_switch(r, s);
            break;
        case KR_ST_ASSIGN:
            assign(r, s);
            break;
        case KR_ST_RETURN: {
            int64_t i = 1;
            if (s->e) {
                eval_or_null(r, s->e, &v);
                if (r->exit) {
                    break;
                }
                if (v.type == KR_VAL_NULL || to_int(&v, &i) < 0) {
                    i = truthy(&v) ? 1 : -1;
                }
            }
            r->ret = i;
            r->ctx->retcode = i;
            f = i == 0 ? FL_EXIT : FL_RETURN;
            break;
        }
        case KR_ST_EXIT:
            f = FL_EXIT;
            break;
        case KR_ST_DROP:
            r->ctx->dropped = true;
            f = FL_DROP;
            break;
        case KR_ST_BREAK:
            f = FL_BREAK;
            break;
        case KR_ST_BLOCK:
            f = exec(r, s->body);
            break;
        }
        if (r->exit && f == FL_NEXT) {
            f = FL_EXIT;
        }
        if (f != FL_NEXT) {
            return f;
        }
    }
    return FL_NEXT;
}

/* --- entry points --- */

static enum kr_route_type kind_type(enum kr_cfg_route_kind kind)
{
    switch (kind) {
    case KR_CFG_ROUTE_REPLY:
    case KR_CFG_ROUTE_ONREPLY:
        return KR_ROUTE_REPLY;
    case KR_CFG_ROUTE_FAILURE:
        return KR_ROUTE_FAILURE;
    case KR_CFG_ROUTE_BRANCH:
        return KR_ROUTE_BRANCH;
    case KR_CFG_ROUTE_ONSEND:
        return KR_ROUTE_ONSEND;
    case KR_CFG_ROUTE_EVENT:
        return KR_ROUTE_EVENT;
    default:
        return KR_ROUTE_REQUEST;
    }
}

int kr_cfg_route_index(const struct kr_cfg *cfg, enum kr_cfg_route_kind kind, struct kr_str name)
{
    if ((unsigned)kind >= KR_CFG_ROUTE__COUNT) {
        return -1;
    }
    if (kind == KR_CFG_ROUTE_REQUEST || kind == KR_CFG_ROUTE_REPLY || kind == KR_CFG_ROUTE_ONSEND) {
        return cfg->route_main[kind];
    }
    for (size_t i = 0; i < cfg->routes.n; i++) {
        const struct kr_route *r = route_at(cfg, i);
        if (r->kind == kind && kr_str_eq(r->name, name)) {
            return (int)i;
        }
    }
    return -1;
}

bool kr_cfg_has_route(const struct kr_cfg *cfg, enum kr_cfg_route_kind kind, struct kr_str name)
{
    return kr_cfg_route_index(cfg, kind, name) >= 0;
}

int kr_cfg_run_index(const struct kr_cfg *cfg, struct kr_ctx *ctx, int index)
{
    if (index < 0 || (size_t)index >= cfg->routes.n) {
        return KR_ENOTFOUND;
    }
    const struct kr_route *rt = route_at(cfg, (size_t)index);
    struct run r = { .ctx = ctx, .cfg = cfg, .arena = ctx->arena };

    ctx->cfg = cfg;
    if (rt->kind != KR_CFG_ROUTE_SUB) {
        ctx->route_type = kind_type(rt->kind);
    } else if (ctx->route_type == 0) {
        ctx->route_type = KR_ROUTE_REQUEST;
    }
    switch (exec(&r, rt->body)) {
    case FL_EXIT:
        /* a drop in a route(X) ends the script as a drop */
        return ctx->dropped ? KR_CFG_END_DROP : KR_CFG_END_EXIT;
    case FL_DROP:
        return KR_CFG_END_DROP;
    case FL_RETURN:
        ctx->retcode = r.ret;
        return KR_CFG_END_DONE;
    default:
        ctx->retcode = 1;
        return KR_CFG_END_DONE;
    }
}

int kr_cfg_run(const struct kr_cfg *cfg, struct kr_ctx *ctx, enum kr_cfg_route_kind kind,
               struct kr_str name)
{
    return kr_cfg_run_index(cfg, ctx, kr_cfg_route_index(cfg, kind, name));
}

int kr_cfg_fold(struct kr_cfg *cfg, const struct kr_expr *e, struct kr_value *out)
{
    struct run r = { .ctx = NULL, .cfg = cfg, .arena = &cfg->arena };
    return eval(&r, e, out);
}
