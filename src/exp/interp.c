/* Training a scalar-output network to interpolate its data, to the last
 * digits of double precision: Levenberg-Marquardt in the Gram form. With
 * residuals r (m) and Jacobian J (m, d), d >> m, the damped Gauss-Newton
 * step minimising ||r + J dw||^2 + mu ||dw||^2 is dw = -J^T (J J^T + mu I)^-1 r:
 * an m x m Cholesky solve (LAPACK dposv), never a d x d system. mu falls
 * after an accepted step and rises after a rejected one. */
#include "common.h"
#include "gdlab/nn.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* Loss (1/2m) sum r^2 and the residuals r = f - y. */
static double residuals(gd_mlp *net, const double *w, const double *x, const double *y,
                        size_t m, double *f, double *r) {
    gd_mlp_forward(net, w, x, m, f);
    double s = 0;
    for (size_t i = 0; i < m; i++) r[i] = f[i] - y[i], s += r[i] * r[i];
    return s / (2.0 * (double)m);
}

gd_status gd_exp_interpolate(gd_ctx *ctx, gd_mlp *net, double *w, const double *x,
                             const double *y, size_t m, double tol, size_t max_iter,
                             double *loss, size_t *iters) {
    const size_t d = gd_mlp_nparams(net);
    GD_ASSERT(m >= 1 && m <= 100000);
    double *J = gd_malloc(m * d * sizeof *J), *K = gd_malloc(m * m * sizeof *K);
    double *f = gd_malloc(m * sizeof *f), *r = gd_malloc(m * sizeof *r), *c = gd_malloc(m * sizeof *c);
    double *wt = gd_malloc(d * sizeof *wt), *rt = gd_malloc(m * sizeof *rt);
    double *A = gd_malloc(m * m * sizeof *A);
    gd_status st = GD_OK;
    if (!J || !K || !f || !r || !c || !wt || !rt || !A) {
        st = gd_error(ctx, GD_ENOMEM, "out of memory for a %zu x %zu Jacobian", m, d);
        goto done;
    }
    double L = residuals(net, w, x, y, m, f, r), mu = -1;
    size_t it = 0;
    for (; it < max_iter && L > tol; it++) {
        gd_mlp_jacobian(net, w, x, m, J);
        /* K = J J^T (lower triangle). */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)m, (int)d, 1.0, J, (int)d, 0.0,
                    K, (int)m);
        if (mu < 0) {
            double tr = 0;
            for (size_t i = 0; i < m; i++) tr += K[i * m + i];
            mu = 1e-3 * tr / (double)m;
        }
        int accepted = 0;
        for (int tries = 0; tries < 40 && !accepted; tries++) {
            memcpy(A, K, m * m * sizeof *A);
            for (size_t i = 0; i < m; i++) A[i * m + i] += mu;
            memcpy(c, r, m * sizeof *c);
            lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, 1, A, (lapack_int)m,
                                            c, 1);
            if (info != 0) { mu *= 10; continue; }
            /* wt = w - J^T c */
            memcpy(wt, w, d * sizeof *wt);
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)d, -1.0, J, (int)d, c, 1, 1.0, wt, 1);
            double Lt = residuals(net, wt, x, y, m, f, rt);
            if (Lt < L) {
                memcpy(w, wt, d * sizeof *w);
                memcpy(r, rt, m * sizeof *r);
                L = Lt;
                mu = fmax(mu / 3.0, 1e-300);
                accepted = 1;
            } else {
                mu *= 4.0;
            }
        }
        if (!accepted) break; /* stalled: no step decreases the loss */
    }
    *loss = L;
    *iters = it;
done:
    gd_free(J), gd_free(K), gd_free(f), gd_free(r), gd_free(c), gd_free(wt), gd_free(rt), gd_free(A);
    return st;
}
