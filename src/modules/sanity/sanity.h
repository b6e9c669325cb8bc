/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sanity module: Kamailio's sanity_check() over the request checks of sip/check.h,
 * answering failures statelessly through sl. Module state (default checks,
 * proxy_require list, autodrop, noreply) is built by init and read-only afterwards.
 * Worker threads. */
#pragma once

#include "cfg/ctx.h"
#include "cfg/module.h"

extern const struct kr_module kr_mod_sanity;

/* Kamailio's check bits (the msg_checks argument and the default_checks parameter). */
enum {
    KR_SANITY_RURI_SIP_VERSION = 1,
    KR_SANITY_RURI_SCHEME = 2,
    KR_SANITY_REQUIRED_HEADERS = 4,
    KR_SANITY_VIA_SIP_VERSION = 8,
    KR_SANITY_VIA_PROTOCOL = 16,
    KR_SANITY_CSEQ_METHOD = 32,
    KR_SANITY_CSEQ_VALUE = 64,
    KR_SANITY_CL = 128,
    KR_SANITY_EXPIRES_VALUE = 256,
    KR_SANITY_PROXY_REQUIRE = 512,
    KR_SANITY_PARSE_URIS = 1024,
    KR_SANITY_CHECK_DIGEST = 2048,
    KR_SANITY_CHECK_DUPTAGS = 4096,
    KR_SANITY_CHECK_AUTHORIZATION = 8192,
    KR_SANITY_CHECK_VIA1_HEADER = 16384,
    KR_SANITY_DEFAULT_CHECKS = 3047,
};

/* The uri_checks bits: which URIs KR_SANITY_PARSE_URIS parses. */
enum {
    KR_SANITY_URI_RURI = 1,
    KR_SANITY_URI_FROM = 2,
    KR_SANITY_URI_TO = 4,
    KR_SANITY_URI_CONTACT = 8,
    KR_SANITY_DEFAULT_URI_CHECKS = 7,
};

/* Runs the checks on ctx->msg (replies pass). Returns 0 when it passes, else the status
 * code to answer with; *reason gets the reason phrase (static) and, for 420, *extra the
 * Unsupported header line (arena). proxy_require: the supported option-tags,
 * comma-separated. */
unsigned kr_sanity_run(struct kr_ctx *ctx, unsigned msg_checks, unsigned uri_checks,
                       struct kr_str proxy_require, struct kr_str *reason, struct kr_str *extra);
