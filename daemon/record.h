/*
 * record.h — reading a log record as an event (record.c).
 */
#ifndef ROLLCALLD_RECORD_H
#define ROLLCALLD_RECORD_H

#include <stddef.h>

#include "event.h"
#include "store.h"

/*
 * Decodes a record's body as the stored event it must be (its seq the
 * record's). NULL with why saying what is wrong. Pure: safe on any thread.
 */
struct event *decode_record(const struct store_record *record, char *why, size_t size);

#endif
