/* gdlab stab: linear stability of (S)GD at an interpolating minimum
 * (seed 000 problem 2), computed exactly in the span of the gradients.
 *
 * At an interpolating minimum w* of a scalar network F, the per-example
 * gradients a_j = grad_w F(x_j; w*) form A (m, d). With z = w - w*, the
 * linearised loss is L(z) = (1/2m) sum_j (a_j . z)^2 and its Hessian is
 * Sigma = (1/m) A^T A. No d x d matrix is ever formed: the Gram matrix
 * G = A A^T (m, m) = U Lambda U^T gives the r eigenvalues lambda_k above
 * rank_tol * lambda_max and an orthonormal basis of span(a_j),
 * V = A^T U_r Lambda_r^-1/2 (d, r), never stored. In the coordinates
 * y = V^T z (r):
 *   Sigma = diag(s),  s_k = lambda_k / m   (descending),
 *   a_j . z = b_j . y,  b_j = Lambda_r^1/2 U_r[j, :]^T,  B (m, r), B^T B = Lambda_r,
 * so every quantity below costs O(m r^2) or less. The component of z
 * orthogonal to the span never moves under (S)GD on L, so linearised SGD
 * in y is exactly linearised SGD in z started in the span.
 *
 * SGD: z' = z - eta (grad L(z) + eps) with a batch of b examples, drawn
 * with replacement (Cov(eps | y) = M(y) / b) or without (a uniform b-subset
 * each step: Cov = (m - b) / (b (m - 1)) M(y)), where
 *   M(y) = (1/m) sum_j g_j g_j^T - grad L grad L^T,  g_j = b_j (b_j . y).
 * Write c_b = 1/b or (m - b)/(b (m - 1)) (0 when m = 1) and
 * M_eff = b Cov = s_f M with s_f = b c_b (1 or (m - b)/(m - 1)).
 *
 * Alignment: delta(y) = Tr(M_eff(y) Sigma) / (2 L(y) ||Sigma||_F^2), a
 * ratio of quadratic forms y^T N y / y^T D y with
 *   N = s_f [(1/m) sum_j (b_j^T Sigma b_j) b_j b_j^T - Sigma^3],
 *   D = ||Sigma||_F^2 Sigma,
 * so delta_inf = min_y delta(y) is the smallest generalised eigenvalue of
 * (N, D) (LAPACK dsygv).
 *
 * Mean-square stability: S = E[y y^T] evolves by the linear map
 *   T(S) = S - eta (Sigma S + S Sigma)
 *          + eta^2 [Sigma S Sigma + c_b ((1/m) sum_j b_j (b_j^T S b_j) b_j^T
 *                                        - Sigma S Sigma)],
 * E[L_t] = (1/2) tr(Sigma S_t). T maps PSD matrices to PSD matrices (the
 * c_b term is a covariance), so its spectral radius rho(eta, b) is an
 * eigenvalue with a PSD eigenvector (Krein-Rutman), and E[L_t] stays
 * bounded from every start iff rho <= 1. T is moreover self-adjoint for
 * <S, R> = tr(S R) (each term is symmetric in S and R), which is why the
 * Lanczos (src/spectra) computes rho as T's largest eigenvalue. Writing
 * T = I - eta L1 + eta^2 Q with L1, Q positive semi-definite, rho(eta) > 1
 * iff eta > eta* = 1 / max_S <Q S, S> / <L1 S, S>: the crossing is unique,
 * and eta* <= min(2 / sigma_2, sqrt(b / delta_inf) / sigma_F) (the GD limit
 * and the problem's bound), which brackets the root.
 *
 * Threads: a gd_stab holds workspace, so one handle must not be used by two
 * threads at once; gd_stab_simulate only reads the handle and parallelises
 * over replicas itself. */
#ifndef GDLAB_STAB_H
#define GDLAB_STAB_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef struct gd_stab gd_stab;

typedef struct gd_stab_params {
    double rank_tol;   /* keep Gram eigenvalues > rank_tol * lambda_max;
                          0 means 1e-12 * m (the default) */
    double rho_tol;    /* rho: Lanczos stops when the Ritz residual is
                          <= rho_tol * rho; mu_max (eta*): the power
                          iteration stops when the estimate changed by
                          <= rho_tol (relative) over rho_window iterations;
                          default 1e-12 */
    size_t rho_window; /* default 20, >= 1 */
    size_t rho_maxit;  /* cap on products with T in rho (Lanczos: cycles
                          of at most sqrt(1e9 / r^2), r(r+1)/2 and
                          1.25e8 / r^2 (1 GB of vectors) steps, restarted
                          from the Ritz vector, at most 12 cycles) and on
                          the power iterations for eta*; default 200000 */
    double eta_tol;    /* relative tolerance of eta*; default 1e-10 */
} gd_stab_params;

gd_stab_params gd_stab_default_params(void);

/* Builds the r-dimensional model from the per-example gradients A (m, d),
 * row-major, which is copied (the caller keeps ownership of A). p NULL
 * means the defaults. Cost: one syrk (m^2 d) and one syev (m^3).
 * Returns NULL with a message in ctx on: m = 0 or d = 0, m or d above
 * INT_MAX, a non-finite entry, r = 0 (A zero to the tolerance), bad
 * params (GD_EINVAL); allocation failure (GD_ENOMEM); LAPACK failure. */
gd_stab *gd_stab_new(gd_ctx *ctx, size_t m, size_t d, const double *A,
                     const gd_stab_params *p);
/* The same, taking ownership of A (allocated with gd_malloc; freed by
 * gd_stab_free, or at once on failure): no copy, so the peak memory is one
 * m x d matrix (8 GB at m = 1000, d = 1e6 instead of 16). */
gd_stab *gd_stab_adopt(gd_ctx *ctx, size_t m, size_t d, double *A,
                       const gd_stab_params *p);
/* Frees the handle; NULL does nothing. */
void gd_stab_free(gd_stab *st);

/* Sizes: m examples, d parameters, r = rank kept (1 <= r <= min(m, d)). */
size_t gd_stab_m(const gd_stab *st);
size_t gd_stab_d(const gd_stab *st);
size_t gd_stab_rank(const gd_stab *st);
/* The nonzero spectrum of Sigma, s_k = lambda_k / m, descending: a
 * pointer (r) owned by the handle, valid until gd_stab_free. */
const double *gd_stab_spectrum(const gd_stab *st);
/* The rows b_j: a pointer (m, r) owned by the handle. */
const double *gd_stab_rows(const gd_stab *st);
/* ||Sigma||_2 = s_1. */
double gd_stab_sigma2(const gd_stab *st);
/* ||Sigma||_F = sqrt(sum s_k^2). */
double gd_stab_sigmaF(const gd_stab *st);
/* Effective rank (sum s_k)^2 / sum s_k^2, in [1, r]. */
double gd_stab_effective_rank(const gd_stab *st);

/* Coordinates. y (r) = V^T z for z (d); z (d) = V y for y (r). V^T V = I,
 * so y -> z -> y is the identity and z -> y -> z projects z on the span of
 * the a_j. O(m d). Use the handle's workspace (not concurrently). */
void gd_stab_z_to_y(gd_stab *st, const double *z, double *y);
void gd_stab_y_to_z(gd_stab *st, const double *y, double *z);

/* L(y) = (1/2) sum_k s_k y_k^2 = (1/2m) sum_j (b_j . y)^2, y (r). */
double gd_stab_loss(const gd_stab *st, const double *y);

/* Noise factors for a batch of b examples (1 <= b <= m, asserted):
 * c_b = Cov / M (see above) and s_f = b c_b. */
double gd_stab_noise_factor(const gd_stab *st, size_t b, int replace);

/* Alignment delta(y) for y (r) and batch b, replace (nonzero: with
 * replacement); NaN if L(y) = 0. Asserts 1 <= b <= m. O(m r). */
double gd_stab_delta(gd_stab *st, const double *y, size_t b, int replace);

/* delta_inf = min_y delta(y) (smallest generalised eigenvalue of (N, D),
 * >= 0) and, if y is non-NULL, a minimiser y (r) with ||y||_2 = 1.
 * GD_EINVAL if b = 0 or b > m; GD_ENUMERIC if dsygv fails. O(m r^2 + r^3). */
gd_status gd_stab_delta_inf(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                            double *delta, double *y);

/* One step of the second-moment map: out (r, r) = T(S) for S (r, r)
 * symmetric, row-major; out must not alias S. Asserts 1 <= b <= m.
 * O(m r^2). */
void gd_stab_moment_step(gd_stab *st, double eta, size_t b, int replace,
                         const double *S, double *out);

/* rho(eta, b): the spectral radius of T, its largest eigenvalue
 * (Krein-Rutman), by Lanczos with full reorthogonalisation on the
 * symmetric r x r matrices (T is self-adjoint for <S, R> = tr(S R)) from
 * S = I / sqrt(r), stopping when the Ritz residual is
 * <= max(rho_tol, 1e-9) * rho (the error in rho is below the residual).
 * Fast also near rho = 1, where the eigenvalues 1 - 2 eta s_k of the
 * small-curvature directions crowd T's top and a power iteration crawls.
 * Outputs: *rho; *iters (may be NULL) the products with T; *converged
 * (may be NULL) 1 if the residual test was met, 0 if the cap was reached
 * (an outcome, not an error); S (r, r) (may be NULL) the Perron vector,
 * PSD with trace 1. GD_EINVAL if b = 0 or b > m or eta is not finite;
 * GD_ENOMEM; GD_ENUMERIC if the estimate is not finite. */
gd_status gd_stab_rho(gd_ctx *ctx, gd_stab *st, double eta, size_t b,
                      int replace, double *rho, size_t *iters, int *converged,
                      double *S);

/* eta*(b): the learning rate where rho = 1. eta* = 1 / mu_max with
 * mu_max = max_S <Q S, S> / <L1 S, S> (see above), the top eigenvalue of
 * L1^-1/2 Q L1^-1/2 by power iteration from I with the rho_* stopping
 * rule; *iters (may be NULL) receives the iterations. Exact: no root
 * finding, and fast where a power iteration on T is slow (near rho = 1
 * T has eigenvalues 1 - 2 eta s_k crowding its top when the spectrum
 * decays). GD_EINVAL for b out of range; GD_ENUMERIC if the iteration
 * breaks down or does not converge within rho_maxit. */
gd_status gd_stab_eta_crit(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                           double *eta, size_t *iters);

/* The same eta* by Brent's method (GSL) on rho(eta) - 1, rho by
 * gd_stab_rho's Lanczos, bracketed by [eta_hi / 2^k, eta_hi] with
 * eta_hi = min(2 / sigma_2, eta_bound) (1 + 1e-6) (rho > 1 there), to
 * eta_tol relative: the direct definition, a reference for the above.
 * *iters (may be NULL): products with T in all. Errors as
 * above, plus GD_ENUMERIC if the bracket or the solver fails. */
gd_status gd_stab_eta_crit_brent(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                                 double *eta, size_t *iters);

/* The GD limit 2 / sigma_2. */
double gd_stab_eta_gd(const gd_stab *st);
/* The problem's bound sqrt(b / delta_inf) / sigma_F (INFINITY if
 * delta_inf = 0, e.g. b = m without replacement). Errors as
 * gd_stab_delta_inf. */
gd_status gd_stab_eta_bound(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                            double *eta);

/* Monte Carlo of linearised SGD in y: R replicas of check[ncheck-1] steps
 * y' = y - (eta / b) sum_{j in batch} b_j (b_j . y), the batch drawn
 * afresh each step from the stream (ctx->seed, "stab", point, replica):
 * b uniform indices with replacement, or a uniform b-subset (partial
 * Fisher-Yates; independent across steps, which is the model's noise, not
 * an epoch sampler). Replica i starts at y0 + i * y0_stride (y0_stride = 0:
 * all start at y0 (r); y0_stride = r: y0 is (R, r)).
 * Outputs (ncheck each): loss, loss_se = mean over replicas of L at step
 * check[k] (ascending, check[0] may be 0) and its standard error;
 * diverged (R, may be NULL): the first step at which L > 1e12 L_0 or L is
 * not finite, -1 if never. A replica goes on after crossing 1e12 L_0 (the
 * dynamics are linear) and stops only once L is not finite, its later
 * losses counting as INFINITY (mean INFINITY, se NaN). Replicas run in
 * fixed chunks on ctx->threads threads and are reduced in order: the
 * result does not depend on the thread count.
 * GD_EINVAL for b out of range, R = 0, ncheck = 0, unsorted checkpoints,
 * y0_stride not 0 or r, eta not finite; GD_ENOMEM. */
gd_status gd_stab_simulate(gd_ctx *ctx, const gd_stab *st, double eta,
                           size_t b, int replace, size_t R, uint64_t point,
                           const double *y0, size_t y0_stride,
                           const size_t *check, size_t ncheck, double *loss,
                           double *loss_se, long *diverged);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
