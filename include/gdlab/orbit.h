/* gdlab orbit: gradient descent with a large learning rate as a dynamical
 * system (seed 003; Wang, Chen, Zhao and Tao, ICLR 2022).
 *
 * The GD map on an objective f (a gd_obj, include/gdlab/dyn.h) is
 *     F(x) = x - eta grad f(x),   DF(x) = I - eta Hess f(x).
 * This module finds the attractor reached from a start point (period
 * detection by return distance, then Newton refinement of the p-cycle on
 * F^p(x) = x with the exact Jacobian prod_i (I - eta H(x_i)), and the
 * cycle's multipliers: the eigenvalues of that monodromy matrix), the
 * Lyapunov spectrum by QR re-orthonormalisation, orbit (bifurcation)
 * diagrams over many learning rates with period-doubling points located by
 * bisection on the multiplier crossing -1, and basins of attraction.
 *
 * Period convention everywhere: p >= 1 a p-cycle was found (1: a fixed
 * point), 0 no period up to the maximum (chaotic, quasi-periodic or still
 * converging), -1 the iterates diverged (non-finite or some |x_i| above
 * the bound).
 *
 * Threads: a gd_obj holds workspace, so a function that takes a gd_obj
 * evaluates it from the calling thread only; the OpenMP functions (the
 * diagram and the basins) clone it per thread. Every result is
 * independent of the thread count. */
#ifndef GDLAB_ORBIT_H
#define GDLAB_ORBIT_H

#include <stddef.h>
#include "core.h"
#include "dyn.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define GD_ORBIT_MAX_PERIOD 1024

typedef struct gd_orbit_params {
    double eta;         /* learning rate, > 0; default 1 */
    long transient;     /* steps discarded before period detection, >= 0; default 20000 */
    size_t max_period;  /* longest period searched, 1..GD_ORBIT_MAX_PERIOD; default 64 */
    double tol;         /* return distance that counts as a return, relative to
                           1 + ||x||_inf; in (0, 1); default 1e-8 */
    double bound;       /* an iterate with some |x_i| > bound has diverged; default 1e8 */
    int newton_iters;   /* Newton iterations refining a cycle, >= 0; default 30 */
} gd_orbit_params;

gd_orbit_params gd_orbit_default_params(void);

/* Checks a params struct: GD_EINVAL naming the bad field. */
gd_status gd_orbit_params_check(gd_ctx *ctx, const gd_orbit_params *p);

/* One GD step x_out = x - eta grad f(x); grad (n) is workspace. x_out may
 * equal x. Returns f(x). */
double gd_orbit_step(gd_obj *f, double eta, const double *x, double *x_out, double *grad);

/* Iterates x (n, in place) for `steps` steps. Returns -1 if every iterate
 * stayed finite with all |x_i| <= bound, else the step t (1-based) whose
 * iterate x_t first broke that (x then holds x_t). grad (n) is workspace. */
long gd_orbit_iterate(gd_obj *f, double eta, double *x, long steps, double bound, double *grad);

/* The attractor found from a start point. The arrays are owned by the
 * gd_orbit handle that filled the struct and stay valid until its next
 * call. */
typedef struct gd_orbit_attractor {
    int period;             /* p >= 1, 0 none found, -1 diverged */
    long divergence_step;   /* step (counting the transient) of divergence, or -1 */
    size_t n;               /* dimension */
    size_t npoints;         /* rows of points: p for a cycle, max_period for period 0, 0 if diverged */
    const double *points;   /* (npoints, n): the refined cycle x_0, F(x_0), ... or
                               the last iterates when no period was found */
    const double *mult_re;  /* (n) multipliers (eigenvalues of DF^p along the
                               cycle), sorted by modulus, largest first; NAN
                               unless period >= 1 */
    const double *mult_im;  /* (n) their imaginary parts */
    double residual;        /* ||F^p(x_0) - x_0||_inf after refinement (NAN if none) */
    int refined;            /* 1: Newton reached residual <= 1e-13 (1 + ||x_0||) */
    int stable;             /* 1: every multiplier has modulus < 1 */
} gd_orbit_attractor;

typedef struct gd_orbit gd_orbit;

/* A workspace for objective f (borrowed: f must outlive the handle and is
 * evaluated from the thread that calls gd_orbit_find). NULL with
 * GD_EINVAL (bad params) or GD_ENOMEM in ctx. */
gd_orbit *gd_orbit_new(gd_ctx *ctx, gd_obj *f, const gd_orbit_params *p);
void gd_orbit_free(gd_orbit *o);

/* Runs GD from x0 (n): transient steps, then period detection over up to
 * 2 max_period further steps (the smallest p whose return distance
 * ||x_{t+p} - x_t||_inf <= tol (1 + ||x_t||_inf) holds for p consecutive
 * t), Newton refinement and multipliers. Fills *a. GD_ENUMERIC if LAPACK
 * fails. */
gd_status gd_orbit_find(gd_ctx *ctx, gd_orbit *o, const double *x0, gd_orbit_attractor *a);

/* Newton's method for a p-cycle of the GD map at learning rate eta from
 * the guess x (n, refined in place): solves F^p(x) = x with the exact
 * Jacobian M - I, M = prod_{i=p-1..0} (I - eta H(x_i)), by least squares
 * (LAPACKE_dgelsd, so the non-isolated cycles of objectives with a valley
 * of minima are handled). Then the multipliers (eigenvalues of M,
 * LAPACKE_dgeev) into mult_re, mult_im (n) sorted by modulus, largest
 * first. Returns the final residual ||F^p(x) - x||_inf (NAN if the
 * iterates left the finite numbers). Work is internal to o. */
double gd_orbit_refine(gd_orbit *o, double eta, size_t p, double *x, int iters,
                       double *mult_re, double *mult_im);

/* Period-doubling point of a p-cycle by bisection on eta: at eta_lo the
 * p-cycle through x_lo (n) has every real multiplier > -1, at eta_hi the
 * continued cycle has a real multiplier < -1. The cycle is continued by
 * Newton from the last point below the crossing. *eta_pd receives the
 * midpoint of the final bracket, of width <= xtol, and x_pd (n, may be
 * NULL) the cycle point at the bracket's lower end. GD_EINVAL if the
 * bracket does not straddle a crossing (message says which end failed),
 * GD_ENUMERIC if Newton loses the cycle. */
gd_status gd_orbit_pd_bisect(gd_ctx *ctx, gd_orbit *o, size_t p, double eta_lo, const double *x_lo,
                             double eta_hi, double xtol, double *eta_pd, double *x_pd);

/* The Lyapunov spectrum of the GD map at learning rate eta along the orbit
 * of x0 (n): `transient` steps discarded, then `steps` steps of Q <- qr(DF(x_t) Q)
 * (modified Gram-Schmidt, Q (n, n) starting at I), lambda_i = mean of
 * log |R_ii|. The steps are cut in nbatch >= 2 equal batches; lambda
 * (n, sorted descending) is the mean of the batch means and se (n) their
 * standard error (the batches of a mixing orbit are nearly independent).
 * *div_step receives -1, or the step where the orbit diverged (lambda and se
 * then NAN). GD_EINVAL for steps < nbatch, nbatch < 2 or eta <= 0. */
gd_status gd_lyap_spectrum(gd_ctx *ctx, gd_obj *f, double eta, const double *x0, long transient,
                           long steps, size_t nbatch, double bound, double *lambda, double *se,
                           long *div_step);

/* Orbit diagram: for each eta[j] (neta), GD from x0 (n) for `transient`
 * steps, then the next K iterates kept in pts (neta, K, n) (NAN rows when
 * diverged) and the period found on them (smallest p <= K/2 whose return
 * distance is within tol for all kept points; -1 diverged, 0 none) in
 * period (neta). OpenMP over etas (threads), bitwise independent of the
 * thread count. When f is mf-scalar the batched fast path below is used;
 * it gives bitwise the same iterates. */
gd_status gd_orbit_diagram(gd_ctx *ctx, const gd_obj *f, const double *eta, size_t neta,
                           const double *x0, long transient, size_t K, double tol, double bound,
                           int threads, double *pts, int *period);

/* The fast path for f = 1/2 (mu - x y)^2: the same GD iterates as
 * gd_orbit_step on gd_obj_mf_scalar(mu) (bitwise: the update is
 * x + eta (r y), r = mu - x y, which equals x - eta grad_x with grad_x =
 * -(r y) exactly, and no contraction to FMA is allowed in ISO C mode),
 * batched over learning rates in structure-of-arrays blocks, OpenMP over
 * blocks. From (x0, y0) for every eta[j], transient steps, then K kept
 * iterates into xs, ys (neta, K); an orbit whose iterate is non-finite or
 * above bound at a check (every 64 steps and at the end) is marked
 * diverged by NAN rows. */
void gd_orbit_mf_batch(double mu, const double *eta, size_t neta, double x0, double y0,
                       long transient, size_t K, double bound, int threads, double *xs, double *ys);

/* The period of a kept stretch pts (K, n) by return distance (as in
 * gd_orbit_diagram): -1 if any value is non-finite or above bound. */
int gd_orbit_period_of(const double *pts, size_t K, size_t n, double tol, double bound);

/* Basins: GD from every start starts (m, n), classified by gd_orbit_find,
 * OpenMP over starts. period (m); pts (m, max_period, n) receives the
 * attractor points (NAN padded, may be NULL); maxmult (m) the largest
 * multiplier modulus (NAN if none; may be NULL). */
gd_status gd_orbit_basins(gd_ctx *ctx, const gd_obj *f, const gd_orbit_params *p,
                          const double *starts, size_t m, int threads, int *period, double *pts,
                          double *maxmult);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
