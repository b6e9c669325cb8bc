/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Module plumbing at run time: argument evaluation for script functions, modparam reads
 * for init hooks, module state lookup, and the init / worker_init / destroy hooks of the
 * loaded modules. Arguments are evaluated on worker threads into the message arena. */
#include "cfg/module.h"

#include <string.h>

#include "cfg/cfg.h"
#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "cfg/tree.h"
#include "core/buf.h"

int kr_arg_str(struct kr_ctx *ctx, const struct kr_arg *a, struct kr_str *out)
{
    if (!a->present) {
        *out = KR_STR_NULL;
        return 0;
    }
    if (a->is_const) {
        *out = a->lit;
        return 0;
    }
    if (a->fmt) {
        return kr_fmt_eval(ctx, a->fmt, out);
    }
    if (a->pv) {
        struct kr_value v;
        int rc = kr_pv_get(ctx, a->pv, &v);
        if (rc < 0) {
            return rc;
        }
        if (v.type == KR_VAL_NULL) {
            *out = KR_STR("<null>");
            return 0;
        }
        return kr_value_to_str(ctx->arena, &v, out);
    }
    *out = a->lit;
    return 0;
}

int kr_arg_int(struct kr_ctx *ctx, const struct kr_arg *a, int64_t *out)
{
    if (!a->present) {
        *out = 0;
        return 0;
    }
    if (a->is_const) {
        *out = a->ival;
        return 0;
    }
    struct kr_value v;
    if (a->pv) {
        int rc = kr_pv_get(ctx, a->pv, &v);
        if (rc < 0) {
            return rc;
        }
        return kr_value_to_int(&v, out);
    }
    if (a->fmt) {
        struct kr_str s;
        int rc = kr_fmt_eval(ctx, a->fmt, &s);
        if (rc < 0) {
            return rc;
        }
        v = kr_value_str(s);
        return kr_value_to_int(&v, out);
    }
    *out = a->ival;
    return 0;
}

/* The last value given for mod/name, or NULL. */
static const struct kr_modparam *find_param(const struct kr_cfg *cfg, const char *mod,
                                            const char *name, size_t nth, bool last)
{
    const struct kr_modparam *found = NULL;
    struct kr_str m = kr_str_c(mod);
    struct kr_str n = kr_str_c(name);
    size_t seen = 0;

    if (cfg == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < cfg->mparams.n; i++) {
        const struct kr_modparam *p = kr_vec_at(&cfg->mparams, sizeof(*p), i);
        if (kr_str_eq(p->mod, m) && kr_str_caseeq(p->name, n)) {
            if (last) {
                found = p;
            } else if (seen++ == nth) {
                return p;
            }
        }
    }
    return found;
}

int64_t kr_modparam_int(const struct kr_cfg *cfg, const char *mod, const char *name, int64_t def)
{
    const struct kr_modparam *p = find_param(cfg, mod, name, 0, true);
    int64_t v;

    if (p == NULL) {
        return def;
    }
    if (kr_value_to_int(&p->v, &v) < 0) {
        return def;
    }
    return v;
}

struct kr_str kr_modparam_str(const struct kr_cfg *cfg, const char *mod, const char *name,
                              struct kr_str def)
{
    const struct kr_modparam *p = find_param(cfg, mod, name, 0, true);
    return p ? p->text : def;
}

bool kr_modparam_nth(const struct kr_cfg *cfg, const char *mod, const char *name, size_t i,
                     struct kr_value *out)
{
    const struct kr_modparam *p = find_param(cfg, mod, name, i, false);
    if (p == NULL) {
        return false;
    }
    *out = p->v;
    return true;
}

void *kr_module_state(const struct kr_ctx *ctx, const struct kr_module *m)
{
    const struct kr_cfg *cfg = ctx ? ctx->cfg : NULL;
    if (cfg == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < cfg->mods.n; i++) {
        const struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i);
        if (cm->m == m) {
            return cm->state;
        }
    }
    return NULL;
}

int kr_cfg_init_modules(struct kr_cfg *cfg, struct kr_err *err)
{
    cfg->failed_module = NULL;
    for (size_t i = 0; i < cfg->mods.n; i++) {
        struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i);
        if (cm->inited) {
            continue;
        }
        if (cm->m->init) {
            int rc = cm->m->init(cfg, &cm->state, err);
            if (rc < 0) {
                cfg->failed_module = cm->m->name;
                return rc;
            }
        }
        cm->inited = true;
    }
    return 0;
}

const char *kr_cfg_failed_module(const struct kr_cfg *cfg)
{
    return cfg->failed_module;
}

int kr_cfg_worker_init(const struct kr_cfg *cfg, unsigned worker_id)
{
    for (size_t i = 0; i < cfg->mods.n; i++) {
        const struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i);
        if (cm->inited && cm->m->worker_init) {
            int rc = cm->m->worker_init(cfg, cm->state, worker_id);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}
