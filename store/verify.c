/*
 * verify.c — store_verify: read every durable record again, from disk, with
 * file descriptors of its own, and report each problem found.
 *
 * It works from a snapshot of the segment list and of how far each segment
 * is durable, taken under the mutex, so it can run on a worker thread while
 * the owner appends: the bytes it reads are never written again. After a
 * damaged frame it looks for the next sound one and goes on, so one bad
 * record does not hide the rest of the log.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct verify_segment {
    uint64_t first_seq;
    uint64_t durable_end;
    char name[SEGMENT_NAME_SIZE];
};

struct verify {
    struct store *store;
    store_problem_fn on_problem;
    store_record_fn on_record;
    void *ctx;
    uint64_t durable_head;
    uint64_t expected_seq;
    int64_t last_recorded;
    int64_t checked;
    struct segment_reader reader;
};

__attribute__((format(printf, 5, 6))) static void report(struct verify *verify, uint64_t seq,
                                                         const char *segment, uint64_t offset,
                                                         const char *fmt, ...)
{
    char message[512];
    struct store_problem problem = { seq, segment, offset, message };
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (verify->on_problem)
        verify->on_problem(verify->ctx, &problem);
}

/* Under the mutex: which segments there are and how far each is durable. */
static struct verify_segment *snapshot(struct store *store, size_t *count, uint64_t *durable_head)
{
    struct verify_segment *segments;

    pthread_mutex_lock(&store->mutex);
    segments = malloc(store->segment_count * sizeof *segments + 1);
    if (segments) {
        for (size_t i = 0; i < store->segment_count; i++) {
            segments[i].first_seq = store->segments[i].first_seq;
            segments[i].durable_end = store->segments[i].synced_end;
            memcpy(segments[i].name, store->segments[i].name, sizeof segments[i].name);
        }
        *count = store->segment_count;
        *durable_head = store->durable_head;
    }
    pthread_mutex_unlock(&store->mutex);
    return segments;
}

/* Checks one sound frame against the chain and hands it to on_record. */
static void check_record(struct verify *verify, const struct verify_segment *segment,
                         const struct frame *frame, bool resynced)
{
    if (frame->seq != verify->expected_seq && !resynced)
        report(verify, frame->seq, segment->name, frame->offset,
               "seq %" PRIu64 " where seq %" PRIu64 " was expected", frame->seq,
               verify->expected_seq);
    if (frame->recorded < verify->last_recorded)
        report(verify, frame->seq, segment->name, frame->offset,
               "recorded %" PRId64 " is earlier than the previous record's %" PRId64,
               frame->recorded, verify->last_recorded);
    if (verify->on_record) {
        struct store_record record = { frame->body, frame->len, frame->seq, frame->recorded };
        const char *message = NULL;
        if (verify->on_record(verify->ctx, &record, &message) != 0)
            report(verify, frame->seq, segment->name, frame->offset, "%s",
                   message ? message : "record refused by the caller's check");
    }
    verify->checked++;
    verify->expected_seq = frame->seq + 1;
    verify->last_recorded = frame->recorded;
}

static void verify_frames(struct verify *verify, const struct verify_segment *segment)
{
    uint64_t offset = SEGMENT_HEADER_SIZE;
    bool resynced = false;

    while (offset < segment->durable_end && verify->expected_seq <= verify->durable_head) {
        struct frame frame;
        enum frame_status status = frame_read(&verify->reader, offset, &frame);
        uint64_t next;
        int found;

        if (status == FRAME_OK) {
            check_record(verify, segment, &frame, resynced);
            resynced = false;
            offset += FRAME_HEADER_SIZE + frame.len;
            continue;
        }
        if (status == FRAME_IO_ERROR) {
            report(verify, verify->expected_seq, segment->name, offset, "read error: %s",
                   strerror(errno));
            return;
        }
        report(verify, verify->expected_seq, segment->name, offset, "%s",
               frame_status_text(status));
        found = frame_find_next(&verify->reader, offset + 1, verify->expected_seq, &next);
        if (found <= 0) {
            if (found < 0)
                report(verify, verify->expected_seq, segment->name, offset, "read error: %s",
                       strerror(errno));
            return;
        }
        offset = next;
        resynced = true;
    }
}

static void verify_segment(struct verify *verify, const struct verify_segment *segment)
{
    const struct store_io *io = verify->store->io;
    unsigned char header[SEGMENT_HEADER_SIZE];
    struct store_error path_error;
    const char *problem;
    char path[4096];
    int fd;

    if (store_path(verify->store, segment->name, path, sizeof path, &path_error)) {
        report(verify, verify->expected_seq, segment->name, 0, "%s", path_error.message);
        return;
    }
    fd = io->open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        report(verify, verify->expected_seq, segment->name, 0, "cannot open: %s", strerror(errno));
        return;
    }
    if (io_pread_full(io, fd, header, sizeof header, 0) != 0) {
        report(verify, verify->expected_seq, segment->name, 0, "cannot read the header: %s",
               strerror(errno));
        goto done;
    }
    problem = segment_header_problem(header, segment->first_seq);
    if (problem) {
        report(verify, verify->expected_seq, segment->name, 0, "%s", problem);
        goto done;
    }
    if (segment->first_seq != verify->expected_seq) {
        report(verify, verify->expected_seq, segment->name, 0,
               "segment starts at seq %" PRIu64 " where seq %" PRIu64 " was expected",
               segment->first_seq, verify->expected_seq);
        verify->expected_seq = segment->first_seq;
    }
    segment_reader_reset(&verify->reader, fd, segment->durable_end);
    verify_frames(verify, segment);

done:
    io->close(fd);
}

int64_t store_verify(struct store *store, store_problem_fn on_problem, store_record_fn on_record,
                     void *ctx, struct store_error *err)
{
    struct verify verify = {
        .store = store,
        .on_problem = on_problem,
        .on_record = on_record,
        .ctx = ctx,
        .expected_seq = 1,
        .last_recorded = INT64_MIN,
    };
    struct verify_segment *segments;
    size_t count = 0;

    segments = snapshot(store, &count, &verify.durable_head);
    if (!segments || segment_reader_init(&verify.reader, store->io)) {
        free(segments);
        store_error_set(err, ENOMEM, "", 0, 0, "out of memory verifying %s", store->dir);
        return -1;
    }
    for (size_t i = 0; i < count && verify.expected_seq <= verify.durable_head; i++)
        verify_segment(&verify, &segments[i]);
    if (verify.expected_seq <= verify.durable_head)
        report(&verify, verify.expected_seq, "", 0,
               "records %" PRIu64 " to %" PRIu64 " are missing from the log", verify.expected_seq,
               verify.durable_head);
    segment_reader_free(&verify.reader);
    free(segments);
    return verify.checked;
}
