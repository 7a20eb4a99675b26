/* The loss and its gradient by backpropagation, batched through BLAS.
 *
 * With G_l = dLoss/dZ_l (b, n_l) for a block of b rows (row i the example),
 *   G_L = (1/n) dl/df            (loss.c; n the size of the WHOLE batch),
 *   dW_l += G_l^T H_{l-1}        (n_l, n_{l-1}),   db_l += 1^T G_l,
 *   G_{l-1} = (G_l W_l) .* act'(Z_{l-1}),
 * so the gradient is a sum over blocks: each part of the batch (nn_int.h)
 * adds its blocks, in order, into its own accumulator (beta = 1 in the
 * dgemm), and the parts are summed in order; the loss likewise. */
#include "nn_int.h"

#include <string.h>

/* out (n) += column sums of A (b, n), rows in order. */
static void colsum_add(double *out, const double *A, size_t b, size_t n) {
    for (size_t i = 0; i < b; i++)
        for (size_t j = 0; j < n; j++) out[j] += A[i * n + j];
}

/* Backpropagates G_L (in ws->G[0], (b, n_L)) through the block and adds the
 * block's share of the gradient into grad (P). Needs the forward pass of
 * the block with D1. */
static void backward(const gd_mlp *m, gd_nn_ws *ws, const double *w, const double *x,
                     size_t b, double *grad) {
    double *g = ws->G[0], *gn = ws->G[1];
    for (size_t l = m->L; l >= 1; l--) {
        const size_t nl = m->width[l], np = m->width[l - 1];
        const double *h = l > 1 ? ws->H[l - 1] : x;
        gd_nn_gemm(1, 0, nl, np, b, 1.0, g, nl, h, np, 1.0, grad + m->w_off[l], np);
        if (m->bias) colsum_add(grad + m->b_off[l], g, b, nl);
        if (l == 1) break;
        gd_nn_backprop_layer(m, ws, w, l, b, g, gn);
        double *t = g;
        g = gn, gn = t;
    }
}

typedef struct grad_arg {
    const double *w, *x, *y;
    double inv_n;
    int want_acc;
    double loss[GD_NN_PARTS], correct[GD_NN_PARTS]; /* per part */
} grad_arg;

static void grad_part(const gd_mlp *m, gd_nn_ws *ws, size_t k, size_t i0, size_t i1,
                      double *grad, void *arg) {
    grad_arg *a = arg;
    const size_t n0 = m->width[0], nL = m->width[m->L];
    double total = 0, correct = 0;
    for (size_t i = i0; i < i1; i += m->Bw) {
        const size_t b = i1 - i < m->Bw ? i1 - i : m->Bw;
        const double *xb = a->x + i * n0, *yb = a->y + i * nL;
        const double *f = gd_nn_forward(m, ws, a->w, xb, b, grad != NULL, 0, NULL);
        total += gd_nn_loss_head(m, ws, f, yb, b, a->inv_n, grad ? ws->G[0] : NULL,
                                 a->want_acc ? &correct : NULL);
        if (grad) backward(m, ws, a->w, xb, b, grad);
    }
    a->loss[k] = total, a->correct[k] = correct;
}

double gd_mlp_loss_grad(gd_mlp *m, const double *w, const double *x,
                        const double *y, size_t n, double *grad, double *acc) {
    GD_ASSERT(m != NULL && w != NULL && x != NULL && y != NULL && n >= 1);
    grad_arg a = {.w = w, .x = x, .y = y, .inv_n = 1.0 / (double)n, .want_acc = acc != NULL};
    gd_nn_parts_run(m, n, grad_part, &a, grad);
    double total = 0, correct = 0;
    for (size_t k = 0; k < gd_nn_nparts(n); k++) total += a.loss[k], correct += a.correct[k];
    if (acc) *acc = correct * a.inv_n;
    return total * a.inv_n;
}

void gd_nn_backprop_layer(const gd_mlp *m, const gd_nn_ws *ws, const double *w, size_t l,
                          size_t b, const double *g, double *gn) {
    const size_t nl = m->width[l], np = m->width[l - 1];
    gd_nn_gemm(0, 0, b, np, nl, 1.0, g, nl, w + m->w_off[l], np, 0.0, gn, np);
    const double *d1 = ws->D1[l - 1];
    for (size_t i = 0; i < b * np; i++) gn[i] *= d1[i];
}
