/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for sip/msg: start lines, the header index (long and compact names,
 * folding, odd spacing), Content-Length and body cases, limits, and stream framing. */
#include "core/arena.h"
#include "sip/lex.h"
#include "sip/msg.h"
#include "sip_test_util.h"

static struct kr_arena arena;

static int setup(void **state)
{
    (void)state;
    kr_arena_init(&arena, 16384, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    kr_arena_fini(&arena);
    return tu_free_all(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static int parse(const char *lit, struct kr_sip_msg *m, struct kr_err *e)
{
    memset(e, 0, sizeof(*e));
    struct kr_str s = tu_heap(lit);
    return kr_sip_msg_parse(s.ptr, s.len, &arena, m, e);
}

static int parsen(const char *p, size_t n, struct kr_sip_msg *m, struct kr_err *e)
{
    memset(e, 0, sizeof(*e));
    struct kr_str s = tu_heapn(p, n);
    return kr_sip_msg_parse(s.ptr, s.len, &arena, m, e);
}

static void expect_fail(const char *lit, int code, const char *reason)
{
    struct kr_sip_msg m;
    struct kr_err e;
    int rc = parse(lit, &m, &e);
    if (rc != code) {
        fail_msg("rc %d (%s), expected %d for: %s", rc, e.reason ? e.reason : "-", code, lit);
    }
    if (reason && (e.reason == NULL || strcmp(e.reason, reason) != 0)) {
        fail_msg("reason '%s', expected '%s' for: %s", e.reason ? e.reason : "-", reason, lit);
    }
}

#define HDRS                                                                                       \
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"                                \
    "To: Bob <sip:bob@biloxi.com>\r\n"                                                             \
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"                                       \
    "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"                                                 \
    "CSeq: 314159 INVITE\r\n"                                                                      \
    "Max-Forwards: 70\r\n"

static void test_request_line(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;

    assert_int_equal(parse("INVITE sip:bob@biloxi.com SIP/2.0\r\n" HDRS "Content-Length: 4\r\n"
                           "\r\nv=0\r\n",
                           &m, &e),
                     0);
    assert_true(m.is_request);
    ASSERT_STR(m.method, "INVITE");
    assert_int_equal(m.method_id, KR_SIP_METHOD_INVITE);
    ASSERT_STR(m.ruri, "sip:bob@biloxi.com");
    ASSERT_STR(m.version, "SIP/2.0");
    ASSERT_STR(m.start_line, "INVITE sip:bob@biloxi.com SIP/2.0");
    ASSERT_STR(m.body, "v=0\r");
    ASSERT_STR(m.buf,
               "INVITE sip:bob@biloxi.com SIP/2.0\r\n" HDRS "Content-Length: 4\r\n\r\nv=0\r");
    assert_int_equal(m.nhdrs, 7);

    /* version in any case; RFC 4475 intmeth: any token is a method */
    assert_int_equal(parse("OPTIONS sip:a@b sip/2.0\r\n\r\n", &m, &e), 0);
    assert_int_equal(
        parse("!interesting-Method0123456789_*+`.%indeed'~ sip:a@b SIP/2.0\r\n\r\n", &m, &e), 0);
    ASSERT_STR(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    assert_int_equal(m.method_id, KR_SIP_METHOD_OTHER);
    /* leading CRLFs are skipped (RFC 3261 §7.5) */
    assert_int_equal(parse("\r\n\r\nBYE sip:a@b SIP/2.0\r\n\r\n", &m, &e), 0);
    ASSERT_STR(m.method, "BYE");
    assert_int_equal(m.buf.ptr[0], 'B');
    /* the Request-URI is not parsed here */
    assert_int_equal(parse("INVITE <sip:a@b> SIP/2.0\r\n\r\n", &m, &e), 0);
    ASSERT_STR(m.ruri, "<sip:a@b>");

    expect_fail("INVITE  sip:a@b SIP/2.0\r\n\r\n", KR_EPARSE, "extra whitespace in Request-Line");
    expect_fail("INVITE sip:a@b  SIP/2.0\r\n\r\n", KR_EPARSE, "extra whitespace in Request-Line");
    expect_fail("INVITE sip:a@b SIP/2.0 \r\n\r\n", KR_EPARSE, "extra whitespace in Request-Line");
    expect_fail("INVITE sip:a@b; lr SIP/2.0\r\n\r\n", KR_EPARSE,
                "extra whitespace in Request-Line");
    expect_fail("INVITE\tsip:a@b SIP/2.0\r\n\r\n", KR_EPARSE, "bad method in Request-Line");
    expect_fail(" INVITE sip:a@b SIP/2.0\r\n\r\n", KR_EPARSE, "bad method in Request-Line");
    expect_fail("INV@ITE sip:a@b SIP/2.0\r\n\r\n", KR_EPARSE, "bad method in Request-Line");
    expect_fail("INVITE sip:a@b\r\n\r\n", KR_EPARSE, "Request-Line without SIP-Version");
    expect_fail("INVITE\r\n\r\n", KR_EPARSE, "bad method in Request-Line");
    expect_fail("INVITE sip:a\x01@b SIP/2.0\r\n\r\n", KR_EPARSE, "bad character in Request-URI");
    expect_fail("INVITE sip:a\x01@b\r\n\r\n", KR_EPARSE, "Request-Line without SIP-Version");
    expect_fail("INVITE \x7f SIP/2.0\r\n\r\n", KR_EPARSE, "bad character in Request-URI");
    expect_fail("INVITE sip:a@b\tSIP/2.0\r\n\r\n", KR_EPARSE, "Request-Line without SIP-Version");
    expect_fail("INVITE sip:a@b\t SIP/2.0\r\n\r\n", KR_EPARSE, "bad character in Request-URI");
    expect_fail("INVITE sip:a@b SIP/2.0\t\r\n\r\n", KR_EPARSE, "extra whitespace in Request-Line");
    expect_fail("INVITE sip:a@b S\tIP/2.0\r\n\r\n", KR_EPARSE, "extra whitespace in Request-Line");
    expect_fail("INVITE sip:a@b SIP/2\r\n\r\n", KR_EVERSION, "unsupported SIP version");
    expect_fail("INVITE sip:a@b SIP/2.\r\n\r\n", KR_EVERSION, "unsupported SIP version");
    expect_fail("INVITE sip:a@b SIP/\r\n\r\n", KR_EPARSE, "bad SIP-Version");
    expect_fail("INVITE sip:a@b SIP/2.0\x01\r\n\r\n", KR_EPARSE, "bad SIP-Version");
    expect_fail("INVITE sip:a@b SIP/2.0/x\r\n\r\n", KR_EPARSE, "bad SIP-Version");
    expect_fail("INVITE sip:a@b SIPS/2.0\r\n\r\n", KR_EPARSE, "bad SIP-Version");
    expect_fail("INVITE sip:a@b HTTP/1.1\r\n\r\n", KR_EPARSE, "bad SIP-Version");
    expect_fail("INVITE sip:a@b SIP/7.0\r\n\r\n", KR_EVERSION, "unsupported SIP version");
    expect_fail("INVITE sip:a@b SIP/2.00\r\n\r\n", KR_EVERSION, "unsupported SIP version");
    expect_fail("", KR_EPARSE, "empty message");
    expect_fail("\r\n\r\n", KR_EPARSE, "empty message");
    expect_fail("INVITE sip:a@b SIP/2.0", KR_EPARSE, "start line without end");
}

static void test_version_keeps_headers(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;
    /* a 505 reply needs the headers: they are indexed */
    assert_int_equal(parse("OPTIONS sip:a@b SIP/7.0\r\n" HDRS "\r\n", &m, &e), KR_EVERSION);
    assert_int_equal(m.nhdrs, 6);
    assert_non_null(kr_sip_msg_hdr(&m, KR_SIP_HDR_VIA, 0));
    ASSERT_STR(m.version, "SIP/7.0");
    /* a malformed message has priority over the version */
    assert_int_equal(parse("OPTIONS sip:a@b SIP/7.0\r\nbad header\r\n\r\n", &m, &e), KR_EPARSE);
}

static void test_status_line(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;

    assert_int_equal(parse("SIP/2.0 200 OK\r\n" HDRS "\r\n", &m, &e), 0);
    assert_false(m.is_request);
    assert_int_equal(m.status, 200);
    ASSERT_STR(m.reason, "OK");
    ASSERT_STR(m.version, "SIP/2.0");
    assert_int_equal(m.method.len, 0);
    /* RFC 4475 noreason */
    assert_int_equal(parse("SIP/2.0 100 \r\n\r\n", &m, &e), 0);
    assert_int_equal(m.status, 100);
    ASSERT_STR(m.reason, "");
    assert_int_equal(parse("SIP/2.0 180\r\n\r\n", &m, &e), 0);
    ASSERT_STR(m.reason, "");
    assert_int_equal(parse("SIP/2.0 699 Odd \xd0\xbd\xd0\xbe \t phrase\r\n\r\n", &m, &e), 0);
    ASSERT_STR(m.reason, "Odd \xd0\xbd\xd0\xbe \t phrase");
    assert_int_equal(parse("sip/2.0 404 Not Found\r\n\r\n", &m, &e), 0);
    assert_false(m.is_request);

    /* RFC 4475 bigcode */
    expect_fail("SIP/2.0 4294967301 better not break the receiver\r\n\r\n", KR_EPARSE,
                "bad Status-Code");
    expect_fail("SIP/2.0 099 Low\r\n\r\n", KR_EPARSE, "Status-Code out of range");
    expect_fail("SIP/2.0 700 High\r\n\r\n", KR_EPARSE, "Status-Code out of range");
    expect_fail("SIP/2.0 20 OK\r\n\r\n", KR_EPARSE, "bad Status-Code");
    expect_fail("SIP/2.0 2x0 OK\r\n\r\n", KR_EPARSE, "bad Status-Code");
    expect_fail("SIP/2.0  200 OK\r\n\r\n", KR_EPARSE, "bad Status-Code");
    expect_fail("SIP/2.0 200 O\x01K\r\n\r\n", KR_EPARSE, "bad character in Reason-Phrase");
    expect_fail("SIP/2.0\r\n\r\n", KR_EPARSE, "bad Status-Line");
    expect_fail("SIP/2.0x 200 OK\r\n\r\n", KR_EVERSION, "unsupported SIP version");
    expect_fail("SIP/ 200 OK\r\n\r\n", KR_EPARSE, "bad SIP-Version");
    expect_fail("SIP/2.0@ 200 OK\r\n\r\n", KR_EPARSE, "bad SIP-Version");
    expect_fail("SIP/3.0 200 OK\r\n\r\n", KR_EVERSION, "unsupported SIP version");
}

static void test_header_index(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;

    assert_int_equal(parse("REGISTER sip:r SIP/2.0\r\n"
                           "v: SIP/2.0/UDP a\r\n"
                           "Via: SIP/2.0/UDP b\r\n"
                           "X-Custom: one\r\n"
                           "t: <sip:t@x>\r\n"
                           "f: <sip:f@x>;tag=1\r\n"
                           "i: cid\r\n"
                           "m: <sip:c@x>\r\n"
                           "Contact: <sip:d@x>\r\n"
                           "c: text/plain\r\n"
                           "e: gzip\r\n"
                           "k: path\r\n"
                           "o: presence\r\n"
                           "s: hello\r\n"
                           "r: <sip:x@y>\r\n"
                           "u: presence\r\n"
                           "x-custom: two\r\n"
                           "l: 0\r\n"
                           "\r\n",
                           &m, &e),
                     0);
    assert_int_equal(m.nhdrs, 17);
    assert_int_equal(m.first[KR_SIP_HDR_VIA], 0);
    assert_int_equal(m.first[KR_SIP_HDR_OTHER], 2);
    assert_int_equal(m.first[KR_SIP_HDR_TO], 3);
    assert_int_equal(m.first[KR_SIP_HDR_FROM], 4);
    assert_int_equal(m.first[KR_SIP_HDR_CALL_ID], 5);
    assert_int_equal(m.first[KR_SIP_HDR_CONTACT], 6);
    assert_int_equal(m.first[KR_SIP_HDR_CONTENT_TYPE], 8);
    assert_int_equal(m.first[KR_SIP_HDR_CONTENT_ENCODING], 9);
    assert_int_equal(m.first[KR_SIP_HDR_SUPPORTED], 10);
    assert_int_equal(m.first[KR_SIP_HDR_EVENT], 11);
    assert_int_equal(m.first[KR_SIP_HDR_SUBJECT], 12);
    assert_int_equal(m.first[KR_SIP_HDR_REFER_TO], 13);
    assert_int_equal(m.first[KR_SIP_HDR_CONTENT_LENGTH], 16);
    assert_int_equal(m.first[KR_SIP_HDR_CSEQ], -1);
    assert_int_equal(m.first[KR_SIP_HDR_ROUTE], -1);
    assert_int_equal(m.hdrs[14].type, KR_SIP_HDR_OTHER); /* u: Allow-Events */
    ASSERT_STR(m.hdrs[14].name, "u");

    const struct kr_sip_hdr *h = kr_sip_msg_hdr(&m, KR_SIP_HDR_VIA, 1);
    assert_non_null(h);
    ASSERT_STR(h->name, "Via");
    ASSERT_STR(h->value, "SIP/2.0/UDP b");
    ASSERT_STR(h->raw, "Via: SIP/2.0/UDP b\r\n");
    assert_null(kr_sip_msg_hdr(&m, KR_SIP_HDR_VIA, 2));
    assert_null(kr_sip_msg_hdr(&m, KR_SIP_HDR_CSEQ, 0));
    assert_null(kr_sip_msg_hdr(&m, KR_SIP_HDR__COUNT, 0));

    h = kr_sip_msg_hdr_by_name(&m, KR_STR("Contact"), 1);
    ASSERT_STR(h->value, "<sip:d@x>");
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("m"), 0);
    ASSERT_STR(h->value, "<sip:c@x>");
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("CONTACT"), -1);
    ASSERT_STR(h->value, "<sip:d@x>");
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("contact"), -2);
    ASSERT_STR(h->value, "<sip:c@x>");
    assert_null(kr_sip_msg_hdr_by_name(&m, KR_STR("contact"), -3));
    assert_null(kr_sip_msg_hdr_by_name(&m, KR_STR("contact"), 2));
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("X-CUSTOM"), 1);
    ASSERT_STR(h->value, "two");
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("x-custom"), -1);
    ASSERT_STR(h->value, "two");
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("Allow-Events"), 0);
    ASSERT_STR(h->value, "presence");
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("U"), 0);
    ASSERT_STR(h->name, "u");
    h = kr_sip_msg_hdr_by_name(&m, KR_STR("Content-Length"), 0);
    ASSERT_STR(h->name, "l");
    assert_null(kr_sip_msg_hdr_by_name(&m, KR_STR("Session-Expires"), 0));
    assert_null(kr_sip_msg_hdr_by_name(&m, KR_STR("X-Other"), 0));
    ASSERT_STR(m.headers, "v: SIP/2.0/UDP a\r\nVia: SIP/2.0/UDP b\r\nX-Custom: one\r\nt: "
                          "<sip:t@x>\r\nf: <sip:f@x>;tag=1\r\ni: cid\r\nm: <sip:c@x>\r\nContact: "
                          "<sip:d@x>\r\nc: text/plain\r\ne: gzip\r\nk: path\r\no: presence\r\ns: "
                          "hello\r\nr: <sip:x@y>\r\nu: presence\r\nx-custom: two\r\nl: 0\r\n\r\n");
}

static void test_type_names(void **state)
{
    (void)state;
    for (int t = 1; t < KR_SIP_HDR__COUNT; t++) {
        struct kr_str n = kr_sip_hdr_name((enum kr_sip_hdr_type)t);
        assert_true(n.len > 0);
        assert_int_equal(kr_sip_hdr_type_of(n), t);
        /* any case */
        char up[32];
        char low[32];
        for (size_t i = 0; i < n.len; i++) {
            up[i] = (n.ptr[i] >= 'a' && n.ptr[i] <= 'z') ? (char)(n.ptr[i] - 32) : n.ptr[i];
            low[i] = kr_ascii_lower(n.ptr[i]);
        }
        assert_int_equal(kr_sip_hdr_type_of(tu_heapn(up, n.len)), t);
        assert_int_equal(kr_sip_hdr_type_of(tu_heapn(low, n.len)), t);
        /* one letter off is not it */
        low[n.len - 1] = low[n.len - 1] == 'x' ? 'y' : 'x';
        assert_int_equal(kr_sip_hdr_type_of(tu_heapn(low, n.len)), KR_SIP_HDR_OTHER);
    }
    ASSERT_STR(kr_sip_hdr_name(KR_SIP_HDR_CALL_ID), "Call-ID");
    ASSERT_STR(kr_sip_hdr_name(KR_SIP_HDR_OTHER), "");
    ASSERT_STR(kr_sip_hdr_name(KR_SIP_HDR__COUNT), "");
    /* compact forms of RFC 3261 §7.3.3 and the IANA registry */
    static const struct {
        char c;
        enum kr_sip_hdr_type t;
    } compact[] = {
        { 'i', KR_SIP_HDR_CALL_ID },
        { 'm', KR_SIP_HDR_CONTACT },
        { 'e', KR_SIP_HDR_CONTENT_ENCODING },
        { 'l', KR_SIP_HDR_CONTENT_LENGTH },
        { 'c', KR_SIP_HDR_CONTENT_TYPE },
        { 'f', KR_SIP_HDR_FROM },
        { 's', KR_SIP_HDR_SUBJECT },
        { 'k', KR_SIP_HDR_SUPPORTED },
        { 't', KR_SIP_HDR_TO },
        { 'v', KR_SIP_HDR_VIA },
        { 'o', KR_SIP_HDR_EVENT },
        { 'r', KR_SIP_HDR_REFER_TO },
        { 'u', KR_SIP_HDR_OTHER },
        { 'a', KR_SIP_HDR_OTHER },
        { 'x', KR_SIP_HDR_OTHER },
        { 'z', KR_SIP_HDR_OTHER },
    };
    for (size_t i = 0; i < sizeof(compact) / sizeof(compact[0]); i++) {
        char c = compact[i].c;
        char u = (char)(c - 32);
        assert_int_equal(kr_sip_hdr_type_of(tu_heapn(&c, 1)), compact[i].t);
        assert_int_equal(kr_sip_hdr_type_of(tu_heapn(&u, 1)), compact[i].t);
    }
    assert_int_equal(kr_sip_hdr_type_of(tu_heap("")), KR_SIP_HDR_OTHER);
    assert_int_equal(kr_sip_hdr_type_of(tu_heap("C%6Fntact")), KR_SIP_HDR_OTHER);
    assert_int_equal(kr_sip_hdr_type_of(tu_heap("Content-Lengt")), KR_SIP_HDR_OTHER);
}

static void test_methods(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum kr_sip_method id;
    } m[] = {
        { "INVITE", KR_SIP_METHOD_INVITE },     { "ACK", KR_SIP_METHOD_ACK },
        { "CANCEL", KR_SIP_METHOD_CANCEL },     { "BYE", KR_SIP_METHOD_BYE },
        { "REGISTER", KR_SIP_METHOD_REGISTER }, { "OPTIONS", KR_SIP_METHOD_OPTIONS },
        { "INFO", KR_SIP_METHOD_INFO },         { "UPDATE", KR_SIP_METHOD_UPDATE },
        { "PRACK", KR_SIP_METHOD_PRACK },       { "SUBSCRIBE", KR_SIP_METHOD_SUBSCRIBE },
        { "NOTIFY", KR_SIP_METHOD_NOTIFY },     { "PUBLISH", KR_SIP_METHOD_PUBLISH },
        { "MESSAGE", KR_SIP_METHOD_MESSAGE },   { "REFER", KR_SIP_METHOD_REFER },
        { "invite", KR_SIP_METHOD_OTHER },      { "RE%47IST%45R", KR_SIP_METHOD_OTHER },
        { "INVITES", KR_SIP_METHOD_OTHER },     { "", KR_SIP_METHOD_OTHER },
        { "BYF", KR_SIP_METHOD_OTHER },
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        assert_int_equal(kr_sip_method_id(tu_heap(m[i].name)), m[i].id);
    }
}

static void test_folding_and_spacing(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;

    assert_int_equal(parse("OPTIONS sip:a@b SIP/2.0\r\n"
                           "TO :\r\n sip:vivekg@example.com ;   tag    = 1918181833n\r\n"
                           "Subject:   folded\r\n\tvalue  \r\n"
                           "s :\r\n"
                           "Route:\r\n <sip:services.example.com;lr>\r\n"
                           "Empty:\r\n"
                           "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n"
                           "\r\n",
                           &m, &e),
                     0);
    assert_int_equal(m.nhdrs, 6);
    ASSERT_STR(m.hdrs[0].name, "TO");
    assert_int_equal(m.hdrs[0].type, KR_SIP_HDR_TO);
    ASSERT_STR(m.hdrs[0].value, "sip:vivekg@example.com ;   tag    = 1918181833n");
    ASSERT_STR(m.hdrs[1].value, "folded\r\n\tvalue");
    ASSERT_STR(m.hdrs[2].value, "");
    assert_int_equal(m.hdrs[2].type, KR_SIP_HDR_SUBJECT);
    ASSERT_STR(m.hdrs[3].value, "<sip:services.example.com;lr>");
    ASSERT_STR(m.hdrs[4].value, "");
    ASSERT_STR(m.hdrs[5].name, "Via");
    ASSERT_STR(m.hdrs[5].value, "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw");
    ASSERT_STR(m.hdrs[5].raw, "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n");

    /* bare LF line ends in the header part */
    assert_int_equal(parse("MESSAGE sip:a@b SIP/2.0\n"
                           "Via: SIP/2.0/UDP h\n"
                           "Subject: a\n b\n"
                           "Content-Length: 5\n"
                           "\n"
                           "x\ny\r\nzz",
                           &m, &e),
                     0);
    assert_int_equal(m.nhdrs, 3);
    ASSERT_STR(m.hdrs[1].value, "a\n b");
    ASSERT_STR(m.body, "x\ny\r\n");
    ASSERT_STR(m.headers, "Via: SIP/2.0/UDP h\nSubject: a\n b\nContent-Length: 5\n\n");
    /* mixed: CRLF lines, LF-only empty line */
    assert_int_equal(parse("BYE sip:a@b SIP/2.0\r\nVia: x\r\n\nbody", &m, &e), 0);
    ASSERT_STR(m.body, "body");

    expect_fail("OPTIONS sip:a@b SIP/2.0\r\n folded-first: x\r\n\r\n", KR_EPARSE,
                "continuation line without a header field");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", KR_EPARSE, "header without ':'");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nFoobar roobar\r\n\r\n", KR_EPARSE,
                "header without ':'");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n", KR_EPARSE, "bad header name");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nNa(me: x\r\n\r\n", KR_EPARSE, "header without ':'");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n", KR_EPARSE,
                "no empty line after the header fields");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nTo: x", KR_EPARSE, "header field without end of line");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n \r\n", KR_EPARSE,
                "no empty line after the header fields");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n\r", KR_EPARSE, "bad header name");
    /* a bare CR would end a line for someone else: header smuggling */
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\rTo: <sip:c@d>\r\n\r\n",
                KR_EPARSE, "bare CR in header field");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nX: a\r\n b\rc\r\n\r\n", KR_EPARSE,
                "bare CR in header field");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nX: a\r\r\n\r\n", KR_EPARSE, "bare CR in header field");
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nX\r: a\r\n\r\n", KR_EPARSE, "header without ':'");
}

static void test_partial_index(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;

    /* the start line is bad, the headers are still indexed for a 400 */
    assert_int_equal(parse("INVITE  sip:a@b SIP/2.0\r\n" HDRS "\r\n", &m, &e), KR_EPARSE);
    assert_true(m.is_request);
    assert_non_null(kr_sip_msg_hdr(&m, KR_SIP_HDR_CSEQ, 0));
    assert_int_equal(m.nhdrs, 6);
    /* a broken header stops indexing, what came before is kept */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\n" HDRS "Broken\r\nTo: c\r\n\r\n", &m, &e),
                     KR_EPARSE);
    assert_int_equal(m.nhdrs, 6);
    assert_int_equal(e.off, strlen("INVITE sip:a@b SIP/2.0\r\n" HDRS));
    /* a bad Content-Length goes on indexing */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n" HDRS "\r\n", &m, &e),
                     KR_EPARSE);
    ASSERT_STR(kr_str_c(e.reason), "bad Content-Length");
    assert_int_equal(m.nhdrs, 7);
}

static void test_content_length(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;

    /* exact body; extra datagram bytes are not part of the message (RFC 4475 dblreq) */
    assert_int_equal(parse("BYE sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcdef", &m, &e), 0);
    ASSERT_STR(m.body, "abc");
    ASSERT_STR(m.buf, "BYE sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc");
    assert_int_equal(
        parse("BYE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n\r\nBYE sip:c@d SIP/2.0\r\n\r\n", &m, &e), 0);
    ASSERT_STR(m.body, "");
    /* without Content-Length the body is the rest (UDP) */
    assert_int_equal(parse("BYE sip:a@b SIP/2.0\r\nTo: x\r\n\r\nrest\r\n", &m, &e), 0);
    ASSERT_STR(m.body, "rest\r\n");
    /* the same value twice is fine here (the request check refuses it) */
    assert_int_equal(parse("BYE sip:a@b SIP/2.0\r\nl: 2\r\nContent-Length: 002\r\n\r\nxy", &m, &e),
                     0);
    ASSERT_STR(m.body, "xy");
    /* the body may hold NUL and bare LF octets */
    static const char nul[] = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\na\0\nb\0";
    assert_int_equal(parsen(nul, sizeof(nul) - 1, &m, &e), 0);
    assert_int_equal(m.body.len, 5);
    assert_memory_equal(m.body.ptr, "a\0\nb\0", 5);
    /* folded value */
    assert_int_equal(parse("BYE sip:a@b SIP/2.0\r\nContent-Length:\r\n 1\r\n\r\nz", &m, &e), 0);
    ASSERT_STR(m.body, "z");

    expect_fail("INVITE sip:a@b SIP/2.0\r\nContent-Length: 9999\r\n\r\nv=0\r\n", KR_EPARSE,
                "Content-Length larger than message");
    expect_fail("INVITE sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n", KR_EPARSE,
                "bad Content-Length");
    expect_fail("INVITE sip:a@b SIP/2.0\r\nContent-Length: +1\r\n\r\nx", KR_EPARSE,
                "bad Content-Length");
    expect_fail("INVITE sip:a@b SIP/2.0\r\nContent-Length: 1x\r\n\r\nx", KR_EPARSE,
                "bad Content-Length");
    expect_fail("INVITE sip:a@b SIP/2.0\r\nContent-Length:\r\n\r\n", KR_EPARSE,
                "bad Content-Length");
    expect_fail("INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n", KR_EPARSE,
                "bad Content-Length");
    expect_fail("INVITE sip:a@b SIP/2.0\r\nContent-Length: 1 2\r\n\r\nx", KR_EPARSE,
                "bad Content-Length");
    /* RFC 4475 mcl01 */
    expect_fail("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 13\r\nContent-Length: 5\r\n\r\n"
                "There's no way to know\r\n",
                KR_EPARSE, "multiple different Content-Length values");
}

static void test_limits(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;
    char *big = malloc(KR_SIP_MAX_MSG + 100);
    size_t n = 0;

    /* KR_SIP_MAX_HEADERS headers fit, one more does not */
    n = (size_t)snprintf(big, 64, "OPTIONS sip:a@b SIP/2.0\r\n");
    for (int i = 0; i < KR_SIP_MAX_HEADERS; i++) {
        n += (size_t)snprintf(big + n, 64, "X-%d: %d\r\n", i, i);
    }
    memcpy(big + n, "\r\n", 2);
    assert_int_equal(parsen(big, n + 2, &m, &e), 0);
    assert_int_equal(m.nhdrs, KR_SIP_MAX_HEADERS);
    ASSERT_STR(m.hdrs[255].name, "X-255");
    n += (size_t)snprintf(big + n, 64, "X-last: 1\r\n");
    memcpy(big + n, "\r\n", 2);
    assert_int_equal(parsen(big, n + 2, &m, &e), KR_ELIMIT);
    ASSERT_STR(kr_str_c(e.reason), "too many header fields");
    assert_int_equal(m.nhdrs, KR_SIP_MAX_HEADERS);

    /* a message above KR_SIP_MAX_MSG */
    n = (size_t)snprintf(big, 64, "MESSAGE sip:a@b SIP/2.0\r\n\r\n");
    memset(big + n, 'x', KR_SIP_MAX_MSG + 100 - n);
    assert_int_equal(parsen(big, KR_SIP_MAX_MSG + 100, &m, &e), KR_ELIMIT);
    assert_int_equal(parsen(big, KR_SIP_MAX_MSG, &m, &e), 0);
    free(big);

    /* an exhausted arena is KR_ENOMEM, not a crash */
    struct kr_arena tiny;
    kr_arena_init(&tiny, 64, 64);
    struct kr_str s = tu_heap("OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n\r\n");
    memset(&e, 0, sizeof(e));
    assert_int_equal(kr_sip_msg_parse(s.ptr, s.len, &tiny, &m, &e), KR_ENOMEM);
    kr_arena_fini(&tiny);
}

static int frame(const char *p, size_t n, size_t max, bool req_cl, size_t *skip, size_t *len)
{
    struct kr_err e = { 0 };
    struct kr_str s = tu_heapn(p, n);
    return kr_sip_frame(s.ptr, s.len, max, req_cl, skip, len, &e);
}

static void test_frame(void **state)
{
    (void)state;
    size_t skip;
    size_t len;
    static const char one[] = "INVITE sip:a@b SIP/2.0\r\nVia: x\r\nContent-Length: 5\r\n\r\nhello";
    const size_t n1 = sizeof(one) - 1;

    assert_int_equal(frame(one, n1, 65535, true, &skip, &len), 0);
    assert_int_equal(skip, 0);
    assert_int_equal(len, n1);
    /* byte by byte: every prefix wants more */
    for (size_t i = 0; i < n1; i++) {
        if (frame(one, i, 65535, true, &skip, &len) != KR_EAGAIN) {
            fail_msg("prefix of %zu bytes was not KR_EAGAIN", i);
        }
    }
    /* the same with a state: every byte looked at about once */
    struct kr_sip_frame_state st = { 0 };
    char grow[256];
    memcpy(grow, "\r\n", 2);
    memcpy(grow + 2, one, n1);
    for (size_t i = 0; i <= n1 + 2; i++) {
        struct kr_str s = tu_heapn(grow, i);
        struct kr_err e = { 0 };
        int rc = kr_sip_frame_resume(s.ptr, s.len, 65535, true, &st, &skip, &len, &e);
        if (i < n1 + 2) {
            assert_int_equal(rc, KR_EAGAIN);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(skip, 2);
            assert_int_equal(len, n1);
        }
        if (i >= 2 && i < n1 + 2 - 5) {
            /* until the body: what was searched is remembered */
            assert_true(st.scanned == i - 2 || st.total == n1);
        }
    }
    assert_int_equal(st.total, n1);
    /* an "\n\r\n" split across calls is still found */
    static const char split[] = "BYE sip:a@b SIP/2.0\nl: 1\n\r\nx";
    memset(&st, 0, sizeof(st));
    struct kr_err fe = { 0 };
    struct kr_str s1 = tu_heapn(split, 26); /* ends in "\n\r" */
    assert_int_equal(kr_sip_frame_resume(s1.ptr, s1.len, 65535, true, &st, &skip, &len, &fe),
                     KR_EAGAIN);
    assert_int_equal(st.scanned, 26);
    assert_int_equal(st.total, 0);
    struct kr_str s2 = tu_heapn(split, sizeof(split) - 1);
    assert_int_equal(kr_sip_frame_resume(s2.ptr, s2.len, 65535, true, &st, &skip, &len, &fe), 0);
    assert_int_equal(len, sizeof(split) - 1);

    /* two messages back to back, with keep-alives before and between */
    char two[512];
    size_t n = 0;
    memcpy(two + n, "\r\n\r\n", 4);
    n += 4;
    memcpy(two + n, one, n1);
    n += n1;
    memcpy(two + n, "\r\n", 2);
    n += 2;
    memcpy(two + n, one, n1);
    n += n1;
    assert_int_equal(frame(two, n, 65535, true, &skip, &len), 0);
    assert_int_equal(skip, 4);
    assert_int_equal(len, n1);
    size_t off = skip + len;
    assert_int_equal(frame(two + off, n - off, 65535, true, &skip, &len), 0);
    assert_int_equal(skip, 2);
    assert_int_equal(len, n1);
    off += skip + len;
    assert_int_equal(off, n);
    /* only keep-alives */
    assert_int_equal(frame("\r\n\r\n", 4, 65535, true, &skip, &len), KR_EAGAIN);
    assert_int_equal(skip, 4);
    assert_int_equal(frame("", 0, 65535, true, &skip, &len), KR_EAGAIN);
    assert_int_equal(skip, 0);

    /* compact and folded Content-Length, bare LF */
    static const char compact[] = "BYE sip:a@b SIP/2.0\nl:\n  2\n\nxyBYE";
    assert_int_equal(frame(compact, sizeof(compact) - 1, 65535, true, &skip, &len), 0);
    assert_int_equal(len, sizeof(compact) - 1 - 3);
    /* a header that merely ends in "l" is not it */
    static const char notcl[] = "BYE sip:a@b SIP/2.0\r\nurl: 5\r\nL : 1\r\n\r\nx";
    assert_int_equal(frame(notcl, sizeof(notcl) - 1, 65535, true, &skip, &len), 0);
    assert_int_equal(len, sizeof(notcl) - 1);
    /* no Content-Length */
    static const char nocl[] = "BYE sip:a@b SIP/2.0\r\nTo: x\r\n\r\n";
    assert_int_equal(frame(nocl, sizeof(nocl) - 1, 65535, true, &skip, &len), KR_EPARSE);
    assert_int_equal(frame(nocl, sizeof(nocl) - 1, 65535, false, &skip, &len), 0);
    assert_int_equal(len, sizeof(nocl) - 1);
    /* bad or conflicting values */
    static const char neg[] = "BYE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n";
    assert_int_equal(frame(neg, sizeof(neg) - 1, 65535, true, &skip, &len), KR_EPARSE);
    static const char two_cl[] = "BYE sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nxy";
    assert_int_equal(frame(two_cl, sizeof(two_cl) - 1, 65535, true, &skip, &len), KR_EPARSE);
    static const char same_cl[] = "BYE sip:a@b SIP/2.0\r\nl: 2\r\nl: 2\r\n\r\nxy";
    assert_int_equal(frame(same_cl, sizeof(same_cl) - 1, 65535, true, &skip, &len), 0);
    /* limits */
    assert_int_equal(frame(one, n1, 20, true, &skip, &len), KR_EPARSE);
    assert_int_equal(frame(one, 30, 20, true, &skip, &len), KR_EPARSE);
    assert_int_equal(frame(one, 10, 20, true, &skip, &len), KR_EAGAIN);
    assert_int_equal(frame(one, n1, n1 - 1, true, &skip, &len), KR_ELIMIT);
    static const char huge[] = "BYE sip:a@b SIP/2.0\r\nl: 2147483647\r\n\r\n";
    assert_int_equal(frame(huge, sizeof(huge) - 1, 65535, true, &skip, &len), KR_ELIMIT);
    /* "\n\r" then more: not the end yet */
    static const char crx[] = "BYE sip:a@b SIP/2.0\r\nl: 0\n\rX: y\r\n\r\n";
    assert_int_equal(frame(crx, sizeof(crx) - 1, 65535, true, &skip, &len), 0);
    assert_int_equal(len, sizeof(crx) - 1);
    assert_int_equal(frame(crx, 27, 65535, true, &skip, &len), KR_EAGAIN);
}

/* The byte-at-a-time compare kr_sip_lceq replaced, as the reference. */
static bool ref_lceq(const char *p, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c + 32);
        }
        if (c != lower[i]) {
            return false;
        }
    }
    return true;
}

/* kr_sip_lceq and kr_sip_hdr_type_of compare words: every byte value at every position
 * of every literal length must give the byte-wise answer. */
static void test_lceq_exact(void **state)
{
    (void)state;
    static const char *const lits[] = {
        "v",
        "to",
        "sip",
        "sip/",
        "sip/2.0",
        "branch",
        "received",
        "call-id",
        "content-length",
        "x-1.2/3-abc_",
        "abcdefghi",
        "proxy-authorization",
        "abcdefghijklmnopqrstuvwxyz-0123",
    };
    for (size_t k = 0; k < sizeof(lits) / sizeof(lits[0]); k++) {
        size_t n = strlen(lits[k]);
        char *buf = malloc(n);
        assert_non_null(buf);
        for (size_t i = 0; i < n; i++) {
            for (int c = 0; c < 256; c++) {
                memcpy(buf, lits[k], n);
                buf[i] = (char)c;
                assert_int_equal(kr_sip_lceq(buf, lits[k], n), ref_lceq(buf, lits[k], n));
                /* and with the rest in upper case */
                for (size_t j = 0; j < n; j++) {
                    if (j != i && buf[j] >= 'a' && buf[j] <= 'z') {
                        buf[j] = (char)(buf[j] - 32);
                    }
                }
                assert_int_equal(kr_sip_lceq(buf, lits[k], n), ref_lceq(buf, lits[k], n));
            }
        }
        free(buf);
    }
    assert_true(kr_sip_lceq(NULL, "", 0));
    /* every known name with one byte changed to any value: the type only when that byte
     * is the same letter in either case */
    for (int t = 1; t < KR_SIP_HDR__COUNT; t++) {
        struct kr_str n = kr_sip_hdr_name((enum kr_sip_hdr_type)t);
        char *buf = malloc(n.len);
        assert_non_null(buf);
        for (size_t i = 0; i < n.len; i++) {
            for (int c = 0; c < 256; c++) {
                memcpy(buf, n.ptr, n.len);
                buf[i] = (char)c;
                bool same = kr_ascii_lower((char)c) == kr_ascii_lower(n.ptr[i]) &&
                            (c == (unsigned char)n.ptr[i] || kr_sip_is_alpha((char)c));
                enum kr_sip_hdr_type got = kr_sip_hdr_type_of(kr_str_make(buf, n.len));
                if (same) {
                    assert_int_equal(got, t);
                } else {
                    assert_int_not_equal(got, t);
                }
            }
        }
        free(buf);
    }
}

/* The IPv4 fast path of kr_sip_scan_host gives what the general pass gives. */
static void test_scan_host(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int kind;
        size_t len; /* of the host, when kind > 0 */
    } cases[] = {
        { "127.0.0.1", KR_SIP_HOST_IPV4, 9 },
        { "127.0.0.1:5060", KR_SIP_HOST_IPV4, 9 },
        { "1.2.3.4;lr", KR_SIP_HOST_IPV4, 7 },
        { "001.02.3.255", KR_SIP_HOST_IPV4, 12 },
        { "1.2.3.4.", -1, 0 },
        { "1.2.3.256", -1, 0 },
        { "1.2.3.1234", -1, 0 },
        { "1.2.3", -1, 0 },
        { "1..3.4", -1, 0 },
        { "1.2.3.4a", KR_SIP_HOST_NAME, 8 },
        { "1.2.3.4-", -1, 0 },
        { "1.2.3.4_x", KR_SIP_HOST_NAME, 9 },
        { "1234.1.1.1", -1, 0 },
        { "example.com", KR_SIP_HOST_NAME, 11 },
        { "example.com.", KR_SIP_HOST_NAME, 12 },
        { "-a.com", -1, 0 },
        { "[::1]:5", KR_SIP_HOST_IPV6, 5 },
        { ":5060", -1, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kr_str s = tu_heap(cases[i].in);
        const char *hend = NULL;
        int kind = kr_sip_scan_host(s.ptr, s.ptr + s.len, &hend);
        assert_int_equal(kind, cases[i].kind);
        if (kind > 0) {
            assert_ptr_equal(hend, s.ptr + cases[i].len);
        }
    }
    /* cut short at every length: no over-read, and a prefix that is an address is one */
    struct kr_str full = tu_heap("192.168.100.200");
    for (size_t n = 1; n <= full.len; n++) {
        struct kr_str s = tu_heapn(full.ptr, n);
        const char *hend = NULL;
        int kind = kr_sip_scan_host(s.ptr, s.ptr + s.len, &hend);
        bool v4 = kr_sip_ipv4_valid(s.ptr, s.len);
        assert_int_equal(kind, v4 ? KR_SIP_HOST_IPV4 : -1);
    }
}

/* Duplicates and Content-Length noted while indexing; the _ref accessors. */
static void test_index_notes(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e;

    assert_int_equal(parse("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                           "v: SIP/2.0/TCP g\r\nTo: <sip:a@b>\r\nf: <sip:c@d>;tag=9\r\n"
                           "l: 2\r\nContent-Length: 2\r\n\r\nab",
                           &m, &e),
                     0);
    assert_int_equal(kr_sip_msg_dups(&m),
                     (1u << KR_SIP_HDR_VIA) | (1u << KR_SIP_HDR_CONTENT_LENGTH));
    size_t cl = 0;
    assert_int_equal(kr_sip_msg_clen(&m, &cl), 0);
    assert_int_equal(cl, 2);
    /* the same answers without the cache (a hand-made message) */
    struct kr_sip_msg h = m;
    h.parsed = NULL;
    assert_int_equal(kr_sip_msg_dups(&h), kr_sip_msg_dups(&m));
    cl = 0;
    assert_int_equal(kr_sip_msg_clen(&h, &cl), 0);
    assert_int_equal(cl, 2);

    struct kr_sip_via tmp;
    const struct kr_sip_via *v1 = NULL;
    const struct kr_sip_via *v2 = NULL;
    struct kr_str rest;
    assert_int_equal(kr_sip_msg_via1_ref(&m, &tmp, &v1, &rest), 0);
    assert_int_equal(kr_sip_msg_via1_ref(&m, &tmp, &v2, NULL), 0);
    assert_ptr_equal(v1, v2);
    assert_ptr_not_equal(v1, &tmp);
    ASSERT_STR(v1->host, "h");
    ASSERT_STR(v1->branch, "z9hG4bK1");
    assert_int_equal(rest.len, 0);
    struct kr_sip_via copy;
    assert_int_equal(kr_sip_msg_via1(&m, &copy, NULL), 0);
    assert_memory_equal(&copy.whole, &v1->whole, sizeof(copy.whole));
    assert_int_equal(kr_sip_msg_via1_ref(&h, &tmp, &v2, NULL), 0);
    assert_ptr_equal(v2, &tmp);
    ASSERT_STR(v2->host, "h");

    struct kr_sip_nameaddr ntmp;
    const struct kr_sip_nameaddr *na = NULL;
    assert_int_equal(kr_sip_msg_from_ref(&m, &ntmp, &na, NULL), 0);
    ASSERT_STR(na->tag, "9");
    assert_int_equal(kr_sip_msg_to_ref(&m, &ntmp, &na, NULL), 0);
    ASSERT_STR(na->uri, "sip:a@b");
    assert_int_equal(na->tag.len, 0);
    assert_int_equal(kr_sip_msg_to_ref(&h, &ntmp, &na, NULL), 0);
    assert_ptr_equal(na, &ntmp);
    ASSERT_STR(na->uri, "sip:a@b");

    /* none, and different values */
    assert_int_equal(parse("OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\n", &m, &e), 0);
    assert_int_equal(kr_sip_msg_dups(&m), 0);
    assert_int_equal(kr_sip_msg_clen(&m, &cl), KR_ENOTFOUND);
    assert_int_equal(kr_sip_msg_via1_ref(&m, &tmp, &v1, NULL), KR_ENOTFOUND);
    assert_int_equal(kr_sip_msg_from_ref(&m, &ntmp, &na, NULL), KR_ENOTFOUND);
    assert_int_equal(parse("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab", &m, &e), KR_EPARSE);
    assert_int_equal(kr_sip_msg_clen(&m, &cl), KR_EPARSE);
    assert_int_equal(parse("OPTIONS sip:a@b SIP/2.0\r\nl: x\r\n\r\nab", &m, &e), KR_EPARSE);
    assert_int_equal(kr_sip_msg_clen(&m, &cl), KR_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_request_line),
        T(test_version_keeps_headers),
        T(test_status_line),
        T(test_header_index),
        T(test_type_names),
        T(test_methods),
        T(test_folding_and_spacing),
        T(test_partial_index),
        T(test_content_length),
        T(test_limits),
        T(test_frame),
        T(test_lceq_exact),
        T(test_scan_host),
        T(test_index_notes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
