/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the ctl server (modules/ctl/server.c): a real Unix socket in a temp
 * dir, real clients (raw sockets and, when built, the korctl executable), the core's
 * RPC commands behind it. */
#include <errno.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/rpc.h"
#include "core/stats.h"
#include "kr_config.h"
#include "modules/ctl/ctl.h"

extern char **environ;

struct fixture {
    char dir[64];
    char path[128];
    struct kr_ctl *ctl;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/kr_ctl_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
    kr_rpc_reset();
    assert_int_equal(kr_rpc_register_core(NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    kr_ctl_stop(f->ctl);
    unlink(f->path);
    rmdir(f->dir);
    kr_rpc_reset();
    free(f);
    return 0;
}

static void start(struct fixture *f)
{
    const char *paths[] = { f->path };
    struct kr_ctl_opts o = { .paths = paths, .npaths = 1, .uid = -1, .gid = -1 };
    struct kr_err err = { 0 };
    assert_int_equal(kr_ctl_start(&o, &f->ctl, &err), 0);
    assert_non_null(f->ctl);
}

static int dial(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_text(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads one line (without its newline) and parses it. */
static json_t *read_line(int fd)
{
    char buf[65536];
    size_t n = 0;
    while (n < sizeof(buf)) {
        ssize_t r = recv(fd, buf + n, 1, 0);
        assert_true(r == 1);
        if (buf[n] == '\n') {
            json_error_t jerr;
            json_t *v = json_loadb(buf, n, 0, &jerr);
            assert_non_null(v);
            return v;
        }
        n++;
    }
    fail_msg("line too long");
    return NULL;
}

static int code_of(const json_t *r)
{
    return (int)json_integer_value(json_object_get(json_object_get(r, "error"), "code"));
}

static void test_parse_addr_mode(void **state)
{
    (void)state;
    struct kr_str p;
    struct kr_err err = { 0 };
    assert_int_equal(kr_ctl_parse_addr(KR_STR("unix:/run/x/ctl.sock"), &p, &err), 0);
    assert_true(kr_str_eq(p, KR_STR("/run/x/ctl.sock")));
    assert_int_equal(kr_ctl_parse_addr(KR_STR("unixs:/tmp/a"), &p, &err), 0);
    assert_true(kr_str_eq(p, KR_STR("/tmp/a")));
    assert_int_equal(kr_ctl_parse_addr(KR_STR("/tmp/b"), &p, &err), 0);
    assert_true(kr_str_eq(p, KR_STR("/tmp/b")));
    assert_int_equal(kr_ctl_parse_addr(KR_STR("tcp:127.0.0.1:2049"), &p, &err), KR_EINVAL);
    assert_non_null(strstr(err.reason, "Unix"));
    err = (struct kr_err){ 0 };
    assert_int_equal(kr_ctl_parse_addr(KR_STR("unixd:/tmp/x"), &p, &err), KR_EINVAL);
    err = (struct kr_err){ 0 };
    assert_int_equal(kr_ctl_parse_addr(KR_STR("unix:relative"), &p, &err), KR_EINVAL);
    err = (struct kr_err){ 0 };
    char longp[200];
    memset(longp, 'a', sizeof(longp));
    longp[0] = '/';
    assert_int_equal(kr_ctl_parse_addr(kr_str_make(longp, sizeof(longp)), &p, &err), KR_EINVAL);

    assert_int_equal(kr_ctl_mode(0600), 0600);
    assert_int_equal(kr_ctl_mode(600), 0600);
    assert_int_equal(kr_ctl_mode(660), 0660);
    assert_int_equal(kr_ctl_mode(0777), 0777);
    assert_int_equal(kr_ctl_mode(2770), 02770);
    assert_int_equal(kr_ctl_mode(0), 0);
    assert_int_equal(kr_ctl_mode(-1), 0);
    assert_int_equal(kr_ctl_mode(689), 0);
}

static void test_serve(void **state)
{
    struct fixture *f = *state;
    start(f);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);

    kr_stat_add(KR_STAT_RCV_REQ_OPTIONS, 11);
    int fd = dial(f->path);
    send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":1}\n");
    json_t *r = read_line(fd);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
    assert_non_null(strstr(json_string_value(json_object_get(r, "result")), KR_VERSION));
    json_decref(r);

    /* Same connection; CRLF; two requests in one write. */
    send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"stats.fetch\",\"params\":[\"core\"],"
                  "\"id\":2}\r\n{\"jsonrpc\":\"2.0\",\"method\":\"stats.fetch\","
                  "\"params\":[\"core.rcv_requests_options\"],\"id\":3}\n");
    r = read_line(fd);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"),
                                                        "core.rcv_requests_options")),
                     11);
    json_decref(r);
    r = read_line(fd);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
    assert_int_equal(json_object_size(json_object_get(r, "result")), 1);
    json_decref(r);

    /* A request split over writes and lines (pretty-printed). */
    send_text(fd, "{\n  \"jsonrpc\": \"2.0\",\n");
    usleep(20000);
    send_text(fd, "  \"method\": \"core.uptime\",\n  \"id\": \"u\"\n}\n");
    r = read_line(fd);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "u");
    assert_true(json_is_integer(json_object_get(json_object_get(r, "result"), "uptime")));
    json_decref(r);

    /* A bad line gets -32700; the connection goes on. A notification gets nothing. */
    send_text(fd, "this is not json\n");
    r = read_line(fd);
    assert_int_equal(code_of(r), KR_RPC_EPARSE);
    json_decref(r);
    send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\"}\n"
                  "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":4}\n");
    r = read_line(fd);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 4);
    assert_int_equal(code_of(r), KR_RPC_EMETHOD);
    json_decref(r);
    close(fd);

    /* One request per connection, no newline: answered at end of input. */
    fd = dial(f->path);
    send_text(fd, "[{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":1},"
                  "{\"jsonrpc\":\"2.0\",\"method\":\"system.listMethods\",\"id\":2}]");
    shutdown(fd, SHUT_WR);
    r = read_line(fd);
    assert_int_equal(json_array_size(r), 2);
    json_decref(r);
    char c;
    assert_int_equal(recv(fd, &c, 1, 0), 0); /* closed after */
    close(fd);

    /* Without a newline and without closing: a complete text is answered at once. */
    fd = dial(f->path);
    send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":5}");
    r = read_line(fd);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 5);
    json_decref(r);
    close(fd);

    /* Truncated at end of input: parse error, then closed. */
    fd = dial(f->path);
    send_text(fd, "{\"jsonrpc\":\"2.0\",\"meth");
    shutdown(fd, SHUT_WR);
    r = read_line(fd);
    assert_int_equal(code_of(r), KR_RPC_EPARSE);
    json_decref(r);
    close(fd);

    kr_ctl_stop(f->ctl);
    f->ctl = NULL;
    assert_int_equal(access(f->path, F_OK), -1); /* stop removed the socket file */
}

static void test_many_clients(void **state)
{
    struct fixture *f = *state;
    start(f);
    int fds[KR_CTL_MAX_CLIENTS];
    for (size_t i = 0; i < KR_CTL_MAX_CLIENTS; i++) {
        fds[i] = dial(f->path);
    }
    for (size_t i = 0; i < KR_CTL_MAX_CLIENTS; i++) {
        char req[128];
        snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"core.uptime\",\"id\":%zu}\n",
                 i);
        send_text(fds[KR_CTL_MAX_CLIENTS - 1 - i], req);
    }
    for (size_t i = 0; i < KR_CTL_MAX_CLIENTS; i++) {
        json_t *r = read_line(fds[KR_CTL_MAX_CLIENTS - 1 - i]);
        assert_int_equal(json_integer_value(json_object_get(r, "id")), (json_int_t)i);
        json_decref(r);
        close(fds[KR_CTL_MAX_CLIENTS - 1 - i]);
    }
}

static void test_stale_and_busy(void **state)
{
    struct fixture *f = *state;
    /* A stale socket file (nobody listening) is replaced. */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(s);
    assert_int_equal(access(f->path, F_OK), 0);
    start(f);

    /* A live one is not. */
    const char *paths[] = { f->path };
    struct kr_ctl_opts o = { .paths = paths, .npaths = 1, .uid = -1, .gid = -1 };
    struct kr_ctl *other = NULL;
    struct kr_err err = { 0 };
    assert_true(kr_ctl_start(&o, &other, &err) < 0);
    assert_null(other);
    assert_non_null(err.reason);
    /* ... and still serves. */
    int fd = dial(f->path);
    send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":1}\n");
    json_t *r = read_line(fd);
    json_decref(r);
    close(fd);

    /* Optional: the same failure is a warning and no server. */
    o.optional = true;
    err = (struct kr_err){ 0 };
    assert_int_equal(kr_ctl_start(&o, &other, &err), 0);
    assert_null(other);
    kr_ctl_stop(f->ctl);
    f->ctl = NULL;

    /* A regular file is never removed. */
    FILE *file = fopen(f->path, "w");
    assert_non_null(file);
    fclose(file);
    o.optional = false;
    err = (struct kr_err){ 0 };
    assert_true(kr_ctl_start(&o, &other, &err) < 0);
    assert_int_equal(access(f->path, F_OK), 0);
    unlink(f->path);

    /* A directory that does not exist. */
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/nodir/ctl.sock", f->dir);
    const char *mp[] = { missing };
    o.paths = mp;
    o.optional = true;
    assert_int_equal(kr_ctl_start(&o, &other, &err), 0);
    assert_null(other);
}

static void test_mode(void **state)
{
    struct fixture *f = *state;
    const char *paths[] = { f->path };
    struct kr_ctl_opts o = { .paths = paths, .npaths = 1, .mode = 0660, .uid = -1, .gid = -1 };
    struct kr_err err = { 0 };
    assert_int_equal(kr_ctl_start(&o, &f->ctl, &err), 0);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
}

/* Runs korctl with args; returns its exit status, stdout/stderr in out/errout. */
static int korctl(const char *exe, const char *sock, const char *const *args, char *out,
                  size_t outsz, char *errout, size_t errsz)
{
    int po[2];
    int pe[2];
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawn_file_actions_addclose(&fa, po[0]);
    posix_spawn_file_actions_addclose(&fa, pe[0]);
    char *argv[16];
    size_t n = 0;
    argv[n++] = (char *)exe;
    argv[n++] = (char *)"-s";
    argv[n++] = (char *)sock;
    for (size_t i = 0; args[i] != NULL && n < 15; i++) {
        argv[n++] = (char *)args[i];
    }
    argv[n] = NULL;
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    /* Outputs here are small: read stdout to its end, then stderr. */
    size_t o = 0;
    ssize_t r;
    while (o + 1 < outsz && (r = read(po[0], out + o, outsz - 1 - o)) > 0) {
        o += (size_t)r;
    }
    out[o] = '\0';
    size_t e = 0;
    while (e + 1 < errsz && (r = read(pe[0], errout + e, errsz - 1 - e)) > 0) {
        e += (size_t)r;
    }
    errout[e] = '\0';
    close(po[0]);
    close(pe[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_korctl(void **state)
{
    struct fixture *f = *state;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
    assert_true(n > 0);
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    assert_non_null(slash);
    /* korctl is built beside the tests (build/korctl); meson builds it before tests run,
     * so its absence is a failure, not a reason to skip. */
    memcpy(slash, "/korctl", sizeof("/korctl"));
    assert_int_equal(access(exe, X_OK), 0);
    start(f);
    kr_stat_add(KR_STAT_RCV_REQ_MESSAGE, 4);
    static char out[65536];
    char errout[1024];

    const char *v[] = { "core.version", NULL };
    assert_int_equal(korctl(exe, f->path, v, out, sizeof(out), errout, sizeof(errout)), 0);
    assert_non_null(strstr(out, "\"korero " KR_VERSION));

    const char *s[] = { "stats.fetch", "all", NULL };
    assert_int_equal(korctl(exe, f->path, s, out, sizeof(out), errout, sizeof(errout)), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "core.rcv_requests_message")), 4);
    json_decref(j);
    assert_non_null(strstr(out, "\n  \"core.rcv_requests\": 0")); /* indented by 2 */

    const char *rs[] = { "stats.reset_statistics", "all", NULL };
    assert_int_equal(korctl(exe, f->path, rs, out, sizeof(out), errout, sizeof(errout)), 0);
    assert_string_equal(out, "null\n");

    const char *bad[] = { "no.such", NULL };
    assert_int_equal(korctl(exe, f->path, bad, out, sizeof(out), errout, sizeof(errout)), 1);
    assert_string_equal(errout, "error: -32601: Method not found\n");

    const char *badp[] = { "core.version", "1", NULL };
    assert_int_equal(korctl(exe, f->path, badp, out, sizeof(out), errout, sizeof(errout)), 1);
    assert_non_null(strstr(errout, "error: -32602: "));

    /* Numbers as numbers, s: forces a string. */
    const char *num[] = { "stats.fetch", "s:core", "12", NULL };
    assert_int_equal(korctl(exe, f->path, num, out, sizeof(out), errout, sizeof(errout)), 1);
    assert_non_null(strstr(errout, "error: -32602: "));

    char nowhere[160];
    snprintf(nowhere, sizeof(nowhere), "%s/none.sock", f->dir);
    assert_int_equal(korctl(exe, nowhere, v, out, sizeof(out), errout, sizeof(errout)), 2);
    assert_non_null(strstr(errout, "cannot connect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_addr_mode),
        cmocka_unit_test_setup_teardown(test_serve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_and_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_korctl, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
