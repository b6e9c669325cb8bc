/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for core/str and core/buf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* Copies a literal into an exactly-sized heap buffer so ASan sees over-reads. */
static struct kr_str heap(const char *lit)
{
    size_t n = strlen(lit);
    char *p = malloc(n ? n : 1);
    memcpy(p, lit, n);
    return kr_str_make(p, n);
}

static void test_eq_case(void **state)
{
    (void)state;
    struct kr_str a = heap("Content-Length");
    assert_true(kr_str_caseeq(a, KR_STR("content-length")));
    assert_false(kr_str_eq(a, KR_STR("content-length")));
    assert_true(kr_str_casestarts(a, KR_STR("CONTENT")));
    assert_false(kr_str_casestarts(KR_STR("Con"), KR_STR("CONTENT")));
    free((void *)a.ptr);
}

static void test_trim_sub_find(void **state)
{
    (void)state;
    struct kr_str s = heap(" \t abc \r\n");
    struct kr_str t = kr_str_trim(s);
    assert_int_equal(t.len, 3);
    assert_memory_equal(t.ptr, "abc", 3);
    assert_int_equal(kr_str_chr(t, 'c'), 2);
    assert_int_equal(kr_str_chr(t, 'x'), -1);
    assert_int_equal(kr_str_find(s, KR_STR("bc")), 4);
    assert_int_equal(kr_str_sub(t, 5, 3).len, 0);
    free((void *)s.ptr);
}

static void test_numbers(void **state)
{
    (void)state;
    uint64_t u;
    int64_t i;
    assert_int_equal(kr_str_to_u64(KR_STR("255"), 255, &u), 0);
    assert_int_equal(u, 255);
    assert_int_equal(kr_str_to_u64(KR_STR("256"), 255, &u), KR_ELIMIT);
    assert_int_equal(kr_str_to_u64(KR_STR(""), 255, &u), KR_EPARSE);
    assert_int_equal(kr_str_to_u64(KR_STR("1a"), 255, &u), KR_EPARSE);
    assert_int_equal(kr_str_to_u64(KR_STR("18446744073709551615"), UINT64_MAX, &u), 0);
    assert_int_equal(kr_str_to_u64(KR_STR("18446744073709551616"), UINT64_MAX, &u), KR_ELIMIT);
    assert_int_equal(kr_str_to_i64(KR_STR("-42"), &i), 0);
    assert_int_equal(i, -42);
    assert_int_equal(kr_str_to_i64(KR_STR("-9223372036854775808"), &i), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(kr_str_to_i64(KR_STR("9223372036854775808"), &i), KR_ELIMIT);
}

static void test_buf_cap(void **state)
{
    (void)state;
    struct kr_buf b;
    kr_buf_init_heap(&b, 0, 8);
    kr_buf_append_c(&b, "12345678");
    assert_int_equal(b.err, 0);
    kr_buf_append_char(&b, '9');
    assert_int_equal(b.err, KR_ELIMIT);
    assert_int_equal(b.len, 8);
    kr_buf_append_c(&b, "x"); /* sticky */
    assert_int_equal(b.len, 8);
    kr_buf_fini(&b);

    char mem[16];
    kr_buf_init_fixed(&b, mem, sizeof(mem));
    kr_buf_printf(&b, "%d-%s", 42, "ab");
    kr_buf_append_i64(&b, -7);
    assert_string_equal(kr_buf_cstr(&b), "42-ab-7");
    kr_buf_append_c(&b, "0123456789");
    assert_int_equal(b.err, KR_ELIMIT);
    kr_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eq_case),
        cmocka_unit_test(test_trim_sub_find),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_buf_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
