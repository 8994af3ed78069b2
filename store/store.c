/*
 * store.c — the store's life: open (lock, then recovery), close, the
 * durability point store_sync, the failed state, and the figures.
 *
 * store_sync may run on a worker thread while the owner appends: it takes a
 * snapshot of the dirty segments under the mutex, calls fdatasync outside it,
 * and only then advances the durable head to what the snapshot covered.
 * Segment fds are never closed while the store is open, so a snapshot's fd
 * stays valid.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#define LOCK_FILE_NAME "LOCK"

/* ---- Errors and logging ---- */

void store_error_set(struct store_error *err, int errno_, const char *file, uint64_t offset,
                     uint64_t seq, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->offset = offset;
    err->seq = seq;
    err->errno_ = errno_;
}

void store_log(const struct store *store, enum store_log_level level, const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    if (!store->options.log)
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    store->options.log(store->options.log_ctx, level, message);
}

void store_enter_failed(struct store *store, const struct store_error *why)
{
    bool first;

    pthread_mutex_lock(&store->mutex);
    first = !store->failed;
    if (first) {
        store->failed = true;
        store->failure = *why;
    }
    pthread_mutex_unlock(&store->mutex);
    if (first)
        store_log(store, STORE_LOG_ERROR, "%s; the store is read-only until reopened",
                  why->message);
}

/* Fills err with the failure when the store has failed. Caller holds the mutex. */
static bool failed_locked(const struct store *store, struct store_error *err)
{
    if (!store->failed)
        return false;
    store_error_set(err, EROFS, store->failure.file, store->failure.offset, store->failure.seq,
                    "the store is read-only after an earlier failure: %.400s",
                    store->failure.message);
    return true;
}

bool store_read_only(struct store *store, struct store_error *err)
{
    bool read_only;

    pthread_mutex_lock(&store->mutex);
    read_only = failed_locked(store, err);
    pthread_mutex_unlock(&store->mutex);
    return read_only;
}

int store_path(const struct store *store, const char *name, char *path, size_t size,
               struct store_error *err)
{
    int n = snprintf(path, size, "%s/%s", store->dir, name);

    if (n < 0 || (size_t)n >= size) {
        store_error_set(err, ENAMETOOLONG, name, 0, 0, "path too long: %s/%s", store->dir, name);
        return -1;
    }
    return 0;
}

int store_segments_reserve(struct store *store)
{
    struct segment *segments;
    size_t cap;

    if (store->segment_count < store->segment_cap)
        return 0;
    cap = store->segment_cap ? 2 * store->segment_cap : 16;
    pthread_mutex_lock(&store->mutex);
    segments = realloc(store->segments, cap * sizeof *segments);
    if (segments) {
        store->segments = segments;
        store->segment_cap = cap;
    }
    pthread_mutex_unlock(&store->mutex);
    return segments ? 0 : -1;
}

/* ---- Open and close ---- */

static int store_lock(struct store *store, struct store_error *err)
{
    char path[4096];
    int saved;

    if (store_path(store, LOCK_FILE_NAME, path, sizeof path, err))
        return -1;
    store->lock_fd = store->io->open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (store->lock_fd < 0) {
        saved = errno;
        store_error_set(err, saved, "", 0, 0, "cannot open %s: %s", path, strerror(saved));
        return -1;
    }
    /* flock: tied to this open file description, released on close or exit. */
    if (flock(store->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        saved = errno;
        if (saved == EWOULDBLOCK)
            store_error_set(err, saved, "", 0, 0,
                            "data dir %s is locked by another process (is rollcalld already "
                            "running?)",
                            store->dir);
        else
            store_error_set(err, saved, "", 0, 0, "cannot lock %s: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}

static int store_open_dir(struct store *store, struct store_error *err)
{
    int saved;

    if (mkdir(store->dir, 0750) != 0 && errno != EEXIST) {
        saved = errno;
        store_error_set(err, saved, "", 0, 0, "cannot create data dir %s: %s", store->dir,
                        strerror(saved));
        return -1;
    }
    /* Kept open: new segment names are made durable by fsyncing it. */
    store->dir_fd = store->io->open(store->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (store->dir_fd < 0) {
        saved = errno;
        store_error_set(err, saved, "", 0, 0, "cannot open data dir %s: %s", store->dir,
                        strerror(saved));
        return -1;
    }
    return 0;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int store_open(const char *dir, const struct store_options *options, struct store **out,
               struct store_recovery *recovery, struct store_error *err)
{
    struct store_error scratch;
    struct store_recovery found = { 0 };
    struct timespec start;
    struct store *store;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    clock_gettime(CLOCK_MONOTONIC, &start);

    store = calloc(1, sizeof *store);
    if (!store || !(store->dir = strdup(dir))) {
        free(store);
        store_error_set(err, ENOMEM, "", 0, 0, "out of memory opening %s", dir);
        return -1;
    }
    store->dir_fd = -1;
    store->lock_fd = -1;
    store->last_recorded = INT64_MIN;
    pthread_mutex_init(&store->mutex, NULL);
    if (options) {
        store->options = *options;
    } else {
        store->options.sync = true;
    }
    store->io = store->options.io ? store->options.io : store_io_default();
    store->segment_size =
        store->options.segment_size ? store->options.segment_size : STORE_SEGMENT_SIZE_DEFAULT;
    if (store->segment_size > STORE_SEGMENT_SIZE_MAX) {
        store_error_set(err, EINVAL, "", 0, 0, "segment size %" PRIu64 " exceeds %u bytes",
                        store->segment_size, STORE_SEGMENT_SIZE_MAX);
        goto fail;
    }

    if (store_open_dir(store, err) || store_lock(store, err) || recover_open(store, &found, err))
        goto fail;

    found.seconds = seconds_since(&start);
    store_log(store, STORE_LOG_INFO,
              "opened %s: %" PRIu64 " records in %" PRIu64 " segments, %" PRIu64
              " bytes, in %.3f s",
              store->dir, found.records, found.segments, found.bytes, found.seconds);
    if (recovery)
        *recovery = found;
    *out = store;
    return 0;

fail:
    store_close(store);
    return -1;
}

void store_close(struct store *store)
{
    if (!store)
        return;
    for (size_t i = 0; i < store->segment_count; i++)
        store->io->close(store->segments[i].fd);
    if (store->dir_fd >= 0)
        store->io->close(store->dir_fd);
    /* Closing the lock file's only descriptor releases the lock. */
    if (store->lock_fd >= 0)
        store->io->close(store->lock_fd);
    pthread_mutex_destroy(&store->mutex);
    index_free(&store->index);
    free(store->segments);
    free(store->iov);
    free(store->frame_headers);
    free(store->dir);
    free(store);
}

/* ---- Durability ---- */

struct dirty_segment {
    size_t segment;
    int fd;
    uint64_t end;
};

/* Under the mutex: the segments with bytes not yet synced, and how far. */
static struct dirty_segment *dirty_snapshot(struct store *store, size_t *count)
{
    struct dirty_segment *dirty = malloc(store->segment_count * sizeof *dirty + 1);
    size_t n = 0;

    if (!dirty)
        return NULL;
    for (size_t i = 0; i < store->segment_count; i++) {
        const struct segment *segment = &store->segments[i];
        if (segment->written_end > segment->synced_end)
            dirty[n++] = (struct dirty_segment){ i, segment->fd, segment->written_end };
    }
    *count = n;
    return dirty;
}

int store_sync(struct store *store, struct store_error *err)
{
    struct dirty_segment *dirty;
    size_t count = 0;
    uint64_t target;

    pthread_mutex_lock(&store->mutex);
    if (failed_locked(store, err)) {
        pthread_mutex_unlock(&store->mutex);
        return -1;
    }
    target = store->head;
    dirty = dirty_snapshot(store, &count);
    pthread_mutex_unlock(&store->mutex);
    if (!dirty) {
        store_error_set(err, ENOMEM, "", 0, 0, "out of memory in store_sync");
        return -1;
    }

    for (size_t i = 0; i < count && store->options.sync; i++) {
        if (store->io->fdatasync(dirty[i].fd) != 0) {
            /*
             * Never retry: after a failed fdatasync the kernel may have
             * dropped the dirty pages and marked them clean, so a second
             * call that succeeds would prove nothing.
             */
            int saved = errno;
            char name[SEGMENT_NAME_SIZE];
            pthread_mutex_lock(&store->mutex);
            memcpy(name, store->segments[dirty[i].segment].name, sizeof name);
            pthread_mutex_unlock(&store->mutex);
            store_error_set(err, saved, name, 0, 0, "fdatasync of %s/%s failed: %s", store->dir,
                            name, strerror(saved));
            store_enter_failed(store, err);
            free(dirty);
            return -1;
        }
    }

    pthread_mutex_lock(&store->mutex);
    for (size_t i = 0; i < count; i++) {
        struct segment *segment = &store->segments[dirty[i].segment];
        if (dirty[i].end > segment->synced_end)
            segment->synced_end = dirty[i].end;
    }
    if (target > store->durable_head)
        store->durable_head = target;
    pthread_mutex_unlock(&store->mutex);
    free(dirty);
    return 0;
}

/* ---- State and figures ---- */

uint64_t store_durable_head(struct store *store)
{
    uint64_t head;

    pthread_mutex_lock(&store->mutex);
    head = store->durable_head;
    pthread_mutex_unlock(&store->mutex);
    return head;
}

bool store_failed(struct store *store, struct store_error *why)
{
    bool failed;

    pthread_mutex_lock(&store->mutex);
    failed = store->failed;
    if (failed && why)
        *why = store->failure;
    pthread_mutex_unlock(&store->mutex);
    return failed;
}

void store_stats(struct store *store, struct store_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    pthread_mutex_lock(&store->mutex);
    stats->head = store->head;
    stats->durable_head = store->durable_head;
    stats->segments = store->segment_count;
    for (size_t i = 0; i < store->segment_count; i++)
        stats->bytes += store->segments[i].written_end;
    stats->failed = store->failed;
    pthread_mutex_unlock(&store->mutex);
}
