/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msrpload: MSRP load generator for bench/msrp.sh. Pairs of endpoints (A, B) AUTH at a
 * relay (RFC 4976; digest when challenged), then A sends SEND frames through the relay
 * to B with W frames in flight, B answers each with a 200 and checks it is intact.
 * Also: --idle N (N authenticated idle sessions, the relay's memory), --raw (no AUTH,
 * for bench/bytepump), --probe (readiness). Linux: epoll, /proc; OpenSSL for MD5.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
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
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "benchutil.h"

#define MAX_PAIRS 10000
#define MAX_IDLE 100000
#define MAX_THREADS 64
#define MAX_WINDOW 4096
#define MIN_SIZE 34 /* "<16 hex>\n" ... "\n<16 hex>" */
#define MAX_SIZE (16 * 1024 * 1024)
#define URI_MAX 200
#define HEAD_MAX 1024
#define TAIL_MAX 64
#define TID_LEN 16
#define SETUP_BUF 16384
#define B_TX_CAP (256 * 1024)
#define IOV_MAX_FRAMES 20
#define ERR_PRINT_MAX 5
#define ELIDE_MIN 32768 /* B drops the middle of bodies this large unread */
#define ELIDE_KEEP 17   /* ... keeping this much at each end: the id lives there */
#define BIG_READ 2048   /* B's reads at frame starts once bodies are large */

/* ---------------------------------------------------------------- options */

struct opts {
    const char *host;
    unsigned port;
    unsigned pairs;
    size_t size;     /* body bytes per SEND */
    unsigned window; /* frames in flight per pair (sent by A, not yet received by B) */
    unsigned threads;
    double duration; /* measured seconds; --idle: seconds to hold the sessions (0) */
    bool duration_set;
    double warmup; /* seconds before the window opens */
    unsigned timeout_ms;
    long pid; /* relay process whose tree's CPU / memory is measured, 0: none */
    const char *user;
    const char *password;
    unsigned idle; /* --idle N */
    double settle; /* --idle: seconds between the last AUTH and the memory reading */
    bool raw;
    bool probe;
    bool verify_all;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: msrpload -p PORT [-a HOST] [-n PAIRS] [-s BODY_BYTES] [-w WINDOW]\n"
            "                [-d SECONDS] [-u WARMUP] [-T THREADS] [-x TIMEOUT_MS]\n"
            "                [-P RELAY_PID] [--user U --password PW] [--raw] [--verify-all]\n"
            "       msrpload -p PORT --idle N [--settle SECONDS] [-P RELAY_PID] [-d HOLD]\n"
            "       msrpload -p PORT --probe [--raw]\n"
            "Relay mode: A and B AUTH, A's SENDs go To-Path: <B's Use-Path> <B's URI>.\n"
            "B answers each SEND with a 200 and checks it (Message-ID, Byte-Range against the\n"
            "body, the message id at both ends of the body; messages a relay re-chunks are\n"
            "reassembled); bodies of 32 KB and more are read only at their ends (the middle\n"
            "is dropped unread), --verify-all compares every byte instead.\n"
            "--raw: no AUTH (bench/bytepump pairs the connections in accept order).\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
    enum { O_USER = 256, O_PASSWORD, O_IDLE, O_RAW, O_PROBE, O_VERIFY, O_SETTLE };
    static const struct option longs[] = {
        { "pairs", required_argument, NULL, 'n' },
        { "size", required_argument, NULL, 's' },
        { "window", required_argument, NULL, 'w' },
        { "duration", required_argument, NULL, 'd' },
        { "warmup", required_argument, NULL, 'u' },
        { "threads", required_argument, NULL, 'T' },
        { "timeout", required_argument, NULL, 'x' },
        { "pid", required_argument, NULL, 'P' },
        { "user", required_argument, NULL, O_USER },
        { "password", required_argument, NULL, O_PASSWORD },
        { "idle", required_argument, NULL, O_IDLE },
        { "settle", required_argument, NULL, O_SETTLE },
        { "raw", no_argument, NULL, O_RAW },
        { "probe", no_argument, NULL, O_PROBE },
        { "verify-all", no_argument, NULL, O_VERIFY },
        { NULL, 0, NULL, 0 },
    };
    const struct bench_opt tab[] = {
        { 'a', BENCH_OPT_STR, &o->host, 0, 0, "host", "127.0.0.1" },
        { 'p', BENCH_OPT_UINT, &o->port, 1, 65535, "port", NULL },
        { 'n', BENCH_OPT_UINT, &o->pairs, 1, MAX_PAIRS, "pairs", "1" },
        { 's', BENCH_OPT_SIZE, &o->size, MIN_SIZE, MAX_SIZE, "body size", "4096" },
        { 'w', BENCH_OPT_UINT, &o->window, 1, MAX_WINDOW, "window", "32" },
        { 'd', BENCH_OPT_DOUBLE, &o->duration, 0, 86400, "duration", "5" },
        { 'u', BENCH_OPT_DOUBLE, &o->warmup, 0, 3600, "warm-up", "1" },
        { 'T', BENCH_OPT_UINT, &o->threads, 1, MAX_THREADS, "threads", "1" },
        { 'x', BENCH_OPT_UINT, &o->timeout_ms, 1, 600000, "timeout", "5000" },
        { 'P', BENCH_OPT_LONG, &o->pid, 1, 0x7fffffff, "pid", NULL },
        { O_USER, BENCH_OPT_STR, &o->user, 0, 0, "user", NULL },
        { O_PASSWORD, BENCH_OPT_STR, &o->password, 0, 0, "password", NULL },
        { O_IDLE, BENCH_OPT_UINT, &o->idle, 1, MAX_IDLE, "idle sessions", NULL },
        { O_SETTLE, BENCH_OPT_DOUBLE, &o->settle, 0, 3600, "settle", "1" },
        { O_RAW, BENCH_OPT_FLAG, &o->raw, 0, 0, "raw", NULL },
        { O_PROBE, BENCH_OPT_FLAG, &o->probe, 0, 0, "probe", NULL },
        { O_VERIFY, BENCH_OPT_FLAG, &o->verify_all, 0, 0, "verify-all", NULL },
    };
    int c;

    memset(o, 0, sizeof(*o));
    bench_opt_defaults(tab, sizeof(tab) / sizeof(tab[0]));
    while ((c = getopt_long(argc, argv, "a:p:n:s:w:d:u:T:x:P:", longs, NULL)) != -1) {
        if (!bench_opt_store(tab, sizeof(tab) / sizeof(tab[0]), c, optarg)) {
            usage();
        }
        if (c == 'd') {
            o->duration_set = true;
        }
    }
    if (o->port == 0 || optind != argc) {
        usage();
    }
    if ((o->user == NULL) != (o->password == NULL)) {
        fprintf(stderr, "msrpload: --user and --password go together\n");
        exit(2);
    }
    if (o->idle > 0 && o->raw) {
        fprintf(stderr, "msrpload: --idle needs AUTH: not with --raw\n");
        exit(2);
    }
    if (o->threads > o->pairs) {
        o->threads = o->pairs;
    }
}

/* ---------------------------------------------------------------- helpers */

/* 16 hex digits at p, or false. */
static bool get_hex16(const char *p, uint64_t *v)
{
    uint64_t r = 0;

    for (int i = 0; i < 16; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else {
            return false;
        }
        r = (r << 4) | d;
    }
    *v = r;
    return true;
}

/* Appends to a bounded buffer; returns false (and leaves *len alone) when it does not fit. */
static bool put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n > cap) {
        return false;
    }
    memcpy(buf + *len, s, n);
    *len += n;
    return true;
}

static bool puts_z(char *buf, size_t cap, size_t *len, const char *s)
{
    return put(buf, cap, len, s, strlen(s));
}

/* ---------------------------------------------------------------- MSRP framing */

/* A complete frame at the start of a buffer (RFC 4975 section 7). */
struct frame {
    const char *tid;
    size_t tid_len;
    bool is_resp;
    unsigned code;
    const char *method;
    size_t method_len;
    size_t hdr_start; /* first header line */
    size_t hdr_end;   /* end of the header block (the empty line or the end-line) */
    bool has_body;
    size_t body_off;
    size_t body_len;   /* what the frame carries, elided bytes included */
    size_t expect_len; /* the body length Byte-Range announces; 0: unknown */
    size_t elided;     /* body bytes dropped unread (see b_elide): not in the buffer */
    size_t total;      /* bytes of the frame in the buffer */
};

/* Value of the first header named `name` (lower case), or false. */
static bool hdr_get(const char *b, const struct frame *f, const char *name, const char **val,
                    size_t *val_len)
{
    size_t p = f->hdr_start;

    while (p < f->hdr_end) {
        const char *nl = memchr(b + p, '\n', f->hdr_end - p);
        size_t e = nl != NULL ? (size_t)(nl - b) : f->hdr_end;
        size_t line_end = e > p && b[e - 1] == '\r' ? e - 1 : e;
        const char *colon = memchr(b + p, ':', line_end - p);

        if (colon != NULL && bench_ci_eq(b + p, (size_t)(colon - (b + p)), name)) {
            size_t v = (size_t)(colon - b) + 1;
            while (v < line_end && (b[v] == ' ' || b[v] == '\t')) {
                v++;
            }
            *val = b + v;
            *val_len = line_end - v;
            return true;
        }
        p = e + 1;
    }
    return false;
}

/* Parses Byte-Range "a-b/t" (b and t may be '*': 0). False when malformed. */
static bool byte_range(const char *v, size_t n, uint64_t r[3])
{
    size_t i = 0;

    for (int k = 0; k < 3; k++) {
        size_t d = 0;
        r[k] = 0;
        if (k > 0 && i < n && v[i] == '*') {
            i++;
        } else {
            while (i < n && isdigit((unsigned char)v[i]) && d < 15) {
                r[k] = r[k] * 10 + (uint64_t)(v[i++] - '0');
                d++;
            }
            if (d == 0) {
                return false;
            }
        }
        if (k < 2 && (i >= n || v[i++] != (k == 0 ? '-' : '/'))) {
            return false;
        }
    }
    return r[0] >= 1;
}

/* Parses the frame at b[0..len). 1: complete (f filled), 0: more bytes needed, -1: not
 * MSRP. *scan is where the search for the end-line resumes (0 for a new frame), so that a
 * large body arriving in pieces is scanned once. `elided`: body bytes after the first 17
 * that were dropped unread (then Byte-Range must be right). When the headers are in,
 * f->has_body, f->body_off and f->expect_len are set even if more bytes are needed. */
static int msrp_parse(const char *b, size_t len, size_t *scan, struct frame *f, size_t elided)
{
    const char *nl;
    size_t p;
    size_t sp;
    size_t eol;

    memset(f, 0, sizeof(*f));
    nl = memchr(b, '\n', len < 512 ? len : 512);
    if (nl == NULL) {
        return len < 512 ? 0 : -1;
    }
    eol = (size_t)(nl - b);
    if (eol < 8 || memcmp(b, "MSRP ", 5) != 0 || b[eol - 1] != '\r') {
        return -1;
    }
    eol--; /* at the CR */
    f->tid = b + 5;
    sp = 5;
    while (sp < eol && b[sp] != ' ') {
        sp++;
    }
    f->tid_len = sp - 5;
    if (f->tid_len < 1 || f->tid_len > 64 || sp + 2 > eol) {
        return -1;
    }
    sp++;
    if (eol - sp >= 3 && isdigit((unsigned char)b[sp]) && isdigit((unsigned char)b[sp + 1]) &&
        isdigit((unsigned char)b[sp + 2]) && (eol - sp == 3 || b[sp + 3] == ' ')) {
        f->is_resp = true;
        f->code = (unsigned)((b[sp] - '0') * 100 + (b[sp + 1] - '0') * 10 + (b[sp + 2] - '0'));
    } else {
        f->method = b + sp;
        f->method_len = eol - sp;
    }
    p = (size_t)(nl - b) + 1;
    f->hdr_start = p;
    for (;;) {
        size_t e;
        nl = memchr(b + p, '\n', len - p);
        if (nl == NULL) {
            return len - p > 65536 ? -1 : 0;
        }
        e = (size_t)(nl - b);
        if (e == p || b[e - 1] != '\r') {
            return -1;
        }
        if (e - 1 == p) { /* empty line: a body follows */
            f->hdr_end = p;
            f->has_body = true;
            f->body_off = e + 1;
            break;
        }
        if (e - 1 - p == 7 + f->tid_len + 1 && memcmp(b + p, "-------", 7) == 0 &&
            memcmp(b + p + 7, f->tid, f->tid_len) == 0) {
            f->hdr_end = p;
            f->total = e + 1;
            return 1;
        }
        p = e + 1;
    }
    /* body: ends at CRLF "-------" tid flag CRLF */
    {
        char pat[80];
        size_t plen = 9 + f->tid_len;
        size_t from = *scan > f->body_off ? *scan : f->body_off;

        memcpy(pat, "\r\n-------", 9);
        memcpy(pat + 9, f->tid, f->tid_len);
        f->elided = elided;
        if (*scan == 0) {
            /* Fast path: the end-line where Byte-Range "a-b/t" puts it; searched for only
             * when it is not there. */
            const char *v;
            size_t vl;
            uint64_t r[3];

            if (hdr_get(b, f, "byte-range", &v, &vl) && byte_range(v, vl, r) && r[1] != 0 &&
                r[1] + 1 >= r[0]) {
                size_t at;
                f->expect_len = (size_t)(r[1] + 1 - r[0]);
                if (f->expect_len < elided) {
                    return -1;
                }
                at = f->body_off + f->expect_len - elided;
                if (at + plen + 3 > len) {
                    return 0;
                }
                if (memcmp(b + at, pat, plen) == 0 &&
                    (b[at + plen] == '$' || b[at + plen] == '+' || b[at + plen] == '#') &&
                    b[at + plen + 1] == '\r' && b[at + plen + 2] == '\n') {
                    f->body_len = f->expect_len;
                    f->total = at + plen + 3;
                    return 1;
                }
            }
        }
        if (elided > 0) {
            return -1; /* bytes were dropped on Byte-Range's word and it was wrong */
        }
        for (;;) {
            const char *q = from < len ? memmem(b + from, len - from, pat, plen) : NULL;
            size_t at;
            if (q == NULL) {
                *scan = len >= plen ? len - plen + 1 : 0;
                return 0;
            }
            at = (size_t)(q - b);
            if (at + plen + 3 > len) {
                *scan = at;
                return 0;
            }
            if ((b[at + plen] == '$' || b[at + plen] == '+' || b[at + plen] == '#') &&
                b[at + plen + 1] == '\r' && b[at + plen + 2] == '\n') {
                f->body_len = at >= f->body_off ? at - f->body_off : 0;
                f->total = at + plen + 3;
                return 1;
            }
            from = at + 1;
        }
    }
}

/* The last space-separated URI of a path value. */
static void path_last(const char *v, size_t n, const char **u, size_t *ul)
{
    size_t e = n;
    size_t s;

    while (e > 0 && v[e - 1] == ' ') {
        e--;
    }
    s = e;
    while (s > 0 && v[s - 1] != ' ') {
        s--;
    }
    *u = v + s;
    *ul = e - s;
}

/* ---------------------------------------------------------------- set-up (blocking) */

static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = bench_now_ns();
        struct pollfd pf = { .fd = fd, .events = events };
        int r;

        if (now >= deadline) {
            return -1;
        }
        r = poll(&pf, 1, (int)((deadline - now) / 1000000u) + 1);
        if (r > 0) {
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
    }
}

/* Non-blocking TCP connection to the relay, connected within the deadline; its local
 * port in *lport. */
static int tcp_connect(const struct sockaddr_in *dst, unsigned *lport, uint64_t deadline,
                       const char **why)
{
    struct sockaddr_in local;
    socklen_t sl = sizeof(local);
    int one = 1;
    int err = 0;
    socklen_t el = sizeof(err);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        *why = strerror(errno);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) != 0 && errno != EINPROGRESS) {
        *why = strerror(errno);
        close(fd);
        return -1;
    }
    if (wait_fd(fd, POLLOUT, deadline) != 0) {
        *why = "connect timed out";
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
        *why = strerror(err != 0 ? err : errno);
        close(fd);
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&local, &sl) != 0) {
        *why = strerror(errno);
        close(fd);
        return -1;
    }
    *lport = ntohs(local.sin_port);
    return fd;
}

static int send_all(int fd, const char *b, size_t n, uint64_t deadline)
{
    size_t off = 0;

    while (off < n) {
        ssize_t r = send(fd, b + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                if (wait_fd(fd, POLLOUT, deadline) != 0) {
                    return -1;
                }
                continue;
            }
            return -1;
        }
        off += (size_t)r;
    }
    return 0;
}

/* Reads until one frame is complete at buf's start. 0 or -1 (closed, timeout, garbage). */
static int read_frame(int fd, char *buf, size_t cap, size_t *have, struct frame *f,
                      uint64_t deadline, const char **why)
{
    size_t scan = 0;

    for (;;) {
        int rc = *have > 0 ? msrp_parse(buf, *have, &scan, f, 0) : 0;
        ssize_t r;

        if (rc > 0) {
            return 0;
        }
        if (rc < 0) {
            *why = "the relay sent something that is not an MSRP frame";
            return -1;
        }
        if (*have == cap) {
            *why = "frame too large";
            return -1;
        }
        if (wait_fd(fd, POLLIN, deadline) != 0) {
            *why = "no answer in time";
            return -1;
        }
        r = recv(fd, buf + *have, cap - *have, MSG_DONTWAIT);
        if (r == 0) {
            *why = "connection closed by the relay";
            return -1;
        }
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            *why = strerror(errno);
            return -1;
        }
        *have += (size_t)r;
    }
}

static void md5_hex(const char *s, size_t n, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(s, n, md, &mdlen, EVP_md5(), NULL);
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = bench_hexd[md[i] >> 4];
        out[2 * i + 1] = bench_hexd[md[i] & 0xf];
    }
    out[32] = '\0';
}

/* A parameter of a WWW-Authenticate value (quoted or token) into out; false if absent. */
static bool auth_param(const char *v, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    size_t i = 0;

    if (n >= 6 && bench_ci_eq(v, 6, "digest")) {
        i = 6;
    }
    while (i < n) {
        size_t ks;
        size_t ke;
        size_t vs;
        size_t ve;
        bool quoted = false;

        while (i < n && (v[i] == ' ' || v[i] == ',' || v[i] == '\t')) {
            i++;
        }
        ks = i;
        while (i < n && v[i] != '=' && v[i] != ',' && v[i] != ' ') {
            i++;
        }
        ke = i;
        while (i < n && v[i] == ' ') {
            i++;
        }
        if (i >= n || v[i] != '=') {
            continue;
        }
        i++;
        while (i < n && v[i] == ' ') {
            i++;
        }
        if (i < n && v[i] == '"') {
            quoted = true;
            i++;
        }
        vs = i;
        while (i < n && (quoted ? v[i] != '"' : (v[i] != ',' && v[i] != ' '))) {
            i++;
        }
        ve = i;
        if (quoted && i < n) {
            i++;
        }
        if (ke - ks == nl && bench_ci_eq(v + ks, nl, name)) {
            if (ve - vs + 1 > cap) {
                return false;
            }
            memcpy(out, v + vs, ve - vs);
            out[ve - vs] = '\0';
            return true;
        }
    }
    return false;
}

/* Builds `Authorization: Digest ...\r\n` for an AUTH to `uri` from a challenge. */
static bool build_authorization(const struct opts *o, const char *chal, size_t chal_len,
                                const char *uri, char *out, size_t cap, size_t *len)
{
    char realm[256];
    char nonce[256];
    char opaque[256];
    char qop[64];
    char buf[1024];
    char ha1[33];
    char ha2[33];
    char resp[33];
    char cnonce[17];
    bool has_qop;
    bool has_opaque;
    int n;

    if (!auth_param(chal, chal_len, "realm", realm, sizeof(realm)) ||
        !auth_param(chal, chal_len, "nonce", nonce, sizeof(nonce))) {
        return false;
    }
    has_qop = auth_param(chal, chal_len, "qop", qop, sizeof(qop));
    has_opaque = auth_param(chal, chal_len, "opaque", opaque, sizeof(opaque));
    if (has_qop) {
        /* "auth" or a list containing it */
        if (strstr(qop, "auth") == NULL) {
            return false;
        }
        memcpy(qop, "auth", 5);
    }
    bench_put_hex16(cnonce, bench_now_ns() ^ ((uint64_t)getpid() << 32));
    cnonce[16] = '\0';
    n = snprintf(buf, sizeof(buf), "%s:%s:%s", o->user, realm, o->password);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        return false;
    }
    md5_hex(buf, (size_t)n, ha1);
    n = snprintf(buf, sizeof(buf), "AUTH:%s", uri);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        return false;
    }
    md5_hex(buf, (size_t)n, ha2);
    if (has_qop) {
        n = snprintf(buf, sizeof(buf), "%s:%s:00000001:%s:auth:%s", ha1, nonce, cnonce, ha2);
    } else {
        n = snprintf(buf, sizeof(buf), "%s:%s:%s", ha1, nonce, ha2);
    }
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        return false;
    }
    md5_hex(buf, (size_t)n, resp);
    if (has_qop) {
        n = snprintf(out, cap,
                     "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
                     "uri=\"%s\", response=\"%s\", algorithm=MD5, qop=auth, nc=00000001, "
                     "cnonce=\"%s\"%s%s%s\r\n",
                     o->user, realm, nonce, uri, resp, cnonce, has_opaque ? ", opaque=\"" : "",
                     has_opaque ? opaque : "", has_opaque ? "\"" : "");
    } else {
        n = snprintf(out, cap,
                     "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
                     "uri=\"%s\", response=\"%s\", algorithm=MD5%s%s%s\r\n",
                     o->user, realm, nonce, uri, resp, has_opaque ? ", opaque=\"" : "",
                     has_opaque ? opaque : "", has_opaque ? "\"" : "");
    }
    if (n < 0 || (size_t)n >= cap) {
        return false;
    }
    *len = (size_t)n;
    return true;
}

/* AUTH on a connected socket; the first URI of the 200's Use-Path into use_path. */
static int msrp_auth(int fd, const struct opts *o, const char *my_uri, char *use_path,
                     size_t use_cap, const char **why)
{
    static _Atomic uint64_t tid_seq;
    char relay_uri[URI_MAX];
    char req[2048];
    char authz[1400];
    size_t authz_len = 0;
    char *buf = malloc(SETUP_BUF);
    size_t have = 0;
    uint64_t deadline = bench_now_ns() + (uint64_t)o->timeout_ms * 1000000u;
    int rc = -1;

    if (buf == NULL) {
        *why = "out of memory";
        return -1;
    }
    snprintf(relay_uri, sizeof(relay_uri), "msrp://%s:%u;tcp", o->host, o->port);
    for (int attempt = 0; attempt < 2; attempt++) {
        char tid[TID_LEN + 1];
        struct frame f;
        int n;

        bench_put_hex16(tid, 0xa000000000000000ull | atomic_fetch_add(&tid_seq, 1));
        tid[TID_LEN] = '\0';
        n = snprintf(req, sizeof(req),
                     "MSRP %s AUTH\r\nTo-Path: %s\r\nFrom-Path: %s\r\n%.*s-------%s$\r\n", tid,
                     relay_uri, my_uri, (int)authz_len, authz, tid);
        if (n < 0 || (size_t)n >= sizeof(req)) {
            *why = "AUTH too long";
            break;
        }
        if (send_all(fd, req, (size_t)n, deadline) != 0) {
            *why = "cannot send AUTH";
            break;
        }
        if (read_frame(fd, buf, SETUP_BUF, &have, &f, deadline, why) != 0) {
            break;
        }
        if (!f.is_resp || f.tid_len != TID_LEN || memcmp(f.tid, tid, TID_LEN) != 0) {
            *why = "the answer to AUTH is not its response";
            break;
        }
        if (f.code == 200) {
            const char *v;
            size_t vl;
            size_t ul = 0;
            if (!hdr_get(buf, &f, "use-path", &v, &vl)) {
                *why = "200 to AUTH without Use-Path";
                break;
            }
            while (ul < vl && v[ul] != ' ') {
                ul++;
            }
            if (ul == 0 || ul + 1 > use_cap) {
                *why = "bad Use-Path";
                break;
            }
            memcpy(use_path, v, ul);
            use_path[ul] = '\0';
            rc = 0;
            break;
        }
        if (f.code == 401 && attempt == 0) {
            const char *v;
            size_t vl;
            if (o->user == NULL) {
                *why = "401 to AUTH: give --user and --password";
                break;
            }
            if (!hdr_get(buf, &f, "www-authenticate", &v, &vl) ||
                !build_authorization(o, v, vl, relay_uri, authz, sizeof(authz), &authz_len)) {
                *why = "401 with an unusable WWW-Authenticate";
                break;
            }
            memmove(buf, buf + f.total, have - f.total);
            have -= f.total;
            continue;
        }
        {
            static char msg[64];
            snprintf(msg, sizeof(msg), "AUTH answered %u", f.code);
            *why = msg; /* set-up is single-threaded */
        }
        break;
    }
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- load */

enum role { ROLE_A, ROLE_B };

struct pair;

struct conn {
    int fd;
    enum role role;
    struct pair *p;
    uint32_t mask;
    unsigned lport;
    char *rx;
    size_t rx_len;
    size_t rx_cap;
    size_t scan;
    size_t elided;  /* B: body bytes of the frame being read dropped unread */
    size_t discard; /* B: bytes still to drop from the socket (recv MSG_TRUNC) */
    bool big;       /* B: the last body was large: read in small steps at frame starts */
    char *tx;       /* B: responses */
    size_t tx_len;
    size_t tx_off;
    char uri[URI_MAX];
    char use_path[URI_MAX];
};

struct txf {
    char head[HEAD_MAX];
    size_t head_len;
    char tail[TAIL_MAX];
    size_t tail_len;
};

/* A SEND in flight; B reassembles it here when the relay delivers it in chunks. */
struct slot {
    uint64_t seq;
    uint64_t sent_ns;
    bool busy;
    size_t got;    /* body bytes received */
    char head[17]; /* body bytes 1..17: "<16 hex id>\n" */
    char tail[17]; /* the last 17: "\n<16 hex id>" */
};

/* The load's counters (struct bench_counters). C_CHUNKS: SENDs that carried part of a
 * message (the relay re-chunked it). */
enum {
    C_SENT,
    C_DELIVERED,
    C_BODY_BYTES,
    C_RESP_OK,
    C_RESP_ERR,
    C_REPORTS,
    C_UNEXPECTED,
    C_CORRUPT,
    C_CHUNKS,
    C_LOST,
    C_STALE,
    C_DEAD_PAIRS,
};

struct pair {
    unsigned idx;
    struct conn a;
    struct conn b;
    struct bench_thread *w; /* the load thread that serves it */
    struct shared *sh;
    bool dead;
    uint64_t next_seq;
    unsigned inflight;
    struct slot *win;
    struct txf *txq; /* ring of `window` frames queued on A */
    unsigned tx_first;
    unsigned tx_count;
    size_t tx_off;
    char head[HEAD_MAX]; /* SEND template: tid, Message-ID and body prefix patched */
    size_t head_len;
    size_t off_tid;
    size_t off_mid;
    size_t off_seq;
};

struct shared {
    const struct opts *o;
    const char *filler; /* body bytes between the prefix and the suffix */
    size_t filler_len;
    _Atomic unsigned alive_pairs;
    _Atomic unsigned err_printed;
};

static void report_err(struct shared *sh, const char *fmt, unsigned pair, const char *what,
                       size_t what_len)
{
    if (atomic_fetch_add(&sh->err_printed, 1) < ERR_PRINT_MAX) {
        fprintf(stderr, "msrpload: pair %u: %s: %.*s\n", pair, fmt,
                (int)(what_len > 200 ? 200 : what_len), what);
    }
}

static void pair_kill(struct pair *p, const char *why)
{
    if (p->dead) {
        return;
    }
    report_err(p->sh, "closed", p->idx, why, strlen(why));
    p->dead = true;
    epoll_ctl(p->w->ep, EPOLL_CTL_DEL, p->a.fd, NULL);
    epoll_ctl(p->w->ep, EPOLL_CTL_DEL, p->b.fd, NULL);
    close(p->a.fd);
    close(p->b.fd);
    bench_count(&p->w->cnt, C_DEAD_PAIRS, 1);
    atomic_fetch_sub(&p->sh->alive_pairs, 1);
}

static void set_mask(struct pair *p, struct conn *c, uint32_t want)
{
    bench_ep_mask(p->w->ep, c->fd, c, &c->mask, want);
}

/* Builds the SEND template of a pair (after AUTH: B's Use-Path is known). */
static int pair_template(struct pair *p, const struct opts *o)
{
    const char *mark = BENCH_MARK;
    size_t off[3];

    if (o->raw) {
        snprintf(p->b.use_path, sizeof(p->b.use_path), "msrp://%s:%u/raw;tcp", o->host, o->port);
    }
    if (bench_template(p->head, sizeof(p->head), &p->head_len, off, 3,
                       "MSRP %s SEND\r\n"
                       "To-Path: %s %s\r\n"
                       "From-Path: %s\r\n"
                       "Message-ID: %s\r\n"
                       "Byte-Range: 1-%zu/%zu\r\n"
                       "Content-Type: text/plain\r\n"
                       "\r\n"
                       "%s\n",
                       mark, p->b.use_path, p->b.uri, p->a.uri, mark, o->size, o->size,
                       mark) != 0) {
        return -1;
    }
    p->off_tid = off[0];
    p->off_mid = off[1];
    p->off_seq = off[2];
    return 0;
}

/* Writes A's queued frames: head (per frame), filler (shared), tail (per frame). */
static void a_flush(struct pair *p)
{
    struct shared *sh = p->sh;

    while (p->tx_count > 0) {
        struct iovec iov[IOV_MAX_FRAMES * 3];
        int niov = 0;
        size_t skip = p->tx_off;
        ssize_t r;
        size_t done;

        for (unsigned k = 0; k < p->tx_count && k < IOV_MAX_FRAMES; k++) {
            struct txf *t = &p->txq[(p->tx_first + k) % p->sh->o->window];
            struct iovec parts[3] = {
                { t->head, t->head_len },
                { (void *)sh->filler, sh->filler_len },
                { t->tail, t->tail_len },
            };
            for (int j = 0; j < 3; j++) {
                if (skip >= parts[j].iov_len) {
                    skip -= parts[j].iov_len;
                    continue;
                }
                iov[niov].iov_base = (char *)parts[j].iov_base + skip;
                iov[niov].iov_len = parts[j].iov_len - skip;
                skip = 0;
                niov++;
            }
        }
        {
            struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
            r = sendmsg(p->a.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            pair_kill(p, strerror(errno));
            return;
        }
        done = (size_t)r + p->tx_off;
        while (p->tx_count > 0) {
            struct txf *t = &p->txq[p->tx_first];
            size_t flen = t->head_len + sh->filler_len + t->tail_len;
            if (done < flen) {
                break;
            }
            done -= flen;
            p->tx_first = (p->tx_first + 1) % sh->o->window;
            p->tx_count--;
        }
        p->tx_off = done;
    }
    set_mask(p, &p->a, EPOLLIN | (p->tx_count > 0 ? EPOLLOUT : 0));
}

/* Queues new SENDs while the window allows, then writes. */
static void a_fill(struct pair *p, uint64_t now)
{
    const struct opts *o = p->sh->o;
    unsigned W = o->window;
    unsigned queued = 0;

    while (!p->dead && p->inflight < W && !p->win[p->next_seq % W].busy) {
        uint64_t seq = p->next_seq++;
        uint64_t id = ((uint64_t)p->idx << 40) | seq;
        struct slot *s = &p->win[seq % W];
        struct txf *t = &p->txq[(p->tx_first + p->tx_count) % W];
        char tid[TID_LEN];
        int n;

        if (p->tx_count >= W) {
            p->next_seq--;
            break;
        }
        bench_put_hex16(tid, id);
        memcpy(t->head, p->head, p->head_len);
        memcpy(t->head + p->off_tid, tid, TID_LEN);
        memcpy(t->head + p->off_mid, tid, TID_LEN);
        bench_put_hex16(t->head + p->off_seq, id);
        t->head_len = p->head_len;
        t->tail[0] = '\n';
        bench_put_hex16(t->tail + 1, id);
        n = snprintf(t->tail + 17, TAIL_MAX - 17, "\r\n-------%.*s$\r\n", TID_LEN, tid);
        t->tail_len = 17 + (size_t)n;
        p->tx_count++;
        s->seq = seq;
        s->sent_ns = now;
        s->busy = true;
        s->got = 0;
        p->inflight++;
        queued++;
    }
    if (queued > 0) {
        bench_count(&p->w->cnt, C_SENT, queued);
    }
    if (!p->dead) {
        a_flush(p);
    }
}

/* Copies the part of chunk [a, b] (message byte numbers, 1-based) that falls in the region
 * [lo, hi] of the message to dst (which holds that region). The regions asked for (the first
 * and last ELIDE_KEEP bytes of the message) always lie in what b_elide keeps of a chunk. */
static void take_region(const char *body, const struct frame *f, uint64_t a, uint64_t b,
                        uint64_t lo, uint64_t hi, char *dst)
{
    uint64_t from = a > lo ? a : lo;
    uint64_t to = b < hi ? b : hi;

    for (uint64_t x = from; x <= to && from <= to; x++) {
        uint64_t i = x - a; /* in the chunk */
        dst[x - lo] = i < ELIDE_KEEP ? body[i] : body[i - f->elided];
    }
}

/* Checks one SEND (a whole message or a chunk of one) B received; the message is
 * delivered, and its window slot freed, when all its bytes are in. */
static void b_got_send(struct pair *p, const char *b, const struct frame *f, uint64_t now)
{
    struct bench_thread *w = p->w;
    const struct opts *o = p->sh->o;
    const char *body = b + f->body_off;
    const char *v;
    size_t vl;
    const char *last;
    size_t last_len;
    uint64_t id;
    uint64_t id2;
    uint64_t seq;
    uint64_t br[3];
    uint64_t size = o->size;
    struct slot *s;

    if (!hdr_get(b, f, "to-path", &v, &vl)) {
        bench_count(&w->cnt, C_CORRUPT, 1);
        report_err(p->sh, "SEND without To-Path", p->idx, b, f->hdr_end);
        return;
    }
    path_last(v, vl, &last, &last_len);
    if (last_len != strlen(p->b.uri) || memcmp(last, p->b.uri, last_len) != 0) {
        bench_count(&w->cnt, C_CORRUPT, 1);
        report_err(p->sh, "SEND for another endpoint", p->idx, v, vl);
        return;
    }
    if (!hdr_get(b, f, "message-id", &v, &vl) || vl != 16 || !get_hex16(v, &id) ||
        (id >> 40) != p->idx) {
        bench_count(&w->cnt, C_CORRUPT, 1);
        report_err(p->sh, "bad Message-ID", p->idx, b, f->hdr_end);
        return;
    }
    if (!f->has_body || !hdr_get(b, f, "byte-range", &v, &vl) || !byte_range(v, vl, br)) {
        bench_count(&w->cnt, C_CORRUPT, 1);
        report_err(p->sh, "SEND without body or Byte-Range", p->idx, b, f->hdr_end);
        return;
    }
    if (f->body_len == 0 && (br[1] == 0 || br[1] + 1 == br[0])) {
        return; /* an empty chunk (e.g. one that only closes a message): nothing to check */
    }
    if (br[1] == 0) {
        br[1] = br[0] + f->body_len - 1;
    }
    if (f->body_len == 0 || br[1] - br[0] + 1 != f->body_len || br[1] > size ||
        (br[2] != 0 && br[2] != size)) {
        char msg[160];
        int n = snprintf(msg, sizeof(msg), "Byte-Range %.*s but %zu body bytes (message %016llx)",
                         (int)(vl > 60 ? 60 : vl), v, f->body_len, (unsigned long long)id);
        bench_count(&w->cnt, C_CORRUPT, 1);
        report_err(p->sh, "body length and Byte-Range disagree", p->idx, msg,
                   n > 0 ? (size_t)n : 0);
        return;
    }
    seq = id & ((1ull << 40) - 1);
    s = &p->win[seq % o->window];
    if (!s->busy || s->seq != seq) {
        bench_count(&w->cnt, C_STALE, 1);
        return;
    }
    if (f->body_len < size) {
        bench_count(&w->cnt, C_CHUNKS, 1);
    }
    take_region(body, f, br[0], br[1], 1, 17, s->head);
    take_region(body, f, br[0], br[1], size - 16, size, s->tail);
    if (o->verify_all) {
        uint64_t from = br[0] > 18 ? br[0] : 18;
        uint64_t to = br[1] < size - 17 ? br[1] : size - 17;
        if (from <= to && memcmp(body + (from - br[0]), p->sh->filler + (from - 18),
                                 (size_t)(to - from + 1)) != 0) {
            bench_count(&w->cnt, C_CORRUPT, 1);
            report_err(p->sh, "damaged body", p->idx, b, f->hdr_end);
            return;
        }
    }
    s->got += f->body_len;
    if (s->got < size) {
        return;
    }
    if (s->got > size || s->head[16] != '\n' || s->tail[0] != '\n' || !get_hex16(s->head, &id2) ||
        id2 != id || !get_hex16(s->tail + 1, &id2) || id2 != id) {
        bench_count(&w->cnt, C_CORRUPT, 1);
        report_err(p->sh, "damaged body", p->idx, b, f->hdr_end);
        s->got = 0;
        return;
    }
    s->busy = false;
    p->inflight--;
    bench_count(&w->cnt, C_DELIVERED, 1);
    bench_count(&w->cnt, C_BODY_BYTES, size);
    bench_count_lat(&w->cnt, (now - s->sent_ns) / 1000);
}

/* Queues B's 200 to a request: To-Path = the request's From-Path, From-Path = B. */
static bool b_answer(struct pair *p, const char *b, const struct frame *f)
{
    struct conn *c = &p->b;
    const char *fp;
    size_t fpl;
    size_t cap = B_TX_CAP;
    size_t len;

    if (!hdr_get(b, f, "from-path", &fp, &fpl)) {
        fp = "";
        fpl = 0;
    }
    if (c->tx_off > 0 && c->tx_len + 1024 + fpl > cap) {
        memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
        c->tx_len -= c->tx_off;
        c->tx_off = 0;
    }
    len = c->tx_len;
    if (!puts_z(c->tx, cap, &len, "MSRP ") || !put(c->tx, cap, &len, f->tid, f->tid_len) ||
        !puts_z(c->tx, cap, &len, " 200 OK\r\nTo-Path: ") || !put(c->tx, cap, &len, fp, fpl) ||
        !puts_z(c->tx, cap, &len, "\r\nFrom-Path: ") || !puts_z(c->tx, cap, &len, c->uri) ||
        !puts_z(c->tx, cap, &len, "\r\n-------") || !put(c->tx, cap, &len, f->tid, f->tid_len) ||
        !puts_z(c->tx, cap, &len, "$\r\n")) {
        return false; /* full: the caller waits for the relay to read */
    }
    c->tx_len = len;
    return true;
}

static void b_flush(struct pair *p)
{
    struct conn *c = &p->b;

    if (bench_tx_flush(c->fd, c->tx, &c->tx_off, &c->tx_len) != 0) {
        pair_kill(p, strerror(errno));
    }
}

/* B, the frame at rx + off incomplete but its headers in: drops the middle of its body
 * (all but the first and last ELIDE_KEEP bytes) unread, from the buffer now and from the
 * socket as it arrives (recv with MSG_TRUNC does not copy), so that B's copying does not
 * limit large frames. Only when Byte-Range gives the length and no search has started. */
static void b_elide(struct conn *c, size_t off, const struct frame *f)
{
    size_t body = off + f->body_off;
    size_t len = f->expect_len;
    size_t have;
    size_t real;
    size_t mid_end;
    size_t upto;

    if (len < ELIDE_MIN || c->scan != 0 || c->discard > 0 || c->rx_len < body) {
        return;
    }
    have = c->rx_len - body;
    real = have + c->elided; /* body bytes received so far */
    mid_end = len - ELIDE_KEEP;
    if (real <= ELIDE_KEEP) {
        return;
    }
    upto = real < mid_end ? real : mid_end;
    if (upto > ELIDE_KEEP + c->elided) {
        size_t n = upto - (ELIDE_KEEP + c->elided);
        memmove(c->rx + body + ELIDE_KEEP, c->rx + body + ELIDE_KEEP + n, have - ELIDE_KEEP - n);
        c->rx_len -= n;
        c->elided += n;
    }
    if (real < mid_end) {
        c->discard = mid_end - real;
        c->elided += c->discard;
    }
    c->big = true;
}

/* Handles the frames complete in a connection's buffer. Returns false when it stopped
 * early (B's answers do not fit until the relay reads). */
static bool conn_frames(struct pair *p, struct conn *c, uint64_t now)
{
    struct bench_thread *w = p->w;
    size_t off = 0;
    bool all = true;

    while (!p->dead && off < c->rx_len) {
        struct frame f;
        size_t scan_rel = c->scan;
        int rc = msrp_parse(c->rx + off, c->rx_len - off, &scan_rel, &f, c->elided);
        const char *b = c->rx + off;

        if (rc < 0) {
            bench_count(&w->cnt, C_CORRUPT, 1);
            report_err(p->sh, "not MSRP", p->idx, b, c->rx_len - off > 80 ? 80 : c->rx_len - off);
            pair_kill(p, "unframeable data");
            return true;
        }
        if (rc == 0) {
            c->scan = scan_rel;
            if (c->role == ROLE_B && f.has_body && !p->sh->o->verify_all) {
                b_elide(c, off, &f);
            }
            break;
        }
        if (f.is_resp) {
            if (f.code == 200) {
                bench_count(&w->cnt, C_RESP_OK, 1);
            } else {
                bench_count(&w->cnt, C_RESP_ERR, 1);
                report_err(p->sh, c->role == ROLE_A ? "A got" : "B got", p->idx, b,
                           f.hdr_start > 2 ? f.hdr_start - 2 : f.hdr_start);
            }
        } else if (c->role == ROLE_B && bench_ci_eq(f.method, f.method_len, "send")) {
            if (!b_answer(p, b, &f)) {
                all = false;
                break;
            }
            b_got_send(p, b, &f, now);
        } else if (bench_ci_eq(f.method, f.method_len, "report")) {
            bench_count(&w->cnt, C_REPORTS, 1);
            report_err(p->sh, "REPORT", p->idx, b, f.hdr_end);
        } else {
            bench_count(&w->cnt, C_UNEXPECTED, 1);
            report_err(p->sh, "unexpected request", p->idx, b, f.hdr_end);
        }
        off += f.total;
        c->scan = 0;
        c->elided = 0;
    }
    if (p->dead) {
        return true;
    }
    if (off > 0) {
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
    }
    if (c->rx_len == c->rx_cap && all) {
        bench_count(&w->cnt, C_CORRUPT, 1);
        pair_kill(p, "frame larger than the receive buffer");
    }
    return all;
}

static void conn_read(struct pair *p, struct conn *c, uint64_t now)
{
    ssize_t r;
    size_t room;

    if (c->discard > 0) {
        r = recv(c->fd, NULL, c->discard, MSG_TRUNC | MSG_DONTWAIT);
        if (r == 0) {
            pair_kill(p, "B's connection closed by the relay");
            return;
        }
        if (r < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                pair_kill(p, strerror(errno));
            }
            return;
        }
        c->discard -= (size_t)r;
        if (c->discard > 0) {
            return;
        }
    }
    if (c->rx_len == c->rx_cap) {
        return;
    }
    room = c->rx_cap - c->rx_len;
    if (c->big && room > BIG_READ) {
        room = BIG_READ;
    }
    r = recv(c->fd, c->rx + c->rx_len, room, MSG_DONTWAIT);
    if (r == 0) {
        pair_kill(p, c->role == ROLE_A ? "A's connection closed by the relay"
                                       : "B's connection closed by the relay");
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            pair_kill(p, strerror(errno));
        }
        return;
    }
    c->rx_len += (size_t)r;
    (void)conn_frames(p, c, now);
}

/* B: read, answer, flush; stops reading while its answers cannot be written. */
static void b_service(struct pair *p, uint64_t now, bool readable)
{
    bool caught_up;

    b_flush(p);
    if (p->dead) {
        return;
    }
    caught_up = conn_frames(p, &p->b, now); /* backlog kept while the tx was full */
    if (!p->dead && caught_up && readable) {
        conn_read(p, &p->b, now);
        caught_up = !p->dead && conn_frames(p, &p->b, now);
    }
    if (p->dead) {
        return;
    }
    b_flush(p);
    if (p->dead) {
        return;
    }
    set_mask(p, &p->b, (caught_up ? EPOLLIN : 0) | (p->b.tx_len > 0 ? EPOLLOUT : 0));
}

static void scan_lost(struct bench_thread *w, uint64_t now)
{
    const struct shared *sh = w->ctx;
    uint64_t limit = (uint64_t)sh->o->timeout_ms * 1000000u;
    unsigned W = sh->o->window;

    for (unsigned i = 0; i < w->nitems; i++) {
        struct pair *p = w->items[i];
        bool freed = false;
        if (p->dead) {
            continue;
        }
        for (unsigned s = 0; s < W; s++) {
            if (p->win[s].busy && now - p->win[s].sent_ns > limit) {
                p->win[s].busy = false;
                p->inflight--;
                bench_count(&w->cnt, C_LOST, 1);
                freed = true;
            }
        }
        if (freed) {
            a_fill(p, now);
        }
    }
}

static void *worker_main(void *arg)
{
    struct bench_thread *w = arg;
    struct epoll_event evs[128];
    uint64_t last_scan = bench_now_ns();

    for (unsigned i = 0; i < w->nitems; i++) {
        a_fill(w->items[i], bench_now_ns());
    }
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        int n = epoll_wait(w->ep, evs, 128, 50);
        uint64_t now = bench_now_ns();

        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            struct pair *p = c->p;
            uint32_t ev = evs[i].events;

            if (p->dead) {
                continue;
            }
            if (c->role == ROLE_A) {
                if (ev & EPOLLOUT) {
                    a_flush(p);
                }
                if (!p->dead && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                    conn_read(p, c, now);
                }
            } else {
                b_service(p, now, (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0);
                if (!p->dead) {
                    a_fill(p, now);
                }
            }
        }
        if (now - last_scan > 100000000u) {
            scan_lost(w, now);
            last_scan = now;
        }
    }
    return NULL;
}

/* Sleeps up to s seconds; returns early when every pair is gone. ctx: struct shared. */
static void sleep_watch(void *ctx, double s)
{
    struct shared *sh = ctx;
    uint64_t end = bench_now_ns() + (uint64_t)(s * 1e9);

    while (bench_now_ns() < end && atomic_load(&sh->alive_pairs) > 0) {
        uint64_t left = end - bench_now_ns();
        bench_sleep_s(left > 50000000u ? 0.05 : (double)left / 1e9);
    }
}

static char *make_filler(size_t n)
{
    static const char pat[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *f = malloc(n + 1);

    if (f == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        f[i] = pat[i % (sizeof(pat) - 1)];
    }
    return f;
}

/* Connects one endpoint and (unless raw) AUTHs it. */
static int endpoint_open(struct conn *c, const struct opts *o, const struct sockaddr_in *dst,
                         const char *name)
{
    uint64_t deadline = bench_now_ns() + (uint64_t)o->timeout_ms * 1000000u;
    const char *why = "";

    c->fd = tcp_connect(dst, &c->lport, deadline, &why);
    if (c->fd < 0) {
        fprintf(stderr, "msrpload: %s: connect %s:%u: %s\n", name, o->host, o->port, why);
        return -1;
    }
    snprintf(c->uri, sizeof(c->uri), "msrp://127.0.0.1:%u/%s%u;tcp", c->lport, name,
             (unsigned)getpid());
    if (!o->raw && msrp_auth(c->fd, o, c->uri, c->use_path, sizeof(c->use_path), &why) != 0) {
        fprintf(stderr, "msrpload: %s: AUTH: %s\n", name, why);
        return -1;
    }
    return 0;
}

static int run_load(const struct opts *o)
{
    struct sockaddr_in dst;
    struct shared sh;
    struct pair *pairs;
    struct bench_pool pool;
    struct bench_window win = {
        .warmup = o->warmup, .duration = o->duration, .pid = o->pid, .wait = sleep_watch
    };
    struct bench_result *r = malloc(sizeof(*r));
    size_t frame_max = o->size + 2048;
    size_t rx_cap = frame_max * 2 > 65536 ? frame_max * 2 : 65536;
    uint64_t frames;
    uint64_t errors;

    if (r == NULL || bench_resolve(o->host, o->port, &dst) != 0) {
        return 1;
    }
    memset(&sh, 0, sizeof(sh));
    sh.o = o;
    sh.filler_len = o->size - MIN_SIZE;
    sh.filler = make_filler(sh.filler_len);
    pairs = calloc(o->pairs, sizeof(*pairs));
    if (sh.filler == NULL || pairs == NULL) {
        fprintf(stderr, "msrpload: out of memory\n");
        return 1;
    }
    if (bench_pool_init(&pool, o->threads, o->pairs, &sh) != 0) {
        return 1;
    }
    /* Set-up: A then B for each pair, in order (bytepump pairs connections that way). */
    for (unsigned i = 0; i < o->pairs; i++) {
        struct pair *p = &pairs[i];
        struct bench_thread *w = bench_pool_deal(&pool, p);
        char name[32];

        p->idx = i;
        p->w = w;
        p->sh = &sh;
        p->a.role = ROLE_A;
        p->b.role = ROLE_B;
        p->a.p = p;
        p->b.p = p;
        snprintf(name, sizeof(name), "a%u-", i);
        if (endpoint_open(&p->a, o, &dst, name) != 0) {
            return 1;
        }
        snprintf(name, sizeof(name), "b%u-", i);
        if (endpoint_open(&p->b, o, &dst, name) != 0) {
            return 1;
        }
        if (pair_template(p, o) != 0) {
            fprintf(stderr, "msrpload: SEND header too long\n");
            return 1;
        }
        p->win = calloc(o->window, sizeof(*p->win));
        p->txq = malloc(sizeof(*p->txq) * o->window);
        p->a.rx_cap = 65536;
        p->a.rx = malloc(p->a.rx_cap);
        p->b.rx_cap = rx_cap;
        p->b.rx = malloc(p->b.rx_cap);
        p->b.tx = malloc(B_TX_CAP);
        if (p->win == NULL || p->txq == NULL || p->a.rx == NULL || p->b.rx == NULL ||
            p->b.tx == NULL) {
            fprintf(stderr, "msrpload: out of memory\n");
            return 1;
        }
        for (int k = 0; k < 2; k++) {
            struct conn *c = k == 0 ? &p->a : &p->b;
            struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
            c->mask = EPOLLIN;
            epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
        }
    }
    atomic_store(&sh.alive_pairs, o->pairs);
    if (bench_pool_run(&pool, worker_main, &win, r) != 0) {
        return 1;
    }
    frames = bench_delta(r, C_DELIVERED);
    /* Errors over the whole run (set-up excluded): a failure in the warm-up counts too. */
    errors = r->z.n[C_RESP_ERR] + r->z.n[C_REPORTS] + r->z.n[C_UNEXPECTED] + r->z.n[C_CORRUPT] +
             r->z.n[C_LOST] + r->z.n[C_STALE] + r->z.n[C_DEAD_PAIRS];
    printf("mode=%s pairs=%u size=%zu window=%u threads=%u seconds=%.3f frames=%llu "
           "rate=%.1f mbps=%.2f resp_ok=%llu resp_err=%llu reports=%llu unexpected=%llu "
           "corrupt=%llu chunks=%llu lost=%llu stale=%llu dead_pairs=%llu errors=%llu "
           "server_cpu=%.3f "
           "server_cpu_us_per_frame=%.3f client_cpu=%.3f lat_avg_us=%.0f lat_p50_us=%.0f "
           "lat_p99_us=%.0f\n",
           o->raw ? "raw" : "relay", o->pairs, o->size, o->window, o->threads, r->secs,
           (unsigned long long)frames, r->secs > 0 ? (double)frames / r->secs : 0,
           r->secs > 0 ? (double)bench_delta(r, C_BODY_BYTES) / r->secs / 1e6 : 0,
           (unsigned long long)bench_delta(r, C_RESP_OK), (unsigned long long)r->z.n[C_RESP_ERR],
           (unsigned long long)r->z.n[C_REPORTS], (unsigned long long)r->z.n[C_UNEXPECTED],
           (unsigned long long)r->z.n[C_CORRUPT], (unsigned long long)bench_delta(r, C_CHUNKS),
           (unsigned long long)r->z.n[C_LOST], (unsigned long long)r->z.n[C_STALE],
           (unsigned long long)r->z.n[C_DEAD_PAIRS], (unsigned long long)errors, r->server_cpu,
           frames > 0 && r->server_cpu >= 0 ? r->server_cpu * 1e6 / (double)frames : -1,
           r->client_cpu, r->lat.avg, r->lat.p50, r->lat.p99);
    fflush(stdout);
    for (unsigned i = 0; i < o->pairs; i++) {
        struct pair *p = &pairs[i];
        if (!p->dead) {
            close(p->a.fd);
            close(p->b.fd);
        }
        free(p->win);
        free(p->txq);
        free(p->a.rx);
        free(p->b.rx);
        free(p->b.tx);
    }
    bench_pool_fini(&pool);
    free(pairs);
    free((char *)sh.filler);
    free(r);
    return frames > 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- idle, probe */

static int run_idle(const struct opts *o)
{
    struct sockaddr_in dst;
    int *fds = malloc(sizeof(*fds) * o->idle);
    unsigned ok = 0;
    unsigned failed = 0;
    unsigned closed = 0;
    long long pss0 = 0;
    long long rss0 = 0;
    long long pss1 = 0;
    long long rss1 = 0;
    uint64_t t0;
    double setup_s;
    const char *first_why = NULL;

    if (fds == NULL || bench_resolve(o->host, o->port, &dst) != 0) {
        return 1;
    }
    if (o->pid > 0) {
        bench_tree_mem(o->pid, &pss0, &rss0);
    }
    t0 = bench_now_ns();
    for (unsigned i = 0; i < o->idle; i++) {
        uint64_t deadline = bench_now_ns() + (uint64_t)o->timeout_ms * 1000000u;
        const char *why = "";
        char uri[URI_MAX];
        char use_path[URI_MAX];
        unsigned lport;
        int fd = tcp_connect(&dst, &lport, deadline, &why);

        fds[i] = -1;
        if (fd >= 0) {
            snprintf(uri, sizeof(uri), "msrp://127.0.0.1:%u/i%u;tcp", lport, i);
            if (msrp_auth(fd, o, uri, use_path, sizeof(use_path), &why) == 0) {
                fds[i] = fd;
                ok++;
                continue;
            }
            close(fd);
        }
        if (first_why == NULL) {
            fprintf(stderr, "msrpload: idle session %u: %s\n", i, why);
            first_why = why;
        }
        failed++;
        if (failed > 100 && ok == 0) {
            break;
        }
    }
    setup_s = (double)(bench_now_ns() - t0) / 1e9;
    bench_sleep_s(o->settle);
    if (o->pid > 0) {
        bench_tree_mem(o->pid, &pss1, &rss1);
    }
    /* Still open? A readable idle socket has been closed (or sent something). */
    for (unsigned i = 0; i < o->idle; i++) {
        struct pollfd pf = { .fd = fds[i], .events = POLLIN };
        if (fds[i] >= 0 && poll(&pf, 1, 0) > 0) {
            closed++;
        }
    }
    printf("mode=idle sessions=%u ok=%u failed=%u closed=%u setup_s=%.2f pss_before_kb=%lld "
           "pss_after_kb=%lld rss_before_kb=%lld rss_after_kb=%lld pss_per_session_b=%.0f\n",
           o->idle, ok, failed, closed, setup_s, pss0, pss1, rss0, rss1,
           ok > 0 ? (double)(pss1 - pss0) * 1024.0 / ok : 0);
    fflush(stdout);
    if (o->duration_set && o->duration > 0) {
        bench_sleep_s(o->duration);
    }
    for (unsigned i = 0; i < o->idle; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    free(fds);
    return ok == o->idle && closed == 0 ? 0 : 1;
}

/* Relay: one AUTH answered 200. Raw: two connections, bytes written on the first come
 * out of the second. Exit 0 when ready. */
static int run_probe(const struct opts *o)
{
    struct sockaddr_in dst;
    struct conn a;
    struct conn b;
    uint64_t deadline = bench_now_ns() + (uint64_t)o->timeout_ms * 1000000u;
    const char *why = "";
    char buf[64];
    size_t have = 0;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    if (bench_resolve(o->host, o->port, &dst) != 0) {
        return 1;
    }
    if (!o->raw) {
        if (endpoint_open(&a, o, &dst, "probe") != 0) {
            return 1;
        }
        printf("Use-Path: %s\n", a.use_path);
        close(a.fd);
        return 0;
    }
    a.fd = tcp_connect(&dst, &a.lport, deadline, &why);
    b.fd = a.fd >= 0 ? tcp_connect(&dst, &b.lport, deadline, &why) : -1;
    if (a.fd < 0 || b.fd < 0 || send_all(a.fd, "probe\r\n", 7, deadline) != 0) {
        fprintf(stderr, "msrpload: probe: %s\n", why);
        return 1;
    }
    while (have < 7) {
        ssize_t r;
        if (wait_fd(b.fd, POLLIN, deadline) != 0) {
            fprintf(stderr, "msrpload: probe: nothing came through\n");
            return 1;
        }
        r = recv(b.fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
        if (r == 0) {
            fprintf(stderr, "msrpload: probe: closed\n");
            return 1;
        }
        if (r > 0) {
            have += (size_t)r;
        }
    }
    close(a.fd);
    close(b.fd);
    if (memcmp(buf, "probe\r\n", 7) != 0) {
        fprintf(stderr, "msrpload: probe: bytes changed on the way\n");
        return 1;
    }
    printf("pump ok\n");
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct rlimit rl;

    parse_opts(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (o.probe) {
        return run_probe(&o);
    }
    if (o.idle > 0) {
        return run_idle(&o);
    }
    return run_load(&o);
}
