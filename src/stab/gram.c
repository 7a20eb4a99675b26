/* The stab handle: the Gram-form eigendecomposition that reduces the
 * d-dimensional linearised problem to r coordinates, the spectrum and norms
 * of Sigma, and the maps between z (d) and y (r).
 *
 * G = A A^T (m, m) by dsyrk, G = U Lambda U^T by dsyev. A^T u = 0 for every
 * u in the kernel of G (||A^T u||^2 = u^T G u), so with P = U_r U_r^T,
 * a_j = A^T e_j = A^T P e_j = V b_j with V = A^T U_r Lambda_r^-1/2
 * orthonormal (V^T V = Lambda^-1/2 U_r^T G U_r Lambda^-1/2 = I) and
 * b_j = Lambda_r^1/2 U_r^T e_j; V^T Sigma V = (1/m) Lambda_r. */
#include "stab_int.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

gd_stab_params gd_stab_default_params(void) {
    gd_stab_params p = {0.0, 1e-12, 20, 200000, 1e-10};
    return p;
}

gd_status gd_stab_check_batch_(gd_ctx *ctx, const gd_stab *st, size_t b) {
    if (b < 1 || b > st->m)
        return gd_error(ctx, GD_EINVAL, "stab: batch size must be in [1, m = %zu], got %zu",
                        st->m, b);
    return GD_OK;
}

void gd_stab_free(gd_stab *st) {
    if (!st) return;
    gd_free(st->A), gd_free(st->s), gd_free(st->B), gd_free(st->C), gd_free(st->w);
    gd_free(st->S0), gd_free(st->S1), gd_free(st->N), gd_free(st->Dm);
    gd_free(st->WB), gd_free(st->q), gd_free(st->hist);
    gd_free(st);
}

/* Allocates n doubles, n > 0 checked against overflow by the caller. */
static double *dalloc(size_t n) { return gd_malloc(n * sizeof(double)); }

gd_stab *gd_stab_new(gd_ctx *ctx, size_t m, size_t d, const double *A,
                     const gd_stab_params *p) {
    GD_ASSERT(A != NULL);
    double *copy = NULL;
    if (m > 0 && d > 0 && m <= SIZE_MAX / sizeof(double) / d) {
        if (!(copy = dalloc(m * d))) {
            gd_error(ctx, GD_ENOMEM, "stab: out of memory (m = %zu, d = %zu)", m, d);
            return NULL;
        }
        memcpy(copy, A, m * d * sizeof *A);
    }
    return gd_stab_adopt(ctx, m, d, copy, p);
}

gd_stab *gd_stab_adopt(gd_ctx *ctx, size_t m, size_t d, double *A,
                       const gd_stab_params *p) {
    gd_stab_params pp = p ? *p : gd_stab_default_params();
    if (m == 0 || d == 0) {
        gd_error(ctx, GD_EINVAL, "stab: need m >= 1 examples and d >= 1 parameters, "
                 "got m = %zu, d = %zu", m, d);
        gd_free(A);
        return NULL;
    }
    if (m > (size_t)INT_MAX || d > (size_t)INT_MAX || m > SIZE_MAX / sizeof(double) / d ||
        m > SIZE_MAX / sizeof(double) / m) {
        gd_error(ctx, GD_EINVAL, "stab: m = %zu, d = %zu too large (sides <= %d)", m, d,
                 INT_MAX);
        gd_free(A);
        return NULL;
    }
    if (!(pp.rank_tol >= 0 && pp.rank_tol < 1) || !(pp.rho_tol > 0) || pp.rho_window < 1 ||
        pp.rho_maxit < 1 || !(pp.eta_tol > 0)) {
        gd_error(ctx, GD_EINVAL, "stab: bad params (rank_tol in [0, 1), rho_tol > 0, "
                 "rho_window >= 1, rho_maxit >= 1, eta_tol > 0)");
        gd_free(A);
        return NULL;
    }
    GD_ASSERT(A != NULL);
    for (size_t i = 0; i < m * d; i++)
        if (!isfinite(A[i])) {
            gd_error(ctx, GD_EINVAL, "stab: A[%zu, %zu] = %g is not finite", i / d, i % d, A[i]);
            gd_free(A);
            return NULL;
        }
    if (pp.rank_tol == 0) pp.rank_tol = 1e-12 * (double)m;

    gd_stab *st = gd_calloc(1, sizeof *st);
    double *G = dalloc(m * m), *lam = dalloc(m);
    if (!st) {
        gd_free(A);
        goto nomem;
    }
    st->A = A;
    if (!G || !lam) goto nomem;
    st->p = pp, st->m = m, st->d = d;

    const int M = stab_int(m), D = stab_int(d);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, M, D, 1.0, A, D, 0.0, G, M);
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', M, G, M, lam);
    if (info != 0) {
        gd_error(ctx, GD_ENUMERIC, "stab: LAPACKE_dsyev failed (info %d) on the %zu x %zu "
                 "Gram matrix", (int)info, m, m);
        goto fail;
    }
    /* Ascending eigenvalues; eigenvector k is column k of G (row-major). */
    double lmax = lam[m - 1];
    size_t r = 0;
    if (lmax > 0)
        while (r < m && lam[m - 1 - r] > pp.rank_tol * lmax) r++;
    if (r == 0) {
        gd_error(ctx, GD_EINVAL, "stab: the gradients are all zero (Gram matrix has no "
                 "eigenvalue above %g * lambda_max = %g): nothing to analyse",
                 pp.rank_tol, lmax);
        goto fail;
    }
    st->r = r;
    size_t win = pp.rho_window + 1;
    st->s = dalloc(r), st->B = dalloc(m * r), st->C = dalloc(m * r), st->w = dalloc(m);
    st->S0 = dalloc(r * r), st->S1 = dalloc(r * r), st->N = dalloc(r * r);
    st->Dm = dalloc(r * r), st->WB = dalloc(m * r), st->q = dalloc(m > d ? m : d);
    st->hist = win <= SIZE_MAX / sizeof(double) ? dalloc(win) : NULL;
    if (!st->s || !st->B || !st->C || !st->w || !st->S0 || !st->S1 || !st->N || !st->Dm ||
        !st->WB || !st->q || !st->hist)
        goto nomem;
    double sum = 0, sum2 = 0;
    for (size_t k = 0; k < r; k++) {
        double l = lam[m - 1 - k], sl = sqrt(l);
        st->s[k] = l / (double)m;
        sum += st->s[k], sum2 += st->s[k] * st->s[k];
        for (size_t j = 0; j < m; j++) {
            double u = G[j * m + (m - 1 - k)];
            st->B[j * r + k] = sl * u;
            st->C[j * r + k] = u / sl;
        }
    }
    st->sigma2 = st->s[0];
    st->sigmaF = sqrt(sum2);
    st->erank = sum * sum / sum2;
    for (size_t j = 0; j < m; j++) {
        double wj = 0;
        for (size_t k = 0; k < r; k++) wj += st->s[k] * st->B[j * r + k] * st->B[j * r + k];
        st->w[j] = wj;
    }
    gd_free(G), gd_free(lam);
    return st;
nomem:
    gd_error(ctx, GD_ENOMEM, "stab: out of memory (m = %zu, d = %zu)", m, d);
fail:
    gd_free(G), gd_free(lam);
    gd_stab_free(st);
    return NULL;
}

size_t gd_stab_m(const gd_stab *st) { return st->m; }
size_t gd_stab_d(const gd_stab *st) { return st->d; }
size_t gd_stab_rank(const gd_stab *st) { return st->r; }
const double *gd_stab_spectrum(const gd_stab *st) { return st->s; }
const double *gd_stab_rows(const gd_stab *st) { return st->B; }
double gd_stab_sigma2(const gd_stab *st) { return st->sigma2; }
double gd_stab_sigmaF(const gd_stab *st) { return st->sigmaF; }
double gd_stab_effective_rank(const gd_stab *st) { return st->erank; }
double gd_stab_eta_gd(const gd_stab *st) { return 2.0 / st->sigma2; }

/* y = V^T z = C^T (A z). */
void gd_stab_z_to_y(gd_stab *st, const double *z, double *y) {
    const int M = stab_int(st->m), D = stab_int(st->d), R = stab_int(st->r);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, M, D, 1.0, st->A, D, z, 1, 0.0, st->q, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, M, R, 1.0, st->C, R, st->q, 1, 0.0, y, 1);
}

/* z = V y = A^T (C y). */
void gd_stab_y_to_z(gd_stab *st, const double *y, double *z) {
    const int M = stab_int(st->m), D = stab_int(st->d), R = stab_int(st->r);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, M, R, 1.0, st->C, R, y, 1, 0.0, st->q, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, M, D, 1.0, st->A, D, st->q, 1, 0.0, z, 1);
}

double gd_stab_loss(const gd_stab *st, const double *y) {
    double L = 0;
    for (size_t k = 0; k < st->r; k++) L += st->s[k] * y[k] * y[k];
    return 0.5 * L;
}

double gd_stab_noise_factor(const gd_stab *st, size_t b, int replace) {
    GD_ASSERT(b >= 1 && b <= st->m);
    if (replace) return 1.0 / (double)b;
    if (st->m == 1) return 0.0;
    return (double)(st->m - b) / ((double)b * (double)(st->m - 1));
}
