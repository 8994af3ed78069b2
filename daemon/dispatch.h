/*
 * dispatch.h — routing requests to their methods (dispatch.c).
 */
#ifndef ROLLCALLD_DISPATCH_H
#define ROLLCALLD_DISPATCH_H

#include "rollcalld.h"

/* Hook `request`: handles one request from conn. Loop thread. */
void dispatch_request(struct conn *conn, const struct rpc_message *message);

#endif
