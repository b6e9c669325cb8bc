/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UDP through kr_net_start with real sockets on 127.0.0.1 and ::1 (ephemeral ports):
 * echo round trips with 2 workers, a wildcard listener answering from the right source
 * address, per-source ordering, oversized datagrams, sending from the main thread. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/stats.h"
#include "net/net.h"

static atomic_int recv_count;
static atomic_int dst_mismatch;
static atomic_int arena_bad;

/* test_udp_drops: the worker blocks in its callback until released */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_state; /* 0 open, 1 closed, 2 a worker is waiting at it */

static void gate_recv(struct kr_worker *w, const struct kr_rcv *rcv, const char *data, size_t len)
{
    atomic_fetch_add(&recv_count, 1);
    if (len == 5 && memcmp(data, "probe", 5) == 0) {
        struct kr_send_dst d = { .proto = KR_PROTO_UDP, .to = rcv->src, .from = rcv->sock };
        kr_net_send(w, &d, data, len);
    }
    pthread_mutex_lock(&gate_mu);
    if (gate_state == 1) {
        gate_state = 2;
        pthread_cond_broadcast(&gate_cv);
        while (gate_state != 0) {
            pthread_cond_wait(&gate_cv, &gate_mu);
        }
    }
    pthread_mutex_unlock(&gate_mu);
}

static void echo_recv(struct kr_worker *w, const struct kr_rcv *rcv, const char *data, size_t len)
{
    atomic_fetch_add(&recv_count, 1);
    if (rcv->sock->is_wildcard && rcv->dst.u.sa.sa_family == AF_INET &&
        rcv->dst.u.in.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
        atomic_fetch_add(&dst_mismatch, 1);
    }
    if (rcv->sock->is_wildcard && rcv->dst.u.sa.sa_family == AF_INET6 &&
        !IN6_IS_ADDR_LOOPBACK(&rcv->dst.u.in6.sin6_addr)) {
        atomic_fetch_add(&dst_mismatch, 1);
    }
    if (rcv->dst.u.sa.sa_family != rcv->src.u.sa.sa_family ||
        kr_addr_port(&rcv->dst) != rcv->sock->port) {
        atomic_fetch_add(&dst_mismatch, 1);
    }
    /* the per-message arena is there and reset between messages */
    if (!kr_arena_alloc(&w->arena, 100) || w->arena.used > KR_WORKER_ARENA_CHUNK) {
        atomic_fetch_add(&arena_bad, 1);
    }
    struct kr_send_dst d = {
        .proto = rcv->proto,
        .to = rcv->src,
        .from = rcv->sock,
        .src_ip = &rcv->dst,
    };
    kr_net_send(w, &d, data, len);
}

static void start(struct kr_listen *ls, size_t n, size_t max_msg)
{
    struct kr_net_opts o = {
        .listens = ls,
        .nlistens = n,
        .workers = 2,
        .recv = echo_recv,
        .max_msg_size = max_msg,
    };
    struct kr_err err = { 0 };
    int rc = kr_net_start(&o, &err);
    if (rc != 0) {
        fail_msg("kr_net_start: %s", err.reason);
    }
}

static void make_listen(struct kr_listen *l, const char *spec)
{
    struct kr_err err = { 0 };
    assert_int_equal(kr_net_listen_parse(kr_str_c(spec), l, &err), 1);
}

static int client(const struct kr_listen *l)
{
    int fd = socket(l->addr.u.sa.sa_family, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct kr_sockaddr to = l->addr;
    if (l->is_wildcard) {
        const char *lo = l->addr.u.sa.sa_family == AF_INET ? "127.0.0.1" : "::1";
        assert_int_equal(kr_addr_from_ip(kr_str_c(lo), l->port, &to), 0);
    }
    assert_int_equal(connect(fd, &to.u.sa, to.len), 0);
    return fd;
}

static ssize_t recv_wait(int fd, char *buf, size_t size, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) != 1) {
        return -1;
    }
    return recv(fd, buf, size, 0);
}

static void round_trip(const struct kr_listen *l)
{
    int fd = client(l);
    char buf[256];
    const char msg[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";
    assert_int_equal(send(fd, msg, sizeof(msg) - 1, 0), (ssize_t)(sizeof(msg) - 1));
    ssize_t n = recv_wait(fd, buf, sizeof(buf), 2000);
    assert_int_equal(n, (ssize_t)(sizeof(msg) - 1));
    assert_memory_equal(buf, msg, sizeof(msg) - 1);
    close(fd);
}

static void test_udp_echo(void **state)
{
    (void)state;
    struct kr_listen ls[4];
    make_listen(&ls[0], "udp:127.0.0.1:0");
    make_listen(&ls[1], "udp:[::1]:0");
    make_listen(&ls[2], "udp:0.0.0.0:0");
    make_listen(&ls[3], "udp:[::]:0");
    atomic_store(&dst_mismatch, 0);
    atomic_store(&arena_bad, 0);
    start(ls, 4, 0);
    size_t n;
    const struct kr_listen *run = kr_net_listens(&n);
    assert_int_equal(n, 4);
    assert_int_not_equal(run[0].port, 0);
    assert_int_not_equal(run[1].port, 0);
    assert_int_equal(run[0].adv_port, run[0].port);
    assert_int_equal(kr_net_nworkers(), 2);
    assert_ptr_equal(kr_net_pick_listen(KR_PROTO_UDP, &run[1].addr), &run[1]);
    assert_null(kr_net_pick_listen(KR_PROTO_TCP, &run[1].addr));

    for (int i = 0; i < 8; i++) { /* several sources: both workers get some */
        round_trip(&run[0]);
        round_trip(&run[1]);
        round_trip(&run[2]); /* the reply must come from 127.0.0.1 (connected socket) */
        round_trip(&run[3]); /* ... and from ::1 */
    }
    assert_int_equal(atomic_load(&dst_mismatch), 0);
    assert_int_equal(atomic_load(&arena_bad), 0);
    kr_net_stop();
    assert_null(kr_net_listens(NULL));
}

static void test_udp_order_and_limits(void **state)
{
    (void)state;
    struct kr_listen ls[1];
    make_listen(&ls[0], "udp:127.0.0.1:0");
    start(ls, 1, 1000);
    const struct kr_listen *run = kr_net_listens(NULL);
    int fd = client(&run[0]);
    int rcvbuf = 4 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

    /* oversized: dropped and counted, no echo */
    unsigned long long perr = kr_stat_get(KR_STAT_PARSE_ERRORS);
    char big[2000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));

    /* one source: handled in order */
    enum { N = 200 };
    for (int i = 0; i < N; i++) {
        char m[16];
        int len = snprintf(m, sizeof(m), "m%d", i);
        assert_int_equal(send(fd, m, (size_t)len, 0), len);
    }
    for (int i = 0; i < N; i++) {
        char m[16];
        char buf[64];
        int len = snprintf(m, sizeof(m), "m%d", i);
        ssize_t n = recv_wait(fd, buf, sizeof(buf), 2000);
        assert_int_equal(n, len);
        assert_memory_equal(buf, m, (size_t)len);
    }
    assert_int_equal(kr_stat_get(KR_STAT_PARSE_ERRORS), perr + 1);

    /* from the main thread (no worker) */
    struct kr_sockaddr me;
    me.len = sizeof(me.u);
    assert_int_equal(getsockname(fd, &me.u.sa, &me.len), 0);
    struct kr_send_dst d = { .proto = KR_PROTO_UDP, .to = me };
    assert_int_equal(kr_net_send(NULL, &d, "hello", 5), 0);
    char buf[16];
    assert_int_equal(recv_wait(fd, buf, sizeof(buf), 2000), 5);
    assert_memory_equal(buf, "hello", 5);

    /* no listen for this family */
    struct kr_send_dst d6 = { .proto = KR_PROTO_UDP };
    assert_int_equal(kr_addr_from_ip(KR_STR("::1"), 9, &d6.to), 0);
    assert_int_equal(kr_net_send(NULL, &d6, "x", 1), KR_ENOTFOUND);
    close(fd);
    kr_net_stop();
    kr_net_stop(); /* harmless twice */
}

/* Datagrams the kernel drops while the worker is busy show in KR_STAT_UDP_RCV_DROPS. */
static void test_udp_drops(void **state)
{
    (void)state;
    struct kr_listen ls[1];
    make_listen(&ls[0], "udp:127.0.0.1:0");
    struct kr_net_opts o = {
        .listens = ls,
        .nlistens = 1,
        .workers = 1,
        .recv = gate_recv,
        .udp_rcvbuf = 4096,
    };
    struct kr_err err = { 0 };
    assert_int_equal(kr_net_start(&o, &err), 0);
    unsigned long long drops = kr_stat_get(KR_STAT_UDP_RCV_DROPS);
    int fd = client(&kr_net_listens(NULL)[0]);
    pthread_mutex_lock(&gate_mu);
    gate_state = 1;
    pthread_mutex_unlock(&gate_mu);
    assert_int_equal(send(fd, "block", 5, 0), 5);
    pthread_mutex_lock(&gate_mu);
    while (gate_state != 2) {
        pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    char buf[1000];
    memset(buf, 'd', sizeof(buf));
    for (int i = 0; i < 100; i++) {
        assert_int_equal(send(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    }
    atomic_store(&recv_count, 0);
    pthread_mutex_lock(&gate_mu);
    gate_state = 0;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    /* the drop count rides on datagrams queued after the drops: the probe's echo says it
     * was read */
    assert_int_equal(send(fd, "probe", 5, 0), 5);
    char echo[16];
    assert_int_equal(recv_wait(fd, echo, sizeof(echo), 2000), 5);
    unsigned long long got = kr_stat_get(KR_STAT_UDP_RCV_DROPS) - drops;
    assert_true(got > 0);
    assert_true(got + (unsigned long long)atomic_load(&recv_count) >= 100);
    close(fd);
    kr_net_stop();
}

static void test_udp_start_errors(void **state)
{
    (void)state;
    struct kr_listen ls[2];
    make_listen(&ls[0], "udp:127.0.0.1:0");
    struct kr_net_opts o = { .listens = ls, .nlistens = 1, .workers = 1 };
    struct kr_err err = { 0 };
    assert_int_equal(kr_net_start(&o, &err), KR_EINVAL); /* no recv callback */
    assert_non_null(err.reason);

    /* a port someone else holds without SO_REUSEPORT */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct kr_sockaddr a;
    assert_int_equal(kr_addr_from_ip(KR_STR("127.0.0.1"), 0, &a), 0);
    assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
    a.len = sizeof(a.u);
    getsockname(fd, &a.u.sa, &a.len);
    make_listen(&ls[0], "udp:127.0.0.1:0");
    kr_addr_set_port(&ls[0].addr, kr_addr_port(&a));
    ls[0].port = kr_addr_port(&a);
    o.recv = echo_recv;
    memset(&err, 0, sizeof(err));
    assert_int_equal(kr_net_start(&o, &err), KR_EIO);
    assert_null(kr_net_listens(NULL));
    close(fd);

    /* TCP without a framer */
    make_listen(&ls[0], "tcp:127.0.0.1:0");
    memset(&err, 0, sizeof(err));
    assert_int_equal(kr_net_start(&o, &err), KR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_echo),
        cmocka_unit_test(test_udp_order_and_limits),
        cmocka_unit_test(test_udp_drops),
        cmocka_unit_test(test_udp_start_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
