/* The gdlab command line: list, run, reproduce, and a command per
 * experiment (`gdlab sgd-1d ...` is `gdlab run sgd-1d ...`).
 *
 * Exit codes (DESIGN.md section 6): 0 success, 1 a claim refuted under
 * --strict, 2 bad usage or input, 3 runtime failure. Every parameter is
 * checked before any work starts, and nothing is written to --out unless
 * the run succeeded. */
#define _POSIX_C_SOURCE 200809L
#include "gdlab/gdlab.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* OpenBLAS's thread count (declared in its cblas.h, whose location varies):
 * --threads sets it with OpenMP's, so one flag governs every thread. */
void openblas_set_num_threads(int n);

static const char USAGE[] =
    "usage: gdlab <command> [options]\n"
    "\n"
    "commands:\n"
    "  list                      the experiments, one line each\n"
    "  run NAME [--param v]...   run one experiment (also: gdlab NAME ...)\n"
    "  fit FILE.csv [--param v]  fit a scaling law to your runs (gdlab help fit)\n"
    "  sweep NAME --grid P=SPEC --db F.sqlite   an experiment over a grid and seeds,\n"
    "                            resumable (gdlab sweep --help)\n"
    "  query F.sqlite 'SQL'      rows of the store as CSV\n"
    "  export F.sqlite --csv     every run, a row each, parameters and scalars as columns\n"
    "  plot F.sqlite --x P --y S [--by Q]   a scalar against a parameter, from the store\n"
    "  completion bash           a bash completion script: source <(gdlab completion bash)\n"
    "  reproduce [--out DIR]     run every experiment with seed claims and write\n"
    "                            DIR/report.md (default DIR: gdlab-report)\n"
    "  help [NAME]               this text, or an experiment's parameters\n"
    "  version                   the version\n"
    "\n"
    "options of run and reproduce:\n"
    "  --out DIR      output directory (run: default gdlab-out/NAME; none: write nothing)\n"
    "  --json         print the summary as JSON on stdout (run)\n"
    "  --seed N       master seed of every random stream (default 1)\n"
    "  --threads N    OpenMP threads (default: all cores); results do not depend on it\n"
    "  --strict       exit 1 if any claim is refuted\n"
    "  --help         help\n"
    "\n"
    "exit codes: 0 ok, 1 refuted under --strict, 2 bad usage or input, 3 runtime failure\n";

typedef struct cli_opts {
    const char *out;
    int json, strict, help;
    gd_ctx ctx;
} cli_opts;

int gd_cli_usage(const char *fmt, const char *arg) {
    fprintf(stderr, "gdlab: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'gdlab --help')\n");
    return CLI_EXIT_USAGE;
}

int gd_cli_count(const char *opt, const char *s, double lo, double hi, double *out) {
    double x;
    if (gd_parse_number(s, &x) != GD_NUM_OK || x != floor(x) || x < lo || x > hi) {
        fprintf(stderr, "gdlab: %s: expected a whole number in [%.0f, %.0f], got '%s'\n", opt,
                lo, hi, s);
        return CLI_EXIT_USAGE;
    }
    *out = x;
    return 0;
}

/* Splits "--name=value" or "--name value". Returns the number of argv
 * entries used (1 or 2), or 0 if the value is missing. */
static int take_value(int argc, char **argv, int i, char *name, size_t nlen,
                      const char **value) {
    const char *a = argv[i] + 2, *eq = strchr(a, '=');
    if (eq) {
        snprintf(name, nlen, "%.*s", (int)(eq - a), a);
        *value = eq + 1;
        return 1;
    }
    snprintf(name, nlen, "%s", a);
    if (i + 1 >= argc) return 0;
    *value = argv[i + 1];
    return 2;
}

/* The flags seen so far on one command line: a flag given twice is
 * refused (it used to take the last value silently). name points into
 * argv ("eta" of "--eta=0.1" is argv[i] + 2 with len 3); value is NULL
 * for a flag without one (--json). */
typedef struct seen_flag {
    const char *name, *value;
    size_t len;
} seen_flag;

/* Records flag name[0, len) = value in seen[*n]; CLI_EXIT_USAGE with
 * "--eta: given twice (0.1, then 0.2)" if it was seen before. */
static int note_flag(seen_flag *seen, size_t *n, const char *name, size_t len, const char *value) {
    for (size_t k = 0; k < *n; k++) {
        if (seen[k].len != len || memcmp(seen[k].name, name, len) != 0) continue;
        if (seen[k].value && value)
            fprintf(stderr, "gdlab: --%.*s: given twice (%s, then %s)\n(see 'gdlab --help')\n", (int)len, name,
                    seen[k].value, value);
        else
            fprintf(stderr, "gdlab: --%.*s: given twice\n(see 'gdlab --help')\n", (int)len, name);
        return CLI_EXIT_USAGE;
    }
    seen[(*n)++] = (seen_flag){name, value, len};
    return 0;
}

/* Parses the common options and the experiment's parameters (p may be
 * NULL for reproduce); file is the bare file argument already set as
 * --file (or NULL), so that --file after it counts as given twice.
 * Returns 0 or an exit code. */
static int parse_args(int argc, char **argv, int first, cli_opts *o, gd_params *p, const char *file) {
    seen_flag *seen = gd_malloc(((size_t)argc + 1) * sizeof *seen);
    if (!seen) {
        fprintf(stderr, "gdlab: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    size_t nseen = 0;
    int rc = 0;
    if (file) note_flag(seen, &nseen, "file", 4, file);
    for (int i = first; i < argc && !rc;) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0 || strcmp(a, "--strict") == 0) {
            rc = note_flag(seen, &nseen, a + 2, strlen(a + 2), NULL);
            if (a[2] == 'j') o->json = 1;
            else o->strict = 1;
            i++;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { o->help = 1; i++; continue; }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            rc = gd_cli_usage("unexpected argument '%s' (parameters are --name value)", a);
            break;
        }
        char name[128];
        const char *val = NULL;
        int used = take_value(argc, argv, i, name, sizeof name, &val);
        if (!used) {
            rc = gd_cli_usage("--%s: missing value", name);
            break;
        }
        const char *eq = strchr(a + 2, '=');
        if ((rc = note_flag(seen, &nseen, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), val)) != 0) break;
        double x;
        if (strcmp(name, "out") == 0) {
            if (!*val) rc = gd_cli_usage("--out: expected a directory, got '%s'", val);
            else o->out = val;
        } else if (strcmp(name, "seed") == 0) {
            if (gd_cli_count("--seed", val, 0, 9007199254740992.0, &x)) rc = CLI_EXIT_USAGE;
            else o->ctx.seed = (uint64_t)x;
        } else if (strcmp(name, "threads") == 0) {
            if (gd_cli_count("--threads", val, 1, 1024, &x)) rc = CLI_EXIT_USAGE;
            else o->ctx.threads = (int)x;
        } else if (p) {
            if (gd_params_set(p, name, val, &o->ctx) != GD_OK) {
                fprintf(stderr, "gdlab: %s\n", o->ctx.err);
                rc = o->ctx.status == GD_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
            }
        } else {
            rc = gd_cli_usage("unknown option --%s", name);
        }
        i += used;
    }
    gd_free(seen);
    if (rc) return rc;
    openblas_set_num_threads(o->ctx.threads);
    return 0;
}

static void print_experiment_help(const gd_experiment *e) {
    printf("gdlab run %s [--param value]... [--out DIR] [--json] [--seed N] [--threads N]\n\n",
           e->name);
    printf("%s\nsource: %s\n\nparameters:\n", e->summary, e->source);
    for (const gd_param_spec *s = e->params; s->name; s++) {
        char range[96] = "";
        if (s->kind != GD_PARAM_STRING)
            snprintf(range, sizeof range, " %c%g, %g]%s%s",
                     (s->flags & GD_PARAM_OPEN_MIN) ? '(' : '[', s->min, s->max,
                     (s->flags & GD_PARAM_INF) ? " or inf" : "",
                     (s->flags & GD_PARAM_OPT) ? " or opt" : "");
        printf("  --%-10s %s\n               default '%s'%s\n", s->name, s->help,
               s->def ? s->def : "", range);
    }
    /* An example: the sizes gdlab reproduce runs it at, or the defaults. */
    int has_file = 0;
    for (const gd_param_spec *s = e->params; s->name; s++) has_file |= !strcmp(s->name, "file");
    printf("\nexample%s:\n  gdlab %s%s", e->reproduce ? " (as gdlab reproduce runs it)" : "", e->name,
           has_file && !e->reproduce ? " runs.csv" : "");
    for (const char *const *kv = e->reproduce; kv && kv[0]; kv += 2) printf(" --%s %s", kv[0], kv[1]);
    printf(" --out gdlab-out/%s\n", e->name);
}

/* A bash completion script generated from the registry:
 * `source <(gdlab completion bash)`. */
static void print_bash_completion(void) {
    size_t n;
    const gd_experiment *const *list = gd_experiment_list(&n);
    puts("# bash completion for gdlab, generated by `gdlab completion bash` from its registry");
    puts("_gdlab() {\n  local cur=${COMP_WORDS[COMP_CWORD]} name=${COMP_WORDS[1]} opts");
    fputs("  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W \"list run reproduce help version "
          "completion sweep query export plot", stdout);
    for (size_t i = 0; i < n; i++) printf(" %s", list[i]->name);
    puts("\" -- \"$cur\")); return\n  fi");
    puts("  case $name in run|help|sweep) name=${COMP_WORDS[2]} ;; esac");
    puts("  if [ \"$COMP_CWORD\" -eq 2 ] && case ${COMP_WORDS[1]} in run|help|sweep) true ;; *) false ;; esac; then");
    fputs("    COMPREPLY=($(compgen -W \"", stdout);
    for (size_t i = 0; i < n; i++) printf("%s%s", i ? " " : "", list[i]->name);
    puts("\" -- \"$cur\")); return\n  fi\n  case $name in");
    for (size_t i = 0; i < n; i++) {
        printf("    %s) opts=\"", list[i]->name);
        for (const gd_param_spec *sp = list[i]->params; sp->name; sp++) printf("--%s ", sp->name);
        puts("\" ;;");
    }
    puts("    reproduce) opts=\"--strict \" ;;\n    *) opts=\"\" ;;\n  esac");
    puts("  [ \"${COMP_WORDS[1]}\" = sweep ] && opts=\"$opts--grid --seeds --db --workers \"");
    puts("  case $cur in\n    --*) COMPREPLY=($(compgen -W \"$opts--out --seed --threads --json --help\" -- \"$cur\")) ;;\n"
         "    *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n  esac\n}\ncomplete -F _gdlab gdlab");
}

static int count_refuted(const gd_result *r) {
    int n = 0;
    for (size_t i = 0; i < r->nclaims; i++) n += r->claims[i].verdict == GD_VERDICT_REFUTED;
    return n;
}

/* Runs e; on success writes the result to dir (if non-NULL). Returns 0 or
 * an exit code; *out_r receives the result (caller frees). */
/* The progress line of a running experiment on a TTY, at most 5 times a
 * second: "gdlab: running NAME: STAGE 45% (12 s)". */
typedef struct progress_line {
    const char *name;
    double t0, last;
} progress_line;

static void draw_progress(void *data, const char *stage, double f) {
    progress_line *pl = data;
    const double now = gd_now();
    if (now - pl->last < 0.2) return;
    pl->last = now;
    fprintf(stderr, "\rgdlab: running %s: %s %3.0f%% (%.0f s)\033[K", pl->name, stage ? stage : "",
            100 * (f < 0 ? 0 : f > 1 ? 1 : f), now - pl->t0);
    fflush(stderr);
}

/* Refuses, before a run starts, an output directory the run could not
 * replace or make (gd_io_check_out: a user's directory, a file, a place
 * where no directory can be made). 0 or an exit
 * code. given: whether --out named it. */
static int check_out(gd_ctx *ctx, const char *dir, int given) {
    gd_status st = gd_io_check_out(ctx, dir);
    if (st == GD_OK) return 0;
    fprintf(stderr, "gdlab: %s%s%s\n", given ? "--out " : "", ctx->err, given ? "" : " (with --out DIR)");
    return st == GD_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
}

/* Whether name is one gdlab reproduce writes in its report directory:
 * report.md, index.html, a directory per experiment, each possibly with the
 * .tmp.N (.tmp.N.old) of a write killed half-way. */
static int report_entry(const char *name, int is_dir) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", name);
    char *t = strstr(buf, ".tmp.");
    if (t) {
        char *q = t + 5;
        if (!*q) return 0;
        while (*q >= '0' && *q <= '9') q++;
        if (*q && strcmp(q, ".old") != 0) return 0;
        *t = '\0';
    }
    if (!is_dir) return !strcmp(buf, "report.md") || !strcmp(buf, "index.html");
    return gd_experiment_find(buf) != NULL;
}

/* Refuses, before reproduce starts, a --out DIR that holds anything but
 * what reproduce writes there (the directory itself is reused: report.md
 * and index.html are replaced, each DIR/NAME replaced whole as a run
 * directory, which is checked too). 0 or an exit code. */
static int check_report_dir(gd_ctx *ctx, const char *dir, const gd_experiment *const *list, size_t n) {
    struct stat sb;
    if (strlen(dir) > 4000) { /* DIR/NAME must fit the 4096 bytes of a path */
        fprintf(stderr, "gdlab: --out %.200s...: %s\n", dir, strerror(ENAMETOOLONG));
        return CLI_EXIT_USAGE;
    }
    if (stat(dir, &sb) != 0 && errno != ENOENT) { /* --out FILE/x */
        fprintf(stderr, "gdlab: --out %s: %s\n", dir, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "gdlab: --out %s: exists and is not a directory; choose another directory\n", dir);
            return CLI_EXIT_USAGE;
        }
        DIR *d = opendir(dir);
        if (!d) {
            fprintf(stderr, "gdlab: --out %s: %s\n", dir, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        char bad[256] = "", file[256] = "";
        int runs = 0;
        for (struct dirent *de; !bad[0] && (de = readdir(d)) != NULL;) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            struct stat es;
            if (fstatat(dirfd(d), de->d_name, &es, AT_SYMLINK_NOFOLLOW) != 0 ||
                !(S_ISREG(es.st_mode) || S_ISDIR(es.st_mode)) || !report_entry(de->d_name, S_ISDIR(es.st_mode)))
                snprintf(bad, sizeof bad, "%s", de->d_name);
            else if (S_ISDIR(es.st_mode)) runs++;
            else snprintf(file, sizeof file, "%s", de->d_name);
        }
        closedir(d);
        /* a report.md or index.html alone (a web root's) is not gdlab's: a
         * report sits beside the run directories it was made from */
        if (!bad[0] && file[0] && !runs) snprintf(bad, sizeof bad, "%s but no run directory", file);
        if (bad[0]) {
            fprintf(stderr, "gdlab: --out %s: exists and is not a gdlab report directory (it holds %s); choose "
                    "another directory\n", dir, bad);
            return CLI_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!list[i]->reproduce) continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, list[i]->name);
        int rc = check_out(ctx, sub, 1);
        if (rc) return rc;
    }
    return 0;
}

static int run_one(const gd_experiment *e, gd_params *p, gd_ctx *ctx, const char *dir,
                   gd_result **out_r) {
    gd_result *r = gd_result_new(e->name, ctx->seed);
    if (!r) {
        fprintf(stderr, "gdlab: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    progress_line pl = {e->name, gd_now(), 0};
    if (isatty(2)) ctx->progress = draw_progress, ctx->progress_data = &pl;
    gd_status st = gd_experiment_run(e, p, ctx, r);
    ctx->progress = NULL;
    if (pl.last > 0) fputs("\r\033[K", stderr);
    if (st != GD_OK) {
        fprintf(stderr, "gdlab: %s: %s\n", e->name, ctx->err[0] ? ctx->err : gd_status_name(st));
        gd_result_free(r);
        /* Input the experiment could not read is bad input too: an
         * experiment only reads (a user's file, a data set), and every
         * write goes through gd_io_write_result below, whose failures are
         * runtime failures (3). Out of memory and numerical failures: 3. */
        return st == GD_EINVAL || st == GD_EIO ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    if (dir && (st = gd_io_write_result(ctx, r, dir)) != GD_OK) {
        /* A directory that is not a run's (it changed since the check
         * before the run) is bad input; a write that fails (a full disk)
         * or memory is a runtime failure. */
        fprintf(stderr, "gdlab: %s%s\n", st == GD_EINVAL ? "--out " : "", ctx->err);
        gd_result_free(r);
        return st == GD_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    *out_r = r;
    return 0;
}

static int cmd_run(const gd_experiment *e, int argc, char **argv, int first, cli_opts *o) {
    gd_params p;
    if (gd_params_init(&p, e->params, &o->ctx) != GD_OK) {
        fprintf(stderr, "gdlab: %s\n", o->ctx.err);
        return CLI_EXIT_RUNTIME;
    }
    /* An experiment with a parameter "file" takes it as a bare first
     * argument too: gdlab fit runs.csv. */
    const char *file = NULL;
    if (first < argc && strncmp(argv[first], "--", 2) != 0) {
        int has_file = 0;
        for (const gd_param_spec *sp = e->params; sp && sp->name; sp++) has_file |= !strcmp(sp->name, "file");
        if (has_file && gd_params_set(&p, "file", argv[first], &o->ctx) == GD_OK) file = argv[first++];
    }
    int rc = parse_args(argc, argv, first, o, &p, file);
    if (rc || o->help) {
        if (o->help) print_experiment_help(e);
        gd_params_free(&p);
        return rc;
    }
    char dflt[256];
    snprintf(dflt, sizeof dflt, "gdlab-out/%s", e->name);
    const char *dir = o->out ? (strcmp(o->out, "none") == 0 ? NULL : o->out) : (o->json ? NULL : dflt);
    if (dir && (rc = check_out(&o->ctx, dir, o->out != NULL)) != 0) {
        gd_params_free(&p);
        return rc;
    }
    gd_result *r = NULL;
    int tty = isatty(2);
    if (tty) fprintf(stderr, "gdlab: running %s ...", e->name), fflush(stderr);
    rc = run_one(e, &p, &o->ctx, dir, &r);
    if (tty) fprintf(stderr, "\r\033[K"), fflush(stderr); /* clear the line */
    gd_params_free(&p);
    if (rc) return rc;
    if (o->json) {
        char *js = gd_io_summary_json(r);
        if (js) printf("%s\n", js);
        gd_free(js);
    } else {
        gd_io_print_summary(stdout, r);
        if (dir) printf("\noutputs in %s/ (summary.json, CSV per series, PNG and SVG plots)\n", dir);
        else printf("\nno outputs written (--out none)\n");
    }
    rc = o->strict && count_refuted(r) ? CLI_EXIT_REFUTED : 0;
    gd_result_free(r);
    return rc;
}

static int cmd_reproduce(int argc, char **argv, int first, cli_opts *o) {
    int rc = parse_args(argc, argv, first, o, NULL, NULL);
    if (rc) return rc;
    if (o->help) {
        printf("gdlab reproduce [--out DIR] [--seed N] [--threads N] [--strict]\n\n"
               "Runs every experiment that carries seed claims at its reproduce sizes and\n"
               "writes DIR/index.html and DIR/report.md (verdict table, scalars, claims, plots) and\n"
               "DIR/NAME/ for each.\n");
        return 0;
    }
    const char *dir = o->out ? o->out : "gdlab-report";
    size_t n;
    const gd_experiment *const *list = gd_experiment_list(&n);
    if ((rc = check_report_dir(&o->ctx, dir, list, n)) != 0) return rc;
    gd_result **res = gd_calloc(n, sizeof *res);
    if (!res) {
        fprintf(stderr, "gdlab: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    size_t nres = 0;
    int tty = isatty(2), refuted = 0;
    double t0 = gd_now();
    for (size_t i = 0; i < n && !rc; i++) {
        const gd_experiment *e = list[i];
        if (!e->reproduce) continue;
        gd_params p;
        if (gd_params_init(&p, e->params, &o->ctx) != GD_OK) { rc = CLI_EXIT_RUNTIME; break; }
        for (const char *const *kv = e->reproduce; kv[0] && !rc; kv += 2)
            if (gd_params_set(&p, kv[0], kv[1], &o->ctx) != GD_OK) {
                fprintf(stderr, "gdlab: reproduce %s: %s\n", e->name, o->ctx.err);
                rc = CLI_EXIT_RUNTIME;
            }
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->name);
        if (tty) fprintf(stderr, "[%zu/%zu] %s ...", i + 1, n, e->name), fflush(stderr);
        double t1 = gd_now();
        if (!rc) rc = run_one(e, &p, &o->ctx, sub, &res[nres]);
        gd_params_free(&p);
        if (tty) fprintf(stderr, "\r[%zu/%zu] %s ... %.1f s\033[K\n", i + 1, n, e->name, gd_now() - t1);
        if (!rc) refuted += count_refuted(res[nres++]);
    }
    if (!rc && (gd_io_write_report(&o->ctx, (const gd_result *const *)res, nres, dir) != GD_OK ||
                gd_io_write_report_html(&o->ctx, (const gd_result *const *)res, nres, dir) != GD_OK)) {
        fprintf(stderr, "gdlab: %s\n", o->ctx.err);
        rc = CLI_EXIT_RUNTIME;
    }
    if (!rc) {
        printf("%-20s %-24s %-12s %s\n", "experiment", "claim", "verdict", "source");
        for (size_t i = 0; i < nres; i++)
            for (size_t j = 0; j < res[i]->nclaims; j++) {
                const gd_claim *c = &res[i]->claims[j];
                printf("%-20s %-24s %-12s %s\n", res[i]->experiment, c->id,
                       gd_verdict_name(c->verdict), c->source);
            }
        printf("\n%zu experiments in %.1f s; report: %s/index.html (and report.md)\n", nres, gd_now() - t0, dir);
        if (o->strict && refuted) rc = CLI_EXIT_REFUTED;
    }
    for (size_t i = 0; i < nres; i++) gd_result_free(res[i]);
    gd_free(res);
    return rc;
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv) {
    int rc = dispatch(argc, argv);
    /* What was printed must have reached stdout: a full disk or a closed
     * pipe under `gdlab ... --json > F` is a runtime failure, not success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        const int e = errno;
        fprintf(stderr, "gdlab: cannot write the standard output: %s\n", e ? strerror(e) : "write error");
        if (rc == 0 || rc == CLI_EXIT_REFUTED) rc = CLI_EXIT_RUNTIME;
    }
    return rc;
}

static int dispatch(int argc, char **argv) {
    gsl_set_error_handler_off(); /* the library checks every GSL status */
    /* SIGTERM and SIGINT remove the temporaries being written (DIR.tmp.PID,
     * FILE.tmp.PID), then kill the process as before. */
    gd_io_cleanup_on_signals();
    cli_opts o = {0};
    gd_ctx_init(&o.ctx);
    o.ctx.threads = omp_get_num_procs();
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            const gd_experiment *e = gd_experiment_find(argv[2]);
            if (!e) return gd_cli_usage("help: unknown experiment '%s' (see 'gdlab list')", argv[2]);
            print_experiment_help(e);
            return 0;
        }
        fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("gdlab %s\n", GD_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "completion")) {
        if (argc != 3 || strcmp(argv[2], "bash"))
            return gd_cli_usage("completion: expected 'gdlab completion bash'%s", "");
        print_bash_completion();
        return 0;
    }
    if (!strcmp(cmd, "list")) {
        size_t n;
        const gd_experiment *const *list = gd_experiment_list(&n);
        for (size_t i = 0; i < n; i++)
            printf("%-20s %s\n", list[i]->name, list[i]->summary);
        return 0;
    }
    if (!strcmp(cmd, "reproduce")) return cmd_reproduce(argc, argv, 2, &o);
    if (!strcmp(cmd, "sweep")) return gd_cli_sweep(argc, argv, &o.ctx);
    if (!strcmp(cmd, "query")) return gd_cli_query(argc, argv, &o.ctx);
    if (!strcmp(cmd, "export")) return gd_cli_export(argc, argv, &o.ctx);
    if (!strcmp(cmd, "plot")) return gd_cli_plot(argc, argv, &o.ctx);
    if (!strcmp(cmd, "run")) {
        if (argc < 3 || argv[2][0] == '-') {
            if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
                fputs(USAGE, stdout);
                return 0;
            }
            return gd_cli_usage("run: expected an experiment name%s (see 'gdlab list')", "");
        }
        const gd_experiment *e = gd_experiment_find(argv[2]);
        if (!e) return gd_cli_usage("run: unknown experiment '%s' (see 'gdlab list')", argv[2]);
        return cmd_run(e, argc, argv, 3, &o);
    }
    const gd_experiment *e = gd_experiment_find(cmd);
    if (e) return cmd_run(e, argc, argv, 2, &o);
    return gd_cli_usage("unknown command '%s'", cmd);
}
