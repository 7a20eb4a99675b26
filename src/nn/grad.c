/* The loss and its gradient by backpropagation, batched through BLAS.
 *
 * With G_l = dLoss/dZ_l (b, n_l) for a block of b rows (row i the example),
 *   G_L = (1/n) dl/df            (loss.c; n the size of the WHOLE batch),
 *   dW_l += G_l^T H_{l-1}        (n_l, n_{l-1}),   db_l += 1^T G_l,
 *   G_{l-1} = (G_l W_l) .* act'(Z_{l-1}),
 * so a batch larger than max_batch is a sum over blocks, each adding its
 * share into the same gradient (beta = 1 in the dgemm). */
#include "nn_int.h"

#include <string.h>

/* out (n) += column sums of A (b, n), rows in order. */
static void colsum_add(double *out, const double *A, size_t b, size_t n) {
    for (size_t i = 0; i < b; i++)
        for (size_t j = 0; j < n; j++) out[j] += A[i * n + j];
}

/* Backpropagates G_L (in m->G[0], (b, n_L)) through the block and adds the
 * block's share of the gradient into grad (P). Needs the forward pass of
 * the block with D1. */
static void backward(gd_mlp *m, const double *w, const double *x, size_t b,
                     double *grad) {
    double *g = m->G[0], *gn = m->G[1];
    for (size_t l = m->L; l >= 1; l--) {
        const size_t nl = m->width[l], np = m->width[l - 1];
        const double *h = l > 1 ? m->H[l - 1] : x;
        gd_nn_gemm(1, 0, nl, np, b, 1.0, g, nl, h, np, 1.0, grad + m->w_off[l], np);
        if (m->bias) colsum_add(grad + m->b_off[l], g, b, nl);
        if (l == 1) break;
        gd_nn_backprop_layer(m, w, l, b, g, gn);
        double *t = g;
        g = gn, gn = t;
    }
}

double gd_mlp_loss_grad(gd_mlp *m, const double *w, const double *x,
                        const double *y, size_t n, double *grad, double *acc) {
    GD_ASSERT(m != NULL && w != NULL && x != NULL && y != NULL && n >= 1);
    const size_t n0 = m->width[0], nL = m->width[m->L];
    const double inv_n = 1.0 / (double)n;
    if (grad) memset(grad, 0, m->P * sizeof *grad);
    double total = 0, correct = 0;
    for (size_t i0 = 0; i0 < n; i0 += m->B) {
        const size_t b = n - i0 < m->B ? n - i0 : m->B;
        const double *xb = x + i0 * n0, *yb = y + i0 * nL;
        const double *f = gd_nn_forward(m, w, xb, b, grad != NULL, 0, NULL);
        total += gd_nn_loss_head(m, f, yb, b, inv_n, grad ? m->G[0] : NULL,
                                 acc ? &correct : NULL);
        if (grad) backward(m, w, xb, b, grad);
    }
    if (acc) *acc = correct * inv_n;
    return total * inv_n;
}

void gd_nn_backprop_layer(const gd_mlp *m, const double *w, size_t l, size_t b,
                          const double *g, double *gn) {
    const size_t nl = m->width[l], np = m->width[l - 1];
    gd_nn_gemm(0, 0, b, np, nl, 1.0, g, nl, w + m->w_off[l], np, 0.0, gn, np);
    const double *d1 = m->D1[l - 1];
    for (size_t i = 0; i < b * np; i++) gn[i] *= d1[i];
}
