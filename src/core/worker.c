/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Worker threads and their start-up handshake. The controlling thread owns the group;
 * each worker thread owns its loop and arena while it runs. */
#include "core/worker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define KR_LOG_UNIT "worker"
#include "core/log.h"

static _Thread_local struct kr_worker *cur_worker;

struct kr_worker *kr_worker_current(void)
{
    return cur_worker;
}

int kr_workers_init(struct kr_workers *ws, unsigned n)
{
    ws->n = 0;
    ws->init = NULL;
    ws->fini = NULL;
    ws->arg = NULL;
    ws->reported = 0;
    ws->first_err = 0;
    ws->w = calloc(n ? n : 1, sizeof(*ws->w));
    if (!ws->w) {
        return KR_ENOMEM;
    }
    pthread_mutex_init(&ws->mu, NULL);
    pthread_cond_init(&ws->cv, NULL);
    for (unsigned i = 0; i < n; i++) {
        struct kr_worker *w = &ws->w[i];
        w->id = i + 1;
        w->group = ws;
        snprintf(w->tag, sizeof(w->tag), "w%u", w->id);
        if (kr_loop_init(&w->loop) != 0) {
            kr_workers_fini(ws);
            return KR_EIO;
        }
        kr_arena_init(&w->arena, KR_WORKER_ARENA_CHUNK, KR_WORKER_ARENA_CAP);
        ws->n = i + 1;
    }
    return 0;
}

static void report(struct kr_workers *ws, int rc)
{
    pthread_mutex_lock(&ws->mu);
    ws->reported++;
    if (rc != 0 && ws->first_err == 0) {
        ws->first_err = rc;
    }
    pthread_cond_broadcast(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
}

static void *worker_main(void *p)
{
    struct kr_worker *w = p;
    struct kr_workers *ws = w->group;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    kr_log_set_thread(w->tag);
    cur_worker = w;

    int rc = ws->init ? ws->init(w, ws->arg) : 0;
    if (rc > 0) {
        rc = KR_EINVAL;
    }
    report(ws, rc);
    if (rc != 0) {
        KR_DBG("worker init failed: %s", kr_strerror(rc));
        cur_worker = NULL;
        return NULL;
    }
    if (kr_loop_run(&w->loop) != 0) {
        KR_CRIT("event loop failed; worker stops");
    }
    if (ws->fini) {
        ws->fini(w, ws->arg);
    }
    cur_worker = NULL;
    return NULL;
}

int kr_workers_start(struct kr_workers *ws, kr_worker_init_fn *init, kr_worker_fini_fn *fini,
                     void *arg, struct kr_err *err)
{
    ws->init = init;
    ws->fini = fini;
    ws->arg = arg;
    ws->reported = 0;
    ws->first_err = 0;
    unsigned started = 0;
    int rc = 0;
    for (unsigned i = 0; i < ws->n; i++) {
        struct kr_worker *w = &ws->w[i];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            rc = kr_err_set(err, KR_ENOMEM, 0, "cannot create a worker thread");
            break;
        }
        w->started = true;
        started++;
    }
    pthread_mutex_lock(&ws->mu);
    while (ws->reported < started) {
        pthread_cond_wait(&ws->cv, &ws->mu);
    }
    if (rc == 0 && ws->first_err != 0) {
        rc = kr_err_set(err, ws->first_err, 0, "worker initialisation failed");
    }
    pthread_mutex_unlock(&ws->mu);
    if (rc != 0) {
        kr_workers_stop(ws);
    }
    return rc;
}

void kr_workers_stop(struct kr_workers *ws)
{
    for (unsigned i = 0; i < ws->n; i++) {
        if (ws->w[i].started) {
            kr_loop_stop(&ws->w[i].loop);
        }
    }
    for (unsigned i = 0; i < ws->n; i++) {
        if (ws->w[i].started) {
            pthread_join(ws->w[i].thread, NULL);
            ws->w[i].started = false;
        }
    }
}

void kr_workers_fini(struct kr_workers *ws)
{
    if (!ws->w) {
        return;
    }
    for (unsigned i = 0; i < ws->n; i++) {
        kr_loop_fini(&ws->w[i].loop);
        kr_arena_fini(&ws->w[i].arena);
    }
    pthread_cond_destroy(&ws->cv);
    pthread_mutex_destroy(&ws->mu);
    free(ws->w);
    ws->w = NULL;
    ws->n = 0;
}
