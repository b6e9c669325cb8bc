/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xlog: formatted script logging. The format is evaluated by the config engine
 * (kr_arg_str) only when the level is enabled. Module state (prefix, buffer size) is
 * created by init and read-only afterwards. Worker threads. */
#include "modules/xlog/xlog.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/ctx.h"
#include "core/log.h"

struct xlog_state {
    char *prefix; /* heap, NUL-terminated */
    size_t prefix_len;
    size_t buf_size;
};

static const struct {
    const char *name;
    int level;
} level_names[] = {
    { "L_ALERT", KR_L_ALERT },   { "L_BUG", KR_L_BUG },   { "L_CRIT2", KR_L_CRIT2 },
    { "L_CRIT", KR_L_CRIT },     { "L_ERR", KR_L_ERR },   { "L_WARN", KR_L_WARN },
    { "L_NOTICE", KR_L_NOTICE }, { "L_INFO", KR_L_INFO }, { "L_DBG", KR_L_DBG },
};

enum { XLOG_DEFAULT_BUF = 4096 };

int kr_xlog_level_parse(struct kr_str s, int *level)
{
    int64_t n;

    s = kr_str_trim(s);
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (kr_str_caseeq(s, kr_str_c(level_names[i].name))) {
            *level = level_names[i].level;
            return 0;
        }
    }
    if (kr_str_to_i64(s, &n) == 0 && n >= KR_L_ALERT && n <= 9) {
        *level = (int)n;
        return 0;
    }
    return KR_EINVAL;
}

static int do_xlog(struct kr_ctx *ctx, int level, const struct kr_arg *fmt)
{
    const struct xlog_state *st = kr_module_state(ctx, &kr_mod_xlog);
    struct kr_str s;

    if (!kr_log_enabled(level)) {
        return 1;
    }
    if (kr_arg_str(ctx, fmt, &s) < 0) {
        return -1;
    }
    if (s.len && s.ptr[s.len - 1] == '\n') {
        s.len--;
    }
    size_t max = st ? st->buf_size : XLOG_DEFAULT_BUF;
    if (s.len > max) {
        s.len = max;
    }
    struct kr_str prefix = st ? kr_str_make(st->prefix, st->prefix_len) : KR_STR("<script>: ");
    kr_log_write(level, "xlog", KR_STR_FMT KR_STR_FMT, KR_STR_ARG(prefix), KR_STR_ARG(s));
    return 1;
}

/* xlog(fmt) or xlog(level, fmt); a constant level is parsed once into priv. */
static int fixup_xlog(struct kr_fixup *fx, struct kr_arg *args, unsigned nargs)
{
    if (nargs < 2 || !args[1].present || !args[0].is_const) {
        return 0;
    }
    int *lv = kr_arena_alloc(fx->arena, sizeof(*lv));
    if (!lv) {
        return kr_err_set(fx->err, KR_ENOMEM, 0, "out of memory");
    }
    if (kr_xlog_level_parse(args[0].lit, lv) < 0) {
        return kr_err_set(fx->err, KR_EINVAL, 0,
                          "unknown log level (expected L_ALERT, L_BUG, L_CRIT, L_ERR, L_WARN, "
                          "L_NOTICE, L_INFO, L_DBG or a number)");
    }
    args[0].priv = lv;
    return 0;
}

static int w_xlog(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)
{
    if (nargs < 2 || !args[1].present) {
        return do_xlog(ctx, KR_L_ERR, &args[0]);
    }
    int level;
    if (args[0].priv) {
        level = *(const int *)args[0].priv;
    } else {
        struct kr_str s;
        if (kr_arg_str(ctx, &args[0], &s) < 0 || kr_xlog_level_parse(s, &level) < 0) {
            level = KR_L_ERR;
        }
    }
    return do_xlog(ctx, level, &args[1]);
}

#define XLOG_AT(fname, lv)                                                                         \
    static int fname(struct kr_ctx *ctx, const struct kr_arg *args, unsigned nargs)                \
    {                                                                                              \
        (void)nargs;                                                                               \
        return do_xlog(ctx, (lv), &args[0]);                                                       \
    }

XLOG_AT(w_xdbg, KR_L_DBG)
XLOG_AT(w_xinfo, KR_L_INFO)
XLOG_AT(w_xnotice, KR_L_NOTICE)
XLOG_AT(w_xwarn, KR_L_WARN)
XLOG_AT(w_xerr, KR_L_ERR)
XLOG_AT(w_xbug, KR_L_BUG)
XLOG_AT(w_xcrit, KR_L_CRIT)
XLOG_AT(w_xalert, KR_L_ALERT)

static int xlog_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    struct xlog_state *s = calloc(1, sizeof(*s));
    if (!s) {
        return kr_err_set(err, KR_ENOMEM, 0, "xlog: out of memory");
    }
    struct kr_str prefix = kr_modparam_str(cfg, "xlog", "prefix", KR_STR("<script>: "));
    int64_t bs = kr_modparam_int(cfg, "xlog", "buf_size", XLOG_DEFAULT_BUF);
    s->prefix = malloc(prefix.len + 1);
    if (!s->prefix) {
        free(s);
        return kr_err_set(err, KR_ENOMEM, 0, "xlog: out of memory");
    }
    if (prefix.len) {
        memcpy(s->prefix, prefix.ptr, prefix.len);
    }
    s->prefix[prefix.len] = '\0';
    s->prefix_len = prefix.len;
    s->buf_size = bs > 0 ? (size_t)bs : XLOG_DEFAULT_BUF;
    *state = s;
    return 0;
}

static void xlog_destroy(void *state)
{
    struct xlog_state *s = state;
    if (s) {
        free(s->prefix);
        free(s);
    }
}

static const struct kr_param xlog_params[] = {
    { .name = "buf_size", .type = KR_PARAM_INT },
    { .name = "force_color", .type = KR_PARAM_INT },
    { .name = "long_format", .type = KR_PARAM_INT },
    { .name = "prefix", .type = KR_PARAM_STR },
    { .name = "prefix_mode", .type = KR_PARAM_INT },
    { .name = "log_facility", .type = KR_PARAM_STR },
    { .name = "log_colors", .type = KR_PARAM_STR, .multi = true },
    { .name = "methods_filter", .type = KR_PARAM_INT },
    { 0 },
};

static const struct kr_func xlog_funcs[] = {
    { .name = "xlog", .fn = w_xlog, .args = { KR_ARG_STR, KR_ARG_STR_OPT }, .fixup = fixup_xlog },
    { .name = "xdbg", .fn = w_xdbg, .args = { KR_ARG_STR } },
    { .name = "xinfo", .fn = w_xinfo, .args = { KR_ARG_STR } },
    { .name = "xnotice", .fn = w_xnotice, .args = { KR_ARG_STR } },
    { .name = "xwarn", .fn = w_xwarn, .args = { KR_ARG_STR } },
    { .name = "xerr", .fn = w_xerr, .args = { KR_ARG_STR } },
    { .name = "xbug", .fn = w_xbug, .args = { KR_ARG_STR } },
    { .name = "xcrit", .fn = w_xcrit, .args = { KR_ARG_STR } },
    { .name = "xalert", .fn = w_xalert, .args = { KR_ARG_STR } },
    { 0 },
};

const struct kr_module kr_mod_xlog = {
    .name = "xlog",
    .params = xlog_params,
    .funcs = xlog_funcs,
    .init = xlog_init,
    .destroy = xlog_destroy,
};
