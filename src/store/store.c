/* The results store (store.h): SQLite in WAL mode, one transaction per
 * run, the schema versioned in the meta table. */
/* renameat2 and RENAME_NOREPLACE (glibc 2.28) */
#define _GNU_SOURCE
#include "gdlab/store.h"
#include "gdlab/io.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gd_store {
    sqlite3 *db;
    char *path;
    int readonly;           /* opened by gd_store_open_read */
    int immutable;          /* read-only media: opened with immutable=1 */
    int had_wal, had_shm;   /* PATH-wal, PATH-shm were there before a read-only open */
    double limit, deadline; /* gd_store_set_timeout; 0: none */
    volatile sig_atomic_t interrupted;
    int timed_out;
    const char *refused;    /* what the authorizer refused */
};

static const char SCHEMA[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, experiment TEXT NOT NULL, version TEXT NOT NULL,"
    " point TEXT NOT NULL, replica INTEGER NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL, detail TEXT,"
    " elapsed_s REAL, dir TEXT, summary TEXT NOT NULL, UNIQUE(experiment, version, point, replica));"
    "CREATE TABLE params(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value REAL, text TEXT NOT NULL, PRIMARY KEY(run, name));"
    "CREATE TABLE scalars(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value REAL, se REAL, PRIMARY KEY(run, name));"
    "CREATE TABLE claims(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " id TEXT NOT NULL, verdict TEXT NOT NULL, predicted TEXT, measured TEXT, PRIMARY KEY(run, id));";

/* gdlab's tables and the columns it reads and writes: an existing file
 * must have them all before gdlab reads it as a store or writes to it. */
static const char *const TABLES[][12] = {
    {"meta", "key", "value", NULL},
    {"runs", "id", "experiment", "version", "point", "replica", "seed", "status", "detail", "elapsed_s", "dir", "summary"},
    {"params", "run", "name", "value", "text", NULL},
    {"scalars", "run", "name", "value", "se", NULL},
    {"claims", "run", "id", "verdict", "predicted", "measured", NULL},
};

/* The status of SQLite's last error on db: a file that is not SQLite or
 * is damaged is bad input; a full disk, an I/O error, a file that cannot
 * be opened or written, a lock held too long, an interruption are
 * runtime failures (GD_EIO); bad SQL is bad input. */
static gd_status sql_status(sqlite3 *db) {
    switch (sqlite3_errcode(db) & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return GD_EINVAL;
    case SQLITE_NOMEM: return GD_ENOMEM;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_INTERRUPT:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL: return GD_EIO;
    default: return GD_EINVAL;
    }
}

static gd_status db_error(gd_ctx *ctx, sqlite3 *db, const char *path, const char *what) {
    const int code = sqlite3_errcode(db) & 0xff, e = sqlite3_system_errno(db);
    const int damaged = code == SQLITE_NOTADB || code == SQLITE_CORRUPT;
    const int sys = e && (code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_CANTOPEN);
    /* SQLite says "out of memory" too for a damaged file whose records
     * claim gigabytes (found by fuzzing) */
    return gd_error(ctx, sql_status(db), "%s: %s: %s%s%s%s%s", path, what, sqlite3_errmsg(db), sys ? " (" : "",
                    sys ? strerror(e) : "", sys ? ")" : "",
                    damaged                    ? " (not a gdlab store, or damaged)"
                    : code == SQLITE_NOMEM ? " (or the file is damaged: its records can ask for more than there is)"
                                           : "");
}

static gd_status sql_error(gd_ctx *ctx, gd_store *s, const char *what) {
    return db_error(ctx, s->db, s->path, what);
}

/* sqlite3_exec, retried while another connection holds the lock: the
 * busy handler does not cover every statement (switching a new database
 * to WAL returns SQLITE_BUSY at once when another process is doing the
 * same). Up to 10 minutes, as the busy timeout. */
static int exec_retry(sqlite3 *db, const char *sql) {
    int rc;
    for (int i = 0; i < 60000; i++) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) return rc;
        sqlite3_sleep(10);
    }
    return rc;
}

/* Longest store path: PATH plus "-journal" and the like must fit the
 * 4200-byte buffers below; a longer one is refused, never truncated. */
#define STORE_PATH_MAX 4000

static int exists(const char *path, const char *suffix) {
    char b[4200];
    snprintf(b, sizeof b, "%s%s", path, suffix);
    struct stat sb;
    return stat(b, &sb) == 0;
}

/* "file:PATH?params", PATH percent-encoded (SQLite's URI syntax). */
static char *uri_of(const char *path, const char *params) {
    char *u = gd_malloc(3 * strlen(path) + strlen(params) + 16), *p = u;
    if (!u) return NULL;
    p += sprintf(p, "file:%s", path[0] == '/' ? "//" : "");
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (isalnum(*c) || (*c && strchr("/._-~", *c))) *p++ = (char)*c;
        else p += sprintf(p, "%%%02X", *c);
    sprintf(p, "?%s", params);
    return u;
}

/* Is the open database a gdlab store? Reads only. */
static gd_status validate(gd_ctx *ctx, gd_store *s) {
    sqlite3_stmt *qt = NULL, *qc = NULL, *qv = NULL;
    gd_status st = GD_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &qt, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &qc, NULL) != SQLITE_OK) {
        st = sql_error(ctx, s, "cannot read");
        goto done;
    }
    for (size_t t = 0; st == GD_OK && t < sizeof TABLES / sizeof *TABLES; t++) {
        sqlite3_reset(qt);
        sqlite3_bind_text(qt, 1, TABLES[t][0], -1, SQLITE_STATIC);
        int rc = sqlite3_step(qt);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) st = sql_error(ctx, s, "cannot read");
        else if (rc == SQLITE_DONE)
            st = gd_error(ctx, GD_EINVAL, "%s: not a gdlab store (no %s table%s; gdlab sweep makes stores)", s->path,
                          TABLES[t][0], t == 0 ? " / schema_version" : "");
        for (size_t c = 1; st == GD_OK && c < 12 && TABLES[t][c]; c++) {
            sqlite3_reset(qc);
            sqlite3_bind_text(qc, 1, TABLES[t][0], -1, SQLITE_STATIC);
            sqlite3_bind_text(qc, 2, TABLES[t][c], -1, SQLITE_STATIC);
            rc = sqlite3_step(qc);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) st = sql_error(ctx, s, "cannot read");
            else if (rc == SQLITE_DONE)
                st = gd_error(ctx, GD_EINVAL, "%s: not a gdlab store (its %s table has no column %s)", s->path,
                              TABLES[t][0], TABLES[t][c]);
        }
        if (st == GD_OK && t == 0) {
            /* the version, compared as text: exactly "1" */
            if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &qv, NULL) !=
                SQLITE_OK) {
                st = sql_error(ctx, s, "cannot read");
                break;
            }
            rc = sqlite3_step(qv);
            const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(qv, 0) : NULL;
            char want[16];
            snprintf(want, sizeof want, "%d", GD_STORE_SCHEMA);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) st = sql_error(ctx, s, "cannot read");
            else if (!v)
                st = gd_error(ctx, GD_EINVAL, "%s: not a gdlab store (no schema_version in its meta table)", s->path);
            else if (strcmp(v, want) != 0 && v[0] && strspn(v, "0123456789") == strlen(v) && strlen(v) < 10)
                st = gd_error(ctx, GD_EINVAL, "%s: store schema version %s; this gdlab reads version %s", s->path, v,
                              want);
            else if (strcmp(v, want) != 0)
                st = gd_error(ctx, GD_EINVAL, "%s: not a gdlab store (schema_version is '%.40s', expected '%s')",
                              s->path, v, want);
        }
    }
done:
    sqlite3_finalize(qt), sqlite3_finalize(qc), sqlite3_finalize(qv);
    return st;
}

/* Refuses what a read-only store must not do even where SQLite would
 * allow it on a read-only connection: ATTACH (it reads, or with a URI
 * could create, another file) and turning query_only off. */
static int authorize(void *data, int action, const char *a, const char *b, const char *c, const char *d) {
    gd_store *s = data;
    (void)c, (void)d;
    if (action == SQLITE_ATTACH) {
        s->refused = "ATTACH";
        return SQLITE_DENY;
    }
    if (action == SQLITE_PRAGMA && a && b && !sqlite3_stricmp(a, "query_only")) {
        s->refused = "PRAGMA query_only";
        return SQLITE_DENY;
    }
    return SQLITE_OK;
}

static int on_progress(void *data) {
    gd_store *s = data;
    if (s->interrupted) return 1;
    if (s->deadline > 0 && gd_now() > s->deadline) {
        s->timed_out = 1;
        return 1;
    }
    return 0;
}

static gd_store *store_new(gd_ctx *ctx, const char *path) {
    gd_store *s = gd_calloc(1, sizeof *s);
    if (!s || !(s->path = gd_strdup(path))) {
        gd_free(s);
        gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    return s;
}

static gd_status open_uri(gd_ctx *ctx, gd_store *s, const char *params, int flags) {
    char *uri = uri_of(s->path, params);
    if (!uri) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", s->path);
    const int rc = sqlite3_open_v2(uri, &s->db, flags | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, NULL);
    gd_free(uri);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(s->db, 600000);
        return GD_OK;
    }
    const gd_status st = s->db ? sql_error(ctx, s, "cannot open") : gd_error(ctx, GD_ENOMEM, "%s: out of memory", s->path);
    sqlite3_close(s->db);
    s->db = NULL;
    return st;
}

/* A read-only connection on a WAL database makes PATH-wal and PATH-shm
 * when they are absent, and cannot remove them when it closes (that takes
 * a write lock). A read-write connection that only reads removes them as
 * the last connection closes (after checkpointing an empty log: nothing
 * is written to the database file); if another connection is open, they
 * are its, and it removes them. */
static void tidy(const gd_store *s) {
    if (!((!s->had_wal && exists(s->path, "-wal")) || (!s->had_shm && exists(s->path, "-shm")))) return;
    char *uri = uri_of(s->path, "mode=rw");
    sqlite3 *db = NULL;
    if (uri && sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) == SQLITE_OK)
        sqlite3_exec(db, "PRAGMA query_only=1; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
    sqlite3_close(db);
    gd_free(uri);
}

static void close_store(gd_store *s, int tidy_up) {
    if (!s) return;
    sqlite3_close(s->db);
    if (tidy_up && s->readonly && !s->immutable) tidy(s);
    gd_free(s->path);
    gd_free(s);
}

void gd_store_close(gd_store *s) {
    close_store(s, 1);
}

static gd_status open_read(gd_ctx *ctx, const char *path, gd_store **out) {
    *out = NULL;
    gd_store *s = store_new(ctx, path);
    if (!s) return GD_ENOMEM;
    s->readonly = 1;
    s->had_wal = exists(path, "-wal"), s->had_shm = exists(path, "-shm");
    /* A store this process cannot write (read-only media, another user's
     * file) with no -wal (an empty log: the file is whole) is read as
     * immutable: a read-only connection would otherwise make a -wal and a
     * -shm it could not remove, owned by this user, in the way of the
     * store's owner. (Were its owner to start a sweep and checkpoint
     * while this reads, the read could fail as damaged: read again.) */
    s->immutable = !s->had_wal && access(path, W_OK) != 0;
    gd_status st = open_uri(ctx, s, s->immutable ? "mode=ro&immutable=1" : "mode=ro", SQLITE_OPEN_READONLY);
    if (st == GD_OK) st = validate(ctx, s);
    if (st != GD_OK && s->db && !s->immutable) {
        /* Read-only media: a WAL database whose PATH-shm cannot be made
         * is read as immutable, which is right when its log is empty (no
         * PATH-wal, or an empty one): nobody can be writing to it. */
        const int code = sqlite3_errcode(s->db) & 0xff;
        char wal[4200];
        struct stat sb;
        snprintf(wal, sizeof wal, "%s-wal", path);
        if ((code == SQLITE_CANTOPEN || code == SQLITE_READONLY) && stat(wal, &sb) == 0 && sb.st_size > 0) {
            st = gd_error(ctx, GD_EIO, "%s: cannot read: its -wal file holds changes not yet in it and its -shm "
                          "cannot be made (read-only media?); open it once where it can be written", path);
        } else if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY) {
            sqlite3_close(s->db);
            s->db = NULL, s->immutable = 1;
            st = open_uri(ctx, s, "mode=ro&immutable=1", SQLITE_OPEN_READONLY);
            if (st == GD_OK) st = validate(ctx, s);
        }
    }
    if (st == GD_OK && (sqlite3_exec(s->db, "PRAGMA query_only=1;", NULL, NULL, NULL) != SQLITE_OK ||
                        sqlite3_set_authorizer(s->db, authorize, s) != SQLITE_OK))
        st = sql_error(ctx, s, "cannot read");
    if (st != GD_OK) {
        close_store(s, 1);
        return st;
    }
    *out = s;
    return GD_OK;
}

gd_status gd_store_open_read(gd_ctx *ctx, const char *path, gd_store **out) {
    *out = NULL;
    if (strlen(path) > STORE_PATH_MAX) return gd_error(ctx, GD_EINVAL, "%.200s...: %s", path, strerror(ENAMETOOLONG));
    struct stat sb;
    if (stat(path, &sb) != 0)
        return gd_error(ctx, errno == ENOENT ? GD_EINVAL : GD_EIO, "%s: %s", path,
                        errno == ENOENT ? "no such store" : strerror(errno));
    if (!S_ISREG(sb.st_mode)) return gd_error(ctx, GD_EINVAL, "%s: not a gdlab store (not a file)", path);
    return open_read(ctx, path, out);
}

/* A new store at path, made under a temporary name and linked into place
 * only if nothing is there (link and renameat2(RENAME_NOREPLACE) never
 * replace a file): of two processes making one store, one makes it and
 * the other opens it; nobody ever sees it half made. The temporary is in
 * the rollback journal (a WAL database is more than one file); the first
 * writer switches the store to WAL. */
static gd_status create_store(gd_ctx *ctx, const char *path) {
    static int counter;
    const size_t n = strlen(path) + 64;
    char *tmp = gd_malloc(n), *jnl = gd_malloc(n + 8);
    if (!tmp || !jnl) {
        gd_free(tmp), gd_free(jnl);
        return gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
    }
    snprintf(tmp, n, "%s.new-%ld-%d", path, (long)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    snprintf(jnl, n + 8, "%s-journal", tmp);
    unlink(tmp), unlink(jnl); /* a crashed process's, with this pid */
    /* removed by gdlab's SIGTERM and SIGINT handler if killed meanwhile */
    const int slot = gd_io_temp_register(tmp), jslot = gd_io_temp_register(jnl);
    sqlite3 *db = NULL;
    gd_status st = GD_OK;
    char sql[200];
    snprintf(sql, sizeof sql, "INSERT INTO meta VALUES('schema_version', '%d'), ('created_by', 'gdlab %s'); COMMIT;",
             GD_STORE_SCHEMA, GD_VERSION);
    /* as a URI, always: a plain name such as "file:x.sqlite" is read as
     * a URI where SQLite is built with SQLITE_USE_URI (Debian's is) */
    char *uri = uri_of(tmp, "mode=rwc");
    if (!uri || sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; BEGIN;", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        if (db) {
            db_error(ctx, db, path, "cannot create the store");
            st = GD_EIO == sql_status(db) || GD_ENOMEM == sql_status(db) ? sql_status(db) : GD_EIO;
            ctx->status = st;
        } else {
            st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
        }
    }
    gd_free(uri);
    if (sqlite3_close(db) != SQLITE_OK && st == GD_OK)
        st = gd_error(ctx, GD_EIO, "%s: cannot create the store: closing %s failed", path, tmp);
    if (st == GD_OK && link(tmp, path) != 0 && errno != EEXIST) {
        const int e = errno;
        /* file systems without hard links */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0 && errno != EEXIST)
            st = gd_error(ctx, GD_EIO, "%s: cannot create the store (link: %s; rename: %s)", path, strerror(e),
                          strerror(errno));
    }
    unlink(tmp), unlink(jnl);
    gd_io_temp_unregister(slot), gd_io_temp_unregister(jslot);
    gd_free(tmp), gd_free(jnl);
    return st;
}

gd_status gd_store_open(gd_ctx *ctx, const char *path, gd_store **out) {
    *out = NULL;
    if (strlen(path) > STORE_PATH_MAX) return gd_error(ctx, GD_EINVAL, "%.200s...: %s", path, strerror(ENAMETOOLONG));
    struct stat sb;
    gd_status st;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT) return gd_error(ctx, GD_EIO, "%s: cannot open: %s", path, strerror(errno));
        if ((st = create_store(ctx, path)) != GD_OK) return st;
    } else if (!S_ISREG(sb.st_mode)) {
        return gd_error(ctx, GD_EINVAL, "%s: not a gdlab store (not a file)", path);
    }
    /* An existing file is first read as a store on a read-only connection:
     * a file that is not one is refused without ever being opened to write. */
    gd_store *r;
    if ((st = open_read(ctx, path, &r)) != GD_OK) return st;
    if (access(path, W_OK) != 0) { /* read-only media, a read-only file */
        st = gd_error(ctx, GD_EIO, "%s: cannot write the store: %s", path, strerror(errno));
        close_store(r, 1);
        return st;
    }
    close_store(r, 0); /* the connection below removes any -wal, -shm as it closes */
    gd_store *s = store_new(ctx, path);
    if (!s) return GD_ENOMEM;
    st = open_uri(ctx, s, "mode=rw", SQLITE_OPEN_READWRITE);
    if (st == GD_OK) st = validate(ctx, s);
    /* WAL: readers never block the writer, and a killed writer's
     * uncommitted transaction is rolled back at the next open. */
    if (st == GD_OK &&
        exec_retry(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;") != SQLITE_OK)
        st = sql_error(ctx, s, "cannot open to write");
    if (st != GD_OK) {
        close_store(s, 0);
        return st;
    }
    *out = s;
    return GD_OK;
}

gd_status gd_store_error(gd_ctx *ctx, gd_store *s, const char *what) {
    return sql_error(ctx, s, what);
}

void gd_store_set_timeout(gd_store *s, double seconds) {
    s->limit = seconds > 0 ? seconds : 0;
}

void gd_store_interrupt(gd_store *s) {
    s->interrupted = 1;
    sqlite3_interrupt(s->db);
}

int gd_store_stopped(const gd_store *s) {
    return s->timed_out ? 1 : s->interrupted ? 2 : 0;
}

int gd_store_has(gd_store *s, const char *experiment, const char *point, long replica) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT 1 FROM runs WHERE experiment = ?1 AND version = ?2 AND point = ?3 AND replica = ?4 "
                           "AND status IN ('ok', 'diverged')",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(q, 1, experiment, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, GD_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, point, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, replica);
    const int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void bind_real(sqlite3_stmt *q, int i, double v) {
    if (isfinite(v)) sqlite3_bind_double(q, i, v);
    else sqlite3_bind_null(q, i);
}

/* The run row (replacing any at its key), in the open transaction; its id. */
static int put_row(gd_store *s, const char *exp, const char *point, long replica, uint64_t seed, const char *status,
                   const char *detail, double elapsed, const char *dir, const char *summary, sqlite3_int64 *id) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO runs(experiment, version, point, replica, seed, status, detail, "
                           "elapsed_s, dir, summary) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(q, 1, exp, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, GD_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, point, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, replica);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)seed);
    sqlite3_bind_text(q, 6, status, -1, SQLITE_STATIC);
    if (detail) sqlite3_bind_text(q, 7, detail, -1, SQLITE_STATIC);
    bind_real(q, 8, elapsed);
    if (dir) sqlite3_bind_text(q, 9, dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 10, summary, -1, SQLITE_STATIC);
    const int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    *id = sqlite3_last_insert_rowid(s->db);
    return rc == SQLITE_DONE ? 0 : -1;
}

static gd_status finish(gd_ctx *ctx, gd_store *s, int bad) {
    if (!bad && exec_retry(s->db, "COMMIT;") == SQLITE_OK) return GD_OK;
    const gd_status st = sql_error(ctx, s, "cannot store the run");
    sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
    return st;
}

gd_status gd_store_put(gd_ctx *ctx, gd_store *s, const gd_result *r, const char *point, long replica,
                       const char *dir) {
    char *summary = gd_io_summary_json(r);
    if (!summary) return gd_error(ctx, GD_ENOMEM, "out of memory");
    if (exec_retry(s->db, "BEGIN IMMEDIATE;") != SQLITE_OK) {
        gd_free(summary);
        return sql_error(ctx, s, "cannot store the run");
    }
    sqlite3_int64 id;
    int bad = put_row(s, r->experiment, point, replica, r->seed, gd_run_status_name(r->status), r->status_detail,
                      r->elapsed_s, dir, summary, &id);
    gd_free(summary);
    sqlite3_stmt *qp = NULL, *qs = NULL, *qc = NULL;
    bad = bad || sqlite3_prepare_v2(s->db, "INSERT INTO params VALUES(?1, ?2, ?3, ?4)", -1, &qp, NULL) != SQLITE_OK ||
          sqlite3_prepare_v2(s->db, "INSERT INTO scalars VALUES(?1, ?2, ?3, ?4)", -1, &qs, NULL) != SQLITE_OK ||
          sqlite3_prepare_v2(s->db, "INSERT INTO claims VALUES(?1, ?2, ?3, ?4, ?5)", -1, &qc, NULL) != SQLITE_OK;
    for (size_t i = 0; !bad && i < r->nparams; i++) {
        const gd_result_param *p = &r->params[i];
        sqlite3_reset(qp);
        sqlite3_bind_int64(qp, 1, id);
        sqlite3_bind_text(qp, 2, p->name, -1, SQLITE_STATIC);
        if (p->is_number) bind_real(qp, 3, p->value);
        else sqlite3_bind_null(qp, 3);
        sqlite3_bind_text(qp, 4, p->text, -1, SQLITE_STATIC);
        bad = sqlite3_step(qp) != SQLITE_DONE;
    }
    for (size_t i = 0; !bad && i < r->nscalars; i++) {
        sqlite3_reset(qs);
        sqlite3_bind_int64(qs, 1, id);
        sqlite3_bind_text(qs, 2, r->scalars[i].name, -1, SQLITE_STATIC);
        bind_real(qs, 3, r->scalars[i].value);
        bind_real(qs, 4, r->scalars[i].se);
        bad = sqlite3_step(qs) != SQLITE_DONE;
    }
    for (size_t i = 0; !bad && i < r->nclaims; i++) {
        const gd_claim *c = &r->claims[i];
        sqlite3_reset(qc);
        sqlite3_bind_int64(qc, 1, id);
        sqlite3_bind_text(qc, 2, c->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(qc, 3, gd_verdict_name(c->verdict), -1, SQLITE_STATIC);
        sqlite3_bind_text(qc, 4, c->predicted ? c->predicted : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(qc, 5, c->measured ? c->measured : "", -1, SQLITE_STATIC);
        bad = sqlite3_step(qc) != SQLITE_DONE;
    }
    sqlite3_finalize(qp), sqlite3_finalize(qs), sqlite3_finalize(qc);
    return finish(ctx, s, bad);
}

gd_status gd_store_put_failed(gd_ctx *ctx, gd_store *s, const char *experiment, const char *point, long replica,
                              uint64_t seed, const char *message) {
    if (exec_retry(s->db, "BEGIN IMMEDIATE;") != SQLITE_OK) return sql_error(ctx, s, "cannot store the run");
    sqlite3_int64 id;
    const int bad = put_row(s, experiment, point, replica, seed, "failed", message, GD_NAN, NULL, "{}", &id);
    return finish(ctx, s, bad);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *out, const char *t) {
    if (!t) return;
    if (!strpbrk(t, ",\"\n\r")) {
        fputs(t, out);
        return;
    }
    fputc('"', out);
    for (; *t; t++) {
        if (*t == '"') fputc('"', out);
        fputc(*t, out);
    }
    fputc('"', out);
}

static void csv_value(FILE *out, sqlite3_stmt *q, int j) {
    switch (sqlite3_column_type(q, j)) {
    case SQLITE_NULL: break;
    case SQLITE_INTEGER: fprintf(out, "%lld", (long long)sqlite3_column_int64(q, j)); break;
    case SQLITE_FLOAT: fprintf(out, "%.17g", sqlite3_column_double(q, j)); break;
    default: csv_field(out, (const char *)sqlite3_column_text(q, j));
    }
}

gd_status gd_store_query(gd_ctx *ctx, gd_store *s, const char *sql, FILE *out) {
    sqlite3_stmt *q;
    const char *tail;
    s->refused = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, &tail) != SQLITE_OK) {
        if (s->refused)
            return gd_error(ctx, GD_EINVAL, "%s: query: %s is refused; gdlab query only reads this store", s->path,
                            s->refused);
        return sql_error(ctx, s, "query");
    }
    /* What follows must be no statement: white space, semicolons and
     * comments prepare to nothing (a trailing "-- note" is fine). */
    int more = 0;
    while (tail && *tail && !more) {
        sqlite3_stmt *t = NULL;
        const char *next;
        if (sqlite3_prepare_v2(s->db, tail, -1, &t, &next) != SQLITE_OK || t) more = 1;
        sqlite3_finalize(t);
        if (!more && next == tail) break;
        if (!more) tail = next;
    }
    if (more) {
        sqlite3_finalize(q);
        return gd_error(ctx, GD_EINVAL, "%s: query: one statement at a time (left over: '%.40s')", s->path, tail);
    }
    if (!q) return GD_OK; /* empty statement */
    if (!sqlite3_stmt_readonly(q)) {
        const char *t = sql;
        while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r') t++;
        const int n = (int)strcspn(t, "\n\r");
        sqlite3_finalize(q);
        return gd_error(ctx, GD_EINVAL, "%s: query: a statement that writes is refused: %.*s%s; gdlab query only reads",
                        s->path, n > 60 ? 60 : n, t, n > 60 || t[n] ? " ..." : "");
    }
    s->timed_out = 0;
    s->deadline = s->limit > 0 ? gd_now() + s->limit : 0;
    sqlite3_progress_handler(s->db, 4096, on_progress, s);
    const int nc = sqlite3_column_count(q);
    for (int j = 0; j < nc; j++) fputs(j ? "," : "", out), csv_field(out, sqlite3_column_name(q, j));
    if (nc) fputc('\n', out);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        for (int j = 0; j < nc; j++) fputs(j ? "," : "", out), csv_value(out, q, j);
        fputc('\n', out);
    }
    gd_status st = rc == SQLITE_DONE ? GD_OK : sql_error(ctx, s, "query");
    sqlite3_finalize(q);
    sqlite3_progress_handler(s->db, 0, NULL, NULL);
    if (st != GD_OK && s->timed_out)
        st = gd_error(ctx, GD_EIO, "%s: query: stopped after %g s", s->path, s->limit);
    else if (st != GD_OK && s->interrupted)
        st = gd_error(ctx, GD_EIO, "%s: query: interrupted", s->path);
    return st;
}

/* Distinct names of a table (params or scalars), sorted; NULL on an
 * error, which is then in ctx. */
static char **names_of(gd_ctx *ctx, gd_store *s, const char *table, size_t *n) {
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT DISTINCT name FROM %s ORDER BY name", table);
    sqlite3_stmt *q;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
        sql_error(ctx, s, "export");
        return NULL;
    }
    size_t cap = 16;
    char **v = gd_malloc(cap * sizeof *v);
    int rc = SQLITE_DONE;
    while (v && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            char **v2 = gd_realloc(v, 2 * cap * sizeof *v);
            if (!v2) break;
            v = v2, cap *= 2;
        }
        const char *t = (const char *)sqlite3_column_text(q, 0);
        if (!(v[*n] = gd_strdup(t ? t : ""))) break;
        (*n)++;
    }
    if (rc != SQLITE_DONE || !v) {
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) sql_error(ctx, s, "export");
        else gd_error(ctx, GD_ENOMEM, "%s: out of memory", s->path);
        for (size_t j = 0; v && j < *n; j++) gd_free(v[j]);
        gd_free(v), v = NULL, *n = 0;
    }
    sqlite3_finalize(q);
    return v;
}

gd_status gd_store_export_csv(gd_ctx *ctx, gd_store *s, FILE *out) {
    size_t np, ns;
    sqlite3_stmt *q = NULL, *qp = NULL, *qs = NULL;
    gd_status st = GD_OK;
    char **pn = names_of(ctx, s, "params", &np), **sn = pn ? names_of(ctx, s, "scalars", &ns) : NULL;
    if (!pn || !sn) st = ctx->status;
    else if (sqlite3_prepare_v2(s->db, "SELECT id, experiment, version, point, replica, seed, status FROM runs ORDER "
                                       "BY experiment, point, replica", -1, &q, NULL) != SQLITE_OK ||
             sqlite3_prepare_v2(s->db, "SELECT text FROM params WHERE run = ?1 AND name = ?2", -1, &qp, NULL) !=
                 SQLITE_OK ||
             sqlite3_prepare_v2(s->db, "SELECT value FROM scalars WHERE run = ?1 AND name = ?2", -1, &qs, NULL) !=
                 SQLITE_OK)
        st = sql_error(ctx, s, "export");
    if (st == GD_OK) {
        fputs("id,experiment,version,point,replica,seed,status", out);
        for (size_t j = 0; j < np; j++) fputc(',', out), csv_field(out, pn[j]);
        for (size_t j = 0; j < ns; j++) fputc(',', out), csv_field(out, sn[j]);
        fputc('\n', out);
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            const sqlite3_int64 id = sqlite3_column_int64(q, 0);
            for (int j = 0; j < 7; j++) fputs(j ? "," : "", out), csv_value(out, q, j);
            for (size_t j = 0; j < np + ns; j++) {
                sqlite3_stmt *t = j < np ? qp : qs;
                sqlite3_reset(t);
                sqlite3_bind_int64(t, 1, id);
                sqlite3_bind_text(t, 2, j < np ? pn[j] : sn[j - np], -1, SQLITE_STATIC);
                fputc(',', out);
                const int rt = sqlite3_step(t);
                if (rt == SQLITE_ROW) csv_value(out, t, 0);
                else if (rt != SQLITE_DONE) rc = rt;
            }
            fputc('\n', out);
            if (rc != SQLITE_ROW) break;
        }
        if (rc != SQLITE_DONE) st = sql_error(ctx, s, "export");
    }
    sqlite3_finalize(q), sqlite3_finalize(qp), sqlite3_finalize(qs);
    for (size_t j = 0; pn && j < np; j++) gd_free(pn[j]);
    for (size_t j = 0; sn && j < ns; j++) gd_free(sn[j]);
    if (st == GD_OK && ferror(out)) st = gd_error(ctx, GD_EIO, "%s: export: cannot write the CSV", s->path);
    gd_free(pn), gd_free(sn);
    return st;
}

gd_status gd_store_xy(gd_ctx *ctx, gd_store *s, const char *experiment, const char *x, const char *y,
                      const char *by, double **rows, size_t *n) {
    *rows = NULL, *n = 0;
    char sql[700];
    snprintf(sql, sizeof sql,
             "SELECT %s, px.value, avg(sy.value), count(sy.value), avg(sy.value * sy.value) FROM runs r "
             "JOIN params px ON px.run = r.id AND px.name = ?1 JOIN scalars sy ON sy.run = r.id AND sy.name = ?2 %s "
             "WHERE r.status = 'ok' AND (?4 IS NULL OR r.experiment = ?4) AND sy.value IS NOT NULL "
             "GROUP BY 1, 2 ORDER BY 1, 2",
             by ? "pb.value" : "0", by ? "JOIN params pb ON pb.run = r.id AND pb.name = ?3" : "");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) return sql_error(ctx, s, "plot");
    sqlite3_bind_text(q, 1, x, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, y, -1, SQLITE_STATIC);
    if (by) sqlite3_bind_text(q, 3, by, -1, SQLITE_STATIC);
    if (experiment) sqlite3_bind_text(q, 4, experiment, -1, SQLITE_STATIC);
    size_t cap = 64;
    double *v = gd_malloc(cap * 5 * sizeof *v);
    int rc = SQLITE_DONE;
    while (v && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            double *v2 = gd_realloc(v, 2 * cap * 5 * sizeof *v);
            if (!v2) { gd_free(v), v = NULL; break; }
            v = v2, cap *= 2;
        }
        const double m = sqlite3_column_double(q, 2), c = sqlite3_column_double(q, 3), m2 = sqlite3_column_double(q, 4);
        double *row = v + 5 * *n;
        row[0] = sqlite3_column_double(q, 0), row[1] = sqlite3_column_double(q, 1), row[2] = m;
        row[3] = c > 1 ? sqrt(fmax(m2 - m * m, 0) * c / (c - 1) / c) : GD_NAN, row[4] = c;
        (*n)++;
    }
    const gd_status st = !v ? gd_error(ctx, GD_ENOMEM, "out of memory") : rc != SQLITE_DONE ? sql_error(ctx, s, "plot") : GD_OK;
    sqlite3_finalize(q);
    if (st != GD_OK) {
        gd_free(v);
        *n = 0;
        return st;
    }
    *rows = v;
    return GD_OK;
}
