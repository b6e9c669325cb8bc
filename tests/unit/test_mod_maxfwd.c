/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the maxfwd module: header absent (added, 2), 0 (-1), normal decrement
 * (1), above max_limit (lowered), bad values (-2), and is_maxfwd_lt on the value the
 * message will carry. */
#include <stdio.h>

#include "modules/maxfwd/maxfwd.h"
#include "test_mod_util.h"

static void init_mf(struct tm_ctx *t, const char *mf)
{
    char m[512];
    snprintf(m, sizeof(m),
             "OPTIONS sip:bob@example.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
             "%s"
             "CSeq: 1 OPTIONS\r\n"
             "\r\n",
             mf);
    tm_init(t, m);
}

static int process(struct tm_ctx *t, int64_t max)
{
    struct kr_arg a[1] = { tm_int(max) };
    return tm_call(t, &kr_mod_maxfwd, "mf_process_maxfwd_header", a, 1);
}

static int lt(struct tm_ctx *t, int64_t n)
{
    struct kr_arg a[1] = { tm_int(n) };
    return tm_call(t, &kr_mod_maxfwd, "is_maxfwd_lt", a, 1);
}

static void test_absent(void **state)
{
    struct tm_ctx t;
    (void)state;

    init_mf(&t, "");
    assert_int_equal(lt(&t, 10), -2);
    assert_int_equal(process(&t, 10), 2);
    assert_string_equal(tm_build(&t), "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                                      "Max-Forwards: 10\r\n"
                                      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                                      "CSeq: 1 OPTIONS\r\n"
                                      "\r\n");
    /* the added value counts */
    assert_int_equal(lt(&t, 11), 1);
    assert_int_equal(lt(&t, 10), -1);
    tm_fini(&t);
}

static void test_zero(void **state)
{
    struct tm_ctx t;
    (void)state;

    init_mf(&t, "Max-Forwards: 0\r\n");
    assert_int_equal(process(&t, 70), -1);
    assert_int_equal(t.ctx.edits.n, 0);
    assert_int_equal(lt(&t, 1), 1);
    tm_fini(&t);
}

static void test_decrement(void **state)
{
    struct tm_ctx t;
    (void)state;

    init_mf(&t, "Max-Forwards: 70\r\n");
    assert_int_equal(lt(&t, 70), -1);
    assert_int_equal(process(&t, 10), 1);
    assert_string_equal(tm_build(&t), "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                                      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                                      "Max-Forwards: 69\r\n"
                                      "CSeq: 1 OPTIONS\r\n"
                                      "\r\n");
    assert_int_equal(lt(&t, 70), 1);
    assert_int_equal(lt(&t, 69), -1);
    tm_fini(&t);

    init_mf(&t, "Max-Forwards: 1\r\n");
    assert_int_equal(process(&t, 70), 1);
    assert_non_null(strstr(tm_build(&t), "\r\nMax-Forwards: 0\r\n"));
    assert_int_equal(lt(&t, 1), 1);
    tm_fini(&t);
}

static void test_limit(void **state)
{
    struct tm_ctx t;
    (void)state;

    /* above max_limit (default 70): lowered to the limit */
    init_mf(&t, "Max-Forwards: 200\r\n");
    assert_int_equal(process(&t, 70), 1);
    assert_non_null(strstr(tm_build(&t), "\r\nMax-Forwards: 70\r\n"));
    tm_fini(&t);

    init_mf(&t, "Max-Forwards: 71\r\n");
    assert_int_equal(kr_maxfwd_process(&t.ctx, 70, 16), 1);
    assert_non_null(strstr(tm_build(&t), "\r\nMax-Forwards: 16\r\n"));
    tm_fini(&t);

    init_mf(&t, "Max-Forwards: 5\r\n");
    assert_int_equal(kr_maxfwd_process(&t.ctx, 70, 16), 1);
    assert_non_null(strstr(tm_build(&t), "\r\nMax-Forwards: 4\r\n"));
    tm_fini(&t);
}

static void test_bad(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    (void)state;

    init_mf(&t, "Max-Forwards: abc\r\n");
    assert_int_equal(process(&t, 70), -2);
    assert_int_equal(lt(&t, 5), -3);
    tm_fini(&t);
    init_mf(&t, "Max-Forwards: 300\r\n");
    assert_int_equal(process(&t, 70), -2);
    tm_fini(&t);
    init_mf(&t, "Max-Forwards: 3\r\n");
    struct kr_arg a[1] = { tm_int(256) };
    assert_int_equal(tm_fixup(&t, &kr_mod_maxfwd, "maxfwd_process", a, 1, &err), KR_EINVAL);
    assert_int_equal(kr_maxfwd_process(&t.ctx, -1, 70), -2);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent),    cmocka_unit_test(test_zero),
        cmocka_unit_test(test_decrement), cmocka_unit_test(test_limit),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
