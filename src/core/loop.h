/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event loop: one per worker thread. epoll (level-triggered) fd watchers, a timer heap on
 * the monotonic clock, and a mailbox through which other threads hand it tasks (an eventfd
 * wakes it). Watchers, timers and tasks are embedded in their owners' objects; the loop
 * owns none of them. Only the loop's thread runs it; kr_loop_post, kr_loop_stop and
 * kr_loop_watch_mod (see there) may be called from any thread. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/timer.h"

struct kr_loop;
struct kr_watch;
struct kr_loop_task;

/* events: EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP as reported by epoll. */
typedef void kr_watch_fn(struct kr_loop *l, struct kr_watch *w, uint32_t events);
/* Runs on the loop's thread. The task is no longer queued: it may be posted again. */
typedef void kr_loop_task_fn(struct kr_loop *l, struct kr_loop_task *t);

struct kr_watch {
    int fd;
    uint32_t events; /* requested (EPOLLIN | EPOLLOUT) */
    kr_watch_fn *fn;
    void *arg;
};

/* A unit of work for a loop, posted from any thread. Embedded in its owner; a task is in
 * at most one mailbox at a time. */
struct kr_loop_task {
    struct kr_loop_task *next;
    atomic_bool queued;
    kr_loop_task_fn *fn;
    void *arg;
};

struct kr_loop {
    int epfd;
    int evfd;
    atomic_bool stop;
    bool running;
    uint64_t now_ms; /* monotonic time cached at each wake-up */
    struct kr_timers timers;
    _Atomic(struct kr_loop_task *) mailbox; /* LIFO; reversed when run */
    struct kr_watch wake;
    /* optional: run after each batch of fd events or tasks (e.g. to write what the batch
     * gathered) */
    void (*after_events)(struct kr_loop *l, void *arg);
    void *after_arg;
};

/* Returns 0 or KR_EIO (epoll/eventfd creation failed). */
int kr_loop_init(struct kr_loop *l);
/* Closes the loop's own fds. Watched fds are not closed; tasks still queued are dropped
 * (run kr_loop_run_tasks first when they hold references). */
void kr_loop_fini(struct kr_loop *l);

/* Runs until kr_loop_stop. Returns 0, or KR_EIO when epoll_wait fails for good. */
int kr_loop_run(struct kr_loop *l);
/* One iteration: tasks, waits at most timeout_ms (-1: until something happens) for fd
 * events, runs them and the due timers. Returns the number of fd events handled, or
 * KR_EIO. For tests and embedding. */
int kr_loop_run_once(struct kr_loop *l, int timeout_ms);
/* Asks the loop to return from kr_loop_run soon. Any thread. */
void kr_loop_stop(struct kr_loop *l);
/* Runs the tasks queued now (loop's thread, or any thread once the loop's thread ended).
 * Returns how many ran. */
unsigned kr_loop_run_tasks(struct kr_loop *l);

/* Starts watching fd for events (EPOLLIN and/or EPOLLOUT). Returns 0 or KR_EIO. */
int kr_loop_watch_add(struct kr_loop *l, struct kr_watch *w, int fd, uint32_t events,
                      kr_watch_fn *fn, void *arg);
/* Changes the watched events. epoll_ctl is thread-safe, so this may be called from any
 * thread provided the calls for one watch are serialized by its owner (e.g. a lock). */
int kr_loop_watch_mod(struct kr_loop *l, struct kr_watch *w, uint32_t events);
/* Stops watching (before the fd is closed). */
void kr_loop_watch_del(struct kr_loop *l, struct kr_watch *w);

/* Prepares a task that runs fn(loop, task) with task->arg available to it. */
void kr_loop_task_init(struct kr_loop_task *t, kr_loop_task_fn *fn, void *arg);
/* Queues t for l and wakes l. Returns true when t was queued by this call, false when it
 * was already waiting (it will run once). Any thread; lock-free. */
bool kr_loop_post(struct kr_loop *l, struct kr_loop_task *t);

/* Timers on the loop's clock; loop's thread only. */
int kr_loop_timer_start(struct kr_loop *l, struct kr_timer *t, uint64_t delay_ms,
                        uint64_t period_ms);
void kr_loop_timer_stop(struct kr_loop *l, struct kr_timer *t);
static inline uint64_t kr_loop_now(const struct kr_loop *l)
{
    return l->now_ms;
}
/* The loop running on the calling thread, or NULL. */
struct kr_loop *kr_loop_current(void);
