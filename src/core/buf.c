/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capped output buffer; see buf.h. One thread at a time. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

void kr_buf_init_arena(struct kr_buf *b, struct kr_arena *a, size_t hint, size_t cap)
{
    *b = (struct kr_buf){ .cap = cap, .arena = a };
    if (hint) {
        kr_buf_reserve(b, hint);
    }
}

void kr_buf_init_heap(struct kr_buf *b, size_t hint, size_t cap)
{
    *b = (struct kr_buf){ .cap = cap };
    if (hint) {
        kr_buf_reserve(b, hint);
    }
}

void kr_buf_init_fixed(struct kr_buf *b, char *mem, size_t size)
{
    *b = (struct kr_buf){ .ptr = mem, .size = size, .cap = size, .fixed = true };
}

void kr_buf_fini(struct kr_buf *b)
{
    if (b->arena == NULL && !b->fixed) {
        free(b->ptr);
    }
    *b = (struct kr_buf){ 0 };
}

char *kr_buf_reserve(struct kr_buf *b, size_t n)
{
    if (b->err) {
        return NULL;
    }
    if (b->size - b->len >= n + 1) { /* +1 keeps room for a NUL */
        return b->ptr + b->len;
    }
    size_t need = b->len + n + 1;
    if (need < n || (b->cap && need > b->cap + 1) || b->fixed) {
        b->err = KR_ELIMIT;
        return NULL;
    }
    size_t nsize = b->size ? b->size * 2 : 256;
    while (nsize < need) {
        nsize *= 2;
    }
    if (b->cap && nsize > b->cap + 1) {
        nsize = b->cap + 1;
    }
    char *np;
    if (b->arena) {
        np = kr_arena_alloc(b->arena, nsize);
        if (np && b->len) {
            memcpy(np, b->ptr, b->len);
        }
    } else {
        np = realloc(b->ptr, nsize);
    }
    if (np == NULL) {
        b->err = KR_ENOMEM;
        return NULL;
    }
    b->ptr = np;
    b->size = nsize;
    return b->ptr + b->len;
}

void kr_buf_append_slow(struct kr_buf *b, const void *p, size_t n)
{
    char *d = kr_buf_reserve(b, n);
    if (d && n) {
        memcpy(d, p, n);
        b->len += n;
    }
}

void kr_buf_append_u64(struct kr_buf *b, unsigned long long v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    kr_buf_append(b, tmp + i, sizeof(tmp) - i);
}

void kr_buf_append_i64(struct kr_buf *b, long long v)
{
    if (v < 0) {
        kr_buf_append_char(b, '-');
        kr_buf_append_u64(b, 0ULL - (unsigned long long)v);
    } else {
        kr_buf_append_u64(b, (unsigned long long)v);
    }
}

void kr_buf_printf(struct kr_buf *b, const char *fmt, ...)
{
    va_list ap;
    char tmp[256];

    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = KR_EINVAL;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        kr_buf_append(b, tmp, (size_t)n);
        return;
    }
    char *d = kr_buf_reserve(b, (size_t)n);
    if (d) {
        va_start(ap, fmt);
        vsnprintf(d, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
    }
}

const char *kr_buf_cstr(struct kr_buf *b)
{
    if (kr_buf_reserve(b, 0) == NULL) {
        return NULL;
    }
    b->ptr[b->len] = '\0';
    return b->ptr;
}
