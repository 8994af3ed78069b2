/*
 * append.h — the append method (append.c). Loop thread only.
 */
#ifndef ROLLCALLD_APPEND_H
#define ROLLCALLD_APPEND_H

#include "rollcalld.h"

/*
 * Validates, writes and hands one append to group commit; the answer is sent
 * when the events are durable (or an error at once). Takes the params map.
 */
void append_method(struct conn *conn, uint32_t msgid, const msgpack_object *params);

#endif
