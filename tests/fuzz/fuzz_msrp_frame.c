/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for MSRP frames: header-part framing (whole and trickled in two
 * pieces, which must agree), head parsing, every header value parser on every header,
 * the end-line search over the rest in one piece and in small chunks (which must
 * agree), and whole-frame stream framing fed in pieces of sizes drawn from a hash of the
 * input (the answer must not depend on the split). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msrp/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void values(const struct kr_msrp_frame *f)
{
    for (size_t i = 0; i < f->nhdrs; i++) {
        struct kr_str v = f->hdrs[i].value;
        struct kr_err e = { 0 };
        struct kr_msrp_uri u[4];
        size_t n;
        struct kr_msrp_range r;
        struct kr_msrp_status s;
        bool yes;
        enum kr_msrp_failure_report fr;
        uint32_t x;
        kr_msrp_parse_path(v, u, 4, &n, &e);
        if (kr_msrp_parse_range(v, &r, &e) == 0) {
            if (r.start == 0 || (!r.end_star && r.end + 1 < r.start)) {
                abort();
            }
        }
        kr_msrp_parse_status(v, &s, &e);
        kr_msrp_parse_success_report(v, &yes, &e);
        kr_msrp_parse_failure_report(v, &fr, &e);
        kr_msrp_parse_expires(v, &x, &e);
        kr_msrp_parse_message_id(v, &e);
    }
}

static void find_end(const char *p, size_t n, struct kr_str tid, bool body)
{
    struct kr_msrp_end_state a;
    struct kr_msrp_end_state b;
    char fa = 0;
    char fb = 0;
    long ra;
    long rb = KR_EAGAIN;
    size_t off = 0;

    kr_msrp_end_init(&a, body);
    ra = kr_msrp_find_end(p, n, tid, &a, &fa);
    kr_msrp_end_init(&b, body);
    while (off < n) {
        size_t step = (n - off) < 3 ? n - off : 3;
        long r = kr_msrp_find_end(p + off, step, tid, &b, &fb);
        if (r >= 0) {
            rb = (long)off + r;
            break;
        }
        off += step;
    }
    if (ra != rb) {
        abort();
    }
    if (ra >= 0 && (fa != fb || a.body_len != b.body_len || a.body_len > (size_t)ra)) {
        abort();
    }
}

/* ---- kr_msrp_frame_stream ---- */

static uint64_t hash_input(const uint8_t *d, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ d[i]) * 1099511628211ULL;
    }
    return h;
}

static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* One call over the first n bytes of p, in an exactly-sized copy (so that a read past n
 * is caught); the state holds offsets only. */
static int stream_call(const char *p, size_t n, size_t whole, size_t max_head,
                       struct kr_msrp_stream_state *st, size_t *ml)
{
    char *c = malloc(n ? n : 1);
    if (c == NULL) {
        abort();
    }
    if (n) {
        memcpy(c, p, n);
    }
    struct kr_err e = { 0 };
    *ml = 0;
    int rc = kr_msrp_frame_stream(c, n, whole, max_head, st, ml, &e);
    free(c);
    if (rc != 0 && rc != KR_MSRP_FRAME_HEAD && rc != KR_EAGAIN && rc != KR_EPARSE &&
        rc != KR_ELIMIT) {
        abort();
    }
    if ((rc == KR_EPARSE || rc == KR_ELIMIT) && e.reason == NULL) {
        abort();
    }
    if ((rc == 0 || rc == KR_MSRP_FRAME_HEAD) && (*ml == 0 || *ml > n)) {
        abort(); /* msg_len never exceeds the bytes given */
    }
    return rc;
}

static int stream_once(const char *p, size_t n, size_t whole, size_t max_head, size_t *ml)
{
    struct kr_msrp_stream_state st = { 0 };
    return stream_call(p, n, whole, max_head, &st, ml);
}

/* True when the ml bytes at p end with CRLF "-------" tid flag CRLF, after the start
 * line's CR (whose CRLF may be the end-line's first one). */
static bool ends_with_end_line(const char *p, size_t ml, struct kr_str tid)
{
    size_t need = 2 + 7 + tid.len + 3;
    const char *lf = memchr(p, '\n', ml);
    if (tid.len == 0 || ml < need || lf == NULL || ml - need + 1 < (size_t)(lf - p)) {
        return false;
    }
    const char *q = p + ml - need;
    char flag = q[9 + tid.len];
    return memcmp(q, "\r\n-------", 9) == 0 && memcmp(q + 9, tid.ptr, tid.len) == 0 &&
           (flag == '$' || flag == '+' || flag == '#') && memcmp(q + 10 + tid.len, "\r\n", 2) == 0;
}

static void stream(const char *p, size_t size, uint64_t h)
{
    size_t whole = (size_t)(h & 0x3ff);                 /* 0..1023 */
    size_t max_head = 16 + (size_t)((h >> 10) & 0x7ff); /* 16..2063 */
    uint64_t seed = (h >> 21) | 1;
    struct kr_msrp_stream_state st = { 0 };
    size_t n = 0;
    size_t ml = 0;
    int rc = KR_EAGAIN;
    while (n < size) {
        uint64_t r = next_rand(&seed);
        size_t piece = 1 + (size_t)((r >> 8) % ((r & 3) == 0 ? 2048 : 16));
        n = size - n <= piece ? size : n + piece;
        rc = stream_call(p, n, whole, max_head, &st, &ml);
        if (rc != KR_EAGAIN) {
            break;
        }
    }
    if (size == 0) {
        return;
    }
    /* Resuming gives what one call over the same bytes gives. */
    size_t ml1 = 0;
    int rc1 = stream_once(p, n, whole, max_head, &ml1);
    if (rc1 != rc || ((rc == 0 || rc == KR_MSRP_FRAME_HEAD) && ml1 != ml)) {
        abort();
    }
    if (rc == 0) {
        /* a frame found whole ends with its own end-line, the first one */
        char *c = malloc(ml);
        if (c == NULL) {
            abort();
        }
        memcpy(c, p, ml);
        struct kr_str tid = kr_msrp_start_tid(c, ml);
        if (!ends_with_end_line(c, ml, tid)) {
            abort();
        }
        free(c);
        size_t ml2 = 0;
        if (stream_once(p, ml - 1, SIZE_MAX, SIZE_MAX, &ml2) != KR_EAGAIN) {
            abort();
        }
    }
    if (rc == KR_MSRP_FRAME_HEAD) {
        /* a head: `whole` bytes are in (or the frame, found whole, is longer than that),
         * the head ends with its blank line and is within max_head */
        size_t ml2 = 0;
        int rc2 = stream_once(p, n, SIZE_MAX, SIZE_MAX, &ml2);
        if (n < whole || ml > max_head || ml < 4 || memcmp(p + ml - 4, "\r\n\r\n", 4) != 0 ||
            (rc2 != KR_EAGAIN && (rc2 != 0 || ml2 <= whole))) {
            abort();
        }
    }
    /* KR_ELIMIT only for a head past max_head */
    if (rc == KR_ELIMIT && n <= max_head) {
        abort();
    }
    /* The answer does not depend on how the bytes were split: one call over the whole
     * input gives the same. One exception: a head cut before its end-line arrived may
     * turn out to have an empty body, which one call over everything returns whole
     * (both are right; nothing is streamed either way). And errors may differ in kind. */
    if (rc != KR_EAGAIN) {
        size_t mlw = 0;
        int rcw = stream_once(p, size, whole, max_head, &mlw);
        bool empty_body =
            rc == KR_MSRP_FRAME_HEAD && rcw == 0 && mlw > ml && mlw - ml <= 12 + KR_MSRP_TID_MAX;
        /* errors may differ in kind (a head too long seen in pieces may show a bare LF
         * past max_head when seen whole): both close the connection */
        bool both_errors =
            (rc == KR_EPARSE || rc == KR_ELIMIT) && (rcw == KR_EPARSE || rcw == KR_ELIMIT);
        if (!empty_body && !both_errors &&
            (rcw != rc || ((rc == 0 || rc == KR_MSRP_FRAME_HEAD) && mlw != ml))) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    if (p == NULL) {
        return 0;
    }
    if (size) {
        memcpy(p, data, size);
    }
    struct kr_msrp_head_state st = { 0 };
    struct kr_err e = { 0 };
    size_t hl = 0;
    int rc = kr_msrp_frame_head(p, size / 2, 4096, &st, &hl, &e);
    if (rc == KR_EAGAIN) {
        rc = kr_msrp_frame_head(p, size, 4096, &st, &hl, &e);
    }
    struct kr_msrp_head_state st2 = { 0 };
    struct kr_err e2 = { 0 };
    size_t hl2 = 0;
    int rc2 = kr_msrp_frame_head(p, size, 4096, &st2, &hl2, &e2);
    /* a head too long and a bare LF near max_head are both errors; which one is seen
     * first may depend on where the bytes were cut */
    bool both_errors =
        (rc == KR_EPARSE || rc == KR_ELIMIT) && (rc2 == KR_EPARSE || rc2 == KR_ELIMIT);
    if ((rc != rc2 && !both_errors) || (rc == 0 && (hl != hl2 || hl > size))) {
        abort();
    }
    struct kr_arena a;
    kr_arena_init(&a, 4096, 1 << 20);
    struct kr_msrp_frame f;
    e = (struct kr_err){ 0 };
    size_t plen = rc == 0 ? hl : size;
    if (rc == 0 && !st.has_body) {
        plen = size; /* the end-line must be in what the parser sees */
    }
    rc = kr_msrp_parse_head(p, plen, &a, &f, &e);
    if (rc < 0 && e.reason == NULL) {
        abort();
    }
    if (rc == 0 || f.tid.len) {
        values(&f);
    }
    if (rc == 0) {
        if (f.body_off > size) {
            abort();
        }
        find_end(p + f.body_off, size - f.body_off, f.tid, f.has_body);
    }
    kr_arena_fini(&a);
    stream(p, size, hash_input(data, size));
    free(p);
    return 0;
}
