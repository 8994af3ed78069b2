/*
 * crc32c.c — CRC-32C, reflected polynomial 0x82f63b78, initial value and
 * final xor 0xffffffff.
 */
#include "crc32c.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define CRC32C_POLY 0x82f63b78u

static uint32_t crc_table[8][256];
static bool crc_hardware;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[0][i] = c;
    }
    /* crc_table[k][b]: the CRC of byte b followed by k zero bytes. */
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_hardware = __builtin_cpu_supports("sse4.2");
#endif
}

/* Little-endian load that is neither unaligned nor endian-dependent. */
static uint32_t crc_load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc32c_slicing(uint32_t crc, const unsigned char *p, size_t len)
{
    uint32_t c = ~crc;

    while (len >= 8) {
        uint32_t lo = crc_load_le32(p) ^ c;
        uint32_t hi = crc_load_le32(p + 4);
        c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
            crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^
            crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^
            crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p,
                                                               size_t len)
{
    uint64_t c = ~crc;

    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, sizeof word);
        c = _mm_crc32_u64(c, word);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#endif

uint32_t crc32c_portable_extend(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc32c_init);
    return crc32c_slicing(crc, data, len);
}

uint32_t crc32c_extend(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc32c_init);
#if defined(__x86_64__)
    if (crc_hardware)
        return crc32c_sse42(crc, data, len);
#endif
    return crc32c_slicing(crc, data, len);
}

uint32_t crc32c(const void *data, size_t len)
{
    return crc32c_extend(0, data, len);
}
