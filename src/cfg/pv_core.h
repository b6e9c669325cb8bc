/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core's pseudo-variable tables (message PVs in pv_core.c; $var, $avp, $shv in
 * pv_vars.c) for the registry in pv.c. Internal to src/cfg. */
#pragma once

#include "cfg/module.h"

extern const struct kr_pv_def kr_pv_core_defs[];
extern const struct kr_pv_def kr_pv_var_defs[];

/* Parse hook of PVs whose name is a format ($_s(...)): keeps the format in n->priv. */
int kr_pv_parse_fmt_name(struct kr_fixup *fx, struct kr_pv_name *n);
