/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the module unit tests: a route context around a parsed message (copied into
 * an exactly-sized heap buffer so ASan catches over-reads), hand-made constant arguments,
 * calling a module function through its table (fixup first), and building the result. */
#pragma once

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/ctx.h"
#include "cfg/module.h"
#include "core/arena.h"
#include "core/buf.h"
#include "net/addr.h"
#include "net/net.h"
#include "sip/build.h"
#include "sip/msg.h"

struct tm_ctx {
    struct kr_arena arena;  /* per message */
    struct kr_arena carena; /* "config" arena for fixups */
    struct kr_ctx ctx;
    struct kr_sip_msg msg;
    struct kr_rcv rcv;
    struct kr_listen udp; /* udp:198.51.100.1:5060 */
    struct kr_listen tcp; /* tcp:198.51.100.1:5060 */
    char *data;
    regex_t *res[8];
    size_t nres;
};

static inline void tm_listen(struct kr_listen *l, enum kr_uri_proto p, const char *ip,
                             uint16_t port)
{
    struct kr_sockaddr a;
    memset(l, 0, sizeof(*l));
    assert_int_equal(kr_addr_from_ip(kr_str_c(ip), port, &a), 0);
    kr_net_listen_fill(l, p, &a, NULL, 0);
}

/* Parses text (a SIP/2.0 message; another version is allowed) as received over UDP from
 * 192.0.2.10:5062 on udp:198.51.100.1:5060. */
static inline void tm_init(struct tm_ctx *t, const char *text)
{
    memset(t, 0, sizeof(*t));
    kr_arena_init(&t->arena, 16384, 1 << 22);
    kr_arena_init(&t->carena, 4096, 1 << 20);
    size_t n = strlen(text);
    t->data = malloc(n ? n : 1);
    assert_non_null(t->data);
    memcpy(t->data, text, n);
    struct kr_err err = { 0 };
    int rc = kr_sip_msg_parse(t->data, n, &t->arena, &t->msg, &err);
    if (rc != 0 && rc != KR_EVERSION) {
        fail_msg("parse failed: %d %s", rc, err.reason ? err.reason : "-");
    }
    tm_listen(&t->udp, KR_PROTO_UDP, "198.51.100.1", 5060);
    tm_listen(&t->tcp, KR_PROTO_TCP, "198.51.100.1", 5060);
    t->rcv.proto = KR_PROTO_UDP;
    assert_int_equal(kr_addr_from_ip(KR_STR("192.0.2.10"), 5062, &t->rcv.src), 0);
    t->rcv.dst = t->udp.addr;
    t->rcv.sock = &t->udp;
    t->ctx.arena = &t->arena;
    t->ctx.msg = &t->msg;
    t->ctx.rcv = &t->rcv;
    t->ctx.route_type = t->msg.is_request ? KR_ROUTE_REQUEST : KR_ROUTE_REPLY;
    kr_sip_edits_init(&t->ctx.edits, &t->arena);
}

static inline void tm_fini(struct tm_ctx *t)
{
    for (size_t i = 0; i < t->nres; i++) {
        regfree(t->res[i]);
        free(t->res[i]);
    }
    kr_arena_fini(&t->arena);
    kr_arena_fini(&t->carena);
    free(t->data);
}

static inline struct kr_arg tm_str(const char *s)
{
    return (
        struct kr_arg){ .kind = KR_ARG_STR, .present = true, .is_const = true, .lit = kr_str_c(s) };
}

static inline struct kr_arg tm_int(int64_t v)
{
    return (struct kr_arg){
        .kind = KR_ARG_INT, .present = true, .is_const = true, .lit = KR_STR("n"), .ival = v
    };
}

static inline struct kr_arg tm_none(void)
{
    return (struct kr_arg){ .kind = KR_ARG_STR_OPT, .present = false };
}

/* A regex argument compiled as Kamailio's textops does (extended, ignore case, newline). */
static inline struct kr_arg tm_re(struct tm_ctx *t, const char *re)
{
    regex_t *r = malloc(sizeof(*r));
    assert_non_null(r);
    assert_int_equal(regcomp(r, re, REG_EXTENDED | REG_ICASE | REG_NEWLINE), 0);
    assert_true(t->nres < sizeof(t->res) / sizeof(t->res[0]));
    t->res[t->nres++] = r;
    return (struct kr_arg){
        .kind = KR_ARG_REGEX, .present = true, .is_const = true, .lit = kr_str_c(re), .re = r
    };
}

static inline const struct kr_func *tm_func(const struct kr_module *m, const char *name)
{
    for (const struct kr_func *f = m->funcs; f && f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    fail_msg("no function %s in module %s", name, m->name);
    return NULL;
}

/* Runs the fixup (args are changed in place) and returns its result. */
static inline int tm_fixup(struct tm_ctx *t, const struct kr_module *m, const char *name,
                           struct kr_arg *args, unsigned nargs, struct kr_err *err)
{
    const struct kr_func *f = tm_func(m, name);
    struct kr_fixup fx = { .arena = &t->carena, .err = err, .func = name };
    memset(err, 0, sizeof(*err));
    return f->fixup ? f->fixup(&fx, args, nargs) : 0;
}

/* Calls name(args...) as the interpreter would: fixup, then the function. */
static inline int tm_call(struct tm_ctx *t, const struct kr_module *m, const char *name,
                          struct kr_arg *args, unsigned nargs)
{
    struct kr_err err;
    int rc = tm_fixup(t, m, name, args, nargs, &err);
    if (rc < 0) {
        fail_msg("fixup of %s failed: %s", name, err.reason ? err.reason : "-");
    }
    return tm_func(m, name)->fn(&t->ctx, args, nargs);
}

/* The message with the context's edits applied, NUL-terminated (arena). */
static inline const char *tm_build(struct tm_ctx *t)
{
    struct kr_buf b;
    kr_buf_init_arena(&b, &t->arena, 1024, 1 << 16);
    assert_int_equal(kr_sip_build(&t->msg, &t->ctx.edits, false, &b), 0);
    const char *s = kr_buf_cstr(&b);
    assert_non_null(s);
    return s;
}

static inline const char *tm_cstr(struct tm_ctx *t, struct kr_buf *b)
{
    (void)t;
    const char *s = kr_buf_cstr(b);
    assert_non_null(s);
    return s;
}

static inline void tm_str_eq(struct kr_str s, const char *want)
{
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0) {
        fail_msg("got '%.*s', want '%s'", (int)s.len, s.ptr ? s.ptr : "", want);
    }
}

static inline void tm_addr_eq(const struct kr_sockaddr *a, const char *want)
{
    char buf[KR_ADDR_STRLEN];
    assert_string_equal(kr_addr_str(a, buf, sizeof(buf)), want);
}
