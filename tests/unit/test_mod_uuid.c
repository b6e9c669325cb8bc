/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The uuid module through the real config engine: $uuid(g/r/t/s) give well-formed RFC 4122
 * UUIDs (8-4-4-4-12 lowercase hex, version and variant bits), each read a fresh one; a bad
 * name is a config error. */
#include <stdio.h>

#include "cfg/cfg.h"
#include "cfg/pv.h"
#include "modules/uuid/uuid.h"
#include "test_mod_util.h"

static struct kr_cfg *load(const char *text, char *diag, size_t dsize)
{
    struct kr_cfg_opts o = { .modules = kr_builtin_modules, .aliases = kr_core_module_aliases };
    struct kr_cfg *cfg = NULL;
    diag[0] = '\0';
    int rc = kr_cfg_load_buf("test.cfg", text, strlen(text), &o, &cfg, diag, dsize);
    return rc == 0 ? cfg : NULL;
}

static void check_uuid(struct kr_str s, char version)
{
    assert_int_equal(s.len, 36);
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(c, '-');
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            fail_msg("not lowercase hex at %zu: %.*s", i, (int)s.len, s.ptr);
        }
    }
    assert_int_equal(s.ptr[14], version);
    assert_non_null(strchr("89ab", s.ptr[19])); /* variant 10xx */
}

static const char CFG[] = "loadmodule \"uuid.so\"\n"
                          "request_route {\n"
                          "    $var(g1) = $uuid(g);\n"
                          "    $var(g2) = $uuid(g);\n"
                          "    $var(r) = $uuid(r);\n"
                          "    $var(t1) = $uuid(t);\n"
                          "    $var(t2) = $uuid(t);\n"
                          "    $var(s) = $uuid(s);\n"
                          "    if ($var(g1) == $var(g2)) { return 2; }\n"
                          "    return 1;\n"
                          "}\n";

static const char MSG[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                          "From: <sip:b@example.com>;tag=1\r\n"
                          "To: <sip:a@example.com>\r\n"
                          "Call-ID: u1\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "Content-Length: 0\r\n\r\n";

static struct kr_str var(struct tm_ctx *t, const char *name)
{
    char text[64];
    struct kr_pv *pv = NULL;
    struct kr_value v;
    struct kr_err err = { 0 };
    int n = snprintf(text, sizeof(text), "$var(%s)", name);
    assert_int_equal(
        kr_cfg_pv_parse((struct kr_cfg *)t->ctx.cfg, kr_str_make(text, (size_t)n), &pv, &err), 0);
    assert_int_equal(kr_pv_get(&t->ctx, pv, &v), 0);
    assert_int_equal(v.type, KR_VAL_STR);
    return v.s;
}

static void test_pv(void **state)
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
    tm_init(&t, MSG);
    t.ctx.cfg = cfg;
    t.ctx.vars = vars;
    assert_int_equal(kr_cfg_run(cfg, &t.ctx, KR_CFG_ROUTE_REQUEST, KR_STR("")), KR_CFG_END_DONE);
    assert_int_equal(t.ctx.retcode, 1); /* two reads differ */
    struct kr_str g1 = var(&t, "g1"), g2 = var(&t, "g2"), t1 = var(&t, "t1"), t2 = var(&t, "t2");
    check_uuid(g1, '4');
    check_uuid(g2, '4');
    check_uuid(var(&t, "r"), '4');
    check_uuid(t1, '1');
    check_uuid(t2, '1');
    check_uuid(var(&t, "s"), '1');
    assert_false(kr_str_eq(g1, g2));
    assert_false(kr_str_eq(t1, t2));
    /* same process: same clock sequence and node */
    assert_memory_equal(t1.ptr + 19, t2.ptr + 19, 17);
    tm_fini(&t);
    kr_vars_free(vars);
    kr_cfg_free(cfg);
}

static void test_many_distinct(void **state)
{
    enum { N = 2000 };
    static char seen[N][KR_UUID_STRLEN];
    (void)state;
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(i % 2 ? kr_uuid_time(seen[i]) : kr_uuid_random(seen[i]), 0);
        for (size_t j = 0; j < i; j++) {
            assert_true(memcmp(seen[i], seen[j], KR_UUID_STRLEN) != 0);
        }
    }
}

static void test_bad_name(void **state)
{
    char diag[2048];
    (void)state;
    struct kr_cfg *cfg = load("loadmodule \"uuid.so\"\n"
                              "request_route { $var(x) = $uuid(x); }\n",
                              diag, sizeof(diag));
    assert_null(cfg);
    assert_non_null(strstr(diag, "$uuid"));
    /* without loadmodule, $uuid is unknown */
    cfg = load("request_route { $var(x) = $uuid(g); }\n", diag, sizeof(diag));
    assert_null(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv),
        cmocka_unit_test(test_many_distinct),
        cmocka_unit_test(test_bad_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
