/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The uuid module: $uuid(g), $uuid(r), $uuid(t), $uuid(s), as Kamailio's uuid module, each
 * read giving a fresh lowercase RFC 4122 UUID. No state; the time-based generator's
 * process-wide node and clock sequence are atomics. Worker threads. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cfg/module.h"

extern const struct kr_module kr_mod_uuid;

enum { KR_UUID_STRLEN = 36 };

/* A random (version 4) UUID as 36 lowercase characters into out (no NUL). 0, or KR_EIO
 * when getrandom(2) fails. */
int kr_uuid_random(char out[KR_UUID_STRLEN]);
/* A time-based (version 1) UUID: 100 ns ticks since 1582-10-15, strictly increasing within
 * the process, with a random clock sequence and a random node id (multicast bit set, RFC
 * 4122 §4.5) chosen once per process. 0 or KR_EIO. */
int kr_uuid_time(char out[KR_UUID_STRLEN]);
