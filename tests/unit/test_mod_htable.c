/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The htable module through the real config engine: $sht/$shtex/$shtinc/$shtcn/$shtcv in
 * routes, the sht_* functions, expiry (moved into the past with $shtex, no sleeping), the
 * RPC commands called through the registry, concurrent writers on two threads, the
 * htable:mod-init event route, and load/init errors for unknown tables and bad params. */
#include <pthread.h>
#include <stdio.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cfg/pv.h"
#include "core/rpc.h"
#include "modules/htable/htable.h"
#include "test_mod_util.h"

static const char CFG[] =
    "max_while_loops=1000\n"
    "loadmodule \"htable.so\"\n"
    "modparam(\"htable\", \"htable\", \"a=>size=4;\")\n"
    "modparam(\"htable\", \"htable\", \"e=>size=2;autoexpire=1;\")\n"
    "modparam(\"htable\", \"htable\", \"i=>initval=5;updateexpire=0;autoexpire=100\")\n"
    "modparam(\"htable\", \"htable\", \"c=>size=3\")\n"
    "modparam(\"htable\", \"htable\", \"d=>size=8;dbtable=htable;dbmode=1\")\n"
    "event_route[htable:mod-init] { $sht(a=>boot) = \"yes\"; }\n"
    "request_route { return 1; }\n"
    "route[basic] {\n"
    "    $sht(a=>n) = 1;\n"
    "    $sht(a=>s) = \"hello\";\n"
    "    if ($sht(a=>n) != 1) { return 2; }\n"
    "    if ($sht(a=>s) != \"hello\") { return 3; }\n"
    "    $sht(a=>n) = 2;\n"
    "    if ($sht(a=>n) != 2) { return 4; }\n"
    "    $sht(a=>s) = 7;\n"
    "    if ($sht(a=>s) != 7) { return 5; }\n"
    "    $sht(a=>s) = $null;\n"
    "    if ($sht(a=>s) != $null) { return 6; }\n"
    "    if ($sht(a=>missing) != $null) { return 7; }\n"
    "    $var(u) = \"alice\";\n"
    "    $sht(a=>u:$var(u)) = \"x\";\n"
    "    if ($sht(a=>u:alice) != \"x\") { return 8; }\n"
    "    if ($shtinc(a=>cnt) != 1) { return 9; }\n"
    "    if ($shtinc(a=>cnt) != 2) { return 10; }\n"
    "    if ($shtdec(a=>cnt) != 1) { return 11; }\n"
    "    if ($sht(i=>none) != 5) { return 12; }\n"
    "    if ($shtcn(a=>^u:) != 1) { return 13; }\n"
    "    if ($shtcv(a=>^x) != 1) { return 14; }\n"
    "    $var(t) = \"a\";\n"
    "    if ($sht($var(t)=>u:alice) != \"x\") { return 15; }\n"
    "    return 1;\n"
    "}\n"
    "route[expire] {\n"
    "    $sht(a=>t) = 1;\n"
    "    if ($shtex(a=>t) != 0) { return 2; }\n"
    "    $shtex(a=>t) = 100;\n"
    "    if ($shtex(a=>t) < 99) { return 3; }\n"
    "    $shtex(a=>t) = -1;\n"
    "    if ($sht(a=>t) != $null) { return 4; }\n"
    "    if ($shtex(a=>t) != $null) { return 5; }\n"
    "    $sht(e=>x) = 1;\n"
    "    if ($shtex(e=>x) != 1) { return 6; }\n"
    "    $shtex(e=>x) = 50;\n"
    "    $sht(e=>x) = 2;\n"
    "    if ($shtex(e=>x) != 1) { return 7; }\n"
    "    $sht(i=>k) = 1;\n"
    "    $shtex(i=>k) = 5;\n"
    "    $sht(i=>k) = 2;\n"
    "    if ($shtex(i=>k) > 5) { return 8; }\n"
    "    if ($sht(i=>k) != 2) { return 9; }\n"
    "    $shtex(e=>x) = -5;\n"
    "    if ($shtcn(e=>.) != 0) { return 10; }\n"
    "    return 1;\n"
    "}\n"
    "route[rm] {\n"
    "    $sht(a=>r1) = \"v1\";\n"
    "    $sht(a=>r2) = \"v2\";\n"
    "    $sht(a=>q1) = \"keep\";\n"
    "    sht_rm(\"a\", \"r1\");\n"
    "    if ($sht(a=>r1) != $null || $sht(a=>r2) != \"v2\") { return 2; }\n"
    "    sht_rm_name_re(\"a=>^r\");\n"
    "    if ($sht(a=>r2) != $null) { return 3; }\n"
    "    if ($sht(a=>q1) != \"keep\") { return 4; }\n"
    "    $sht(a=>z1) = \"drop\";\n"
    "    $sht(a=>z2) = 99;\n"
    "    sht_rm_value_re(\"a=>^dr\");\n"
    "    if ($sht(a=>z1) != $null) { return 5; }\n"
    "    sht_rm_value_re(\"a\", \"^9+\");\n"
    "    if ($sht(a=>z2) != $null) { return 6; }\n"
    "    $sht(a=>w1) = 1;\n"
    "    $var(re) = \"^w\";\n"
    "    sht_rm_name_re(\"a\", \"$var(re)\");\n"
    "    if ($sht(a=>w1) != $null) { return 7; }\n"
    "    $sht(a=>sw1) = 1;\n"
    "    $sht(a=>xsw) = \"sw\";\n"
    "    sht_rm_name(\"a\", \"sw\", \"sw\");\n"
    "    if ($sht(a=>sw1) != $null || $sht(a=>xsw) != \"sw\") { return 8; }\n"
    "    sht_rm_value(\"a\", \"re\", \"^s\");\n"
    "    if ($sht(a=>xsw) != $null) { return 9; }\n"
    "    sht_reset(\"a\");\n"
    "    if ($sht(a=>q1) != $null) { return 10; }\n"
    "    if ($shtcn(a=>.*) != 0) { return 11; }\n"
    "    if (sht_reset(\"$var(re)\")) { return 12; }\n"
    "    return 1;\n"
    "}\n"
    "route[rpc] {\n"
    "    if ($sht(a=>k) != \"v\") { return 2; }\n"
    "    if ($sht(a=>ki) != 42) { return 3; }\n"
    "    $sht(a=>fromcfg) = \"c\";\n"
    "    return 1;\n"
    "}\n"
    "route[conc] {\n"
    "    $var(i) = 0;\n"
    "    while ($var(i) < 300) {\n"
    "        $sht(c=>k$var(i)) = $var(i);\n"
    "        $var(x) = $shtinc(c=>cnt);\n"
    "        if ($sht(c=>k$var(i)) == $null) { return 2; }\n"
    "        $var(i) = $var(i) + 1;\n"
    "    }\n"
    "    return 1;\n"
    "}\n";

static const char MSG[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                          "From: <sip:b@example.com>;tag=1\r\n"
                          "To: <sip:a@example.com>\r\n"
                          "Call-ID: h1\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "Content-Length: 0\r\n\r\n";

struct fix {
    struct kr_cfg *cfg;
    struct kr_vars *vars;
    struct tm_ctx t;
};

static struct kr_cfg *load(const char *text, char *diag, size_t dsize)
{
    struct kr_cfg_opts o = { .modules = kr_builtin_modules, .aliases = kr_core_module_aliases };
    struct kr_cfg *cfg = NULL;
    diag[0] = '\0';
    int rc = kr_cfg_load_buf("test.cfg", text, strlen(text), &o, &cfg, diag, dsize);
    return rc == 0 ? cfg : NULL;
}

static int setup(void **state)
{
    char diag[2048];
    struct kr_err err = { 0 };
    struct fix *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->cfg = load(CFG, diag, sizeof(diag));
    if (!f->cfg) {
        fail_msg("config did not load: %s", diag);
    }
    assert_int_equal(kr_cfg_init_modules(f->cfg, &err), 0);
    f->vars = kr_vars_new();
    assert_non_null(f->vars);
    tm_init(&f->t, MSG);
    f->t.ctx.cfg = f->cfg;
    f->t.ctx.vars = f->vars;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    tm_fini(&f->t);
    kr_vars_free(f->vars);
    kr_cfg_free(f->cfg);
    kr_rpc_reset();
    free(f);
    return 0;
}

static int64_t run(struct fix *f, const char *route)
{
    int rc = kr_cfg_run(f->cfg, &f->t.ctx, KR_CFG_ROUTE_SUB, kr_str_c(route));
    assert_int_equal(rc, KR_CFG_END_DONE);
    return f->t.ctx.retcode;
}

static struct kr_value get(struct fix *f, const char *text)
{
    struct kr_pv *pv = NULL;
    struct kr_value v;
    struct kr_err err = { 0 };
    assert_int_equal(kr_cfg_pv_parse(f->cfg, kr_str_c(text), &pv, &err), 0);
    assert_int_equal(kr_pv_get(&f->t.ctx, pv, &v), 0);
    return v;
}

static void test_basic(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "basic"), 1);
    struct kr_value v = get(f, "$sht(a=>u:alice)");
    assert_int_equal(v.type, KR_VAL_STR);
    tm_str_eq(v.s, "x");
    v = get(f, "$sht(a=>n)");
    assert_int_equal(v.type, KR_VAL_INT);
    assert_int_equal(v.i, 2);
}

static void test_expire(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "expire"), 1);
}

static void test_rm(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "rm"), 1);
}

static json_t *call(const char *name, json_t *params, int want_rc, int want_code)
{
    const struct kr_rpc_cmd *c = kr_rpc_find(name);
    struct kr_rpc_err err = { 0 };
    json_t *res = NULL;
    assert_non_null(c);
    int rc = c->fn(params, &res, &err);
    if ((want_rc == 0) != (rc == 0)) {
        fail_msg("%s: rc %d (%s)", name, rc, err.msg ? err.msg : "-");
    }
    if (want_code) {
        assert_int_equal(err.code, want_code);
    }
    json_decref(params);
    return res;
}

static void test_rpc(void **state)
{
    struct fix *f = *state;

    call("htable.sets", json_pack("[s,s,s]", "a", "k", "v"), 0, 0);
    call("htable.seti", json_pack("[s,s,i]", "a", "ki", 42), 0, 0);
    assert_int_equal(run(f, "rpc"), 1);

    json_t *r = call("htable.get", json_pack("[s,s]", "a", "fromcfg"), 0, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "item"), "value")),
                        "c");
    json_decref(r);
    r = call("htable.get", json_pack("[s,s]", "a", "ki"), 0, 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "item"), "value")), 42);
    json_decref(r);
    call("htable.get", json_pack("[s,s]", "a", "nope"), -1, 404);
    call("htable.get", json_pack("[s,s]", "zz", "k"), -1, 404);

    r = call("htable.dump", json_pack("[s]", "a"), 0, 0);
    assert_true(json_is_array(r));
    bool found = false;
    size_t i;
    json_t *o;
    json_array_foreach(r, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "name")), "ki") == 0) {
            found = json_integer_value(json_object_get(o, "value")) == 42 &&
                    json_integer_value(json_object_get(o, "expires")) == 0;
        }
    }
    assert_true(found);
    assert_true(json_array_size(r) >= 3);
    json_decref(r);

    call("htable.delete", json_pack("[s,s]", "a", "k"), 0, 0);
    assert_int_equal(get(f, "$sht(a=>k)").type, KR_VAL_NULL);

    r = call("htable.listTables", NULL, 0, 0);
    assert_int_equal(json_array_size(r), 5);
    o = json_array_get(r, 1);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "e");
    assert_int_equal(json_integer_value(json_object_get(o, "expire")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "size")), 2);
    o = json_array_get(r, 2);
    assert_int_equal(json_integer_value(json_object_get(o, "initval")), 5);
    assert_int_equal(json_integer_value(json_object_get(o, "updateexpire")), 0);
    json_decref(r);

    call("htable.flush", json_pack("[s]", "a"), 0, 0);
    r = call("htable.dump", json_pack("[s]", "a"), 0, 0);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
}

struct worker_arg {
    const struct kr_cfg *cfg;
    int64_t ret;
};

static void *worker(void *p)
{
    struct worker_arg *w = p;
    struct kr_arena a;
    struct kr_ctx ctx;
    struct kr_vars *vars = kr_vars_new();
    kr_arena_init(&a, 4096, 1 << 22);
    kr_ctx_init(&ctx, w->cfg, &a, NULL, NULL, vars);
    int rc = kr_cfg_run(w->cfg, &ctx, KR_CFG_ROUTE_SUB, KR_STR("conc"));
    w->ret = rc == KR_CFG_END_DONE ? ctx.retcode : rc;
    kr_arena_fini(&a);
    kr_vars_free(vars);
    return NULL;
}

static void test_threads(void **state)
{
    struct fix *f = *state;
    pthread_t th[2];
    struct worker_arg w[2] = { { .cfg = f->cfg }, { .cfg = f->cfg } };

    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ret, 1);
    }
    struct kr_value v = get(f, "$sht(c=>cnt)");
    assert_int_equal(v.type, KR_VAL_INT);
    assert_int_equal(v.i, 600);
    v = get(f, "$shtcn(c=>^k)");
    assert_int_equal(v.i, 300);
    v = get(f, "$sht(c=>k299)");
    assert_int_equal(v.i, 299);
}

static void test_mod_init_route(void **state)
{
    struct fix *f = *state;
    assert_int_equal(kr_htable_run_mod_init(f->cfg), 0);
    struct kr_value v = get(f, "$sht(a=>boot)");
    assert_int_equal(v.type, KR_VAL_STR);
    tm_str_eq(v.s, "yes");
}

static void expect_load_error(const char *text, const char *want1, const char *want2)
{
    char diag[2048];
    struct kr_cfg *cfg = load(text, diag, sizeof(diag));
    if (cfg) {
        kr_cfg_free(cfg);
        fail_msg("config loaded, expected an error: %s", text);
    }
    if (!strstr(diag, want1) || (want2 && !strstr(diag, want2))) {
        fail_msg("diag '%s' lacks '%s' / '%s'", diag, want1, want2 ? want2 : "");
    }
}

static void expect_init_error(const char *text)
{
    char diag[2048];
    struct kr_err err = { 0 };
    struct kr_cfg *cfg = load(text, diag, sizeof(diag));
    if (!cfg) {
        fail_msg("config did not load: %s", diag);
    }
    assert_true(kr_cfg_init_modules(cfg, &err) < 0);
    assert_non_null(err.reason);
    assert_non_null(strstr(err.reason, "htable"));
    kr_cfg_free(cfg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_load_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=4\")\n"
                      "request_route { $sht(x=>k) = 1; }\n",
                      "no such hash table", "x=>k");
    expect_load_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=4\")\n"
                      "request_route { $var(y) = $shtex(nope=>k); }\n",
                      "no such hash table", "nope=>k");
    expect_load_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=4\")\n"
                      "request_route { $sht(a) = 1; }\n",
                      "table=>key", NULL);
    expect_load_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=4\")\n"
                      "request_route { sht_rm(\"b\", \"k\"); }\n",
                      "no such hash table", NULL);
    expect_load_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=4\")\n"
                      "request_route { sht_rm_name_re(\"a=>(\"); }\n",
                      "regular expression", NULL);
    expect_load_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=4\")\n"
                      "request_route { sht_rm_name(\"a\", \"xx\", \"k\"); }\n",
                      "operator", NULL);
    expect_init_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=big\")\n"
                      "request_route { return 1; }\n");
    expect_init_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"noarrow\")\n"
                      "request_route { return 1; }\n");
    expect_init_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>colour=red\")\n"
                      "request_route { return 1; }\n");
    expect_init_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=2\")\n"
                      "modparam(\"htable\", \"htable\", \"a=>size=3\")\n"
                      "request_route { return 1; }\n");
    expect_init_error("loadmodule \"htable.so\"\n"
                      "modparam(\"htable\", \"htable\", \"a=>updateexpire=2\")\n"
                      "request_route { return 1; }\n");
    kr_rpc_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mod_init_route, setup, teardown),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
