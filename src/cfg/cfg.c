/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading and freeing a config (preprocess, parse, check), its small helpers (diagnostics,
 * vectors, owned regexes, $var/$shv slots), the `myself` table, and the per-message
 * context set-up. Loading and freeing run on the main thread. */
#include "cfg/cfg.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/check.h"
#include "cfg/ctx.h"
#include "cfg/parse.h"
#include "cfg/pp.h"
#include "cfg/tree.h"

static atomic_uint_fast64_t cfg_generation;

/* --- diagnostics --- */

void kr_diag_init(struct kr_diag *d, char *buf, size_t size)
{
    d->buf = buf;
    d->size = buf ? size : 0;
    d->len = 0;
    d->n = 0;
    if (d->size) {
        d->buf[0] = '\0';
    }
}

static void diag_append(struct kr_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void diag_append(struct kr_diag *d, const char *fmt, ...)
{
    va_list ap;
    if (d->size == 0 || d->len + 1 >= d->size) {
        return;
    }
    va_start(ap, fmt);
    int n = vsnprintf(d->buf + d->len, d->size - d->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        d->len += (size_t)n;
        if (d->len >= d->size) {
            d->len = d->size - 1;
        }
    }
}

void kr_diag_add(struct kr_diag *d, struct kr_loc loc, const char *fmt, ...)
{
    char msg[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (d->n > 0) {
        diag_append(d, "\n");
    }
    if (loc.file && loc.line) {
        diag_append(d, "%s:%u:%u: error: %s", loc.file, loc.line, loc.col, msg);
    } else if (loc.file) {
        diag_append(d, "%s: error: %s", loc.file, msg);
    } else {
        diag_append(d, "error: %s", msg);
    }
    d->n++;
}

void kr_diag_err(struct kr_diag *d, struct kr_loc loc, const char *what, const struct kr_err *e)
{
    kr_diag_add(d, loc, "%s: %s", what, e->reason ? e->reason : "invalid arguments");
}

/* --- vectors --- */

void *kr_vec_push(struct kr_vec *vec, size_t elsize)
{
    if (vec->n == vec->cap) {
        size_t ncap = vec->cap ? vec->cap * 2 : 8;
        void *nv = realloc(vec->v, ncap * elsize);
        if (nv == NULL) {
            return NULL;
        }
        vec->v = nv;
        vec->cap = ncap;
    }
    void *p = (char *)vec->v + vec->n * elsize;
    memset(p, 0, elsize);
    vec->n++;
    return p;
}

void kr_vec_free(struct kr_vec *vec)
{
    free(vec->v);
    vec->v = NULL;
    vec->n = vec->cap = 0;
}

/* --- owned objects --- */

regex_t *kr_cfg_regcomp(struct kr_cfg *cfg, const char *pattern, int flags, int *rc)
{
    struct kr_cfg_re *r = kr_arena_zalloc(&cfg->arena, sizeof(*r));
    if (r == NULL) {
        *rc = REG_ESPACE;
        return NULL;
    }
    *rc = regcomp(&r->re, pattern, flags);
    if (*rc != 0) {
        return NULL;
    }
    r->next = cfg->regs;
    cfg->regs = r;
    return &r->re;
}

int kr_cfg_var_slot(struct kr_cfg *cfg, struct kr_str name)
{
    for (size_t i = 0; i < cfg->var_names.n; i++) {
        const struct kr_str *s = kr_vec_at(&cfg->var_names, sizeof(*s), i);
        if (kr_str_eq(*s, name)) {
            return (int)i;
        }
    }
    struct kr_str *s = kr_vec_push(&cfg->var_names, sizeof(*s));
    if (s == NULL) {
        return -1;
    }
    *s = kr_arena_strdup(&cfg->arena, name);
    return (int)cfg->var_names.n - 1;
}

int kr_cfg_shv_slot(struct kr_cfg *cfg, struct kr_str name)
{
    for (size_t i = 0; i < cfg->shv.slots.n; i++) {
        const struct kr_shv_slot *s = kr_vec_at(&cfg->shv.slots, sizeof(*s), i);
        if (kr_str_eq(kr_str_make(s->name, s->nlen), name)) {
            return (int)i;
        }
    }
    struct kr_shv_slot *s = kr_vec_push(&cfg->shv.slots, sizeof(*s));
    if (s == NULL) {
        return -1;
    }
    s->name = kr_arena_cstr(&cfg->arena, name);
    s->nlen = name.len;
    s->val = kr_value_null();
    return (int)cfg->shv.slots.n - 1;
}

/* --- myself --- */

static void host_norm(struct kr_str host, char *out, size_t size, int *af, uint8_t *ip)
{
    if (host.len >= 2 && host.ptr[0] == '[' && host.ptr[host.len - 1] == ']') {
        host = kr_str_make(host.ptr + 1, host.len - 2);
    }
    size_t n = host.len < size - 1 ? host.len : size - 1;
    for (size_t i = 0; i < n; i++) {
        out[i] = kr_ascii_lower(host.ptr[i]);
    }
    out[n] = '\0';
    /* a trailing dot names the same host */
    if (n > 1 && out[n - 1] == '.') {
        out[n - 1] = '\0';
    }
    *af = 0;
    if (inet_pton(AF_INET, out, ip) == 1) {
        *af = AF_INET;
    } else if (inet_pton(AF_INET6, out, ip) == 1) {
        *af = AF_INET6;
    }
}

static void myself_add(struct kr_cfg *cfg, struct kr_str host, uint16_t port)
{
    if (host.len == 0) {
        return;
    }
    struct kr_myself *m = kr_vec_push(&cfg->myself, sizeof(*m));
    if (m == NULL) {
        return;
    }
    host_norm(host, m->host, sizeof(m->host), &m->af, m->ip);
    m->port = port;
}

/* "[proto:]host[:port]" with IPv6 in brackets (or bare, then without a port). */
static void split_hostport(struct kr_str s, struct kr_str *host, uint16_t *port, bool *has_port)
{
    static const char *const protos[] = { "udp:", "tcp:", "tls:", "sctp:", "ws:", "wss:", "any:" };
    for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
        if (kr_str_casestarts(s, kr_str_c(protos[i]))) {
            s = kr_str_sub(s, strlen(protos[i]), s.len);
            break;
        }
    }
    *has_port = false;
    *port = 0;
    struct kr_str p = KR_STR_NULL;
    if (s.len && s.ptr[0] == '[') {
        long close = kr_str_chr(s, ']');
        if (close < 0) {
            *host = s;
            return;
        }
        *host = kr_str_make(s.ptr, (size_t)close + 1);
        if ((size_t)close + 1 < s.len && s.ptr[close + 1] == ':') {
            p = kr_str_sub(s, (size_t)close + 2, s.len);
        }
    } else {
        long c = kr_str_chr(s, ':');
        if (c >= 0 && kr_str_chr(kr_str_sub(s, (size_t)c + 1, s.len), ':') < 0) {
            *host = kr_str_make(s.ptr, (size_t)c);
            p = kr_str_sub(s, (size_t)c + 1, s.len);
        } else {
            *host = s;
        }
    }
    uint64_t v;
    if (p.ptr && kr_str_to_u64(p, 65535, &v) == 0) {
        *port = (uint16_t)v;
        *has_port = true;
    }
}

static void myself_aliases(struct kr_cfg *cfg)
{
    for (size_t i = 0; i < cfg->alias_list.n; i++) {
        const char *const *a = kr_vec_at(&cfg->alias_list, sizeof(*a), i);
        struct kr_str host;
        uint16_t port;
        bool has_port;
        split_hostport(kr_str_c(*a), &host, &port, &has_port);
        myself_add(cfg, host, has_port ? port : 0);
    }
    if (cfg->core.advertised_address) {
        myself_add(cfg, kr_str_c(cfg->core.advertised_address),
                   cfg->core.advertised_port ? (uint16_t)cfg->core.advertised_port
                                             : (uint16_t)cfg->core.port);
    }
}

void kr_cfg_myself_build(struct kr_cfg *cfg)
{
    cfg->myself.n = 0;
    for (size_t i = 0; i < cfg->listens.n; i++) {
        const struct kr_cfg_listen *l = kr_vec_at(&cfg->listens, sizeof(*l), i);
        struct kr_str host;
        uint16_t port;
        bool has_port;
        split_hostport(kr_str_c(l->text), &host, &port, &has_port);
        myself_add(cfg, host, has_port ? port : (uint16_t)cfg->core.port);
        if (l->advertise) {
            split_hostport(kr_str_c(l->advertise), &host, &port, &has_port);
            myself_add(cfg, host, has_port ? port : (uint16_t)cfg->core.port);
        }
    }
    myself_aliases(cfg);
}

void kr_cfg_set_listens(struct kr_cfg *cfg, const struct kr_listen *l, size_t n)
{
    cfg->myself.n = 0;
    for (size_t i = 0; i < n; i++) {
        myself_add(cfg, kr_str_c(l[i].ip), l[i].port);
        if (l[i].adv_host[0]) {
            myself_add(cfg, kr_str_c(l[i].adv_host), l[i].adv_port ? l[i].adv_port : l[i].port);
        }
    }
    myself_aliases(cfg);
    cfg->listens_set = true;
}

bool kr_cfg_myself_match(const struct kr_cfg *cfg, struct kr_str host, uint16_t port, bool any_port)
{
    char h[256];
    uint8_t ip[16];
    int af;

    host_norm(host, h, sizeof(h), &af, ip);
    for (size_t i = 0; i < cfg->myself.n; i++) {
        const struct kr_myself *m = kr_vec_at(&cfg->myself, sizeof(*m), i);
        bool same;
        if (af && m->af) {
            same = af == m->af && memcmp(ip, m->ip, af == AF_INET ? 4 : 16) == 0;
        } else {
            same = strcmp(h, m->host) == 0;
        }
        if (same && (any_port || m->port == 0 || m->port == port)) {
            return true;
        }
    }
    return false;
}

bool kr_cfg_is_myself(const struct kr_cfg *cfg, struct kr_str host, uint16_t port)
{
    return kr_cfg_myself_match(cfg, host, port ? port : 5060, false);
}

/* --- load / free --- */

const struct kr_cfg_core *kr_cfg_core(const struct kr_cfg *cfg)
{
    return &cfg->core;
}

static int load(const char *path, const char *text, size_t len, const struct kr_cfg_opts *o,
                struct kr_cfg **out, char *diagbuf, size_t diagsize)
{
    struct kr_diag d;
    struct kr_pp *pp = NULL;
    struct kr_cfg *cfg;
    int rc;

    *out = NULL;
    kr_diag_init(&d, diagbuf, diagsize);
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        kr_diag_add(&d, (struct kr_loc){ .file = path }, "out of memory");
        return KR_ENOMEM;
    }
    kr_arena_init(&cfg->arena, 65536, 0);
    pthread_mutex_init(&cfg->shv.lock, NULL);
    cfg->gen = atomic_fetch_add(&cfg_generation, 1) + 1;
    cfg->started = time(NULL);
    kr_cfg_core_defaults(&cfg->core);
    for (int i = 0; i < KR_CFG_ROUTE__COUNT; i++) {
        cfg->route_main[i] = -1;
    }
    if (o) {
        cfg->all_modules = o->modules;
        cfg->mod_aliases = o->aliases;
    }

    rc = kr_pp_open(cfg, path, text, len, o ? o->defines : NULL, o ? o->ndefines : 0, &d, &pp);
    if (rc == 0) {
        rc = kr_cfg_parse(cfg, pp, &d);
        kr_pp_free(pp);
        if (rc == 0 || rc == KR_EINVAL) {
            /* parameter errors do not stop the checker: report everything at once */
            int rc2 = kr_cfg_check(cfg, &d);
            if (rc == 0) {
                rc = rc2;
            }
        }
    }
    if (rc == 0 && d.n > 0) {
        rc = KR_EINVAL;
    }
    if (rc < 0) {
        if (d.n == 0) {
            kr_diag_add(&d, (struct kr_loc){ .file = path }, "%s", kr_strerror(rc));
        }
        kr_cfg_free(cfg);
        return rc;
    }
    cfg->core.listens = cfg->listens.v;
    cfg->core.nlistens = cfg->listens.n;
    cfg->core.aliases = cfg->alias_list.v;
    cfg->core.naliases = cfg->alias_list.n;
    kr_cfg_myself_build(cfg);
    *out = cfg;
    return 0;
}

int kr_cfg_load(const char *path, const struct kr_cfg_opts *o, struct kr_cfg **out, char *diag,
                size_t diagsize)
{
    return load(path, NULL, 0, o, out, diag, diagsize);
}

int kr_cfg_load_buf(const char *name, const char *text, size_t len, const struct kr_cfg_opts *o,
                    struct kr_cfg **out, char *diag, size_t diagsize)
{
    return load(name, text ? text : "", text ? len : 0, o, out, diag, diagsize);
}

void kr_cfg_free(struct kr_cfg *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = cfg->mods.n; i > 0; i--) {
        struct kr_cfg_mod *cm = kr_vec_at(&cfg->mods, sizeof(*cm), i - 1);
        if (cm->inited && cm->m->destroy) {
            cm->m->destroy(cm->state);
        }
    }
    for (struct kr_cfg_re *r = cfg->regs; r; r = r->next) {
        regfree(&r->re);
    }
    for (size_t i = 0; i < cfg->shv.slots.n; i++) {
        struct kr_shv_slot *s = kr_vec_at(&cfg->shv.slots, sizeof(*s), i);
        free(s->buf);
    }
    pthread_mutex_destroy(&cfg->shv.lock);
    kr_vec_free(&cfg->shv.slots);
    kr_vec_free(&cfg->listens);
    kr_vec_free(&cfg->alias_list);
    kr_vec_free(&cfg->routes);
    kr_vec_free(&cfg->mods);
    kr_vec_free(&cfg->loadmods);
    kr_vec_free(&cfg->mparams);
    kr_vec_free(&cfg->var_names);
    kr_vec_free(&cfg->var_inits);
    kr_vec_free(&cfg->myself);
    kr_arena_fini(&cfg->arena);
    free(cfg);
}

/* --- context --- */

void kr_ctx_init(struct kr_ctx *ctx, const struct kr_cfg *cfg, struct kr_arena *a,
                 struct kr_sip_msg *msg, const struct kr_rcv *rcv, struct kr_vars *vars)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = cfg;
    ctx->arena = a;
    ctx->msg = msg;
    ctx->rcv = rcv;
    ctx->vars = vars;
    ctx->route_type = KR_ROUTE_REQUEST;
    kr_sip_edits_init(&ctx->edits, a);
}
