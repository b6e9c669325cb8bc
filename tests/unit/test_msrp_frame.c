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

/* ---------------------------------------------------------------- stream framing */

static const char auth_frame[] = "MSRP 49fh AUTH\r\n"
                                 "To-Path: msrps://alice@intra.example.com;tcp\r\n"
                                 "From-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n"
                                 "-------49fh$\r\n";

/* One kr_msrp_frame_stream call over the first n bytes of s, copied into an exactly-sized
 * heap buffer (the state holds offsets only, so each call may see a new copy). */
static int fs_call(const char *s, size_t n, size_t whole, size_t max_head,
                   struct kr_msrp_stream_state *st, size_t *ml, struct kr_err *e)
{
    char *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n) {
        memcpy(c, s, n);
    }
    int rc = kr_msrp_frame_stream(c, n, whole, max_head, st, ml, e);
    free(c);
    if (rc >= 0 && rc != KR_EAGAIN) {
        assert_true(*ml > 0);
        assert_true(*ml <= n);
    } else if (rc != KR_EAGAIN) {
        assert_non_null(e->reason);
    }
    return rc;
}

/* One call over the first n bytes with a fresh state. */
static int fs_once(const char *s, size_t n, size_t whole, size_t max_head, size_t *ml)
{
    struct kr_msrp_stream_state st = { 0 };
    struct kr_err e = { 0 };
    *ml = 0;
    return fs_call(s, n, whole, max_head, &st, ml, &e);
}

/* Feeds growing prefixes of s (step more bytes each time, the last one all of it) with
 * the state kept, until an answer other than KR_EAGAIN. Returns it with *at the number of
 * bytes it was given; checks that one call with a fresh state over as many bytes gives
 * the same answer. */
static int fs_steps(const char *s, size_t len, size_t whole, size_t max_head, size_t step,
                    size_t *ml, size_t *at)
{
    struct kr_msrp_stream_state st = { 0 };
    struct kr_err e = { 0 };
    int rc = KR_EAGAIN;
    size_t n = 0;
    *ml = 0;
    while (n < len) {
        n = len - n < step ? len : n + step;
        rc = fs_call(s, n, whole, max_head, &st, ml, &e);
        if (rc != KR_EAGAIN) {
            break;
        }
    }
    *at = n;
    size_t ml1 = 0;
    int rc1 = fs_once(s, n, whole, max_head, &ml1);
    if (rc1 != rc || (rc >= 0 && rc != KR_EAGAIN && ml1 != *ml)) {
        fail_msg("step %zu: resumed %d/%zu, once %d/%zu at %zu bytes", step, rc, *ml, rc1, ml1, n);
    }
    return rc;
}

/* Every split and every step size gives a whole frame of first_end bytes (the first
 * end-line of the tid), never earlier. */
static void fs_all_splits(const char *s, size_t first_end)
{
    struct kr_str h = tu_heap(s);
    size_t len = h.len;
    size_t ml = 0;
    size_t at = 0;
    for (size_t k = 1; k < len; k++) {
        struct kr_msrp_stream_state st = { 0 };
        struct kr_err e = { 0 };
        int rc = fs_call(h.ptr, k, 1 << 20, KR_MSRP_MAX_HEAD, &st, &ml, &e);
        if (k < first_end) {
            if (rc != KR_EAGAIN) {
                fail_msg("split %zu of %zu: %d before the end", k, len, rc);
            }
            rc = fs_call(h.ptr, len, 1 << 20, KR_MSRP_MAX_HEAD, &st, &ml, &e);
        }
        if (rc != 0 || ml != first_end) {
            fail_msg("split %zu of %zu: rc %d, msg_len %zu, expected %zu", k, len, rc, ml,
                     first_end);
        }
    }
    for (size_t step = 1; step <= len; step++) {
        assert_int_equal(fs_steps(h.ptr, len, 1 << 20, KR_MSRP_MAX_HEAD, step, &ml, &at), 0);
        assert_int_equal(ml, first_end);
        if (step == 1) {
            assert_int_equal(at, first_end); /* answered as soon as the end-line was in */
        }
    }
}

static void test_stream_whole(void **state)
{
    (void)state;
    size_t ml = 0;
    /* it must fit a connection's framer scratch (struct kr_net_frame_state) */
    assert_true(sizeof(struct kr_msrp_stream_state) <= 64);

    struct kr_str s = tu_heap(send_frame);
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), 0);
    assert_int_equal(ml, s.len);
    s = tu_heap(auth_frame);
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), 0);
    assert_int_equal(ml, s.len);

    /* Two frames back to back: the first is cut, then the second from a fresh state. */
    char two[sizeof(send_frame) + sizeof(auth_frame)];
    memcpy(two, send_frame, sizeof(send_frame) - 1);
    memcpy(two + sizeof(send_frame) - 1, auth_frame, sizeof(auth_frame));
    s = tu_heap(two);
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), 0);
    assert_int_equal(ml, sizeof(send_frame) - 1);
    size_t ml2 = 0;
    assert_int_equal(fs_once(s.ptr + ml, s.len - ml, 1 << 20, KR_MSRP_MAX_HEAD, &ml2), 0);
    assert_int_equal(ml2, sizeof(auth_frame) - 1);

    /* No headers at all, other flags, a response: still ended by the first end-line. */
    static const char *const ok[] = {
        "MSRP abcd SEND\r\n-------abcd$\r\n",
        "MSRP abcd SEND\r\n" PATHS "\r\nx\r\n-------abcd+\r\n",
        "MSRP abcd SEND\r\n" PATHS "\r\n-------abcd#\r\n",
        "MSRP abcd 200 OK\r\n" PATHS "-------abcd$\r\n",
        "MSRP a2345678901234567890123456789012 SEND\r\n" PATHS
        "-------a2345678901234567890123456789012$\r\n",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        s = tu_heap(ok[i]);
        if (fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml) != 0 || ml != s.len) {
            fail_msg("not cut whole: %s", ok[i]);
        }
    }
    /* Not yet: the end-line's last byte is missing, or the flag. */
    static const char *const more[] = {
        "MSRP abcd SEND\r\n" PATHS "-------abcd$\r",
        "MSRP abcd SEND\r\n" PATHS "-------abcd",
        "MSRP abcd SEND\r\n" PATHS "\r\n-------abcd$",
        "MSRP abcd SEND\r\n" PATHS "\r\n-------abc",
        "MSRP abcd SEND\r\n",
        "MSRP abcd SEND\r",
        "MSRP abcd SEND",
        "MSRP ",
        "MS",
    };
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        s = tu_heap(more[i]);
        if (fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml) != KR_EAGAIN) {
            fail_msg("not KR_EAGAIN: %s", more[i]);
        }
    }
}

static void test_stream_splits(void **state)
{
    (void)state;
    fs_all_splits(send_frame, sizeof(send_frame) - 1);
    fs_all_splits(auth_frame, sizeof(auth_frame) - 1);
    fs_all_splits("MSRP abcd SEND\r\n-------abcd$\r\n", 30);
    /* a frame followed by the start of the next one */
    fs_all_splits("MSRP abcd SEND\r\n" PATHS "\r\nhi\r\n-------abcd$\r\nMSRP efgh SEND\r\n",
                  sizeof("MSRP abcd SEND\r\n" PATHS "\r\nhi\r\n-------abcd$\r\n") - 1);
}

#define DECOY_HEAD "MSRP a786hjs2 SEND\r\n" PATHS "Content-Type: text/plain\r\n\r\n"
#define DECOY_BODY                                                                                 \
    "abc\r\n-------other$\r\n"    /* another tid's end-line */                                     \
    "\r\n-------a786hjs2\r\n"     /* no flag */                                                    \
    "\r\n-------a786hjs2$x\r\n"   /* no CRLF after the flag */                                     \
    "\r\n-------a786hjs2$\r"      /* CR then no LF */                                              \
    "\r\n------a786hjs2$\r\n"     /* six dashes */                                                 \
    "\r\n-------a786hjs22$\r\n"   /* a longer tid */                                               \
    "\r\n-------a786hjs$\r\n"     /* a shorter tid */                                              \
    "x-------a786hjs2$\r\n"       /* no CRLF before */                                             \
    "\r\n--------a786hjs2$\r\n"   /* eight dashes */                                               \
    "\r\r\n\r\n-------a786hjs"    /* a partial end-line ... */                                     \
    "\r\n-------a786hjs2\r\n\r\n" /* ... and another */                                            \
    "tail"
#define DECOY_END "\r\n-------a786hjs2+\r\n"

static void test_stream_decoys(void **state)
{
    (void)state;
    static const char frame[] = DECOY_HEAD DECOY_BODY DECOY_END "MSRP next SEND\r\n";
    size_t end = sizeof(DECOY_HEAD DECOY_BODY DECOY_END) - 1;
    fs_all_splits(frame, end);

    /* The found frame is what kr_msrp_parse_head and kr_msrp_find_end agree on. */
    struct kr_msrp_frame f;
    struct kr_err e = { 0 };
    struct kr_str s = tu_heapn(frame, end);
    assert_int_equal(kr_msrp_parse_head(s.ptr, s.len, &arena, &f, &e), 0);
    struct kr_msrp_end_state st;
    char flag = 0;
    kr_msrp_end_init(&st, true);
    assert_int_equal(kr_msrp_find_end(s.ptr + f.body_off, s.len - f.body_off, f.tid, &st, &flag),
                     (long)(s.len - f.body_off));
    assert_int_equal(flag, '+');
    assert_int_equal(st.body_len, sizeof(DECOY_BODY) - 1);

    /* Another tid's end-line where the headers end does not end this frame either. */
    static const char other[] =
        "MSRP abcd SEND\r\n" PATHS "-------efgh$\r\n\r\nx\r\n-------abcd$\r\n";
    fs_all_splits(other, sizeof(other) - 1);
}

/* A frame of head + body_len body bytes (CRLFs and decoy dashes among them) + end-line,
 * on the heap (tu_ owned). */
static struct kr_str big_frame(const char *head, size_t body_len, const char *tid)
{
    size_t hl = strlen(head);
    size_t tl = strlen(tid);
    size_t len = hl + body_len + 2 + 7 + tl + 3;
    char *p = malloc(len);
    assert_non_null(p);
    memcpy(p, head, hl);
    for (size_t i = 0; i < body_len; i++) {
        p[hl + i] = (char)('a' + i % 26);
        if (i % 100 == 98) {
            p[hl + i] = '\r';
        } else if (i % 100 == 99) {
            p[hl + i] = '\n';
        } else if (i % 100 < 7) {
            p[hl + i] = '-';
        }
    }
    char *q = p + hl + body_len;
    memcpy(q, "\r\n-------", 9);
    memcpy(q + 9, tid, tl);
    memcpy(q + 9 + tl, "$\r\n", 3);
    struct kr_str s = tu_heapn(p, len);
    free(p);
    return s;
}

#define BIG_HEAD                                                                                   \
    "MSRP bigtid01 SEND\r\n" PATHS "Message-ID: m1\r\nByte-Range: 1-3000/3000\r\n"                 \
    "Content-Type: text/plain\r\n\r\n"

static void test_stream_head(void **state)
{
    (void)state;
    struct kr_str s = big_frame(BIG_HEAD, 3000, "bigtid01");
    size_t hl = sizeof(BIG_HEAD) - 1;
    size_t ml = 0;
    size_t at = 0;

    /* Byte by byte: KR_EAGAIN below `whole` bytes, the head as soon as `whole` are in. */
    assert_int_equal(fs_steps(s.ptr, s.len, 1024, KR_MSRP_MAX_HEAD, 1, &ml, &at),
                     KR_MSRP_FRAME_HEAD);
    assert_int_equal(at, 1024);
    assert_int_equal(ml, hl);
    /* whole == the head's length: the head at once. */
    assert_int_equal(fs_steps(s.ptr, s.len, hl, KR_MSRP_MAX_HEAD, 1, &ml, &at), KR_MSRP_FRAME_HEAD);
    assert_int_equal(at, hl);
    assert_int_equal(ml, hl);
    /* Larger steps: answered at the first step past `whole`. */
    for (size_t step = 7; step < 2000; step += 113) {
        assert_int_equal(fs_steps(s.ptr, s.len, 1024, KR_MSRP_MAX_HEAD, step, &ml, &at),
                         KR_MSRP_FRAME_HEAD);
        assert_int_equal(ml, hl);
        assert_true(at >= 1024 && at < 1024 + step);
    }
    /* A frame no larger than `whole` is whole, however it arrives. */
    for (size_t step = 1; step < s.len; step += 97) {
        assert_int_equal(fs_steps(s.ptr, s.len, s.len, KR_MSRP_MAX_HEAD, step, &ml, &at), 0);
        assert_int_equal(ml, s.len);
    }
    /* The head exactly at max_head is fine; one byte less is too long. */
    assert_int_equal(fs_once(s.ptr, 1024, 1024, hl, &ml), KR_MSRP_FRAME_HEAD);
    assert_int_equal(ml, hl);
    assert_int_equal(fs_once(s.ptr, 1024, 1024, hl - 1, &ml), KR_ELIMIT);
    /* An empty body: the end-line right after the blank line is found, not streamed. */
    struct kr_str z = big_frame(BIG_HEAD, 0, "bigtid01");
    assert_int_equal(fs_once(z.ptr, z.len, 16, KR_MSRP_MAX_HEAD, &ml), 0);
    assert_int_equal(ml, z.len);
}

static void test_stream_errors(void **state)
{
    (void)state;
    size_t ml = 0;
    size_t at = 0;

    /* No start line with a valid tid. */
    static const char *const bad[] = {
        "MSRP abc SEND\r\n" PATHS "-------abc$\r\n",
        "MSRP .abc SEND\r\n" PATHS "-------.abc$\r\n",
        "MSRP ab_c SEND\r\n" PATHS "-------ab_c$\r\n",
        "MSRP a23456789012345678901234567890123 SEND\r\n" PATHS "\r\n",
        "MSRP  abcd SEND\r\n" PATHS "-------abcd$\r\n",
        "MSRP abcd SEND\n" PATHS "-------abcd$\r\n", /* bare LF */
        "MSRP \n",
        "HELLO abcd SEND\r\n-------abcd$\r\n",
        "\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kr_str s = tu_heap(bad[i]);
        if (fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml) != KR_EPARSE) {
            fail_msg("not KR_EPARSE: %s", bad[i]);
        }
        /* ... however it arrives */
        if (fs_steps(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, 1, &ml, &at) != KR_EPARSE) {
            fail_msg("trickled, not KR_EPARSE: %s", bad[i]);
        }
    }
    /* A start line without its LF: waited for up to KR_MSRP_START_LINE_MAX bytes. */
    char line[KR_MSRP_START_LINE_MAX + 16];
    memset(line, 'x', sizeof(line));
    memcpy(line, "MSRP abcd SEND ", 15);
    struct kr_str s = tu_heapn(line, KR_MSRP_START_LINE_MAX - 1);
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), KR_EAGAIN);
    s = tu_heapn(line, KR_MSRP_START_LINE_MAX);
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), KR_EPARSE);
    s = tu_heapn(line, sizeof(line));
    assert_int_equal(fs_steps(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, 3, &ml, &at), KR_EPARSE);
    assert_true(at <= KR_MSRP_START_LINE_MAX + 2);
    /* ... and one ending just within it is read. */
    memcpy(line + KR_MSRP_START_LINE_MAX - 2, "\r\n-------abcd$\r\n", 16);
    s = tu_heapn(line, KR_MSRP_START_LINE_MAX + 14);
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), 0);
    assert_int_equal(ml, s.len);

    /* The head of a frame larger than `whole` must be sound. */
    s = tu_heap("MSRP abcd SEND\r\nTo-Path: msrp://b/s;tcp\nFrom-Path: msrp://a/s;tcp\r\n\r\n"
                "body body body body body body body body");
    assert_int_equal(fs_once(s.ptr, s.len, 64, KR_MSRP_MAX_HEAD, &ml), KR_EPARSE);
    s = tu_heap("MSRP abcd SEND\r\n" PATHS "-------efgh$\r\nsomething more that is not an end");
    assert_int_equal(fs_once(s.ptr, s.len, 64, KR_MSRP_MAX_HEAD, &ml), KR_EPARSE);
    /* ... but in a frame cut whole, bytes the head parser refuses do not matter. */
    s = tu_heap("MSRP abcd SEND\r\nTo-Path: msrp://b/s;tcp\nFrom-Path: x\r\n\r\n"
                "body\r\n-------abcd$\r\n");
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), 0);
    assert_int_equal(ml, s.len);
}

static void test_stream_limit(void **state)
{
    (void)state;
    size_t ml = 0;
    size_t at = 0;
    char buf[8192];
    struct kr_buf b;

    /* Headers that never end: refused once more than max_head bytes are in (whole is
     * above max_head here: see test_stream_head_longer_than_whole for below). */
    kr_buf_init_fixed(&b, buf, sizeof(buf));
    kr_buf_append_c(&b, "MSRP abcd SEND\r\n" PATHS);
    while (b.len < 3000) {
        kr_buf_append_c(&b, "X-Pad: 0123456789012345678901234567890123456789\r\n");
    }
    assert_int_equal(b.err, 0);
    struct kr_str s = tu_heapn(b.ptr, b.len);
    assert_int_equal(fs_once(s.ptr, s.len, 64, 1000, &ml), KR_ELIMIT);
    assert_int_equal(fs_steps(s.ptr, s.len, 1001, 1000, 500, &ml, &at), KR_ELIMIT);
    assert_int_equal(at, 1500);
    /* A complete head past max_head, with a body after it. */
    kr_buf_append_c(&b, "\r\n");
    size_t hl = b.len;
    for (int i = 0; i < 20; i++) {
        kr_buf_append_c(&b, "body body body body body body body body body body\r\n");
    }
    assert_int_equal(b.err, 0);
    s = tu_heapn(b.ptr, b.len);
    assert_int_equal(fs_once(s.ptr, s.len, 64, 1000, &ml), KR_ELIMIT);
    assert_int_equal(fs_once(s.ptr, s.len, 64, hl, &ml), KR_MSRP_FRAME_HEAD);
    assert_int_equal(ml, hl);
    assert_int_equal(fs_once(s.ptr, s.len, 64, hl - 1, &ml), KR_ELIMIT);
}

static void test_stream_malformed_whole(void **state)
{
    (void)state;
    size_t ml = 0;
    /* From-Path before To-Path: cut whole (so that a 400 can go back), and the head
     * parser then reports the fault with the tid known. */
    static const char fr[] = "MSRP abcd SEND\r\n"
                             "From-Path: msrp://a/s;tcp\r\n"
                             "To-Path: msrp://b/s;tcp\r\n"
                             "Message-ID: m123\r\n\r\n"
                             "hello\r\n"
                             "-------abcd$\r\n";
    fs_all_splits(fr, sizeof(fr) - 1);
    struct kr_str s = tu_heap(fr);
    assert_int_equal(fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml), 0);
    struct kr_msrp_frame f;
    struct kr_err e = { 0 };
    assert_int_equal(kr_msrp_parse_head(s.ptr, ml, &arena, &f, &e), KR_EPARSE);
    ASSERT_STR(f.tid, "abcd");
    assert_string_equal(e.reason, "MSRP: To-Path is not the first header");

    /* Lines that are no headers at all, a bad method, a body-less frame without paths. */
    static const char *const junk[] = {
        "MSRP abcd SEND\r\nnot a header\r\n\001\002\r\n\r\n-------abcd$\r\n",
        "MSRP abcd send\r\n" PATHS "-------abcd$\r\n",
        "MSRP abcd SEND\r\nX: y\r\n-------abcd$\r\n",
        "MSRP abcd 2000 what\r\n-------abcd$\r\n",
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        s = tu_heap(junk[i]);
        if (fs_once(s.ptr, s.len, 1 << 20, KR_MSRP_MAX_HEAD, &ml) != 0 || ml != s.len) {
            fail_msg("not cut whole: %s", junk[i]);
        }
        assert_int_equal(kr_msrp_parse_head(s.ptr, s.len, &arena, &f, &e), KR_EPARSE);
    }
}

/* Once `whole` bytes are buffered, a head that is not complete yet waits for more bytes
 * up to max_head: with whole_frame_size=1024, a 2 KB head (long paths, a large
 * Authorization) arriving in pieces is still framed. */
static void test_stream_head_longer_than_whole(void **state)
{
    (void)state;
    char head[4096];
    struct kr_buf b;
    kr_buf_init_fixed(&b, head, sizeof(head));
    kr_buf_append_c(&b, "MSRP longhd1 SEND\r\n" PATHS);
    while (b.len < 2000) {
        kr_buf_append_c(&b, "X-Pad: 0123456789012345678901234567890123456789\r\n");
    }
    kr_buf_append_c(&b, "\r\n");
    assert_int_equal(b.err, 0);
    head[b.len] = '\0';
    size_t hl = b.len;
    struct kr_str s = big_frame(head, 5000, "longhd1");
    size_t ml = 0;
    size_t at = 0;
    int rc = fs_steps(s.ptr, s.len, 1024, KR_MSRP_MAX_HEAD, 100, &ml, &at);
    if (rc != KR_MSRP_FRAME_HEAD || ml != hl) {
        fail_msg("2 KB head, whole 1024, 100-byte pieces: rc %d (msg_len %zu) after %zu bytes;"
                 " expected KR_MSRP_FRAME_HEAD with %zu",
                 rc, ml, at, hl);
    }
}

/* The same for a body-less frame (e.g. an AUTH) whose head is longer than `whole`. */
static void test_stream_bodyless_longer_than_whole(void **state)
{
    (void)state;
    char fr[4096];
    struct kr_buf b;
    kr_buf_init_fixed(&b, fr, sizeof(fr));
    kr_buf_append_c(&b, "MSRP longau1 AUTH\r\n" PATHS);
    while (b.len < 2000) {
        kr_buf_append_c(&b, "X-Pad: 0123456789012345678901234567890123456789\r\n");
    }
    kr_buf_append_c(&b, "-------longau1$\r\n");
    assert_int_equal(b.err, 0);
    struct kr_str s = tu_heapn(b.ptr, b.len);
    struct kr_msrp_stream_state st = { 0 };
    struct kr_err e = { 0 };
    size_t ml = 0;
    int rc = fs_call(s.ptr, 1100, 1024, KR_MSRP_MAX_HEAD, &st, &ml, &e);
    if (rc == KR_EAGAIN) {
        rc = fs_call(s.ptr, s.len, 1024, KR_MSRP_MAX_HEAD, &st, &ml, &e);
    }
    if (rc != 0 || ml != s.len) {
        fail_msg("body-less %zu-byte frame, whole 1024, 1100 bytes then the rest: rc %d (%s);"
                 " expected 0 with %zu",
                 s.len, rc, e.reason ? e.reason : "", s.len);
    }
}

/* A frame larger than `whole` whose end-line is already buffered is still cut as a head:
 * the answer does not depend on how the bytes were split (in korero a frame arriving in
 * one read would otherwise pass the transport's message size). */
static void test_stream_end_past_whole(void **state)
{
    (void)state;
    struct kr_str s = big_frame(BIG_HEAD, 3000, "bigtid01");
    size_t hl = sizeof(BIG_HEAD) - 1;
    size_t ml = 0;
    int rc = fs_once(s.ptr, s.len, 1024, KR_MSRP_MAX_HEAD, &ml);
    if (rc != KR_MSRP_FRAME_HEAD || ml != hl) {
        fail_msg("%zu-byte frame in one call, whole 1024: rc %d, msg_len %zu; expected the"
                 " head (%zu bytes), as when it arrives byte by byte",
                 s.len, rc, ml, hl);
    }
    /* 1000 bytes (under `whole`), then all of it. */
    struct kr_msrp_stream_state st = { 0 };
    struct kr_err e = { 0 };
    assert_int_equal(fs_call(s.ptr, 1000, 1024, KR_MSRP_MAX_HEAD, &st, &ml, &e), KR_EAGAIN);
    rc = fs_call(s.ptr, s.len, 1024, KR_MSRP_MAX_HEAD, &st, &ml, &e);
    if (rc != KR_MSRP_FRAME_HEAD || ml != hl) {
        fail_msg("1000 bytes then %zu, whole 1024: rc %d, msg_len %zu; expected the head", s.len,
                 rc, ml);
    }
}

static void test_start_tid(void **state)
{
    (void)state;
    struct kr_str s = tu_heap("MSRP a786hjs2 SEND\r\n");
    ASSERT_STR(kr_msrp_start_tid(s.ptr, s.len), "a786hjs2");
    ASSERT_STR(kr_msrp_start_tid(s.ptr, 14), "a786hjs2");  /* through the SP only */
    assert_int_equal(kr_msrp_start_tid(s.ptr, 13).len, 0); /* the SP is not in */
    assert_int_equal(kr_msrp_start_tid(s.ptr, 5).len, 0);
    assert_int_equal(kr_msrp_start_tid(s.ptr, 0).len, 0);
    s = tu_heap("MSRP 1a.-+%= 200 OK\r\n");
    ASSERT_STR(kr_msrp_start_tid(s.ptr, s.len), "1a.-+%=");
    s = tu_heap("MSRP a2345678901234567890123456789012 SEND\r\n");
    ASSERT_STR(kr_msrp_start_tid(s.ptr, s.len), "a2345678901234567890123456789012");

    static const char *const bad[] = {
        "MSRP abc SEND\r\n",   "MSRP a23456789012345678901234567890123 SEND\r\n",
        "MSRP .abc SEND\r\n",  "MSRP ab_c SEND\r\n",
        "MSRP ab\rc SEND\r\n", "MSRP  abcd SEND\r\n",
        "MSRP abcd\r\n",       "MSRP abcd",
        "msrp abcd SEND\r\n",  "MSRPabcd SEND\r\n",
        "SIP/2.0 200 OK\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = tu_heap(bad[i]);
        if (kr_msrp_start_tid(s.ptr, s.len).len != 0) {
            fail_msg("tid read from: %s", bad[i]);
        }
    }
}

static bool collides(const char *body, const char *tid)
{
    return kr_msrp_tid_collides(tu_heap(body), tu_heap(tid));
}

static void test_tid_collides(void **state)
{
    (void)state;
    assert_true(collides("-------abcd", "abcd"));
    assert_true(collides("-------abcd$\r\n", "abcd"));
    assert_true(collides("xx\r\n--------abcdef", "abcd")); /* 8 dashes, a longer tid */
    assert_true(collides("a-b--c---------abcd", "abcd"));
    assert_true(collides("------- -------abcd", "abcd"));
    assert_false(collides("", "abcd"));
    assert_false(collides("-------", "abcd"));
    assert_false(collides("-------abc", "abcd")); /* cut at the end */
    assert_false(collides("------abcd", "abcd"));
    assert_false(collides("-------abce", "abcd"));
    assert_false(collides("------- abcd", "abcd"));
    assert_false(collides("-------ABCD", "abcd"));
    assert_false(collides("abcd-------", "abcd"));
    /* every offset, inside a longer body */
    char body[64];
    for (size_t at = 0; at + 11 <= sizeof(body); at++) {
        memset(body, '-', sizeof(body));
        body[0] = 'x';
        memcpy(body + at, "-------wxyz", 11);
        struct kr_str b = tu_heapn(body, sizeof(body));
        assert_true(kr_msrp_tid_collides(b, KR_STR("wxyz")));
        body[at + 10] = '?';
        b = tu_heapn(body, sizeof(body));
        assert_false(kr_msrp_tid_collides(b, KR_STR("wxyz")));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_send),
        T(test_no_body),
        T(test_start_line),
        T(test_header_order),
        T(test_frame_head),
        T(test_find_end),
        T(test_path),
        T(test_range),
        T(test_reports_status_expires),
        T(test_build),
        T(test_stream_whole),
        T(test_stream_splits),
        T(test_stream_decoys),
        T(test_stream_head),
        T(test_stream_errors),
        T(test_stream_limit),
        T(test_stream_malformed_whole),
        T(test_start_tid),
        T(test_tid_collides),
        /* These three fail: they show bugs in kr_msrp_frame_stream (see above). */
        T(test_stream_head_longer_than_whole),
        T(test_stream_bodyless_longer_than_whole),
        T(test_stream_end_past_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
