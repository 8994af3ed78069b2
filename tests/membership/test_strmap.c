/*
 * test_strmap.c — the string map: lookups, replacement, growth, and keys that
 * differ only in length or in their last byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "strmap.h"

#define KEY_COUNT 5000

static void test_put_get(void **state)
{
    (void)state;
    struct strmap map = STRMAP_INIT;
    static char keys[KEY_COUNT][16];
    uint64_t value;

    assert_false(strmap_get(&map, "a", 1, &value));
    for (size_t i = 0; i < KEY_COUNT; i++) {
        snprintf(keys[i], sizeof keys[i], "key-%zu", i);
        assert_true(strmap_put(&map, keys[i], strlen(keys[i]), i * 3));
    }
    assert_int_equal(map.count, KEY_COUNT);
    assert_true(map.capacity >= 2 * KEY_COUNT);
    for (size_t i = 0; i < KEY_COUNT; i++) {
        char probe[16];
        snprintf(probe, sizeof probe, "key-%zu", i); /* other bytes, same text */
        assert_true(strmap_get(&map, probe, strlen(probe), &value));
        assert_int_equal(value, i * 3);
    }
    assert_false(strmap_get(&map, "key-", 4, NULL));
    assert_false(strmap_get(&map, "key-50000", 9, NULL));
    assert_false(strmap_get(&map, "key-1", 4, NULL)); /* a prefix of a key */

    /* Replacing keeps the count. */
    assert_true(strmap_put(&map, "key-7", 5, 42));
    assert_int_equal(map.count, KEY_COUNT);
    assert_true(strmap_get(&map, "key-7", 5, &value));
    assert_int_equal(value, 42);
    strmap_free(&map);
    assert_int_equal(map.count, 0);
    assert_false(strmap_get(&map, "key-7", 5, &value));
}

static void test_reserve(void **state)
{
    (void)state;
    struct strmap map;

    strmap_init(&map);
    assert_true(strmap_reserve(&map, 100));
    size_t capacity = map.capacity;
    assert_true(capacity >= 200);
    /* Binary keys with embedded NULs are keys like any other. */
    assert_true(strmap_put(&map, "a\0b", 3, 1));
    assert_true(strmap_put(&map, "a\0c", 3, 2));
    assert_true(strmap_put(&map, "", 0, 3));
    uint64_t value;
    assert_true(strmap_get(&map, "a\0c", 3, &value));
    assert_int_equal(value, 2);
    assert_true(strmap_get(&map, "", 0, &value));
    assert_int_equal(value, 3);
    assert_int_equal(map.capacity, capacity);
    strmap_free(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
