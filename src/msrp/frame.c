/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MSRP frame parsing (RFC 4975 §7, §9): header-part framing on a stream, start line and
 * header index, end-line search over body chunks, header value parsers and the response
 * builder. Everything is slices into caller bytes plus an arena-allocated index; no
 * globals but const tables: any thread. */
#include "msrp/frame.h"

#include <stdint.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ident-char of RFC 4975 §9. */
static bool is_ident(char c)
{
    return is_alnum(c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '=';
}

/* RFC 3261 token, used for header names. */
static bool is_token(char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' ||
           c == '+' || c == '`' || c == '\'' || c == '~';
}

static bool is_flag(char c)
{
    return c == '$' || c == '+' || c == '#';
}

static bool lceq(const char *p, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (kr_ascii_lower(p[i]) != lower[i]) {
            return false;
        }
    }
    return true;
}

static const char end_dashes[] = "-------";
enum { DASHES = sizeof(end_dashes) - 1 };

bool kr_msrp_tid_valid(struct kr_str t)
{
    if (t.len < KR_MSRP_TID_MIN || t.len > KR_MSRP_TID_MAX || !is_alnum(t.ptr[0])) {
        return false;
    }
    for (size_t i = 1; i < t.len; i++) {
        if (!is_ident(t.ptr[i])) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- stream framing */

int kr_msrp_frame_head(const char *data, size_t len, size_t max_head, struct kr_msrp_head_state *st,
                       size_t *head_len, struct kr_err *err)
{
    static const char prefix[] = "MSRP ";

    if (st->scanned < sizeof(prefix) - 1) {
        size_t n = len < sizeof(prefix) - 1 ? len : sizeof(prefix) - 1;
        if (memcmp(data, prefix, n) != 0) {
            return kr_err_set(err, KR_EPARSE, 0, "MSRP: frame does not start with \"MSRP \"");
        }
    }
    /* Never look further than the limit allows: a head ending at max_head may still be
     * followed by a body-less frame's end-line (at most 7 + 32 + 3 bytes). */
    size_t lim = len;
    if (max_head < SIZE_MAX - 64 && lim > max_head + 64) {
        lim = max_head + 64;
    }
    while (st->scanned < lim) {
        const char *lf = memchr(data + st->scanned, '\n', lim - st->scanned);
        if (lf == NULL) {
            st->scanned = lim;
            break;
        }
        size_t i = (size_t)(lf - data);
        if (i == 0 || data[i - 1] != '\r') {
            return kr_err_set(err, KR_EPARSE, i, "MSRP: bare LF");
        }
        size_t ls = st->line_start;
        if (ls > 0) {
            if (i + 1 - ls == 2) {
                if (i + 1 > max_head) {
                    return kr_err_set(err, KR_ELIMIT, max_head, "MSRP: header part too long");
                }
                st->has_body = true;
                *head_len = i + 1;
                return 0;
            }
            if (i + 1 - ls >= DASHES + 2 && memcmp(data + ls, end_dashes, DASHES) == 0) {
                if (ls > max_head) {
                    return kr_err_set(err, KR_ELIMIT, max_head, "MSRP: header part too long");
                }
                st->has_body = false;
                *head_len = ls;
                return 0;
            }
        }
        st->line_start = i + 1;
        st->scanned = i + 1;
    }
    /* Too long once the next line starts past max_head, or once the line that starts
     * before it runs past where a body-less frame's end-line would have ended: not
     * before, so that the answer does not depend on where the bytes were cut. */
    if (st->line_start > max_head || (max_head < SIZE_MAX - 64 && st->scanned >= max_head + 64)) {
        return kr_err_set(err, KR_ELIMIT, max_head, "MSRP: header part too long");
    }
    return KR_EAGAIN;
}

/* ---------------------------------------------------------------- names */

struct name_entry {
    const char *name;
    size_t len;
    enum kr_msrp_hdr_type type;
};

#define NE(lit, t)                                                                                 \
    {                                                                                              \
        lit, sizeof(lit) - 1, t                                                                    \
    }
static const struct name_entry hdr_names[] = {
    NE("to-path", KR_MSRP_HDR_TO_PATH),
    NE("from-path", KR_MSRP_HDR_FROM_PATH),
    NE("message-id", KR_MSRP_HDR_MESSAGE_ID),
    NE("byte-range", KR_MSRP_HDR_BYTE_RANGE),
    NE("success-report", KR_MSRP_HDR_SUCCESS_REPORT),
    NE("failure-report", KR_MSRP_HDR_FAILURE_REPORT),
    NE("status", KR_MSRP_HDR_STATUS),
    NE("expires", KR_MSRP_HDR_EXPIRES),
    NE("min-expires", KR_MSRP_HDR_MIN_EXPIRES),
    NE("max-expires", KR_MSRP_HDR_MAX_EXPIRES),
    NE("use-path", KR_MSRP_HDR_USE_PATH),
    NE("www-authenticate", KR_MSRP_HDR_WWW_AUTHENTICATE),
    NE("authorization", KR_MSRP_HDR_AUTHORIZATION),
    NE("authentication-info", KR_MSRP_HDR_AUTHENTICATION_INFO),
    NE("content-type", KR_MSRP_HDR_CONTENT_TYPE),
};
#undef NE

enum kr_msrp_hdr_type kr_msrp_hdr_type_of(struct kr_str name)
{
    for (size_t i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++) {
        if (name.len == hdr_names[i].len && lceq(name.ptr, hdr_names[i].name, name.len)) {
            return hdr_names[i].type;
        }
    }
    return KR_MSRP_HDR_OTHER;
}

enum kr_msrp_method kr_msrp_method_id(struct kr_str m)
{
    /* Methods are case-sensitive upper case (RFC 4975 §9: 1*UPALPHA). */
    if (kr_str_eq(m, KR_STR("SEND"))) {
        return KR_MSRP_METHOD_SEND;
    }
    if (kr_str_eq(m, KR_STR("REPORT"))) {
        return KR_MSRP_METHOD_REPORT;
    }
    if (kr_str_eq(m, KR_STR("AUTH"))) {
        return KR_MSRP_METHOD_AUTH;
    }
    if (kr_str_eq(m, KR_STR("NICKNAME"))) {
        return KR_MSRP_METHOD_NICKNAME;
    }
    return KR_MSRP_METHOD_OTHER;
}

const struct kr_msrp_hdr *kr_msrp_frame_hdr(const struct kr_msrp_frame *f, enum kr_msrp_hdr_type t,
                                            size_t n)
{
    if (t <= KR_MSRP_HDR_OTHER || t >= KR_MSRP_HDR__COUNT || f->first[t] < 0) {
        return NULL;
    }
    for (size_t i = (size_t)f->first[t]; i < f->nhdrs; i++) {
        if (f->hdrs[i].type == t) {
            if (n == 0) {
                return &f->hdrs[i];
            }
            n--;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- head parser */

/* Start line (RFC 4975 §9): "MSRP" SP tid SP (method | code [SP comment]). On error
 * after the tid, f->tid stays set and the error is only recorded (*bad). */
static int parse_start(const char *data, const char *p, const char *end, struct kr_msrp_frame *f,
                       bool *bad, struct kr_err *err)
{
    const char *line = p;
    size_t off = (size_t)(p - data);

    f->start_line = kr_str_make(line, (size_t)(end - line));
    if (end - p < 5 || memcmp(p, "MSRP ", 5) != 0) {
        return kr_err_set(err, KR_EPARSE, off, "MSRP: start line does not begin with \"MSRP \"");
    }
    p += 5;
    const char *t = p;
    while (p < end && *p != ' ') {
        p++;
    }
    struct kr_str tid = kr_str_make(t, (size_t)(p - t));
    if (tid.len < KR_MSRP_TID_MIN) {
        return kr_err_set(err, KR_EPARSE, (size_t)(t - data), "MSRP: transaction id too short");
    }
    if (tid.len > KR_MSRP_TID_MAX) {
        return kr_err_set(err, KR_EPARSE, (size_t)(t - data), "MSRP: transaction id too long");
    }
    if (!kr_msrp_tid_valid(tid)) {
        return kr_err_set(err, KR_EPARSE, (size_t)(t - data),
                          "MSRP: bad character in transaction id");
    }
    f->tid = tid;
    if (p == end) {
        *bad = true;
        kr_err_set(err, KR_EPARSE, (size_t)(p - data), "MSRP: start line lacks method or code");
        return 0;
    }
    p++; /* SP */
    const char *m = p;
    if (p < end && is_digit(*p)) {
        while (p < end && is_digit(*p)) {
            p++;
        }
        if (p - m != 3 || (p < end && *p != ' ')) {
            *bad = true;
            kr_err_set(err, KR_EPARSE, (size_t)(m - data), "MSRP: status code is not 3 digits");
            return 0;
        }
        f->status = (unsigned)((m[0] - '0') * 100 + (m[1] - '0') * 10 + (m[2] - '0'));
        if (f->status < 100) {
            *bad = true;
            kr_err_set(err, KR_EPARSE, (size_t)(m - data), "MSRP: status code below 100");
        }
        f->is_request = false;
        if (p < end) {
            p++;
            for (const char *c = p; c < end; c++) {
                if ((unsigned char)*c < 0x20 && *c != '\t') {
                    *bad = true;
                    kr_err_set(err, KR_EPARSE, (size_t)(c - data),
                               "MSRP: control character in comment");
                    break;
                }
            }
            f->comment = kr_str_make(p, (size_t)(end - p));
        }
        return 0;
    }
    while (p < end && *p >= 'A' && *p <= 'Z') {
        p++;
    }
    f->is_request = true;
    f->method = kr_str_make(m, (size_t)(p - m));
    f->method_id = kr_msrp_method_id(f->method);
    if (p == m || p != end) {
        *bad = true;
        kr_err_set(err, KR_EPARSE, (size_t)(p - data), "MSRP: bad method");
    }
    return 0;
}

static int add_hdr(struct kr_arena *a, struct kr_msrp_frame *f, size_t *cap,
                   const struct kr_msrp_hdr *h)
{
    if (f->nhdrs == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct kr_msrp_hdr *n = kr_arena_alloc(a, ncap * sizeof(*n));
        if (n == NULL) {
            return KR_ENOMEM;
        }
        if (f->nhdrs) {
            memcpy(n, f->hdrs, f->nhdrs * sizeof(*n));
        }
        f->hdrs = n;
        *cap = ncap;
    }
    if (f->first[h->type] < 0) {
        f->first[h->type] = (int)f->nhdrs;
    }
    f->hdrs[f->nhdrs++] = *h;
    return 0;
}

/* One header line [p, eol) (CRLF excluded). Errors are recorded, not fatal. */
static bool parse_hdr_line(const char *data, const char *p, const char *eol, struct kr_msrp_hdr *h,
                           struct kr_err *err)
{
    size_t off = (size_t)(p - data);

    if (*p == ' ' || *p == '\t') {
        kr_err_set(err, KR_EPARSE, off, "MSRP: header folding is not allowed");
        return false;
    }
    const char *n = p;
    while (p < eol && is_token(*p)) {
        p++;
    }
    if (p == n || p == eol || *p != ':') {
        kr_err_set(err, KR_EPARSE, (size_t)(p - data), "MSRP: malformed header line");
        return false;
    }
    h->name = kr_str_make(n, (size_t)(p - n));
    h->type = kr_msrp_hdr_type_of(h->name);
    p++;
    while (p < eol && (*p == ' ' || *p == '\t')) {
        p++;
    }
    const char *ve = eol;
    while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t')) {
        ve--;
    }
    for (const char *c = p; c < ve; c++) {
        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
            kr_err_set(err, KR_EPARSE, (size_t)(c - data), "MSRP: control character in header");
            return false;
        }
    }
    h->value = kr_str_make(p, (size_t)(ve - p));
    h->raw = kr_str_make(n, (size_t)(eol + 2 - n));
    return true;
}

int kr_msrp_parse_head(const char *data, size_t len, struct kr_arena *a, struct kr_msrp_frame *f,
                       struct kr_err *err)
{
    const char *p = data;
    const char *end = data + len;
    bool bad = false;
    size_t cap = 0;

    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < KR_MSRP_HDR__COUNT; i++) {
        f->first[i] = -1;
    }
    const char *lf = memchr(p, '\n', len);
    if (lf == NULL || lf == p || lf[-1] != '\r') {
        return kr_err_set(err, KR_EPARSE, lf ? (size_t)(lf - data) : len,
                          lf ? "MSRP: start line not ended by CRLF" : "MSRP: no start line");
    }
    if (memchr(p, '\r', (size_t)(lf - 1 - p)) != NULL) {
        return kr_err_set(err, KR_EPARSE, 0, "MSRP: CR inside start line");
    }
    int rc = parse_start(data, p, lf - 1, f, &bad, err);
    if (rc < 0) {
        return rc;
    }
    p = lf + 1;
    for (;;) {
        lf = memchr(p, '\n', (size_t)(end - p));
        if (lf == NULL) {
            return kr_err_set(err, KR_EPARSE, (size_t)(p - data),
                              "MSRP: header part not terminated");
        }
        if (lf == p || lf[-1] != '\r') {
            return kr_err_set(err, KR_EPARSE, (size_t)(lf - data), "MSRP: bare LF");
        }
        const char *eol = lf - 1;
        if (eol == p) {
            f->has_body = true;
            f->body_off = (size_t)(lf + 1 - data);
            break;
        }
        if (memchr(p, '\r', (size_t)(eol - p)) != NULL) {
            return kr_err_set(err, KR_EPARSE, (size_t)(p - data), "MSRP: CR inside header line");
        }
        if ((size_t)(eol - p) >= DASHES && memcmp(p, end_dashes, DASHES) == 0) {
            /* The end-line of a body-less frame: it must carry our tid and a flag. */
            size_t n = (size_t)(eol - p);
            if (n < DASHES + 1 || !is_flag(eol[-1]) ||
                !kr_str_eq(kr_str_make(p + DASHES, n - DASHES - 1), f->tid)) {
                bad = true;
                kr_err_set(err, KR_EPARSE, (size_t)(p - data), "MSRP: bad end-line");
            }
            f->has_body = false;
            f->body_off = (size_t)(p - data);
            break;
        }
        struct kr_msrp_hdr h;
        if (parse_hdr_line(data, p, eol, &h, err)) {
            if (f->nhdrs == KR_MSRP_MAX_HEADERS) {
                return kr_err_set(err, KR_ELIMIT, (size_t)(p - data), "MSRP: too many headers");
            }
            if ((h.type == KR_MSRP_HDR_TO_PATH || h.type == KR_MSRP_HDR_FROM_PATH) &&
                f->first[h.type] >= 0) {
                bad = true;
                kr_err_set(err, KR_EPARSE, (size_t)(p - data),
                           h.type == KR_MSRP_HDR_TO_PATH ? "MSRP: duplicate To-Path"
                                                         : "MSRP: duplicate From-Path");
            }
            rc = add_hdr(a, f, &cap, &h);
            if (rc < 0) {
                return kr_err_set(err, rc, (size_t)(p - data), "MSRP: out of memory");
            }
        } else {
            bad = true;
        }
        p = lf + 1;
    }
    /* RFC 4975 §7.1: To-Path first, From-Path second; a frame that breaks this is
     * malformed, but everything was indexed so that the 400 can be addressed. */
    if (f->first[KR_MSRP_HDR_TO_PATH] < 0) {
        bad = true;
        kr_err_set(err, KR_EPARSE, 0, "MSRP: missing To-Path");
    } else if (f->first[KR_MSRP_HDR_TO_PATH] != 0) {
        bad = true;
        kr_err_set(err, KR_EPARSE, 0, "MSRP: To-Path is not the first header");
    }
    if (f->first[KR_MSRP_HDR_FROM_PATH] < 0) {
        bad = true;
        kr_err_set(err, KR_EPARSE, 0, "MSRP: missing From-Path");
    } else if (f->first[KR_MSRP_HDR_FROM_PATH] != 1) {
        bad = true;
        kr_err_set(err, KR_EPARSE, 0, "MSRP: From-Path is not the second header");
    }
    return bad ? KR_EPARSE : 0;
}

/* ---------------------------------------------------------------- end-line search */

void kr_msrp_end_init(struct kr_msrp_end_state *st, bool body)
{
    (void)body;
    memset(st, 0, sizeof(*st));
    /* Both kinds start as if a CRLF had just been seen: a body-less frame's end-line
     * follows the last header's CRLF; an end-line right after the blank line is an empty
     * body written without the CRLF that should precede the end-line. */
    st->matched = 2;
}

long kr_msrp_find_end(const char *data, size_t len, struct kr_str tid, struct kr_msrp_end_state *st,
                      char *flag)
{
    if (tid.len == 0 || tid.len > KR_MSRP_TID_MAX) {
        return KR_EINVAL;
    }
    /* Pattern: CR LF, 7 dashes, tid, flag, CR LF. It holds CR only at 0 and at
     * flag_at + 1, and LF only right after each, so after a mismatch the only possible
     * restart is a CR at the current byte: no general KMP table is needed. */
    const size_t flag_at = 2 + DASHES + tid.len;
    const size_t plen = flag_at + 3;
    size_t k = st->matched;

    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (k == 0) {
            const char *cr = memchr(data + i, '\r', len - i);
            if (cr == NULL) {
                st->pos += len - i;
                break;
            }
            st->pos += (size_t)(cr - (data + i));
            i = (size_t)(cr - data);
            c = '\r';
        }
        bool ok;
        if (k == 0 || k == flag_at + 1) {
            ok = c == '\r';
        } else if (k == 1 || k == flag_at + 2) {
            ok = c == '\n';
        } else if (k < 2 + DASHES) {
            ok = c == '-';
        } else if (k < flag_at) {
            ok = c == tid.ptr[k - 2 - DASHES];
        } else {
            ok = is_flag(c);
            if (ok) {
                st->flag = c;
            }
        }
        k = ok ? k + 1 : (c == '\r' ? 1 : 0);
        st->pos++;
        if (k == plen) {
            st->matched = k;
            st->body_len = st->pos >= plen ? st->pos - plen : 0;
            if (flag) {
                *flag = st->flag;
            }
            return (long)(i + 1);
        }
    }
    st->matched = k;
    return KR_EAGAIN;
}

/* ---------------------------------------------------------------- stream framing */

bool kr_msrp_tid_collides(struct kr_str body, struct kr_str tid)
{
    const char *p = body.ptr;
    const char *end = body.ptr + body.len;
    while (p && (size_t)(end - p) >= DASHES + tid.len) {
        p = memchr(p, '-', (size_t)(end - p) - (DASHES + tid.len) + 1);
        if (!p) {
            break;
        }
        if (memcmp(p, end_dashes, DASHES) == 0 && memcmp(p + DASHES, tid.ptr, tid.len) == 0) {
            return true;
        }
        p++;
    }
    return false;
}

struct kr_str kr_msrp_start_tid(const char *data, size_t len)
{
    if (len < 6 || memcmp(data, "MSRP ", 5) != 0) {
        return KR_STR_NULL;
    }
    size_t i = 5;
    while (i < len && i - 5 <= KR_MSRP_TID_MAX && is_ident(data[i])) {
        i++;
    }
    struct kr_str t = kr_str_make(data + 5, i - 5);
    if (i >= len || data[i] != ' ' || !kr_msrp_tid_valid(t)) {
        return KR_STR_NULL;
    }
    return t;
}

int kr_msrp_frame_stream(const char *data, size_t len, size_t whole, size_t max_head,
                         struct kr_msrp_stream_state *st, size_t *msg_len, struct kr_err *err)
{
    if (st->start_len == 0) {
        size_t lim = len < KR_MSRP_START_LINE_MAX ? len : KR_MSRP_START_LINE_MAX;
        const char *lf = memchr(data, '\n', lim);
        if (lf == NULL) {
            if (len >= KR_MSRP_START_LINE_MAX) {
                return kr_err_set(err, KR_EPARSE, KR_MSRP_START_LINE_MAX, "start line too long");
            }
            return KR_EAGAIN;
        }
        size_t at = (size_t)(lf - data);
        if (at == 0 || data[at - 1] != '\r') {
            return kr_err_set(err, KR_EPARSE, at, "start line not ended by CRLF");
        }
        if (kr_msrp_start_tid(data, at).len == 0) {
            return kr_err_set(err, KR_EPARSE, 5, "no transaction id in the start line");
        }
        st->start_len = at - 1;
        kr_msrp_end_init(&st->end, true);
        st->end.matched = 0; /* the start line's own CRLF is fed */
    }
    struct kr_str tid = kr_msrp_start_tid(data, st->start_len + 2);
    /* Once found, the whole end-line is matched and end.pos counts the bytes from the
     * start line's CRLF through it: the state says it without more fields. */
    const size_t end_line = 2 + DASHES + tid.len + 3;
    bool found = st->end.matched == end_line;
    size_t from = st->start_len + st->end.pos;
    if (!found && from < len) {
        found = kr_msrp_find_end(data + from, len - from, tid, &st->end, NULL) >= 0;
    }
    size_t frame_len = st->start_len + st->end.pos;
    if (found && frame_len <= whole) {
        *msg_len = frame_len;
        return 0;
    }
    if (!found && len < whole) {
        return KR_EAGAIN;
    }
    /* Past `whole`: the head goes up alone and the body streams, however the bytes
     * were split (a frame found whole in one read is cut the same way). */
    size_t head_len = 0;
    int rc = kr_msrp_frame_head(data, len, max_head, &st->head, &head_len, err);
    if (rc < 0) {
        return rc; /* KR_EAGAIN: the head is still coming (up to max_head) */
    }
    /* nothing to stream: an empty body, or none (then the head ends at the end-line:
     * a head ended by another tid's dashes is broken however the bytes come) */
    if (found && (st->head.has_body ? frame_len - head_len <= end_line
                                    : frame_len - head_len == end_line - 2)) {
        *msg_len = frame_len;
        return 0;
    }
    if (!st->head.has_body) {
        return kr_err_set(err, KR_EPARSE, head_len, "end-line does not match the transaction");
    }
    *msg_len = head_len;
    return KR_MSRP_FRAME_HEAD;
}

/* ---------------------------------------------------------------- value parsers */

int kr_msrp_path_next(struct kr_str *rest, struct kr_msrp_uri *u, struct kr_err *err)
{
    const char *p = rest->ptr;
    const char *end = rest->ptr + rest->len;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    if (p == end) {
        *rest = kr_str_make(end, 0);
        return 0;
    }
    const char *s = p;
    while (p < end && *p != ' ' && *p != '\t') {
        p++;
    }
    int rc = kr_msrp_uri_parse(kr_str_make(s, (size_t)(p - s)), u, err);
    if (rc < 0) {
        return rc;
    }
    *rest = kr_str_make(p, (size_t)(end - p));
    return 1;
}

int kr_msrp_parse_path(struct kr_str v, struct kr_msrp_uri *out, size_t max, size_t *n,
                       struct kr_err *err)
{
    struct kr_str rest = v;
    struct kr_msrp_uri u;
    size_t count = 0;
    int rc;

    while ((rc = kr_msrp_path_next(&rest, &u, err)) == 1) {
        if (out) {
            if (count == max) {
                return kr_err_set(err, KR_ELIMIT, (size_t)(rest.ptr - v.ptr),
                                  "MSRP: too many URIs in path");
            }
            out[count] = u;
        }
        count++;
    }
    if (rc < 0) {
        return rc;
    }
    if (count == 0) {
        return kr_err_set(err, KR_EPARSE, 0, "MSRP: empty path");
    }
    *n = count;
    return 0;
}

/* 1*18DIGIT at *p; returns false when none or too many. */
static bool scan_num(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    while (*p < end && is_digit(**p)) {
        if (*p - s == KR_MSRP_RANGE_MAX_DIGITS) {
            return false;
        }
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++;
    }
    *out = v;
    return *p > s;
}

int kr_msrp_parse_range(struct kr_str v, struct kr_msrp_range *r, struct kr_err *err)
{
    const char *p = v.ptr;
    const char *end = v.ptr + v.len;

    memset(r, 0, sizeof(*r));
    if (!scan_num(&p, end, &r->start)) {
        return kr_err_set(err, KR_EPARSE, (size_t)(p - v.ptr), "Byte-Range: bad start");
    }
    if (r->start == 0) {
        return kr_err_set(err, KR_EPARSE, 0, "Byte-Range: start is 1-based");
    }
    if (p == end || *p != '-') {
        return kr_err_set(err, KR_EPARSE, (size_t)(p - v.ptr), "Byte-Range: expected '-'");
    }
    p++;
    if (p < end && *p == '*') {
        r->end_star = true;
        p++;
    } else if (!scan_num(&p, end, &r->end)) {
        return kr_err_set(err, KR_EPARSE, (size_t)(p - v.ptr), "Byte-Range: bad end");
    }
    if (p == end || *p != '/') {
        return kr_err_set(err, KR_EPARSE, (size_t)(p - v.ptr), "Byte-Range: expected '/'");
    }
    p++;
    if (p < end && *p == '*') {
        r->total_star = true;
        p++;
    } else if (!scan_num(&p, end, &r->total)) {
        return kr_err_set(err, KR_EPARSE, (size_t)(p - v.ptr), "Byte-Range: bad total");
    }
    if (p != end) {
        return kr_err_set(err, KR_EPARSE, (size_t)(p - v.ptr), "Byte-Range: trailing garbage");
    }
    /* end may be start-1: an empty chunk (e.g. 1-0/0). */
    if (!r->end_star && r->end + 1 < r->start) {
        return kr_err_set(err, KR_EPARSE, 0, "Byte-Range: end before start");
    }
    if (!r->total_star) {
        if (r->start - 1 > r->total || (!r->end_star && r->end > r->total)) {
            return kr_err_set(err, KR_EPARSE, 0, "Byte-Range: beyond total");
        }
    }
    return 0;
}

int kr_msrp_parse_success_report(struct kr_str v, bool *yes, struct kr_err *err)
{
    if (v.len == 3 && lceq(v.ptr, "yes", 3)) {
        *yes = true;
        return 0;
    }
    if (v.len == 2 && lceq(v.ptr, "no", 2)) {
        *yes = false;
        return 0;
    }
    return kr_err_set(err, KR_EPARSE, 0, "Success-Report: not yes or no");
}

int kr_msrp_parse_failure_report(struct kr_str v, enum kr_msrp_failure_report *fr,
                                 struct kr_err *err)
{
    if (v.len == 3 && lceq(v.ptr, "yes", 3)) {
        *fr = KR_MSRP_FR_YES;
        return 0;
    }
    if (v.len == 2 && lceq(v.ptr, "no", 2)) {
        *fr = KR_MSRP_FR_NO;
        return 0;
    }
    if (v.len == 7 && lceq(v.ptr, "partial", 7)) {
        *fr = KR_MSRP_FR_PARTIAL;
        return 0;
    }
    return kr_err_set(err, KR_EPARSE, 0, "Failure-Report: not yes, no or partial");
}

static bool three_digits(const char *p, const char *end, unsigned *out)
{
    if (end - p < 3 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2])) {
        return false;
    }
    if (end - p > 3 && p[3] != ' ') {
        return false;
    }
    *out = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    return true;
}

int kr_msrp_parse_status(struct kr_str v, struct kr_msrp_status *s, struct kr_err *err)
{
    const char *p = v.ptr;
    const char *end = v.ptr + v.len;

    memset(s, 0, sizeof(*s));
    if (!three_digits(p, end, &s->ns)) {
        return kr_err_set(err, KR_EPARSE, 0, "Status: namespace is not 3 digits");
    }
    p += 3;
    if (p == end) {
        return kr_err_set(err, KR_EPARSE, 3, "Status: missing code");
    }
    p++;
    if (!three_digits(p, end, &s->code)) {
        return kr_err_set(err, KR_EPARSE, 4, "Status: code is not 3 digits");
    }
    if (s->code < 100) {
        return kr_err_set(err, KR_EPARSE, 4, "Status: code below 100");
    }
    p += 3;
    if (p < end) {
        p++;
        s->text = kr_str_make(p, (size_t)(end - p));
    }
    return 0;
}

int kr_msrp_parse_expires(struct kr_str v, uint32_t *out, struct kr_err *err)
{
    uint64_t n;
    int rc = kr_str_to_u64(v, UINT32_MAX, &n);

    if (rc == KR_ELIMIT) {
        return kr_err_set(err, KR_EPARSE, 0, "Expires: above 2^32-1");
    }
    if (rc < 0) {
        return kr_err_set(err, KR_EPARSE, 0, "Expires: not delta-seconds");
    }
    *out = (uint32_t)n;
    return 0;
}

int kr_msrp_parse_message_id(struct kr_str v, struct kr_err *err)
{
    if (!kr_msrp_tid_valid(v)) {
        return kr_err_set(err, KR_EPARSE, 0, "Message-ID: not an ident");
    }
    return 0;
}

/* ---------------------------------------------------------------- builder */

static bool has_crlf(struct kr_str s)
{
    return kr_str_chr(s, '\r') >= 0 || kr_str_chr(s, '\n') >= 0;
}

int kr_msrp_build_response(const struct kr_msrp_frame *req, unsigned code, struct kr_str comment,
                           struct kr_str to_path, struct kr_str from_path,
                           struct kr_str extra_headers, struct kr_buf *out)
{
    if (code < 100 || code > 999 || req->tid.len == 0 || has_crlf(comment) || has_crlf(to_path) ||
        has_crlf(from_path)) {
        return KR_EINVAL;
    }
    kr_buf_append(out, "MSRP ", 5);
    kr_buf_append_str(out, req->tid);
    kr_buf_append_char(out, ' ');
    kr_buf_append_u64(out, code);
    if (comment.len) {
        kr_buf_append_char(out, ' ');
        kr_buf_append_str(out, comment);
    }
    kr_buf_append_c(out, "\r\nTo-Path: ");
    kr_buf_append_str(out, to_path);
    kr_buf_append_c(out, "\r\nFrom-Path: ");
    kr_buf_append_str(out, from_path);
    kr_buf_append(out, "\r\n", 2);
    kr_buf_append_str(out, extra_headers);
    kr_buf_append(out, end_dashes, DASHES);
    kr_buf_append_str(out, req->tid);
    kr_buf_append(out, "$\r\n", 3);
    return out->err;
}
