// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sipload: closed-loop SIP OPTIONS load generator, 200-OK responder, readiness probe and
 * free-port finder for bench/run.sh. Standalone (libc + pthreads, Linux: epoll,
 * recvmmsg/sendmmsg, /proc). Each client thread owns its sockets; the main thread only
 * reads atomic counters and the server's /proc accounting at the window edges.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define UDP_MAX 4096
#define TMPL_MAX 640
#define REPLY_MAX 4096
#define RX_CAP (256 * 1024)
#define HIST_N 2891
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

static long parse_long(const char *s, long lo, long hi, const char *what)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "sipload: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
        exit(2);
    }
    return v;
}

static double parse_double(const char *s, double lo, double hi, const char *what)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "sipload: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

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
    int c;

    o->tcp = false;
    o->host = "127.0.0.1";
    o->port = 0;
    o->window = 200;
    o->conns = 0;
    o->threads = 1;
    o->duration = 10;
    o->warmup = 1;
    o->timeout_ms = 1000;
    o->pid = 0;
    while ((c = getopt(argc, argv, "t:a:p:w:c:T:d:u:x:P:")) != -1) {
        switch (c) {
        case 't':
            if (strcmp(optarg, "udp") == 0) {
                o->tcp = false;
            } else if (strcmp(optarg, "tcp") == 0) {
                o->tcp = true;
            } else {
                usage();
            }
            break;
        case 'a':
            o->host = optarg;
            break;
        case 'p':
            o->port = (unsigned)parse_long(optarg, 1, 65535, "port");
            break;
        case 'w':
            o->window = (unsigned)parse_long(optarg, 1, 1000000, "window");
            break;
        case 'c':
            o->conns = (unsigned)parse_long(optarg, 1, MAX_CONNS, "connections");
            break;
        case 'T':
            o->threads = (unsigned)parse_long(optarg, 1, 64, "threads");
            break;
        case 'd':
            o->duration = parse_double(optarg, 0.1, 86400, "duration");
            break;
        case 'u':
            o->warmup = parse_double(optarg, 0, 3600, "warm-up");
            break;
        case 'x':
            o->timeout_ms = (unsigned)parse_long(optarg, 1, 600000, "timeout");
            break;
        case 'P':
            o->pid = parse_long(optarg, 1, 0x7fffffff, "pid");
            break;
        default:
            usage();
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

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool ci_eq(const char *a, size_t alen, const char *lit)
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
    return ci_eq(h->name, h->name_len, full) ||
           (compact != NULL && ci_eq(h->name, h->name_len, compact));
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

static int resolve(const char *host, unsigned port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        fprintf(stderr, "sipload: '%s' is not an IPv4 address\n", host);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- server CPU */

/* utime+stime+cutime+cstime (clock ticks) summed over `root` and all its descendants.
 * /proc/PID/stat of a process already includes all its threads. */
static long long tree_ticks(long root)
{
    enum { MAXP = 65536 };
    struct pinfo {
        long pid;
        long ppid;
        long long ticks;
    };
    struct pinfo *ps = malloc(sizeof(*ps) * MAXP);
    size_t n = 0;
    DIR *d;
    struct dirent *de;
    long long sum = 0;
    bool changed = true;
    bool *in;

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
        char buf[1024];
        ssize_t r;
        int fd;
        const char *p;
        long long f[20];
        int k = 0;

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
        if (p == NULL) {
            continue;
        }
        p++;
        /* fields after comm: state(3) ppid(4) ... utime(14) stime(15) cutime(16)
         * cstime(17); f[0] is field 4. */
        while (*p == ' ') {
            p++;
        }
        if (*p != '\0') {
            p++; /* state */
        }
        while (k < 14 && *p != '\0') {
            char *end = NULL;
            f[k++] = strtoll(p, &end, 10);
            if (end == p) {
                break;
            }
            p = end;
        }
        if (k < 14) {
            continue;
        }
        ps[n].pid = strtol(de->d_name, NULL, 10);
        ps[n].ppid = (long)f[0];
        ps[n].ticks = f[10] + f[11] + f[12] + f[13];
        n++;
    }
    closedir(d);
    in = calloc(n + 1, sizeof(*in));
    if (in == NULL) {
        free(ps);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        in[i] = ps[i].pid == root;
    }
    while (changed) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (in[i]) {
                continue;
            }
            for (size_t j = 0; j < n; j++) {
                if (in[j] && ps[j].pid == ps[i].ppid) {
                    in[i] = true;
                    changed = true;
                    break;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (in[i]) {
            sum += ps[i].ticks;
        }
    }
    free(in);
    free(ps);
    return sum;
}

static double self_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
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
    bool want_out;
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

struct counters {
    _Atomic uint64_t ok;
    _Atomic uint64_t other;
    _Atomic uint64_t timeouts;
    _Atomic uint64_t stale;
    _Atomic uint64_t dead;
    _Atomic uint64_t hist[HIST_N];
};

struct worker {
    pthread_t th;
    int ep;
    struct conn **conns;
    unsigned nconns;
    const struct opts *o;
    atomic_bool *stop;
    struct counters cnt;
};

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
    return HIST_N - 1;
}

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

static const char hexd[] = "0123456789abcdef";

static void put_hex16(char *p, uint64_t v)
{
    for (int i = 15; i >= 0; i--) {
        p[i] = hexd[v & 0xf];
        v >>= 4;
    }
}

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
    int n;
    const char *marker = "################";
    char *p;

    inet_ntop(AF_INET, &local->sin_addr, lhost, sizeof(lhost));
    n = snprintf(c->tmpl, sizeof(c->tmpl),
                 "OPTIONS sip:bench@%s:%u SIP/2.0\r\n"
                 "Via: SIP/2.0/%s %s:%u;rport;branch=z9hG4bK%s\r\n"
                 "Max-Forwards: 70\r\n"
                 "From: <sip:sipload@%s>;tag=%u\r\n"
                 "To: <sip:bench@%s:%u>\r\n"
                 "Call-ID: %s@sipload\r\n"
                 "CSeq: 1 OPTIONS\r\n"
                 "User-Agent: korero-sipload\r\n"
                 "Content-Length: 0\r\n\r\n",
                 o->host, o->port, c->tcp ? "TCP" : "UDP", lhost, ntohs(local->sin_port), marker,
                 lhost, c->idx + 1, o->host, o->port, marker);
    if (n < 0 || (size_t)n >= sizeof(c->tmpl)) {
        return -1;
    }
    c->tmpl_len = (size_t)n;
    p = strstr(c->tmpl, marker);
    c->off_branch = (size_t)(p - c->tmpl);
    p = strstr(p + 16, marker);
    c->off_callid = (size_t)(p - c->tmpl);
    return 0;
}

static size_t make_request(struct conn *c, unsigned slot, char *out, uint64_t now)
{
    uint64_t id = ((uint64_t)c->idx << 48) | ((uint64_t)slot << 32) | c->slots[slot].gen;

    memcpy(out, c->tmpl, c->tmpl_len);
    put_hex16(out + c->off_branch, id);
    put_hex16(out + c->off_callid, id);
    c->slots[slot].sent_ns = now;
    return c->tmpl_len;
}

/* Parses a reply; returns the slot it frees, or -1 (stale, provisional or not ours). */
static long handle_reply(struct worker *w, struct conn *c, const char *m, size_t len, uint64_t now)
{
    unsigned code = 0;
    size_t pos = 0;
    struct hdr h;
    uint64_t id = 0;
    bool have_id = false;
    unsigned slot;

    if (len < 12 || memcmp(m, "SIP/2.0 ", 8) != 0) {
        atomic_fetch_add_explicit(&w->cnt.stale, 1, memory_order_relaxed);
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
        atomic_fetch_add_explicit(&w->cnt.stale, 1, memory_order_relaxed);
        return -1;
    }
    if (code == 200) {
        uint64_t us = (now - c->slots[slot].sent_ns) / 1000;
        atomic_fetch_add_explicit(&w->cnt.ok, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->cnt.hist[hist_idx(us)], 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&w->cnt.other, 1, memory_order_relaxed);
    }
    c->slots[slot].gen++;
    return (long)slot;
}

static void conn_kill(struct worker *w, struct conn *c, const char *why)
{
    if (c->dead) {
        return;
    }
    fprintf(stderr, "sipload: connection %u: %s\n", c->idx, why);
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->dead = true;
    atomic_fetch_add_explicit(&w->cnt.dead, 1, memory_order_relaxed);
}

static void tcp_flush(struct worker *w, struct conn *c)
{
    while (c->tx_off < c->tx_len) {
        ssize_t r =
            send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            conn_kill(w, c, strerror(errno));
            return;
        }
        c->tx_off += (size_t)r;
    }
    if (c->tx_off == c->tx_len) {
        c->tx_off = 0;
        c->tx_len = 0;
    }
    if ((c->tx_len != 0) != c->want_out) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        c->want_out = c->tx_len != 0;
        if (c->want_out) {
            ev.events |= EPOLLOUT;
        }
        epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
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

static void tcp_read(struct worker *w, struct conn *c, uint64_t now)
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

static void udp_read(struct worker *w, struct conn *c, struct udp_batch *b, uint64_t now)
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

static void send_one(struct worker *w, struct conn *c, unsigned slot, uint64_t now)
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

static void scan_timeouts(struct worker *w, uint64_t now)
{
    uint64_t limit = (uint64_t)w->o->timeout_ms * 1000000u;

    for (unsigned i = 0; i < w->nconns; i++) {
        struct conn *c = w->conns[i];
        if (c->dead) {
            continue;
        }
        for (unsigned s = 0; s < c->nslots; s++) {
            if (now - c->slots[s].sent_ns > limit) {
                atomic_fetch_add_explicit(&w->cnt.timeouts, 1, memory_order_relaxed);
                c->slots[s].gen++;
                send_one(w, c, s, now);
            }
        }
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[64];
    struct udp_batch *b = malloc(sizeof(*b));
    uint64_t last_scan = now_ns();

    if (b == NULL) {
        fprintf(stderr, "sipload: out of memory\n");
        exit(1);
    }
    for (unsigned i = 0; i < w->nconns; i++) {
        uint64_t now = now_ns();
        for (unsigned s = 0; s < w->conns[i]->nslots; s++) {
            send_one(w, w->conns[i], s, now);
        }
    }
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        int n = epoll_wait(w->ep, evs, 64, 50);
        uint64_t now = now_ns();

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

struct snap {
    uint64_t ok, other, timeouts, stale, dead;
    uint64_t hist[HIST_N];
    uint64_t t_ns;
    long long ticks;
    double self;
};

static void take_snap(struct worker *ws, unsigned nw, long pid, struct snap *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < nw; i++) {
        struct counters *k = &ws[i].cnt;
        s->ok += atomic_load_explicit(&k->ok, memory_order_relaxed);
        s->other += atomic_load_explicit(&k->other, memory_order_relaxed);
        s->timeouts += atomic_load_explicit(&k->timeouts, memory_order_relaxed);
        s->stale += atomic_load_explicit(&k->stale, memory_order_relaxed);
        s->dead += atomic_load_explicit(&k->dead, memory_order_relaxed);
        for (unsigned j = 0; j < HIST_N; j++) {
            s->hist[j] += atomic_load_explicit(&k->hist[j], memory_order_relaxed);
        }
    }
    s->t_ns = now_ns();
    s->ticks = pid > 0 ? tree_ticks(pid) : 0;
    s->self = self_cpu();
}

static void sleep_s(double s)
{
    struct timespec ts;

    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int run_client(const struct opts *o)
{
    struct sockaddr_in dst;
    struct conn *conns;
    struct worker *ws;
    atomic_bool stop = false;
    struct snap *a = malloc(sizeof(*a));
    struct snap *z = malloc(sizeof(*z));
    double secs;
    double hz = (double)sysconf(_SC_CLK_TCK);
    uint64_t ok;
    uint64_t cum = 0;
    uint64_t total = 0;
    double p50 = 0;
    double p99 = 0;
    double avg = 0;
    double server_cpu;

    if (a == NULL || z == NULL || resolve(o->host, o->port, &dst) != 0) {
        return 1;
    }
    conns = calloc(o->conns, sizeof(*conns));
    ws = calloc(o->threads, sizeof(*ws));
    if (conns == NULL || ws == NULL) {
        return 1;
    }
    for (unsigned t = 0; t < o->threads; t++) {
        ws[t].o = o;
        ws[t].stop = &stop;
        ws[t].ep = epoll_create1(EPOLL_CLOEXEC);
        ws[t].conns = calloc(o->conns, sizeof(*ws[t].conns));
        if (ws[t].ep < 0 || ws[t].conns == NULL) {
            return 1;
        }
    }
    for (unsigned i = 0; i < o->conns; i++) {
        struct conn *c = &conns[i];
        struct worker *w = &ws[i % o->threads];
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
        epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
        w->conns[w->nconns++] = c;
    }
    for (unsigned t = 0; t < o->threads; t++) {
        if (pthread_create(&ws[t].th, NULL, worker_main, &ws[t]) != 0) {
            fprintf(stderr, "sipload: cannot start thread\n");
            return 1;
        }
    }
    sleep_s(o->warmup);
    take_snap(ws, o->threads, o->pid, a);
    sleep_s(o->duration);
    take_snap(ws, o->threads, o->pid, z);
    atomic_store(&stop, true);
    for (unsigned t = 0; t < o->threads; t++) {
        pthread_join(ws[t].th, NULL);
    }

    secs = (double)(z->t_ns - a->t_ns) / 1e9;
    ok = z->ok - a->ok;
    for (unsigned j = 0; j < HIST_N; j++) {
        total += z->hist[j] - a->hist[j];
        avg += hist_val(j) * (double)(z->hist[j] - a->hist[j]);
    }
    for (unsigned j = 0; j < HIST_N && total > 0; j++) {
        cum += z->hist[j] - a->hist[j];
        if (p50 == 0 && cum * 2 >= total) {
            p50 = hist_val(j);
        }
        if (cum * 100 >= total * 99) {
            p99 = hist_val(j);
            break;
        }
    }
    avg = total > 0 ? avg / (double)total : 0;
    server_cpu =
        o->pid > 0 && a->ticks >= 0 && z->ticks >= 0 ? (double)(z->ticks - a->ticks) / hz : -1;
    printf("transport=%s conns=%u window=%u threads=%u seconds=%.3f ok=%llu other=%llu "
           "timeouts=%llu stale=%llu dead_conns=%llu rate=%.1f server_cpu=%.3f "
           "server_cpu_per_100k=%.4f client_cpu=%.3f client_cpu_per_100k=%.4f "
           "lat_avg_us=%.0f lat_p50_us=%.0f lat_p99_us=%.0f\n",
           o->tcp ? "tcp" : "udp", o->conns, o->window, o->threads, secs, (unsigned long long)ok,
           (unsigned long long)(z->other - a->other),
           (unsigned long long)(z->timeouts - a->timeouts),
           (unsigned long long)(z->stale - a->stale), (unsigned long long)z->dead,
           secs > 0 ? (double)ok / secs : 0, server_cpu,
           ok > 0 && server_cpu >= 0 ? server_cpu * 100000.0 / (double)ok : -1, z->self - a->self,
           ok > 0 ? (z->self - a->self) * 100000.0 / (double)ok : -1, avg, p50, p99);
    fflush(stdout);
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

    if (resolve(o->host, o->port, &sa) != 0) {
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
    bool want_out;
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
    while (c->tx_off < c->tx_len) {
        ssize_t r =
            send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            rconn_close(ep, c);
            return false;
        }
        c->tx_off += (size_t)r;
    }
    if (c->tx_off == c->tx_len) {
        c->tx_off = 0;
        c->tx_len = 0;
    }
    if ((c->tx_len != 0) != c->want_out) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        c->want_out = c->tx_len != 0;
        if (c->want_out) {
            ev.events |= EPOLLOUT;
        }
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
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
    uint64_t deadline = now_ns() + (uint64_t)o->timeout_ms * 1000000u;

    memset(&c, 0, sizeof(c));
    c.tcp = o->tcp;
    c.nslots = 1;
    c.slots = calloc(1, sizeof(*c.slots));
    if (c.slots == NULL || resolve(o->host, o->port, &dst) != 0 || conn_open(&c, o, &dst) != 0) {
        return 1;
    }
    c.slots[0].gen = (uint32_t)getpid();
    len = make_request(&c, 0, req, now_ns());
    if (send(c.fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
        return 1;
    }
    for (;;) {
        uint64_t now = now_ns();
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
    long want = argc > 2 ? parse_long(argv[2], 1, 64, "count") : 1;
    unsigned got[64];
    long n = 0;
    unsigned seed = (unsigned)(now_ns() ^ (uint64_t)getpid());

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
