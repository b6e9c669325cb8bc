/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SIP, SIPS and TEL URIs (RFC 3261 §19.1, §25.1; RFC 3966). A parsed URI is a set of
 * slices into the caller's bytes: it owns nothing and lives as long as those bytes.
 * Pure functions, any thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

enum kr_uri_scheme {
    KR_URI_SIP = 1,
    KR_URI_SIPS,
    KR_URI_TEL,
};

enum kr_uri_proto {
    KR_PROTO_NONE = 0,
    KR_PROTO_UDP,
    KR_PROTO_TCP,
    KR_PROTO_TLS,
    KR_PROTO_SCTP,
    KR_PROTO_WS,
    KR_PROTO_WSS,
    KR_PROTO_OTHER,
};

struct kr_sip_uri {
    enum kr_uri_scheme scheme;
    struct kr_str user;     /* raw (still %-escaped); tel: the number */
    struct kr_str password; /* raw; empty when absent */
    struct kr_str host;     /* IPv6 references keep their brackets: "[::1]" */
    struct kr_str port;     /* digits, empty when absent */
    uint16_t port_no;       /* 0 when absent */
    struct kr_str params;   /* everything after the first ';' of the hostport, without it */
    struct kr_str headers;  /* after '?', without it */
    /* Parameters korero acts on, found while parsing params (values raw). */
    struct kr_str transport;
    enum kr_uri_proto proto; /* from transport=, KR_PROTO_NONE when absent */
    struct kr_str maddr;
    struct kr_str ttl;
    struct kr_str user_param; /* user= */
    struct kr_str method;
    bool lr;
    bool host_is_ipv6; /* host is an IPv6 reference */
    bool host_is_ipv4;
};

/* Parses s as an absolute SIP/SIPS/TEL URI. Returns 0, or KR_EPARSE with err set
 * (offset into s). Unknown schemes are KR_EPARSE with reason "unsupported URI scheme"
 * so that a caller can answer 416. */
int kr_sip_uri_parse(struct kr_str s, struct kr_sip_uri *uri, struct kr_err *err);

/* Finds parameter name (case-insensitive) in a ';'-separated list such as uri.params or a
 * header's params. Returns true and sets *value (empty when the parameter has no '=');
 * false when absent. */
bool kr_sip_param_find(struct kr_str params, struct kr_str name, struct kr_str *value);

/* URI comparison per RFC 3261 §19.1.4 (unescaping, case rules, parameter rules). */
bool kr_sip_uri_eq(const struct kr_sip_uri *a, const struct kr_sip_uri *b);

/* Decodes %HH escapes of s into out (capacity outcap). Returns the decoded length or
 * KR_EPARSE for a bad escape, KR_ELIMIT when out is too small. NUL octets are kept. */
long kr_sip_unescape(struct kr_str s, char *out, size_t outcap);
