/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ctl module: serves JSON-RPC 2.0 (core/jsonrpc.h) on local Unix stream sockets for
 * korctl. One server thread, not a worker, owned by the struct kr_ctl that starts it;
 * kr_ctl_start and kr_ctl_stop run on the main thread (module init and destroy). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

struct kr_module;
extern const struct kr_module kr_mod_ctl;

/* Where korero listens when modparam("ctl", "binrpc", ...) is not set. */
#define KR_CTL_DEFAULT_SOCKET "/run/korero/ctl.sock"

enum {
    KR_CTL_MAX_SOCKETS = 8,
    KR_CTL_MAX_CLIENTS = 16,     /* connections served at once; more are closed */
    KR_CTL_MAX_REQUEST = 1 << 20 /* bytes of one request text */
};

struct kr_ctl_opts {
    const char *const *paths; /* socket file paths (no "unix:" prefix) */
    size_t npaths;            /* 1 .. KR_CTL_MAX_SOCKETS */
    unsigned mode;            /* permissions of the socket files; 0 means 0600 */
    long uid;                 /* owner for chown, -1 to leave */
    long gid;                 /* group for chown, -1 to leave */
    /* A socket that cannot be created is a warning, not an error (the default socket
     * when korero is not root). With none created, kr_ctl_start returns 0 and NULL. */
    bool optional;
};

struct kr_ctl;

/* Creates the sockets (a stale socket file is removed first; a live one, or a path that
 * is not a socket, is an error) and starts the server thread. *out is freed by
 * kr_ctl_stop. Returns 0 or a negative KR_E* with err set; the details (path, errno)
 * are logged here. */
int kr_ctl_start(const struct kr_ctl_opts *o, struct kr_ctl **out, struct kr_err *err);
/* Stops the thread (a request being answered finishes first), closes the connections
 * and unlinks the socket files it created. NULL is a no-op. */
void kr_ctl_stop(struct kr_ctl *c);

/* A binrpc address as Kamailio's ctl takes it: "unix:/path", "unixs:/path" or "/path"
 * give the path; "tcp:...", "udp:...", "unixd:..." are refused (KR_EINVAL, err set). */
int kr_ctl_parse_addr(struct kr_str spec, struct kr_str *path, struct kr_err *err);
/* The permission bits of a `mode` modparam: 0600 as read by a config parser that keeps
 * octal (384) or one that reads it as decimal (600) both give 0600. */
unsigned kr_ctl_mode(long v);
