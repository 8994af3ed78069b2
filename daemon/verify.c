/*
 * verify.c — the `verify` method: a full pass over the log on a worker thread.
 *
 * The store re-reads every durable record with its own file descriptors and
 * checks framing, checksums and seq continuity; here each sound record is also
 * decoded as an event, since a record that passes its checksum but no longer
 * reads as a valid event is damage too. The worker touches only the store
 * and this job; the answer is packed on the loop thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "params.h"
#include "record.h"
#include "verify.h"

/* At most this many problems are listed; all are counted. */
#define VERIFY_PROBLEMS_MAX 1000

struct verify_problem {
    uint64_t seq;
    char segment[64];
    uint64_t offset;
    char message[200];
};

struct verify_job {
    uv_work_t work;
    struct store *store; /* all the worker may touch besides the job */
    struct conn *conn;
    uint32_t msgid;
    int64_t checked;
    struct store_error error;
    size_t problem_count; /* all found */
    struct verify_problem problems[VERIFY_PROBLEMS_MAX];
};

static void on_problem(void *ctx, const struct store_problem *problem)
{
    struct verify_job *job = ctx;
    if (job->problem_count < VERIFY_PROBLEMS_MAX) {
        struct verify_problem *p = &job->problems[job->problem_count];
        p->seq = problem->seq;
        p->offset = problem->offset;
        snprintf(p->segment, sizeof p->segment, "%s", problem->segment ? problem->segment : "");
        snprintf(p->message, sizeof p->message, "%s", problem->message);
    }
    job->problem_count++;
}

/* A record's body must decode as the event it claims to be. */
static int check_record(void *ctx, const struct store_record *record, const char **message)
{
    static __thread char why[256];
    struct event *event = decode_record(record, why, sizeof why);

    (void)ctx;
    if (event == NULL) {
        *message = why;
        return -1;
    }
    event_free(event);
    return 0;
}

static void verify_work(uv_work_t *work)
{
    struct verify_job *job = work->data;
    job->checked = store_verify(job->store, on_problem, check_record, job, &job->error);
}

static void verify_done(uv_work_t *work, int status)
{
    struct verify_job *job = work->data;
    struct conn *conn = job->conn;
    struct server *server = conn->server;
    struct reply r;

    (void)status;
    server->jobs_in_flight--;
    if (conn->closing) {
        /* The caller left; nothing to answer. */
    } else if (job->checked < 0) {
        conn_reply_error(conn, job->msgid, RPC_UNAVAILABLE, NULL, "verify could not run: %s",
                         job->error.message);
    } else {
        size_t listed =
            job->problem_count < VERIFY_PROBLEMS_MAX ? job->problem_count : VERIFY_PROBLEMS_MAX;
        int rc = conn_result_begin(&r, job->msgid) | msgpack_pack_map(&r.pk, 3);
        rc |= mp_pack_key(&r.pk, RC_KEY_OK);
        rc |= job->problem_count == 0 ? msgpack_pack_true(&r.pk) : msgpack_pack_false(&r.pk);
        rc |= mp_pack_key(&r.pk, RC_KEY_CHECKED) | msgpack_pack_int64(&r.pk, job->checked);
        rc |= mp_pack_key(&r.pk, RC_KEY_ERRORS) | msgpack_pack_array(&r.pk, listed);
        for (size_t i = 0; i < listed; i++) {
            const struct verify_problem *p = &job->problems[i];
            rc |= msgpack_pack_map(&r.pk, 4);
            rc |= mp_pack_key(&r.pk, RC_KEY_SEQ) | msgpack_pack_uint64(&r.pk, p->seq);
            rc |= mp_pack_key(&r.pk, RC_KEY_SEGMENT) | mp_pack_str(&r.pk, p->segment);
            rc |= mp_pack_key(&r.pk, RC_KEY_OFFSET) | msgpack_pack_uint64(&r.pk, p->offset);
            rc |= mp_pack_key(&r.pk, RC_KEY_MESSAGE) | mp_pack_str(&r.pk, p->message);
        }
        if (job->problem_count > 0)
            log_warnx("verify found %zu problems in the log", job->problem_count);
        conn_result_send(conn, &r, rc);
    }
    free(job);
    conn_unref(conn);
    server->hooks.settled(server);
}

void verify_start(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct params p;
    struct verify_job *job;

    if (!params_parse(conn, msgid, METHOD_VERIFY, map, 0, 0, &p))
        return;
    if ((job = calloc(1, sizeof *job)) == NULL) {
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        return;
    }
    job->store = server->store;
    job->conn = conn;
    job->msgid = msgid;
    job->work.data = job;
    if (uv_queue_work(server->loop, &job->work, verify_work, verify_done) != 0) {
        free(job);
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "could not start verify");
        return;
    }
    conn_ref(conn);
    server->jobs_in_flight++;
}
