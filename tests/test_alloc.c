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
 * experiment. Every experiment in the registry needs a row in
 * tests/small_runs.h. */
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

#include "small_runs.h"

static char root[256];

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
static gd_status run_case(const gd_experiment *e, const small_run *c, gd_ctx *ctx,
                          const char *out) {
    gd_result *r;
    gd_status st = small_run_exec(e, c, ctx, &r);
    if (st == GD_OK) st = gd_io_write_result_data(ctx, r, out);
    gd_result_free(r);
    return st;
}

static void check_case(const small_run *c) {
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
    if (small_runs_csv(csvdir) != 0) return 1;

    small_runs_each(argc, argv, check_case);

    gd_io_remove_tree(root);
    gd_io_remove_tree(csvdir);
    return gdt_summary();
}
