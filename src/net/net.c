/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Transport start-up and shutdown, the listen table, and send dispatch. kr_net_start and
 * kr_net_stop run on the main thread; the rest is called from any worker thread. The
 * running kr_net is one immutable object published before the workers start. */
#include "net/net.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/internal.h"

#define KR_LOG_UNIT "net"
#include "core/log.h"

/* Set before the workers start and cleared after they are joined: readers never race a
 * change. */
static struct kr_net *running;

struct kr_net *kr_net_running(void)
{
    return running;
}

const struct kr_listen *kr_net_listens(size_t *n)
{
    if (!running) {
        if (n) {
            *n = 0;
        }
        return NULL;
    }
    if (n) {
        *n = running->nlistens;
    }
    return running->listens;
}

struct kr_worker *kr_net_worker(unsigned i)
{
    return running && i < running->ws.n ? &running->ws.w[i] : NULL;
}

unsigned kr_net_nworkers(void)
{
    return running ? running->ws.n : 0;
}

const struct kr_listen *kr_net_listen_of(struct kr_net *net, const struct kr_listen *l)
{
    if (l >= net->listens && l < net->listens + net->nlistens) {
        return l;
    }
    if (l->id < net->nlistens && net->listens[l->id].proto == l->proto) {
        return &net->listens[l->id];
    }
    return NULL;
}

struct kr_net_worker *kr_net_worker_of(struct kr_net *net, struct kr_worker *w)
{
    if (w && w->net && w->net->net == net) {
        return w->net;
    }
    return &net->nws[0];
}

const struct kr_listen *kr_net_pick_listen(enum kr_uri_proto proto, const struct kr_sockaddr *to)
{
    struct kr_net *net = running;
    if (!net) {
        return NULL;
    }
    for (size_t i = 0; i < net->nlistens; i++) {
        const struct kr_listen *l = &net->listens[i];
        if (l->proto == proto && (!to || l->addr.u.sa.sa_family == to->u.sa.sa_family)) {
            return l;
        }
    }
    return NULL;
}

int kr_net_send(struct kr_worker *w, const struct kr_send_dst *dst, const char *data, size_t len)
{
    struct kr_net *net = running;
    if (!net) {
        return KR_ENOTFOUND;
    }
    const struct kr_listen *from = NULL;
    if (dst->from) {
        from = kr_net_listen_of(net, dst->from);
        if (!from || from->proto != dst->proto) {
            return KR_ENOTFOUND;
        }
    }
    switch (dst->proto) {
    case KR_PROTO_UDP:
        if (!from) {
            from = kr_net_pick_listen(KR_PROTO_UDP, &dst->to);
            if (!from) {
                return KR_ENOTFOUND;
            }
        }
        return kr_net_udp_send(net, w, from, dst, data, len);
    case KR_PROTO_TCP: {
        struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
        return kr_net_tcp_send(net, w, from, dst, &iov, 1);
    }
    default:
        return KR_ENOTFOUND;
    }
}

int kr_net_sendv(struct kr_worker *w, const struct kr_send_dst *dst, const struct iovec *iov,
                 unsigned n)
{
    struct kr_net *net = running;
    if (!net) {
        return KR_ENOTFOUND;
    }
    if (dst->proto != KR_PROTO_TCP) {
        return KR_EINVAL;
    }
    const struct kr_listen *from = NULL;
    if (dst->from) {
        from = kr_net_listen_of(net, dst->from);
        if (!from || from->proto != dst->proto) {
            return KR_ENOTFOUND;
        }
    }
    return kr_net_tcp_send(net, w, from, dst, iov, n);
}

/* ---- sockets ---- */

static int set_int(int fd, int level, int opt, int v)
{
    return setsockopt(fd, level, opt, &v, sizeof(v));
}

static void udp_rcvbuf(int fd, const struct kr_listen *l, size_t want, bool log)
{
    int v = want > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;
    if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, v) != 0) {
        set_int(fd, SOL_SOCKET, SO_RCVBUF, v);
    }
    if (log) {
        int got = 0;
        socklen_t gl = sizeof(got);
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl);
        KR_INFO("%s: UDP receive buffer %d bytes (asked %d)", l->name, got, v);
    }
}

/* SO_REUSEPORT would let a second server (another korero started by mistake) bind the
 * same address and silently take half the traffic. A bind without it fails while anyone
 * holds the address, so probe once before the workers' sockets are made. */
static int probe_free(const struct kr_listen *l, struct kr_err *err)
{
    bool udp = l->proto == KR_PROTO_UDP;
    int fd = socket(l->addr.u.sa.sa_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0 || kr_addr_port(&l->addr) == 0) {
        if (fd >= 0) {
            close(fd);
        }
        return 0;
    }
    if (!udp) {
        /* TIME_WAIT leftovers must not count; a listening socket still conflicts. For UDP
         * SO_REUSEADDR would allow sharing, so the probe goes without it. */
        set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    }
    if (l->addr.u.sa.sa_family == AF_INET6) {
        set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    }
    int rc = bind(fd, &l->addr.u.sa, l->addr.len);
    int e = errno;
    close(fd);
    if (rc != 0 && e == EADDRINUSE) {
        KR_ERR("%s: address already in use (is another server running?)", l->name);
        return kr_err_set(err, KR_EIO, 0, "listen address already in use");
    }
    return 0;
}

/* Opens one worker's socket for l. The first socket of an entry with port 0 picks the
 * ephemeral port and writes it back into l, so the others bind the same one. */
static int open_sock(struct kr_net *net, struct kr_listen *l, bool first, struct kr_err *err)
{
    int family = l->addr.u.sa.sa_family;
    bool udp = l->proto == KR_PROTO_UDP;
    if (first && probe_free(l, err) != 0) {
        return KR_EIO;
    }
    int fd = socket(family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        KR_ERR("%s: socket: %s", l->name, strerror(errno));
        return kr_err_set(err, KR_EIO, 0, "cannot create a listen socket");
    }
    set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0) {
        KR_ERR("%s: SO_REUSEPORT: %s", l->name, strerror(errno));
        close(fd);
        return kr_err_set(err, KR_EIO, 0, "SO_REUSEPORT not available");
    }
    if (family == AF_INET6) {
        set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    }
    if (udp) {
        udp_rcvbuf(fd, l, net->o.udp_rcvbuf, first);
        if (l->is_wildcard) {
            if (family == AF_INET) {
                set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
            } else {
                set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
            }
        }
        set_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
    }
    if (bind(fd, &l->addr.u.sa, l->addr.len) != 0) {
        KR_ERR("%s: bind: %s", l->name, strerror(errno));
        close(fd);
        return kr_err_set(err, KR_EIO, 0, "cannot bind a listen address");
    }
    if (!udp && listen(fd, 1024) != 0) {
        KR_ERR("%s: listen: %s", l->name, strerror(errno));
        close(fd);
        return kr_err_set(err, KR_EIO, 0, "cannot listen on a TCP address");
    }
    if (first && l->port == 0) {
        struct kr_sockaddr got = l->addr;
        got.len = sizeof(got.u);
        if (getsockname(fd, &got.u.sa, &got.len) == 0) {
            uint16_t adv_port = l->adv_port;
            char adv[sizeof(l->adv_host)];
            memcpy(adv, l->adv_host, sizeof(adv));
            bool own_adv = adv_port == 0;
            kr_net_listen_fill(l, l->proto, &got, NULL, 0);
            if (!own_adv) {
                memcpy(l->adv_host, adv, sizeof(adv));
                l->adv_port = adv_port;
            }
        }
    }
    return fd;
}

/* ---- start / stop ---- */

static void fill_defaults(struct kr_net_opts *o)
{
    if (o->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->workers = n > 0 ? (unsigned)n : 1;
    }
    if (o->tcp_connection_lifetime == 0) {
        o->tcp_connection_lifetime = KR_NET_DEF_TCP_LIFETIME;
    }
    if (o->tcp_connect_timeout == 0) {
        o->tcp_connect_timeout = KR_NET_DEF_TCP_CONNECT_TIMEOUT;
    }
    if (o->tcp_max_connections == 0) {
        o->tcp_max_connections = KR_NET_DEF_TCP_MAX_CONNS;
    }
    if (o->max_msg_size == 0) {
        o->max_msg_size = KR_NET_DEF_MAX_MSG;
    }
    if (o->udp_rcvbuf == 0) {
        o->udp_rcvbuf = KR_NET_DEF_UDP_RCVBUF;
    }
    if (o->tcp_sendq_max == 0) {
        o->tcp_sendq_max = KR_NET_DEF_TCP_SENDQ;
    }
}

/* A datagram carries at most 65535 bytes, whatever streams may carry. */
static size_t udp_max(size_t max_msg)
{
    return max_msg < KR_NET_DEF_MAX_MSG ? max_msg : KR_NET_DEF_MAX_MSG;
}

static void net_free(struct kr_net *net)
{
    if (net->conns) {
        kr_net_tcp_fini(net);
    }
    if (net->nws) {
        for (unsigned i = 0; i < net->ws.n; i++) {
            struct kr_net_worker *nw = &net->nws[i];
            if (nw->socks) {
                for (size_t j = 0; j < net->nlistens; j++) {
                    if (nw->socks[j].fd >= 0) {
                        close(nw->socks[j].fd);
                    }
                }
                free(nw->socks);
            }
            kr_net_udp_batch_fini(nw);
            free(nw->scratch);
            free(nw->gathered);
            net->ws.w[i].net = NULL;
        }
        free(net->nws);
    }
    kr_workers_fini(&net->ws);
    free(net->listens);
    free(net);
}

static int worker_init(struct kr_worker *w, void *arg)
{
    struct kr_net *net = arg;
    struct kr_net_worker *nw = w->net;
    for (size_t j = 0; j < net->nlistens; j++) {
        struct kr_net_sock *s = &nw->socks[j];
        kr_watch_fn *fn = s->l->proto == KR_PROTO_UDP ? kr_net_udp_on_read : kr_net_tcp_on_accept;
        if (kr_loop_watch_add(&w->loop, &s->watch, s->fd, EPOLLIN, fn, s) != 0) {
            KR_ERR("%s: cannot watch the socket", s->l->name);
            return KR_EIO;
        }
    }
    if (net->o.worker_init) {
        return net->o.worker_init(w, net->o.arg);
    }
    return 0;
}

static void worker_fini(struct kr_worker *w, void *arg)
{
    struct kr_net *net = arg;
    if (net->o.worker_fini) {
        net->o.worker_fini(w, net->o.arg);
    }
}

static int setup(struct kr_net *net, const struct kr_net_opts *o, struct kr_err *err)
{
    net->o = *o;
    fill_defaults(&net->o);
    if (!o->recv) {
        return kr_err_set(err, KR_EINVAL, 0, "net: no receive callback");
    }
    net->nlistens = o->nlistens;
    net->listens = calloc(o->nlistens ? o->nlistens : 1, sizeof(*net->listens));
    if (!net->listens) {
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < o->nlistens; i++) {
        struct kr_listen *l = &net->listens[i];
        *l = o->listens[i];
        l->id = (unsigned)i;
        int fam = l->addr.u.sa.sa_family;
        if (fam != AF_INET && fam != AF_INET6) {
            return kr_err_set(err, KR_EINVAL, i, "net: listen entry without an address");
        }
        if (l->proto == KR_PROTO_UDP) {
            net->has_udp = true;
        } else if (l->proto == KR_PROTO_TCP) {
            net->has_tcp = true;
        } else {
            return kr_err_set(err, KR_EINVAL, i, "net: only udp and tcp listen entries");
        }
    }
    if (net->has_tcp && !o->frame) {
        return kr_err_set(err, KR_EINVAL, 0, "net: TCP needs a framer");
    }
    int rc = kr_workers_init(&net->ws, net->o.workers);
    if (rc != 0) {
        return kr_err_set(err, rc, 0, "cannot create the workers");
    }
    net->nws = calloc(net->ws.n, sizeof(*net->nws));
    if (!net->nws) {
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    for (unsigned i = 0; i < net->ws.n; i++) {
        struct kr_net_worker *nw = &net->nws[i];
        nw->net = net;
        nw->w = &net->ws.w[i];
        nw->w->net = nw;
        nw->socks = calloc(net->nlistens ? net->nlistens : 1, sizeof(*nw->socks));
        if (!nw->socks) {
            return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
        }
        for (size_t j = 0; j < net->nlistens; j++) {
            nw->socks[j].fd = -1;
            nw->socks[j].l = &net->listens[j];
            nw->socks[j].nw = nw;
        }
        if (net->has_udp && kr_net_udp_batch_init(nw, udp_max(net->o.max_msg_size)) != 0) {
            return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
        }
        nw->scratch_size = net->o.max_msg_size + KR_NET_RBUF_HEADROOM;
        nw->scratch = malloc(nw->scratch_size);
        if (!nw->scratch) {
            return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
        }
        nw->w->loop.after_events = kr_net_tcp_after_events;
        nw->w->loop.after_arg = nw;
    }
    for (size_t j = 0; j < net->nlistens; j++) {
        for (unsigned i = 0; i < net->ws.n; i++) {
            int fd = open_sock(net, &net->listens[j], i == 0, err);
            if (fd < 0) {
                return fd;
            }
            net->nws[i].socks[j].fd = fd;
        }
    }
    if (kr_net_tcp_init(net) != 0) {
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    return 0;
}

int kr_net_start(const struct kr_net_opts *o, struct kr_err *err)
{
    if (running) {
        return kr_err_set(err, KR_EINVAL, 0, "net: already started");
    }
    struct kr_net *net = calloc(1, sizeof(*net));
    if (!net) {
        return kr_err_set(err, KR_ENOMEM, 0, "out of memory");
    }
    atomic_init(&net->nconns, 0);
    int rc = setup(net, o, err);
    if (rc != 0) {
        net_free(net);
        return rc;
    }
    running = net;
    rc = kr_workers_start(&net->ws, worker_init, worker_fini, net, err);
    if (rc != 0) {
        for (unsigned i = 0; i < net->ws.n; i++) {
            kr_loop_run_tasks(&net->ws.w[i].loop);
        }
        running = NULL;
        net_free(net);
        return rc;
    }
    for (size_t j = 0; j < net->nlistens; j++) {
        KR_DBG("listening on %s (advertised %s:%u)", net->listens[j].name, net->listens[j].adv_host,
               (unsigned)net->listens[j].adv_port);
    }
    return 0;
}

void kr_net_stop(void)
{
    struct kr_net *net = running;
    if (!net) {
        return;
    }
    kr_workers_stop(&net->ws);
    /* Tasks still queued hold connection references: run them (no worker runs now). */
    for (unsigned i = 0; i < net->ws.n; i++) {
        struct kr_loop *l = &net->ws.w[i].loop;
        kr_loop_run_tasks(l);
        if (l->after_events) {
            l->after_events(l, l->after_arg); /* writes gathered by those tasks */
        }
    }
    running = NULL;
    net_free(net);
}
