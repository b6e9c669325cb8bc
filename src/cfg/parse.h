/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config parser: the preprocessor's token stream into the tree (tree.h): global
 * parameters, loadmodule, modparam and route blocks. Names are resolved later by the
 * checker (check.h). Loading thread; nodes live in the config's arena. */
#pragma once

#include "cfg/pp.h"
#include "cfg/tree.h"

/* 0, or negative after the first syntax error (added to d). */
int kr_cfg_parse(struct kr_cfg *cfg, struct kr_pp *pp, struct kr_diag *d);
