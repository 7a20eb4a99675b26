/* claim-cosine: large cosines on every block do not make a large global
 * cosine (Su, kexue.fm, 9 Jan; seed 002). The construction, a Simpson's-
 * paradox data set, and the search for violations of the upper bound
 * C <= max_i c_i (src/claims/cosine.c): it holds when some block cosine
 * is >= 0 and fails when all are negative. */
#include "common.h"
#include "gdlab/claims.h"

#include <math.h>
#include <stdio.h>

static const char SRC_COS[] = "seed 002 (Su, kexue.fm, 9 Jan: local and global cosine similarity)";

static const gd_param_spec params_cos[] = {
    {"trials", GD_PARAM_INT, "300", 1, 1e7, 0, "random instances, each refined by a local search"},
    {"blocks", GD_PARAM_INT, "8", 1, 64, 0, "at most this many blocks per instance"},
    {"block-size", GD_PARAM_INT, "8", 1, 64, 0, "at most this many entries per block"},
    {"epsilon", GD_PARAM_REAL, "0.01", 0, 1, GD_PARAM_OPEN_MIN,
     "the construction x = (1, eps), y = (eps, 1) in two blocks of one entry"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

/* Pearson correlation of (u, v), n points. */
static double corr(const double *u, const double *v, size_t n) {
    double mu = 0, mv = 0, suv = 0, suu = 0, svv = 0;
    for (size_t i = 0; i < n; i++) mu += u[i] / (double)n, mv += v[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        suv += (u[i] - mu) * (v[i] - mv), suu += (u[i] - mu) * (u[i] - mu), svv += (v[i] - mv) * (v[i] - mv);
    return suv / sqrt(suu * svv);
}

static gd_status run_cos(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    const size_t trials = (size_t)gd_params_real(pa, "trials"), kmax = (size_t)gd_params_real(pa, "blocks"),
                 dmax = (size_t)gd_params_real(pa, "block-size");
    const double eps = gd_params_real(pa, "epsilon");
    double worst, worst_neg;
    long ev, ev2;
    gd_status st = gd_cos_search(ctx, trials, kmax, dmax, 0, &worst, &ev);
    if (st == GD_OK) st = gd_cos_search(ctx, trials, kmax, dmax, 1, &worst_neg, &ev2);
    if (st != GD_OK) return st;
    /* The construction: every block cosine 1, the global one 2 eps / (1 + eps^2). */
    const double x[2] = {1, eps}, y[2] = {eps, 1};
    const size_t sz[2] = {1, 1};
    double loc[2];
    const double C = gd_cos_blocks(x, y, sz, 2, loc);
    /* Simpson: two groups, correlation +1 inside each, negative pooled; as
     * centred vectors per group, block cosines 1 and a pooled cosine < 0. */
    const double u[8] = {1, 2, 3, 4, 6, 7, 8, 9}, v[8] = {6, 7, 8, 9, 1, 2, 3, 4};
    const double c1 = corr(u, v, 4), c2 = corr(u + 4, v + 4, 4), cp = corr(u, v, 8);
    gd_result_scalar(r, "worst_margin", worst, GD_NAN);
    gd_result_scalar(r, "evaluations", (double)(ev + ev2), GD_NAN);
    gd_result_scalar(r, "worst_margin_all_negative", worst_neg, GD_NAN);
    gd_result_scalar(r, "construction_global_cos", C, GD_NAN);
    gd_result_scalar(r, "simpson_within", fmin(c1, c2), GD_NAN);
    gd_result_scalar(r, "simpson_pooled", cp, GD_NAN);
    static const char *const wc[] = {"block", "x", "y", "block_cos"};
    gd_series *ws = gd_result_series_new(r, "worst_at", 4, wc);
    if (!ws) return gd_error(ctx, GD_ENOMEM, "out of memory");
    st = GD_OK;
    for (int i = 0; i < 2 && st == GD_OK; i++) st = gd_series_append(ws, (double[]){i, x[i], y[i], loc[i]});
    static const char *const sc[] = {"u", "v"};
    const char *const sn[2] = {"simpson_a", "simpson_b"};
    for (int g = 0; g < 2 && st == GD_OK; g++) {
        gd_series *ss = gd_result_series_new(r, sn[g], 2, sc);
        if (!ss) return gd_error(ctx, GD_ENOMEM, "out of memory");
        for (int i = 4 * g; i < 4 * g + 4 && st == GD_OK; i++) st = gd_series_append(ss, (double[]){u[i], v[i]});
    }
    if (st != GD_OK) return st;
    char meas[256];
    snprintf(meas, sizeof meas, "x = (1, %g), y = (%g, 1): block cosines %g and %g, global %.4g; Simpson data: "
             "within-group correlations %.3g, %.3g, pooled %.3g", eps, eps, loc[0], loc[1], C, c1, c2, cp);
    gd_result_claim(r, "002-cosine-local-global", SRC_COS, C < 0.5 ? GD_VERDICT_REFUTED : GD_VERDICT_CONFIRMED,
                    "large cosine similarities on every block imply a large global cosine similarity",
                    "global cosine large when every block cosine is", meas,
                    "C = sum_i c_i w_i with w_i = |x_i| |y_i| / (|x| |y|): the weights, not the block "
                    "cosines, decide; refuted when a construction with every block cosine 1 has C < 0.5");
    const double tol = 1e-15;
    snprintf(meas, sizeof meas, "smallest max_i c_i - C %.3g over %ld instances with some c_i >= 0", worst, ev);
    gd_result_claim(r, "002-cosine-upper", SRC_COS, worst >= -tol ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                    "the global cosine is at most the largest block cosine (when some block cosine is >= 0)",
                    "max_i c_i - C >= 0", meas,
                    "%zu random instances (up to %zu blocks of up to %zu entries, block scales over 4 decades, "
                    "cosines over [-1, 1]), each refined by a local search lowering the margin; margins in "
                    "[-1e-13, 0) recomputed in long double; refuted below -%g. Equality: one block, or equal "
                    "block cosines with proportional block norms", trials, kmax, dmax, tol);
    snprintf(meas, sizeof meas, "smallest max_i c_i - C %.3g over %ld instances with every c_i < 0", worst_neg, ev2);
    st = gd_result_claim(r, "002-cosine-upper-all-negative", SRC_COS,
                         worst_neg >= -tol ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                         "the bound C <= max_i c_i also holds when every block cosine is negative",
                         "the post: it can fail there", meas,
                         "the same search restricted to instances with every block cosine < 0: then C = "
                         "sum c_i w_i >= max_i c_i sum w_i, above max_i c_i unless sum w_i = 1");
    if (st != GD_OK) return st;
    char title[96];
    snprintf(title, sizeof title, "Simpson: correlation %.2g, %.2g in the groups, %.2g pooled",
             c1, c2, cp);
    gd_plot pl = {.name = "simpson", .title = title, .xlabel = "u", .ylabel = "v"};
    pl.line[pl.nlines++] = (gd_plot_line){"simpson_a", "u", "v", NULL, "group a", 1};
    pl.line[pl.nlines++] = (gd_plot_line){"simpson_b", "u", "v", NULL, "group b", 1};
    return gd_result_plot(r, &pl);
}

const gd_experiment gd_exp_claim_cosine = {
    "claim-cosine", "local vs global cosine similarity: a construction, Simpson's data, the upper bound searched",
    SRC_COS, params_cos, (const char *const[]){NULL}, run_cos};
