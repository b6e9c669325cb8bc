/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for msrp/uri: MSRP/MSRPS URI shapes (IPv4, IPv6, hostnames, userinfo,
 * ports, session ids, transports, params), malformed URIs, and the comparison rules of
 * RFC 4975 §6.1. */
#include "msrp/uri.h"
#include "sip_test_util.h"

static int up(const char *lit, struct kr_msrp_uri *u, struct kr_err *e)
{
    memset(e, 0, sizeof(*e));
    return kr_msrp_uri_parse(tu_heap(lit), u, e);
}

static void bad(const char *lit)
{
    struct kr_msrp_uri u;
    struct kr_err e;
    if (up(lit, &u, &e) != KR_EPARSE) {
        fail_msg("accepted: %s", lit);
    }
    assert_non_null(e.reason);
}

static void good(const char *lit)
{
    struct kr_msrp_uri u;
    struct kr_err e;
    if (up(lit, &u, &e) != 0) {
        fail_msg("rejected: %s (%s at %zu)", lit, e.reason, e.off);
    }
}

static void test_basic(void **state)
{
    (void)state;
    struct kr_msrp_uri u;
    struct kr_err e;

    assert_int_equal(up("msrp://atlanta.example.com:7654/jshA7weztas;tcp", &u, &e), 0);
    assert_int_equal(u.scheme, KR_MSRP_SCHEME_MSRP);
    ASSERT_STR(u.userinfo, "");
    ASSERT_STR(u.host, "atlanta.example.com");
    ASSERT_STR(u.port, "7654");
    assert_int_equal(u.port_no, 7654);
    ASSERT_STR(u.session_id, "jshA7weztas");
    ASSERT_STR(u.transport, "tcp");
    assert_int_equal(u.transport_id, KR_MSRP_TRANSPORT_TCP);
    ASSERT_STR(u.params, "");
    assert_false(u.host_is_ipv4);
    assert_false(u.host_is_ipv6);

    assert_int_equal(up("MSRPS://bob@relay.example.net;TCP", &u, &e), 0);
    assert_int_equal(u.scheme, KR_MSRP_SCHEME_MSRPS);
    ASSERT_STR(u.userinfo, "bob");
    ASSERT_STR(u.host, "relay.example.net");
    assert_int_equal(u.port_no, 0);
    ASSERT_STR(u.port, "");
    ASSERT_STR(u.session_id, "");
    assert_int_equal(u.transport_id, KR_MSRP_TRANSPORT_TCP);

    assert_int_equal(up("msrp://192.0.2.1:2855/s1;tcp", &u, &e), 0);
    assert_true(u.host_is_ipv4);
    ASSERT_STR(u.host, "192.0.2.1");

    assert_int_equal(up("msrp://[2001:db8::1]:2855/s+1=/x;tcp;foo=bar;baz", &u, &e), 0);
    assert_true(u.host_is_ipv6);
    ASSERT_STR(u.host, "[2001:db8::1]");
    ASSERT_STR(u.session_id, "s+1=/x");
    ASSERT_STR(u.params, "foo=bar;baz");

    assert_int_equal(up("msrp://df7jal23ls0d.invalid/98cjs;ws", &u, &e), 0);
    assert_int_equal(u.transport_id, KR_MSRP_TRANSPORT_WS);
    ASSERT_STR(u.session_id, "98cjs");

    assert_int_equal(up("msrp://h;sctp", &u, &e), 0);
    assert_int_equal(u.transport_id, KR_MSRP_TRANSPORT_OTHER);
    ASSERT_STR(u.transport, "sctp");

    assert_int_equal(up("msrp://user:pw%41;x=y@host:1/id;tcp", &u, &e), 0);
    ASSERT_STR(u.userinfo, "user:pw%41;x=y");
    ASSERT_STR(u.host, "host");
    assert_int_equal(u.port_no, 1);
    assert_int_equal(up("msrp://h:65535;tcp", &u, &e), 0);
    assert_int_equal(u.port_no, 65535);
}

static void test_good_shapes(void **state)
{
    (void)state;
    good("msrp://a;tcp");
    good("msrp://a.b-c.d_e;tcp");
    good("msrp://[::1];tcp");
    good("msrp://[::ffff:192.0.2.1]:99;tcp");
    good("msrp://h/a-b.c_d~e;tcp");
    good("msrp://h/1;tcp;p");
    good("msrp://h/1;tcp;p=v;q");
}

static void test_bad(void **state)
{
    (void)state;
    bad("");
    bad("msrp:");
    bad("msrp://");
    bad("sip://h;tcp");
    bad("msrp:/h;tcp");
    bad("msrp://h");           /* no transport */
    bad("msrp://h/s1");        /* no transport */
    bad("msrp://h;");          /* empty transport */
    bad("msrp://h:;tcp");      /* empty port */
    bad("msrp://h:0;tcp");     /* port 0 */
    bad("msrp://h:65536;tcp"); /* port too big */
    bad("msrp://h:99999999999999999999;tcp");
    bad("msrp://h/;tcp"); /* empty session id */
    bad("msrp://h/a b;tcp");
    bad("msrp://h/a@b;tcp");
    bad("msrp://h/a%20b;tcp");
    bad("msrp://[::1;tcp");
    bad("msrp://[zz::1];tcp");
    bad("msrp://[];tcp");
    bad("msrp://1.2.3.256;tcp");
    bad("msrp://1.2.3;tcp");
    bad("msrp://1.2.3.4.;tcp");
    bad("msrp://-h;tcp");
    bad("msrp://h-;tcp");
    bad("msrp://u%4@h;tcp");
    bad("msrp://u<@h;tcp");
    bad("msrp://h;tcp;");
    bad("msrp://h;tcp;=v");
    bad("msrp://h;tcp;p=");
    bad("msrp://h;tcp;p=v v");
    bad("msrp://h;tc-p");
    bad("msrp://h;tcp\r\n");
    bad("msrp://h;tcp ");
}

static void test_empty_userinfo(void **state)
{
    (void)state;
    struct kr_msrp_uri u;
    struct kr_err e;
    /* RFC 3986 allows an empty userinfo before '@'. */
    assert_int_equal(up("msrp://@h;tcp", &u, &e), 0);
    ASSERT_STR(u.host, "h");
}

static void test_long(void **state)
{
    (void)state;
    char big[KR_MSRP_URI_MAX + 64];
    struct kr_msrp_uri u;
    struct kr_err e = { 0 };
    memcpy(big, "msrp://h/", 9);
    memset(big + 9, 'a', sizeof(big) - 9 - 4);
    memcpy(big + sizeof(big) - 4, ";tcp", 4);
    assert_int_equal(kr_msrp_uri_parse(tu_heapn(big, sizeof(big)), &u, &e), KR_EPARSE);
}

static bool eq(const char *a, const char *b)
{
    struct kr_msrp_uri ua;
    struct kr_msrp_uri ub;
    struct kr_err e;
    assert_int_equal(up(a, &ua, &e), 0);
    assert_int_equal(up(b, &ub, &e), 0);
    bool r = kr_msrp_uri_eq(&ua, &ub);
    assert_int_equal(r, kr_msrp_uri_eq(&ub, &ua));
    assert_true(kr_msrp_uri_eq(&ua, &ua));
    return r;
}

static void test_eq(void **state)
{
    (void)state;
    assert_true(eq("msrp://h:1/s;tcp", "MSRP://H:1/s;TCP"));
    assert_true(eq("msrp://Relay.Example.COM/s;tcp", "msrp://relay.example.com/s;tcp"));
    assert_true(eq("msrp://alice@h:1/s;tcp", "msrp://bob@h:1/s;tcp")); /* userinfo ignored */
    assert_true(eq("msrp://h:1/s;tcp", "msrp://h:1/s;tcp;foo=bar"));   /* params ignored */
    assert_true(eq("msrp://[::1]:1/s;tcp", "msrp://[0:0::1]:1/s;tcp"));
    assert_true(eq("msrp://[2001:DB8::A]/s;tcp", "msrp://[2001:db8::a]/s;tcp"));
    assert_false(eq("msrp://h:1/s;tcp", "msrps://h:1/s;tcp"));
    assert_false(eq("msrp://h:1/s;tcp", "msrp://h:2/s;tcp"));
    assert_false(eq("msrp://h/s;tcp", "msrp://h:2855/s;tcp")); /* explicit port */
    assert_false(eq("msrp://h:1/s;tcp", "msrp://h:1/S;tcp"));  /* session id case */
    assert_false(eq("msrp://h:1/s;tcp", "msrp://h:1;tcp"));    /* session id present */
    assert_false(eq("msrp://h:1/s;tcp", "msrp://h:1/s;ws"));
    assert_false(eq("msrp://127.0.0.1/s;tcp", "msrp://localhost/s;tcp")); /* no DNS */
    assert_false(eq("msrp://[::1]/s;tcp", "msrp://[::2]/s;tcp"));
    assert_false(eq("msrp://h1/s;tcp", "msrp://h2/s;tcp"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_basic),          TU_TEST(test_good_shapes), TU_TEST(test_bad),
        TU_TEST(test_empty_userinfo), TU_TEST(test_long),        TU_TEST(test_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
