/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module interface: what a built-in module declares (parameters, script functions,
 * pseudo-variables, RPC commands, hooks) and what its functions receive. Module tables
 * are const and static; per-config module state is created by the module's init hook
 * and owned by the loaded config. Functions run on worker threads. */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct kr_ctx;
struct kr_cfg;
struct kr_fmt;
struct kr_pv;
struct kr_module;
struct kr_trans_def;

/* A script value: Kamailio's pv values are int, string or null. */
enum kr_val_type {
    KR_VAL_NULL = 0,
    KR_VAL_INT,
    KR_VAL_STR,
};

struct kr_value {
    enum kr_val_type type;
    int64_t i;       /* KR_VAL_INT */
    struct kr_str s; /* KR_VAL_STR: bytes owned by the message arena or the config */
};

static inline struct kr_value kr_value_int(int64_t i)
{
    return (struct kr_value){ .type = KR_VAL_INT, .i = i };
}
static inline struct kr_value kr_value_str(struct kr_str s)
{
    return (struct kr_value){ .type = KR_VAL_STR, .s = s };
}
static inline struct kr_value kr_value_null(void)
{
    return (struct kr_value){ .type = KR_VAL_NULL };
}

/* Route kinds, as bits: a function lists where it may be called. */
enum kr_route_type {
    KR_ROUTE_REQUEST = 1 << 0, /* request_route and route[X] called from it */
    KR_ROUTE_REPLY = 1 << 1,   /* reply_route, onreply_route[X] */
    KR_ROUTE_FAILURE = 1 << 2, /* failure_route[X] */
    KR_ROUTE_BRANCH = 1 << 3,  /* branch_route[X] */
    KR_ROUTE_ONSEND = 1 << 4,  /* onsend_route */
    KR_ROUTE_EVENT = 1 << 5,   /* event_route[X] */
    KR_ROUTE_ANY = 0x3f,
};

/* How the core converts each argument at load time. */
enum kr_arg_kind {
    KR_ARG_NONE = 0,
    KR_ARG_STR,     /* string; may hold pseudo-variables ("sip:$rU@example.com") */
    KR_ARG_INT,     /* integer literal, or a string holding a pseudo-variable */
    KR_ARG_PV,      /* a pseudo-variable name ("$var(x)"): the function reads/writes it */
    KR_ARG_REGEX,   /* a constant string compiled as POSIX extended regex at load time */
    KR_ARG_STR_OPT, /* optional forms: may be left out (only at the end) */
    KR_ARG_INT_OPT,
};

enum { KR_FUNC_MAX_ARGS = 6 };

/* One argument after load-time conversion. Owned by the config tree. */
struct kr_arg {
    enum kr_arg_kind kind;
    bool present;       /* false for an optional argument that was left out */
    bool is_const;      /* value known at load time (no pseudo-variables) */
    struct kr_str lit;  /* the literal text as written (constant strings: the value) */
    int64_t ival;       /* constant integers */
    struct kr_fmt *fmt; /* strings with pseudo-variables: evaluated at call time */
    struct kr_pv *pv;   /* KR_ARG_PV */
    regex_t *re;        /* KR_ARG_REGEX */
    void *priv;         /* set by the function's fixup; lives in the config arena */
};

/* What a fixup receives: the config's arena (for priv data), where the call is written
 * (for messages), and the error to fill. */
struct kr_fixup {
    struct kr_arena *arena;
    struct kr_err *err;
    const char *func;
    /* The config being loaded: kr_cfg_has_route() for route-name arguments,
     * kr_cfg_fmt_parse() / kr_cfg_pv_parse() (cfg/pv.h) for strings the function reads. */
    struct kr_cfg *cfg;
};

/* Load-time check and preparation of a function's arguments. 0 or KR_EINVAL with
 * fx->err set (the checker adds file:line:col). */
typedef int kr_fixup_fn(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs);

/* Script function. Returns Kamailio's convention: > 0 true, < 0 false, 0 stop the script. */
typedef int kr_func_fn(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs);

struct kr_func {
    const char *name;
    kr_func_fn *fn;
    enum kr_arg_kind args[KR_FUNC_MAX_ARGS]; /* KR_ARG_NONE ends the list */
    kr_fixup_fn *fixup;                      /* optional */
    unsigned routes;                         /* kr_route_type bits; 0 = KR_ROUTE_ANY */
};

/* Evaluate an argument at call time. Strings go to the message arena. 0 or negative.
 * kr_arg_str: constants give lit as is; formats are evaluated (a pseudo-variable without
 * a value prints as "<null>", as Kamailio does); an int argument gives its decimal text.
 * kr_arg_int: constants give ival; pseudo-variables and formats are evaluated and
 * converted (KR_EINVAL when the result is not an integer, KR_ENOTFOUND when $null).
 * An optional argument that was left out (present false) gives 0 with an empty string
 * (.ptr NULL) or the integer 0. */
int kr_arg_str(struct kr_ctx *ctx, const struct kr_arg *a, struct kr_str *out);
int kr_arg_int(struct kr_ctx *ctx, const struct kr_arg *a, int64_t *out);

/* --- pseudo-variables --- */

/* The parsed inner part of a pseudo-variable: `$hdr(Via)[1]` has name "Via", index 1. */
struct kr_pv_name {
    struct kr_str name; /* inside the parentheses, empty when none */
    struct kr_fmt *dyn; /* the name holds pseudo-variables: evaluated at run time */
    bool has_index;
    int64_t index; /* [n]; negative counts from the end; [*] sets all_index */
    bool all_index;
    void *priv; /* set by the definition's parse hook (config arena) */
};

/* Returns 0 with *out set (KR_VAL_NULL when the value does not exist), or negative. */
typedef int kr_pv_get_fn(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out);
/* Sets the value; v->type KR_VAL_NULL deletes where that makes sense. 0 or negative. */
typedef int kr_pv_set_fn(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v);
/* Load-time check of the inner name. 0 or KR_EINVAL with fx->err set. */
typedef int kr_pv_parse_fn(struct kr_fixup *fx, struct kr_pv_name *n);

struct kr_pv_def {
    const char *name; /* "ru", "hdr", "var" */
    kr_pv_get_fn *get;
    kr_pv_set_fn *set; /* NULL: read-only */
    kr_pv_parse_fn *parse;
    bool needs_name; /* written as $name(inner) */
};

/* --- module parameters (modparam) --- */

enum kr_param_type {
    KR_PARAM_INT = 1,
    KR_PARAM_STR = 2,
    KR_PARAM_ANY = 3, /* int or string */
};

struct kr_param {
    const char *name;
    enum kr_param_type type;
    bool multi; /* may be given several times (each value kept, in order) */
};

/* Reading modparam values from a loaded config (in a module's init hook). */
int64_t kr_modparam_int(const struct kr_cfg *cfg, const char *mod, const char *name, int64_t def);
struct kr_str kr_modparam_str(const struct kr_cfg *cfg, const char *mod, const char *name,
                              struct kr_str def);
/* The i-th value of a multi parameter; false past the end. */
bool kr_modparam_nth(const struct kr_cfg *cfg, const char *mod, const char *name, size_t i,
                     struct kr_value *out);

/* --- the module --- */

struct kr_module {
    const char *name; /* "sl", "textops" */
    /* Loaded without `loadmodule` (korero's core: forward, setflag, pv, kex, corex ...).
     * Other modules' functions need `loadmodule "NAME.so"` as in Kamailio. */
    bool always;
    const struct kr_param *params; /* { 0 }-terminated, may be NULL */
    const struct kr_func *funcs;   /* { 0 }-terminated, may be NULL */
    const struct kr_pv_def *pvs;   /* { 0 }-terminated, may be NULL */
    /* After the whole config is read and checked, before sockets open: read modparams,
     * build state (*state, owned by the module until destroy). 0 or negative with err. */
    int (*init)(const struct kr_cfg *cfg, void **state, struct kr_err *err);
    /* In each worker thread before it handles messages. */
    int (*worker_init)(const struct kr_cfg *cfg, void *state, unsigned worker_id);
    void (*destroy)(void *state);
    /* Transformation classes ({msrpuri.user}), { 0 }-terminated, may be NULL: see
     * cfg/trans.h. Available when the module is loaded. */
    const struct kr_trans_def *trans;
};

/* The module's state for the config the context runs, or NULL. */
void *kr_module_state(const struct kr_ctx *ctx, const struct kr_module *m);

/* The static table of built-in modules (src/modules/modules.c), NULL-terminated. */
extern const struct kr_module *const kr_builtin_modules[];
/* Kamailio module names that korero has in its core: loadmodule accepts them. */
extern const char *const kr_core_module_aliases[];
