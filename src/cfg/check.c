/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config checker; see check.h. Runs after parsing: modules, modparams, routes, then every
 * statement (functions and their arguments, route calls, pseudo-variables, regexes),
 * then route types (which route kinds reach each route[X]) for the functions' limits. */
#include "cfg/check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cfg/interp.h"
#include "cfg/pv.h"
#include "cfg/trans.h"
#include "core/log.h"

enum { MAX_ERRORS = 20 };

struct checker {
    struct kr_cfg *cfg;
    struct kr_diag *d;
    int cur_route;       /* index of the route being checked */
    struct kr_vec edges; /* struct edge: route(X) calls */
};

struct edge {
    int from;
    int to;
};

#define ERR(k, loc, ...)                                                                           \
    do {                                                                                           \
        if ((k)->d->n < MAX_ERRORS) {                                                              \
            kr_diag_add((k)->d, (loc), __VA_ARGS__);                                               \
        }                                                                                          \
    } while (0)

/* --- modules --- */

static const struct kr_module *find_module(const struct kr_cfg *cfg, struct kr_str name)
{
    for (const struct kr_module *const *m = cfg->all_modules; m && *m; m++) {
        if (kr_str_eq(kr_str_c((*m)->name), name)) {
            return *m;
        }
    }
    return NULL;
}

static bool is_alias(const struct kr_cfg *cfg, struct kr_str name)
{
    for (const char *const *a = cfg->mod_aliases; a && *a; a++) {
        if (kr_str_eq(kr_str_c(*a), name)) {
            return true;
        }
    }
    return false;
}

static const struct kr_cfg_mod *loaded(const struct kr_cfg *cfg, struct kr_str name)
{
    for (size_t i = 0; i < cfg->mods.n; i++) {
        const struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i);
        if (kr_str_eq(kr_str_c(cm->m->name), name)) {
            return cm;
        }
    }
    return NULL;
}

static int add_mod(struct kr_cfg *cfg, const struct kr_module *m, struct kr_loc loc)
{
    if (loaded(cfg, kr_str_c(m->name))) {
        return 0;
    }
    struct kr_cfg_mod *cm = kr_vec_push(&cfg->mods, sizeof(*cm));
    if (cm == NULL) {
        return KR_ENOMEM;
    }
    cm->m = m;
    cm->loc = loc;
    return 0;
}

static int check_modules(struct checker *k)
{
    struct kr_cfg *cfg = k->cfg;

    for (const struct kr_module *const *m = cfg->all_modules; m && *m; m++) {
        if ((*m)->always && add_mod(cfg, *m, (struct kr_loc){ 0 }) < 0) {
            return KR_ENOMEM;
        }
    }
    for (size_t i = 0; i < cfg->loadmods.n; i++) {
        const struct kr_loadmod *lm = kr_vec_at(&cfg->loadmods, sizeof(*lm), i);
        const struct kr_module *m = find_module(cfg, lm->name);
        if (m) {
            if (add_mod(cfg, m, lm->loc) < 0) {
                return KR_ENOMEM;
            }
        } else if (!is_alias(cfg, lm->name)) {
            ERR(k, lm->loc, "unknown module '" KR_STR_FMT "' in loadmodule", KR_STR_ARG(lm->name));
        }
    }
    return 0;
}

/* "name=i:1" / "name=s:text" (pv's shvset / varset). */
static int typed_assign(struct kr_str s, struct kr_str *name, struct kr_value *v)
{
    long eq = kr_str_chr(s, '=');
    if (eq <= 0) {
        return KR_EINVAL;
    }
    *name = kr_str_trim(kr_str_make(s.ptr, (size_t)eq));
    struct kr_str rest = kr_str_sub(s, (size_t)eq + 1, s.len);
    if (rest.len < 2 || rest.ptr[1] != ':' || (rest.ptr[0] != 'i' && rest.ptr[0] != 's')) {
        return KR_EINVAL;
    }
    struct kr_str val = kr_str_sub(rest, 2, rest.len);
    if (rest.ptr[0] == 'i') {
        int64_t i;
        if (kr_str_to_i64(kr_str_trim(val), &i) < 0) {
            return KR_EINVAL;
        }
        *v = kr_value_int(i);
    } else {
        *v = kr_value_str(val);
    }
    return name->len ? 0 : KR_EINVAL;
}

static void pv_modparam(struct checker *k, const struct kr_modparam *mp)
{
    struct kr_cfg *cfg = k->cfg;
    bool shv = kr_str_eq(mp->name, KR_STR("shvset"));
    bool var = kr_str_eq(mp->name, KR_STR("varset"));
    struct kr_str name;
    struct kr_value v;

    if (!shv && !var) {
        KR_WARN("%s:%u: modparam \"pv\", \"" KR_STR_FMT "\" is not used by korero", mp->loc.file,
                mp->loc.line, KR_STR_ARG(mp->name));
        return;
    }
    if (mp->v.type != KR_VAL_STR || typed_assign(mp->v.s, &name, &v) < 0) {
        ERR(k, mp->val_loc,
            "modparam '" KR_STR_FMT "' of 'pv' expects \"name=i:number\" or "
            "\"name=s:text\"",
            KR_STR_ARG(mp->name));
        return;
    }
    if (shv) {
        int slot = kr_cfg_shv_slot(cfg, name);
        if (slot >= 0) {
            kr_cfg_shv_init(cfg, slot, &v);
        }
        return;
    }
    int slot = kr_cfg_var_slot(cfg, name);
    struct kr_var_init *vi = slot >= 0 ? kr_vec_push(&cfg->var_inits, sizeof(*vi)) : NULL;
    if (vi) {
        vi->slot = (size_t)slot;
        vi->val = v;
    }
}

static void check_modparams(struct checker *k)
{
    struct kr_cfg *cfg = k->cfg;

    for (size_t i = 0; i < cfg->mparams.n; i++) {
        struct kr_modparam *mp = kr_vec_at(&cfg->mparams, sizeof(*mp), i);
        const struct kr_cfg_mod *cm = loaded(cfg, mp->mod);
        if (cm == NULL) {
            if (find_module(cfg, mp->mod)) {
                ERR(k, mp->mod_loc,
                    "modparam for module '" KR_STR_FMT "' that is not loaded, add "
                    "loadmodule \"" KR_STR_FMT ".so\"",
                    KR_STR_ARG(mp->mod), KR_STR_ARG(mp->mod));
            } else if (is_alias(cfg, mp->mod)) {
                if (kr_str_eq(mp->mod, KR_STR("pv"))) {
                    pv_modparam(k, mp);
                }
            } else {
                ERR(k, mp->mod_loc, "unknown module '" KR_STR_FMT "' in modparam",
                    KR_STR_ARG(mp->mod));
            }
            continue;
        }
        const struct kr_param *p = NULL;
        for (const struct kr_param *q = cm->m->params; q && q->name; q++) {
            if (kr_str_eq(kr_str_c(q->name), mp->name)) {
                p = q;
                break;
            }
        }
        if (p == NULL) {
            ERR(k, mp->name_loc, "module '%s' has no parameter '" KR_STR_FMT "'", cm->m->name,
                KR_STR_ARG(mp->name));
            continue;
        }
        if (p->type == KR_PARAM_INT && mp->v.type != KR_VAL_INT) {
            ERR(k, mp->val_loc,
                "modparam '" KR_STR_FMT "' of '%s' expects an integer, found \"" KR_STR_FMT "\"",
                KR_STR_ARG(mp->name), cm->m->name, KR_STR_ARG(mp->text));
            continue;
        }
        if (p->type == KR_PARAM_STR && mp->v.type == KR_VAL_INT) {
            mp->v = kr_value_str(mp->text);
        }
    }
}

/* --- routes --- */

static const char *kind_name(enum kr_cfg_route_kind kind)
{
    static const char *const names[] = {
        [KR_CFG_ROUTE_REQUEST] = "request_route", [KR_CFG_ROUTE_REPLY] = "reply_route",
        [KR_CFG_ROUTE_ONREPLY] = "onreply_route", [KR_CFG_ROUTE_FAILURE] = "failure_route",
        [KR_CFG_ROUTE_BRANCH] = "branch_route",   [KR_CFG_ROUTE_ONSEND] = "onsend_route",
        [KR_CFG_ROUTE_EVENT] = "event_route",     [KR_CFG_ROUTE_SUB] = "route",
    };
    return (unsigned)kind < KR_CFG_ROUTE__COUNT ? names[kind] : "route";
}

static struct kr_route *route_at(const struct kr_cfg *cfg, size_t i)
{
    return kr_vec_at(&cfg->routes, sizeof(struct kr_route), i);
}

static void check_routes(struct checker *k)
{
    struct kr_cfg *cfg = k->cfg;

    for (int i = 0; i < KR_CFG_ROUTE__COUNT; i++) {
        cfg->route_main[i] = -1;
    }
    for (size_t i = 0; i < cfg->routes.n; i++) {
        struct kr_route *r = route_at(cfg, i);
        if (r->name.len == 0) {
            if (cfg->route_main[r->kind] >= 0) {
                struct kr_route *o = route_at(cfg, (size_t)cfg->route_main[r->kind]);
                ERR(k, r->loc, "%s is already defined at %s:%u", kind_name(r->kind), o->loc.file,
                    o->loc.line);
                continue;
            }
            cfg->route_main[r->kind] = (int)i;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            struct kr_route *o = route_at(cfg, j);
            if (o->kind == r->kind && kr_str_eq(o->name, r->name)) {
                ERR(k, r->loc, "%s[" KR_STR_FMT "] is already defined at %s:%u", kind_name(r->kind),
                    KR_STR_ARG(r->name), o->loc.file, o->loc.line);
                break;
            }
        }
    }
}

/* --- pseudo-variables --- */

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
}

static void pv_error(struct checker *k, struct kr_loc loc, struct kr_str text,
                     const struct kr_err *e)
{
    const char *reason = e->reason ? e->reason : "bad pseudo-variable";
    size_t off = e->off <= text.len ? e->off : text.len;

    if (loc.line) {
        loc.col += (uint32_t)off;
    }
    if (strcmp(reason, "unknown pseudo-variable") == 0) {
        /* Point at the '$' that starts it, not at its name. */
        if (loc.line && off > 0 && text.ptr[off - 1] == '$') {
            loc.col--;
        }
        size_t n = 0;
        while (off + n < text.len && name_char(text.ptr[off + n])) {
            n++;
        }
        ERR(k, loc, "unknown pseudo-variable '$%.*s'", (int)n, text.ptr + off);
    } else if (strcmp(reason, "unknown transformation") == 0) {
        size_t n = 0;
        while (off + n < text.len && text.ptr[off + n] != ',' && text.ptr[off + n] != '}') {
            n++;
        }
        ERR(k, loc, "unknown transformation '{%.*s}'", (int)n, text.ptr + off);
    } else {
        ERR(k, loc, "%s in '" KR_STR_FMT "'", reason, KR_STR_ARG(text));
    }
}

static struct kr_pv *parse_pv(struct checker *k, struct kr_str text, struct kr_loc loc)
{
    struct kr_err e = { 0 };
    struct kr_pv *pv = NULL;
    int rc = kr_cfg_pv_parse(k->cfg, text, &pv, &e);
    if (rc < 0) {
        pv_error(k, loc, text, &e);
        return NULL;
    }
    return pv;
}

/* A string argument: the column of its first character follows the quote. */
static struct kr_fmt *parse_fmt(struct checker *k, struct kr_str text, struct kr_loc loc,
                                bool quoted)
{
    struct kr_err e = { 0 };
    struct kr_fmt *f = NULL;
    int rc = kr_cfg_fmt_parse(k->cfg, text, &f, &e);
    if (rc < 0) {
        if (quoted && loc.line) {
            loc.col++;
        }
        pv_error(k, loc, text, &e);
        return NULL;
    }
    return f;
}

/* --- functions --- */

static unsigned arg_counts(const struct kr_func *f, unsigned *min)
{
    unsigned n = 0;
    *min = 0;
    while (n < KR_FUNC_MAX_ARGS && f->args[n] != KR_ARG_NONE) {
        if (f->args[n] != KR_ARG_STR_OPT && f->args[n] != KR_ARG_INT_OPT) {
            *min = n + 1;
        }
        n++;
    }
    return n;
}

static const struct kr_func *find_func(const struct kr_module *m, struct kr_str name)
{
    for (const struct kr_func *f = m->funcs; f && f->name; f++) {
        if (kr_str_eq(kr_str_c(f->name), name)) {
            return f;
        }
    }
    return NULL;
}

static bool has_pv(struct kr_str s)
{
    for (size_t i = 0; i + 1 < s.len; i++) {
        if (s.ptr[i] == '$' && s.ptr[i + 1] == '$') {
            i++;
            continue;
        }
        if (s.ptr[i] == '$' && kr_pv_scan(kr_str_make(s.ptr + i, s.len - i)) > 0) {
            return true;
        }
    }
    return false;
}

static int convert_arg(struct checker *k, struct kr_call *c, unsigned i)
{
    const struct kr_rawarg *ra = &c->raw[i];
    struct kr_arg *a = &c->args[i];
    enum kr_arg_kind kind = c->func->args[i];
    bool quoted = ra->kind == KR_RA_STR;

    a->kind = kind;
    a->present = true;
    a->lit = ra->text;
    switch (kind) {
    case KR_ARG_STR:
    case KR_ARG_STR_OPT:
        if (ra->kind == KR_RA_INT) {
            a->is_const = true;
            a->ival = ra->ival;
            return 0;
        }
        a->fmt = parse_fmt(k, ra->text, ra->loc, quoted);
        if (a->fmt == NULL) {
            return KR_EINVAL;
        }
        if (a->fmt->is_const) {
            a->is_const = true;
            a->lit = a->fmt->parts[0].lit;
            (void)kr_str_to_i64(a->lit, &a->ival);
        } else if (a->fmt->nparts == 1 && a->fmt->parts[0].lit.len == 0) {
            a->pv = (struct kr_pv *)a->fmt->parts[0].pv;
        }
        return 0;
    case KR_ARG_INT:
    case KR_ARG_INT_OPT:
        if (ra->kind == KR_RA_INT) {
            a->is_const = true;
            a->ival = ra->ival;
            return 0;
        }
        if (ra->kind == KR_RA_PV || has_pv(ra->text)) {
            struct kr_fmt *f = parse_fmt(k, ra->text, ra->loc, quoted);
            if (f == NULL) {
                return KR_EINVAL;
            }
            if (f->nparts == 1 && f->parts[0].lit.len == 0) {
                a->pv = (struct kr_pv *)f->parts[0].pv;
            } else {
                a->fmt = f;
            }
            return 0;
        }
        {
            struct kr_str t = kr_str_trim(ra->text);
            if (t.len && t.ptr[0] == '+') {
                t = kr_str_sub(t, 1, t.len);
            }
            if (kr_str_to_i64(t, &a->ival) < 0) {
                ERR(k, ra->loc,
                    "argument %u of '" KR_STR_FMT "' expects an integer, found '" KR_STR_FMT "'",
                    i + 1, KR_STR_ARG(c->name), KR_STR_ARG(ra->text));
                return KR_EINVAL;
            }
            a->is_const = true;
        }
        return 0;
    case KR_ARG_PV: {
        struct kr_loc loc = ra->loc;
        if (ra->kind == KR_RA_STR && loc.line) {
            loc.col++;
        }
        if (ra->text.len == 0 || ra->text.ptr[0] != '$') {
            ERR(k, ra->loc,
                "argument %u of '" KR_STR_FMT "' expects a pseudo-variable, found '" KR_STR_FMT "'",
                i + 1, KR_STR_ARG(c->name), KR_STR_ARG(ra->text));
            return KR_EINVAL;
        }
        a->pv = parse_pv(k, ra->text, loc);
        return a->pv ? 0 : KR_EINVAL;
    }
    case KR_ARG_REGEX: {
        if (ra->kind == KR_RA_PV || has_pv(ra->text)) {
            ERR(k, ra->loc,
                "argument %u of '" KR_STR_FMT "' expects a constant regular "
                "expression",
                i + 1, KR_STR_ARG(c->name));
            return KR_EINVAL;
        }
        char *pat = kr_arena_cstr(&k->cfg->arena, ra->text);
        int rc = 0;
        a->re =
            pat ? kr_cfg_regcomp(k->cfg, pat, REG_EXTENDED | REG_ICASE | REG_NEWLINE, &rc) : NULL;
        if (a->re == NULL) {
            ERR(k, ra->loc,
                "bad regular expression '" KR_STR_FMT "' in argument %u of '" KR_STR_FMT "'",
                KR_STR_ARG(ra->text), i + 1, KR_STR_ARG(c->name));
            return KR_EINVAL;
        }
        a->is_const = true;
        return 0;
    }
    default:
        return KR_EINVAL;
    }
}

static void count_msg(char *buf, size_t size, unsigned min, unsigned max)
{
    if (max == 0) {
        snprintf(buf, size, "no arguments");
    } else if (min == max) {
        snprintf(buf, size, "%u argument%s", max, max == 1 ? "" : "s");
    } else {
        snprintf(buf, size, "%u to %u arguments", min, max);
    }
}

static void check_call(struct checker *k, struct kr_call *c)
{
    struct kr_cfg *cfg = k->cfg;
    const struct kr_func *f = NULL;
    const struct kr_module *fm = NULL;

    for (size_t i = 0; i < cfg->mods.n && f == NULL; i++) {
        const struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i);
        f = find_func(cm->m, c->name);
        fm = cm->m;
    }
    if (f == NULL) {
        for (const struct kr_module *const *m = cfg->all_modules; m && *m; m++) {
            if (find_func(*m, c->name)) {
                ERR(k, c->loc,
                    "unknown function '" KR_STR_FMT "': it is in module '%s', add "
                    "loadmodule \"%s.so\"",
                    KR_STR_ARG(c->name), (*m)->name, (*m)->name);
                return;
            }
        }
        ERR(k, c->loc, "unknown function '" KR_STR_FMT "'", KR_STR_ARG(c->name));
        return;
    }
    unsigned min, max = arg_counts(f, &min);
    if (c->nraw < min || c->nraw > max) {
        char want[64];
        count_msg(want, sizeof(want), min, max);
        ERR(k, c->loc, "function '" KR_STR_FMT "' takes %s, found %u", KR_STR_ARG(c->name), want,
            c->nraw);
        return;
    }
    c->func = f;
    c->mod = fm;
    for (unsigned i = 0; i < c->nraw; i++) {
        if (convert_arg(k, c, i) < 0) {
            return;
        }
    }
    for (unsigned i = c->nraw; i < max; i++) {
        c->args[i].kind = f->args[i];
        c->args[i].present = false;
    }
    c->nargs = c->nraw;
    if (f->fixup) {
        struct kr_err e = { 0 };
        struct kr_fixup fx = { .arena = &cfg->arena, .err = &e, .func = f->name, .cfg = cfg };
        if (f->fixup(&fx, c->args, c->nargs) < 0) {
            char what[96];
            snprintf(what, sizeof(what), "function '%s'", f->name);
            if (k->d->n < MAX_ERRORS) {
                kr_diag_err(k->d, c->loc, what, &e);
            }
        }
    }
}

/* --- expressions and statements --- */

static int find_route(const struct kr_cfg *cfg, enum kr_cfg_route_kind kind, struct kr_str name)
{
    for (size_t i = 0; i < cfg->routes.n; i++) {
        const struct kr_route *r = route_at(cfg, i);
        if (r->kind == kind && kr_str_eq(r->name, name)) {
            return (int)i;
        }
    }
    return -1;
}

static void check_rcall(struct checker *k, struct kr_rcall *rc)
{
    struct kr_str name = rc->raw.text;

    if (rc->raw.kind == KR_RA_PV || (rc->raw.kind == KR_RA_STR && has_pv(name))) {
        rc->dyn = parse_fmt(k, name, rc->raw.loc, rc->raw.kind == KR_RA_STR);
        return;
    }
    rc->target = find_route(k->cfg, KR_CFG_ROUTE_SUB, name);
    if (rc->target < 0) {
        ERR(k, rc->raw.loc,
            "unknown route '" KR_STR_FMT "' in route(" KR_STR_FMT "), expected a route[" KR_STR_FMT
            "] block",
            KR_STR_ARG(name), KR_STR_ARG(name), KR_STR_ARG(name));
        return;
    }
    struct edge *e = kr_vec_push(&k->edges, sizeof(*e));
    if (e) {
        e->from = k->cur_route;
        e->to = rc->target;
    }
}

static bool is_const(const struct kr_expr *e)
{
    return e && e->kind == KR_EX_CONST;
}

static void fold(struct checker *k, struct kr_expr *e)
{
    struct kr_value v;
    if (kr_cfg_fold(k->cfg, e, &v) == 0) {
        e->kind = KR_EX_CONST;
        e->val = v;
        e->a = e->b = NULL;
    }
}

/* "10.0.0.0/8", "::1", "[::1]" into e (KR_EX_IPNET). */
static bool parse_net(struct kr_str s, struct kr_expr *e)
{
    char ip[64];
    long slash = kr_str_chr(s, '/');
    struct kr_str addr = slash >= 0 ? kr_str_make(s.ptr, (size_t)slash) : s;
    unsigned mask = 0;

    if (addr.len >= 2 && addr.ptr[0] == '[' && addr.ptr[addr.len - 1] == ']') {
        addr = kr_str_make(addr.ptr + 1, addr.len - 2);
    }
    if (addr.len == 0 || addr.len >= sizeof(ip)) {
        return false;
    }
    memcpy(ip, addr.ptr, addr.len);
    ip[addr.len] = '\0';
    memset(e->net, 0, sizeof(e->net));
    if (inet_pton(AF_INET, ip, e->net) == 1) {
        e->af = AF_INET;
        mask = 32;
    } else if (inet_pton(AF_INET6, ip, e->net) == 1) {
        e->af = AF_INET6;
        mask = 128;
    } else {
        return false;
    }
    if (slash >= 0) {
        uint64_t m;
        if (kr_str_to_u64(kr_str_sub(s, (size_t)slash + 1, s.len), mask, &m) < 0) {
            return false;
        }
        mask = (unsigned)m;
    }
    e->mask = mask;
    return true;
}

static void check_expr(struct checker *k, struct kr_expr *e)
{
    if (e == NULL) {
        return;
    }
    switch (e->kind) {
    case KR_EX_CONST:
        return;
    case KR_EX_KW: {
        /* keywords read the same values as the core's pseudo-variables */
        static const char *const pvs[] = {
            [KR_KW_METHOD] = "$rm",   [KR_KW_URI] = "$ru",      [KR_KW_FROM_URI] = "$fu",
            [KR_KW_TO_URI] = "$tu",   [KR_KW_SRC_IP] = "$si",   [KR_KW_DST_IP] = "$Ri",
            [KR_KW_SRC_PORT] = "$sp", [KR_KW_DST_PORT] = "$Rp", [KR_KW_MSGLEN] = "$ml",
            [KR_KW_STATUS] = "$rs",
        };
        if ((unsigned)e->kw < sizeof(pvs) / sizeof(pvs[0]) && pvs[e->kw]) {
            e->pv = parse_pv(k, kr_str_c(pvs[e->kw]), e->loc);
        }
        return;
    }
    case KR_EX_PV:
        e->pv = parse_pv(k, e->pvtext, e->loc);
        if (e->pv && strcmp(e->pv->def->name, "null") == 0 && e->pv->ntrans == 0) {
            e->kind = KR_EX_CONST;
            e->val = kr_value_null();
        }
        return;
    case KR_EX_CALL:
        check_call(k, e->call);
        return;
    case KR_EX_ROUTE:
        check_rcall(k, e->rcall);
        return;
    case KR_EX_MATCH:
        check_expr(k, e->a);
        check_expr(k, e->b);
        if (is_const(e->b)) {
            struct kr_str pat;
            if (kr_value_to_str(&k->cfg->arena, &e->b->val, &pat) < 0) {
                return;
            }
            char *c = kr_arena_cstr(&k->cfg->arena, pat);
            int rc = 0;
            e->re = c ? kr_cfg_regcomp(k->cfg, c, REG_EXTENDED | REG_NOSUB | REG_ICASE, &rc) : NULL;
            if (e->re == NULL) {
                char why[128] = "";
                if (rc) {
                    regex_t dummy;
                    memset(&dummy, 0, sizeof(dummy));
                    regerror(rc, &dummy, why, sizeof(why));
                }
                ERR(k, e->b->loc, "bad regular expression '" KR_STR_FMT "'%s%s", KR_STR_ARG(pat),
                    why[0] ? ": " : "", why);
            }
        }
        return;
    case KR_EX_MYSELF:
        check_expr(k, e->a);
        if (!(e->a->kind == KR_EX_PV ||
              (e->a->kind == KR_EX_KW &&
               (e->a->kw == KR_KW_URI || e->a->kw == KR_KW_FROM_URI || e->a->kw == KR_KW_TO_URI ||
                e->a->kw == KR_KW_SRC_IP || e->a->kw == KR_KW_DST_IP)))) {
            ERR(k, e->loc,
                "'myself' can only be compared with uri, from_uri, to_uri, src_ip, "
                "dst_ip or a pseudo-variable");
        }
        return;
    case KR_EX_BINARY:
        check_expr(k, e->a);
        check_expr(k, e->b);
        if ((e->op == KR_OP_EQ || e->op == KR_OP_NE) && e->a && e->a->kind == KR_EX_KW &&
            (e->a->kw == KR_KW_SRC_IP || e->a->kw == KR_KW_DST_IP) && is_const(e->b)) {
            struct kr_expr tmp = *e;
            if (e->b->val.type != KR_VAL_STR || !parse_net(e->b->val.s, &tmp)) {
                ERR(k, e->b->loc, "expected an IP address or network after %s %s",
                    e->a->kw == KR_KW_SRC_IP ? "src_ip" : "dst_ip",
                    e->op == KR_OP_EQ ? "==" : "!=");
                return;
            }
            tmp.kind = KR_EX_IPNET;
            tmp.negate = e->op == KR_OP_NE;
            tmp.b = NULL;
            *e = tmp;
            return;
        }
        if (is_const(e->a) && is_const(e->b)) {
            fold(k, e);
        }
        return;
    case KR_EX_AND:
    case KR_EX_OR:
        check_expr(k, e->a);
        check_expr(k, e->b);
        if (is_const(e->a) && is_const(e->b)) {
            fold(k, e);
        }
        return;
    case KR_EX_UNARY:
    case KR_EX_DEFINED:
    case KR_EX_CAST_INT:
    case KR_EX_CAST_STR:
    case KR_EX_STRLEN:
    case KR_EX_STREMPTY:
        check_expr(k, e->a);
        if (is_const(e->a)) {
            fold(k, e);
        }
        return;
    default:
        ERR(k, e->loc, "unexpected expression");
        return;
    }
}

static void check_stmts(struct checker *k, struct kr_stmt *s)
{
    for (; s; s = s->next) {
        switch (s->kind) {
        case KR_ST_EXPR:
        case KR_ST_RETURN:
            check_expr(k, s->e);
            break;
        case KR_ST_IF:
            check_expr(k, s->e);
            check_stmts(k, s->body);
            check_stmts(k, s->els);
            break;
        case KR_ST_WHILE:
            check_expr(k, s->e);
            check_stmts(k, s->body);
            break;
        case KR_ST_BLOCK:
            check_stmts(k, s->body);
            break;
        case KR_ST_SWITCH:
            check_expr(k, s->e);
            for (unsigned i = 0; i < s->ncases; i++) {
                check_stmts(k, s->cases[i].body);
            }
            break;
        case KR_ST_ASSIGN:
            s->lhs = parse_pv(k, s->lhs_text, s->loc);
            if (s->lhs && (s->lhs->def->set == NULL || s->lhs->ntrans)) {
                ERR(k, s->loc,
                    "pseudo-variable '" KR_STR_FMT "' is read-only, expected a "
                    "writable one ($var, $avp, $shv, $ru, $rU, $rd, $rp, $du ...)",
                    KR_STR_ARG(s->lhs_text));
            }
            check_expr(k, s->e);
            break;
        default:
            break;
        }
    }
}

/* --- route types --- */

static unsigned kind_types(enum kr_cfg_route_kind kind)
{
    switch (kind) {
    case KR_CFG_ROUTE_REQUEST:
        return KR_ROUTE_REQUEST;
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
        return 0;
    }
}

static const char *type_name(unsigned bit)
{
    switch (bit) {
    case KR_ROUTE_REQUEST:
        return "request_route";
    case KR_ROUTE_REPLY:
        return "reply_route";
    case KR_ROUTE_FAILURE:
        return "failure_route";
    case KR_ROUTE_BRANCH:
        return "branch_route";
    case KR_ROUTE_ONSEND:
        return "onsend_route";
    default:
        return "event_route";
    }
}

static void types_expr(struct checker *k, const struct kr_route *r, const struct kr_expr *e);

static void types_call(struct checker *k, const struct kr_route *r, const struct kr_call *c)
{
    if (c->func == NULL) {
        return;
    }
    unsigned allowed = c->func->routes ? c->func->routes : KR_ROUTE_ANY;
    unsigned bad = r->types & ~allowed;
    if (bad == 0) {
        return;
    }
    unsigned bit = bad & (~bad + 1);
    if (r->kind == KR_CFG_ROUTE_SUB) {
        ERR(k, c->loc,
            "function '%s' is not allowed in %s (route[" KR_STR_FMT "] is called "
            "from one)",
            c->func->name, type_name(bit), KR_STR_ARG(r->name));
    } else {
        ERR(k, c->loc, "function '%s' is not allowed in %s", c->func->name, type_name(bit));
    }
}

static void types_expr(struct checker *k, const struct kr_route *r, const struct kr_expr *e)
{
    if (e == NULL) {
        return;
    }
    if (e->kind == KR_EX_CALL) {
        types_call(k, r, e->call);
    }
    types_expr(k, r, e->a);
    types_expr(k, r, e->b);
}

static void types_stmts(struct checker *k, const struct kr_route *r, const struct kr_stmt *s)
{
    for (; s; s = s->next) {
        types_expr(k, r, s->e);
        types_stmts(k, r, s->body);
        types_stmts(k, r, s->els);
        for (unsigned i = 0; i < s->ncases; i++) {
            types_stmts(k, r, s->cases[i].body);
        }
    }
}

static void check_types(struct checker *k)
{
    struct kr_cfg *cfg = k->cfg;
    bool changed = true;

    for (size_t i = 0; i < cfg->routes.n; i++) {
        struct kr_route *r = route_at(cfg, i);
        r->types = kind_types(r->kind);
    }
    while (changed) {
        changed = false;
        for (size_t i = 0; i < k->edges.n; i++) {
            const struct edge *e = kr_vec_at(&k->edges, sizeof(*e), i);
            struct kr_route *from = route_at(cfg, (size_t)e->from);
            struct kr_route *to = route_at(cfg, (size_t)e->to);
            if ((to->types | from->types) != to->types) {
                to->types |= from->types;
                changed = true;
            }
        }
    }
    for (size_t i = 0; i < cfg->routes.n; i++) {
        const struct kr_route *r = route_at(cfg, i);
        types_stmts(k, r, r->body);
    }
}

int kr_cfg_check(struct kr_cfg *cfg, struct kr_diag *d)
{
    struct checker k = { .cfg = cfg, .d = d };
    unsigned before = d->n;

    if (check_modules(&k) < 0) {
        return KR_ENOMEM;
    }
    check_modparams(&k);
    check_routes(&k);
    for (size_t i = 0; i < cfg->routes.n; i++) {
        k.cur_route = (int)i;
        check_stmts(&k, route_at(cfg, i)->body);
    }
    check_types(&k);
    kr_vec_free(&k.edges);
    return d->n > before ? KR_EINVAL : 0;
}
