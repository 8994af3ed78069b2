/*
 * testkit.c — JSON to msgpack (as the client converts it) to struct event,
 * and appending as the daemon does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testkit.h"

struct event *tk_event_from_json(json_t *object, struct event_error *err)
{
    msgpack_sbuffer buffer;
    msgpack_packer pk;
    msgpack_unpacked unpacked;
    struct event *ev = NULL;

    msgpack_sbuffer_init(&buffer);
    msgpack_packer_init(&pk, &buffer, msgpack_sbuffer_write);
    msgpack_unpacked_init(&unpacked);
    assert_int_equal(convert_json_to_msgpack(object, &pk), 0);
    assert_int_equal(msgpack_unpack_next(&unpacked, buffer.data, buffer.size, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    ev = event_decode(&unpacked.data, EVENT_FROM_CLIENT, err);
    msgpack_unpacked_destroy(&unpacked);
    msgpack_sbuffer_destroy(&buffer);
    return ev;
}

struct event *tk_event(const char *text)
{
    char *json = strdup(text);
    json_error_t jerr;
    struct event_error err;

    assert_non_null(json);
    for (char *p = json; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    json_t *object = json_loads(json, 0, &jerr);
    if (object == NULL)
        fail_msg("bad test JSON %s: %s", json, jerr.text);
    struct event *ev = tk_event_from_json(object, &err);
    if (ev == NULL)
        fail_msg("event refused (%s: %s): %s", err.field, err.message, json);
    json_decref(object);
    free(json);
    return ev;
}

struct event *tk_eventf(const char *format, ...)
{
    char text[4096];
    va_list ap;

    va_start(ap, format);
    int n = vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof text);
    return tk_event(text);
}

int64_t tk_recorded_us(uint64_t seq)
{
    /* 2024-12-01T00:00:00Z, then a second per event. */
    return INT64_C(1733011200000000) + (int64_t)seq * 1000000;
}

uint64_t tk_append(struct membership *m, struct event *event)
{
    struct append_error err;
    uint64_t repeat = 99;
    struct event *batch[1] = { event };

    if (!membership_check_batch(m, batch, 1, &repeat, &err))
        fail_msg("append refused: %s (%s)", err.message, err.field);
    assert_int_equal(repeat, 0);
    event->seq = membership_head(m) + 1;
    event->recorded_us = tk_recorded_us(event->seq);
    membership_apply(m, event);
    return event->seq;
}

uint64_t tk_record(struct membership *m, const char *text)
{
    return tk_append(m, tk_event(text));
}

int32_t tk_day(const char *date)
{
    struct rc_date d;
    assert_true(rc_date_parse(date, strlen(date), &d, NULL));
    return d.counting_day;
}
