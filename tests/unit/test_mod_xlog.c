/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the xlog module: level names, the one- and two-argument forms, the
 * prefix, and that a disabled level logs nothing. stderr is captured in a temp file. */
#include <stdio.h>
#include <unistd.h>

#include "core/log.h"
#include "modules/xlog/xlog.h"
#include "test_mod_util.h"

static const char REQ[] = "OPTIONS sip:example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "\r\n";

/* Runs xlog-family function f with args and returns what reached stderr. */
static const char *capture(struct tm_ctx *t, const char *f, struct kr_arg *args, unsigned n,
                           int *rc)
{
    static char out[1024];
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    *rc = tm_call(t, &kr_mod_xlog, f, args, n);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t got = fread(out, 1, sizeof(out) - 1, tmp);
    out[got] = '\0';
    fclose(tmp);
    return out;
}

static void test_levels(void **state)
{
    int lv = 0;
    (void)state;

    assert_int_equal(kr_xlog_level_parse(KR_STR("L_ERR"), &lv), 0);
    assert_int_equal(lv, KR_L_ERR);
    assert_int_equal(kr_xlog_level_parse(KR_STR("L_DBG"), &lv), 0);
    assert_int_equal(lv, KR_L_DBG);
    assert_int_equal(kr_xlog_level_parse(KR_STR("L_ALERT"), &lv), 0);
    assert_int_equal(lv, KR_L_ALERT);
    assert_int_equal(kr_xlog_level_parse(KR_STR(" 2 "), &lv), 0);
    assert_int_equal(lv, KR_L_INFO);
    assert_int_equal(kr_xlog_level_parse(KR_STR("L_LOUD"), &lv), KR_EINVAL);
}

static void test_xlog(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    int rc;
    (void)state;

    tm_init(&t, REQ);
    int before = atomic_load(&kr_log_level_now);
    atomic_store(&kr_log_level_now, KR_L_INFO);

    struct kr_arg one[2] = { tm_str("hello from the script\n"), tm_none() };
    const char *out = capture(&t, "xlog", one, 2, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "ERROR: xlog ["));
    assert_non_null(strstr(out, "<script>: hello from the script\n"));
    assert_null(strstr(out, "script\n\n"));

    struct kr_arg two[2] = { tm_str("L_INFO"), tm_str("info line") };
    out = capture(&t, "xlog", two, 2, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "INFO: xlog ["));
    assert_non_null(strstr(out, "<script>: info line\n"));

    struct kr_arg dbg[2] = { tm_str("L_DBG"), tm_str("hidden") };
    out = capture(&t, "xlog", dbg, 2, &rc);
    assert_int_equal(rc, 1);
    assert_string_equal(out, "");

    struct kr_arg w[1] = { tm_str("a warning") };
    out = capture(&t, "xwarn", w, 1, &rc);
    assert_non_null(strstr(out, "WARNING: xlog ["));
    w[0] = tm_str("a debug line");
    out = capture(&t, "xdbg", w, 1, &rc);
    assert_string_equal(out, "");

    struct kr_arg bad[2] = { tm_str("L_LOUD"), tm_str("x") };
    assert_int_equal(tm_fixup(&t, &kr_mod_xlog, "xlog", bad, 2, &err), KR_EINVAL);
    atomic_store(&kr_log_level_now, before);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_xlog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
