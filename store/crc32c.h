/*
 * crc32c.h — CRC-32C (Castagnoli), the checksum of every segment header and
 * record frame (store/FORMAT.md).
 *
 * The SSE4.2 crc32 instruction is used when the CPU has it (checked once at
 * run time); otherwise a slicing-by-8 table does the work. Both give the
 * same value: the standard CRC-32C, crc32c("123456789") == 0xe3069283.
 */
#ifndef ROLLCALL_CRC32C_H
#define ROLLCALL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of data[0..len). */
uint32_t crc32c(const void *data, size_t len);

/* Continues crc (a finished CRC-32C of earlier bytes) over data[0..len). */
uint32_t crc32c_extend(uint32_t crc, const void *data, size_t len);

/* The table-driven path alone, whatever the CPU: lets tests compare both. */
uint32_t crc32c_portable_extend(uint32_t crc, const void *data, size_t len);

#endif
