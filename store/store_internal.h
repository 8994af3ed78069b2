/*
 * store_internal.h — what the files of the store share: the on-disk
 * constants (store/FORMAT.md describes the bytes), struct store itself, and
 * the functions one file offers another. Not for users of the store.
 */
#ifndef ROLLCALL_STORE_INTERNAL_H
#define ROLLCALL_STORE_INTERNAL_H

#include "store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- The bytes on disk (store/FORMAT.md) ---- */

#define SEGMENT_MAGIC       "rollcall"
#define SEGMENT_MAGIC_LEN   8
#define SEGMENT_VERSION     1
#define SEGMENT_HEADER_SIZE 24
/* Record offsets are kept in 32 bits, so no segment may reach 4 GiB. */
#define SEGMENT_FILE_MAX UINT32_MAX

/* "seg-" + 20 digits + ".rlog": ls lists segments in log order. */
#define SEGMENT_NAME_PREFIX "seg-"
#define SEGMENT_NAME_SUFFIX ".rlog"
#define SEGMENT_NAME_DIGITS 20
#define SEGMENT_NAME_SIZE   32 /* with the terminating NUL, rounded up */
#define SEGMENT_TEMP_PREFIX ".tmp-"

#define FRAME_HEADER_SIZE 8
/* Bit 31 of the length word: the next record belongs to the same append. */
#define FRAME_CONTINUED   0x80000000u
#define FRAME_LENGTH_MASK 0x7fffffffu
/* The smallest body: fixmap, "seq" and "recorded" with fixint values. */
#define BODY_MIN 16
/* Enough body bytes to hold the longest seq/recorded prefix. */
#define BODY_PREFIX_MAX 40

/* ---- Frames and body prefixes (frame.c) ---- */

uint32_t get_le32(const unsigned char *p);
uint64_t get_le64(const unsigned char *p);
void put_le32(unsigned char *p, uint32_t v);
void put_le64(unsigned char *p, uint64_t v);

/* Fills the 8-byte frame header of body[0..len). */
void frame_header_encode(unsigned char header[FRAME_HEADER_SIZE], const void *body, uint32_t len,
                         bool continued);

/*
 * Reads "seq" and "recorded", the first two entries of a record body, with a
 * strict reader of its own: keys as fixstr, values as msgpack integers. Only
 * the first len bytes are looked at. Returns 0, or -1 if they are not there.
 */
int body_prefix(const unsigned char *body, size_t len, uint64_t *seq, int64_t *recorded);

/* ---- Segments (segment.c) ---- */

struct segment {
    uint64_t first_seq;
    int fd; /* read-write, open for as long as the store is */
    /* Both guarded by store->mutex; the owner thread reads them freely. */
    uint64_t written_end; /* bytes appended (header included) */
    uint64_t synced_end;  /* bytes known to be on stable storage */
    char name[SEGMENT_NAME_SIZE];
};

void segment_name(char name[SEGMENT_NAME_SIZE], uint64_t first_seq);
/* True when name is a segment name in canonical form; *first_seq from it. */
bool segment_name_parse(const char *name, uint64_t *first_seq);
void segment_header_encode(unsigned char header[SEGMENT_HEADER_SIZE], uint64_t first_seq);
/* NULL when the header is sound and says first_seq, else what is wrong. */
const char *segment_header_problem(const unsigned char header[SEGMENT_HEADER_SIZE],
                                   uint64_t first_seq);

/*
 * A window onto one segment file for sequential reading: big preads into a
 * buffer, never past end.
 */
struct segment_reader {
    const struct store_io *io;
    int fd;
    uint64_t end;
    unsigned char *buf;
    size_t cap;
    uint64_t buf_offset; /* file offset of buf[0] */
    size_t buf_len;
};

int segment_reader_init(struct segment_reader *reader, const struct store_io *io);
void segment_reader_reset(struct segment_reader *reader, int fd, uint64_t end);
void segment_reader_free(struct segment_reader *reader);
/*
 * Bytes [offset, offset + len) of the file, with offset + len <= end and
 * len <= the buffer. NULL with errno on a read error (ENODATA: the file ends
 * early). The pointer lives until the next call.
 */
const unsigned char *segment_reader_get(struct segment_reader *reader, uint64_t offset, size_t len);

enum frame_status {
    FRAME_OK,
    FRAME_TRUNCATED,    /* the frame runs past the end */
    FRAME_BAD_LENGTH,   /* the length word cannot be a record's */
    FRAME_BAD_CHECKSUM, /* the CRC does not match */
    FRAME_BAD_PREFIX,   /* checksum fine, but no seq/recorded prefix */
    FRAME_IO_ERROR,     /* errno says why */
};

struct frame {
    uint64_t offset;
    uint32_t len; /* body bytes */
    bool continued;
    const unsigned char *body; /* valid until the reader's next call */
    uint64_t seq;
    int64_t recorded;
};

/* Whether the CRC of frame (header and len body bytes, contiguous) matches. */
bool frame_checksum_ok(const unsigned char *frame, uint32_t len);

/* Reads and checks the frame at offset. */
enum frame_status frame_read(struct segment_reader *reader, uint64_t offset, struct frame *frame);
const char *frame_status_text(enum frame_status status);

/*
 * Looks for the first offset in [from, reader->end) where a sound frame with a
 * seq of at least min_seq starts. Returns 1 with *found, 0 when there is none,
 * -1 with errno on a read error.
 */
int frame_find_next(struct segment_reader *reader, uint64_t from, uint64_t min_seq,
                    uint64_t *found);

/* ---- The in-memory index (index.c) ---- */

/* Twelve bytes a record: where it starts in its segment, and when recorded. */
struct record_index {
    uint32_t *offset;  /* seq s at offset[s - 1] */
    int64_t *recorded; /* likewise */
    uint64_t count;
    uint64_t cap;
};

int index_reserve(struct record_index *index, uint64_t more);
/* After index_reserve: never fails. */
void index_push(struct record_index *index, uint32_t offset, int64_t recorded);
void index_free(struct record_index *index);

/* ---- The store ---- */

struct store {
    char *dir;
    const struct store_io *io;
    struct store_options options;
    uint64_t segment_size;
    int dir_fd;
    int lock_fd;

    /*
     * The mutex guards what store_sync, store_verify and the other any-thread
     * calls share with the owner: the segment array (it grows on rotation),
     * the segments' ends, head, durable_head and the failure. The owner, the
     * only writer, reads them without it.
     */
    pthread_mutex_t mutex;
    struct segment *segments;
    size_t segment_count;
    size_t segment_cap;
    uint64_t head;
    uint64_t durable_head;
    bool failed;
    struct store_error failure;

    /* Owner thread only. */
    struct record_index index;
    int64_t last_recorded;
    struct iovec *iov; /* scratch for store_append */
    unsigned char *frame_headers;
    size_t scratch_cap; /* records the scratch can take */
};

/* Errors and logging (store.c). */
__attribute__((format(printf, 6, 7))) void store_error_set(struct store_error *err, int errno_,
                                                           const char *file, uint64_t offset,
                                                           uint64_t seq, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void
store_log(const struct store *store, enum store_log_level level, const char *fmt, ...);
/* Makes the store read-only until reopened; why is kept for store_failed. */
void store_enter_failed(struct store *store, const struct store_error *why);
/* True, with err saying why (EROFS), once the store has failed. Any thread. */
bool store_read_only(struct store *store, struct store_error *err);
/* Builds dir/name into path; -1 with err when it does not fit. */
int store_path(const struct store *store, const char *name, char *path, size_t size,
               struct store_error *err);
/* Makes room for one more segment (under the mutex: the array may move). */
int store_segments_reserve(struct store *store);

/*
 * Creates the segment starting at first_seq: header written and fsynced under
 * a temporary name, renamed into place, directory fsynced. Fills *segment.
 */
int segment_create(struct store *store, uint64_t first_seq, struct segment *segment,
                   struct store_error *err);

/* Recovery on open (recover.c): finds, checks and indexes every segment. */
int recover_open(struct store *store, struct store_recovery *recovery, struct store_error *err);

/* Index lookups (index.c). Owner thread. */
size_t store_segment_of(const struct store *store, uint64_t seq);
/* The offset just past record seq's frame. */
uint64_t store_record_end(const struct store *store, size_t segment, uint64_t seq);

/* I/O helpers (io.c): whole reads and writes, retried on EINTR and short counts. */
int io_pread_full(const struct store_io *io, int fd, void *buf, size_t len, uint64_t offset);
int io_pwrite_full(const struct store_io *io, int fd, const void *buf, size_t len, uint64_t offset);

#endif
