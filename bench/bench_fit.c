/* Times gdlab's Chinchilla scaling-law fit (fit.h) on Hoffmann et al.'s
 * runs (data/chinchilla.csv, D = C / (6 N), the 5 highest losses dropped:
 * 240 points, Huber delta 1e-3 summed): gd_fit_run with 100 screened
 * starts, and gd_fit_bootstrap with K resamples from its optimum, each on
 * THREADS threads and on 1. Best of REPS wall-clock runs (the bootstrap:
 * of min(REPS, 2)). Prints one JSON line.
 * Usage: bench_fit [K [THREADS [REPS [CSV]]]]   (default 1000 2 3 data/chinchilla.csv) */
#include "gdlab/data.h"
#include "gdlab/fit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_dbl(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the finite v[k stride]. */
static double median(const double *v, size_t K, size_t stride) {
    double *t = malloc((K ? K : 1) * sizeof *t);
    size_t m = 0;
    for (size_t k = 0; k < K; k++)
        if (v[k * stride] == v[k * stride] && v[k * stride] - v[k * stride] == 0) t[m++] = v[k * stride];
    qsort(t, m, sizeof *t, cmp_dbl);
    const double r = m == 0 ? 0.0 / 0.0 : m % 2 ? t[m / 2] : 0.5 * (t[m / 2 - 1] + t[m / 2]);
    free(t);
    return r;
}

/* A number, or null when not finite (JSON has no NaN). */
static void put_num(double x) {
    if (x == x && x - x == 0) printf("%.17g", x);
    else printf("null");
}

static void put_vec(const char *name, const double *v, size_t n) {
    printf(", \"%s\": [", name);
    for (size_t j = 0; j < n; j++) printf("%s", j ? ", " : ""), put_num(v[j]);
    printf("]");
}

/* The grid of fit.c's grid_point (log A fastest, then log B, log E, alpha,
 * beta), screened here through the public objective, outside the timings:
 * the best 100 indices, ascending, for run_fit to compare with the peer's. */
typedef struct kf {
    double F;
    size_t k;
} kf;

static int cmp_kf(const void *a, const void *b) {
    const kf *x = a, *y = b;
    if (x->F != y->F) return x->F > y->F ? 1 : -1;
    return (x->k > y->k) - (x->k < y->k); /* ties by index, as the peer's stable argsort */
}

static int cmp_size(const void *a, const void *b) {
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void screen_top(const gd_fit_spec *s, const gd_fit_data *d, size_t top, size_t *out, double *gap) {
    static const double E5[6] = {-1, -0.5, 0, 0.5, 1, 1.5};
    const size_t G = 5400;
    kf *v = malloc(G * sizeof *v);
    for (size_t k = 0; k < G; k++) {
        size_t q = k;
        double th[5];
        th[0] = 5.0 * (double)(q % 6), q /= 6;
        th[1] = 5.0 * (double)(q % 6), q /= 6;
        th[2] = E5[q % 6], q /= 6;
        th[3] = 0.5 * (double)(q % 5), q /= 5;
        th[4] = 0.5 * (double)(q % 5);
        const double F = gd_fit_objective_value(s, d, th, NULL);
        v[k] = (kf){F == F ? F : 1e300, k};
    }
    qsort(v, G, sizeof *v, cmp_kf);
    for (size_t j = 0; j < top; j++) out[j] = v[j].k;
    qsort(out, top, sizeof *out, cmp_size);
    *gap = (v[top].F - v[top - 1].F) / v[top - 1].F; /* ties here would make the set ambiguous */
    free(v);
}

int main(int argc, char **argv) {
    const size_t K = argc > 1 ? (size_t)atol(argv[1]) : 1000;
    const int threads = argc > 2 ? atoi(argv[2]) : 2;
    const int reps = argc > 3 ? atoi(argv[3]) : 3;
    const char *path = argc > 4 ? argv[4] : "data/chinchilla.csv";
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const char *names[3] = {"Model Size", "Training FLOP", "loss"};
    double *v;
    size_t *lines, n;
    if (gd_data_load_columns(&ctx, path, 3, names, &v, &lines, &n) != GD_OK) {
        fprintf(stderr, "bench_fit: %s\n", ctx.err);
        return 1;
    }
    /* drop the 5 highest losses (ties by file order, as chinchilla-fit) */
    int *keep = malloc(n * sizeof *keep);
    for (size_t i = 0; i < n; i++) keep[i] = 1;
    for (int t = 0; t < 5 && t < (int)n; t++) {
        size_t best = (size_t)-1;
        for (size_t i = 0; i < n; i++)
            if (keep[i] && (best == (size_t)-1 || v[3 * i + 2] > v[3 * best + 2])) best = i;
        keep[best] = 0;
    }
    double *N = malloc(3 * n * sizeof *N), *D = N + n, *L = D + n;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) N[m] = v[3 * i], D[m] = v[3 * i + 1] / (6 * v[3 * i]), L[m] = v[3 * i + 2], m++;
    const gd_fit_data data = {m, N, D, L, NULL};
    const gd_fit_spec spec = gd_fit_default_spec();
    const size_t np = gd_fit_nparams(spec.form);

    gd_fit_result res;
    double fit_t[2] = {1e300, 1e300};
    const int tcount[2] = {threads, 1};
    for (int c = 0; c < 2; c++) {
        ctx.threads = tcount[c];
        for (int rep = 0; rep < reps; rep++) {
            const double t0 = gd_now();
            if (gd_fit_run(&ctx, &spec, &data, 100, &res) != GD_OK) {
                fprintf(stderr, "bench_fit: %s\n", ctx.err);
                return 1;
            }
            const double t = gd_now() - t0;
            if (t < fit_t[c]) fit_t[c] = t;
        }
    }

    double *out = malloc((K ? K : 1) * np * sizeof *out);
    double boot_t[2] = {1e300, 1e300};
    const int breps = reps < 2 ? reps : 2;
    for (int c = 0; c < 2; c++) {
        ctx.threads = tcount[c];
        for (int rep = 0; rep < (c ? 1 : breps); rep++) {
            const double t0 = gd_now();
            if (gd_fit_bootstrap(&ctx, &spec, &data, NULL, &res, K, ctx.seed, out) != GD_OK) {
                fprintf(stderr, "bench_fit: %s\n", ctx.err);
                return 1;
            }
            const double t = gd_now() - t0;
            if (t < boot_t[c]) boot_t[c] = t;
        }
    }
    size_t top[100];
    double gap;
    screen_top(&spec, &data, 100, top, &gap);
    size_t finite = 0;
    for (size_t k = 0; k < K; k++) finite += out[k * np + 3] == out[k * np + 3];

    printf("{\"n\": %zu, \"threads\": %d, \"fit_seconds\": %.6f, \"fit_seconds_1t\": %.6f", m, threads, fit_t[0],
           fit_t[1]);
    printf(", \"objective\": %.17g, \"grad_norm\": %.3g, \"starts\": %zu, \"starts_at_best\": %zu, \"grid\": %zu",
           res.objective, res.grad_norm, res.starts, res.starts_at_best, res.grid);
    put_vec("theta", res.theta, np);
    printf(", \"second_objective\": "), put_num(res.second_objective);
    put_vec("second", res.second, np);
    printf(", \"K\": %zu, \"boot_seconds\": %.6f, \"boot_seconds_1t\": %.6f, \"boot_finite\": %zu", K, boot_t[0],
           boot_t[1], finite);
    printf(", \"median_alpha\": "), put_num(median(out + 3, K, np));
    printf(", \"median_beta\": "), put_num(median(out + 4, K, np));
    printf(", \"screen_gap\": %.3g, \"screen_top\": [", gap);
    for (size_t j = 0; j < 100; j++) printf("%s%zu", j ? ", " : "", top[j]);
    printf("]}\n");
    free(out), free(N), free(keep);
    gd_free(v), gd_free(lines);
    return 0;
}
