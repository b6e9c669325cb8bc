/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for core/timer, core/loop and core/worker: timer order and cancellation,
 * periodic timers, fd watchers, cross-thread tasks and wake-ups, worker start and stop. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/loop.h"
#include "core/timer.h"
#include "core/worker.h"

/* ---- the heap alone, on a fake clock ---- */

struct rec {
    int order[64];
    int n;
};

struct tmark {
    struct kr_timer t;
    struct rec *rec;
    int tag;
};

static void mark_fn(struct kr_timer *t, void *arg)
{
    struct tmark *m = arg;
    (void)t;
    m->rec->order[m->rec->n++] = m->tag;
}

static void test_heap_order(void **state)
{
    (void)state;
    struct kr_timers ts;
    kr_timers_init(&ts);
    struct rec rec = { .n = 0 };
    struct tmark m[6];
    const uint64_t delays[6] = { 50, 10, 30, 10, 20, 40 };
    for (int i = 0; i < 6; i++) {
        m[i].rec = &rec;
        m[i].tag = i;
        kr_timer_init(&m[i].t, mark_fn, &m[i]);
        assert_int_equal(kr_timer_start(&ts, &m[i].t, 1000, delays[i], 0), 0);
    }
    kr_timer_stop(&ts, &m[2].t); /* cancel the 30 ms one */
    assert_false(kr_timer_armed(&m[2].t));
    assert_int_equal(kr_timers_next(&ts, 1000), 10);
    assert_int_equal(kr_timers_run(&ts, 1009), 0);
    assert_int_equal(kr_timers_run(&ts, 1035), 3);
    assert_int_equal(kr_timers_next(&ts, 1035), 5);
    assert_int_equal(kr_timers_run(&ts, 2000), 2);
    assert_int_equal(kr_timers_next(&ts, 2000), -1);
    const int want[5] = { 1, 3, 4, 5, 0 }; /* equal delays fire in start order */
    assert_int_equal(rec.n, 5);
    assert_memory_equal(rec.order, want, sizeof(want));
    kr_timers_fini(&ts);
}

struct many {
    struct kr_timer t;
    uint64_t *last;
    int *bad;
    int *fired;
};

static void many_fn(struct kr_timer *t, void *arg)
{
    struct many *m = arg;
    if (t->due_ms < *m->last) {
        (*m->bad)++;
    }
    *m->last = t->due_ms;
    (*m->fired)++;
}

static void test_heap_random(void **state)
{
    (void)state;
    enum { N = 2000 };
    struct kr_timers ts;
    kr_timers_init(&ts);
    struct many *m = calloc(N, sizeof(*m));
    assert_non_null(m);
    uint64_t last = 0;
    int bad = 0;
    int fired = 0;
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        m[i].last = &last;
        m[i].bad = &bad;
        m[i].fired = &fired;
        kr_timer_init(&m[i].t, many_fn, &m[i]);
        seed = seed * 1103515245u + 12345u;
        assert_int_equal(kr_timer_start(&ts, &m[i].t, 0, (seed >> 8) % 10000, 0), 0);
    }
    int stopped = 0;
    for (int i = 0; i < N; i += 3) {
        kr_timer_stop(&ts, &m[i].t);
        stopped++;
    }
    /* restart some: they move */
    for (int i = 1; i < N; i += 7) {
        assert_int_equal(kr_timer_start(&ts, &m[i].t, 0, 5000, 0), 0);
    }
    int armed = 0;
    for (int i = 0; i < N; i++) {
        armed += kr_timer_armed(&m[i].t);
    }
    int expect_armed = 0;
    for (int i = 0; i < N; i++) {
        expect_armed += i % 3 != 0 || i % 7 == 1;
    }
    assert_int_equal(armed, expect_armed);
    assert_true(stopped > 0);
    for (uint64_t now = 0; now <= 10000; now += 97) {
        kr_timers_run(&ts, now);
    }
    kr_timers_run(&ts, 20000);
    assert_int_equal(bad, 0);
    assert_int_equal(fired, armed);
    kr_timers_fini(&ts);
    free(m);
}

/* ---- the loop ---- */

struct periodic {
    struct kr_timer t;
    struct kr_loop *l;
    int count;
};

static void periodic_fn(struct kr_timer *t, void *arg)
{
    struct periodic *p = arg;
    if (++p->count == 3) {
        kr_loop_timer_stop(p->l, t);
    }
}

static void run_until(struct kr_loop *l, const int *flag, int want, int timeout_ms)
{
    uint64_t end = kr_time_now_ms() + (uint64_t)timeout_ms;
    while (*flag < want && kr_time_now_ms() < end) {
        assert_true(kr_loop_run_once(l, 50) >= 0);
    }
}

static void test_loop_timers(void **state)
{
    (void)state;
    struct kr_loop l;
    assert_int_equal(kr_loop_init(&l), 0);
    struct rec rec = { .n = 0 };
    struct tmark m[4];
    const uint64_t delays[4] = { 60, 20, 40, 30 };
    for (int i = 0; i < 4; i++) {
        m[i].rec = &rec;
        m[i].tag = i;
        kr_timer_init(&m[i].t, mark_fn, &m[i]);
        assert_int_equal(kr_loop_timer_start(&l, &m[i].t, delays[i], 0), 0);
    }
    kr_loop_timer_stop(&l, &m[3].t);
    struct periodic p = { .l = &l, .count = 0 };
    kr_timer_init(&p.t, periodic_fn, &p);
    uint64_t t0 = kr_time_now_ms();
    assert_int_equal(kr_loop_timer_start(&l, &p.t, 10, 10), 0);
    run_until(&l, &rec.n, 3, 2000);
    uint64_t took = kr_time_now_ms() - t0;
    assert_int_equal(rec.n, 3);
    const int want[3] = { 1, 2, 0 };
    assert_memory_equal(rec.order, want, sizeof(want));
    assert_true(took >= 59);
    run_until(&l, &p.count, 3, 2000);
    assert_int_equal(p.count, 3);
    assert_false(kr_timer_armed(&p.t));
    kr_loop_fini(&l);
}

struct pipew {
    struct kr_watch w;
    int got;
};

static void pipe_fn(struct kr_loop *l, struct kr_watch *w, uint32_t events)
{
    struct pipew *p = w->arg;
    char buf[16];
    (void)l;
    assert_true(events & EPOLLIN);
    ssize_t n = read(w->fd, buf, sizeof(buf));
    if (n > 0) {
        p->got += (int)n;
    }
}

static void test_loop_watch(void **state)
{
    (void)state;
    struct kr_loop l;
    int fds[2];
    assert_int_equal(kr_loop_init(&l), 0);
    assert_int_equal(pipe(fds), 0);
    struct pipew p = { .got = 0 };
    assert_int_equal(kr_loop_watch_add(&l, &p.w, fds[0], EPOLLIN, pipe_fn, &p), 0);
    assert_int_equal(write(fds[1], "abc", 3), 3);
    run_until(&l, &p.got, 3, 2000);
    assert_int_equal(p.got, 3);
    kr_loop_watch_del(&l, &p.w);
    assert_int_equal(write(fds[1], "d", 1), 1);
    assert_int_equal(kr_loop_run_once(&l, 20), 0);
    assert_int_equal(p.got, 3);
    close(fds[0]);
    close(fds[1]);
    kr_loop_fini(&l);
}

/* ---- tasks across threads ---- */

struct counted {
    struct kr_loop_task t;
    atomic_int *ran;
};

static void count_fn(struct kr_loop *l, struct kr_loop_task *t)
{
    struct counted *c = t->arg;
    (void)l;
    atomic_fetch_add(c->ran, 1);
}

static void *run_loop(void *arg)
{
    kr_loop_run(arg);
    return NULL;
}

struct poster {
    struct kr_loop *l;
    struct counted tasks[200];
};

static void *post_many(void *arg)
{
    struct poster *p = arg;
    for (int i = 0; i < 200; i++) {
        kr_loop_post(p->l, &p->tasks[i].t);
    }
    return NULL;
}

static void test_loop_tasks(void **state)
{
    (void)state;
    struct kr_loop l;
    assert_int_equal(kr_loop_init(&l), 0);
    atomic_int ran = 0;
    struct poster *ps = calloc(2, sizeof(*ps));
    assert_non_null(ps);
    for (int k = 0; k < 2; k++) {
        ps[k].l = &l;
        for (int i = 0; i < 200; i++) {
            ps[k].tasks[i].ran = &ran;
            kr_loop_task_init(&ps[k].tasks[i].t, count_fn, &ps[k].tasks[i]);
        }
    }
    pthread_t loop_th;
    pthread_t post_th[2];
    assert_int_equal(pthread_create(&loop_th, NULL, run_loop, &l), 0);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(pthread_create(&post_th[k], NULL, post_many, &ps[k]), 0);
    }
    for (int k = 0; k < 2; k++) {
        pthread_join(post_th[k], NULL);
    }
    uint64_t end = kr_time_now_ms() + 2000;
    while (atomic_load(&ran) < 400 && kr_time_now_ms() < end) {
        sched_yield();
    }
    assert_int_equal(atomic_load(&ran), 400);
    /* A task posted twice before it runs runs once. */
    uint64_t t0 = kr_time_now_ms();
    kr_loop_stop(&l);
    pthread_join(loop_th, NULL);
    assert_true(kr_time_now_ms() - t0 < 1000);
    struct counted once = { .ran = &ran };
    kr_loop_task_init(&once.t, count_fn, &once);
    assert_true(kr_loop_post(&l, &once.t));
    assert_false(kr_loop_post(&l, &once.t));
    assert_int_equal(kr_loop_run_tasks(&l), 1);
    assert_int_equal(atomic_load(&ran), 401);
    free(ps);
    kr_loop_fini(&l);
}

/* ---- workers ---- */

struct wstate {
    atomic_int inits;
    atomic_int finis;
    atomic_int ids;
    unsigned fail_id;
};

static int w_init(struct kr_worker *w, void *arg)
{
    struct wstate *s = arg;
    if (kr_worker_current() == w) {
        atomic_fetch_add(&s->inits, 1);
    }
    atomic_fetch_or(&s->ids, 1 << w->id);
    return w->id == s->fail_id ? -1 : 0;
}

static void w_fini(struct kr_worker *w, void *arg)
{
    struct wstate *s = arg;
    (void)w;
    atomic_fetch_add(&s->finis, 1);
}

static void test_workers(void **state)
{
    (void)state;
    struct kr_workers ws;
    struct wstate s = { .fail_id = 0 };
    struct kr_err err = { 0 };
    assert_int_equal(kr_workers_init(&ws, 3), 0);
    assert_int_equal(kr_workers_start(&ws, w_init, w_fini, &s, &err), 0);
    assert_int_equal(atomic_load(&s.inits), 3);
    assert_int_equal(atomic_load(&s.ids), 2 | 4 | 8);
    assert_null(kr_worker_current());
    uint64_t t0 = kr_time_now_ms();
    kr_workers_stop(&ws);
    assert_true(kr_time_now_ms() - t0 < 1000);
    assert_int_equal(atomic_load(&s.finis), 3);
    kr_workers_stop(&ws);
    kr_workers_fini(&ws);

    struct wstate f = { .fail_id = 2 };
    assert_int_equal(kr_workers_init(&ws, 3), 0);
    assert_true(kr_workers_start(&ws, w_init, w_fini, &f, &err) < 0);
    assert_non_null(err.reason);
    assert_int_equal(atomic_load(&f.inits), 3);
    assert_int_equal(atomic_load(&f.finis), 2);
    kr_workers_fini(&ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_order),  cmocka_unit_test(test_heap_random),
        cmocka_unit_test(test_loop_timers), cmocka_unit_test(test_loop_watch),
        cmocka_unit_test(test_loop_tasks),  cmocka_unit_test(test_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
