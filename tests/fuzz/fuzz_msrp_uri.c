/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for MSRP URIs: parse, check that slices stay inside the input and
 * that equality is reflexive; the input split at its first NUL gives a second URI for
 * comparing both ways (equality must be symmetric). Also parses the input as a path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msrp/frame.h"
#include "msrp/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct kr_str s, const char *p, size_t n)
{
    if (s.len && (s.ptr < p || s.ptr + s.len > p + n)) {
        abort();
    }
}

static int parse(const char *p, size_t n, struct kr_msrp_uri *u)
{
    struct kr_err e = { 0 };
    int rc = kr_msrp_uri_parse(kr_str_make(p, n), u, &e);
    if (rc < 0 && e.reason == NULL) {
        abort();
    }
    if (rc == 0) {
        inside(u->host, p, n);
        inside(u->userinfo, p, n);
        inside(u->session_id, p, n);
        inside(u->transport, p, n);
        inside(u->params, p, n);
        if (u->host.len == 0 || u->transport.len == 0 || !kr_msrp_uri_eq(u, u)) {
            abort();
        }
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    struct kr_msrp_uri a;
    struct kr_msrp_uri b;

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
        if (r1 == 0 && r2 == 0 && kr_msrp_uri_eq(&a, &b) != kr_msrp_uri_eq(&b, &a)) {
            abort();
        }
    }
    struct kr_msrp_uri path[8];
    size_t n = 0;
    struct kr_err e = { 0 };
    kr_msrp_parse_path(kr_str_make(p, size), path, 8, &n, &e);
    free(p);
    return 0;
}
