/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MSRP URI parsing and comparison (RFC 4975 §6, §6.1, §9; RFC 3986 for the authority).
 * Slices into the caller's bytes; nothing is allocated or copied beyond a bounded stack
 * copy of an IPv6 literal for inet_pton. Pure functions, any thread. */
#include "msrp/uri.h"

#include <arpa/inet.h>
#include <string.h>

static int fail(struct kr_err *err, const char *base, const char *at, const char *why)
{
    return kr_err_set(err, KR_EPARSE, (size_t)(at - base), why);
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 unreserved. */
static bool is_unreserved(char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 sub-delims. */
static bool is_subdelim(char c)
{
    return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/* RFC 3261 token, which RFC 4975 §9 borrows for transport and URI parameters. */
static bool is_token(char c)
{
    return is_alnum(c) || (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

static bool lceq(const char *p, const char *lower, size_t n)
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

static bool ipv4_valid(const char *p, size_t n)
{
    unsigned parts = 0;
    size_t i = 0;

    while (i < n) {
        unsigned v = 0;
        size_t digits = 0;
        while (i < n && is_digit(p[i])) {
            v = v * 10 + (unsigned)(p[i] - '0');
            digits++;
            i++;
            if (digits > 3) {
                return false;
            }
        }
        if (digits == 0 || v > 255) {
            return false;
        }
        parts++;
        if (i < n) {
            if (p[i] != '.' || parts == 4) {
                return false;
            }
            i++;
            if (i == n) {
                return false;
            }
        }
    }
    return parts == 4;
}

/* An IPv6 literal without brackets, through inet_pton on a bounded copy. */
static bool ipv6_parse(const char *p, size_t n, unsigned char out[16])
{
    char tmp[64];

    if (n == 0 || n >= sizeof(tmp)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_hex(p[i]) && p[i] != ':' && p[i] != '.') {
            return false;
        }
    }
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET6, tmp, out) == 1;
}

/* host = "[" IPv6 "]" / IPv4address / reg-name (hostname characters). */
static int parse_host(const char *base, const char *p, const char *end, struct kr_msrp_uri *u,
                      const char **hend, struct kr_err *err)
{
    const char *q = p;

    if (p < end && *p == '[') {
        unsigned char a6[16];
        q = memchr(p, ']', (size_t)(end - p));
        if (q == NULL) {
            return fail(err, base, p, "MSRP URI: unterminated IPv6 reference");
        }
        if (!ipv6_parse(p + 1, (size_t)(q - p - 1), a6)) {
            return fail(err, base, p, "MSRP URI: bad IPv6 address");
        }
        u->host = kr_str_make(p, (size_t)(q + 1 - p));
        u->host_is_ipv6 = true;
        *hend = q + 1;
        return 0;
    }
    bool all_num = true;
    while (q < end && (is_alnum(*q) || *q == '-' || *q == '.' || *q == '_')) {
        if (!is_digit(*q) && *q != '.') {
            all_num = false;
        }
        q++;
    }
    if (q == p) {
        return fail(err, base, p, "MSRP URI: missing host");
    }
    if (all_num) {
        if (!ipv4_valid(p, (size_t)(q - p))) {
            return fail(err, base, p, "MSRP URI: bad IPv4 address");
        }
        u->host_is_ipv4 = true;
    } else if (*p == '-' || *p == '.' || q[-1] == '-') {
        return fail(err, base, p, "MSRP URI: bad hostname");
    }
    u->host = kr_str_make(p, (size_t)(q - p));
    *hend = q;
    return 0;
}

int kr_msrp_uri_parse(struct kr_str s, struct kr_msrp_uri *u, struct kr_err *err)
{
    const char *base = s.ptr;
    const char *p = s.ptr;
    const char *end = s.ptr + s.len;

    memset(u, 0, sizeof(*u));
    if (s.len > KR_MSRP_URI_MAX) {
        return kr_err_set(err, KR_EPARSE, 0, "MSRP URI: too long");
    }
    if (s.len >= 7 && lceq(p, "msrp://", 7)) {
        u->scheme = KR_MSRP_SCHEME_MSRP;
        p += 7;
    } else if (s.len >= 8 && lceq(p, "msrps://", 8)) {
        u->scheme = KR_MSRP_SCHEME_MSRPS;
        p += 8;
    } else {
        return fail(err, base, p, "MSRP URI: scheme is not msrp or msrps");
    }
    /* '@' occurs nowhere after the authority (session-id, transport and params exclude
     * it), so the first one ends the userinfo (RFC 3986 §3.2.1). */
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        for (const char *q = p; q < at; q++) {
            if (*q == '%') {
                if (end - q < 3 || !is_hex(q[1]) || !is_hex(q[2])) {
                    return fail(err, base, q, "MSRP URI: bad escape in userinfo");
                }
                q += 2;
            } else if (!is_unreserved(*q) && !is_subdelim(*q) && *q != ':') {
                return fail(err, base, q, "MSRP URI: bad character in userinfo");
            }
        }
        u->userinfo = kr_str_make(p, (size_t)(at - p));
        p = at + 1;
    }
    int rc = parse_host(base, p, end, u, &p, err);
    if (rc < 0) {
        return rc;
    }
    if (p < end && *p == ':') {
        const char *d = ++p;
        unsigned port = 0;
        while (p < end && is_digit(*p)) {
            port = port * 10 + (unsigned)(*p - '0');
            if (port > 65535) {
                return fail(err, base, d, "MSRP URI: port above 65535");
            }
            p++;
        }
        if (p == d) {
            return fail(err, base, d, "MSRP URI: missing port");
        }
        if (port == 0) {
            return fail(err, base, d, "MSRP URI: port 0");
        }
        u->port = kr_str_make(d, (size_t)(p - d));
        u->port_no = (uint16_t)port;
    }
    if (p < end && *p == '/') {
        const char *d = ++p;
        while (p < end && (is_unreserved(*p) || *p == '+' || *p == '=' || *p == '/')) {
            p++;
        }
        if (p == d) {
            return fail(err, base, d, "MSRP URI: empty session-id");
        }
        u->session_id = kr_str_make(d, (size_t)(p - d));
    }
    if (p == end || *p != ';') {
        return fail(err, base, p,
                    p == end ? "MSRP URI: missing transport" : "MSRP URI: unexpected character");
    }
    const char *t = ++p;
    while (p < end && is_alnum(*p)) {
        p++;
    }
    if (p == t) {
        return fail(err, base, t, "MSRP URI: empty transport");
    }
    u->transport = kr_str_make(t, (size_t)(p - t));
    if (u->transport.len == 3 && lceq(t, "tcp", 3)) {
        u->transport_id = KR_MSRP_TRANSPORT_TCP;
    } else if (u->transport.len == 2 && lceq(t, "ws", 2)) {
        u->transport_id = KR_MSRP_TRANSPORT_WS;
    }
    if (p < end && *p == ';') {
        const char *params = p + 1;
        while (p < end && *p == ';') {
            const char *n = ++p;
            while (p < end && is_token(*p)) {
                p++;
            }
            if (p == n) {
                return fail(err, base, n, "MSRP URI: empty parameter name");
            }
            if (p < end && *p == '=') {
                const char *v = ++p;
                while (p < end && is_token(*p)) {
                    p++;
                }
                if (p == v) {
                    return fail(err, base, v, "MSRP URI: empty parameter value");
                }
            }
        }
        u->params = kr_str_make(params, (size_t)(p - params));
    }
    if (p != end) {
        return fail(err, base, p, "MSRP URI: unexpected character");
    }
    u->whole = s;
    return 0;
}

static bool host_eq(const struct kr_msrp_uri *a, const struct kr_msrp_uri *b)
{
    if (a->host_is_ipv6 && b->host_is_ipv6) {
        /* The same address written two ways ("::1", "0:0::1") is the same host: this is
         * a textual normalisation, not a DNS lookup. Both parsed already. */
        unsigned char x[16];
        unsigned char y[16];
        if (!ipv6_parse(a->host.ptr + 1, a->host.len - 2, x) ||
            !ipv6_parse(b->host.ptr + 1, b->host.len - 2, y)) {
            return false;
        }
        return memcmp(x, y, sizeof(x)) == 0;
    }
    return kr_str_caseeq(a->host, b->host);
}

/* RFC 4975 §6.1: the scheme must match; the host compares case-insensitively with no
 * name resolution (an IP address never equals a hostname); a port present in either URI
 * must be present in both and equal (an absent port equals only an absent port, not
 * 2855); the session-id compares case-sensitively and a URI with one never equals a URI
 * without; the transport compares case-insensitively; other URI parameters are ignored.
 * The userinfo part is not among the parts §6.1 lists, and the relays we interoperate
 * with (msrprelay, OpenSIPS) ignore it too: a client may or may not repeat the userinfo
 * the relay put in its Use-Path, so comparing it would break session matching. */
bool kr_msrp_uri_eq(const struct kr_msrp_uri *a, const struct kr_msrp_uri *b)
{
    if (a->scheme != b->scheme) {
        return false;
    }
    if (a->port_no != b->port_no) {
        return false;
    }
    if (!kr_str_eq(a->session_id, b->session_id)) {
        return false;
    }
    if (!kr_str_caseeq(a->transport, b->transport)) {
        return false;
    }
    return host_eq(a, b);
}
