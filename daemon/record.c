/*
 * record.c — a log record read back as the event it must be: one msgpack
 * object, a valid stored event, carrying the record's seq. Replay and verify
 * both judge records by it.
 */
#include <stdio.h>

#include "mpguard.h"
#include "protocol.h"
#include "record.h"

struct event *decode_record(const struct store_record *record, char *why, size_t size)
{
    msgpack_unpacked unpacked;
    struct event_error err;
    struct event *event = NULL;
    size_t object_len, offset = 0;

    if (mp_scan(record->body, record->len, record->len, RC_MAX_DEPTH, &object_len) !=
            MP_SCAN_COMPLETE ||
        object_len != record->len) {
        snprintf(why, size, "its body is not one msgpack object");
        return NULL;
    }
    msgpack_unpacked_init(&unpacked);
    if (msgpack_unpack_next(&unpacked, record->body, record->len, &offset) !=
        MSGPACK_UNPACK_SUCCESS)
        snprintf(why, size, "its body does not decode");
    else if ((event = event_decode(&unpacked.data, EVENT_FROM_LOG, &err)) == NULL)
        snprintf(why, size, "not a valid event: %s: %s", err.field, err.message);
    else if (event->seq != record->seq) {
        snprintf(why, size, "its body says seq %llu", (unsigned long long)event->seq);
        event_free(event);
        event = NULL;
    }
    msgpack_unpacked_destroy(&unpacked);
    return event;
}
