/*
 * io.c — the store_io seam and whole-buffer helpers on top of it.
 *
 * Every file operation of the store goes through a struct store_io, so that
 * tests can make one fail. store_io_default() is plain libc.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* open(2) is variadic; the seam's open is not. */
static int io_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static const struct store_io default_io = {
    .open = io_open,
    .close = close,
    .pread = pread,
    .pwritev = pwritev,
    .fsync = fsync,
    .fdatasync = fdatasync,
    .ftruncate = ftruncate,
    .rename = rename,
    .unlink = unlink,
};

const struct store_io *store_io_default(void)
{
    return &default_io;
}

/* Reads exactly len bytes at offset. -1 with errno; ENODATA if the file ends first. */
int io_pread_full(const struct store_io *io, int fd, void *buf, size_t len, uint64_t offset)
{
    unsigned char *p = buf;

    while (len > 0) {
        ssize_t n = io->pread(fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = ENODATA;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

/* Writes exactly len bytes at offset. -1 with errno (EIO if nothing could be written). */
int io_pwrite_full(const struct store_io *io, int fd, const void *buf, size_t len, uint64_t offset)
{
    const unsigned char *p = buf;

    while (len > 0) {
        struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };
        ssize_t n = io->pwritev(fd, &iov, 1, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}
