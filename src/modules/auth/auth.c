/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Digest authentication: stateless signed nonces, RFC 2617 / RFC 7616 digests (MD5,
 * SHA-256) through OpenSSL's EVP API, the optional nc table, and the Kamailio-style script
 * functions. struct kr_auth is made by the module's init (or a C caller) and shared by
 * the worker threads; only the nc table changes, each slot under one of a few mutexes. */
#define KR_LOG_UNIT "auth"
#include "modules/auth/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cfg/pv.h"
#include "core/log.h"
#include "modules/sl/sl.h"
#include "sip/build.h"
#include "sip/uri.h"

enum {
    NONCE_RAW = 32, /* expiry 8, random 8, MAC 16 */
    NONCE_SIGNED = 16,
    NC_LOCKS = 64,
    SECRET_MAX = 256,
};

struct nc_slot {
    uint64_t id; /* the nonce's random part; 0: free */
    uint32_t nc; /* highest nc accepted */
};

struct kr_auth {
    unsigned char key[SECRET_MAX];
    size_t key_len;
    int64_t nonce_expire;
    bool nonce_count;
    bool qop_auth;
    enum kr_auth_algo algo;
    /* nonce_count only: slot = id % KR_AUTH_NC_SLOTS, lock = slot % NC_LOCKS */
    struct nc_slot *slots;
    pthread_mutex_t locks[NC_LOCKS];
};

static const char HEX[] = "0123456789abcdef";

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = kr_ascii_lower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

static const EVP_MD *algo_md(enum kr_auth_algo algo)
{
    return algo == KR_AUTH_SHA256 ? EVP_sha256() : EVP_md5();
}

static size_t algo_hexlen(enum kr_auth_algo algo)
{
    return algo == KR_AUTH_SHA256 ? 64 : 32;
}

static const char *algo_name(enum kr_auth_algo algo)
{
    return algo == KR_AUTH_SHA256 ? "SHA-256" : "MD5";
}

/* H(parts[0]:parts[1]:...) in lower-case hex. */
static int digest_hex(enum kr_auth_algo algo, const struct kr_str *parts, size_t n, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestInit_ex(c, algo_md(algo), NULL) == 1;

    for (size_t i = 0; ok && i < n; i++) {
        if (i > 0) {
            ok = EVP_DigestUpdate(c, ":", 1) == 1;
        }
        if (ok && parts[i].len) {
            ok = EVP_DigestUpdate(c, parts[i].ptr, parts[i].len) == 1;
        }
    }
    ok = ok && EVP_DigestFinal_ex(c, md, &mdlen) == 1;
    EVP_MD_CTX_free(c);
    if (!ok || mdlen * 2 > KR_AUTH_HEX_MAX) {
        return KR_EIO;
    }
    hex_encode(md, mdlen, out);
    return (int)(mdlen * 2);
}

int kr_auth_ha1(enum kr_auth_algo algo, struct kr_str user, struct kr_str realm,
                struct kr_str password, char *out)
{
    const struct kr_str parts[3] = { user, realm, password };
    return digest_hex(algo, parts, 3, out);
}

int kr_auth_response(enum kr_auth_algo algo, struct kr_str ha1, struct kr_str nonce,
                     struct kr_str nc, struct kr_str cnonce, struct kr_str qop,
                     struct kr_str method, struct kr_str uri, char *out)
{
    char ha2[KR_AUTH_HEX_MAX + 1];
    const struct kr_str a2[2] = { method, uri };
    int n = digest_hex(algo, a2, 2, ha2);
    if (n < 0) {
        return n;
    }
    struct kr_str h2 = kr_str_make(ha2, (size_t)n);
    if (qop.len) {
        const struct kr_str parts[6] = { ha1, nonce, nc, cnonce, qop, h2 };
        return digest_hex(algo, parts, 6, out);
    }
    const struct kr_str parts[3] = { ha1, nonce, h2 };
    return digest_hex(algo, parts, 3, out);
}

int kr_auth_algo_parse(struct kr_str name, enum kr_auth_algo *out)
{
    if (name.len == 0 || kr_str_caseeq(name, KR_STR("MD5"))) {
        *out = KR_AUTH_MD5;
        return 0;
    }
    if (kr_str_caseeq(name, KR_STR("SHA-256"))) {
        *out = KR_AUTH_SHA256;
        return 0;
    }
    return KR_EINVAL;
}

int64_t kr_auth_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* --- state --- */

int kr_auth_new(const struct kr_auth_opts *o, struct kr_auth **out, struct kr_err *err)
{
    if (o->nonce_expire <= 0) {
        return kr_err_set(err, KR_EINVAL, 0, "auth: nonce_expire must be above 0");
    }
    if (o->secret.len > SECRET_MAX) {
        return kr_err_set(err, KR_EINVAL, 0, "auth: secret longer than 256 bytes");
    }
    struct kr_auth *a = calloc(1, sizeof(*a));
    if (!a) {
        return kr_err_set(err, KR_ENOMEM, 0, "auth: out of memory");
    }
    a->nonce_expire = o->nonce_expire;
    a->nonce_count = o->nonce_count;
    a->qop_auth = o->qop_auth;
    a->algo = o->algo;
    if (o->secret.len) {
        memcpy(a->key, o->secret.ptr, o->secret.len);
        a->key_len = o->secret.len;
    } else {
        a->key_len = 32;
        if (RAND_bytes(a->key, (int)a->key_len) != 1) {
            free(a);
            return kr_err_set(err, KR_EIO, 0, "auth: no random bytes for the secret");
        }
    }
    for (size_t i = 0; i < NC_LOCKS; i++) {
        pthread_mutex_init(&a->locks[i], NULL);
    }
    if (a->nonce_count) {
        a->slots = calloc(KR_AUTH_NC_SLOTS, sizeof(*a->slots));
        if (!a->slots) {
            kr_auth_free(a);
            return kr_err_set(err, KR_ENOMEM, 0, "auth: out of memory");
        }
    }
    *out = a;
    return 0;
}

void kr_auth_free(struct kr_auth *a)
{
    if (!a) {
        return;
    }
    for (size_t i = 0; i < NC_LOCKS; i++) {
        pthread_mutex_destroy(&a->locks[i]);
    }
    free(a->slots);
    OPENSSL_cleanse(a->key, sizeof(a->key));
    free(a);
}

struct kr_auth *kr_auth_of(const struct kr_ctx *ctx)
{
    return kr_module_state(ctx, &kr_mod_auth);
}

/* --- nonces --- */

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static int nonce_mac(const struct kr_auth *a, const unsigned char *signed_part, unsigned char *mac)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), a->key, (int)a->key_len, signed_part, NONCE_SIGNED, md, &mdlen) ||
        mdlen < NONCE_RAW - NONCE_SIGNED) {
        return KR_EIO;
    }
    memcpy(mac, md, NONCE_RAW - NONCE_SIGNED);
    return 0;
}

static struct nc_slot *nc_lock(struct kr_auth *a, uint64_t id)
{
    size_t i = (size_t)(id % KR_AUTH_NC_SLOTS);
    pthread_mutex_lock(&a->locks[i % NC_LOCKS]);
    return &a->slots[i];
}

static void nc_unlock(struct kr_auth *a, uint64_t id)
{
    pthread_mutex_unlock(&a->locks[(size_t)(id % KR_AUTH_NC_SLOTS) % NC_LOCKS]);
}

int kr_auth_nonce_make(struct kr_auth *a, int64_t now, struct kr_buf *out)
{
    unsigned char raw[NONCE_RAW];
    char hex[2 * NONCE_RAW + 1];

    put_u64(raw, (uint64_t)(now + a->nonce_expire));
    if (RAND_bytes(raw + 8, 8) != 1 || nonce_mac(a, raw, raw + NONCE_SIGNED) < 0) {
        return KR_EIO;
    }
    uint64_t id = get_u64(raw + 8);
    if (a->nonce_count) {
        struct nc_slot *s = nc_lock(a, id);
        s->id = id;
        s->nc = 0;
        nc_unlock(a, id);
    }
    hex_encode(raw, NONCE_RAW, hex);
    kr_buf_append(out, hex, 2 * NONCE_RAW);
    return 0;
}

/* Decodes and authenticates; *id gets the random part. */
static int nonce_open(const struct kr_auth *a, struct kr_str nonce, int64_t now, uint64_t *id)
{
    unsigned char raw[NONCE_RAW];
    unsigned char mac[NONCE_RAW - NONCE_SIGNED];

    if (nonce.len != 2 * NONCE_RAW) {
        return KR_AUTH_ERROR;
    }
    for (size_t i = 0; i < NONCE_RAW; i++) {
        int hi = hex_val(nonce.ptr[2 * i]);
        int lo = hex_val(nonce.ptr[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return KR_AUTH_ERROR;
        }
        raw[i] = (unsigned char)(hi << 4 | lo);
    }
    if (nonce_mac(a, raw, mac) < 0 || CRYPTO_memcmp(mac, raw + NONCE_SIGNED, sizeof(mac)) != 0) {
        return KR_AUTH_ERROR;
    }
    *id = get_u64(raw + 8);
    uint64_t expiry = get_u64(raw);
    if (now < 0 || expiry < (uint64_t)now) {
        return KR_AUTH_STALE;
    }
    return 0;
}

int kr_auth_nonce_check(const struct kr_auth *a, struct kr_str nonce, int64_t now)
{
    uint64_t id;
    return nonce_open(a, nonce, now, &id);
}

/* --- challenges --- */

static bool realm_ok(struct kr_str realm)
{
    if (realm.len == 0) {
        return false;
    }
    for (size_t i = 0; i < realm.len; i++) {
        unsigned char c = (unsigned char)realm.ptr[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            return false;
        }
    }
    return true;
}

int kr_auth_challenge_value(struct kr_auth *a, struct kr_str realm, unsigned flags, int64_t now,
                            struct kr_buf *out)
{
    if (!realm_ok(realm)) {
        return KR_EINVAL;
    }
    kr_buf_append_c(out, "Digest realm=\"");
    kr_buf_append_str(out, realm);
    kr_buf_append_c(out, "\", nonce=\"");
    int rc = kr_auth_nonce_make(a, now, out);
    if (rc < 0) {
        return rc;
    }
    kr_buf_append_char(out, '"');
    if (flags & KR_AUTH_F_STALE) {
        kr_buf_append_c(out, ", stale=true");
    }
    if (!(flags & KR_AUTH_F_NO_QOP) && ((flags & KR_AUTH_F_QOP_AUTH) || a->qop_auth)) {
        kr_buf_append_c(out, ", qop=\"auth\"");
    }
    kr_buf_append_c(out, ", algorithm=");
    kr_buf_append_c(out, algo_name(a->algo));
    return out->err ? out->err : 0;
}

/* --- verification --- */

void kr_auth_cred_from_sip(const struct kr_sip_auth *au, struct kr_auth_cred *c)
{
    c->username = au->username;
    c->realm = au->realm;
    c->nonce = au->nonce;
    c->uri = au->uri;
    c->response = au->response;
    c->qop = au->qop;
    c->nc = au->nc;
    c->cnonce = au->cnonce;
    c->algorithm = au->algorithm;
}

/* nc: 8LHEX (RFC 2617 §3.2.2); 1 to 8 hex digits accepted. */
static int parse_nc(struct kr_str s, uint32_t *out)
{
    uint32_t v = 0;
    if (s.len == 0 || s.len > 8) {
        return KR_EPARSE;
    }
    for (size_t i = 0; i < s.len; i++) {
        int d = hex_val(s.ptr[i]);
        if (d < 0) {
            return KR_EPARSE;
        }
        v = (v << 4) | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* Lower-cased copy of a hex string of exactly n characters into out; false otherwise. */
static bool hex_lower(struct kr_str s, size_t n, char *out)
{
    if (s.len != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (hex_val(s.ptr[i]) < 0) {
            return false;
        }
        out[i] = kr_ascii_lower(s.ptr[i]);
    }
    out[n] = '\0';
    return true;
}

int kr_auth_check(struct kr_auth *a, const struct kr_auth_cred *c, struct kr_str method,
                  struct kr_str secret, bool secret_is_ha1, int64_t now)
{
    enum kr_auth_algo algo;
    uint64_t id = 0;
    uint32_t nc = 0;
    char ha1[KR_AUTH_HEX_MAX + 1];
    char want[KR_AUTH_HEX_MAX + 1];
    char got[KR_AUTH_HEX_MAX + 1];
    size_t hexlen = algo_hexlen(a->algo);

    if (c->username.len == 0 || c->nonce.len == 0 || c->response.len == 0) {
        return KR_AUTH_ERROR;
    }
    if (kr_auth_algo_parse(c->algorithm, &algo) < 0 || algo != a->algo) {
        KR_DBG("credentials with algorithm " KR_STR_FMT " not offered", KR_STR_ARG(c->algorithm));
        return KR_AUTH_ERROR;
    }
    bool qop = c->qop.len != 0;
    if (qop && (!kr_str_caseeq(c->qop, KR_STR("auth")) || parse_nc(c->nc, &nc) < 0 ||
                c->cnonce.len == 0)) {
        KR_DBG("credentials with unsupported qop or bad nc/cnonce");
        return KR_AUTH_ERROR;
    }
    int rc = nonce_open(a, c->nonce, now, &id);
    if (rc < 0) {
        return rc;
    }
    if (secret_is_ha1) {
        if (!hex_lower(secret, hexlen, ha1)) {
            KR_WARN("HA1 is not %zu hex digits", hexlen);
            return KR_AUTH_ERROR;
        }
    } else if (kr_auth_ha1(a->algo, c->username, c->realm, secret, ha1) < 0) {
        return KR_AUTH_ERROR;
    }
    /* RFC 2617: the qop value in the digest is the token the client sent */
    if (kr_auth_response(a->algo, kr_str_make(ha1, hexlen), c->nonce, c->nc, c->cnonce,
                         qop ? c->qop : KR_STR(""), method, c->uri, want) < 0) {
        return KR_AUTH_ERROR;
    }
    if (!hex_lower(c->response, hexlen, got) || CRYPTO_memcmp(got, want, hexlen) != 0) {
        return KR_AUTH_INVALID_PASSWORD;
    }
    if (a->nonce_count && qop) {
        struct nc_slot *s = nc_lock(a, id);
        if (s->id != id) {
            rc = KR_AUTH_STALE; /* no longer tracked: re-challenge */
        } else if (nc <= s->nc) {
            rc = KR_AUTH_NONCE_REUSED;
        } else {
            s->nc = nc;
        }
        nc_unlock(a, id);
        if (rc < 0) {
            return rc;
        }
    }
    return KR_AUTH_OK;
}

/* --- SIP glue --- */

int kr_auth_find_cred(const struct kr_sip_msg *msg, enum kr_sip_hdr_type type, struct kr_str realm,
                      struct kr_auth_cred *c)
{
    int rc = KR_ENOTFOUND;
    for (size_t i = 0; msg && i < msg->nhdrs; i++) {
        if (msg->hdrs[i].type != type) {
            continue;
        }
        struct kr_sip_auth au;
        struct kr_err err = { 0 };
        if (kr_sip_parse_auth(msg->hdrs[i].value, &au, &err) < 0) {
            rc = KR_EPARSE;
            continue;
        }
        if (!kr_str_caseeq(au.scheme, KR_STR("Digest")) || !kr_str_eq(au.realm, realm)) {
            continue;
        }
        kr_auth_cred_from_sip(&au, c);
        return (int)i;
    }
    return rc;
}

static struct kr_str challenge_name(enum kr_sip_hdr_type type)
{
    return type == KR_SIP_HDR_PROXY_AUTHORIZATION ? KR_STR("Proxy-Authenticate: ")
                                                  : KR_STR("WWW-Authenticate: ");
}

int kr_auth_challenge_hdr(struct kr_ctx *ctx, struct kr_auth *a, struct kr_str realm,
                          unsigned flags, enum kr_sip_hdr_type type, struct kr_str *out)
{
    struct kr_buf b;
    struct kr_auth_cred c;
    int64_t now = kr_auth_now();

    if (kr_ctx_sip(ctx) && kr_ctx_sip(ctx)->is_request &&
        kr_auth_find_cred(kr_ctx_sip(ctx), type, realm, &c) >= 0 &&
        kr_auth_nonce_check(a, c.nonce, now) == KR_AUTH_STALE) {
        flags |= KR_AUTH_F_STALE;
    }
    kr_buf_init_arena(&b, ctx->arena, 256, 2048);
    kr_buf_append_str(&b, challenge_name(type));
    int rc = kr_auth_challenge_value(a, realm, flags, now, &b);
    if (rc < 0) {
        return rc;
    }
    kr_buf_append_c(&b, "\r\n");
    if (b.err) {
        return b.err;
    }
    *out = kr_buf_str(&b);
    return 0;
}

/* --- script functions --- */

/* The AVP that remembers which header pv_*_authenticate accepted, for
 * consume_credentials(): a name the script cannot write. */
static const struct kr_str AUTHORIZED_AVP = { .ptr = "\001auth-hdr", .len = 9 };

static int avp_push(struct kr_ctx *ctx, struct kr_str name, struct kr_value v)
{
    struct kr_avp *p = kr_arena_zalloc(ctx->arena, sizeof(*p));
    if (!p) {
        return KR_ENOMEM;
    }
    p->name = name;
    p->val = v;
    p->next = ctx->avps;
    ctx->avps = p;
    return 0;
}

static bool is_request(struct kr_ctx *ctx)
{
    return kr_ctx_sip(ctx) && kr_ctx_sip(ctx)->is_request;
}

static struct kr_auth *state_of(const struct kr_ctx *ctx)
{
    struct kr_auth *a = kr_auth_of(ctx);
    if (!a) {
        KR_ERR("auth: module not initialised");
    }
    return a;
}

/* Kamailio's pv_*_authenticate flags beyond bit 1: 2 no-qop / 4 qop=auth challenge put in
 * $avp(digest_challenge) on failure (8 auth-int refused at load time). */
enum {
    PV_F_HA1 = 1,
    PV_F_CHAL_NOQOP = 2,
    PV_F_CHAL_AUTH = 4,
    PV_F_CHAL_AUTHINT = 8,
    PV_F_STALE = 16,
};

static int authenticate(struct kr_ctx *ctx, enum kr_sip_hdr_type type, struct kr_str realm,
                        struct kr_str passwd, int64_t flags, struct kr_str method)
{
    struct kr_auth *a = state_of(ctx);
    struct kr_auth_cred c;

    if (!a || !is_request(ctx)) {
        return KR_AUTH_ERROR;
    }
    int idx = kr_auth_find_cred(kr_ctx_sip(ctx), type, realm, &c);
    int rc;
    if (idx == KR_ENOTFOUND) {
        rc = KR_AUTH_NO_CREDENTIALS;
    } else if (idx < 0) {
        rc = KR_AUTH_ERROR;
    } else {
        rc = kr_auth_check(a, &c, method.len ? method : kr_ctx_sip(ctx)->method, passwd,
                           (flags & PV_F_HA1) != 0, kr_auth_now());
    }
    if (rc == KR_AUTH_OK) {
        return avp_push(ctx, AUTHORIZED_AVP, kr_value_int(idx)) < 0 ? KR_AUTH_ERROR : rc;
    }
    if (flags & (PV_F_CHAL_NOQOP | PV_F_CHAL_AUTH)) {
        unsigned cf = (flags & PV_F_CHAL_AUTH) ? KR_AUTH_F_QOP_AUTH : KR_AUTH_F_NO_QOP;
        if (flags & PV_F_STALE) {
            cf |= KR_AUTH_F_STALE;
        }
        struct kr_str hdr;
        if (kr_auth_challenge_hdr(ctx, a, realm, cf, type, &hdr) == 0) {
            avp_push(ctx, KR_STR("digest_challenge"), kr_value_str(hdr));
        }
    }
    return rc;
}

static int fixup_pv_auth(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 1 && args[0].is_const && args[0].lit.len == 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "auth: empty realm");
    }
    if (nargs >= 3 && args[2].is_const && (args[2].ival & PV_F_CHAL_AUTHINT)) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "auth: qop auth-int (flag 8) is not supported");
    }
    return 0;
}

static int pv_auth(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs,
                   enum kr_sip_hdr_type type)
{
    struct kr_str realm;
    struct kr_str passwd;
    struct kr_str method = KR_STR("");
    int64_t flags;

    if (kr_arg_str(ctx, &args[0], &realm) < 0 || kr_arg_str(ctx, &args[1], &passwd) < 0 ||
        kr_arg_int(ctx, &args[2], &flags) < 0 ||
        (nargs >= 4 && kr_arg_str(ctx, &args[3], &method) < 0)) {
        return KR_AUTH_ERROR;
    }
    if (realm.len == 0) {
        KR_WARN("auth: empty realm");
        return KR_AUTH_ERROR;
    }
    return authenticate(ctx, type, realm, passwd, flags, method);
}

static int w_pv_www_authenticate(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return pv_auth(ctx, args, nargs, KR_SIP_HDR_AUTHORIZATION);
}

static int w_pv_proxy_authenticate(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    return pv_auth(ctx, args, nargs < 3 ? nargs : 3, KR_SIP_HDR_PROXY_AUTHORIZATION);
}

/* The user part of the To (REGISTER) or From URI. */
static int uri_user(struct kr_ctx *ctx, bool to, struct kr_str *user)
{
    struct kr_sip_nameaddr na;
    struct kr_sip_uri u;
    struct kr_err err = { 0 };
    int rc = to ? kr_sip_msg_to(kr_ctx_sip(ctx), &na, NULL)
                : kr_sip_msg_from(kr_ctx_sip(ctx), &na, NULL);
    if (rc < 0 || kr_sip_uri_parse(na.uri, &u, &err) < 0) {
        return -1;
    }
    *user = u.user;
    return 0;
}

static int w_pv_auth_check(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    int64_t checks;
    (void)nargs;
    if (!is_request(ctx) || kr_arg_int(ctx, &args[3], &checks) < 0) {
        return KR_AUTH_ERROR;
    }
    bool reg = kr_ctx_sip(ctx)->method_id == KR_SIP_METHOD_REGISTER;
    int rc = pv_auth(ctx, args, 3, reg ? KR_SIP_HDR_AUTHORIZATION : KR_SIP_HDR_PROXY_AUTHORIZATION);
    if (rc != KR_AUTH_OK || !(checks & 1)) {
        return rc;
    }
    struct kr_str realm;
    struct kr_str user;
    struct kr_auth_cred c;
    if (kr_arg_str(ctx, &args[0], &realm) < 0 ||
        kr_auth_find_cred(kr_ctx_sip(ctx),
                          reg ? KR_SIP_HDR_AUTHORIZATION : KR_SIP_HDR_PROXY_AUTHORIZATION, realm,
                          &c) < 0 ||
        uri_user(ctx, reg, &user) < 0) {
        return KR_AUTH_ERROR;
    }
    return kr_str_eq(c.username, user) ? KR_AUTH_OK : KR_AUTH_USER_MISMATCH;
}

static int fixup_challenge(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs >= 1 && args[0].is_const && args[0].lit.len == 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "auth: empty realm");
    }
    if (nargs >= 2 && args[1].is_const && (args[1].ival & 2)) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "auth: qop auth-int (flag 2) is not supported");
    }
    return 0;
}

/* Kamailio's challenge codes: 1 sent, -1 bad arguments, -2 challenge not built, -3 not
 * sent; a failure answers 500 unless flag 4. */
static int challenge(struct kr_ctx *ctx, const struct kr_arg *args, enum kr_sip_hdr_type type)
{
    struct kr_auth *a = state_of(ctx);
    struct kr_str realm;
    struct kr_str hdr;
    int64_t flags = 0;
    int rc;

    if (!a || !is_request(ctx)) {
        return -1;
    }
    if (kr_arg_int(ctx, &args[1], &flags) < 0 || kr_arg_str(ctx, &args[0], &realm) < 0 ||
        realm.len == 0 || (flags & 2)) {
        KR_WARN("auth: bad challenge arguments");
        rc = -1;
    } else if (kr_auth_challenge_hdr(ctx, a, realm, (unsigned)flags & ~(unsigned)KR_AUTH_F_NO_QOP,
                                     type, &hdr) < 0) {
        KR_WARN("auth: cannot build the challenge for realm " KR_STR_FMT, KR_STR_ARG(realm));
        rc = -2;
    } else if (type == KR_SIP_HDR_PROXY_AUTHORIZATION) {
        return kr_sl_reply(ctx, 407, KR_STR("Proxy Authentication Required"), hdr) < 0 ? -3 : 1;
    } else {
        return kr_sl_reply(ctx, 401, KR_STR("Unauthorized"), hdr) < 0 ? -3 : 1;
    }
    if (!(flags & KR_AUTH_F_NO_500)) {
        kr_sl_reply(ctx, 500, KR_STR("Internal Server Error"), KR_STR(""));
    }
    return rc;
}

static int w_www_challenge(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return challenge(ctx, args, KR_SIP_HDR_AUTHORIZATION);
}

static int w_proxy_challenge(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    return challenge(ctx, args, KR_SIP_HDR_PROXY_AUTHORIZATION);
}

static int w_auth_challenge(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)nargs;
    if (!is_request(ctx)) {
        return -1;
    }
    if (kr_ctx_sip(ctx)->method_id == KR_SIP_METHOD_ACK ||
        kr_ctx_sip(ctx)->method_id == KR_SIP_METHOD_CANCEL) {
        return 1;
    }
    return challenge(ctx, args,
                     kr_ctx_sip(ctx)->method_id == KR_SIP_METHOD_REGISTER
                         ? KR_SIP_HDR_AUTHORIZATION
                         : KR_SIP_HDR_PROXY_AUTHORIZATION);
}

static int w_consume_credentials(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    (void)args;
    (void)nargs;
    if (!is_request(ctx)) {
        return -1;
    }
    for (const struct kr_avp *p = ctx->avps; p; p = p->next) {
        if (!kr_str_eq(p->name, AUTHORIZED_AVP) || p->val.type != KR_VAL_INT || p->val.i < 0 ||
            (size_t)p->val.i >= kr_ctx_sip(ctx)->nhdrs) {
            continue;
        }
        const struct kr_sip_hdr *h = &kr_ctx_sip(ctx)->hdrs[p->val.i];
        size_t off = (size_t)(h->raw.ptr - kr_ctx_sip(ctx)->buf.ptr);
        if (kr_sip_edits_deleted(&ctx->edits, off, h->raw.len)) {
            return 1;
        }
        return kr_sip_edit_delete(&ctx->edits, off, h->raw.len) < 0 ? -1 : 1;
    }
    KR_DBG("consume_credentials: no authorized credentials");
    return -1;
}

static int w_has_credentials(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    struct kr_str realm;
    struct kr_auth_cred c;
    (void)nargs;
    if (!is_request(ctx) || kr_arg_str(ctx, &args[0], &realm) < 0) {
        return -1;
    }
    if (kr_auth_find_cred(kr_ctx_sip(ctx), KR_SIP_HDR_AUTHORIZATION, realm, &c) >= 0 ||
        kr_auth_find_cred(kr_ctx_sip(ctx), KR_SIP_HDR_PROXY_AUTHORIZATION, realm, &c) >= 0) {
        return 1;
    }
    return -1;
}

static int fixup_get_www(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    int rc = fixup_challenge(fx, args, nargs);
    if (rc < 0) {
        return rc;
    }
    if (nargs < 3 || !args[2].pv) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "auth: third argument must be a variable");
    }
    return 0;
}

static int w_auth_get_www_authenticate(struct kr_ctx *ctx, const struct kr_arg *args,
                                       unsigned nargs)
{
    struct kr_auth *a = state_of(ctx);
    struct kr_str realm;
    struct kr_str hdr;
    int64_t flags;
    (void)nargs;

    if (!a || kr_arg_str(ctx, &args[0], &realm) < 0 || kr_arg_int(ctx, &args[1], &flags) < 0 ||
        realm.len == 0 || (flags & 2)) {
        return -1;
    }
    if (kr_auth_challenge_hdr(ctx, a, realm, (unsigned)flags & ~(unsigned)KR_AUTH_F_NO_QOP,
                              KR_SIP_HDR_AUTHORIZATION, &hdr) < 0) {
        return -2;
    }
    struct kr_value v = kr_value_str(hdr);
    return kr_pv_set(ctx, args[2].pv, &v) < 0 ? -1 : 1;
}

static int auth_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct kr_auth_opts o = {
        .secret = kr_modparam_str(cfg, "auth", "secret", KR_STR("")),
        .nonce_expire = kr_modparam_int(cfg, "auth", "nonce_expire", KR_AUTH_DEFAULT_EXPIRE),
        .nonce_count = kr_modparam_int(cfg, "auth", "nonce_count", 0) != 0,
    };
    struct kr_str qop = kr_modparam_str(cfg, "auth", "qop", KR_STR("auth"));
    if (kr_str_caseeq(qop, KR_STR("auth"))) {
        o.qop_auth = true;
    } else if (qop.len != 0) {
        return kr_err_set(err, KR_EINVAL, 0,
                          "auth: qop must be \"auth\" or \"\" (auth-int is not supported)");
    }
    if (kr_auth_algo_parse(kr_modparam_str(cfg, "auth", "algorithm", KR_STR("MD5")), &o.algo) < 0) {
        return kr_err_set(err, KR_EINVAL, 0, "auth: algorithm must be MD5 or SHA-256");
    }
    struct kr_auth *a;
    int rc = kr_auth_new(&o, &a, err);
    if (rc < 0) {
        return rc;
    }
    *state = a;
    return 0;
}

static void auth_destroy(void *state)
{
    kr_auth_free(state);
}

static const struct kr_param auth_params[] = {
    { .name = "secret", .type = KR_PARAM_STR },
    { .name = "nonce_expire", .type = KR_PARAM_INT },
    { .name = "nonce_count", .type = KR_PARAM_INT },
    { .name = "qop", .type = KR_PARAM_STR },
    { .name = "algorithm", .type = KR_PARAM_STR },
    { 0 },
};

static const struct kr_func auth_funcs[] = {
    { .name = "pv_www_authenticate",
      .fn = w_pv_www_authenticate,
      .args = { KR_ARG_STR, KR_ARG_STR, KR_ARG_INT, KR_ARG_STR_OPT },
      .fixup = fixup_pv_auth,
      .routes = KR_ROUTE_REQUEST },
    { .name = "pv_proxy_authenticate",
      .fn = w_pv_proxy_authenticate,
      .args = { KR_ARG_STR, KR_ARG_STR, KR_ARG_INT },
      .fixup = fixup_pv_auth,
      .routes = KR_ROUTE_REQUEST },
    { .name = "pv_auth_check",
      .fn = w_pv_auth_check,
      .args = { KR_ARG_STR, KR_ARG_STR, KR_ARG_INT, KR_ARG_INT },
      .fixup = fixup_pv_auth,
      .routes = KR_ROUTE_REQUEST },
    { .name = "www_challenge",
      .fn = w_www_challenge,
      .args = { KR_ARG_STR, KR_ARG_INT },
      .fixup = fixup_challenge,
      .routes = KR_ROUTE_REQUEST },
    { .name = "proxy_challenge",
      .fn = w_proxy_challenge,
      .args = { KR_ARG_STR, KR_ARG_INT },
      .fixup = fixup_challenge,
      .routes = KR_ROUTE_REQUEST },
    { .name = "auth_challenge",
      .fn = w_auth_challenge,
      .args = { KR_ARG_STR, KR_ARG_INT },
      .fixup = fixup_challenge,
      .routes = KR_ROUTE_REQUEST },
    { .name = "consume_credentials", .fn = w_consume_credentials, .routes = KR_ROUTE_REQUEST },
    { .name = "has_credentials",
      .fn = w_has_credentials,
      .args = { KR_ARG_STR },
      .routes = KR_ROUTE_REQUEST },
    { .name = "auth_get_www_authenticate",
      .fn = w_auth_get_www_authenticate,
      .args = { KR_ARG_STR, KR_ARG_INT, KR_ARG_PV },
      .fixup = fixup_get_www,
      .routes = KR_ROUTE_ANY },
    { 0 },
};

const struct kr_module kr_mod_auth = {
    .name = "auth",
    .params = auth_params,
    .funcs = auth_funcs,
    .init = auth_init,
    .destroy = auth_destroy,
};
