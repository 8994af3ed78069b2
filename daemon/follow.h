/*
 * follow.h — streaming events to followers (follow.c). Loop thread only.
 */
#ifndef ROLLCALLD_FOLLOW_H
#define ROLLCALLD_FOLLOW_H

#include "rollcalld.h"

/* The follow method: answers {head}, then streams from from_seq. */
void follow_start(struct conn *conn, uint32_t msgid, const msgpack_object *params);
/* Hook `closing` (and unfollow): ends conn's follow, if any; sends nothing. */
void follow_stop(struct conn *conn);
/* Hook `writable`: feeds a catching-up follower as its socket drains. */
void follow_pump(struct conn *conn);
/* Hook `durable`: sends every follower what it may now see. */
void follow_pump_all(struct server *server);

#endif
