/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for SIP/SIPS/TEL URIs: parse, unescape, look parameters up, and
 * compare; the input split at its first NUL gives a second URI for comparing both ways
 * (equality must be reflexive and symmetric). Also parses the bytes as a name-addr. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msg.h"
#include "sip/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(const char *p, size_t n, struct kr_sip_uri *u)
{
    struct kr_err e = { 0 };
    int rc = kr_sip_uri_parse(kr_str_make(p, n), u, &e);
    if (rc < 0 && e.reason == NULL) {
        abort();
    }
    if (rc == 0) {
        char out[128];
        struct kr_str v;
        kr_sip_unescape(u->user, out, sizeof(out));
        kr_sip_unescape(u->password, out, sizeof(out));
        kr_sip_param_find(u->params, KR_STR("lr"), &v);
        kr_sip_param_find(u->params, KR_STR("maddr"), &v);
        if (!kr_sip_uri_eq(u, u)) {
            abort();
        }
        if (u->host.len && (u->host.ptr < p || u->host.ptr + u->host.len > p + n)) {
            abort();
        }
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    struct kr_sip_uri a;
    struct kr_sip_uri b;

    if (p == NULL) {
        return 0;
    }
    if (size) {
        memcpy(p, data, size);
    }
    parse(p, size, &a);
    const char *nul = size ? memchr(p, '\0', size) : NULL;
    if (nul) {
        size_t n1 = (size_t)(nul - p);
        int r1 = parse(p, n1, &a);
        int r2 = parse(nul + 1, size - n1 - 1, &b);
        if (r1 == 0 && r2 == 0 && kr_sip_uri_eq(&a, &b) != kr_sip_uri_eq(&b, &a)) {
            abort();
        }
    }
    struct kr_sip_nameaddr na;
    struct kr_str rest;
    struct kr_err e = { 0 };
    kr_sip_parse_nameaddr(kr_str_make(p, size), &na, &rest, &e);
    free(p);
    return 0;
}
