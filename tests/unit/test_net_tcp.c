/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP through kr_net_start with real sockets on 127.0.0.1 and ::1 (ephemeral ports) and
 * 2 workers: framing across partial writes, several messages per write, writes from a
 * worker that does not own the connection and from main, send queues (EPOLLOUT path,
 * limit), outgoing connections and their reuse, idle timeout, connection limit, framing
 * errors, close by id, and a prompt stop with connections open; streamed bodies through a
 * sink (pause, resume, abort), kr_net_sendv, used_conn, back-pressure waits, pausing a
 * connection and the closed callback. Messages in these tests are lines: the test framer
 * cuts at '\n' and rejects '!'; a line starting "head" is a head whose body follows. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/stats.h"
#include "core/timer.h"
#include "net/net.h"

/* ---- what the workers saw ---- */

struct entry {
    char text[64];
    uint64_t conn_id;
    unsigned worker;
    int rc;
    size_t queued;
    struct kr_sockaddr src;
    bool sink; /* rcv->sink was set (a head) */
};

/* The body sink the receive callback installs for "head <n> [pause<k>|fail]" (one at a
 * time in these tests); the closed callback's log. Under lg.mu. */
enum { SINK_MAX = 1 << 16, CLOSED_MAX = 64 };
struct sink_rec {
    size_t want;     /* body bytes announced */
    size_t got;      /* bytes consumed, in body[] */
    size_t pause_at; /* pause once when got reaches it (0: never) */
    bool paused;     /* it asked to pause */
    bool fail;       /* feed fails */
    bool done;
    int feeds;
    int aborts;
    int abort_no_worker; /* abort called with w NULL (shutdown) */
    uint64_t conn_id;
    char body[SINK_MAX];
};
struct closed_rec {
    uint64_t conn_id;
    bool no_worker;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct entry e[512];
    int n;
    size_t flood_bytes;
    int flood_limited;
    struct sink_rec sk;
    struct closed_rec closed[CLOSED_MAX];
    int nclosed;
} lg = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void log_reset(void)
{
    pthread_mutex_lock(&lg.mu);
    lg.n = 0;
    lg.flood_bytes = 0;
    lg.flood_limited = 0;
    memset(&lg.sk, 0, sizeof(lg.sk));
    lg.nclosed = 0;
    pthread_mutex_unlock(&lg.mu);
}

static void deadline_in(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits until pred() holds (checked under lg.mu). */
static bool wait_for(bool (*pred)(void *), void *arg, int timeout_ms)
{
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&lg.mu);
    int rc = 0;
    while (!pred(arg) && rc == 0) {
        rc = pthread_cond_timedwait(&lg.cv, &lg.mu, &ts);
    }
    bool ok = pred(arg);
    pthread_mutex_unlock(&lg.mu);
    return ok;
}

static bool sink_got_at_least(void *arg)
{
    return lg.sk.got >= *(size_t *)arg;
}

static bool sink_done(void *arg)
{
    (void)arg;
    return lg.sk.done;
}

/* The sink for a body of *arg bytes asked to pause. */
static bool sink_paused(void *arg)
{
    return lg.sk.paused && lg.sk.want == *(size_t *)arg;
}

static bool sink_aborted(void *arg)
{
    return lg.sk.aborts >= *(int *)arg;
}

static bool closed_at_least(void *arg)
{
    return lg.nclosed >= *(int *)arg;
}

static struct sink_rec sink_now(void)
{
    pthread_mutex_lock(&lg.mu);
    struct sink_rec r = lg.sk;
    pthread_mutex_unlock(&lg.mu);
    return r;
}

/* How many times the closed callback reported conn_id. */
static int closed_count(uint64_t conn_id, bool *no_worker)
{
    int n = 0;
    pthread_mutex_lock(&lg.mu);
    for (int i = 0; i < lg.nclosed; i++) {
        if (lg.closed[i].conn_id == conn_id) {
            n++;
            if (no_worker) {
                *no_worker = lg.closed[i].no_worker;
            }
        }
    }
    pthread_mutex_unlock(&lg.mu);
    return n;
}

static bool wait_entries(int n, int timeout_ms)
{
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&lg.mu);
    int rc = 0;
    while (lg.n < n && rc == 0) {
        rc = pthread_cond_timedwait(&lg.cv, &lg.mu, &ts);
    }
    bool ok = lg.n >= n;
    pthread_mutex_unlock(&lg.mu);
    return ok;
}

static struct entry entry_at(int i)
{
    pthread_mutex_lock(&lg.mu);
    struct entry e = lg.e[i];
    pthread_mutex_unlock(&lg.mu);
    return e;
}

/* ---- the transport's callbacks ---- */

static int line_frame(const char *d, size_t len, struct kr_net_frame_state *st, size_t *skip,
                      size_t *msg_len, struct kr_err *err)
{
    (void)st;
    size_t s = 0;
    while (s < len && d[s] == '\n') {
        s++;
    }
    *skip = s;
    for (size_t i = s; i < len; i++) {
        if (d[i] == '!') {
            return kr_err_set(err, KR_EPARSE, i, "bang");
        }
        if (d[i] == '\n') {
            *msg_len = i + 1 - s;
            return i - s >= 4 && memcmp(d + s, "head", 4) == 0 ? KR_NET_FRAME_HEAD : 0;
        }
    }
    return KR_EAGAIN;
}

static bool starts(const char *data, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && memcmp(data, p, n) == 0;
}

/* ---- the body sink (owner thread) ---- */

static long sink_feed(struct kr_worker *w, void *arg, const char *data, size_t len,
                      enum kr_net_sink_state *state)
{
    struct sink_rec *sk = arg;
    (void)w;
    pthread_mutex_lock(&lg.mu);
    sk->feeds++;
    if (sk->fail) {
        pthread_mutex_unlock(&lg.mu);
        return -1;
    }
    size_t take = sk->want - sk->got < len ? sk->want - sk->got : len;
    bool pause = false;
    if (sk->pause_at && !sk->paused && sk->got + take >= sk->pause_at) {
        take = sk->pause_at - sk->got;
        pause = true;
    }
    memcpy(sk->body + sk->got, data, take);
    sk->got += take;
    if (sk->got == sk->want) {
        sk->done = true; /* done wins over a pause at the last byte */
        *state = KR_NET_SINK_DONE;
    } else {
        sk->paused = sk->paused || pause;
        *state = pause ? KR_NET_SINK_PAUSE : KR_NET_SINK_MORE;
    }
    pthread_cond_broadcast(&lg.cv);
    pthread_mutex_unlock(&lg.mu);
    return (long)take;
}

static void sink_abort(struct kr_worker *w, void *arg)
{
    struct sink_rec *sk = arg;
    pthread_mutex_lock(&lg.mu);
    sk->aborts++;
    sk->abort_no_worker += w == NULL;
    pthread_cond_broadcast(&lg.cv);
    pthread_mutex_unlock(&lg.mu);
}

/* "head <n> [pause<k>|fail]": installs the sink for n body bytes; "headnosink": none. */
static void install_sink(const struct kr_rcv *rcv, const char *data, size_t len)
{
    if (starts(data, len, "headnosink")) {
        return;
    }
    uint64_t n = 0;
    uint64_t k = 0;
    size_t i = 5;
    size_t j = i;
    while (j < len && data[j] >= '0' && data[j] <= '9') {
        j++;
    }
    assert_int_equal(kr_str_to_u64(kr_str_make(data + i, j - i), SINK_MAX, &n), 0);
    bool fail = starts(data + j, len - j, " fail");
    if (starts(data + j, len - j, " pause")) {
        size_t e = j + 6;
        while (e < len && data[e] >= '0' && data[e] <= '9') {
            e++;
        }
        assert_int_equal(kr_str_to_u64(kr_str_make(data + j + 6, e - j - 6), n, &k), 0);
    }
    pthread_mutex_lock(&lg.mu);
    int aborts = lg.sk.aborts;
    int no_worker = lg.sk.abort_no_worker;
    memset(&lg.sk, 0, offsetof(struct sink_rec, body));
    lg.sk.aborts = aborts; /* counted over the test */
    lg.sk.abort_no_worker = no_worker;
    lg.sk.want = (size_t)n;
    lg.sk.pause_at = (size_t)k;
    lg.sk.fail = fail;
    lg.sk.conn_id = rcv->conn_id;
    pthread_mutex_unlock(&lg.mu);
    *rcv->sink = (struct kr_net_sink){ .feed = sink_feed, .abort = sink_abort, .arg = &lg.sk };
}

static void on_closed(struct kr_worker *w, uint64_t conn_id)
{
    pthread_mutex_lock(&lg.mu);
    if (lg.nclosed < CLOSED_MAX) {
        lg.closed[lg.nclosed++] = (struct closed_rec){ .conn_id = conn_id, .no_worker = !w };
    }
    pthread_cond_broadcast(&lg.cv);
    pthread_mutex_unlock(&lg.mu);
}

static void tcp_recv(struct kr_worker *w, const struct kr_rcv *rcv, const char *data, size_t len)
{
    struct entry e;
    memset(&e, 0, sizeof(e));
    memcpy(e.text, data, len < sizeof(e.text) - 1 ? len : sizeof(e.text) - 1);
    e.conn_id = rcv->conn_id;
    e.worker = w->id;
    e.src = rcv->src;
    e.sink = rcv->sink != NULL;
    if (rcv->sink) {
        install_sink(rcv, data, len);
    }
    struct kr_send_dst d = {
        .proto = rcv->proto,
        .to = rcv->src,
        .conn_id = rcv->conn_id,
        .flags = KR_SEND_NO_CONNECT,
    };
    size_t flood = 0;
    int limited = 0;
    if (starts(data, len, "echo")) {
        e.rc = kr_net_send(w, &d, data, len);
    } else if (starts(data, len, "big ")) {
        uint64_t n = 0;
        kr_str_to_u64(kr_str_make(data + 4, len - 5), 100000000, &n);
        char *buf = malloc(n);
        for (uint64_t i = 0; i < n; i++) {
            buf[i] = (char)('a' + i % 23);
        }
        e.rc = kr_net_send(w, &d, buf, n);
        struct kr_net_conn_info info;
        if (kr_net_conn_info(rcv->conn_id, &info) == 0) {
            e.queued = info.queued;
        }
        free(buf);
    } else if (starts(data, len, "flood")) {
        enum { CHUNK = 64 * 1024 };
        char *buf = malloc(CHUNK);
        memset(buf, 'f', CHUNK);
        for (int i = 0; i < 1000; i++) {
            int rc = kr_net_send(w, &d, buf, CHUNK);
            if (rc == KR_ELIMIT) {
                limited = 1;
                break;
            }
            if (rc != 0) {
                break;
            }
            flood += CHUNK;
        }
        free(buf);
    } else if (starts(data, len, "close")) {
        d.flags |= KR_SEND_CLOSE;
        e.rc = kr_net_send(w, &d, "bye\n", 4);
    } else if (starts(data, len, "pause")) {
        kr_net_conn_pause(rcv->conn_id);
    }
    pthread_mutex_lock(&lg.mu);
    if (lg.n < (int)(sizeof(lg.e) / sizeof(lg.e[0]))) {
        lg.e[lg.n++] = e;
    }
    lg.flood_bytes += flood;
    lg.flood_limited += limited;
    pthread_cond_broadcast(&lg.cv);
    pthread_mutex_unlock(&lg.mu);
}

static const struct kr_listen *run_tcp4;
static const struct kr_listen *run_tcp6;

static void start(struct kr_net_opts o)
{
    struct kr_listen ls[2];
    struct kr_err err = { 0 };
    assert_int_equal(kr_net_listen_parse(KR_STR("tcp:127.0.0.1:0"), &ls[0], &err), 1);
    assert_int_equal(kr_net_listen_parse(KR_STR("tcp:[::1]:0"), &ls[1], &err), 1);
    o.listens = ls;
    o.nlistens = 2;
    o.workers = 2;
    o.recv = tcp_recv;
    o.frame = line_frame;
    o.closed = on_closed;
    log_reset();
    if (kr_net_start(&o, &err) != 0) {
        fail_msg("kr_net_start: %s", err.reason);
    }
    size_t n;
    const struct kr_listen *run = kr_net_listens(&n);
    assert_int_equal(n, 2);
    run_tcp4 = &run[0];
    run_tcp6 = &run[1];
}

/* ---- client helpers ---- */

static int connect_rcvbuf(const struct kr_listen *l, int rcvbuf)
{
    int fd = socket(l->addr.u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0) { /* a small window keeps the kernel from taking everything at once */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    assert_int_equal(connect(fd, &l->addr.u.sa, l->addr.len), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        assert_true(k > 0);
        s += k;
        n -= (size_t)k;
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

static bool read_exact(int fd, char *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) != 1) {
            return false;
        }
        ssize_t k = recv(fd, buf + got, n - got, 0);
        if (k <= 0) {
            return false;
        }
        got += (size_t)k;
    }
    return true;
}

static void expect(int fd, const char *s)
{
    size_t n = strlen(s);
    char *buf = malloc(n + 1);
    assert_true(read_exact(fd, buf, n, 3000));
    assert_memory_equal(buf, s, n);
    free(buf);
}

static int connect_to(const struct kr_listen *l)
{
    return connect_rcvbuf(l, 0);
}

/* True when the peer closed (EOF or reset) within timeout_ms; data before is skipped. */
static bool wait_closed(int fd, int timeout_ms)
{
    uint64_t end = kr_time_now_ms() + (uint64_t)timeout_ms;
    char buf[4096];
    for (;;) {
        uint64_t now = kr_time_now_ms();
        if (now >= end) {
            return false;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, (int)(end - now)) != 1) {
            return false;
        }
        ssize_t k = recv(fd, buf, sizeof(buf), 0);
        if (k == 0 || (k < 0 && errno == ECONNRESET)) {
            return true;
        }
    }
}

/* Runs kr_net_send on worker idx (0-based) and waits for the result. */
struct send_task {
    struct kr_loop_task t;
    struct kr_send_dst dst;
    const char *msg;
    int rc;
    unsigned by;
    bool done;
};

static void send_task_fn(struct kr_loop *l, struct kr_loop_task *t)
{
    struct send_task *st = t->arg;
    struct kr_worker *w = kr_worker_current();
    (void)l;
    st->rc = kr_net_send(w, &st->dst, st->msg, strlen(st->msg));
    pthread_mutex_lock(&lg.mu);
    st->by = w ? w->id : 0;
    st->done = true;
    pthread_cond_broadcast(&lg.cv);
    pthread_mutex_unlock(&lg.mu);
}

static int send_on_worker(unsigned idx, const struct kr_send_dst *dst, const char *msg,
                          unsigned *by)
{
    struct send_task st = { .dst = *dst, .msg = msg, .rc = 1 };
    kr_loop_task_init(&st.t, send_task_fn, &st);
    struct kr_worker *w = kr_net_worker(idx);
    assert_non_null(w);
    kr_loop_post(&w->loop, &st.t);
    pthread_mutex_lock(&lg.mu);
    while (!st.done) {
        pthread_cond_wait(&lg.cv, &lg.mu);
    }
    pthread_mutex_unlock(&lg.mu);
    if (by) {
        *by = st.by;
    }
    return st.rc;
}

/* ---- tests ---- */

static int stop_net(void **state)
{
    (void)state;
    kr_net_stop();
    return 0;
}

static void test_tcp_framing(void **state)
{
    (void)state;
    unsigned long long acc = kr_stat_get(KR_STAT_TCP_ACCEPTED);
    start((struct kr_net_opts){ 0 });
    int fd = connect_to(run_tcp4);
    const char *m = "echo one byte at a time\n";
    for (size_t i = 0; i < strlen(m); i++) {
        send_all(fd, m + i, 1);
    }
    expect(fd, m);
    send_str(fd, "\n\necho a\necho b\n");
    expect(fd, "echo a\necho b\n");
    assert_true(wait_entries(3, 2000));
    struct entry e = entry_at(0);
    assert_string_equal(e.text, m);
    assert_int_equal(e.rc, 0);
    assert_string_equal(entry_at(1).text, "echo a\n");
    assert_string_equal(entry_at(2).text, "echo b\n");

    int fd6 = connect_to(run_tcp6);
    send_str(fd6, "echo six\n");
    expect(fd6, "echo six\n");
    assert_true(wait_entries(4, 2000));
    struct entry e6 = entry_at(3);
    assert_int_equal(e6.src.u.sa.sa_family, AF_INET6);
    struct kr_net_conn_info info;
    assert_int_equal(kr_net_conn_info(e6.conn_id, &info), 0);
    assert_int_equal(info.proto, KR_PROTO_TCP);
    assert_ptr_equal(info.sock, run_tcp6);
    assert_false(info.outgoing);
    assert_true(info.connected);
    assert_true(kr_addr_eq(&info.local, &run_tcp6->addr));
    assert_true(kr_addr_eq(&info.peer, &e6.src));
    assert_int_equal(kr_stat_get(KR_STAT_TCP_ACCEPTED), acc + 2);
    assert_int_not_equal(e.conn_id, e6.conn_id);
    close(fd);
    close(fd6);
    kr_net_stop();
}

static void test_tcp_other_writers(void **state)
{
    (void)state;
    start((struct kr_net_opts){ 0 });
    int fd = connect_to(run_tcp4);
    send_str(fd, "note\n");
    assert_true(wait_entries(1, 2000));
    struct entry e = entry_at(0);
    unsigned other = e.worker == 1 ? 1 : 0; /* 0-based index of the worker not owning it */
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .conn_id = e.conn_id };
    unsigned by = 0;
    assert_int_equal(send_on_worker(other, &d, "from the other worker\n", &by), 0);
    assert_int_not_equal(by, e.worker);
    struct kr_net_conn_info info;
    assert_int_equal(kr_net_conn_info(e.conn_id, &info), 0);
    assert_int_equal(info.owner, e.worker);
    expect(fd, "from the other worker\n");
    assert_int_equal(kr_net_send(NULL, &d, "from main\n", 10), 0);
    expect(fd, "from main\n");
    /* by peer address only */
    struct kr_send_dst byaddr = { .proto = KR_PROTO_TCP, .to = e.src, .flags = KR_SEND_NO_CONNECT };
    assert_int_equal(kr_net_send(NULL, &byaddr, "by address\n", 11), 0);
    expect(fd, "by address\n");
    /* unknown id, no address: not found */
    struct kr_send_dst none = { .proto = KR_PROTO_TCP, .conn_id = e.conn_id + 1000 };
    assert_int_equal(kr_net_send(NULL, &none, "x\n", 2), KR_ENOTFOUND);

    /* close by id: the client sees the end */
    assert_int_equal(kr_net_conn_close(e.conn_id), 0);
    assert_true(wait_closed(fd, 2000));
    assert_int_equal(kr_net_conn_info(e.conn_id, &info), KR_ENOTFOUND);
    assert_int_equal(kr_net_conn_close(e.conn_id), KR_ENOTFOUND);
    close(fd);
    kr_net_stop();
}

static void test_tcp_slow_reader(void **state)
{
    (void)state;
    /* More than the kernel's socket buffers can take (tcp_wmem max is 4 MB by default). */
    start((struct kr_net_opts){ .tcp_sendq_max = 32 * 1024 * 1024 });
    int fd = connect_rcvbuf(run_tcp4, 16384);
    enum { BIG = 12000000 };
    send_str(fd, "big 12000000\n");
    assert_true(wait_entries(1, 3000)); /* sent (and queued) before we read anything */
    struct entry e = entry_at(0);
    assert_int_equal(e.rc, 0);
    assert_true(e.queued > 0);
    char *buf = malloc(BIG);
    assert_true(read_exact(fd, buf, BIG, 3000));
    for (size_t i = 0; i < BIG; i++) {
        if (buf[i] != (char)('a' + i % 23)) {
            fail_msg("byte %zu differs", i);
        }
    }
    free(buf);
    /* the queue drained and the connection still works */
    send_str(fd, "echo after\n");
    expect(fd, "echo after\n");
    struct kr_net_conn_info info;
    assert_int_equal(kr_net_conn_info(e.conn_id, &info), 0);
    assert_int_equal(info.queued, 0);
    close(fd);
    kr_net_stop();
}

static void test_tcp_sendq_limit(void **state)
{
    (void)state;
    unsigned long long full = kr_stat_get(KR_STAT_TCP_SENDQ_FULL);
    start((struct kr_net_opts){ .tcp_sendq_max = 512 * 1024 });
    int fd = connect_to(run_tcp4);
    send_str(fd, "flood\n");
    assert_true(wait_entries(1, 5000));
    pthread_mutex_lock(&lg.mu);
    size_t total = lg.flood_bytes;
    int limited = lg.flood_limited;
    pthread_mutex_unlock(&lg.mu);
    assert_int_equal(limited, 1);
    assert_true(total > 0);
    assert_true(kr_stat_get(KR_STAT_TCP_SENDQ_FULL) >= full + 1);
    char *buf = malloc(total);
    assert_true(read_exact(fd, buf, total, 3000));
    for (size_t i = 0; i < total; i++) {
        if (buf[i] != 'f') {
            fail_msg("byte %zu differs", i);
        }
    }
    free(buf);
    /* nothing more: the refused chunk was not half-written */
    struct pollfd p = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 100), 0);
    close(fd);
    kr_net_stop();
}

static int listen_local(struct kr_sockaddr *a)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    assert_int_equal(kr_addr_from_ip(KR_STR("127.0.0.1"), 0, a), 0);
    assert_int_equal(bind(lfd, &a->u.sa, a->len), 0);
    assert_int_equal(listen(lfd, 16), 0);
    a->len = sizeof(a->u);
    assert_int_equal(getsockname(lfd, &a->u.sa, &a->len), 0);
    return lfd;
}

static int accept_wait(int lfd, int timeout_ms)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) != 1) {
        return -1;
    }
    return accept(lfd, NULL, NULL);
}

static void test_tcp_outgoing(void **state)
{
    (void)state;
    unsigned long long connected = kr_stat_get(KR_STAT_TCP_CONNECTED);
    start((struct kr_net_opts){ 0 });
    struct kr_sockaddr peer;
    int lfd = listen_local(&peer);
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .to = peer };

    struct kr_send_dst nc = d;
    nc.flags = KR_SEND_NO_CONNECT;
    assert_int_equal(kr_net_send(NULL, &nc, "x\n", 2), KR_ENOTFOUND);

    /* from main: queued while connecting, then delivered */
    assert_int_equal(kr_net_send(NULL, &d, "one\n", 4), 0);
    int afd = accept_wait(lfd, 3000);
    assert_true(afd >= 0);
    expect(afd, "one\n");
    /* from a worker: the same connection */
    unsigned by;
    assert_int_equal(send_on_worker(1, &d, "two\n", &by), 0);
    expect(afd, "two\n");
    assert_int_equal(accept_wait(lfd, 200), -1);
    /* the far end talks back over it: read by korero like any connection */
    send_str(afd, "echo back\n");
    expect(afd, "echo back\n");
    assert_true(wait_entries(1, 2000));
    struct entry e = entry_at(0);
    struct kr_net_conn_info info;
    assert_int_equal(kr_net_conn_info(e.conn_id, &info), 0);
    assert_true(info.outgoing);
    assert_true(info.connected);
    assert_true(kr_addr_eq(&info.peer, &peer));
    assert_ptr_equal(info.sock, run_tcp4);
    assert_int_equal(kr_stat_get(KR_STAT_TCP_CONNECTED), connected + 1);

    /* a worker opens its own connection, sends and closes after the message */
    close(afd);
    struct kr_sockaddr peer2;
    int lfd2 = listen_local(&peer2);
    struct kr_send_dst d2 = { .proto = KR_PROTO_TCP, .to = peer2, .flags = KR_SEND_CLOSE };
    assert_int_equal(send_on_worker(0, &d2, "three\n", &by), 0);
    int afd2 = accept_wait(lfd2, 3000);
    assert_true(afd2 >= 0);
    expect(afd2, "three\n");
    assert_true(wait_closed(afd2, 2000));
    close(afd2);

    /* nobody listening: the connect fails, the next send tries again */
    close(lfd2);
    int rc = kr_net_send(NULL, &d2, "lost\n", 5);
    if (rc != 0 && rc != KR_EIO) {
        fail_msg("rc %d", rc);
    }
    close(lfd);
    kr_net_stop();
}

static void test_tcp_idle_timeout(void **state)
{
    (void)state;
    unsigned long long to = kr_stat_get(KR_STAT_TCP_TIMEOUTS);
    start((struct kr_net_opts){ .tcp_connection_lifetime = 1 });
    int fd = connect_to(run_tcp4);
    send_str(fd, "echo x\n");
    expect(fd, "echo x\n");
    uint64_t t0 = kr_time_now_ms();
    assert_true(wait_closed(fd, 4000));
    uint64_t took = kr_time_now_ms() - t0;
    assert_true(took >= 800);
    assert_int_equal(kr_stat_get(KR_STAT_TCP_TIMEOUTS), to + 1);
    close(fd);
    kr_net_stop();
}

static void test_tcp_max_connections(void **state)
{
    (void)state;
    unsigned long long refused = kr_stat_get(KR_STAT_TCP_REFUSED);
    unsigned long long open_before = kr_stat_get(KR_STAT_TCP_CONNECTIONS);
    start((struct kr_net_opts){ .tcp_max_connections = 2 });
    int a = connect_to(run_tcp4);
    int b = connect_to(run_tcp6);
    send_str(a, "echo a\n");
    send_str(b, "echo b\n");
    expect(a, "echo a\n");
    expect(b, "echo b\n");
    assert_int_equal(kr_stat_get(KR_STAT_TCP_CONNECTIONS), open_before + 2);
    int c = connect_to(run_tcp4);
    assert_true(wait_closed(c, 2000));
    assert_int_equal(kr_stat_get(KR_STAT_TCP_REFUSED), refused + 1);
    /* outgoing connections count too */
    struct kr_sockaddr peer;
    int lfd = listen_local(&peer);
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .to = peer };
    assert_int_equal(kr_net_send(NULL, &d, "x\n", 2), KR_ELIMIT);
    close(lfd);
    close(c);
    close(a);
    close(b);
    kr_net_stop();
    assert_int_equal(kr_stat_get(KR_STAT_TCP_CONNECTIONS), open_before);
}

static void test_tcp_bad_input(void **state)
{
    (void)state;
    unsigned long long perr = kr_stat_get(KR_STAT_PARSE_ERRORS);
    start((struct kr_net_opts){ .max_msg_size = 1000 });
    int a = connect_to(run_tcp4);
    send_str(a, "echo ok\nbad!\n");
    expect(a, "echo ok\n");
    assert_true(wait_closed(a, 2000));
    close(a);
    int b = connect_to(run_tcp4);
    char big[3000];
    memset(big, 'x', sizeof(big));
    send_all(b, big, 600); /* incomplete but under the limit: kept */
    send_str(b, "\n");
    send_all(b, big, sizeof(big)); /* over the limit without an end */
    assert_true(wait_closed(b, 2000));
    close(b);
    assert_int_equal(kr_stat_get(KR_STAT_PARSE_ERRORS), perr + 2);
    assert_true(wait_entries(2, 2000));
    assert_int_equal(strlen(entry_at(1).text), 63); /* the 601-byte line, cut by the log */

    int c = connect_to(run_tcp4);
    send_str(c, "close\n");
    expect(c, "bye\n");
    assert_true(wait_closed(c, 2000));
    close(c);
    kr_net_stop();
}

static void test_tcp_stop_with_connections(void **state)
{
    (void)state;
    unsigned long long open_before = kr_stat_get(KR_STAT_TCP_CONNECTIONS);
    start((struct kr_net_opts){ 0 });
    enum { N = 10 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = connect_to(i % 2 ? run_tcp6 : run_tcp4);
        send_str(fds[i], "echo hi\n");
    }
    for (int i = 0; i < N; i++) {
        expect(fds[i], "echo hi\n");
    }
    /* one outgoing connection too, with data waiting (the peer never reads) */
    struct kr_sockaddr peer;
    int lfd = listen_local(&peer);
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .to = peer };
    assert_int_equal(kr_net_send(NULL, &d, "pending\n", 8), 0);
    int half = connect_to(run_tcp4);
    send_str(half, "incomplete"); /* buffered partial message */
    uint64_t t0 = kr_time_now_ms();
    kr_net_stop();
    assert_true(kr_time_now_ms() - t0 < 1000);
    for (int i = 0; i < N; i++) {
        assert_true(wait_closed(fds[i], 1000));
        close(fds[i]);
    }
    assert_true(wait_closed(half, 1000));
    close(half);
    close(lfd);
    assert_int_equal(kr_stat_get(KR_STAT_TCP_CONNECTIONS), open_before);
}

/* ---- streamed bodies, sendv, back-pressure, pause, closed ---- */

static bool entries_at_least(int n)
{
    return wait_entries(n, 3000);
}

/* Nothing arrives on fd within ms. */
static bool quiet(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 0;
}

static void test_tcp_sink_stream(void **state)
{
    (void)state;
    start((struct kr_net_opts){ 0 });
    int fd = connect_to(run_tcp4);
    /* the body comes in three reads: the sink gets each piece in order */
    send_str(fd, "head 10\n012");
    size_t want = 3;
    assert_true(wait_for(sink_got_at_least, &want, 3000));
    send_str(fd, "3456");
    want = 7;
    assert_true(wait_for(sink_got_at_least, &want, 3000));
    send_str(fd, "789echo after the body\n");
    assert_true(wait_for(sink_done, NULL, 3000));
    expect(fd, "echo after the body\n"); /* the rest went back to the framer */
    struct sink_rec r = sink_now();
    assert_int_equal(r.got, 10);
    assert_memory_equal(r.body, "0123456789", 10);
    assert_true(r.feeds >= 3);
    assert_int_equal(r.aborts, 0);
    assert_true(entries_at_least(2));
    struct entry h = entry_at(0);
    assert_string_equal(h.text, "head 10\n");
    assert_true(h.sink);
    assert_int_equal(r.conn_id, h.conn_id);
    assert_false(entry_at(1).sink);
    assert_string_equal(entry_at(1).text, "echo after the body\n");

    /* head, body and the next message in one write; then a head again */
    send_str(fd, "head 5\nabcdeecho z\nhead 3\nxyzecho w\n");
    expect(fd, "echo z\necho w\n");
    assert_true(wait_for(sink_done, NULL, 3000));
    r = sink_now();
    assert_int_equal(r.got, 3);
    assert_memory_equal(r.body, "xyz", 3);
    assert_true(entries_at_least(6));
    assert_string_equal(entry_at(2).text, "head 5\n");
    assert_string_equal(entry_at(3).text, "echo z\n");
    assert_string_equal(entry_at(4).text, "head 3\n");
    /* a body that looks like messages is body: only the sink sees it */
    send_str(fd, "head 8\necho x\n!echo y\n");
    expect(fd, "echo y\n");
    r = sink_now();
    assert_memory_equal(r.body, "echo x\n!", 8);
    assert_true(entries_at_least(8));
    assert_string_equal(entry_at(7).text, "echo y\n");
    assert_int_equal(closed_count(h.conn_id, NULL), 0);
    close(fd);
    kr_net_stop();
    assert_int_equal(sink_now().aborts, 0); /* no sink was left installed */
}

static void test_tcp_sink_pause(void **state)
{
    (void)state;
    start((struct kr_net_opts){ 0 });
    int fd = connect_to(run_tcp4);
    /* the sink takes 5 bytes and pauses; the rest of the read waits, and so does the
     * socket */
    send_str(fd, "head 20 pause5\nABCDEFGHIJKLMNOPQRSTecho p\n");
    size_t want = 20;
    assert_true(wait_for(sink_paused, &want, 3000));
    int feeds = sink_now().feeds;
    send_str(fd, "echo q\n");
    assert_true(quiet(fd, 300));
    struct sink_rec r = sink_now();
    assert_int_equal(r.got, 5);
    assert_int_equal(r.feeds, feeds); /* not fed while paused */
    assert_false(r.done);
    assert_true(entries_at_least(1));
    uint64_t id = entry_at(0).conn_id;
    pthread_mutex_lock(&lg.mu);
    int n = lg.n;
    pthread_mutex_unlock(&lg.mu);
    assert_int_equal(n, 1); /* only the head */
    /* resumed from this (non-worker) thread: the unconsumed bytes come first, in order */
    assert_int_equal(kr_net_conn_resume(id), 0);
    assert_true(wait_for(sink_done, NULL, 3000));
    expect(fd, "echo p\necho q\n");
    r = sink_now();
    assert_int_equal(r.got, 20);
    assert_memory_equal(r.body, "ABCDEFGHIJKLMNOPQRST", 20);
    assert_true(entries_at_least(3));
    assert_string_equal(entry_at(1).text, "echo p\n");
    assert_string_equal(entry_at(2).text, "echo q\n");
    assert_int_equal(kr_net_conn_resume(id + 1000), KR_ENOTFOUND);
    assert_int_equal(kr_net_conn_resume(id), 0); /* not paused: harmless */
    send_str(fd, "echo r\n");
    expect(fd, "echo r\n");

    /* paused with nothing left over: resuming reads the socket again */
    send_str(fd, "head 6 pause2\n12");
    want = 6;
    assert_true(wait_for(sink_paused, &want, 3000));
    send_str(fd, "3456echo s\n");
    assert_true(quiet(fd, 200));
    assert_int_equal(sink_now().got, 2);
    assert_int_equal(kr_net_conn_resume(id), 0);
    expect(fd, "echo s\n");
    r = sink_now();
    assert_true(r.done);
    assert_memory_equal(r.body, "123456", 6);
    close(fd);
    kr_net_stop();
}

static void test_tcp_sink_abort(void **state)
{
    (void)state;
    start((struct kr_net_opts){ 0 });
    /* the peer goes away in the middle of a body */
    int a = connect_to(run_tcp4);
    send_str(a, "head 1000\n0123456789");
    size_t want = 10;
    assert_true(wait_for(sink_got_at_least, &want, 3000));
    uint64_t ida = sink_now().conn_id;
    close(a);
    int one = 1;
    assert_true(wait_for(sink_aborted, &one, 3000));
    assert_true(wait_for(closed_at_least, &one, 3000));
    assert_int_equal(closed_count(ida, NULL), 1);
    struct sink_rec r = sink_now();
    assert_int_equal(r.aborts, 1);
    assert_int_equal(r.abort_no_worker, 0);

    /* a failing sink closes the connection (and is told, being installed) */
    int b = connect_to(run_tcp4);
    send_str(b, "head 100 fail\nxyz");
    assert_true(wait_closed(b, 3000));
    close(b);
    int two = 2;
    assert_true(wait_for(sink_aborted, &two, 3000));

    /* a head nobody takes the body of: the connection is closed */
    int c = connect_to(run_tcp4);
    send_str(c, "headnosink\nbody bytes");
    assert_true(wait_closed(c, 3000));
    close(c);
    int three = 3;
    assert_true(wait_for(closed_at_least, &three, 3000));
    assert_int_equal(sink_now().aborts, 2);

    /* closed by id with a sink installed */
    int d = connect_to(run_tcp6);
    send_str(d, "head 1000\nab");
    want = 2;
    assert_true(wait_for(sink_got_at_least, &want, 3000));
    uint64_t idd = sink_now().conn_id;
    assert_int_equal(kr_net_conn_close(idd), 0);
    assert_true(wait_closed(d, 3000));
    close(d);
    assert_true(wait_for(sink_aborted, &three, 3000));
    assert_int_equal(closed_count(idd, NULL), 1);

    /* and at shutdown: abort without a worker */
    int e = connect_to(run_tcp4);
    send_str(e, "head 1000\nabc");
    want = 3;
    assert_true(wait_for(sink_got_at_least, &want, 3000));
    uint64_t ide = sink_now().conn_id;
    kr_net_stop();
    r = sink_now();
    assert_int_equal(r.aborts, 4);
    assert_int_equal(r.abort_no_worker, 1);
    bool no_worker = false;
    assert_int_equal(closed_count(ide, &no_worker), 1);
    assert_true(no_worker);
    close(e);
}

static void test_tcp_sendv(void **state)
{
    (void)state;
    start((struct kr_net_opts){ 0 });
    int fd = connect_to(run_tcp4);
    send_str(fd, "note\n");
    assert_true(entries_at_least(1));
    struct entry e = entry_at(0);

    struct iovec iov[3] = {
        { .iov_base = "piece one|", .iov_len = 10 },
        { .iov_base = "two|", .iov_len = 4 },
        { .iov_base = "three\n", .iov_len = 6 },
    };
    uint64_t used = 0;
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .conn_id = e.conn_id, .used_conn = &used };
    assert_int_equal(kr_net_sendv(NULL, &d, iov, 3), 0);
    expect(fd, "piece one|two|three\n");
    assert_int_equal(used, e.conn_id);
    /* by address only: used_conn says which connection it took (kr_net_send too) */
    used = 0;
    struct kr_send_dst byaddr = {
        .proto = KR_PROTO_TCP, .to = e.src, .flags = KR_SEND_NO_CONNECT, .used_conn = &used
    };
    assert_int_equal(kr_net_sendv(NULL, &byaddr, iov + 1, 2), 0);
    expect(fd, "two|three\n");
    assert_int_equal(used, e.conn_id);
    used = 0;
    assert_int_equal(kr_net_send(NULL, &byaddr, "x\n", 2), 0);
    expect(fd, "x\n");
    assert_int_equal(used, e.conn_id);
    /* a new outgoing connection's id */
    struct kr_sockaddr peer;
    int lfd = listen_local(&peer);
    used = 0;
    struct kr_send_dst out = { .proto = KR_PROTO_TCP, .to = peer, .used_conn = &used };
    assert_int_equal(kr_net_sendv(NULL, &out, iov, 3), 0);
    int afd = accept_wait(lfd, 3000);
    assert_true(afd >= 0);
    expect(afd, "piece one|two|three\n");
    assert_int_not_equal(used, 0);
    assert_int_not_equal(used, e.conn_id);
    struct kr_net_conn_info info;
    assert_int_equal(kr_net_conn_info(used, &info), 0);
    assert_true(info.outgoing);
    assert_true(kr_addr_eq(&info.peer, &peer));

    /* refused: UDP, too many pieces, no connection */
    struct kr_send_dst udp = { .proto = KR_PROTO_UDP, .to = e.src };
    assert_int_equal(kr_net_sendv(NULL, &udp, iov, 3), KR_EINVAL);
    struct iovec many[17];
    for (int i = 0; i < 17; i++) {
        many[i] = (struct iovec){ .iov_base = "m", .iov_len = 1 };
    }
    assert_int_equal(kr_net_sendv(NULL, &d, many, 17), KR_EINVAL);
    assert_int_equal(kr_net_sendv(NULL, &d, many, 16), 0);
    expect(fd, "mmmmmmmmmmmmmmmm");
    struct kr_send_dst gone = { .proto = KR_PROTO_TCP, .conn_id = e.conn_id + 1000 };
    assert_int_equal(kr_net_sendv(NULL, &gone, iov, 3), KR_ENOTFOUND);
    close(afd);
    close(lfd);
    close(fd);
    kr_net_stop();
    assert_int_equal(kr_net_sendv(NULL, &d, iov, 3), KR_ENOTFOUND); /* not running */
}

/* Another thread sends small messages while main sends one big message in pieces. */
struct chatter {
    uint64_t conn_id;
    int sent;
};

static void *chatter_fn(void *arg)
{
    struct chatter *c = arg;
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .conn_id = c->conn_id };
    for (int i = 0; i < 300; i++) {
        if (kr_net_send(NULL, &d, "[zz]", 4) == 0) {
            c->sent++;
        }
        if (i % 30 == 0) {
            usleep(1000);
        }
    }
    return NULL;
}

static void test_tcp_sendv_atomic(void **state)
{
    (void)state;
    enum { PIECE = 256 * 1024, PIECES = 4, MSGS = 3 };
    start((struct kr_net_opts){ .tcp_sendq_max = 64 * 1024 * 1024 });
    int fd = connect_rcvbuf(run_tcp4, 16384);
    send_str(fd, "note\n");
    assert_true(entries_at_least(1));
    uint64_t id = entry_at(0).conn_id;
    char *pieces[PIECES];
    struct iovec iov[PIECES];
    for (int i = 0; i < PIECES; i++) {
        pieces[i] = malloc(PIECE);
        assert_non_null(pieces[i]);
        memset(pieces[i], 'a' + i, PIECE);
        iov[i] = (struct iovec){ .iov_base = pieces[i], .iov_len = PIECE };
    }
    struct chatter ch = { .conn_id = id };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, chatter_fn, &ch), 0);
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .conn_id = id };
    for (int m = 0; m < MSGS; m++) {
        assert_int_equal(kr_net_sendv(NULL, &d, iov, PIECES), 0);
        usleep(2000);
    }
    pthread_join(th, NULL);
    size_t total = (size_t)MSGS * PIECES * PIECE + (size_t)ch.sent * 4;
    char *buf = malloc(total);
    assert_non_null(buf);
    assert_true(read_exact(fd, buf, total, 5000));
    /* the stream is whole messages: "[zz]" or a..d runs of PIECE bytes each, in order */
    size_t i = 0;
    int big = 0;
    int small = 0;
    while (i < total) {
        if (buf[i] == '[') {
            assert_memory_equal(buf + i, "[zz]", 4);
            i += 4;
            small++;
            continue;
        }
        for (int k = 0; k < PIECES; k++) {
            for (size_t j = 0; j < PIECE; j++) {
                if (buf[i + j] != 'a' + k) {
                    fail_msg("message %d, piece %d: byte %zu is '%c'", big, k, j, buf[i + j]);
                }
            }
            i += PIECE;
        }
        big++;
    }
    assert_int_equal(big, MSGS);
    assert_int_equal(small, ch.sent);
    free(buf);
    for (int k = 0; k < PIECES; k++) {
        free(pieces[k]);
    }
    close(fd);
    kr_net_stop();
}

static void test_tcp_conn_pause(void **state)
{
    (void)state;
    start((struct kr_net_opts){ 0 });
    int fd = connect_to(run_tcp4);
    /* paused by the receive callback: the rest of the read waits */
    send_str(fd, "pause\necho a\n");
    assert_true(entries_at_least(1));
    uint64_t id = entry_at(0).conn_id;
    send_str(fd, "echo b\n");
    assert_true(quiet(fd, 300));
    pthread_mutex_lock(&lg.mu);
    int n = lg.n;
    pthread_mutex_unlock(&lg.mu);
    assert_int_equal(n, 1);
    /* sending to a paused connection still works */
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .conn_id = id };
    assert_int_equal(kr_net_send(NULL, &d, "out\n", 4), 0);
    expect(fd, "out\n");
    assert_int_equal(kr_net_conn_resume(id), 0);
    expect(fd, "echo a\necho b\n");
    send_str(fd, "echo c\n");
    expect(fd, "echo c\n");
    kr_net_conn_pause(id + 1000); /* unknown: nothing happens */
    /* a paused connection whose peer resets it is still closed (a peer that only shuts
     * its side with a FIN is seen once reads resume, or at the idle timeout) */
    send_str(fd, "pause\n");
    assert_true(entries_at_least(5));
    struct linger lg0 = { .l_onoff = 1, .l_linger = 0 };
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg0, sizeof(lg0)), 0);
    close(fd);
    int one = 1;
    assert_true(wait_for(closed_at_least, &one, 3000));
    assert_int_equal(closed_count(id, NULL), 1);
    kr_net_stop();
}

static void test_tcp_wait_drain(void **state)
{
    (void)state;
    /* The queue must stay above tcp_sendq_max / 4 while the peer does not read, however
     * much the kernel takes into its own buffers (tcp_wmem's maximum is 4 MB): a large
     * limit, filled to 3/8. */
    enum { CHUNK = 64 * 1024, SENDQ = 32 * 1024 * 1024 };
    start((struct kr_net_opts){ .tcp_sendq_max = SENDQ });
    int fa = connect_to(run_tcp4);           /* the waiter: a paused reader */
    int fb = connect_rcvbuf(run_tcp4, 4096); /* the slow receiver: not read yet */
    send_str(fa, "note a\n");
    assert_true(entries_at_least(1));
    send_str(fb, "note b\n");
    assert_true(entries_at_least(2));
    uint64_t ida = entry_at(0).conn_id;
    uint64_t idb = entry_at(1).conn_id;
    /* an empty queue: go on */
    assert_int_equal(kr_net_conn_wait_drain(idb, ida), 0);
    assert_int_equal(kr_net_conn_wait_drain(idb + 1000, ida), KR_ENOTFOUND);
    /* fill b's queue past tcp_sendq_max / 4 */
    char *chunk = malloc(CHUNK);
    assert_non_null(chunk);
    memset(chunk, 'q', CHUNK);
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .conn_id = idb };
    size_t sent = 0;
    struct kr_net_conn_info info = { 0 };
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(kr_net_conn_info(idb, &info), 0);
        if (info.queued > SENDQ / 8 * 3) {
            break;
        }
        int rc = kr_net_send(NULL, &d, chunk, CHUNK);
        if (rc == KR_ELIMIT) {
            break;
        }
        assert_int_equal(rc, 0);
        sent += CHUNK;
    }
    free(chunk);
    assert_true(info.queued > SENDQ / 4);
    /* a paused a waits for b */
    send_str(fa, "pause\necho later\n");
    assert_true(entries_at_least(3));
    assert_int_equal(kr_net_conn_wait_drain(idb, ida), 1);
    assert_int_equal(kr_net_conn_wait_drain(idb, ida), 1); /* asked twice: known once */
    assert_true(quiet(fa, 300));
    /* the peer reads: the queue drains and a is resumed */
    char *buf = malloc(CHUNK);
    assert_non_null(buf);
    for (size_t got = 0; got < sent; got += CHUNK) {
        assert_true(read_exact(fb, buf, CHUNK, 5000));
        for (size_t i = 0; i < CHUNK; i++) {
            if (buf[i] != 'q') {
                fail_msg("byte %zu differs", got + i);
            }
        }
    }
    free(buf);
    expect(fa, "echo later\n");
    assert_int_equal(kr_net_conn_info(idb, &info), 0);
    assert_int_equal(info.queued, 0);
    assert_int_equal(kr_net_conn_wait_drain(idb, ida), 0);

    /* a waiter is also resumed when the connection it waits for closes */
    chunk = malloc(CHUNK);
    assert_non_null(chunk);
    memset(chunk, 'r', CHUNK);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(kr_net_conn_info(idb, &info), 0);
        if (info.queued > SENDQ / 8 * 3 || kr_net_send(NULL, &d, chunk, CHUNK) != 0) {
            break;
        }
    }
    assert_true(info.queued > SENDQ / 4);
    free(chunk);
    send_str(fa, "pause\necho closed\n");
    assert_true(entries_at_least(5));
    assert_int_equal(kr_net_conn_wait_drain(idb, ida), 1);
    assert_true(quiet(fa, 200));
    assert_int_equal(kr_net_conn_close(idb), 0);
    expect(fa, "echo closed\n");
    assert_true(wait_closed(fb, 3000));
    assert_int_equal(kr_net_conn_wait_drain(idb, ida), KR_ENOTFOUND);
    close(fa);
    close(fb);
    kr_net_stop();
}

static void test_tcp_closed_callback(void **state)
{
    (void)state;
    start((struct kr_net_opts){ 0 });
    int fds[4];
    uint64_t ids[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = connect_to(i % 2 ? run_tcp6 : run_tcp4);
        send_str(fds[i], "note\n");
        assert_true(entries_at_least(i + 1));
        ids[i] = entry_at(i).conn_id;
    }
    /* closed by the peer, by id, by a framing error; one left for the stop */
    close(fds[0]);
    int want = 1;
    assert_true(wait_for(closed_at_least, &want, 3000));
    assert_int_equal(kr_net_conn_close(ids[1]), 0);
    assert_true(wait_closed(fds[1], 3000));
    send_str(fds[2], "bad!\n");
    assert_true(wait_closed(fds[2], 3000));
    want = 3;
    assert_true(wait_for(closed_at_least, &want, 3000));
    /* an outgoing connection whose connect is refused */
    struct kr_sockaddr peer;
    int lfd = listen_local(&peer);
    close(lfd);
    uint64_t out = 0;
    struct kr_send_dst d = { .proto = KR_PROTO_TCP, .to = peer, .used_conn = &out };
    int rc = kr_net_send(NULL, &d, "x\n", 2);
    assert_true(rc == 0 || rc == KR_EIO);
    want = 4;
    if (out != 0) {
        assert_true(wait_for(closed_at_least, &want, 3000));
        assert_int_equal(closed_count(out, NULL), 1);
    }
    usleep(100 * 1000);
    bool no_worker = true;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(closed_count(ids[i], &no_worker), 1);
        assert_false(no_worker);
    }
    assert_int_equal(closed_count(ids[3], NULL), 0);
    kr_net_stop();
    assert_int_equal(closed_count(ids[3], &no_worker), 1);
    assert_true(no_worker);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(closed_count(ids[i], NULL), 1); /* once each, stop included */
    }
    for (int i = 0; i < 4; i++) {
        close(fds[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_tcp_framing, stop_net),
        cmocka_unit_test_teardown(test_tcp_other_writers, stop_net),
        cmocka_unit_test_teardown(test_tcp_slow_reader, stop_net),
        cmocka_unit_test_teardown(test_tcp_sendq_limit, stop_net),
        cmocka_unit_test_teardown(test_tcp_outgoing, stop_net),
        cmocka_unit_test_teardown(test_tcp_idle_timeout, stop_net),
        cmocka_unit_test_teardown(test_tcp_max_connections, stop_net),
        cmocka_unit_test_teardown(test_tcp_bad_input, stop_net),
        cmocka_unit_test_teardown(test_tcp_stop_with_connections, stop_net),
        cmocka_unit_test_teardown(test_tcp_sink_stream, stop_net),
        cmocka_unit_test_teardown(test_tcp_sink_pause, stop_net),
        cmocka_unit_test_teardown(test_tcp_sink_abort, stop_net),
        cmocka_unit_test_teardown(test_tcp_sendv, stop_net),
        cmocka_unit_test_teardown(test_tcp_sendv_atomic, stop_net),
        cmocka_unit_test_teardown(test_tcp_conn_pause, stop_net),
        cmocka_unit_test_teardown(test_tcp_wait_drain, stop_net),
        cmocka_unit_test_teardown(test_tcp_closed_callback, stop_net),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
