/*
 * bench_membership.c — how the projection scales.
 *
 * Builds a log of 100,000 events (one coalition of 200 countries, then the
 * same number spread over 1,000 coalitions): every type, effective dates in
 * random order over 35 years, some partial, corrections and retractions of
 * random facts. Prints the median and 99th percentile of the queries the
 * daemon answers, the rate at which events are applied and the memory they
 * take. Not a test: run it by hand on an optimised build.
 *
 *   bench_membership [events]
 */
#include <malloc.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "membership.h"

#define COUNTRIES 200

static uint64_t rng = 42;

static uint64_t next_random(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(next_random() % n);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- building events --------------------------------------------------------- */

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t len = strlen(s);
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

static void pack_pair(msgpack_packer *pk, const char *key, const char *value)
{
    pack_str(pk, key);
    pack_str(pk, value);
}

static const char *const fact_types[] = { "signed", "ratified", "adhered", "withdrew",
                                          "announced" };

static void random_date(char out[32])
{
    int year = 1990 + (int)below(35);
    unsigned month = 1 + below(12), day = 1 + below(28);
    uint32_t p = below(100);
    if (p < 3)
        snprintf(out, 32, "%04d", year);
    else if (p < 10)
        snprintf(out, 32, "%04d-%02u", year, month);
    else
        snprintf(out, 32, "%04d-%02u-%02u", year, month, day);
}

/* The fields of a state's act: type, date, country, and a commitment for some. */
static void pack_state_act(msgpack_packer *pk, const char *slug, bool with_coalition)
{
    const char *type = fact_types[below(100) < 75 ? below(4) : 4];
    bool commitment = strcmp(type, "announced") == 0 && below(2);
    char date[32], country[32];

    random_date(date);
    snprintf(country, sizeof country, "Country %03u", below(COUNTRIES));
    msgpack_pack_map(pk, 3 + with_coalition + commitment);
    pack_pair(pk, "type", type);
    if (with_coalition)
        pack_pair(pk, "coalition", slug);
    pack_pair(pk, "date", date);
    pack_pair(pk, "country", country);
    if (commitment)
        pack_pair(pk, "commitment", "a field hospital");
}

static struct event *decode(msgpack_sbuffer *sb)
{
    msgpack_unpacked u;
    struct event_error err;

    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, sb->data, sb->size, NULL) != MSGPACK_UNPACK_SUCCESS) {
        fprintf(stderr, "bench: unpack failed\n");
        exit(1);
    }
    struct event *ev = event_decode(&u.data, EVENT_FROM_CLIENT, &err);
    msgpack_unpacked_destroy(&u);
    if (ev == NULL) {
        fprintf(stderr, "bench: event refused: %s: %s\n", err.field, err.message);
        exit(1);
    }
    return ev;
}

/*
 * A random event for coalition number c. facts[] holds the seqs of earlier
 * facts of each coalition's state acts (targets for meta events).
 */
static struct event *random_event(unsigned c, bool first, uint64_t *const *facts,
                                  const size_t *fact_count)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char slug[16];
    uint32_t r = below(100);

    snprintf(slug, sizeof slug, "c%u", c);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (first) {
        msgpack_pack_map(&pk, 4);
        pack_pair(&pk, "type", "established");
        pack_pair(&pk, "coalition", slug);
        pack_pair(&pk, "date", "1989");
        pack_pair(&pk, "name", "A coalition");
    } else if (r < 8 && fact_count[c] > 0) {
        uint64_t target = facts[c][below((uint32_t)fact_count[c])];
        bool correct = r < 5;
        msgpack_pack_map(&pk, 5);
        pack_pair(&pk, "type", correct ? "corrected" : "retracted");
        pack_pair(&pk, "coalition", slug);
        pack_pair(&pk, "date", "2025-01-01");
        pack_str(&pk, "target");
        msgpack_pack_uint64(&pk, target);
        if (correct) {
            pack_str(&pk, "fact");
            pack_state_act(&pk, slug, false);
        } else {
            pack_pair(&pk, "note", "not so");
        }
    } else {
        msgpack_sbuffer inner;
        msgpack_packer ipk;
        msgpack_sbuffer_init(&inner);
        msgpack_packer_init(&ipk, &inner, msgpack_sbuffer_write);
        pack_state_act(&ipk, slug, true);
        msgpack_sbuffer_write(&sb, inner.data, inner.size);
        msgpack_sbuffer_destroy(&inner);
    }
    struct event *ev = decode(&sb);
    msgpack_sbuffer_destroy(&sb);
    return ev;
}

/* count events over coalitions coalitions, each founded by its first event. */
static struct event **build_log(size_t count, unsigned coalitions)
{
    struct event **log = malloc(count * sizeof *log);
    uint64_t **facts = calloc(coalitions, sizeof *facts);
    size_t *fact_count = calloc(coalitions, sizeof *fact_count);
    if (log == NULL || facts == NULL || fact_count == NULL)
        exit(1);
    for (unsigned c = 0; c < coalitions; c++) {
        facts[c] = malloc(count * sizeof **facts / coalitions + 16 * sizeof **facts);
        if (facts[c] == NULL)
            exit(1);
    }
    for (size_t i = 0; i < count; i++) {
        unsigned c = i < coalitions ? (unsigned)i : below(coalitions);
        struct event *ev = random_event(c, i < coalitions, facts, fact_count);
        ev->seq = i + 1;
        ev->recorded_us = 1700000000000000 + (int64_t)i * 1000;
        if (event_type_is_fact(ev->type) && ev->type != EVENT_ESTABLISHED &&
            fact_count[c] < count / coalitions + 16)
            facts[c][fact_count[c]++] = ev->seq;
        log[i] = ev;
    }
    for (unsigned c = 0; c < coalitions; c++)
        free(facts[c]);
    free(facts);
    free(fact_count);
    return log;
}

/* ---- measuring --------------------------------------------------------------- */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, compare_doubles);
    double median = samples[n / 2], p99 = samples[(size_t)((double)n * 0.99)];
    printf("  %-34s median %10.1f us   p99 %10.1f us   (%zu runs)\n", what, median / 1e3, p99 / 1e3,
           n);
}

enum query { STATE_TODAY, STATE_PAST, STATE_OLD_CUT, STATE_SAME_OLD_CUT, TIMELINE };

static void measure(const struct membership *m, unsigned coalitions, enum query q, size_t runs,
                    const char *what)
{
    double *samples = malloc(runs * sizeof *samples);
    uint64_t head = membership_head(m);
    int32_t today = rc_days_from_civil(2025, 6, 1);
    size_t sink = 0;

    if (samples == NULL)
        exit(1);
    for (size_t i = 0; i < runs; i++) {
        char slug[16];
        snprintf(slug, sizeof slug, "c%u", q == STATE_SAME_OLD_CUT ? 0 : below(coalitions));
        size_t n;
        const uint64_t *seqs = membership_coalition_seqs(m, slug, &n);
        /* An old cut: somewhere in the coalition's second half, before its last event;
         * or always the same one, as a script walking the dates of one belief asks. */
        uint64_t old_cut = q == STATE_SAME_OLD_CUT ? seqs[n * 3 / 4]
                                                   : seqs[n / 2 + below((uint32_t)(n - n / 2 - 1))];
        int32_t past = rc_days_from_civil(1990 + (int)below(35), 1 + below(12), 1);

        double start = now_ns();
        if (q == TIMELINE) {
            struct timeline_result t;
            if (!membership_timeline(m, slug, INT32_MIN, INT32_MAX, head, &t))
                exit(1);
            sink += t.point_count;
            timeline_result_free(&t);
        } else {
            struct state_result r;
            int32_t day = q == STATE_TODAY ? today : past;
            bool old = q == STATE_OLD_CUT || q == STATE_SAME_OLD_CUT;
            if (!membership_state(m, slug, day, old ? old_cut : head, &r))
                exit(1);
            sink += r.member_count + r.former_count + r.pledged_count;
            state_result_free(&r);
        }
        samples[i] = now_ns() - start;
    }
    report(what, samples, runs);
    if (sink == 0)
        printf("  (no results?)\n");
    free(samples);
}

static void run(size_t count, unsigned coalitions)
{
    printf("%zu events in %u coalition%s, %d countries\n", count, coalitions,
           coalitions == 1 ? "" : "s", COUNTRIES);

    size_t before = mallinfo2().uordblks;
    struct event **log = build_log(count, coalitions);
    size_t decoded = mallinfo2().uordblks;

    struct membership *m = membership_new();
    struct append_error err;
    uint64_t repeat;
    double start = now_ns();
    for (size_t i = 0; i < count; i++) {
        if (!membership_check_batch(m, &log[i], 1, &repeat, &err)) {
            fprintf(stderr, "bench: seq %zu refused: %s\n", i + 1, err.message);
            exit(1);
        }
        membership_apply(m, log[i]);
    }
    double elapsed = now_ns() - start;
    size_t applied = mallinfo2().uordblks;

    printf("  check + apply: %.0f events/s (%.1f ms in all)\n", (double)count / (elapsed / 1e9),
           elapsed / 1e6);
    printf("  memory: %.0f bytes/event in all, of which the projection's indexes %.0f\n",
           (double)(applied - before) / (double)count, (double)(applied - decoded) / (double)count);

    bool big = coalitions == 1;
    measure(m, coalitions, STATE_TODAY, 2000, "state at a recent date, head cut");
    measure(m, coalitions, STATE_PAST, 2000, "state at a past date, head cut");
    measure(m, coalitions, STATE_OLD_CUT, big ? 30 : 2000, "state with an old cut");
    measure(m, coalitions, STATE_SAME_OLD_CUT, 2000, "state, the same old cut again");
    measure(m, coalitions, TIMELINE, big ? 100 : 2000, "timeline (whole), head cut");
    membership_free(m);
    free(log);
}

int main(int argc, char **argv)
{
    size_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    if (count < 2000) {
        fprintf(stderr, "usage: bench_membership [events >= 2000]\n");
        return 2;
    }
    run(count, 1);
    run(count, 1000);
    return 0;
}
