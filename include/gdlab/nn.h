/* gdlab nn: multi-layer perceptrons with exact derivatives.
 *
 * A network maps x (n_in) through L dense layers h_l = act(W_l h_{l-1} + b_l)
 * (no activation after the last layer) to f (n_out). All parameters live in
 * one contiguous buffer w (P) with per-layer views: for layer l, W_l
 * (n_l, n_{l-1}) row-major, then b_l (n_l); gradients use the same layout.
 *
 * Losses, averaged over the n examples of a batch (the normalisation of
 * Cohen et al. 2021, stated here because every threshold depends on it):
 *   MSE: (1/n) sum_i 1/2 ||f(x_i) - y_i||^2,
 *   CE : (1/n) sum_i -log softmax(f(x_i))_{y_i}.
 * Targets y are (n, n_out): one-hot rows for CE and class targets, values
 * for regression.
 *
 * Derivatives are exact: the gradient by backpropagation, the
 * Hessian-vector product by Pearlmutter's R-operator (forward-over-reverse),
 * per-example gradients of a scalar output as rows of the Jacobian; all
 * batched through BLAS (cblas_dgemm) in blocks of at most max_batch
 * examples. A gd_mlp holds its workspace: use one object from one thread at
 * a time.
 *
 * Threads: a batch is cut into a number of parts that depends on its size
 * only (one part for small batches, at most 8), run on the ctx->threads
 * OpenMP threads given to gd_mlp_new, each BLAS call on one thread, and
 * summed in part order. So every result is the same, bit for bit, for any
 * thread count and any OpenBLAS thread setting (with the OpenMP build of
 * OpenBLAS that gdlab links). */
#ifndef GDLAB_NN_H
#define GDLAB_NN_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Persisted by name: only grows at its end. */
typedef enum gd_act {
    GD_ACT_IDENTITY = 0,
    GD_ACT_RELU,
    GD_ACT_LEAKY_RELU, /* slope 0.01 below 0 */
    GD_ACT_TANH,
    GD_ACT_GELU,       /* exact: x Phi(x) */
    GD_ACT_SOFTPLUS,   /* log(1 + e^x) */
    GD_ACT_SWISH,      /* x sigmoid(x) */
    GD_ACT_SQUARE      /* x^2 */
} gd_act;

typedef enum gd_loss { GD_LOSS_MSE = 0, GD_LOSS_CE } gd_loss;

typedef enum gd_init {
    GD_INIT_TORCH = 0, /* PyTorch nn.Linear default: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    GD_INIT_XAVIER,    /* W ~ U(-sqrt(6/(fan_in+fan_out)), +), b = 0 */
    GD_INIT_HE         /* W ~ N(0, 2/fan_in), b = 0 */
} gd_init;

/* Name <-> enum ("tanh", "mse", "torch", ...); -1 when unknown. */
int gd_act_from_name(const char *name);
const char *gd_act_name(gd_act a);

/* The activation a at z (n values): its value f and first derivative d1,
 * either of which may be NULL (not computed). */
void gd_act_eval(gd_act a, size_t n, const double *z, double *f, double *d1);

#define GD_MLP_MAX_LAYERS 16

typedef struct gd_mlp_params {
    size_t n_layers;                        /* L >= 1 dense layers */
    size_t width[GD_MLP_MAX_LAYERS + 1];    /* width[0] = n_in, width[L] = n_out */
    gd_act act;                             /* hidden activation; default tanh */
    gd_loss loss;                           /* default MSE */
    gd_init init;                           /* default GD_INIT_TORCH */
    double init_scale;                      /* multiplies every initial weight; default 1 */
    int bias;                               /* 1: layers have biases (default) */
} gd_mlp_params;

gd_mlp_params gd_mlp_default_params(void);

typedef struct gd_mlp gd_mlp;

/* A network for batches of up to max_batch examples at a time (larger
 * batches are processed in blocks), on ctx->threads OpenMP threads (1 when
 * ctx is NULL). NULL with a message in ctx on bad parameters (zero widths,
 * too many layers, CE with n_out < 2) or ENOMEM. */
gd_mlp *gd_mlp_new(gd_ctx *ctx, const gd_mlp_params *p, size_t max_batch);
void gd_mlp_free(gd_mlp *m);

/* Number of parameters P, and the offset/shape of layer l's W and b. */
size_t gd_mlp_nparams(const gd_mlp *m);
void gd_mlp_layer(const gd_mlp *m, size_t l, size_t *w_off, size_t *rows,
                  size_t *cols, size_t *b_off);

/* Initial parameters w (P) from the scheme, drawn from the stream
 * (seed, "mlp-init", 0, 0). */
void gd_mlp_init(const gd_mlp *m, double *w, uint64_t seed);

/* Outputs f (n, n_out) for inputs x (n, n_in). */
void gd_mlp_forward(gd_mlp *m, const double *w, const double *x, size_t n,
                    double *f);

/* Loss on (x, y) and, if grad is non-NULL, its gradient (P), overwritten.
 * If acc is non-NULL it receives the accuracy (argmax f = argmax y; for
 * n_out = 1, sign agreement of f - 0.5 and y - 0.5). */
double gd_mlp_loss_grad(gd_mlp *m, const double *w, const double *x,
                        const double *y, size_t n, double *grad, double *acc);

/* Hessian-vector product of the loss: hv (P) = H(w) v, exactly. */
void gd_mlp_hvp(gd_mlp *m, const double *w, const double *x, const double *y,
                size_t n, const double *v, double *hv);

/* For n_out = 1: the per-example gradients of the output, J (n, P) with
 * J[i] = grad_w f(x_i; w). */
void gd_mlp_jacobian(gd_mlp *m, const double *w, const double *x, size_t n,
                     double *J);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
