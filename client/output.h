/*
 * output.h — each command's result in the three formats of cli.md.
 *
 * The functions take the daemon's result as it arrived (a msgpack object in
 * the shapes of doc/contract-notes.md, "Protocol results") and write it to
 * out. They return 0, or -1 with why (OUTPUT_WHY_MAX bytes) filled when the
 * result can't be shown (something JSON can't hold, or out of memory). Write
 * errors on out are left for the caller to find with ferror.
 *
 * Missing or mistyped values show as empty cells: a daemon newer than this
 * client may add keys, and an older one may lack some.
 */
#ifndef ROLLCALL_OUTPUT_H
#define ROLLCALL_OUTPUT_H

#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "grid.h"

enum out_format {
    FORMAT_DEFAULT, /* table on a terminal, else tsv */
    FORMAT_TABLE,
    FORMAT_JSON,
    FORMAT_TSV,
};

#define OUTPUT_WHY_MAX 160

/* Longest summary a table shows before cutting it with "…". */
#define SUMMARY_TABLE_MAX 60

int output_state(FILE *out, enum out_format format, const msgpack_object *result, char *why);
int output_timeline(FILE *out, enum out_format format, const msgpack_object *result, char *why);
int output_coalitions(FILE *out, enum out_format format, const msgpack_object *result, char *why);
int output_status(FILE *out, enum out_format format, const msgpack_object *result, char *why);
/* *ok is the result's verdict (false when absent). */
int output_verify(FILE *out, enum out_format format, const msgpack_object *result, bool *ok,
                  char *why);
/* An append's result: the seq (table, tsv) or the whole result (json). */
int output_appended(FILE *out, enum out_format format, const msgpack_object *result, char *why);

/* The summary of an import. */
struct import_summary {
    uint64_t lines, appended, repeats, head;
};
void output_import_summary(FILE *out, enum out_format format, const struct import_summary *sum);

/*
 * Events, one at a time, for history and follow. json writes one object per
 * line and tsv one row per event as they come; table collects the rows and
 * aligns them at the end, or, when streaming (follow), prints each row at
 * once in columns of a fixed minimum width.
 */
struct event_printer {
    FILE *out;
    enum out_format format;
    bool streaming;
    bool header_done;
    struct grid grid;
};

void event_printer_init(struct event_printer *printer, FILE *out, enum out_format format,
                        bool streaming);
/* Prints (or collects) one event, a JSON object of protocol.md's event shape. */
int event_printer_add(struct event_printer *printer, json_t *event, char *why);
/* Same, from the msgpack event. */
int event_printer_add_msgpack(struct event_printer *printer, const msgpack_object *event,
                              char *why);
/* Prints the header line now (tsv, streaming table), if not yet printed. */
int event_printer_header(struct event_printer *printer, char *why);
/* Prints what was collected (table) or at least the header (tsv). Then frees. */
int event_printer_finish(struct event_printer *printer, char *why);
void event_printer_free(struct event_printer *printer);

/* The SUMMARY column of an event: the detail its type is about. malloc'd. */
char *event_summary(json_t *event);

/* One JSON document: indented, with a final newline. */
void output_json_document(FILE *out, json_t *value);
/* One JSON object on one line. */
void output_json_line(FILE *out, json_t *value);

#endif
