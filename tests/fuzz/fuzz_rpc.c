/*
 * fuzz_rpc.c — a byte stream through the guarded reader, then rpc_parse.
 *
 * The first byte configures the run: its low two bits pick the message limit
 * and the rest seeds the sizes of the chunks the stream arrives in. The
 * stream is read twice, whole and in chunks, and must give the same messages
 * and the same final verdict: framing may not depend on how reads split the
 * bytes. Parsed requests have their events decoded, as the daemon would.
 */
#include <string.h>

#include <msgpack.h>

#include "event.h"
#include "fuzz.h"
#include "protocol.h"
#include "rpc.h"

#define MAX_MESSAGES 4096

/* What a reader made of a stream: each message re-packed, then the verdict. */
struct outcome {
    msgpack_sbuffer messages[MAX_MESSAGES];
    size_t count;
    enum rpc_read verdict;
};

static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Looks at a message as the daemon or the client would. */
static void examine(const msgpack_object *object)
{
    struct rpc_message m;
    const char *why = NULL;

    if (!rpc_parse(object, &m, &why)) {
        FUZZ_CHECK(why != NULL && why[0] != '\0');
        return;
    }
    FUZZ_CHECK(m.kind == RPC_REQUEST || m.kind == RPC_RESPONSE || m.kind == RPC_NOTIFICATION);
    if (m.kind == RPC_RESPONSE) {
        FUZZ_CHECK(m.error != NULL && m.result != NULL);
        FUZZ_CHECK((m.error->type == MSGPACK_OBJECT_NIL) != (m.result->type == MSGPACK_OBJECT_NIL));
        return;
    }
    FUZZ_CHECK(m.method != NULL || m.method_len == 0);
    FUZZ_CHECK(m.params != NULL && m.params->type == MSGPACK_OBJECT_MAP);
    enum rpc_method method = rpc_method_from_name(m.method, m.method_len);
    FUZZ_CHECK(method == METHOD_UNKNOWN || (method >= 0 && method < METHOD_COUNT));

    const msgpack_object *events = mp_map_get(m.params, "events");
    if (events == NULL || events->type != MSGPACK_OBJECT_ARRAY)
        return;
    for (uint32_t i = 0; i < events->via.array.size; i++) {
        struct event_error err;
        struct event *ev = event_decode(&events->via.array.ptr[i], EVENT_FROM_CLIENT, &err);
        FUZZ_CHECK(ev != NULL || err.message[0] != '\0');
        event_free(ev);
    }
}

/* Takes every message the reader has; returns false once the stream is over. */
static bool drain(struct rpc_reader *reader, msgpack_unpacked *msg, struct outcome *out)
{
    for (;;) {
        size_t pending = rpc_reader_pending(reader);
        enum rpc_read verdict = rpc_reader_next(reader, msg);
        out->verdict = verdict;
        if (verdict == RPC_READ_NEED_MORE) {
            FUZZ_CHECK(rpc_reader_pending(reader) == pending);
            return true;
        }
        if (verdict != RPC_READ_MESSAGE)
            return false; /* the connection would be dropped */
        FUZZ_CHECK(rpc_reader_pending(reader) < pending);
        if (out->count == MAX_MESSAGES)
            return false;
        msgpack_sbuffer *copy = &out->messages[out->count++];
        msgpack_packer pk;
        msgpack_sbuffer_init(copy);
        msgpack_packer_init(&pk, copy, msgpack_sbuffer_write);
        FUZZ_CHECK(msgpack_pack_object(&pk, msg->data) == 0);
        examine(&msg->data);
    }
}

/* Reads the stream in chunks of the sizes a seed gives (0: all at once). */
static void read_stream(const char *bytes, size_t size, size_t limit, uint32_t seed,
                        struct outcome *out)
{
    struct rpc_reader reader;
    msgpack_unpacked msg;
    size_t at = 0;

    out->count = 0;
    out->verdict = RPC_READ_NEED_MORE;
    FUZZ_CHECK(rpc_reader_init(&reader, limit));
    msgpack_unpacked_init(&msg);
    do {
        size_t chunk = size - at;
        if (seed != 0) {
            uint32_t r = next_random(&seed);
            /* mostly short reads, now and then a long one */
            size_t want = (r & 0x300) ? 1 + r % 17 : 1 + r % 2048;
            if (want < chunk)
                chunk = want;
        }
        size_t room = 0;
        char *buf = rpc_reader_buffer(&reader, chunk ? chunk : 1, &room);
        FUZZ_CHECK(buf != NULL && room >= chunk);
        if (chunk)
            memcpy(buf, bytes + at, chunk);
        rpc_reader_consumed(&reader, chunk);
        at += chunk;
        if (!drain(&reader, &msg, out))
            break;
    } while (at < size);
    msgpack_unpacked_destroy(&msg);
    rpc_reader_destroy(&reader);
}

static void outcome_destroy(struct outcome *out)
{
    for (size_t i = 0; i < out->count; i++)
        msgpack_sbuffer_destroy(&out->messages[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[4] = { FUZZ_LIMIT, 64, 512, 4096 };
    static struct outcome whole, chunked;

    if (size < 1)
        return 0;
    size_t limit = limits[data[0] & 3];
    uint32_t seed = (uint32_t)(data[0] >> 2) * 2654435761u + (uint32_t)size;
    const char *stream = (const char *)data + 1;
    size -= 1;

    read_stream(stream, size, limit, 0, &whole);
    read_stream(stream, size, limit, seed | 1, &chunked);

    FUZZ_CHECK(whole.verdict == chunked.verdict);
    FUZZ_CHECK(whole.count == chunked.count);
    for (size_t i = 0; i < whole.count; i++) {
        FUZZ_CHECK(whole.messages[i].size == chunked.messages[i].size);
        FUZZ_CHECK(
            memcmp(whole.messages[i].data, chunked.messages[i].data, whole.messages[i].size) == 0);
    }
    outcome_destroy(&whole);
    outcome_destroy(&chunked);
    return 0;
}
