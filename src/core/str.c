/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte slice helpers. Pure functions, any thread. */
#include "core/str.h"

#include <string.h>

#include "core/err.h"

struct kr_str kr_str_c(const char *s)
{
    return kr_str_make(s, s ? strlen(s) : 0);
}

bool kr_str_eq(struct kr_str a, struct kr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool kr_str_caseeq(struct kr_str a, struct kr_str b)
{
    if (a.len != b.len) {
        return false;
    }
    for (size_t i = 0; i < a.len; i++) {
        if (kr_ascii_lower(a.ptr[i]) != kr_ascii_lower(b.ptr[i])) {
            return false;
        }
    }
    return true;
}

bool kr_str_casestarts(struct kr_str s, struct kr_str prefix)
{
    return s.len >= prefix.len && kr_str_caseeq(kr_str_make(s.ptr, prefix.len), prefix);
}

long kr_str_chr(struct kr_str s, char c)
{
    const char *p = s.len ? memchr(s.ptr, c, s.len) : NULL;
    return p ? (long)(p - s.ptr) : -1;
}

long kr_str_find(struct kr_str s, struct kr_str needle)
{
    if (needle.len == 0) {
        return 0;
    }
    if (s.len < needle.len) {
        return -1;
    }
    const char *p = memmem(s.ptr, s.len, needle.ptr, needle.len);
    return p ? (long)(p - s.ptr) : -1;
}

struct kr_str kr_str_sub(struct kr_str s, size_t from, size_t len)
{
    if (from > s.len) {
        from = s.len;
    }
    if (len > s.len - from) {
        len = s.len - from;
    }
    return kr_str_make(s.ptr + from, len);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct kr_str kr_str_trim(struct kr_str s)
{
    while (s.len && is_ws(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_ws(s.ptr[s.len - 1])) {
        s.len--;
    }
    return s;
}

int kr_str_to_u64(struct kr_str s, uint64_t max, uint64_t *out)
{
    uint64_t n = 0;

    if (s.len == 0) {
        return KR_EPARSE;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') {
            return KR_EPARSE;
        }
        unsigned d = (unsigned)(s.ptr[i] - '0');
        if (n > (max - d) / 10) {
            return KR_ELIMIT;
        }
        n = n * 10 + d;
    }
    *out = n;
    return 0;
}

int kr_str_to_i64(struct kr_str s, int64_t *out)
{
    bool neg = false;
    uint64_t u;

    if (s.len && (s.ptr[0] == '-' || s.ptr[0] == '+')) {
        neg = s.ptr[0] == '-';
        s = kr_str_sub(s, 1, s.len);
    }
    int rc = kr_str_to_u64(s, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &u);
    if (rc < 0) {
        return rc;
    }
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

uint32_t kr_str_hash(struct kr_str s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < s.len; i++) {
        h = (h ^ (uint8_t)s.ptr[i]) * 16777619u;
    }
    return h;
}

uint32_t kr_str_casehash(struct kr_str s)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s.len; i++) {
        h = (h ^ (uint8_t)kr_ascii_lower(s.ptr[i])) * 16777619u;
    }
    return h;
}
