/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the benchmark's programs (sipload, msrpload, bytepump) share: options, clocks,
 * message templates, socket helpers, the load threads and the measured window they run in
 * (counters, latency histogram, the server's CPU and memory read from /proc). Not part of
 * korero. Messages name the program (its argv[0] base name). The caller owns every
 * object; the pool's threads each touch only their own struct bench_thread. */
#pragma once

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- options, numbers */

/* The number in s, lo..hi; otherwise "PROG: bad WHAT 'S' (LO..HI)" and exit(2). */
long bench_parse_long(const char *s, long lo, long hi, const char *what);
/* The number in s, lo..hi; otherwise "PROG: bad WHAT 'S'" and exit(2). */
double bench_parse_double(const char *s, double lo, double hi, const char *what);

enum bench_opt_kind {
    BENCH_OPT_STR,    /* const char *: the argument itself */
    BENCH_OPT_UINT,   /* unsigned, lo..hi */
    BENCH_OPT_LONG,   /* long, lo..hi */
    BENCH_OPT_SIZE,   /* size_t, lo..hi */
    BENCH_OPT_DOUBLE, /* double, lo..hi */
    BENCH_OPT_FLAG,   /* bool, set to true; no argument */
};

/* One command-line option: where its value goes, its default. Whole-number bounds are
 * exact in a double (they are below 2^53). */
struct bench_opt {
    int key; /* getopt's answer: the option letter, or a long option's value */
    enum bench_opt_kind kind;
    void *dst;
    double lo;
    double hi;
    const char *what; /* its name in the error message */
    const char *def;  /* the default, as if given on the command line; NULL: none */
};

/* Stores every entry's default (those with one) in its dst. */
void bench_opt_defaults(const struct bench_opt *opts, size_t n);

/* Stores arg as the entry of opts[0..n) with this key says (numbers parsed and range
 * checked as above: a bad one exits 2). False when no entry has the key. */
bool bench_opt_store(const struct bench_opt *opts, size_t n, int key, const char *arg);

/* ---------------------------------------------------------------- time, text */

uint64_t bench_now_ns(void); /* CLOCK_MONOTONIC */
void bench_sleep_s(double s);

/* a[0..alen) equals the lower-case literal lit, ignoring case. */
bool bench_ci_eq(const char *a, size_t alen, const char *lit);

extern const char bench_hexd[16]; /* "0123456789abcdef" */

/* v as 16 lower-case hex digits at p (no NUL). */
void bench_put_hex16(char *p, uint64_t v);

/* A message template holds this where each message gets its 16 hex digits. */
#define BENCH_MARK "################"

/* Formats a message template into buf (cap bytes, NUL-terminated), its length into *len
 * and the offsets of its first n marks, in order, into off[]; the format must put n marks
 * in. -1 when the template does not fit. */
int bench_template(char *buf, size_t cap, size_t *len, size_t *off, unsigned n, const char *fmt,
                   ...) __attribute__((format(printf, 6, 7)));

/* ---------------------------------------------------------------- sockets */

/* IPv4 address host:port into sa; -1 (with a message) when host is not one. */
int bench_resolve(const char *host, unsigned port, struct sockaddr_in *sa);

/* Writes tx[*off..*len) to fd without blocking, as much as the socket takes; once all is
 * written both go back to 0. 0: written or the socket is full; -1: the connection failed
 * (errno says why). */
int bench_tx_flush(int fd, const char *tx, size_t *off, size_t *len);

/* Changes the epoll events of fd (registered with data.ptr = ptr) to want, unless *mask
 * already says want; *mask remembers them. */
void bench_ep_mask(int ep, int fd, void *ptr, uint32_t *mask, uint32_t want);

/* ---------------------------------------------------------------- server's process tree */

/* Memory of root's tree in kB: PSS summed (shared pages counted once overall) and VmRSS
 * summed (shared pages counted in every process that touched them). */
void bench_tree_mem(long root, long long *pss_kb, long long *rss_kb);

/* ---------------------------------------------------------------- counters, snapshots */

#define BENCH_CNT_MAX 16
/* Latency buckets: 1 us up to 1 ms, 10 us up to 10 ms, 1 ms up to 1 s, then the rest. */
#define BENCH_HIST_N 2891

/* What one load thread counts: up to BENCH_CNT_MAX numbers, indexed by the program's own
 * enum, and latencies. The thread bumps them (relaxed atomics), the main thread sums all
 * threads' at the edges of the measured window. Zeroed memory is a valid start. */
struct bench_counters {
    _Atomic uint64_t n[BENCH_CNT_MAX];
    _Atomic uint64_t hist[BENCH_HIST_N];
};

void bench_count(struct bench_counters *k, unsigned which, uint64_t n);
void bench_count_lat(struct bench_counters *k, uint64_t us); /* one latency, microseconds */

/* The clocks at one edge of a measured window. */
struct bench_cpu {
    uint64_t t_ns;   /* CLOCK_MONOTONIC */
    long long ticks; /* the server tree's CPU (all threads, utime + stime + cutime + cstime,
                      * clock ticks); 0 without a server, -1 when unreadable */
    double self;     /* this process's CPU seconds (user + system, all threads) */
};

/* All load threads' counters and the clocks at one edge of the measured window. */
struct bench_snap {
    uint64_t n[BENCH_CNT_MAX];
    uint64_t hist[BENCH_HIST_N];
    struct bench_cpu cpu;
};

/* Latency percentiles in microseconds, from the buckets' upper bounds; 0 without samples. */
struct bench_lat {
    double avg;
    double p50;
    double p99;
};

/* What a measured window gives: the snapshots at its edges, what follows from them. */
struct bench_result {
    struct bench_snap a; /* at the opening */
    struct bench_snap z; /* at the close */
    double secs;         /* its length */
    double server_cpu;   /* the server's CPU seconds; -1: no server, or its reading failed */
    double client_cpu;   /* this process's */
    struct bench_lat lat;
};

/* How much counter `which` grew in the window. */
uint64_t bench_delta(const struct bench_result *r, unsigned which);

/* ---------------------------------------------------------------- load threads */

/* One load thread: the items it serves (connections, pairs of them) on its own epoll
 * set, its counters. Only that thread touches them while the pool runs. */
struct bench_thread {
    pthread_t th;
    int ep;
    struct bench_counters cnt;
    atomic_bool *stop; /* the pool's: set when the window closes, then the thread returns */
    void **items;      /* dealt in turn by bench_pool_deal */
    unsigned nitems;
    void *ctx; /* the program's state, shared by all threads */
};

struct bench_pool {
    struct bench_thread *t;
    unsigned n;
    unsigned dealt;
    atomic_bool stop;
    void *ctx;
};

/* n threads (not started yet) for up to max_items items in all; ctx goes to each thread.
 * The pool must stay where it is until bench_pool_fini. -1 (with a message) when memory
 * or an epoll set is missing. */
int bench_pool_init(struct bench_pool *p, unsigned n, unsigned max_items, void *ctx);

/* Gives item to the next thread in turn; returns that thread. At most max_items calls. */
struct bench_thread *bench_pool_deal(struct bench_pool *p, void *item);

/* The measured window of a load. */
struct bench_window {
    double warmup;   /* seconds before it opens */
    double duration; /* measured seconds */
    long pid;        /* the server whose CPU is read; 0: none */
    /* Sleeps s seconds, or less when the load has ended early (ctx: the pool's).
     * NULL: bench_sleep_s. */
    void (*wait)(void *ctx, double s);
};

/* Starts every thread on fn(its struct bench_thread), lets the warm-up pass, opens the
 * window, lets it pass, closes it, sets stop and joins the threads; what the window saw
 * into r. -1 (with a message) when a thread cannot start. */
int bench_pool_run(struct bench_pool *p, void *(*fn)(void *), const struct bench_window *w,
                   struct bench_result *r);

/* Closes the epoll sets and frees the threads' state (not the items). */
void bench_pool_fini(struct bench_pool *p);
