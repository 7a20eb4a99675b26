/* File-system helpers: the atomic write every sink goes through, mkdir -p,
 * and the publication of a run directory written under a temporary name.
 *
 * Atomicity: the bytes go to "<path>.tmp.<pid>" in the same directory (so
 * the rename cannot cross file systems), are flushed to the disk with
 * fsync, and the temporary is renamed over path. rename(2) replaces the
 * target in one step, so a reader (or a run killed half-way) sees either
 * the old file or the new one, never a prefix. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "gdlab/io.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
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
        gd_free(tmp);
        return gd_error(ctx, GD_EIO, "cannot write %s (%s): %s", path, what,
                        strerror(e));
    }
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

/* "a/b" into buf; 0, or -1 (errno ENAMETOOLONG) when it does not fit. */
static int join(char *buf, size_t size, const char *a, const char *b) {
    int n = snprintf(buf, size, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Moves every file of tmp into the existing directory dir, summary.json
 * last (and any old one removed first, so that while files are replaced no
 * summary.json vouches for a mixture). */
static int move_into(const char *tmp, const char *dir) {
    char from[PATH_MAX], to[PATH_MAX];
    if (join(to, sizeof to, dir, "summary.json") != 0) return -1;
    if (unlink(to) != 0 && errno != ENOENT) return -1;
    DIR *d = opendir(tmp);
    if (!d) return -1;
    int rc = 0;
    for (struct dirent *de; rc == 0 && (de = readdir(d)) != NULL;) {
        const char *n = de->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "summary.json")) continue;
        rc = join(from, sizeof from, tmp, n) || join(to, sizeof to, dir, n) || rename(from, to);
    }
    int e = errno;
    closedir(d);
    errno = e;
    if (rc == 0 && join(from, sizeof from, tmp, "summary.json") == 0 &&
        join(to, sizeof to, dir, "summary.json") == 0 && rename(from, to) == 0)
        return rmdir(tmp);
    return -1;
}

gd_status gd_io_publish_dir(gd_ctx *ctx, const char *tmp, const char *dir) {
    struct stat sb;
    int rc;
    if (stat(dir, &sb) != 0) {
        rc = errno == ENOENT ? rename(tmp, dir) : -1;
        /* Another process (a concurrent sweep on the same store) published
         * the same directory since the stat: join it. */
        if (rc != 0 && (errno == ENOTEMPTY || errno == EEXIST) && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
            rc = move_into(tmp, dir);
    } else if (S_ISDIR(sb.st_mode)) {
        rc = move_into(tmp, dir);
    } else {
        errno = ENOTDIR;
        rc = -1;
    }
    if (rc != 0) {
        int e = errno;
        gd_io_remove_tree(tmp);
        return gd_error(ctx, GD_EIO, "cannot write %s: %s", dir, strerror(e));
    }
    sync_parent(dir);
    return GD_OK;
}
