/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The msrp module: korero's embedded MSRP relay (RFC 4975, RFC 4976) with Kamailio's
 * msrp module interface, and what the server calls: framing limits, the receive hook for
 * each MSRP frame (it runs event_route[msrp:frame-in]) and the connection-closed hook. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/module.h"
#include "net/net.h"

struct kr_cfg;
struct kr_vars;
struct kr_worker;

extern const struct kr_module kr_mod_msrp;

/* The module's state for cfg when `loadmodule "msrp.so"` is there, else NULL. */
struct msrp_mod *kr_msrp_of(const struct kr_cfg *cfg);
/* Frames up to this size are framed whole (and visible whole to the script). */
size_t kr_msrp_whole_max(const struct msrp_mod *m);
/* One MSRP frame (or the head of a streamed one: rcv->sink set) from the transport, on
 * the worker that read it. */
void kr_msrp_recv(struct msrp_mod *m, const struct kr_cfg *cfg, struct kr_worker *w,
                  struct kr_vars *vars, const struct kr_rcv *rcv, const char *data, size_t len);
/* A stream connection closed: its sessions end. */
void kr_msrp_conn_closed(struct msrp_mod *m, uint64_t conn_id);
