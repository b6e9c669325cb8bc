/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the transport's own files (net.c, udp.c, tcp.c); nothing outside
 * src/net/ includes it. The kr_net object is built by kr_net_start on the main thread and
 * is immutable while workers run, except for what its fields say. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"
#include "core/worker.h"
#include "net/net.h"

struct kr_net;
struct kr_net_worker;
struct kr_conn;

/* One worker's socket for one listen entry (UDP socket or TCP listen socket). */
struct kr_net_sock {
    int fd;
    struct kr_watch watch;
    const struct kr_listen *l;
    struct kr_net_worker *nw;
    uint32_t ovfl_seen; /* last SO_RXQ_OVFL drop count seen (UDP) */
};

/* Datagrams read per recvmmsg call, batches per wake-up, control bytes per datagram. */
enum { KR_NET_UDP_BATCH = 32, KR_NET_UDP_ROUNDS = 4, KR_NET_UDP_CTRL = 128 };

/* Datagrams sent while a receive batch is handled are queued and sent with sendmmsg when
 * the batch is done: one system call for the batch's replies instead of one each. */
enum { KR_NET_UDP_OUT_BYTES = 128 * 1024 };

struct kr_udp_out {
    int fd;
    struct sockaddr_storage to;
    socklen_t tolen;
    size_t off, len; /* in kr_net_worker.out_buf */
    /* CMSG_SPACE(sizeof(struct in6_pktinfo)) is 40. A fixed size and an explicit
     * alignment: struct cmsghdr ends in a flexible array, so it cannot sit in a union
     * here, and clang will not take CMSG_SPACE as a constant size. */
    _Alignas(size_t) char ctrl[64];
    size_t ctrllen;
};

/* Extra room in a stream read buffer beyond the max message size. */
enum { KR_NET_RBUF_HEADROOM = 4096, KR_NET_RBUF_MIN = 4096 };

struct kr_net_worker {
    struct kr_net *net;
    struct kr_worker *w;
    struct kr_net_sock *socks; /* one per listen entry, same index as the table */
    /* UDP receive batch: fixed buffers, reused for every datagram */
    struct mmsghdr *msgs;
    struct iovec *iov;
    struct sockaddr_storage *names;
    char *ctrl;
    char *bufs;
    /* UDP send batch (see kr_udp_out); active while `batching` */
    bool batching;
    struct kr_udp_out *out;
    struct mmsghdr *out_msgs;
    struct iovec *out_iov;
    char *out_buf;
    size_t out_n, out_used;
    /* stream reads land here first; only leftovers are copied to the connection */
    char *scratch;
    size_t scratch_size;
    /* While this worker handles a stream read (`gathering`), what it writes to other
     * connections is queued and those connections listed here (with a reference); after
     * the loop's batch of events each gets one write for all of it (tcp.c). */
    bool gathering;
    struct kr_conn **gathered;
    size_t ngathered;
    size_t capgathered;
};

enum { KR_NET_TBL_BUCKETS = 4096, KR_NET_TBL_LOCKS = 256 };

/* Connection table: chains by id and by peer address; one mutex per stripe of buckets. */
struct kr_conn_table {
    pthread_mutex_t id_lock[KR_NET_TBL_LOCKS];
    pthread_mutex_t addr_lock[KR_NET_TBL_LOCKS];
    struct kr_conn *by_id[KR_NET_TBL_BUCKETS];
    struct kr_conn *by_addr[KR_NET_TBL_BUCKETS];
};

struct kr_net {
    struct kr_net_opts o; /* defaults filled in */
    struct kr_listen *listens;
    size_t nlistens;
    struct kr_workers ws;
    struct kr_net_worker *nws; /* one per worker */
    struct kr_conn_table *conns;
    atomic_uint nconns; /* open TCP connections, for tcp_max_connections */
    bool has_udp;
    bool has_tcp;
};

/* The running transport (set by kr_net_start before workers start, cleared after they
 * stopped), or NULL. */
struct kr_net *kr_net_running(void);

/* The listen entry of net's table that l designates (same id and proto), or NULL. */
const struct kr_listen *kr_net_listen_of(struct kr_net *net, const struct kr_listen *l);
/* The per-worker state to act as: w's when w belongs to net, else worker 0's. */
struct kr_net_worker *kr_net_worker_of(struct kr_net *net, struct kr_worker *w);

/* udp.c */
int kr_net_udp_batch_init(struct kr_net_worker *nw, size_t max_msg);
void kr_net_udp_batch_fini(struct kr_net_worker *nw);
void kr_net_udp_on_read(struct kr_loop *l, struct kr_watch *wt, uint32_t events);
int kr_net_udp_send(struct kr_net *net, struct kr_worker *w, const struct kr_listen *from,
                    const struct kr_send_dst *dst, const char *data, size_t len);

/* tcp.c */
int kr_net_tcp_init(struct kr_net *net);
/* Closes and frees every connection (after the workers stopped and their tasks ran). */
void kr_net_tcp_fini(struct kr_net *net);
void kr_net_tcp_on_accept(struct kr_loop *l, struct kr_watch *wt, uint32_t events);
/* The worker loop's after-events hook: writes what the batch of events gathered. */
void kr_net_tcp_after_events(struct kr_loop *l, void *arg);
struct iovec;
int kr_net_tcp_send(struct kr_net *net, struct kr_worker *w, const struct kr_listen *from,
                    const struct kr_send_dst *dst, const struct iovec *iov, unsigned n);
