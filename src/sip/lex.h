/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lexical helpers shared by the SIP parsers (RFC 3261 §25.1): character classes, LWS,
 * quoted strings, hosts, IP literals and parameter lists. Everything works on caller
 * bytes through pointers and slices; nothing is allocated. Pure, any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "sip/uri.h"

/* Character classes of RFC 3261 §25.1 (escapes are handled by the scanners, not here). */
enum {
    KR_C_TOKEN = 1u << 0,  /* token */
    KR_C_UNRES = 1u << 1,  /* unreserved */
    KR_C_USER = 1u << 2,   /* unreserved / user-unreserved */
    KR_C_PASS = 1u << 3,   /* password characters */
    KR_C_PARAM = 1u << 4,  /* paramchar without escaped */
    KR_C_HNV = 1u << 5,    /* hname / hvalue characters without escaped */
    KR_C_HOST = 1u << 6,   /* hostname characters (plus '_', which real hosts use) */
    KR_C_SCHEME = 1u << 7, /* scheme characters after the first ALPHA */
    KR_C_TEL = 1u << 8,    /* tel: number characters (RFC 3966) */
    KR_C_ALNUM = 1u << 9,
    KR_C_DIGIT = 1u << 10,
    KR_C_HEX = 1u << 11,
    KR_C_WS = 1u << 12,     /* SP, HTAB, CR, LF */
    KR_C_TOK68 = 1u << 13,  /* token68 (RFC 7235) without the trailing '=' */
    KR_C_QDTEXT = 1u << 14, /* qdtext: quoted-string content but '"' and '\\' */
    KR_C_URIC = 1u << 15,   /* visible ASCII but '<', '>' and '"' (URI shape) */
};

extern const uint16_t kr_sip_cc[256];

static inline bool kr_sip_is(char c, unsigned cls)
{
    return (kr_sip_cc[(unsigned char)c] & cls) != 0;
}

static inline bool kr_sip_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Skips LWS inside a header value: SP, HTAB and the CR/LF of folded lines (the message
 * parser guarantees that a CR or LF inside a value belongs to a fold). */
static inline const char *kr_sip_skip_lws(const char *p, const char *end)
{
    while (p < end && kr_sip_is(*p, KR_C_WS)) {
        p++;
    }
    return p;
}

/* Skips a run of characters of class cls. */
static inline const char *kr_sip_skip_cls(const char *p, const char *end, unsigned cls)
{
    while (p < end && kr_sip_is(*p, cls)) {
        p++;
    }
    return p;
}

/* p points at '"'. Returns the byte after the closing quote, or NULL when the string is
 * unterminated or holds a character that quoted-string does not allow. */
const char *kr_sip_scan_quoted(const char *p, const char *end);

/* Scans characters of class cls and %HH escapes. Returns the first byte that is neither,
 * or NULL on a '%' not followed by two hex digits. */
const char *kr_sip_scan_escaped(const char *p, const char *end, unsigned cls);

enum kr_sip_host_kind {
    KR_SIP_HOST_NAME = 1,
    KR_SIP_HOST_IPV4,
    KR_SIP_HOST_IPV6,
};

/* Scans a host at p: "[" IPv6address "]", IPv4address or hostname. Sets *hend to the
 * byte after it. Returns the kind, or -1 when it is missing or malformed. */
int kr_sip_scan_host(const char *p, const char *end, const char **hend);

bool kr_sip_ipv4_valid(const char *p, size_t n);
/* IPv6address of RFC 3261 §25.1 (no brackets, no zone). */
bool kr_sip_ipv6_valid(const char *p, size_t n);

/* Transport name (any case) to its enum: UDP TCP TLS SCTP WS WSS, else KR_PROTO_OTHER. */
enum kr_uri_proto kr_sip_proto_of(struct kr_str t);

/* Iterates a ';'-separated parameter list leniently (LWS around ';' and '=', quoted
 * values). Returns false at the end; name and value are trimmed, value keeps its quotes
 * and is empty when there is no '='. */
bool kr_sip_params_next(struct kr_str *rest, struct kr_str *name, struct kr_str *value);

/* Case-insensitive compare of n bytes of p with a lower-case literal. */
static inline bool kr_sip_lceq(const char *p, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c + 32);
        }
        if (c != lower[i]) {
            return false;
        }
    }
    return true;
}
