/*
 * log.h — the daemon's logging, in the OpenBSD daemons' manner.
 *
 * One line per message on stderr. Under systemd (JOURNAL_STREAM set) each
 * line starts with a syslog priority, <3> to <7>, which journald turns into
 * the entry's level; otherwise with the program name and the level's word.
 * log_warn and fatal append strerror(errno); the -x forms do not.
 */
#ifndef ROLLCALLD_LOG_H
#define ROLLCALLD_LOG_H

#include <stdbool.h>

/* Syslog priorities, so the journald prefix is the level itself. */
enum log_level {
    LOG_LEVEL_ERROR = 3,
    LOG_LEVEL_WARN = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

void log_init(enum log_level max_level);
/* "debug", "info", "warn", "error" -> level; false for anything else. */
bool log_level_from_name(const char *name, enum log_level *level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
