/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MSRP and MSRPS URIs (RFC 4975 §6, §9; RFC 7977 for the ws transport) and their
 * comparison (RFC 4975 §6.1). A parsed URI is a set of slices into the caller's bytes:
 * it owns nothing and lives as long as those bytes. Pure functions, any thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

enum kr_msrp_scheme {
    KR_MSRP_SCHEME_MSRP = 1,
    KR_MSRP_SCHEME_MSRPS, /* TLS mandatory */
};

enum kr_msrp_transport {
    KR_MSRP_TRANSPORT_OTHER = 0, /* a token we do not know; kept in .transport */
    KR_MSRP_TRANSPORT_TCP,       /* RFC 4975 */
    KR_MSRP_TRANSPORT_WS,        /* RFC 7977 */
};

struct kr_msrp_uri {
    enum kr_msrp_scheme scheme;
    struct kr_str userinfo;   /* before '@', raw; empty when absent */
    struct kr_str host;       /* IPv6 references keep their brackets: "[::1]" */
    struct kr_str port;       /* digits, empty when absent */
    uint16_t port_no;         /* 0 when absent */
    struct kr_str session_id; /* after '/', empty when absent */
    struct kr_str transport;  /* as written ("tcp", "WS", ...) */
    enum kr_msrp_transport transport_id;
    struct kr_str params; /* after the transport's ';' list, without the leading ';' */
    bool host_is_ipv4;
    bool host_is_ipv6;
    struct kr_str whole; /* the whole URI */
};

enum {
    KR_MSRP_URI_MAX = 2048, /* longest URI accepted */
};

/* Parses s as msrp://[userinfo@]host[:port][/session-id];transport[;params] (or
 * msrps://). The scheme is case-insensitive; the port is 1..65535; the session-id is
 * 1*(unreserved / "+" / "=" / "/"); the transport token is required; each param is
 * token ["=" token]. Returns 0, or KR_EPARSE with err set (offset into s). */
int kr_msrp_uri_parse(struct kr_str s, struct kr_msrp_uri *u, struct kr_err *err);

/* Equality per RFC 4975 §6.1 (see uri.c for the rules and the userinfo choice). */
bool kr_msrp_uri_eq(const struct kr_msrp_uri *a, const struct kr_msrp_uri *b);
