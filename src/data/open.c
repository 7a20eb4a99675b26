/* Opening a data file for reading: regular files only, plain or gzip.
 *
 * A data path can name anything: /dev/zero (endless zeros), a FIFO (whose
 * open blocks until a writer comes), a terminal, a directory. The readers
 * take only regular files, checked with stat before any open, then again
 * with fstat on the descriptor opened (the path may have changed in
 * between); the open is O_NONBLOCK so that even a FIFO swapped in at that
 * moment does not block it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data_internal.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

static gd_status not_regular(gd_ctx *ctx, const char *path) {
    return gd_error(ctx, GD_EINVAL, "%s: not a regular file", path);
}

gd_status gd_data_open(gd_ctx *ctx, const char *path, void **gz, unsigned long long *size) {
    struct stat sb;
    *gz = NULL;
    if (stat(path, &sb) != 0)
        return gd_error(ctx, GD_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return not_regular(ctx, path);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return gd_error(ctx, GD_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return not_regular(ctx, path);
    }
    if (size) *size = (unsigned long long)sb.st_size;
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    gzFile g = gzdopen(fd, "rb");
    if (!g) {
        close(fd);
        return gd_error(ctx, GD_ENOMEM, "%s: out of memory (zlib)", path);
    }
    gzbuffer(g, 1 << 17);
    *gz = g;
    return GD_OK;
}
