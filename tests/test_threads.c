/* The same numbers for any thread count (DESIGN.md), over every
 * experiment: each small run of tests/small_runs.h at --threads 1 and 2
 * must give the same summary (scalars, claims with their evidence, notes,
 * status; elapsed time aside) and the same bits in every series. The
 * calling thread's OpenBLAS is set to the run's thread count as the command
 * sets it. `test_threads NAME` runs one experiment. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "gdlab/experiment.h"
#include "gdlab/io.h"
#include "gdtest.h"
#include "io/io_internal.h"
#include "small_runs.h"

static gd_result *run_at(const gd_experiment *e, const small_run *c, int threads, char *err, size_t len) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.threads = threads;
    openblas_set_num_threads(threads);
    gd_result *r;
    if (small_run_exec(e, c, &ctx, &r) != GD_OK) {
        snprintf(err, len, "%s", ctx.err);
        return NULL;
    }
    r->elapsed_s = 0;
    return r;
}

/* The first series that differs in shape or in any bit, or NULL. */
static const char *series_differ(const gd_result *a, const gd_result *b) {
    if (a->nseries != b->nseries) return "(the number of series)";
    for (size_t i = 0; i < a->nseries; i++) {
        const gd_series *x = a->series[i], *y = b->series[i];
        if (x->ncols != y->ncols || x->nrows != y->nrows ||
            (x->nrows && memcmp(x->data, y->data, x->nrows * x->ncols * sizeof *x->data)))
            return x->name;
    }
    return NULL;
}

static void check_case(const small_run *c) {
    const gd_experiment *e = gd_experiment_find(c->name);
    if (!gdt_check(e != NULL, "%s is an experiment", c->name)) return;
    char err[1024];
    gd_result *r1 = run_at(e, c, 1, err, sizeof err);
    if (!gdt_check(r1 != NULL, "%s runs on 1 thread%s%s", c->name, r1 ? "" : ": ", r1 ? "" : err)) return;
    gd_result *r2 = run_at(e, c, 2, err, sizeof err);
    if (gdt_check(r2 != NULL, "%s runs on 2 threads%s%s", c->name, r2 ? "" : ": ", r2 ? "" : err)) {
        char *j1 = gd_io_summary_json(r1), *j2 = gd_io_summary_json(r2);
        size_t at = 0;
        while (j1 && j2 && j1[at] && j1[at] == j2[at]) at++;
        int same = j1 && j2 && !strcmp(j1, j2);
        gdt_check(same, "%s: the same summary on 1 and 2 threads%s%.60s", c->name,
                  same ? "" : "; from byte ", same || !j1 ? "" : j1 + (at > 20 ? at - 20 : 0));
        const char *d = series_differ(r1, r2);
        gdt_check(!d, "%s: every series the same bits on 1 and 2 threads%s%s", c->name,
                  d ? "; differs: " : "", d ? d : "");
        gd_free(j1), gd_free(j2);
    }
    gd_result_free(r1), gd_result_free(r2);
}

int main(int argc, char **argv) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/gdlab-threads-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir) || small_runs_csv(dir) != 0) {
        perror(dir);
        return 1;
    }
    small_runs_each(argc, argv, check_case);
    gd_io_remove_tree(dir);
    return gdt_summary();
}
