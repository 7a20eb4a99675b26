/* Tests of gdlab's ziggurat (gd_rng_normals_zig, src/core/rng.c) and of
 * the Monte Carlo paths that use it.
 *
 * The generator: its Philox rounds against Random123's philox4x64; its
 * tables against the ziggurat's defining equations (equal layer areas,
 * f(X_i) = exp(-X_i^2/2)) to the rounding of the stored entries; its exp
 * and log against libm; the distribution by a Kolmogorov-Smirnov test
 * against the normal CDF, a chi-square test over equiprobable bins, the
 * first four moments, the tail frequencies beyond |z| = 3, 4 and the
 * ziggurat's r and a KS test of the tail beyond r; the stream: the same
 * key gives the same numbers, the numbers do not depend on how a stream is
 * cut into calls, the vector path gives the bits of the portable one, and
 * the words consumed are those of the stream.
 *
 * The Monte Carlo paths: sgd-1d and sgd-zipf give the same bits on 1 and 2
 * threads; and the bias test of issue 13: the 1-D Monte Carlo for 256
 * seeds, whose z-scores against the exact loss must look N(0, 1), and
 * whose pooled mean must match the exact loss with a standard error small
 * enough that a relative bias of 1e-4 would be 5 standard errors.
 *
 * Statistical checks use fixed seeds and compare within k = 5 standard
 * errors (k = 4 for the pooled bias check; stated in each line); KS tests
 * against the critical value 1.95 of sqrt(n) D (asymptotic p = 0.001). */
#include "gdlab/gdlab.h"
#include "gdtest.h"

#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>
#include <stdlib.h>
#include <string.h>

#define K_SE 5.0       /* standard errors allowed in statistical checks */
#define KS_CRIT 1.95   /* sqrt(n) D at asymptotic p = 0.001 */

static double norm_cdf(double x, void *data) {
    (void)data;
    return 0.5 * erfc(-x / sqrt(2.0));
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The exported Philox rounds are Random123's philox4x64, bit for bit. */
static void test_philox(void) {
    gd_rng g;
    gd_rng_stream_init(&g, 99, "philox", 0, 0);
    int same = 1;
    for (int i = 0; i < 10000; i++) {
        uint64_t ctr[4], key[2], out[4];
        for (int j = 0; j < 4; j++) ctr[j] = gd_rng_u64(&g);
        for (int j = 0; j < 2; j++) key[j] = gd_rng_u64(&g);
        if (i % 3 == 0) ctr[1] = ctr[2] = ctr[3] = 0; /* the stream's shape */
        gd_rng_philox4x64(ctr, key, out);
        philox4x64_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
        philox4x64_key_t k = {{key[0], key[1]}};
        philox4x64_ctr_t r = philox4x64(c, k);
        same &= memcmp(out, r.v, sizeof out) == 0;
    }
    gdt_check(same, "gd_rng_philox4x64 equals Random123's philox4x64 on 10000 random blocks");
}

/* The tables solve the ziggurat's equations: every layer has area V, the
 * base strip included; f[i] = exp(-X_i^2/2); X_C = 0, f(X_C) = 1. The
 * tolerance is what rounding each stored entry to the nearest double
 * allows (2^-53 relative each), computed per layer in long double; V and
 * r are the 60-digit values of the table's comment in src/core/rng.c, and
 * V is checked against its formula r f(r) + sqrt(pi/2) erfc(r/sqrt 2). */
static void test_tables(void) {
    const double *x, *f;
    size_t C;
    gd_rng_zig_tables(&x, &f, &C);
    gdt_check(C == 512 && x[C] == 0 && f[C] == 1, "ziggurat: 512 layers, X_C = 0, f(X_C) = 1");
    const long double e = 0x1p-53L, r = 3.85204615036839124811790L,
                      V = 0.00245676635154135573373L;
    long double Vf = r * expl(-r * r / 2) + sqrtl(acosl(-1.0L) / 2) * erfcl(r / sqrtl(2.0L));
    gdt_check(fabsl(Vf - V) <= 1e-17L * V && x[1] == (double)r,
              "ziggurat: X_1 = r, V = r f(r) + sqrt(pi/2) erfc(r/sqrt 2) (rel. diff %.2Lg)",
              fabsl(Vf - V) / V);
    double worst_area = 0, worst_f = 0;
    int ok_area = 1, ok_f = 1, mono = 1;
    for (size_t i = 0; i < C; i++) {
        long double a, bound;
        if (i == 0) { /* the base strip: X_0 f(r) */
            a = (long double)x[0] * f[1];
            bound = 2 * e * a;
        } else {
            a = (long double)x[i] * ((long double)f[i + 1] - f[i]);
            bound = e * (x[i] * ((long double)f[i + 1] + f[i]) + a);
        }
        long double d = fabsl(a - V);
        ok_area &= d <= bound;
        if ((double)(d / bound) > worst_area) worst_area = (double)(d / bound);
        mono &= x[i + 1] < x[i] && f[i + 1] > f[i];
    }
    for (size_t i = 0; i <= C; i++) {
        long double xi = x[i], want = expl(-xi * xi / 2);
        /* half an ulp of f, and f' = -x f times half an ulp of X_i */
        long double bound = e * want * (1 + xi * xi) + 0x1p-62L * want;
        long double d = fabsl((long double)f[i] - want);
        ok_f &= d <= bound;
        if ((double)(d / bound) > worst_f) worst_f = (double)(d / bound);
    }
    gdt_check(mono, "ziggurat: X_i decreasing, f(X_i) increasing");
    gdt_check(ok_area, "ziggurat: every layer's area is V to the rounding of its entries "
                       "(worst |area - V| / bound = %.3f)", worst_area);
    gdt_check(ok_f, "ziggurat: f[i] = exp(-X_i^2/2) to the rounding of the entries "
                    "(worst %.3f of the bound)", worst_f);
}

/* ulps between a and b (finite, same sign). */
static double ulps(double a, double b) {
    return fabs(a - b) / (nextafter(fabs(b), INFINITY) - fabs(b));
}

static void test_exp_log(void) {
    gd_rng g;
    gd_rng_stream_init(&g, 5, "explog", 0, 0);
    double we = 0, wl = 0;
    for (int i = 0; i < 1000000; i++) {
        double t = -gd_rng_uniform(&g) * (i % 2 ? 8.0 : 700.0);
        double u = gd_rng_uniform(&g);
        if (i % 4 == 3) u = ldexp(u, -(int)(gd_rng_u32(&g) % 960));
        double a = ulps(gd_rng_exp_det(t), exp(t)), b = ulps(gd_rng_log_det(u), log(u));
        we = a > we ? a : we;
        wl = b > wl ? b : wl;
    }
    gdt_check(we <= 2, "ziggurat exp within 2 ulps of libm's on t in [-700, 0]: worst %.2f", we);
    gdt_check(wl <= 2, "ziggurat log within 2 ulps of libm's on u in (2^-1014, 1): worst %.2f", wl);
    gdt_check(gd_rng_exp_det(0) == 1 && gd_rng_log_det(1) == 0, "exp(0) = 1, log(1) = 0 exactly");
}

/* n variates of the stream (seed, "zig", 0, 0). */
static double *draw(size_t n, uint64_t seed) {
    double *z = malloc(n * sizeof *z);
    gd_rng r;
    gd_rng_stream_init(&r, seed, "zig", 0, 0);
    gd_rng_normals_zig(&r, z, n);
    return z;
}

static void test_distribution(void) {
    /* KS against the normal CDF. */
    const size_t nks = (size_t)1 << 21;
    double *z = draw(nks, 2024);
    qsort(z, nks, sizeof *z, cmp_double);
    double D = gd_stats_ks_law(z, nks, norm_cdf, NULL);
    gdt_check(sqrt((double)nks) * D <= KS_CRIT,
              "ziggurat KS against N(0,1), n = %zu: sqrt(n) D = %.3f <= %.2f (p = %.3f)", nks,
              sqrt((double)nks) * D, KS_CRIT, gd_stats_ks_pvalue(D, (double)nks));
    free(z);

    /* Moments, tails, chi-square over equiprobable bins, from 1e7 more. */
    const size_t n = 10000000, nbin = 200;
    z = draw(n, 77);
    const double r = 3.8520461503683912; /* the ziggurat's base edge */
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    size_t c3 = 0, c4 = 0, *bin = calloc(nbin, sizeof *bin);
    for (size_t i = 0; i < n; i++) {
        double v = z[i], v2 = v * v;
        s1 += v, s2 += v2, s3 += v2 * v, s4 += v2 * v2;
        c3 += fabs(v) > 3, c4 += fabs(v) > 4;
        size_t b = (size_t)(gsl_cdf_ugaussian_P(v) * (double)nbin);
        bin[b < nbin ? b : nbin - 1]++;
    }
    double dn = (double)n;
    /* Raw moments of N(0,1) and their standard errors sqrt(Var(z^k)/n):
     * Var z = 1, Var z^2 = 2, Var z^3 = E z^6 = 15, Var z^4 = 105 - 9 = 96. */
    gdt_within_se(s1 / dn, 0, sqrt(1 / dn), K_SE, "ziggurat mean, n = 1e7");
    gdt_within_se(s2 / dn, 1, sqrt(2 / dn), K_SE, "ziggurat variance E z^2");
    gdt_within_se(s3 / dn, 0, sqrt(15 / dn), K_SE, "ziggurat skewness E z^3");
    gdt_within_se(s4 / dn, 3, sqrt(96 / dn), K_SE, "ziggurat kurtosis E z^4");
    /* Tail counts: binomial, se sqrt(n p (1 - p)). */
    const double p3 = erfc(3 / sqrt(2.0)), p4 = erfc(4 / sqrt(2.0)), pr = erfc(r / sqrt(2.0));
    gdt_within_se((double)c3, dn * p3, sqrt(dn * p3 * (1 - p3)), K_SE, "ziggurat P(|z| > 3)");
    gdt_within_se((double)c4, dn * p4, sqrt(dn * p4 * (1 - p4)), K_SE, "ziggurat P(|z| > 4)");
    /* The tail method's share, the sign of its variates and their law,
     * P(|z| <= t | |z| > r), from 4e7 variates (about 4700 beyond r). */
    const size_t nt = 40000000, chunk = 1000000;
    size_t cr = 0, cr_pos = 0, ntail = 0, cap = 20000;
    double *tail = malloc(cap * sizeof *tail), *buf = malloc(chunk * sizeof *buf);
    gd_rng rt;
    gd_rng_stream_init(&rt, 78, "zig", 0, 0);
    for (size_t k = 0; k < nt; k += chunk) {
        gd_rng_normals_zig(&rt, buf, chunk);
        for (size_t i = 0; i < chunk; i++)
            if (fabs(buf[i]) > r) {
                cr++, cr_pos += buf[i] > 0;
                if (ntail < cap) tail[ntail++] = fabs(buf[i]);
            }
    }
    double dt = (double)nt;
    gdt_within_se((double)cr, dt * pr, sqrt(dt * pr * (1 - pr)), K_SE,
                  "ziggurat P(|z| > r), the tail method's share, n = 4e7");
    gdt_within_se((double)cr_pos, 0.5 * (double)cr, sqrt(0.25 * (double)cr), K_SE,
                  "ziggurat tail beyond r: positive half");
    qsort(tail, ntail, sizeof *tail, cmp_double);
    double Dt = 0;
    for (size_t i = 0; i < ntail; i++) {
        double F = 1 - erfc(tail[i] / sqrt(2.0)) / pr;
        double up = (double)(i + 1) / (double)ntail - F, lo = F - (double)i / (double)ntail;
        Dt = up > Dt ? up : Dt;
        Dt = lo > Dt ? lo : Dt;
    }
    gdt_check(ntail > 2000 && ntail == cr && sqrt((double)ntail) * Dt <= KS_CRIT,
              "ziggurat tail beyond r: KS against the conditional normal, n = %zu: "
              "sqrt(n) D = %.3f <= %.2f", ntail, sqrt((double)ntail) * Dt, KS_CRIT);
    free(buf);
    /* Chi-square with nbin - 1 = 199 degrees of freedom: mean 199, sd
     * sqrt(2 * 199); pass within k = 5 sd above the mean. */
    double chi = 0, e = dn / (double)nbin;
    for (size_t b = 0; b < nbin; b++) chi += ((double)bin[b] - e) * ((double)bin[b] - e) / e;
    double df = (double)(nbin - 1);
    gdt_check(chi <= df + K_SE * sqrt(2 * df),
              "ziggurat chi-square over %zu equiprobable bins: %.3f <= %.1f (df %.0f + 5 sd)",
              nbin, chi, df + K_SE * sqrt(2 * df), df);
    free(z), free(bin), free(tail);
}

static void test_stream(void) {
    enum { N = 3000 };
    static double a[N], b[N], c[N];
    gd_rng ra, rb, rc;
    /* Same key, same numbers; the vector path equals the portable one. */
    gd_rng_stream_init(&ra, 11, "stream", 2, 5);
    gd_rng_stream_init(&rb, 11, "stream", 2, 5);
    gd_rng_normals_zig(&ra, a, N);
    gd_rng_normals_zig_portable(&rb, b, N);
    gdt_check(memcmp(a, b, sizeof a) == 0, "ziggurat: same key gives the same numbers, and the "
                                           "dispatched path the bits of the portable one");
    double *big = draw(1000000, 3), *bigp = malloc(1000000 * sizeof *bigp);
    gd_rng_stream_init(&rc, 3, "zig", 0, 0);
    gd_rng_normals_zig_portable(&rc, bigp, 1000000);
    gdt_check(memcmp(big, bigp, 1000000 * sizeof *big) == 0,
              "ziggurat: dispatched and portable paths equal on 1e6 variates");
    free(big), free(bigp);
    /* Cut into calls of 1, 2, ..., then the rest: the same numbers, and
     * the stream left where n calls of gd_rng_u64 would leave it. */
    gd_rng_stream_init(&rc, 11, "stream", 2, 5);
    size_t k = 0;
    for (size_t len = 1; k + len <= N; len++) gd_rng_normals_zig(&rc, c + k, len), k += len;
    gd_rng_normals_zig(&rc, c + k, N - k);
    gdt_check(memcmp(a, c, sizeof a) == 0,
              "ziggurat: the numbers do not depend on how the stream is cut into calls");
    gd_rng_stream_init(&rb, 11, "stream", 2, 5);
    for (int i = 0; i < N; i++) gd_rng_u64(&rb);
    uint64_t next = gd_rng_u64(&rb);
    gdt_check(gd_rng_u64(&ra) == next && gd_rng_u64(&rc) == next,
              "ziggurat: n variates take the next n 64-bit words of the stream");
    /* Variate j depends on word j: after k words taken elsewhere, the
     * variates are those at positions k, k + 1, ... of the same stream. */
    gd_rng_stream_init(&rb, 11, "stream", 2, 5);
    for (int i = 0; i < 7; i++) gd_rng_u64(&rb);
    gd_rng_normals_zig(&rb, b, N - 7);
    gdt_check(memcmp(a + 7, b, (N - 7) * sizeof *b) == 0,
              "ziggurat: variate j is a function of word j of the stream");
    /* Replicas and points are different streams. */
    gd_rng_stream_init(&ra, 11, "stream", 2, 6);
    gd_rng_stream_init(&rb, 11, "stream", 3, 5);
    gd_rng_normals_zig(&ra, b, 8);
    gd_rng_normals_zig(&rb, c, 8);
    gdt_check(memcmp(a, b, 8 * sizeof *a) != 0 && memcmp(a, c, 8 * sizeof *a) != 0 &&
                  memcmp(b, c, 8 * sizeof *b) != 0,
              "ziggurat: replica and point change the stream");
    /* A pending half word of gd_rng_u32 stays pending. */
    gd_rng_stream_init(&ra, 4, "half", 0, 0);
    gd_rng_stream_init(&rb, 4, "half", 0, 0);
    uint32_t h0 = gd_rng_u32(&ra);
    gd_rng_normals_zig(&ra, c, 9);
    uint32_t h1 = gd_rng_u32(&ra);
    uint64_t w0 = gd_rng_u64(&rb);
    gdt_check(h0 == (uint32_t)w0 && h1 == (uint32_t)(w0 >> 32),
              "ziggurat: a pending 32-bit half word stays pending");
}

/* The Monte Carlo paths give the same bits on 1 and 2 threads (replica
 * ranges that do not fill the last chunk or the last group). */
static void test_mc_threads(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.seed = 31;
    gd_lin1d m = {2.385, 0.7};
    long check[3] = {0, 13, 41};
    double L1[3], S1[3], W1[3], V1[3], L2[3], S2[3], W2[3], V2[3];
    ctx.threads = 1;
    gd_lin1d_mc(&ctx, &m, 0.13, 41, 9003, 5, check, 3, L1, S1, W1, V1);
    ctx.threads = 2;
    gd_lin1d_mc(&ctx, &m, 0.13, 41, 9003, 5, check, 3, L2, S2, W2, V2);
    gdt_check(memcmp(L1, L2, sizeof L1) == 0 && memcmp(S1, S2, sizeof S1) == 0 &&
                  memcmp(W1, W2, sizeof W1) == 0 && memcmp(V1, V2, sizeof V1) == 0,
              "sgd-1d Monte Carlo bitwise the same on 1 and 2 threads (R = 9003)");
    gd_zipf *z = gd_zipf_new(&ctx, 1.0, 1.0, 3, 1);
    double a1, b1, a2, b2;
    ctx.threads = 1;
    gd_zipf_mc(&ctx, z, 40, 157, 0.2, 1001, &a1, &b1);
    ctx.threads = 2;
    gd_zipf_mc(&ctx, z, 40, 157, 0.2, 1001, &a2, &b2);
    gdt_check(a1 == a2 && b1 == b2, "sgd-zipf Monte Carlo bitwise the same on 1 and 2 threads");
    gd_zipf_free(z);
}

/* The bias test of issue 13 ("bench/run's 1-D Monte Carlo at R = 1e6 gives
 * z = +2.82 against the exact loss"): the whole Monte Carlo path, not only
 * the variates. At eta = 0.1 (the bench's) and T = 60 (nearly stationary:
 * (1 - 2 eta + 3 eta^2)^60 = 1.4e-5, the exact loss 0.529474 against
 * 0.529412 at T = 100), 256 seeds of R = 65536 replicas each.
 *
 * 1. The z-scores (mc - exact) / se of the seeds must be N(0, 1): KS
 *    against the normal CDF (sqrt(n) D <= 1.95), and their mean square
 *    within k = 5 standard errors of 1 (se sqrt(2/256); this checks the
 *    standard error estimate to about 9%).
 * 2. The pooled mean of all 256 x 65536 = 1.68e7 replicas within k = 4
 *    standard errors of the exact loss (the project's k for single
 *    checks). The arithmetic: the loss of one replica has sd 0.0794 L
 *    (measured: se sqrt(R) / L), so with n replicas the se is 0.0794 L /
 *    sqrt(n), and a bias of 1e-4 L is 5 se when n = (5 x 0.0794 / 1e-4)^2
 *    = 1.58e7. Here n = 1.68e7: a relative bias of 1e-4 is 5.14 pooled se
 *    (the check computes it from the measured se and fails if it is below
 *    5), so this check catches it with probability P(Z > 4 - 5.14) = 0.87,
 *    and a bias of 1.2e-4 (6.2 se) with probability 0.986. */
static void test_mc_bias(void) {
    enum { NSEED = 256 };
    const long R = 65536, T = 60;
    const double eta = 0.1;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.threads = 1;
    gd_lin1d m = gd_lin1d_default_params();
    const long check[1] = {T};
    const double exact = gd_lin1d_loss(&m, eta, (double)T);
    double zs[NSEED], sum = 0, var = 0, z2 = 0;
    for (int s = 0; s < NSEED; s++) {
        double L, se, w, wse;
        ctx.seed = 1000 + (uint64_t)s;
        gd_lin1d_mc(&ctx, &m, eta, T, R, 0, check, 1, &L, &se, &w, &wse);
        zs[s] = (L - exact) / se;
        z2 += zs[s] * zs[s];
        sum += L;
        var += se * se;
    }
    double pooled = sum / NSEED, pooled_se = sqrt(var) / NSEED;
    qsort(zs, NSEED, sizeof *zs, cmp_double);
    double D = gd_stats_ks_law(zs, NSEED, norm_cdf, NULL);
    gdt_check(sqrt((double)NSEED) * D <= KS_CRIT,
              "1-D MC bias: z-scores of %d seeds (R = %ld, T = %ld, eta = %g) KS against "
              "N(0,1): sqrt(n) D = %.3f <= %.2f (p = %.3f; z from %.2f to %.2f)",
              NSEED, R, T, eta, sqrt((double)NSEED) * D, KS_CRIT,
              gd_stats_ks_pvalue(D, NSEED), zs[0], zs[NSEED - 1]);
    gdt_within_se(z2 / NSEED, 1.0, sqrt(2.0 / NSEED), K_SE,
                  "1-D MC bias: mean square of the z-scores (the se estimate)");
    gdt_check(1e-4 * exact >= 5 * pooled_se,
              "1-D MC bias: a relative bias of 1e-4 is %.2f pooled se (>= 5)",
              1e-4 * exact / pooled_se);
    gdt_within_se(pooled, exact, pooled_se, 4, "1-D MC bias: pooled mean of 1.68e7 replicas "
                                               "vs the exact loss");
    printf("     relative deviation of the pooled mean: %.3g (se %.3g)\n",
           (pooled - exact) / exact, pooled_se / exact);
}

int main(void) {
    test_philox();
    test_tables();
    test_exp_log();
    test_distribution();
    test_stream();
    test_mc_threads();
    test_mc_bias();
    return gdt_summary();
}
