/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the SIP message parser: parse with a fresh capped arena, run
 * every request check, parse each Via / name-addr / CSeq / credentials / scalar header
 * found and the URIs inside, build a reply and an edited copy, and frame the same bytes
 * as a stream. Aborts when an invariant that no input may break does not hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "sip/build.h"
#include "sip/check.h"
#include "sip/msg.h"
#include "sip/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct kr_str s, const char *p, size_t n)
{
    if (s.len && (s.ptr < p || s.ptr + s.len > p + n)) {
        abort();
    }
}

static void uri_of(struct kr_str s)
{
    struct kr_sip_uri u;
    struct kr_err e = { 0 };
    char out[256];

    if (kr_sip_uri_parse(s, &u, &e) == 0) {
        if (!kr_sip_uri_eq(&u, &u)) {
            abort();
        }
        kr_sip_unescape(u.user, out, sizeof(out));
        kr_sip_param_find(u.params, KR_STR("transport"), NULL);
    } else if (e.reason == NULL) {
        abort();
    }
}

static void headers(const struct kr_sip_msg *m, const char *p, size_t n)
{
    for (size_t i = 0; i < m->nhdrs; i++) {
        const struct kr_sip_hdr *h = &m->hdrs[i];
        struct kr_err e = { 0 };
        struct kr_str rest = h->value;
        inside(h->raw, p, n);
        inside(h->value, p, n);
        switch (h->type) {
        case KR_SIP_HDR_VIA:
            for (int k = 0; k < 64 && rest.len; k++) {
                struct kr_sip_via v;
                if (kr_sip_parse_via(rest, &v, &rest, &e) < 0) {
                    break;
                }
                inside(v.whole, p, n);
                inside(v.branch, p, n);
            }
            break;
        case KR_SIP_HDR_FROM:
        case KR_SIP_HDR_TO:
        case KR_SIP_HDR_CONTACT:
        case KR_SIP_HDR_ROUTE:
        case KR_SIP_HDR_RECORD_ROUTE:
        case KR_SIP_HDR_REFER_TO:
            for (int k = 0; k < 64 && rest.len; k++) {
                struct kr_sip_nameaddr na;
                struct kr_str v;
                if (kr_sip_parse_nameaddr(rest, &na, &rest, &e) < 0) {
                    break;
                }
                inside(na.uri, p, n);
                inside(na.params, p, n);
                uri_of(na.uri);
                kr_sip_param_find(na.params, KR_STR("tag"), &v);
            }
            break;
        case KR_SIP_HDR_CSEQ: {
            struct kr_sip_cseq cs;
            kr_sip_parse_cseq(h->value, &cs, &e);
            break;
        }
        case KR_SIP_HDR_AUTHORIZATION:
        case KR_SIP_HDR_PROXY_AUTHORIZATION: {
            struct kr_sip_auth au;
            if (kr_sip_parse_auth(h->value, &au, &e) == 0) {
                inside(au.params, p, n);
                inside(au.response, p, n);
            }
            break;
        }
        case KR_SIP_HDR_MAX_FORWARDS: {
            unsigned mf;
            kr_sip_parse_maxfwd(h->value, &mf, &e);
            break;
        }
        case KR_SIP_HDR_EXPIRES: {
            uint32_t x;
            kr_sip_parse_expires(h->value, &x, &e);
            break;
        }
        case KR_SIP_HDR_CONTENT_LENGTH: {
            size_t cl;
            kr_sip_parse_clen(h->value, &cl, &e);
            break;
        }
        default:
            break;
        }
        if (kr_sip_msg_hdr_by_name(m, h->name, -1) == NULL) {
            abort();
        }
    }
}

static void build(const struct kr_sip_msg *m, struct kr_arena *a)
{
    struct kr_buf out;
    struct kr_sip_reply_opts o = {
        .code = 400,
        .to_tag = KR_STR("fz"),
        .via_add = KR_STR(";received=192.0.2.1"),
        .server = KR_STR("korero"),
    };
    kr_buf_init_arena(&out, a, 1024, 1 << 17);
    kr_sip_build_reply(m, &o, &out);

    struct kr_sip_edits ed;
    kr_sip_edits_init(&ed, a);
    if (m->buf.len > 4) {
        kr_sip_edit_insert(&ed, 0, KR_STR("X"));
        kr_sip_edit_delete(&ed, 1, 2);
        kr_sip_edit_insert(&ed, m->buf.len, KR_STR("tail"));
    }
    kr_buf_init_arena(&out, a, 1024, 1 << 17);
    kr_sip_build(m, &ed, true, &out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kr_arena a;
    struct kr_sip_msg m;
    struct kr_err e = { 0 };
    char *p = malloc(size ? size : 1);

    if (p == NULL) {
        return 0;
    }
    if (size) {
        memcpy(p, data, size);
    }
    kr_arena_init(&a, 16384, 1 << 20);
    int rc = kr_sip_msg_parse(p, size, &a, &m, &e);
    if (rc < 0 && e.reason == NULL) {
        abort();
    }
    inside(m.buf, p, size);
    inside(m.body, p, size);
    inside(m.headers, p, size);
    if (rc == 0 || rc == KR_EVERSION) {
        unsigned code;
        struct kr_err ce = { 0 };
        char mem[512];
        struct kr_buf uns;
        kr_buf_init_fixed(&uns, mem, sizeof(mem));
        struct kr_sip_check_opts opts = { .proxy_supported = KR_STR("path, gruu"),
                                          .unsupported = &uns };
        kr_sip_check_request(&m, &code, &ce);
        if (kr_sip_check_request_mask(&m, 0xffffffffu, &opts, &code, &ce) < 0 &&
            (code < 400 || ce.reason == NULL)) {
            abort();
        }
        if (m.is_request) {
            uri_of(m.ruri);
        }
    }
    headers(&m, p, size);
    build(&m, &a);

    /* the same bytes on a stream */
    size_t skip;
    size_t len;
    struct kr_err fe = { 0 };
    int frc = kr_sip_frame(p, size, 8192, false, &skip, &len, &fe);
    if (frc == 0) {
        if (skip > size || len > size - skip || len == 0) {
            abort();
        }
        /* what the framer cut, the parser must see as one whole message */
        struct kr_sip_msg m2;
        struct kr_err e2 = { 0 };
        kr_arena_reset(&a);
        int rc2 = kr_sip_msg_parse(p + skip, len, &a, &m2, &e2);
        if ((rc2 == 0 || rc2 == KR_EVERSION) && m2.buf.ptr + m2.buf.len != p + skip + len) {
            abort();
        }
    }
    /* fed in three growing pieces with a state, the framer must decide the same */
    struct kr_sip_frame_state st = { 0 };
    size_t skip2 = 0;
    size_t len2 = 0;
    int rrc = KR_EAGAIN;
    for (size_t cut = size / 3; rrc == KR_EAGAIN; cut = cut + size / 3 + 1) {
        size_t n = cut < size ? cut : size;
        struct kr_err re = { 0 };
        rrc = kr_sip_frame_resume(p, n, 8192, false, &st, &skip2, &len2, &re);
        if (n == size) {
            break;
        }
    }
    if (rrc != frc || (frc == 0 && (skip2 != skip || len2 != len))) {
        abort();
    }
    kr_sip_frame(p, size, 8192, true, &skip, &len, &fe);
    kr_arena_fini(&a);
    free(p);
    return 0;
}
