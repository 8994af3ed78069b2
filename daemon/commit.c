/*
 * commit.c — appends and group commit.
 *
 * An append is handled in two halves. On the loop thread, at once: check the
 * caller may write, decode and validate every event, check expect_head and the
 * batch against the projection, stamp seq and recorded, write the records to
 * the store (buffered, one pwritev) and fold them into the projection. Then
 * the job waits. One fdatasync at a time runs on a libuv worker; when it
 * returns, every job whose events it covered is answered — all the appends
 * that were written while the previous sync ran share this one.
 *
 * Readers never see a written event before it is durable: every query is cut
 * at server->durable_head, which moves only here, after a successful sync.
 *
 * If a sync fails, the kernel may have dropped the dirty pages: the store
 * turns read-only, every waiting caller gets `unavailable`, and the events
 * they wrote stay invisible (past durable_head) until a restart re-reads the
 * log and keeps exactly what reached the disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "log.h"

struct append_job {
    TAILQ_ENTRY(append_job) entry;
    struct conn *conn;
    uint32_t msgid;
    uint64_t wait_seq;   /* answer once durable_head reaches it */
    int64_t recorded_us; /* the stamp the answer reports */
    size_t count;
    uint64_t seqs[]; /* one per event of the request */
};

static void commit_kick(struct server *server);

void commit_init(struct server *server)
{
    TAILQ_INIT(&server->commit.waiting);
    server->commit.syncing = false;
    server->commit.last_recorded = 0;
}

bool commit_idle(const struct server *server)
{
    return !server->commit.syncing && TAILQ_EMPTY(&server->commit.waiting);
}

/* ---- answering ------------------------------------------------------------ */

static void reply_appended(struct conn *conn, const struct append_job *job)
{
    struct server *server = conn->server;
    char recorded[RC_TIME_TEXT_MAX];
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int rc;

    size_t recorded_len = rc_time_format(job->recorded_us, recorded);
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    rc = rpc_pack_result_header(&pk, job->msgid) || msgpack_pack_map(&pk, 3) ||
         mp_pack_key(&pk, "seqs") || msgpack_pack_array(&pk, job->count);
    for (size_t i = 0; rc == 0 && i < job->count; i++)
        rc = msgpack_pack_uint64(&pk, job->seqs[i]);
    if (rc == 0)
        rc = mp_pack_key(&pk, "head") || msgpack_pack_uint64(&pk, server->durable_head) ||
             mp_pack_key(&pk, "recorded") || mp_pack_strn(&pk, recorded, recorded_len);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        conn_reply_error(conn, job->msgid, RPC_INTERNAL, NULL, "out of memory packing a reply");
        return;
    }
    conn_send_sbuffer(conn, &sbuf);
}

/* Answers a job (ok or failed) and lets go of its connection. */
static void finish_job(struct append_job *job, bool durable, const char *failure)
{
    struct conn *conn = job->conn;

    if (!conn->closing) {
        if (durable)
            reply_appended(conn, job);
        else
            conn_reply_error(conn, job->msgid, RPC_UNAVAILABLE, NULL, "%s", failure);
    }
    free(job);
    conn_append_done(conn);
}

/* ---- the sync worker ------------------------------------------------------ */

static void sync_work(uv_work_t *work)
{
    struct server *server = work->data;
    /* Only the store, which guards itself, is touched off the loop thread. */
    server->commit.sync_status = store_sync(server->store, &server->commit.sync_error);
}

static void sync_done(uv_work_t *work, int status)
{
    struct server *server = work->data;
    struct commit *commit = &server->commit;
    struct append_job *job, *next;

    (void)status; /* the work is never cancelled */
    commit->syncing = false;
    if (commit->sync_status == 0) {
        server->durable_head = store_durable_head(server->store);
        for (job = TAILQ_FIRST(&commit->waiting); job != NULL; job = next) {
            next = TAILQ_NEXT(job, entry);
            if (job->wait_seq <= server->durable_head) {
                TAILQ_REMOVE(&commit->waiting, job, entry);
                finish_job(job, true, NULL);
            }
        }
        server->hooks.durable(server);
        commit_kick(server);
    } else {
        char why[sizeof commit->sync_error.message + 64];
        snprintf(why, sizeof why, "the log could not be made durable: %s",
                 commit->sync_error.message);
        server->hooks.failed(server, why);
        while ((job = TAILQ_FIRST(&commit->waiting)) != NULL) {
            TAILQ_REMOVE(&commit->waiting, job, entry);
            finish_job(job, false, why);
        }
    }
    server->hooks.settled(server);
}

/* Starts a sync if appends wait for one and none runs. */
static void commit_kick(struct server *server)
{
    struct commit *commit = &server->commit;

    if (commit->syncing || TAILQ_EMPTY(&commit->waiting))
        return;
    commit->work.data = server;
    int rc = uv_queue_work(server->loop, &commit->work, sync_work, sync_done);
    if (rc != 0) {
        /* Can't happen with a live loop; fail loudly rather than hang callers. */
        log_error("%s: uv_queue_work: %s", __func__, uv_strerror(rc));
        commit->sync_status = -1;
        snprintf(commit->sync_error.message, sizeof commit->sync_error.message,
                 "could not start a sync: %s", uv_strerror(rc));
        commit->syncing = true;
        sync_done(&commit->work, 0);
        return;
    }
    commit->syncing = true;
}

/* ---- the loop-thread half of an append ------------------------------------ */

struct append_request {
    const msgpack_object *events;
    bool has_expect_head;
    uint64_t expect_head;
};

static bool parse_append_params(struct conn *conn, uint32_t msgid, const msgpack_object *params,
                                struct append_request *req)
{
    memset(req, 0, sizeof *req);
    for (uint32_t i = 0; i < params->via.map.size; i++) {
        const msgpack_object *key = &params->via.map.ptr[i].key;
        const msgpack_object *val = &params->via.map.ptr[i].val;
        if (mp_str_eq(key, "events")) {
            if (val->type != MSGPACK_OBJECT_ARRAY || val->via.array.size == 0 ||
                val->via.array.size > RC_MAX_BATCH) {
                conn_reply_error(conn, msgid, RPC_BAD_REQUEST,
                                 &(struct rpc_error_detail){ .field = "events" },
                                 "events must be an array of 1 to %d event maps", RC_MAX_BATCH);
                return false;
            }
            req->events = val;
        } else if (mp_str_eq(key, "expect_head")) {
            if (val->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
                conn_reply_error(conn, msgid, RPC_BAD_REQUEST,
                                 &(struct rpc_error_detail){ .field = "expect_head" },
                                 "expect_head must be an unsigned integer");
                return false;
            }
            req->has_expect_head = true;
            req->expect_head = val->via.u64;
        } else {
            char name[40];
            mp_printable(key, name, sizeof name);
            conn_reply_error(conn, msgid, RPC_BAD_REQUEST, NULL,
                             "unknown parameter '%s' for append", name);
            return false;
        }
    }
    if (req->events == NULL) {
        conn_reply_error(conn, msgid, RPC_BAD_REQUEST,
                         &(struct rpc_error_detail){ .field = "events" },
                         "missing parameter 'events'");
        return false;
    }
    return true;
}

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

void commit_append(struct conn *conn, uint32_t msgid, const msgpack_object *params)
{
    struct server *server = conn->server;
    struct append_request req;
    struct append_error check;
    struct event **events = NULL;
    uint64_t *repeat_seq = NULL;
    struct append_job *job = NULL;
    size_t count;

    if (!may_append(conn, msgid) || !parse_append_params(conn, msgid, params, &req))
        return;
    count = req.events->via.array.size;
    if ((events = decode_events(conn, msgid, req.events)) == NULL)
        return;

    uint64_t head = membership_head(server->membership);
    if (req.has_expect_head && req.expect_head != head) {
        struct rpc_error_detail detail = { .has_head = true, .head = head };
        conn_reply_error(conn, msgid, RPC_CONFLICT, &detail,
                         "expect_head is %llu but the log's head is %llu",
                         (unsigned long long)req.expect_head, (unsigned long long)head);
        goto done;
    }
    repeat_seq = calloc(count, sizeof *repeat_seq);
    job = calloc(1, sizeof *job + count * sizeof job->seqs[0]);
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
    job->conn = conn;
    job->msgid = msgid;
    job->count = count;
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

    conn_ref(conn);
    conn->pending_appends++;
    if (job->wait_seq <= server->durable_head) {
        /* Every event repeats one that is already durable. */
        finish_job(job, true, NULL);
    } else {
        TAILQ_INSERT_TAIL(&server->commit.waiting, job, entry);
        commit_kick(server);
    }
    job = NULL;
done:
    free(job);
    free(repeat_seq);
    free_events(events, count);
}
