/* gdlab expression language: user objectives and candidate closed forms.
 *
 * Grammar (usual precedence, ^ binds tighter than unary minus and is right
 * associative, so -x^2 = -(x^2) and 2^3^2 = 2^9):
 *   expr   := term (('+'|'-') term)*
 *   term   := unary (('*'|'/') unary)*
 *   unary  := ('-'|'+') unary | power
 *   power  := atom ('^' unary)?
 *   atom   := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
 * Numbers are anything C's strtod reads (1, 2.5e-3, 0x1p-4, inf, nan).
 * Functions: exp log sqrt sin cos tan tanh abs pow(x,y) min(x,y) max(x,y);
 * the constant pi. Every other name is a variable.
 *
 * Evaluation returns the value and, on request, the exact gradient and
 * Hessian (second-order forward mode: every node carries value, gradient
 * and Hessian), never finite differences. NaN and infinity propagate as
 * values. A gd_expr holds its own workspace: evaluate one object from one
 * thread at a time (gd_expr_clone gives another). */
#ifndef GDLAB_EXPR_H
#define GDLAB_EXPR_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef struct gd_expr gd_expr;

/* Parses src. If vars is non-NULL, the variables are exactly vars[0..nvars)
 * in that order and any other name is an error ("column 5: unknown
 * variable 'z' (expected one of: eta, T)"); if vars is NULL, variables are
 * the names that are not functions, in order of first appearance.
 * On success *out owns a new expression; on failure *out is NULL, the
 * message (naming the 1-based column and what was expected) is in ctx, and
 * GD_EINVAL (or GD_ENOMEM) is returned. */
gd_status gd_expr_parse(gd_ctx *ctx, const char *src, const char *const *vars,
                        size_t nvars, gd_expr **out);

/* Number of variables, and the name of variable i (owned by e). */
size_t gd_expr_nvars(const gd_expr *e);
const char *gd_expr_var_name(const gd_expr *e, size_t i);
/* Index of variable `name`, or -1. */
long gd_expr_var_index(const gd_expr *e, const char *name);

/* Value at x (length nvars). */
double gd_expr_eval(gd_expr *e, const double *x);

/* Value, gradient (n) and Hessian (n, n), row-major, symmetric, at x.
 * grad and hess may be NULL when not needed. */
double gd_expr_eval_hess(gd_expr *e, const double *x, double *grad,
                         double *hess);

/* An independent copy (for another thread); NULL on allocation failure. */
gd_expr *gd_expr_clone(const gd_expr *e);

/* Frees e; NULL does nothing. */
void gd_expr_free(gd_expr *e);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
