/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for net/addr (text forms, comparison, parsing) and kr_net_listen_parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/addr.h"
#include "net/net.h"

/* Exactly-sized heap copy: ASan catches any read past the end. */
static struct kr_str heap_str(const char *lit, char **keep)
{
    size_t n = strlen(lit);
    *keep = malloc(n ? n : 1);
    assert_non_null(*keep);
    memcpy(*keep, lit, n);
    return kr_str_make(*keep, n);
}

static void test_addr_forms(void **state)
{
    (void)state;
    struct kr_sockaddr a;
    struct kr_sockaddr b;
    char buf[KR_ADDR_STRLEN];
    char *mem;

    assert_int_equal(kr_addr_from_ip(heap_str("127.0.0.1", &mem), 5060, &a), 0);
    free(mem);
    assert_string_equal(kr_addr_str(&a, buf, sizeof(buf)), "127.0.0.1:5060");
    assert_string_equal(kr_addr_ip_str(&a, buf, sizeof(buf)), "127.0.0.1");
    assert_int_equal(kr_addr_port(&a), 5060);
    kr_addr_set_port(&a, 5080);
    assert_int_equal(kr_addr_port(&a), 5080);

    assert_int_equal(kr_addr_from_ip(heap_str("[2001:db8::1]", &mem), 5061, &b), 0);
    free(mem);
    assert_string_equal(kr_addr_str(&b, buf, sizeof(buf)), "[2001:db8::1]:5061");
    assert_string_equal(kr_addr_ip_str(&b, buf, sizeof(buf)), "2001:db8::1");
    assert_false(kr_addr_eq(&a, &b));

    struct kr_sockaddr c;
    assert_int_equal(kr_addr_from_ip(heap_str("2001:db8::1", &mem), 9, &c), 0);
    free(mem);
    assert_true(kr_addr_ip_eq(&b, &c));
    assert_false(kr_addr_eq(&b, &c));
    kr_addr_set_port(&c, 5061);
    assert_true(kr_addr_eq(&b, &c));
    assert_int_equal(kr_addr_hash(&b), kr_addr_hash(&c));

    assert_int_equal(kr_addr_from_ip(heap_str("example.com", &mem), 1, &c), KR_EPARSE);
    free(mem);
    assert_int_equal(kr_addr_from_ip(heap_str("[1.2.3.4]", &mem), 1, &c), KR_EPARSE);
    free(mem);
    assert_int_equal(kr_addr_from_ip(heap_str("1.2.3.256", &mem), 1, &c), KR_EPARSE);
    free(mem);
    assert_int_equal(kr_addr_from_ip(heap_str("", &mem), 1, &c), KR_EPARSE);
    free(mem);

    assert_int_equal(kr_addr_resolve(heap_str("localhost", &mem), 7, &c), 0);
    free(mem);
    assert_int_equal(kr_addr_port(&c), 7);

    assert_string_equal(kr_proto_name(KR_PROTO_UDP), "udp");
    assert_string_equal(kr_proto_name_uc(KR_PROTO_TCP), "TCP");
    assert_true(kr_proto_is_stream(KR_PROTO_TLS));
    assert_false(kr_proto_is_stream(KR_PROTO_UDP));
}

static int parse(const char *spec, struct kr_listen *out, struct kr_err *err)
{
    char *mem;
    memset(err, 0, sizeof(*err));
    int rc = kr_net_listen_parse(heap_str(spec, &mem), out, err);
    free(mem);
    return rc;
}

/* The hand-written IPv4 formatter against inet_ntop on edge values. */
static void test_ipv4_text(void **state)
{
    static const char *const ips[] = { "0.0.0.0",      "255.255.255.255", "10.0.100.9",
                                       "192.168.1.10", "1.22.133.4",      "99.100.101.250" };
    char buf[KR_ADDR_STRLEN];
    (void)state;
    for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        struct kr_sockaddr a;
        assert_int_equal(kr_addr_from_ip(kr_str_c(ips[i]), 5060, &a), 0);
        assert_string_equal(kr_addr_ip_str(&a, buf, sizeof(buf)), ips[i]);
    }
}

static void test_listen_parse(void **state)
{
    (void)state;
    struct kr_listen l[KR_LISTEN_PARSE_MAX];
    struct kr_err err;

    assert_int_equal(parse("udp:127.0.0.1:5070", l, &err), 1);
    assert_int_equal(l[0].proto, KR_PROTO_UDP);
    assert_string_equal(l[0].name, "udp:127.0.0.1:5070");
    assert_string_equal(l[0].ip, "127.0.0.1");
    assert_int_equal(l[0].port, 5070);
    assert_string_equal(l[0].adv_host, "127.0.0.1");
    assert_int_equal(l[0].adv_port, 5070);
    assert_false(l[0].is_wildcard);

    assert_int_equal(parse("tcp:[::1]:5060", l, &err), 1);
    assert_int_equal(l[0].proto, KR_PROTO_TCP);
    assert_string_equal(l[0].name, "tcp:[::1]:5060");
    assert_string_equal(l[0].ip, "::1");
    assert_string_equal(l[0].adv_host, "[::1]");

    assert_int_equal(parse("TCP:[::1]", l, &err), 1);
    assert_int_equal(l[0].port, 5060);

    assert_int_equal(parse("127.0.0.1", l, &err), 2);
    assert_int_equal(l[0].proto, KR_PROTO_UDP);
    assert_int_equal(l[1].proto, KR_PROTO_TCP);
    assert_string_equal(l[0].name, "udp:127.0.0.1:5060");
    assert_string_equal(l[1].name, "tcp:127.0.0.1:5060");

    assert_int_equal(parse("::1", l, &err), 2);
    assert_string_equal(l[0].name, "udp:[::1]:5060");

    assert_int_equal(parse("  udp:0.0.0.0:5060   advertise  203.0.113.1:5080 ", l, &err), 1);
    assert_true(l[0].is_wildcard);
    assert_string_equal(l[0].adv_host, "203.0.113.1");
    assert_int_equal(l[0].adv_port, 5080);
    assert_int_equal(l[0].port, 5060);

    assert_int_equal(parse("udp:[::]:5062 advertise sip.example.com", l, &err), 1);
    assert_true(l[0].is_wildcard);
    assert_string_equal(l[0].adv_host, "sip.example.com");
    assert_int_equal(l[0].adv_port, 5062);

    assert_int_equal(parse("udp:0.0.0.0 advertise [2001:db8::5]:7000", l, &err), 1);
    assert_string_equal(l[0].adv_host, "[2001:db8::5]");
    assert_int_equal(l[0].adv_port, 7000);

    assert_int_equal(parse("tcp:localhost:5090", l, &err), 1);
    assert_int_equal(l[0].port, 5090);

    assert_int_equal(parse("udp:lo:5060", l, &err), KR_EPARSE);
    assert_non_null(strstr(err.reason, "interface"));
    assert_int_equal(parse("tls:127.0.0.1:5061", l, &err), KR_EPARSE);
    assert_int_equal(parse("udp:127.0.0.1:99999", l, &err), KR_EPARSE);
    assert_int_equal(parse("udp:127.0.0.1:", l, &err), KR_EPARSE);
    assert_int_equal(parse("udp:[::1:5060", l, &err), KR_EPARSE);
    assert_int_equal(parse("udp:[::1]x", l, &err), KR_EPARSE);
    assert_int_equal(parse("", l, &err), KR_EPARSE);
    assert_int_equal(parse("udp:127.0.0.1 name x", l, &err), KR_EPARSE);
    assert_int_equal(parse("udp:127.0.0.1 advertise", l, &err), KR_EPARSE);
    assert_int_equal(parse("udp:no-such-host.invalid:5060", l, &err), KR_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_forms),
        cmocka_unit_test(test_listen_parse),
        cmocka_unit_test(test_ipv4_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
