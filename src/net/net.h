/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transport layer's face to the rest of korero: listen sockets (configured once,
 * immutable while running), what a received message carries about where it came from,
 * and sending. Sending is allowed from any worker thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "core/worker.h"
#include "net/addr.h"
#include "sip/uri.h"

/* One `listen=` entry. Built from the config before start; never changed afterwards. */
struct kr_listen {
    unsigned id;                   /* index in the listen table */
    enum kr_uri_proto proto;       /* UDP or TCP (TLS, WS later) */
    struct kr_sockaddr addr;       /* bound address; 0.0.0.0 / :: for wildcard */
    char name[KR_ADDR_STRLEN + 8]; /* "udp:127.0.0.1:5060" ($Ri/$Rp, force_send_socket) */
    char ip[KR_ADDR_STRLEN];       /* "127.0.0.1" / "::1" */
    uint16_t port;
    /* What goes into Via / Record-Route: the advertised address when set, else the bound
     * one ("[::1]" for IPv6). */
    char adv_host[256];
    uint16_t adv_port;
    bool is_wildcard;
};

struct kr_worker;

/* Where a stream connection's bytes go while a message's body is streamed (cut-through):
 * installed by the receive callback for a message the framer cut as a head only
 * (KR_NET_FRAME_HEAD), removed when feed says the message is done. Owner thread. */
enum kr_net_sink_state {
    KR_NET_SINK_MORE = 0, /* consumed what it could; give it the next bytes */
    KR_NET_SINK_DONE,     /* the message ended: the bytes after go to the framer again */
    KR_NET_SINK_PAUSE,    /* stop reading the connection until kr_net_conn_resume */
};
struct kr_net_sink {
    /* Consumes data (the bytes read after the head, in order). Returns the bytes
     * consumed (0..len; what is not consumed is offered again later) and sets *state;
     * negative closes the connection. */
    long (*feed)(struct kr_worker *w, void *arg, const char *data, size_t len,
                 enum kr_net_sink_state *state);
    /* The connection closed with the sink installed; w is NULL at shutdown (free only). */
    void (*abort)(struct kr_worker *w, void *arg);
    void *arg;
};

/* Where a message came from; valid while the message is handled. */
struct kr_rcv {
    enum kr_uri_proto proto;
    struct kr_sockaddr src;       /* peer */
    struct kr_sockaddr dst;       /* local address it arrived at */
    const struct kr_listen *sock; /* the listen entry it arrived on */
    uint64_t conn_id;             /* stream connection id ($conid), 0 for UDP */
    /* Non-NULL when the message is a head whose body follows (KR_NET_FRAME_HEAD): the
     * receive callback must fill it, or the connection is closed. */
    struct kr_net_sink *sink;
};

enum kr_send_flags {
    KR_SEND_NO_CONNECT = 1 << 0, /* stream: only an existing connection */
    KR_SEND_CLOSE = 1 << 1,      /* stream: close after this message */
};

struct kr_send_dst {
    enum kr_uri_proto proto;
    struct kr_sockaddr to;
    const struct kr_listen *from; /* NULL: pick one matching proto and address family */
    uint64_t conn_id;             /* stream: this connection if still open, else by address */
    unsigned flags;               /* kr_send_flags */
    /* UDP from a wildcard listen entry: the local IP to send from (usually rcv->dst of the
     * request being answered); NULL lets the kernel choose by route. */
    const struct kr_sockaddr *src_ip;
    /* stream: where to store the id of the connection the message went to (may be NULL) */
    uint64_t *used_conn;
};

/* Sends one message. UDP: one datagram. Stream: appended to the connection's send queue
 * (written at once when the queue is empty); a new connection is opened when none exists
 * and KR_SEND_NO_CONNECT is not set. Returns 0, KR_ENOTFOUND (no socket / no connection),
 * KR_ELIMIT (queue over its limit), KR_EIO. Any worker thread.
 * Details: w is the calling worker (NULL from other threads, e.g. main in tests: then a
 * worker is chosen for UDP sockets and new connections). dst->from must be an entry of
 * kr_net_listens() (or carry the same id). A new outgoing connection belongs to w; the
 * message waits in its queue until the connect completes (KR_EIO when the connect fails at
 * once, or ENOTFOUND/ELIMIT as above; tcp_max_connections counts outgoing connections
 * too: KR_ELIMIT). KR_ELIMIT also when queued bytes plus this message would pass
 * tcp_sendq_max (nothing of it is written then). After KR_SEND_CLOSE or
 * kr_net_conn_close a connection takes no new messages: a later send opens a new one. */
int kr_net_send(struct kr_worker *w, const struct kr_send_dst *dst, const char *data, size_t len);

/* The same for a message in pieces (stream destinations only: the pieces are written as
 * one message, never interleaved with another sender's; KR_EINVAL for UDP). */
struct iovec;
int kr_net_sendv(struct kr_worker *w, const struct kr_send_dst *dst, const struct iovec *iov,
                 unsigned n);

/* The listen entry to send from for proto and the destination's family, or NULL. */
const struct kr_listen *kr_net_pick_listen(enum kr_uri_proto proto, const struct kr_sockaddr *to);

/* Called by the transport for each framed message (UDP datagram or a message cut from a
 * stream) on the worker that read it. data is valid only during the call; the transport
 * resets w->arena after it returns. */
typedef void kr_net_recv_fn(struct kr_worker *w, const struct kr_rcv *rcv, const char *data,
                            size_t len);

/* ---- listen= ---- */

/* Most entries one listen= value yields (no protocol given: UDP and TCP). */
enum { KR_LISTEN_PARSE_MAX = 2 };

/* Parses one listen= value as Kamailio writes it: [proto:]host[:port] [advertise
 * host[:port]], e.g. "udp:127.0.0.1:5060", "tcp:[::1]:5060", "10.0.0.1",
 * "udp:0.0.0.0:5060 advertise 203.0.113.1:5060". proto is udp or tcp (others are refused
 * for now); host is an IPv4 address, an IPv6 address (in brackets when a port follows) or
 * a name, resolved here (blocking; start-up only); interface names are refused. The port
 * defaults to 5060. Fills out[0] (and out[1] when no protocol was given: out[0] UDP,
 * out[1] TCP) with id 0: the caller numbers its table. Returns the number of entries (1 or
 * 2), or KR_EPARSE / KR_ENOTFOUND with err set (offset into spec). */
int kr_net_listen_parse(struct kr_str spec, struct kr_listen *out, struct kr_err *err);
/* The same with another default port (the config's port=). */
int kr_net_listen_parse_port(struct kr_str spec, uint16_t def_port, struct kr_listen *out,
                             struct kr_err *err);
/* Fills name, ip, port, adv_host, adv_port and is_wildcard of l from proto and addr;
 * adv is the advertised host (NULL or empty: the bound address) and adv_port (0: the
 * bound port). For listen tables built without kr_net_listen_parse. */
void kr_net_listen_fill(struct kr_listen *l, enum kr_uri_proto proto,
                        const struct kr_sockaddr *addr, const char *adv, uint16_t adv_port);

/* ---- running the transport ---- */

/* Per-connection scratch for a framer: zeroed when the connection opens and after each
 * message it frames, so a framer can remember how far it searched (a peer trickling
 * bytes must not cost O(n^2)). */
struct kr_net_frame_state {
    _Alignas(8) unsigned char b[64];
};

/* A framer's positive answer: data + *skip, *msg_len bytes, is the head of a message whose
 * body follows; the receive callback gets the head with rcv->sink set and installs a
 * sink that takes the rest. */
enum { KR_NET_FRAME_HEAD = 1 };

/* Stream framing: finds the first message in data. Returns 0 with the message at
 * data + *skip, *msg_len bytes long (*skip counts leading bytes to drop, e.g. CRLF
 * keep-alives); KR_EAGAIN when more bytes are needed (*skip may still say how many
 * leading bytes can be dropped); KR_EPARSE or KR_ELIMIT when the stream is not valid (the
 * connection is closed). E.g. a wrapper around kr_sip_frame_resume. st is this
 * connection's state; data always starts where the last call's message (or the dropped
 * leading bytes) ended. */
typedef int kr_net_frame_fn(const char *data, size_t len, struct kr_net_frame_state *st,
                            size_t *skip, size_t *msg_len, struct kr_err *err);

/* Defaults used for fields left 0. */
enum {
    KR_NET_DEF_TCP_LIFETIME = 120,       /* s */
    KR_NET_DEF_TCP_CONNECT_TIMEOUT = 10, /* s */
    KR_NET_DEF_TCP_MAX_CONNS = 2048,
    KR_NET_DEF_MAX_MSG = 65535,
    KR_NET_DEF_UDP_RCVBUF = 16 * 1024 * 1024,
    KR_NET_DEF_TCP_SENDQ = 4 * 1024 * 1024,
};

struct kr_net_opts {
    const struct kr_listen *listens; /* copied at start; ids are reassigned by position */
    size_t nlistens;
    unsigned workers;               /* 0: number of online CPUs */
    kr_net_recv_fn *recv;           /* required */
    kr_net_frame_fn *frame;         /* required when a stream listen exists or is used */
    kr_worker_init_fn *worker_init; /* optional, in each worker thread before its loop */
    kr_worker_fini_fn *worker_fini; /* optional, in each worker thread after its loop */
    /* optional: a stream connection closed (owner thread; w is NULL at shutdown) */
    void (*closed)(struct kr_worker *w, uint64_t conn_id);
    void *arg;                        /* passed to worker_init / worker_fini */
    unsigned tcp_connection_lifetime; /* s idle before a connection is closed; 0: 120 */
    unsigned tcp_connect_timeout;     /* s for an outgoing connect; 0: 10 */
    unsigned tcp_max_connections;     /* open TCP connections (both ways); 0: 2048 */
    size_t max_msg_size;              /* largest message received; 0: 65535 */
    size_t udp_rcvbuf;                /* SO_RCVBUF(FORCE) asked for; 0: 16 MB */
    size_t tcp_sendq_max;             /* queued bytes per connection; 0: 4 MB */
};

/* Opens every listen socket (per worker: one SO_REUSEPORT UDP socket per UDP entry, one
 * SO_REUSEPORT listen socket per TCP entry; port 0 binds an ephemeral port, the same for
 * all workers, readable from kr_net_listens), then starts the workers and returns once
 * each has run worker_init. Returns 0, or an error with err set (nothing left open). Call
 * from the main thread; one transport per process. */
int kr_net_start(const struct kr_net_opts *o, struct kr_err *err);
/* Stops the workers (each runs worker_fini), closes every socket and connection, frees
 * everything. Returns within about a second. Main thread, after any other thread that
 * sends (e.g. a timer thread) has stopped; harmless when not started. */
void kr_net_stop(void);

/* The running listen table (ports filled in), NULL when not started. Valid until stop. */
const struct kr_listen *kr_net_listens(size_t *n);
/* Worker i (0-based) of the running transport, or NULL; kr_net_nworkers() of them. */
struct kr_worker *kr_net_worker(unsigned i);
unsigned kr_net_nworkers(void);

/* ---- connections ---- */

struct kr_net_conn_info {
    uint64_t id;
    enum kr_uri_proto proto;
    struct kr_sockaddr peer;
    struct kr_sockaddr local;
    const struct kr_listen *sock;
    unsigned owner; /* id of the owning worker */
    bool outgoing;  /* opened by korero */
    bool connected; /* false while an outgoing connect is in progress */
    size_t queued;  /* bytes waiting in the send queue */
};

/* Closes connection id (after its owner finishes what it is doing; queued data is
 * dropped). Returns 0 or KR_ENOTFOUND. Any thread. */
int kr_net_conn_close(uint64_t id);
/* Copies what is known about connection id. Returns 0 or KR_ENOTFOUND (also once it is
 * closing). Any thread. */
int kr_net_conn_info(uint64_t id, struct kr_net_conn_info *out);

/* Back-pressure. A sender that streams into connection id asks to be told when its send
 * queue has drained: returns 0 when the queue is below the high-water mark
 * (tcp_sendq_max / 4; go on writing), 1 when it is above: connection waiter is resumed
 * (kr_net_conn_resume) once the queue falls below a quarter of that mark or id closes;
 * KR_ENOTFOUND when id is gone. Any thread. */
int kr_net_conn_wait_drain(uint64_t id, uint64_t waiter);
/* Stops reading connection id until kr_net_conn_resume: for the receive callback, on
 * the connection's owner thread (back-pressure for messages relayed whole). */
void kr_net_conn_pause(uint64_t id);
/* Reads of a connection paused by its sink (KR_NET_SINK_PAUSE) start again: the bytes
 * not consumed yet are offered to the sink first. Any thread; 0 or KR_ENOTFOUND. */
int kr_net_conn_resume(uint64_t id);
