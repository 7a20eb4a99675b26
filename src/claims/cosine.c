/* Local against global cosine similarity: the block cosines and the
 * search for a violation of C <= max_i c_i (claims.h). */
#include "gdlab/claims.h"
#include "gdlab/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double gd_cos_blocks(const double *x, const double *y, const size_t *sizes, size_t k, double *local) {
    double xy = 0, xx = 0, yy = 0;
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        double a = 0, b = 0, c = 0;
        for (size_t t = o; t < o + sizes[i]; t++) a += x[t] * y[t], b += x[t] * x[t], c += y[t] * y[t];
        local[i] = b > 0 && c > 0 ? a / sqrt(b * c) : 0;
        xy += a, xx += b, yy += c;
        o += sizes[i];
    }
    return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
}

/* The margin max_i c_i - C in long double. */
static long double margin_ld(const double *x, const double *y, const size_t *sizes, size_t k) {
    long double xy = 0, xx = 0, yy = 0, mx = -INFINITY;
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        long double a = 0, b = 0, c = 0;
        for (size_t t = o; t < o + sizes[i]; t++)
            a += (long double)x[t] * y[t], b += (long double)x[t] * x[t], c += (long double)y[t] * y[t];
        const long double ci = b > 0 && c > 0 ? a / sqrtl(b * c) : 0;
        if (ci > mx) mx = ci;
        xy += a, xx += b, yy += c;
        o += sizes[i];
    }
    return mx - (xx > 0 && yy > 0 ? xy / sqrtl(xx * yy) : 0);
}

/* The margin of an instance, or NAN when it is outside the regime. */
static double margin(const double *x, const double *y, const size_t *sizes, size_t k, int negative,
                     double *local) {
    const double C = gd_cos_blocks(x, y, sizes, k, local);
    double mx = -INFINITY;
    for (size_t i = 0; i < k; i++) mx = fmax(mx, local[i]);
    if (negative ? !(mx < 0) : !(mx >= 0)) return NAN;
    double m = mx - C;
    if (m < 0 && m >= -1e-13) m = (double)margin_ld(x, y, sizes, k);
    return m;
}

gd_status gd_cos_search(gd_ctx *ctx, size_t trials, size_t kmax, size_t dmax, int negative, double *worst,
                        long *evals) {
    GD_ASSERT(kmax >= 1 && kmax <= 64 && dmax >= 1 && dmax <= 64);
    gd_rng r;
    gd_rng_stream_init(&r, ctx->seed, "claim-cosine", 0, 0);
    const size_t nmax = kmax * dmax;
    double *x = gd_malloc(nmax * sizeof *x), *y = gd_malloc(nmax * sizeof *y);
    double *xt = gd_malloc(nmax * sizeof *xt), *yt = gd_malloc(nmax * sizeof *yt), local[64];
    size_t sizes[64];
    *worst = INFINITY, *evals = 0;
    gd_status st = GD_OK;
    if (!x || !y || !xt || !yt) {
        st = gd_error(ctx, GD_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t t = 0; t < trials; t++) {
        const size_t k = 1 + (size_t)(gd_rng_u64(&r) % kmax);
        size_t n = 0;
        for (size_t i = 0; i < k; i++) {
            sizes[i] = 1 + (size_t)(gd_rng_u64(&r) % dmax);
            /* Block scale spread over decades: the weights w_i matter. */
            const double sx = exp(4 * (gd_rng_uniform(&r) - 0.5)), sy = exp(4 * (gd_rng_uniform(&r) - 0.5));
            const double mix = 2 * gd_rng_uniform(&r) - 1, sign = negative ? -1 : 1;
            for (size_t q = 0; q < sizes[i]; q++) {
                x[n + q] = sx * gd_rng_normal(&r);
                y[n + q] = sy * (sign * fabs(mix) * x[n + q] / sx + (1 - fabs(mix)) * gd_rng_normal(&r));
            }
            n += sizes[i];
        }
        double m = margin(x, y, sizes, k, negative, local);
        ++*evals;
        if (isnan(m)) continue;
        /* Local search: perturbations that lower the margin, step halving. */
        double step = 0.3;
        for (int it = 0; it < 200 && step > 1e-6; it++) {
            for (size_t q = 0; q < n; q++) {
                xt[q] = x[q] * (1 + step * gd_rng_normal(&r));
                yt[q] = y[q] * (1 + step * gd_rng_normal(&r));
            }
            const double mt = margin(xt, yt, sizes, k, negative, local);
            ++*evals;
            if (!isnan(mt) && mt < m) {
                m = mt;
                memcpy(x, xt, n * sizeof *x), memcpy(y, yt, n * sizeof *y);
            } else {
                step *= 0.9;
            }
        }
        if (m < *worst) *worst = m;
    }
done:
    gd_free(x), gd_free(y), gd_free(xt), gd_free(yt);
    return st;
}
