/*
 * fuzz_event.c — bytes as an event: mp_scan, msgpack-c, event_decode.
 *
 * Whatever the bytes, nothing may crash, leak or read out of bounds, and:
 * - msgpack-c must agree with mp_scan on where a complete object ends;
 * - a refusal names a field (NUL-terminated) and gives a sentence;
 * - an accepted event survives every encoding: packed as the log, the wire
 *   or a caller would, it decodes to the same content, and the log's bytes
 *   are canonical (packing the read-back gives the same bytes);
 * - a clone says the same thing.
 */
#include <string.h>

#include <msgpack.h>

#include "event.h"
#include "fuzz.h"
#include "mpguard.h"
#include "protocol.h"

static void pack(msgpack_sbuffer *sb, const struct event *ev, enum event_encoding encoding)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    FUZZ_CHECK(event_pack(&pk, ev, encoding) == 0);
}

/* Decodes packed bytes the way the daemon reads them; the event must come back. */
static struct event *decode_packed(const msgpack_sbuffer *sb, enum event_origin origin)
{
    msgpack_unpacked obj;
    struct event_error err;
    size_t len = 0, off = 0;

    FUZZ_CHECK(mp_scan(sb->data, sb->size, FUZZ_LIMIT, RC_MAX_DEPTH, &len) == MP_SCAN_COMPLETE);
    FUZZ_CHECK(len == sb->size);
    msgpack_unpacked_init(&obj);
    FUZZ_CHECK(msgpack_unpack_next(&obj, sb->data, sb->size, &off) == MSGPACK_UNPACK_SUCCESS);
    struct event *ev = event_decode(&obj.data, origin, &err);
    msgpack_unpacked_destroy(&obj);
    if (ev == NULL)
        fprintf(stderr, "re-decoding refused: %s: %s\n", err.field, err.message);
    FUZZ_CHECK(ev != NULL);
    return ev;
}

static void check_round_trip(const struct event *ev, enum event_encoding encoding,
                             enum event_origin origin)
{
    msgpack_sbuffer sb, again;
    pack(&sb, ev, encoding);
    struct event *back = decode_packed(&sb, origin);
    FUZZ_CHECK(event_same_content(ev, back));
    FUZZ_CHECK(back->date.counting_day == ev->date.counting_day);
    if (encoding != ENCODE_CONTENT) {
        FUZZ_CHECK(back->seq == ev->seq);
        FUZZ_CHECK(back->recorded_us == ev->recorded_us);
    }
    pack(&again, back, encoding);
    FUZZ_CHECK(again.size == sb.size && memcmp(again.data, sb.data, sb.size) == 0);
    msgpack_sbuffer_destroy(&again);
    msgpack_sbuffer_destroy(&sb);
    event_free(back);
}

static void check_event(struct event *ev)
{
    if (ev->seq == 0) { /* a caller's event, stamped as the daemon would */
        ev->seq = 1;
        ev->recorded_us = INT64_C(1733995445123456);
    }
    check_round_trip(ev, ENCODE_LOG, EVENT_FROM_LOG);
    check_round_trip(ev, ENCODE_WIRE, EVENT_FROM_WIRE);
    check_round_trip(ev, ENCODE_CONTENT, EVENT_FROM_CLIENT);

    struct event *copy = event_clone(ev);
    FUZZ_CHECK(copy != NULL && event_same_content(ev, copy) && event_same_content(copy, ev));
    FUZZ_CHECK(copy->seq == ev->seq && copy->recorded_us == ev->recorded_us);
    FUZZ_CHECK(copy->country_key_len == ev->country_key_len);
    event_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum event_origin origins[] = { EVENT_FROM_CLIENT, EVENT_FROM_LOG,
                                                 EVENT_FROM_WIRE };
    const char *bytes = (const char *)data;
    msgpack_unpacked obj;
    size_t len = 0, off = 0;

    if (mp_scan(bytes, size, FUZZ_LIMIT, RC_MAX_DEPTH, &len) != MP_SCAN_COMPLETE)
        return 0;
    FUZZ_CHECK(len >= 1 && len <= size);
    msgpack_unpacked_init(&obj);
    FUZZ_CHECK(msgpack_unpack_next(&obj, bytes, len, &off) == MSGPACK_UNPACK_SUCCESS);
    FUZZ_CHECK(off == len);

    for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++) {
        struct event_error err;
        memset(&err, 0x55, sizeof err);
        struct event *ev = event_decode(&obj.data, origins[i], &err);
        if (ev == NULL) {
            FUZZ_CHECK(memchr(err.field, '\0', sizeof err.field) != NULL);
            FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
            FUZZ_CHECK(err.message[0] != '\0');
            continue;
        }
        FUZZ_CHECK(ev->field[FIELD_TYPE] != NULL && ev->field[FIELD_DATE] != NULL &&
                   ev->field[FIELD_COALITION] != NULL);
        FUZZ_CHECK((ev->fact != NULL) == (ev->type == EVENT_CORRECTED));
        check_event(ev);
        event_free(ev);
    }
    msgpack_unpacked_destroy(&obj);
    return 0;
}
