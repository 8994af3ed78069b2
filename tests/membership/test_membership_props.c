/*
 * test_membership_props.c — the projection against a naive reference.
 *
 * Random logs (fixed seeds) of several coalitions: out-of-order and partial
 * dates, withdrawals and re-joins, corrections and retractions of random
 * targets (changing country, date or type, reviving retracted facts), batches
 * with in-batch targets and idempotent repeats, and refused appends. After
 * each append, state, timeline and coalitions at random (coalition, date,
 * cut) are compared with a reference that replays the first S events from
 * scratch, as events.md §3 states the rules, without any of the projection's
 * indexes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membership.h"
#include "testkit.h"

/* ---- randomness -------------------------------------------------------------- */

static uint64_t rng;

/* splitmix64: small, fast, and good enough to shuffle test cases. */
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

static bool chance(uint32_t percent)
{
    return below(100) < percent;
}

/* ---- the world being generated ----------------------------------------------- */

/*
 * What the comparisons covered: a generator that drifted into trivial logs
 * would pass every comparison, so the runs also require variety.
 */
static struct {
    size_t states, old_cuts, members, former, pledged, multi_act, rejoined, unestablished;
    size_t timelines, points, refused, repeats, corrections, retractions;
} seen;

#define SLUG_COUNT 3
static const char *const slugs[SLUG_COUNT] = { "c0", "c1", "c2" };
/* " Chile" and "Chile" are one country once trimmed, as are "Kenya " and "Kenya". */
static const char *const countries[] = { "Chile", " Chile", "Peru", "Kenya ",
                                         "Kenya", "Benin",  "Fiji" };
#define COUNTRY_COUNT (sizeof countries / sizeof countries[0])

#define BATCH_MAX 4

struct world {
    struct membership *m;
    bool founded[SLUG_COUNT];
    uint64_t next_id;
    int64_t clock_us;
    /* The batch being built. */
    struct event *batch[BATCH_MAX];
    uint64_t expect_repeat[BATCH_MAX];
    size_t batch_count;
    struct event *fresh[BATCH_MAX]; /* its new events: seq head + 1 + index */
    size_t fresh_count;
    bool fresh_founded[SLUG_COUNT];
};

static int slug_index(const char *slug)
{
    for (int i = 0; i < SLUG_COUNT; i++) {
        if (strcmp(slugs[i], slug) == 0)
            return i;
    }
    return -1;
}

/* An event by seq, stored or new in the batch being built. */
static const struct event *world_event(const struct world *w, uint64_t seq)
{
    uint64_t head = membership_head(w->m);
    if (seq >= 1 && seq <= head)
        return membership_event(w->m, seq);
    if (seq > head && seq - head <= w->fresh_count)
        return w->fresh[seq - head - 1];
    return NULL;
}

static void random_date(char out[32])
{
    int year = 2023 + (int)below(3);
    unsigned month = 1 + below(12);
    unsigned last = (unsigned)(rc_days_from_civil(year + (month == 12), month % 12 + 1, 1) -
                               rc_days_from_civil(year, month, 1));
    static const unsigned days[] = { 1, 10, 20, 28 };
    uint32_t p = below(100);

    if (p < 12)
        snprintf(out, 32, "%04d", year);
    else if (p < 35)
        snprintf(out, 32, "%04d-%02u", year, month);
    else
        snprintf(out, 32, "%04d-%02u-%02u", year, month, chance(25) ? last : days[below(4)]);
}

/* A random day to ask about, a little beyond the dates generated. */
static int32_t random_query_day(void)
{
    return rc_days_from_civil(2022, 12, 1) + (int32_t)below(3 * 366 + 60);
}

static void id_field(struct world *w, char *out, size_t size)
{
    if (chance(50))
        snprintf(out, size, ",\"id\":\"e%" PRIu64 "\"", w->next_id++);
    else
        out[0] = '\0';
}

/* The JSON of a random fact of kind type (no coalition: the caller adds it). */
static void random_fact(enum event_type type, char *out, size_t size)
{
    char date[32];
    random_date(date);
    if (type == EVENT_ESTABLISHED) {
        /* Mostly founded before the facts, so that most states have members. */
        if (chance(75))
            snprintf(date, sizeof date, "2022-%02u", 1 + below(12));
        snprintf(out, size, "\"type\":\"established\",\"date\":\"%s\",\"name\":\"N%u\"", date,
                 below(1000));
    } else if (type == EVENT_ANNOUNCED && chance(20)) {
        snprintf(out, size, "\"type\":\"announced\",\"date\":\"%s\"", date);
    } else if (type == EVENT_ANNOUNCED) {
        static const char *const commitments[] = { "", "troops", "funds" };
        snprintf(out, size,
                 "\"type\":\"announced\",\"date\":\"%s\",\"country\":\"%s\","
                 "\"commitment\":\"%s\"",
                 date, countries[below(COUNTRY_COUNT)], commitments[below(3)]);
    } else {
        snprintf(out, size, "\"type\":\"%s\",\"date\":\"%s\",\"country\":\"%s\"",
                 event_type_name(type), date, countries[below(COUNTRY_COUNT)]);
    }
}

static enum event_type random_state_act(void)
{
    static const enum event_type types[] = { EVENT_SIGNED, EVENT_RATIFIED, EVENT_ADHERED,
                                             EVENT_WITHDREW, EVENT_ANNOUNCED };
    static const uint32_t weights[] = { 22, 14, 22, 22, 20 };
    uint32_t r = below(100);
    for (size_t i = 0; i < 5; i++) {
        if (r < weights[i])
            return types[i];
        r -= weights[i];
    }
    return EVENT_SIGNED;
}

/* A fact of coalition slug (stored or new in the batch), or 0 if none found. */
static uint64_t random_target(const struct world *w, const char *slug)
{
    uint64_t last = membership_head(w->m) + w->fresh_count;
    for (int tries = 0; tries < 30 && last > 0; tries++) {
        /* Favour recent events a little, so corrections chain. */
        uint64_t seq = chance(30) && last > 8 ? last - below(8) : 1 + next_random() % last;
        const struct event *ev = world_event(w, seq);
        if (event_type_is_fact(ev->type) && strcmp(ev->field[FIELD_COALITION], slug) == 0)
            return seq;
    }
    return 0;
}

/* Adds a new event to the batch being built. */
static void batch_add_new(struct world *w, struct event *ev)
{
    int s = slug_index(ev->field[FIELD_COALITION]);
    if (ev->type == EVENT_ESTABLISHED)
        w->fresh_founded[s] = true;
    w->batch[w->batch_count] = ev;
    w->expect_repeat[w->batch_count++] = 0;
    w->fresh[w->fresh_count++] = ev;
}

/* A repeat of an event with an id, stored or earlier in the batch. */
static bool batch_add_repeat(struct world *w)
{
    uint64_t last = membership_head(w->m) + w->fresh_count;
    for (int tries = 0; tries < 10 && last > 0; tries++) {
        uint64_t seq = 1 + next_random() % last;
        const struct event *ev = world_event(w, seq);
        if (ev->field[FIELD_ID] == NULL)
            continue;
        struct event *copy = event_clone(ev);
        assert_non_null(copy);
        copy->seq = 0;
        copy->recorded_us = 0;
        w->batch[w->batch_count] = copy;
        w->expect_repeat[w->batch_count++] = seq;
        return true;
    }
    return false;
}

static void batch_add_random(struct world *w)
{
    char text[1024], fact[512], id[32];
    int s = (int)below(SLUG_COUNT);
    const char *slug = slugs[s];

    if (chance(6) && batch_add_repeat(w))
        return;
    id_field(w, id, sizeof id);
    if (!w->founded[s] && !w->fresh_founded[s]) {
        random_fact(EVENT_ESTABLISHED, fact, sizeof fact);
        snprintf(text, sizeof text, "{%s,\"coalition\":\"%s\"%s}", fact, slug, id);
        batch_add_new(w, tk_event(text));
        return;
    }

    uint32_t r = below(100);
    uint64_t target = r < 28 ? random_target(w, slug) : 0;
    if (target && r < 17) {
        const struct event *t = world_event(w, target);
        char date[32], named[32] = "";
        random_date(date);
        random_fact(t->type == EVENT_ESTABLISHED ? EVENT_ESTABLISHED : random_state_act(), fact,
                    sizeof fact);
        if (chance(30)) /* a fact may name its coalition */
            snprintf(named, sizeof named, ",\"coalition\":\"%s\"", slug);
        snprintf(text, sizeof text,
                 "{\"type\":\"corrected\",\"coalition\":\"%s\",\"date\":\"%s\","
                 "\"target\":%" PRIu64 ",\"fact\":{%s%s}%s}",
                 slug, date, target, fact, named, id);
    } else if (target) {
        snprintf(text, sizeof text,
                 "{\"type\":\"retracted\",\"coalition\":\"%s\",\"date\":\"2025\","
                 "\"target\":%" PRIu64 ",\"note\":\"n\"%s}",
                 slug, target, id);
    } else {
        random_fact(chance(3) ? EVENT_ESTABLISHED : random_state_act(), fact, sizeof fact);
        snprintf(text, sizeof text, "{%s,\"coalition\":\"%s\"%s}", fact, slug, id);
    }
    batch_add_new(w, tk_event(text));
}

/* Checks and applies the batch built; every generated batch is valid. */
static void batch_commit(struct world *w)
{
    uint64_t repeat[BATCH_MAX];
    struct append_error err;

    if (!membership_check_batch(w->m, w->batch, w->batch_count, repeat, &err))
        fail_msg("valid batch refused: event %zu: %s (%s)", err.index, err.message, err.field);
    w->clock_us += below(3); /* recorded may repeat, never decreases */
    for (size_t i = 0; i < w->batch_count; i++) {
        assert_int_equal(repeat[i], w->expect_repeat[i]);
        if (repeat[i]) {
            seen.repeats++;
            event_free(w->batch[i]);
            continue;
        }
        struct event *ev = w->batch[i];
        ev->seq = membership_head(w->m) + 1;
        ev->recorded_us = w->clock_us;
        seen.corrections += ev->type == EVENT_CORRECTED;
        seen.retractions += ev->type == EVENT_RETRACTED;
        membership_apply(w->m, ev);
    }
    for (int s = 0; s < SLUG_COUNT; s++)
        w->founded[s] |= w->fresh_founded[s];
    memset(w->fresh_founded, 0, sizeof w->fresh_founded);
    w->batch_count = 0;
    w->fresh_count = 0;
}

/* Generates an append that must be refused, checks the refusal, stores nothing. */
static void try_refused(struct world *w)
{
    char text[1024];
    uint64_t head = membership_head(w->m), repeat[1], target = 0;
    enum rpc_error expect = RPC_NOT_FOUND;
    struct append_error err;
    int s = (int)below(SLUG_COUNT);

    if (!w->founded[s])
        return;
    switch (below(6)) {
    case 0:
        snprintf(
            text, sizeof text,
            "{\"type\":\"signed\",\"coalition\":\"zz\",\"country\":\"Peru\",\"date\":\"2024\"}");
        expect = RPC_UNKNOWN_COALITION;
        break;
    case 1:
        target = head + 1 + below(3);
        snprintf(
            text, sizeof text,
            "{\"type\":\"retracted\",\"coalition\":\"%s\",\"date\":\"2025\",\"target\":%" PRIu64
            ",\"note\":\"n\"}",
            slugs[s], target);
        break;
    case 2: /* a meta event or another coalition's fact as target */
    case 3:
        target = 1 + next_random() % head;
        {
            const struct event *t = membership_event(w->m, target);
            bool meta = event_type_is_meta(t->type);
            bool other = strcmp(t->field[FIELD_COALITION], slugs[s]) != 0;
            if (!meta && !other)
                return;
            snprintf(text, sizeof text,
                     "{\"type\":\"retracted\",\"coalition\":\"%s\",\"date\":\"2025\","
                     "\"target\":%" PRIu64 ",\"note\":\"n\"}",
                     slugs[s], target);
        }
        break;
    case 4: /* a founding corrected into a state's act */
        target = random_target(w, slugs[s]);
        if (target == 0 || membership_event(w->m, target)->type != EVENT_ESTABLISHED)
            return;
        snprintf(
            text, sizeof text,
            "{\"type\":\"corrected\",\"coalition\":\"%s\",\"date\":\"2025\",\"target\":%" PRIu64
            ",\"fact\":{\"type\":\"signed\",\"country\":\"Peru\",\"date\":\"2024\"}}",
            slugs[s], target);
        expect = RPC_INVALID_EVENT;
        break;
    default: { /* an id reused with other content */
        target = 1 + next_random() % head;
        const struct event *t = membership_event(w->m, target);
        if (t->field[FIELD_ID] == NULL)
            return;
        snprintf(text, sizeof text,
                 "{\"type\":\"signed\",\"coalition\":\"%s\",\"country\":\"Peru\",\"date\":\"2024\","
                 "\"id\":\"%s\",\"note\":\"other content\"}",
                 slugs[s], t->field[FIELD_ID]);
        expect = RPC_CONFLICT;
        break;
    }
    }
    struct event *ev = tk_event(text);
    assert_false(membership_check_batch(w->m, &ev, 1, repeat, &err));
    assert_string_equal(rpc_error_code(err.code), rpc_error_code(expect));
    assert_int_equal(err.index, 0);
    if (expect != RPC_UNKNOWN_COALITION)
        assert_int_equal(err.seq, target);
    assert_true(err.message[0] != '\0');
    event_free(ev);
    assert_int_equal(membership_head(w->m), head);
    seen.refused++;
}

/* ---- the reference: events.md §3, replayed from scratch ---------------------- */

struct ref_act {
    const struct event *event;
    uint64_t seq;
};

struct ref_country {
    const char *key;
    size_t len;
    struct ref_act *acts, *announcements;
    size_t act_count, announcement_count;
    bool member, ever;
    enum event_type status;
    const char *since, *left;
    struct ref_act first_join;
    uint32_t ordinal;
};

struct ref_state {
    bool exists;
    const struct ref_act *founding;
    struct ref_act founding_storage;
    struct ref_country *countries;
    size_t country_count;
    size_t member_count;
    const struct event **readings; /* readings[seq]: the fact as it reads at the cut */
};

static bool ref_before(const struct ref_act *a, const struct ref_act *b)
{
    int32_t da = a->event->date.counting_day, db = b->event->date.counting_day;
    return da < db || (da == db && a->seq < b->seq);
}

static void ref_sort(struct ref_act *acts, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        struct ref_act a = acts[i];
        size_t j = i;
        for (; j > 0 && ref_before(&a, &acts[j - 1]); j--)
            acts[j] = acts[j - 1];
        acts[j] = a;
    }
}

static bool ref_in_coalition(const struct event *ev, const char *slug)
{
    return strcmp(ev->field[FIELD_COALITION], slug) == 0;
}

/* §3.1–2: every fact of slug up to cut, read through the last meta event naming it. */
static const struct event **ref_readings(const struct membership *m, const char *slug, uint64_t cut,
                                         bool *exists)
{
    const struct event **readings = calloc(cut + 1, sizeof *readings);
    assert_non_null(readings);
    *exists = false;
    for (uint64_t seq = 1; seq <= cut; seq++) {
        const struct event *ev = membership_event(m, seq);
        if (!ref_in_coalition(ev, slug))
            continue;
        *exists = true;
        if (event_type_is_fact(ev->type))
            readings[seq] = ev;
        else
            readings[ev->target] = ev->type == EVENT_CORRECTED ? ev->fact : NULL;
    }
    return readings;
}

static struct ref_country *ref_country(struct ref_state *r, const struct event *ev, size_t cut)
{
    for (size_t i = 0; i < r->country_count; i++) {
        struct ref_country *c = &r->countries[i];
        if (c->len == ev->country_key_len && memcmp(c->key, ev->country_key, c->len) == 0)
            return c;
    }
    struct ref_country *c = &r->countries[r->country_count++];
    memset(c, 0, sizeof *c);
    c->key = ev->country_key;
    c->len = ev->country_key_len;
    c->acts = calloc(cut + 1, sizeof *c->acts);
    c->announcements = calloc(cut + 1, sizeof *c->announcements);
    assert_true(c->acts && c->announcements);
    c->status = EVENT_TYPE_COUNT;
    return c;
}

static void ref_state(const struct membership *m, const char *slug, int32_t day, uint64_t cut,
                      struct ref_state *r)
{
    memset(r, 0, sizeof *r);
    r->readings = ref_readings(m, slug, cut, &r->exists);
    r->countries = calloc(COUNTRY_COUNT, sizeof *r->countries);
    assert_non_null(r->countries);

    /* §3.3: the facts that count by the day. */
    for (uint64_t seq = 1; seq <= cut; seq++) {
        const struct event *ev = r->readings[seq];
        if (ev == NULL || ev->date.counting_day > day)
            continue;
        struct ref_act act = { ev, seq };
        if (ev->type == EVENT_ESTABLISHED) {
            if (r->founding == NULL || ref_before(r->founding, &act)) {
                r->founding_storage = act;
                r->founding = &r->founding_storage;
            }
        } else if (ev->country_key) {
            struct ref_country *c = ref_country(r, ev, cut);
            if (ev->type == EVENT_ANNOUNCED)
                c->announcements[c->announcement_count++] = act;
            else
                c->acts[c->act_count++] = act;
        }
    }
    /* §3.4: walk each country's facts in (date, seq) order. */
    for (size_t i = 0; i < r->country_count; i++) {
        struct ref_country *c = &r->countries[i];
        ref_sort(c->acts, c->act_count);
        ref_sort(c->announcements, c->announcement_count);
        for (size_t k = 0; k < c->act_count; k++) {
            const struct event *ev = c->acts[k].event;
            if (ev->type == EVENT_WITHDREW) {
                if (c->member) {
                    c->member = false;
                    c->status = EVENT_WITHDREW;
                    c->left = ev->field[FIELD_DATE];
                }
                continue;
            }
            if (!c->member) {
                if (!c->ever)
                    c->first_join = c->acts[k];
                c->member = c->ever = true;
                c->since = ev->field[FIELD_DATE];
            }
            c->status = ev->type;
        }
    }
    /* §3.5: ordinals by first joining. */
    for (size_t i = 0; i < r->country_count; i++) {
        struct ref_country *c = &r->countries[i];
        if (!c->ever)
            continue;
        c->ordinal = 1;
        for (size_t j = 0; j < r->country_count; j++) {
            const struct ref_country *o = &r->countries[j];
            if (o->ever && ref_before(&o->first_join, &c->first_join))
                c->ordinal++;
        }
        if (r->founding && c->member)
            r->member_count++;
    }
}

static void ref_free(struct ref_state *r)
{
    for (size_t i = 0; i < r->country_count; i++) {
        free(r->countries[i].acts);
        free(r->countries[i].announcements);
    }
    free(r->countries);
    free(r->readings);
}

static void compare_country(const struct state_country *got, const struct ref_country *want,
                            bool with_acts)
{
    assert_int_equal(got->country_len, want->len);
    assert_memory_equal(got->country, want->key, want->len);
    assert_int_equal(got->announcement_count, want->announcement_count);
    for (size_t k = 0; k < want->announcement_count; k++) {
        assert_int_equal(got->announcements[k].seq, want->announcements[k].seq);
        assert_ptr_equal(got->announcements[k].event, want->announcements[k].event);
    }
    if (!with_acts)
        return;
    assert_int_equal(got->act_count, want->act_count);
    for (size_t k = 0; k < want->act_count; k++) {
        assert_int_equal(got->acts[k].seq, want->acts[k].seq);
        assert_ptr_equal(got->acts[k].event, want->acts[k].event);
    }
    assert_int_equal(got->ordinal, want->ordinal);
    assert_int_equal(got->status, want->status);
    assert_string_equal(got->since, want->since);
}

/* §3.6: members and former by ordinal, pledged by first announcement. */
static void compare_state(const struct membership *m, const char *slug, int32_t day, uint64_t cut)
{
    struct state_result got;
    struct ref_state want;
    bool found = membership_state(m, slug, day, cut, &got);

    ref_state(m, slug, day, cut, &want);
    assert_int_equal(found, want.exists);
    if (!found) {
        ref_free(&want);
        return;
    }
    assert_int_equal(got.as_of_seq, cut);
    assert_int_equal(got.at_day, day);
    assert_string_equal(got.coalition.slug, slug);
    assert_int_equal(got.coalition.established, want.founding != NULL);
    if (want.founding) {
        assert_ptr_equal(got.coalition.established_fact, want.founding->event);
        assert_int_equal(got.coalition.established_seq, want.founding->seq);
    }

    size_t members = 0, former = 0, pledged = 0;
    for (uint32_t ordinal = 1; want.founding && ordinal <= COUNTRY_COUNT; ordinal++) {
        for (size_t i = 0; i < want.country_count; i++) {
            const struct ref_country *c = &want.countries[i];
            if (!c->ever || c->ordinal != ordinal)
                continue;
            if (c->member) {
                assert_true(members < got.member_count);
                compare_country(&got.members[members++], c, true);
            } else {
                assert_true(former < got.former_count);
                compare_country(&got.former[former], c, true);
                assert_string_equal(got.former[former++].left, c->left);
            }
        }
    }
    assert_int_equal(got.member_count, members);
    assert_int_equal(got.former_count, former);

    const struct ref_country *previous = NULL;
    for (size_t n = 0;; n++) {
        /* The n-th pledged: the least first announcement after the previous one. */
        const struct ref_country *next = NULL;
        for (size_t i = 0; i < want.country_count; i++) {
            const struct ref_country *c = &want.countries[i];
            if (c->ever || c->announcement_count == 0)
                continue;
            if (previous && !ref_before(&previous->announcements[0], &c->announcements[0]))
                continue;
            if (next == NULL || ref_before(&c->announcements[0], &next->announcements[0]))
                next = c;
        }
        if (next == NULL)
            break;
        assert_true(pledged < got.pledged_count);
        assert_int_equal(got.pledged[pledged].ordinal, 0);
        compare_country(&got.pledged[pledged++], next, false);
        previous = next;
    }
    assert_int_equal(got.pledged_count, pledged);

    seen.states++;
    seen.old_cuts += cut < membership_head(m);
    seen.members += members;
    seen.former += former;
    seen.pledged += pledged;
    seen.unestablished += want.founding == NULL;
    for (size_t i = 0; i < got.member_count; i++) {
        seen.multi_act += got.members[i].act_count > 1;
        seen.rejoined += got.members[i].act_count > 0 &&
                         got.members[i].since != got.members[i].acts[0].event->field[FIELD_DATE];
    }
    ref_free(&want);
    state_result_free(&got);
}

/* timeline: every membership fact in (date, seq) order, the running member count after it. */
static void compare_timeline(const struct membership *m, const char *slug, int32_t since,
                             int32_t until, uint64_t cut)
{
    struct timeline_result got;
    bool exists;
    bool found = membership_timeline(m, slug, since, until, cut, &got);
    const struct event **readings = ref_readings(m, slug, cut, &exists);

    assert_int_equal(found, exists);
    if (!found) {
        free(readings);
        return;
    }
    struct ref_act *acts = calloc(cut + 1, sizeof *acts);
    size_t count = 0, points = 0;
    assert_non_null(acts);
    for (uint64_t seq = 1; seq <= cut; seq++) {
        if (readings[seq] && event_type_is_membership(readings[seq]->type))
            acts[count++] = (struct ref_act){ readings[seq], seq };
    }
    ref_sort(acts, count);

    const char *keys[COUNTRY_COUNT];
    size_t lens[COUNTRY_COUNT], known = 0;
    bool member[COUNTRY_COUNT] = { false };
    uint32_t members = 0;
    for (size_t i = 0; i < count; i++) {
        const struct event *ev = acts[i].event;
        size_t c = 0;
        while (c < known &&
               !(lens[c] == ev->country_key_len && memcmp(keys[c], ev->country_key, lens[c]) == 0))
            c++;
        if (c == known) {
            keys[known] = ev->country_key;
            lens[known++] = ev->country_key_len;
        }
        bool now = ev->type != EVENT_WITHDREW;
        if (now && !member[c])
            members++;
        if (!now && member[c])
            members--;
        member[c] = now;
        int32_t day = ev->date.counting_day;
        if (day < since || day > until)
            continue;
        assert_true(points < got.point_count);
        assert_int_equal(got.points[points].seq, acts[i].seq);
        assert_ptr_equal(got.points[points].event, ev);
        assert_int_equal(got.points[points].count, members);
        points++;
    }
    assert_int_equal(got.point_count, points);
    assert_int_equal(got.as_of_seq, cut);
    seen.timelines++;
    seen.points += points;
    free(acts);
    free(readings);
    timeline_result_free(&got);
}

static void compare_coalitions(const struct membership *m, int32_t today, uint64_t cut)
{
    struct coalition_summary *got;
    size_t count = membership_coalitions(m, today, cut, &got), n = 0;

    for (int s = 0; s < SLUG_COUNT; s++) {
        struct ref_state want;
        ref_state(m, slugs[s], today, cut, &want);
        if (want.exists) {
            uint64_t events = 0;
            const struct ref_act *latest = NULL;
            struct ref_act storage;
            for (uint64_t seq = 1; seq <= cut; seq++) {
                events += ref_in_coalition(membership_event(m, seq), slugs[s]);
                const struct event *ev = want.readings[seq];
                struct ref_act act = { ev, seq };
                if (ev && ev->type == EVENT_ESTABLISHED && (!latest || ref_before(latest, &act))) {
                    storage = act;
                    latest = &storage;
                }
            }
            assert_true(n < count);
            assert_string_equal(got[n].slug, slugs[s]);
            assert_int_equal(got[n].events, events);
            assert_int_equal(got[n].members, want.member_count);
            if (latest)
                assert_string_equal(got[n].name, latest->event->field[FIELD_NAME]);
            else
                assert_null(got[n].name);
            n++;
        }
        ref_free(&want);
    }
    assert_int_equal(count, n);
    free(got);
}

static void compare_seq_at_time(const struct membership *m)
{
    uint64_t head = membership_head(m);
    if (head == 0)
        return;
    int64_t t = membership_event(m, 1 + next_random() % head)->recorded_us + (int64_t)below(3) - 1;
    uint64_t want = 0;
    for (uint64_t seq = 1; seq <= head; seq++) {
        if (membership_event(m, seq)->recorded_us <= t)
            want = seq;
    }
    assert_int_equal(membership_seq_at_time(m, t), want);
}

/* A random question about the log as it stands. */
static void compare_random_query(const struct membership *m)
{
    uint64_t head = membership_head(m);
    /* Half the cuts at the head (the maintained view), half older (rebuilt). */
    uint64_t cut = chance(50) ? head : next_random() % (head + 1);
    const char *slug = chance(95) ? slugs[below(SLUG_COUNT)] : "zz";
    int32_t day = random_query_day();

    compare_state(m, slug, day, cut);
    if (chance(50)) {
        compare_timeline(m, slug, INT32_MIN, INT32_MAX, cut);
    } else {
        int32_t a = random_query_day(), b = random_query_day();
        compare_timeline(m, slug, a < b ? a : b, a < b ? b : a, cut);
    }
    if (chance(10))
        compare_coalitions(m, day, cut);
    if (chance(10))
        compare_seq_at_time(m);
}

/* ---- the runs ---------------------------------------------------------------- */

static void run_log(uint64_t seed, size_t batches, uint32_t query_percent, size_t queries)
{
    struct world w;

    memset(&w, 0, sizeof w);
    rng = seed;
    w.m = membership_new();
    w.clock_us = tk_recorded_us(0);
    assert_non_null(w.m);
    for (size_t b = 0; b < batches; b++) {
        size_t n = chance(70) ? 1 : 2 + below(BATCH_MAX - 1);
        for (size_t i = 0; i < n; i++)
            batch_add_random(&w);
        batch_commit(&w);
        if (chance(10))
            try_refused(&w);
        if (chance(query_percent)) {
            for (size_t q = 0; q < queries; q++)
                compare_random_query(w.m);
        }
    }
    membership_free(w.m);
}

/* A projection of src's events loaded in bulk, as the daemon's replay does. */
static struct membership *bulk_copy(const struct membership *src)
{
    struct membership *m = membership_new();
    assert_non_null(m);
    membership_begin_bulk(m);
    for (uint64_t seq = 1; seq <= membership_head(src); seq++) {
        struct event *ev = event_clone(membership_event(src, seq));
        assert_non_null(ev);
        membership_apply(m, ev);
    }
    membership_end_bulk(m);
    return m;
}

/*
 * Logs loaded in bulk answer like the reference; then more events are folded
 * in one by one on top of the views the bulk load built, and still do.
 */
static void run_bulk(uint64_t seed, size_t batches)
{
    struct world w;

    memset(&w, 0, sizeof w);
    rng = seed;
    w.m = membership_new();
    w.clock_us = tk_recorded_us(0);
    assert_non_null(w.m);
    for (size_t b = 0; b < batches; b++) {
        for (size_t i = 0, n = 1 + below(BATCH_MAX); i < n; i++)
            batch_add_random(&w);
        batch_commit(&w);
    }
    struct membership *bulk = bulk_copy(w.m);
    membership_free(w.m);
    w.m = bulk;
    for (size_t q = 0; q < 200; q++)
        compare_random_query(w.m);
    for (size_t b = 0; b < batches / 4; b++) {
        batch_add_random(&w);
        batch_commit(&w);
        if (chance(20))
            try_refused(&w);
        compare_random_query(w.m);
    }
    membership_free(w.m);
}

static void report_coverage(const char *what)
{
    print_message("%s: %zu states (%zu at old cuts, %zu not established), %zu members, "
                  "%zu former, %zu pledged, %zu with several acts, %zu re-joined; "
                  "%zu timelines, %zu points; %zu corrections, %zu retractions, %zu repeats, "
                  "%zu refused\n",
                  what, seen.states, seen.old_cuts, seen.unestablished, seen.members, seen.former,
                  seen.pledged, seen.multi_act, seen.rejoined, seen.timelines, seen.points,
                  seen.corrections, seen.retractions, seen.repeats, seen.refused);
    assert_true(seen.old_cuts > seen.states / 4);
    assert_true(seen.unestablished > 0);
    assert_true(seen.former > 0 && seen.pledged > 0 && seen.rejoined > 0);
    assert_true(seen.members > seen.states / 2);
    assert_true(seen.points > seen.timelines);
    assert_true(seen.corrections > 0 && seen.retractions > 0 && seen.repeats > 0);
    assert_true(seen.refused > 0);
}

static void test_small_logs(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    for (uint64_t seed = 1; seed <= 200; seed++)
        run_log(seed, 60, 100, 3);
    report_coverage("small logs");
}

static void test_large_logs(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    for (uint64_t seed = 1001; seed <= 1004; seed++)
        run_log(seed, 700, 12, 2);
    report_coverage("large logs");
}

static void test_bulk_loaded_logs(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    for (uint64_t seed = 3001; seed <= 3040; seed++)
        run_bulk(seed, 120);
    report_coverage("bulk-loaded logs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_logs),
        cmocka_unit_test(test_bulk_loaded_logs),
        cmocka_unit_test(test_large_logs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
