/*
 * store.h — the append-only log on disk.
 *
 * A data directory holds segment files of checksummed records plus a lock
 * file (store/FORMAT.md has the bytes). The store knows records only as
 * (seq, recorded, body): the body is an opaque msgpack map whose first two
 * entries are "seq" and "recorded", which the store checks for continuity.
 *
 * Threads: one owner thread opens, appends, reads and closes. store_sync (and
 * store_verify) may run on another thread at the same time; everything they
 * share with the owner is guarded inside the store.
 *
 * No libuv here, and no knowledge of events: the daemon drives the store.
 */
#ifndef ROLLCALL_STORE_H
#define ROLLCALL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define STORE_SEGMENT_SIZE_DEFAULT (64u << 20)
#define STORE_SEGMENT_SIZE_MAX     (1u << 30) /* larger segment_size: EINVAL */
#define STORE_RECORD_MAX           (1u << 20) /* body bytes */

/*
 * The thin seam every file operation goes through, so that tests can make one
 * fail (ENOSPC, EIO, a short write) without root. Each returns what the libc
 * call returns and sets errno likewise. store_io_default() is plain libc.
 */
struct store_io {
    int (*open)(const char *path, int flags, mode_t mode);
    int (*close)(int fd);
    ssize_t (*pread)(int fd, void *buf, size_t len, off_t offset);
    ssize_t (*pwritev)(int fd, const struct iovec *iov, int iovcnt, off_t offset);
    int (*fsync)(int fd);
    int (*fdatasync)(int fd);
    int (*ftruncate)(int fd, off_t length);
    int (*rename)(const char *from, const char *to);
    int (*unlink)(const char *path);
};
const struct store_io *store_io_default(void);

enum store_log_level { STORE_LOG_ERROR, STORE_LOG_WARN, STORE_LOG_INFO, STORE_LOG_DEBUG };

struct store_options {
    uint64_t segment_size;     /* rotate past this many bytes; 0 = default */
    bool sync;                 /* false: store_sync skips fdatasync (bulk loads, tests) */
    const struct store_io *io; /* NULL = store_io_default() */
    /*
     * Optional: recovery and failures are reported here (one line each), on
     * the thread that met them (a failed fdatasync: store_sync's thread).
     */
    void (*log)(void *ctx, enum store_log_level level, const char *message);
    void *log_ctx;
};

/*
 * Why an operation failed. For corruption, file/offset/seq locate it; errno_
 * holds the errno of an I/O failure, EBADMSG for corruption, and the codes
 * named below (EINVAL, EROFS, ENOENT, EWOULDBLOCK for a locked dir).
 */
struct store_error {
    char message[512];
    char file[256];  /* segment file name, "" if none */
    uint64_t offset; /* byte offset in that file */
    uint64_t seq;    /* the record's seq, 0 if unknown */
    int errno_;
};

/* What recovery found on open. */
struct store_recovery {
    uint64_t records;
    uint64_t segments;
    uint64_t bytes;           /* total size of the segments after recovery */
    uint64_t truncated_bytes; /* torn tail dropped from the newest segment */
    uint64_t removed_temp_files;
    double seconds;
};

struct store;

/*
 * Opens (creating if needed) the log in dir: takes the exclusive lock, scans
 * and checks every segment, truncates a torn tail. Returns 0 and *out, or -1
 * with err filled in (another process holds the lock; corruption naming file,
 * offset and seq; an I/O error). recovery may be NULL; so may options (the
 * defaults, with sync on).
 */
int store_open(const char *dir, const struct store_options *options, struct store **out,
               struct store_recovery *recovery, struct store_error *err);

/* Closes files and releases the lock. Does not sync. NULL is fine. */
void store_close(struct store *store);

/*
 * One record to append: body is a msgpack map starting with "seq" (the next
 * seq) and "recorded" (microseconds, not below the previous record's).
 */
struct store_record {
    const void *body;
    size_t len;
    uint64_t seq;
    int64_t recorded_us;
};

/*
 * Appends records in order, buffered (written, not yet durable), rotating to
 * a new segment when the current one is full. All or nothing: on failure no
 * byte of the batch remains in the log and -1 is returned with err. Fails with
 * EINVAL for a record out of sequence, an oversize or malformed body, and with
 * EROFS once the store has failed (see store_sync).
 */
int store_append(struct store *store, const struct store_record *records, size_t count,
                 struct store_error *err);

/*
 * Makes every record appended before the call durable with one fdatasync per
 * dirty segment, and advances the durable head. Safe to call from a worker
 * thread while the owner appends and reads. If fdatasync fails the store
 * enters a failed, read-only state until reopened: the kernel may have dropped
 * the dirty pages, so a retry that succeeds would prove nothing.
 */
int store_sync(struct store *store, struct store_error *err);

/* Last seq made durable by store_sync (or found on open). Any thread. */
uint64_t store_durable_head(struct store *store);
/* True once a write or sync failure has made the store read-only. Any thread. */
bool store_failed(struct store *store, struct store_error *why);

struct store_stats {
    uint64_t head;
    uint64_t durable_head;
    uint64_t segments;
    uint64_t bytes;
    bool failed;
};
void store_stats(struct store *store, struct store_stats *stats);

/*
 * Sequential reading from a seq, for replay. The body pointer stays valid
 * until the next call. Owner thread.
 */
struct store_iter;
struct store_iter *store_iter_new(struct store *store, uint64_t from_seq);
/* 1 and a record; 0 at the end; -1 with err. */
int store_iter_next(struct store_iter *iter, struct store_record *record, struct store_error *err);
void store_iter_free(struct store_iter *iter);

/* One problem found by store_verify. */
struct store_problem {
    uint64_t seq;
    const char *segment; /* file name */
    uint64_t offset;
    const char *message;
};

/*
 * Reads every durable record again from disk with its own file descriptors and
 * checks headers, framing, checksums and seq continuity. Calls on_problem for
 * each problem and, when on_record is not NULL, for each sound record (so the
 * caller can check the body's content too; a nonzero return is counted as a
 * problem with the message it sets). Safe on a worker thread while the owner
 * appends. Returns the number of records checked, or -1 with err if the check
 * itself could not run.
 */
typedef void (*store_problem_fn)(void *ctx, const struct store_problem *problem);
typedef int (*store_record_fn)(void *ctx, const struct store_record *record, const char **message);
int64_t store_verify(struct store *store, store_problem_fn on_problem, store_record_fn on_record,
                     void *ctx, struct store_error *err);

#endif
