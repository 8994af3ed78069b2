/*
 * protocol.c — the names behind protocol.h's enums. These tables are the only
 * place a method name or an error code is spelled.
 */
#include "protocol.h"

#include <string.h>

static const char *const method_names[METHOD_COUNT] = {
    [METHOD_HELLO] = "hello",     [METHOD_APPEND] = "append",
    [METHOD_STATE] = "state",     [METHOD_TIMELINE] = "timeline",
    [METHOD_HISTORY] = "history", [METHOD_COALITIONS] = "coalitions",
    [METHOD_FOLLOW] = "follow",   [METHOD_UNFOLLOW] = "unfollow",
    [METHOD_STATUS] = "status",   [METHOD_VERIFY] = "verify",
};

static const char *const error_codes[RPC_ERROR_COUNT] = {
    [RPC_OK] = "ok",
    [RPC_BAD_REQUEST] = "bad_request",
    [RPC_INVALID_EVENT] = "invalid_event",
    [RPC_UNKNOWN_COALITION] = "unknown_coalition",
    [RPC_NOT_FOUND] = "not_found",
    [RPC_CONFLICT] = "conflict",
    [RPC_FORBIDDEN] = "forbidden",
    [RPC_TOO_LARGE] = "too_large",
    [RPC_UNAVAILABLE] = "unavailable",
    [RPC_INTERNAL] = "internal",
};

static int name_index(const char *const *table, int count, const char *name, size_t len)
{
    for (int i = 0; i < count; i++) {
        if (strlen(table[i]) == len && memcmp(table[i], name, len) == 0)
            return i;
    }
    return -1;
}

enum rpc_method rpc_method_from_name(const char *name, size_t len)
{
    int i = name_index(method_names, METHOD_COUNT, name, len);
    return i < 0 ? METHOD_UNKNOWN : (enum rpc_method)i;
}

const char *rpc_method_name(enum rpc_method method)
{
    if (method < 0 || method >= METHOD_COUNT)
        return "unknown";
    return method_names[method];
}

const char *rpc_error_code(enum rpc_error error)
{
    if (error < 0 || error >= RPC_ERROR_COUNT)
        return error_codes[RPC_INTERNAL];
    return error_codes[error];
}

enum rpc_error rpc_error_from_code(const char *code, size_t len)
{
    int i = name_index(error_codes, RPC_ERROR_COUNT, code, len);
    return i <= 0 ? RPC_INTERNAL : (enum rpc_error)i;
}
