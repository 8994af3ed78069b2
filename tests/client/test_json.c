/*
 * test_json.c — JSON to MessagePack and back, and the reading and checking
 * of import lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "json.h"
#include "rpc.h"

/* ---- JSON to MessagePack and back ------------------------------------------------------ */

/* Packs json text, unpacks it into u (caller destroys u and sbuf). */
static const msgpack_object *pack(const char *text, msgpack_sbuffer *sbuf, msgpack_unpacked *u)
{
    json_t *value = json_loads(text, JSON_DECODE_ANY, NULL);

    assert_non_null(value);
    assert_int_equal(convert_json_to_sbuffer(value, sbuf), 0);
    json_decref(value);
    msgpack_unpacked_init(u);
    assert_int_equal(msgpack_unpack_next(u, sbuf->data, sbuf->size, NULL), MSGPACK_UNPACK_SUCCESS);
    return &u->data;
}

static void test_round_trip(void **state)
{
    static const char *const values[] = {
        "{\"a\": 1, \"b\": -2, \"c\": 1.5, \"d\": \"Perú – ‘quoted’\", \"e\": [true, false, null],"
        " \"f\": {\"g\": [], \"h\": {}}, \"big\": 9223372036854775807,"
        " \"small\": -9223372036854775808}",
        "[]",
        "\"\"",
        "0",
    };
    char why[128];

    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        msgpack_sbuffer sbuf;
        msgpack_unpacked u;
        json_t *back = convert_msgpack_to_json(pack(values[i], &sbuf, &u), why, sizeof why);
        json_t *original = json_loads(values[i], JSON_DECODE_ANY, NULL);
        assert_non_null(back);
        assert_true(json_equal(back, original));
        json_decref(back);
        json_decref(original);
        msgpack_unpacked_destroy(&u);
        msgpack_sbuffer_destroy(&sbuf);
    }
}

static void test_integers_stay_integers(void **state)
{
    msgpack_sbuffer sbuf;
    msgpack_unpacked u;

    (void)state;
    const msgpack_object *o = pack("[42, -3, 1.0, 0]", &sbuf, &u);
    assert_int_equal(o->via.array.ptr[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(o->via.array.ptr[0].via.u64, 42);
    assert_int_equal(o->via.array.ptr[1].type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
    assert_int_equal(o->via.array.ptr[1].via.i64, -3);
    /* A real stays a float, so the schema can refuse it by name rather than truncate. */
    assert_int_equal(o->via.array.ptr[2].type, MSGPACK_OBJECT_FLOAT64);
    assert_int_equal(o->via.array.ptr[3].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sbuf);
}

/* Converts what the packer callback wrote; expects a refusal that says why. */
static void expect_refused(void (*build)(msgpack_packer *), const char *reason)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_unpacked u;
    char why[128] = "";

    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    build(&pk);
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, sbuf.data, sbuf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    assert_null(convert_msgpack_to_json(&u.data, why, sizeof why));
    if (strstr(why, reason) == NULL)
        fail_msg("refusal \"%s\" does not say \"%s\"", why, reason);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sbuf);
}

static void build_bin(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, 1);
    msgpack_pack_bin(pk, 1);
    msgpack_pack_bin_body(pk, "x", 1);
}

static void build_ext(msgpack_packer *pk)
{
    msgpack_pack_ext(pk, 1, 7);
    msgpack_pack_ext_body(pk, "x", 1);
}

static void build_int_key(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    msgpack_pack_int(pk, 1);
    msgpack_pack_int(pk, 2);
}

static void build_huge(msgpack_packer *pk)
{
    msgpack_pack_uint64(pk, UINT64_MAX);
}

static void build_bad_utf8(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    mp_pack_key(pk, "country");
    mp_pack_strn(pk, "Per\xc3", 4);
}

static void build_nan(msgpack_packer *pk)
{
    msgpack_pack_double(pk, __builtin_nan(""));
}

static void test_what_json_cannot_hold(void **state)
{
    (void)state;
    expect_refused(build_bin, "binary");
    expect_refused(build_ext, "extension");
    expect_refused(build_int_key, "not a string");
    expect_refused(build_huge, "too large");
    expect_refused(build_bad_utf8, "UTF-8");
    expect_refused(build_nan, "float");
}

/* ---- import lines ---------------------------------------------------------------------- */

static void test_import_line_accepted(void **state)
{
    static const char line[] =
        "{\"type\": \"corrected\", \"coalition\": \"mmas\", \"date\": \"2024-12-13\","
        " \"target\": 4, \"fact\": {\"type\": \"adhered\", \"country\": \"Bahamas\","
        " \"date\": \"2024-09-16\"}, \"seq\": 9, \"recorded\": \"2024-12-13T10:00:00.000001Z\"}";
    struct event_error err;

    (void)state;
    struct event *event = import_decode_line(line, strlen(line), &err);
    assert_non_null(event);
    assert_int_equal(event->type, EVENT_CORRECTED);
    assert_int_equal(event->target, 4);
    assert_int_equal(event->seq, 9);
    assert_string_equal(event->fact->field[FIELD_COUNTRY], "Bahamas");
    event_free(event);

    /* A hand-written line has no seq. */
    static const char plain[] = "{\"type\": \"signed\", \"coalition\": \"mmas\", \"country\":"
                                " \"El Salvador\", \"date\": \"2024-08-03\"}";
    event = import_decode_line(plain, strlen(plain), &err);
    assert_non_null(event);
    assert_int_equal(event->seq, 0);
    event_free(event);
}

static void expect_line_error(const char *line, const char *field, const char *message)
{
    struct event_error err;
    struct event *event = import_decode_line(line, strlen(line), &err);

    if (event != NULL)
        fail_msg("line accepted: %s", line);
    assert_string_equal(err.field, field);
    if (strstr(err.message, message) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", err.message, message);
}

static void test_import_line_errors_name_the_field(void **state)
{
    (void)state;
    expect_line_error("{\"type\": \"signed\", \"coalition\": \"m\"", "", "not JSON");
    expect_line_error("[1, 2]", "", "an event is a JSON object");
    expect_line_error("{\"type\": \"signed\", \"coalition\": \"m\", \"date\": \"2024\"}", "country",
                      "missing");
    expect_line_error("{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"X\","
                      " \"date\": 2024}",
                      "date", "must be a string");
    expect_line_error("{\"type\": \"retracted\", \"coalition\": \"m\", \"date\": \"2024\","
                      " \"note\": \"x\", \"target\": 4.0}",
                      "target", "positive integer");
    expect_line_error("{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"X\","
                      " \"date\": \"2024\", \"colour\": \"red\"}",
                      "colour", "unknown field");
    expect_line_error("{\"type\": \"corrected\", \"coalition\": \"m\", \"date\": \"2024\","
                      " \"target\": 3, \"fact\": {\"type\": \"signed\", \"date\": \"2024\"}}",
                      "fact.country", "missing");
    expect_line_error("{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"X\","
                      " \"date\": \"2024\", \"seq\": 3, \"recorded\": \"yesterday\"}",
                      "recorded", "RFC 3339");
    /* Duplicate keys would otherwise silently keep the last. */
    expect_line_error("{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"X\","
                      " \"date\": \"2024\", \"date\": \"2025\"}",
                      "", "duplicate");
    /* A NUL inside a line is no way to end it early. */
    expect_line_error("{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"X\\u0000\","
                      " \"date\": \"2024\"}",
                      "", "not JSON");
}

/* ---- reading lines ----------------------------------------------------------------------- */

static void test_line_reader(void **state)
{
    static char input[] = "first\n\nthird has a \0 inside\nlast, without newline";
    struct line_reader reader;
    FILE *in = fmemopen(input, sizeof input - 1, "r");

    (void)state;
    line_reader_init(&reader, in);
    assert_int_equal(line_reader_next(&reader), LINE_OK);
    assert_string_equal(reader.buf, "first");
    assert_int_equal(reader.number, 1);
    assert_int_equal(line_reader_next(&reader), LINE_OK);
    assert_int_equal(reader.len, 0);
    assert_int_equal(line_reader_next(&reader), LINE_OK);
    assert_int_equal(reader.len, 20); /* the NUL counts: JSON parsing will refuse it */
    assert_int_equal(reader.number, 3);
    assert_int_equal(line_reader_next(&reader), LINE_OK);
    assert_string_equal(reader.buf, "last, without newline");
    assert_int_equal(line_reader_next(&reader), LINE_EOF);
    line_reader_free(&reader);
    fclose(in);
}

static void test_line_reader_bounds_a_line(void **state)
{
    size_t size = IMPORT_LINE_MAX + 16;
    char *input = malloc(size);
    struct line_reader reader;

    (void)state;
    assert_non_null(input);
    memset(input, 'x', size);
    memcpy(input, "short\n", 6);
    FILE *in = fmemopen(input, size, "r");
    line_reader_init(&reader, in);
    assert_int_equal(line_reader_next(&reader), LINE_OK);
    assert_int_equal(line_reader_next(&reader), LINE_TOO_LONG);
    assert_int_equal(reader.number, 2);
    line_reader_free(&reader);
    fclose(in);
    free(input);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_integers_stay_integers),
        cmocka_unit_test(test_what_json_cannot_hold),
        cmocka_unit_test(test_import_line_accepted),
        cmocka_unit_test(test_import_line_errors_name_the_field),
        cmocka_unit_test(test_line_reader),
        cmocka_unit_test(test_line_reader_bounds_a_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
