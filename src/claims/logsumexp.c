/* logsumexp inequalities: stable evaluation, relative margins with a
 * long-double re-check, and the seeded search (claims.h). */
#include "gdlab/claims.h"
#include "gdlab/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[GD_LSE_COUNT] = {
    "lse(x) > max(x)", "lse(x) <= max(x) + log n", "lse(x) >= mean(x) + log n",
    "|lse(x) - lse(y)| <= max |x - y|", "lse is convex",
    "control: lse(x) <= max(x) + (log n)/2", "control: lse(x) <= mean(x) + log n"};

const char *gd_lse_ineq_name(gd_lse_ineq k) { return (unsigned)k < GD_LSE_COUNT ? names[k] : "unknown"; }

double gd_lse(const double *x, size_t n) {
    double mx = -INFINITY, s = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, x[i]);
    for (size_t i = 0; i < n; i++) s += exp(x[i] - mx);
    return mx + log(s);
}

static long double lse_ld(const double *x, size_t n) {
    long double mx = -INFINITY, s = 0;
    for (size_t i = 0; i < n; i++) mx = fmaxl(mx, x[i]);
    for (size_t i = 0; i < n; i++) s += expl((long double)x[i] - mx);
    return mx + logl(s);
}

double gd_lse_margin(gd_lse_ineq k, const double *x, const double *y, double l, size_t n) {
    GD_ASSERT(n >= 1 && n <= 64 && (unsigned)k < GD_LSE_COUNT);
    long double mx = -INFINITY, mean = 0, scale = 1, m;
    size_t im = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] > mx) mx = x[i], im = i;
        mean += (long double)x[i] / (long double)n;
        scale = fmaxl(scale, fabsl(x[i]));
    }
    const long double L = lse_ld(x, n), logn = logl((long double)n);
    scale = fmaxl(scale, fabsl(L));
    switch (k) {
    case GD_LSE_MAX_LOWER: { /* lse - max = log1p(sum of the others over e^max) */
        long double so = 0;
        for (size_t i = 0; i < n; i++)
            if (i != im) so += expl((long double)x[i] - mx);
        m = log1pl(so);
        break;
    }
    case GD_LSE_MAX_UPPER: m = mx + logn - L; break;
    case GD_LSE_MEAN: m = L - mean - logn; break;
    case GD_LSE_CONTROL_HALF_LOG: m = mx + logn / 2 - L; break;
    case GD_LSE_CONTROL_REVERSE_MEAN: m = mean + logn - L; break;
    case GD_LSE_LIPSCHITZ: {
        long double d = 0;
        for (size_t i = 0; i < n; i++) d = fmaxl(d, fabsl((long double)x[i] - y[i]));
        const long double Ly = lse_ld(y, n);
        scale = fmaxl(scale, fabsl(Ly));
        m = d - fabsl(L - Ly);
        break;
    }
    default: { /* CONVEX, at the point z = l x + (1 - l) y formed in long double */
        long double s = 0, zm = -INFINITY, z[64];
        for (size_t i = 0; i < n; i++) z[i] = (long double)l * x[i] + (1 - (long double)l) * y[i], zm = fmaxl(zm, z[i]);
        for (size_t i = 0; i < n; i++) s += expl(z[i] - zm);
        const long double Ly = lse_ld(y, n);
        scale = fmaxl(scale, fabsl(Ly));
        m = (long double)l * L + (1 - (long double)l) * Ly - (zm + logl(s));
        break;
    }
    }
    return (double)(m / scale);
}

void gd_lse_search(uint64_t seed, gd_lse_ineq k, size_t trials, size_t nmax, double *worst, long *evals) {
    GD_ASSERT(nmax >= 2 && nmax <= 64);
    gd_rng r;
    gd_rng_stream_init(&r, seed, "claim-logsumexp", (uint64_t)k, 0);
    double x[64], y[64], xt[64], yt[64];
    *worst = INFINITY, *evals = 0;
    for (size_t t = 0; t < trials; t++) {
        const size_t lo = k == GD_LSE_MAX_LOWER ? 2 : 1;
        const size_t n = lo + (size_t)(gd_rng_u64(&r) % (nmax - lo + 1));
        const double sc = pow(10, 6 * gd_rng_uniform(&r) - 3);
        const int cluster = gd_rng_uniform(&r) < 0.3; /* near-equality cases */
        for (size_t i = 0; i < n; i++) {
            x[i] = sc * gd_rng_normal(&r) * (cluster ? 1e-6 : 1);
            y[i] = cluster ? x[i] + sc * (1 + 1e-6 * gd_rng_normal(&r)) : sc * gd_rng_normal(&r);
        }
        double l = gd_rng_uniform(&r);
        double m = gd_lse_margin(k, x, y, l, n);
        ++*evals;
        double step = 0.5;
        for (int it = 0; it < 200 && step > 1e-8; it++) {
            for (size_t i = 0; i < n; i++)
                xt[i] = x[i] + step * sc * gd_rng_normal(&r), yt[i] = y[i] + step * sc * gd_rng_normal(&r);
            const double lt = fmin(1, fmax(0, l + step * (gd_rng_uniform(&r) - 0.5)));
            const double mt = gd_lse_margin(k, xt, yt, lt, n);
            ++*evals;
            if (mt < m) {
                m = mt, l = lt;
                memcpy(x, xt, n * sizeof *x), memcpy(y, yt, n * sizeof *y);
            } else {
                step *= 0.9;
            }
        }
        if (m < *worst) *worst = m;
    }
}
