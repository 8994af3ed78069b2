/*
 * test_store_format.c — the store's byte-level pieces: CRC-32C, the body
 * prefix reader, frame headers, segment names and headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "crc32c.h"
#include "store_internal.h"
#include "store_test.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-32C ---- */

static void test_crc32c_known_values(void **state)
{
    unsigned char zeros[32] = { 0 }, ones[32], ascending[32];

    (void)state;
    memset(ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++)
        ascending[i] = (unsigned char)i;
    /* The check value of CRC-32C and the vectors of RFC 3720, B.4. */
    assert_int_equal(crc32c("123456789", 9), 0xe3069283);
    assert_int_equal(crc32c(zeros, sizeof zeros), 0x8a9136aa);
    assert_int_equal(crc32c(ones, sizeof ones), 0x62a8ab43);
    assert_int_equal(crc32c(ascending, sizeof ascending), 0x46dd794e);
    assert_int_equal(crc32c_portable_extend(0, "123456789", 9), 0xe3069283);
    assert_int_equal(crc32c("", 0), 0);
}

static void test_crc32c_paths_agree(void **state)
{
    unsigned char data[4099];
    uint32_t seed = 7;

    (void)state;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)test_random(&seed);
    /* Every length and alignment near the 8-byte steps of both paths. */
    for (size_t start = 0; start < 9; start++)
        for (size_t len = 0; len + start <= sizeof data; len += len < 64 ? 1 : 61)
            assert_int_equal(crc32c(data + start, len),
                             crc32c_portable_extend(0, data + start, len));
    /* Extending in two pieces equals one pass. */
    assert_int_equal(crc32c_extend(crc32c(data, 1000), data + 1000, 3099), crc32c(data, 4099));
}

/* ---- Body prefix ---- */

static size_t pack_prefix(unsigned char *out, size_t cap, uint32_t entries, uint64_t seq,
                          int64_t recorded, bool recorded_unsigned)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    size_t len;

    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, entries);
    msgpack_pack_str_with_body(&pk, "seq", 3);
    msgpack_pack_uint64(&pk, seq);
    msgpack_pack_str_with_body(&pk, "recorded", 8);
    if (recorded_unsigned)
        msgpack_pack_uint64(&pk, (uint64_t)recorded);
    else
        msgpack_pack_int64(&pk, recorded);
    for (uint32_t i = 2; i < entries; i++) {
        msgpack_pack_str_with_body(&pk, "k", 1);
        msgpack_pack_nil(&pk);
    }
    len = sbuf.size;
    assert_true(len <= cap);
    memcpy(out, sbuf.data, len);
    msgpack_sbuffer_destroy(&sbuf);
    return len;
}

static void test_body_prefix_integer_forms(void **state)
{
    static const uint64_t seqs[] = { 1,     127,   128,         255,         256,
                                     65535, 65536, 4294967295u, 4294967296u, UINT64_MAX };
    static const int64_t times[] = { 0,  1,   127, 200,  70000,  1700000000000000, INT64_MAX,
                                     -1, -32, -33, -200, -40000, -3000000000,      INT64_MIN };
    unsigned char body[200];

    (void)state;
    for (size_t i = 0; i < sizeof seqs / sizeof *seqs; i++) {
        for (size_t j = 0; j < sizeof times / sizeof *times; j++) {
            uint64_t seq;
            int64_t recorded;
            size_t len = pack_prefix(body, sizeof body, 2, seqs[i], times[j], false);
            assert_int_equal(body_prefix(body, len, &seq, &recorded), 0);
            assert_int_equal(seq, seqs[i]);
            assert_int_equal(recorded, times[j]);
            /* Cut short anywhere, the prefix is not there. */
            for (size_t cut = 0; cut < len; cut++)
                assert_int_equal(body_prefix(body, cut, &seq, &recorded), -1);
        }
    }
}

static void test_body_prefix_map_sizes(void **state)
{
    size_t cap = 1 << 20;
    unsigned char *body = malloc(cap);
    uint64_t seq;
    int64_t recorded;

    (void)state;
    assert_non_null(body);
    /* fixmap, map16 and map32 headers (the last size is 147622 entries). */
    for (uint32_t entries = 2; entries < 200000; entries = entries * 3 + 1) {
        size_t len = pack_prefix(body, cap, entries, 42, 7, false);
        assert_int_equal(body_prefix(body, len, &seq, &recorded), 0);
        assert_int_equal(seq, 42);
        assert_int_equal(recorded, 7);
    }
    free(body);
}

static void test_body_prefix_refusals(void **state)
{
    unsigned char body[64];
    size_t len;
    uint64_t seq;
    int64_t recorded;

    (void)state;
    /* Too few entries. */
    len = pack_prefix(body, sizeof body, 2, 5, 5, false);
    body[0] = 0x81;
    assert_int_equal(body_prefix(body, len, &seq, &recorded), -1);
    /* Not a map. */
    body[0] = 0x92;
    assert_int_equal(body_prefix(body, len, &seq, &recorded), -1);
    /* Keys in the other order. */
    {
        msgpack_sbuffer sbuf;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sbuf);
        msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "recorded", 8);
        msgpack_pack_int64(&pk, 5);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint64(&pk, 5);
        assert_int_equal(body_prefix((unsigned char *)sbuf.data, sbuf.size, &seq, &recorded), -1);
        msgpack_sbuffer_destroy(&sbuf);
    }
    /* seq 0, a negative seq, a string seq. */
    len = pack_prefix(body, sizeof body, 2, 0, 5, false);
    assert_int_equal(body_prefix(body, len, &seq, &recorded), -1);
    len = pack_prefix(body, sizeof body, 2, 5, 5, false);
    body[5] = 0xff; /* negative fixint -1 */
    assert_int_equal(body_prefix(body, len, &seq, &recorded), -1);
    body[5] = 0xa1;
    assert_int_equal(body_prefix(body, len, &seq, &recorded), -1);
    /* recorded as a uint64 above INT64_MAX. */
    len = pack_prefix(body, sizeof body, 2, 5, INT64_MIN, true);
    assert_int_equal(body_prefix(body, len, &seq, &recorded), -1);
    /* The invalid byte 0xc1 for recorded. */
    len = pack_prefix(body, sizeof body, 2, 5, 5, false);
    body[len - 1] = 0xc1;
    assert_int_equal(body_prefix(body, len, &seq, &recorded), -1);
}

/* ---- Frames ---- */

static void test_frame_header(void **state)
{
    struct test_body body;
    unsigned char header[FRAME_HEADER_SIZE], frame[512];

    (void)state;
    test_body_make(&body, 9, 1000, 50);
    frame_header_encode(header, body.data, (uint32_t)body.len, false);
    assert_int_equal(get_le32(header), body.len);
    memcpy(frame, header, sizeof header);
    memcpy(frame + sizeof header, body.data, body.len);
    assert_true(frame_checksum_ok(frame, (uint32_t)body.len));
    /* The CRC covers the length word: the continuation flag changes it. */
    frame_header_encode(header, body.data, (uint32_t)body.len, true);
    assert_int_equal(get_le32(header), body.len | FRAME_CONTINUED);
    assert_int_not_equal(get_le32(header + 4), get_le32(frame + 4));
    /* Any flipped bit of header or body is caught. */
    for (size_t bit = 0; bit < 8 * (sizeof header + body.len); bit++) {
        frame[bit / 8] ^= (unsigned char)(1u << bit % 8);
        assert_false(frame_checksum_ok(frame, (uint32_t)body.len));
        frame[bit / 8] ^= (unsigned char)(1u << bit % 8);
    }
    test_body_free(&body);
}

/* ---- Segments ---- */

static void test_segment_naming(void **state)
{
    char name[SEGMENT_NAME_SIZE], later[SEGMENT_NAME_SIZE];
    uint64_t seq;

    (void)state;
    segment_name(name, 1);
    assert_string_equal(name, "seg-00000000000000000001.rlog");
    assert_true(segment_name_parse(name, &seq));
    assert_int_equal(seq, 1);
    segment_name(name, UINT64_MAX);
    assert_true(segment_name_parse(name, &seq));
    assert_int_equal(seq, UINT64_MAX);
    /* Names sort like their seqs. */
    segment_name(name, 999);
    segment_name(later, 1000);
    assert_true(strcmp(name, later) < 0);

    assert_false(segment_name_parse("seg-00000000000000000000.rlog", &seq));
    assert_false(segment_name_parse("seg-99999999999999999999.rlog", &seq));
    assert_false(segment_name_parse("seg-1.rlog", &seq));
    assert_false(segment_name_parse("seg-0000000000000000001x.rlog", &seq));
    assert_false(segment_name_parse("seg-00000000000000000001.rlog.bak", &seq));
    assert_false(segment_name_parse(".tmp-seg-00000000000000000001.rlog", &seq));
    assert_false(segment_name_parse("LOCK", &seq));
}

static void test_segment_header(void **state)
{
    unsigned char header[SEGMENT_HEADER_SIZE];

    (void)state;
    segment_header_encode(header, 77);
    assert_memory_equal(header, "rollcall", 8);
    assert_int_equal(get_le32(header + 8), SEGMENT_VERSION);
    assert_int_equal(get_le64(header + 12), 77);
    assert_null(segment_header_problem(header, 77));
    assert_non_null(segment_header_problem(header, 78));
    for (size_t bit = 0; bit < 8 * sizeof header; bit++) {
        header[bit / 8] ^= (unsigned char)(1u << bit % 8);
        assert_non_null(segment_header_problem(header, 77));
        header[bit / 8] ^= (unsigned char)(1u << bit % 8);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_known_values),
        cmocka_unit_test(test_crc32c_paths_agree),
        cmocka_unit_test(test_body_prefix_integer_forms),
        cmocka_unit_test(test_body_prefix_map_sizes),
        cmocka_unit_test(test_body_prefix_refusals),
        cmocka_unit_test(test_frame_header),
        cmocka_unit_test(test_segment_naming),
        cmocka_unit_test(test_segment_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
