/*
 * dispatch.c — routes each request to its method, and the small methods
 * that need no file of their own: hello, status, unfollow.
 */
#include <string.h>

#include "append.h"
#include "dispatch.h"
#include "follow.h"
#include "params.h"
#include "query.h"
#include "verify.h"

static void reply_hello(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct params p;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    if (!params_parse(conn, msgid, "hello", map, P_CLIENT, 0, &p))
        return;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    int rc = rpc_pack_result_header(&pk, msgid) | msgpack_pack_map(&pk, 5);
    rc |= mp_pack_key(&pk, "server") | mp_pack_str(&pk, RC_SERVER_NAME);
    rc |= mp_pack_key(&pk, "version") | mp_pack_str(&pk, ROLLCALL_VERSION);
    rc |= mp_pack_key(&pk, "protocol") | msgpack_pack_int(&pk, RC_PROTOCOL_VERSION);
    rc |= mp_pack_key(&pk, "writer");
    rc |= conn->writer ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    rc |= mp_pack_key(&pk, "head") | msgpack_pack_uint64(&pk, server->durable_head);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        return;
    }
    conn_send_sbuffer(conn, &sbuf);
}

static void reply_status(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct server *server = conn->server;
    struct store_stats stats;
    struct params p;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    if (!params_parse(conn, msgid, "status", map, 0, 0, &p))
        return;
    store_stats(server->store, &stats);
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    int rc = rpc_pack_result_header(&pk, msgid) | msgpack_pack_map(&pk, 11);
    rc |= mp_pack_key(&pk, "version") | mp_pack_str(&pk, ROLLCALL_VERSION);
    rc |= mp_pack_key(&pk, "uptime_s") |
          msgpack_pack_int64(&pk, (rc_now_us() - server->started_us) / 1000000);
    rc |= mp_pack_key(&pk, "head") | msgpack_pack_uint64(&pk, server->durable_head);
    rc |= mp_pack_key(&pk, "segments") | msgpack_pack_uint64(&pk, stats.segments);
    rc |= mp_pack_key(&pk, "bytes") | msgpack_pack_uint64(&pk, stats.bytes);
    rc |= mp_pack_key(&pk, "data_dir") | mp_pack_str(&pk, server->config.data_dir);
    rc |= mp_pack_key(&pk, "fsync") | mp_pack_str(&pk, server->config.fsync ? "always" : "never");
    rc |= mp_pack_key(&pk, "clients") | msgpack_pack_unsigned_int(&pk, server->conn_count);
    rc |= mp_pack_key(&pk, "followers") | msgpack_pack_unsigned_int(&pk, server->follower_count);
    rc |= mp_pack_key(&pk, "read_only");
    rc |= server->read_only ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    rc |= mp_pack_key(&pk, "last_error") |
          mp_pack_str(&pk, server->last_error[0] ? server->last_error : NULL);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        return;
    }
    conn_send_sbuffer(conn, &sbuf);
}

static void reply_unfollow(struct conn *conn, uint32_t msgid, const msgpack_object *map)
{
    struct params p;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    if (!params_parse(conn, msgid, "unfollow", map, 0, 0, &p))
        return;
    follow_stop(conn);
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    if (rpc_pack_result_header(&pk, msgid) | msgpack_pack_map(&pk, 0)) {
        msgpack_sbuffer_destroy(&sbuf);
        conn_reply_error(conn, msgid, RPC_INTERNAL, NULL, "out of memory");
        return;
    }
    conn_send_sbuffer(conn, &sbuf);
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
