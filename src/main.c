/* SPDX-License-Identifier: GPL-2.0-or-later */
/* korero start-up and shutdown only: arguments, then the server's load/start/wait/free.
 * Main thread. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_config.h"
#include "server.h"

enum { MAX_DEFINES = 64 };

static void usage(FILE *out)
{
    fprintf(out, "usage: korero [-f FILE] [-c] [-A NAME[=VALUE]]... [-V] [-h]\n"
                 "  -f FILE    routing config (default etc/korero.cfg)\n"
                 "  -c         check the config and exit\n"
                 "  -A NAME    define NAME (or NAME=VALUE) for the config preprocessor\n"
                 "  -V         print version and build options\n"
                 "  -D, -E     accepted for Kamailio compatibility (korero runs in the\n"
                 "             foreground and logs to stderr unless log_stderror=no)\n"
                 "  -h         this help\n");
}

int main(int argc, char **argv)
{
    const char *defines[MAX_DEFINES];
    struct kr_server_opts o = { .cfg_path = "etc/korero.cfg", .defines = defines };
    bool check_only = false;
    int c;

    while ((c = getopt(argc, argv, "f:cA:VhDE")) != -1) {
        switch (c) {
        case 'f':
            o.cfg_path = optarg;
            break;
        case 'c':
            check_only = true;
            break;
        case 'A':
            if (o.ndefines == MAX_DEFINES) {
                fprintf(stderr, "korero: too many -A (at most %d)\n", MAX_DEFINES);
                return 1;
            }
            defines[o.ndefines++] = optarg;
            break;
        case 'V':
            printf("korero %s\nbuild: %s\n", KR_VERSION, KR_BUILD_OPTS);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'D':
        case 'E':
            break;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "korero: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 1;
    }

    struct kr_server *s = kr_server_load(&o);
    if (s == NULL) {
        return 1;
    }
    if (check_only) {
        fprintf(stderr, "%s: config OK\n", o.cfg_path);
        kr_server_free(s);
        return 0;
    }
    int rc = kr_server_start(s);
    if (rc == 0) {
        kr_server_wait(s);
    }
    kr_server_free(s);
    return rc == 0 ? 0 : 1;
}
