/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epoll loop with an eventfd for wake-ups and a lock-free mailbox (a Treiber stack that
 * the loop takes whole and reverses, so tasks run in posting order). The loop's thread
 * runs everything; other threads only push tasks and write the eventfd. */
#include "core/loop.h"

#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/err.h"

#define KR_LOG_UNIT "loop"
#include "core/log.h"

enum { LOOP_MAX_EVENTS = 64 };

static _Thread_local struct kr_loop *cur_loop;

struct kr_loop *kr_loop_current(void)
{
    return cur_loop;
}

static void on_wake(struct kr_loop *l, struct kr_watch *w, uint32_t events)
{
    uint64_t v;
    (void)events;
    (void)l;
    /* Reset the counter; the tasks themselves are taken from the mailbox. */
    while (read(w->fd, &v, sizeof(v)) < 0 && errno == EINTR) {
    }
}

int kr_loop_init(struct kr_loop *l)
{
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = -1;
    l->after_events = NULL;
    l->after_arg = NULL;
    atomic_init(&l->stop, false);
    l->running = false;
    l->now_ms = kr_time_now_ms();
    kr_timers_init(&l->timers);
    atomic_init(&l->mailbox, NULL);
    if (l->epfd < 0) {
        return KR_EIO;
    }
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->evfd < 0 || kr_loop_watch_add(l, &l->wake, l->evfd, EPOLLIN, on_wake, NULL) != 0) {
        kr_loop_fini(l);
        return KR_EIO;
    }
    return 0;
}

void kr_loop_fini(struct kr_loop *l)
{
    if (l->evfd >= 0) {
        close(l->evfd);
        l->evfd = -1;
    }
    if (l->epfd >= 0) {
        close(l->epfd);
        l->epfd = -1;
    }
    kr_timers_fini(&l->timers);
    atomic_store(&l->mailbox, NULL);
}

int kr_loop_watch_add(struct kr_loop *l, struct kr_watch *w, int fd, uint32_t events,
                      kr_watch_fn *fn, void *arg)
{
    w->fd = fd;
    w->events = events;
    w->fn = fn;
    w->arg = arg;
    struct epoll_event ev = { .events = events, .data.ptr = w };
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : KR_EIO;
}

int kr_loop_watch_mod(struct kr_loop *l, struct kr_watch *w, uint32_t events)
{
    if (w->events == events) {
        return 0;
    }
    struct epoll_event ev = { .events = events, .data.ptr = w };
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0) {
        return KR_EIO;
    }
    w->events = events;
    return 0;
}

void kr_loop_watch_del(struct kr_loop *l, struct kr_watch *w)
{
    if (w->fd >= 0) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    }
}

void kr_loop_task_init(struct kr_loop_task *t, kr_loop_task_fn *fn, void *arg)
{
    t->next = NULL;
    atomic_init(&t->queued, false);
    t->fn = fn;
    t->arg = arg;
}

static void wake(struct kr_loop *l)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop is being woken anyway. */
    while (write(l->evfd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

bool kr_loop_post(struct kr_loop *l, struct kr_loop_task *t)
{
    if (atomic_exchange(&t->queued, true)) {
        return false;
    }
    struct kr_loop_task *head = atomic_load_explicit(&l->mailbox, memory_order_relaxed);
    do {
        t->next = head;
    } while (!atomic_compare_exchange_weak_explicit(&l->mailbox, &head, t, memory_order_release,
                                                    memory_order_relaxed));
    /* Only the push onto an empty mailbox wakes: a non-empty one has a wake-up pending.
     * The loop's own thread drains the mailbox before it sleeps again. */
    if (head == NULL && cur_loop != l) {
        wake(l);
    }
    return true;
}

unsigned kr_loop_run_tasks(struct kr_loop *l)
{
    struct kr_loop_task *list = atomic_exchange_explicit(&l->mailbox, NULL, memory_order_acquire);
    struct kr_loop_task *rev = NULL;
    while (list) {
        struct kr_loop_task *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    unsigned n = 0;
    while (rev) {
        struct kr_loop_task *t = rev;
        rev = t->next;
        t->next = NULL;
        /* Cleared before running, so a post during fn queues it again. */
        atomic_store(&t->queued, false);
        t->fn(l, t);
        n++;
    }
    return n;
}

void kr_loop_stop(struct kr_loop *l)
{
    atomic_store(&l->stop, true);
    wake(l);
}

static int wait_timeout(struct kr_loop *l, int max_ms)
{
    if (atomic_load_explicit(&l->mailbox, memory_order_relaxed) != NULL ||
        atomic_load_explicit(&l->stop, memory_order_relaxed)) {
        return 0;
    }
    int64_t next = kr_timers_next(&l->timers, kr_time_now_ms());
    if (next < 0) {
        return max_ms;
    }
    if (next > INT32_MAX) {
        next = INT32_MAX;
    }
    if (max_ms >= 0 && next > max_ms) {
        return max_ms;
    }
    return (int)next;
}

static void after_events(struct kr_loop *l)
{
    if (l->after_events) {
        l->after_events(l, l->after_arg);
    }
}

static int iterate(struct kr_loop *l, int max_ms)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    if (kr_loop_run_tasks(l) > 0) {
        after_events(l);
    }
    int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, wait_timeout(l, max_ms));
    l->now_ms = kr_time_now_ms();
    if (n < 0) {
        if (errno == EINTR) {
            n = 0;
        } else {
            KR_CRIT("epoll_wait: errno %d", errno);
            return KR_EIO;
        }
    }
    for (int i = 0; i < n; i++) {
        struct kr_watch *w = evs[i].data.ptr;
        w->fn(l, w, evs[i].events);
    }
    if (n > 0) {
        after_events(l);
    }
    kr_timers_run(&l->timers, l->now_ms);
    return n;
}

int kr_loop_run_once(struct kr_loop *l, int timeout_ms)
{
    struct kr_loop *prev = cur_loop;
    cur_loop = l;
    int n = iterate(l, timeout_ms);
    if (kr_loop_run_tasks(l) > 0) {
        after_events(l);
    }
    cur_loop = prev;
    return n;
}

int kr_loop_run(struct kr_loop *l)
{
    struct kr_loop *prev = cur_loop;
    int rc = 0;
    cur_loop = l;
    l->running = true;
    while (!atomic_load_explicit(&l->stop, memory_order_acquire)) {
        int n = iterate(l, -1);
        if (n < 0) {
            rc = n;
            break;
        }
    }
    l->running = false;
    cur_loop = prev;
    return rc;
}

int kr_loop_timer_start(struct kr_loop *l, struct kr_timer *t, uint64_t delay_ms,
                        uint64_t period_ms)
{
    return kr_timer_start(&l->timers, t, kr_time_now_ms(), delay_ms, period_ms);
}

void kr_loop_timer_stop(struct kr_loop *l, struct kr_timer *t)
{
    kr_timer_stop(&l->timers, t);
}
