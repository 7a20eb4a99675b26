/* Tests of the scaling-law fitter (fit.h): the objectives' gradients
 * against central differences, exact recovery of known parameters from
 * noise-free data for the three forms, the two routes to the Chinchilla
 * optimum, the compute-optimal allocation, the bootstrap's determinism and
 * its coverage of known parameters under noise (at a stated rate), and the
 * named-column CSV reader's errors. */
#include "gdlab/data.h"
#include "gdlab/fit.h"
#include "gdlab/rng.h"
#include "gdtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NP 120

/* Chinchilla-like points: N log-uniform in [1e8, 1e10], D in [1e9, 3e11]. */
static void points(gd_rng *r, double *N, double *D, size_t n) {
    for (size_t i = 0; i < n; i++)
        N[i] = 1e8 * pow(100, gd_rng_uniform(r)), D[i] = 1e9 * pow(300, gd_rng_uniform(r));
}

static void test_gradients(void) {
    gd_rng r;
    gd_rng_stream_init(&r, 1, "test-fit-grad", 0, 0);
    double N[NP], D[NP], L[NP];
    points(&r, N, D, NP);
    for (size_t i = 0; i < NP; i++) L[i] = 1.8 + 400 * pow(N[i], -0.34) + 2000 * pow(D[i], -0.37) + 0.05 * gd_rng_normal(&r);
    gd_fit_data d = {NP, N, D, L, NULL};
    double worst = 0;
    /* Huber at delta 1e-6 (every residual on the linear branch) and 100
     * (the quadratic one): a difference across the kink |r| = delta is
     * O(h), not a gradient error. */
    for (int f = 0; f < 3; f++)
        for (int o = 0; o < 4; o++) {
            gd_fit_spec s = gd_fit_default_spec();
            s.form = (gd_fit_form)f, s.objective = o == 3 ? GD_FIT_HUBER : (gd_fit_objective)o;
            s.delta = o == 0 ? 1e-6 : 100;
            const size_t np = gd_fit_nparams(s.form);
            double th[GD_FIT_MAXP] = {6, 7, 0.5, 0.3, 0.35, 0.2}, g[GD_FIT_MAXP], t[GD_FIT_MAXP];
            if (f == GD_FIT_BPL) th[4] = log(1e9);
            th[f == GD_FIT_CHINCHILLA ? 2 : 1] = log(5.0); /* every residual > 0.5: away from every kink */
            gd_fit_objective_value(&s, &d, th, g);
            for (size_t j = 0; j < np; j++) {
                /* central differences at h and h/2, Richardson-extrapolated: O(h^4) */
                double dd[2];
                for (int k = 0; k < 2; k++) {
                    const double h = (k ? 0.5e-4 : 1e-4) * fmax(1, fabs(th[j]));
                    memcpy(t, th, sizeof t);
                    t[j] = th[j] + h;
                    const double fp = gd_fit_objective_value(&s, &d, t, NULL);
                    t[j] = th[j] - h;
                    dd[k] = (fp - gd_fit_objective_value(&s, &d, t, NULL)) / (2 * h);
                }
                const double e = fabs((4 * dd[1] - dd[0]) / 3 - g[j]) / fmax(fabs(g[j]), 1e-9);
                worst = fmax(worst, e);
            }
        }
    gdt_check(worst < 1e-6, "gradients of 3 forms x 4 objectives (huber on both branches, lsq, asym) against central differences: worst relative %.2g", worst);
}

/* Noise-free data from known parameters: the fit must return them. */
static void test_recovery(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_rng r;
    gd_rng_stream_init(&r, 2, "test-fit-rec", 0, 0);
    double N[NP], D[NP], L[NP];
    points(&r, N, D, NP);
    const double truth[3][6] = {{log(400), log(2000), log(1.8), 0.34, 0.37, 0},
                                {log(30), log(1.5), 0.3, 0, 0, 0},
                                {log(30), log(1.5), 0.1, 0.4, log(1e9), log(0.5)}};
    for (int f = 0; f < 3; f++) {
        gd_fit_spec s = gd_fit_default_spec();
        s.form = (gd_fit_form)f;
        for (size_t i = 0; i < NP; i++) L[i] = gd_fit_predict(&s, truth[f], N[i], D[i]);
        gd_fit_data d = {NP, N, D, L, NULL};
        gd_fit_result res;
        const gd_status st = gd_fit_run(&ctx, &s, &d, 50, &res);
        double want[GD_FIT_MAXP], got[GD_FIT_MAXP], err = 0;
        const size_t np = gd_fit_report(&s, truth[f], want);
        gd_fit_report(&s, res.theta, got);
        for (size_t j = 0; j < np; j++) err = fmax(err, fabs(got[j] - want[j]) / fabs(want[j]));
        gdt_check(st == GD_OK && err < 1e-5 && res.objective < 1e-20,
                  "%s: noise-free recovery to %.2g relative (objective %.2g, %zu of %zu starts at the best)",
                  gd_fit_form_name(s.form), err, res.objective, res.starts_at_best, res.starts);
    }
}

/* Under noise: the two routes agree, and the bootstrap intervals cover
 * the truth at about their level. 10 data sets x 5 parameters = 50
 * intervals of nominal 95%: at least 40 must cover (the expected 47.5 less
 * 5 binomial standard deviations). */
static void test_noise(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const double truth[5] = {log(400), log(2000), log(1.8), 0.34, 0.37};
    double want[5];
    gd_fit_spec s = gd_fit_default_spec();
    gd_fit_report(&s, truth, want);
    int cover = 0, total = 0;
    double route = 0;
    for (int rep = 0; rep < 10; rep++) {
        gd_rng r;
        gd_rng_stream_init(&r, 3, "test-fit-noise", (uint64_t)rep, 0);
        double N[NP], D[NP], L[NP];
        points(&r, N, D, NP);
        for (size_t i = 0; i < NP; i++) L[i] = gd_fit_predict(&s, truth, N[i], D[i]) * exp(0.01 * gd_rng_normal(&r));
        gd_fit_data d = {NP, N, D, L, NULL};
        gd_fit_result res;
        double vt[5], vF, boot[150 * 5];
        gd_fit_run(&ctx, &s, &d, 20, &res);
        gd_fit_varpro(&ctx, &s, &d, vt, &vF);
        route = fmax(route, fabs(vF - res.objective) / res.objective);
        gd_fit_bootstrap(&ctx, &s, &d, NULL, &res, 150, (uint64_t)rep, boot);
        for (int j = 0; j < 5; j++) {
            const gd_fit_interval iv = gd_fit_percentiles(boot + j, 150, 5, 0.95);
            cover += iv.lo <= want[j] && want[j] <= iv.hi, total++;
        }
    }
    gdt_check(route < 1e-9, "L-BFGS and variable projection: objectives within %.2g relative on 10 noisy sets", route);
    gdt_check(cover >= 40, "bootstrap 95%% intervals cover the truth %d of %d times (at least 40)", cover, total);
}

static void test_bootstrap_threads(void) {
    gd_ctx c1, c2;
    gd_ctx_init(&c1), gd_ctx_init(&c2);
    c1.threads = 1, c2.threads = 2;
    gd_rng r;
    gd_rng_stream_init(&r, 4, "test-fit-thr", 0, 0);
    double N[60], D[60], L[60], b1[40 * 5], b2[40 * 5];
    points(&r, N, D, 60);
    gd_fit_spec s = gd_fit_default_spec();
    const double truth[5] = {log(400), log(2000), log(1.8), 0.34, 0.37};
    for (int i = 0; i < 60; i++) L[i] = gd_fit_predict(&s, truth, N[i], D[i]) * exp(0.01 * gd_rng_normal(&r));
    gd_fit_data d = {60, N, D, L, NULL};
    gd_fit_result res;
    gd_fit_run(&c1, &s, &d, 20, &res);
    gd_fit_bootstrap(&c1, &s, &d, NULL, &res, 40, 9, b1);
    gd_fit_bootstrap(&c2, &s, &d, NULL, &res, 40, 9, b2);
    gdt_check(!memcmp(b1, b2, sizeof b1), "bootstrap: 1 and 2 threads give the same resamples bit for bit");
    /* groups: every point its own group is the ordinary bootstrap */
    long g[60];
    for (int i = 0; i < 60; i++) g[i] = 100 + i;
    gd_fit_bootstrap(&c2, &s, &d, g, &res, 40, 9, b2);
    gdt_check(!memcmp(b1, b2, sizeof b1), "a group per point resamples as the ordinary bootstrap");
}

static void test_optimal(void) {
    const double th[5] = {log(400), log(2000), log(1.8), 0.34, 0.37};
    const double C = 1e23;
    const gd_fit_optimal o = gd_fit_compute_optimal(th, C);
    gd_fit_spec s = gd_fit_default_spec();
    const double L0 = gd_fit_predict(&s, th, o.N_opt, o.D_opt);
    const double Lp = gd_fit_predict(&s, th, o.N_opt * 1.01, o.D_opt / 1.01);
    const double Lm = gd_fit_predict(&s, th, o.N_opt / 1.01, o.D_opt * 1.01);
    gdt_check(fabs(6 * o.N_opt * o.D_opt / C - 1) < 1e-12 && L0 < Lp && L0 < Lm && fabs(o.a + o.b - 1) < 1e-15,
              "compute-optimal: 6 N D = C, a + b = 1, and the loss rises 1%% either side (%.10g < %.10g, %.10g)", L0,
              Lp, Lm);
    double v[5] = {5, 1, 4, 2, 3};
    const gd_fit_interval iv = gd_fit_percentiles(v, 5, 1, 0.5);
    gdt_check(iv.lo == 2 && iv.hi == 4 && fabs(iv.sd - sqrt(2.5)) < 1e-15, "percentiles: [%g, %g], sd %g", iv.lo,
              iv.hi, iv.sd);
}

static char *write_tmp(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/gdlab-test-fit-%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_columns(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    double *v;
    size_t *ln, n;
    const char *nm[2] = {"N", "loss"};
    char *p = write_tmp("id, N ,color,\"loss\"\n1,100,#fff,3.5\n\n2,200,#000,3.25\n");
    gd_status st = gd_data_load_columns(&ctx, p, 2, nm, &v, &ln, &n);
    gdt_check(st == GD_OK && n == 2 && v[0] == 100 && v[1] == 3.5 && v[2] == 200 && v[3] == 3.25 && ln[1] == 4,
              "named columns: trimmed and quoted names, text columns skipped, a blank line skipped");
    if (st == GD_OK) gd_free(v), gd_free(ln);
    p = write_tmp("N,loss\n1,2\n3,x\n");
    st = gd_data_load_columns(&ctx, p, 2, nm, &v, &ln, &n);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "line 3, column 'loss': expected a finite number, got 'x'"), "%s",
              ctx.err);
    p = write_tmp("N,lost\n1,2\n");
    st = gd_data_load_columns(&ctx, p, 2, nm, &v, &ln, &n);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "no column 'loss' (the header is 'N,lost')"), "%s", ctx.err);
    p = write_tmp("N,loss\n1\n");
    st = gd_data_load_columns(&ctx, p, 2, nm, &v, &ln, &n);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "line 2"), "a short row: %s", ctx.err);
    remove(p);
}

int main(void) {
    test_gradients();
    test_recovery();
    test_noise();
    test_bootstrap_threads();
    test_optimal();
    test_columns();
    return gdt_summary();
}
