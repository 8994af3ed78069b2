/*
 * frame.c — record frames: the 8-byte header (length word and CRC-32C), the
 * seq/recorded prefix of a body, and reading and finding frames in a segment.
 *
 * The body prefix reader is deliberately tiny: it knows the two entries the
 * daemon's encoder always writes first and nothing else of msgpack, needs
 * no allocation, and refuses any other encoding of them.
 */
#include "crc32c.h"
#include "store_internal.h"

#include <errno.h>
#include <string.h>

/* ---- Little-endian fields ---- */

uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t get_le64(const unsigned char *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

void put_le64(unsigned char *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- Frame header ---- */

void frame_header_encode(unsigned char header[FRAME_HEADER_SIZE], const void *body, uint32_t len,
                         bool continued)
{
    put_le32(header, len | (continued ? FRAME_CONTINUED : 0));
    /* The CRC covers the length word too: a flipped length is caught. */
    put_le32(header + 4, crc32c_extend(crc32c(header, 4), body, len));
}

/* ---- Body prefix ---- */

static const unsigned char key_seq[] = { 0xa3, 's', 'e', 'q' };
static const unsigned char key_recorded[] = { 0xa8, 'r', 'e', 'c', 'o', 'r', 'd', 'e', 'd' };

static uint64_t load_be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Width of the big-endian payload after a uint (0xcc..0xcf) or int (0xd0..0xd3) tag. */
static unsigned int_width(unsigned char tag)
{
    return 1u << (tag & 0x03);
}

/* An unsigned msgpack integer at *p; advances *p. */
static int read_uint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    unsigned char tag;
    unsigned n;

    if (*p >= end)
        return -1;
    tag = *(*p)++;
    if (tag <= 0x7f) {
        *v = tag;
        return 0;
    }
    if (tag < 0xcc || tag > 0xcf)
        return -1;
    n = int_width(tag);
    if ((size_t)(end - *p) < n)
        return -1;
    *v = load_be(*p, n);
    *p += n;
    return 0;
}

/* A signed msgpack integer (any int or uint form that fits in int64) at *p. */
static int read_int(const unsigned char **p, const unsigned char *end, int64_t *v)
{
    unsigned char tag;
    unsigned n;
    uint64_t raw;

    if (*p >= end)
        return -1;
    tag = **p;
    if (tag <= 0x7f || (tag >= 0xcc && tag <= 0xcf)) {
        if (read_uint(p, end, &raw) || raw > INT64_MAX)
            return -1;
        *v = (int64_t)raw;
        return 0;
    }
    (*p)++;
    if (tag >= 0xe0) {
        *v = (int64_t)tag - 256;
        return 0;
    }
    if (tag < 0xd0 || tag > 0xd3)
        return -1;
    n = int_width(tag);
    if ((size_t)(end - *p) < n)
        return -1;
    raw = load_be(*p, n);
    *p += n;
    /* Sign-extend from n bytes. */
    if (n < 8 && (raw >> (8 * n - 1)) & 1)
        raw |= ~(uint64_t)0 << (8 * n);
    *v = raw > INT64_MAX ? -(int64_t)(~raw) - 1 : (int64_t)raw;
    return 0;
}

int body_prefix(const unsigned char *body, size_t len, uint64_t *seq, int64_t *recorded)
{
    const unsigned char *p = body, *end = body + len;
    uint64_t entries;

    if (len < 1)
        return -1;
    if (*p >= 0x80 && *p <= 0x8f) {
        entries = *p++ & 0x0f;
    } else if (*p == 0xde || *p == 0xdf) {
        unsigned n = *p == 0xde ? 2 : 4;
        if (len < 1 + n)
            return -1;
        entries = load_be(p + 1, n);
        p += 1 + n;
    } else {
        return -1;
    }
    if (entries < 2)
        return -1;
    if ((size_t)(end - p) < sizeof key_seq || memcmp(p, key_seq, sizeof key_seq) != 0)
        return -1;
    p += sizeof key_seq;
    if (read_uint(&p, end, seq) || *seq == 0)
        return -1;
    if ((size_t)(end - p) < sizeof key_recorded ||
        memcmp(p, key_recorded, sizeof key_recorded) != 0)
        return -1;
    p += sizeof key_recorded;
    return read_int(&p, end, recorded);
}

/* ---- Reading frames ---- */

const char *frame_status_text(enum frame_status status)
{
    switch (status) {
    case FRAME_OK:
        return "sound";
    case FRAME_TRUNCATED:
        return "incomplete record";
    case FRAME_BAD_LENGTH:
        return "implausible record length";
    case FRAME_BAD_CHECKSUM:
        return "checksum mismatch";
    case FRAME_BAD_PREFIX:
        return "record body does not start with seq and recorded";
    case FRAME_IO_ERROR:
        return "read error";
    }
    return "unknown frame status";
}

bool frame_checksum_ok(const unsigned char *frame, uint32_t len)
{
    uint32_t crc = crc32c_extend(crc32c(frame, 4), frame + FRAME_HEADER_SIZE, len);
    return crc == get_le32(frame + 4);
}

enum frame_status frame_read(struct segment_reader *reader, uint64_t offset, struct frame *frame)
{
    const unsigned char *p;
    uint32_t word;

    if (offset > reader->end || reader->end - offset < FRAME_HEADER_SIZE)
        return FRAME_TRUNCATED;
    p = segment_reader_get(reader, offset, FRAME_HEADER_SIZE);
    if (!p)
        return FRAME_IO_ERROR;
    word = get_le32(p);
    frame->offset = offset;
    frame->continued = (word & FRAME_CONTINUED) != 0;
    frame->len = word & FRAME_LENGTH_MASK;
    if (frame->len < BODY_MIN || frame->len > STORE_RECORD_MAX)
        return FRAME_BAD_LENGTH;
    if (reader->end - offset - FRAME_HEADER_SIZE < frame->len)
        return FRAME_TRUNCATED;
    p = segment_reader_get(reader, offset, FRAME_HEADER_SIZE + (size_t)frame->len);
    if (!p)
        return FRAME_IO_ERROR;
    if (!frame_checksum_ok(p, frame->len))
        return FRAME_BAD_CHECKSUM;
    frame->body = p + FRAME_HEADER_SIZE;
    if (body_prefix(frame->body, frame->len, &frame->seq, &frame->recorded))
        return FRAME_BAD_PREFIX;
    return FRAME_OK;
}

/*
 * Whether a frame could start at offset, judged from its length word and the
 * start of its body without the CRC: rejects almost every offset cheaply.
 */
static int frame_plausible(struct segment_reader *reader, uint64_t offset, uint64_t min_seq)
{
    const unsigned char *p;
    uint32_t len;
    size_t look;
    uint64_t seq;
    int64_t recorded;

    p = segment_reader_get(reader, offset, FRAME_HEADER_SIZE);
    if (!p)
        return -1;
    len = get_le32(p) & FRAME_LENGTH_MASK;
    if (len < BODY_MIN || len > STORE_RECORD_MAX || reader->end - offset - FRAME_HEADER_SIZE < len)
        return 0;
    look = len < BODY_PREFIX_MAX ? len : BODY_PREFIX_MAX;
    p = segment_reader_get(reader, offset, FRAME_HEADER_SIZE + look);
    if (!p)
        return -1;
    if (body_prefix(p + FRAME_HEADER_SIZE, look, &seq, &recorded) || seq < min_seq)
        return 0;
    return 1;
}

int frame_find_next(struct segment_reader *reader, uint64_t from, uint64_t min_seq, uint64_t *found)
{
    for (uint64_t offset = from;
         offset < reader->end && reader->end - offset >= FRAME_HEADER_SIZE + BODY_MIN; offset++) {
        struct frame frame;
        int plausible = frame_plausible(reader, offset, min_seq);
        if (plausible < 0)
            return -1;
        if (!plausible)
            continue;
        switch (frame_read(reader, offset, &frame)) {
        case FRAME_OK:
            *found = offset;
            return 1;
        case FRAME_IO_ERROR:
            return -1;
        default:
            break;
        }
    }
    return 0;
}
