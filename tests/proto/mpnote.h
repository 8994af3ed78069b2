/*
 * mpnote.h — msgpack written as a JSON-like line, for tests.
 *
 * The notation is JSON with what JSON cannot say about msgpack:
 *
 *   {"type": "signed", 1: nil}   maps with any keys, kept in order, duplicates too
 *   "caf\xc3\xa9" '!'            strings in either quotes, with \n \r \t \" \' \\ and
 *                                \xHH (any byte, so invalid UTF-8 too); adjacent
 *                                strings join
 *   "a"*256                      a piece repeated: 256 bytes of 'a'
 *   b"\x00\x01"                  bin
 *   12  -3  1.5  nil true false  integers (smallest encoding), a double, the rest
 *
 * It exists so that a table of inputs reads like the events it describes.
 */
#ifndef ROLLCALL_TEST_MPNOTE_H
#define ROLLCALL_TEST_MPNOTE_H

#include <msgpack.h>
#include <stddef.h>

/*
 * Packs the one value written in text. Returns 0, or -1 on a syntax error
 * (*error_at, when not NULL, is then the offset of the offending character).
 */
int mpnote_pack(msgpack_packer *pk, const char *text, size_t *error_at);

#endif
