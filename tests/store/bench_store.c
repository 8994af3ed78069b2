/*
 * bench_store.c — figures for the store: append+sync rate for batches of 1
 * and of 100 records with real fdatasync, replay rate (open with its
 * recovery scan, from a cold and a warm page cache, then iteration) over a
 * million records, and the bytes each record costs beyond its content.
 *
 * usage: bench_store [DIR]   (a scratch dir is made inside DIR, default
 * /var/tmp, and removed afterwards)
 */
#include "store.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY_TARGET    200     /* bytes per record body, roughly an event */
#define REPLAY_RECORDS 1000000 /* records in the replay log */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct store_error *err)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

/* The body {seq, recorded, "x": payload} of about BODY_TARGET bytes, into sbuf. */
static void make_body(msgpack_sbuffer *sbuf, uint64_t seq, int64_t recorded)
{
    static char payload[BODY_TARGET];
    msgpack_packer pk;

    if (!payload[0])
        memset(payload, 'p', sizeof payload);
    msgpack_sbuffer_clear(sbuf);
    msgpack_packer_init(&pk, sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "seq", 3);
    msgpack_pack_uint64(&pk, seq);
    msgpack_pack_str_with_body(&pk, "recorded", 8);
    msgpack_pack_int64(&pk, recorded);
    msgpack_pack_str_with_body(&pk, "x", 1);
    /* 1 map + 4 + 5 + 9 + 9 + 2 + 2 (str8 header) bytes around the payload. */
    msgpack_pack_str_with_body(&pk, payload, BODY_TARGET - 32);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    char path[8192];

    if (!d)
        return;
    while ((entry = readdir(d))) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Drops the dir's files from the page cache, so the next open reads the disk. */
static void evict_from_cache(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    char path[8192];

    if (!d)
        return;
    while ((entry = readdir(d))) {
        int fd;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    closedir(d);
}

static struct store *open_store(const char *dir, bool sync, struct store_recovery *recovery)
{
    struct store_options options = { .sync = sync };
    struct store_error err;
    struct store *store;

    if (store_open(dir, &options, &store, recovery, &err) != 0)
        die("store_open", &err);
    return store;
}

/* Appends count records in batches of batch, each followed by store_sync. */
static void bench_append_sync(const char *dir, size_t count, size_t batch)
{
    struct store_record *records = calloc(batch, sizeof *records);
    msgpack_sbuffer *bodies = calloc(batch, sizeof *bodies);
    struct store_error err;
    struct store *store = open_store(dir, true, NULL);
    uint64_t bytes = 0;
    double start, seconds;

    if (!records || !bodies)
        die("out of memory", NULL);
    for (size_t i = 0; i < batch; i++)
        msgpack_sbuffer_init(&bodies[i]);
    start = now();
    for (size_t done = 0; done < count; done += batch) {
        int64_t recorded = 1700000000000000 + (int64_t)done;
        for (size_t i = 0; i < batch; i++) {
            uint64_t seq = store_durable_head(store) + 1 + i; /* synced each batch */
            make_body(&bodies[i], seq, recorded);
            records[i] = (struct store_record){ bodies[i].data, bodies[i].size, seq, recorded };
            bytes += 8 + bodies[i].size;
        }
        if (store_append(store, records, batch, &err) != 0)
            die("store_append", &err);
        if (store_sync(store, &err) != 0)
            die("store_sync", &err);
    }
    seconds = now() - start;
    printf("append+sync, batches of %3zu: %8zu records in %6.2f s: %10.0f events/s, %7.2f MB/s, "
           "%6.0f syncs/s\n",
           batch, count, seconds, (double)count / seconds, (double)bytes / seconds / 1e6,
           (double)(count / batch) / seconds);
    store_close(store);
    for (size_t i = 0; i < batch; i++)
        msgpack_sbuffer_destroy(&bodies[i]);
    free(bodies);
    free(records);
}

static void bench_replay(const char *dir)
{
    enum { BATCH = 1000 };
    struct store_record records[BATCH];
    msgpack_sbuffer bodies[BATCH];
    struct store_recovery recovery;
    struct store_record record;
    struct store_error err;
    struct store_iter *iter;
    struct store *store = open_store(dir, false, NULL);
    double start, seconds;
    uint64_t n = 0, bytes = 0;
    int rc;

    for (size_t i = 0; i < BATCH; i++)
        msgpack_sbuffer_init(&bodies[i]);
    start = now();
    for (uint64_t seq = 1; seq <= REPLAY_RECORDS; seq += BATCH) {
        for (size_t i = 0; i < BATCH; i++) {
            int64_t recorded = 1700000000000000 + (int64_t)(seq + i);
            make_body(&bodies[i], seq + i, recorded);
            records[i] = (struct store_record){ bodies[i].data, bodies[i].size, seq + i, recorded };
        }
        if (store_append(store, records, BATCH, &err) != 0)
            die("store_append", &err);
    }
    if (store_sync(store, &err) != 0)
        die("store_sync", &err);
    seconds = now() - start;
    printf("bulk load (sync off):       %8d records in %6.2f s: %10.0f events/s\n", REPLAY_RECORDS,
           seconds, REPLAY_RECORDS / seconds);
    store_close(store);
    for (size_t i = 0; i < BATCH; i++)
        msgpack_sbuffer_destroy(&bodies[i]);

    for (int cold = 1; cold >= 0; cold--) {
        if (cold)
            evict_from_cache(dir);
        start = now();
        store = open_store(dir, false, &recovery);
        seconds = now() - start;
        printf("open (recovery scan), %s: %8" PRIu64 " records in %6.2f s: %10.0f events/s, "
               "%7.1f MB/s (%" PRIu64 " segments, %" PRIu64 " bytes)\n",
               cold ? "cold" : "warm", recovery.records, seconds,
               (double)recovery.records / seconds, (double)recovery.bytes / seconds / 1e6,
               recovery.segments, recovery.bytes);
        if (cold)
            store_close(store);
    }

    start = now();
    iter = store_iter_new(store, 1);
    if (!iter)
        die("store_iter_new", NULL);
    while ((rc = store_iter_next(iter, &record, &err)) == 1) {
        n++;
        bytes += 8 + record.len;
    }
    if (rc < 0)
        die("store_iter_next", &err);
    seconds = now() - start;
    store_iter_free(iter);
    printf("iteration, warm:            %8" PRIu64 " records in %6.2f s: %10.0f events/s, %7.1f "
           "MB/s\n",
           n, seconds, (double)n / seconds, (double)bytes / seconds / 1e6);
    store_close(store);
}

/* Bytes of {seq, recorded} entries and framing, for a typical seq and time. */
static void print_overhead(void)
{
    static const uint64_t seqs[] = { 100, 60000, 1000000, 5000000000u };
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    msgpack_sbuffer_init(&sbuf);
    for (size_t i = 0; i < sizeof seqs / sizeof *seqs; i++) {
        msgpack_sbuffer_clear(&sbuf);
        msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint64(&pk, seqs[i]);
        msgpack_pack_str_with_body(&pk, "recorded", 8);
        msgpack_pack_int64(&pk, 1700000000000000);
        printf("overhead per record at seq %10" PRIu64 ": %zu bytes (8 framing + %zu for the "
               "seq and recorded entries)\n",
               seqs[i], 8 + sbuf.size, sbuf.size);
    }
    msgpack_sbuffer_destroy(&sbuf);
    printf("plus a %d-byte header per segment (64 MiB by default)\n", 24);
}

int main(int argc, char **argv)
{
    const char *parent = argc > 1 ? argv[1] : "/var/tmp";
    char dir[4096], sub[4200];

    snprintf(dir, sizeof dir, "%s/rollcall-bench-XXXXXX", parent);
    if (!mkdtemp(dir)) {
        perror("bench_store: mkdtemp");
        return 1;
    }
    printf("data dir %s, bodies of %d bytes\n", dir, BODY_TARGET);
    snprintf(sub, sizeof sub, "%s/one", dir);
    bench_append_sync(sub, 2000, 1);
    remove_dir(sub);
    snprintf(sub, sizeof sub, "%s/hundred", dir);
    bench_append_sync(sub, 50000, 100);
    remove_dir(sub);
    snprintf(sub, sizeof sub, "%s/replay", dir);
    bench_replay(sub);
    remove_dir(sub);
    print_overhead();
    rmdir(dir);
    return 0;
}
