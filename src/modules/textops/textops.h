/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The textops module: header and body tests and edits on the current message
 * (is_method, append_hf, remove_hf, search, subst, replace, ...). Edits go into the route
 * context's edit list; the received bytes are never written. Worker threads; fixup data
 * (method sets, compiled subst expressions) lives in the config arena. */
#pragma once

#include <regex.h>
#include <stdbool.h>

#include "cfg/module.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

extern const struct kr_module kr_mod_textops;

/* A parsed sed-like expression: "/re/repl/flags" (any delimiter; "\<delim>" escapes it;
 * flags g = every match, i = ignore case, s = REG_NEWLINE, i.e. '.' stops at line ends and
 * ^/$ match at them). In repl, \0..\9 insert the match and its groups; \n \r \t \\ are
 * escapes. */
struct kr_subst {
    regex_t *re;
    struct kr_str repl;
    bool global;
    bool owned; /* re was compiled without a config: kr_subst_fini frees it */
};

struct kr_cfg;

/* Parses and compiles expr into out (repl copied into a). With cfg the compiled regex
 * belongs to the config (freed with it); without (tests, tools) it is out's: release it
 * with kr_subst_fini. 0, or KR_EINVAL with err set. */
int kr_subst_parse(struct kr_cfg *cfg, struct kr_arena *a, struct kr_str expr, struct kr_subst *out,
                   struct kr_err *err);
void kr_subst_fini(struct kr_subst *s);

/* Applies s to subject (NUL-terminated, slen bytes) and writes the result to out. Returns
 * the number of replacements (0: out holds subject unchanged) or KR_ENOMEM/KR_ELIMIT. */
int kr_subst_str(const struct kr_subst *s, const char *subject, size_t slen, struct kr_arena *a,
                 struct kr_str *out);
