/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for core/arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"

static void test_alloc_align_reset(void **state)
{
    (void)state;
    struct kr_arena a;
    kr_arena_init(&a, 1024, 0);
    for (int i = 0; i < 100; i++) {
        void *p = kr_arena_alloc(&a, (size_t)i * 7 + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        memset(p, 0xab, (size_t)i * 7 + 1);
    }
    void *big = kr_arena_alloc(&a, 100000);
    assert_non_null(big);
    memset(big, 1, 100000);
    kr_arena_reset(&a);
    assert_int_equal(a.used, 1024);
    struct kr_str s = kr_arena_strdup(&a, KR_STR("hello"));
    assert_int_equal(s.len, 5);
    assert_string_equal(s.ptr, "hello");
    kr_arena_fini(&a);
}

static void test_cap(void **state)
{
    (void)state;
    struct kr_arena a;
    kr_arena_init(&a, 1024, 4096);
    int n = 0;
    while (kr_arena_alloc(&a, 512) != NULL) {
        n++;
        assert_true(n < 100);
    }
    assert_int_equal(n, 8);
    assert_null(kr_arena_alloc(&a, 5000));
    kr_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_align_reset),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
