/* The results store (store.h): SQLite in WAL mode, one transaction per
 * run, the schema versioned in the meta table. */
#include "gdlab/store.h"
#include "gdlab/io.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct gd_store {
    sqlite3 *db;
    char *path;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, experiment TEXT NOT NULL, version TEXT NOT NULL,"
    " point TEXT NOT NULL, replica INTEGER NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL, detail TEXT,"
    " elapsed_s REAL, dir TEXT, summary TEXT NOT NULL, UNIQUE(experiment, version, point, replica));"
    "CREATE TABLE IF NOT EXISTS params(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value REAL, text TEXT NOT NULL, PRIMARY KEY(run, name));"
    "CREATE TABLE IF NOT EXISTS scalars(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value REAL, se REAL, PRIMARY KEY(run, name));"
    "CREATE TABLE IF NOT EXISTS claims(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " id TEXT NOT NULL, verdict TEXT NOT NULL, predicted TEXT, measured TEXT, PRIMARY KEY(run, id));";

static gd_status sql_error(gd_ctx *ctx, gd_store *s, const char *what) {
    const int code = sqlite3_errcode(s->db);
    const gd_status st = code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? GD_EINVAL
                         : code == SQLITE_NOMEM ? GD_ENOMEM : code == SQLITE_CANTOPEN || code == SQLITE_IOERR ? GD_EIO
                                                                                                             : GD_EINVAL;
    return gd_error(ctx, st, "%s: %s: %s%s", s->path, what, sqlite3_errmsg(s->db),
                    code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? " (not a gdlab store, or damaged)" : "");
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

void gd_store_close(gd_store *s) {
    if (!s) return;
    sqlite3_close(s->db);
    gd_free(s->path);
    gd_free(s);
}

gd_status gd_store_open(gd_ctx *ctx, const char *path, gd_store **out) {
    *out = NULL;
    gd_store *s = gd_calloc(1, sizeof *s);
    if (!s || !(s->path = gd_strdup(path))) {
        gd_free(s);
        return gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        const gd_status st = s->db ? sql_error(ctx, s, "cannot open") : gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
        gd_store_close(s);
        return st == GD_EINVAL ? GD_EIO : st;
    }
    sqlite3_busy_timeout(s->db, 600000);
    char *err = NULL;
    /* WAL: readers never block the writer, and a killed writer's
     * uncommitted transaction is rolled back at the next open. */
    if (exec_retry(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;") != SQLITE_OK ||
        exec_retry(s->db, "BEGIN IMMEDIATE;") != SQLITE_OK || sqlite3_exec(s->db, SCHEMA, NULL, NULL, &err) != SQLITE_OK) {
        sqlite3_free(err);
        const gd_status st = sql_error(ctx, s, "cannot read");
        gd_store_close(s);
        return st;
    }
    sqlite3_stmt *q = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    gd_status st = GD_OK;
    if (version == -1) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "INSERT INTO meta VALUES('schema_version', '%d'), ('created_by', 'gdlab %s');", GD_STORE_SCHEMA,
                 GD_VERSION);
        if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) st = sql_error(ctx, s, "cannot write");
        sqlite3_free(err);
    } else if (version != GD_STORE_SCHEMA) {
        st = gd_error(ctx, GD_EINVAL, "%s: store schema version %d; this gdlab reads version %d", path, version,
                      GD_STORE_SCHEMA);
    }
    if (sqlite3_exec(s->db, st == GD_OK ? "COMMIT;" : "ROLLBACK;", NULL, NULL, NULL) != SQLITE_OK && st == GD_OK)
        st = sql_error(ctx, s, "cannot write");
    if (st != GD_OK) {
        gd_store_close(s);
        return st;
    }
    *out = s;
    return GD_OK;
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
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, &tail) != SQLITE_OK) return sql_error(ctx, s, "query");
    while (tail && (*tail == ' ' || *tail == ';' || *tail == '\n' || *tail == '\t')) tail++;
    if (tail && *tail) {
        sqlite3_finalize(q);
        return gd_error(ctx, GD_EINVAL, "%s: query: one statement at a time (left over: '%.40s')", s->path, tail);
    }
    if (!q) return GD_OK; /* empty statement */
    const int nc = sqlite3_column_count(q);
    for (int j = 0; j < nc; j++) fputs(j ? "," : "", out), csv_field(out, sqlite3_column_name(q, j));
    if (nc) fputc('\n', out);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        for (int j = 0; j < nc; j++) fputs(j ? "," : "", out), csv_value(out, q, j);
        fputc('\n', out);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? GD_OK : sql_error(ctx, s, "query");
}

/* Distinct names of a table (params or scalars), sorted. */
static char **names_of(gd_store *s, const char *table, size_t *n) {
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT DISTINCT name FROM %s ORDER BY name", table);
    sqlite3_stmt *q;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) return NULL;
    size_t cap = 16;
    char **v = gd_malloc(cap * sizeof *v);
    while (v && sqlite3_step(q) == SQLITE_ROW) {
        if (*n == cap) {
            char **v2 = gd_realloc(v, 2 * cap * sizeof *v);
            if (!v2) break;
            v = v2, cap *= 2;
        }
        v[(*n)++] = gd_strdup((const char *)sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
    return v;
}

gd_status gd_store_export_csv(gd_ctx *ctx, gd_store *s, FILE *out) {
    size_t np, ns;
    char **pn = names_of(s, "params", &np), **sn = names_of(s, "scalars", &ns);
    sqlite3_stmt *q = NULL, *qp = NULL, *qs = NULL;
    gd_status st = GD_OK;
    if (!pn || !sn) st = gd_error(ctx, GD_ENOMEM, "out of memory");
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
        while (sqlite3_step(q) == SQLITE_ROW) {
            const sqlite3_int64 id = sqlite3_column_int64(q, 0);
            for (int j = 0; j < 7; j++) fputs(j ? "," : "", out), csv_value(out, q, j);
            for (size_t j = 0; j < np + ns; j++) {
                sqlite3_stmt *t = j < np ? qp : qs;
                sqlite3_reset(t);
                sqlite3_bind_int64(t, 1, id);
                sqlite3_bind_text(t, 2, j < np ? pn[j] : sn[j - np], -1, SQLITE_STATIC);
                fputc(',', out);
                if (sqlite3_step(t) == SQLITE_ROW) csv_value(out, t, 0);
            }
            fputc('\n', out);
        }
    }
    sqlite3_finalize(q), sqlite3_finalize(qp), sqlite3_finalize(qs);
    for (size_t j = 0; pn && j < np; j++) gd_free(pn[j]);
    for (size_t j = 0; sn && j < ns; j++) gd_free(sn[j]);
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
    int rc;
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
    sqlite3_finalize(q);
    if (!v) return gd_error(ctx, GD_ENOMEM, "out of memory");
    *rows = v;
    return GD_OK;
}
