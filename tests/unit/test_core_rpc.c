/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for core/rpc: the command registry, the param helpers and the core's
 * commands (core.*, system.*, stats.*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/rpc.h"
#include "core/stats.h"
#include "kr_config.h"

static int fn_one(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)params;
    (void)err;
    *result = json_integer(1);
    return 0;
}

static int fn_two(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)params;
    (void)err;
    *result = json_integer(2);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    kr_rpc_reset();
    for (int s = 0; s < KR_STAT__COUNT; s++) {
        atomic_store(&kr_stats[s], 0);
    }
    return 0;
}

/* Calls a registered command; returns its return code, *result its result. */
static int call(const char *name, json_t *params, json_t **result, struct kr_rpc_err *err)
{
    const struct kr_rpc_cmd *c = kr_rpc_find(name);
    assert_non_null(c);
    *result = NULL;
    *err = (struct kr_rpc_err){ 0 };
    int rc = c->fn(params, result, err);
    json_decref(params);
    return rc;
}

static void test_register_find(void **state)
{
    (void)state;
    static const struct kr_rpc_cmd a[] = {
        { "t.one", fn_one, "one" },
        { "t.two", fn_two, NULL },
        { 0 },
    };
    assert_int_equal(kr_rpc_count(), 0);
    assert_null(kr_rpc_find("t.one"));
    assert_int_equal(kr_rpc_register(a), 0);
    assert_int_equal(kr_rpc_count(), 2);
    assert_ptr_equal(kr_rpc_find("t.one"), &a[0]);
    assert_ptr_equal(kr_rpc_find("t.two"), &a[1]);
    assert_ptr_equal(kr_rpc_nth(1), &a[1]);
    assert_null(kr_rpc_nth(2));
    assert_null(kr_rpc_find("t.on"));
    assert_null(kr_rpc_find("t.one2"));
    assert_null(kr_rpc_find(NULL));

    /* Slices are not NUL-terminated: exact heap copy. */
    char *p = malloc(5);
    memcpy(p, "t.one", 5);
    assert_ptr_equal(kr_rpc_find_str(kr_str_make(p, 5)), &a[0]);
    assert_null(kr_rpc_find_str(kr_str_make(p, 4)));
    free(p);
    assert_null(kr_rpc_find_str(kr_str_make("t.one\0x", 7)));

    kr_rpc_reset();
    assert_int_equal(kr_rpc_count(), 0);
    assert_null(kr_rpc_find("t.one"));
}

static void test_register_duplicates(void **state)
{
    (void)state;
    static const struct kr_rpc_cmd a[] = { { "t.one", fn_one, NULL }, { 0 } };
    static const struct kr_rpc_cmd again[] = {
        { "t.new", fn_two, NULL },
        { "t.one", fn_two, NULL },
        { 0 },
    };
    static const struct kr_rpc_cmd twice[] = {
        { "t.x", fn_one, NULL },
        { "t.x", fn_two, NULL },
        { 0 },
    };
    static const struct kr_rpc_cmd nofn[] = { { "t.y", NULL, NULL }, { 0 } };
    static const struct kr_rpc_cmd empty[] = { { 0 } };

    assert_int_equal(kr_rpc_register(a), 0);
    assert_int_equal(kr_rpc_register(again), KR_EINVAL);
    assert_null(kr_rpc_find("t.new")); /* all or nothing */
    assert_ptr_equal(kr_rpc_find("t.one"), &a[0]);
    assert_int_equal(kr_rpc_register(twice), KR_EINVAL);
    assert_null(kr_rpc_find("t.x"));
    assert_int_equal(kr_rpc_register(nofn), KR_EINVAL);
    assert_int_equal(kr_rpc_register(empty), 0);
    assert_int_equal(kr_rpc_count(), 1);
}

static void test_params(void **state)
{
    (void)state;
    struct kr_rpc_err err = { 0 };
    struct kr_str s;
    int64_t i;

    json_t *arr = json_pack("[s, i, s, s]", "abc", 42, "17", "x7");
    assert_int_equal(kr_rpc_nparams(arr), 4);
    assert_int_equal(kr_rpc_param_str(arr, 0, NULL, true, KR_STR_NULL, &s, &err), 0);
    assert_true(kr_str_eq(s, KR_STR("abc")));
    assert_int_equal(kr_rpc_param_int(arr, 1, NULL, true, 0, &i, &err), 0);
    assert_int_equal(i, 42);
    assert_int_equal(kr_rpc_param_int(arr, 2, NULL, true, 0, &i, &err), 0);
    assert_int_equal(i, 17);
    assert_int_equal(kr_rpc_param_int(arr, 3, NULL, true, 0, &i, &err), KR_EINVAL);
    assert_int_equal(err.code, KR_RPC_EPARAMS);
    assert_string_equal(err.msg, "parameter 4: expected an integer");
    err = (struct kr_rpc_err){ 0 };
    assert_int_equal(kr_rpc_param_str(arr, 1, NULL, true, KR_STR_NULL, &s, &err), KR_EINVAL);
    assert_string_equal(err.msg, "parameter 2: expected a string");
    err = (struct kr_rpc_err){ 0 };
    assert_int_equal(kr_rpc_param_str(arr, 9, NULL, true, KR_STR_NULL, &s, &err), KR_EINVAL);
    assert_string_equal(err.msg, "parameter 10: missing");
    assert_int_equal(kr_rpc_param_int(arr, 9, NULL, false, -5, &i, &err), 0);
    assert_int_equal(i, -5);
    json_decref(arr);

    json_t *obj = json_pack("{s:s, s:i}", "table", "location", "limit", 10);
    assert_int_equal(kr_rpc_nparams(obj), 2);
    assert_int_equal(kr_rpc_param_str(obj, 0, "table", true, KR_STR_NULL, &s, &err), 0);
    assert_true(kr_str_eq(s, KR_STR("location")));
    assert_int_equal(kr_rpc_param_int(obj, 1, "limit", true, 0, &i, &err), 0);
    assert_int_equal(i, 10);
    assert_ptr_equal(kr_rpc_param(obj, 1, NULL), json_object_get(obj, "limit"));
    err = (struct kr_rpc_err){ 0 };
    assert_int_equal(kr_rpc_param_str(obj, 0, "nope", true, KR_STR_NULL, &s, &err), KR_EINVAL);
    assert_string_equal(err.msg, "parameter nope: missing");
    json_decref(obj);

    assert_int_equal(kr_rpc_nparams(NULL), 0);
    assert_null(kr_rpc_param(NULL, 0, "x"));
    assert_int_equal(kr_rpc_param_str(NULL, 0, "x", false, KR_STR("d"), &s, &err), 0);
    assert_true(kr_str_eq(s, KR_STR("d")));

    err = (struct kr_rpc_err){ 0 };
    assert_int_equal(kr_rpc_failf(&err, 404, "no %s here", "thing"), KR_EINVAL);
    assert_int_equal(err.code, 404);
    assert_string_equal(err.msg, "no thing here");
    assert_ptr_equal(err.msg, err.buf);
}

static void test_core_version_uptime(void **state)
{
    (void)state;
    json_t *r;
    struct kr_rpc_err err;

    assert_int_equal(kr_rpc_register_core(NULL), 0);
    assert_int_equal(kr_rpc_register_core(NULL), KR_EINVAL); /* twice: duplicates */
    assert_int_equal(call("core.version", NULL, &r, &err), 0);
    assert_true(json_is_string(r));
    assert_non_null(strstr(json_string_value(r), "korero " KR_VERSION));
    assert_non_null(strstr(json_string_value(r), KR_BUILD_OPTS));
    json_decref(r);

    assert_int_equal(call("core.version", json_pack("[s]", "x"), &r, &err), KR_EINVAL);
    assert_int_equal(err.code, KR_RPC_EPARAMS);
    assert_null(r);

    assert_int_equal(call("core.uptime", NULL, &r, &err), 0);
    assert_true(json_is_string(json_object_get(r, "now")));
    assert_true(json_is_string(json_object_get(r, "up_since")));
    assert_true(json_is_integer(json_object_get(r, "uptime")));
    assert_true(json_integer_value(json_object_get(r, "uptime")) <= 1);
    json_decref(r);

    assert_int_equal(call("core.info", NULL, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r, "version")), KR_VERSION);
    json_decref(r);

    assert_int_equal(call("core.ps", NULL, &r, &err), 0);
    assert_true(json_array_size(r) >= 1);
    assert_true(json_is_integer(json_object_get(json_array_get(r, 0), "PID")));
    json_decref(r);

    /* No shutdown hook given. */
    assert_int_equal(call("core.shutdown", NULL, &r, &err), KR_EINVAL);
    assert_int_equal(err.code, 500);
}

static void on_shutdown(void *arg)
{
    (*(int *)arg)++;
}

static void test_core_hooks(void **state)
{
    (void)state;
    int calls = 0;
    struct kr_rpc_core_hooks h = {
        .shutdown = on_shutdown,
        .arg = &calls,
        .started = time(NULL) - 100,
        .workers = 4,
    };
    json_t *r;
    struct kr_rpc_err err;

    assert_int_equal(kr_rpc_register_core(&h), 0);
    assert_int_equal(call("core.shutdown", NULL, &r, &err), 0);
    assert_int_equal(calls, 1);
    json_decref(r);

    assert_int_equal(call("core.uptime", NULL, &r, &err), 0);
    json_int_t up = json_integer_value(json_object_get(r, "uptime"));
    assert_true(up >= 100 && up <= 102);
    json_decref(r);

    assert_int_equal(call("core.info", NULL, &r, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "workers")), 4);
    json_decref(r);
}

static void test_system(void **state)
{
    (void)state;
    json_t *r;
    struct kr_rpc_err err;

    assert_int_equal(kr_rpc_register_core(NULL), 0);
    assert_int_equal(call("system.listMethods", NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r), kr_rpc_count());
    bool seen = false;
    for (size_t i = 0; i < json_array_size(r); i++) {
        seen |= strcmp(json_string_value(json_array_get(r, i)), "stats.fetch") == 0;
    }
    assert_true(seen);
    json_decref(r);

    assert_int_equal(call("system.methodHelp", json_pack("[s]", "stats.get_statistics"), &r, &err),
                     0);
    assert_string_equal(json_string_value(r), "Same as stats.fetch.");
    json_decref(r);
    assert_int_equal(call("system.methodHelp", json_pack("[s]", "nope"), &r, &err), KR_EINVAL);
    assert_int_equal(err.code, 404);
    assert_int_equal(call("system.methodHelp", NULL, &r, &err), KR_EINVAL);
    assert_int_equal(err.code, KR_RPC_EPARAMS);
}

static json_int_t get(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    assert_non_null(v);
    return json_integer_value(v);
}

static void test_stats_fetch(void **state)
{
    (void)state;
    json_t *r;
    struct kr_rpc_err err;

    assert_int_equal(kr_rpc_register_core(NULL), 0);
    kr_stat_inc(KR_STAT_RCV_REQ_INVITE);
    kr_stat_inc(KR_STAT_RCV_REQ_INVITE);
    kr_stat_add(KR_STAT_RCV_REQUESTS, 7);
    kr_stat_inc(KR_STAT_SENT_REPLIES);
    kr_stat_add(KR_STAT_TCP_CONNECTIONS, 3);

    assert_int_equal(call("stats.fetch", json_pack("[s]", "all"), &r, &err), 0);
    assert_int_equal(json_object_size(r), KR_STAT__COUNT);
    assert_int_equal(get(r, "core.rcv_requests_invite"), 2);
    assert_int_equal(get(r, "core.rcv_requests"), 7);
    assert_int_equal(get(r, "sl.sent_replies"), 1);
    assert_int_equal(get(r, "tcp.current_opened_connections"), 3);
    assert_int_equal(get(r, "core.rcv_requests_bye"), 0);
    json_decref(r);

    assert_int_equal(call("stats.fetch", NULL, &r, &err), 0); /* no params: all */
    assert_int_equal(json_object_size(r), KR_STAT__COUNT);
    json_decref(r);

    static const char *const core_forms[] = { "core", "core:", "core." };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(call("stats.fetch", json_pack("[s]", core_forms[i]), &r, &err), 0);
        assert_int_equal(get(r, "core.rcv_requests_invite"), 2);
        assert_null(json_object_get(r, "sl.sent_replies"));
        assert_null(json_object_get(r, "tcp.current_opened_connections"));
        json_decref(r);
    }

    static const char *const one_forms[] = { "core.rcv_requests_invite", "core:rcv_requests_invite",
                                             "rcv_requests_invite" };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(call("stats.get_statistics", json_pack("[s]", one_forms[i]), &r, &err), 0);
        assert_int_equal(json_object_size(r), 1);
        assert_int_equal(get(r, "core.rcv_requests_invite"), 2);
        json_decref(r);
    }

    assert_int_equal(call("stats.fetch", json_pack("[s, s]", "sl", "tcp:"), &r, &err), 0);
    assert_int_equal(get(r, "sl.sent_replies"), 1);
    assert_int_equal(get(r, "tcp.current_opened_connections"), 3);
    assert_null(json_object_get(r, "core.rcv_requests"));
    json_decref(r);

    /* Object params: the values select. Unknown names select nothing. */
    assert_int_equal(call("stats.fetch", json_pack("{s:s}", "stat", "sl"), &r, &err), 0);
    assert_int_equal(json_object_size(r), 1);
    json_decref(r);
    assert_int_equal(call("stats.fetch", json_pack("[s]", "core.nope"), &r, &err), 0);
    assert_int_equal(json_object_size(r), 0);
    json_decref(r);
    assert_int_equal(call("stats.fetch", json_pack("[s]", "cor"), &r, &err), 0);
    assert_int_equal(json_object_size(r), 0);
    json_decref(r);

    assert_int_equal(call("stats.fetch", json_pack("[i]", 1), &r, &err), KR_EINVAL);
    assert_int_equal(err.code, KR_RPC_EPARAMS);
    assert_null(r);

    size_t ntcp = 0;
    for (int st = 0; st < KR_STAT__COUNT; st++) {
        ntcp += strncmp(kr_stat_name((enum kr_stat)st), "tcp.", 4) == 0;
    }
    json_t *obj = json_object();
    assert_true(ntcp > 0);
    assert_int_equal(kr_rpc_stats_select("tcp", obj), ntcp);
    assert_int_equal(json_object_size(obj), ntcp);
    json_decref(obj);
}

static void test_stats_reset(void **state)
{
    (void)state;
    json_t *r;
    struct kr_rpc_err err;

    assert_int_equal(kr_rpc_register_core(NULL), 0);
    kr_stat_add(KR_STAT_RCV_REQ_INVITE, 5);
    kr_stat_add(KR_STAT_SENT_REPLIES, 4);
    kr_stat_add(KR_STAT_TCP_CONNECTIONS, 2);
    kr_stat_add(KR_STAT_TCP_ACCEPTED, 9);

    assert_int_equal(call("stats.reset_statistics", NULL, &r, &err), KR_EINVAL);
    assert_int_equal(err.code, KR_RPC_EPARAMS);

    assert_int_equal(call("stats.reset_statistics", json_pack("[s]", "sl"), &r, &err), 0);
    assert_true(json_is_null(r));
    json_decref(r);
    assert_int_equal(kr_stat_get(KR_STAT_SENT_REPLIES), 0);
    assert_int_equal(kr_stat_get(KR_STAT_RCV_REQ_INVITE), 5);

    assert_int_equal(call("stats.clear_statistics", json_pack("[s]", "all"), &r, &err), 0);
    assert_int_equal(get(r, "core.rcv_requests_invite"), 5);
    assert_int_equal(get(r, "tcp.passive_opens"), 9);
    assert_null(json_object_get(r, "tcp.current_opened_connections")); /* gauge kept */
    json_decref(r);
    assert_int_equal(kr_stat_get(KR_STAT_RCV_REQ_INVITE), 0);
    assert_int_equal(kr_stat_get(KR_STAT_TCP_ACCEPTED), 0);
    assert_int_equal(kr_stat_get(KR_STAT_TCP_CONNECTIONS), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_find, reset, reset),
        cmocka_unit_test_setup_teardown(test_register_duplicates, reset, reset),
        cmocka_unit_test_setup_teardown(test_params, reset, reset),
        cmocka_unit_test_setup_teardown(test_core_version_uptime, reset, reset),
        cmocka_unit_test_setup_teardown(test_core_hooks, reset, reset),
        cmocka_unit_test_setup_teardown(test_system, reset, reset),
        cmocka_unit_test_setup_teardown(test_stats_fetch, reset, reset),
        cmocka_unit_test_setup_teardown(test_stats_reset, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
