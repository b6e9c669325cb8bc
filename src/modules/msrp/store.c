/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sessions and downstream transactions of the MSRP relay (see store.h). Sessions are
 * chained twice: by id (lookups on every frame) and by connection (ended when it
 * closes); one read-write lock guards both chains. Transactions sit in buckets by tid with
 * a mutex per stripe of buckets. */
#include "modules/msrp/store.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/stats.h"

struct kr_msrp_sess {
    struct kr_msrp_sess *id_next;
    struct kr_msrp_sess *conn_next;
    struct kr_msrp_sess_info info;
};

struct kr_msrp_sessions {
    pthread_rwlock_t lock;
    unsigned slots;
    size_t count;
    struct kr_msrp_sess **by_id;
    struct kr_msrp_sess **by_conn;
};

static uint32_t hash_id(struct kr_str id)
{
    return kr_str_hash(id);
}

static uint32_t hash_conn(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (uint32_t)id;
}

struct kr_msrp_sessions *kr_msrp_sessions_new(unsigned n)
{
    if (n < 4) {
        n = 4;
    }
    if (n > 16) {
        n = 16;
    }
    struct kr_msrp_sessions *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->slots = 1u << n;
    t->by_id = calloc(t->slots, sizeof(*t->by_id));
    t->by_conn = calloc(t->slots, sizeof(*t->by_conn));
    if (!t->by_id || !t->by_conn) {
        free(t->by_id);
        free(t->by_conn);
        free(t);
        return NULL;
    }
    pthread_rwlock_init(&t->lock, NULL);
    return t;
}

void kr_msrp_sessions_free(struct kr_msrp_sessions *t)
{
    if (!t) {
        return;
    }
    for (unsigned i = 0; i < t->slots; i++) {
        struct kr_msrp_sess *s = t->by_id[i];
        while (s) {
            struct kr_msrp_sess *next = s->id_next;
            free(s);
            kr_stat_dec(KR_STAT_MSRP_SESSIONS);
            s = next;
        }
    }
    pthread_rwlock_destroy(&t->lock);
    free(t->by_id);
    free(t->by_conn);
    free(t);
}

int kr_msrp_random_token(char *out, size_t n)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[64];
    if (n > sizeof(r) || getrandom(r, n, 0) != (ssize_t)n) {
        return KR_EIO;
    }
    for (size_t i = 0; i < n; i++) {
        /* 248 is the largest multiple of 62 below 256: a byte above it is folded, which
         * leaves the bias under 1/62 per character; these ids need uniqueness, the
         * session ids (below) take their 128 bits straight from the bytes. */
        out[i] = alpha[r[i] % 62];
    }
    return 0;
}

/* base64url of 16 random bytes, without padding: 22 characters, 128 bits. */
static int new_session_id(char out[KR_MSRP_SESSID_LEN + 1])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[18] = { 0 };
    if (getrandom(r, 16, 0) != 16) {
        return KR_EIO;
    }
    size_t o = 0;
    for (size_t i = 0; i < 18 && o < KR_MSRP_SESSID_LEN; i += 3) {
        uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
        for (int k = 3; k >= 0 && o < KR_MSRP_SESSID_LEN; k--) {
            out[o++] = b64[(v >> (6 * k)) & 63];
        }
    }
    out[KR_MSRP_SESSID_LEN] = '\0';
    return 0;
}

static struct kr_msrp_sess *find_locked(struct kr_msrp_sessions *t, struct kr_str id)
{
    for (struct kr_msrp_sess *s = t->by_id[hash_id(id) & (t->slots - 1)]; s; s = s->id_next) {
        if (kr_str_eq(kr_str_c(s->info.id), id)) {
            return s;
        }
    }
    return NULL;
}

static void unlink_locked(struct kr_msrp_sessions *t, struct kr_msrp_sess *s)
{
    struct kr_str id = kr_str_c(s->info.id);
    struct kr_msrp_sess **pp = &t->by_id[hash_id(id) & (t->slots - 1)];
    while (*pp && *pp != s) {
        pp = &(*pp)->id_next;
    }
    if (*pp) {
        *pp = s->id_next;
    }
    pp = &t->by_conn[hash_conn(s->info.conn_id) & (t->slots - 1)];
    while (*pp && *pp != s) {
        pp = &(*pp)->conn_next;
    }
    if (*pp) {
        *pp = s->conn_next;
    }
    t->count--;
    kr_stat_dec(KR_STAT_MSRP_SESSIONS);
}

int kr_msrp_sess_bind(struct kr_msrp_sessions *t, const struct kr_msrp_sess_info *in,
                      struct kr_msrp_sess_info *out)
{
    pthread_rwlock_wrlock(&t->lock);
    for (struct kr_msrp_sess *s = t->by_conn[hash_conn(in->conn_id) & (t->slots - 1)]; s;
         s = s->conn_next) {
        if (s->info.conn_id == in->conn_id && strcmp(s->info.user, in->user) == 0 &&
            strcmp(s->info.peer, in->peer) == 0) {
            s->info.expires = in->expires; /* a refresh keeps the id */
            *out = s->info;
            pthread_rwlock_unlock(&t->lock);
            return 0;
        }
    }
    pthread_rwlock_unlock(&t->lock);

    struct kr_msrp_sess *s = calloc(1, sizeof(*s));
    if (!s) {
        return KR_ENOMEM;
    }
    s->info = *in;
    if (new_session_id(s->info.id) < 0) {
        free(s);
        return KR_EIO;
    }
    pthread_rwlock_wrlock(&t->lock);
    struct kr_str id = kr_str_c(s->info.id);
    size_t bi = hash_id(id) & (t->slots - 1);
    size_t bc = hash_conn(s->info.conn_id) & (t->slots - 1);
    s->id_next = t->by_id[bi];
    t->by_id[bi] = s;
    s->conn_next = t->by_conn[bc];
    t->by_conn[bc] = s;
    t->count++;
    *out = s->info;
    pthread_rwlock_unlock(&t->lock);
    kr_stat_inc(KR_STAT_MSRP_SESSIONS);
    return 0;
}

int kr_msrp_sess_find(struct kr_msrp_sessions *t, struct kr_str id, time_t now,
                      struct kr_msrp_sess_info *out)
{
    int rc = KR_ENOTFOUND;
    pthread_rwlock_rdlock(&t->lock);
    struct kr_msrp_sess *s = find_locked(t, id);
    if (s && s->info.expires > now) {
        __atomic_fetch_add(&s->info.frames, 1, __ATOMIC_RELAXED);
        *out = s->info;
        rc = 0;
    }
    pthread_rwlock_unlock(&t->lock);
    return rc;
}

int kr_msrp_sess_end(struct kr_msrp_sessions *t, struct kr_str id)
{
    pthread_rwlock_wrlock(&t->lock);
    struct kr_msrp_sess *s = find_locked(t, id);
    if (s) {
        unlink_locked(t, s);
    }
    pthread_rwlock_unlock(&t->lock);
    free(s);
    return s ? 0 : KR_ENOTFOUND;
}

size_t kr_msrp_sess_end_conn(struct kr_msrp_sessions *t, uint64_t conn_id)
{
    size_t n = 0;
    pthread_rwlock_wrlock(&t->lock);
    struct kr_msrp_sess *s = t->by_conn[hash_conn(conn_id) & (t->slots - 1)];
    while (s) {
        struct kr_msrp_sess *next = s->conn_next;
        if (s->info.conn_id == conn_id) {
            unlink_locked(t, s);
            free(s);
            n++;
        }
        s = next;
    }
    pthread_rwlock_unlock(&t->lock);
    return n;
}

size_t kr_msrp_sess_expire(struct kr_msrp_sessions *t, time_t now)
{
    size_t n = 0;
    pthread_rwlock_wrlock(&t->lock);
    for (unsigned i = 0; i < t->slots; i++) {
        struct kr_msrp_sess *s = t->by_id[i];
        while (s) {
            struct kr_msrp_sess *next = s->id_next;
            if (s->info.expires <= now) {
                unlink_locked(t, s);
                free(s);
                n++;
            }
            s = next;
        }
    }
    pthread_rwlock_unlock(&t->lock);
    return n;
}

void kr_msrp_sess_each(struct kr_msrp_sessions *t,
                       void (*fn)(const struct kr_msrp_sess_info *s, void *arg), void *arg)
{
    pthread_rwlock_rdlock(&t->lock);
    for (unsigned i = 0; i < t->slots; i++) {
        for (struct kr_msrp_sess *s = t->by_id[i]; s; s = s->id_next) {
            fn(&s->info, arg);
        }
    }
    pthread_rwlock_unlock(&t->lock);
}

size_t kr_msrp_sess_count(struct kr_msrp_sessions *t)
{
    pthread_rwlock_rdlock(&t->lock);
    size_t n = t->count;
    pthread_rwlock_unlock(&t->lock);
    return n;
}

unsigned kr_msrp_sess_slots(const struct kr_msrp_sessions *t)
{
    return t->slots;
}

/* ---- transactions ---- */

struct kr_msrp_txs {
    pthread_mutex_t locks[KR_MSRP_TX_LOCKS];
    struct kr_msrp_tx *b[KR_MSRP_TX_BUCKETS];
    size_t count; /* under every lock's... kept atomically */
};

struct kr_msrp_txs *kr_msrp_txs_new(void)
{
    struct kr_msrp_txs *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    for (size_t i = 0; i < KR_MSRP_TX_LOCKS; i++) {
        pthread_mutex_init(&t->locks[i], NULL);
    }
    return t;
}

void kr_msrp_txs_free(struct kr_msrp_txs *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < KR_MSRP_TX_BUCKETS; i++) {
        struct kr_msrp_tx *x = t->b[i];
        while (x) {
            struct kr_msrp_tx *next = x->next;
            kr_msrp_tx_free(x);
            x = next;
        }
    }
    for (size_t i = 0; i < KR_MSRP_TX_LOCKS; i++) {
        pthread_mutex_destroy(&t->locks[i]);
    }
    free(t);
}

static struct kr_str copy_into(char **p, struct kr_str s)
{
    struct kr_str r = kr_str_make(*p, s.len);
    if (s.len) {
        memcpy(*p, s.ptr, s.len);
    }
    *p += s.len;
    return r;
}

struct kr_msrp_tx *kr_msrp_tx_new(const struct kr_msrp_tx *tpl)
{
    size_t extra = tpl->orig_tid.len + tpl->from_path.len + tpl->relay_uri.len +
                   tpl->message_id.len + tpl->byte_range.len + tpl->method.len;
    struct kr_msrp_tx *x = malloc(sizeof(*x) + extra);
    if (!x) {
        return NULL;
    }
    *x = *tpl;
    x->next = NULL;
    char *p = (char *)(x + 1);
    x->orig_tid = copy_into(&p, tpl->orig_tid);
    x->from_path = copy_into(&p, tpl->from_path);
    x->relay_uri = copy_into(&p, tpl->relay_uri);
    x->message_id = copy_into(&p, tpl->message_id);
    x->byte_range = copy_into(&p, tpl->byte_range);
    x->method = copy_into(&p, tpl->method);
    return x;
}

void kr_msrp_tx_free(struct kr_msrp_tx *tx)
{
    free(tx);
}

static size_t tx_bucket(struct kr_str tid)
{
    return kr_str_hash(tid) & (KR_MSRP_TX_BUCKETS - 1);
}

void kr_msrp_tx_add(struct kr_msrp_txs *t, struct kr_msrp_tx *tx)
{
    size_t b = tx_bucket(kr_str_make(tx->tid, tx->tid_len));
    pthread_mutex_t *l = &t->locks[b % KR_MSRP_TX_LOCKS];
    pthread_mutex_lock(l);
    tx->next = t->b[b];
    t->b[b] = tx;
    __atomic_fetch_add(&t->count, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(l);
}

struct kr_msrp_tx *kr_msrp_tx_take(struct kr_msrp_txs *t, struct kr_str tid)
{
    size_t b = tx_bucket(tid);
    pthread_mutex_t *l = &t->locks[b % KR_MSRP_TX_LOCKS];
    pthread_mutex_lock(l);
    struct kr_msrp_tx **pp = &t->b[b];
    while (*pp && !kr_str_eq(kr_str_make((*pp)->tid, (*pp)->tid_len), tid)) {
        pp = &(*pp)->next;
    }
    struct kr_msrp_tx *x = *pp;
    if (x) {
        *pp = x->next;
        x->next = NULL;
        __atomic_fetch_sub(&t->count, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(l);
    return x;
}

struct kr_msrp_tx *kr_msrp_tx_take_expired(struct kr_msrp_txs *t, uint64_t now_ms)
{
    struct kr_msrp_tx *out = NULL;
    if (__atomic_load_n(&t->count, __ATOMIC_RELAXED) == 0) {
        return NULL;
    }
    for (size_t lk = 0; lk < KR_MSRP_TX_LOCKS; lk++) {
        pthread_mutex_lock(&t->locks[lk]);
        for (size_t b = lk; b < KR_MSRP_TX_BUCKETS; b += KR_MSRP_TX_LOCKS) {
            struct kr_msrp_tx **pp = &t->b[b];
            while (*pp) {
                struct kr_msrp_tx *x = *pp;
                if (x->deadline <= now_ms) {
                    *pp = x->next;
                    x->next = out;
                    out = x;
                    __atomic_fetch_sub(&t->count, 1, __ATOMIC_RELAXED);
                } else {
                    pp = &x->next;
                }
            }
        }
        pthread_mutex_unlock(&t->locks[lk]);
    }
    return out;
}

size_t kr_msrp_tx_count(struct kr_msrp_txs *t)
{
    return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}
