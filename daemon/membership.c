/*
 * membership.c — the projection of the log into membership (events.md §3).
 *
 * Every stored event is kept, indexed by seq. Each fact has a current reading:
 * itself, the fact of the latest correction, or nothing once retracted. Each
 * coalition keeps a view of its current readings, arranged so that a state
 * query is a binary search per country rather than a replay:
 *
 *  - per country, its membership facts sorted by (counting day, seq), with the
 *    running status after each one (member?, status, since, left), and its
 *    announcements sorted the same way. The facts that count by a date D are
 *    a prefix of each array, and the status at D is the running status at the
 *    end of that prefix;
 *  - the countries that ever joined, sorted by the (counting day, seq) of
 *    their first join: the countries joined by D are a prefix, and a
 *    country's ordinal is its place in it;
 *  - the coalition's `established` readings, sorted the same way.
 *
 * A new fact or a correction inserts into the middle of a country's array and
 * recomputes the running status from there: effective dates arrive in any
 * order. A query with a cut older than the coalition's last event builds a
 * temporary view from that coalition's events alone, resolved as of the cut,
 * and runs the same query code on it.
 */
#include "membership.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "strmap.h"

/* ---- data structures --------------------------------------------------------- */

/* Running status of a country after one of its membership facts. */
struct act_status {
    int32_t day;       /* the fact's counting day (kept here for the searches) */
    bool member;       /* a member after this fact */
    uint8_t status;    /* enum event_type; EVENT_TYPE_COUNT before any change */
    const char *since; /* date text of the fact that made it a member */
    const char *left;  /* date text of the withdrawal that ended it */
};

struct country {
    const char *key; /* trimmed country, not NUL-terminated */
    uint32_t key_len;
    struct state_act *acts;     /* membership facts by (day, seq) */
    struct act_status *running; /* parallel to acts */
    size_t act_count, act_cap;
    struct state_act *announcements; /* by (day, seq) */
    int32_t *announcement_days;      /* parallel to announcements */
    size_t announcement_count, announcement_cap;
    /* The first fact that made it a member: its place among the joined. */
    bool joined;
    int32_t join_day;
    uint64_t join_seq;
};

struct view {
    unsigned refs;               /* views built for a cut: holders (results, the cache) */
    struct strmap country_index; /* key -> index in countries */
    struct country **countries;  /* in order of first appearance */
    size_t country_count, country_cap;
    struct country **joined; /* countries that ever joined, by (join_day, join_seq) */
    size_t joined_count, joined_cap;
    struct state_act *established; /* `established` readings by (day, seq) */
    size_t established_count, established_cap;
};

struct coalition {
    const char *slug; /* NUL-terminated: the coalition field of its first event */
    bool founded;     /* an `established` event was appended (§2: unknown coalition) */
    uint64_t *seqs;   /* every event of the coalition, ascending */
    size_t seq_count, seq_cap;
    struct view view; /* current readings of every fact */
};

struct slot {
    struct event *event;
    const struct event *reading; /* facts: the current reading, NULL once retracted */
    struct coalition *coalition;
};

/*
 * Views built for old cuts, kept for the next query: a view of a coalition
 * as the log stood at a cut never changes, and a script that walks the dates
 * of one belief asks for the same cut again and again.
 */
#define CUT_CACHE_SIZE 4

struct cut_view {
    const struct coalition *coalition; /* NULL: an empty entry */
    uint64_t cut;                      /* the coalition's last seq at or before the cut */
    struct view *view;
    uint64_t used; /* for eviction: least recently used goes */
};

struct cut_cache {
    uint64_t clock;
    struct cut_view entries[CUT_CACHE_SIZE];
};

struct membership {
    struct cut_cache *cut_cache; /* queries update it: it is not the log */
    bool bulk;                   /* views are built at membership_end_bulk */
    struct slot *slots;          /* slots[seq - 1] */
    size_t slot_count, slot_cap;
    struct strmap ids;   /* id -> seq of the event that carries it */
    struct strmap slugs; /* slug -> index in coalitions */
    struct coalition **coalitions;
    size_t coalition_count, coalition_cap;
};

/* Owned storage behind a state_result. */
struct state_scratch {
    struct view *view; /* a view built for an old cut, or NULL */
    struct state_country countries[];
};

/* ---- small helpers ----------------------------------------------------------- */

/* Applying must not fail: a projection that skipped an event would lie. */
static void out_of_memory(uint64_t seq) __attribute__((noreturn));

static void out_of_memory(uint64_t seq)
{
    fprintf(stderr, "membership: out of memory applying seq %" PRIu64 "\n", seq);
    abort();
}

/* Capacity for at least need elements of size bytes, doubling; 0 on overflow. */
static size_t grown_capacity(size_t cap, size_t need, size_t size)
{
    size_t n = cap ? cap : 2;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size)
            return 0;
        n *= 2;
    }
    return n;
}

/*
 * Grows the array whose pointer is at array_ptr (any T **) to hold need
 * elements; false, with the array untouched, if memory runs out. The pointer
 * is read and written with memcpy so that one helper serves every element
 * type without type punning.
 */
static bool reserve(void *array_ptr, size_t *cap, size_t need, size_t size)
{
    void *array;
    if (need <= *cap)
        return true;
    size_t n = grown_capacity(*cap, need, size);
    memcpy(&array, array_ptr, sizeof array);
    void *p = n ? realloc(array, n * size) : NULL;
    if (p == NULL)
        return false;
    memcpy(array_ptr, &p, sizeof p);
    *cap = n;
    return true;
}

/* Order of facts everywhere: counting day, then seq. */
static int compare_key(int32_t day_a, uint64_t seq_a, int32_t day_b, uint64_t seq_b)
{
    if (day_a != day_b)
        return day_a < day_b ? -1 : 1;
    if (seq_a != seq_b)
        return seq_a < seq_b ? -1 : 1;
    return 0;
}

static int compare_acts(const void *a, const void *b)
{
    const struct state_act *x = a, *y = b;
    return compare_key(x->event->date.counting_day, x->seq, y->event->date.counting_day, y->seq);
}

/* qsort, which may not be handed a NULL array even when it is empty. */
static void sort_array(void *base, size_t count, size_t size,
                       int (*compare)(const void *, const void *))
{
    if (count > 1)
        qsort(base, count, size, compare);
}

static bool key_equals(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* Number of seqs in the ascending array that are <= cut. */
static size_t seqs_upto(const uint64_t *seqs, size_t count, uint64_t cut)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (seqs[mid] <= cut)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- a country's facts ------------------------------------------------------- */

/* First position whose (day, seq) is not below the given one. */
static size_t act_position(const struct country *c, int32_t day, uint64_t seq)
{
    size_t lo = 0, hi = c->act_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_key(c->running[mid].day, c->acts[mid].seq, day, seq) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t announcement_position(const struct country *c, int32_t day, uint64_t seq)
{
    size_t lo = 0, hi = c->announcement_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_key(c->announcement_days[mid], c->announcements[mid].seq, day, seq) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Number of membership facts counting on or before day. A state query makes
 * two such searches per country; written without branches on the data (the
 * ternaries become conditional moves), they cost no mispredictions.
 */
static size_t acts_by(const struct country *c, int32_t day)
{
    const struct act_status *base = c->running;
    size_t len = c->act_count;
    if (len == 0)
        return 0;
    while (len > 1) {
        size_t half = len / 2;
        base = base[half].day <= day ? base + half : base;
        len -= half;
    }
    return (size_t)(base - c->running) + (base->day <= day);
}

/* Number of membership facts counting strictly before day. */
static size_t acts_before(const struct country *c, int32_t day)
{
    size_t lo = 0, hi = c->act_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->running[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t announcements_by(const struct country *c, int32_t day)
{
    const int32_t *base = c->announcement_days;
    size_t len = c->announcement_count;
    if (len == 0)
        return 0;
    while (len > 1) {
        size_t half = len / 2;
        base = base[half] <= day ? base + half : base;
        len -= half;
    }
    return (size_t)(base - c->announcement_days) + (*base <= day);
}

/*
 * Recomputes the running status from position from to the end (events.md
 * §3.4): a signature, ratification or adhesion makes a non-member a member and
 * sets the status; a withdrawal ends a membership and does nothing otherwise.
 */
static void country_replay(struct country *c, size_t from)
{
    struct act_status now = { 0, false, EVENT_TYPE_COUNT, NULL, NULL };
    if (from > 0)
        now = c->running[from - 1];

    for (size_t i = from; i < c->act_count; i++) {
        const struct event *ev = c->acts[i].event;
        if (ev->type == EVENT_WITHDREW) {
            if (now.member) {
                now.member = false;
                now.status = EVENT_WITHDREW;
                now.left = ev->field[FIELD_DATE];
            }
        } else {
            if (!now.member) {
                now.member = true;
                now.since = ev->field[FIELD_DATE];
                now.left = NULL;
            }
            now.status = (uint8_t)ev->type;
        }
        now.day = ev->date.counting_day;
        c->running[i] = now;
    }
}

/* The first fact that made the country a member: its first non-withdrawal. */
static bool country_first_join(const struct country *c, int32_t *day, uint64_t *seq)
{
    for (size_t i = 0; i < c->act_count; i++) {
        if (c->running[i].member) {
            *day = c->running[i].day;
            *seq = c->acts[i].seq;
            return true;
        }
    }
    return false;
}

static bool country_insert_act(struct country *c, const struct event *reading, uint64_t seq)
{
    if (c->act_count == c->act_cap) {
        size_t cap = c->act_cap;
        if (!reserve(&c->acts, &cap, c->act_count + 1, sizeof *c->acts))
            return false;
        cap = c->act_cap;
        if (!reserve(&c->running, &cap, c->act_count + 1, sizeof *c->running))
            return false;
        c->act_cap = cap;
    }
    int32_t day = reading->date.counting_day;
    size_t at = act_position(c, day, seq);
    size_t tail = c->act_count - at;
    memmove(&c->acts[at + 1], &c->acts[at], tail * sizeof *c->acts);
    memmove(&c->running[at + 1], &c->running[at], tail * sizeof *c->running);
    c->acts[at] = (struct state_act){ reading, seq };
    c->running[at].day = day;
    c->act_count++;
    country_replay(c, at);
    return true;
}

static void country_remove_act(struct country *c, const struct event *reading, uint64_t seq)
{
    size_t at = act_position(c, reading->date.counting_day, seq);
    if (at == c->act_count || c->acts[at].seq != seq)
        return;
    size_t tail = c->act_count - at - 1;
    memmove(&c->acts[at], &c->acts[at + 1], tail * sizeof *c->acts);
    memmove(&c->running[at], &c->running[at + 1], tail * sizeof *c->running);
    c->act_count--;
    country_replay(c, at);
}

static bool country_insert_announcement(struct country *c, const struct event *reading,
                                        uint64_t seq)
{
    if (c->announcement_count == c->announcement_cap) {
        size_t cap = c->announcement_cap, need = c->announcement_count + 1;
        if (!reserve(&c->announcements, &cap, need, sizeof *c->announcements))
            return false;
        cap = c->announcement_cap;
        if (!reserve(&c->announcement_days, &cap, need, sizeof *c->announcement_days))
            return false;
        c->announcement_cap = cap;
    }
    int32_t day = reading->date.counting_day;
    size_t at = announcement_position(c, day, seq);
    size_t tail = c->announcement_count - at;
    memmove(&c->announcements[at + 1], &c->announcements[at], tail * sizeof *c->announcements);
    memmove(&c->announcement_days[at + 1], &c->announcement_days[at],
            tail * sizeof *c->announcement_days);
    c->announcements[at] = (struct state_act){ reading, seq };
    c->announcement_days[at] = day;
    c->announcement_count++;
    return true;
}

static void country_remove_announcement(struct country *c, const struct event *reading,
                                        uint64_t seq)
{
    size_t at = announcement_position(c, reading->date.counting_day, seq);
    if (at == c->announcement_count || c->announcements[at].seq != seq)
        return;
    size_t tail = c->announcement_count - at - 1;
    memmove(&c->announcements[at], &c->announcements[at + 1], tail * sizeof *c->announcements);
    memmove(&c->announcement_days[at], &c->announcement_days[at + 1],
            tail * sizeof *c->announcement_days);
    c->announcement_count--;
}

static void country_free(struct country *c)
{
    free(c->acts);
    free(c->running);
    free(c->announcements);
    free(c->announcement_days);
    free(c);
}

/* ---- a coalition's view ------------------------------------------------------ */

static void view_init(struct view *v)
{
    memset(v, 0, sizeof *v);
    strmap_init(&v->country_index);
}

static void view_release(struct view *v)
{
    for (size_t i = 0; i < v->country_count; i++)
        country_free(v->countries[i]);
    free(v->countries);
    free(v->joined);
    free(v->established);
    strmap_free(&v->country_index);
    view_init(v);
}

static void view_free(struct view *v)
{
    if (v == NULL)
        return;
    view_release(v);
    free(v);
}

/* Lets go of a view built for a cut; the last holder frees it. */
static void view_unref(struct view *v)
{
    if (v != NULL && --v->refs == 0)
        view_free(v);
}

/* The country of a reading, created on first sight; NULL if memory runs out. */
static struct country *view_country(struct view *v, const struct event *reading)
{
    uint64_t index;
    const char *key = reading->country_key;
    uint32_t len = reading->country_key_len;

    if (strmap_get(&v->country_index, key, len, &index))
        return v->countries[index];
    if (!reserve(&v->countries, &v->country_cap, v->country_count + 1, sizeof *v->countries))
        return NULL;
    struct country *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->key = key;
    c->key_len = len;
    if (!strmap_put(&v->country_index, key, len, v->country_count)) {
        free(c);
        return NULL;
    }
    v->countries[v->country_count++] = c;
    return c;
}

/* Looks a country up without creating it. */
static struct country *view_find_country(const struct view *v, const struct event *reading)
{
    uint64_t index;
    if (!strmap_get(&v->country_index, reading->country_key, reading->country_key_len, &index))
        return NULL;
    return v->countries[index];
}

/* First place in joined whose join key is not below (day, seq). */
static size_t joined_position(const struct view *v, int32_t day, uint64_t seq)
{
    size_t lo = 0, hi = v->joined_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct country *c = v->joined[mid];
        if (compare_key(c->join_day, c->join_seq, day, seq) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Number of countries whose first join counts on or before day. */
static size_t joined_by(const struct view *v, int32_t day)
{
    size_t lo = 0, hi = v->joined_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->joined[mid]->join_day <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Moves c to its place in joined after its facts changed. */
static bool view_rejoin(struct view *v, struct country *c)
{
    int32_t day = 0;
    uint64_t seq = 0;
    bool joined = country_first_join(c, &day, &seq);

    if (joined == c->joined && (!joined || (day == c->join_day && seq == c->join_seq)))
        return true;
    if (!reserve(&v->joined, &v->joined_cap, v->joined_count + 1, sizeof *v->joined))
        return false;
    if (c->joined) {
        size_t at = joined_position(v, c->join_day, c->join_seq);
        memmove(&v->joined[at], &v->joined[at + 1], (v->joined_count - at - 1) * sizeof *v->joined);
        v->joined_count--;
    }
    c->joined = joined;
    c->join_day = day;
    c->join_seq = seq;
    if (joined) {
        size_t at = joined_position(v, day, seq);
        memmove(&v->joined[at + 1], &v->joined[at], (v->joined_count - at) * sizeof *v->joined);
        v->joined[at] = c;
        v->joined_count++;
    }
    return true;
}

static size_t established_position(const struct view *v, int32_t day, uint64_t seq)
{
    size_t lo = 0, hi = v->established_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct state_act *a = &v->established[mid];
        if (compare_key(a->event->date.counting_day, a->seq, day, seq) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Adds a reading of fact seq at its sorted place. */
static bool view_insert(struct view *v, const struct event *reading, uint64_t seq)
{
    if (reading->type == EVENT_ESTABLISHED) {
        if (!reserve(&v->established, &v->established_cap, v->established_count + 1,
                     sizeof *v->established))
            return false;
        size_t at = established_position(v, reading->date.counting_day, seq);
        memmove(&v->established[at + 1], &v->established[at],
                (v->established_count - at) * sizeof *v->established);
        v->established[at] = (struct state_act){ reading, seq };
        v->established_count++;
        return true;
    }
    if (reading->country_key == NULL)
        return true; /* the coalition speaking: no state's act */

    struct country *c = view_country(v, reading);
    if (c == NULL)
        return false;
    if (reading->type == EVENT_ANNOUNCED)
        return country_insert_announcement(c, reading, seq);
    return country_insert_act(c, reading, seq) && view_rejoin(v, c);
}

/* Takes the reading of fact seq out again (it is being corrected or retracted). */
static bool view_remove(struct view *v, const struct event *reading, uint64_t seq)
{
    if (reading->type == EVENT_ESTABLISHED) {
        size_t at = established_position(v, reading->date.counting_day, seq);
        if (at < v->established_count && v->established[at].seq == seq) {
            memmove(&v->established[at], &v->established[at + 1],
                    (v->established_count - at - 1) * sizeof *v->established);
            v->established_count--;
        }
        return true;
    }
    if (reading->country_key == NULL)
        return true;

    struct country *c = view_find_country(v, reading);
    if (c == NULL)
        return true;
    if (reading->type == EVENT_ANNOUNCED) {
        country_remove_announcement(c, reading, seq);
        return true;
    }
    country_remove_act(c, reading, seq);
    return view_rejoin(v, c);
}

/* ---- views for an old cut ---------------------------------------------------- */

/* Appends a reading unsorted; view_finish sorts. */
static bool view_append(struct view *v, const struct event *reading, uint64_t seq)
{
    if (reading->type == EVENT_ESTABLISHED) {
        if (!reserve(&v->established, &v->established_cap, v->established_count + 1,
                     sizeof *v->established))
            return false;
        v->established[v->established_count++] = (struct state_act){ reading, seq };
        return true;
    }
    if (reading->country_key == NULL)
        return true;

    struct country *c = view_country(v, reading);
    if (c == NULL)
        return false;
    if (reading->type == EVENT_ANNOUNCED) {
        if (!reserve(&c->announcements, &c->announcement_cap, c->announcement_count + 1,
                     sizeof *c->announcements))
            return false;
        c->announcements[c->announcement_count++] = (struct state_act){ reading, seq };
        return true;
    }
    if (!reserve(&c->acts, &c->act_cap, c->act_count + 1, sizeof *c->acts))
        return false;
    c->acts[c->act_count++] = (struct state_act){ reading, seq };
    return true;
}

static int compare_joined(const void *a, const void *b)
{
    const struct country *x = *(struct country *const *)a, *y = *(struct country *const *)b;
    return compare_key(x->join_day, x->join_seq, y->join_day, y->join_seq);
}

/* Sorts what view_append gathered and computes the running status and joins. */
static bool view_finish(struct view *v)
{
    sort_array(v->established, v->established_count, sizeof *v->established, compare_acts);
    if (!reserve(&v->joined, &v->joined_cap, v->country_count, sizeof *v->joined))
        return false;
    for (size_t i = 0; i < v->country_count; i++) {
        struct country *c = v->countries[i];

        sort_array(c->acts, c->act_count, sizeof *c->acts, compare_acts);
        if (c->act_cap > 0 && (c->running = calloc(c->act_cap, sizeof *c->running)) == NULL)
            return false;
        country_replay(c, 0);

        sort_array(c->announcements, c->announcement_count, sizeof *c->announcements, compare_acts);
        if (c->announcement_cap > 0 &&
            (c->announcement_days = calloc(c->announcement_cap, sizeof(int32_t))) == NULL)
            return false;
        for (size_t k = 0; k < c->announcement_count; k++)
            c->announcement_days[k] = c->announcements[k].event->date.counting_day;

        c->joined = country_first_join(c, &c->join_day, &c->join_seq);
        if (c->joined)
            v->joined[v->joined_count++] = c;
    }
    sort_array(v->joined, v->joined_count, sizeof *v->joined, compare_joined);
    return true;
}

static bool meta_applies(const struct membership *m, const struct event *meta,
                         const struct coalition *co);

/*
 * A view of coalition co as the log stood at cut: its events up to the cut,
 * each fact read through the latest meta event up to the cut (§3.1–2). Costs
 * O(k log k) for the coalition's k events. NULL if memory runs out.
 */
static struct view *view_at_cut(const struct membership *m, const struct coalition *co,
                                uint64_t cut)
{
    size_t n = seqs_upto(co->seqs, co->seq_count, cut);
    struct view *v = malloc(sizeof *v);
    if (v == NULL)
        return NULL;
    view_init(v);
    const struct event **readings = calloc(n ? n : 1, sizeof *readings);
    if (readings == NULL)
        goto fail;

    for (size_t i = 0; i < n; i++) {
        const struct event *ev = m->slots[co->seqs[i] - 1].event;
        if (event_type_is_fact(ev->type)) {
            readings[i] = ev;
        } else if (meta_applies(m, ev, co)) {
            /* The target is an earlier fact of co: it is among seqs[0..i). */
            size_t at = seqs_upto(co->seqs, i, ev->target) - 1;
            readings[at] = ev->type == EVENT_CORRECTED ? ev->fact : NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (readings[i] && !view_append(v, readings[i], co->seqs[i]))
            goto fail;
    }
    if (!view_finish(v))
        goto fail;
    free(readings);
    return v;

fail:
    free(readings);
    view_free(v);
    return NULL;
}

/* ---- the log ----------------------------------------------------------------- */

struct membership *membership_new(void)
{
    struct membership *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    if ((m->cut_cache = calloc(1, sizeof *m->cut_cache)) == NULL) {
        free(m);
        return NULL;
    }
    strmap_init(&m->ids);
    strmap_init(&m->slugs);
    return m;
}

void membership_free(struct membership *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < CUT_CACHE_SIZE; i++)
        view_unref(m->cut_cache->entries[i].view);
    free(m->cut_cache);
    for (size_t i = 0; i < m->coalition_count; i++) {
        struct coalition *co = m->coalitions[i];
        view_release(&co->view);
        free(co->seqs);
        free(co);
    }
    for (size_t i = 0; i < m->slot_count; i++)
        event_free(m->slots[i].event);
    free(m->coalitions);
    free(m->slots);
    strmap_free(&m->ids);
    strmap_free(&m->slugs);
    free(m);
}

uint64_t membership_head(const struct membership *m)
{
    return m->slot_count;
}

const struct event *membership_event(const struct membership *m, uint64_t seq)
{
    if (seq == 0 || seq > m->slot_count)
        return NULL;
    return m->slots[seq - 1].event;
}

static struct coalition *find_coalition(const struct membership *m, const char *slug, size_t len)
{
    uint64_t index;
    if (!strmap_get(&m->slugs, slug, len, &index))
        return NULL;
    return m->coalitions[index];
}

/* The coalition of a new event, created on its first event. */
static struct coalition *coalition_for(struct membership *m, const struct event *ev)
{
    const char *slug = ev->field[FIELD_COALITION];
    size_t len = ev->field_len[FIELD_COALITION];
    struct coalition *co = find_coalition(m, slug, len);
    if (co)
        return co;

    if (!reserve(&m->coalitions, &m->coalition_cap, m->coalition_count + 1,
                 sizeof *m->coalitions) ||
        (co = calloc(1, sizeof *co)) == NULL)
        out_of_memory(ev->seq);
    co->slug = slug;
    view_init(&co->view);
    if (!strmap_put(&m->slugs, slug, len, m->coalition_count))
        out_of_memory(ev->seq);
    m->coalitions[m->coalition_count++] = co;
    return co;
}

/*
 * Whether a meta event in the log takes effect: its target is an earlier fact
 * of its own coalition. Appends are checked for this (membership_check_batch),
 * so it only guards against a log that was never checked.
 */
static bool meta_applies(const struct membership *m, const struct event *meta,
                         const struct coalition *co)
{
    if (meta->target == 0 || meta->target >= meta->seq || meta->target > m->slot_count)
        return false;
    const struct slot *target = &m->slots[meta->target - 1];
    return event_type_is_fact(target->event->type) && target->coalition == co;
}

void membership_apply(struct membership *m, struct event *ev)
{
    uint64_t seq = ev->seq;
    if (seq != m->slot_count + 1) {
        fprintf(stderr, "membership: seq %" PRIu64 " applied after head %zu\n", seq, m->slot_count);
        abort();
    }
    if (!reserve(&m->slots, &m->slot_cap, m->slot_count + 1, sizeof *m->slots))
        out_of_memory(seq);
    struct coalition *co = coalition_for(m, ev);
    if (!reserve(&co->seqs, &co->seq_cap, co->seq_count + 1, sizeof *co->seqs))
        out_of_memory(seq);
    co->seqs[co->seq_count++] = seq;

    struct slot *slot = &m->slots[m->slot_count++];
    *slot = (struct slot){ ev, NULL, co };
    const char *id = ev->field[FIELD_ID];
    if (id && !strmap_get(&m->ids, id, ev->field_len[FIELD_ID], NULL) &&
        !strmap_put(&m->ids, id, ev->field_len[FIELD_ID], seq))
        out_of_memory(seq);

    if (event_type_is_fact(ev->type)) {
        if (ev->type == EVENT_ESTABLISHED)
            co->founded = true;
        slot->reading = ev;
        if (!m->bulk && !view_insert(&co->view, ev, seq))
            out_of_memory(seq);
        return;
    }
    if (!meta_applies(m, ev, co))
        return;
    struct slot *target = &m->slots[ev->target - 1];
    if (!m->bulk && target->reading && !view_remove(&co->view, target->reading, ev->target))
        out_of_memory(seq);
    target->reading = ev->type == EVENT_CORRECTED ? ev->fact : NULL;
    if (!m->bulk && target->reading && !view_insert(&co->view, target->reading, ev->target))
        out_of_memory(seq);
}

void membership_begin_bulk(struct membership *m)
{
    m->bulk = true;
}

void membership_end_bulk(struct membership *m)
{
    m->bulk = false;
    for (size_t i = 0; i < m->coalition_count; i++) {
        struct coalition *co = m->coalitions[i];
        /* Every fact's current reading, gathered in seq order, then sorted once. */
        view_release(&co->view);
        for (size_t k = 0; k < co->seq_count; k++) {
            const struct slot *slot = &m->slots[co->seqs[k] - 1];
            if (slot->reading && !view_append(&co->view, slot->reading, co->seqs[k]))
                out_of_memory(co->seqs[k]);
        }
        if (!view_finish(&co->view))
            out_of_memory(co->seqs[co->seq_count - 1]);
    }
}

uint64_t membership_seq_at_time(const struct membership *m, int64_t time_us)
{
    /* recorded never decreases along seq, so the answer is a partition point. */
    size_t lo = 0, hi = m->slot_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->slots[mid].event->recorded_us <= time_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const uint64_t *membership_coalition_seqs(const struct membership *m, const char *slug,
                                          size_t *count)
{
    const struct coalition *co = find_coalition(m, slug, strlen(slug));
    *count = co ? co->seq_count : 0;
    return co ? co->seqs : NULL;
}

/* Keeps v (one more reference) as the view of co at cut, evicting the oldest. */
static void cache_cut_view(struct cut_cache *cache, const struct coalition *co, uint64_t cut,
                           struct view *v)
{
    struct cut_view *slot = &cache->entries[0];
    for (size_t i = 1; i < CUT_CACHE_SIZE; i++) {
        if (cache->entries[i].used < slot->used)
            slot = &cache->entries[i];
    }
    view_unref(slot->view);
    v->refs++;
    *slot = (struct cut_view){ co, cut, v, ++cache->clock };
}

/*
 * The view that answers for coalition co at cut: the maintained one when the
 * cut includes all of co's events, else one for the cut, from the cache or
 * built, in *temp: the caller holds a reference and lets go with view_unref.
 * NULL (and *temp NULL) if memory runs out.
 */
static const struct view *view_for(const struct membership *m, const struct coalition *co,
                                   uint64_t cut, struct view **temp)
{
    struct cut_cache *cache = m->cut_cache;
    size_t n = seqs_upto(co->seqs, co->seq_count, cut);

    *temp = NULL;
    if (n == co->seq_count)
        return &co->view;
    /* Cuts between two of co's events see the same view: key by co's own seq. */
    cut = co->seqs[n - 1];
    for (size_t i = 0; i < CUT_CACHE_SIZE; i++) {
        struct cut_view *entry = &cache->entries[i];
        if (entry->coalition == co && entry->cut == cut) {
            entry->used = ++cache->clock;
            entry->view->refs++;
            return *temp = entry->view;
        }
    }
    if ((*temp = view_at_cut(m, co, cut)) == NULL)
        return NULL;
    (*temp)->refs = 1;
    cache_cut_view(cache, co, cut, *temp);
    return *temp;
}

/* The coalition of slug with an event at or before cut, or NULL. */
static const struct coalition *coalition_at(const struct membership *m, const char *slug,
                                            uint64_t cut)
{
    const struct coalition *co = find_coalition(m, slug, strlen(slug));
    if (co == NULL || co->seqs[0] > cut)
        return NULL;
    return co;
}

/* ---- checking an append ------------------------------------------------------ */

/* What a batch adds as it is checked, event by event. */
struct batch {
    struct event *const *events;
    uint64_t head;
    size_t fresh;          /* new events so far: the next one gets head + fresh + 1 */
    size_t *fresh_index;   /* fresh_index[k]: batch index of the event with seq head+1+k */
    uint64_t *seq_of;      /* seq_of[i]: the seq event i gets, or the original of a repeat */
    struct strmap ids;     /* id -> batch index of a new event */
    struct strmap founded; /* slugs established in the batch */
};

static bool refuse(struct append_error *err, enum rpc_error code, size_t index, const char *field,
                   uint64_t seq, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static bool refuse(struct append_error *err, enum rpc_error code, size_t index, const char *field,
                   uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    err->code = code;
    err->index = index;
    err->seq = seq;
    snprintf(err->field, sizeof err->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

/*
 * Idempotency (§4). Returns 1 when event i repeats an earlier event (and sets
 * *original), 0 when it is new, -1 on a conflict (err filled in).
 */
static int check_id(const struct membership *m, const struct batch *b, size_t i, uint64_t *original,
                    struct append_error *err)
{
    const struct event *ev = b->events[i];
    const char *id = ev->field[FIELD_ID];
    size_t len = ev->field_len[FIELD_ID];
    uint64_t seq, earlier;

    if (id == NULL)
        return 0;
    if (strmap_get(&m->ids, id, len, &seq)) {
        if (event_same_content(m->slots[seq - 1].event, ev)) {
            *original = seq;
            return 1;
        }
        refuse(err, RPC_CONFLICT, i, RC_KEY_ID, seq,
               "id '%.*s' was used by seq %" PRIu64 " with other content",
               (int)(len > 128 ? 128 : len), id, seq);
        return -1;
    }
    if (strmap_get(&b->ids, id, len, &earlier)) {
        if (event_same_content(b->events[earlier], ev)) {
            *original = b->seq_of[earlier];
            return 1;
        }
        refuse(err, RPC_CONFLICT, i, RC_KEY_ID, b->seq_of[earlier],
               "id '%.*s' was used by event %zu of this batch (seq %" PRIu64 ") with other content",
               (int)(len > 128 ? 128 : len), id, (size_t)earlier, b->seq_of[earlier]);
        return -1;
    }
    return 0;
}

/* The coalition exists: established in the log or earlier in the batch. */
static bool check_coalition(const struct membership *m, const struct batch *b, size_t i,
                            struct append_error *err)
{
    const struct event *ev = b->events[i];
    const char *slug = ev->field[FIELD_COALITION];
    size_t len = ev->field_len[FIELD_COALITION];

    if (ev->type == EVENT_ESTABLISHED)
        return true;
    const struct coalition *co = find_coalition(m, slug, len);
    if ((co && co->founded) || strmap_get(&b->founded, slug, len, NULL))
        return true;
    return refuse(err, RPC_UNKNOWN_COALITION, i, RC_KEY_COALITION, 0,
                  "unknown coalition '%s': record an `established` event first", slug);
}

/* A meta event's target: a fact of the same coalition, stored or earlier in the batch. */
static bool check_target(const struct membership *m, const struct batch *b, size_t i,
                         struct append_error *err)
{
    const struct event *ev = b->events[i];
    uint64_t t = ev->target;
    const struct event *target;

    if (t >= 1 && t <= b->head) {
        target = m->slots[t - 1].event;
    } else if (t > b->head && t - b->head <= b->fresh) {
        target = b->events[b->fresh_index[t - b->head - 1]];
    } else if (b->fresh > 0) {
        return refuse(err, RPC_NOT_FOUND, i, RC_KEY_TARGET, t,
                      "no event with seq %" PRIu64 ": the log ends at seq %" PRIu64
                      " and this batch adds %zu before this event",
                      t, b->head, b->fresh);
    } else {
        return refuse(err, RPC_NOT_FOUND, i, RC_KEY_TARGET, t,
                      "no event with seq %" PRIu64 ": the log ends at seq %" PRIu64, t, b->head);
    }

    if (!event_type_is_fact(target->type))
        return refuse(err, RPC_NOT_FOUND, i, RC_KEY_TARGET, t,
                      "seq %" PRIu64 " is a %s event of coalition '%s', not a fact", t,
                      event_type_name(target->type), target->field[FIELD_COALITION]);
    if (!key_equals(target->field[FIELD_COALITION], target->field_len[FIELD_COALITION],
                    ev->field[FIELD_COALITION], ev->field_len[FIELD_COALITION]))
        return refuse(err, RPC_NOT_FOUND, i, RC_KEY_TARGET, t,
                      "seq %" PRIu64 " is a fact of coalition '%s', not of '%s'", t,
                      target->field[FIELD_COALITION], ev->field[FIELD_COALITION]);
    if (ev->type == EVENT_CORRECTED &&
        (target->type == EVENT_ESTABLISHED) != (ev->fact->type == EVENT_ESTABLISHED))
        return refuse(err, RPC_INVALID_EVENT, i, "fact.type", t,
                      target->type == EVENT_ESTABLISHED
                          ? "seq %" PRIu64 " is an `established` fact: it can only be "
                            "corrected into another `established` fact"
                          : "seq %" PRIu64 " is a state's act: it can't be corrected into "
                            "an `established` fact",
                      t);
    return true;
}

/* Records new event i so that later events of the batch can refer to it. */
static bool batch_add(struct batch *b, size_t i)
{
    const struct event *ev = b->events[i];
    b->fresh_index[b->fresh] = i;
    b->fresh++;
    b->seq_of[i] = b->head + b->fresh;
    if (ev->field[FIELD_ID] &&
        !strmap_put(&b->ids, ev->field[FIELD_ID], ev->field_len[FIELD_ID], i))
        return false;
    if (ev->type == EVENT_ESTABLISHED &&
        !strmap_put(&b->founded, ev->field[FIELD_COALITION], ev->field_len[FIELD_COALITION], 1))
        return false;
    return true;
}

bool membership_check_batch(const struct membership *m, struct event *const *events, size_t count,
                            uint64_t *repeat_seq, struct append_error *err)
{
    struct batch b = { events, m->slot_count, 0, NULL, NULL, STRMAP_INIT, STRMAP_INIT };
    bool ok = false;

    memset(err, 0, sizeof *err);
    b.fresh_index = malloc((count ? count : 1) * sizeof *b.fresh_index);
    b.seq_of = malloc((count ? count : 1) * sizeof *b.seq_of);
    if (b.fresh_index == NULL || b.seq_of == NULL)
        goto out_of_memory;

    for (size_t i = 0; i < count; i++) {
        const struct event *ev = events[i];
        uint64_t original = 0;
        int repeat = check_id(m, &b, i, &original, err);

        repeat_seq[i] = 0;
        if (repeat < 0)
            goto done;
        if (repeat > 0) {
            repeat_seq[i] = original;
            b.seq_of[i] = original;
            continue;
        }
        if (!check_coalition(m, &b, i, err))
            goto done;
        if (event_type_is_meta(ev->type) && !check_target(m, &b, i, err))
            goto done;
        if (!batch_add(&b, i))
            goto out_of_memory;
    }
    ok = true;
    goto done;

out_of_memory:
    refuse(err, RPC_INTERNAL, 0, "", 0, "out of memory while checking the append");
done:
    free(b.fresh_index);
    free(b.seq_of);
    strmap_free(&b.ids);
    strmap_free(&b.founded);
    return ok;
}

/* ---- state ------------------------------------------------------------------- */

/* The latest `established` reading counting by day, or NULL. */
static const struct state_act *established_by(const struct view *v, int32_t day)
{
    size_t lo = 0, hi = v->established_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->established[mid].event->date.counting_day <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 ? &v->established[lo - 1] : NULL;
}

/*
 * Country c as it stands at day, from its facts counting by then; *member
 * (if not NULL) tells whether it is a member.
 */
static struct state_country country_at(const struct country *c, int32_t day, uint32_t ordinal,
                                       bool *member)
{
    size_t acts = acts_by(c, day);
    struct state_country sc = {
        .country = c->key,
        .country_len = c->key_len,
        .status = EVENT_ANNOUNCED,
        .ordinal = ordinal,
        .acts = c->acts,
        .act_count = acts,
        .announcements = c->announcements,
        .announcement_count = announcements_by(c, day),
    };
    if (acts > 0 && c->running[acts - 1].status != EVENT_TYPE_COUNT) {
        sc.status = (enum event_type)c->running[acts - 1].status;
        sc.since = c->running[acts - 1].since;
        sc.left = c->running[acts - 1].left;
    }
    if (member)
        *member = acts > 0 && c->running[acts - 1].member;
    return sc;
}

static bool is_member_at(const struct country *c, int32_t day)
{
    size_t acts = acts_by(c, day);
    return acts > 0 && c->running[acts - 1].member;
}

static int compare_pledged(const void *a, const void *b)
{
    const struct state_country *x = a, *y = b;
    return compare_acts(&x->announcements[0], &y->announcements[0]);
}

/*
 * Fills out from view v at day. The countries go into one array: members
 * from the front, former from the back (then reversed into ordinal order),
 * pledged in between; a country is in at most one of them.
 */
static bool view_state(const struct view *v, int32_t day, struct view *temp,
                       struct state_result *out)
{
    size_t n = v->country_count;
    struct state_scratch *s = malloc(sizeof *s + (n ? n : 1) * sizeof(struct state_country));
    if (s == NULL)
        return false;
    s->view = temp;
    struct state_country *all = s->countries;
    size_t members = 0, former = 0, pledged = 0;

    const struct state_act *founding = established_by(v, day);
    if (founding) {
        out->coalition.established = true;
        out->coalition.established_fact = founding->event;
        out->coalition.established_seq = founding->seq;
        /* Members and former members need a coalition to belong to. */
        size_t joined = joined_by(v, day);
        for (size_t i = 0; i < joined; i++) {
            const struct country *c = v->joined[i];
            bool member;
            struct state_country sc = country_at(c, day, (uint32_t)(i + 1), &member);
            if (member)
                all[members++] = sc;
            else
                all[n - 1 - former++] = sc;
        }
        for (size_t i = 0; i < former / 2; i++) {
            struct state_country t = all[n - former + i];
            all[n - former + i] = all[n - 1 - i];
            all[n - 1 - i] = t;
        }
    }
    /* Pledged: announced by the day, not (yet) joined by it. */
    for (size_t i = 0; i < n; i++) {
        const struct country *c = v->countries[i];
        if (c->joined && c->join_day <= day)
            continue;
        if (announcements_by(c, day) == 0)
            continue;
        all[members + pledged++] = country_at(c, day, 0, NULL);
    }
    sort_array(all + members, pledged, sizeof *all, compare_pledged);

    out->members = all;
    out->member_count = members;
    out->pledged = all + members;
    out->pledged_count = pledged;
    out->former = all + n - former;
    out->former_count = former;
    out->scratch = s;
    return true;
}

bool membership_state(const struct membership *m, const char *slug, int32_t at_day, uint64_t cut,
                      struct state_result *out)
{
    struct view *temp;

    memset(out, 0, sizeof *out);
    if (cut > m->slot_count)
        cut = m->slot_count;
    const struct coalition *co = coalition_at(m, slug, cut);
    if (co == NULL)
        return false;
    const struct view *v = view_for(m, co, cut, &temp);
    if (v == NULL)
        return false;
    if (!view_state(v, at_day, temp, out)) {
        view_unref(temp);
        return false;
    }
    out->coalition.slug = co->slug;
    out->at_day = at_day;
    out->as_of_seq = cut;
    return true;
}

void state_result_free(struct state_result *result)
{
    struct state_scratch *s = result->scratch;
    if (s) {
        view_unref(s->view);
        free(s);
    }
    memset(result, 0, sizeof *result);
}

/* ---- timeline ---------------------------------------------------------------- */

/* A country's next membership fact in the merge, with its key at hand. */
struct cursor {
    const struct country *country;
    size_t next, end;
    int32_t day;
    uint64_t seq;
};

static void cursor_load(struct cursor *cur)
{
    cur->day = cur->country->running[cur->next].day;
    cur->seq = cur->country->acts[cur->next].seq;
}

static bool cursor_before(const struct cursor *a, const struct cursor *b)
{
    return compare_key(a->day, a->seq, b->day, b->seq) < 0;
}

/* Restores the min-heap below position i. */
static void heap_sift_down(struct cursor *heap, size_t count, size_t i)
{
    for (;;) {
        size_t least = i, left = 2 * i + 1, right = 2 * i + 2;
        if (left < count && cursor_before(&heap[left], &heap[least]))
            least = left;
        if (right < count && cursor_before(&heap[right], &heap[least]))
            least = right;
        if (least == i)
            return;
        struct cursor t = heap[i];
        heap[i] = heap[least];
        heap[least] = t;
        i = least;
    }
}

/*
 * Merges the countries' sorted facts (a heap of one cursor per country). The
 * member count entering the window comes from each country's running status
 * just before it, so facts before since_day are never walked.
 */
static bool view_timeline(const struct view *v, int32_t since_day, int32_t until_day,
                          struct timeline_result *out)
{
    size_t total = 0, live = 0;
    uint32_t count = 0;
    struct cursor *heap = malloc((v->country_count ? v->country_count : 1) * sizeof *heap);
    if (heap == NULL)
        return false;

    for (size_t i = 0; i < v->country_count && since_day <= until_day; i++) {
        const struct country *c = v->countries[i];
        size_t start = acts_before(c, since_day), end = acts_by(c, until_day);
        if (start > 0 && c->running[start - 1].member)
            count++;
        if (start < end) {
            heap[live] = (struct cursor){ c, start, end, 0, 0 };
            cursor_load(&heap[live++]);
            total += end - start;
        }
    }
    out->points = malloc((total ? total : 1) * sizeof *out->points);
    if (out->points == NULL) {
        free(heap);
        return false;
    }
    for (size_t i = live; i-- > 0;)
        heap_sift_down(heap, live, i);

    while (live > 0) {
        struct cursor *top = &heap[0];
        const struct country *c = top->country;
        size_t k = top->next;
        bool was = k > 0 && c->running[k - 1].member, is = c->running[k].member;
        if (is && !was)
            count++;
        else if (was && !is)
            count--;
        out->points[out->point_count++] =
            (struct timeline_point){ c->acts[k].event, c->acts[k].seq, count };
        if (++top->next == top->end)
            heap[0] = heap[--live];
        else
            cursor_load(top);
        heap_sift_down(heap, live, 0);
    }
    free(heap);
    return true;
}

bool membership_timeline(const struct membership *m, const char *slug, int32_t since_day,
                         int32_t until_day, uint64_t cut, struct timeline_result *out)
{
    struct view *temp;

    memset(out, 0, sizeof *out);
    if (cut > m->slot_count)
        cut = m->slot_count;
    const struct coalition *co = coalition_at(m, slug, cut);
    if (co == NULL)
        return false;
    const struct view *v = view_for(m, co, cut, &temp);
    if (v == NULL)
        return false;
    /* Points refer to stored events, not to the view: a temporary one can go. */
    bool ok = view_timeline(v, since_day, until_day, out);
    view_unref(temp);
    if (!ok) {
        timeline_result_free(out);
        return false;
    }
    out->as_of_seq = cut;
    return true;
}

void timeline_result_free(struct timeline_result *result)
{
    free(result->points);
    memset(result, 0, sizeof *result);
}

/* ---- coalitions -------------------------------------------------------------- */

static size_t member_count_at(const struct view *v, int32_t day)
{
    size_t members = 0;
    if (established_by(v, day) == NULL)
        return 0;
    size_t joined = joined_by(v, day);
    for (size_t i = 0; i < joined; i++)
        members += is_member_at(v->joined[i], day);
    return members;
}

static int compare_summaries(const void *a, const void *b)
{
    const struct coalition_summary *x = a, *y = b;
    return strcmp(x->slug, y->slug);
}

size_t membership_coalitions(const struct membership *m, int32_t today, uint64_t cut,
                             struct coalition_summary **out)
{
    size_t n = 0;

    *out = NULL;
    if (cut > m->slot_count)
        cut = m->slot_count;
    if (m->coalition_count == 0)
        return 0;
    struct coalition_summary *list = malloc(m->coalition_count * sizeof *list);
    if (list == NULL)
        return 0;

    for (size_t i = 0; i < m->coalition_count; i++) {
        const struct coalition *co = m->coalitions[i];
        struct view *temp;
        if (co->seqs[0] > cut)
            continue;
        const struct view *v = view_for(m, co, cut, &temp);
        if (v == NULL) {
            free(list);
            return 0;
        }
        /* The name of the latest founding reading, whatever date it counts on. */
        const struct state_act *founding =
            v->established_count ? &v->established[v->established_count - 1] : NULL;
        list[n++] = (struct coalition_summary){
            .slug = co->slug,
            .name = founding ? founding->event->field[FIELD_NAME] : NULL,
            .members = (uint32_t)member_count_at(v, today),
            .events = seqs_upto(co->seqs, co->seq_count, cut),
        };
        view_unref(temp);
    }
    sort_array(list, n, sizeof *list, compare_summaries);
    if (n == 0) {
        free(list);
        return 0;
    }
    *out = list;
    return n;
}
