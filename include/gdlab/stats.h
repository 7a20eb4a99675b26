/* gdlab stats: distances between 1-D distributions and the normalised
 * Gibbs density of a 1-D potential.
 *
 *   moments      mean, unbiased variance, batch-means standard error of a
 *                correlated sample (and its effective sample size);
 *   distances    Wasserstein-1 between two samples and between a sample
 *                and a law given by its CDF, both exact for the empirical
 *                measure (W1 = integral of |F_n - F| over the line);
 *                Kolmogorov-Smirnov statistics (one- and two-sample) and
 *                the asymptotic p-value from the Kolmogorov distribution;
 *   Gibbs        p(x) = exp(-f0(x)/T) / Z on a domain found automatically
 *                so that the mass outside is below 1e-14, with its CDF,
 *                integrated CDF, quantile, mean and variance;
 *   periodic     the variance of a function over one period (sigma^2 of
 *                the micro-scale gradient of a multiscale objective).
 *
 * Everything here is one-dimensional: a multi-dimensional user applies it
 * per coordinate (marginals), which is what the `multiscale` experiment
 * would do; that experiment is restricted to 1-D objectives for now. */
#ifndef GDLAB_STATS_H
#define GDLAB_STATS_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* A real function of one variable with its data. */
typedef double (*gd_stats_fn)(double x, void *data);

/* ---- moments ---------------------------------------------------------- */

/* Sample mean of x (n >= 1). */
double gd_stats_mean(const double *x, size_t n);
/* Unbiased sample variance, sum (x - mean)^2 / (n - 1); 0 for n < 2. */
double gd_stats_variance(const double *x, size_t n);
/* Standard error of the mean of a correlated sample x (n) by batch means:
 * the n values cut into nbatch consecutive batches of floor(n / nbatch)
 * (the first n mod nbatch values dropped), se = sd(batch means) /
 * sqrt(nbatch). *ess (may be NULL) receives the effective sample size
 * variance(x) / se^2 (n when se = 0 and the variance is 0). Needs
 * nbatch >= 2 and n >= 2 nbatch (asserted). */
double gd_stats_batch_se(const double *x, size_t n, size_t nbatch, double *ess);

/* ---- laws and distances ----------------------------------------------- */

/* A 1-D law for exact distances: its CDF F, its integrated CDF
 * G(x) = integral of F over (-inf, x], its quantile Q(p) for p in (0, 1)
 * and its mean (needed for the upper tail: integral over (x, inf) of
 * 1 - F = G(x) - x + mean). */
typedef struct gd_stats_law {
    gd_stats_fn cdf, cdf_int, quantile;
    double mean;
    void *data;
} gd_stats_law;

/* The standard normal law scaled: N(mu, s^2) (closed forms; s > 0). */
typedef struct gd_stats_normal {
    double mu, s;
} gd_stats_normal;
gd_stats_law gd_stats_law_normal(gd_stats_normal *nd);

/* W1 between the empirical measures of x (n) and y (m), both sorted
 * ascending (asserted in debug builds): integral of |F_n - G_m|, exact
 * (a merge of the two sorted arrays). n, m >= 1. */
double gd_stats_w1_sorted(const double *x, size_t n, const double *y, size_t m);
/* The same for unsorted data: sorts copies (gsl_sort). GD_ENOMEM. */
gd_status gd_stats_w1_samples(gd_ctx *ctx, const double *x, size_t n, const double *y,
                              size_t m, double *w1);
/* W1 between the empirical measure of x (n, sorted ascending) and law:
 * integral of |F_n - F|, exact piecewise: on each interval between
 * consecutive order statistics F_n = i/n is constant and the integral of
 * |i/n - F| follows from G and, where F crosses i/n, Q(i/n). */
double gd_stats_w1_law(const double *x, size_t n, const gd_stats_law *law);

/* Kolmogorov-Smirnov statistic sup |F_n - F| of x (n, sorted) against
 * the continuous CDF cdf. */
double gd_stats_ks_law(const double *x, size_t n, gd_stats_fn cdf, void *data);
/* Two-sample statistic sup |F_n - G_m|, both sorted ascending. */
double gd_stats_ks_sorted(const double *x, size_t n, const double *y, size_t m);
/* Asymptotic p-value P(K > sqrt(n_eff) D) of the Kolmogorov distribution,
 * K = sup |Brownian bridge|, by the series
 * 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 z^2) (z >= 1.18) or its theta-function
 * dual (z < 1.18; 1 for z < 0.05). For two samples use n_eff = n m / (n + m). */
double gd_stats_ks_pvalue(double d, double n_eff);

/* ---- Gibbs density ---------------------------------------------------- */

typedef struct gd_stats_gibbs gd_stats_gibbs;

/* Builds p(x) = exp(-f0(x)/T) / Z. The domain [lo, hi] is found
 * automatically: a scan outward from x_hint (doubling the half-width from
 * max(1, 2|x_hint|) up to 1e8) until f0 - min f0 exceeds 40 T at both ends
 * and the tail masses beyond (GSL qagiu/qagil) are below 1e-14 Z; then
 * shrunk to where f0 - min f0 <= 40 T. On ncell cells (>= 16) of that
 * domain the density is represented by Chebyshev series of order 24
 * (gsl_cheb), whose integrals give F and G exactly to rounding; the total
 * mass is checked against GSL qags over the domain. The scan's minimum is
 * refined by Brent's method (gsl_min); a global well narrower than the scan
 * spacing (4000 intervals) is kept through a window around the refined
 * minimum, but a second well that narrow elsewhere, nearly as deep, can be
 * missed (the scan's resolution is the limit). f0 is evaluated only
 * inside the constructor.
 * Errors: GD_EINVAL (T <= 0, ncell < 16, f0 non-finite on the domain,
 * exp(-f0/T) not normalisable within |x - x_hint| <= 1e8), GD_ENUMERIC (a
 * quadrature failed or disagreed with the Chebyshev sum by more than
 * 1e-9 relative), GD_ENOMEM. NULL on error with the message in ctx. */
gd_stats_gibbs *gd_stats_gibbs_new(gd_ctx *ctx, gd_stats_fn f0, void *data, double T,
                                   double x_hint, size_t ncell);
void gd_stats_gibbs_free(gd_stats_gibbs *g);
double gd_stats_gibbs_pdf(const gd_stats_gibbs *g, double x);
double gd_stats_gibbs_cdf(const gd_stats_gibbs *g, double x);
/* Integral of the CDF over (-inf, x]. */
double gd_stats_gibbs_cdf_int(const gd_stats_gibbs *g, double x);
/* Inverse CDF, p in (0, 1) (Newton in the cell, safeguarded by bisection). */
double gd_stats_gibbs_quantile(const gd_stats_gibbs *g, double p);
double gd_stats_gibbs_mean(const gd_stats_gibbs *g);
double gd_stats_gibbs_variance(const gd_stats_gibbs *g);
/* The domain, the minimiser of f0 found and min f0. */
void gd_stats_gibbs_domain(const gd_stats_gibbs *g, double *lo, double *hi, double *xmin,
                           double *fmin);
/* The law view for gd_stats_w1_law (g must outlive it). */
gd_stats_law gd_stats_gibbs_law(const gd_stats_gibbs *g);

/* ---- periodic functions ----------------------------------------------- */

/* Mean and variance of h over one period [0, period) under the uniform
 * law: m = (1/P) int h, v = (1/P) int h^2 - m^2, by GSL qags (relative
 * accuracy 1e-12). mean may be NULL. GD_EINVAL for period <= 0 or a
 * non-finite value, GD_ENUMERIC if the quadrature fails. */
gd_status gd_stats_periodic_moments(gd_ctx *ctx, gd_stats_fn h, void *data, double period,
                                    double *mean, double *var);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
