/*
 * append.c — store_append: check a batch, rotate when the current segment is
 * full, write the batch with pwritev, and undo it whole if the write fails.
 *
 * A batch never spans two segments: the segment is rotated before a batch
 * that would not fit (unless it holds no record yet, so one batch larger
 * than segment_size still finds a home). Recovery then only ever has to
 * reason about the newest segment, and a batch is one pwritev (one per
 * IOV_MAX iovecs for very large ones).
 */
#include "store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- Checks ---- */

static int check_record(const struct store_record *record, uint64_t seq, int64_t last_recorded,
                        size_t index, struct store_error *err)
{
    uint64_t body_seq;
    int64_t body_recorded;

    if (record->seq != seq) {
        store_error_set(err, EINVAL, "", 0, record->seq,
                        "record %zu of the batch has seq %" PRIu64 " where %" PRIu64 " is next",
                        index, record->seq, seq);
        return -1;
    }
    if (record->len < BODY_MIN || record->len > STORE_RECORD_MAX) {
        store_error_set(err, EINVAL, "", 0, seq,
                        "record %" PRIu64 " has a body of %zu bytes (%d to %u allowed)", seq,
                        record->len, BODY_MIN, STORE_RECORD_MAX);
        return -1;
    }
    if (body_prefix(record->body, record->len, &body_seq, &body_recorded) != 0) {
        store_error_set(err, EINVAL, "", 0, seq,
                        "record %" PRIu64 " is not a msgpack map starting with seq and recorded",
                        seq);
        return -1;
    }
    if (body_seq != seq || body_recorded != record->recorded_us) {
        store_error_set(err, EINVAL, "", 0, seq,
                        "record %" PRIu64 " says seq %" PRIu64 " and recorded %" PRId64
                        " in its body but %" PRIu64 " and %" PRId64 " beside it",
                        seq, body_seq, body_recorded, seq, record->recorded_us);
        return -1;
    }
    if (record->recorded_us < last_recorded) {
        store_error_set(err, EINVAL, "", 0, seq,
                        "record %" PRIu64 " is recorded at %" PRId64
                        ", before the previous record (%" PRId64 ")",
                        seq, record->recorded_us, last_recorded);
        return -1;
    }
    return 0;
}

/* Checks the whole batch before a byte is written; *bytes is its size on disk. */
static int check_batch(const struct store *store, const struct store_record *records, size_t count,
                       uint64_t *bytes, struct store_error *err)
{
    int64_t last_recorded = store->last_recorded;
    uint64_t total = 0;

    for (size_t i = 0; i < count; i++) {
        if (check_record(&records[i], store->head + 1 + i, last_recorded, i, err))
            return -1;
        last_recorded = records[i].recorded_us;
        total += FRAME_HEADER_SIZE + records[i].len;
        if (total > SEGMENT_FILE_MAX - SEGMENT_HEADER_SIZE) {
            store_error_set(err, EFBIG, "", 0, records[i].seq,
                            "a batch of %zu records is too large for one segment", count);
            return -1;
        }
    }
    *bytes = total;
    return 0;
}

/* ---- Rotation ---- */

/*
 * Starts a new segment at head + 1. The old one is made durable first: if a
 * newer segment could exist while the old one's tail was still only in the
 * page cache, a crash would leave a gap that recovery must refuse.
 */
static int rotate(struct store *store, struct store_error *err)
{
    struct segment *old;
    struct segment fresh;

    if (store_segments_reserve(store)) {
        store_error_set(err, ENOMEM, "", 0, 0, "out of memory rotating segments");
        return -1;
    }
    old = &store->segments[store->segment_count - 1];
    if (store->io->fdatasync(old->fd) != 0) {
        int saved = errno;
        store_error_set(err, saved, old->name, old->written_end, store->head,
                        "fdatasync of %s/%s before rotation failed: %s", store->dir, old->name,
                        strerror(saved));
        store_enter_failed(store, err);
        return -1;
    }
    pthread_mutex_lock(&store->mutex);
    old->synced_end = old->written_end;
    pthread_mutex_unlock(&store->mutex);

    if (segment_create(store, store->head + 1, &fresh, err))
        return -1;
    pthread_mutex_lock(&store->mutex);
    store->segments[store->segment_count++] = fresh;
    pthread_mutex_unlock(&store->mutex);
    store_log(store, STORE_LOG_DEBUG, "started segment %s/%s", store->dir, fresh.name);
    return 0;
}

/* ---- Writing ---- */

static int scratch_reserve(struct store *store, size_t count)
{
    struct iovec *iov;
    unsigned char *headers;
    size_t cap = store->scratch_cap ? store->scratch_cap : 64;

    if (count <= store->scratch_cap)
        return 0;
    while (cap < count)
        cap *= 2;
    if (cap > SIZE_MAX / (2 * sizeof *iov))
        return -1;
    iov = realloc(store->iov, 2 * cap * sizeof *iov);
    if (!iov)
        return -1;
    store->iov = iov;
    headers = realloc(store->frame_headers, cap * FRAME_HEADER_SIZE);
    if (!headers)
        return -1;
    store->frame_headers = headers;
    store->scratch_cap = cap;
    return 0;
}

/* Drops the first n written bytes from the iovec array. */
static void iov_consume(struct iovec **iov, int *iovcnt, size_t n)
{
    while (n > 0 && *iovcnt > 0) {
        if (n < (*iov)->iov_len) {
            (*iov)->iov_base = (char *)(*iov)->iov_base + n;
            (*iov)->iov_len -= n;
            return;
        }
        n -= (*iov)->iov_len;
        (*iov)++;
        (*iovcnt)--;
    }
    while (*iovcnt > 0 && (*iov)->iov_len == 0) {
        (*iov)++;
        (*iovcnt)--;
    }
}

/*
 * Writes the batch at the segment's end, completing short writes. On failure
 * the segment is truncated back to where it ended, so no partial record stays;
 * if even that fails the store can no longer vouch for its tail, and fails.
 */
static int write_batch(struct store *store, struct segment *segment, struct iovec *iov, int iovcnt,
                       uint64_t bytes, struct store_error *err)
{
    const struct store_io *io = store->io;
    uint64_t start = segment->written_end, done = 0;
    int saved;

    while (done < bytes) {
        ssize_t n = io->pwritev(segment->fd, iov, iovcnt < IOV_MAX ? iovcnt : IOV_MAX,
                                (off_t)(start + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            saved = n < 0 ? errno : EIO;
            goto undo;
        }
        done += (uint64_t)n;
        iov_consume(&iov, &iovcnt, (size_t)n);
    }
    return 0;

undo:
    if (io->ftruncate(segment->fd, (off_t)start) != 0) {
        int truncate_errno = errno;
        store_error_set(err, saved, segment->name, start, store->head + 1,
                        "writing to %s/%s failed (%s) and truncating it back to %" PRIu64
                        " bytes failed too (%s)",
                        store->dir, segment->name, strerror(saved), start,
                        strerror(truncate_errno));
        store_enter_failed(store, err);
        return -1;
    }
    store_error_set(err, saved, segment->name, start, store->head + 1,
                    "cannot write %" PRIu64 " bytes to %s/%s at offset %" PRIu64 ": %s", bytes,
                    store->dir, segment->name, start, strerror(saved));
    store_log(store, STORE_LOG_WARN, "%s; nothing of the batch was kept", err->message);
    return -1;
}

int store_append(struct store *store, const struct store_record *records, size_t count,
                 struct store_error *err)
{
    struct store_error scratch;
    struct segment *segment;
    uint64_t bytes, offset;

    if (!err)
        err = &scratch;
    if (store_read_only(store, err))
        return -1;
    if (count == 0)
        return 0;
    if (check_batch(store, records, count, &bytes, err))
        return -1;
    if (index_reserve(&store->index, count) || scratch_reserve(store, count) ||
        count > (size_t)INT_MAX / 2) {
        store_error_set(err, ENOMEM, "", 0, 0, "out of memory appending %zu records", count);
        return -1;
    }

    segment = &store->segments[store->segment_count - 1];
    if (segment->written_end > SEGMENT_HEADER_SIZE &&
        (segment->written_end + bytes > store->segment_size ||
         segment->written_end + bytes > SEGMENT_FILE_MAX)) {
        if (rotate(store, err))
            return -1;
        segment = &store->segments[store->segment_count - 1];
    }

    offset = segment->written_end;
    for (size_t i = 0; i < count; i++) {
        unsigned char *header = store->frame_headers + i * FRAME_HEADER_SIZE;
        frame_header_encode(header, records[i].body, (uint32_t)records[i].len, i + 1 < count);
        store->iov[2 * i] = (struct iovec){ header, FRAME_HEADER_SIZE };
        store->iov[2 * i + 1] =
            (struct iovec){ (void *)(uintptr_t)records[i].body, records[i].len };
    }
    if (write_batch(store, segment, store->iov, (int)(2 * count), bytes, err))
        return -1;

    for (size_t i = 0; i < count; i++) {
        index_push(&store->index, (uint32_t)offset, records[i].recorded_us);
        offset += FRAME_HEADER_SIZE + records[i].len;
    }
    store->last_recorded = records[count - 1].recorded_us;
    pthread_mutex_lock(&store->mutex);
    segment->written_end = offset;
    store->head += count;
    pthread_mutex_unlock(&store->mutex);
    return 0;
}
