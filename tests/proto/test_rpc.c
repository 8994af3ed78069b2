/*
 * test_rpc.c — MessagePack-RPC framing: the guarded reader, envelope parsing,
 * the packing helpers and the names of methods and error codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mpguard.h"
#include "mpnote.h"
#include "protocol.h"
#include "rpc.h"

/* ---- helpers ------------------------------------------------------------- */

/* Appends the object written in mpnote notation to sb. */
static void note_append(msgpack_sbuffer *sb, const char *note)
{
    msgpack_packer pk;
    size_t at = 0;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (mpnote_pack(&pk, note, &at) != 0)
        fail_msg("bad notation at %zu: %s", at, note);
}

/* A request as the client would pack it, with a params map of one string. */
static void append_request(msgpack_sbuffer *sb, uint32_t msgid, enum rpc_method method,
                           size_t text_len)
{
    msgpack_packer pk;
    char *text = malloc(text_len + 1);
    assert_non_null(text);
    for (size_t i = 0; i < text_len; i++)
        text[i] = (char)('a' + (msgid + i) % 26);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    assert_int_equal(rpc_pack_request(&pk, msgid, method), 0);
    assert_int_equal(msgpack_pack_map(&pk, 1), 0);
    assert_int_equal(mp_pack_key(&pk, "client"), 0);
    assert_int_equal(mp_pack_strn(&pk, text, text_len), 0);
    free(text);
}

static void feed(struct rpc_reader *reader, const char *bytes, size_t len)
{
    size_t room = 0;
    char *buf = rpc_reader_buffer(reader, len, &room);
    assert_non_null(buf);
    assert_true(room >= len);
    memcpy(buf, bytes, len);
    rpc_reader_consumed(reader, len);
}

/* Takes the next message and checks that it is the request append_request made. */
static void expect_request(struct rpc_reader *reader, msgpack_unpacked *msg, uint32_t msgid,
                           enum rpc_method method, size_t text_len)
{
    struct rpc_message m;
    const char *why = NULL;

    assert_int_equal(rpc_reader_next(reader, msg), RPC_READ_MESSAGE);
    if (!rpc_parse(&msg->data, &m, &why))
        fail_msg("message %u refused: %s", msgid, why);
    assert_int_equal(m.kind, RPC_REQUEST);
    assert_int_equal(m.msgid, msgid);
    assert_int_equal(rpc_method_from_name(m.method, m.method_len), method);
    const msgpack_object *client = mp_map_get(m.params, "client");
    assert_non_null(client);
    assert_int_equal(client->type, MSGPACK_OBJECT_STR);
    assert_int_equal(client->via.str.size, text_len);
    if (text_len > 0)
        assert_int_equal(client->via.str.ptr[0], (char)('a' + msgid % 26));
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- the reader ------------------------------------------------------------ */

static void test_split_at_every_byte(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    append_request(&sb, 42, METHOD_STATE, 40);

    for (size_t split = 0; split <= sb.size; split++) {
        struct rpc_reader reader;
        msgpack_unpacked msg;
        assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
        msgpack_unpacked_init(&msg);

        feed(&reader, sb.data, split);
        if (split < sb.size) {
            assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_NEED_MORE);
            assert_int_equal(rpc_reader_pending(&reader), split);
            feed(&reader, sb.data + split, sb.size - split);
        }
        expect_request(&reader, &msg, 42, METHOD_STATE, 40);
        assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_NEED_MORE);
        assert_int_equal(rpc_reader_pending(&reader), 0);

        msgpack_unpacked_destroy(&msg);
        rpc_reader_destroy(&reader);
    }
    msgpack_sbuffer_destroy(&sb);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    size_t ends[3];
    msgpack_sbuffer_init(&sb);
    for (uint32_t i = 0; i < 3; i++) {
        append_request(&sb, i, METHOD_HELLO, 5 * i);
        ends[i] = sb.size;
    }

    struct rpc_reader reader;
    msgpack_unpacked msg;
    assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
    msgpack_unpacked_init(&msg);
    uint32_t got = 0;
    for (size_t i = 0; i < sb.size; i++) {
        feed(&reader, sb.data + i, 1);
        /* A message comes out exactly when its last byte is in. */
        if (got < 3 && i + 1 == ends[got]) {
            expect_request(&reader, &msg, got, METHOD_HELLO, 5 * got);
            got++;
        }
        assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_NEED_MORE);
    }
    assert_int_equal(got, 3);
    msgpack_unpacked_destroy(&msg);
    rpc_reader_destroy(&reader);
    msgpack_sbuffer_destroy(&sb);
}

static void test_several_messages_in_one_read(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    append_request(&sb, 1, METHOD_HELLO, 3);
    append_request(&sb, 2, METHOD_APPEND, 0);
    append_request(&sb, 3, METHOD_HISTORY, 17);
    size_t whole = sb.size;
    append_request(&sb, 4, METHOD_STATUS, 9);

    struct rpc_reader reader;
    msgpack_unpacked msg;
    assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
    msgpack_unpacked_init(&msg);
    /* Three whole messages and the first 5 bytes of a fourth, in one read. */
    feed(&reader, sb.data, whole + 5);
    expect_request(&reader, &msg, 1, METHOD_HELLO, 3);
    expect_request(&reader, &msg, 2, METHOD_APPEND, 0);
    expect_request(&reader, &msg, 3, METHOD_HISTORY, 17);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_NEED_MORE);
    assert_int_equal(rpc_reader_pending(&reader), 5);
    /* The object of a NEED_MORE call is released, not left dangling. */
    assert_null(msg.zone);
    feed(&reader, sb.data + whole + 5, sb.size - whole - 5);
    expect_request(&reader, &msg, 4, METHOD_STATUS, 9);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_NEED_MORE);

    msgpack_unpacked_destroy(&msg);
    rpc_reader_destroy(&reader);
    msgpack_sbuffer_destroy(&sb);
}

static void test_random_chunks(void **state)
{
    (void)state;
    enum { MESSAGES = 60 };
    msgpack_sbuffer sb;
    size_t sizes[MESSAGES];
    uint64_t seed = 12345;
    msgpack_sbuffer_init(&sb);
    for (uint32_t i = 0; i < MESSAGES; i++) {
        /* Mostly small, a few past the reader's initial 64 KiB buffer. */
        sizes[i] = i % 20 == 7 ? 100000 + i : next_random(&seed) % 300;
        append_request(&sb, 1000 + i, (enum rpc_method)(i % METHOD_COUNT), sizes[i]);
    }

    struct rpc_reader reader;
    msgpack_unpacked msg;
    assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
    msgpack_unpacked_init(&msg);
    uint32_t got = 0;
    size_t at = 0;
    while (at < sb.size) {
        size_t chunk = 1 + next_random(&seed) % 9000;
        if (chunk > sb.size - at)
            chunk = sb.size - at;
        feed(&reader, sb.data + at, chunk);
        at += chunk;
        for (;;) {
            size_t pending = rpc_reader_pending(&reader);
            enum rpc_read r = rpc_reader_next(&reader, &msg);
            if (r == RPC_READ_NEED_MORE) {
                assert_int_equal(rpc_reader_pending(&reader), pending);
                break;
            }
            assert_int_equal(r, RPC_READ_MESSAGE);
            struct rpc_message m;
            const char *why;
            assert_true(rpc_parse(&msg.data, &m, &why));
            assert_int_equal(m.msgid, 1000 + got);
            assert_int_equal(mp_map_get(m.params, "client")->via.str.size, sizes[got]);
            got++;
        }
    }
    assert_int_equal(got, MESSAGES);
    assert_int_equal(rpc_reader_pending(&reader), 0);
    msgpack_unpacked_destroy(&msg);
    rpc_reader_destroy(&reader);
    msgpack_sbuffer_destroy(&sb);
}

static void test_oversize_message(void **state)
{
    (void)state;
    enum { LIMIT = 256 };
    msgpack_sbuffer small, large;
    msgpack_sbuffer_init(&small);
    msgpack_sbuffer_init(&large);
    append_request(&large, 9, METHOD_APPEND, 300);

    /* A message of exactly LIMIT bytes passes. */
    size_t text = 200;
    do {
        small.size = 0;
        append_request(&small, 9, METHOD_APPEND, text++);
    } while (small.size < LIMIT);
    assert_int_equal(small.size, LIMIT);

    struct rpc_reader reader;
    msgpack_unpacked msg;
    msgpack_unpacked_init(&msg);
    assert_true(rpc_reader_init(&reader, LIMIT));
    feed(&reader, small.data, small.size);
    expect_request(&reader, &msg, 9, METHOD_APPEND, text - 1);
    rpc_reader_destroy(&reader);

    /* One over is refused once the string's header shows it cannot fit. */
    assert_true(rpc_reader_init(&reader, LIMIT));
    size_t header = large.size - 300; /* up to and including the str16 header */
    feed(&reader, large.data, header - 1);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_NEED_MORE);
    feed(&reader, large.data + header - 1, 1);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_TOO_LARGE);
    rpc_reader_destroy(&reader);

    /* Many small elements add up: a params map of 200 one-byte entries. */
    msgpack_sbuffer many;
    msgpack_sbuffer_init(&many);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &many, msgpack_sbuffer_write);
    rpc_pack_request(&pk, 1, METHOD_APPEND);
    msgpack_pack_map(&pk, 200);
    for (int i = 0; i < 200; i++) {
        msgpack_pack_int(&pk, i % 100);
        msgpack_pack_nil(&pk);
    }
    assert_true(rpc_reader_init(&reader, LIMIT));
    feed(&reader, many.data, many.size);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_TOO_LARGE);
    rpc_reader_destroy(&reader);

    msgpack_unpacked_destroy(&msg);
    msgpack_sbuffer_destroy(&many);
    msgpack_sbuffer_destroy(&small);
    msgpack_sbuffer_destroy(&large);
}

static void test_garbage(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    append_request(&sb, 5, METHOD_HELLO, 4);
    msgpack_sbuffer_write(&sb, "\x92\x01\xc1\x00", 4);

    struct rpc_reader reader;
    msgpack_unpacked msg;
    msgpack_unpacked_init(&msg);
    assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
    feed(&reader, sb.data, sb.size);
    /* The good message still comes out; the garbage after it is refused. */
    expect_request(&reader, &msg, 5, METHOD_HELLO, 4);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_INVALID);
    rpc_reader_destroy(&reader);

    assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
    feed(&reader, "\xc1", 1);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_INVALID);
    rpc_reader_destroy(&reader);

    /*
     * Nesting to RC_MAX_DEPTH is a message: msgpack-c's own nesting limit
     * (32 in msgpack-c 4.0) must not be the one that refuses it.
     */
    char deepest[RC_MAX_DEPTH + 1];
    memset(deepest, '\x91', RC_MAX_DEPTH);
    deepest[RC_MAX_DEPTH] = '\x01';
    assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
    feed(&reader, deepest, sizeof deepest);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_MESSAGE);
    rpc_reader_destroy(&reader);

    /* Nesting deeper than RC_MAX_DEPTH. */
    char deep[RC_MAX_DEPTH + 2];
    memset(deep, '\x91', sizeof deep - 1);
    deep[sizeof deep - 1] = '\x01';
    assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
    feed(&reader, deep, sizeof deep);
    assert_int_equal(rpc_reader_next(&reader, &msg), RPC_READ_INVALID);
    rpc_reader_destroy(&reader);

    msgpack_unpacked_destroy(&msg);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- envelopes ---------------------------------------------------------- */

struct envelope_case {
    const char *note;
    bool ok;
    enum rpc_kind kind;
    int64_t msgid; /* -1: not readable */
};

static const struct envelope_case envelopes[] = {
    /* requests */
    { "[0, 1, \"hello\", [{}]]", true, RPC_REQUEST, 1 },
    { "[0, 0, \"state\", [{\"coalition\": \"mmas\"}]]", true, RPC_REQUEST, 0 },
    { "[0, 4294967295, \"x\", [{}]]", true, RPC_REQUEST, 4294967295 },
    { "[0, 4294967296, \"hello\", [{}]]", false, RPC_REQUEST, -1 },
    { "[0, -1, \"hello\", [{}]]", false, RPC_REQUEST, -1 },
    { "[0, \"1\", \"hello\", [{}]]", false, RPC_REQUEST, -1 },
    { "[0, 1.0, \"hello\", [{}]]", false, RPC_REQUEST, -1 },
    { "[0, 7, \"hello\"]", false, RPC_REQUEST, 7 },
    { "[0, 7, \"hello\", [{}], nil]", false, RPC_REQUEST, 7 },
    { "[0, 7, b\"hello\", [{}]]", false, RPC_REQUEST, 7 },
    { "[0, 7, 3, [{}]]", false, RPC_REQUEST, 7 },
    { "[0, 7, \"hello\", {}]", false, RPC_REQUEST, 7 },
    { "[0, 7, \"hello\", []]", false, RPC_REQUEST, 7 },
    { "[0, 7, \"hello\", [{}, {}]]", false, RPC_REQUEST, 7 },
    { "[0, 7, \"hello\", [[]]]", false, RPC_REQUEST, 7 },
    { "[0, 7, \"hello\", [nil]]", false, RPC_REQUEST, 7 },
    { "[0, 7, \"hello\", nil]", false, RPC_REQUEST, 7 },
    /* responses */
    { "[1, 3, nil, {\"head\": 4}]", true, RPC_RESPONSE, 3 },
    { "[1, 3, {\"code\": \"conflict\", \"message\": \"no\", \"head\": 9}, nil]", true, RPC_RESPONSE,
      3 },
    { "[1, 3, nil, nil]", false, RPC_RESPONSE, 3 },
    { "[1, 3, {\"code\": \"x\"}, {}]", false, RPC_RESPONSE, 3 },
    { "[1, 3, \"failed\", nil]", false, RPC_RESPONSE, 3 },
    { "[1, 3, nil]", false, RPC_RESPONSE, 3 },
    { "[1, -3, nil, {}]", false, RPC_RESPONSE, -1 },
    /* notifications */
    { "[2, \"event\", [{\"seq\": 1}]]", true, RPC_NOTIFICATION, -1 },
    { "[2, \"follow_ended\", [{\"code\": \"too_slow\", \"next_seq\": 8}]]", true, RPC_NOTIFICATION,
      -1 },
    { "[2, 5, [{}]]", false, RPC_NOTIFICATION, -1 },
    { "[2, \"event\", [{}], 1]", false, RPC_NOTIFICATION, -1 },
    { "[2, \"event\", {}]", false, RPC_NOTIFICATION, -1 },
    { "[2, \"event\", [1]]", false, RPC_NOTIFICATION, -1 },
    /* not messages */
    { "[3, 1, \"hello\", [{}]]", false, RPC_REQUEST, -1 },
    { "[-1, 1, \"hello\", [{}]]", false, RPC_REQUEST, -1 },
    { "[\"0\", 1, \"hello\", [{}]]", false, RPC_REQUEST, -1 },
    { "[0, 1]", false, RPC_REQUEST, -1 },
    { "[]", false, RPC_REQUEST, -1 },
    { "{\"0\": 1}", false, RPC_REQUEST, -1 },
    { "nil", false, RPC_REQUEST, -1 },
    { "\"hello\"", false, RPC_REQUEST, -1 },
};

static void test_envelopes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof envelopes / sizeof envelopes[0]; i++) {
        const struct envelope_case *c = &envelopes[i];
        msgpack_sbuffer sb;
        msgpack_unpacked obj;
        size_t off = 0, len = 0;
        msgpack_sbuffer_init(&sb);
        msgpack_unpacked_init(&obj);
        note_append(&sb, c->note);
        assert_int_equal(mp_scan(sb.data, sb.size, 1 << 20, RC_MAX_DEPTH, &len), MP_SCAN_COMPLETE);
        assert_int_equal(msgpack_unpack_next(&obj, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);

        struct rpc_message m;
        const char *why = NULL;
        bool ok = rpc_parse(&obj.data, &m, &why);
        if (ok != c->ok)
            fail_msg("%s: %s", c->note, ok ? "accepted" : why);
        if (!ok) {
            assert_non_null(why);
            assert_true(strlen(why) > 0);
        }
        if (c->msgid >= 0)
            assert_int_equal(m.msgid, c->msgid);
        if (ok) {
            assert_int_equal(m.kind, c->kind);
            if (c->kind == RPC_RESPONSE) {
                assert_non_null(m.error);
                assert_non_null(m.result);
                assert_null(m.method);
            } else {
                assert_non_null(m.method);
                assert_non_null(m.params);
                assert_int_equal(m.params->type, MSGPACK_OBJECT_MAP);
            }
        }
        msgpack_unpacked_destroy(&obj);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* ---- packing helpers -------------------------------------------------------- */

/* Unpacks sb (one whole object) and parses it; the caller destroys obj. */
static void parse_packed(const msgpack_sbuffer *sb, msgpack_unpacked *obj, struct rpc_message *m)
{
    size_t off = 0, len = 0;
    const char *why = NULL;
    assert_int_equal(mp_scan(sb->data, sb->size, 1 << 20, RC_MAX_DEPTH, &len), MP_SCAN_COMPLETE);
    assert_int_equal(len, sb->size);
    msgpack_unpacked_init(obj);
    assert_int_equal(msgpack_unpack_next(obj, sb->data, sb->size, &off), MSGPACK_UNPACK_SUCCESS);
    if (!rpc_parse(&obj->data, m, &why))
        fail_msg("packed message refused: %s", why);
}

static void test_pack_request_and_result(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_unpacked obj;
    struct rpc_message m;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(rpc_pack_request(&pk, 77, METHOD_TIMELINE), 0);
    msgpack_pack_map(&pk, 1);
    mp_pack_key(&pk, "coalition");
    mp_pack_str(&pk, "mmas");
    parse_packed(&sb, &obj, &m);
    assert_int_equal(m.kind, RPC_REQUEST);
    assert_int_equal(m.msgid, 77);
    assert_int_equal(rpc_method_from_name(m.method, m.method_len), METHOD_TIMELINE);
    assert_true(mp_str_eq(mp_map_get(m.params, "coalition"), "mmas"));
    assert_null(mp_map_get(m.params, "coalitio"));
    msgpack_unpacked_destroy(&obj);

    sb.size = 0;
    assert_int_equal(rpc_pack_result_header(&pk, UINT32_MAX), 0);
    msgpack_pack_map(&pk, 2);
    mp_pack_key(&pk, "head");
    msgpack_pack_uint64(&pk, 12);
    mp_pack_key(&pk, "last_error");
    mp_pack_str(&pk, NULL); /* NULL packs nil */
    parse_packed(&sb, &obj, &m);
    assert_int_equal(m.kind, RPC_RESPONSE);
    assert_int_equal(m.msgid, UINT32_MAX);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(mp_map_get(m.result, "head")->via.u64, 12);
    assert_int_equal(mp_map_get(m.result, "last_error")->type, MSGPACK_OBJECT_NIL);
    msgpack_unpacked_destroy(&obj);
    msgpack_sbuffer_destroy(&sb);
}

static void test_pack_error_with_details(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_unpacked obj;
    struct rpc_message m;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(rpc_pack_error_begin(&pk, 8, RPC_INVALID_EVENT, "date: no such day", 2), 0);
    mp_pack_key(&pk, "field");
    mp_pack_str(&pk, "date");
    mp_pack_key(&pk, "index");
    msgpack_pack_uint32(&pk, 3);
    assert_int_equal(rpc_pack_error_end(&pk), 0);
    parse_packed(&sb, &obj, &m);
    assert_int_equal(m.kind, RPC_RESPONSE);
    assert_int_equal(m.msgid, 8);
    assert_int_equal(m.result->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(m.error->via.map.size, 4);
    const msgpack_object *code = mp_map_get(m.error, "code");
    assert_non_null(code);
    assert_int_equal(rpc_error_from_code(code->via.str.ptr, code->via.str.size), RPC_INVALID_EVENT);
    assert_true(mp_str_eq(mp_map_get(m.error, "message"), "date: no such day"));
    assert_true(mp_str_eq(mp_map_get(m.error, "field"), "date"));
    assert_int_equal(mp_map_get(m.error, "index")->via.u64, 3);
    msgpack_unpacked_destroy(&obj);

    /* Without details. */
    sb.size = 0;
    rpc_pack_error_begin(&pk, 9, RPC_FORBIDDEN, "not a writer", 0);
    rpc_pack_error_end(&pk);
    parse_packed(&sb, &obj, &m);
    assert_int_equal(m.error->via.map.size, 2);
    assert_true(mp_str_eq(mp_map_get(m.error, "code"), "forbidden"));
    msgpack_unpacked_destroy(&obj);
    msgpack_sbuffer_destroy(&sb);
}

static void test_pack_notification(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_unpacked obj;
    struct rpc_message m;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(rpc_pack_notification(&pk, NOTIFY_FOLLOW_ENDED), 0);
    msgpack_pack_map(&pk, 2);
    mp_pack_key(&pk, "code");
    mp_pack_str(&pk, FOLLOW_TOO_SLOW);
    mp_pack_key(&pk, "next_seq");
    msgpack_pack_uint64(&pk, 31);
    parse_packed(&sb, &obj, &m);
    assert_int_equal(m.kind, RPC_NOTIFICATION);
    assert_int_equal(m.method_len, strlen(NOTIFY_FOLLOW_ENDED));
    assert_memory_equal(m.method, NOTIFY_FOLLOW_ENDED, m.method_len);
    assert_true(mp_str_eq(mp_map_get(m.params, "code"), FOLLOW_TOO_SLOW));
    assert_int_equal(mp_map_get(m.params, "next_seq")->via.u64, 31);
    msgpack_unpacked_destroy(&obj);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- names ------------------------------------------------------------------- */

static void test_method_names(void **state)
{
    (void)state;
    static const char *const names[] = { "hello",      "append", "state",    "timeline", "history",
                                         "coalitions", "follow", "unfollow", "status",   "verify" };
    assert_int_equal(sizeof names / sizeof names[0], METHOD_COUNT);
    for (int i = 0; i < METHOD_COUNT; i++) {
        assert_string_equal(rpc_method_name((enum rpc_method)i), names[i]);
        assert_int_equal(rpc_method_from_name(names[i], strlen(names[i])), i);
    }
    assert_int_equal(rpc_method_from_name("Hello", 5), METHOD_UNKNOWN);
    assert_int_equal(rpc_method_from_name("hell", 4), METHOD_UNKNOWN);
    assert_int_equal(rpc_method_from_name("hello!", 5), METHOD_HELLO);
    assert_int_equal(rpc_method_from_name("", 0), METHOD_UNKNOWN);
    assert_string_equal(rpc_method_name(METHOD_UNKNOWN), "unknown");
    assert_string_equal(rpc_method_name(METHOD_COUNT), "unknown");
}

static void test_error_codes(void **state)
{
    (void)state;
    static const char *const codes[] = { "bad_request", "invalid_event", "unknown_coalition",
                                         "not_found",   "conflict",      "forbidden",
                                         "too_large",   "unavailable",   "internal" };
    for (int e = RPC_BAD_REQUEST; e < RPC_ERROR_COUNT; e++) {
        const char *code = codes[e - RPC_BAD_REQUEST];
        assert_string_equal(rpc_error_code((enum rpc_error)e), code);
        assert_int_equal(rpc_error_from_code(code, strlen(code)), e);
    }
    /* A code this build does not know, or "ok", is no error it can name. */
    assert_int_equal(rpc_error_from_code("ok", 2), RPC_INTERNAL);
    assert_int_equal(rpc_error_from_code("teapot", 6), RPC_INTERNAL);
    assert_string_equal(rpc_error_code(RPC_ERROR_COUNT), "internal");
}

/* The msgid of a refused request is read from its first bytes, in every width. */
static void test_peek_msgid(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
        uint32_t msgid;
    } cases[] = {
        { "\x94\x00\x07", 3, 7 },           { "\x94\x00\xcc\xc8", 4, 200 },
        { "\x94\x00\xcd\x01\x02", 5, 258 }, { "\x94\x00\xce\x01\x02\x03\x04", 7, 0x01020304 },
        { "\x94\x00\xce\x01\x02", 5, 0 }, /* cut short */
        { "\x94\x02\x07", 3, 0 },         /* a notification */
        { "\x93\x00\x07", 3, 0 },         /* not four items */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rpc_reader reader;
        assert_true(rpc_reader_init(&reader, RC_MAX_MESSAGE_DEFAULT));
        feed(&reader, cases[i].bytes, cases[i].len);
        assert_int_equal(rpc_reader_peek_msgid(&reader), cases[i].msgid);
        rpc_reader_destroy(&reader);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_several_messages_in_one_read),
        cmocka_unit_test(test_random_chunks),
        cmocka_unit_test(test_oversize_message),
        cmocka_unit_test(test_peek_msgid),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_envelopes),
        cmocka_unit_test(test_pack_request_and_result),
        cmocka_unit_test(test_pack_error_with_details),
        cmocka_unit_test(test_pack_notification),
        cmocka_unit_test(test_method_names),
        cmocka_unit_test(test_error_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
