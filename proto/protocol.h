/*
 * protocol.h — the wire contract shared by rollcalld and rollcall.
 *
 * MessagePack-RPC over a Unix stream socket: the upstream contract
 * protocol.md, with the choices it leaves open recorded in
 * doc/contract-notes.md ("Appending", "Protocol results"). Method names,
 * error codes and limits live here, the keys of every map in keys.h, and
 * nowhere else: both programs include these headers and never spell a
 * method, an error code or a key themselves.
 *
 * Bump RC_PROTOCOL_VERSION on any change a deployed caller could notice: a
 * method's parameters or result, an error code, a limit that tightens.
 */
#ifndef ROLLCALL_PROTOCOL_H
#define ROLLCALL_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define RC_PROTOCOL_VERSION 1
#define RC_SERVER_NAME      "rollcalld"

/* Message kinds: the first element of every message array. */
enum rpc_kind {
    RPC_REQUEST = 0,      /* [0, msgid, method, [params]] */
    RPC_RESPONSE = 1,     /* [1, msgid, error, result] */
    RPC_NOTIFICATION = 2, /* [2, method, [params]] */
};

enum rpc_method {
    METHOD_HELLO,
    METHOD_APPEND,
    METHOD_STATE,
    METHOD_TIMELINE,
    METHOD_HISTORY,
    METHOD_COALITIONS,
    METHOD_FOLLOW,
    METHOD_UNFOLLOW,
    METHOD_STATUS,
    METHOD_VERIFY,
    METHOD_COUNT,
    METHOD_UNKNOWN = -1,
};

/* Notifications the daemon sends to followers. */
#define NOTIFY_EVENT        "event"
#define NOTIFY_FOLLOW_ENDED "follow_ended"
#define FOLLOW_TOO_SLOW     "too_slow"

enum rpc_error {
    RPC_OK = 0,
    RPC_BAD_REQUEST,
    RPC_INVALID_EVENT,
    RPC_UNKNOWN_COALITION,
    RPC_NOT_FOUND,
    RPC_CONFLICT,
    RPC_FORBIDDEN,
    RPC_TOO_LARGE,
    RPC_UNAVAILABLE,
    RPC_INTERNAL,
    RPC_ERROR_COUNT,
};

/* Limits. A request over max_message gets too_large; the rest are contract. */
#define RC_MAX_MESSAGE_DEFAULT   (1u << 20) /* bytes per request */
#define RC_MAX_BATCH             10000      /* events per append */
#define RC_HISTORY_LIMIT_DEFAULT 1000
#define RC_HISTORY_LIMIT_MAX     10000
#define RC_FOLLOW_QUEUE_MAX      (8u << 20) /* bytes queued to a follower */
#define RC_MAX_DEPTH             16         /* msgpack nesting accepted from outside */

/* "hello" -> METHOD_HELLO; METHOD_UNKNOWN for anything else. */
enum rpc_method rpc_method_from_name(const char *name, size_t len);
const char *rpc_method_name(enum rpc_method method);

/* RPC_CONFLICT -> "conflict". */
const char *rpc_error_code(enum rpc_error error);
/* "conflict" -> RPC_CONFLICT; RPC_INTERNAL for a code this build doesn't know. */
enum rpc_error rpc_error_from_code(const char *code, size_t len);

#endif
