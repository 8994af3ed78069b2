/*
 * query.h — the read methods: state, timeline, history, coalitions (query.c).
 * Loop thread only.
 */
#ifndef ROLLCALLD_QUERY_H
#define ROLLCALLD_QUERY_H

#include "rollcalld.h"

void query_state(struct conn *conn, uint32_t msgid, const msgpack_object *params);
void query_timeline(struct conn *conn, uint32_t msgid, const msgpack_object *params);
void query_history(struct conn *conn, uint32_t msgid, const msgpack_object *params);
void query_coalitions(struct conn *conn, uint32_t msgid, const msgpack_object *params);

#endif
