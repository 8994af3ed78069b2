/*
 * lifecycle.h — recovery, serving, read-only and shutdown (lifecycle.c).
 * Loop thread only.
 */
#ifndef ROLLCALLD_LIFECYCLE_H
#define ROLLCALLD_LIFECYCLE_H

#include "rollcalld.h"

/*
 * Opens and replays the log, listens, serves until a signal has drained
 * every connection, and closes the store. Exits (status 1) if the log can't
 * be opened or replayed, or the socket can't be had. Returns main's status.
 */
int lifecycle_run(struct server *server);

/* Hook `failed`: marks the log read-only after a failure, logs once, tells systemd. */
void lifecycle_enter_read_only(struct server *server, const char *why);
/* Hook `settled`: finishes the shutdown once nothing it waits for is left. */
void lifecycle_settled(struct server *server);

#endif
