/* Internals of the optim module (never installed): the optimizer object
 * shared by the driver (optim.c) and the algorithm files (gd.c, momentum.c,
 * adam.c, muon.c, sphere.c), and the type objects the table lists. The
 * library is built with hidden visibility, so none of this is exported. */
#ifndef GDLAB_OPTIM_INT_H
#define GDLAB_OPTIM_INT_H

#include <stddef.h>

#include "gdlab/optim.h"

/* One matrix block declared for Muon: the (rows, cols) row-major matrix
 * at w + off. */
typedef struct gd_optim_block {
    size_t off, rows, cols;
} gd_optim_block;

struct gd_optim {
    const gd_optim_type *type;
    gd_ctx *ctx;           /* context given to gd_optim_new (may be NULL): where
                              gd_optim_precond, which has no ctx argument,
                              leaves its messages */
    gd_optim_params p;
    size_t P;              /* number of parameters */
    long t;                /* steps taken; gd_optim_step increments it before
                              calling type->step, so a step sees t >= 1 */
    double *state;         /* (type->nstate, P): state vector k at state + k P */
    /* Muon only (gd_optim_set_blocks): blocks sorted by offset, disjoint. */
    size_t nblocks;
    gd_optim_block *blocks; /* (nblocks) */
    double *ws;             /* Newton-Schulz workspace: X and Y (max rows
                               cols each), A and B (max min(rows, cols)^2
                               each) */
    size_t ws_mat, ws_sq;   /* sizes of X, Y and of A, B in doubles */
};

/* The types, one per algorithm file; the driver's table lists them. */
extern const gd_optim_type gd_optim_type_gd;       /* gd.c */
extern const gd_optim_type gd_optim_type_sgd;      /* gd.c */
extern const gd_optim_type gd_optim_type_momentum; /* momentum.c */
extern const gd_optim_type gd_optim_type_nesterov; /* momentum.c */
extern const gd_optim_type gd_optim_type_adam;     /* adam.c */
extern const gd_optim_type gd_optim_type_adamw;    /* adam.c */
extern const gd_optim_type gd_optim_type_muon;     /* muon.c */
extern const gd_optim_type gd_optim_type_sphere;   /* sphere.c */

/* Heavy ball on the index range [i0, i1): v = beta v + (g + wd w);
 * w -= lr v, with v = o->state. Shared by momentum.c and Muon's
 * parameters outside matrix blocks. */
void gd_optim_heavy_ball_range(gd_optim *o, double *w, const double *g,
                               double lr, size_t i0, size_t i1);

/* Adam's preconditioner after o->t >= 1 steps: pinv (P) = 1 / (sqrt(s /
 * (1 - beta2^t)) + eps). adam.c. */
void gd_optim_adam_precond(const gd_optim *o, double *pinv);

#endif
