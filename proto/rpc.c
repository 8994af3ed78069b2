/*
 * rpc.c — MessagePack-RPC framing: the guarded streaming reader, envelope
 * parsing and packing.
 */
#include "rpc.h"

#include <string.h>

#include "keys.h"
#include "mpguard.h"

/* ---- reading ------------------------------------------------------------ */

#define READER_INITIAL_BUFFER (64u << 10)

bool rpc_reader_init(struct rpc_reader *reader, size_t limit)
{
    reader->limit = limit;
    mp_scanner_init(&reader->scanner);
    return msgpack_unpacker_init(&reader->unpacker, READER_INITIAL_BUFFER);
}

void rpc_reader_destroy(struct rpc_reader *reader)
{
    msgpack_unpacker_destroy(&reader->unpacker);
}

char *rpc_reader_buffer(struct rpc_reader *reader, size_t want, size_t *room)
{
    if (!msgpack_unpacker_reserve_buffer(&reader->unpacker, want))
        return NULL;
    *room = msgpack_unpacker_buffer_capacity(&reader->unpacker);
    return msgpack_unpacker_buffer(&reader->unpacker);
}

void rpc_reader_consumed(struct rpc_reader *reader, size_t n)
{
    msgpack_unpacker_buffer_consumed(&reader->unpacker, n);
}

size_t rpc_reader_pending(const struct rpc_reader *reader)
{
    return reader->unpacker.used - reader->unpacker.off;
}

/* A request opens with fixarray(4), 0, then the msgid as a positive fixint or uint 8/16/32. */
uint32_t rpc_reader_peek_msgid(const struct rpc_reader *reader)
{
    const unsigned char *p = (const unsigned char *)reader->unpacker.buffer + reader->unpacker.off;
    size_t n = rpc_reader_pending(reader);

    if (n < 3 || p[0] != 0x94 || p[1] != RPC_REQUEST)
        return 0;
    if (p[2] < 0x80)
        return p[2];
    if (p[2] == 0xcc && n >= 4)
        return p[3];
    if (p[2] == 0xcd && n >= 5)
        return (uint32_t)p[3] << 8 | p[4];
    if (p[2] == 0xce && n >= 7)
        return (uint32_t)p[3] << 24 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
    return 0;
}

enum rpc_read rpc_reader_next(struct rpc_reader *reader, msgpack_unpacked *out)
{
    msgpack_unpacker *u = &reader->unpacker;
    size_t object_len;

    /* rpc.h: the previous message is released whatever this call returns. */
    msgpack_unpacked_destroy(out);
    /*
     * msgpack-c never sees bytes that the scan has not passed whole. The scan
     * resumes where the last call stopped: its positions are relative to off,
     * which moves only when a message is taken.
     */
    switch (mp_scanner_run(&reader->scanner, u->buffer + u->off, u->used - u->off, reader->limit,
                           RC_MAX_DEPTH, &object_len)) {
    case MP_SCAN_COMPLETE:
        mp_scanner_init(&reader->scanner); /* for the message after this one */
        break;
    case MP_SCAN_NEED_MORE:
        return RPC_READ_NEED_MORE;
    case MP_SCAN_TOO_LARGE:
        return RPC_READ_TOO_LARGE;
    case MP_SCAN_INVALID:
        return RPC_READ_INVALID;
    }
    size_t start = u->off;
    switch (msgpack_unpacker_next(u, out)) {
    case MSGPACK_UNPACK_SUCCESS:
        /* msgpack-c must have read exactly the object the scan measured. */
        return u->off - start == object_len ? RPC_READ_MESSAGE : RPC_READ_INVALID;
    case MSGPACK_UNPACK_NOMEM_ERROR:
        return RPC_READ_NOMEM;
    default:
        /* mp_scan vouched for a whole object; disagreement means garbage. */
        return RPC_READ_INVALID;
    }
}

/* ---- parsing ------------------------------------------------------------ */

static bool read_msgid(const msgpack_object *obj, uint32_t *msgid)
{
    if (obj->type != MSGPACK_OBJECT_POSITIVE_INTEGER || obj->via.u64 > UINT32_MAX)
        return false;
    *msgid = (uint32_t)obj->via.u64;
    return true;
}

static bool read_params(const msgpack_object *obj, struct rpc_message *message, const char **why)
{
    if (obj->type != MSGPACK_OBJECT_ARRAY || obj->via.array.size != 1 ||
        obj->via.array.ptr[0].type != MSGPACK_OBJECT_MAP) {
        *why = "params must be an array holding one map";
        return false;
    }
    message->params = &obj->via.array.ptr[0];
    return true;
}

/* A response carries exactly one of error (a map) and result (protocol.md). */
static bool read_outcome(const msgpack_object *item, struct rpc_message *message, const char **why)
{
    bool failed = item[2].type != MSGPACK_OBJECT_NIL;
    if (failed == (item[3].type != MSGPACK_OBJECT_NIL)) {
        *why = "a response has exactly one of error and result";
        return false;
    }
    if (failed && item[2].type != MSGPACK_OBJECT_MAP) {
        *why = "an error is a map {code, message}";
        return false;
    }
    message->error = &item[2];
    message->result = &item[3];
    return true;
}

bool rpc_parse(const msgpack_object *object, struct rpc_message *message, const char **why)
{
    memset(message, 0, sizeof *message);
    if (object->type != MSGPACK_OBJECT_ARRAY || object->via.array.size < 3 ||
        object->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *why = "a message is an array [kind, ...]";
        return false;
    }
    const msgpack_object *item = object->via.array.ptr;
    uint32_t size = object->via.array.size;

    switch (item[0].via.u64) {
    case RPC_REQUEST:
        message->kind = RPC_REQUEST;
        /* Read msgid before judging the rest: the error reply needs it. */
        if (!read_msgid(&item[1], &message->msgid) || size != 4) {
            *why = "a request is [0, msgid (uint32), method, params]";
            return false;
        }
        if (item[2].type != MSGPACK_OBJECT_STR) {
            *why = "method must be a string";
            return false;
        }
        message->method = item[2].via.str.ptr;
        message->method_len = item[2].via.str.size;
        return read_params(&item[3], message, why);
    case RPC_RESPONSE:
        message->kind = RPC_RESPONSE;
        if (!read_msgid(&item[1], &message->msgid) || size != 4) {
            *why = "a response is [1, msgid, error, result]";
            return false;
        }
        return read_outcome(item, message, why);
    case RPC_NOTIFICATION:
        message->kind = RPC_NOTIFICATION;
        if (size != 3 || item[1].type != MSGPACK_OBJECT_STR) {
            *why = "a notification is [2, method, params]";
            return false;
        }
        message->method = item[1].via.str.ptr;
        message->method_len = item[1].via.str.size;
        return read_params(&item[2], message, why);
    default:
        *why = "unknown message kind";
        return false;
    }
}

void mp_printable(const msgpack_object *obj, char *out, size_t size)
{
    size_t n = 0;
    if (obj->type == MSGPACK_OBJECT_STR) {
        for (uint32_t i = 0; i < obj->via.str.size && n + 1 < size; i++) {
            char c = obj->via.str.ptr[i];
            out[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
        }
    } else if (size > 1) {
        out[n++] = '?';
    }
    if (size > 0)
        out[n] = '\0';
}

bool mp_str_eq(const msgpack_object *obj, const char *text)
{
    size_t len = strlen(text);
    return obj->type == MSGPACK_OBJECT_STR && obj->via.str.size == len &&
           memcmp(obj->via.str.ptr, text, len) == 0;
}

const msgpack_object *mp_map_get(const msgpack_object *map, const char *key)
{
    if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        if (mp_str_eq(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

/* ---- writing ------------------------------------------------------------ */

int mp_pack_strn(msgpack_packer *pk, const char *text, size_t len)
{
    if (text == NULL)
        return msgpack_pack_nil(pk);
    if (msgpack_pack_str(pk, len) != 0)
        return -1;
    return msgpack_pack_str_body(pk, text, len);
}

int mp_pack_str(msgpack_packer *pk, const char *text)
{
    return mp_pack_strn(pk, text, text ? strlen(text) : 0);
}

int mp_pack_key(msgpack_packer *pk, const char *key)
{
    return mp_pack_strn(pk, key, strlen(key));
}

int rpc_pack_request(msgpack_packer *pk, uint32_t msgid, enum rpc_method method)
{
    if (msgpack_pack_array(pk, 4) || msgpack_pack_uint8(pk, RPC_REQUEST) ||
        msgpack_pack_uint32(pk, msgid) || mp_pack_str(pk, rpc_method_name(method)))
        return -1;
    return msgpack_pack_array(pk, 1);
}

int rpc_pack_result_header(msgpack_packer *pk, uint32_t msgid)
{
    if (msgpack_pack_array(pk, 4) || msgpack_pack_uint8(pk, RPC_RESPONSE) ||
        msgpack_pack_uint32(pk, msgid))
        return -1;
    return msgpack_pack_nil(pk);
}

int rpc_pack_notification(msgpack_packer *pk, const char *method)
{
    if (msgpack_pack_array(pk, 3) || msgpack_pack_uint8(pk, RPC_NOTIFICATION) ||
        mp_pack_str(pk, method))
        return -1;
    return msgpack_pack_array(pk, 1);
}

int rpc_pack_error_begin(msgpack_packer *pk, uint32_t msgid, enum rpc_error code,
                         const char *message, size_t extra_count)
{
    if (msgpack_pack_array(pk, 4) || msgpack_pack_uint8(pk, RPC_RESPONSE) ||
        msgpack_pack_uint32(pk, msgid) || msgpack_pack_map(pk, 2 + extra_count) ||
        mp_pack_key(pk, RC_KEY_CODE) || mp_pack_str(pk, rpc_error_code(code)) ||
        mp_pack_key(pk, RC_KEY_MESSAGE))
        return -1;
    return mp_pack_str(pk, message);
}

int rpc_pack_error_end(msgpack_packer *pk)
{
    return msgpack_pack_nil(pk);
}
