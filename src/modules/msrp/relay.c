/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MSRP relay engine: path rewriting and sending of whole frames (zero-copy: the new
 * start line and paths, then the received bytes), re-chunking of streamed frames (each
 * piece a complete chunk with its own Byte-Range, so that frames to one connection never
 * interleave and a slow receiver pauses the sender's reads), downstream transactions,
 * REPORTs, and the one-call RFC 4976 relay (msrp_auto_relay). */
#define KR_LOG_UNIT "msrp"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/timer.h"
#include "core/worker.h"
#include "modules/msrp/internal.h"
#include "sip/msg.h"

enum { NEW_TID_LEN = 16 };

static const enum kr_stat fwd_stat[] = {
    [KR_MSRP_METHOD_OTHER] = KR_STAT_MSRP_FWD_OTHER,
    [KR_MSRP_METHOD_SEND] = KR_STAT_MSRP_FWD_SEND,
    [KR_MSRP_METHOD_REPORT] = KR_STAT_MSRP_FWD_REPORT,
    [KR_MSRP_METHOD_AUTH] = KR_STAT_MSRP_FWD_AUTH,
    [KR_MSRP_METHOD_NICKNAME] = KR_STAT_MSRP_FWD_NICKNAME,
};

int msrp_uri_addr(const struct kr_msrp_uri *u, struct kr_sockaddr *out)
{
    if (u->scheme == KR_MSRP_SCHEME_MSRPS) {
        return KR_EINVAL;
    }
    return kr_addr_resolve(u->host, u->port_no ? u->port_no : MSRP_DEF_PORT, out);
}

void msrp_relay_authority(const struct msrp_mod *m, const struct kr_rcv *rcv, struct kr_buf *out)
{
    if (m->use_path_addr.len) {
        kr_buf_append_str(out, m->use_path_addr);
        return;
    }
    const struct kr_listen *l = rcv->sock;
    if (l && !l->is_wildcard) {
        kr_buf_append_c(out, l->adv_host);
        kr_buf_append_char(out, ':');
        kr_buf_append_u64(out, l->adv_port);
        return;
    }
    char a[KR_ADDR_STRLEN];
    kr_buf_append_c(out, kr_addr_str(&rcv->dst, a, sizeof(a)));
}

/* Where a frame goes. */
struct hop {
    struct kr_sockaddr to;
    uint64_t conn_id; /* 0: by address (an existing connection, else a new one) */
    const struct kr_listen *from;
    unsigned flags; /* kr_send_flags */
};

static unsigned send_flags(unsigned script_flags)
{
    return ((script_flags & 1) ? KR_SEND_NO_CONNECT : 0) | ((script_flags & 2) ? KR_SEND_CLOSE : 0);
}

/* The rest of a path after its first URI (the value from the second URI on). */
static struct kr_str path_rest(struct kr_str value, const struct kr_msrp_uri *second)
{
    const char *end = value.ptr + value.len;
    return kr_str_make(second->whole.ptr, (size_t)(end - second->whole.ptr));
}

static struct kr_str hdr_value(const struct kr_msrp_frame *f, enum kr_msrp_hdr_type t)
{
    const struct kr_msrp_hdr *h = kr_msrp_frame_hdr(f, t, 0);
    return h ? h->value : KR_STR_NULL;
}

static enum kr_msrp_failure_report failure_report(const struct kr_msrp_frame *f)
{
    enum kr_msrp_failure_report fr = KR_MSRP_FR_YES;
    struct kr_err err = { 0 };
    struct kr_str v = hdr_value(f, KR_MSRP_HDR_FAILURE_REPORT);
    if (v.ptr && kr_msrp_parse_failure_report(v, &fr, &err) < 0) {
        fr = KR_MSRP_FR_YES;
    }
    return fr;
}

/* A fresh transaction id whose end-line does not occur in body. */
static int new_tid(struct kr_str body, char out[NEW_TID_LEN])
{
    for (int i = 0; i < 8; i++) {
        if (kr_msrp_random_token(out, NEW_TID_LEN) < 0) {
            return KR_EIO;
        }
        if (!kr_msrp_tid_collides(body, kr_str_make(out, NEW_TID_LEN))) {
            return 0;
        }
    }
    return KR_EIO;
}

static int send_iov(struct kr_worker *w, const struct hop *h, struct iovec *iov, unsigned n,
                    uint64_t *used)
{
    struct kr_send_dst d = {
        .proto = KR_PROTO_TCP,
        .to = h->to,
        .from = h->from,
        .conn_id = h->conn_id,
        .flags = h->flags,
        .used_conn = used,
    };
    return kr_net_sendv(w, &d, iov, n);
}

/* Sends the whole frame rx with a new tid (or the same), To-Path tp and From-Path fp: the
 * new start line and paths, then the received bytes from the third header to the
 * end-line, then the end-line. */
static int send_whole(struct kr_msrp_rx *rx, const struct hop *h, struct kr_str tid,
                      struct kr_str tp, struct kr_str fp, uint64_t *used)
{
    const struct kr_msrp_frame *f = &rx->f;
    struct kr_buf head;
    kr_buf_init_arena(&head, &rx->w->arena, 128 + tp.len + fp.len, 1 << 20);
    kr_buf_append(&head, "MSRP ", 5);
    kr_buf_append_str(&head, tid);
    kr_buf_append_char(&head, ' ');
    kr_buf_append_str(
        &head, kr_str_make(f->start_line.ptr + 6 + f->tid.len, f->start_line.len - 6 - f->tid.len));
    kr_buf_append_c(&head, "\r\nTo-Path: ");
    kr_buf_append_str(&head, tp);
    kr_buf_append_c(&head, "\r\nFrom-Path: ");
    kr_buf_append_str(&head, fp);
    kr_buf_append(&head, "\r\n", 2);
    if (head.err) {
        return head.err;
    }
    const char *rest = f->hdrs[1].raw.ptr + f->hdrs[1].raw.len;
    const char *end_line = rx->data + rx->len - (7 + f->tid.len + 3);
    char tail[7 + KR_MSRP_TID_MAX + 3];
    memcpy(tail, "-------", 7);
    memcpy(tail + 7, tid.ptr, tid.len);
    tail[7 + tid.len] = rx->flag;
    memcpy(tail + 8 + tid.len, "\r\n", 2);
    struct iovec iov[3] = {
        { .iov_base = head.ptr, .iov_len = head.len },
        { .iov_base = (void *)rest, .iov_len = (size_t)(end_line - rest) },
        { .iov_base = tail, .iov_len = 10 + tid.len },
    };
    int rc = send_iov(rx->w, h, iov, 3, used);
    if (rc == 0) {
        if (f->is_request) {
            kr_stat_inc(fwd_stat[f->method_id]);
        } else {
            kr_stat_inc(KR_STAT_MSRP_FWD_RESPONSES);
        }
        kr_stat_add(KR_STAT_MSRP_BYTES_RELAYED, rx->body.len);
    }
    return rc;
}

/* The source stops being read while the destination's queue is above its mark. */
static void throttle(struct kr_msrp_rx *rx, uint64_t dst_conn)
{
    if (dst_conn && kr_net_conn_wait_drain(dst_conn, rx->rcv->conn_id) == 1) {
        kr_net_conn_pause(rx->rcv->conn_id);
    }
}

/* ---- streamed frames: the re-chunking sink ---- */

struct rsink {
    struct msrp_mod *m;
    uint64_t up_conn;
    struct hop hop;
    uint64_t dst_conn;
    bool discard;       /* read to the end-line, send nothing */
    bool keep_last_tid; /* Kamailio's msrp_relay(): the last piece keeps the tid */
    bool hop_ok;        /* answer 200 upstream at the end (Failure-Report yes) */
    bool report_errors; /* Failure-Report yes or partial */
    bool partial;
    bool failed;
    unsigned fail_code;
    const char *fail_text;
    char tid[KR_MSRP_TID_MAX + 1];
    size_t tid_len;
    struct kr_msrp_end_state st;
    char hb[64]; /* bytes held back: maybe the start of the end-line */
    size_t hb_len;
    uint64_t in;   /* body bytes received */
    uint64_t sent; /* body bytes sent on */
    uint64_t range_start;
    char total[24];
    uint64_t max_frame;
    char *pre; /* "To-Path: ..\r\nFrom-Path: ..\r\n" and the other headers but MIME ones */
    size_t pre_len;
    char *mime; /* Content-* headers, then the blank line */
    size_t mime_len;
    char *from_path; /* as received: REPORT To-Path */
    size_t from_path_len;
    char *prev_hop; /* first From-Path URI: response To-Path */
    size_t prev_hop_len;
    char *relay_uri; /* first To-Path URI: our From-Path */
    size_t relay_uri_len;
    char *msgid;
    size_t msgid_len;
};

static void rsink_free(struct rsink *s)
{
    free(s->pre);
    free(s->mime);
    free(s->from_path);
    free(s->prev_hop);
    free(s->relay_uri);
    free(s->msgid);
    free(s);
}

static char *dup_bytes(struct kr_str v, size_t *len)
{
    char *p = malloc(v.len ? v.len : 1);
    if (p && v.len) {
        memcpy(p, v.ptr, v.len);
    }
    *len = v.len;
    return p;
}

static struct kr_str sv(const char *p, size_t n)
{
    return kr_str_make(p, n);
}

/* Sends what the relay made itself (a response or a REPORT) on connection conn and
 * counts it in stat (KR_STAT__COUNT: nowhere); frees b. */
static void send_own(uint64_t conn, struct kr_buf *b, enum kr_stat stat)
{
    if (!b->err) {
        struct kr_send_dst d = { .proto = KR_PROTO_TCP,
                                 .conn_id = conn,
                                 .flags = KR_SEND_NO_CONNECT };
        if (kr_net_send(NULL, &d, b->ptr, b->len) == 0 && stat != KR_STAT__COUNT) {
            kr_stat_inc(stat);
        }
    }
    kr_buf_fini(b);
}

/* The relay's own response (code, text) to request tid, on connection conn: To-Path the
 * previous hop(s), From-Path the relay's URI. */
static void own_response(uint64_t conn, struct kr_str tid, unsigned code, const char *text,
                         struct kr_str to_path, struct kr_str from_path)
{
    struct kr_buf b;
    kr_buf_init_heap(&b, 256, 1 << 20);
    kr_buf_printf(&b, "MSRP %.*s %u %s\r\nTo-Path: ", (int)tid.len, tid.ptr, code, text);
    kr_buf_append_str(&b, to_path);
    kr_buf_append_c(&b, "\r\nFrom-Path: ");
    kr_buf_append_str(&b, from_path);
    kr_buf_printf(&b, "\r\n-------%.*s$\r\n", (int)tid.len, tid.ptr);
    send_own(conn, &b, code >= 400 ? KR_STAT_MSRP_ERRORS : KR_STAT__COUNT);
}

/* A response (code, text) to the streamed request, on the upstream connection. */
static void rsink_answer(struct rsink *s, unsigned code, const char *text)
{
    own_response(s->up_conn, sv(s->tid, s->tid_len), code, text, sv(s->prev_hop, s->prev_hop_len),
                 sv(s->relay_uri, s->relay_uri_len));
}

static void rsink_fail(struct rsink *s, unsigned code, const char *text)
{
    if (!s->failed) {
        s->failed = true;
        s->fail_code = code;
        s->fail_text = text;
    }
}

/* Sends one piece: n1 bytes of a then n2 bytes of b, ending with flag. */
static int rsink_piece(struct rsink *s, struct kr_worker *w, const char *a, size_t n1,
                       const char *b, size_t n2, char flag, bool last)
{
    char tid[NEW_TID_LEN + KR_MSRP_TID_MAX];
    size_t tid_len;
    if (last && s->keep_last_tid) {
        memcpy(tid, s->tid, s->tid_len);
        tid_len = s->tid_len;
    } else {
        /* the piece's bytes are all here: check them for the new end-line */
        bool ok = false;
        for (int i = 0; i < 8 && !ok; i++) {
            if (kr_msrp_random_token(tid, NEW_TID_LEN) < 0) {
                return KR_EIO;
            }
            struct kr_str t = sv(tid, NEW_TID_LEN);
            ok = !kr_msrp_tid_collides(sv(a, n1), t) && !kr_msrp_tid_collides(sv(b, n2), t);
            /* a straddling end-line would need the bytes joined: rare enough to check the
             * seam on its own */
            if (ok && n1 && n2) {
                char seam[2 * (7 + NEW_TID_LEN)];
                size_t l1 = n1 < 7 + NEW_TID_LEN ? n1 : 7 + NEW_TID_LEN;
                size_t l2 = n2 < 7 + NEW_TID_LEN ? n2 : 7 + NEW_TID_LEN;
                memcpy(seam, a + n1 - l1, l1);
                memcpy(seam + l1, b, l2);
                ok = !kr_msrp_tid_collides(sv(seam, l1 + l2), t);
            }
        }
        if (!ok) {
            return KR_EIO;
        }
        tid_len = NEW_TID_LEN;
    }
    uint64_t start = s->range_start + s->sent;
    uint64_t n = n1 + n2;
    char head[64];
    int hl = snprintf(head, sizeof(head), "MSRP %.*s SEND\r\n", (int)tid_len, tid);
    char range[96];
    int rl = snprintf(range, sizeof(range), "Byte-Range: %llu-%llu/%s\r\n",
                      (unsigned long long)start, (unsigned long long)(start + n - 1), s->total);
    char tail[8 + 7 + NEW_TID_LEN + KR_MSRP_TID_MAX];
    int tl = snprintf(tail, sizeof(tail), "\r\n-------%.*s%c\r\n", (int)tid_len, tid, flag);
    struct iovec iov[7] = {
        { .iov_base = head, .iov_len = (size_t)hl },
        { .iov_base = s->pre, .iov_len = s->pre_len },
        { .iov_base = range, .iov_len = (size_t)rl },
        { .iov_base = s->mime, .iov_len = s->mime_len },
        { .iov_base = (void *)a, .iov_len = n1 },
        { .iov_base = (void *)b, .iov_len = n2 },
        { .iov_base = tail, .iov_len = (size_t)tl },
    };
    int rc = send_iov(w, &s->hop, iov, 7, &s->dst_conn);
    if (rc < 0) {
        return rc;
    }
    kr_stat_inc(KR_STAT_MSRP_FWD_SEND);
    kr_stat_add(KR_STAT_MSRP_BYTES_RELAYED, n);
    if (!(last && s->keep_last_tid) && (s->report_errors)) {
        char br[96];
        int bl = snprintf(br, sizeof(br), "%llu-%llu/%s", (unsigned long long)start,
                          (unsigned long long)(start + n - 1), s->total);
        struct kr_msrp_tx tpl = {
            .kind = KR_MSRP_TX_PIECE,
            .up_conn = s->up_conn,
            .deadline = kr_time_now_ms() + (uint64_t)s->m->tx_timeout * 1000u,
            .report_errors = true,
            .partial = s->partial,
            .orig_tid = sv(s->tid, s->tid_len),
            .from_path = sv(s->from_path, s->from_path_len),
            .relay_uri = sv(s->relay_uri, s->relay_uri_len),
            .message_id = sv(s->msgid, s->msgid_len),
            .byte_range = sv(br, (size_t)bl),
            .method = KR_STR("SEND"),
        };
        memcpy(tpl.tid, tid, tid_len);
        tpl.tid_len = tid_len;
        struct kr_msrp_tx *tx = kr_msrp_tx_new(&tpl);
        if (tx) {
            kr_msrp_tx_add(s->m->txs, tx);
        }
    }
    s->sent += n;
    return 0;
}

static void rsink_finish(struct rsink *s)
{
    if (s->discard) {
        return;
    }
    if (s->failed) {
        if (s->report_errors || s->keep_last_tid) {
            rsink_answer(s, s->fail_code, s->fail_text);
        }
    } else if (s->hop_ok) {
        rsink_answer(s, 200, "OK");
    }
}

static long rsink_feed(struct kr_worker *w, void *arg, const char *data, size_t len,
                       enum kr_net_sink_state *state)
{
    struct rsink *s = arg;
    struct kr_msrp_end_state saved = s->st;
    uint64_t saved_in = s->in;
    char flag = 0;
    long r = kr_msrp_find_end(data, len, sv(s->tid, s->tid_len), &s->st, &flag);
    size_t used = r >= 0 ? (size_t)r : len;
    size_t avail = s->hb_len + used;
    size_t fwd;
    if (r >= 0) {
        /* everything up to the end-line's CRLF is body */
        uint64_t body = s->st.body_len;
        fwd = (size_t)(body - (s->in - s->hb_len));
        s->in = body;
    } else {
        /* hold back what may be the end-line's start, and one body byte more: the last
         * piece is never empty unless the body is */
        size_t keep = (s->st.matched < s->st.pos ? s->st.matched : s->st.pos) + 1;
        if (keep > avail) {
            keep = avail;
        }
        fwd = avail - keep;
        s->in += len;
    }
    if (!s->failed && s->in > s->max_frame) {
        rsink_fail(s, 413, "Message Too Large");
        if (!s->discard && s->sent + fwd > 0) {
            /* what went out is closed as an aborted chunk */
            rsink_piece(s, w, s->hb, 0, data, 0, '#', true);
        }
    }
    if (!s->discard && !s->failed && (fwd > 0 || r >= 0)) {
        size_t n1 = fwd < s->hb_len ? fwd : s->hb_len;
        size_t n2 = fwd - n1;
        int rc = rsink_piece(s, w, s->hb, n1, data, n2, r >= 0 ? flag : '+', r >= 0);
        if (rc == KR_ELIMIT && s->dst_conn &&
            kr_net_conn_wait_drain(s->dst_conn, s->up_conn) == 1) {
            /* the destination is full: offer these bytes again once it drained */
            s->st = saved;
            s->in = saved_in;
            *state = KR_NET_SINK_PAUSE;
            return 0;
        }
        if (rc < 0) {
            KR_DBG("relaying a chunk failed: %s", kr_strerror(rc));
            rsink_fail(s, 408, "Request Timeout - next hop failed");
        }
    }
    if (r >= 0) {
        rsink_finish(s);
        rsink_free(s);
        *state = KR_NET_SINK_DONE;
        return r;
    }
    /* keep the held-back tail: the last (avail - fwd) bytes of hb + data */
    size_t keep = avail - fwd;
    char tmp[sizeof(s->hb)];
    size_t from_hb = keep > len ? keep - len : 0;
    memcpy(tmp, s->hb + s->hb_len - from_hb, from_hb);
    memcpy(tmp + from_hb, data + len - (keep - from_hb), keep - from_hb);
    memcpy(s->hb, tmp, keep);
    s->hb_len = keep;
    *state = KR_NET_SINK_MORE;
    if (!s->discard && !s->failed && s->dst_conn &&
        kr_net_conn_wait_drain(s->dst_conn, s->up_conn) == 1) {
        *state = KR_NET_SINK_PAUSE;
    }
    return (long)len;
}

static void rsink_abort(struct kr_worker *w, void *arg)
{
    struct rsink *s = arg;
    (void)w;
    /* the sender went away mid-chunk: the receiver gets what arrived, marked aborted */
    if (w && !s->discard && !s->failed && s->sent + s->hb_len > 0) {
        rsink_piece(s, w, s->hb, s->hb_len, NULL, 0, '#', true);
    }
    rsink_free(s);
}

static struct rsink *rsink_new(struct kr_msrp_rx *rx)
{
    struct rsink *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->m = rx->mod;
    s->up_conn = rx->rcv->conn_id;
    memcpy(s->tid, rx->f.tid.ptr, rx->f.tid.len);
    s->tid_len = rx->f.tid.len;
    kr_msrp_end_init(&s->st, true);
    s->max_frame = (uint64_t)rx->mod->max_frame_size;
    s->range_start = 1;
    memcpy(s->total, "*", 2);
    return s;
}

static void install(struct kr_msrp_rx *rx, struct rsink *s)
{
    rx->rcv->sink->feed = rsink_feed;
    rx->rcv->sink->abort = rsink_abort;
    rx->rcv->sink->arg = s;
    rx->done = true;
}

void msrp_sink_discard(struct kr_msrp_rx *rx)
{
    if (!rx->streamed || rx->rcv->sink->feed) {
        return; /* a whole frame, or a sink took the body already */
    }
    struct rsink *s = rsink_new(rx);
    if (!s) {
        return; /* nobody takes the body: the transport closes the connection */
    }
    s->discard = true;
    install(rx, s);
}

static bool is_mime(const struct kr_msrp_hdr *h)
{
    return kr_str_casestarts(h->name, KR_STR("Content-"));
}

/* Sets the sink up to relay the streamed SEND rx to hop with paths tp / fp. */
static int stream_relay(struct kr_msrp_rx *rx, const struct hop *h, struct kr_str tp,
                        struct kr_str fp, bool keep_tid, bool hop_ok)
{
    const struct kr_msrp_frame *f = &rx->f;
    if (!f->is_request || f->method_id != KR_MSRP_METHOD_SEND) {
        msrp_answer(rx, 413, KR_STR("Message Too Large"), KR_STR_NULL);
        msrp_sink_discard(rx);
        return -1;
    }
    struct rsink *s = rsink_new(rx);
    if (!s) {
        return KR_ENOMEM;
    }
    s->hop = *h;
    s->keep_last_tid = keep_tid;
    enum kr_msrp_failure_report fr = failure_report(f);
    s->report_errors = fr != KR_MSRP_FR_NO;
    s->partial = fr == KR_MSRP_FR_PARTIAL;
    s->hop_ok = hop_ok && fr == KR_MSRP_FR_YES;
    struct kr_msrp_range br;
    struct kr_err err = { 0 };
    struct kr_str brv = hdr_value(f, KR_MSRP_HDR_BYTE_RANGE);
    if (brv.ptr && kr_msrp_parse_range(brv, &br, &err) == 0) {
        s->range_start = br.start;
        if (!br.total_star) {
            snprintf(s->total, sizeof(s->total), "%llu", (unsigned long long)br.total);
        }
    }
    struct kr_buf pre;
    struct kr_buf mime;
    kr_buf_init_heap(&pre, 256, 1 << 20);
    kr_buf_init_heap(&mime, 64, 1 << 20);
    kr_buf_append_c(&pre, "To-Path: ");
    kr_buf_append_str(&pre, tp);
    kr_buf_append_c(&pre, "\r\nFrom-Path: ");
    kr_buf_append_str(&pre, fp);
    kr_buf_append(&pre, "\r\n", 2);
    for (size_t i = 2; i < f->nhdrs; i++) {
        const struct kr_msrp_hdr *hd = &f->hdrs[i];
        if (hd->type == KR_MSRP_HDR_BYTE_RANGE) {
            continue;
        }
        kr_buf_append_str(is_mime(hd) ? &mime : &pre, hd->raw);
    }
    kr_buf_append(&mime, "\r\n", 2);
    int rc = pre.err ? pre.err : mime.err;
    s->pre = pre.ptr;
    s->pre_len = pre.len;
    s->mime = mime.ptr;
    s->mime_len = mime.len;
    s->from_path = dup_bytes(hdr_value(f, KR_MSRP_HDR_FROM_PATH), &s->from_path_len);
    s->prev_hop = dup_bytes(rx->from[0].whole, &s->prev_hop_len);
    s->relay_uri = dup_bytes(rx->to[0].whole, &s->relay_uri_len);
    s->msgid = dup_bytes(hdr_value(f, KR_MSRP_HDR_MESSAGE_ID), &s->msgid_len);
    if (rc < 0 || !s->from_path || !s->prev_hop || !s->relay_uri || !s->msgid) {
        rsink_free(s);
        return rc < 0 ? rc : KR_ENOMEM;
    }
    install(rx, s);
    return 1;
}

/* ---- Kamailio's msrp_relay() / msrp_forward() ---- */

static int hop_of(struct kr_msrp_rx *rx, const struct kr_msrp_uri *next, struct hop *h)
{
    memset(h, 0, sizeof(*h));
    h->flags = send_flags(rx->relay_flags);
    if (rx->has_dst) {
        h->to = rx->dst;
        h->conn_id = rx->dst_conn;
        h->from = rx->dst_sock;
        return 0;
    }
    if (!next) {
        return KR_ENOTFOUND;
    }
    int rc = msrp_uri_addr(next, &h->to);
    if (rc == KR_EINVAL) {
        KR_WARN("next hop " KR_STR_FMT " is msrps: TLS is not in korero yet",
                KR_STR_ARG(next->whole));
    }
    return rc;
}

int msrp_relay_kamailio(struct kr_msrp_rx *rx)
{
    if (msrp_rx_paths(rx) < 0 || rx->nto < 2) {
        return -1; /* nowhere to go (Kamailio refuses a single-URI To-Path too) */
    }
    struct hop h;
    if (hop_of(rx, &rx->to[1], &h) < 0) {
        return -1;
    }
    const struct kr_msrp_hdr *tph = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_TO_PATH, 0);
    const struct kr_msrp_hdr *fph = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_FROM_PATH, 0);
    struct kr_str tp = path_rest(tph->value, &rx->to[1]);
    struct kr_buf fp;
    kr_buf_init_arena(&fp, &rx->w->arena, rx->to[0].whole.len + fph->value.len + 2, 1 << 20);
    kr_buf_append_str(&fp, rx->to[0].whole);
    kr_buf_append_char(&fp, ' ');
    kr_buf_append_str(&fp, fph->value);
    if (fp.err) {
        return -1;
    }
    if (rx->streamed) {
        return stream_relay(rx, &h, tp, kr_buf_str(&fp), true, false) < 0 ? -1 : 1;
    }
    uint64_t used = 0;
    int rc = send_whole(rx, &h, rx->f.tid, tp, kr_buf_str(&fp), &used);
    if (rc < 0) {
        KR_DBG("msrp_relay: %s", kr_strerror(rc));
        return -1;
    }
    rx->done = true;
    throttle(rx, used);
    return 1;
}

int msrp_forward_paths(struct kr_msrp_rx *rx, struct kr_str tpath, struct kr_str fpath)
{
    if (msrp_rx_paths(rx) < 0) {
        return -1;
    }
    const struct kr_msrp_hdr *tph = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_TO_PATH, 0);
    const struct kr_msrp_hdr *fph = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_FROM_PATH, 0);
    struct kr_str tp = tpath.len ? tpath : tph->value;
    struct kr_str fp = fpath.len ? fpath : fph->value;
    struct kr_msrp_uri first;
    struct kr_err err = { 0 };
    struct kr_str rest = tp;
    if (kr_msrp_path_next(&rest, &first, &err) != 1) {
        return -1;
    }
    struct hop h;
    if (hop_of(rx, &first, &h) < 0) {
        return -1;
    }
    if (rx->streamed) {
        return stream_relay(rx, &h, tp, fp, true, false) < 0 ? -1 : 1;
    }
    uint64_t used = 0;
    if (send_whole(rx, &h, rx->f.tid, tp, fp, &used) < 0) {
        return -1;
    }
    rx->done = true;
    throttle(rx, used);
    return 1;
}

/* ---- transactions, responses, REPORTs ---- */

void msrp_report(struct msrp_mod *m, const struct kr_msrp_tx *tx, unsigned code, const char *text)
{
    (void)m;
    if (tx->message_id.len == 0) {
        return;
    }
    char tid[NEW_TID_LEN];
    if (kr_msrp_random_token(tid, NEW_TID_LEN) < 0) {
        return;
    }
    struct kr_buf b;
    kr_buf_init_heap(&b, 512, 1 << 20);
    kr_buf_printf(&b, "MSRP %.*s REPORT\r\nTo-Path: ", NEW_TID_LEN, tid);
    kr_buf_append_str(&b, tx->from_path);
    kr_buf_append_c(&b, "\r\nFrom-Path: ");
    kr_buf_append_str(&b, tx->relay_uri);
    kr_buf_append_c(&b, "\r\nMessage-ID: ");
    kr_buf_append_str(&b, tx->message_id);
    if (tx->byte_range.len) {
        kr_buf_append_c(&b, "\r\nByte-Range: ");
        kr_buf_append_str(&b, tx->byte_range);
    }
    kr_buf_printf(&b, "\r\nStatus: 000 %u %s\r\n-------%.*s$\r\n", code, text, NEW_TID_LEN, tid);
    send_own(tx->up_conn, &b, KR_STAT_MSRP_REPORTS);
}

/* A response to a non-SEND request goes back upstream with the original tid. */
static void e2e_back(struct kr_msrp_rx *rx, const struct kr_msrp_tx *tx)
{
    if (msrp_rx_paths(rx) < 0) {
        return;
    }
    const struct kr_msrp_hdr *tph = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_TO_PATH, 0);
    const struct kr_msrp_hdr *fph = kr_msrp_frame_hdr(&rx->f, KR_MSRP_HDR_FROM_PATH, 0);
    /* the response's To-Path starts with the URI the relay put in the request's
     * From-Path: the rest is the way back */
    struct kr_str tp = rx->nto > 1 ? path_rest(tph->value, &rx->to[1]) : tx->from_path;
    struct kr_buf fp;
    kr_buf_init_arena(&fp, &rx->w->arena, tx->relay_uri.len + fph->value.len + 2, 1 << 20);
    kr_buf_append_str(&fp, tx->relay_uri);
    kr_buf_append_char(&fp, ' ');
    kr_buf_append_str(&fp, fph->value);
    struct hop h = { .conn_id = tx->up_conn, .flags = KR_SEND_NO_CONNECT };
    if (!fp.err) {
        send_whole(rx, &h, tx->orig_tid, tp, kr_buf_str(&fp), NULL);
    }
}

bool msrp_tx_response(struct kr_msrp_rx *rx)
{
    struct kr_msrp_tx *tx = kr_msrp_tx_take(rx->mod->txs, rx->f.tid);
    if (!tx) {
        return false;
    }
    if (!rx->streamed) {
        /* responses have no body; whole_body only finds the flag */
        rx->flag = rx->data[rx->len - 3];
    }
    if (tx->kind == KR_MSRP_TX_E2E) {
        e2e_back(rx, tx);
    } else if (rx->f.status >= 300 && tx->report_errors) {
        char text[128];
        size_t n = rx->f.comment.len < sizeof(text) - 1 ? rx->f.comment.len : sizeof(text) - 1;
        memcpy(text, rx->f.comment.ptr, n);
        text[n] = '\0';
        msrp_report(rx->mod, tx, rx->f.status, n ? text : "Error");
    }
    kr_msrp_tx_free(tx);
    if (rx->streamed) {
        msrp_sink_discard(rx);
    }
    return true;
}

static void timeout_answer(const struct kr_msrp_tx *tx)
{
    own_response(tx->up_conn, tx->orig_tid, 408, "Request Timeout", tx->from_path, tx->relay_uri);
}

void msrp_sweep(struct msrp_mod *m, uint64_t now_ms)
{
    struct kr_msrp_tx *tx = kr_msrp_tx_take_expired(m->txs, now_ms);
    while (tx) {
        struct kr_msrp_tx *next = tx->next;
        if (tx->kind == KR_MSRP_TX_E2E) {
            timeout_answer(tx);
        } else if (tx->report_errors && !tx->partial) {
            msrp_report(m, tx, 408, "Request Timeout");
        }
        kr_msrp_tx_free(tx);
        tx = next;
    }
    if (now_ms - m->last_expire_ms >= (uint64_t)m->timer_interval * 1000u) {
        m->last_expire_ms = now_ms;
        kr_msrp_sess_expire(m->sess, time(NULL));
    }
}

/* ---- sessions: msrp_cmap_save() and AUTH ---- */

static int bind_and_answer(struct kr_msrp_rx *rx, const char *user)
{
    struct msrp_mod *m = rx->mod;
    int64_t want = m->auth_max_expires;
    struct kr_str ev = hdr_value(&rx->f, KR_MSRP_HDR_EXPIRES);
    if (ev.ptr) {
        uint32_t v = 0;
        struct kr_err err = { 0 };
        if (kr_msrp_parse_expires(ev, &v, &err) < 0) {
            return msrp_answer(rx, 400, KR_STR("Bad Request - Expires"), KR_STR_NULL);
        }
        char hdr[64];
        if ((int64_t)v < m->auth_min_expires) {
            int n =
                snprintf(hdr, sizeof(hdr), "Min-Expires: %lld\r\n", (long long)m->auth_min_expires);
            return msrp_answer(rx, 423, KR_STR("Interval Out-of-Bounds"), sv(hdr, (size_t)n));
        }
        if ((int64_t)v > m->auth_max_expires) {
            int n =
                snprintf(hdr, sizeof(hdr), "Max-Expires: %lld\r\n", (long long)m->auth_max_expires);
            return msrp_answer(rx, 423, KR_STR("Interval Out-of-Bounds"), sv(hdr, (size_t)n));
        }
        want = v;
    }
    struct kr_msrp_sess_info in = { 0 };
    struct kr_msrp_sess_info out;
    struct kr_str peer = rx->from[0].whole;
    if (peer.len >= sizeof(in.peer)) {
        return msrp_answer(rx, 400, KR_STR("Bad Request - From-Path too long"), KR_STR_NULL);
    }
    memcpy(in.peer, peer.ptr, peer.len);
    snprintf(in.user, sizeof(in.user), "%s", user);
    in.conn_id = rx->rcv->conn_id;
    in.src = rx->rcv->src;
    in.sock = rx->rcv->sock;
    in.created = time(NULL);
    in.expires = in.created + want;
    if (kr_msrp_sess_bind(m->sess, &in, &out) < 0) {
        return msrp_answer(rx, 500, KR_STR("Server Error"), KR_STR_NULL);
    }
    struct kr_buf h;
    kr_buf_init_arena(&h, &rx->w->arena, 160, 4096);
    kr_buf_append_c(&h, "Use-Path: msrp://");
    msrp_relay_authority(m, rx->rcv, &h);
    kr_buf_append_char(&h, '/');
    kr_buf_append_c(&h, out.id);
    kr_buf_append_c(&h, ";tcp\r\nExpires: ");
    kr_buf_append_i64(&h, want);
    kr_buf_append(&h, "\r\n", 2);
    if (h.err) {
        return -1;
    }
    return msrp_answer(rx, 200, KR_STR("OK"), kr_buf_str(&h));
}

int msrp_cmap_save_do(struct kr_msrp_rx *rx, const char *user)
{
    if (msrp_rx_paths(rx) < 0) {
        return -1;
    }
    int rc = bind_and_answer(rx, user);
    return rc < 0 ? -1 : 1;
}

static int challenge(struct kr_msrp_rx *rx, struct kr_str realm, bool stale)
{
    struct kr_buf h;
    kr_buf_init_arena(&h, &rx->w->arena, 256, 4096);
    kr_buf_append_c(&h, "WWW-Authenticate: ");
    int rc = kr_auth_challenge_value(rx->mod->auth, realm,
                                     KR_AUTH_F_QOP_AUTH | (stale ? KR_AUTH_F_STALE : 0),
                                     kr_auth_now(), &h);
    kr_buf_append(&h, "\r\n", 2);
    if (rc < 0 || h.err) {
        return -1;
    }
    return msrp_answer(rx, 401, KR_STR("Unauthorized"), kr_buf_str(&h));
}

/* The password the script gives for the user; KR_ENOTFOUND when the expression has no
 * value (an unknown user: "$sht(users=>$au)" of a missing key) or is empty, so that no
 * password at all can never match. */
static int password_of(struct kr_ctx *ctx, const struct kr_arg *a, struct kr_str *out)
{
    const struct kr_fmt *f = a->fmt;
    if (f && f->nparts == 1 && f->parts[0].pv && f->parts[0].lit.len == 0) {
        struct kr_value v;
        int rc = kr_pv_get(ctx, f->parts[0].pv, &v);
        if (rc < 0 || v.type == KR_VAL_NULL) {
            return KR_ENOTFOUND;
        }
        rc = kr_value_to_str(ctx->arena, &v, out);
        if (rc < 0) {
            return rc;
        }
    } else if (kr_arg_str(ctx, a, out) < 0) {
        return KR_ENOTFOUND;
    }
    return out->len ? 0 : KR_ENOTFOUND;
}

static int auth_request(struct kr_ctx *ctx, struct kr_msrp_rx *rx, struct kr_str realm,
                        const struct kr_arg *password)
{
    struct kr_str av = hdr_value(&rx->f, KR_MSRP_HDR_AUTHORIZATION);
    if (!av.ptr) {
        return challenge(rx, realm, false);
    }
    struct kr_sip_auth sa;
    struct kr_auth_cred cred;
    struct kr_err err = { 0 };
    if (kr_sip_parse_auth(av, &sa, &err) < 0) {
        kr_stat_inc(KR_STAT_MSRP_AUTH_FAILED);
        return msrp_answer(rx, 400, KR_STR("Bad Request - Authorization"), KR_STR_NULL);
    }
    kr_auth_cred_from_sip(&sa, &cred);
    struct kr_msrp_uri du;
    if (!kr_str_eq(cred.realm, realm) || kr_msrp_uri_parse(cred.uri, &du, &err) < 0 ||
        !kr_msrp_uri_eq(&du, &rx->to[0])) {
        kr_stat_inc(KR_STAT_MSRP_AUTH_FAILED);
        return challenge(rx, realm, false);
    }
    struct kr_str pw;
    if (password_of(ctx, password, &pw) < 0) {
        kr_stat_inc(KR_STAT_MSRP_AUTH_FAILED);
        KR_INFO("AUTH from unknown user " KR_STR_FMT, KR_STR_ARG(cred.username));
        return challenge(rx, realm, false);
    }
    int rc = kr_auth_check(rx->mod->auth, &cred, KR_STR("AUTH"), pw, false, kr_auth_now());
    if (rc != KR_AUTH_OK) {
        kr_stat_inc(KR_STAT_MSRP_AUTH_FAILED);
        KR_INFO("AUTH from " KR_STR_FMT " failed (%d)", KR_STR_ARG(cred.username), rc);
        return challenge(rx, realm, rc == KR_AUTH_STALE);
    }
    kr_stat_inc(KR_STAT_MSRP_AUTH_OK);
    char user[KR_MSRP_USER_MAX];
    size_t n = cred.username.len < sizeof(user) - 1 ? cred.username.len : sizeof(user) - 1;
    memcpy(user, cred.username.ptr, n);
    user[n] = '\0';
    return bind_and_answer(rx, user);
}

/* ---- the one-call relay ---- */

/* Forwards the request rx to hop with a new tid: the relay's URI moves from To-Path to
 * From-Path; a SEND is answered upstream here (Failure-Report), other requests get their
 * response back end-to-end. */
static int auto_forward(struct kr_msrp_rx *rx, const struct hop *h)
{
    const struct kr_msrp_frame *f = &rx->f;
    const struct kr_msrp_hdr *tph = kr_msrp_frame_hdr(f, KR_MSRP_HDR_TO_PATH, 0);
    const struct kr_msrp_hdr *fph = kr_msrp_frame_hdr(f, KR_MSRP_HDR_FROM_PATH, 0);
    struct kr_str tp = path_rest(tph->value, &rx->to[1]);
    struct kr_buf fp;
    kr_buf_init_arena(&fp, &rx->w->arena, rx->to[0].whole.len + fph->value.len + 2, 1 << 20);
    kr_buf_append_str(&fp, rx->to[0].whole);
    kr_buf_append_char(&fp, ' ');
    kr_buf_append_str(&fp, fph->value);
    if (fp.err) {
        return -1;
    }
    bool is_send = f->method_id == KR_MSRP_METHOD_SEND;
    enum kr_msrp_failure_report fr = failure_report(f);
    if (rx->streamed) {
        return stream_relay(rx, h, tp, kr_buf_str(&fp), false, true);
    }
    char tid[NEW_TID_LEN];
    if (new_tid(rx->body, tid) < 0) {
        return -1;
    }
    struct kr_msrp_tx tpl = {
        .kind = is_send ? KR_MSRP_TX_HOP : KR_MSRP_TX_E2E,
        .up_conn = rx->rcv->conn_id,
        .deadline = kr_time_now_ms() + (uint64_t)rx->mod->tx_timeout * 1000u,
        .report_errors = fr != KR_MSRP_FR_NO,
        .partial = fr == KR_MSRP_FR_PARTIAL,
        .orig_tid = f->tid,
        .from_path = fph->value,
        .relay_uri = rx->to[0].whole,
        .message_id = hdr_value(f, KR_MSRP_HDR_MESSAGE_ID),
        .byte_range = hdr_value(f, KR_MSRP_HDR_BYTE_RANGE),
        .method = f->method,
    };
    memcpy(tpl.tid, tid, NEW_TID_LEN);
    tpl.tid_len = NEW_TID_LEN;
    bool want_tx = f->method_id != KR_MSRP_METHOD_REPORT && (!is_send || fr != KR_MSRP_FR_NO);
    struct kr_msrp_tx *tx = NULL;
    if (want_tx) {
        /* in the table before the frame leaves: the response may come back at once */
        tx = kr_msrp_tx_new(&tpl);
        if (!tx) {
            return -1;
        }
        kr_msrp_tx_add(rx->mod->txs, tx);
    }
    uint64_t used = 0;
    int rc = send_whole(rx, h, sv(tid, NEW_TID_LEN), tp, kr_buf_str(&fp), &used);
    if (rc < 0) {
        KR_DBG("forwarding to the next hop failed: %s", kr_strerror(rc));
        if (tx && kr_msrp_tx_take(rx->mod->txs, sv(tid, NEW_TID_LEN)) == tx) {
            kr_msrp_tx_free(tx);
        }
        if (f->method_id == KR_MSRP_METHOD_REPORT || (is_send && fr == KR_MSRP_FR_NO)) {
            rx->done = true;
            return 1;
        }
        /* the upstream learns it in the transaction's response */
        return msrp_answer(rx, 408, KR_STR("Request Timeout - next hop unreachable"), KR_STR_NULL);
    }
    rx->done = true;
    if (is_send && fr == KR_MSRP_FR_YES) {
        msrp_answer(rx, 200, KR_STR("OK"), KR_STR_NULL);
    }
    throttle(rx, used);
    return 1;
}

static int auto_frame(struct kr_ctx *ctx, struct kr_msrp_rx *rx, struct kr_str realm,
                      const struct kr_arg *password);

int msrp_auto(struct kr_ctx *ctx, struct kr_msrp_rx *rx, struct kr_str realm,
              const struct kr_arg *password)
{
    int rc = auto_frame(ctx, rx, realm, password);
    /* whatever was answered, the body of a streamed frame not relayed is read away */
    msrp_sink_discard(rx);
    return rc;
}

static int auto_frame(struct kr_ctx *ctx, struct kr_msrp_rx *rx, struct kr_str realm,
                      const struct kr_arg *password)
{
    struct msrp_mod *m = rx->mod;
    const struct kr_msrp_frame *f = &rx->f;
    if (!f->is_request) {
        rx->done = true; /* responses to the relay's own transactions were taken before */
        return 1;
    }
    if (msrp_rx_paths(rx) < 0) {
        return -1;
    }
    bool report = f->method_id == KR_MSRP_METHOD_REPORT;
    const struct kr_msrp_uri *first = &rx->to[0];
    if (first->session_id.len == 0) {
        if (f->method_id == KR_MSRP_METHOD_AUTH && rx->nto == 1) {
            return auth_request(ctx, rx, realm, password) < 0 ? -1 : 1;
        }
        /* no session: nothing may pass through (no open relay) */
        if (!report) {
            msrp_answer(rx, 403, KR_STR("Forbidden - no session"), KR_STR_NULL);
        }
        rx->done = rx->done || report;
        return 1;
    }
    struct kr_msrp_sess_info s;
    if (kr_msrp_sess_find(m->sess, first->session_id, time(NULL), &s) < 0) {
        if (!report) {
            msrp_answer(rx, 481, KR_STR("Session Does Not Exist"), KR_STR_NULL);
        }
        rx->done = true;
        return 1;
    }
    struct hop h = { .flags = 0 };
    if (s.conn_id == rx->rcv->conn_id) {
        /* the owner: on to the next To-Path hop */
        if (rx->nto < 2) {
            if (!report) {
                msrp_answer(rx, 403, KR_STR("Forbidden - no next hop"), KR_STR_NULL);
            }
            rx->done = true;
            return 1;
        }
        int rc = msrp_uri_addr(&rx->to[1], &h.to);
        if (rc < 0) {
            KR_WARN("cannot relay to " KR_STR_FMT ": %s", KR_STR_ARG(rx->to[1].whole),
                    rc == KR_EINVAL ? "msrps next hops need TLS, not in korero yet"
                                    : "address not found");
            if (!report &&
                !(f->method_id == KR_MSRP_METHOD_SEND && failure_report(f) == KR_MSRP_FR_NO)) {
                msrp_answer(rx, 408,
                            rc == KR_EINVAL ? KR_STR("Request Timeout - msrps next hop needs TLS")
                                            : KR_STR("Request Timeout - next hop not found"),
                            KR_STR_NULL);
            }
            rx->done = true;
            return 1;
        }
    } else {
        /* anyone else may only reach the owner, over the owner's own connection */
        if (rx->nto != 2) {
            if (!report) {
                msrp_answer(rx, 403, KR_STR("Forbidden"), KR_STR_NULL);
            }
            rx->done = true;
            return 1;
        }
        h.to = s.src;
        h.conn_id = s.conn_id;
        h.from = s.sock;
        h.flags = KR_SEND_NO_CONNECT;
    }
    return auto_forward(rx, &h) < 0 ? -1 : 1;
}
