/*
 * replay.c — runs a fuzz target without libFuzzer: every file of a seed
 * corpus, then deterministic mutations of them.
 *
 *     fuzz_event CORPUS_DIR [MUTATIONS [SEED]]
 *
 * Each input sits in an allocation of exactly its size, so the sanitizers
 * see any read past its end. The same arguments always run the same inputs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_INPUT_MAX (64u << 10)

struct input {
    uint8_t *data;
    size_t size;
};

struct corpus {
    struct input *inputs;
    size_t count;
};

/* ---- loading the seeds ------------------------------------------------------ */

static bool read_file(const char *path, struct input *in)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    in->data = malloc(REPLAY_INPUT_MAX);
    in->size = in->data ? fread(in->data, 1, REPLAY_INPUT_MAX, f) : 0;
    bool ok = in->data != NULL && !ferror(f);
    fclose(f);
    return ok;
}

static int load_corpus(const char *dir, struct corpus *corpus)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort); /* sorted: the same order every run */
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    corpus->inputs = calloc((size_t)n + 1, sizeof *corpus->inputs);
    corpus->count = 0;
    int status = corpus->inputs ? 0 : -1;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (status == 0 && names[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode)) {
            if (read_file(path, &corpus->inputs[corpus->count]))
                corpus->count++;
            else
                status = -1;
        }
        free(names[i]);
    }
    free(names);
    if (status == 0 && corpus->count == 0) {
        fprintf(stderr, "replay: %s: no seed files\n", dir);
        status = -1;
    }
    return status;
}

/* ---- running an input ---------------------------------------------------------- */

/* Runs the target on a private copy of exactly size bytes. */
static void run(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy != NULL);
    if (size)
        memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
}

/* ---- mutations ------------------------------------------------------------------- */

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Bytes that change a msgpack structure: headers, the invalid byte, huge counts. */
static const uint8_t interesting[] = { 0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                                       0xbf, 0xc0, 0xc1, 0xc2, 0xc4, 0xc7, 0xcc, 0xd9,
                                       0xdc, 0xdd, 0xde, 0xdf, 0xff, '\n', '\r', '\t',
                                       '-',  '0',  ' ',  0xe2, 0xed, 0xf4, 0xf5 };

/*
 * Applies one random edit to buf (capacity REPLAY_INPUT_MAX, *size used): flip a bit,
 * set an interesting byte, insert, delete, truncate, duplicate a range, or
 * splice in part of another seed.
 */
static void mutate_once(uint8_t *buf, size_t *size, const struct corpus *corpus, uint64_t *seed)
{
    uint64_t r = next_random(seed);
    size_t n = *size;
    size_t at = n ? (size_t)(r >> 8) % n : 0;

    switch (r % 8) {
    case 0:
        if (n)
            buf[at] ^= (uint8_t)(1u << ((r >> 40) % 8));
        break;
    case 1:
    case 2:
        if (n)
            buf[at] = interesting[(r >> 40) % sizeof interesting];
        break;
    case 3:
        if (n < REPLAY_INPUT_MAX) {
            memmove(buf + at + 1, buf + at, n - at);
            buf[at] =
                (r >> 40) & 1 ? interesting[(r >> 41) % sizeof interesting] : (uint8_t)(r >> 48);
            *size = n + 1;
        }
        break;
    case 4:
        if (n) {
            size_t len = 1 + (size_t)(r >> 40) % (n - at < 8 ? n - at : 8);
            memmove(buf + at, buf + at + len, n - at - len);
            *size = n - len;
        }
        break;
    case 5:
        *size = at;
        break;
    case 6: {
        size_t len = n ? 1 + (size_t)(r >> 40) % (n - at) : 0;
        if (len > 64)
            len = 64;
        if (n + len <= REPLAY_INPUT_MAX) {
            /* Shifting the tail right leaves the range in place and repeats it. */
            memmove(buf + at + len, buf + at, n - at);
            *size = n + len;
        }
        break;
    }
    default: {
        const struct input *other = &corpus->inputs[(r >> 40) % corpus->count];
        size_t from = other->size ? (size_t)next_random(seed) % other->size : 0;
        size_t len = other->size - from;
        if (at + len > REPLAY_INPUT_MAX)
            len = REPLAY_INPUT_MAX - at;
        memcpy(buf + at, other->data + from, len);
        *size = at + len;
        break;
    }
    }
}

int main(int argc, char **argv)
{
    struct corpus corpus;
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS [SEED]]\n", argv[0]);
        return 2;
    }
    unsigned long mutations = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    seed = seed * 0x9e3779b97f4a7c15u + 1; /* never zero for xorshift */
    if (load_corpus(argv[1], &corpus) != 0)
        return 1;

    for (size_t i = 0; i < corpus.count; i++)
        run(corpus.inputs[i].data, corpus.inputs[i].size);

    uint8_t *buf = malloc(REPLAY_INPUT_MAX);
    FUZZ_CHECK(buf != NULL);
    for (unsigned long m = 0; m < mutations; m++) {
        const struct input *base = &corpus.inputs[next_random(&seed) % corpus.count];
        size_t size = base->size;
        memcpy(buf, base->data, size);
        unsigned edits = 1 + (unsigned)(next_random(&seed) % 4);
        for (unsigned e = 0; e < edits; e++)
            mutate_once(buf, &size, &corpus, &seed);
        run(buf, size);
    }
    free(buf);

    printf("%s: %zu seeds and %lu mutations ran clean\n", argv[0], corpus.count, mutations);
    for (size_t i = 0; i < corpus.count; i++)
        free(corpus.inputs[i].data);
    free(corpus.inputs);
    return 0;
}
