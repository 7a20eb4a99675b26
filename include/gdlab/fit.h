/* gdlab fit: scaling laws fitted to training runs.
 *
 * Forms, each predicted in log space as a log-sum-exp of log-parameters
 * (so every term stays positive and the fit never takes the log of a
 * negative prediction):
 *   chinchilla  L = E + A / N^alpha + B / D^beta
 *               theta = (log A, log B, log E, alpha, beta)
 *   power       L = E + A / x^alpha,  theta = (log A, log E, alpha)
 *   bpl         L = E + A x^-c0 (1 + (x/d)^(1/f))^(-c1 f)  (a broken power
 *               law with one break, Caballero et al. 2023: the exponent
 *               goes from c0 below the break d to c0 + c1 above it, over
 *               a width f in log x), theta = (log A, log E, c0, c1, log d,
 *               log f)
 * Objective, summed over points (not averaged: Besiroglu et al. 2024
 * showed that averaging made Hoffmann et al.'s L-BFGS stop early), of the
 * residual r = log Lhat - log L:
 *   huber  rho(r) = r^2/2 for |r| <= delta, delta (|r| - delta/2) above
 *   lsq    r^2/2
 *   asym   w r^2 / 2 with w = tau for r > 0 (over-prediction), 1 - tau below
 * The gradient is analytic. */
#ifndef GDLAB_FIT_H
#define GDLAB_FIT_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef enum gd_fit_form { GD_FIT_CHINCHILLA = 0, GD_FIT_POWER, GD_FIT_BPL } gd_fit_form;
typedef enum gd_fit_objective { GD_FIT_HUBER = 0, GD_FIT_LSQ, GD_FIT_ASYM } gd_fit_objective;

#define GD_FIT_MAXP 6

/* Number of parameters of a form, and the names of theta's entries
 * ("log_A", ..., "alpha") and of the reported parameters (A, B, E, alpha,
 * beta; A, E, alpha; A, E, alpha, alpha2 = c0 + c1, x_break = d,
 * smoothness = f). */
size_t gd_fit_nparams(gd_fit_form f);
const char *gd_fit_form_name(gd_fit_form f);
int gd_fit_form_from_name(const char *s);          /* -1 when unknown */
int gd_fit_objective_from_name(const char *s);     /* -1 when unknown */

/* The points: n runs with x1 = N (or x for one-variable forms), x2 = D
 * (chinchilla only) and the loss L, all > 0; w, if not NULL, a
 * multiplicity per point (the bootstrap's counts). */
typedef struct gd_fit_data {
    size_t n;
    const double *x1, *x2, *L;
    const double *w;
} gd_fit_data;

typedef struct gd_fit_spec {
    gd_fit_form form;
    gd_fit_objective objective;
    double delta; /* Huber's delta; default 1e-3 */
    double tau;   /* asym's weight; default 0.75 */
} gd_fit_spec;

gd_fit_spec gd_fit_default_spec(void);

/* The objective at theta and, if grad is not NULL, its gradient. */
double gd_fit_objective_value(const gd_fit_spec *s, const gd_fit_data *d, const double *theta, double *grad);

/* The prediction Lhat at one point (x2 ignored by one-variable forms). */
double gd_fit_predict(const gd_fit_spec *s, const double *theta, double x1, double x2);

/* Reported parameters from theta, in the order of gd_fit_param_names. */
size_t gd_fit_report(const gd_fit_spec *s, const double *theta, double *out);
const char *const *gd_fit_param_names(gd_fit_form f);

/* The multi-start fit. The start grid (chinchilla: alpha, beta in {0, 0.5,
 * .., 2}, log E in {-1, -0.5, .., 1.5}, log A, log B in {0, 5, .., 25}: 5400
 * points, wider than Hoffmann et al.'s 4500; power and bpl: grids of the
 * same spacing, stated in fit.c) is screened by objective value, and the
 * best `starts` run L-BFGS (liblbfgs, m = 10, More-Thuente line search,
 * stopping at |grad| <= 1e-7 max(1, |theta|) or no decrease over 5
 * iterations of more than 1e-10 relative); the runs that end within 1e-3
 * relative of the best, and the best of the others, are then polished by
 * damped Newton steps (the exact Hessian for chinchilla and power, central
 * differences of the analytic gradient for bpl) until the gradient is
 * below 1e-15, or two steps gain nothing. */
typedef struct gd_fit_result {
    double theta[GD_FIT_MAXP];
    double objective, grad_norm;
    size_t starts, starts_at_best; /* L-BFGS runs; those within 1e-8 relative of the best objective */
    size_t grid;                    /* grid points screened */
    double second[GD_FIT_MAXP];     /* the best optimum other than the best, NAN when every run agrees */
    double second_objective;
} gd_fit_result;

gd_status gd_fit_run(gd_ctx *ctx, const gd_fit_spec *s, const gd_fit_data *d, size_t starts,
                     gd_fit_result *out);

/* Variable projection (chinchilla): for fixed (alpha, beta) the best E, A,
 * B >= 0 by iteratively reweighted non-negative least squares, whose fixed
 * point is exactly stationary for the objective (weights rho'(r) / (r
 * Lhat^2), targets Lhat (1 - r)); (alpha, beta) by a 30 x 30 grid on (0,
 * 3]^2 refined by Nelder-Mead (GSL). An independent route to the optimum
 * of gd_fit_run. theta receives log A, log B, log E, alpha, beta (-inf for
 * a coefficient at 0). */
gd_status gd_fit_varpro(gd_ctx *ctx, const gd_fit_spec *s, const gd_fit_data *d, double *theta,
                        double *objective);

/* The compute-optimal allocation of a chinchilla fit for C = 6 N D:
 * N*(C) = G (C/6)^a, D*(C) = (C/6)^b / G, a = beta / (alpha + beta), b =
 * alpha / (alpha + beta), G = (alpha A / (beta B))^(1 / (alpha + beta)). */
typedef struct gd_fit_optimal {
    double a, b, G, N_opt, D_opt, D_per_N;
} gd_fit_optimal;

gd_fit_optimal gd_fit_compute_optimal(const double *theta, double C);

/* The nonparametric bootstrap: K resamples of the n points with
 * replacement, or of the groups (group (n) ids, clusters resampled whole)
 * when group is not NULL; each refitted from the full fit's optimum and
 * from its second optimum, keeping the better. out (K, nparams) receives
 * the reported parameters. Resample k draws from stream (seed,
 * "fit-bootstrap", k, 0): the result does not depend on ctx->threads. */
gd_status gd_fit_bootstrap(gd_ctx *ctx, const gd_fit_spec *s, const gd_fit_data *d, const long *group,
                           const gd_fit_result *full, size_t K, uint64_t seed, double *out);

/* Percentile interval (level, e.g. 0.95) and standard deviation of the
 * finite entries v[k stride], k < K (linear interpolation between order
 * statistics). */
typedef struct gd_fit_interval {
    double lo, hi, sd;
    size_t n; /* finite entries */
} gd_fit_interval;

gd_fit_interval gd_fit_percentiles(const double *v, size_t K, size_t stride, double level);

/* Prediction errors at the points with use[i] != 0 (all when use is NULL):
 * RMSE and MAE of log L, mean and largest relative error |Lhat - L| / L. */
typedef struct gd_fit_errors {
    double rmse_log, mae_log, mean_rel, max_rel;
    size_t n;
} gd_fit_errors;

gd_fit_errors gd_fit_errors_at(const gd_fit_spec *s, const double *theta, const gd_fit_data *d, const int *use);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
