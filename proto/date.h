/*
 * date.h — effective dates (events.md §1) and record times.
 *
 * An effective date is YYYY-MM-DD, or a partial YYYY-MM or YYYY. A partial
 * date *counts* on the last day of its period: by then the act certainly
 * happened. Days are counted from 1970-01-01 (day 0) in the proleptic
 * Gregorian calendar, so comparing two counting days compares dates.
 *
 * Record times are integers of microseconds since the epoch, shown as RFC 3339
 * UTC with six fractional digits: 2024-12-12T15:04:05.123456Z.
 */
#ifndef ROLLCALL_DATE_H
#define ROLLCALL_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RC_YEAR_MIN 1000
#define RC_YEAR_MAX 9999

enum date_precision {
    DATE_YEAR = 1,  /* "2024" */
    DATE_MONTH = 2, /* "2024-09" */
    DATE_DAY = 3,   /* "2024-09-30" */
};

struct rc_date {
    int32_t first_day;    /* first day of the period, days since 1970-01-01 */
    int32_t counting_day; /* last day of the period: when the act counts */
    uint16_t year;
    uint8_t month; /* 0 when precision is DATE_YEAR */
    uint8_t day;   /* 0 unless precision is DATE_DAY */
    enum date_precision precision;
};

/*
 * Parses exactly YYYY, YYYY-MM or YYYY-MM-DD (four-digit year RC_YEAR_MIN..
 * RC_YEAR_MAX, two-digit month and day, a real calendar day). Nothing else is
 * accepted: no signs, blanks, times or single digits. On failure returns false
 * and, if why is not NULL, points it at a static phrase such as
 * "no such day: 2024-02 has 29 days".
 */
bool rc_date_parse(const char *text, size_t len, struct rc_date *out, const char **why);

/* Days since 1970-01-01 of a real calendar day (no validation). */
int32_t rc_days_from_civil(int year, unsigned month, unsigned day);
/* The inverse of rc_days_from_civil. */
void rc_civil_from_days(int32_t days, int *year, unsigned *month, unsigned *day);

/* Writes YYYY-MM-DD for a day count into buf (at least 11 bytes). */
void rc_day_format(int32_t days, char buf[static 11]);

/* Today's day number in UTC. */
int32_t rc_today(void);

/* Microseconds since the epoch, from the wall clock (CLOCK_REALTIME). */
int64_t rc_now_us(void);

/*
 * Parses an RFC 3339 time: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM), 't'/'z' and a
 * space for 'T' accepted; a bare date YYYY-MM-DD means its midnight UTC.
 * Fractions finer than a microsecond are truncated.
 */
bool rc_time_parse(const char *text, size_t len, int64_t *us);

#define RC_TIME_TEXT_MAX 32
/* Writes 2024-12-12T15:04:05.123456Z; returns the length written. */
size_t rc_time_format(int64_t us, char buf[static RC_TIME_TEXT_MAX]);

#endif
