/*
 * strmap.h — a small open-addressing hash map from byte strings to uint64_t.
 *
 * The projection maps ids to seqs, slugs to coalitions and countries to their
 * records. Keys are borrowed, not copied: they point into stored events, which
 * live as long as the map. Keys are only ever added (the log only grows), so
 * there is no removal and no tombstone.
 */
#ifndef ROLLCALL_STRMAP_H
#define ROLLCALL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
    const char *key; /* NULL: the slot is free */
    size_t len;
    uint64_t hash;
    uint64_t value;
};

struct strmap {
    struct strmap_slot *slots;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
};

#define STRMAP_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void strmap_init(struct strmap *map);
void strmap_free(struct strmap *map);

/* True and *value set when key is mapped. value may be NULL. */
bool strmap_get(const struct strmap *map, const char *key, size_t len, uint64_t *value);

/*
 * Maps key to value, replacing any previous value. The map keeps the key
 * pointer: the bytes must outlive the map. Returns false when memory runs out;
 * the map is then unchanged.
 */
bool strmap_put(struct strmap *map, const char *key, size_t len, uint64_t value);

/* Makes room for count keys in all, so that no put up to then allocates. */
bool strmap_reserve(struct strmap *map, size_t count);

#endif
