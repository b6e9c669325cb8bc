/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket address helpers: text forms, comparison, hashing, numeric parsing and name
 * resolution. Pure functions (resolution blocks in getaddrinfo), any thread. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

const char *kr_addr_ip_str(const struct kr_sockaddr *a, char *out, size_t size)
{
    if (size == 0) {
        return out;
    }
    out[0] = '\0';
    if (a->u.sa.sa_family == AF_INET && size >= 16) {
        /* Hot path (every reply and forwarded request): inet_ntop formats through
         * sprintf, which costs more than the rest of building a reply. */
        const unsigned char *b = (const unsigned char *)&a->u.in.sin_addr;
        char *p = out;
        for (int i = 0; i < 4; i++) {
            unsigned v = b[i];
            if (v >= 100) {
                *p++ = (char)('0' + v / 100);
            }
            if (v >= 10) {
                *p++ = (char)('0' + v / 10 % 10);
            }
            *p++ = (char)('0' + v % 10);
            *p++ = i < 3 ? '.' : '\0';
        }
    } else if (a->u.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a->u.in.sin_addr, out, (socklen_t)size);
    } else if (a->u.sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->u.in6.sin6_addr, out, (socklen_t)size);
    }
    return out;
}

const char *kr_addr_str(const struct kr_sockaddr *a, char *out, size_t size)
{
    char ip[KR_ADDR_STRLEN];
    kr_addr_ip_str(a, ip, sizeof(ip));
    if (size == 0) {
        return out;
    }
    if (a->u.sa.sa_family == AF_INET6) {
        snprintf(out, size, "[%s]:%u", ip, (unsigned)kr_addr_port(a));
    } else if (a->u.sa.sa_family == AF_INET) {
        snprintf(out, size, "%s:%u", ip, (unsigned)kr_addr_port(a));
    } else {
        out[0] = '\0';
    }
    return out;
}

uint16_t kr_addr_port(const struct kr_sockaddr *a)
{
    if (a->u.sa.sa_family == AF_INET) {
        return ntohs(a->u.in.sin_port);
    }
    if (a->u.sa.sa_family == AF_INET6) {
        return ntohs(a->u.in6.sin6_port);
    }
    return 0;
}

void kr_addr_set_port(struct kr_sockaddr *a, uint16_t port)
{
    if (a->u.sa.sa_family == AF_INET) {
        a->u.in.sin_port = htons(port);
    } else if (a->u.sa.sa_family == AF_INET6) {
        a->u.in6.sin6_port = htons(port);
    }
}

bool kr_addr_ip_eq(const struct kr_sockaddr *a, const struct kr_sockaddr *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family) {
        return false;
    }
    if (a->u.sa.sa_family == AF_INET) {
        return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
    }
    if (a->u.sa.sa_family == AF_INET6) {
        return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(struct in6_addr)) == 0;
    }
    return false;
}

bool kr_addr_eq(const struct kr_sockaddr *a, const struct kr_sockaddr *b)
{
    return kr_addr_ip_eq(a, b) && kr_addr_port(a) == kr_addr_port(b);
}

int kr_addr_from_ip(struct kr_str ip, uint16_t port, struct kr_sockaddr *a)
{
    char tmp[INET6_ADDRSTRLEN + 2];
    if (ip.len >= 2 && ip.ptr[0] == '[' && ip.ptr[ip.len - 1] == ']') {
        ip = kr_str_sub(ip, 1, ip.len - 2);
        if (kr_str_chr(ip, ':') < 0) {
            return KR_EPARSE; /* brackets are for IPv6 only */
        }
    }
    if (ip.len == 0 || ip.len >= sizeof(tmp)) {
        return KR_EPARSE;
    }
    memcpy(tmp, ip.ptr, ip.len);
    tmp[ip.len] = '\0';
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, tmp, &a->u.in.sin_addr) == 1) {
        a->u.in.sin_family = AF_INET;
        a->u.in.sin_port = htons(port);
        a->len = sizeof(struct sockaddr_in);
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, &a->u.in6.sin6_addr) == 1) {
        a->u.in6.sin6_family = AF_INET6;
        a->u.in6.sin6_port = htons(port);
        a->len = sizeof(struct sockaddr_in6);
        return 0;
    }
    memset(a, 0, sizeof(*a));
    return KR_EPARSE;
}

int kr_addr_resolve(struct kr_str host, uint16_t port, struct kr_sockaddr *a)
{
    if (kr_addr_from_ip(host, port, a) == 0) {
        return 0;
    }
    char name[256];
    if (host.len == 0 || host.len >= sizeof(name) || memchr(host.ptr, '\0', host.len)) {
        return KR_EPARSE;
    }
    memcpy(name, host.ptr, host.len);
    name[host.len] = '\0';
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    struct addrinfo *res = NULL;
    if (getaddrinfo(name, NULL, &hints, &res) != 0 || !res) {
        return KR_ENOTFOUND;
    }
    int rc = KR_ENOTFOUND;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            ai->ai_addrlen <= sizeof(a->u)) {
            memset(a, 0, sizeof(*a));
            memcpy(&a->u, ai->ai_addr, ai->ai_addrlen);
            a->len = (socklen_t)ai->ai_addrlen;
            kr_addr_set_port(a, port);
            rc = 0;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}

uint32_t kr_addr_hash(const struct kr_sockaddr *a)
{
    const unsigned char *p = NULL;
    size_t n = 0;
    if (a->u.sa.sa_family == AF_INET) {
        p = (const unsigned char *)&a->u.in.sin_addr;
        n = sizeof(a->u.in.sin_addr);
    } else if (a->u.sa.sa_family == AF_INET6) {
        p = (const unsigned char *)&a->u.in6.sin6_addr;
        n = sizeof(a->u.in6.sin6_addr);
    }
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    uint16_t port = kr_addr_port(a);
    h = (h ^ (port & 0xffu)) * 16777619u;
    h = (h ^ (port >> 8)) * 16777619u;
    return h ^ (h >> 15);
}

const char *kr_proto_name(enum kr_uri_proto p)
{
    switch (p) {
    case KR_PROTO_UDP:
        return "udp";
    case KR_PROTO_TCP:
        return "tcp";
    case KR_PROTO_TLS:
        return "tls";
    case KR_PROTO_SCTP:
        return "sctp";
    case KR_PROTO_WS:
        return "ws";
    case KR_PROTO_WSS:
        return "wss";
    case KR_PROTO_NONE:
        return "none";
    default:
        return "other";
    }
}

const char *kr_proto_name_uc(enum kr_uri_proto p)
{
    switch (p) {
    case KR_PROTO_UDP:
        return "UDP";
    case KR_PROTO_TCP:
        return "TCP";
    case KR_PROTO_TLS:
        return "TLS";
    case KR_PROTO_SCTP:
        return "SCTP";
    case KR_PROTO_WS:
        return "WS";
    case KR_PROTO_WSS:
        return "WSS";
    case KR_PROTO_NONE:
        return "NONE";
    default:
        return "OTHER";
    }
}

bool kr_proto_is_stream(enum kr_uri_proto p)
{
    return p == KR_PROTO_TCP || p == KR_PROTO_TLS || p == KR_PROTO_WS || p == KR_PROTO_WSS;
}
