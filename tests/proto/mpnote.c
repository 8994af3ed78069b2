/*
 * mpnote.c — a recursive-descent reader of the notation in mpnote.h that packs
 * as it reads.
 */
#include "mpnote.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX_DEPTH 32

struct reader {
    const char *text;
    size_t pos;
    msgpack_packer *pk;
};

/* A growing byte string. */
struct bytes {
    char *data;
    size_t len, cap;
};

static bool bytes_add(struct bytes *b, const char *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (grown == NULL)
            return false;
        b->data = grown;
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return true;
}

static void skip_blanks(struct reader *r)
{
    while (isspace((unsigned char)r->text[r->pos]))
        r->pos++;
}

static bool accept_char(struct reader *r, char c)
{
    skip_blanks(r);
    if (r->text[r->pos] != c)
        return false;
    r->pos++;
    return true;
}

static bool accept_word(struct reader *r, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(r->text + r->pos, word, n) != 0 || isalnum((unsigned char)r->text[r->pos + n]))
        return false;
    r->pos += n;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape after the backslash; returns the byte or -1. */
static int read_escape(struct reader *r)
{
    char c = r->text[r->pos++];
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case '"':
    case '\'':
    case '\\':
        return c;
    case 'x': {
        int high = hex_value(r->text[r->pos]);
        int low = high < 0 ? -1 : hex_value(r->text[r->pos + 1]);
        if (low < 0)
            return -1;
        r->pos += 2;
        return high * 16 + low;
    }
    default:
        return -1;
    }
}

static bool is_quote(char c)
{
    return c == '"' || c == '\'';
}

/* "..." or '...' with an optional *N, appended N times to out. The quote is next. */
static bool read_piece(struct reader *r, struct bytes *out)
{
    struct bytes piece = { 0 };
    bool ok = false;
    char quote = r->text[r->pos++];

    for (;;) {
        char c = r->text[r->pos];
        if (c == '\0')
            goto done;
        r->pos++;
        if (c == quote)
            break;
        if (c == '\\') {
            int byte = read_escape(r);
            if (byte < 0)
                goto done;
            c = (char)byte;
        }
        if (!bytes_add(&piece, &c, 1))
            goto done;
    }
    unsigned long repeat = 1;
    skip_blanks(r);
    if (r->text[r->pos] == '*') {
        char *end;
        r->pos++;
        skip_blanks(r);
        repeat = strtoul(r->text + r->pos, &end, 10);
        if (end == r->text + r->pos)
            goto done;
        r->pos = (size_t)(end - r->text);
    }
    ok = true;
    for (unsigned long i = 0; i < repeat && ok; i++)
        ok = bytes_add(out, piece.data, piece.len);
done:
    free(piece.data);
    return ok;
}

/* A string or bin: pieces joined while another quote follows. */
static bool read_string(struct reader *r, bool bin)
{
    struct bytes text = { 0 };
    bool ok = true;

    do {
        ok = read_piece(r, &text);
        skip_blanks(r);
    } while (ok && is_quote(r->text[r->pos]));
    if (ok) {
        if (bin)
            ok = msgpack_pack_bin(r->pk, text.len) == 0 &&
                 msgpack_pack_bin_body(r->pk, text.data, text.len) == 0;
        else
            ok = msgpack_pack_str(r->pk, text.len) == 0 &&
                 msgpack_pack_str_body(r->pk, text.data, text.len) == 0;
    }
    free(text.data);
    return ok;
}

static bool read_number(struct reader *r)
{
    const char *start = r->text + r->pos;
    const char *digits = start + (*start == '-');
    char *end;

    if (digits[strspn(digits, "0123456789")] == '.') {
        double d = strtod(start, &end);
        r->pos += (size_t)(end - start);
        return msgpack_pack_double(r->pk, d) == 0;
    }
    if (*start == '-') {
        long long v = strtoll(start, &end, 10);
        r->pos += (size_t)(end - start);
        return end != start && msgpack_pack_int64(r->pk, v) == 0;
    }
    unsigned long long v = strtoull(start, &end, 10);
    r->pos += (size_t)(end - start);
    return end != start && msgpack_pack_uint64(r->pk, v) == 0;
}

static bool read_value(struct reader *r, unsigned depth);

/* Counts the elements of the container that opens at r->pos, without packing. */
static bool count_elements(const struct reader *r, char close, uint32_t *count)
{
    struct reader probe = { r->text, r->pos, NULL };
    unsigned nesting = 0;
    char in_string = '\0'; /* the quote that closes the string we are in */
    bool any = false;
    uint32_t n = 0;

    for (probe.pos++;; probe.pos++) {
        char c = probe.text[probe.pos];
        if (c == '\0')
            return false;
        if (in_string) {
            if (c == '\\' && probe.text[probe.pos + 1] != '\0')
                probe.pos++;
            else if (c == in_string)
                in_string = '\0';
            continue;
        }
        if (is_quote(c)) {
            in_string = c;
        } else if (c == '{' || c == '[') {
            nesting++;
        } else if ((c == '}' || c == ']') && nesting > 0) {
            nesting--;
        } else if (c == close && nesting == 0) {
            break;
        } else if (c == ',' && nesting == 0) {
            n++;
            continue;
        }
        if (!isspace((unsigned char)c))
            any = true;
    }
    *count = any ? n + 1 : 0;
    return true;
}

static bool read_container(struct reader *r, unsigned depth, bool map)
{
    char close = map ? '}' : ']';
    uint32_t count;

    if (depth >= NOTE_MAX_DEPTH || !count_elements(r, close, &count))
        return false;
    r->pos++;
    if ((map ? msgpack_pack_map(r->pk, count) : msgpack_pack_array(r->pk, count)) != 0)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        if (i > 0 && !accept_char(r, ','))
            return false;
        if (!read_value(r, depth + 1))
            return false;
        if (map && (!accept_char(r, ':') || !read_value(r, depth + 1)))
            return false;
    }
    return accept_char(r, close);
}

static bool read_value(struct reader *r, unsigned depth)
{
    skip_blanks(r);
    char c = r->text[r->pos];
    if (c == '{' || c == '[')
        return read_container(r, depth, c == '{');
    if (is_quote(c))
        return read_string(r, false);
    if (c == 'b' && is_quote(r->text[r->pos + 1])) {
        r->pos++;
        return read_string(r, true);
    }
    if (c == '-' || isdigit((unsigned char)c))
        return read_number(r);
    if (accept_word(r, "nil"))
        return msgpack_pack_nil(r->pk) == 0;
    if (accept_word(r, "true"))
        return msgpack_pack_true(r->pk) == 0;
    if (accept_word(r, "false"))
        return msgpack_pack_false(r->pk) == 0;
    return false;
}

int mpnote_pack(msgpack_packer *pk, const char *text, size_t *error_at)
{
    struct reader r = { text, 0, pk };
    bool ok = read_value(&r, 0);
    if (ok) {
        skip_blanks(&r);
        ok = r.text[r.pos] == '\0';
    }
    if (!ok && error_at)
        *error_at = r.pos;
    return ok ? 0 : -1;
}
