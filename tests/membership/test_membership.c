/*
 * test_membership.c — the projection against events.md §5 (the worked
 * example, from literal events and from examples/mmas.jsonl), the derivation
 * rules one by one, and the checks an append goes through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membership.h"
#include "testkit.h"

/* ---- helpers ----------------------------------------------------------------- */

#define HEAD UINT64_MAX

static void state_at(const struct membership *m, const char *slug, const char *at, uint64_t cut,
                     struct state_result *r)
{
    if (!membership_state(m, slug, tk_day(at), cut, r))
        fail_msg("no state for '%s' at %s", slug, at);
}

static bool country_is(const struct state_country *c, const char *name)
{
    return c->country_len == strlen(name) && memcmp(c->country, name, c->country_len) == 0;
}

/* names: NULL-terminated, in the order expected. */
static void assert_countries(const struct state_country *list, size_t count, const char *what,
                             const char *const *names)
{
    size_t expected = 0;
    while (names[expected])
        expected++;
    if (count != expected) {
        fprintf(stderr, "%s: %zu countries, expected %zu:", what, count, expected);
        for (size_t i = 0; i < count; i++)
            fprintf(stderr, " '%.*s'", (int)list[i].country_len, list[i].country);
        fprintf(stderr, "\n");
        fail();
    }
    for (size_t i = 0; i < count; i++) {
        if (!country_is(&list[i], names[i]))
            fail_msg("%s[%zu] is '%.*s', expected '%s'", what, i, (int)list[i].country_len,
                     list[i].country, names[i]);
    }
}

#define MEMBERS(r, ...)                                                                            \
    assert_countries((r)->members, (r)->member_count, "members",                                   \
                     (const char *const[]){ __VA_ARGS__, NULL })
#define PLEDGED(r, ...)                                                                            \
    assert_countries((r)->pledged, (r)->pledged_count, "pledged",                                  \
                     (const char *const[]){ __VA_ARGS__, NULL })
#define FORMER(r, ...)                                                                             \
    assert_countries((r)->former, (r)->former_count, "former",                                     \
                     (const char *const[]){ __VA_ARGS__, NULL })

static const struct state_country *find_country(const struct state_country *list, size_t count,
                                                const char *name)
{
    for (size_t i = 0; i < count; i++) {
        if (country_is(&list[i], name))
            return &list[i];
    }
    fail_msg("'%s' not listed", name);
    return NULL;
}

static void assert_member(const struct state_result *r, const char *name, uint32_t ordinal,
                          enum event_type status, const char *since)
{
    const struct state_country *c = find_country(r->members, r->member_count, name);
    assert_int_equal(c->ordinal, ordinal);
    assert_string_equal(event_type_name(c->status), event_type_name(status));
    assert_non_null(c->since);
    assert_string_equal(c->since, since);
}

/* The non-empty commitments of a country's announcements, oldest first, joined by '|'. */
static void commitments(const struct state_country *c, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < c->announcement_count; i++) {
        const char *commitment = c->announcements[i].event->field[FIELD_COMMITMENT];
        if (commitment == NULL || commitment[0] == '\0')
            continue;
        if (out[0])
            strncat(out, "|", size - strlen(out) - 1);
        strncat(out, commitment, size - strlen(out) - 1);
    }
}

/* ---- the worked example (events.md §5) --------------------------------------- */

static struct membership *worked_example_literal(void)
{
    struct membership *m = membership_new();
    assert_non_null(m);
    tk_record(m, "{'type':'established','coalition':'mmas','date':'2023-10-02',"
                 "'name':'Multinational Security Support Mission (MMAS)',"
                 "'basis':'UN Security Council Resolution 2699 (2023)',"
                 "'purpose':'support the Haitian National Police (PNH)'}");
    tk_record(m,
              "{'type':'signed','coalition':'mmas','country':'El Salvador','date':'2024-08-03'}");
    tk_record(m, "{'type':'adhered','coalition':'mmas','country':'Jamaica','date':'2024-09-20'}");
    tk_record(m, "{'type':'adhered','coalition':'mmas','country':'Bahamas','date':'2024-09-26'}");
    tk_record(m, "{'type':'announced','coalition':'mmas','country':'Guatemala','date':'2024-09',"
                 "'venue':'79th UN General Assembly','speaker':'President Bernardo Arévalo'}");
    tk_record(m, "{'type':'ratified','coalition':'mmas','country':'Belize','date':'2024-11-27'}");
    tk_record(m, "{'type':'adhered','coalition':'mmas','country':'Guatemala','date':'2024-12-06'}");
    tk_record(m, "{'type':'announced','coalition':'mmas','country':'Guatemala','date':'2024-12-12',"
                 "'venue':'Organization of American States, Washington, D.C.',"
                 "'speaker':'Claudia Escobar, ambassador to the OAS',"
                 "'commitment':'Military Police contingent'}");
    return m;
}

/* examples/mmas.jsonl, line by line, as `rollcall import` would append it. */
static struct membership *worked_example_file(void)
{
    const char *path = ROLLCALL_EXAMPLES_DIR "/mmas.jsonl";
    FILE *f = fopen(path, "r");
    char line[8192];
    struct membership *m = membership_new();

    if (f == NULL)
        fail_msg("can't open %s", path);
    assert_non_null(m);
    while (fgets(line, sizeof line, f)) {
        json_error_t jerr;
        struct event_error err;
        json_t *object = json_loads(line, 0, &jerr);
        if (object == NULL)
            fail_msg("%s: not JSON: %s", path, jerr.text);
        assert_non_null(json_object_get(object, "id"));
        assert_non_null(json_object_get(object, "source"));
        struct event *ev = tk_event_from_json(object, &err);
        if (ev == NULL)
            fail_msg("%s: refused (%s: %s)", path, err.field, err.message);
        json_decref(object);
        tk_append(m, ev);
    }
    fclose(f);
    assert_int_equal(membership_head(m), 8);
    return m;
}

static void check_worked_example(struct membership *m)
{
    struct state_result r;
    char buf[256];

    state_at(m, "mmas", "2024-08-02", HEAD, &r);
    assert_true(r.coalition.established);
    assert_int_equal(r.coalition.established_seq, 1);
    assert_string_equal(r.coalition.established_fact->field[FIELD_NAME],
                        "Multinational Security Support Mission (MMAS)");
    assert_int_equal(r.member_count, 0);
    assert_int_equal(r.pledged_count, 0);
    assert_int_equal(r.former_count, 0);
    assert_int_equal(r.as_of_seq, 8);
    state_result_free(&r);

    state_at(m, "mmas", "2024-09-21", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Jamaica");
    assert_member(&r, "El Salvador", 1, EVENT_SIGNED, "2024-08-03");
    assert_member(&r, "Jamaica", 2, EVENT_ADHERED, "2024-09-20");
    assert_int_equal(r.pledged_count, 0);
    state_result_free(&r);

    state_at(m, "mmas", "2024-09-29", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas");
    assert_member(&r, "Bahamas", 3, EVENT_ADHERED, "2024-09-26");
    assert_int_equal(r.pledged_count, 0); /* the September pledge counts from 09-30 */
    state_result_free(&r);

    state_at(m, "mmas", "2024-09-30", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas");
    PLEDGED(&r, "Guatemala");
    assert_int_equal(r.pledged[0].ordinal, 0);
    assert_int_equal(r.pledged[0].announcement_count, 1);
    assert_int_equal(r.pledged[0].announcements[0].seq, 5);
    assert_string_equal(r.pledged[0].announcements[0].event->field[FIELD_VENUE],
                        "79th UN General Assembly");
    assert_string_equal(r.pledged[0].announcements[0].event->field[FIELD_DATE], "2024-09");
    state_result_free(&r);

    state_at(m, "mmas", "2024-12-05", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas", "Belize");
    assert_member(&r, "Belize", 4, EVENT_RATIFIED, "2024-11-27");
    PLEDGED(&r, "Guatemala");
    state_result_free(&r);

    state_at(m, "mmas", "2024-12-06", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas", "Belize", "Guatemala");
    assert_member(&r, "Guatemala", 5, EVENT_ADHERED, "2024-12-06");
    assert_int_equal(r.pledged_count, 0);
    const struct state_country *guatemala = &r.members[4];
    assert_int_equal(guatemala->act_count, 1);
    assert_int_equal(guatemala->acts[0].seq, 7);
    assert_int_equal(guatemala->announcement_count, 1);
    commitments(guatemala, buf, sizeof buf);
    assert_string_equal(buf, ""); /* the commitment comes on 12-12 */
    state_result_free(&r);

    state_at(m, "mmas", "2024-12-12", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas", "Belize", "Guatemala");
    guatemala = &r.members[4];
    assert_int_equal(guatemala->announcement_count, 2);
    assert_int_equal(guatemala->announcements[1].seq, 8);
    commitments(guatemala, buf, sizeof buf);
    assert_string_equal(buf, "Military Police contingent");
    for (size_t i = 0; i < r.member_count; i++)
        assert_int_equal(r.members[i].ordinal, i + 1);
    state_result_free(&r);

    state_at(m, "mmas", "2025-01-01", 6, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas", "Belize");
    PLEDGED(&r, "Guatemala");
    assert_int_equal(r.as_of_seq, 6);
    assert_int_equal(r.pledged[0].announcement_count, 1);
    state_result_free(&r);

    /* The timeline replays the joins in date order. */
    struct timeline_result t;
    assert_true(membership_timeline(m, "mmas", INT32_MIN, INT32_MAX, HEAD, &t));
    const uint64_t seqs[] = { 2, 3, 4, 6, 7 };
    assert_int_equal(t.point_count, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(t.points[i].seq, seqs[i]);
        assert_int_equal(t.points[i].count, i + 1);
    }
    timeline_result_free(&t);

    struct coalition_summary *list;
    assert_int_equal(membership_coalitions(m, tk_day("2025-01-01"), HEAD, &list), 1);
    assert_string_equal(list[0].slug, "mmas");
    assert_string_equal(list[0].name, "Multinational Security Support Mission (MMAS)");
    assert_int_equal(list[0].members, 5);
    assert_int_equal(list[0].events, 8);
    free(list);
}

/* seq 9 corrects seq 4: Bahamas adhered on 2024-09-16 instead. */
static void check_worked_correction(struct membership *m)
{
    struct state_result r;

    tk_record(m, "{'type':'corrected','coalition':'mmas','date':'2025-01-10','target':4,"
                 "'fact':{'type':'adhered','country':'Bahamas','date':'2024-09-16'}}");

    state_at(m, "mmas", "2024-09-18", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Bahamas");
    assert_member(&r, "Bahamas", 2, EVENT_ADHERED, "2024-09-16");
    assert_int_equal(r.members[1].acts[0].seq, 4); /* the fact keeps its seq */
    state_result_free(&r);

    state_at(m, "mmas", "2024-09-20", HEAD, &r);
    MEMBERS(&r, "El Salvador", "Bahamas", "Jamaica");
    assert_member(&r, "Jamaica", 3, EVENT_ADHERED, "2024-09-20");
    state_result_free(&r);

    state_at(m, "mmas", "2024-09-18", 9, &r);
    MEMBERS(&r, "El Salvador", "Bahamas");
    state_result_free(&r);

    /* With the cut before the correction, the old answer stands. */
    state_at(m, "mmas", "2024-09-18", 8, &r);
    MEMBERS(&r, "El Salvador");
    assert_int_equal(r.as_of_seq, 8);
    state_result_free(&r);
    state_at(m, "mmas", "2024-09-26", 8, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas");
    state_result_free(&r);
}

/* seq 9 retracts seq 2: El Salvador never signed, Jamaica is first. */
static void check_worked_retraction(struct membership *m)
{
    struct state_result r;

    tk_record(m, "{'type':'retracted','coalition':'mmas','date':'2025-01-10','target':2,"
                 "'note':'no signature on record'}");
    state_at(m, "mmas", "2025-01-01", HEAD, &r);
    MEMBERS(&r, "Jamaica", "Bahamas", "Belize", "Guatemala");
    assert_member(&r, "Jamaica", 1, EVENT_ADHERED, "2024-09-20");
    assert_member(&r, "Guatemala", 4, EVENT_ADHERED, "2024-12-06");
    assert_int_equal(r.former_count, 0);
    state_result_free(&r);

    state_at(m, "mmas", "2025-01-01", 8, &r);
    MEMBERS(&r, "El Salvador", "Jamaica", "Bahamas", "Belize", "Guatemala");
    state_result_free(&r);
}

static void test_worked_example(void **state)
{
    (void)state;
    struct membership *m = worked_example_literal();
    check_worked_example(m);
    check_worked_correction(m);
    membership_free(m);

    m = worked_example_literal();
    check_worked_retraction(m);
    membership_free(m);
}

static void test_worked_example_file(void **state)
{
    (void)state;
    struct membership *m = worked_example_file();
    struct state_result r;

    check_worked_example(m);
    /* The dataset dates the founding by year only: it counts from 2023-12-31. */
    state_at(m, "mmas", "2023-12-30", HEAD, &r);
    assert_false(r.coalition.established);
    state_result_free(&r);
    check_worked_correction(m);
    membership_free(m);

    m = worked_example_file();
    check_worked_retraction(m);
    membership_free(m);
}

/* ---- derivation rules -------------------------------------------------------- */

static struct membership *founded(const char *slug)
{
    struct membership *m = membership_new();
    assert_non_null(m);
    tk_append(m, tk_eventf("{\"type\":\"established\",\"coalition\":\"%s\",\"date\":\"2000\","
                           "\"name\":\"T\"}",
                           slug));
    return m;
}

static void test_ordinal_ties_by_seq(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;

    tk_record(m, "{'type':'signed','coalition':'c','country':'B','date':'2024-09-30'}"); /* 2 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'A','date':'2024-09-30'}"); /* 3 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'C','date':'2024-09'}");    /* 4 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'D','date':'2024-09-29'}"); /* 5 */
    state_at(m, "c", "2024-12-31", HEAD, &r);
    MEMBERS(&r, "D", "B", "A", "C");
    assert_int_equal(r.members[0].ordinal, 1);
    assert_int_equal(r.members[3].ordinal, 4);
    assert_string_equal(r.members[3].since, "2024-09"); /* shown as given */
    state_result_free(&r);
    membership_free(m);
}

/*
 * Views built for old cuts are kept and shared: answers at a cut stay the same
 * when asked again, after more appends, and while more cuts than the cache
 * holds are in use; results outlive the cache's eviction of their view.
 */
static void test_old_cuts_are_cached_and_shared(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result held[6], again;
    char country[8];

    for (int i = 0; i < 6; i++) {
        snprintf(country, sizeof country, "S%d", i);
        tk_append(
            m, tk_eventf("{'type':'adhered','coalition':'c','country':'%s','date':'2024-0%d-01'}",
                         country, i + 1)); /* seq 2 + i */
    }
    tk_record(m,
              "{'type':'retracted','coalition':'c','target':2,'date':'2025','note':'no'}"); /* 8 */
    /* Six old cuts held at once: more than the cache keeps. */
    for (int i = 0; i < 6; i++) {
        state_at(m, "c", "2025-01-01", 2 + (uint64_t)i, &held[i]);
        assert_int_equal(held[i].member_count, (size_t)i + 1);
    }
    /* More events: no old cut moves. */
    tk_record(m, "{'type':'adhered','coalition':'c','country':'Late','date':'2023-01-01'}");
    for (int i = 5; i >= 0; i--) {
        state_at(m, "c", "2025-01-01", 2 + (uint64_t)i, &again);
        assert_int_equal(again.member_count, (size_t)i + 1);
        assert_true(country_is(&again.members[0], "S0"));
        assert_int_equal(again.as_of_seq, 2 + (uint64_t)i);
        state_result_free(&again);
        /* The held result is intact, whatever the cache did meanwhile. */
        assert_int_equal(held[i].member_count, (size_t)i + 1);
        snprintf(country, sizeof country, "S%d", i);
        assert_true(country_is(&held[i].members[i], country));
        state_result_free(&held[i]);
    }
    /* At the retraction's cut, S0 is gone; the first cut to see it, cached too. */
    state_at(m, "c", "2025-01-01", 8, &again);
    MEMBERS(&again, "S1", "S2", "S3", "S4", "S5");
    state_result_free(&again);
    membership_free(m);
}

static void test_withdraw_and_rejoin(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;

    tk_record(m, "{'type':'signed','coalition':'c','country':'X','date':'2020-01-01'}");
    tk_record(m, "{'type':'adhered','coalition':'c','country':'X','date':'2022-06-01'}");
    tk_record(m, "{'type':'signed','coalition':'c','country':'Y','date':'2020-06-01'}");
    tk_record(m, "{'type':'withdrew','coalition':'c','country':'X','date':'2021-01-01'}");

    state_at(m, "c", "2021-06-01", HEAD, &r);
    MEMBERS(&r, "Y");
    FORMER(&r, "X");
    assert_int_equal(r.members[0].ordinal, 2);
    assert_int_equal(r.former[0].ordinal, 1);
    assert_int_equal(r.former[0].status, EVENT_WITHDREW);
    assert_string_equal(r.former[0].left, "2021-01-01");
    assert_string_equal(r.former[0].since, "2020-01-01");
    assert_int_equal(r.former[0].act_count, 2);
    state_result_free(&r);

    state_at(m, "c", "2023-01-01", HEAD, &r);
    MEMBERS(&r, "X", "Y");
    assert_member(&r, "X", 1, EVENT_ADHERED, "2022-06-01"); /* keeps its first ordinal */
    assert_int_equal(r.former_count, 0);
    assert_int_equal(r.members[0].act_count, 3);
    assert_int_equal(r.members[0].acts[1].seq, 5); /* the withdrawal, in date order */
    state_result_free(&r);

    /* A ratification after a signature: status changes, membership doesn't. */
    tk_record(m, "{'type':'ratified','coalition':'c','country':'Y','date':'2020-07-01'}");
    state_at(m, "c", "2023-01-01", HEAD, &r);
    assert_member(&r, "Y", 2, EVENT_RATIFIED, "2020-06-01");
    state_result_free(&r);
    membership_free(m);
}

static void test_withdrawal_by_non_member(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;
    struct timeline_result t;

    tk_record(m, "{'type':'withdrew','coalition':'c','country':'W','date':'2020-01-01'}");
    tk_record(m, "{'type':'announced','coalition':'c','country':'W','date':'2020-02-01'}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    assert_int_equal(r.member_count, 0);
    assert_int_equal(r.former_count, 0);
    PLEDGED(&r, "W"); /* the no-op withdrawal changes nothing */
    state_result_free(&r);

    tk_record(m, "{'type':'signed','coalition':'c','country':'W','date':'2020-03-01'}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    MEMBERS(&r, "W");
    assert_member(&r, "W", 1, EVENT_SIGNED, "2020-03-01");
    assert_int_equal(r.pledged_count, 0);
    state_result_free(&r);

    /* The timeline lists the no-op withdrawal with an unchanged count. */
    assert_true(membership_timeline(m, "c", INT32_MIN, INT32_MAX, HEAD, &t));
    assert_int_equal(t.point_count, 2);
    assert_int_equal(t.points[0].seq, 2);
    assert_int_equal(t.points[0].count, 0);
    assert_int_equal(t.points[1].seq, 4);
    assert_int_equal(t.points[1].count, 1);
    timeline_result_free(&t);
    membership_free(m);
}

static void test_retracted_only_fact_vanishes(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;

    tk_record(m, "{'type':'signed','coalition':'c','country':'Z','date':'2020-01-01'}");   /* 2 */
    tk_record(m, "{'type':'withdrew','coalition':'c','country':'Z','date':'2020-05-01'}"); /* 3 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'V','date':'2020-02-01'}");   /* 4 */
    state_at(m, "c", "2021-01-01", HEAD, &r);
    FORMER(&r, "Z");
    MEMBERS(&r, "V");
    assert_int_equal(r.members[0].ordinal, 2);
    state_result_free(&r);

    tk_record(m, "{'type':'retracted','coalition':'c','date':'2021-01-01','target':2,"
                 "'note':'never signed'}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    assert_int_equal(r.former_count, 0);
    assert_int_equal(r.pledged_count, 0);
    MEMBERS(&r, "V");
    assert_int_equal(r.members[0].ordinal, 1);
    state_result_free(&r);

    /* A later correction revives it, with new content. */
    tk_record(m, "{'type':'corrected','coalition':'c','date':'2021-01-02','target':2,"
                 "'fact':{'type':'adhered','country':' Z ','date':'2020-03-01'}}");
    state_at(m, "c", "2020-04-01", HEAD, &r);
    MEMBERS(&r, "V", "Z");
    assert_member(&r, "Z", 2, EVENT_ADHERED, "2020-03-01");
    assert_int_equal(r.members[1].acts[0].seq, 2);
    state_result_free(&r);

    /* Retracted again: gone again. */
    tk_record(m, "{'type':'retracted','coalition':'c','date':'2021-01-03','target':2,"
                 "'note':'no'}");
    state_at(m, "c", "2020-04-01", HEAD, &r);
    MEMBERS(&r, "V");
    state_result_free(&r);
    state_at(m, "c", "2020-04-01", 6, &r); /* between revival and second retraction */
    MEMBERS(&r, "V", "Z");
    state_result_free(&r);
    membership_free(m);
}

static void test_correction_moves_fact(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;

    tk_record(m, "{'type':'signed','coalition':'c','country':'Peru','date':'2020-01-01'}");  /* 2 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'Chile','date':'2020-06-01'}"); /* 3 */
    tk_record(m, "{'type':'corrected','coalition':'c','date':'2021-01-01','target':2,"
                 "'fact':{'type':'ratified','country':'Bolivia','date':'2020-09'}}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    MEMBERS(&r, "Chile", "Bolivia");
    assert_member(&r, "Bolivia", 2, EVENT_RATIFIED, "2020-09");
    state_result_free(&r);
    state_at(m, "c", "2020-09-29", HEAD, &r);
    MEMBERS(&r, "Chile");
    state_result_free(&r);
    state_at(m, "c", "2021-01-01", 3, &r);
    MEMBERS(&r, "Peru", "Chile");
    state_result_free(&r);

    /* An established fact corrected: the coalition's name follows. */
    tk_record(m, "{'type':'corrected','coalition':'c','date':'2021-01-01','target':1,"
                 "'fact':{'type':'established','date':'2000','name':'Renamed'}}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    assert_string_equal(r.coalition.established_fact->field[FIELD_NAME], "Renamed");
    assert_int_equal(r.coalition.established_seq, 1);
    state_result_free(&r);
    membership_free(m);
}

static void test_first_join_moves(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;

    tk_record(m, "{'type':'signed','coalition':'c','country':'X','date':'2020-01-01'}");  /* 2 */
    tk_record(m, "{'type':'adhered','coalition':'c','country':'X','date':'2020-06-01'}"); /* 3 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'Y','date':'2020-03-01'}");  /* 4 */
    state_at(m, "c", "2021-01-01", HEAD, &r);
    MEMBERS(&r, "X", "Y");
    state_result_free(&r);

    /* X's signature was later than thought: it joined with its adhesion, after Y. */
    tk_record(m, "{'type':'corrected','coalition':'c','date':'2021-01-01','target':2,"
                 "'fact':{'type':'signed','country':'X','date':'2020-09-01'}}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    MEMBERS(&r, "Y", "X");
    assert_member(&r, "X", 2, EVENT_SIGNED, "2020-06-01");
    state_result_free(&r);
    state_at(m, "c", "2020-05-01", HEAD, &r);
    MEMBERS(&r, "Y");
    assert_member(&r, "Y", 1, EVENT_SIGNED, "2020-03-01");
    state_result_free(&r);
    membership_free(m);
}

static void test_partial_dates_count_on_last_day(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;

    tk_record(m, "{'type':'adhered','coalition':'c','country':'Y','date':'2024'}");
    tk_record(m, "{'type':'adhered','coalition':'c','country':'M','date':'2024-02'}");
    state_at(m, "c", "2024-02-28", HEAD, &r);
    assert_int_equal(r.member_count, 0);
    state_result_free(&r);
    state_at(m, "c", "2024-02-29", HEAD, &r); /* leap year: February ends on the 29th */
    MEMBERS(&r, "M");
    state_result_free(&r);
    state_at(m, "c", "2024-12-30", HEAD, &r);
    MEMBERS(&r, "M");
    state_result_free(&r);
    state_at(m, "c", "2024-12-31", HEAD, &r);
    MEMBERS(&r, "M", "Y");
    assert_member(&r, "Y", 2, EVENT_ADHERED, "2024");
    state_result_free(&r);
    membership_free(m);
}

static void test_country_trimmed(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct state_result r;

    tk_record(m, "{'type':'signed','coalition':'c','country':' Chile','date':'2020-01-01'}");
    tk_record(m, "{'type':'ratified','coalition':'c','country':'Chile  ','date':'2020-02-01'}");
    tk_record(m, "{'type':'announced','coalition':'c','date':'2020-02-01','text':'welcome'}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    MEMBERS(&r, "Chile");
    assert_int_equal(r.members[0].act_count, 2);
    assert_int_equal(r.members[0].status, EVENT_RATIFIED);
    /* The coalition's own announcement belongs to no state. */
    assert_int_equal(r.pledged_count, 0);
    assert_int_equal(r.members[0].announcement_count, 0);
    state_result_free(&r);
    membership_free(m);
}

static void test_not_yet_established(void **state)
{
    (void)state;
    struct membership *m = membership_new();
    struct state_result r;

    tk_record(m, "{'type':'established','coalition':'c','date':'2020-06-01','name':'C'}");
    tk_record(m, "{'type':'signed','coalition':'c','country':'A','date':'2020-01-01'}");
    tk_record(m, "{'type':'announced','coalition':'c','country':'B','date':'2020-01-01'}");
    state_at(m, "c", "2020-05-31", HEAD, &r);
    assert_false(r.coalition.established);
    assert_null(r.coalition.established_fact);
    assert_int_equal(r.member_count, 0);
    assert_int_equal(r.former_count, 0);
    PLEDGED(&r, "B");
    state_result_free(&r);
    state_at(m, "c", "2020-06-01", HEAD, &r);
    assert_true(r.coalition.established);
    MEMBERS(&r, "A");
    assert_member(&r, "A", 1, EVENT_SIGNED, "2020-01-01");
    state_result_free(&r);

    /* Retracting the founding: the coalition still exists, but not established. */
    tk_record(m, "{'type':'retracted','coalition':'c','date':'2021-01-01','target':1,"
                 "'note':'wrong'}");
    state_at(m, "c", "2021-01-01", HEAD, &r);
    assert_false(r.coalition.established);
    assert_int_equal(r.member_count, 0);
    state_result_free(&r);
    tk_record(m, "{'type':'signed','coalition':'c','country':'D','date':'2020-01-01'}");

    struct coalition_summary *list;
    assert_int_equal(membership_coalitions(m, tk_day("2021-01-01"), HEAD, &list), 1);
    assert_null(list[0].name);
    assert_int_equal(list[0].members, 0);
    assert_int_equal(list[0].events, 5);
    free(list);

    /* No event at the cut: unknown. */
    assert_false(membership_state(m, "c", tk_day("2021-01-01"), 0, &r));
    assert_false(membership_state(m, "nope", tk_day("2021-01-01"), HEAD, &r));
    membership_free(m);
}

static void test_timeline_window(void **state)
{
    (void)state;
    struct membership *m = founded("c");
    struct timeline_result t;

    tk_record(m, "{'type':'signed','coalition':'c','country':'A','date':'2020-01-01'}");   /* 2 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'B','date':'2020-09'}");      /* 3 */
    tk_record(m, "{'type':'withdrew','coalition':'c','country':'A','date':'2020-10-01'}"); /* 4 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'C','date':'2020-09-15'}");   /* 5 */
    tk_record(m, "{'type':'signed','coalition':'c','country':'D','date':'2021-01-01'}");   /* 6 */

    assert_true(membership_timeline(m, "c", tk_day("2020-09-01"), tk_day("2020-12-31"), HEAD, &t));
    assert_int_equal(t.point_count, 3);
    assert_int_equal(t.points[0].seq, 5);
    assert_int_equal(t.points[0].count, 2);
    assert_int_equal(t.points[1].seq, 3);
    assert_int_equal(t.points[1].count, 3);
    assert_int_equal(t.points[2].seq, 4);
    assert_int_equal(t.points[2].count, 2);
    assert_int_equal(t.as_of_seq, 6);
    timeline_result_free(&t);

    assert_true(membership_timeline(m, "c", INT32_MIN, INT32_MAX, 4, &t));
    assert_int_equal(t.point_count, 3);
    assert_int_equal(t.points[2].count, 1);
    assert_int_equal(t.as_of_seq, 4);
    timeline_result_free(&t);

    assert_false(membership_timeline(m, "d", INT32_MIN, INT32_MAX, HEAD, &t));
    membership_free(m);
}

static void test_log_lookups(void **state)
{
    (void)state;
    struct membership *m = membership_new();
    size_t count;

    assert_int_equal(membership_head(m), 0);
    assert_null(membership_event(m, 1));
    assert_int_equal(membership_seq_at_time(m, INT64_MAX), 0);
    tk_record(m, "{'type':'established','coalition':'b','date':'2000','name':'B'}");
    tk_record(m, "{'type':'established','coalition':'a','date':'2000','name':'A'}");
    tk_record(m, "{'type':'signed','coalition':'b','country':'X','date':'2001'}");
    assert_int_equal(membership_head(m), 3);
    assert_string_equal(membership_event(m, 2)->field[FIELD_COALITION], "a");
    assert_null(membership_event(m, 4));
    assert_null(membership_event(m, 0));

    assert_int_equal(membership_seq_at_time(m, tk_recorded_us(1) - 1), 0);
    assert_int_equal(membership_seq_at_time(m, tk_recorded_us(1)), 1);
    assert_int_equal(membership_seq_at_time(m, tk_recorded_us(2) + 1), 2);
    assert_int_equal(membership_seq_at_time(m, INT64_MAX), 3);

    const uint64_t *seqs = membership_coalition_seqs(m, "b", &count);
    assert_int_equal(count, 2);
    assert_int_equal(seqs[0], 1);
    assert_int_equal(seqs[1], 3);
    assert_null(membership_coalition_seqs(m, "c", &count));
    assert_int_equal(count, 0);

    struct coalition_summary *list;
    assert_int_equal(membership_coalitions(m, tk_day("2002"), HEAD, &list), 2);
    assert_string_equal(list[0].slug, "a");
    assert_int_equal(list[0].members, 0);
    assert_string_equal(list[1].slug, "b");
    assert_int_equal(list[1].members, 1);
    assert_int_equal(list[1].events, 2);
    free(list);
    assert_int_equal(membership_coalitions(m, tk_day("2002"), 1, &list), 1);
    assert_string_equal(list[0].slug, "b");
    assert_int_equal(list[0].events, 1);
    assert_int_equal(list[0].members, 0);
    free(list);
    membership_free(m);
}

/* ---- checking appends -------------------------------------------------------- */

struct batch_result {
    bool ok;
    uint64_t repeat[8];
    struct append_error err;
};

/* Checks texts (NULL-terminated) as one batch; frees the events. */
static struct batch_result check(const struct membership *m, const char *const *texts)
{
    struct batch_result res;
    struct event *events[8] = { NULL };
    size_t n = 0;

    memset(&res, 0, sizeof res);
    for (; texts[n]; n++) {
        assert_true(n < 8);
        events[n] = tk_event(texts[n]);
    }
    res.ok = membership_check_batch(m, events, n, res.repeat, &res.err);
    for (size_t i = 0; i < n; i++)
        event_free(events[i]);
    return res;
}

#define CHECK(m, ...) check((m), (const char *const[]){ __VA_ARGS__, NULL })

static void assert_refused(const struct batch_result *res, enum rpc_error code, size_t index,
                           const char *field, uint64_t seq, const char *phrase)
{
    assert_false(res->ok);
    assert_string_equal(rpc_error_code(res->err.code), rpc_error_code(code));
    assert_int_equal(res->err.index, index);
    assert_string_equal(res->err.field, field);
    assert_int_equal(res->err.seq, seq);
    if (strstr(res->err.message, phrase) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", res->err.message, phrase);
}

static void test_check_unknown_coalition(void **state)
{
    (void)state;
    struct membership *m = worked_example_literal();
    struct batch_result res;

    res = CHECK(m, "{'type':'signed','coalition':'mmass','country':'Chile','date':'2025'}");
    assert_refused(&res, RPC_UNKNOWN_COALITION, 0, "coalition", 0,
                   "unknown coalition 'mmass': record an `established` event first");
    res = CHECK(m, "{'type':'signed','coalition':'mmas','country':'Chile','date':'2025'}",
                "{'type':'retracted','coalition':'x','date':'2025','target':2,'note':'n'}");
    assert_refused(&res, RPC_UNKNOWN_COALITION, 1, "coalition", 0, "unknown coalition 'x'");

    /* Established earlier in the same batch. */
    res = CHECK(m, "{'type':'established','coalition':'x','date':'2025','name':'X'}",
                "{'type':'signed','coalition':'x','country':'Chile','date':'2025'}");
    assert_true(res.ok);
    assert_int_equal(res.repeat[0], 0);
    assert_int_equal(res.repeat[1], 0);
    /* ... but not later in it. */
    res = CHECK(m, "{'type':'signed','coalition':'x','country':'Chile','date':'2025'}",
                "{'type':'established','coalition':'x','date':'2025','name':'X'}");
    assert_refused(&res, RPC_UNKNOWN_COALITION, 0, "coalition", 0, "unknown coalition 'x'");
    membership_free(m);
}

static void test_check_targets(void **state)
{
    (void)state;
    struct membership *m = worked_example_literal();
    struct batch_result res;

    tk_record(m, "{'type':'retracted','coalition':'mmas','date':'2025','target':2,'note':'n'}");
    tk_record(m, "{'type':'established','coalition':'other','date':'2025','name':'O'}"); /* 10 */

    res = CHECK(m, "{'type':'retracted','coalition':'mmas','date':'2025','target':11,'note':'n'}");
    assert_refused(&res, RPC_NOT_FOUND, 0, "target", 11, "no event with seq 11");
    res = CHECK(m, "{'type':'retracted','coalition':'mmas','date':'2025','target':9,'note':'n'}");
    assert_refused(&res, RPC_NOT_FOUND, 0, "target", 9,
                   "seq 9 is a retracted event of coalition 'mmas', not a fact");
    res = CHECK(m, "{'type':'retracted','coalition':'other','date':'2025','target':3,'note':'n'}");
    assert_refused(&res, RPC_NOT_FOUND, 0, "target", 3,
                   "seq 3 is a fact of coalition 'mmas', not of 'other'");

    /* A retracted fact can still be corrected (and so revived). */
    res = CHECK(m, "{'type':'corrected','coalition':'mmas','date':'2025','target':2,"
                   "'fact':{'type':'signed','country':'El Salvador','date':'2024-08-04'}}");
    assert_true(res.ok);

    /* Kinds of facts don't cross. */
    res = CHECK(m, "{'type':'corrected','coalition':'mmas','date':'2025','target':1,"
                   "'fact':{'type':'signed','country':'Chile','date':'2024'}}");
    assert_refused(&res, RPC_INVALID_EVENT, 0, "fact.type", 1, "`established`");
    res = CHECK(m, "{'type':'corrected','coalition':'mmas','date':'2025','target':5,"
                   "'fact':{'type':'established','date':'2024','name':'N'}}");
    assert_refused(&res, RPC_INVALID_EVENT, 0, "fact.type", 5, "state's act");
    res = CHECK(m, "{'type':'corrected','coalition':'mmas','date':'2025','target':5,"
                   "'fact':{'type':'withdrew','country':'Guatemala','date':'2024'}}");
    assert_true(res.ok); /* announced into a membership fact: both a state's acts */

    /* Targets earlier in the batch: seq head + 1 + position among new events. */
    res = CHECK(m, "{'type':'signed','coalition':'other','country':'A','date':'2025'}",
                "{'type':'signed','coalition':'other','country':'B','date':'2025'}",
                "{'type':'retracted','coalition':'other','date':'2025','target':12,'note':'n'}",
                "{'type':'corrected','coalition':'other','date':'2025','target':11,"
                "'fact':{'type':'adhered','country':'A','date':'2025'}}");
    assert_true(res.ok);
    res = CHECK(m, "{'type':'signed','coalition':'other','country':'A','date':'2025'}",
                "{'type':'retracted','coalition':'other','date':'2025','target':12,'note':'n'}");
    assert_refused(&res, RPC_NOT_FOUND, 1, "target", 12, "this batch adds 1 before this event");
    res = CHECK(m, "{'type':'retracted','coalition':'mmas','date':'2025','target':3,'note':'n'}",
                "{'type':'retracted','coalition':'mmas','date':'2025','target':11,'note':'n'}");
    assert_refused(&res, RPC_NOT_FOUND, 1, "target", 11, "seq 11 is a retracted event");
    membership_free(m);
}

static void test_check_ids(void **state)
{
    (void)state;
    struct membership *m = membership_new();
    struct batch_result res;

    tk_record(m, "{'type':'established','coalition':'c','date':'2000','name':'C','id':'e1'}");
    tk_record(m, "{'type':'signed','coalition':'c','country':'A','date':'2001','id':'e2'}");

    /* Same id, same content: a repeat with the original seq. */
    res = CHECK(m, "{'type':'signed','coalition':'c','country':'A','date':'2001','id':'e2'}");
    assert_true(res.ok);
    assert_int_equal(res.repeat[0], 2);
    /* Other content: a conflict naming the original. */
    res = CHECK(m, "{'type':'signed','coalition':'c','country':'A','date':'2001','id':'e2',"
                   "'note':'more'}");
    assert_refused(&res, RPC_CONFLICT, 0, "id", 2, "id 'e2' was used by seq 2 with other content");

    /* Repeats take no seq: the new event after a repeat is head + 1. */
    res = CHECK(m, "{'type':'signed','coalition':'c','country':'A','date':'2001','id':'e2'}",
                "{'type':'signed','coalition':'c','country':'B','date':'2001','id':'e3'}",
                "{'type':'retracted','coalition':'c','date':'2002','target':3,'note':'n'}",
                "{'type':'signed','coalition':'c','country':'B','date':'2001','id':'e3'}");
    assert_true(res.ok);
    assert_int_equal(res.repeat[0], 2);
    assert_int_equal(res.repeat[1], 0);
    assert_int_equal(res.repeat[2], 0);
    assert_int_equal(res.repeat[3], 3); /* a repeat of the batch's own first new event */

    /* The same id twice in a batch with other content. */
    res = CHECK(m, "{'type':'signed','coalition':'c','country':'B','date':'2001','id':'e3'}",
                "{'type':'signed','coalition':'c','country':'C','date':'2001','id':'e3'}");
    assert_refused(&res, RPC_CONFLICT, 1, "id", 3, "id 'e3' was used by event 0 of this batch");

    /* Without an id the same content twice is two events; a refusal names its place. */
    res = CHECK(m, "{'type':'signed','coalition':'c','country':'B','date':'2001'}",
                "{'type':'signed','coalition':'c','country':'B','date':'2001'}",
                "{'type':'signed','coalition':'zz','country':'B','date':'2001'}");
    assert_refused(&res, RPC_UNKNOWN_COALITION, 2, "coalition", 0, "'zz'");

    /* The founding event's id too. */
    res = CHECK(m, "{'type':'established','coalition':'c','date':'2000','name':'C','id':'e1'}");
    assert_true(res.ok);
    assert_int_equal(res.repeat[0], 1);
    membership_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_worked_example_file),
        cmocka_unit_test(test_ordinal_ties_by_seq),
        cmocka_unit_test(test_old_cuts_are_cached_and_shared),
        cmocka_unit_test(test_withdraw_and_rejoin),
        cmocka_unit_test(test_withdrawal_by_non_member),
        cmocka_unit_test(test_retracted_only_fact_vanishes),
        cmocka_unit_test(test_correction_moves_fact),
        cmocka_unit_test(test_first_join_moves),
        cmocka_unit_test(test_partial_dates_count_on_last_day),
        cmocka_unit_test(test_country_trimmed),
        cmocka_unit_test(test_not_yet_established),
        cmocka_unit_test(test_timeline_window),
        cmocka_unit_test(test_log_lookups),
        cmocka_unit_test(test_check_unknown_coalition),
        cmocka_unit_test(test_check_targets),
        cmocka_unit_test(test_check_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
