/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UDP: each worker reads its own SO_REUSEPORT socket per listen entry with recvmmsg into
 * fixed per-worker buffers (no lock, no malloc per datagram). The kernel hashes a source
 * ip:port to one socket, so one source's datagrams are handled in order by one worker.
 * Sending uses the calling worker's socket for the chosen listen entry. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/stats.h"
#include "net/internal.h"

#define KR_LOG_UNIT "udp"
#include "core/log.h"

int kr_net_udp_batch_init(struct kr_net_worker *nw, size_t max_msg)
{
    nw->msgs = calloc(KR_NET_UDP_BATCH, sizeof(*nw->msgs));
    nw->iov = calloc(KR_NET_UDP_BATCH, sizeof(*nw->iov));
    nw->names = calloc(KR_NET_UDP_BATCH, sizeof(*nw->names));
    nw->ctrl = calloc(KR_NET_UDP_BATCH, KR_NET_UDP_CTRL);
    nw->bufs = malloc(KR_NET_UDP_BATCH * max_msg);
    nw->out = calloc(KR_NET_UDP_BATCH, sizeof(*nw->out));
    nw->out_msgs = calloc(KR_NET_UDP_BATCH, sizeof(*nw->out_msgs));
    nw->out_iov = calloc(KR_NET_UDP_BATCH, sizeof(*nw->out_iov));
    nw->out_buf = malloc(KR_NET_UDP_OUT_BYTES);
    if (!nw->msgs || !nw->iov || !nw->names || !nw->ctrl || !nw->bufs || !nw->out ||
        !nw->out_msgs || !nw->out_iov || !nw->out_buf) {
        kr_net_udp_batch_fini(nw);
        return KR_ENOMEM;
    }
    for (size_t i = 0; i < KR_NET_UDP_BATCH; i++) {
        nw->iov[i].iov_base = nw->bufs + i * max_msg;
        nw->iov[i].iov_len = max_msg;
        struct msghdr *m = &nw->msgs[i].msg_hdr;
        m->msg_name = &nw->names[i];
        m->msg_iov = &nw->iov[i];
        m->msg_iovlen = 1;
        m->msg_control = nw->ctrl + i * KR_NET_UDP_CTRL;
    }
    return 0;
}

void kr_net_udp_batch_fini(struct kr_net_worker *nw)
{
    free(nw->msgs);
    free(nw->iov);
    free(nw->names);
    free(nw->ctrl);
    free(nw->bufs);
    free(nw->out);
    free(nw->out_msgs);
    free(nw->out_iov);
    free(nw->out_buf);
    nw->out = NULL;
    nw->out_msgs = NULL;
    nw->out_iov = NULL;
    nw->out_buf = NULL;
    nw->msgs = NULL;
    nw->iov = NULL;
    nw->names = NULL;
    nw->ctrl = NULL;
    nw->bufs = NULL;
}

/* Reads the local address (wildcard sockets) and the kernel's drop counter. */
static void read_cmsgs(struct kr_net_sock *s, struct msghdr *m, struct kr_rcv *rcv)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            rcv->dst.u.in.sin_addr = pi.ipi_addr;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            rcv->dst.u.in6.sin6_addr = pi.ipi6_addr;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t drops;
            memcpy(&drops, CMSG_DATA(c), sizeof(drops));
            if (drops != s->ovfl_seen) {
                kr_stat_add(KR_STAT_UDP_RCV_DROPS, (uint32_t)(drops - s->ovfl_seen));
                s->ovfl_seen = drops;
            }
        }
    }
}

/* Sends what the batch queued: one sendmmsg per run of datagrams on the same socket, so
 * each socket's datagrams keep their order. */
static void flush_out(struct kr_net_worker *nw)
{
    size_t i = 0;
    while (i < nw->out_n) {
        size_t j = i;
        while (j < nw->out_n && nw->out[j].fd == nw->out[i].fd) {
            struct kr_udp_out *o = &nw->out[j];
            nw->out_iov[j] = (struct iovec){ .iov_base = nw->out_buf + o->off, .iov_len = o->len };
            nw->out_msgs[j].msg_hdr = (struct msghdr){
                .msg_name = &o->to,
                .msg_namelen = o->tolen,
                .msg_iov = &nw->out_iov[j],
                .msg_iovlen = 1,
                .msg_control = o->ctrllen ? o->ctrl : NULL,
                .msg_controllen = o->ctrllen,
            };
            j++;
        }
        size_t k = i;
        while (k < j) {
            int n = sendmmsg(nw->out[i].fd, nw->out_msgs + k, (unsigned)(j - k),
                             MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                /* The first one failed: count it, go on with the rest. */
                kr_stat_inc(KR_STAT_SEND_ERRORS);
                KR_DBG("sendmmsg: %s", strerror(errno));
                k++;
                continue;
            }
            k += (size_t)n;
        }
        i = j;
    }
    nw->out_n = 0;
    nw->out_used = 0;
}

/* Reads and handles one batch. Returns the number of datagrams read (0: none left). */
static int read_batch(struct kr_net_sock *s)
{
    struct kr_net_worker *nw = s->nw;
    struct kr_worker *w = nw->w;
    kr_net_recv_fn *recv_fn = nw->net->o.recv;

    for (size_t i = 0; i < KR_NET_UDP_BATCH; i++) {
        struct msghdr *m = &nw->msgs[i].msg_hdr;
        m->msg_namelen = sizeof(nw->names[i]);
        m->msg_controllen = KR_NET_UDP_CTRL;
        m->msg_flags = 0;
    }
    int n = recvmmsg(s->fd, nw->msgs, KR_NET_UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            KR_DBG("%s: recvmmsg: %s", s->l->name, strerror(errno));
        }
        return 0;
    }
    struct kr_rcv rcv;
    memset(&rcv, 0, sizeof(rcv));
    rcv.proto = KR_PROTO_UDP;
    rcv.sock = s->l;
    nw->batching = true;
    for (int i = 0; i < n; i++) {
        struct msghdr *m = &nw->msgs[i].msg_hdr;
        size_t nl = m->msg_namelen <= sizeof(rcv.src.u) ? m->msg_namelen : sizeof(rcv.src.u);
        memcpy(&rcv.src.u, m->msg_name, nl);
        rcv.src.len = (socklen_t)nl;
        rcv.dst = s->l->addr;
        read_cmsgs(s, m, &rcv);
        if (nw->msgs[i].msg_len == 0) {
            continue; /* empty datagram: nothing to handle */
        }
        if (m->msg_flags & MSG_TRUNC) {
            kr_stat_inc(KR_STAT_PARSE_ERRORS);
            KR_DBG("%s: datagram over the max message size dropped", s->l->name);
            continue;
        }
        recv_fn(w, &rcv, nw->iov[i].iov_base, nw->msgs[i].msg_len);
        kr_arena_reset(&w->arena);
    }
    nw->batching = false;
    flush_out(nw);
    return n;
}

void kr_net_udp_on_read(struct kr_loop *l, struct kr_watch *wt, uint32_t events)
{
    (void)l;
    (void)events;
    /* A few full batches per wake-up save epoll calls under load; the cap keeps other
     * sockets and connections of this worker served (epoll is level-triggered). */
    for (int round = 0; round < KR_NET_UDP_ROUNDS; round++) {
        if (read_batch(wt->arg) < KR_NET_UDP_BATCH) {
            break;
        }
    }
}

int kr_net_udp_send(struct kr_net *net, struct kr_worker *w, const struct kr_listen *from,
                    const struct kr_send_dst *dst, const char *data, size_t len)
{
    int family = from->addr.u.sa.sa_family;
    if (dst->to.u.sa.sa_family != family) {
        return KR_ENOTFOUND;
    }
    struct kr_net_worker *nw = kr_net_worker_of(net, w);
    int fd = nw->socks[from->id].fd;
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr mh = {
        .msg_name = (void *)&dst->to.u,
        .msg_namelen = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6),
        .msg_iov = &iov,
        .msg_iovlen = 1,
    };
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } cbuf;
    if (from->is_wildcard && dst->src_ip && dst->src_ip->u.sa.sa_family == family) {
        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.buf;
        struct cmsghdr *c;
        if (family == AF_INET) {
            struct in_pktinfo pi = { .ipi_spec_dst = dst->src_ip->u.in.sin_addr };
            mh.msg_controllen = CMSG_SPACE(sizeof(pi));
            c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(pi));
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        } else {
            struct in6_pktinfo pi = { .ipi6_addr = dst->src_ip->u.in6.sin6_addr };
            mh.msg_controllen = CMSG_SPACE(sizeof(pi));
            c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(pi));
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        }
    }
    /* Only the batch's own thread may queue (a caller without a worker borrows worker 0's
     * socket and must send at once). */
    if (nw->batching && w == nw->w && mh.msg_controllen <= sizeof(nw->out->ctrl)) {
        if (nw->out_n == KR_NET_UDP_BATCH || KR_NET_UDP_OUT_BYTES - nw->out_used < len) {
            flush_out(nw);
        }
        if (KR_NET_UDP_OUT_BYTES - nw->out_used >= len) {
            struct kr_udp_out *o = &nw->out[nw->out_n++];
            o->fd = fd;
            memcpy(&o->to, &dst->to.u, mh.msg_namelen);
            o->tolen = mh.msg_namelen;
            o->off = nw->out_used;
            o->len = len;
            o->ctrllen = mh.msg_controllen;
            if (o->ctrllen) {
                memcpy(o->ctrl, cbuf.buf, o->ctrllen);
            }
            memcpy(nw->out_buf + nw->out_used, data, len);
            nw->out_used += len;
            return 0;
        }
    }
    ssize_t n;
    do {
        n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        kr_stat_inc(KR_STAT_SEND_ERRORS);
        KR_DBG("%s: sendmsg: %s", from->name, strerror(errno));
        return KR_EIO;
    }
    return 0;
}
