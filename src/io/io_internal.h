/* Internals of the io module (never installed): a growable text buffer with
 * a sticky failure flag, shared by the CSV, report and summary writers.
 * The library is built with hidden visibility, so none of this is exported. */
#ifndef GDLAB_IO_INTERNAL_H
#define GDLAB_IO_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "gdlab/core.h"

/* A text buffer. Appends after a failed allocation are ignored and `failed`
 * stays set, so a writer appends freely and checks once at the end. data is
 * always NUL-terminated once anything has been appended. */
typedef struct gd_io_buf {
    char *data;
    size_t len, cap;
    int failed; /* 1 after an allocation failure */
} gd_io_buf;

void gd_io_buf_init(gd_io_buf *b);
void gd_io_buf_free(gd_io_buf *b);
void gd_io_buf_put(gd_io_buf *b, const char *s, size_t n);
void gd_io_buf_puts(gd_io_buf *b, const char *s);
void gd_io_buf_putc(gd_io_buf *b, char c);
void gd_io_buf_printf(gd_io_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Writes the buffer atomically to path; GD_ENOMEM if b->failed. */
gd_status gd_io_buf_write(gd_ctx *ctx, const gd_io_buf *b, const char *path);

/* "dir/name" (or "name" when dir is empty) in a new gd_malloc'd string;
 * NULL on ENOMEM. */
char *gd_io_path_join(const char *dir, const char *name);
/* The same with a suffix appended: dir/name + suffix. */
char *gd_io_path_join3(const char *dir, const char *name, const char *suffix);


/* Removes dir and everything under it, best effort (no symlink followed). */
void gd_io_remove_tree(const char *dir);
/* Removes the siblings PATH.tmp.N (and PATH.tmp.N.old) of path left by
 * processes N that no longer exist (kill(N, 0) fails with ESRCH), or by an
 * earlier process with this pid; a live process's are left alone, and so is
 * anything that is not what gdlab writes (another user's, a directory with
 * other files, a file whose PATH is not a name gdlab writes). Best effort. */
void gd_io_remove_stale(const char *path);
/* Publishes the directory tmp, written whole, as dir: renamed to dir when
 * dir does not exist; when dir is a run directory or empty
 * (gd_io_check_run_dir), exchanged with it in one step (renameat2
 * RENAME_EXCHANGE; elsewhere dir renamed aside, tmp renamed, put back on
 * failure) and the earlier tree removed, so that dir holds exactly one
 * run; another directory is refused (GD_EINVAL). A concurrent publisher of
 * the same dir (two sweeps on one store) is handled: the last one wins,
 * whole. On failure tmp is removed (GD_EIO, GD_EINVAL). */
gd_status gd_io_publish_dir(gd_ctx *ctx, const char *tmp, const char *dir);
/* Tests: on = 0 makes gd_io_publish_dir use its fallback (rename aside,
 * rename, remove), as on a system without RENAME_EXCHANGE. */
void gd_io_test_exchange(int on);
#endif
