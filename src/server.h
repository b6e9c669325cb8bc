/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The server: wires the areas together. Loads the config, builds the listen table,
 * starts modules, RPC and the transport, and handles each received SIP message (parse,
 * count, run the route, relay replies). Start and stop run on the main thread; the
 * receive path runs on worker threads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct kr_cfg;

struct kr_server_opts {
    const char *cfg_path;
    const char *const *defines; /* -A NAME[=VALUE] */
    size_t ndefines;
};

struct kr_server;

/* Reads and checks the config. On error prints FILE:LINE:COL: error: ... to stderr and
 * returns NULL. */
struct kr_server *kr_server_load(const struct kr_server_opts *o);
/* Opens sockets, starts modules, RPC and workers. 0 or negative (logged). */
int kr_server_start(struct kr_server *s);
/* Blocks until SIGTERM/SIGINT (or core.shutdown); SIGHUP is logged (reload comes later). */
void kr_server_wait(struct kr_server *s);
/* Stops workers and modules, frees everything. */
void kr_server_free(struct kr_server *s);
