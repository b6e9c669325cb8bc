/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ctl server: Unix stream sockets, one poll(2) thread serving a few connections,
 * each carrying JSON-RPC request texts (newline-delimited, concatenated or one per
 * connection) answered one line each. The struct kr_ctl and its thread belong to the
 * main thread that started them (kr_ctl_start / kr_ctl_stop). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/jsonrpc.h"
#include "core/log.h"
#include "core/rpc.h"
#include "modules/ctl/ctl.h"

#undef KR_LOG_UNIT
#define KR_LOG_UNIT "ctl"

enum {
    IDLE_SECONDS = 60,        /* a connection silent this long is closed */
    SEND_TIMEOUT_SECONDS = 5, /* a client that does not read its answer is dropped */
    RESPONSE_CAP = 64 << 20,  /* bytes of one response (ul.dump of a big table) */
    POLL_MS = 1000,
};

struct client {
    int fd; /* -1: free slot */
    char *buf;
    size_t len;
    size_t size;
    time_t last;
};

struct listener {
    int fd;
    char *path;
};

struct kr_ctl {
    pthread_t thread;
    int stop_fd; /* eventfd: kr_ctl_stop writes it */
    size_t nlisten;
    struct listener listen[KR_CTL_MAX_SOCKETS];
    struct client clients[KR_CTL_MAX_CLIENTS];
    struct kr_buf out; /* the thread's response buffer */
};

/* --- addresses and modes --- */

int kr_ctl_parse_addr(struct kr_str spec, struct kr_str *path, struct kr_err *err)
{
    static const struct {
        struct kr_str prefix;
        bool ok;
    } schemes[] = {
        { KR_STR("unix:"), true }, { KR_STR("unixs:"), true }, { KR_STR("unixd:"), false },
        { KR_STR("tcp:"), false }, { KR_STR("udp:"), false },
    };
    spec = kr_str_trim(spec);
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (!kr_str_casestarts(spec, schemes[i].prefix)) {
            continue;
        }
        if (!schemes[i].ok) {
            return kr_err_set(err, KR_EINVAL, 0,
                              "ctl: only Unix stream sockets are supported (unix:/path)");
        }
        spec = kr_str_sub(spec, schemes[i].prefix.len, spec.len - schemes[i].prefix.len);
        break;
    }
    if (spec.len == 0 || spec.ptr[0] != '/') {
        return kr_err_set(err, KR_EINVAL, 0, "ctl: socket path must be absolute (unix:/path)");
    }
    if (spec.len >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
        return kr_err_set(err, KR_EINVAL, 0, "ctl: socket path too long (107 bytes at most)");
    }
    *path = spec;
    return 0;
}

unsigned kr_ctl_mode(long v)
{
    if (v > 0 && v <= 0777) {
        return (unsigned)v;
    }
    if (v <= 0 || v > 7777) {
        return 0;
    }
    /* Written 0600 but read as decimal 600: take the digits as octal. */
    unsigned m = 0;
    unsigned shift = 0;
    for (long d = v; d > 0; d /= 10, shift += 3) {
        if (d % 10 > 7) {
            return 0;
        }
        m |= (unsigned)(d % 10) << shift;
    }
    return m & 07777;
}

/* --- sockets --- */

static void fill_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, strlen(path) + 1); /* length checked by the caller */
}

/* Removes a socket file nobody listens on. 0, or KR_EINVAL when the path is in use or is
 * not a socket (logged at level). */
static int remove_stale(const char *path, int level)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return 0;
    }
    if (!S_ISSOCK(st.st_mode)) {
        KR_LOG(level, "%s exists and is not a socket: not replacing it", path);
        return KR_EINVAL;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return KR_EIO;
    }
    struct sockaddr_un sa;
    fill_addr(&sa, path);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    if (rc == 0) {
        KR_LOG(level, "%s is in use by another process (another korero?)", path);
        return KR_EINVAL;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        KR_LOG(level, "cannot remove stale socket %s: %s", path, strerror(errno));
        return KR_EIO;
    }
    return 0;
}

/* Creates, binds and listens; returns the fd or a negative KR_E* (logged at level). */
static int open_socket(const char *path, const struct kr_ctl_opts *o, int level)
{
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        KR_LOG(level, "socket path too long: %s", path);
        return KR_EINVAL;
    }
    int rc = remove_stale(path, level);
    if (rc < 0) {
        return rc;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        KR_LOG(level, "socket: %s", strerror(errno));
        return KR_EIO;
    }
    fill_addr(&sa, path);
    /* Start-up only (no other thread yet): the file never exists with looser bits. */
    mode_t old = umask(0177);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int bind_errno = errno;
    umask(old);
    if (rc != 0) {
        KR_LOG(level, "cannot bind %s: %s", path, strerror(bind_errno));
        close(fd);
        return KR_EIO;
    }
    unsigned mode = o->mode ? o->mode : 0600;
    if (chmod(path, (mode_t)mode) != 0) {
        KR_WARN("chmod %04o %s: %s", mode, path, strerror(errno));
    }
    if ((o->uid >= 0 || o->gid >= 0) && chown(path, o->uid >= 0 ? (uid_t)o->uid : (uid_t)-1,
                                              o->gid >= 0 ? (gid_t)o->gid : (gid_t)-1) != 0) {
        KR_WARN("chown %ld:%ld %s: %s", o->uid, o->gid, path, strerror(errno));
    }
    if (listen(fd, 16) != 0) {
        KR_LOG(level, "listen %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return KR_EIO;
    }
    return fd;
}

/* --- connections --- */

static void client_close(struct client *c)
{
    close(c->fd);
    free(c->buf);
    *c = (struct client){ .fd = -1 };
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            KR_DBG("send: %s", w < 0 ? strerror(errno) : "closed");
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Sends what is in ctl->out as one line (nothing when empty). */
static bool reply(struct kr_ctl *ctl, struct client *c)
{
    if (ctl->out.len == 0) {
        return true;
    }
    kr_buf_append_char(&ctl->out, '\n');
    if (ctl->out.err != 0) { /* no room for the newline: cannot frame it */
        return false;
    }
    return send_all(c->fd, ctl->out.ptr, ctl->out.len);
}

static void consume(struct client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Answers every complete request text in the buffer. At eof, what is left incomplete is
 * a parse error. Returns false when the connection must close. */
static bool process(struct kr_ctl *ctl, struct client *c, bool eof)
{
    for (;;) {
        size_t ws = 0;
        while (ws < c->len && (c->buf[ws] == ' ' || c->buf[ws] == '\t' || c->buf[ws] == '\r' ||
                               c->buf[ws] == '\n')) {
            ws++;
        }
        consume(c, ws);
        if (c->len == 0) {
            return true;
        }
        json_error_t jerr;
        json_t *v = json_loadb(c->buf, c->len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
        kr_buf_clear(&ctl->out);
        if (v != NULL) {
            size_t used = (size_t)jerr.position;
            kr_jsonrpc_handle_value(v, &ctl->out);
            json_decref(v);
            consume(c, used > c->len ? c->len : used);
        } else if (json_error_code(&jerr) == json_error_premature_end_of_input && !eof) {
            return true; /* wait for the rest */
        } else {
            kr_jsonrpc_error(&ctl->out, KR_RPC_EPARSE, "Parse error", jerr.text);
            /* Resynchronise at the next line. */
            void *nl = memchr(c->buf, '\n', c->len);
            consume(c, nl ? (size_t)((char *)nl - c->buf) + 1 : c->len);
        }
        if (!reply(ctl, c)) {
            return false;
        }
    }
}

/* Reads what the connection has. Returns false when it must close. */
static bool client_read(struct kr_ctl *ctl, struct client *c)
{
    if (c->len == c->size) {
        if (c->size >= KR_CTL_MAX_REQUEST) {
            kr_buf_clear(&ctl->out);
            kr_jsonrpc_error(&ctl->out, KR_RPC_EREQUEST, "Invalid Request", "request too large");
            reply(ctl, c);
            return false;
        }
        size_t nsize = c->size ? c->size * 2 : 4096;
        char *nb = realloc(c->buf, nsize);
        if (nb == NULL) {
            return false;
        }
        c->buf = nb;
        c->size = nsize;
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->size - c->len, 0);
    if (n < 0) {
        return errno == EINTR || errno == EAGAIN;
    }
    c->last = time(NULL);
    c->len += (size_t)n;
    bool eof = n == 0;
    return process(ctl, c, eof) && !eof;
}

static void accept_one(struct kr_ctl *ctl, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        KR_DBG("accept: %s", strerror(errno));
        return;
    }
    for (size_t i = 0; i < KR_CTL_MAX_CLIENTS; i++) {
        struct client *c = &ctl->clients[i];
        if (c->fd < 0) {
            struct timeval tv = { .tv_sec = SEND_TIMEOUT_SECONDS };
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
            *c = (struct client){ .fd = fd, .last = time(NULL) };
            return;
        }
    }
    KR_WARN("too many control connections (%d): closing a new one", KR_CTL_MAX_CLIENTS);
    close(fd);
}

static void *serve(void *arg)
{
    struct kr_ctl *ctl = arg;
    struct pollfd pfd[1 + KR_CTL_MAX_SOCKETS + KR_CTL_MAX_CLIENTS];
    struct client *who[KR_CTL_MAX_CLIENTS];

    kr_log_set_thread("ctl");
    for (;;) {
        size_t n = 0;
        pfd[n++] = (struct pollfd){ .fd = ctl->stop_fd, .events = POLLIN };
        for (size_t i = 0; i < ctl->nlisten; i++) {
            pfd[n++] = (struct pollfd){ .fd = ctl->listen[i].fd, .events = POLLIN };
        }
        size_t first_client = n;
        for (size_t i = 0; i < KR_CTL_MAX_CLIENTS; i++) {
            if (ctl->clients[i].fd >= 0) {
                who[n - first_client] = &ctl->clients[i];
                pfd[n++] = (struct pollfd){ .fd = ctl->clients[i].fd, .events = POLLIN };
            }
        }
        int rc = poll(pfd, (nfds_t)n, POLL_MS);
        if (rc < 0 && errno != EINTR) {
            KR_ERR("poll: %s", strerror(errno));
            break;
        }
        if (pfd[0].revents != 0) {
            break;
        }
        time_t now = time(NULL);
        for (size_t i = first_client; i < n; i++) {
            struct client *c = who[i - first_client];
            if (pfd[i].revents != 0) {
                if (!client_read(ctl, c)) {
                    client_close(c);
                }
            } else if (now - c->last > IDLE_SECONDS) {
                client_close(c);
            }
        }
        for (size_t i = 1; i < first_client; i++) {
            if (pfd[i].revents & POLLIN) {
                accept_one(ctl, pfd[i].fd);
            }
        }
    }
    for (size_t i = 0; i < KR_CTL_MAX_CLIENTS; i++) {
        if (ctl->clients[i].fd >= 0) {
            client_close(&ctl->clients[i]);
        }
    }
    return NULL;
}

/* --- start / stop --- */

static void free_ctl(struct kr_ctl *ctl)
{
    for (size_t i = 0; i < ctl->nlisten; i++) {
        close(ctl->listen[i].fd);
        unlink(ctl->listen[i].path);
        free(ctl->listen[i].path);
    }
    if (ctl->stop_fd >= 0) {
        close(ctl->stop_fd);
    }
    kr_buf_fini(&ctl->out);
    free(ctl);
}

int kr_ctl_start(const struct kr_ctl_opts *o, struct kr_ctl **out, struct kr_err *err)
{
    *out = NULL;
    if (o->npaths == 0 || o->npaths > KR_CTL_MAX_SOCKETS) {
        return kr_err_set(err, KR_EINVAL, 0, "ctl: 1 to 8 sockets");
    }
    struct kr_ctl *ctl = calloc(1, sizeof(*ctl));
    if (ctl == NULL) {
        return kr_err_set(err, KR_ENOMEM, 0, "ctl: out of memory");
    }
    ctl->stop_fd = -1;
    for (size_t i = 0; i < KR_CTL_MAX_CLIENTS; i++) {
        ctl->clients[i].fd = -1;
    }
    kr_buf_init_heap(&ctl->out, 4096, RESPONSE_CAP);

    for (size_t i = 0; i < o->npaths; i++) {
        int fd = open_socket(o->paths[i], o, o->optional ? KR_L_WARN : KR_L_ERR);
        if (fd < 0 && o->optional) {
            KR_WARN("continuing without the control socket %s (korctl will not reach it)",
                    o->paths[i]);
            continue;
        }
        if (fd < 0) {
            free_ctl(ctl);
            return kr_err_set(err, fd, 0, "ctl: cannot create the control socket");
        }
        char *p = strdup(o->paths[i]);
        if (p == NULL) {
            close(fd);
            unlink(o->paths[i]);
            free_ctl(ctl);
            return kr_err_set(err, KR_ENOMEM, 0, "ctl: out of memory");
        }
        ctl->listen[ctl->nlisten++] = (struct listener){ .fd = fd, .path = p };
        KR_INFO("control socket %s (JSON-RPC 2.0, korctl)", p);
    }
    if (ctl->nlisten == 0) {
        free_ctl(ctl);
        return 0;
    }
    ctl->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (ctl->stop_fd < 0) {
        KR_ERR("eventfd: %s", strerror(errno));
        free_ctl(ctl);
        return kr_err_set(err, KR_EIO, 0, "ctl: cannot create an eventfd");
    }
    /* The thread takes no signals: main handles SIGTERM / SIGHUP. */
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&ctl->thread, NULL, serve, ctl);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        KR_ERR("cannot start the ctl thread: %s", strerror(rc));
        free_ctl(ctl);
        return kr_err_set(err, KR_EIO, 0, "ctl: cannot start its thread");
    }
    pthread_setname_np(ctl->thread, "ctl");
    *out = ctl;
    return 0;
}

void kr_ctl_stop(struct kr_ctl *ctl)
{
    if (ctl == NULL) {
        return;
    }
    uint64_t one = 1;
    if (write(ctl->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
        KR_ERR("cannot wake the ctl thread: %s", strerror(errno));
    }
    pthread_join(ctl->thread, NULL);
    free_ctl(ctl);
}
