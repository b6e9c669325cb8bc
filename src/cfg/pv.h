/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pseudo-variables ($ru, $var(x), $(hdr(Via)[1]{s.len})) and formats ("sip:$rU@$rd"):
 * parsed once at load time into objects owned by the config, evaluated per message into
 * the message arena. Evaluation runs on worker threads; parsing on the loading thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/module.h"
#include "core/err.h"
#include "core/str.h"

struct kr_cfg;
struct kr_ctx;
struct kr_trans;

/* A parsed pseudo-variable. */
struct kr_pv {
    const struct kr_pv_def *def;
    struct kr_pv_name name;
    const struct kr_pv *idx_pv;   /* [$var(i)]: index evaluated at run time */
    const struct kr_trans *trans; /* transformations, applied left to right */
    unsigned ntrans;
    struct kr_str text; /* as written, for messages */
};

/* A format: literal text and pseudo-variables, printed one after the other. */
struct kr_fmt_part {
    struct kr_str lit;      /* literal text before pv (may be empty) */
    const struct kr_pv *pv; /* NULL for the trailing literal */
};

struct kr_fmt {
    const struct kr_fmt_part *parts;
    size_t nparts;
    struct kr_str text; /* as written */
    bool is_const;      /* no pseudo-variables: text is the value */
};

/* Value of pv into *out (KR_VAL_NULL when it has none). 0 or negative. Strings may point
 * into the message, the arena, the config or the worker's $var store: copy before the
 * store changes if kept. */
int kr_pv_get(struct kr_ctx *ctx, const struct kr_pv *pv, struct kr_value *out);
/* Assigns; KR_VAL_NULL deletes where the variable allows it. KR_EINVAL for a read-only
 * pseudo-variable. */
int kr_pv_set(struct kr_ctx *ctx, const struct kr_pv *pv, const struct kr_value *v);
/* Prints f into the arena (a value-less pseudo-variable prints "<null>"). 0 or negative. */
int kr_fmt_eval(struct kr_ctx *ctx, const struct kr_fmt *f, struct kr_str *out);

/* Value conversions. Null is "" as a string. Integers print in decimal into arena a. */
int kr_value_to_str(struct kr_arena *a, const struct kr_value *v, struct kr_str *out);
/* Integers as they are, strings holding a (trimmed, optionally signed) decimal; KR_EINVAL
 * otherwise, KR_ENOTFOUND for null. */
int kr_value_to_int(const struct kr_value *v, int64_t *out);

/* Load-time parsing for fixups (kr_fixup.cfg). Each returns 0 or KR_EINVAL with err set
 * (err->off: offset in text). The result lives as long as the config. */
int kr_cfg_pv_parse(struct kr_cfg *cfg, struct kr_str text, struct kr_pv **out, struct kr_err *err);
int kr_cfg_fmt_parse(struct kr_cfg *cfg, struct kr_str text, struct kr_fmt **out,
                     struct kr_err *err);

/* Parses one pseudo-variable at the start of text ("$rU@..." stops after "rU"); *used gets
 * its length. 0 or KR_EINVAL with err set. */
int kr_pv_parse_prefix(struct kr_cfg *cfg, struct kr_str text, struct kr_pv **out, size_t *used,
                       struct kr_err *err);
/* Length of the pseudo-variable written at the start of text by the lexer's rules (name,
 * balanced parentheses, index), or 0 when text does not start one. */
size_t kr_pv_scan(struct kr_str text);
