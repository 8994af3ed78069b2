/*
 * test_store_faults.c — the store when the disk says no (ENOSPC, EIO, short
 * writes, a failed fdatasync, through a store_io that fails on command), with
 * store_sync and store_verify on another thread, and store_verify on a sound
 * and on a damaged log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store_internal.h"
#include "store_test.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_SEGMENT "seg-00000000000000000001.rlog"

static int setup_dir(void **state)
{
    faults_reset();
    *state = test_dir_new();
    return 0;
}

static int teardown_dir(void **state)
{
    faults_reset();
    test_dir_remove(*state);
    return 0;
}

static uint64_t segment_bytes(const char *dir, const char *name)
{
    char path[4096];
    test_path(path, sizeof path, dir, name);
    return test_file_size(path);
}

static size_t temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    size_t n = 0;

    assert_non_null(d);
    while ((entry = readdir(d)))
        n += strncmp(entry->d_name, ".tmp-", 5) == 0;
    closedir(d);
    return n;
}

/* Reopens with plain libc: everything acknowledged is there, nothing torn. */
static void expect_reopens_with(const char *dir, const struct test_log *log, uint64_t records,
                                uint64_t segment_size)
{
    struct store_recovery recovery;
    struct store *store = test_open(dir, segment_size, false, &recovery);

    assert_int_equal(recovery.records, records);
    assert_int_equal(recovery.truncated_bytes, 0);
    test_log_check(store, log, records);
    store_close(store);
}

/* ---- Write failures ---- */

static void write_failure(const char *dir, int error)
{
    struct test_log log;
    struct store_error err;
    struct store *store;
    uint64_t size;

    test_log_init(&log, 6, 4, 100);
    store = test_open_faulty(dir, 0);
    assert_int_equal(test_log_append(store, &log, 1, 3, &err), 0);
    assert_int_equal(store_sync(store, &err), 0);
    size = segment_bytes(dir, FIRST_SEGMENT);

    faults.pwritev_fail_at = faults.pwritev_calls + 1;
    faults.pwritev_errno = error;
    assert_int_equal(test_log_append(store, &log, 4, 3, &err), -1);
    assert_int_equal(err.errno_, error);
    assert_non_null(strstr(err.message, strerror(error)));
    assert_int_equal(test_store_head(store), 3);
    assert_int_equal(segment_bytes(dir, FIRST_SEGMENT), size);
    /* A write that failed cleanly does not fail the store. */
    assert_false(store_failed(store, NULL));
    test_log_check(store, &log, 3);

    assert_int_equal(test_log_append(store, &log, 4, 3, &err), 0);
    assert_int_equal(store_sync(store, &err), 0);
    assert_int_equal(store_durable_head(store), 6);
    store_close(store);
    expect_reopens_with(dir, &log, 6, 0);
    test_log_free(&log);
}

static void test_enospc_on_append(void **state)
{
    write_failure(*state, ENOSPC);
}

static void test_eio_on_append(void **state)
{
    write_failure(*state, EIO);
}

static void test_short_write_then_error(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_error err;
    struct store *store;
    uint64_t size;

    test_log_init(&log, 5, 6, 100);
    store = test_open_faulty(dir, 0);
    assert_int_equal(test_log_append(store, &log, 1, 2, &err), 0);
    assert_int_equal(store_sync(store, &err), 0);
    size = segment_bytes(dir, FIRST_SEGMENT);

    /* Part of the first frame lands, then the disk is full. */
    faults.pwritev_short_at = faults.pwritev_calls + 1;
    faults.pwritev_short_bytes = 13;
    faults.pwritev_fail_at = faults.pwritev_calls + 2;
    faults.pwritev_errno = ENOSPC;
    assert_int_equal(test_log_append(store, &log, 3, 3, &err), -1);
    assert_int_equal(err.errno_, ENOSPC);
    assert_int_equal(faults.pwritev_calls, 2 + 2);
    assert_int_equal(segment_bytes(dir, FIRST_SEGMENT), size);
    assert_int_equal(test_store_head(store), 2);
    assert_false(store_failed(store, NULL));
    store_close(store);
    expect_reopens_with(dir, &log, 2, 0);
    test_log_free(&log);
}

static void test_short_write_completed(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_error err;
    struct store *store;

    test_log_init(&log, 4, 7, 100);
    store = test_open_faulty(dir, 0);
    /* A short write is not an error: the rest is written by the next call. */
    faults.pwritev_short_at = faults.pwritev_calls + 1;
    faults.pwritev_short_bytes = 11;
    assert_int_equal(test_log_append(store, &log, 1, 4, &err), 0);
    assert_true(faults.pwritev_calls >= 3); /* header of the segment, short, rest */
    test_log_check(store, &log, 4);
    assert_int_equal(store_sync(store, &err), 0);
    store_close(store);
    expect_reopens_with(dir, &log, 4, 0);
    test_log_free(&log);
}

static void test_truncate_failure_fails_the_store(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct store_error err, why;
    struct store *store;

    test_log_init(&log, 6, 8, 100);
    store = test_open_faulty(dir, 0);
    assert_int_equal(test_log_append(store, &log, 1, 3, &err), 0);
    assert_int_equal(store_sync(store, &err), 0);

    faults.pwritev_short_at = faults.pwritev_calls + 1;
    faults.pwritev_short_bytes = 10;
    faults.pwritev_fail_at = faults.pwritev_calls + 2;
    faults.pwritev_errno = EIO;
    faults.ftruncate_fails = true;
    assert_int_equal(test_log_append(store, &log, 4, 2, &err), -1);
    assert_int_equal(err.errno_, EIO);
    /* Ten stray bytes it cannot remove: the store stops writing. */
    assert_true(store_failed(store, &why));
    assert_non_null(strstr(why.message, "truncating"));
    assert_int_equal(test_log_append(store, &log, 4, 2, &err), -1);
    assert_int_equal(err.errno_, EROFS);
    assert_int_equal(store_sync(store, &err), -1);
    assert_int_equal(err.errno_, EROFS);
    /* Reads still work. */
    test_log_check(store, &log, 3);
    store_close(store);

    /* The stray bytes are a torn tail to the next open. */
    faults_reset();
    store = test_open(dir, 0, false, &recovery);
    assert_int_equal(recovery.records, 3);
    assert_int_equal(recovery.truncated_bytes, 10);
    store_close(store);
    test_log_free(&log);
}

/* ---- Sync failures ---- */

static void test_fdatasync_failure(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_stats stats;
    struct store_error err, why;
    struct store_recovery recovery;
    struct store *store;
    int calls;

    test_log_init(&log, 6, 9, 100);
    store = test_open_faulty(dir, 0);
    assert_int_equal(test_log_append(store, &log, 1, 3, &err), 0);
    assert_int_equal(store_sync(store, &err), 0);
    assert_int_equal(store_durable_head(store), 3);

    assert_int_equal(test_log_append(store, &log, 4, 2, &err), 0);
    faults.fdatasync_fail_at = faults.fdatasync_calls + 1;
    faults.fdatasync_errno = EIO;
    assert_int_equal(store_sync(store, &err), -1);
    assert_int_equal(err.errno_, EIO);
    assert_string_equal(err.file, FIRST_SEGMENT);
    assert_int_equal(store_durable_head(store), 3);
    assert_true(store_failed(store, &why));
    assert_int_equal(why.errno_, EIO);
    store_stats(store, &stats);
    assert_true(stats.failed);

    /* No retry that would pretend, no more appends; reads still work. */
    calls = faults.fdatasync_calls;
    assert_int_equal(store_sync(store, &err), -1);
    assert_int_equal(err.errno_, EROFS);
    assert_int_equal(faults.fdatasync_calls, calls);
    assert_int_equal(test_log_append(store, &log, 6, 1, &err), -1);
    assert_int_equal(err.errno_, EROFS);
    assert_int_equal(test_store_head(store), 5);
    test_log_check(store, &log, 5);
    store_close(store);

    /* Reopened, the acknowledged records are all there. */
    faults_reset();
    store = test_open(dir, 0, false, &recovery);
    assert_true(recovery.records >= 3);
    test_log_check(store, &log, recovery.records);
    assert_int_equal(test_log_append(store, &log, recovery.records + 1, 1, &err), 0);
    store_close(store);
    test_log_free(&log);
}

static void test_fdatasync_failure_on_rotation(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_stats stats;
    struct store_error err;
    struct store *store;

    /* Segments of one batch each: every append after the first rotates. */
    test_log_init(&log, 4, 10, 100);
    store = test_open_faulty(dir, 10);
    assert_int_equal(test_log_append(store, &log, 1, 2, &err), 0);
    faults.fdatasync_fail_at = faults.fdatasync_calls + 1;
    faults.fdatasync_errno = EIO;
    assert_int_equal(test_log_append(store, &log, 3, 1, &err), -1);
    assert_int_equal(err.errno_, EIO);
    assert_true(store_failed(store, NULL));
    store_stats(store, &stats);
    assert_int_equal(stats.segments, 1);
    assert_int_equal(test_store_head(store), 2);
    store_close(store);
    faults_reset();
    expect_reopens_with(dir, &log, 2, 10);
    test_log_free(&log);
}

static void test_segment_creation_failure(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_stats stats;
    struct store_error err;
    struct store *store;

    test_log_init(&log, 4, 11, 100);
    store = test_open_faulty(dir, 10);
    assert_int_equal(test_log_append(store, &log, 1, 1, &err), 0);

    /* The new segment's header cannot be written. */
    faults.pwritev_fail_at = faults.pwritev_calls + 1;
    faults.pwritev_errno = ENOSPC;
    assert_int_equal(test_log_append(store, &log, 2, 2, &err), -1);
    assert_int_equal(err.errno_, ENOSPC);
    assert_false(store_failed(store, NULL));
    assert_int_equal(temp_files(dir), 0);
    store_stats(store, &stats);
    assert_int_equal(stats.segments, 1);

    /* Its fsync fails. */
    faults.fsync_fail_at = faults.fsync_calls + 1;
    faults.fsync_errno = EIO;
    assert_int_equal(test_log_append(store, &log, 2, 2, &err), -1);
    assert_int_equal(err.errno_, EIO);
    assert_false(store_failed(store, NULL));
    assert_int_equal(temp_files(dir), 0);

    /* Then the disk has room again. */
    assert_int_equal(test_log_append(store, &log, 2, 2, &err), 0);
    assert_int_equal(test_log_append(store, &log, 4, 1, &err), 0);
    store_stats(store, &stats);
    assert_int_equal(stats.segments, 3);
    assert_int_equal(store_sync(store, &err), 0);
    store_close(store);
    expect_reopens_with(dir, &log, 4, 10);
    test_log_free(&log);
}

static void test_directory_fsync_failure(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct store_error err;
    struct store *store;

    test_log_init(&log, 3, 12, 100);
    store = test_open_faulty(dir, 10);
    assert_int_equal(test_log_append(store, &log, 1, 1, &err), 0);
    /* The new segment is in place, but its name may not be durable. */
    faults.fsync_fail_at = faults.fsync_calls + 2;
    faults.fsync_errno = EIO;
    assert_int_equal(test_log_append(store, &log, 2, 1, &err), -1);
    assert_int_equal(err.errno_, EIO);
    assert_true(store_failed(store, NULL));
    store_close(store);

    /* The empty new segment is a fine place to go on from. */
    faults_reset();
    store = test_open(dir, 10, false, &recovery);
    assert_int_equal(recovery.records, 1);
    assert_int_equal(recovery.segments, 2);
    assert_int_equal(test_log_append(store, &log, 2, 2, &err), 0);
    store_close(store);
    expect_reopens_with(dir, &log, 3, 10);
    test_log_free(&log);
}

/* ---- Threads ---- */

struct worker {
    struct store *store;
    atomic_bool stop;
    int syncs;
    int verifies;
    int failures;
    uint64_t last_durable;
    bool durable_went_back;
};

static void count_problem(void *ctx, const struct store_problem *problem)
{
    (void)problem;
    (*(int *)ctx)++;
}

static void *sync_worker(void *arg)
{
    struct worker *worker = arg;
    struct store_error err;

    while (!atomic_load(&worker->stop)) {
        uint64_t durable;
        if (store_sync(worker->store, &err) != 0)
            worker->failures++;
        worker->syncs++;
        durable = store_durable_head(worker->store);
        if (durable < worker->last_durable)
            worker->durable_went_back = true;
        worker->last_durable = durable;
        if (worker->syncs % 8 == 0) {
            int problems = 0;
            int64_t checked = store_verify(worker->store, count_problem, NULL, &problems, &err);
            if (checked < 0 || problems != 0 || (uint64_t)checked < durable)
                worker->failures++;
            worker->verifies++;
        }
    }
    return NULL;
}

static void test_sync_and_verify_on_a_thread(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct worker worker = { 0 };
    struct store_error err;
    struct store *store;
    pthread_t thread;
    void *buf = NULL;
    size_t cap = 0;
    uint32_t seed = 77;
    uint64_t seq = 1;
    int problems = 0;

    test_log_init(&log, 3000, 13, 200);
    store = test_open(dir, 16384, true, NULL);
    worker.store = store;
    assert_int_equal(pthread_create(&thread, NULL, sync_worker, &worker), 0);

    while (seq <= log.count) {
        size_t batch = 1 + test_random(&seed) % 20;
        uint64_t probe;
        ssize_t len;
        if (batch > log.count - seq + 1)
            batch = log.count - seq + 1;
        if (test_log_append(store, &log, seq, batch, &err) != 0)
            fail_msg("append at %" PRIu64 ": %s", seq, err.message);
        seq += batch;
        /* Read back something already there while the worker syncs. */
        probe = 1 + test_random(&seed) % (seq - 1);
        len = test_store_read(store, probe, &buf, &cap, &err);
        if (len < 0)
            fail_msg("read %" PRIu64 ": %s", probe, err.message);
        assert_int_equal((size_t)len, log.bodies[probe - 1].len);
        assert_memory_equal(buf, log.bodies[probe - 1].data, (size_t)len);
        assert_true(store_durable_head(store) <= test_store_head(store));
    }
    atomic_store(&worker.stop, true);
    assert_int_equal(pthread_join(thread, NULL), 0);
    free(buf);

    print_message("%d syncs and %d verifies ran beside the appends\n", worker.syncs,
                  worker.verifies);
    assert_int_equal(worker.failures, 0);
    assert_false(worker.durable_went_back);
    assert_true(worker.syncs > 0);
    assert_int_equal(store_sync(store, &err), 0);
    assert_int_equal(store_durable_head(store), log.count);
    assert_int_equal(store_verify(store, count_problem, NULL, &problems, &err), (int64_t)log.count);
    assert_int_equal(problems, 0);
    test_log_check(store, &log, log.count);
    store_close(store);
    expect_reopens_with(dir, &log, log.count, 16384);
    test_log_free(&log);
}

/* ---- Verify ---- */

struct verify_seen {
    const struct test_log *log;
    uint64_t next_seq;
    uint64_t refuse_seq;
    int mismatches;
    int problems;
    struct store_problem first;
    char first_segment[64];
    char first_message[512];
};

static void note_problem(void *ctx, const struct store_problem *problem)
{
    struct verify_seen *seen = ctx;

    if (seen->problems++ == 0) {
        seen->first = *problem;
        snprintf(seen->first_segment, sizeof seen->first_segment, "%s", problem->segment);
        snprintf(seen->first_message, sizeof seen->first_message, "%s", problem->message);
    }
}

static int check_record_body(void *ctx, const struct store_record *record, const char **message)
{
    struct verify_seen *seen = ctx;
    const struct test_body *body = &seen->log->bodies[record->seq - 1];

    if (record->seq < seen->next_seq || record->len != body->len ||
        memcmp(record->body, body->data, body->len) != 0 ||
        record->recorded_us != seen->log->recorded[record->seq - 1])
        seen->mismatches++;
    seen->next_seq = record->seq + 1;
    if (record->seq == seen->refuse_seq) {
        *message = "not an event";
        return 1;
    }
    return 0;
}

static void test_verify_sound_log(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct verify_seen seen = { 0 };
    struct store_error err;
    struct store *store;

    test_log_init(&log, 200, 14, 150);
    store = test_open(dir, 4096, false, NULL);
    assert_int_equal(test_log_append(store, &log, 1, 150, &err), 0);
    assert_int_equal(store_sync(store, &err), 0);
    /* Appended but not yet durable: not verified. */
    assert_int_equal(test_log_append(store, &log, 151, 50, &err), 0);

    seen.log = &log;
    seen.next_seq = 1;
    assert_int_equal(store_verify(store, note_problem, check_record_body, &seen, &err), 150);
    assert_int_equal(seen.problems, 0);
    assert_int_equal(seen.mismatches, 0);
    assert_int_equal(seen.next_seq, 151);

    /* The caller's own check counts as a problem. */
    seen = (struct verify_seen){ .log = &log, .next_seq = 1, .refuse_seq = 42 };
    assert_int_equal(store_sync(store, &err), 0);
    assert_int_equal(store_verify(store, note_problem, check_record_body, &seen, &err), 200);
    assert_int_equal(seen.problems, 1);
    assert_int_equal(seen.first.seq, 42);
    assert_string_equal(seen.first_message, "not an event");
    store_close(store);
    test_log_free(&log);
}

static void test_verify_damaged_log(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct verify_seen seen = { .next_seq = 1 };
    struct store_error err;
    struct store *store;
    char names[64][64], path[4096];
    uint64_t offset = SEGMENT_HEADER_SIZE;

    test_log_init(&log, 100, 15, 150);
    store = test_open(dir, 0, false, NULL);
    assert_int_equal(test_log_append(store, &log, 1, 100, &err), 0);
    assert_int_equal(store_sync(store, &err), 0);
    store_close(store);
    store = test_open(dir, 0, false, NULL);
    assert_int_equal(test_segment_names(dir, names, 64), 1);

    /* Damage record 30 under the open store's feet. */
    for (uint64_t seq = 1; seq < 30; seq++)
        offset += FRAME_HEADER_SIZE + log.bodies[seq - 1].len;
    test_path(path, sizeof path, dir, names[0]);
    test_file_flip_bit(path, offset + FRAME_HEADER_SIZE + 3, 6);

    seen.log = &log;
    assert_int_equal(store_verify(store, note_problem, check_record_body, &seen, &err), 99);
    assert_int_equal(seen.problems, 1);
    assert_int_equal(seen.first.seq, 30);
    assert_int_equal(seen.first.offset, offset);
    assert_string_equal(seen.first_segment, names[0]);
    assert_non_null(strstr(seen.first_message, "checksum"));
    /* The records after it were still checked. */
    assert_int_equal(seen.next_seq, 101);
    assert_int_equal(seen.mismatches, 0);
    store_close(store);
    test_log_free(&log);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        DIR_TEST(test_enospc_on_append),
        DIR_TEST(test_eio_on_append),
        DIR_TEST(test_short_write_then_error),
        DIR_TEST(test_short_write_completed),
        DIR_TEST(test_truncate_failure_fails_the_store),
        DIR_TEST(test_fdatasync_failure),
        DIR_TEST(test_fdatasync_failure_on_rotation),
        DIR_TEST(test_segment_creation_failure),
        DIR_TEST(test_directory_fsync_failure),
        DIR_TEST(test_sync_and_verify_on_a_thread),
        DIR_TEST(test_verify_sound_log),
        DIR_TEST(test_verify_damaged_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
