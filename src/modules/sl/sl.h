/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sl module: stateless replies (RFC 3261 §8.2.6, §16.7 for proxies answering
 * themselves) for the script (sl_send_reply, send_reply, sl_reply_error) and for the
 * receive path (automatic 400/483/505). Replies are built in the context's arena and sent
 * back where the request came from (RFC 3261 §18.2.2, RFC 3581). Worker threads. */
#pragma once

#include "cfg/ctx.h"
#include "cfg/module.h"
#include "core/buf.h"
#include "core/str.h"
#include "net/net.h"

extern const struct kr_module kr_mod_sl;

/* The To-tag korero puts in its replies to this request: stored in ctx->to_tag on first
 * use. Deterministic for a request and its retransmissions within one process (a random
 * per-process prefix and a hash of Call-ID, From tag and the top Via's branch). Arena
 * memory; an empty slice on KR_ENOMEM. */
struct kr_str kr_sl_to_tag(struct kr_ctx *ctx);

/* Builds a stateless reply to ctx->msg: status line, the Vias (the top one with
 * received=/rport= as RFC 3261 §18.2.1 and RFC 3581 §4 ask), From, To (with our tag when
 * code > 100 and the request has none), Call-ID, CSeq, extra_headers (complete lines, each
 * ending in CRLF; may be empty), Server (the config's server_header), Content-Length: 0.
 * dst gets where it goes: UDP to the source IP, at the source port when the Via has rport
 * or force_rport() was called, else the Via's port or 5060, from the socket it arrived
 * on; stream: the connection it arrived on (set_reply_close / set_reply_no_connect
 * honoured). out must be initialised by the caller. Returns 0, KR_EINVAL (no request, an
 * ACK, no receive information), KR_ENOMEM, KR_ELIMIT. */
int kr_sl_build_reply(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                      struct kr_str extra_headers, struct kr_buf *out, struct kr_send_dst *dst);

/* As kr_sl_build_reply with a body and its Content-Type. */
int kr_sl_build_reply_body(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                           struct kr_str extra_headers, struct kr_str content_type,
                           struct kr_str body, struct kr_buf *out, struct kr_send_dst *dst);

/* Builds and sends a stateless reply (see kr_sl_build_reply); never answers an ACK.
 * Counts KR_STAT_SENT_REPLIES and sets ctx->replied on success. Returns 0 or negative
 * (KR_EINVAL for an ACK or a reply, or the build / send error). */
int kr_sl_reply(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                struct kr_str extra_headers);

/* The same with a body. */
int kr_sl_reply_body(struct kr_ctx *ctx, unsigned code, struct kr_str reason,
                     struct kr_str extra_headers, struct kr_str content_type, struct kr_str body);
