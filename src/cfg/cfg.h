/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The routing configuration (Kamailio's kamailio.cfg dialect): loading and checking a file
 * into an immutable tree, the core parameters it sets, module init, and running a route
 * for a message. A kr_cfg is built and freed by the main thread; once loaded it is only
 * read (workers run routes on it concurrently; $shv is the one locked, shared part). */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/module.h"
#include "core/err.h"
#include "core/str.h"
#include "net/net.h"

struct kr_cfg;
struct kr_ctx;
struct kr_vars;

/* Route blocks. REPLY is `reply_route` and an unnamed `onreply_route`; ONREPLY is
 * `onreply_route[X]`; SUB is `route[X]` (run by name as a sub-route). */
enum kr_cfg_route_kind {
    KR_CFG_ROUTE_REQUEST = 0,
    KR_CFG_ROUTE_REPLY,
    KR_CFG_ROUTE_ONREPLY,
    KR_CFG_ROUTE_FAILURE,
    KR_CFG_ROUTE_BRANCH,
    KR_CFG_ROUTE_ONSEND,
    KR_CFG_ROUTE_EVENT,
    KR_CFG_ROUTE_SUB,
    KR_CFG_ROUTE__COUNT,
};

struct kr_cfg_opts {
    /* Modules korero has (kr_builtin_modules), NULL-terminated; NULL: none. */
    const struct kr_module *const *modules;
    /* Command-line defines (-A): "NAME" or "NAME=VALUE". */
    const char *const *defines;
    size_t ndefines;
    /* Kamailio module names korero has in its core (kr_core_module_aliases),
     * NULL-terminated: `loadmodule "pv.so"` is accepted for them. NULL: none. */
    const char *const *aliases;
};

/* One `listen=` line as written: text "udp:127.0.0.1:5060", "tcp:[::1]:5060",
 * "127.0.0.1", "eth0"; advertise "203.0.113.1:5060" or NULL; name (`name "x"`) or NULL. */
struct kr_cfg_listen {
    const char *text;
    const char *advertise;
    const char *name;
};

/* Core parameters with their values after loading (defaults where not set). Strings are
 * NUL-terminated and owned by the config. */
struct kr_cfg_core {
    const struct kr_cfg_listen *listens;
    size_t nlistens;
    const char *const *aliases; /* `alias=` entries as written ("example.com:5060") */
    size_t naliases;
    int64_t port;     /* port= : default port for listens without one (5060) */
    int64_t children; /* children= / workers= ; 0: number of CPUs */
    int64_t debug;    /* debug= : -5..3 (log level), default 0 (KR_L_WARN) */
    bool log_stderror;
    const char *log_facility; /* "LOG_DAEMON" */
    const char *log_name;     /* NULL: "korero" */
    const char *log_prefix;   /* NULL: none */
    bool fork;
    bool auto_aliases;
    bool disable_tcp;
    bool enable_tls;
    const char *advertised_address;  /* NULL: none */
    int64_t advertised_port;         /* 0: none */
    int64_t tcp_connection_lifetime; /* seconds, default 120 */
    int64_t tcp_max_connections;     /* default 2048 */
    bool tcp_accept_no_cl;
    int64_t tcp_connect_timeout; /* seconds, default 10 */
    int64_t tcp_send_timeout;    /* seconds, default 10 */
    bool tcp_keepalive;
    int64_t tcp_rd_buf_size;       /* bytes, default 4096 */
    const char *server_header;     /* "Server: korero (0.1.0)" */
    bool server_signature;         /* add server_header to local replies */
    const char *user_agent_header; /* "User-Agent: korero (0.1.0)" */
    bool sip_warning;
    int64_t max_while_loops;     /* default 100 */
    int64_t max_recursive_level; /* route(X) depth, default 256 */
    int64_t maxbuffer;           /* UDP receive buffer cap, default 262144 */
    int64_t async_workers;
    bool dns;
    bool rev_dns;
    bool dns_try_ipv6;
    bool use_dns_cache;
    const char *mpath;
};

/* The documentation table of core parameters (for `korero --help` and docs/). */
enum kr_cfg_param_type {
    KR_CFG_P_INT = 1,
    KR_CFG_P_BOOL, /* yes/no/on/off/true/false/1/0 */
    KR_CFG_P_STR,  /* string or identifier */
    KR_CFG_P_LISTEN,
    KR_CFG_P_ALIAS,
    KR_CFG_P_ANY, /* int or string */
};

struct kr_cfg_param_doc {
    const char *name;
    enum kr_cfg_param_type type;
    const char *def; /* default as text */
    const char *doc;
    bool ignored; /* accepted for compatibility, no effect in korero */
};

/* The i-th entry of the table, NULL past the end. */
const struct kr_cfg_param_doc *kr_cfg_core_param(size_t i);

/* Reads path (with includes), preprocesses, parses and checks it against opts->modules.
 * Returns 0 with *out set, or a negative KR_E* with diag holding the errors, one per
 * line, each `FILE:LINE:COL: error: what was found, what was expected` (the first error
 * first). diag may be NULL. No module init runs here (kr_cfg_init_modules). */
int kr_cfg_load(const char *path, const struct kr_cfg_opts *o, struct kr_cfg **out, char *diag,
                size_t diagsize);
/* The same from text in memory; name is used in messages and includes are relative to
 * its directory. */
int kr_cfg_load_buf(const char *name, const char *text, size_t len, const struct kr_cfg_opts *o,
                    struct kr_cfg **out, char *diag, size_t diagsize);
/* Runs the modules' destroy hooks (for those whose init ran) and frees everything. NULL ok. */
void kr_cfg_free(struct kr_cfg *cfg);

const struct kr_cfg_core *kr_cfg_core(const struct kr_cfg *cfg);

/* Runs every loaded module's init in load order (always-loaded ones first, in table
 * order, then loadmodule order) and keeps the states. 0, or the first failure's negative
 * code with err set (err->reason is the module's reason; see kr_cfg_failed_module). */
int kr_cfg_init_modules(struct kr_cfg *cfg, struct kr_err *err);
/* The name of the module whose init failed last, or NULL. */
const char *kr_cfg_failed_module(const struct kr_cfg *cfg);
/* Runs every loaded module's worker_init in the calling worker thread. 0 or the first
 * negative result. */
int kr_cfg_worker_init(const struct kr_cfg *cfg, unsigned worker_id);

/* What a route ended with. Negative values are errors (KR_ENOTFOUND: no such route). */
enum kr_cfg_end {
    KR_CFG_END_DONE = 1, /* fell off the end or `return`: ctx->retcode holds the value */
    KR_CFG_END_EXIT = 2, /* exit, return 0, or a function returned 0 */
    KR_CFG_END_DROP = 3, /* drop: ctx->dropped is set too */
};

/* Runs the route of that kind (name for named kinds; ignored for REQUEST, REPLY, ONSEND).
 * Sets ctx->route_type and ctx->retcode. Uses ctx->arena for everything it makes.
 * A kind without a route block returns KR_ENOTFOUND (the caller's default applies). */
int kr_cfg_run(const struct kr_cfg *cfg, struct kr_ctx *ctx, enum kr_cfg_route_kind kind,
               struct kr_str name);
bool kr_cfg_has_route(const struct kr_cfg *cfg, enum kr_cfg_route_kind kind, struct kr_str name);
/* A route's index for kr_cfg_run_index (resolve once, run many times), or -1. */
int kr_cfg_route_index(const struct kr_cfg *cfg, enum kr_cfg_route_kind kind, struct kr_str name);
int kr_cfg_run_index(const struct kr_cfg *cfg, struct kr_ctx *ctx, int index);

/* The resolved listen table (after the sockets are opened, before workers start): what
 * `myself` compares with, besides `alias=`. Copied. Until it is called, the listen= texts
 * with numeric addresses are used. */
void kr_cfg_set_listens(struct kr_cfg *cfg, const struct kr_listen *l, size_t n);
/* Is host:port one of ours (a listen address or advertised address, or an alias)? port 0
 * means no port was given: 5060. An alias without a port matches every port. */
bool kr_cfg_is_myself(const struct kr_cfg *cfg, struct kr_str host, uint16_t port);

/* Compiles pattern (NUL-terminated) into a regex the config owns (freed with it): for
 * fixups. NULL on error with *rc set to regcomp's code. */
regex_t *kr_cfg_regcomp(struct kr_cfg *cfg, const char *pattern, int flags, int *rc);

/* A worker's $var store (persists across messages, as Kamailio's $var). Heap memory. */
struct kr_vars *kr_vars_new(void);
void kr_vars_free(struct kr_vars *v);
