/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the textops module: is_method lists, body tests, header insertion and
 * removal (compact forms), searches, sed-like substitutions with back-references, and
 * replacements, checked on the bytes kr_sip_build produces from the edits. */
#include "modules/textops/textops.h"
#include "test_mod_util.h"

static const char MSG[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK111\r\n"
                          "v: SIP/2.0/UDP 192.0.2.11:5062;branch=z9hG4bK222\r\n"
                          "f: <sip:alice@example.com>;tag=a1\r\n"
                          "To: <sip:bob@example.com>\r\n"
                          "Call-ID: c1\r\n"
                          "CSeq: 1 INVITE\r\n"
                          "X-Test: abc\r\n"
                          "X-Other: def\r\n"
                          "Content-Type: application/sdp\r\n"
                          "Content-Length: 12\r\n"
                          "\r\n"
                          "v=0\r\ns=abc\r\n";

static const struct kr_module *M = &kr_mod_textops;

static int call1(struct tm_ctx *t, const char *f, struct kr_arg a)
{
    struct kr_arg args[1] = { a };
    int rc = tm_call(t, M, f, args, 1);
    if (strncmp(f, "subst", 5) == 0) {
        kr_subst_fini(args[0].priv); /* no config owns it in unit tests */
    }
    return rc;
}

static int call2(struct tm_ctx *t, const char *f, struct kr_arg a, struct kr_arg b)
{
    struct kr_arg args[2] = { a, b };
    return tm_call(t, M, f, args, 2);
}

static void test_is_method(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "is_method", tm_str("INVITE|REGISTER")), 1);
    assert_int_equal(call1(&t, "is_method", tm_str("REGISTER|BYE")), -1);
    assert_int_equal(call1(&t, "is_method", tm_str("invite")), 1);
    assert_int_equal(call1(&t, "is_method", tm_str(" MESSAGE | INVITE ")), 1);
    struct kr_arg bad[1] = { tm_str("INVITE||BYE") };
    assert_int_equal(tm_fixup(&t, M, "is_method", bad, 1, &err), KR_EINVAL);
    bad[0] = tm_str("");
    assert_int_equal(tm_fixup(&t, M, "is_method", bad, 1, &err), KR_EINVAL);
    tm_fini(&t);

    tm_init(&t, "FOO sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                "CSeq: 2 FOO\r\n\r\n");
    assert_int_equal(call1(&t, "is_method", tm_str("BAR|FOO")), 1);
    assert_int_equal(call1(&t, "is_method", tm_str("INVITE|BAR")), -1);
    tm_fini(&t);

    /* replies: the CSeq method */
    tm_init(&t, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 2 REGISTER\r\n\r\n");
    assert_int_equal(call1(&t, "is_method", tm_str("REGISTER")), 1);
    assert_int_equal(call1(&t, "is_method", tm_str("INVITE")), -1);
    tm_fini(&t);
}

static void test_has_body(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "has_body", tm_none()), 1);
    assert_int_equal(call1(&t, "has_body", tm_str("application/sdp")), 1);
    assert_int_equal(call1(&t, "has_body", tm_str("Application/SDP")), 1);
    assert_int_equal(call1(&t, "has_body", tm_str("text/plain")), -1);
    tm_fini(&t);
    tm_init(&t, "BYE sip:b@h SIP/2.0\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(call1(&t, "has_body", tm_none()), -1);
    tm_fini(&t);
}

static void test_add_headers(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "append_hf", tm_str("X-New: 1\r\n")), 1);
    assert_int_equal(call2(&t, "append_hf", tm_str("X-After: 2\r\n"), tm_str("Call-ID")), 1);
    assert_int_equal(call1(&t, "insert_hf", tm_str("X-First: 0\r\n")), 1);
    assert_int_equal(call2(&t, "insert_hf", tm_str("X-Before: 3\r\n"), tm_str("From")), 1);
    assert_int_equal(call2(&t, "append_hf", tm_str("X-No: 4\r\n"), tm_str("Subject")), -1);
    assert_string_equal(tm_build(&t), "INVITE sip:bob@example.com SIP/2.0\r\n"
                                      "X-First: 0\r\n"
                                      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK111\r\n"
                                      "v: SIP/2.0/UDP 192.0.2.11:5062;branch=z9hG4bK222\r\n"
                                      "X-Before: 3\r\n"
                                      "f: <sip:alice@example.com>;tag=a1\r\n"
                                      "To: <sip:bob@example.com>\r\n"
                                      "Call-ID: c1\r\n"
                                      "X-After: 2\r\n"
                                      "CSeq: 1 INVITE\r\n"
                                      "X-Test: abc\r\n"
                                      "X-Other: def\r\n"
                                      "Content-Type: application/sdp\r\n"
                                      "Content-Length: 12\r\n"
                                      "X-New: 1\r\n"
                                      "\r\n"
                                      "v=0\r\ns=abc\r\n");
    tm_fini(&t);
}

static void test_remove_headers(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "remove_hf", tm_str("Via")), 2);
    assert_int_equal(call1(&t, "remove_hf", tm_str("v")), -1); /* already gone */
    assert_int_equal(call1(&t, "remove_hf", tm_str("X-Nope")), -1);
    assert_int_equal(call1(&t, "remove_hf_re", tm_re(&t, "^x-")), 2);
    assert_int_equal(call1(&t, "remove_hf", tm_str("f")), 1); /* compact From */
    assert_string_equal(tm_build(&t), "INVITE sip:bob@example.com SIP/2.0\r\n"
                                      "To: <sip:bob@example.com>\r\n"
                                      "Call-ID: c1\r\n"
                                      "CSeq: 1 INVITE\r\n"
                                      "Content-Type: application/sdp\r\n"
                                      "Content-Length: 12\r\n"
                                      "\r\n"
                                      "v=0\r\ns=abc\r\n");
    tm_fini(&t);
}

static void test_search(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "search", tm_re(&t, "s=abc")), 1);
    assert_int_equal(call1(&t, "search", tm_re(&t, "^cseq: 1 INVITE")), 1);
    assert_int_equal(call1(&t, "search", tm_re(&t, "nomatch")), -1);
    assert_int_equal(call1(&t, "search_body", tm_re(&t, "^v=0")), 1);
    assert_int_equal(call1(&t, "search_body", tm_re(&t, "Call-ID")), -1);
    assert_int_equal(call1(&t, "is_present_hf", tm_str("From")), 1);
    assert_int_equal(call1(&t, "is_present_hf", tm_str("Subject")), -1);
    assert_int_equal(call1(&t, "is_present_hf_re", tm_re(&t, "^x-t")), 1);
    assert_int_equal(call1(&t, "is_present_hf_re", tm_re(&t, "^y-")), -1);
    assert_int_equal(call2(&t, "search_append", tm_re(&t, "X-Test: [a-z]+"), tm_str(";x=1")), 1);
    assert_non_null(strstr(tm_build(&t), "\r\nX-Test: abc;x=1\r\n"));
    tm_fini(&t);
}

static void test_subst(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "subst", tm_str("/(X-[a-z]+): ([a-z]+)/\\2: \\1/gi")), 2);
    assert_int_equal(call1(&t, "subst_body", tm_str("/s=abc/s=abcdef/")), 1);
    const char *out = tm_build(&t);
    assert_string_equal(out, "INVITE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK111\r\n"
                             "v: SIP/2.0/UDP 192.0.2.11:5062;branch=z9hG4bK222\r\n"
                             "f: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:bob@example.com>\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "abc: X-Test\r\n"
                             "def: X-Other\r\n"
                             "Content-Type: application/sdp\r\n"
                             "Content-Length: 15\r\n"
                             "\r\n"
                             "v=0\r\ns=abcdef\r\n");
    /* not global: the first only; the request line is left alone */
    tm_fini(&t);
    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "subst", tm_str("/sip:[a-z]+@/sip:x@/")), 1);
    assert_non_null(strstr(tm_build(&t), "INVITE sip:bob@example.com SIP/2.0\r\n"));
    assert_non_null(strstr(tm_build(&t), "\r\nf: <sip:x@example.com>;tag=a1\r\n"));
    assert_int_equal(call1(&t, "subst", tm_str("/nomatch/x/")), -1);
    /* escaped delimiter, other delimiter, multi-line flag */
    assert_int_equal(call1(&t, "subst", tm_str("/X-Other: def/X-Other: d\\/e/")), 1);
    assert_int_equal(call1(&t, "subst", tm_str("#^CSeq: ([0-9]+)#CSeq: 1\\1#s")), 1);
    out = tm_build(&t);
    assert_non_null(strstr(out, "\r\nX-Other: d/e\r\n"));
    assert_non_null(strstr(out, "\r\nCSeq: 11 INVITE\r\n"));
    tm_fini(&t);

    tm_init(&t, MSG);
    assert_int_equal(call1(&t, "subst_uri", tm_str("/^sip:bob@(.*)$/sip:carol@\\1/")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:carol@example.com");
    assert_int_equal(call1(&t, "subst_uri", tm_str("/^sip:carol@(.*)$/sip:dave@\\1;x=1/")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:dave@example.com;x=1");
    assert_int_equal(call1(&t, "subst_uri", tm_str("/^tel:/x/")), -1);
    tm_fini(&t);
}

static void test_subst_parse(void **state)
{
    struct kr_arena a;
    struct kr_subst s;
    struct kr_err err = { 0 };
    struct kr_str out;
    (void)state;

    kr_arena_init(&a, 4096, 1 << 20);
    assert_int_equal(kr_subst_parse(NULL, &a, KR_STR("/abc/def"), &s, &err), KR_EINVAL);
    err = (struct kr_err){ 0 };
    assert_int_equal(kr_subst_parse(NULL, &a, KR_STR("/a/b/x"), &s, &err), KR_EINVAL);
    err = (struct kr_err){ 0 };
    assert_int_equal(kr_subst_parse(NULL, &a, KR_STR("/(/x/"), &s, &err), KR_EINVAL);
    err = (struct kr_err){ 0 };
    assert_int_equal(kr_subst_parse(NULL, &a, KR_STR("/"), &s, &err), KR_EINVAL);

    err = (struct kr_err){ 0 };
    assert_int_equal(kr_subst_parse(NULL, &a, KR_STR("/a(b)c/[\\1\\0]/g"), &s, &err), 0);
    assert_true(s.global);
    assert_int_equal(kr_subst_str(&s, "abcxabc", 7, &a, &out), 2);
    tm_str_eq(out, "[babc]x[babc]");
    kr_subst_fini(&s);

    /* empty matches advance, as sed does */
    assert_int_equal(kr_subst_parse(NULL, &a, KR_STR("/x*/-/g"), &s, &err), 0);
    assert_int_equal(kr_subst_str(&s, "abc", 3, &a, &out), 4);
    tm_str_eq(out, "-a-b-c-");
    kr_subst_fini(&s);

    /* escapes in the replacement */
    assert_int_equal(kr_subst_parse(NULL, &a, KR_STR("/b/\\t\\\\\\n/"), &s, &err), 0);
    assert_int_equal(kr_subst_str(&s, "abc", 3, &a, &out), 1);
    tm_str_eq(out, "a\t\\\nc");
    assert_int_equal(kr_subst_str(&s, "xyz", 3, &a, &out), 0);
    tm_str_eq(out, "xyz");
    kr_subst_fini(&s);
    kr_arena_fini(&a);
}

static void test_replace_and_body(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call2(&t, "replace", tm_re(&t, "abc"), tm_str("ABC")), 1);
    assert_non_null(strstr(tm_build(&t), "\r\nX-Test: ABC\r\n"));
    assert_non_null(strstr(tm_build(&t), "\r\n\r\nv=0\r\ns=abc\r\n"));
    tm_fini(&t);

    tm_init(&t, MSG);
    assert_int_equal(call2(&t, "replace_all", tm_re(&t, "abc"), tm_str("Q")), 2);
    const char *out = tm_build(&t);
    assert_non_null(strstr(out, "\r\nX-Test: Q\r\n"));
    assert_non_null(strstr(out, "\r\nContent-Length: 10\r\n\r\nv=0\r\ns=Q\r\n"));
    tm_fini(&t);

    tm_init(&t, MSG);
    assert_int_equal(call2(&t, "replace_body", tm_re(&t, "v=0"), tm_str("v=1")), 1);
    assert_int_equal(call2(&t, "replace_body_all", tm_re(&t, "nomatch"), tm_str("x")), -1);
    assert_non_null(strstr(tm_build(&t), "\r\n\r\nv=1\r\ns=abc\r\n"));
    tm_fini(&t);

    tm_init(&t, MSG);
    assert_int_equal(call2(&t, "set_body", tm_str("hello"), tm_str("text/plain")), 1);
    out = tm_build(&t);
    assert_non_null(strstr(out, "\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"));
    tm_fini(&t);

    tm_init(&t, MSG);
    assert_int_equal(tm_call(&t, M, "remove_body", NULL, 0), 1);
    out = tm_build(&t);
    assert_non_null(strstr(out, "\r\nContent-Length: 0\r\n\r\n"));
    assert_null(strstr(out, "v=0"));
    tm_fini(&t);

    /* a body added to a message without one gets Content-Type and Content-Length */
    tm_init(&t, "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                "CSeq: 2 MESSAGE\r\n\r\n");
    assert_int_equal(call2(&t, "set_body", tm_str("hi"), tm_str("text/plain")), 1);
    assert_string_equal(
        tm_build(&t),
        "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "CSeq: 2 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
    tm_fini(&t);
}

static void test_strings(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, MSG);
    assert_int_equal(call2(&t, "cmp_str", tm_str("abc"), tm_str("abc")), 1);
    assert_int_equal(call2(&t, "cmp_str", tm_str("abc"), tm_str("ABC")), -1);
    assert_int_equal(call2(&t, "cmp_istr", tm_str("abc"), tm_str("ABC")), 1);
    assert_int_equal(call2(&t, "starts_with", tm_str("sip:alice"), tm_str("sip:")), 1);
    assert_int_equal(call2(&t, "starts_with", tm_str("sip"), tm_str("sip:")), -1);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_method),   cmocka_unit_test(test_has_body),
        cmocka_unit_test(test_add_headers), cmocka_unit_test(test_remove_headers),
        cmocka_unit_test(test_search),      cmocka_unit_test(test_subst),
        cmocka_unit_test(test_subst_parse), cmocka_unit_test(test_replace_and_body),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
