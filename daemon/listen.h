/*
 * listen.h — the listening socket (listen.c).
 */
#ifndef ROLLCALLD_LISTEN_H
#define ROLLCALLD_LISTEN_H

#include "rollcalld.h"

/* Adopts systemd's socket or binds the configured path; starts accepting. */
bool listen_start(struct server *server);
/* Stops accepting; removes the socket file if we created it. */
void listen_stop(struct server *server);

#endif
