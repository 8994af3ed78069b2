/*
 * commands.c — the commands that read: state, timeline, history, coalitions,
 * follow, status, verify; and the dispatch of every command.
 */
#include "commands.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "json.h"

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
    int rc = param_text(params, "as_recorded", opts->as_recorded);
    if (opts->has_as_of_seq)
        rc |= param_uint(params, "as_of_seq", opts->as_of_seq);
    return rc;
}

int cmd_state(struct session *session)
{
    const struct cli_options *opts = session->opts;
    json_t *params = json_object();
    int rc = params ? 0 : -1;

    rc |= param_text(params, "coalition", opts->coalition);
    rc |= param_text(params, "at", opts->at);
    rc |= put_cut(params, opts);
    return query(session, METHOD_STATE, params, rc, output_state);
}

int cmd_timeline(struct session *session)
{
    const struct cli_options *opts = session->opts;
    json_t *params = json_object();
    int rc = params ? 0 : -1;

    rc |= param_text(params, "coalition", opts->coalition);
    rc |= param_text(params, "since", opts->since);
    rc |= param_text(params, "until", opts->until);
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
        const char *date = json_string_value(json_object_get(event, "date"));
        struct rc_date parsed = { .counting_day = INT32_MAX };
        if (date)
            rc_date_parse(date, strlen(date), &parsed, NULL);
        sorted[index] =
            (struct dated_event){ parsed.counting_day,
                                  json_integer_value(json_object_get(event, "seq")), event };
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

    rc |= param_text(params, "coalition", opts->coalition);
    rc |= param_text(params, "country", opts->country);
    rc |= param_text(params, "since", opts->since);
    rc |= param_text(params, "until", opts->until);
    if (opts->order_by_date)
        rc |= param_text(params, "order", "date");
    if (opts->types) {
        rc |= (types = json_array()) ? 0 : -1;
        for (int t = 0; t < EVENT_TYPE_COUNT && types; t++) {
            if (opts->types & (1u << t))
                rc |= json_array_append_new(types, json_string(event_type_name(t)));
        }
        rc |= json_object_set_new(params, "types", types);
    }
    if (rc != 0) {
        json_decref(params);
        return NULL;
    }
    return params;
}

/*
 * Fetches one page from *from_seq: at most want events (0: the daemon's
 * page size). Hands each event to printer, or to collect when given.
 * Sets *from_seq to the next page's start, 0 when there is none, and *got.
 */
static int history_page(struct session *session, json_t *filters, uint64_t *from_seq, uint64_t want,
                        struct event_printer *printer, json_t *collect, uint64_t *got)
{
    struct rc_reply reply;
    char why[OUTPUT_WHY_MAX];
    int rc;

    *got = 0;
    if (param_uint(filters, "from_seq", *from_seq) != 0 ||
        (want && param_uint(filters, "limit", want) != 0))
        return session_error(session, RPC_INTERNAL, "out of memory");
    if ((rc = session_call(session, METHOD_HISTORY, filters, &reply)) != EXIT_OK)
        return rc;
    json_t *page = convert_msgpack_to_json(reply.result, why, sizeof why);
    rc_reply_free(&reply);
    if (page == NULL)
        return session_bad_reply(session, why);

    json_t *events = json_object_get(page, "events"), *event;
    size_t index;
    json_array_foreach(events, index, event)
    {
        if (collect ? json_array_append(collect, event) != 0
                    : event_printer_add(printer, event, why) != 0) {
            json_decref(page);
            return session_bad_reply(session, collect ? "out of memory" : why);
        }
    }
    *got = json_array_size(events);
    json_int_t next = json_integer_value(json_object_get(page, "next_seq"));
    *from_seq = next > 0 ? (uint64_t)next : 0;
    json_decref(page);
    return EXIT_OK;
}

int cmd_history(struct session *session)
{
    const struct cli_options *opts = session->opts;
    struct event_printer printer;
    uint64_t from_seq = opts->has_from_seq ? opts->from_seq : 1;
    uint64_t remaining = opts->has_limit ? opts->limit : UINT64_MAX;
    json_t *filters = history_filters(opts);
    json_t *collect = opts->order_by_date ? json_array() : NULL;
    char why[OUTPUT_WHY_MAX];
    bool gone = false;
    int rc = EXIT_OK;

    if (filters == NULL || (opts->order_by_date && collect == NULL)) {
        json_decref(filters);
        return session_error(session, RPC_INTERNAL, "out of memory");
    }
    event_printer_init(&printer, session->out, session->format, false);
    /* Without --limit, every page; with it, pages until that many. */
    while (rc == EXIT_OK && remaining > 0 && from_seq != 0 && !gone) {
        uint64_t got, want = 0;
        if (opts->has_limit)
            want = remaining < RC_HISTORY_LIMIT_MAX ? remaining : RC_HISTORY_LIMIT_MAX;
        rc = history_page(session, filters, &from_seq, want, &printer, collect, &got);
        remaining -= got < remaining ? got : remaining;
        if (rc == EXIT_OK && collect == NULL && session->format != FORMAT_TABLE)
            rc = session_flush(session, &gone); /* a long history streams page by page */
    }
    if (rc == EXIT_OK && !gone) {
        if (collect && print_by_date(&printer, collect, why) != 0)
            rc = session_bad_reply(session, why);
        else if (event_printer_finish(&printer, why) != 0)
            rc = session_bad_reply(session, why);
        if (rc == EXIT_OK && session->format == FORMAT_TABLE && from_seq != 0)
            fprintf(session->out, "(more from seq %" PRIu64 ": --from-seq %" PRIu64 ")\n", from_seq,
                    from_seq);
    }
    event_printer_free(&printer);
    json_decref(collect);
    json_decref(filters);
    return rc != EXIT_OK || gone ? rc : session_flush(session, NULL);
}

/* ---- follow --------------------------------------------------------------------------- */

/* follow_ended: the daemon stopped feeding us; say where to resume. */
static int follow_ended(struct session *session, const msgpack_object *params)
{
    const msgpack_object *code = mp_map_get(params, "code");
    const msgpack_object *next = mp_map_get(params, "next_seq");
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

    rc |= param_text(params, "coalition", opts->coalition);
    if (opts->has_from_seq)
        rc |= param_uint(params, "from_seq", opts->from_seq);
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
