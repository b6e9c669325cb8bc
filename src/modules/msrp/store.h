/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MSRP relay's shared state: sessions (Kamailio's "cmap": session id -> the client's
 * connection, bound by AUTH) and the transactions the relay opened downstream (new
 * transaction id -> what to do with the response or its absence). Both are shared by
 * every worker: sessions under a read-write lock (lookups on every frame, changes on AUTH,
 * expiry and close), transactions in buckets with a mutex each. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "core/str.h"
#include "msrp/frame.h"
#include "net/net.h"

enum {
    KR_MSRP_SESSID_LEN = 22, /* base64url of 16 random bytes: 128 bits */
    KR_MSRP_PEER_MAX = 256,  /* longest peer URI kept */
    KR_MSRP_USER_MAX = 64,
    KR_MSRP_TX_BUCKETS = 4096,
    KR_MSRP_TX_LOCKS = 64,
};

/* What a lookup copies out of a session. */
struct kr_msrp_sess_info {
    char id[KR_MSRP_SESSID_LEN + 1];
    char peer[KR_MSRP_PEER_MAX]; /* first From-Path URI of the AUTH */
    char user[KR_MSRP_USER_MAX]; /* authenticated user; empty for msrp_cmap_save() */
    uint64_t conn_id;            /* the connection that authenticated */
    struct kr_sockaddr src;      /* its peer address */
    const struct kr_listen *sock;
    time_t created;
    time_t expires;
    uint64_t frames; /* frames relayed for it */
};

struct kr_msrp_sess;
struct kr_msrp_sessions;

/* buckets: 2^n slots (n clamped to 4..16). NULL when out of memory. */
struct kr_msrp_sessions *kr_msrp_sessions_new(unsigned n);
void kr_msrp_sessions_free(struct kr_msrp_sessions *t);
/* A new session with a fresh random id for the connection, or a refresh of the one the
 * connection already has for the same user and peer (same id, new expiry): in is the
 * template (id ignored); out receives the stored copy. 0, KR_ENOMEM, KR_EIO (no random). */
int kr_msrp_sess_bind(struct kr_msrp_sessions *t, const struct kr_msrp_sess_info *in,
                      struct kr_msrp_sess_info *out);
/* Copies the live session with that id into *out (counting a frame). 0 or KR_ENOTFOUND
 * (also once expired). */
int kr_msrp_sess_find(struct kr_msrp_sessions *t, struct kr_str id, time_t now,
                      struct kr_msrp_sess_info *out);
/* Removes one session. 0 or KR_ENOTFOUND. */
int kr_msrp_sess_end(struct kr_msrp_sessions *t, struct kr_str id);
/* Removes every session of a connection; returns how many. */
size_t kr_msrp_sess_end_conn(struct kr_msrp_sessions *t, uint64_t conn_id);
/* Removes expired sessions; returns how many. */
size_t kr_msrp_sess_expire(struct kr_msrp_sessions *t, time_t now);
/* Calls fn for each session (under the read lock: fn must not call back in). */
void kr_msrp_sess_each(struct kr_msrp_sessions *t,
                       void (*fn)(const struct kr_msrp_sess_info *s, void *arg), void *arg);
size_t kr_msrp_sess_count(struct kr_msrp_sessions *t);
unsigned kr_msrp_sess_slots(const struct kr_msrp_sessions *t);

/* Random characters of the transaction-id alphabet (alphanumeric), for tids and ids. */
int kr_msrp_random_token(char *out, size_t n);

/* ---- transactions ---- */

enum kr_msrp_tx_kind {
    KR_MSRP_TX_HOP = 1, /* SEND answered upstream by the relay: errors become REPORTs */
    KR_MSRP_TX_E2E,     /* non-SEND: the response goes back upstream, original tid */
    KR_MSRP_TX_PIECE,   /* a piece of a re-chunked frame: the response is absorbed */
};

/* One downstream transaction. The strings live in the same allocation. */
struct kr_msrp_tx {
    struct kr_msrp_tx *next;
    enum kr_msrp_tx_kind kind;
    char tid[KR_MSRP_TID_MAX + 1]; /* the id the relay used downstream */
    size_t tid_len;
    uint64_t up_conn;   /* where the request came from */
    uint64_t deadline;  /* ms, monotonic */
    bool report_errors; /* Failure-Report yes or partial */
    bool partial;       /* Failure-Report partial: silence is success (no 408) */
    struct kr_str orig_tid;
    struct kr_str from_path; /* the request's From-Path as received */
    struct kr_str relay_uri; /* the URI the relay was addressed by */
    struct kr_str message_id;
    struct kr_str byte_range; /* as sent downstream */
    struct kr_str method;
};

struct kr_msrp_txs;

struct kr_msrp_txs *kr_msrp_txs_new(void);
void kr_msrp_txs_free(struct kr_msrp_txs *t);
/* A transaction with copies of the strings given in tpl (their ptr/len), heap memory.
 * NULL when out of memory. */
struct kr_msrp_tx *kr_msrp_tx_new(const struct kr_msrp_tx *tpl);
void kr_msrp_tx_free(struct kr_msrp_tx *tx);
void kr_msrp_tx_add(struct kr_msrp_txs *t, struct kr_msrp_tx *tx);
/* Unlinks and returns the transaction with that tid (the caller frees it), or NULL. */
struct kr_msrp_tx *kr_msrp_tx_take(struct kr_msrp_txs *t, struct kr_str tid);
/* Unlinks every transaction past its deadline into a list (linked by next). */
struct kr_msrp_tx *kr_msrp_tx_take_expired(struct kr_msrp_txs *t, uint64_t now_ms);
size_t kr_msrp_tx_count(struct kr_msrp_txs *t);
