/* Exact Hessian-vector products by Pearlmutter's R-operator
 * (forward-over-reverse; Pearlmutter 1994, "Fast exact multiplication by
 * the Hessian"). R{.} is the directional derivative along v = (V_l, c_l),
 * the tangent of (W_l, b_l).
 *
 * R-forward, with R{H_0} = 0:
 *   R{Z_l} = R{H_{l-1}} W_l^T + H_{l-1} V_l^T + 1 c_l^T,
 *   R{H_l} = act'(Z_l) .* R{Z_l},         R{f} = R{Z_L}.
 * Loss head (loss.c): G_L = (1/n) dl/df, R{G_L} = (1/n) (d2l/df2) R{f}.
 * R-backward, from G_l = dLoss/dZ_l:
 *   R{dW_l} = R{G_l}^T H_{l-1} + G_l^T R{H_{l-1}},  R{db_l} = 1^T R{G_l},
 *   dH  = G_l W_l,  R{dH} = R{G_l} W_l + G_l V_l,
 *   G_{l-1}    = dH .* act'(Z_{l-1}),
 *   R{G_{l-1}} = R{dH} .* act'(Z_{l-1}) + dH .* act''(Z_{l-1}) .* R{Z_{l-1}}.
 * and Hv = (R{dW_l}, R{db_l}) summed over blocks: each part of the batch
 * (nn_int.h) adds its blocks in order into its own accumulator, and the
 * parts are summed in order.
 *
 * Values and tangents are stacked in (2b, n) buffers so that each product
 * with W_l is one dgemm of 2b rows: [Z; R{Z}] = [H; R{H}] W^T (then
 * R{Z} += H V^T), [R{dH}; dH] = [R{G}; G] W (then R{dH} += G V), and
 * R{dW} = [R{G}; G]^T [H; R{H}] is one dgemm with inner dimension 2b. So a
 * layer costs five dgemm calls and eight b n_l n_{l-1} multiply-adds. */
#include "nn_int.h"

#include <string.h>

/* Adds the bias row bl (nl) to every one of the b rows of z (b, nl). */
static void fill_rows(double *z, const double *bl, size_t b, size_t nl) {
    for (size_t i = 0; i < b; i++) memcpy(z + i * nl, bl, nl * sizeof *z);
}

/* Forward and R-forward over a block of b rows x (b, n_0). */
static void r_forward(const gd_mlp *m, gd_nn_ws *ws, const double *w, const double *v,
                      const double *x, size_t b) {
    for (size_t l = 1; l <= m->L; l++) {
        const size_t nl = m->width[l], np = m->width[l - 1];
        const double *W = w + m->w_off[l], *V = v + m->w_off[l];
        double *z = ws->Z[l], *rz = z + b * nl;
        double beta = 0;
        if (m->bias) {
            fill_rows(z, w + m->b_off[l], b, nl);
            fill_rows(rz, v + m->b_off[l], b, nl);
            beta = 1;
        }
        if (l == 1) {
            gd_nn_gemm(0, 1, b, nl, np, 1.0, x, np, W, np, beta, z, nl);
            gd_nn_gemm(0, 1, b, nl, np, 1.0, x, np, V, np, beta, rz, nl);
        } else {
            const double *h = ws->H[l - 1]; /* (2b, np): H_{l-1}; R{H_{l-1}} */
            gd_nn_gemm(0, 1, 2 * b, nl, np, 1.0, h, np, W, np, beta, z, nl);
            gd_nn_gemm(0, 1, b, nl, np, 1.0, h, np, V, np, 1.0, rz, nl);
        }
        if (l < m->L) {
            double *hl = ws->H[l], *rh = hl + b * nl, *d1 = ws->D1[l];
            m->at->eval(b * nl, z, hl, d1, ws->D2[l]);
            for (size_t i = 0; i < b * nl; i++) rh[i] = d1[i] * rz[i];
        }
    }
}

/* R-backward over the block; adds the block's share of Hv into hv (P).
 * ws->G[0] holds [R{G_L}; G_L] (2b, n_L) on entry. */
static void r_backward(const gd_mlp *m, gd_nn_ws *ws, const double *w, const double *v,
                       const double *x, size_t b, double *hv) {
    double *g = ws->G[0], *gn = ws->G[1];
    for (size_t l = m->L; l >= 1; l--) {
        const size_t nl = m->width[l], np = m->width[l - 1];
        double *hw = hv + m->w_off[l];
        if (l > 1)
            gd_nn_gemm(1, 0, nl, np, 2 * b, 1.0, g, nl, ws->H[l - 1], np, 1.0, hw, np);
        else
            gd_nn_gemm(1, 0, nl, np, b, 1.0, g, nl, x, np, 1.0, hw, np);
        if (m->bias) {
            double *hb = hv + m->b_off[l];
            for (size_t i = 0; i < b; i++)
                for (size_t j = 0; j < nl; j++) hb[j] += g[i * nl + j];
        }
        if (l == 1) break;
        /* gn = [R{dH}; dH] (2b, np). */
        gd_nn_gemm(0, 0, 2 * b, np, nl, 1.0, g, nl, w + m->w_off[l], np, 0.0, gn, np);
        gd_nn_gemm(0, 0, b, np, nl, 1.0, g + b * nl, nl, v + m->w_off[l], np, 1.0, gn, np);
        const double *d1 = ws->D1[l - 1], *d2 = ws->D2[l - 1], *rz = ws->Z[l - 1] + b * np;
        double *rdh = gn, *dh = gn + b * np;
        for (size_t i = 0; i < b * np; i++) {
            const double dhi = dh[i];
            rdh[i] = rdh[i] * d1[i] + dhi * d2[i] * rz[i];
            dh[i] = dhi * d1[i];
        }
        double *t = g;
        g = gn, gn = t;
    }
}

typedef struct hvp_arg {
    const double *w, *x, *y, *v;
    double inv_n;
} hvp_arg;

static void hvp_part(const gd_mlp *m, gd_nn_ws *ws, size_t k, size_t i0, size_t i1,
                     double *hv, void *arg) {
    (void)k;
    const hvp_arg *a = arg;
    const size_t n0 = m->width[0], nL = m->width[m->L];
    for (size_t i = i0; i < i1; i += m->Bw) {
        const size_t b = i1 - i < m->Bw ? i1 - i : m->Bw;
        const double *xb = a->x + i * n0, *yb = a->y + i * nL;
        r_forward(m, ws, a->w, a->v, xb, b);
        const double *f = ws->Z[m->L], *rf = f + b * nL;
        double *rg = ws->G[0], *g = rg + b * nL;
        gd_nn_loss_head(m, ws, f, yb, b, a->inv_n, g, NULL);
        gd_nn_loss_hess(m, ws, rf, yb, b, a->inv_n, rg);
        r_backward(m, ws, a->w, a->v, xb, b, hv);
    }
}

void gd_mlp_hvp(gd_mlp *m, const double *w, const double *x, const double *y,
                size_t n, const double *v, double *hv) {
    GD_ASSERT(m != NULL && w != NULL && x != NULL && y != NULL && v != NULL &&
              hv != NULL && n >= 1);
    hvp_arg a = {w, x, y, v, 1.0 / (double)n};
    gd_nn_parts_run(m, n, hvp_part, &a, hv);
}
