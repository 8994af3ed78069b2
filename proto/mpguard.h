/*
 * mpguard.h — structural check of untrusted msgpack bytes before msgpack-c
 * sees them.
 *
 * msgpack-c sizes a container from the count in its header before reading its
 * elements: the five bytes dd ff 00 00 00 (an array "of 4 billion elements")
 * make it try to allocate tens of GiB (msgpack-c issue #1013). Every decoder of
 * bytes from a client, a file or the disk runs mp_scan first and hands the
 * object to msgpack-c only when the scan says it is complete and sane.
 *
 * The scan allocates nothing and reads nothing past len.
 */
#ifndef ROLLCALL_MPGUARD_H
#define ROLLCALL_MPGUARD_H

#include <stddef.h>
#include <stdint.h>

enum mp_scan {
    MP_SCAN_COMPLETE,  /* one whole object of *object_len bytes starts at buf */
    MP_SCAN_NEED_MORE, /* a valid prefix: read more bytes and scan again */
    MP_SCAN_TOO_LARGE, /* the object can't fit in limit bytes */
    MP_SCAN_INVALID,   /* not msgpack (0xc1), or nested deeper than max_depth */
};

/*
 * Scans the object at buf[0..len). Every container must be able to fit in the
 * bytes that remain under limit (an element takes at least one byte, a map
 * entry two), together with the elements its enclosing containers still owe;
 * every str/bin/ext length likewise. So a hostile count is refused as
 * TOO_LARGE as soon as its header is read, long before the bytes arrive.
 * max_depth bounds nesting (a scalar at top level is depth 0).
 */
enum mp_scan mp_scan(const char *buf, size_t len, size_t limit, unsigned max_depth,
                     size_t *object_len);

/*
 * The same scan, resumable: a reader that receives an object piece by piece
 * keeps a scanner and runs it again on the same start with more bytes; each
 * byte is examined once, however many pieces the object arrives in. Init it
 * before each new object. The verdicts are mp_scan's.
 */
#define MP_SCAN_DEPTH_MAX 63

struct mp_scanner {
    size_t pos;    /* bytes of whole elements accepted so far */
    uint64_t owed; /* elements still to read, the next one included */
    unsigned depth;
    uint64_t due[MP_SCAN_DEPTH_MAX]; /* elements left in each open container */
};

void mp_scanner_init(struct mp_scanner *scanner);
enum mp_scan mp_scanner_run(struct mp_scanner *scanner, const char *buf, size_t len, size_t limit,
                            unsigned max_depth, size_t *object_len);

#endif
