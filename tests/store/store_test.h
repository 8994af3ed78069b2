/*
 * store_test.h — what the store's tests share: temporary data dirs, record
 * bodies built with msgpack-c, a model log to compare the store against,
 * file surgery, and a store_io that fails on command.
 */
#ifndef ROLLCALL_STORE_TEST_H
#define ROLLCALL_STORE_TEST_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A fresh empty directory under $TMPDIR (or /tmp); free with test_dir_remove. */
char *test_dir_new(void);
/* Removes the directory and the files in it (it holds no subdirectories). */
void test_dir_remove(char *dir);
void test_path(char *out, size_t size, const char *dir, const char *name);

/* Deterministic pseudo-random numbers (xorshift), one stream per seed. */
uint32_t test_random(uint32_t *state);

/* One record body: the msgpack map {seq, recorded, "x": payload}. */
struct test_body {
    char *data;
    size_t len;
};
void test_body_make(struct test_body *body, uint64_t seq, int64_t recorded, size_t payload_len);
void test_body_free(struct test_body *body);

/* The records a test appends (seq i + 1 at index i), to compare with what is stored. */
struct test_log {
    size_t count;
    struct test_body *bodies;
    int64_t *recorded;
};
/* count records with payloads of 0..max_payload bytes; recorded never decreases. */
void test_log_init(struct test_log *log, size_t count, uint32_t seed, size_t max_payload);
void test_log_free(struct test_log *log);
/* Appends records first_seq .. first_seq + count - 1 of the model as one batch. */
int test_log_append(struct store *store, const struct test_log *log, uint64_t first_seq,
                    size_t count, struct store_error *err);
/* Asserts that the store holds exactly the model's first count records (read and iter). */
void test_log_check(struct store *store, const struct test_log *log, uint64_t count);

/*
 * Reading a store's state back, for the tests only (the daemon needs none of
 * it): the last seq appended; the body of seq into *buf (grown as needed,
 * -1 with err, ENOENT when seq is not stored); the recorded time of seq (0
 * when not stored); the last seq recorded at or before time_us (0: none).
 */
uint64_t test_store_head(const struct store *store);
ssize_t test_store_read(struct store *store, uint64_t seq, void **buf, size_t *cap,
                        struct store_error *err);
int64_t test_store_recorded(const struct store *store, uint64_t seq);
uint64_t test_store_seq_at_time(const struct store *store, int64_t time_us);

/* Opens dir with the given segment size and sync flag; asserts success. */
struct store *test_open(const char *dir, uint64_t segment_size, bool sync,
                        struct store_recovery *recovery);
/* Like store_open with those options; for opens that are meant to fail. */
int test_try_open(const char *dir, uint64_t segment_size, struct store **store,
                  struct store_recovery *recovery, struct store_error *err);

/* File surgery. */
uint64_t test_file_size(const char *path);
void test_file_truncate(const char *path, uint64_t size);
void test_file_flip_bit(const char *path, uint64_t offset, unsigned bit);
void test_file_write_at(const char *path, uint64_t offset, const void *data, size_t len);
/* Segment names in the dir, sorted; returns how many (at most max). */
size_t test_segment_names(const char *dir, char (*names)[64], size_t max);

/*
 * A store_io that passes through to libc until told to fail. Calls are
 * counted from faults_reset(); "fail_at = n" makes the nth call from then on
 * fail (0: never). A short write writes only short_bytes and reports that.
 */
struct faults {
    int pwritev_fail_at;
    int pwritev_errno;
    int pwritev_short_at;
    size_t pwritev_short_bytes;
    int fdatasync_fail_at;
    int fdatasync_errno;
    int fsync_fail_at;
    int fsync_errno;
    bool ftruncate_fails;
    int pwritev_calls;
    int fdatasync_calls;
    int fsync_calls;
};
extern struct faults faults;
void faults_reset(void);
const struct store_io *faults_io(void);
struct store *test_open_faulty(const char *dir, uint64_t segment_size);

#endif
