/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lexical helpers shared by the SIP parsers (RFC 3261 §25.1): character classes, LWS,
 * quoted strings, hosts, IP literals and parameter lists. Everything works on caller
 * bytes through pointers and slices; nothing is allocated. Pure, any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* Skips a run of characters of class cls: four at a time while four remain (one bound
 * check per four bytes: the hottest loop of the parsers), then one by one. */
static inline const char *kr_sip_skip_cls(const char *p, const char *end, unsigned cls)
{
    while (end - p >= 4) {
        if (!kr_sip_is(p[0], cls)) {
            return p;
        }
        if (!kr_sip_is(p[1], cls)) {
            return p + 1;
        }
        if (!kr_sip_is(p[2], cls)) {
            return p + 2;
        }
        if (!kr_sip_is(p[3], cls)) {
            return p + 3;
        }
        p += 4;
    }
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

/* Unaligned loads for the word-wise compares below. */
static inline uint64_t kr_sip_ld8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t kr_sip_ld4(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint16_t kr_sip_ld2(const char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* For a word of ASCII bytes: 0x20 in each byte that is a lower-case letter, else 0. */
static inline uint64_t kr_sip_fold(uint64_t l)
{
    const uint64_t ones = 0x0101010101010101u;
    uint64_t ge_a = l + ones * (0x80 - 'a');
    uint64_t gt_z = l + ones * (0x80 - 'z' - 1);
    return (ge_a & ~gt_z & ones * 0x80) >> 2;
}

/* Case-insensitive compare of n bytes of p with lower, lower-case ASCII (a literal): a byte
 * of p matches a letter of lower in either case, anything else only itself. Word-wise; for
 * a literal the words of lower and their masks fold to constants. Reads n bytes of each. */
static inline bool kr_sip_lceq(const char *p, const char *lower, size_t n)
{
    if (n >= 8) {
        uint64_t x = 0;
        uint64_t l;
        for (size_t i = 0; i + 8 < n; i += 8) {
            l = kr_sip_ld8(lower + i);
            x |= (kr_sip_ld8(p + i) | kr_sip_fold(l)) ^ l;
        }
        l = kr_sip_ld8(lower + n - 8);
        x |= (kr_sip_ld8(p + n - 8) | kr_sip_fold(l)) ^ l;
        return x == 0;
    }
    if (n >= 4) {
        uint32_t a = kr_sip_ld4(lower);
        uint32_t b = kr_sip_ld4(lower + n - 4);
        return (((kr_sip_ld4(p) | (uint32_t)kr_sip_fold(a)) ^ a) |
                ((kr_sip_ld4(p + n - 4) | (uint32_t)kr_sip_fold(b)) ^ b)) == 0;
    }
    if (n >= 2) {
        uint16_t a = kr_sip_ld2(lower);
        uint16_t b = kr_sip_ld2(lower + n - 2);
        return (((kr_sip_ld2(p) | (uint16_t)kr_sip_fold(a)) ^ a) |
                ((kr_sip_ld2(p + n - 2) | (uint16_t)kr_sip_fold(b)) ^ b)) == 0;
    }
    return n == 0 || ((unsigned char)p[0] | (unsigned char)kr_sip_fold((unsigned char)lower[0])) ==
                         (unsigned char)lower[0];
}
