/* Per-example gradients of a scalar output: the Jacobian J (n, P) of
 * f(x_i; w), n_out = 1. Backpropagating a unit output seed through the
 * block gives G_l (b, n_l), row i = df(x_i)/dZ_l[i], batched as in grad.c
 * (G_L = 1, G_{l-1} = (G_l W_l) .* act'(Z_{l-1}), one dgemm per layer);
 * then row i of J holds, for every layer, the outer product
 * G_l[i] H_{l-1}[i]^T in W_l's place and G_l[i] in b_l's place. Those
 * writes (n P numbers: the cost of the output itself) run in parallel over
 * examples, each thread writing its own rows. */
#include "nn_int.h"

void gd_mlp_jacobian(gd_mlp *m, const double *w, const double *x, size_t n,
                     double *J) {
    GD_ASSERT(m != NULL && w != NULL && (n == 0 || (x != NULL && J != NULL)));
    GD_ASSERT(m->width[m->L] == 1);
    const size_t n0 = m->width[0], P = m->P;
    for (size_t i0 = 0; i0 < n; i0 += m->B) {
        const size_t b = n - i0 < m->B ? n - i0 : m->B;
        const double *xb = x + i0 * n0;
        double *Jb = J + i0 * P;
        gd_nn_forward(m, w, xb, b, 1, 0, NULL);
        double *g = m->G[0], *gn = m->G[1];
        for (size_t i = 0; i < b; i++) g[i] = 1.0;
        for (size_t l = m->L; l >= 1; l--) {
            const size_t nl = m->width[l], np = m->width[l - 1];
            const double *h = l > 1 ? m->H[l - 1] : xb;
            const size_t wo = m->w_off[l], bo = m->b_off[l];
            const int bias = m->bias;
            const long nb = (long)b;
#pragma omp parallel for schedule(static) num_threads(m->threads) if (b * nl * np > 32768)
            for (long ii = 0; ii < nb; ii++) {
                const size_t i = (size_t)ii;
                double *row = Jb + i * P;
                const double *gi = g + i * nl, *hi = h + i * np;
                for (size_t r = 0; r < nl; r++) {
                    double *dst = row + wo + r * np;
                    const double gr = gi[r];
                    for (size_t c = 0; c < np; c++) dst[c] = gr * hi[c];
                }
                if (bias)
                    for (size_t r = 0; r < nl; r++) row[bo + r] = gi[r];
            }
            if (l == 1) break;
            gd_nn_backprop_layer(m, w, l, b, g, gn);
            double *t = g;
            g = gn, gn = t;
        }
    }
}
