/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-loop timers: one-shot and periodic, on the monotonic clock in milliseconds, kept in a
 * binary min-heap (earliest first; equal due times fire in the order they were started).
 * A kr_timers belongs to one thread (its event loop); struct kr_timer is embedded in the
 * object it serves, which must outlive its arming. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kr_timer;

/* Called when t is due. A one-shot timer is already stopped; the callback may start it
 * again, stop other timers or free t (after stopping it if it is periodic). */
typedef void kr_timer_fn(struct kr_timer *t, void *arg);

struct kr_timer {
    uint64_t due_ms;    /* monotonic time it fires */
    uint64_t period_ms; /* 0: one-shot */
    uint64_t seq;       /* start order, breaks ties */
    size_t idx;         /* position in the heap, KR_TIMER_IDLE when stopped */
    kr_timer_fn *fn;
    void *arg;
};

#define KR_TIMER_IDLE SIZE_MAX

struct kr_timers {
    struct kr_timer **heap;
    size_t n;
    size_t cap;
    uint64_t seq;
};

/* Milliseconds of CLOCK_MONOTONIC. Any thread. */
uint64_t kr_time_now_ms(void);

void kr_timers_init(struct kr_timers *ts);
/* Frees the heap; timers still armed are forgotten (their memory is their owner's). */
void kr_timers_fini(struct kr_timers *ts);

/* Prepares t (stopped). */
void kr_timer_init(struct kr_timer *t, kr_timer_fn *fn, void *arg);
/* Arms t to fire at now + delay_ms, then every period_ms when period_ms > 0. Restarts an
 * armed timer. Returns 0 or KR_ENOMEM (t stays stopped). */
int kr_timer_start(struct kr_timers *ts, struct kr_timer *t, uint64_t now, uint64_t delay_ms,
                   uint64_t period_ms);
/* Disarms t; harmless when it is not armed. */
void kr_timer_stop(struct kr_timers *ts, struct kr_timer *t);
static inline bool kr_timer_armed(const struct kr_timer *t)
{
    return t->idx != KR_TIMER_IDLE;
}
/* Milliseconds until the earliest timer is due (0 when overdue), or -1 when none is armed. */
int64_t kr_timers_next(const struct kr_timers *ts, uint64_t now);
/* Fires every timer due at now, earliest first. Returns how many fired. */
size_t kr_timers_run(struct kr_timers *ts, uint64_t now);
