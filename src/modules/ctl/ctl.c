/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ctl module's table and hooks: reads Kamailio's ctl modparams (binrpc, mode, user,
 * group, ...) and runs the server (server.c) for the loaded config. init and destroy run
 * on the main thread; the module has no script functions. */
#include "modules/ctl/ctl.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg/module.h"
#include "core/log.h"

#undef KR_LOG_UNIT
#define KR_LOG_UNIT "ctl"

static const struct kr_param ctl_params[] = {
    { .name = "binrpc", .type = KR_PARAM_STR, .multi = true },
    { .name = "binrpc_buffer_size", .type = KR_PARAM_INT },
    { .name = "binrpc_max_body_size", .type = KR_PARAM_INT },
    { .name = "binrpc_struct_max_body_size", .type = KR_PARAM_INT },
    { .name = "mode", .type = KR_PARAM_INT },
    { .name = "user", .type = KR_PARAM_STR },
    { .name = "group", .type = KR_PARAM_STR },
    { .name = "autoconversion", .type = KR_PARAM_INT },
    { 0 },
};

/* A user or group name (or number) to its id: -1 when unset, KR_EINVAL (below -1) when
 * unknown. */
static long lookup_id(struct kr_str name, bool group, struct kr_err *err)
{
    char buf[256];
    int64_t num;

    if (name.len == 0) {
        return -1;
    }
    if (kr_str_to_i64(name, &num) == 0 && num >= 0) {
        return (long)num;
    }
    if (name.len >= sizeof(buf)) {
        return kr_err_set(err, KR_EINVAL, 0, "ctl: user or group name too long");
    }
    memcpy(buf, name.ptr, name.len);
    buf[name.len] = '\0';
    /* Start-up, main thread only: the non-reentrant lookups are fine here. */
    if (group) {
        const struct group *g = getgrnam(buf);
        if (g == NULL) {
            KR_ERR("modparam ctl group: no such group \"%s\"", buf);
            return kr_err_set(err, KR_EINVAL, 0, "ctl: unknown group");
        }
        return (long)g->gr_gid;
    }
    const struct passwd *p = getpwnam(buf);
    if (p == NULL) {
        KR_ERR("modparam ctl user: no such user \"%s\"", buf);
        return kr_err_set(err, KR_EINVAL, 0, "ctl: unknown user");
    }
    return (long)p->pw_uid;
}

/* The directory of the default socket; false (with a warning) when it cannot be made. */
static bool make_default_dir(void)
{
    const char *dir = "/run/korero";
    if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
        return true;
    }
    KR_WARN("cannot create %s (%s): no control socket; set modparam(\"ctl\", \"binrpc\", "
            "\"unix:/path/ctl.sock\") to choose one",
            dir, strerror(errno));
    return false;
}

static int ctl_init(const struct kr_cfg *cfg, void **state, struct kr_err *err)
{
    char *paths[KR_CTL_MAX_SOCKETS];
    size_t n = 0;
    int rc = 0;
    struct kr_value v;

    *state = NULL;
    for (size_t i = 0; kr_modparam_nth(cfg, "ctl", "binrpc", i, &v); i++) {
        if (v.type != KR_VAL_STR) {
            rc = kr_err_set(err, KR_EINVAL, 0, "ctl: binrpc must be a string");
            goto out;
        }
        if (n == KR_CTL_MAX_SOCKETS) {
            rc = kr_err_set(err, KR_ELIMIT, 0, "ctl: at most 8 binrpc sockets");
            goto out;
        }
        struct kr_str path;
        rc = kr_ctl_parse_addr(v.s, &path, err);
        if (rc < 0) {
            KR_ERR("modparam ctl binrpc \"" KR_STR_FMT "\": %s", KR_STR_ARG(v.s), err->reason);
            goto out;
        }
        paths[n] = strndup(path.ptr, path.len);
        if (paths[n] == NULL) {
            rc = kr_err_set(err, KR_ENOMEM, 0, "ctl: out of memory");
            goto out;
        }
        n++;
    }

    struct kr_ctl_opts o = {
        .paths = (const char *const *)paths,
        .npaths = n,
        .mode = 0600,
        .optional = n == 0,
    };
    int64_t mode = kr_modparam_int(cfg, "ctl", "mode", 0600);
    o.mode = kr_ctl_mode((long)mode);
    if (o.mode == 0) {
        KR_WARN("modparam ctl mode %lld is not a permission mode: using 0600", (long long)mode);
        o.mode = 0600;
    }
    o.uid = lookup_id(kr_modparam_str(cfg, "ctl", "user", KR_STR("")), false, err);
    o.gid = lookup_id(kr_modparam_str(cfg, "ctl", "group", KR_STR("")), true, err);
    if (o.uid < -1 || o.gid < -1) {
        rc = KR_EINVAL;
        goto out;
    }
    if (n == 0) {
        if (!make_default_dir()) {
            goto out;
        }
        paths[n++] = strdup(KR_CTL_DEFAULT_SOCKET);
        if (paths[0] == NULL) {
            n = 0;
            rc = kr_err_set(err, KR_ENOMEM, 0, "ctl: out of memory");
            goto out;
        }
        o.npaths = n;
    }
    struct kr_ctl *ctl;
    rc = kr_ctl_start(&o, &ctl, err);
    if (rc == 0) {
        *state = ctl;
    }
out:
    for (size_t i = 0; i < n; i++) {
        free(paths[i]);
    }
    return rc;
}

static void ctl_destroy(void *state)
{
    kr_ctl_stop(state);
}

const struct kr_module kr_mod_ctl = {
    .name = "ctl",
    .params = ctl_params,
    .init = ctl_init,
    .destroy = ctl_destroy,
};
