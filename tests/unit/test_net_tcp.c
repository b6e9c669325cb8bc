/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP through kr_net_start with real sockets on 127.0.0.1 and ::1 (ephemeral ports) and
 * 2 workers: framing across partial writes, several messages per write, writes from a
 * worker that does not own the connection and from main, send queues (EPOLLOUT path,
 * limit), outgoing connections and their reuse, idle timeout, connection limit, framing
 * errors, close by id, and a prompt stop with connections open. Messages in these tests
 * are lines: the test framer cuts at '\n' and rejects '!'. */
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
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct entry e[512];
    int n;
    size_t flood_bytes;
    int flood_limited;
} lg = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void log_reset(void)
{
    pthread_mutex_lock(&lg.mu);
    lg.n = 0;
    lg.flood_bytes = 0;
    lg.flood_limited = 0;
    pthread_mutex_unlock(&lg.mu);
}

static bool wait_entries(int n, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
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
            return 0;
        }
    }
    return KR_EAGAIN;
}

static bool starts(const char *data, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && memcmp(data, p, n) == 0;
}

static void tcp_recv(struct kr_worker *w, const struct kr_rcv *rcv, const char *data, size_t len)
{
    struct entry e;
    memset(&e, 0, sizeof(e));
    memcpy(e.text, data, len < sizeof(e.text) - 1 ? len : sizeof(e.text) - 1);
    e.conn_id = rcv->conn_id;
    e.worker = w->id;
    e.src = rcv->src;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
