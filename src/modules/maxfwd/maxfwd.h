/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The maxfwd module: Max-Forwards processing (RFC 3261 §16.6 step 3, §8.1.1.6) with
 * Kamailio's functions and return codes. Edits go into the route context. Worker
 * threads. */
#pragma once

#include "cfg/ctx.h"
#include "cfg/module.h"

extern const struct kr_module kr_mod_maxfwd;

/* mf_process_maxfwd_header(max) as C: no header: adds "Max-Forwards: max" and returns 2;
 * value 0: -1; bad value or max out of 0..255: -2; else the value is decremented (first
 * lowered to max_limit + 1 when above max_limit) and 1 is returned. */
int kr_maxfwd_process(struct kr_ctx *ctx, int64_t max, int64_t max_limit);
