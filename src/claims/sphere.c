/* Steepest descent on the unit sphere (the first-order step, its
 * retraction and the exact optimum) and msign by Newton-Schulz against the
 * SVD (claims.h). */
#include "gdlab/claims.h"
#include "gdlab/optim.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

gd_status gd_sphere_step_at(gd_ctx *ctx, const double *w0, const double *g, size_t n, double eta,
                            double *phi_out, double *wr_out, double *we_out, gd_sphere_step *out) {
    GD_ASSERT(w0 != NULL && g != NULL && n >= 2 && eta > 0 && eta <= 2 && out != NULL);
    gd_sphere_step o = {0};
    double *w = gd_malloc(4 * n * sizeof *w);
    if (!w) return gd_error(ctx, GD_ENOMEM, "out of memory");
    double *phi = w + n, *wr = w + 2 * n, *we = w + 3 * n;
    const double nw = cblas_dnrm2((int)n, w0, 1);
    for (size_t i = 0; i < n; i++) w[i] = w0[i] / nw;
    const double gw = cblas_ddot((int)n, g, 1, w, 1);
    for (size_t i = 0; i < n; i++) phi[i] = -(g[i] - gw * w[i]);
    /* One more projection removes the rounding left along w. */
    const double pw = cblas_ddot((int)n, phi, 1, w, 1);
    for (size_t i = 0; i < n; i++) phi[i] -= pw * w[i];
    const double np = cblas_dnrm2((int)n, phi, 1);
    for (size_t i = 0; i < n; i++) phi[i] /= np;
    for (size_t i = 0; i < n; i++) wr[i] = w[i] + eta * phi[i];
    const double nr = cblas_dnrm2((int)n, wr, 1);
    for (size_t i = 0; i < n; i++) wr[i] /= nr;
    const double a = 1 - eta * eta / 2, b = eta * sqrt(1 - eta * eta / 4);
    for (size_t i = 0; i < n; i++) we[i] = a * w[i] + b * phi[i];
    o.tangent_err = fabs(cblas_ddot((int)n, phi, 1, w, 1));
    o.unit_err = fmax(fabs(cblas_dnrm2((int)n, phi, 1) - 1),
                      fmax(fabs(cblas_dnrm2((int)n, wr, 1) - 1), fabs(cblas_dnrm2((int)n, we, 1) - 1)));
    /* Angles from w in the (w, phi) plane, by atan2: accurate for small angles. */
    o.angle_retraction = atan2(cblas_ddot((int)n, wr, 1, phi, 1), cblas_ddot((int)n, wr, 1, w, 1));
    o.angle_exact = atan2(cblas_ddot((int)n, we, 1, phi, 1), cblas_ddot((int)n, we, 1, w, 1));
    if (phi_out) memcpy(phi_out, phi, n * sizeof *phi);
    if (wr_out) memcpy(wr_out, wr, n * sizeof *wr);
    if (we_out) memcpy(we_out, we, n * sizeof *we);
    gd_free(w);
    *out = o;
    return GD_OK;
}

/* The scalar map of the iteration: s <- a s + b s^3 + c s^5, step by step. */
static double ns_map(double s, const double *coef, int steps) {
    for (int k = 0; k < steps; k++) s = coef[3 * k] * s + coef[3 * k + 1] * s * s * s + coef[3 * k + 2] * s * s * s * s * s;
    return s;
}

static int cmp_desc(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

gd_status gd_msign_error(gd_ctx *ctx, const double *M, size_t r, size_t c, const double *coef, int steps,
                         double *err, double *smin, double *smax, double *map_err) {
    GD_ASSERT(M != NULL && r >= 1 && c >= 1 && err && smin && smax && map_err);
    const size_t m = r < c ? r : c, rc = r * c;
    double *A = gd_malloc(rc * sizeof *A), *U = gd_malloc(r * m * sizeof *U), *Vt = gd_malloc(m * c * sizeof *Vt);
    double *S = gd_malloc(m * sizeof *S), *sup = gd_malloc(m * sizeof *sup), *P = gd_malloc(rc * sizeof *P);
    double *ws = gd_malloc((2 * rc + 2 * m * m) * sizeof *ws);
    gd_status st = GD_OK;
    if (!A || !U || !Vt || !S || !sup || !P || !ws) {
        st = gd_error(ctx, GD_ENOMEM, "msign: out of memory for a %zu x %zu matrix", r, c);
        goto done;
    }
    /* U V^T from the SVD of M (thin). */
    memcpy(A, M, rc * sizeof *A);
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', (lapack_int)r, (lapack_int)c, A, (lapack_int)c,
                                     S, U, (lapack_int)m, Vt, (lapack_int)c, sup);
    if (info != 0) {
        st = gd_error(ctx, GD_ENUMERIC, "msign: dgesvd failed (info %d)", (int)info);
        goto done;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)c, (int)m, 1.0, U, (int)m, Vt, (int)c,
                0.0, P, (int)c);
    /* What the iteration should give: each singular value through the scalar map. */
    double fro = 0;
    for (size_t i = 0; i < m; i++) fro += S[i] * S[i];
    fro = sqrt(fro) + 1e-7;
    for (size_t i = 0; i < m; i++) sup[i] = fabs(ns_map(S[i] / fro, coef, steps));
    qsort(sup, m, sizeof *sup, cmp_desc);
    memcpy(U, sup, m * sizeof *sup); /* U is free now: keep the predicted values */
    const double *X = gd_newton_schulz(M, r, c, coef, steps, ws);
    double e2 = 0;
    for (size_t i = 0; i < rc; i++) e2 += (X[i] - P[i]) * (X[i] - P[i]);
    *err = sqrt(e2 / (double)m);
    /* The singular values of X. */
    memcpy(A, X, rc * sizeof *A);
    info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)r, (lapack_int)c, A, (lapack_int)c, S, NULL, 1,
                          NULL, 1, sup);
    if (info != 0) {
        st = gd_error(ctx, GD_ENUMERIC, "msign: dgesvd of the iterate failed (info %d)", (int)info);
        goto done;
    }
    *smax = S[0], *smin = S[m - 1];
    *map_err = 0;
    for (size_t i = 0; i < m; i++) *map_err = fmax(*map_err, fabs(S[i] - U[i]));
done:
    gd_free(A), gd_free(U), gd_free(Vt), gd_free(S), gd_free(sup), gd_free(P), gd_free(ws);
    return st;
}
