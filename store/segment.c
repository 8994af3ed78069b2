/*
 * segment.c — segment files: their names, their header, creating one so that
 * it either exists whole or not at all, and a buffered reader over one.
 */
#include "crc32c.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Names ---- */

void segment_name(char name[SEGMENT_NAME_SIZE], uint64_t first_seq)
{
    snprintf(name, SEGMENT_NAME_SIZE, SEGMENT_NAME_PREFIX "%020" PRIu64 SEGMENT_NAME_SUFFIX,
             first_seq);
}

bool segment_name_parse(const char *name, uint64_t *first_seq)
{
    size_t prefix = strlen(SEGMENT_NAME_PREFIX);
    const char *digits = name + prefix;
    uint64_t seq = 0;

    if (strncmp(name, SEGMENT_NAME_PREFIX, prefix) != 0 ||
        strlen(name) != prefix + SEGMENT_NAME_DIGITS + strlen(SEGMENT_NAME_SUFFIX) ||
        strcmp(digits + SEGMENT_NAME_DIGITS, SEGMENT_NAME_SUFFIX) != 0)
        return false;
    for (int i = 0; i < SEGMENT_NAME_DIGITS; i++) {
        unsigned digit = (unsigned)(digits[i] - '0');
        if (digit > 9 || seq > (UINT64_MAX - digit) / 10)
            return false;
        seq = seq * 10 + digit;
    }
    if (seq == 0)
        return false;
    *first_seq = seq;
    return true;
}

/* ---- Header ---- */

void segment_header_encode(unsigned char header[SEGMENT_HEADER_SIZE], uint64_t first_seq)
{
    memcpy(header, SEGMENT_MAGIC, SEGMENT_MAGIC_LEN);
    put_le32(header + 8, SEGMENT_VERSION);
    put_le64(header + 12, first_seq);
    put_le32(header + 20, crc32c(header, 20));
}

const char *segment_header_problem(const unsigned char header[SEGMENT_HEADER_SIZE],
                                   uint64_t first_seq)
{
    if (memcmp(header, SEGMENT_MAGIC, SEGMENT_MAGIC_LEN) != 0)
        return "not a rollcall segment (bad magic)";
    if (crc32c(header, 20) != get_le32(header + 20))
        return "segment header checksum mismatch";
    if (get_le32(header + 8) != SEGMENT_VERSION)
        return "unsupported segment format version";
    if (get_le64(header + 12) != first_seq)
        return "segment header's first seq does not match the file name";
    return NULL;
}

/* ---- Creation ---- */

int segment_create(struct store *store, uint64_t first_seq, struct segment *segment,
                   struct store_error *err)
{
    const struct store_io *io = store->io;
    char name[SEGMENT_NAME_SIZE], temp_name[SEGMENT_NAME_SIZE + 8];
    char path[4096], temp_path[4096];
    unsigned char header[SEGMENT_HEADER_SIZE];
    const char *step;
    int fd, saved;

    segment_name(name, first_seq);
    snprintf(temp_name, sizeof temp_name, SEGMENT_TEMP_PREFIX "%s", name);
    if (store_path(store, name, path, sizeof path, err) ||
        store_path(store, temp_name, temp_path, sizeof temp_path, err))
        return -1;

    /*
     * The header is written and made durable under a temporary name first:
     * a segment that appears under its real name always has a whole header,
     * so recovery may treat a bad one as corruption.
     */
    fd = io->open(temp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        saved = errno;
        store_error_set(err, saved, temp_name, 0, first_seq, "cannot create segment %s: %s",
                        temp_path, strerror(saved));
        return -1;
    }
    segment_header_encode(header, first_seq);
    step = "write the header of";
    if (io_pwrite_full(io, fd, header, sizeof header, 0) != 0)
        goto fail;
    step = "fsync";
    if (io->fsync(fd) != 0)
        goto fail;
    step = "rename";
    if (io->rename(temp_path, path) != 0)
        goto fail;
    /* Until the directory is synced, the new name may vanish in a crash. */
    if (io->fsync(store->dir_fd) != 0) {
        saved = errno;
        io->close(fd);
        store_error_set(err, saved, name, 0, first_seq,
                        "cannot fsync data dir %s after creating %s: %s", store->dir, name,
                        strerror(saved));
        /*
         * The name may or may not survive a crash, and appends must not go on
         * past the new segment's first seq in the old one: stop writing.
         */
        store_enter_failed(store, err);
        return -1;
    }

    memset(segment, 0, sizeof *segment);
    segment->first_seq = first_seq;
    segment->fd = fd;
    segment->written_end = SEGMENT_HEADER_SIZE;
    segment->synced_end = SEGMENT_HEADER_SIZE;
    memcpy(segment->name, name, sizeof name);
    return 0;

fail:
    saved = errno;
    io->close(fd);
    io->unlink(temp_path);
    store_error_set(err, saved, temp_name, 0, first_seq, "cannot %s new segment %s: %s", step,
                    temp_path, strerror(saved));
    return -1;
}

/* ---- Buffered reader ---- */

/* Holds a whole frame with room to spare, so sequential reads are large. */
#define READER_CAPACITY (4u << 20)

int segment_reader_init(struct segment_reader *reader, const struct store_io *io)
{
    memset(reader, 0, sizeof *reader);
    reader->io = io;
    reader->fd = -1;
    reader->cap = READER_CAPACITY;
    reader->buf = malloc(reader->cap);
    return reader->buf ? 0 : -1;
}

void segment_reader_reset(struct segment_reader *reader, int fd, uint64_t end)
{
    reader->fd = fd;
    reader->end = end;
    reader->buf_offset = 0;
    reader->buf_len = 0;
}

void segment_reader_free(struct segment_reader *reader)
{
    free(reader->buf);
    reader->buf = NULL;
}

const unsigned char *segment_reader_get(struct segment_reader *reader, uint64_t offset, size_t len)
{
    size_t want;

    if (offset >= reader->buf_offset && offset - reader->buf_offset <= reader->buf_len &&
        reader->buf_len - (offset - reader->buf_offset) >= len)
        return reader->buf + (offset - reader->buf_offset);
    if (len > reader->cap || offset > reader->end || reader->end - offset < len) {
        errno = EINVAL;
        return NULL;
    }
    /* Refill from offset with as much as the buffer and the end allow. */
    want = reader->end - offset < reader->cap ? (size_t)(reader->end - offset) : reader->cap;
    reader->buf_len = 0;
    if (io_pread_full(reader->io, reader->fd, reader->buf, want, offset) != 0)
        return NULL;
    reader->buf_offset = offset;
    reader->buf_len = want;
    return reader->buf;
}
