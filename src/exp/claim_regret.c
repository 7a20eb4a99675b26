/* claim-regret: the average-loss bound of SGD on a bounded convex domain
 * as Su states it (kexue.fm, "Making alchemy more scientific (1)"; seed
 * 002): regret <= R^2/(2 eta_T) + (G^2/2) sum eta_t for non-increasing
 * eta_t, searched adversarially over loss sequences for five schedules,
 * with three controls that must break it; and part two, the unbounded
 * domain in expectation (kexue.fm/archives/11469): Monte Carlo over seeded
 * SGD paths with exact population losses, the single paths that exceed
 * the bound, and a warm-up control (src/claims/regret.c). */
#include "common.h"
#include "gdlab/claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SRC_REG[] = "seed 002 (Su, kexue.fm: SGD's average loss on a bounded domain; Zinkevich 2003)";
static const char SRC_UNB[] = "seed 002 (Su, kexue.fm/archives/11469: the unbounded domain, in expectation)";

static const gd_param_spec params_reg[] = {
    {"steps", GD_PARAM_INT, "200", 2, 1e6, 0, "T, the length of the loss sequence"},
    {"eta", GD_PARAM_REAL, "0", 0, 1e6, 0, "base learning rate; 0: R / (G sqrt(T)) (bounded) and |theta_1 - "
     "theta*| / (G sqrt(T)) (unbounded), the rates that balance the bounds"},
    {"starts", GD_PARAM_INT, "24", 1, 1e5, 0, "search starts per schedule"},
    {"iters", GD_PARAM_INT, "3000", 0, 1e8, 0, "local-search moves per start"},
    {"paths", GD_PARAM_INT, "20000", 0, 1e6, 0, "unbounded domain: seeded SGD paths per schedule (0: no Monte Carlo)"},
    {"noise", GD_PARAM_REAL, "1", 0, 1e3, GD_PARAM_OPEN_MIN,
     "unbounded domain: multiplies the data's standard deviations (3, 2, 1)"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

/* The unbounded domain (claims.h): the five schedules and the warm-up
 * control, each a Monte Carlo over the same seeded paths. */
#define NMC (GD_REGRET_CONTROL_WARMUP + 1)
#define KSE 4.0 /* a Monte Carlo verdict needs the mean KSE standard errors from the bound */

/* Confirmed when mean + k se < bound, refuted when mean - k se > bound. */
static gd_verdict mc_verdict(double mean, double se, double bound) {
    return mean + KSE * se < bound ? GD_VERDICT_CONFIRMED
           : mean - KSE * se > bound ? GD_VERDICT_REFUTED : GD_VERDICT_INCONCLUSIVE;
}

/* All confirmed: confirmed; any refuted: refuted; else inconclusive. */
static gd_verdict all_of(const gd_verdict *v, int n) {
    int conf = 0;
    for (int i = 0; i < n; i++) {
        if (v[i] == GD_VERDICT_REFUTED) return GD_VERDICT_REFUTED;
        conf += v[i] == GD_VERDICT_CONFIRMED;
    }
    return conf == n ? GD_VERDICT_CONFIRMED : GD_VERDICT_INCONCLUSIVE;
}

static gd_status run_unbounded(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    gd_regret_mc_params p = gd_regret_mc_default_params();
    p.steps = (long)gd_params_real(pa, "steps"), p.paths = (size_t)gd_params_real(pa, "paths");
    p.eta = gd_params_real(pa, "eta");
    const double noise = gd_params_real(pa, "noise");
    for (size_t i = 0; i < p.dim; i++) p.s[i] *= noise;
    const long T = p.steps;
    const double eta = gd_regret_mc_eta(&p);
    gd_regret_mc mc[NMC];
    double *curve = gd_malloc((size_t)NMC * (size_t)T * sizeof *curve), *ex = gd_malloc((size_t)T * sizeof *ex);
    if (!curve || !ex) {
        gd_free(curve), gd_free(ex);
        return gd_error(ctx, GD_ENOMEM, "out of memory for %ld steps", T);
    }
    gd_status st = GD_OK;
    for (int c = 0; c < NMC && st == GD_OK; c++)
        st = gd_regret_mc_run(ctx, &p, (gd_regret_case)c, &mc[c], curve + (size_t)c * (size_t)T);
    static const char *const uc[] = {"case", "ratio", "ratio_4se", "weighted_ratio", "weighted_4se",
                                     "max_path_ratio", "exceed"};
    gd_series *us = st == GD_OK ? gd_result_series_new(r, "unbounded", 7, uc) : NULL;
    if (st == GD_OK && !us) st = gd_error(ctx, GD_ENOMEM, "out of memory");
    /* The five schedules: (avg-2) and (avg-3) in expectation, the largest single path. */
    gd_verdict va[NMC], vw[NMC];
    char ma[600] = "", mw[600] = "";
    double worst = -INFINITY, worst_se = 0, wworst = -INFINITY, wworst_se = 0, sp = -INFINITY, pw = -INFINITY;
    int spc = 0;
    size_t exceed = 0;
    for (int c = 0; c < NMC && st == GD_OK; c++) {
        const gd_regret_mc *m = &mc[c];
        const double B = m->bound.average, BW = m->bound.weighted, q = m->mean / B, qw = m->wmean / BW;
        const char *name = gd_regret_case_name((gd_regret_case)c);
        va[c] = mc_verdict(m->mean, m->se, B), vw[c] = mc_verdict(m->wmean, m->wse, BW);
        gd_exp_addf(mw, sizeof mw, "%s%s %.4f +- %.4f", c ? ", " : "", c < NMC - 1 ? name : "warm-up", qw,
                    m->wse / BW);
        if (c < GD_REGRET_CONTROL_WARMUP) {
            gd_exp_addf(ma, sizeof ma, "%s%s %.4g +- %.2g", c ? ", " : "", name, q, m->se / B);
            if (q > worst) worst = q, worst_se = m->se / B;
            if (m->max_average / B > sp) sp = m->max_average / B, spc = c;
            exceed += m->exceed;
            pw = fmax(pw, m->worst_pathwise);
        }
        if (qw > wworst) wworst = qw, wworst_se = m->wse / BW;
        st = gd_series_append(us, (double[]){c, q, KSE * m->se / B, qw, KSE * m->wse / BW, m->max_average / B,
                                             (double)m->exceed});
    }
    if (st == GD_OK) {
        char ev[700];
        snprintf(ev, sizeof ev, "unprojected SGD in R^3 on L(x, theta) = sum_i w_i |theta_i - x_i|, x ~ N(mu, "
                 "diag(s^2)), w = (0.8, 0.48, 0.36) (G = |w| = 1 exactly), s = %g x (3, 2, 1), theta* = mu, "
                 "|theta_1 - theta*| = 1.5, T = %ld, base eta %g; %zu seeded paths per schedule (the same samples "
                 "for every schedule), exact population losses L(theta_t); confirmed when the mean is more than "
                 "k = 4 standard errors below the bound, refuted when more than 4 above", noise, T, eta, p.paths);
        const gd_verdict v = all_of(va, GD_REGRET_CONTROL_WARMUP);
        st = gd_result_claim(r, "002-regret-unbounded-expectation", SRC_UNB, v,
                             "(1/T) sum_t E[L(theta_t) - L(theta*)] <= |theta_1 - theta*|^2/(2 T eta_T) + "
                             "(G^2/(2T)) sum_t eta_t^2/eta_T for non-increasing eta_t, without a bounded domain",
                             "mean / bound <= 1 for each schedule", ma[0] ? ma : "-", "mean / bound +- 1 se: %s", ev);
        if (st == GD_OK)
            st = gd_result_claim(r, "002-regret-unbounded-weighted", SRC_UNB, all_of(vw, NMC),
                                 "sum_t eta_t E[L(theta_t) - L(theta*)] / sum_t eta_t <= (|theta_1 - theta*|^2 + G^2 "
                                 "sum_t eta_t^2) / (2 sum_t eta_t), for any schedule (warm-up included)",
                                 "mean / bound <= 1 for each schedule", mw, "mean / bound +- 1 se: %s", ev);
        if (st == GD_OK) {
            char meas[300];
            snprintf(meas, sizeof meas, "largest single path / bound %.4f (schedule %s, path %zu of %zu, seed %llu, "
                     "T = %ld); %zu of the 5 x %zu (schedule, path) pairs above the bound", sp,
                     gd_regret_case_name((gd_regret_case)spc), mc[spc].argmax, p.paths, (unsigned long long)ctx->seed,
                     T, exceed, p.paths);
            st = gd_result_claim(r, "002-regret-unbounded-single-path", SRC_UNB,
                                 exceed ? GD_VERDICT_REFUTED : GD_VERDICT_INCONCLUSIVE,
                                 "the unbounded bound holds path by path: (1/T) sum_t [L(theta_t) - L(theta*)] <= "
                                 "|theta_1 - theta*|^2/(2 T eta_T) + (G^2/(2T)) sum_t eta_t^2/eta_T on every path",
                                 "some path exceeds it (it holds only in expectation)", meas,
                                 "the same paths and schedules as 002-regret-unbounded-expectation; a path counts "
                                 "when its ratio exceeds 1 + 1e-9 (the sums' rounding is below 1e-12); "
                                 "inconclusive when none does (%s)", ev);
        }
        if (st == GD_OK) {
            char meas[200];
            snprintf(meas, sizeof meas, "largest ratio %.6f over the 5 x %zu (schedule, path) pairs", pw, p.paths);
            st = gd_result_claim(r, "002-regret-unbounded-pathwise", SRC_UNB,
                                 pw <= 1 + 1e-12 ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                                 "on every path, sum_t eta_t [L(x_t, theta_t) - L(x_t, theta*)] <= |theta_1 - "
                                 "theta*|^2/2 + (G^2/2) sum_t eta_t^2 (sample losses, before the expectation)",
                                 "ratio <= 1 on every path", meas, "refuted above 1 + 1e-12; %s", ev);
        }
        if (st == GD_OK) {
            const gd_regret_mc *m = &mc[GD_REGRET_CONTROL_WARMUP];
            char meas[200];
            snprintf(meas, sizeof meas, "mean / bound %.4f +- %.4f (1 se); largest single path %.4f",
                     m->mean / m->bound.average, m->se / m->bound.average, m->max_average / m->bound.average);
            st = gd_result_claim(r, "002-regret-unbounded-control-warmup", SRC_UNB,
                                 mc_verdict(m->mean, m->se, m->bound.average),
                                 "(1/T) sum_t E[L(theta_t) - L(theta*)] <= |theta_1 - theta*|^2/(2 T eta_T) + "
                                 "(G^2/(2T)) sum_t eta_t^2/eta_T even with warm-up (increasing) eta t/T",
                                 "the bound breaks (eta_t must not increase)", meas, "%s", ev);
        }
    }
    /* The single path furthest above its bound, replayed, and the mean of
     * its schedule: running ratios of the first t steps against the bound
     * for those steps (eta_1..eta_t is still non-increasing). */
    if (st == GD_OK) {
        gd_regret_mc_replay(ctx->seed, &p, (gd_regret_case)spc, mc[spc].argmax, ex);
        static const char *const sc[] = {"t", "ratio", "mean_ratio"};
        gd_series *ss = gd_result_series_new(r, "single_path", 3, sc);
        if (!ss) st = gd_error(ctx, GD_ENOMEM, "out of memory");
        long ck[200];
        const size_t nck = gd_exp_checkpoints(T, 200, ck);
        double a = 0, b = 0, D = 0, G = 0;
        for (size_t i = 0; i < p.dim; i++)
            D += (p.theta1[i] - p.mu[i]) * (p.theta1[i] - p.mu[i]), G += p.w[i] * p.w[i];
        D = sqrt(D), G = sqrt(G);
        long t = 0;
        for (size_t j = 0; j < nck && st == GD_OK; j++) {
            if (ck[j] < 1) continue;
            for (; t < ck[j]; t++) a += ex[t], b += curve[(size_t)spc * (size_t)T + (size_t)t];
            const double B = gd_regret_unbounded_bounds((gd_regret_case)spc, t, T, eta, D, G).average;
            st = gd_series_append(ss, (double[]){(double)t, a / (double)t / B, b / (double)t / B});
        }
    }
    gd_free(curve), gd_free(ex);
    if (st != GD_OK) return st;
    gd_result_scalar(r, "unbounded_worst_ratio", worst, worst_se);
    gd_result_scalar(r, "unbounded_weighted_worst_ratio", wworst, wworst_se);
    gd_result_scalar(r, "unbounded_control_ratio", mc[GD_REGRET_CONTROL_WARMUP].mean /
                     mc[GD_REGRET_CONTROL_WARMUP].bound.average, mc[GD_REGRET_CONTROL_WARMUP].se /
                     mc[GD_REGRET_CONTROL_WARMUP].bound.average);
    gd_result_scalar(r, "single_path_ratio", sp, GD_NAN);
    gd_result_scalar(r, "single_path_case", spc, GD_NAN);
    gd_result_scalar(r, "single_path_index", (double)mc[spc].argmax, GD_NAN);
    gd_result_scalar(r, "single_path_exceed", (double)exceed, GD_NAN);
    gd_result_scalar(r, "unbounded_pathwise_worst", pw, GD_NAN);
    gd_result_scalar(r, "unbounded_paths", (double)p.paths, GD_NAN);
    gd_plot pu = {.name = "unbounded", .title = "Unbounded domain: left side / bound (+- 4 se)",
                  .xlabel = "case (0-4 schedules, 5 warm-up)", .ylabel = "left side / bound"};
    pu.line[pu.nlines++] = (gd_plot_line){"unbounded", "case", "ratio", "ratio_4se", "(1/T) sum, mean", 1};
    pu.line[pu.nlines++] = (gd_plot_line){"unbounded", "case", "weighted_ratio", "weighted_4se",
                                          "eta-weighted, mean", 1};
    pu.line[pu.nlines++] = (gd_plot_line){"unbounded", "case", "max_path_ratio", NULL, "(1/T) sum, largest path", 1};
    pu.hline[pu.nhlines] = 1, pu.hlabel[pu.nhlines++] = "bound";
    gd_plot ps = {.name = "single_path", .title = "The path furthest above the bound, first t steps",
                  .xlabel = "t", .ylabel = "left side / bound"};
    ps.line[ps.nlines++] = (gd_plot_line){"single_path", "t", "ratio", NULL, "that path", 0};
    ps.line[ps.nlines++] = (gd_plot_line){"single_path", "t", "mean_ratio", NULL, "mean over paths", 0};
    ps.hline[ps.nhlines] = 1, ps.hlabel[ps.nhlines++] = "bound";
    return (st = gd_result_plot(r, &pu)) != GD_OK ? st : gd_result_plot(r, &ps);
}

static gd_status run_reg(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    const long T = (long)gd_params_real(pa, "steps");
    const size_t paths = (size_t)gd_params_real(pa, "paths");
    if (paths == 1)
        return gd_error(ctx, GD_EINVAL, "--paths: expected 0 (no Monte Carlo) or at least 2 (a standard error needs "
                        "two paths), got 1");
    if (paths == 0 && gd_params_is_set(pa, "noise"))
        return gd_error(ctx, GD_EINVAL, "--noise applies to the Monte Carlo, which --paths 0 turns off");
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
    double *g = gd_malloc((size_t)T * sizeof *g), *gw = gd_malloc((size_t)T * sizeof *gw);
    if (!g || !gw) {
        gd_free(g), gd_free(gw);
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
    gd_free(g), gd_free(gw);
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
    if ((st = gd_result_plot(r, &pl)) != GD_OK || (st = gd_result_plot(r, &px)) != GD_OK) return st;
    return paths ? run_unbounded(pa, ctx, r) : GD_OK;
}

const gd_experiment gd_exp_claim_regret = {
    "claim-regret", "SGD regret vs R^2/(2 eta_T) + (G^2/2) sum eta_t: adversarial sequences, five schedules; "
    "the unbounded domain in expectation by Monte Carlo",
    SRC_REG, params_reg, (const char *const[]){NULL}, run_reg};
