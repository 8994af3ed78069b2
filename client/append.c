/*
 * append.c — the commands that append one event: record, correct, retract.
 *
 * Each builds the event as JSON, checks it against the event schema here
 * (so a typo is named before anything is sent), packs it in its canonical
 * form and appends it alone.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "keys.h"

/* ---- appending one event --------------------------------------------------------- */

/* Checks event, appends it, prints its seq. */
static int append_event(struct session *session, json_t *event)
{
    const struct cli_options *opts = session->opts;
    struct event_error err;
    struct rc_reply reply;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    char why[OUTPUT_WHY_MAX];
    int rc;

    struct event *decoded = session_decode_event(event, EVENT_FROM_CLIENT, &err);
    if (decoded == NULL) {
        if (err.field[0] == '\0')
            return session_error(session, RPC_INVALID_EVENT, "%s", err.message);
        return session_error(session, RPC_INVALID_EVENT, "%s: %s", err.field, err.message);
    }
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    rc = msgpack_pack_map(&pk, opts->has_expect_head ? 2 : 1);
    rc |= mp_pack_key(&pk, RC_KEY_EVENTS) | msgpack_pack_array(&pk, 1);
    rc |= event_pack(&pk, decoded, ENCODE_CONTENT);
    if (opts->has_expect_head)
        rc |= mp_pack_key(&pk, RC_KEY_EXPECT_HEAD) | msgpack_pack_uint64(&pk, opts->expect_head);
    event_free(decoded);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        return session_error(session, RPC_INTERNAL, "out of memory");
    }

    rc = session_request(session, METHOD_APPEND, sbuf.data, sbuf.size, &reply);
    msgpack_sbuffer_destroy(&sbuf);
    if (rc != EXIT_OK)
        return rc;
    if (reply.failed)
        rc = session_daemon_error(session, &reply.error, NULL);
    else if (output_appended(session->out, session->format, reply.result, why) != 0)
        rc = session_bad_reply(session, why);
    rc_reply_free(&reply);
    return rc != EXIT_OK ? rc : session_flush(session, NULL);
}

/* Sets the event fields the options give, in the schema's order. */
static int put_fields(json_t *event, const struct cli_options *opts)
{
    int rc = 0;
    for (int f = 0; f < FIELD_STRING_COUNT; f++)
        rc |= param_text(event, event_field_name(f), opts->field[f]);
    return rc;
}

int cmd_record(struct session *session)
{
    json_t *event = json_object();
    int rc;

    if (event == NULL || put_fields(event, session->opts) != 0) {
        json_decref(event);
        return session_error(session, RPC_INTERNAL, "out of memory");
    }
    rc = append_event(session, event);
    json_decref(event);
    return rc;
}

/* ---- the target of a meta event ------------------------------------------------------ */

/*
 * Fetches the fact at seq. A meta event can't be the target of another
 * (events.md §2): that is refused here with the daemon's code, not_found.
 */
static int fetch_fact(struct session *session, uint64_t seq, json_t **fact)
{
    enum event_type type;
    int rc = session_fetch_event(session, seq, fact);

    if (rc != EXIT_OK)
        return rc;
    const char *name = json_string_value(json_object_get(*fact, RC_KEY_TYPE));
    if (name && event_type_from_name(name, strlen(name), &type) && event_type_is_fact(type))
        return EXIT_OK;
    rc = session_error(session, RPC_NOT_FOUND,
                       "seq %" PRIu64 " is a '%s' event, not a fact: name the fact it targets "
                       "(seq %" JSON_INTEGER_FORMAT ")",
                       seq, name ? name : "?",
                       json_integer_value(json_object_get(*fact, RC_KEY_TARGET)));
    json_decref(*fact);
    *fact = NULL;
    return rc;
}

/* The meta event's own fields: type, coalition, date, target. */
static int put_meta(json_t *event, const char *type, json_t *target, uint64_t seq, const char *on)
{
    char today[11];

    if (on == NULL) {
        session_today(today);
        on = today;
    }
    int rc = param_text(event, RC_KEY_TYPE, type);
    rc |= json_object_set(event, RC_KEY_COALITION, json_object_get(target, RC_KEY_COALITION));
    rc |= param_text(event, RC_KEY_DATE, on);
    rc |= param_uint(event, RC_KEY_TARGET, seq);
    return rc;
}

/* ---- correct ---------------------------------------------------------------------- */

/* What the latest meta events say about a fact. */
struct reading {
    json_t *fact;   /* the latest correction's fact, or NULL: the fact as stored */
    uint64_t seq;   /* the latest meta event's seq, 0 if none */
    bool retracted; /* the latest meta event is a retraction */
};

struct reading_walk {
    uint64_t seq;
    struct reading *reading;
};

/* The meta events come in seq order: the last one about the fact has the last word. */
static int reading_event(struct session *session, json_t *event, void *ctx)
{
    struct reading_walk *walk = ctx;
    struct reading *reading = walk->reading;

    (void)session;
    if (json_integer_value(json_object_get(event, RC_KEY_TARGET)) != (json_int_t)walk->seq)
        return EXIT_OK;
    json_t *fact = json_object_get(event, RC_KEY_FACT);
    reading->seq = (uint64_t)json_integer_value(json_object_get(event, RC_KEY_SEQ));
    reading->retracted = fact == NULL;
    if (fact) {
        json_decref(reading->fact);
        reading->fact = json_incref(fact);
    }
    return EXIT_OK;
}

/*
 * Walks the coalition's corrections and retractions after seq (every page)
 * to find how the fact at seq reads now.
 */
static int current_reading(struct session *session, json_t *target, uint64_t seq,
                           struct reading *reading)
{
    struct reading_walk ctx = { seq, reading };
    struct history_walk walk = { NULL, seq + 1, 0, reading_event, NULL, &ctx };
    int rc;

    memset(reading, 0, sizeof *reading);
    walk.params =
        json_pack("{s:O, s:[s,s]}", RC_KEY_COALITION, json_object_get(target, RC_KEY_COALITION),
                  RC_KEY_TYPES, event_type_name(EVENT_CORRECTED), event_type_name(EVENT_RETRACTED));
    if (walk.params == NULL)
        return session_error(session, RPC_INTERNAL, "out of memory");
    rc = session_walk_history(session, &walk);
    json_decref(walk.params);
    if (rc != EXIT_OK) {
        json_decref(reading->fact);
        reading->fact = NULL;
    }
    return rc;
}

/*
 * The replacement fact: the current reading with the options applied. It
 * never carries the stamps or an id: those belong to events, not facts.
 */
static json_t *replacement_fact(const struct reading *reading, json_t *target,
                                const struct cli_options *opts)
{
    json_t *fact = json_deep_copy(reading->fact ? reading->fact : target);

    if (fact == NULL)
        return NULL;
    json_object_del(fact, RC_KEY_SEQ);
    json_object_del(fact, RC_KEY_RECORDED);
    json_object_del(fact, RC_KEY_ID);
    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        if (f == FIELD_ID)
            continue; /* --id names the correction itself */
        if (opts->unset[f])
            json_object_del(fact, event_field_name(f));
        else if (param_text(fact, event_field_name(f), opts->field[f]) != 0) {
            json_decref(fact);
            return NULL;
        }
    }
    return fact;
}

int cmd_correct(struct session *session)
{
    const struct cli_options *opts = session->opts;
    struct reading reading;
    json_t *target, *fact = NULL, *event = NULL;
    int rc;

    if ((rc = fetch_fact(session, opts->target, &target)) != EXIT_OK)
        return rc;
    if ((rc = current_reading(session, target, opts->target, &reading)) != EXIT_OK) {
        json_decref(target);
        return rc;
    }
    if (reading.retracted)
        fprintf(session->err,
                "rollcall: seq %" PRIu64 " was retracted (seq %" PRIu64
                "): this correction brings it back\n",
                opts->target, reading.seq);

    fact = replacement_fact(&reading, target, opts);
    event = json_object();
    if (fact == NULL || event == NULL ||
        put_meta(event, event_type_name(EVENT_CORRECTED), target, opts->target, opts->on) != 0 ||
        json_object_set(event, RC_KEY_FACT, fact) != 0 ||
        param_text(event, RC_KEY_NOTE, opts->reason) != 0 ||
        param_text(event, RC_KEY_ID, opts->field[FIELD_ID]) != 0)
        rc = session_error(session, RPC_INTERNAL, "out of memory");
    else
        rc = append_event(session, event);
    json_decref(event);
    json_decref(fact);
    json_decref(reading.fact);
    json_decref(target);
    return rc;
}

/* ---- retract ------------------------------------------------------------------------ */

int cmd_retract(struct session *session)
{
    const struct cli_options *opts = session->opts;
    json_t *target, *event;
    int rc;

    if ((rc = fetch_fact(session, opts->target, &target)) != EXIT_OK)
        return rc;
    event = json_object();
    if (event == NULL ||
        put_meta(event, event_type_name(EVENT_RETRACTED), target, opts->target, opts->on) != 0 ||
        param_text(event, RC_KEY_NOTE, opts->field[FIELD_NOTE]) != 0 ||
        param_text(event, RC_KEY_SOURCE, opts->field[FIELD_SOURCE]) != 0 ||
        param_text(event, RC_KEY_ID, opts->field[FIELD_ID]) != 0)
        rc = session_error(session, RPC_INTERNAL, "out of memory");
    else
        rc = append_event(session, event);
    json_decref(event);
    json_decref(target);
    return rc;
}
