/*
 * dispatch.c — routes each request to its method, and the small methods
 * that need no file of their own: hello, status, unfollow.
 */
#include <string.h>

#include "append.h"
#include "dispatch.h"
#include "follow.h"
#include "keys.h"
#include "params.h"
#include "query.h"
#include "verify.h"

static void reply_hello(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct params p;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_HELLO, map, P_CLIENT, 0, &p))
        return;
    int rc = conn_result_begin(&r, msgid) | msgpack_pack_map(&r.pk, 5);
    rc |= mp_pack_key(&r.pk, RC_KEY_SERVER) | mp_pack_str(&r.pk, RC_SERVER_NAME);
    rc |= mp_pack_key(&r.pk, RC_KEY_VERSION) | mp_pack_str(&r.pk, ROLLCALL_VERSION);
    rc |= mp_pack_key(&r.pk, RC_KEY_PROTOCOL) | msgpack_pack_int(&r.pk, RC_PROTOCOL_VERSION);
    rc |= mp_pack_key(&r.pk, RC_KEY_WRITER);
    rc |= conn->writer ? msgpack_pack_true(&r.pk) : msgpack_pack_false(&r.pk);
    rc |= mp_pack_key(&r.pk, RC_KEY_HEAD) | msgpack_pack_uint64(&r.pk, server->durable_head);
    conn_result_send(conn, &r, rc);
}

static void reply_status(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct store_stats stats;
    struct params p;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_STATUS, map, 0, 0, &p))
        return;
    store_stats(server->store, &stats);
    int rc = conn_result_begin(&r, msgid) | msgpack_pack_map(&r.pk, 11);
    rc |= mp_pack_key(&r.pk, RC_KEY_VERSION) | mp_pack_str(&r.pk, ROLLCALL_VERSION);
    rc |= mp_pack_key(&r.pk, RC_KEY_UPTIME_S) |
          msgpack_pack_int64(&r.pk, (rc_now_us() - server->started_us) / 1000000);
    rc |= mp_pack_key(&r.pk, RC_KEY_HEAD) | msgpack_pack_uint64(&r.pk, server->durable_head);
    rc |= mp_pack_key(&r.pk, RC_KEY_SEGMENTS) | msgpack_pack_uint64(&r.pk, stats.segments);
    rc |= mp_pack_key(&r.pk, RC_KEY_BYTES) | msgpack_pack_uint64(&r.pk, stats.bytes);
    rc |= mp_pack_key(&r.pk, RC_KEY_DATA_DIR) | mp_pack_str(&r.pk, server->config.data_dir);
    rc |= mp_pack_key(&r.pk, RC_KEY_FSYNC) |
          mp_pack_str(&r.pk, server->config.fsync ? "always" : "never");
    rc |= mp_pack_key(&r.pk, RC_KEY_CLIENTS) | msgpack_pack_unsigned_int(&r.pk, server->conn_count);
    rc |= mp_pack_key(&r.pk, RC_KEY_FOLLOWERS) |
          msgpack_pack_unsigned_int(&r.pk, server->follower_count);
    rc |= mp_pack_key(&r.pk, RC_KEY_READ_ONLY);
    rc |= server->read_only ? msgpack_pack_true(&r.pk) : msgpack_pack_false(&r.pk);
    rc |= mp_pack_key(&r.pk, RC_KEY_LAST_ERROR) |
          mp_pack_str(&r.pk, server->last_error[0] ? server->last_error : NULL);
    conn_result_send(conn, &r, rc);
}

static void reply_unfollow(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct params p;
    struct reply r;

    if (!params_parse(conn, msgid, METHOD_UNFOLLOW, map, 0, 0, &p))
        return;
    follow_stop(conn);
    conn_result_send(conn, &r, conn_result_begin(&r, msgid) | msgpack_pack_map(&r.pk, 0));
}

void dispatch_request(struct conn *conn, const struct rpc_message *message)
{
    typedef void (*method_fn)(struct conn *, uint32_t, const msgpack_object *);
    static const method_fn methods[METHOD_COUNT] = {
        [METHOD_HELLO] = reply_hello,     [METHOD_APPEND] = append_method,
        [METHOD_STATE] = query_state,     [METHOD_TIMELINE] = query_timeline,
        [METHOD_HISTORY] = query_history, [METHOD_COALITIONS] = query_coalitions,
        [METHOD_FOLLOW] = follow_start,   [METHOD_UNFOLLOW] = reply_unfollow,
        [METHOD_STATUS] = reply_status,   [METHOD_VERIFY] = verify_start,
    };
    enum rpc_method method = rpc_method_from_name(message->method, message->method_len);

    if (method == METHOD_UNKNOWN) {
        msgpack_object name = { .type = MSGPACK_OBJECT_STR };
        char printable[64];
        name.via.str.ptr = message->method;
        name.via.str.size = (uint32_t)message->method_len;
        mp_printable(&name, printable, sizeof printable);
        conn_reply_error(conn, message->msgid, RPC_BAD_REQUEST, NULL, "unknown method '%s'",
                         printable);
        return;
    }
    if (conn->server->shutting_down && (method == METHOD_FOLLOW || method == METHOD_VERIFY)) {
        conn_reply_error(conn, message->msgid, RPC_UNAVAILABLE, NULL, "rollcalld is shutting down");
        return;
    }
    methods[method](conn, message->msgid, message->params);
}
