/*
 * fuzz.h — what the fuzz targets share: libFuzzer's entry point and a check
 * that stops the run on a broken invariant.
 *
 * Each target is linked either with libFuzzer (-DROLLCALL_FUZZ=ON, clang) or
 * with replay.c, which feeds it a seed corpus and deterministic mutations of
 * it so that every test run exercises the same paths under the sanitizers.
 */
#ifndef ROLLCALL_FUZZ_H
#define ROLLCALL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes per message in the targets: the daemon's default. */
#define FUZZ_LIMIT (1u << 20)

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
