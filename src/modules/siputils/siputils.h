/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The siputils module: small SIP tests and helpers (has_totag, uri_param, add_uri_param,
 * options_reply, is_e164, cmp_uri, cmp_aor, is_user). Module state (the options_* reply
 * headers) is built by init and read-only afterwards. Worker threads. */
#pragma once

#include <stdbool.h>

#include "cfg/module.h"
#include "core/str.h"

extern const struct kr_module kr_mod_siputils;

/* "+" followed by 2 to 15 digits (Kamailio's is_e164). */
bool kr_siputils_is_e164(struct kr_str s);
