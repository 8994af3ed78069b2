/*
 * log.c — stderr logging with journald priorities.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static bool journal; /* stderr is connected to journald */

void log_init(enum log_level level)
{
    max_level = level;
    journal = getenv("JOURNAL_STREAM") != NULL;
}

bool log_level_from_name(const char *name, enum log_level *level)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {
        { "error", LOG_LEVEL_ERROR },
        { "warn", LOG_LEVEL_WARN },
        { "info", LOG_LEVEL_INFO },
        { "debug", LOG_LEVEL_DEBUG },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *level = names[i].level;
            return true;
        }
    }
    return false;
}

static const char *level_word(enum log_level level)
{
    switch (level) {
    case LOG_LEVEL_ERROR:
        return "error";
    case LOG_LEVEL_WARN:
        return "warning";
    case LOG_LEVEL_INFO:
        return "info";
    case LOG_LEVEL_DEBUG:
        return "debug";
    }
    return "?";
}

/* Formats one line; errnum >= 0 appends its description. */
static void log_line(enum log_level level, int errnum, const char *fmt, va_list ap)
{
    char message[1024];

    if (level > max_level)
        return;
    vsnprintf(message, sizeof message, fmt, ap);
    if (journal)
        fprintf(stderr, "<%d>%s", (int)level, message);
    else
        fprintf(stderr, "rollcalld: %s: %s", level_word(level), message);
    if (errnum >= 0)
        fprintf(stderr, ": %s", strerror(errnum));
    fputc('\n', stderr);
}

#define LOG_BODY(level, errnum)                                                                    \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_line(level, errnum, fmt, ap);                                                          \
        va_end(ap);                                                                                \
    } while (0)

void log_error(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_ERROR, -1);
}

void log_warn(const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_LEVEL_WARN, saved);
    errno = saved;
}

void log_warnx(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_WARN, -1);
}

void log_info(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_INFO, -1);
}

void log_debug(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_DEBUG, -1);
}

void fatal(const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_LEVEL_ERROR, saved);
    exit(1);
}

void fatalx(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_ERROR, -1);
    exit(1);
}
