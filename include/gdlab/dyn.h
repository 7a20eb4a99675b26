/* gdlab dyn: gradient descent as a dynamical system (seed 003).
 *
 * An objective f: R^n -> R with its exact gradient and Hessian, from the
 * expression language or built in:
 *   expr        any expression (variables in order of first appearance);
 *   quadratic   f = 1/2 sum_i lambda_i x_i^2 (variables x1, x2, ...);
 *   mf-scalar   f = 1/2 (mu - x y)^2 (variables x, y);
 *   mf-matrix   f = 1/2 ||A - X Y^T||_F^2, A (n, d), X (n, k), Y (d, k);
 *               the variables are X row-major then Y row-major, named
 *               X[i,a] and Y[j,a] (0-based);
 *   multiscale  f = f0(x) + eps f1(x / eps), f0 and f1 expressions, f1's
 *               variables a subset of f0's (matched by name).
 * GD with learning rate eta is the map x -> x - eta grad f(x); its
 * Jacobian is I - eta Hess f(x).
 *
 * A gd_obj holds workspace: evaluate one object from one thread at a time
 * (gd_obj_clone gives an independent copy for another thread). */
#ifndef GDLAB_DYN_H
#define GDLAB_DYN_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef enum gd_obj_kind {
    GD_OBJ_EXPR = 0,
    GD_OBJ_QUADRATIC,
    GD_OBJ_MF_SCALAR,
    GD_OBJ_MF_MATRIX,
    GD_OBJ_MULTISCALE
} gd_obj_kind;

typedef struct gd_obj gd_obj;

/* Constructors. NULL with a message in ctx (GD_EINVAL: a parse error naming
 * the column, n = 0, a non-finite or bad parameter; GD_ENOMEM). */
gd_obj *gd_obj_expr(gd_ctx *ctx, const char *src);
gd_obj *gd_obj_quadratic(gd_ctx *ctx, size_t n, const double *lambda);
gd_obj *gd_obj_mf_scalar(gd_ctx *ctx, double mu);
/* A (n, d) row-major is copied. */
gd_obj *gd_obj_mf_matrix(gd_ctx *ctx, size_t n, size_t d, size_t k, const double *A);
/* eps > 0. */
gd_obj *gd_obj_multiscale(gd_ctx *ctx, const char *f0, const char *f1, double eps);

gd_obj_kind gd_obj_kind_of(const gd_obj *o);
/* Number of variables and the name of variable i (owned by o). */
size_t gd_obj_dim(const gd_obj *o);
const char *gd_obj_var_name(const gd_obj *o, size_t i);
/* A one-line description, e.g. "1/2 (1 - x y)^2" (owned by o). */
const char *gd_obj_text(const gd_obj *o);

/* f(x); grad (n) and hess (n, n) row-major symmetric, each may be NULL.
 * Exact (forward mode for expressions, closed forms for built-ins). */
double gd_obj_eval(gd_obj *o, const double *x, double *grad, double *hess);

/* Parses a point for o: "v1,v2,..." (all n values in variable order) or
 * "name=v,name=v,..." (every variable exactly once, any order). `what`
 * names the parameter in messages ("--x0: expected 2 values (x, y), got
 * 3"). GD_EINVAL with the message in ctx. */
gd_status gd_obj_parse_point(gd_ctx *ctx, const gd_obj *o, const char *text,
                             const char *what, double *x);

/* A start must be a point where the objective, its gradient and its
 * Hessian are finite: GD_EINVAL otherwise, naming the parameter `what`,
 * the point and the first non-finite quantity ("--x0: the objective is
 * not finite at the start x = -1: f = nan"). */
gd_status gd_obj_check_start(gd_ctx *ctx, gd_obj *o, const double *x, const char *what);

gd_obj *gd_obj_clone(const gd_obj *o);
void gd_obj_free(gd_obj *o);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
