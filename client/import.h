/*
 * import.h — the pieces of `rollcall import` that stand on their own: a
 * line reader with a bound, and the check of one line.
 */
#ifndef ROLLCALL_IMPORT_H
#define ROLLCALL_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"

/* A line longer than this can't hold a valid event, however it is escaped. */
#define IMPORT_LINE_MAX (4u << 20)

enum line_result {
    LINE_OK,
    LINE_EOF,
    LINE_TOO_LONG,
    LINE_NOMEM,
    LINE_READ_ERROR, /* errno says why */
};

struct line_reader {
    FILE *in;
    char *buf; /* the line, without its '\n', NUL-terminated (and may hold NULs) */
    size_t len, size;
    uint64_t number; /* 1-based number of the line in buf */
};

void line_reader_init(struct line_reader *reader, FILE *in);
/* Reads the next line into reader->buf. */
int line_reader_next(struct line_reader *reader);
void line_reader_free(struct line_reader *reader);

/*
 * Parses one line as a JSON object and checks it as an event that may carry
 * an export's seq and recorded. Returns the event, or NULL with err naming
 * the field ("" when the line is not JSON or not an object) and why.
 */
struct event *import_decode_line(const char *text, size_t len, struct event_error *err);

#endif
