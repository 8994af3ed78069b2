/*
 * json.h — JSON (jansson) to and from MessagePack.
 *
 * The client reads JSON (import files) and writes JSON (--json, export); the
 * daemon speaks MessagePack. The mapping is the obvious one, with two rules
 * that matter: a JSON integer stays an integer and a JSON real becomes a
 * float (which the event schema then refuses with a field error rather than
 * silently truncating), and MessagePack values JSON can't hold (binary,
 * extensions, non-string keys, integers past 2^63) are refused.
 */
#ifndef ROLLCALL_JSON_H
#define ROLLCALL_JSON_H

#include <jansson.h>
#include <msgpack.h>
#include <stddef.h>

/* Packs value as MessagePack. Returns 0, or -1 if the packer failed. */
int convert_json_to_msgpack(json_t *value, msgpack_packer *pk);

/*
 * Packs value into a fresh buffer (sbuf is initialised here; the caller
 * destroys it). Returns 0 or -1.
 */
int convert_json_to_sbuffer(json_t *value, msgpack_sbuffer *sbuf);

/*
 * A new JSON value equal to obj, or NULL with why (size bytes) saying what
 * JSON can't hold or that memory ran out.
 */
json_t *convert_msgpack_to_json(const msgpack_object *obj, char *why, size_t size);

#endif
