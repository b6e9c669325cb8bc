/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UUID generation (RFC 4122 §4.2 time-based, §4.4 random) and the $uuid pseudo-variable.
 * Random bytes come from getrandom(2); the time-based generator keeps its last timestamp
 * and its per-process node id and clock sequence in atomics. Any thread. */
#define KR_LOG_UNIT "uuid"
#include "modules/uuid/uuid.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cfg/ctx.h"
#include "core/arena.h"
#include "core/log.h"

/* 100 ns intervals between 1582-10-15 00:00 UTC and 1970-01-01 00:00 UTC. */
#define GREGORIAN_OFFSET 0x01B21DD213814000ULL

static atomic_uint_fast64_t last_ticks;
/* bit 63: set; bits 48-61: clock sequence; bits 0-47: node id */
static atomic_uint_fast64_t node_seq;

static int fill_random(void *p, size_t n)
{
    unsigned char *b = p;
    while (n > 0) {
        ssize_t r = getrandom(b, n, 0);
        if (r <= 0) {
            return KR_EIO;
        }
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void format(const unsigned char u[16], char out[KR_UUID_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 0x0f];
    }
}

int kr_uuid_random(char out[KR_UUID_STRLEN])
{
    unsigned char u[16];
    if (fill_random(u, sizeof(u)) < 0) {
        return KR_EIO;
    }
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* variant 10x (RFC 4122 §4.1.1) */
    format(u, out);
    return 0;
}

static int node_and_seq(uint64_t *out)
{
    uint_fast64_t v = atomic_load_explicit(&node_seq, memory_order_acquire);
    if (!v) {
        uint64_t r = 0;
        if (fill_random(&r, sizeof(r)) < 0) {
            return KR_EIO;
        }
        /* multicast bit: the lowest bit of the node's first octet (bit 40 here) */
        r = (r & 0x3fffffffffffffffULL) | (1ULL << 63) | (1ULL << 40);
        uint_fast64_t expected = 0;
        atomic_compare_exchange_strong(&node_seq, &expected, r);
        v = atomic_load_explicit(&node_seq, memory_order_acquire);
    }
    *out = v;
    return 0;
}

/* The current time in ticks, made strictly greater than the last one handed out. */
static uint64_t next_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now =
        (uint64_t)ts.tv_sec * 10000000ULL + (uint64_t)ts.tv_nsec / 100 + GREGORIAN_OFFSET;
    uint_fast64_t last = atomic_load_explicit(&last_ticks, memory_order_relaxed);
    for (;;) {
        uint64_t t = now > last ? now : last + 1;
        if (atomic_compare_exchange_weak(&last_ticks, &last, t)) {
            return t;
        }
    }
}

int kr_uuid_time(char out[KR_UUID_STRLEN])
{
    uint64_t ns;
    unsigned char u[16];

    if (node_and_seq(&ns) < 0) {
        return KR_EIO;
    }
    uint64_t t = next_ticks();
    uint32_t time_low = (uint32_t)(t & 0xffffffffu);
    uint16_t time_mid = (uint16_t)((t >> 32) & 0xffffu);
    uint16_t time_hi = (uint16_t)(((t >> 48) & 0x0fffu) | 0x1000u); /* version 1 */
    uint16_t seq = (uint16_t)((ns >> 48) & 0x3fffu);
    u[0] = (unsigned char)(time_low >> 24);
    u[1] = (unsigned char)(time_low >> 16);
    u[2] = (unsigned char)(time_low >> 8);
    u[3] = (unsigned char)time_low;
    u[4] = (unsigned char)(time_mid >> 8);
    u[5] = (unsigned char)time_mid;
    u[6] = (unsigned char)(time_hi >> 8);
    u[7] = (unsigned char)time_hi;
    u[8] = (unsigned char)(((seq >> 8) & 0x3f) | 0x80);
    u[9] = (unsigned char)seq;
    for (int i = 0; i < 6; i++) {
        u[10 + i] = (unsigned char)(ns >> (8 * (5 - i)));
    }
    format(u, out);
    return 0;
}

static int uuid_parse(struct kr_fixup *fx, struct kr_pv_name *n)
{
    if (n->name.len != 1 || !strchr("grts", n->name.ptr[0])) {
        return kr_err_set(fx->err, KR_EINVAL, 0, "$uuid expects g, r, t or s");
    }
    return 0;
}

static int uuid_get(struct kr_ctx *ctx, const struct kr_pv_name *n, struct kr_value *out)
{
    char *p = kr_arena_alloc(ctx->arena, KR_UUID_STRLEN);
    bool timed = n->name.len == 1 && (n->name.ptr[0] == 't' || n->name.ptr[0] == 's');

    *out = kr_value_null();
    if (!p) {
        return KR_ENOMEM;
    }
    int rc = timed ? kr_uuid_time(p) : kr_uuid_random(p);
    if (rc < 0) {
        KR_ERR("cannot generate a UUID: no random bytes");
        return rc;
    }
    *out = kr_value_str(kr_str_make(p, KR_UUID_STRLEN));
    return 0;
}

static const struct kr_pv_def uuid_pvs[] = {
    { .name = "uuid", .get = uuid_get, .parse = uuid_parse, .needs_name = true },
    { 0 },
};

const struct kr_module kr_mod_uuid = {
    .name = "uuid",
    .pvs = uuid_pvs,
};
