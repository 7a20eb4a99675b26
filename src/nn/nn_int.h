/* nn internals: the gd_mlp object, the activation type table, the fixed
 * partition of a batch over threads (parts.c), and the shared passes
 * (forward, loss heads) that the gradient, the Hessian-vector product and
 * the Jacobian build on. Never installed.
 *
 * Threads. A batch of n examples is cut into K = gd_nn_nparts(n)
 * contiguous parts, a number that depends on n only (never on the thread
 * count); each part runs on one thread, block by block, with that
 * thread's workspace and single-threaded BLAS, and adds into its own
 * accumulator (a loss, a gradient); the parts are summed in order at the
 * end. So every result is the same, bit for bit, for any thread count
 * (DESIGN.md 4) - which a BLAS call split over threads is not: OpenBLAS's
 * dgemm and dgemv round differently for 1 and 2 threads.
 *
 * Workspace layout (doubles, allocated once in gd_mlp_new): one gd_nn_ws
 * per thread (min(threads, GD_NN_PARTS) of them), each for a block of b <=
 * Bw rows. Each hidden layer l = 1..L-1 owns
 *   Z[l]   (2b, n_l)  pre-activations Z_l, then their tangents R{Z_l}
 *   H[l]   (2b, n_l)  activations H_l, then their tangents R{H_l}
 *   D1[l]  (b, n_l)   act'(Z_l)
 *   D2[l]  (b, n_l)   act''(Z_l)
 * The output layer owns Z[L] (2b, n_L) = (f, R{f}). Stacking a value over
 * its tangent lets one dgemm with 2b rows push both through W_l. The
 * backward pass ping-pongs between two (2b, maxw) buffers holding
 * (R{G_l}; G_l), G_l = dloss/dZ_l, tangent first: see hvp.c. Then the
 * accumulators of parts 1..GD_NN_PARTS-1, (GD_NN_PARTS - 1, P); part 0
 * adds into the caller's output. */
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

/* Parts: at most GD_NN_PARTS, and at least GD_NN_PART_ROWS examples in
 * each (so a small batch is one part, run as one block). */
#define GD_NN_PARTS 8
#define GD_NN_PART_ROWS 128

/* One thread's workspace for a block of up to Bw rows (layout above). */
typedef struct gd_nn_ws {
    double *Z[GD_MLP_MAX_LAYERS + 1];   /* (2Bw, n_l), l = 1..L */
    double *H[GD_MLP_MAX_LAYERS + 1];   /* (2Bw, n_l), l = 1..L-1 */
    double *D1[GD_MLP_MAX_LAYERS + 1];  /* (Bw, n_l), l = 1..L-1 */
    double *D2[GD_MLP_MAX_LAYERS + 1];  /* (Bw, n_l), l = 1..L-1 */
    double *G[2];                       /* (2Bw, maxw) backward ping-pong */
    double *prob;                       /* (Bw, n_out) softmax of f (CE) */
} gd_nn_ws;

struct gd_mlp {
    size_t L;                           /* number of dense layers */
    size_t width[GD_MLP_MAX_LAYERS + 1];
    size_t w_off[GD_MLP_MAX_LAYERS + 1]; /* offset of W_l in w, l = 1..L */
    size_t b_off[GD_MLP_MAX_LAYERS + 1]; /* offset of b_l, SIZE_MAX without biases */
    size_t P;                           /* number of parameters */
    size_t maxw;                        /* max(width[1..L]) */
    size_t B;                           /* max_batch */
    size_t Bw;                          /* rows of a block: a part of a max_batch batch fits */
    int threads;                        /* OpenMP threads over parts */
    int nws;                            /* workspaces: min(threads, GD_NN_PARTS) */
    gd_act act;
    gd_loss loss;
    gd_init init;
    double init_scale;
    int bias;
    const gd_act_type *at;
    gd_nn_ws ws[GD_NN_PARTS];
    double *acc;                        /* (GD_NN_PARTS - 1, P) parts 1.. accumulators */
    double *work;                       /* the one allocation behind all views */
};

/* The number of parts of a batch of n examples: n / GD_NN_PART_ROWS
 * clamped to [1, GD_NN_PARTS]. Part k of K holds examples [i0, i1):
 * n / K each, the first n % K parts one more. */
size_t gd_nn_nparts(size_t n);

/* The work on part k, examples [i0, i1) of the batch, on workspace ws;
 * acc (P) is the part's accumulator, zeroed (NULL when the caller of
 * gd_nn_parts_run passed out = NULL); arg is the caller's. */
typedef void (*gd_nn_part_fn)(const gd_mlp *m, gd_nn_ws *ws, size_t k, size_t i0, size_t i1,
                              double *acc, void *arg);

/* Runs fn on the K = gd_nn_nparts(n) parts, on min(m->threads, K) OpenMP
 * threads, each BLAS call single-threaded (the calling thread's OpenMP
 * thread count is set to 1 meanwhile and restored after: OpenMP-built
 * OpenBLAS then runs on the calling thread, inside a parallel region or
 * not). If out (P) is not NULL, part 0 accumulates into out and part k
 * into its own buffer, and out = ((p_0 + p_1) + p_2) + ... at the end,
 * element by element in part order. */
void gd_nn_parts_run(gd_mlp *m, size_t n, gd_nn_part_fn fn, void *arg, double *out);

/* C = alpha op(A) op(B) + beta C, row-major, op = transpose when ta / tb is
 * nonzero; C is (M, N), the inner dimension K. The one place where sizes
 * become BLAS ints (asserted to fit; gd_mlp_new rejects sizes that don't). */
void gd_nn_gemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
                const double *A, size_t lda, const double *B, size_t ldb,
                double beta, double *C, size_t ldc);

/* Forward pass of rows x (b, n_0), b <= Bw, with parameters w on
 * workspace ws: fills Z[l] (first b rows), H[l], and D1[l] when d1 != 0,
 * D2[l] when d2 != 0. If out is not NULL the outputs (b, n_L) are written
 * there instead of Z[L] (and Z[L] must then not be read). Returns the
 * output pointer. */
double *gd_nn_forward(const gd_mlp *m, gd_nn_ws *ws, const double *w, const double *x,
                      size_t b, int d1, int d2, double *out);

/* One backward step through layer l >= 2: gn (b, n_{l-1}) = (g W_l) * act'
 * of layer l-1's pre-activations (from the last forward pass on ws), for
 * g (b, n_l). */
void gd_nn_backprop_layer(const gd_mlp *m, const gd_nn_ws *ws, const double *w, size_t l,
                          size_t b, const double *g, double *gn);

/* The loss head on a block: f (b, n_out), targets y (b, n_out). Returns the
 * sum of per-example losses; if g is not NULL writes g = scale * dloss/df
 * (b, n_out), and leaves softmax probabilities in ws->prob (CE). Adds the
 * number of correct examples to *correct when correct is not NULL. */
double gd_nn_loss_head(const gd_mlp *m, gd_nn_ws *ws, const double *f, const double *y,
                       size_t b, double scale, double *g, double *correct);

/* rg (b, n_out) = scale * (d^2 loss / df^2) rf, row by row, given the
 * probabilities left in ws->prob by gd_nn_loss_head (CE). */
void gd_nn_loss_hess(const gd_mlp *m, const gd_nn_ws *ws, const double *rf, const double *y,
                     size_t b, double scale, double *rg);

#endif
