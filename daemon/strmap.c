/*
 * strmap.c — open addressing with linear probing, kept at most half full so
 * that probes stay short. The full 64-bit hash is stored in each slot: most
 * mismatches are settled without touching the key bytes.
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAPACITY 16

/* FNV-1a, then a murmur-style finaliser so that the low bits (the index) mix. */
static uint64_t hash_bytes(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

void strmap_init(struct strmap *map)
{
    map->slots = NULL;
    map->capacity = 0;
    map->count = 0;
}

void strmap_free(struct strmap *map)
{
    free(map->slots);
    strmap_init(map);
}

/* The slot holding key, or the free slot where it would go. capacity > 0. */
static struct strmap_slot *probe(struct strmap_slot *slots, size_t capacity, const char *key,
                                 size_t len, uint64_t hash)
{
    size_t mask = capacity - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        struct strmap_slot *s = &slots[i];
        if (s->key == NULL)
            return s;
        if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
            return s;
    }
}

bool strmap_get(const struct strmap *map, const char *key, size_t len, uint64_t *value)
{
    if (map->count == 0)
        return false;
    const struct strmap_slot *s = probe(map->slots, map->capacity, key, len, hash_bytes(key, len));
    if (s->key == NULL)
        return false;
    if (value)
        *value = s->value;
    return true;
}

bool strmap_reserve(struct strmap *map, size_t count)
{
    size_t capacity = map->capacity ? map->capacity : MIN_CAPACITY;
    while (capacity / 2 < count) {
        if (capacity > SIZE_MAX / 2 / sizeof(struct strmap_slot))
            return false;
        capacity *= 2;
    }
    if (capacity == map->capacity)
        return true;

    struct strmap_slot *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return false;
    for (size_t i = 0; i < map->capacity; i++) {
        const struct strmap_slot *old = &map->slots[i];
        if (old->key)
            *probe(slots, capacity, old->key, old->len, old->hash) = *old;
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return true;
}

bool strmap_put(struct strmap *map, const char *key, size_t len, uint64_t value)
{
    if (!strmap_reserve(map, map->count + 1))
        return false;
    uint64_t hash = hash_bytes(key, len);
    struct strmap_slot *s = probe(map->slots, map->capacity, key, len, hash);
    if (s->key == NULL) {
        s->key = key;
        s->len = len;
        s->hash = hash;
        map->count++;
    }
    s->value = value;
    return true;
}
