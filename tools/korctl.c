/* SPDX-License-Identifier: GPL-2.0-or-later */
/* korctl: korero's command-line management client. Sends one JSON-RPC 2.0 request on the
 * ctl Unix socket, prints the result. Single-threaded; everything it allocates lives
 * until exit. Exit: 0 ok, 1 JSON-RPC error, 2 cannot reach korero, 3 usage. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "kr_config.h"

#define DEFAULT_SOCKET "/run/korero/ctl.sock"

enum {
    EXIT_RPC = 1,
    EXIT_CONN = 2,
    EXIT_USAGE = 3,
    RECV_TIMEOUT_SECONDS = 60,
    RESPONSE_MAX = 256 << 20,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: korctl [-s SOCKET] METHOD [PARAM...]\n"
               "  Calls METHOD (e.g. core.uptime, stats.fetch all, system.listMethods) on\n"
               "  korero's control socket and prints the result as JSON.\n"
               "  -s SOCKET  control socket path or unix:/path\n"
               "             (default: $KORCTL_SOCKET, else " DEFAULT_SOCKET ")\n"
               "  -h         this help; -V version\n"
               "  PARAM: numbers are sent as numbers, anything else as a string;\n"
               "  s:TEXT forces a string, i:N an integer.\n"
               "  Exit status: 0 ok, 1 the command failed, 2 korero not reachable, 3 usage.\n");
}

/* Whether s reads as a JSON number: -?digits(.digits)?([eE][+-]?digits)? */
static bool looks_numeric(const char *s, bool *integer)
{
    const char *p = s;
    if (*p == '-') {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return false;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    *integer = true;
    if (*p == '.') {
        *integer = false;
        p++;
        if (*p < '0' || *p > '9') {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (*p == 'e' || *p == 'E') {
        *integer = false;
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    return *p == '\0';
}

static bool parse_int(const char *s, json_int_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return false;
    }
    *out = (json_int_t)v;
    return true;
}

/* One command-line parameter as a JSON value, or NULL (message printed). */
static json_t *param_value(const char *arg)
{
    json_int_t i;
    bool integer;

    if (strncmp(arg, "s:", 2) == 0) {
        return json_string(arg + 2);
    }
    if (strncmp(arg, "i:", 2) == 0) {
        if (!parse_int(arg + 2, &i)) {
            fprintf(stderr, "korctl: %s: not an integer\n", arg);
            return NULL;
        }
        return json_integer(i);
    }
    if (looks_numeric(arg, &integer)) {
        if (integer && parse_int(arg, &i)) {
            return json_integer(i);
        }
        return json_real(strtod(arg, NULL));
    }
    json_t *v = json_string(arg);
    if (v == NULL) {
        fprintf(stderr, "korctl: %s: not valid UTF-8\n", arg);
    }
    return v;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strncmp(path, "unix:", 5) == 0) {
        path += 5;
    }
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(sa.sun_path)) {
        fprintf(stderr, "korctl: bad socket path \"%s\"\n", path);
        return -1;
    }
    memcpy(sa.sun_path, path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "korctl: socket: %s\n", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr,
                "korctl: cannot connect to %s: %s\n"
                "  (is korero running with the ctl module? use -s or $KORCTL_SOCKET to choose "
                "the socket)\n",
                path, strerror(errno));
        close(fd);
        return -1;
    }
    struct timeval tv = { .tv_sec = RECV_TIMEOUT_SECONDS };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads one response line (or up to EOF). Returns a malloc'd buffer, *len set; NULL on
 * error (message printed). */
static char *recv_line(int fd, size_t *len)
{
    size_t size = 4096;
    size_t n = 0;
    char *buf = malloc(size);
    while (buf != NULL) {
        if (n == size) {
            char *nb = size < RESPONSE_MAX ? realloc(buf, size * 2) : NULL;
            if (nb == NULL) {
                fprintf(stderr, "korctl: response too large\n");
                break;
            }
            buf = nb;
            size *= 2;
        }
        ssize_t r = recv(fd, buf + n, size - n, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            fprintf(stderr, "korctl: reading the response: %s\n",
                    errno == EAGAIN ? "timed out" : strerror(errno));
            break;
        }
        if (r == 0 || memchr(buf + n, '\n', (size_t)r) != NULL) {
            n += (size_t)r;
            *len = n;
            return buf;
        }
        n += (size_t)r;
    }
    free(buf);
    return NULL;
}

/* Prints the response; returns the exit status. */
static int print_response(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *resp = json_loadb(text, len, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!json_is_object(resp)) {
        fprintf(stderr, "korctl: bad response from korero: %s\n",
                len == 0 ? "connection closed" : jerr.text);
        json_decref(resp);
        return EXIT_CONN;
    }
    const json_t *e = json_object_get(resp, "error");
    if (e != NULL) {
        const json_t *msg = json_object_get(e, "message");
        const json_t *data = json_object_get(e, "data");
        fprintf(stderr, "error: %lld: %s%s%s\n",
                (long long)json_integer_value(json_object_get(e, "code")),
                json_is_string(msg) ? json_string_value(msg) : "(no message)",
                json_is_string(data) ? ": " : "",
                json_is_string(data) ? json_string_value(data) : "");
        json_decref(resp);
        return EXIT_RPC;
    }
    /* Always JSON (strings quoted, null as null), so scripts can parse any result. */
    const json_t *r = json_object_get(resp, "result");
    int status = 0;
    char *out = json_dumps(r ? r : json_null(), JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (out == NULL) {
        fprintf(stderr, "korctl: out of memory\n");
        status = EXIT_CONN;
    } else {
        printf("%s\n", out);
        free(out);
    }
    json_decref(resp);
    return status;
}

int main(int argc, char **argv)
{
    const char *sock = getenv("KORCTL_SOCKET");
    int opt;

    while ((opt = getopt(argc, argv, "+s:hV")) != -1) {
        switch (opt) {
        case 's':
            sock = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("korctl %s\n", KR_VERSION);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (sock == NULL || sock[0] == '\0') {
        sock = DEFAULT_SOCKET;
    }

    json_t *params = json_array();
    for (int i = optind + 1; i < argc; i++) {
        json_t *v = param_value(argv[i]);
        if (v == NULL) {
            return EXIT_USAGE;
        }
        json_array_append_new(params, v);
    }
    json_t *req = json_pack("{s:s, s:s, s:o, s:i}", "jsonrpc", "2.0", "method", argv[optind],
                            "params", params, "id", 1);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (text == NULL) {
        fprintf(stderr, "korctl: %s: not valid UTF-8\n", argv[optind]);
        return EXIT_USAGE;
    }

    int fd = connect_to(sock);
    if (fd < 0) {
        free(text);
        return EXIT_CONN;
    }
    /* Request and its newline in one write: the server may answer and close as soon as
     * the JSON text is complete (core.shutdown does), so a second write could fail. */
    size_t tlen = strlen(text);
    char *line = malloc(tlen + 1);
    bool sent = false;
    if (line) {
        memcpy(line, text, tlen);
        line[tlen] = '\n';
        sent = send_all(fd, line, tlen + 1);
        free(line);
    }
    free(text);
    if (!sent) {
        fprintf(stderr, "korctl: sending to %s: %s\n", sock, strerror(errno));
        close(fd);
        return EXIT_CONN;
    }
    size_t len = 0;
    char *resp = recv_line(fd, &len);
    close(fd);
    if (resp == NULL) {
        return EXIT_CONN;
    }
    int status = print_response(resp, len);
    free(resp);
    return status;
}
