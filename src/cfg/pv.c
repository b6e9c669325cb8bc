/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pseudo-variable framework: scanning and parsing `$name(inner)[index]{trans}` against the
 * registry (core definitions plus the loaded modules'), formats, and evaluation. Parsing
 * runs on the loading thread into the config's arena; evaluation on workers. */
#include "cfg/pv.h"

#include <string.h>

#include "cfg/ctx.h"
#include "cfg/pv_core.h"
#include "cfg/trans.h"
#include "cfg/tree.h"
#include "core/buf.h"

enum { FMT_CAP = 65536 };

int kr_value_to_str(struct kr_arena *a, const struct kr_value *v, struct kr_str *out)
{
    switch (v->type) {
    case KR_VAL_STR:
        *out = v->s;
        return 0;
    case KR_VAL_INT: {
        char tmp[24];
        size_t n = 0;
        uint64_t u = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
        do {
            tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v->i < 0) {
            tmp[sizeof(tmp) - 1 - n++] = '-';
        }
        *out = kr_arena_strdup(a, kr_str_make(tmp + sizeof(tmp) - n, n));
        return out->ptr ? 0 : KR_ENOMEM;
    }
    default:
        *out = kr_str_make("", 0);
        return 0;
    }
}

int kr_value_to_int(const struct kr_value *v, int64_t *out)
{
    switch (v->type) {
    case KR_VAL_INT:
        *out = v->i;
        return 0;
    case KR_VAL_STR: {
        struct kr_str s = kr_str_trim(v->s);
        if (s.len > 0 && s.ptr[0] == '+') {
            s.ptr++;
            s.len--;
        }
        return kr_str_to_i64(s, out) == 0 ? 0 : KR_EINVAL;
    }
    default:
        return KR_ENOTFOUND;
    }
}

int kr_pv_get(struct kr_ctx *ctx, const struct kr_pv *pv, struct kr_value *out)
{
    const struct kr_pv_name *n = &pv->name;
    struct kr_pv_name tmp;
    int rc;

    if (pv->name.dyn || pv->idx_pv) {
        tmp = pv->name;
        if (pv->name.dyn) {
            rc = kr_fmt_eval(ctx, pv->name.dyn, &tmp.name);
            if (rc < 0) {
                return rc;
            }
            tmp.priv = NULL;
        }
        if (pv->idx_pv) {
            struct kr_value iv;
            int64_t i = 0;
            rc = kr_pv_get(ctx, pv->idx_pv, &iv);
            if (rc < 0) {
                return rc;
            }
            if (kr_value_to_int(&iv, &i) < 0) {
                *out = kr_value_null();
                return 0;
            }
            tmp.has_index = true;
            tmp.index = i;
        }
        n = &tmp;
    }
    rc = pv->def->get(ctx, n, out);
    if (rc < 0) {
        return rc;
    }
    if (pv->ntrans) {
        return kr_trans_apply(ctx, pv->trans, pv->ntrans, out);
    }
    return 0;
}

int kr_pv_set(struct kr_ctx *ctx, const struct kr_pv *pv, const struct kr_value *v)
{
    const struct kr_pv_name *n = &pv->name;
    struct kr_pv_name tmp;

    if (pv->def->set == NULL || pv->ntrans) {
        return KR_EINVAL;
    }
    if (pv->name.dyn || pv->idx_pv) {
        tmp = pv->name;
        if (pv->name.dyn) {
            int rc = kr_fmt_eval(ctx, pv->name.dyn, &tmp.name);
            if (rc < 0) {
                return rc;
            }
            tmp.priv = NULL;
        }
        if (pv->idx_pv) {
            struct kr_value iv;
            int64_t i = 0;
            int rc = kr_pv_get(ctx, pv->idx_pv, &iv);
            if (rc < 0) {
                return rc;
            }
            if (kr_value_to_int(&iv, &i) < 0) {
                return KR_EINVAL;
            }
            tmp.has_index = true;
            tmp.index = i;
        }
        n = &tmp;
    }
    return pv->def->set(ctx, n, v);
}

int kr_fmt_eval(struct kr_ctx *ctx, const struct kr_fmt *f, struct kr_str *out)
{
    if (f->nparts == 1 && f->parts[0].pv == NULL) {
        *out = f->parts[0].lit;
        return 0;
    }
    if (f->nparts == 1 && f->parts[0].lit.len == 0) {
        struct kr_value v;
        int rc = kr_pv_get(ctx, f->parts[0].pv, &v);
        if (rc < 0) {
            return rc;
        }
        if (v.type == KR_VAL_NULL) {
            *out = KR_STR("<null>");
            return 0;
        }
        return kr_value_to_str(ctx->arena, &v, out);
    }

    struct kr_buf b;
    kr_buf_init_arena(&b, ctx->arena, 128, FMT_CAP);
    for (size_t i = 0; i < f->nparts; i++) {
        const struct kr_fmt_part *p = &f->parts[i];
        kr_buf_append_str(&b, p->lit);
        if (p->pv == NULL) {
            continue;
        }
        struct kr_value v;
        int rc = kr_pv_get(ctx, p->pv, &v);
        if (rc < 0) {
            return rc;
        }
        if (v.type == KR_VAL_NULL) {
            kr_buf_append_c(&b, "<null>");
        } else if (v.type == KR_VAL_INT) {
            kr_buf_append_i64(&b, (long long)v.i);
        } else {
            kr_buf_append_str(&b, v.s);
        }
    }
    if (b.err) {
        return b.err;
    }
    *out = kr_buf_str(&b);
    if (out->ptr == NULL) {
        *out = kr_str_make("", 0);
    }
    return 0;
}

/* --- scanning --- */

static bool is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* From an opening bracket at text[i], the index just past its matching close, or 0. */
static size_t balanced(struct kr_str t, size_t i)
{
    char stack[64];
    size_t depth = 0;

    for (; i < t.len; i++) {
        char c = t.ptr[i];
        if (c == '(' || c == '[' || c == '{') {
            if (depth == sizeof(stack)) {
                return 0;
            }
            stack[depth++] = c == '(' ? ')' : c == '[' ? ']' : '}';
        } else if (c == ')' || c == ']' || c == '}') {
            if (depth == 0 || stack[depth - 1] != c) {
                return 0;
            }
            if (--depth == 0) {
                return i + 1;
            }
        } else if (c == '\n') {
            return 0;
        }
    }
    return 0;
}

size_t kr_pv_scan(struct kr_str t)
{
    size_t i = 1;

    if (t.len < 2 || t.ptr[0] != '$') {
        return 0;
    }
    if (t.ptr[1] == '(') {
        return balanced(t, 1);
    }
    if (!is_name_start(t.ptr[1])) {
        return 0;
    }
    while (i < t.len && is_name_char(t.ptr[i])) {
        i++;
    }
    if (i < t.len && t.ptr[i] == '(') {
        size_t e = balanced(t, i);
        if (e == 0) {
            return 0;
        }
        i = e;
    }
    if (i < t.len && t.ptr[i] == '[') {
        size_t e = balanced(t, i);
        if (e == 0) {
            return 0;
        }
        i = e;
    }
    return i;
}

/* --- registry --- */

static const struct kr_pv_def *find_def(const struct kr_cfg *cfg, struct kr_str name)
{
    const struct kr_pv_def *tables[] = { kr_pv_core_defs, kr_pv_var_defs };

    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (const struct kr_pv_def *d = tables[t]; d->name; d++) {
            if (kr_str_eq(kr_str_c(d->name), name)) {
                return d;
            }
        }
    }
    for (size_t i = 0; i < cfg->mods.n; i++) {
        const struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i);
        if (cm->m->pvs == NULL) {
            continue;
        }
        for (const struct kr_pv_def *d = cm->m->pvs; d->name; d++) {
            if (kr_str_eq(kr_str_c(d->name), name)) {
                return d;
            }
        }
    }
    return NULL;
}

/* --- parsing --- */

static int perr(struct kr_err *err, size_t off, const char *why)
{
    return kr_err_set(err, KR_EINVAL, off, why);
}

/* Parses "name(inner)[idx]" at body (offset base in the whole text) into pv. *end gets
 * the index just past what was used. */
static int parse_body(struct kr_cfg *cfg, struct kr_str body, size_t base, struct kr_pv *pv,
                      size_t *end, struct kr_err *err)
{
    size_t i = 0;
    struct kr_str name;
    bool has_inner = false;
    struct kr_str inner = KR_STR_NULL;

    while (i < body.len && is_name_char(body.ptr[i])) {
        i++;
    }
    if (i == 0 || !is_name_start(body.ptr[0])) {
        return perr(err, base, "expected a pseudo-variable name after '$'");
    }
    name = kr_str_make(body.ptr, i);
    if (i < body.len && body.ptr[i] == '(') {
        size_t e = balanced(body, i);
        if (e == 0) {
            return perr(err, base + i, "unbalanced '(' in pseudo-variable");
        }
        has_inner = true;
        inner = kr_str_make(body.ptr + i + 1, e - i - 2);
        i = e;
    }
    if (i < body.len && body.ptr[i] == '[') {
        size_t e = balanced(body, i);
        if (e == 0) {
            return perr(err, base + i, "unbalanced '[' in pseudo-variable");
        }
        struct kr_str idx = kr_str_trim(kr_str_make(body.ptr + i + 1, e - i - 2));
        pv->name.has_index = true;
        if (kr_str_eq(idx, KR_STR("*"))) {
            pv->name.all_index = true;
        } else if (idx.len > 0 && idx.ptr[0] == '$') {
            struct kr_pv *ip = NULL;
            size_t used = 0;
            int rc = kr_pv_parse_prefix(cfg, idx, &ip, &used, err);
            if (rc < 0) {
                if (err) {
                    err->off += base + i + 1;
                }
                return rc;
            }
            if (used != idx.len) {
                return perr(err, base + i + 1, "bad pseudo-variable index");
            }
            pv->idx_pv = ip;
        } else if (kr_str_to_i64(idx, &pv->name.index) < 0) {
            return perr(err, base + i + 1,
                        "bad pseudo-variable index (expected a number, "
                        "* or a pseudo-variable)");
        }
        i = e;
    }
    *end = i;

    pv->def = find_def(cfg, name);
    if (pv->def == NULL) {
        return perr(err, base, "unknown pseudo-variable");
    }
    if (pv->def->needs_name && !has_inner) {
        return perr(err, base, "pseudo-variable needs a name in parentheses");
    }
    if (!pv->def->needs_name && has_inner) {
        return perr(err, base, "pseudo-variable takes no name in parentheses");
    }
    if (has_inner) {
        pv->name.name = inner;
        if (kr_str_chr(inner, '$') >= 0 && pv->def->parse != kr_pv_parse_fmt_name) {
            struct kr_fmt *f = NULL;
            int rc = kr_cfg_fmt_parse(cfg, inner, &f, err);
            if (rc < 0) {
                if (err) {
                    err->off += base;
                }
                return rc;
            }
            if (!f->is_const) {
                pv->name.dyn = f;
            }
        }
    }
    if (pv->def->parse && pv->name.dyn == NULL) {
        struct kr_err e2 = { 0 };
        struct kr_fixup fx = { .arena = &cfg->arena, .err = &e2, .func = NULL, .cfg = cfg };
        int rc = pv->def->parse(&fx, &pv->name);
        if (rc < 0) {
            return perr(err, base, e2.reason ? e2.reason : "bad pseudo-variable name");
        }
    }
    return 0;
}

int kr_pv_parse_prefix(struct kr_cfg *cfg, struct kr_str text, struct kr_pv **out, size_t *used,
                       struct kr_err *err)
{
    size_t len = kr_pv_scan(text);
    struct kr_pv *pv;
    size_t end = 0;
    int rc;

    if (len == 0) {
        if (text.len >= 2 && text.ptr[0] == '$' &&
            (text.ptr[1] == '(' || is_name_start(text.ptr[1]))) {
            return perr(err, 0, "unbalanced brackets in pseudo-variable");
        }
        return perr(err, 0, "expected a pseudo-variable");
    }
    pv = kr_arena_zalloc(&cfg->arena, sizeof(*pv));
    if (pv == NULL) {
        return KR_ENOMEM;
    }
    pv->text = kr_str_make(text.ptr, len);
    if (text.ptr[1] != '(') {
        rc = parse_body(cfg, kr_str_make(text.ptr + 1, len - 1), 1, pv, &end, err);
        if (rc < 0) {
            return rc;
        }
        if (end != len - 1) {
            return perr(err, 1 + end, "unexpected text in pseudo-variable");
        }
    } else {
        struct kr_str body = kr_str_make(text.ptr + 2, len - 3);
        rc = parse_body(cfg, body, 2, pv, &end, err);
        if (rc < 0) {
            return rc;
        }
        /* transformations */
        struct kr_trans tr[16];
        unsigned nt = 0;
        while (end < body.len) {
            if (body.ptr[end] != '{') {
                return perr(err, 2 + end, "expected '{' (a transformation) or ')'");
            }
            size_t e = balanced(body, end);
            if (e == 0) {
                return perr(err, 2 + end, "unbalanced '{' in transformation");
            }
            if (nt == sizeof(tr) / sizeof(tr[0])) {
                return perr(err, 2 + end, "too many transformations");
            }
            memset(&tr[nt], 0, sizeof(tr[nt]));
            rc = kr_trans_parse(cfg, kr_str_make(body.ptr + end + 1, e - end - 2), &tr[nt], err);
            if (rc < 0) {
                if (err) {
                    err->off += 2 + end + 1;
                }
                return rc;
            }
            tr[nt].text = kr_str_make(body.ptr + end, e - end);
            nt++;
            end = e;
        }
        if (nt) {
            struct kr_trans *t = kr_arena_alloc(&cfg->arena, nt * sizeof(*t));
            if (t == NULL) {
                return KR_ENOMEM;
            }
            memcpy(t, tr, nt * sizeof(*t));
            pv->trans = t;
            pv->ntrans = nt;
        }
    }
    *out = pv;
    *used = len;
    return 0;
}

int kr_cfg_pv_parse(struct kr_cfg *cfg, struct kr_str text, struct kr_pv **out, struct kr_err *err)
{
    size_t used = 0;
    int rc = kr_pv_parse_prefix(cfg, text, out, &used, err);
    if (rc < 0) {
        return rc;
    }
    if (used != text.len) {
        return perr(err, used, "unexpected text after the pseudo-variable");
    }
    return 0;
}

int kr_cfg_fmt_parse(struct kr_cfg *cfg, struct kr_str text, struct kr_fmt **out,
                     struct kr_err *err)
{
    struct kr_vec parts = { 0 };
    struct kr_fmt *f = kr_arena_zalloc(&cfg->arena, sizeof(*f));
    struct kr_buf lit;
    size_t i = 0;
    int rc = 0;

    if (f == NULL) {
        return KR_ENOMEM;
    }
    kr_buf_init_arena(&lit, &cfg->arena, 64, 1u << 20);
    f->text = text;
    while (i < text.len) {
        char c = text.ptr[i];
        if (c != '$') {
            kr_buf_append_char(&lit, c);
            i++;
            continue;
        }
        if (i + 1 < text.len && text.ptr[i + 1] == '$') {
            kr_buf_append_char(&lit, '$');
            i += 2;
            continue;
        }
        if (i + 1 >= text.len || !(text.ptr[i + 1] == '(' || is_name_start(text.ptr[i + 1]))) {
            kr_buf_append_char(&lit, c);
            i++;
            continue;
        }
        struct kr_pv *pv = NULL;
        size_t used = 0;
        rc = kr_pv_parse_prefix(cfg, kr_str_make(text.ptr + i, text.len - i), &pv, &used, err);
        if (rc < 0) {
            if (err) {
                err->off += i;
            }
            goto out;
        }
        struct kr_fmt_part *p = kr_vec_push(&parts, sizeof(*p));
        if (p == NULL) {
            rc = KR_ENOMEM;
            goto out;
        }
        p->lit = kr_arena_strdup(&cfg->arena, kr_buf_str(&lit));
        p->pv = pv;
        kr_buf_clear(&lit);
        i += used;
    }
    if (lit.len > 0 || parts.n == 0) {
        struct kr_fmt_part *p = kr_vec_push(&parts, sizeof(*p));
        if (p == NULL) {
            rc = KR_ENOMEM;
            goto out;
        }
        p->lit = kr_arena_strdup(&cfg->arena, kr_buf_str(&lit));
        p->pv = NULL;
    }
    if (lit.err) {
        rc = lit.err;
        goto out;
    }
    struct kr_fmt_part *dst = kr_arena_alloc(&cfg->arena, parts.n * sizeof(*dst));
    if (dst == NULL) {
        rc = KR_ENOMEM;
        goto out;
    }
    memcpy(dst, parts.v, parts.n * sizeof(*dst));
    f->parts = dst;
    f->nparts = parts.n;
    f->is_const = parts.n == 1 && dst[0].pv == NULL;
    *out = f;
out:
    kr_vec_free(&parts);
    return rc;
}
