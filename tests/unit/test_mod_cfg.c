/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The modules through the real config engine: a Kamailio-style config using them loads
 * (argument kinds, fixups, modparams, module init), runs on a request with the expected
 * edits and return values, and bad arguments are config errors. Sending is not possible
 * here (no transport), so forward()/sl_send_reply() report failure. */
#include <stdio.h>

#include "cfg/cfg.h"
#include "modules/core/fwd.h"
#include "modules/sl/sl.h"
#include "test_mod_util.h"

static const char CFG[] =
    "#!KAMAILIO\n"
    "debug=2\n"
    "listen=udp:198.51.100.1:5060\n"
    "server_header=\"Server: korero-test\"\n"
    "loadmodule \"sl.so\"\n"
    "loadmodule \"textops.so\"\n"
    "loadmodule \"maxfwd.so\"\n"
    "loadmodule \"sanity.so\"\n"
    "loadmodule \"siputils.so\"\n"
    "loadmodule \"xlog.so\"\n"
    "loadmodule \"pv.so\"\n"
    "loadmodule \"kex.so\"\n"
    "loadmodule \"corex.so\"\n"
    "modparam(\"maxfwd\", \"max_limit\", 16)\n"
    "modparam(\"sanity\", \"autodrop\", 0)\n"
    "modparam(\"xlog\", \"prefix\", \"[x] \")\n"
    "modparam(\"sl\", \"default_code\", 503)\n"
    "modparam(\"siputils\", \"options_accept\", \"application/sdp\")\n"
    "request_route {\n"
    "    if (!mf_process_maxfwd_header(\"10\")) { sl_send_reply(\"483\", \"Too Many Hops\"); "
    "exit; }\n"
    "    if (!sanity_check(\"17895\", \"7\")) { xlog(\"L_DBG\", \"malformed from $si\\n\"); "
    "exit; }\n"
    "    if (is_method(\"INVITE|MESSAGE\")) { append_hf(\"X-Seen: $rm\\r\\n\"); }\n"
    "    if (has_totag()) { return 7; }\n"
    "    remove_hf(\"User-Agent\");\n"
    "    subst_uri('/^sip:bob@(.*)$/sip:carol@\\1/');\n"
    "    subst('/^Subject: (.*)$/Subject: [fwd] \\1/s');\n"
    "    setflag(5);\n"
    "    pv_printf(\"$var(x)\", \"v=$rm\");\n"
    "    if ($var(x) == \"v=INVITE\" && pv_isset(\"$var(x)\")) { setflag(7); }\n"
    "    if (is_int(\"$var(x)\")) { setflag(9); }\n"
    "    $var(n) = \"42\";\n"
    "    if (is_int(\"$var(n)\")) { setflag(10); }\n"
    "    $avp(a) = 1;\n"
    "    pv_unset(\"$avp(a)\");\n"
    "    if (!pv_isset(\"$avp(a)\")) { setflag(11); }\n"
    "    if (uri == myself) { return 8; }\n"
    "    if (is_myself(\"sip:198.51.100.1\")) { setflag(6); }\n"
    "    force_rport();\n"
    "    xinfo(\"$rm $ru\\n\");\n"
    "    if (!forward()) { return 9; }\n"
    "    return 10;\n"
    "}\n";

static const char INVITE[] = "INVITE sip:bob@203.0.113.5 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.10:5062;rport;branch=z9hG4bK1\r\n"
                             "Max-Forwards: 70\r\n"
                             "From: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:bob@example.com>\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Subject: hello\r\n"
                             "User-Agent: ua\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n";

static struct kr_cfg *load(const char *text, char *diag, size_t dsize)
{
    struct kr_cfg_opts o = { .modules = kr_builtin_modules, .aliases = kr_core_module_aliases };
    struct kr_cfg *cfg = NULL;
    diag[0] = '\0';
    int rc = kr_cfg_load_buf("test.cfg", text, strlen(text), &o, &cfg, diag, dsize);
    return rc == 0 ? cfg : NULL;
}

static void test_run(void **state)
{
    char diag[2048];
    struct tm_ctx t;
    struct kr_err err = { 0 };
    (void)state;

    struct kr_cfg *cfg = load(CFG, diag, sizeof(diag));
    if (!cfg) {
        fail_msg("config did not load: %s", diag);
    }
    assert_int_equal(kr_cfg_init_modules(cfg, &err), 0);
    struct kr_vars *vars = kr_vars_new();
    assert_non_null(vars);

    tm_init(&t, INVITE);
    t.ctx.cfg = cfg;
    t.ctx.vars = vars;
    t.ctx.force_sock = &t.udp;
    int rc = kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR(""));
    assert_int_equal(rc, KR_CFG_END_DONE);
    assert_int_equal(t.ctx.retcode, 9); /* forward() failed: no transport in unit tests */
    assert_true(t.ctx.flags & (1u << 5));
    assert_true(t.ctx.flags & (1u << 6));
    assert_true(t.ctx.flags & (1u << 7));
    assert_false(t.ctx.flags & (1u << 9));
    assert_true(t.ctx.flags & (1u << 10));
    assert_true(t.ctx.flags & (1u << 11));
    assert_true(t.ctx.force_rport);
    tm_str_eq(t.ctx.new_ruri, "sip:carol@203.0.113.5");
    const char *out = tm_build(&t);
    assert_string_equal(out, "INVITE sip:bob@203.0.113.5 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.10:5062;rport;branch=z9hG4bK1\r\n"
                             "Max-Forwards: 16\r\n"
                             "From: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:bob@example.com>\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Subject: [fwd] hello\r\n"
                             "Content-Length: 0\r\n"
                             "X-Seen: INVITE\r\n"
                             "\r\n");

    /* the forwarded bytes: our Via, rport filled, received added, new R-URI */
    struct kr_buf b;
    struct kr_send_dst dst;
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(kr_fwd_build_request(&t.ctx, KR_STR(""), 0, KR_PROTO_NONE, &b, &dst), 0);
    out = tm_cstr(&t, &b);
    assert_memory_equal(out,
                        "INVITE sip:carol@203.0.113.5 SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK",
                        87);
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;rport=5062;branch=z9hG4bK1"
                                ";received=192.0.2.10\r\nMax-Forwards: 16\r\n"));
    tm_addr_eq(&dst.to, "203.0.113.5:5060");
    tm_fini(&t);

    /* in-dialog: return 7 before anything else */
    tm_init(&t, "BYE sip:bob@192.0.2.20 SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK2\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>;tag=b1\r\n"
                "Call-ID: c1\r\n"
                "CSeq: 2 BYE\r\n"
                "\r\n");
    t.ctx.cfg = cfg;
    t.ctx.vars = vars;
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR("")), KR_CFG_END_DONE);
    assert_int_equal(t.ctx.retcode, 7);
    tm_fini(&t);

    /* to us: return 8 */
    tm_init(&t, "OPTIONS sip:198.51.100.1 SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK3\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:198.51.100.1>\r\n"
                "Call-ID: c3\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "\r\n");
    t.ctx.cfg = cfg;
    t.ctx.vars = vars;
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR("")), KR_CFG_END_DONE);
    assert_int_equal(t.ctx.retcode, 8);
    /* a stateless reply carries the configured Server header */
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(kr_sl_build_reply(&t.ctx, 200, KR_STR("OK"), KR_STR(""), &b, &dst), 0);
    assert_non_null(strstr(tm_cstr(&t, &b), "\r\nServer: korero-test\r\nContent-Length: 0\r\n"));
    tm_fini(&t);

    /* Max-Forwards 0: 483 attempted (fails without transport), exit */
    tm_init(&t, "OPTIONS sip:bob@203.0.113.5 SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK4\r\n"
                "Max-Forwards: 0\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>\r\n"
                "Call-ID: c4\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "\r\n");
    t.ctx.cfg = cfg;
    t.ctx.vars = vars;
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR("")), KR_CFG_END_EXIT);
    tm_fini(&t);

    /* malformed (CSeq method): sanity_check is false (autodrop 0), exit */
    tm_init(&t, "OPTIONS sip:bob@203.0.113.5 SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK5\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>\r\n"
                "Call-ID: c5\r\n"
                "CSeq: 1 INVITE\r\n"
                "\r\n");
    t.ctx.cfg = cfg;
    t.ctx.vars = vars;
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR("")), KR_CFG_END_EXIT);
    tm_fini(&t);

    kr_vars_free(vars);
    kr_cfg_free(cfg);
}

static void expect_error(const char *body, const char *want)
{
    char text[2048];
    char diag[2048];
    snprintf(text, sizeof(text),
             "loadmodule \"sl.so\"\nloadmodule \"textops.so\"\nloadmodule \"xlog.so\"\n"
             "loadmodule \"maxfwd.so\"\nloadmodule \"sanity.so\"\n"
             "request_route {\n    %s\n}\n",
             body);
    struct kr_cfg *cfg = load(text, diag, sizeof(diag));
    if (cfg) {
        kr_cfg_free(cfg);
        fail_msg("config with '%s' loaded", body);
    }
    if (!strstr(diag, want)) {
        fail_msg("diagnostic for '%s' lacks '%s': %s", body, want, diag);
    }
}

static void test_load_errors(void **state)
{
    (void)state;
    expect_error("setflag(64);", "flag must be between 0 and 63");
    expect_error("xlog(\"L_LOUD\", \"x\");", "unknown log level");
    expect_error("sl_send_reply(\"99\", \"x\");", "reply code must be between 100 and 699");
    expect_error("subst('/a/b');", "missing delimiter");
    expect_error("subst('/(/b/');", "bad regular expression");
    expect_error("is_method(\"INVITE||BYE\");", "bad method list");
    expect_error("mf_process_maxfwd_header(\"300\");", "between 0 and 255");
    expect_error("force_send_socket(\"udp:1.2.3.4:99999\");", "");
    expect_error("forward(\"h\", 70000);", "port must be between 1 and 65535");
    expect_error("sanity_check(\"-1\");", "positive");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
