/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config checker: resolves what the parser left as names (modules, modparams,
 * functions and their arguments, routes, pseudo-variables, regexes), folds constants and
 * checks route types. Every problem is added to the diagnostics with its location.
 * Loading thread. */
#pragma once

#include "cfg/tree.h"

/* 0, or KR_EINVAL when at least one error was added to d. */
int kr_cfg_check(struct kr_cfg *cfg, struct kr_diag *d);
