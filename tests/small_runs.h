/* Small runs of every experiment, shared by test_alloc (allocation
 * failures) and test_threads (the same numbers for 1 and 2 threads): each
 * code path the defaults take, at sizes that keep those tests within a
 * couple of minutes. Every experiment of the registry needs a row (both
 * tests fail otherwise). */
#ifndef GDLAB_SMALL_RUNS_H
#define GDLAB_SMALL_RUNS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gdlab/experiment.h"
#include "gdtest.h"

typedef struct small_run {
    const char *name;
    const char *args[24]; /* name, value, ..., NULL */
} small_run;

#define FIT_CSV "@fit.csv" /* replaced by the path of a small runs file */

static const small_run small_runs[] = {
    {"sgd-1d", {"steps", "20", "replicas", "64", "eta", "opt", NULL}},
    {"sgd-zipf", {"width", "16", "steps", "20", "replicas", "16", NULL}},
    {"sgd-zipf-exponents", {"n-min", "8", "n-max", "80", "t-min", "8", "t-max", "80",
                            "a-grid", "1", "b-grid", "1", NULL}},
    {"sgd-diag", {"width", "16", "steps", "20", "replicas", "8", NULL}},
    {"eos", {"subset", "40", "hidden", "8", "steps", "6", "eig-every", "3", "eta", "0.1",
             "density-probes", "0", NULL}},
    {"eos-momentum", {"subset", "40", "hidden", "8", "steps", "6", "eig-every", "3",
                      "eta", "0.1", "density-probes", "0", NULL}},
    {"eos-adam", {"subset", "40", "hidden", "8", "steps", "6", "eig-every", "3",
                  "eta", "0.001", "density-probes", "0", NULL}},
    {"stability", {"m", "12", "b-grid", "2,4", "replicas", "10", "sim-steps", "20",
                   "gd-steps", "20", "flat-runs", "2:4", NULL}},
    {"regimes", {"steps", "20", NULL}},
    {"modified-flow", {"eta", "0.01:0.1:4", NULL}},
    {"balancing", {"seeds", "2", "steps", "200", "eta-l0", "0.5:1.5:2", "eta", "0.05", NULL}},
    /* one eta: each eta of a sweep costs a Gibbs density of 4,000 Chebyshev terms */
    {"multiscale", {"steps", "1000", "transient", "20", "bins", "10", NULL}},
    {"orbit", {"transient", "50", "steps", "20", NULL}},
    {"orbit-diagram", {"eta", "0.5:1.5:4", "transient", "50", "steps", "16",
                       "plot-points", "8", NULL}},
    {"lyapunov", {"eta", "0.5:1.5:3", "transient", "50", "steps", "40", "batches", "4", NULL}},
    {"basins", {"grid", "-2:2:4,-2:2:4", "transient", "50", "balance-etas", "", "alt-etas", "", NULL}},
    {"modadd", {"p", "5", "width", "8", "steps", "10", "eval-every", "5", NULL}},
    {"modadd-gromov", {"p", "5", "width", "8", "steps", "10", "eval-every", "5", NULL}},
    {"rope-base", {"dim", "8", "context", "64", NULL}},
    {"claim-probability", {"j-max", "6", "grid", "16", NULL}},
    {"claim-cosine", {"trials", "4", NULL}},
    {"claim-logsumexp", {"trials", "4", "max-n", "4", NULL}},
    {"claim-regret", {"steps", "8", "starts", "1", "iters", "4", "paths", "8", NULL}},
    {"claim-sphere", {"dim", "4", "trials", "4", "directions", "4", "shapes", "3x2", NULL}},
    {"claim-rope", {"max-context", "1024", "search-max-context", "1024", NULL}},
    {"claim-gradpenalty", {"archs", "2-2-1", "activations", "relu", "starts", "1",
                           "iters", "10", "hidden", "4", "train-steps", "5", NULL}},
    {"fit", {"file", FIT_CSV, "starts", "2", "bootstrap", "0", NULL}},
    {"chinchilla-fit", {"file", FIT_CSV, "n-col", "N", "d-col", "D", "loss-col", "loss",
                        "drop-highest", "0", "starts", "2", "bootstrap", "100", NULL}},
};

static char small_runs_csv_path[300];

/* Writes DIR/runs.csv, eight runs of the Chinchilla-like law L = 1.7 +
 * 400/N^0.34 + 410/D^0.28, for FIT_CSV. 0, or -1 (with perror). */
static int small_runs_csv(const char *dir) {
    snprintf(small_runs_csv_path, sizeof small_runs_csv_path, "%s/runs.csv", dir);
    FILE *f = fopen(small_runs_csv_path, "w");
    if (!f) {
        perror(small_runs_csv_path);
        return -1;
    }
    fputs("N,D,loss\n", f);
    static const double nd[8][2] = {{1e7, 2e8}, {3e7, 6e8}, {1e8, 2e9}, {3e8, 6e9},
                                    {1e7, 2e9}, {3e7, 2e8}, {1e8, 6e8}, {3e8, 2e10}};
    for (int i = 0; i < 8; i++)
        fprintf(f, "%g,%g,%.6f\n", nd[i][0], nd[i][1],
                1.7 + 400 / pow(nd[i][0], 0.34) + 410 / pow(nd[i][1], 0.28));
    return fclose(f) == 0 ? 0 : -1;
}

/* A row's value with FIT_CSV replaced by the file's path. */
static const char *small_run_value(const char *v) {
    return strcmp(v, FIT_CSV) ? v : small_runs_csv_path;
}

/* Runs e with the parameters of c into *out (the caller frees it); on
 * failure *out is NULL and ctx->err says why. */
static gd_status small_run_exec(const gd_experiment *e, const small_run *c, gd_ctx *ctx, gd_result **out) {
    *out = NULL;
    gd_params p;
    gd_status st = gd_params_init(&p, e->params, ctx);
    if (st != GD_OK) return st;
    for (const char *const *kv = c->args; st == GD_OK && kv[0]; kv += 2)
        st = gd_params_set(&p, kv[0], small_run_value(kv[1]), ctx);
    gd_result *r = NULL;
    if (st == GD_OK && !(r = gd_result_new(e->name, ctx->seed))) st = gd_error(ctx, GD_ENOMEM, "out of memory");
    if (st == GD_OK) st = gd_experiment_run(e, &p, ctx, r);
    gd_params_free(&p);
    if (st != GD_OK) gd_result_free(r);
    else *out = r;
    return st;
}

/* Checks that every experiment of the registry has a row, then calls f on
 * each row (only the one named argv[1] when given). */
static void small_runs_each(int argc, char **argv, void (*f)(const small_run *)) {
    size_t ne;
    const gd_experiment *const *list = gd_experiment_list(&ne);
    const size_t nc = sizeof small_runs / sizeof *small_runs;
    for (size_t i = 0; i < ne; i++) {
        size_t j = 0;
        while (j < nc && strcmp(small_runs[j].name, list[i]->name)) j++;
        gdt_check(j < nc, "%s has a row in tests/small_runs.h", list[i]->name);
    }
    int ran = 0;
    for (size_t j = 0; j < nc; j++)
        if (argc < 2 || !strcmp(argv[1], small_runs[j].name)) f(&small_runs[j]), ran++;
    if (argc >= 2) gdt_check(ran == 1, "'%s' is a row of tests/small_runs.h", argv[1]);
}

#endif
