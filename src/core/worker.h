/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Worker threads: each runs its own event loop and owns a per-message arena. A kr_workers
 * group is created and stopped by one controlling thread (main); each worker's fields are
 * then touched only by its own thread, except the loop's cross-thread entry points
 * (kr_loop_post, kr_loop_stop). Workers block every signal: main handles them. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/loop.h"

struct kr_net_worker;

/* Per-message arena: chunk size and cap (a message needing more gets KR_ENOMEM). */
enum {
    KR_WORKER_ARENA_CHUNK = 64 * 1024,
    KR_WORKER_ARENA_CAP = 64 * 1024 * 1024,
};

struct kr_worker {
    unsigned id; /* 1..n; the log tag is "w<id>" */
    pthread_t thread;
    bool started;
    struct kr_loop loop;
    struct kr_arena arena;     /* per message: reset after each received message is handled */
    void *user;                /* the config engine's per-worker state */
    struct kr_net_worker *net; /* the transport's per-worker state */
    struct kr_workers *group;
    char tag[16];
};

/* Called in the worker's thread before its loop runs; non-zero fails the start. */
typedef int kr_worker_init_fn(struct kr_worker *w, void *arg);
/* Called in the worker's thread after its loop returned (only when init succeeded). */
typedef void kr_worker_fini_fn(struct kr_worker *w, void *arg);

struct kr_workers {
    struct kr_worker *w; /* array of n */
    unsigned n;
    kr_worker_init_fn *init;
    kr_worker_fini_fn *fini;
    void *arg;
    /* start-up handshake */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned reported;
    int first_err;
};

/* Allocates n workers with their loops and arenas (threads not started). Returns 0,
 * KR_ENOMEM or KR_EIO. */
int kr_workers_init(struct kr_workers *ws, unsigned n);
/* Starts the threads; each blocks all signals, names itself "wN" in the log, runs init,
 * then its loop. Returns once every init has run: 0, or the first init's error (then
 * every started worker has been stopped and joined). */
int kr_workers_start(struct kr_workers *ws, kr_worker_init_fn *init, kr_worker_fini_fn *fini,
                     void *arg, struct kr_err *err);
/* Stops every loop and joins the threads (fini runs in each). Safe to call twice. */
void kr_workers_stop(struct kr_workers *ws);
/* Frees loops, arenas and the array (after kr_workers_stop). */
void kr_workers_fini(struct kr_workers *ws);

/* The worker running on the calling thread, or NULL (main, timer thread). */
struct kr_worker *kr_worker_current(void);
