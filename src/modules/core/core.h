/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "core" module: the functions Kamailio has in its core and in pv, kex and corex
 * (forward, setflag, rewritehost, force_rport, log, setdebug, is_myself, ...). Always
 * loaded. Its functions run on worker threads and change only the route context (and the
 * global log level for setdebug). */
#pragma once

#include "cfg/module.h"

extern const struct kr_module kr_mod_core;
