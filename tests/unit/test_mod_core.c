/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the core module's script functions: message flags (and their load-time
 * range check), R-URI rewriting (host, user, port, prefix, strip), $du functions,
 * branches, transport choices, is_myself, log levels and the module table. */
#include "cfg/module.h"
#include "core/log.h"
#include "modules/core/core.h"
#include "test_mod_util.h"

static const char INVITE[] = "INVITE sip:bob:secret@example.com:5070;transport=udp?x=y SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                             "From: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:bob@example.com>\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "\r\n";

static const struct kr_module *M = &kr_mod_core;

static int call0(struct tm_ctx *t, const char *f)
{
    return tm_call(t, M, f, NULL, 0);
}

static int call1(struct tm_ctx *t, const char *f, struct kr_arg a)
{
    struct kr_arg args[1] = { a };
    return tm_call(t, M, f, args, 1);
}

static void test_flags(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    (void)state;

    tm_init(&t, INVITE);
    assert_int_equal(call1(&t, "isflag", tm_int(3)), -1);
    assert_int_equal(call1(&t, "setflag", tm_int(3)), 1);
    assert_int_equal(call1(&t, "setflag", tm_int(63)), 1);
    assert_int_equal(call1(&t, "isflag", tm_int(3)), 1);
    assert_int_equal(call1(&t, "isflagset", tm_int(63)), 1);
    assert_true(t.ctx.flags == ((1ull << 3) | (1ull << 63)));
    assert_int_equal(call1(&t, "resetflag", tm_int(3)), 1);
    assert_int_equal(call1(&t, "isflag", tm_int(3)), -1);
    struct kr_arg bad[1] = { tm_int(64) };
    assert_int_equal(tm_fixup(&t, M, "setflag", bad, 1, &err), KR_EINVAL);
    assert_non_null(err.reason);
    bad[0] = tm_int(-1);
    assert_int_equal(tm_fixup(&t, M, "isflag", bad, 1, &err), KR_EINVAL);
    tm_fini(&t);
}

static void test_rewrite(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, INVITE);
    assert_int_equal(call1(&t, "rewritehost", tm_str("proxy.example.net")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:bob:secret@proxy.example.net:5070;transport=udp?x=y");
    assert_int_equal(call1(&t, "setuser", tm_str("carol")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:carol:secret@proxy.example.net:5070;transport=udp?x=y");
    assert_int_equal(call1(&t, "setport", tm_str("5080")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:carol:secret@proxy.example.net:5080;transport=udp?x=y");
    assert_int_equal(call1(&t, "setport", tm_str("")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:carol:secret@proxy.example.net;transport=udp?x=y");
    assert_int_equal(call1(&t, "prefix", tm_str("00")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:00carol:secret@proxy.example.net;transport=udp?x=y");
    assert_int_equal(call1(&t, "strip", tm_int(3)), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:arol:secret@proxy.example.net;transport=udp?x=y");
    assert_int_equal(call1(&t, "strip_tail", tm_int(2)), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:ar:secret@proxy.example.net;transport=udp?x=y");
    assert_int_equal(call1(&t, "rewritehostport", tm_str("[2001:db8::1]:5090")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:ar:secret@[2001:db8::1]:5090;transport=udp?x=y");
    assert_int_equal(call1(&t, "sethostport", tm_str("h.example.com")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:ar:secret@h.example.com;transport=udp?x=y");
    assert_int_equal(call1(&t, "strip", tm_int(10)), 1); /* all of the user: no "@" left */
    tm_str_eq(t.ctx.new_ruri, "sip:h.example.com;transport=udp?x=y");
    assert_int_equal(call0(&t, "revert_uri"), 1);
    assert_null(t.ctx.new_ruri.ptr);
    assert_int_equal(call1(&t, "seturi", tm_str("sip:dave@example.org")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:dave@example.org");
    assert_int_equal(call1(&t, "rewriteuser", tm_str("")), 1);
    tm_str_eq(t.ctx.new_ruri, "sip:example.org");
    tm_fini(&t);

    /* tel: URIs: the number is the user; no host */
    tm_init(&t,
            "INVITE tel:+4912345;phone-context=x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
            "CSeq: 1 INVITE\r\n\r\n");
    assert_int_equal(call1(&t, "strip", tm_int(3)), 1);
    tm_str_eq(t.ctx.new_ruri, "tel:12345;phone-context=x");
    assert_int_equal(call1(&t, "rewritehost", tm_str("example.com")), -1);
    tm_fini(&t);
}

static void test_dst_and_branches(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, INVITE);
    assert_int_equal(call0(&t, "isdsturiset"), -1);
    assert_int_equal(call1(&t, "setdsturi", tm_str("sip:203.0.113.5:5080;transport=tcp")), 1);
    tm_str_eq(t.ctx.dst_uri, "sip:203.0.113.5:5080;transport=tcp");
    assert_int_equal(call0(&t, "isdsturiset"), 1);
    assert_int_equal(call1(&t, "setdsturi", tm_str("not a uri")), -1);

    struct kr_arg none[1] = { tm_none() };
    assert_int_equal(tm_call(&t, M, "append_branch", none, 1), 1);
    assert_int_equal(call1(&t, "append_branch", tm_str("sip:carol@example.org")), 1);
    assert_non_null(t.ctx.branches);
    tm_str_eq(t.ctx.branches->uri, "sip:bob:secret@example.com:5070;transport=udp?x=y");
    tm_str_eq(t.ctx.branches->dst_uri, "sip:203.0.113.5:5080;transport=tcp");
    assert_non_null(t.ctx.branches->next);
    tm_str_eq(t.ctx.branches->next->uri, "sip:carol@example.org");
    assert_null(t.ctx.branches->next->dst_uri.ptr);
    assert_null(t.ctx.branches->next->next);

    assert_int_equal(call0(&t, "resetdsturi"), 1);
    assert_int_equal(call0(&t, "isdsturiset"), -1);
    tm_fini(&t);
}

static void test_transport_choices(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    (void)state;

    tm_init(&t, INVITE);
    assert_int_equal(call0(&t, "force_rport"), 1);
    assert_true(t.ctx.force_rport);
    assert_int_equal(call0(&t, "set_reply_close"), 1);
    assert_int_equal(call0(&t, "set_reply_no_connect"), 1);
    assert_int_equal(t.ctx.reply_flags, KR_REPLY_CLOSE | KR_REPLY_NO_CONNECT);
    assert_int_equal(call1(&t, "set_advertised_address", tm_str("203.0.113.1")), 1);
    tm_str_eq(t.ctx.adv_addr, "203.0.113.1");
    assert_int_equal(call1(&t, "set_advertised_port", tm_int(5080)), 1);
    tm_str_eq(t.ctx.adv_port, "5080");
    struct kr_arg port[1] = { tm_int(70000) };
    assert_int_equal(tm_fixup(&t, M, "set_advertised_port", port, 1, &err), KR_EINVAL);

    /* force_send_socket: syntax at load time; the socket must be a listen entry */
    struct kr_arg sock[1] = { tm_str("udp:127.0.0.1:5060") };
    assert_int_equal(tm_fixup(&t, M, "force_send_socket", sock, 1, &err), 0);
    assert_int_equal(tm_func(M, "force_send_socket")->fn(&t.ctx, sock, 1), -1); /* none */
    struct kr_arg badsock[1] = { tm_str("udp:127.0.0.1:99999") };
    assert_int_equal(tm_fixup(&t, M, "force_send_socket", badsock, 1, &err), KR_EINVAL);
    tm_fini(&t);
}

static void test_is_myself(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, INVITE);
    assert_int_equal(call1(&t, "is_myself", tm_str("sip:198.51.100.1")), 1);
    assert_int_equal(call1(&t, "is_myself", tm_str("sip:bob@198.51.100.1:5060;lr")), 1);
    assert_int_equal(call1(&t, "is_myself", tm_str("198.51.100.1:5060")), 1);
    assert_int_equal(call1(&t, "is_myself", tm_str("sip:198.51.100.1:5070")), -1);
    assert_int_equal(call1(&t, "is_myself", tm_str("sip:example.com")), -1);
    assert_int_equal(call1(&t, "is_myself", tm_str("tel:+123")), -1);
    tm_fini(&t);
}

static void test_log_levels(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    (void)state;

    tm_init(&t, INVITE);
    int before = atomic_load(&kr_log_level_now);
    assert_int_equal(call1(&t, "setdebug", tm_int(KR_L_ERR)), 1);
    assert_int_equal(atomic_load(&kr_log_level_now), KR_L_ERR);
    struct kr_arg two[2] = { tm_str("-1"), tm_str("log line from the test\n") };
    assert_int_equal(tm_call(&t, M, "log", two, 2), 1);
    struct kr_arg one[2] = { tm_str("not shown at this level"), tm_none() };
    assert_int_equal(tm_call(&t, M, "log", one, 2), 1);
    struct kr_arg bad[2] = { tm_str("loud"), tm_str("x") };
    assert_int_equal(tm_fixup(&t, M, "log", bad, 2, &err), KR_EINVAL);
    assert_int_equal(call0(&t, "resetdebug"), 1);
    assert_int_equal(atomic_load(&kr_log_level_now), KR_L_WARN); /* no config: default */
    atomic_store(&kr_log_level_now, before);
    tm_fini(&t);
}

static void test_tables(void **state)
{
    (void)state;
    /* every built-in module: a name, functions with names and bodies, unique names */
    for (size_t i = 0; kr_builtin_modules[i]; i++) {
        const struct kr_module *m = kr_builtin_modules[i];
        assert_non_null(m->name);
        for (const struct kr_func *f = m->funcs; f && f->name; f++) {
            assert_non_null(f->fn);
            for (const struct kr_func *g = f + 1; g->name; g++) {
                if (strcmp(f->name, g->name) == 0) {
                    fail_msg("%s: function %s twice", m->name, f->name);
                }
            }
        }
        for (size_t j = i + 1; kr_builtin_modules[j]; j++) {
            assert_string_not_equal(m->name, kr_builtin_modules[j]->name);
        }
    }
    assert_true(kr_mod_core.always);
    bool pv = false;
    for (size_t i = 0; kr_core_module_aliases[i]; i++) {
        pv = pv || strcmp(kr_core_module_aliases[i], "pv") == 0;
    }
    assert_true(pv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_dst_and_branches),
        cmocka_unit_test(test_transport_choices),
        cmocka_unit_test(test_is_myself),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
