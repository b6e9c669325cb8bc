/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Timer min-heap ordered by (due, start order). Each timer knows its heap slot, so stop
 * is O(log n) without searching. Only the owning loop's thread touches a kr_timers. */
#include "core/timer.h"

#include <stdlib.h>
#include <time.h>

#include "core/err.h"

uint64_t kr_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void kr_timers_init(struct kr_timers *ts)
{
    ts->heap = NULL;
    ts->n = 0;
    ts->cap = 0;
    ts->seq = 0;
}

void kr_timers_fini(struct kr_timers *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        ts->heap[i]->idx = KR_TIMER_IDLE;
    }
    free(ts->heap);
    kr_timers_init(ts);
}

void kr_timer_init(struct kr_timer *t, kr_timer_fn *fn, void *arg)
{
    t->due_ms = 0;
    t->period_ms = 0;
    t->seq = 0;
    t->idx = KR_TIMER_IDLE;
    t->fn = fn;
    t->arg = arg;
}

static bool before(const struct kr_timer *a, const struct kr_timer *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void place(struct kr_timers *ts, size_t i, struct kr_timer *t)
{
    ts->heap[i] = t;
    t->idx = i;
}

static void sift_up(struct kr_timers *ts, size_t i)
{
    struct kr_timer *t = ts->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(t, ts->heap[parent])) {
            break;
        }
        place(ts, i, ts->heap[parent]);
        i = parent;
    }
    place(ts, i, t);
}

static void sift_down(struct kr_timers *ts, size_t i)
{
    struct kr_timer *t = ts->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= ts->n) {
            break;
        }
        if (child + 1 < ts->n && before(ts->heap[child + 1], ts->heap[child])) {
            child++;
        }
        if (!before(ts->heap[child], t)) {
            break;
        }
        place(ts, i, ts->heap[child]);
        i = child;
    }
    place(ts, i, t);
}

static void heap_remove(struct kr_timers *ts, struct kr_timer *t)
{
    size_t i = t->idx;
    t->idx = KR_TIMER_IDLE;
    ts->n--;
    if (i == ts->n) {
        return;
    }
    place(ts, i, ts->heap[ts->n]);
    if (i > 0 && before(ts->heap[i], ts->heap[(i - 1) / 2])) {
        sift_up(ts, i);
    } else {
        sift_down(ts, i);
    }
}

static int heap_insert(struct kr_timers *ts, struct kr_timer *t)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 64;
        struct kr_timer **h = realloc(ts->heap, cap * sizeof(*h));
        if (!h) {
            return KR_ENOMEM;
        }
        ts->heap = h;
        ts->cap = cap;
    }
    t->seq = ts->seq++;
    place(ts, ts->n++, t);
    sift_up(ts, t->idx);
    return 0;
}

int kr_timer_start(struct kr_timers *ts, struct kr_timer *t, uint64_t now, uint64_t delay_ms,
                   uint64_t period_ms)
{
    kr_timer_stop(ts, t);
    t->due_ms = now + delay_ms;
    t->period_ms = period_ms;
    return heap_insert(ts, t);
}

void kr_timer_stop(struct kr_timers *ts, struct kr_timer *t)
{
    if (t->idx != KR_TIMER_IDLE) {
        heap_remove(ts, t);
    }
}

int64_t kr_timers_next(const struct kr_timers *ts, uint64_t now)
{
    if (ts->n == 0) {
        return -1;
    }
    uint64_t due = ts->heap[0]->due_ms;
    return due <= now ? 0 : (int64_t)(due - now);
}

size_t kr_timers_run(struct kr_timers *ts, uint64_t now)
{
    /* Timers started while running (including periodic re-arms) wait for the next run,
     * so a callback that re-arms itself with no delay cannot spin here. */
    uint64_t limit = ts->seq;
    size_t fired = 0;
    while (ts->n > 0) {
        struct kr_timer *t = ts->heap[0];
        if (t->due_ms > now || t->seq >= limit) {
            break;
        }
        heap_remove(ts, t);
        if (t->period_ms > 0) {
            uint64_t next = t->due_ms + t->period_ms;
            t->due_ms = next > now ? next : now + t->period_ms;
            if (heap_insert(ts, t) != 0) {
                /* Out of memory cannot happen here: removing freed a slot. */
                t->idx = KR_TIMER_IDLE;
            }
        }
        fired++;
        t->fn(t, t->arg);
    }
    return fired;
}
