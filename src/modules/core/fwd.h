/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stateless forwarding (RFC 3261 §16.11): requests get our Via on top and received/rport
 * on the sender's Via; replies lose our Via and go to the next one (RFC 3261 §18.2.2,
 * RFC 3581). Building is separate from sending so that tests can check the bytes. All
 * text is allocated from the context's arena. Worker threads, one message at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/ctx.h"
#include "core/buf.h"
#include "core/str.h"
#include "net/net.h"
#include "sip/msg.h"
#include "sip/uri.h"

/* 64-bit FNV-1a over the parts, each followed by a separator so that ("ab","c") and
 * ("a","bc") differ. Deterministic across processes. */
uint64_t kr_fwd_hash(const struct kr_str *parts, size_t n);

/* Writes v as 16 lower-case hex digits at out (no NUL). */
void kr_fwd_hex64(uint64_t v, char out[16]);

/* The tag= of the From or To header (t is KR_SIP_HDR_FROM or KR_SIP_HDR_TO); empty when
 * there is none or the header does not parse. A slice into the message. */
struct kr_str kr_fwd_hdr_tag(const struct kr_sip_msg *msg, enum kr_sip_hdr_type t);

/* The first via-parm of the first Via header. *hdr gets that header and *rest what follows
 * the via-parm inside the same header (empty when it was the only one). Returns 0,
 * KR_ENOTFOUND (no Via) or KR_EPARSE. */
int kr_fwd_top_via(const struct kr_sip_msg *msg, struct kr_sip_via *via,
                   const struct kr_sip_hdr **hdr, struct kr_str *rest);

/* What the top Via of a received request needs before it is relayed or answered:
 * received= when the sent-by host differs from the source IP (RFC 3261 §18.2.1) or rport
 * is asked for; rport=<source port> when the Via has an empty rport (RFC 3581 §4) or the
 * script called force_rport(). */
struct kr_fwd_via_fix {
    struct kr_str add;       /* appended after the via-parm (";received=..." ";rport=...") */
    const char *rport_at;    /* just after an empty "rport" in the message; NULL: none */
    struct kr_str rport_val; /* "=<port>" to insert at rport_at */
};

/* Fills fix (empty when nothing is needed or ctx->rcv is NULL). 0 or KR_ENOMEM. */
int kr_fwd_via_fix(struct kr_ctx *ctx, const struct kr_sip_via *via, struct kr_fwd_via_fix *fix);

/* The branch of our Via for this request: "z9hG4bK" + hash of the received top Via's
 * branch when it carries the magic cookie, else of Call-ID, From tag, To tag, CSeq number
 * and the received R-URI (RFC 3261 §16.11), so that a retransmission (and a CANCEL or
 * non-2xx ACK) takes the same branch. Arena memory; .ptr NULL on KR_ENOMEM. */
struct kr_str kr_fwd_branch(struct kr_ctx *ctx, const struct kr_sip_via *top);

/* Builds the request to relay: destination host/port/proto as forward() takes them (empty
 * host: $du when set, else the current R-URI; a "sip:" URI as host is parsed as one).
 * Transport: the URI's transport= parameter, else proto, else UDP; sips: and TLS are not
 * supported yet (KR_EINVAL, logged). Resolves the host (numeric or DNS A/AAAA), picks the
 * socket (force_send_socket() or kr_net_pick_listen), copies ctx->edits and adds our Via,
 * the received/rport fix and the new R-URI to the copy (ctx->edits is unchanged, so two
 * forward() calls do not stack two Vias). out must be initialised by the caller.
 * Returns 0 with out and dst filled, or negative (KR_EPARSE bad URI, KR_ENOTFOUND
 * unresolvable / no socket, KR_EINVAL unsupported, KR_ENOMEM, KR_ELIMIT too big). */
int kr_fwd_build_request(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                         enum kr_uri_proto proto, struct kr_buf *out, struct kr_send_dst *dst);

/* As kr_fwd_build_request, with proto used even when the URI names another transport
 * (forward_udp(), forward_tcp()). */
int kr_fwd_build_request_proto(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                               enum kr_uri_proto proto, struct kr_buf *out,
                               struct kr_send_dst *dst);

/* Builds and sends the request (see kr_fwd_build_request). Counts KR_STAT_FWD_REQUESTS or
 * KR_STAT_SEND_ERRORS, sets ctx->forwarded. 0 or negative. */
int kr_fwd_request(struct kr_ctx *ctx, struct kr_str host, uint16_t port, enum kr_uri_proto proto);
/* The same with the transport forced (forward_udp/forward_tcp). */
int kr_fwd_request_proto(struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                         enum kr_uri_proto proto);

/* Builds the reply to relay: the top Via must be ours (sent-by is one of our listen
 * addresses, advertised addresses or aliases) and a second Via must exist; the top Via is
 * removed; dst is the second Via's maddr, else received, else sent-by host, port rport,
 * else sent-by port, else 5060 (RFC 3261 §18.2.2, RFC 3581 §4); stream transports reuse
 * the open connection to that address (KR_SEND_NO_CONNECT after set_reply_no_connect()).
 * Returns 0, KR_ENOTFOUND (top Via not ours, or no second Via: the reply is for us),
 * KR_EPARSE (bad Via), KR_EINVAL (unsupported transport), KR_ENOMEM, KR_ELIMIT. */
int kr_fwd_build_reply(struct kr_ctx *ctx, struct kr_buf *out, struct kr_send_dst *dst);

/* Relays a received reply statelessly (reply_route done, ctx->dropped not set). Counts
 * KR_STAT_FWD_REPLIES, or KR_STAT_DROP_REPLIES when it is not relayed (not ours, no
 * second Via, dropped by the script), KR_STAT_SEND_ERRORS when sending fails. Returns 0
 * when sent, 1 when the script dropped it (ctx->dropped), else negative as
 * kr_fwd_build_reply or the send error. */
int kr_fwd_reply(struct kr_ctx *ctx);

/* Whether host:port (a Via sent-by; port 0 = default 5060) names this server: the
 * socket the message arrived on, a listen entry (ip or advertised address) or an alias. */
bool kr_fwd_is_local(const struct kr_ctx *ctx, struct kr_str host, uint16_t port,
                     enum kr_uri_proto proto);
