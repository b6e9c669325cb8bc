/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket addresses (IPv4 and IPv6) and listen-address descriptions as the config writes
 * them ("udp:127.0.0.1:5060", "tcp:[::1]:5060"). Pure functions, any thread. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/str.h"
#include "sip/uri.h"

struct kr_sockaddr {
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
        struct sockaddr_storage ss;
    } u;
    socklen_t len;
};

/* Longest text form: "[" IPv6 "]:" port + NUL. */
enum { KR_ADDR_STRLEN = 64 };

/* "1.2.3.4" or "::1" (no brackets) into out; returns out. */
const char *kr_addr_ip_str(const struct kr_sockaddr *a, char *out, size_t size);
/* "1.2.3.4:5060" or "[::1]:5060" into out; returns out. */
const char *kr_addr_str(const struct kr_sockaddr *a, char *out, size_t size);
uint16_t kr_addr_port(const struct kr_sockaddr *a);
void kr_addr_set_port(struct kr_sockaddr *a, uint16_t port);
bool kr_addr_eq(const struct kr_sockaddr *a, const struct kr_sockaddr *b); /* ip + port */
bool kr_addr_ip_eq(const struct kr_sockaddr *a, const struct kr_sockaddr *b);
/* Numeric IPv4 or IPv6 (brackets allowed) into a; KR_EPARSE when not numeric. */
int kr_addr_from_ip(struct kr_str ip, uint16_t port, struct kr_sockaddr *a);
/* Numeric or resolved by getaddrinfo (blocking: never on a message path under a lock). */
int kr_addr_resolve(struct kr_str host, uint16_t port, struct kr_sockaddr *a);
uint32_t kr_addr_hash(const struct kr_sockaddr *a);

const char *kr_proto_name(enum kr_uri_proto p);    /* "udp", "tcp", ... */
const char *kr_proto_name_uc(enum kr_uri_proto p); /* "UDP", "TCP", ... (Via) */
bool kr_proto_is_stream(enum kr_uri_proto p);
