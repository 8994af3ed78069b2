/*
 * test_mpguard.c — the structural check that stands between untrusted bytes
 * and msgpack-c.
 *
 * The test links with -Wl,--wrap=msgpack_unpacker_next so that it can count
 * the times the reader hands bytes to msgpack-c: hostile bytes must be refused
 * before the library ever sees them, not merely survive it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mpguard.h"
#include "protocol.h"
#include "rpc.h"

#define LIMIT RC_MAX_MESSAGE_DEFAULT

/* ---- counting msgpack-c's decoder ---------------------------------------- */

static unsigned unpacker_calls;

msgpack_unpack_return __real_msgpack_unpacker_next(msgpack_unpacker *mpac,
                                                   msgpack_unpacked *result);
msgpack_unpack_return __wrap_msgpack_unpacker_next(msgpack_unpacker *mpac,
                                                   msgpack_unpacked *result);

msgpack_unpack_return __wrap_msgpack_unpacker_next(msgpack_unpacker *mpac, msgpack_unpacked *result)
{
    unpacker_calls++;
    return __real_msgpack_unpacker_next(mpac, result);
}

/* ---- helpers ------------------------------------------------------------- */

static enum mp_scan scan(const void *bytes, size_t len, size_t limit, size_t *object_len)
{
    /* A copy of exactly len bytes: ASan sees any read past the end. */
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, bytes, len);
    size_t dummy;
    enum mp_scan result = mp_scan(copy, len, limit, RC_MAX_DEPTH, object_len ? object_len : &dummy);
    free(copy);
    return result;
}

/* What an rpc_reader says about bytes that arrive in one read. */
static enum rpc_read reader_verdict(const void *bytes, size_t len, size_t limit)
{
    struct rpc_reader reader;
    msgpack_unpacked msg;
    size_t room;

    assert_true(rpc_reader_init(&reader, limit));
    char *buf = rpc_reader_buffer(&reader, len, &room);
    assert_non_null(buf);
    assert_true(room >= len);
    memcpy(buf, bytes, len);
    rpc_reader_consumed(&reader, len);
    msgpack_unpacked_init(&msg);
    enum rpc_read verdict = rpc_reader_next(&reader, &msg);
    msgpack_unpacked_destroy(&msg);
    rpc_reader_destroy(&reader);
    return verdict;
}

/* ---- hostile counts ------------------------------------------------------ */

static void test_huge_array32_refused_before_decoding(void **state)
{
    (void)state;
    static const unsigned char bomb[] = { 0xdd, 0xff, 0x00, 0x00, 0x00 };

    assert_int_equal(scan(bomb, sizeof bomb, LIMIT, NULL), MP_SCAN_TOO_LARGE);
    /* Refused for the limit, not the count itself: a limit of 16 GiB could hold it. */
    assert_int_equal(scan(bomb, sizeof bomb, (size_t)1 << 34, NULL), MP_SCAN_NEED_MORE);
    /* Its header still incomplete: nothing to judge yet. */
    for (size_t n = 0; n < sizeof bomb; n++)
        assert_int_equal(scan(bomb, n, LIMIT, NULL), MP_SCAN_NEED_MORE);

    unpacker_calls = 0;
    assert_int_equal(reader_verdict(bomb, sizeof bomb, LIMIT), RPC_READ_TOO_LARGE);
    assert_int_equal(unpacker_calls, 0);
}

static void test_huge_map32(void **state)
{
    (void)state;
    static const unsigned char map32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
    static const unsigned char map16[] = { 0xde, 0xff, 0xff };
    assert_int_equal(scan(map32, sizeof map32, LIMIT, NULL), MP_SCAN_TOO_LARGE);
    /* 65535 entries need 131070 bytes at least: too many for 100000. */
    assert_int_equal(scan(map16, sizeof map16, 100000, NULL), MP_SCAN_TOO_LARGE);
    assert_int_equal(scan(map16, sizeof map16, 140000, NULL), MP_SCAN_NEED_MORE);

    unpacker_calls = 0;
    assert_int_equal(reader_verdict(map32, sizeof map32, LIMIT), RPC_READ_TOO_LARGE);
    assert_int_equal(unpacker_calls, 0);
}

static void test_huge_lengths(void **state)
{
    (void)state;
    static const unsigned char str32[] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a' };
    static const unsigned char bin32[] = { 0xc6, 0x7f, 0xff, 0xff, 0xff };
    static const unsigned char ext32[] = { 0xc9, 0x00, 0x10, 0x00, 0x00, 0x01 };
    static const unsigned char str16[] = { 0xda, 0x01, 0x00 }; /* 256 bytes */
    assert_int_equal(scan(str32, sizeof str32, LIMIT, NULL), MP_SCAN_TOO_LARGE);
    assert_int_equal(scan(bin32, sizeof bin32, LIMIT, NULL), MP_SCAN_TOO_LARGE);
    assert_int_equal(scan(ext32, sizeof ext32, LIMIT, NULL), MP_SCAN_TOO_LARGE);
    /* 3 header bytes + 256: fits in 259, not in 258. */
    assert_int_equal(scan(str16, sizeof str16, 259, NULL), MP_SCAN_NEED_MORE);
    assert_int_equal(scan(str16, sizeof str16, 258, NULL), MP_SCAN_TOO_LARGE);

    unpacker_calls = 0;
    assert_int_equal(reader_verdict(str32, sizeof str32, LIMIT), RPC_READ_TOO_LARGE);
    assert_int_equal(unpacker_calls, 0);
}

static void test_nested_counts_add_up(void **state)
{
    (void)state;
    /*
     * An array of 90 whose first element is an array of 90: each count fits
     * in 100 bytes alone, but together they owe 179 elements.
     */
    static const unsigned char nested[] = { 0xdc, 0x00, 0x5a, 0xdc, 0x00, 0x5a };
    assert_int_equal(scan(nested, 3, 100, NULL), MP_SCAN_NEED_MORE);
    assert_int_equal(scan(nested, sizeof nested, 100, NULL), MP_SCAN_TOO_LARGE);
    assert_int_equal(scan(nested, sizeof nested, 200, NULL), MP_SCAN_NEED_MORE);

    /* A string in a map must leave room for the entries still owed. */
    static const unsigned char map_str[] = { 0x83, 0xd9, 0x0a };
    /* 1 + 2 header, then 10 bytes + 5 elements owed = 18: limit 17 is short. */
    assert_int_equal(scan(map_str, sizeof map_str, 18, NULL), MP_SCAN_NEED_MORE);
    assert_int_equal(scan(map_str, sizeof map_str, 17, NULL), MP_SCAN_TOO_LARGE);
}

/* ---- nesting and invalid bytes --------------------------------------------- */

static void test_nesting(void **state)
{
    (void)state;
    unsigned char deep[RC_MAX_DEPTH + 2];
    size_t len;

    /* RC_MAX_DEPTH arrays around nil: the nil sits at depth RC_MAX_DEPTH. */
    memset(deep, 0x91, RC_MAX_DEPTH);
    deep[RC_MAX_DEPTH] = 0xc0;
    assert_int_equal(scan(deep, RC_MAX_DEPTH + 1, LIMIT, &len), MP_SCAN_COMPLETE);
    assert_int_equal(len, RC_MAX_DEPTH + 1);

    /* One more level is refused, before the bytes below it arrive. */
    memset(deep, 0x91, RC_MAX_DEPTH + 1);
    deep[RC_MAX_DEPTH + 1] = 0xc0;
    assert_int_equal(scan(deep, RC_MAX_DEPTH + 2, LIMIT, NULL), MP_SCAN_INVALID);
    assert_int_equal(scan(deep, RC_MAX_DEPTH + 1, LIMIT, NULL), MP_SCAN_INVALID);

    /* Maps count as levels too. */
    unsigned char maps[2 * (RC_MAX_DEPTH + 1) + 1];
    for (unsigned i = 0; i <= RC_MAX_DEPTH; i++) {
        maps[2 * i] = 0x81;
        maps[2 * i + 1] = 0xc0; /* key nil, value the next map */
    }
    maps[2 * (RC_MAX_DEPTH + 1)] = 0xc0;
    assert_int_equal(scan(maps, sizeof maps, LIMIT, NULL), MP_SCAN_INVALID);

    unpacker_calls = 0;
    assert_int_equal(reader_verdict(deep, RC_MAX_DEPTH + 2, LIMIT), RPC_READ_INVALID);
    assert_int_equal(unpacker_calls, 0);
}

static void test_max_depth_is_capped(void **state)
{
    (void)state;
    /* A caller's generous max_depth must not overrun the walk's own stack. */
    enum { LEVELS = 200 };
    unsigned char deep[LEVELS + 1];
    size_t len;
    memset(deep, 0x91, LEVELS);
    deep[LEVELS] = 0x01;
    assert_int_equal(mp_scan((const char *)deep, sizeof deep, LIMIT, 1000, &len), MP_SCAN_INVALID);
    assert_int_equal(mp_scan((const char *)deep + LEVELS - 10, 11, LIMIT, 1000, &len),
                     MP_SCAN_COMPLETE);
    assert_int_equal(len, 11);
    /* max_depth 0 admits scalars and empty containers only. */
    assert_int_equal(mp_scan("\x90", 1, LIMIT, 0, &len), MP_SCAN_COMPLETE);
    assert_int_equal(mp_scan("\x91\x01", 2, LIMIT, 0, &len), MP_SCAN_INVALID);
}

static void test_c1_is_invalid(void **state)
{
    (void)state;
    assert_int_equal(scan("\xc1", 1, LIMIT, NULL), MP_SCAN_INVALID);
    assert_int_equal(scan("\x92\x01\xc1", 3, LIMIT, NULL), MP_SCAN_INVALID);
    assert_int_equal(scan("\x81\xc1\x01", 3, LIMIT, NULL), MP_SCAN_INVALID);

    unpacker_calls = 0;
    assert_int_equal(reader_verdict("\x92\x01\xc1", 3, LIMIT), RPC_READ_INVALID);
    assert_int_equal(unpacker_calls, 0);
}

static void test_limits_at_the_edges(void **state)
{
    (void)state;
    size_t len;
    assert_int_equal(scan("", 0, LIMIT, NULL), MP_SCAN_NEED_MORE);
    assert_int_equal(scan("\xc0", 1, 0, NULL), MP_SCAN_TOO_LARGE);
    assert_int_equal(scan("\xc0", 1, 1, &len), MP_SCAN_COMPLETE);
    assert_int_equal(len, 1);
    /* [1, 2, 3] is 4 bytes: a limit of 4 holds it, 3 does not. */
    assert_int_equal(scan("\x93\x01\x02\x03", 4, 4, &len), MP_SCAN_COMPLETE);
    assert_int_equal(scan("\x93\x01\x02\x03", 4, 3, NULL), MP_SCAN_TOO_LARGE);
    /* A u32 needs its 4 payload bytes under the limit. */
    assert_int_equal(scan("\xce\x00\x00\x00\x01", 5, 4, NULL), MP_SCAN_TOO_LARGE);
    assert_int_equal(scan("\xce\x00\x00\x00\x01", 5, 5, &len), MP_SCAN_COMPLETE);
}

/* ---- complete objects and their prefixes ---------------------------------- */

struct sample {
    const char *name;
    msgpack_sbuffer bytes;
};

/* One object of each encoding, packed by msgpack-c or written by hand. */
static size_t make_samples(struct sample *s, size_t max)
{
    size_t n = 0;
    msgpack_packer pk;
    char *big = calloc(70000, 1);
    assert_non_null(big);

#define SAMPLE(label, code)                                                                        \
    do {                                                                                           \
        assert_true(n < max);                                                                      \
        s[n].name = label;                                                                         \
        msgpack_sbuffer_init(&s[n].bytes);                                                         \
        msgpack_packer_init(&pk, &s[n].bytes, msgpack_sbuffer_write);                              \
        code;                                                                                      \
        n++;                                                                                       \
    } while (0)
#define RAW(label, text) SAMPLE(label, msgpack_sbuffer_write(&s[n].bytes, text, sizeof text - 1))

    SAMPLE("positive fixint", msgpack_pack_uint8(&pk, 7));
    SAMPLE("negative fixint", msgpack_pack_int8(&pk, -3));
    SAMPLE("nil", msgpack_pack_nil(&pk));
    SAMPLE("true", msgpack_pack_true(&pk));
    SAMPLE("false", msgpack_pack_false(&pk));
    SAMPLE("uint8", msgpack_pack_uint64(&pk, 200));
    SAMPLE("uint16", msgpack_pack_uint64(&pk, 60000));
    SAMPLE("uint32", msgpack_pack_uint64(&pk, 4000000000u));
    SAMPLE("uint64", msgpack_pack_uint64(&pk, UINT64_MAX));
    SAMPLE("int8", msgpack_pack_int64(&pk, -100));
    SAMPLE("int16", msgpack_pack_int64(&pk, -30000));
    SAMPLE("int32", msgpack_pack_int64(&pk, -2000000000));
    SAMPLE("int64", msgpack_pack_int64(&pk, INT64_MIN));
    SAMPLE("float32", msgpack_pack_float(&pk, 1.5f));
    SAMPLE("float64", msgpack_pack_double(&pk, 2.25));
    SAMPLE("fixstr", msgpack_pack_str_with_body(&pk, "mmas", 4));
    SAMPLE("str8", msgpack_pack_str_with_body(&pk, big, 200));
    SAMPLE("str16", msgpack_pack_str_with_body(&pk, big, 3000));
    SAMPLE("str32", msgpack_pack_str_with_body(&pk, big, 70000));
    SAMPLE("bin8", msgpack_pack_bin_with_body(&pk, big, 3));
    SAMPLE("bin16", msgpack_pack_bin_with_body(&pk, big, 300));
    SAMPLE("bin32", msgpack_pack_bin_with_body(&pk, big, 66000));
    SAMPLE("fixext1", msgpack_pack_ext_with_body(&pk, big, 1, 5));
    SAMPLE("fixext2", msgpack_pack_ext_with_body(&pk, big, 2, 5));
    SAMPLE("fixext4", msgpack_pack_ext_with_body(&pk, big, 4, -1));
    SAMPLE("fixext8", msgpack_pack_ext_with_body(&pk, big, 8, 5));
    SAMPLE("fixext16", msgpack_pack_ext_with_body(&pk, big, 16, 5));
    SAMPLE("ext8", msgpack_pack_ext_with_body(&pk, big, 3, 5));
    SAMPLE("ext16", msgpack_pack_ext_with_body(&pk, big, 1000, 5));
    SAMPLE("ext32", msgpack_pack_ext_with_body(&pk, big, 70000, 5));
    SAMPLE("empty array", msgpack_pack_array(&pk, 0));
    SAMPLE("empty map", msgpack_pack_map(&pk, 0));
    RAW("fixarray", "\x93\x01\xa1x\xc0");
    RAW("array16", "\xdc\x00\x02\x01\x02");
    RAW("array32", "\xdd\x00\x00\x00\x02\x90\x80");
    RAW("fixmap", "\x82\xa1"
                  "a\x01\xa1"
                  "b\x92\xc2\xc3");
    RAW("map16", "\xde\x00\x01\x01\x02");
    RAW("map32", "\xdf\x00\x00\x00\x01\xa0\x81\x01\x91\x80");
    RAW("an event", "\x84\xa4type\xa6signed\xa9"
                    "coalition\xa4mmas\xa4"
                    "date\xaa"
                    "2024-08-03\xa7"
                    "country\xab"
                    "El Salvador");
    RAW("empty containers nested", "\x93\x90\x80\x91\x90");
    SAMPLE("array of 70000 nils", {
        msgpack_pack_array(&pk, 70000);
        for (int i = 0; i < 70000; i++)
            msgpack_pack_nil(&pk);
    });
#undef RAW
#undef SAMPLE
    free(big);
    return n;
}

static void test_complete_objects_and_prefixes(void **state)
{
    (void)state;
    struct sample samples[48];
    size_t count = make_samples(samples, 48);

    for (size_t i = 0; i < count; i++) {
        const char *bytes = samples[i].bytes.data;
        size_t size = samples[i].bytes.size, len = 0;

        if (scan(bytes, size, LIMIT, &len) != MP_SCAN_COMPLETE || len != size)
            fail_msg("%s: not complete at its %zu bytes", samples[i].name, size);
        /* Exactly its length, with whatever follows it. */
        char *followed = malloc(size + 3);
        assert_non_null(followed);
        memcpy(followed, bytes, size);
        memcpy(followed + size, "\x01\xc1\xdd", 3);
        if (scan(followed, size + 3, LIMIT, &len) != MP_SCAN_COMPLETE || len != size)
            fail_msg("%s: wrong length with bytes after it", samples[i].name);
        free(followed);
        /* A limit one short of the object refuses it. */
        if (scan(bytes, size, size - 1, NULL) != MP_SCAN_TOO_LARGE)
            fail_msg("%s: fits in %zu bytes", samples[i].name, size - 1);
        /* msgpack-c agrees on where the object ends. */
        msgpack_unpacked obj;
        size_t off = 0;
        msgpack_unpacked_init(&obj);
        assert_int_equal(msgpack_unpack_next(&obj, bytes, size, &off), MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(off, size);
        msgpack_unpacked_destroy(&obj);
        /* Every proper prefix asks for more (the big ones: the first and last 300). */
        for (size_t n = 0; n < size; n++) {
            if (n == 300 && size > 600)
                n = size - 300;
            if (scan(bytes, n, LIMIT, NULL) != MP_SCAN_NEED_MORE)
                fail_msg("%s: prefix of %zu bytes is not NEED_MORE", samples[i].name, n);
        }
        msgpack_sbuffer_destroy(&samples[i].bytes);
    }
}

/* ---- random bytes ---------------------------------------------------------- */

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_random_bytes(void **state)
{
    (void)state;
    /* Bytes that open containers and strings, to get past the first header. */
    static const unsigned char structural[] = { 0x91, 0x92, 0x9f, 0x81, 0x8f, 0xa3, 0xbf,
                                                0xc4, 0xc5, 0xc6, 0xc7, 0xd9, 0xda, 0xdb,
                                                0xdc, 0xdd, 0xde, 0xdf, 0xd4, 0xd8, 0xc0,
                                                0x00, 0xff, 0xc1, 0xcf, 0xd3, 0x01 };
    uint64_t seed = 0x9e3779b97f4a7c15u;
    unsigned counts[4] = { 0 };

    for (unsigned round = 0; round < 50000; round++) {
        size_t len = next_random(&seed) % 48;
        size_t limit = 1 + next_random(&seed) % 96;
        unsigned char *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = next_random(&seed);
            buf[i] = (r & 1) ? structural[(r >> 8) % sizeof structural] : (unsigned char)(r >> 16);
        }
        size_t object_len = 0;
        enum mp_scan result = mp_scan((const char *)buf, len, limit, RC_MAX_DEPTH, &object_len);
        assert_in_range(result, MP_SCAN_COMPLETE, MP_SCAN_INVALID);
        counts[result]++;
        if (result == MP_SCAN_COMPLETE) {
            assert_in_range(object_len, 1, len < limit ? len : limit);
            msgpack_unpacked obj;
            size_t off = 0;
            msgpack_unpacked_init(&obj);
            assert_int_equal(msgpack_unpack_next(&obj, (const char *)buf, object_len, &off),
                             MSGPACK_UNPACK_SUCCESS);
            assert_int_equal(off, object_len);
            msgpack_unpacked_destroy(&obj);
        }
        free(buf);
    }
    /* The inputs reached every verdict. */
    for (int v = 0; v < 4; v++)
        assert_true(counts[v] > 100);
}

/*
 * Scans buf as a reader receiving it in pieces would: one scanner, run again
 * on the same start with more bytes each time. The scanner never goes back.
 */
static enum mp_scan scan_in_pieces(const unsigned char *buf, size_t len, size_t limit,
                                   uint64_t *seed, size_t *object_len)
{
    struct mp_scanner scanner;
    size_t have = 0, last_pos = 0;
    enum mp_scan result;

    mp_scanner_init(&scanner);
    for (;;) {
        size_t piece = 1 + next_random(seed) % 7;
        have = have + piece < len ? have + piece : len;
        result = mp_scanner_run(&scanner, (const char *)buf, have, limit, RC_MAX_DEPTH, object_len);
        assert_true(scanner.pos >= last_pos);
        assert_true(scanner.pos <= have);
        last_pos = scanner.pos;
        if (result != MP_SCAN_NEED_MORE || have == len)
            return result;
    }
}

/* Resuming gives mp_scan's verdict and length, whatever the pieces. */
static void test_resumed_scan_agrees(void **state)
{
    (void)state;
    struct sample samples[48];
    size_t count = make_samples(samples, 48);
    uint64_t seed = 0x2545f4914f6cdd1du;

    for (size_t i = 0; i < count; i++) {
        const unsigned char *bytes = (const unsigned char *)samples[i].bytes.data;
        size_t size = samples[i].bytes.size, len = 0;
        if (scan_in_pieces(bytes, size, LIMIT, &seed, &len) != MP_SCAN_COMPLETE || len != size)
            fail_msg("%s: not complete when read in pieces", samples[i].name);
        msgpack_sbuffer_destroy(&samples[i].bytes);
    }
    for (unsigned round = 0; round < 50000; round++) {
        size_t len = next_random(&seed) % 48, limit = 1 + next_random(&seed) % 96;
        unsigned char buf[48];
        for (size_t k = 0; k < len; k++)
            buf[k] = (unsigned char)(next_random(&seed) >> 24);
        size_t whole_len = 0, pieces_len = 0;
        enum mp_scan whole = mp_scan((const char *)buf, len, limit, RC_MAX_DEPTH, &whole_len);
        enum mp_scan pieces = scan_in_pieces(buf, len, limit, &seed, &pieces_len);
        assert_int_equal(whole, pieces);
        if (whole == MP_SCAN_COMPLETE)
            assert_int_equal(whole_len, pieces_len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumed_scan_agrees),
        cmocka_unit_test(test_huge_array32_refused_before_decoding),
        cmocka_unit_test(test_huge_map32),
        cmocka_unit_test(test_huge_lengths),
        cmocka_unit_test(test_nested_counts_add_up),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_max_depth_is_capped),
        cmocka_unit_test(test_c1_is_invalid),
        cmocka_unit_test(test_limits_at_the_edges),
        cmocka_unit_test(test_complete_objects_and_prefixes),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
