/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lexical helpers for the SIP parsers; see lex.h. The character table was generated from
 * the class definitions of RFC 3261 §25.1. Pure functions, any thread. */
#include "sip/lex.h"

#include <string.h>

/* clang-format off */
const uint16_t kr_sip_cc[256] = {
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x5000, 0x5000, 0x0000, 0x0000, 0x5000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x5000, 0xc03f, 0x0000, 0xc100, 0xc03c, 0xc001, 0xc01c, 0xc03f,
    0xc13e, 0xc13e, 0xc13f, 0xe0bd, 0xc00c, 0xe1ff, 0xe1ff, 0xe034,
    0xefff, 0xefff, 0xefff, 0xefff, 0xefff, 0xefff, 0xefff, 0xefff,
    0xefff, 0xefff, 0xc030, 0xc004, 0x4000, 0xc00c, 0x4000, 0xc024,
    0xc000, 0xebff, 0xebff, 0xebff, 0xebff, 0xebff, 0xebff, 0xe2ff,
    0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff,
    0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff,
    0xe2ff, 0xe2ff, 0xe2ff, 0xc030, 0x8000, 0xc030, 0xc000, 0xe07f,
    0xc001, 0xebff, 0xebff, 0xebff, 0xebff, 0xebff, 0xebff, 0xe2ff,
    0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff,
    0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff, 0xe2ff,
    0xe2ff, 0xe2ff, 0xe2ff, 0xc000, 0xc000, 0xc000, 0xe03f, 0x0000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
    0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000, 0x4000,
};
/* clang-format on */

const char *kr_sip_scan_quoted(const char *p, const char *end)
{
    p++; /* the opening quote */
    while (p < end) {
        /* qdtext: LWS, 0x21, 0x23-0x5B, 0x5D-0x7E, UTF8-NONASCII */
        p = kr_sip_skip_cls(p, end, KR_C_QDTEXT);
        if (p == end) {
            break;
        }
        if (*p == '"') {
            return p + 1;
        }
        if (*p != '\\') {
            return NULL;
        }
        /* quoted-pair: any octet 0x00-0x7F except CR and LF */
        if (p + 1 >= end) {
            return NULL;
        }
        unsigned char e = (unsigned char)p[1];
        if (e == '\r' || e == '\n' || e > 0x7f) {
            return NULL;
        }
        p += 2;
    }
    return NULL;
}

const char *kr_sip_scan_escaped(const char *p, const char *end, unsigned cls)
{
    while (p < end) {
        if (kr_sip_is(*p, cls)) {
            p++;
        } else if (*p == '%') {
            if (end - p < 3 || !kr_sip_is(p[1], KR_C_HEX) || !kr_sip_is(p[2], KR_C_HEX)) {
                return NULL;
            }
            p += 3;
        } else {
            break;
        }
    }
    return p;
}

/* dec-octet of an IPv4 address: 1-3 digits, at most 255 (leading zeros allowed). Returns
 * the byte after it, or NULL. */
static inline const char *dec_octet(const char *p, const char *end)
{
    if (p == end || (unsigned)(*p - '0') > 9) {
        return NULL;
    }
    unsigned v = (unsigned)(*p++ - '0');
    if (p < end && (unsigned)(*p - '0') <= 9) {
        v = v * 10 + (unsigned)(*p++ - '0');
        if (p < end && (unsigned)(*p - '0') <= 9) {
            v = v * 10 + (unsigned)(*p++ - '0');
        }
    }
    return v <= 255 ? p : NULL;
}

/* IPv4address at p: the byte after it, or NULL. */
static inline const char *scan_ipv4(const char *p, const char *end)
{
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (p == end || *p != '.') {
                return NULL;
            }
            p++;
        }
        p = dec_octet(p, end);
        if (p == NULL) {
            return NULL;
        }
    }
    return p;
}

bool kr_sip_ipv4_valid(const char *p, size_t n)
{
    return scan_ipv4(p, p + n) == p + n;
}

bool kr_sip_ipv6_valid(const char *p, size_t n)
{
    size_t i = 0;
    unsigned groups = 0;
    bool dbl = false;

    if (n < 2) {
        return false;
    }
    if (p[0] == ':') {
        if (p[1] != ':') {
            return false;
        }
        dbl = true;
        i = 2;
        if (i == n) {
            return true;
        }
    }
    for (;;) {
        size_t start = i;
        while (i < n && kr_sip_is(p[i], KR_C_HEX) && i - start < 5) {
            i++;
        }
        if (i < n && p[i] == '.') {
            /* IPv4 tail: takes two groups and ends the address */
            if (!kr_sip_ipv4_valid(p + start, n - start)) {
                return false;
            }
            groups += 2;
            break;
        }
        if (i == start || i - start > 4) {
            return false;
        }
        groups++;
        if (i == n) {
            break;
        }
        if (p[i] != ':') {
            return false;
        }
        i++;
        if (i < n && p[i] == ':') {
            if (dbl) {
                return false;
            }
            dbl = true;
            i++;
            if (i == n) {
                break;
            }
        } else if (i == n) {
            return false;
        }
        if (groups > 8) {
            return false;
        }
    }
    return dbl ? groups <= 7 : groups == 8;
}

int kr_sip_scan_host(const char *p, const char *end, const char **hend)
{
    if (p >= end) {
        return -1;
    }
    if (*p == '[') {
        const char *q = memchr(p, ']', (size_t)(end - p));
        if (q == NULL || !kr_sip_ipv6_valid(p + 1, (size_t)(q - p - 1))) {
            return -1;
        }
        *hend = q + 1;
        return KR_SIP_HOST_IPV6;
    }
    /* The common case first: an IPv4 address that no other hostname character follows.
     * Anything else takes the general pass below. */
    const char *q = scan_ipv4(p, end);
    if (q && (q == end || !kr_sip_is(*q, KR_C_HOST))) {
        *hend = q;
        return KR_SIP_HOST_IPV4;
    }
    /* One pass: hostname labels of alphanum / '-' / '_' that neither start nor end with
     * '-', one trailing dot (FQDN) allowed; digits and dots only must be an IPv4 address. */
    q = p;
    size_t label = 0;
    bool numeric = true;
    bool bad = false;
    char prev = '.';
    while (q < end && kr_sip_is(*q, KR_C_HOST)) {
        char c = *q;
        if (c == '.') {
            bad = bad || label == 0 || prev == '-';
            label = 0;
        } else {
            bad = bad || (label == 0 && c == '-');
            numeric = numeric && c >= '0' && c <= '9';
            label++;
        }
        prev = c;
        q++;
    }
    if (q == p) {
        return -1;
    }
    *hend = q;
    if (numeric) {
        return kr_sip_ipv4_valid(p, (size_t)(q - p)) ? KR_SIP_HOST_IPV4 : -1;
    }
    return bad || prev == '-' ? -1 : KR_SIP_HOST_NAME;
}

enum kr_uri_proto kr_sip_proto_of(struct kr_str t)
{
    switch (t.len) {
    case 2:
        if (kr_sip_lceq(t.ptr, "ws", 2)) {
            return KR_PROTO_WS;
        }
        break;
    case 3:
        if (kr_sip_lceq(t.ptr, "udp", 3)) {
            return KR_PROTO_UDP;
        }
        if (kr_sip_lceq(t.ptr, "tcp", 3)) {
            return KR_PROTO_TCP;
        }
        if (kr_sip_lceq(t.ptr, "tls", 3)) {
            return KR_PROTO_TLS;
        }
        if (kr_sip_lceq(t.ptr, "wss", 3)) {
            return KR_PROTO_WSS;
        }
        break;
    case 4:
        if (kr_sip_lceq(t.ptr, "sctp", 4)) {
            return KR_PROTO_SCTP;
        }
        break;
    default:
        break;
    }
    return KR_PROTO_OTHER;
}

/* [p, e) without trailing LWS; p is not LWS (so this is kr_str_trim there). */
static inline struct kr_str trim_end(const char *p, const char *e)
{
    while (e > p && kr_sip_is(e[-1], KR_C_WS)) {
        e--;
    }
    return kr_str_make(p, (size_t)(e - p));
}

bool kr_sip_params_next(struct kr_str *rest, struct kr_str *name, struct kr_str *value)
{
    if (rest->len == 0) {
        return false;
    }
    const char *p = rest->ptr;
    const char *end = rest->ptr + rest->len;

    while (p < end && (*p == ';' || kr_sip_is(*p, KR_C_WS))) {
        p++;
    }
    if (p == end) {
        *rest = kr_str_make(end, 0);
        return false;
    }
    const char *n0 = p;
    while (p < end && *p != '=' && *p != ';') {
        p++;
    }
    *name = trim_end(n0, p);
    *value = kr_str_make(p, 0);
    if (p < end && *p == '=') {
        p = kr_sip_skip_lws(p + 1, end);
        const char *v0 = p;
        if (p < end && *p == '"') {
            const char *q = kr_sip_scan_quoted(p, end);
            p = q ? q : end;
        }
        while (p < end && *p != ';') {
            p++;
        }
        *value = trim_end(v0, p);
    }
    *rest = kr_str_make(p, (size_t)(end - p));
    return true;
}
