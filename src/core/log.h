/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging. Levels are numbered as `debug=` expects (Kamailio's): -5 ALERT .. 3 DBG.
 * The level is one atomic integer (setdebug, debug=); the sink is stderr or syslog,
 * chosen at start-up. A line reads `LEVEL: unit [wN] message`. Any thread. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

enum kr_log_level {
    KR_L_ALERT = -5,
    KR_L_BUG = -4,
    KR_L_CRIT2 = -3,
    KR_L_CRIT = -2,
    KR_L_ERR = -1,
    KR_L_WARN = 0,
    KR_L_NOTICE = 1,
    KR_L_INFO = 2,
    KR_L_DBG = 3,
};

extern atomic_int kr_log_level_now;

/* Each thread names itself once ("main", "w1", "timer"); shown in brackets. */
void kr_log_set_thread(const char *tag);
/* true: stderr (default); false: syslog with the given facility name. */
void kr_log_set_stderr(bool on);
void kr_log_write(int level, const char *unit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *kr_log_level_name(int level);

static inline bool kr_log_enabled(int level)
{
    return level <= atomic_load_explicit(&kr_log_level_now, memory_order_relaxed);
}

#ifndef KR_LOG_UNIT
#define KR_LOG_UNIT "core"
#endif

#define KR_LOG(level, ...)                                                                         \
    do {                                                                                           \
        if (kr_log_enabled(level)) {                                                               \
            kr_log_write((level), KR_LOG_UNIT, __VA_ARGS__);                                       \
        }                                                                                          \
    } while (0)

#define KR_ALERT(...) KR_LOG(KR_L_ALERT, __VA_ARGS__)
#define KR_CRIT(...) KR_LOG(KR_L_CRIT, __VA_ARGS__)
#define KR_ERR(...) KR_LOG(KR_L_ERR, __VA_ARGS__)
#define KR_WARN(...) KR_LOG(KR_L_WARN, __VA_ARGS__)
#define KR_NOTICE(...) KR_LOG(KR_L_NOTICE, __VA_ARGS__)
#define KR_INFO(...) KR_LOG(KR_L_INFO, __VA_ARGS__)
#define KR_DBG(...) KR_LOG(KR_L_DBG, __VA_ARGS__)

/* Invariant check, on in every build. A failure is a bug in korero, never bad input. */
#define kr_assert(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            kr_assert_fail(#cond, __FILE__, __LINE__);                                             \
        }                                                                                          \
    } while (0)
_Noreturn void kr_assert_fail(const char *what, const char *file, int line);
