/*
 * follow.c — streaming events to followers, in seq order, none skipped, none
 * twice.
 *
 * Catching up costs the daemon nothing but a cursor: the events are in the
 * projection's memory, so a follower behind the head is fed a chunk at a time
 * as its socket drains. Once caught up, each newly durable event is pushed at
 * once. A caught-up follower that stops reading would make those pushes pile
 * up; when a push would take its queue past RC_FOLLOW_QUEUE_MAX bytes, its
 * follow is ended with follow_ended/too_slow and the seq to resume from.
 */
#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "keys.h"
#include "log.h"
#include "params.h"

/* Catch-up refills the socket up to this many queued bytes. */
#define CATCH_UP_QUEUE (1u << 20)

static bool wants(const struct follow *follow, const struct event *event)
{
    return follow->coalition == NULL ||
           strcmp(follow->coalition, event->field[FIELD_COALITION]) == 0;
}

static void end_follow(struct conn *conn, const char *code)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    uint64_t next_seq = conn->follow.next_seq;

    follow_stop(conn);
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    if (rpc_pack_notification(&pk, NOTIFY_FOLLOW_ENDED) || msgpack_pack_map(&pk, 2) ||
        mp_pack_key(&pk, RC_KEY_CODE) || mp_pack_str(&pk, code) ||
        mp_pack_key(&pk, RC_KEY_NEXT_SEQ) || msgpack_pack_uint64(&pk, next_seq)) {
        msgpack_sbuffer_destroy(&sbuf);
        conn_close(conn);
        return;
    }
    log_info("%s: follow ended (%s) at seq %llu", conn->peer, code, (unsigned long long)next_seq);
    conn_send_sbuffer(conn, &sbuf);
}

/*
 * Packs events from the cursor while the queue stays under limit; sends them
 * as one write. Returns false if it ran out of memory (the conn is closed).
 */
static bool send_events(struct conn *conn, size_t limit)
{
    struct server *server = conn->server;
    struct follow *follow = &conn->follow;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    while (follow->next_seq <= server->durable_head && conn->outbound + sbuf.size < limit) {
        const struct event *event = membership_event(server->membership, follow->next_seq);
        if (event && wants(follow, event) &&
            (rpc_pack_notification(&pk, NOTIFY_EVENT) || event_pack(&pk, event, ENCODE_WIRE))) {
            msgpack_sbuffer_destroy(&sbuf);
            log_warnx("%s: out of memory feeding a follower", conn->peer);
            conn_close(conn);
            return false;
        }
        follow->next_seq++;
    }
    follow->caught_up = follow->next_seq > server->durable_head;
    conn_send_sbuffer(conn, &sbuf);
    return true;
}

void follow_pump(struct conn *conn)
{
    if (conn->follow.active && !conn->closing)
        send_events(conn, CATCH_UP_QUEUE);
}

void follow_pump_all(struct server *server)
{
    struct conn *conn, *next;

    for (conn = TAILQ_FIRST(&server->conns); conn != NULL; conn = next) {
        next = TAILQ_NEXT(conn, entry);
        if (!conn->follow.active || conn->closing)
            continue;
        if (!conn->follow.caught_up) {
            follow_pump(conn); /* its socket sets the pace */
            continue;
        }
        /* Live: push everything new; a peer that can't take it is too slow. */
        if (send_events(conn, RC_FOLLOW_QUEUE_MAX) && conn->follow.active &&
            conn->follow.next_seq <= server->durable_head)
            end_follow(conn, FOLLOW_TOO_SLOW);
    }
}

void follow_stop(struct conn *conn)
{
    if (!conn->follow.active)
        return;
    conn->follow.active = false;
    free(conn->follow.coalition);
    conn->follow.coalition = NULL;
    conn->server->follower_count--;
}

void follow_start(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct params p;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_FOLLOW, map, P_FROM_SEQ | P_COALITION, 0, &p))
        return;
    uint64_t from_seq = (p.present & P_FROM_SEQ) ? p.from_seq : server->durable_head + 1;
    char *slug = NULL;
    int rc = conn_result_begin(&r, msgid) | msgpack_pack_map(&r.pk, 1);
    rc |= mp_pack_key(&r.pk, RC_KEY_HEAD) | msgpack_pack_uint64(&r.pk, server->durable_head);
    if (rc == 0 && (p.present & P_COALITION) && (slug = strdup(p.coalition)) == NULL)
        rc = -1;
    if (rc == 0)
        follow_stop(conn); /* a second follow replaces the first */
    conn_result_send(conn, &r, rc);
    if (rc != 0)
        return;
    conn->follow.active = true;
    conn->follow.next_seq = from_seq;
    conn->follow.coalition = slug;
    server->follower_count++;
    log_debug("%s: following from seq %llu", conn->peer, (unsigned long long)from_seq);
    follow_pump(conn);
}
