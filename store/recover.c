/*
 * recover.c — the scan on open: find the segments, check every header,
 * frame, checksum and the seq chain, rebuild the index, and tell a torn tail
 * from corruption.
 *
 * A torn tail is what a crash in the middle of an append leaves: the last
 * records of the newest segment incomplete or failing their checksum, with
 * nothing sound after them, or an append whose last frame is missing (its
 * records say the batch continues). None of it can have been acknowledged,
 * because an append is acknowledged only after store_sync, which comes after
 * the whole batch is written. It is cut away.
 *
 * Anything else means bytes that were once sound are not: a bad record with
 * a sound one after it, a bad header, a gap in seq, a damaged segment that is
 * not the newest. Recovery refuses to open and names the place; it never
 * drops a record that may have been acknowledged.
 */
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct found_segment {
    uint64_t first_seq;
    char name[SEGMENT_NAME_SIZE];
};

struct scan {
    uint64_t expected_seq;
    int64_t last_recorded;
    struct segment_reader reader;
    struct store_recovery *recovery;
};

__attribute__((format(printf, 6, 7))) static int corruption(const struct store *store,
                                                            struct store_error *err,
                                                            const char *file, uint64_t offset,
                                                            uint64_t seq, const char *fmt, ...)
{
    char detail[384];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    store_error_set(err, EBADMSG, file, offset, seq,
                    "corrupt log: %s/%s at offset %" PRIu64 " (seq %" PRIu64 "): %s", store->dir,
                    file, offset, seq, detail);
    return -1;
}

static int io_failure(const struct store *store, struct store_error *err, const char *file,
                      uint64_t offset, uint64_t seq, const char *what)
{
    int saved = errno;

    store_error_set(err, saved, file, offset, seq, "cannot %s %s/%s: %s", what, store->dir, file,
                    strerror(saved));
    return -1;
}

/* ---- Finding the segments ---- */

static int compare_found(const void *a, const void *b)
{
    const struct found_segment *x = a, *y = b;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/*
 * Lists the segments of the data dir in log order, and removes temporary
 * files left by a segment creation that a crash interrupted.
 */
static int list_segments(struct store *store, struct found_segment **out, size_t *count,
                         struct store_recovery *recovery, struct store_error *err)
{
    struct found_segment *found = NULL;
    size_t n = 0, cap = 0;
    struct dirent *entry;
    DIR *dir;
    int saved;

    dir = opendir(store->dir);
    if (!dir) {
        saved = errno;
        store_error_set(err, saved, "", 0, 0, "cannot read data dir %s: %s", store->dir,
                        strerror(saved));
        return -1;
    }
    while ((errno = 0, entry = readdir(dir))) {
        uint64_t first_seq;
        if (segment_name_parse(entry->d_name, &first_seq)) {
            if (n == cap) {
                size_t more = cap ? 2 * cap : 16;
                struct found_segment *grown = realloc(found, more * sizeof *found);
                if (!grown) {
                    store_error_set(err, ENOMEM, "", 0, 0, "out of memory listing %s", store->dir);
                    goto fail;
                }
                found = grown;
                cap = more;
            }
            found[n].first_seq = first_seq;
            segment_name(found[n].name, first_seq); /* the canonical name: the same */
            n++;
        } else if (strncmp(entry->d_name, SEGMENT_TEMP_PREFIX, strlen(SEGMENT_TEMP_PREFIX)) == 0) {
            char path[4096];
            if (store_path(store, entry->d_name, path, sizeof path, err))
                goto fail;
            if (store->io->unlink(path) != 0) {
                io_failure(store, err, entry->d_name, 0, 0, "remove stale temporary file");
                goto fail;
            }
            recovery->removed_temp_files++;
            store_log(store, STORE_LOG_INFO, "removed stale temporary file %s", path);
        } else if (strncmp(entry->d_name, SEGMENT_NAME_PREFIX, strlen(SEGMENT_NAME_PREFIX)) == 0) {
            store_log(store, STORE_LOG_WARN, "ignoring %s/%s: not a segment name", store->dir,
                      entry->d_name);
        }
    }
    if (errno != 0) {
        saved = errno;
        store_error_set(err, saved, "", 0, 0, "cannot read data dir %s: %s", store->dir,
                        strerror(saved));
        goto fail;
    }
    closedir(dir);
    dir = NULL;
    if (recovery->removed_temp_files && store->io->fsync(store->dir_fd) != 0) {
        saved = errno;
        store_error_set(err, saved, "", 0, 0, "cannot fsync data dir %s: %s", store->dir,
                        strerror(saved));
        goto fail;
    }
    if (n > 1)
        qsort(found, n, sizeof *found, compare_found);
    *out = found;
    *count = n;
    return 0;

fail:
    if (dir)
        closedir(dir);
    free(found);
    return -1;
}

/* ---- Scanning one segment ---- */

/* Cuts the torn tail [cut, size) off the newest segment, durably. */
static int truncate_tail(struct store *store, struct segment *segment, uint64_t cut, uint64_t size,
                         struct scan *scan, struct store_error *err)
{
    if (store->io->ftruncate(segment->fd, (off_t)cut) != 0)
        return io_failure(store, err, segment->name, cut, scan->expected_seq,
                          "truncate the torn tail of");
    if (store->io->fsync(segment->fd) != 0)
        return io_failure(store, err, segment->name, cut, scan->expected_seq, "fsync");
    store_log(store, STORE_LOG_WARN,
              "%s/%s: dropped a torn tail of %" PRIu64 " bytes at offset %" PRIu64
              " (an append that never completed, from seq %" PRIu64 ")",
              store->dir, segment->name, size - cut, cut, scan->expected_seq);
    scan->recovery->truncated_bytes += size - cut;
    return 0;
}

static int check_header(struct store *store, struct segment *segment, uint64_t size,
                        struct scan *scan, struct store_error *err)
{
    unsigned char header[SEGMENT_HEADER_SIZE];
    const char *problem;

    if (size < SEGMENT_HEADER_SIZE)
        return corruption(store, err, segment->name, 0, scan->expected_seq,
                          "segment header is incomplete (%" PRIu64 " bytes)", size);
    if (size > SEGMENT_FILE_MAX)
        return corruption(store, err, segment->name, 0, scan->expected_seq,
                          "segment is larger than the format allows (%" PRIu64 " bytes)", size);
    if (io_pread_full(store->io, segment->fd, header, sizeof header, 0) != 0)
        return io_failure(store, err, segment->name, 0, scan->expected_seq, "read");
    problem = segment_header_problem(header, segment->first_seq);
    if (problem)
        return corruption(store, err, segment->name, 0, scan->expected_seq, "%s", problem);
    if (segment->first_seq != scan->expected_seq)
        return corruption(store, err, segment->name, 0, scan->expected_seq,
                          "segment starts at seq %" PRIu64 " where seq %" PRIu64
                          " was expected: records are missing",
                          segment->first_seq, scan->expected_seq);
    return 0;
}

/*
 * Checks and indexes every record of segment. Only in the newest segment may
 * a torn tail be cut off.
 */
static int scan_segment(struct store *store, struct segment *segment, bool newest,
                        struct scan *scan, struct store_error *err)
{
    enum frame_status status = FRAME_OK;
    struct frame frame;
    struct stat st;
    uint64_t size, offset, cut;
    uint64_t batch_offset = SEGMENT_HEADER_SIZE, batch_seq = scan->expected_seq;
    bool in_batch = false;

    if (fstat(segment->fd, &st) != 0)
        return io_failure(store, err, segment->name, 0, scan->expected_seq, "stat");
    size = (uint64_t)st.st_size;
    if (check_header(store, segment, size, scan, err))
        return -1;

    segment_reader_reset(&scan->reader, segment->fd, size);
    for (offset = SEGMENT_HEADER_SIZE; offset < size; offset += FRAME_HEADER_SIZE + frame.len) {
        status = frame_read(&scan->reader, offset, &frame);
        if (status == FRAME_IO_ERROR)
            return io_failure(store, err, segment->name, offset, scan->expected_seq, "read");
        if (status != FRAME_OK)
            break;
        if (frame.seq != scan->expected_seq)
            return corruption(store, err, segment->name, offset, frame.seq,
                              "seq %" PRIu64 " where seq %" PRIu64 " was expected", frame.seq,
                              scan->expected_seq);
        if (frame.recorded < scan->last_recorded)
            return corruption(store, err, segment->name, offset, frame.seq,
                              "recorded %" PRId64 " is earlier than the previous record's %" PRId64,
                              frame.recorded, scan->last_recorded);
        if (!in_batch) {
            batch_offset = offset;
            batch_seq = frame.seq;
        }
        in_batch = frame.continued;
        if (index_reserve(&store->index, 1)) {
            store_error_set(err, ENOMEM, segment->name, offset, frame.seq,
                            "out of memory indexing %s", store->dir);
            return -1;
        }
        index_push(&store->index, (uint32_t)offset, frame.recorded);
        scan->expected_seq++;
        scan->last_recorded = frame.recorded;
    }

    cut = size;
    if (offset < size) {
        uint64_t next;
        int found;
        /* A whole frame with a sound checksum was written whole: not torn. */
        if (!newest || status == FRAME_BAD_PREFIX)
            return corruption(store, err, segment->name, offset, scan->expected_seq, "%s%s",
                              frame_status_text(status),
                              newest ? "" : " in a segment that is not the newest");
        found = frame_find_next(&scan->reader, offset + 1, scan->expected_seq, &next);
        if (found < 0)
            return io_failure(store, err, segment->name, offset, scan->expected_seq, "read");
        if (found)
            return corruption(store, err, segment->name, offset, scan->expected_seq,
                              "%s, yet a sound record follows at offset %" PRIu64
                              ", so this is not a torn tail (if no record from here on was ever "
                              "acknowledged, truncating the file to %" PRIu64
                              " bytes recovers the log)",
                              frame_status_text(status), next, offset);
        cut = offset;
    }
    if (in_batch) {
        if (!newest)
            return corruption(store, err, segment->name, batch_offset, batch_seq,
                              "an append that never completed, in a segment that is not the "
                              "newest");
        /* The last append is incomplete: drop all of it, not just its torn end. */
        cut = batch_offset;
        store->index.count -= scan->expected_seq - batch_seq;
        scan->expected_seq = batch_seq;
        scan->last_recorded = batch_seq > 1 ? store->index.recorded[batch_seq - 2] : INT64_MIN;
    }
    if (cut < size && truncate_tail(store, segment, cut, size, scan, err))
        return -1;
    if (!newest && scan->expected_seq == segment->first_seq)
        return corruption(store, err, segment->name, SEGMENT_HEADER_SIZE, scan->expected_seq,
                          "a segment that is not the newest holds no records");
    segment->written_end = segment->synced_end = cut;
    return 0;
}

/* ---- Open ---- */

static int open_segment(struct store *store, const struct found_segment *found,
                        struct store_error *err)
{
    struct segment *segment;
    char path[4096];
    int fd;

    if (store_segments_reserve(store)) {
        store_error_set(err, ENOMEM, found->name, 0, 0, "out of memory opening %s", store->dir);
        return -1;
    }
    if (store_path(store, found->name, path, sizeof path, err))
        return -1;
    fd = store->io->open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return io_failure(store, err, found->name, 0, found->first_seq, "open");
    pthread_mutex_lock(&store->mutex);
    segment = &store->segments[store->segment_count++];
    memset(segment, 0, sizeof *segment);
    segment->first_seq = found->first_seq;
    segment->fd = fd;
    memcpy(segment->name, found->name, sizeof segment->name);
    pthread_mutex_unlock(&store->mutex);
    return 0;
}

/* The log's first segment, for an empty data dir. */
static int create_first_segment(struct store *store, struct store_error *err)
{
    struct segment segment;

    if (store_segments_reserve(store)) {
        store_error_set(err, ENOMEM, "", 0, 0, "out of memory opening %s", store->dir);
        return -1;
    }
    if (segment_create(store, 1, &segment, err))
        return -1;
    pthread_mutex_lock(&store->mutex);
    store->segments[store->segment_count++] = segment;
    pthread_mutex_unlock(&store->mutex);
    return 0;
}

int recover_open(struct store *store, struct store_recovery *recovery, struct store_error *err)
{
    struct found_segment *found = NULL;
    size_t count = 0;
    struct scan scan = { .expected_seq = 1, .last_recorded = INT64_MIN, .recovery = recovery };
    int rc = -1;

    if (list_segments(store, &found, &count, recovery, err))
        return -1;
    if (segment_reader_init(&scan.reader, store->io)) {
        store_error_set(err, ENOMEM, "", 0, 0, "out of memory opening %s", store->dir);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (open_segment(store, &found[i], err) ||
            scan_segment(store, &store->segments[i], i + 1 == count, &scan, err))
            goto done;
    }
    if (count == 0) {
        if (create_first_segment(store, err))
            goto done;
    } else if (store->options.sync) {
        /*
         * What the previous process wrote but never synced is still only in
         * the page cache; sync it so that the durable head can start at the head.
         */
        struct segment *newest = &store->segments[count - 1];
        if (store->io->fdatasync(newest->fd) != 0) {
            io_failure(store, err, newest->name, 0, 0, "fdatasync");
            goto done;
        }
    }

    pthread_mutex_lock(&store->mutex);
    store->head = store->durable_head = store->index.count;
    pthread_mutex_unlock(&store->mutex);
    store->last_recorded = scan.last_recorded;
    recovery->records = store->index.count;
    recovery->segments = store->segment_count;
    for (size_t i = 0; i < store->segment_count; i++)
        recovery->bytes += store->segments[i].written_end;
    rc = 0;

done:
    segment_reader_free(&scan.reader);
    free(found);
    return rc;
}
