/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RFC 4475 torture messages (tests/data/rfc4475, MANIFEST.tsv there): each file is read
 * into an exactly-sized heap buffer, parsed, framed as a stream and checked as a proxy
 * would, and the outcome compared with the table below. */
#include <stdio.h>

#include "core/arena.h"
#include "sip/check.h"
#include "sip/msg.h"
#include "sip/uri.h"
#include "sip_test_util.h"

#ifndef KR_TEST_DATA
#error "KR_TEST_DATA must name the tests/data directory"
#endif

/* Where the RFC allows either strictness or tolerance we are strict: lwsstart and trws
 * (extra SP in the Request-Line) fail to parse (400), badaspec (LWS inside <>) is 400.
 * baddate (a time zone other than GMT) takes the RFC's other choice: a proxy ignores
 * Date, so it passes. */
enum outcome {
    OK,        /* request: parses, kr_sip_check_request passes */
    RESP_OK,   /* response: parses */
    RESP_DROP, /* response: parses, but a field a proxy needs does not (drop it) */
    PARSE_ERR, /* kr_sip_msg_parse fails: 400 (or drop for a response) */
    VERSION,   /* KR_EVERSION from the parser, 505 from the check */
    CHECK,     /* parses; kr_sip_check_request answers code */
    PROXY_REQ, /* passes the default check; the Proxy-Require check answers 420 */
};

struct rfc_case {
    const char *file;
    enum outcome outcome;
    unsigned code;      /* CHECK: the status code */
    const char *reason; /* PARSE_ERR / CHECK: the reason, NULL: any */
    void (*extra)(const struct kr_sip_msg *m);
};

static struct kr_arena arena;

static size_t count_hdrs(const struct kr_sip_msg *m, enum kr_sip_hdr_type t)
{
    size_t n = 0;
    while (kr_sip_msg_hdr(m, t, n)) {
        n++;
    }
    return n;
}

static void x_wsinv(const struct kr_sip_msg *m)
{
    unsigned mf;
    struct kr_sip_cseq cs;
    struct kr_err e = { 0 };
    assert_int_equal(
        kr_sip_parse_maxfwd(kr_sip_msg_hdr(m, KR_SIP_HDR_MAX_FORWARDS, 0)->value, &mf, &e), 0);
    assert_int_equal(mf, 68);
    assert_int_equal(kr_sip_parse_cseq(kr_sip_msg_hdr(m, KR_SIP_HDR_CSEQ, 0)->value, &cs, &e), 0);
    assert_int_equal(cs.num, 9);
    assert_int_equal(cs.method_id, KR_SIP_METHOD_INVITE);
    assert_int_equal(m->body.len, 150);
    assert_int_equal(count_hdrs(m, KR_SIP_HDR_VIA), 2);
    assert_int_equal(count_hdrs(m, KR_SIP_HDR_SUBJECT), 1);
    ASSERT_STR(kr_sip_msg_hdr(m, KR_SIP_HDR_SUBJECT, 0)->value, "");
    struct kr_sip_nameaddr na;
    assert_int_equal(
        kr_sip_parse_nameaddr(kr_sip_msg_hdr(m, KR_SIP_HDR_TO, 0)->value, &na, NULL, &e), 0);
    ASSERT_STR(na.tag, "1918181833n");
}

static void x_intmeth(const struct kr_sip_msg *m)
{
    ASSERT_STR(m->method, "!interesting-Method0123456789_*+`.%indeed'~");
    assert_int_equal(m->method_id, KR_SIP_METHOD_OTHER);
    const struct kr_sip_hdr *h = kr_sip_msg_hdr_by_name(m, KR_STR("extensionHeader-!.%*+_`'~"), 0);
    assert_non_null(h);
    struct kr_sip_uri u;
    struct kr_err e = { 0 };
    assert_int_equal(kr_sip_uri_parse(m->ruri, &u, &e), 0);
    ASSERT_STR(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
}

static void x_esc01(const struct kr_sip_msg *m)
{
    struct kr_sip_uri u;
    struct kr_sip_uri v;
    struct kr_err e = { 0 };
    char out[64];
    assert_int_equal(kr_sip_uri_parse(m->ruri, &u, &e), 0);
    long n = kr_sip_unescape(u.user, out, sizeof(out));
    assert_int_equal(n, 21);
    assert_memory_equal(out, "sips:user@example.com", 21);
    /* To: sip:%75se%72@example.com equals sip:user@example.com */
    struct kr_sip_nameaddr na;
    assert_int_equal(
        kr_sip_parse_nameaddr(kr_sip_msg_hdr(m, KR_SIP_HDR_TO, 0)->value, &na, NULL, &e), 0);
    assert_int_equal(kr_sip_uri_parse(na.uri, &u, &e), 0);
    assert_int_equal(kr_sip_uri_parse(KR_STR("sip:user@example.com"), &v, &e), 0);
    assert_true(kr_sip_uri_eq(&u, &v));
    assert_int_equal(m->first[KR_SIP_HDR_CONTENT_TYPE] >= 0, 1); /* "C:" */
}

static void x_escnull(const struct kr_sip_msg *m)
{
    struct kr_sip_nameaddr na;
    struct kr_sip_uri u;
    struct kr_err e = { 0 };
    char out[32];
    assert_int_equal(
        kr_sip_parse_nameaddr(kr_sip_msg_hdr(m, KR_SIP_HDR_TO, 0)->value, &na, NULL, &e), 0);
    assert_int_equal(kr_sip_uri_parse(na.uri, &u, &e), 0);
    ASSERT_STR(u.user, "null-%00-null");
    assert_int_equal(kr_sip_unescape(u.user, out, sizeof(out)), 11);
    assert_int_equal(out[5], '\0');
    assert_int_equal(out[10], 'l');
    assert_int_equal(count_hdrs(m, KR_SIP_HDR_CONTACT), 2);
}

static void x_esc02(const struct kr_sip_msg *m)
{
    ASSERT_STR(m->method, "RE%47IST%45R");
    assert_int_equal(m->method_id, KR_SIP_METHOD_OTHER);
    /* "C%6Fntact" is not Contact */
    assert_int_equal(count_hdrs(m, KR_SIP_HDR_CONTACT), 2);
    assert_non_null(kr_sip_msg_hdr_by_name(m, KR_STR("C%6Fntact"), 0));
}

static void x_lwsdisp(const struct kr_sip_msg *m)
{
    struct kr_sip_nameaddr na;
    struct kr_err e = { 0 };
    assert_int_equal(
        kr_sip_parse_nameaddr(kr_sip_msg_hdr(m, KR_SIP_HDR_FROM, 0)->value, &na, NULL, &e), 0);
    ASSERT_STR(na.display, "caller");
    ASSERT_STR(na.tag, "323");
}

static void x_longreq(const struct kr_sip_msg *m)
{
    assert_int_equal(count_hdrs(m, KR_SIP_HDR_VIA), 34);
    assert_int_equal(m->body.len, 150);
    struct kr_sip_via v;
    struct kr_err e = { 0 };
    assert_int_equal(kr_sip_parse_via(kr_sip_msg_hdr(m, KR_SIP_HDR_VIA, 33)->value, &v, NULL, &e),
                     0);
    ASSERT_STR(v.received, "192.0.2.5");
    assert_true(v.branch.len > 200);
    assert_true(kr_sip_msg_hdr(m, KR_SIP_HDR_TO, 0)->value.len > 300);
}

static void x_dblreq(const struct kr_sip_msg *m)
{
    assert_int_equal(m->method_id, KR_SIP_METHOD_REGISTER);
    assert_int_equal(m->body.len, 0);
    assert_int_equal(m->buf.len, 300); /* of 750: the INVITE after it is not ours */
    assert_int_equal(m->buf.ptr[m->buf.len - 1], '\n');
}

static void x_semiuri(const struct kr_sip_msg *m)
{
    struct kr_sip_uri u;
    struct kr_err e = { 0 };
    assert_int_equal(kr_sip_uri_parse(m->ruri, &u, &e), 0);
    ASSERT_STR(u.user, "user;par=u%40example.net");
    ASSERT_STR(u.host, "example.com");
}

static void x_transports(const struct kr_sip_msg *m)
{
    static const enum kr_uri_proto want[] = { KR_PROTO_UDP, KR_PROTO_SCTP, KR_PROTO_TLS,
                                              KR_PROTO_OTHER, KR_PROTO_TCP };
    for (size_t i = 0; i < 5; i++) {
        struct kr_sip_via v;
        struct kr_err e = { 0 };
        assert_int_equal(
            kr_sip_parse_via(kr_sip_msg_hdr(m, KR_SIP_HDR_VIA, i)->value, &v, NULL, &e), 0);
        assert_int_equal(v.proto, want[i]);
    }
}

static void x_mpart01(const struct kr_sip_msg *m)
{
    assert_int_equal(m->body.len, 553);
    /* bare LF octets in the body are just octets */
    assert_non_null(memchr(m->body.ptr, '\n', m->body.len));
    assert_int_equal(m->body.ptr[m->body.len - 1], '\n');
    ASSERT_STR(kr_sip_msg_hdr(m, KR_SIP_HDR_CONTENT_TYPE, 0)->value,
               "multipart/mixed;boundary=7a9cbec02ceef655");
}

static void x_unreason(const struct kr_sip_msg *m)
{
    assert_int_equal(m->status, 200);
    assert_true(m->reason.len > 20);
    assert_int_equal(m->body.len, 154);
}

static void x_noreason(const struct kr_sip_msg *m)
{
    assert_int_equal(m->status, 100);
    ASSERT_STR(m->reason, "");
}

static void x_scalarlg(const struct kr_sip_msg *m)
{
    struct kr_sip_cseq cs;
    struct kr_err e = { 0 };
    assert_int_equal(m->status, 503);
    assert_int_equal(kr_sip_parse_cseq(kr_sip_msg_hdr(m, KR_SIP_HDR_CSEQ, 0)->value, &cs, &e),
                     KR_EPARSE);
}

static void x_bcast(const struct kr_sip_msg *m)
{
    struct kr_sip_via v;
    struct kr_err e = { 0 };
    assert_int_equal(kr_sip_parse_via(kr_sip_msg_hdr(m, KR_SIP_HDR_VIA, 1)->value, &v, NULL, &e),
                     0);
    ASSERT_STR(v.host, "255.255.255.255");
}

static void x_regaut01(const struct kr_sip_msg *m)
{
    struct kr_sip_auth au;
    struct kr_err e = { 0 };
    assert_int_equal(
        kr_sip_parse_auth(kr_sip_msg_hdr(m, KR_SIP_HDR_AUTHORIZATION, 0)->value, &au, &e), 0);
    ASSERT_STR(au.scheme, "NoOneKnowsThisScheme");
}

static void x_zeromf(const struct kr_sip_msg *m)
{
    unsigned mf = 1;
    struct kr_err e = { 0 };
    assert_int_equal(
        kr_sip_parse_maxfwd(kr_sip_msg_hdr(m, KR_SIP_HDR_MAX_FORWARDS, 0)->value, &mf, &e), 0);
    assert_int_equal(mf, 0);
}

static void x_badbranch(const struct kr_sip_msg *m)
{
    struct kr_sip_via v;
    struct kr_err e = { 0 };
    assert_int_equal(kr_sip_parse_via(kr_sip_msg_hdr(m, KR_SIP_HDR_VIA, 0)->value, &v, NULL, &e),
                     0);
    ASSERT_STR(v.branch, "z9hG4bK");
}

static void x_unksm2(const struct kr_sip_msg *m)
{
    struct kr_sip_nameaddr na;
    struct kr_err e = { 0 };
    assert_int_equal(
        kr_sip_parse_nameaddr(kr_sip_msg_hdr(m, KR_SIP_HDR_TO, 0)->value, &na, NULL, &e), 0);
    ASSERT_STR(na.uri, "isbn:2983792873");
}

static void x_inv2543(const struct kr_sip_msg *m)
{
    /* no Content-Length over UDP: the body is the rest */
    assert_int_equal(m->first[KR_SIP_HDR_CONTENT_LENGTH], -1);
    assert_true(m->body.len > 0);
    assert_int_equal(m->first[KR_SIP_HDR_MAX_FORWARDS], -1);
}

static void x_regescrt(const struct kr_sip_msg *m)
{
    struct kr_sip_nameaddr na;
    struct kr_sip_uri u;
    struct kr_err e = { 0 };
    assert_int_equal(
        kr_sip_parse_nameaddr(kr_sip_msg_hdr(m, KR_SIP_HDR_CONTACT, 0)->value, &na, NULL, &e), 0);
    assert_int_equal(kr_sip_uri_parse(na.uri, &u, &e), 0);
    ASSERT_STR(u.headers, "Route=%3Csip:sip.example.com%3E");
}

static const struct rfc_case cases[] = {
    /* 3.1.1 valid */
    { "wsinv.dat", OK, 0, NULL, x_wsinv },
    { "intmeth.dat", OK, 0, NULL, x_intmeth },
    { "esc01.dat", OK, 0, NULL, x_esc01 },
    { "escnull.dat", OK, 0, NULL, x_escnull },
    { "esc02.dat", OK, 0, NULL, x_esc02 },
    { "lwsdisp.dat", OK, 0, NULL, x_lwsdisp },
    { "longreq.dat", OK, 0, NULL, x_longreq },
    { "dblreq.dat", OK, 0, NULL, x_dblreq },
    { "semiuri.dat", OK, 0, NULL, x_semiuri },
    { "transports.dat", OK, 0, NULL, x_transports },
    { "mpart01.dat", OK, 0, NULL, x_mpart01 },
    { "unreason.dat", RESP_OK, 0, NULL, x_unreason },
    { "noreason.dat", RESP_OK, 0, NULL, x_noreason },
    /* 3.1.2 invalid */
    { "badinv01.dat", CHECK, 400, "Bad Request - Bad Via header", NULL },
    { "clerr.dat", PARSE_ERR, 0, "Content-Length larger than message", NULL },
    { "ncl.dat", PARSE_ERR, 0, "bad Content-Length", NULL },
    { "scalar02.dat", CHECK, 400, "Bad Request - Bad CSeq header", NULL },
    { "scalarlg.dat", RESP_DROP, 0, NULL, x_scalarlg },
    { "quotbal.dat", CHECK, 400, "Bad Request - Bad To header", NULL },
    { "ltgtruri.dat", CHECK, 400, "Bad Request - Bad Request-URI", NULL },
    { "lwsruri.dat", PARSE_ERR, 0, "extra whitespace in Request-Line", NULL },
    { "lwsstart.dat", PARSE_ERR, 0, "extra whitespace in Request-Line", NULL }, /* strict */
    { "trws.dat", PARSE_ERR, 0, "extra whitespace in Request-Line", NULL },     /* strict */
    { "escruri.dat", CHECK, 400, "Bad Request - Headers in Request-URI", NULL },
    { "baddate.dat", OK, 0, NULL, NULL }, /* Date is ignored: the RFC's other choice */
    { "regbadct.dat", CHECK, 400, "Bad Request - Bad Contact header", NULL },
    { "badaspec.dat", CHECK, 400, "Bad Request - Bad To header", NULL }, /* strict */
    { "baddn.dat", CHECK, 400, "Bad Request - Bad From header", NULL },
    { "badvers.dat", VERSION, 505, "Version Not Supported", NULL },
    { "mismatch01.dat", CHECK, 400, "Bad Request - CSeq method does not match", NULL },
    { "mismatch02.dat", CHECK, 400, "Bad Request - CSeq method does not match", NULL },
    { "bigcode.dat", PARSE_ERR, 0, "bad Status-Code", NULL },
    /* 3.2 transaction layer */
    { "badbranch.dat", OK, 0, NULL, x_badbranch },
    /* 3.3 application layer */
    { "insuf.dat", CHECK, 400, "Bad Request - Missing To header", NULL },
    { "unkscm.dat", CHECK, 416, "Unsupported URI Scheme", NULL },
    { "novelsc.dat", CHECK, 416, "Unsupported URI Scheme", NULL },
    { "unksm2.dat", OK, 0, NULL, x_unksm2 },
    { "bext01.dat", PROXY_REQ, 420, "Bad Extension", NULL },
    { "invut.dat", OK, 0, NULL, NULL },
    { "regaut01.dat", OK, 0, NULL, x_regaut01 },
    { "multi01.dat", CHECK, 400, "Bad Request - Multiple To headers", NULL },
    { "mcl01.dat", PARSE_ERR, 0, "multiple different Content-Length values", NULL },
    { "bcast.dat", RESP_OK, 0, NULL, x_bcast },
    { "zeromf.dat", OK, 0, NULL, x_zeromf },
    { "cparam01.dat", OK, 0, NULL, NULL },
    { "cparam02.dat", OK, 0, NULL, NULL },
    { "regescrt.dat", OK, 0, NULL, x_regescrt },
    { "sdp01.dat", OK, 0, NULL, NULL },
    /* 3.4 backward compatibility */
    { "inv2543.dat", OK, 0, NULL, x_inv2543 },
    /* not a numbered test: a Request-Line without version */
    { "test.dat", PARSE_ERR, 0, "Request-Line without SIP-Version", NULL },
};

static struct kr_str read_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/rfc4475/%s", KR_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    char tmp[8192];
    size_t n = fread(tmp, 1, sizeof(tmp), f);
    fclose(f);
    assert_true(n < sizeof(tmp));
    return tu_heapn(tmp, n);
}

static void run_case(const struct rfc_case *c)
{
    struct kr_str data = read_file(c->file);
    struct kr_sip_msg m;
    struct kr_err e = { 0 };
    unsigned code = 0;

    kr_arena_reset(&arena);
    int rc = kr_sip_msg_parse(data.ptr, data.len, &arena, &m, &e);
    print_message("%-15s parse %d %s\n", c->file, rc, e.reason ? e.reason : "");
    switch (c->outcome) {
    case PARSE_ERR:
        assert_int_equal(rc, KR_EPARSE);
        break;
    case VERSION:
        assert_int_equal(rc, KR_EVERSION);
        break;
    default:
        if (rc != 0) {
            fail_msg("%s: parse %d (%s at %zu)", c->file, rc, e.reason, e.off);
        }
        break;
    }
    if (c->outcome == PARSE_ERR && c->reason) {
        assert_string_equal(e.reason, c->reason);
    }
    if (rc == 0 || rc == KR_EVERSION) {
        struct kr_err ce = { 0 };
        int crc = kr_sip_check_request(&m, &code, &ce);
        switch (c->outcome) {
        case OK:
        case PROXY_REQ:
            if (crc != 0) {
                fail_msg("%s: check %u %s", c->file, code, ce.reason);
            }
            assert_true(m.is_request);
            break;
        case RESP_OK:
        case RESP_DROP:
            assert_false(m.is_request);
            break;
        case CHECK:
        case VERSION:
            if (code != c->code) {
                fail_msg("%s: check %u (%s), expected %u", c->file, code,
                         ce.reason ? ce.reason : "-", c->code);
            }
            assert_int_equal(crc, code == 505 ? KR_EVERSION : KR_EPARSE);
            assert_string_equal(ce.reason, c->reason);
            break;
        default:
            break;
        }
    }
    if (c->outcome == PROXY_REQ) {
        /* RFC 4475 bext01: with no supported option-tag every one is refused */
        char mem[256];
        struct kr_buf out;
        struct kr_err ce = { 0 };
        kr_buf_init_fixed(&out, mem, sizeof(mem));
        struct kr_sip_check_opts o = { .proxy_supported = KR_STR(""), .unsupported = &out };
        assert_int_equal(kr_sip_check_request_mask(
                             &m, KR_SIP_CHECK_DEFAULT | KR_SIP_CHECK_PROXY_REQUIRE, &o, &code, &ce),
                         KR_EPARSE);
        assert_int_equal(code, c->code);
        assert_string_equal(ce.reason, c->reason);
        ASSERT_STR(kr_buf_str(&out), "noProxiesSupportThis, norDoAnyProxiesSupportThis");
    }
    if (c->extra) {
        c->extra(&m);
    }

    /* The same bytes on a stream. */
    size_t skip;
    size_t len;
    struct kr_err fe = { 0 };
    int frc = kr_sip_frame(data.ptr, data.len, KR_SIP_MAX_MSG, true, &skip, &len, &fe);
    if (rc == 0 && m.first[KR_SIP_HDR_CONTENT_LENGTH] >= 0) {
        assert_int_equal(frc, 0);
        assert_int_equal(skip, 0);
        assert_int_equal(len, m.buf.len);
    } else if (strcmp(c->file, "clerr.dat") == 0) {
        assert_int_equal(frc, KR_EAGAIN); /* wait for the 9999 bytes */
    } else if (strcmp(c->file, "ncl.dat") == 0 || strcmp(c->file, "mcl01.dat") == 0 ||
               strcmp(c->file, "inv2543.dat") == 0) {
        assert_int_equal(frc, KR_EPARSE); /* bad, conflicting or missing Content-Length */
    }
}

static void test_table_covers_manifest(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/rfc4475/MANIFEST.tsv", KR_TEST_DATA);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    size_t rows = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#') {
            continue;
        }
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        const char *cls = strchr(tab + 1, '\t');
        assert_non_null(cls);
        cls++;
        const struct rfc_case *c = NULL;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            if (strcmp(cases[i].file, line) == 0) {
                c = &cases[i];
            }
        }
        if (c == NULL) {
            fail_msg("%s is in MANIFEST.tsv but not in the table", line);
        }
        /* a file the RFC calls valid must come out valid */
        if (strncmp(cls, "valid\t", 6) == 0) {
            assert_true(c->outcome == OK);
        } else if (strncmp(cls, "valid (response)", 16) == 0) {
            assert_true(c->outcome == RESP_OK);
        } else if (strncmp(cls, "invalid\t", 8) == 0) {
            assert_true(c->outcome != OK || strcmp(c->file, "baddate.dat") == 0);
        }
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, sizeof(cases) / sizeof(cases[0]));
}

static void test_all(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(&cases[i]);
    }
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_table_covers_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
