/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SIP message indexing (RFC 3261 §7, §18.3, §20): one pass over the start line and the
 * header fields, recording slices into the caller's bytes; the index array comes from
 * the caller's arena. Also stream framing and name/method lookups. Any thread. */
#include "sip/msg.h"

#include <string.h>

#include "sip/lex.h"

#define S(lit)                                                                                     \
    {                                                                                              \
        "" lit, sizeof(lit) - 1                                                                    \
    }

static const struct kr_str hdr_names[KR_SIP_HDR__COUNT] = {
    [KR_SIP_HDR_OTHER] = S(""),
    [KR_SIP_HDR_VIA] = S("Via"),
    [KR_SIP_HDR_FROM] = S("From"),
    [KR_SIP_HDR_TO] = S("To"),
    [KR_SIP_HDR_CALL_ID] = S("Call-ID"),
    [KR_SIP_HDR_CSEQ] = S("CSeq"),
    [KR_SIP_HDR_CONTACT] = S("Contact"),
    [KR_SIP_HDR_ROUTE] = S("Route"),
    [KR_SIP_HDR_RECORD_ROUTE] = S("Record-Route"),
    [KR_SIP_HDR_CONTENT_LENGTH] = S("Content-Length"),
    [KR_SIP_HDR_CONTENT_TYPE] = S("Content-Type"),
    [KR_SIP_HDR_MAX_FORWARDS] = S("Max-Forwards"),
    [KR_SIP_HDR_EXPIRES] = S("Expires"),
    [KR_SIP_HDR_AUTHORIZATION] = S("Authorization"),
    [KR_SIP_HDR_PROXY_AUTHORIZATION] = S("Proxy-Authorization"),
    [KR_SIP_HDR_USER_AGENT] = S("User-Agent"),
    [KR_SIP_HDR_SERVER] = S("Server"),
    [KR_SIP_HDR_REQUIRE] = S("Require"),
    [KR_SIP_HDR_PROXY_REQUIRE] = S("Proxy-Require"),
    [KR_SIP_HDR_SUPPORTED] = S("Supported"),
    [KR_SIP_HDR_ALLOW] = S("Allow"),
    [KR_SIP_HDR_EVENT] = S("Event"),
    [KR_SIP_HDR_ACCEPT] = S("Accept"),
    [KR_SIP_HDR_CONTENT_ENCODING] = S("Content-Encoding"),
    [KR_SIP_HDR_SUBJECT] = S("Subject"),
    [KR_SIP_HDR_REFER_TO] = S("Refer-To"),
    [KR_SIP_HDR_WWW_AUTHENTICATE] = S("WWW-Authenticate"),
    [KR_SIP_HDR_PROXY_AUTHENTICATE] = S("Proxy-Authenticate"),
    [KR_SIP_HDR_DATE] = S("Date"),
};

/* Compact forms (RFC 3261 §7.3.3 and the IANA SIP header registry) of headers that have
 * no type of their own: they are matched by name in kr_sip_msg_hdr_by_name. */
static const struct {
    char c;
    struct kr_str name;
} other_compact[] = {
    { 'a', S("Accept-Contact") },  { 'b', S("Referred-By") },   { 'd', S("Request-Disposition") },
    { 'j', S("Reject-Contact") },  { 'n', S("Identity-Info") }, { 'u', S("Allow-Events") },
    { 'x', S("Session-Expires") }, { 'y', S("Identity") },
};

struct kr_str kr_sip_hdr_name(enum kr_sip_hdr_type t)
{
    if ((unsigned)t >= KR_SIP_HDR__COUNT) {
        return hdr_names[KR_SIP_HDR_OTHER];
    }
    return hdr_names[t];
}

#define IS(lit, type)                                                                              \
    do {                                                                                           \
        if (kr_sip_lceq(p, lit, sizeof(lit) - 1)) {                                                \
            return type;                                                                           \
        }                                                                                          \
    } while (0)

/* Dispatch on length, then first letter, then one compare: no hashing, no strlen. */
enum kr_sip_hdr_type kr_sip_hdr_type_of(struct kr_str name)
{
    const char *p = name.ptr;

    if (name.len == 0) {
        return KR_SIP_HDR_OTHER;
    }
    char c = kr_ascii_lower(p[0]);
    switch (name.len) {
    case 1:
        switch (c) {
        case 'v':
            return KR_SIP_HDR_VIA;
        case 'f':
            return KR_SIP_HDR_FROM;
        case 't':
            return KR_SIP_HDR_TO;
        case 'i':
            return KR_SIP_HDR_CALL_ID;
        case 'm':
            return KR_SIP_HDR_CONTACT;
        case 'l':
            return KR_SIP_HDR_CONTENT_LENGTH;
        case 'c':
            return KR_SIP_HDR_CONTENT_TYPE;
        case 'k':
            return KR_SIP_HDR_SUPPORTED;
        case 'o':
            return KR_SIP_HDR_EVENT;
        case 'e':
            return KR_SIP_HDR_CONTENT_ENCODING;
        case 's':
            return KR_SIP_HDR_SUBJECT;
        case 'r':
            return KR_SIP_HDR_REFER_TO;
        default:
            return KR_SIP_HDR_OTHER;
        }
    case 2:
        IS("to", KR_SIP_HDR_TO);
        break;
    case 3:
        IS("via", KR_SIP_HDR_VIA);
        break;
    case 4:
        if (c == 'f') {
            IS("from", KR_SIP_HDR_FROM);
        } else if (c == 'c') {
            IS("cseq", KR_SIP_HDR_CSEQ);
        } else if (c == 'd') {
            IS("date", KR_SIP_HDR_DATE);
        }
        break;
    case 5:
        if (c == 'r') {
            IS("route", KR_SIP_HDR_ROUTE);
        } else if (c == 'a') {
            IS("allow", KR_SIP_HDR_ALLOW);
        } else if (c == 'e') {
            IS("event", KR_SIP_HDR_EVENT);
        }
        break;
    case 6:
        if (c == 's') {
            IS("server", KR_SIP_HDR_SERVER);
        } else if (c == 'a') {
            IS("accept", KR_SIP_HDR_ACCEPT);
        }
        break;
    case 7:
        if (c == 'c') {
            IS("call-id", KR_SIP_HDR_CALL_ID);
            IS("contact", KR_SIP_HDR_CONTACT);
        } else if (c == 'e') {
            IS("expires", KR_SIP_HDR_EXPIRES);
        } else if (c == 'r') {
            IS("require", KR_SIP_HDR_REQUIRE);
        } else if (c == 's') {
            IS("subject", KR_SIP_HDR_SUBJECT);
        }
        break;
    case 8:
        IS("refer-to", KR_SIP_HDR_REFER_TO);
        break;
    case 9:
        IS("supported", KR_SIP_HDR_SUPPORTED);
        break;
    case 10:
        IS("user-agent", KR_SIP_HDR_USER_AGENT);
        break;
    case 12:
        if (c == 'r') {
            IS("record-route", KR_SIP_HDR_RECORD_ROUTE);
        } else if (c == 'c') {
            IS("content-type", KR_SIP_HDR_CONTENT_TYPE);
        } else if (c == 'm') {
            IS("max-forwards", KR_SIP_HDR_MAX_FORWARDS);
        }
        break;
    case 13:
        if (c == 'a') {
            IS("authorization", KR_SIP_HDR_AUTHORIZATION);
        } else if (c == 'p') {
            IS("proxy-require", KR_SIP_HDR_PROXY_REQUIRE);
        }
        break;
    case 14:
        IS("content-length", KR_SIP_HDR_CONTENT_LENGTH);
        break;
    case 16:
        if (c == 'c') {
            IS("content-encoding", KR_SIP_HDR_CONTENT_ENCODING);
        } else if (c == 'w') {
            IS("www-authenticate", KR_SIP_HDR_WWW_AUTHENTICATE);
        }
        break;
    case 18:
        IS("proxy-authenticate", KR_SIP_HDR_PROXY_AUTHENTICATE);
        break;
    case 19:
        IS("proxy-authorization", KR_SIP_HDR_PROXY_AUTHORIZATION);
        break;
    default:
        break;
    }
    return KR_SIP_HDR_OTHER;
}

#undef IS

/* Methods are case-sensitive (RFC 3261 §7.1). */
enum kr_sip_method kr_sip_method_id(struct kr_str m)
{
#define M(lit, id)                                                                                 \
    do {                                                                                           \
        if (memcmp(m.ptr, lit, sizeof(lit) - 1) == 0) {                                            \
            return id;                                                                             \
        }                                                                                          \
    } while (0)
    switch (m.len) {
    case 3:
        M("ACK", KR_SIP_METHOD_ACK);
        M("BYE", KR_SIP_METHOD_BYE);
        break;
    case 4:
        M("INFO", KR_SIP_METHOD_INFO);
        break;
    case 5:
        M("PRACK", KR_SIP_METHOD_PRACK);
        M("REFER", KR_SIP_METHOD_REFER);
        break;
    case 6:
        M("INVITE", KR_SIP_METHOD_INVITE);
        M("CANCEL", KR_SIP_METHOD_CANCEL);
        M("UPDATE", KR_SIP_METHOD_UPDATE);
        M("NOTIFY", KR_SIP_METHOD_NOTIFY);
        break;
    case 7:
        M("OPTIONS", KR_SIP_METHOD_OPTIONS);
        M("PUBLISH", KR_SIP_METHOD_PUBLISH);
        M("MESSAGE", KR_SIP_METHOD_MESSAGE);
        break;
    case 8:
        M("REGISTER", KR_SIP_METHOD_REGISTER);
        break;
    case 9:
        M("SUBSCRIBE", KR_SIP_METHOD_SUBSCRIBE);
        break;
    default:
        break;
    }
#undef M
    return KR_SIP_METHOD_OTHER;
}

const struct kr_sip_hdr *kr_sip_msg_hdr(const struct kr_sip_msg *msg, enum kr_sip_hdr_type t,
                                        size_t n)
{
    if ((unsigned)t >= KR_SIP_HDR__COUNT || msg->first[t] < 0) {
        return NULL;
    }
    for (size_t i = (size_t)msg->first[t]; i < msg->nhdrs; i++) {
        if (msg->hdrs[i].type == t) {
            if (n == 0) {
                return &msg->hdrs[i];
            }
            n--;
        }
    }
    return NULL;
}

/* The other name (long or compact) of a header that has no type, or an empty slice. */
static struct kr_str other_alias(struct kr_str name)
{
    for (size_t i = 0; i < sizeof(other_compact) / sizeof(other_compact[0]); i++) {
        if (name.len == 1 && kr_ascii_lower(name.ptr[0]) == other_compact[i].c) {
            return other_compact[i].name;
        }
        if (kr_str_caseeq(name, other_compact[i].name)) {
            return kr_str_make(&other_compact[i].c, 1);
        }
    }
    return kr_str_make(NULL, 0);
}

static bool hdr_matches(const struct kr_sip_hdr *h, enum kr_sip_hdr_type t, struct kr_str name,
                        struct kr_str alias)
{
    if (t != KR_SIP_HDR_OTHER) {
        return h->type == t;
    }
    return h->type == KR_SIP_HDR_OTHER &&
           (kr_str_caseeq(h->name, name) || (alias.len && kr_str_caseeq(h->name, alias)));
}

const struct kr_sip_hdr *kr_sip_msg_hdr_by_name(const struct kr_sip_msg *msg, struct kr_str name,
                                                long n)
{
    enum kr_sip_hdr_type t = kr_sip_hdr_type_of(name);
    struct kr_str alias = t == KR_SIP_HDR_OTHER ? other_alias(name) : kr_str_make(NULL, 0);

    if (n >= 0) {
        for (size_t i = 0; i < msg->nhdrs; i++) {
            if (hdr_matches(&msg->hdrs[i], t, name, alias)) {
                if (n == 0) {
                    return &msg->hdrs[i];
                }
                n--;
            }
        }
        return NULL;
    }
    for (size_t i = msg->nhdrs; i > 0; i--) {
        if (hdr_matches(&msg->hdrs[i - 1], t, name, alias)) {
            if (n == -1) {
                return &msg->hdrs[i - 1];
            }
            n++;
        }
    }
    return NULL;
}

/* A SIP version: "SIP/" (any case) and a token; whether it is 2.0 is the next question
 * (505 rather than 400 for "SIP/3.0" or "SIP/2"). Anything else is not SIP: 400. */
static bool version_shape(const char *p, size_t n)
{
    return n > 4 && kr_sip_lceq(p, "sip/", 4) && kr_sip_skip_cls(p + 4, p + n, KR_C_TOKEN) == p + n;
}

static bool version_is_20(struct kr_str v)
{
    return v.len == 7 && kr_sip_lceq(v.ptr, "sip/2.0", 7);
}

static int perr(struct kr_err *err, const char *base, const char *at, const char *why)
{
    return kr_err_set(err, KR_EPARSE, (size_t)(at - base), why);
}

/* Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP between elements
 * and none at the end (RFC 4475 lwsstart and trws are rejected). */
static int parse_request_line(const char *b, const char *p, const char *le, struct kr_sip_msg *msg,
                              bool *vbad, struct kr_err *err)
{
    const char *q = kr_sip_skip_cls(p, le, KR_C_TOKEN);
    if (q == p || q == le || *q != ' ') {
        return perr(err, b, q, "bad method in Request-Line");
    }
    msg->method = kr_str_make(p, (size_t)(q - p));
    msg->method_id = kr_sip_method_id(msg->method);
    p = q + 1;
    if (p < le && (*p == ' ' || *p == '\t')) {
        return perr(err, b, p, "extra whitespace in Request-Line");
    }
    /* One pass to the first control character, SP or DEL: it must be the SP before the
     * version (the R-URI is checked up to the first SP). */
    q = p;
    while (q < le && (unsigned char)*q > 0x20 && *q != 0x7f) {
        q++;
    }
    if (q == le || *q != ' ') {
        const char *sp = memchr(q, ' ', (size_t)(le - q));
        if (sp == NULL) {
            return perr(err, b, le, "Request-Line without SIP-Version");
        }
        return perr(err, b, q, "bad character in Request-URI");
    }
    if (q == p) {
        return perr(err, b, p, "empty Request-URI");
    }
    msg->ruri = kr_str_make(p, (size_t)(q - p));
    p = q + 1;
    msg->version = kr_str_make(p, (size_t)(le - p));
    if (!version_shape(p, msg->version.len)) {
        /* a token holds no SP or HTAB: find out which error it is */
        for (const char *c = p; c < le; c++) {
            if (*c == ' ' || *c == '\t') {
                return perr(err, b, c, "extra whitespace in Request-Line");
            }
        }
        return perr(err, b, p, "bad SIP-Version");
    }
    *vbad = !version_is_20(msg->version);
    return 0;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; Status-Code is 3 digits,
 * 100-699 (RFC 4475 bigcode is rejected). A missing SP before an empty phrase is
 * tolerated. */
static int parse_status_line(const char *b, const char *p, const char *le, struct kr_sip_msg *msg,
                             bool *vbad, struct kr_err *err)
{
    const char *q = memchr(p, ' ', (size_t)(le - p));
    if (q == NULL) {
        return perr(err, b, le, "bad Status-Line");
    }
    msg->version = kr_str_make(p, (size_t)(q - p));
    if (!version_shape(p, msg->version.len)) {
        return perr(err, b, p, "bad SIP-Version");
    }
    *vbad = !version_is_20(msg->version);
    p = q + 1;
    if (le - p < 3 || !kr_sip_is(p[0], KR_C_DIGIT) || !kr_sip_is(p[1], KR_C_DIGIT) ||
        !kr_sip_is(p[2], KR_C_DIGIT) || (le - p > 3 && p[3] != ' ')) {
        return perr(err, b, p, "bad Status-Code");
    }
    unsigned code = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    if (code < 100 || code > 699) {
        return perr(err, b, p, "Status-Code out of range");
    }
    msg->status = code;
    p += 3;
    if (p < le) {
        p++;
    }
    msg->reason = kr_str_make(p, (size_t)(le - p));
    for (const char *c = p; c < le; c++) {
        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
            return perr(err, b, c, "bad character in Reason-Phrase");
        }
    }
    return 0;
}

/* A slot for one more header (filled in place: building it elsewhere and copying it
 * costs store-forwarding stalls on the hot path). NULL with *rc set when full. */
static struct kr_sip_hdr *next_hdr(struct kr_arena *a, struct kr_sip_msg *msg, size_t *cap, int *rc)
{
    if (msg->nhdrs == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        if (ncap > KR_SIP_MAX_HEADERS) {
            ncap = KR_SIP_MAX_HEADERS;
        }
        if (msg->nhdrs >= ncap) {
            *rc = KR_ELIMIT;
            return NULL;
        }
        struct kr_sip_hdr *v = kr_arena_alloc(a, ncap * sizeof(*v));
        if (v == NULL) {
            *rc = KR_ENOMEM;
            return NULL;
        }
        if (msg->nhdrs) {
            memcpy(v, msg->hdrs, msg->nhdrs * sizeof(*v));
        }
        msg->hdrs = v;
        *cap = ncap;
    }
    return &msg->hdrs[msg->nhdrs];
}

static inline bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

struct kr_sip_parsed {
    bool via1_done, from_done, to_done, cseq_done;
    bool cl_ok;    /* every Content-Length parsed, all to clen */
    uint32_t dups; /* bit t: more than one header of type t */
    size_t clen;
    int via1_rc, from_rc, to_rc, cseq_rc;
    struct kr_sip_via via1;
    struct kr_str via1_rest;
    struct kr_sip_nameaddr from, to;
    struct kr_str from_rest, to_rest;
    struct kr_sip_cseq cseq;
};

_Static_assert(KR_SIP_HDR__COUNT <= 32, "dups is a 32-bit mask");

/* The results are parsed straight into the cache (no copy); without one into *tmp. */
int kr_sip_msg_via1_ref(const struct kr_sip_msg *msg, struct kr_sip_via *tmp,
                        const struct kr_sip_via **via, struct kr_str *rest)
{
    struct kr_sip_parsed *c = msg->parsed;
    struct kr_sip_via *v = c ? &c->via1 : tmp;
    struct kr_str r = KR_STR_NULL;
    int rc;

    if (c && c->via1_done) {
        r = c->via1_rest;
        rc = c->via1_rc;
    } else {
        struct kr_err e = { 0 };
        const struct kr_sip_hdr *h = kr_sip_msg_hdr_first(msg, KR_SIP_HDR_VIA);
        if (h) {
            rc = kr_sip_parse_via(h->value, v, &r, &e);
        } else {
            rc = KR_ENOTFOUND;
            memset(v, 0, sizeof(*v));
        }
        if (c) {
            c->via1_done = true;
            c->via1_rc = rc;
            c->via1_rest = r;
        }
    }
    *via = v;
    if (rest) {
        *rest = r;
    }
    return rc;
}

int kr_sip_msg_via1(const struct kr_sip_msg *msg, struct kr_sip_via *via, struct kr_str *rest)
{
    struct kr_sip_via tmp;
    const struct kr_sip_via *v;
    int rc = kr_sip_msg_via1_ref(msg, &tmp, &v, rest);

    if (rc == 0) {
        *via = *v;
    }
    return rc;
}

static int nameaddr_ref(const struct kr_sip_msg *msg, enum kr_sip_hdr_type t,
                        struct kr_sip_nameaddr *tmp, const struct kr_sip_nameaddr **na,
                        struct kr_str *rest)
{
    struct kr_sip_parsed *c = msg->parsed;
    bool *done = NULL;
    int *crc = NULL;
    struct kr_str *crest = NULL;
    struct kr_sip_nameaddr *v = tmp;
    struct kr_str r = KR_STR_NULL;
    int rc;

    if (c) {
        bool from = t == KR_SIP_HDR_FROM;
        done = from ? &c->from_done : &c->to_done;
        crc = from ? &c->from_rc : &c->to_rc;
        crest = from ? &c->from_rest : &c->to_rest;
        v = from ? &c->from : &c->to;
    }
    if (done && *done) {
        rc = *crc;
        r = *crest;
    } else {
        struct kr_err e = { 0 };
        const struct kr_sip_hdr *h = kr_sip_msg_hdr_first(msg, t);
        if (h) {
            rc = kr_sip_parse_nameaddr(h->value, v, &r, &e);
        } else {
            rc = KR_ENOTFOUND;
            memset(v, 0, sizeof(*v));
        }
        if (done) {
            *done = true;
            *crc = rc;
            *crest = r;
        }
    }
    *na = v;
    if (rest) {
        *rest = r;
    }
    return rc;
}

int kr_sip_msg_from_ref(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *tmp,
                        const struct kr_sip_nameaddr **na, struct kr_str *rest)
{
    return nameaddr_ref(msg, KR_SIP_HDR_FROM, tmp, na, rest);
}

int kr_sip_msg_to_ref(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *tmp,
                      const struct kr_sip_nameaddr **na, struct kr_str *rest)
{
    return nameaddr_ref(msg, KR_SIP_HDR_TO, tmp, na, rest);
}

int kr_sip_msg_from(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *na, struct kr_str *rest)
{
    struct kr_sip_nameaddr tmp;
    const struct kr_sip_nameaddr *v;
    int rc = nameaddr_ref(msg, KR_SIP_HDR_FROM, &tmp, &v, rest);

    if (rc == 0) {
        *na = *v;
    }
    return rc;
}

int kr_sip_msg_to(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *na, struct kr_str *rest)
{
    struct kr_sip_nameaddr tmp;
    const struct kr_sip_nameaddr *v;
    int rc = nameaddr_ref(msg, KR_SIP_HDR_TO, &tmp, &v, rest);

    if (rc == 0) {
        *na = *v;
    }
    return rc;
}

int kr_sip_msg_cseq(const struct kr_sip_msg *msg, struct kr_sip_cseq *cs)
{
    struct kr_sip_parsed *c = msg->parsed;
    struct kr_sip_cseq v;
    struct kr_sip_cseq *dst = c ? &c->cseq : &v;
    int rc;

    if (c && c->cseq_done) {
        rc = c->cseq_rc;
    } else {
        struct kr_err e = { 0 };
        const struct kr_sip_hdr *h = kr_sip_msg_hdr_first(msg, KR_SIP_HDR_CSEQ);
        rc = h ? kr_sip_parse_cseq(h->value, dst, &e) : KR_ENOTFOUND;
        if (c) {
            c->cseq_done = true;
            c->cseq_rc = rc;
        }
    }
    if (rc == 0) {
        *cs = *dst;
    }
    return rc;
}

uint32_t kr_sip_msg_dups(const struct kr_sip_msg *msg)
{
    if (msg->parsed) {
        return msg->parsed->dups;
    }
    uint32_t seen = 0;
    uint32_t dups = 0;
    for (size_t i = 0; i < msg->nhdrs; i++) {
        uint32_t bit = 1u << msg->hdrs[i].type;
        dups |= seen & bit;
        seen |= bit;
    }
    return dups;
}

int kr_sip_msg_clen(const struct kr_sip_msg *msg, size_t *out)
{
    if (msg->first[KR_SIP_HDR_CONTENT_LENGTH] < 0) {
        return KR_ENOTFOUND;
    }
    if (msg->parsed && msg->parsed->cl_ok) {
        *out = msg->parsed->clen;
        return 0;
    }
    bool have = false;
    size_t v = 0;
    for (size_t k = 0;; k++) {
        const struct kr_sip_hdr *h = kr_sip_msg_hdr(msg, KR_SIP_HDR_CONTENT_LENGTH, k);
        size_t cl;
        struct kr_err cerr = { 0 };
        if (h == NULL) {
            break;
        }
        if (kr_sip_parse_clen(h->value, &cl, &cerr) < 0 || (have && cl != v)) {
            return KR_EPARSE;
        }
        have = true;
        v = cl;
    }
    *out = v;
    return 0;
}

int kr_sip_msg_parse(const char *data, size_t len, struct kr_arena *a, struct kr_sip_msg *msg,
                     struct kr_err *err)
{
    const char *p = data;
    const char *end = data + len;
    int rc = 0;
    bool vbad = false;
    size_t cap = 0;
    bool have_cl = false;
    bool cl_bad = false;
    size_t clen = 0;

    memset(msg, 0, sizeof(*msg));
    memset(msg->first, 0xff, sizeof(msg->first)); /* -1: none */
    /* Not zeroed as a whole: the results are written when their flag is first set. */
    struct kr_sip_parsed *cache = kr_arena_alloc(a, sizeof(*msg->parsed));
    if (cache == NULL) {
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    cache->via1_done = cache->from_done = cache->to_done = cache->cseq_done = false;
    cache->cl_ok = false;
    cache->dups = 0;
    msg->parsed = cache;
    if (len == 0) {
        return kr_err_set(err, KR_EPARSE, 0, "empty message");
    }
    /* RFC 3261 §7.5: CRLFs before the start line are ignored. */
    while (p < end && (*p == '\r' || *p == '\n')) {
        p++;
    }
    const char *b = p;
    msg->buf = kr_str_make(b, (size_t)(end - b));
    if (p == end) {
        return perr(err, data, p, "empty message");
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL) {
        return perr(err, b, end, "start line without end");
    }
    const char *le = (eol > p && eol[-1] == '\r') ? eol - 1 : eol;
    msg->start_line = kr_str_make(p, (size_t)(le - p));
    msg->is_request = !(le - p >= 4 && kr_sip_lceq(p, "sip/", 4));
    if (msg->is_request) {
        rc = parse_request_line(b, p, le, msg, &vbad, err);
    } else {
        rc = parse_status_line(b, p, le, msg, &vbad, err);
    }

    /* Header fields. Errors that leave the structure readable are noted and indexing
     * goes on, so that a 400 can still copy Via, From, To, Call-ID and CSeq. */
    p = eol + 1;
    const char *hstart = p;
    bool ended = false;
    for (;;) {
        if (p >= end) {
            rc = rc ? rc : perr(err, b, p, "no empty line after the header fields");
            msg->headers = kr_str_make(hstart, (size_t)(p - hstart));
            return rc;
        }
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            p += *p == '\n' ? 1 : 2;
            ended = true;
            break;
        }
        if (is_wsp(*p)) {
            rc = rc ? rc : perr(err, b, p, "continuation line without a header field");
            break;
        }
        const char *n0 = p;
        p = kr_sip_skip_cls(p, end, KR_C_TOKEN);
        const char *n1 = p;
        while (p < end && is_wsp(*p)) {
            p++;
        }
        if (n1 == n0 || p == end || *p != ':') {
            rc = rc ? rc : perr(err, b, n0, n1 == n0 ? "bad header name" : "header without ':'");
            break;
        }
        p++;
        /* Leading LWS, including a fold right after the colon ("Route:" CRLF SP <...>);
         * the common ": value" needs no loop. */
        if (p < end && *p == ' ') {
            p++;
        }
        while (p < end && kr_sip_is(*p, KR_C_WS)) {
            while (p < end && is_wsp(*p)) {
                p++;
            }
            const char *f = (p < end && *p == '\r') ? p + 1 : p;
            if (f + 1 < end && *f == '\n' && is_wsp(f[1])) {
                p = f + 1;
                continue;
            }
            break;
        }
        const char *v0 = p;
        const char *lf;
        for (;;) {
            lf = memchr(p, '\n', (size_t)(end - p));
            if (lf == NULL) {
                rc = rc ? rc : perr(err, b, n0, "header field without end of line");
                break;
            }
            if (lf + 1 < end && is_wsp(lf[1])) {
                p = lf + 1;
                continue;
            }
            break;
        }
        if (lf == NULL) {
            break;
        }
        /* A CR not ending a line would end one for some downstream parser: a header we
         * never indexed could be smuggled through (RFC 3261 allows CR only in CRLF). */
        const char *cr = n0;
        while ((cr = memchr(cr, '\r', (size_t)(lf - cr))) != NULL && cr[1] == '\n') {
            if (cr + 1 == lf) {
                cr = NULL;
                break;
            }
            cr += 2; /* a fold */
        }
        if (cr != NULL) {
            rc = rc ? rc : perr(err, b, cr, "bare CR in header field");
            break;
        }
        const char *v1 = lf;
        while (v1 > v0 && kr_sip_is(v1[-1], KR_C_WS)) { /* SP, HTAB, CR, LF */
            v1--;
        }
        int prc = 0;
        struct kr_sip_hdr *h = next_hdr(a, msg, &cap, &prc);
        if (h == NULL) {
            msg->headers = kr_str_make(hstart, (size_t)(n0 - hstart));
            if (prc == KR_ELIMIT) {
                return kr_err_set(err, KR_ELIMIT, (size_t)(n0 - b), "too many header fields");
            }
            return kr_err_set(err, KR_ENOMEM, (size_t)(n0 - b), "out of memory");
        }
        h->name = kr_str_make(n0, (size_t)(n1 - n0));
        h->value = kr_str_make(v0, (size_t)(v1 - v0));
        h->raw = kr_str_make(n0, (size_t)(lf + 1 - n0));
        h->type = kr_sip_hdr_type_of(h->name);
        if (msg->first[h->type] < 0) {
            msg->first[h->type] = (int)msg->nhdrs;
        } else {
            cache->dups |= 1u << h->type;
        }
        msg->nhdrs++;
        if (h->type == KR_SIP_HDR_CONTENT_LENGTH) {
            size_t v = 0;
            struct kr_err cerr = { 0 };
            if (kr_sip_parse_clen(h->value, &v, &cerr) < 0) {
                cl_bad = true;
                rc = rc ? rc : perr(err, b, v0, "bad Content-Length");
            } else if (have_cl && v != clen) {
                cl_bad = true;
                rc = rc ? rc : perr(err, b, v0, "multiple different Content-Length values");
            } else {
                have_cl = true;
                clen = v;
            }
        }
        p = lf + 1;
    }
    msg->headers = kr_str_make(hstart, (size_t)(p - hstart));
    if (!ended) {
        /* broken structure: the rest is not a body we can delimit */
        msg->body = kr_str_make(end, 0);
        return rc;
    }
    size_t avail = (size_t)(end - p);
    if (have_cl && !cl_bad) {
        cache->cl_ok = true;
        cache->clen = clen;
        if (clen > avail) {
            msg->body = kr_str_make(p, avail);
            return rc ? rc : perr(err, b, p, "Content-Length larger than message");
        }
        avail = clen;
    }
    msg->body = kr_str_make(p, avail);
    msg->buf = kr_str_make(b, (size_t)(p + avail - b));
    if (msg->buf.len > KR_SIP_MAX_MSG && rc == 0) {
        return kr_err_set(err, KR_ELIMIT, KR_SIP_MAX_MSG, "message too large");
    }
    if (rc == 0 && vbad) {
        return kr_err_set(err, KR_EVERSION, (size_t)(msg->version.ptr - b),
                          "unsupported SIP version");
    }
    return rc;
}

int kr_sip_frame(const char *data, size_t len, size_t max_len, bool require_cl, size_t *skip,
                 size_t *msg_len, struct kr_err *err)
{
    struct kr_sip_frame_state st = { 0 };
    return kr_sip_frame_resume(data, len, max_len, require_cl, &st, skip, msg_len, err);
}

int kr_sip_frame_resume(const char *data, size_t len, size_t max_len, bool require_cl,
                        struct kr_sip_frame_state *st, size_t *skip, size_t *msg_len,
                        struct kr_err *err)
{
    size_t s = 0;

    while (s < len && (data[s] == '\r' || data[s] == '\n')) {
        s++;
    }
    *skip = s;
    *msg_len = 0;
    if (s == len) {
        return KR_EAGAIN;
    }
    const char *p = data + s;
    const char *end = data + len;
    if (st->total) {
        if ((size_t)(end - p) < st->total) {
            return KR_EAGAIN;
        }
        *msg_len = st->total;
        return 0;
    }
    const char *hend = NULL; /* first byte after the empty line */
    /* resume a little before where the last search stopped: "\n\r\n" may straddle it */
    const char *q =
        p + (st->scanned > 3 && st->scanned - 3 < (size_t)(end - p) ? st->scanned - 3 : 0);
    while (q < end) {
        const char *lf = memchr(q, '\n', (size_t)(end - q));
        if (lf == NULL || lf + 1 == end) {
            break;
        }
        if (lf[1] == '\n') {
            hend = lf + 2;
            break;
        }
        if (lf[1] == '\r') {
            if (lf + 2 == end) {
                break;
            }
            if (lf[2] == '\n') {
                hend = lf + 3;
                break;
            }
        }
        q = lf + 1;
    }
    if (hend == NULL) {
        st->scanned = (size_t)(end - p);
        if ((size_t)(end - p) > max_len) {
            return kr_err_set(err, KR_EPARSE, max_len, "header part too large");
        }
        return KR_EAGAIN;
    }
    if ((size_t)(hend - p) > max_len) {
        return kr_err_set(err, KR_EPARSE, max_len, "header part too large");
    }
    /* Content-Length among the header fields (long or compact name, folds allowed). */
    bool have_cl = false;
    size_t clen = 0;
    const char *ls = memchr(p, '\n', (size_t)(hend - p)) + 1;
    while (ls < hend) {
        const char *lf = memchr(ls, '\n', (size_t)(hend - ls));
        while (lf + 1 < hend && is_wsp(lf[1])) {
            lf = memchr(lf + 1, '\n', (size_t)(hend - lf - 1));
        }
        const char *n1 = kr_sip_skip_cls(ls, lf, KR_C_TOKEN);
        size_t nl = (size_t)(n1 - ls);
        if ((nl == 1 && (*ls == 'l' || *ls == 'L')) ||
            (nl == 14 && kr_sip_lceq(ls, "content-length", 14))) {
            const char *c = n1;
            while (c < lf && is_wsp(*c)) {
                c++;
            }
            size_t v = 0;
            struct kr_err cerr = { 0 };
            if (c == lf || *c != ':' ||
                kr_sip_parse_clen(kr_str_make(c + 1, (size_t)(lf - c - 1)), &v, &cerr) < 0) {
                return kr_err_set(err, KR_EPARSE, (size_t)(ls - data), "bad Content-Length");
            }
            if (have_cl && v != clen) {
                return kr_err_set(err, KR_EPARSE, (size_t)(ls - data),
                                  "multiple different Content-Length values");
            }
            have_cl = true;
            clen = v;
        }
        ls = lf + 1;
    }
    if (!have_cl && require_cl) {
        return kr_err_set(err, KR_EPARSE, (size_t)(hend - data), "missing Content-Length");
    }
    size_t total = (size_t)(hend - p) + clen;
    if (total > max_len) {
        return kr_err_set(err, KR_ELIMIT, (size_t)(hend - data), "message too large");
    }
    st->total = total;
    if ((size_t)(end - p) < total) {
        return KR_EAGAIN;
    }
    *msg_len = total;
    return 0;
}
