/*
 * replay.c — rebuilding the projection from the log at start-up.
 *
 * Every record is decoded and checked again as the event it was when it was
 * appended. A record that no longer reads as a valid event, or that the
 * projection would have refused (a target that isn't a fact, an id stored
 * twice), means the log was damaged or edited: the daemon refuses to start
 * rather than serve a state that silently differs from the log.
 */
#include <stdio.h>

#include "record.h"
#include "replay.h"

int replay_log(struct store *store, struct membership *membership, int64_t *last_recorded,
               char *why, size_t size)
{
    struct store_iter *iter = store_iter_new(store, 1);
    struct store_record record;
    struct store_error err;
    int rc;

    if (iter == NULL) {
        snprintf(why, size, "out of memory");
        return -1;
    }
    /* The views are built once at the end: replay is O(n log n), not a re-sort per event. */
    membership_begin_bulk(membership);
    while ((rc = store_iter_next(iter, &record, &err)) == 1) {
        struct event *event = decode_record(&record, why, size);
        struct append_error check;
        uint64_t repeat = 0;
        if (event == NULL)
            goto refuse;
        if (!membership_check_batch(membership, &event, 1, &repeat, &check) || repeat != 0) {
            snprintf(why, size, "%s", repeat ? "it repeats an id stored earlier" : check.message);
            event_free(event);
            goto refuse;
        }
        *last_recorded = event->recorded_us;
        membership_apply(membership, event);
    }
    store_iter_free(iter);
    membership_end_bulk(membership);
    if (rc < 0) {
        snprintf(why, size, "%s", err.message);
        return -1;
    }
    return 0;

refuse:
    store_iter_free(iter);
    {
        char detail[256];
        snprintf(detail, sizeof detail, "%s", why);
        snprintf(why, size, "record seq %llu: %s", (unsigned long long)record.seq, detail);
    }
    return -1;
}
