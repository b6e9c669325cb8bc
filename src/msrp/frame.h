/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MSRP frames (RFC 4975 §7, §9; RFC 4976): stream framing of the header part, start
 * line and header index, end-line search in a body stream, header value parsers and a
 * response builder. A kr_msrp_frame is slices into the received bytes plus an index from
 * the caller's arena; it owns nothing. No globals: any thread, with its own arena. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "msrp/uri.h"

enum kr_msrp_method {
    KR_MSRP_METHOD_OTHER = 0, /* unknown methods are relayed, not refused */
    KR_MSRP_METHOD_SEND,
    KR_MSRP_METHOD_REPORT,
    KR_MSRP_METHOD_AUTH,     /* RFC 4976 */
    KR_MSRP_METHOD_NICKNAME, /* RFC 7701 */
};

enum kr_msrp_hdr_type {
    KR_MSRP_HDR_OTHER = 0,
    KR_MSRP_HDR_TO_PATH,
    KR_MSRP_HDR_FROM_PATH,
    KR_MSRP_HDR_MESSAGE_ID,
    KR_MSRP_HDR_BYTE_RANGE,
    KR_MSRP_HDR_SUCCESS_REPORT,
    KR_MSRP_HDR_FAILURE_REPORT,
    KR_MSRP_HDR_STATUS,
    KR_MSRP_HDR_EXPIRES,
    KR_MSRP_HDR_MIN_EXPIRES,
    KR_MSRP_HDR_MAX_EXPIRES,
    KR_MSRP_HDR_USE_PATH,
    KR_MSRP_HDR_WWW_AUTHENTICATE,
    KR_MSRP_HDR_AUTHORIZATION,
    KR_MSRP_HDR_AUTHENTICATION_INFO,
    KR_MSRP_HDR_CONTENT_TYPE,
    KR_MSRP_HDR__COUNT,
};

struct kr_msrp_hdr {
    enum kr_msrp_hdr_type type;
    struct kr_str name;  /* as received */
    struct kr_str value; /* without the SP after ':' and trailing SP/HTAB */
    struct kr_str raw;   /* from the name to the CRLF after the value, inclusive */
};

struct kr_msrp_frame {
    bool is_request;
    struct kr_str tid; /* set as soon as the start line is read (len 0 before) */
    struct kr_str method;
    enum kr_msrp_method method_id;
    unsigned status;          /* responses: 100..999 */
    struct kr_str comment;    /* responses: text after the code, may be empty */
    struct kr_str start_line; /* without CRLF */
    struct kr_msrp_hdr *hdrs; /* in received order */
    size_t nhdrs;
    int first[KR_MSRP_HDR__COUNT]; /* index of the first header of each type, -1 if none */
    /* has_body: the headers end with a blank line and content follows at body_off;
     * otherwise the end-line starts at body_off (RFC 4975 §7: a frame without body ends
     * its headers with the end-line directly). head_len == body_off. */
    bool has_body;
    size_t body_off;
};

enum {
    KR_MSRP_MAX_HEADERS = 128,
    KR_MSRP_MAX_HEAD = 16384, /* longest header part a relay reads */
    KR_MSRP_TID_MIN = 4,
    KR_MSRP_TID_MAX = 32,
};

/* What kr_msrp_frame_head learnt so far about the frame at the start of a growing
 * stream buffer. Zero it for each new frame. */
struct kr_msrp_head_state {
    size_t scanned;    /* bytes searched for LF */
    size_t line_start; /* start of the line not yet complete */
    bool has_body;     /* when complete: a blank line ended the headers */
};

/* Stream framing of the header part: data is the stream buffer starting at the frame
 * (it grows between calls; st remembers how far it was scanned, so a trickling peer
 * costs O(n) overall). Returns 0 with *head_len = offset just past the blank line (a
 * body follows; st->has_body) or of the end-line's first '-' (no body); KR_EAGAIN when
 * more bytes are needed; KR_EPARSE when the data does not start with "MSRP " or holds a
 * bare LF; KR_ELIMIT when the header part would exceed max_head (bytes past
 * max_head + 64 are never scanned). Lines are not otherwise checked here (any line
 * starting with 7 dashes ends the head): kr_msrp_parse_head does that. For a body-less
 * frame, give kr_msrp_parse_head the bytes through the end-line (it checks the tid). */
int kr_msrp_frame_head(const char *data, size_t len, size_t max_head, struct kr_msrp_head_state *st,
                       size_t *head_len, struct kr_err *err);

/* Parses the start line and indexes the headers of a frame head (data may go on past
 * it: parsing stops at the blank line or at the end-line). Returns 0; KR_EPARSE with err
 * (f->tid is set once the start line was read, and every header read before and after
 * the fault is indexed, so that a 400 can be built: order violations of To-Path and
 * From-Path (RFC 4975 §7.1), duplicates and missing ones are reported after the whole
 * head was indexed); KR_ELIMIT above KR_MSRP_MAX_HEADERS; KR_ENOMEM when the arena is
 * exhausted. Header values are not parsed here. */
int kr_msrp_parse_head(const char *data, size_t len, struct kr_arena *a, struct kr_msrp_frame *f,
                       struct kr_err *err);

enum kr_msrp_method kr_msrp_method_id(struct kr_str method);
enum kr_msrp_hdr_type kr_msrp_hdr_type_of(struct kr_str name);
/* The n-th (0-based) header of type t, or NULL. */
const struct kr_msrp_hdr *kr_msrp_frame_hdr(const struct kr_msrp_frame *f, enum kr_msrp_hdr_type t,
                                            size_t n);

/* Resumable search for the end-line "\r\n-------" tid flag "\r\n" (flag one of $ + #) in
 * a body fed chunk by chunk (any split, even inside the end-line; the chunks need not
 * stay in memory). Initialise with kr_msrp_end_init: body true when the frame has a body
 * (search starts at body_off), false for a body-less frame (search starts at the
 * end-line itself). Bodies may hold anything, including end-lines of other tids. The
 * CRLF before the end-line is not part of the body; an end-line right at the start of
 * the body (no CRLF) is also accepted and gives an empty body. */
struct kr_msrp_end_state {
    size_t matched;  /* bytes of the end-line pattern matched so far */
    size_t pos;      /* body bytes fed so far */
    size_t body_len; /* when found: body length before the end-line's CRLF */
    char flag;       /* when found: '$', '+' or '#' */
};

void kr_msrp_end_init(struct kr_msrp_end_state *st, bool body);
/* Feeds the next len bytes. Returns the offset in data just past the end-line (0 or
 * more) with *flag and st->body_len set, or KR_EAGAIN when it is not in the bytes fed
 * so far. The bytes that are surely body so far are st->pos - st->matched. */
long kr_msrp_find_end(const char *data, size_t len, struct kr_str tid, struct kr_msrp_end_state *st,
                      char *flag);

/* Stream framing of whole frames, for a transport: what kr_msrp_frame_stream learnt
 * about the frame at the start of a growing buffer. Zero it for each new frame; it fits
 * a connection's 64-byte framer scratch. */
struct kr_msrp_stream_state {
    size_t start_len; /* 0 until the start line was read; then the offset of its CRLF */
    struct kr_msrp_end_state end;
    struct kr_msrp_head_state head;
};

enum {
    KR_MSRP_FRAME_HEAD = 1,       /* kr_msrp_frame_stream: a head; the body streams */
    KR_MSRP_START_LINE_MAX = 512, /* longest start line looked for */
};

/* Finds the frame at the start of data (it must start with "MSRP "): the first end-line
 * of its tid after the start line ends it, whatever the lines before look like, so that
 * a frame with malformed headers is still cut whole and can be answered 400. Returns 0
 * with *msg_len the frame's length through the end-line's CRLF when that is at most
 * `whole` bytes (or when a longer frame has no body); KR_MSRP_FRAME_HEAD for a frame with
 * a body longer than `whole` once its head is complete: *msg_len is then the head's length
 * (the blank line included) and the body is for the caller to stream. The answer does not
 * depend on how the bytes were split. KR_EAGAIN when more bytes are needed (a head may
 * grow up to max_head even past `whole`); KR_EPARSE when no start line with a valid tid
 * can be read or the head of a large frame is malformed; KR_ELIMIT when its head passes
 * max_head. Resumable: each byte is searched once. */
int kr_msrp_frame_stream(const char *data, size_t len, size_t whole, size_t max_head,
                         struct kr_msrp_stream_state *st, size_t *msg_len, struct kr_err *err);
/* True when "-------" tid occurs in body: a frame with that tid would end there for its
 * receiver (RFC 4975 §7: a sender picks a tid whose end-line is not in the body). */
bool kr_msrp_tid_collides(struct kr_str body, struct kr_str tid);
/* The tid of the start line at data (which holds at least the start line), or an empty
 * slice when it cannot be read. */
struct kr_str kr_msrp_start_tid(const char *data, size_t len);

/* --- header value parsers. Each takes the value slice, returns 0 or KR_EPARSE with err
 * (offset into the value). --- */

/* To-Path / From-Path / Use-Path: one or more MSRP URIs separated by SP. Iterator: *rest
 * starts as the value; returns 1 with *u set, 0 at the end, KR_EPARSE. */
int kr_msrp_path_next(struct kr_str *rest, struct kr_msrp_uri *u, struct kr_err *err);
/* Validates a whole path: stores up to max URIs in out (out may be NULL with max 0) and
 * the count in *n. KR_EPARSE for an empty path or a bad URI; KR_ELIMIT above max
 * (when out is not NULL). */
int kr_msrp_parse_path(struct kr_str v, struct kr_msrp_uri *out, size_t max, size_t *n,
                       struct kr_err *err);

/* Byte-Range: start-end/total, 1-based; end and total may be '*'. */
struct kr_msrp_range {
    uint64_t start;
    uint64_t end; /* valid unless end_star; may be start-1 (empty chunk) */
    uint64_t total;
    bool end_star;
    bool total_star;
};
enum {
    KR_MSRP_RANGE_MAX_DIGITS = 18, /* keeps every value below 10^18 */
};
int kr_msrp_parse_range(struct kr_str v, struct kr_msrp_range *r, struct kr_err *err);

/* Success-Report: yes | no (case-insensitive). */
int kr_msrp_parse_success_report(struct kr_str v, bool *yes, struct kr_err *err);

enum kr_msrp_failure_report {
    KR_MSRP_FR_YES = 0, /* the default when absent */
    KR_MSRP_FR_NO,
    KR_MSRP_FR_PARTIAL,
};
/* Failure-Report: yes | no | partial (case-insensitive). */
int kr_msrp_parse_failure_report(struct kr_str v, enum kr_msrp_failure_report *fr,
                                 struct kr_err *err);

/* Status (REPORT): namespace SP status-code [SP text]; both are 3 digits. */
struct kr_msrp_status {
    unsigned ns;   /* namespace: 000 is the only one defined */
    unsigned code; /* 100..999 */
    struct kr_str text;
};
int kr_msrp_parse_status(struct kr_str v, struct kr_msrp_status *s, struct kr_err *err);

/* Expires / Min-Expires / Max-Expires: delta-seconds up to 2^32-1. */
int kr_msrp_parse_expires(struct kr_str v, uint32_t *out, struct kr_err *err);

/* Message-ID: ident (alphanumeric, then 3..31 of alnum . - + % =). */
int kr_msrp_parse_message_id(struct kr_str v, struct kr_err *err);

/* Transaction id syntax (same as ident): true when t is one. */
bool kr_msrp_tid_valid(struct kr_str t);

/* Builds a response to req: "MSRP <tid> <code>[ <comment>]", To-Path, From-Path, the
 * extra headers (each ending in CRLF, may be empty) and the end-line with '$'. The
 * caller passes the paths (RFC 4975 §7.2: for SEND the To-Path is the previous hop only,
 * the first From-Path URI). Returns 0; KR_EINVAL for a code outside 100..999, a comment
 * or path holding CR/LF, or a request without tid; the buffer's sticky error
 * (KR_ELIMIT / KR_ENOMEM). */
int kr_msrp_build_response(const struct kr_msrp_frame *req, unsigned code, struct kr_str comment,
                           struct kr_str to_path, struct kr_str from_path,
                           struct kr_str extra_headers, struct kr_buf *out);
