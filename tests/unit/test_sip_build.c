/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for sip/build: edits applied to received bytes (ordering, conflicts,
 * Content-Length fixing) and stateless replies, checked byte for byte. */
#include "core/arena.h"
#include "sip/build.h"
#include "sip_test_util.h"

static struct kr_arena arena;

static int setup(void **state)
{
    (void)state;
    kr_arena_init(&arena, 16384, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    kr_arena_fini(&arena);
    return tu_free_all(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static void parse_ok(const char *lit, struct kr_sip_msg *m)
{
    struct kr_err e = { 0 };
    struct kr_str s = tu_heap(lit);
    int rc = kr_sip_msg_parse(s.ptr, s.len, &arena, m, &e);
    if (rc != 0) {
        fail_msg("parse: %d %s", rc, e.reason);
    }
}

/* Offset of the first occurrence of needle in the message. */
static size_t off_of(const struct kr_sip_msg *m, const char *needle)
{
    long i = kr_str_find(m->buf, kr_str_c(needle));
    assert_true(i >= 0);
    return (size_t)i;
}

static void expect_build(const struct kr_sip_msg *m, const struct kr_sip_edits *e, bool fix,
                         const char *want)
{
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, 65536);
    assert_int_equal(kr_sip_build(m, e, fix, &out), 0);
    if (out.len != strlen(want) || memcmp(out.ptr, want, out.len) != 0) {
        fail_msg("built:\n%.*s\n--- expected:\n%s", (int)out.len, out.ptr, want);
    }
    kr_buf_fini(&out);
}

#define REQ                                                                                        \
    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"                                                        \
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"                                \
    "Max-Forwards: 70\r\n"                                                                         \
    "To: Bob <sip:bob@biloxi.com>\r\n"                                                             \
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"                                       \
    "Call-ID: a84b4c76e66710\r\n"                                                                  \
    "CSeq: 314159 INVITE\r\n"                                                                      \
    "Content-Length: 5\r\n"                                                                        \
    "\r\n"                                                                                         \
    "hello"

static void test_no_edits(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_sip_edits e;

    parse_ok(REQ, &m);
    kr_sip_edits_init(&e, &arena);
    expect_build(&m, &e, false, REQ);
    expect_build(&m, NULL, false, REQ);
    expect_build(&m, &e, true, REQ); /* Content-Length already right: same bytes */
}

static void test_edits(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_sip_edits e;

    parse_ok(REQ, &m);
    kr_sip_edits_init(&e, &arena);
    const struct kr_sip_hdr *mf = kr_sip_msg_hdr(&m, KR_SIP_HDR_MAX_FORWARDS, 0);
    size_t via_off = off_of(&m, "Via:");
    /* Record-Route then a second Via on top, both at the same offset: creation order */
    assert_int_equal(
        kr_sip_edit_insert(&e, via_off, KR_STR("Via: SIP/2.0/UDP p1;branch=z9hG4bK1\r\n")), 0);
    assert_int_equal(kr_sip_edit_insert(&e, via_off, KR_STR("Record-Route: <sip:p1;lr>\r\n")), 0);
    /* Max-Forwards decremented: replace its value */
    assert_int_equal(
        kr_sip_edit_replace(&e, (size_t)(mf->value.ptr - m.buf.ptr), mf->value.len, KR_STR("69")),
        0);
    /* new Request-URI */
    assert_int_equal(
        kr_sip_edit_replace(&e, 7, strlen("sip:bob@biloxi.com"), KR_STR("sip:bob@192.0.2.4:5060")),
        0);
    /* drop Call-ID? no: drop the From tag parameter */
    size_t tag = off_of(&m, ";tag=1928301774");
    assert_int_equal(kr_sip_edit_delete(&e, tag, strlen(";tag=1928301774")), 0);
    /* deleting the same range again is a no-op success */
    assert_int_equal(kr_sip_edit_delete(&e, tag, strlen(";tag=1928301774")), 0);
    assert_int_equal(e.n, 5);
    assert_true(kr_sip_edits_deleted(&e, tag, 4));
    assert_true(kr_sip_edits_deleted(&e, tag + 1, strlen(";tag=1928301774") - 1));
    assert_false(kr_sip_edits_deleted(&e, tag - 1, 2));
    assert_false(kr_sip_edits_deleted(&e, via_off, 1));
    expect_build(&m, &e, false,
                 "INVITE sip:bob@192.0.2.4:5060 SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP p1;branch=z9hG4bK1\r\n"
                 "Record-Route: <sip:p1;lr>\r\n"
                 "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
                 "Max-Forwards: 69\r\n"
                 "To: Bob <sip:bob@biloxi.com>\r\n"
                 "From: Alice <sip:alice@atlanta.com>\r\n"
                 "Call-ID: a84b4c76e66710\r\n"
                 "CSeq: 314159 INVITE\r\n"
                 "Content-Length: 5\r\n"
                 "\r\n"
                 "hello");
}

static void test_same_offset_order(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_sip_edits e;

    parse_ok("BYE sip:a@b SIP/2.0\r\nX: 1\r\n\r\n", &m);
    kr_sip_edits_init(&e, &arena);
    size_t x = off_of(&m, "X: 1");
    assert_int_equal(kr_sip_edit_insert(&e, x, KR_STR("A\r\n")), 0);
    assert_int_equal(kr_sip_edit_replace(&e, x, 4, KR_STR("Y: 2")), 0);
    assert_int_equal(kr_sip_edit_insert(&e, x, KR_STR("B\r\n")), 0);
    assert_int_equal(kr_sip_edit_insert(&e, x + 4, KR_STR(";p")), 0);
    assert_int_equal(kr_sip_edit_insert(&e, 0, KR_STR("")), 0);
    expect_build(&m, &e, false, "BYE sip:a@b SIP/2.0\r\nA\r\nY: 2B\r\n;p\r\n\r\n");
}

static void test_conflicts(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_sip_edits e;

    parse_ok(REQ, &m);
    kr_sip_edits_init(&e, &arena);
    assert_int_equal(kr_sip_edit_delete(&e, 10, 10), 0);
    assert_int_equal(kr_sip_edit_delete(&e, 15, 10), KR_EINVAL);               /* overlaps */
    assert_int_equal(kr_sip_edit_delete(&e, 5, 6), KR_EINVAL);                 /* overlaps */
    assert_int_equal(kr_sip_edit_delete(&e, 12, 2), KR_EINVAL);                /* inside */
    assert_int_equal(kr_sip_edit_replace(&e, 10, 10, KR_STR("x")), KR_EINVAL); /* same range */
    assert_int_equal(kr_sip_edit_insert(&e, 15, KR_STR("x")), KR_EINVAL);      /* lost inside */
    assert_int_equal(kr_sip_edit_insert(&e, 10, KR_STR("x")), 0); /* at the edges is fine */
    assert_int_equal(kr_sip_edit_insert(&e, 20, KR_STR("y")), 0);
    assert_int_equal(kr_sip_edit_insert(&e, 40, KR_STR("z")), 0);
    assert_int_equal(kr_sip_edit_delete(&e, 30, 20), KR_EINVAL); /* would swallow z */
    assert_int_equal(kr_sip_edit_delete(&e, 20, 5), 0);          /* adjacent */
    assert_int_equal(kr_sip_edit_delete(&e, 0, 0), 0);           /* nothing */
    assert_int_equal(kr_sip_edit_delete(&e, SIZE_MAX, 2), KR_EINVAL);
    assert_int_equal(e.n, 5);

    /* offsets past the message, or across the header/body boundary */
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, 65536);
    struct kr_sip_edits e2;
    kr_sip_edits_init(&e2, &arena);
    assert_int_equal(kr_sip_edit_insert(&e2, m.buf.len + 1, KR_STR("x")), 0);
    assert_int_equal(kr_sip_build(&m, &e2, false, &out), KR_EINVAL);
    kr_sip_edits_init(&e2, &arena);
    assert_int_equal(kr_sip_edit_delete(&e2, m.buf.len - 7, 4), 0);
    assert_int_equal(kr_sip_build(&m, &e2, false, &out), KR_EINVAL);
    kr_sip_edits_init(&e2, &arena);
    assert_int_equal(kr_sip_edit_insert(&e2, m.buf.len, KR_STR("!")), 0); /* end is fine */
    kr_buf_clear(&out);
    assert_int_equal(kr_sip_build(&m, &e2, false, &out), 0);
    kr_buf_fini(&out);
    /* the output cap */
    kr_buf_init_heap(&out, 0, 16);
    assert_int_equal(kr_sip_build(&m, NULL, false, &out), KR_ELIMIT);
    kr_buf_fini(&out);
}

static void test_content_length_fix(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_sip_edits e;
    const char *hdrs = "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
                       "Max-Forwards: 70\r\n"
                       "To: Bob <sip:bob@biloxi.com>\r\n"
                       "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
                       "Call-ID: a84b4c76e66710\r\n"
                       "CSeq: 314159 INVITE\r\n";
    char want[1024];

    /* the body was edited: Content-Length follows without being asked */
    parse_ok(REQ, &m);
    kr_sip_edits_init(&e, &arena);
    size_t body = (size_t)(m.body.ptr - m.buf.ptr);
    assert_int_equal(kr_sip_edit_replace(&e, body, 5, KR_STR("hi there, Bob")), 0);
    snprintf(want, sizeof(want), "%sContent-Length: 13\r\n\r\nhi there, Bob", hdrs);
    expect_build(&m, &e, false, want);
    /* the body removed entirely, an insert at its start */
    kr_sip_edits_init(&e, &arena);
    assert_int_equal(kr_sip_edit_delete(&e, body, 5), 0);
    assert_int_equal(kr_sip_edit_insert(&e, body, KR_STR("v=0\r\n")), 0);
    snprintf(want, sizeof(want), "%sContent-Length: 5\r\n\r\nv=0\r\n", hdrs);
    expect_build(&m, &e, false, want);

    /* missing Content-Length added on request (a stream), before the empty line */
    parse_ok("MESSAGE sip:a@b SIP/2.0\r\nTo: x\r\n\r\nhello", &m);
    expect_build(&m, NULL, true,
                 "MESSAGE sip:a@b SIP/2.0\r\nTo: x\r\nContent-Length: 5\r\n\r\nhello");
    expect_build(&m, NULL, false, "MESSAGE sip:a@b SIP/2.0\r\nTo: x\r\n\r\nhello");
    /* user inserts at the end of the header part come before it */
    kr_sip_edits_init(&e, &arena);
    size_t eoh = off_of(&m, "\r\n\r\n") + 2;
    assert_int_equal(kr_sip_edit_insert(&e, eoh, KR_STR("X-A: 1\r\n")), 0);
    expect_build(&m, &e, true,
                 "MESSAGE sip:a@b SIP/2.0\r\nTo: x\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello");
    /* no header at all, bare LF */
    parse_ok("MESSAGE sip:a@b SIP/2.0\n\nab", &m);
    expect_build(&m, NULL, true, "MESSAGE sip:a@b SIP/2.0\nContent-Length: 2\r\n\nab");

    /* compact form and several (equal) values: each rewritten in place */
    parse_ok("MESSAGE sip:a@b SIP/2.0\r\nl:  2 \r\nTo: x\r\nContent-Length:\r\n 2\r\n\r\nab", &m);
    kr_sip_edits_init(&e, &arena);
    body = (size_t)(m.body.ptr - m.buf.ptr);
    assert_int_equal(kr_sip_edit_insert(&e, body + 2, KR_STR("cdefghijkl")), 0);
    expect_build(&m, &e, false,
                 "MESSAGE sip:a@b SIP/2.0\r\nl:  12 \r\nTo: x\r\nContent-Length:\r\n 12\r\n\r\n"
                 "abcdefghijkl");

    /* a Content-Length the user removed is not rewritten; a new one is added */
    parse_ok(REQ, &m);
    kr_sip_edits_init(&e, &arena);
    const struct kr_sip_hdr *cl = kr_sip_msg_hdr(&m, KR_SIP_HDR_CONTENT_LENGTH, 0);
    assert_int_equal(kr_sip_edit_delete(&e, (size_t)(cl->raw.ptr - m.buf.ptr), cl->raw.len), 0);
    snprintf(want, sizeof(want), "%sContent-Length: 5\r\n\r\nhello", hdrs);
    expect_build(&m, &e, true, want);
    /* ... and without fixing the message goes out without it */
    snprintf(want, sizeof(want), "%s\r\nhello", hdrs);
    expect_build(&m, &e, false, want);
    /* a Content-Length whose value an edit changed is left to that edit: no second one */
    kr_sip_edits_init(&e, &arena);
    assert_int_equal(kr_sip_edit_replace(&e, (size_t)(cl->value.ptr - m.buf.ptr), 1, KR_STR("7")),
                     0);
    snprintf(want, sizeof(want), "%sContent-Length: 7\r\n\r\nhello", hdrs);
    expect_build(&m, &e, true, want);
    /* a body grown to 0 -> many digits */
    parse_ok("MESSAGE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n", &m);
    kr_sip_edits_init(&e, &arena);
    char big[1200];
    memset(big, 'x', sizeof(big));
    assert_int_equal(kr_sip_edit_insert(&e, m.buf.len, kr_str_make(big, sizeof(big))), 0);
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, 65536);
    assert_int_equal(kr_sip_build(&m, &e, false, &out), 0);
    assert_int_equal(out.len, strlen("MESSAGE sip:a@b SIP/2.0\r\nl: 1200\r\n\r\n") + 1200);
    assert_memory_equal(out.ptr, "MESSAGE sip:a@b SIP/2.0\r\nl: 1200\r\n\r\nxxx", 39);
    kr_buf_fini(&out);
}

static void expect_reply(const struct kr_sip_msg *req, const struct kr_sip_reply_opts *o,
                         const char *want)
{
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, 65536);
    assert_int_equal(kr_sip_build_reply(req, o, &out), 0);
    if (out.len != strlen(want) || memcmp(out.ptr, want, out.len) != 0) {
        fail_msg("reply:\n%.*s\n--- expected:\n%s", (int)out.len, out.ptr, want);
    }
    kr_buf_fini(&out);
}

static void test_reply(void **state)
{
    (void)state;
    struct kr_sip_msg m;

    parse_ok("INVITE sip:bob@biloxi.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1 , SIP/2.0/TCP p2;branch=z9hG4bK2\r\n"
             "Max-Forwards: 70\r\n"
             "v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
             "t: Bob <sip:bob@biloxi.com>\r\n"
             "f: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
             "Record-Route: <sip:p1.example.com;lr>\r\n"
             "i: a84b4c76e66710\r\n"
             "CSeq: 314159 INVITE\r\n"
             "Content-Length: 0\r\n"
             "\r\n",
             &m);
    struct kr_sip_reply_opts o = {
        .code = 200,
        .reason = KR_STR("OK"),
        .to_tag = KR_STR("a6c85cf"),
        .via_add = KR_STR(";received=192.0.2.1;rport=5060"),
        .extra_headers = KR_STR("Contact: <sip:bob@192.0.2.4>\r\n"),
        .server = KR_STR("korero"),
        .content_type = KR_STR("application/sdp"),
        .body = KR_STR("v=0\r\n"),
    };
    expect_reply(&m, &o,
                 "SIP/2.0 200 OK\r\n"
                 "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1;received=192.0.2.1;rport=5060 , "
                 "SIP/2.0/TCP p2;branch=z9hG4bK2\r\n"
                 "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
                 "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
                 "To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
                 "Call-ID: a84b4c76e66710\r\n"
                 "CSeq: 314159 INVITE\r\n"
                 "Contact: <sip:bob@192.0.2.4>\r\n"
                 "Server: korero\r\n"
                 "Content-Type: application/sdp\r\n"
                 "Content-Length: 5\r\n"
                 "\r\n"
                 "v=0\r\n");

    /* 100: no tag; no reason given: the standard one; no body: no Content-Type */
    struct kr_sip_reply_opts o100 = { .code = 100,
                                      .to_tag = KR_STR("x"),
                                      .content_type = KR_STR("text/plain") };
    expect_reply(
        &m, &o100,
        "SIP/2.0 100 Trying\r\n"
        "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1 , SIP/2.0/TCP p2;branch=z9hG4bK2\r\n"
        "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
        "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
        "To: Bob <sip:bob@biloxi.com>\r\n"
        "Call-ID: a84b4c76e66710\r\n"
        "CSeq: 314159 INVITE\r\n"
        "Content-Length: 0\r\n"
        "\r\n");

    /* a To that has a tag keeps it */
    parse_ok("BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:a@b>;tag=old\r\n"
             "From: <sip:c@d>;tag=f\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n\r\n",
             &m);
    struct kr_sip_reply_opts o404 = { .code = 404, .to_tag = KR_STR("new") };
    expect_reply(&m, &o404,
                 "SIP/2.0 404 Not Found\r\n"
                 "Via: SIP/2.0/UDP h\r\n"
                 "From: <sip:c@d>;tag=f\r\n"
                 "To: <sip:a@b>;tag=old\r\n"
                 "Call-ID: c\r\n"
                 "CSeq: 2 BYE\r\n"
                 "Content-Length: 0\r\n"
                 "\r\n");
    struct kr_sip_reply_opts bad = { .code = 99 };
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, 4096);
    assert_int_equal(kr_sip_build_reply(&m, &bad, &out), KR_EINVAL);
    bad.code = 700;
    assert_int_equal(kr_sip_build_reply(&m, &bad, &out), KR_EINVAL);
    kr_buf_fini(&out);
    kr_buf_init_heap(&out, 0, 20);
    assert_int_equal(kr_sip_build_reply(&m, &o404, &out), KR_ELIMIT);
    kr_buf_fini(&out);
}

static void test_reply_to_broken(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e = { 0 };

    /* the parse fails after Via, From and CSeq: a 400 still copies them */
    struct kr_str s = tu_heap("INVITE sip:a@b SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
                              "From: <sip:c@d>;tag=f\r\n"
                              "CSeq: 1 INVITE\r\n"
                              "Bad header line\r\n"
                              "To: <sip:a@b>\r\n"
                              "\r\n");
    assert_int_equal(kr_sip_msg_parse(s.ptr, s.len, &arena, &m, &e), KR_EPARSE);
    struct kr_sip_reply_opts o = { .code = 400,
                                   .reason = KR_STR("Bad Request - header without ':'"),
                                   .to_tag = KR_STR("t"),
                                   .via_add = KR_STR(";received=192.0.2.9") };
    expect_reply(&m, &o,
                 "SIP/2.0 400 Bad Request - header without ':'\r\n"
                 "Via: SIP/2.0/UDP h;branch=z9hG4bKx;received=192.0.2.9\r\n"
                 "From: <sip:c@d>;tag=f\r\n"
                 "CSeq: 1 INVITE\r\n"
                 "Content-Length: 0\r\n"
                 "\r\n");
    /* a Via that does not parse still gets via_add at its end */
    s = tu_heap("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;;\r\n\r\n");
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_msg_parse(s.ptr, s.len, &arena, &m, &e), 0);
    expect_reply(&m, &o,
                 "SIP/2.0 400 Bad Request - header without ':'\r\n"
                 "Via: SIP/2.0/UDP h;;;received=192.0.2.9\r\n"
                 "Content-Length: 0\r\n"
                 "\r\n");
    /* nothing indexed at all */
    s = tu_heap("garbage");
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_msg_parse(s.ptr, s.len, &arena, &m, &e), KR_EPARSE);
    struct kr_sip_reply_opts o2 = { .code = 400 };
    expect_reply(&m, &o2, "SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
}

static void test_reason_phrase(void **state)
{
    (void)state;
    ASSERT_STR(kr_sip_reason_phrase(200), "OK");
    ASSERT_STR(kr_sip_reason_phrase(416), "Unsupported URI Scheme");
    ASSERT_STR(kr_sip_reason_phrase(420), "Bad Extension");
    ASSERT_STR(kr_sip_reason_phrase(483), "Too Many Hops");
    ASSERT_STR(kr_sip_reason_phrase(505), "Version Not Supported");
    ASSERT_STR(kr_sip_reason_phrase(299), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_no_edits),           T(test_edits), T(test_same_offset_order), T(test_conflicts),
        T(test_content_length_fix), T(test_reply), T(test_reply_to_broken),   T(test_reason_phrase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
