/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the auth module: the RFC 2617 §3.5 and RFC 7616 §3.9.1 digests, signed
 * nonces (fresh, tampered, expired, other secret), kr_auth_check's codes (MD5, SHA-256,
 * HA1, nc replay), the challenge in a 401, and the script functions through the config
 * engine on a REGISTER carrying Authorization. */
#include <stdio.h>

#include "cfg/cfg.h"
#include "modules/auth/auth.h"
#include "modules/sl/sl.h"
#include "test_mod_util.h"

static struct kr_auth *mk(const char *secret, bool nc, enum kr_auth_algo algo)
{
    struct kr_auth_opts o = { .secret = kr_str_c(secret),
                              .nonce_expire = 300,
                              .nonce_count = nc,
                              .qop_auth = true,
                              .algo = algo };
    struct kr_auth *a = NULL;
    struct kr_err err = { 0 };
    assert_int_equal(kr_auth_new(&o, &a, &err), 0);
    return a;
}

static void test_rfc2617(void **state)
{
    char ha1[KR_AUTH_HEX_MAX + 1];
    char resp[KR_AUTH_HEX_MAX + 1];
    (void)state;

    assert_int_equal(kr_auth_ha1(KR_AUTH_MD5, KR_STR("Mufasa"), KR_STR("testrealm@host.com"),
                                 KR_STR("Circle Of Life"), ha1),
                     32);
    assert_int_equal(kr_auth_response(KR_AUTH_MD5, kr_str_c(ha1),
                                      KR_STR("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
                                      KR_STR("00000001"), KR_STR("0a4f113b"), KR_STR("auth"),
                                      KR_STR("GET"), KR_STR("/dir/index.html"), resp),
                     32);
    assert_string_equal(resp, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 §3.9.1 (the errata-corrected values). */
static void test_rfc7616(void **state)
{
    char ha1[KR_AUTH_HEX_MAX + 1];
    char resp[KR_AUTH_HEX_MAX + 1];
    const struct kr_str realm = KR_STR("http-auth@example.org");
    const struct kr_str nonce = KR_STR("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    const struct kr_str cnonce = KR_STR("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    (void)state;

    assert_int_equal(
        kr_auth_ha1(KR_AUTH_MD5, KR_STR("Mufasa"), realm, KR_STR("Circle of Life"), ha1), 32);
    assert_int_equal(kr_auth_response(KR_AUTH_MD5, kr_str_c(ha1), nonce, KR_STR("00000001"), cnonce,
                                      KR_STR("auth"), KR_STR("GET"), KR_STR("/dir/index.html"),
                                      resp),
                     32);
    assert_string_equal(resp, "8ca523f5e9506fed4657c9700eebdbec");
    assert_int_equal(
        kr_auth_ha1(KR_AUTH_SHA256, KR_STR("Mufasa"), realm, KR_STR("Circle of Life"), ha1), 64);
    assert_int_equal(kr_auth_response(KR_AUTH_SHA256, kr_str_c(ha1), nonce, KR_STR("00000001"),
                                      cnonce, KR_STR("auth"), KR_STR("GET"),
                                      KR_STR("/dir/index.html"), resp),
                     64);
    assert_string_equal(resp, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");

    enum kr_auth_algo al;
    assert_int_equal(kr_auth_algo_parse(KR_STR("sha-256"), &al), 0);
    assert_int_equal(al, KR_AUTH_SHA256);
    assert_int_equal(kr_auth_algo_parse(KR_STR("MD5-sess"), &al), KR_EINVAL);
}

static struct kr_str nonce_at(struct kr_auth *a, int64_t t, char *mem, size_t size)
{
    struct kr_buf b;
    kr_buf_init_fixed(&b, mem, size);
    assert_int_equal(kr_auth_nonce_make(a, t, &b), 0);
    assert_int_equal(b.err, 0);
    assert_int_equal(b.len, KR_AUTH_NONCE_LEN);
    return kr_buf_str(&b);
}

static void test_nonce(void **state)
{
    char m1[128];
    char m2[128];
    char bad[KR_AUTH_NONCE_LEN];
    (void)state;

    struct kr_auth *a = mk("s3cret", false, KR_AUTH_MD5);
    struct kr_auth *other = mk("another", false, KR_AUTH_MD5);
    int64_t now = 1700000000;
    struct kr_str n = nonce_at(a, now, m1, sizeof(m1));
    assert_int_equal(kr_auth_nonce_check(a, n, now), 0);
    assert_int_equal(kr_auth_nonce_check(a, n, now + 300), 0);
    assert_int_equal(kr_auth_nonce_check(a, n, now + 301), KR_AUTH_STALE);
    assert_int_equal(kr_auth_nonce_check(other, n, now), KR_AUTH_ERROR);
    /* two nonces differ */
    struct kr_str n2 = nonce_at(a, now, m2, sizeof(m2));
    assert_false(kr_str_eq(n, n2));

    /* tampered: each position, including the expiry */
    for (size_t i = 0; i < KR_AUTH_NONCE_LEN; i += 7) {
        memcpy(bad, n.ptr, sizeof(bad));
        bad[i] = bad[i] == '0' ? '1' : '0';
        assert_int_equal(kr_auth_nonce_check(a, kr_str_make(bad, sizeof(bad)), now), KR_AUTH_ERROR);
    }
    /* exactly sized copy: short, non-hex */
    char *h = malloc(KR_AUTH_NONCE_LEN);
    assert_non_null(h);
    memcpy(h, n.ptr, KR_AUTH_NONCE_LEN);
    assert_int_equal(kr_auth_nonce_check(a, kr_str_make(h, KR_AUTH_NONCE_LEN), now), 0);
    assert_int_equal(kr_auth_nonce_check(a, kr_str_make(h, KR_AUTH_NONCE_LEN - 1), now),
                     KR_AUTH_ERROR);
    h[3] = 'x';
    assert_int_equal(kr_auth_nonce_check(a, kr_str_make(h, KR_AUTH_NONCE_LEN), now), KR_AUTH_ERROR);
    free(h);
    assert_int_equal(kr_auth_nonce_check(a, KR_STR(""), now), KR_AUTH_ERROR);

    /* an expired nonce: made 1000 s ago */
    n = nonce_at(a, now - 1000, m1, sizeof(m1));
    assert_int_equal(kr_auth_nonce_check(a, n, now), KR_AUTH_STALE);
    kr_auth_free(a);
    kr_auth_free(other);
}

/* Credentials as a client computes them, into c (strings in mem). */
struct client {
    char nonce[128];
    char resp[KR_AUTH_HEX_MAX + 1];
    char nc[9];
    struct kr_auth_cred c;
};

static void client_sign(struct client *cl, enum kr_auth_algo algo, const char *pass,
                        const char *method, bool qop, unsigned nc)
{
    char ha1[KR_AUTH_HEX_MAX + 1];
    snprintf(cl->nc, sizeof(cl->nc), "%08x", nc);
    cl->c.username = KR_STR("alice");
    cl->c.realm = KR_STR("example.com");
    cl->c.uri = KR_STR("sip:example.com");
    cl->c.qop = qop ? KR_STR("auth") : KR_STR("");
    cl->c.nc = qop ? kr_str_c(cl->nc) : KR_STR("");
    cl->c.cnonce = qop ? KR_STR("c0ffee") : KR_STR("");
    cl->c.algorithm = algo == KR_AUTH_SHA256 ? KR_STR("SHA-256") : KR_STR("MD5");
    cl->c.nonce = kr_str_c(cl->nonce);
    assert_true(kr_auth_ha1(algo, cl->c.username, cl->c.realm, kr_str_c(pass), ha1) > 0);
    assert_true(kr_auth_response(algo, kr_str_c(ha1), cl->c.nonce, cl->c.nc, cl->c.cnonce,
                                 cl->c.qop, kr_str_c(method), cl->c.uri, cl->resp) > 0);
    cl->c.response = kr_str_c(cl->resp);
}

static void client_nonce(struct client *cl, struct kr_auth *a, int64_t t)
{
    struct kr_buf b;
    kr_buf_init_fixed(&b, cl->nonce, sizeof(cl->nonce));
    assert_int_equal(kr_auth_nonce_make(a, t, &b), 0);
    cl->nonce[b.len] = '\0';
}

static void test_check(void **state)
{
    struct client cl;
    char ha1[KR_AUTH_HEX_MAX + 1];
    int64_t now = 1700000000;
    (void)state;

    struct kr_auth *a = mk("s3cret", false, KR_AUTH_MD5);
    client_nonce(&cl, a, now);
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 1);
    const struct kr_str m = KR_STR("REGISTER");
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_OK);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw2"), false, now),
                     KR_AUTH_INVALID_PASSWORD);
    /* the method is part of the digest (MSRP passes "AUTH") */
    assert_int_equal(kr_auth_check(a, &cl.c, KR_STR("AUTH"), KR_STR("pw"), false, now),
                     KR_AUTH_INVALID_PASSWORD);
    /* HA1 instead of the password, upper-case hex too */
    kr_auth_ha1(KR_AUTH_MD5, KR_STR("alice"), KR_STR("example.com"), KR_STR("pw"), ha1);
    assert_int_equal(kr_auth_check(a, &cl.c, m, kr_str_c(ha1), true, now), KR_AUTH_OK);
    for (char *p = ha1; *p; p++) {
        *p = (*p >= 'a' && *p <= 'f') ? (char)(*p - 32) : *p;
    }
    assert_int_equal(kr_auth_check(a, &cl.c, m, kr_str_c(ha1), true, now), KR_AUTH_OK);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("abc"), true, now), KR_AUTH_ERROR);
    /* stale beats the password check; a wrong algorithm or qop is an error */
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now + 400), KR_AUTH_STALE);
    cl.c.algorithm = KR_STR("SHA-256");
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_ERROR);
    cl.c.algorithm = KR_STR("");
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_OK);
    cl.c.qop = KR_STR("auth-int");
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_ERROR);
    /* no qop (RFC 2069 style) */
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", false, 0);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_OK);
    /* forged nonce */
    cl.nonce[10] = cl.nonce[10] == 'a' ? 'b' : 'a';
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", false, 0);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_ERROR);
    kr_auth_free(a);

    /* SHA-256 */
    a = mk("s3cret", false, KR_AUTH_SHA256);
    client_nonce(&cl, a, now);
    client_sign(&cl, KR_AUTH_SHA256, "pw", "INVITE", true, 1);
    assert_int_equal(kr_auth_check(a, &cl.c, KR_STR("INVITE"), KR_STR("pw"), false, now),
                     KR_AUTH_OK);
    assert_int_equal(kr_auth_check(a, &cl.c, KR_STR("INVITE"), KR_STR("px"), false, now),
                     KR_AUTH_INVALID_PASSWORD);
    kr_auth_free(a);

    /* nonce_count: nc must grow; an unknown (untracked) nonce is stale */
    a = mk("s3cret", true, KR_AUTH_MD5);
    client_nonce(&cl, a, now);
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 1);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_OK);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_NONCE_REUSED);
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 3);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_OK);
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 2);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_NONCE_REUSED);
    /* a wrong password does not advance nc */
    client_sign(&cl, KR_AUTH_MD5, "bad", "REGISTER", true, 4);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now),
                     KR_AUTH_INVALID_PASSWORD);
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 4);
    assert_int_equal(kr_auth_check(a, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_OK);
    struct kr_auth *b = mk("s3cret", true, KR_AUTH_MD5); /* same secret, empty table */
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 5);
    assert_int_equal(kr_auth_check(b, &cl.c, m, KR_STR("pw"), false, now), KR_AUTH_STALE);
    kr_auth_free(b);
    kr_auth_free(a);
}

/* Pulls param="value" (or param=token) out of a challenge. */
static struct kr_str param_of(struct kr_str v, const char *name)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "%s=", name);
    long at = kr_str_find(v, kr_str_c(pat));
    if (at < 0) {
        return KR_STR_NULL;
    }
    struct kr_str r = kr_str_sub(v, (size_t)at + strlen(pat), v.len);
    bool q = r.len && r.ptr[0] == '"';
    if (q) {
        r = kr_str_sub(r, 1, r.len);
    }
    size_t n = 0;
    while (n < r.len && r.ptr[n] != (q ? '"' : ',') && r.ptr[n] != '\r') {
        n++;
    }
    return kr_str_make(r.ptr, n);
}

static const char REGISTER_NOAUTH[] = "REGISTER sip:example.com SIP/2.0\r\n"
                                      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
                                      "Max-Forwards: 70\r\n"
                                      "From: <sip:alice@example.com>;tag=a1\r\n"
                                      "To: <sip:alice@example.com>\r\n"
                                      "Call-ID: r1\r\n"
                                      "CSeq: 1 REGISTER\r\n"
                                      "%s"
                                      "X-Pw: %s\r\n"
                                      "Content-Length: 0\r\n"
                                      "\r\n";

static void test_challenge(void **state)
{
    struct tm_ctx t;
    struct kr_str hdr;
    struct kr_buf b;
    struct kr_send_dst dst;
    char msg[1024];
    (void)state;

    struct kr_auth *a = mk("s3cret", false, KR_AUTH_MD5);
    snprintf(msg, sizeof(msg), REGISTER_NOAUTH, "", "pw");
    tm_init(&t, msg);
    assert_int_equal(
        kr_auth_challenge_hdr(&t.ctx, a, KR_STR("example.com"), 0, KR_SIP_HDR_AUTHORIZATION, &hdr),
        0);
    kr_buf_init_arena(&b, &t.arena, 1024, 1 << 16);
    assert_int_equal(kr_sl_build_reply(&t.ctx, 401, KR_STR("Unauthorized"), hdr, &b, &dst), 0);
    const char *out = tm_cstr(&t, &b);
    assert_memory_equal(out, "SIP/2.0 401 Unauthorized\r\n", 26);
    const char *w = strstr(out, "\r\nWWW-Authenticate: Digest realm=\"example.com\", nonce=\"");
    assert_non_null(w);
    struct kr_str wv = kr_str_c(w);
    struct kr_str nonce = param_of(wv, "nonce");
    assert_int_equal(nonce.len, KR_AUTH_NONCE_LEN);
    assert_int_equal(kr_auth_nonce_check(a, nonce, kr_auth_now()), 0);
    tm_str_eq(param_of(wv, "qop"), "auth");
    tm_str_eq(param_of(wv, "algorithm"), "MD5");
    assert_null(strstr(out, "stale"));
    /* the value alone parses as a challenge */
    struct kr_sip_auth au;
    struct kr_err err = { 0 };
    struct kr_str value = kr_str_sub(hdr, strlen("WWW-Authenticate: "), hdr.len);
    value.len -= 2;
    assert_int_equal(kr_sip_parse_auth(value, &au, &err), 0);
    tm_str_eq(au.realm, "example.com");
    tm_str_eq(au.algorithm, "MD5");

    /* proxy form, no qop, stale flag */
    assert_int_equal(kr_auth_challenge_hdr(&t.ctx, a, KR_STR("example.com"),
                                           KR_AUTH_F_NO_QOP | KR_AUTH_F_STALE,
                                           KR_SIP_HDR_PROXY_AUTHORIZATION, &hdr),
                     0);
    assert_true(kr_str_casestarts(hdr, KR_STR("Proxy-Authenticate: Digest realm=")));
    assert_true(kr_str_find(hdr, KR_STR(", stale=true")) > 0);
    assert_true(kr_str_find(hdr, KR_STR("qop")) < 0);
    /* bad realms */
    assert_int_equal(
        kr_auth_challenge_hdr(&t.ctx, a, KR_STR(""), 0, KR_SIP_HDR_AUTHORIZATION, &hdr), KR_EINVAL);
    assert_int_equal(
        kr_auth_challenge_hdr(&t.ctx, a, KR_STR("a\"b"), 0, KR_SIP_HDR_AUTHORIZATION, &hdr),
        KR_EINVAL);
    tm_fini(&t);

    /* credentials with an expired (authentic) nonce: stale=true is added */
    struct client cl;
    char line[512];
    client_nonce(&cl, a, kr_auth_now() - 1000);
    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 1);
    snprintf(line, sizeof(line),
             "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"%s\", "
             "uri=\"sip:example.com\", response=\"%s\", qop=auth, nc=%s, cnonce=\"c0ffee\", "
             "algorithm=MD5\r\n",
             cl.nonce, cl.resp, cl.nc);
    snprintf(msg, sizeof(msg), REGISTER_NOAUTH, line, "pw");
    tm_init(&t, msg);
    assert_int_equal(
        kr_auth_challenge_hdr(&t.ctx, a, KR_STR("example.com"), 0, KR_SIP_HDR_AUTHORIZATION, &hdr),
        0);
    assert_true(kr_str_find(hdr, KR_STR(", stale=true")) > 0);
    /* other realm: not stale */
    assert_int_equal(
        kr_auth_challenge_hdr(&t.ctx, a, KR_STR("other.org"), 0, KR_SIP_HDR_AUTHORIZATION, &hdr),
        0);
    assert_true(kr_str_find(hdr, KR_STR("stale")) < 0);
    tm_fini(&t);
    kr_auth_free(a);
}

static const char CFG[] =
    "#!KAMAILIO\n"
    "listen=udp:198.51.100.1:5060\n"
    "loadmodule \"sl.so\"\n"
    "loadmodule \"textops.so\"\n"
    "loadmodule \"auth.so\"\n"
    "modparam(\"auth\", \"secret\", \"s3cret\")\n"
    "modparam(\"auth\", \"nonce_expire\", 60)\n"
    "request_route {\n"
    "    if (has_credentials(\"example.com\")) { setflag(1); }\n"
    "    if (has_credentials(\"other.org\")) { setflag(2); }\n"
    "    pv_www_authenticate(\"example.com\", \"$hdr(X-Pw)\", \"0\");\n"
    "    $var(rc) = $rc;\n"
    "    if ($var(rc) == 1) { setflag(3); consume_credentials(); }\n"
    "    if ($var(rc) == -2) { setflag(4); }\n"
    "    if ($var(rc) == -4) { setflag(5); }\n"
    "    if ($var(rc) == -5) { setflag(6); }\n"
    "    if (auth_get_www_authenticate(\"example.com\", \"1\", \"$var(wa)\")) {\n"
    "        append_hf(\"$var(wa)\");\n"
    "    }\n"
    "    return 1;\n"
    "}\n";

static struct kr_cfg *load(const char *text)
{
    char diag[2048];
    struct kr_cfg_opts o = { .modules = kr_builtin_modules, .aliases = kr_core_module_aliases };
    struct kr_cfg *cfg = NULL;
    int rc = kr_cfg_load_buf("test.cfg", text, strlen(text), &o, &cfg, diag, sizeof(diag));
    if (rc != 0) {
        fail_msg("config did not load: %s", diag);
    }
    return cfg;
}

static void run(struct tm_ctx *t, struct kr_cfg *cfg, struct kr_vars *vars, const char *cred,
                const char *pw)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), REGISTER_NOAUTH, cred, pw);
    tm_init(t, msg);
    t->ctx.cfg = cfg;
    t->ctx.vars = vars;
    assert_int_equal(kr_cfg_run(cfg, &t->ctx, KR_CFG_ROUTE_REQUEST, KR_STR("")), KR_CFG_END_DONE);
}

static void test_cfg(void **state)
{
    struct tm_ctx t;
    struct kr_err err = { 0 };
    struct client cl;
    char line[512];
    (void)state;

    struct kr_cfg *cfg = load(CFG);
    assert_int_equal(kr_cfg_init_modules(cfg, &err), 0);
    struct kr_vars *vars = kr_vars_new();
    assert_non_null(vars);

    /* no credentials: -5, and the challenge value lands in $var(wa) */
    run(&t, cfg, vars, "", "pw");
    assert_int_equal(t.ctx.flags & 0x7e, 1u << 6);
    const char *out = tm_build(&t);
    const char *w = strstr(out, "\r\nWWW-Authenticate: Digest realm=\"example.com\", nonce=\"");
    assert_non_null(w);
    struct kr_str wv = kr_str_c(w);
    assert_int_equal(kr_auth_nonce_check(kr_auth_of(&t.ctx), param_of(wv, "nonce"), kr_auth_now()),
                     0);
    tm_str_eq(param_of(wv, "qop"), "auth");
    tm_str_eq(param_of(wv, "algorithm"), "MD5");

    /* answer the challenge the way a client does */
    struct kr_str n = param_of(wv, "nonce");
    memcpy(cl.nonce, n.ptr, n.len);
    cl.nonce[n.len] = '\0';
    tm_fini(&t);
    client_sign(&cl, KR_AUTH_MD5, "Circle Of Life", "REGISTER", true, 1);
    snprintf(line, sizeof(line),
             "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"%s\", "
             "uri=\"sip:example.com\", response=\"%s\", qop=auth, nc=%s, cnonce=\"c0ffee\", "
             "algorithm=MD5\r\n",
             cl.nonce, cl.resp, cl.nc);

    /* right password: 1, credentials consumed from the forwarded request */
    run(&t, cfg, vars, line, "Circle Of Life");
    assert_int_equal(t.ctx.flags & 0x7e, (1u << 1) | (1u << 3));
    out = tm_build(&t);
    assert_null(strstr(out, "Authorization:"));
    assert_non_null(strstr(out, "\r\nCSeq: 1 REGISTER\r\nX-Pw: Circle Of Life\r\n"));
    tm_fini(&t);

    /* wrong password: -2, credentials kept */
    run(&t, cfg, vars, line, "circle of life");
    assert_int_equal(t.ctx.flags & 0x7e, (1u << 1) | (1u << 4));
    assert_non_null(strstr(tm_build(&t), "\r\nAuthorization: Digest username=\"alice\""));
    tm_fini(&t);

    /* credentials for another realm only: -5 */
    snprintf(line, sizeof(line),
             "Authorization: Digest username=\"alice\", realm=\"other.org\", nonce=\"%s\", "
             "uri=\"sip:example.com\", response=\"%s\"\r\n",
             cl.nonce, cl.resp);
    run(&t, cfg, vars, line, "Circle Of Life");
    assert_int_equal(t.ctx.flags & 0x7e, (1u << 2) | (1u << 6));
    tm_fini(&t);

    /* an expired nonce: -4 */
    client_nonce(&cl, kr_auth_of(&t.ctx), kr_auth_now() - 1000);
    client_sign(&cl, KR_AUTH_MD5, "Circle Of Life", "REGISTER", true, 1);
    snprintf(line, sizeof(line),
             "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"%s\", "
             "uri=\"sip:example.com\", response=\"%s\", qop=auth, nc=%s, cnonce=\"c0ffee\"\r\n",
             cl.nonce, cl.resp, cl.nc);
    run(&t, cfg, vars, line, "Circle Of Life");
    assert_int_equal(t.ctx.flags & 0x7e, (1u << 1) | (1u << 5));
    /* and the challenge says stale */
    assert_non_null(strstr(tm_build(&t), ", stale=true, qop=\"auth\", algorithm=MD5\r\n"));
    tm_fini(&t);

    kr_vars_free(vars);
    kr_cfg_free(cfg);
}

static const char CFG2[] = "#!KAMAILIO\n"
                           "listen=udp:198.51.100.1:5060\n"
                           "loadmodule \"sl.so\"\n"
                           "loadmodule \"textops.so\"\n"
                           "loadmodule \"auth.so\"\n"
                           "modparam(\"auth\", \"secret\", \"s3cret\")\n"
                           "request_route {\n"
                           "    pv_auth_check(\"example.com\", \"$hdr(X-Pw)\", \"1\", \"1\");\n"
                           "    $var(rc) = $rc;\n"
                           "    if ($var(rc) == 1) { setflag(1); }\n"
                           "    if ($var(rc) == -8) { setflag(2); }\n"
                           "    if ($var(rc) == -5) { setflag(3); }\n"
                           "    if ($var(rc) == -2) { setflag(4); }\n"
                           "    if (!pv_proxy_authenticate(\"example.com\", \"x\", \"4\")) {\n"
                           "        append_hf(\"$avp(digest_challenge)\");\n"
                           "    }\n"
                           "    www_challenge(\"example.com\", \"5\");\n"
                           "    $var(ch) = $rc;\n"
                           "    if ($var(ch) == -3) { setflag(5); }\n"
                           "    return 1;\n"
                           "}\n";

/* pv_auth_check (HA1 flag, user check), the $avp(digest_challenge) flag, www_challenge
 * without a transport (-3). */
static void test_cfg_check(void **state)
{
    struct tm_ctx t;
    struct kr_err err = { 0 };
    struct client cl;
    char line[512];
    char ha1[KR_AUTH_HEX_MAX + 1];
    (void)state;

    struct kr_cfg *cfg = load(CFG2);
    assert_int_equal(kr_cfg_init_modules(cfg, &err), 0);
    struct kr_vars *vars = kr_vars_new();
    assert_non_null(vars);
    kr_auth_ha1(KR_AUTH_MD5, KR_STR("alice"), KR_STR("example.com"), KR_STR("pw"), ha1);

    /* a nonce from the module's state (any worker can check it) */
    struct tm_ctx t0;
    tm_init(&t0, "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n");
    t0.ctx.cfg = cfg;
    client_nonce(&cl, kr_auth_of(&t0.ctx), kr_auth_now());
    tm_fini(&t0);

    client_sign(&cl, KR_AUTH_MD5, "pw", "REGISTER", true, 1);
    snprintf(line, sizeof(line),
             "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"%s\", "
             "uri=\"sip:example.com\", response=\"%s\", qop=auth, nc=%s, cnonce=\"c0ffee\"\r\n",
             cl.nonce, cl.resp, cl.nc);
    run(&t, cfg, vars, line, ha1);
    assert_int_equal(t.ctx.flags & 0x3e, (1u << 1) | (1u << 5));
    /* proxy credentials missing: the challenge went into $avp(digest_challenge) */
    const char *out = tm_build(&t);
    assert_non_null(strstr(out, "\r\nProxy-Authenticate: Digest realm=\"example.com\", nonce=\""));
    assert_non_null(strstr(out, "\", qop=\"auth\", algorithm=MD5\r\n"));
    tm_fini(&t);

    /* the HA1 of another password: -2 */
    run(&t, cfg, vars, line, "0123456789abcdef0123456789abcdef");
    assert_int_equal(t.ctx.flags & 0x3e, (1u << 4) | (1u << 5));
    tm_fini(&t);

    /* bob authenticates (right password) but registers alice: -8 */
    cl.c.username = KR_STR("bob");
    kr_auth_ha1(KR_AUTH_MD5, KR_STR("bob"), KR_STR("example.com"), KR_STR("pw"), ha1);
    assert_true(kr_auth_response(KR_AUTH_MD5, kr_str_c(ha1), cl.c.nonce, cl.c.nc, cl.c.cnonce,
                                 cl.c.qop, KR_STR("REGISTER"), cl.c.uri, cl.resp) > 0);
    snprintf(line, sizeof(line),
             "Authorization: Digest username=\"bob\", realm=\"example.com\", nonce=\"%s\", "
             "uri=\"sip:example.com\", response=\"%s\", qop=auth, nc=%s, cnonce=\"c0ffee\"\r\n",
             cl.nonce, cl.resp, cl.nc);
    run(&t, cfg, vars, line, ha1);
    assert_int_equal(t.ctx.flags & 0x3e, (1u << 2) | (1u << 5));
    tm_fini(&t);

    /* REGISTER with Proxy-Authorization only: -5 */
    snprintf(line, sizeof(line),
             "Proxy-Authorization: Digest username=\"bob\", realm=\"example.com\", "
             "nonce=\"%s\", uri=\"sip:example.com\", response=\"%s\"\r\n",
             cl.nonce, cl.resp);
    run(&t, cfg, vars, line, ha1);
    assert_int_equal(t.ctx.flags & 0x3e, (1u << 3) | (1u << 5));
    tm_fini(&t);

    kr_vars_free(vars);
    kr_cfg_free(cfg);
}

static void test_cfg_errors(void **state)
{
    char diag[2048];
    struct kr_cfg_opts o = { .modules = kr_builtin_modules, .aliases = kr_core_module_aliases };
    struct kr_cfg *cfg = NULL;
    struct kr_err err = { 0 };
    (void)state;

    char text[512];
    /* route bodies that must not load */
    static const char *const bad[] = {
        "www_challenge(\"\", \"0\");",
        "www_challenge(\"r\", \"2\");",
        "pv_www_authenticate(\"r\", \"p\", \"8\");",
        "auth_get_www_authenticate(\"r\", \"0\", \"x\");",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "loadmodule \"auth.so\"\nrequest_route { %s }\n", bad[i]);
        assert_int_not_equal(
            kr_cfg_load_buf("bad.cfg", text, strlen(text), &o, &cfg, diag, sizeof(diag)), 0);
    }
    /* qop auth-int, unknown algorithms and a zero lifetime are refused at start-up */
    static const char *const badinit[] = {
        "\"qop\", \"auth-int\"",
        "\"algorithm\", \"SHA-512\"",
        "\"nonce_expire\", 0",
    };
    static const char *const why[] = { "qop", "algorithm", "nonce_expire" };
    for (size_t i = 0; i < sizeof(badinit) / sizeof(badinit[0]); i++) {
        snprintf(text, sizeof(text),
                 "loadmodule \"auth.so\"\nmodparam(\"auth\", %s)\nrequest_route { return 1; }\n",
                 badinit[i]);
        cfg = load(text);
        memset(&err, 0, sizeof(err));
        assert_true(kr_cfg_init_modules(cfg, &err) < 0);
        assert_non_null(err.reason);
        assert_non_null(strstr(err.reason, why[i]));
        kr_cfg_free(cfg);
    }
    memset(&err, 0, sizeof(err));
    /* SHA-256 and qop "" */
    cfg = load("loadmodule \"auth.so\"\nmodparam(\"auth\", \"algorithm\", \"SHA-256\")\n"
               "modparam(\"auth\", \"qop\", \"\")\nmodparam(\"auth\", \"nonce_count\", 1)\n"
               "request_route { return 1; }\n");
    assert_int_equal(kr_cfg_init_modules(cfg, &err), 0);
    struct tm_ctx t;
    struct kr_str hdr;
    tm_init(&t, "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n");
    t.ctx.cfg = cfg;
    assert_int_equal(kr_auth_challenge_hdr(&t.ctx, kr_auth_of(&t.ctx), KR_STR("r"), 0,
                                           KR_SIP_HDR_AUTHORIZATION, &hdr),
                     0);
    assert_true(kr_str_find(hdr, KR_STR(", algorithm=SHA-256\r\n")) > 0);
    assert_true(kr_str_find(hdr, KR_STR("qop")) < 0);
    tm_fini(&t);
    kr_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc2617),   cmocka_unit_test(test_rfc7616),
        cmocka_unit_test(test_nonce),     cmocka_unit_test(test_check),
        cmocka_unit_test(test_challenge), cmocka_unit_test(test_cfg),
        cmocka_unit_test(test_cfg_check), cmocka_unit_test(test_cfg_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
