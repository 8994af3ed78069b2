/*
 * commands.c — the commands that read: state, timeline, history, coalitions,
 * follow, status, verify; and the dispatch of every command.
 */
#include "commands.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "keys.h"

int command_run(struct session *session)
{
    typedef int (*command_fn)(struct session *);
    static const command_fn run[CMD_COUNT] = {
        [CMD_RECORD] = cmd_record,         [CMD_CORRECT] = cmd_correct,
        [CMD_RETRACT] = cmd_retract,       [CMD_IMPORT] = cmd_import,
        [CMD_EXPORT] = cmd_export,         [CMD_STATE] = cmd_state,
        [CMD_TIMELINE] = cmd_timeline,     [CMD_HISTORY] = cmd_history,
        [CMD_COALITIONS] = cmd_coalitions, [CMD_FOLLOW] = cmd_follow,
        [CMD_STATUS] = cmd_status,         [CMD_VERIFY] = cmd_verify,
    };
    enum command command = session->opts->command;

    if (command <= CMD_NONE || command >= CMD_COUNT)
        return EXIT_USAGE;
    return run[command](session);
}

/* ---- one request, one result ---------------------------------------------------- */

typedef int (*output_fn)(FILE *, enum out_format, const msgpack_object *, char *);

/* Sends method with params (consumed), prints the result with show. */
static int query(struct session *session, enum rpc_method method, json_t *params, int built,
                 output_fn show)
{
    struct rc_reply reply;
    char why[OUTPUT_WHY_MAX];
    int rc;

    if (built != 0) {
        json_decref(params);
        return session_error(session, RPC_INTERNAL, "out of memory");
    }
    rc = session_call(session, method, params, &reply);
    json_decref(params);
    if (rc != EXIT_OK)
        return rc;
    if (show(session->out, session->format, reply.result, why) != 0)
        rc = session_bad_reply(session, why);
    rc_reply_free(&reply);
    return rc != EXIT_OK ? rc : session_flush(session, NULL);
}

/* The cut options shared by state and timeline. */
static int put_cut(json_t *params, const struct cli_options *opts)
{
    int rc = param_text(params, RC_KEY_AS_RECORDED, opts->as_recorded);
    if (opts->has_as_of_seq)
        rc |= param_uint(params, RC_KEY_AS_OF_SEQ, opts->as_of_seq);
    return rc;
}

int cmd_state(struct session *session)
{
    const struct cli_options *opts = session->opts;
    json_t *params = json_object();
    int rc = params ? 0 : -1;

    rc |= param_text(params, RC_KEY_COALITION, opts->coalition);
    rc |= param_text(params, RC_KEY_AT, opts->at);
    rc |= put_cut(params, opts);
    return query(session, METHOD_STATE, params, rc, output_state);
}

int cmd_timeline(struct session *session)
{
    const struct cli_options *opts = session->opts;
    json_t *params = json_object();
    int rc = params ? 0 : -1;

    rc |= param_text(params, RC_KEY_COALITION, opts->coalition);
    rc |= param_text(params, RC_KEY_SINCE, opts->since);
    rc |= param_text(params, RC_KEY_UNTIL, opts->until);
    rc |= put_cut(params, opts);
    return query(session, METHOD_TIMELINE, params, rc, output_timeline);
}

int cmd_coalitions(struct session *session)
{
    return query(session, METHOD_COALITIONS, json_object(), 0, output_coalitions);
}

int cmd_status(struct session *session)
{
    return query(session, METHOD_STATUS, json_object(), 0, output_status);
}

int cmd_verify(struct session *session)
{
    struct rc_reply reply;
    char why[OUTPUT_WHY_MAX];
    bool ok;
    int rc = session_call(session, METHOD_VERIFY, NULL, &reply);

    if (rc != EXIT_OK)
        return rc;
    if (output_verify(session->out, session->format, reply.result, &ok, why) != 0)
        rc = session_bad_reply(session, why);
    rc_reply_free(&reply);
    if (rc == EXIT_OK)
        rc = session_flush(session, NULL);
    return rc != EXIT_OK ? rc : ok ? EXIT_OK : EXIT_DAMAGE;
}

/* ---- history ------------------------------------------------------------------------ */

/* An event with its sort key, for --order date across pages. */
struct dated_event {
    int32_t counting_day;
    json_int_t seq;
    json_t *event;
};

static int by_date_then_seq(const void *a, const void *b)
{
    const struct dated_event *x = a, *y = b;
    if (x->counting_day != y->counting_day)
        return x->counting_day < y->counting_day ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Prints collected events by (counting date, seq), the daemon's date order,
 * over every page at once.
 */
static int print_by_date(struct event_printer *printer, json_t *events, char *why)
{
    size_t count = json_array_size(events), index;
    struct dated_event *sorted = calloc(count ? count : 1, sizeof *sorted);
    json_t *event;
    int rc = 0;

    if (sorted == NULL) {
        snprintf(why, OUTPUT_WHY_MAX, "out of memory");
        return -1;
    }
    json_array_foreach(events, index, event)
    {
        const char *date = json_string_value(json_object_get(event, RC_KEY_DATE));
        struct rc_date parsed = { .counting_day = INT32_MAX };
        if (date)
            rc_date_parse(date, strlen(date), &parsed, NULL);
        sorted[index] =
            (struct dated_event){ parsed.counting_day,
                                  json_integer_value(json_object_get(event, RC_KEY_SEQ)), event };
    }
    qsort(sorted, count, sizeof *sorted, by_date_then_seq);
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = event_printer_add(printer, sorted[i].event, why);
    free(sorted);
    return rc;
}

/* The filters of a history request, without the page. */
static json_t *history_filters(const struct cli_options *opts)
{
    json_t *params = json_object();
    json_t *types = NULL;
    int rc = params ? 0 : -1;

    rc |= param_text(params, RC_KEY_COALITION, opts->coalition);
    rc |= param_text(params, RC_KEY_COUNTRY, opts->country);
    rc |= param_text(params, RC_KEY_SINCE, opts->since);
    rc |= param_text(params, RC_KEY_UNTIL, opts->until);
    if (opts->order_by_date)
        rc |= param_text(params, RC_KEY_ORDER, "date");
    if (opts->types) {
        rc |= (types = json_array()) ? 0 : -1;
        for (int t = 0; t < EVENT_TYPE_COUNT && types; t++) {
            if (opts->types & (1u << t))
                rc |= json_array_append_new(types, json_string(event_type_name(t)));
        }
        rc |= json_object_set_new(params, RC_KEY_TYPES, types);
    }
    if (rc != 0) {
        json_decref(params);
        return NULL;
    }
    return params;
}

/* Where history's events go: the printer, or a list to sort by date first. */
struct history_sink {
    struct event_printer printer;
    json_t *collect;
    bool gone; /* the reader of our output went away */
};

static int history_event(struct session *session, json_t *event, void *ctx)
{
    struct history_sink *sink = ctx;
    char why[OUTPUT_WHY_MAX];

    if (sink->collect)
        return json_array_append(sink->collect, event) == 0
                   ? EXIT_OK
                   : session_error(session, RPC_INTERNAL, "out of memory");
    if (event_printer_add(&sink->printer, event, why) != 0)
        return session_bad_reply(session, why);
    return EXIT_OK;
}

/* A long history streams page by page (a table must wait to align). */
static int history_page_done(struct session *session, void *ctx, bool *stop)
{
    struct history_sink *sink = ctx;

    if (sink->collect || session->format == FORMAT_TABLE)
        return EXIT_OK;
    int rc = session_flush(session, &sink->gone);
    *stop = sink->gone;
    return rc;
}

int cmd_history(struct session *session)
{
    const struct cli_options *opts = session->opts;
    struct history_sink sink = { .collect = opts->order_by_date ? json_array() : NULL };
    struct history_walk walk = {
        .params = history_filters(opts),
        .from_seq = opts->has_from_seq ? opts->from_seq : 1,
        .limit = opts->has_limit ? opts->limit : 0, /* without --limit, every page */
        .on_event = history_event,
        .on_page = history_page_done,
        .ctx = &sink,
    };
    char why[OUTPUT_WHY_MAX];
    int rc;

    if (walk.params == NULL || (opts->order_by_date && sink.collect == NULL)) {
        json_decref(walk.params);
        json_decref(sink.collect);
        return session_error(session, RPC_INTERNAL, "out of memory");
    }
    event_printer_init(&sink.printer, session->out, session->format, false);
    rc = session_walk_history(session, &walk);
    if (rc == EXIT_OK && !sink.gone) {
        if (sink.collect && print_by_date(&sink.printer, sink.collect, why) != 0)
            rc = session_bad_reply(session, why);
        else if (event_printer_finish(&sink.printer, why) != 0)
            rc = session_bad_reply(session, why);
        if (rc == EXIT_OK && session->format == FORMAT_TABLE && walk.from_seq != 0)
            fprintf(session->out, "(more from seq %" PRIu64 ": --from-seq %" PRIu64 ")\n",
                    walk.from_seq, walk.from_seq);
    }
    event_printer_free(&sink.printer);
    json_decref(sink.collect);
    json_decref(walk.params);
    return rc != EXIT_OK || sink.gone ? rc : session_flush(session, NULL);
}

/* ---- follow --------------------------------------------------------------------------- */

/* follow_ended: the daemon stopped feeding us; say where to resume. */
static int follow_ended(struct session *session, const msgpack_object *params)
{
    const msgpack_object *code = mp_map_get(params, RC_KEY_CODE);
    const msgpack_object *next = mp_map_get(params, RC_KEY_NEXT_SEQ);
    char text[64];

    mp_printable(code ? code : params, text, sizeof text);
    fprintf(session->err, "rollcall: follow ended by the daemon (%s)", text);
    if (next && next->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        fprintf(session->err, ": resume with --from-seq %" PRIu64, next->via.u64);
    putc('\n', session->err);
    return EXIT_ERROR;
}

int cmd_follow(struct session *session)
{
    const struct cli_options *opts = session->opts;
    struct event_printer printer;
    struct rc_notification note;
    struct rc_reply reply;
    char why[OUTPUT_WHY_MAX];
    json_t *params = json_object();
    int rc = params ? 0 : -1;
    bool gone = false;

    rc |= param_text(params, RC_KEY_COALITION, opts->coalition);
    if (opts->has_from_seq)
        rc |= param_uint(params, RC_KEY_FROM_SEQ, opts->from_seq);
    if (rc != 0) {
        json_decref(params);
        return session_error(session, RPC_INTERNAL, "out of memory");
    }
    rc = session_call(session, METHOD_FOLLOW, params, &reply);
    json_decref(params);
    if (rc != EXIT_OK)
        return rc;
    rc_reply_free(&reply);

    event_printer_init(&printer, session->out, session->format, true);
    if (event_printer_header(&printer, why) != 0)
        rc = session_bad_reply(session, why);
    else
        rc = session_flush(session, &gone);
    while (rc == EXIT_OK && !gone) {
        enum rc_status status =
            rc_next_notification(session->client, session->cancel_fd, session->watch_fd, &note);
        if (status == RC_CANCELLED)
            break; /* interrupted, or nobody reads our output any more */
        if (status != RC_OK) {
            rc = session_transport_error(session, status);
            break;
        }
        msgpack_object method = { .type = MSGPACK_OBJECT_STR };
        method.via.str.ptr = note.method;
        method.via.str.size = (uint32_t)note.method_len;
        if (mp_str_eq(&method, NOTIFY_EVENT)) {
            if (event_printer_add_msgpack(&printer, note.params, why) != 0)
                rc = session_bad_reply(session, why);
            else
                rc = session_flush(session, &gone);
        } else if (mp_str_eq(&method, NOTIFY_FOLLOW_ENDED)) {
            rc = follow_ended(session, note.params);
        }
        rc_notification_free(&note);
    }
    event_printer_free(&printer);
    return rc;
}
