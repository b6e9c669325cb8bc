/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Transformations: the core classes ({s.*}, {uri.*}, {param.*}, {nameaddr.*}, {tobody.*}),
 * lookup in the registry (core plus loaded modules' kr_module.trans) at load time, and
 * applying a chain. Results go to the message arena; worker threads. */
#include "cfg/trans.h"

#include <string.h>

#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "cfg/tree.h"
#include "core/log.h"
#include "sip/msg.h"
#include "sip/uri.h"

/* --- arguments and values --- */

int kr_trans_value_str(struct kr_ctx *ctx, const struct kr_value *v, struct kr_str *out)
{
    return kr_value_to_str(ctx->arena, v, out);
}

int kr_trans_arg_str(struct kr_ctx *ctx, const struct kr_trans *t, unsigned i, struct kr_str *out)
{
    if (i >= t->nargs) {
        *out = kr_str_make("", 0);
        return 0;
    }
    if (t->args[i].pv) {
        struct kr_value v;
        int rc = kr_pv_get(ctx, t->args[i].pv, &v);
        if (rc < 0) {
            return rc;
        }
        return kr_value_to_str(ctx->arena, &v, out);
    }
    return kr_value_to_str(ctx->arena, &t->args[i].v, out);
}

int kr_trans_arg_int(struct kr_ctx *ctx, const struct kr_trans *t, unsigned i, int64_t *out)
{
    if (i >= t->nargs) {
        return KR_ENOTFOUND;
    }
    if (t->args[i].pv) {
        struct kr_value v;
        int rc = kr_pv_get(ctx, t->args[i].pv, &v);
        if (rc < 0) {
            return rc;
        }
        return kr_value_to_int(&v, out);
    }
    return kr_value_to_int(&t->args[i].v, out);
}

static int in_str(struct kr_ctx *ctx, const struct kr_value *v, struct kr_str *s)
{
    return kr_value_to_str(ctx->arena, v, s);
}

static int out_str(struct kr_value *v, struct kr_str s)
{
    *v = kr_value_str(s);
    return 0;
}

/* --- {s.*} --- */

static int t_s_len(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    *v = kr_value_int((int64_t)s.len);
    return 0;
}

static int t_s_int(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int64_t n = 0;
    bool neg = false;
    size_t i = 0;

    if (v->type == KR_VAL_INT) {
        return 0;
    }
    int rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    s = kr_str_trim(s);
    if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+')) {
        neg = s.ptr[i] == '-';
        i++;
    }
    for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {
        if (n > (INT64_MAX - 9) / 10) {
            break;
        }
        n = n * 10 + (s.ptr[i] - '0');
    }
    *v = kr_value_int(neg ? -n : n);
    return 0;
}

static int t_s_substr(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int64_t off, len;
    int rc = in_str(ctx, v, &s);

    if (rc < 0 || (rc = kr_trans_arg_int(ctx, t, 0, &off)) < 0 ||
        (rc = kr_trans_arg_int(ctx, t, 1, &len)) < 0) {
        return rc < 0 ? rc : KR_EINVAL;
    }
    if (off < 0) {
        off += (int64_t)s.len;
        if (off < 0) {
            return KR_EINVAL;
        }
    }
    if ((uint64_t)off > s.len || len < 0) {
        return KR_EINVAL;
    }
    size_t l = len == 0 ? s.len - (size_t)off : (size_t)len;
    return out_str(v, kr_str_sub(s, (size_t)off, l));
}

static int case_map(struct kr_ctx *ctx, struct kr_value *v, bool upper)
{
    struct kr_str s;
    int rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    char *p = kr_arena_alloc(ctx->arena, s.len + 1);
    if (p == NULL) {
        return KR_ENOMEM;
    }
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (upper && c >= 'a' && c <= 'z') {
            c = (char)(c - 32);
        } else if (!upper) {
            c = kr_ascii_lower(c);
        }
        p[i] = c;
    }
    p[s.len] = '\0';
    return out_str(v, kr_str_make(p, s.len));
}

static int t_s_tolower(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return case_map(ctx, v, false);
}

static int t_s_toupper(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return case_map(ctx, v, true);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int trim_side(struct kr_ctx *ctx, struct kr_value *v, bool left, bool right)
{
    struct kr_str s;
    int rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    while (left && s.len && is_ws(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (right && s.len && is_ws(s.ptr[s.len - 1])) {
        s.len--;
    }
    return out_str(v, s);
}

static int t_s_trim(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return trim_side(ctx, v, true, true);
}

static int t_s_ltrim(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return trim_side(ctx, v, true, false);
}

static int t_s_rtrim(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return trim_side(ctx, v, false, true);
}

static int t_s_strip(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int64_t n;
    int rc = in_str(ctx, v, &s);
    if (rc < 0 || (rc = kr_trans_arg_int(ctx, t, 0, &n)) < 0) {
        return rc;
    }
    if (n < 0) {
        return KR_EINVAL;
    }
    return out_str(v, kr_str_sub(s, (size_t)n, s.len));
}

static int t_s_striptail(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int64_t n;
    int rc = in_str(ctx, v, &s);
    if (rc < 0 || (rc = kr_trans_arg_int(ctx, t, 0, &n)) < 0) {
        return rc;
    }
    if (n < 0) {
        return KR_EINVAL;
    }
    return out_str(v, kr_str_make(s.ptr, (uint64_t)n >= s.len ? 0 : s.len - (size_t)n));
}

/* {s.select,index,sep}: the index-th field (negative from the end). */
static int t_s_select(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s, sep;
    int64_t idx;
    int rc = in_str(ctx, v, &s);
    if (rc < 0 || (rc = kr_trans_arg_int(ctx, t, 0, &idx)) < 0 ||
        (rc = kr_trans_arg_str(ctx, t, 1, &sep)) < 0) {
        return rc;
    }
    if (sep.len != 1) {
        return KR_EINVAL;
    }
    size_t nf = 1;
    for (size_t i = 0; i < s.len; i++) {
        nf += s.ptr[i] == sep.ptr[0];
    }
    if (idx < 0) {
        idx += (int64_t)nf;
    }
    if (idx < 0 || (uint64_t)idx >= nf) {
        *v = kr_value_null();
        return 0;
    }
    size_t start = 0, field = 0;
    for (size_t i = 0; i <= s.len; i++) {
        if (i == s.len || s.ptr[i] == sep.ptr[0]) {
            if (field == (size_t)idx) {
                return out_str(v, kr_str_make(s.ptr + start, i - start));
            }
            field++;
            start = i + 1;
        }
    }
    *v = kr_value_null();
    return 0;
}

static int before_after(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v,
                        bool after, bool reverse)
{
    struct kr_str s, m;
    int rc = in_str(ctx, v, &s);
    if (rc < 0 || (rc = kr_trans_arg_str(ctx, t, 0, &m)) < 0) {
        return rc;
    }
    if (m.len == 0) {
        return KR_EINVAL;
    }
    long at = -1;
    if (!reverse) {
        at = kr_str_find(s, m);
    } else {
        for (size_t i = s.len; i >= m.len; i--) {
            if (memcmp(s.ptr + i - m.len, m.ptr, m.len) == 0) {
                at = (long)(i - m.len);
                break;
            }
        }
    }
    if (at < 0) {
        return 0; /* unchanged when the marker is absent */
    }
    if (after) {
        return out_str(v, kr_str_sub(s, (size_t)at + m.len, s.len));
    }
    return out_str(v, kr_str_make(s.ptr, (size_t)at));
}

static int t_s_before(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return before_after(ctx, t, v, false, false);
}

static int t_s_after(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return before_after(ctx, t, v, true, false);
}

static int t_s_rbefore(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return before_after(ctx, t, v, false, true);
}

static int t_s_rafter(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return before_after(ctx, t, v, true, true);
}

static int t_s_replace(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s, m, r;
    int rc = in_str(ctx, v, &s);
    if (rc < 0 || (rc = kr_trans_arg_str(ctx, t, 0, &m)) < 0 ||
        (rc = kr_trans_arg_str(ctx, t, 1, &r)) < 0) {
        return rc;
    }
    if (m.len == 0) {
        return 0;
    }
    size_t count = 0;
    for (long at = 0; (size_t)at + m.len <= s.len;) {
        long f = kr_str_find(kr_str_sub(s, (size_t)at, s.len), m);
        if (f < 0) {
            break;
        }
        count++;
        at += f + (long)m.len;
    }
    if (count == 0) {
        return 0;
    }
    size_t len = s.len - count * m.len + count * r.len;
    char *p = kr_arena_alloc(ctx->arena, len + 1);
    size_t o = 0, i = 0;
    if (p == NULL) {
        return KR_ENOMEM;
    }
    while (i < s.len) {
        if (i + m.len <= s.len && memcmp(s.ptr + i, m.ptr, m.len) == 0) {
            if (r.len) {
                memcpy(p + o, r.ptr, r.len);
            }
            o += r.len;
            i += m.len;
        } else {
            p[o++] = s.ptr[i++];
        }
    }
    p[o] = '\0';
    return out_str(v, kr_str_make(p, o));
}

static int t_s_unquote(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    if (s.len >= 2 && ((s.ptr[0] == '"' && s.ptr[s.len - 1] == '"') ||
                       (s.ptr[0] == '\'' && s.ptr[s.len - 1] == '\''))) {
        s = kr_str_make(s.ptr + 1, s.len - 2);
    }
    return out_str(v, s);
}

static int t_s_unbracket(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct kr_str s;
    int rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    if (s.len >= 2 && ((s.ptr[0] == '<' && s.ptr[s.len - 1] == '>') ||
                       (s.ptr[0] == '(' && s.ptr[s.len - 1] == ')') ||
                       (s.ptr[0] == '[' && s.ptr[s.len - 1] == ']') ||
                       (s.ptr[0] == '{' && s.ptr[s.len - 1] == '}'))) {
        s = kr_str_make(s.ptr + 1, s.len - 2);
    }
    return out_str(v, s);
}

static int t_s_encode_hexa(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    static const char hex[] = "0123456789abcdef";
    struct kr_str s;
    int rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    char *p = kr_arena_alloc(ctx->arena, s.len * 2 + 1);
    if (p == NULL) {
        return KR_ENOMEM;
    }
    for (size_t i = 0; i < s.len; i++) {
        p[2 * i] = hex[(unsigned char)s.ptr[i] >> 4];
        p[2 * i + 1] = hex[(unsigned char)s.ptr[i] & 15];
    }
    p[s.len * 2] = '\0';
    return out_str(v, kr_str_make(p, s.len * 2));
}

/* --- {uri.*} --- */

static int parse_uri(struct kr_ctx *ctx, struct kr_value *v, struct kr_sip_uri *u)
{
    struct kr_str s;
    struct kr_err err = { 0 };
    int rc;

    if (v->type == KR_VAL_NULL) {
        return KR_ENOTFOUND;
    }
    rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    return kr_sip_uri_parse(kr_str_trim(s), u, &err);
}

static int uri_part(struct kr_ctx *ctx, struct kr_value *v, int part)
{
    struct kr_sip_uri u;
    int rc = parse_uri(ctx, v, &u);
    if (rc < 0) {
        *v = kr_value_null();
        return rc == KR_ENOTFOUND ? 0 : rc;
    }
    struct kr_str r;
    switch (part) {
    case 0:
        r = u.user;
        break;
    case 1:
        r = u.host;
        break;
    case 2:
        r = u.port;
        break;
    case 3:
        r = u.password;
        break;
    case 4:
        r = u.params;
        break;
    case 5:
        r = u.headers;
        break;
    case 6:
        r = u.transport;
        break;
    case 7:
        r = u.ttl;
        break;
    case 8:
        r = u.maddr;
        break;
    case 9:
        r = u.method;
        break;
    case 10:
        r = u.scheme == KR_URI_SIPS  ? KR_STR("sips")
            : u.scheme == KR_URI_TEL ? KR_STR("tel")
                                     : KR_STR("sip");
        break;
    case 11:
        r = u.user_param;
        break;
    default:
        r = u.lr ? KR_STR("lr") : KR_STR_NULL;
        break;
    }
    *v = r.ptr ? kr_value_str(r) : kr_value_str(kr_str_make("", 0));
    return 0;
}

#define URI_T(fname, part)                                                                         \
    static int fname(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)             \
    {                                                                                              \
        return uri_part(ctx, v, part);                                                             \
    }
URI_T(t_uri_user, 0)
URI_T(t_uri_host, 1)
URI_T(t_uri_port, 2)
URI_T(t_uri_passwd, 3)
URI_T(t_uri_params, 4)
URI_T(t_uri_headers, 5)
URI_T(t_uri_transport, 6)
URI_T(t_uri_ttl, 7)
URI_T(t_uri_maddr, 8)
URI_T(t_uri_method, 9)
URI_T(t_uri_scheme, 10)
URI_T(t_uri_userparam, 11)
URI_T(t_uri_lr, 12)
#undef URI_T

/* --- {param.*} on "a=1;b=2" lists --- */

struct param_it {
    struct kr_str s;
    size_t pos;
    char sep;
};

/* Next "name[=value]" element; false at the end. */
static bool param_next(struct param_it *it, struct kr_str *name, struct kr_str *value)
{
    while (it->pos <= it->s.len) {
        size_t start = it->pos;
        size_t end = start;
        while (end < it->s.len && it->s.ptr[end] != it->sep) {
            end++;
        }
        it->pos = end + 1;
        struct kr_str el = kr_str_trim(kr_str_make(it->s.ptr + start, end - start));
        if (el.len == 0) {
            if (end >= it->s.len) {
                return false;
            }
            continue;
        }
        long eq = kr_str_chr(el, '=');
        if (eq < 0) {
            *name = el;
            *value = kr_str_make(el.ptr + el.len, 0);
        } else {
            *name = kr_str_trim(kr_str_make(el.ptr, (size_t)eq));
            *value = kr_str_trim(kr_str_sub(el, (size_t)eq + 1, el.len));
        }
        return true;
    }
    return false;
}

static int param_setup(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v,
                       unsigned sep_arg, struct param_it *it)
{
    struct kr_str sep;
    int rc = in_str(ctx, v, &it->s);
    if (rc < 0) {
        return rc;
    }
    it->pos = 0;
    it->sep = ';';
    if (sep_arg < t->nargs) {
        rc = kr_trans_arg_str(ctx, t, sep_arg, &sep);
        if (rc < 0) {
            return rc;
        }
        if (sep.len != 1) {
            return KR_EINVAL;
        }
        it->sep = sep.ptr[0];
    }
    return 0;
}

static int t_param_value(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct param_it it;
    struct kr_str want, name, value;
    int rc = param_setup(ctx, t, v, 1, &it);
    if (rc < 0 || (rc = kr_trans_arg_str(ctx, t, 0, &want)) < 0) {
        return rc;
    }
    while (param_next(&it, &name, &value)) {
        if (kr_str_caseeq(name, want)) {
            return out_str(v, value);
        }
    }
    *v = kr_value_null();
    return 0;
}

static int t_param_in(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct param_it it;
    struct kr_str want, name, value;
    int rc = param_setup(ctx, t, v, 1, &it);
    if (rc < 0 || (rc = kr_trans_arg_str(ctx, t, 0, &want)) < 0) {
        return rc;
    }
    while (param_next(&it, &name, &value)) {
        if (kr_str_caseeq(name, want)) {
            *v = kr_value_int(1);
            return 0;
        }
    }
    *v = kr_value_int(0);
    return 0;
}

static int param_at(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v, bool name_of)
{
    struct param_it it;
    struct kr_str name, value;
    int64_t idx;
    int rc = param_setup(ctx, t, v, 1, &it);
    if (rc < 0 || (rc = kr_trans_arg_int(ctx, t, 0, &idx)) < 0) {
        return rc;
    }
    int64_t count = 0;
    struct param_it c = it;
    while (param_next(&c, &name, &value)) {
        count++;
    }
    if (idx < 0) {
        idx += count;
    }
    for (int64_t i = 0; param_next(&it, &name, &value); i++) {
        if (i == idx) {
            return out_str(v, name_of ? name : value);
        }
    }
    *v = kr_value_null();
    return 0;
}

static int t_param_valueat(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return param_at(ctx, t, v, false);
}

static int t_param_name(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    return param_at(ctx, t, v, true);
}

static int t_param_count(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    struct param_it it;
    struct kr_str name, value;
    int rc = param_setup(ctx, t, v, 0, &it);
    if (rc < 0) {
        return rc;
    }
    int64_t count = 0;
    while (param_next(&it, &name, &value)) {
        count++;
    }
    *v = kr_value_int(count);
    return 0;
}

/* --- {nameaddr.*} / {tobody.*} --- */

static int nameaddr_part(struct kr_ctx *ctx, struct kr_value *v, int part)
{
    struct kr_str s, rest;
    struct kr_sip_nameaddr na;
    struct kr_err err = { 0 };
    int rc;

    if (v->type == KR_VAL_NULL) {
        return 0;
    }
    rc = in_str(ctx, v, &s);
    if (rc < 0) {
        return rc;
    }
    rc = kr_sip_parse_nameaddr(s, &na, &rest, &err);
    if (rc < 0) {
        *v = kr_value_null();
        return 0;
    }
    struct kr_sip_uri u;
    switch (part) {
    case 0:
        return out_str(v, na.display);
    case 1:
        return out_str(v, na.uri);
    case 2:
        *v = kr_value_int((int64_t)na.whole.len);
        return 0;
    case 3:
        return out_str(v, na.tag);
    case 4:
        return out_str(v, na.params);
    default:
        if (kr_sip_uri_parse(na.uri, &u, &err) < 0) {
            *v = kr_value_null();
            return 0;
        }
        return out_str(v, part == 5 ? u.user : u.host);
    }
}

#define NA_T(fname, part)                                                                          \
    static int fname(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)             \
    {                                                                                              \
        return nameaddr_part(ctx, v, part);                                                        \
    }
NA_T(t_na_name, 0)
NA_T(t_na_uri, 1)
NA_T(t_na_len, 2)
NA_T(t_na_tag, 3)
NA_T(t_na_params, 4)
NA_T(t_na_user, 5)
NA_T(t_na_host, 6)
#undef NA_T

const struct kr_trans_def kr_trans_core[] = {
    { "s.len", t_s_len, 0, 0 },
    { "s.int", t_s_int, 0, 0 },
    { "s.substr", t_s_substr, 2, 2 },
    { "s.tolower", t_s_tolower, 0, 0 },
    { "s.toupper", t_s_toupper, 0, 0 },
    { "s.trim", t_s_trim, 0, 0 },
    { "s.ltrim", t_s_ltrim, 0, 0 },
    { "s.rtrim", t_s_rtrim, 0, 0 },
    { "s.strip", t_s_strip, 1, 1 },
    { "s.striptail", t_s_striptail, 1, 1 },
    { "s.select", t_s_select, 2, 2 },
    { "s.before", t_s_before, 1, 1 },
    { "s.after", t_s_after, 1, 1 },
    { "s.rbefore", t_s_rbefore, 1, 1 },
    { "s.rafter", t_s_rafter, 1, 1 },
    { "s.replace", t_s_replace, 2, 2 },
    { "s.unquote", t_s_unquote, 0, 0 },
    { "s.unbracket", t_s_unbracket, 0, 0 },
    { "s.encode.hexa", t_s_encode_hexa, 0, 0 },
    { "uri.user", t_uri_user, 0, 0 },
    { "uri.host", t_uri_host, 0, 0 },
    { "uri.domain", t_uri_host, 0, 0 },
    { "uri.port", t_uri_port, 0, 0 },
    { "uri.passwd", t_uri_passwd, 0, 0 },
    { "uri.params", t_uri_params, 0, 0 },
    { "uri.headers", t_uri_headers, 0, 0 },
    { "uri.transport", t_uri_transport, 0, 0 },
    { "uri.ttl", t_uri_ttl, 0, 0 },
    { "uri.maddr", t_uri_maddr, 0, 0 },
    { "uri.method", t_uri_method, 0, 0 },
    { "uri.scheme", t_uri_scheme, 0, 0 },
    { "uri.user_param", t_uri_userparam, 0, 0 },
    { "uri.lr", t_uri_lr, 0, 0 },
    { "param.value", t_param_value, 1, 2 },
    { "param.in", t_param_in, 1, 2 },
    { "param.valueat", t_param_valueat, 1, 2 },
    { "param.name", t_param_name, 1, 2 },
    { "param.count", t_param_count, 0, 1 },
    { "nameaddr.name", t_na_name, 0, 0 },
    { "nameaddr.uri", t_na_uri, 0, 0 },
    { "nameaddr.len", t_na_len, 0, 0 },
    { "nameaddr.params", t_na_params, 0, 0 },
    { "tobody.display", t_na_name, 0, 0 },
    { "tobody.uri", t_na_uri, 0, 0 },
    { "tobody.tag", t_na_tag, 0, 0 },
    { "tobody.params", t_na_params, 0, 0 },
    { "tobody.user", t_na_user, 0, 0 },
    { "tobody.host", t_na_host, 0, 0 },
    { 0 },
};

/* { uri.param,name } is a {param.value} on the URI's parameters. */
static int t_uri_param(struct kr_ctx *ctx, const struct kr_trans *t, struct kr_value *v)
{
    int rc = uri_part(ctx, v, 4);
    if (rc < 0 || v->type == KR_VAL_NULL) {
        return rc;
    }
    return t_param_value(ctx, t, v);
}

static const struct kr_trans_def trans_extra[] = {
    { "uri.param", t_uri_param, 1, 1 },
    { 0 },
};

/* --- registry and parsing --- */

static const struct kr_trans_def *find_in(const struct kr_trans_def *d, struct kr_str name)
{
    for (; d && d->name; d++) {
        if (kr_str_eq(kr_str_c(d->name), name)) {
            return d;
        }
    }
    return NULL;
}

static const struct kr_trans_def *find_trans(const struct kr_cfg *cfg, struct kr_str name)
{
    const struct kr_trans_def *d = find_in(kr_trans_core, name);
    if (d == NULL) {
        d = find_in(trans_extra, name);
    }
    for (size_t i = 0; d == NULL && i < cfg->mods.n; i++) {
        const struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i);
        d = find_in(cm->m->trans, name);
    }
    return d;
}

int kr_trans_parse(struct kr_cfg *cfg, struct kr_str text, struct kr_trans *t, struct kr_err *err)
{
    size_t i = 0;
    long comma = kr_str_chr(text, ',');
    struct kr_str name = comma < 0 ? text : kr_str_make(text.ptr, (size_t)comma);

    t->def = find_trans(cfg, kr_str_trim(name));
    if (t->def == NULL) {
        return kr_err_set(err, KR_EINVAL, 0, "unknown transformation");
    }
    t->nargs = 0;
    if (comma >= 0) {
        i = (size_t)comma + 1;
        for (;;) {
            /* an argument ends at a ',' outside brackets */
            size_t start = i;
            int depth = 0;
            while (i < text.len && !(text.ptr[i] == ',' && depth == 0)) {
                char c = text.ptr[i];
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                    depth--;
                } else if (c == '\\' && i + 1 < text.len) {
                    i++;
                }
                i++;
            }
            struct kr_str a = kr_str_make(text.ptr + start, i - start);
            if (t->nargs == KR_TRANS_MAX_ARGS) {
                return kr_err_set(err, KR_EINVAL, start, "too many transformation arguments");
            }
            struct kr_trans_arg *ta = &t->args[t->nargs++];
            if (a.len > 1 && a.ptr[0] == '$') {
                struct kr_pv *pv = NULL;
                int rc = kr_cfg_pv_parse(cfg, a, &pv, err);
                if (rc < 0) {
                    if (err) {
                        err->off += start;
                    }
                    return rc;
                }
                ta->pv = pv;
            } else {
                int64_t n;
                if (a.len && kr_str_to_i64(a, &n) == 0) {
                    ta->v = kr_value_int(n);
                } else {
                    /* "\," stands for a comma */
                    char *p = kr_arena_alloc(&cfg->arena, a.len + 1);
                    size_t o = 0;
                    if (p == NULL) {
                        return KR_ENOMEM;
                    }
                    for (size_t k = 0; k < a.len; k++) {
                        if (a.ptr[k] == '\\' && k + 1 < a.len &&
                            (a.ptr[k + 1] == ',' || a.ptr[k + 1] == '}')) {
                            k++;
                        }
                        p[o++] = a.ptr[k];
                    }
                    p[o] = '\0';
                    ta->v = kr_value_str(kr_str_make(p, o));
                }
            }
            if (i >= text.len) {
                break;
            }
            i++;
        }
    }
    if (t->nargs < t->def->min_args || t->nargs > t->def->max_args) {
        return kr_err_set(err, KR_EINVAL, 0, "wrong number of transformation arguments");
    }
    return 0;
}

int kr_trans_apply(struct kr_ctx *ctx, const struct kr_trans *t, unsigned n, struct kr_value *v)
{
    for (unsigned i = 0; i < n; i++) {
        int rc = t[i].def->fn(ctx, &t[i], v);
        if (rc < 0) {
            KR_DBG("transformation " KR_STR_FMT " failed: %s", KR_STR_ARG(t[i].text),
                   kr_strerror(rc));
            *v = kr_value_null();
            return 0;
        }
    }
    return 0;
}
