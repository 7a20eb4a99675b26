/* Internals of the stab module: the handle's layout and the helpers the
 * files share. Never installed. */
#ifndef GDLAB_STAB_INT_H
#define GDLAB_STAB_INT_H

#include "gdlab/stab.h"

#include <limits.h>

struct gd_stab {
    gd_stab_params p;
    size_t m, d, r;
    double *A;       /* (m, d) copy of the gradients */
    double *s;       /* (r) spectrum of Sigma, descending */
    double *B;       /* (m, r) rows b_j = Lambda^1/2 U_r[j, :] */
    double *C;       /* (m, r) U_r Lambda^-1/2, so that V = A^T C */
    double *w;       /* (m) b_j^T Sigma b_j */
    double sigma2, sigmaF, erank;
    /* workspace, allocated by gd_stab_new */
    double *S0, *S1; /* (r, r) power iterates */
    double *N;       /* (r, r) alignment numerator / dsygv matrix */
    double *Dm;      /* (r, r) alignment denominator */
    double *WB;      /* (m, r) B S, then diag(q) B */
    double *q;       /* (m) b_j^T S b_j, or A z */
    double *hist;    /* (rho_window + 1) ring of power-iteration estimates */
};

/* The one place sizes become BLAS/LAPACK ints: gd_stab_new refused sides
 * above INT_MAX, so this only asserts. */
static inline int stab_int(size_t n) {
    GD_ASSERT(n <= (size_t)INT_MAX);
    return (int)n;
}

/* Validates a batch size: GD_EINVAL with a message unless 1 <= b <= m. */
gd_status gd_stab_check_batch_(gd_ctx *ctx, const gd_stab *st, size_t b);

#endif
