/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config lexer: one source text (a file, or a define's value) into tokens with their
 * origin. Preprocessor lines (`#!...` / `!!...` first on a line) come out whole as
 * KR_T_DIRECTIVE for pp.c. Decoded strings go to the config's arena. Loading thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/tree.h"
#include "core/arena.h"
#include "core/str.h"

enum kr_tok_kind {
    KR_T_EOF = 0,
    KR_T_IDENT,
    KR_T_INT,
    KR_T_STR,
    KR_T_PV,
    KR_T_DIRECTIVE, /* text: the line after "#!" (continuations joined) */
    KR_T_LPAREN,
    KR_T_RPAREN,
    KR_T_LBRACE,
    KR_T_RBRACE,
    KR_T_LBRACK,
    KR_T_RBRACK,
    KR_T_SEMI,
    KR_T_COMMA,
    KR_T_ASSIGN,  /* = */
    KR_T_COLONEQ, /* := */
    KR_T_EQ,      /* == */
    KR_T_NE,      /* != */
    KR_T_LT,
    KR_T_GT,
    KR_T_LE,
    KR_T_GE,
    KR_T_MATCH,  /* =~ */
    KR_T_NMATCH, /* !~ */
    KR_T_PLUS,
    KR_T_MINUS,
    KR_T_STAR,
    KR_T_SLASH,
    KR_T_PERCENT,
    KR_T_AMP,
    KR_T_PIPE,
    KR_T_CARET,
    KR_T_TILDE,
    KR_T_NOT,
    KR_T_AND, /* && */
    KR_T_OR,  /* || */
    KR_T_COLON,
    KR_T_DOT,
    KR_T_SHL,
    KR_T_SHR,
    KR_T_OTHER, /* any other single character */
};

struct kr_tok {
    enum kr_tok_kind kind;
    struct kr_str text; /* IDENT/PV/punctuation: as written; STR: decoded; DIRECTIVE: line */
    struct kr_str raw;  /* the source bytes of the token */
    int64_t ival;       /* INT */
    bool single_quoted; /* STR written with '...' */
    bool ws_before;     /* whitespace or a comment precedes it */
    struct kr_loc loc;
};

struct kr_lex {
    const char *buf;
    size_t len;
    size_t pos;
    uint32_t line;
    uint32_t col;
    const char *file;
    bool line_start; /* only whitespace since the last newline */
    bool fixed;      /* a define's value: every token gets loc */
    bool first_ws;   /* ws_before of the first token (define expansion) */
    bool started;
    struct kr_loc loc;
};

void kr_lex_init(struct kr_lex *lx, const char *file, const char *buf, size_t len);
/* Returns 0 with *t set (KR_T_EOF at the end) or KR_EPARSE with an error added to d. */
int kr_lex_next(struct kr_lex *lx, struct kr_arena *a, struct kr_tok *t, struct kr_diag *d);
/* Skips whole lines until a directive line (returned as KR_T_DIRECTIVE) or the end
 * (KR_T_EOF): the body of a false #!ifdef. */
int kr_lex_skip_to_directive(struct kr_lex *lx, struct kr_arena *a, struct kr_tok *t);
/* A printable description of a token for messages ("'}'", "end of file", "string"). */
const char *kr_tok_describe(const struct kr_tok *t, char *buf, size_t size);
