/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for core/jsonrpc: JSON-RPC 2.0 calls, batches, notifications and every error
 * code, through the real registry and the core's commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/jsonrpc.h"
#include "core/rpc.h"
#include "core/stats.h"
#include "kr_config.h"

static int calls;

static int fn_count(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)params;
    (void)err;
    calls++;
    *result = json_integer(calls);
    return 0;
}

static int fn_echo(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)err;
    *result = params ? json_deep_copy(params) : NULL; /* NULL: JSON null */
    return 0;
}

static int fn_notfound(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    struct kr_str who;
    if (kr_rpc_param_str(params, 0, "aor", true, KR_STR_NULL, &who, err) < 0) {
        return KR_EINVAL;
    }
    (void)result;
    return kr_rpc_failf(err, 404, "AOR not found: %.*s", KR_STR_ARG(who));
}

static int fn_broken(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)params;
    (void)result;
    (void)err;
    return KR_EIO; /* no err filled */
}

static int fn_big(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    (void)params;
    (void)err;
    json_t *arr = json_array();
    for (int i = 0; i < 1000; i++) {
        json_array_append_new(arr, json_string("0123456789abcdef"));
    }
    *result = arr;
    return 0;
}

static const struct kr_rpc_cmd test_cmds[] = {
    { "t.count", fn_count, NULL },       { "t.echo", fn_echo, NULL },
    { "t.notfound", fn_notfound, NULL }, { "t.broken", fn_broken, NULL },
    { "t.big", fn_big, NULL },           { 0 },
};

static int setup(void **state)
{
    (void)state;
    kr_rpc_reset();
    calls = 0;
    assert_int_equal(kr_rpc_register_core(NULL), 0);
    assert_int_equal(kr_rpc_register(test_cmds), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kr_rpc_reset();
    return 0;
}

/* Runs a request (copied into an exactly-sized heap buffer) with an output cap; returns
 * the parsed response, or NULL when nothing was written. */
static json_t *run_cap(const char *req, size_t cap)
{
    size_t len = strlen(req);
    char *in = malloc(len ? len : 1);
    memcpy(in, req, len);
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, cap);
    assert_int_equal(kr_jsonrpc_handle(in, len, &out), 0);
    free(in);
    json_t *v = NULL;
    if (out.len > 0) {
        assert_null(memchr(out.ptr, '\n', out.len)); /* one line: ctl frames by newline */
        json_error_t jerr;
        v = json_loadb(out.ptr, out.len, 0, &jerr);
        assert_non_null(v);
    }
    kr_buf_fini(&out);
    return v;
}

static json_t *run(const char *req)
{
    return run_cap(req, 1 << 20);
}

static void assert_error(const json_t *resp, int code, const json_t *id)
{
    assert_true(json_is_object(resp));
    assert_string_equal(json_string_value(json_object_get(resp, "jsonrpc")), "2.0");
    assert_null(json_object_get(resp, "result"));
    const json_t *e = json_object_get(resp, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    const json_t *rid = json_object_get(resp, "id");
    assert_non_null(rid);
    if (id == NULL) {
        assert_true(json_is_null(rid));
    } else {
        assert_true(json_equal(rid, id));
    }
}

static void test_call(void **state)
{
    (void)state;
    json_t *r = run("{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":7}");
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
    assert_null(json_object_get(r, "error"));
    assert_non_null(strstr(json_string_value(json_object_get(r, "result")), KR_VERSION));
    json_decref(r);

    r = run("{\"jsonrpc\":\"2.0\",\"method\":\"t.echo\",\"params\":{\"a\":[1,2]},\"id\":\"x\"}");
    assert_string_equal(json_string_value(json_object_get(r, "id")), "x");
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(json_object_get(r, "result"), "a"), 1)),
        2);
    json_decref(r);

    /* A NULL result is sent as null; a null id is echoed. */
    r = run("{\"jsonrpc\":\"2.0\",\"method\":\"t.echo\",\"id\":null}");
    assert_true(json_is_null(json_object_get(r, "result")));
    assert_true(json_is_null(json_object_get(r, "id")));
    json_decref(r);
}

static void test_parse_error(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\"",
        "{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]",
        "",
        "{} {}",
        "[{\"jsonrpc\":\"2.0\",\"method\":\"t.count\",\"id\":1},{\"jsonrpc\":\"2.0\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *r = run(bad[i]);
        assert_error(r, KR_RPC_EPARSE, NULL);
        json_decref(r);
    }
    assert_int_equal(calls, 0);
}

static void test_invalid_request(void **state)
{
    (void)state;
    json_t *id5 = json_integer(5);
    struct {
        const char *req;
        const json_t *id;
    } cases[] = {
        { "1", NULL },
        { "\"x\"", NULL },
        { "{\"foo\":\"boo\"}", NULL },
        { "{\"method\":\"core.version\",\"id\":5}", id5 },
        { "{\"jsonrpc\":\"1.0\",\"method\":\"core.version\",\"id\":5}", id5 },
        { "{\"jsonrpc\":2.0,\"method\":\"core.version\",\"id\":5}", id5 },
        { "{\"jsonrpc\":\"2.0\",\"method\":1,\"params\":\"bar\",\"id\":5}", id5 },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"params\":\"bar\",\"id\":5}", id5 },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":{}}", NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":[1]}", NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"t.count\",\"params\":7}", NULL },
        { "[]", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *r = run(cases[i].req);
        assert_error(r, KR_RPC_EREQUEST, cases[i].id);
        json_decref(r);
    }
    json_decref(id5);
    assert_int_equal(calls, 0);
}

static void test_method_not_found(void **state)
{
    (void)state;
    json_t *r = run("{\"jsonrpc\":\"2.0\",\"method\":\"nope.nothing\",\"id\":\"a\"}");
    json_t *id = json_string("a");
    assert_error(r, KR_RPC_EMETHOD, id);
    json_decref(id);
    json_decref(r);
    /* jansson refuses \u0000 in strings: a name with a NUL never reaches the registry. */
    r = run("{\"jsonrpc\":\"2.0\",\"method\":\"t.count\\u0000x\",\"id\":1}");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "error"), "code")),
                     KR_RPC_EPARSE);
    json_decref(r);
    assert_int_equal(calls, 0);
}

static void test_invalid_params_and_app_errors(void **state)
{
    (void)state;
    json_t *id = json_integer(3);
    json_t *r = run("{\"jsonrpc\":\"2.0\",\"method\":\"core.uptime\",\"params\":[1],\"id\":3}");
    assert_error(r, KR_RPC_EPARAMS, id);
    json_decref(r);

    r = run("{\"jsonrpc\":\"2.0\",\"method\":\"t.notfound\",\"params\":[],\"id\":3}");
    assert_error(r, KR_RPC_EPARAMS, id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
                        "parameter aor: missing");
    json_decref(r);

    r = run("{\"jsonrpc\":\"2.0\",\"method\":\"t.notfound\",\"params\":{\"aor\":\"bob\"},"
            "\"id\":3}");
    assert_error(r, 404, id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
                        "AOR not found: bob");
    json_decref(r);

    r = run("{\"jsonrpc\":\"2.0\",\"method\":\"t.broken\",\"id\":3}");
    assert_error(r, KR_RPC_EINTERNAL, id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
                        kr_strerror(KR_EIO));
    json_decref(r);
    json_decref(id);
}

static void test_notification(void **state)
{
    (void)state;
    assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"t.count\"}"));
    assert_int_equal(calls, 1);
    assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"t.count\",\"params\":[1,2]}"));
    assert_int_equal(calls, 2);
    /* Unknown methods and failures of notifications are not answered either. */
    assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}"));
    assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"t.broken\"}"));
}

static void test_batch(void **state)
{
    (void)state;
    json_t *r = run("[{\"jsonrpc\":\"2.0\",\"method\":\"t.count\",\"id\":\"1\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"t.count\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"2\"},"
                    "{\"foo\":\"boo\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"t.count\",\"id\":\"3\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"params\":[1],\"id\":4}]");
    assert_true(json_is_array(r));
    assert_int_equal(json_array_size(r), 5);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "result")), 1);
    json_t *id = json_string("2");
    assert_error(json_array_get(r, 1), KR_RPC_EMETHOD, id);
    json_decref(id);
    assert_error(json_array_get(r, 2), KR_RPC_EREQUEST, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 3), "result")), 3);
    id = json_integer(4);
    assert_error(json_array_get(r, 4), KR_RPC_EPARAMS, id);
    json_decref(id);
    json_decref(r);
    assert_int_equal(calls, 3);

    /* Invalid members each get an error (JSON-RPC 2.0 §7 examples). */
    r = run("[1,2,3]");
    assert_int_equal(json_array_size(r), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_error(json_array_get(r, i), KR_RPC_EREQUEST, NULL);
    }
    json_decref(r);

    /* Only notifications: nothing at all. */
    assert_null(run("[{\"jsonrpc\":\"2.0\",\"method\":\"t.count\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"t.count\"}]"));
    assert_int_equal(calls, 5);
}

static void test_stats_fetch(void **state)
{
    (void)state;
    for (int s = 0; s < KR_STAT__COUNT; s++) {
        atomic_store(&kr_stats[s], 0);
    }
    kr_stat_inc(KR_STAT_RCV_REQ_REGISTER);
    kr_stat_inc(KR_STAT_RCV_REQ_REGISTER);
    kr_stat_inc(KR_STAT_RCV_REQ_REGISTER);
    kr_stat_inc(KR_STAT_TCP_ACCEPTED);
    json_t *r =
        run("{\"jsonrpc\":\"2.0\",\"method\":\"stats.fetch\",\"params\":[\"all\"],\"id\":1}");
    const json_t *res = json_object_get(r, "result");
    assert_int_equal(json_integer_value(json_object_get(res, "core.rcv_requests_register")), 3);
    assert_int_equal(json_integer_value(json_object_get(res, "tcp.passive_opens")), 1);
    assert_int_equal(json_integer_value(json_object_get(res, "core.rcv_requests_invite")), 0);
    json_decref(r);

    r = run("{\"jsonrpc\":\"2.0\",\"method\":\"stats.fetch\",\"params\":[\"core:\"],\"id\":1}");
    res = json_object_get(r, "result");
    assert_int_equal(json_integer_value(json_object_get(res, "core.rcv_requests_register")), 3);
    assert_null(json_object_get(res, "tcp.passive_opens"));
    json_decref(r);
}

static void test_too_large(void **state)
{
    (void)state;
    json_t *r = run_cap("{\"jsonrpc\":\"2.0\",\"method\":\"t.big\",\"id\":9}", 4096);
    json_t *id = json_integer(9);
    assert_error(r, KR_RPC_EINTERNAL, id);
    json_decref(id);
    json_decref(r);

    /* Not even the error fits: KR_ELIMIT and out unchanged. */
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, 16);
    const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"t.big\",\"id\":9}";
    assert_int_equal(kr_jsonrpc_handle(req, strlen(req), &out), KR_ELIMIT);
    assert_int_equal(out.len, 0);
    assert_int_equal(out.err, 0);
    kr_buf_fini(&out);
}

static void test_error_helper(void **state)
{
    (void)state;
    struct kr_buf out;
    kr_buf_init_heap(&out, 0, 1024);
    assert_int_equal(kr_jsonrpc_error(&out, KR_RPC_EPARSE, "Parse error", "at 3"), 0);
    json_t *r = json_loadb(out.ptr, out.len, 0, NULL);
    assert_error(r, KR_RPC_EPARSE, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "data")),
                        "at 3");
    json_decref(r);
    kr_buf_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_params_and_app_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_helper, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
