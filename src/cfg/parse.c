/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config parser; see parse.h. Recursive descent with a few tokens of lookahead. The first
 * syntax error stops parsing: it is reported as "expected X, found Y" at Y's place. */
#include "cfg/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

enum { LA = 4 };

struct parser {
    struct kr_cfg *cfg;
    struct kr_pp *pp;
    struct kr_diag *d;
    struct kr_arena *a;
    struct kr_tok la[LA];
    unsigned nla;
    int err;
    unsigned loops; /* while/switch nesting: where break is allowed */
};

/* --- tokens --- */

static const struct kr_tok *peek(struct parser *p, unsigned k)
{
    static const struct kr_tok eof = { .kind = KR_T_EOF };
    while (p->nla <= k) {
        if (p->err) {
            return &eof;
        }
        int rc = kr_pp_next(p->pp, &p->la[p->nla]);
        if (rc < 0) {
            p->err = rc;
            return &eof;
        }
        p->nla++;
    }
    return &p->la[k];
}

static struct kr_tok next(struct parser *p)
{
    struct kr_tok t = *peek(p, 0);
    if (p->nla > 0) {
        memmove(&p->la[0], &p->la[1], (p->nla - 1) * sizeof(p->la[0]));
        p->nla--;
    }
    return t;
}

static bool is_kind(struct parser *p, unsigned k, enum kr_tok_kind kind)
{
    return peek(p, k)->kind == kind;
}

static bool is_word(struct parser *p, unsigned k, const char *w)
{
    const struct kr_tok *t = peek(p, k);
    return t->kind == KR_T_IDENT && kr_str_eq(t->text, kr_str_c(w));
}

static int fail(struct parser *p, struct kr_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, struct kr_loc loc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (p->err && p->err != KR_EPARSE) {
        return p->err; /* a lexer/preprocessor error was already reported */
    }
    if (p->err == 0) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        kr_diag_add(p->d, loc, "%s", msg);
    }
    p->err = KR_EPARSE;
    return KR_EPARSE;
}

static int expected(struct parser *p, const char *what)
{
    char desc[96];
    const struct kr_tok *t = peek(p, 0);
    if (p->err) {
        return p->err;
    }
    return fail(p, t->loc, "expected %s, found %s", what, kr_tok_describe(t, desc, sizeof(desc)));
}

static bool take(struct parser *p, enum kr_tok_kind kind)
{
    if (is_kind(p, 0, kind)) {
        next(p);
        return true;
    }
    return false;
}

static int expect(struct parser *p, enum kr_tok_kind kind, const char *what)
{
    if (take(p, kind)) {
        return 0;
    }
    return expected(p, what);
}

static void *node(struct parser *p, size_t size)
{
    void *n = kr_arena_zalloc(p->a, size);
    if (n == NULL && !p->err) {
        p->err = KR_ENOMEM;
        kr_diag_add(p->d, peek(p, 0)->loc, "out of memory");
    }
    return n;
}

/* Adjacent strings concatenate, as in Kamailio ("a" "b" is "ab"). */
static struct kr_str string_value(struct parser *p)
{
    struct kr_tok t = next(p);
    if (!is_kind(p, 0, KR_T_STR)) {
        return t.text;
    }
    struct kr_buf b;
    kr_buf_init_arena(&b, p->a, t.text.len + 64, 1u << 20);
    kr_buf_append_str(&b, t.text);
    while (is_kind(p, 0, KR_T_STR)) {
        kr_buf_append_str(&b, next(p).text);
    }
    kr_buf_cstr(&b);
    return b.ptr ? kr_buf_str(&b) : kr_str_make("", 0);
}

/* Tokens that may continue an unquoted address or name ("udp:[::1]:5060", "xhttp:request"). */
static bool word_part(enum kr_tok_kind k)
{
    switch (k) {
    case KR_T_IDENT:
    case KR_T_INT:
    case KR_T_DOT:
    case KR_T_COLON:
    case KR_T_LBRACK:
    case KR_T_RBRACK:
    case KR_T_MINUS:
    case KR_T_SLASH:
    case KR_T_STAR:
    case KR_T_OTHER:
    case KR_T_PLUS:
    case KR_T_STR: /* a define holding "1.2.3.4" in udp:MY_IP:5060 */
        return true;
    default:
        return false;
    }
}

/* An unquoted word: the next token and those glued to it (no whitespace between) that
 * word_part accepts, or (any) everything but the stop tokens. */
static struct kr_str glued_word(struct parser *p, bool any, struct kr_loc *loc)
{
    struct kr_tok t = next(p);
    struct kr_buf b;

    if (loc) {
        *loc = t.loc;
    }
    kr_buf_init_arena(&b, p->a, 64, 4096);
    kr_buf_append_str(&b, t.raw);
    for (;;) {
        const struct kr_tok *n = peek(p, 0);
        if (n->ws_before || n->kind == KR_T_EOF) {
            break;
        }
        if (any) {
            if (n->kind == KR_T_COMMA || n->kind == KR_T_RPAREN || n->kind == KR_T_SEMI ||
                n->kind == KR_T_LBRACE || n->kind == KR_T_RBRACE) {
                break;
            }
        } else if (!word_part(n->kind)) {
            break;
        }
        struct kr_tok x = next(p);
        kr_buf_append_str(&b, x.kind == KR_T_STR ? x.text : x.raw);
    }
    kr_buf_cstr(&b);
    return b.ptr ? kr_buf_str(&b) : kr_str_make("", 0);
}

/* --- expressions --- */

static struct kr_expr *parse_expr(struct parser *p);
static struct kr_expr *parse_unary(struct parser *p);

static struct kr_expr *mk(struct parser *p, enum kr_ex_kind kind, struct kr_loc loc)
{
    struct kr_expr *e = node(p, sizeof(*e));
    if (e) {
        e->kind = kind;
        e->loc = loc;
    }
    return e;
}

static int parse_args(struct parser *p, struct kr_call *c)
{
    if (expect(p, KR_T_LPAREN, "'('") < 0) {
        return p->err;
    }
    if (take(p, KR_T_RPAREN)) {
        return 0;
    }
    for (;;) {
        const struct kr_tok *t = peek(p, 0);
        struct kr_rawarg ra = { .loc = t->loc };
        if (c->nraw == KR_FUNC_MAX_ARGS) {
            return fail(p, t->loc, "too many arguments to '" KR_STR_FMT "', expected at most %d",
                        KR_STR_ARG(c->name), KR_FUNC_MAX_ARGS);
        }
        const struct kr_tok *t1 = peek(p, 1);
        bool single = t1->kind == KR_T_COMMA || t1->kind == KR_T_RPAREN;
        if (t->kind == KR_T_STR) {
            ra.kind = KR_RA_STR;
            ra.text = string_value(p);
        } else if (t->kind == KR_T_INT && single) {
            ra.kind = KR_RA_INT;
            ra.ival = t->ival;
            ra.text = t->raw;
            next(p);
        } else if (t->kind == KR_T_MINUS && t1->kind == KR_T_INT && !t1->ws_before &&
                   (peek(p, 2)->kind == KR_T_COMMA || peek(p, 2)->kind == KR_T_RPAREN)) {
            next(p);
            struct kr_tok n = next(p);
            ra.kind = KR_RA_INT;
            ra.ival = -n.ival;
            char tmp[24];
            int l = snprintf(tmp, sizeof(tmp), "%lld", (long long)ra.ival);
            ra.text = kr_arena_strdup(p->a, kr_str_make(tmp, (size_t)l));
        } else if (t->kind == KR_T_PV && single) {
            ra.kind = KR_RA_PV;
            ra.text = next(p).text;
        } else if (t->kind == KR_T_COMMA || t->kind == KR_T_RPAREN || t->kind == KR_T_EOF ||
                   t->kind == KR_T_SEMI || t->kind == KR_T_LBRACE || t->kind == KR_T_RBRACE) {
            return expected(p, "an argument");
        } else {
            ra.kind = KR_RA_WORD;
            ra.text = glued_word(p, true, NULL);
        }
        if (p->err) {
            return p->err;
        }
        c->raw[c->nraw++] = ra;
        if (take(p, KR_T_COMMA)) {
            continue;
        }
        if (take(p, KR_T_RPAREN)) {
            return 0;
        }
        return expected(p, "',' or ')' in the argument list");
    }
}

/* route(NAME): NAME is an identifier, a number, a string or a pseudo-variable. */
static struct kr_expr *parse_route_call(struct parser *p)
{
    struct kr_tok kw = next(p);
    struct kr_expr *e = mk(p, KR_EX_ROUTE, kw.loc);
    struct kr_rcall *rc = node(p, sizeof(*rc));

    if (e == NULL || rc == NULL) {
        return NULL;
    }
    e->rcall = rc;
    rc->loc = kw.loc;
    rc->target = -1;
    if (expect(p, KR_T_LPAREN, "'(' after route") < 0) {
        return NULL;
    }
    const struct kr_tok *t = peek(p, 0);
    rc->raw.loc = t->loc;
    if (t->kind == KR_T_STR) {
        rc->raw.kind = KR_RA_STR;
        rc->raw.text = string_value(p);
    } else if (t->kind == KR_T_PV) {
        rc->raw.kind = KR_RA_PV;
        rc->raw.text = next(p).text;
    } else if (t->kind == KR_T_IDENT || t->kind == KR_T_INT) {
        rc->raw.kind = KR_RA_WORD;
        rc->raw.text = glued_word(p, false, NULL);
    } else {
        expected(p, "a route name");
        return NULL;
    }
    if (expect(p, KR_T_RPAREN, "')' after the route name") < 0) {
        return NULL;
    }
    return e;
}

static struct kr_expr *parse_call(struct parser *p)
{
    struct kr_tok name = next(p);
    struct kr_expr *e = mk(p, KR_EX_CALL, name.loc);
    struct kr_call *c = node(p, sizeof(*c));

    if (e == NULL || c == NULL) {
        return NULL;
    }
    c->name = name.text;
    c->loc = name.loc;
    e->call = c;
    if (parse_args(p, c) < 0) {
        return NULL;
    }
    return e;
}

struct kwdef {
    const char *name;
    enum kr_kw kw;
};

static const struct kwdef keywords[] = {
    { "method", KR_KW_METHOD },     { "uri", KR_KW_URI },
    { "from_uri", KR_KW_FROM_URI }, { "to_uri", KR_KW_TO_URI },
    { "src_ip", KR_KW_SRC_IP },     { "dst_ip", KR_KW_DST_IP },
    { "src_port", KR_KW_SRC_PORT }, { "dst_port", KR_KW_DST_PORT },
    { "proto", KR_KW_PROTO },       { "af", KR_KW_AF },
    { "status", KR_KW_STATUS },
};

struct constdef {
    const char *name;
    int64_t v;
};

static const struct constdef constants[] = {
    { "UDP", KR_PROTO_UDP }, { "TCP", KR_PROTO_TCP },
    { "TLS", KR_PROTO_TLS }, { "SCTP", KR_PROTO_SCTP },
    { "WS", KR_PROTO_WS },   { "WSS", KR_PROTO_WSS },
    { "udp", KR_PROTO_UDP }, { "tcp", KR_PROTO_TCP },
    { "tls", KR_PROTO_TLS }, { "sctp", KR_PROTO_SCTP },
    { "ws", KR_PROTO_WS },   { "wss", KR_PROTO_WSS },
    { "INET", 4 },           { "INET6", 6 },
    { "inet", 4 },           { "inet6", 6 },
};

static struct kr_expr *parse_primary(struct parser *p)
{
    const struct kr_tok *t = peek(p, 0);
    struct kr_expr *e;

    switch (t->kind) {
    case KR_T_INT: {
        const struct kr_tok *n = peek(p, 1);
        if (!n->ws_before && (n->kind == KR_T_DOT || n->kind == KR_T_COLON)) {
            /* an IP address written bare: 10.0.0.1, 10.0.0.0/8 */
            struct kr_loc loc;
            struct kr_str w = glued_word(p, false, &loc);
            e = mk(p, KR_EX_CONST, loc);
            if (e) {
                e->val = kr_value_str(w);
            }
            return e;
        }
        struct kr_tok i = next(p);
        e = mk(p, KR_EX_CONST, i.loc);
        if (e) {
            e->val = kr_value_int(i.ival);
        }
        return e;
    }
    case KR_T_STR: {
        struct kr_loc loc = t->loc;
        struct kr_str s = string_value(p);
        e = mk(p, KR_EX_CONST, loc);
        if (e) {
            e->val = kr_value_str(s);
        }
        return e;
    }
    case KR_T_PV: {
        struct kr_tok v = next(p);
        e = mk(p, KR_EX_PV, v.loc);
        if (e) {
            e->pvtext = v.text;
        }
        return e;
    }
    case KR_T_LPAREN: {
        struct kr_tok open = next(p);
        if (is_kind(p, 0, KR_T_IDENT) && is_kind(p, 1, KR_T_RPAREN) &&
            (is_word(p, 0, "int") || is_word(p, 0, "str"))) {
            bool to_int = is_word(p, 0, "int");
            next(p);
            next(p);
            e = mk(p, to_int ? KR_EX_CAST_INT : KR_EX_CAST_STR, open.loc);
            if (e) {
                e->a = parse_unary(p);
            }
            return e && e->a ? e : NULL;
        }
        e = parse_expr(p);
        if (e == NULL || expect(p, KR_T_RPAREN, "')'") < 0) {
            return NULL;
        }
        return e;
    }
    case KR_T_IDENT:
        break;
    case KR_T_COLON:
    case KR_T_LBRACK: {
        /* a bare IPv6 address: [::1], ::1 */
        struct kr_loc loc;
        struct kr_str w = glued_word(p, false, &loc);
        e = mk(p, KR_EX_CONST, loc);
        if (e) {
            e->val = kr_value_str(w);
        }
        return e;
    }
    default:
        expected(p, "an expression");
        return NULL;
    }

    /* identifiers */
    if (is_kind(p, 1, KR_T_LPAREN)) {
        if (is_word(p, 0, "route")) {
            return parse_route_call(p);
        }
        if (is_word(p, 0, "strlen") || is_word(p, 0, "strempty")) {
            struct kr_tok fn = next(p);
            next(p);
            e = mk(p, fn.text.len == 6 ? KR_EX_STRLEN : KR_EX_STREMPTY, fn.loc);
            if (e == NULL || (e->a = parse_expr(p)) == NULL || expect(p, KR_T_RPAREN, "')'") < 0) {
                return NULL;
            }
            return e;
        }
        return parse_call(p);
    }
    if (is_word(p, 0, "msg") && is_kind(p, 1, KR_T_COLON) && !peek(p, 1)->ws_before &&
        peek(p, 2)->kind == KR_T_IDENT && kr_str_eq(peek(p, 2)->text, KR_STR("len"))) {
        struct kr_tok m = next(p);
        next(p);
        next(p);
        e = mk(p, KR_EX_KW, m.loc);
        if (e) {
            e->kw = KR_KW_MSGLEN;
        }
        return e;
    }
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (is_word(p, 0, keywords[i].name)) {
            struct kr_tok k = next(p);
            e = mk(p, KR_EX_KW, k.loc);
            if (e) {
                e->kw = keywords[i].kw;
            }
            return e;
        }
    }
    if (is_word(p, 0, "myself")) {
        return mk(p, KR_EX_MYSELF_WORD, next(p).loc);
    }
    for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
        if (is_word(p, 0, constants[i].name)) {
            e = mk(p, KR_EX_CONST, next(p).loc);
            if (e) {
                e->val = kr_value_int(constants[i].v);
            }
            return e;
        }
    }
    {
        const struct kr_tok *n = peek(p, 1);
        if (!n->ws_before && n->kind == KR_T_COLON) {
            /* hex IPv6: fe80::1 */
            struct kr_loc loc;
            struct kr_str w = glued_word(p, false, &loc);
            e = mk(p, KR_EX_CONST, loc);
            if (e) {
                e->val = kr_value_str(w);
            }
            return e;
        }
    }
    fail(p, t->loc,
         "unknown word '" KR_STR_FMT "' in expression, expected a function call, a "
         "pseudo-variable, a keyword or a constant",
         KR_STR_ARG(t->text));
    return NULL;
}

static struct kr_expr *parse_unary(struct parser *p)
{
    const struct kr_tok *t = peek(p, 0);
    enum kr_op op = KR_OP_NONE;
    struct kr_expr *e;

    if (t->kind == KR_T_NOT) {
        op = KR_OP_NOT;
    } else if (t->kind == KR_T_MINUS) {
        op = KR_OP_NEG;
    } else if (t->kind == KR_T_TILDE) {
        op = KR_OP_BNOT;
    } else if (t->kind == KR_T_IDENT && kr_str_eq(t->text, KR_STR("defined"))) {
        struct kr_tok d = next(p);
        e = mk(p, KR_EX_DEFINED, d.loc);
        if (e == NULL || (e->a = parse_unary(p)) == NULL) {
            return NULL;
        }
        return e;
    } else {
        return parse_primary(p);
    }
    struct kr_tok o = next(p);
    e = mk(p, KR_EX_UNARY, o.loc);
    if (e == NULL) {
        return NULL;
    }
    e->op = op;
    e->a = parse_unary(p);
    return e->a ? e : NULL;
}

struct binop {
    enum kr_tok_kind tok;
    const char *word;
    enum kr_op op;
    int level;
};

/* Kamailio's precedence, lowest first: || && | & ^ shifts equality relational + * */
static const struct binop binops[] = {
    { KR_T_OR, NULL, KR_OP_NONE, 1 },      { KR_T_AND, NULL, KR_OP_NONE, 2 },
    { KR_T_PIPE, NULL, KR_OP_BOR, 3 },     { KR_T_AMP, NULL, KR_OP_BAND, 4 },
    { KR_T_CARET, NULL, KR_OP_BXOR, 5 },   { KR_T_SHL, NULL, KR_OP_SHL, 6 },
    { KR_T_SHR, NULL, KR_OP_SHR, 6 },      { KR_T_EQ, NULL, KR_OP_EQ, 7 },
    { KR_T_NE, NULL, KR_OP_NE, 7 },        { KR_T_MATCH, NULL, KR_OP_NONE, 7 },
    { KR_T_NMATCH, NULL, KR_OP_NONE, 7 },  { KR_T_IDENT, "eq", KR_OP_STREQ, 7 },
    { KR_T_IDENT, "ne", KR_OP_STRNE, 7 },  { KR_T_IDENT, "ieq", KR_OP_INTEQ, 7 },
    { KR_T_IDENT, "ine", KR_OP_INTNE, 7 }, { KR_T_LT, NULL, KR_OP_LT, 8 },
    { KR_T_GT, NULL, KR_OP_GT, 8 },        { KR_T_LE, NULL, KR_OP_LE, 8 },
    { KR_T_GE, NULL, KR_OP_GE, 8 },        { KR_T_PLUS, NULL, KR_OP_ADD, 9 },
    { KR_T_MINUS, NULL, KR_OP_SUB, 9 },    { KR_T_STAR, NULL, KR_OP_MUL, 10 },
    { KR_T_SLASH, NULL, KR_OP_DIV, 10 },   { KR_T_PERCENT, NULL, KR_OP_MOD, 10 },
};

static const struct binop *find_binop(struct parser *p)
{
    const struct kr_tok *t = peek(p, 0);
    for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++) {
        if (binops[i].tok != t->kind) {
            continue;
        }
        if (binops[i].word && !kr_str_eq(t->text, kr_str_c(binops[i].word))) {
            continue;
        }
        return &binops[i];
    }
    return NULL;
}

static bool ip_kw(const struct kr_expr *e)
{
    return e->kind == KR_EX_KW && (e->kw == KR_KW_SRC_IP || e->kw == KR_KW_DST_IP);
}

static struct kr_expr *parse_binary(struct parser *p, int min_level)
{
    struct kr_expr *l = parse_unary(p);

    while (l) {
        const struct binop *b = find_binop(p);
        if (b == NULL || b->level < min_level) {
            break;
        }
        struct kr_tok op = next(p);
        struct kr_expr *r;
        if ((op.kind == KR_T_EQ || op.kind == KR_T_NE) && ip_kw(l) && !is_kind(p, 0, KR_T_STR) &&
            !is_kind(p, 0, KR_T_PV) && !is_word(p, 0, "myself") && !is_kind(p, 0, KR_T_LPAREN)) {
            /* src_ip == 10.0.0.0/8, src_ip == ::1 */
            struct kr_loc loc;
            struct kr_str w = glued_word(p, false, &loc);
            r = mk(p, KR_EX_CONST, loc);
            if (r) {
                r->val = kr_value_str(w);
            }
        } else {
            r = parse_binary(p, b->level + 1);
        }
        if (r == NULL) {
            return NULL;
        }
        struct kr_expr *e;
        if (op.kind == KR_T_OR || op.kind == KR_T_AND) {
            e = mk(p, op.kind == KR_T_OR ? KR_EX_OR : KR_EX_AND, op.loc);
        } else if (op.kind == KR_T_MATCH || op.kind == KR_T_NMATCH) {
            e = mk(p, KR_EX_MATCH, op.loc);
            if (e) {
                e->negate = op.kind == KR_T_NMATCH;
            }
        } else if (r->kind == KR_EX_MYSELF_WORD) {
            if (op.kind != KR_T_EQ && op.kind != KR_T_NE) {
                fail(p, r->loc, "'myself' can only be compared with == or !=");
                return NULL;
            }
            e = mk(p, KR_EX_MYSELF, r->loc);
            if (e) {
                e->negate = op.kind == KR_T_NE;
            }
            r = NULL;
        } else {
            e = mk(p, KR_EX_BINARY, op.loc);
            if (e) {
                e->op = b->op;
            }
        }
        if (e == NULL) {
            return NULL;
        }
        if (l->kind == KR_EX_MYSELF_WORD) {
            fail(p, l->loc, "'myself' must be on the right of == or !=");
            return NULL;
        }
        e->a = l;
        e->b = r;
        l = e;
    }
    if (l && l->kind == KR_EX_MYSELF_WORD && min_level <= 1) {
        fail(p, l->loc, "'myself' can only be compared with == or !=");
        return NULL;
    }
    return l;
}

static struct kr_expr *parse_expr(struct parser *p)
{
    return parse_binary(p, 1);
}

/* --- statements --- */

static struct kr_stmt *parse_stmt(struct parser *p);

static struct kr_stmt *mkst(struct parser *p, enum kr_st_kind kind, struct kr_loc loc)
{
    struct kr_stmt *s = node(p, sizeof(*s));
    if (s) {
        s->kind = kind;
        s->loc = loc;
    }
    return s;
}

/* Statements until '}' (consumed). */
static struct kr_stmt *parse_block_body(struct parser *p, bool *ok)
{
    struct kr_stmt *head = NULL, **tail = &head;

    *ok = false;
    for (;;) {
        if (p->err) {
            return NULL;
        }
        if (take(p, KR_T_RBRACE)) {
            *ok = true;
            return head;
        }
        if (is_kind(p, 0, KR_T_EOF)) {
            expected(p, "'}'");
            return NULL;
        }
        struct kr_stmt *s = parse_stmt(p);
        if (p->err) {
            return NULL;
        }
        if (s) {
            *tail = s;
            tail = &s->next;
        }
    }
}

static int end_stmt(struct parser *p)
{
    return expect(p, KR_T_SEMI, "';' after statement");
}

static struct kr_stmt *parse_if(struct parser *p)
{
    struct kr_tok kw = next(p);
    struct kr_stmt *s = mkst(p, KR_ST_IF, kw.loc);

    if (s == NULL || expect(p, KR_T_LPAREN, "'(' after if") < 0) {
        return NULL;
    }
    s->e = parse_expr(p);
    if (s->e == NULL || expect(p, KR_T_RPAREN, "')' after the if condition") < 0) {
        return NULL;
    }
    s->body = parse_stmt(p);
    if (p->err) {
        return NULL;
    }
    if (is_word(p, 0, "else")) {
        next(p);
        s->els = parse_stmt(p);
        if (p->err) {
            return NULL;
        }
    }
    return s;
}

static struct kr_stmt *parse_while(struct parser *p)
{
    struct kr_tok kw = next(p);
    struct kr_stmt *s = mkst(p, KR_ST_WHILE, kw.loc);

    if (s == NULL || expect(p, KR_T_LPAREN, "'(' after while") < 0) {
        return NULL;
    }
    s->e = parse_expr(p);
    if (s->e == NULL || expect(p, KR_T_RPAREN, "')' after the while condition") < 0) {
        return NULL;
    }
    p->loops++;
    s->body = parse_stmt(p);
    p->loops--;
    return p->err ? NULL : s;
}

static struct kr_stmt *parse_switch(struct parser *p)
{
    struct kr_tok kw = next(p);
    struct kr_stmt *s = mkst(p, KR_ST_SWITCH, kw.loc);
    struct kr_vec cases = { 0 };
    struct kr_stmt **tail = NULL;
    bool has_default = false;

    if (s == NULL || expect(p, KR_T_LPAREN, "'(' after switch") < 0) {
        return NULL;
    }
    s->e = parse_expr(p);
    if (s->e == NULL || expect(p, KR_T_RPAREN, "')' after the switch value") < 0 ||
        expect(p, KR_T_LBRACE, "'{' after switch (...)") < 0) {
        return NULL;
    }
    p->loops++;
    for (;;) {
        if (p->err) {
            break;
        }
        if (take(p, KR_T_RBRACE)) {
            break;
        }
        if (is_word(p, 0, "case") || is_word(p, 0, "default")) {
            struct kr_tok lab = next(p);
            struct kr_case *c = kr_vec_push(&cases, sizeof(*c));
            if (c == NULL) {
                p->err = KR_ENOMEM;
                break;
            }
            c->loc = lab.loc;
            if (lab.text.len == 7) {
                if (has_default) {
                    fail(p, lab.loc, "second 'default' in the same switch");
                    break;
                }
                has_default = true;
                c->is_default = true;
            } else {
                const struct kr_tok *v = peek(p, 0);
                if (v->kind == KR_T_INT) {
                    c->val = kr_value_int(next(p).ival);
                } else if (v->kind == KR_T_MINUS && is_kind(p, 1, KR_T_INT)) {
                    next(p);
                    c->val = kr_value_int(-next(p).ival);
                } else if (v->kind == KR_T_STR) {
                    c->val = kr_value_str(string_value(p));
                } else {
                    expected(p, "a number or a string after case");
                    break;
                }
            }
            if (expect(p, KR_T_COLON, "':' after the case label") < 0) {
                break;
            }
            tail = &c->body;
            continue;
        }
        if (tail == NULL) {
            expected(p, "'case' or 'default'");
            break;
        }
        struct kr_stmt *st = parse_stmt(p);
        if (p->err) {
            break;
        }
        if (st) {
            /* cases may move while the vector grows: relink by index */
            struct kr_case *last = kr_vec_at(&cases, sizeof(*last), cases.n - 1);
            struct kr_stmt **t2 = &last->body;
            while (*t2) {
                t2 = &(*t2)->next;
            }
            *t2 = st;
        }
    }
    p->loops--;
    if (!p->err) {
        s->ncases = (unsigned)cases.n;
        s->cases = node(p, cases.n * sizeof(struct kr_case) + 1);
        if (s->cases && cases.n) {
            memcpy(s->cases, cases.v, cases.n * sizeof(struct kr_case));
        }
    }
    kr_vec_free(&cases);
    return p->err ? NULL : s;
}

static struct kr_stmt *parse_stmt(struct parser *p)
{
    const struct kr_tok *t = peek(p, 0);
    struct kr_stmt *s;

    switch (t->kind) {
    case KR_T_SEMI:
        next(p);
        return NULL;
    case KR_T_LBRACE: {
        bool ok;
        s = mkst(p, KR_ST_BLOCK, next(p).loc);
        if (s == NULL) {
            return NULL;
        }
        s->body = parse_block_body(p, &ok);
        return ok ? s : NULL;
    }
    case KR_T_PV: {
        struct kr_tok lhs = next(p);
        s = mkst(p, KR_ST_ASSIGN, lhs.loc);
        if (s == NULL) {
            return NULL;
        }
        s->lhs_text = lhs.text;
        if (take(p, KR_T_COLONEQ)) {
            s->replace_all = true;
        } else if (!take(p, KR_T_ASSIGN)) {
            char what[128];
            snprintf(what, sizeof(what), "'=' after " KR_STR_FMT, KR_STR_ARG(lhs.text));
            expected(p, what);
            return NULL;
        }
        s->e = parse_expr(p);
        if (s->e == NULL || end_stmt(p) < 0) {
            return NULL;
        }
        return s;
    }
    case KR_T_IDENT:
        break;
    case KR_T_NOT:
    case KR_T_LPAREN: {
        s = mkst(p, KR_ST_EXPR, t->loc);
        if (s == NULL || (s->e = parse_expr(p)) == NULL || end_stmt(p) < 0) {
            return NULL;
        }
        return s;
    }
    default:
        expected(p, "a statement");
        return NULL;
    }

    if (is_word(p, 0, "if")) {
        return parse_if(p);
    }
    if (is_word(p, 0, "while")) {
        return parse_while(p);
    }
    if (is_word(p, 0, "switch")) {
        return parse_switch(p);
    }
    if (is_word(p, 0, "return")) {
        struct kr_tok kw = next(p);
        s = mkst(p, KR_ST_RETURN, kw.loc);
        if (s == NULL) {
            return NULL;
        }
        if (!is_kind(p, 0, KR_T_SEMI)) {
            s->e = parse_expr(p);
            if (s->e == NULL) {
                return NULL;
            }
        }
        return end_stmt(p) < 0 ? NULL : s;
    }
    if (is_word(p, 0, "exit") || is_word(p, 0, "drop")) {
        struct kr_tok kw = next(p);
        s = mkst(p, kw.text.ptr[0] == 'e' ? KR_ST_EXIT : KR_ST_DROP, kw.loc);
        if (s == NULL) {
            return NULL;
        }
        if (take(p, KR_T_LPAREN) && expect(p, KR_T_RPAREN, "')'") < 0) {
            return NULL;
        }
        return end_stmt(p) < 0 ? NULL : s;
    }
    if (is_word(p, 0, "break")) {
        struct kr_tok kw = next(p);
        if (p->loops == 0) {
            fail(p, kw.loc, "'break' outside switch or while");
            return NULL;
        }
        s = mkst(p, KR_ST_BREAK, kw.loc);
        return s == NULL || end_stmt(p) < 0 ? NULL : s;
    }
    if (is_word(p, 0, "else")) {
        fail(p, t->loc, "'else' without a matching 'if'");
        return NULL;
    }
    if (is_word(p, 0, "case") || is_word(p, 0, "default")) {
        fail(p, t->loc, "'" KR_STR_FMT "' outside switch", KR_STR_ARG(t->text));
        return NULL;
    }
    if (is_kind(p, 1, KR_T_LPAREN)) {
        s = mkst(p, KR_ST_EXPR, t->loc);
        if (s == NULL || (s->e = parse_expr(p)) == NULL || end_stmt(p) < 0) {
            return NULL;
        }
        return s;
    }
    {
        char desc[96];
        kr_tok_describe(t, desc, sizeof(desc));
        fail(p, peek(p, 1)->loc, "expected '(' after %s (a function call), found %s", desc,
             kr_tok_describe(peek(p, 1), (char[96]){ 0 }, 96));
    }
    return NULL;
}

/* --- top level --- */

static const struct {
    const char *word;
    enum kr_cfg_route_kind kind;
    int naming; /* a [name]: 0 never, 1 optional, 2 required */
} route_words[] = {
    { "request_route", KR_CFG_ROUTE_REQUEST, 0 }, { "route", KR_CFG_ROUTE_SUB, 1 },
    { "reply_route", KR_CFG_ROUTE_REPLY, 0 },     { "onreply_route", KR_CFG_ROUTE_ONREPLY, 1 },
    { "failure_route", KR_CFG_ROUTE_FAILURE, 2 }, { "branch_route", KR_CFG_ROUTE_BRANCH, 2 },
    { "onsend_route", KR_CFG_ROUTE_ONSEND, 0 },   { "event_route", KR_CFG_ROUTE_EVENT, 2 },
};

static int parse_route(struct parser *p, size_t wi)
{
    struct kr_tok kw = next(p);
    enum kr_cfg_route_kind kind = route_words[wi].kind;
    struct kr_str name = KR_STR_NULL;

    if (route_words[wi].naming > 0 && is_kind(p, 0, KR_T_LBRACK)) {
        next(p);
        if (is_kind(p, 0, KR_T_STR)) {
            name = string_value(p);
        } else if (is_kind(p, 0, KR_T_RBRACK)) {
            return expected(p, "a route name");
        } else {
            struct kr_buf b;
            kr_buf_init_arena(&b, p->a, 64, 1024);
            while (!is_kind(p, 0, KR_T_RBRACK)) {
                const struct kr_tok *t = peek(p, 0);
                if (t->kind == KR_T_EOF || t->kind == KR_T_LBRACE || t->kind == KR_T_SEMI ||
                    t->kind == KR_T_STR || t->kind == KR_T_PV) {
                    return expected(p, "']' after the route name");
                }
                kr_buf_append_str(&b, next(p).raw);
            }
            kr_buf_cstr(&b);
            name = kr_buf_str(&b);
        }
        if (expect(p, KR_T_RBRACK, "']' after the route name") < 0) {
            return p->err;
        }
        if (name.len == 0) {
            return fail(p, kw.loc, "empty route name");
        }
    } else if (route_words[wi].naming == 2) {
        return expected(p, "'[' and a route name");
    }
    if (kind == KR_CFG_ROUTE_SUB && name.ptr == NULL) {
        kind = KR_CFG_ROUTE_REQUEST;
    }
    if (kind == KR_CFG_ROUTE_ONREPLY && name.ptr == NULL) {
        kind = KR_CFG_ROUTE_REPLY;
    }
    if (expect(p, KR_T_LBRACE, "'{' to open the route block") < 0) {
        return p->err;
    }
    bool ok;
    struct kr_stmt *body = parse_block_body(p, &ok);
    if (!ok) {
        return p->err ? p->err : KR_EPARSE;
    }
    struct kr_route *r = kr_vec_push(&p->cfg->routes, sizeof(*r));
    if (r == NULL) {
        return p->err = KR_ENOMEM;
    }
    r->kind = kind;
    r->name = name.ptr ? name : kr_str_make("", 0);
    r->loc = kw.loc;
    r->body = body;
    return 0;
}

/* A value for a global parameter or modparam. */
static int parse_value(struct parser *p, struct kr_cfg_param_val *v)
{
    const struct kr_tok *t = peek(p, 0);
    memset(v, 0, sizeof(*v));
    if (t->kind == KR_T_STR) {
        v->text = string_value(p);
        v->v = kr_value_str(v->text);
        return 0;
    }
    if (t->kind == KR_T_MINUS && is_kind(p, 1, KR_T_INT)) {
        next(p);
        struct kr_tok i = next(p);
        v->v = kr_value_int(-i.ival);
        char tmp[24];
        int l = snprintf(tmp, sizeof(tmp), "%lld", (long long)v->v.i);
        v->text = kr_arena_strdup(p->a, kr_str_make(tmp, (size_t)l));
        return 0;
    }
    if (t->kind == KR_T_INT || t->kind == KR_T_IDENT) {
        const struct kr_tok *n = peek(p, 1);
        if (!n->ws_before && word_part(n->kind) && n->kind != KR_T_EOF) {
            v->text = glued_word(p, false, NULL);
            v->v = kr_value_str(v->text);
            v->is_ident = true;
            return 0;
        }
        struct kr_tok x = next(p);
        if (x.kind == KR_T_INT) {
            v->v = kr_value_int(x.ival);
            v->text = x.raw;
        } else {
            v->v = kr_value_str(x.text);
            v->text = x.text;
            v->is_ident = true;
        }
        return 0;
    }
    return expected(p, "a value (a number, a string or a name)");
}

static int parse_listen(struct parser *p, struct kr_str pname)
{
    struct kr_cfg_param_val v = { 0 };
    bool is_listen = kr_str_eq(pname, KR_STR("listen"));
    const struct kr_tok *t = peek(p, 0);

    if (t->kind == KR_T_STR) {
        v.text = string_value(p);
    } else if (word_part(t->kind) && t->kind != KR_T_MINUS) {
        v.text = glued_word(p, false, NULL);
    } else {
        return expected(p, is_listen ? "an address after listen=" : "a name after alias=");
    }
    if (!is_listen) {
        const char **a = kr_vec_push(&p->cfg->alias_list, sizeof(*a));
        if (a == NULL || (*a = kr_arena_cstr(p->a, v.text)) == NULL) {
            return p->err = KR_ENOMEM;
        }
        return 0;
    }
    struct kr_cfg_listen *l = kr_vec_push(&p->cfg->listens, sizeof(*l));
    if (l == NULL || (l->text = kr_arena_cstr(p->a, v.text)) == NULL) {
        return p->err = KR_ENOMEM;
    }
    size_t li = p->cfg->listens.n - 1;
    for (;;) {
        if (is_word(p, 0, "advertise")) {
            next(p);
            struct kr_str adv;
            if (is_kind(p, 0, KR_T_STR)) {
                adv = string_value(p);
            } else if (word_part(peek(p, 0)->kind)) {
                adv = glued_word(p, false, NULL);
            } else {
                return expected(p, "an address after advertise");
            }
            l = kr_vec_at(&p->cfg->listens, sizeof(*l), li);
            l->advertise = kr_arena_cstr(p->a, adv);
        } else if (is_word(p, 0, "name")) {
            next(p);
            if (!is_kind(p, 0, KR_T_STR)) {
                return expected(p, "a quoted name after name");
            }
            struct kr_str n = string_value(p);
            l = kr_vec_at(&p->cfg->listens, sizeof(*l), li);
            l->name = kr_arena_cstr(p->a, n);
        } else if (is_word(p, 0, "virtual")) {
            next(p);
        } else {
            break;
        }
    }
    return 0;
}

static int parse_param(struct parser *p)
{
    struct kr_tok name = next(p);
    struct kr_cfg_param_val v;
    const char *why = NULL;
    char desc[96];

    if (!take(p, KR_T_ASSIGN)) {
        return fail(p, peek(p, 0)->loc,
                    "expected '=' after '" KR_STR_FMT "' (a core parameter), "
                    "found %s",
                    KR_STR_ARG(name.text), kr_tok_describe(peek(p, 0), desc, sizeof(desc)));
    }
    if (kr_str_eq(name.text, KR_STR("listen")) || kr_str_eq(name.text, KR_STR("alias"))) {
        int rc = parse_listen(p, name.text);
        take(p, KR_T_SEMI);
        return rc;
    }
    struct kr_loc vloc = peek(p, 0)->loc;
    if (parse_value(p, &v) < 0) {
        return p->err;
    }
    take(p, KR_T_SEMI);
    int rc = kr_cfg_core_set(p->cfg, name.text, &v, &why);
    if (rc == KR_ENOTFOUND) {
        kr_diag_add(p->d, name.loc, "unknown core parameter '" KR_STR_FMT "'",
                    KR_STR_ARG(name.text));
    } else if (rc == KR_EINVAL) {
        kr_diag_add(p->d, vloc,
                    "core parameter '" KR_STR_FMT "' expects %s, found %s '" KR_STR_FMT "'",
                    KR_STR_ARG(name.text), why,
                    v.v.type == KR_VAL_INT ? "integer"
                    : v.is_ident           ? "word"
                                           : "string",
                    KR_STR_ARG(v.text));
    } else if (rc < 0) {
        return p->err = rc;
    }
    return 0; /* keep parsing: more errors may follow */
}

static int parse_loadmodule(struct parser *p)
{
    next(p);
    if (!is_kind(p, 0, KR_T_STR)) {
        return expected(p, "a quoted module name after loadmodule");
    }
    struct kr_loc loc = peek(p, 0)->loc;
    struct kr_str path = string_value(p);
    take(p, KR_T_SEMI);
    /* "/usr/lib/kamailio/modules/sl.so" -> "sl" */
    long slash = -1;
    for (size_t i = 0; i < path.len; i++) {
        if (path.ptr[i] == '/') {
            slash = (long)i;
        }
    }
    struct kr_str name = kr_str_sub(path, (size_t)(slash + 1), path.len);
    if (name.len > 3 && memcmp(name.ptr + name.len - 3, ".so", 3) == 0) {
        name.len -= 3;
    }
    struct kr_loadmod *m = kr_vec_push(&p->cfg->loadmods, sizeof(*m));
    if (m == NULL) {
        return p->err = KR_ENOMEM;
    }
    m->name = name;
    m->loc = loc;
    return 0;
}

static int parse_modparam(struct parser *p)
{
    struct kr_tok kw = next(p);
    struct kr_modparam *mp;
    struct kr_cfg_param_val v;

    if (expect(p, KR_T_LPAREN, "'(' after modparam") < 0) {
        return p->err;
    }
    if (!is_kind(p, 0, KR_T_STR)) {
        return expected(p, "a quoted module name");
    }
    struct kr_loc mod_loc = peek(p, 0)->loc;
    struct kr_str mod = string_value(p);
    if (expect(p, KR_T_COMMA, "',' after the module name") < 0) {
        return p->err;
    }
    if (!is_kind(p, 0, KR_T_STR)) {
        return expected(p, "a quoted parameter name");
    }
    struct kr_loc name_loc = peek(p, 0)->loc;
    struct kr_str name = string_value(p);
    if (expect(p, KR_T_COMMA, "',' after the parameter name") < 0) {
        return p->err;
    }
    struct kr_loc val_loc = peek(p, 0)->loc;
    if (parse_value(p, &v) < 0) {
        return p->err;
    }
    if (expect(p, KR_T_RPAREN, "')' to close modparam") < 0) {
        return p->err;
    }
    take(p, KR_T_SEMI);
    mp = kr_vec_push(&p->cfg->mparams, sizeof(*mp));
    if (mp == NULL) {
        return p->err = KR_ENOMEM;
    }
    mp->mod = mod;
    mp->name = name;
    mp->v = v.v;
    mp->text = v.text;
    mp->loc = kw.loc;
    mp->mod_loc = mod_loc;
    mp->name_loc = name_loc;
    mp->val_loc = val_loc;
    return 0;
}

int kr_cfg_parse(struct kr_cfg *cfg, struct kr_pp *pp, struct kr_diag *d)
{
    struct parser p = { .cfg = cfg, .pp = pp, .d = d, .a = &cfg->arena };

    while (!p.err) {
        const struct kr_tok *t = peek(&p, 0);
        if (t->kind == KR_T_EOF) {
            break;
        }
        if (t->kind == KR_T_SEMI) {
            next(&p);
            continue;
        }
        if (t->kind != KR_T_IDENT) {
            expected(&p, "a parameter, loadmodule, modparam or a route block");
            break;
        }
        if (is_word(&p, 0, "loadmodule")) {
            parse_loadmodule(&p);
            continue;
        }
        if (is_word(&p, 0, "loadpath") || is_word(&p, 0, "cfgengine")) {
            struct kr_tok kw = next(&p);
            if (!is_kind(&p, 0, KR_T_STR)) {
                char what[64];
                snprintf(what, sizeof(what), "a quoted value after " KR_STR_FMT,
                         KR_STR_ARG(kw.text));
                expected(&p, what);
                break;
            }
            struct kr_loc vloc = peek(&p, 0)->loc;
            struct kr_str v = string_value(&p);
            take(&p, KR_T_SEMI);
            if (kw.text.ptr[0] == 'c' && !kr_str_eq(v, KR_STR("native"))) {
                fail(&p, vloc,
                     "cfgengine \"" KR_STR_FMT "\" is not supported, expected "
                     "\"native\"",
                     KR_STR_ARG(v));
            } else if (kw.text.ptr[0] == 'l') {
                cfg->core.mpath = kr_arena_cstr(&cfg->arena, v);
            }
            continue;
        }
        if (is_word(&p, 0, "modparam")) {
            parse_modparam(&p);
            continue;
        }
        bool done = false;
        for (size_t i = 0; i < sizeof(route_words) / sizeof(route_words[0]); i++) {
            if (is_word(&p, 0, route_words[i].word)) {
                parse_route(&p, i);
                done = true;
                break;
            }
        }
        if (!done) {
            parse_param(&p);
        }
    }
    if (p.err) {
        return p.err;
    }
    return d->n ? KR_EINVAL : 0;
}
