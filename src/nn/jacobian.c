/* Per-example gradients of a scalar output: the Jacobian J (n, P) of
 * f(x_i; w), n_out = 1. Backpropagating a unit output seed through the
 * block gives G_l (b, n_l), row i = df(x_i)/dZ_l[i], batched as in grad.c
 * (G_L = 1, G_{l-1} = (G_l W_l) .* act'(Z_{l-1}), one dgemm per layer);
 * then row i of J holds, for every layer, the outer product
 * G_l[i] H_{l-1}[i]^T in W_l's place and G_l[i] in b_l's place. Those
 * writes (n P numbers: the cost of the output itself) and the products
 * run in parallel over the parts of the batch (nn_int.h), each thread
 * writing its own part's rows. Nothing is summed across examples, but a
 * row's rounding in a dgemm may depend on where the block starts, so the
 * blocks are those of the fixed partition too. */
#include "nn_int.h"

typedef struct jac_arg {
    const double *w, *x;
    double *J;
} jac_arg;

static void jacobian_part(const gd_mlp *m, gd_nn_ws *ws, size_t k, size_t i0, size_t i1,
                          double *acc, void *arg) {
    (void)k, (void)acc;
    const jac_arg *a = arg;
    const size_t n0 = m->width[0], P = m->P;
    for (size_t i0b = i0; i0b < i1; i0b += m->Bw) {
        const size_t b = i1 - i0b < m->Bw ? i1 - i0b : m->Bw;
        const double *xb = a->x + i0b * n0;
        double *Jb = a->J + i0b * P;
        gd_nn_forward(m, ws, a->w, xb, b, 1, 0, NULL);
        double *g = ws->G[0], *gn = ws->G[1];
        for (size_t i = 0; i < b; i++) g[i] = 1.0;
        for (size_t l = m->L; l >= 1; l--) {
            const size_t nl = m->width[l], np = m->width[l - 1];
            const double *h = l > 1 ? ws->H[l - 1] : xb;
            const size_t wo = m->w_off[l], bo = m->b_off[l];
            for (size_t i = 0; i < b; i++) {
                double *row = Jb + i * P;
                const double *gi = g + i * nl, *hi = h + i * np;
                for (size_t r = 0; r < nl; r++) {
                    double *dst = row + wo + r * np;
                    const double gr = gi[r];
                    for (size_t c = 0; c < np; c++) dst[c] = gr * hi[c];
                }
                if (m->bias)
                    for (size_t r = 0; r < nl; r++) row[bo + r] = gi[r];
            }
            if (l == 1) break;
            gd_nn_backprop_layer(m, ws, a->w, l, b, g, gn);
            double *t = g;
            g = gn, gn = t;
        }
    }
}

void gd_mlp_jacobian(gd_mlp *m, const double *w, const double *x, size_t n,
                     double *J) {
    GD_ASSERT(m != NULL && w != NULL && (n == 0 || (x != NULL && J != NULL)));
    GD_ASSERT(m->width[m->L] == 1);
    if (n == 0) return;
    jac_arg a = {w, x, J};
    gd_nn_parts_run(m, n, jacobian_part, &a, NULL);
}
