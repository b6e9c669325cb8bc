/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipload: closed-loop SIP OPTIONS load generator, 200-OK responder, readiness probe and
 * free-port finder for bench/run.sh and bench/msrp.sh. libc + pthreads and
 * bench/benchutil.c (Linux: epoll, recvmmsg/sendmmsg, /proc). Each client thread owns its
 * sockets; the main thread only reads atomic counters and the server's /proc accounting
 * at the window edges.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "benchutil.h"

#define BATCH 64
#define UDP_MAX 4096
#define TMPL_MAX 640
#define REPLY_MAX 4096
#define RX_CAP (256 * 1024)
#define MAX_CONNS 4096
#define MAX_SLOTS 65535

/* ---------------------------------------------------------------- options */

struct opts {
    bool tcp;
    const char *host;
    unsigned port;
    unsigned window;  /* requests outstanding, over all connections */
    unsigned conns;   /* sockets (UDP) or connections (TCP) */
    unsigned threads; /* client threads */
    double duration;  /* measured seconds */
    double warmup;    /* seconds before the window opens */
    unsigned timeout_ms;
    long pid; /* server process whose tree's CPU is measured, 0: none */
};

static void usage(void)
{
    fprintf(stderr, "usage: sipload client  -t udp|tcp -a HOST -p PORT [-w WINDOW] [-c CONNS]\n"
                    "                       [-T THREADS] [-d SECONDS] [-u WARMUP] [-x TIMEOUT_MS]\n"
                    "                       [-P SERVER_PID]\n"
                    "       sipload respond -t udp|tcp -a HOST -p PORT\n"
                    "       sipload ping    -t udp|tcp -a HOST -p PORT [-x TIMEOUT_MS]\n"
                    "       sipload freeport [N]\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
    const struct bench_opt tab[] = {
        { 'a', BENCH_OPT_STR, &o->host, 0, 0, "host", "127.0.0.1" },
        { 'p', BENCH_OPT_UINT, &o->port, 1, 65535, "port", NULL },
        { 'w', BENCH_OPT_UINT, &o->window, 1, 1000000, "window", "200" },
        { 'c', BENCH_OPT_UINT, &o->conns, 1, MAX_CONNS, "connections", NULL },
        { 'T', BENCH_OPT_UINT, &o->threads, 1, 64, "threads", "1" },
        { 'd', BENCH_OPT_DOUBLE, &o->duration, 0.1, 86400, "duration", "10" },
        { 'u', BENCH_OPT_DOUBLE, &o->warmup, 0, 3600, "warm-up", "1" },
        { 'x', BENCH_OPT_UINT, &o->timeout_ms, 1, 600000, "timeout", "1000" },
        { 'P', BENCH_OPT_LONG, &o->pid, 1, 0x7fffffff, "pid", NULL },
    };
    int c;

    memset(o, 0, sizeof(*o)); /* UDP; conns 0: chosen below */
    bench_opt_defaults(tab, sizeof(tab) / sizeof(tab[0]));
    while ((c = getopt(argc, argv, "t:a:p:w:c:T:d:u:x:P:")) != -1) {
        if (c == 't' && strcmp(optarg, "udp") == 0) {
            o->tcp = false;
        } else if (c == 't' && strcmp(optarg, "tcp") == 0) {
            o->tcp = true;
        } else if (!bench_opt_store(tab, sizeof(tab) / sizeof(tab[0]), c, optarg)) {
            usage(); /* also -t with another word: 't' is not in the table */
        }
    }
    if (o->port == 0) {
        usage();
    }
    if (o->conns == 0) {
        o->conns = o->tcp ? 4 : 16;
    }
    if (o->conns > o->window) {
        o->conns = o->window;
    }
    if (o->threads > o->conns) {
        o->threads = o->conns;
    }
    if ((o->window + o->conns - 1) / o->conns > MAX_SLOTS) {
        fprintf(stderr, "sipload: window too large for %u connections\n", o->conns);
        exit(2);
    }
}

/* ---------------------------------------------------------------- helpers */

/* Header lines of a message: the callback sees each header line (name, line start and
 * length without CRLF). Stops at the empty line or at the end of `len`. Folded lines
 * are not joined: the benchmark's peers never fold. */
struct hdr {
    const char *name;
    size_t name_len;
    const char *line;
    size_t line_len;
    const char *val;
    size_t val_len;
};

/* Returns the next header after position *pos (start: 0 = request/status line not yet
 * skipped), or false at the end of the header block. */
static bool hdr_next(const char *m, size_t len, size_t *pos, struct hdr *h)
{
    size_t p = *pos;
    size_t e;
    size_t colon;

    if (p == 0) {
        const char *nl = memchr(m, '\n', len);
        if (nl == NULL) {
            return false;
        }
        p = (size_t)(nl - m) + 1;
    }
    if (p >= len) {
        return false;
    }
    {
        const char *nl = memchr(m + p, '\n', len - p);
        e = nl != NULL ? (size_t)(nl - m) : len;
    }
    *pos = e + 1;
    if (e > p && m[e - 1] == '\r') {
        e--;
    }
    if (e == p) {
        return false; /* empty line: end of headers */
    }
    h->line = m + p;
    h->line_len = e - p;
    colon = p;
    while (colon < e && m[colon] != ':') {
        colon++;
    }
    h->name = m + p;
    h->name_len = colon - p;
    while (h->name_len > 0 &&
           (h->name[h->name_len - 1] == ' ' || h->name[h->name_len - 1] == '\t')) {
        h->name_len--;
    }
    if (colon < e) {
        colon++;
    }
    while (colon < e && (m[colon] == ' ' || m[colon] == '\t')) {
        colon++;
    }
    h->val = m + colon;
    h->val_len = e - colon;
    return true;
}

static bool hdr_is(const struct hdr *h, const char *full, const char *compact)
{
    return bench_ci_eq(h->name, h->name_len, full) ||
           (compact != NULL && bench_ci_eq(h->name, h->name_len, compact));
}

/* Length of the complete SIP message at the start of buf (headers + Content-Length
 * body), 0 if more bytes are needed, -1 if it cannot be framed. */
static long sip_frame(const char *buf, size_t len)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    size_t hlen;
    size_t pos = 0;
    size_t cl = 0;
    struct hdr h;

    if (end == NULL) {
        return len > RX_CAP / 2 ? -1 : 0;
    }
    hlen = (size_t)(end - buf) + 4;
    while (hdr_next(buf, hlen, &pos, &h)) {
        if (hdr_is(&h, "content-length", "l")) {
            cl = 0;
            for (size_t i = 0; i < h.val_len && isdigit((unsigned char)h.val[i]); i++) {
                cl = cl * 10 + (size_t)(h.val[i] - '0');
                if (cl > RX_CAP / 2) {
                    return -1;
                }
            }
        }
    }
    if (hlen + cl > len) {
        return 0;
    }
    return (long)(hlen + cl);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0) {
        return -1;
    }
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---------------------------------------------------------------- client */

struct slot {
    uint32_t gen;
    uint64_t sent_ns;
};

struct conn {
    int fd;
    unsigned idx;
    bool tcp;
    bool dead;
    uint32_t mask; /* epoll events asked for (TCP) */
    char tmpl[TMPL_MAX];
    size_t tmpl_len;
    size_t off_branch;
    size_t off_callid;
    struct slot *slots;
    unsigned nslots;
    char *rx;
    size_t rx_len;
    char *tx;
    size_t tx_len;
    size_t tx_off;
    size_t tx_cap;
};

/* The client's counters (struct bench_counters): 200s, other final replies, requests
 * resent after a timeout, replies to no outstanding request, connections lost. */
enum { C_OK, C_OTHER, C_TIMEOUTS, C_STALE, C_DEAD };

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Builds the request template of a connection; the two 16-hex-digit id fields
 * (branch, Call-ID) are patched per request. */
static int build_template(struct conn *c, const struct opts *o, const struct sockaddr_in *local)
{
    char lhost[INET_ADDRSTRLEN];
    const char *marker = BENCH_MARK;
    size_t off[2];

    inet_ntop(AF_INET, &local->sin_addr, lhost, sizeof(lhost));
    if (bench_template(c->tmpl, sizeof(c->tmpl), &c->tmpl_len, off, 2,
                       "OPTIONS sip:bench@%s:%u SIP/2.0\r\n"
                       "Via: SIP/2.0/%s %s:%u;rport;branch=z9hG4bK%s\r\n"
                       "Max-Forwards: 70\r\n"
                       "From: <sip:sipload@%s>;tag=%u\r\n"
                       "To: <sip:bench@%s:%u>\r\n"
                       "Call-ID: %s@sipload\r\n"
                       "CSeq: 1 OPTIONS\r\n"
                       "User-Agent: korero-sipload\r\n"
                       "Content-Length: 0\r\n\r\n",
                       o->host, o->port, c->tcp ? "TCP" : "UDP", lhost, ntohs(local->sin_port),
                       marker, lhost, c->idx + 1, o->host, o->port, marker) != 0) {
        return -1;
    }
    c->off_branch = off[0];
    c->off_callid = off[1];
    return 0;
}

static size_t make_request(struct conn *c, unsigned slot, char *out, uint64_t now)
{
    uint64_t id = ((uint64_t)c->idx << 48) | ((uint64_t)slot << 32) | c->slots[slot].gen;

    memcpy(out, c->tmpl, c->tmpl_len);
    bench_put_hex16(out + c->off_branch, id);
    bench_put_hex16(out + c->off_callid, id);
    c->slots[slot].sent_ns = now;
    return c->tmpl_len;
}

/* Parses a reply; returns the slot it frees, or -1 (stale, provisional or not ours). */
static long handle_reply(struct bench_thread *w, struct conn *c, const char *m, size_t len,
                         uint64_t now)
{
    unsigned code = 0;
    size_t pos = 0;
    struct hdr h;
    uint64_t id = 0;
    bool have_id = false;
    unsigned slot;

    if (len < 12 || memcmp(m, "SIP/2.0 ", 8) != 0) {
        bench_count(&w->cnt, C_STALE, 1);
        return -1;
    }
    for (int i = 8; i < 11; i++) {
        if (!isdigit((unsigned char)m[i])) {
            return -1;
        }
        code = code * 10 + (unsigned)(m[i] - '0');
    }
    if (code < 200) {
        return -1;
    }
    while (hdr_next(m, len, &pos, &h)) {
        if (hdr_is(&h, "call-id", "i")) {
            if (h.val_len >= 16) {
                have_id = true;
                for (int i = 0; i < 16; i++) {
                    int v = hexval(h.val[i]);
                    if (v < 0) {
                        have_id = false;
                        break;
                    }
                    id = (id << 4) | (uint64_t)v;
                }
            }
            break;
        }
    }
    slot = (unsigned)((id >> 32) & 0xffff);
    if (!have_id || (id >> 48) != c->idx || slot >= c->nslots ||
        (uint32_t)id != c->slots[slot].gen) {
        bench_count(&w->cnt, C_STALE, 1);
        return -1;
    }
    if (code == 200) {
        uint64_t us = (now - c->slots[slot].sent_ns) / 1000;
        bench_count(&w->cnt, C_OK, 1);
        bench_count_lat(&w->cnt, us);
    } else {
        bench_count(&w->cnt, C_OTHER, 1);
    }
    c->slots[slot].gen++;
    return (long)slot;
}

static void conn_kill(struct bench_thread *w, struct conn *c, const char *why)
{
    if (c->dead) {
        return;
    }
    fprintf(stderr, "sipload: connection %u: %s\n", c->idx, why);
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->dead = true;
    bench_count(&w->cnt, C_DEAD, 1);
}

static void tcp_flush(struct bench_thread *w, struct conn *c)
{
    if (bench_tx_flush(c->fd, c->tx, &c->tx_off, &c->tx_len) != 0) {
        conn_kill(w, c, strerror(errno));
        return;
    }
    bench_ep_mask(w->ep, c->fd, c, &c->mask, EPOLLIN | (c->tx_len != 0 ? EPOLLOUT : 0));
}

static void tcp_queue(struct conn *c, unsigned slot, uint64_t now)
{
    if (c->tx_off > 0 && c->tx_len + TMPL_MAX > c->tx_cap) {
        memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
        c->tx_len -= c->tx_off;
        c->tx_off = 0;
    }
    if (c->tx_len + TMPL_MAX > c->tx_cap) {
        return; /* cannot happen: one request per slot; the timeout would resend it */
    }
    c->tx_len += make_request(c, slot, c->tx + c->tx_len, now);
}

static void tcp_read(struct bench_thread *w, struct conn *c, uint64_t now)
{
    ssize_t r = recv(c->fd, c->rx + c->rx_len, RX_CAP - c->rx_len, MSG_DONTWAIT);
    size_t off = 0;

    if (r == 0) {
        conn_kill(w, c, "closed by the server");
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            conn_kill(w, c, strerror(errno));
        }
        return;
    }
    c->rx_len += (size_t)r;
    for (;;) {
        long n;
        long slot;

        while (c->rx_len - off >= 2 && c->rx[off] == '\r' && c->rx[off + 1] == '\n') {
            off += 2; /* keep-alive CRLFs */
        }
        n = sip_frame(c->rx + off, c->rx_len - off);
        if (n < 0) {
            conn_kill(w, c, "unframeable data from the server");
            return;
        }
        if (n == 0) {
            break;
        }
        slot = handle_reply(w, c, c->rx + off, (size_t)n, now);
        off += (size_t)n;
        if (slot >= 0) {
            tcp_queue(c, (unsigned)slot, now);
        }
    }
    if (off > 0) {
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
    }
    tcp_flush(w, c);
}

struct udp_batch {
    struct mmsghdr msg[BATCH];
    struct iovec iov[BATCH];
    char buf[BATCH][UDP_MAX];
    char out[BATCH][TMPL_MAX];
    struct mmsghdr omsg[BATCH];
    struct iovec oiov[BATCH];
};

static void udp_read(struct bench_thread *w, struct conn *c, struct udp_batch *b, uint64_t now)
{
    int n;
    unsigned nout = 0;

    for (int i = 0; i < BATCH; i++) {
        b->iov[i].iov_base = b->buf[i];
        b->iov[i].iov_len = UDP_MAX;
        memset(&b->msg[i].msg_hdr, 0, sizeof(b->msg[i].msg_hdr));
        b->msg[i].msg_hdr.msg_iov = &b->iov[i];
        b->msg[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(c->fd, b->msg, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) {
        return; /* EAGAIN, or ECONNREFUSED from an ICMP error: timeouts resend */
    }
    for (int i = 0; i < n; i++) {
        long slot = handle_reply(w, c, b->buf[i], b->msg[i].msg_len, now);
        if (slot >= 0) {
            size_t len = make_request(c, (unsigned)slot, b->out[nout], now);
            b->oiov[nout].iov_base = b->out[nout];
            b->oiov[nout].iov_len = len;
            memset(&b->omsg[nout].msg_hdr, 0, sizeof(b->omsg[nout].msg_hdr));
            b->omsg[nout].msg_hdr.msg_iov = &b->oiov[nout];
            b->omsg[nout].msg_hdr.msg_iovlen = 1;
            nout++;
        }
    }
    if (nout > 0) {
        /* What is not sent (full socket buffer) is resent on timeout. */
        (void)sendmmsg(c->fd, b->omsg, nout, MSG_DONTWAIT);
    }
}

static void send_one(struct bench_thread *w, struct conn *c, unsigned slot, uint64_t now)
{
    char out[TMPL_MAX];

    if (c->tcp) {
        tcp_queue(c, slot, now);
        tcp_flush(w, c);
    } else {
        size_t len = make_request(c, slot, out, now);
        (void)send(c->fd, out, len, MSG_DONTWAIT);
    }
}

static void scan_timeouts(struct bench_thread *w, uint64_t now)
{
    const struct opts *o = w->ctx;
    uint64_t limit = (uint64_t)o->timeout_ms * 1000000u;

    for (unsigned i = 0; i < w->nitems; i++) {
        struct conn *c = w->items[i];
        if (c->dead) {
            continue;
        }
        for (unsigned s = 0; s < c->nslots; s++) {
            if (now - c->slots[s].sent_ns > limit) {
                bench_count(&w->cnt, C_TIMEOUTS, 1);
                c->slots[s].gen++;
                send_one(w, c, s, now);
            }
        }
    }
}

static void *worker_main(void *arg)
{
    struct bench_thread *w = arg;
    struct epoll_event evs[64];
    struct udp_batch *b = malloc(sizeof(*b));
    uint64_t last_scan = bench_now_ns();

    if (b == NULL) {
        fprintf(stderr, "sipload: out of memory\n");
        exit(1);
    }
    for (unsigned i = 0; i < w->nitems; i++) {
        struct conn *c = w->items[i];
        uint64_t now = bench_now_ns();
        for (unsigned s = 0; s < c->nslots; s++) {
            send_one(w, c, s, now);
        }
    }
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        int n = epoll_wait(w->ep, evs, 64, 50);
        uint64_t now = bench_now_ns();

        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->dead) {
                continue;
            }
            if (c->tcp) {
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                    tcp_read(w, c, now);
                }
                if (!c->dead && (evs[i].events & EPOLLOUT)) {
                    tcp_flush(w, c);
                }
            } else {
                udp_read(w, c, b, now);
            }
        }
        if (now - last_scan > 100000000u) {
            scan_timeouts(w, now);
            last_scan = now;
        }
    }
    free(b);
    return NULL;
}

static int conn_open(struct conn *c, const struct opts *o, const struct sockaddr_in *dst)
{
    struct sockaddr_in local;
    socklen_t sl = sizeof(local);
    int one = 1;

    c->fd = socket(AF_INET, (c->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        perror("sipload: socket");
        return -1;
    }
    if (!c->tcp) {
        int sz = 4 * 1024 * 1024;
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
        setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    if (connect(c->fd, (const struct sockaddr *)dst, sizeof(*dst)) != 0) {
        fprintf(stderr, "sipload: connect %s:%u: %s\n", o->host, o->port, strerror(errno));
        return -1;
    }
    if (c->tcp) {
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    set_nonblock(c->fd);
    if (getsockname(c->fd, (struct sockaddr *)&local, &sl) != 0) {
        perror("sipload: getsockname");
        return -1;
    }
    return build_template(c, o, &local);
}

/* o: not changed; not const because the load threads get it as their context. */
static int run_client(struct opts *o)
{
    struct sockaddr_in dst;
    struct conn *conns;
    struct bench_pool pool;
    struct bench_window win = { .warmup = o->warmup, .duration = o->duration, .pid = o->pid };
    struct bench_result *r = malloc(sizeof(*r));
    uint64_t ok;

    if (r == NULL || bench_resolve(o->host, o->port, &dst) != 0) {
        return 1;
    }
    conns = calloc(o->conns, sizeof(*conns));
    if (conns == NULL || bench_pool_init(&pool, o->threads, o->conns, o) != 0) {
        return 1;
    }
    for (unsigned i = 0; i < o->conns; i++) {
        struct conn *c = &conns[i];
        struct bench_thread *w = bench_pool_deal(&pool, c);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

        c->idx = i;
        c->tcp = o->tcp;
        c->nslots = o->window / o->conns + (i < o->window % o->conns ? 1 : 0);
        c->slots = calloc(c->nslots, sizeof(*c->slots));
        if (c->slots == NULL) {
            return 1;
        }
        if (c->tcp) {
            c->rx = malloc(RX_CAP);
            c->tx_cap = (size_t)c->nslots * TMPL_MAX + 2 * TMPL_MAX;
            c->tx = malloc(c->tx_cap);
            if (c->rx == NULL || c->tx == NULL) {
                return 1;
            }
        }
        if (conn_open(c, o, &dst) != 0) {
            return 1;
        }
        c->mask = EPOLLIN;
        epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    if (bench_pool_run(&pool, worker_main, &win, r) != 0) {
        return 1;
    }
    ok = bench_delta(r, C_OK);
    printf("transport=%s conns=%u window=%u threads=%u seconds=%.3f ok=%llu other=%llu "
           "timeouts=%llu stale=%llu dead_conns=%llu rate=%.1f server_cpu=%.3f "
           "server_cpu_per_100k=%.4f client_cpu=%.3f client_cpu_per_100k=%.4f "
           "lat_avg_us=%.0f lat_p50_us=%.0f lat_p99_us=%.0f\n",
           o->tcp ? "tcp" : "udp", o->conns, o->window, o->threads, r->secs, (unsigned long long)ok,
           (unsigned long long)bench_delta(r, C_OTHER),
           (unsigned long long)bench_delta(r, C_TIMEOUTS),
           (unsigned long long)bench_delta(r, C_STALE), (unsigned long long)r->z.n[C_DEAD],
           r->secs > 0 ? (double)ok / r->secs : 0, r->server_cpu,
           ok > 0 && r->server_cpu >= 0 ? r->server_cpu * 100000.0 / (double)ok : -1, r->client_cpu,
           ok > 0 ? r->client_cpu * 100000.0 / (double)ok : -1, r->lat.avg, r->lat.p50, r->lat.p99);
    fflush(stdout);
    for (unsigned i = 0; i < o->conns; i++) {
        if (!conns[i].dead) {
            close(conns[i].fd);
        }
        free(conns[i].slots);
        free(conns[i].rx);
        free(conns[i].tx);
    }
    free(conns);
    bench_pool_fini(&pool);
    free(r);
    return ok > 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- responder */

/* Builds a 200 OK for request m into out (cap REPLY_MAX). Returns its length, 0 when
 * no reply is due (ACK, a response, or a request too large to answer). */
static size_t build_200(const char *m, size_t len, char *out)
{
    static const char status[] = "SIP/2.0 200 OK\r\n";
    static const char tail[] = "Content-Length: 0\r\n\r\n";
    size_t n = sizeof(status) - 1;
    size_t pos = 0;
    struct hdr h;

    if (len < 4 || memcmp(m, "SIP/", 4) == 0 || memcmp(m, "ACK ", 4) == 0) {
        return 0;
    }
    memcpy(out, status, n);
    while (hdr_next(m, len, &pos, &h)) {
        bool to = hdr_is(&h, "to", "t");
        if (!(to || hdr_is(&h, "via", "v") || hdr_is(&h, "from", "f") ||
              hdr_is(&h, "call-id", "i") || hdr_is(&h, "cseq", NULL))) {
            continue;
        }
        if (n + h.line_len + 16 + sizeof(tail) > REPLY_MAX) {
            return 0;
        }
        memcpy(out + n, h.line, h.line_len);
        n += h.line_len;
        if (to && memmem(h.val, h.val_len, ";tag=", 5) == NULL) {
            memcpy(out + n, ";tag=resp", 9);
            n += 9;
        }
        out[n++] = '\r';
        out[n++] = '\n';
    }
    memcpy(out + n, tail, sizeof(tail) - 1);
    return n + sizeof(tail) - 1;
}

static int bind_listen(const struct opts *o)
{
    struct sockaddr_in sa;
    int one = 1;
    int fd;

    if (bench_resolve(o->host, o->port, &sa) != 0) {
        return -1;
    }
    fd = socket(AF_INET, (o->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("sipload: socket");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!o->tcp) {
        int sz = 4 * 1024 * 1024;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "sipload: bind %s:%u: %s\n", o->host, o->port, strerror(errno));
        close(fd);
        return -1;
    }
    if (o->tcp && listen(fd, 128) != 0) {
        perror("sipload: listen");
        close(fd);
        return -1;
    }
    return fd;
}

static int respond_udp(int fd)
{
    struct udp_resp {
        struct mmsghdr msg[BATCH];
        struct iovec iov[BATCH];
        struct sockaddr_storage from[BATCH];
        char buf[BATCH][UDP_MAX];
        struct mmsghdr omsg[BATCH];
        struct iovec oiov[BATCH];
        char out[BATCH][REPLY_MAX];
    } *b = malloc(sizeof(*b));

    if (b == NULL) {
        return 1;
    }
    for (;;) {
        int n;
        unsigned nout = 0;

        for (int i = 0; i < BATCH; i++) {
            b->iov[i].iov_base = b->buf[i];
            b->iov[i].iov_len = UDP_MAX;
            memset(&b->msg[i].msg_hdr, 0, sizeof(b->msg[i].msg_hdr));
            b->msg[i].msg_hdr.msg_iov = &b->iov[i];
            b->msg[i].msg_hdr.msg_iovlen = 1;
            b->msg[i].msg_hdr.msg_name = &b->from[i];
            b->msg[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
        }
        n = recvmmsg(fd, b->msg, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("sipload: recvmmsg");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            size_t len = build_200(b->buf[i], b->msg[i].msg_len, b->out[nout]);
            if (len == 0) {
                continue;
            }
            b->oiov[nout].iov_base = b->out[nout];
            b->oiov[nout].iov_len = len;
            memset(&b->omsg[nout].msg_hdr, 0, sizeof(b->omsg[nout].msg_hdr));
            b->omsg[nout].msg_hdr.msg_iov = &b->oiov[nout];
            b->omsg[nout].msg_hdr.msg_iovlen = 1;
            b->omsg[nout].msg_hdr.msg_name = &b->from[i];
            b->omsg[nout].msg_hdr.msg_namelen = b->msg[i].msg_hdr.msg_namelen;
            nout++;
        }
        if (nout > 0) {
            (void)sendmmsg(fd, b->omsg, nout, 0);
        }
    }
}

struct rconn {
    int fd;
    char *rx;
    size_t rx_len;
    char *tx;
    size_t tx_len;
    size_t tx_off;
    uint32_t mask; /* epoll events asked for */
};

#define RTX_CAP (1024 * 1024)

static void rconn_close(int ep, struct rconn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->rx);
    free(c->tx);
    free(c);
}

/* Returns false when the connection was closed. */
static bool rconn_flush(int ep, struct rconn *c)
{
    if (bench_tx_flush(c->fd, c->tx, &c->tx_off, &c->tx_len) != 0) {
        rconn_close(ep, c);
        return false;
    }
    bench_ep_mask(ep, c->fd, c, &c->mask, EPOLLIN | (c->tx_len != 0 ? EPOLLOUT : 0));
    return true;
}

static void rconn_read(int ep, struct rconn *c)
{
    ssize_t r = recv(c->fd, c->rx + c->rx_len, RX_CAP - c->rx_len, MSG_DONTWAIT);
    size_t off = 0;

    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        rconn_close(ep, c);
        return;
    }
    if (r < 0) {
        return;
    }
    c->rx_len += (size_t)r;
    for (;;) {
        long n;

        while (c->rx_len - off >= 2 && c->rx[off] == '\r' && c->rx[off + 1] == '\n') {
            off += 2;
        }
        n = sip_frame(c->rx + off, c->rx_len - off);
        if (n < 0) {
            rconn_close(ep, c);
            return;
        }
        if (n == 0) {
            break;
        }
        if (c->tx_off > 0 && c->tx_len + REPLY_MAX > RTX_CAP) {
            memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
            c->tx_len -= c->tx_off;
            c->tx_off = 0;
        }
        if (c->tx_len + REPLY_MAX > RTX_CAP) {
            break; /* peer not reading: stop parsing until it does */
        }
        c->tx_len += build_200(c->rx + off, (size_t)n, c->tx + c->tx_len);
        off += (size_t)n;
    }
    if (off > 0) {
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
    }
    rconn_flush(ep, c);
}

static int respond_tcp(int lfd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    struct epoll_event evs[64];

    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
        perror("sipload: epoll");
        return 1;
    }
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);

        for (int i = 0; i < n; i++) {
            struct rconn *c = evs[i].data.ptr;
            if (c == NULL) {
                int one = 1;
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                    continue;
                }
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                c = calloc(1, sizeof(*c));
                if (c == NULL || (c->rx = malloc(RX_CAP)) == NULL ||
                    (c->tx = malloc(RTX_CAP)) == NULL) {
                    fprintf(stderr, "sipload: out of memory\n");
                    return 1;
                }
                c->fd = fd;
                c->mask = EPOLLIN;
                ev.events = EPOLLIN;
                ev.data.ptr = c;
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                if (!rconn_flush(ep, c)) {
                    continue;
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                rconn_read(ep, c);
            }
        }
    }
}

static int run_respond(const struct opts *o)
{
    int fd = bind_listen(o);

    if (fd < 0) {
        return 1;
    }
    return o->tcp ? respond_tcp(fd) : respond_udp(fd);
}

/* ---------------------------------------------------------------- ping, freeport */

/* Sends one OPTIONS and waits for its final reply. Exit 0 on 200, 3 on another final
 * reply, 1 on no reply. */
static int run_ping(const struct opts *o)
{
    struct sockaddr_in dst;
    struct conn c;
    char req[TMPL_MAX];
    char buf[RX_CAP / 4];
    size_t have = 0;
    size_t len;
    uint64_t deadline = bench_now_ns() + (uint64_t)o->timeout_ms * 1000000u;

    memset(&c, 0, sizeof(c));
    c.tcp = o->tcp;
    c.nslots = 1;
    c.slots = calloc(1, sizeof(*c.slots));
    if (c.slots == NULL || bench_resolve(o->host, o->port, &dst) != 0 ||
        conn_open(&c, o, &dst) != 0) {
        return 1;
    }
    c.slots[0].gen = (uint32_t)getpid();
    len = make_request(&c, 0, req, bench_now_ns());
    if (send(c.fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
        return 1;
    }
    for (;;) {
        uint64_t now = bench_now_ns();
        struct pollfd p = { .fd = c.fd, .events = POLLIN };
        ssize_t r;
        size_t mlen;

        if (now >= deadline) {
            return 1;
        }
        if (poll(&p, 1, (int)((deadline - now) / 1000000u) + 1) <= 0) {
            continue;
        }
        r = recv(c.fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            return 1;
        }
        have += (size_t)r;
        if (o->tcp) {
            long n = sip_frame(buf, have);
            if (n <= 0) {
                continue;
            }
            mlen = (size_t)n;
        } else {
            mlen = have;
            have = 0;
        }
        if (mlen >= 12 && memcmp(buf, "SIP/2.0 ", 8) == 0 && buf[8] >= '2') {
            printf("%.*s\n",
                   (int)(memchr(buf, '\r', mlen) ? (char *)memchr(buf, '\r', mlen) - buf : 12),
                   buf);
            return memcmp(buf + 8, "200", 3) == 0 ? 0 : 3;
        }
        if (o->tcp) {
            memmove(buf, buf + mlen, have - mlen);
            have -= mlen;
        }
    }
}

static bool port_free(unsigned port)
{
    int types[2] = { SOCK_DGRAM, SOCK_STREAM };

    for (int i = 0; i < 2; i++) {
        struct sockaddr_in sa;
        int fd = socket(AF_INET, types[i] | SOCK_CLOEXEC, 0);
        int rc;

        if (fd < 0) {
            return false;
        }
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        close(fd);
        if (rc != 0) {
            return false;
        }
    }
    return true;
}

static int run_freeport(int argc, char **argv)
{
    long want = argc > 2 ? bench_parse_long(argv[2], 1, 64, "count") : 1;
    unsigned got[64];
    long n = 0;
    unsigned seed = (unsigned)(bench_now_ns() ^ (uint64_t)getpid());

    for (int tries = 0; tries < 10000 && n < want; tries++) {
        unsigned port;
        bool dup = false;

        seed = seed * 1103515245u + 12345u;
        port = 20000 + (seed >> 8) % 40000;
        for (long i = 0; i < n; i++) {
            dup = dup || got[i] == port;
        }
        if (!dup && port_free(port)) {
            got[n++] = port;
        }
    }
    if (n < want) {
        fprintf(stderr, "sipload: no free ports\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        printf("%s%u", i ? " " : "", got[i]);
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    const char *mode;

    if (argc < 2) {
        usage();
    }
    mode = argv[1];
    if (strcmp(mode, "freeport") == 0) {
        return run_freeport(argc, argv);
    }
    parse_opts(argc - 1, argv + 1, &o);
    if (strcmp(mode, "client") == 0) {
        return run_client(&o);
    }
    if (strcmp(mode, "respond") == 0) {
        return run_respond(&o);
    }
    if (strcmp(mode, "ping") == 0) {
        return run_ping(&o);
    }
    usage();
    return 2;
}
