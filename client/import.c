/*
 * import.c — JSON Lines in (import) and out (export).
 *
 * An import reads one event per line, checks each against the event schema
 * as it goes, and appends them in batches, each atomic. A bad line stops the
 * import at once: the batches before it are in the log, nothing after.
 *
 * Lines that carry `seq` come from an export. The log must continue exactly
 * as the export did, or every `target` would point at another fact: each
 * batch of them goes with expect_head = its first seq - 1, a batch never
 * spans a gap in the seqs, and the seqs the daemon assigns are checked
 * against the lines'.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "import.h"
#include "keys.h"

/* Packed events per append: well under the daemon's default 1 MiB request limit. */
#define BATCH_BYTES_MAX (512u << 10)

/* ---- reading lines ------------------------------------------------------------------ */

void line_reader_init(struct line_reader *reader, FILE *in)
{
    memset(reader, 0, sizeof *reader);
    reader->in = in;
}

void line_reader_free(struct line_reader *reader)
{
    free(reader->buf);
    reader->buf = NULL;
}

int line_reader_next(struct line_reader *reader)
{
    int c = EOF;

    reader->len = 0;
    reader->number++;
    while ((c = getc_unlocked(reader->in)) != EOF) {
        if (reader->len + 1 >= reader->size) {
            if (reader->size >= IMPORT_LINE_MAX)
                return LINE_TOO_LONG;
            size_t size = reader->size ? reader->size * 2 : 4096;
            char *buf = realloc(reader->buf, size);
            if (buf == NULL)
                return LINE_NOMEM;
            reader->buf = buf;
            reader->size = size;
        }
        if (c == '\n')
            break;
        reader->buf[reader->len++] = (char)c;
    }
    if (c == EOF && ferror(reader->in))
        return LINE_READ_ERROR;
    if (c == EOF && reader->len == 0)
        return LINE_EOF;
    reader->buf[reader->len] = '\0';
    return LINE_OK;
}

/* ---- one line ----------------------------------------------------------------------- */

static bool blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
            return false;
    }
    return true;
}

struct event *import_decode_line(const char *text, size_t len, struct event_error *err)
{
    json_error_t error;
    json_t *value = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    struct event *event;

    if (value == NULL) {
        snprintf(err->field, sizeof err->field, "%s", "");
        snprintf(err->message, sizeof err->message, "not JSON: %s (column %d)", error.text,
                 error.column);
        return NULL;
    }
    if (!json_is_object(value)) {
        json_decref(value);
        snprintf(err->field, sizeof err->field, "%s", "");
        snprintf(err->message, sizeof err->message, "an event is a JSON object");
        return NULL;
    }
    /* FROM_WIRE: an export's seq and recorded are accepted, and checked. */
    event = session_decode_event(value, EVENT_FROM_WIRE, err);
    json_decref(value);
    return event;
}

/* ---- batches ------------------------------------------------------------------------ */

struct batch {
    msgpack_sbuffer events; /* the packed events, back to back */
    msgpack_packer pk;
    size_t count, capacity;
    uint64_t *lines; /* each event's line number */
    uint64_t *seqs;  /* each event's seq from the line, 0 if none */
    bool with_seq;
};

struct import {
    struct session *session;
    struct batch batch;
    struct import_summary summary;
    uint64_t head; /* the log's head as last seen: what is new is above it */
};

static bool batch_init(struct batch *batch, size_t capacity)
{
    memset(batch, 0, sizeof *batch);
    msgpack_sbuffer_init(&batch->events);
    msgpack_packer_init(&batch->pk, &batch->events, msgpack_sbuffer_write);
    batch->capacity = capacity;
    batch->lines = calloc(capacity, sizeof *batch->lines);
    batch->seqs = calloc(capacity, sizeof *batch->seqs);
    return batch->lines && batch->seqs;
}

static void batch_free(struct batch *batch)
{
    msgpack_sbuffer_destroy(&batch->events);
    free(batch->lines);
    free(batch->seqs);
}

static void batch_clear(struct batch *batch)
{
    msgpack_sbuffer_clear(&batch->events);
    batch->count = 0;
}

/* A full batch goes at once, not when the next line comes (that may be bad, or slow). */
static bool batch_full(const struct batch *batch)
{
    return batch->count == batch->capacity || batch->events.size >= BATCH_BYTES_MAX;
}

/* Can't event join the batch? */
static bool batch_refuses(const struct batch *batch, const struct event *event)
{
    if (batch->count == 0)
        return false;
    if ((event->seq != 0) != batch->with_seq)
        return true; /* an export's lines and free lines never share a batch */
    return event->seq != 0 && event->seq != batch->seqs[batch->count - 1] + 1;
}

static int batch_add(struct batch *batch, const struct event *event, uint64_t line)
{
    if (batch->count == 0)
        batch->with_seq = event->seq != 0;
    if (event_pack(&batch->pk, event, ENCODE_CONTENT) != 0)
        return -1;
    batch->lines[batch->count] = line;
    batch->seqs[batch->count] = event->seq;
    batch->count++;
    return 0;
}

/* The daemon refused the batch: name the line it means. */
static int batch_refused(struct import *import, const struct rc_error *error)
{
    struct batch *batch = &import->batch;
    char context[96];

    if (error->has_index && error->index < batch->count)
        snprintf(context, sizeof context, "line %" PRIu64, batch->lines[error->index]);
    else
        snprintf(context, sizeof context, "lines %" PRIu64 "-%" PRIu64, batch->lines[0],
                 batch->lines[batch->count - 1]);
    int rc = session_daemon_error(import->session, error, context);
    if (error->code == RPC_CONFLICT && error->has_head && batch->with_seq)
        fprintf(import->session->err,
                "rollcall: line %" PRIu64 " continues an export from seq %" PRIu64
                ": it imports only into a log whose head is %" PRIu64 "\n",
                batch->lines[0], batch->seqs[0], batch->seqs[0] - 1);
    return rc;
}

/* Counts what the batch added, and checks an export's seqs came out the same. */
static int batch_accepted(struct import *import, const msgpack_object *result)
{
    struct batch *batch = &import->batch;
    const msgpack_object *seqs = mp_map_get(result, RC_KEY_SEQS);
    const msgpack_object *head = mp_map_get(result, RC_KEY_HEAD);
    uint64_t newest = import->head;

    if (seqs == NULL || seqs->type != MSGPACK_OBJECT_ARRAY ||
        seqs->via.array.size != batch->count || head == NULL ||
        head->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return session_bad_reply(import->session, "an append result without one seq per event");
    for (size_t i = 0; i < batch->count; i++) {
        const msgpack_object *seq = &seqs->via.array.ptr[i];
        if (seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return session_bad_reply(import->session, "a seq that is not a number");
        if (batch->with_seq && seq->via.u64 != batch->seqs[i])
            return session_error(import->session, RPC_CONFLICT,
                                 "line %" PRIu64 " went in as seq %" PRIu64
                                 " where the export says %" PRIu64 ": the log differs from it",
                                 batch->lines[i], seq->via.u64, batch->seqs[i]);
        /* New seqs rise above everything before; a repeat gets an older one. */
        if (seq->via.u64 > newest) {
            newest = seq->via.u64;
            import->summary.appended++;
        } else {
            import->summary.repeats++;
        }
    }
    import->head = head->via.u64;
    return EXIT_OK;
}

static int batch_send(struct import *import)
{
    struct batch *batch = &import->batch;
    struct rc_reply reply;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int rc;

    if (batch->count == 0)
        return EXIT_OK;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    rc = msgpack_pack_map(&pk, batch->with_seq ? 2 : 1);
    rc |= mp_pack_key(&pk, RC_KEY_EVENTS) | msgpack_pack_array(&pk, batch->count);
    rc |= msgpack_sbuffer_write(&sbuf, batch->events.data, batch->events.size);
    if (batch->with_seq)
        rc |= mp_pack_key(&pk, RC_KEY_EXPECT_HEAD) | msgpack_pack_uint64(&pk, batch->seqs[0] - 1);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        return session_error(import->session, RPC_INTERNAL, "out of memory");
    }
    rc = session_request(import->session, METHOD_APPEND, sbuf.data, sbuf.size, &reply);
    msgpack_sbuffer_destroy(&sbuf);
    if (rc != EXIT_OK)
        return rc;
    rc = reply.failed ? batch_refused(import, &reply.error) : batch_accepted(import, reply.result);
    rc_reply_free(&reply);
    batch_clear(batch);
    return rc;
}

/* ---- import ------------------------------------------------------------------------- */

/* The log's head now: what this import appends comes after it. */
static int current_head(struct session *session, uint64_t *head)
{
    struct rc_reply reply;
    int rc = session_call(session, METHOD_HELLO, NULL, &reply);

    if (rc != EXIT_OK)
        return rc;
    const msgpack_object *value = mp_map_get(reply.result, RC_KEY_HEAD);
    if (value && value->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        *head = value->via.u64;
    else
        rc = session_bad_reply(session, "hello without a head");
    rc_reply_free(&reply);
    return rc;
}

static int bad_line(struct import *import, uint64_t line, const struct event_error *err)
{
    if (err->field[0])
        return session_error(import->session, RPC_INVALID_EVENT, "line %" PRIu64 ": %s: %s", line,
                             err->field, err->message);
    return session_error(import->session, RPC_INVALID_EVENT, "line %" PRIu64 ": %s", line,
                         err->message);
}

/* Reads, checks and sends every line of in. */
static int import_lines(struct import *import, struct line_reader *reader, const char *name)
{
    struct event_error err;
    int rc = EXIT_OK, got;

    while (rc == EXIT_OK && (got = line_reader_next(reader)) == LINE_OK) {
        if (blank(reader->buf, reader->len))
            continue;
        struct event *event = import_decode_line(reader->buf, reader->len, &err);
        if (event == NULL)
            return bad_line(import, reader->number, &err);
        import->summary.lines++;
        if (batch_refuses(&import->batch, event))
            rc = batch_send(import);
        if (rc == EXIT_OK && batch_add(&import->batch, event, reader->number) != 0)
            rc = session_error(import->session, RPC_INTERNAL, "out of memory");
        if (rc == EXIT_OK && batch_full(&import->batch))
            rc = batch_send(import);
        event_free(event);
    }
    if (rc != EXIT_OK)
        return rc;
    switch (got) {
    case LINE_TOO_LONG:
        return session_error(import->session, RPC_INVALID_EVENT,
                             "line %" PRIu64 ": longer than %u bytes", reader->number,
                             IMPORT_LINE_MAX);
    case LINE_NOMEM:
        return session_error(import->session, RPC_INTERNAL, "out of memory");
    case LINE_READ_ERROR:
        fprintf(import->session->err, "rollcall: %s: %s\n", name, strerror(errno));
        return EXIT_ERROR;
    default:
        return batch_send(import);
    }
}

int cmd_import(struct session *session)
{
    const struct cli_options *opts = session->opts;
    const char *name = opts->file && strcmp(opts->file, "-") != 0 ? opts->file : NULL;
    struct line_reader reader;
    struct import import;
    FILE *in = stdin;
    int rc;

    memset(&import, 0, sizeof import);
    import.session = session;
    if (name && (in = fopen(name, "r")) == NULL) {
        fprintf(session->err, "rollcall: %s: %s\n", name, strerror(errno));
        return EXIT_ERROR;
    }
    if (!batch_init(&import.batch, opts->batch)) {
        rc = session_error(session, RPC_INTERNAL, "out of memory");
        goto done;
    }
    if ((rc = current_head(session, &import.head)) != EXIT_OK)
        goto done;

    line_reader_init(&reader, in);
    rc = import_lines(&import, &reader, name ? name : "standard input");
    line_reader_free(&reader);
    import.summary.head = import.head;
    if (rc == EXIT_OK) {
        output_import_summary(session->out, session->format, &import.summary);
        rc = session_flush(session, NULL);
    } else if (import.summary.appended + import.summary.repeats > 0) {
        fprintf(session->err,
                "rollcall: the batches before stay in the log: %" PRIu64
                " events appended, %" PRIu64 " already there; head %" PRIu64 "\n",
                import.summary.appended, import.summary.repeats, import.head);
    }
done:
    batch_free(&import.batch);
    if (name)
        fclose(in);
    return rc;
}

/* ---- export -------------------------------------------------------------------------- */

static int export_event(struct session *session, json_t *event, void *ctx)
{
    (void)ctx;
    output_json_line(session->out, event);
    return EXIT_OK;
}

static int export_page_done(struct session *session, void *ctx, bool *stop)
{
    bool *gone = ctx;
    int rc = session_flush(session, gone);
    *stop = *gone;
    return rc;
}

int cmd_export(struct session *session)
{
    bool gone = false;
    struct history_walk walk = { json_object(), 1, 0, export_event, export_page_done, &gone };
    int rc;

    if (walk.params == NULL ||
        param_text(walk.params, RC_KEY_COALITION, session->opts->coalition)) {
        json_decref(walk.params);
        return session_error(session, RPC_INTERNAL, "out of memory");
    }
    rc = session_walk_history(session, &walk);
    json_decref(walk.params);
    return rc;
}
