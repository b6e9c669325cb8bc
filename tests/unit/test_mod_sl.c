/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the sl module: the bytes of stateless replies (status line, Via with
 * received/rport, To-tag stable for a request and its retransmissions), where they go
 * (RFC 3261 §18.2.2, RFC 3581), ACKs never answered, and the script functions' checks. */
#include <stdio.h>

#include "modules/sl/sl.h"
#include "test_mod_util.h"

static const char OPTIONS_FMT[] = "OPTIONS sip:198.51.100.1 SIP/2.0\r\n"
                                  "Via: SIP/2.0/UDP %s\r\n"
                                  "From: <sip:alice@example.com>;tag=a1\r\n"
                                  "To: <sip:198.51.100.1>%s\r\n"
                                  "Call-ID: %s\r\n"
                                  "CSeq: 1 %s\r\n"
                                  "Max-Forwards: 70\r\n"
                                  "Content-Length: 0\r\n"
                                  "\r\n";

static void init_req(struct tm_ctx *t, const char *via, const char *totag, const char *callid,
                     const char *method)
{
    char m[1024];
    char first[64];
    snprintf(m, sizeof(m), OPTIONS_FMT, via, totag, callid, method);
    /* the request line follows the CSeq method */
    if (strcmp(method, "OPTIONS") != 0) {
        snprintf(first, sizeof(first), "%s sip:198.51.100.1 SIP/2.0", method);
        char m2[1024];
        snprintf(m2, sizeof(m2), "%s%s", first, strstr(m, "\r\n"));
        tm_init(t, m2);
        return;
    }
    tm_init(t, m);
}

static const char *reply(struct tm_ctx *t, unsigned code, const char *reason, const char *extra,
                         struct kr_send_dst *dst)
{
    struct kr_buf b;
    kr_buf_init_arena(&b, &t->arena, 1024, 1 << 16);
    int rc = kr_sl_build_reply(&t->ctx, code, kr_str_c(reason), kr_str_c(extra), &b, dst);
    if (rc != 0) {
        fail_msg("kr_sl_build_reply: %d", rc);
    }
    return tm_cstr(t, &b);
}

static void check_tag(struct kr_str tag)
{
    assert_int_equal(tag.len, 25);
    assert_int_equal(tag.ptr[8], '-');
}

static void test_reply_rport(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    char want[1024];
    (void)state;

    init_req(&t, "10.0.0.1:5070;rport;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    const char *out = reply(&t, 404, "Not Here", "", &dst);
    check_tag(t.ctx.to_tag);
    snprintf(want, sizeof(want),
             "SIP/2.0 404 Not Here\r\n"
             "Via: SIP/2.0/UDP 10.0.0.1:5070;rport=5062;branch=z9hG4bKabc;received=192.0.2.10\r\n"
             "From: <sip:alice@example.com>;tag=a1\r\n"
             "To: <sip:198.51.100.1>;tag=%.*s\r\n"
             "Call-ID: c1\r\n"
             "CSeq: 1 OPTIONS\r\n"
             "Content-Length: 0\r\n"
             "\r\n",
             (int)t.ctx.to_tag.len, t.ctx.to_tag.ptr);
    assert_string_equal(out, want);
    assert_int_equal(dst.proto, KR_PROTO_UDP);
    tm_addr_eq(&dst.to, "192.0.2.10:5062");
    assert_ptr_equal(dst.from, &t.udp);
    assert_int_equal(dst.conn_id, 0);
    tm_fini(&t);
}

static void test_reply_no_rport(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    /* sent-by differs: received added, reply to the Via port at the source IP */
    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    const char *out = reply(&t, 200, "OK", "", &dst);
    assert_non_null(strstr(
        out, "\r\nVia: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKabc;received=192.0.2.10\r\n"));
    tm_addr_eq(&dst.to, "192.0.2.10:5070");
    tm_fini(&t);

    /* same address, no port: nothing added, port 5060 */
    init_req(&t, "192.0.2.10;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    out = reply(&t, 200, "OK", "", &dst);
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKabc\r\n"));
    tm_addr_eq(&dst.to, "192.0.2.10:5060");
    tm_fini(&t);

    /* force_rport(): both parameters, reply to the source port */
    init_req(&t, "192.0.2.10:5070;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    t.ctx.force_rport = true;
    out = reply(&t, 200, "OK", "", &dst);
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKabc"
                                ";received=192.0.2.10;rport=5062\r\n"));
    tm_addr_eq(&dst.to, "192.0.2.10:5062");
    tm_fini(&t);
}

static void test_to_tag_stable(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    char tag1[32];
    (void)state;

    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    reply(&t, 486, "Busy Here", "", &dst);
    check_tag(t.ctx.to_tag);
    memcpy(tag1, t.ctx.to_tag.ptr, 25);
    /* the same context reuses its tag */
    reply(&t, 486, "Busy Here", "", &dst);
    assert_memory_equal(t.ctx.to_tag.ptr, tag1, 25);
    tm_fini(&t);

    /* a retransmission (new context, same bytes) gets the same tag */
    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    reply(&t, 486, "Busy Here", "", &dst);
    assert_memory_equal(t.ctx.to_tag.ptr, tag1, 25);
    tm_fini(&t);

    /* another transaction: another tag, same per-process prefix */
    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabd", "", "c1", "OPTIONS");
    reply(&t, 486, "Busy Here", "", &dst);
    assert_memory_equal(t.ctx.to_tag.ptr, tag1, 9);
    assert_memory_not_equal(t.ctx.to_tag.ptr, tag1, 25);
    tm_fini(&t);
    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", "", "c2", "OPTIONS");
    reply(&t, 486, "Busy Here", "", &dst);
    assert_memory_not_equal(t.ctx.to_tag.ptr, tag1, 25);
    tm_fini(&t);
}

static void test_reply_tags_and_extras(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    /* 100 Trying carries no tag */
    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", "", "c1", "INVITE");
    const char *out = reply(&t, 100, "Trying", "", &dst);
    assert_non_null(strstr(out, "\r\nTo: <sip:198.51.100.1>\r\n"));
    tm_fini(&t);

    /* an in-dialog request keeps its To-tag; extra headers go after CSeq */
    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", ";tag=xyz", "c1", "BYE");
    out = reply(&t, 481, "", "Retry-After: 30\r\n", &dst);
    assert_string_equal(out, "SIP/2.0 481 Call/Transaction Does Not Exist\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKabc"
                             ";received=192.0.2.10\r\n"
                             "From: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:198.51.100.1>;tag=xyz\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 BYE\r\n"
                             "Retry-After: 30\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n");
    tm_fini(&t);

    /* a body */
    init_req(&t, "192.0.2.10:5062;branch=z9hG4bKabc", ";tag=xyz", "c1", "MESSAGE");
    struct kr_buf b;
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(kr_sl_build_reply_body(&t.ctx, 200, KR_STR("OK"), KR_STR(""),
                                            KR_STR("text/plain"), KR_STR("hi"), &b, &dst),
                     0);
    out = tm_cstr(&t, &b);
    assert_non_null(strstr(out, "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"));
    tm_fini(&t);
}

static void test_reply_stream(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    init_req(&t, "10.0.0.1:5070;rport;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    t.rcv.proto = KR_PROTO_TCP;
    t.rcv.conn_id = 42;
    t.rcv.sock = &t.tcp;
    t.ctx.reply_flags = KR_REPLY_CLOSE | KR_REPLY_NO_CONNECT;
    reply(&t, 200, "OK", "", &dst);
    assert_int_equal(dst.proto, KR_PROTO_TCP);
    assert_int_equal(dst.conn_id, 42);
    assert_int_equal(dst.flags, KR_SEND_CLOSE | KR_SEND_NO_CONNECT);
    tm_addr_eq(&dst.to, "192.0.2.10:5062");
    assert_ptr_equal(dst.from, &t.tcp);
    tm_fini(&t);
}

static void test_never_ack(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    struct kr_buf b;
    (void)state;

    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", ";tag=xyz", "c1", "ACK");
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(kr_sl_build_reply(&t.ctx, 200, KR_STR("OK"), KR_STR(""), &b, &dst), KR_EINVAL);
    assert_int_equal(kr_sl_reply(&t.ctx, 200, KR_STR("OK"), KR_STR("")), KR_EINVAL);
    assert_false(t.ctx.replied);
    struct kr_arg args[2] = { tm_int(404), tm_str("Not Found") };
    assert_int_equal(tm_call(&t, &kr_mod_sl, "sl_send_reply", args, 2), -1);
    tm_fini(&t);
}

static void test_script_functions(void **state)
{
    struct tm_ctx t;
    struct kr_err err;
    (void)state;

    init_req(&t, "10.0.0.1:5070;branch=z9hG4bKabc", "", "c1", "OPTIONS");
    struct kr_arg bad[2] = { tm_int(99), tm_str("x") };
    assert_int_equal(tm_fixup(&t, &kr_mod_sl, "sl_send_reply", bad, 2, &err), KR_EINVAL);
    assert_non_null(err.reason);
    bad[0] = tm_int(700);
    assert_int_equal(tm_fixup(&t, &kr_mod_sl, "send_reply", bad, 2, &err), KR_EINVAL);
    /* no transport in unit tests: building works, sending fails, nothing is marked */
    struct kr_arg ok[2] = { tm_int(404), tm_str("Not Found") };
    assert_int_equal(tm_call(&t, &kr_mod_sl, "sl_send_reply", ok, 2), -1);
    assert_false(t.ctx.replied);
    assert_int_equal(tm_call(&t, &kr_mod_sl, "sl_reply_error", NULL, 0), -1);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_rport),      cmocka_unit_test(test_reply_no_rport),
        cmocka_unit_test(test_to_tag_stable),    cmocka_unit_test(test_reply_tags_and_extras),
        cmocka_unit_test(test_reply_stream),     cmocka_unit_test(test_never_ack),
        cmocka_unit_test(test_script_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
