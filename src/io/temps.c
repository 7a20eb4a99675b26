/* Temporaries and run directories: the registry of the temporaries being
 * written (so that SIGTERM or SIGINT removes them), the removal of those
 * left by dead processes, and the check that a directory may be replaced
 * by a run (it holds one run, or nothing).
 *
 * The registry is a fixed table of slots whose state is an atomic int
 * (free, being filled, in use, taken by the handler): registering claims a
 * free slot with a compare-and-swap, so threads (the workers of a sweep)
 * register without a lock, and the handler reads only slots in use, which
 * it takes first so that no thread refills one under it. The handler uses
 * async-signal-safe calls only: openat, getdents64 (syscall), unlinkat,
 * close, lseek, sigaction, raise. */
#define _GNU_SOURCE /* syscall, SYS_getdents64 */
#include "gdlab/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "io_internal.h"

/* 4096 slots: a sweep's 1024 workers hold about three temporaries each (a
 * run directory, a file in it, a plot). The states are one array, scanned
 * by the handler; a path's 4 KiB is touched only when its slot is used. */
enum { NSLOT = 4096, SLOT_FREE = 0, SLOT_FILLING, SLOT_USED, SLOT_TAKEN };

static atomic_int slot_state[NSLOT];
static char slot_path[NSLOT][PATH_MAX];

int gd_io_temp_register(const char *path) {
    GD_ASSERT(path != NULL);
    const size_t n = strlen(path);
    if (n >= PATH_MAX) return -1;
    for (int i = 0; i < NSLOT; i++) {
        int expect = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slot_state[i], &expect, SLOT_FILLING)) continue;
        memcpy(slot_path[i], path, n + 1);
        atomic_store(&slot_state[i], SLOT_USED);
        return i;
    }
    return -1;
}

void gd_io_temp_unregister(int slot) {
    if (slot < 0 || slot >= NSLOT) return;
    int expect = SLOT_USED; /* a slot the handler took stays taken */
    atomic_compare_exchange_strong(&slot_state[slot], &expect, SLOT_FREE);
}

#if defined(SYS_getdents64)
/* The record getdents64 fills (linux_dirent64). */
struct dirent64_rec {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Removes name (relative to dfd) and, if it is a directory, everything
 * under it, to depth 8. Async-signal-safe. */
static void remove_at(int dfd, const char *name, int depth) {
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT) return;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    /* Passes over the entries until one removes nothing (removing while
     * reading may make a file system skip entries). */
    for (int pass = 0, removed = 1; removed && pass < 8; pass++) {
        removed = 0;
        if (lseek(fd, 0, SEEK_SET) != 0) break;
        _Alignas(8) char buf[4096];
        long got;
        while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
            for (long off = 0; off < got;) {
                const struct dirent64_rec *d = (const struct dirent64_rec *)(void *)(buf + off);
                off += d->d_reclen;
                const char *n = d->d_name;
                if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
                if (unlinkat(fd, n, 0) == 0) removed = 1;
                else if (depth < 8 && (errno == EISDIR || errno == EPERM)) remove_at(fd, n, depth + 1), removed = 1;
            }
        }
    }
    close(fd);
    (void)unlinkat(dfd, name, AT_REMOVEDIR);
}
#else
static void remove_at(int dfd, const char *name, int depth) {
    (void)depth;
    if (unlinkat(dfd, name, 0) != 0) (void)unlinkat(dfd, name, AT_REMOVEDIR);
}
#endif

void gd_io_temp_remove_all(void) {
    const int saved = errno;
    for (int i = 0; i < NSLOT; i++) {
        int expect = SLOT_USED;
        if (!atomic_compare_exchange_strong(&slot_state[i], &expect, SLOT_TAKEN)) continue;
        remove_at(AT_FDCWD, slot_path[i], 0);
    }
    errno = saved;
}

static void on_signal(int sig) {
    gd_io_temp_remove_all();
    /* SA_RESETHAND restored the default action on entry; the signal is
     * blocked while the handler runs, so it is delivered (and kills the
     * process) as the handler returns. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
    (void)raise(sig);
}

int gd_io_cleanup_on_signals(void) {
    static const int sigs[] = {SIGTERM, SIGINT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0) return -1;
        if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) continue; /* nohup, a background job */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t j = 0; j < sizeof sigs / sizeof *sigs; j++) sigaddset(&sa.sa_mask, sigs[j]);
        sa.sa_flags = SA_RESETHAND;
        if (sigaction(sigs[i], &sa, NULL) != 0) return -1;
    }
    return 0;
}

/* ---- temporaries of dead processes --------------------------------------- */

/* The pid N of a name "BASE.tmp.N" or "BASE.tmp.N.old" whose BASE is base
 * (len blen), or 0. */
static long temp_pid(const char *name, const char *base, size_t blen) {
    if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".tmp.", 5) != 0) return 0;
    const char *p = name + blen + 5;
    long pid = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++) pid = 10 * pid + (*p - '0');
    if (!digits || (*p && strcmp(p, ".old") != 0)) return 0;
    return pid;
}

static int run_file_name(const char *name, int *is_summary);

/* The entries of d against a run directory's: bad receives the first that
 * is not a regular file of a name gdlab writes there ("" when none), and
 * summary whether a summary.json is among them; the number of entries
 * read. */
static size_t scan_run_files(DIR *d, char bad[NAME_MAX + 1], int *summary) {
    size_t n = 0;
    bad[0] = '\0', *summary = 0;
    for (struct dirent *de; !bad[0] && (de = readdir(d)) != NULL;) {
        const char *name = de->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        n++;
        struct stat fs;
        if (!run_file_name(name, summary) || fstatat(dirfd(d), name, &fs, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(fs.st_mode))
            snprintf(bad, NAME_MAX + 1, "%s", name);
    }
    return n;
}

/* Whether the entry name of dfd, named like a temporary of base, is one
 * gdlab may have left: owned by this user, and either a directory holding
 * only regular files of the names gdlab writes in a run directory (a run's
 * temporary, or the old run set aside), or a regular file whose base is a
 * name gdlab writes (*.csv, *.png, *.svg, *.json, *.md, *.html). A user's
 * file or directory that merely bears such a name is left alone. */
static int looks_like_temp(int dfd, const char *name, const char *base) {
    struct stat sb;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || sb.st_uid != geteuid()) return 0;
    if (S_ISREG(sb.st_mode)) {
        static const char *const ext[] = {".csv", ".png", ".svg", ".json", ".md", ".html"};
        const char *dot = strrchr(base, '.');
        for (size_t i = 0; dot && i < sizeof ext / sizeof *ext; i++)
            if (!strcmp(dot, ext[i])) return 1;
        return 0;
    }
    if (!S_ISDIR(sb.st_mode)) return 0;
    const int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return 0;
    }
    char bad[NAME_MAX + 1];
    int summary;
    scan_run_files(d, bad, &summary);
    closedir(d);
    return !bad[0];
}

void gd_io_remove_stale(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    const char *base = path;
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = '\0';
        base = slash + 1;
    } else {
        strcpy(dir, ".");
    }
    const size_t blen = strlen(base);
    if (!blen) return;
    DIR *d = opendir(dir);
    if (!d) return;
    const int dfd = dirfd(d);
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        const long pid = temp_pid(de->d_name, base, blen);
        if (pid <= 0 || pid > INT_MAX) continue;
        /* this process's own: left by an earlier process with the same pid
         * (a run never has two temporaries of one path at once) */
        const int dead = pid == (long)getpid() || (kill((pid_t)pid, 0) == -1 && errno == ESRCH);
        if (dead && looks_like_temp(dfd, de->d_name, base)) remove_at(dfd, de->d_name, 0);
    }
    closedir(d);
}

/* ---- may a run replace this directory? ------------------------------------ */

/* A name gdlab writes in a run directory: summary.json, *.csv, *.png,
 * *.svg, each possibly with the ".tmp.N" of a write killed half-way. */
static int run_file_name(const char *name, int *is_summary) {
    char buf[NAME_MAX + 1];
    snprintf(buf, sizeof buf, "%s", name);
    char *t = strstr(buf, ".tmp.");
    if (t) {
        const char *q = t + 5;
        if (!*q) return 0;
        for (; *q; q++)
            if (*q < '0' || *q > '9') return 0;
        *t = '\0';
    }
    if (!strcmp(buf, "summary.json")) {
        *is_summary |= !t;
        return 1;
    }
    const size_t n = strlen(buf);
    static const char *const ext[] = {".csv", ".png", ".svg"};
    for (size_t i = 0; i < 3; i++)
        if (n > 4 && !strcmp(buf + n - 4, ext[i])) return 1;
    return 0;
}

/* Whether the file name of dfd is a summary.json gdlab wrote: a regular
 * file of at most 16 MiB holding a JSON object with the string members
 * "experiment", "version" and "status" and the object "params". A user's
 * summary.json (another tool's) is not, and its directory is not replaced. */
static int gdlab_summary(int dfd, const char *name) {
    const int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    int ok = 0;
    if (fd < 0) return 0;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && sb.st_size <= (16 << 20)) {
        const size_t n = (size_t)sb.st_size;
        char *buf = gd_malloc(n);
        size_t got = 0;
        for (ssize_t r = 1; buf && got < n && r > 0; got += r > 0 ? (size_t)r : 0) r = read(fd, buf + got, n - got);
        cJSON *j = buf && got == n ? cJSON_ParseWithLength(buf, n) : NULL;
        ok = cJSON_IsObject(j) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "experiment")) &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "version")) &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "status")) &&
             cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "params"));
        cJSON_Delete(j);
        gd_free(buf);
    }
    close(fd);
    return ok;
}

/* Whether a directory can be made in dir: tried (a probe made and removed
 * at once), since access() cannot tell for /sys or /proc. errno on 0. */
static int can_make_dir_in(const char *dir) {
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/.gdlab-probe.%ld", dir, (long)getpid());
    if (mkdir(probe, 0700) != 0 && errno != EEXIST) return 0;
    rmdir(probe); /* only an empty directory: never a user's file of that name */
    return 1;
}

/* The run is written beside dir, in its parent, made as mkdir -p would:
 * the nearest existing ancestor must be a directory where this process
 * can make one (--out /sys/x is refused before a run, not after it). */
static gd_status check_parent(gd_ctx *ctx, const char *dir) {
    char anc[PATH_MAX];
    snprintf(anc, sizeof anc, "%s", dir); /* fits: the caller checked */
    struct stat sb;
    for (;;) {
        size_t len = strlen(anc);
        while (len > 1 && anc[len - 1] == '/') anc[--len] = '\0';
        char *slash = strrchr(anc, '/');
        if (!slash) strcpy(anc, ".");
        else if (slash == anc) anc[1] = '\0';
        else *slash = '\0';
        if (stat(anc, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode)) return gd_error(ctx, GD_EINVAL, "%s: %s is not a directory", dir, anc);
            if (!can_make_dir_in(anc))
                return gd_error(ctx, GD_EINVAL, "%s: cannot create a directory in %s: %s", dir, anc, strerror(errno));
            return GD_OK;
        }
        if (errno != ENOENT) return gd_error(ctx, GD_EINVAL, "%s: %s: %s", dir, anc, strerror(errno));
        if (!strcmp(anc, ".") || !strcmp(anc, "/")) return GD_OK;
    }
}

gd_status gd_io_check_run_dir(gd_ctx *ctx, const char *path) {
    GD_ASSERT(path != NULL);
    char dir[PATH_MAX];
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--; /* "out/" is "out", as the writer sees it */
    if (len >= sizeof dir) return gd_error(ctx, GD_EINVAL, "%s: %s", path, strerror(ENAMETOOLONG));
    memcpy(dir, path, len);
    dir[len] = '\0';
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        if (errno == ENOENT) return GD_OK;
        return gd_error(ctx, GD_EINVAL, "%s: %s", dir, strerror(errno));
    }
    if (S_ISLNK(sb.st_mode))
        return gd_error(ctx, GD_EINVAL, "%s: exists and is a symbolic link, not a gdlab run directory (a run would "
                        "replace the link); choose another directory", dir);
    if (!S_ISDIR(sb.st_mode))
        return gd_error(ctx, GD_EINVAL, "%s: exists and is not a directory; choose another directory", dir);
    DIR *d = opendir(dir);
    if (!d) return gd_error(ctx, GD_EINVAL, "%s: %s", dir, strerror(errno));
    int summary;
    char bad[NAME_MAX + 1];
    const size_t n = scan_run_files(d, bad, &summary);
    /* a summary.json that is not gdlab's (another tool's) */
    const int foreign = !bad[0] && summary && !gdlab_summary(dirfd(d), "summary.json");
    if (foreign) snprintf(bad, sizeof bad, "summary.json");
    closedir(d);
    if (n == 0 || (!bad[0] && summary)) {
        /* It would be replaced whole, which "." or ".." (the current
         * directory, its parent) cannot be: rename refuses them. */
        const char *last = strrchr(dir, '/');
        last = last ? last + 1 : dir;
        if (!strcmp(last, ".") || !strcmp(last, ".."))
            return gd_error(ctx, GD_EINVAL, "%s: a run replaces its directory whole, which cannot be '%s'; name the "
                            "directory (as ../NAME)", dir, last);
        return GD_OK;
    }
    return gd_error(ctx, GD_EINVAL, "%s: exists and is not a gdlab run directory (it holds %s%s); choose another "
                    "directory", dir, bad[0] ? bad : "no summary.json", foreign ? " that gdlab did not write" : "");
}

gd_status gd_io_check_out(gd_ctx *ctx, const char *dir) {
    gd_status st = gd_io_check_run_dir(ctx, dir);
    if (st != GD_OK) return st;
    if (strlen(dir) >= PATH_MAX) return gd_error(ctx, GD_EINVAL, "%.200s...: %s", dir, strerror(ENAMETOOLONG));
    return check_parent(ctx, dir);
}
