/*
 * mpguard.c — a non-allocating walk over one msgpack object.
 *
 * The walk keeps, per open container, how many elements are still due, and
 * the sum of those dues: the fewest bytes the rest of the object can take,
 * since every element needs at least one. When a header is read, its payload
 * plus that sum plus its own children must fit in the bytes left under the
 * limit, or the object can never be completed: it is refused as TOO_LARGE
 * before any decoder would size an allocation from the count. Checking each
 * count alone would not do: an array of n arrays of n elements passes n-by-n
 * checks while owing n*n bytes.
 */
#include "mpguard.h"

#include <stdint.h>

/* Big-endian unsigned of n bytes at p. */
static uint64_t read_be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/*
 * Describes the header at p: its own size, the payload bytes that follow
 * (str/bin/ext/fixed scalars) and the number of child objects (arrays: n,
 * maps: 2n). Returns 0 for the invalid byte 0xc1. The header's length bytes
 * are read only when available; *header_len tells the caller how many it needs.
 */
static int describe(const unsigned char *p, size_t avail, size_t *header_len, uint64_t *payload,
                    uint64_t *children)
{
    unsigned char b = p[0];
    unsigned len_bytes = 0;

    *payload = 0;
    *children = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        *header_len = 1;
        return 1;
    }
    if (b >= 0x80 && b <= 0x8f) {
        *header_len = 1;
        *children = 2 * (uint64_t)(b & 0x0f);
        return 1;
    }
    if (b >= 0x90 && b <= 0x9f) {
        *header_len = 1;
        *children = b & 0x0f;
        return 1;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        *header_len = 1;
        *payload = b & 0x1f;
        return 1;
    }
    switch (b) {
    case 0xc1:
        return 0;
    case 0xcc:
    case 0xd0:
        *header_len = 1;
        *payload = 1;
        return 1;
    case 0xcd:
    case 0xd1:
        *header_len = 1;
        *payload = 2;
        return 1;
    case 0xca:
    case 0xce:
    case 0xd2:
        *header_len = 1;
        *payload = 4;
        return 1;
    case 0xcb:
    case 0xcf:
    case 0xd3:
        *header_len = 1;
        *payload = 8;
        return 1;
    case 0xd4:
        *header_len = 1;
        *payload = 1 + 1;
        return 1; /* fixext 1: type + data */
    case 0xd5:
        *header_len = 1;
        *payload = 1 + 2;
        return 1;
    case 0xd6:
        *header_len = 1;
        *payload = 1 + 4;
        return 1;
    case 0xd7:
        *header_len = 1;
        *payload = 1 + 8;
        return 1;
    case 0xd8:
        *header_len = 1;
        *payload = 1 + 16;
        return 1;
    case 0xc4:
    case 0xd9:
    case 0xc7:
        len_bytes = 1;
        break;
    case 0xc5:
    case 0xda:
    case 0xc8:
    case 0xdc:
    case 0xde:
        len_bytes = 2;
        break;
    case 0xc6:
    case 0xdb:
    case 0xc9:
    case 0xdd:
    case 0xdf:
        len_bytes = 4;
        break;
    default:
        return 0;
    }

    *header_len = 1 + len_bytes;
    if (avail < *header_len)
        return 1; /* the caller asks for more bytes before using the counts */
    uint64_t n = read_be(p + 1, len_bytes);
    switch (b) {
    case 0xdc:
    case 0xdd:
        *children = n;
        break;
    case 0xde:
    case 0xdf:
        *children = 2 * n;
        break;
    case 0xc7:
    case 0xc8:
    case 0xc9:
        *payload = n + 1;
        break; /* ext: type byte + data */
    default:
        *payload = n;
        break;
    }
    return 1;
}

void mp_scanner_init(struct mp_scanner *scanner)
{
    scanner->pos = 0;
    scanner->owed = 1; /* the top object */
    scanner->depth = 0;
}

enum mp_scan mp_scanner_run(struct mp_scanner *s, const char *buf, size_t len, size_t limit,
                            unsigned max_depth, size_t *object_len)
{
    const unsigned char *p = (const unsigned char *)buf;

    if (max_depth > MP_SCAN_DEPTH_MAX)
        max_depth = MP_SCAN_DEPTH_MAX;

    /*
     * Each turn takes one element. Nothing in *s changes until the element's
     * header and payload are all there, so a NEED_MORE leaves the scanner
     * exactly where the next call must resume.
     */
    for (;;) {
        size_t header_len;
        uint64_t payload, children;

        if (s->pos >= limit)
            return MP_SCAN_TOO_LARGE;
        if (s->pos >= len)
            return MP_SCAN_NEED_MORE;
        if (!describe(p + s->pos, len - s->pos, &header_len, &payload, &children))
            return MP_SCAN_INVALID;
        if (header_len > limit - s->pos)
            return MP_SCAN_TOO_LARGE;
        if (header_len > len - s->pos)
            return MP_SCAN_NEED_MORE;

        /*
         * Every element still owed by the enclosing containers, this one's
         * payload and its children (at least one byte each) must fit in what
         * is left; subtracting in turn keeps hostile counts from wrapping.
         */
        size_t after_header = s->pos + header_len;
        uint64_t owed = s->owed - 1; /* this element is being read */
        uint64_t left = limit - after_header;
        if (owed > left || payload > left - owed || children > left - owed - payload)
            return MP_SCAN_TOO_LARGE;
        if (children > 0 && s->depth >= max_depth)
            return MP_SCAN_INVALID;
        if (payload > len - after_header)
            return MP_SCAN_NEED_MORE;

        s->pos = after_header + (size_t)payload;
        s->owed = owed;
        if (children > 0) {
            s->due[s->depth++] = children;
            s->owed += children;
            continue;
        }
        /* A leaf (or an empty container) completes; close finished containers. */
        while (s->depth > 0 && --s->due[s->depth - 1] == 0)
            s->depth--;
        if (s->depth == 0) {
            *object_len = s->pos;
            return MP_SCAN_COMPLETE;
        }
    }
}

enum mp_scan mp_scan(const char *buf, size_t len, size_t limit, unsigned max_depth,
                     size_t *object_len)
{
    struct mp_scanner scanner;
    mp_scanner_init(&scanner);
    return mp_scanner_run(&scanner, buf, len, limit, max_depth, object_len);
}
