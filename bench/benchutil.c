/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the benchmark's programs (see benchutil.h). Plain libc and Linux
 * (/proc, epoll); no state of its own, callable from any thread. */
#include "benchutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- options, numbers */

long bench_parse_long(const char *s, long lo, long hi, const char *what)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "%s: bad %s '%s' (%ld..%ld)\n", program_invocation_short_name, what, s, lo,
                hi);
        exit(2);
    }
    return v;
}

double bench_parse_double(const char *s, double lo, double hi, const char *what)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "%s: bad %s '%s'\n", program_invocation_short_name, what, s);
        exit(2);
    }
    return v;
}

void bench_opt_defaults(const struct bench_opt *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (opts[i].def != NULL) {
            (void)bench_opt_store(&opts[i], 1, opts[i].key, opts[i].def);
        }
    }
}

bool bench_opt_store(const struct bench_opt *opts, size_t n, int key, const char *arg)
{
    for (size_t i = 0; i < n; i++) {
        const struct bench_opt *o = &opts[i];

        if (o->key != key) {
            continue;
        }
        switch (o->kind) {
        case BENCH_OPT_STR:
            *(const char **)o->dst = arg;
            break;
        case BENCH_OPT_UINT:
            *(unsigned *)o->dst =
                (unsigned)bench_parse_long(arg, (long)o->lo, (long)o->hi, o->what);
            break;
        case BENCH_OPT_LONG:
            *(long *)o->dst = bench_parse_long(arg, (long)o->lo, (long)o->hi, o->what);
            break;
        case BENCH_OPT_SIZE:
            *(size_t *)o->dst = (size_t)bench_parse_long(arg, (long)o->lo, (long)o->hi, o->what);
            break;
        case BENCH_OPT_DOUBLE:
            *(double *)o->dst = bench_parse_double(arg, o->lo, o->hi, o->what);
            break;
        case BENCH_OPT_FLAG:
            *(bool *)o->dst = true;
            break;
        }
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------- time, text */

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_s(double s)
{
    struct timespec ts;

    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* User + system seconds of this process, all threads. */
static double self_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

bool bench_ci_eq(const char *a, size_t alen, const char *lit)
{
    size_t n = strlen(lit);

    if (alen != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (tolower((unsigned char)a[i]) != lit[i]) {
            return false;
        }
    }
    return true;
}

const char bench_hexd[16] = { '0', '1', '2', '3', '4', '5', '6', '7',
                              '8', '9', 'a', 'b', 'c', 'd', 'e', 'f' };

void bench_put_hex16(char *p, uint64_t v)
{
    for (int i = 15; i >= 0; i--) {
        p[i] = bench_hexd[v & 0xf];
        v >>= 4;
    }
}

int bench_template(char *buf, size_t cap, size_t *len, size_t *off, unsigned n, const char *fmt,
                   ...)
{
    va_list ap;
    int r;
    const char *p = buf;

    va_start(ap, fmt);
    r = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= cap) {
        return -1;
    }
    *len = (size_t)r;
    for (unsigned i = 0; i < n; i++) {
        p = strstr(p, BENCH_MARK);
        off[i] = (size_t)(p - buf);
        p += sizeof(BENCH_MARK) - 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- latency histogram */

static unsigned hist_idx(uint64_t us)
{
    if (us < 1000) {
        return (unsigned)us;
    }
    if (us < 10000) {
        return 1000 + (unsigned)((us - 1000) / 10);
    }
    if (us < 1000000) {
        return 1900 + (unsigned)((us - 10000) / 1000);
    }
    return BENCH_HIST_N - 1;
}

/* The upper bound of bucket i, in microseconds. */
static double hist_val(unsigned i)
{
    if (i < 1000) {
        return i + 1;
    }
    if (i < 1900) {
        return 1000 + (double)(i - 1000 + 1) * 10;
    }
    return 10000 + (double)(i - 1900 + 1) * 1000;
}

/* Latency of the samples counted between two snapshots' histograms a and z. */
static void hist_stats(const uint64_t *a, const uint64_t *z, struct bench_lat *out)
{
    uint64_t total = 0;
    uint64_t cum = 0;

    out->avg = 0;
    out->p50 = 0;
    out->p99 = 0;
    for (unsigned j = 0; j < BENCH_HIST_N; j++) {
        total += z[j] - a[j];
        out->avg += hist_val(j) * (double)(z[j] - a[j]);
    }
    for (unsigned j = 0; j < BENCH_HIST_N && total > 0; j++) {
        cum += z[j] - a[j];
        if (out->p50 == 0 && cum * 2 >= total) {
            out->p50 = hist_val(j);
        }
        if (cum * 100 >= total * 99) {
            out->p99 = hist_val(j);
            break;
        }
    }
    out->avg = total > 0 ? out->avg / (double)total : 0;
}

/* ---------------------------------------------------------------- sockets */

int bench_resolve(const char *host, unsigned port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        fprintf(stderr, "%s: '%s' is not an IPv4 address\n", program_invocation_short_name, host);
        return -1;
    }
    return 0;
}

int bench_tx_flush(int fd, const char *tx, size_t *off, size_t *len)
{
    while (*off < *len) {
        ssize_t r = send(fd, tx + *off, *len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return -1;
        }
        *off += (size_t)r;
    }
    if (*off == *len) {
        *off = 0;
        *len = 0;
    }
    return 0;
}

void bench_ep_mask(int ep, int fd, void *ptr, uint32_t *mask, uint32_t want)
{
    if (want != *mask) {
        struct epoll_event ev = { .events = want, .data.ptr = ptr };
        *mask = want;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    }
}

/* ---------------------------------------------------------------- server's process tree */

/* PIDs of root and its descendants, parents before children, at most max into out.
 * Returns the count, or -1 when /proc cannot be read. */
static long tree_pids(long root, long *out, long max)
{
    struct pinfo {
        long pid;
        long ppid;
    };
    enum { MAXP = 65536 };
    struct pinfo *ps = malloc(sizeof(*ps) * MAXP);
    size_t n = 0;
    long k = 0;
    DIR *d;
    struct dirent *de;

    if (ps == NULL) {
        return -1;
    }
    d = opendir("/proc");
    if (d == NULL) {
        free(ps);
        return -1;
    }
    while ((de = readdir(d)) != NULL && n < MAXP) {
        char path[300];
        char buf[512];
        ssize_t r;
        int fd;
        const char *p;

        if (!isdigit((unsigned char)de->d_name[0])) {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            continue;
        }
        r = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (r <= 0) {
            continue;
        }
        buf[r] = '\0';
        p = strrchr(buf, ')');
        if (p == NULL || strlen(p) < 5) {
            continue;
        }
        ps[n].pid = strtol(de->d_name, NULL, 10);
        ps[n].ppid = strtol(p + 4, NULL, 10); /* ") S PPID" */
        n++;
    }
    closedir(d);
    out[k++] = root;
    for (long i = 0; i < k && k < max; i++) { /* breadth first: parents before children */
        for (size_t j = 0; j < n && k < max; j++) {
            if (ps[j].ppid == out[i]) {
                out[k++] = ps[j].pid;
            }
        }
    }
    free(ps);
    return k;
}

/* Reads a small /proc file into buf (NUL-terminated); false when it cannot. */
static bool read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    size_t have = 0;

    if (fd < 0) {
        return false;
    }
    while (have < cap - 1) {
        ssize_t r = read(fd, buf + have, cap - 1 - have);
        if (r <= 0) {
            break;
        }
        have += (size_t)r;
    }
    close(fd);
    buf[have] = '\0';
    return have > 0;
}

/* utime+stime+cutime+cstime (ticks) of a process, all its threads included; -1 if it is
 * gone. */
static long long proc_ticks(long pid)
{
    char path[64];
    char buf[1024];
    const char *p;
    long long f[16];
    int k = 0;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (!read_small(path, buf, sizeof(buf))) {
        return -1;
    }
    p = strrchr(buf, ')');
    if (p == NULL) {
        return -1;
    }
    p += 2; /* ") " */
    if (*p != '\0') {
        p++; /* state */
    }
    /* fields 4.. : ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
     * stime cutime cstime */
    while (k < 14 && *p != '\0') {
        char *end = NULL;
        f[k++] = strtoll(p, &end, 10);
        if (end == p) {
            return -1;
        }
        p = end;
    }
    if (k < 14) {
        return -1;
    }
    return f[10] + f[11] + f[12] + f[13];
}

/* utime + stime + cutime + cstime (clock ticks) summed over root's tree; -1 when /proc
 * cannot be read. */
static long long tree_ticks(long root)
{
    long pids[4096];
    long n = tree_pids(root, pids, 4096);
    long long sum = 0;

    if (n <= 0) {
        return -1;
    }
    for (long i = 0; i < n; i++) {
        long long t = proc_ticks(pids[i]);
        if (t > 0) {
            sum += t;
        }
    }
    return sum;
}

/* `key:   N kB` in a /proc text file, in kB; -1 if absent. */
static long long proc_kb(long pid, const char *file, const char *key)
{
    char path[64];
    char buf[8192];
    const char *p;
    size_t kl = strlen(key);

    snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
    if (!read_small(path, buf, sizeof(buf))) {
        return -1;
    }
    for (p = buf; p != NULL && *p != '\0';) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
            return strtoll(p + kl + 1, NULL, 10);
        }
        p = strchr(p, '\n');
        if (p != NULL) {
            p++;
        }
    }
    return -1;
}

void bench_tree_mem(long root, long long *pss_kb, long long *rss_kb)
{
    long pids[4096];
    long n = tree_pids(root, pids, 4096);

    *pss_kb = 0;
    *rss_kb = 0;
    for (long i = 0; i < n; i++) {
        long long pss = proc_kb(pids[i], "smaps_rollup", "Pss");
        long long rss = proc_kb(pids[i], "status", "VmRSS");
        *pss_kb += pss > 0 ? pss : 0;
        *rss_kb += rss > 0 ? rss : 0;
    }
}

/* ---------------------------------------------------------------- counters, snapshots */

void bench_count(struct bench_counters *k, unsigned which, uint64_t n)
{
    atomic_fetch_add_explicit(&k->n[which], n, memory_order_relaxed);
}

void bench_count_lat(struct bench_counters *k, uint64_t us)
{
    atomic_fetch_add_explicit(&k->hist[hist_idx(us)], 1, memory_order_relaxed);
}

/* Sums the threads' counters into s, then reads the clocks (pid: the server; 0: none). */
static void snap_take(struct bench_snap *s, struct bench_pool *p, long pid)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < p->n; i++) {
        struct bench_counters *k = &p->t[i].cnt;
        for (unsigned j = 0; j < BENCH_CNT_MAX; j++) {
            s->n[j] += atomic_load_explicit(&k->n[j], memory_order_relaxed);
        }
        for (unsigned j = 0; j < BENCH_HIST_N; j++) {
            s->hist[j] += atomic_load_explicit(&k->hist[j], memory_order_relaxed);
        }
    }
    s->cpu.t_ns = bench_now_ns();
    s->cpu.ticks = pid > 0 ? tree_ticks(pid) : 0;
    s->cpu.self = self_cpu();
}

static void result_fill(long pid, struct bench_result *r)
{
    const struct bench_snap *a = &r->a;
    const struct bench_snap *z = &r->z;

    r->secs = (double)(z->cpu.t_ns - a->cpu.t_ns) / 1e9;
    r->server_cpu = pid > 0 && a->cpu.ticks >= 0 && z->cpu.ticks >= 0
                        ? (double)(z->cpu.ticks - a->cpu.ticks) / (double)sysconf(_SC_CLK_TCK)
                        : -1;
    r->client_cpu = z->cpu.self - a->cpu.self;
    hist_stats(a->hist, z->hist, &r->lat);
}

uint64_t bench_delta(const struct bench_result *r, unsigned which)
{
    return r->z.n[which] - r->a.n[which];
}

/* ---------------------------------------------------------------- load threads */

int bench_pool_init(struct bench_pool *p, unsigned n, unsigned max_items, void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->ctx = ctx;
    p->t = calloc(n, sizeof(*p->t));
    if (p->t == NULL) {
        fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        struct bench_thread *t = &p->t[i];
        t->stop = &p->stop;
        t->ctx = ctx;
        t->ep = epoll_create1(EPOLL_CLOEXEC);
        t->items = calloc(max_items, sizeof(*t->items));
        p->n++;
        if (t->ep < 0 || t->items == NULL) {
            fprintf(stderr, "%s: cannot set up load thread %u: %s\n", program_invocation_short_name,
                    i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

struct bench_thread *bench_pool_deal(struct bench_pool *p, void *item)
{
    struct bench_thread *t = &p->t[p->dealt++ % p->n];

    t->items[t->nitems++] = item;
    return t;
}

static void window_wait(const struct bench_pool *p, const struct bench_window *w, double s)
{
    if (w->wait != NULL) {
        w->wait(p->ctx, s);
    } else {
        bench_sleep_s(s);
    }
}

int bench_pool_run(struct bench_pool *p, void *(*fn)(void *), const struct bench_window *w,
                   struct bench_result *r)
{
    for (unsigned i = 0; i < p->n; i++) {
        if (pthread_create(&p->t[i].th, NULL, fn, &p->t[i]) != 0) {
            fprintf(stderr, "%s: cannot start thread\n", program_invocation_short_name);
            return -1;
        }
    }
    window_wait(p, w, w->warmup);
    snap_take(&r->a, p, w->pid);
    window_wait(p, w, w->duration);
    snap_take(&r->z, p, w->pid);
    atomic_store(&p->stop, true);
    for (unsigned i = 0; i < p->n; i++) {
        pthread_join(p->t[i].th, NULL);
    }
    result_fill(w->pid, r);
    return 0;
}

void bench_pool_fini(struct bench_pool *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        if (p->t[i].ep >= 0) {
            close(p->t[i].ep);
        }
        free(p->t[i].items);
    }
    free(p->t);
    p->t = NULL;
    p->n = 0;
}
