/*
 * json.c — JSON (jansson) to and from MessagePack.
 */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* ---- JSON to MessagePack ---------------------------------------------------- */

int convert_json_to_msgpack(json_t *value, msgpack_packer *pk)
{
    const char *key;
    size_t key_len, index;
    json_t *item;

    if (value == NULL)
        return -1;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        if (msgpack_pack_map(pk, json_object_size(value)))
            return -1;
        json_object_keylen_foreach(value, key, key_len, item)
        {
            if (msgpack_pack_str(pk, key_len) || msgpack_pack_str_body(pk, key, key_len) ||
                convert_json_to_msgpack(item, pk))
                return -1;
        }
        return 0;
    case JSON_ARRAY:
        if (msgpack_pack_array(pk, json_array_size(value)))
            return -1;
        json_array_foreach(value, index, item)
        {
            if (convert_json_to_msgpack(item, pk))
                return -1;
        }
        return 0;
    case JSON_STRING:
        if (msgpack_pack_str(pk, json_string_length(value)))
            return -1;
        return msgpack_pack_str_body(pk, json_string_value(value), json_string_length(value));
    case JSON_INTEGER:
        /* msgpack-c picks the smallest form; a non-negative value is a uint. */
        return msgpack_pack_int64(pk, json_integer_value(value));
    case JSON_REAL:
        return msgpack_pack_double(pk, json_real_value(value));
    case JSON_TRUE:
        return msgpack_pack_true(pk);
    case JSON_FALSE:
        return msgpack_pack_false(pk);
    case JSON_NULL:
        return msgpack_pack_nil(pk);
    }
    return -1;
}

int convert_json_to_sbuffer(json_t *value, msgpack_sbuffer *sbuf)
{
    msgpack_packer pk;

    msgpack_sbuffer_init(sbuf);
    msgpack_packer_init(&pk, sbuf, msgpack_sbuffer_write);
    return convert_json_to_msgpack(value, &pk);
}

/* ---- MessagePack to JSON ---------------------------------------------------- */

static json_t *refuse(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *refuse(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return NULL;
}

static json_t *map_to_json(const msgpack_object *obj, char *why, size_t size)
{
    json_t *object = json_object();

    if (object == NULL)
        return refuse(why, size, "out of memory");
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            json_decref(object);
            return refuse(why, size, "a map key that is not a string");
        }
        json_t *value = convert_msgpack_to_json(&kv->val, why, size);
        if (value == NULL ||
            json_object_setn_new(object, kv->key.via.str.ptr, kv->key.via.str.size, value) != 0) {
            json_decref(object);
            return value ? refuse(why, size, "a map key that is not valid UTF-8") : NULL;
        }
    }
    return object;
}

static json_t *array_to_json(const msgpack_object *obj, char *why, size_t size)
{
    json_t *array = json_array();

    if (array == NULL)
        return refuse(why, size, "out of memory");
    for (uint32_t i = 0; i < obj->via.array.size; i++) {
        json_t *value = convert_msgpack_to_json(&obj->via.array.ptr[i], why, size);
        if (value == NULL || json_array_append_new(array, value) != 0) {
            json_decref(array);
            return value ? refuse(why, size, "out of memory") : NULL;
        }
    }
    return array;
}

json_t *convert_msgpack_to_json(const msgpack_object *obj, char *why, size_t size)
{
    json_t *value = NULL;

    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:
        value = json_null();
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        value = json_boolean(obj->via.boolean);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (obj->via.u64 > INT64_MAX)
            return refuse(why, size, "an integer too large for JSON (%llu)",
                          (unsigned long long)obj->via.u64);
        value = json_integer((json_int_t)obj->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        value = json_integer((json_int_t)obj->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(obj->via.f64))
            return refuse(why, size, "a float JSON can't hold (%g)", obj->via.f64);
        value = json_real(obj->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        /* json_stringn refuses invalid UTF-8: a bad string is an error, not mojibake. */
        if ((value = json_stringn(obj->via.str.ptr ? obj->via.str.ptr : "", obj->via.str.size)) ==
            NULL)
            return refuse(why, size, "a string that is not valid UTF-8");
        return value;
    case MSGPACK_OBJECT_ARRAY:
        return array_to_json(obj, why, size);
    case MSGPACK_OBJECT_MAP:
        return map_to_json(obj, why, size);
    case MSGPACK_OBJECT_BIN:
        return refuse(why, size, "binary data, which JSON can't hold");
    case MSGPACK_OBJECT_EXT:
        return refuse(why, size, "a MessagePack extension, which JSON can't hold");
    }
    if (value == NULL)
        return refuse(why, size, "out of memory");
    return value;
}
