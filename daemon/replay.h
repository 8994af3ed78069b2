/*
 * replay.h — rebuilding the projection from the log (replay.c).
 */
#ifndef ROLLCALLD_REPLAY_H
#define ROLLCALLD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "membership.h"
#include "store.h"

/*
 * Feeds every stored record, in seq order, to the projection. Returns 0, or
 * -1 with why naming the record and what is wrong with it. *last_recorded is
 * the newest record's stamp.
 */
int replay_log(struct store *store, struct membership *membership, int64_t *last_recorded,
               char *why, size_t size);

#endif
