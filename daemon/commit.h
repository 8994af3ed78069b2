/*
 * commit.h — group commit (commit.c): written appends wait here for one
 * shared fdatasync, then are answered. Loop thread only.
 */
#ifndef ROLLCALLD_COMMIT_H
#define ROLLCALLD_COMMIT_H

#include "rollcalld.h"

/* One append's answer, waiting for its events to be durable. */
struct append_job {
    TAILQ_ENTRY(append_job) entry;
    struct conn *conn;
    uint32_t msgid;
    uint64_t wait_seq;   /* answer once durable_head reaches it */
    int64_t recorded_us; /* the stamp the answer reports */
    size_t count;
    uint64_t seqs[]; /* one per event of the request */
};

void commit_init(struct server *server);
/* A job for count events, zeroed but for its caller; NULL when out of memory. */
struct append_job *commit_job_new(struct conn *conn, uint32_t msgid, size_t count);
/*
 * Takes the job: answers it at once if its events are already durable, else
 * queues it and starts a sync if none runs. The conn is held until answered.
 */
void commit_wait(struct append_job *job);
/* True when no append is written-but-unanswered and no sync runs. */
bool commit_idle(const struct server *server);

#endif
