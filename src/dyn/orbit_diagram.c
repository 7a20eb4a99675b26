/* Orbit diagrams and basins over many learning rates or start points
 * (include/gdlab/orbit.h), with the batched fast path for the scalar
 * factorisation f = 1/2 (mu - x y)^2. OpenMP partitions over outputs:
 * each eta or start is computed by one thread from its own clone of the
 * objective, so results do not depend on the thread count. */
#include "gdlab/orbit.h"

#include <math.h>
#include <string.h>

int gd_orbit_period_of(const double *pts, size_t K, size_t n, double tol, double bound) {
    for (size_t i = 0; i < K * n; i++)
        if (!(fabs(pts[i]) <= bound)) return -1;
    for (size_t p = 1; 2 * p <= K; p++) {
        int ok = 1;
        for (size_t t = 0; t + p < K && ok; t++) {
            const double *u = pts + t * n, *v = pts + (t + p) * n;
            double d = 0, s = 0;
            for (size_t i = 0; i < n; i++) d = fmax(d, fabs(u[i] - v[i])), s = fmax(s, fabs(u[i]));
            ok = d <= tol * (1 + s);
        }
        if (ok) return (int)p;
    }
    return 0;
}

/* Lanes per block of the fast path: 4 arrays of MF_B doubles (8 KiB) stay in L1. */
#define MF_B 256

/* One GD step on every lane, tracking max(|x|, |y|) per lane. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void mf_step(double mu, const double *e, double *x, double *y, double *m) {
#pragma omp simd
    for (size_t i = 0; i < MF_B; i++) {
        double r = mu - x[i] * y[i];
        double xn = x[i] + e[i] * (r * y[i]);
        double yn = y[i] + e[i] * (r * x[i]);
        double a = fabs(xn), b = fabs(yn);
        a = b > a ? b : a;
        m[i] = a > m[i] ? a : m[i];
        x[i] = xn, y[i] = yn;
    }
}

/* One block of nb <= MF_B learning rates. The loop over lanes inside a step
 * has no dependences and vectorises; the per-lane maximum of |x|, |y| is
 * tracked every step (a vectorised max), so an orbit that ever left the
 * bound is caught exactly as gd_orbit_iterate would (a non-finite value
 * stays non-finite: inf and NaN never return to the finite numbers under
 * this map). The AVX2 version only widens the vectors: no FMA is enabled,
 * and ISO C mode forbids contraction, so both versions round identically. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void mf_block_body(double mu, const double *eta, size_t nb, double x0, double y0, long transient, size_t K,
                     double bound, double *xs, double *ys) {
    double x[MF_B], y[MF_B], e[MF_B], m[MF_B];
    for (size_t i = 0; i < MF_B; i++) x[i] = x0, y[i] = y0, e[i] = i < nb ? eta[i] : 0, m[i] = 0;
    for (long t = 0; t < transient; t++) mf_step(mu, e, x, y, m);
    for (size_t k = 0; k < K; k++) {
        mf_step(mu, e, x, y, m);
        for (size_t i = 0; i < nb; i++) xs[i * K + k] = x[i], ys[i * K + k] = y[i];
    }
    for (size_t i = 0; i < nb; i++)
        if (!(m[i] <= bound) || !isfinite(x[i]) || !isfinite(y[i]))
            for (size_t k = 0; k < K; k++) xs[i * K + k] = ys[i * K + k] = GD_NAN;
}

static void mf_block_default(double mu, const double *eta, size_t nb, double x0, double y0, long transient,
                             size_t K, double bound, double *xs, double *ys) {
    mf_block_body(mu, eta, nb, x0, y0, transient, K, bound, xs, ys);
}

/* The same body compiled for AVX2 (4 doubles a vector; AVX2 alone enables
 * no FMA), chosen at run time when the CPU has it (AVX-512 preferred). */
#if defined(__GNUC__) && defined(__x86_64__)
#define MF_HAVE_AVX2 1
__attribute__((target("avx2"))) static void mf_block_avx2(double mu, const double *eta, size_t nb, double x0,
                                                          double y0, long transient, size_t K, double bound,
                                                          double *xs, double *ys) {
    mf_block_body(mu, eta, nb, x0, y0, transient, K, bound, xs, ys);
}
/* And for AVX-512 with 8 doubles a vector: AVX-512F has FMA instructions,
 * but ISO C mode (-std=c11) sets -ffp-contract=off, so none is formed;
 * tests/test_orbit.c checks the bits against the generic step on the
 * machine that runs it. */
__attribute__((target("avx512f,prefer-vector-width=512"))) static void mf_block_avx512(
    double mu, const double *eta, size_t nb, double x0, double y0, long transient, size_t K, double bound,
    double *xs, double *ys) {
    mf_block_body(mu, eta, nb, x0, y0, transient, K, bound, xs, ys);
}
#endif

void gd_orbit_mf_batch(double mu, const double *eta, size_t neta, double x0, double y0, long transient,
                       size_t K, double bound, int threads, double *xs, double *ys) {
    long nblk = (long)((neta + MF_B - 1) / MF_B);
    if (!(fabs(x0) <= bound && fabs(y0) <= bound)) {
        for (size_t i = 0; i < neta * K; i++) xs[i] = ys[i] = GD_NAN;
        return;
    }
    void (*blk)(double, const double *, size_t, double, double, long, size_t, double, double *, double *) =
        mf_block_default;
#ifdef MF_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) blk = mf_block_avx2;
    if (__builtin_cpu_supports("avx512f")) blk = mf_block_avx512;
#endif
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : 1)
    for (long b = 0; b < nblk; b++) {
        size_t j0 = (size_t)b * MF_B, nb = neta - j0 < MF_B ? neta - j0 : MF_B;
        blk(mu, eta + j0, nb, x0, y0, transient, K, bound, xs + j0 * K, ys + j0 * K);
    }
}

/* mu of an mf-scalar objective, read off exactly: at (x, y) = (0, 1) the
 * residual is r = mu - 0 and grad_x = -r * 1 = -mu. */
static double mf_mu(gd_obj *f) {
    double x[2] = {0, 1}, g[2];
    gd_obj_eval(f, x, g, NULL);
    return -g[0];
}

gd_status gd_orbit_diagram(gd_ctx *ctx, const gd_obj *f, const double *eta, size_t neta, const double *x0,
                           long transient, size_t K, double tol, double bound, int threads, double *pts,
                           int *period) {
    const size_t n = gd_obj_dim(f);
    if (K < 2 || transient < 0 || !(tol > 0) || !(bound > 0))
        return gd_error(ctx, GD_EINVAL, "orbit diagram: need K >= 2 kept points, transient >= 0, tol > 0 and "
                        "bound > 0, got K %zu, transient %ld, tol %g, bound %g", K, transient, tol, bound);
    for (size_t j = 0; j < neta; j++)
        if (!(eta[j] > 0) || !isfinite(eta[j]))
            return gd_error(ctx, GD_EINVAL, "orbit diagram: eta[%zu] = %g, expected a finite number > 0", j, eta[j]);
    if (threads < 1) threads = 1;
    if (gd_obj_kind_of(f) == GD_OBJ_MF_SCALAR) {
        gd_obj *c = gd_obj_clone(f);
        double *xs = gd_malloc(neta * K * sizeof *xs), *ys = gd_malloc(neta * K * sizeof *ys);
        if (!c || !xs || !ys) {
            gd_obj_free(c), gd_free(xs), gd_free(ys);
            return gd_error(ctx, GD_ENOMEM, "out of memory for a %zu x %zu orbit diagram", neta, K);
        }
        gd_orbit_mf_batch(mf_mu(c), eta, neta, x0[0], x0[1], transient, K, bound, threads, xs, ys);
        for (size_t j = 0; j < neta; j++) {
            for (size_t k = 0; k < K; k++)
                pts[(j * K + k) * 2] = xs[j * K + k], pts[(j * K + k) * 2 + 1] = ys[j * K + k];
            period[j] = gd_orbit_period_of(pts + j * K * 2, K, 2, tol, bound);
        }
        gd_obj_free(c), gd_free(xs), gd_free(ys);
        return GD_OK;
    }
    int fail = 0;
#pragma omp parallel num_threads(threads)
    {
        gd_obj *c = gd_obj_clone(f);
        double *g = gd_malloc(n * sizeof *g), *xt = gd_malloc(n * sizeof *xt);
        if (!c || !g || !xt) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (long jj = 0; jj < (long)neta; jj++) {
            size_t j = (size_t)jj;
            double *out = pts + j * K * n;
            if (!c || !g || !xt) continue;
            memcpy(xt, x0, n * sizeof *xt);
            int div = !(gd_orbit_iterate(c, eta[j], xt, transient, bound, g) < 0);
            for (size_t k = 0; k < K && !div; k++) {
                gd_orbit_step(c, eta[j], k ? out + (k - 1) * n : xt, out + k * n, g);
                for (size_t i = 0; i < n; i++)
                    if (!(fabs(out[k * n + i]) <= bound)) div = 1;
            }
            if (div)
                for (size_t i = 0; i < K * n; i++) out[i] = GD_NAN;
            period[j] = div ? -1 : gd_orbit_period_of(out, K, n, tol, bound);
        }
        gd_obj_free(c);
        gd_free(g), gd_free(xt);
    }
    if (fail) return gd_error(ctx, GD_ENOMEM, "orbit diagram: out of memory for a thread's objective");
    return GD_OK;
}

gd_status gd_orbit_basins(gd_ctx *ctx, const gd_obj *f, const gd_orbit_params *p, const double *starts,
                          size_t m, int threads, int *period, double *pts, double *maxmult) {
    if (gd_orbit_params_check(ctx, p) != GD_OK) return GD_EINVAL;
    const size_t n = gd_obj_dim(f), P = p->max_period;
    if (threads < 1) threads = 1;
    int fail = 0;
#pragma omp parallel num_threads(threads)
    {
        gd_ctx lc;
        gd_ctx_init(&lc);
        gd_obj *c = gd_obj_clone(f);
        gd_orbit *o = c ? gd_orbit_new(&lc, c, p) : NULL;
        if (!o) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 8)
        for (long ss = 0; ss < (long)m; ss++) {
            size_t s = (size_t)ss;
            if (!o) continue;
            gd_orbit_attractor a;
            if (gd_orbit_find(&lc, o, starts + s * n, &a) != GD_OK) {
#pragma omp atomic write
                fail = 2;
                continue;
            }
            period[s] = a.period;
            if (pts) {
                double *out = pts + s * P * n;
                for (size_t i = 0; i < P * n; i++) out[i] = GD_NAN;
                memcpy(out, a.points, a.npoints * n * sizeof *out);
            }
            if (maxmult) maxmult[s] = a.period >= 1 ? hypot(a.mult_re[0], a.mult_im[0]) : GD_NAN;
        }
        gd_orbit_free(o);
        gd_obj_free(c);
    }
    if (fail == 1) return gd_error(ctx, GD_ENOMEM, "basins: out of memory for a thread's workspace");
    if (fail == 2) return gd_error(ctx, GD_ENUMERIC, "basins: LAPACK failed on a cycle's monodromy matrix");
    return GD_OK;
}
