/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the config tests: a tiny module "t" whose functions record their calls in
 * a log and return their argument, loading configs from text, and running a route on a
 * context with an optional parsed SIP message (copied into an exactly-sized heap buffer). */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"
#include "cfg/ctx.h"
#include "cfg/module.h"
#include "cfg/pv.h"
#include "cfg/trans.h"
#include "core/arena.h"
#include "core/buf.h"
#include "net/net.h"
#include "sip/msg.h"

/* What the test module's functions saw, "a;b;c;" (tests run one at a time). */
static char tlog[4096];
static size_t tlog_len;
static int t_inits, t_worker_inits, t_destroys;

static void tlog_add(struct kr_str s)
{
    if (tlog_len + s.len + 2 < sizeof(tlog)) {
        memcpy(tlog + tlog_len, s.ptr, s.len);
        tlog_len += s.len;
        tlog[tlog_len++] = ';';
        tlog[tlog_len] = '\0';
    }
}

static inline void tlog_reset(void)
{
    tlog_len = 0;
    tlog[0] = '\0';
}

/* rec(x): logs x (as text), returns 1. */
static int t_rec(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str s;
    if (kr_arg_str(ctx, &args[0], &s) < 0) {
        return -1;
    }
    tlog_add(s);
    return 1;
}

/* ret(n): logs n, returns n. */
static int t_ret(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    int64_t n;
    char tmp[32];
    if (kr_arg_int(ctx, &args[0], &n) < 0) {
        tlog_add(KR_STR("ret-error"));
        return -2;
    }
    snprintf(tmp, sizeof(tmp), "r%lld", (long long)n);
    tlog_add(kr_str_c(tmp));
    return (int)n;
}

/* opt(a, [b]): logs "a" or "a+b". */
static int t_opt(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str a, b;
    int64_t n = 0;
    char tmp[128];
    kr_arg_str(ctx, &args[0], &a);
    if (args[1].present) {
        kr_arg_int(ctx, &args[1], &n);
        snprintf(tmp, sizeof(tmp), "%.*s+%lld/%u", (int)a.len, a.ptr, (long long)n, nargs);
    } else {
        kr_arg_str(ctx, &args[1], &b);
        snprintf(tmp, sizeof(tmp), "%.*s/%u%s", (int)a.len, a.ptr, nargs, b.ptr ? "!" : "");
    }
    tlog_add(kr_str_c(tmp));
    return 1;
}

/* setpv($x, value): assigns value to the pseudo-variable. */
static int t_setpv(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str s;
    if (kr_arg_str(ctx, &args[1], &s) < 0) {
        return -1;
    }
    struct kr_value v = kr_value_str(s);
    return kr_pv_set(ctx, args[0].pv, &v) == 0 ? 1 : -1;
}

/* re(regex, value): 1 when value matches. */
static int t_re(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str s;
    if (kr_arg_str(ctx, &args[1], &s) < 0) {
        return -1;
    }
    char *c = kr_arena_cstr(ctx->arena, s);
    return regexec(args[0].re, c, 0, NULL, 0) == 0 ? 1 : -1;
}

static int t_picky_fixup(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (kr_str_eq(args[0].lit, KR_STR("bad"))) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "argument must not be 'bad'");
    }
    args[0].priv = (void *)"fixed";
    return 0;
}

static int t_picky(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    tlog_add(kr_str_c(args[0].priv));
    return 1;
}

static int t_reqonly(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    tlog_add(KR_STR("reqonly"));
    return 1;
}

static int t_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    t_inits++;
    int64_t *s = malloc(sizeof(*s));
    if (s == NULL) {
        return KR_ENOMEM;
    }
    *s = kr_modparam_int(cfg, "t", "p_int", 7);
    *state = s;
    return 0;
}

static int t_worker_init(const struct kr_cfg *cfg, void *state, unsigned id)
{
    t_worker_inits++;
    return 0;
}

static void t_destroy(void *state)
{
    t_destroys++;
    free(state);
}

/* $tpv: the module state's value ($tpv is read-only) */
static int t_pv_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out);

static const struct kr_param t_params[] = {
    { .name = "p_int", .type = KR_PARAM_INT },
    { .name = "p_str", .type = KR_PARAM_STR },
    { .name = "p_any", .type = KR_PARAM_ANY, .multi = true },
    { 0 },
};

static const struct kr_func t_funcs[] = {
    { .name = "rec", .fn = t_rec, .args = { KR_ARG_STR } },
    { .name = "ret", .fn = t_ret, .args = { KR_ARG_INT } },
    { .name = "opt", .fn = t_opt, .args = { KR_ARG_STR, KR_ARG_INT_OPT } },
    { .name = "setpv", .fn = t_setpv, .args = { KR_ARG_PV, KR_ARG_STR } },
    { .name = "re", .fn = t_re, .args = { KR_ARG_REGEX, KR_ARG_STR } },
    { .name = "picky", .fn = t_picky, .args = { KR_ARG_STR }, .fixup = t_picky_fixup },
    { .name = "reqonly", .fn = t_reqonly, .routes = KR_ROUTE_REQUEST },
    { 0 },
};

static int t_trans_twice(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int rc = kr_trans_value_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    char *p = kr_arena_alloc(ctx->arena, s.len * 2 + 1);
    memcpy(p, s.ptr, s.len);
    memcpy(p + s.len, s.ptr, s.len);
    *v = kr_value_str(kr_str_make(p, s.len * 2));
    return 0;
}

static const struct kr_trans_def t_trans[] = {
    { "tt.twice", t_trans_twice, 0, 0 },
    { 0 },
};

static const struct kr_pv_def t_pvs[] = {
    { .name = "tpv", .get = t_pv_get },
    { 0 },
};

static const struct kr_module t_module = {
    .name = "t",
    .always = true,
    .params = t_params,
    .funcs = t_funcs,
    .pvs = t_pvs,
    .init = t_init,
    .worker_init = t_worker_init,
    .destroy = t_destroy,
    .trans = t_trans,
};

static int u_hello(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    tlog_add(KR_STR("hello"));
    return 1;
}

/* A module that needs loadmodule "u.so". */
static const struct kr_func u_funcs[] = {
    { .name = "u_hello", .fn = u_hello },
    { 0 },
};

static const struct kr_param u_params[] = {
    { .name = "level", .type = KR_PARAM_INT },
    { 0 },
};

static const struct kr_module u_module = {
    .name = "u",
    .params = u_params,
    .funcs = u_funcs,
};

static int t_pv_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    int64_t *s = kr_module_state(ctx, &t_module);
    *out = s ? kr_value_int(*s) : kr_value_null();
    return 0;
}

static const struct kr_module *const t_modules[] = { &t_module, &u_module, NULL };
static const char *const t_aliases[] = { "pv", "kex", NULL };

static char t_diag[4096];

/* Loads text as "t.cfg"; returns the config or NULL (diagnostics in t_diag). */
static inline struct kr_cfg *t_load_defs(const char *text, const char *const *defs, size_t ndefs)
{
    struct kr_cfg_opts o = {
        .modules = t_modules, .aliases = t_aliases, .defines = defs, .ndefines = ndefs
    };
    struct kr_cfg *cfg = NULL;
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    t_diag[0] = '\0';
    int rc = kr_cfg_load_buf("t.cfg", copy, n, &o, &cfg, t_diag, sizeof(t_diag));
    free(copy);
    if (rc < 0) {
        assert_null(cfg);
        return NULL;
    }
    return cfg;
}

static inline struct kr_cfg *t_load(const char *text)
{
    return t_load_defs(text, NULL, 0);
}

static inline struct kr_cfg *t_load_ok(const char *text)
{
    struct kr_cfg *cfg = t_load(text);
    if (cfg == NULL) {
        fail_msg("load failed: %s", t_diag);
    }
    return cfg;
}

/* Loading must fail with exactly this first diagnostic line. */
static inline void t_load_err(const char *text, const char *want)
{
    struct kr_cfg *cfg = t_load(text);
    if (cfg) {
        kr_cfg_free(cfg);
        fail_msg("load succeeded, expected: %s", want);
    }
    size_t first = strcspn(t_diag, "\n");
    if (strlen(want) != first || strncmp(t_diag, want, first) != 0) {
        fail_msg("got:  %s\nwant: %s", t_diag, want);
    }
}

/* A message, where it came from, and a context to run routes in. */
struct t_run {
    struct kr_arena arena;
    struct kr_sip_msg msg;
    struct kr_rcv rcv;
    struct kr_ctx ctx;
    char *data;
};

static inline void t_run_init(struct t_run *t, const struct kr_cfg *cfg, const char *sip,
                              struct kr_vars *vars)
{
    memset(t, 0, sizeof(*t));
    kr_arena_init(&t->arena, 8192, 1 << 22);
    struct kr_sip_msg *m = NULL;
    if (sip) {
        size_t n = strlen(sip);
        t->data = malloc(n);
        assert_non_null(t->data);
        memcpy(t->data, sip, n);
        struct kr_err err = { 0 };
        assert_int_equal(kr_sip_msg_parse(t->data, n, &t->arena, &t->msg, &err), 0);
        m = &t->msg;
    }
    kr_ctx_init(&t->ctx, cfg, &t->arena, m, &t->rcv, vars);
    tlog_reset();
}

static inline void t_run_fini(struct t_run *t)
{
    kr_arena_fini(&t->arena);
    free(t->data);
}

/* Runs request_route on a fresh context; returns kr_cfg_run's result. */
static inline int t_run_req(const struct kr_cfg *cfg, struct kr_vars *vars, struct t_run *t)
{
    t_run_init(t, cfg, NULL, vars);
    return kr_cfg_run(cfg, &t->ctx, KR_CFG_ROUTE_REQUEST, KR_STR_NULL);
}
