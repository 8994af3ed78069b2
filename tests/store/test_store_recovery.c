/*
 * test_store_recovery.c — what open does with damaged files: a torn tail is
 * cut off (every length of it, zero-filled, an incomplete batch), anything
 * else is corruption that names the file, offset and seq.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store_internal.h"
#include "store_test.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIRST_SEGMENT "seg-00000000000000000001.rlog"

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

/* ---- Helpers ---- */

/* Where record seq starts, in a segment whose first record is first_seq. */
static uint64_t frame_offset(const struct test_log *log, uint64_t first_seq, uint64_t seq)
{
    uint64_t offset = SEGMENT_HEADER_SIZE;

    for (uint64_t s = first_seq; s < seq; s++)
        offset += FRAME_HEADER_SIZE + log->bodies[s - 1].len;
    return offset;
}

static uint64_t frame_size(const struct test_log *log, uint64_t seq)
{
    return FRAME_HEADER_SIZE + log->bodies[seq - 1].len;
}

/* Writes the model's first count records, one append each, and closes. */
static void write_log(const char *dir, const struct test_log *log, uint64_t count,
                      uint64_t segment_size)
{
    struct store_error err;
    struct store *store = test_open(dir, segment_size, false, NULL);

    for (uint64_t seq = 1; seq <= count; seq++)
        if (test_log_append(store, log, seq, 1, &err) != 0)
            fail_msg("append %" PRIu64 ": %s", seq, err.message);
    store_close(store);
}

struct file_copy {
    unsigned char *data;
    size_t len;
};

static struct file_copy file_read(const char *path)
{
    struct file_copy copy;
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    copy.len = (size_t)test_file_size(path);
    copy.data = malloc(copy.len ? copy.len : 1);
    assert_non_null(copy.data);
    assert_int_equal(pread(fd, copy.data, copy.len, 0), (ssize_t)copy.len);
    close(fd);
    return copy;
}

/* Puts the first len bytes of copy back as the whole file. */
static void file_restore(const char *path, const struct file_copy *copy, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, copy->data, len, 0), (ssize_t)len);
    close(fd);
}

struct captured_log {
    char warning[1024];
    int warnings;
};

static void capture_log(void *ctx, enum store_log_level level, const char *message)
{
    struct captured_log *captured = ctx;

    if (level == STORE_LOG_WARN) {
        snprintf(captured->warning, sizeof captured->warning, "%s", message);
        captured->warnings++;
    }
}

static struct store *open_logged(const char *dir, struct captured_log *captured,
                                 struct store_recovery *recovery)
{
    struct store_options options = { .log = capture_log, .log_ctx = captured };
    struct store_error err;
    struct store *store;

    memset(captured, 0, sizeof *captured);
    if (store_open(dir, &options, &store, recovery, &err) != 0)
        fail_msg("store_open: %s", err.message);
    return store;
}

/* Opening must fail with corruption at file/offset/seq. */
static void expect_corruption(const char *dir, const char *file, uint64_t offset, uint64_t seq)
{
    struct store_error err;
    struct store *store = NULL;
    char where[64];

    if (test_try_open(dir, 0, &store, NULL, &err) == 0) {
        store_close(store);
        fail_msg("opened a corrupt log (expected %s offset %" PRIu64 " seq %" PRIu64 ")", file,
                 offset, seq);
    }
    assert_null(store);
    if (err.errno_ != EBADMSG || strcmp(err.file, file) != 0 || err.offset != offset ||
        err.seq != seq)
        fail_msg("expected corruption in %s at %" PRIu64 " seq %" PRIu64 ", got: %s (%s %" PRIu64
                 " %" PRIu64 ", errno %d)",
                 file, offset, seq, err.message, err.file, err.offset, err.seq, err.errno_);
    /* The message alone tells an operator where to look. */
    assert_non_null(strstr(err.message, file));
    snprintf(where, sizeof where, "offset %" PRIu64 " (seq %" PRIu64 ")", offset, seq);
    assert_non_null(strstr(err.message, where));
}

/* ---- Torn tails ---- */

static void test_torn_tail_every_length(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct captured_log captured;
    struct store_error err;
    struct file_copy pristine;
    struct store *store;
    char path[4096], dropped[64];
    uint64_t last;

    test_log_init(&log, 6, 31, 120);
    write_log(dir, &log, 6, 0);
    test_path(path, sizeof path, dir, FIRST_SEGMENT);
    pristine = file_read(path);
    last = frame_size(&log, 6);
    assert_int_equal(pristine.len, frame_offset(&log, 1, 6) + last);

    for (uint64_t cut = 1; cut <= last; cut++) {
        uint64_t left = last - cut; /* bytes of record 6 still there */
        file_restore(path, &pristine, pristine.len - cut);
        store = open_logged(dir, &captured, &recovery);
        assert_int_equal(recovery.records, 5);
        assert_int_equal(recovery.truncated_bytes, left);
        assert_int_equal(test_file_size(path), frame_offset(&log, 1, 6));
        if (left) {
            /* Logged, with the byte count. */
            snprintf(dropped, sizeof dropped, "torn tail of %" PRIu64 " bytes", left);
            assert_int_equal(captured.warnings, 1);
            assert_non_null(strstr(captured.warning, dropped));
        } else {
            assert_int_equal(captured.warnings, 0);
        }
        test_log_check(store, &log, 5);
        /* The log goes on from there. */
        assert_int_equal(test_log_append(store, &log, 6, 1, &err), 0);
        store_close(store);
        store = open_logged(dir, &captured, &recovery);
        assert_int_equal(recovery.records, 6);
        assert_int_equal(recovery.truncated_bytes, 0);
        test_log_check(store, &log, 6);
        store_close(store);
    }
    free(pristine.data);
    test_log_free(&log);
}

static void test_torn_tail_zero_filled_and_garbage(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct captured_log captured;
    struct store *store;
    unsigned char tail[5000];
    char path[4096];
    uint64_t size;
    uint32_t seed = 99;

    test_log_init(&log, 4, 3, 60);
    write_log(dir, &log, 4, 0);
    test_path(path, sizeof path, dir, FIRST_SEGMENT);
    size = test_file_size(path);

    /* A crash after the size grew but before the data landed: zeros. */
    memset(tail, 0, sizeof tail);
    test_file_write_at(path, size, tail, 4096);
    store = open_logged(dir, &captured, &recovery);
    assert_int_equal(recovery.records, 4);
    assert_int_equal(recovery.truncated_bytes, 4096);
    assert_int_equal(test_file_size(path), size);
    test_log_check(store, &log, 4);
    store_close(store);

    /* Garbage that is no frame. */
    for (size_t i = 0; i < sizeof tail; i++)
        tail[i] = (unsigned char)test_random(&seed);
    test_file_write_at(path, size, tail, sizeof tail);
    store = open_logged(dir, &captured, &recovery);
    assert_int_equal(recovery.records, 4);
    assert_int_equal(recovery.truncated_bytes, sizeof tail);
    store_close(store);
    test_log_free(&log);
}

static void test_incomplete_batch_is_dropped_whole(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct captured_log captured;
    struct store_error err;
    struct file_copy pristine;
    struct store *store;
    char path[4096];
    uint64_t batch_start, end_of_4;

    test_log_init(&log, 5, 8, 80);
    store = test_open(dir, 0, false, NULL);
    assert_int_equal(test_log_append(store, &log, 1, 2, &err), 0);
    assert_int_equal(test_log_append(store, &log, 3, 3, &err), 0);
    store_close(store);
    test_path(path, sizeof path, dir, FIRST_SEGMENT);
    pristine = file_read(path);
    batch_start = frame_offset(&log, 1, 3);
    end_of_4 = frame_offset(&log, 1, 5);

    /* Records 3 and 4 are whole and sound, but their batch never ended. */
    file_restore(path, &pristine, end_of_4);
    store = open_logged(dir, &captured, &recovery);
    assert_int_equal(recovery.records, 2);
    assert_int_equal(recovery.truncated_bytes, end_of_4 - batch_start);
    assert_int_equal(test_file_size(path), batch_start);
    test_log_check(store, &log, 2);
    /* The same batch appended again is whole. */
    assert_int_equal(test_log_append(store, &log, 3, 3, &err), 0);
    store_close(store);
    store = open_logged(dir, &captured, &recovery);
    assert_int_equal(recovery.records, 5);
    store_close(store);

    /* Cut inside the batch's last record. */
    file_restore(path, &pristine, pristine.len - 3);
    store = open_logged(dir, &captured, &recovery);
    assert_int_equal(recovery.records, 2);
    assert_int_equal(recovery.truncated_bytes, pristine.len - 3 - batch_start);
    store_close(store);
    free(pristine.data);
    test_log_free(&log);
}

static void test_flip_in_last_record_is_torn(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct captured_log captured;
    struct file_copy pristine;
    struct store *store;
    char path[4096];
    uint64_t last_offset, last_size;

    test_log_init(&log, 4, 5, 10);
    write_log(dir, &log, 4, 0);
    test_path(path, sizeof path, dir, FIRST_SEGMENT);
    pristine = file_read(path);
    last_offset = frame_offset(&log, 1, 4);
    last_size = frame_size(&log, 4);

    for (uint64_t bit = 0; bit < 8 * last_size; bit++) {
        file_restore(path, &pristine, pristine.len);
        test_file_flip_bit(path, last_offset + bit / 8, (unsigned)(bit % 8));
        store = open_logged(dir, &captured, &recovery);
        assert_int_equal(recovery.records, 3);
        assert_int_equal(recovery.truncated_bytes, last_size);
        store_close(store);
    }
    free(pristine.data);
    test_log_free(&log);
}

/* ---- Corruption ---- */

static void test_flip_in_middle_record_is_corruption(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct file_copy pristine;
    char path[4096];
    uint64_t offset, size;

    test_log_init(&log, 9, 12, 10);
    write_log(dir, &log, 9, 0);
    test_path(path, sizeof path, dir, FIRST_SEGMENT);
    pristine = file_read(path);
    offset = frame_offset(&log, 1, 5);
    size = frame_size(&log, 5);

    /* Every bit of record 5: length word, CRC and body. */
    for (uint64_t bit = 0; bit < 8 * size; bit++) {
        file_restore(path, &pristine, pristine.len);
        test_file_flip_bit(path, offset + bit / 8, (unsigned)(bit % 8));
        expect_corruption(dir, FIRST_SEGMENT, offset, 5);
        /* Refusing to open changed nothing. */
        assert_int_equal(test_file_size(path), pristine.len);
    }
    free(pristine.data);
    test_log_free(&log);
}

static void test_bad_header(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct file_copy pristine;
    char path[4096];

    test_log_init(&log, 3, 2, 10);
    write_log(dir, &log, 3, 0);
    test_path(path, sizeof path, dir, FIRST_SEGMENT);
    pristine = file_read(path);

    for (uint64_t bit = 0; bit < 8 * SEGMENT_HEADER_SIZE; bit++) {
        file_restore(path, &pristine, pristine.len);
        test_file_flip_bit(path, bit / 8, (unsigned)(bit % 8));
        expect_corruption(dir, FIRST_SEGMENT, 0, 1);
    }
    /* A header cut short. */
    file_restore(path, &pristine, SEGMENT_HEADER_SIZE - 1);
    expect_corruption(dir, FIRST_SEGMENT, 0, 1);
    free(pristine.data);
    test_log_free(&log);
}

static void test_seq_gap(void **state)
{
    const char *dir = *state;
    struct test_log log;
    char names[64][64], path[4096];
    size_t count;
    uint64_t second_first;

    test_log_init(&log, 60, 4, 100);
    write_log(dir, &log, 60, 1024);
    count = test_segment_names(dir, names, 64);
    assert_true(count >= 4);
    second_first = strtoull(names[1] + 4, NULL, 10);

    /* A missing middle segment. */
    test_path(path, sizeof path, dir, names[1]);
    assert_int_equal(unlink(path), 0);
    expect_corruption(dir, names[2], 0, second_first);

    /* A missing first segment. */
    test_path(path, sizeof path, dir, names[0]);
    assert_int_equal(unlink(path), 0);
    expect_corruption(dir, names[2], 0, 1);
    test_log_free(&log);
}

static void test_damage_in_older_segment(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct file_copy pristine;
    char names[64][64], path[4096];
    uint64_t second_first, last_of_first;
    size_t count;

    test_log_init(&log, 40, 6, 100);
    write_log(dir, &log, 40, 1024);
    count = test_segment_names(dir, names, 64);
    assert_true(count >= 3);
    second_first = strtoull(names[1] + 4, NULL, 10);
    last_of_first = second_first - 1;
    test_path(path, sizeof path, dir, names[0]);
    pristine = file_read(path);

    /* What would be a torn tail in the newest segment is corruption here. */
    file_restore(path, &pristine, pristine.len - 1);
    expect_corruption(dir, names[0], frame_offset(&log, 1, last_of_first), last_of_first);
    file_restore(path, &pristine, pristine.len);
    test_file_flip_bit(path, pristine.len - 1, 0);
    expect_corruption(dir, names[0], frame_offset(&log, 1, last_of_first), last_of_first);
    /* A segment cut down to its header: records are missing. */
    file_restore(path, &pristine, SEGMENT_HEADER_SIZE);
    expect_corruption(dir, names[0], SEGMENT_HEADER_SIZE, 1);

    file_restore(path, &pristine, pristine.len);
    {
        struct store *store = test_open(dir, 1024, false, NULL);
        test_log_check(store, &log, 40);
        store_close(store);
    }
    free(pristine.data);
    test_log_free(&log);
}

/* Appends a frame made by hand: sound checksum, whatever body. */
static void append_raw_frame(const char *path, uint64_t seq, int64_t recorded)
{
    struct test_body body;
    unsigned char header[FRAME_HEADER_SIZE];
    uint64_t size = test_file_size(path);

    test_body_make(&body, seq, recorded, 5);
    frame_header_encode(header, body.data, (uint32_t)body.len, false);
    test_file_write_at(path, size, header, sizeof header);
    test_file_write_at(path, size + sizeof header, body.data, body.len);
    test_body_free(&body);
}

static void test_sound_frames_out_of_order(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct file_copy pristine;
    char path[4096];
    uint64_t end;

    test_log_init(&log, 3, 9, 10);
    write_log(dir, &log, 3, 0);
    test_path(path, sizeof path, dir, FIRST_SEGMENT);
    pristine = file_read(path);
    end = pristine.len;

    /* recorded going back: checksum fine, so not torn. */
    append_raw_frame(path, 4, log.recorded[2] - 1);
    expect_corruption(dir, FIRST_SEGMENT, end, 4);
    /* A repeated seq, and a skipped one. */
    file_restore(path, &pristine, pristine.len);
    append_raw_frame(path, 3, log.recorded[2]);
    expect_corruption(dir, FIRST_SEGMENT, end, 3);
    file_restore(path, &pristine, pristine.len);
    append_raw_frame(path, 5, log.recorded[2]);
    expect_corruption(dir, FIRST_SEGMENT, end, 5);
    /* A sound checksum over a body without the seq/recorded prefix. */
    file_restore(path, &pristine, pristine.len);
    {
        static const unsigned char body[] = { 0x82, 0xa3, 's', 'e', 'x', 0x04, 0xa8, 'r',
                                              'e',  'c',  'o', 'r', 'd', 'e',  'd',  0x05 };
        unsigned char header[FRAME_HEADER_SIZE];
        frame_header_encode(header, body, sizeof body, false);
        test_file_write_at(path, end, header, sizeof header);
        test_file_write_at(path, end + sizeof header, body, sizeof body);
    }
    expect_corruption(dir, FIRST_SEGMENT, end, 4);
    /* The same frame with the right seq is a record like any other. */
    file_restore(path, &pristine, pristine.len);
    append_raw_frame(path, 4, log.recorded[2]);
    {
        struct store_recovery recovery;
        struct store *store = test_open(dir, 0, false, &recovery);
        assert_int_equal(recovery.records, 4);
        store_close(store);
    }
    free(pristine.data);
    test_log_free(&log);
}

static void test_stale_temp_file_removed(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct store *store;
    char path[4096];
    int fd;

    test_log_init(&log, 2, 1, 10);
    write_log(dir, &log, 2, 0);
    /* What a crash between create and rename leaves behind. */
    test_path(path, sizeof path, dir, ".tmp-seg-00000000000000000003.rlog");
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "rollcall", 8), 8);
    close(fd);

    store = test_open(dir, 0, false, &recovery);
    assert_int_equal(recovery.removed_temp_files, 1);
    assert_int_equal(recovery.records, 2);
    assert_int_equal(access(path, F_OK), -1);
    store_close(store);
    store = test_open(dir, 0, false, &recovery);
    assert_int_equal(recovery.removed_temp_files, 0);
    store_close(store);
    test_log_free(&log);
}

static void test_empty_newest_segment(void **state)
{
    const char *dir = *state;
    struct test_log log;
    struct store_recovery recovery;
    struct store_error err;
    struct store *store;
    char names[64][64], path[4096];
    size_t count;
    uint64_t newest_first;

    test_log_init(&log, 30, 2, 100);
    write_log(dir, &log, 30, 1024);
    count = test_segment_names(dir, names, 64);
    newest_first = strtoull(names[count - 1] + 4, NULL, 10);
    /* Rotation happened, then the crash came before any record landed. */
    test_path(path, sizeof path, dir, names[count - 1]);
    test_file_truncate(path, SEGMENT_HEADER_SIZE);

    store = test_open(dir, 1024, false, &recovery);
    assert_int_equal(recovery.records, newest_first - 1);
    assert_int_equal(recovery.segments, count);
    test_log_check(store, &log, newest_first - 1);
    for (uint64_t seq = newest_first; seq <= 30; seq++)
        assert_int_equal(test_log_append(store, &log, seq, 1, &err), 0);
    store_close(store);
    store = test_open(dir, 1024, false, &recovery);
    test_log_check(store, &log, 30);
    store_close(store);
    test_log_free(&log);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        DIR_TEST(test_torn_tail_every_length),
        DIR_TEST(test_torn_tail_zero_filled_and_garbage),
        DIR_TEST(test_incomplete_batch_is_dropped_whole),
        DIR_TEST(test_flip_in_last_record_is_torn),
        DIR_TEST(test_flip_in_middle_record_is_corruption),
        DIR_TEST(test_bad_header),
        DIR_TEST(test_seq_gap),
        DIR_TEST(test_damage_in_older_segment),
        DIR_TEST(test_sound_frames_out_of_order),
        DIR_TEST(test_stale_temp_file_removed),
        DIR_TEST(test_empty_newest_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
