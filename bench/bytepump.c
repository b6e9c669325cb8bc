/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bytepump: the ceiling of bench/msrp.sh. A plain TCP relay that pairs accepted
 * connections in order (1st with 2nd, 3rd with 4th, ...) and copies each one's bytes to
 * the other unchanged, socket -> pipe -> socket with splice(2), on epoll. The main
 * thread accepts; pairs are dealt round-robin to T worker threads (-T, default 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define PIPE_WANT (1024 * 1024)
#define MAX_THREADS 64

struct pair;

/* One side of a pair. Direction d carries bytes from end d to end 1-d through pipe d. */
struct end {
    int fd;
    int side;
    uint32_t mask; /* epoll events currently asked for */
    struct pair *p;
};

struct pair {
    struct end e[2];
    int pipe[2][2];
    size_t held[2]; /* bytes waiting in pipe d */
    size_t cap[2];
    bool dead;
    struct pair *next_dead;
};

struct worker {
    pthread_t th;
    int ep;
};

static void usage(void)
{
    fprintf(stderr, "usage: bytepump [-a HOST] -p PORT [-T THREADS]\n");
    exit(2);
}

static void update_masks(int ep, struct pair *p)
{
    for (int s = 0; s < 2; s++) {
        uint32_t want = 0;
        if (p->held[s] < p->cap[s]) {
            want |= EPOLLIN; /* room to take more of this side's bytes */
        }
        if (p->held[1 - s] > 0) {
            want |= EPOLLOUT; /* bytes waiting for this side */
        }
        bench_ep_mask(ep, p->e[s].fd, &p->e[s], &p->e[s].mask, want);
    }
}

static void pair_kill(int ep, struct pair *p, struct pair **dead)
{
    if (p->dead) {
        return;
    }
    p->dead = true;
    for (int s = 0; s < 2; s++) {
        epoll_ctl(ep, EPOLL_CTL_DEL, p->e[s].fd, NULL);
        close(p->e[s].fd);
        close(p->pipe[s][0]);
        close(p->pipe[s][1]);
    }
    p->next_dead = *dead;
    *dead = p;
}

/* Moves what pipe d holds to end 1-d. Returns -1 when the pair must close. */
static int drain(struct pair *p, int d)
{
    while (p->held[d] > 0) {
        ssize_t n = splice(p->pipe[d][0], NULL, p->e[1 - d].fd, NULL, p->held[d],
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN ? 0 : -1;
        }
        p->held[d] -= (size_t)n;
    }
    return 0;
}

/* Takes end d's readable bytes into pipe d and passes them on. Returns -1 on EOF or
 * error. */
static int fill(struct pair *p, int d)
{
    while (p->held[d] < p->cap[d]) {
        ssize_t n = splice(p->e[d].fd, NULL, p->pipe[d][1], NULL, p->cap[d] - p->held[d],
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n == 0) {
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN ? 0 : -1;
        }
        p->held[d] += (size_t)n;
        if (drain(p, d) != 0) {
            return -1;
        }
    }
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[128];

    for (;;) {
        struct pair *dead = NULL;
        int n = epoll_wait(w->ep, evs, 128, -1);

        for (int i = 0; i < n; i++) {
            struct end *e = evs[i].data.ptr;
            struct pair *p = e->p;
            int s = e->side;
            int rc = 0;

            if (p->dead) {
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                rc = drain(p, 1 - s);
            }
            if (rc == 0 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                rc = fill(p, s);
            }
            if (rc != 0) {
                pair_kill(w->ep, p, &dead);
                continue;
            }
            update_masks(w->ep, p);
        }
        while (dead != NULL) {
            struct pair *next = dead->next_dead;
            free(dead);
            dead = next;
        }
    }
    return NULL;
}

static int pair_start(struct worker *w, int fd0, int fd1)
{
    struct pair *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return -1;
    }
    for (int s = 0; s < 2; s++) {
        if (pipe2(p->pipe[s], O_NONBLOCK | O_CLOEXEC) != 0) {
            perror("bytepump: pipe2");
            return -1;
        }
        (void)fcntl(p->pipe[s][1], F_SETPIPE_SZ, PIPE_WANT);
        p->cap[s] = (size_t)fcntl(p->pipe[s][1], F_GETPIPE_SZ);
    }
    p->e[0].fd = fd0;
    p->e[1].fd = fd1;
    for (int s = 0; s < 2; s++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->e[s] };
        p->e[s].side = s;
        p->e[s].p = p;
        p->e[s].mask = EPOLLIN;
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, p->e[s].fd, &ev) != 0) {
            perror("bytepump: epoll_ctl");
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = NULL;
    unsigned port = 0;
    unsigned nthreads = 0;
    struct worker ws[MAX_THREADS];
    struct sockaddr_in sa;
    int lfd;
    int one = 1;
    int held = -1;
    unsigned next = 0;
    const struct bench_opt tab[] = {
        { 'a', BENCH_OPT_STR, &host, 0, 0, "host", "127.0.0.1" },
        { 'p', BENCH_OPT_UINT, &port, 1, 65535, "port", NULL },
        { 'T', BENCH_OPT_UINT, &nthreads, 1, MAX_THREADS, "threads", "1" },
    };
    int c;

    bench_opt_defaults(tab, sizeof(tab) / sizeof(tab[0]));
    while ((c = getopt(argc, argv, "a:p:T:")) != -1) {
        if (!bench_opt_store(tab, sizeof(tab) / sizeof(tab[0]), c, optarg)) {
            usage();
        }
    }
    if (port == 0) {
        usage();
    }
    signal(SIGPIPE, SIG_IGN);
    if (bench_resolve(host, port, &sa) != 0) {
        return 2;
    }
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        perror("bytepump: socket");
        return 1;
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0) {
        fprintf(stderr, "bytepump: bind/listen %s:%u: %s\n", host, port, strerror(errno));
        return 1;
    }
    for (unsigned t = 0; t < nthreads; t++) {
        ws[t].ep = epoll_create1(EPOLL_CLOEXEC);
        if (ws[t].ep < 0 || pthread_create(&ws[t].th, NULL, worker_main, &ws[t]) != 0) {
            fprintf(stderr, "bytepump: cannot start worker %u\n", t);
            return 1;
        }
    }
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            perror("bytepump: accept");
            if (errno == EMFILE || errno == ENFILE) {
                sleep(1);
                continue;
            }
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (held < 0) {
            held = fd;
            continue;
        }
        if (pair_start(&ws[next % nthreads], held, fd) != 0) {
            close(held);
            close(fd);
        }
        held = -1;
        next++;
    }
}
