/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The auth module: HTTP Digest authentication (RFC 2617, RFC 7616) for SIP with Kamailio's
 * auth functions, and the C helpers other units reuse (the MSRP relay's AUTH). A struct
 * kr_auth (secret, nonce lifetime, qop, algorithm, the nc table) is made at start-up and
 * shared read-mostly by all worker threads; only the nc table changes, under its locks. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cfg/ctx.h"
#include "cfg/module.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "sip/msg.h"

extern const struct kr_module kr_mod_auth;

/* Kamailio's auth results (its auth API's enum), the script functions' return values. */
enum kr_auth_rc {
    KR_AUTH_OK = 1,
    KR_AUTH_ERROR = -1, /* malformed or forged credentials, internal error */
    KR_AUTH_INVALID_PASSWORD = -2,
    KR_AUTH_USER_UNKNOWN = -3,   /* not returned here: the password comes from the script */
    KR_AUTH_STALE = -4,          /* authentic nonce, expired (or nc no longer tracked) */
    KR_AUTH_NO_CREDENTIALS = -5, /* no credentials for this realm */
    KR_AUTH_NONCE_REUSED = -6,   /* nc not above the last one accepted (nonce_count) */
    KR_AUTH_USER_MISMATCH = -8,  /* pv_auth_check: auth user is not the From/To user */
};

enum kr_auth_algo {
    KR_AUTH_MD5 = 0,
    KR_AUTH_SHA256,
};

/* Challenge flags (Kamailio's www_challenge flags). */
enum kr_auth_flags {
    KR_AUTH_F_QOP_AUTH = 1,  /* qop="auth" even when the qop parameter is "" */
    KR_AUTH_F_NO_500 = 4,    /* script functions: no automatic 500 on failure */
    KR_AUTH_F_STALE = 16,    /* stale=true */
    KR_AUTH_F_NO_QOP = 1024, /* C callers: no qop whatever the parameter says */
};

enum {
    KR_AUTH_HEX_MAX = 64,    /* hex digest length: MD5 32, SHA-256 64 */
    KR_AUTH_NONCE_LEN = 64,  /* hex of expiry(8) || random(8) || HMAC-SHA256 truncated(16) */
    KR_AUTH_NC_SLOTS = 4096, /* nonces tracked when nonce_count is on */
    KR_AUTH_DEFAULT_EXPIRE = 300,
};

struct kr_auth_opts {
    struct kr_str secret; /* empty: 32 random bytes */
    int64_t nonce_expire; /* seconds, > 0 */
    bool nonce_count;     /* track nc per nonce (RFC 2617 §3.2.2 replay protection) */
    bool qop_auth;        /* challenges offer qop="auth" */
    enum kr_auth_algo algo;
};

struct kr_auth;

/* Makes the state (heap). 0 or KR_EINVAL / KR_ENOMEM / KR_EIO (no random bytes) with err. */
int kr_auth_new(const struct kr_auth_opts *o, struct kr_auth **out, struct kr_err *err);
void kr_auth_free(struct kr_auth *a);

/* The module's state for the running config, or NULL when auth is not loaded. */
struct kr_auth *kr_auth_of(const struct kr_ctx *ctx);

/* Wall-clock seconds, the time base of nonces. */
int64_t kr_auth_now(void);

/* A fresh nonce valid until now + nonce_expire, appended to out (KR_AUTH_NONCE_LEN hex
 * characters). Registers it in the nc table when nonce_count is on. 0 or KR_EIO. */
int kr_auth_nonce_make(struct kr_auth *a, int64_t now, struct kr_buf *out);
/* 0 for an authentic, unexpired nonce; KR_AUTH_STALE when authentic but expired;
 * KR_AUTH_ERROR when malformed or not made with this secret (compared in constant time). */
int kr_auth_nonce_check(const struct kr_auth *a, struct kr_str nonce, int64_t now);

/* The challenge value: `Digest realm="R", nonce="N"[, stale=true][, qop="auth"],
 * algorithm=MD5` appended to out (flags: kr_auth_flags). Realm must not be empty and must
 * not hold '"', '\\' or control characters (KR_EINVAL). 0 or negative. */
int kr_auth_challenge_value(struct kr_auth *a, struct kr_str realm, unsigned flags, int64_t now,
                            struct kr_buf *out);

/* Credentials as received (kr_sip_parse_auth gives quoted values without their quotes). */
struct kr_auth_cred {
    struct kr_str username, realm, nonce, uri, response, qop, nc, cnonce, algorithm;
};
void kr_auth_cred_from_sip(const struct kr_sip_auth *au, struct kr_auth_cred *c);

/* Hex digests (lower case) into out (KR_AUTH_HEX_MAX + 1 bytes, NUL-terminated); the
 * length is returned, or KR_EIO. HA1 = H(user:realm:password) (RFC 7616 §3.4.2). */
int kr_auth_ha1(enum kr_auth_algo algo, struct kr_str user, struct kr_str realm,
                struct kr_str password, char *out);
/* response = H(HA1:nonce:nc:cnonce:qop:H(method:uri)) when qop is set, else
 * H(HA1:nonce:H(method:uri)) (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1). */
int kr_auth_response(enum kr_auth_algo algo, struct kr_str ha1, struct kr_str nonce,
                     struct kr_str nc, struct kr_str cnonce, struct kr_str qop,
                     struct kr_str method, struct kr_str uri, char *out);

/* Parses an algorithm name (MD5, SHA-256; case-insensitive; empty is MD5). 0 or
 * KR_EINVAL (also for the -sess variants, which are not supported). */
int kr_auth_algo_parse(struct kr_str name, enum kr_auth_algo *out);

/* Verifies credentials for method ("REGISTER", "AUTH" for MSRP): the nonce (authentic,
 * fresh), the algorithm (the one the challenge offered), qop (none or "auth"), nc
 * (nonce_count), then the response against secret (the plain password, or HA1 in hex
 * when secret_is_ha1), compared in constant time. Returns a kr_auth_rc. */
int kr_auth_check(struct kr_auth *a, const struct kr_auth_cred *c, struct kr_str method,
                  struct kr_str secret, bool secret_is_ha1, int64_t now);

/* The SIP side: the first Authorization (type KR_SIP_HDR_AUTHORIZATION) or
 * Proxy-Authorization header whose realm is realm, parsed into c; its index in msg->hdrs
 * or a negative value (KR_ENOTFOUND when none, KR_EPARSE when one for the realm does
 * not parse). */
int kr_auth_find_cred(const struct kr_sip_msg *msg, enum kr_sip_hdr_type type, struct kr_str realm,
                      struct kr_auth_cred *c);

/* The whole challenge header field: "WWW-Authenticate: <value>\r\n" (type
 * KR_SIP_HDR_AUTHORIZATION) or "Proxy-Authenticate: ...\r\n" (PROXY_AUTHORIZATION). When
 * the request carries credentials for realm with an authentic but expired nonce, stale=true
 * is added as well (RFC 2617 §3.2.1). Arena memory. 0 or negative. */
int kr_auth_challenge_hdr(struct kr_ctx *ctx, struct kr_auth *a, struct kr_str realm,
                          unsigned flags, enum kr_sip_hdr_type type, struct kr_str *out);
