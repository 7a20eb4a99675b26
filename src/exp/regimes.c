/* regimes: the three regimes of GD with a constant learning rate (seed
 * 003): monotone for eta < 1/L, oscillating for 1/L < eta < 2/L, divergent
 * for eta > 2/L, with L the top Hessian eigenvalue (dsyev). On the built-in
 * quadratic 1/2 sum lambda_i x_i^2 the prediction is exact per eigen-
 * direction and is checked direction by direction against the iterates; on
 * a user objective the local L at x0 is only a guess, since the seed's
 * statement needs the global smoothness constant: the run reports what
 * happens and the top eigenvalue along the path and at the end. */
#include "common.h"
#include "gdlab/dyn.h"
#include "gdlab/flow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SRC[] = "seeds/003_068e10e0fff05d77.txt (Tao and Wang, large learning rates)";

#define MAX_ETA 400
#define MAX_SPEC 64

enum { R_BOUNDARY = -1, R_MONO = 0, R_OSC = 1, R_DIV = 2 };
static const char *const RNAME[] = {"monotone", "oscillating", "divergent"};

static const gd_param_spec params[] = {
    {"f", GD_PARAM_STRING, "", 0, 0, 0,
     "user objective expression, studied besides the quadratic; empty: the quadratic only"},
    {"spectrum", GD_PARAM_STRING, "1,10", 0, 0, 0,
     "eigenvalues lambda_i of the quadratic 1/2 sum_i lambda_i x_i^2 (always run, from all ones)"},
    {"x0", GD_PARAM_STRING, "", 0, 0, 0,
     "start point of the user objective: v1,v2,... or x=1.5,y=0.3; empty: all ones"},
    {"eta", GD_PARAM_STRING, "0.015:0.245:24", 0, 0, 0, "learning rates: a number or lo:hi:count (linear)"},
    {"steps", GD_PARAM_INT, "200", 2, 1e7, 0, "GD steps per learning rate"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

/* Regime of eta for curvature lam; R_BOUNDARY within 1e-12 of 1 or 2. */
static int predict(double eta, double lam) {
    double e = eta * lam;
    if (fabs(e - 1) <= 1e-12 || fabs(e - 2) <= 1e-12) return R_BOUNDARY;
    return e < 1 ? R_MONO : e < 2 ? R_OSC : R_DIV;
}

static gd_status parse_spectrum(gd_ctx *ctx, const char *text, double *lam, size_t *n) {
    const int k = gd_exp_parse_reals(text, lam, MAX_SPEC);
    *n = 0;
    if (k < 0)
        return gd_error(ctx, GD_EINVAL, "--spectrum: expected up to %d comma-separated eigenvalues > 0, got '%s'",
                        MAX_SPEC, text);
    if (k == 0) return gd_error(ctx, GD_EINVAL, "--spectrum: expected at least one eigenvalue");
    *n = (size_t)k;
    return GD_OK;
}

/* One GD run from x0: per eigen-direction j of Hess f(x0) (rows of V),
 * the sign changes of successive steps' components and whether the
 * component about the centre c grew; overall escape, the top eigenvalue
 * along the path and at the end, convergence. */
typedef struct gd_run {
    size_t flips[MAX_SPEC];   /* sign changes of v_j . (x_{t+1} - x_t) */
    int grew[MAX_SPEC];       /* |v_j . (x_T - c)| > |v_j . (x_0 - c)| */
    int escaped;              /* non-finite or |x| > 1e8 (1 + |x0|) */
    long escape_step;
    int loss_monotone;        /* f(x_{t+1}) <= f(x_t) at every step */
    int converged;            /* |grad f(x_T)| <= 1e-8 max(1, |grad f(x0)|) */
    double L_max, L_end;      /* top Hessian eigenvalue: max along the path, at x_T */
    double g0, gT;            /* |grad f| at x0 and at x_T (inf when escaped) */
} gd_run;

static gd_status run_gd(gd_ctx *ctx, gd_obj *o, const double *x0, const double *c, const double *V,
                        double eta, long steps, int track_L, double *w, gd_run *out) {
    size_t n = gd_obj_dim(o);
    double *x = w, *g = x + n, *dprev = g + n, *ev = dprev + n, *dnew = ev + n;
    memset(out, 0, sizeof *out);
    memcpy(x, x0, n * sizeof *x);
    double n0 = 0, g0 = 0, dmax[MAX_SPEC] = {0};
    for (size_t i = 0; i < n; i++) n0 += x0[i] * x0[i];
    n0 = sqrt(n0);
    double fprev = gd_obj_eval(o, x, g, NULL);
    for (size_t i = 0; i < n; i++) g0 += g[i] * g[i];
    g0 = sqrt(g0);
    out->loss_monotone = 1;
    out->escape_step = -1;
    out->L_max = -INFINITY;
    for (long t = 0; t < steps; t++) {
        if (track_L) {
            gd_status st = gd_flow_hess_eig(ctx, o, x, ev, NULL);
            if (st == GD_OK) out->L_max = fmax(out->L_max, ev[n - 1]);
        }
        double nx = 0;
        for (size_t i = 0; i < n; i++) x[i] -= eta * g[i], nx += x[i] * x[i];
        if (!isfinite(nx) || sqrt(nx) > 1e8 * (1 + n0)) {
            out->escaped = 1, out->escape_step = t + 1;
            break;
        }
        /* step components along the eigenvectors; a sign change counts
         * only while the component is above 1e-12 of its largest size, so
         * rounding at the floor of a converged run is not counted */
        for (size_t j = 0; j < n; j++) {
            double d = 0;
            for (size_t i = 0; i < n; i++) d -= V[j * n + i] * eta * g[i];
            dnew[j] = d;
            dmax[j] = fmax(dmax[j], fabs(d));
            if (t > 0 && d * dprev[j] < 0 && fabs(d) > 1e-12 * dmax[j] && fabs(dprev[j]) > 1e-12 * dmax[j])
                out->flips[j]++;
            dprev[j] = d;
        }
        double fx = gd_obj_eval(o, x, g, NULL);
        if (fx > fprev) out->loss_monotone = 0;
        fprev = fx;
    }
    double gn = 0;
    for (size_t i = 0; i < n; i++) gn += g[i] * g[i];
    out->g0 = g0, out->gT = out->escaped ? (double)INFINITY : sqrt(gn);
    out->converged = out->gT <= 1e-8 * fmax(1, g0);
    for (size_t j = 0; j < n; j++) {
        double a = 0, b = 0;
        for (size_t i = 0; i < n; i++) a += V[j * n + i] * (x[i] - c[i]), b += V[j * n + i] * (x0[i] - c[i]);
        out->grew[j] = !(fabs(a) <= fabs(b));
    }
    if (!out->escaped && gd_flow_hess_eig(ctx, o, x, ev, NULL) == GD_OK) out->L_end = ev[n - 1];
    else out->L_end = GD_NAN;
    return GD_OK;
}

/* Observed regime of eigen-direction j on the quadratic (the directions
 * decouple, so each is judged on its own, also when another escaped). */
static int observed_dir(const gd_run *g, size_t j) {
    if (g->grew[j]) return R_DIV;
    return g->flips[j] > 0 ? R_OSC : R_MONO;
}

/* Observed regime on a general objective: divergent when the iterates
 * escaped or the gradient did not shrink; else by the top direction. */
static int observed_all(const gd_run *g, size_t top) {
    if (g->escaped || !(g->gT < g->g0)) return R_DIV;
    return g->flips[top] > 0 ? R_OSC : R_MONO;
}

static gd_status run(const gd_params *p, gd_ctx *ctx, gd_result *r) {
    double lo, hi;
    size_t cnt;
    gd_status st = gd_exp_parse_range(ctx, gd_params_str(p, "eta"), "--eta", MAX_ETA, &lo, &hi, &cnt);
    if (st != GD_OK) return st;
    if (!(lo > 0)) return gd_error(ctx, GD_EINVAL, "--eta: learning rates must be > 0, got %g", lo);
    const long steps = (long)gd_params_real(p, "steps");
    double lam[MAX_SPEC];
    size_t nq;
    if (gd_params_is_set(p, "x0") && !*gd_params_str(p, "f"))
        return gd_error(ctx, GD_EINVAL, "--x0 applies to the user objective --f, which is not given (the "
                        "quadratic always starts from all ones)");
    if ((st = parse_spectrum(ctx, gd_params_str(p, "spectrum"), lam, &nq)) != GD_OK) return st;
    gd_obj *q = gd_obj_quadratic(ctx, nq, lam), *u = NULL;
    if (!q) return gd_ctx_failed(ctx);
    const char *f = gd_params_str(p, "f");
    if (*f && !(u = gd_obj_expr(ctx, f))) {
        gd_obj_free(q);
        return gd_error_prefix(ctx, "--f");
    }
    size_t nu = u ? gd_obj_dim(u) : 0, nmax = nq > nu ? nq : nu;
    if (nu > MAX_SPEC) {
        gd_obj_free(q), gd_obj_free(u);
        return gd_error(ctx, GD_EINVAL, "--f: %zu variables, regimes handles at most %d", nu, MAX_SPEC);
    }
    double *buf = gd_malloc((8 * nmax + 2 * nmax * nmax) * sizeof *buf);
    if (!buf) { st = gd_error(ctx, GD_ENOMEM, "out of memory"); goto done; }
    double *x0 = buf, *c = x0 + nmax, *ev = c + nmax, *work = ev + nmax, *V = work + 5 * nmax;

    /* --- the quadratic: exact per eigen-direction --- */
    for (size_t i = 0; i < nq; i++) x0[i] = 1, c[i] = 0;
    if ((st = gd_flow_hess_eig(ctx, q, x0, ev, V)) != GD_OK) goto done;
    const double Lq = ev[nq - 1];
    gd_result_scalar(r, "L_quadratic", Lq, GD_NAN);
    static const char *const qc[] = {"eta", "eta_L", "predicted", "observed", "directions_agree",
                                     "top_sign_changes", "escape_step", "loss_monotone"};
    static const char *const dc[] = {"eta", "lambda", "eta_lambda", "predicted", "observed", "sign_changes"};
    if (!gd_result_series_new(r, "quadratic", 8, qc) || !gd_result_series_new(r, "directions", 6, dc)) {
        st = gd_error(ctx, GD_ENOMEM, "out of memory");
        goto done;
    }
    size_t pairs = 0, agree = 0, nbound = 0;
    double bad_eta = GD_NAN, bad_lam = GD_NAN;
    int bad_pred = 0, bad_obs = 0;
    for (size_t k = 0; k < cnt; k++) {
        double eta = gd_exp_range_at(lo, hi, cnt, k, 0);
        gd_run g;
        if ((st = run_gd(ctx, q, x0, c, V, eta, steps, 0, work, &g)) != GD_OK) goto done;
        size_t ag = 0;
        for (size_t j = 0; j < nq; j++) {
            int pr = predict(eta, ev[j]), ob = observed_dir(&g, j);
            double drow[6] = {eta, ev[j], eta * ev[j], pr, ob, (double)g.flips[j]};
            if ((st = gd_series_append(gd_result_series_find(r, "directions"), drow)) != GD_OK) goto done;
            if (pr == R_BOUNDARY) { nbound++; continue; }
            pairs++;
            if (pr == ob) agree++, ag++;
            else if (isnan(bad_eta)) bad_eta = eta, bad_lam = ev[j], bad_pred = pr, bad_obs = ob;
        }
        double row[8] = {eta, eta * Lq, predict(eta, Lq), observed_dir(&g, nq - 1), (double)ag,
                         (double)g.flips[nq - 1], (double)g.escape_step, g.loss_monotone};
        if ((st = gd_series_append(gd_result_series_find(r, "quadratic"), row)) != GD_OK) goto done;
    }
    gd_result_scalar(r, "quadratic_pairs", (double)pairs, GD_NAN);
    gd_result_scalar(r, "quadratic_pairs_agree", (double)agree, GD_NAN);
    {
        char meas[256];
        if (agree == pairs)
            snprintf(meas, sizeof meas, "all %zu (learning rate, eigen-direction) pairs behave as predicted", pairs);
        else
            snprintf(meas, sizeof meas, "%zu of %zu pairs as predicted; first mismatch eta = %g, lambda = %g: "
                     "predicted %s, observed %s", agree, pairs, bad_eta, bad_lam, RNAME[bad_pred], RNAME[bad_obs]);
        gd_result_claim(r, "003-regimes-quadratic", SRC,
                        pairs == 0 ? GD_VERDICT_INCONCLUSIVE
                                   : agree == pairs ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                        "GD on an L-smooth function converges for eta < 2/L and moves without oscillation "
                        "for eta < 1/L (on a quadratic, exactly, on both sides)",
                        "per eigen-direction lambda: no sign change of successive steps for eta lambda < 1, "
                        "alternating but shrinking for 1 < eta lambda < 2, growing for eta lambda > 2",
                        meas,
                        "quadratic 1/2 sum lambda_i x_i^2, spectrum %s (L = %g), from all ones, %ld steps, "
                        "%zu learning rates in [%g, %g]; %zu pairs within 1e-12 of eta lambda = 1 or 2 left out; "
                        "an oscillation is a sign change of the step's component while it is above 1e-12 of "
                        "its largest size",
                        gd_params_str(p, "spectrum"), Lq, steps, cnt, lo, hi, nbound);
    }
    /* Trajectories along the top direction at eta L = 0.5, 1.5, 2.05. */
    {
        static const char *const tc[] = {"step", "monotone", "oscillating", "divergent"};
        gd_series *ts = gd_result_series_new(r, "trajectory", 4, tc);
        if (!ts) { st = gd_error(ctx, GD_ENOMEM, "out of memory"); goto done; }
        const double fac[3] = {0.5, 1.5, 2.05};
        double z[3] = {1, 1, 1};
        for (int t = 0; t <= 25; t++) {
            double row[4] = {t, z[0], z[1], z[2]};
            if ((st = gd_series_append(ts, row)) != GD_OK) goto done;
            /* GD on the top direction of the quadratic: z <- z - eta L z */
            for (int k = 0; k < 3; k++) z[k] -= fac[k] / Lq * Lq * z[k];
        }
    }

    /* --- the user objective: local L at x0, and what happens --- */
    if (u) {
        const char *xs = gd_params_str(p, "x0");
        if (*xs) {
            if ((st = gd_obj_parse_point(ctx, u, xs, "--x0", x0)) != GD_OK) goto done;
        } else {
            for (size_t i = 0; i < nu; i++) x0[i] = 1;
        }
        if ((st = gd_obj_check_start(ctx, u, x0, xs && *xs ? "--x0" : "the default start (1, ..., 1)")) != GD_OK)
            goto done;
        memcpy(c, x0, nu * sizeof *c);
        if ((st = gd_flow_hess_eig(ctx, u, x0, ev, V)) != GD_OK) goto done;
        const double L0 = ev[nu - 1];
        gd_result_scalar(r, "L_user", L0, GD_NAN);
        static const char *const uc[] = {"eta", "eta_L0", "predicted", "observed", "converged", "escape_step",
                                         "L_path_max", "L_end", "eta_L_end", "loss_monotone"};
        if (!gd_result_series_new(r, "user", 10, uc)) { st = gd_error(ctx, GD_ENOMEM, "out of memory"); goto done; }
        size_t m = 0, ok = 0, conv = 0, conv_stable = 0, conv_beyond = 0;
        double Lpmax = 0, first_bad = GD_NAN;
        for (size_t k = 0; k < cnt; k++) {
            double eta = gd_exp_range_at(lo, hi, cnt, k, 0);
            gd_run g;
            if ((st = run_gd(ctx, u, x0, c, V, eta, steps, 1, work, &g)) != GD_OK) goto done;
            int pr = predict(eta, L0), ob = observed_all(&g, nu - 1);
            double row[10] = {eta, eta * L0, pr, ob, g.converged, (double)g.escape_step, g.L_max,
                              g.L_end, eta * g.L_end, g.loss_monotone};
            if ((st = gd_series_append(gd_result_series_find(r, "user"), row)) != GD_OK) goto done;
            Lpmax = fmax(Lpmax, g.L_max);
            if (pr != R_BOUNDARY) {
                m++;
                if (pr == ob) ok++;
                else if (isnan(first_bad)) first_bad = eta;
            }
            if (g.converged) {
                conv++;
                conv_stable += eta * g.L_end <= 2;
                conv_beyond += eta * L0 > 2;
            }
        }
        gd_result_scalar(r, "user_agree", (double)ok, GD_NAN);
        gd_result_scalar(r, "user_converged_beyond_2_over_L0", (double)conv_beyond, GD_NAN);
        gd_result_scalar(r, "L_path_max", Lpmax, GD_NAN);
        char meas[320];
        snprintf(meas, sizeof meas,
                 "the local L at x0 (%.4g) predicted %zu of %zu learning rates (first miss at eta = %g); "
                 "%zu runs converged, %zu of them with eta > 2/L(x0); the top eigenvalue along the paths "
                 "reached %.4g", L0, ok, m, first_bad, conv, conv_beyond, Lpmax);
        gd_result_claim(r, "003-regimes-user", SRC, GD_VERDICT_INCONCLUSIVE,
                        "GD converges for eta < 2/L and moves without oscillation for eta < 1/L",
                        "regimes by the local L = top Hessian eigenvalue at x0", meas,
                        "objective %s from x0 = %s, %ld steps; the statement needs the global smoothness "
                        "constant L = sup |Hess f|, which a run cannot compute (and which is infinite for "
                        "objectives growing faster than quadratically); the local L at x0 changes along the "
                        "path, so agreement or disagreement with it neither confirms nor refutes the seed",
                        gd_obj_text(u), *xs ? xs : "all ones", steps);
        if (conv > 0) {
            snprintf(meas, sizeof meas, "%zu of %zu converged runs have eta L(x_T) <= 2", conv_stable, conv);
            gd_result_claim(r, "regimes-limit-stability", "linear stability of the GD map (gdlab check)",
                            conv_stable == conv ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                            "a minimum GD converges to satisfies eta L(x*) <= 2 (the Jacobian I - eta H has "
                            "spectral radius <= 1 there)", "eta L(x_T) <= 2 for every converged run", meas,
                            "converged: |grad f(x_T)| <= 1e-8 max(1, |grad f(x0)|) after %ld steps", steps);
        }
    }

    gd_plot pr = {.name = "regimes", .title = "GD regimes: predicted from L vs observed",
                  .xlabel = "eta L", .ylabel = "regime (0 monotone, 1 oscillating, 2 divergent)"};
    pr.line[pr.nlines++] = (gd_plot_line){"quadratic", "eta_L", "predicted", NULL, "predicted (quadratic)", 0};
    pr.line[pr.nlines++] = (gd_plot_line){"quadratic", "eta_L", "observed", NULL, "observed, quadratic top direction", 1};
    if (u) pr.line[pr.nlines++] = (gd_plot_line){"user", "eta_L0", "observed", NULL, "observed, user objective (L at x0)", 1};
    if ((st = gd_result_plot(r, &pr)) != GD_OK) goto done;
    gd_plot pt = {.name = "trajectory", .title = "Top-direction component of GD on the quadratic",
                  .xlabel = "step", .ylabel = "v . x_t"};
    pt.line[pt.nlines++] = (gd_plot_line){"trajectory", "step", "monotone", NULL, "eta L = 0.5 (monotone)", 0};
    pt.line[pt.nlines++] = (gd_plot_line){"trajectory", "step", "oscillating", NULL, "eta L = 1.5 (oscillating)", 0};
    pt.line[pt.nlines++] = (gd_plot_line){"trajectory", "step", "divergent", NULL, "eta L = 2.05 (divergent)", 0};
    pt.hline[pt.nhlines] = 0;
    pt.hlabel[pt.nhlines++] = "minimiser";
    st = gd_result_plot(r, &pt);
done:
    gd_free(buf), gd_obj_free(q), gd_obj_free(u);
    return st;
}

const gd_experiment gd_exp_regimes = {
    "regimes",
    "monotone, oscillating and divergent GD: eta against 1/L and 2/L, quadratic and user objective",
    SRC, params,
    (const char *const[]){"f", "(x^2-1)^2/4 + y^2", "x0", "x=2,y=1", NULL}, run};
