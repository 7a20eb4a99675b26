/* Alignment of the SGD noise with the curvature (seed 000 problem 2):
 * delta(y) = Tr(M_eff(y) Sigma) / (2 L(y) ||Sigma||_F^2), its infimum over
 * y and the problem's learning-rate bound sqrt(b / delta_inf) / sigma_F.
 *
 * In y coordinates, with u_j = b_j . y and w_j = b_j^T Sigma b_j,
 *   Tr(M Sigma) = (1/m) sum_j u_j^2 w_j - y^T Sigma^3 y
 * (Tr(g_j g_j^T Sigma) = u_j^2 w_j and grad L = Sigma y), and 2 L =
 * y^T Sigma y; both are quadratic forms, N and D of include/gdlab/stab.h,
 * and N is positive semi-definite (M is a covariance), D positive definite
 * on the r coordinates. */
#include "stab_int.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

double gd_stab_delta(gd_stab *st, const double *y, size_t b, int replace) {
    const size_t m = st->m, r = st->r;
    const double sf = (double)b * gd_stab_noise_factor(st, b, replace);
    double num = 0, den = 0, s3 = 0;
    for (size_t j = 0; j < m; j++) {
        const double *bj = st->B + j * r;
        double u = 0;
        for (size_t k = 0; k < r; k++) u += bj[k] * y[k];
        num += u * u * st->w[j];
    }
    for (size_t k = 0; k < r; k++) {
        double sk = st->s[k], y2 = y[k] * y[k];
        s3 += sk * sk * sk * y2;
        den += sk * y2;
    }
    num = sf * (num / (double)m - s3);
    den *= st->sigmaF * st->sigmaF;
    return den > 0 ? num / den : GD_NAN;
}

gd_status gd_stab_delta_inf(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                            double *delta, double *y) {
    gd_status rc = gd_stab_check_batch_(ctx, st, b);
    if (rc) return rc;
    const size_t m = st->m, r = st->r;
    const int M = stab_int(m), R = stab_int(r);
    const double sf = (double)b * gd_stab_noise_factor(st, b, replace);
    const double f2 = st->sigmaF * st->sigmaF;
    /* N = s_f [B^T diag(w / m) B - diag(s^3)]: WB = diag(w / m) B. */
    for (size_t j = 0; j < m; j++)
        for (size_t k = 0; k < r; k++) st->WB[j * r + k] = st->w[j] / (double)m * st->B[j * r + k];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, R, R, M, sf, st->B, R, st->WB, R, 0.0,
                st->N, R);
    memset(st->Dm, 0, r * r * sizeof *st->Dm);
    for (size_t k = 0; k < r; k++) {
        double sk = st->s[k];
        st->N[k * r + k] -= sf * sk * sk * sk;
        st->Dm[k * r + k] = f2 * sk;
    }
    /* Symmetrise exactly: dgemm's two triangles agree only to rounding. */
    for (size_t k = 0; k < r; k++)
        for (size_t l = 0; l < k; l++) {
            double v = 0.5 * (st->N[k * r + l] + st->N[l * r + k]);
            st->N[k * r + l] = st->N[l * r + k] = v;
        }
    /* Eigenvalues ascending into S0 (r); eigenvectors in N's columns,
     * normalised by x^T D x = 1. */
    double *ev = st->S0;
    lapack_int info = LAPACKE_dsygv(LAPACK_ROW_MAJOR, 1, y ? 'V' : 'N', 'U', R, st->N, R,
                                    st->Dm, R, ev);
    if (info != 0)
        return gd_error(ctx, GD_ENUMERIC, "stab: LAPACKE_dsygv failed (info %d) for the "
                        "alignment of order %zu", (int)info, r);
    /* N is PSD: a negative smallest eigenvalue is rounding. */
    *delta = ev[0] > 0 ? ev[0] : 0.0;
    if (y) {
        double nrm = 0;
        for (size_t k = 0; k < r; k++) nrm += st->N[k * r] * st->N[k * r];
        nrm = sqrt(nrm);
        for (size_t k = 0; k < r; k++) y[k] = st->N[k * r] / nrm;
    }
    return GD_OK;
}

gd_status gd_stab_eta_bound(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                            double *eta) {
    double delta;
    gd_status rc = gd_stab_delta_inf(ctx, st, b, replace, &delta, NULL);
    if (rc) return rc;
    *eta = delta > 0 ? sqrt((double)b / delta) / st->sigmaF : (double)INFINITY;
    return GD_OK;
}
