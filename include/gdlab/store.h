/* gdlab store: results of many runs in one SQLite database (WAL mode).
 *
 * Schema version 1 (docs/store.md):
 *   meta(key PRIMARY KEY, value)            schema_version = 1, created_by
 *   runs(id PRIMARY KEY, experiment, version, point, replica, seed, status,
 *        detail, elapsed_s, dir, summary,   UNIQUE(experiment, version, point, replica))
 *   params(run, name, value, text)          one row per parameter of the run
 *   scalars(run, name, value, se)           value and standard error (NULL: NaN)
 *   claims(run, id, verdict, predicted, measured)
 * `point` is the canonical text of the swept parameters ("a=1;b=2", names
 * sorted), `summary` the run's summary.json, `dir` the directory of its
 * series CSVs (or NULL). A run is stored in one transaction, so a process
 * killed at any moment leaves each run either whole or absent. Writers on
 * other connections (threads, processes, MPI ranks) wait for each other
 * (busy timeout 10 minutes). */
#ifndef GDLAB_STORE_H
#define GDLAB_STORE_H

#include <stdio.h>
#include "core.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define GD_STORE_SCHEMA 1

typedef struct gd_store gd_store;

/* Opens the store at path to write (gdlab sweep). Only where no file is
 * at path is a store created (made under a temporary name and linked into
 * place without replacing anything: two processes creating one store at
 * once both open it). An existing file is first read on a read-only
 * connection and must be a gdlab store (gdlab's tables and columns,
 * meta.schema_version exactly the text "1") before anything is written to
 * it: a file that is not one (an empty file, another program's SQLite
 * database, a store whose meta rows were deleted) is refused with GD_EINVAL
 * and a message naming it, and left byte for byte as it was. GD_EIO when
 * it cannot be created, opened or written (a full disk, read-only media),
 * GD_ENOMEM. */
gd_status gd_store_open(gd_ctx *ctx, const char *path, gd_store **out);

/* Opens an existing store to read only (query, export, plot): a read-only
 * SQLite connection (SQLITE_OPEN_READONLY, PRAGMA query_only), which
 * never creates or changes a file; the same checks as gd_store_open. A
 * store on read-only media is read as immutable when its write-ahead log
 * is empty. A -wal or -shm file the connection made is removed when it
 * closes (unless another connection is using it). GD_EINVAL when path is
 * missing or not a gdlab store. */
gd_status gd_store_open_read(gd_ctx *ctx, const char *path, gd_store **out);
void gd_store_close(gd_store *s);

/* gd_store_query's time limit in seconds (0: none, the default). */
void gd_store_set_timeout(gd_store *s, double seconds);
/* Stops the running query (callable from a signal handler). */
void gd_store_interrupt(gd_store *s);
/* Why the last query stopped: 0 (it did not), 1 its time limit, 2
 * gd_store_interrupt. */
int gd_store_stopped(const gd_store *s);

/* The store's last SQLite error as gd_error (what: what failed), with
 * gd_store_open's statuses. */
gd_status gd_store_error(gd_ctx *ctx, gd_store *s, const char *what);

/* 1 when (experiment, this gdlab version, point, replica) is stored with
 * status ok or diverged (a failed run is retried), 0 when not, -1 on error. */
int gd_store_has(gd_store *s, const char *experiment, const char *point, long replica);

/* Stores a run (replacing a failed one at the same key), in one
 * transaction. dir may be NULL. */
gd_status gd_store_put(gd_ctx *ctx, gd_store *s, const gd_result *r, const char *point, long replica,
                       const char *dir);

/* Stores a run that failed with ctx's message. */
gd_status gd_store_put_failed(gd_ctx *ctx, gd_store *s, const char *experiment, const char *point, long replica,
                              uint64_t seed, const char *message);

/* Runs one SQL statement and writes its rows to out as CSV with a header
 * line. GD_EINVAL with SQLite's message on bad SQL, and for a statement
 * that writes (sqlite3_stmt_readonly false: INSERT, DELETE, DROP, VACUUM
 * INTO, a PRAGMA that sets, ...) or ATTACH: refused before it runs.
 * GD_EIO when it stops at the time limit or is interrupted. */
gd_status gd_store_query(gd_ctx *ctx, gd_store *s, const char *sql, FILE *out);

/* Every run as a CSV row: id, experiment, version, point, replica, seed,
 * status, then one column per parameter name and per scalar name. */
gd_status gd_store_export_csv(gd_ctx *ctx, gd_store *s, FILE *out);

/* For plots: the mean and standard error over replicas of scalar y at
 * each (by, x) (by = NULL: one group) among the ok runs of experiment (NULL:
 * any). rows (n, 5) receives by, x, mean, se, count, sorted by (by, x);
 * the caller gd_frees it. */
gd_status gd_store_xy(gd_ctx *ctx, gd_store *s, const char *experiment, const char *x, const char *y,
                      const char *by, double **rows, size_t *n);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
