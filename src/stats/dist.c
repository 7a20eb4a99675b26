/* Moments of samples, exact Wasserstein-1 distances and Kolmogorov-Smirnov
 * statistics for 1-D distributions (include/gdlab/stats.h).
 *
 * W1 between two laws on the line is the L1 distance of their CDFs
 * (Vallender 1973). For an empirical measure F_n is a step function, so
 * the integral splits at the order statistics into pieces on which F_n is
 * constant: between two samples it is a sum of rectangles (exact); against
 * a continuous law each piece integrates |c - F| in closed form from the
 * integrated CDF G and, where F crosses c inside the piece, the quantile
 * Q(c). */
#include "gdlab/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h> /* M_PI */
#include <gsl/gsl_sort.h>
#include <math.h>
#include <string.h>

double gd_stats_mean(const double *x, size_t n) {
    GD_ASSERT(n >= 1);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

double gd_stats_variance(const double *x, size_t n) {
    if (n < 2) return 0;
    double m = gd_stats_mean(x, n), s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - 1);
}

double gd_stats_batch_se(const double *x, size_t n, size_t nbatch, double *ess) {
    GD_ASSERT(nbatch >= 2 && n >= 2 * nbatch);
    size_t len = n / nbatch, off = n - len * nbatch;
    double s = 0, s2 = 0;
    for (size_t b = 0; b < nbatch; b++) {
        double m = gd_stats_mean(x + off + b * len, len);
        s += m, s2 += m * m;
    }
    double mb = s / (double)nbatch;
    double vb = (s2 - (double)nbatch * mb * mb) / (double)(nbatch - 1);
    if (vb < 0) vb = 0;
    double se = sqrt(vb / (double)nbatch);
    if (ess) {
        double v = gd_stats_variance(x, n);
        *ess = se > 0 ? v / (se * se) : (double)n;
        if (*ess > (double)n) *ess = (double)n;
    }
    return se;
}

/* N(mu, s^2): F, G(x) = s (z Phi(z) + phi(z)) with z = (x - mu)/s, Q. */
static double nrm_cdf(double x, void *d) {
    const gd_stats_normal *nd = d;
    return gsl_cdf_ugaussian_P((x - nd->mu) / nd->s);
}
static double nrm_cdf_int(double x, void *d) {
    const gd_stats_normal *nd = d;
    double z = (x - nd->mu) / nd->s;
    return nd->s * (z * gsl_cdf_ugaussian_P(z) + exp(-0.5 * z * z) / sqrt(2 * M_PI));
}
static double nrm_quantile(double p, void *d) {
    const gd_stats_normal *nd = d;
    return nd->mu + nd->s * gsl_cdf_ugaussian_Pinv(p);
}

gd_stats_law gd_stats_law_normal(gd_stats_normal *nd) {
    GD_ASSERT(nd->s > 0);
    return (gd_stats_law){nrm_cdf, nrm_cdf_int, nrm_quantile, nd->mu, nd};
}

double gd_stats_w1_sorted(const double *x, size_t n, const double *y, size_t m) {
    GD_ASSERT(n >= 1 && m >= 1);
    /* Walk the merged order; between consecutive points z_k < z_{k+1} the
     * CDFs are i/n and j/m. */
    size_t i = 0, j = 0;
    double w = 0, prev = x[0] < y[0] ? x[0] : y[0];
    const double dn = (double)n, dm = (double)m;
    while (i < n || j < m) {
        double z = (j >= m || (i < n && x[i] <= y[j])) ? x[i] : y[j];
        w += fabs((double)i / dn - (double)j / dm) * (z - prev);
        while (i < n && x[i] == z) i++;
        while (j < m && y[j] == z) j++;
        prev = z;
    }
    return w;
}

gd_status gd_stats_w1_samples(gd_ctx *ctx, const double *x, size_t n, const double *y,
                              size_t m, double *w1) {
    if (n == 0 || m == 0)
        return gd_error(ctx, GD_EINVAL, "W1: both samples must be non-empty (got %zu and %zu)", n, m);
    double *a = gd_malloc(n * sizeof *a), *b = gd_malloc(m * sizeof *b);
    if (!a || !b) {
        gd_free(a), gd_free(b);
        return gd_error(ctx, GD_ENOMEM, "W1: out of memory for %zu + %zu samples", n, m);
    }
    memcpy(a, x, n * sizeof *a), memcpy(b, y, m * sizeof *b);
    gsl_sort(a, 1, n), gsl_sort(b, 1, m);
    *w1 = gd_stats_w1_sorted(a, n, b, m);
    gd_free(a), gd_free(b);
    return GD_OK;
}

double gd_stats_w1_law(const double *x, size_t n, const gd_stats_law *law) {
    GD_ASSERT(n >= 1);
    void *d = law->data;
    double a = x[0], Ga = law->cdf_int(a, d), Fa = law->cdf(a, d);
    double w = Ga; /* (-inf, x_1): F_n = 0, integral of F */
    for (size_t i = 1; i < n; i++) {
        double b = x[i];
        if (b == a) continue;
        double c = (double)i / (double)n, Gb = law->cdf_int(b, d), Fb = law->cdf(b, d);
        if (Fa >= c) {
            w += (Gb - Ga) - c * (b - a);
        } else if (Fb <= c) {
            w += c * (b - a) - (Gb - Ga);
        } else {
            double s = law->quantile(c, d);
            if (s < a) s = a;
            if (s > b) s = b;
            double Gs = law->cdf_int(s, d);
            w += c * (s - a) - (Gs - Ga) + (Gb - Gs) - c * (b - s);
        }
        a = b, Ga = Gb, Fa = Fb;
    }
    /* (x_n, inf): F_n = 1, integral of 1 - F = G(x_n) - x_n + mean. */
    return w + (Ga - a + law->mean);
}

double gd_stats_ks_law(const double *x, size_t n, gd_stats_fn cdf, void *data) {
    GD_ASSERT(n >= 1);
    double D = 0;
    for (size_t i = 0; i < n; i++) {
        double F = cdf(x[i], data);
        double up = (double)(i + 1) / (double)n - F, lo = F - (double)i / (double)n;
        if (up > D) D = up;
        if (lo > D) D = lo;
    }
    return D;
}

double gd_stats_ks_sorted(const double *x, size_t n, const double *y, size_t m) {
    GD_ASSERT(n >= 1 && m >= 1);
    size_t i = 0, j = 0;
    double D = 0;
    while (i < n && j < m) {
        double z = x[i] <= y[j] ? x[i] : y[j];
        while (i < n && x[i] == z) i++;
        while (j < m && y[j] == z) j++;
        double d = fabs((double)i / (double)n - (double)j / (double)m);
        if (d > D) D = d;
    }
    return D;
}

double gd_stats_ks_pvalue(double d, double n_eff) {
    GD_ASSERT(d >= 0 && n_eff > 0);
    double z = sqrt(n_eff) * d;
    if (z < 0.05) return 1.0;
    if (z < 1.18) {
        /* P(K <= z) = sqrt(2 pi)/z sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 z^2)). */
        double s = 0, c = -M_PI * M_PI / (8 * z * z);
        for (int k = 1; k <= 50; k++) {
            double t = exp(c * (2 * k - 1) * (2 * k - 1));
            s += t;
            if (t < 1e-300) break;
        }
        double cdf = sqrt(2 * M_PI) / z * s;
        return cdf >= 1 ? 0 : 1 - cdf;
    }
    /* P(K > z) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 z^2). */
    double s = 0;
    for (int k = 1; k <= 100; k++) {
        double t = exp(-2.0 * k * k * z * z);
        s += (k % 2 ? t : -t);
        if (t < 1e-300) break;
    }
    s *= 2;
    return s < 0 ? 0 : (s > 1 ? 1 : s);
}
