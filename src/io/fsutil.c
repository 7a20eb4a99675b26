/* File-system helpers: the atomic write every sink goes through, mkdir -p,
 * and the publication of a run directory written under a temporary name.
 *
 * Atomicity: the bytes go to "<path>.tmp.<pid>" in the same directory (so
 * the rename cannot cross file systems), are flushed to the disk with
 * fsync, and the temporary is renamed over path. rename(2) replaces the
 * target in one step, so a reader (or a run killed half-way) sees either
 * the old file or the new one, never a prefix. The temporary is registered
 * (temps.c) so that SIGTERM or SIGINT removes it, and temporaries of dead
 * processes beside path are removed first. */
#define _GNU_SOURCE /* nftw, syscall */
#include "gdlab/io.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "io_internal.h"

/* Writes all n bytes to fd, retrying short writes and EINTR. */
static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Best effort: makes the rename itself durable by syncing the directory
 * that holds path. Failure here does not undo a completed write. */
static void sync_parent(const char *path) {
    char dir[PATH_MAX] = ".";
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

gd_status gd_io_write_atomic(gd_ctx *ctx, const char *path, const char *data,
                             size_t len) {
    GD_ASSERT(path != NULL && (data != NULL || len == 0));
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
    char *tmp = gd_io_path_join3(NULL, path, suffix);
    if (!tmp) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
    gd_io_remove_stale(path); /* PATH.tmp.N of dead processes */
    const int slot = gd_io_temp_register(tmp);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
        gd_io_temp_unregister(slot);
        gd_free(tmp);
        return gd_error(ctx, GD_EIO, "cannot write %s: %s", path, strerror(e));
    }
    const char *what = NULL;
    if (write_all(fd, data, len) != 0) what = "write";
    else if (fsync(fd) != 0) what = "fsync";
    int e = what ? errno : 0;
    if (close(fd) != 0 && !what) {
        what = "close";
        e = errno;
    }
    if (!what && rename(tmp, path) != 0) {
        what = "rename";
        e = errno;
    }
    if (what) {
        unlink(tmp);
        gd_io_temp_unregister(slot);
        gd_free(tmp);
        return gd_error(ctx, GD_EIO, "cannot write %s (%s): %s", path, what,
                        strerror(e));
    }
    gd_io_temp_unregister(slot);
    gd_free(tmp);
    sync_parent(path);
    return GD_OK;
}

/* mkdir for one level: success if it exists as a directory. */
static int mkdir_one(const char *d) {
    if (mkdir(d, 0755) == 0) return 0;
    int e = errno;
    struct stat st;
    if (e == EEXIST && stat(d, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    errno = (e == EEXIST) ? ENOTDIR : e;
    return -1;
}

gd_status gd_io_mkdir_p(gd_ctx *ctx, const char *dir) {
    GD_ASSERT(dir != NULL);
    if (dir[0] == '\0')
        return gd_error(ctx, GD_EINVAL, "mkdir: empty directory name");
    char *p = gd_strdup(dir);
    if (!p) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", dir);
    /* Create each prefix ending before a '/', then the whole path. */
    for (char *s = p + 1; *s; s++) {
        if (*s != '/' || s[-1] == '/') continue;
        *s = '\0';
        int rc = mkdir_one(p);
        int e = errno;
        *s = '/';
        if (rc != 0) {
            gd_free(p);
            return gd_error(ctx, GD_EIO, "cannot create directory %s: %s", dir,
                            strerror(e));
        }
    }
    int rc = mkdir_one(p);
    int e = errno;
    gd_free(p);
    if (rc != 0)
        return gd_error(ctx, GD_EIO, "cannot create directory %s: %s", dir,
                        strerror(e));
    return GD_OK;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    (void)remove(path);
    return 0;
}

void gd_io_remove_tree(const char *dir) {
    (void)nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Exchanges the directories a and b in one step (renameat2 with
 * RENAME_EXCHANGE); -1 with errno ENOSYS where the system has none. */
static int exchange_off; /* tests: the fallback of systems without exchange */

void gd_io_test_exchange(int on) { exchange_off = !on; }

static int exchange(const char *a, const char *b) {
#if defined(__linux__) && defined(SYS_renameat2)
    if (exchange_off) {
        errno = ENOSYS;
        return -1;
    }
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */);
#else
    (void)a, (void)b;
    errno = ENOSYS;
    return -1;
#endif
}

/* Replaces the run directory dir by tmp without exchange: dir renamed
 * aside to DIR.tmp.PID.old, tmp renamed to dir, the old tree removed; on
 * failure dir is put back. 0, or -1 with errno (ENOENT or ENOTEMPTY when
 * another process changed dir meanwhile: the caller tries again). */
static int replace_aside(const char *tmp, const char *dir) {
    char aside[PATH_MAX];
    int n = snprintf(aside, sizeof aside, "%s.tmp.%ld.old", dir, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof aside) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* aside is not registered for removal on a signal: killed between the
     * two renames, the old run stays there (removed by the next run into
     * dir) rather than both runs being lost */
    int rc = rename(dir, aside);
    if (rc == 0) {
        rc = rename(tmp, dir);
        const int e = errno;
        if (rc == 0) gd_io_remove_tree(aside);
        else if (rename(aside, dir) != 0) gd_io_remove_tree(aside); /* dir taken by another run meanwhile */
        errno = e;
    }
    return rc;
}

gd_status gd_io_publish_dir(gd_ctx *ctx, const char *tmp, const char *dir) {
    int rc = -1;
    /* A few rounds: another process (a concurrent sweep on the same store)
     * may publish or replace dir between our look and our rename. */
    for (int round = 0; round < 8; round++) {
        struct stat sb;
        if (lstat(dir, &sb) != 0) {
            if (errno != ENOENT) break;
            if ((rc = rename(tmp, dir)) == 0 || (errno != ENOTEMPTY && errno != EEXIST)) break;
            continue; /* published by another process since the lstat */
        }
        gd_status st = gd_io_check_run_dir(ctx, dir);
        if (st != GD_OK) {
            gd_io_remove_tree(tmp);
            return st;
        }
        /* One step: tmp becomes dir, and tmp now names the earlier tree. */
        if ((rc = exchange(tmp, dir)) == 0) {
            gd_io_remove_tree(tmp);
            break;
        }
        if (errno == ENOENT) continue;
        if (errno != ENOSYS && errno != EINVAL && errno != ENOTSUP && errno != EXDEV) break;
        if ((rc = replace_aside(tmp, dir)) == 0 || (errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)) break;
    }
    if (rc != 0) {
        int e = errno;
        gd_io_remove_tree(tmp);
        return gd_error(ctx, GD_EIO, "cannot write %s: %s", dir, strerror(e));
    }
    sync_parent(dir);
    return GD_OK;
}
