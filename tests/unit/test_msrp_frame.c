/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for msrp/frame: header-part framing on a stream (byte by byte), start
 * lines, header order, frames with and without body, end-line search across chunk
 * boundaries with decoys, every header value parser, and the response builder. */
#include "msrp/frame.h"
#include "sip_test_util.h"

static struct kr_arena arena;

static int setup(void **state)
{
    (void)state;
    kr_arena_init(&arena, 4096, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    kr_arena_fini(&arena);
    return tu_free_all(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static int ph(const char *lit, struct kr_msrp_frame *f, struct kr_err *e)
{
    memset(e, 0, sizeof(*e));
    struct kr_str s = tu_heap(lit);
    return kr_msrp_parse_head(s.ptr, s.len, &arena, f, e);
}

static void bad_head(const char *lit, const char *reason)
{
    struct kr_msrp_frame f;
    struct kr_err e;
    if (ph(lit, &f, &e) != KR_EPARSE) {
        fail_msg("accepted: %s", lit);
    }
    assert_non_null(e.reason);
    if (reason && strcmp(reason, e.reason) != 0) {
        fail_msg("%s: reason '%s', expected '%s'", lit, e.reason, reason);
    }
}

#define PATHS                                                                                      \
    "To-Path: msrp://b.example.com:7777/iau39soe2843z;tcp\r\n"                                     \
    "From-Path: msrp://a.example.com:7654/jshA7weztas;tcp\r\n"

static const char send_frame[] = "MSRP a786hjs2 SEND\r\n" PATHS "Message-ID: 87652491\r\n"
                                 "Byte-Range: 1-25/25\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "\r\n"
                                 "Hey Bob, are you there?\r\n"
                                 "-------a786hjs2$\r\n";

static void test_send(void **state)
{
    (void)state;
    struct kr_msrp_frame f;
    struct kr_err e;

    assert_int_equal(ph(send_frame, &f, &e), 0);
    assert_true(f.is_request);
    ASSERT_STR(f.tid, "a786hjs2");
    ASSERT_STR(f.method, "SEND");
    assert_int_equal(f.method_id, KR_MSRP_METHOD_SEND);
    ASSERT_STR(f.start_line, "MSRP a786hjs2 SEND");
    assert_int_equal(f.nhdrs, 5);
    assert_int_equal(f.hdrs[0].type, KR_MSRP_HDR_TO_PATH);
    ASSERT_STR(f.hdrs[0].name, "To-Path");
    ASSERT_STR(f.hdrs[0].value, "msrp://b.example.com:7777/iau39soe2843z;tcp");
    ASSERT_STR(f.hdrs[2].raw, "Message-ID: 87652491\r\n");
    assert_int_equal(f.first[KR_MSRP_HDR_CONTENT_TYPE], 4);
    assert_int_equal(f.first[KR_MSRP_HDR_STATUS], -1);
    assert_true(f.has_body);
    const char *body = strstr(send_frame, "Hey");
    assert_int_equal(f.body_off, (size_t)(body - send_frame));
    const struct kr_msrp_hdr *h = kr_msrp_frame_hdr(&f, KR_MSRP_HDR_BYTE_RANGE, 0);
    assert_non_null(h);
    ASSERT_STR(h->value, "1-25/25");
    assert_null(kr_msrp_frame_hdr(&f, KR_MSRP_HDR_BYTE_RANGE, 1));
    assert_null(kr_msrp_frame_hdr(&f, KR_MSRP_HDR_OTHER, 0));

    /* The end-line search finds the body. */
    struct kr_msrp_end_state st;
    char flag = 0;
    kr_msrp_end_init(&st, true);
    size_t rest = strlen(send_frame) - f.body_off;
    struct kr_str b = tu_heapn(send_frame + f.body_off, rest);
    assert_int_equal(kr_msrp_find_end(b.ptr, b.len, f.tid, &st, &flag), (long)rest);
    assert_int_equal(flag, '$');
    assert_int_equal(st.body_len, strlen("Hey Bob, are you there?"));
}

static void test_no_body(void **state)
{
    (void)state;
    struct kr_msrp_frame f;
    struct kr_err e;
    static const char auth[] = "MSRP 49fh AUTH\r\n"
                               "To-Path: msrps://alice@intra.example.com;tcp\r\n"
                               "From-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n"
                               "-------49fh$\r\n";

    assert_int_equal(ph(auth, &f, &e), 0);
    assert_int_equal(f.method_id, KR_MSRP_METHOD_AUTH);
    assert_false(f.has_body);
    assert_int_equal(f.body_off, strlen(auth) - strlen("-------49fh$\r\n"));
    assert_int_equal(f.nhdrs, 2);

    struct kr_msrp_end_state st;
    char flag = 0;
    kr_msrp_end_init(&st, false);
    struct kr_str b = tu_heap("-------49fh$\r\n");
    assert_int_equal(kr_msrp_find_end(b.ptr, b.len, f.tid, &st, &flag), (long)b.len);
    assert_int_equal(st.body_len, 0);
    assert_int_equal(flag, '$');

    /* Response with comment and without. */
    assert_int_equal(ph("MSRP 49fh 200 OK all fine\r\n" PATHS "-------49fh$\r\n", &f, &e), 0);
    assert_false(f.is_request);
    assert_int_equal(f.status, 200);
    ASSERT_STR(f.comment, "OK all fine");
    assert_int_equal(ph("MSRP 49fh 423\r\n" PATHS "Min-Expires: 60\r\n-------49fh$\r\n", &f, &e),
                     0);
    assert_int_equal(f.status, 423);
    ASSERT_STR(f.comment, "");
    assert_int_equal(f.first[KR_MSRP_HDR_MIN_EXPIRES], 2);

    /* Unknown method is fine, headers kept in order. */
    assert_int_equal(
        ph("MSRP abcd FOO\r\n" PATHS "X-A: 1\r\nX-B:2\r\nX-A: 3 \r\n-------abcd+\r\n", &f, &e), 0);
    assert_int_equal(f.method_id, KR_MSRP_METHOD_OTHER);
    assert_int_equal(f.nhdrs, 5);
    ASSERT_STR(f.hdrs[3].value, "2");
    ASSERT_STR(f.hdrs[4].value, "3");
    assert_int_equal(f.hdrs[4].type, KR_MSRP_HDR_OTHER);
    assert_int_equal(ph("MSRP abcd NICKNAME\r\n" PATHS "-------abcd$\r\n", &f, &e), 0);
    assert_int_equal(f.method_id, KR_MSRP_METHOD_NICKNAME);
}

static void test_start_line(void **state)
{
    (void)state;
    struct kr_msrp_frame f;
    struct kr_err e;

    assert_int_equal(ph("MSRP abcd SEND\r\n" PATHS "\r\n", &f, &e), 0);
    assert_int_equal(ph("MSRP a2345678901234567890123456789012 SEND\r\n" PATHS "\r\n", &f, &e), 0);
    assert_int_equal(f.tid.len, 32);
    assert_int_equal(ph("MSRP 1a.-+%= REPORT\r\n" PATHS "\r\n", &f, &e), 0);
    ASSERT_STR(f.tid, "1a.-+%=");
    assert_int_equal(f.method_id, KR_MSRP_METHOD_REPORT);

    bad_head("MSRP abc SEND\r\n" PATHS "\r\n", "MSRP: transaction id too short");
    bad_head("MSRP a23456789012345678901234567890123 SEND\r\n" PATHS "\r\n",
             "MSRP: transaction id too long");
    bad_head("MSRP .abc SEND\r\n" PATHS "\r\n", "MSRP: bad character in transaction id");
    bad_head("MSRP ab_c SEND\r\n" PATHS "\r\n", "MSRP: bad character in transaction id");
    bad_head("MSRP abcd send\r\n" PATHS "\r\n", "MSRP: bad method");
    bad_head("MSRP abcd SEND \r\n" PATHS "\r\n", "MSRP: bad method");
    bad_head("MSRP abcd\r\n" PATHS "\r\n", "MSRP: start line lacks method or code");
    bad_head("MSRP abcd 99\r\n" PATHS "\r\n", "MSRP: status code is not 3 digits");
    bad_head("MSRP abcd 1000\r\n" PATHS "\r\n", "MSRP: status code is not 3 digits");
    bad_head("MSRP abcd 099 x\r\n" PATHS "\r\n", "MSRP: status code below 100");
    bad_head("MSRP abcd 200 a\001b\r\n" PATHS "\r\n", "MSRP: control character in comment");
    bad_head("msrp abcd SEND\r\n" PATHS "\r\n", NULL);
    bad_head("MSRP abcd SEND\n" PATHS "\r\n", NULL);
    bad_head("MSRP ab\rcd SEND\r\n" PATHS "\r\n", NULL);
    bad_head("MSRP abcd SEND", "MSRP: no start line");

    /* The tid is known after a bad method, for the 400. */
    assert_int_equal(ph("MSRP abcd se\r\n" PATHS "\r\n", &f, &e), KR_EPARSE);
    ASSERT_STR(f.tid, "abcd");
    assert_int_equal(f.nhdrs, 2);
    /* ... but not after a bad tid. */
    assert_int_equal(ph("MSRP abc SEND\r\n" PATHS "\r\n", &f, &e), KR_EPARSE);
    assert_int_equal(f.tid.len, 0);
}

static void test_header_order(void **state)
{
    (void)state;
    struct kr_msrp_frame f;
    struct kr_err e;

    assert_int_equal(ph("MSRP abcd SEND\r\n"
                        "From-Path: msrp://a/s;tcp\r\n"
                        "To-Path: msrp://b/s;tcp\r\n"
                        "Message-ID: m123\r\n\r\n",
                        &f, &e),
                     KR_EPARSE);
    assert_string_equal(e.reason, "MSRP: To-Path is not the first header");
    ASSERT_STR(f.tid, "abcd");
    assert_int_equal(f.nhdrs, 3);
    assert_int_equal(f.first[KR_MSRP_HDR_TO_PATH], 1);
    assert_int_equal(f.first[KR_MSRP_HDR_FROM_PATH], 0);
    assert_true(f.has_body);

    bad_head("MSRP abcd SEND\r\nTo-Path: msrp://b/s;tcp\r\nMessage-ID: m123\r\n"
             "From-Path: msrp://a/s;tcp\r\n\r\n",
             "MSRP: From-Path is not the second header");
    bad_head("MSRP abcd SEND\r\nTo-Path: msrp://b/s;tcp\r\n\r\n", "MSRP: missing From-Path");
    bad_head("MSRP abcd SEND\r\n\r\n", "MSRP: missing To-Path");
    bad_head("MSRP abcd SEND\r\n" PATHS "To-Path: msrp://c/s;tcp\r\n\r\n",
             "MSRP: duplicate To-Path");
    bad_head("MSRP abcd SEND\r\n" PATHS " folded\r\n\r\n", "MSRP: header folding is not allowed");
    bad_head("MSRP abcd SEND\r\n" PATHS "NoColon\r\n\r\n", "MSRP: malformed header line");
    bad_head("MSRP abcd SEND\r\n" PATHS ": x\r\n\r\n", "MSRP: malformed header line");
    bad_head("MSRP abcd SEND\r\n" PATHS "X: a\001\r\n\r\n", "MSRP: control character in header");
    bad_head("MSRP abcd SEND\r\n" PATHS "X: a\rb\r\n\r\n", "MSRP: CR inside header line");
    bad_head("MSRP abcd SEND\r\n" PATHS "X: a\n\r\n", "MSRP: bare LF");
    bad_head("MSRP abcd SEND\r\n" PATHS "X: a\r\n", "MSRP: header part not terminated");
    bad_head("MSRP abcd SEND\r\n" PATHS "-------abce$\r\n", "MSRP: bad end-line");
    bad_head("MSRP abcd SEND\r\n" PATHS "-------abcd\r\n", "MSRP: bad end-line");
    bad_head("MSRP abcd SEND\r\n" PATHS "-------\r\n", "MSRP: bad end-line");

    /* Too many headers. */
    char big[64 * (KR_MSRP_MAX_HEADERS + 4)];
    struct kr_buf b;
    kr_buf_init_fixed(&b, big, sizeof(big));
    kr_buf_append_c(&b, "MSRP abcd SEND\r\n" PATHS);
    for (int i = 0; i < KR_MSRP_MAX_HEADERS; i++) {
        kr_buf_append_c(&b, "X-Y: z\r\n");
    }
    kr_buf_append_c(&b, "\r\n");
    assert_int_equal(b.err, 0);
    struct kr_str s = tu_heapn(b.ptr, b.len);
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_msrp_parse_head(s.ptr, s.len, &arena, &f, &e), KR_ELIMIT);
}

/* Feeds lit to kr_msrp_frame_head one byte at a time, as a growing buffer. */
static int head_trickle(const char *lit, size_t max, size_t *head_len, bool *has_body)
{
    struct kr_str s = tu_heap(lit);
    struct kr_msrp_head_state st = { 0 };
    struct kr_err e = { 0 };
    for (size_t n = 1; n <= s.len; n++) {
        int rc = kr_msrp_frame_head(s.ptr, n, max, &st, head_len, &e);
        if (rc != KR_EAGAIN) {
            if (rc == 0) {
                *has_body = st.has_body;
            } else {
                assert_non_null(e.reason);
            }
            return rc;
        }
    }
    return KR_EAGAIN;
}

static void test_frame_head(void **state)
{
    (void)state;
    size_t hl = 0;
    bool body = false;

    assert_int_equal(head_trickle(send_frame, 4096, &hl, &body), 0);
    assert_true(body);
    assert_int_equal(hl, (size_t)(strstr(send_frame, "Hey") - send_frame));

    static const char nb[] = "MSRP abcd AUTH\r\n" PATHS "-------abcd$\r\n";
    assert_int_equal(head_trickle(nb, 4096, &hl, &body), 0);
    assert_false(body);
    assert_int_equal(hl, strlen(nb) - strlen("-------abcd$\r\n"));

    assert_int_equal(head_trickle("MSRP abcd SEND\r\nTo-Path: x\r\n", 4096, &hl, &body), KR_EAGAIN);
    assert_int_equal(head_trickle("HTTP/1.1 200 OK\r\n", 4096, &hl, &body), KR_EPARSE);
    assert_int_equal(head_trickle("MSRX", 4096, &hl, &body), KR_EPARSE);
    assert_int_equal(head_trickle("MSRP abcd SEND\nX", 4096, &hl, &body), KR_EPARSE);
    assert_int_equal(head_trickle(send_frame, 40, &hl, &body), KR_ELIMIT);
    /* Exactly at the limit is fine. */
    size_t exact = (size_t)(strstr(send_frame, "Hey") - send_frame);
    assert_int_equal(head_trickle(send_frame, exact, &hl, &body), 0);
    assert_int_equal(head_trickle(send_frame, exact - 1, &hl, &body), KR_ELIMIT);

    /* A long stream without a head end is refused without scanning all of it. */
    {
        char big[8192];
        memset(big, 'x', sizeof(big));
        memcpy(big, "MSRP abcd SEND\r\n", 16);
        struct kr_msrp_head_state hs = { 0 };
        struct kr_err he = { 0 };
        struct kr_str bs = tu_heapn(big, sizeof(big));
        assert_int_equal(kr_msrp_frame_head(bs.ptr, bs.len, 100, &hs, &hl, &he), KR_ELIMIT);
        assert_true(hs.scanned <= 164);
    }

    /* Whole buffer at once, too. */
    struct kr_msrp_head_state st = { 0 };
    struct kr_err e = { 0 };
    struct kr_str s = tu_heap(send_frame);
    assert_int_equal(kr_msrp_frame_head(s.ptr, s.len, 4096, &st, &hl, &e), 0);
    assert_int_equal(hl, exact);
}

/* Runs the end search over body split into pieces of size step (each an exact heap
 * copy); returns the offset in the whole input past the end-line, or -1. */
static long end_chunks(const char *body, size_t len, const char *tid, size_t step, bool has_body,
                       struct kr_msrp_end_state *st, char *flag)
{
    kr_msrp_end_init(st, has_body);
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        struct kr_str c = tu_heapn(body + off, n);
        long r = kr_msrp_find_end(c.ptr, c.len, kr_str_c(tid), st, flag);
        if (r >= 0) {
            return (long)off + r;
        }
        assert_int_equal(r, KR_EAGAIN);
    }
    return -1;
}

static void test_find_end(void **state)
{
    (void)state;
    static const char body[] = "abc\r\n-------other$\r\n"    /* other tid */
                               "\r\n-------a786hjs2\r\n"     /* no flag */
                               "\r\n-------a786hjs2$x\r\n"   /* no CRLF after flag */
                               "\r\n-------a786hjs2$\r"      /* CR then no LF */
                               "\r\n------a786hjs2$\r\n"     /* six dashes */
                               "\r\r\n-------a786hjs22$\r\n" /* longer tid */
                               "x-------a786hjs2$\r\n"       /* no CRLF before */
                               "tail\r\n-------a786hjs2+\r\nafter";
    size_t len = sizeof(body) - 1;
    size_t past = (size_t)(strstr(body, "after") - body);
    size_t blen = (size_t)(strstr(body, "tail") - body) + 4;

    for (size_t step = 1; step <= len; step++) {
        struct kr_msrp_end_state st;
        char flag = 0;
        long r = end_chunks(body, len, "a786hjs2", step, true, &st, &flag);
        if (r != (long)past) {
            fail_msg("step %zu: %ld, expected %zu", step, r, past);
        }
        assert_int_equal(flag, '+');
        assert_int_equal(st.body_len, blen);
    }

    /* Aborted, empty body (CRLF then end-line), and end-line right at body start. */
    struct kr_msrp_end_state st;
    char flag = 0;
    assert_int_equal(end_chunks("x\r\n-------abcd#\r\n", 17, "abcd", 1, true, &st, &flag), 17);
    assert_int_equal(flag, '#');
    assert_int_equal(st.body_len, 1);
    assert_int_equal(end_chunks("\r\n-------abcd$\r\n", 16, "abcd", 3, true, &st, &flag), 16);
    assert_int_equal(st.body_len, 0);
    assert_int_equal(end_chunks("-------abcd$\r\n", 14, "abcd", 2, false, &st, &flag), 14);
    assert_int_equal(st.body_len, 0);
    /* Not found; all bytes but the partial match are surely body. */
    assert_int_equal(end_chunks("hello\r\n-------ab", 16, "abcd", 5, true, &st, &flag), -1);
    assert_int_equal(st.pos, 16);
    assert_int_equal(st.matched, 11);
    /* A body made only of CRs and dashes. */
    assert_int_equal(end_chunks("\r\r\r\r\n-------abcd$\r\n", 19, "abcd", 1, true, &st, &flag), 19);
    assert_int_equal(st.body_len, 3);
    /* Bad tid argument. */
    kr_msrp_end_init(&st, true);
    assert_int_equal(kr_msrp_find_end("x", 1, KR_STR(""), &st, &flag), KR_EINVAL);
}

static void test_path(void **state)
{
    (void)state;
    struct kr_msrp_uri u[4];
    size_t n = 0;
    struct kr_err e = { 0 };

    struct kr_str v = tu_heap("msrp://r1/a;tcp msrp://r2:1/b;tcp  msrps://c/x;ws");
    assert_int_equal(kr_msrp_parse_path(v, u, 4, &n, &e), 0);
    assert_int_equal(n, 3);
    ASSERT_STR(u[0].host, "r1");
    ASSERT_STR(u[1].session_id, "b");
    assert_int_equal(u[2].scheme, KR_MSRP_SCHEME_MSRPS);
    assert_int_equal(kr_msrp_parse_path(v, NULL, 0, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(kr_msrp_parse_path(v, u, 2, &n, &e), KR_ELIMIT);

    struct kr_str rest = v;
    assert_int_equal(kr_msrp_path_next(&rest, &u[0], &e), 1);
    assert_int_equal(kr_msrp_path_next(&rest, &u[0], &e), 1);
    assert_int_equal(kr_msrp_path_next(&rest, &u[0], &e), 1);
    assert_int_equal(kr_msrp_path_next(&rest, &u[0], &e), 0);

    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_msrp_parse_path(tu_heap(""), u, 4, &n, &e), KR_EPARSE);
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_msrp_parse_path(tu_heap("msrp://a;tcp,msrp://b;tcp"), u, 4, &n, &e),
                     KR_EPARSE);
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_msrp_parse_path(tu_heap("msrp://a;tcp sip:b"), u, 4, &n, &e), KR_EPARSE);
}

static int range(const char *lit, struct kr_msrp_range *r)
{
    struct kr_err e = { 0 };
    int rc = kr_msrp_parse_range(tu_heap(lit), r, &e);
    if (rc < 0) {
        assert_non_null(e.reason);
    }
    return rc;
}

static void test_range(void **state)
{
    (void)state;
    struct kr_msrp_range r;

    assert_int_equal(range("1-25/25", &r), 0);
    assert_int_equal(r.start, 1);
    assert_int_equal(r.end, 25);
    assert_int_equal(r.total, 25);
    assert_false(r.end_star);
    assert_false(r.total_star);
    assert_int_equal(range("1-*/*", &r), 0);
    assert_true(r.end_star);
    assert_true(r.total_star);
    assert_int_equal(range("101-*/200", &r), 0);
    assert_int_equal(r.start, 101);
    assert_int_equal(r.total, 200);
    assert_int_equal(range("1-0/0", &r), 0); /* empty message */
    assert_int_equal(range("1-100/*", &r), 0);
    assert_int_equal(range("999999999999999999-*/*", &r), 0);

    assert_int_equal(range("", &r), KR_EPARSE);
    assert_int_equal(range("0-10/10", &r), KR_EPARSE);
    assert_int_equal(range("5-3/10", &r), KR_EPARSE);
    assert_int_equal(range("1-11/10", &r), KR_EPARSE);
    assert_int_equal(range("12-*/10", &r), KR_EPARSE);
    assert_int_equal(range("1-10", &r), KR_EPARSE);
    assert_int_equal(range("1/10", &r), KR_EPARSE);
    assert_int_equal(range("1-10/10 ", &r), KR_EPARSE);
    assert_int_equal(range("*-10/10", &r), KR_EPARSE);
    assert_int_equal(range("1-10/", &r), KR_EPARSE);
    assert_int_equal(range("-1-10/10", &r), KR_EPARSE);
    assert_int_equal(range("1000000000000000000-*/*", &r), KR_EPARSE);
}

static void test_reports_status_expires(void **state)
{
    (void)state;
    struct kr_err e = { 0 };
    bool yes = false;
    enum kr_msrp_failure_report fr = KR_MSRP_FR_YES;

    assert_int_equal(kr_msrp_parse_success_report(tu_heap("yes"), &yes, &e), 0);
    assert_true(yes);
    assert_int_equal(kr_msrp_parse_success_report(tu_heap("No"), &yes, &e), 0);
    assert_false(yes);
    assert_int_equal(kr_msrp_parse_success_report(tu_heap("partial"), &yes, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_success_report(tu_heap(""), &yes, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_failure_report(tu_heap("no"), &fr, &e), 0);
    assert_int_equal(fr, KR_MSRP_FR_NO);
    assert_int_equal(kr_msrp_parse_failure_report(tu_heap("PARTIAL"), &fr, &e), 0);
    assert_int_equal(fr, KR_MSRP_FR_PARTIAL);
    assert_int_equal(kr_msrp_parse_failure_report(tu_heap("yes"), &fr, &e), 0);
    assert_int_equal(fr, KR_MSRP_FR_YES);
    assert_int_equal(kr_msrp_parse_failure_report(tu_heap("yess"), &fr, &e), KR_EPARSE);

    struct kr_msrp_status s;
    assert_int_equal(kr_msrp_parse_status(tu_heap("000 200 OK"), &s, &e), 0);
    assert_int_equal(s.ns, 0);
    assert_int_equal(s.code, 200);
    ASSERT_STR(s.text, "OK");
    assert_int_equal(kr_msrp_parse_status(tu_heap("000 408"), &s, &e), 0);
    assert_int_equal(s.code, 408);
    ASSERT_STR(s.text, "");
    assert_int_equal(kr_msrp_parse_status(tu_heap("000 481 Session does not exist"), &s, &e), 0);
    ASSERT_STR(s.text, "Session does not exist");
    assert_int_equal(kr_msrp_parse_status(tu_heap("000"), &s, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_status(tu_heap("00 200"), &s, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_status(tu_heap("000 20"), &s, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_status(tu_heap("000 2000"), &s, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_status(tu_heap("000 099"), &s, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_status(tu_heap("000x200"), &s, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_status(tu_heap("200 OK"), &s, &e), KR_EPARSE);

    uint32_t x = 0;
    assert_int_equal(kr_msrp_parse_expires(tu_heap("3600"), &x, &e), 0);
    assert_int_equal(x, 3600);
    assert_int_equal(kr_msrp_parse_expires(tu_heap("0"), &x, &e), 0);
    assert_int_equal(kr_msrp_parse_expires(tu_heap("4294967295"), &x, &e), 0);
    assert_int_equal(x, 4294967295u);
    assert_int_equal(kr_msrp_parse_expires(tu_heap("4294967296"), &x, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_expires(tu_heap(""), &x, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_expires(tu_heap("-1"), &x, &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_expires(tu_heap("60s"), &x, &e), KR_EPARSE);

    assert_int_equal(kr_msrp_parse_message_id(tu_heap("87652491"), &e), 0);
    assert_int_equal(kr_msrp_parse_message_id(tu_heap("a.b-c+d%e=f"), &e), 0);
    assert_int_equal(kr_msrp_parse_message_id(tu_heap("abc"), &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_message_id(tu_heap("-abcd"), &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_message_id(tu_heap("ab cd"), &e), KR_EPARSE);
    assert_int_equal(kr_msrp_parse_message_id(tu_heap("a23456789012345678901234567890123"), &e),
                     KR_EPARSE);
}

static void test_build(void **state)
{
    (void)state;
    struct kr_msrp_frame f;
    struct kr_err e;
    struct kr_buf b;

    assert_int_equal(ph(send_frame, &f, &e), 0);
    kr_buf_init_arena(&b, &arena, 64, 4096);
    assert_int_equal(kr_msrp_build_response(
                         &f, 200, KR_STR("OK"), KR_STR("msrp://a.example.com:7654/jshA7weztas;tcp"),
                         KR_STR("msrp://b.example.com:7777/iau39soe2843z;tcp"), KR_STR_NULL, &b),
                     0);
    static const char want[] = "MSRP a786hjs2 200 OK\r\n"
                               "To-Path: msrp://a.example.com:7654/jshA7weztas;tcp\r\n"
                               "From-Path: msrp://b.example.com:7777/iau39soe2843z;tcp\r\n"
                               "-------a786hjs2$\r\n";
    assert_int_equal(b.len, sizeof(want) - 1);
    assert_memory_equal(b.ptr, want, b.len);

    /* The output parses back, and extra headers go before the end-line. */
    kr_buf_clear(&b);
    assert_int_equal(kr_msrp_build_response(&f, 423, KR_STR("Interval Out-of-Bounds"),
                                            KR_STR("msrp://a/s;tcp"), KR_STR("msrp://b/s;tcp"),
                                            KR_STR("Min-Expires: 60\r\n"), &b),
                     0);
    struct kr_msrp_frame g;
    struct kr_str copy = tu_heapn(b.ptr, b.len);
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_msrp_parse_head(copy.ptr, copy.len, &arena, &g, &e), 0);
    assert_int_equal(g.status, 423);
    ASSERT_STR(g.tid, "a786hjs2");
    assert_int_equal(g.first[KR_MSRP_HDR_MIN_EXPIRES], 2);
    assert_false(g.has_body);

    kr_buf_clear(&b);
    assert_int_equal(
        kr_msrp_build_response(&f, 99, KR_STR("x"), KR_STR("a"), KR_STR("b"), KR_STR_NULL, &b),
        KR_EINVAL);
    assert_int_equal(kr_msrp_build_response(&f, 400, KR_STR("x\r\nY: z"), KR_STR("a"), KR_STR("b"),
                                            KR_STR_NULL, &b),
                     KR_EINVAL);
    /* Without comment: no trailing space. */
    assert_int_equal(
        kr_msrp_build_response(&f, 403, KR_STR_NULL, KR_STR("a"), KR_STR("b"), KR_STR_NULL, &b), 0);
    assert_memory_equal(b.ptr, "MSRP a786hjs2 403\r\n", 19);
    /* Cap reached: sticky error. */
    char small[16];
    kr_buf_init_fixed(&b, small, sizeof(small));
    assert_int_not_equal(
        kr_msrp_build_response(&f, 200, KR_STR("OK"), KR_STR("a"), KR_STR("b"), KR_STR_NULL, &b),
        0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_send),         T(test_no_body),    T(test_start_line),
        T(test_header_order), T(test_frame_head), T(test_find_end),
        T(test_path),         T(test_range),      T(test_reports_status_expires),
        T(test_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
