/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udpblast: open-loop UDP load for the overflow test. Sends N OPTIONS requests at a fixed
 * rate over K sockets (so the server's SO_REUSEPORT sockets all see traffic), collects the
 * replies, and prints "sent=N answered=M" (each request counted once). Single thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_SOCKS = 64, BATCH = 32 };

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static long num(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v <= 0) {
        fprintf(stderr, "udpblast: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

/* Reads every reply waiting on fd and marks its request (Call-ID "blast-<n>"). */
static void drain(int fd, unsigned char *seen, long n, long *answered)
{
    char buf[4096];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (r <= 0) {
            return;
        }
        buf[r] = '\0';
        const char *c = strstr(buf, "Call-ID: blast-");
        if (c == NULL || strncmp(buf, "SIP/2.0 200", 11) != 0) {
            continue;
        }
        long i = strtol(c + 15, NULL, 10);
        if (i >= 0 && i < n && !seen[i]) {
            seen[i] = 1;
            (*answered)++;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: udpblast HOST PORT COUNT RATE SOCKETS\n");
        return 2;
    }
    const char *host = argv[1];
    long port = num(argv[2]), n = num(argv[3]), rate = num(argv[4]), k = num(argv[5]);
    if (k > MAX_SOCKS) {
        k = MAX_SOCKS;
    }
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
        fprintf(stderr, "udpblast: '%s' is not an IPv4 address\n", host);
        return 2;
    }
    int fds[MAX_SOCKS];
    unsigned short lports[MAX_SOCKS];
    struct pollfd pfd[MAX_SOCKS];
    for (long i = 0; i < k; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        int big = 8 * 1024 * 1024;
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
        struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = dst.sin_addr };
        socklen_t ml = sizeof(me);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&me, sizeof(me)) < 0 ||
            connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
            getsockname(fds[i], (struct sockaddr *)&me, &ml) < 0) {
            perror("udpblast: socket");
            return 2;
        }
        lports[i] = ntohs(me.sin_port);
        pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
    }
    unsigned char *seen = calloc((size_t)n, 1);
    long sent = 0, answered = 0;
    uint64_t t0 = now_us();
    char msg[1024];
    while (sent < n) {
        /* Requests due by now at the given rate. */
        long due = (long)((double)(now_us() - t0) * (double)rate / 1e6);
        if (due > n) {
            due = n;
        }
        while (sent < due) {
            long s = sent % k;
            int len = snprintf(msg, sizeof(msg),
                               "OPTIONS sip:%s:%ld SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-b%ld;rport\r\n"
                               "Max-Forwards: 70\r\n"
                               "From: <sip:blast@%s>;tag=b%ld\r\n"
                               "To: <sip:%s:%ld>\r\n"
                               "Call-ID: blast-%ld\r\n"
                               "CSeq: 1 OPTIONS\r\n"
                               "Content-Length: 0\r\n\r\n",
                               host, port, host, lports[s], sent, host, sent, host, port, sent);
            if (send(fds[s], msg, (size_t)len, 0) < 0 && errno != EAGAIN) {
                perror("udpblast: send");
            }
            sent++;
        }
        int r = poll(pfd, (nfds_t)k, 0);
        for (long i = 0; r > 0 && i < k; i++) {
            if (pfd[i].revents & POLLIN) {
                drain(fds[i], seen, n, &answered);
            }
        }
    }
    double secs = (double)(now_us() - t0) / 1e6;
    /* Stragglers: wait until nothing has come for 500 ms. */
    for (;;) {
        int r = poll(pfd, (nfds_t)k, 500);
        if (r <= 0) {
            break;
        }
        for (long i = 0; i < k; i++) {
            if (pfd[i].revents & POLLIN) {
                drain(fds[i], seen, n, &answered);
            }
        }
    }
    printf("sent=%ld answered=%ld seconds=%.3f rate=%.0f\n", sent, answered, secs,
           (double)sent / secs);
    free(seen);
    return 0;
}
