/* nn internals: the gd_mlp object, the activation type table, and the
 * shared passes (forward, loss heads) that the gradient, the
 * Hessian-vector product and the Jacobian build on. Never installed.
 *
 * Workspace layout (doubles, allocated once in gd_mlp_new for B = max_batch
 * rows). Each hidden layer l = 1..L-1 owns, for a block of b <= B rows:
 *   Z[l]   (2b, n_l)  pre-activations Z_l, then their tangents R{Z_l}
 *   H[l]   (2b, n_l)  activations H_l, then their tangents R{H_l}
 *   D1[l]  (b, n_l)   act'(Z_l)
 *   D2[l]  (b, n_l)   act''(Z_l)
 * The output layer owns Z[L] (2b, n_L) = (f, R{f}). Stacking a value over
 * its tangent lets one dgemm with 2b rows push both through W_l. The
 * backward pass ping-pongs between two (2B, maxw) buffers holding
 * (R{G_l}; G_l), G_l = dloss/dZ_l, tangent first: see hvp.c. */
#ifndef GDLAB_NN_INT_H
#define GDLAB_NN_INT_H

#include "gdlab/nn.h"

#include <stddef.h>

/* An activation: its name and one array kernel that evaluates, for each
 * z[i], any of the value f, the first derivative d1 and the second
 * derivative d2 (an output pointer may be NULL: not computed). */
typedef struct gd_act_type {
    const char *name;
    void (*eval)(size_t n, const double *z, double *f, double *d1, double *d2);
} gd_act_type;

const gd_act_type *gd_nn_act_type(gd_act a);

struct gd_mlp {
    size_t L;                           /* number of dense layers */
    size_t width[GD_MLP_MAX_LAYERS + 1];
    size_t w_off[GD_MLP_MAX_LAYERS + 1]; /* offset of W_l in w, l = 1..L */
    size_t b_off[GD_MLP_MAX_LAYERS + 1]; /* offset of b_l, SIZE_MAX without biases */
    size_t P;                           /* number of parameters */
    size_t maxw;                        /* max(width[1..L]) */
    size_t B;                           /* max_batch */
    int threads;                        /* OpenMP threads (Jacobian rows) */
    gd_act act;
    gd_loss loss;
    gd_init init;
    double init_scale;
    int bias;
    const gd_act_type *at;
    double *Z[GD_MLP_MAX_LAYERS + 1];   /* (2B, n_l), l = 1..L */
    double *H[GD_MLP_MAX_LAYERS + 1];   /* (2B, n_l), l = 1..L-1 */
    double *D1[GD_MLP_MAX_LAYERS + 1];  /* (B, n_l), l = 1..L-1 */
    double *D2[GD_MLP_MAX_LAYERS + 1];  /* (B, n_l), l = 1..L-1 */
    double *G[2];                       /* (2B, maxw) backward ping-pong */
    double *prob;                       /* (B, n_out) softmax of f (CE) */
    double *work;                       /* the one allocation behind all views */
};

/* C = alpha op(A) op(B) + beta C, row-major, op = transpose when ta / tb is
 * nonzero; C is (M, N), the inner dimension K. The one place where sizes
 * become BLAS ints (asserted to fit; gd_mlp_new rejects sizes that don't). */
void gd_nn_gemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
                const double *A, size_t lda, const double *B, size_t ldb,
                double beta, double *C, size_t ldc);

/* Forward pass of rows x (b, n_0) with parameters w: fills Z[l] (first b
 * rows), H[l], and D1[l] when d1 != 0, D2[l] when d2 != 0. If out is not
 * NULL the outputs (b, n_L) are written there instead of Z[L] (and Z[L]
 * must then not be read). Returns the output pointer. */
/* One backward step through layer l >= 2: gn (b, n_{l-1}) = (g W_l) * act'
 * of layer l-1's pre-activations (from the last forward pass), for
 * g (b, n_l). */
void gd_nn_backprop_layer(const gd_mlp *m, const double *w, size_t l, size_t b,
                          const double *g, double *gn);

double *gd_nn_forward(gd_mlp *m, const double *w, const double *x, size_t b,
                      int d1, int d2, double *out);

/* The loss head on a block: f (b, n_out), targets y (b, n_out). Returns the
 * sum of per-example losses; if g is not NULL writes g = scale * dloss/df
 * (b, n_out), and leaves softmax probabilities in m->prob (CE). Adds the
 * number of correct examples to *correct when correct is not NULL. */
double gd_nn_loss_head(gd_mlp *m, const double *f, const double *y, size_t b,
                       double scale, double *g, double *correct);

/* rg (b, n_out) = scale * (d^2 loss / df^2) rf, row by row, given the
 * probabilities left in m->prob by gd_nn_loss_head (CE). */
void gd_nn_loss_hess(const gd_mlp *m, const double *rf, const double *y,
                     size_t b, double scale, double *rg);

#endif
