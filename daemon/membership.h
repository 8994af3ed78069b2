/*
 * membership.h — the projection: events folded into per-coalition membership
 * (events.md §3), and the checks an append needs (§2, §4).
 *
 * Pure: no I/O, no libuv, no clock. The daemon feeds it every stored event in
 * seq order (at recovery, then as appends are written) and asks it questions.
 * Tests and offline tools use it the same way.
 *
 * Queries take a cut (a seq): the answer is as the log stood with events
 * 1..cut. The daemon passes its durable head, so an event written but not yet
 * durable is never seen by a reader. A cut at or past a coalition's last
 * event is answered from the incrementally maintained view; an older cut
 * rebuilds a view from that coalition's events alone.
 *
 * Results point into the projection: they stay valid until the next
 * membership_apply (the daemon answers a query before it applies anything
 * else, on the same thread).
 */
#ifndef ROLLCALL_MEMBERSHIP_H
#define ROLLCALL_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "protocol.h"

struct membership;

struct membership *membership_new(void);
void membership_free(struct membership *m);

/* Last seq applied (0 when empty). */
uint64_t membership_head(const struct membership *m);

/* The stored event at seq, or NULL. */
const struct event *membership_event(const struct membership *m, uint64_t seq);

/* Why an append would be refused. */
struct append_error {
    enum rpc_error code; /* RPC_INVALID_EVENT, RPC_UNKNOWN_COALITION, RPC_NOT_FOUND, RPC_CONFLICT */
    size_t index;        /* the event's place in the batch */
    char field[32];      /* the field at fault, "" if none */
    uint64_t seq;        /* conflict on id: the original seq; not_found: the target */
    char message[256];
};

/*
 * Checks a batch against the log and against itself, as if its events were
 * appended in order with seqs head+1, head+2, … (a repeat takes no seq):
 *  - the coalition has an `established` event (earlier in the log or in the
 *    batch) unless the event is one;
 *  - a meta event's target is a fact of the same coalition, stored or earlier
 *    in the batch; a correction's fact keeps the target's coalition and an
 *    `established` target stays `established`;
 *  - an `id` already in the log (or earlier in the batch) with the same
 *    content is a repeat: repeat_seq[i] is the original seq; with other
 *    content it is a conflict. repeat_seq[i] is 0 for a new event.
 * Returns true when the batch can be appended; false with err filled in
 * (RPC_INTERNAL if memory ran out while checking).
 */
bool membership_check_batch(const struct membership *m, struct event *const *events, size_t count,
                            uint64_t *repeat_seq, struct append_error *err);

/*
 * Folds in a stored event. event->seq must be head + 1 and the event must have
 * passed membership_check_batch (or come from the log, where it once did).
 * Takes ownership of event. Aborts on allocation failure: the projection must
 * never silently diverge from the log.
 */
void membership_apply(struct membership *m, struct event *event);

/*
 * Bulk loading, for the replay at start-up: between begin and end,
 * membership_apply keeps the log, the ids and each fact's reading but not the
 * per-country views, which membership_end_bulk then builds once per coalition
 * by sorting: O(n log n) for the whole log, where folding events in one by one
 * costs a re-sort of the country's facts each time a date arrives out of order.
 * No query may run in between (membership_check_batch may).
 */
void membership_begin_bulk(struct membership *m);
void membership_end_bulk(struct membership *m);

/* Last seq recorded at or before time_us (0 if none). */
uint64_t membership_seq_at_time(const struct membership *m, int64_t time_us);

/* ---- state (events.md §3.6) -------------------------------------------- */

struct state_act {
    const struct event *event; /* the fact as it reads at the cut (maybe a correction's fact) */
    uint64_t seq;              /* the fact's own seq */
};

struct state_country {
    const char *country; /* trimmed */
    size_t country_len;
    enum event_type status;       /* last membership type that applied; meaningless for pledged */
    const char *since;            /* date text of the fact that made it a member (NULL if never) */
    const char *left;             /* former members: date text of the withdrawal */
    uint32_t ordinal;             /* 1-based; 0 for pledged */
    const struct state_act *acts; /* membership facts counting by the date, in (date, seq) order */
    size_t act_count;
    const struct state_act *announcements; /* likewise, `announced` facts */
    size_t announcement_count;
};

struct state_coalition {
    const char *slug;
    bool established;
    const struct event *established_fact; /* the latest that counts; NULL if none */
    uint64_t established_seq;
};

struct state_result {
    struct state_coalition coalition;
    int32_t at_day;
    uint64_t as_of_seq;
    struct state_country *members; /* by ordinal */
    size_t member_count;
    struct state_country *pledged; /* by first announcement (date, seq) */
    size_t pledged_count;
    struct state_country *former; /* by ordinal */
    size_t former_count;
    void *scratch; /* owned storage; freed by state_result_free */
};

/*
 * State of coalition slug at day at_day with the log cut at seq cut (cut is
 * clamped to the head). Returns false if no event of the coalition exists
 * at the cut (the daemon answers unknown_coalition), and also if memory runs
 * out (membership_coalition_seqs tells the two apart). An existing coalition
 * with no `established` counting by at_day has coalition.established false and
 * no members and no former members; pledged is listed all the same.
 *
 * A country's ordinal follows the (date, seq) of the first fact that made it
 * a member. pledged lists the countries with an announcement counting by
 * at_day that were never members by then (a withdrawal by a non-member
 * changes nothing, so it does not keep a country out of pledged).
 */
bool membership_state(const struct membership *m, const char *slug, int32_t at_day, uint64_t cut,
                      struct state_result *out);
void state_result_free(struct state_result *result);

/* ---- timeline ------------------------------------------------------------ */

struct timeline_point {
    const struct event *event; /* the membership fact as it reads at the cut */
    uint64_t seq;
    uint32_t count; /* members after this point */
};

struct timeline_result {
    uint64_t as_of_seq;
    struct timeline_point *points;
    size_t point_count;
};

/*
 * Every membership fact of the coalition in (counting date, seq) order with
 * the running member count after it, keeping those whose counting day lies in
 * [since_day, until_day] (the count includes the facts before since_day).
 * The count follows the facts alone, whether or not the coalition was
 * established by then. Returns false for an unknown coalition, or if memory
 * runs out.
 */
bool membership_timeline(const struct membership *m, const char *slug, int32_t since_day,
                         int32_t until_day, uint64_t cut, struct timeline_result *out);
void timeline_result_free(struct timeline_result *result);

/* ---- coalitions and history ------------------------------------------------ */

struct coalition_summary {
    const char *slug;
    const char *name; /* from the latest `established` (date, seq) at the cut; NULL if retracted */
    uint32_t members; /* members at today with the given cut */
    uint64_t events;  /* events of the coalition with seq <= cut */
};

/*
 * Every coalition with an event at or before cut, sorted by slug. Caller frees
 * *out. Returns 0 with *out NULL when there is none, or if memory runs out.
 */
size_t membership_coalitions(const struct membership *m, int32_t today, uint64_t cut,
                             struct coalition_summary **out);

/* Seqs of a coalition's events (all types), ascending; NULL/0 if unknown. */
const uint64_t *membership_coalition_seqs(const struct membership *m, const char *slug,
                                          size_t *count);

#endif
