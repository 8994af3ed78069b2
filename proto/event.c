/*
 * event.c — decoding, validation and canonical encoding of events.
 *
 * The schema is the table `string_fields` below plus the two non-string
 * fields (target, fact) and the stamps (seq, recorded). Validation walks the
 * map once, checking each value as it meets it, then checks what is required.
 * A decoded event lives in one allocation: the struct, then its strings.
 */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "rpc.h"

#define TYPE_BIT(t) (1u << (t))
#define ALL_TYPES   ((1u << EVENT_TYPE_COUNT) - 1)
#define MEMBERSHIP_BITS                                                                            \
    (TYPE_BIT(EVENT_SIGNED) | TYPE_BIT(EVENT_RATIFIED) | TYPE_BIT(EVENT_ADHERED) |                 \
     TYPE_BIT(EVENT_WITHDREW))

#define SLUG_MAX 64

struct field_rule {
    const char *name;
    uint32_t min_len; /* when given; a required field is at least 1 anyway */
    uint32_t max_len;
    uint32_t allowed;  /* TYPE_BITs of the types that may carry it */
    uint32_t required; /* TYPE_BITs of the types that must */
    bool multiline;    /* may contain '\n' */
};

static const struct field_rule string_fields[FIELD_STRING_COUNT] = {
    [FIELD_TYPE] = { RC_KEY_TYPE, 1, 16, ALL_TYPES, ALL_TYPES, false },
    [FIELD_COALITION] = { RC_KEY_COALITION, 1, SLUG_MAX, ALL_TYPES, ALL_TYPES, false },
    [FIELD_DATE] = { RC_KEY_DATE, 1, 10, ALL_TYPES, ALL_TYPES, false },
    [FIELD_COUNTRY] = { RC_KEY_COUNTRY, 1, 128, MEMBERSHIP_BITS | TYPE_BIT(EVENT_ANNOUNCED),
                        MEMBERSHIP_BITS, false },
    [FIELD_NAME] = { RC_KEY_NAME, 1, 256, TYPE_BIT(EVENT_ESTABLISHED), TYPE_BIT(EVENT_ESTABLISHED),
                     false },
    [FIELD_BASIS] = { RC_KEY_BASIS, 0, 1024, TYPE_BIT(EVENT_ESTABLISHED), 0, false },
    [FIELD_PURPOSE] = { RC_KEY_PURPOSE, 0, 1024, TYPE_BIT(EVENT_ESTABLISHED), 0, false },
    [FIELD_VENUE] = { RC_KEY_VENUE, 0, 256, TYPE_BIT(EVENT_ANNOUNCED), 0, false },
    [FIELD_SPEAKER] = { RC_KEY_SPEAKER, 0, 256, TYPE_BIT(EVENT_ANNOUNCED), 0, false },
    [FIELD_COMMITMENT] = { RC_KEY_COMMITMENT, 0, 256, TYPE_BIT(EVENT_ANNOUNCED), 0, false },
    [FIELD_TEXT] = { RC_KEY_TEXT, 0, 8192, TYPE_BIT(EVENT_ANNOUNCED), 0, true },
    /* events.md gives the idempotency key 1-128: an empty key names nothing. */
    [FIELD_ID] = { RC_KEY_ID, 1, 128, ALL_TYPES, 0, false },
    [FIELD_SOURCE] = { RC_KEY_SOURCE, 0, 2048, ALL_TYPES, 0, false },
    [FIELD_NOTE] = { RC_KEY_NOTE, 0, 8192, ALL_TYPES, TYPE_BIT(EVENT_RETRACTED), true },
};

static const char *const type_names[EVENT_TYPE_COUNT] = {
    [EVENT_ESTABLISHED] = "established", [EVENT_SIGNED] = "signed",
    [EVENT_RATIFIED] = "ratified",       [EVENT_ADHERED] = "adhered",
    [EVENT_WITHDREW] = "withdrew",       [EVENT_ANNOUNCED] = "announced",
    [EVENT_CORRECTED] = "corrected",     [EVENT_RETRACTED] = "retracted",
};

const char *event_type_name(enum event_type type)
{
    return type < EVENT_TYPE_COUNT ? type_names[type] : "unknown";
}

bool event_type_from_name(const char *name, size_t len, enum event_type *type)
{
    for (int t = 0; t < EVENT_TYPE_COUNT; t++) {
        if (strlen(type_names[t]) == len && memcmp(type_names[t], name, len) == 0) {
            *type = (enum event_type)t;
            return true;
        }
    }
    return false;
}

const char *event_field_name(enum event_field field)
{
    return field < FIELD_STRING_COUNT ? string_fields[field].name : "unknown";
}

/* ---- building ------------------------------------------------------------ */

/* A string value on its way into an event: points at the source bytes. */
struct span {
    const char *ptr;
    uint32_t len;
};

/*
 * Allocates an event holding copies of the given strings. fact is adopted.
 * The strings sit right after the struct, in the same allocation.
 */
static struct event *event_build(enum event_type type, const struct span *spans,
                                 const struct rc_date *date, uint64_t target, struct event *fact)
{
    size_t total = sizeof(struct event);
    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        if (spans[f].ptr)
            total += spans[f].len + 1;
    }
    struct event *ev = calloc(1, total);
    if (ev == NULL)
        return NULL;

    char *arena = (char *)(ev + 1);
    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        if (spans[f].ptr == NULL)
            continue;
        memcpy(arena, spans[f].ptr, spans[f].len);
        arena[spans[f].len] = '\0';
        ev->field[f] = arena;
        ev->field_len[f] = spans[f].len;
        arena += spans[f].len + 1;
    }
    ev->type = type;
    ev->date = *date;
    ev->target = target;
    ev->fact = fact;

    /* The comparison key: the country without surrounding spaces. */
    if (ev->field[FIELD_COUNTRY]) {
        const char *s = ev->field[FIELD_COUNTRY];
        size_t len = ev->field_len[FIELD_COUNTRY];
        while (len > 0 && *s == ' ') {
            s++;
            len--;
        }
        while (len > 0 && s[len - 1] == ' ')
            len--;
        ev->country_key = s;
        ev->country_key_len = (uint32_t)len;
    }
    return ev;
}

void event_free(struct event *event)
{
    if (event == NULL)
        return;
    event_free(event->fact);
    free(event);
}

struct event *event_clone(const struct event *event)
{
    struct span spans[FIELD_STRING_COUNT];
    struct event *fact = NULL;

    if (event->fact && (fact = event_clone(event->fact)) == NULL)
        return NULL;
    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        spans[f].ptr = event->field[f];
        spans[f].len = event->field_len[f];
    }
    struct event *copy = event_build(event->type, spans, &event->date, event->target, fact);
    if (copy == NULL) {
        event_free(fact);
        return NULL;
    }
    copy->seq = event->seq;
    copy->recorded_us = event->recorded_us;
    return copy;
}

/* ---- validation ------------------------------------------------------------ */

/* What kind of map is being decoded: its fields differ. */
enum map_kind {
    MAP_EVENT, /* a top-level event */
    MAP_FACT,  /* a correction's replacement fact */
};

struct decoder {
    enum event_origin origin;
    enum map_kind kind;
    struct event_error *err;
};

static bool fail(struct decoder *d, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Fills the error and returns false. Inside a fact a field is "fact.<name>",
 * and the map as a whole ("" in an event) is "fact".
 */
static bool fail(struct decoder *d, const char *field, const char *fmt, ...)
{
    va_list ap;
    if (d->kind == MAP_FACT)
        snprintf(d->err->field, sizeof d->err->field, "fact%s%s", field[0] ? "." : "", field);
    else
        snprintf(d->err->field, sizeof d->err->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(d->err->message, sizeof d->err->message, fmt, ap);
    va_end(ap);
    return false;
}

/*
 * Checks UTF-8 (shortest forms only, no surrogates, nothing past U+10FFFF) and
 * refuses control characters: C0, DEL and C1, with '\n' allowed if multiline.
 * Returns NULL when the text is fine, else the reason.
 */
static const char *check_text(const unsigned char *s, size_t len, bool multiline)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t n;

        if (c < 0x80) {
            if ((c < 0x20 && !(c == '\n' && multiline)) || c == 0x7f)
                return c == '\n' ? "contains a line break (only note and text may)"
                                 : "contains a control character";
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;
        } else {
            return "is not valid UTF-8";
        }
        if (len - i < n)
            return "is not valid UTF-8";
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return "is not valid UTF-8";
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return "is not valid UTF-8";
        if (cp >= 0x80 && cp <= 0x9f)
            return "contains a control character";
        i += n;
    }
    return NULL;
}

static bool is_slug(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
        if (!ok)
            return false;
    }
    return len > 0;
}

/* The parts of an event map, gathered before the event is built. */
struct parts {
    enum event_type type;
    bool have_type;
    struct span spans[FIELD_STRING_COUNT];
    struct rc_date date;
    const msgpack_object *target;
    const msgpack_object *fact;
    const msgpack_object *seq;
    const msgpack_object *recorded;
};

static int string_field_index(const msgpack_object *key)
{
    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        if (mp_str_eq(key, string_fields[f].name))
            return f;
    }
    return -1;
}

/* Finds and checks "type" first: it decides which other fields are allowed. */
static bool read_type(struct decoder *d, const msgpack_object *map, struct parts *p)
{
    const msgpack_object *v = mp_map_get(map, RC_KEY_TYPE);
    if (v == NULL)
        return fail(d, RC_KEY_TYPE, "missing: every event has a type");
    if (v->type != MSGPACK_OBJECT_STR)
        return fail(d, RC_KEY_TYPE, "must be a string");
    if (!event_type_from_name(v->via.str.ptr, v->via.str.size, &p->type))
        return fail(d, RC_KEY_TYPE,
                    "unknown type: use established, signed, ratified, adhered, withdrew, "
                    "announced, corrected or retracted");
    if (d->kind == MAP_FACT && !event_type_is_fact(p->type))
        return fail(d, RC_KEY_TYPE, "a correction replaces a fact: '%s' is not one",
                    type_names[p->type]);
    p->have_type = true;
    return true;
}

static bool read_string(struct decoder *d, int f, const msgpack_object *v, struct parts *p)
{
    const struct field_rule *rule = &string_fields[f];
    if (v->type != MSGPACK_OBJECT_STR)
        return fail(d, rule->name, "must be a string");
    if (v->via.str.size < rule->min_len)
        return fail(d, rule->name, "must not be empty");
    if (v->via.str.size > rule->max_len)
        return fail(d, rule->name, "too long: %u bytes, at most %u", v->via.str.size,
                    rule->max_len);
    const char *why =
        check_text((const unsigned char *)v->via.str.ptr, v->via.str.size, rule->multiline);
    if (why)
        return fail(d, rule->name, "%s", why);
    p->spans[f].ptr = v->via.str.ptr ? v->via.str.ptr : "";
    p->spans[f].len = v->via.str.size;
    return true;
}

/* Sorts one key/value pair into parts, refusing what this map may not hold. */
static bool read_pair(struct decoder *d, const msgpack_object_kv *kv, struct parts *p)
{
    char name[24];
    int f;

    if (kv->key.type != MSGPACK_OBJECT_STR)
        return fail(d, "", "field names must be strings");
    if ((f = string_field_index(&kv->key)) >= 0) {
        if (p->spans[f].ptr)
            return fail(d, string_fields[f].name, "given twice");
        if (!(string_fields[f].allowed & TYPE_BIT(p->type)))
            return fail(d, string_fields[f].name, "not a field of '%s' %s", type_names[p->type],
                        d->kind == MAP_FACT ? "facts" : "events");
        if (f == FIELD_ID && d->kind == MAP_FACT)
            return fail(d, RC_KEY_ID, "not allowed in a fact: put the id on the corrected event");
        return read_string(d, f, &kv->val, p);
    }

    const msgpack_object **slot = NULL;
    bool allowed = false;
    if (mp_str_eq(&kv->key, RC_KEY_TARGET)) {
        slot = &p->target;
        allowed = event_type_is_meta(p->type);
    } else if (mp_str_eq(&kv->key, RC_KEY_FACT)) {
        slot = &p->fact;
        allowed = p->type == EVENT_CORRECTED;
    } else if (mp_str_eq(&kv->key, RC_KEY_SEQ)) {
        slot = &p->seq;
        allowed = d->kind == MAP_EVENT && d->origin != EVENT_FROM_CLIENT;
    } else if (mp_str_eq(&kv->key, RC_KEY_RECORDED)) {
        slot = &p->recorded;
        allowed = d->kind == MAP_EVENT && d->origin != EVENT_FROM_CLIENT;
    }
    mp_printable(&kv->key, name, sizeof name);
    if (slot == NULL)
        return fail(d, name, "unknown field");
    if (*slot)
        return fail(d, name, "given twice");
    if (!allowed) {
        if (d->kind == MAP_EVENT && d->origin == EVENT_FROM_CLIENT &&
            (slot == &p->seq || slot == &p->recorded))
            return fail(d, name, "assigned by the daemon: leave it out");
        return fail(d, name, "not a field of '%s' %s", type_names[p->type],
                    d->kind == MAP_FACT ? "facts" : "events");
    }
    *slot = &kv->val;
    return true;
}

static struct event *decode_map(struct decoder *d, const msgpack_object *obj);

/*
 * A record time must be one that ENCODE_WIRE can show and EVENT_FROM_WIRE read
 * back: within the years of a date, in UTC.
 */
static bool recorded_in_range(int64_t us)
{
    const int64_t day_us = INT64_C(86400) * 1000000;
    int64_t first = rc_days_from_civil(RC_YEAR_MIN, 1, 1) * day_us;
    int64_t end = (rc_days_from_civil(RC_YEAR_MAX, 12, 31) + INT64_C(1)) * day_us;
    return us >= first && us < end;
}

/* Checks the values that need more than a string check, then builds. */
static struct event *finish(struct decoder *d, struct parts *p)
{
    const char *why;
    struct event *fact = NULL;
    uint64_t target = 0;

    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        const struct field_rule *rule = &string_fields[f];
        bool required = rule->required & TYPE_BIT(p->type);
        if (f == FIELD_COALITION && d->kind == MAP_FACT)
            required = false; /* a fact may leave it to its target */
        if (required && p->spans[f].ptr == NULL) {
            fail(d, rule->name, "missing: a '%s' event needs it", type_names[p->type]);
            return NULL;
        }
        if (required && p->spans[f].len == 0) {
            fail(d, rule->name, "must not be empty");
            return NULL;
        }
    }

    struct span *slug = &p->spans[FIELD_COALITION];
    if (slug->ptr && !is_slug(slug->ptr, slug->len)) {
        fail(d, RC_KEY_COALITION, "not a slug: lowercase letters, digits and '-', not first");
        return NULL;
    }
    struct span *date = &p->spans[FIELD_DATE];
    if (!rc_date_parse(date->ptr, date->len, &p->date, &why)) {
        fail(d, RC_KEY_DATE, "%s (got \"%.*s\")", why, (int)date->len, date->ptr);
        return NULL;
    }
    struct span *country = &p->spans[FIELD_COUNTRY];
    if (country->ptr) {
        uint32_t blanks = 0;
        while (blanks < country->len && country->ptr[blanks] == ' ')
            blanks++;
        if (blanks == country->len) {
            fail(d, RC_KEY_COUNTRY, "must not be blank");
            return NULL;
        }
    }

    if (event_type_is_meta(p->type)) {
        if (p->target == NULL) {
            fail(d, "target", "missing: a '%s' event names the seq of a fact", type_names[p->type]);
            return NULL;
        }
        if (p->target->type != MSGPACK_OBJECT_POSITIVE_INTEGER || p->target->via.u64 == 0) {
            fail(d, "target", "must be a positive integer (the seq of a fact)");
            return NULL;
        }
        target = p->target->via.u64;
    }
    if (p->type == EVENT_CORRECTED) {
        if (p->fact == NULL) {
            fail(d, "fact", "missing: a correction carries the whole replacement fact");
            return NULL;
        }
        struct decoder inner = { d->origin, MAP_FACT, d->err };
        if ((fact = decode_map(&inner, p->fact)) == NULL)
            return NULL;
        if (fact->field[FIELD_COALITION] && slug->ptr &&
            (fact->field_len[FIELD_COALITION] != slug->len ||
             memcmp(fact->field[FIELD_COALITION], slug->ptr, slug->len) != 0)) {
            event_free(fact);
            fail(d, "fact.coalition", "must be the corrected event's coalition");
            return NULL;
        }
    }

    uint64_t seq = 0;
    int64_t recorded = 0;
    if (d->kind == MAP_EVENT && d->origin == EVENT_FROM_LOG && (!p->seq || !p->recorded)) {
        event_free(fact);
        fail(d, p->seq ? "recorded" : "seq", "missing from a stored event");
        return NULL;
    }
    if (p->seq) {
        if (p->seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER || p->seq->via.u64 == 0) {
            event_free(fact);
            fail(d, "seq", "must be a positive integer");
            return NULL;
        }
        seq = p->seq->via.u64;
    }
    if (p->recorded) {
        const msgpack_object *r = p->recorded;
        bool ok;
        if (d->origin == EVENT_FROM_LOG) {
            ok = (r->type == MSGPACK_OBJECT_POSITIVE_INTEGER && r->via.u64 <= INT64_MAX) ||
                 r->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
            if (ok)
                recorded = r->via.i64; /* same bits for a positive value <= INT64_MAX */
        } else {
            ok = r->type == MSGPACK_OBJECT_STR &&
                 rc_time_parse(r->via.str.ptr, r->via.str.size, &recorded);
        }
        if (!ok) {
            event_free(fact);
            fail(d, "recorded",
                 d->origin == EVENT_FROM_LOG ? "must be an integer of microseconds"
                                             : "must be an RFC 3339 time");
            return NULL;
        }
        if (!recorded_in_range(recorded)) {
            event_free(fact);
            fail(d, "recorded", "out of range: years 1000 to 9999 (UTC)");
            return NULL;
        }
    }

    struct event *ev = event_build(p->type, p->spans, &p->date, target, fact);
    if (ev == NULL) {
        event_free(fact);
        /* event.h: an allocation failure is on field "", even inside a fact. */
        d->err->field[0] = '\0';
        snprintf(d->err->message, sizeof d->err->message, "out of memory");
        return NULL;
    }
    ev->seq = seq;
    ev->recorded_us = recorded;
    return ev;
}

static struct event *decode_map(struct decoder *d, const msgpack_object *obj)
{
    struct parts p;

    memset(&p, 0, sizeof p);
    if (obj->type != MSGPACK_OBJECT_MAP) {
        fail(d, "",
             d->kind == MAP_FACT ? "must be a map of the fact's fields"
                                 : "an event is a map of field names to values");
        return NULL;
    }
    if (!read_type(d, obj, &p))
        return NULL;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        if (!read_pair(d, &obj->via.map.ptr[i], &p))
            return NULL;
    }
    return finish(d, &p);
}

struct event *event_decode(const msgpack_object *obj, enum event_origin origin,
                           struct event_error *err)
{
    struct decoder d = { origin, MAP_EVENT, err };
    err->field[0] = '\0';
    err->message[0] = '\0';
    return decode_map(&d, obj);
}

/* ---- encoding and comparison ------------------------------------------------ */

/* Number of content entries event_pack writes for ev. */
static uint32_t content_count(const struct event *ev)
{
    uint32_t n = 0;
    for (int f = 0; f < FIELD_STRING_COUNT; f++)
        n += ev->field[f] != NULL;
    n += event_type_is_meta(ev->type); /* target */
    n += ev->fact != NULL;
    return n;
}

static int pack_content(msgpack_packer *pk, const struct event *ev)
{
    /* type, coalition, date, then target and fact, then the rest in table order. */
    for (int f = FIELD_TYPE; f <= FIELD_DATE; f++) {
        if (ev->field[f] && (mp_pack_key(pk, string_fields[f].name) ||
                             mp_pack_strn(pk, ev->field[f], ev->field_len[f])))
            return -1;
    }
    if (event_type_is_meta(ev->type) &&
        (mp_pack_key(pk, RC_KEY_TARGET) || msgpack_pack_uint64(pk, ev->target)))
        return -1;
    if (ev->fact) {
        if (mp_pack_key(pk, RC_KEY_FACT) || msgpack_pack_map(pk, content_count(ev->fact)) ||
            pack_content(pk, ev->fact))
            return -1;
    }
    for (int f = FIELD_DATE + 1; f < FIELD_STRING_COUNT; f++) {
        if (ev->field[f] && (mp_pack_key(pk, string_fields[f].name) ||
                             mp_pack_strn(pk, ev->field[f], ev->field_len[f])))
            return -1;
    }
    return 0;
}

int event_pack(msgpack_packer *pk, const struct event *ev, enum event_encoding encoding)
{
    uint32_t n = content_count(ev);
    bool stamps = encoding == ENCODE_LOG || (encoding == ENCODE_WIRE && ev->seq != 0);

    if (msgpack_pack_map(pk, n + (stamps ? 2 : 0)))
        return -1;
    if (encoding == ENCODE_LOG) {
        /* seq and recorded first: store/FORMAT.md relies on it. */
        if (mp_pack_key(pk, RC_KEY_SEQ) || msgpack_pack_uint64(pk, ev->seq) ||
            mp_pack_key(pk, RC_KEY_RECORDED) || msgpack_pack_int64(pk, ev->recorded_us))
            return -1;
    }
    if (pack_content(pk, ev))
        return -1;
    if (encoding == ENCODE_WIRE && stamps) {
        char when[RC_TIME_TEXT_MAX];
        size_t len = rc_time_format(ev->recorded_us, when);
        if (mp_pack_key(pk, RC_KEY_SEQ) || msgpack_pack_uint64(pk, ev->seq) ||
            mp_pack_key(pk, RC_KEY_RECORDED) || mp_pack_strn(pk, when, len))
            return -1;
    }
    return 0;
}

bool event_same_content(const struct event *a, const struct event *b)
{
    if (a->type != b->type || a->target != b->target)
        return false;
    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        if ((a->field[f] == NULL) != (b->field[f] == NULL))
            return false;
        if (a->field[f] && (a->field_len[f] != b->field_len[f] ||
                            memcmp(a->field[f], b->field[f], a->field_len[f]) != 0))
            return false;
    }
    if ((a->fact == NULL) != (b->fact == NULL))
        return false;
    return a->fact == NULL || event_same_content(a->fact, b->fact);
}
