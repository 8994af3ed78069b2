/*
 * params.h — the parameters of every method, parsed and checked in one
 * place so every method refuses an unknown or mistyped parameter the same
 * way (bad_request naming it). Loop thread.
 */
#ifndef ROLLCALLD_PARAMS_H
#define ROLLCALLD_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "rollcalld.h"

enum param_bit {
    P_COALITION = 1u << 0,
    P_AT = 1u << 1,
    P_AS_OF_SEQ = 1u << 2,
    P_AS_RECORDED = 1u << 3,
    P_SINCE = 1u << 4,
    P_UNTIL = 1u << 5,
    P_COUNTRY = 1u << 6,
    P_TYPES = 1u << 7,
    P_FROM_SEQ = 1u << 8,
    P_LIMIT = 1u << 9,
    P_ORDER = 1u << 10,
    P_CLIENT = 1u << 11,
    P_EVENTS = 1u << 12,
    P_EXPECT_HEAD = 1u << 13,
};
#define P_LAST P_EXPECT_HEAD

#define PARAM_TEXT_MAX 129 /* the longest accepted text (a country) plus NUL */
#define SLUG_TEXT_MAX  65  /* a coalition slug plus NUL */

struct params {
    unsigned present; /* param_bits given */
    char coalition[PARAM_TEXT_MAX];
    char country[PARAM_TEXT_MAX]; /* trimmed */
    char at_text[16];             /* as given, or today */
    struct rc_date at, since, until;
    uint64_t as_of_seq;
    int64_t as_recorded_us;
    unsigned types; /* bit per enum event_type; 0 = all */
    uint64_t from_seq;
    uint64_t limit;
    bool order_by_date;
    const msgpack_object *events; /* 1 to RC_MAX_BATCH items, in the request */
    uint64_t expect_head;
};

/*
 * Parses params (a map) for method, allowing the bits in allowed and
 * requiring those in required. On failure answers bad_request and returns
 * false. Defaults: at = today, from_seq = 1, limit = RC_HISTORY_LIMIT_DEFAULT.
 */
bool params_parse(struct conn *conn, uint32_t msgid, enum rpc_method method,
                  const msgpack_object *params, unsigned allowed, unsigned required,
                  struct params *out);

/* The cut for a query: durable head, or as_of_seq / as_recorded clamped to it. */
uint64_t params_cut(const struct server *server, const struct params *params);

#endif
