/*
 * date.c — effective dates and record times.
 *
 * Day arithmetic uses Howard Hinnant's days_from_civil / civil_from_days,
 * exact for the proleptic Gregorian calendar, with no dependence on the
 * process's time zone (timegm and friends are not needed).
 */
#include "date.h"

#include <stdio.h>
#include <time.h>

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned days_in_month(int year, unsigned month)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

int32_t rc_days_from_civil(int year, unsigned month, unsigned day)
{
    /* 64 bits: era * 146097 passes INT_MAX for years that still fit int32 days. */
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void rc_civil_from_days(int32_t days, int *year, unsigned *month, unsigned *day)
{
    /* 64 bits: the shift to 0000-03-01 would overflow int32 near its ends. */
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)((int64_t)yoe + era * 400 + (*month <= 2));
}

/* Reads exactly n ASCII digits. */
static bool read_digits(const char *s, size_t n, unsigned *value)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *value = v;
    return true;
}

static bool refuse(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return false;
}

bool rc_date_parse(const char *text, size_t len, struct rc_date *out, const char **why)
{
    static const char *const shape = "not a date: use YYYY-MM-DD, YYYY-MM or YYYY";
    unsigned year, month = 0, day = 0;

    if (len != 4 && len != 7 && len != 10)
        return refuse(why, shape);
    if (!read_digits(text, 4, &year))
        return refuse(why, shape);
    if (len >= 7 && (text[4] != '-' || !read_digits(text + 5, 2, &month)))
        return refuse(why, shape);
    if (len == 10 && (text[7] != '-' || !read_digits(text + 8, 2, &day)))
        return refuse(why, shape);
    if (year < RC_YEAR_MIN || year > RC_YEAR_MAX)
        return refuse(why, "no such year: use a four-digit year from 1000 to 9999");
    if (len >= 7 && (month < 1 || month > 12))
        return refuse(why, "no such month: use 01 to 12");
    if (len == 10 && (day < 1 || day > days_in_month((int)year, month)))
        return refuse(why, "no such day in that month");

    out->year = (uint16_t)year;
    out->month = (uint8_t)month;
    out->day = (uint8_t)day;
    if (len == 4) {
        out->precision = DATE_YEAR;
        out->first_day = rc_days_from_civil((int)year, 1, 1);
        out->counting_day = rc_days_from_civil((int)year, 12, 31);
    } else if (len == 7) {
        out->precision = DATE_MONTH;
        out->first_day = rc_days_from_civil((int)year, month, 1);
        out->counting_day = rc_days_from_civil((int)year, month, days_in_month((int)year, month));
    } else {
        out->precision = DATE_DAY;
        out->first_day = out->counting_day = rc_days_from_civil((int)year, month, day);
    }
    return true;
}

void rc_day_format(int32_t days, char buf[static 11])
{
    int year;
    unsigned month, day;
    rc_civil_from_days(days, &year, &month, &day);
    /* Years outside 0..9999 can't come from a parsed date; clamp for safety. */
    if (year < 0)
        year = 0;
    if (year > 9999)
        year = 9999;
    snprintf(buf, 11, "%04d-%02u-%02u", year, month % 100, day % 100);
}

int64_t rc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int32_t rc_today(void)
{
    int64_t us = rc_now_us();
    int64_t seconds = us / 1000000;
    return (int32_t)(seconds / 86400 - (seconds % 86400 < 0));
}

bool rc_time_parse(const char *text, size_t len, int64_t *us)
{
    struct rc_date date;
    unsigned hour = 0, minute = 0, second = 0;
    int64_t fraction_us = 0, offset_s = 0;
    size_t i;

    if (len < 10 || !rc_date_parse(text, 10, &date, NULL) || date.precision != DATE_DAY)
        return false;
    i = 10;
    if (i < len) {
        char t = text[i];
        if ((t != 'T' && t != 't' && t != ' ') || len < i + 9)
            return false;
        if (!read_digits(text + i + 1, 2, &hour) || text[i + 3] != ':' ||
            !read_digits(text + i + 4, 2, &minute) || text[i + 6] != ':' ||
            !read_digits(text + i + 7, 2, &second))
            return false;
        /* 60 admits a leap second, read as the next second's start. */
        if (hour > 23 || minute > 59 || second > 60)
            return false;
        i += 9;
        if (i < len && text[i] == '.') {
            int64_t scale = 100000;
            size_t digits = 0;
            for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++, digits++) {
                fraction_us += (text[i] - '0') * scale;
                scale /= 10;
            }
            if (digits == 0)
                return false;
        }
        if (i >= len)
            return false;
        if (text[i] == 'Z' || text[i] == 'z') {
            i++;
        } else if (text[i] == '+' || text[i] == '-') {
            unsigned oh, om;
            if (len < i + 6 || !read_digits(text + i + 1, 2, &oh) || text[i + 3] != ':' ||
                !read_digits(text + i + 4, 2, &om) || oh > 23 || om > 59)
                return false;
            offset_s = (int64_t)(oh * 3600 + om * 60) * (text[i] == '-' ? -1 : 1);
            i += 6;
        } else {
            return false;
        }
        if (i != len)
            return false;
    }
    int64_t seconds = (int64_t)date.first_day * 86400 + hour * 3600 + minute * 60 + second;
    *us = (seconds - offset_s) * 1000000 + fraction_us;
    return true;
}

size_t rc_time_format(int64_t us, char buf[static RC_TIME_TEXT_MAX])
{
    int64_t seconds = us / 1000000, micros = us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        seconds--;
    }
    int64_t days = seconds / 86400, rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        days--;
    }
    char day[11];
    rc_day_format((int32_t)days, day);
    int n = snprintf(buf, RC_TIME_TEXT_MAX, "%sT%02d:%02d:%02d.%06dZ", day, (int)(rest / 3600),
                     (int)(rest / 60 % 60), (int)(rest % 60), (int)micros);
    return n < 0 ? 0 : (size_t)n;
}
