/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Request checks of RFC 3261 §8.2 / §16.3 and RFC 4475; see check.h. Each check is its
 * own function returning 0 or a status code; the reason phrase is a static string.
 * Reads the message only; any thread. */
#include "sip/check.h"

#include <string.h>

#include "sip/lex.h"

/* The check's finding is the answer, so it replaces whatever err held. */
static unsigned answer(struct kr_err *err, unsigned code, const char *reason)
{
    if (err) {
        err->reason = reason;
        err->off = 0;
    }
    return code;
}

static unsigned bad(struct kr_err *err, const char *reason)
{
    return answer(err, 400, reason);
}

static unsigned check_ruri_version(const struct kr_sip_msg *msg, struct kr_err *err)
{
    if (msg->version.len == 7 && kr_sip_lceq(msg->version.ptr, "sip/2.0", 7)) {
        return 0;
    }
    return answer(err, 505, "Version Not Supported");
}

static unsigned check_required(const struct kr_sip_msg *msg, struct kr_err *err)
{
    static const struct {
        enum kr_sip_hdr_type t;
        const char *reason;
    } req[] = {
        { KR_SIP_HDR_TO, "Bad Request - Missing To header" },
        { KR_SIP_HDR_FROM, "Bad Request - Missing From header" },
        { KR_SIP_HDR_CALL_ID, "Bad Request - Missing Call-ID header" },
        { KR_SIP_HDR_CSEQ, "Bad Request - Missing CSeq header" },
        { KR_SIP_HDR_VIA, "Bad Request - Missing Via header" },
    };
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
        if (msg->first[req[i].t] < 0) {
            return bad(err, req[i].reason);
        }
    }
    return 0;
}

/* RFC 4475 multi01: these may appear once only (duplicates noted while indexing). */
static unsigned check_single(const struct kr_sip_msg *msg, struct kr_err *err)
{
    static const struct {
        enum kr_sip_hdr_type t;
        const char *reason;
    } one[] = {
        { KR_SIP_HDR_TO, "Bad Request - Multiple To headers" },
        { KR_SIP_HDR_FROM, "Bad Request - Multiple From headers" },
        { KR_SIP_HDR_CALL_ID, "Bad Request - Multiple Call-ID headers" },
        { KR_SIP_HDR_CSEQ, "Bad Request - Multiple CSeq headers" },
        { KR_SIP_HDR_MAX_FORWARDS, "Bad Request - Multiple Max-Forwards headers" },
        { KR_SIP_HDR_CONTENT_LENGTH, "Bad Request - Multiple Content-Length headers" },
    };
    uint32_t dups = kr_sip_msg_dups(msg);
    if (dups == 0) {
        return 0;
    }
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        if (dups & (1u << one[i].t)) {
            return bad(err, one[i].reason);
        }
    }
    return 0;
}

/* Every via-parm of every Via header (RFC 4475 badinv01); with want_version also
 * SIP/2.0 in each, with want_proto a known transport in the top one. */
static unsigned check_vias(const struct kr_sip_msg *msg, bool want_parse, bool want_version,
                           bool want_proto, struct kr_err *err)
{
    bool top = true;
    int first = msg->first[KR_SIP_HDR_VIA];
    bool one = !(kr_sip_msg_dups(msg) & (1u << KR_SIP_HDR_VIA));

    if (first < 0) {
        return 0;
    }
    for (size_t i = (size_t)first; i < msg->nhdrs; i++) {
        if (msg->hdrs[i].type != KR_SIP_HDR_VIA) {
            continue;
        }
        struct kr_str rest = msg->hdrs[i].value;
        do {
            struct kr_sip_via tmp;
            const struct kr_sip_via *via = &tmp;
            struct kr_err verr = { 0 };
            /* The top one through the message's cache: later stages need it too. */
            int vrc = top ? kr_sip_msg_via1_ref(msg, &tmp, &via, &rest)
                          : kr_sip_parse_via(rest, &tmp, &rest, &verr);
            if (vrc < 0) {
                if (want_parse) {
                    return bad(err, "Bad Request - Bad Via header");
                }
                break;
            }
            if (want_version &&
                (!(via->proto_name.len == 3 && kr_sip_lceq(via->proto_name.ptr, "sip", 3)) ||
                 !(via->proto_ver.len == 3 && memcmp(via->proto_ver.ptr, "2.0", 3) == 0))) {
                return bad(err, "Bad Request - Via is not SIP/2.0");
            }
            if (want_proto && top && via->proto == KR_PROTO_OTHER) {
                return bad(err, "Bad Request - Unknown transport in Via");
            }
            top = false;
        } while (rest.len);
        if (one) {
            break;
        }
    }
    return 0;
}

static unsigned check_cseq(const struct kr_sip_msg *msg, bool value, bool method,
                           struct kr_err *err)
{
    struct kr_sip_cseq cs;
    int rc = kr_sip_msg_cseq(msg, &cs);

    if (rc == KR_ENOTFOUND) {
        return 0;
    }
    if (rc < 0) {
        return value || method ? bad(err, "Bad Request - Bad CSeq header") : 0;
    }
    if (method &&
        !(cs.method.len == msg->method.len &&
          (cs.method.len == 0 || memcmp(cs.method.ptr, msg->method.ptr, cs.method.len) == 0))) {
        return bad(err, "Bad Request - CSeq method does not match");
    }
    return 0;
}

static unsigned check_maxfwd(const struct kr_sip_msg *msg, struct kr_err *err)
{
    const struct kr_sip_hdr *h = kr_sip_msg_hdr_first(msg, KR_SIP_HDR_MAX_FORWARDS);
    unsigned mf;
    struct kr_err merr = { 0 };

    if (h && kr_sip_parse_maxfwd(h->value, &mf, &merr) < 0) {
        return bad(err, "Bad Request - Bad Max-Forwards header");
    }
    return 0;
}

static unsigned check_expires(const struct kr_sip_msg *msg, struct kr_err *err)
{
    for (size_t k = 0;; k++) {
        const struct kr_sip_hdr *h = kr_sip_msg_hdr(msg, KR_SIP_HDR_EXPIRES, k);
        struct kr_err xerr = { 0 };
        uint32_t x;
        if (h == NULL) {
            return 0;
        }
        if (kr_sip_parse_expires(h->value, &x, &xerr) < 0) {
            return bad(err, "Bad Request - Bad Expires header");
        }
    }
}

/* A URI in From/To/Contact of a scheme we know must parse; others are opaque (RFC 4475
 * unksm2). */
static bool uri_ok(struct kr_str s)
{
    struct kr_sip_uri u;
    struct kr_err uerr = { 0 };

    return kr_sip_uri_parse(s, &u, &uerr) == 0 ||
           kr_str_eq(kr_str_c(uerr.reason), KR_STR("unsupported URI scheme"));
}

/* At most one tag parameter. */
static bool tags_ok(struct kr_str params)
{
    struct kr_str n;
    struct kr_str v;
    size_t k = 0;

    while (kr_sip_params_next(&params, &n, &v)) {
        if (kr_str_caseeq(n, KR_STR("tag")) && ++k > 1) {
            return false;
        }
    }
    return true;
}

/* expires= of a Contact below 2^32 (RFC 4475 scalar02). */
static bool contact_expires_ok(const struct kr_sip_nameaddr *na)
{
    struct kr_str v;
    uint32_t x;
    struct kr_err xerr = { 0 };

    return !kr_sip_param_find(na->params, KR_STR("expires"), &v) ||
           kr_sip_parse_expires(v, &x, &xerr) == 0;
}

/* From and To, each parsed once: one name-addr (KR_SIP_CHECK_NAMEADDR), a URI that parses
 * (KR_SIP_CHECK_PARSE_URI), one tag (KR_SIP_CHECK_DUP_TO_TAG). */
static unsigned check_from_to(const struct kr_sip_msg *msg, unsigned mask, struct kr_err *err)
{
    static const struct {
        enum kr_sip_hdr_type t;
        const char *syntax;
        const char *uri;
    } hdrs[] = {
        { KR_SIP_HDR_FROM, "Bad Request - Bad From header", "Bad Request - Bad From URI" },
        { KR_SIP_HDR_TO, "Bad Request - Bad To header", "Bad Request - Bad To URI" },
    };
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        struct kr_sip_nameaddr tmp;
        const struct kr_sip_nameaddr *na;
        struct kr_str rest;
        int rc = hdrs[i].t == KR_SIP_HDR_FROM ? kr_sip_msg_from_ref(msg, &tmp, &na, &rest)
                                              : kr_sip_msg_to_ref(msg, &tmp, &na, &rest);
        if (rc == KR_ENOTFOUND) {
            continue;
        }
        if (rc < 0 || rest.len || na->star) {
            if (mask & KR_SIP_CHECK_NAMEADDR) {
                return bad(err, hdrs[i].syntax);
            }
            continue;
        }
        if ((mask & KR_SIP_CHECK_PARSE_URI) && !uri_ok(na->uri)) {
            return bad(err, hdrs[i].uri);
        }
        if ((mask & KR_SIP_CHECK_DUP_TO_TAG) && !tags_ok(na->params)) {
            return bad(err, "Bad Request - Duplicated tag");
        }
    }
    return 0;
}

/* Every Contact element, parsed once: name-addr syntax and '*' alone
 * (KR_SIP_CHECK_NAMEADDR), expires= (KR_SIP_CHECK_EXPIRES), the URI
 * (KR_SIP_CHECK_PARSE_URI). */
static unsigned check_contacts(const struct kr_sip_msg *msg, unsigned mask, struct kr_err *err)
{
    size_t n = 0;
    bool star = false;
    int first = msg->first[KR_SIP_HDR_CONTACT];

    for (size_t i = first < 0 ? msg->nhdrs : (size_t)first; i < msg->nhdrs; i++) {
        if (msg->hdrs[i].type != KR_SIP_HDR_CONTACT) {
            continue;
        }
        struct kr_str rest = msg->hdrs[i].value;
        do {
            struct kr_sip_nameaddr na;
            struct kr_err nerr = { 0 };
            if (kr_sip_parse_nameaddr(rest, &na, &rest, &nerr) < 0) {
                if (mask & KR_SIP_CHECK_NAMEADDR) {
                    return bad(err, "Bad Request - Bad Contact header");
                }
                break;
            }
            star = star || na.star;
            n++;
            if ((mask & KR_SIP_CHECK_EXPIRES) && !contact_expires_ok(&na)) {
                return bad(err, "Bad Request - Bad Contact expires");
            }
            if ((mask & KR_SIP_CHECK_PARSE_URI) && !na.star && !uri_ok(na.uri)) {
                return bad(err, "Bad Request - Bad Contact URI");
            }
        } while (rest.len);
    }
    if ((mask & KR_SIP_CHECK_NAMEADDR) && star && n > 1) {
        return bad(err, "Bad Request - Contact '*' with other contacts");
    }
    return 0;
}

static unsigned check_clen(const struct kr_sip_msg *msg, struct kr_err *err)
{
    size_t cl;
    int rc = kr_sip_msg_clen(msg, &cl);

    if (rc == KR_ENOTFOUND || (rc == 0 && cl == msg->body.len)) {
        return 0;
    }
    return bad(err, "Bad Request - Bad Content-Length");
}

/* Request-URI: 416 for a scheme we do not serve (RFC 4475 unkscm, novelsc); with full,
 * 400 when it does not parse (ltgtruri) or carries headers (escruri, RFC 3261 §19.1.1). */
static unsigned check_ruri(const struct kr_sip_msg *msg, bool full, struct kr_err *err)
{
    struct kr_sip_uri u;
    struct kr_err uerr = { 0 };

    if (kr_sip_uri_parse(msg->ruri, &u, &uerr) < 0) {
        if (kr_str_eq(kr_str_c(uerr.reason), KR_STR("unsupported URI scheme"))) {
            return answer(err, 416, "Unsupported URI Scheme");
        }
        return full ? bad(err, "Bad Request - Bad Request-URI") : 0;
    }
    if (full && u.headers.len) {
        return bad(err, "Bad Request - Headers in Request-URI");
    }
    return 0;
}

static unsigned check_credentials(const struct kr_sip_msg *msg, bool parse, bool digest,
                                  struct kr_err *err)
{
    if (msg->first[KR_SIP_HDR_AUTHORIZATION] < 0 &&
        msg->first[KR_SIP_HDR_PROXY_AUTHORIZATION] < 0) {
        return 0;
    }
    for (size_t i = 0; i < msg->nhdrs; i++) {
        const struct kr_sip_hdr *h = &msg->hdrs[i];
        if (h->type != KR_SIP_HDR_AUTHORIZATION && h->type != KR_SIP_HDR_PROXY_AUTHORIZATION) {
            continue;
        }
        struct kr_sip_auth au;
        struct kr_err aerr = { 0 };
        if (kr_sip_parse_auth(h->value, &au, &aerr) < 0) {
            if (parse || digest) {
                return bad(err, "Bad Request - Bad credentials");
            }
            continue;
        }
        if (digest && au.scheme.len == 6 && kr_sip_lceq(au.scheme.ptr, "digest", 6) &&
            (!au.username.ptr || !au.realm.ptr || !au.nonce.ptr || !au.uri.ptr ||
             !au.response.ptr)) {
            return bad(err, "Bad Request - Incomplete Digest credentials");
        }
    }
    return 0;
}

static bool tag_in_list(struct kr_str list, struct kr_str tag)
{
    while (list.len) {
        long c = kr_str_chr(list, ',');
        struct kr_str item = c < 0 ? list : kr_str_sub(list, 0, (size_t)c);
        list =
            c < 0 ? kr_str_make(list.ptr + list.len, 0) : kr_str_sub(list, (size_t)c + 1, list.len);
        if (kr_str_caseeq(kr_str_trim(item), tag)) {
            return true;
        }
    }
    return false;
}

/* RFC 3261 §16.3 item 5: 420 listing each unsupported Proxy-Require option-tag. */
static unsigned check_proxy_require(const struct kr_sip_msg *msg,
                                    const struct kr_sip_check_opts *opts, struct kr_err *err)
{
    struct kr_str supported = opts ? opts->proxy_supported : kr_str_make(NULL, 0);
    struct kr_buf *out = opts ? opts->unsupported : NULL;
    bool found = false;
    int first = msg->first[KR_SIP_HDR_PROXY_REQUIRE];

    for (size_t i = first < 0 ? msg->nhdrs : (size_t)first; i < msg->nhdrs; i++) {
        if (msg->hdrs[i].type != KR_SIP_HDR_PROXY_REQUIRE) {
            continue;
        }
        struct kr_str list = msg->hdrs[i].value;
        while (list.len) {
            long c = kr_str_chr(list, ',');
            struct kr_str tag = kr_str_trim(c < 0 ? list : kr_str_sub(list, 0, (size_t)c));
            list = c < 0 ? kr_str_make(list.ptr + list.len, 0)
                         : kr_str_sub(list, (size_t)c + 1, list.len);
            if (tag.len == 0 || tag_in_list(supported, tag)) {
                continue;
            }
            if (out) {
                if (found) {
                    kr_buf_append(out, ", ", 2);
                }
                kr_buf_append_str(out, tag);
            }
            found = true;
        }
    }
    if (found) {
        return answer(err, 420, "Bad Extension");
    }
    return 0;
}

int kr_sip_check_request_mask(const struct kr_sip_msg *msg, unsigned mask,
                              const struct kr_sip_check_opts *opts, unsigned *code,
                              struct kr_err *err)
{
    unsigned c = 0;

    *code = 0;
    if (!msg->is_request) {
        return 0;
    }
    /* Order: version, then syntax (400), then the URI scheme (416), then extensions
     * (420), as RFC 3261 §16.3 lists a proxy's checks. */
    if (c == 0 && (mask & KR_SIP_CHECK_RURI_VERSION)) {
        c = check_ruri_version(msg, err);
    }
    if (c == 0 && (mask & KR_SIP_CHECK_REQUIRED_HDRS)) {
        c = check_required(msg, err);
    }
    if (c == 0 && (mask & KR_SIP_CHECK_SINGLE_HDRS)) {
        c = check_single(msg, err);
    }
    if (c == 0 &&
        (mask & (KR_SIP_CHECK_VIA | KR_SIP_CHECK_VIA_VERSION | KR_SIP_CHECK_VIA_PROTOCOL))) {
        c = check_vias(msg, mask & KR_SIP_CHECK_VIA, mask & KR_SIP_CHECK_VIA_VERSION,
                       mask & KR_SIP_CHECK_VIA_PROTOCOL, err);
    }
    if (c == 0 && (mask & (KR_SIP_CHECK_CSEQ_VALUE | KR_SIP_CHECK_CSEQ_METHOD))) {
        c = check_cseq(msg, mask & KR_SIP_CHECK_CSEQ_VALUE, mask & KR_SIP_CHECK_CSEQ_METHOD, err);
    }
    if (c == 0 && (mask & KR_SIP_CHECK_MAX_FORWARDS)) {
        c = check_maxfwd(msg, err);
    }
    if (c == 0 && (mask & KR_SIP_CHECK_EXPIRES)) {
        c = check_expires(msg, err);
    }
    const unsigned na_bits = KR_SIP_CHECK_NAMEADDR | KR_SIP_CHECK_PARSE_URI;
    if (c == 0 && (mask & (na_bits | KR_SIP_CHECK_DUP_TO_TAG))) {
        c = check_from_to(msg, mask, err);
    }
    if (c == 0 && (mask & (na_bits | KR_SIP_CHECK_EXPIRES))) {
        c = check_contacts(msg, mask, err);
    }
    if (c == 0 && (mask & KR_SIP_CHECK_CONTENT_LENGTH)) {
        c = check_clen(msg, err);
    }
    if (c == 0 &&
        (mask & (KR_SIP_CHECK_RURI_SCHEME | KR_SIP_CHECK_PARSE_URI | KR_SIP_CHECK_RURI_PARSE))) {
        c = check_ruri(msg, mask & (KR_SIP_CHECK_PARSE_URI | KR_SIP_CHECK_RURI_PARSE), err);
    }
    if (c == 0 && (mask & (KR_SIP_CHECK_AUTHORIZATION | KR_SIP_CHECK_DIGEST))) {
        c = check_credentials(msg, mask & KR_SIP_CHECK_AUTHORIZATION, mask & KR_SIP_CHECK_DIGEST,
                              err);
    }
    if (c == 0 && (mask & KR_SIP_CHECK_PROXY_REQUIRE)) {
        c = check_proxy_require(msg, opts, err);
    }
    *code = c;
    if (c == 0) {
        return 0;
    }
    return c == 505 ? KR_EVERSION : KR_EPARSE;
}

int kr_sip_check_request(const struct kr_sip_msg *msg, unsigned *code, struct kr_err *err)
{
    return kr_sip_check_request_mask(msg, KR_SIP_CHECK_DEFAULT, NULL, code, err);
}
