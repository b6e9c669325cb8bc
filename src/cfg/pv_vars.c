/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Script variables: $var and $vn (per worker, kept across messages in a kr_vars store the
 * worker owns, heap memory), $avp (per message, a stack per name in ctx->avps, arena memory) and
 * $shv (shared by all workers: a table in the config behind one mutex, values copied in
 * and out). Names are resolved to slots at load time. */
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "cfg/pv_core.h"
#include "cfg/tree.h"

struct kr_var {
    char *name;
    size_t nlen;
    struct kr_value val;
    char *buf;
    size_t cap;
};

struct kr_vars {
    uint64_t gen; /* config the slots are laid out for; 0: none yet */
    struct kr_var *v;
    size_t n;
    size_t cap;
};

struct kr_vars *kr_vars_new(void)
{
    return calloc(1, sizeof(struct kr_vars));
}

static void var_clear(struct kr_var *v)
{
    free(v->name);
    free(v->buf);
    memset(v, 0, sizeof(*v));
}

void kr_vars_free(struct kr_vars *vs)
{
    if (vs == NULL) {
        return;
    }
    for (size_t i = 0; i < vs->n; i++) {
        var_clear(&vs->v[i]);
    }
    free(vs->v);
    free(vs);
}

/* Stores val in a heap buffer that grows; the old buffer is freed only after the copy so
 * that assigning a variable's own value to it is safe. */
static int store_value(struct kr_value *dst, char **buf, size_t *cap, const struct kr_value *val)
{
    if (val->type != KR_VAL_STR) {
        dst->type = val->type;
        dst->i = val->type == KR_VAL_INT ? val->i : 0;
        dst->s = KR_STR_NULL;
        return 0;
    }
    size_t len = val->s.len;
    if (len + 1 > *cap) {
        size_t ncap = len + 1 < 32 ? 32 : len + 1;
        char *nb = malloc(ncap);
        if (nb == NULL) {
            return KR_ENOMEM;
        }
        if (len) {
            memcpy(nb, val->s.ptr, len);
        }
        free(*buf);
        *buf = nb;
        *cap = ncap;
    } else if (len) {
        memmove(*buf, val->s.ptr, len);
    }
    (*buf)[len] = '\0';
    dst->type = KR_VAL_STR;
    dst->i = 0;
    dst->s = kr_str_make(*buf, len);
    return 0;
}

static int vars_grow(struct kr_vars *vs, size_t need)
{
    if (need <= vs->cap) {
        return 0;
    }
    size_t ncap = vs->cap ? vs->cap * 2 : 16;
    while (ncap < need) {
        ncap *= 2;
    }
    struct kr_var *nv = realloc(vs->v, ncap * sizeof(*nv));
    if (nv == NULL) {
        return KR_ENOMEM;
    }
    memset(nv + vs->cap, 0, (ncap - vs->cap) * sizeof(*nv));
    vs->v = nv;
    vs->cap = ncap;
    return 0;
}

/* Lays the store out for cfg: slot i holds cfg's i-th $var name; values of names the new
 * config also has are kept (a reload), the others dropped. Rare: after a reload only. */
static int vars_bind(struct kr_vars *vs, const struct kr_cfg *cfg)
{
    size_t n = cfg->var_names.n;
    struct kr_var *nv = calloc(n ? n : 1, sizeof(*nv));

    if (nv == NULL) {
        return KR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct kr_str *name = kr_vec_at(&cfg->var_names, sizeof(*name), i);
        for (size_t j = 0; j < vs->n; j++) {
            struct kr_var *o = &vs->v[j];
            if (o->name && kr_str_eq(kr_str_make(o->name, o->nlen), *name)) {
                nv[i] = *o;
                memset(o, 0, sizeof(*o));
                break;
            }
        }
        if (nv[i].name == NULL) {
            nv[i].name = malloc(name->len + 1);
            if (nv[i].name == NULL) {
                free(nv);
                return KR_ENOMEM;
            }
            memcpy(nv[i].name, name->ptr, name->len);
            nv[i].name[name->len] = '\0';
            nv[i].nlen = name->len;
            for (size_t k = 0; k < cfg->var_inits.n; k++) {
                const struct kr_var_init *vi = kr_vec_at(&cfg->var_inits, sizeof(*vi), k);
                if (vi->slot == i) {
                    store_value(&nv[i].val, &nv[i].buf, &nv[i].cap, &vi->val);
                }
            }
        }
    }
    for (size_t j = 0; j < vs->n; j++) {
        var_clear(&vs->v[j]);
    }
    free(vs->v);
    vs->v = nv;
    vs->n = n;
    vs->cap = n ? n : 1;
    vs->gen = cfg->gen;
    return 0;
}

static struct kr_var *var_find(struct kr_ctx *ctx, const struct kr_pv_name *n, bool create)
{
    struct kr_vars *vs = ctx->vars;

    if (vs == NULL || ctx->cfg == NULL) {
        return NULL;
    }
    if (vs->gen != ctx->cfg->gen && vars_bind(vs, ctx->cfg) < 0) {
        return NULL;
    }
    if (n->priv) {
        size_t slot = (size_t)(uintptr_t)n->priv - 1;
        return slot < vs->n ? &vs->v[slot] : NULL;
    }
    /* A name computed at run time: found by name, added at the end when new. */
    for (size_t i = 0; i < vs->n; i++) {
        if (kr_str_eq(kr_str_make(vs->v[i].name, vs->v[i].nlen), n->name)) {
            return &vs->v[i];
        }
    }
    if (!create || vars_grow(vs, vs->n + 1) < 0) {
        return NULL;
    }
    struct kr_var *v = &vs->v[vs->n];
    v->name = malloc(n->name.len + 1);
    if (v->name == NULL) {
        return NULL;
    }
    memcpy(v->name, n->name.ptr, n->name.len);
    v->name[n->name.len] = '\0';
    v->nlen = n->name.len;
    vs->n++;
    return v;
}

/* $vn(x) lives in the same store as $var(x) under another name. */
static const char vn_prefix[] = "\x01vn:";

static struct kr_str vn_name(struct kr_arena *a, struct kr_str name)
{
    size_t pl = sizeof(vn_prefix) - 1;
    char *p = kr_arena_alloc(a, pl + name.len + 1);
    if (p == NULL) {
        return KR_STR_NULL;
    }
    memcpy(p, vn_prefix, pl);
    if (name.len) {
        memcpy(p + pl, name.ptr, name.len);
    }
    p[pl + name.len] = '\0';
    return kr_str_make(p, pl + name.len);
}

static int var_parse_as(struct kr_fixup *fx, struct kr_pv_name *n, bool nullable)
{
    if (n->name.len == 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "variable needs a name");
    }
    struct kr_str name = nullable ? vn_name(fx->arena, n->name) : n->name;
    int slot = name.ptr ? kr_cfg_var_slot(fx->cfg, name) : -1;
    if (slot < 0) {
        return KR_ENOMEM;
    }
    n->priv = (void *)(uintptr_t)(slot + 1);
    return 0;
}

static int var_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    return var_parse_as(fx, n, false);
}

static int vn_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    return var_parse_as(fx, n, true);
}

/* A name computed at run time ($vn($var(x))): the same lookup with the prefix. */
static struct kr_var *vn_find(struct kr_ctx *ctx, const struct kr_pv_name *n, bool create)
{
    if (n->priv) {
        return var_find(ctx, n, create);
    }
    struct kr_pv_name tmp = *n;
    tmp.name = vn_name(ctx->arena, n->name);
    return tmp.name.ptr ? var_find(ctx, &tmp, create) : NULL;
}

/* As Kamailio's: a $var never set, or set to $null, is the integer 0. */
static int var_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_var *v = var_find(ctx, n, false);
    *out = v && v->val.type != KR_VAL_NULL ? v->val : kr_value_int(0);
    return 0;
}

static int var_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *val)
{
    struct kr_var *v = var_find(ctx, n, true);
    if (v == NULL) {
        return ctx->vars ? KR_ENOMEM : KR_EINVAL;
    }
    if (val->type == KR_VAL_NULL) {
        struct kr_value zero = kr_value_int(0);
        return store_value(&v->val, &v->buf, &v->cap, &zero);
    }
    return store_value(&v->val, &v->buf, &v->cap, val);
}

/* $vn: like $var, but it can be $null (and is until set). */
static int vn_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_var *v = vn_find(ctx, n, false);
    *out = v ? v->val : kr_value_null();
    return 0;
}

static int vn_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *val)
{
    struct kr_var *v = vn_find(ctx, n, true);
    if (v == NULL) {
        return ctx->vars ? KR_ENOMEM : KR_EINVAL;
    }
    return store_value(&v->val, &v->buf, &v->cap, val);
}

/* --- $avp --- */

static struct kr_str avp_name(struct kr_str s)
{
    if (s.len > 2 && (s.ptr[0] == 's' || s.ptr[0] == 'i') && s.ptr[1] == ':') {
        return kr_str_make(s.ptr + 2, s.len - 2);
    }
    return s;
}

static int avp_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    if (avp_name(n->name).len == 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "$avp needs a name");
    }
    return 0;
}

static int avp_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_str name = avp_name(n->name);
    size_t count = 0;

    *out = kr_value_null();
    for (struct kr_avp *a = ctx->avps; a; a = a->next) {
        if (kr_str_eq(a->name, name)) {
            count++;
        }
    }
    if (count == 0) {
        return 0;
    }
    if (n->all_index) {
        /* every value, newest first, joined by "," */
        size_t len = 0;
        for (struct kr_avp *a = ctx->avps; a; a = a->next) {
            if (kr_str_eq(a->name, name)) {
                struct kr_str s;
                if (kr_value_to_str(ctx->arena, &a->val, &s) < 0) {
                    return KR_ENOMEM;
                }
                len += s.len + 1;
            }
        }
        char *p = kr_arena_alloc(ctx->arena, len + 1);
        size_t pos = 0;
        if (p == NULL) {
            return KR_ENOMEM;
        }
        for (struct kr_avp *a = ctx->avps; a; a = a->next) {
            if (kr_str_eq(a->name, name)) {
                struct kr_str s;
                if (kr_value_to_str(ctx->arena, &a->val, &s) < 0) {
                    return KR_ENOMEM;
                }
                if (pos) {
                    p[pos++] = ',';
                }
                if (s.len) {
                    memcpy(p + pos, s.ptr, s.len);
                }
                pos += s.len;
            }
        }
        *out = kr_value_str(kr_str_make(p, pos));
        return 0;
    }
    int64_t idx = n->has_index ? n->index : 0;
    if (idx < 0) {
        idx += (int64_t)count;
    }
    if (idx < 0 || (size_t)idx >= count) {
        return 0;
    }
    for (struct kr_avp *a = ctx->avps; a; a = a->next) {
        if (kr_str_eq(a->name, name) && idx-- == 0) {
            *out = a->val;
            return 0;
        }
    }
    return 0;
}

static int avp_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    struct kr_str name = avp_name(n->name);
    struct kr_avp **pp;

    if (v->type == KR_VAL_NULL) {
        /* delete all, or only the n-th */
        int64_t idx = n->has_index && !n->all_index ? n->index : -1;
        size_t seen = 0;
        if (idx < -1) {
            return 0;
        }
        pp = &ctx->avps;
        while (*pp) {
            if (kr_str_eq((*pp)->name, name)) {
                if (idx == -1 || (int64_t)seen == idx) {
                    *pp = (*pp)->next;
                    if (idx != -1) {
                        return 0;
                    }
                    seen++;
                    continue;
                }
                seen++;
            }
            pp = &(*pp)->next;
        }
        return 0;
    }
    struct kr_value val = *v;
    if (val.type == KR_VAL_STR) {
        val.s = kr_arena_strdup(ctx->arena, v->s);
        if (val.s.ptr == NULL) {
            return KR_ENOMEM;
        }
    }
    if (n->has_index && !n->all_index && n->index >= 0) {
        int64_t idx = n->index;
        for (struct kr_avp *a = ctx->avps; a; a = a->next) {
            if (kr_str_eq(a->name, name) && idx-- == 0) {
                a->val = val;
                return 0;
            }
        }
        return KR_ENOTFOUND;
    }
    struct kr_avp *a = kr_arena_zalloc(ctx->arena, sizeof(*a));
    if (a == NULL) {
        return KR_ENOMEM;
    }
    a->name = kr_arena_strdup(ctx->arena, name);
    a->val = val;
    a->next = ctx->avps;
    ctx->avps = a;
    return 0;
}

/* --- $shv --- */

static int shv_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    if (n->name.len == 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "$shv needs a name");
    }
    int slot = kr_cfg_shv_slot(fx->cfg, n->name);
    if (slot < 0) {
        return KR_ENOMEM;
    }
    n->priv = (void *)(uintptr_t)(slot + 1);
    return 0;
}

static struct kr_shv_slot *shv_find(const struct kr_cfg *cfg, const struct kr_pv_name *n)
{
    if (n->priv) {
        size_t slot = (size_t)(uintptr_t)n->priv - 1;
        return slot < cfg->shv.slots.n
                   ? kr_vec_at(&cfg->shv.slots, sizeof(struct kr_shv_slot), slot)
                   : NULL;
    }
    for (size_t i = 0; i < cfg->shv.slots.n; i++) {
        struct kr_shv_slot *s = kr_vec_at(&cfg->shv.slots, sizeof(*s), i);
        if (kr_str_eq(kr_str_make(s->name, s->nlen), n->name)) {
            return s;
        }
    }
    return NULL;
}

static int shv_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_cfg *cfg = (struct kr_cfg *)ctx->cfg; /* the lock is the mutable part */
    struct kr_shv_slot *s;
    int rc = 0;

    *out = kr_value_null();
    if (cfg == NULL || (s = shv_find(cfg, n)) == NULL) {
        return 0;
    }
    pthread_mutex_lock(&cfg->shv.lock);
    *out = s->val;
    if (s->val.type == KR_VAL_STR) {
        out->s = kr_arena_strdup(ctx->arena, s->val.s);
        if (out->s.ptr == NULL) {
            rc = KR_ENOMEM;
        }
    }
    pthread_mutex_unlock(&cfg->shv.lock);
    return rc;
}

static int shv_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    struct kr_cfg *cfg = (struct kr_cfg *)ctx->cfg;
    struct kr_shv_slot *s;
    int rc;

    if (cfg == NULL || (s = shv_find(cfg, n)) == NULL) {
        return KR_ENOTFOUND;
    }
    pthread_mutex_lock(&cfg->shv.lock);
    rc = store_value(&s->val, &s->buf, &s->cap, v);
    pthread_mutex_unlock(&cfg->shv.lock);
    return rc;
}

int kr_cfg_shv_init(struct kr_cfg *cfg, int slot, const struct kr_value *v)
{
    struct kr_shv_slot *s = kr_vec_at(&cfg->shv.slots, sizeof(*s), (size_t)slot);
    return store_value(&s->val, &s->buf, &s->cap, v);
}

static int null_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    *out = kr_value_null();
    return 0;
}

const struct kr_pv_def kr_pv_var_defs[] = {
    { .name = "var", .get = var_get, .set = var_set, .parse = var_parse, .needs_name = true },
    { .name = "vn", .get = vn_get, .set = vn_set, .parse = vn_parse, .needs_name = true },
    { .name = "avp", .get = avp_get, .set = avp_set, .parse = avp_parse, .needs_name = true },
    { .name = "shv", .get = shv_get, .set = shv_set, .parse = shv_parse, .needs_name = true },
    { .name = "null", .get = null_get },
    { 0 },
};
