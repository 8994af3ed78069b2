/*
 * commit.h — group commit (commit.c). Loop thread only.
 */
#ifndef ROLLCALLD_COMMIT_H
#define ROLLCALLD_COMMIT_H

#include "rollcalld.h"

void commit_init(struct server *server);
/*
 * Validates, writes and queues one append; the answer is sent when the
 * events are durable (or an error at once). Takes the request's params map.
 */
void commit_append(struct conn *conn, uint32_t msgid, const msgpack_object *params);
/* True when no append is written-but-unanswered and no sync runs. */
bool commit_idle(const struct server *server);

#endif
