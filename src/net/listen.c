/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listen= values: "[proto:]host[:port] [advertise host[:port]]" into kr_listen entries.
 * Start-up only (names are resolved with getaddrinfo); the caller owns the entries. */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"

enum { LISTEN_DEF_PORT = 5060 };

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

void kr_net_listen_fill(struct kr_listen *l, enum kr_uri_proto proto,
                        const struct kr_sockaddr *addr, const char *adv, uint16_t adv_port)
{
    char hostport[KR_ADDR_STRLEN];
    l->proto = proto;
    l->addr = *addr;
    l->port = kr_addr_port(addr);
    kr_addr_ip_str(addr, l->ip, sizeof(l->ip));
    kr_addr_str(addr, hostport, sizeof(hostport));
    snprintf(l->name, sizeof(l->name), "%s:%s", kr_proto_name(proto), hostport);
    if (adv && adv[0]) {
        snprintf(l->adv_host, sizeof(l->adv_host), "%s", adv);
    } else if (addr->u.sa.sa_family == AF_INET6) {
        snprintf(l->adv_host, sizeof(l->adv_host), "[%s]", l->ip);
    } else {
        snprintf(l->adv_host, sizeof(l->adv_host), "%s", l->ip);
    }
    l->adv_port = adv_port ? adv_port : l->port;
    if (addr->u.sa.sa_family == AF_INET) {
        l->is_wildcard = addr->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
    } else {
        l->is_wildcard = IN6_IS_ADDR_UNSPECIFIED(&addr->u.in6.sin6_addr);
    }
}

/* Splits "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address. *port is
 * def_port when absent. off is spec's offset of s, for error positions. */
static int split_hostport(struct kr_str s, size_t off, uint16_t def_port, struct kr_str *host,
                          uint16_t *port, struct kr_err *err)
{
    struct kr_str p = KR_STR_NULL;
    bool has_port = false;
    if (s.len == 0) {
        return kr_err_set(err, KR_EPARSE, off, "listen: missing host");
    }
    if (s.ptr[0] == '[') {
        long close = kr_str_chr(s, ']');
        if (close < 0) {
            return kr_err_set(err, KR_EPARSE, off, "listen: missing ']'");
        }
        *host = kr_str_sub(s, 0, (size_t)close + 1);
        struct kr_str rest = kr_str_sub(s, (size_t)close + 1, s.len);
        if (rest.len > 0) {
            if (rest.ptr[0] != ':') {
                return kr_err_set(err, KR_EPARSE, off + (size_t)close + 1,
                                  "listen: expected ':' after ']'");
            }
            p = kr_str_sub(rest, 1, rest.len);
            has_port = true;
        }
    } else {
        long colon = kr_str_chr(s, ':');
        struct kr_str after = colon >= 0 ? kr_str_sub(s, (size_t)colon + 1, s.len) : KR_STR_NULL;
        if (colon >= 0 && kr_str_chr(after, ':') < 0) {
            *host = kr_str_sub(s, 0, (size_t)colon);
            p = after;
            has_port = true;
        } else {
            *host = s; /* no colon, or a bare IPv6 address (no port possible) */
        }
    }
    if (host->len == 0) {
        return kr_err_set(err, KR_EPARSE, off, "listen: missing host");
    }
    *port = def_port;
    if (has_port) {
        uint64_t v;
        if (kr_str_to_u64(p, 65535, &v) != 0) {
            return kr_err_set(err, KR_EPARSE, off + (size_t)(p.ptr - s.ptr), "listen: bad port");
        }
        *port = (uint16_t)v;
    }
    return 0;
}

static int parse_proto(struct kr_str s, enum kr_uri_proto *proto, size_t *consumed,
                       struct kr_err *err)
{
    static const struct {
        const char *name;
        enum kr_uri_proto proto;
    } protos[] = {
        { "udp", KR_PROTO_UDP },   { "tcp", KR_PROTO_TCP }, { "tls", KR_PROTO_TLS },
        { "sctp", KR_PROTO_SCTP }, { "ws", KR_PROTO_WS },   { "wss", KR_PROTO_WSS },
    };
    *proto = KR_PROTO_NONE;
    *consumed = 0;
    long colon = kr_str_chr(s, ':');
    if (colon <= 0) {
        return 0;
    }
    struct kr_str name = kr_str_sub(s, 0, (size_t)colon);
    for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
        if (kr_str_caseeq(name, kr_str_c(protos[i].name))) {
            if (protos[i].proto != KR_PROTO_UDP && protos[i].proto != KR_PROTO_TCP) {
                return kr_err_set(err, KR_EPARSE, 0, "listen: only udp and tcp are supported");
            }
            *proto = protos[i].proto;
            *consumed = (size_t)colon + 1;
            return 0;
        }
    }
    return 0;
}

static int resolve_host(struct kr_str host, uint16_t port, size_t off, struct kr_sockaddr *a,
                        struct kr_err *err)
{
    if (kr_addr_from_ip(host, port, a) == 0) {
        return 0;
    }
    if (host.ptr[0] == '[') {
        return kr_err_set(err, KR_EPARSE, off, "listen: bad IPv6 address");
    }
    char name[IF_NAMESIZE];
    if (host.len < sizeof(name)) {
        memcpy(name, host.ptr, host.len);
        name[host.len] = '\0';
        if (if_nametoindex(name) != 0) {
            return kr_err_set(err, KR_EPARSE, off,
                              "listen: interface names are not supported; give an address");
        }
    }
    int rc = kr_addr_resolve(host, port, a);
    if (rc != 0) {
        return kr_err_set(err, rc == KR_EPARSE ? KR_EPARSE : KR_ENOTFOUND, off,
                          "listen: cannot resolve host");
    }
    return 0;
}

int kr_net_listen_parse(struct kr_str spec, struct kr_listen *out, struct kr_err *err)
{
    return kr_net_listen_parse_port(spec, LISTEN_DEF_PORT, out, err);
}

int kr_net_listen_parse_port(struct kr_str spec, uint16_t def_port, struct kr_listen *out,
                             struct kr_err *err)
{
    size_t base = 0;
    while (base < spec.len && is_space(spec.ptr[base])) {
        base++;
    }
    struct kr_str s = kr_str_sub(spec, base, spec.len);
    size_t end = 0;
    while (end < s.len && !is_space(s.ptr[end])) {
        end++;
    }
    struct kr_str main_part = kr_str_sub(s, 0, end);
    struct kr_str rest = kr_str_trim(kr_str_sub(s, end, s.len));
    size_t rest_off = base + (size_t)(rest.ptr - s.ptr);

    enum kr_uri_proto proto;
    size_t used;
    int rc = parse_proto(main_part, &proto, &used, err);
    if (rc != 0) {
        return rc;
    }
    struct kr_str host;
    uint16_t port;
    rc = split_hostport(kr_str_sub(main_part, used, main_part.len), base + used, def_port, &host,
                        &port, err);
    if (rc != 0) {
        return rc;
    }
    struct kr_sockaddr addr;
    rc = resolve_host(host, port, base + used, &addr, err);
    if (rc != 0) {
        return rc;
    }

    char adv[256] = "";
    uint16_t adv_port = 0;
    if (rest.len > 0) {
        struct kr_str kw = KR_STR("advertise");
        if (!kr_str_casestarts(rest, kw) || rest.len == kw.len || !is_space(rest.ptr[kw.len])) {
            return kr_err_set(err, KR_EPARSE, rest_off, "listen: expected 'advertise'");
        }
        struct kr_str a = kr_str_trim(kr_str_sub(rest, kw.len, rest.len));
        size_t a_off = rest_off + (size_t)(a.ptr - rest.ptr);
        if (a.len == 0) {
            return kr_err_set(err, KR_EPARSE, a_off, "listen: advertise needs an address");
        }
        for (size_t i = 0; i < a.len; i++) {
            if (is_space(a.ptr[i])) {
                return kr_err_set(err, KR_EPARSE, a_off + i, "listen: unexpected text");
            }
        }
        struct kr_str ah;
        rc = split_hostport(a, a_off, 0, &ah, &adv_port, err);
        if (rc != 0) {
            return rc;
        }
        bool bare_v6 = ah.ptr[0] != '[' && kr_str_chr(ah, ':') >= 0;
        if (ah.len + 3 > sizeof(adv)) {
            return kr_err_set(err, KR_EPARSE, a_off, "listen: advertised host too long");
        }
        snprintf(adv, sizeof(adv), bare_v6 ? "[" KR_STR_FMT "]" : KR_STR_FMT, KR_STR_ARG(ah));
    }

    if (proto != KR_PROTO_NONE) {
        memset(&out[0], 0, sizeof(out[0]));
        kr_net_listen_fill(&out[0], proto, &addr, adv, adv_port);
        return 1;
    }
    memset(out, 0, 2 * sizeof(out[0]));
    kr_net_listen_fill(&out[0], KR_PROTO_UDP, &addr, adv, adv_port);
    kr_net_listen_fill(&out[1], KR_PROTO_TCP, &addr, adv, adv_port);
    return 2;
}
