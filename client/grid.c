/*
 * grid.c — rows and columns of text, as a table or as TSV.
 */
#include "grid.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define COLUMN_GAP 2

bool grid_init(struct grid *grid, const char *spec)
{
    memset(grid, 0, sizeof *grid);
    while (*spec != '\0') {
        while (*spec == ' ')
            spec++;
        size_t len = strcspn(spec, " ");
        if (len == 0)
            break;
        if (grid->columns == GRID_MAX_COLUMNS)
            return false;
        struct grid_column *column = &grid->column[grid->columns++];
        if (spec[len - 1] == '>') {
            column->right = true;
            len--;
        }
        if (len >= sizeof column->name)
            return false;
        memcpy(column->name, spec, len);
        column->name[len] = '\0';
        spec += len + column->right;
    }
    return grid->columns > 0;
}

void grid_clear_rows(struct grid *grid)
{
    for (size_t i = 0; i < grid->count; i++)
        free(grid->cells[i]);
    grid->count = 0;
}

void grid_free(struct grid *grid)
{
    grid_clear_rows(grid);
    free(grid->cells);
    grid->cells = NULL;
    grid->capacity = 0;
}

static void add_owned(struct grid *grid, char *copy)
{
    if (copy == NULL) {
        grid->failed = true;
        return;
    }
    if (grid->count == grid->capacity) {
        size_t capacity = grid->capacity ? grid->capacity * 2 : 64;
        char **cells = realloc(grid->cells, capacity * sizeof *cells);
        if (cells == NULL) {
            free(copy);
            grid->failed = true;
            return;
        }
        grid->cells = cells;
        grid->capacity = capacity;
    }
    grid->cells[grid->count++] = copy;
}

void grid_add(struct grid *grid, const char *text)
{
    add_owned(grid, strdup(text ? text : ""));
}

void grid_addf(struct grid *grid, const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    add_owned(grid, n < 0 ? NULL : text);
}

size_t grid_rows(const struct grid *grid)
{
    return grid->count / grid->columns;
}

size_t utf8_width(const char *text)
{
    size_t width = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        width += (*s & 0xc0) != 0x80;
    return width;
}

/* ---- table ------------------------------------------------------------------ */

static void pad(FILE *out, size_t n)
{
    while (n-- > 0)
        putc(' ', out);
}

/* A cell's text on one line: a line break or tab shows as a space. */
static void write_flat(FILE *out, const char *text)
{
    for (const char *s = text; *s; s++)
        putc(*s == '\n' || *s == '\t' || *s == '\r' ? ' ' : *s, out);
}

/*
 * Prints one line; cells[i] for each column. Columns after the last
 * non-empty one are left out, and the last one printed is not padded after,
 * so no line ends in blanks.
 */
static void print_line(const struct grid *grid, FILE *out, const char *const *cells,
                       const size_t *widths)
{
    size_t last = 0;
    for (size_t c = 0; c < grid->columns; c++) {
        if (cells[c][0] != '\0')
            last = c + 1;
    }
    for (size_t c = 0; c < last; c++) {
        size_t width = utf8_width(cells[c]);
        size_t fill = widths[c] > width ? widths[c] - width : 0;
        if (grid->column[c].right)
            pad(out, fill);
        write_flat(out, cells[c]);
        if (c + 1 < last)
            pad(out, (grid->column[c].right ? 0 : fill) + COLUMN_GAP);
    }
    putc('\n', out);
}

int grid_print_table(const struct grid *grid, FILE *out, bool header)
{
    size_t widths[GRID_MAX_COLUMNS] = { 0 };
    char names[GRID_MAX_COLUMNS][sizeof grid->column[0].name];
    const char *line[GRID_MAX_COLUMNS] = { NULL };
    size_t rows = grid_rows(grid);

    if (grid->failed)
        return -1;
    for (size_t c = 0; c < grid->columns; c++) {
        const char *name = grid->column[c].name;
        size_t i = 0;
        for (; name[i]; i++)
            names[c][i] = (char)toupper((unsigned char)name[i]);
        names[c][i] = '\0';
        widths[c] = grid->column[c].min_width;
        if (header && i > widths[c])
            widths[c] = i;
        for (size_t r = 0; r < rows; r++) {
            size_t width = utf8_width(grid->cells[r * grid->columns + c]);
            if (width > widths[c])
                widths[c] = width;
        }
        line[c] = names[c];
    }
    if (header)
        print_line(grid, out, line, widths);
    for (size_t r = 0; r < rows; r++)
        print_line(grid, out, (const char *const *)&grid->cells[r * grid->columns], widths);
    return 0;
}

/* ---- TSV -------------------------------------------------------------------- */

void tsv_write_field(FILE *out, const char *text)
{
    for (const char *s = text; *s; s++) {
        switch (*s) {
        case '\t':
            fputs("\\t", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        default:
            putc(*s, out);
        }
    }
}

int grid_print_tsv(const struct grid *grid, FILE *out, bool header)
{
    size_t rows = grid_rows(grid);

    if (grid->failed)
        return -1;
    if (header) {
        for (size_t c = 0; c < grid->columns; c++) {
            if (c > 0)
                putc('\t', out);
            fputs(grid->column[c].name, out);
        }
        putc('\n', out);
    }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < grid->columns; c++) {
            if (c > 0)
                putc('\t', out);
            tsv_write_field(out, grid->cells[r * grid->columns + c]);
        }
        putc('\n', out);
    }
    return 0;
}
