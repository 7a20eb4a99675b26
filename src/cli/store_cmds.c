/* The store's commands: gdlab sweep, query, export, plot (sweep.h,
 * store.h). Exit codes as main.c: 0 ok, 2 bad usage or input, 3 runtime. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdlab/gdlab.h"
#include "gdlab/store.h"
#include "gdlab/sweep.h"

/* A whole number option into a long (gd_cli_count's check and message). */
static int whole(const char *opt, const char *s, double lo, double hi, long *out) {
    double x;
    if (gd_cli_count(opt, s, lo, hi, &x)) return 0;
    *out = (long)x;
    return 1;
}

/* The store at path, which must exist, opened read-only (query, export,
 * plot): nothing is created or written. */
static int open_existing(gd_ctx *ctx, const char *path, gd_store **s) {
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "gdlab: %s: no such store (gdlab sweep ... --db %s makes one)\n", path, path);
        return CLI_EXIT_USAGE;
    }
    const gd_status st = gd_store_open_read(ctx, path, s);
    if (st != GD_OK) {
        fprintf(stderr, "gdlab: %s\n", ctx->err);
        /* a file that cannot be read is bad input, as in gdlab run */
        return st == GD_EINVAL || st == GD_EIO ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    return 0;
}

/* 1 (after a message naming it) when flag was given before. */
static int repeated(const char *cmd, const char *flag, int *seen) {
    if (!*seen) {
        *seen = 1;
        return 0;
    }
    fprintf(stderr, "gdlab: %s: %s: given twice\n", cmd, flag);
    return 1;
}

typedef struct bar {
    int tty;
} bar;

static void progress(const gd_sweep_stats *st, void *data) {
    const bar *b = data;
    if (!b->tty) return;
    const long done = st->stored + st->done + st->failed, ran = st->done + st->failed;
    const double rate = st->seconds > 0 ? (double)ran / st->seconds : 0;
    const double eta = rate > 0 ? (double)(st->total - done) / rate : 0;
    const int w = 30, fill = st->total ? (int)((double)w * (double)done / (double)st->total) : w;
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld  failed %ld  %.1f runs/s  ETA %.0f s \033[K", fill,
            "==============================", w - fill, "", done, st->total, st->failed, rate, eta);
    fflush(stderr);
}

int gd_cli_sweep(int argc, char **argv, gd_ctx *ctx) {
    if (argc < 3 || argv[2][0] == '-') {
        if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            puts("gdlab sweep NAME --grid 'PARAM=SPEC' ... [--seeds K] --db FILE.sqlite [--workers N] [--out DIR]\n"
                 "            [--seed N] [--param value]...\n\n"
                 "Runs experiment NAME at every point of the grid (the product of the --grid axes) with K seeds\n"
                 "each, into the SQLite store FILE, skipping what it holds already: a sweep killed at any\n"
                 "moment resumes. SPEC: v1,v2,... | linspace(lo,hi,n) | logspace(lo,hi,n) | range(lo,hi[,step]).\n"
                 "Each run has one thread and its own seed from (seed, NAME, point, replica), so the store is\n"
                 "the same for any --workers (default: all cores). Series CSVs go to DIR (default FILE.runs;\n"
                 "--out none: scalars and claims only, which saves the files' syncs, about 5 ms a run on disk).\n"
                 "Under mpirun each rank takes its share of the runs (when gdlab is built with MPI).\n"
                 "At most 10^6 runs (points x seeds); a value given twice on an axis is refused. A new store is\n"
                 "made only where no file is; an existing file must be a gdlab store. Exit 3 when a run failed\n"
                 "(the count on stderr) or the disk is full.");
            return 0;
        }
        return gd_cli_usage("sweep: expected an experiment name%s (see 'gdlab list')", "");
    }
    const gd_experiment *e = gd_experiment_find(argv[2]);
    if (!e) return gd_cli_usage("sweep: unknown experiment '%s' (see 'gdlab list')", argv[2]);
    gd_sweep_axis axes[64];
    const char *fixed[2 * 64 + 1];
    size_t na = 0, nf = 0;
    long seeds = 1, workers = omp_get_num_procs(), seed = (long)ctx->seed;
    const char *db = NULL, *out = NULL;
    int rc = 0, seen_seeds = 0, seen_workers = 0, seen_seed = 0, seen_db = 0, seen_out = 0;
    for (int i = 3; i < argc && !rc; i += 2) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || !a[2]) { rc = gd_cli_usage("sweep: unexpected argument '%s' (options are --name value)", a); break; }
        if (i + 1 >= argc) { rc = gd_cli_usage("%s: missing value", a); break; }
        const char *v = argv[i + 1];
        if (!strcmp(a, "--grid")) {
            if (na == 64) rc = gd_cli_usage("--grid: at most 64 axes%s", "");
            else if (gd_sweep_parse_axis(ctx, v, &axes[na]) != GD_OK) rc = gd_cli_usage("%s", ctx->err);
            else na++;
            for (size_t b = 0; !rc && na && b + 1 < na; b++)
                if (!strcmp(axes[b].name, axes[na - 1].name)) {
                    fprintf(stderr, "gdlab: sweep: --grid %s: given twice (one --grid a parameter)\n", axes[b].name);
                    rc = CLI_EXIT_USAGE;
                }
        } else if (!strcmp(a, "--seeds")) {
            if (repeated("sweep", a, &seen_seeds) || !whole("--seeds", v, 1, 1e6, &seeds)) rc = CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--workers")) {
            if (repeated("sweep", a, &seen_workers) || !whole("--workers", v, 1, 1024, &workers)) rc = CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--seed")) {
            if (repeated("sweep", a, &seen_seed) || !whole("--seed", v, 0, 9007199254740992.0, &seed)) rc = CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--db")) {
            if (repeated("sweep", a, &seen_db)) rc = CLI_EXIT_USAGE;
            else if (!*v) rc = gd_cli_usage("sweep: --db: expected a file name%s", "");
            db = v;
        } else if (!strcmp(a, "--out")) {
            if (repeated("sweep", a, &seen_out)) rc = CLI_EXIT_USAGE;
            else if (!*v) rc = gd_cli_usage("sweep: --out: expected a directory or none%s", "");
            out = v;
        } else if (!strcmp(a, "--threads") || !strcmp(a, "--json") || !strcmp(a, "--strict")) {
            rc = gd_cli_usage("sweep: %s does not apply (each run has one thread; use --workers)", a);
        } else if (nf == 2 * 64) {
            rc = gd_cli_usage("sweep: at most 64 fixed parameters (%s is one more)", a);
        } else {
            for (size_t k = 0; k < nf && !rc; k += 2)
                if (!strcmp(fixed[k], a + 2)) {
                    fprintf(stderr, "gdlab: sweep: %s: given twice\n", a);
                    rc = CLI_EXIT_USAGE;
                }
            fixed[nf++] = a + 2, fixed[nf++] = v;
        }
    }
    fixed[nf] = NULL;
    if (!rc && !db) rc = gd_cli_usage("sweep: expected --db FILE.sqlite%s", "");
    if (!rc && na == 0) rc = gd_cli_usage("sweep: expected at least one --grid 'PARAM=SPEC'%s", "");
    int rank = 0, nranks = 1;
    if (!rc && (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE"))) {
        const char *sz = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE") : getenv("PMI_SIZE");
        if (atoi(sz) > 1) rc = gd_cli_mpi_ranks(&rank, &nranks);
    }
    if (!rc && db && strlen(db) > 4000) rc = gd_cli_usage("sweep: --db: %s", strerror(ENAMETOOLONG));
    char runs[4096];
    snprintf(runs, sizeof runs, "%s.runs", db && !rc ? db : "");
    const char *outdir = out && !strcmp(out, "none") ? NULL : out ? out : runs;
    gd_sweep_spec sp = {e, fixed, axes, na, seeds, (uint64_t)seed, db, outdir, (int)workers, rank, nranks};
    if (!rc && gd_sweep_check(ctx, &sp) != GD_OK) rc = gd_cli_usage("sweep: %s", ctx->err);
    if (!rc) {
        bar b = {isatty(2) && rank == 0};
        gd_sweep_stats st;
        const gd_status s = gd_sweep_run(ctx, &sp, &st, progress, &b);
        if (b.tty) fputs("\r\033[K", stderr);
        if (s != GD_OK) {
            fprintf(stderr, "gdlab: sweep %s: %s\n", e->name, ctx->err);
            rc = s == GD_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
        } else {
            char who[64] = "";
            if (nranks > 1) snprintf(who, sizeof who, " (rank %d of %d: its share)", rank, nranks);
            printf("sweep %s: %zu points x %ld seeds%s: %ld runs; %ld stored before, %ld run now, %ld failed; "
                   "%.1f s\nstore: %s; series: %s\n", e->name, gd_sweep_npoints(&sp), seeds, who, st.total, st.stored,
                   st.done, st.failed, st.seconds, db, sp.outdir ? sp.outdir : "none (--out none)");
            if (st.failed) {
                printf("failed runs are stored with their message and retried by the next sweep: "
                       "gdlab query %s \"SELECT point, replica, detail FROM runs WHERE status = 'failed'\"\n", db);
                fflush(stdout);
                fprintf(stderr, "gdlab: sweep %s: %ld of %ld runs failed (stored as failed; the next sweep retries "
                        "them); the first: %s\n", e->name, st.failed, st.done + st.failed, st.failure);
                rc = CLI_EXIT_RUNTIME;
            }
        }
    }
    for (size_t i = 0; i < na; i++) gd_sweep_axis_free(&axes[i]);
    gd_cli_mpi_finalize();
    return rc;
}

static gd_store *volatile query_store;

static void on_sigint(int sig) {
    (void)sig;
    gd_store *s = query_store;
    if (s) gd_store_interrupt(s);
}

int gd_cli_query(int argc, char **argv, gd_ctx *ctx) {
    if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        puts("gdlab query FILE.sqlite 'SQL' [--timeout SECONDS]\n\n"
             "Runs one SQL statement that reads (SELECT, WITH, a PRAGMA that reads) on the store, opened\n"
             "read-only, and prints its rows as CSV. A statement that writes is refused (exit 2). The query\n"
             "stops after --timeout SECONDS (default 60; 0: no limit) or on Ctrl-C (exit 3).");
        return 0;
    }
    const char *sql = NULL;
    double timeout = 60;
    int seen_timeout = 0;
    if (argc < 4) return gd_cli_usage("query: expected gdlab query FILE.sqlite 'SQL' [--timeout SECONDS]%s", "");
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--timeout")) {
            if (repeated("query", "--timeout", &seen_timeout)) return CLI_EXIT_USAGE;
            if (i + 1 >= argc || gd_parse_number(argv[i + 1], &timeout) != GD_NUM_OK || !(timeout >= 0) ||
                timeout > 1e9) {
                fprintf(stderr, "gdlab: query: --timeout: expected seconds in [0, 1e9] (0: no limit), got '%s'\n",
                        i + 1 < argc ? argv[i + 1] : "");
                return CLI_EXIT_USAGE;
            }
            i++;
        } else if (!sql) {
            sql = argv[i];
        } else {
            return gd_cli_usage("query: one SQL statement at a time; unexpected argument '%s'", argv[i]);
        }
    }
    if (!sql) return gd_cli_usage("query: expected gdlab query FILE.sqlite 'SQL' [--timeout SECONDS]%s", "");
    gd_store *s;
    int rc = open_existing(ctx, argv[2], &s);
    if (rc) return rc;
    gd_store_set_timeout(s, timeout);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    query_store = s;
    sigaction(SIGINT, &sa, &old);
    const gd_status st = gd_store_query(ctx, s, sql, stdout);
    sigaction(SIGINT, &old, NULL);
    query_store = NULL;
    if (st != GD_OK) {
        fflush(stdout);
        if (gd_store_stopped(s) == 1)
            fprintf(stderr, "gdlab: query: stopped after %g s (--timeout SECONDS raises the limit)\n", timeout);
        else fprintf(stderr, "gdlab: %s\n", ctx->err);
        rc = st == GD_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    gd_store_close(s);
    return rc;
}

/* Refuses, before the store is read, an export --out the CSV may not
 * replace: the store itself (or its -wal, -shm, -journal), a directory, a
 * device or anything else that is not a regular file (rename would replace
 * /dev/null), or a path whose directory does not exist. 0 or exit 2. */
static int check_export_out(const char *out, const char *db) {
    struct stat so, sd;
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    const int exists = stat(out, &so) == 0;
    for (int i = 0; i < 4; i++) {
        char p[4200];
        const int n = snprintf(p, sizeof p, "%s%s", db, sfx[i]);
        if (n > 0 && (size_t)n < sizeof p &&
            (!strcmp(p, out) || (exists && stat(p, &sd) == 0 && sd.st_dev == so.st_dev && sd.st_ino == so.st_ino)))
            return fprintf(stderr, "gdlab: export: --out %s is the store's own file %s; choose another file\n", out,
                           p), CLI_EXIT_USAGE;
    }
    if (exists) {
        if (!S_ISREG(so.st_mode))
            return fprintf(stderr, "gdlab: export: --out %s: exists and is not a regular file\n", out), CLI_EXIT_USAGE;
    } else if (errno != ENOENT) {
        return fprintf(stderr, "gdlab: export: --out %s: %s\n", out, strerror(errno)), CLI_EXIT_USAGE;
    }
    char dir[4200];
    const char *slash = strrchr(out, '/');
    const int n = snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == out ? 1 : slash - out) : 1, slash ? out : ".");
    if (n < 0 || (size_t)n >= sizeof dir || strlen(out) > 4000)
        return fprintf(stderr, "gdlab: export: --out %s: %s\n", out, strerror(ENAMETOOLONG)), CLI_EXIT_USAGE;
    if (stat(dir, &sd) != 0 || !S_ISDIR(sd.st_mode))
        return fprintf(stderr, "gdlab: export: --out %s: %s\n", out, strerror(errno ? errno : ENOTDIR)), CLI_EXIT_USAGE;
    return 0;
}

int gd_cli_export(int argc, char **argv, gd_ctx *ctx) {
    const char *out = NULL;
    int csv = 0, seen_out = 0;
    if (argc < 3 || argv[2][0] == '-') return gd_cli_usage("export: expected gdlab export FILE.sqlite --csv [--out F]%s", "");
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--csv")) {
            if (repeated("export", "--csv", &csv)) return CLI_EXIT_USAGE;
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            if (repeated("export", "--out", &seen_out)) return CLI_EXIT_USAGE;
            out = argv[++i];
            if (!*out) return gd_cli_usage("export: --out: expected a file name%s", "");
        } else {
            return gd_cli_usage("export: unexpected argument '%s' (--csv, --out F)", argv[i]);
        }
    }
    if (!csv) return gd_cli_usage("export: expected --csv (the one format so far)%s", "");
    int rc = out ? check_export_out(out, argv[2]) : 0;
    if (rc) return rc;
    gd_store *s;
    if ((rc = open_existing(ctx, argv[2], &s)) != 0) return rc;
    char tmp[4200];
    FILE *f = stdout;
    int slot = -1;
    if (out) {
        /* OUT.tmp.PID, the name whose leftovers (a kill -9) the next
         * atomic write of OUT removes */
        snprintf(tmp, sizeof tmp, "%s.tmp.%d", out, (int)getpid());
        slot = gd_io_temp_register(tmp); /* removed on SIGTERM and SIGINT */
        unlink(tmp);                         /* an earlier process's with this pid */
        if (!(f = fopen(tmp, "wx"))) {
            const int e = errno;
            gd_io_temp_unregister(slot);
            gd_store_close(s);
            fprintf(stderr, "gdlab: export: cannot write %s: %s\n", out, strerror(e));
            return CLI_EXIT_RUNTIME;
        }
    }
    const gd_status st = gd_store_export_csv(ctx, s, f);
    if (out) {
        int e = 0;
        if (st == GD_OK && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)) e = errno ? errno : EIO;
        if (fclose(f) != 0 && !e) e = errno;
        if (st == GD_OK && !e && rename(tmp, out) != 0) e = errno;
        if (st != GD_OK || e) remove(tmp);
        gd_io_temp_unregister(slot);
        if (st == GD_OK && e) fprintf(stderr, "gdlab: export: cannot write %s: %s\n", out, strerror(e)), rc = CLI_EXIT_RUNTIME;
    }
    if (st != GD_OK) {
        fprintf(stderr, "gdlab: %s\n", ctx->err);
        rc = st == GD_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    gd_store_close(s);
    return rc;
}

int gd_cli_plot(int argc, char **argv, gd_ctx *ctx) {
    if (argc < 3 || argv[2][0] == '-')
        return gd_cli_usage("plot: expected gdlab plot FILE.sqlite --x PARAM --y SCALAR [--by PARAM] [--experiment NAME] "
                     "[--logx] [--logy] [--out DIR]%s", "");
    const char *x = NULL, *y = NULL, *by = NULL, *exp = NULL, *out = "gdlab-out/plot";
    int logx = 0, logy = 0, seen[5] = {0};
    static const char *const vflags[5] = {"--x", "--y", "--by", "--experiment", "--out"};
    const char **vals[5] = {&x, &y, &by, &exp, &out};
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        int k = 0;
        while (k < 5 && strcmp(a, vflags[k])) k++;
        if (!strcmp(a, "--logx") || !strcmp(a, "--logy")) {
            if (repeated("plot", a, a[5] == 'x' ? &logx : &logy)) return CLI_EXIT_USAGE;
        } else if (k < 5 && i + 1 < argc) {
            if (repeated("plot", a, &seen[k])) return CLI_EXIT_USAGE;
            *vals[k] = argv[++i];
            if (!**vals[k]) return gd_cli_usage("plot: %s: expected a value, got ''", a);
        } else {
            return gd_cli_usage("plot: unexpected argument '%s'", a);
        }
    }
    if (!x || !y) return gd_cli_usage("plot: expected --x PARAM and --y SCALAR%s", "");
    /* a directory the plot could not replace (a user's) is refused first */
    if (gd_io_check_out(ctx, out) != GD_OK) {
        fprintf(stderr, "gdlab: plot: --out %s\n", ctx->err);
        return ctx->status == GD_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    gd_store *s;
    int rc = open_existing(ctx, argv[2], &s);
    if (rc) return rc;
    double *rows;
    size_t n;
    gd_status st = gd_store_xy(ctx, s, exp, x, y, by, &rows, &n);
    gd_store_close(s);
    if (st != GD_OK) {
        fprintf(stderr, "gdlab: %s\n", ctx->err);
        return st == GD_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    if (n == 0) {
        gd_free(rows);
        fprintf(stderr, "gdlab: %s: no ok run has both parameter '%s' and scalar '%s'%s%s\n", argv[2], x, y,
                by ? " and parameter " : "", by ? by : "");
        return CLI_EXIT_USAGE;
    }
    gd_result *r = gd_result_new("plot", ctx->seed);
    gd_plot pl = {.name = "plot", .title = y, .xlabel = x, .ylabel = y, .logx = logx, .logy = logy};
    static const char *const cols[] = {"x", "mean", "se", "count"};
    char names[GD_PLOT_MAX_LINES][64], labels[GD_PLOT_MAX_LINES][96];
    size_t g = 0;
    st = r ? GD_OK : GD_ENOMEM;
    for (size_t i = 0; i < n && st == GD_OK;) {
        size_t j = i;
        while (j < n && rows[5 * j] == rows[5 * i]) j++;
        if (g == GD_PLOT_MAX_LINES) {
            fprintf(stderr, "gdlab: plot: more than %d values of --by %s; the first %d are drawn\n", GD_PLOT_MAX_LINES,
                    by, GD_PLOT_MAX_LINES);
            break;
        }
        snprintf(names[g], sizeof names[g], "group%zu", g);
        if (by) snprintf(labels[g], sizeof labels[g], "%s = %g", by, rows[5 * i]);
        else snprintf(labels[g], sizeof labels[g], "mean over seeds");
        gd_series *se = gd_result_series_new(r, names[g], 4, cols);
        for (size_t k = i; se && k < j && st == GD_OK; k++)
            st = gd_series_append(se, (double[]){rows[5 * k + 1], rows[5 * k + 2], rows[5 * k + 3], rows[5 * k + 4]});
        if (!se) st = GD_ENOMEM;
        pl.line[pl.nlines++] = (gd_plot_line){names[g], "x", "mean", "se", labels[g], 0};
        g++, i = j;
    }
    gd_free(rows);
    if (st == GD_OK) st = gd_result_plot(r, &pl);
    if (st == GD_OK) st = gd_io_write_result(ctx, r, out);
    if (st != GD_OK) {
        fprintf(stderr, "gdlab: plot: %s\n", ctx->err[0] ? ctx->err : "out of memory");
        rc = CLI_EXIT_RUNTIME;
    } else {
        printf("plot of %s against %s%s%s (%zu points, mean +- se over seeds): %s/plot.png, .svg, group*.csv\n", y,
               x, by ? " by " : "", by ? by : "", n, out);
    }
    gd_result_free(r);
    return rc;
}
