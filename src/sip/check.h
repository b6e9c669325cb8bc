/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Request checks a proxy makes before acting (RFC 3261 §8.2, §16.3; RFC 4475 §3.1.2,
 * §3.3): each finding gives the status code and reason phrase to answer with. Used by
 * the core before routing and by the sanity module (its check bits follow Kamailio's
 * sanity module). Reads the message only; any thread. */
#pragma once

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "sip/msg.h"

/* Check bits. The first fourteen have the values of Kamailio's sanity module. */
enum {
    KR_SIP_CHECK_RURI_VERSION = 1u << 0,   /* Request-Line version is SIP/2.0: 505 */
    KR_SIP_CHECK_RURI_SCHEME = 1u << 1,    /* sip, sips or tel: else 416 */
    KR_SIP_CHECK_REQUIRED_HDRS = 1u << 2,  /* To, From, Call-ID, CSeq, Via present */
    KR_SIP_CHECK_VIA_VERSION = 1u << 3,    /* every Via is SIP/2.0 */
    KR_SIP_CHECK_VIA_PROTOCOL = 1u << 4,   /* top Via transport is one we know */
    KR_SIP_CHECK_CSEQ_METHOD = 1u << 5,    /* CSeq method equals the request method */
    KR_SIP_CHECK_CSEQ_VALUE = 1u << 6,     /* CSeq parses, number below 2^32 */
    KR_SIP_CHECK_CONTENT_LENGTH = 1u << 7, /* Content-Length equals the body length */
    KR_SIP_CHECK_EXPIRES = 1u << 8,        /* Expires and Contact expires= below 2^32 */
    KR_SIP_CHECK_PROXY_REQUIRE = 1u << 9,  /* every Proxy-Require tag supported: else 420 */
    KR_SIP_CHECK_PARSE_URI = 1u << 10,     /* R-URI (no headers) and From/To/Contact URIs */
    KR_SIP_CHECK_DIGEST = 1u << 11,        /* Digest credentials carry the required fields */
    KR_SIP_CHECK_DUP_TO_TAG = 1u << 12,    /* at most one tag in To and in From */
    KR_SIP_CHECK_AUTHORIZATION = 1u << 13, /* (Proxy-)Authorization parse */
    /* korero's own */
    KR_SIP_CHECK_SINGLE_HDRS = 1u << 16,  /* one To/From/Call-ID/CSeq/Max-Forwards/C-L */
    KR_SIP_CHECK_MAX_FORWARDS = 1u << 17, /* Max-Forwards 0-255 */
    KR_SIP_CHECK_NAMEADDR = 1u << 18,     /* From, To, Contact parse as name-addr */
    KR_SIP_CHECK_VIA = 1u << 19,          /* every Via parses */
    KR_SIP_CHECK_RURI_PARSE = 1u << 20,   /* the R-URI parses, no headers (PARSE_URI without
                                           * From/To/Contact) */
};

/* What kr_sip_check_request runs: every syntax check, no Proxy-Require / credential /
 * tag checks (those need configuration or are module policy). */
#define KR_SIP_CHECK_DEFAULT                                                                       \
    (KR_SIP_CHECK_RURI_VERSION | KR_SIP_CHECK_RURI_SCHEME | KR_SIP_CHECK_REQUIRED_HDRS |           \
     KR_SIP_CHECK_VIA_VERSION | KR_SIP_CHECK_CSEQ_METHOD | KR_SIP_CHECK_CSEQ_VALUE |               \
     KR_SIP_CHECK_CONTENT_LENGTH | KR_SIP_CHECK_EXPIRES | KR_SIP_CHECK_PARSE_URI |                 \
     KR_SIP_CHECK_SINGLE_HDRS | KR_SIP_CHECK_MAX_FORWARDS | KR_SIP_CHECK_NAMEADDR |                \
     KR_SIP_CHECK_VIA)

struct kr_sip_check_opts {
    /* in: option-tags this proxy supports, comma-separated; empty: none, so every
     * Proxy-Require tag is unsupported (RFC 4475 bext01) */
    struct kr_str proxy_supported;
    /* out, optional: the unsupported tags, ", "-separated, for an Unsupported header */
    struct kr_buf *unsupported;
};

/* Checks a successfully indexed request (kr_sip_msg_parse returned 0, or KR_EVERSION)
 * with KR_SIP_CHECK_DEFAULT. Returns 0 when fine; else KR_EVERSION (505) or KR_EPARSE with
 * *code = 400 / 416 / 420 / 505 and err->reason the reason phrase to answer with
 * ("Bad Request - CSeq method does not match"). Responses are not checked (0). */
int kr_sip_check_request(const struct kr_sip_msg *msg, unsigned *code, struct kr_err *err);

/* The same with a choice of checks (KR_SIP_CHECK_* bits); opts may be NULL (no option-tag
 * supported, no Unsupported output). */
int kr_sip_check_request_mask(const struct kr_sip_msg *msg, unsigned mask,
                              const struct kr_sip_check_opts *opts, unsigned *code,
                              struct kr_err *err);
