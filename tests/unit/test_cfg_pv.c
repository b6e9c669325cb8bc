/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for cfg/pv_core, cfg/trans and the core keywords on parsed SIP messages:
 * reading the message's pseudo-variables, rewriting the R-URI, transformations on URIs
 * and headers, `myself`, src_ip networks, and formats through kr_arg_str. */
#include <arpa/inet.h>

#include "test_cfg_util.h"

static const char invite[] =
    "INVITE sip:bob@example.com:5070;transport=tcp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport\r\n"
    "v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@example.com>\r\n"
    "From: \"Alice A\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5062>\r\n"
    "User-Agent: test-ua/1.0\r\n"
    "Proxy-Authorization: Digest username=\"alice@atlanta.example.com\", "
    "realm=\"atlanta.example.com\", nonce=\"abc\", uri=\"sip:bob@example.com\", "
    "response=\"0123\"\r\n"
    "X-Custom: one\r\n"
    "x-custom: two\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "v=0\r\n";

static const char ringing[] = "SIP/2.0 180 Ringing\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\r\n"
                              "To: <sip:bob@example.com>;tag=b1\r\n"
                              "From: <sip:alice@atlanta.example.com>;tag=a1\r\n"
                              "Call-ID: c1\r\n"
                              "CSeq: 2 INVITE\r\n"
                              "Content-Length: 0\r\n"
                              "\r\n";

static void set_addr(struct kr_sockaddr *a, const char *ip, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    if (strchr(ip, ':')) {
        a->u.in6.sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &a->u.in6.sin6_addr);
        a->u.in6.sin6_port = htons(port);
        a->len = sizeof(a->u.in6);
    } else {
        a->u.in.sin_family = AF_INET;
        inet_pton(AF_INET, ip, &a->u.in.sin_addr);
        a->u.in.sin_port = htons(port);
        a->len = sizeof(a->u.in);
    }
}

/* Runs kind on msg (received over UDP from 192.0.2.10:5062 at 192.0.2.1:5060). */
static int run_msg(const struct kr_cfg *cfg, const char *msg, enum kr_cfg_route_kind kind,
                   struct t_run *t)
{
    struct kr_vars *vars = kr_vars_new();
    t_run_init(t, cfg, msg, vars);
    t->rcv.proto = KR_PROTO_UDP;
    set_addr(&t->rcv.src, "192.0.2.10", 5062);
    set_addr(&t->rcv.dst, "192.0.2.1", 5060);
    int rc = kr_cfg_run(cfg, &t->ctx, kind, KR_STR_NULL);
    kr_vars_free(vars);
    return rc;
}

static void expect_body(const char *body, const char *msg, const char *want)
{
    char text[8192];
    snprintf(text, sizeof(text),
             "listen=udp:192.0.2.1:5060\nalias=example.com:5070\n"
             "request_route {\n%s\n}\nreply_route {\n%s\n}\n",
             body, body);
    struct kr_cfg *cfg = t_load_ok(text);
    struct t_run t;
    bool req = msg[0] != 'S';
    int rc = run_msg(cfg, msg, req ? KR_CFG_ROUTE_REQUEST : KR_CFG_ROUTE_REPLY, &t);
    assert_true(rc > 0);
    if (strcmp(tlog, want) != 0) {
        fail_msg("log:  '%s'\nwant: '%s'", tlog, want);
    }
    t_run_fini(&t);
    kr_cfg_free(cfg);
}

static void test_request_pvs(void **state)
{
    expect_body("rec($ru); rec($rU); rec($rd); rec($rp); rec($rz); rec($rm); rec($rv);", invite,
                "sip:bob@example.com:5070;transport=tcp;bob;example.com;5070;sip;INVITE;"
                "SIP/2.0;");
    expect_body("rec($fu); rec($fU); rec($fd); rec($fn); rec($ft);"
                "rec($tu); rec($tU); rec($td); rec($tn); rec($tt);",
                invite,
                "sip:alice@atlanta.example.com;alice;atlanta.example.com;Alice A;1928301774;"
                "sip:bob@example.com;bob;example.com;Bob;<null>;");
    expect_body("rec($ci); rec($cs); rec($ua); rec($ct); rec($cl); rec($cT); rec($rb);"
                "rec($rs); rec($rr); rec($du);",
                invite,
                "a84b4c76e66710@pc33.atlanta.example.com;314159;test-ua/1.0;"
                "<sip:alice@192.0.2.10:5062>;5;application/sdp;v=0\r\n;<null>;<null>;<null>;");
    expect_body("rec($au); rec($ad); rec($aU); rec($ar); rec($adu);", invite,
                "alice;atlanta.example.com;alice@atlanta.example.com;atlanta.example.com;"
                "sip:bob@example.com;");
    expect_body("rec($si); rec($sp); rec($Ri); rec($Rp); rec($proto); rec($pr); rec($conid);"
                "if ($ml > 400) rec(\"ml\"); if ($Ts > 1000000000) rec(\"ts\");",
                invite, "192.0.2.10;5062;192.0.2.1;5060;udp;udp;<null>;ml;ts;");
}

static void test_headers(void **state)
{
    expect_body("rec($hdr(X-Custom)); rec($(hdr(X-Custom)[1])); rec($(hdr(x-custom)[-1]));"
                "rec($(hdr(X-Custom)[2])); rec($(hdr(X-Custom)[*])); rec($hdrc(X-Custom));"
                "rec($hdrc(Via)); rec($(hdr(Via)[1])); rec($hdr(f)); rec($hdrc(Nope));"
                "rec($hdr(Nope)); $var(h) = \"Call-ID\"; rec($hdr($var(h)));",
                invite,
                "one;two;two;<null>;one,two;2;2;SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;"
                "\"Alice A\" <sip:alice@atlanta.example.com>;tag=1928301774;0;<null>;"
                "a84b4c76e66710@pc33.atlanta.example.com;");
}

static void test_transformations_on_msg(void **state)
{
    expect_body(
        "rec($(ru{uri.user})); rec($(ru{uri.host})); rec($(ru{uri.port}));"
        "rec($(ru{uri.param,transport})); rec($(ru{uri.params})); rec($(ru{uri.transport}));"
        "rec($(fu{uri.user}{s.toupper})); rec($(hdr(From){tobody.tag}));"
        "rec($(hdr(From){tobody.display})); rec($(hdr(To){nameaddr.uri}{uri.host}));"
        "rec($(ct{nameaddr.uri}{uri.port}{s.int}));"
        "rec($(hdr(Proxy-Authorization){s.select,1,\\,}{s.trim}));",
        invite,
        "bob;example.com;5070;tcp;transport=tcp;tcp;ALICE;1928301774;Alice A;"
        "example.com;5062;realm=\"atlanta.example.com\";");
}

static void test_ruri_writes(void **state)
{
    expect_body("$rU = \"carol\"; rec($ru); rec($rU);"
                "$rd = \"example.org\"; rec($ru);"
                "$rp = 5080; rec($ru); rec($rp);"
                "$rp = $null; rec($ru); rec($rp);"
                "$rU = $null; rec($ru);"
                "$rU = \"dave\"; rec($ru);"
                "$rd = \"::1\"; rec($ru);"
                "$ru = \"sips:eve@host.example\"; rec($rU); rec($rp); rec($rz);"
                "$ru = $null; rec($ru);",
                invite,
                "sip:carol@example.com:5070;transport=tcp;carol;"
                "sip:carol@example.org:5070;transport=tcp;"
                "sip:carol@example.org:5080;transport=tcp;5080;"
                "sip:carol@example.org;transport=tcp;5060;"
                "sip:example.org;transport=tcp;"
                "sip:dave@example.org;transport=tcp;"
                "sip:dave@[::1];transport=tcp;"
                "eve;5061;sips;"
                "sip:bob@example.com:5070;transport=tcp;");
    expect_body("$du = \"sip:proxy.example.net:5090;transport=tcp\"; rec($du); rec($dd); rec($dp);"
                "rec($dP); $du = $null; rec($du);"
                "$mf = 5; rec($mf);",
                invite,
                "sip:proxy.example.net:5090;transport=tcp;proxy.example.net;5090;tcp;<null>;5;");
}

static void test_keywords(void **state)
{
    expect_body("if (method == \"invite\") rec(\"method\");"
                "if (method == \"BYE\") rec(\"bye\");"
                "if (uri == myself) rec(\"uri-myself\");"
                "if (from_uri == myself) rec(\"from-myself\");"
                "if (from_uri != myself) rec(\"from-not\");"
                "if (to_uri == myself) rec(\"to-myself\");"
                "if (src_ip == myself) rec(\"src-myself\");"
                "if (dst_ip == myself) rec(\"dst-myself\");"
                "if (src_ip == 192.0.2.0/24) rec(\"net\");"
                "if (src_ip == 192.0.2.10) rec(\"ip\");"
                "if (src_ip != 10.0.0.0/8) rec(\"not-10\");"
                "if (src_ip == \"192.0.2.11\") rec(\"wrong\");"
                "if (src_ip == ::1) rec(\"v6\");"
                "if (src_port == 5062 && dst_port == 5060) rec(\"ports\");"
                "if (proto == UDP) rec(\"udp\"); if (proto == TCP) rec(\"tcp\");"
                "if (af == INET) rec(\"inet\");"
                "if (msg:len > 100) rec(\"len\");"
                "if (uri =~ \"^sip:BOB@\") rec(\"uri-re\");"
                "if ($ru == myself) rec(\"pv-myself\");"
                "if (status == 180) rec(\"180\");",
                invite,
                "method;uri-myself;from-not;dst-myself;net;ip;not-10;ports;udp;inet;len;uri-re;"
                "pv-myself;");
}

static void test_reply(void **state)
{
    expect_body("rec($rs); rec($rr); rec($rm); rec($ru); if (status == 180) rec(\"180\");"
                "if (status =~ \"^1\") rec(\"1xx\"); rec($tt);",
                ringing, "180;Ringing;INVITE;<null>;180;1xx;b1;");
}

static void test_arg_formats(void **state)
{
    struct kr_cfg *cfg = t_load_ok("request_route { rec(\"sip:$rU@$rd:$rp;x=$(fu{uri.user})\");"
                                   " opt(\"$rm\", \"$cs\"); }\n");
    struct t_run t;
    assert_int_equal(run_msg(cfg, invite, KR_CFG_ROUTE_REQUEST, &t), KR_CFG_END_DONE);
    assert_string_equal(tlog, "sip:bob@example.com:5070;x=alice;INVITE+314159/2;");
    t_run_fini(&t);
    kr_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_pvs),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_transformations_on_msg),
        cmocka_unit_test(test_ruri_writes),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_arg_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
