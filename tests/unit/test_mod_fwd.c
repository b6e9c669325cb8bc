/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for modules/core/fwd: the bytes of a statelessly forwarded request (our Via,
 * received/rport on the sender's Via, new R-URI, deterministic branch) and of a relayed
 * reply (top Via removed, destination from the next Via), plus the chosen destination. */
#include <stdio.h>

#include "core/stats.h"
#include "modules/core/fwd.h"
#include "test_mod_util.h"

static const char INVITE[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKabc123\r\n"
                             "Max-Forwards: 70\r\n"
                             "From: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:bob@example.com>\r\n"
                             "Call-ID: c1@192.0.2.10\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n";

/* Builds the forwarded request; returns it NUL-terminated. */
static const char *fwd(struct tm_ctx *t, const char *host, uint16_t port, enum kr_uri_proto p,
                       struct kr_send_dst *dst)
{
    struct kr_buf b;
    kr_buf_init_arena(&b, &t->arena, 1024, 1 << 16);
    int rc = kr_fwd_build_request(&t->ctx, kr_str_c(host), port, p, &b, dst);
    if (rc != 0) {
        fail_msg("kr_fwd_build_request: %d", rc);
    }
    return tm_cstr(t, &b);
}

/* The branch of the Via at the start of "after"; checks its form. */
static void our_branch(const char *msg, const char *via_prefix, char out[24])
{
    const char *p = strstr(msg, via_prefix);
    assert_non_null(p);
    p += strlen(via_prefix);
    assert_memory_equal(p, "z9hG4bK", 7);
    for (int i = 7; i < 23; i++) {
        assert_true((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'));
    }
    assert_memory_equal(p + 23, "\r\n", 2);
    memcpy(out, p, 23);
    out[23] = '\0';
}

static void test_request_basic(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    char br[24];
    char want[1024];
    (void)state;

    tm_init(&t, INVITE);
    t.ctx.force_sock = &t.udp;
    const char *out = fwd(&t, "203.0.113.5", 0, KR_PROTO_NONE, &dst);
    our_branch(out, "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=", br);
    snprintf(want, sizeof(want),
             "INVITE sip:bob@example.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=%s\r\n"
             "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKabc123\r\n"
             "Max-Forwards: 70\r\n"
             "From: <sip:alice@example.com>;tag=a1\r\n"
             "To: <sip:bob@example.com>\r\n"
             "Call-ID: c1@192.0.2.10\r\n"
             "CSeq: 1 INVITE\r\n"
             "Content-Length: 0\r\n"
             "\r\n",
             br);
    assert_string_equal(out, want);
    assert_int_equal(dst.proto, KR_PROTO_UDP);
    tm_addr_eq(&dst.to, "203.0.113.5:5060");
    assert_ptr_equal(dst.from, &t.udp);
    /* the context's own edits are untouched: a second forward gives the same bytes */
    assert_int_equal(t.ctx.edits.n, 0);
    assert_string_equal(fwd(&t, "203.0.113.5", 0, KR_PROTO_NONE, &dst), want);
    tm_fini(&t);
}

static void test_request_received_rport(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    char br[24];
    char want[1024];
    (void)state;

    tm_init(&t, "OPTIONS sip:203.0.113.5 SIP/2.0\r\n"
                "Via: SIP/2.0/UDP client.example.com:5062;rport;branch=z9hG4bKabc123\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:203.0.113.5>\r\n"
                "Call-ID: c2\r\n"
                "CSeq: 7 OPTIONS\r\n"
                "\r\n");
    t.ctx.force_sock = &t.udp;
    const char *out = fwd(&t, "", 0, KR_PROTO_NONE, &dst);
    our_branch(out, "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=", br);
    snprintf(want, sizeof(want),
             "OPTIONS sip:203.0.113.5 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=%s\r\n"
             "Via: SIP/2.0/UDP client.example.com:5062;rport=5062;branch=z9hG4bKabc123"
             ";received=192.0.2.10\r\n"
             "From: <sip:alice@example.com>;tag=a1\r\n"
             "To: <sip:203.0.113.5>\r\n"
             "Call-ID: c2\r\n"
             "CSeq: 7 OPTIONS\r\n"
             "\r\n",
             br);
    assert_string_equal(out, want);
    tm_addr_eq(&dst.to, "203.0.113.5:5060");
    tm_fini(&t);
}

static void test_request_force_rport(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    tm_init(&t, INVITE);
    t.ctx.force_sock = &t.udp;
    t.ctx.force_rport = true;
    const char *out = fwd(&t, "203.0.113.5", 5080, KR_PROTO_NONE, &dst);
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKabc123"
                                ";received=192.0.2.10;rport=5062\r\nMax-Forwards: 70\r\n"));
    tm_addr_eq(&dst.to, "203.0.113.5:5080");
    tm_fini(&t);
}

static void test_request_new_ruri_and_du(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    tm_init(&t, INVITE);
    t.ctx.force_sock = &t.udp;
    t.ctx.new_ruri = KR_STR("sip:carol@203.0.113.7:5070");
    const char *out = fwd(&t, "", 0, KR_PROTO_NONE, &dst);
    assert_memory_equal(out, "INVITE sip:carol@203.0.113.7:5070 SIP/2.0\r\nVia: ", 48);
    tm_addr_eq(&dst.to, "203.0.113.7:5070");
    assert_int_equal(dst.proto, KR_PROTO_UDP);

    /* $du wins over the R-URI for the destination; its transport picks TCP */
    t.ctx.dst_uri = KR_STR("sip:203.0.113.9:5080;transport=tcp");
    t.ctx.force_sock = &t.tcp;
    out = fwd(&t, "", 0, KR_PROTO_NONE, &dst);
    assert_memory_equal(out, "INVITE sip:carol@203.0.113.7:5070 SIP/2.0\r\n", 43);
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/TCP 198.51.100.1:5060;branch=z9hG4bK"));
    assert_int_equal(dst.proto, KR_PROTO_TCP);
    tm_addr_eq(&dst.to, "203.0.113.9:5080");
    assert_ptr_equal(dst.from, &t.tcp);

    /* forward_udp(): the transport is forced */
    struct kr_buf b;
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    t.ctx.force_sock = &t.udp;
    assert_int_equal(kr_fwd_build_request_proto(&t.ctx, KR_STR(""), 0, KR_PROTO_UDP, &b, &dst), 0);
    assert_int_equal(dst.proto, KR_PROTO_UDP);
    tm_addr_eq(&dst.to, "203.0.113.9:5080");
    tm_fini(&t);
}

static void test_request_targets(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    struct kr_buf b;
    (void)state;

    tm_init(&t, INVITE);
    t.ctx.force_sock = &t.udp;
    fwd(&t, "[2001:db8::5]:5070", 0, KR_PROTO_NONE, &dst);
    tm_addr_eq(&dst.to, "[2001:db8::5]:5070");
    fwd(&t, "sip:x@203.0.113.5:5099", 0, KR_PROTO_NONE, &dst);
    tm_addr_eq(&dst.to, "203.0.113.5:5099");
    fwd(&t, "203.0.113.5:5071", 0, KR_PROTO_NONE, &dst);
    tm_addr_eq(&dst.to, "203.0.113.5:5071");

    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(
        kr_fwd_build_request(&t.ctx, KR_STR("sips:bob@203.0.113.5"), 0, KR_PROTO_NONE, &b, &dst),
        KR_EINVAL);
    assert_int_equal(
        kr_fwd_build_request(&t.ctx, KR_STR("203.0.113.5:notaport"), 0, KR_PROTO_NONE, &b, &dst),
        KR_EPARSE);
    assert_int_equal(kr_fwd_build_request(&t.ctx, KR_STR("203.0.113.5"), 0, KR_PROTO_TLS, &b, &dst),
                     KR_EINVAL);
    /* no socket for TCP: nothing forced and no transport running */
    t.ctx.force_sock = NULL;
    assert_int_equal(kr_fwd_build_request(&t.ctx, KR_STR("203.0.113.5"), 0, KR_PROTO_TCP, &b, &dst),
                     KR_ENOTFOUND);
    /* sending without a transport fails; the transport alone counts send errors, so a
     * failure is never counted twice */
    unsigned long long errs = kr_stat_get(KR_STAT_SEND_ERRORS);
    t.ctx.force_sock = &t.udp;
    assert_true(kr_fwd_request(&t.ctx, KR_STR("203.0.113.5"), 0, KR_PROTO_NONE) < 0);
    assert_true(kr_stat_get(KR_STAT_SEND_ERRORS) <= errs + 1);
    assert_false(t.ctx.forwarded);
    tm_fini(&t);
}

static void test_request_advertised(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    tm_init(&t, INVITE);
    t.ctx.force_sock = &t.udp;
    t.ctx.adv_addr = KR_STR("2001:db8::1");
    t.ctx.adv_port = KR_STR("5080");
    const char *out = fwd(&t, "203.0.113.5", 0, KR_PROTO_NONE, &dst);
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP [2001:db8::1]:5080;branch=z9hG4bK"));
    t.ctx.adv_addr = KR_STR("proxy.example.net");
    t.ctx.adv_port = KR_STR_NULL;
    out = fwd(&t, "203.0.113.5", 0, KR_PROTO_NONE, &dst);
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP proxy.example.net:5060;branch=z9hG4bK"));
    tm_fini(&t);
}

/* With the cookie the branch follows the received branch; without it, the dialog and
 * transaction identifiers (RFC 3261 §16.11). Retransmissions get the same branch. */
static void test_branch(void **state)
{
    struct tm_ctx t;
    struct kr_sip_via via;
    (void)state;

    tm_init(&t, INVITE);
    assert_int_equal(kr_fwd_top_via(&t.msg, &via, NULL, NULL), 0);
    struct kr_str a = kr_fwd_branch(&t.ctx, &via);
    struct kr_str b = kr_fwd_branch(&t.ctx, &via);
    assert_int_equal(a.len, 23);
    assert_memory_equal(a.ptr, b.ptr, 23);
    struct kr_sip_via other = via;
    other.branch = KR_STR("z9hG4bKabc124");
    struct kr_str c = kr_fwd_branch(&t.ctx, &other);
    assert_memory_not_equal(a.ptr, c.ptr, 23);
    tm_fini(&t);

    const char *old = "INVITE sip:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.10:5062\r\n"
                      "From: <sip:alice@example.com>;tag=a1\r\n"
                      "To: <sip:bob@example.com>\r\n"
                      "Call-ID: %s\r\n"
                      "CSeq: 1 INVITE\r\n"
                      "\r\n";
    char m1[512];
    char m2[512];
    snprintf(m1, sizeof(m1), old, "c1");
    snprintf(m2, sizeof(m2), old, "c2");
    char b1[24];
    char b2[24];
    tm_init(&t, m1);
    assert_int_equal(kr_fwd_top_via(&t.msg, &via, NULL, NULL), 0);
    a = kr_fwd_branch(&t.ctx, &via);
    memcpy(b1, a.ptr, 23);
    tm_fini(&t);
    tm_init(&t, m1);
    assert_int_equal(kr_fwd_top_via(&t.msg, &via, NULL, NULL), 0);
    a = kr_fwd_branch(&t.ctx, &via);
    assert_memory_equal(b1, a.ptr, 23);
    tm_fini(&t);
    tm_init(&t, m2);
    assert_int_equal(kr_fwd_top_via(&t.msg, &via, NULL, NULL), 0);
    a = kr_fwd_branch(&t.ctx, &via);
    memcpy(b2, a.ptr, 23);
    assert_memory_not_equal(b1, b2, 23);
    tm_fini(&t);
}

static void test_request_with_script_edits(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    tm_init(&t, INVITE);
    t.ctx.force_sock = &t.udp;
    /* remove Max-Forwards and add a header, as remove_hf / append_hf would */
    const struct kr_sip_hdr *mf = kr_sip_msg_hdr(&t.msg, KR_SIP_HDR_MAX_FORWARDS, 0);
    assert_int_equal(
        kr_sip_edit_delete(&t.ctx.edits, (size_t)(mf->raw.ptr - t.msg.buf.ptr), mf->raw.len), 0);
    assert_int_equal(kr_sip_edit_insert(&t.ctx.edits, t.msg.buf.len - 2, KR_STR("X-A: 1\r\n")), 0);
    const char *out = fwd(&t, "203.0.113.5", 0, KR_PROTO_NONE, &dst);
    assert_null(strstr(out, "Max-Forwards"));
    assert_non_null(strstr(out, "Content-Length: 0\r\nX-A: 1\r\n\r\n"));
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKabc123\r\n"));
    assert_int_equal(t.ctx.edits.n, 2);
    tm_fini(&t);
}

static const char *relay(struct tm_ctx *t, struct kr_send_dst *dst)
{
    struct kr_buf b;
    kr_buf_init_arena(&b, &t->arena, 1024, 1 << 16);
    int rc = kr_fwd_build_reply(&t->ctx, &b, dst);
    if (rc != 0) {
        fail_msg("kr_fwd_build_reply: %d", rc);
    }
    return tm_cstr(t, &b);
}

static void test_reply_relay(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    tm_init(&t, "SIP/2.0 200 OK\r\n"
                "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKours\r\n"
                "Via: SIP/2.0/UDP client.example.com:5062;rport=40000;received=192.0.2.77"
                ";branch=z9hG4bKabc123\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>;tag=b2\r\n"
                "Call-ID: c1\r\n"
                "CSeq: 1 INVITE\r\n"
                "Content-Length: 0\r\n"
                "\r\n");
    const char *out = relay(&t, &dst);
    assert_string_equal(out, "SIP/2.0 200 OK\r\n"
                             "Via: SIP/2.0/UDP client.example.com:5062;rport=40000"
                             ";received=192.0.2.77;branch=z9hG4bKabc123\r\n"
                             "From: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:bob@example.com>;tag=b2\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n");
    assert_int_equal(dst.proto, KR_PROTO_UDP);
    tm_addr_eq(&dst.to, "192.0.2.77:40000");
    assert_int_equal(dst.flags, 0);

    /* dropped by the script: not relayed, counted */
    unsigned long long drops = kr_stat_get(KR_STAT_DROP_REPLIES);
    t.ctx.dropped = true;
    assert_int_equal(kr_fwd_reply(&t.ctx), 1);
    assert_int_equal(kr_stat_get(KR_STAT_DROP_REPLIES), drops + 1);
    tm_fini(&t);
}

static void test_reply_combined_via(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    tm_init(&t, "SIP/2.0 180 Ringing\r\n"
                "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKours ,\r\n"
                " SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKx\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>;tag=b2\r\n"
                "Call-ID: c1\r\n"
                "CSeq: 1 INVITE\r\n"
                "\r\n");
    const char *out = relay(&t, &dst);
    assert_string_equal(out, "SIP/2.0 180 Ringing\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKx\r\n"
                             "From: <sip:alice@example.com>;tag=a1\r\n"
                             "To: <sip:bob@example.com>;tag=b2\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "\r\n");
    tm_addr_eq(&dst.to, "192.0.2.20:5060");
    tm_fini(&t);
}

static void test_reply_tcp(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    (void)state;

    tm_init(&t, "SIP/2.0 200 OK\r\n"
                "Via: SIP/2.0/TCP 198.51.100.1:5060;branch=z9hG4bKours\r\n"
                "Via: SIP/2.0/TCP 192.0.2.30:5070;branch=z9hG4bKx\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>;tag=b2\r\n"
                "Call-ID: c1\r\n"
                "CSeq: 1 INVITE\r\n"
                "\r\n");
    t.ctx.reply_flags = KR_REPLY_NO_CONNECT;
    relay(&t, &dst);
    assert_int_equal(dst.proto, KR_PROTO_TCP);
    tm_addr_eq(&dst.to, "192.0.2.30:5070");
    assert_int_equal(dst.flags, KR_SEND_NO_CONNECT);
    tm_fini(&t);
}

static void test_reply_not_relayed(void **state)
{
    struct tm_ctx t;
    struct kr_send_dst dst;
    struct kr_buf b;
    (void)state;

    /* top Via is somebody else's */
    tm_init(&t, "SIP/2.0 200 OK\r\n"
                "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKother\r\n"
                "Via: SIP/2.0/UDP 192.0.2.30:5070;branch=z9hG4bKx\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>;tag=b2\r\n"
                "Call-ID: c1\r\n"
                "CSeq: 1 INVITE\r\n"
                "\r\n");
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(kr_fwd_build_reply(&t.ctx, &b, &dst), KR_ENOTFOUND);
    unsigned long long drops = kr_stat_get(KR_STAT_DROP_REPLIES);
    assert_int_equal(kr_fwd_reply(&t.ctx), KR_ENOTFOUND);
    assert_int_equal(kr_stat_get(KR_STAT_DROP_REPLIES), drops + 1);
    tm_fini(&t);

    /* ours, but the only one: the reply was for us */
    tm_init(&t, "SIP/2.0 200 OK\r\n"
                "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKours\r\n"
                "From: <sip:alice@example.com>;tag=a1\r\n"
                "To: <sip:bob@example.com>;tag=b2\r\n"
                "Call-ID: c1\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "\r\n");
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(kr_fwd_build_reply(&t.ctx, &b, &dst), KR_ENOTFOUND);
    tm_fini(&t);
}

static void test_is_local(void **state)
{
    struct tm_ctx t;
    (void)state;

    tm_init(&t, INVITE);
    assert_true(kr_fwd_is_local(&t.ctx, KR_STR("198.51.100.1"), 5060, KR_PROTO_UDP));
    assert_true(kr_fwd_is_local(&t.ctx, KR_STR("198.51.100.1"), 0, KR_PROTO_UDP));
    assert_false(kr_fwd_is_local(&t.ctx, KR_STR("198.51.100.1"), 5070, KR_PROTO_UDP));
    assert_false(kr_fwd_is_local(&t.ctx, KR_STR("198.51.100.2"), 5060, KR_PROTO_UDP));
    assert_false(kr_fwd_is_local(&t.ctx, KR_STR("example.com"), 5060, KR_PROTO_UDP));
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_basic),
        cmocka_unit_test(test_request_received_rport),
        cmocka_unit_test(test_request_force_rport),
        cmocka_unit_test(test_request_new_ruri_and_du),
        cmocka_unit_test(test_request_targets),
        cmocka_unit_test(test_request_advertised),
        cmocka_unit_test(test_branch),
        cmocka_unit_test(test_request_with_script_edits),
        cmocka_unit_test(test_reply_relay),
        cmocka_unit_test(test_reply_combined_via),
        cmocka_unit_test(test_reply_tcp),
        cmocka_unit_test(test_reply_not_relayed),
        cmocka_unit_test(test_is_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
