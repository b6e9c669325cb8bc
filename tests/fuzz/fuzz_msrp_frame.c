/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for MSRP frames: header-part framing (whole and trickled in two
 * pieces, which must agree), head parsing, every header value parser on every header,
 * and the end-line search over the rest in one piece and in small chunks (which must
 * agree). */
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
    if (rc != rc2 || (rc == 0 && (hl != hl2 || hl > size))) {
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
    free(p);
    return 0;
}
