/* Tests of src/dyn/orbit*.c and lyap_spectrum.c on maps with known answers.
 *
 * The logistic map x -> R x (1 - x) is GD with learning rate eta on
 * f = (1 - r) x^2/2 + r x^3/3 (grad f = x - r x (1 - x)): the step is
 * x - eta grad f = (1 + eta (r - 1)) x - eta r x^2, conjugate by a scaling
 * of x to the logistic map with R = 1 + eta (r - 1). With r = 4, eta = 1 is
 * R = 4, and the period doublings R = 3 and R = 1 + sqrt 6 are at
 * eta = 2/3 and eta = sqrt(6)/3.
 * The cubic map x -> A x - x^3 is GD on f = (1 - a) x^2/2 + x^4/4: the
 * step is (1 + eta (a - 1)) x - eta x^3, conjugate to A u - u^3 with
 * A = 1 + eta (a - 1) (x = u / sqrt(eta)). Its fixed point sqrt(A - 1)
 * has multiplier 3 - 2A (period doubling at A = 2), its 2-cycle {p, q}
 * has p q = 1, p^2 + q^2 = A, multiplier 9 - 2 A^2 (period doubling at
 * A = sqrt 5). With a = 3: eta = 1/2 and eta = (sqrt 5 - 1)/2. */
#include "gdlab/dyn.h"
#include "gdlab/orbit.h"
#include "gdtest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gd_obj *expr(const char *src) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *f = gd_obj_expr(&ctx, src);
    if (!f) {
        fprintf(stderr, "parse '%s': %s\n", src, ctx.err);
        exit(1);
    }
    return f;
}

static void test_logistic(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *f = expr("(1 - 4)*x^2/2 + 4*x^3/3");
    double x0 = 0.2385, lam, se;
    long div;
    /* ln 2 at R = 4, within 4 standard errors of 20 batch means of 1e4
     * steps. The standard error is tiny (~3e-5): the map is conjugate to
     * the tent map, whose slope is 2 everywhere, so log |f'(x)| - ln 2 is a
     * coboundary and each batch sum telescopes to a bounded end term. */
    gdt_check(gd_lyap_spectrum(&ctx, f, 1.0, &x0, 1000, 200000, 20, 1e8, &lam, &se, &div) == GD_OK && div < 0,
              "logistic R=4: Lyapunov run did not diverge");
    gdt_within_se(lam, log(2.0), se, 4, "logistic R=4: lambda = ln 2");
    gdt_check(se > 0 && se < 1e-3, "logistic R=4: SE %.3g in (0, 1e-3) (telescoping batch sums)", se);

    gd_orbit_params p = gd_orbit_default_params();
    p.eta = 0.6; /* R = 2.8: stable fixed point 1 - 1/R in R coordinates */
    p.transient = 2000;
    gd_orbit *o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_attractor a;
    gd_orbit_find(&ctx, o, &x0, &a);
    /* Fixed point of x - eta grad f: grad f = 0 at x = (r - 1)/r = 0.75. */
    gdt_check(a.period == 1 && a.refined && a.stable, "logistic R=2.8: fixed point found (period %d)", a.period);
    gdt_close(a.points[0], 0.75, 1e-15, 0, "logistic R=2.8: fixed point 3/4");
    gdt_close(a.mult_re[0], 2 - 2.8, 1e-13, 1e-15, "logistic R=2.8: multiplier 2 - R");
    double pd1 = 0, pd2 = 0, xl[1] = {a.points[0]};
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 1, 0.6, xl, 0.7, 1e-12, &pd1, NULL) == GD_OK, "logistic PD1 bisection ran");
    gdt_close(pd1, 2.0 / 3.0, 0, 1e-11, "logistic PD1: eta = 2/3 (R = 3)");
    gd_orbit_free(o);
    p.eta = 0.75; /* R = 3.25: stable 2-cycle */
    o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_find(&ctx, o, &x0, &a);
    gdt_check(a.period == 2 && a.stable, "logistic R=3.25: 2-cycle (period %d)", a.period);
    xl[0] = a.points[0];
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 2, 0.75, xl, 0.85, 1e-12, &pd2, NULL) == GD_OK, "logistic PD2 bisection ran: %s",
              ctx.err);
    gdt_close(pd2, sqrt(6.0) / 3, 0, 1e-11, "logistic PD2: eta = sqrt(6)/3 (R = 1 + sqrt 6)");
    /* Just below the doubling (R = 2.9986, multiplier -0.9986) a short
     * transient (9000 steps: deviation ~7e-7) leaves a slowly decaying oscillation that passes the return
     * test at period 2; the refined cycle is the fixed point. */
    {
        gd_orbit_params q = p;
        q.eta = 0.6662, q.transient = 9000;
        gd_orbit *o2 = gd_orbit_new(&ctx, f, &q);
        gd_orbit_attractor a2;
        gd_orbit_find(&ctx, o2, &x0, &a2);
        gdt_check(a2.period == 1 && a2.refined, "logistic R=2.9986, short transient: period 1 after refinement (got %d)",
                  a2.period);
        gd_orbit_free(o2);
    }
    /* A bracket without a crossing is an error, not a number. */
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 2, 0.75, xl, 0.78, 1e-12, &pd2, NULL) == GD_EINVAL,
              "logistic: bracket [0.75, 0.78] without a crossing is GD_EINVAL (%s)", ctx.err);
    gd_orbit_free(o);
    gd_obj_free(f);

    /* The 2-cycle at r = 3.2 (eta = 1): closed-form points and multiplier 4 + 2r - r^2. */
    f = expr("(1 - 3.2)*x^2/2 + 3.2*x^3/3");
    p.eta = 1;
    o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_find(&ctx, o, &x0, &a);
    double r = 3.2, q = sqrt((r - 3) * (r + 1)), lo = (r + 1 - q) / (2 * r), hi = (r + 1 + q) / (2 * r);
    gdt_check(a.period == 2 && a.refined, "logistic r=3.2: period 2 (got %d), refined", a.period);
    double p0 = fmin(a.points[0], a.points[1]), p1 = fmax(a.points[0], a.points[1]);
    gdt_close(p0, lo, 1e-14, 0, "logistic r=3.2: lower cycle point (r+1-sqrt((r-3)(r+1)))/(2r)");
    gdt_close(p1, hi, 1e-14, 0, "logistic r=3.2: upper cycle point (r+1+sqrt((r-3)(r+1)))/(2r)");
    gdt_close(a.mult_re[0], 4 + 2 * r - r * r, 1e-12, 1e-14, "logistic r=3.2: multiplier 4 + 2r - r^2");
    gd_orbit_free(o);
    gd_obj_free(f);
}

static void test_cubic(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *f = expr("(1 - 3)*x^2/2 + x^4/4");
    double x0 = 0.4137, lam, se;
    long div;
    /* eta = 0.4: A = 1.8, stable fixed point with multiplier 3 - 2A = -0.6;
     * after the transient the orbit sits on it, so lambda = ln 0.6 to rounding. */
    gd_lyap_spectrum(&ctx, f, 0.4, &x0, 2000, 1000, 10, 1e8, &lam, &se, &div);
    gdt_close(lam, log(0.6), 1e-12, 0, "cubic A=1.8: lambda = ln |3 - 2A|");
    /* eta = 0.6: A = 2.2, stable 2-cycle with multiplier 9 - 2A^2. */
    gd_lyap_spectrum(&ctx, f, 0.6, &x0, 4000, 1000, 10, 1e8, &lam, &se, &div);
    gdt_close(lam, 0.5 * log(fabs(9 - 2 * 2.2 * 2.2)), 1e-10, 0, "cubic A=2.2: lambda = ln|9 - 2A^2|/2");
    /* A = 3 (eta = 1): x -> 3x - x^3 on [-2, 2] is conjugate to the tripling
     * map of the circle (x = 2 cos theta), lambda = ln 3. 20 batches of 1e4. */
    gd_lyap_spectrum(&ctx, f, 1.0, &x0, 100, 200000, 20, 1e8, &lam, &se, &div);
    if (div >= 0) gdt_check(0, "cubic A=3: the orbit left [-2, 2] by rounding at step %ld", div);
    else gdt_within_se(lam, log(3.0), se, 4, "cubic A=3: lambda = ln 3");

    gd_orbit_params p = gd_orbit_default_params();
    p.eta = 0.4;
    p.transient = 3000;
    gd_orbit *o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_attractor a;
    gd_orbit_find(&ctx, o, &x0, &a);
    gdt_check(a.period == 1, "cubic A=1.8: fixed point");
    gdt_close(a.points[0], sqrt(2.0), 1e-15, 0, "cubic: fixed point sqrt(a - 1) = sqrt 2");
    double pd = 0, xl[1] = {a.points[0]};
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 1, 0.4, xl, 0.55, 1e-12, &pd, NULL) == GD_OK, "cubic PD1 ran");
    gdt_close(pd, 0.5, 0, 1e-11, "cubic PD1: eta = 1/2 (A = 2)");
    gd_orbit_free(o);
    p.eta = 0.56;
    o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_find(&ctx, o, &x0, &a);
    gdt_check(a.period == 2 && a.stable, "cubic A=2.12: 2-cycle (period %d)", a.period);
    /* In u coordinates p q = 1: x = u / sqrt(eta), so x_0 x_1 = 1/eta. */
    gdt_close(a.points[0] * a.points[1], 1 / 0.56, 1e-13, 0, "cubic 2-cycle: x0 x1 = 1/eta");
    xl[0] = a.points[0];
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 2, 0.56, xl, 0.7, 1e-12, &pd, NULL) == GD_OK, "cubic PD2 ran");
    gdt_close(pd, (sqrt(5.0) - 1) / 2, 0, 1e-11, "cubic PD2: eta = (sqrt 5 - 1)/2 (A = sqrt 5)");
    gd_orbit_free(o);
    gd_obj_free(f);
}

static void test_quadratic(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    /* Lyapunov spectrum of a quadratic: log |1 - eta lambda_i| exactly. */
    double L[3] = {0.3, 1.7, 2.9}, x0[3] = {0.7, -1.1, 0.45}, lam[3], se[3], eta = 0.6;
    gd_obj *f = gd_obj_quadratic(&ctx, 3, L);
    long div;
    gd_lyap_spectrum(&ctx, f, eta, x0, 0, 5000, 5, 1e8, lam, se, &div);
    double want[3] = {log(fabs(1 - eta * 0.3)), log(fabs(1 - eta * 2.9)), log(fabs(1 - eta * 1.7))};
    for (int i = 0; i < 3; i++) {
        char w[64];
        snprintf(w, sizeof w, "quadratic: lambda_%d = log|1 - eta lambda|", i + 1);
        gdt_close(lam[i], want[i], 1e-12, 0, w);
    }
    gd_obj_free(f);

    /* A constructed cycle: eta lambda_1 = 2 gives x1 -> -x1 (multiplier -1
     * per step), lambda_2 contracts by 1/4 per step: the 2-cycle
     * {(c, 0), (-c, 0)} with multipliers 1 and 1/16 (a non-isolated cycle:
     * M - I is singular, the least-squares Newton step handles it). */
    double L2[2] = {4, 1.5}, s[2] = {0.8125, -0.3};
    f = gd_obj_quadratic(&ctx, 2, L2);
    gd_orbit_params p = gd_orbit_default_params();
    p.eta = 0.5;
    p.transient = 600;
    gd_orbit *o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_attractor a;
    gd_orbit_find(&ctx, o, s, &a);
    gdt_check(a.period == 2, "quadratic eta lambda = 2: period 2 (got %d)", a.period);
    gdt_close(fabs(a.points[0]), 0.8125, 1e-15, 0, "quadratic cycle: |x1| stays 0.8125");
    gdt_close(a.points[2], -a.points[0], 1e-15, 0, "quadratic cycle: second point is the mirror");
    gdt_close(a.mult_re[0], 1, 1e-14, 0, "quadratic cycle: multiplier (-1)^2 = 1");
    gdt_close(a.mult_re[1], 1.0 / 16, 1e-14, 0, "quadratic cycle: multiplier (1/4)^2");
    gd_orbit_free(o);
    gd_obj_free(f);

    /* Divergence: lambda = 5, eta = 1 multiplies by -4 each step; from 1 the
     * iterate first exceeds 1e8 at step 14 (4^13 < 1e8 < 4^14). */
    double L3[1] = {5}, one = 1;
    f = gd_obj_quadratic(&ctx, 1, L3);
    p.eta = 1, p.transient = 100;
    o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_find(&ctx, o, &one, &a);
    gdt_check(a.period == -1 && a.divergence_step == 14, "quadratic |1 - eta lambda| = 4: diverged at step %ld "
              "(expected 14), period %d", a.divergence_step, a.period);
    gd_orbit_free(o);
    gd_obj_free(f);
}

/* The scalar factorisation 1/2 (1 - x y)^2 on its balanced line x = y = u
 * is the cubic map u -> (1 + eta) u - eta u^3, A = 1 + eta: period
 * doublings at eta = 1 (A = 2) and eta = sqrt 5 - 1 (A = sqrt 5). */
static void test_mf_pd(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *f = gd_obj_mf_scalar(&ctx, 1.0);
    gd_orbit_params p = gd_orbit_default_params();
    p.eta = 1.1;
    p.transient = 5000;
    gd_orbit *o = gd_orbit_new(&ctx, f, &p);
    gd_orbit_attractor a;
    double s[2] = {0.9, 0.6};
    gd_orbit_find(&ctx, o, s, &a);
    gdt_check(a.period == 2 && a.stable, "mf-scalar eta=1.1: stable 2-cycle (period %d)", a.period);
    gdt_check(fabs(a.points[0] - a.points[1]) < 1e-12 && fabs(a.points[2] - a.points[3]) < 1e-12,
              "mf-scalar eta=1.1: the 2-cycle is balanced (x = y)");
    double pd = 0, fx[2] = {1, 1};
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 2, 1.1, a.points, 1.3, 1e-12, &pd, NULL) == GD_OK, "mf PD2 ran: %s", ctx.err);
    gdt_close(pd, sqrt(5.0) - 1, 0, 1e-10, "mf-scalar PD2: eta = sqrt 5 - 1");
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 1, 0.9, fx, 1.1, 1e-12, &pd, NULL) == GD_OK, "mf PD1 ran: %s", ctx.err);
    gdt_close(pd, 1, 0, 1e-11, "mf-scalar PD1 at the balanced minimiser (1, 1): eta = 2/(x^2 + y^2) = 1");
    gd_orbit_free(o);
    gd_obj_free(f);
}

/* The batched fast path against the generic GD step, bitwise, on an odd
 * number of learning rates (not a multiple of the block), with diverging,
 * periodic and chaotic lanes, and for 1 and 2 threads. */
static void test_fast_path(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const double mu = 1.3;
    const size_t neta = 517, K = 9;
    const long T = 700;
    double *eta = malloc(neta * sizeof *eta), *xs = malloc(neta * K * sizeof *xs);
    double *ys = malloc(neta * K * sizeof *ys), *xs2 = malloc(neta * K * sizeof *xs);
    double *ys2 = malloc(neta * K * sizeof *ys), *pts = malloc(neta * K * 2 * sizeof *pts);
    double *gen = malloc(neta * K * 2 * sizeof *gen);
    int *per = malloc(neta * sizeof *per), *per2 = malloc(neta * sizeof *per2);
    for (size_t j = 0; j < neta; j++) eta[j] = 0.2 + 1.6 * (double)j / (double)(neta - 1);
    gd_orbit_mf_batch(mu, eta, neta, 1.7, 0.4, T, K, 1e8, 1, xs, ys);
    gd_orbit_mf_batch(mu, eta, neta, 1.7, 0.4, T, K, 1e8, 2, xs2, ys2);
    gdt_check(!memcmp(xs, xs2, neta * K * sizeof *xs) && !memcmp(ys, ys2, neta * K * sizeof *ys),
              "fast path: 1 and 2 threads bitwise equal");
    gd_obj *f = gd_obj_mf_scalar(&ctx, mu);
    size_t bad = 0, ndiv = 0;
    for (size_t j = 0; j < neta; j++) {
        double x[2] = {1.7, 0.4}, g[2];
        int div = gd_orbit_iterate(f, eta[j], x, T, 1e8, g) >= 0;
        for (size_t k = 0; k < K; k++) {
            if (!div) {
                gd_orbit_step(f, eta[j], x, x, g);
                div = !(fabs(x[0]) <= 1e8 && fabs(x[1]) <= 1e8);
            }
            gen[(j * K + k) * 2] = x[0], gen[(j * K + k) * 2 + 1] = x[1];
        }
        ndiv += div;
        for (size_t k = 0; k < K; k++) {
            double gx = gen[(j * K + k) * 2], gy = gen[(j * K + k) * 2 + 1];
            int same = div ? isnan(xs[j * K + k]) && isnan(ys[j * K + k])
                           : memcmp(&gx, xs + j * K + k, sizeof gx) == 0 && memcmp(&gy, ys + j * K + k, sizeof gy) == 0;
            bad += !same;
        }
    }
    gdt_check(bad == 0, "fast path equals gd_orbit_step bitwise: %zu of %zu values differ (%zu diverged lanes)",
              bad, neta * K, ndiv);
    gdt_check(ndiv > 0 && ndiv < neta, "fast-path test covers diverging and bounded lanes (%zu of %zu diverged)",
              ndiv, neta);
    /* gd_orbit_diagram: with the mf-scalar objective (fast path) its rows
     * equal the generic iterates computed above; on an expression objective
     * (generic path) it is thread-count independent. */
    double x0[2] = {1.7, 0.4};
    gd_orbit_diagram(&ctx, f, eta, neta, x0, T, K, 1e-8, 1e8, 2, pts, per);
    size_t pbad = 0;
    for (size_t j = 0; j < neta; j++)
        pbad += memcmp(pts + j * K * 2, gen + j * K * 2, K * 2 * sizeof *pts) != 0 && per[j] != -1;
    gdt_check(pbad == 0, "orbit diagram (mf fast path) rows equal the generic iterates (%zu differ)", pbad);
    gd_obj *fe = expr("0.5*(1.3 - x*y)^2");
    gd_orbit_diagram(&ctx, fe, eta, neta, x0, T, K, 1e-8, 1e8, 1, gen, per);
    gd_orbit_diagram(&ctx, fe, eta, neta, x0, T, K, 1e-8, 1e8, 2, pts, per2);
    gdt_check(!memcmp(per, per2, neta * sizeof *per), "generic orbit diagram: 1 and 2 threads give the same periods");
    size_t same_bits = 0;
    for (size_t i = 0; i < neta * K * 2; i++) same_bits += memcmp(gen + i, pts + i, sizeof *pts) == 0 || (isnan(gen[i]) && isnan(pts[i]));
    gdt_check(same_bits == neta * K * 2, "generic orbit diagram: 1 and 2 threads bitwise equal");
    gd_obj_free(fe);
    gd_obj_free(f);
    free(eta), free(xs), free(ys), free(xs2), free(ys2), free(pts), free(gen), free(per), free(per2);
}

static void test_errors(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *f = gd_obj_mf_scalar(&ctx, 1.0);
    gd_orbit_params p = gd_orbit_default_params();
    p.eta = 0;
    gdt_check(!gd_orbit_new(&ctx, f, &p) && strstr(ctx.err, "eta"), "eta = 0 refused: %s", ctx.err);
    p = gd_orbit_default_params();
    p.max_period = 0;
    gdt_check(!gd_orbit_new(&ctx, f, &p) && strstr(ctx.err, "max_period"), "max_period 0 refused: %s", ctx.err);
    p = gd_orbit_default_params();
    p.tol = 2;
    gdt_check(gd_orbit_params_check(&ctx, &p) == GD_EINVAL && strstr(ctx.err, "tol"), "tol 2 refused: %s", ctx.err);
    double x0[2] = {1, 2}, lam[2], se[2], eta = 1.0, pts[4];
    int per[1];
    long div;
    gdt_check(gd_lyap_spectrum(&ctx, f, 1.0, x0, 0, 100, 1, 1e8, lam, se, &div) == GD_EINVAL &&
                  strstr(ctx.err, "nbatch"), "lyapunov nbatch 1 refused: %s", ctx.err);
    gdt_check(gd_lyap_spectrum(&ctx, f, -1.0, x0, 0, 100, 4, 1e8, lam, se, &div) == GD_EINVAL,
              "lyapunov eta < 0 refused: %s", ctx.err);
    gdt_check(gd_orbit_diagram(&ctx, f, &eta, 1, x0, 10, 1, 1e-8, 1e8, 1, pts, per) == GD_EINVAL &&
                  strstr(ctx.err, "K"), "diagram K = 1 refused: %s", ctx.err);
    eta = NAN;
    gdt_check(gd_orbit_diagram(&ctx, f, &eta, 1, x0, 10, 2, 1e-8, 1e8, 1, pts, per) == GD_EINVAL,
              "diagram eta NaN refused: %s", ctx.err);
    p = gd_orbit_default_params();
    gd_orbit *o = gd_orbit_new(&ctx, f, &p);
    double pd;
    gdt_check(gd_orbit_pd_bisect(&ctx, o, 1, 1.2, x0, 1.1, 1e-10, &pd, NULL) == GD_EINVAL, "reversed bracket refused: %s",
              ctx.err);
    gd_orbit_free(o);
    gd_obj_free(f);
}

int main(void) {
    test_logistic();
    test_cubic();
    test_quadratic();
    test_mf_pd();
    test_fast_path();
    test_errors();
    return gdt_summary();
}
