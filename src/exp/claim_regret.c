/* claim-regret: the average-loss bound of SGD on a bounded convex domain
 * as Su states it (kexue.fm, "Making alchemy more scientific (1)"; seed
 * 002): regret <= R^2/(2 eta_T) + (G^2/2) sum eta_t for non-increasing
 * eta_t, searched adversarially over loss sequences for five schedules,
 * with three controls that must break it (src/claims/regret.c). */
#include "common.h"
#include "gdlab/claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SRC_REG[] = "seed 002 (Su, kexue.fm: SGD's average loss on a bounded domain; Zinkevich 2003)";

static const gd_param_spec params_reg[] = {
    {"steps", GD_PARAM_INT, "200", 2, 1e6, 0, "T, the length of the loss sequence"},
    {"eta", GD_PARAM_REAL, "0", 0, 1e6, 0, "base learning rate; 0: R / (G sqrt(T)), the rate that balances the bound"},
    {"starts", GD_PARAM_INT, "24", 1, 1e5, 0, "search starts per schedule"},
    {"iters", GD_PARAM_INT, "3000", 0, 1e8, 0, "local-search moves per start"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

static gd_status run_reg(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    const long T = (long)gd_params_real(pa, "steps");
    const double R = 2, G = 1;
    double eta = gd_params_real(pa, "eta");
    if (eta == 0) eta = R / (G * sqrt((double)T));
    const size_t starts = (size_t)gd_params_real(pa, "starts"), iters = (size_t)gd_params_real(pa, "iters");
    static const char *const ids[GD_REGRET_COUNT] = {
        "002-regret-constant", "002-regret-invsqrt", "002-regret-step", "002-regret-cosine", "002-regret-linear",
        "002-regret-control-warmup", "002-regret-control-no-projection", "002-regret-control-nonconvex"};
    static const char *const rc[] = {"case", "worst_ratio"};
    gd_series *rs = gd_result_series_new(r, "ratios", 2, rc);
    if (!rs) return gd_error(ctx, GD_ENOMEM, "out of memory");
    double *g = malloc((size_t)T * sizeof *g), *gw = malloc((size_t)T * sizeof *gw);
    if (!g || !gw) {
        free(g), free(gw);
        return gd_error(ctx, GD_ENOMEM, "out of memory for %ld steps", T);
    }
    double worst = -INFINITY, xw = 0, x1;
    long total = 0;
    gd_status st = GD_OK;
    int wc = 0;
    for (int c = 0; c < GD_REGRET_COUNT && st == GD_OK; c++) {
        double w;
        long ev;
        gd_regret_search(ctx->seed, (gd_regret_case)c, T, R, G, eta, starts, iters, &w, &ev, g, &x1);
        total += ev;
        const int control = c >= GD_REGRET_CONTROL_WARMUP;
        if (!control && w > worst) {
            worst = w, xw = x1, wc = c;
            for (long t = 0; t < T; t++) gw[t] = g[t];
        }
        if ((st = gd_series_append(rs, (double[]){c, w})) != GD_OK) break;
        char meas[160], stmt[160];
        snprintf(meas, sizeof meas, "largest regret / bound %.6f over %ld evaluations", w, ev);
        snprintf(stmt, sizeof stmt, "regret <= R^2/(2 eta_T) + (G^2/2) sum_t eta_t%s%s", control ? " even with " : "",
                 control ? gd_regret_case_name((gd_regret_case)c) + strlen("control: ") : "");
        st = gd_result_claim(r, ids[c], SRC_REG, w <= 1 + 1e-12 ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED, stmt,
                             control ? "the bound breaks (an assumption fails)" : "ratio <= 1, approaching 1", meas,
                             "schedule %s; online gradient descent on [-1, 1] (R = 2) with linear losses g_t x, "
                             "|g_t| <= G = 1, T = %ld, base eta %g; %zu starts (random signs, random magnitudes, "
                             "drift then oscillation, x_1 = 0 with g = -G) each refined by %zu local moves over "
                             "(g, x_1) that raise the ratio; refuted above 1 + 1e-12",
                             gd_regret_case_name((gd_regret_case)c), T, eta, starts, iters);
    }
    if (st == GD_OK) {
        /* The worst sequence of a real schedule, with its iterates. */
        static const char *const wcl[] = {"t", "g", "x"};
        gd_series *ws = gd_result_series_new(r, "worst_at", 3, wcl);
        if (!ws) st = gd_error(ctx, GD_ENOMEM, "out of memory");
        double x = xw;
        for (long t = 1; t <= T && st == GD_OK; t++) {
            st = gd_series_append(ws, (double[]){t, gw[t - 1], x});
            x = fmin(1, fmax(-1, x - gd_regret_eta((gd_regret_case)wc, t, T, eta) * gw[t - 1]));
        }
    }
    free(g), free(gw);
    if (st != GD_OK) return st;
    gd_result_scalar(r, "worst_margin", 1 - worst, GD_NAN);
    gd_result_scalar(r, "worst_ratio", worst, GD_NAN);
    gd_result_scalar(r, "evaluations", (double)total, GD_NAN);
    gd_plot pl = {.name = "ratios", .title = "Largest regret / bound found (0-4 schedules, 5-7 controls)",
                  .xlabel = "case", .ylabel = "regret / bound", .logy = 1};
    pl.line[pl.nlines++] = (gd_plot_line){"ratios", "case", "worst_ratio", NULL, "largest ratio", 1};
    pl.hline[pl.nhlines] = 1, pl.hlabel[pl.nhlines++] = "bound";
    gd_plot px = {.name = "worst_at", .title = "The worst sequence found: iterates x_t", .xlabel = "t",
                  .ylabel = "x_t"};
    px.line[px.nlines++] = (gd_plot_line){"worst_at", "t", "x", NULL, "x_t", 0};
    return (st = gd_result_plot(r, &pl)) != GD_OK ? st : gd_result_plot(r, &px);
}

const gd_experiment gd_exp_claim_regret = {
    "claim-regret", "online SGD regret vs R^2/(2 eta_T) + (G^2/2) sum eta_t: adversarial sequences, five schedules",
    SRC_REG, params_reg, (const char *const[]){NULL}, run_reg};
