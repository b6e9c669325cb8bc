/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SIP messages (RFC 3261 §7, §20): start line, a header index with compact forms, body.
 * Header values are parsed on demand by the kr_sip_parse_* functions. A kr_sip_msg is a
 * set of slices into the received bytes plus an index allocated from the caller's arena;
 * it owns nothing and lives until that arena is reset. Parsing touches no globals: any
 * thread, with its own arena. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "sip/uri.h"

enum kr_sip_method {
    KR_SIP_METHOD_OTHER = 0,
    KR_SIP_METHOD_INVITE,
    KR_SIP_METHOD_ACK,
    KR_SIP_METHOD_CANCEL,
    KR_SIP_METHOD_BYE,
    KR_SIP_METHOD_REGISTER,
    KR_SIP_METHOD_OPTIONS,
    KR_SIP_METHOD_INFO,
    KR_SIP_METHOD_UPDATE,
    KR_SIP_METHOD_PRACK,
    KR_SIP_METHOD_SUBSCRIBE,
    KR_SIP_METHOD_NOTIFY,
    KR_SIP_METHOD_PUBLISH,
    KR_SIP_METHOD_MESSAGE,
    KR_SIP_METHOD_REFER,
};

/* Header types that korero knows by name; compact forms map to the same type. */
enum kr_sip_hdr_type {
    KR_SIP_HDR_OTHER = 0,
    KR_SIP_HDR_VIA,
    KR_SIP_HDR_FROM,
    KR_SIP_HDR_TO,
    KR_SIP_HDR_CALL_ID,
    KR_SIP_HDR_CSEQ,
    KR_SIP_HDR_CONTACT,
    KR_SIP_HDR_ROUTE,
    KR_SIP_HDR_RECORD_ROUTE,
    KR_SIP_HDR_CONTENT_LENGTH,
    KR_SIP_HDR_CONTENT_TYPE,
    KR_SIP_HDR_MAX_FORWARDS,
    KR_SIP_HDR_EXPIRES,
    KR_SIP_HDR_AUTHORIZATION,
    KR_SIP_HDR_PROXY_AUTHORIZATION,
    KR_SIP_HDR_USER_AGENT,
    KR_SIP_HDR_SERVER,
    KR_SIP_HDR_REQUIRE,
    KR_SIP_HDR_PROXY_REQUIRE,
    KR_SIP_HDR_SUPPORTED,
    KR_SIP_HDR_ALLOW,
    KR_SIP_HDR_EVENT,
    KR_SIP_HDR_ACCEPT,
    KR_SIP_HDR_CONTENT_ENCODING,
    KR_SIP_HDR_SUBJECT,
    KR_SIP_HDR_REFER_TO,
    KR_SIP_HDR_WWW_AUTHENTICATE,
    KR_SIP_HDR_PROXY_AUTHENTICATE,
    KR_SIP_HDR_DATE,
    KR_SIP_HDR__COUNT,
};

struct kr_sip_hdr {
    enum kr_sip_hdr_type type;
    struct kr_str name;  /* as received (may be the compact form) */
    struct kr_str value; /* trimmed; may contain folded lines (CRLF + WSP) */
    struct kr_str raw;   /* the whole field: from name to the CRLF after it, inclusive */
};

struct kr_sip_parsed;

struct kr_sip_msg {
    struct kr_str buf; /* the whole message as framed (start line .. end of body) */
    bool is_request;
    /* request line */
    struct kr_str method;
    enum kr_sip_method method_id;
    struct kr_str ruri;
    /* status line */
    unsigned status;
    struct kr_str reason;
    struct kr_str version;    /* "SIP/2.0" */
    struct kr_str start_line; /* first line without CRLF */
    struct kr_sip_hdr *hdrs;  /* in received order */
    size_t nhdrs;
    int first[KR_SIP_HDR__COUNT]; /* index of the first header of each type, -1 if none */
    struct kr_str headers;        /* from the first header to the empty line, inclusive */
    struct kr_str body;
    /* Headers that almost every message needs parsed (top Via, From, To, CSeq), parsed on
     * first use and kept here, in the same arena, so that the core's checks, the script
     * and the reply builder parse each once. NULL: no cache (hand-made messages). */
    struct kr_sip_parsed *parsed;
};

/* Limits that keep a hostile message from costing much. */
enum {
    KR_SIP_MAX_HEADERS = 256,
    KR_SIP_MAX_MSG = 65535,
};

/* Parses a complete message (one UDP datagram, or what kr_sip_frame cut from a stream).
 * Bytes after Content-Length are not part of the message (RFC 3261 §18.3); with no
 * Content-Length the body is the rest of the buffer (UDP). Header values are not parsed
 * here, only indexed. Returns 0; KR_EPARSE (err says why; msg->is_request and as much of
 * the start line and headers as could be read are filled so a 400 can be built when
 * Via/From/To/Call-ID/CSeq were found); KR_EVERSION for a version other than SIP/2.0
 * (everything else parsed and indexed, for a 505); KR_ELIMIT above KR_SIP_MAX_HEADERS
 * header fields or KR_SIP_MAX_MSG bytes; KR_ENOMEM when the arena is exhausted.
 * CRLFs before the start line are skipped: msg->buf starts at the start line, and edit
 * offsets (sip/build.h) count from there. Header lines may end in LF alone; a CR that
 * does not end a line is an error (it would end one for someone else). The body is
 * octets: NUL, bare LF and CR are fine there. */
int kr_sip_msg_parse(const char *data, size_t len, struct kr_arena *a, struct kr_sip_msg *msg,
                     struct kr_err *err);

/* Stream framing (RFC 3261 §18.3): finds the end of the first message in data.
 * Leading CRLFs (keep-alives, RFC 5626 §3.5.1) are skipped and reported in *skip (also
 * with KR_EAGAIN, so that the caller can drop them and answer a ping).
 * Returns 0 with *msg_len = header + Content-Length bytes (message starts at data+*skip);
 * KR_EAGAIN when more bytes are needed; KR_EPARSE when no Content-Length can be found
 * (and require_cl) or it is malformed, or the header part exceeds max_len;
 * KR_ELIMIT when the message would exceed max_len. */
int kr_sip_frame(const char *data, size_t len, size_t max_len, bool require_cl, size_t *skip,
                 size_t *msg_len, struct kr_err *err);

/* For a stream buffer that grows between calls: what kr_sip_frame_resume learnt so far
 * about the message at the buffer's start (after the skipped CRLFs), so that a peer
 * trickling bytes costs O(n) rather than O(n^2). Zero it for each new message. */
struct kr_sip_frame_state {
    size_t scanned; /* bytes searched for the end of the header part, not found */
    size_t total;   /* the message length once the header part was read, else 0 */
};

/* kr_sip_frame with a state kept by the caller between calls on the same message. */
int kr_sip_frame_resume(const char *data, size_t len, size_t max_len, bool require_cl,
                        struct kr_sip_frame_state *st, size_t *skip, size_t *msg_len,
                        struct kr_err *err);

enum kr_sip_method kr_sip_method_id(struct kr_str method);
enum kr_sip_hdr_type kr_sip_hdr_type_of(struct kr_str name);
/* Canonical (long) name of a known type. */
struct kr_str kr_sip_hdr_name(enum kr_sip_hdr_type t);

/* The n-th (0-based) header of type t, or NULL. */
const struct kr_sip_hdr *kr_sip_msg_hdr(const struct kr_sip_msg *msg, enum kr_sip_hdr_type t,
                                        size_t n);
/* The first header of type t (a known type), or NULL: kr_sip_msg_hdr(msg, t, 0) inline. */
static inline const struct kr_sip_hdr *kr_sip_msg_hdr_first(const struct kr_sip_msg *msg,
                                                            enum kr_sip_hdr_type t)
{
    int i = msg->first[t];
    return i < 0 ? NULL : &msg->hdrs[i];
}

/* The n-th header whose name matches name (case-insensitive; known names also match
 * their compact form and vice versa). Negative n counts from the end (-1 = last). */
const struct kr_sip_hdr *kr_sip_msg_hdr_by_name(const struct kr_sip_msg *msg, struct kr_str name,
                                                long n);

/* --- header value parsers (on demand). All take the value slice, return 0 or
 * KR_EPARSE with err set; results are slices into the value. --- */

struct kr_sip_via {
    struct kr_str proto_name; /* "SIP" */
    struct kr_str proto_ver;  /* "2.0" */
    struct kr_str transport;  /* "UDP", "TCP", ... */
    enum kr_uri_proto proto;
    struct kr_str host; /* IPv6 with brackets */
    struct kr_str port;
    uint16_t port_no;     /* 0 when absent */
    struct kr_str params; /* after the first ';', without it */
    struct kr_str branch;
    struct kr_str received;
    struct kr_str rport; /* value, empty when "rport" has no value */
    bool has_rport;
    struct kr_str whole; /* this via-parm, trimmed */
};

/* Parses the first via-parm of a Via value; *rest receives what follows the comma (empty
 * when it was the last one). */
int kr_sip_parse_via(struct kr_str v, struct kr_sip_via *via, struct kr_str *rest,
                     struct kr_err *err);

/* name-addr / addr-spec with parameters: From, To, Contact, Route, Record-Route,
 * Refer-To. */
struct kr_sip_nameaddr {
    struct kr_str display; /* without quotes; raw escapes kept */
    struct kr_str uri;     /* inside <> (or the addr-spec) */
    struct kr_str params;  /* header params after the URI, without the leading ';' */
    struct kr_str tag;     /* tag= value */
    bool star;             /* Contact: * */
    struct kr_str whole;   /* this element, trimmed */
};

/* Parses the first element of a comma-separated list of name-addr; *rest gets what
 * follows. A URI with ';' params or '?' headers outside <> is taken per RFC 3261 §20
 * (params belong to the header). */
int kr_sip_parse_nameaddr(struct kr_str v, struct kr_sip_nameaddr *na, struct kr_str *rest,
                          struct kr_err *err);

struct kr_sip_cseq {
    uint32_t num;
    struct kr_str method;
    enum kr_sip_method method_id;
};
int kr_sip_parse_cseq(struct kr_str v, struct kr_sip_cseq *cs, struct kr_err *err);

/* Max-Forwards 0-255. */
int kr_sip_parse_maxfwd(struct kr_str v, unsigned *out, struct kr_err *err);
/* Expires: delta-seconds up to 2^32-1. */
int kr_sip_parse_expires(struct kr_str v, uint32_t *out, struct kr_err *err);
/* Content-Length: 1*DIGIT, up to 2^31-1 (whether that many bytes may come is the
 * framer's max_len question). */
int kr_sip_parse_clen(struct kr_str v, size_t *out, struct kr_err *err);

/* --- parsed-once accessors (see kr_sip_msg.parsed). Each copies the result out and
 * returns what the kr_sip_parse_* call returned (KR_ENOTFOUND when the header is
 * missing); rest (may be NULL) gets what follows the first element. --- */
int kr_sip_msg_via1(const struct kr_sip_msg *msg, struct kr_sip_via *via, struct kr_str *rest);
int kr_sip_msg_from(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *na, struct kr_str *rest);
int kr_sip_msg_to(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *na, struct kr_str *rest);
int kr_sip_msg_cseq(const struct kr_sip_msg *msg, struct kr_sip_cseq *cs);

/* The same without the copy, for hot paths: *out points at the message's cache (valid
 * while the message is), or at *tmp for a message without one. On an error *out holds
 * what was parsed before it. */
int kr_sip_msg_via1_ref(const struct kr_sip_msg *msg, struct kr_sip_via *tmp,
                        const struct kr_sip_via **out, struct kr_str *rest);
int kr_sip_msg_from_ref(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *tmp,
                        const struct kr_sip_nameaddr **out, struct kr_str *rest);
int kr_sip_msg_to_ref(const struct kr_sip_msg *msg, struct kr_sip_nameaddr *tmp,
                      const struct kr_sip_nameaddr **out, struct kr_str *rest);

/* Header types that occur more than once: bit (1u << type) set (noted while indexing). */
uint32_t kr_sip_msg_dups(const struct kr_sip_msg *msg);
/* The Content-Length value: 0 when every Content-Length header parses to the same value
 * (*out), KR_ENOTFOUND when there is none, KR_EPARSE otherwise. */
int kr_sip_msg_clen(const struct kr_sip_msg *msg, size_t *out);

/* Authorization / Proxy-Authorization (RFC 3261 §20.7, RFC 2617, RFC 7616). */
struct kr_sip_auth {
    struct kr_str scheme; /* "Digest" */
    struct kr_str username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
    struct kr_str params; /* the whole parameter list */
};
int kr_sip_parse_auth(struct kr_str v, struct kr_sip_auth *au, struct kr_err *err);
