/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Message building: edits (insert / delete / replace at offsets of the received bytes)
 * applied in one copy, and stateless replies (RFC 3261 §8.2.6). Edits and their text
 * live in the per-message arena; output goes to a capped kr_buf. One thread. */
#include "sip/build.h"

#include <limits.h>
#include <string.h>

void kr_sip_edits_init(struct kr_sip_edits *e, struct kr_arena *a)
{
    *e = (struct kr_sip_edits){ .arena = a };
}

static bool overlaps(size_t a0, size_t alen, size_t b0, size_t blen)
{
    return a0 < b0 + blen && b0 < a0 + alen;
}

static int add_edit(struct kr_sip_edits *e, size_t off, size_t del, struct kr_str text)
{
    if (off + del < off) {
        return KR_EINVAL;
    }
    for (size_t i = 0; i < e->n; i++) {
        const struct kr_sip_edit *x = &e->v[i];
        if (del && x->del) {
            if (x->off == off && x->del == del && text.len == 0) {
                return 0; /* the same range deleted twice: already done */
            }
            if (overlaps(off, del, x->off, x->del)) {
                return KR_EINVAL;
            }
        }
        /* an insertion strictly inside a deleted range would be lost */
        if (del && x->del == 0 && x->off > off && x->off < off + del) {
            return KR_EINVAL;
        }
        if (del == 0 && x->del && off > x->off && off < x->off + x->del) {
            return KR_EINVAL;
        }
    }
    if (e->n == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 8;
        struct kr_sip_edit *v = kr_arena_alloc(e->arena, ncap * sizeof(*v));
        if (v == NULL) {
            return KR_ENOMEM;
        }
        if (e->n) {
            memcpy(v, e->v, e->n * sizeof(*v));
        }
        e->v = v;
        e->cap = ncap;
    }
    struct kr_str ins = kr_str_make(NULL, 0);
    if (text.len) {
        ins = kr_arena_strdup(e->arena, text);
        if (ins.ptr == NULL) {
            return KR_ENOMEM;
        }
    }
    e->v[e->n++] = (struct kr_sip_edit){ .off = off, .del = del, .ins = ins, .seq = e->next_seq++ };
    return 0;
}

int kr_sip_edit_insert(struct kr_sip_edits *e, size_t off, struct kr_str text)
{
    return add_edit(e, off, 0, text);
}

int kr_sip_edit_delete(struct kr_sip_edits *e, size_t off, size_t len)
{
    return len ? add_edit(e, off, len, kr_str_make(NULL, 0)) : 0;
}

int kr_sip_edit_replace(struct kr_sip_edits *e, size_t off, size_t len, struct kr_str text)
{
    return add_edit(e, off, len, text);
}

bool kr_sip_edits_deleted(const struct kr_sip_edits *e, size_t off, size_t len)
{
    for (size_t i = 0; i < e->n; i++) {
        const struct kr_sip_edit *x = &e->v[i];
        if (x->del && off >= x->off && off + len <= x->off + x->del) {
            return true;
        }
    }
    return false;
}

static bool edit_before(const struct kr_sip_edit *a, const struct kr_sip_edit *b)
{
    return a->off < b->off || (a->off == b->off && a->seq < b->seq);
}

static void apply(const char *base, size_t *pos, const struct kr_sip_edit *x, struct kr_buf *out)
{
    if (x->off > *pos) {
        kr_buf_append(out, base + *pos, x->off - *pos);
    }
    kr_buf_append_str(out, x->ins);
    if (x->off + x->del > *pos) {
        *pos = x->off + x->del;
    }
}

/* A Content-Length header we may rewrite: no user edit deletes any of it. */
static bool cl_kept(const struct kr_sip_edit *const *sorted, size_t n, size_t off, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (sorted[i]->del && overlaps(off, len, sorted[i]->off, sorted[i]->del)) {
            return false;
        }
    }
    return true;
}

/* A Content-Length header one edit deletes whole. */
static bool cl_removed(const struct kr_sip_edit *const *sorted, size_t n, size_t off, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (sorted[i]->del && off >= sorted[i]->off &&
            off + len <= sorted[i]->off + sorted[i]->del) {
            return true;
        }
    }
    return false;
}

int kr_sip_build(const struct kr_sip_msg *msg, const struct kr_sip_edits *e, bool fix_clen,
                 struct kr_buf *out)
{
    const char *base = msg->buf.ptr;
    size_t mlen = msg->buf.len;
    size_t body_off = msg->body.ptr ? (size_t)(msg->body.ptr - base) : mlen;
    size_t n = e ? e->n : 0;
    const struct kr_sip_edit **sorted = NULL;

    if (n) {
        sorted = kr_arena_alloc(e->arena, n * sizeof(*sorted));
        if (sorted == NULL) {
            return KR_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            const struct kr_sip_edit *x = &e->v[i];
            size_t j = i;
            while (j > 0 && edit_before(x, sorted[j - 1])) {
                sorted[j] = sorted[j - 1];
                j--;
            }
            sorted[j] = x;
        }
    }
    bool body_edited = false;
    size_t body_len = msg->body.len;
    for (size_t i = 0; i < n; i++) {
        const struct kr_sip_edit *x = sorted[i];
        if (x->off > mlen || x->del > mlen - x->off) {
            return KR_EINVAL;
        }
        if (x->off >= body_off) {
            body_edited = true;
            body_len = body_len + x->ins.len - x->del;
        } else if (x->off + x->del > body_off) {
            return KR_EINVAL; /* one edit across the header/body boundary */
        }
    }
    bool fix = fix_clen || body_edited;
    char num[24];
    size_t numlen = 0;
    char clhdr[48];
    size_t cllen = 0;
    bool ins_pending = false;
    size_t eoh = body_off;
    if (fix) {
        size_t v = body_len;
        char tmp[24];
        size_t t = sizeof(tmp);
        do {
            tmp[--t] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        numlen = sizeof(tmp) - t;
        memcpy(num, tmp + t, numlen);
        memcpy(clhdr, "Content-Length: ", 16);
        memcpy(clhdr + 16, num, numlen);
        memcpy(clhdr + 16 + numlen, "\r\n", 2);
        cllen = 16 + numlen + 2;
        /* the empty line ends the header section: insert before it */
        if (msg->headers.ptr && msg->headers.len) {
            size_t hend = (size_t)(msg->headers.ptr + msg->headers.len - base);
            eoh = hend - ((hend >= 2 && base[hend - 2] == '\r') ? 2 : 1);
        }
        /* add one only when every Content-Length was removed (or there was none): one
         * that an edit changed belongs to whoever changed it */
        ins_pending = true;
        for (size_t i = 0; i < msg->nhdrs; i++) {
            const struct kr_sip_hdr *h = &msg->hdrs[i];
            if (h->type == KR_SIP_HDR_CONTENT_LENGTH &&
                !cl_removed(sorted, n, (size_t)(h->raw.ptr - base), h->raw.len)) {
                ins_pending = false;
            }
        }
    }
    size_t pos = 0;
    size_t ui = 0;
    size_t hi = 0;
    for (;;) {
        struct kr_sip_edit syn;
        bool have_syn = false;
        if (fix) {
            while (hi < msg->nhdrs && !(msg->hdrs[hi].type == KR_SIP_HDR_CONTENT_LENGTH &&
                                        cl_kept(sorted, n, (size_t)(msg->hdrs[hi].raw.ptr - base),
                                                msg->hdrs[hi].raw.len))) {
                hi++;
            }
            if (hi < msg->nhdrs) {
                const struct kr_sip_hdr *h = &msg->hdrs[hi];
                syn = (struct kr_sip_edit){ .off = (size_t)(h->value.ptr - base),
                                            .del = h->value.len,
                                            .ins = kr_str_make(num, numlen),
                                            .seq = UINT_MAX };
                have_syn = true;
            } else if (ins_pending) {
                syn = (struct kr_sip_edit){ .off = eoh,
                                            .ins = kr_str_make(clhdr, cllen),
                                            .seq = UINT_MAX };
                have_syn = true;
            }
        }
        const struct kr_sip_edit *u = ui < n ? sorted[ui] : NULL;
        if (u && (!have_syn || u->off <= syn.off)) {
            apply(base, &pos, u, out);
            ui++;
        } else if (have_syn) {
            apply(base, &pos, &syn, out);
            if (hi < msg->nhdrs) {
                hi++;
            } else {
                ins_pending = false;
            }
        } else {
            break;
        }
    }
    if (pos < mlen) {
        kr_buf_append(out, base + pos, mlen - pos);
    }
    return out->err;
}

struct kr_str kr_sip_reason_phrase(unsigned code)
{
    static const struct {
        unsigned short code;
        const char *text;
    } tab[] = {
        { 100, "Trying" },
        { 180, "Ringing" },
        { 181, "Call Is Being Forwarded" },
        { 182, "Queued" },
        { 183, "Session Progress" },
        { 200, "OK" },
        { 202, "Accepted" },
        { 300, "Multiple Choices" },
        { 301, "Moved Permanently" },
        { 302, "Moved Temporarily" },
        { 305, "Use Proxy" },
        { 380, "Alternative Service" },
        { 400, "Bad Request" },
        { 401, "Unauthorized" },
        { 402, "Payment Required" },
        { 403, "Forbidden" },
        { 404, "Not Found" },
        { 405, "Method Not Allowed" },
        { 406, "Not Acceptable" },
        { 407, "Proxy Authentication Required" },
        { 408, "Request Timeout" },
        { 410, "Gone" },
        { 413, "Request Entity Too Large" },
        { 414, "Request-URI Too Long" },
        { 415, "Unsupported Media Type" },
        { 416, "Unsupported URI Scheme" },
        { 420, "Bad Extension" },
        { 421, "Extension Required" },
        { 423, "Interval Too Brief" },
        { 480, "Temporarily Unavailable" },
        { 481, "Call/Transaction Does Not Exist" },
        { 482, "Loop Detected" },
        { 483, "Too Many Hops" },
        { 484, "Address Incomplete" },
        { 485, "Ambiguous" },
        { 486, "Busy Here" },
        { 487, "Request Terminated" },
        { 488, "Not Acceptable Here" },
        { 489, "Bad Event" },
        { 491, "Request Pending" },
        { 493, "Undecipherable" },
        { 500, "Server Internal Error" },
        { 501, "Not Implemented" },
        { 502, "Bad Gateway" },
        { 503, "Service Unavailable" },
        { 504, "Server Time-out" },
        { 505, "Version Not Supported" },
        { 513, "Message Too Large" },
        { 600, "Busy Everywhere" },
        { 603, "Decline" },
        { 604, "Does Not Exist Anywhere" },
        { 606, "Not Acceptable" },
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (tab[i].code == code) {
            return kr_str_c(tab[i].text);
        }
    }
    return kr_str_c("Unknown");
}

/* name is a literal: its length is known at compile time */
#define APPEND_HDR(out, lit, value) append_hdr(out, "" lit, sizeof(lit) - 1, value)

static void append_hdr(struct kr_buf *out, const char *name, size_t nlen, struct kr_str value)
{
    kr_buf_append(out, name, nlen);
    kr_buf_append_str(out, value);
    kr_buf_append(out, "\r\n", 2);
}

/* The first Via with via_insert at its place and via_add after its first via-parm (a Via
 * header may hold several). The parse comes from the message's cache. */
static void append_top_via(struct kr_buf *out, const struct kr_sip_msg *req, struct kr_str value,
                           const struct kr_sip_reply_opts *o)
{
    struct kr_sip_via tmp;
    const struct kr_sip_via *via;
    size_t cut = value.len;
    size_t ins = value.len + 1; /* none */

    if ((o->via_add.len || o->via_insert_at) && kr_sip_msg_via1_ref(req, &tmp, &via, NULL) == 0 &&
        via->whole.ptr >= value.ptr && via->whole.ptr + via->whole.len <= value.ptr + value.len) {
        cut = (size_t)(via->whole.ptr + via->whole.len - value.ptr);
        if (o->via_insert_at && o->via_insert_at >= value.ptr &&
            o->via_insert_at <= value.ptr + cut) {
            ins = (size_t)(o->via_insert_at - value.ptr);
        }
    }
    kr_buf_append_c(out, "Via: ");
    if (ins <= cut) {
        kr_buf_append(out, value.ptr, ins);
        kr_buf_append_str(out, o->via_insert);
        kr_buf_append(out, value.ptr + ins, cut - ins);
    } else {
        kr_buf_append(out, value.ptr, cut);
    }
    kr_buf_append_str(out, o->via_add);
    kr_buf_append(out, value.ptr + cut, value.len - cut);
    kr_buf_append(out, "\r\n", 2);
}

int kr_sip_build_reply(const struct kr_sip_msg *req, const struct kr_sip_reply_opts *o,
                       struct kr_buf *out)
{
    if (o->code < 100 || o->code > 699) {
        return KR_EINVAL;
    }
    kr_buf_append(out, "SIP/2.0 ", 8);
    kr_buf_append_u64(out, o->code);
    kr_buf_append_char(out, ' ');
    kr_buf_append_str(out, o->reason.len ? o->reason : kr_sip_reason_phrase(o->code));
    kr_buf_append(out, "\r\n", 2);

    bool top = true;
    int first = req->first[KR_SIP_HDR_VIA];
    for (size_t i = first < 0 ? req->nhdrs : (size_t)first; i < req->nhdrs; i++) {
        const struct kr_sip_hdr *h = &req->hdrs[i];
        if (h->type != KR_SIP_HDR_VIA) {
            continue;
        }
        if (top) {
            append_top_via(out, req, h->value, o);
            top = false;
        } else {
            APPEND_HDR(out, "Via: ", h->value);
        }
    }
    const struct kr_sip_hdr *h = kr_sip_msg_hdr_first(req, KR_SIP_HDR_FROM);
    if (h) {
        APPEND_HDR(out, "From: ", h->value);
    }
    h = kr_sip_msg_hdr_first(req, KR_SIP_HDR_TO);
    if (h) {
        kr_buf_append_c(out, "To: ");
        kr_buf_append_str(out, h->value);
        struct kr_sip_nameaddr tmp;
        const struct kr_sip_nameaddr *na;
        if (o->code > 100 && o->to_tag.len && kr_sip_msg_to_ref(req, &tmp, &na, NULL) == 0 &&
            na->tag.len == 0) {
            kr_buf_append(out, ";tag=", 5);
            kr_buf_append_str(out, o->to_tag);
        }
        kr_buf_append(out, "\r\n", 2);
    }
    h = kr_sip_msg_hdr_first(req, KR_SIP_HDR_CALL_ID);
    if (h) {
        APPEND_HDR(out, "Call-ID: ", h->value);
    }
    h = kr_sip_msg_hdr_first(req, KR_SIP_HDR_CSEQ);
    if (h) {
        APPEND_HDR(out, "CSeq: ", h->value);
    }
    kr_buf_append_str(out, o->extra_headers);
    if (o->server.len) {
        APPEND_HDR(out, "Server: ", o->server);
    }
    if (o->body.len && o->content_type.len) {
        APPEND_HDR(out, "Content-Type: ", o->content_type);
    }
    kr_buf_append_c(out, "Content-Length: ");
    kr_buf_append_u64(out, o->body.len);
    kr_buf_append(out, "\r\n\r\n", 4);
    kr_buf_append_str(out, o->body);
    return out->err;
}
