/* SPDX-License-Identifier: GPL-2.0-or-later */
/* textops: tests and edits on the message text. Searches run on a NUL-terminated arena
 * copy of the received bytes (regexec needs one); changes are recorded as edits at offsets
 * of the received message. Worker threads. */
#define KR_LOG_UNIT "textops"
#include "modules/textops/textops.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "cfg/ctx.h"
#include "core/buf.h"
#include "core/log.h"
#include "sip/build.h"
#include "sip/msg.h"

enum { NMATCH = 10 };

static int fail(struct kr_fixup *fx, const char *reason)
{
    return kr_err_set(fx->err, KR_EINVAL, 0, reason);
}

static size_t off_of(const struct kr_sip_msg *msg, const char *p)
{
    return (size_t)(p - msg->buf.ptr);
}

/* --- sed-like expressions --- */

/* Copies the part of expr from *i up to the next unescaped delimiter d into b, turning
 * "\<d>" into d and keeping every other escape as written. */
static bool subst_part(struct kr_str expr, size_t *i, char d, struct kr_buf *b)
{
    size_t k = *i;
    while (k < expr.len && expr.ptr[k] != d) {
        if (expr.ptr[k] == '\\' && k + 1 < expr.len) {
            if (expr.ptr[k + 1] != d) {
                kr_buf_append_char(b, '\\');
            }
            kr_buf_append_char(b, expr.ptr[k + 1]);
            k += 2;
            continue;
        }
        kr_buf_append_char(b, expr.ptr[k]);
        k++;
    }
    if (k >= expr.len) {
        return false;
    }
    *i = k + 1;
    return true;
}

int kr_subst_parse(struct kr_cfg *cfg, struct kr_arena *a, struct kr_str expr, struct kr_subst *out,
                   struct kr_err *err)
{
    struct kr_buf re;
    struct kr_buf repl;
    int cflags = REG_EXTENDED;
    size_t i = 1;

    memset(out, 0, sizeof(*out));
    if (expr.len < 3) {
        return kr_err_set(err, KR_EINVAL, 0, "substitution too short (expected /re/repl/flags)");
    }
    char d = expr.ptr[0];
    if (d == '\\' || d == ' ') {
        return kr_err_set(err, KR_EINVAL, 0, "bad delimiter in substitution");
    }
    kr_buf_init_arena(&re, a, expr.len + 1, expr.len + 1);
    kr_buf_init_arena(&repl, a, expr.len + 1, expr.len + 1);
    if (!subst_part(expr, &i, d, &re) || !subst_part(expr, &i, d, &repl)) {
        return kr_err_set(err, KR_EINVAL, i, "substitution: missing delimiter");
    }
    for (; i < expr.len; i++) {
        switch (expr.ptr[i]) {
        case 'g':
            out->global = true;
            break;
        case 'i':
            cflags |= REG_ICASE;
            break;
        case 's':
            cflags |= REG_NEWLINE;
            break;
        default:
            return kr_err_set(err, KR_EINVAL, i, "substitution: unknown flag (g, i, s)");
        }
    }
    const char *rc = kr_buf_cstr(&re);
    if (!rc || repl.err) {
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    int rerr = 0;
    if (cfg) {
        out->re = kr_cfg_regcomp(cfg, rc, cflags, &rerr);
    } else {
        out->re = malloc(sizeof(*out->re));
        if (out->re && (rerr = regcomp(out->re, rc, cflags)) != 0) {
            free(out->re);
            out->re = NULL;
        }
        out->owned = out->re != NULL;
    }
    if (!out->re) {
        return kr_err_set(err, KR_EINVAL, 1, "substitution: bad regular expression");
    }
    out->repl = kr_buf_str(&repl);
    return 0;
}

void kr_subst_fini(struct kr_subst *s)
{
    if (s->owned && s->re) {
        regfree(s->re);
        free(s->re);
    }
    s->re = NULL;
    s->owned = false;
}

/* Appends repl with \N replaced by match N of subject. */
static void expand(struct kr_buf *b, struct kr_str repl, const char *subject, const regmatch_t *m)
{
    for (size_t i = 0; i < repl.len; i++) {
        char c = repl.ptr[i];
        if (c != '\\' || i + 1 == repl.len) {
            kr_buf_append_char(b, c);
            continue;
        }
        c = repl.ptr[++i];
        if (c >= '0' && c <= '9') {
            const regmatch_t *g = &m[c - '0'];
            if (g->rm_so >= 0 && g->rm_eo >= g->rm_so) {
                kr_buf_append(b, subject + g->rm_so, (size_t)(g->rm_eo - g->rm_so));
            }
        } else if (c == 'n') {
            kr_buf_append_char(b, '\n');
        } else if (c == 'r') {
            kr_buf_append_char(b, '\r');
        } else if (c == 't') {
            kr_buf_append_char(b, '\t');
        } else {
            kr_buf_append_char(b, c);
        }
    }
}

/* The next match at or after pos in subject (NUL-terminated, len bytes); REG_STARTEND
 * keeps the text before pos visible, so ^ and \b see the right context. */
static bool next_match(const regex_t *re, const char *subject, size_t len, size_t pos,
                       regmatch_t *m)
{
    m[0].rm_so = (regoff_t)pos;
    m[0].rm_eo = (regoff_t)len;
    if (regexec(re, subject, NMATCH, m, REG_STARTEND) != 0) {
        return false;
    }
    return m[0].rm_so >= (regoff_t)pos && m[0].rm_eo >= m[0].rm_so;
}

int kr_subst_str(const struct kr_subst *s, const char *subject, size_t slen, struct kr_arena *a,
                 struct kr_str *out)
{
    regmatch_t m[NMATCH];
    struct kr_buf b;
    size_t pos = 0;
    size_t copied = 0;
    int count = 0;

    kr_buf_init_arena(&b, a, slen + s->repl.len + 16, KR_SIP_MAX_MSG);
    while (pos <= slen && next_match(s->re, subject, slen, pos, m)) {
        size_t so = (size_t)m[0].rm_so;
        size_t eo = (size_t)m[0].rm_eo;
        kr_buf_append(&b, subject + copied, so - copied);
        expand(&b, s->repl, subject, m);
        copied = eo;
        count++;
        if (!s->global) {
            break;
        }
        pos = eo > so ? eo : eo + 1;
        if (eo == so && so < slen) {
            kr_buf_append_char(&b, subject[so]); /* empty match: keep the byte, go on */
            copied = so + 1;
        }
    }
    kr_buf_append(&b, subject + copied, slen - copied);
    if (b.err) {
        return b.err;
    }
    *out = kr_buf_str(&b);
    return count;
}

/* Applies s (or, with repl_fixed, a fixed text) to the message bytes from region up to
 * its end, as edits. Returns the number of replacements or negative. */
static int edit_region(struct kr_ctx *ctx, const regex_t *re, struct kr_str repl, bool expand_refs,
                       bool global, struct kr_str region)
{
    const struct kr_sip_msg *msg = kr_ctx_sip(ctx);
    regmatch_t m[NMATCH];
    size_t pos = 0;
    int count = 0;

    char *subject = kr_arena_cstr(ctx->arena, region);
    if (!subject) {
        return KR_ENOMEM;
    }
    size_t base = off_of(msg, region.ptr);
    while (pos <= region.len && next_match(re, subject, region.len, pos, m)) {
        size_t so = (size_t)m[0].rm_so;
        size_t eo = (size_t)m[0].rm_eo;
        struct kr_str text = repl;
        if (expand_refs) {
            struct kr_buf b;
            kr_buf_init_arena(&b, ctx->arena, repl.len + (eo - so) + 16, KR_SIP_MAX_MSG);
            expand(&b, repl, subject, m);
            if (b.err) {
                return b.err;
            }
            text = kr_buf_str(&b);
        }
        int rc = kr_sip_edit_replace(&ctx->edits, base + so, eo - so, text);
        if (rc < 0) {
            KR_DBG("cannot replace at %zu: %s", base + so, kr_strerror(rc));
            return count ? count : rc;
        }
        count++;
        if (!global) {
            break;
        }
        pos = eo > so ? eo : eo + 1;
    }
    return count;
}

/* The message from its first header to the end (Kamailio's subst and replace leave the
 * first line alone). */
static struct kr_str after_first_line(const struct kr_sip_msg *msg)
{
    const char *from = msg->headers.ptr ? msg->headers.ptr : msg->buf.ptr;
    return kr_str_make(from, (size_t)(msg->buf.ptr + msg->buf.len - from));
}

static int fixup_subst(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs < 1 || !args[0].is_const) {
        return fail(fx, "the substitution must be a constant string");
    }
    struct kr_subst *s = kr_arena_alloc(fx->arena, sizeof(*s));
    if (!s) {
        return kr_err_set(fx->err, KR_ENOMEM, 0, "out of memory");
    }
    int rc = kr_subst_parse(fx->cfg, fx->arena, args[0].lit, s, fx->err);
    if (rc < 0) {
        return rc;
    }
    args[0].priv = s;
    return 0;
}

static int w_subst(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_subst *s = args[0].priv;
    (void)nargs;
    if (!s || !kr_ctx_sip(ctx)) {
        return -1;
    }
    int n = edit_region(ctx, s->re, s->repl, true, s->global, after_first_line(kr_ctx_sip(ctx)));
    return n > 0 ? n : -1;
}

static int w_subst_body(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_subst *s = args[0].priv;
    (void)nargs;
    if (!s || !kr_ctx_sip(ctx) || kr_ctx_sip(ctx)->body.len == 0) {
        return -1;
    }
    int n = edit_region(ctx, s->re, s->repl, true, s->global, kr_ctx_sip(ctx)->body);
    return n > 0 ? n : -1;
}

static int w_subst_uri(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_subst *s = args[0].priv;
    struct kr_str out;

    (void)nargs;
    if (!s || !kr_ctx_sip(ctx) || !kr_ctx_sip(ctx)->is_request) {
        return -1;
    }
    char *uri = kr_arena_cstr(ctx->arena, kr_ctx_ruri(ctx));
    if (!uri) {
        return -1;
    }
    int n = kr_subst_str(s, uri, kr_ctx_ruri(ctx).len, ctx->arena, &out);
    if (n <= 0) {
        return -1;
    }
    ctx->new_ruri = out;
    return 1;
}

/* --- methods --- */

struct method_set {
    uint32_t ids;          /* 1 << kr_sip_method for known methods */
    struct kr_str *others; /* other names, as written */
    size_t nothers;
};

static int method_set_parse(struct kr_arena *a, struct kr_str list, struct method_set *ms)
{
    size_t n = 1;
    for (size_t i = 0; i < list.len; i++) {
        n += list.ptr[i] == '|';
    }
    ms->ids = 0;
    ms->nothers = 0;
    ms->others = kr_arena_alloc(a, n * sizeof(*ms->others));
    if (!ms->others) {
        return KR_ENOMEM;
    }
    while (list.len) {
        long bar = kr_str_chr(list, '|');
        size_t len = bar < 0 ? list.len : (size_t)bar;
        struct kr_str name = kr_str_trim(kr_str_sub(list, 0, len));
        list = kr_str_sub(list, bar < 0 ? list.len : len + 1, list.len);
        if (name.len == 0) {
            return KR_EINVAL;
        }
        enum kr_sip_method id = kr_sip_method_id(name);
        if (id != KR_SIP_METHOD_OTHER) {
            ms->ids |= 1u << id;
        } else {
            ms->others[ms->nothers++] = name;
        }
    }
    return ms->ids || ms->nothers ? 0 : KR_EINVAL;
}

static int fixup_is_method(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs < 1 || !args[0].is_const) {
        return 0; /* parsed at run time */
    }
    struct method_set *ms = kr_arena_alloc(fx->arena, sizeof(*ms));
    if (!ms) {
        return kr_err_set(fx->err, KR_ENOMEM, 0, "out of memory");
    }
    if (method_set_parse(fx->arena, args[0].lit, ms) < 0) {
        return fail(fx, "bad method list (expected e.g. \"INVITE|REGISTER\")");
    }
    args[0].priv = ms;
    return 0;
}

/* The request's method, or a reply's CSeq method. */
static bool msg_method(const struct kr_sip_msg *msg, struct kr_str *name, enum kr_sip_method *id)
{
    if (msg->is_request) {
        *name = msg->method;
        *id = msg->method_id;
        return true;
    }
    const struct kr_sip_hdr *h = kr_sip_msg_hdr(msg, KR_SIP_HDR_CSEQ, 0);
    struct kr_sip_cseq cs;
    struct kr_err err = { 0 };
    if (!h || kr_sip_parse_cseq(h->value, &cs, &err) < 0) {
        return false;
    }
    *name = cs.method;
    *id = cs.method_id;
    return true;
}

static int w_is_method(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct method_set *ms = args[0].priv;
    struct method_set tmp;
    struct kr_str name;
    enum kr_sip_method id;

    (void)nargs;
    if (!kr_ctx_sip(ctx) || !msg_method(kr_ctx_sip(ctx), &name, &id)) {
        return -1;
    }
    if (!ms) {
        struct kr_str list;
        if (kr_arg_str(ctx, &args[0], &list) < 0 || method_set_parse(ctx->arena, list, &tmp) < 0) {
            return -1;
        }
        ms = &tmp;
    }
    if (id != KR_SIP_METHOD_OTHER && (ms->ids & (1u << id))) {
        return 1;
    }
    for (size_t i = 0; i < ms->nothers; i++) {
        if (kr_str_caseeq(ms->others[i], name)) {
            return 1;
        }
    }
    return -1;
}

/* --- body --- */

static int w_has_body(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_sip_msg *msg = kr_ctx_sip(ctx);

    if (!msg || msg->body.len == 0) {
        return -1;
    }
    if (nargs < 1 || !args[0].present) {
        return 1;
    }
    struct kr_str want;
    if (kr_arg_str(ctx, &args[0], &want) < 0) {
        return -1;
    }
    const struct kr_sip_hdr *ct = kr_sip_msg_hdr(msg, KR_SIP_HDR_CONTENT_TYPE, 0);
    if (!ct) {
        /* RFC 3261 §20.15: a body without Content-Type is application/sdp in practice */
        return kr_str_caseeq(kr_str_trim(want), KR_STR("application/sdp")) ? 1 : -1;
    }
    long semi = kr_str_chr(ct->value, ';');
    struct kr_str type =
        kr_str_trim(kr_str_sub(ct->value, 0, semi < 0 ? ct->value.len : (size_t)semi));
    return kr_str_caseeq(type, kr_str_trim(want)) ? 1 : -1;
}

/* set_body(text, content_type): the body and Content-Type replaced (Content-Length is
 * rewritten by the builder). */
static int w_set_body(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_sip_msg *msg = kr_ctx_sip(ctx);
    struct kr_str body;
    struct kr_str ctype;
    struct kr_buf b;

    (void)nargs;
    if (!msg || kr_arg_str(ctx, &args[0], &body) < 0 || kr_arg_str(ctx, &args[1], &ctype) < 0 ||
        msg->nhdrs == 0) {
        return -1;
    }
    int rc;
    if (msg->body.len) {
        rc = kr_sip_edit_replace(&ctx->edits, off_of(msg, msg->body.ptr), msg->body.len, body);
    } else {
        rc = kr_sip_edit_insert(&ctx->edits, msg->buf.len, body);
    }
    if (rc < 0) {
        return -1;
    }
    const struct kr_sip_hdr *ct = kr_sip_msg_hdr(msg, KR_SIP_HDR_CONTENT_TYPE, 0);
    if (ct) {
        rc = kr_sip_edit_replace(&ctx->edits, off_of(msg, ct->value.ptr), ct->value.len, ctype);
    } else {
        const struct kr_sip_hdr *last = &msg->hdrs[msg->nhdrs - 1];
        kr_buf_init_arena(&b, ctx->arena, ctype.len + 20, KR_SIP_MAX_MSG);
        kr_buf_append_c(&b, "Content-Type: ");
        kr_buf_append_str(&b, ctype);
        kr_buf_append_c(&b, "\r\n");
        rc = b.err ? b.err
                   : kr_sip_edit_insert(&ctx->edits, off_of(msg, last->raw.ptr + last->raw.len),
                                        kr_buf_str(&b));
    }
    return rc < 0 ? -1 : 1;
}

static int w_remove_body(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_sip_msg *msg = kr_ctx_sip(ctx);
    (void)args;
    (void)nargs;
    if (!msg || msg->body.len == 0) {
        return -1;
    }
    if (kr_sip_edit_delete(&ctx->edits, off_of(msg, msg->body.ptr), msg->body.len) < 0) {
        return -1;
    }
    return 1;
}

/* --- headers --- */

static bool name_matches(const struct kr_sip_hdr *h, struct kr_str name, enum kr_sip_hdr_type t)
{
    if (t != KR_SIP_HDR_OTHER) {
        return h->type == t;
    }
    return kr_str_caseeq(h->name, name);
}

static int add_hf(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs, bool after)
{
    const struct kr_sip_msg *msg = kr_ctx_sip(ctx);
    struct kr_str txt;
    size_t off;

    if (!msg || kr_arg_str(ctx, &args[0], &txt) < 0) {
        return -1;
    }
    if (nargs >= 2 && args[1].present) {
        struct kr_str name;
        if (kr_arg_str(ctx, &args[1], &name) < 0) {
            return -1;
        }
        const struct kr_sip_hdr *h = kr_sip_msg_hdr_by_name(msg, kr_str_trim(name), 0);
        if (!h) {
            return -1;
        }
        off = off_of(msg, after ? h->raw.ptr + h->raw.len : h->raw.ptr);
    } else if (msg->nhdrs == 0) {
        off = off_of(msg, msg->headers.ptr ? msg->headers.ptr : msg->buf.ptr + msg->buf.len);
    } else if (after) {
        const struct kr_sip_hdr *last = &msg->hdrs[msg->nhdrs - 1];
        off = off_of(msg, last->raw.ptr + last->raw.len);
    } else {
        off = off_of(msg, msg->hdrs[0].raw.ptr);
    }
    if (txt.len == 0) {
        return 1;
    }
    return kr_sip_edit_insert(&ctx->edits, off, txt) < 0 ? -1 : 1;
}

static int w_append_hf(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return add_hf(ctx, args, nargs, true);
}

static int w_insert_hf(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return add_hf(ctx, args, nargs, false);
}

/* Removes every header for which match says so; returns how many (-1 when none). */
static int remove_where(struct kr_ctx *ctx, struct kr_str name, const regex_t *re)
{
    const struct kr_sip_msg *msg = kr_ctx_sip(ctx);
    enum kr_sip_hdr_type t = re ? KR_SIP_HDR_OTHER : kr_sip_hdr_type_of(name);
    int count = 0;

    if (!msg) {
        return -1;
    }
    for (size_t i = 0; i < msg->nhdrs; i++) {
        const struct kr_sip_hdr *h = &msg->hdrs[i];
        bool match;
        if (re) {
            char *n = kr_arena_cstr(ctx->arena, h->name);
            match = n && regexec(re, n, 0, NULL, 0) == 0;
        } else {
            match = name_matches(h, name, t);
        }
        if (!match) {
            continue;
        }
        size_t off = off_of(msg, h->raw.ptr);
        if (kr_sip_edits_deleted(&ctx->edits, off, h->raw.len)) {
            continue;
        }
        if (kr_sip_edit_delete(&ctx->edits, off, h->raw.len) < 0) {
            KR_DBG("cannot remove header " KR_STR_FMT, KR_STR_ARG(h->name));
            continue;
        }
        count++;
    }
    return count ? count : -1;
}

static int w_remove_hf(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str name;
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &name) < 0) {
        return -1;
    }
    name = kr_str_trim(name);
    return name.len ? remove_where(ctx, name, NULL) : -1;
}

static int w_remove_hf_re(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return args[0].re ? remove_where(ctx, KR_STR_NULL, args[0].re) : -1;
}

static int w_is_present_hf(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str name;
    (void)nargs;
    if (!kr_ctx_sip(ctx) || kr_arg_str(ctx, &args[0], &name) < 0) {
        return -1;
    }
    return kr_sip_msg_hdr_by_name(kr_ctx_sip(ctx), kr_str_trim(name), 0) ? 1 : -1;
}

static int w_is_present_hf_re(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_sip_msg *msg = kr_ctx_sip(ctx);
    (void)nargs;
    if (!msg || !args[0].re) {
        return -1;
    }
    for (size_t i = 0; i < msg->nhdrs; i++) {
        char *n = kr_arena_cstr(ctx->arena, msg->hdrs[i].name);
        if (n && regexec(args[0].re, n, 0, NULL, 0) == 0) {
            return 1;
        }
    }
    return -1;
}

/* --- search / replace --- */

static int search_in(struct kr_ctx *ctx, const regex_t *re, struct kr_str region, regmatch_t *m)
{
    if (!re) {
        return -1;
    }
    char *subject = kr_arena_cstr(ctx->arena, region);
    if (!subject) {
        return -1;
    }
    return next_match(re, subject, region.len, 0, m) ? 1 : -1;
}

static int w_search(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    regmatch_t m[NMATCH];
    (void)nargs;
    return kr_ctx_sip(ctx) ? search_in(ctx, args[0].re, kr_ctx_sip(ctx)->buf, m) : -1;
}

static int w_search_body(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    regmatch_t m[NMATCH];
    (void)nargs;
    if (!kr_ctx_sip(ctx) || kr_ctx_sip(ctx)->body.len == 0) {
        return -1;
    }
    return search_in(ctx, args[0].re, kr_ctx_sip(ctx)->body, m);
}

static int search_append(struct kr_ctx *ctx, const struct kr_arg *args, struct kr_str region)
{
    regmatch_t m[NMATCH];
    struct kr_str txt;

    if (search_in(ctx, args[0].re, region, m) < 0 || kr_arg_str(ctx, &args[1], &txt) < 0) {
        return -1;
    }
    size_t off = off_of(kr_ctx_sip(ctx), region.ptr) + (size_t)m[0].rm_eo;
    return kr_sip_edit_insert(&ctx->edits, off, txt) < 0 ? -1 : 1;
}

static int w_search_append(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return kr_ctx_sip(ctx) ? search_append(ctx, args, kr_ctx_sip(ctx)->buf) : -1;
}

static int w_search_append_body(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    if (!kr_ctx_sip(ctx) || kr_ctx_sip(ctx)->body.len == 0) {
        return -1;
    }
    return search_append(ctx, args, kr_ctx_sip(ctx)->body);
}

static int do_replace(struct kr_ctx *ctx, const struct kr_arg *args, bool body, bool all)
{
    struct kr_str txt;

    if (!kr_ctx_sip(ctx) || !args[0].re || kr_arg_str(ctx, &args[1], &txt) < 0) {
        return -1;
    }
    struct kr_str region = body ? kr_ctx_sip(ctx)->body : after_first_line(kr_ctx_sip(ctx));
    if (region.len == 0) {
        return -1;
    }
    int n = edit_region(ctx, args[0].re, txt, false, all, region);
    return n > 0 ? n : -1;
}

static int w_replace(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return do_replace(ctx, args, false, false);
}

static int w_replace_all(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return do_replace(ctx, args, false, true);
}

static int w_replace_body(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return do_replace(ctx, args, true, false);
}

static int w_replace_body_all(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return do_replace(ctx, args, true, true);
}

/* --- strings --- */

static int cmp(struct kr_ctx *ctx, const struct kr_arg *args, bool icase, bool prefix)
{
    struct kr_str a;
    struct kr_str b;

    if (kr_arg_str(ctx, &args[0], &a) < 0 || kr_arg_str(ctx, &args[1], &b) < 0) {
        return -2;
    }
    if (prefix) {
        return a.len >= b.len && memcmp(a.ptr, b.ptr, b.len) == 0 ? 1 : -1;
    }
    return (icase ? kr_str_caseeq(a, b) : kr_str_eq(a, b)) ? 1 : -1;
}

static int w_cmp_str(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return cmp(ctx, args, false, false);
}

static int w_cmp_istr(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return cmp(ctx, args, true, false);
}

static int w_starts_with(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return cmp(ctx, args, false, true);
}

#define EDIT_ROUTES (KR_ROUTE_REQUEST | KR_ROUTE_FAILURE | KR_ROUTE_BRANCH | KR_ROUTE_REPLY)

static const struct kr_func textops_funcs[] = {
    { .name = "is_method", .fn = w_is_method, .args = { KR_ARG_STR }, .fixup = fixup_is_method },
    { .name = "has_body", .fn = w_has_body, .args = { KR_ARG_STR_OPT } },
    { .name = "append_hf",
      .fn = w_append_hf,
      .args = { KR_ARG_STR, KR_ARG_STR_OPT },
      .routes = EDIT_ROUTES },
    { .name = "insert_hf",
      .fn = w_insert_hf,
      .args = { KR_ARG_STR, KR_ARG_STR_OPT },
      .routes = EDIT_ROUTES },
    { .name = "remove_hf", .fn = w_remove_hf, .args = { KR_ARG_STR }, .routes = EDIT_ROUTES },
    { .name = "remove_hf_re",
      .fn = w_remove_hf_re,
      .args = { KR_ARG_REGEX },
      .routes = EDIT_ROUTES },
    { .name = "is_present_hf", .fn = w_is_present_hf, .args = { KR_ARG_STR } },
    { .name = "is_present_hf_re", .fn = w_is_present_hf_re, .args = { KR_ARG_REGEX } },
    { .name = "search", .fn = w_search, .args = { KR_ARG_REGEX } },
    { .name = "search_body", .fn = w_search_body, .args = { KR_ARG_REGEX } },
    { .name = "search_append",
      .fn = w_search_append,
      .args = { KR_ARG_REGEX, KR_ARG_STR },
      .routes = EDIT_ROUTES },
    { .name = "search_append_body",
      .fn = w_search_append_body,
      .args = { KR_ARG_REGEX, KR_ARG_STR },
      .routes = EDIT_ROUTES },
    { .name = "subst",
      .fn = w_subst,
      .args = { KR_ARG_STR },
      .fixup = fixup_subst,
      .routes = EDIT_ROUTES },
    { .name = "subst_body",
      .fn = w_subst_body,
      .args = { KR_ARG_STR },
      .fixup = fixup_subst,
      .routes = EDIT_ROUTES },
    { .name = "subst_uri",
      .fn = w_subst_uri,
      .args = { KR_ARG_STR },
      .fixup = fixup_subst,
      .routes = KR_ROUTE_REQUEST | KR_ROUTE_FAILURE | KR_ROUTE_BRANCH },
    { .name = "replace",
      .fn = w_replace,
      .args = { KR_ARG_REGEX, KR_ARG_STR },
      .routes = EDIT_ROUTES },
    { .name = "replace_all",
      .fn = w_replace_all,
      .args = { KR_ARG_REGEX, KR_ARG_STR },
      .routes = EDIT_ROUTES },
    { .name = "replace_body",
      .fn = w_replace_body,
      .args = { KR_ARG_REGEX, KR_ARG_STR },
      .routes = EDIT_ROUTES },
    { .name = "replace_body_all",
      .fn = w_replace_body_all,
      .args = { KR_ARG_REGEX, KR_ARG_STR },
      .routes = EDIT_ROUTES },
    { .name = "set_body",
      .fn = w_set_body,
      .args = { KR_ARG_STR, KR_ARG_STR },
      .routes = EDIT_ROUTES },
    { .name = "remove_body", .fn = w_remove_body, .routes = EDIT_ROUTES },
    { .name = "cmp_str", .fn = w_cmp_str, .args = { KR_ARG_STR, KR_ARG_STR } },
    { .name = "cmp_istr", .fn = w_cmp_istr, .args = { KR_ARG_STR, KR_ARG_STR } },
    { .name = "starts_with", .fn = w_starts_with, .args = { KR_ARG_STR, KR_ARG_STR } },
    { 0 },
};

const struct kr_module kr_mod_textops = {
    .name = "textops",
    .funcs = textops_funcs,
};
