/* Tests of the claim checkers (claims.h): the RoPE feasibility check
 * against a direct long-double scan (its minimum within the stated bound,
 * a planted violation found at the right m), thread independence, the
 * fp32 emulation against a direct float computation, and the search. */
#include "gdlab/claims.h"
#include "gdlab/rng.h"
#include "gdtest.h"

#include <math.h>
#include <string.h>

/* Direct B(m) in long double and the first m < L with B(m) < 0. */
static long double direct(size_t d, long m, double b) {
    long double s = 0;
    for (size_t i = 0; i < d / 2; i++)
        s += cosl((long double)m * powl((long double)b, -2.0L * (long double)i / (long double)d));
    return s;
}

static void test_rope_check(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    /* d = 128, L = 60000, b = 10000: infeasible; scan directly. */
    const size_t d = 128;
    const long L = 60000;
    const double b = 1e4;
    long first = -1, argmin = 0;
    long double mn = INFINITY;
    for (long m = 0; m < L; m++) {
        const long double s = direct(d, m, b);
        if (s < mn) mn = s, argmin = m;
        if (s < 0 && first < 0) first = m;
    }
    gd_rope_check c, c2, ce;
    gdt_check(gd_rope_check_base(&ctx, d, L, b, 0, 0, &c) == GD_OK, "check: status ok");
    gdt_check(first > 0 && c.first_violation_m == first && !c.feasible,
              "planted violation: b = 1e4 at L = 60000 fails first at m = %ld (direct scan: %ld)",
              c.first_violation_m, first);
    gdt_check(fabs(c.min_sum - (double)mn) <= c.err_bound && c.argmin_m == argmin,
              "min B(m) %.12g at m = %ld against the direct %.12Lg at %ld, within the bound %.2g",
              c.min_sum, c.argmin_m, mn, argmin, c.err_bound);
    gdt_check(c.evaluated == L, "the check evaluates all %ld m (got %ld)", L, c.evaluated);
    ctx.threads = 2;
    gd_rope_check_base(&ctx, d, L, b, 0, 0, &c2);
    gdt_check(!memcmp(&c, &c2, sizeof c), "1 and 2 threads: the same check, bit for bit");
    gd_rope_check_base(&ctx, d, L, b, 0, 1, &ce);
    gdt_check(ce.first_violation_m == first && ce.evaluated == first + 1,
              "early exit stops at the first violation (evaluated %ld)", ce.evaluated);
    /* A feasible base: the true minimum is positive. */
    gd_rope_check f;
    gd_rope_check_base(&ctx, d, 2000, 1e6, 0, 0, &f);
    gdt_check(f.feasible && f.first_violation_m == -1 && f.min_sum > 0, "b = 1e6 is feasible at L = 2000 "
              "(min %.6g)", f.min_sum);
    /* fp32: float angles (float)m * (float)theta, cosines in double. */
    float thf[64];
    for (size_t i = 0; i < 64; i++) thf[i] = (float)pow(b, -2.0 * (double)i / 128.0);
    double mn32 = INFINITY;
    long am32 = 0;
    for (long m = 0; m < 5000; m++) {
        double s = 0;
        for (size_t i = 0; i < 64; i++) s += cos((double)((float)m * thf[i]));
        if (s < mn32) mn32 = s, am32 = m;
    }
    gd_rope_check_base(&ctx, d, 5000, b, 1, 0, &c);
    gdt_check(c.argmin_m == am32 && fabs(c.min_sum - mn32) < 1e-12, "fp32 emulation: min %.12g at %ld "
              "(direct float angles: %.12g at %ld)", c.min_sum, c.argmin_m, mn32, am32);
    gdt_check(gd_rope_check_base(&ctx, 127, 10, 1e4, 0, 0, &c) == GD_EINVAL && strstr(ctx.err, "even"),
              "odd dimension refused: %s", ctx.err);
    gdt_check(gd_rope_check_base(&ctx, 128, 10, 1, 0, 0, &c) == GD_EINVAL && strstr(ctx.err, "base"),
              "base 1 refused: %s", ctx.err);
}

static void test_rope_search(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_rope_search_params sp = gd_rope_search_default_params();
    gd_rope_search so;
    gdt_check(gd_rope_min_base(&ctx, 64, 4096, 0, &sp, &so) == GD_OK && isfinite(so.base), "search: status ok");
    const double b = so.base;
    gd_rope_check c, below;
    gd_rope_check_base(&ctx, 64, 4096, b, 0, 0, &c);
    gd_rope_check_base(&ctx, 64, 4096, b * (1 - 2 * sp.rel_tol), 0, 0, &below);
    gdt_check(c.feasible && !below.feasible, "the base found (%.8g, %ld evaluations, %ld uncertified steps) is "
              "feasible and b (1 - 2e-6) is not (first violation %ld)", b, so.evaluations, so.uncertified_steps,
              below.first_violation_m);
    /* The scan misses no island: a grid 100x finer than the old 1%% grid
     * below the answer finds no feasible base. */
    size_t feas = 0, k = 0;
    for (double g = sp.start; g < b * (1 - 2 * sp.rel_tol); g *= 1.0001, k++) {
        gd_rope_check_base(&ctx, 64, 4096, g, 0, 1, &c);
        feas += (size_t)c.feasible;
    }
    gdt_check(feas == 0 && k > 10000, "none of the %zu grid bases (ratio 1e-4) below the answer is feasible", k);
    /* d = 128, L = 32768: feasible islands of relative width 0.5%% lie below
     * the first feasible base of a 1%% grid; the scan finds the first. */
    const gd_status st = gd_rope_min_base(&ctx, 128, 32768, 0, &sp, &so);
    gdt_check(st == GD_OK, "d 128, L 32768: status ok");
    gd_rope_check_base(&ctx, 128, 32768, 6.4e5, 0, 0, &c);
    gdt_check(so.base > 6.29e5 && so.base < 6.31e5 && !c.feasible, "d 128, L 32768: the smallest base %.7g is "
              "in an island below 6.4e5, which is infeasible (first violation %ld)", so.base, c.first_violation_m);
    /* fp32: the stated grid search, its answer feasible in fp32. */
    const gd_status st32 = gd_rope_min_base(&ctx, 64, 4096, 1, &sp, &so);
    gdt_check(st32 == GD_OK && isfinite(so.base) && so.uncertified_steps == 0, "fp32 search: status ok, base %.7g",
              so.base);
    gd_rope_check_base(&ctx, 64, 4096, so.base, 1, 0, &c);
    gdt_check(c.feasible, "fp32 search: its base is feasible in fp32");
}

static void test_probability(void) {
    long checked;
    const long bad = gd_prob_identity(18, 24, &checked);
    gdt_check(bad == 0 && checked == 18 * 25,
              "power-series identity exact for j <= 18, n <= 24 (%ld pairs)", checked);
    /* Near p = 0 the relative margin is 1 - 1/(j+1)!; against a direct
     * long-double evaluation at p = 0.3, where nothing cancels. */
    const double p = 1e-4;
    const long double A = powl(p, 3) / (1 - (long double)p);
    gdt_close((double)(gd_prob_margin(2, p) / A), 1 - 1.0 / 6, 1e-3, 0, "j = 2: relative margin 5/6 near p = 0");
    long double u = -log1pl(-0.3L), S = 1 + 0.3L + 0.09L, E = 1 + u + u * u / 2;
    gdt_close((double)gd_prob_margin(2, 0.3), (double)(E - S), 1e-15, 0, "j = 2, p = 0.3: tail form = E - S");
    gdt_check(fabsl(gd_prob_margin(0, 0.7)) < 1e-17, "j = 0 is an equality (|D_0(0.7)| = %.2Lg)",
              fabsl(gd_prob_margin(0, 0.7)));
    double w, wp;
    int wj;
    long ev;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gdt_check(gd_prob_search(&ctx, 20, 200, 0, &w, &wj, &wp, &ev) == GD_OK, "the search runs");
    gdt_check(w > 0 && ev >= 4000, "search: smallest margin %.3g > 0 (j = %d, p = %.17g, %ld evaluations)",
              w, wj, wp, ev);
    gd_prob_search(&ctx, 20, 200, 1, &w, &wj, &wp, &ev);
    gdt_check(w < -0.5 && wp < 1e-3, "planted: the termwise p^j <= u^j/j! found violated (margin %.3g at "
              "j = %d, p = %.3g)", w, wj, wp);
}

static void test_cosine(void) {
    const double x[5] = {1, 2, 0.01, 0, 3}, y[5] = {2, 4, 1, 5, 3};
    const size_t sz[3] = {2, 2, 1};
    double loc[3];
    const double C = gd_cos_blocks(x, y, sz, 3, loc);
    const double want = (2 + 8 + 0.01 + 9) / sqrt((1 + 4 + 1e-4 + 9) * (4 + 16 + 1 + 25 + 9));
    gdt_close(C, want, 1e-15, 0, "global cosine of three blocks");
    gdt_close(loc[0], 1, 1e-15, 0, "block 1: parallel, cosine 1");
    gdt_close(loc[1], 0.01 / sqrt(1e-4 * 26), 1e-14, 0, "block 2 cosine");
    double w;
    long ev;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.seed = 3;
    gdt_check(gd_cos_search(&ctx, 100, 6, 6, 0, &w, &ev) == GD_OK, "the search runs");
    gdt_check(w >= -1e-15, "C <= max_i c_i when some c_i >= 0: smallest margin %.3g over %ld instances", w, ev);
    gd_cos_search(&ctx, 100, 6, 6, 1, &w, &ev);
    gdt_check(w < -0.1, "planted: with every c_i < 0 the search finds C > max_i c_i (margin %.3g)", w);
}

static void test_logsumexp(void) {
    const double x[3] = {1, 2, 3}, y[3] = {1.5, 2.5, 3.5};
    const double L = log(exp(1.0) + exp(2.0) + exp(3.0));
    gdt_close(gd_lse(x, 3), L, 1e-15, 0, "lse(1, 2, 3)");
    gdt_close(gd_lse_margin(GD_LSE_MAX_UPPER, x, y, 0.5, 3), (3 + log(3.0) - L) / L, 1e-14, 0,
              "max-upper margin, relative to lse");
    gdt_check(fabs(gd_lse_margin(GD_LSE_LIPSCHITZ, x, y, 0.5, 3)) < 1e-17,
              "Lipschitz: equality for y = x + 0.5 (margin %.2g)", gd_lse_margin(GD_LSE_LIPSCHITZ, x, y, 0.5, 3));
    const double big[2] = {0, -1e6};
    gdt_check(gd_lse_margin(GD_LSE_MAX_LOWER, big, big, 0.5, 2) >= 0, "max-lower: no false violation when "
              "exp underflows");
    for (int k = 0; k < GD_LSE_COUNT; k++) {
        double w;
        long ev;
        gd_lse_search(2, (gd_lse_ineq)k, 100, 12, &w, &ev);
        if (k < GD_LSE_CONTROL_HALF_LOG)
            gdt_check(w >= -1e-15, "%s: smallest margin %.3g >= -1e-15 (%ld evaluations)",
                      gd_lse_ineq_name((gd_lse_ineq)k), w, ev);
        else
            gdt_check(w < -0.1, "planted: %s found violated (margin %.3g)", gd_lse_ineq_name((gd_lse_ineq)k), w);
    }
}

static void test_regret(void) {
    /* From x_1 = 1 with g = +1 and constant eta = 0.1 on [-1, 1]: x_t = 1 -
     * 0.1 (t-1) until -1 (t = 21), then stays; over T = 30 the regret is
     * sum (x_t + 1) = sum_{t<=21} (2 - 0.1 (t-1)) = 21; bound 4/0.2 + 0.05 * 30. */
    double g[30];
    for (int t = 0; t < 30; t++) g[t] = 1;
    gdt_close(gd_regret_ratio(GD_REGRET_CONSTANT, g, 30, 1, 2, 1, 0.1), 21.0 / (20 + 1.5), 1e-13, 0,
              "drift sequence: regret 21 against the bound 21.5");
    for (int c = 0; c < GD_REGRET_COUNT; c++) {
        double w;
        long ev;
        gd_regret_search(4, (gd_regret_case)c, 60, 2, 1, 2 / sqrt(60.0), 8, 1000, &w, &ev, NULL, NULL);
        if (c < GD_REGRET_CONTROL_WARMUP)
            gdt_check(w <= 1 + 1e-12 && w > 0, "%s: largest ratio %.6f <= 1", gd_regret_case_name((gd_regret_case)c), w);
        else
            gdt_check(w > 1.05, "planted: %s breaks the bound (ratio %.3f)", gd_regret_case_name((gd_regret_case)c), w);
    }

    /* The unbounded domain. The population loss at a point away from theta*
     * against a Monte Carlo mean of the sample loss (k = 4 se, fixed seed). */
    gd_regret_mc_params p = gd_regret_mc_default_params();
    const double th[3] = {2.385, -0.7, 1.1};
    gd_rng rg;
    gd_rng_stream_init(&rg, 11, "test-regret-loss", 0, 0);
    double m = 0, m2 = 0, x[3];
    const long N = 200000;
    for (long k = 0; k < N; k++) {
        gd_rng_normals(&rg, x, 3);
        for (int i = 0; i < 3; i++) x[i] = p.mu[i] + p.s[i] * x[i];
        const double l = gd_regret_mc_sample_loss(&p, x, th);
        m += l, m2 += l * l;
    }
    m /= (double)N;
    const double L = gd_regret_mc_loss(&p, th);
    gdt_within_se(m, L, sqrt((m2 / (double)N - m * m) / (double)(N - 1)), 4,
                  "population loss at (2.385, -0.7, 1.1) against 200000 samples");
    gdt_close(gd_regret_mc_excess(&p, th), L - gd_regret_mc_loss(&p, p.mu), 1e-13, 0, "excess = L(theta) - L(mu)");
    gdt_close(gd_regret_mc_loss(&p, p.mu), 0.797884560802865356 * (0.8 * 3 + 0.48 * 2 + 0.36 * 1), 1e-15, 0,
              "L(theta*) = sqrt(2/pi) sum_i w_i s_i");
    /* Near theta* the excess is w_1 s_1 phi(0) z^2 (1 - z^2/12), z about
     * 1e-6/3 (the displacement as stored: theta - mu is exact), where L(theta)
     * - L(theta*) would have lost every digit. */
    const double tz[3] = {p.mu[0] + 1e-6, p.mu[1], p.mu[2]}, z = (tz[0] - p.mu[0]) / 3;
    gdt_close(gd_regret_mc_excess(&p, tz), 0.8 * 3 * z * z * 0.398942280401432678 * (1 - z * z / 12), 1e-13, 0,
              "excess near theta*: no cancellation");
    /* The bounds: a constant rate 0.1, T = 200, D = 1.5, G = 1 (both forms
     * 2.25/40 + 0.05), and eta/sqrt(t) against the harmonic number. */
    gd_regret_bounds b = gd_regret_unbounded_bounds(GD_REGRET_CONSTANT, 200, 200, 0.1, 1.5, 1);
    gdt_close(b.average, 0.10625, 1e-14, 0, "constant: (avg-2) bound 2.25/40 + 0.05");
    gdt_close(b.weighted, 0.10625, 1e-14, 0, "constant: (avg-3) bound 4.25/40");
    gdt_close(b.pathwise, 2.125, 1e-14, 0, "constant: (mid1) bound (2.25 + 2)/2");
    double H = 0;
    for (int t = 1; t <= 150; t++) H += 1.0 / t;
    b = gd_regret_unbounded_bounds(GD_REGRET_INVSQRT, 150, 200, 0.3, 1.5, 2);
    const double eT = 0.3 / sqrt(150.0);
    gdt_close(b.average, 2.25 / (2 * 150 * eT) + 4 * 0.09 * H / (2 * 150 * eT), 1e-13, 0,
              "eta/sqrt(t), first 150 of 200 steps: (avg-2) with sum eta_t^2 = eta^2 H_150");

    /* The expectation bound holds for a constant rate, not trivially, and
     * (mid1) on every path; the same answer on 2 threads. */
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.seed = 5;
    p.paths = 2000;
    gd_regret_mc mc, mc2, mw;
    gdt_check(gd_regret_mc_run(&ctx, &p, GD_REGRET_CONSTANT, &mc, NULL) == GD_OK, "Monte Carlo: status ok");
    gdt_check(mc.mean + 4 * mc.se < mc.bound.average && mc.mean > 0.3 * mc.bound.average,
              "constant rate: E[(1/T) sum excess] / bound = %.4f +- %.4f, more than 4 se below 1 and above 0.3",
              mc.mean / mc.bound.average, mc.se / mc.bound.average);
    gdt_check(mc.worst_pathwise <= 1 + 1e-12 && mc.worst_pathwise > 0.5,
              "(mid1) holds on each of 2000 paths (largest ratio %.4f)", mc.worst_pathwise);
    ctx.threads = 2;
    gd_regret_mc_run(&ctx, &p, GD_REGRET_CONSTANT, &mc2, NULL);
    gdt_check(!memcmp(&mc, &mc2, sizeof mc), "1 and 2 threads: the same Monte Carlo, bit for bit");
    /* Planted: single paths of the same seeded Monte Carlo exceed the bound,
     * and the largest replays to the same value. */
    const gd_regret_path rp = gd_regret_mc_replay(ctx.seed, &p, GD_REGRET_CONSTANT, mc.argmax, NULL);
    gdt_check(mc.exceed > 0 && mc.max_average > mc.bound.average && rp.average == mc.max_average,
              "planted: %zu of 2000 seeded paths exceed the bound, the largest (path %zu) by a ratio %.4f",
              mc.exceed, mc.argmax, mc.max_average / mc.bound.average);
    /* Planted, explicit: samples always above the iterate (probability > 0
     * at each step) push theta_t away from theta* at speed eta_t w_i; the
     * realised left side is far above the bound, while (mid1) still holds. */
    double xs[200 * 3], cur[3] = {p.theta1[0], p.theta1[1], p.theta1[2]};
    const double eta = gd_regret_mc_eta(&p);
    for (int t = 0; t < 200; t++)
        for (int i = 0; i < 3; i++) xs[3 * t + i] = cur[i] + p.s[i], cur[i] += eta * p.w[i];
    const gd_regret_path ep = gd_regret_mc_path(&p, GD_REGRET_CONSTANT, xs, NULL, NULL);
    gdt_check(ep.average > 5 * mc.bound.average && ep.pathwise <= mc.bound.pathwise,
              "planted sequence: realised (1/T) sum excess / bound = %.2f, (mid1) ratio %.4f <= 1",
              ep.average / mc.bound.average, ep.pathwise / mc.bound.pathwise);
    /* The control: an increasing warm-up breaks (avg-2) by more than 4 se;
     * (avg-3), which needs no monotonicity, still holds. */
    gd_regret_mc_run(&ctx, &p, GD_REGRET_CONTROL_WARMUP, &mw, NULL);
    gdt_check(mw.mean - 4 * mw.se > mw.bound.average, "control: warm-up refutes (avg-2), mean / bound %.4f +- %.4f",
              mw.mean / mw.bound.average, mw.se / mw.bound.average);
    gdt_check(mw.wmean + 4 * mw.wse < mw.bound.weighted, "warm-up: (avg-3) holds, mean / bound %.4f +- %.4f",
              mw.wmean / mw.bound.weighted, mw.wse / mw.bound.weighted);
    /* Errors. */
    p.paths = 1;
    gdt_check(gd_regret_mc_run(&ctx, &p, GD_REGRET_CONSTANT, &mc, NULL) == GD_EINVAL && strstr(ctx.err, "paths"),
              "one path refused: %s", ctx.err);
    p.paths = 10, p.s[1] = 0;
    gdt_check(gd_regret_mc_run(&ctx, &p, GD_REGRET_CONSTANT, &mc, NULL) == GD_EINVAL && strstr(ctx.err, "s[1]"),
              "s = 0 refused: %s", ctx.err);
}

static void test_sphere(void) {
    /* In R^3: w = e1, g = (1, 2, 0): g_t = (0, 2, 0), phi = (0, -1, 0). */
    const double w[3] = {1, 0, 0}, g[3] = {1, 2, 0};
    double phi[3], wr[3], we[3];
    gd_sphere_step s;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gdt_check(gd_sphere_step_at(&ctx, w, g, 3, 0.5, phi, wr, we, &s) == GD_OK, "sphere step runs");
    gdt_check(fabs(phi[1] + 1) < 1e-15 && fabs(phi[0]) < 1e-15, "phi = (0, -1, 0) (got %g %g %g)", phi[0], phi[1], phi[2]);
    gdt_close(s.angle_retraction, atan(0.5), 1e-15, 0, "retraction angle atan(eta)");
    gdt_close(s.angle_exact, 2 * asin(0.25), 1e-15, 0, "exact-optimum angle 2 asin(eta/2)");
    gdt_close(sqrt((we[0] - 1) * (we[0] - 1) + we[1] * we[1] + we[2] * we[2]), 0.5, 1e-15, 0,
              "the exact optimum is at chord distance eta");
    /* msign on a 20 x 12 Gaussian matrix: the scalar map and the cubic. */
    double M[240], cu[120], e, lo, hi, me;
    gd_rng r;
    gd_rng_stream_init(&r, 8, "test-msign", 0, 0);
    gd_rng_normals(&r, M, 240);
    for (int k = 0; k < 40; k++) cu[3 * k] = 1.5, cu[3 * k + 1] = -0.5, cu[3 * k + 2] = 0;
    const gd_status st = gd_msign_error(&ctx, M, 20, 12, cu, 40, &e, &lo, &hi, &me);
    gdt_check(st == GD_OK && e < 1e-12 && me < 1e-12,
              "cubic Newton-Schulz x 40 reaches U V^T (error %.2g; scalar map %.2g)", e, me);
    gd_msign_error(&ctx, M, 20, 12, cu, 3, &e, &lo, &hi, &me);
    gdt_check(e > 0.01 && me < 1e-12, "planted: 3 cubic steps are far from U V^T (error %.3g), yet the scalar map "
              "still predicts the singular values (%.2g)", e, me);
}

int main(void) {
    test_rope_check();
    test_rope_search();
    test_probability();
    test_cosine();
    test_logsumexp();
    test_regret();
    test_sphere();
    return gdt_summary();
}
