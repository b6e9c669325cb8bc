/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config preprocessor; see pp.h. Defines are expanded as whole identifiers (never inside
 * strings); #!subst / #!substdef rewrite the text that follows them, strings included,
 * line by line, before it is lexed. */
#include "cfg/pp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

enum {
    PP_MAX_INCLUDE = 10,
    PP_MAX_MACRO = 32,
    PP_MAX_STACK = PP_MAX_INCLUDE + PP_MAX_MACRO + 2,
    PP_MAX_IF = 64,
    PP_MAX_FILE = 16 << 20,
};

struct pp_define {
    struct kr_str name;
    struct kr_str value;
};

struct pp_subst {
    regex_t re;
    struct kr_str repl;
    bool global;
};

struct pp_src {
    struct kr_lex lx;
    bool is_file;
    const char *path;    /* as opened (messages, include base) */
    char *real;          /* realpath, for cycles (heap) */
    size_t subst_gen;    /* substitutions already applied to the rest of lx */
    size_t if_base;      /* ifdef depth when the file was opened */
    struct kr_str macro; /* the define being expanded */
};

struct pp_if {
    bool taking; /* this branch is read */
    bool parent_taking;
    bool cond;
    bool seen_else;
    struct kr_loc loc;
};

struct kr_pp {
    struct kr_cfg *cfg;
    struct kr_diag *d;
    struct kr_vec defines; /* struct pp_define */
    struct kr_vec substs;  /* struct pp_subst */
    struct pp_src stack[PP_MAX_STACK];
    size_t depth;
    unsigned files;
    struct pp_if ifs[PP_MAX_IF];
    size_t nifs;
};

static struct pp_define *find_define(struct kr_pp *pp, struct kr_str name)
{
    for (size_t i = 0; i < pp->defines.n; i++) {
        struct pp_define *d = kr_vec_at(&pp->defines, sizeof(*d), i);
        if (kr_str_eq(d->name, name)) {
            return d;
        }
    }
    return NULL;
}

static int set_define(struct kr_pp *pp, struct kr_str name, struct kr_str value)
{
    struct pp_define *d = find_define(pp, name);
    if (d == NULL) {
        d = kr_vec_push(&pp->defines, sizeof(*d));
        if (d == NULL) {
            return KR_ENOMEM;
        }
        d->name = kr_arena_strdup(&pp->cfg->arena, name);
    }
    d->value = kr_arena_strdup(&pp->cfg->arena, value);
    return d->name.ptr && d->value.ptr ? 0 : KR_ENOMEM;
}

static void undefine(struct kr_pp *pp, struct kr_str name)
{
    for (size_t i = 0; i < pp->defines.n; i++) {
        struct pp_define *d = kr_vec_at(&pp->defines, sizeof(*d), i);
        if (kr_str_eq(d->name, name)) {
            *d = *(struct pp_define *)kr_vec_at(&pp->defines, sizeof(*d), pp->defines.n - 1);
            pp->defines.n--;
            return;
        }
    }
}

static bool skipping(const struct kr_pp *pp)
{
    return pp->nifs > 0 && !pp->ifs[pp->nifs - 1].taking;
}

/* --- files --- */

static int read_file(struct kr_pp *pp, const char *path, char **buf, size_t *len, int *eno)
{
    FILE *f = fopen(path, "rb");
    struct kr_buf b;

    if (f == NULL) {
        *eno = errno;
        return KR_EIO;
    }
    kr_buf_init_arena(&b, &pp->cfg->arena, 4096, PP_MAX_FILE);
    for (;;) {
        char *p = kr_buf_reserve(&b, 4096);
        if (p == NULL) {
            break;
        }
        size_t n = fread(p, 1, 4096, f);
        kr_buf_commit(&b, n);
        if (n < 4096) {
            break;
        }
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (b.err || failed) {
        *eno = b.err ? EFBIG : EIO;
        return KR_EIO;
    }
    kr_buf_cstr(&b);
    *buf = b.ptr ? b.ptr : (char *)"";
    *len = b.len;
    return 0;
}

static int push_file(struct kr_pp *pp, const char *path, const char *text, size_t len,
                     struct kr_loc from, bool optional)
{
    char *buf = NULL;
    size_t blen = 0;
    int eno = 0;

    if (pp->files >= PP_MAX_INCLUDE + 1 || pp->depth >= PP_MAX_STACK) {
        kr_diag_add(pp->d, from, "include depth over %d, expected fewer nested includes",
                    PP_MAX_INCLUDE);
        return KR_ELIMIT;
    }
    char *real = NULL;
    if (text == NULL) {
        real = realpath(path, NULL);
        if (real == NULL || read_file(pp, path, &buf, &blen, &eno) < 0) {
            if (real == NULL) {
                eno = errno;
            }
            free(real);
            if (optional) {
                return 0;
            }
            if (from.file == NULL) {
                kr_diag_add(pp->d, (struct kr_loc){ .file = path },
                            "cannot open the config "
                            "file: %s",
                            strerror(eno));
            } else {
                kr_diag_add(pp->d, from, "cannot open included file '%s': %s", path, strerror(eno));
            }
            return KR_EIO;
        }
        for (size_t i = 0; i < pp->depth; i++) {
            if (pp->stack[i].real && strcmp(pp->stack[i].real, real) == 0) {
                kr_diag_add(pp->d, from, "include cycle: '%s' is already being read", path);
                free(real);
                return KR_EINVAL;
            }
        }
    } else {
        buf = kr_arena_cstr(&pp->cfg->arena, kr_str_make(text, len));
        blen = len;
        if (buf == NULL) {
            return KR_ENOMEM;
        }
    }
    struct pp_src *s = &pp->stack[pp->depth++];
    memset(s, 0, sizeof(*s));
    s->path = kr_arena_cstr(&pp->cfg->arena, kr_str_c(path));
    kr_lex_init(&s->lx, s->path, buf, blen);
    s->is_file = true;
    s->real = real;
    s->subst_gen = 0;
    s->if_base = pp->nifs;
    pp->files++;
    return 0;
}

/* Resolves an include path against the including file's directory. */
static const char *include_path(struct kr_pp *pp, const char *from, struct kr_str name)
{
    struct kr_buf b;

    kr_buf_init_arena(&b, &pp->cfg->arena, 256, PATH_MAX);
    if (name.len && name.ptr[0] != '/') {
        const char *slash = from ? strrchr(from, '/') : NULL;
        if (slash) {
            kr_buf_append(&b, from, (size_t)(slash - from) + 1);
        }
    }
    kr_buf_append_str(&b, name);
    return kr_buf_cstr(&b);
}

static int do_include(struct kr_pp *pp, struct kr_str name, struct kr_loc at, bool optional)
{
    const struct pp_src *cur = NULL;
    for (size_t i = pp->depth; i > 0; i--) {
        if (pp->stack[i - 1].is_file) {
            cur = &pp->stack[i - 1];
            break;
        }
    }
    if (name.len == 0) {
        kr_diag_add(pp->d, at, "empty include file name");
        return KR_EINVAL;
    }
    const char *path = include_path(pp, cur ? cur->path : NULL, name);
    if (path == NULL) {
        return KR_ENOMEM;
    }
    return push_file(pp, path, NULL, 0, at, optional);
}

/* --- substitutions --- */

/* Applies one rule to a NUL-terminated line into b. */
static void subst_line(const struct pp_subst *s, const char *line, struct kr_buf *b)
{
    regmatch_t m[10];
    const char *p = line;
    bool first = true;

    while (*p && (first || s->global)) {
        if (regexec(&s->re, p, 10, m, first ? 0 : REG_NOTBOL) != 0) {
            break;
        }
        first = false;
        kr_buf_append(b, p, (size_t)m[0].rm_so);
        for (size_t i = 0; i < s->repl.len; i++) {
            char c = s->repl.ptr[i];
            if (c == '\\' && i + 1 < s->repl.len && s->repl.ptr[i + 1] >= '0' &&
                s->repl.ptr[i + 1] <= '9') {
                int g = s->repl.ptr[++i] - '0';
                if (m[g].rm_so >= 0) {
                    kr_buf_append(b, p + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
                }
                continue;
            }
            if (c == '\\' && i + 1 < s->repl.len) {
                c = s->repl.ptr[++i];
            }
            kr_buf_append_char(b, c);
        }
        if (m[0].rm_eo == m[0].rm_so) {
            if (p[m[0].rm_eo] == '\0') {
                p += m[0].rm_eo;
                break;
            }
            kr_buf_append_char(b, p[m[0].rm_eo]);
            p += m[0].rm_eo + 1;
        } else {
            p += m[0].rm_eo;
        }
    }
    kr_buf_append_c(b, p);
}

/* Rewrites the unread rest of a file with the rules it has not seen yet. */
static int apply_substs(struct kr_pp *pp, struct pp_src *s)
{
    struct kr_lex *lx = &s->lx;
    struct kr_buf out, line, tmp;

    kr_buf_init_arena(&out, &pp->cfg->arena, lx->len - lx->pos + 64, PP_MAX_FILE);
    kr_buf_init_heap(&line, 256, PP_MAX_FILE);
    kr_buf_init_heap(&tmp, 256, PP_MAX_FILE);
    size_t i = lx->pos;
    while (i < lx->len) {
        size_t e = i;
        while (e < lx->len && lx->buf[e] != '\n') {
            e++;
        }
        kr_buf_clear(&line);
        kr_buf_append(&line, lx->buf + i, e - i);
        for (size_t r = s->subst_gen; r < pp->substs.n; r++) {
            const struct pp_subst *ps = kr_vec_at(&pp->substs, sizeof(*ps), r);
            const char *l = kr_buf_cstr(&line);
            if (l == NULL) {
                break;
            }
            kr_buf_clear(&tmp);
            subst_line(ps, l, &tmp);
            kr_buf_clear(&line);
            kr_buf_append_str(&line, kr_buf_str(&tmp));
        }
        kr_buf_append_str(&out, kr_buf_str(&line));
        if (e < lx->len) {
            kr_buf_append_char(&out, '\n');
        }
        i = e + 1;
    }
    int err = out.err ? out.err : line.err ? line.err : tmp.err;
    kr_buf_fini(&line);
    kr_buf_fini(&tmp);
    if (err) {
        return err;
    }
    kr_buf_cstr(&out);
    lx->buf = out.ptr ? out.ptr : "";
    lx->len = out.len;
    lx->pos = 0;
    s->subst_gen = pp->substs.n;
    return 0;
}

/* Parses "/regex/replacement/flags" (any delimiter). */
static int add_subst(struct kr_pp *pp, struct kr_str spec, struct kr_loc at, bool def,
                     bool def_quoted)
{
    struct kr_buf parts[2];
    size_t i = 1;
    char delim;

    if (spec.len < 4) {
        kr_diag_add(pp->d, at, "bad substitution, expected \"/regex/replacement/flags\"");
        return KR_EINVAL;
    }
    delim = spec.ptr[0];
    for (int k = 0; k < 2; k++) {
        kr_buf_init_arena(&parts[k], &pp->cfg->arena, 64, 1u << 16);
        while (i < spec.len && spec.ptr[i] != delim) {
            if (spec.ptr[i] == '\\' && i + 1 < spec.len && spec.ptr[i + 1] == delim) {
                i++;
            }
            kr_buf_append_char(&parts[k], spec.ptr[i]);
            i++;
        }
        if (i >= spec.len) {
            kr_diag_add(pp->d, at, "bad substitution, expected \"%c...%c...%c\"", delim, delim,
                        delim);
            return KR_EINVAL;
        }
        i++;
    }
    bool global = false, icase = false;
    for (; i < spec.len; i++) {
        if (spec.ptr[i] == 'g') {
            global = true;
        } else if (spec.ptr[i] == 'i') {
            icase = true;
        } else {
            kr_diag_add(pp->d, at, "unknown substitution flag '%c', expected g or i", spec.ptr[i]);
            return KR_EINVAL;
        }
    }
    const char *re = kr_buf_cstr(&parts[0]);
    const char *repl = kr_buf_cstr(&parts[1]);
    if (re == NULL || repl == NULL) {
        return KR_ENOMEM;
    }
    struct pp_subst *s = kr_vec_push(&pp->substs, sizeof(*s));
    if (s == NULL) {
        return KR_ENOMEM;
    }
    if (regcomp(&s->re, re, REG_EXTENDED | (icase ? REG_ICASE : 0)) != 0) {
        pp->substs.n--;
        kr_diag_add(pp->d, at, "bad regular expression '%s' in substitution", re);
        return KR_EINVAL;
    }
    s->repl = kr_str_make(repl, parts[1].len);
    s->global = global;
    if (def) {
        struct kr_str id = kr_str_make(re, parts[0].len);
        for (size_t k = 0; k < id.len; k++) {
            char c = id.ptr[k];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                      (k > 0 && c >= '0' && c <= '9');
            if (!ok) {
                kr_diag_add(pp->d, at,
                            "bad define name '%s' in #!substdef, expected an "
                            "identifier",
                            re);
                return KR_EINVAL;
            }
        }
        struct kr_str val = s->repl;
        if (def_quoted) {
            struct kr_buf q;
            kr_buf_init_arena(&q, &pp->cfg->arena, val.len + 2, 1u << 16);
            kr_buf_append_char(&q, '"');
            kr_buf_append_str(&q, val);
            kr_buf_append_char(&q, '"');
            val = kr_buf_str(&q);
        }
        return set_define(pp, id, val);
    }
    return 0;
}

/* --- directives --- */

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
}

static struct kr_str skip_ws(struct kr_str s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    return s;
}

static struct kr_str take_name(struct kr_str *s)
{
    size_t i = 0;
    while (i < s->len && is_name_char(s->ptr[i])) {
        i++;
    }
    struct kr_str n = kr_str_make(s->ptr, i);
    *s = skip_ws(kr_str_make(s->ptr + i, s->len - i));
    return n;
}

static bool valid_name(struct kr_str n)
{
    return n.len > 0 && !(n.ptr[0] >= '0' && n.ptr[0] <= '9');
}

/* A quoted argument: "..." (the text between the quotes). */
static bool take_quoted(struct kr_str s, struct kr_str *out)
{
    s = kr_str_trim(s);
    if (s.len < 2 || (s.ptr[0] != '"' && s.ptr[0] != '\'') || s.ptr[s.len - 1] != s.ptr[0]) {
        return false;
    }
    *out = kr_str_make(s.ptr + 1, s.len - 2);
    return true;
}

static int directive(struct kr_pp *pp, const struct kr_tok *t)
{
    struct kr_str rest = t->text;
    struct kr_str name = take_name(&rest);
    struct kr_loc at = t->loc;

    /* conditionals: always tracked, even while skipping */
    if (kr_str_eq(name, KR_STR("ifdef")) || kr_str_eq(name, KR_STR("ifndef"))) {
        struct kr_str id = take_name(&rest);
        if (pp->nifs == PP_MAX_IF) {
            kr_diag_add(pp->d, at, "#!ifdef nested too deep");
            return KR_ELIMIT;
        }
        if (!skipping(pp) && (!valid_name(id) || kr_str_trim(rest).len)) {
            kr_diag_add(pp->d, at, "expected one name after #!" KR_STR_FMT, KR_STR_ARG(name));
            return KR_EPARSE;
        }
        struct pp_if *f = &pp->ifs[pp->nifs];
        f->parent_taking = !skipping(pp);
        f->cond = (find_define(pp, id) != NULL) == (name.len == 5);
        f->taking = f->parent_taking && f->cond;
        f->seen_else = false;
        f->loc = at;
        pp->nifs++;
        return 0;
    }
    if (kr_str_eq(name, KR_STR("else"))) {
        if (pp->nifs == 0 || pp->nifs <= pp->stack[pp->depth - 1].if_base) {
            kr_diag_add(pp->d, at, "#!else without #!ifdef");
            return KR_EPARSE;
        }
        struct pp_if *f = &pp->ifs[pp->nifs - 1];
        if (f->seen_else) {
            kr_diag_add(pp->d, at, "second #!else for the same #!ifdef");
            return KR_EPARSE;
        }
        f->seen_else = true;
        f->taking = f->parent_taking && !f->cond;
        return 0;
    }
    if (kr_str_eq(name, KR_STR("endif"))) {
        if (pp->nifs == 0 || pp->nifs <= pp->stack[pp->depth - 1].if_base) {
            kr_diag_add(pp->d, at, "#!endif without #!ifdef");
            return KR_EPARSE;
        }
        pp->nifs--;
        return 0;
    }
    if (skipping(pp)) {
        return 0;
    }

    if (kr_str_eq(name, KR_STR("define")) || kr_str_eq(name, KR_STR("trydef")) ||
        kr_str_eq(name, KR_STR("redefine"))) {
        struct kr_str id = take_name(&rest);
        if (!valid_name(id)) {
            kr_diag_add(pp->d, at, "expected a name after #!" KR_STR_FMT, KR_STR_ARG(name));
            return KR_EPARSE;
        }
        if (id.ptr + id.len < t->text.ptr + t->text.len && rest.ptr == id.ptr + id.len) {
            /* something glued to the name: "#!define A(x)" */
            kr_diag_add(pp->d, at, "bad define name '" KR_STR_FMT "%c', expected an identifier",
                        KR_STR_ARG(id), rest.ptr[0]);
            return KR_EPARSE;
        }
        bool exists = find_define(pp, id) != NULL;
        if (exists && name.ptr[0] == 'd') {
            kr_diag_add(pp->d, at,
                        "'" KR_STR_FMT "' is already defined, expected #!redefine "
                        "or #!trydef",
                        KR_STR_ARG(id));
            return KR_EINVAL;
        }
        if (exists && name.ptr[0] == 't') {
            return 0;
        }
        return set_define(pp, id, kr_str_trim(rest));
    }
    if (kr_str_eq(name, KR_STR("undef"))) {
        undefine(pp, take_name(&rest));
        return 0;
    }
    if (kr_str_eq(name, KR_STR("defenv")) || kr_str_eq(name, KR_STR("defenvs")) ||
        kr_str_eq(name, KR_STR("trydefenv")) || kr_str_eq(name, KR_STR("trydefenvs"))) {
        /* #!defenv NAME  or  #!defenv ID=NAME : ID gets the environment variable's value */
        struct kr_str id = take_name(&rest);
        struct kr_str var = id;
        if (rest.len && rest.ptr[0] == '=') {
            rest = skip_ws(kr_str_make(rest.ptr + 1, rest.len - 1));
            var = take_name(&rest);
        }
        if (!valid_name(id) || !valid_name(var)) {
            kr_diag_add(pp->d, at, "expected NAME or ID=NAME after #!" KR_STR_FMT,
                        KR_STR_ARG(name));
            return KR_EPARSE;
        }
        bool try = name.ptr[0] == 't';
        if (try && find_define(pp, id)) {
            return 0;
        }
        char *vn = kr_arena_cstr(&pp->cfg->arena, var);
        const char *val = vn ? getenv(vn) : NULL;
        if (val == NULL) {
            if (try) {
                return 0;
            }
            kr_diag_add(pp->d, at, "environment variable '%s' is not set", vn ? vn : "");
            return KR_EINVAL;
        }
        if (name.ptr[name.len - 1] == 's') {
            struct kr_buf q;
            kr_buf_init_arena(&q, &pp->cfg->arena, 64, 1u << 16);
            kr_buf_append_char(&q, '"');
            kr_buf_append_c(&q, val);
            kr_buf_append_char(&q, '"');
            return set_define(pp, id, kr_buf_str(&q));
        }
        return set_define(pp, id, kr_str_c(val));
    }
    if (kr_str_eq(name, KR_STR("subst")) || kr_str_eq(name, KR_STR("substdef")) ||
        kr_str_eq(name, KR_STR("substdefs"))) {
        struct kr_str spec;
        if (!take_quoted(rest, &spec)) {
            kr_diag_add(pp->d, at,
                        "expected a quoted \"/regex/replacement/flags\" after #!" KR_STR_FMT,
                        KR_STR_ARG(name));
            return KR_EPARSE;
        }
        return add_subst(pp, spec, at, name.len > 5, name.len == 9);
    }
    if (kr_str_eq(name, KR_STR("include_file")) || kr_str_eq(name, KR_STR("import_file"))) {
        struct kr_str file;
        if (!take_quoted(rest, &file)) {
            kr_diag_add(pp->d, at, "expected a quoted file name after #!" KR_STR_FMT,
                        KR_STR_ARG(name));
            return KR_EPARSE;
        }
        return do_include(pp, file, at, name.ptr[1] == 'm');
    }
    static const char *const headers[] = { "KAMAILIO", "KORERO",    "SER",
                                           "OPENSER",  "MAXCOMPAT", "ALL" };
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        if (kr_str_eq(name, kr_str_c(headers[i])) && kr_str_trim(rest).len == 0) {
            return 0;
        }
    }
    kr_diag_add(pp->d, at, "unknown preprocessor directive '#!" KR_STR_FMT "'",
                KR_STR_ARG(name.len ? name : t->text));
    return KR_EPARSE;
}

/* --- the token stream --- */

static void pop(struct kr_pp *pp)
{
    struct pp_src *s = &pp->stack[--pp->depth];
    if (s->is_file) {
        pp->files--;
        free(s->real);
        s->real = NULL;
    }
}

static bool expanding(const struct kr_pp *pp, struct kr_str name)
{
    for (size_t i = 0; i < pp->depth; i++) {
        if (!pp->stack[i].is_file && kr_str_eq(pp->stack[i].macro, name)) {
            return true;
        }
    }
    return false;
}

int kr_pp_next(struct kr_pp *pp, struct kr_tok *t)
{
    int rc;

    for (;;) {
        if (pp->depth == 0) {
            memset(t, 0, sizeof(*t));
            t->kind = KR_T_EOF;
            return 0;
        }
        struct pp_src *s = &pp->stack[pp->depth - 1];
        if (s->is_file && s->subst_gen < pp->substs.n) {
            rc = apply_substs(pp, s);
            if (rc < 0) {
                return rc;
            }
        }
        if (skipping(pp) && s->is_file) {
            rc = kr_lex_skip_to_directive(&s->lx, &pp->cfg->arena, t);
        } else {
            rc = kr_lex_next(&s->lx, &pp->cfg->arena, t, pp->d);
        }
        if (rc < 0) {
            return rc;
        }
        if (t->kind == KR_T_EOF) {
            if (s->is_file && pp->nifs > s->if_base) {
                kr_diag_add(pp->d, pp->ifs[pp->nifs - 1].loc,
                            "#!ifdef without #!endif, expected #!endif before the end of '%s'",
                            s->path);
                return KR_EPARSE;
            }
            if (pp->depth == 1) {
                t->loc.file = s->path;
                return 0; /* keep the main file for the EOF location */
            }
            pop(pp);
            continue;
        }
        if (t->kind == KR_T_DIRECTIVE) {
            if (!s->is_file) {
                continue;
            }
            rc = directive(pp, t);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        if (t->kind != KR_T_IDENT) {
            return 0;
        }
        if (s->is_file && (kr_str_eq(t->text, KR_STR("include_file")) ||
                           kr_str_eq(t->text, KR_STR("import_file")))) {
            struct kr_tok f;
            rc = kr_lex_next(&s->lx, &pp->cfg->arena, &f, pp->d);
            if (rc < 0) {
                return rc;
            }
            if (f.kind != KR_T_STR) {
                char desc[64];
                kr_diag_add(pp->d, f.loc,
                            "expected a quoted file name after " KR_STR_FMT ", found %s",
                            KR_STR_ARG(t->text), kr_tok_describe(&f, desc, sizeof(desc)));
                return KR_EPARSE;
            }
            rc = do_include(pp, f.text, t->loc, t->text.ptr[1] == 'm');
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        struct pp_define *d = find_define(pp, t->text);
        if (d == NULL || expanding(pp, t->text)) {
            return 0;
        }
        if (pp->depth >= PP_MAX_STACK) {
            kr_diag_add(pp->d, t->loc, "defines nested too deep expanding '" KR_STR_FMT "'",
                        KR_STR_ARG(t->text));
            return KR_ELIMIT;
        }
        struct pp_src *m = &pp->stack[pp->depth++];
        memset(m, 0, sizeof(*m));
        kr_lex_init(&m->lx, t->loc.file, d->value.ptr, d->value.len);
        m->lx.fixed = true;
        m->lx.loc = t->loc;
        m->lx.first_ws = t->ws_before;
        m->lx.line_start = false;
        m->macro = d->name;
        m->if_base = pp->nifs;
    }
}

int kr_pp_open(struct kr_cfg *cfg, const char *path, const char *buf, size_t len,
               const char *const *defines, size_t ndefines, struct kr_diag *d, struct kr_pp **out)
{
    struct kr_pp *pp = calloc(1, sizeof(*pp));
    int rc;

    *out = NULL;
    if (pp == NULL) {
        return KR_ENOMEM;
    }
    pp->cfg = cfg;
    pp->d = d;
    for (size_t i = 0; i < ndefines; i++) {
        struct kr_str def = kr_str_c(defines[i]);
        long eq = kr_str_chr(def, '=');
        struct kr_str id = eq < 0 ? def : kr_str_make(def.ptr, (size_t)eq);
        struct kr_str val = eq < 0 ? kr_str_make("", 0) : kr_str_sub(def, (size_t)eq + 1, def.len);
        size_t k = 0;
        while (k < id.len && is_name_char(id.ptr[k])) {
            k++;
        }
        if (!valid_name(id) || k != id.len) {
            kr_diag_add(d, (struct kr_loc){ .file = "command line" },
                        "bad define '%s', expected NAME or NAME=VALUE", defines[i]);
            kr_pp_free(pp);
            return KR_EINVAL;
        }
        rc = set_define(pp, id, val);
        if (rc < 0) {
            kr_pp_free(pp);
            return rc;
        }
    }
    rc = push_file(pp, path, buf, len, (struct kr_loc){ 0 }, false);
    if (rc < 0) {
        kr_pp_free(pp);
        return rc;
    }
    *out = pp;
    return 0;
}

void kr_pp_free(struct kr_pp *pp)
{
    if (pp == NULL) {
        return;
    }
    while (pp->depth) {
        pop(pp);
    }
    for (size_t i = 0; i < pp->substs.n; i++) {
        struct pp_subst *s = kr_vec_at(&pp->substs, sizeof(*s), i);
        regfree(&s->re);
    }
    kr_vec_free(&pp->substs);
    kr_vec_free(&pp->defines);
    free(pp);
}
