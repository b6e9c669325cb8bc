/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xlog module: log lines with pseudo-variables from the script (xlog, xinfo, xerr,
 * ...). Lines go through core/log.h with unit "xlog". Worker threads. */
#pragma once

#include "cfg/module.h"
#include "core/str.h"

extern const struct kr_module kr_mod_xlog;

/* Kamailio's level names ("L_ERR", "L_DBG", ...) or a decimal number to a log level.
 * Returns 0 with *level set, or KR_EINVAL. */
int kr_xlog_level_parse(struct kr_str s, int *level);
