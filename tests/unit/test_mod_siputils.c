/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the siputils module: has_totag, uri_param, add_uri_param, is_e164,
 * is_uri_user_e164, cmp_uri, cmp_aor, is_user and options_reply's preconditions. */
#include "modules/siputils/siputils.h"
#include "test_mod_util.h"

static const char REQ[] = "OPTIONS sip:example.com;transport=tcp;lr?h=1 SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                          "From: <sip:alice@example.com>;tag=a1\r\n"
                          "To: <sip:example.com>;tag=t9\r\n"
                          "Call-ID: c1\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "Proxy-Authorization: Digest username=\"alice@example.com\", "
                          "realm=\"example.com\", nonce=\"n\", uri=\"sip:example.com\", "
                          "response=\"0123456789abcdef0123456789abcdef\"\r\n"
                          "\r\n";

static const struct kr_module *M = &kr_mod_siputils;

static int call1(struct tm_ctx *t, const char *f, struct kr_arg a)
{
    struct kr_arg args[2] = { a, tm_none() };
    return tm_call(t, M, f, args, 2);
}

static int call2(struct tm_ctx *t, const char *f, struct kr_arg a, struct kr_arg b)
{
    struct kr_arg args[2] = { a, b };
    return tm_call(t, M, f, args, 2);
}

static void test_totag_and_user(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, REQ);
    assert_int_equal(tm_call(&t, M, "has_totag", NULL, 0), 1);
    assert_int_equal(call1(&t, "is_user", tm_str("alice")), 1);
    assert_int_equal(call1(&t, "is_user", tm_str("bob")), -1);
    tm_fini(&t);

    tm_init(&t, "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                "To: <sip:b@h>\r\nCSeq: 1 INVITE\r\n\r\n");
    assert_int_equal(tm_call(&t, M, "has_totag", NULL, 0), -1);
    assert_int_equal(call1(&t, "is_user", tm_str("alice")), -1);
    tm_fini(&t);
}

static void test_uri_params(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, REQ);
    assert_int_equal(call1(&t, "uri_param", tm_str("lr")), 1);
    assert_int_equal(call2(&t, "uri_param", tm_str("transport"), tm_str("tcp")), 1);
    assert_int_equal(call2(&t, "uri_param", tm_str("transport"), tm_str("udp")), -1);
    assert_int_equal(call1(&t, "uri_param", tm_str("maddr")), -1);
    assert_int_equal(call1(&t, "add_uri_param", tm_str("x=1")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:example.com;transport=tcp;lr;x=1?h=1");
    assert_int_equal(call1(&t, "uri_param", tm_str("x")), 1);
    tm_fini(&t);
}

static void test_e164(void **state)
{
    struct tm_ctx t;
    (void)state;

    assert_true(kr_siputils_is_e164(KR_STR("+12")));
    assert_true(kr_siputils_is_e164(KR_STR("+123456789012345")));
    assert_false(kr_siputils_is_e164(KR_STR("+1234567890123456")));
    assert_false(kr_siputils_is_e164(KR_STR("+1")));
    assert_false(kr_siputils_is_e164(KR_STR("1234")));
    assert_false(kr_siputils_is_e164(KR_STR("+12a4")));
    tm_init(&t, REQ);
    assert_int_equal(call1(&t, "is_e164", tm_str("+4930123456")), 1);
    assert_int_equal(call1(&t, "is_e164", tm_str("030123456")), -1);
    assert_int_equal(call1(&t, "is_uri_user_e164", tm_str("sip:+4930123456@example.com")), 1);
    assert_int_equal(call1(&t, "is_uri_user_e164", tm_str("sip:alice@example.com")), -1);
    tm_fini(&t);
}

static void test_compare(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, REQ);
    assert_int_equal(
        call2(&t, "cmp_uri", tm_str("sip:alice@EXAMPLE.com"), tm_str("sip:alice@example.com")), 1);
    assert_int_equal(
        call2(&t, "cmp_uri", tm_str("sip:alice@example.com"), tm_str("sip:Alice@example.com")), -1);
    assert_int_equal(call2(&t, "cmp_uri", tm_str("sip:a@b"), tm_str("nonsense")), -2);
    assert_int_equal(call2(&t, "cmp_aor", tm_str("sip:alice@example.com;transport=tcp"),
                           tm_str("sip:alice@Example.COM:5060")),
                     1);
    assert_int_equal(
        call2(&t, "cmp_aor", tm_str("sip:alice@example.com"), tm_str("sip:alice@example.com:5070")),
        -1);
    tm_fini(&t);
}

static void test_options_reply(void **state)
{
    struct tm_ctx t;
    (void)state;

    /* not OPTIONS, or a user part: no reply */
    tm_init(&t, "INVITE sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                "CSeq: 1 INVITE\r\n\r\n");
    assert_int_equal(tm_call(&t, M, "options_reply", NULL, 0), -1);
    tm_fini(&t);
    tm_init(&t, "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                "CSeq: 1 OPTIONS\r\n\r\n");
    assert_int_equal(tm_call(&t, M, "options_reply", NULL, 0), -1);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totag_and_user), cmocka_unit_test(test_uri_params),
        cmocka_unit_test(test_e164),           cmocka_unit_test(test_compare),
        cmocka_unit_test(test_options_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
