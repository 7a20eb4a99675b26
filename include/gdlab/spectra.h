/* gdlab spectra: eigenvalues of symmetric operators known only through
 * matrix-vector products (Hessians through exact HVPs).
 *
 * Lanczos with full reorthogonalisation for the top k eigenvalues in the
 * largest ALGEBRAIC sense (the sharpness is the largest eigenvalue of the
 * Hessian, not the largest in magnitude), stopping on the Ritz residual
 * ||A y - theta y|| <= tol * max(|theta_1|, tiny) for every wanted pair,
 * never on an iteration count alone; the residuals are reported. Stochastic
 * Lanczos quadrature for the spectral density, Hutchinson for the trace.
 * The small tridiagonal eigenproblems go to LAPACK (dstev). */
#ifndef GDLAB_SPECTRA_H
#define GDLAB_SPECTRA_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* out (n) = A v for a symmetric A. */
typedef void (*gd_matvec)(void *data, const double *v, double *out);

typedef struct gd_lanczos_params {
    size_t k;          /* eigenpairs wanted; default 1 */
    size_t max_iter;   /* Krylov dimension cap; default min(n, 300) */
    double tol;        /* relative residual; default 1e-6 */
    uint64_t seed;     /* start vector stream (seed, "lanczos", 0, 0) */
} gd_lanczos_params;

gd_lanczos_params gd_lanczos_default_params(void);

typedef struct gd_lanczos_result {
    double eval[16];   /* the k largest Ritz values, descending */
    double resid[16];  /* their residual norms ||A y - theta y|| */
    size_t nmatvec;    /* matrix-vector products used */
    int converged;     /* 1 if every wanted residual met the tolerance */
} gd_lanczos_result;

/* Top-k eigenpairs of the n x n operator. v0 (n), if non-NULL, is the start
 * vector (a warm start, e.g. the previous top eigenvector); evec (k, n), if
 * non-NULL, receives the Ritz vectors. k <= 16. Memory O(n max_iter),
 * allocated per call. */
gd_status gd_lanczos_top(gd_ctx *ctx, size_t n, gd_matvec A, void *data,
                         const gd_lanczos_params *p, const double *v0,
                         double *evec, gd_lanczos_result *res);

/* Spectral density by stochastic Lanczos quadrature: nprobe Rademacher
 * probes, m Lanczos steps each; returns the Ritz nodes and weights of all
 * probes, nodes (nprobe*m) and weights (nprobe*m) (weights sum to 1), and
 * the density smoothed by a Gaussian of width sigma on the grid
 * x (ngrid) -> dens (ngrid). */
gd_status gd_slq_density(gd_ctx *ctx, size_t n, gd_matvec A, void *data,
                         size_t nprobe, size_t m, uint64_t seed, double *nodes,
                         double *weights, const double *x, size_t ngrid,
                         double sigma, double *dens);

/* Hutchinson estimate of trace(A) with nprobe Rademacher probes: the mean
 * and its standard error. */
gd_status gd_hutchinson_trace(gd_ctx *ctx, size_t n, gd_matvec A, void *data,
                              size_t nprobe, uint64_t seed, double *trace,
                              double *se);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
