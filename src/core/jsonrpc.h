/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON-RPC 2.0 over any transport: takes a request text (one call or a batch), runs the
 * commands from the RPC registry (core/rpc.h) and writes the response text. Holds no
 * state; any thread (the ctl thread, later HTTP workers). */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"

/* Handles one JSON text of len bytes (need not be NUL-terminated): a request object or a
 * batch array (JSON-RPC 2.0 §4, §6). Appends the response, compact JSON without a
 * trailing newline, to out; appends nothing when nothing is to be answered (only
 * notifications). A response that does not fit out's cap is replaced by a -32603
 * "response too large" error. Returns 0, or KR_ELIMIT / KR_ENOMEM when even that error
 * does not fit (out is then left as it was). */
int kr_jsonrpc_handle(const char *req, size_t len, struct kr_buf *out);
/* The same for an already parsed request (borrowed). */
int kr_jsonrpc_handle_value(const json_t *req, struct kr_buf *out);
/* Appends an error response with id null, for errors a transport finds itself (a request
 * text that is not JSON: KR_RPC_EPARSE). data may be NULL. Returns 0 or out's error. */
int kr_jsonrpc_error(struct kr_buf *out, int code, const char *msg, const char *data);
