/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error codes and the parse-error record that parsers fill so that a 400 can say what
 * was wrong. A kr_err is owned by the caller (usually on the stack); its reason is
 * always a static string. */
#pragma once

#include <stddef.h>

enum kr_errcode {
    KR_OK = 0,
    KR_EAGAIN = -1, /* more bytes needed */
    KR_EPARSE = -2, /* malformed input */
    KR_ELIMIT = -3, /* a size or count limit was passed */
    KR_ENOMEM = -4, /* allocation failed (or arena cap reached) */
    KR_EIO = -5,    /* socket / file error */
    KR_ENOTFOUND = -6,
    KR_EINVAL = -7,   /* bad argument from our own code or config */
    KR_EVERSION = -8, /* unsupported protocol version (SIP 505) */
};

struct kr_err {
    const char *reason; /* static string, NULL when no error */
    size_t off;         /* offset in the input where it was found */
};

/* Records the first error only (later, deeper errors do not overwrite the cause).
 * Returns code so that parsers can `return kr_err_set(...)`. */
static inline int kr_err_set(struct kr_err *err, int code, size_t off, const char *reason)
{
    if (err && !err->reason) {
        err->reason = reason;
        err->off = off;
    }
    return code;
}

const char *kr_strerror(int code);
