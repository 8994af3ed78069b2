/*
 * test_date.c — effective dates (events.md §1) and record times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "date.h"

/* ---- helpers ------------------------------------------------------------ */

static struct rc_date parse_ok(const char *text)
{
    struct rc_date date;
    const char *why = NULL;
    if (!rc_date_parse(text, strlen(text), &date, &why))
        fail_msg("\"%s\" refused: %s", text, why ? why : "(no reason)");
    return date;
}

static void assert_day(int32_t days, const char *expected)
{
    char buf[11];
    rc_day_format(days, buf);
    assert_string_equal(buf, expected);
}

/* ---- effective dates ----------------------------------------------------- */

static void test_full_date(void **state)
{
    (void)state;
    struct rc_date d = parse_ok("2024-09-30");
    assert_int_equal(d.precision, DATE_DAY);
    assert_int_equal(d.year, 2024);
    assert_int_equal(d.month, 9);
    assert_int_equal(d.day, 30);
    assert_int_equal(d.first_day, d.counting_day);
    assert_day(d.counting_day, "2024-09-30");
}

static void test_epoch_is_day_zero(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1970-01-01").first_day, 0);
    assert_int_equal(parse_ok("1969-12-31").first_day, -1);
    assert_int_equal(parse_ok("2000-03-01").first_day, 11017);
}

static void test_partial_dates_count_on_their_last_day(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum date_precision precision;
        const char *first, *counting;
    } cases[] = {
        { "2024", DATE_YEAR, "2024-01-01", "2024-12-31" },
        { "2024-02", DATE_MONTH, "2024-02-01", "2024-02-29" },
        { "2023-02", DATE_MONTH, "2023-02-01", "2023-02-28" },
        { "1900-02", DATE_MONTH, "1900-02-01", "1900-02-28" },
        { "2000-02", DATE_MONTH, "2000-02-01", "2000-02-29" },
        { "2024-09", DATE_MONTH, "2024-09-01", "2024-09-30" },
        { "2024-12", DATE_MONTH, "2024-12-01", "2024-12-31" },
        { "2024-04", DATE_MONTH, "2024-04-01", "2024-04-30" },
        { "1000", DATE_YEAR, "1000-01-01", "1000-12-31" },
        { "9999", DATE_YEAR, "9999-01-01", "9999-12-31" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rc_date d = parse_ok(cases[i].text);
        assert_int_equal(d.precision, cases[i].precision);
        assert_day(d.first_day, cases[i].first);
        assert_day(d.counting_day, cases[i].counting);
    }
    struct rc_date year = parse_ok("2024");
    assert_int_equal(year.month, 0);
    assert_int_equal(year.day, 0);
    struct rc_date month = parse_ok("2024-02");
    assert_int_equal(month.month, 2);
    assert_int_equal(month.day, 0);
}

static void test_valid_edges(void **state)
{
    (void)state;
    const char *valid[] = { "2024-02-29", "2000-02-29", "2023-02-28", "2024-01-31",
                            "2024-04-30", "1000-01-01", "9999-12-31", "1600-02-29" };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        assert_day(parse_ok(valid[i]).counting_day, valid[i]);
}

static void test_rejects(void **state)
{
    (void)state;
    const char *invalid[] = {
        "2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31",  "2024-13",
        "2024-00",    "2024-01-00", "2024-01-32", "24-01-01",    "2024-1-1",
        "2024-01-1",  "0999",       "0000",       "2024-01-01 ", " 2024",
        "",           "+2024",      "-2024",      "2024/01/01",  "2024-01-01T00:00:00Z",
        "20240101",   "2024-0a",    "202a",       "2024--01",    "2024-01-",
        "10000",      "２０２４",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        struct rc_date d;
        const char *why = NULL;
        if (rc_date_parse(invalid[i], strlen(invalid[i]), &d, &why))
            fail_msg("\"%s\" accepted", invalid[i]);
        assert_non_null(why);
        assert_true(strlen(why) > 0);
    }
    /* why may be NULL; the length bounds the text (no NUL needed). */
    struct rc_date d;
    assert_false(rc_date_parse("2024-02-30", 10, &d, NULL));
    assert_true(rc_date_parse("2024-02-29xyz", 10, &d, NULL));
    assert_day(d.counting_day, "2024-02-29");
}

static void test_reasons_name_the_problem(void **state)
{
    (void)state;
    struct rc_date d;
    const char *why = NULL;
    assert_false(rc_date_parse("0999", 4, &d, &why));
    assert_non_null(strstr(why, "year"));
    assert_false(rc_date_parse("2024-13", 7, &d, &why));
    assert_non_null(strstr(why, "month"));
    assert_false(rc_date_parse("2024-02-30", 10, &d, &why));
    assert_non_null(strstr(why, "day"));
}

/* ---- day arithmetic ------------------------------------------------------ */

static void test_days_round_trip(void **state)
{
    (void)state;
    /* Every day from year -1000 to 12000: consecutive and invertible. */
    int32_t from = rc_days_from_civil(-1000, 1, 1), to = rc_days_from_civil(12000, 12, 31);
    int year = -1000;
    unsigned month = 1, day = 1;
    for (int32_t n = from; n <= to; n++) {
        int y;
        unsigned m, dd;
        rc_civil_from_days(n, &y, &m, &dd);
        if (y != year || m != month || dd != day)
            fail_msg("day %d: got %d-%u-%u, expected %d-%u-%u", (int)n, y, m, dd, year, month, day);
        assert_int_equal(rc_days_from_civil(y, m, dd), n);
        /* advance the expected civil date by one day */
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        static const unsigned length[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned last = month == 2 && leap ? 29 : length[month - 1];
        if (++day > last) {
            day = 1;
            if (++month > 12) {
                month = 1;
                year++;
            }
        }
    }
    assert_int_equal(year, 12001);
}

static void test_days_extremes(void **state)
{
    (void)state;
    /* The ends of int32 must not overflow inside the conversion. */
    int32_t ends[] = { INT32_MAX, INT32_MIN, INT32_MAX - 719468, INT32_MIN + 1 };
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        int y;
        unsigned m, d;
        rc_civil_from_days(ends[i], &y, &m, &d);
        assert_in_range(m, 1, 12);
        assert_in_range(d, 1, 31);
        assert_int_equal(rc_days_from_civil(y, m, d), ends[i]);
    }
}

static void test_today_is_plausible(void **state)
{
    (void)state;
    int64_t before = rc_now_us();
    int32_t today = rc_today();
    int64_t after = rc_now_us();
    assert_true(today > rc_days_from_civil(2020, 1, 1));
    assert_true(today < rc_days_from_civil(2200, 1, 1));
    assert_in_range(today, before / 1000000 / 86400, after / 1000000 / 86400);
}

/* ---- record times -------------------------------------------------------- */

static int64_t time_ok(const char *text)
{
    int64_t us;
    if (!rc_time_parse(text, strlen(text), &us))
        fail_msg("\"%s\" refused", text);
    return us;
}

static void test_time_parse(void **state)
{
    (void)state;
    const int64_t base = (int64_t)rc_days_from_civil(2024, 12, 12) * 86400 * 1000000;
    const int64_t at = base + ((15 * 3600 + 4 * 60 + 5) * INT64_C(1000000));

    assert_int_equal(time_ok("2024-12-12T15:04:05Z"), at);
    assert_int_equal(time_ok("2024-12-12t15:04:05z"), at);
    assert_int_equal(time_ok("2024-12-12 15:04:05Z"), at);
    assert_int_equal(time_ok("2024-12-12T15:04:05.123456Z"), at + 123456);
    assert_int_equal(time_ok("2024-12-12T15:04:05.1Z"), at + 100000);
    assert_int_equal(time_ok("2024-12-12T15:04:05.000001Z"), at + 1);
    /* finer than a microsecond: truncated */
    assert_int_equal(time_ok("2024-12-12T15:04:05.1234569999Z"), at + 123456);
    assert_int_equal(time_ok("2024-12-12T17:04:05+02:00"), at);
    assert_int_equal(time_ok("2024-12-12T14:34:05-00:30"), at);
    assert_int_equal(time_ok("2024-12-13T00:04:05.5+09:00"), at + 500000);
    assert_int_equal(time_ok("2024-12-12"), base);
    assert_int_equal(time_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(time_ok("1969-12-31T23:59:59.999999Z"), -1);
    /* a leap second reads as the next second's start */
    assert_int_equal(time_ok("2016-12-31T23:59:60Z"), time_ok("2017-01-01T00:00:00Z"));
}

static void test_time_rejects(void **state)
{
    (void)state;
    const char *invalid[] = {
        "",
        "2024-12-12T15:04:05",
        "2024-12-12T15:04Z",
        "2024-12-12T24:00:00Z",
        "2024-12-12T15:60:00Z",
        "2024-12-12T15:04:61Z",
        "2024-12-12T15:04:05.Z",
        "2024-12-12T15:04:05+2:00",
        "2024-12-12T15:04:05+02",
        "2024-12-12T15:04:05+24:00",
        "2024-12-12T15:04:05+02:60",
        "2024-12-12T15:04:05Zjunk",
        "2024-12-12X15:04:05Z",
        "2024-12-12T15:04:05 Z",
        "2024-02-30T00:00:00Z",
        "2024-12T00:00:00Z",
        "0999-12-12T15:04:05Z",
        "2024-12-12T",
        "2024-12-12T1a:04:05Z",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        int64_t us;
        if (rc_time_parse(invalid[i], strlen(invalid[i]), &us))
            fail_msg("\"%s\" accepted", invalid[i]);
    }
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[RC_TIME_TEXT_MAX];
    int64_t at = time_ok("2024-12-12T15:04:05.123456Z");
    size_t n = rc_time_format(at, buf);
    assert_int_equal(n, strlen("2024-12-12T15:04:05.123456Z"));
    assert_string_equal(buf, "2024-12-12T15:04:05.123456Z");
    rc_time_format(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
    rc_time_format(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
}

static void test_time_round_trip(void **state)
{
    (void)state;
    /* From 1000-01-01 to 9999-12-31 in strides that touch every field. */
    const int64_t first = (int64_t)rc_days_from_civil(1000, 1, 1) * 86400 * 1000000;
    const int64_t end = ((int64_t)rc_days_from_civil(9999, 12, 31) + 1) * 86400 * 1000000;
    const int64_t stride = INT64_C(86400) * 1000000 * 37 + 3600 * INT64_C(1000000) * 5 +
                           61 * INT64_C(1000000) + 123457;
    char buf[RC_TIME_TEXT_MAX];
    unsigned checked = 0;
    for (int64_t us = first; us < end; us += stride) {
        size_t n = rc_time_format(us, buf);
        int64_t back;
        if (!rc_time_parse(buf, n, &back) || back != us)
            fail_msg("%s does not read back as %lld", buf, (long long)us);
        checked++;
    }
    rc_time_format(end - 1, buf);
    assert_string_equal(buf, "9999-12-31T23:59:59.999999Z");
    assert_true(checked > 85000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_date),
        cmocka_unit_test(test_epoch_is_day_zero),
        cmocka_unit_test(test_partial_dates_count_on_their_last_day),
        cmocka_unit_test(test_valid_edges),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_reasons_name_the_problem),
        cmocka_unit_test(test_days_round_trip),
        cmocka_unit_test(test_days_extremes),
        cmocka_unit_test(test_today_is_plausible),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_rejects),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
