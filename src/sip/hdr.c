/* SPDX-License-Identifier: GPL-2.0-or-later */
/* On-demand parsers for header field values (RFC 3261 §20, §25.1): Via, name-addr lists,
 * CSeq, Max-Forwards, Expires, Content-Length and credentials. Results are slices into
 * the value given; nothing is allocated. LWS may include folds (CRLF + WSP), which the
 * message parser left in the value. Pure functions, any thread. */
#include <string.h>

#include "sip/lex.h"
#include "sip/msg.h"

/* Values may be empty slices with a NULL pointer: give them a real one. */
static struct kr_str nonnull(struct kr_str s)
{
    return s.ptr ? s : kr_str_make("", 0);
}

static int herr(struct kr_err *err, struct kr_str v, const char *at, const char *why)
{
    return kr_err_set(err, KR_EPARSE, (size_t)(at - v.ptr), why);
}

static bool lit_is(struct kr_str s, const char *lower, size_t n)
{
    return s.len == n && kr_sip_lceq(s.ptr, lower, n);
}

static bool is_digits(struct kr_str s)
{
    if (s.len == 0) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') {
            return false;
        }
    }
    return true;
}

/* Scans a decimal at p up to max; returns the end, or NULL when empty or above max. */
static inline const char *scan_uint(const char *p, const char *end, uint64_t max, uint64_t *out)
{
    const char *p0 = p;
    uint64_t v = 0;
    const uint64_t lim = max / 10;
    const unsigned rem = (unsigned)(max % 10);

    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > lim || (v == lim && d > rem)) { /* v * 10 + d > max */
            return NULL;
        }
        v = v * 10 + d;
        p++;
    }
    if (p == p0) {
        return NULL;
    }
    *out = v;
    return p;
}

/* gen-value = token / host / quoted-string. Sets *vend; 0 or a reason. */
static const char *scan_gen_value(const char *p, const char *end, const char **vend)
{
    if (p < end && *p == '"') {
        *vend = kr_sip_scan_quoted(p, end);
        return *vend ? NULL : "unterminated quoted string in parameter";
    }
    if (p < end && *p == '[') {
        return kr_sip_scan_host(p, end, vend) == KR_SIP_HOST_IPV6 ? NULL : "bad IPv6 reference";
    }
    *vend = kr_sip_skip_cls(p, end, KR_C_TOKEN);
    return *vend == p ? "empty parameter value" : NULL;
}

static bool addr_valid(struct kr_str s)
{
    if (s.len >= 2 && s.ptr[0] == '[' && s.ptr[s.len - 1] == ']') {
        return kr_sip_ipv6_valid(s.ptr + 1, s.len - 2);
    }
    return kr_sip_ipv4_valid(s.ptr, s.len) || kr_sip_ipv6_valid(s.ptr, s.len);
}

/* After a list element: the end of the value, or a comma and a non-empty next element,
 * which *rest receives. */
static int list_tail(struct kr_str v, const char *p, struct kr_str *rest, struct kr_err *err,
                     const char *unexpected, const char *empty)
{
    const char *end = v.ptr + v.len;

    if (p == end) {
        return 0;
    }
    if (*p != ',') {
        return herr(err, v, p, unexpected);
    }
    p = kr_sip_skip_lws(p + 1, end);
    if (p == end || *p == ',') {
        return herr(err, v, p, empty);
    }
    if (rest) {
        *rest = kr_str_make(p, (size_t)(end - p));
    }
    return 0;
}

/* A via-param we act on; the value was scanned already. */
static const char *via_known(struct kr_sip_via *via, struct kr_str name, struct kr_str val,
                             bool has_val)
{
    switch (name.len) {
    case 3:
        if (lit_is(name, "ttl", 3)) {
            uint64_t t;
            if (!has_val || !is_digits(val) || kr_str_to_u64(val, 255, &t) < 0) {
                return "Via: bad ttl";
            }
        }
        break;
    case 5:
        if (lit_is(name, "rport", 5)) {
            uint64_t port;
            if (has_val && (!is_digits(val) || kr_str_to_u64(val, 65535, &port) < 0)) {
                return "Via: bad rport";
            }
            via->has_rport = true;
            via->rport = val;
        } else if (lit_is(name, "maddr", 5)) {
            const char *e;
            if (!has_val || kr_sip_scan_host(val.ptr, val.ptr + val.len, &e) < 0 ||
                e != val.ptr + val.len) {
                return "Via: bad maddr";
            }
        }
        break;
    case 6:
        if (lit_is(name, "branch", 6)) {
            if (!has_val || val.ptr[0] == '"') {
                return "Via: bad branch";
            }
            via->branch = val;
        }
        break;
    case 8:
        if (lit_is(name, "received", 8)) {
            if (!has_val || !addr_valid(val)) {
                return "Via: bad received";
            }
            via->received = val;
        }
        break;
    default:
        break;
    }
    return NULL;
}

int kr_sip_parse_via(struct kr_str v, struct kr_sip_via *via, struct kr_str *rest,
                     struct kr_err *err)
{
    v = nonnull(v);
    const char *end = v.ptr + v.len;
    const char *p = kr_sip_skip_lws(v.ptr, end);
    const char *q;

    memset(via, 0, sizeof(*via));
    if (rest) {
        *rest = kr_str_make(end, 0);
    }
    const char *w0 = p;
    /* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
    struct kr_str *parts[3] = { &via->proto_name, &via->proto_ver, &via->transport };
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            p = kr_sip_skip_lws(p, end);
            if (p == end || *p != '/') {
                return herr(err, v, p, "Via: expected '/' in sent-protocol");
            }
            p = kr_sip_skip_lws(p + 1, end);
        }
        q = kr_sip_skip_cls(p, end, KR_C_TOKEN);
        if (q == p) {
            return herr(err, v, p, "Via: bad sent-protocol");
        }
        *parts[i] = kr_str_make(p, (size_t)(q - p));
        p = q;
    }
    via->proto = kr_sip_proto_of(via->transport);
    if (p == end || !kr_sip_is(*p, KR_C_WS)) {
        return herr(err, v, p, "Via: expected whitespace before sent-by");
    }
    p = kr_sip_skip_lws(p, end);
    if (kr_sip_scan_host(p, end, &q) < 0) {
        return herr(err, v, p, "Via: bad host");
    }
    via->host = kr_str_make(p, (size_t)(q - p));
    const char *last = q;
    p = kr_sip_skip_lws(q, end);
    if (p < end && *p == ':') {
        p = kr_sip_skip_lws(p + 1, end);
        uint64_t port = 0;
        q = scan_uint(p, end, 65535, &port);
        if (q == NULL) {
            return herr(err, v, p, "Via: bad port");
        }
        via->port = kr_str_make(p, (size_t)(q - p));
        via->port_no = (uint16_t)port;
        last = q;
        p = kr_sip_skip_lws(q, end);
    }
    const char *params0 = NULL;
    while (p < end && *p == ';') {
        p = kr_sip_skip_lws(p + 1, end);
        if (params0 == NULL) {
            params0 = p;
        }
        q = kr_sip_skip_cls(p, end, KR_C_TOKEN);
        if (q == p) {
            return herr(err, v, p, "Via: empty parameter");
        }
        struct kr_str name = kr_str_make(p, (size_t)(q - p));
        struct kr_str val = kr_str_make(q, 0);
        bool has_val = false;
        last = q;
        p = kr_sip_skip_lws(q, end);
        if (p < end && *p == '=') {
            p = kr_sip_skip_lws(p + 1, end);
            const char *why;
            if (lit_is(name, "received", 8) && p < end && *p != '"' && *p != '[') {
                /* an IP address; RFC 5118 §4.5: IPv6 comes without brackets */
                q = p;
                while (q < end && (kr_sip_is(*q, KR_C_HEX) || *q == ':' || *q == '.')) {
                    q++;
                }
                why = q == p ? "Via: bad received" : NULL;
            } else {
                why = scan_gen_value(p, end, &q);
            }
            if (why) {
                return herr(err, v, p, why);
            }
            val = kr_str_make(p, (size_t)(q - p));
            has_val = true;
            last = q;
            p = kr_sip_skip_lws(q, end);
        }
        const char *why = via_known(via, name, val, has_val);
        if (why) {
            return herr(err, v, name.ptr, why);
        }
    }
    if (params0) {
        via->params = kr_str_make(params0, (size_t)(last - params0));
    }
    via->whole = kr_str_make(w0, (size_t)(last - w0));
    return list_tail(v, p, rest, err, "Via: unexpected character", "Via: empty element");
}

/* The URI of a name-addr is only checked for its shape, "scheme:" then printable
 * non-space characters: unknown schemes are fine in To/From/Contact (RFC 4475 unksm2). */
static const char *uri_shape(struct kr_str u)
{
    const char *end = u.ptr + u.len;

    if (u.len == 0 || !kr_sip_is_alpha(u.ptr[0])) {
        return "name-addr: bad URI";
    }
    const char *q = kr_sip_skip_cls(u.ptr + 1, end, KR_C_SCHEME);
    if (q == end || *q != ':') {
        return "name-addr: URI without scheme";
    }
    q = kr_sip_skip_cls(q, end, KR_C_URIC);
    if (q != end) {
        return kr_sip_is(*q, KR_C_WS) ? "name-addr: whitespace inside URI"
                                      : "name-addr: bad character in URI";
    }
    return NULL;
}

int kr_sip_parse_nameaddr(struct kr_str v, struct kr_sip_nameaddr *na, struct kr_str *rest,
                          struct kr_err *err)
{
    v = nonnull(v);
    const char *end = v.ptr + v.len;
    const char *p = kr_sip_skip_lws(v.ptr, end);
    const char *q;
    const char *last;

    memset(na, 0, sizeof(*na));
    if (rest) {
        *rest = kr_str_make(end, 0);
    }
    if (p == end) {
        return herr(err, v, p, "name-addr: empty");
    }
    const char *w0 = p;
    bool angle = false;
    if (*p == '*') {
        q = kr_sip_skip_lws(p + 1, end);
        if (q == end || *q == ',') {
            na->star = true;
            na->whole = kr_str_make(p, 1);
            return list_tail(v, q, rest, err, "name-addr: unexpected character",
                             "name-addr: empty element");
        }
    }
    if (*p == '"') {
        q = kr_sip_scan_quoted(p, end);
        if (q == NULL) {
            return herr(err, v, p, "name-addr: unterminated quoted string");
        }
        na->display = kr_str_make(p + 1, (size_t)(q - p - 2));
        p = kr_sip_skip_lws(q, end);
        if (p == end || *p != '<') {
            return herr(err, v, p, "name-addr: expected '<' after display name");
        }
        angle = true;
    } else if (*p == '<') {
        angle = true;
    } else {
        /* *(token LWS) "<" is a name-addr (no LWS before '<' is fine: RFC 4475
         * lwsdisp); anything else is an addr-spec. */
        const char *dend = p;
        q = p;
        for (;;) {
            const char *t = kr_sip_skip_cls(q, end, KR_C_TOKEN);
            if (t == q) {
                break;
            }
            dend = t;
            q = kr_sip_skip_lws(t, end);
        }
        if (q < end && *q == '<') {
            na->display = kr_str_make(p, (size_t)(dend - p));
            p = q;
            angle = true;
        }
    }
    if (angle) {
        p++;
        if (p < end && kr_sip_is(*p, KR_C_WS)) {
            return herr(err, v, p, "name-addr: whitespace after '<'");
        }
        q = memchr(p, '>', (size_t)(end - p));
        if (q == NULL) {
            return herr(err, v, p, "name-addr: missing '>'");
        }
        na->uri = kr_str_make(p, (size_t)(q - p));
        last = q + 1;
    } else {
        /* addr-spec: a URI with ',', '?' or ';' must be in <> (RFC 3261 §20); ';' and ','
         * end it, '?' is an error (RFC 4475 regbadct). */
        q = p;
        while (q < end && *q != ';' && *q != ',' && !kr_sip_is(*q, KR_C_WS)) {
            if (*q == '?') {
                return herr(err, v, q, "name-addr: URI with '?' not enclosed in <>");
            }
            q++;
        }
        na->uri = kr_str_make(p, (size_t)(q - p));
        last = q;
    }
    const char *why = uri_shape(na->uri);
    if (why) {
        return herr(err, v, na->uri.ptr, why);
    }
    p = kr_sip_skip_lws(last, end);
    const char *params0 = NULL;
    while (p < end && *p == ';') {
        p = kr_sip_skip_lws(p + 1, end);
        if (params0 == NULL) {
            params0 = p;
        }
        q = kr_sip_skip_cls(p, end, KR_C_TOKEN);
        if (q == p) {
            return herr(err, v, p, "name-addr: empty parameter");
        }
        struct kr_str name = kr_str_make(p, (size_t)(q - p));
        last = q;
        p = kr_sip_skip_lws(q, end);
        bool has_val = false;
        struct kr_str val = kr_str_make(p, 0);
        if (p < end && *p == '=') {
            p = kr_sip_skip_lws(p + 1, end);
            why = scan_gen_value(p, end, &q);
            if (why) {
                return herr(err, v, p, why);
            }
            val = kr_str_make(p, (size_t)(q - p));
            has_val = true;
            last = q;
            p = kr_sip_skip_lws(q, end);
        }
        if (lit_is(name, "tag", 3)) {
            if (!has_val || val.ptr[0] == '"') {
                return herr(err, v, name.ptr, "name-addr: bad tag");
            }
            if (na->tag.len == 0) {
                na->tag = val;
            }
        }
    }
    if (params0) {
        na->params = kr_str_make(params0, (size_t)(last - params0));
    }
    na->whole = kr_str_make(w0, (size_t)(last - w0));
    return list_tail(v, p, rest, err, "name-addr: unexpected character",
                     "name-addr: empty element");
}

int kr_sip_parse_cseq(struct kr_str v, struct kr_sip_cseq *cs, struct kr_err *err)
{
    v = nonnull(v);
    const char *end = v.ptr + v.len;
    const char *p = kr_sip_skip_lws(v.ptr, end);
    uint64_t n = 0;

    memset(cs, 0, sizeof(*cs));
    const char *q = scan_uint(p, end, UINT32_MAX, &n);
    if (q == NULL) {
        return herr(err, v, p,
                    p < end && *p >= '0' && *p <= '9' ? "CSeq: number above 2^32-1"
                                                      : "CSeq: not a number");
    }
    if (q == end || !kr_sip_is(*q, KR_C_WS)) {
        return herr(err, v, q, "CSeq: expected whitespace before the method");
    }
    p = kr_sip_skip_lws(q, end);
    q = kr_sip_skip_cls(p, end, KR_C_TOKEN);
    if (q == p) {
        return herr(err, v, p, "CSeq: bad method");
    }
    cs->num = (uint32_t)n;
    cs->method = kr_str_make(p, (size_t)(q - p));
    cs->method_id = kr_sip_method_id(cs->method);
    p = kr_sip_skip_lws(q, end);
    if (p != end) {
        return herr(err, v, p, "CSeq: trailing characters");
    }
    return 0;
}

/* Max-Forwards (RFC 3261 §20.22): 1*DIGIT, 0-255; leading zeros are fine (wsinv). */
int kr_sip_parse_maxfwd(struct kr_str v, unsigned *out, struct kr_err *err)
{
    v = nonnull(v);
    struct kr_str t = kr_str_trim(v);
    uint64_t n;

    if (t.len == 0) {
        return herr(err, v, t.ptr, "Max-Forwards: empty");
    }
    const char *q = scan_uint(t.ptr, t.ptr + t.len, 255, &n);
    if (q == NULL) {
        return herr(err, v, t.ptr,
                    kr_sip_is(t.ptr[0], KR_C_DIGIT) ? "Max-Forwards: above 255"
                                                    : "Max-Forwards: not a number");
    }
    if (q != t.ptr + t.len) {
        return herr(err, v, q, "Max-Forwards: not a number");
    }
    *out = (unsigned)n;
    return 0;
}

static int parse_bounded(struct kr_str v, uint64_t max, uint64_t *out, struct kr_err *err,
                         const char *empty, const char *nan, const char *big)
{
    v = nonnull(v);
    struct kr_str t = kr_str_trim(v);

    if (t.len == 0) {
        return herr(err, v, t.ptr, empty);
    }
    const char *q = scan_uint(t.ptr, t.ptr + t.len, max, out);
    if (q == NULL) {
        return herr(err, v, t.ptr, kr_sip_is(t.ptr[0], KR_C_DIGIT) ? big : nan);
    }
    if (q != t.ptr + t.len) {
        return herr(err, v, q, nan);
    }
    return 0;
}

int kr_sip_parse_expires(struct kr_str v, uint32_t *out, struct kr_err *err)
{
    uint64_t n;
    int rc = parse_bounded(v, UINT32_MAX, &n, err, "Expires: empty", "Expires: not a number",
                           "Expires: above 2^32-1");
    if (rc == 0) {
        *out = (uint32_t)n;
    }
    return rc;
}

/* Content-Length: 1*DIGIT up to 2^31-1 (whether the bytes are there is the caller's
 * question); a sign is not a digit (RFC 4475 ncl). */
int kr_sip_parse_clen(struct kr_str v, size_t *out, struct kr_err *err)
{
    uint64_t n;
    int rc = parse_bounded(v, INT32_MAX, &n, err, "Content-Length: empty",
                           "Content-Length: not a number", "Content-Length: above 2^31-1");
    if (rc == 0) {
        *out = (size_t)n;
    }
    return rc;
}

/* Strips the quotes of a quoted-string value (escapes stay raw). */
static struct kr_str unquote(struct kr_str s)
{
    if (s.len >= 2 && s.ptr[0] == '"') {
        return kr_str_make(s.ptr + 1, s.len - 2);
    }
    return s;
}

static struct kr_str *digest_field(struct kr_sip_auth *au, struct kr_str n)
{
    switch (kr_ascii_lower(n.len ? n.ptr[0] : '\0')) {
    case 'u':
        if (lit_is(n, "username", 8)) {
            return &au->username;
        }
        if (lit_is(n, "uri", 3)) {
            return &au->uri;
        }
        break;
    case 'r':
        if (lit_is(n, "realm", 5)) {
            return &au->realm;
        }
        if (lit_is(n, "response", 8)) {
            return &au->response;
        }
        break;
    case 'n':
        if (lit_is(n, "nonce", 5)) {
            return &au->nonce;
        }
        if (lit_is(n, "nc", 2)) {
            return &au->nc;
        }
        break;
    case 'a':
        if (lit_is(n, "algorithm", 9)) {
            return &au->algorithm;
        }
        break;
    case 'c':
        if (lit_is(n, "cnonce", 6)) {
            return &au->cnonce;
        }
        break;
    case 'o':
        if (lit_is(n, "opaque", 6)) {
            return &au->opaque;
        }
        break;
    case 'q':
        if (lit_is(n, "qop", 3)) {
            return &au->qop;
        }
        break;
    default:
        break;
    }
    return NULL;
}

/* token68 (RFC 7235 §2.1) for schemes other than Digest: 1*tchar *"=" and nothing else. */
static bool is_token68(const char *p, const char *end)
{
    const char *q = kr_sip_skip_cls(p, end, KR_C_TOK68);
    if (q == p) {
        return false;
    }
    while (q < end && *q == '=') {
        q++;
    }
    return kr_sip_skip_lws(q, end) == end;
}

int kr_sip_parse_auth(struct kr_str v, struct kr_sip_auth *au, struct kr_err *err)
{
    v = nonnull(v);
    const char *end = v.ptr + v.len;
    const char *p = kr_sip_skip_lws(v.ptr, end);

    memset(au, 0, sizeof(*au));
    const char *q = kr_sip_skip_cls(p, end, KR_C_TOKEN);
    if (q == p) {
        return herr(err, v, p, "credentials: bad scheme");
    }
    au->scheme = kr_str_make(p, (size_t)(q - p));
    bool digest = lit_is(au->scheme, "digest", 6);
    p = kr_sip_skip_lws(q, end);
    if (p == end) {
        return digest ? herr(err, v, p, "credentials: Digest without parameters") : 0;
    }
    if (p == q) {
        return herr(err, v, q, "credentials: expected whitespace after the scheme");
    }
    const char *params0 = p;
    const char *last = p;
    for (bool first = true;; first = false) {
        const char *why = NULL;
        const char *at = p;
        q = kr_sip_skip_cls(p, end, KR_C_TOKEN);
        struct kr_str name = kr_str_make(p, (size_t)(q - p));
        p = kr_sip_skip_lws(q, end);
        if (name.len == 0) {
            why = "credentials: empty parameter";
        } else if (p == end || *p != '=') {
            why = "credentials: expected '='";
        } else {
            p = kr_sip_skip_lws(p + 1, end);
            if (p < end && *p == '"') {
                q = kr_sip_scan_quoted(p, end);
                why = q ? NULL : "credentials: unterminated quoted string";
            } else {
                q = kr_sip_skip_cls(p, end, KR_C_TOKEN);
                why = q == p ? "credentials: empty parameter value" : NULL;
            }
        }
        if (why) {
            if (first && !digest && is_token68(params0, end)) {
                au->params = kr_str_trim(kr_str_make(params0, (size_t)(end - params0)));
                return 0;
            }
            return herr(err, v, at, why);
        }
        struct kr_str val = kr_str_make(p, (size_t)(q - p));
        last = q;
        struct kr_str *f = digest ? digest_field(au, name) : NULL;
        if (f) {
            if (f->ptr) {
                return herr(err, v, name.ptr, "credentials: duplicate parameter");
            }
            *f = unquote(val);
        }
        p = kr_sip_skip_lws(q, end);
        if (p == end) {
            break;
        }
        if (*p != ',') {
            return herr(err, v, p, "credentials: expected ','");
        }
        p = kr_sip_skip_lws(p + 1, end);
    }
    au->params = kr_str_make(params0, (size_t)(last - params0));
    return 0;
}
