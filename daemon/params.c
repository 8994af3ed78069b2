/*
 * params.c — parsing and checking every method's parameters: names, types,
 * ranges, defaults, and the bad_request that names the culprit.
 */
#include "params.h"
#include "keys.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    enum param_bit bit;
} param_names[] = {
    { RC_KEY_COALITION, P_COALITION }, { RC_KEY_AT, P_AT },
    { RC_KEY_AS_OF_SEQ, P_AS_OF_SEQ }, { RC_KEY_AS_RECORDED, P_AS_RECORDED },
    { RC_KEY_SINCE, P_SINCE },         { RC_KEY_UNTIL, P_UNTIL },
    { RC_KEY_COUNTRY, P_COUNTRY },     { RC_KEY_TYPES, P_TYPES },
    { RC_KEY_FROM_SEQ, P_FROM_SEQ },   { RC_KEY_LIMIT, P_LIMIT },
    { RC_KEY_ORDER, P_ORDER },         { RC_KEY_CLIENT, P_CLIENT },
    { RC_KEY_EVENTS, P_EVENTS },       { RC_KEY_EXPECT_HEAD, P_EXPECT_HEAD },
};

static const char *param_name(enum param_bit bit)
{
    for (size_t i = 0; i < sizeof param_names / sizeof param_names[0]; i++) {
        if (param_names[i].bit == bit)
            return param_names[i].name;
    }
    return "?";
}

static bool bad(struct conn *conn, uint32_t msgid, enum param_bit bit, const char *what)
{
    const char *name = param_name(bit);
    conn_reply_error(conn, msgid, RPC_BAD_REQUEST, &(struct rpc_error_detail){ .field = name },
                     "%s %s", name, what);
    return false;
}

/* Copies a string parameter without NULs, at most PARAM_TEXT_MAX - 1 bytes. */
static bool read_text(const msgpack_object *val, char *out, size_t max)
{
    if (val->type != MSGPACK_OBJECT_STR || val->via.str.size == 0 || val->via.str.size >= max ||
        memchr(val->via.str.ptr, '\0', val->via.str.size))
        return false;
    memcpy(out, val->via.str.ptr, val->via.str.size);
    out[val->via.str.size] = '\0';
    return true;
}

static bool read_date(const msgpack_object *val, struct rc_date *date)
{
    return val->type == MSGPACK_OBJECT_STR &&
           rc_date_parse(val->via.str.ptr, val->via.str.size, date, NULL);
}

static bool read_types(const msgpack_object *val, unsigned *types)
{
    if (val->type != MSGPACK_OBJECT_ARRAY)
        return false;
    for (uint32_t i = 0; i < val->via.array.size; i++) {
        const msgpack_object *item = &val->via.array.ptr[i];
        enum event_type type;
        if (item->type != MSGPACK_OBJECT_STR ||
            !event_type_from_name(item->via.str.ptr, item->via.str.size, &type))
            return false;
        *types |= 1u << type;
    }
    return true;
}

/* Reads one parameter's value into out. */
static bool read_value(struct conn *conn, uint32_t msgid, enum param_bit bit,
                       const msgpack_object *val, struct params *out)
{
    char text[PARAM_TEXT_MAX];

    switch (bit) {
    case P_COALITION:
        return read_text(val, out->coalition, SLUG_TEXT_MAX) ||
               bad(conn, msgid, bit, "must be a coalition slug");
    case P_COUNTRY:
        if (!read_text(val, text, sizeof text))
            return bad(conn, msgid, bit, "must be a non-empty string of at most 128 bytes");
        {
            /* Compared like stored countries: without surrounding blanks. */
            char *s = text, *end = text + strlen(text);
            while (*s == ' ')
                s++;
            while (end > s && end[-1] == ' ')
                end--;
            *end = '\0';
            snprintf(out->country, sizeof out->country, "%s", s);
        }
        return true;
    case P_AT:
        if (!read_date(val, &out->at))
            return bad(conn, msgid, bit, "must be a date: YYYY-MM-DD, YYYY-MM or YYYY");
        snprintf(out->at_text, sizeof out->at_text, "%.*s", (int)val->via.str.size,
                 val->via.str.ptr);
        return true;
    case P_SINCE:
        return read_date(val, &out->since) ||
               bad(conn, msgid, bit, "must be a date: YYYY-MM-DD, YYYY-MM or YYYY");
    case P_UNTIL:
        return read_date(val, &out->until) ||
               bad(conn, msgid, bit, "must be a date: YYYY-MM-DD, YYYY-MM or YYYY");
    case P_AS_OF_SEQ:
        if (val->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return bad(conn, msgid, bit, "must be an unsigned integer");
        out->as_of_seq = val->via.u64;
        return true;
    case P_AS_RECORDED:
        if (val->type != MSGPACK_OBJECT_STR ||
            !rc_time_parse(val->via.str.ptr, val->via.str.size, &out->as_recorded_us))
            return bad(conn, msgid, bit, "must be an RFC 3339 time");
        return true;
    case P_TYPES:
        return read_types(val, &out->types) ||
               bad(conn, msgid, bit, "must be an array of event type names");
    case P_FROM_SEQ:
        if (val->type != MSGPACK_OBJECT_POSITIVE_INTEGER || val->via.u64 == 0)
            return bad(conn, msgid, bit, "must be a positive integer");
        out->from_seq = val->via.u64;
        return true;
    case P_LIMIT:
        if (val->type != MSGPACK_OBJECT_POSITIVE_INTEGER || val->via.u64 == 0 ||
            val->via.u64 > RC_HISTORY_LIMIT_MAX)
            return bad(conn, msgid, bit, "must be an integer from 1 to 10000");
        out->limit = val->via.u64;
        return true;
    case P_ORDER:
        if (mp_str_eq(val, "seq") || mp_str_eq(val, "date")) {
            out->order_by_date = mp_str_eq(val, "date");
            return true;
        }
        return bad(conn, msgid, bit, "must be \"seq\" or \"date\"");
    case P_CLIENT:
        return val->type == MSGPACK_OBJECT_STR || bad(conn, msgid, bit, "must be a string");
    case P_EVENTS:
        if (val->type != MSGPACK_OBJECT_ARRAY || val->via.array.size == 0 ||
            val->via.array.size > RC_MAX_BATCH) {
            conn_reply_error(conn, msgid, RPC_BAD_REQUEST,
                             &(struct rpc_error_detail){ .field = param_name(bit) },
                             "events must be an array of 1 to %d event maps", RC_MAX_BATCH);
            return false;
        }
        out->events = val;
        return true;
    case P_EXPECT_HEAD:
        if (val->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return bad(conn, msgid, bit, "must be an unsigned integer");
        out->expect_head = val->via.u64;
        return true;
    }
    return false;
}

bool params_parse(struct conn *conn, uint32_t msgid, enum rpc_method method,
                  const msgpack_object *params, unsigned allowed, unsigned required,
                  struct params *out)
{
    memset(out, 0, sizeof *out);
    out->from_seq = 1;
    out->limit = RC_HISTORY_LIMIT_DEFAULT;

    for (uint32_t i = 0; i < params->via.map.size; i++) {
        const msgpack_object *key = &params->via.map.ptr[i].key;
        enum param_bit bit = 0;
        for (size_t k = 0; k < sizeof param_names / sizeof param_names[0]; k++) {
            if (mp_str_eq(key, param_names[k].name))
                bit = param_names[k].bit;
        }
        if (bit == 0 || !(allowed & bit)) {
            char name[40];
            mp_printable(key, name, sizeof name);
            conn_reply_error(conn, msgid, RPC_BAD_REQUEST, NULL, "unknown parameter '%s' for %s",
                             name, rpc_method_name(method));
            return false;
        }
        if (out->present & bit)
            return bad(conn, msgid, bit, "is given twice");
        if (!read_value(conn, msgid, bit, &params->via.map.ptr[i].val, out))
            return false;
        out->present |= bit;
    }
    for (unsigned bit = 1; bit <= P_LAST; bit <<= 1) {
        if ((required & bit) && !(out->present & bit)) {
            conn_reply_error(conn, msgid, RPC_BAD_REQUEST,
                             &(struct rpc_error_detail){ .field = param_name(bit) },
                             "missing parameter '%s' for %s", param_name(bit),
                             rpc_method_name(method));
            return false;
        }
    }
    if ((out->present & P_AS_OF_SEQ) && (out->present & P_AS_RECORDED)) {
        conn_reply_error(conn, msgid, RPC_BAD_REQUEST, NULL,
                         "give as_of_seq or as_recorded, not both");
        return false;
    }
    if (!(out->present & P_AT)) {
        int32_t today = rc_today();
        rc_day_format(today, out->at_text);
        rc_date_parse(out->at_text, strlen(out->at_text), &out->at, NULL);
    }
    return true;
}

uint64_t params_cut(const struct server *server, const struct params *params)
{
    uint64_t cut = server->durable_head;

    if (params->present & P_AS_OF_SEQ)
        cut = params->as_of_seq;
    else if (params->present & P_AS_RECORDED)
        cut = membership_seq_at_time(server->membership, params->as_recorded_us);
    return cut < server->durable_head ? cut : server->durable_head;
}
