/* gdlab flow: gradient flow and modified flows of GD, integrated with GSL
 * (seed 003; Hairer, Lubich and Wanner, Geometric Numerical Integration,
 * 2006, ch. IX), and the Hessian spectrum of an objective (LAPACK dsyev).
 *
 * For GD x <- x - eta g(x), g = grad f, H = Hess f, backward error analysis
 * of explicit Euler for y' = F(y) with step h = eta gives the modified field
 *   F~ = F - (h/2) F'F + h^2 ((1/3) F'F'F + (1/12) F''(F,F)) + O(h^3).
 * With F = -g this is
 *   order 0 (gradient flow)   x' = -g
 *   order 1 (modified flow)   x' = -(g + (eta/2) H g) = -grad(f + (eta/4)|g|^2)
 *   order 2                   x' = -(g + (eta/2) H g + eta^2 ((1/3) H H g
 *                                                    + (1/12) T[g,g]))
 * where T[g,g] = d/ds H(x + s g) g at s = 0 is the third derivative of f
 * contracted twice with g. T is zero for quadratics; otherwise it is
 * computed from the exact Hessian by Richardson-extrapolated central
 * differences (see gd_flow_third). */
#ifndef GDLAB_FLOW_H
#define GDLAB_FLOW_H

#include <stddef.h>
#include "core.h"
#include "dyn.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Which flow: the order of the modified equation. Persisted by number. */
typedef enum gd_flow_kind {
    GD_FLOW_GRADIENT = 0, /* x' = -g */
    GD_FLOW_MOD1,         /* x' = -(g + (eta/2) H g) */
    GD_FLOW_MOD2          /* adds eta^2 ((1/3) H H g + (1/12) T[g,g]) */
} gd_flow_kind;

typedef struct gd_flow_params {
    double rtol;   /* relative tolerance of rk8pd, (0, 1e-3]; default 1e-13 */
    double atol;   /* absolute tolerance, > 0; default 1e-18 (so that decayed
                      components keep their relative accuracy) */
    double h0;     /* first trial step, > 0; default 1e-4 */
    size_t max_steps; /* accepted plus rejected steps before giving up;
                         default 10000000 */
} gd_flow_params;

gd_flow_params gd_flow_default_params(void);

/* T[g,g] = d/ds H(x + s g) g |_{s=0} into out (n). Quadratics: exactly 0.
 * Otherwise Richardson extrapolation of the central difference
 * D(h) = (H(x + h g) g - H(x - h g) g) / (2h) over h, h/2, h/4 with
 * h = 1e-2 / max(1, |g|): D(h) = T + c2 h^2 + c4 h^4 + ..., the two
 * Richardson levels remove the h^2 and h^4 terms, leaving O(h^6) truncation
 * plus about eps |H| / h rounding (relative error near 1e-12 for the
 * built-in objectives; exact up to rounding when f is a polynomial of
 * degree <= 4, as the factorisation objectives are, since then H(x + s g) g
 * is quadratic in s). work needs 5 n + n n doubles. */
void gd_flow_third(gd_obj *o, const double *x, const double *g, double *out, double *work);

/* Doubles of workspace gd_flow_field needs for n variables. */
size_t gd_flow_work_size(size_t n);

/* The flow's right-hand side F~(x) into dx (n). work holds
 * gd_flow_work_size(n) doubles. */
void gd_flow_field(gd_obj *o, gd_flow_kind kind, double eta, const double *x, double *dx,
                   double *work);

/* Integrates the flow from x (n, overwritten with x(T)) over time T >= 0
 * with gsl_odeiv2's rk8pd at the given tolerances (NULL: defaults).
 * Returns GD_ENUMERIC with a message when GSL fails (the solution blew up
 * or the step count ran out), GD_ENOMEM. o's workspace is used. */
gd_status gd_flow_integrate(gd_ctx *ctx, gd_obj *o, gd_flow_kind kind, double eta, double T,
                            const gd_flow_params *prm, double *x);

/* All eigenvalues of Hess f(x) ascending into evals (n), and if evecs is
 * not NULL the orthonormal eigenvectors as its rows (n, n) row-major
 * (row i belongs to evals[i]). LAPACKE_dsyev; GD_ENUMERIC if it fails,
 * GD_ENOMEM. The sharpness is evals[n - 1]. */
gd_status gd_flow_hess_eig(gd_ctx *ctx, gd_obj *o, const double *x, double *evals,
                           double *evecs);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
