/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the sanity module: Kamailio's check bits mapped to reply codes and
 * reasons (400, 416, 420 with Unsupported, 505), uri_checks, and sanity_check()'s return
 * value (0: answered and stopped, with autodrop). */
#include <stdio.h>

#include "modules/sanity/sanity.h"
#include "test_mod_util.h"

static const char GOOD[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                           "From: <sip:alice@example.com>;tag=a1\r\n"
                           "To: <sip:bob@example.com>\r\n"
                           "Call-ID: c1\r\n"
                           "CSeq: 1 INVITE\r\n"
                           "Max-Forwards: 70\r\n"
                           "Content-Length: 0\r\n"
                           "\r\n";

/* GOOD with line "from" replaced by "to" (or removed when to is ""). */
static void init_edit(struct tm_ctx *t, const char *from, const char *to)
{
    char m[1024];
    const char *p = strstr(GOOD, from);
    assert_non_null(p);
    snprintf(m, sizeof(m), "%.*s%s%s", (int)(p - GOOD), GOOD, to, p + strlen(from));
    tm_init(t, m);
}

static unsigned run(struct tm_ctx *t, unsigned checks, unsigned uri_checks, const char *preq,
                    const char **reason)
{
    struct kr_str r;
    struct kr_str extra;
    static char buf[256];
    unsigned code = kr_sanity_run(&t->ctx, checks, uri_checks, kr_str_c(preq), &r, &extra);
    snprintf(buf, sizeof(buf), "%.*s", (int)r.len, r.ptr ? r.ptr : "");
    *reason = buf;
    return code;
}

static void test_good(void **state)
{
    struct tm_ctx t;
    const char *why;
    (void)state;

    tm_init(&t, GOOD);
    assert_int_equal(run(&t, KR_SANITY_DEFAULT_CHECKS, 7, "", &why), 0);
    assert_int_equal(run(&t, 17895, 15, "", &why), 0); /* Kamailio's default cfg */
    struct kr_arg none[2] = { tm_none(), tm_none() };
    assert_int_equal(tm_call(&t, &kr_mod_sanity, "sanity_check", none, 2), 1);
    tm_fini(&t);
}

static void test_codes(void **state)
{
    struct tm_ctx t;
    const char *why;
    (void)state;

    init_edit(&t, "Call-ID: c1\r\n", "");
    assert_int_equal(run(&t, KR_SANITY_REQUIRED_HEADERS, 7, "", &why), 400);
    assert_string_equal(why, "Bad Request - Missing Call-ID header");
    assert_int_equal(run(&t, KR_SANITY_CSEQ_VALUE, 7, "", &why), 0); /* not asked */
    tm_fini(&t);

    init_edit(&t, "CSeq: 1 INVITE", "CSeq: 1 BYE");
    assert_int_equal(run(&t, KR_SANITY_DEFAULT_CHECKS, 7, "", &why), 400);
    assert_string_equal(why, "Bad Request - CSeq method does not match");
    tm_fini(&t);

    init_edit(&t, "CSeq: 1 INVITE", "CSeq: x INVITE");
    assert_int_equal(run(&t, KR_SANITY_CSEQ_VALUE, 7, "", &why), 400);
    tm_fini(&t);

    init_edit(&t, "INVITE sip:bob@example.com", "INVITE xyz:bob");
    assert_int_equal(run(&t, KR_SANITY_RURI_SCHEME, 7, "", &why), 416);
    tm_fini(&t);

    init_edit(&t, "Max-Forwards: 70\r\n", "Expires: soon\r\n");
    assert_int_equal(run(&t, KR_SANITY_EXPIRES_VALUE, 7, "", &why), 400);
    assert_string_equal(why, "Bad Request - Bad Expires header");
    tm_fini(&t);

    init_edit(&t, "Content-Length: 0\r\n\r\n", "Content-Length: 0\r\n\r\nabc");
    assert_int_equal(run(&t, KR_SANITY_CL, 7, "", &why), 0); /* UDP: extra bytes ignored */
    tm_fini(&t);
    init_edit(&t, "Content-Length: 0\r\n", "");
    assert_int_equal(run(&t, KR_SANITY_CL, 7, "", &why), 0);
    tm_fini(&t);

    init_edit(&t, "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n", "Via: bogus\r\n");
    assert_int_equal(run(&t, KR_SANITY_CHECK_VIA1_HEADER, 7, "", &why), 400);
    tm_fini(&t);

    init_edit(&t, "To: <sip:bob@example.com>", "To: <sip:bob@example.com>;tag=1;tag=2");
    assert_int_equal(run(&t, KR_SANITY_CHECK_DUPTAGS, 7, "", &why), 400);
    assert_int_equal(run(&t, KR_SANITY_DEFAULT_CHECKS, 7, "", &why), 0);
    tm_fini(&t);

    init_edit(&t, "SIP/2.0\r\n", "SIP/3.0\r\n");
    assert_int_equal(run(&t, KR_SANITY_RURI_SIP_VERSION, 7, "", &why), 505);
    tm_fini(&t);
}

static void test_proxy_require(void **state)
{
    struct tm_ctx t;
    struct kr_str r;
    struct kr_str extra;
    (void)state;

    init_edit(&t, "Max-Forwards: 70\r\n", "Proxy-Require: foo, baz\r\n");
    assert_int_equal(kr_sanity_run(&t.ctx, KR_SANITY_PROXY_REQUIRE, 7, KR_STR(""), &r, &extra),
                     420);
    tm_str_eq(extra, "Unsupported: foo, baz\r\n");
    assert_int_equal(
        kr_sanity_run(&t.ctx, KR_SANITY_PROXY_REQUIRE, 7, KR_STR("bar, foo"), &r, &extra), 420);
    tm_str_eq(extra, "Unsupported: baz\r\n");
    assert_int_equal(
        kr_sanity_run(&t.ctx, KR_SANITY_PROXY_REQUIRE, 7, KR_STR("baz,foo"), &r, &extra), 0);
    tm_fini(&t);
}

static void test_uri_checks(void **state)
{
    struct tm_ctx t;
    const char *why;
    (void)state;

    init_edit(&t, "From: <sip:alice@example.com>", "From: <sip:alice@exa mple.com>");
    assert_int_equal(run(&t, KR_SANITY_PARSE_URIS, 2, "", &why), 400);
    assert_string_equal(why, "Bad Request - Bad From URI");
    assert_int_equal(run(&t, KR_SANITY_PARSE_URIS, 5, "", &why), 0); /* R-URI and To only */
    tm_fini(&t);

    init_edit(&t, "Max-Forwards: 70\r\n", "Contact: <sip:a@[zz>\r\n");
    assert_int_equal(run(&t, KR_SANITY_PARSE_URIS, 8, "", &why), 400);
    assert_int_equal(run(&t, KR_SANITY_PARSE_URIS, 7, "", &why), 0);
    tm_fini(&t);

    init_edit(&t, "INVITE sip:bob@example.com", "INVITE sip:bob@@example.com");
    assert_int_equal(run(&t, KR_SANITY_PARSE_URIS, 1, "", &why), 400);
    assert_string_equal(why, "Bad Request - Bad Request-URI");
    tm_fini(&t);

    /* a URI scheme we do not parse is not a parse failure */
    init_edit(&t, "To: <sip:bob@example.com>", "To: <mailto:bob@example.com>");
    assert_int_equal(run(&t, KR_SANITY_PARSE_URIS, 4, "", &why), 0);
    tm_fini(&t);
}

static void test_script(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    (void)state;

    /* failure with autodrop (the default): answered (here: sending fails, no transport)
     * and the script stops */
    init_edit(&t, "CSeq: 1 INVITE", "CSeq: 1 BYE");
    struct kr_arg none[2] = { tm_none(), tm_none() };
    assert_int_equal(tm_call(&t, &kr_mod_sanity, "sanity_check", none, 2), 0);
    struct kr_arg only[2] = { tm_int(KR_SANITY_REQUIRED_HEADERS), tm_none() };
    assert_int_equal(tm_call(&t, &kr_mod_sanity, "sanity_check", only, 2), 1);
    /* sanity_reply() knows what to send (sending fails without a transport) */
    assert_int_equal(tm_call(&t, &kr_mod_sanity, "sanity_reply", NULL, 0), -1);
    struct kr_arg neg[2] = { tm_int(-1), tm_none() };
    assert_int_equal(tm_fixup(&t, &kr_mod_sanity, "sanity_check", neg, 2, &err), KR_EINVAL);
    tm_fini(&t);

    tm_init(&t, GOOD);
    assert_int_equal(tm_call(&t, &kr_mod_sanity, "sanity_reply", NULL, 0), -1);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),          cmocka_unit_test(test_codes),
        cmocka_unit_test(test_proxy_require), cmocka_unit_test(test_uri_checks),
        cmocka_unit_test(test_script),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
