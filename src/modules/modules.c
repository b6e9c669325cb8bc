/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The static table of built-in modules and the Kamailio module names whose functions
 * korero has in its core module. Const data, read by the config loader (main thread) and
 * by whoever lists modules. */
#include <stddef.h>

#include "cfg/module.h"
#include "modules/auth/auth.h"
#include "modules/core/core.h"
#include "modules/ctl/ctl.h"
#include "modules/htable/htable.h"
#include "modules/maxfwd/maxfwd.h"
#include "modules/msrp/msrp.h"
#include "modules/sanity/sanity.h"
#include "modules/siputils/siputils.h"
#include "modules/sl/sl.h"
#include "modules/textops/textops.h"
#include "modules/uuid/uuid.h"
#include "modules/xlog/xlog.h"

const struct kr_module *const kr_builtin_modules[] = {
    &kr_mod_core,     &kr_mod_sl,  &kr_mod_xlog, &kr_mod_textops, &kr_mod_maxfwd, &kr_mod_sanity,
    &kr_mod_siputils, &kr_mod_ctl, &kr_mod_auth, &kr_mod_htable,  &kr_mod_uuid,   &kr_mod_msrp, NULL,
};

const char *const kr_core_module_aliases[] = {
    "pv", "kex", "corex", "jsonrpcs", NULL,
};
