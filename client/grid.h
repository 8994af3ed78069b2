/*
 * grid.h — rows and columns of text, printed as an aligned table (for a
 * terminal) or as TSV (for cut, awk and sort).
 *
 * Table: a header in capitals, columns two spaces apart, widths counted in
 * UTF-8 code points (so "Perú" lines up with "Peru"), numbers right-aligned,
 * no trailing blanks; a line break or tab inside a cell shows as a space.
 * TSV: a lowercase header, then rows; no padding; a tab, line break,
 * carriage return or backslash inside a cell is written \t \n \r \\ so a row
 * is always one line with exactly one field per column.
 */
#ifndef ROLLCALL_GRID_H
#define ROLLCALL_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define GRID_MAX_COLUMNS 8

struct grid_column {
    char name[24];
    bool right; /* right-aligned (numbers) */
    size_t min_width;
};

struct grid {
    size_t columns;
    struct grid_column column[GRID_MAX_COLUMNS];
    char **cells; /* rows * columns, row-major */
    size_t count; /* cells added */
    size_t capacity;
    bool failed; /* an allocation failed: printing reports it */
};

/*
 * spec names the columns, separated by spaces; a name ending in '>' is
 * right-aligned: "seq> recorded date type". Returns false if spec has more
 * than GRID_MAX_COLUMNS columns or a name is too long.
 */
bool grid_init(struct grid *grid, const char *spec);
void grid_free(struct grid *grid);

/* Appends a cell to the current row (a copy; NULL is an empty cell). */
void grid_add(struct grid *grid, const char *text);
/* Appends a cell from a printf format. */
void grid_addf(struct grid *grid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

size_t grid_rows(const struct grid *grid);
/* Forgets the rows, keeping the columns (for printing a stream row by row). */
void grid_clear_rows(struct grid *grid);

/*
 * Prints the rows as a table, with the header line if header is true.
 * Returns 0, or -1 if a cell could not be stored (out of memory).
 */
int grid_print_table(const struct grid *grid, FILE *out, bool header);
/* Prints the rows as TSV, with the header line if header is true. */
int grid_print_tsv(const struct grid *grid, FILE *out, bool header);

/* Number of UTF-8 code points in text (bytes that do not continue a sequence). */
size_t utf8_width(const char *text);

/* Writes text with TSV escapes. */
void tsv_write_field(FILE *out, const char *text);

#endif
