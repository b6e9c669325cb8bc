/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Transformations ({s.len}, {uri.user}, {param.value,name}): a registry of classes (the
 * core's here, a module adds its own through kr_module.trans) and the parsed form kept in
 * a kr_pv. Parsed at load time; applied on worker threads into the message arena. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cfg/module.h"
#include "core/err.h"
#include "core/str.h"

struct kr_cfg;
struct kr_ctx;
struct kr_pv;
struct kr_trans;

enum { KR_TRANS_MAX_ARGS = 4 };

/* One argument: a constant (int when it reads as an integer, else string) or a PV. */
struct kr_trans_arg {
    struct kr_value v;
    const struct kr_pv *pv; /* non-NULL: evaluated at run time */
};

/* Applies the transformation to *v in place (result strings in ctx->arena). 0 or
 * negative (the value becomes $null and the error is logged at DBG). */
typedef int kr_trans_fn(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v);

struct kr_trans_def {
    const char *name; /* "s.len", "uri.param", "msrpuri.user" */
    kr_trans_fn *fn;
    unsigned min_args;
    unsigned max_args;
};

struct kr_trans {
    const struct kr_trans_def *def;
    struct kr_trans_arg args[KR_TRANS_MAX_ARGS];
    unsigned nargs;
    struct kr_str text; /* "{s.substr,1,2}" */
};

/* Argument i as a string / integer (PVs evaluated). 0 or negative. */
int kr_trans_arg_str(struct kr_ctx *ctx, const struct kr_trans *t, unsigned i, struct kr_str *out);
int kr_trans_arg_int(struct kr_ctx *ctx, const struct kr_trans *t, unsigned i, int64_t *out);
/* The value as a string for string transformations ($null: empty). */
int kr_trans_value_str(struct kr_ctx *ctx, const struct kr_value *v, struct kr_str *out);

/* The core's classes, { 0 }-terminated. */
extern const struct kr_trans_def kr_trans_core[];

/* Parses the inside of one "{...}" (without braces) into t using the config's registry.
 * 0 or KR_EINVAL with err set. */
int kr_trans_parse(struct kr_cfg *cfg, struct kr_str text, struct kr_trans *t, struct kr_err *err);
/* Applies the chain to *v. */
int kr_trans_apply(struct kr_ctx *ctx, const struct kr_trans *t, unsigned n, struct kr_value *v);
