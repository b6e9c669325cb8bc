/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config lexer; see lex.h. Comments: `#` (not `#!` first on a line), `//`, `/ * * /`.
 * Strings keep unknown escapes as written ("\." stays backslash-dot for regexes). */
#include "cfg/lex.h"

#include <stdio.h>
#include <string.h>

#include "cfg/pv.h"
#include "core/buf.h"

void kr_lex_init(struct kr_lex *lx, const char *file, const char *buf, size_t len)
{
    memset(lx, 0, sizeof(*lx));
    lx->buf = buf;
    lx->len = len;
    lx->line = 1;
    lx->col = 1;
    lx->file = file;
    lx->line_start = true;
}

static char peek(const struct kr_lex *lx, size_t ahead)
{
    return lx->pos + ahead < lx->len ? lx->buf[lx->pos + ahead] : '\0';
}

static void advance(struct kr_lex *lx)
{
    if (lx->pos >= lx->len) {
        return;
    }
    if (lx->buf[lx->pos] == '\n') {
        lx->line++;
        lx->col = 1;
        lx->line_start = true;
    } else {
        lx->col++;
    }
    lx->pos++;
}

static struct kr_loc here(const struct kr_lex *lx)
{
    if (lx->fixed) {
        return lx->loc;
    }
    return (struct kr_loc){ .file = lx->file, .line = lx->line, .col = lx->col };
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Reads a directive line starting at "#!" / "!!"; continuation lines ending in '\' are
 * joined with a newline. */
static int read_directive(struct kr_lex *lx, struct kr_arena *a, struct kr_tok *t)
{
    struct kr_buf b;
    size_t start = lx->pos;

    kr_buf_init_arena(&b, a, 128, 1u << 20);
    advance(lx);
    advance(lx);
    while (lx->pos < lx->len) {
        char c = peek(lx, 0);
        if (c == '\n') {
            break;
        }
        if (c == '\\') {
            /* backslash, optional CR, newline: continue on the next line */
            size_t k = 1;
            if (peek(lx, k) == '\r') {
                k++;
            }
            if (peek(lx, k) == '\n') {
                for (size_t i = 0; i <= k; i++) {
                    advance(lx);
                }
                kr_buf_append_char(&b, '\n');
                continue;
            }
        }
        if (c != '\r') {
            kr_buf_append_char(&b, c);
        }
        advance(lx);
    }
    t->kind = KR_T_DIRECTIVE;
    t->text = kr_arena_strdup(a, kr_buf_str(&b));
    t->raw = kr_str_make(lx->buf + start, lx->pos - start);
    return b.err ? b.err : 0;
}

/* Skips whitespace and comments. Returns 1 when a directive starts at pos, 0 otherwise,
 * negative on an unterminated comment. */
static int skip_space(struct kr_lex *lx, bool *ws, struct kr_diag *d)
{
    while (lx->pos < lx->len) {
        char c = peek(lx, 0);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            advance(lx);
            *ws = true;
            continue;
        }
        if (lx->line_start &&
            ((c == '#' && peek(lx, 1) == '!') || (c == '!' && peek(lx, 1) == '!'))) {
            return 1;
        }
        if (c == '#' || (c == '/' && peek(lx, 1) == '/')) {
            while (lx->pos < lx->len && peek(lx, 0) != '\n') {
                advance(lx);
            }
            *ws = true;
            continue;
        }
        if (c == '/' && peek(lx, 1) == '*') {
            struct kr_loc at = here(lx);
            advance(lx);
            advance(lx);
            while (lx->pos < lx->len && !(peek(lx, 0) == '*' && peek(lx, 1) == '/')) {
                advance(lx);
            }
            if (lx->pos >= lx->len) {
                kr_diag_add(d, at, "unterminated comment, expected '*/'");
                return KR_EPARSE;
            }
            advance(lx);
            advance(lx);
            *ws = true;
            continue;
        }
        break;
    }
    return 0;
}

static int read_string(struct kr_lex *lx, struct kr_arena *a, struct kr_tok *t, struct kr_diag *d)
{
    char q = peek(lx, 0);
    struct kr_loc at = here(lx);
    struct kr_buf b;

    kr_buf_init_arena(&b, a, 64, 1u << 20);
    advance(lx);
    for (;;) {
        if (lx->pos >= lx->len) {
            kr_diag_add(d, at, "unterminated string, expected a closing %c", q);
            return KR_EPARSE;
        }
        char c = peek(lx, 0);
        if (c == q) {
            advance(lx);
            break;
        }
        if (c == '\\' && lx->pos + 1 < lx->len) {
            char e = peek(lx, 1);
            advance(lx);
            advance(lx);
            switch (e) {
            case 'n':
                kr_buf_append_char(&b, '\n');
                break;
            case 'r':
                kr_buf_append_char(&b, '\r');
                break;
            case 't':
                kr_buf_append_char(&b, '\t');
                break;
            case '\\':
                kr_buf_append_char(&b, '\\');
                break;
            case '"':
            case '\'':
                kr_buf_append_char(&b, e);
                break;
            case '\n':
                break; /* line continuation */
            case '\r':
                if (peek(lx, 0) == '\n') {
                    advance(lx);
                }
                break;
            default:
                kr_buf_append_char(&b, '\\');
                kr_buf_append_char(&b, e);
                break;
            }
            continue;
        }
        kr_buf_append_char(&b, c);
        advance(lx);
    }
    if (b.err) {
        return b.err;
    }
    t->kind = KR_T_STR;
    t->single_quoted = q == '\'';
    t->text = kr_arena_strdup(a, kr_buf_str(&b));
    return t->text.ptr ? 0 : KR_ENOMEM;
}

static int read_number(struct kr_lex *lx, struct kr_tok *t, struct kr_diag *d)
{
    struct kr_loc at = here(lx);
    uint64_t v = 0;
    bool over = false;

    if (peek(lx, 0) == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X')) {
        char h = peek(lx, 2);
        bool hex = (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
        if (hex) {
            advance(lx);
            advance(lx);
            for (;;) {
                char c = peek(lx, 0);
                unsigned dg;
                if (c >= '0' && c <= '9') {
                    dg = (unsigned)(c - '0');
                } else if (c >= 'a' && c <= 'f') {
                    dg = (unsigned)(c - 'a' + 10);
                } else if (c >= 'A' && c <= 'F') {
                    dg = (unsigned)(c - 'A' + 10);
                } else {
                    break;
                }
                if (v > (UINT64_MAX >> 4)) {
                    over = true;
                }
                v = (v << 4) | dg;
                advance(lx);
            }
            goto done;
        }
    }
    while (peek(lx, 0) >= '0' && peek(lx, 0) <= '9') {
        unsigned dg = (unsigned)(peek(lx, 0) - '0');
        if (v > (UINT64_MAX - dg) / 10) {
            over = true;
        }
        v = v * 10 + dg;
        advance(lx);
    }
done:
    if (over || v > (uint64_t)INT64_MAX) {
        kr_diag_add(d, at, "integer too large");
        return KR_EPARSE;
    }
    t->kind = KR_T_INT;
    t->ival = (int64_t)v;
    return 0;
}

struct punct {
    const char *s;
    enum kr_tok_kind k;
};

static const struct punct puncts[] = {
    { "==", KR_T_EQ },      { "!=", KR_T_NE },     { "<=", KR_T_LE },     { ">=", KR_T_GE },
    { "=~", KR_T_MATCH },   { "!~", KR_T_NMATCH }, { "&&", KR_T_AND },    { "||", KR_T_OR },
    { ":=", KR_T_COLONEQ }, { "<<", KR_T_SHL },    { ">>", KR_T_SHR },    { "(", KR_T_LPAREN },
    { ")", KR_T_RPAREN },   { "{", KR_T_LBRACE },  { "}", KR_T_RBRACE },  { "[", KR_T_LBRACK },
    { "]", KR_T_RBRACK },   { ";", KR_T_SEMI },    { ",", KR_T_COMMA },   { "=", KR_T_ASSIGN },
    { "<", KR_T_LT },       { ">", KR_T_GT },      { "+", KR_T_PLUS },    { "-", KR_T_MINUS },
    { "*", KR_T_STAR },     { "/", KR_T_SLASH },   { "%", KR_T_PERCENT }, { "&", KR_T_AMP },
    { "|", KR_T_PIPE },     { "^", KR_T_CARET },   { "~", KR_T_TILDE },   { "!", KR_T_NOT },
    { ":", KR_T_COLON },    { ".", KR_T_DOT },
};

int kr_lex_next(struct kr_lex *lx, struct kr_arena *a, struct kr_tok *t, struct kr_diag *d)
{
    bool ws = false;
    int rc;

    memset(t, 0, sizeof(*t));
    rc = skip_space(lx, &ws, d);
    if (rc < 0) {
        return rc;
    }
    if (!lx->started) {
        lx->started = true;
        if (lx->fixed) {
            ws = lx->first_ws;
        }
    }
    t->ws_before = ws;
    t->loc = here(lx);
    size_t start = lx->pos;
    if (rc == 1) {
        return read_directive(lx, a, t);
    }
    lx->line_start = false;
    if (lx->pos >= lx->len) {
        t->kind = KR_T_EOF;
        t->loc = here(lx);
        return 0;
    }
    char c = peek(lx, 0);
    if (is_ident_start(c)) {
        while (is_ident_char(peek(lx, 0))) {
            advance(lx);
        }
        t->kind = KR_T_IDENT;
    } else if (c >= '0' && c <= '9') {
        rc = read_number(lx, t, d);
        if (rc < 0) {
            return rc;
        }
    } else if (c == '"' || c == '\'') {
        rc = read_string(lx, a, t, d);
        if (rc < 0) {
            return rc;
        }
    } else if (c == '$') {
        size_t n = kr_pv_scan(kr_str_make(lx->buf + lx->pos, lx->len - lx->pos));
        if (n == 0) {
            char c1 = peek(lx, 1);
            if (c1 == '(' || is_ident_start(c1)) {
                kr_diag_add(d, t->loc,
                            "unterminated pseudo-variable, expected a closing "
                            "bracket on the same line");
                return KR_EPARSE;
            }
            advance(lx);
            t->kind = KR_T_OTHER;
        } else {
            for (size_t i = 0; i < n; i++) {
                advance(lx);
            }
            t->kind = KR_T_PV;
        }
    } else {
        t->kind = KR_T_OTHER;
        for (size_t i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++) {
            size_t pl = strlen(puncts[i].s);
            if (lx->pos + pl <= lx->len && memcmp(lx->buf + lx->pos, puncts[i].s, pl) == 0) {
                t->kind = puncts[i].k;
                for (size_t k = 0; k < pl; k++) {
                    advance(lx);
                }
                break;
            }
        }
        if (t->kind == KR_T_OTHER) {
            advance(lx);
        }
    }
    t->raw = kr_str_make(lx->buf + start, lx->pos - start);
    if (t->kind != KR_T_STR) {
        t->text = t->raw;
    }
    return 0;
}

int kr_lex_skip_to_directive(struct kr_lex *lx, struct kr_arena *a, struct kr_tok *t)
{
    memset(t, 0, sizeof(*t));
    while (lx->pos < lx->len) {
        /* at a line start: skip blanks, test for a directive */
        while (lx->pos < lx->len && (peek(lx, 0) == ' ' || peek(lx, 0) == '\t')) {
            advance(lx);
        }
        char c = peek(lx, 0);
        if (lx->line_start &&
            ((c == '#' && peek(lx, 1) == '!') || (c == '!' && peek(lx, 1) == '!'))) {
            t->loc = here(lx);
            t->ws_before = true;
            return read_directive(lx, a, t);
        }
        while (lx->pos < lx->len && peek(lx, 0) != '\n') {
            advance(lx);
        }
        advance(lx);
    }
    t->kind = KR_T_EOF;
    t->loc = here(lx);
    return 0;
}

const char *kr_tok_describe(const struct kr_tok *t, char *buf, size_t size)
{
    switch (t->kind) {
    case KR_T_EOF:
        snprintf(buf, size, "end of file");
        break;
    case KR_T_STR:
        snprintf(buf, size, "string \"%.*s\"", t->text.len > 40 ? 40 : (int)t->text.len,
                 t->text.ptr);
        break;
    case KR_T_DIRECTIVE:
        snprintf(buf, size, "'#!%.*s'", t->text.len > 40 ? 40 : (int)t->text.len, t->text.ptr);
        break;
    default:
        snprintf(buf, size, "'%.*s'", t->raw.len > 40 ? 40 : (int)t->raw.len, t->raw.ptr);
        break;
    }
    return buf;
}
