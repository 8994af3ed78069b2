/*
 * commit.c — group commit: the queue of written appends and the sync engine
 * that makes them durable and answers them.
 *
 * append.c writes an append's events and hands its answer here as a job.
 * One fdatasync at a time runs on a libuv worker; when it returns, every job
 * whose events it covered is answered — all the appends that were written
 * while the previous sync ran share this one.
 *
 * Readers never see a written event before it is durable: every query is cut
 * at server->durable_head, which moves only here, after a successful sync.
 *
 * If a sync fails, the kernel may have dropped the dirty pages: the store
 * turns read-only, every waiting caller gets `unavailable`, and the events
 * they wrote stay invisible (past durable_head) until a restart re-reads the
 * log and keeps exactly what reached the disk.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commit.h"
#include "keys.h"
#include "log.h"

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
    struct reply r;

    size_t recorded_len = rc_time_format(job->recorded_us, recorded);
    int rc = conn_result_begin(&r, job->msgid) | msgpack_pack_map(&r.pk, 3);
    rc |= mp_pack_key(&r.pk, RC_KEY_SEQS) | msgpack_pack_array(&r.pk, job->count);
    for (size_t i = 0; i < job->count; i++)
        rc |= msgpack_pack_uint64(&r.pk, job->seqs[i]);
    rc |= mp_pack_key(&r.pk, RC_KEY_HEAD) | msgpack_pack_uint64(&r.pk, server->durable_head);
    rc |= mp_pack_key(&r.pk, RC_KEY_RECORDED) | mp_pack_strn(&r.pk, recorded, recorded_len);
    conn_result_send(conn, &r, rc);
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

/* ---- waiting ----------------------------------------------------------------- */

struct append_job *commit_job_new(struct conn *conn, uint32_t msgid, size_t count)
{
    struct append_job *job = calloc(1, sizeof *job + count * sizeof job->seqs[0]);

    if (job != NULL) {
        job->conn = conn;
        job->msgid = msgid;
        job->count = count;
    }
    return job;
}

void commit_wait(struct append_job *job)
{
    struct conn *conn = job->conn;
    struct server *server = conn->server;

    conn_ref(conn);
    conn->pending_appends++;
    if (job->wait_seq <= server->durable_head) {
        /* Every event repeats one that is already durable. */
        finish_job(job, true, NULL);
    } else {
        TAILQ_INSERT_TAIL(&server->commit.waiting, job, entry);
        commit_kick(server);
    }
}
