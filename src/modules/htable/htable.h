/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The htable module: named hash tables shared by all workers ($sht, $shtex, $shtinc,
 * $shtcn, $shtcv; sht_rm*, sht_reset; htable.* RPC commands), as Kamailio's htable.
 * Tables are made by the module's init from the `htable` modparam and freed by destroy;
 * each bucket has its own mutex. Worker threads, the RPC thread and the main thread. */
#pragma once

#include "cfg/cfg.h"
#include "cfg/module.h"

extern const struct kr_module kr_mod_htable;

/* Runs `event_route[htable:mod-init]` of cfg once (call it after kr_cfg_init_modules,
 * before workers start), as Kamailio does after loading the tables. Returns 0 when the
 * route ran or does not exist, or a negative KR_E* (the route failed to run). */
int kr_htable_run_mod_init(const struct kr_cfg *cfg);
