/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The RPC command registry (core.version, stats.fetch, ul.dump, ...) behind JSON-RPC.
 * Commands are registered at start-up only (main thread, before workers start); the
 * table then stays as it is until kr_rpc_reset() at shutdown, so lookups take no lock.
 * Command functions run on whichever thread serves the request (the ctl thread, HTTP). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "core/str.h"

/* JSON-RPC 2.0 error codes (JSON-RPC 2.0 §5.1). Commands may use any other code for
 * application errors (Kamailio's commands use HTTP-like codes: 400, 404, 500). */
enum kr_rpc_code {
    KR_RPC_EPARSE = -32700,   /* the request is not JSON */
    KR_RPC_EREQUEST = -32600, /* not a valid JSON-RPC request object */
    KR_RPC_EMETHOD = -32601,  /* no such command */
    KR_RPC_EPARAMS = -32602,  /* wrong parameters */
    KR_RPC_EINTERNAL = -32603,
};

/* A command's error: a code and a message that is either static or formatted into buf
 * (kr_rpc_failf). Owned by the caller of the command, usually on its stack. */
struct kr_rpc_err {
    int code;        /* 0 while unset */
    const char *msg; /* static text or buf */
    char buf[256];
};

/* A command. params is the request's params (a JSON array or object), NULL when the
 * request had none; it is borrowed. On success return 0 and set *result to a new
 * reference (NULL is sent as JSON null); on failure return a negative KR_E* value and
 * fill err (unset err becomes -32603 "internal error"). */
typedef int kr_rpc_fn(const json_t *params, json_t **result, struct kr_rpc_err *err);

struct kr_rpc_cmd {
    const char *name; /* "core.uptime" */
    kr_rpc_fn *fn;
    const char *doc; /* one line for system.methodHelp, may be NULL */
};

enum { KR_RPC_MAX_CMDS = 1024 };

/* Registers a { 0 }-terminated array of commands, kept by pointer (it must outlive the
 * registry: a static const table). All or nothing: a name already registered or given
 * twice refuses the whole array. Start-up only (see the top of this file).
 * Returns 0, KR_EINVAL (duplicate or empty name; logged) or KR_ELIMIT (table full). */
int kr_rpc_register(const struct kr_rpc_cmd *cmds);
/* The command with that exact name, or NULL. Any thread, no lock. */
const struct kr_rpc_cmd *kr_rpc_find(const char *name);
const struct kr_rpc_cmd *kr_rpc_find_str(struct kr_str name);
/* Registered commands in registration order: i < kr_rpc_count(). Any thread. */
size_t kr_rpc_count(void);
const struct kr_rpc_cmd *kr_rpc_nth(size_t i);
/* Forgets every command and the core hooks (tests, shutdown). No command may be running
 * or looked up while it runs. */
void kr_rpc_reset(void);

/* Fills err and returns KR_EINVAL: `return kr_rpc_fail(err, KR_RPC_EPARAMS, "...");` */
int kr_rpc_fail(struct kr_rpc_err *err, int code, const char *msg);
int kr_rpc_failf(struct kr_rpc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- reading params: by position (array params) or by name (object params) --- */

/* Number of parameters (array size or object size; 0 for NULL). */
size_t kr_rpc_nparams(const json_t *params);
/* The i-th positional parameter, or the member `name` of object params (name may be
 * NULL: then the i-th member in order). NULL when absent. Borrowed. */
const json_t *kr_rpc_param(const json_t *params, size_t i, const char *name);
/* A string parameter. Absent: 0 with *out = def when !required, else -32602. A number
 * where a string is expected is -32602 (korctl: write s:123 to send a string). The
 * slice points into params. Returns 0 or KR_EINVAL with err set. */
int kr_rpc_param_str(const json_t *params, size_t i, const char *name, bool required,
                     struct kr_str def, struct kr_str *out, struct kr_rpc_err *err);
/* An integer parameter: a JSON integer or a string of decimal digits. Same rules. */
int kr_rpc_param_int(const json_t *params, size_t i, const char *name, bool required, int64_t def,
                     int64_t *out, struct kr_rpc_err *err);

/* --- built-in commands --- */

/* What main gives the core commands. Copied at registration. */
struct kr_rpc_core_hooks {
    /* core.shutdown: asks main to stop gracefully (as SIGTERM would) and returns at once;
     * it runs on the RPC thread, which main stops later. NULL: core.shutdown fails. */
    void (*shutdown)(void *arg);
    void *arg;
    /* Start time for core.uptime; 0 means the time of kr_rpc_register_core. */
    time_t started;
    /* Reported by core.info; 0 when unknown. */
    unsigned workers;
};

/* Registers core.version, core.uptime, core.info, core.ps, core.shutdown,
 * system.listMethods, system.methodHelp, stats.fetch, stats.get_statistics,
 * stats.reset_statistics and stats.clear_statistics. Start-up only; h may be NULL. */
int kr_rpc_register_core(const struct kr_rpc_core_hooks *h);

/* The statistics selected by a stats.fetch argument, as an object name -> number:
 * "all"; a group ("core", "core:", "core."); a full name ("core.rcv_requests",
 * "core:rcv_requests"); or a bare name ("rcv_requests") in any group. Adds matches to
 * obj and returns how many matched. Exposed for tests and other front ends. */
size_t kr_rpc_stats_select(const char *sel, json_t *obj);
