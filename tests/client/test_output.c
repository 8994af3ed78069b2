/*
 * test_output.c — each result in each format, byte for byte: the results are
 * built here in the shapes doc/contract-notes.md fixes, packed as MessagePack
 * as the daemon sends them, and printed into memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "output.h"
#include "rpc.h"

/* ---- harness ----------------------------------------------------------------------- */

/* A result as the client receives it: JSON text packed as MessagePack, unpacked. */
struct result {
    msgpack_sbuffer sbuf;
    msgpack_unpacked unpacked;
};

static const msgpack_object *make_result(struct result *r, const char *json_text)
{
    json_error_t error;
    json_t *value = json_loads(json_text, 0, &error);

    if (value == NULL)
        fail_msg("fixture is not JSON: %s (line %d)", error.text, error.line);
    assert_int_equal(convert_json_to_sbuffer(value, &r->sbuf), 0);
    json_decref(value);
    msgpack_unpacked_init(&r->unpacked);
    assert_int_equal(msgpack_unpack_next(&r->unpacked, r->sbuf.data, r->sbuf.size, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    return &r->unpacked.data;
}

static void free_result(struct result *r)
{
    msgpack_unpacked_destroy(&r->unpacked);
    msgpack_sbuffer_destroy(&r->sbuf);
}

typedef int (*output_fn)(FILE *, enum out_format, const msgpack_object *, char *);

/* Prints fixture with show in format; returns the text (caller frees). */
static char *render(output_fn show, enum out_format format, const char *fixture)
{
    struct result r;
    char *text = NULL, why[OUTPUT_WHY_MAX];
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    assert_int_equal(show(out, format, make_result(&r, fixture), why), 0);
    fclose(out);
    free_result(&r);
    return text;
}

static void expect_render(output_fn show, enum out_format format, const char *fixture,
                          const char *expected)
{
    char *text = render(show, format, fixture);
    assert_string_equal(text, expected);
    free(text);
}

/* The json format prints the result itself: parsing it back gives the fixture. */
static void expect_same_json(output_fn show, const char *fixture)
{
    char *text = render(show, FORMAT_JSON, fixture);
    json_t *printed = json_loads(text, 0, NULL), *expected = json_loads(fixture, 0, NULL);

    assert_non_null(printed);
    assert_true(json_equal(printed, expected));
    assert_int_equal(text[strlen(text) - 1], '\n');
    json_decref(printed);
    json_decref(expected);
    free(text);
}

/* ---- state ------------------------------------------------------------------------- */

static const char state_fixture[] =
    "{\"coalition\": {\"slug\": \"mmas\", \"established\": true, \"name\": \"MMAS\","
    "  \"basis\": null, \"purpose\": null, \"date\": \"2023\"},"
    " \"at\": \"2024-12-31\", \"as_of_seq\": 12, \"count\": 3,"
    " \"members\": ["
    "  {\"country\": \"El Salvador\", \"status\": \"signed\", \"since\": \"2024-08-03\","
    "   \"ordinal\": 1, \"acts\": [{\"seq\": 2, \"type\": \"signed\", \"date\": \"2024-08-03\"}],"
    "   \"announcements\": [], \"commitments\": []},"
    "  {\"country\": \"Perú\", \"status\": \"ratified\", \"since\": \"2024-09-20\", \"ordinal\": 2,"
    "   \"acts\": [{\"seq\": 3, \"type\": \"signed\", \"date\": \"2024-09-20\"},"
    "              {\"seq\": 6, \"type\": \"ratified\", \"date\": \"2024-10\"}],"
    "   \"announcements\": ["
    "     {\"seq\": 4, \"date\": \"2024-09-21\", \"venue\": null, \"speaker\": null,"
    "      \"commitment\": \"Police\", \"text\": null},"
    "     {\"seq\": 7, \"date\": \"2024-11\", \"venue\": null, \"speaker\": null,"
    "      \"commitment\": \"Medics\", \"text\": null}],"
    "   \"commitments\": [\"Police\", \"Medics\"]},"
    "  {\"country\": \"Guatemala\", \"status\": \"adhered\", \"since\": \"2024-12-06\","
    "   \"ordinal\": 10, \"acts\": [], \"announcements\": [],"
    "   \"commitments\": [\"Military Police contingent\"]}],"
    " \"pledged\": ["
    "  {\"country\": \"Chile\", \"announcements\": [{\"seq\": 9, \"date\": \"2024-10\","
    "   \"venue\": \"OAS\", \"speaker\": null, \"commitment\": null, \"text\": null}],"
    "   \"commitments\": []}],"
    " \"former\": ["
    "  {\"country\": \"Bahamas\", \"status\": \"withdrew\", \"since\": \"2024-09-26\","
    "   \"left\": \"2024-11-01\", \"ordinal\": 3, \"acts\": [], \"announcements\": [],"
    "   \"commitments\": []}]}";

static void test_state_table(void **state)
{
    (void)state;
    /* Perú is 4 code points and 5 bytes: it lines up as 4. */
    expect_render(output_state, FORMAT_TABLE, state_fixture,
                  "mmas: MMAS — at 2024-12-31, as of seq 12, 3 members\n"
                  "ORDINAL  COUNTRY      STATUS    SINCE       COMMITMENTS\n"
                  "      1  El Salvador  signed    2024-08-03\n"
                  "      2  Perú         ratified  2024-09-20  Police; Medics\n"
                  "     10  Guatemala    adhered   2024-12-06  Military Police contingent\n"
                  "\n"
                  "pledged: announced, not yet members\n"
                  "COUNTRY  ANNOUNCED  COMMITMENTS\n"
                  "Chile    2024-10\n"
                  "\n"
                  "former: members no longer\n"
                  "ORDINAL  COUNTRY  STATUS    SINCE       LEFT        COMMITMENTS\n"
                  "      3  Bahamas  withdrew  2024-09-26  2024-11-01\n");
}

static void test_state_tsv(void **state)
{
    (void)state;
    expect_render(output_state, FORMAT_TSV, state_fixture,
                  "section\tordinal\tcountry\tstatus\tsince\tleft\tcommitments\n"
                  "member\t1\tEl Salvador\tsigned\t2024-08-03\t\t\n"
                  "member\t2\tPerú\tratified\t2024-09-20\t\tPolice; Medics\n"
                  "member\t10\tGuatemala\tadhered\t2024-12-06\t\tMilitary Police contingent\n"
                  "pledged\t\tChile\t\t\t\t\n"
                  "former\t3\tBahamas\twithdrew\t2024-09-26\t2024-11-01\t\n");
}

static void test_state_json(void **state)
{
    (void)state;
    expect_same_json(output_state, state_fixture);
}

static void test_state_not_established(void **state)
{
    static const char fixture[] =
        "{\"coalition\": {\"slug\": \"mmas\", \"established\": false, \"name\": null,"
        " \"basis\": null, \"purpose\": null, \"date\": null},"
        " \"at\": \"2023-01-01\", \"as_of_seq\": 8, \"count\": 0,"
        " \"members\": [], \"pledged\": [], \"former\": []}";

    (void)state;
    expect_render(output_state, FORMAT_TABLE, fixture,
                  "mmas: not yet established — at 2023-01-01, as of seq 8, 0 members\n");
    expect_render(output_state, FORMAT_TSV, fixture,
                  "section\tordinal\tcountry\tstatus\tsince\tleft\tcommitments\n");
}

/* ---- timeline, coalitions, status, verify, appends --------------------------------- */

static const char timeline_fixture[] =
    "{\"coalition\": \"mmas\", \"as_of_seq\": 13, \"points\": ["
    " {\"date\": \"2024-08-03\", \"country\": \"El Salvador\", \"type\": \"signed\","
    "  \"seq\": 2, \"count\": 1},"
    " {\"date\": \"2024-09\", \"country\": \"Perú\", \"type\": \"adhered\","
    "  \"seq\": 13, \"count\": 2}]}";

static void test_timeline(void **state)
{
    (void)state;
    expect_render(output_timeline, FORMAT_TABLE, timeline_fixture,
                  "DATE        COUNTRY      TYPE     SEQ  COUNT\n"
                  "2024-08-03  El Salvador  signed     2      1\n"
                  "2024-09     Perú         adhered   13      2\n");
    expect_render(output_timeline, FORMAT_TSV, timeline_fixture,
                  "date\tcountry\ttype\tseq\tcount\n"
                  "2024-08-03\tEl Salvador\tsigned\t2\t1\n"
                  "2024-09\tPerú\tadhered\t13\t2\n");
    expect_same_json(output_timeline, timeline_fixture);
    expect_render(output_timeline, FORMAT_TABLE,
                  "{\"coalition\": \"mmas\", \"as_of_seq\": 1, \"points\": []}",
                  "mmas: no membership changes\n");
}

static void test_coalitions(void **state)
{
    static const char fixture[] =
        "{\"coalitions\": [{\"coalition\": \"mmas\", \"name\": \"MMAS\", \"count\": 5,"
        " \"events\": 8}, {\"coalition\": \"nato\", \"name\": \"North Atlantic Treaty\","
        " \"count\": 32, \"events\": 120}]}";

    (void)state;
    expect_render(output_coalitions, FORMAT_TABLE, fixture,
                  "COALITION  NAME                   MEMBERS  EVENTS\n"
                  "mmas       MMAS                         5       8\n"
                  "nato       North Atlantic Treaty       32     120\n");
    expect_render(output_coalitions, FORMAT_TSV, fixture,
                  "coalition\tname\tmembers\tevents\n"
                  "mmas\tMMAS\t5\t8\n"
                  "nato\tNorth Atlantic Treaty\t32\t120\n");
    expect_same_json(output_coalitions, fixture);
}

static const char status_fixture[] =
    "{\"version\": \"0.1.0\", \"uptime_s\": 12, \"head\": 8, \"segments\": 1,"
    " \"bytes\": 4096, \"data_dir\": \"/var/lib/rollcall\", \"fsync\": \"always\","
    " \"clients\": 1, \"followers\": 0, \"read_only\": false, \"last_error\": null}";

static void test_status(void **state)
{
    (void)state;
    expect_render(output_status, FORMAT_TABLE, status_fixture,
                  "version     0.1.0\n"
                  "uptime_s    12\n"
                  "head        8\n"
                  "segments    1\n"
                  "bytes       4096\n"
                  "data_dir    /var/lib/rollcall\n"
                  "fsync       always\n"
                  "clients     1\n"
                  "followers   0\n"
                  "read_only   false\n"
                  "last_error  -\n");
    expect_render(output_status, FORMAT_TSV, status_fixture,
                  "key\tvalue\n"
                  "version\t0.1.0\n"
                  "uptime_s\t12\n"
                  "head\t8\n"
                  "segments\t1\n"
                  "bytes\t4096\n"
                  "data_dir\t/var/lib/rollcall\n"
                  "fsync\talways\n"
                  "clients\t1\n"
                  "followers\t0\n"
                  "read_only\tfalse\n"
                  "last_error\t\n");
    expect_same_json(output_status, status_fixture);
}

static int verify_adapter(FILE *out, enum out_format format, const msgpack_object *result,
                          char *why)
{
    bool ok = true;
    int rc = output_verify(out, format, result, &ok, why);
    fprintf(out, "[ok=%d]", ok);
    return rc;
}

static void test_verify(void **state)
{
    static const char damaged[] = "{\"ok\": false, \"checked\": 12, \"errors\": ["
                                  " {\"seq\": 7, \"segment\": \"00000001.log\", \"offset\": 4096,"
                                  "  \"message\": \"checksum mismatch\"},"
                                  " {\"seq\": 12, \"segment\": \"00000002.log\", \"offset\": 88,"
                                  "  \"message\": \"not an event: date: no such day\"}]}";

    (void)state;
    expect_render(verify_adapter, FORMAT_TABLE, damaged,
                  "checked 12 events: damage found (2 problems)\n"
                  "SEQ  SEGMENT       OFFSET  MESSAGE\n"
                  "  7  00000001.log    4096  checksum mismatch\n"
                  " 12  00000002.log      88  not an event: date: no such day\n"
                  "[ok=0]");
    expect_render(verify_adapter, FORMAT_TSV, damaged,
                  "seq\tsegment\toffset\tmessage\n"
                  "7\t00000001.log\t4096\tchecksum mismatch\n"
                  "12\t00000002.log\t88\tnot an event: date: no such day\n"
                  "[ok=0]");
    expect_render(verify_adapter, FORMAT_TABLE, "{\"ok\": true, \"checked\": 12, \"errors\": []}",
                  "checked 12 events: all sound\n[ok=1]");
    expect_render(verify_adapter, FORMAT_TSV, "{\"ok\": true, \"checked\": 12, \"errors\": []}",
                  "seq\tsegment\toffset\tmessage\n[ok=1]");
}

static void test_appended(void **state)
{
    static const char fixture[] =
        "{\"seqs\": [9], \"head\": 9, \"recorded\": \"2024-12-12T15:04:05.123456Z\"}";

    (void)state;
    expect_render(output_appended, FORMAT_TABLE, fixture, "9\n");
    expect_render(output_appended, FORMAT_TSV, fixture, "9\n");
    expect_same_json(output_appended, fixture);
}

static void test_import_summary(void **state)
{
    static const struct import_summary sum = {
        .lines = 8, .appended = 6, .repeats = 2, .head = 14
    };
    static const struct {
        enum out_format format;
        const char *text;
    } cases[] = {
        { FORMAT_TABLE, "8 events read: 6 appended, 2 already in the log; head 14\n" },
        { FORMAT_TSV, "lines\tappended\trepeats\thead\n8\t6\t2\t14\n" },
        { FORMAT_JSON, "{\"lines\": 8, \"appended\": 6, \"repeats\": 2, \"head\": 14}\n" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        output_import_summary(out, cases[i].format, &sum);
        fclose(out);
        assert_string_equal(text, cases[i].text);
        free(text);
    }
}

/* ---- events ----------------------------------------------------------------------- */

#define REC "2024-12-12T15:04:05.123456Z"

static const char *const history_fixture[] = {
    "{\"type\": \"established\", \"coalition\": \"mmas\", \"date\": \"2023\","
    " \"name\": \"MMAS\", \"id\": \"m1\", \"seq\": 1, \"recorded\": \"" REC "\"}",
    "{\"type\": \"announced\", \"coalition\": \"mmas\", \"date\": \"2024-09\","
    " \"country\": \"Guatemala\", \"venue\": \"UNGA\", \"speaker\": \"Arévalo\","
    " \"text\": \"ignored when venue or speaker says it\", \"seq\": 5, \"recorded\": \"" REC "\"}",
    "{\"type\": \"corrected\", \"coalition\": \"mmas\", \"date\": \"2024-12-13\", \"target\": 4,"
    " \"fact\": {\"type\": \"adhered\", \"country\": \"Bahamas\", \"date\": \"2024-09-16\"},"
    " \"note\": \"typo\", \"seq\": 9, \"recorded\": \"" REC "\"}",
    "{\"type\": \"retracted\", \"coalition\": \"mmas\", \"date\": \"2024-12-14\", \"target\": 2,"
    " \"note\": \"no\\tsuch\", \"seq\": 10, \"recorded\": \"" REC "\"}",
    "{\"type\": \"announced\", \"coalition\": \"mmas\", \"date\": \"2025\","
    " \"text\": \"a\\tb\\nc\\\\d\", \"seq\": 11, \"recorded\": \"" REC "\"}",
    "{\"type\": \"signed\", \"coalition\": \"mmas\", \"date\": \"2024-08-03\","
    " \"country\": \"El Salvador\", \"seq\": 2, \"recorded\": \"" REC "\"}",
};
#define HISTORY_COUNT (sizeof history_fixture / sizeof history_fixture[0])

/* Feeds every fixture event through a printer; returns the text. */
static char *print_events(enum out_format format, bool streaming, const char *const *events,
                          size_t count)
{
    struct event_printer printer;
    char *text = NULL, why[OUTPUT_WHY_MAX];
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    event_printer_init(&printer, out, format, streaming);
    if (streaming)
        assert_int_equal(event_printer_header(&printer, why), 0);
    for (size_t i = 0; i < count; i++) {
        struct result r;
        assert_int_equal(event_printer_add_msgpack(&printer, make_result(&r, events[i]), why), 0);
        free_result(&r);
    }
    assert_int_equal(event_printer_finish(&printer, why), 0);
    event_printer_free(&printer);
    fclose(out);
    return text;
}

static void test_history_tsv_escapes(void **state)
{
    char *text = print_events(FORMAT_TSV, false, history_fixture, HISTORY_COUNT);

    (void)state;
    /* A tab, line break or backslash in a field never breaks a row. */
    assert_string_equal(text, "seq\trecorded\tdate\ttype\tcoalition\tcountry\tsummary\n"
                              "1\t" REC "\t2023\testablished\tmmas\t\tMMAS\n"
                              "5\t" REC "\t2024-09\tannounced\tmmas\tGuatemala\tUNGA; Arévalo\n"
                              "9\t" REC "\t2024-12-13\tcorrected\tmmas\tBahamas\t"
                              "seq 4 → adhered Bahamas 2024-09-16\n"
                              "10\t" REC "\t2024-12-14\tretracted\tmmas\t\tseq 2: no\\tsuch\n"
                              "11\t" REC "\t2025\tannounced\tmmas\t\ta\\tb\\nc\\\\d\n"
                              "2\t" REC "\t2024-08-03\tsigned\tmmas\tEl Salvador\t\n");
    free(text);
}

static void test_history_table(void **state)
{
    char *text = print_events(FORMAT_TABLE, false, history_fixture, HISTORY_COUNT);

    (void)state;
    assert_string_equal(
        text, "SEQ  RECORDED                     DATE        TYPE         COALITION  COUNTRY      "
              "SUMMARY\n"
              "  1  " REC "  2023        established  mmas                    MMAS\n"
              "  5  " REC "  2024-09     announced    mmas       Guatemala    UNGA; Arévalo\n"
              "  9  " REC "  2024-12-13  corrected    mmas       Bahamas      "
              "seq 4 → adhered Bahamas 2024-09-16\n"
              " 10  " REC "  2024-12-14  retracted    mmas                    seq 2: no such\n"
              " 11  " REC "  2025        announced    mmas                    a b c\\d\n"
              "  2  " REC "  2024-08-03  signed       mmas       El Salvador\n");
    free(text);

    text = print_events(FORMAT_TABLE, false, NULL, 0);
    assert_string_equal(text, "no events\n");
    free(text);
}

static void test_history_json_lines(void **state)
{
    char *text = print_events(FORMAT_JSON, false, history_fixture, HISTORY_COUNT);
    char *line = text;

    (void)state;
    for (size_t i = 0; i < HISTORY_COUNT; i++) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        json_t *printed = json_loadb(line, (size_t)(end - line), 0, NULL);
        json_t *expected = json_loads(history_fixture[i], 0, NULL);
        assert_non_null(printed);
        assert_true(json_equal(printed, expected));
        json_decref(printed);
        json_decref(expected);
        line = end + 1;
    }
    assert_string_equal(line, "");
    free(text);
}

static void test_follow_table_streams_fixed_columns(void **state)
{
    char *text = print_events(FORMAT_TABLE, true, history_fixture, 2);

    (void)state;
    /* Printed as they come: the header at once, then rows in columns wide enough. */
    assert_string_equal(
        text, "  SEQ  RECORDED                     DATE        TYPE         COALITION   "
              "COUNTRY         SUMMARY\n"
              "    1  " REC "  2023        established  mmas                        MMAS\n"
              "    5  " REC "  2024-09     announced    mmas        Guatemala       "
              "UNGA; Arévalo\n");
    free(text);

    /* tsv: the header even before the first event. */
    text = print_events(FORMAT_TSV, true, NULL, 0);
    assert_string_equal(text, "seq\trecorded\tdate\ttype\tcoalition\tcountry\tsummary\n");
    free(text);
}

static void test_table_cuts_long_summaries(void **state)
{
    char name[2 * 70 + 1] = "";
    char event[512], expected[512];

    (void)state;
    for (int i = 0; i < 70; i++)
        strcat(name, "é");
    snprintf(event, sizeof event,
             "{\"type\": \"established\", \"coalition\": \"x\", \"date\": \"2023\","
             " \"name\": \"%s\", \"seq\": 1, \"recorded\": \"" REC "\"}",
             name);
    const char *events[] = { event };
    char *text = print_events(FORMAT_TABLE, false, events, 1);
    /* 59 é and an ellipsis: 60 code points, whatever their bytes. */
    snprintf(expected, sizeof expected, "%.*s…\n", 59 * 2, name);
    assert_non_null(strstr(text, expected));
    free(text);

    /* TSV is for machines: never cut. */
    text = print_events(FORMAT_TSV, false, events, 1);
    assert_non_null(strstr(text, name));
    free(text);
}

static void test_summaries(void **state)
{
    static const struct {
        const char *event, *summary;
    } cases[] = {
        { "{\"type\": \"established\", \"name\": \"MMAS\"}", "MMAS" },
        { "{\"type\": \"announced\", \"commitment\": \"Police\"}", "Police" },
        { "{\"type\": \"announced\", \"venue\": \"OAS\", \"commitment\": \"Police\"}",
          "OAS; Police" },
        { "{\"type\": \"announced\", \"text\": \"We stand with Haiti\"}", "We stand with Haiti" },
        { "{\"type\": \"corrected\", \"target\": 1, \"fact\": {\"type\": \"established\","
          " \"name\": \"MMAS\", \"date\": \"2023-10-02\"}}",
          "seq 1 → established MMAS 2023-10-02" },
        { "{\"type\": \"retracted\", \"target\": 2, \"note\": \"never signed\"}",
          "seq 2: never signed" },
        { "{\"type\": \"withdrew\", \"country\": \"X\"}", "" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *event = json_loads(cases[i].event, 0, NULL);
        char *summary = event_summary(event);
        assert_string_equal(summary, cases[i].summary);
        free(summary);
        json_decref(event);
    }
}

/* ---- the grid itself ------------------------------------------------------------------ */

static void test_grid_widths_and_escapes(void **state)
{
    struct grid grid;
    char *text = NULL;
    size_t size = 0;

    (void)state;
    assert_int_equal(utf8_width("Perú"), 4);
    assert_int_equal(utf8_width("日本"), 2);
    assert_int_equal(utf8_width(""), 0);

    assert_true(grid_init(&grid, "name n> note"));
    assert_int_equal(grid.columns, 3);
    assert_true(grid.column[1].right);
    assert_string_equal(grid.column[1].name, "n");
    grid_add(&grid, "Côte d’Ivoire");
    grid_addf(&grid, "%d", 7);
    grid_add(&grid, "a\tb\\c\nd\re");
    grid_add(&grid, NULL);
    grid_add(&grid, "12");
    grid_add(&grid, "");
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(grid_print_table(&grid, out, true), 0);
    assert_int_equal(grid_print_tsv(&grid, out, true), 0);
    fclose(out);
    assert_string_equal(text, "NAME            N  NOTE\n"
                              "Côte d’Ivoire   7  a b\\c d e\n"
                              "               12\n"
                              "name\tn\tnote\n"
                              "Côte d’Ivoire\t7\ta\\tb\\\\c\\nd\\re\n"
                              "\t12\t\n");
    free(text);
    grid_free(&grid);

    assert_false(grid_init(&grid, "a b c d e f g h i"));
    assert_false(grid_init(&grid, "a-name-far-too-long-for-a-column"));
}

/* ---- what can't be shown ------------------------------------------------------------------ */

static void test_result_json_cannot_hold(void **state)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_unpacked unpacked;
    char *text = NULL, why[OUTPUT_WHY_MAX];
    size_t size = 0;

    (void)state;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    mp_pack_key(&pk, "version");
    msgpack_pack_bin(&pk, 2);
    msgpack_pack_bin_body(&pk, "\x01\x02", 2);
    msgpack_unpacked_init(&unpacked);
    assert_int_equal(msgpack_unpack_next(&unpacked, sbuf.data, sbuf.size, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(output_status(out, FORMAT_TABLE, &unpacked.data, why), -1);
    fclose(out);
    assert_string_equal(text, "");
    assert_non_null(strstr(why, "binary"));
    free(text);
    msgpack_unpacked_destroy(&unpacked);
    msgpack_sbuffer_destroy(&sbuf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_table),
        cmocka_unit_test(test_state_tsv),
        cmocka_unit_test(test_state_json),
        cmocka_unit_test(test_state_not_established),
        cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_coalitions),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_appended),
        cmocka_unit_test(test_import_summary),
        cmocka_unit_test(test_history_tsv_escapes),
        cmocka_unit_test(test_history_table),
        cmocka_unit_test(test_history_json_lines),
        cmocka_unit_test(test_follow_table_streams_fixed_columns),
        cmocka_unit_test(test_table_cuts_long_summaries),
        cmocka_unit_test(test_summaries),
        cmocka_unit_test(test_grid_widths_and_escapes),
        cmocka_unit_test(test_result_json_cannot_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
