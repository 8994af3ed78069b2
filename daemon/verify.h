/*
 * verify.h — the verify method (verify.c). Loop thread.
 */
#ifndef ROLLCALLD_VERIFY_H
#define ROLLCALLD_VERIFY_H

#include "rollcalld.h"

/* Starts a full check of the log on a worker; answers when it is done. */
void verify_start(struct conn *conn, uint32_t msgid, const msgpack_object *params);

#endif
