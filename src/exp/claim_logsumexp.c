/* claim-logsumexp: the inequalities of Su's logsumexp post (kexue.fm, 10
 * May; seed 002), each searched for its smallest relative margin
 * (src/claims/logsumexp.c), with two false variants as negative controls. */
#include "common.h"
#include "gdlab/claims.h"

#include <math.h>
#include <stdio.h>

static const char SRC_LSE[] = "seed 002 (Su, kexue.fm, 10 May: inequalities of logsumexp)";

static const gd_param_spec params_lse[] = {
    {"trials", GD_PARAM_INT, "300", 1, 1e7, 0, "random instances per inequality, each refined by a local search"},
    {"max-n", GD_PARAM_INT, "16", 2, 64, 0, "largest number of entries"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

static gd_status run_lse(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    const size_t trials = (size_t)gd_params_real(pa, "trials"), nmax = (size_t)gd_params_real(pa, "max-n");
    static const char *const ids[GD_LSE_COUNT] = {
        "002-lse-max-lower", "002-lse-max-upper", "002-lse-mean", "002-lse-lipschitz", "002-lse-convex",
        "002-lse-control-half-log", "002-lse-control-reverse-mean"};
    static const char *const wc[] = {"inequality", "worst_margin", "evaluations"};
    gd_series *ws = gd_result_series_new(r, "worst_at", 3, wc);
    if (!ws) return gd_error(ctx, GD_ENOMEM, "out of memory");
    const double tol = 1e-15;
    double worst_true = INFINITY;
    long total = 0;
    gd_status st = GD_OK;
    for (int k = 0; k < GD_LSE_COUNT && st == GD_OK; k++) {
        double w;
        long ev;
        gd_lse_search(ctx->seed, (gd_lse_ineq)k, trials, nmax, &w, &ev);
        total += ev;
        const int control = k >= GD_LSE_CONTROL_HALF_LOG;
        if (!control) worst_true = fmin(worst_true, w);
        if ((st = gd_series_append(ws, (double[]){k, w, (double)ev})) != GD_OK) break;
        char meas[160];
        snprintf(meas, sizeof meas, "smallest relative margin %.3g over %ld evaluations", w, ev);
        st = gd_result_claim(r, ids[k], SRC_LSE, w >= -tol ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                             gd_lse_ineq_name((gd_lse_ineq)k),
                             control ? "false: the checker must find a violation" : "margin >= 0", meas,
                             "%zu random instances of 1..%zu entries (scales 1e-3 .. 1e3, 30%% near the equality "
                             "cases), each refined by a local search lowering the margin; margins in long double "
                             "relative to max(1, |lse|, max |x_i|); refuted below -%g",
                             trials, nmax, tol);
    }
    if (st != GD_OK) return st;
    gd_result_scalar(r, "worst_margin", worst_true, GD_NAN);
    gd_result_scalar(r, "evaluations", (double)total, GD_NAN);
    gd_plot pl = {.name = "margins", .title = "Smallest relative margin per inequality (5, 6: false controls)",
                  .xlabel = "inequality (0 .. 4 claims, 5 .. 6 controls)", .ylabel = "smallest margin"};
    pl.line[pl.nlines++] = (gd_plot_line){"worst_at", "inequality", "worst_margin", NULL, "smallest margin", 1};
    pl.hline[pl.nhlines] = 0, pl.hlabel[pl.nhlines++] = "0";
    return gd_result_plot(r, &pl);
}

const gd_experiment gd_exp_claim_logsumexp = {
    "claim-logsumexp", "logsumexp's bounds by the max and the mean, Lipschitz and convexity: searched margins",
    SRC_LSE, params_lse, (const char *const[]){NULL}, run_lse};
