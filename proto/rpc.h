/*
 * rpc.h — MessagePack-RPC framing, shared by the daemon and the client.
 *
 * Reading: an rpc_reader wraps msgpack-c's streaming unpacker. Bytes go in as
 * they arrive; every complete message is vetted by mp_scan (size limit, counts
 * that fit, nesting) before msgpack-c decodes it, so no message can make the
 * library allocate more than the limit allows.
 *
 * Writing: helpers that pack the message envelopes; the caller packs the
 * params or result map in between.
 */
#ifndef ROLLCALL_RPC_H
#define ROLLCALL_RPC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpguard.h"
#include "protocol.h"

/* ---- reading ------------------------------------------------------------ */

struct rpc_reader {
    msgpack_unpacker unpacker;
    size_t limit;              /* max bytes of one message */
    struct mp_scanner scanner; /* how far the next message has been vetted */
};

enum rpc_read {
    RPC_READ_MESSAGE,   /* *out holds one message */
    RPC_READ_NEED_MORE, /* no complete message buffered */
    RPC_READ_TOO_LARGE, /* a message over the limit: drop the connection */
    RPC_READ_INVALID,   /* not msgpack, or nested too deep: drop the connection */
    RPC_READ_NOMEM,
};

/* Returns false on allocation failure. */
bool rpc_reader_init(struct rpc_reader *reader, size_t limit);
void rpc_reader_destroy(struct rpc_reader *reader);

/*
 * Room for at least want more bytes: returns where to put them (NULL on
 * allocation failure) and their number in *room.
 */
char *rpc_reader_buffer(struct rpc_reader *reader, size_t want, size_t *room);
/* Declares n bytes written at the place rpc_reader_buffer returned. */
void rpc_reader_consumed(struct rpc_reader *reader, size_t n);
/* Bytes received and not yet returned as messages. */
size_t rpc_reader_pending(const struct rpc_reader *reader);
/*
 * The msgid of the request at the head of the buffer, read from its first
 * bytes ([0, msgid, ...]) without decoding the rest — for answering a message
 * refused as too large. 0 when those bytes don't say.
 */
uint32_t rpc_reader_peek_msgid(const struct rpc_reader *reader);

/*
 * Takes the next complete message. out must have been initialised with
 * msgpack_unpacked_init; its previous content is released. The object lives
 * until the next call or msgpack_unpacked_destroy.
 */
enum rpc_read rpc_reader_next(struct rpc_reader *reader, msgpack_unpacked *out);

/* ---- parsing ------------------------------------------------------------ */

struct rpc_message {
    enum rpc_kind kind;
    uint32_t msgid;     /* requests and responses */
    const char *method; /* requests and notifications: not NUL-terminated */
    size_t method_len;
    const msgpack_object *params; /* requests and notifications: the one map (or NULL) */
    const msgpack_object *error;  /* responses: nil when successful */
    const msgpack_object *result; /* responses */
};

/*
 * Checks the envelope: an array of the right shape, a uint32 msgid, a string
 * method, params an array. For requests and notifications, params must hold
 * exactly one map (protocol.md); a response has exactly one of error (a map)
 * and result that is not nil. Otherwise *why says what is wrong and false is
 * returned (msgid is still set when it could be read, for the error reply).
 */
bool rpc_parse(const msgpack_object *object, struct rpc_message *message, const char **why);

/* ---- msgpack object helpers ------------------------------------------- */

/* The value of key in map, or NULL (also when map is not a map). */
const msgpack_object *mp_map_get(const msgpack_object *map, const char *key);
/*
 * Copies a name from untrusted input (a key, a method) into out as printable
 * ASCII, other bytes shown as '?', truncated to size - 1: safe to put in an
 * error message or a log line.
 */
void mp_printable(const msgpack_object *obj, char *out, size_t size);
/* True when obj is a string equal to text. */
bool mp_str_eq(const msgpack_object *obj, const char *text);

/* ---- writing ------------------------------------------------------------ */

/* [0, msgid, method, [  — then pack exactly one map. */
int rpc_pack_request(msgpack_packer *pk, uint32_t msgid, enum rpc_method method);
/* [1, msgid, nil,  — then pack the result. */
int rpc_pack_result_header(msgpack_packer *pk, uint32_t msgid);
/* [2, method, [  — then pack exactly one map. */
int rpc_pack_notification(msgpack_packer *pk, const char *method);

/*
 * [1, msgid, {code, message, <extra_count more pairs>}, nil]: packs the
 * header of an error; the caller then packs extra_count key/value pairs (field,
 * index, seq, head) and calls rpc_pack_error_end.
 */
int rpc_pack_error_begin(msgpack_packer *pk, uint32_t msgid, enum rpc_error code,
                         const char *message, size_t extra_count);
int rpc_pack_error_end(msgpack_packer *pk);

/* Packs a NUL-terminated string, or nil for NULL. */
int mp_pack_str(msgpack_packer *pk, const char *text);
int mp_pack_strn(msgpack_packer *pk, const char *text, size_t len);
/* Packs a key (string) — a readability helper for map building. */
int mp_pack_key(msgpack_packer *pk, const char *key);

#endif
