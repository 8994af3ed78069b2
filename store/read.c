/*
 * read.c — reading records back sequentially (store_iter), for replay and
 * verify: each record is found through the index and its frame checked
 * again; the iterator reads through a large buffer.
 */
#include "store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/*
 * What is wrong with the frame[0..frame_len) read back for seq, or NULL. The
 * index says how long it is and when it was recorded; the bytes must agree.
 */
static const char *stored_frame_problem(const struct store *store, const unsigned char *frame,
                                        size_t frame_len, uint64_t seq)
{
    uint32_t len = (uint32_t)(frame_len - FRAME_HEADER_SIZE);
    uint64_t body_seq;
    int64_t body_recorded;

    if ((get_le32(frame) & FRAME_LENGTH_MASK) != len)
        return "record length changed on disk";
    if (!frame_checksum_ok(frame, len))
        return "checksum mismatch";
    if (body_prefix(frame + FRAME_HEADER_SIZE, len, &body_seq, &body_recorded) != 0)
        return "record body does not start with seq and recorded";
    if (body_seq != seq || body_recorded != store->index.recorded[seq - 1])
        return "record's seq or recorded changed on disk";
    return NULL;
}

static void read_corruption(const struct store *store, const struct segment *segment,
                            uint64_t offset, uint64_t seq, const char *problem,
                            struct store_error *err)
{
    store_error_set(err, EBADMSG, segment->name, offset, seq,
                    "corrupt record %" PRIu64 " in %s/%s at offset %" PRIu64 ": %s", seq,
                    store->dir, segment->name, offset, problem);
}

/* ---- Sequential ---- */

struct store_iter {
    struct store *store;
    uint64_t next_seq;
    size_t segment; /* the one the reader is on, when positioned */
    bool positioned;
    struct segment_reader reader;
};

struct store_iter *store_iter_new(struct store *store, uint64_t from_seq)
{
    struct store_iter *iter = calloc(1, sizeof *iter);

    if (!iter)
        return NULL;
    if (segment_reader_init(&iter->reader, store->io)) {
        free(iter);
        return NULL;
    }
    iter->store = store;
    iter->next_seq = from_seq ? from_seq : 1;
    return iter;
}

int store_iter_next(struct store_iter *iter, struct store_record *record, struct store_error *err)
{
    struct store *store = iter->store;
    uint64_t seq = iter->next_seq, offset, end;
    const struct segment *segment;
    const unsigned char *frame;
    const char *problem;
    size_t segment_index;

    if (seq > store->head)
        return 0;
    segment_index = store_segment_of(store, seq);
    segment = &store->segments[segment_index];
    if (!iter->positioned || iter->segment != segment_index) {
        segment_reader_reset(&iter->reader, segment->fd, segment->written_end);
        iter->segment = segment_index;
        iter->positioned = true;
    }
    /* The owner may have appended since the last call. */
    iter->reader.end = segment->written_end;

    offset = store->index.offset[seq - 1];
    end = store_record_end(store, segment_index, seq);
    frame = segment_reader_get(&iter->reader, offset, (size_t)(end - offset));
    if (!frame) {
        int saved = errno;
        store_error_set(err, saved, segment->name, offset, seq,
                        "cannot read seq %" PRIu64 " from %s/%s: %s", seq, store->dir,
                        segment->name, strerror(saved));
        return -1;
    }
    problem = stored_frame_problem(store, frame, (size_t)(end - offset), seq);
    if (problem) {
        read_corruption(store, segment, offset, seq, problem, err);
        return -1;
    }
    record->body = frame + FRAME_HEADER_SIZE;
    record->len = (size_t)(end - offset) - FRAME_HEADER_SIZE;
    record->seq = seq;
    record->recorded_us = store->index.recorded[seq - 1];
    iter->next_seq++;
    return 1;
}

void store_iter_free(struct store_iter *iter)
{
    if (!iter)
        return;
    segment_reader_free(&iter->reader);
    free(iter);
}
