/* Allocation-failure injection over every experiment (issue 13).
 *
 * For each experiment, one run at small parameters is counted (n
 * allocations through gd_malloc, run and gd_io_write_result_data
 * together); then for every k < n the k-th allocation and all later ones
 * fail. Each such run must end with GD_ENOMEM (the command's exit 3), a
 * message that says "out of memory", and nothing on disk: neither the run
 * directory nor a temporary. Under AddressSanitizer (build-san) a leak on
 * any of these paths fails the test too. Finally k = n must succeed and
 * write summary.json, so the count is the whole run.
 *
 * Plots are left out here (PLplot's allocations are not gd_malloc's; test_io
 * injects failures into the plot writer). `test_alloc NAME` runs one
 * experiment. Every experiment in the registry needs a row in `cases`. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>

#include "gdlab/experiment.h"
#include "gdlab/io.h"
#include "gdtest.h"
#include "io/io_internal.h"

typedef struct alloc_case {
    const char *name;
    const char *args[24]; /* name, value, ..., NULL */
} alloc_case;

#define FIT_CSV "@fit.csv" /* replaced by the path of a small runs file */

/* Small runs of every experiment: each code path the defaults take, at
 * sizes that keep the whole test within a minute or two. */
static const alloc_case cases[] = {
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

static char root[256];
static char fit_csv[300];

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Number of entries of root (the runs write only below it). */
static int entries(void) {
    DIR *d = opendir(root);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* One run of c: parameters, run, then the data files into root/out.
 * Allocation failures are injected by the caller around it. */
static gd_status run_case(const gd_experiment *e, const alloc_case *c, gd_ctx *ctx,
                          const char *out) {
    gd_params p;
    gd_status st = gd_params_init(&p, e->params, ctx);
    if (st != GD_OK) return st;
    for (const char *const *kv = c->args; st == GD_OK && kv[0]; kv += 2)
        st = gd_params_set(&p, kv[0], strcmp(kv[1], FIT_CSV) ? kv[1] : fit_csv, ctx);
    gd_result *r = NULL;
    if (st == GD_OK) {
        r = gd_result_new(e->name, ctx->seed);
        if (!r) st = gd_error(ctx, GD_ENOMEM, "out of memory");
    }
    if (st == GD_OK) st = gd_experiment_run(e, &p, ctx, r);
    if (st == GD_OK) st = gd_io_write_result_data(ctx, r, out);
    gd_result_free(r);
    gd_params_free(&p);
    return st;
}

static void check_case(const alloc_case *c) {
    const gd_experiment *e = gd_experiment_find(c->name);
    if (!gdt_check(e != NULL, "%s is an experiment", c->name)) return;
    char out[300], sum[320];
    snprintf(out, sizeof out, "%s/%s", root, c->name);
    snprintf(sum, sizeof sum, "%s/summary.json", out);
    gd_ctx ctx;
    gd_ctx_init(&ctx);

    /* Count the allocations of a whole run (a limit never reached). */
    gd_alloc_fail_after(0x7fffffffL);
    gd_status st = run_case(e, c, &ctx, out);
    long n = gd_alloc_fail_after(-1);
    if (!gdt_check(st == GD_OK && exists(sum), "%s: the run succeeds (%ld allocations)%s%s", c->name,
                   n, st == GD_OK ? "" : ": ", st == GD_OK ? "" : ctx.err))
        return;
    gd_io_remove_tree(out);

    long bad = 0;
    const double t0 = gd_now();
    for (long k = 0; k < n; k++) {
        gd_alloc_fail_after(k);
        st = run_case(e, c, &ctx, out);
        gd_alloc_fail_after(-1);
        int left = entries();
        int ok = st == GD_ENOMEM && strstr(ctx.err, "out of memory") && left == 0;
        if (!ok && bad++ < 3)
            gdt_check(0, "%s: allocation %ld of %ld failed: %s (status %s, %d entries left)",
                      c->name, k, n, ctx.err, gd_status_name(st), left);
        if (left) gd_io_remove_tree(out);
    }
    gdt_check(bad == 0, "%s: each of its %ld allocations failed in turn ends in 'out of memory' "
              "and leaves nothing on disk (%ld did not; %.1f s)", c->name, n, bad, gd_now() - t0);

    gd_alloc_fail_after(n);
    st = run_case(e, c, &ctx, out);
    gd_alloc_fail_after(-1);
    gdt_check(st == GD_OK && exists(sum), "%s: with the first %ld allocations allowed the run "
              "succeeds again", c->name, n);
    gd_io_remove_tree(out);
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    snprintf(root, sizeof root, "%s/gdlab-alloc-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    char csvdir[256];
    snprintf(csvdir, sizeof csvdir, "%s/gdlab-alloc-csv-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root) || !mkdtemp(csvdir)) {
        perror("mkdtemp");
        return 1;
    }
    /* Eight runs of a Chinchilla-like law L = 1.7 + 400/N^0.34 + 410/D^0.28. */
    snprintf(fit_csv, sizeof fit_csv, "%s/runs.csv", csvdir);
    FILE *f = fopen(fit_csv, "w");
    if (!f) {
        perror(fit_csv);
        return 1;
    }
    fputs("N,D,loss\n", f);
    static const double nd[8][2] = {{1e7, 2e8}, {3e7, 6e8}, {1e8, 2e9}, {3e8, 6e9},
                                    {1e7, 2e9}, {3e7, 2e8}, {1e8, 6e8}, {3e8, 2e10}};
    for (int i = 0; i < 8; i++)
        fprintf(f, "%g,%g,%.6f\n", nd[i][0], nd[i][1],
                1.7 + 400 / pow(nd[i][0], 0.34) + 410 / pow(nd[i][1], 0.28));
    fclose(f);

    size_t ne;
    const gd_experiment *const *list = gd_experiment_list(&ne);
    const size_t nc = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < ne; i++) {
        size_t j = 0;
        while (j < nc && strcmp(cases[j].name, list[i]->name)) j++;
        gdt_check(j < nc, "%s has a row in test_alloc's cases", list[i]->name);
    }
    for (size_t j = 0; j < nc; j++)
        if (argc < 2 || !strcmp(argv[1], cases[j].name)) check_case(&cases[j]);

    gd_io_remove_tree(root);
    gd_io_remove_tree(csvdir);
    return gdt_summary();
}
