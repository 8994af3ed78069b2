/*
 * session.c — calls to the daemon and the reporting of their failures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "keys.h"
#include "mpguard.h"
#include "session.h"

/* ---- reporting -------------------------------------------------------------- */

int session_transport_error(struct session *session, enum rc_status status)
{
    const char *path = session->socket_path ? session->socket_path : "the socket";

    switch (status) {
    case RC_CLOSED:
        fprintf(session->err, "rollcall: the daemon at %s closed the connection\n", path);
        break;
    case RC_BAD_MESSAGE:
        fprintf(session->err, "rollcall: %s: not rollcalld? %s\n", path, session->client->why);
        break;
    case RC_NOMEM:
        fprintf(session->err, "rollcall: out of memory\n");
        return EXIT_ERROR;
    default:
        fprintf(session->err, "rollcall: %s: %s\n", path, session->client->why);
    }
    return EXIT_NO_DAEMON;
}

/* Appends ", text" (or " (text" for the first) to the details of an error. */
static void add_detail(char *details, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_detail(char *details, size_t size, const char *fmt, ...)
{
    size_t n = strlen(details);
    va_list ap;

    if (n + 3 >= size)
        return;
    memcpy(details + n, n ? ", " : " (", 3);
    va_start(ap, fmt);
    vsnprintf(details + n + 2, size - n - 2, fmt, ap);
    va_end(ap);
}

int session_daemon_error(struct session *session, const struct rc_error *error, const char *context)
{
    char details[256] = "";

    if (context)
        add_detail(details, sizeof details, "%s", context);
    if (error->field[0])
        add_detail(details, sizeof details, "field %s", error->field);
    if (error->has_index && context == NULL)
        add_detail(details, sizeof details, "index %" PRIu64, error->index);
    if (error->has_seq)
        add_detail(details, sizeof details, "seq %" PRIu64, error->seq);
    if (error->has_head)
        add_detail(details, sizeof details, "head %" PRIu64, error->head);
    fprintf(session->err, "rollcall: %s: %s%s%s\n", error->code_text, error->message, details,
            details[0] ? ")" : "");
    return error->code == RPC_CONFLICT ? EXIT_CONFLICT : EXIT_ERROR;
}

int session_error(struct session *session, enum rpc_error code, const char *fmt, ...)
{
    va_list ap;

    fprintf(session->err, "rollcall: %s: ", rpc_error_code(code));
    va_start(ap, fmt);
    vfprintf(session->err, fmt, ap);
    va_end(ap);
    putc('\n', session->err);
    return EXIT_ERROR;
}

int session_bad_reply(struct session *session, const char *why)
{
    fprintf(session->err, "rollcall: unexpected reply from the daemon: %s\n", why);
    return EXIT_ERROR;
}

int session_flush(struct session *session, bool *gone)
{
    if (gone)
        *gone = false;
    if (fflush(session->out) == 0 && !ferror(session->out))
        return EXIT_OK;
    if (errno == EPIPE) {
        /* Whoever read our output has what they wanted (`| head`). */
        if (gone)
            *gone = true;
        return EXIT_OK;
    }
    fprintf(session->err, "rollcall: writing the output: %s\n", strerror(errno));
    return EXIT_ERROR;
}

/* ---- calls ---------------------------------------------------------------------- */

int session_request(struct session *session, enum rpc_method method, const char *params,
                    size_t params_len, struct rc_reply *reply)
{
    enum rc_status status = rc_call(session->client, method, params, params_len, reply);

    return status == RC_OK ? EXIT_OK : session_transport_error(session, status);
}

int session_call(struct session *session, enum rpc_method method, json_t *params,
                 struct rc_reply *reply)
{
    msgpack_sbuffer sbuf;
    int rc;

    memset(reply, 0, sizeof *reply);
    if (params == NULL) {
        rc = session_request(session, method, NULL, 0, reply);
    } else {
        if (convert_json_to_sbuffer(params, &sbuf) != 0) {
            msgpack_sbuffer_destroy(&sbuf);
            fprintf(session->err, "rollcall: out of memory\n");
            return EXIT_ERROR;
        }
        rc = session_request(session, method, sbuf.data, sbuf.size, reply);
        msgpack_sbuffer_destroy(&sbuf);
    }
    if (rc != EXIT_OK)
        return rc;
    if (reply->failed) {
        rc = session_daemon_error(session, &reply->error, NULL);
        rc_reply_free(reply);
    }
    return rc;
}

/* ---- events --------------------------------------------------------------------- */

struct event *session_decode_event(json_t *event, enum event_origin origin, struct event_error *err)
{
    msgpack_sbuffer sbuf;
    msgpack_unpacked unpacked;
    struct event *decoded = NULL;
    size_t object_len;

    msgpack_unpacked_init(&unpacked);
    if (convert_json_to_sbuffer(event, &sbuf) != 0) {
        snprintf(err->field, sizeof err->field, "%s", "");
        snprintf(err->message, sizeof err->message, "out of memory");
        goto done;
    }
    /* Our own bytes, but held to the daemon's limits: too big or too deep fails here. */
    switch (mp_scan(sbuf.data, sbuf.size, RC_MAX_MESSAGE_DEFAULT, RC_MAX_DEPTH, &object_len)) {
    case MP_SCAN_COMPLETE:
        break;
    case MP_SCAN_TOO_LARGE:
        snprintf(err->field, sizeof err->field, "%s", "");
        snprintf(err->message, sizeof err->message, "an event over %u bytes",
                 RC_MAX_MESSAGE_DEFAULT);
        goto done;
    default:
        snprintf(err->field, sizeof err->field, "%s", "");
        snprintf(err->message, sizeof err->message, "nested more than %d levels deep",
                 RC_MAX_DEPTH);
        goto done;
    }
    if (msgpack_unpack_next(&unpacked, sbuf.data, sbuf.size, NULL) != MSGPACK_UNPACK_SUCCESS) {
        snprintf(err->field, sizeof err->field, "%s", "");
        snprintf(err->message, sizeof err->message, "out of memory");
        goto done;
    }
    decoded = event_decode(&unpacked.data, origin, err);
done:
    msgpack_unpacked_destroy(&unpacked);
    msgpack_sbuffer_destroy(&sbuf);
    return decoded;
}

int session_walk_history(struct session *session, struct history_walk *walk)
{
    uint64_t remaining = walk->limit ? walk->limit : UINT64_MAX;
    char why[OUTPUT_WHY_MAX];
    bool stop = false;
    int rc = EXIT_OK;

    while (rc == EXIT_OK && !stop && remaining > 0 && walk->from_seq != 0) {
        uint64_t want = remaining < RC_HISTORY_LIMIT_MAX ? remaining : RC_HISTORY_LIMIT_MAX;
        struct rc_reply reply;
        json_t *event;
        size_t index;

        if (param_uint(walk->params, RC_KEY_FROM_SEQ, walk->from_seq) != 0 ||
            (walk->limit && param_uint(walk->params, RC_KEY_LIMIT, want) != 0))
            return session_error(session, RPC_INTERNAL, "out of memory");
        if ((rc = session_call(session, METHOD_HISTORY, walk->params, &reply)) != EXIT_OK)
            return rc;
        json_t *page = convert_msgpack_to_json(reply.result, why, sizeof why);
        rc_reply_free(&reply);
        if (page == NULL)
            return session_bad_reply(session, why);
        json_t *events = json_object_get(page, RC_KEY_EVENTS);
        json_array_foreach(events, index, event)
        {
            if ((rc = walk->on_event(session, event, walk->ctx)) != EXIT_OK)
                break;
        }
        remaining -= json_array_size(events) < remaining ? json_array_size(events) : remaining;
        json_int_t next = json_integer_value(json_object_get(page, RC_KEY_NEXT_SEQ));
        walk->from_seq = next > 0 ? (uint64_t)next : 0;
        json_decref(page);
        if (rc == EXIT_OK && walk->on_page)
            rc = walk->on_page(session, walk->ctx, &stop);
    }
    return rc;
}

static int keep_first(struct session *session, json_t *event, void *ctx)
{
    json_t **first = ctx;

    (void)session;
    if (*first == NULL)
        *first = json_incref(event);
    return EXIT_OK;
}

int session_fetch_event(struct session *session, uint64_t seq, json_t **event)
{
    json_t *params = json_object();
    struct history_walk walk = { params, seq, 1, keep_first, NULL, event };
    int rc;

    *event = NULL;
    if (params == NULL)
        return session_error(session, RPC_INTERNAL, "out of memory");
    rc = session_walk_history(session, &walk);
    json_decref(params);
    if (rc != EXIT_OK) {
        json_decref(*event);
        *event = NULL;
        return rc;
    }
    /* The page starts at the first event at or after seq: it must be seq itself. */
    if (*event && json_integer_value(json_object_get(*event, RC_KEY_SEQ)) != (json_int_t)seq) {
        json_decref(*event);
        *event = NULL;
    }
    if (*event == NULL)
        return session_error(session, RPC_NOT_FOUND, "the log holds no event at seq %" PRIu64, seq);
    return EXIT_OK;
}

int param_text(json_t *object, const char *key, const char *value)
{
    if (value == NULL)
        return 0;
    return json_object_set_new(object, key, json_string_nocheck(value));
}

int param_uint(json_t *object, const char *key, uint64_t value)
{
    return json_object_set_new(object, key, json_integer((json_int_t)value));
}

void session_today(char buf[static 11])
{
    rc_day_format(rc_today(), buf);
}
