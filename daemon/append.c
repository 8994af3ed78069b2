/*
 * append.c — the append method: check the caller may write, take the
 * parameters, decode and validate every event, check expect_head and the
 * batch against the projection, stamp seq and recorded, write the records to
 * the store (buffered, one pwritev) and fold them into the projection — all
 * at once on the loop thread. The answer then waits in commit.c until the
 * events are durable.
 *
 * A write the store refuses is answered `unavailable`; if it left the store
 * failed, the log turns read-only (hook `failed`).
 */
#include <stdio.h>
#include <stdlib.h>

#include "append.h"
#include "commit.h"
#include "log.h"
#include "params.h"

/* Why this caller can't append now, or NULL. */
static bool may_append(struct conn *conn, uint32_t msgid)
{
    struct server *server = conn->server;

    if (!conn->writer) {
        if (server->config.writers_group)
            conn_reply_error(conn, msgid, RPC_FORBIDDEN, NULL,
                             "uid %lu may not append: writers are the daemon's user, root and "
                             "members of group '%s'",
                             (unsigned long)conn->uid, server->config.writers_group);
        else
            conn_reply_error(conn, msgid, RPC_FORBIDDEN, NULL,
                             "uid %lu may not append: writers are the daemon's user and root "
                             "(see rollcalld --writers-group)",
                             (unsigned long)conn->uid);
        return false;
    }
    if (server->shutting_down) {
        conn_reply_error(conn, msgid, RPC_UNAVAILABLE, NULL, "rollcalld is shutting down");
        return false;
    }
    if (server->read_only) {
        conn_reply_error(conn, msgid, RPC_UNAVAILABLE, NULL,
                         "the log is read-only after an I/O error (%s); reads still work, "
                         "restart rollcalld once the cause is fixed",
                         server->last_error);
        return false;
    }
    return true;
}

static void free_events(struct event **events, size_t count)
{
    for (size_t i = 0; i < count; i++)
        event_free(events[i]);
    free(events);
}

/* Decodes every event; answers invalid_event for the first bad one. */
static struct event **decode_events(struct conn *conn, uint32_t msgid, const msgpack_object *array)
{
    size_t count = array->via.array.size;
    struct event **events = calloc(count, sizeof *events);
    struct event_error err;

    if (events == NULL) {
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        events[i] = event_decode(&array->via.array.ptr[i], EVENT_FROM_CLIENT, &err);
        if (events[i] == NULL) {
            struct rpc_error_detail detail = { .field = err.field, .has_index = true, .index = i };
            conn_reply_error(conn, msgid, RPC_INVALID_EVENT, &detail, "event %zu: %s%s%s", i,
                             err.field, err.field[0] ? ": " : "", err.message);
            free_events(events, count);
            return NULL;
        }
    }
    return events;
}

static void reply_check_error(struct conn *conn, uint32_t msgid, const struct append_error *err)
{
    struct rpc_error_detail detail = {
        .field = err->field[0] ? err->field : NULL,
        .has_index = true,
        .index = err->index,
        .seq = err->seq,
    };
    conn_reply_error(conn, msgid, err->code, &detail, "event %zu: %s", err->index, err->message);
}

/*
 * Stamps the new events, packs them as log records and writes them in one
 * store_append. Returns false (and answers) if the store refused.
 */
static bool write_events(struct conn *conn, uint32_t msgid, struct event **events, size_t count,
                         const uint64_t *repeat_seq, int64_t recorded_us)
{
    struct server *server = conn->server;
    struct store_record *records = calloc(count, sizeof *records);
    size_t *ends = calloc(count, sizeof *ends);
    uint64_t seq = membership_head(server->membership);
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    struct store_error err;
    size_t n = 0;
    bool ok = false;

    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    if (records == NULL || ends == NULL) {
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (repeat_seq[i] != 0)
            continue;
        events[i]->seq = ++seq;
        events[i]->recorded_us = recorded_us;
        if (event_pack(&pk, events[i], ENCODE_LOG) != 0) {
            conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
            goto done;
        }
        records[n].seq = events[i]->seq;
        records[n].recorded_us = recorded_us;
        ends[n++] = sbuf.size;
    }
    /* The buffer may have moved while growing: point into it only now. */
    for (size_t i = 0; i < n; i++) {
        size_t start = i == 0 ? 0 : ends[i - 1];
        records[i].body = sbuf.data + start;
        records[i].len = ends[i] - start;
    }
    if (n > 0 && store_append(server->store, records, n, &err) != 0) {
        log_warnx("%s: append of %zu events failed: %s", conn->peer, n, err.message);
        if (store_failed(server->store, NULL))
            server->hooks.failed(server, err.message);
        conn_reply_error(conn, msgid, RPC_UNAVAILABLE, NULL, "could not write to the log: %s",
                         err.message);
        goto done;
    }
    ok = true;
done:
    msgpack_sbuffer_destroy(&sbuf);
    free(records);
    free(ends);
    return ok;
}

void append_method(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct params p;
    struct append_error check;
    struct event **events = NULL;
    uint64_t *repeat_seq = NULL;
    struct append_job *job = NULL;
    size_t count;

    if (!may_append(conn, msgid) ||
        !params_parse(conn, msgid, METHOD_APPEND, map, P_EVENTS | P_EXPECT_HEAD, P_EVENTS, &p))
        return;
    count = p.events->via.array.size;
    if ((events = decode_events(conn, msgid, p.events)) == NULL)
        return;

    uint64_t head = membership_head(server->membership);
    if ((p.present & P_EXPECT_HEAD) && p.expect_head != head) {
        struct rpc_error_detail detail = { .has_head = true, .head = head };
        conn_reply_error(conn, msgid, RPC_CONFLICT, &detail,
                         "expect_head is %llu but the log's head is %llu",
                         (unsigned long long)p.expect_head, (unsigned long long)head);
        goto done;
    }
    repeat_seq = calloc(count, sizeof *repeat_seq);
    job = commit_job_new(conn, msgid, count);
    if (repeat_seq == NULL || job == NULL) {
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (!membership_check_batch(server->membership, events, count, repeat_seq, &check)) {
        reply_check_error(conn, msgid, &check);
        goto done;
    }

    /* recorded never decreases, even if the wall clock steps back. */
    int64_t now = rc_now_us();
    int64_t recorded = now > server->commit.last_recorded ? now : server->commit.last_recorded;
    if (!write_events(conn, msgid, events, count, repeat_seq, recorded))
        goto done;

    /* Written: fold the new events in (the projection takes them) and wait. */
    bool any_new = false;
    for (size_t i = 0; i < count; i++) {
        if (repeat_seq[i] != 0) {
            job->seqs[i] = repeat_seq[i];
            const struct event *original = membership_event(server->membership, repeat_seq[i]);
            if (!any_new && original && original->recorded_us > job->recorded_us)
                job->recorded_us = original->recorded_us;
        } else {
            job->seqs[i] = events[i]->seq;
            membership_apply(server->membership, events[i]);
            events[i] = NULL;
            any_new = true;
        }
        if (job->seqs[i] > job->wait_seq)
            job->wait_seq = job->seqs[i];
    }
    if (any_new) {
        job->recorded_us = recorded;
        server->commit.last_recorded = recorded;
    }
    commit_wait(job);
    job = NULL;
done:
    free(job);
    free(repeat_seq);
    free_events(events, count);
}
