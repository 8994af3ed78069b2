/*
 * store_test.c — helpers shared by the store's tests (see store_test.h).
 */
#include "store_test.h"

#include "store_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Directories and paths ---- */

char *test_dir_new(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir;

    if (!tmp || !*tmp)
        tmp = "/tmp";
    assert_true(asprintf(&dir, "%s/rollcall-store-XXXXXX", tmp) > 0);
    assert_non_null(mkdtemp(dir));
    return dir;
}

void test_dir_remove(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;

    assert_non_null(d);
    while ((entry = readdir(d))) {
        char path[4096];
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        test_path(path, sizeof path, dir, entry->d_name);
        assert_int_equal(unlink(path), 0);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

void test_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

uint32_t test_random(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* ---- Bodies and the model log ---- */

void test_body_make(struct test_body *body, uint64_t seq, int64_t recorded, size_t payload_len)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    char *payload = malloc(payload_len + 1);

    assert_non_null(payload);
    for (size_t i = 0; i < payload_len; i++)
        payload[i] = (char)('a' + (seq * 7 + i) % 26);
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_map(&pk, 3), 0);
    assert_int_equal(msgpack_pack_str_with_body(&pk, "seq", 3), 0);
    assert_int_equal(msgpack_pack_uint64(&pk, seq), 0);
    assert_int_equal(msgpack_pack_str_with_body(&pk, "recorded", 8), 0);
    assert_int_equal(msgpack_pack_int64(&pk, recorded), 0);
    assert_int_equal(msgpack_pack_str_with_body(&pk, "x", 1), 0);
    assert_int_equal(msgpack_pack_str_with_body(&pk, payload, payload_len), 0);
    free(payload);
    body->data = sbuf.data; /* the sbuffer's malloc'd bytes, now ours */
    body->len = sbuf.size;
}

void test_body_free(struct test_body *body)
{
    free(body->data);
    body->data = NULL;
}

void test_log_init(struct test_log *log, size_t count, uint32_t seed, size_t max_payload)
{
    int64_t recorded = 1700000000000000;

    log->count = count;
    log->bodies = calloc(count ? count : 1, sizeof *log->bodies);
    log->recorded = calloc(count ? count : 1, sizeof *log->recorded);
    assert_non_null(log->bodies);
    assert_non_null(log->recorded);
    for (size_t i = 0; i < count; i++) {
        /* Steps of 0 too: equal recorded times are allowed and must be handled. */
        recorded += test_random(&seed) % 3 * 1000;
        log->recorded[i] = recorded;
        test_body_make(&log->bodies[i], i + 1, recorded,
                       max_payload ? test_random(&seed) % (max_payload + 1) : 0);
    }
}

void test_log_free(struct test_log *log)
{
    for (size_t i = 0; i < log->count; i++)
        test_body_free(&log->bodies[i]);
    free(log->bodies);
    free(log->recorded);
}

int test_log_append(struct store *store, const struct test_log *log, uint64_t first_seq,
                    size_t count, struct store_error *err)
{
    struct store_record *records = calloc(count ? count : 1, sizeof *records);
    int rc;

    assert_non_null(records);
    assert_true(first_seq + count - 1 <= log->count);
    for (size_t i = 0; i < count; i++) {
        uint64_t seq = first_seq + i;
        records[i] = (struct store_record){ log->bodies[seq - 1].data, log->bodies[seq - 1].len,
                                            seq, log->recorded[seq - 1] };
    }
    rc = store_append(store, records, count, err);
    free(records);
    return rc;
}

uint64_t test_store_head(const struct store *store)
{
    return store->head;
}

ssize_t test_store_read(struct store *store, uint64_t seq, void **buf, size_t *cap,
                        struct store_error *err)
{
    struct store_record record;
    struct store_iter *iter;

    if (seq == 0 || seq > store->head) {
        store_error_set(err, ENOENT, "", 0, seq, "seq %llu is not stored (head %llu)",
                        (unsigned long long)seq, (unsigned long long)store->head);
        return -1;
    }
    if ((iter = store_iter_new(store, seq)) == NULL) {
        store_error_set(err, ENOMEM, "", 0, seq, "out of memory");
        return -1;
    }
    int rc = store_iter_next(iter, &record, err);
    if (rc == 1 && *cap < record.len) {
        void *grown = realloc(*buf, record.len);
        if (grown == NULL) {
            store_error_set(err, ENOMEM, "", 0, seq, "out of memory");
            rc = -1;
        } else {
            *buf = grown;
            *cap = record.len;
        }
    }
    if (rc == 1)
        memcpy(*buf, record.body, record.len);
    store_iter_free(iter);
    return rc == 1 ? (ssize_t)record.len : -1;
}

int64_t test_store_recorded(const struct store *store, uint64_t seq)
{
    if (seq == 0 || seq > store->head)
        return 0;
    return store->index.recorded[seq - 1];
}

uint64_t test_store_seq_at_time(const struct store *store, int64_t time_us)
{
    /* recorded never decreases along seq: find the first one past time_us. */
    uint64_t low = 0, high = store->head;

    while (low < high) {
        uint64_t mid = low + (high - low) / 2;
        if (store->index.recorded[mid] <= time_us)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

void test_log_check(struct store *store, const struct test_log *log, uint64_t count)
{
    struct store_error err;
    struct store_record record;
    struct store_iter *iter;
    void *buf = NULL;
    size_t cap = 0;

    assert_int_equal(test_store_head(store), count);
    for (uint64_t seq = 1; seq <= count; seq++) {
        ssize_t len = test_store_read(store, seq, &buf, &cap, &err);
        if (len < 0)
            fail_msg("test_store_read(%llu): %s", (unsigned long long)seq, err.message);
        assert_int_equal((size_t)len, log->bodies[seq - 1].len);
        assert_memory_equal(buf, log->bodies[seq - 1].data, (size_t)len);
        assert_int_equal(test_store_recorded(store, seq), log->recorded[seq - 1]);
    }
    free(buf);

    iter = store_iter_new(store, 1);
    assert_non_null(iter);
    for (uint64_t seq = 1; seq <= count; seq++) {
        int rc = store_iter_next(iter, &record, &err);
        if (rc != 1)
            fail_msg("store_iter_next at %llu: %d %s", (unsigned long long)seq, rc, err.message);
        assert_int_equal(record.seq, seq);
        assert_int_equal(record.recorded_us, log->recorded[seq - 1]);
        assert_int_equal(record.len, log->bodies[seq - 1].len);
        assert_memory_equal(record.body, log->bodies[seq - 1].data, record.len);
    }
    assert_int_equal(store_iter_next(iter, &record, &err), 0);
    store_iter_free(iter);
}

/* ---- Opening ---- */

int test_try_open(const char *dir, uint64_t segment_size, struct store **store,
                  struct store_recovery *recovery, struct store_error *err)
{
    struct store_options options = { .segment_size = segment_size, .sync = false };
    return store_open(dir, &options, store, recovery, err);
}

struct store *test_open(const char *dir, uint64_t segment_size, bool sync,
                        struct store_recovery *recovery)
{
    struct store_options options = { .segment_size = segment_size, .sync = sync };
    struct store_error err;
    struct store *store;

    if (store_open(dir, &options, &store, recovery, &err) != 0)
        fail_msg("store_open(%s): %s", dir, err.message);
    return store;
}

/* ---- File surgery ---- */

uint64_t test_file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

void test_file_truncate(const char *path, uint64_t size)
{
    assert_int_equal(truncate(path, (off_t)size), 0);
}

void test_file_write_at(const char *path, uint64_t offset, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, (off_t)offset), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

void test_file_flip_bit(const char *path, uint64_t offset, unsigned bit)
{
    unsigned char byte;
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &byte, 1, (off_t)offset), 1);
    byte ^= (unsigned char)(1u << bit);
    assert_int_equal(pwrite(fd, &byte, 1, (off_t)offset), 1);
    assert_int_equal(close(fd), 0);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

size_t test_segment_names(const char *dir, char (*names)[64], size_t max)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    size_t n = 0;

    assert_non_null(d);
    while ((entry = readdir(d))) {
        if (strncmp(entry->d_name, "seg-", 4) != 0)
            continue;
        assert_true(n < max);
        assert_true(strlen(entry->d_name) < sizeof *names);
        memcpy(names[n++], entry->d_name, strlen(entry->d_name) + 1);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    return n;
}

/* ---- A store_io that fails on command ---- */

struct faults faults;

void faults_reset(void)
{
    memset(&faults, 0, sizeof faults);
}

static int faulty_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static ssize_t faulty_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
    int call = ++faults.pwritev_calls;

    if (call == faults.pwritev_fail_at) {
        errno = faults.pwritev_errno;
        return -1;
    }
    if (call == faults.pwritev_short_at) {
        /* Write a prefix of the iovecs only, as a full disk might. */
        struct iovec part[64];
        size_t left = faults.pwritev_short_bytes;
        int n = 0;
        for (int i = 0; i < iovcnt && left > 0 && n < 64; i++, n++) {
            part[n] = iov[i];
            if (part[n].iov_len > left)
                part[n].iov_len = left;
            left -= part[n].iov_len;
        }
        return pwritev(fd, part, n, offset);
    }
    return pwritev(fd, iov, iovcnt, offset);
}

static int faulty_fdatasync(int fd)
{
    if (++faults.fdatasync_calls == faults.fdatasync_fail_at) {
        errno = faults.fdatasync_errno;
        return -1;
    }
    return fdatasync(fd);
}

static int faulty_fsync(int fd)
{
    if (++faults.fsync_calls == faults.fsync_fail_at) {
        errno = faults.fsync_errno;
        return -1;
    }
    return fsync(fd);
}

static int faulty_ftruncate(int fd, off_t length)
{
    if (faults.ftruncate_fails) {
        errno = EIO;
        return -1;
    }
    return ftruncate(fd, length);
}

static const struct store_io faulty_io = {
    .open = faulty_open,
    .close = close,
    .pread = pread,
    .pwritev = faulty_pwritev,
    .fsync = faulty_fsync,
    .fdatasync = faulty_fdatasync,
    .ftruncate = faulty_ftruncate,
    .rename = rename,
    .unlink = unlink,
};

const struct store_io *faults_io(void)
{
    return &faulty_io;
}

struct store *test_open_faulty(const char *dir, uint64_t segment_size)
{
    struct store_options options = { .segment_size = segment_size, .sync = true, .io = &faulty_io };
    struct store_error err;
    struct store *store;

    if (store_open(dir, &options, &store, NULL, &err) != 0)
        fail_msg("store_open(%s): %s", dir, err.message);
    return store;
}
