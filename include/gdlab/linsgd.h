/* gdlab linsgd: online SGD on linear models with squared loss, exactly
 * (moment recursions) and by Monte Carlo of the real algorithm.
 *
 * Conventions for all models: one fresh sample per step (a batch of b in
 * the diagonal model), loss 1/2 (f - y)^2, w0 = 0, and the test loss is
 * E over w_T and a fresh (x, y) of 1/2 (f(x) - y)^2. With d = w - w*:
 *
 * 1-D model  x ~ N(0,1), y = theta x + eps, eps ~ N(0, sigma2):
 *   d' = (1 - eta x^2) d + eta x eps, hence
 *   E d' = (1 - eta) E d,   v' = (1 - 2 eta + 3 eta^2) v + eta^2 sigma2
 *   for v = E d^2 (E x^4 = 3), and loss = (v + sigma2) / 2.
 *
 * Zipf model (seed 000/001 problem 6 part 3): k ~ Zipf, P(k) = k^-(a+1) /
 * zeta(a+1); coordinate j = ceil(k^b) carries x ~ N(0,1), y = theta x_j +
 * eps. A model of width N sees coordinates 1..N, i.e. k <= K = floor(N^(1/b))
 * (j is injective in k for b >= 1). Each k is a 1-D problem visited with
 * probability p_k: v_k' = (1 - c p_k) v_k + p_k eta^2 sigma2, c = eta(2 -
 * 3 eta), so v_k(T) = u sigma2 + (theta^2 - u sigma2)(1 - c p_k)^T with
 * u = eta/(2 - 3 eta), and
 *   L = sigma2/2 + (u sigma2/2) P(K) + (theta^2 - u sigma2)/2 S(K,T)
 *       + (theta^2/2)(1 - P(K)),
 *   P(K) = sum_{k<=K} p_k (Hurwitz zeta), S(K,T) = sum_{k<=K} p_k (1-c p_k)^T.
 * S is summed directly for k <= GD_ZIPF_DIRECT and by Euler-Maclaurin
 * (integral by GSL adaptive quadrature plus the f' and f''' corrections)
 * beyond; the error estimate is the size of the last correction plus the
 * quadrature's, and tests check it against direct summation.
 *
 * Diagonal model: x ~ N(0, diag(lambda)), lambda_i = i^-p, target
 * w*_i = i^-q, label noise sigma2, batch b, model width N (the data are
 * infinite-dimensional: the coordinates beyond N act as extra independent
 * Gaussian label noise of variance zeta(p + 2q, N + 1), exactly). The
 * diagonal D_i = E d_i^2 evolves on its own (Gaussian fourth moments):
 *   D_i' = D_i (1 - 2 eta l_i + eta^2 l_i^2 (1 + 1/b))
 *          + (eta^2/b) l_i (sum_j l_j D_j + sigma2_eff),
 *   loss = (sum_j l_j D_j + sigma2_eff) / 2. */
#ifndef GDLAB_LINSGD_H
#define GDLAB_LINSGD_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* ---- 1-D model ---- */

typedef struct gd_lin1d {
    double theta;  /* teacher weight; default 3 */
    double sigma2; /* label noise variance; default 1 */
} gd_lin1d;

gd_lin1d gd_lin1d_default_params(void);

/* Exact E[w_T] and E[(w_T - theta)^2] after T steps (T a whole number
 * >= 0, up to 2^53): the moment recursion composed T times by binary
 * powering of its affine map, O(log T). Either output may be NULL. */
void gd_lin1d_moments(const gd_lin1d *m, double eta, double T, double *mean_w,
                      double *v);
/* Exact expected test loss after T steps: (v + sigma2) / 2. */
double gd_lin1d_loss(const gd_lin1d *m, double eta, double T);
/* The same recursion iterated step by step (O(T)): a reference for tests. */
double gd_lin1d_loss_iterate(const gd_lin1d *m, double eta, long T);

/* Monte Carlo of the real algorithm: R replicas of T steps, sampling x and
 * eps from the stream (seed, "sgd-1d", point, replica). For each of the
 * ncheck checkpoint steps (ascending, <= T) it returns the mean over
 * replicas of the conditional test loss (exact given w_t) and its standard
 * error, and the mean of w_t and its standard error. Outputs (ncheck).
 * Replicas are processed in fixed chunks and reduced in a fixed order, so
 * the result is the same for any number of threads. */
gd_status gd_lin1d_mc(gd_ctx *ctx, const gd_lin1d *m, double eta, long T,
                      long R, uint64_t point, const long *check, size_t ncheck,
                      double *loss, double *loss_se, double *mean_w,
                      double *mean_w_se);

/* ---- Zipf model ---- */

#define GD_ZIPF_DIRECT 16384

typedef struct gd_zipf gd_zipf;

/* A Zipf model with exponents a > 0, b >= 1, teacher theta, noise sigma2.
 * Precomputes p_k for k <= GD_ZIPF_DIRECT. NULL (with ctx error) on bad
 * parameters or allocation failure. */
gd_zipf *gd_zipf_new(gd_ctx *ctx, double a, double b, double theta,
                     double sigma2);
void gd_zipf_free(gd_zipf *z);
/* K = number of Zipf ranks k with ceil(k^b) <= N (INFINITY for N = inf). */
double gd_zipf_rank_limit(const gd_zipf *z, double N);
/* Exact expected test loss for width N (or INFINITY) after T steps (or
 * INFINITY), learning rate eta in (0, 2/3). *err (may be NULL) receives an
 * estimate of the absolute error of the tail approximation. */
double gd_zipf_loss(const gd_zipf *z, double N, double T, double eta,
                    double *err);
/* The same minus the noise floor sigma2/2, with full relative accuracy
 * however small it is (the scaling exponents are read from it). */
double gd_zipf_excess(const gd_zipf *z, double N, double T, double eta,
                      double *err);
/* The same by direct summation over all k <= K (K finite, small enough):
 * the reference for tests. */
double gd_zipf_loss_direct(const gd_zipf *z, double N, double T, double eta);

/* Monte Carlo of the real algorithm on a model of K = N^(1/b) <= 1e7
 * features: R replicas of T steps (a step's rank drawn from Walker's alias
 * table over k = 1..K and "beyond K", one 64-bit word a draw; the table
 * and the weights take 12 + 8 x threads bytes per feature), the
 * conditional test loss at step T averaged over replicas, and its
 * standard error. */
gd_status gd_zipf_mc(gd_ctx *ctx, const gd_zipf *z, double N, long T,
                     double eta, long R, double *loss, double *loss_se);

/* ---- Diagonal Gaussian model ---- */

typedef struct gd_diag {
    double p, q;      /* spectrum lambda_i = i^-p, target w*_i = i^-q */
    double sigma2;    /* label noise variance */
    long batch;       /* b >= 1 */
    long width;       /* N >= 1 */
} gd_diag;

/* Extra label noise from the coordinates beyond N: zeta(p + 2q, N + 1);
 * INFINITY if p + 2q <= 1. */
double gd_diag_tail_noise(const gd_diag *m);

/* Exact risk curve: loss at the ncheck checkpoint steps (ascending).
 * Returns the number of checkpoints filled; if the loss becomes non-finite
 * or exceeds 1e100, stops and sets *diverged_at to that step (else -1). */
size_t gd_diag_risk(const gd_diag *m, double eta, const long *check,
                    size_t ncheck, double *loss, long *diverged_at);

/* Monte Carlo of the real algorithm (R replicas, batch b), conditional test
 * loss at the checkpoints, mean and standard error; deterministic for any
 * thread count. Diverged replicas count as infinite loss. */
gd_status gd_diag_mc(gd_ctx *ctx, const gd_diag *m, double eta, long R,
                     uint64_t point, const long *check, size_t ncheck,
                     double *loss, double *loss_se);

/* ---- 1-D minimisation ---- */

/* Minimises f over (lo, hi] (0 < lo < hi): a log-spaced grid of ngrid
 * points brackets the global grid minimum, then Brent's method (GSL) in
 * log x refines it; the endpoint hi is always a candidate. Returns the
 * minimiser and the minimum. GD_ENUMERIC if GSL fails. */
gd_status gd_minimize_1d(gd_ctx *ctx, double (*f)(double x, void *data),
                         void *data, double lo, double hi, size_t ngrid,
                         double *xmin, double *fmin);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
