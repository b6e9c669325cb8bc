/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP connections: accept, connect, framed reads, send queues and the connection table.
 * A connection belongs to the worker that accepted or opened it: only that worker reads
 * it, arms its timer and closes it. Any thread may write to it: the send queue, the state
 * seen by writers and the epoll mask are under the connection's mutex, held only around
 * a non-blocking send and list edits. Other threads reach the owner through its mailbox
 * (adopt a new outgoing connection, close). Connections are reference-counted; the table
 * (by id, by peer address) is sharded with one mutex per stripe of buckets. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/timer.h"
#include "net/internal.h"

#define KR_LOG_UNIT "tcp"
#include "core/log.h"

enum conn_state { CONN_CONNECTING, CONN_OPEN, CONN_CLOSED };
enum { REQ_ADOPT = 1u, REQ_CLOSE = 2u, REQ_RESUME = 4u };
enum { ACCEPT_BATCH = 64 };

struct sendq_chunk {
    struct sendq_chunk *next;
    size_t len; /* bytes held */
    size_t off; /* bytes already written */
    size_t cap; /* room in data */
    char data[];
};

/* Replies to pipelined requests are gathered while the owner handles what one read
 * brought, then written at once: one write(2) for many replies. */
enum { CORK_CHUNK = 16384 };

/* How bytes move on a connection: plain sockets today; TLS and WebSocket will supply
 * their own (the framer is per connection for the same reason: MSRP sniffing). */
struct conn_io {
    ssize_t (*read)(struct kr_conn *c, void *buf, size_t len);
    ssize_t (*writev)(struct kr_conn *c, const struct iovec *iov, int n);
};

/* Most pieces one message is written from (kr_net_sendv); more are refused. */
enum { IOV_MAX_PIECES = 16 };

struct kr_conn {
    uint64_t id;
    atomic_uint refs;
    struct kr_net *net;
    struct kr_net_worker *owner;
    int fd;
    enum kr_uri_proto proto;
    struct kr_sockaddr peer;
    uint32_t peer_hash;
    const struct kr_listen *sock;
    bool outgoing;
    const struct conn_io *io;
    kr_net_frame_fn *frame;
    struct kr_net_frame_state fstate; /* owner thread: the framer's scratch */
    /* table links, under the bucket locks */
    struct kr_conn *id_next;
    struct kr_conn *addr_next;
    bool in_id;
    bool in_addr;
    /* owner thread only */
    struct kr_watch watch;
    struct kr_timer timer;
    struct kr_loop_task task;
    atomic_uint reqs;
    char *rbuf;  /* bytes of an incomplete message; NULL when none */
    size_t roff; /* they start here (moved to the front only when room is needed) */
    size_t rlen;
    size_t rcap;
    struct kr_net_sink sink; /* feed set while a message body is streamed */
    bool paused;             /* the sink asked to stop reading (under lock too) */
    /* written by the owner only; readable without the lock (table lookups) */
    atomic_int state;
    /* set by anyone once the connection is to close (KR_SEND_CLOSE, kr_net_conn_close):
     * lookups skip it and new messages go elsewhere */
    atomic_bool closing;
    atomic_uint_least64_t last_active; /* ms, monotonic */
    /* under lock */
    pthread_mutex_t lock;
    struct kr_sockaddr local;
    struct sendq_chunk *qhead;
    struct sendq_chunk *qtail;
    size_t qbytes;
    bool registered; /* fd is in the owner's epoll set */
    bool corked;     /* under lock: the owner is handling a read, writes are gathered */
    bool close_after_drain;
    struct kr_net_worker *gathered_by; /* the worker that will push the queue, or NULL */
    uint64_t *waiters; /* connections to resume once the queue drains (back-pressure) */
    size_t nwaiters;
    size_t capwaiters;
};

/* Process-wide, so that ids are never reused, even across a transport restart. */
static atomic_uint_least64_t next_conn_id = 1;

static void conn_close(struct kr_conn *c);

/* ---- plain socket I/O ---- */

static ssize_t plain_read(struct kr_conn *c, void *buf, size_t len)
{
    return recv(c->fd, buf, len, MSG_DONTWAIT);
}

static ssize_t plain_writev(struct kr_conn *c, const struct iovec *iov, int n)
{
    struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
    return sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static const struct conn_io plain_io = { .read = plain_read, .writev = plain_writev };

/* ---- references, slots ---- */

static void conn_ref(struct kr_conn *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

static void sendq_free(struct kr_conn *c)
{
    struct sendq_chunk *ch = c->qhead;
    while (ch) {
        struct sendq_chunk *next = ch->next;
        free(ch);
        ch = next;
    }
    c->qhead = NULL;
    c->qtail = NULL;
    c->qbytes = 0;
}

static void conn_free(struct kr_conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    sendq_free(c);
    free(c->rbuf);
    free(c->waiters);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void conn_unref(struct kr_conn *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
        conn_free(c);
    }
}

static bool slot_take(struct kr_net *net)
{
    unsigned n = atomic_fetch_add(&net->nconns, 1);
    if (n >= net->o.tcp_max_connections) {
        atomic_fetch_sub(&net->nconns, 1);
        return false;
    }
    return true;
}

static void slot_give(struct kr_net *net)
{
    atomic_fetch_sub(&net->nconns, 1);
}

static struct kr_loop *owner_loop(const struct kr_conn *c)
{
    return &c->owner->w->loop;
}

static void conn_on_task(struct kr_loop *l, struct kr_loop_task *t);
static void conn_on_timer(struct kr_timer *t, void *arg);
static void conn_resume(struct kr_conn *c);
static uint32_t conn_events_locked(const struct kr_conn *c);
static uint64_t *take_waiters_locked(struct kr_conn *c, bool all, size_t *n);
static void resume_waiters(uint64_t *w, size_t n);

static struct kr_conn *conn_new(struct kr_net *net, struct kr_net_worker *owner, int fd,
                                enum kr_uri_proto proto, const struct kr_sockaddr *peer,
                                const struct kr_listen *sock, bool outgoing, int state)
{
    struct kr_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    c->id = atomic_fetch_add(&next_conn_id, 1);
    atomic_init(&c->refs, 1); /* the owner's: dropped by conn_close */
    c->net = net;
    c->owner = owner;
    c->fd = fd;
    c->proto = proto;
    c->peer = *peer;
    c->peer.len =
        peer->u.sa.sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    c->peer_hash = kr_addr_hash(peer);
    c->sock = sock;
    c->outgoing = outgoing;
    c->io = &plain_io;
    c->frame = net->o.frame;
    c->watch.fd = -1;
    kr_timer_init(&c->timer, conn_on_timer, c);
    kr_loop_task_init(&c->task, conn_on_task, c);
    atomic_init(&c->reqs, 0);
    atomic_init(&c->state, state);
    atomic_init(&c->closing, false);
    atomic_init(&c->last_active, kr_time_now_ms());
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

/* ---- the table ---- */

static size_t id_bucket(uint64_t id)
{
    return (size_t)(id & (KR_NET_TBL_BUCKETS - 1));
}

static size_t addr_bucket(uint32_t h)
{
    return (size_t)(h & (KR_NET_TBL_BUCKETS - 1));
}

static pthread_mutex_t *id_lock(struct kr_conn_table *t, size_t b)
{
    return &t->id_lock[b & (KR_NET_TBL_LOCKS - 1)];
}

static pthread_mutex_t *addr_lock(struct kr_conn_table *t, size_t b)
{
    return &t->addr_lock[b & (KR_NET_TBL_LOCKS - 1)];
}

static bool is_closed(const struct kr_conn *c)
{
    return atomic_load_explicit(&c->state, memory_order_acquire) == CONN_CLOSED;
}

/* Closed or about to: not to be found for new messages. */
static bool is_dead(const struct kr_conn *c)
{
    return is_closed(c) || atomic_load_explicit(&c->closing, memory_order_relaxed);
}

/* Returns the open connection with this id, referenced, or NULL. */
static struct kr_conn *find_id(struct kr_conn_table *t, uint64_t id)
{
    size_t b = id_bucket(id);
    struct kr_conn *found = NULL;
    pthread_mutex_lock(id_lock(t, b));
    for (struct kr_conn *c = t->by_id[b]; c; c = c->id_next) {
        if (c->id == id) {
            if (!is_dead(c)) {
                conn_ref(c);
                found = c;
            }
            break;
        }
    }
    pthread_mutex_unlock(id_lock(t, b));
    return found;
}

static struct kr_conn *find_addr_locked(struct kr_conn_table *t, size_t b, uint32_t h,
                                        enum kr_uri_proto proto, const struct kr_sockaddr *a)
{
    for (struct kr_conn *c = t->by_addr[b]; c; c = c->addr_next) {
        if (c->peer_hash == h && c->proto == proto && !is_dead(c) && kr_addr_eq(&c->peer, a)) {
            return c;
        }
    }
    return NULL;
}

/* Returns an open connection to a (proto), referenced, or NULL. */
static struct kr_conn *find_addr(struct kr_conn_table *t, enum kr_uri_proto proto,
                                 const struct kr_sockaddr *a)
{
    uint32_t h = kr_addr_hash(a);
    size_t b = addr_bucket(h);
    pthread_mutex_lock(addr_lock(t, b));
    struct kr_conn *c = find_addr_locked(t, b, h, proto, a);
    if (c) {
        conn_ref(c);
    }
    pthread_mutex_unlock(addr_lock(t, b));
    return c;
}

static void insert_id(struct kr_conn_table *t, struct kr_conn *c)
{
    size_t b = id_bucket(c->id);
    pthread_mutex_lock(id_lock(t, b));
    c->id_next = t->by_id[b];
    t->by_id[b] = c;
    c->in_id = true;
    pthread_mutex_unlock(id_lock(t, b));
}

/* Inserts c by peer address unless an open connection to the same peer exists: then
 * returns that one, referenced, and leaves c out. */
static struct kr_conn *insert_addr(struct kr_conn_table *t, struct kr_conn *c, bool unique)
{
    size_t b = addr_bucket(c->peer_hash);
    struct kr_conn *other = NULL;
    pthread_mutex_lock(addr_lock(t, b));
    if (unique) {
        other = find_addr_locked(t, b, c->peer_hash, c->proto, &c->peer);
    }
    if (other) {
        conn_ref(other);
    } else {
        c->addr_next = t->by_addr[b];
        t->by_addr[b] = c;
        c->in_addr = true;
    }
    pthread_mutex_unlock(addr_lock(t, b));
    return other;
}

static void table_remove(struct kr_conn_table *t, struct kr_conn *c)
{
    if (c->in_id) {
        size_t b = id_bucket(c->id);
        pthread_mutex_lock(id_lock(t, b));
        for (struct kr_conn **pp = &t->by_id[b]; *pp; pp = &(*pp)->id_next) {
            if (*pp == c) {
                *pp = c->id_next;
                break;
            }
        }
        c->in_id = false;
        pthread_mutex_unlock(id_lock(t, b));
    }
    if (c->in_addr) {
        size_t b = addr_bucket(c->peer_hash);
        pthread_mutex_lock(addr_lock(t, b));
        for (struct kr_conn **pp = &t->by_addr[b]; *pp; pp = &(*pp)->addr_next) {
            if (*pp == c) {
                *pp = c->addr_next;
                break;
            }
        }
        c->in_addr = false;
        pthread_mutex_unlock(addr_lock(t, b));
    }
}

int kr_net_tcp_init(struct kr_net *net)
{
    struct kr_conn_table *t = calloc(1, sizeof(*t));
    if (!t) {
        return KR_ENOMEM;
    }
    for (size_t i = 0; i < KR_NET_TBL_LOCKS; i++) {
        pthread_mutex_init(&t->id_lock[i], NULL);
        pthread_mutex_init(&t->addr_lock[i], NULL);
    }
    net->conns = t;
    return 0;
}

void kr_net_tcp_fini(struct kr_net *net)
{
    struct kr_conn_table *t = net->conns;
    for (size_t b = 0; b < KR_NET_TBL_BUCKETS; b++) {
        while (t->by_id[b]) {
            struct kr_conn *c = t->by_id[b];
            if (is_closed(c)) {
                table_remove(t, c); /* cannot happen once workers stopped; be safe */
            } else {
                conn_close(c);
            }
        }
    }
    for (size_t i = 0; i < KR_NET_TBL_LOCKS; i++) {
        pthread_mutex_destroy(&t->id_lock[i]);
        pthread_mutex_destroy(&t->addr_lock[i]);
    }
    free(t);
    net->conns = NULL;
}

/* ---- owner side: register, close, timers, requests ---- */

static void conn_request(struct kr_conn *c, unsigned bits)
{
    if (bits & REQ_CLOSE) {
        atomic_store(&c->closing, true);
    }
    atomic_fetch_or(&c->reqs, bits);
    conn_ref(c); /* held by the queued task */
    if (!kr_loop_post(owner_loop(c), &c->task)) {
        conn_unref(c);
    }
}

static uint64_t lifetime_ms(const struct kr_conn *c)
{
    return (uint64_t)c->net->o.tcp_connection_lifetime * 1000u;
}

static void conn_on_io(struct kr_loop *l, struct kr_watch *wt, uint32_t events);

/* Owner thread: puts the connection into the owner's epoll set and arms its timer. */
static void conn_register(struct kr_conn *c)
{
    struct kr_loop *l = owner_loop(c);
    int state = atomic_load(&c->state);
    pthread_mutex_lock(&c->lock);
    if (state == CONN_CLOSED || c->registered) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    uint32_t ev = EPOLLIN;
    if (state == CONN_CONNECTING || c->qhead) {
        ev |= EPOLLOUT;
    }
    int rc = kr_loop_watch_add(l, &c->watch, c->fd, ev, conn_on_io, c);
    c->registered = rc == 0;
    pthread_mutex_unlock(&c->lock);
    if (rc != 0) {
        KR_WARN("cannot watch connection %llu", (unsigned long long)c->id);
        conn_close(c);
        return;
    }
    uint64_t delay =
        state == CONN_CONNECTING ? (uint64_t)c->net->o.tcp_connect_timeout * 1000u : lifetime_ms(c);
    kr_loop_timer_start(l, &c->timer, delay, 0);
}

/* Owner thread (or main once workers stopped). Drops queued data; c may be freed on
 * return unless the caller holds a reference. */
static void conn_close(struct kr_conn *c)
{
    struct kr_loop *l = owner_loop(c);
    pthread_mutex_lock(&c->lock);
    if (is_closed(c)) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    bool was_registered = c->registered;
    c->registered = false;
    atomic_store_explicit(&c->state, CONN_CLOSED, memory_order_release);
    sendq_free(c);
    size_t nw = 0;
    uint64_t *waiters = take_waiters_locked(c, true, &nw);
    pthread_mutex_unlock(&c->lock);
    resume_waiters(waiters, nw);
    /* Writers check the state under the lock, so from here only this thread uses fd. */
    if (was_registered) {
        kr_loop_watch_del(l, &c->watch);
    }
    kr_loop_timer_stop(l, &c->timer);
    close(c->fd);
    c->fd = -1;
    free(c->rbuf);
    c->rbuf = NULL;
    c->roff = 0;
    c->rlen = 0;
    c->rcap = 0;
    table_remove(c->net->conns, c);
    slot_give(c->net);
    kr_stat_dec(KR_STAT_TCP_CONNECTIONS);
    KR_DBG("connection %llu closed", (unsigned long long)c->id);
    /* Owner thread while workers run; main (no worker) at shutdown. */
    struct kr_worker *w = kr_net_running() ? c->owner->w : NULL;
    if (c->sink.abort) {
        c->sink.abort(w, c->sink.arg);
    }
    c->sink = (struct kr_net_sink){ 0 };
    if (c->net->o.closed) {
        c->net->o.closed(w, c->id);
    }
    conn_unref(c);
}

static void conn_on_task(struct kr_loop *l, struct kr_loop_task *t)
{
    struct kr_conn *c = t->arg;
    unsigned bits = atomic_exchange(&c->reqs, 0);
    (void)l;
    if (bits & REQ_ADOPT) {
        conn_register(c);
    }
    if (bits & REQ_CLOSE) {
        conn_close(c);
    }
    if (bits & REQ_RESUME) {
        conn_resume(c);
    }
    conn_unref(c); /* the task's reference */
}

static void conn_on_timer(struct kr_timer *t, void *arg)
{
    struct kr_conn *c = arg;
    (void)t;
    if (atomic_load(&c->state) == CONN_CONNECTING) {
        KR_DBG("connection %llu: connect timed out", (unsigned long long)c->id);
        conn_close(c);
        return;
    }
    uint64_t now = kr_loop_now(owner_loop(c));
    uint64_t last = atomic_load_explicit(&c->last_active, memory_order_relaxed);
    uint64_t idle = now > last ? now - last : 0;
    if (idle >= lifetime_ms(c)) {
        kr_stat_inc(KR_STAT_TCP_TIMEOUTS);
        KR_DBG("connection %llu: idle for %llu ms, closing", (unsigned long long)c->id,
               (unsigned long long)idle);
        conn_close(c);
        return;
    }
    kr_loop_timer_start(owner_loop(c), &c->timer, lifetime_ms(c) - idle, 0);
}

static void touch(struct kr_conn *c)
{
    atomic_store_explicit(&c->last_active, kr_time_now_ms(), memory_order_relaxed);
}

/* ---- writing ---- */

/* The events the owner's epoll waits for: input unless the sink paused the reads, output
 * while data is queued. Under c->lock. */
static uint32_t conn_events_locked(const struct kr_conn *c)
{
    return (c->paused ? 0u : (uint32_t)EPOLLIN) | (c->qhead ? (uint32_t)EPOLLOUT : 0u);
}

static size_t high_water(const struct kr_conn *c)
{
    return c->net->o.tcp_sendq_max / 4;
}

/* Takes the waiting senders off c once its queue is low (or c is closing). Under lock;
 * the caller resumes them after unlocking and frees the array. */
static uint64_t *take_waiters_locked(struct kr_conn *c, bool all, size_t *n)
{
    *n = 0;
    if (c->nwaiters == 0 || (!all && c->qbytes > high_water(c) / 4)) {
        return NULL;
    }
    uint64_t *w = c->waiters;
    *n = c->nwaiters;
    c->waiters = NULL;
    c->nwaiters = 0;
    c->capwaiters = 0;
    return w;
}

static void resume_waiters(uint64_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kr_net_conn_resume(w[i]);
    }
    free(w);
}

/* Writes queued data until the socket takes no more. Under lock, state OPEN. Returns 0
 * or KR_EIO (the connection is broken); *progress when bytes went out. */
static int drain_locked(struct kr_conn *c, bool *progress)
{
    while (c->qhead) {
        struct iovec iov[IOV_MAX_PIECES];
        int n = 0;
        for (struct sendq_chunk *ch = c->qhead; ch && n < IOV_MAX_PIECES; ch = ch->next) {
            iov[n].iov_base = ch->data + ch->off;
            iov[n].iov_len = ch->len - ch->off;
            n++;
        }
        ssize_t w = c->io->writev(c, iov, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : KR_EIO;
        }
        if (w == 0) {
            return 0;
        }
        *progress = true;
        size_t done = (size_t)w;
        c->qbytes -= done;
        while (done > 0) {
            struct sendq_chunk *ch = c->qhead;
            size_t take = ch->len - ch->off < done ? ch->len - ch->off : done;
            ch->off += take;
            done -= take;
            if (ch->off == ch->len) {
                c->qhead = ch->next;
                if (!c->qhead) {
                    c->qtail = NULL;
                }
                free(ch);
            }
        }
    }
    return 0;
}

/* Owner thread: writes queued data; disarms EPOLLOUT when the queue is empty. */
static void conn_flush(struct kr_conn *c)
{
    bool close_now = false;
    bool progress = false;
    pthread_mutex_lock(&c->lock);
    if (atomic_load(&c->state) != CONN_OPEN) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    int err = errno;
    bool fail = drain_locked(c, &progress) < 0;
    if (fail) {
        err = errno;
    }
    if (!fail && !c->qhead) {
        if (c->registered) {
            kr_loop_watch_mod(owner_loop(c), &c->watch, conn_events_locked(c));
        }
        close_now = c->close_after_drain;
    }
    size_t nw = 0;
    uint64_t *waiters = take_waiters_locked(c, fail || close_now, &nw);
    pthread_mutex_unlock(&c->lock);
    resume_waiters(waiters, nw);
    if (progress) {
        touch(c);
    }
    if (fail) {
        KR_DBG("connection %llu: write failed: %s", (unsigned long long)c->id, strerror(err));
        kr_stat_inc(KR_STAT_SEND_ERRORS);
    }
    if (fail || close_now) {
        conn_close(c);
    }
}

/* Any thread: writes what a worker gathered for c while it handled a read. What the
 * socket does not take waits for EPOLLOUT; a broken connection is closed by its owner. */
static void conn_push(struct kr_conn *c)
{
    bool progress = false;
    bool fail = false;
    pthread_mutex_lock(&c->lock);
    c->gathered_by = NULL;
    /* a connection its owner is reading is written when that read is handled */
    if (atomic_load(&c->state) == CONN_OPEN && !c->corked && c->qhead) {
        fail = drain_locked(c, &progress) < 0;
        if (!fail && c->registered) {
            kr_loop_watch_mod(owner_loop(c), &c->watch, conn_events_locked(c));
        }
    }
    size_t nw = 0;
    uint64_t *waiters = take_waiters_locked(c, fail, &nw);
    pthread_mutex_unlock(&c->lock);
    resume_waiters(waiters, nw);
    if (progress) {
        touch(c);
    }
    if (fail) {
        kr_stat_inc(KR_STAT_SEND_ERRORS);
        conn_request(c, REQ_CLOSE);
    }
}

/* Owner of a read: pushes every connection written while it was handled. */
static void push_gathered(struct kr_net_worker *nw)
{
    for (size_t i = 0; i < nw->ngathered; i++) {
        conn_push(nw->gathered[i]);
        conn_unref(nw->gathered[i]);
    }
    nw->ngathered = 0;
}

void kr_net_tcp_after_events(struct kr_loop *l, void *arg)
{
    (void)l;
    push_gathered(arg);
}

/* Under c's lock: lists c for nw's push. False when it cannot (no memory). */
static bool gather_locked(struct kr_conn *c, struct kr_net_worker *nw)
{
    if (c->gathered_by == nw) {
        return true;
    }
    if (c->gathered_by) {
        return false; /* another worker pushes it: write now */
    }
    if (nw->ngathered == nw->capgathered) {
        size_t cap = nw->capgathered ? nw->capgathered * 2 : 16;
        struct kr_conn **p = realloc(nw->gathered, cap * sizeof(*p));
        if (!p) {
            return false;
        }
        nw->gathered = p;
        nw->capgathered = cap;
    }
    conn_ref(c);
    nw->gathered[nw->ngathered++] = c;
    c->gathered_by = nw;
    return true;
}

static size_t iov_total(const struct iovec *iov, unsigned n)
{
    size_t t = 0;
    for (unsigned i = 0; i < n; i++) {
        t += iov[i].iov_len;
    }
    return t;
}

/* Appends the bytes of iov past the first `skip` ones to the queue. Under lock. */
static int queue_locked(struct kr_conn *c, const struct iovec *iov, unsigned n, size_t skip,
                        size_t rest, bool cork)
{
    struct sendq_chunk *ch = c->qtail;
    bool fits = ch && ch->cap - ch->len >= rest;
    if (!fits) {
        size_t cap = cork && rest < CORK_CHUNK ? CORK_CHUNK : rest;
        ch = malloc(sizeof(*ch) + cap);
        if (!ch) {
            return KR_ENOMEM;
        }
        ch->next = NULL;
        ch->len = 0;
        ch->off = 0;
        ch->cap = cap;
    }
    for (unsigned i = 0; i < n; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        memcpy(ch->data + ch->len, (const char *)iov[i].iov_base + skip, l - skip);
        ch->len += l - skip;
        skip = 0;
    }
    c->qbytes += rest;
    if (!fits) {
        if (c->qtail) {
            c->qtail->next = ch;
        } else {
            c->qhead = ch;
        }
        c->qtail = ch;
    }
    return 0;
}

/* Any thread; nw is the calling worker's transport state (NULL from other threads).
 * Returns 0, KR_ENOTFOUND (closed), KR_ELIMIT, KR_ENOMEM or KR_EIO. */
static int conn_writev(struct kr_conn *c, const struct iovec *iov, unsigned n, unsigned flags,
                       struct kr_net_worker *nw)
{
    int rc = 0;
    bool close_req = false;
    size_t len = iov_total(iov, n);
    size_t off = 0;
    if (n > IOV_MAX_PIECES) {
        return KR_EINVAL;
    }
    pthread_mutex_lock(&c->lock);
    int state = atomic_load(&c->state);
    if (state == CONN_CLOSED || c->close_after_drain || atomic_load(&c->closing)) {
        pthread_mutex_unlock(&c->lock);
        return KR_ENOTFOUND;
    }
    if (c->qbytes + len > c->net->o.tcp_sendq_max) {
        pthread_mutex_unlock(&c->lock);
        kr_stat_inc(KR_STAT_TCP_SENDQ_FULL);
        return KR_ELIMIT;
    }
    /* While the owner handles this connection's read, every write (its own replies and
     * other workers' relayed messages) is gathered; the owner sends them when it is done,
     * so nobody arms EPOLLOUT for data that is about to go anyway. */
    bool cork = state == CONN_OPEN && c->corked;
    /* A worker handling a read gathers what it sends elsewhere as well: one write per
     * destination for everything that read brought (small messages: a large one is
     * written at once rather than copied into the queue). */
    if (!cork && state == CONN_OPEN && nw && nw->gathering && len < CORK_CHUNK &&
        !(flags & KR_SEND_CLOSE)) {
        cork = gather_locked(c, nw);
    }
    if (state == CONN_OPEN && !c->qhead && !cork) {
        struct iovec v[IOV_MAX_PIECES];
        while (off < len) {
            /* the pieces not written yet */
            unsigned k = 0;
            size_t skip = off;
            for (unsigned i = 0; i < n; i++) {
                if (skip >= iov[i].iov_len) {
                    skip -= iov[i].iov_len;
                    continue;
                }
                v[k].iov_base = (char *)iov[i].iov_base + skip;
                v[k].iov_len = iov[i].iov_len - skip;
                skip = 0;
                k++;
            }
            ssize_t w = c->io->writev(c, v, (int)k);
            if (w > 0) {
                off += (size_t)w;
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            } else {
                rc = KR_EIO;
                break;
            }
        }
    }
    if (rc == 0 && off < len) {
        bool was_empty = c->qhead == NULL;
        rc = queue_locked(c, iov, n, off, len - off, cork);
        if (rc == 0 && was_empty && state == CONN_OPEN && c->registered && !cork) {
            /* epoll_ctl is thread-safe; the lock orders it with the owner's own. */
            kr_loop_watch_mod(owner_loop(c), &c->watch, conn_events_locked(c));
        }
    }
    if (rc == 0 && (flags & KR_SEND_CLOSE)) {
        c->close_after_drain = true;
        atomic_store(&c->closing, true);
        close_req = c->qhead == NULL;
    }
    if (rc != 0 && (rc == KR_EIO || off > 0)) {
        close_req = true; /* a broken or half-written stream cannot carry more */
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == 0) {
        touch(c);
    } else {
        kr_stat_inc(KR_STAT_SEND_ERRORS);
        KR_DBG("connection %llu: send failed: %s", (unsigned long long)c->id, kr_strerror(rc));
    }
    if (close_req) {
        conn_request(c, REQ_CLOSE);
    }
    return rc;
}

static int conn_write(struct kr_conn *c, const char *data, size_t len, unsigned flags)
{
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    return conn_writev(c, &iov, 1, flags, NULL);
}

/* ---- reading ---- */

/* RFC 5626 §3.5.1: a double-CRLF "ping" among the skipped leading bytes gets a CRLF
 * "pong". Owner thread. */
static void pong_if_ping(struct kr_conn *c, const char *p, size_t skip)
{
    for (size_t i = 0; i + 4 <= skip; i++) {
        if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
            conn_write(c, "\r\n", 2, 0);
            return;
        }
    }
}

/* Hands data to the installed sink. Returns 0 with *used set and c->sink.feed cleared
 * when the message ended; KR_EAGAIN when the sink wants more or paused (c->paused);
 * KR_EIO when it failed (the connection must close). */
static int conn_feed_sink(struct kr_conn *c, const char *data, size_t len, size_t *used)
{
    enum kr_net_sink_state st = KR_NET_SINK_MORE;
    long n = c->sink.feed(c->owner->w, c->sink.arg, data, len, &st);
    if (n < 0 || (size_t)n > len) {
        *used = 0;
        return KR_EIO;
    }
    *used = (size_t)n;
    if (st == KR_NET_SINK_DONE) {
        c->sink = (struct kr_net_sink){ 0 };
        return 0;
    }
    if (st == KR_NET_SINK_PAUSE) {
        pthread_mutex_lock(&c->lock);
        c->paused = true;
        if (c->registered) {
            kr_loop_watch_mod(owner_loop(c), &c->watch, conn_events_locked(c));
        }
        pthread_mutex_unlock(&c->lock);
    }
    return KR_EAGAIN;
}

/* Cuts messages from data and hands them to the receive callback (or the body of a
 * streamed message to its sink). Sets *used to the bytes consumed. Returns 0, or the
 * framer's error (the connection must close). */
static int conn_frame(struct kr_conn *c, const char *data, size_t len, size_t *used)
{
    struct kr_worker *w = c->owner->w;
    struct kr_net *net = c->net;
    struct kr_rcv rcv = {
        .proto = c->proto,
        .src = c->peer,
        .dst = c->local,
        .sock = c->sock,
        .conn_id = c->id,
    };
    size_t off = 0;
    int rc = 0;
    while (off < len && !c->paused && !is_closed(c)) {
        if (c->sink.feed) {
            size_t n = 0;
            rc = conn_feed_sink(c, data + off, len - off, &n);
            off += n;
            if (rc == KR_EAGAIN) {
                rc = 0;
                break;
            }
            if (rc != 0) {
                break;
            }
            continue;
        }
        size_t skip = 0;
        size_t mlen = 0;
        struct kr_err err = { 0 };
        size_t avail = len - off;
        rc = c->frame(data + off, avail, &c->fstate, &skip, &mlen, &err);
        bool head = rc == KR_NET_FRAME_HEAD;
        if (rc == 0 || head) {
            rc = 0;
            if (mlen == 0 || skip > avail || mlen > avail - skip) {
                rc = KR_EPARSE;
                err.reason = "framer returned a bad length";
            } else if (mlen > net->o.max_msg_size) {
                rc = KR_ELIMIT;
                err.reason = "message over the max size";
            }
        }
        if (skip <= avail) {
            pong_if_ping(c, data + off, skip);
        }
        if (rc == KR_EAGAIN) {
            if (skip <= avail) {
                off += skip;
            }
            rc = 0;
            break;
        }
        if (rc != 0) {
            KR_DBG("connection %llu: framing: %s", (unsigned long long)c->id,
                   err.reason ? err.reason : kr_strerror(rc));
            break;
        }
        memset(&c->fstate, 0, sizeof(c->fstate));
        rcv.sink = head ? &c->sink : NULL;
        net->o.recv(w, &rcv, data + off + skip, mlen);
        kr_arena_reset(&w->arena);
        off += skip + mlen;
        if (head && !c->sink.feed) {
            KR_DBG("connection %llu: nobody takes the body of a streamed message",
                   (unsigned long long)c->id);
            rc = KR_EPARSE;
            break;
        }
    }
    *used = off;
    return rc;
}

static bool rbuf_reserve(struct kr_conn *c, size_t need, size_t cap_max)
{
    if (c->rcap - c->roff - c->rlen >= need) {
        return true;
    }
    if (c->roff > 0) {
        memmove(c->rbuf, c->rbuf + c->roff, c->rlen);
        c->roff = 0;
        if (c->rcap - c->rlen >= need) {
            return true;
        }
    }
    size_t cap = c->rcap ? c->rcap * 2 : KR_NET_RBUF_MIN;
    while (cap < c->rlen + need) {
        cap *= 2;
    }
    if (cap > cap_max) {
        cap = cap_max;
    }
    if (cap < c->rlen + need) {
        return c->rcap > c->rlen; /* at the cap: read what still fits */
    }
    char *p = realloc(c->rbuf, cap);
    if (!p) {
        return false;
    }
    c->rbuf = p;
    c->rcap = cap;
    return true;
}

/* Owner thread: writes what was gathered while corked; what the socket does not take
 * waits for EPOLLOUT. */
static void conn_uncork(struct kr_conn *c)
{
    pthread_mutex_lock(&c->lock);
    c->corked = false;
    bool pending = c->qhead != NULL;
    pthread_mutex_unlock(&c->lock);
    if (!pending) {
        return;
    }
    conn_flush(c);
    pthread_mutex_lock(&c->lock);
    if (c->qhead && c->registered && atomic_load(&c->state) == CONN_OPEN) {
        kr_loop_watch_mod(owner_loop(c), &c->watch, conn_events_locked(c));
    }
    pthread_mutex_unlock(&c->lock);
}

/* Owner thread: hands len bytes at data to the framer / sink; keeps what is left in
 * c->rbuf. fresh: data is the worker's scratch buffer (nothing was pending); else data is
 * c->rbuf + c->roff holding len bytes. */
static void conn_process(struct kr_conn *c, const char *data, size_t len, bool fresh)
{
    size_t max = c->net->o.max_msg_size;
    size_t cap_max = max + KR_NET_RBUF_HEADROOM;
    size_t used = 0;
    pthread_mutex_lock(&c->lock);
    c->corked = true;
    pthread_mutex_unlock(&c->lock);
    struct kr_net_worker *nw = c->owner;
    nw->gathering = true;
    int rc = conn_frame(c, data, len, &used);
    nw->gathering = false; /* pushed by the loop once its batch of events or tasks ran */
    conn_uncork(c);
    if (is_closed(c)) {
        return; /* a failed write closed it (and freed rbuf) */
    }
    size_t left = len - used;
    /* a paused sink may leave one read's worth; a framer no more than the max size */
    if (rc != 0 || (left > max && !c->paused)) {
        if (rc == 0) {
            KR_DBG("connection %llu: message over %zu bytes", (unsigned long long)c->id, max);
        }
        kr_stat_inc(KR_STAT_PARSE_ERRORS);
        conn_close(c);
        return;
    }
    if (fresh) {
        if (left > 0) {
            c->rlen = 0;
            c->roff = 0;
            if (!rbuf_reserve(c, left > KR_NET_RBUF_MIN ? left : KR_NET_RBUF_MIN,
                              left > cap_max ? left : cap_max)) {
                conn_close(c);
                return;
            }
            memcpy(c->rbuf, data + used, left);
            c->rlen = left;
        }
        return;
    }
    if (left == 0) {
        free(c->rbuf);
        c->rbuf = NULL;
        c->rcap = 0;
        c->roff = 0;
        c->rlen = 0;
        return;
    }
    c->roff += used; /* no move: the next read's reserve compacts when it must */
    c->rlen = left;
}

/* Owner thread. Reads once (level-triggered epoll calls again while data is left). */
static void conn_read(struct kr_conn *c)
{
    struct kr_net_worker *nw = c->owner;
    size_t cap_max = c->net->o.max_msg_size + KR_NET_RBUF_HEADROOM;
    bool fresh = c->rlen == 0;
    char *buf;
    size_t room;
    if (c->paused) {
        return;
    }
    if (fresh) {
        /* Nothing pending: read into the worker's scratch buffer and deliver from it;
         * only an incomplete tail is copied to the connection. */
        buf = nw->scratch;
        room = nw->scratch_size;
    } else {
        if (!rbuf_reserve(c, KR_NET_RBUF_MIN, cap_max)) {
            conn_close(c);
            return;
        }
        buf = c->rbuf + c->roff + c->rlen;
        room = c->rcap - c->roff - c->rlen;
    }
    ssize_t n;
    do {
        n = c->io->read(c, buf, room);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (n <= 0) {
        KR_DBG("connection %llu: %s", (unsigned long long)c->id,
               n == 0 ? "closed by peer" : strerror(errno));
        conn_close(c);
        return;
    }
    touch(c);
    if (fresh) {
        conn_process(c, nw->scratch, (size_t)n, true);
    } else {
        c->rlen += (size_t)n;
        conn_process(c, c->rbuf + c->roff, c->rlen, false);
    }
}

/* Owner thread: a paused sink may take bytes again. */
static void conn_resume(struct kr_conn *c)
{
    if (!c->paused || is_closed(c)) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->paused = false;
    if (c->registered) {
        kr_loop_watch_mod(owner_loop(c), &c->watch, conn_events_locked(c));
    }
    pthread_mutex_unlock(&c->lock);
    if (c->rlen > 0) {
        conn_process(c, c->rbuf + c->roff, c->rlen, false);
    }
}

/* Owner thread: an outgoing connect finished (or failed). */
static void conn_connected(struct kr_conn *c)
{
    int e = 0;
    socklen_t el = sizeof(e);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0) {
        e = errno;
    }
    if (e != 0) {
        KR_DBG("connection %llu: connect failed: %s", (unsigned long long)c->id, strerror(e));
        kr_stat_inc(KR_STAT_SEND_ERRORS);
        conn_close(c);
        return;
    }
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->state, CONN_OPEN);
    c->local.len = sizeof(c->local.u);
    getsockname(c->fd, &c->local.u.sa, &c->local.len);
    pthread_mutex_unlock(&c->lock);
    kr_stat_inc(KR_STAT_TCP_CONNECTED);
    touch(c);
    kr_loop_timer_start(owner_loop(c), &c->timer, lifetime_ms(c), 0);
    conn_flush(c);
}

static void conn_on_io(struct kr_loop *l, struct kr_watch *wt, uint32_t events)
{
    struct kr_conn *c = wt->arg;
    (void)l;
    conn_ref(c); /* closing below drops the owner's reference */
    if (atomic_load(&c->state) == CONN_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
            conn_connected(c);
        }
    } else {
        if (c->paused && (events & (EPOLLERR | EPOLLHUP))) {
            conn_close(c); /* not read while paused: a dead peer is closed here */
        } else if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
            conn_read(c);
        }
        if ((events & EPOLLOUT) && atomic_load(&c->state) == CONN_OPEN) {
            conn_flush(c);
        }
    }
    conn_unref(c);
}

/* ---- accept, connect ---- */

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void kr_net_tcp_on_accept(struct kr_loop *l, struct kr_watch *wt, uint32_t events)
{
    struct kr_net_sock *s = wt->arg;
    struct kr_net_worker *nw = s->nw;
    struct kr_net *net = nw->net;
    (void)l;
    (void)events;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct kr_sockaddr peer;
        memset(&peer, 0, sizeof(peer));
        peer.len = sizeof(peer.u);
        int fd = accept4(s->fd, &peer.u.sa, &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                KR_DBG("%s: accept: %s", s->l->name, strerror(errno));
            }
            return;
        }
        if (!slot_take(net)) {
            kr_stat_inc(KR_STAT_TCP_REFUSED);
            close(fd);
            KR_DBG("%s: tcp_max_connections reached, connection refused", s->l->name);
            continue;
        }
        set_nodelay(fd);
        struct kr_conn *c = conn_new(net, nw, fd, s->l->proto, &peer, s->l, false, CONN_OPEN);
        if (!c) {
            close(fd);
            slot_give(net);
            continue;
        }
        if (s->l->is_wildcard) {
            c->local.len = sizeof(c->local.u);
            getsockname(fd, &c->local.u.sa, &c->local.len);
        } else {
            c->local = s->l->addr;
        }
        insert_id(net->conns, c);
        insert_addr(net->conns, c, false);
        kr_stat_inc(KR_STAT_TCP_ACCEPTED);
        kr_stat_inc(KR_STAT_TCP_CONNECTIONS);
        conn_register(c);
    }
}

/* Opens a connection to `to` from listen entry `from`, owned by w (or, from a thread that
 * is no worker, by a worker chosen by address). Returns 0 with *out referenced. */
static int conn_connect(struct kr_net *net, struct kr_worker *w, const struct kr_listen *from,
                        const struct kr_sockaddr *to, struct kr_conn **out)
{
    int family = to->u.sa.sa_family;
    if (from->addr.u.sa.sa_family != family) {
        return KR_ENOTFOUND;
    }
    if (!slot_take(net)) {
        KR_DBG("tcp_max_connections reached, no new connection");
        return KR_ELIMIT;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        slot_give(net);
        return KR_EIO;
    }
    set_nodelay(fd);
    if (!from->is_wildcard) {
        int one = 1;
        struct kr_sockaddr b = from->addr;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        kr_addr_set_port(&b, 0);
        if (bind(fd, &b.u.sa, b.len) != 0) {
            KR_DBG("%s: bind for connect: %s", from->name, strerror(errno));
            close(fd);
            slot_give(net);
            return KR_EIO;
        }
    }
    socklen_t tolen = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    int rc;
    do {
        rc = connect(fd, &to->u.sa, tolen);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != EINPROGRESS) {
        KR_DBG("connect: %s", strerror(errno));
        close(fd);
        slot_give(net);
        kr_stat_inc(KR_STAT_SEND_ERRORS);
        return KR_EIO;
    }
    struct kr_net_worker *owner;
    if (w && w->net && w->net->net == net) {
        owner = w->net;
    } else {
        owner = &net->nws[kr_addr_hash(to) % net->ws.n];
    }
    struct kr_conn *c = conn_new(net, owner, fd, KR_PROTO_TCP, to, from, true,
                                 rc == 0 ? CONN_OPEN : CONN_CONNECTING);
    if (!c) {
        close(fd);
        slot_give(net);
        return KR_ENOMEM;
    }
    c->local.len = sizeof(c->local.u);
    getsockname(fd, &c->local.u.sa, &c->local.len);
    struct kr_conn *other = insert_addr(net->conns, c, true);
    if (other) {
        /* Another thread connected to the same peer meanwhile: use that one. */
        slot_give(net);
        conn_free(c);
        *out = other;
        return 0;
    }
    conn_ref(c); /* the caller's */
    insert_id(net->conns, c);
    kr_stat_inc(KR_STAT_TCP_CONNECTIONS);
    if (rc == 0) {
        kr_stat_inc(KR_STAT_TCP_CONNECTED);
    }
    if (kr_worker_current() == owner->w) {
        conn_register(c);
    } else {
        conn_request(c, REQ_ADOPT);
    }
    *out = c;
    return 0;
}

int kr_net_tcp_send(struct kr_net *net, struct kr_worker *w, const struct kr_listen *from,
                    const struct kr_send_dst *dst, const struct iovec *iov, unsigned n)
{
    int family = dst->to.u.sa.sa_family;
    bool have_to = family == AF_INET || family == AF_INET6;
    struct kr_conn *c = dst->conn_id ? find_id(net->conns, dst->conn_id) : NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool created = false;
        if (!c && have_to) {
            c = find_addr(net->conns, dst->proto, &dst->to);
        }
        if (!c) {
            if ((dst->flags & KR_SEND_NO_CONNECT) || !have_to) {
                return KR_ENOTFOUND;
            }
            const struct kr_listen *src = from ? from : kr_net_pick_listen(dst->proto, &dst->to);
            if (!src) {
                return KR_ENOTFOUND;
            }
            int rc = conn_connect(net, w, src, &dst->to, &c);
            if (rc != 0) {
                return rc;
            }
            created = true;
        }
        struct kr_net_worker *nw = w ? kr_net_worker_of(net, w) : NULL;
        int rc = conn_writev(c, iov, n, dst->flags, nw && nw->w == w ? nw : NULL);
        if (dst->used_conn) {
            *dst->used_conn = c->id;
        }
        conn_unref(c);
        c = NULL;
        if (rc == KR_ENOTFOUND && created) {
            return KR_EIO; /* the new connection failed at once (refused) */
        }
        if (rc != KR_ENOTFOUND) {
            return rc;
        }
    }
    return KR_ENOTFOUND;
}

/* ---- by id, from anywhere ---- */

int kr_net_conn_close(uint64_t id)
{
    struct kr_net *net = kr_net_running();
    if (!net) {
        return KR_ENOTFOUND;
    }
    struct kr_conn *c = find_id(net->conns, id);
    if (!c) {
        return KR_ENOTFOUND;
    }
    conn_request(c, REQ_CLOSE);
    conn_unref(c);
    return 0;
}

int kr_net_conn_info(uint64_t id, struct kr_net_conn_info *out)
{
    struct kr_net *net = kr_net_running();
    if (!net) {
        return KR_ENOTFOUND;
    }
    struct kr_conn *c = find_id(net->conns, id);
    if (!c) {
        return KR_ENOTFOUND;
    }
    out->id = c->id;
    out->proto = c->proto;
    out->peer = c->peer;
    out->sock = c->sock;
    out->owner = c->owner->w->id;
    out->outgoing = c->outgoing;
    pthread_mutex_lock(&c->lock);
    out->local = c->local;
    out->connected = atomic_load(&c->state) == CONN_OPEN;
    out->queued = c->qbytes;
    pthread_mutex_unlock(&c->lock);
    conn_unref(c);
    return 0;
}

int kr_net_conn_wait_drain(uint64_t id, uint64_t waiter)
{
    struct kr_net *net = kr_net_running();
    struct kr_conn *c = net ? find_id(net->conns, id) : NULL;
    if (!c) {
        return KR_ENOTFOUND;
    }
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    if (is_closed(c)) {
        rc = KR_ENOTFOUND;
    } else if (c->qbytes > high_water(c)) {
        rc = 1;
        bool known = false;
        for (size_t i = 0; i < c->nwaiters; i++) {
            known = known || c->waiters[i] == waiter;
        }
        if (!known && c->nwaiters == c->capwaiters) {
            size_t cap = c->capwaiters ? c->capwaiters * 2 : 4;
            uint64_t *p = realloc(c->waiters, cap * sizeof(*p));
            if (p) {
                c->waiters = p;
                c->capwaiters = cap;
            }
        }
        if (!known && c->nwaiters < c->capwaiters) {
            c->waiters[c->nwaiters++] = waiter;
        } else if (!known) {
            rc = 0; /* cannot remember it: let it go on (the queue limit still holds) */
        }
    }
    pthread_mutex_unlock(&c->lock);
    conn_unref(c);
    return rc;
}

int kr_net_conn_resume(uint64_t id)
{
    struct kr_net *net = kr_net_running();
    struct kr_conn *c = net ? find_id(net->conns, id) : NULL;
    if (!c) {
        return KR_ENOTFOUND;
    }
    conn_request(c, REQ_RESUME);
    conn_unref(c);
    return 0;
}

void kr_net_conn_pause(uint64_t id)
{
    struct kr_net *net = kr_net_running();
    struct kr_conn *c = net ? find_id(net->conns, id) : NULL;
    if (!c) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (!is_closed(c)) {
        c->paused = true;
        if (c->registered) {
            kr_loop_watch_mod(owner_loop(c), &c->watch, conn_events_locked(c));
        }
    }
    pthread_mutex_unlock(&c->lock);
    conn_unref(c);
}
