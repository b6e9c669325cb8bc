/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names for error codes. Pure, any thread. */
#include "core/err.h"

const char *kr_strerror(int code)
{
    switch (code) {
    case KR_OK:
        return "ok";
    case KR_EAGAIN:
        return "more input needed";
    case KR_EPARSE:
        return "malformed input";
    case KR_ELIMIT:
        return "limit exceeded";
    case KR_ENOMEM:
        return "out of memory";
    case KR_EIO:
        return "I/O error";
    case KR_ENOTFOUND:
        return "not found";
    case KR_EINVAL:
        return "invalid argument";
    case KR_EVERSION:
        return "unsupported version";
    default:
        return "unknown error";
    }
}
