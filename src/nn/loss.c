/* Loss heads on a block of outputs: the per-example losses, their gradient
 * with respect to the outputs f, the Hessian-vector product in output
 * space, and the count of correct predictions.
 *
 *   MSE: l(f, y) = 1/2 ||f - y||^2,  dl/df = f - y,  d2l/df2 = I.
 *   CE : l(f, y) = -sum_c y_c log p_c, p = softmax(f); with s = sum_c y_c
 *        (1 for the one-hot rows of nn.h): l = s lse(f) - y.f,
 *        dl/df = s p - y, d2l/df2 = s (diag(p) - p p^T).
 * lse(f) = max f + log sum exp(f - max f), so no exponential overflows and
 * the loss of a one-hot row is the difference lse - f_c, never log(p_c) of
 * an underflowed p_c. */
#include "nn_int.h"

#include <math.h>

/* Index of the first maximum of v (n). */
static size_t argmax(const double *v, size_t n) {
    size_t k = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[k]) k = j;
    return k;
}

/* Accuracy rule of nn.h: argmax agreement, or for one output the side of
 * 0.5 (f - 0.5 and y - 0.5 of the same sign, f = 0.5 counting as below). */
static int correct_row(const double *f, const double *y, size_t k) {
    if (k == 1) return (f[0] > 0.5) == (y[0] > 0.5);
    return argmax(f, k) == argmax(y, k);
}

double gd_nn_loss_head(const gd_mlp *m, gd_nn_ws *ws, const double *f, const double *y,
                       size_t b, double scale, double *g, double *correct) {
    const size_t k = m->width[m->L];
    double total = 0;
    size_t nc = 0;
    if (m->loss == GD_LOSS_MSE) {
        for (size_t i = 0; i < b; i++) {
            const double *fi = f + i * k, *yi = y + i * k;
            double s = 0;
            for (size_t c = 0; c < k; c++) {
                double r = fi[c] - yi[c];
                s += r * r;
                if (g) g[i * k + c] = scale * r;
            }
            total += 0.5 * s;
            if (correct) nc += (size_t)correct_row(fi, yi, k);
        }
    } else {
        for (size_t i = 0; i < b; i++) {
            const double *fi = f + i * k, *yi = y + i * k;
            double *p = ws->prob + i * k;
            const double mx = fi[argmax(fi, k)];
            double se = 0, sy = 0;
            for (size_t c = 0; c < k; c++) {
                p[c] = exp(fi[c] - mx);
                se += p[c];
            }
            const double lse = mx + log(se);
            double li = 0;
            for (size_t c = 0; c < k; c++) {
                p[c] /= se;
                if (yi[c] != 0) li += yi[c] * (lse - fi[c]);
                sy += yi[c];
            }
            total += li;
            if (g)
                for (size_t c = 0; c < k; c++) g[i * k + c] = scale * (sy * p[c] - yi[c]);
            if (correct) nc += (size_t)correct_row(fi, yi, k);
        }
    }
    if (correct) *correct += (double)nc;
    return total;
}

void gd_nn_loss_hess(const gd_mlp *m, const gd_nn_ws *ws, const double *rf, const double *y,
                     size_t b, double scale, double *rg) {
    const size_t k = m->width[m->L];
    if (m->loss == GD_LOSS_MSE) {
        for (size_t i = 0; i < b * k; i++) rg[i] = scale * rf[i];
        return;
    }
    for (size_t i = 0; i < b; i++) {
        const double *p = ws->prob + i * k, *r = rf + i * k, *yi = y + i * k;
        double pr = 0, sy = 0;
        for (size_t c = 0; c < k; c++) {
            pr += p[c] * r[c];
            sy += yi[c];
        }
        for (size_t c = 0; c < k; c++) rg[i * k + c] = scale * sy * p[c] * (r[c] - pr);
    }
}
