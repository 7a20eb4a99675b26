/* Tests of the stats module: exact distances on hand-computed samples,
 * W1 and KS on samples with known laws (statistical checks within k = 4
 * standard errors under fixed seeds, or the known asymptotic law of the
 * statistic), the Gibbs density of quadratics against the Gaussian in
 * closed form, a double well against independent GSL quadrature, the
 * variance of a periodic function, and bad inputs. */
#include "gdlab/gdlab.h"
#include "gdlab/rng.h"
#include "gdlab/stats.h"
#include "gdtest.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <float.h>
#include <string.h>

static void normals(uint64_t seed, uint64_t replica, double *x, size_t n) {
    gd_rng r;
    gd_rng_stream_init(&r, seed, "test_stats", 0, replica);
    gd_rng_normals(&r, x, n);
}

static void test_w1_exact(void) {
    /* F_x and F_y differ by 1/3, 1/6, 1/6, 1/3 on [0, .5), [.5, 1), [1, 2.5),
     * [2.5, 3): W1 = 1/6 + 1/12 + 1/4 + 1/6 = 2/3. */
    const double x[] = {0, 1, 3}, y[] = {0.5, 2.5};
    gdt_close(gd_stats_w1_sorted(x, 3, y, 2), 2.0 / 3.0, 1e-15, 0, "W1 {0,1,3} vs {0.5,2.5} = 2/3");
    gdt_close(gd_stats_w1_sorted(y, 2, x, 3), 2.0 / 3.0, 1e-15, 0, "W1 is symmetric");
    const double xs[] = {3, 0, 1}, ys[] = {2.5, 0.5};
    double w = -1;
    gdt_check(gd_stats_w1_samples(NULL, xs, 3, ys, 2, &w) == GD_OK, "W1 of unsorted samples runs");
    gdt_close(w, 2.0 / 3.0, 1e-15, 0, "W1 of unsorted samples = 2/3");
    /* Ties and repeated values: {1,1,2} vs {1,2,2}: |2/3 - 1/3| on [1, 2). */
    const double a[] = {1, 1, 2}, b[] = {1, 2, 2};
    gdt_close(gd_stats_w1_sorted(a, 3, b, 3), 1.0 / 3.0, 1e-15, 0, "W1 with ties = 1/3");
    /* A sample and its shifted copy: W1 = the shift. */
    enum { N = 1001 };
    static double u[N], v[N];
    normals(5, 0, u, N);
    for (size_t i = 0; i < N; i++) v[i] = u[i] + 0.37;
    gdt_check(gd_stats_w1_samples(NULL, u, N, v, N, &w) == GD_OK, "W1 shift runs");
    gdt_close(w, 0.37, 1e-12, 0, "W1(sample, sample + 0.37) = 0.37");
    /* Two-sample KS by hand: {1,2,3} vs {2.5,4}: largest gap 2/3 at 2. */
    const double k1[] = {1, 2, 3}, k2[] = {2.5, 4};
    gdt_close(gd_stats_ks_sorted(k1, 3, k2, 2), 2.0 / 3.0, 1e-15, 0, "two-sample KS = 2/3");
    /* Against brute force: sup over all sample points of |F_u - F_v|
     * (both empirical CDFs are right-continuous steps at those points). */
    {
        static double us[N], vs[N];
        memcpy(us, u, sizeof us), memcpy(vs, v, sizeof vs);
        gsl_sort(us, 1, N), gsl_sort(vs, 1, N);
        double dmax = 0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < N; i++) {
                double t = pass ? vs[i] : us[i];
                size_t cu = 0, cv = 0;
                for (size_t j = 0; j < N; j++) cu += us[j] <= t, cv += vs[j] <= t;
                dmax = fmax(dmax, fabs((double)cu - (double)cv) / N);
            }
        gdt_close(gd_stats_ks_sorted(us, N, vs, N), dmax, 1e-15, 0,
                  "two-sample KS of a sample and its shift = brute-force sup |F_u - F_v|");
    }
}

static void test_w1_law(void) {
    gd_stats_normal nd = {0, 1};
    gd_stats_law law = gd_stats_law_normal(&nd);
    /* One point a: W1 = E|Z - a| = a (2 Phi(a) - 1) + 2 phi(a). */
    double a = 0.3;
    double want = a * (2 * gsl_cdf_ugaussian_P(a) - 1) + 2 * gsl_ran_ugaussian_pdf(a);
    gdt_close(gd_stats_w1_law(&a, 1, &law), want, 1e-13, 0, "W1(delta_0.3, N(0,1)) = E|Z - 0.3|");
    /* Two points {-1.2, 0.9}: W1 = int_0^1 |Q_n(u) - Q(u)| du, by
     * quadrature of the quantile form (independent of the CDF form). */
    const double pts[2] = {-1.2, 0.9};
    double ref = 0;
    {
        /* int_0^{1/2} |-1.2 - Q| + int_{1/2}^1 |0.9 - Q|, each split at the
         * crossing: int |c - Q(u)| du over [u0, u1] = closed form with
         * int_{-inf}^{q} x phi = -phi(q). */
        double c0 = -1.2, c1 = 0.9;
        /* E[(c - Z) 1{Z in [l, h]}] = c (Phi(h) - Phi(l)) + phi(h) - phi(l). */
#define PART(c, l, h) ((c) * (gsl_cdf_ugaussian_P(h) - gsl_cdf_ugaussian_P(l)) + \
                       gsl_ran_ugaussian_pdf(h) - gsl_ran_ugaussian_pdf(l))
        ref = PART(c0, -HUGE_VAL, c0) - PART(c0, c0, 0.0) + PART(c1, 0.0, c1) - PART(c1, c1, HUGE_VAL);
#undef PART
    }
    gdt_close(gd_stats_w1_law(pts, 2, &law), ref, 1e-13, 0, "W1({-1.2, 0.9}, N(0,1)) in closed form");

    /* sqrt(n) E W1(F_n, Phi) -> sqrt(2/pi) int sqrt(Phi (1 - Phi)) dx (the
     * mean of int |Brownian bridge(Phi(x))| dx). n = 1e4, 200 replicas. */
    double C = 0;
    enum { N = 10000, R = 200 };
    static double x[N];
    double s = 0, s2 = 0, s_small = 0, s_small2 = 0;
    for (int r = 0; r < R; r++) {
        normals(11, (uint64_t)r, x, N);
        gsl_sort(x, 1, N);
        double w = sqrt((double)N) * gd_stats_w1_law(x, N, &law);
        s += w, s2 += w * w;
        normals(12, (uint64_t)r, x, N / 100);
        gsl_sort(x, 1, N / 100);
        double ws_ = sqrt((double)N / 100) * gd_stats_w1_law(x, N / 100, &law);
        s_small += ws_, s_small2 += ws_ * ws_;
    }
    double m = s / R, se = sqrt((s2 / R - m * m) / (R - 1));
    double ms = s_small / R, ses = sqrt((s_small2 / R - ms * ms) / (R - 1));
    /* int sqrt(Phi(1-Phi)) dx by the trapezoid rule on [-12, 12], step 1e-3
     * (integrand smooth and below 1e-15 beyond): a known constant. */
    for (int i = -12000; i <= 12000; i++) {
        double t = i * 1e-3, P = gsl_cdf_ugaussian_P(t);
        C += sqrt(P * gsl_cdf_ugaussian_Q(t)) * 1e-3;
    }
    C *= sqrt(2 / M_PI);
    gdt_within_se(m, C, se, 4, "sqrt(n) E W1(N(0,1) sample, Phi), n = 1e4, 200 replicas");
    gdt_within_se(ms, C, ses, 4, "sqrt(n) E W1(N(0,1) sample, Phi), n = 1e2, 200 replicas");
    /* Their ratio is 1 within k = 4 standard errors (delta method). */
    double ratio = m / ms, rse = ratio * sqrt((se / m) * (se / m) + (ses / ms) * (ses / ms));
    gdt_within_se(ratio, 1.0, rse, 4, "W1 shrinks like n^-1/2: sqrt(n) E W1 at n = 1e4 over n = 1e2");
}

static void test_ks(void) {
    gdt_close(gd_stats_ks_pvalue(0.5 / 10, 100), 0.9639452436648751, 1e-12, 0, "KS p-value at z = 0.5");
    gdt_close(gd_stats_ks_pvalue(1.0 / 10, 100), 0.26999967167735456, 1e-12, 0, "KS p-value at z = 1");
    gdt_close(gd_stats_ks_pvalue(1.18 / 10, 100), 0.1234538094297657, 1e-12, 0, "KS p-value at z = 1.18");
    gdt_close(gd_stats_ks_pvalue(1.3581 / 10, 100), 0.0499996304316674, 1e-12, 0,
              "KS p-value at z = 1.3581 (the 5% point)");
    gdt_close(gd_stats_ks_pvalue(2.0 / 10, 100), 0.0006709252557796953, 1e-11, 0, "KS p-value at z = 2");
    /* sqrt(n) D against the exact CDF: E sup|B| = sqrt(pi/2) ln 2, and the
     * p-values uniform: mean 1/2, P(p < 0.1) = 0.1 (binomial se). */
    enum { N = 2000, R = 500 };
    static double x[N];
    double s = 0, s2 = 0, ps = 0, small = 0;
    for (int r = 0; r < R; r++) {
        normals(21, (uint64_t)r, x, N);
        gsl_sort(x, 1, N);
        gd_stats_normal nd = {0, 1};
        gd_stats_law law = gd_stats_law_normal(&nd);
        double d = gd_stats_ks_law(x, N, law.cdf, law.data), z = sqrt((double)N) * d;
        s += z, s2 += z * z;
        double p = gd_stats_ks_pvalue(d, N);
        ps += p, small += p < 0.1;
    }
    double m = s / R, se = sqrt((s2 / R - m * m) / (R - 1));
    gdt_within_se(m, sqrt(M_PI / 2) * log(2.0), se, 4, "E sqrt(n) D -> sqrt(pi/2) ln 2 (n = 2000)");
    gdt_within_se(ps / R, 0.5, sqrt(1.0 / 12 / R), 4, "KS p-values have mean 1/2");
    gdt_within_se(small / R, 0.1, sqrt(0.09 / R), 4, "P(KS p-value < 0.1) = 0.1");
}

/* f0 = k (x - c)^2 / 2 with T: the Gibbs law is N(c, T / k). */
typedef struct quad {
    double k, c;
} quad;
static double f_quad(double x, void *d) {
    const quad *q = d;
    return 0.5 * q->k * (x - q->c) * (x - q->c);
}
static double f_dwell(double x, void *d) {
    (void)d;
    return x * x * x * x / 4 - x * x / 2 + 0.1 * x;
}
static double f_neg(double x, void *d) {
    (void)d;
    return -x * x;
}
static double f_nan(double x, void *d) {
    (void)d;
    return x > 0.5 ? nan("") : x * x;
}

typedef struct dw {
    double T, fmin;
    int pw;
} dw;
static double dw_int(double x, void *d) {
    const dw *w = d;
    return pow(x, w->pw) * exp(-(f_dwell(x, NULL) - w->fmin) / w->T);
}

static void test_gibbs(void) {
    /* The last case has a well far narrower than the domain scan's spacing
     * (sd 2.8e-5, scan spacing 1). */
    const double Ts[] = {0.37, 1e-6, 1e-9}, hints[] = {2.9, 2.9, 1000};
    for (int it = 0; it < 3; it++) {
        double T = Ts[it];
        quad q = {1.3, 0.7};
        double sd = sqrt(T / q.k);
        gd_ctx ctx;
        gd_ctx_init(&ctx);
        gd_stats_gibbs *g = gd_stats_gibbs_new(&ctx, f_quad, &q, T, hints[it], 2000);
        if (!gdt_check(g != NULL, "Gibbs of 1.3 (x - 0.7)^2 / 2 at T = %g builds (%s)", T, ctx.err))
            continue;
        gdt_close(gd_stats_gibbs_mean(g), 0.7, 0, 1e-12 * (1 + sd), "Gibbs mean = 0.7");
        gdt_close(gd_stats_gibbs_variance(g), sd * sd, 1e-10, 0, "Gibbs variance = T / k");
        double worst = 0, worstG = 0, worstQ = 0, worstP = 0;
        for (int i = -60; i <= 60; i++) {
            double x = 0.7 + sd * 0.1 * i;
            double F = gsl_cdf_gaussian_P(x - 0.7, sd);
            worst = fmax(worst, fabs(gd_stats_gibbs_cdf(g, x) - F));
            double z = (x - 0.7) / sd;
            double Gx = sd * (z * gsl_cdf_ugaussian_P(z) + gsl_ran_ugaussian_pdf(z));
            worstG = fmax(worstG, fabs(gd_stats_gibbs_cdf_int(g, x) - Gx) / sd);
            worstP = fmax(worstP, fabs(gd_stats_gibbs_pdf(g, x) - gsl_ran_gaussian_pdf(x - 0.7, sd)) * sd);
            if (F > 1e-10 && F < 1 - 1e-10)
                worstQ = fmax(worstQ, fabs(gd_stats_gibbs_quantile(g, F) - x) /
                                          (1e-14 / gsl_ran_gaussian_pdf(x - 0.7, sd) +
                                           4 * DBL_EPSILON * fabs(x)));
        }
        gdt_check(worst <= 1e-10, "Gibbs CDF = gsl_cdf_gaussian_P within 1e-10 (T = %g): %.2e", T, worst);
        gdt_check(worstG <= 1e-10, "integrated CDF = sd (z Phi + phi) within 1e-10 sd: %.2e", worstG);
        gdt_check(worstP <= 1e-10, "pdf = Gaussian pdf within 1e-10 / sd: %.2e", worstP);
        /* The quantile is conditioned by 1/p: an error of 1e-14 in
         * probability units plus 4 ulp of x is what rounding allows. */
        gdt_check(worstQ <= 1, "quantile inverts the CDF: |Q(F(x)) - x| <= 1e-14/p(x) + 4 ulp(x) "
                  "(worst ratio %.2f)", worstQ);
        /* W1 of a sample against the Gibbs law = against the closed-form law. */
        enum { N = 5000 };
        static double x[N];
        normals(31, (uint64_t)it, x, N);
        for (size_t i = 0; i < N; i++) x[i] = 0.7 + 1.1 * sd * x[i];
        gsl_sort(x, 1, N);
        gd_stats_normal nd = {0.7, sd};
        gd_stats_law ln = gd_stats_law_normal(&nd), lg = gd_stats_gibbs_law(g);
        double w1n = gd_stats_w1_law(x, N, &ln), w1g = gd_stats_w1_law(x, N, &lg);
        gdt_close(w1g, w1n, 1e-8, 0, "W1 against the Gibbs law = against N(c, T/k)");
        gdt_close(gd_stats_ks_law(x, N, lg.cdf, lg.data), gd_stats_ks_law(x, N, ln.cdf, ln.data), 0, 1e-10,
                  "KS against the Gibbs law = against N(c, T/k)");
        gd_stats_gibbs_free(g);
    }
    /* A tilted double well against independent GSL qagi. */
    double T = 0.2;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_stats_gibbs *g = gd_stats_gibbs_new(&ctx, f_dwell, NULL, T, 1.0, 1000);
    if (gdt_check(g != NULL, "Gibbs of a tilted double well builds (%s)", ctx.err)) {
        double fmin;
        gd_stats_gibbs_domain(g, NULL, NULL, NULL, &fmin);
        gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
        dw d = {T, fmin, 0};
        gsl_function F = {dw_int, &d};
        double Z, m1, m2, e, mass_neg;
        gsl_integration_qagi(&F, 0, 1e-12, 1000, w, &Z, &e);
        d.pw = 1;
        gsl_integration_qagi(&F, 0, 1e-12, 1000, w, &m1, &e);
        d.pw = 2;
        gsl_integration_qagi(&F, 0, 1e-12, 1000, w, &m2, &e);
        d.pw = 0;
        gsl_integration_qagil(&F, 0, 0, 1e-12, 1000, w, &mass_neg, &e);
        gsl_integration_workspace_free(w);
        double mean = m1 / Z, var = m2 / Z - mean * mean;
        gdt_close(gd_stats_gibbs_mean(g), mean, 1e-9, 1e-12, "double-well Gibbs mean = qagi");
        gdt_close(gd_stats_gibbs_variance(g), var, 1e-9, 0, "double-well Gibbs variance = qagi");
        gdt_close(gd_stats_gibbs_cdf(g, 0), mass_neg / Z, 1e-10, 0, "double-well F(0) = qagil / qagi");
        gd_stats_gibbs_free(g);
    }
}

static double h_msin(double u, void *d) {
    (void)d;
    return -sin(u);
}
static double h_mix(double u, void *d) {
    (void)d;
    return cos(u) + 0.3 * cos(2 * u) + 0.2;
}

static void test_periodic(void) {
    double m = 1, v = 0;
    gdt_check(gd_stats_periodic_moments(NULL, h_msin, NULL, 2 * M_PI, &m, &v) == GD_OK,
              "periodic moments of f1' = -sin run");
    gdt_close(v, 0.5, 1e-12, 0, "sigma^2 of f1 = cos over its period = 1/2");
    gdt_close(m, 0, 0, 1e-12, "mean of f1' over a period = 0");
    gdt_check(gd_stats_periodic_moments(NULL, h_mix, NULL, 2 * M_PI, &m, &v) == GD_OK,
              "periodic moments of cos u + 0.3 cos 2u + 0.2 run");
    gdt_close(m, 0.2, 1e-12, 0, "its mean = 0.2");
    gdt_close(v, 0.545, 1e-12, 0, "its variance = 1/2 + 0.09/2 = 0.545");
}

static void test_moments(void) {
    const double x[] = {2.385, -1.25, 0.5, 4.0, 3.125};
    gdt_close(gd_stats_mean(x, 5), 1.752, 1e-15, 0, "mean");
    double m = 1.752, s = 0;
    for (int i = 0; i < 5; i++) s += (x[i] - m) * (x[i] - m);
    gdt_close(gd_stats_variance(x, 5), s / 4, 1e-14, 0, "unbiased variance");
    /* Batch means of an AR(1) chain x' = a x + e: the se of the mean is
     * sqrt(var / n * (1 + a)/(1 - a)) asymptotically, i.e. ESS = n (1-a)/(1+a). */
    enum { N = 400000 };
    static double c[N];
    gd_rng r;
    gd_rng_stream_init(&r, 41, "test_stats", 1, 0);
    double a = 0.9, xv = 0;
    for (size_t i = 0; i < N; i++) xv = a * xv + gd_rng_normal(&r), c[i] = xv;
    double ess;
    gd_stats_batch_se(c, N, 40, &ess);
    double want = N * (1 - a) / (1 + a);
    /* The batch variance estimate has relative sd sqrt(2/39): ESS within
     * 4 such sd (relative). */
    gdt_check(fabs(ess / want - 1) <= 4 * sqrt(2.0 / 39),
              "batch-means ESS of AR(1), a = 0.9: %.0f vs n (1-a)/(1+a) = %.0f (k = 4)", ess, want);
}

static void test_bad_inputs(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    quad q = {1, 0};
    gdt_check(!gd_stats_gibbs_new(&ctx, f_quad, &q, 0, 0, 100) && strstr(ctx.err, "temperature"),
              "T = 0 is rejected: %s", ctx.err);
    gdt_check(!gd_stats_gibbs_new(&ctx, f_quad, &q, 1, 0, 3) && strstr(ctx.err, "ncell"),
              "ncell = 3 is rejected: %s", ctx.err);
    gdt_check(!gd_stats_gibbs_new(&ctx, f_neg, NULL, 1, 0, 100) && strstr(ctx.err, "normalisable"),
              "f0 = -x^2 is rejected: %s", ctx.err);
    gdt_check(!gd_stats_gibbs_new(&ctx, f_nan, NULL, 1, 0, 100) && strstr(ctx.err, "f0"),
              "f0 NaN for x > 0.5 is rejected: %s", ctx.err);
    double m, v;
    gdt_check(gd_stats_periodic_moments(&ctx, h_msin, NULL, -1, &m, &v) == GD_EINVAL &&
                  strstr(ctx.err, "period"),
              "period -1 is rejected: %s", ctx.err);
    double w;
    const double x[] = {1};
    gdt_check(gd_stats_w1_samples(&ctx, x, 1, x, 0, &w) == GD_EINVAL, "W1 of an empty sample is rejected: %s",
              ctx.err);
}

int main(void) {
    gsl_set_error_handler_off();
    test_moments();
    test_w1_exact();
    test_w1_law();
    test_ks();
    test_gibbs();
    test_periodic();
    test_bad_inputs();
    return gdt_summary();
}
