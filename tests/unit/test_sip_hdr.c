/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the header value parsers of sip/hdr: Via, name-addr lists, CSeq,
 * Max-Forwards, Expires, Content-Length and credentials, each good and bad. */
#include "core/arena.h"
#include "sip/msg.h"
#include "sip_test_util.h"

static int via(const char *lit, struct kr_sip_via *v, struct kr_str *rest, struct kr_err *e)
{
    memset(e, 0, sizeof(*e));
    return kr_sip_parse_via(tu_heap(lit), v, rest, e);
}

static void via_bad(const char *lit, const char *reason)
{
    struct kr_sip_via v;
    struct kr_str rest;
    struct kr_err e;
    int rc = via(lit, &v, &rest, &e);
    if (rc != KR_EPARSE) {
        fail_msg("Via accepted: %s", lit);
    }
    if (reason && strcmp(e.reason, reason) != 0) {
        fail_msg("Via %s: reason '%s', expected '%s'", lit, e.reason, reason);
    }
}

static void test_via(void **state)
{
    (void)state;
    struct kr_sip_via v;
    struct kr_str rest;
    struct kr_err e;

    assert_int_equal(via("SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;rport;"
                         "received=192.0.2.1;ttl=16;maddr=224.2.0.1;x=\"q,;\"",
                         &v, &rest, &e),
                     0);
    ASSERT_STR(v.proto_name, "SIP");
    ASSERT_STR(v.proto_ver, "2.0");
    ASSERT_STR(v.transport, "UDP");
    assert_int_equal(v.proto, KR_PROTO_UDP);
    ASSERT_STR(v.host, "pc33.atlanta.com");
    ASSERT_STR(v.port, "5066");
    assert_int_equal(v.port_no, 5066);
    ASSERT_STR(v.branch, "z9hG4bK776asdhds");
    assert_true(v.has_rport);
    ASSERT_STR(v.rport, "");
    ASSERT_STR(v.received, "192.0.2.1");
    ASSERT_STR(v.params, "branch=z9hG4bK776asdhds;rport;received=192.0.2.1;ttl=16;maddr=224.2.0.1;"
                         "x=\"q,;\"");
    assert_int_equal(rest.len, 0);

    /* RFC 4475 wsinv: LWS everywhere, folds, two via-parms in one header */
    assert_int_equal(
        via("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   "
            "z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n"
            " z9hG4bK30239",
            &v, &rest, &e),
        0);
    assert_int_equal(v.proto, KR_PROTO_TCP);
    ASSERT_STR(v.host, "spindle.example.com");
    ASSERT_STR(v.branch, "z9hG4bK9ikj8");
    ASSERT_STR(v.whole, "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   "
                        "z9hG4bK9ikj8");
    ASSERT_STR(rest, "SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239");
    struct kr_str r2;
    assert_int_equal(kr_sip_parse_via(rest, &v, &r2, &e), 0);
    ASSERT_STR(v.host, "192.168.255.111");
    assert_true(v.host.ptr != NULL);
    ASSERT_STR(v.branch, "z9hG4bK30239");
    assert_int_equal(r2.len, 0);

    /* IPv6, rport with a value, received in both RFC 5118 forms */
    assert_int_equal(via("SIP/2.0/TLS [2001:db8::9:1]:5061;rport=5061;received=2001:db8::9:255;"
                         "branch=z9hG4bK",
                         &v, &rest, &e),
                     0);
    ASSERT_STR(v.host, "[2001:db8::9:1]");
    assert_int_equal(v.port_no, 5061);
    assert_int_equal(v.proto, KR_PROTO_TLS);
    ASSERT_STR(v.rport, "5061");
    ASSERT_STR(v.received, "2001:db8::9:255");
    assert_int_equal(via("SIP/2.0/UDP [::1];received=[2001:db8::9:255]", &v, &rest, &e), 0);
    ASSERT_STR(v.received, "[2001:db8::9:255]");
    assert_int_equal(via("SIP/2.0/UDP h;received=::1", &v, &rest, &e), 0);
    ASSERT_STR(v.received, "::1");
    /* RFC 4475 transports: an unknown transport is fine */
    assert_int_equal(via("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en", &v, &rest, &e),
                     0);
    assert_int_equal(v.proto, KR_PROTO_OTHER);
    assert_int_equal(via("SIP/2.0/SCTP t2.example.com", &v, &rest, &e), 0);
    assert_int_equal(v.proto, KR_PROTO_SCTP);
    ASSERT_STR(v.params, "");
    ASSERT_STR(v.branch, "");
    assert_false(v.has_rport);
    assert_int_equal(via("SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKyyy", &v, &rest, &e), 0);
    assert_int_equal(v.proto, KR_PROTO_WSS);
    assert_int_equal(via("SIP/2.0/WS h", &v, &rest, &e), 0);
    assert_int_equal(v.proto, KR_PROTO_WS);
    /* other protocol names and versions parse (the request check judges them) */
    assert_int_equal(via("SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw", &v, &rest, &e), 0);
    ASSERT_STR(v.proto_ver, "7.0");
    /* a comma list */
    assert_int_equal(via("SIP/2.0/UDP a, SIP/2.0/UDP b ,SIP/2.0/UDP c", &v, &rest, &e), 0);
    ASSERT_STR(v.whole, "SIP/2.0/UDP a");
    ASSERT_STR(rest, "SIP/2.0/UDP b ,SIP/2.0/UDP c");
    assert_int_equal(via("SIP/2.0/UDP h:0", &v, NULL, &e), 0);
    ASSERT_STR(v.port, "0");

    /* RFC 4475 badinv01 */
    via_bad("SIP/2.0/UDP 192.0.2.15;;,;,,", "Via: empty parameter");
    via_bad("SIP/2.0/UDP 192.0.2.15,", "Via: empty element");
    via_bad("SIP/2.0/UDP a,,SIP/2.0/UDP b", "Via: empty element");
    via_bad("SIP/2.0/UDP 192.0.2.15;", "Via: empty parameter");
    via_bad("SIP/2.0/UDP192.0.2.15", "Via: expected whitespace before sent-by");
    via_bad("SIP/2.0 192.0.2.15", "Via: expected '/' in sent-protocol");
    via_bad("SIP/2.0/ host", "Via: expected whitespace before sent-by"); /* SLASH has SWS */
    via_bad("SIP/2.0/ ;", "Via: bad sent-protocol");
    via_bad("/2.0/UDP host", "Via: bad sent-protocol");
    via_bad("SIP/2.0/UDP", "Via: expected whitespace before sent-by");
    via_bad("SIP/2.0/UDP ", "Via: bad host");
    via_bad("SIP/2.0/UDP [::1", "Via: bad host");
    via_bad("SIP/2.0/UDP 1.2.3.999", "Via: bad host");
    via_bad("SIP/2.0/UDP h:", "Via: bad port");
    via_bad("SIP/2.0/UDP h:70000", "Via: bad port");
    via_bad("SIP/2.0/UDP h;branch", "Via: bad branch");
    via_bad("SIP/2.0/UDP h;branch=\"x\"", "Via: bad branch");
    via_bad("SIP/2.0/UDP h;branch=", "empty parameter value");
    via_bad("SIP/2.0/UDP h;received=host.example", "Via: bad received");
    via_bad("SIP/2.0/UDP h;received=1.2.3.256", "Via: bad received");
    via_bad("SIP/2.0/UDP h;received=", "empty parameter value");
    via_bad("SIP/2.0/UDP h;received=;", "Via: bad received");
    via_bad("SIP/2.0/UDP h;rport=x", "Via: bad rport");
    via_bad("SIP/2.0/UDP h;rport=65536", "Via: bad rport");
    via_bad("SIP/2.0/UDP h;ttl=256", "Via: bad ttl");
    via_bad("SIP/2.0/UDP h;ttl", "Via: bad ttl");
    via_bad("SIP/2.0/UDP h;maddr=-x", "Via: bad maddr");
    via_bad("SIP/2.0/UDP h;x=\"open", "unterminated quoted string in parameter");
    via_bad("SIP/2.0/UDP h;x=[1::2::3]", "bad IPv6 reference");
    via_bad("SIP/2.0/UDP h x", "Via: unexpected character");
    via_bad("SIP/2.0/UDP h;a=b c", "Via: unexpected character");
    via_bad("", "Via: bad sent-protocol");
}

static int na(const char *lit, struct kr_sip_nameaddr *n, struct kr_str *rest, struct kr_err *e)
{
    memset(e, 0, sizeof(*e));
    return kr_sip_parse_nameaddr(tu_heap(lit), n, rest, e);
}

static void na_bad(const char *lit, const char *reason)
{
    struct kr_sip_nameaddr n;
    struct kr_str rest;
    struct kr_err e;
    int rc = na(lit, &n, &rest, &e);
    if (rc != KR_EPARSE) {
        fail_msg("name-addr accepted: %s", lit);
    }
    if (reason && strcmp(e.reason, reason) != 0) {
        fail_msg("name-addr %s: reason '%s', expected '%s'", lit, e.reason, reason);
    }
}

static void test_nameaddr(void **state)
{
    (void)state;
    struct kr_sip_nameaddr n;
    struct kr_str rest;
    struct kr_err e;

    assert_int_equal(
        na("\"Alice \\\"A\\\"\" <sip:alice@atlanta.com>;tag=1928301774;x=\"a,b\"", &n, &rest, &e),
        0);
    ASSERT_STR(n.display, "Alice \\\"A\\\"");
    ASSERT_STR(n.uri, "sip:alice@atlanta.com");
    ASSERT_STR(n.params, "tag=1928301774;x=\"a,b\"");
    ASSERT_STR(n.tag, "1928301774");
    assert_false(n.star);
    assert_int_equal(rest.len, 0);
    ASSERT_STR(n.whole, "\"Alice \\\"A\\\"\" <sip:alice@atlanta.com>;tag=1928301774;x=\"a,b\"");

    /* addr-spec: URI parameters outside <> belong to the header (RFC 3261 §20) */
    assert_int_equal(na("sip:+19725552222@gw1.example.net;unknownparam", &n, &rest, &e), 0);
    ASSERT_STR(n.uri, "sip:+19725552222@gw1.example.net");
    ASSERT_STR(n.params, "unknownparam");
    ASSERT_STR(n.display, "");
    /* RFC 4475 wsinv */
    assert_int_equal(
        na("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", &n, &rest, &e), 0);
    ASSERT_STR(n.uri, "sip:vivekg@chair-dnrc.example.com");
    ASSERT_STR(n.tag, "1918181833n");
    assert_int_equal(na("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag "
                        "= 98asjd8",
                        &n, &rest, &e),
                     0);
    ASSERT_STR(n.display, "J Rosenberg \\\\\\\"");
    ASSERT_STR(n.tag, "98asjd8");
    assert_int_equal(na("\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"
                        "      newvalue ;\r\n  secondparam ; q = 0.33",
                        &n, &rest, &e),
                     0);
    ASSERT_STR(n.params, "newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33");
    /* RFC 4475 lwsdisp and intmeth token displays */
    assert_int_equal(na("caller<sip:caller@example.com>;tag=323", &n, &rest, &e), 0);
    ASSERT_STR(n.display, "caller");
    ASSERT_STR(n.uri, "sip:caller@example.com");
    assert_int_equal(na("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!"
                        ".-%=\"\xd1\x80\xd0\xb0\";tag=_token~1'+`*%!-.",
                        &n, &rest, &e),
                     0);
    ASSERT_STR(n.display, "token1~` token2'+_ token3*%!.-");
    ASSERT_STR(n.tag, "_token~1'+`*%!-.");
    /* RFC 4475 intmeth To: quoted-pairs with control characters */
    static const char ctl[] = "\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:a@example.com>";
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_parse_nameaddr(tu_heapn(ctl, sizeof(ctl) - 1), &n, &rest, &e), 0);
    assert_int_equal(n.display.len, 20);
    /* RFC 4475 unksm2: other schemes are fine */
    assert_int_equal(na("isbn:2983792873", &n, &rest, &e), 0);
    ASSERT_STR(n.uri, "isbn:2983792873");
    assert_int_equal(na("<http://www.example.com>;tag=3234233", &n, &rest, &e), 0);
    ASSERT_STR(n.uri, "http://www.example.com");
    assert_int_equal(na("<name:John_Smith>", &n, &rest, &e), 0);
    /* URI headers inside <> (RFC 4475 regescrt) */
    assert_int_equal(na("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", &n, &rest, &e),
                     0);
    ASSERT_STR(n.uri, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
    /* lists, commas inside quotes and URIs */
    assert_int_equal(na("\"a, b\" <sip:x,y@h>;p=\"1,2\" , <sip:c@d>,sip:e@f", &n, &rest, &e), 0);
    ASSERT_STR(n.display, "a, b");
    ASSERT_STR(n.uri, "sip:x,y@h");
    ASSERT_STR(rest, "<sip:c@d>,sip:e@f");
    struct kr_str r2;
    assert_int_equal(kr_sip_parse_nameaddr(rest, &n, &r2, &e), 0);
    ASSERT_STR(r2, "sip:e@f");
    assert_int_equal(kr_sip_parse_nameaddr(r2, &n, &rest, &e), 0);
    ASSERT_STR(n.uri, "sip:e@f");
    assert_int_equal(rest.len, 0);
    /* Contact: * */
    assert_int_equal(na("*", &n, &rest, &e), 0);
    assert_true(n.star);
    ASSERT_STR(n.whole, "*");
    assert_int_equal(na("  *  ", &n, &rest, &e), 0);
    assert_true(n.star);
    assert_int_equal(
        na("<sip:a@b>;expires=0;+sip.instance=\"<urn:uuid:1>\";reg-id=1", &n, &rest, &e), 0);
    ASSERT_STR(n.params, "expires=0;+sip.instance=\"<urn:uuid:1>\";reg-id=1");
    assert_int_equal(na("<sip:a@[::1]>;maddr=[::2]", &n, &rest, &e), 0);
    /* the first tag is the one */
    assert_int_equal(na("<sip:a@b>;tag=1;tag=2", &n, &rest, &e), 0);
    ASSERT_STR(n.tag, "1");

    /* RFC 4475 quotbal, baddn, badaspec, regbadct, badinv01 */
    na_bad("\"Mr. J. User <sip:j.user@example.com>", "name-addr: unterminated quoted string");
    na_bad("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "name-addr: URI without scheme");
    na_bad("\"Watson, Thomas\" < sip:t.watson@example.org >", "name-addr: whitespace after '<'");
    na_bad("<sip:t.watson@example.org >", "name-addr: whitespace inside URI");
    na_bad("sip:user@example.com?Route=%3Csip:sip.example.com%3E",
           "name-addr: URI with '?' not enclosed in <>");
    na_bad("\"Joe\" <sip:joe@example.org>;;;;", "name-addr: empty parameter");
    na_bad("<sip:a@b>;", "name-addr: empty parameter");
    na_bad("<sip:a@b>,", "name-addr: empty element");
    na_bad("<sip:a@b>,,<sip:c@d>", "name-addr: empty element");
    na_bad("", "name-addr: empty");
    na_bad("   ", "name-addr: empty");
    na_bad("<sip:a@b", "name-addr: missing '>'");
    na_bad("<>", "name-addr: bad URI");
    na_bad("<1sip:a>", "name-addr: bad URI");
    na_bad("<sip>", "name-addr: URI without scheme");
    na_bad("<sip:a<b>", "name-addr: bad character in URI");
    na_bad("\"x\" sip:a@b", "name-addr: expected '<' after display name");
    na_bad("\"x\"", "name-addr: expected '<' after display name");
    na_bad("\"bad\\\r\" <sip:a@b>", "name-addr: unterminated quoted string");
    na_bad("\"ctl\x01\" <sip:a@b>", "name-addr: unterminated quoted string");
    na_bad("<sip:a@b> junk", "name-addr: unexpected character");
    na_bad("<sip:a@b>;tag", "name-addr: bad tag");
    na_bad("<sip:a@b>;tag=\"q\"", "name-addr: bad tag");
    na_bad("<sip:a@b>;x=", "empty parameter value");
    na_bad("<sip:a@b>;x=\"open", "unterminated quoted string in parameter");
    na_bad("* ;q=1", "name-addr: bad URI");
}

static void test_cseq(void **state)
{
    (void)state;
    struct kr_sip_cseq cs;
    struct kr_err e = { 0 };

    assert_int_equal(kr_sip_parse_cseq(tu_heap("314159 INVITE"), &cs, &e), 0);
    assert_int_equal(cs.num, 314159);
    ASSERT_STR(cs.method, "INVITE");
    assert_int_equal(cs.method_id, KR_SIP_METHOD_INVITE);
    /* RFC 4475 wsinv: leading zeros and a fold */
    assert_int_equal(kr_sip_parse_cseq(tu_heap("0009\r\n  INVITE"), &cs, &e), 0);
    assert_int_equal(cs.num, 9);
    assert_int_equal(kr_sip_parse_cseq(tu_heap("4294967295 RE%47IST%45R "), &cs, &e), 0);
    assert_int_equal(cs.num, 4294967295u);
    assert_int_equal(cs.method_id, KR_SIP_METHOD_OTHER);
    assert_int_equal(kr_sip_parse_cseq(tu_heap("0 ACK"), &cs, &e), 0);

    static const struct {
        const char *v;
        const char *reason;
    } badv[] = {
        { "4294967296 INVITE", "CSeq: number above 2^32-1" },
        /* RFC 4475 scalar02 */
        { "36893488147419103232 REGISTER", "CSeq: number above 2^32-1" },
        { "-1 INVITE", "CSeq: not a number" },
        { "INVITE", "CSeq: not a number" },
        { "", "CSeq: not a number" },
        { "1", "CSeq: expected whitespace before the method" },
        { "1INVITE", "CSeq: expected whitespace before the method" },
        { "1 ", "CSeq: bad method" },
        { "1 IN@VITE", "CSeq: trailing characters" },
        { "1 INVITE x", "CSeq: trailing characters" },
    };
    for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
        memset(&e, 0, sizeof(e));
        assert_int_equal(kr_sip_parse_cseq(tu_heap(badv[i].v), &cs, &e), KR_EPARSE);
        assert_string_equal(e.reason, badv[i].reason);
    }
}

static void test_scalars(void **state)
{
    (void)state;
    struct kr_err e = { 0 };
    unsigned mf;
    uint32_t x;
    size_t cl;

    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("70"), &mf, &e), 0);
    assert_int_equal(mf, 70);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap(" 0068 "), &mf, &e), 0);
    assert_int_equal(mf, 68);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("0"), &mf, &e), 0);
    assert_int_equal(mf, 0);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("255"), &mf, &e), 0);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("000000000000000000255"), &mf, &e), 0);
    assert_int_equal(mf, 255);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("256"), &mf, &e), KR_EPARSE);
    assert_string_equal(e.reason, "Max-Forwards: above 255");
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("300"), &mf, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap(""), &mf, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("-1"), &mf, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("1 2"), &mf, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_maxfwd(tu_heap("7a"), &mf, &e), KR_EPARSE);

    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_parse_expires(tu_heap("3600"), &x, &e), 0);
    assert_int_equal(x, 3600);
    assert_int_equal(kr_sip_parse_expires(tu_heap("4294967295"), &x, &e), 0);
    assert_int_equal(x, 4294967295u);
    assert_int_equal(kr_sip_parse_expires(tu_heap("4294967296"), &x, &e), KR_EPARSE);
    assert_string_equal(e.reason, "Expires: above 2^32-1");
    assert_int_equal(
        kr_sip_parse_expires(tu_heap("100000000000000000000000000000000000000000"), &x, &e),
        KR_EPARSE);
    assert_int_equal(kr_sip_parse_expires(tu_heap("Thu, 01 Dec 1994 16:00:00 GMT"), &x, &e),
                     KR_EPARSE);
    assert_int_equal(kr_sip_parse_expires(tu_heap(" "), &x, &e), KR_EPARSE);

    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_parse_clen(tu_heap("0"), &cl, &e), 0);
    assert_int_equal(cl, 0);
    assert_int_equal(kr_sip_parse_clen(tu_heap("\r\n 150 \r\n"), &cl, &e), 0);
    assert_int_equal(cl, 150);
    assert_int_equal(kr_sip_parse_clen(tu_heap("2147483647"), &cl, &e), 0);
    assert_int_equal(kr_sip_parse_clen(tu_heap("2147483648"), &cl, &e), KR_EPARSE);
    assert_string_equal(e.reason, "Content-Length: above 2^31-1");
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_parse_clen(tu_heap("-999"), &cl, &e), KR_EPARSE);
    assert_string_equal(e.reason, "Content-Length: not a number");
    assert_int_equal(kr_sip_parse_clen(tu_heap(""), &cl, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_clen(tu_heap("1.5"), &cl, &e), KR_EPARSE);
}

static int auth(const char *lit, struct kr_sip_auth *au, struct kr_err *e)
{
    memset(e, 0, sizeof(*e));
    return kr_sip_parse_auth(tu_heap(lit), au, e);
}

static void test_auth(void **state)
{
    (void)state;
    struct kr_sip_auth au;
    struct kr_err e;

    assert_int_equal(
        auth("Digest username=\"bob\", realm=\"biloxi.com\",\r\n nonce=\"dcd98b7102dd2f"
             "0e8b11d0f600bfb0c093\", uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001,"
             " cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
             "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=MD5, x=\"a\\\"b\"",
             &au, &e),
        0);
    ASSERT_STR(au.scheme, "Digest");
    ASSERT_STR(au.username, "bob");
    ASSERT_STR(au.realm, "biloxi.com");
    ASSERT_STR(au.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    ASSERT_STR(au.uri, "sip:bob@biloxi.com");
    ASSERT_STR(au.qop, "auth");
    ASSERT_STR(au.nc, "00000001");
    ASSERT_STR(au.cnonce, "0a4f113b");
    ASSERT_STR(au.response, "6629fae49393a05397450978507c4ef1");
    ASSERT_STR(au.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    ASSERT_STR(au.algorithm, "MD5");
    assert_int_equal(au.params.ptr[0], 'u');
    assert_int_equal(au.params.ptr[au.params.len - 1], '"');
    /* case-insensitive names, escapes kept raw */
    assert_int_equal(auth("digest USERNAME=\"a\\\\b\",Realm=r", &au, &e), 0);
    ASSERT_STR(au.username, "a\\\\b");
    ASSERT_STR(au.realm, "r");
    /* RFC 4475 regaut01: an unknown scheme parses with the scheme set */
    assert_int_equal(auth("NoOneKnowsThisScheme opaque-data=here", &au, &e), 0);
    ASSERT_STR(au.scheme, "NoOneKnowsThisScheme");
    ASSERT_STR(au.params, "opaque-data=here");
    ASSERT_STR(au.username, "");
    assert_int_equal(auth("Bearer mF_9.B5f-4.1JqM==", &au, &e), 0);
    ASSERT_STR(au.params, "mF_9.B5f-4.1JqM==");
    assert_int_equal(auth("Basic", &au, &e), 0);
    ASSERT_STR(au.scheme, "Basic");

    static const struct {
        const char *v;
        const char *reason;
    } badv[] = {
        { "", "credentials: bad scheme" },
        { "Digest", "credentials: Digest without parameters" },
        { "Digest username", "credentials: expected '='" },
        { "Digest username=", "credentials: empty parameter value" },
        { "Digest username=\"bob", "credentials: unterminated quoted string" },
        { "Digest username=bob realm=x", "credentials: expected ','" },
        { "Digest username=a,,realm=b", "credentials: empty parameter" },
        { "Digest username=a, username=b", "credentials: duplicate parameter" },
        { "Digest a=b,", "credentials: empty parameter" },
        { "Digest mF_9.B5f-4.1JqM==", "credentials: empty parameter value" },
        { "Bearer a b", "credentials: expected '='" },
        { "\"x\" a=b", "credentials: bad scheme" },
        { "Digest\"a=b", "credentials: expected whitespace after the scheme" },
    };
    for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
        if (auth(badv[i].v, &au, &e) != KR_EPARSE) {
            fail_msg("credentials accepted: %s", badv[i].v);
        }
        if (strcmp(e.reason, badv[i].reason) != 0) {
            fail_msg("credentials %s: reason '%s', expected '%s'", badv[i].v, e.reason,
                     badv[i].reason);
        }
    }
}

/* Empty slices with a NULL pointer (a fuzzer find under UBSan: NULL + 0). */
static void test_null_slices(void **state)
{
    (void)state;
    struct kr_str z = KR_STR_NULL;
    struct kr_err e = { 0 };
    struct kr_sip_via v;
    struct kr_sip_nameaddr n;
    struct kr_sip_cseq cs;
    struct kr_sip_auth au;
    struct kr_sip_uri u;
    struct kr_str val;
    unsigned mf;
    uint32_t x;
    size_t cl;

    assert_int_equal(kr_sip_parse_via(z, &v, NULL, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_nameaddr(z, &n, NULL, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_cseq(z, &cs, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_auth(z, &au, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_maxfwd(z, &mf, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_expires(z, &x, &e), KR_EPARSE);
    assert_int_equal(kr_sip_parse_clen(z, &cl, &e), KR_EPARSE);
    assert_int_equal(kr_sip_uri_parse(z, &u, &e), KR_EPARSE);
    assert_false(kr_sip_param_find(z, KR_STR("tag"), &val));
    assert_int_equal(kr_sip_unescape(z, NULL, 0), 0);
    assert_int_equal(kr_sip_hdr_type_of(z), KR_SIP_HDR_OTHER);
    assert_int_equal(kr_sip_method_id(z), KR_SIP_METHOD_OTHER);
    struct kr_arena a;
    struct kr_sip_msg m;
    kr_arena_init(&a, 1024, 0);
    assert_int_equal(kr_sip_msg_parse(NULL, 0, &a, &m, &e), KR_EPARSE);
    assert_int_equal(m.first[KR_SIP_HDR_VIA], -1);
    size_t skip;
    size_t len;
    assert_int_equal(kr_sip_frame(NULL, 0, 100, true, &skip, &len, &e), KR_EAGAIN);
    /* two URIs with no parameters compare without touching NULL pointers */
    struct kr_sip_uri u2;
    assert_int_equal(kr_sip_uri_parse(KR_STR("sip:h"), &u, &e), 0);
    assert_int_equal(kr_sip_uri_parse(KR_STR("sip:h"), &u2, &e), 0);
    assert_true(kr_sip_uri_eq(&u, &u2));
    kr_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_via),     TU_TEST(test_nameaddr), TU_TEST(test_cseq),
        TU_TEST(test_scalars), TU_TEST(test_auth),     TU_TEST(test_null_slices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
