/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for cfg/pp and cfg/lex: defines (command line, trydef, redefine, values with
 * continuation lines), nested #!ifdef, #!subst / #!substdef, include_file / import_file
 * with relative paths, cycles, depth and missing files, comments and locations. */
#include <sys/stat.h>
#include <unistd.h>

#include "test_cfg_util.h"

#ifndef KR_CFG_TEST_DATA
#define KR_CFG_TEST_DATA "tests/data/cfg"
#endif

/* Runs request_route and compares the test module's log. */
static void run_expect(struct kr_cfg *cfg, const char *want)
{
    struct t_run t;
    struct kr_vars *vars = kr_vars_new();
    int rc = t_run_req(cfg, vars, &t);
    assert_true(rc > 0);
    assert_string_equal(tlog, want);
    t_run_fini(&t);
    kr_vars_free(vars);
}

static void test_define_basic(void **state)
{
    struct kr_cfg *cfg = t_load_ok("#!KAMAILIO\n"
                                   "#!define KIDS 4\n"
                                   "#!define NAME \"hello\"\n"
                                   "#!define EMPTY\n"
                                   "#!define EXPR 1 + 2\n"
                                   "children=KIDS\n"
                                   "request_route {\n"
                                   "  rec(NAME); rec(\"NAME\"); EMPTY\n"
                                   "  $var(x) = EXPR * 2; rec($var(x));\n"
                                   "}\n");
    assert_int_equal(kr_cfg_core(cfg)->children, 4);
    /* not substituted inside strings; EXPR is tokens: 1 + 2 * 2 = 5 */
    run_expect(cfg, "hello;NAME;5;");
    kr_cfg_free(cfg);
}

static void test_define_continuation_and_nesting(void **state)
{
    struct kr_cfg *cfg = t_load_ok("#!define LONG rec(\"a\"); \\\n"
                                   "   rec(\"b\");\n"
                                   "#!define INNER \"in\"\n"
                                   "#!define OUTER rec(INNER);\n"
                                   "#!define SELF SELF\n"
                                   "request_route { LONG OUTER $var(SELF) = 1; }\n");
    run_expect(cfg, "a;b;in;");
    kr_cfg_free(cfg);
}

static void test_define_twice(void **state)
{
    t_load_err("#!define A 1\n#!define A 2\n",
               "t.cfg:2:1: error: 'A' is already defined, expected #!redefine or #!trydef");
    struct kr_cfg *cfg = t_load_ok("#!define A 1\n#!trydef A 2\n#!trydef B 3\n"
                                   "#!redefine C 4\n#!redefine A 5\n"
                                   "request_route { rec(A); rec(B); rec(C); }\n");
    run_expect(cfg, "5;3;4;");
    kr_cfg_free(cfg);
}

static void test_ifdef_nested(void **state)
{
    const char *text = "#!define WITH_A\n"
                       "#!ifdef WITH_A\n"
                       "  #!ifdef WITH_B\n"
                       "    #!define R \"ab\"\n"
                       "  #!else\n"
                       "    #!ifndef WITH_C\n"
                       "      #!define R \"a-notc\"\n"
                       "    #!else\n"
                       "      #!define R \"a-c\"\n"
                       "    #!endif\n"
                       "  #!endif\n"
                       "#!else\n"
                       "  this is skipped { \" unterminated\n"
                       "  #!define R \"none\"\n"
                       "#!endif\n"
                       "request_route { rec(R); }\n";
    struct kr_cfg *cfg = t_load_ok(text);
    run_expect(cfg, "a-notc;");
    kr_cfg_free(cfg);

    const char *defs[] = { "WITH_B" };
    cfg = t_load_defs(text, defs, 1);
    assert_non_null(cfg);
    run_expect(cfg, "ab;");
    kr_cfg_free(cfg);

    const char *defs2[] = { "WITH_C=1", "X=two words" };
    cfg = t_load_defs("#!ifdef WITH_C\nrequest_route { rec(\"c\"); rec(\"X\"); }\n#!endif\n", defs2,
                      2);
    assert_non_null(cfg);
    run_expect(cfg, "c;X;");
    kr_cfg_free(cfg);
}

static void test_ifdef_errors(void **state)
{
    t_load_err("#!ifdef A\nchildren=1\n",
               "t.cfg:1:1: error: #!ifdef without #!endif, expected #!endif before the end of "
               "'t.cfg'");
    t_load_err("children=1\n#!endif\n", "t.cfg:2:1: error: #!endif without #!ifdef");
    t_load_err("#!ifdef A\n#!else\n#!else\n#!endif\n",
               "t.cfg:3:1: error: second #!else for the same #!ifdef");
    t_load_err("debug=1\n  #!frobnicate X\n",
               "t.cfg:2:3: error: unknown preprocessor directive '#!frobnicate'");
    const char *bad[] = { "1X" };
    assert_null(t_load_defs("debug=1\n", bad, 1));
    assert_string_equal(t_diag, "command line: error: bad define '1X', expected NAME or "
                                "NAME=VALUE");
}

static void test_substdef(void **state)
{
    struct kr_cfg *cfg = t_load_ok("#!substdef \"!MY_HOST!example.com!g\"\n"
                                   "#!substdefs \"/MY_PORT/5080/\"\n"
                                   "#!subst \"/sip:([a-z]+)@OLD/sip:\\1@new.example/i\"\n"
                                   "alias=MY_HOST\n"
                                   "alias=\"sip.MY_HOST\"\n"
                                   "request_route {\n"
                                   "  rec(\"u@MY_HOST:MY_PORT MY_HOST\");\n"
                                   "  rec(MY_PORT);\n"
                                   "  rec(\"sip:bob@old\");\n"
                                   "}\n");
    const struct kr_cfg_core *c = kr_cfg_core(cfg);
    assert_int_equal(c->naliases, 2);
    assert_string_equal(c->aliases[0], "example.com");
    assert_string_equal(c->aliases[1], "sip.example.com");
    run_expect(cfg, "u@example.com:5080 example.com;5080;sip:bob@new.example;");
    kr_cfg_free(cfg);

    t_load_err("#!substdef \"/1bad/x/\"\n",
               "t.cfg:1:1: error: bad define name '1bad' in #!substdef, expected an identifier");
    t_load_err("#!subst \"/a/b/q\"\n",
               "t.cfg:1:1: error: unknown substitution flag 'q', expected g or i");
    t_load_err("#!subst /a/b/\n", "t.cfg:1:1: error: expected a quoted "
                                  "\"/regex/replacement/flags\" after #!subst");
}

static void test_defenv(void **state)
{
    setenv("KR_TEST_ENV", "from-env", 1);
    struct kr_cfg *cfg = t_load_ok("#!defenvs KR_TEST_ENV\n#!defenv ID=KR_TEST_ENV\n"
                                   "#!trydefenv NOPE=KR_TEST_NOT_SET_AT_ALL\n"
                                   "request_route { rec(KR_TEST_ENV); rec(\"ID\"); }\n");
    run_expect(cfg, "from-env;ID;");
    kr_cfg_free(cfg);
}

static void test_comments_and_strings(void **state)
{
    struct kr_cfg *cfg = t_load_ok("# a comment with \"quotes\n"
                                   "// another { comment\n"
                                   "/* a block\n   comment } */ debug = 1 # trailing\n"
                                   "request_route {\n"
                                   "  rec(\"a\\tb\\\\c\\\"d\"); # tab, backslash, quote\n"
                                   "  rec('single \"q\"');\n"
                                   "  rec(\"^\\+49\\.x\"); // unknown escapes stay\n"
                                   "  rec(\"con\" \"cat\");\n"
                                   "}\n");
    assert_int_equal(kr_cfg_core(cfg)->debug, 1);
    run_expect(cfg, "a\tb\\c\"d;single \"q\";^\\+49\\.x;concat;");
    kr_cfg_free(cfg);
    t_load_err("debug=1\n/* never closed\n", "t.cfg:2:1: error: unterminated comment, expected "
                                             "'*/'");
    t_load_err("request_route {\n  rec(\"open);\n}\n",
               "t.cfg:2:7: error: unterminated string, expected a closing \"");
}

static void test_include_relative(void **state)
{
    struct kr_cfg_opts o = { .modules = t_modules, .aliases = t_aliases };
    struct kr_cfg *cfg = NULL;
    int rc = kr_cfg_load(KR_CFG_TEST_DATA "/inc_main.cfg", &o, &cfg, t_diag, sizeof(t_diag));
    if (rc < 0) {
        fail_msg("%s", t_diag);
    }
    run_expect(cfg, "a;b;main;b-define;");
    kr_cfg_free(cfg);
}

static void test_include_errors(void **state)
{
    struct kr_cfg_opts o = { .modules = t_modules, .aliases = t_aliases };
    struct kr_cfg *cfg = NULL;
    char want[1024];

    assert_true(kr_cfg_load(KR_CFG_TEST_DATA "/missing.cfg", &o, &cfg, t_diag, sizeof(t_diag)) < 0);
    assert_null(cfg);
    snprintf(want, sizeof(want),
             "%s/missing.cfg:3:3: error: cannot open included file '%s/nowhere/none.cfg': No "
             "such file or directory",
             KR_CFG_TEST_DATA, KR_CFG_TEST_DATA);
    assert_string_equal(t_diag, want);

    assert_true(kr_cfg_load(KR_CFG_TEST_DATA "/cycle_a.cfg", &o, &cfg, t_diag, sizeof(t_diag)) < 0);
    snprintf(want, sizeof(want),
             "%s/cycle_b.cfg:2:1: error: include cycle: '%s/cycle_a.cfg' is already being read",
             KR_CFG_TEST_DATA, KR_CFG_TEST_DATA);
    assert_string_equal(t_diag, want);

    assert_true(
        kr_cfg_load(KR_CFG_TEST_DATA "/err_in_include.cfg", &o, &cfg, t_diag, sizeof(t_diag)) < 0);
    snprintf(want, sizeof(want), "%s/sub/bad.cfg:2:1: error: unknown core parameter 'childrn'",
             KR_CFG_TEST_DATA);
    assert_string_equal(t_diag, want);

    assert_true(kr_cfg_load("/nonexistent/korero.cfg", &o, &cfg, t_diag, sizeof(t_diag)) < 0);
    assert_string_equal(t_diag, "/nonexistent/korero.cfg: error: cannot open the config file: No "
                                "such file or directory");
}

static void test_include_depth(void **state)
{
    char dir[] = "/tmp/kr_cfg_depthXXXXXX";
    char path[128];
    assert_non_null(mkdtemp(dir));
    for (int i = 0; i <= 11; i++) {
        snprintf(path, sizeof(path), "%s/d%d.cfg", dir, i);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        if (i < 11) {
            fprintf(f, "include_file \"d%d.cfg\"\n", i + 1);
        } else {
            fprintf(f, "debug=1\n");
        }
        fclose(f);
    }
    struct kr_cfg_opts o = { .modules = t_modules, .aliases = t_aliases };
    struct kr_cfg *cfg = NULL;
    /* d1 .. d11: ten nested includes are fine */
    snprintf(path, sizeof(path), "%s/d1.cfg", dir);
    assert_int_equal(kr_cfg_load(path, &o, &cfg, t_diag, sizeof(t_diag)), 0);
    kr_cfg_free(cfg);
    snprintf(path, sizeof(path), "%s/d0.cfg", dir);
    assert_true(kr_cfg_load(path, &o, &cfg, t_diag, sizeof(t_diag)) < 0);
    assert_non_null(strstr(t_diag, "d10.cfg:1:1: error: include depth over 10"));
    for (int i = 0; i <= 11; i++) {
        snprintf(path, sizeof(path), "%s/d%d.cfg", dir, i);
        unlink(path);
    }
    rmdir(dir);
}

static void test_locations_through_defines(void **state)
{
    /* a define's tokens report where the name was used */
    t_load_err("#!define BAD nosuchfunc(1);\n"
               "request_route {\n"
               "    rec(\"x\");   BAD\n"
               "}\n",
               "t.cfg:3:17: error: unknown function 'nosuchfunc'");
}

/* --- module "k": Kamailio-named stand-ins for the kamailio.cfg fixture --- */

static int k_log(struct kr_ctx *ctx, const char *name, const struct kr_arg *args, unsigned n)
{
    char buf[256];
    size_t len = (size_t)snprintf(buf, sizeof(buf), "%s(", name);
    for (unsigned i = 0; i < n; i++) {
        struct kr_str s;
        kr_arg_str(ctx, &args[i], &s);
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.*s", i ? "," : "", (int)s.len,
                                s.ptr);
    }
    snprintf(buf + len, sizeof(buf) - len, ")");
    tlog_add(kr_str_c(buf));
    return 1;
}

#define K_FN(fname, ret)                                                                           \
    static int k_##fname(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)            \
    {                                                                                              \
        k_log(ctx, #fname, args, nargs);                                                           \
        return ret;                                                                                \
    }
K_FN(t_check_trans, -1)
K_FN(t_precheck_trans, -1)
K_FN(remove_hf, 1)
K_FN(record_route, 1)
K_FN(setflag, 1)
K_FN(sl_send_reply, 1)
K_FN(t_is_set, -1)
K_FN(t_on_branch, 1)
K_FN(t_relay, 1)
K_FN(sl_reply_error, 1)
K_FN(mf_process_maxfwd_header, 1)
K_FN(sanity_check, 1)
K_FN(xlog, 1)
K_FN(xdbg, 1)
K_FN(loose_route, -1)
K_FN(t_is_canceled, -1)
#undef K_FN

static int k_is_method(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str list = args[0].lit, m = ctx->msg->method;
    size_t start = 0;
    for (size_t i = 0; i <= list.len; i++) {
        if (i == list.len || list.ptr[i] == '|') {
            if (kr_str_caseeq(kr_str_make(list.ptr + start, i - start), m)) {
                return 1;
            }
            start = i + 1;
        }
    }
    return -1;
}

static int k_has_totag(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    const struct kr_sip_hdr *h = kr_sip_msg_hdr(ctx->msg, KR_SIP_HDR_TO, 0);
    return h && kr_str_find(h->value, KR_STR(";tag=")) >= 0 ? 1 : -1;
}

static const struct kr_func k_funcs[] = {
    { .name = "is_method", .fn = k_is_method, .args = { KR_ARG_STR } },
    { .name = "has_totag", .fn = k_has_totag },
    { .name = "t_check_trans", .fn = k_t_check_trans },
    { .name = "t_precheck_trans", .fn = k_t_precheck_trans },
    { .name = "remove_hf", .fn = k_remove_hf, .args = { KR_ARG_STR } },
    { .name = "record_route", .fn = k_record_route, .args = { KR_ARG_STR_OPT } },
    { .name = "setflag", .fn = k_setflag, .args = { KR_ARG_INT } },
    { .name = "sl_send_reply", .fn = k_sl_send_reply, .args = { KR_ARG_INT, KR_ARG_STR } },
    { .name = "t_is_set", .fn = k_t_is_set, .args = { KR_ARG_STR } },
    { .name = "t_on_branch", .fn = k_t_on_branch, .args = { KR_ARG_STR } },
    { .name = "t_relay", .fn = k_t_relay, .args = { KR_ARG_STR_OPT, KR_ARG_INT_OPT } },
    { .name = "sl_reply_error", .fn = k_sl_reply_error },
    { .name = "mf_process_maxfwd_header",
      .fn = k_mf_process_maxfwd_header,
      .args = { KR_ARG_INT } },
    { .name = "sanity_check", .fn = k_sanity_check, .args = { KR_ARG_INT_OPT, KR_ARG_INT_OPT } },
    { .name = "xlog", .fn = k_xlog, .args = { KR_ARG_STR, KR_ARG_STR_OPT } },
    { .name = "xdbg", .fn = k_xdbg, .args = { KR_ARG_STR } },
    { .name = "loose_route", .fn = k_loose_route, .routes = KR_ROUTE_REQUEST },
    { .name = "t_is_canceled", .fn = k_t_is_canceled, .routes = KR_ROUTE_FAILURE },
    { 0 },
};

static const struct kr_param k_params[] = {
    { .name = "verbose", .type = KR_PARAM_INT },
    { 0 },
};

static const struct kr_module k_module = { .name = "k", .funcs = k_funcs, .params = k_params };

static void test_kamailio_like(void **state)
{
    const struct kr_module *mods[] = { &t_module, &k_module, NULL };
    struct kr_cfg_opts o = { .modules = mods, .aliases = t_aliases };
    struct kr_cfg *cfg = NULL;
    if (kr_cfg_load(KR_CFG_TEST_DATA "/kamailio_like.cfg", &o, &cfg, t_diag, sizeof(t_diag)) < 0) {
        fail_msg("%s", t_diag);
    }
    const struct kr_cfg_core *c = kr_cfg_core(cfg);
    assert_int_equal(c->debug, 2);
    assert_true(c->log_stderror);
    assert_string_equal(c->log_prefix, "{$mt $hdr(CSeq) $ci} ");
    assert_string_equal(c->aliases[0], "example.com");
    assert_int_equal(kr_modparam_int(cfg, "k", "verbose", 0), 1);
    assert_true(kr_cfg_has_route(cfg, KR_CFG_ROUTE_BRANCH, KR_STR("MANAGE_BRANCH")));
    assert_true(kr_cfg_has_route(cfg, KR_CFG_ROUTE_ONREPLY, KR_STR("MANAGE_REPLY")));
    assert_true(kr_cfg_has_route(cfg, KR_CFG_ROUTE_EVENT, KR_STR("xhttp:request")));

    static const char options[] = "OPTIONS sip:example.com SIP/2.0\r\n"
                                  "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
                                  "From: <sip:a@example.org>;tag=1\r\n"
                                  "To: <sip:example.com>\r\n"
                                  "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                                 "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK2\r\n"
                                 "From: <sip:a@example.org>;tag=1\r\n"
                                 "To: <sip:bob@example.com>\r\n"
                                 "Call-ID: c2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    static const char bye[] = "BYE sip:bob@example.com SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK3\r\n"
                              "From: <sip:a@example.org>;tag=1\r\n"
                              "To: <sip:bob@example.com>;tag=2\r\n"
                              "Call-ID: c2\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
    struct t_run t;
    t_run_init(&t, cfg, options, NULL);
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR_NULL), KR_CFG_END_EXIT);
    assert_string_equal(tlog, "mf_process_maxfwd_header(10);sl_send_reply(200,Keepalive);");
    t_run_fini(&t);

    t_run_init(&t, cfg, invite, NULL);
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR_NULL), KR_CFG_END_EXIT);
    assert_string_equal(tlog, "mf_process_maxfwd_header(10);sanity_check(17895,7);"
                              "t_precheck_trans();t_check_trans();remove_hf(Route);"
                              "record_route();setflag(1);t_is_set(branch_route);"
                              "t_on_branch(MANAGE_BRANCH);t_relay();");
    t_run_fini(&t);

    t_run_init(&t, cfg, bye, NULL);
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR_NULL), KR_CFG_END_EXIT);
    assert_string_equal(tlog, "mf_process_maxfwd_header(10);sanity_check(17895,7);"
                              "t_precheck_trans();t_check_trans();loose_route();"
                              "sl_send_reply(404,Not here);");
    t_run_fini(&t);
    kr_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_define_basic),
        cmocka_unit_test(test_define_continuation_and_nesting),
        cmocka_unit_test(test_define_twice),
        cmocka_unit_test(test_ifdef_nested),
        cmocka_unit_test(test_ifdef_errors),
        cmocka_unit_test(test_substdef),
        cmocka_unit_test(test_defenv),
        cmocka_unit_test(test_comments_and_strings),
        cmocka_unit_test(test_include_relative),
        cmocka_unit_test(test_include_errors),
        cmocka_unit_test(test_include_depth),
        cmocka_unit_test(test_locations_through_defines),
        cmocka_unit_test(test_kamailio_like),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
