/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config preprocessor: reads the main file and its includes, runs the `#!` directives
 * (define, trydef, redefine, ifdef/ifndef/else/endif, subst, substdef, include_file,
 * import_file) and hands the parser a token stream with defines expanded. Buffers and
 * decoded text live in the config's arena (tokens point into them). Loading thread. */
#pragma once

#include <stddef.h>

#include "cfg/lex.h"
#include "cfg/tree.h"

struct kr_pp;

/* Opens path, or the text buf/len (not NULL) under the name path. defines: "NAME" or
 * "NAME=VALUE". 0, or negative with an error added to d (*out is then NULL). */
int kr_pp_open(struct kr_cfg *cfg, const char *path, const char *buf, size_t len,
               const char *const *defines, size_t ndefines, struct kr_diag *d, struct kr_pp **out);
/* The next token (KR_T_EOF at the end of the main file). 0 or negative (error in d). */
int kr_pp_next(struct kr_pp *pp, struct kr_tok *t);
void kr_pp_free(struct kr_pp *pp);
