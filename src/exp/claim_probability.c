/* claim-probability: sum_{i<=j} p^i <= sum_{i<=j} (log(1/(1-p)))^i / i!
 * for p in [0, 1) (Su, kexue.fm, 30 Apr; seed 002). The exact integer
 * check of the power series, the search for the smallest margin (both in
 * src/claims/probability.c), the equality case j = 0, and a negative
 * control the checker must refute: the termwise p^j <= u^j / j!. */
#include "common.h"
#include "gdlab/claims.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

static const char SRC_PROB[] = "seed 002 (Su, kexue.fm, 30 Apr: a probability inequality)";

static const gd_param_spec params_prob[] = {
    {"j-max", GD_PARAM_INT, "30", 1, 200, 0, "largest j searched (the exact check runs to min(j-max, 18))"},
    {"grid", GD_PARAM_INT, "400", 8, 1e6, 0, "grid points in u = log(1/(1-p)) per j before Brent's method"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

static gd_status run_prob(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    const int jmax = (int)gd_params_real(pa, "j-max");
    const size_t ngrid = (size_t)gd_params_real(pa, "grid");
    long checked;
    const int jid = jmax < 18 ? jmax : 18;
    const long bad = gd_prob_identity(jid, 24, &checked);
    double worst, worst_p, tw, tw_p;
    int worst_j, tw_j;
    long ev, ev2;
    gd_status st = gd_prob_search(ctx, jmax, ngrid, 0, &worst, &worst_j, &worst_p, &ev);
    if (st == GD_OK) st = gd_prob_search(ctx, jmax, ngrid, 1, &tw, &tw_j, &tw_p, &ev2);
    if (st != GD_OK) return st;
    /* j = 0: both sides are 1; the tail form gives p/(1-p) - (e^u - 1), zero
     * up to rounding, on the grid. */
    double eq0 = 0;
    for (size_t k = 1; k < ngrid; k++) {
        const double p = (double)k / (double)ngrid;
        eq0 = fmax(eq0, fabs((double)(gd_prob_margin(0, p) * (1 - (long double)p) / (long double)p)));
    }
    gd_result_scalar(r, "worst_margin", worst, GD_NAN);
    gd_result_scalar(r, "evaluations", (double)ev, GD_NAN);
    gd_result_scalar(r, "identity_failures", (double)bad, GD_NAN);
    gd_result_scalar(r, "identity_checked", (double)checked, GD_NAN);
    gd_result_scalar(r, "equality_j0_error", eq0, GD_NAN);
    gd_result_scalar(r, "termwise_worst_margin", tw, GD_NAN);
    static const char *const wc[] = {"j", "p", "margin"};
    gd_series *ws = gd_result_series_new(r, "worst_at", 3, wc);
    if (!ws) return gd_error(ctx, GD_ENOMEM, "out of memory");
    st = gd_series_append(ws, (double[]){worst_j, worst_p, worst});
    if (st != GD_OK) return st;
    static const char *const mc[] = {"j", "min_margin", "p_at_min"};
    gd_series *ms = gd_result_series_new(r, "margins", 3, mc);
    if (!ms) return gd_error(ctx, GD_ENOMEM, "out of memory");
    for (int j = 1; j <= jmax && st == GD_OK; j++) {
        double w, p;
        int jj;
        long e;
        st = gd_prob_search(ctx, j, ngrid, 0, &w, &jj, &p, &e);
        if (st == GD_OK && jj == j) st = gd_series_append(ms, (double[]){j, w, p});
    }
    if (st != GD_OK) return st;
    /* The margin's rounding: D/A from two long-double tails, each to a few
     * ulps: |error| < 1e-17, far below any margin that counts. */
    const double tol = 1e-17;
    gd_verdict v = bad ? GD_VERDICT_REFUTED : worst > tol ? GD_VERDICT_CONFIRMED
                   : worst < -tol ? GD_VERDICT_REFUTED : GD_VERDICT_INCONCLUSIVE;
    char meas[256];
    snprintf(meas, sizeof meas, "exact coefficients: %ld of %ld (j, n) pairs fail; smallest relative margin "
             "%.3g at j = %d, p = %.17g; j = 0 equal to %.2g", bad, checked, worst, worst_j, worst_p, eq0);
    gd_result_claim(r, "002-probability", SRC_PROB, v,
                    "sum_{i<=j} p^i <= sum_{i<=j} (log(1/(1-p)))^i / i! for every p in [0, 1) and j >= 0",
                    "no p, j with a negative margin", meas,
                    "with u = log(1/(1-p)) the margin is the difference of tails p^(j+1)/(1-p) - sum_{n>j} "
                    "u^n/n! = P(max of j+1 Exp(1) <= u) - P(their sum <= u) times e^u, computed in long double "
                    "without cancellation; the relative margin (over the left tail) is searched on %zu grid "
                    "points in u per j = 1..%d and refined by Brent's method (GSL); the power-series "
                    "coefficients n! [u^n] are checked in exact 128-bit integers for j <= %d, n <= 24 (0 "
                    "for n <= j, (j+1)! - 1 at n = j+1); equality holds at j = 0 and at p = 0, and the "
                    "relative margin tends to 0 as p -> 1; refuted below -%g, inconclusive within it",
                    ngrid, jmax, jid, tol);
    v = tw < -tol ? GD_VERDICT_REFUTED : GD_VERDICT_CONFIRMED;
    snprintf(meas, sizeof meas, "margin 1 - j! (p/u)^j down to %.3g at j = %d, p = %.3g", tw, tw_j, tw_p);
    gd_result_claim(r, "002-probability-termwise", SRC_PROB, v,
                    "negative control: the inequality holds term by term, p^j <= u^j / j!",
                    "the checker finds the violation", meas,
                    "the same search on the termwise margin: false for j >= 2 near p = 0, where p^j / "
                    "(u^j / j!) -> j!; a checker that confirmed this would be broken");
    gd_plot pl = {.name = "margins", .title = "Smallest relative margin over p, per j", .xlabel = "j",
                  .ylabel = "1 - P(sum <= u) / P(max <= u)", .logy = 1};
    pl.line[pl.nlines++] = (gd_plot_line){"margins", "j", "min_margin", NULL, "smallest margin", 1};
    return gd_result_plot(r, &pl);
}

const gd_experiment gd_exp_claim_probability = {
    "claim-probability", "sum_{i<=j} p^i <= sum_{i<=j} (log 1/(1-p))^i / i!: exact coefficients and a search",
    SRC_PROB, params_prob, (const char *const[]){NULL}, run_prob};
