/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SIP, SIPS and TEL URI parsing and comparison (RFC 3261 §19.1, §25.1; RFC 3966).
 * A parsed URI is slices into the caller's bytes; nothing is allocated or copied.
 * Pure functions, any thread. */
#include "sip/uri.h"

#include <arpa/inet.h>
#include <string.h>

#include "sip/lex.h"

static int fail(struct kr_err *err, const char *base, const char *at, const char *why)
{
    return kr_err_set(err, KR_EPARSE, (size_t)(at - base), why);
}

/* The reason for an unexpected byte: whitespace gets its own (RFC 4475 lwsruri). */
static const char *bad_char(const char *p, const char *end, const char *why)
{
    if (p < end && kr_sip_is(*p, KR_C_WS)) {
        return "whitespace inside URI";
    }
    return why;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool is_reserved(int c)
{
    return c == ';' || c == '/' || c == '?' || c == ':' || c == '@' || c == '&' || c == '=' ||
           c == '+' || c == '$' || c == ',';
}

/* Next decoded unit of s at *i: the octet, or 0x100 + octet when it came from an escape
 * of a reserved character, which RFC 3261 §19.1.4 keeps distinct from the literal. A
 * malformed escape is taken literally (the URIs compared were validated by the parser). */
static int next_unit(struct kr_str s, size_t *i, bool icase)
{
    int c = (unsigned char)s.ptr[*i];
    int esc = 0;
    if (c == '%' && *i + 2 < s.len && hexval(s.ptr[*i + 1]) >= 0 && hexval(s.ptr[*i + 2]) >= 0) {
        c = hexval(s.ptr[*i + 1]) * 16 + hexval(s.ptr[*i + 2]);
        *i += 3;
        esc = is_reserved(c) ? 0x100 : 0;
    } else {
        *i += 1;
    }
    if (icase && c >= 'A' && c <= 'Z') {
        c += 32;
    }
    return c + esc;
}

/* Compares two slices after %-decoding, optionally ignoring ASCII case. */
static bool esc_eq(struct kr_str a, struct kr_str b, bool icase)
{
    size_t i = 0;
    size_t j = 0;

    while (i < a.len && j < b.len) {
        if (next_unit(a, &i, icase) != next_unit(b, &j, icase)) {
            return false;
        }
    }
    return i == a.len && j == b.len;
}

static bool name_is(struct kr_str name, struct kr_str lit)
{
    if (name.len == lit.len) {
        return kr_str_caseeq(name, lit);
    }
    return name.len > lit.len && esc_eq(name, lit, true);
}

/* Iterates validated URI parameters (no LWS, no quotes). */
static bool uri_param_next(struct kr_str *rest, struct kr_str *name, struct kr_str *value,
                           bool *has_value)
{
    if (rest->len == 0) {
        return false;
    }
    const char *p = rest->ptr;
    const char *end = rest->ptr + rest->len;

    while (p < end && *p == ';') {
        p++;
    }
    if (p == end) {
        return false;
    }
    const char *n0 = p;
    while (p < end && *p != ';' && *p != '=') {
        p++;
    }
    *name = kr_str_make(n0, (size_t)(p - n0));
    *has_value = false;
    *value = kr_str_make(p, 0);
    if (p < end && *p == '=') {
        const char *v0 = ++p;
        while (p < end && *p != ';') {
            p++;
        }
        *value = kr_str_make(v0, (size_t)(p - v0));
        *has_value = true;
    }
    *rest = kr_str_make(p, (size_t)(end - p));
    return true;
}

static void known_param(struct kr_sip_uri *uri, struct kr_str name, struct kr_str value)
{
    switch (kr_ascii_lower(name.ptr[0])) {
    case 't':
        if (name_is(name, KR_STR("transport"))) {
            uri->transport = value;
            uri->proto = kr_sip_proto_of(value);
        } else if (name_is(name, KR_STR("ttl"))) {
            uri->ttl = value;
        }
        break;
    case 'm':
        if (name_is(name, KR_STR("maddr"))) {
            uri->maddr = value;
        } else if (name_is(name, KR_STR("method"))) {
            uri->method = value;
        }
        break;
    case 'u':
        if (name_is(name, KR_STR("user"))) {
            uri->user_param = value;
        }
        break;
    case 'l':
        if (name_is(name, KR_STR("lr"))) {
            uri->lr = true;
        }
        break;
    case '%':
        /* an escaped name (RFC 4475 esc01 has "%6C%72" for lr) */
        if (name_is(name, KR_STR("lr"))) {
            uri->lr = true;
        } else if (name_is(name, KR_STR("transport"))) {
            uri->transport = value;
            uri->proto = kr_sip_proto_of(value);
        }
        break;
    default:
        break;
    }
}

/* uri-parameters = *( ";" pname [ "=" pvalue ] ), pname/pvalue = 1*paramchar */
static int parse_sip_params(const char *b, const char **pp, const char *end, struct kr_sip_uri *uri,
                            struct kr_err *err)
{
    const char *p = *pp;
    const char *start = p + 1;

    while (p < end && *p == ';') {
        const char *n0 = ++p;
        const char *q = kr_sip_scan_escaped(p, end, KR_C_PARAM);
        if (q == NULL) {
            return fail(err, b, p, "bad escape in URI parameter");
        }
        if (q == n0) {
            return fail(err, b, p, bad_char(p, end, "empty URI parameter"));
        }
        struct kr_str name = kr_str_make(n0, (size_t)(q - n0));
        struct kr_str value = kr_str_make(q, 0);
        if (q < end && *q == '=') {
            const char *v0 = q + 1;
            q = kr_sip_scan_escaped(v0, end, KR_C_PARAM);
            if (q == NULL) {
                return fail(err, b, v0, "bad escape in URI parameter");
            }
            if (q == v0) {
                return fail(err, b, v0, bad_char(v0, end, "empty URI parameter value"));
            }
            value = kr_str_make(v0, (size_t)(q - v0));
        }
        known_param(uri, name, value);
        p = q;
    }
    uri->params = kr_str_make(start, (size_t)(p - start));
    *pp = p;
    return 0;
}

/* headers = "?" header *( "&" header ), header = hname "=" hvalue */
static int parse_headers(const char *b, const char **pp, const char *end, struct kr_sip_uri *uri,
                         struct kr_err *err)
{
    const char *p = *pp + 1;
    const char *start = p;

    for (;;) {
        const char *q = kr_sip_scan_escaped(p, end, KR_C_HNV);
        if (q == NULL) {
            return fail(err, b, p, "bad escape in URI header");
        }
        if (q == p) {
            return fail(err, b, p, bad_char(p, end, "empty URI header name"));
        }
        if (q == end || *q != '=') {
            return fail(err, b, q, bad_char(q, end, "URI header without '='"));
        }
        p = kr_sip_scan_escaped(q + 1, end, KR_C_HNV);
        if (p == NULL) {
            return fail(err, b, q + 1, "bad escape in URI header");
        }
        if (p < end && *p == '&') {
            p++;
            continue;
        }
        break;
    }
    uri->headers = kr_str_make(start, (size_t)(p - start));
    *pp = p;
    return 0;
}

static int parse_port(const char *b, const char **pp, const char *end, struct kr_sip_uri *uri,
                      struct kr_err *err)
{
    const char *p0 = *pp + 1;
    const char *p = p0;
    uint32_t v = 0;

    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > 65535) {
            return fail(err, b, p0, "URI port above 65535");
        }
        p++;
    }
    if (p == p0) {
        return fail(err, b, p0, bad_char(p0, end, "empty URI port"));
    }
    uri->port = kr_str_make(p0, (size_t)(p - p0));
    uri->port_no = (uint16_t)v;
    *pp = p;
    return 0;
}

static int parse_sip(const char *b, const char *p, const char *end, struct kr_sip_uri *uri,
                     struct kr_err *err)
{
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *q = kr_sip_scan_escaped(p, at, KR_C_USER);
        if (q == NULL) {
            return fail(err, b, p, "bad escape in URI user");
        }
        if (q == p) {
            return fail(err, b, p, bad_char(p, end, "empty URI user"));
        }
        uri->user = kr_str_make(p, (size_t)(q - p));
        if (q < at) {
            if (*q != ':') {
                return fail(err, b, q, bad_char(q, end, "bad character in URI user"));
            }
            const char *pw = q + 1;
            q = kr_sip_scan_escaped(pw, at, KR_C_PASS);
            if (q == NULL) {
                return fail(err, b, pw, "bad escape in URI password");
            }
            if (q != at) {
                return fail(err, b, q, bad_char(q, end, "bad character in URI password"));
            }
            uri->password = kr_str_make(pw, (size_t)(at - pw));
        }
        p = at + 1;
    }
    const char *q = p;
    int kind = kr_sip_scan_host(p, end, &q);
    if (kind < 0) {
        return fail(err, b, p, bad_char(p, end, "bad URI host"));
    }
    uri->host = kr_str_make(p, (size_t)(q - p));
    uri->host_is_ipv4 = kind == KR_SIP_HOST_IPV4;
    uri->host_is_ipv6 = kind == KR_SIP_HOST_IPV6;
    p = q;
    int rc;
    if (p < end && *p == ':' && (rc = parse_port(b, &p, end, uri, err)) < 0) {
        return rc;
    }
    if (p < end && *p == ';' && (rc = parse_sip_params(b, &p, end, uri, err)) < 0) {
        return rc;
    }
    if (p < end && *p == '?' && (rc = parse_headers(b, &p, end, uri, err)) < 0) {
        return rc;
    }
    if (p != end) {
        return fail(err, b, p, bad_char(p, end, "bad character in URI"));
    }
    return 0;
}

/* RFC 3966: telephone-subscriber *( ";" par ); par names are alphanum / '-'. */
static int parse_tel(const char *b, const char *p, const char *end, struct kr_sip_uri *uri,
                     struct kr_err *err)
{
    const char *n0 = p;
    bool global = p < end && *p == '+';
    if (global) {
        p++;
    }
    const char *q = kr_sip_skip_cls(p, end, KR_C_TEL);
    if (q == p) {
        return fail(err, b, p, bad_char(p, end, "empty telephone number"));
    }
    bool digit = false;
    for (const char *c = p; c < q; c++) {
        if (*c >= '0' && *c <= '9') {
            digit = true;
        } else if (global && *c != '-' && *c != '.' && *c != '(' && *c != ')') {
            return fail(err, b, c, "bad character in global telephone number");
        }
    }
    if (global && !digit) {
        return fail(err, b, p, "telephone number without digits");
    }
    uri->user = kr_str_make(n0, (size_t)(q - n0));
    p = q;
    bool has_params = p < end && *p == ';';
    while (p < end && *p == ';') {
        const char *pn = ++p;
        while (p < end && (kr_sip_is(*p, KR_C_ALNUM) || *p == '-')) {
            p++;
        }
        if (p == pn) {
            return fail(err, b, p, bad_char(p, end, "empty tel parameter"));
        }
        if (p < end && *p == '=') {
            const char *v0 = p + 1;
            p = kr_sip_scan_escaped(v0, end, KR_C_PARAM);
            if (p == NULL) {
                return fail(err, b, v0, "bad escape in tel parameter");
            }
            if (p == v0) {
                return fail(err, b, v0, bad_char(v0, end, "empty tel parameter value"));
            }
        }
    }
    if (has_params) {
        uri->params = kr_str_make(q + 1, (size_t)(p - q - 1));
    }
    if (p != end) {
        return fail(err, b, p, bad_char(p, end, "bad character in tel URI"));
    }
    return 0;
}

int kr_sip_uri_parse(struct kr_str s, struct kr_sip_uri *uri, struct kr_err *err)
{
    memset(uri, 0, sizeof(*uri));
    if (s.len == 0) {
        return kr_err_set(err, KR_EPARSE, 0, "empty URI");
    }
    const char *b = s.ptr;
    const char *end = s.ptr + s.len;

    if (*b == '<') {
        return fail(err, b, b, "URI enclosed in <>");
    }
    if (!kr_sip_is_alpha(*b)) {
        return fail(err, b, b, bad_char(b, end, "bad URI scheme"));
    }
    const char *q = kr_sip_skip_cls(b + 1, end, KR_C_SCHEME);
    if (q == end || *q != ':') {
        return fail(err, b, q, bad_char(q, end, "bad URI scheme"));
    }
    size_t sl = (size_t)(q - b);
    if (sl == 3 && kr_sip_lceq(b, "sip", 3)) {
        uri->scheme = KR_URI_SIP;
    } else if (sl == 4 && kr_sip_lceq(b, "sips", 4)) {
        uri->scheme = KR_URI_SIPS;
    } else if (sl == 3 && kr_sip_lceq(b, "tel", 3)) {
        uri->scheme = KR_URI_TEL;
        return parse_tel(b, q + 1, end, uri, err);
    } else {
        return fail(err, b, b, "unsupported URI scheme");
    }
    return parse_sip(b, q + 1, end, uri, err);
}

bool kr_sip_param_find(struct kr_str params, struct kr_str name, struct kr_str *value)
{
    struct kr_str n;
    struct kr_str v;

    while (kr_sip_params_next(&params, &n, &v)) {
        if (kr_str_caseeq(n, name)) {
            if (value) {
                *value = v;
            }
            return true;
        }
    }
    return false;
}

long kr_sip_unescape(struct kr_str s, char *out, size_t outcap)
{
    size_t n = 0;

    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '%') {
            if (i + 2 >= s.len || hexval(s.ptr[i + 1]) < 0 || hexval(s.ptr[i + 2]) < 0) {
                return KR_EPARSE;
            }
            c = (char)(hexval(s.ptr[i + 1]) * 16 + hexval(s.ptr[i + 2]));
            i += 2;
        }
        if (n >= outcap) {
            return KR_ELIMIT;
        }
        out[n++] = c;
    }
    return (long)n;
}

/* Hosts compare case-insensitively; IPv6 references by address (RFC 3261 §19.1.4 leaves
 * "[::1]" and "[0:0::1]" equal as the same host). */
static bool host_eq(const struct kr_sip_uri *a, const struct kr_sip_uri *b)
{
    if (a->host_is_ipv6 && b->host_is_ipv6) {
        char ta[64];
        char tb[64];
        unsigned char ba[16];
        unsigned char bb[16];
        if (a->host.len - 2 >= sizeof(ta) || b->host.len - 2 >= sizeof(tb)) {
            return false;
        }
        memcpy(ta, a->host.ptr + 1, a->host.len - 2);
        ta[a->host.len - 2] = '\0';
        memcpy(tb, b->host.ptr + 1, b->host.len - 2);
        tb[b->host.len - 2] = '\0';
        if (inet_pton(AF_INET6, ta, ba) == 1 && inet_pton(AF_INET6, tb, bb) == 1) {
            return memcmp(ba, bb, sizeof(ba)) == 0;
        }
    }
    return kr_str_caseeq(a->host, b->host);
}

static bool find_param(struct kr_str params, struct kr_str name, struct kr_str *value,
                       bool *has_value)
{
    struct kr_str n;

    while (uri_param_next(&params, &n, value, has_value)) {
        if (esc_eq(n, name, true)) {
            return true;
        }
    }
    return false;
}

static bool is_special_param(struct kr_str n)
{
    return name_is(n, KR_STR("user")) || name_is(n, KR_STR("ttl")) ||
           name_is(n, KR_STR("method")) || name_is(n, KR_STR("maddr")) ||
           name_is(n, KR_STR("transport"));
}

/* Whether params has a parameter named name, and whether one of that name has value v. */
static bool has_param_value(struct kr_str params, struct kr_str name, struct kr_str v, bool hv,
                            bool *named)
{
    struct kr_str n;
    struct kr_str v2;
    bool h2;

    *named = false;
    while (uri_param_next(&params, &n, &v2, &h2)) {
        if (esc_eq(n, name, true)) {
            *named = true;
            if (h2 == hv && esc_eq(v, v2, true)) {
                return true;
            }
        }
    }
    return false;
}

/* Other parameters of pa that pb also names must have a match in pb (a parameter given
 * twice matches either value, so that comparison stays reflexive). */
static bool others_match(struct kr_str pa, struct kr_str pb)
{
    struct kr_str n;
    struct kr_str v;
    bool h;

    while (uri_param_next(&pa, &n, &v, &h)) {
        bool named;
        if (!is_special_param(n) && !has_param_value(pb, n, v, h, &named) && named) {
            return false;
        }
    }
    return true;
}

/* Parameter and header comparison is quadratic in their number: past this many, the
 * lists compare as whole strings (ignoring case), which a real URI never needs. */
enum { EQ_MAX_ITEMS = 32 };

static size_t count_items(struct kr_str s, char sep)
{
    size_t n = s.len ? 1 : 0;
    for (size_t i = 0; i < s.len; i++) {
        n += s.ptr[i] == sep;
    }
    return n;
}

/* §19.1.4: user, ttl, method, maddr and transport must match when either URI has them;
 * other parameters must match only when both have them. */
static bool params_eq(struct kr_str pa, struct kr_str pb)
{
    if (count_items(pa, ';') > EQ_MAX_ITEMS || count_items(pb, ';') > EQ_MAX_ITEMS) {
        return kr_str_caseeq(pa, pb);
    }
    static const struct kr_str special[] = {
        { "user", 4 }, { "ttl", 3 }, { "method", 6 }, { "maddr", 5 }, { "transport", 9 },
    };
    for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
        struct kr_str va;
        struct kr_str vb;
        bool ha;
        bool hb;
        bool fa = find_param(pa, special[k], &va, &ha);
        bool fb = find_param(pb, special[k], &vb, &hb);
        if (fa != fb || (fa && (ha != hb || !esc_eq(va, vb, true)))) {
            return false;
        }
    }
    return others_match(pa, pb) && others_match(pb, pa);
}

static bool header_next(struct kr_str *rest, struct kr_str *name, struct kr_str *value)
{
    if (rest->len == 0) {
        return false;
    }
    long amp = kr_str_chr(*rest, '&');
    struct kr_str h = amp < 0 ? *rest : kr_str_sub(*rest, 0, (size_t)amp);
    *rest = amp < 0 ? kr_str_make(rest->ptr + rest->len, 0)
                    : kr_str_sub(*rest, (size_t)amp + 1, rest->len);
    long eq = kr_str_chr(h, '=');
    *name = eq < 0 ? h : kr_str_sub(h, 0, (size_t)eq);
    *value = eq < 0 ? kr_str_make(h.ptr + h.len, 0) : kr_str_sub(h, (size_t)eq + 1, h.len);
    return true;
}

/* §19.1.4: every header field present in either URI must be in both with equal values. */
static bool headers_subset(struct kr_str ha, struct kr_str hb)
{
    struct kr_str n;
    struct kr_str v;

    while (header_next(&ha, &n, &v)) {
        struct kr_str rest = hb;
        struct kr_str n2;
        struct kr_str v2;
        bool found = false;
        while (header_next(&rest, &n2, &v2)) {
            if (esc_eq(n, n2, true) && esc_eq(v, v2, true)) {
                found = true;
                break;
            }
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

/* tel: numbers compare without visual separators (RFC 3966 §4). */
static bool tel_number_eq(struct kr_str a, struct kr_str b)
{
    size_t i = 0;
    size_t j = 0;

    for (;;) {
        while (i < a.len &&
               (a.ptr[i] == '-' || a.ptr[i] == '.' || a.ptr[i] == '(' || a.ptr[i] == ')')) {
            i++;
        }
        while (j < b.len &&
               (b.ptr[j] == '-' || b.ptr[j] == '.' || b.ptr[j] == '(' || b.ptr[j] == ')')) {
            j++;
        }
        if (i == a.len || j == b.len) {
            return i == a.len && j == b.len;
        }
        if (kr_ascii_lower(a.ptr[i]) != kr_ascii_lower(b.ptr[j])) {
            return false;
        }
        i++;
        j++;
    }
}

static bool tel_params_subset(struct kr_str pa, struct kr_str pb)
{
    struct kr_str n;
    struct kr_str v;
    bool h;

    while (uri_param_next(&pa, &n, &v, &h)) {
        bool named;
        if (!has_param_value(pb, n, v, h, &named)) {
            return false;
        }
    }
    return true;
}

bool kr_sip_uri_eq(const struct kr_sip_uri *a, const struct kr_sip_uri *b)
{
    if (a->scheme != b->scheme) {
        return false;
    }
    if (a->scheme == KR_URI_TEL) {
        if (!tel_number_eq(a->user, b->user)) {
            return false;
        }
        if (count_items(a->params, ';') > EQ_MAX_ITEMS ||
            count_items(b->params, ';') > EQ_MAX_ITEMS) {
            return kr_str_caseeq(a->params, b->params);
        }
        return tel_params_subset(a->params, b->params) && tel_params_subset(b->params, a->params);
    }
    if (!esc_eq(a->user, b->user, false) || !esc_eq(a->password, b->password, false)) {
        return false;
    }
    if (!host_eq(a, b)) {
        return false;
    }
    if (a->port.len != 0) {
        if (b->port.len == 0 || a->port_no != b->port_no) {
            return false;
        }
    } else if (b->port.len != 0) {
        return false;
    }
    if (!params_eq(a->params, b->params)) {
        return false;
    }
    if (count_items(a->headers, '&') > EQ_MAX_ITEMS ||
        count_items(b->headers, '&') > EQ_MAX_ITEMS) {
        return kr_str_caseeq(a->headers, b->headers);
    }
    return headers_subset(a->headers, b->headers) && headers_subset(b->headers, a->headers);
}
