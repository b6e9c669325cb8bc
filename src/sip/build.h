/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building SIP messages: a received message plus a list of edits (insert, delete,
 * replace at offsets of the original bytes) gives the message to send, as Kamailio's
 * lumps do; and stateless replies built from a request. Edits and their text live in
 * the per-message arena. One thread (the one handling the message). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/str.h"
#include "sip/msg.h"

struct kr_sip_edit {
    size_t off;        /* offset in the original message (from msg->buf.ptr) */
    size_t del;        /* bytes of the original removed from off */
    struct kr_str ins; /* text inserted at off (after the deletion) */
    unsigned seq;      /* order of creation, keeps inserts at one offset in order */
};

struct kr_sip_edits {
    struct kr_sip_edit *v;
    size_t n, cap;
    unsigned next_seq;
    struct kr_arena *arena;
};

void kr_sip_edits_init(struct kr_sip_edits *e, struct kr_arena *a);
/* Each returns 0 or KR_ENOMEM. Text is copied into the arena. Overlapping deletions are
 * refused with KR_EINVAL (two functions removing the same header: the second is a no-op
 * success when the range is identical). */
int kr_sip_edit_insert(struct kr_sip_edits *e, size_t off, struct kr_str text);
int kr_sip_edit_delete(struct kr_sip_edits *e, size_t off, size_t len);
int kr_sip_edit_replace(struct kr_sip_edits *e, size_t off, size_t len, struct kr_str text);
/* True when [off, off+len) is already deleted by an edit. */
bool kr_sip_edits_deleted(const struct kr_sip_edits *e, size_t off, size_t len);

/* Writes msg with the edits applied into out, in order of offset, then of creation.
 * When the body was changed or fix_clen is set (always on streams), every Content-Length
 * no edit touches gets the new body length; when none is left, one is added before the
 * empty line. Returns 0, KR_EINVAL for an edit past the message or across the
 * header/body boundary, KR_ENOMEM, or out's sticky error (KR_ELIMIT). e may be NULL. */
int kr_sip_build(const struct kr_sip_msg *msg, const struct kr_sip_edits *e, bool fix_clen,
                 struct kr_buf *out);

struct kr_sip_reply_opts {
    unsigned code;
    struct kr_str reason;
    struct kr_str to_tag;        /* added to To when the request's To has none (code > 100) */
    struct kr_str via_add;       /* appended to the top Via, e.g. ";received=1.2.3.4;rport=5" */
    const char *via_insert_at;   /* inside the top Via's value: where via_insert goes (after an
                                  * empty "rport", RFC 3581 §4); NULL: nothing inserted */
    struct kr_str via_insert;    /* e.g. "=5060" */
    struct kr_str extra_headers; /* complete header lines, each ending in CRLF */
    struct kr_str server;        /* Server header value; empty: none */
    struct kr_str content_type;  /* when body is not empty */
    struct kr_str body;
};

/* The standard reason phrase of a status code ("Unknown" for codes without one). */
struct kr_str kr_sip_reason_phrase(unsigned code);

/* A stateless reply to req (RFC 3261 §8.2.6): status line, every Via, From, To (with tag),
 * Call-ID, CSeq, then extra headers, Server, Content-Length, body. Works on a request
 * whose parse failed partway (headers that were indexed are copied). */
int kr_sip_build_reply(const struct kr_sip_msg *req, const struct kr_sip_reply_opts *o,
                       struct kr_buf *out);
