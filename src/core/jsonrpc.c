/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON-RPC 2.0 request handling (https://www.jsonrpc.org/specification), independent of
 * the transport. Every JSON value built here is owned by this file until dumped into the
 * caller's buffer. Any thread. */
#include "core/jsonrpc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/rpc.h"

/* {"jsonrpc":"2.0","error":{"code":..,"message":..[,"data":..]},"id":..}; NULL on OOM. */
static json_t *error_obj(int code, const char *msg, const char *data, const json_t *id)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", msg ? msg : "error");
    if (e != NULL && data != NULL) {
        json_object_set_new(e, "data", json_string(data));
    }
    json_t *r = json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "error", e, "id",
                          id ? (json_t *)id : json_null());
    return r;
}

static bool valid_id(const json_t *id)
{
    return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

/* Runs one call. Returns its response, or NULL for a notification (or when out of
 * memory, which leaves nothing to say). */
static json_t *call_one(const json_t *req)
{
    if (!json_is_object(req)) {
        return error_obj(KR_RPC_EREQUEST, "Invalid Request", "not an object", NULL);
    }
    const json_t *id = json_object_get(req, "id");
    if (id != NULL && !valid_id(id)) {
        return error_obj(KR_RPC_EREQUEST, "Invalid Request", "id: not a string or number", NULL);
    }
    const json_t *ver = json_object_get(req, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        return error_obj(KR_RPC_EREQUEST, "Invalid Request", "jsonrpc: must be \"2.0\"", id);
    }
    const json_t *method = json_object_get(req, "method");
    if (!json_is_string(method)) {
        return error_obj(KR_RPC_EREQUEST, "Invalid Request", "method: not a string", id);
    }
    const json_t *params = json_object_get(req, "params");
    if (json_is_null(params)) {
        params = NULL;
    }
    if (params != NULL && !json_is_array(params) && !json_is_object(params)) {
        return error_obj(KR_RPC_EREQUEST, "Invalid Request", "params: not an array or object", id);
    }

    const struct kr_rpc_cmd *cmd =
        kr_rpc_find_str(kr_str_make(json_string_value(method), json_string_length(method)));
    if (cmd == NULL) {
        return id ? error_obj(KR_RPC_EMETHOD, "Method not found", NULL, id) : NULL;
    }
    json_t *result = NULL;
    struct kr_rpc_err err = { 0 };
    int rc = cmd->fn(params, &result, &err);
    if (rc < 0) {
        json_decref(result);
        if (id == NULL) {
            return NULL;
        }
        if (err.code == 0) {
            return error_obj(KR_RPC_EINTERNAL, err.msg ? err.msg : kr_strerror(rc), NULL, id);
        }
        return error_obj(err.code, err.msg, NULL, id);
    }
    if (id == NULL) {
        json_decref(result);
        return NULL;
    }
    return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "result", result ? result : json_null(),
                     "id", id);
}

/* Appends resp (consumed) to out; falls back to a short error when it does not fit. */
static int emit(struct kr_buf *out, json_t *resp, const json_t *id)
{
    size_t mark = out->len;
    char *text = resp ? json_dumps(resp, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(resp);
    if (text != NULL) {
        kr_buf_append_c(out, text);
        free(text);
        if (out->err == 0) {
            return 0;
        }
    }
    out->len = mark;
    out->err = 0;
    json_t *e =
        error_obj(KR_RPC_EINTERNAL, text ? "response too large" : "out of memory", NULL, id);
    text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (text == NULL) {
        return KR_ENOMEM;
    }
    kr_buf_append_c(out, text);
    free(text);
    int rc = out->err;
    if (rc != 0) {
        out->len = mark;
        out->err = 0;
    }
    return rc;
}

int kr_jsonrpc_handle_value(const json_t *req, struct kr_buf *out)
{
    if (!json_is_array(req)) {
        json_t *resp = call_one(req);
        if (resp == NULL) {
            return 0;
        }
        const json_t *id = json_is_object(req) ? json_object_get(req, "id") : NULL;
        return emit(out, resp, valid_id(id) ? id : NULL);
    }
    if (json_array_size(req) == 0) {
        return emit(out, error_obj(KR_RPC_EREQUEST, "Invalid Request", "empty batch", NULL), NULL);
    }
    json_t *all = json_array();
    if (all == NULL) {
        return emit(out, NULL, NULL);
    }
    size_t i;
    const json_t *one;
    json_array_foreach(req, i, one)
    {
        json_t *resp = call_one(one);
        if (resp != NULL) {
            json_array_append_new(all, resp);
        }
    }
    if (json_array_size(all) == 0) {
        json_decref(all);
        return 0;
    }
    return emit(out, all, NULL);
}

int kr_jsonrpc_handle(const char *req, size_t len, struct kr_buf *out)
{
    json_error_t jerr;
    json_t *v = json_loadb(req, len, JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        return kr_jsonrpc_error(out, KR_RPC_EPARSE, "Parse error", jerr.text);
    }
    int rc = kr_jsonrpc_handle_value(v, out);
    json_decref(v);
    return rc;
}

int kr_jsonrpc_error(struct kr_buf *out, int code, const char *msg, const char *data)
{
    return emit(out, error_obj(code, msg, data, NULL), NULL);
}
