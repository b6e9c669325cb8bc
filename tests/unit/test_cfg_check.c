/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for cfg/parse, cfg/check and the module plumbing: every class of config
 * error with its exact FILE:LINE:COL, core parameters, loadmodule / modparam, module
 * hooks and state. */
#include "test_cfg_util.h"

static void test_syntax_errors(void **state)
{
    t_load_err("request_route {\n"
               "    rec(\"a\")\n"
               "}\n",
               "t.cfg:3:1: error: expected ';' after statement, found '}'");
    t_load_err("request_route {\n"
               "    if ($var(a) == 1 {\n"
               "    }\n"
               "}\n",
               "t.cfg:2:22: error: expected ')' after the if condition, found '{'");
    t_load_err("request_route {\n  rec(\"a\");\n", "t.cfg:3:1: error: expected '}', found end "
                                                   "of file");
    t_load_err("request_route {\n  $var(x) 5;\n}\n",
               "t.cfg:2:11: error: expected '=' after $var(x), found '5'");
    t_load_err("request_route {\n  break;\n}\n",
               "t.cfg:2:3: error: 'break' outside switch or while");
    t_load_err("request_route {\n  foo;\n}\n",
               "t.cfg:2:6: error: expected '(' after 'foo' (a function call), found ';'");
    t_load_err("route[X] { }\n}\n",
               "t.cfg:2:1: error: expected a parameter, loadmodule, modparam or a route block, "
               "found '}'");
    t_load_err("request_route {\n  if (1 +) { }\n}\n",
               "t.cfg:2:10: error: expected an expression, found ')'");
    t_load_err("failure_route {\n}\n",
               "t.cfg:1:15: error: expected '[' and a route name, found '{'");
    t_load_err("request_route {\n  switch ($var(x)) {\n    rec(\"a\");\n  }\n}\n",
               "t.cfg:3:5: error: expected 'case' or 'default', found 'rec'");
    t_load_err("request_route {\n  if (method == myself) { }\n}\n", "t.cfg:2:17: error: "
                                                                    "'myself' can only be "
                                                                    "compared with uri, from_uri, "
                                                                    "to_uri, src_ip, dst_ip or a "
                                                                    "pseudo-variable");
    t_load_err("request_route {\n  $var(x) = $(var(y);\n}\n",
               "t.cfg:2:13: error: unterminated pseudo-variable, expected a closing bracket on "
               "the same line");
    t_load_err("request_route {\n  rec(1, 2, 3, 4, 5, 6, 7);\n}\n",
               "t.cfg:2:25: error: too many arguments to 'rec', expected at most 6");
}

static void test_function_errors(void **state)
{
    t_load_err("request_route {\n"
               "    sl_send_replyy(\"404\", \"Not Found\");\n"
               "}\n",
               "t.cfg:2:5: error: unknown function 'sl_send_replyy'");
    t_load_err("request_route {\n  if (u_hello()) { }\n}\n",
               "t.cfg:2:7: error: unknown function 'u_hello': it is in module 'u', add "
               "loadmodule \"u.so\"");
    t_load_err("request_route {\n  rec();\n}\n",
               "t.cfg:2:3: error: function 'rec' takes 1 argument, found 0");
    t_load_err("request_route {\n  opt(\"a\", 1, 2);\n}\n",
               "t.cfg:2:3: error: function 'opt' takes 1 to 2 arguments, found 3");
    t_load_err("loadmodule \"u.so\"\nrequest_route {\n  u_hello(1);\n}\n",
               "t.cfg:3:3: error: function 'u_hello' takes no arguments, found 1");
    t_load_err("request_route {\n  ret(\"abc\");\n}\n",
               "t.cfg:2:7: error: argument 1 of 'ret' expects an integer, found 'abc'");
    t_load_err("request_route {\n  setpv(\"x\", \"y\");\n}\n",
               "t.cfg:2:9: error: argument 1 of 'setpv' expects a pseudo-variable, found 'x'");
    t_load_err("request_route {\n  re(\"a($\", \"y\");\n}\n",
               "t.cfg:2:6: error: bad regular expression 'a($' in argument 1 of 're'");
    t_load_err("request_route {\n  re(\"$rU\", \"y\");\n}\n",
               "t.cfg:2:6: error: argument 1 of 're' expects a constant regular expression");
    t_load_err("request_route {\n  picky(\"bad\");\n}\n",
               "t.cfg:2:3: error: function 'picky': argument must not be 'bad'");
}

static void test_route_type_errors(void **state)
{
    t_load_err("failure_route[F] {\n  reqonly();\n}\n",
               "t.cfg:2:3: error: function 'reqonly' is not allowed in failure_route");
    t_load_err("request_route {\n  route(R);\n}\n"
               "route[R] {\n  reqonly();\n}\n"
               "failure_route[F] {\n  route(R);\n}\n",
               "t.cfg:5:3: error: function 'reqonly' is not allowed in failure_route "
               "(route[R] is called from one)");
    /* fine when only request_route reaches it */
    struct kr_cfg *cfg = t_load_ok("request_route {\n  route(R);\n}\nroute[R] { reqonly(); }\n"
                                   "route[UNUSED] { reqonly(); }\n");
    kr_cfg_free(cfg);
}

static void test_route_errors(void **state)
{
    t_load_err("request_route {\n  route(NOPE);\n}\n",
               "t.cfg:2:9: error: unknown route 'NOPE' in route(NOPE), expected a route[NOPE] "
               "block");
    t_load_err("route[A] { }\nrequest_route { }\nroute[\"A\"] { }\n",
               "t.cfg:3:1: error: route[A] is already defined at t.cfg:1");
    t_load_err("request_route { }\nroute { }\n",
               "t.cfg:2:1: error: request_route is already defined at t.cfg:1");
    t_load_err("onreply_route { }\nreply_route { }\n",
               "t.cfg:2:1: error: reply_route is already defined at t.cfg:1");
    /* the same name in different kinds is fine */
    struct kr_cfg *cfg = t_load_ok("route[A] { }\nfailure_route[A] { }\nbranch_route[A] { }\n"
                                   "onreply_route[A] { }\nevent_route[xhttp:request] { }\n"
                                   "route[1] { }\nrequest_route { route(A); route(1); "
                                   "route(\"A\"); }\n");
    assert_true(kr_cfg_has_route(cfg, KR_CFG_ROUTE_EVENT, KR_STR("xhttp:request")));
    assert_true(kr_cfg_has_route(cfg, KR_CFG_ROUTE_FAILURE, KR_STR("A")));
    assert_true(kr_cfg_has_route(cfg, KR_CFG_ROUTE_SUB, KR_STR("1")));
    assert_false(kr_cfg_has_route(cfg, KR_CFG_ROUTE_FAILURE, KR_STR("B")));
    assert_false(kr_cfg_has_route(cfg, KR_CFG_ROUTE_ONSEND, KR_STR_NULL));
    kr_cfg_free(cfg);
}

static void test_pv_errors(void **state)
{
    t_load_err("request_route {\n  if ($foo == 1) { }\n}\n",
               "t.cfg:2:7: error: unknown pseudo-variable '$foo'");
    t_load_err("request_route {\n  rec(\"user $rU at $fooo\");\n}\n",
               "t.cfg:2:20: error: unknown pseudo-variable '$fooo'");
    t_load_err("request_route {\n  $var(x) = $(ru{s.nope});\n}\n",
               "t.cfg:2:18: error: unknown transformation '{s.nope}'");
    t_load_err("request_route {\n  $var(x) = $(ru{s.substr,1});\n}\n",
               "t.cfg:2:18: error: wrong number of transformation arguments in "
               "'$(ru{s.substr,1})'");
    t_load_err("request_route {\n  $rm = \"INVITE\";\n}\n",
               "t.cfg:2:3: error: pseudo-variable '$rm' is read-only, expected a writable one "
               "($var, $avp, $shv, $ru, $rU, $rd, $rp, $du ...)");
    t_load_err("request_route {\n  $var(x) = $hdr;\n}\n",
               "t.cfg:2:14: error: pseudo-variable needs a name in parentheses in '$hdr'");
    t_load_err("request_route {\n  if ($ru =~ \"a(\") { }\n}\n",
               "t.cfg:2:14: error: bad regular expression 'a(': Unmatched ( or \\(");
}

static void test_param_errors(void **state)
{
    t_load_err("debug=2\nchildren=4\nchildrn=4\n",
               "t.cfg:3:1: error: unknown core parameter 'childrn'");
    t_load_err("children=\"four\"\n",
               "t.cfg:1:10: error: core parameter 'children' expects an integer, found string "
               "'four'");
    t_load_err("debug=7\n", "t.cfg:1:7: error: core parameter 'debug' expects an integer from -5 "
                            "to 3, found integer '7'");
    t_load_err("log_stderror=maybe\n",
               "t.cfg:1:14: error: core parameter 'log_stderror' expects yes/no (on/off, "
               "true/false, 1/0), found word 'maybe'");
    t_load_err("children 4\n", "t.cfg:1:10: error: expected '=' after 'children' (a core "
                               "parameter), found '4'");
    /* several errors: all reported, one per line */
    assert_null(t_load("childrn=1\nrequest_route { nofunc(); }\n"));
    assert_string_equal(t_diag, "t.cfg:1:1: error: unknown core parameter 'childrn'\n"
                                "t.cfg:2:17: error: unknown function 'nofunc'");
}

static void test_module_errors(void **state)
{
    t_load_err("loadmodule \"tm.so\"\n", "t.cfg:1:12: error: unknown module 'tm' in loadmodule");
    t_load_err("modparam(\"tm\", \"x\", 1)\n", "t.cfg:1:10: error: unknown module 'tm' in "
                                               "modparam");
    t_load_err("modparam(\"u\", \"level\", 1)\n",
               "t.cfg:1:10: error: modparam for module 'u' that is not loaded, add loadmodule "
               "\"u.so\"");
    t_load_err("modparam(\"t\", \"nope\", 1)\n",
               "t.cfg:1:15: error: module 't' has no parameter 'nope'");
    t_load_err("modparam(\"t\", \"p_int\", \"abc\")\n",
               "t.cfg:1:24: error: modparam 'p_int' of 't' expects an integer, found \"abc\"");
    t_load_err("modparam(\"pv\", \"shvset\", \"x\")\n",
               "t.cfg:1:26: error: modparam 'shvset' of 'pv' expects \"name=i:number\" or "
               "\"name=s:text\"");
}

static void test_core_params(void **state)
{
    struct kr_cfg *cfg = t_load_ok("#!KAMAILIO\n"
                                   "debug=-2\nlog_stderror=yes\nchildren=3;\nfork=off\n"
                                   "listen=udp:127.0.0.1:5060\n"
                                   "listen=tcp:[::1]:5070\n"
                                   "listen = udp:0.0.0.0:5062 advertise 203.0.113.1:5060 "
                                   "name \"pub\"\n"
                                   "listen=127.0.0.2\n"
                                   "listen=\"tls:192.0.2.1:5061\"\n"
                                   "alias=example.com:5060\nalias=\"sip.example.com\"\n"
                                   "server_header=\"Server: test\"\n"
                                   "tcp_connection_lifetime=3605\ntcp_accept_no_cl=yes\n"
                                   "log_facility=LOG_LOCAL0\n"
                                   "tcp_children=4\nmemdbg=5\nmpath=\"/usr/lib/kamailio\"\n"
                                   "loadpath \"/usr/lib/x\"\n"
                                   "#!define MY_IP \"192.0.2.7\"\n"
                                   "#!define MY_PORT 5099\n"
                                   "listen=udp:MY_IP:MY_PORT\n");
    const struct kr_cfg_core *c = kr_cfg_core(cfg);
    assert_int_equal(c->debug, -2);
    assert_true(c->log_stderror);
    assert_int_equal(c->children, 3);
    assert_false(c->fork);
    assert_int_equal(c->nlistens, 6);
    assert_string_equal(c->listens[5].text, "udp:192.0.2.7:5099");
    assert_string_equal(c->listens[0].text, "udp:127.0.0.1:5060");
    assert_null(c->listens[0].advertise);
    assert_string_equal(c->listens[1].text, "tcp:[::1]:5070");
    assert_string_equal(c->listens[2].text, "udp:0.0.0.0:5062");
    assert_string_equal(c->listens[2].advertise, "203.0.113.1:5060");
    assert_string_equal(c->listens[2].name, "pub");
    assert_string_equal(c->listens[3].text, "127.0.0.2");
    assert_string_equal(c->listens[4].text, "tls:192.0.2.1:5061");
    assert_int_equal(c->naliases, 2);
    assert_string_equal(c->aliases[0], "example.com:5060");
    assert_string_equal(c->server_header, "Server: test");
    assert_int_equal(c->tcp_connection_lifetime, 3605);
    assert_true(c->tcp_accept_no_cl);
    assert_string_equal(c->log_facility, "LOG_LOCAL0");
    assert_string_equal(c->mpath, "/usr/lib/x");
    /* defaults */
    assert_int_equal(c->max_while_loops, 100);
    assert_int_equal(c->tcp_max_connections, 2048);
    assert_string_equal(c->user_agent_header, "User-Agent: korero (0.1.0)");

    /* myself from the listen texts until the resolved table is given */
    assert_true(kr_cfg_is_myself(cfg, KR_STR("127.0.0.1"), 5060));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("127.0.0.1"), 0));
    assert_false(kr_cfg_is_myself(cfg, KR_STR("127.0.0.1"), 5061));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("[::1]"), 5070));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("::1"), 5070));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("203.0.113.1"), 5060));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("127.0.0.2"), 5060));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("EXAMPLE.com"), 5060));
    assert_false(kr_cfg_is_myself(cfg, KR_STR("example.com"), 5080));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("sip.example.com"), 5080)); /* any port */
    assert_false(kr_cfg_is_myself(cfg, KR_STR("example.org"), 5060));

    struct kr_listen l[1];
    memset(l, 0, sizeof(l));
    snprintf(l[0].ip, sizeof(l[0].ip), "10.1.1.1");
    l[0].port = 5090;
    snprintf(l[0].adv_host, sizeof(l[0].adv_host), "pub.example.net");
    kr_cfg_set_listens(cfg, l, 1);
    assert_true(kr_cfg_is_myself(cfg, KR_STR("10.1.1.1"), 5090));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("pub.example.net"), 5090));
    assert_false(kr_cfg_is_myself(cfg, KR_STR("127.0.0.1"), 5060));
    assert_true(kr_cfg_is_myself(cfg, KR_STR("example.com"), 0));
    kr_cfg_free(cfg);

    size_t n = 0;
    bool saw_tcp_children = false;
    for (const struct kr_cfg_param_doc *d; (d = kr_cfg_core_param(n)) != NULL; n++) {
        if (strcmp(d->name, "tcp_children") == 0) {
            saw_tcp_children = d->ignored;
        }
    }
    assert_true(n > 50);
    assert_true(saw_tcp_children);
}

static void test_modules(void **state)
{
    t_inits = t_worker_inits = t_destroys = 0;
    struct kr_cfg *cfg = t_load_ok("loadmodule \"/usr/lib/kamailio/modules/u.so\"\n"
                                   "loadmodule \"u\"\n"
                                   "loadmodule \"pv.so\"\nloadmodule \"kex.so\"\n"
                                   "modparam(\"t\", \"p_int\", 42)\n"
                                   "modparam(\"t\", \"p_str\", 5)\n"
                                   "modparam(\"t\", \"p_any\", \"one\")\n"
                                   "modparam(\"t\", \"p_any\", -2)\n"
                                   "modparam(\"u\", \"level\", 3)\n"
                                   "modparam(\"pv\", \"shvset\", \"counter=i:10\")\n"
                                   "modparam(\"pv\", \"varset\", \"v=s:init\")\n"
                                   "modparam(\"kex\", \"whatever\", 1)\n"
                                   "request_route { u_hello(); rec(\"$tpv $shv(counter) "
                                   "$var(v)\"); }\n");
    assert_int_equal(kr_modparam_int(cfg, "t", "p_int", 0), 42);
    assert_int_equal(kr_modparam_int(cfg, "t", "nope", 9), 9);
    struct kr_str s = kr_modparam_str(cfg, "t", "p_str", KR_STR("d"));
    assert_int_equal(s.len, 1);
    assert_memory_equal(s.ptr, "5", 1);
    struct kr_value v;
    assert_true(kr_modparam_nth(cfg, "t", "p_any", 0, &v));
    assert_int_equal(v.type, KR_VAL_STR);
    assert_true(kr_modparam_nth(cfg, "t", "p_any", 1, &v));
    assert_int_equal(v.type, KR_VAL_INT);
    assert_int_equal(v.i, -2);
    assert_false(kr_modparam_nth(cfg, "t", "p_any", 2, &v));

    struct kr_err err = { 0 };
    assert_int_equal(kr_cfg_init_modules(cfg, &err), 0);
    assert_int_equal(t_inits, 1);
    assert_int_equal(kr_cfg_worker_init(cfg, 1), 0);
    assert_int_equal(t_worker_inits, 1);

    struct t_run t;
    struct kr_vars *vars = kr_vars_new();
    assert_int_equal(t_run_req(cfg, vars, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "hello;42 10 init;");
    assert_int_equal(*(int64_t *)kr_module_state(&t.ctx, &t_module), 42);
    assert_null(kr_module_state(&t.ctx, &u_module));
    t_run_fini(&t);
    kr_vars_free(vars);
    kr_cfg_free(cfg);
    assert_int_equal(t_destroys, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax_errors),     cmocka_unit_test(test_function_errors),
        cmocka_unit_test(test_route_type_errors), cmocka_unit_test(test_route_errors),
        cmocka_unit_test(test_pv_errors),         cmocka_unit_test(test_param_errors),
        cmocka_unit_test(test_module_errors),     cmocka_unit_test(test_core_params),
        cmocka_unit_test(test_modules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
