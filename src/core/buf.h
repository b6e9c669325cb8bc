/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capped output buffer for text we build (messages, replies, logs). Storage comes from an
 * arena or the heap; an append past the cap sets a sticky error checked once at the end.
 * Owned by one thread at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"

struct kr_buf {
    char *ptr;
    size_t len;
    size_t size;            /* allocated bytes */
    size_t cap;             /* most bytes it may grow to */
    struct kr_arena *arena; /* NULL: heap-backed (unless fixed) */
    bool fixed;             /* caller-owned storage that never grows */
    int err;                /* 0, KR_ELIMIT or KR_ENOMEM: sticky */
};

/* Arena-backed buffer; initial size hint, hard cap. */
void kr_buf_init_arena(struct kr_buf *b, struct kr_arena *a, size_t hint, size_t cap);
/* Heap-backed buffer; release with kr_buf_fini. */
void kr_buf_init_heap(struct kr_buf *b, size_t hint, size_t cap);
/* Fixed storage the caller owns; never grows past size. */
void kr_buf_init_fixed(struct kr_buf *b, char *mem, size_t size);
void kr_buf_fini(struct kr_buf *b);

/* Slow path of the appends below: grows the buffer (or sets the sticky error). */
void kr_buf_append_slow(struct kr_buf *b, const void *p, size_t n);

/* Appends run for every header of every message built: the common case (room left, no
 * error) is inline. */
static inline void kr_buf_append(struct kr_buf *b, const void *p, size_t n)
{
    if (b->err == 0 && b->size - b->len > n) {
        if (n) {
            memcpy(b->ptr + b->len, p, n);
        }
        b->len += n;
        return;
    }
    kr_buf_append_slow(b, p, n);
}
static inline void kr_buf_append_str(struct kr_buf *b, struct kr_str s)
{
    kr_buf_append(b, s.ptr, s.len);
}
static inline void kr_buf_append_c(struct kr_buf *b, const char *s)
{
    kr_buf_append(b, s, strlen(s));
}
static inline void kr_buf_append_char(struct kr_buf *b, char c)
{
    kr_buf_append(b, &c, 1);
}
void kr_buf_append_u64(struct kr_buf *b, unsigned long long v);
void kr_buf_append_i64(struct kr_buf *b, long long v);
void kr_buf_printf(struct kr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ensures room for n more bytes and returns where they go (call kr_buf_commit after
 * writing); NULL on error (sticky). */
char *kr_buf_reserve(struct kr_buf *b, size_t n);
static inline void kr_buf_commit(struct kr_buf *b, size_t n)
{
    b->len += n;
}
static inline struct kr_str kr_buf_str(const struct kr_buf *b)
{
    return kr_str_make(b->ptr, b->len);
}
/* NUL-terminates (not counted in len) and returns ptr, or NULL on error. */
const char *kr_buf_cstr(struct kr_buf *b);
static inline void kr_buf_clear(struct kr_buf *b)
{
    b->len = 0;
    b->err = 0;
}
