/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the SIP unit tests: exactly-sized heap copies of test inputs (so
 * ASan sees any over-read), freed together after each test, and slice assertions.
 * Test code only; single-threaded. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/str.h"

enum { TU_MAX_ALLOCS = 4096 };
static void *tu_allocs[TU_MAX_ALLOCS];
static size_t tu_nallocs;

/* A heap copy of n bytes at p with nothing after it. */
static inline struct kr_str tu_heapn(const char *p, size_t n)
{
    char *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n) {
        memcpy(c, p, n);
    }
    assert_true(tu_nallocs < TU_MAX_ALLOCS);
    tu_allocs[tu_nallocs++] = c;
    return kr_str_make(c, n);
}

static inline struct kr_str tu_heap(const char *lit)
{
    return tu_heapn(lit, strlen(lit));
}

static inline int tu_free_all(void **state)
{
    (void)state;
    for (size_t i = 0; i < tu_nallocs; i++) {
        free(tu_allocs[i]);
    }
    tu_nallocs = 0;
    return 0;
}

/* Asserts that slice s holds exactly the bytes of literal lit. */
#define ASSERT_STR(s, lit)                                                                         \
    do {                                                                                           \
        struct kr_str s_ = (s);                                                                    \
        assert_int_equal(s_.len, sizeof(lit) - 1);                                                 \
        if (s_.len) {                                                                              \
            assert_memory_equal(s_.ptr, lit, s_.len);                                              \
        }                                                                                          \
    } while (0)

#define TU_TEST(f) cmocka_unit_test_teardown(f, tu_free_all)
