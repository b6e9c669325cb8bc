/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The interpreter's load-time entry: folding constant expressions with the same code
 * that evaluates them per message. Internal to src/cfg (kr_cfg_run is in cfg.h). */
#pragma once

#include "cfg/tree.h"

/* Evaluates e (only constants below it) into *out, strings in the config's arena.
 * 0 or negative (division by zero, ...). */
int kr_cfg_fold(struct kr_cfg *cfg, const struct kr_expr *e, struct kr_value *out);
