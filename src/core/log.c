/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Log sink: one write(2) per line to stderr so lines from threads never interleave,
 * or syslog. Any thread. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

atomic_int kr_log_level_now = KR_L_WARN;
static atomic_bool log_to_stderr = true;
static _Thread_local const char *thread_tag = "main";

void kr_log_set_thread(const char *tag)
{
    thread_tag = tag;
}

void kr_log_set_stderr(bool on)
{
    if (!on) {
        openlog("korero", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    }
    atomic_store(&log_to_stderr, on);
}

const char *kr_log_level_name(int level)
{
    switch (level) {
    case KR_L_ALERT:
        return "ALERT";
    case KR_L_BUG:
        return "BUG";
    case KR_L_CRIT2:
    case KR_L_CRIT:
        return "CRITICAL";
    case KR_L_ERR:
        return "ERROR";
    case KR_L_WARN:
        return "WARNING";
    case KR_L_NOTICE:
        return "NOTICE";
    case KR_L_INFO:
        return "INFO";
    default:
        return "DEBUG";
    }
}

static int syslog_prio(int level)
{
    if (level <= KR_L_ALERT) {
        return LOG_ALERT;
    }
    if (level <= KR_L_CRIT) {
        return LOG_CRIT;
    }
    if (level == KR_L_ERR) {
        return LOG_ERR;
    }
    if (level == KR_L_WARN) {
        return LOG_WARNING;
    }
    if (level == KR_L_NOTICE) {
        return LOG_NOTICE;
    }
    return level == KR_L_INFO ? LOG_INFO : LOG_DEBUG;
}

void kr_log_write(int level, const char *unit, const char *fmt, ...)
{
    char line[2048];
    int n =
        snprintf(line, sizeof(line), "%s: %s [%s] ", kr_log_level_name(level), unit, thread_tag);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        return;
    }
    size_t prefix = (size_t)n;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + prefix, sizeof(line) - prefix - 1, fmt, ap);
    va_end(ap);
    if (m < 0) {
        return;
    }
    size_t len = prefix + (size_t)m;
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
    }
    if (atomic_load(&log_to_stderr)) {
        line[len++] = '\n';
        ssize_t w = write(STDERR_FILENO, line, len);
        (void)w;
    } else {
        line[len] = '\0';
        syslog(syslog_prio(level), "%s", line + strlen(kr_log_level_name(level)) + 2);
    }
}

void kr_assert_fail(const char *what, const char *file, int line)
{
    kr_log_write(KR_L_BUG, "core", "assertion failed: %s (%s:%d)", what, file, line);
    abort();
}
