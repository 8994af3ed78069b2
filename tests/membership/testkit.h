/*
 * testkit.h — building events for the membership tests: from JSON text (as a
 * dataset line would give them) through msgpack and event_decode, exactly
 * the path a client's event takes.
 */
#ifndef ROLLCALL_TESTKIT_H
#define ROLLCALL_TESTKIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "membership.h"

/*
 * Decodes one event from a JSON object as a client would send it. NULL with
 * err filled in when the event is refused.
 */
struct event *tk_event_from_json(json_t *object, struct event_error *err);

/*
 * Decodes JSON text in which ' stands for " (test literals read better that
 * way; none of them needs an apostrophe). Fails the test if refused.
 */
struct event *tk_event(const char *text);

/* printf-style tk_event. */
struct event *tk_eventf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/*
 * Appends one event as the daemon would: checks it as a batch of one, stamps
 * it with the next seq and a recorded time, applies it. Fails the test if the
 * check refuses it or calls it a repeat. Returns the seq.
 */
uint64_t tk_append(struct membership *m, struct event *event);

/* tk_append(m, tk_event(text)). */
uint64_t tk_record(struct membership *m, const char *text);

/* The counting day of a date text such as "2024-09" (fails the test if bad). */
int32_t tk_day(const char *date);

/* The recorded time tk_append gives seq. */
int64_t tk_recorded_us(uint64_t seq);

#endif
