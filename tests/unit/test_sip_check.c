/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for sip/check: each request check on its own (status code and reason
 * phrase), the default set, the mask variant and Proxy-Require with Unsupported. */
#include "core/arena.h"
#include "sip/check.h"
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

#define VIA "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
#define TO "To: Bob <sip:bob@biloxi.com>\r\n"
#define FROM "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
#define CID "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
#define CSEQ "CSeq: 314159 INVITE\r\n"
#define MF "Max-Forwards: 70\r\n"
#define LINE "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
#define GOOD LINE VIA TO FROM CID CSEQ MF

static void parse_ok(const char *lit, struct kr_sip_msg *m)
{
    struct kr_err e = { 0 };
    struct kr_str s = tu_heap(lit);
    int rc = kr_sip_msg_parse(s.ptr, s.len, &arena, m, &e);
    if (rc != 0 && rc != KR_EVERSION) {
        fail_msg("parse: %d %s", rc, e.reason);
    }
}

/* Runs the checks of mask on msg text and expects code and reason (NULL: code 0). */
static void expect_mask(const char *text, unsigned mask, unsigned code, const char *reason)
{
    struct kr_sip_msg m;
    struct kr_err e = { 0 };
    unsigned got;

    parse_ok(text, &m);
    int rc = kr_sip_check_request_mask(&m, mask, NULL, &got, &e);
    if (got != code) {
        fail_msg("code %u (%s), expected %u for:\n%s", got, e.reason ? e.reason : "-", code, text);
    }
    if (code == 0) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, code == 505 ? KR_EVERSION : KR_EPARSE);
    if (reason && (e.reason == NULL || strcmp(e.reason, reason) != 0)) {
        fail_msg("reason '%s', expected '%s'", e.reason ? e.reason : "-", reason);
    }
}

static void expect(const char *text, unsigned code, const char *reason)
{
    expect_mask(text, KR_SIP_CHECK_DEFAULT, code, reason);
}

static void test_good(void **state)
{
    (void)state;
    expect(GOOD "\r\n", 0, NULL);
    /* Max-Forwards is not required of a request a proxy forwards */
    expect(LINE VIA TO FROM CID CSEQ "\r\n", 0, NULL);
    expect("REGISTER tel:+1-201-555-0123 SIP/2.0\r\n" VIA TO FROM CID "CSeq: 1 REGISTER\r\n"
           "Contact: *\r\nExpires: 0\r\n\r\n",
           0, NULL);
    /* responses are not checked */
    expect("SIP/2.0 200 OK\r\n\r\n", 0, NULL);
    /* every check at once */
    expect_mask(GOOD "Authorization: Digest username=\"a\", realm=\"r\", nonce=\"n\", "
                     "uri=\"sip:b\", response=\"0123\"\r\n\r\n",
                0xffffffffu, 0, NULL);
}

static void test_version(void **state)
{
    (void)state;
    expect("INVITE sip:bob@biloxi.com SIP/3.0\r\n" VIA TO FROM CID CSEQ "\r\n", 505,
           "Version Not Supported");
    expect_mask("INVITE sip:bob@biloxi.com SIP/3.0\r\n" VIA TO FROM CID CSEQ "\r\n",
                KR_SIP_CHECK_REQUIRED_HDRS, 0, NULL);
    expect(LINE "Via: SIP/3.0/UDP h\r\n" TO FROM CID CSEQ "\r\n", 400,
           "Bad Request - Via is not SIP/2.0");
    expect(LINE VIA "Via: XIP/2.0/UDP h\r\n" TO FROM CID CSEQ "\r\n", 400,
           "Bad Request - Via is not SIP/2.0");
    expect_mask(LINE "Via: SIP/3.0/UDP h\r\n" TO FROM CID CSEQ "\r\n", KR_SIP_CHECK_VIA, 0, NULL);
}

static void test_required(void **state)
{
    (void)state;
    expect(LINE VIA FROM CID CSEQ "\r\n", 400, "Bad Request - Missing To header");
    expect(LINE VIA TO CID CSEQ "\r\n", 400, "Bad Request - Missing From header");
    expect(LINE VIA TO FROM CSEQ "\r\n", 400, "Bad Request - Missing Call-ID header");
    expect(LINE VIA TO FROM CID "\r\n", 400, "Bad Request - Missing CSeq header");
    expect(LINE TO FROM CID CSEQ "\r\n", 400, "Bad Request - Missing Via header");
    /* compact forms count */
    expect(LINE "v: SIP/2.0/UDP h\r\nt: <sip:a@b>\r\nf: <sip:c@d>;tag=1\r\ni: x\r\n" CSEQ "\r\n", 0,
           NULL);
    expect_mask(LINE "\r\n", KR_SIP_CHECK_DEFAULT & ~KR_SIP_CHECK_REQUIRED_HDRS, 0, NULL);
}

static void test_single(void **state)
{
    (void)state;
    expect(GOOD TO "\r\n", 400, "Bad Request - Multiple To headers");
    expect(GOOD "f: <sip:x@y>;tag=2\r\n\r\n", 400, "Bad Request - Multiple From headers");
    expect(GOOD CID "\r\n", 400, "Bad Request - Multiple Call-ID headers");
    expect(GOOD "CSeq: 314159 INVITE\r\n\r\n", 400, "Bad Request - Multiple CSeq headers");
    expect(GOOD MF "\r\n", 400, "Bad Request - Multiple Max-Forwards headers");
    expect(GOOD "l: 0\r\nContent-Length: 0\r\n\r\n", 400,
           "Bad Request - Multiple Content-Length headers");
    /* a From list in one header */
    expect(LINE VIA TO "From: <sip:a@b>;tag=1, <sip:c@d>\r\n" CID CSEQ "\r\n", 400,
           "Bad Request - Bad From header");
    /* several Vias, Contacts, Routes are normal */
    expect(GOOD VIA "Contact: <sip:a@b>\r\nContact: <sip:c@d>, <sip:e@f>\r\n\r\n", 0, NULL);
}

static void test_via_cseq_scalars(void **state)
{
    (void)state;
    expect(LINE "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n" TO FROM CID CSEQ "\r\n", 400,
           "Bad Request - Bad Via header");
    expect(LINE VIA "Via: SIP/2.0/UDP a, SIP/2.0/UDP b;\r\n" TO FROM CID CSEQ "\r\n", 400,
           "Bad Request - Bad Via header");
    expect(LINE "Via: SIP/2.0/UNKNOWN h\r\n" TO FROM CID CSEQ "\r\n", 0, NULL);
    expect_mask(LINE "Via: SIP/2.0/UNKNOWN h\r\n" TO FROM CID CSEQ "\r\n",
                KR_SIP_CHECK_VIA_PROTOCOL, 400, "Bad Request - Unknown transport in Via");
    expect_mask(LINE VIA "Via: SIP/2.0/UNKNOWN h\r\n" TO FROM CID CSEQ "\r\n",
                KR_SIP_CHECK_VIA_PROTOCOL, 0, NULL);

    expect(LINE VIA TO FROM CID "CSeq: 314159 OPTIONS\r\n\r\n", 400,
           "Bad Request - CSeq method does not match");
    expect(LINE VIA TO FROM CID "CSeq: 314159 invite\r\n\r\n", 400,
           "Bad Request - CSeq method does not match");
    expect_mask(LINE VIA TO FROM CID "CSeq: 314159 OPTIONS\r\n\r\n", KR_SIP_CHECK_CSEQ_VALUE, 0,
                NULL);
    expect(LINE VIA TO FROM CID "CSeq: 4294967296 INVITE\r\n\r\n", 400,
           "Bad Request - Bad CSeq header");
    expect(LINE VIA TO FROM CID "CSeq: INVITE\r\n\r\n", 400, "Bad Request - Bad CSeq header");
    expect(LINE VIA TO FROM CID "CSeq: 4294967295 INVITE\r\n\r\n", 0, NULL);

    expect(GOOD "\r\n", 0, NULL);
    expect(LINE VIA TO FROM CID CSEQ "Max-Forwards: 256\r\n\r\n", 400,
           "Bad Request - Bad Max-Forwards header");
    expect(LINE VIA TO FROM CID CSEQ "Max-Forwards: 0\r\n\r\n", 0, NULL);
    expect(GOOD "Expires: 4294967296\r\n\r\n", 400, "Bad Request - Bad Expires header");
    expect(GOOD "Expires: 4294967295\r\n\r\n", 0, NULL);
    expect(GOOD "Contact: <sip:a@b>;expires=280297596632815\r\n\r\n", 400,
           "Bad Request - Bad Contact expires");
    expect(GOOD "Contact: <sip:a@b>;expires=3600, <sip:c@d>;expires=x\r\n\r\n", 400,
           "Bad Request - Bad Contact expires");
    expect(GOOD "Contact: <sip:a@b>;expires=3600\r\n\r\n", 0, NULL);
}

static void test_nameaddrs_and_uris(void **state)
{
    (void)state;
    expect(LINE VIA "To: \"Mr. J. User <sip:j.user@example.com>\r\n" FROM CID CSEQ "\r\n", 400,
           "Bad Request - Bad To header");
    expect(LINE VIA TO "From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43\r\n" CID CSEQ
                       "\r\n",
           400, "Bad Request - Bad From header");
    expect(LINE VIA TO FROM CID CSEQ "Contact: sip:user@example.com?Route=%3Csip:x%3E\r\n\r\n", 400,
           "Bad Request - Bad Contact header");
    expect(LINE VIA TO FROM CID CSEQ "Contact: *, <sip:a@b>\r\n\r\n", 400,
           "Bad Request - Contact '*' with other contacts");
    expect(LINE VIA TO FROM CID CSEQ "Contact: *\r\nContact: <sip:a@b>\r\n\r\n", 400,
           "Bad Request - Contact '*' with other contacts");
    expect(LINE VIA "To: *\r\n" FROM CID CSEQ "\r\n", 400, "Bad Request - Bad To header");
    /* URIs of known schemes must parse; others are opaque (RFC 4475 unksm2) */
    expect(LINE VIA "To: <sip:bob@-bad->\r\n" FROM CID CSEQ "\r\n", 400,
           "Bad Request - Bad To URI");
    expect(LINE VIA TO "From: <sips:a@b:99999>;tag=1\r\n" CID CSEQ "\r\n", 400,
           "Bad Request - Bad From URI");
    expect(LINE VIA TO FROM CID CSEQ "Contact: <tel:+x>\r\n\r\n", 400,
           "Bad Request - Bad Contact URI");
    expect(LINE VIA "To: isbn:2983792873\r\nFrom: <http://www.example.com>;tag=3\r\n" CID CSEQ
                    "Contact: <name:John_Smith>\r\n\r\n",
           0, NULL);
    expect_mask(LINE VIA "To: <sip:bob@-bad->\r\n" FROM CID CSEQ "\r\n",
                KR_SIP_CHECK_DEFAULT & ~KR_SIP_CHECK_PARSE_URI, 0, NULL);

    /* Request-URI */
    expect("OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\r\n" VIA TO FROM CID
           "CSeq: 1 OPTIONS\r\n\r\n",
           416, "Unsupported URI Scheme");
    expect("INVITE <sip:bob@biloxi.com> SIP/2.0\r\n" VIA TO FROM CID CSEQ "\r\n", 400,
           "Bad Request - Bad Request-URI");
    expect("INVITE sip:bob@biloxi.com?Route=%3Csip:example.com%3E SIP/2.0\r\n" VIA TO FROM CID CSEQ
           "\r\n",
           400, "Bad Request - Headers in Request-URI");
    /* the scheme check alone: only 416 */
    expect_mask("INVITE <sip:bob@biloxi.com> SIP/2.0\r\n" VIA TO FROM CID CSEQ "\r\n",
                KR_SIP_CHECK_RURI_SCHEME, 0, NULL);
    expect_mask("OPTIONS http://x SIP/2.0\r\n\r\n", KR_SIP_CHECK_RURI_SCHEME, 416, NULL);
    /* 400 for syntax comes before 416 */
    expect("OPTIONS http://x SIP/2.0\r\n" VIA TO FROM CID "CSeq: 1 INVITE\r\n\r\n", 400,
           "Bad Request - CSeq method does not match");
}

static void test_content_length(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e = { 0 };
    unsigned code;

    parse_ok(GOOD "Content-Length: 3\r\n\r\nabc", &m);
    assert_int_equal(kr_sip_check_request(&m, &code, &e), 0);
    /* a body that does not match (a message put together by hand) */
    m.body.len = 2;
    assert_int_equal(kr_sip_check_request(&m, &code, &e), KR_EPARSE);
    assert_int_equal(code, 400);
    assert_string_equal(e.reason, "Bad Request - Bad Content-Length");
}

static void test_credentials_and_tags(void **state)
{
    (void)state;
    expect_mask(GOOD "Authorization: Digest username=\"a\"\r\n\r\n", KR_SIP_CHECK_DIGEST, 400,
                "Bad Request - Incomplete Digest credentials");
    expect_mask(GOOD "Proxy-Authorization: Digest username=\"a\", realm=\"r\", nonce=\"n\", "
                     "uri=\"sip:b\"\r\n\r\n",
                KR_SIP_CHECK_DIGEST, 400, "Bad Request - Incomplete Digest credentials");
    expect_mask(GOOD "Authorization: Digest username=\"a\r\n\r\n", KR_SIP_CHECK_AUTHORIZATION, 400,
                "Bad Request - Bad credentials");
    expect_mask(GOOD "Authorization: Digest username=\"a\r\n\r\n", KR_SIP_CHECK_DIGEST, 400,
                "Bad Request - Bad credentials");
    /* RFC 4475 regaut01: an unknown scheme is left to the registrar */
    expect_mask(GOOD "Authorization: NoOneKnowsThisScheme opaque-data=here\r\n\r\n",
                KR_SIP_CHECK_DIGEST | KR_SIP_CHECK_AUTHORIZATION, 0, NULL);
    expect_mask(GOOD "Authorization: Digest username=\"a\"\r\n\r\n", KR_SIP_CHECK_DEFAULT, 0, NULL);

    expect_mask(LINE VIA "To: <sip:b@c>;tag=1;tag=2\r\n" FROM CID CSEQ "\r\n",
                KR_SIP_CHECK_DUP_TO_TAG, 400, "Bad Request - Duplicated tag");
    expect_mask(LINE VIA TO "From: <sip:b@c>;tag=1;TAG=1\r\n" CID CSEQ "\r\n",
                KR_SIP_CHECK_DUP_TO_TAG, 400, "Bad Request - Duplicated tag");
    expect_mask(LINE VIA "To: <sip:b@c>;tag=1\r\n" FROM CID CSEQ "\r\n", KR_SIP_CHECK_DUP_TO_TAG, 0,
                NULL);
}

static void test_proxy_require(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    struct kr_err e = { 0 };
    unsigned code;
    char mem[256];
    struct kr_buf out;

    parse_ok(GOOD "Require: nothingSupportsThis\r\nProxy-Require: foo, baz\r\n"
                  "Proxy-Require:qux\r\n\r\n",
             &m);
    /* the default set does not look at Proxy-Require */
    assert_int_equal(kr_sip_check_request(&m, &code, &e), 0);
    assert_int_equal(code, 0);

    kr_buf_init_fixed(&out, mem, sizeof(mem));
    struct kr_sip_check_opts o = { .proxy_supported = KR_STR("foo,bar"), .unsupported = &out };
    assert_int_equal(kr_sip_check_request_mask(&m, KR_SIP_CHECK_PROXY_REQUIRE, &o, &code, &e),
                     KR_EPARSE);
    assert_int_equal(code, 420);
    assert_string_equal(e.reason, "Bad Extension");
    ASSERT_STR(kr_buf_str(&out), "baz, qux");

    kr_buf_clear(&out);
    o.proxy_supported = KR_STR(" foo , BAZ,qux ");
    assert_int_equal(kr_sip_check_request_mask(&m, KR_SIP_CHECK_PROXY_REQUIRE, &o, &code, &e), 0);
    assert_int_equal(code, 0);
    assert_int_equal(out.len, 0);
    /* NULL options: nothing is supported */
    assert_int_equal(kr_sip_check_request_mask(&m, KR_SIP_CHECK_PROXY_REQUIRE, NULL, &code, &e),
                     KR_EPARSE);
    assert_int_equal(code, 420);
    /* no Proxy-Require */
    parse_ok(GOOD "\r\n", &m);
    assert_int_equal(kr_sip_check_request_mask(&m, KR_SIP_CHECK_PROXY_REQUIRE, NULL, &code, &e), 0);
}

static void test_reason_replaced(void **state)
{
    (void)state;
    struct kr_sip_msg m;
    unsigned code;
    /* a kr_err that already holds a parse reason gets the check's phrase */
    struct kr_err e = { .reason = "unsupported SIP version", .off = 9 };

    parse_ok("OPTIONS sip:a@b SIP/7.0\r\n" VIA TO FROM CID "CSeq: 1 OPTIONS\r\n\r\n", &m);
    assert_int_equal(kr_sip_check_request(&m, &code, &e), KR_EVERSION);
    assert_int_equal(code, 505);
    assert_string_equal(e.reason, "Version Not Supported");
    assert_int_equal(e.off, 0);
    /* a NULL err is allowed */
    assert_int_equal(kr_sip_check_request(&m, &code, NULL), KR_EVERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_good),
        T(test_version),
        T(test_required),
        T(test_single),
        T(test_via_cseq_scalars),
        T(test_nameaddrs_and_uris),
        T(test_content_length),
        T(test_credentials_and_tags),
        T(test_proxy_require),
        T(test_reason_replaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
