/*
 * query.c — the read methods: state, timeline, history, coalitions.
 *
 * Each parses its parameters, asks the projection (cut at the durable head,
 * or earlier when asked), and packs the result in the shapes that
 * doc/contract-notes.md fixes. Packing errors can only be out-of-memory; they
 * are collected with `rc |=` and answered as `internal` once at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "params.h"
#include "query.h"

/* ---- packing helpers ------------------------------------------------------ */

static int pack_text(msgpack_packer *pk, const char *key, const struct event *event,
                     enum event_field field)
{
    int rc = mp_pack_key(pk, key);
    if (event && event->field[field])
        rc |= mp_pack_strn(pk, event->field[field], event->field_len[field]);
    else
        rc |= msgpack_pack_nil(pk);
    return rc;
}

static int pack_acts(msgpack_packer *pk, const struct state_act *acts, size_t count)
{
    int rc = msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++) {
        rc |= msgpack_pack_map(pk, 3);
        rc |= mp_pack_key(pk, RC_KEY_SEQ) | msgpack_pack_uint64(pk, acts[i].seq);
        rc |= mp_pack_key(pk, RC_KEY_TYPE) | mp_pack_str(pk, event_type_name(acts[i].event->type));
        rc |= pack_text(pk, RC_KEY_DATE, acts[i].event, FIELD_DATE);
    }
    return rc;
}

static int pack_announcements(msgpack_packer *pk, const struct state_act *acts, size_t count)
{
    int rc = msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++) {
        const struct event *e = acts[i].event;
        rc |= msgpack_pack_map(pk, 6);
        rc |= mp_pack_key(pk, RC_KEY_SEQ) | msgpack_pack_uint64(pk, acts[i].seq);
        rc |= pack_text(pk, RC_KEY_DATE, e, FIELD_DATE);
        rc |= pack_text(pk, RC_KEY_VENUE, e, FIELD_VENUE);
        rc |= pack_text(pk, RC_KEY_SPEAKER, e, FIELD_SPEAKER);
        rc |= pack_text(pk, RC_KEY_COMMITMENT, e, FIELD_COMMITMENT);
        rc |= pack_text(pk, RC_KEY_TEXT, e, FIELD_TEXT);
    }
    return rc;
}

/* The non-empty commitments, oldest first (announcements are in date order). */
static int pack_commitments(msgpack_packer *pk, const struct state_act *acts, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        n += acts[i].event->field_len[FIELD_COMMITMENT] > 0;
    int rc = msgpack_pack_array(pk, n);
    for (size_t i = 0; i < count; i++) {
        const struct event *e = acts[i].event;
        if (e->field_len[FIELD_COMMITMENT] > 0)
            rc |= mp_pack_strn(pk, e->field[FIELD_COMMITMENT], e->field_len[FIELD_COMMITMENT]);
    }
    return rc;
}

enum section { SECTION_MEMBER, SECTION_PLEDGED, SECTION_FORMER };

static int pack_country(msgpack_packer *pk, const struct state_country *c, enum section section)
{
    static const unsigned sizes[] = {
        [SECTION_MEMBER] = 7, [SECTION_PLEDGED] = 3, [SECTION_FORMER] = 8
    };
    int rc = msgpack_pack_map(pk, sizes[section]);

    rc |= mp_pack_key(pk, RC_KEY_COUNTRY) | mp_pack_strn(pk, c->country, c->country_len);
    if (section != SECTION_PLEDGED) {
        rc |= mp_pack_key(pk, RC_KEY_STATUS) | mp_pack_str(pk, event_type_name(c->status));
        rc |= mp_pack_key(pk, RC_KEY_SINCE) | mp_pack_str(pk, c->since);
        if (section == SECTION_FORMER)
            rc |= mp_pack_key(pk, RC_KEY_LEFT) | mp_pack_str(pk, c->left);
        rc |= mp_pack_key(pk, RC_KEY_ORDINAL) | msgpack_pack_uint32(pk, c->ordinal);
        rc |= mp_pack_key(pk, RC_KEY_ACTS) | pack_acts(pk, c->acts, c->act_count);
    }
    rc |= mp_pack_key(pk, RC_KEY_ANNOUNCEMENTS) |
          pack_announcements(pk, c->announcements, c->announcement_count);
    rc |= mp_pack_key(pk, RC_KEY_COMMITMENTS) |
          pack_commitments(pk, c->announcements, c->announcement_count);
    return rc;
}

static int pack_countries(msgpack_packer *pk, const char *key, const struct state_country *list,
                          size_t count, enum section section)
{
    int rc = mp_pack_key(pk, key) | msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++)
        rc |= pack_country(pk, &list[i], section);
    return rc;
}

static int pack_state(msgpack_packer *pk, const struct state_result *s, const char *at_text)
{
    const struct event *founding = s->coalition.established_fact;
    int rc = msgpack_pack_map(pk, 7);

    rc |= mp_pack_key(pk, RC_KEY_COALITION) | msgpack_pack_map(pk, 6);
    rc |= mp_pack_key(pk, RC_KEY_SLUG) | mp_pack_str(pk, s->coalition.slug);
    rc |= mp_pack_key(pk, RC_KEY_ESTABLISHED);
    rc |= s->coalition.established ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    rc |= pack_text(pk, RC_KEY_NAME, founding, FIELD_NAME);
    rc |= pack_text(pk, RC_KEY_BASIS, founding, FIELD_BASIS);
    rc |= pack_text(pk, RC_KEY_PURPOSE, founding, FIELD_PURPOSE);
    rc |= pack_text(pk, RC_KEY_DATE, founding, FIELD_DATE);
    rc |= mp_pack_key(pk, RC_KEY_AT) | mp_pack_str(pk, at_text);
    rc |= mp_pack_key(pk, RC_KEY_AS_OF_SEQ) | msgpack_pack_uint64(pk, s->as_of_seq);
    rc |= mp_pack_key(pk, RC_KEY_COUNT) | msgpack_pack_uint64(pk, s->member_count);
    rc |= pack_countries(pk, RC_KEY_MEMBERS, s->members, s->member_count, SECTION_MEMBER);
    rc |= pack_countries(pk, RC_KEY_PLEDGED, s->pledged, s->pledged_count, SECTION_PLEDGED);
    rc |= pack_countries(pk, RC_KEY_FORMER, s->former, s->former_count, SECTION_FORMER);
    return rc;
}

static void reply_unknown_coalition(struct conn *conn, uint32_t msgid, const char *slug)
{
    conn_reply_error(conn, msgid, RPC_UNKNOWN_COALITION,
                     &(struct rpc_error_detail){ .field = RC_KEY_COALITION },
                     "unknown coalition '%s'", slug);
}

/* ---- methods ---------------------------------------------------------------- */

void query_state(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct params p;
    struct state_result result;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_STATE, map,
                      P_COALITION | P_AT | P_AS_OF_SEQ | P_AS_RECORDED, P_COALITION, &p))
        return;
    if (!membership_state(server->membership, p.coalition, p.at.counting_day,
                          params_cut(server, &p), &result)) {
        reply_unknown_coalition(conn, msgid, p.coalition);
        return;
    }
    int rc = conn_result_begin(&r, msgid) | pack_state(&r.pk, &result, p.at_text);
    state_result_free(&result);
    conn_result_send(conn, &r, rc);
}

void query_timeline(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct params p;
    struct timeline_result result;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_TIMELINE, map,
                      P_COALITION | P_SINCE | P_UNTIL | P_AS_OF_SEQ | P_AS_RECORDED, P_COALITION,
                      &p))
        return;
    int32_t since = (p.present & P_SINCE) ? p.since.first_day : INT32_MIN;
    int32_t until = (p.present & P_UNTIL) ? p.until.counting_day : INT32_MAX;
    if (!membership_timeline(server->membership, p.coalition, since, until, params_cut(server, &p),
                             &result)) {
        reply_unknown_coalition(conn, msgid, p.coalition);
        return;
    }
    int rc = conn_result_begin(&r, msgid) | msgpack_pack_map(&r.pk, 3);
    rc |= mp_pack_key(&r.pk, RC_KEY_COALITION) | mp_pack_str(&r.pk, p.coalition);
    rc |= mp_pack_key(&r.pk, RC_KEY_AS_OF_SEQ) | msgpack_pack_uint64(&r.pk, result.as_of_seq);
    rc |= mp_pack_key(&r.pk, RC_KEY_POINTS) | msgpack_pack_array(&r.pk, result.point_count);
    for (size_t i = 0; i < result.point_count; i++) {
        const struct timeline_point *point = &result.points[i];
        rc |= msgpack_pack_map(&r.pk, 5);
        rc |= pack_text(&r.pk, RC_KEY_DATE, point->event, FIELD_DATE);
        rc |= mp_pack_key(&r.pk, RC_KEY_COUNTRY) |
              mp_pack_strn(&r.pk, point->event->country_key, point->event->country_key_len);
        rc |= mp_pack_key(&r.pk, RC_KEY_TYPE) |
              mp_pack_str(&r.pk, event_type_name(point->event->type));
        rc |= mp_pack_key(&r.pk, RC_KEY_SEQ) | msgpack_pack_uint64(&r.pk, point->seq);
        rc |= mp_pack_key(&r.pk, RC_KEY_COUNT) | msgpack_pack_uint32(&r.pk, point->count);
    }
    timeline_result_free(&result);
    conn_result_send(conn, &r, rc);
}

/* ---- history ------------------------------------------------------------------ */

/* The country an event concerns: its own, its fact's, or its target's. */
static const struct event *concerned_fact(const struct membership *m, const struct event *e)
{
    if (e->type == EVENT_CORRECTED)
        return e->fact;
    if (e->type == EVENT_RETRACTED)
        return membership_event(m, e->target);
    return e;
}

static bool history_matches(const struct membership *m, const struct params *p,
                            const struct event *e)
{
    if ((p->present & P_COALITION) && strcmp(e->field[FIELD_COALITION], p->coalition) != 0)
        return false;
    if (p->types && !(p->types & (1u << e->type)))
        return false;
    if ((p->present & P_SINCE) && e->date.counting_day < p->since.first_day)
        return false;
    if ((p->present & P_UNTIL) && e->date.counting_day > p->until.counting_day)
        return false;
    if (p->present & P_COUNTRY) {
        const struct event *fact = concerned_fact(m, e);
        size_t len = strlen(p->country);
        if (fact == NULL || fact->country_key == NULL || fact->country_key_len != len ||
            memcmp(fact->country_key, p->country, len) != 0)
            return false;
    }
    return true;
}

static int by_date_then_seq(const void *a, const void *b)
{
    const struct event *x = *(const struct event *const *)a;
    const struct event *y = *(const struct event *const *)b;
    if (x->date.counting_day != y->date.counting_day)
        return x->date.counting_day < y->date.counting_day ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Walks candidate seqs from from_seq up to the cut: a coalition's own seqs
 * when one is named (so the page costs what that coalition holds), else the
 * whole log. Calls visit until it returns false.
 */
struct history_cursor {
    bool by_coalition; /* walk seqs[] rather than every seq from..cut */
    const uint64_t *seqs;
    size_t count, pos;
    uint64_t next, cut;
};

static void cursor_init(struct history_cursor *w, const struct membership *m,
                        const struct params *p, uint64_t cut)
{
    memset(w, 0, sizeof *w);
    w->cut = cut;
    w->next = p->from_seq;
    if (p->present & P_COALITION) {
        w->by_coalition = true;
        w->seqs = membership_coalition_seqs(m, p->coalition, &w->count);
        /* Binary search for the first seq >= from_seq. */
        size_t lo = 0, hi = w->count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (w->seqs[mid] < p->from_seq)
                lo = mid + 1;
            else
                hi = mid;
        }
        w->pos = lo;
    }
}

static uint64_t cursor_next(struct history_cursor *w)
{
    if (w->by_coalition) {
        if (w->pos >= w->count || w->seqs[w->pos] > w->cut)
            return 0;
        return w->seqs[w->pos++];
    }
    return w->next <= w->cut ? w->next++ : 0;
}

void query_history(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    const struct membership *m = server->membership;
    struct params p;
    struct history_cursor cursor;
    const struct event **page;
    size_t n = 0;
    uint64_t seq, next_seq = 0;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_HISTORY, map,
                      P_COALITION | P_COUNTRY | P_TYPES | P_SINCE | P_UNTIL | P_FROM_SEQ | P_LIMIT |
                          P_ORDER,
                      0, &p))
        return;
    if ((page = calloc(p.limit, sizeof *page)) == NULL) {
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        return;
    }
    cursor_init(&cursor, m, &p, server->durable_head);
    while ((seq = cursor_next(&cursor)) != 0) {
        const struct event *e = membership_event(m, seq);
        if (e == NULL || !history_matches(m, &p, e))
            continue;
        if (n == p.limit) {
            next_seq = seq; /* the next page starts at the next match */
            break;
        }
        page[n++] = e;
    }
    if (p.order_by_date)
        qsort(page, n, sizeof *page, by_date_then_seq);

    int rc = conn_result_begin(&r, msgid) | msgpack_pack_map(&r.pk, 2);
    rc |= mp_pack_key(&r.pk, RC_KEY_EVENTS) | msgpack_pack_array(&r.pk, n);
    for (size_t i = 0; i < n; i++)
        rc |= event_pack(&r.pk, page[i], ENCODE_WIRE);
    rc |= mp_pack_key(&r.pk, RC_KEY_NEXT_SEQ);
    rc |= next_seq ? msgpack_pack_uint64(&r.pk, next_seq) : msgpack_pack_nil(&r.pk);
    free(page);
    conn_result_send(conn, &r, rc);
}

void query_coalitions(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct coalition_summary *list = NULL;
    struct params p;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_COALITIONS, map, 0, 0, &p))
        return;
    size_t count =
        membership_coalitions(server->membership, rc_today(), server->durable_head, &list);
    int rc = conn_result_begin(&r, msgid) | msgpack_pack_map(&r.pk, 1);
    rc |= mp_pack_key(&r.pk, RC_KEY_COALITIONS) | msgpack_pack_array(&r.pk, count);
    for (size_t i = 0; i < count; i++) {
        rc |= msgpack_pack_map(&r.pk, 4);
        rc |= mp_pack_key(&r.pk, RC_KEY_COALITION) | mp_pack_str(&r.pk, list[i].slug);
        rc |= mp_pack_key(&r.pk, RC_KEY_NAME) | mp_pack_str(&r.pk, list[i].name);
        rc |= mp_pack_key(&r.pk, RC_KEY_COUNT) | msgpack_pack_uint32(&r.pk, list[i].members);
        rc |= mp_pack_key(&r.pk, RC_KEY_EVENTS) | msgpack_pack_uint64(&r.pk, list[i].events);
    }
    free(list);
    conn_result_send(conn, &r, rc);
}
