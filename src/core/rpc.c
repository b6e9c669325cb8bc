/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The RPC command registry and the core's own commands; see rpc.h. The table is filled
 * at start-up and read without a lock afterwards: each slot is written before the count
 * that publishes it (release), and readers load the count first (acquire). */
#include "core/rpc.h"

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/stats.h"
#include "kr_config.h"

#undef KR_LOG_UNIT
#define KR_LOG_UNIT "rpc"

/* Start-up tables: written by the main thread before any reader exists (see above). */
static const struct kr_rpc_cmd *table[KR_RPC_MAX_CMDS];
static atomic_size_t table_len;
static pthread_mutex_t register_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kr_rpc_core_hooks core_hooks;

/* --- registry --- */

static const struct kr_rpc_cmd *find_locked(const char *name, size_t len, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *cn = table[i]->name;
        if (strncmp(cn, name, len) == 0 && cn[len] == '\0') {
            return table[i];
        }
    }
    return NULL;
}

int kr_rpc_register(const struct kr_rpc_cmd *cmds)
{
    int rc = 0;
    size_t add = 0;

    pthread_mutex_lock(&register_lock);
    size_t n = atomic_load_explicit(&table_len, memory_order_relaxed);
    for (const struct kr_rpc_cmd *c = cmds; c->name != NULL; c++, add++) {
        if (c->name[0] == '\0' || c->fn == NULL) {
            KR_ERR("command #%zu has no name or no function", add);
            rc = KR_EINVAL;
            goto out;
        }
        if (find_locked(c->name, strlen(c->name), n) != NULL) {
            KR_ERR("command %s is already registered", c->name);
            rc = KR_EINVAL;
            goto out;
        }
        for (const struct kr_rpc_cmd *d = cmds; d != c; d++) {
            if (strcmp(d->name, c->name) == 0) {
                KR_ERR("command %s is given twice", c->name);
                rc = KR_EINVAL;
                goto out;
            }
        }
    }
    if (add > KR_RPC_MAX_CMDS - n) {
        KR_ERR("command table full (%d commands)", KR_RPC_MAX_CMDS);
        rc = KR_ELIMIT;
        goto out;
    }
    for (size_t i = 0; i < add; i++) {
        table[n + i] = &cmds[i];
    }
    atomic_store_explicit(&table_len, n + add, memory_order_release);
out:
    pthread_mutex_unlock(&register_lock);
    return rc;
}

const struct kr_rpc_cmd *kr_rpc_find_str(struct kr_str name)
{
    size_t n = atomic_load_explicit(&table_len, memory_order_acquire);
    if (name.ptr == NULL || memchr(name.ptr, '\0', name.len) != NULL) {
        return NULL;
    }
    return find_locked(name.ptr, name.len, n);
}

const struct kr_rpc_cmd *kr_rpc_find(const char *name)
{
    return name ? kr_rpc_find_str(kr_str_c(name)) : NULL;
}

size_t kr_rpc_count(void)
{
    return atomic_load_explicit(&table_len, memory_order_acquire);
}

const struct kr_rpc_cmd *kr_rpc_nth(size_t i)
{
    return i < kr_rpc_count() ? table[i] : NULL;
}

void kr_rpc_reset(void)
{
    pthread_mutex_lock(&register_lock);
    atomic_store_explicit(&table_len, 0, memory_order_release);
    memset(table, 0, sizeof(table));
    core_hooks = (struct kr_rpc_core_hooks){ 0 };
    pthread_mutex_unlock(&register_lock);
}

/* --- errors and params --- */

int kr_rpc_fail(struct kr_rpc_err *err, int code, const char *msg)
{
    err->code = code;
    err->msg = msg;
    return KR_EINVAL;
}

int kr_rpc_failf(struct kr_rpc_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->buf, sizeof(err->buf), fmt, ap);
    va_end(ap);
    err->code = code;
    err->msg = n < 0 ? "error" : err->buf;
    return KR_EINVAL;
}

size_t kr_rpc_nparams(const json_t *params)
{
    if (json_is_array(params)) {
        return json_array_size(params);
    }
    if (json_is_object(params)) {
        return json_object_size(params);
    }
    return 0;
}

const json_t *kr_rpc_param(const json_t *params, size_t i, const char *name)
{
    if (json_is_array(params)) {
        return json_array_get(params, i);
    }
    if (!json_is_object(params)) {
        return NULL;
    }
    if (name != NULL) {
        return json_object_get(params, name);
    }
    /* Objects keep insertion order in jansson >= 2.8. */
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)params, key, v)
    {
        (void)key;
        if (k++ == i) {
            return v;
        }
    }
    return NULL;
}

/* "parameter NAME: WHAT" or "parameter N: WHAT" (counted from 1). */
static int param_fail(size_t i, const char *name, const char *what, struct kr_rpc_err *err)
{
    if (name != NULL) {
        return kr_rpc_failf(err, KR_RPC_EPARAMS, "parameter %s: %s", name, what);
    }
    return kr_rpc_failf(err, KR_RPC_EPARAMS, "parameter %zu: %s", i + 1, what);
}

int kr_rpc_param_str(const json_t *params, size_t i, const char *name, bool required,
                     struct kr_str def, struct kr_str *out, struct kr_rpc_err *err)
{
    const json_t *v = kr_rpc_param(params, i, name);
    if (v == NULL) {
        if (required) {
            return param_fail(i, name, "missing", err);
        }
        *out = def;
        return 0;
    }
    if (!json_is_string(v)) {
        return param_fail(i, name, "expected a string", err);
    }
    *out = kr_str_make(json_string_value(v), json_string_length(v));
    return 0;
}

int kr_rpc_param_int(const json_t *params, size_t i, const char *name, bool required, int64_t def,
                     int64_t *out, struct kr_rpc_err *err)
{
    const json_t *v = kr_rpc_param(params, i, name);
    if (v == NULL) {
        if (required) {
            return param_fail(i, name, "missing", err);
        }
        *out = def;
        return 0;
    }
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) &&
        kr_str_to_i64(kr_str_make(json_string_value(v), json_string_length(v)), out) == 0) {
        return 0;
    }
    return param_fail(i, name, "expected an integer", err);
}

/* --- core.* --- */

static int set_result(json_t **result, json_t *v, struct kr_rpc_err *err)
{
    if (v == NULL) {
        return kr_rpc_fail(err, KR_RPC_EINTERNAL, "out of memory");
    }
    *result = v;
    return 0;
}

static int no_params(const json_t *params, struct kr_rpc_err *err)
{
    if (kr_rpc_nparams(params) != 0) {
        return kr_rpc_fail(err, KR_RPC_EPARAMS, "this command takes no parameters");
    }
    return 0;
}

static int rpc_version(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    if (no_params(params, err) < 0) {
        return KR_EINVAL;
    }
    return set_result(result, json_string("korero " KR_VERSION " (" KR_BUILD_OPTS ")"), err);
}

static void ctime_str(time_t t, char *out, size_t size)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(out, size, "%a %b %e %H:%M:%S %Y", &tm) == 0) {
        snprintf(out, size, "%lld", (long long)t);
    }
}

static int rpc_uptime(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    if (no_params(params, err) < 0) {
        return KR_EINVAL;
    }
    char now_s[64];
    char up_s[64];
    time_t now = time(NULL);
    time_t up = core_hooks.started ? core_hooks.started : now;
    ctime_str(now, now_s, sizeof(now_s));
    ctime_str(up, up_s, sizeof(up_s));
    return set_result(result,
                      json_pack("{s:s, s:s, s:I}", "now", now_s, "up_since", up_s, "uptime",
                                (json_int_t)(now > up ? now - up : 0)),
                      err);
}

static int rpc_info(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    if (no_params(params, err) < 0) {
        return KR_EINVAL;
    }
    time_t now = time(NULL);
    time_t up = core_hooks.started ? core_hooks.started : now;
    return set_result(result,
                      json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "name", "korero", "version",
                                KR_VERSION, "flags", KR_BUILD_OPTS, "pid", (json_int_t)getpid(),
                                "workers", (json_int_t)core_hooks.workers, "uptime",
                                (json_int_t)(now > up ? now - up : 0)),
                      err);
}

/* Threads as the kernel names them (pthread_setname_np): Kamailio lists processes. */
static int rpc_ps(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    if (no_params(params, err) < 0) {
        return KR_EINVAL;
    }
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) {
        return kr_rpc_fail(err, 500, "cannot read /proc/self/task");
    }
    json_t *arr = json_array();
    struct dirent *e;
    json_int_t idx = 0;
    while (arr != NULL && (e = readdir(d)) != NULL) {
        int64_t tid;
        if (kr_str_to_i64(kr_str_c(e->d_name), &tid) != 0) {
            continue;
        }
        char path[64];
        char comm[64] = "";
        snprintf(path, sizeof(path), "/proc/self/task/%lld/comm", (long long)tid);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(comm, sizeof(comm), f) == NULL) {
                comm[0] = '\0';
            }
            fclose(f);
        }
        comm[strcspn(comm, "\n")] = '\0';
        json_t *o = json_pack("{s:I, s:I, s:s}", "IDX", idx++, "PID", (json_int_t)tid, "DSC", comm);
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    closedir(d);
    return set_result(result, arr, err);
}

static int rpc_shutdown(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    if (no_params(params, err) < 0) {
        return KR_EINVAL;
    }
    if (core_hooks.shutdown == NULL) {
        return kr_rpc_fail(err, 500, "shutdown is not available");
    }
    KR_NOTICE("shutdown requested over RPC");
    core_hooks.shutdown(core_hooks.arg);
    return set_result(result, json_string("shutting down"), err);
}

static int rpc_list_methods(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    if (no_params(params, err) < 0) {
        return KR_EINVAL;
    }
    json_t *arr = json_array();
    size_t n = kr_rpc_count();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if (json_array_append_new(arr, json_string(table[i]->name)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return set_result(result, arr, err);
}

static int rpc_method_help(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    struct kr_str name;
    if (kr_rpc_param_str(params, 0, NULL, true, KR_STR_NULL, &name, err) < 0) {
        return KR_EINVAL;
    }
    const struct kr_rpc_cmd *c = kr_rpc_find_str(name);
    if (c == NULL) {
        return kr_rpc_failf(err, 404, "no such method: %.*s", KR_STR_ARG(name));
    }
    return set_result(result, json_string(c->doc ? c->doc : ""), err);
}

/* --- stats.* --- */

/* Whether the counter named "group.name" is selected by sel (see kr_rpc_stats_select). */
static bool stat_matches(const char *sel, size_t sel_len, const char *full)
{
    const char *dot = strchr(full, '.');
    size_t glen = dot ? (size_t)(dot - full) : 0;
    const char *bare = dot ? dot + 1 : full;

    if (sel_len == 3 && memcmp(sel, "all", 3) == 0) {
        return true;
    }
    if (sel_len > 0 && (sel[sel_len - 1] == ':' || sel[sel_len - 1] == '.')) {
        return glen == sel_len - 1 && memcmp(sel, full, glen) == 0;
    }
    size_t sep = strcspn(sel, ".:");
    if (sep < sel_len) {
        return glen == sep && memcmp(sel, full, glen) == 0 && strcmp(bare, sel + sep + 1) == 0;
    }
    /* A plain word: a group name, or a counter's name in any group. */
    return (glen == sel_len && memcmp(sel, full, glen) == 0) || strcmp(bare, sel) == 0;
}

size_t kr_rpc_stats_select(const char *sel, json_t *obj)
{
    size_t n = 0;
    size_t sel_len = strlen(sel);
    for (int s = 0; s < KR_STAT__COUNT; s++) {
        const char *name = kr_stat_name((enum kr_stat)s);
        if (stat_matches(sel, sel_len, name)) {
            json_object_set_new(obj, name, json_integer((json_int_t)kr_stat_get((enum kr_stat)s)));
            n++;
        }
    }
    return n;
}

/* The selectors of a stats.* call: strings, in an array or as an object's values. */
static int stats_sels(const json_t *params, size_t *n, struct kr_rpc_err *err)
{
    *n = kr_rpc_nparams(params);
    for (size_t i = 0; i < *n; i++) {
        if (!json_is_string(kr_rpc_param(params, i, NULL))) {
            return kr_rpc_fail(err, KR_RPC_EPARAMS,
                               "expected statistic names or groups (all, core, core.rcv_requests)");
        }
    }
    return 0;
}

static int rpc_stats_fetch(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    size_t n;
    if (stats_sels(params, &n, err) < 0) {
        return KR_EINVAL;
    }
    json_t *obj = json_object();
    if (obj == NULL) {
        return kr_rpc_fail(err, KR_RPC_EINTERNAL, "out of memory");
    }
    if (n == 0) {
        kr_rpc_stats_select("all", obj);
    }
    for (size_t i = 0; i < n; i++) {
        kr_rpc_stats_select(json_string_value(kr_rpc_param(params, i, NULL)), obj);
    }
    *result = obj;
    return 0;
}

/* Resets the selected running totals; gauges keep their value. With fetch, returns the
 * values they had (stats.clear_statistics). */
static int stats_reset(const json_t *params, json_t **result, struct kr_rpc_err *err, bool fetch)
{
    size_t n;
    if (stats_sels(params, &n, err) < 0) {
        return KR_EINVAL;
    }
    if (n == 0) {
        return kr_rpc_fail(err, KR_RPC_EPARAMS, "which statistics? (all, a group or a name)");
    }
    json_t *obj = json_object();
    if (obj == NULL) {
        return kr_rpc_fail(err, KR_RPC_EINTERNAL, "out of memory");
    }
    for (int s = 0; s < KR_STAT__COUNT; s++) {
        const char *name = kr_stat_name((enum kr_stat)s);
        for (size_t i = 0; i < n; i++) {
            const char *sel = json_string_value(kr_rpc_param(params, i, NULL));
            if (!stat_matches(sel, strlen(sel), name) || kr_stat_is_gauge((enum kr_stat)s)) {
                continue;
            }
            unsigned long long old =
                atomic_exchange_explicit(&kr_stats[s], 0, memory_order_relaxed);
            if (fetch) {
                json_object_set_new(obj, name, json_integer((json_int_t)old));
            }
            break;
        }
    }
    if (!fetch) {
        json_decref(obj);
        obj = json_null();
    }
    *result = obj;
    return 0;
}

static int rpc_stats_reset(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    return stats_reset(params, result, err, false);
}

static int rpc_stats_clear(const json_t *params, json_t **result, struct kr_rpc_err *err)
{
    return stats_reset(params, result, err, true);
}

static const struct kr_rpc_cmd core_cmds[] = {
    { "core.version", rpc_version, "Version and build options." },
    { "core.uptime", rpc_uptime, "Current time, start time and uptime in seconds." },
    { "core.info", rpc_info, "Name, version, build options, pid, workers, uptime." },
    { "core.ps", rpc_ps, "The process's threads: index, thread id, name." },
    { "core.shutdown", rpc_shutdown, "Stops korero gracefully." },
    { "system.listMethods", rpc_list_methods, "Names of all RPC commands." },
    { "system.methodHelp", rpc_method_help, "One line of help for a command: NAME." },
    { "stats.fetch", rpc_stats_fetch,
      "Statistics as name -> value: all, a group (core, core:), names (core.rcv_requests)." },
    { "stats.get_statistics", rpc_stats_fetch, "Same as stats.fetch." },
    { "stats.reset_statistics", rpc_stats_reset,
      "Resets running totals (not gauges): all, a group or names." },
    { "stats.clear_statistics", rpc_stats_clear,
      "Returns, then resets, running totals: all, a group or names." },
    { 0 },
};

int kr_rpc_register_core(const struct kr_rpc_core_hooks *h)
{
    pthread_mutex_lock(&register_lock);
    core_hooks = h ? *h : (struct kr_rpc_core_hooks){ 0 };
    if (core_hooks.started == 0) {
        core_hooks.started = time(NULL);
    }
    pthread_mutex_unlock(&register_lock);
    return kr_rpc_register(core_cmds);
}
