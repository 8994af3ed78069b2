/*
 * test_store_log.c — the store in normal use: appending across segment
 * rotations, reading back by seq, by iteration and by time, reopening, the
 * checks on what is appended, and the lock on the data dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup_dir(void **state)
{
    *state = test_dir_new();
    return 0;
}

static int teardown_dir(void **state)
{
    test_dir_remove(*state);
    return 0;
}

/* Appends the model in batches of 1 to 7 records. */
static void append_in_batches(struct store *store, const struct test_log *log, uint32_t seed)
{
    struct store_error err;
    uint64_t seq = 1;

    while (seq <= log->count) {
        size_t batch = 1 + test_random(&seed) % 7;
        if (batch > log->count - seq + 1)
            batch = log->count - seq + 1;
        if (test_log_append(store, log, seq, batch, &err) != 0)
            fail_msg("append at %llu: %s", (unsigned long long)seq, err.message);
        seq += batch;
        assert_int_equal(test_store_head(store), seq - 1);
    }
}

static void test_round_trip_across_rotations(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct store_stats stats;
    struct store_error err;
    struct store *store;
    char names[256][64];
    size_t segments;

    test_log_init(&log, 1500, 11, 300);
    store = test_open(dir, 8192, false, &recovery);
    assert_int_equal(recovery.records, 0);
    assert_int_equal(recovery.segments, 1);
    append_in_batches(store, &log, 5);
    test_log_check(store, &log, log.count);
    assert_int_equal(store_sync(store, &err), 0);
    assert_int_equal(store_durable_head(store), log.count);
    store_stats(store, &stats);
    assert_true(stats.segments >= 20);
    assert_int_equal(stats.head, log.count);
    assert_false(stats.failed);
    store_close(store);

    /* The files: ls order is log order, and names carry the first seq. */
    segments = test_segment_names(dir, names, 256);
    assert_int_equal(segments, stats.segments);
    assert_string_equal(names[0], "seg-00000000000000000001.rlog");
    for (size_t i = 1; i < segments; i++) {
        unsigned long long previous = strtoull(names[i - 1] + 4, NULL, 10);
        unsigned long long first = strtoull(names[i] + 4, NULL, 10);
        assert_true(first > previous);
    }

    store = test_open(dir, 8192, false, &recovery);
    assert_int_equal(recovery.records, log.count);
    assert_int_equal(recovery.segments, segments);
    assert_int_equal(recovery.bytes, stats.bytes);
    assert_int_equal(recovery.truncated_bytes, 0);
    assert_int_equal(store_durable_head(store), log.count);
    test_log_check(store, &log, log.count);
    store_close(store);
    test_log_free(&log);
}

static void test_segment_takes_at_least_one_batch(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_stats stats;
    struct store_error err;
    struct store *store;

    /* A segment size smaller than any record: one batch per segment. */
    test_log_init(&log, 12, 3, 100);
    store = test_open(dir, 10, false, NULL);
    assert_int_equal(test_log_append(store, &log, 1, 3, &err), 0);
    for (uint64_t seq = 4; seq <= 12; seq++)
        assert_int_equal(test_log_append(store, &log, seq, 1, &err), 0);
    store_stats(store, &stats);
    assert_int_equal(stats.segments, 10);
    test_log_check(store, &log, 12);
    store_close(store);
    store = test_open(dir, 10, false, NULL);
    test_log_check(store, &log, 12);
    store_close(store);
    test_log_free(&log);
}

static void test_iter_from_middle_and_follow(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_record record;
    struct store_error err;
    struct store_iter *iter;
    struct store *store;

    test_log_init(&log, 400, 17, 200);
    store = test_open(dir, 4096, false, NULL);
    assert_int_equal(test_log_append(store, &log, 1, 250, &err), 0);

    iter = store_iter_new(store, 200);
    assert_non_null(iter);
    for (uint64_t seq = 200; seq <= 250; seq++) {
        assert_int_equal(store_iter_next(iter, &record, &err), 1);
        assert_int_equal(record.seq, seq);
        assert_memory_equal(record.body, log.bodies[seq - 1].data, record.len);
    }
    assert_int_equal(store_iter_next(iter, &record, &err), 0);
    /* Records appended later are found by the same iterator. */
    for (uint64_t seq = 251; seq <= 400; seq += 10)
        assert_int_equal(test_log_append(store, &log, seq, 10, &err), 0);
    for (uint64_t seq = 251; seq <= 400; seq++) {
        assert_int_equal(store_iter_next(iter, &record, &err), 1);
        assert_int_equal(record.seq, seq);
        assert_int_equal(record.len, log.bodies[seq - 1].len);
        assert_memory_equal(record.body, log.bodies[seq - 1].data, record.len);
    }
    assert_int_equal(store_iter_next(iter, &record, &err), 0);
    store_iter_free(iter);

    /* Past the head: nothing yet. */
    iter = store_iter_new(store, 401);
    assert_int_equal(store_iter_next(iter, &record, &err), 0);
    store_iter_free(iter);
    store_close(store);
    test_log_free(&log);
}

/* The model's answer: the last seq recorded at or before time_us, by a linear scan. */
static uint64_t model_seq_at_time(const struct test_log *log, int64_t time_us)
{
    uint64_t last = 0;

    for (uint64_t seq = 1; seq <= log->count; seq++)
        if (log->recorded[seq - 1] <= time_us)
            last = seq;
    return last;
}

static void test_seq_at_time(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_error err;
    struct store *store;
    int64_t first, last;

    test_log_init(&log, 300, 23, 50);
    first = log.recorded[0];
    last = log.recorded[299];
    store = test_open(dir, 2048, false, NULL);
    assert_int_equal(test_store_seq_at_time(store, first), 0);
    assert_int_equal(test_log_append(store, &log, 1, 300, &err), 0);

    assert_int_equal(test_store_seq_at_time(store, INT64_MIN), 0);
    assert_int_equal(test_store_seq_at_time(store, INT64_MAX), 300);
    for (int64_t t = first - 1500; t <= last + 1500; t += 500)
        assert_int_equal(test_store_seq_at_time(store, t), model_seq_at_time(&log, t));
    assert_int_equal(test_store_recorded(store, 0), 0);
    assert_int_equal(test_store_recorded(store, 301), 0);
    store_close(store);

    /* The same answers from the index rebuilt on open. */
    store = test_open(dir, 2048, false, NULL);
    for (int64_t t = first - 1500; t <= last + 1500; t += 500)
        assert_int_equal(test_store_seq_at_time(store, t), model_seq_at_time(&log, t));
    for (uint64_t seq = 1; seq <= 300; seq++)
        assert_int_equal(test_store_recorded(store, seq), log.recorded[seq - 1]);
    store_close(store);
    test_log_free(&log);
}

static void test_read_missing(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_error err;
    struct store *store;
    void *buf = NULL;
    size_t cap = 0;

    test_log_init(&log, 3, 1, 10);
    store = test_open(dir, 0, false, NULL);
    assert_int_equal(test_store_read(store, 1, &buf, &cap, &err), -1);
    assert_int_equal(err.errno_, ENOENT);
    assert_int_equal(test_log_append(store, &log, 1, 3, &err), 0);
    assert_int_equal(test_store_read(store, 0, &buf, &cap, &err), -1);
    assert_int_equal(err.errno_, ENOENT);
    assert_int_equal(test_store_read(store, 4, &buf, &cap, &err), -1);
    assert_int_equal(err.errno_, ENOENT);
    assert_int_equal(test_store_read(store, 3, &buf, &cap, &err), (ssize_t)log.bodies[2].len);
    free(buf);
    store_close(store);
    test_log_free(&log);
}

static struct store_record record_of(const struct test_body *body, uint64_t seq, int64_t recorded)
{
    return (struct store_record){ body->data, body->len, seq, recorded };
}

static void test_append_checks(void **state)
{
    const char *dir = *state;
    struct test_body good1, good2, wrong_seq, early, big;
    struct store_record batch[2];
    struct store_error err;
    struct store *store;
    char not_a_map[32];

    test_body_make(&good1, 1, 5000, 10);
    test_body_make(&good2, 2, 6000, 10);
    test_body_make(&wrong_seq, 3, 6000, 10);
    test_body_make(&early, 2, 4000, 10);
    test_body_make(&big, 2, 6000, STORE_RECORD_MAX);
    store = test_open(dir, 0, false, NULL);

    /* Out of sequence. */
    batch[0] = record_of(&good2, 2, 6000);
    assert_int_equal(store_append(store, batch, 1, &err), -1);
    assert_int_equal(err.errno_, EINVAL);
    /* The body disagrees with the record. */
    batch[0] = record_of(&good1, 1, 5001);
    assert_int_equal(store_append(store, batch, 1, &err), -1);
    assert_int_equal(err.errno_, EINVAL);
    /* Not a map with seq and recorded first. */
    memset(not_a_map, 0x90, sizeof not_a_map);
    batch[0] = (struct store_record){ not_a_map, sizeof not_a_map, 1, 5000 };
    assert_int_equal(store_append(store, batch, 1, &err), -1);
    assert_int_equal(err.errno_, EINVAL);
    /* A bad second record spoils the whole batch. */
    batch[0] = record_of(&good1, 1, 5000);
    batch[1] = record_of(&wrong_seq, 3, 6000);
    assert_int_equal(store_append(store, batch, 2, &err), -1);
    assert_int_equal(err.errno_, EINVAL);
    assert_int_equal(test_store_head(store), 0);
    /* recorded going back in time. */
    batch[1] = record_of(&early, 2, 4000);
    assert_int_equal(store_append(store, batch, 2, &err), -1);
    assert_int_equal(err.errno_, EINVAL);
    assert_int_equal(test_store_head(store), 0);
    /* Oversize body. */
    assert_true(big.len > STORE_RECORD_MAX);
    batch[1] = record_of(&big, 2, 6000);
    assert_int_equal(store_append(store, batch, 2, &err), -1);
    assert_int_equal(err.errno_, EINVAL);
    assert_int_equal(test_store_head(store), 0);

    /* None of it reached the disk: the good batch still goes in at seq 1. */
    batch[1] = record_of(&good2, 2, 6000);
    assert_int_equal(store_append(store, batch, 2, &err), 0);
    assert_int_equal(test_store_head(store), 2);
    assert_int_equal(store_append(store, batch, 0, &err), 0);
    store_close(store);

    store = test_open(dir, 0, false, NULL);
    assert_int_equal(test_store_head(store), 2);
    store_close(store);
    test_body_free(&good1);
    test_body_free(&good2);
    test_body_free(&wrong_seq);
    test_body_free(&early);
    test_body_free(&big);
}

static void test_largest_record(void **state)
{
    const char *dir = *state;
    struct test_body body;
    struct store_record record;
    struct store_error err;
    struct store *store;
    void *buf = NULL;
    size_t cap = 0;

    /* The payload that makes the body exactly STORE_RECORD_MAX bytes. */
    test_body_make(&body, 1, 1, 0);
    {
        size_t overhead = body.len + 4; /* str8 header becomes str32 */
        test_body_free(&body);
        test_body_make(&body, 1, 1, STORE_RECORD_MAX - overhead);
    }
    assert_int_equal(body.len, STORE_RECORD_MAX);
    store = test_open(dir, 4096, false, NULL);
    record = record_of(&body, 1, 1);
    assert_int_equal(store_append(store, &record, 1, &err), 0);
    store_close(store);
    store = test_open(dir, 4096, false, NULL);
    assert_int_equal(test_store_read(store, 1, &buf, &cap, &err), STORE_RECORD_MAX);
    assert_memory_equal(buf, body.data, body.len);
    free(buf);
    store_close(store);
    test_body_free(&body);
}

static void test_lock_contention(void **state)
{
    const char *dir = *state;
    struct store_error err;
    struct store *first, *second = NULL;

    first = test_open(dir, 0, false, NULL);
    assert_int_equal(test_try_open(dir, 0, &second, NULL, &err), -1);
    assert_null(second);
    assert_int_equal(err.errno_, EWOULDBLOCK);
    assert_non_null(strstr(err.message, dir));
    assert_non_null(strstr(err.message, "locked by another process"));
    /* The failed open left the first store alone. */
    assert_int_equal(test_store_head(first), 0);
    store_close(first);

    /* Closing releases the lock. */
    second = test_open(dir, 0, false, NULL);
    store_close(second);
}

static void test_bad_options(void **state)
{
    const char *dir = *state;
    struct store_error err;
    struct store *store = NULL;

    assert_int_equal(test_try_open(dir, (uint64_t)STORE_SEGMENT_SIZE_MAX + 1, &store, NULL, &err),
                     -1);
    assert_int_equal(err.errno_, EINVAL);
    assert_null(store);
}

static void log_to_count(void *ctx, enum store_log_level level, const char *message)
{
    (void)level;
    assert_non_null(message);
    (*(int *)ctx)++;
}

static void test_null_options_and_log(void **state)
{
    const char *dir = *state;
    struct store_options options = { .log = log_to_count };
    struct store *store;
    int lines = 0;

    options.log_ctx = &lines;
    assert_int_equal(store_open(dir, NULL, &store, NULL, NULL), 0);
    store_close(store);
    assert_int_equal(store_open(dir, &options, &store, NULL, NULL), 0);
    assert_true(lines >= 1); /* the summary of the open */
    store_close(store);
    store_close(NULL);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        DIR_TEST(test_round_trip_across_rotations),
        DIR_TEST(test_segment_takes_at_least_one_batch),
        DIR_TEST(test_iter_from_middle_and_follow),
        DIR_TEST(test_seq_at_time),
        DIR_TEST(test_read_missing),
        DIR_TEST(test_append_checks),
        DIR_TEST(test_largest_record),
        DIR_TEST(test_lock_contention),
        DIR_TEST(test_bad_options),
        DIR_TEST(test_null_options_and_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
