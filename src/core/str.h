/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte slices: pointer + length, never assumed NUL-terminated, never written through.
 * A slice owns nothing; whoever owns the bytes (arena, buffer, config tree) outlives it.
 * Pure functions, safe from any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kr_str {
    const char *ptr;
    size_t len;
};

#define KR_STR(lit) ((struct kr_str){ .ptr = "" lit, .len = sizeof(lit) - 1 })
#define KR_STR_NULL ((struct kr_str){ .ptr = NULL, .len = 0 })
#define KR_STR_FMT "%.*s"
#define KR_STR_ARG(s) (int)(s).len, (s).ptr

static inline struct kr_str kr_str_make(const char *p, size_t n)
{
    return (struct kr_str){ .ptr = p, .len = n };
}

/* A slice of a NUL-terminated C string we own (config, literals); never for network data. */
struct kr_str kr_str_c(const char *s);

static inline char kr_ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool kr_str_eq(struct kr_str a, struct kr_str b);
bool kr_str_caseeq(struct kr_str a, struct kr_str b);
bool kr_str_casestarts(struct kr_str s, struct kr_str prefix);
/* Index of the first c in s, or -1. */
long kr_str_chr(struct kr_str s, char c);
/* Index of needle in s (case-sensitive), or -1. */
long kr_str_find(struct kr_str s, struct kr_str needle);
struct kr_str kr_str_sub(struct kr_str s, size_t from, size_t len);
/* Strips SP, HTAB, CR and LF at both ends. */
struct kr_str kr_str_trim(struct kr_str s);
/* Parses an unsigned decimal; 0 or KR_EPARSE (not all digits / empty) or KR_ELIMIT (> max). */
int kr_str_to_u64(struct kr_str s, uint64_t max, uint64_t *out);
/* Parses an optionally signed decimal; 0 or KR_EPARSE / KR_ELIMIT. */
int kr_str_to_i64(struct kr_str s, int64_t *out);
uint32_t kr_str_hash(struct kr_str s);
uint32_t kr_str_casehash(struct kr_str s);
