/* SPDX-License-Identifier: GPL-2.0-or-later */
/* htable: named hash tables shared by the workers. Items are heap copies owned by their
 * table, behind one mutex per bucket; readers copy values into the message arena. Expired
 * items are removed when their bucket is touched. Tables live in the module state (init to
 * destroy); the RPC commands reach the newest state through a pointer under rpc_lock.
 * Worker threads (PVs, functions), the RPC thread, the main thread (init, destroy). */
#define KR_LOG_UNIT "htable"
#include "modules/htable/htable.h"

#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cfg/ctx.h"
#include "cfg/pv.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/rpc.h"

enum {
    DEFAULT_SIZE = 4, /* 2^4 buckets, as Kamailio */
    MIN_SIZE = 2,
    MAX_SIZE = 14,
    RE_FLAGS = REG_EXTENDED | REG_NOSUB,
};

struct ht_item {
    struct ht_item *next;
    uint32_t hash;
    int64_t expires;     /* time(NULL) seconds; 0: never */
    struct kr_value val; /* .s points into data, after the key */
    size_t klen;
    char data[]; /* key, NUL, string value, NUL */
};

struct ht_bucket {
    pthread_mutex_t lock;
    struct ht_item *head;
};

struct ht_table {
    char *name;
    size_t nlen;
    unsigned size; /* log2 of the number of buckets */
    size_t nbuckets;
    int64_t autoexpire; /* seconds; 0: never */
    bool has_initval;
    int64_t initval;
    bool updateexpire;
    char *dbtable; /* accepted, unused */
    int64_t dbmode;
    struct ht_bucket *buckets;
};

struct ht_state {
    struct ht_table *tables;
    size_t n;
};

/* A table definition as written in the `htable` modparam. */
struct ht_def {
    struct kr_str name;
    int64_t size;
    int64_t autoexpire;
    bool has_initval;
    int64_t initval;
    bool updateexpire;
    struct kr_str dbtable;
    int64_t dbmode;
};

/* What a PV name or a function argument resolved to at load time (config arena). */
struct ht_ref {
    size_t idx;  /* table index + 1; 0: resolve at run time */
    regex_t *re; /* constant regex, or NULL */
};

/* The state the RPC commands use: the newest initialised one. */
static pthread_mutex_t rpc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ht_state *rpc_state; /* guarded by rpc_lock */

static int64_t now_sec(void)
{
    return (int64_t)time(NULL);
}

static bool expired(const struct ht_item *it, int64_t now)
{
    return it->expires != 0 && it->expires <= now;
}

/* --- definitions --- */

static int parse_int(struct kr_str v, int64_t *out)
{
    if (v.len > 0 && v.ptr[0] == '+') {
        v = kr_str_sub(v, 1, v.len);
    }
    return kr_str_to_i64(v, out) == 0 ? 0 : KR_EINVAL;
}

static struct kr_str def_name(struct kr_str text)
{
    long p = kr_str_find(text, KR_STR("=>"));
    return p < 0 ? KR_STR_NULL : kr_str_trim(kr_str_sub(text, 0, (size_t)p));
}

/* "name=>size=8;autoexpire=3600;initval=0;updateexpire=1;dbtable=x;dbmode=0" */
static int parse_def(struct kr_str text, struct ht_def *d, struct kr_err *err)
{
    long p = kr_str_find(text, KR_STR("=>"));

    *d = (struct ht_def){ .size = DEFAULT_SIZE, .updateexpire = true };
    if (p < 0) {
        return kr_err_set(err, KR_EINVAL, 0, "htable: expected \"name=>attributes\"");
    }
    d->name = kr_str_trim(kr_str_sub(text, 0, (size_t)p));
    if (d->name.len == 0) {
        return kr_err_set(err, KR_EINVAL, 0, "htable: empty table name");
    }
    struct kr_str rest = kr_str_sub(text, (size_t)p + 2, text.len);
    while (rest.len > 0) {
        long semi = kr_str_chr(rest, ';');
        size_t plen = semi < 0 ? rest.len : (size_t)semi;
        struct kr_str attr = kr_str_trim(kr_str_sub(rest, 0, plen));
        rest = kr_str_sub(rest, semi < 0 ? rest.len : plen + 1, rest.len);
        if (attr.len == 0) {
            continue;
        }
        long eq = kr_str_chr(attr, '=');
        if (eq < 0) {
            return kr_err_set(err, KR_EINVAL, 0, "htable: attribute without '=' in definition");
        }
        struct kr_str k = kr_str_trim(kr_str_sub(attr, 0, (size_t)eq));
        struct kr_str v = kr_str_trim(kr_str_sub(attr, (size_t)eq + 1, attr.len));
        int64_t n = 0;
        if (kr_str_caseeq(k, KR_STR("size"))) {
            if (parse_int(v, &n) < 0 || n < 0) {
                return kr_err_set(err, KR_EINVAL, 0, "htable: size must be a number (2-14)");
            }
            d->size = n < MIN_SIZE ? 3 : n > MAX_SIZE ? MAX_SIZE : n;
        } else if (kr_str_caseeq(k, KR_STR("autoexpire"))) {
            if (parse_int(v, &n) < 0 || n < 0) {
                return kr_err_set(err, KR_EINVAL, 0, "htable: autoexpire must be seconds (>= 0)");
            }
            d->autoexpire = n;
        } else if (kr_str_caseeq(k, KR_STR("initval"))) {
            if (parse_int(v, &n) < 0) {
                return kr_err_set(err, KR_EINVAL, 0, "htable: initval must be an integer");
            }
            d->has_initval = true;
            d->initval = n;
        } else if (kr_str_caseeq(k, KR_STR("updateexpire"))) {
            if (parse_int(v, &n) < 0 || (n != 0 && n != 1)) {
                return kr_err_set(err, KR_EINVAL, 0, "htable: updateexpire must be 0 or 1");
            }
            d->updateexpire = n == 1;
        } else if (kr_str_caseeq(k, KR_STR("dbtable"))) {
            d->dbtable = v;
        } else if (kr_str_caseeq(k, KR_STR("dbmode"))) {
            if (parse_int(v, &n) < 0) {
                return kr_err_set(err, KR_EINVAL, 0, "htable: dbmode must be an integer");
            }
            d->dbmode = n;
        } else if (kr_str_caseeq(k, KR_STR("cols")) || kr_str_caseeq(k, KR_STR("dmqreplicate"))) {
            KR_WARN("htable '" KR_STR_FMT "': attribute '" KR_STR_FMT "' is ignored by korero",
                    KR_STR_ARG(d->name), KR_STR_ARG(k));
        } else {
            return kr_err_set(err, KR_EINVAL, 0, "htable: unknown attribute in definition");
        }
    }
    return 0;
}

/* Index of the table called name among the config's `htable` modparams, or -1. For
 * load-time checks (the tables themselves are made later, by init, in the same order). */
static long cfg_table_index(const struct kr_cfg *cfg, struct kr_str name)
{
    struct kr_value v;
    for (size_t i = 0; kr_modparam_nth(cfg, "htable", "htable", i, &v); i++) {
        if (v.type == KR_VAL_STR && kr_str_eq(def_name(v.s), name)) {
            return (long)i;
        }
    }
    return -1;
}

static struct ht_table *find_table(struct ht_state *st, struct kr_str name)
{
    for (size_t i = 0; st && i < st->n; i++) {
        if (kr_str_eq(kr_str_make(st->tables[i].name, st->tables[i].nlen), name)) {
            return &st->tables[i];
        }
    }
    return NULL;
}

/* --- items --- */

static struct ht_item *item_new(struct kr_str key, uint32_t hash, const struct kr_value *v)
{
    size_t vlen = v->type == KR_VAL_STR ? v->s.len : 0;
    struct ht_item *it = malloc(sizeof(*it) + key.len + 1 + vlen + 1);
    if (!it) {
        return NULL;
    }
    it->next = NULL;
    it->hash = hash;
    it->expires = 0;
    it->klen = key.len;
    if (key.len) {
        memcpy(it->data, key.ptr, key.len);
    }
    it->data[key.len] = '\0';
    char *vp = it->data + key.len + 1;
    if (vlen) {
        memcpy(vp, v->s.ptr, vlen);
    }
    vp[vlen] = '\0';
    it->val = v->type == KR_VAL_STR ? kr_value_str(kr_str_make(vp, vlen)) : kr_value_int(v->i);
    return it;
}

static void free_list(struct ht_item *it)
{
    while (it) {
        struct ht_item *next = it->next;
        free(it);
        it = next;
    }
}

static struct ht_bucket *bucket_of(const struct ht_table *t, uint32_t hash)
{
    return &t->buckets[hash & (t->nbuckets - 1)];
}

/* Moves the bucket's expired items to *dead (freed by the caller after unlocking). */
static void sweep_locked(struct ht_bucket *b, int64_t now, struct ht_item **dead)
{
    struct ht_item **pp = &b->head;
    while (*pp) {
        struct ht_item *it = *pp;
        if (expired(it, now)) {
            *pp = it->next;
            it->next = *dead;
            *dead = it;
        } else {
            pp = &it->next;
        }
    }
}

/* The link pointing at the item with that key, or NULL. */
static struct ht_item **find_locked(struct ht_bucket *b, uint32_t hash, struct kr_str key)
{
    for (struct ht_item **pp = &b->head; *pp; pp = &(*pp)->next) {
        const struct ht_item *it = *pp;
        if (it->hash == hash && it->klen == key.len &&
            (key.len == 0 || memcmp(it->data, key.ptr, key.len) == 0)) {
            return pp;
        }
    }
    return NULL;
}

static int64_t new_expiry(const struct ht_table *t, int64_t now)
{
    return t->autoexpire > 0 ? now + t->autoexpire : 0;
}

/* Stores a copy of v under key (replacing an item with that key). 0 or KR_ENOMEM. */
static int item_set(struct ht_table *t, struct kr_str key, const struct kr_value *v)
{
    uint32_t h = kr_str_hash(key);
    struct ht_item *it = item_new(key, h, v);
    struct ht_item *dead = NULL;
    int64_t now = now_sec();

    if (!it) {
        return KR_ENOMEM;
    }
    struct ht_bucket *b = bucket_of(t, h);
    pthread_mutex_lock(&b->lock);
    sweep_locked(b, now, &dead);
    struct ht_item **pp = find_locked(b, h, key);
    it->expires = new_expiry(t, now);
    if (pp) {
        struct ht_item *old = *pp;
        if (!t->updateexpire) {
            it->expires = old->expires;
        }
        *pp = old->next;
        old->next = dead;
        dead = old;
    }
    it->next = b->head;
    b->head = it;
    pthread_mutex_unlock(&b->lock);
    free_list(dead);
    return 0;
}

/* Removes the item; true when there was one. */
static bool item_del(struct ht_table *t, struct kr_str key)
{
    uint32_t h = kr_str_hash(key);
    struct ht_item *dead = NULL;
    bool found = false;

    struct ht_bucket *b = bucket_of(t, h);
    pthread_mutex_lock(&b->lock);
    sweep_locked(b, now_sec(), &dead);
    struct ht_item **pp = find_locked(b, h, key);
    if (pp) {
        struct ht_item *old = *pp;
        *pp = old->next;
        old->next = dead;
        dead = old;
        found = true;
    }
    pthread_mutex_unlock(&b->lock);
    free_list(dead);
    return found;
}

/* The item's value copied into arena a (*out null when absent; initval is not applied).
 * *exp gets the seconds left (0: never) when not NULL. 0 or KR_ENOMEM. */
static int item_get(struct ht_table *t, struct kr_str key, struct kr_arena *a, struct kr_value *out,
                    int64_t *exp)
{
    uint32_t h = kr_str_hash(key);
    struct ht_item *dead = NULL;
    int64_t now = now_sec();
    int rc = 0;

    *out = kr_value_null();
    struct ht_bucket *b = bucket_of(t, h);
    pthread_mutex_lock(&b->lock);
    sweep_locked(b, now, &dead);
    struct ht_item **pp = find_locked(b, h, key);
    if (pp) {
        const struct ht_item *it = *pp;
        *out = it->val;
        if (it->val.type == KR_VAL_STR) {
            out->s = kr_arena_strdup(a, it->val.s);
            if (!out->s.ptr) {
                *out = kr_value_null();
                rc = KR_ENOMEM;
            }
        }
        if (exp) {
            *exp = it->expires ? it->expires - now : 0;
        }
    }
    pthread_mutex_unlock(&b->lock);
    free_list(dead);
    return rc;
}

/* Sets the item's expiry to now + secs (0: never; negative: already expired). true when
 * the item exists. */
static bool item_set_expiry(struct ht_table *t, struct kr_str key, int64_t secs)
{
    uint32_t h = kr_str_hash(key);
    struct ht_item *dead = NULL;
    int64_t now = now_sec();
    bool found = false;

    struct ht_bucket *b = bucket_of(t, h);
    pthread_mutex_lock(&b->lock);
    sweep_locked(b, now, &dead);
    struct ht_item **pp = find_locked(b, h, key);
    if (pp) {
        int64_t e = secs == 0 ? 0 : now + secs;
        (*pp)->expires = secs != 0 && e == 0 ? -1 : e;
        found = true;
    }
    pthread_mutex_unlock(&b->lock);
    free_list(dead);
    return found;
}

/* Adds delta to an integer item (a missing one starts at initval or 0). 0 with *out set;
 * KR_EINVAL when the item holds a string; KR_ENOMEM. */
static int item_add(struct ht_table *t, struct kr_str key, int64_t delta, int64_t *out)
{
    uint32_t h = kr_str_hash(key);
    struct ht_item *dead = NULL;
    int64_t now = now_sec();
    struct kr_value start = kr_value_int((t->has_initval ? t->initval : 0) + delta);
    struct ht_item *fresh = item_new(key, h, &start);
    int rc = 0;

    if (!fresh) {
        return KR_ENOMEM;
    }
    struct ht_bucket *b = bucket_of(t, h);
    pthread_mutex_lock(&b->lock);
    sweep_locked(b, now, &dead);
    struct ht_item **pp = find_locked(b, h, key);
    if (pp && (*pp)->val.type != KR_VAL_INT) {
        rc = KR_EINVAL;
    } else if (pp) {
        (*pp)->val.i += delta;
        if (t->updateexpire) {
            (*pp)->expires = new_expiry(t, now);
        }
        *out = (*pp)->val.i;
    } else {
        fresh->expires = new_expiry(t, now);
        fresh->next = b->head;
        b->head = fresh;
        *out = fresh->val.i;
        fresh = NULL;
    }
    pthread_mutex_unlock(&b->lock);
    free(fresh);
    free_list(dead);
    return rc;
}

enum match_op {
    MATCH_RE,
    MATCH_SW, /* starts with */
};

struct matcher {
    enum match_op op;
    const regex_t *re;
    struct kr_str prefix;
    bool by_value;
};

static bool item_matches(const struct ht_item *it, const struct matcher *m)
{
    char num[24];
    const char *s = it->data;
    size_t len = it->klen;

    if (m->by_value) {
        if (it->val.type == KR_VAL_INT) {
            int n = snprintf(num, sizeof(num), "%" PRId64, it->val.i);
            s = num;
            len = n > 0 ? (size_t)n : 0;
        } else {
            s = it->val.s.ptr;
            len = it->val.s.len;
        }
    }
    if (m->op == MATCH_SW) {
        return len >= m->prefix.len &&
               (m->prefix.len == 0 || memcmp(s, m->prefix.ptr, m->prefix.len) == 0);
    }
    /* s is NUL-terminated: keys and values are stored with a terminator */
    return regexec(m->re, s, 0, NULL, 0) == 0;
}

/* Removes the matching items (m NULL: all of them). Returns how many. */
static size_t remove_matching(struct ht_table *t, const struct matcher *m)
{
    size_t n = 0;
    int64_t now = now_sec();

    for (size_t i = 0; i < t->nbuckets; i++) {
        struct ht_bucket *b = &t->buckets[i];
        struct ht_item *dead = NULL;
        pthread_mutex_lock(&b->lock);
        sweep_locked(b, now, &dead);
        struct ht_item **pp = &b->head;
        while (*pp) {
            struct ht_item *it = *pp;
            if (!m || item_matches(it, m)) {
                *pp = it->next;
                it->next = dead;
                dead = it;
                n++;
            } else {
                pp = &it->next;
            }
        }
        pthread_mutex_unlock(&b->lock);
        free_list(dead);
    }
    return n;
}

static size_t count_matching(struct ht_table *t, const struct matcher *m)
{
    size_t n = 0;
    int64_t now = now_sec();

    for (size_t i = 0; i < t->nbuckets; i++) {
        struct ht_bucket *b = &t->buckets[i];
        struct ht_item *dead = NULL;
        pthread_mutex_lock(&b->lock);
        sweep_locked(b, now, &dead);
        for (const struct ht_item *it = b->head; it; it = it->next) {
            n += item_matches(it, m) ? 1 : 0;
        }
        pthread_mutex_unlock(&b->lock);
        free_list(dead);
    }
    return n;
}

/* --- tables --- */

static void table_fini(struct ht_table *t)
{
    if (t->buckets) {
        for (size_t i = 0; i < t->nbuckets; i++) {
            free_list(t->buckets[i].head);
            pthread_mutex_destroy(&t->buckets[i].lock);
        }
    }
    free(t->buckets);
    free(t->name);
    free(t->dbtable);
}

static char *cdup(struct kr_str s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        if (s.len) {
            memcpy(p, s.ptr, s.len);
        }
        p[s.len] = '\0';
    }
    return p;
}

static int table_init(struct ht_table *t, const struct ht_def *d)
{
    memset(t, 0, sizeof(*t));
    t->name = cdup(d->name);
    t->nlen = d->name.len;
    t->size = (unsigned)d->size;
    t->nbuckets = (size_t)1 << t->size;
    t->autoexpire = d->autoexpire;
    t->has_initval = d->has_initval;
    t->initval = d->initval;
    t->updateexpire = d->updateexpire;
    t->dbtable = d->dbtable.len ? cdup(d->dbtable) : NULL;
    t->dbmode = d->dbmode;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (!t->name || !t->buckets || (d->dbtable.len && !t->dbtable)) {
        return KR_ENOMEM;
    }
    for (size_t i = 0; i < t->nbuckets; i++) {
        pthread_mutex_init(&t->buckets[i].lock, NULL);
    }
    return 0;
}

static void state_free(struct ht_state *st)
{
    if (!st) {
        return;
    }
    for (size_t i = 0; i < st->n; i++) {
        table_fini(&st->tables[i]);
    }
    free(st->tables);
    free(st);
}

/* --- pseudo-variables --- */

/* "table=>rest": the table and rest. For a name known at load time the table index is in
 * priv; a name with pseudo-variables is looked up now. */
static struct ht_table *pv_table(struct kr_ctx *ctx, const struct kr_pv_name *n,
                                 struct kr_str *rest)
{
    struct ht_state *st = kr_module_state(ctx, &kr_mod_htable);
    const struct ht_ref *ref = n->priv;
    long p = kr_str_find(n->name, KR_STR("=>"));

    if (!st || p < 0) {
        return NULL;
    }
    *rest = kr_str_sub(n->name, (size_t)p + 2, n->name.len);
    if (ref && ref->idx > 0 && ref->idx <= st->n) {
        return &st->tables[ref->idx - 1];
    }
    struct kr_str name = kr_str_trim(kr_str_sub(n->name, 0, (size_t)p));
    struct ht_table *t = find_table(st, name);
    if (!t) {
        KR_DBG("no hash table '" KR_STR_FMT "'", KR_STR_ARG(name));
    }
    return t;
}

/* Load-time check of "table=>key": the table must be defined by an `htable` modparam.
 * With_re: the rest is a regex, compiled here. */
static int parse_ref(struct kr_fixup *fx, struct kr_pv_name *n, bool with_re)
{
    long p = kr_str_find(n->name, KR_STR("=>"));
    if (p < 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "htable: expected table=>key");
    }
    if (!fx->cfg) {
        return 0;
    }
    long idx = cfg_table_index(fx->cfg, kr_str_trim(kr_str_sub(n->name, 0, (size_t)p)));
    if (idx < 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "no such hash table (see modparam htable)");
    }
    struct ht_ref *ref = kr_arena_zalloc(fx->arena, sizeof(*ref));
    if (!ref) {
        return KR_ENOMEM;
    }
    ref->idx = (size_t)idx + 1;
    if (with_re) {
        struct kr_str re = kr_str_sub(n->name, (size_t)p + 2, n->name.len);
        char *pat = kr_arena_cstr(fx->arena, re);
        int rc = 0;
        if (!pat) {
            return KR_ENOMEM;
        }
        ref->re = kr_cfg_regcomp(fx->cfg, pat, RE_FLAGS, &rc);
        if (!ref->re) {
            return kr_err_set(fx->err, KR_EINVAL, 0, "htable: bad regular expression");
        }
    }
    n->priv = ref;
    return 0;
}

static int sht_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    return parse_ref(fx, n, false);
}

static int shtc_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    return parse_ref(fx, n, true);
}

static int sht_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_str key;
    struct ht_table *t = pv_table(ctx, n, &key);

    *out = kr_value_null();
    if (!t) {
        return 0;
    }
    int rc = item_get(t, key, ctx->arena, out, NULL);
    if (rc == 0 && out->type == KR_VAL_NULL && t->has_initval) {
        *out = kr_value_int(t->initval);
    }
    return rc;
}

static int sht_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    struct kr_str key;
    struct ht_table *t = pv_table(ctx, n, &key);

    if (!t) {
        return KR_ENOTFOUND;
    }
    if (v->type == KR_VAL_NULL) {
        item_del(t, key);
        return 0;
    }
    return item_set(t, key, v);
}

static int shtex_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    struct kr_str key;
    struct ht_table *t = pv_table(ctx, n, &key);
    struct kr_value v;
    int64_t left = 0;

    *out = kr_value_null();
    if (!t) {
        return 0;
    }
    int rc = item_get(t, key, ctx->arena, &v, &left);
    if (rc == 0 && v.type != KR_VAL_NULL) {
        *out = kr_value_int(left);
    }
    return rc;
}

static int shtex_set(struct kr_ctx *ctx, const struct kr_pv_name *n, const struct kr_value *v)
{
    struct kr_str key;
    struct ht_table *t = pv_table(ctx, n, &key);
    int64_t secs = 0;

    if (!t) {
        return KR_ENOTFOUND;
    }
    if (v->type != KR_VAL_NULL && kr_value_to_int(v, &secs) < 0) {
        return KR_EINVAL;
    }
    item_set_expiry(t, key, secs);
    return 0;
}

static int shtadd_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out,
                      int64_t delta)
{
    struct kr_str key;
    struct ht_table *t = pv_table(ctx, n, &key);
    int64_t val = 0;

    *out = kr_value_null();
    if (!t) {
        return 0;
    }
    int rc = item_add(t, key, delta, &val);
    if (rc == KR_EINVAL) {
        return 0; /* a string item: $null, as Kamailio */
    }
    if (rc == 0) {
        *out = kr_value_int(val);
    }
    return rc;
}

static int shtinc_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return shtadd_get(ctx, n, out, 1);
}

static int shtdec_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return shtadd_get(ctx, n, out, -1);
}

static int shtc_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out,
                    bool by_value)
{
    struct kr_str rest;
    struct ht_table *t = pv_table(ctx, n, &rest);
    const struct ht_ref *ref = n->priv;
    struct matcher m = { .op = MATCH_RE, .by_value = by_value };
    regex_t re;
    bool own = false;

    *out = kr_value_null();
    if (!t) {
        return 0;
    }
    if (ref && ref->re) {
        m.re = ref->re;
    } else {
        char *pat = kr_arena_cstr(ctx->arena, rest);
        if (!pat) {
            return KR_ENOMEM;
        }
        if (regcomp(&re, pat, RE_FLAGS) != 0) {
            KR_DBG("bad regex in $shtc*: %s", pat);
            return 0;
        }
        m.re = &re;
        own = true;
    }
    *out = kr_value_int((int64_t)count_matching(t, &m));
    if (own) {
        regfree(&re);
    }
    return 0;
}

static int shtcn_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return shtc_get(ctx, n, out, false);
}

static int shtcv_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    return shtc_get(ctx, n, out, true);
}

/* --- script functions --- */

/* Fixup part for a table-name argument: a constant must name a defined table. */
static int fix_table(struct kr_fixup *fx, struct kr_arg *a)
{
    if (!fx->cfg || !a->is_const) {
        return 0;
    }
    if (cfg_table_index(fx->cfg, kr_str_trim(a->lit)) < 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "no such hash table (see modparam htable)");
    }
    return 0;
}

static regex_t *fix_regex(struct kr_fixup *fx, struct kr_str pattern)
{
    char *pat = kr_arena_cstr(fx->arena, pattern);
    int rc = 0;
    if (!pat || !fx->cfg) {
        return NULL;
    }
    return kr_cfg_regcomp(fx->cfg, pat, RE_FLAGS, &rc);
}

static int fixup_table1(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    return nargs >= 1 ? fix_table(fx, &args[0]) : 0;
}

/* sht_rm_name_re("table=>re") or ("table", "re"): the regex goes into args[0].priv. */
static int fixup_rm_re(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    bool two = nargs >= 2 && args[1].present;
    if (two) {
        int rc = fix_table(fx, &args[0]);
        if (rc < 0 || !args[1].is_const || !fx->cfg) {
            return rc;
        }
        args[0].priv = fix_regex(fx, args[1].lit);
        if (!args[0].priv) {
            return kr_err_set(fx->err, KR_EINVAL, 0, "htable: bad regular expression");
        }
        return 0;
    }
    if (!args[0].is_const) {
        return 0;
    }
    long p = kr_str_find(args[0].lit, KR_STR("=>"));
    if (p < 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "htable: expected \"table=>regexp\"");
    }
    if (!fx->cfg) {
        return 0;
    }
    if (cfg_table_index(fx->cfg, kr_str_trim(kr_str_sub(args[0].lit, 0, (size_t)p))) < 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "no such hash table (see modparam htable)");
    }
    args[0].priv = fix_regex(fx, kr_str_sub(args[0].lit, (size_t)p + 2, args[0].lit.len));
    if (!args[0].priv) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "htable: bad regular expression");
    }
    return 0;
}

static int fixup_rm_op(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    int rc = fix_table(fx, &args[0]);
    if (rc < 0 || nargs < 3) {
        return rc;
    }
    if (args[1].is_const && !kr_str_eq(args[1].lit, KR_STR("re")) &&
        !kr_str_eq(args[1].lit, KR_STR("sw"))) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "htable: operator must be \"re\" or \"sw\"");
    }
    if (args[1].is_const && args[2].is_const && kr_str_eq(args[1].lit, KR_STR("re"))) {
        args[2].priv = fix_regex(fx, args[2].lit);
        if (!args[2].priv && fx->cfg) {
            return kr_err_set(fx->err, KR_EINVAL, 0, "htable: bad regular expression");
        }
    }
    return 0;
}

static struct ht_table *arg_table(struct kr_ctx *ctx, struct kr_str name)
{
    struct ht_table *t = find_table(kr_module_state(ctx, &kr_mod_htable), kr_str_trim(name));
    if (!t) {
        KR_DBG("no hash table '" KR_STR_FMT "'", KR_STR_ARG(name));
    }
    return t;
}

static int w_sht_rm(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str tname, key;
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &tname) < 0 || kr_arg_str(ctx, &args[1], &key) < 0) {
        return -1;
    }
    struct ht_table *t = arg_table(ctx, tname);
    if (!t) {
        return -1;
    }
    item_del(t, key);
    return 1;
}

/* Removes by a matcher built from (table, op, val); pre is a regex compiled at load. */
static int rm_by(struct kr_ctx *ctx, struct kr_str tname, enum match_op op, struct kr_str val,
                 const regex_t *pre, bool by_value)
{
    struct matcher m = { .op = op, .prefix = val, .by_value = by_value, .re = pre };
    regex_t re;
    struct ht_table *t = arg_table(ctx, tname);

    if (!t) {
        return -1;
    }
    if (op == MATCH_RE && !pre) {
        char *pat = kr_arena_cstr(ctx->arena, val);
        if (!pat || regcomp(&re, pat, RE_FLAGS) != 0) {
            KR_DBG("bad regular expression '" KR_STR_FMT "'", KR_STR_ARG(val));
            return -1;
        }
        m.re = &re;
    }
    remove_matching(t, &m);
    if (op == MATCH_RE && !pre) {
        regfree(&re);
    }
    return 1;
}

static int rm_re(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs, bool by_value)
{
    struct kr_str a0, tname, re;

    if (kr_arg_str(ctx, &args[0], &a0) < 0) {
        return -1;
    }
    if (nargs >= 2 && args[1].present) {
        if (kr_arg_str(ctx, &args[1], &re) < 0) {
            return -1;
        }
        tname = a0;
    } else {
        long p = kr_str_find(a0, KR_STR("=>"));
        if (p < 0) {
            return -1;
        }
        tname = kr_str_sub(a0, 0, (size_t)p);
        re = kr_str_sub(a0, (size_t)p + 2, a0.len);
    }
    return rm_by(ctx, tname, MATCH_RE, re, args[0].priv, by_value);
}

static int w_sht_rm_name_re(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return rm_re(ctx, args, nargs, false);
}

static int w_sht_rm_value_re(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return rm_re(ctx, args, nargs, true);
}

static int rm_op(struct kr_ctx *ctx, const struct kr_arg *args, bool by_value)
{
    struct kr_str tname, op, val;
    if (kr_arg_str(ctx, &args[0], &tname) < 0 || kr_arg_str(ctx, &args[1], &op) < 0 ||
        kr_arg_str(ctx, &args[2], &val) < 0) {
        return -1;
    }
    if (kr_str_eq(op, KR_STR("re"))) {
        return rm_by(ctx, tname, MATCH_RE, val, args[2].priv, by_value);
    }
    if (kr_str_eq(op, KR_STR("sw"))) {
        return rm_by(ctx, tname, MATCH_SW, val, NULL, by_value);
    }
    return -1;
}

static int w_sht_rm_name(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return rm_op(ctx, args, false);
}

static int w_sht_rm_value(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return rm_op(ctx, args, true);
}

static int w_sht_reset(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str tname;
    (void)nargs;
    if (kr_arg_str(ctx, &args[0], &tname) < 0) {
        return -1;
    }
    struct ht_table *t = arg_table(ctx, tname);
    if (!t) {
        return -1;
    }
    remove_matching(t, NULL);
    return 1;
}

/* --- RPC --- */

static struct ht_table *rpc_table_locked(const json_t *params, struct kr_rpc_err *err)
{
    struct kr_str name;
    if (kr_rpc_param_str(params, 0, "htable", true, KR_STR_NULL, &name, err) < 0) {
        return NULL;
    }
    struct ht_table *t = find_table(rpc_state, name);
    if (!t) {
        kr_rpc_failf(err, 404, "no such htable: %.*s", (int)name.len, name.ptr);
    }
    return t;
}

static json_t *json_value(const struct kr_value *v)
{
    if (v->type == KR_VAL_INT) {
        return json_integer((json_int_t)v->i);
    }
    if (v->type == KR_VAL_STR) {
        return json_stringn(v->s.ptr ? v->s.ptr : "", v->s.len);
    }
    return json_null();
}

static int rpc_dump(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&rpc_lock);
    struct ht_table *t = rpc_table_locked(params, err);
    json_t *arr = t ? json_array() : NULL;
    if (!t) {
        rc = KR_ENOTFOUND;
    } else if (!arr) {
        rc = KR_ENOMEM;
    }
    int64_t now = now_sec();
    for (size_t i = 0; rc == 0 && i < t->nbuckets; i++) {
        struct ht_bucket *b = &t->buckets[i];
        struct ht_item *dead = NULL;
        pthread_mutex_lock(&b->lock);
        sweep_locked(b, now, &dead);
        for (const struct ht_item *it = b->head; it && rc == 0; it = it->next) {
            json_t *o = json_pack("{s:s%,s:o,s:I}", "name", it->data, it->klen, "value",
                                  json_value(&it->val), "expires",
                                  (json_int_t)(it->expires ? it->expires - now : 0));
            if (!o || json_array_append_new(arr, o) < 0) {
                rc = KR_ENOMEM;
            }
        }
        pthread_mutex_unlock(&b->lock);
        free_list(dead);
    }
    pthread_mutex_unlock(&rpc_lock);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *result = arr;
    return 0;
}

static int rpc_get(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    struct kr_str key;
    struct kr_value v = kr_value_null();
    struct kr_arena a;
    int rc = 0;

    if (kr_rpc_param_str(params, 1, "key", true, KR_STR_NULL, &key, err) < 0) {
        return KR_EINVAL;
    }
    kr_arena_init(&a, 1024, 1 << 24);
    pthread_mutex_lock(&rpc_lock);
    struct ht_table *t = rpc_table_locked(params, err);
    if (!t) {
        rc = KR_ENOTFOUND;
    } else {
        rc = item_get(t, key, &a, &v, NULL);
    }
    pthread_mutex_unlock(&rpc_lock);
    if (rc == 0 && v.type == KR_VAL_NULL) {
        rc = kr_rpc_fail(err, 404, "key not found");
    }
    if (rc == 0) {
        *result =
            json_pack("{s:{s:s%,s:o}}", "item", "name", key.ptr, key.len, "value", json_value(&v));
        rc = *result ? 0 : KR_ENOMEM;
    }
    kr_arena_fini(&a);
    return rc;
}

static int rpc_set(const json_t *params, struct kr_rpc_err *err, bool as_int)
{
    struct kr_str key, sval;
    int64_t ival = 0;
    struct kr_value v;
    int rc;

    if (kr_rpc_param_str(params, 1, "key", true, KR_STR_NULL, &key, err) < 0) {
        return KR_EINVAL;
    }
    if (as_int) {
        rc = kr_rpc_param_int(params, 2, "value", true, 0, &ival, err);
        v = kr_value_int(ival);
    } else {
        rc = kr_rpc_param_str(params, 2, "value", true, KR_STR_NULL, &sval, err);
        v = kr_value_str(sval);
    }
    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&rpc_lock);
    struct ht_table *t = rpc_table_locked(params, err);
    rc = t ? item_set(t, key, &v) : KR_ENOTFOUND;
    pthread_mutex_unlock(&rpc_lock);
    return rc;
}

static int rpc_sets(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    *result = NULL;
    return rpc_set(params, err, false);
}

static int rpc_seti(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    *result = NULL;
    return rpc_set(params, err, true);
}

static int rpc_delete(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    struct kr_str key;
    int rc = 0;

    *result = NULL;
    if (kr_rpc_param_str(params, 1, "key", true, KR_STR_NULL, &key, err) < 0) {
        return KR_EINVAL;
    }
    pthread_mutex_lock(&rpc_lock);
    struct ht_table *t = rpc_table_locked(params, err);
    if (!t) {
        rc = KR_ENOTFOUND;
    } else {
        item_del(t, key);
    }
    pthread_mutex_unlock(&rpc_lock);
    return rc;
}

static int rpc_flush(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    int rc = 0;

    *result = NULL;
    pthread_mutex_lock(&rpc_lock);
    struct ht_table *t = rpc_table_locked(params, err);
    if (!t) {
        rc = KR_ENOTFOUND;
    } else {
        remove_matching(t, NULL);
    }
    pthread_mutex_unlock(&rpc_lock);
    return rc;
}

static int rpc_list(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    int rc = 0;
    (void)params;
    (void)err;
    json_t *arr = json_array();
    if (!arr) {
        return KR_ENOMEM;
    }
    pthread_mutex_lock(&rpc_lock);
    for (size_t i = 0; rpc_state && i < rpc_state->n && rc == 0; i++) {
        const struct ht_table *t = &rpc_state->tables[i];
        json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:i,s:I,s:o}", "name", t->name, "dbtable",
                              t->dbtable ? t->dbtable : "", "dbmode", (json_int_t)t->dbmode,
                              "expire", (json_int_t)t->autoexpire, "updateexpire",
                              t->updateexpire ? 1 : 0, "size", (json_int_t)t->size, "initval",
                              t->has_initval ? json_integer((json_int_t)t->initval) : json_null());
        if (!o || json_array_append_new(arr, o) < 0) {
            rc = KR_ENOMEM;
        }
    }
    pthread_mutex_unlock(&rpc_lock);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *result = arr;
    return 0;
}

static const struct kr_rpc_cmd htable_rpc[] = {
    { .name = "htable.dump", .fn = rpc_dump, .doc = "Items of a table: name, value, expires" },
    { .name = "htable.get", .fn = rpc_get, .doc = "One item: htable key" },
    { .name = "htable.sets", .fn = rpc_sets, .doc = "Set a string item: htable key value" },
    { .name = "htable.seti", .fn = rpc_seti, .doc = "Set an integer item: htable key value" },
    { .name = "htable.delete", .fn = rpc_delete, .doc = "Delete an item: htable key" },
    { .name = "htable.flush", .fn = rpc_flush, .doc = "Delete all items of a table: htable" },
    { .name = "htable.listTables", .fn = rpc_list, .doc = "The tables and their attributes" },
    { 0 },
};

/* --- module --- */

static int htable_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct ht_state *st = calloc(1, sizeof(*st));
    struct kr_value v;
    size_t n = 0;
    int rc = 0;

    if (!st) {
        return kr_err_set(err, KR_ENOMEM, 0, "htable: out of memory");
    }
    while (kr_modparam_nth(cfg, "htable", "htable", n, &v)) {
        n++;
    }
    st->tables = calloc(n ? n : 1, sizeof(*st->tables));
    if (!st->tables) {
        free(st);
        return kr_err_set(err, KR_ENOMEM, 0, "htable: out of memory");
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct ht_def d;
        kr_modparam_nth(cfg, "htable", "htable", i, &v);
        if (v.type != KR_VAL_STR) {
            rc = kr_err_set(err, KR_EINVAL, 0, "htable: the htable parameter must be a string");
            break;
        }
        rc = parse_def(v.s, &d, err);
        if (rc < 0) {
            KR_ERR("bad htable definition \"" KR_STR_FMT "\": %s", KR_STR_ARG(v.s), err->reason);
            break;
        }
        if (find_table(st, d.name)) {
            KR_ERR("htable '" KR_STR_FMT "' is defined twice", KR_STR_ARG(d.name));
            rc = kr_err_set(err, KR_EINVAL, 0, "htable: a table is defined twice");
            break;
        }
        if (d.dbtable.len || d.dbmode) {
            KR_WARN("htable '" KR_STR_FMT "': dbtable/dbmode are ignored (korero has no "
                    "database loading for htable yet)",
                    KR_STR_ARG(d.name));
        }
        rc = table_init(&st->tables[i], &d);
        st->n = i + 1; /* table_fini copes with a partly made table */
        if (rc < 0) {
            kr_err_set(err, rc, 0, "htable: out of memory");
        }
    }
    if (rc < 0) {
        state_free(st);
        return rc;
    }
    if (kr_modparam_str(cfg, "htable", "db_url", KR_STR_NULL).len) {
        KR_WARN("modparam htable db_url is ignored (no database loading for htable yet)");
    }
    /* Commands are registered once per process; a reloaded config takes them over. */
    const struct kr_rpc_cmd *c = kr_rpc_find("htable.dump");
    if (!c) {
        if (kr_rpc_register(htable_rpc) < 0) {
            KR_WARN("cannot register the htable RPC commands");
        }
    } else if (c != &htable_rpc[0]) {
        KR_WARN("htable.dump is registered by someone else: htable RPC commands not available");
    }
    pthread_mutex_lock(&rpc_lock);
    rpc_state = st;
    pthread_mutex_unlock(&rpc_lock);
    *state = st;
    return 0;
}

static void htable_destroy(void *state)
{
    struct ht_state *st = state;
    pthread_mutex_lock(&rpc_lock);
    if (rpc_state == st) {
        rpc_state = NULL;
    }
    pthread_mutex_unlock(&rpc_lock);
    state_free(st);
}

int kr_htable_run_mod_init(const struct kr_cfg *cfg)
{
    const struct kr_str name = KR_STR("htable:mod-init");
    struct kr_arena a;
    struct kr_ctx ctx;

    if (!kr_cfg_has_route(cfg, KR_CFG_ROUTE_EVENT, name)) {
        return 0;
    }
    struct kr_vars *vars = kr_vars_new();
    if (!vars) {
        return KR_ENOMEM;
    }
    kr_arena_init(&a, 4096, 1 << 22);
    kr_ctx_init(&ctx, cfg, &a, NULL, NULL, vars);
    int rc = kr_cfg_run(cfg, &ctx, KR_CFG_ROUTE_EVENT, name);
    kr_arena_fini(&a);
    kr_vars_free(vars);
    return rc < 0 ? rc : 0;
}

static const struct kr_param htable_params[] = {
    { .name = "htable", .type = KR_PARAM_STR, .multi = true },
    /* Kamailio's database and timer parameters: accepted, not used (see docs). */
    { .name = "db_url", .type = KR_PARAM_STR },
    { .name = "key_name_column", .type = KR_PARAM_STR },
    { .name = "key_type_column", .type = KR_PARAM_STR },
    { .name = "value_type_column", .type = KR_PARAM_STR },
    { .name = "key_value_column", .type = KR_PARAM_STR },
    { .name = "expires_column", .type = KR_PARAM_STR },
    { .name = "array_size_suffix", .type = KR_PARAM_STR },
    { .name = "fetch_rows", .type = KR_PARAM_INT },
    { .name = "timer_interval", .type = KR_PARAM_INT },
    { .name = "timer_procs", .type = KR_PARAM_INT },
    { .name = "db_expires", .type = KR_PARAM_INT },
    { .name = "enable_dmq", .type = KR_PARAM_INT },
    { 0 },
};

static const struct kr_func htable_funcs[] = {
    { .name = "sht_rm", .fn = w_sht_rm, .args = { KR_ARG_STR, KR_ARG_STR }, .fixup = fixup_table1 },
    { .name = "sht_rm_name_re",
      .fn = w_sht_rm_name_re,
      .args = { KR_ARG_STR, KR_ARG_STR_OPT },
      .fixup = fixup_rm_re },
    { .name = "sht_rm_value_re",
      .fn = w_sht_rm_value_re,
      .args = { KR_ARG_STR, KR_ARG_STR_OPT },
      .fixup = fixup_rm_re },
    { .name = "sht_rm_name",
      .fn = w_sht_rm_name,
      .args = { KR_ARG_STR, KR_ARG_STR, KR_ARG_STR },
      .fixup = fixup_rm_op },
    { .name = "sht_rm_value",
      .fn = w_sht_rm_value,
      .args = { KR_ARG_STR, KR_ARG_STR, KR_ARG_STR },
      .fixup = fixup_rm_op },
    { .name = "sht_reset", .fn = w_sht_reset, .args = { KR_ARG_STR }, .fixup = fixup_table1 },
    { 0 },
};

static const struct kr_pv_def htable_pvs[] = {
    { .name = "sht", .get = sht_get, .set = sht_set, .parse = sht_parse, .needs_name = true },
    { .name = "shtex", .get = shtex_get, .set = shtex_set, .parse = sht_parse, .needs_name = true },
    { .name = "shtinc", .get = shtinc_get, .parse = sht_parse, .needs_name = true },
    { .name = "shtdec", .get = shtdec_get, .parse = sht_parse, .needs_name = true },
    { .name = "shtcn", .get = shtcn_get, .parse = shtc_parse, .needs_name = true },
    { .name = "shtcv", .get = shtcv_get, .parse = shtc_parse, .needs_name = true },
    { 0 },
};

const struct kr_module kr_mod_htable = {
    .name = "htable",
    .params = htable_params,
    .funcs = htable_funcs,
    .pvs = htable_pvs,
    .init = htable_init,
    .destroy = htable_destroy,
};
