/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for modules/msrp/store: sessions (ids, refresh, lookup with expiry and frame
 * count, removal by id / connection / expiry, iteration, the msrp.active_sessions gauge),
 * random tokens, and downstream transactions (copies, take by tid, take expired).
 * Single-threaded except one test where threads bind and end sessions at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/stats.h"
#include "modules/msrp/store.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static struct kr_msrp_sess_info tpl(uint64_t conn, const char *user, const char *peer,
                                    time_t expires)
{
    struct kr_msrp_sess_info in;
    memset(&in, 0, sizeof(in));
    memcpy(in.id, "ignored-ignored-ignore", KR_MSRP_SESSID_LEN); /* the bind picks it */
    snprintf(in.peer, sizeof(in.peer), "%s", peer);
    snprintf(in.user, sizeof(in.user), "%s", user);
    in.conn_id = conn;
    in.created = 1000;
    in.expires = expires;
    return in;
}

static struct kr_msrp_sess_info bind1(struct kr_msrp_sessions *t, uint64_t conn, const char *user,
                                      const char *peer, time_t expires)
{
    struct kr_msrp_sess_info in = tpl(conn, user, peer, expires);
    struct kr_msrp_sess_info out;
    memset(&out, 0xaa, sizeof(out));
    assert_int_equal(kr_msrp_sess_bind(t, &in, &out), 0);
    return out;
}

static void assert_id(const char *id)
{
    assert_int_equal(strlen(id), KR_MSRP_SESSID_LEN);
    for (size_t i = 0; i < KR_MSRP_SESSID_LEN; i++) {
        if (strchr(b64url, id[i]) == NULL) {
            fail_msg("id %s: '%c' is not base64url", id, id[i]);
        }
    }
}

static void test_bind(void **state)
{
    (void)state;
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(10);
    assert_non_null(t);
    assert_int_equal(kr_msrp_sess_count(t), 0);
    struct kr_msrp_sess_info in = tpl(7, "alice", "msrp://a.example.com:7654/s1;tcp", 5000);
    assert_int_equal(kr_addr_from_ip(KR_STR("192.0.2.1"), 2855, &in.src), 0);
    struct kr_msrp_sess_info out;
    memset(&out, 0xaa, sizeof(out));
    assert_int_equal(kr_msrp_sess_bind(t, &in, &out), 0);
    assert_id(out.id);
    assert_string_not_equal(out.id, "ignored-ignored-ignore");
    assert_string_equal(out.user, "alice");
    assert_string_equal(out.peer, "msrp://a.example.com:7654/s1;tcp");
    assert_int_equal(out.conn_id, 7);
    assert_int_equal(out.expires, 5000);
    assert_int_equal(out.created, 1000);
    assert_int_equal(out.frames, 0);
    assert_true(kr_addr_eq(&out.src, &in.src));
    assert_int_equal(kr_msrp_sess_count(t), 1);

    /* what was stored is what a lookup returns */
    struct kr_msrp_sess_info f;
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(out.id), 100, &f), 0);
    assert_string_equal(f.id, out.id);
    assert_string_equal(f.peer, out.peer);
    assert_int_equal(f.conn_id, 7);
    kr_msrp_sessions_free(t);
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, KR_MSRP_SESSID_LEN + 1);
}

static void test_ids_distinct(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(4); /* 16 slots: long chains */
    assert_non_null(t);
    char(*ids)[KR_MSRP_SESSID_LEN + 1] = calloc(N, sizeof(*ids));
    assert_non_null(ids);
    unsigned seen[256] = { 0 };
    for (size_t i = 0; i < N; i++) {
        /* the same user and peer on different connections: new sessions each */
        struct kr_msrp_sess_info out = bind1(t, 100 + i, "bob", "msrp://b/s;tcp", 5000);
        assert_id(out.id);
        memcpy(ids[i], out.id, sizeof(ids[i]));
        for (size_t k = 0; k < KR_MSRP_SESSID_LEN - 1; k++) {
            seen[(unsigned char)out.id[k]]++;
        }
    }
    assert_int_equal(kr_msrp_sess_count(t), N);
    qsort(ids, N, sizeof(ids[0]), cmp_id);
    for (size_t i = 1; i < N; i++) {
        if (memcmp(ids[i - 1], ids[i], sizeof(ids[i])) == 0) {
            fail_msg("id %s given twice", ids[i]);
        }
    }
    /* all 64 characters occur (105000 random characters) */
    for (const char *c = b64url; *c; c++) {
        if (seen[(unsigned char)*c] == 0) {
            fail_msg("'%c' never used in an id", *c);
        }
    }
    /* every one is found, none by a prefix or with a changed character */
    for (size_t i = 0; i < N; i += 7) {
        struct kr_msrp_sess_info f;
        assert_int_equal(kr_msrp_sess_find(t, kr_str_c(ids[i]), 0, &f), 0);
        assert_string_equal(f.id, ids[i]);
        assert_int_equal(kr_msrp_sess_find(t, kr_str_make(ids[i], KR_MSRP_SESSID_LEN - 1), 0, &f),
                         KR_ENOTFOUND);
        char other[KR_MSRP_SESSID_LEN + 1];
        memcpy(other, ids[i], sizeof(other));
        other[5] = other[5] == 'A' ? 'B' : 'A';
        if (bsearch(other, ids, N, sizeof(ids[0]), cmp_id) == NULL) {
            assert_int_equal(kr_msrp_sess_find(t, kr_str_c(other), 0, &f), KR_ENOTFOUND);
        }
    }
    free(ids);
    kr_msrp_sessions_free(t);
}

static void test_refresh(void **state)
{
    (void)state;
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(8);
    unsigned long long g0 = kr_stat_get(KR_STAT_MSRP_SESSIONS);
    struct kr_msrp_sess_info a = bind1(t, 1, "alice", "msrp://a/s;tcp", 2000);
    struct kr_msrp_sess_info f;
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(a.id), 100, &f), 0);
    assert_int_equal(f.frames, 1);

    /* the same connection, user and peer: the same session, a new expiry */
    struct kr_msrp_sess_info r = bind1(t, 1, "alice", "msrp://a/s;tcp", 9000);
    assert_string_equal(r.id, a.id);
    assert_int_equal(r.expires, 9000);
    assert_int_equal(r.frames, 1); /* what the session counted so far */
    assert_int_equal(kr_msrp_sess_count(t), 1);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + 1);
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(a.id), 5000, &f), 0); /* past the old one */
    assert_int_equal(f.expires, 9000);
    /* a refresh may also shorten it */
    r = bind1(t, 1, "alice", "msrp://a/s;tcp", 3000);
    assert_string_equal(r.id, a.id);
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(a.id), 5000, &f), KR_ENOTFOUND);

    /* another user, peer or connection: another session */
    struct kr_msrp_sess_info u = bind1(t, 1, "alice2", "msrp://a/s;tcp", 9000);
    struct kr_msrp_sess_info p = bind1(t, 1, "alice", "msrp://a/s2;tcp", 9000);
    struct kr_msrp_sess_info c = bind1(t, 2, "alice", "msrp://a/s;tcp", 9000);
    struct kr_msrp_sess_info n = bind1(t, 1, "", "msrp://a/s;tcp", 9000); /* cmap_save */
    assert_string_not_equal(u.id, a.id);
    assert_string_not_equal(p.id, a.id);
    assert_string_not_equal(c.id, a.id);
    assert_string_not_equal(n.id, a.id);
    assert_string_not_equal(u.id, p.id);
    assert_int_equal(kr_msrp_sess_count(t), 5);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + 5);
    /* and each of those refreshes to itself */
    assert_string_equal(bind1(t, 1, "", "msrp://a/s;tcp", 9100).id, n.id);
    assert_string_equal(bind1(t, 2, "alice", "msrp://a/s;tcp", 9100).id, c.id);
    assert_int_equal(kr_msrp_sess_count(t), 5);
    kr_msrp_sessions_free(t);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0);
}

static void test_find(void **state)
{
    (void)state;
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(8);
    struct kr_msrp_sess_info a = bind1(t, 3, "carol", "msrp://c/s;tcp", 1000);
    struct kr_msrp_sess_info f;
    for (uint64_t i = 1; i <= 5; i++) {
        memset(&f, 0, sizeof(f));
        assert_int_equal(kr_msrp_sess_find(t, kr_str_c(a.id), 999, &f), 0);
        assert_int_equal(f.frames, i);
        assert_int_equal(f.conn_id, 3);
    }
    /* expired: at and after `expires`; not counted */
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(a.id), 1000, &f), KR_ENOTFOUND);
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(a.id), 5000, &f), KR_ENOTFOUND);
    assert_int_equal(kr_msrp_sess_count(t), 1); /* still there until expired or ended */
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(a.id), 0, &f), 0);
    assert_int_equal(f.frames, 6);
    /* unknown, empty, longer */
    assert_int_equal(kr_msrp_sess_find(t, KR_STR("AAAAAAAAAAAAAAAAAAAAAA"), 0, &f), KR_ENOTFOUND);
    assert_int_equal(kr_msrp_sess_find(t, KR_STR_NULL, 0, &f), KR_ENOTFOUND);
    char longer[KR_MSRP_SESSID_LEN + 2];
    memcpy(longer, a.id, KR_MSRP_SESSID_LEN);
    longer[KR_MSRP_SESSID_LEN] = 'x';
    assert_int_equal(kr_msrp_sess_find(t, kr_str_make(longer, KR_MSRP_SESSID_LEN + 1), 0, &f),
                     KR_ENOTFOUND);
    /* a slice that is not NUL-terminated, in an exactly-sized buffer */
    char *exact = malloc(KR_MSRP_SESSID_LEN);
    assert_non_null(exact);
    memcpy(exact, a.id, KR_MSRP_SESSID_LEN);
    assert_int_equal(kr_msrp_sess_find(t, kr_str_make(exact, KR_MSRP_SESSID_LEN), 0, &f), 0);
    free(exact);
    kr_msrp_sessions_free(t);
}

static void test_end(void **state)
{
    (void)state;
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(4);
    unsigned long long g0 = kr_stat_get(KR_STAT_MSRP_SESSIONS);
    static const char *const peers[] = { "msrp://x/s;tcp", "msrp://y/s;tcp", "msrp://z/s;tcp" };
    struct kr_msrp_sess_info s[9];
    for (size_t round = 0; round < 3; round++) { /* rounds 2 and 3 refresh */
        for (size_t i = 0; i < 9; i++) {
            struct kr_msrp_sess_info o = bind1(t, 1 + i / 3, "u", peers[i % 3], 9000);
            if (round > 0) {
                assert_string_equal(o.id, s[i].id);
            }
            s[i] = o;
        }
    }
    size_t n = kr_msrp_sess_count(t);
    assert_int_equal(n, 9);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + n);
    struct kr_msrp_sess_info f;
    assert_int_equal(kr_msrp_sess_end(t, kr_str_c(s[0].id)), 0);
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(s[0].id), 0, &f), KR_ENOTFOUND);
    assert_int_equal(kr_msrp_sess_end(t, kr_str_c(s[0].id)), KR_ENOTFOUND);
    assert_int_equal(kr_msrp_sess_end(t, KR_STR("nosuchsession")), KR_ENOTFOUND);
    assert_int_equal(kr_msrp_sess_count(t), n - 1);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + n - 1);
    /* the others are intact, and the ended one can be bound anew (new id) */
    assert_int_equal(kr_msrp_sess_find(t, kr_str_c(s[1].id), 0, &f), 0);
    struct kr_msrp_sess_info again = bind1(t, s[0].conn_id, "u", "msrp://x/s;tcp", 9000);
    assert_string_not_equal(again.id, s[0].id);
    kr_msrp_sessions_free(t);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0);
}

static void test_end_conn(void **state)
{
    (void)state;
    /* 16 slots and 200 connections: every chain holds several connections' sessions */
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(4);
    unsigned long long g0 = kr_stat_get(KR_STAT_MSRP_SESSIONS);
    enum { CONNS = 200, PER = 3 };
    static struct kr_msrp_sess_info s[CONNS][PER];
    for (uint64_t c = 0; c < CONNS; c++) {
        for (int k = 0; k < PER; k++) {
            char peer[32];
            snprintf(peer, sizeof(peer), "msrp://h%d/s;tcp", k);
            s[c][k] = bind1(t, 1000 + c, "u", peer, 9000);
        }
    }
    assert_int_equal(kr_msrp_sess_count(t), CONNS * PER);
    assert_int_equal(kr_msrp_sess_end_conn(t, 1000 + 17), PER);
    assert_int_equal(kr_msrp_sess_end_conn(t, 1000 + 17), 0);
    assert_int_equal(kr_msrp_sess_end_conn(t, 5), 0);
    assert_int_equal(kr_msrp_sess_count(t), (CONNS - 1) * PER);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + (CONNS - 1) * PER);
    struct kr_msrp_sess_info f;
    for (uint64_t c = 0; c < CONNS; c++) {
        for (int k = 0; k < PER; k++) {
            int want = c == 17 ? KR_ENOTFOUND : 0;
            assert_int_equal(kr_msrp_sess_find(t, kr_str_c(s[c][k].id), 0, &f), want);
        }
    }
    /* end every other connection; the rest stay findable */
    size_t ended = 0;
    for (uint64_t c = 0; c < CONNS; c += 2) {
        ended += kr_msrp_sess_end_conn(t, 1000 + c);
    }
    assert_int_equal(ended, (CONNS / 2) * PER);
    for (uint64_t c = 1; c < CONNS; c += 2) {
        assert_int_equal(kr_msrp_sess_find(t, kr_str_c(s[c][1].id), 0, &f),
                         c == 17 ? KR_ENOTFOUND : 0);
        if (c != 17) {
            assert_int_equal(f.conn_id, 1000 + c);
        }
    }
    /* an id ended one by one is gone from its connection's chain too */
    assert_int_equal(kr_msrp_sess_end(t, kr_str_c(s[1][0].id)), 0);
    assert_int_equal(kr_msrp_sess_end_conn(t, 1001), PER - 1);
    kr_msrp_sessions_free(t);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0);
}

struct collect {
    size_t n;
    size_t live;
    char ids[64][KR_MSRP_SESSID_LEN + 1];
};

static void collect_fn(const struct kr_msrp_sess_info *s, void *arg)
{
    struct collect *c = arg;
    if (c->n < 64) {
        memcpy(c->ids[c->n], s->id, sizeof(c->ids[0]));
    }
    c->n++;
    c->live += s->expires > 500;
}

static bool collected(const struct collect *c, const char *id)
{
    for (size_t i = 0; i < c->n && i < 64; i++) {
        if (strcmp(c->ids[i], id) == 0) {
            return true;
        }
    }
    return false;
}

static void test_expire_each(void **state)
{
    (void)state;
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(5);
    unsigned long long g0 = kr_stat_get(KR_STAT_MSRP_SESSIONS);
    struct kr_msrp_sess_info s[30];
    for (int i = 0; i < 30; i++) {
        s[i] = bind1(t, 50 + (uint64_t)i, "u", "msrp://x/s;tcp", i % 3 == 0 ? 100 : 1000);
    }
    struct collect c = { 0 };
    kr_msrp_sess_each(t, collect_fn, &c);
    assert_int_equal(c.n, 30);
    assert_int_equal(c.live, 20);
    for (int i = 0; i < 30; i++) {
        assert_true(collected(&c, s[i].id));
    }
    assert_int_equal(kr_msrp_sess_expire(t, 99), 0);
    assert_int_equal(kr_msrp_sess_expire(t, 100), 10); /* expires <= now */
    assert_int_equal(kr_msrp_sess_expire(t, 100), 0);
    assert_int_equal(kr_msrp_sess_count(t), 20);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + 20);
    memset(&c, 0, sizeof(c));
    kr_msrp_sess_each(t, collect_fn, &c);
    assert_int_equal(c.n, 20);
    assert_int_equal(c.live, 20);
    struct kr_msrp_sess_info f;
    for (int i = 0; i < 30; i++) {
        assert_int_equal(collected(&c, s[i].id), i % 3 != 0);
        /* gone from the connection chain too */
        assert_int_equal(kr_msrp_sess_end_conn(t, 50 + (uint64_t)i), i % 3 == 0 ? 0 : 1);
        assert_int_equal(kr_msrp_sess_find(t, kr_str_c(s[i].id), 0, &f), KR_ENOTFOUND);
    }
    assert_int_equal(kr_msrp_sess_count(t), 0);
    memset(&c, 0, sizeof(c));
    kr_msrp_sess_each(t, collect_fn, &c);
    assert_int_equal(c.n, 0);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0);
    /* nothing left to expire, and expiring an empty table is harmless */
    assert_int_equal(kr_msrp_sess_expire(t, 1 << 30), 0);
    kr_msrp_sessions_free(t);
}

static void test_gauge_and_slots(void **state)
{
    (void)state;
    assert_string_equal(kr_stat_name(KR_STAT_MSRP_SESSIONS), "msrp.active_sessions");
    assert_true(kr_stat_is_gauge(KR_STAT_MSRP_SESSIONS));
    assert_false(kr_stat_is_gauge(KR_STAT_MSRP_RCV_SEND));
    unsigned long long g0 = kr_stat_get(KR_STAT_MSRP_SESSIONS);
    struct kr_msrp_sessions *a = kr_msrp_sessions_new(0);
    struct kr_msrp_sessions *b = kr_msrp_sessions_new(99);
    struct kr_msrp_sessions *c = kr_msrp_sessions_new(10);
    assert_int_equal(kr_msrp_sess_slots(a), 16);
    assert_int_equal(kr_msrp_sess_slots(b), 65536);
    assert_int_equal(kr_msrp_sess_slots(c), 1024);
    bind1(a, 1, "u", "p", 10);
    bind1(a, 2, "u", "p", 10);
    bind1(b, 1, "u", "p", 10);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + 3);
    kr_msrp_sessions_free(a); /* sessions freed with the table leave the gauge */
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + 1);
    kr_msrp_sessions_free(b);
    kr_msrp_sessions_free(c);
    kr_msrp_sessions_free(NULL);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0);
}

/* Threads bind, find and end sessions of their own connections at once. */
struct worker_arg {
    struct kr_msrp_sessions *t;
    uint64_t base;
    int fails;
};

static void *worker(void *p)
{
    struct worker_arg *a = p;
    for (uint64_t i = 0; i < 300; i++) {
        struct kr_msrp_sess_info in = tpl(a->base + i, "u", "msrp://x/s;tcp", 9000);
        struct kr_msrp_sess_info out;
        struct kr_msrp_sess_info f;
        if (kr_msrp_sess_bind(a->t, &in, &out) != 0 ||
            kr_msrp_sess_find(a->t, kr_str_c(out.id), 0, &f) != 0 || f.conn_id != a->base + i) {
            a->fails++;
        }
        if (i % 2 == 0 && kr_msrp_sess_end(a->t, kr_str_c(out.id)) != 0) {
            a->fails++;
        }
    }
    a->fails += kr_msrp_sess_end_conn(a->t, a->base + 1) != 1;
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    enum { T = 4 };
    struct kr_msrp_sessions *t = kr_msrp_sessions_new(6);
    unsigned long long g0 = kr_stat_get(KR_STAT_MSRP_SESSIONS);
    pthread_t th[T];
    struct worker_arg args[T];
    for (int i = 0; i < T; i++) {
        args[i] = (struct worker_arg){ .t = t, .base = 1 + (uint64_t)i * 1000 };
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].fails, 0);
    }
    assert_int_equal(kr_msrp_sess_count(t), T * 149);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0 + T * 149);
    kr_msrp_sessions_free(t);
    assert_int_equal(kr_stat_get(KR_STAT_MSRP_SESSIONS), g0);
}

/* ---- random tokens ---- */

static void test_random_token(void **state)
{
    (void)state;
    char buf[80];
    unsigned seen[256] = { 0 };
    for (size_t n = 0; n <= 64; n++) {
        memset(buf, '#', sizeof(buf));
        assert_int_equal(kr_msrp_random_token(buf, n), 0);
        for (size_t i = 0; i < n; i++) {
            if (strchr(alnum, buf[i]) == NULL || buf[i] == '\0') {
                fail_msg("length %zu: byte %zu is 0x%02x", n, i, (unsigned char)buf[i]);
            }
        }
        for (size_t i = n; i < sizeof(buf); i++) {
            assert_int_equal(buf[i], '#'); /* nothing written past n */
        }
    }
    /* more than it can draw at once: refused, nothing written */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(kr_msrp_random_token(buf, 65), KR_EIO);
    assert_int_equal(buf[0], '#');
    /* every character of the alphabet comes up; tokens differ */
    char prev[17] = { 0 };
    for (int k = 0; k < 2000; k++) {
        char tok[17] = { 0 };
        assert_int_equal(kr_msrp_random_token(tok, 16), 0);
        assert_string_not_equal(tok, prev);
        memcpy(prev, tok, sizeof(prev));
        for (int i = 0; i < 16; i++) {
            seen[(unsigned char)tok[i]]++;
        }
    }
    for (const char *c = alnum; *c; c++) {
        if (seen[(unsigned char)*c] == 0) {
            fail_msg("'%c' never drawn", *c);
        }
    }
    /* tokens of the minimum tid length are valid tids */
    char tid[KR_MSRP_TID_MIN];
    assert_int_equal(kr_msrp_random_token(tid, sizeof(tid)), 0);
    assert_true(kr_msrp_tid_valid(kr_str_make(tid, sizeof(tid))));
}

/* ---- transactions ---- */

static struct kr_msrp_tx *new_tx(const char *tid, uint64_t deadline)
{
    /* the strings live in a buffer freed right after kr_msrp_tx_new */
    char *scratch = malloc(256);
    assert_non_null(scratch);
    int n = snprintf(scratch, 256, "orig-%s|msrp://a/s;tcp|msrp://relay/r;tcp|mid-%s|1-10/10|SEND",
                     tid, tid);
    assert_true(n > 0 && n < 256);
    struct kr_str parts[6];
    size_t k = 0;
    const char *p = scratch;
    for (const char *q = scratch;; q++) {
        if (*q == '|' || *q == '\0') {
            parts[k++] = kr_str_make(p, (size_t)(q - p));
            p = q + 1;
            if (*q == '\0') {
                break;
            }
        }
    }
    assert_int_equal(k, 6);
    struct kr_msrp_tx t;
    memset(&t, 0, sizeof(t));
    t.next = (struct kr_msrp_tx *)&t; /* must not survive into the copy */
    t.kind = KR_MSRP_TX_HOP;
    t.tid_len = strlen(tid);
    memcpy(t.tid, tid, t.tid_len);
    t.up_conn = 42;
    t.deadline = deadline;
    t.report_errors = true;
    t.partial = true;
    t.orig_tid = parts[0];
    t.from_path = parts[1];
    t.relay_uri = parts[2];
    t.message_id = parts[3];
    t.byte_range = parts[4];
    t.method = parts[5];
    struct kr_msrp_tx *x = kr_msrp_tx_new(&t);
    assert_non_null(x);
    memset(scratch, 'Z', 256);
    free(scratch);
    return x;
}

#define ASSERT_SLICE(s, lit)                                                                       \
    do {                                                                                           \
        struct kr_str s_ = (s);                                                                    \
        const char *l_ = (lit);                                                                    \
        assert_int_equal(s_.len, strlen(l_));                                                      \
        assert_memory_equal(s_.ptr, l_, s_.len);                                                   \
    } while (0)

static void test_tx_new(void **state)
{
    (void)state;
    struct kr_msrp_tx *x = new_tx("tid0001", 500);
    assert_null(x->next);
    assert_int_equal(x->kind, KR_MSRP_TX_HOP);
    assert_int_equal(x->tid_len, 7);
    assert_memory_equal(x->tid, "tid0001", 7);
    assert_int_equal(x->up_conn, 42);
    assert_int_equal(x->deadline, 500);
    assert_true(x->report_errors);
    assert_true(x->partial);
    ASSERT_SLICE(x->orig_tid, "orig-tid0001");
    ASSERT_SLICE(x->from_path, "msrp://a/s;tcp");
    ASSERT_SLICE(x->relay_uri, "msrp://relay/r;tcp");
    ASSERT_SLICE(x->message_id, "mid-tid0001");
    ASSERT_SLICE(x->byte_range, "1-10/10");
    ASSERT_SLICE(x->method, "SEND");
    kr_msrp_tx_free(x);

    /* empty strings (NULL slices) are fine */
    struct kr_msrp_tx t;
    memset(&t, 0, sizeof(t));
    t.kind = KR_MSRP_TX_PIECE;
    memcpy(t.tid, "abcd", 4);
    t.tid_len = 4;
    x = kr_msrp_tx_new(&t);
    assert_non_null(x);
    assert_int_equal(x->orig_tid.len, 0);
    assert_int_equal(x->method.len, 0);
    assert_int_equal(x->kind, KR_MSRP_TX_PIECE);
    kr_msrp_tx_free(x);
    kr_msrp_tx_free(NULL);
}

static void test_tx_take(void **state)
{
    (void)state;
    struct kr_msrp_txs *t = kr_msrp_txs_new();
    assert_non_null(t);
    assert_int_equal(kr_msrp_tx_count(t), 0);
    assert_null(kr_msrp_tx_take(t, KR_STR("nothing")));
    enum { N = 9000 }; /* more than the buckets: chains */
    for (int i = 0; i < N; i++) {
        char tid[16];
        snprintf(tid, sizeof(tid), "t%06d", i);
        kr_msrp_tx_add(t, new_tx(tid, 1000));
    }
    assert_int_equal(kr_msrp_tx_count(t), N);
    for (int i = 0; i < N; i += 3) {
        char tid[16];
        snprintf(tid, sizeof(tid), "t%06d", i);
        struct kr_msrp_tx *x = kr_msrp_tx_take(t, kr_str_c(tid));
        assert_non_null(x);
        assert_null(x->next);
        assert_int_equal(x->tid_len, 7);
        assert_memory_equal(x->tid, tid, 7);
        char want[32];
        snprintf(want, sizeof(want), "orig-%s", tid);
        ASSERT_SLICE(x->orig_tid, want);
        kr_msrp_tx_free(x);
        assert_null(kr_msrp_tx_take(t, kr_str_c(tid))); /* once */
    }
    assert_int_equal(kr_msrp_tx_count(t), N - N / 3);
    /* a prefix or an extension of a tid is another tid */
    assert_null(kr_msrp_tx_take(t, KR_STR("t00000")));
    assert_null(kr_msrp_tx_take(t, KR_STR("t0000011")));
    struct kr_msrp_tx *x = kr_msrp_tx_take(t, KR_STR("t000001"));
    assert_non_null(x);
    kr_msrp_tx_free(x);
    assert_int_equal(kr_msrp_tx_count(t), N - N / 3 - 1);
    kr_msrp_txs_free(t); /* frees the rest (ASan: no leak) */
    kr_msrp_txs_free(NULL);
}

static void test_tx_expired(void **state)
{
    (void)state;
    struct kr_msrp_txs *t = kr_msrp_txs_new();
    assert_null(kr_msrp_tx_take_expired(t, 1u << 30)); /* empty */
    for (int i = 0; i < 300; i++) {
        char tid[16];
        snprintf(tid, sizeof(tid), "x%04d", i);
        kr_msrp_tx_add(t, new_tx(tid, 100 + (uint64_t)(i % 3) * 100)); /* 100, 200, 300 */
    }
    assert_null(kr_msrp_tx_take_expired(t, 99));
    assert_int_equal(kr_msrp_tx_count(t), 300);
    struct kr_msrp_tx *l = kr_msrp_tx_take_expired(t, 200); /* deadline <= now */
    size_t n = 0;
    bool seen[300] = { false };
    while (l) {
        struct kr_msrp_tx *next = l->next;
        assert_int_equal(l->tid_len, 5);
        int i = 0;
        for (size_t k = 1; k < 5; k++) {
            i = i * 10 + (l->tid[k] - '0');
        }
        assert_true(i >= 0 && i < 300);
        assert_false(seen[i]);
        seen[i] = true;
        assert_int_equal(l->deadline, 100 + (uint64_t)(i % 3) * 100);
        assert_true(l->deadline <= 200);
        ASSERT_SLICE(l->method, "SEND"); /* the copies went along */
        n++;
        kr_msrp_tx_free(l);
        l = next;
    }
    assert_int_equal(n, 200);
    assert_int_equal(kr_msrp_tx_count(t), 100);
    assert_null(kr_msrp_tx_take_expired(t, 250));
    /* the ones left are the 300s, still taken by tid */
    struct kr_msrp_tx *x = kr_msrp_tx_take(t, KR_STR("x0002"));
    assert_non_null(x);
    assert_int_equal(x->deadline, 300);
    kr_msrp_tx_free(x);
    assert_null(kr_msrp_tx_take(t, KR_STR("x0000"))); /* expired and taken already */
    l = kr_msrp_tx_take_expired(t, 300);
    n = 0;
    while (l) {
        struct kr_msrp_tx *next = l->next;
        n++;
        kr_msrp_tx_free(l);
        l = next;
    }
    assert_int_equal(n, 99);
    assert_int_equal(kr_msrp_tx_count(t), 0);
    kr_msrp_txs_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind),        cmocka_unit_test(test_ids_distinct),
        cmocka_unit_test(test_refresh),     cmocka_unit_test(test_find),
        cmocka_unit_test(test_end),         cmocka_unit_test(test_end_conn),
        cmocka_unit_test(test_expire_each), cmocka_unit_test(test_gauge_and_slots),
        cmocka_unit_test(test_threads),     cmocka_unit_test(test_random_token),
        cmocka_unit_test(test_tx_new),      cmocka_unit_test(test_tx_take),
        cmocka_unit_test(test_tx_expired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
