/*
 * event.h — the event schema (events.md §2): decoding, validation and the
 * canonical encoding, shared by the daemon, the client and the tests.
 *
 * An event is decoded from a msgpack map into a struct event that owns copies
 * of its strings (a msgpack object's strings die with its zone). Validation is
 * total: an event that breaks any rule is refused whole, with the offending
 * field and a sentence a script author understands.
 */
#ifndef ROLLCALL_EVENT_H
#define ROLLCALL_EVENT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "date.h"

enum event_type {
    /* facts */
    EVENT_ESTABLISHED,
    EVENT_SIGNED,
    EVENT_RATIFIED,
    EVENT_ADHERED,
    EVENT_WITHDREW,
    EVENT_ANNOUNCED,
    /* meta events: they point at a fact by seq */
    EVENT_CORRECTED,
    EVENT_RETRACTED,
    EVENT_TYPE_COUNT,
};

/*
 * The string fields, in canonical order (the order event_pack writes them).
 * Non-string fields (target, fact) and the stamps (seq, recorded) are members
 * of struct event of their own.
 */
enum event_field {
    FIELD_TYPE,
    FIELD_COALITION,
    FIELD_DATE,
    FIELD_COUNTRY,
    FIELD_NAME,
    FIELD_BASIS,
    FIELD_PURPOSE,
    FIELD_VENUE,
    FIELD_SPEAKER,
    FIELD_COMMITMENT,
    FIELD_TEXT,
    FIELD_ID,
    FIELD_SOURCE,
    FIELD_NOTE,
    FIELD_STRING_COUNT,
};

struct event {
    uint64_t seq;        /* position in the log; 0 until stored */
    int64_t recorded_us; /* when it became durable; 0 until stored */
    enum event_type type;
    struct rc_date date;
    /*
     * field[FIELD_x]: a NUL-terminated copy of the string, or NULL when absent.
     * field_len[FIELD_x] is its length in bytes. field[FIELD_TYPE] and
     * field[FIELD_DATE] are always set; field[FIELD_COALITION] is NULL only in
     * a correction's fact that leaves it out (it is then the target's).
     */
    const char *field[FIELD_STRING_COUNT];
    uint32_t field_len[FIELD_STRING_COUNT];
    uint64_t target;          /* corrected, retracted: the seq of the fact */
    struct event *fact;       /* corrected: the whole replacement fact */
    const char *country_key;  /* country with surrounding blanks trimmed */
    uint32_t country_key_len; /* (points into field[FIELD_COUNTRY]; not NUL-terminated) */
};

/* Where an event map comes from decides which fields it may carry. */
enum event_origin {
    EVENT_FROM_CLIENT, /* no seq, no recorded: the daemon assigns them */
    EVENT_FROM_LOG,    /* seq and recorded (integer microseconds) required */
    EVENT_FROM_WIRE,   /* seq and recorded (RFC 3339 string) optional: exports */
};

/* Why an event was refused: the field (a name from the schema, or "" for the
 * event as a whole) and a sentence. */
struct event_error {
    char field[32];
    char message[200];
};

/*
 * Decodes and validates one event. obj must come from bytes that passed
 * mp_scan. Returns a new event, or NULL with err filled in. An allocation
 * failure is reported as an error on field "" ("out of memory").
 */
struct event *event_decode(const msgpack_object *obj, enum event_origin origin,
                           struct event_error *err);

/* Frees an event and its fact. NULL is fine. */
void event_free(struct event *event);

enum event_encoding {
    ENCODE_LOG,     /* seq, recorded (int µs) first, then the content: the log's bytes */
    ENCODE_WIRE,    /* the content, then seq and recorded (RFC 3339) when stored */
    ENCODE_CONTENT, /* the content alone: what a caller gives */
};

/*
 * Packs the event as one msgpack map, fields in canonical order. ENCODE_LOG
 * puts seq and recorded first: the store reads them there without a general
 * decoder (store/FORMAT.md). Returns 0, or -1 if the packer failed.
 */
int event_pack(msgpack_packer *pk, const struct event *event, enum event_encoding encoding);

/*
 * True when two events say the same thing: same type, date text, every string
 * field byte for byte, target and fact. Stamps are not compared. This is the
 * idempotency test of events.md §4.
 */
bool event_same_content(const struct event *a, const struct event *b);

/* Deep copy; NULL on allocation failure. */
struct event *event_clone(const struct event *event);

const char *event_type_name(enum event_type type);
/* Returns false for an unknown name. */
bool event_type_from_name(const char *name, size_t len, enum event_type *type);
const char *event_field_name(enum event_field field);

static inline bool event_type_is_fact(enum event_type type)
{
    return type <= EVENT_ANNOUNCED;
}

static inline bool event_type_is_meta(enum event_type type)
{
    return type == EVENT_CORRECTED || type == EVENT_RETRACTED;
}

/* signed, ratified, adhered, withdrew: the facts that move membership. */
static inline bool event_type_is_membership(enum event_type type)
{
    return type >= EVENT_SIGNED && type <= EVENT_WITHDREW;
}

#endif
