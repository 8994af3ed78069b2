/*
 * test_event.c — the event schema of events.md §2 and doc/contract-notes.md:
 * a table of good and bad events, then the canonical encoding, cloning and
 * comparison.
 *
 * Events are written in mpnote notation (single quotes read best in C), packed
 * to msgpack, vetted by mp_scan and unpacked as a caller would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "mpguard.h"
#include "mpnote.h"
#include "protocol.h"

/* ---- helpers ------------------------------------------------------------- */

static void note_pack(msgpack_sbuffer *sb, const char *note)
{
    msgpack_packer pk;
    size_t at = 0;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (mpnote_pack(&pk, note, &at) != 0)
        fail_msg("bad notation at %zu: %s", at, note);
}

/*
 * Decodes bytes as the daemon does: mp_scan, msgpack-c, event_decode. The
 * msgpack object dies before the event is returned, so the event must own
 * its strings.
 */
static struct event *decode_bytes(const char *bytes, size_t size, enum event_origin origin,
                                  struct event_error *err)
{
    msgpack_unpacked obj;
    size_t len = 0, off = 0;

    assert_int_equal(mp_scan(bytes, size, RC_MAX_MESSAGE_DEFAULT, RC_MAX_DEPTH, &len),
                     MP_SCAN_COMPLETE);
    assert_int_equal(len, size);
    msgpack_unpacked_init(&obj);
    assert_int_equal(msgpack_unpack_next(&obj, bytes, size, &off), MSGPACK_UNPACK_SUCCESS);
    struct event *ev = event_decode(&obj.data, origin, err);
    msgpack_unpacked_destroy(&obj);
    return ev;
}

static struct event *decode_note(const char *note, enum event_origin origin,
                                 struct event_error *err)
{
    msgpack_sbuffer sb;
    note_pack(&sb, note);
    struct event *ev = decode_bytes(sb.data, sb.size, origin, err);
    msgpack_sbuffer_destroy(&sb);
    return ev;
}

static struct event *decode_ok(const char *note, enum event_origin origin)
{
    struct event_error err;
    struct event *ev = decode_note(note, origin, &err);
    if (ev == NULL)
        fail_msg("refused (%s: %s): %s", err.field, err.message, note);
    return ev;
}

/* Packs ev with encoding into a fresh buffer; the caller destroys it. */
static void pack_event(msgpack_sbuffer *sb, const struct event *ev, enum event_encoding encoding)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    assert_int_equal(event_pack(&pk, ev, encoding), 0);
}

static struct event *repack(const struct event *ev, enum event_encoding encoding,
                            enum event_origin origin)
{
    msgpack_sbuffer sb;
    struct event_error err;
    pack_event(&sb, ev, encoding);
    struct event *back = decode_bytes(sb.data, sb.size, origin, &err);
    msgpack_sbuffer_destroy(&sb);
    if (back == NULL)
        fail_msg("packed event refused: %s: %s", err.field, err.message);
    return back;
}

/* ---- the table ------------------------------------------------------------ */

struct event_case {
    const char *note;
    const char *field; /* NULL: the event is valid; else the field the error names */
    enum event_origin origin;
};

#define GOOD(note)                                                                                 \
    {                                                                                              \
        note, NULL, EVENT_FROM_CLIENT                                                              \
    }
#define BAD(field, note)                                                                           \
    {                                                                                              \
        note, field, EVENT_FROM_CLIENT                                                             \
    }
#define GOOD_FROM(origin, note)                                                                    \
    {                                                                                              \
        note, NULL, origin                                                                         \
    }
#define BAD_FROM(origin, f, note)                                                                  \
    {                                                                                              \
        note, f, origin                                                                            \
    }

/* Field lists without their braces, to build events from. */
#define COMMON(type, date) "'type': '" type "', 'coalition': 'mmas', 'date': '" date "'"
#define ESTABLISHED        COMMON("established", "2023-10-02") ", 'name': 'MMAS'"
#define SIGNED             COMMON("signed", "2024-08-03") ", 'country': 'El Salvador'"
#define ANNOUNCED          COMMON("announced", "2024-09")
#define RETRACTED          COMMON("retracted", "2024-12-13") ", 'target': 2, 'note': 'dup'"
#define CORRECTED          COMMON("corrected", "2024-12-13") ", 'target': 4"
#define FACT_FIELDS        "'type': 'adhered', 'date': '2024-09-16', 'country': 'Bahamas'"
#define FACT               "'fact': {" FACT_FIELDS "}"
#define STAMPS_LOG         "'seq': 7, 'recorded': 1733995445123456, "
#define STAMPS_WIRE        "'seq': 7, 'recorded': '2024-12-12T09:24:05.123456Z', "

static const struct event_case cases[] = {
    /* ---- valid events of every type ---- */
    GOOD("{" ESTABLISHED ", 'basis': 'UN Security Council Resolution 2699 (2023)', "
         "'purpose': 'support the Haitian National Police (PNH)'}"),
    GOOD("{" SIGNED "}"),
    GOOD("{" COMMON("ratified", "2024-11") ", 'country': 'Belize'}"),
    GOOD("{" COMMON("adhered", "2024") ", 'country': 'Jamaica'}"),
    GOOD("{" COMMON("withdrew", "2025-01-01") ", 'country': 'Jamaica'}"),
    GOOD("{" ANNOUNCED "}"),
    GOOD("{" ANNOUNCED ", 'country': 'Guatemala', 'venue': '79th UN General Assembly', "
         "'speaker': 'President Bernardo Ar\\xc3\\xa9valo', 'commitment': '', "
         "'text': 'first line\\nsecond line\\n\\n'}"),
    GOOD("{" CORRECTED ", " FACT "}"),
    GOOD("{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'coalition': 'mmas', 'note': 'n', "
         "'source': 's'}, 'id': 'fix-1', 'note': 'wrong date'}"),
    GOOD("{" CORRECTED ", 'fact': {" COMMON("established", "2023") ", 'name': 'N'}}"),
    GOOD("{" RETRACTED "}"),
    GOOD("{" RETRACTED ", 'id': 'r', 'source': 'https://example.org/x'}"),
    /* optional strings may be empty */
    GOOD("{" ESTABLISHED ", 'basis': '', 'purpose': '', 'source': '', 'note': ''}"),
    GOOD("{" ANNOUNCED ", 'venue': '', 'speaker': '', 'text': ''}"),
    /* every length limit, at the limit; lengths are bytes */
    GOOD("{" COMMON("signed", "2024") ", 'country': 'c'*128, 'id': 'i'*128, "
                                      "'source': 's'*2048, 'note': 'n'*8192}"),
    GOOD("{'type': 'established', 'coalition': 'a'*64, 'date': '2024', 'name': 'n'*256, "
         "'basis': 'b'*1024, 'purpose': 'p'*1024}"),
    GOOD("{" ANNOUNCED ", 'venue': 'v'*256, 'speaker': 's'*256, 'commitment': 'c'*256, "
         "'text': 't'*8192}"),
    GOOD("{" COMMON("signed", "2024") ", 'country': '\\xc3\\xa9'*64}"),
    /* UTF-8 at the edges of the valid ranges */
    GOOD("{" COMMON("signed", "2024") ", 'country': 'C\\xc3\\xb4te d\\xe2\\x80\\x99Ivoire'}"),
    GOOD("{" SIGNED ", 'note': '\\xc2\\xa0 \\xe0\\xa0\\x80 \\xed\\x9f\\xbf \\xee\\x80\\x80 "
         "\\xef\\xbf\\xbd \\xf0\\x90\\x80\\x80 \\xf0\\x9f\\x98\\x80 \\xf4\\x8f\\xbf\\xbf'}"),
    GOOD("{" SIGNED ", 'note': 'line one\\nline two'}"),
    GOOD("{" COMMON("signed", "2024") ", 'country': '  Chile '}"),
    /* slugs and dates */
    GOOD("{'type': 'signed', 'coalition': '9', 'date': '2024-02-29', 'country': 'X'}"),
    GOOD("{'type': 'signed', 'coalition': 'a-b-', 'date': '1000', 'country': 'X'}"),
    GOOD("{'type': 'signed', 'coalition': 'a--1', 'date': '9999-12-31', 'country': 'X'}"),
    GOOD("{" COMMON("retracted", "2024") ", 'target': 18446744073709551615, 'note': 'n'}"),
    /* stored and exported events */
    GOOD_FROM(EVENT_FROM_LOG, "{" STAMPS_LOG SIGNED "}"),
    GOOD_FROM(EVENT_FROM_LOG, "{" SIGNED ", 'recorded': -1, 'seq': 1}"),
    GOOD_FROM(EVENT_FROM_WIRE, "{" SIGNED ", " STAMPS_WIRE "'id': 'x'}"),
    GOOD_FROM(EVENT_FROM_WIRE, "{" SIGNED "}"),

    /* ---- not an event map ---- */
    BAD("", "['type', 'signed']"),
    BAD("", "nil"),
    BAD("", "'signed'"),
    BAD("type", "{}"),

    /* ---- type ---- */
    BAD("type", "{'coalition': 'mmas', 'date': '2024', 'country': 'X'}"),
    BAD("type", "{'type': 1, 'coalition': 'mmas', 'date': '2024'}"),
    BAD("type", "{'type': nil, 'coalition': 'mmas', 'date': '2024'}"),
    BAD("type", "{'type': b'signed', 'coalition': 'mmas', 'date': '2024', 'country': 'X'}"),
    BAD("type", "{'type': ['signed'], 'coalition': 'mmas', 'date': '2024', 'country': 'X'}"),
    BAD("type", "{'type': 'joined', 'coalition': 'mmas', 'date': '2024', 'country': 'X'}"),
    BAD("type", "{'type': 'Signed', 'coalition': 'mmas', 'date': '2024', 'country': 'X'}"),
    BAD("type", "{'type': 'signed ', 'coalition': 'mmas', 'date': '2024', 'country': 'X'}"),
    BAD("type", "{'type': '', 'coalition': 'mmas', 'date': '2024'}"),
    BAD("type", "{" SIGNED ", 'type': 'signed'}"),

    /* ---- required fields ---- */
    BAD("coalition", "{'type': 'signed', 'date': '2024', 'country': 'X'}"),
    BAD("date", "{'type': 'signed', 'coalition': 'mmas', 'country': 'X'}"),
    BAD("name", "{" COMMON("established", "2023") "}"),
    BAD("name", "{" COMMON("established", "2023") ", 'name': ''}"),
    BAD("country", "{" COMMON("signed", "2024") "}"),
    BAD("country", "{" COMMON("ratified", "2024") "}"),
    BAD("country", "{" COMMON("adhered", "2024") "}"),
    BAD("country", "{" COMMON("withdrew", "2024") "}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': ''}"),
    BAD("target", "{" COMMON("corrected", "2024") ", " FACT "}"),
    BAD("fact", "{" CORRECTED "}"),
    BAD("target", "{" COMMON("retracted", "2024") ", 'note': 'dup'}"),
    BAD("note", "{" COMMON("retracted", "2024") ", 'target': 2}"),
    BAD("note", "{" COMMON("retracted", "2024") ", 'target': 2, 'note': ''}"),

    /* ---- unknown fields, and fields of other types ---- */
    BAD("colour", "{" SIGNED ", 'colour': 'blue'}"),
    BAD("Country", "{" COMMON("signed", "2024") ", 'Country': 'X'}"),
    BAD("country", "{" ESTABLISHED ", 'country': 'X'}"),
    BAD("name", "{" SIGNED ", 'name': 'X'}"),
    BAD("venue", "{" SIGNED ", 'venue': 'X'}"),
    BAD("basis", "{" ANNOUNCED ", 'basis': 'X'}"),
    BAD("text", "{" COMMON("withdrew", "2024") ", 'country': 'X', 'text': 'X'}"),
    BAD("commitment", "{" COMMON("ratified", "2024") ", 'country': 'X', 'commitment': 'X'}"),
    BAD("target", "{" SIGNED ", 'target': 1}"),
    BAD("fact", "{" SIGNED ", " FACT "}"),
    BAD("fact", "{" RETRACTED ", " FACT "}"),
    BAD("speaker", "{" CORRECTED ", " FACT ", 'speaker': 'X'}"),
    BAD("country", "{" RETRACTED ", 'country': 'X'}"),
    BAD("name", "{" RETRACTED ", 'name': 'X'}"),

    /* ---- wrong msgpack types for strings ---- */
    BAD("country", "{" COMMON("signed", "2024") ", 'country': 42}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': b'Chile'}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': ['Chile']}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': nil}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': {'name': 'Chile'}}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': true}"),
    BAD("date", "{'type': 'signed', 'coalition': 'mmas', 'date': 20240803, 'country': 'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': 1.5, 'date': '2024', 'country': 'X'}"),
    BAD("note", "{" SIGNED ", 'note': -1}"),
    BAD("id", "{" SIGNED ", 'id': 7}"),
    BAD("source", "{" SIGNED ", 'source': nil}"),
    BAD("name", "{" COMMON("established", "2023") ", 'name': b'MMAS'}"),

    /* ---- slugs ---- */
    BAD("coalition", "{'type': 'signed', 'coalition': 'MMAS', 'date': '2024', 'country': 'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': '-mmas', 'date': '2024', 'country': 'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': 'mm as', 'date': '2024', 'country': 'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': 'mmas_', 'date': '2024', 'country': 'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': 'mmas.', 'date': '2024', 'country': 'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': '\\xc3\\xa9', 'date': '2024', 'country': "
                     "'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': 'a'*65, 'date': '2024', 'country': 'X'}"),
    BAD("coalition", "{'type': 'signed', 'coalition': '', 'date': '2024', 'country': 'X'}"),

    /* ---- UTF-8 ---- */
    BAD("country", "{" COMMON("signed", "2024") ", 'country': 'a\\xc0\\xaf'}"), /* overlong '/' */
    BAD("country", "{" COMMON("signed", "2024") ", 'country': '\\xc1\\xbf'}"),
    BAD("name", "{" COMMON("established", "2024") ", 'name': '\\xe0\\x80\\xaf'}"),
    BAD("note", "{" SIGNED ", 'note': '\\xf0\\x80\\x80\\xaf'}"),
    BAD("note", "{" SIGNED ", 'note': 'x\\xed\\xa0\\x80'}"),         /* surrogate U+D800 */
    BAD("text", "{" ANNOUNCED ", 'text': '\\xed\\xbf\\xbf'}"),       /* surrogate U+DFFF */
    BAD("source", "{" SIGNED ", 'source': '\\xf4\\x90\\x80\\x80'}"), /* U+110000 */
    BAD("source", "{" SIGNED ", 'source': '\\xf5\\x80\\x80\\x80'}"),
    BAD("venue", "{" ANNOUNCED ", 'venue': 'ab\\xe2\\x82'}"), /* truncated at the end */
    BAD("speaker", "{" ANNOUNCED ", 'speaker': '\\xe2\\x82A'}"),
    BAD("note", "{" SIGNED ", 'note': '\\xf0\\x9f\\x98'}"),
    BAD("commitment", "{" ANNOUNCED ", 'commitment': '\\x80'}"), /* lone continuation */
    BAD("note", "{" SIGNED ", 'note': '\\xff'}"),

    /* ---- control characters; LF only in note and text ---- */
    BAD("name", "{" COMMON("established", "2024") ", 'name': 'a\\x00b'}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': '\\x01'}"),
    BAD("venue", "{" ANNOUNCED ", 'venue': 'a\\x1f'}"),
    BAD("speaker", "{" ANNOUNCED ", 'speaker': 'a\\x7f'}"),    /* DEL */
    BAD("source", "{" SIGNED ", 'source': '\\xc2\\x80'}"),     /* U+0080 */
    BAD("note", "{" SIGNED ", 'note': 'next\\xc2\\x85line'}"), /* NEL */
    BAD("text", "{" ANNOUNCED ", 'text': '\\xc2\\x9f'}"),      /* U+009F */
    BAD("note", "{" SIGNED ", 'note': 'a\\rb'}"),              /* CR */
    BAD("text", "{" ANNOUNCED ", 'text': 'line\\r\\n'}"),
    BAD("text", "{" ANNOUNCED ", 'text': 'a\\tb'}"), /* TAB */
    BAD("country", "{" COMMON("signed", "2024") ", 'country': 'El\\tSalvador'}"),
    BAD("note", "{" SIGNED ", 'note': '\\x1b[31m'}"), /* ESC */
    BAD("country", "{" COMMON("signed", "2024") ", 'country': 'El\\nSalvador'}"),
    BAD("name", "{" COMMON("established", "2024") ", 'name': 'a\\nb'}"),
    BAD("source", "{" SIGNED ", 'source': 'a\\n'}"),
    BAD("id", "{" SIGNED ", 'id': '\\n'}"),
    BAD("commitment", "{" ANNOUNCED ", 'commitment': 'a\\nb'}"),
    BAD("basis", "{" ESTABLISHED ", 'basis': 'a\\nb'}"),
    BAD("fact.country", "{" CORRECTED ", 'fact': {'type': 'signed', 'date': '2024', "
                        "'country': 'a\\nb'}}"),

    /* ---- length limits plus one ---- */
    BAD("id", "{" SIGNED ", 'id': 'i'*129}"),
    BAD("id", "{" SIGNED ", 'id': ''}"),
    BAD("source", "{" SIGNED ", 'source': 's'*2049}"),
    BAD("note", "{" SIGNED ", 'note': 'n'*8193}"),
    BAD("name", "{" COMMON("established", "2024") ", 'name': 'n'*257}"),
    BAD("basis", "{" ESTABLISHED ", 'basis': 'b'*1025}"),
    BAD("purpose", "{" ESTABLISHED ", 'purpose': 'p'*1025}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': 'c'*129}"),
    BAD("country", "{" COMMON("signed", "2024") ", 'country': '\\xc3\\xa9'*64 'a'}"),
    BAD("venue", "{" ANNOUNCED ", 'venue': 'v'*257}"),
    BAD("speaker", "{" ANNOUNCED ", 'speaker': 's'*257}"),
    BAD("commitment", "{" ANNOUNCED ", 'commitment': 'c'*257}"),
    BAD("text", "{" ANNOUNCED ", 'text': 't'*8193}"),
    BAD("fact.note", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'note': 'n'*8193}}"),

    /* ---- dates ---- */
    BAD("date", "{" COMMON("signed", "2024-02-30") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "2023-02-29") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "2024-13") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "24-01-01") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "2024-1-1") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "0999") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "2024-00") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "2024-01-00") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "2024-01-01 ") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "+2024") ", 'country': 'X'}"),
    BAD("date", "{" COMMON("signed", "2024-01-01T00:00:00Z") ", 'country': 'X'}"),
    BAD("fact.date", "{" CORRECTED ", 'fact': {'type': 'signed', 'date': '2024-02-30', "
                     "'country': 'X'}}"),

    /* ---- target ---- */
    BAD("target", "{" RETRACTED ", 'target': 0}"),
    BAD("target", "{" COMMON("retracted", "2024") ", 'note': 'n', 'target': -1}"),
    BAD("target", "{" COMMON("retracted", "2024") ", 'note': 'n', 'target': '4'}"),
    BAD("target", "{" COMMON("retracted", "2024") ", 'note': 'n', 'target': 4.0}"),
    BAD("target", "{" COMMON("retracted", "2024") ", 'note': 'n', 'target': nil}"),
    BAD("target", "{" COMMON("corrected", "2024") ", 'target': [4], " FACT "}"),
    BAD("target", "{" RETRACTED ", 'target': 3}"), /* given twice */

    /* ---- a correction's fact ---- */
    BAD("fact", "{" CORRECTED ", 'fact': ['adhered']}"),
    BAD("fact", "{" CORRECTED ", 'fact': 'adhered'}"),
    BAD("fact", "{" CORRECTED ", 'fact': nil}"),
    BAD("fact", "{" CORRECTED ", " FACT ", " FACT "}"),
    BAD("fact.type", "{" CORRECTED ", 'fact': {'type': 'corrected', 'date': '2024', "
                     "'target': 1}}"),
    BAD("fact.type", "{" CORRECTED ", 'fact': {'type': 'retracted', 'date': '2024', "
                     "'target': 1, 'note': 'n'}}"),
    BAD("fact.type", "{" CORRECTED ", 'fact': {'date': '2024', 'country': 'X'}}"),
    BAD("fact.id", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'id': 'x'}}"),
    BAD("fact.coalition", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'coalition': 'other'}}"),
    BAD("fact.coalition", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'coalition': 'MMAS'}}"),
    BAD("fact.date", "{" CORRECTED ", 'fact': {'type': 'signed', 'country': 'X'}}"),
    BAD("fact.country", "{" CORRECTED ", 'fact': {'type': 'signed', 'date': '2024'}}"),
    BAD("fact.country", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'country': 'Y'}}"),
    BAD("fact.name", "{" CORRECTED ", 'fact': {'type': 'established', 'date': '2024'}}"),
    BAD("fact.seq", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'seq': 3}}"),
    BAD("fact.recorded", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'recorded': 3}}"),
    BAD("fact.target", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'target': 3}}"),
    BAD("fact.colour", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'colour': 'x'}}"),
    BAD("fact.name", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'name': 'x'}}"),
    BAD("fact", "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 1: 'x'}}"),

    /* ---- stamps: the daemon's, not the client's ---- */
    BAD("seq", "{" SIGNED ", 'seq': 1}"),
    BAD("recorded", "{" SIGNED ", 'recorded': 1733995445123456}"),
    BAD_FROM(EVENT_FROM_LOG, "seq", "{'recorded': 1, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "recorded", "{'seq': 1, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "seq", "{'seq': 0, 'recorded': 1, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "seq", "{'seq': -1, 'recorded': 1, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "seq", "{'seq': '1', 'recorded': 1, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "seq", "{" STAMPS_LOG "'seq': 8, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "recorded",
             "{'seq': 1, 'recorded': '2024-12-12T15:04:05Z', " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "recorded", "{'seq': 1, 'recorded': 1.5, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "recorded", "{'seq': 1, 'recorded': 9223372036854775807, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "recorded",
             "{'seq': 1, 'recorded': 18446744073709551615, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_LOG, "recorded",
             "{'seq': 1, 'recorded': -62135596800000000, " SIGNED "}"), /* year 1 */
    BAD_FROM(EVENT_FROM_WIRE, "recorded", "{'seq': 1, 'recorded': 1733995445123456, " SIGNED "}"),
    BAD_FROM(EVENT_FROM_WIRE, "recorded", "{'seq': 1, 'recorded': 'yesterday', " SIGNED "}"),
    BAD_FROM(EVENT_FROM_WIRE, "recorded",
             "{'seq': 1, 'recorded': '1000-01-01T00:30:00+01:00', " SIGNED "}"),
    BAD_FROM(EVENT_FROM_WIRE, "seq", "{'seq': 0, 'recorded': '2024-12-12T15:04:05Z', " SIGNED "}"),

    /* ---- duplicate and non-string keys ---- */
    BAD("country", "{" SIGNED ", 'country': 'El Salvador'}"),
    BAD("note", "{" RETRACTED ", 'note': 'again'}"),
    BAD("", "{1: 'x', " SIGNED "}"),
    BAD("", "{" SIGNED ", nil: 1}"),
    BAD("", "{" SIGNED ", b'note': 'x'}"),
    BAD("", "{" SIGNED ", ['note']: 'x'}"),

    /* ---- blank countries ---- */
    BAD("country", "{" COMMON("signed", "2024") ", 'country': '   '}"),
    BAD("country", "{" ANNOUNCED ", 'country': ''}"),
    BAD("country", "{" ANNOUNCED ", 'country': ' '}"),
};

static void test_table(void **state)
{
    (void)state;
    size_t good = 0, bad = 0;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct event_case *c = &cases[i];
        struct event_error err;
        memset(&err, 'x', sizeof err); /* decode must set both, even on success */
        struct event *ev = decode_note(c->note, c->origin, &err);

        if (c->field == NULL) {
            if (ev == NULL)
                fail_msg("case %zu refused (%s: %s): %s", i, err.field, err.message, c->note);
            good++;
        } else {
            if (ev != NULL)
                fail_msg("case %zu accepted, expected an error on '%s': %s", i, c->field, c->note);
            if (strcmp(err.field, c->field) != 0)
                fail_msg("case %zu: error on '%s' (%s), expected '%s': %s", i, err.field,
                         err.message, c->field, c->note);
            assert_true(strlen(err.message) > 0);
            bad++;
        }
        event_free(ev);
    }
    assert_true(good >= 25);
    assert_true(bad >= 150);
}

/* Every good event survives each encoding and reads back the same. */
static void test_table_round_trips(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].field != NULL)
            continue;
        struct event *ev = decode_ok(cases[i].note, cases[i].origin);
        if (ev->seq == 0) { /* a client's event, as the daemon would store it */
            ev->seq = 1000 + i;
            ev->recorded_us = INT64_C(1733995445123456) + (int64_t)i;
        }

        struct event *log = repack(ev, ENCODE_LOG, EVENT_FROM_LOG);
        struct event *wire = repack(ev, ENCODE_WIRE, EVENT_FROM_WIRE);
        struct event *content = repack(ev, ENCODE_CONTENT, EVENT_FROM_CLIENT);
        if (!event_same_content(ev, log) || !event_same_content(ev, wire) ||
            !event_same_content(ev, content))
            fail_msg("case %zu changed in a round trip: %s", i, cases[i].note);
        assert_int_equal(log->seq, ev->seq);
        assert_int_equal(log->recorded_us, ev->recorded_us);
        assert_int_equal(wire->seq, ev->seq);
        assert_int_equal(wire->recorded_us, ev->recorded_us);
        assert_int_equal(content->seq, 0);
        assert_int_equal(content->recorded_us, 0);
        assert_int_equal(log->date.counting_day, ev->date.counting_day);

        /* The log's bytes are canonical: packing the read-back gives them again. */
        msgpack_sbuffer first, second;
        pack_event(&first, ev, ENCODE_LOG);
        pack_event(&second, log, ENCODE_LOG);
        assert_int_equal(first.size, second.size);
        assert_memory_equal(first.data, second.data, first.size);
        msgpack_sbuffer_destroy(&first);
        msgpack_sbuffer_destroy(&second);

        event_free(content);
        event_free(wire);
        event_free(log);
        event_free(ev);
    }
}

/* ---- decoded content ---------------------------------------------------------- */

static void test_decoded_fields(void **state)
{
    (void)state;
    struct event *ev = decode_ok("{" ANNOUNCED ", 'country': ' Guatemala ', 'speaker': "
                                 "'Claudia Escobar', 'commitment': 'Military Police contingent'}",
                                 EVENT_FROM_CLIENT);
    assert_int_equal(ev->type, EVENT_ANNOUNCED);
    assert_string_equal(ev->field[FIELD_TYPE], "announced");
    assert_string_equal(ev->field[FIELD_COALITION], "mmas");
    assert_string_equal(ev->field[FIELD_DATE], "2024-09");
    assert_int_equal(ev->date.precision, DATE_MONTH);
    struct rc_date sept;
    assert_true(rc_date_parse("2024-09-30", 10, &sept, NULL));
    assert_int_equal(ev->date.counting_day, sept.counting_day);
    assert_string_equal(ev->field[FIELD_COUNTRY], " Guatemala ");
    assert_int_equal(ev->field_len[FIELD_COUNTRY], 11);
    assert_string_equal(ev->field[FIELD_COMMITMENT], "Military Police contingent");
    assert_null(ev->field[FIELD_VENUE]);
    assert_null(ev->field[FIELD_NAME]);
    assert_null(ev->fact);
    assert_int_equal(ev->target, 0);
    assert_int_equal(ev->seq, 0);
    event_free(ev);

    ev = decode_ok("{" CORRECTED ", " FACT ", 'note': 'moved'}", EVENT_FROM_CLIENT);
    assert_int_equal(ev->type, EVENT_CORRECTED);
    assert_int_equal(ev->target, 4);
    assert_non_null(ev->fact);
    assert_int_equal(ev->fact->type, EVENT_ADHERED);
    assert_null(ev->fact->field[FIELD_COALITION]); /* the target's */
    assert_string_equal(ev->fact->field[FIELD_COUNTRY], "Bahamas");
    assert_string_equal(ev->fact->field[FIELD_DATE], "2024-09-16");
    assert_string_equal(ev->field[FIELD_NOTE], "moved");
    event_free(ev);

    ev = decode_ok("{" STAMPS_WIRE SIGNED "}", EVENT_FROM_WIRE);
    assert_int_equal(ev->seq, 7);
    assert_int_equal(ev->recorded_us, INT64_C(1733995445123456));
    event_free(ev);
}

static void test_country_key(void **state)
{
    (void)state;
    static const struct {
        const char *country, *key;
    } keys[] = {
        { "'  Chile '", "Chile" },
        { "'Chile'", "Chile" },
        { "'El  Salvador'", "El  Salvador" },
        { "' El Salvador'", "El Salvador" },
        { "'Chile   '", "Chile" },
        { "'\\xc2\\xa0Chile'", "\xc2\xa0"
                               "Chile" }, /* only U+0020 is trimmed */
    };
    char note[200];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(note, sizeof note, "{" COMMON("signed", "2024") ", 'country': %s}",
                 keys[i].country);
        struct event *ev = decode_ok(note, EVENT_FROM_CLIENT);
        assert_int_equal(ev->country_key_len, strlen(keys[i].key));
        assert_memory_equal(ev->country_key, keys[i].key, ev->country_key_len);
        /* The key points into the event's own copy of the country. */
        assert_true(ev->country_key >= ev->field[FIELD_COUNTRY]);
        assert_true(ev->country_key + ev->country_key_len <=
                    ev->field[FIELD_COUNTRY] + ev->field_len[FIELD_COUNTRY]);
        event_free(ev);
    }
    struct event *ev = decode_ok("{" ANNOUNCED "}", EVENT_FROM_CLIENT);
    assert_null(ev->country_key);
    assert_int_equal(ev->country_key_len, 0);
    event_free(ev);
}

/* ---- encodings ------------------------------------------------------------------ */

static void test_log_encoding_puts_stamps_first(void **state)
{
    (void)state;
    struct event *ev = decode_ok("{" SIGNED ", 'id': 'a', 'note': 'n'}", EVENT_FROM_CLIENT);
    ev->seq = 99;
    ev->recorded_us = INT64_C(1733995445123456);

    msgpack_sbuffer sb;
    msgpack_unpacked obj;
    size_t off = 0;
    pack_event(&sb, ev, ENCODE_LOG);
    msgpack_unpacked_init(&obj);
    assert_int_equal(msgpack_unpack_next(&obj, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
    const msgpack_object_map *map = &obj.data.via.map;
    assert_int_equal(obj.data.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(map->size, 8);
    assert_true(map->ptr[0].key.type == MSGPACK_OBJECT_STR && map->ptr[0].key.via.str.size == 3 &&
                memcmp(map->ptr[0].key.via.str.ptr, "seq", 3) == 0);
    assert_int_equal(map->ptr[0].val.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(map->ptr[0].val.via.u64, 99);
    assert_true(map->ptr[1].key.via.str.size == 8 &&
                memcmp(map->ptr[1].key.via.str.ptr, "recorded", 8) == 0);
    assert_int_equal(map->ptr[1].val.via.i64, INT64_C(1733995445123456));
    msgpack_unpacked_destroy(&obj);
    msgpack_sbuffer_destroy(&sb);
    event_free(ev);
}

static void test_wire_encoding(void **state)
{
    (void)state;
    struct event *ev = decode_ok("{" SIGNED "}", EVENT_FROM_CLIENT);
    msgpack_sbuffer sb, expected;

    /* Not stored yet: the content alone. */
    pack_event(&sb, ev, ENCODE_WIRE);
    note_pack(&expected, "{" SIGNED "}");
    assert_int_equal(sb.size, expected.size);
    assert_memory_equal(sb.data, expected.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&expected);

    /* Stored: the content, then seq and recorded as RFC 3339 with microseconds. */
    ev->seq = 7;
    ev->recorded_us = INT64_C(1733995445123456);
    pack_event(&sb, ev, ENCODE_WIRE);
    note_pack(&expected, "{" SIGNED ", 'seq': 7, 'recorded': '2024-12-12T09:24:05.123456Z'}");
    assert_int_equal(sb.size, expected.size);
    assert_memory_equal(sb.data, expected.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&expected);

    /* ENCODE_CONTENT never carries the stamps. */
    pack_event(&sb, ev, ENCODE_CONTENT);
    note_pack(&expected, "{" SIGNED "}");
    assert_int_equal(sb.size, expected.size);
    assert_memory_equal(sb.data, expected.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&expected);
    event_free(ev);
}

static void test_canonical_order(void **state)
{
    (void)state;
    /* Any order in, one order out: type, coalition, date, target, fact, then the table. */
    struct event *ev = decode_ok(
        "{'note': 'n', 'id': 'i', 'fact': {'country': 'B', 'source': 's', 'date': '2024', "
        "'type': 'signed'}, 'source': 'src', 'target': 4, 'date': '2024-12', "
        "'coalition': 'mmas', 'type': 'corrected'}",
        EVENT_FROM_CLIENT);
    msgpack_sbuffer sb, expected;
    pack_event(&sb, ev, ENCODE_CONTENT);
    note_pack(&expected, "{'type': 'corrected', 'coalition': 'mmas', 'date': '2024-12', "
                         "'target': 4, 'fact': {'type': 'signed', 'date': '2024', "
                         "'country': 'B', 'source': 's'}, 'id': 'i', 'source': 'src', "
                         "'note': 'n'}");
    assert_int_equal(sb.size, expected.size);
    assert_memory_equal(sb.data, expected.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&expected);
    event_free(ev);

    ev = decode_ok("{'text': 't', 'commitment': 'c', 'speaker': 's', 'venue': 'v', "
                   "'country': 'X', 'date': '2024', 'coalition': 'm', 'type': 'announced'}",
                   EVENT_FROM_CLIENT);
    pack_event(&sb, ev, ENCODE_CONTENT);
    note_pack(&expected, "{'type': 'announced', 'coalition': 'm', 'date': '2024', "
                         "'country': 'X', 'venue': 'v', 'speaker': 's', 'commitment': 'c', "
                         "'text': 't'}");
    assert_int_equal(sb.size, expected.size);
    assert_memory_equal(sb.data, expected.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&expected);
    event_free(ev);
}

/* ---- clone and comparison --------------------------------------------------------- */

static void test_clone(void **state)
{
    (void)state;
    struct event *ev = decode_ok("{" STAMPS_LOG CORRECTED ", 'fact': {" FACT_FIELDS
                                 ", 'note': 'n'}, 'id': 'k', 'source': 's'}",
                                 EVENT_FROM_LOG);
    struct event *copy = event_clone(ev);
    assert_non_null(copy);
    assert_true(event_same_content(ev, copy));
    assert_int_equal(copy->seq, 7);
    assert_int_equal(copy->recorded_us, ev->recorded_us);
    assert_int_equal(copy->date.counting_day, ev->date.counting_day);
    assert_int_equal(copy->target, 4);
    /* A deep copy: nothing shared. */
    assert_ptr_not_equal(copy->fact, ev->fact);
    assert_ptr_not_equal(copy->field[FIELD_ID], ev->field[FIELD_ID]);
    assert_ptr_not_equal(copy->fact->field[FIELD_COUNTRY], ev->fact->field[FIELD_COUNTRY]);
    assert_true(copy->fact->country_key >= copy->fact->field[FIELD_COUNTRY] &&
                copy->fact->country_key <
                    copy->fact->field[FIELD_COUNTRY] + copy->fact->field_len[FIELD_COUNTRY]);
    event_free(ev); /* the copy outlives the original (ASan checks) */
    assert_string_equal(copy->fact->field[FIELD_NOTE], "n");
    assert_string_equal(copy->field[FIELD_SOURCE], "s");
    event_free(copy);
}

static void test_same_content(void **state)
{
    (void)state;
    static const char *const base =
        "{" CORRECTED ", 'fact': {" FACT_FIELDS "}, 'id': 'k', 'note': 'n'}";
    static const char *const different[] = {
        "{" COMMON("corrected", "2024-12-14") ", 'target': 4, 'fact': {" FACT_FIELDS
                                              "}, 'id': 'k', 'note': 'n'}",
        "{" CORRECTED ", 'fact': {" FACT_FIELDS "}, 'id': 'j', 'note': 'n'}",
        "{" CORRECTED ", 'fact': {" FACT_FIELDS "}, 'note': 'n'}",
        "{" CORRECTED ", 'fact': {" FACT_FIELDS "}, 'id': 'k', 'note': 'n '}",
        "{" CORRECTED ", 'fact': {" FACT_FIELDS "}, 'id': 'k', 'note': 'n', 'source': ''}",
        "{" COMMON("corrected", "2024-12-13") ", 'target': 5, 'fact': {" FACT_FIELDS
                                              "}, 'id': 'k', 'note': 'n'}",
        "{" CORRECTED ", 'fact': {'type': 'signed', 'date': '2024-09-16', 'country': "
        "'Bahamas'}, 'id': 'k', 'note': 'n'}",
        "{" CORRECTED ", 'fact': {'type': 'adhered', 'date': '2024-09', 'country': "
        "'Bahamas'}, 'id': 'k', 'note': 'n'}",
        "{" CORRECTED ", 'fact': {" FACT_FIELDS ", 'coalition': 'mmas'}, 'id': 'k', 'note': 'n'}",
        "{" CORRECTED ", 'fact': {'type': 'adhered', 'date': '2024-09-16', 'country': "
        "'Bahamas '}, 'id': 'k', 'note': 'n'}",
        "{'type': 'corrected', 'coalition': 'mmas2', 'date': '2024-12-13', 'target': 4, "
        "'fact': {" FACT_FIELDS "}, 'id': 'k', 'note': 'n'}",
        "{" RETRACTED "}",
    };
    struct event *a = decode_ok(base, EVENT_FROM_CLIENT);

    /* The same content in another order, with stamps, is the same. */
    struct event *b = decode_ok("{'note': 'n', 'id': 'k', " STAMPS_LOG "'fact': {" FACT_FIELDS
                                "}, " CORRECTED "}",
                                EVENT_FROM_LOG);
    assert_true(event_same_content(a, b));
    assert_true(event_same_content(b, a));
    event_free(b);

    for (size_t i = 0; i < sizeof different / sizeof different[0]; i++) {
        b = decode_ok(different[i], EVENT_FROM_CLIENT);
        if (event_same_content(a, b) || event_same_content(b, a))
            fail_msg("same content: %s", different[i]);
        event_free(b);
    }
    event_free(a);

    /* A partial date and the day it counts on are different texts. */
    a = decode_ok("{" COMMON("signed", "2024-09") ", 'country': 'X'}", EVENT_FROM_CLIENT);
    b = decode_ok("{" COMMON("signed", "2024-09-30") ", 'country': 'X'}", EVENT_FROM_CLIENT);
    assert_int_equal(a->date.counting_day, b->date.counting_day);
    assert_false(event_same_content(a, b));
    event_free(a);
    event_free(b);
}

/* ---- names ----------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    static const char *const types[] = { "established", "signed",    "ratified",  "adhered",
                                         "withdrew",    "announced", "corrected", "retracted" };
    for (int t = 0; t < EVENT_TYPE_COUNT; t++) {
        enum event_type back;
        assert_string_equal(event_type_name((enum event_type)t), types[t]);
        assert_true(event_type_from_name(types[t], strlen(types[t]), &back));
        assert_int_equal(back, t);
        assert_int_equal(event_type_is_fact((enum event_type)t), t <= EVENT_ANNOUNCED);
        assert_int_equal(event_type_is_meta((enum event_type)t), t >= EVENT_CORRECTED);
    }
    enum event_type unused;
    assert_false(event_type_from_name("sign", 4, &unused));
    assert_false(event_type_from_name("signed", 5, &unused));
    assert_string_equal(event_type_name(EVENT_TYPE_COUNT), "unknown");
    assert_string_equal(event_field_name(FIELD_COMMITMENT), "commitment");
    assert_string_equal(event_field_name(FIELD_NOTE), "note");
    assert_string_equal(event_field_name(FIELD_STRING_COUNT), "unknown");
    assert_true(event_type_is_membership(EVENT_WITHDREW));
    assert_false(event_type_is_membership(EVENT_ANNOUNCED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_round_trips),
        cmocka_unit_test(test_decoded_fields),
        cmocka_unit_test(test_country_key),
        cmocka_unit_test(test_log_encoding_puts_stamps_first),
        cmocka_unit_test(test_wire_encoding),
        cmocka_unit_test(test_canonical_order),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_same_content),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
