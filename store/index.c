/*
 * index.c — the in-memory index: for each record, where it starts in its
 * segment and when it was recorded (twelve bytes a record). The segment of a
 * seq is found by binary search on the segments' first seqs.
 */
#include "store_internal.h"

#include <stdlib.h>

int index_reserve(struct record_index *index, uint64_t more)
{
    uint64_t cap = index->cap ? index->cap : 1024;
    uint32_t *offset;
    int64_t *recorded;

    if (more > UINT64_MAX - index->count)
        return -1;
    if (index->count + more <= index->cap)
        return 0;
    while (cap < index->count + more)
        cap *= 2;
    if (cap > SIZE_MAX / sizeof *recorded)
        return -1;
    offset = realloc(index->offset, cap * sizeof *offset);
    if (!offset)
        return -1;
    index->offset = offset;
    recorded = realloc(index->recorded, cap * sizeof *recorded);
    if (!recorded)
        return -1;
    index->recorded = recorded;
    index->cap = cap;
    return 0;
}

void index_push(struct record_index *index, uint32_t offset, int64_t recorded)
{
    index->offset[index->count] = offset;
    index->recorded[index->count] = recorded;
    index->count++;
}

void index_free(struct record_index *index)
{
    free(index->offset);
    free(index->recorded);
    index->offset = NULL;
    index->recorded = NULL;
    index->count = index->cap = 0;
}

/* The last segment whose first seq is at most seq. */
size_t store_segment_of(const struct store *store, uint64_t seq)
{
    size_t low = 0, high = store->segment_count;

    while (high - low > 1) {
        size_t mid = low + (high - low) / 2;
        if (store->segments[mid].first_seq <= seq)
            low = mid;
        else
            high = mid;
    }
    return low;
}

uint64_t store_record_end(const struct store *store, size_t segment, uint64_t seq)
{
    bool last_in_segment =
        seq == store->head ||
        (segment + 1 < store->segment_count && store->segments[segment + 1].first_seq == seq + 1);

    if (last_in_segment)
        return store->segments[segment].written_end;
    return store->index.offset[seq];
}
