/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for cfg/interp and the script variables: control flow (if, switch, while,
 * return through route(X), exit, drop, a function returning 0), expressions (precedence,
 * casts, concatenation, regex, $null), $var persistence, $avp stacks and $shv. */
#include "test_cfg_util.h"

/* Loads a config whose request_route is body, runs it once, checks the log. */
static int run_body(const char *body, const char *want)
{
    char text[4096];
    snprintf(text, sizeof(text), "request_route {\n%s\n}\n", body);
    struct kr_cfg *cfg = t_load_ok(text);
    struct kr_vars *vars = kr_vars_new();
    struct t_run t;
    int rc = t_run_req(cfg, vars, &t);
    if (strcmp(tlog, want) != 0) {
        fail_msg("log: '%s'\nwant: '%s'\nfor: %s", tlog, want, body);
    }
    t_run_fini(&t);
    kr_vars_free(vars);
    kr_cfg_free(cfg);
    return rc;
}

static void test_if_else(void **state)
{
    run_body("if (ret(1)) { rec(\"then\"); } else { rec(\"else\"); }", "r1;then;");
    run_body("if (ret(-1)) { rec(\"then\"); } else { rec(\"else\"); }", "r-1;else;");
    run_body("if (!ret(-1)) rec(\"neg\"); else rec(\"pos\");", "r-1;neg;");
    run_body("$var(a) = 2;\n"
             "if ($var(a) == 1) { rec(\"one\"); }\n"
             "else if ($var(a) == 2) { rec(\"two\"); }\n"
             "else { rec(\"other\"); }",
             "two;");
    run_body("if (ret(1) && ret(-1)) rec(\"x\"); if (ret(-1) && ret(1)) rec(\"y\");"
             "if (ret(-1) || ret(2)) rec(\"z\"); if (ret(3) || ret(4)) rec(\"w\");",
             "r1;r-1;r-1;r-1;r2;z;r3;w;");
    run_body("if (1) { { rec(\"nested\"); } ; }", "nested;");
}

static void test_function_zero_stops(void **state)
{
    assert_int_equal(run_body("rec(\"a\"); if (ret(0)) { rec(\"b\"); } rec(\"c\");", "a;r0;"),
                     KR_CFG_END_EXIT);
    assert_int_equal(run_body("rec(\"a\"); ret(0); rec(\"c\");", "a;r0;"), KR_CFG_END_EXIT);
    assert_int_equal(run_body("$var(x) = ret(0); rec(\"c\");", "r0;"), KR_CFG_END_EXIT);
    assert_int_equal(
        run_body("if (ret(-1) || ret(0) || ret(1)) { rec(\"b\"); } rec(\"c\");", "r-1;r0;"),
        KR_CFG_END_EXIT);
}

static void test_switch(void **state)
{
    const char *sw = "switch ($var(x)) {\n"
                     "case 1: rec(\"one\");\n"
                     "case 2: rec(\"two\"); break;\n"
                     "case \"three\": rec(\"3\");\n"
                     "default: rec(\"default\");\n"
                     "case 4: rec(\"four\"); break;\n"
                     "case -5: rec(\"m5\");\n"
                     "}\n"
                     "rec(\"after\");";
    char body[1024];
    snprintf(body, sizeof(body), "$var(x) = 1;\n%s", sw);
    run_body(body, "one;two;after;");
    snprintf(body, sizeof(body), "$var(x) = \"2\";\n%s", sw);
    run_body(body, "two;after;");
    snprintf(body, sizeof(body), "$var(x) = \"three\";\n%s", sw);
    run_body(body, "3;default;four;after;");
    snprintf(body, sizeof(body), "$var(x) = 9;\n%s", sw);
    run_body(body, "default;four;after;");
    snprintf(body, sizeof(body), "$var(x) = -5;\n%s", sw);
    run_body(body, "m5;after;");
    run_body("switch (7) { case 1: rec(\"x\"); } rec(\"none\");", "none;");
    /* break inside an if inside a switch leaves the switch */
    run_body("switch (1) { case 1: if (1) { rec(\"a\"); break; } rec(\"b\"); } rec(\"c\");",
             "a;c;");
}

static void test_while_break_and_cap(void **state)
{
    run_body("$var(i) = 0;\n"
             "while ($var(i) < 10) {\n"
             "  $var(i) = $var(i) + 1;\n"
             "  rec($var(i));\n"
             "  if ($var(i) >= 3) { break; }\n"
             "}\n"
             "rec(\"end\");",
             "1;2;3;end;");
    /* max_while_loops stops an endless loop */
    struct kr_cfg *cfg = t_load_ok("max_while_loops=5\n"
                                   "request_route { $var(n) = 0; while (1) { $var(n) = $var(n) "
                                   "+ 1; } rec($var(n)); }\n");
    struct kr_vars *vars = kr_vars_new();
    struct t_run t;
    assert_int_equal(t_run_req(cfg, vars, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "5;");
    t_run_fini(&t);
    kr_vars_free(vars);
    kr_cfg_free(cfg);
}

static void test_routes_and_return(void **state)
{
    struct kr_cfg *cfg =
        t_load_ok("request_route {\n"
                  "  route(TWO); rec($rc);\n"
                  "  if (route(NEG)) { rec(\"neg-true\"); } else { rec(\"neg-false\"); }\n"
                  "  if (route(FALL)) { rec(\"fall-true\"); }\n"
                  "  $var(r) = \"TWO\"; route($var(r)); rec($retcode);\n"
                  "  route(ZERO);\n"
                  "  rec(\"not reached\");\n"
                  "}\n"
                  "route[TWO] { rec(\"in-two\"); return 2; rec(\"no\"); }\n"
                  "route[NEG] { return(-1); }\n"
                  "route[FALL] { rec(\"fall\"); }\n"
                  "route[ZERO] { rec(\"zero\"); return 0; }\n");
    struct kr_vars *vars = kr_vars_new();
    struct t_run t;
    assert_int_equal(t_run_req(cfg, vars, &t), KR_CFG_END_EXIT);
    assert_string_equal(tlog, "in-two;2;neg-false;fall;fall-true;in-two;2;zero;");
    t_run_fini(&t);

    /* return at the top level */
    kr_cfg_free(cfg);
    cfg = t_load_ok("request_route { rec(\"a\"); return 5; }\n");
    assert_int_equal(t_run_req(cfg, vars, &t), KR_CFG_END_DONE);
    assert_int_equal(t.ctx.retcode, 5);
    t_run_fini(&t);
    kr_cfg_free(cfg);

    /* unbounded recursion stops at max_recursive_level */
    cfg = t_load_ok("max_recursive_level=10\n"
                    "request_route { $var(d) = 0; route(R); rec($var(d)); }\n"
                    "route[R] { $var(d) = $var(d) + 1; route(R); }\n");
    assert_int_equal(t_run_req(cfg, vars, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "10;");
    t_run_fini(&t);
    kr_cfg_free(cfg);
    kr_vars_free(vars);
}

static void test_exit_drop(void **state)
{
    assert_int_equal(run_body("rec(\"a\"); exit; rec(\"b\");", "a;"), KR_CFG_END_EXIT);
    assert_int_equal(run_body("rec(\"a\"); exit(); rec(\"b\");", "a;"), KR_CFG_END_EXIT);
    struct kr_cfg *cfg = t_load_ok("request_route { route(D); rec(\"no\"); }\n"
                                   "route[D] { rec(\"d\"); drop; }\n"
                                   "reply_route { rec(\"reply\"); drop(); }\n"
                                   "failure_route[F] { rec(\"f\"); }\n");
    struct t_run t;
    assert_int_equal(t_run_req(cfg, NULL, &t), KR_CFG_END_DROP);
    assert_true(t.ctx.dropped);
    assert_string_equal(tlog, "d;");
    t_run_fini(&t);

    t_run_init(&t, cfg, NULL, NULL);
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REPLY, KR_STR_NULL), KR_CFG_END_DROP);
    assert_int_equal(t.ctx.route_type, KR_ROUTE_REPLY);
    assert_string_equal(tlog, "reply;");
    t_run_fini(&t);

    t_run_init(&t, cfg, NULL, NULL);
    int idx = kr_cfg_route_index(cfg, KR_CFG_ROUTE_FAILURE, KR_STR("F"));
    assert_true(idx >= 0);
    assert_int_equal(kr_cfg_run_index(cfg, &t.ctx, idx), KR_CFG_END_DONE);
    assert_int_equal(t.ctx.route_type, KR_ROUTE_FAILURE);
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_ONSEND, KR_STR_NULL), KR_ENOTFOUND);
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_FAILURE, KR_STR("G")), KR_ENOTFOUND);
    t_run_fini(&t);
    kr_cfg_free(cfg);
}

static void test_expression_values(void **state)
{
    run_body("$var(a) = 1 + 2 * 3; rec($var(a));\n"
             "$var(a) = (1 + 2) * 3; rec($var(a));\n"
             "$var(a) = 10 - 4 - 3; rec($var(a));\n"
             "$var(a) = 7 % 4 + 100 / 7; rec($var(a));\n"
             "$var(a) = -3 + 1; rec($var(a));\n"
             "$var(a) = 6 & 3 | 8; rec($var(a));\n"
             "$var(a) = 1 << 4 ^ 1; rec($var(a));\n"
             "$var(a) = ~0; rec($var(a));\n"
             "$var(a) = 1 == 1 && 2 > 1; rec($var(a));\n"
             "$var(a) = 1 + 1 == 2; rec($var(a));\n",
             "7;9;3;17;-2;10;17;-1;1;1;");
    run_body("$var(s) = \"a\" + 1; rec($var(s));\n"
             "$var(s) = 1 + \"2\"; rec($var(s));\n"
             "$var(s) = 1 + \"x\"; rec($var(s));\n"
             "$var(s) = (str)5 + 1; rec($var(s));\n"
             "$var(s) = (int)\"12abc\" + 1; rec($var(s));\n"
             "$var(s) = (int)\"abc\"; rec($var(s));\n"
             "$var(s) = \"sip:\" + \"bob\" + \"@\" + 5060; rec($var(s));\n"
             "$var(s) = strlen(\"hello\") + strempty(\"\") + strempty(\"x\"); rec($var(s));\n",
             "a1;3;1x;51;13;0;sip:bob@5060;6;");
    run_body("if (\"abc\" < \"abd\") rec(\"lt\");\n"
             "if (\"b\" > \"abc\") rec(\"gt\");\n"
             "if (10 > 9) rec(\"int\");\n"
             "if (\"10\" > \"9\") rec(\"str\"); else rec(\"str-else\");\n"
             "if (\"5\" eq 5) rec(\"eq\");\n"
             "if (\"05\" ieq 5) rec(\"ieq\");\n"
             "if (\"05\" ne 5) rec(\"ne\");\n"
             "if ($vn(undefined) == $null) rec(\"null\");\n"
             "if (!defined $vn(undefined)) rec(\"undef\");\n"
             "$var(z) = 0; if (defined $var(z)) rec(\"def\");\n"
             "$vn(d) = 5 / 0; if ($vn(d) == $null) rec(\"div0\");\n"
             "if ($var(unset) == 0 && defined $var(unset)) rec(\"var0\");\n"
             "$var(z) = \"s\"; $var(z) = $null; rec($var(z));\n",
             "lt;gt;int;str-else;eq;ieq;ne;null;undef;def;div0;var0;0;");
}

static void test_regex(void **state)
{
    run_body("$var(u) = \"sip:Alice@Example.com\";\n"
             "if ($var(u) =~ \"^sip:alice@\") rec(\"icase\");\n"
             "if ($var(u) !~ \"bob\") rec(\"nomatch\");\n"
             "if (!($var(u) =~ \"bob\")) rec(\"not\");\n"
             "$var(re) = \"example\\.(com|net)$\";\n"
             "if ($var(u) =~ $var(re)) rec(\"dynamic\");\n"
             "if ($vn(nothing) =~ \".*\") rec(\"null-matches\");\n"
             "if (re(\"^SIP:\", \"$var(u)\")) rec(\"arg\");\n",
             "icase;nomatch;not;dynamic;arg;");
}

static void test_args(void **state)
{
    run_body("$var(n) = 42; ret(\"$var(n)\"); ret($var(n)); ret(\"404\"); ret(-7);\n"
             "$var(bad) = \"x\"; ret($var(bad));\n"
             "opt(\"a\"); opt(\"b\", \"$var(n)\"); opt(\"c\", 3);\n"
             "rec(\"$var(n)-$vn(missing)-$$-$ \"); rec($vn(missing)); rec($var(missing));\n"
             "rec(udp:1.2.3.4:5060); rec(WORD);\n"
             "picky(\"good\");\n"
             "setpv(\"$var(p)\", \"set-$var(n)\"); rec($var(p));\n"
             "setpv($avp(p), \"avp\"); rec($avp(p));",
             "r42;r42;r404;r-7;ret-error;a/1;b+42/2;c+3/2;42-<null>-$-$ ;<null>;0;udp:1.2.3.4:5060;"
             "WORD;fixed;set-42;avp;");
}

static void test_var_persistence(void **state)
{
    const char *text = "request_route { $var(count) = $var(count) + 1; rec($var(count));"
                       " $var(s) = $var(s) + \"x\"; rec($var(s)); }\n";
    struct kr_cfg *cfg = t_load_ok(text);
    struct kr_vars *vars = kr_vars_new();
    struct kr_vars *other = kr_vars_new();
    struct t_run t;

    assert_int_equal(t_run_req(cfg, vars, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "1;0x;");
    t_run_fini(&t);
    assert_int_equal(t_run_req(cfg, vars, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "2;0xx;");
    t_run_fini(&t);
    /* another worker has its own */
    assert_int_equal(t_run_req(cfg, other, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "1;0x;");
    t_run_fini(&t);

    /* a reloaded config keeps the values of the names it still has */
    struct kr_cfg *cfg2 = t_load_ok("request_route { $var(new) = 1;"
                                    " $var(count) = $var(count) + 10; rec($var(count)); "
                                    "rec($var(s)); }\n");
    assert_int_equal(t_run_req(cfg2, vars, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "12;0xx;");
    t_run_fini(&t);
    kr_cfg_free(cfg2);
    kr_cfg_free(cfg);
    kr_vars_free(vars);
    kr_vars_free(other);
}

static void test_avp(void **state)
{
    run_body("$avp(x) = 1; $avp(x) = \"two\"; $avp(s:x) = 3;\n"
             "rec($avp(x)); rec($(avp(x)[0])); rec($(avp(x)[1])); rec($(avp(x)[2]));\n"
             "rec($(avp(x)[3])); rec($(avp(x)[-1])); rec($(avp(x)[*]));\n"
             "$var(i) = 1; rec($(avp(x)[$var(i)]));\n"
             "$avp(y) = \"other\";\n"
             "$avp(x) = $null; rec($avp(x)); rec($avp(y));\n"
             "$avp(z) = 1; $avp(z) = 2; $avp(z) := 9; rec($(avp(z)[*]));\n",
             "3;3;two;1;<null>;1;3,two,1;two;<null>;other;9;");
}

static void test_shv(void **state)
{
    struct kr_cfg *cfg = t_load_ok("modparam(\"pv\", \"shvset\", \"hits=i:100\")\n"
                                   "request_route { $shv(hits) = $shv(hits) + 1; "
                                   "rec($shv(hits)); $shv(name) = \"n\" + $shv(hits); }\n"
                                   "route[SHOW] { rec($shv(name)); }\n");
    struct kr_vars *v1 = kr_vars_new(), *v2 = kr_vars_new();
    struct t_run t;
    assert_int_equal(t_run_req(cfg, v1, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "101;");
    t_run_fini(&t);
    assert_int_equal(t_run_req(cfg, v2, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "102;");
    t_run_fini(&t);
    t_run_init(&t, cfg, NULL, v1);
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_SUB, KR_STR("SHOW")), KR_CFG_END_DONE);
    assert_string_equal(tlog, "n102;");
    t_run_fini(&t);
    kr_vars_free(v1);
    kr_vars_free(v2);
    kr_cfg_free(cfg);
}

static void test_transformations(void **state)
{
    run_body(
        "$var(s) = \"Hello World\";\n"
        "rec($(var(s){s.len})); rec($(var(s){s.substr,6,0})); rec($(var(s){s.substr,0,5}));\n"
        "rec($(var(s){s.substr,-5,3})); rec($(var(s){s.tolower})); rec($(var(s){s.toupper}));\n"
        "rec($(var(s){s.tolower}{s.len}{s.int}));\n"
        "$var(p) = \"  pad \"; rec(\"[$(var(p){s.trim})]\");\n"
        "$var(n) = \"42abc\"; rec($(var(n){s.int}));\n"
        "$var(l) = \"a=1;b=2;c\"; rec($(var(l){param.value,b})); rec($(var(l){param.count}));\n"
        "rec($(var(l){param.value,x})); rec($(var(l){param.name,2})); rec($(var(l){param.in,c}));\n"
        "$var(l2) = \"x:1,y:2\"; rec($(var(l2){s.select,1,\\,}));\n"
        "$var(off) = 6; rec($(var(s){s.substr,$var(off),0}));\n"
        "rec($(var(s){tt.twice}{s.len}));\n"
        "rec($(var(s){s.replace,o,0}));\n"
        "rec($(vn(undefined){s.len}));\n"
        "rec($_s(len=$(var(s){s.len})));\n",
        "11;World;Hello;Wor;hello world;HELLO WORLD;11;[pad];42;2;3;<null>;c;1;y:2;World;22;"
        "Hell0 W0rld;0;len=11;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_if_else),
        cmocka_unit_test(test_function_zero_stops),
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_while_break_and_cap),
        cmocka_unit_test(test_routes_and_return),
        cmocka_unit_test(test_exit_drop),
        cmocka_unit_test(test_expression_values),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_var_persistence),
        cmocka_unit_test(test_avp),
        cmocka_unit_test(test_shv),
        cmocka_unit_test(test_transformations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
