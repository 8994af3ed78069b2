/*
 * output.c — each command's result in the three formats of cli.md.
 *
 * Every result is first turned into JSON (jansson): the json format prints it
 * as it is, and the table and tsv formats pick their cells from it.
 */
#include "output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "json.h"
#include "keys.h"

/* ---- values as text --------------------------------------------------------- */

static json_t *get(json_t *object, const char *key)
{
    return json_is_object(object) ? json_object_get(object, key) : NULL;
}

/* The string at key, or "" when it is absent or not a string. */
static const char *text(json_t *object, const char *key)
{
    const char *value = json_string_value(get(object, key));
    return value ? value : "";
}

static char *join_texts(json_t *array, const char *separator);

/* Any value as cell text (malloc'd, NULL if out of memory): null is "". */
static char *value_text(json_t *value)
{
    char *s = NULL;

    if (value == NULL)
        return strdup("");
    switch (json_typeof(value)) {
    case JSON_STRING:
        return strdup(json_string_value(value));
    case JSON_INTEGER:
        return asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(value)) < 0 ? NULL : s;
    case JSON_REAL:
        return asprintf(&s, "%.17g", json_real_value(value)) < 0 ? NULL : s;
    case JSON_TRUE:
        return strdup("true");
    case JSON_FALSE:
        return strdup("false");
    case JSON_ARRAY:
        return join_texts(value, "; ");
    case JSON_OBJECT:
        return json_dumps(value, JSON_COMPACT);
    case JSON_NULL:
    default:
        return strdup("");
    }
}

/* The texts of an array's items, separated; empty items are skipped. */
static char *join_texts(json_t *array, const char *separator)
{
    char *joined = NULL;
    size_t size = 0, index;
    json_t *item;
    FILE *buf = open_memstream(&joined, &size);

    if (buf == NULL)
        return NULL;
    bool first = true;
    json_array_foreach(array, index, item)
    {
        char *s = value_text(item);
        if (s && s[0] != '\0') {
            fprintf(buf, "%s%s", first ? "" : separator, s);
            first = false;
        }
        free(s);
    }
    if (fclose(buf) != 0) {
        free(joined);
        return NULL;
    }
    return joined;
}

static void add_value(struct grid *grid, json_t *value)
{
    char *s = value_text(value);
    if (s == NULL)
        grid->failed = true;
    grid_add(grid, s);
    free(s);
}

static void add_key(struct grid *grid, json_t *object, const char *key)
{
    add_value(grid, get(object, key));
}

/* A country of a state result: its cells, members' and former members' columns. */
static const char *const member_keys[] = { RC_KEY_ORDINAL, RC_KEY_COUNTRY, RC_KEY_STATUS,
                                           RC_KEY_SINCE,   RC_KEY_LEFT,    RC_KEY_COMMITMENTS };

static void add_member(struct grid *grid, json_t *country, bool with_left)
{
    for (size_t i = 0; i < sizeof member_keys / sizeof member_keys[0]; i++) {
        if (with_left || strcmp(member_keys[i], RC_KEY_LEFT) != 0)
            add_key(grid, country, member_keys[i]);
    }
}

/* Converts the result, or fills why. */
static json_t *result_json(const msgpack_object *result, char *why)
{
    char reason[OUTPUT_WHY_MAX - 32];
    json_t *value = convert_msgpack_to_json(result, reason, sizeof reason);

    if (value == NULL)
        snprintf(why, OUTPUT_WHY_MAX, "the reply holds %s", reason);
    return value;
}

static int grid_failed(char *why)
{
    snprintf(why, OUTPUT_WHY_MAX, "out of memory");
    return -1;
}

void output_json_document(FILE *out, json_t *value)
{
    json_dumpf(value, out, JSON_INDENT(2));
    putc('\n', out);
}

void output_json_line(FILE *out, json_t *value)
{
    json_dumpf(value, out, JSON_COMPACT);
    putc('\n', out);
}

/* Prints a grid in the table or tsv format. */
static int print_grid(const struct grid *grid, FILE *out, enum out_format format, bool header)
{
    return format == FORMAT_TSV ? grid_print_tsv(grid, out, header)
                                : grid_print_table(grid, out, header);
}

/* ---- state ------------------------------------------------------------------ */

static void state_title(FILE *out, json_t *state)
{
    json_t *coalition = get(state, RC_KEY_COALITION);
    json_int_t count = json_integer_value(get(state, RC_KEY_COUNT));

    fputs(text(coalition, RC_KEY_SLUG), out);
    if (json_is_true(get(coalition, RC_KEY_ESTABLISHED)))
        fprintf(out, ": %s", text(coalition, RC_KEY_NAME));
    else
        fputs(": not yet established", out);
    fprintf(out,
            " — at %s, as of seq %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT " member%s\n",
            text(state, RC_KEY_AT), json_integer_value(get(state, RC_KEY_AS_OF_SEQ)), count,
            count == 1 ? "" : "s");
}

static int state_table(FILE *out, json_t *state, char *why)
{
    struct grid members, pledged, former;
    size_t index;
    json_t *c;
    int rc = 0;

    grid_init(&members, "ordinal> country status since commitments");
    grid_init(&pledged, "country announced commitments");
    grid_init(&former, "ordinal> country status since left commitments");
    json_array_foreach(get(state, RC_KEY_MEMBERS), index, c)
    {
        add_member(&members, c, false);
    }
    json_array_foreach(get(state, RC_KEY_PLEDGED), index, c)
    {
        add_key(&pledged, c, RC_KEY_COUNTRY);
        add_key(&pledged, json_array_get(get(c, RC_KEY_ANNOUNCEMENTS), 0), RC_KEY_DATE);
        add_key(&pledged, c, RC_KEY_COMMITMENTS);
    }
    json_array_foreach(get(state, RC_KEY_FORMER), index, c)
    {
        add_member(&former, c, true);
    }

    state_title(out, state);
    if (grid_rows(&members) > 0)
        rc |= grid_print_table(&members, out, true);
    if (grid_rows(&pledged) > 0) {
        fputs("\npledged: announced, not yet members\n", out);
        rc |= grid_print_table(&pledged, out, true);
    }
    if (grid_rows(&former) > 0) {
        fputs("\nformer: members no longer\n", out);
        rc |= grid_print_table(&former, out, true);
    }
    grid_free(&members);
    grid_free(&pledged);
    grid_free(&former);
    return rc ? grid_failed(why) : 0;
}

/* One row per country: the section, then the columns every section shares. */
static int state_tsv(FILE *out, json_t *state, char *why)
{
    static const char *const sections[] = { RC_KEY_MEMBERS, RC_KEY_PLEDGED, RC_KEY_FORMER };
    static const char *const names[] = { "member", "pledged", "former" };
    struct grid grid;
    size_t index;
    json_t *c;

    grid_init(&grid, "section ordinal country status since left commitments");
    for (size_t s = 0; s < 3; s++) {
        json_array_foreach(get(state, sections[s]), index, c)
        {
            grid_add(&grid, names[s]);
            add_member(&grid, c, true);
        }
    }
    int rc = grid_print_tsv(&grid, out, true);
    grid_free(&grid);
    return rc ? grid_failed(why) : 0;
}

int output_state(FILE *out, enum out_format format, const msgpack_object *result, char *why)
{
    json_t *state = result_json(result, why);
    int rc = 0;

    if (state == NULL)
        return -1;
    if (format == FORMAT_JSON)
        output_json_document(out, state);
    else if (format == FORMAT_TSV)
        rc = state_tsv(out, state, why);
    else
        rc = state_table(out, state, why);
    json_decref(state);
    return rc;
}

/* ---- timeline, coalitions, status --------------------------------------------- */

/* Builds a grid from the objects of array, taking keys in column order. */
static int print_objects(FILE *out, enum out_format format, const char *spec,
                         const char *const *keys, json_t *array, char *why)
{
    struct grid grid;
    size_t index;
    json_t *item;

    grid_init(&grid, spec);
    json_array_foreach(array, index, item)
    {
        for (size_t k = 0; k < grid.columns; k++)
            add_key(&grid, item, keys[k]);
    }
    int rc = print_grid(&grid, out, format, true);
    grid_free(&grid);
    return rc ? grid_failed(why) : 0;
}

int output_timeline(FILE *out, enum out_format format, const msgpack_object *result, char *why)
{
    static const char *const keys[] = { RC_KEY_DATE, RC_KEY_COUNTRY, RC_KEY_TYPE, RC_KEY_SEQ,
                                        RC_KEY_COUNT };
    json_t *timeline = result_json(result, why);
    int rc = 0;

    if (timeline == NULL)
        return -1;
    json_t *points = get(timeline, RC_KEY_POINTS);
    if (format == FORMAT_JSON)
        output_json_document(out, timeline);
    else if (format == FORMAT_TABLE && json_array_size(points) == 0)
        fprintf(out, "%s: no membership changes\n", text(timeline, RC_KEY_COALITION));
    else
        rc = print_objects(out, format, "date country type seq> count>", keys, points, why);
    json_decref(timeline);
    return rc;
}

int output_coalitions(FILE *out, enum out_format format, const msgpack_object *result, char *why)
{
    static const char *const keys[] = { RC_KEY_COALITION, RC_KEY_NAME, RC_KEY_COUNT,
                                        RC_KEY_EVENTS };
    json_t *list = result_json(result, why);
    int rc = 0;

    if (list == NULL)
        return -1;
    json_t *coalitions = get(list, RC_KEY_COALITIONS);
    if (format == FORMAT_JSON)
        output_json_document(out, list);
    else if (format == FORMAT_TABLE && json_array_size(coalitions) == 0)
        fputs("no coalitions yet\n", out);
    else
        rc = print_objects(out, format, "coalition name members> events>", keys, coalitions, why);
    json_decref(list);
    return rc;
}

int output_status(FILE *out, enum out_format format, const msgpack_object *result, char *why)
{
    json_t *status = result_json(result, why);
    struct grid grid;
    const char *key;
    json_t *value;
    int rc = 0;

    if (status == NULL)
        return -1;
    if (format == FORMAT_JSON) {
        output_json_document(out, status);
        json_decref(status);
        return 0;
    }
    grid_init(&grid, "key value");
    json_object_foreach(status, key, value)
    {
        grid_add(&grid, key);
        if (format == FORMAT_TABLE && json_is_null(value))
            grid_add(&grid, "-");
        else
            add_value(&grid, value);
    }
    /* A table of key/value pairs needs no header; TSV always has one. */
    rc = print_grid(&grid, out, format, format == FORMAT_TSV);
    grid_free(&grid);
    json_decref(status);
    return rc ? grid_failed(why) : 0;
}

/* ---- verify, appends, imports ------------------------------------------------- */

int output_verify(FILE *out, enum out_format format, const msgpack_object *result, bool *ok,
                  char *why)
{
    static const char *const keys[] = { RC_KEY_SEQ, RC_KEY_SEGMENT, RC_KEY_OFFSET, RC_KEY_MESSAGE };
    json_t *verdict = result_json(result, why);
    int rc = 0;

    *ok = false;
    if (verdict == NULL)
        return -1;
    json_t *errors = get(verdict, RC_KEY_ERRORS);
    *ok = json_is_true(get(verdict, RC_KEY_OK));
    if (format == FORMAT_JSON) {
        output_json_document(out, verdict);
    } else {
        if (format == FORMAT_TABLE) {
            size_t problems = json_array_size(errors);
            fprintf(out, "checked %" JSON_INTEGER_FORMAT " events: ",
                    json_integer_value(get(verdict, RC_KEY_CHECKED)));
            if (*ok)
                fputs("all sound\n", out);
            else
                fprintf(out, "damage found (%zu problem%s)\n", problems, problems == 1 ? "" : "s");
        }
        if (format == FORMAT_TSV || json_array_size(errors) > 0)
            rc = print_objects(out, format, "seq> segment offset> message", keys, errors, why);
    }
    json_decref(verdict);
    return rc;
}

int output_appended(FILE *out, enum out_format format, const msgpack_object *result, char *why)
{
    json_t *appended = result_json(result, why);
    size_t index;
    json_t *seq;

    if (appended == NULL)
        return -1;
    if (format == FORMAT_JSON) {
        output_json_document(out, appended);
    } else {
        /* The bare seq: what `seq=$(rollcall record ...)` wants. */
        json_array_foreach(get(appended, RC_KEY_SEQS), index, seq)
            fprintf(out, "%" JSON_INTEGER_FORMAT "\n", json_integer_value(seq));
    }
    json_decref(appended);
    return 0;
}

void output_import_summary(FILE *out, enum out_format format, const struct import_summary *sum)
{
    switch (format) {
    case FORMAT_JSON:
        fprintf(out,
                "{\"lines\": %" PRIu64 ", \"appended\": %" PRIu64 ", \"repeats\": %" PRIu64
                ", \"head\": %" PRIu64 "}\n",
                sum->lines, sum->appended, sum->repeats, sum->head);
        break;
    case FORMAT_TSV:
        fprintf(out,
                "lines\tappended\trepeats\thead\n%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                "\n",
                sum->lines, sum->appended, sum->repeats, sum->head);
        break;
    default:
        fprintf(out,
                "%" PRIu64 " event%s read: %" PRIu64 " appended, %" PRIu64
                " already in the log; head %" PRIu64 "\n",
                sum->lines, sum->lines == 1 ? "" : "s", sum->appended, sum->repeats, sum->head);
    }
}

/* ---- events ------------------------------------------------------------------- */

/* Appends " part" (or "part" at the start) when part is not empty. */
static void append_part(FILE *buf, bool *first, const char *separator, const char *part)
{
    if (part[0] == '\0')
        return;
    fprintf(buf, "%s%s", *first ? "" : separator, part);
    *first = false;
}

char *event_summary(json_t *event)
{
    const char *name = text(event, RC_KEY_TYPE);
    json_t *fact = get(event, RC_KEY_FACT);
    enum event_type type;
    char *summary = NULL;
    size_t size = 0;
    bool first = true;
    FILE *buf;

    if (!event_type_from_name(name, strlen(name), &type))
        return strdup("");
    if ((buf = open_memstream(&summary, &size)) == NULL)
        return NULL;
    switch (type) {
    case EVENT_ESTABLISHED:
        fputs(text(event, RC_KEY_NAME), buf);
        break;
    case EVENT_ANNOUNCED:
        append_part(buf, &first, "; ", text(event, RC_KEY_VENUE));
        append_part(buf, &first, "; ", text(event, RC_KEY_SPEAKER));
        append_part(buf, &first, "; ", text(event, RC_KEY_COMMITMENT));
        if (first)
            fputs(text(event, RC_KEY_TEXT), buf);
        break;
    case EVENT_CORRECTED:
        fprintf(buf, "seq %" JSON_INTEGER_FORMAT " →",
                json_integer_value(get(event, RC_KEY_TARGET)));
        first = false;
        append_part(buf, &first, " ", text(fact, RC_KEY_TYPE));
        append_part(buf, &first, " ", text(fact, RC_KEY_COUNTRY));
        append_part(buf, &first, " ", text(fact, RC_KEY_NAME));
        append_part(buf, &first, " ", text(fact, RC_KEY_DATE));
        break;
    case EVENT_RETRACTED:
        fprintf(buf, "seq %" JSON_INTEGER_FORMAT ": %s",
                json_integer_value(get(event, RC_KEY_TARGET)), text(event, RC_KEY_NOTE));
        break;
    default:
        break; /* a membership fact: its country and date say it all */
    }
    if (fclose(buf) != 0) {
        free(summary);
        return NULL;
    }
    return summary;
}

/*
 * Cuts text to max code points, the last of them "…". text has more than
 * max code points and 3 spare bytes past its end.
 */
static void truncate_utf8(char *text, size_t max)
{
    size_t points = 0;
    for (char *s = text; *s; s++) {
        if ((*s & 0xc0) != 0x80 && points++ == max - 1) {
            strcpy(s, "…");
            return;
        }
    }
}

void event_printer_init(struct event_printer *printer, FILE *out, enum out_format format,
                        bool streaming)
{
    memset(printer, 0, sizeof *printer);
    printer->out = out;
    printer->format = format;
    printer->streaming = streaming;
    grid_init(&printer->grid, "seq> recorded date type coalition country summary");
    if (streaming) {
        /* Rows can't be aligned after the fact: columns wide enough for most. */
        static const size_t widths[] = { 5, 27, 10, 11, 10, 14, 0 };
        for (size_t c = 0; c < printer->grid.columns; c++)
            printer->grid.column[c].min_width = widths[c];
    }
}

static int add_event_row(struct event_printer *printer, json_t *event, char *why)
{
    struct grid *grid = &printer->grid;
    json_t *country = get(event, RC_KEY_COUNTRY);
    char *summary = event_summary(event);

    if (summary == NULL)
        return grid_failed(why);
    if (country == NULL)
        country = get(get(event, RC_KEY_FACT), "country");
    add_key(grid, event, RC_KEY_SEQ);
    add_key(grid, event, RC_KEY_RECORDED);
    add_key(grid, event, RC_KEY_DATE);
    add_key(grid, event, RC_KEY_TYPE);
    add_key(grid, event, RC_KEY_COALITION);
    add_value(grid, country);
    /* A table is for reading at a glance: a long note is cut. */
    if (printer->format == FORMAT_TABLE && utf8_width(summary) > SUMMARY_TABLE_MAX) {
        char *s = realloc(summary, strlen(summary) + 4);
        if (s == NULL) {
            free(summary);
            return grid_failed(why);
        }
        summary = s;
        truncate_utf8(summary, SUMMARY_TABLE_MAX);
    }
    grid_add(grid, summary);
    free(summary);
    return grid->failed ? grid_failed(why) : 0;
}

int event_printer_add(struct event_printer *printer, json_t *event, char *why)
{
    int rc;

    if (printer->format == FORMAT_JSON) {
        output_json_line(printer->out, event);
        return 0;
    }
    if ((rc = add_event_row(printer, event, why)) != 0)
        return rc;
    if (printer->format == FORMAT_TABLE && !printer->streaming)
        return 0; /* aligned at the end */
    rc = print_grid(&printer->grid, printer->out, printer->format, !printer->header_done);
    printer->header_done = true;
    grid_clear_rows(&printer->grid);
    return rc ? grid_failed(why) : 0;
}

int event_printer_add_msgpack(struct event_printer *printer, const msgpack_object *event, char *why)
{
    json_t *value = result_json(event, why);
    if (value == NULL)
        return -1;
    int rc = event_printer_add(printer, value, why);
    json_decref(value);
    return rc;
}

int event_printer_header(struct event_printer *printer, char *why)
{
    int rc = 0;

    if (printer->format != FORMAT_JSON && !printer->header_done &&
        (printer->format == FORMAT_TSV || printer->streaming)) {
        rc = print_grid(&printer->grid, printer->out, printer->format, true);
        printer->header_done = true;
    }
    return rc ? grid_failed(why) : 0;
}

int event_printer_finish(struct event_printer *printer, char *why)
{
    int rc = 0;

    if (printer->format == FORMAT_TSV && !printer->header_done) {
        rc = event_printer_header(printer, why);
    } else if (printer->format == FORMAT_TABLE && !printer->streaming) {
        if (grid_rows(&printer->grid) == 0)
            fputs("no events\n", printer->out);
        else
            rc = grid_print_table(&printer->grid, printer->out, true);
    }
    grid_clear_rows(&printer->grid);
    return rc ? grid_failed(why) : 0;
}

void event_printer_free(struct event_printer *printer)
{
    grid_free(&printer->grid);
}
