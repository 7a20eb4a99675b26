/* Tests of the spectra module: Lanczos, stochastic Lanczos quadrature and
 * Hutchinson's trace estimator.
 *
 * The operators are explicit symmetric matrices with known spectra,
 * A = Q diag(lambda) Q^T with Q a random orthogonal matrix (QR of a
 * Gaussian matrix by dgeqrf/dorgqr), so that nothing is diagonal in the
 * basis Lanczos sees; the reference eigenpairs come from LAPACK dsyev.
 * Ritz vectors are checked by recomputing ||A y - theta y|| directly, not
 * by trusting the reported residuals. Statistical checks are within k = 4
 * standard errors under fixed seeds. Failure injection makes every
 * allocation fail in turn: each call must return GD_ENOMEM or succeed,
 * with no crash and (under the sanitizers) no leak. */
#include "gdlab/gdlab.h"
#include "gdlab/rng.h"
#include "gdlab/spectra.h"
#include "gdtest.h"

#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

/* An explicit symmetric operator and a count of its products. */
typedef struct dense_op {
    size_t n;
    double *a;     /* (n, n) row-major, symmetric */
    long nmv;      /* matrix-vector products so far */
    int poison;    /* 1: return NaN (a failing operator) */
} dense_op;

static void dense_mv(void *data, const double *v, double *out) {
    dense_op *op = data;
    int n = (int)op->n;
    cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, op->a, n, v, 1, 0.0, out, 1);
    if (op->poison) out[0] = GD_NAN;
    op->nmv++;
}

/* A = Q diag(lam) Q^T with Q orthogonal from the QR of a Gaussian matrix
 * drawn from stream (seed, "test-spectra", 0, 0). Aborts on ENOMEM: the
 * test's own allocations are not under test. */
static void make_op(dense_op *op, size_t n, const double *lam, uint64_t seed) {
    double *q = malloc(n * n * sizeof *q), *t = malloc(n * n * sizeof *t);
    double *tau = malloc(n * sizeof *tau);
    op->a = malloc(n * n * sizeof *op->a);
    if (!q || !t || !tau || !op->a) abort();
    op->n = n, op->nmv = 0, op->poison = 0;
    gd_rng r;
    gd_rng_stream_init(&r, seed, "test-spectra", 0, 0);
    for (size_t i = 0; i < n * n; i++) q[i] = gd_rng_normal(&r);
    int ni = (int)n;
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, ni, ni, q, ni, tau) != 0 ||
        LAPACKE_dorgqr(LAPACK_ROW_MAJOR, ni, ni, ni, q, ni, tau) != 0)
        abort();
    /* t = Q diag(lam); A = t Q^T. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) t[i * n + j] = q[i * n + j] * lam[j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ni, ni, ni, 1.0, t, ni, q, ni, 0.0,
                op->a, ni);
    /* Symmetrise exactly (the product is symmetric only to rounding). */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            double s = 0.5 * (op->a[i * n + j] + op->a[j * n + i]);
            op->a[i * n + j] = op->a[j * n + i] = s;
        }
    free(q), free(t), free(tau);
}

static void make_diag(dense_op *op, size_t n, const double *lam) {
    op->a = calloc(n * n, sizeof *op->a);
    if (!op->a) abort();
    op->n = n, op->nmv = 0, op->poison = 0;
    for (size_t i = 0; i < n; i++) op->a[i * n + i] = lam[i];
}

/* Reference eigenpairs by dsyev: w (n) ascending, z (n, n) row-major with
 * eigenvector i in column i. */
static void ref_eig(const dense_op *op, double *w, double *z) {
    size_t n = op->n;
    memcpy(z, op->a, n * n * sizeof *z);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (int)n, z, (int)n, w) != 0) abort();
}

/* ||A y - theta y|| computed directly. */
static double true_resid(const dense_op *op, const double *y, double theta) {
    size_t n = op->n;
    double *ay = malloc(n * sizeof *ay), s = 0;
    if (!ay) abort();
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)n, 1.0, op->a, (int)n, y, 1, 0.0, ay, 1);
    for (size_t i = 0; i < n; i++) s += (ay[i] - theta * y[i]) * (ay[i] - theta * y[i]);
    free(ay);
    return sqrt(s);
}

/* Checks a Lanczos result against the reference: the k values, the
 * reported residuals against the tolerance and against direct
 * recomputation from the Ritz vectors, and unit Ritz vectors. */
static void check_top(const char *name, const dense_op *op, const double *wref, size_t k,
                      double tol, const gd_lanczos_result *lr, const double *evec,
                      double vtol) {
    size_t n = op->n;
    double scale = fmax(fabs(wref[0]), fabs(wref[n - 1]));
    char what[160];
    gdt_check(lr->converged == 1, "%s: converged (%zu matvecs)", name, lr->nmatvec);
    for (size_t i = 0; i < k; i++) {
        snprintf(what, sizeof what, "%s: eigenvalue %zu vs dsyev", name, i + 1);
        gdt_close(lr->eval[i], wref[n - 1 - i], 0, vtol, what);
        gdt_check(lr->resid[i] <= tol * fabs(lr->eval[0]),
                  "%s: residual %zu = %.3g <= tol |theta_1| = %.3g", name, i + 1, lr->resid[i],
                  tol * fabs(lr->eval[0]));
        if (evec) {
            const double *y = evec + i * n;
            double r = true_resid(op, y, lr->eval[i]);
            gdt_check(r <= lr->resid[i] + 1e-12 * scale,
                      "%s: direct ||A y - theta y|| %zu = %.3g matches reported %.3g", name,
                      i + 1, r, lr->resid[i]);
            gdt_close(cblas_dnrm2((int)n, y, 1), 1.0, 0, 1e-12, "Ritz vector has unit norm");
        }
    }
}

/* (a) Negative eigenvalues of larger magnitude than the top positive one:
 * the top 3 algebraic are the positive ones. */
static void test_negative_dominant(void) {
    const size_t n = 200, k = 3;
    double lam[200], w[200];
    for (size_t i = 0; i < n; i++) lam[i] = -50.0 + 60.0 * (double)i / (double)(n - 1);
    lam[n - 1] = 10.0, lam[n - 2] = 9.3, lam[n - 3] = 8.85;
    dense_op op;
    make_op(&op, n, lam, 11);
    double *z = malloc(n * n * sizeof *z), *evec = malloc(k * n * sizeof *evec);
    if (!z || !evec) abort();
    ref_eig(&op, w, z);
    gdt_close(w[n - 1], 10.0, 1e-13, 0, "reference: dsyev finds the top eigenvalue 10");
    gdt_close(w[0], -50.0, 1e-13, 0, "reference: dsyev finds the bottom eigenvalue -50");
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_lanczos_params p = gd_lanczos_default_params();
    p.k = k, p.tol = 1e-10, p.seed = 7;
    gd_lanczos_result lr;
    gd_status st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, evec, &lr);
    gdt_check(st == GD_OK, "negative-dominant: status %s", gd_status_name(st));
    check_top("negative-dominant top-3", &op, w, k, p.tol, &lr, evec, 1e-8);
    gdt_check(lr.eval[0] > 0 && lr.eval[2] > 0, "negative-dominant: top-3 are positive (%g %g %g)",
              lr.eval[0], lr.eval[1], lr.eval[2]);
    gdt_check(lr.nmatvec == (size_t)op.nmv, "nmatvec %zu counts the products (%ld)", lr.nmatvec,
              op.nmv);
    gdt_check(lr.nmatvec < n, "negative-dominant: converged before the Krylov space is full (%zu < %zu)",
              lr.nmatvec, n);
    /* The Ritz vectors match the eigenvectors up to sign. */
    for (size_t i = 0; i < k; i++) {
        double dot = 0;
        for (size_t j = 0; j < n; j++) dot += evec[i * n + j] * z[j * n + (n - 1 - i)];
        char what[96];
        snprintf(what, sizeof what, "negative-dominant: |<y_%zu, q_%zu>| = 1", i + 1, i + 1);
        gdt_close(fabs(dot), 1.0, 0, 1e-8, what);
    }
    /* The same seed gives the same numbers. */
    gd_lanczos_result lr2;
    st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr2);
    gdt_check(st == GD_OK && memcmp(lr.eval, lr2.eval, sizeof lr.eval) == 0 &&
                  lr.nmatvec == lr2.nmatvec,
              "lanczos: same seed, same Ritz values bit for bit");

    /* A cap below what convergence needs: converged = 0, residuals reported. */
    p.max_iter = 12, p.tol = 1e-12;
    st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr);
    gdt_check(st == GD_OK && lr.converged == 0 && lr.nmatvec == 12,
              "max_iter 12: stops with converged = 0 after 12 matvecs (status %s, conv %d, %zu)",
              gd_status_name(st), lr.converged, lr.nmatvec);
    gdt_check(lr.resid[0] > p.tol * fabs(lr.eval[0]) && isfinite(lr.resid[0]),
              "max_iter 12: the unconverged residual %.3g is reported", lr.resid[0]);
    gdt_check(lr.eval[0] <= w[n - 1] + 1e-12 && lr.eval[0] > w[n - 1] - 5.0,
              "max_iter 12: Ritz value %g is below the top eigenvalue (interlacing)", lr.eval[0]);

    /* (c) Warm starts. The exact top eigenvector: one product. */
    double *v0 = malloc(n * sizeof *v0);
    if (!v0) abort();
    for (size_t j = 0; j < n; j++) v0[j] = 2.385 * z[j * n + n - 1];
    p = gd_lanczos_default_params();
    p.k = 1, p.tol = 1e-10;
    st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, v0, evec, &lr);
    gdt_check(st == GD_OK && lr.converged && lr.nmatvec <= 2,
              "warm start with the true eigenvector: converged in %zu matvecs (<= 2)", lr.nmatvec);
    gdt_close(lr.eval[0], 10.0, 1e-12, 0, "warm start with the true eigenvector: eigenvalue");
    /* A perturbed eigenvector (error 1.4e-3) at the default tolerance 1e-6:
     * far fewer products than a cold start. */
    p.tol = 1e-6;
    gd_rng r;
    gd_rng_stream_init(&r, 3, "test-spectra", 1, 0);
    for (size_t j = 0; j < n; j++) v0[j] = z[j * n + n - 1] + 1e-4 * gd_rng_normal(&r);
    gd_lanczos_result cold;
    st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &cold);
    gd_status st2 = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, v0, NULL, &lr);
    gdt_check(st == GD_OK && st2 == GD_OK && lr.converged && cold.converged &&
                  2 * lr.nmatvec < cold.nmatvec,
              "perturbed warm start: %zu matvecs vs %zu cold", lr.nmatvec, cold.nmatvec);
    gdt_close(lr.eval[0], 10.0, 1e-9, 0, "perturbed warm start: eigenvalue");
    /* v0 may alias evec (the eos experiment passes its previous vector). */
    double *buf = malloc(2 * n * sizeof *buf);
    if (!buf) abort();
    memcpy(buf, v0, n * sizeof *buf);
    p.k = 2;
    st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, buf, buf, &lr);
    gdt_check(st == GD_OK, "v0 aliasing evec: status %s", gd_status_name(st));
    check_top("v0 aliasing evec", &op, w, 2, p.tol, &lr, buf, 1e-7);

    free(buf), free(v0), free(z), free(evec), free(op.a);
}

/* (b) The top two eigenvalues 1e-6 apart (the edge-of-stability case where
 * the sharpness is nearly degenerate): both found with their residuals. */
static void test_near_degenerate(void) {
    const size_t n = 200, k = 2;
    double lam[200], w[200];
    for (size_t i = 0; i < n - 2; i++) lam[i] = -3.0 + 12.0 * (double)i / (double)(n - 3);
    lam[n - 2] = 10.0 - 1e-6, lam[n - 1] = 10.0;
    dense_op op;
    make_op(&op, n, lam, 12);
    double *z = malloc(n * n * sizeof *z), *evec = malloc(k * n * sizeof *evec);
    if (!z || !evec) abort();
    ref_eig(&op, w, z);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_lanczos_params p = gd_lanczos_default_params();
    p.k = k, p.tol = 1e-9, p.seed = 5;
    gd_lanczos_result lr;
    gd_status st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, evec, &lr);
    gdt_check(st == GD_OK, "near-degenerate: status %s", gd_status_name(st));
    check_top("near-degenerate top-2", &op, w, k, p.tol, &lr, evec, 1e-10);
    gdt_close(lr.eval[0] - lr.eval[1], 1e-6, 1e-3, 0, "near-degenerate: the gap 1e-6 is resolved");
    double dot = 0;
    for (size_t j = 0; j < n; j++) dot += evec[j] * evec[n + j];
    gdt_check(fabs(dot) < 1e-8, "near-degenerate: the two Ritz vectors are orthogonal (%.2g)", dot);
    free(z), free(evec), free(op.a);
}

/* (d) n = 7 below max_iter: exact once the Krylov space is the whole space. */
static void test_small(void) {
    const size_t n = 7;
    const double lam[7] = {-4.2, -1.3, 0.25, 0.9, 2.385, 3.1, 6.75};
    double w[7], z[49], evec[49];
    dense_op op;
    make_op(&op, n, lam, 13);
    ref_eig(&op, w, z);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_lanczos_params p = gd_lanczos_default_params();
    p.tol = 1e-10;
    gd_lanczos_result lr;
    for (size_t k = 1; k <= n; k += 3) {
        p.k = k;
        gd_status st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, evec, &lr);
        char name[64];
        snprintf(name, sizeof name, "n = 7, k = %zu", k);
        gdt_check(st == GD_OK && lr.nmatvec <= n, "%s: status %s, %zu <= 7 matvecs", name,
                  gd_status_name(st), lr.nmatvec);
        check_top(name, &op, w, k, p.tol, &lr, evec, 1e-12);
    }
    /* tol = 0 cannot be met above rounding: runs to n, converged = 0 or
     * the residuals are exactly zero; the values are exact either way. */
    p.k = 2, p.tol = 0;
    gd_status st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr);
    gdt_check(st == GD_OK && lr.nmatvec == n &&
                  lr.converged == (lr.resid[0] == 0 && lr.resid[1] == 0),
              "n = 7, tol = 0: %zu matvecs, converged %d matches residuals %.2g %.2g", lr.nmatvec,
              lr.converged, lr.resid[0], lr.resid[1]);
    gdt_close(lr.eval[1], 3.1, 0, 1e-13, "n = 7, tol = 0: second eigenvalue exact");
    /* n = 1. */
    double one = 2.385, y;
    dense_op op1 = {1, &one, 0, 0};
    p.k = 1, p.tol = 1e-12;
    st = gd_lanczos_top(&ctx, 1, dense_mv, &op1, &p, NULL, &y, &lr);
    gdt_check(st == GD_OK && lr.converged && fabs(lr.eval[0] - 2.385) < 1e-15 && fabs(fabs(y) - 1.0) < 1e-15 &&
                  lr.nmatvec == 1,
              "n = 1: eigenvalue %g, vector %g, %zu matvec", lr.eval[0], y, lr.nmatvec);
    free(op.a);
}

/* (e) Invariant subspaces: breakdowns and restarts. */
static void test_breakdown(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_lanczos_params p = gd_lanczos_default_params();
    p.tol = 1e-10, p.seed = 9;
    gd_lanczos_result lr;
    gd_status st;
    /* A diagonal with the top eigenvalue 10 of multiplicity 2 and a start
     * vector inside its eigenspace: the Krylov space is one-dimensional;
     * the second copy needs a restart orthogonal to the first. */
    {
        const size_t n = 50;
        double lam[50], v0[50] = {0}, evec[3 * 50];
        for (size_t i = 0; i < n; i++) lam[i] = 7.0 - 0.1 * (double)i;
        lam[3] = lam[17] = 10.0;
        v0[3] = 0.6, v0[17] = 0.8;
        dense_op op;
        make_diag(&op, n, lam);
        p.k = 1;
        st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, v0, evec, &lr);
        gdt_check(st == GD_OK && lr.converged && lr.nmatvec == 1 && fabs(lr.eval[0] - 10.0) < 1e-14,
                  "breakdown, k = 1: eigenvalue %g after %zu matvec", lr.eval[0], lr.nmatvec);
        for (size_t k = 2; k <= 3; k++) {
            p.k = k;
            st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, v0, evec, &lr);
            gdt_check(st == GD_OK, "breakdown, k = %zu: status %s", k, gd_status_name(st));
            double wref[50];
            for (size_t i = 0; i < n; i++) wref[i] = lam[i];
            /* Sorted ascending for check_top. */
            for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && wref[j - 1] > wref[j]; j--) {
                    double t = wref[j];
                    wref[j] = wref[j - 1], wref[j - 1] = t;
                }
            char name[64];
            snprintf(name, sizeof name, "breakdown and restart, k = %zu", k);
            check_top(name, &op, wref, k, p.tol, &lr, evec, 1e-10);
            /* Both Ritz vectors for 10 lie in span(e_3, e_17), orthogonal. */
            double in = 0, dot = 0;
            for (size_t i = 0; i < 2; i++)
                in += evec[i * n + 3] * evec[i * n + 3] + evec[i * n + 17] * evec[i * n + 17];
            for (size_t j = 0; j < n; j++) dot += evec[j] * evec[n + j];
            gdt_check(fabs(in - 2.0) < 1e-10 && fabs(dot) < 1e-10,
                      "%s: the two vectors span the 2-D eigenspace (%.3g, dot %.2g)", name, in, dot);
        }
        free(op.a);
    }
    /* Few distinct eigenvalues with multiplicities, random start: every
     * Krylov block becomes invariant after 3 steps; the top 4 (5, 5, 5, 2)
     * need restarts until the copies of 5 are found. */
    {
        const size_t n = 20;
        double lam[20], evec[4 * 20];
        for (size_t i = 0; i < n; i++) lam[i] = (i % 7 == 2) ? 5.0 : (i % 2 ? 2.0 : -1.0);
        size_t n5 = 0;
        for (size_t i = 0; i < n; i++) n5 += lam[i] == 5.0;
        dense_op op;
        make_op(&op, n, lam, 14);
        p.k = 4;
        st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, evec, &lr);
        gdt_check(st == GD_OK && lr.converged && n5 == 3,
                  "multiplicities: status %s, converged %d, %zu matvecs", gd_status_name(st),
                  lr.converged, lr.nmatvec);
        gdt_check(fabs(lr.eval[0] - 5) < 1e-12 && fabs(lr.eval[1] - 5) < 1e-12 &&
                      fabs(lr.eval[2] - 5) < 1e-12 && fabs(lr.eval[3] - 2) < 1e-12,
                  "multiplicities: top 4 = %.15g %.15g %.15g %.15g (5 5 5 2)", lr.eval[0],
                  lr.eval[1], lr.eval[2], lr.eval[3]);
        for (size_t i = 0; i < 4; i++) {
            double r = true_resid(&op, evec + i * n, lr.eval[i]);
            gdt_check(r < 1e-12 * 5, "multiplicities: direct residual %zu = %.2g", i + 1, r);
        }
        gdt_check(lr.nmatvec < 20, "multiplicities: %zu matvecs (< n)", lr.nmatvec);
        free(op.a);
    }
    /* A multiple of the identity and the zero matrix: immediate breakdowns. */
    {
        const size_t n = 30;
        double lam[30], evec[3 * 30];
        for (size_t i = 0; i < n; i++) lam[i] = 2.385;
        dense_op op;
        make_diag(&op, n, lam);
        p.k = 3;
        st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, evec, &lr);
        gdt_check(st == GD_OK && lr.converged && lr.nmatvec == 3 && fabs(lr.eval[0] - 2.385) < 1e-14 &&
                      fabs(lr.eval[2] - 2.385) < 1e-14,
                  "2.385 I, k = 3: %g .. %g in %zu matvecs", lr.eval[0], lr.eval[2], lr.nmatvec);
        for (size_t i = 0; i < n; i++) lam[i] = 0;
        free(op.a);
        make_diag(&op, n, lam);
        p.k = 1;
        st = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, evec, &lr);
        gdt_check(st == GD_OK && lr.converged && lr.eval[0] == 0 && lr.resid[0] == 0,
                  "zero matrix: eigenvalue %g residual %g converged %d", lr.eval[0], lr.resid[0],
                  lr.converged);
        free(op.a);
    }
}

/* Errors provoked on purpose. */
static void test_errors(void) {
    const size_t n = 10;
    double lam[10], v0[10] = {0};
    for (size_t i = 0; i < n; i++) lam[i] = (double)i - 2.5;
    dense_op op;
    make_op(&op, n, lam, 15);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_lanczos_params p = gd_lanczos_default_params();
    gd_lanczos_result lr;
    p.k = 0;
    gdt_check(gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr) == GD_EINVAL,
              "k = 0: EINVAL (%s)", ctx.err);
    p.k = 11;
    gdt_check(gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr) == GD_EINVAL,
              "k > n: EINVAL (%s)", ctx.err);
    p.k = 17;
    gdt_check(gd_lanczos_top(&ctx, 100, dense_mv, &op, &p, NULL, NULL, &lr) == GD_EINVAL,
              "k = 17: EINVAL (%s)", ctx.err);
    p.k = 3, p.max_iter = 2;
    gdt_check(gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr) == GD_EINVAL,
              "max_iter < k: EINVAL (%s)", ctx.err);
    p.max_iter = 0, p.tol = -1;
    gdt_check(gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr) == GD_EINVAL,
              "negative tol: EINVAL (%s)", ctx.err);
    p.tol = 1e-8;
    gdt_check(gd_lanczos_top(&ctx, n, dense_mv, &op, &p, v0, NULL, &lr) == GD_EINVAL,
              "zero start vector: EINVAL (%s)", ctx.err);
    op.poison = 1;
    gdt_check(gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, NULL, &lr) == GD_ENUMERIC,
              "NaN from the operator: lanczos ENUMERIC (%s)", ctx.err);
    double nodes[20], wts[20], tr, se;
    gdt_check(gd_slq_density(&ctx, n, dense_mv, &op, 2, 10, 1, nodes, wts, NULL, 0, 0, NULL) ==
                  GD_ENUMERIC,
              "NaN from the operator: slq ENUMERIC (%s)", ctx.err);
    gdt_check(gd_hutchinson_trace(&ctx, n, dense_mv, &op, 4, 1, &tr, &se) == GD_ENUMERIC,
              "NaN from the operator: hutchinson ENUMERIC (%s)", ctx.err);
    op.poison = 0;
    gdt_check(gd_hutchinson_trace(&ctx, n, dense_mv, &op, 1, 1, &tr, &se) == GD_EINVAL,
              "hutchinson nprobe = 1: EINVAL (%s)", ctx.err);
    gdt_check(gd_slq_density(&ctx, n, dense_mv, &op, 2, 0, 1, nodes, wts, NULL, 0, 0, NULL) ==
                  GD_EINVAL,
              "slq m = 0: EINVAL (%s)", ctx.err);
    double x = 0, dens;
    gdt_check(gd_slq_density(&ctx, n, dense_mv, &op, 2, 5, 1, nodes, wts, &x, 1, 0, &dens) ==
                  GD_EINVAL,
              "slq sigma = 0: EINVAL (%s)", ctx.err);
    free(op.a);
}

/* Per-probe quantities from SLQ output: probe p's quadrature is
 * nprobe * weights[p m .. p m + m - 1] (it sums to one). Returns the mean
 * over probes of sum_j f_j w_j and its standard error. */
static void probe_stats(const double *nodes, const double *wts, size_t nprobe, size_t m,
                        double cut, int mode, double *mean, double *se) {
    double s = 0, s2 = 0;
    for (size_t p = 0; p < nprobe; p++) {
        double v = 0;
        for (size_t j = p * m; j < (p + 1) * m; j++)
            v += (double)nprobe * wts[j] * (mode ? (nodes[j] < cut) : nodes[j]);
        s += v, s2 += v * v;
    }
    *mean = s / (double)nprobe;
    *se = sqrt((s2 / (double)nprobe - *mean * *mean) / (double)(nprobe - 1));
}

/* (f) Stochastic Lanczos quadrature. */
static void test_slq(void) {
    const size_t n = 200, n1 = 60, nprobe = 40, m = 30, ngrid = 3001;
    double lam[200];
    gd_rng r;
    gd_rng_stream_init(&r, 4, "test-spectra", 2, 0);
    /* Two clusters: 60 eigenvalues in [-3.2, -2.8], 140 in [4.5, 5.5]. */
    double tr = 0;
    for (size_t i = 0; i < n; i++) {
        lam[i] = i < n1 ? -3.2 + 0.4 * gd_rng_uniform(&r) : 4.5 + gd_rng_uniform(&r);
        tr += lam[i];
    }
    dense_op op;
    make_op(&op, n, lam, 16);
    double *nodes = malloc(nprobe * m * sizeof *nodes), *wts = malloc(nprobe * m * sizeof *wts);
    double *x = malloc(ngrid * sizeof *x), *dens = malloc(ngrid * sizeof *dens);
    double *dens2 = malloc(ngrid * sizeof *dens2);
    if (!nodes || !wts || !x || !dens || !dens2) abort();
    const double x0 = -15, x1 = 15, h = (x1 - x0) / (double)(ngrid - 1);
    for (size_t g = 0; g < ngrid; g++) x[g] = x0 + h * (double)g;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_status st = gd_slq_density(&ctx, n, dense_mv, &op, nprobe, m, 77, nodes, wts, x, ngrid,
                                  0.3, dens);
    gdt_check(st == GD_OK && op.nmv == (long)(nprobe * m), "slq: status %s, %ld matvecs",
              gd_status_name(st), op.nmv);
    double sw = 0, integ = 0;
    for (size_t j = 0; j < nprobe * m; j++) sw += wts[j];
    gdt_close(sw, 1.0, 1e-12, 0, "slq: weights sum to 1");
    for (size_t g = 0; g < ngrid; g++) integ += (g == 0 || g == ngrid - 1 ? 0.5 : 1.0) * h * dens[g];
    gdt_close(integ, 1.0, 0, 1e-3, "slq: density integrates to 1 (trapezoid on [-15, 15])");
    double mean, se;
    probe_stats(nodes, wts, nprobe, m, 0, 0, &mean, &se);
    gdt_within_se(mean, tr / (double)n, se, 4, "slq: node-weight mean vs trace / n");
    probe_stats(nodes, wts, nprobe, m, 1.0, 1, &mean, &se);
    gdt_within_se(mean, (double)n1 / (double)n, se, 4, "slq: weight of the cluster near -3 vs 60/200");
    gdt_check(se > 0 && se < 0.05, "slq: the cluster weight has a useful standard error (%.3g)", se);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < nprobe * m; j++) lo = fmin(lo, nodes[j]), hi = fmax(hi, nodes[j]);
    gdt_check(lo >= -3.2 - 1e-9 && hi <= 5.5 + 1e-9,
              "slq: nodes inside the spectrum's hull [%.6g, %.6g]", lo, hi);
    /* The density is the same bit for bit on 2 threads. */
    ctx.threads = 2;
    st = gd_slq_density(&ctx, n, dense_mv, &op, nprobe, m, 77, nodes, wts, x, ngrid, 0.3, dens2);
    gdt_check(st == GD_OK && memcmp(dens, dens2, ngrid * sizeof *dens) == 0,
              "slq: density identical on 1 and 2 threads");
    free(nodes), free(wts), free(x), free(dens), free(dens2), free(op.a);

    /* m > n: each probe's Krylov space fills at n = 7, the quadrature is
     * exact, its nodes are the eigenvalues, the extra slots weigh 0. */
    const double l7[7] = {-4.2, -1.3, 0.25, 0.9, 2.385, 3.1, 6.75};
    dense_op op7;
    make_op(&op7, 7, l7, 17);
    double nd7[3 * 10], wt7[3 * 10];
    ctx.threads = 1;
    st = gd_slq_density(&ctx, 7, dense_mv, &op7, 3, 10, 5, nd7, wt7, NULL, 0, 0, NULL);
    double maxerr = 0, zero = 0, s7 = 0;
    for (size_t p = 0; p < 3; p++)
        for (size_t j = 0; j < 10; j++) {
            if (j < 7) maxerr = fmax(maxerr, fabs(nd7[p * 10 + j] - l7[j]));
            else zero = fmax(zero, wt7[p * 10 + j]);
            s7 += wt7[p * 10 + j];
        }
    gdt_check(st == GD_OK && maxerr < 1e-12 && zero == 0,
              "slq m = 10 > n = 7: nodes are the eigenvalues (max err %.2g), extra weights 0",
              maxerr);
    gdt_close(s7, 1.0, 1e-13, 0, "slq m > n: weights sum to 1");
    /* On a diagonal matrix q_i = e_i, so each weight is z_i^2 / (n nprobe)
     * = 1 / 21 exactly for a Rademacher z. */
    dense_op d7;
    make_diag(&d7, 7, l7);
    st = gd_slq_density(&ctx, 7, dense_mv, &d7, 3, 7, 6, nd7, wt7, NULL, 0, 0, NULL);
    double werr = 0;
    maxerr = 0;
    for (size_t j = 0; j < 21; j++) {
        werr = fmax(werr, fabs(wt7[j] - 1.0 / 21));
        maxerr = fmax(maxerr, fabs(nd7[j] - l7[j % 7]));
    }
    gdt_check(st == GD_OK && werr < 1e-14 && maxerr < 1e-13,
              "slq on a diagonal: weights 1/21 (max err %.2g), nodes the diagonal (%.2g)", werr,
              maxerr);
    free(d7.a);
    /* 2.385 I: every probe's Krylov space is invariant after one step; one
     * node 2.385 of weight 1/3 per probe, the other slots weigh 0. */
    const double l5[5] = {2.385, 2.385, 2.385, 2.385, 2.385};
    make_op(&d7, 5, l5, 20);
    st = gd_slq_density(&ctx, 5, dense_mv, &d7, 3, 4, 6, nd7, wt7, NULL, 0, 0, NULL);
    werr = 0, maxerr = 0;
    for (size_t j = 0; j < 12; j++) {
        werr = fmax(werr, fabs(wt7[j] - (j % 4 == 0 ? 1.0 / 3 : 0)));
        maxerr = fmax(maxerr, fabs(nd7[j] - 2.385));
    }
    gdt_check(st == GD_OK && werr < 1e-14 && maxerr < 1e-13 && d7.nmv == 3,
              "slq on 2.385 I: breakdown after 1 step per probe (%ld matvecs), weights (%.2g), nodes (%.2g)",
              d7.nmv, werr, maxerr);
    free(d7.a);
    free(op7.a);
}

/* (g) Hutchinson. */
static void test_hutchinson(void) {
    const size_t n = 150;
    double lam[150], tr = 0;
    for (size_t i = 0; i < n; i++) {
        lam[i] = 2.385 * sin(0.37 * (double)i) + 0.5;
        tr += lam[i];
    }
    dense_op op;
    make_op(&op, n, lam, 18);
    /* Var[z^T A z] = 2 sum_{i != j} A_ij^2 for Rademacher z. */
    double var = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j) var += 2 * op.a[i * n + j] * op.a[i * n + j];
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    double t1, se1, t4, se4, t16, se16;
    gd_status st = gd_hutchinson_trace(&ctx, n, dense_mv, &op, 100, 21, &t1, &se1);
    gdt_check(st == GD_OK, "hutchinson: status %s", gd_status_name(st));
    gdt_within_se(t1, tr, se1, 4, "hutchinson 100 probes vs known trace");
    st = gd_hutchinson_trace(&ctx, n, dense_mv, &op, 400, 22, &t4, &se4);
    gdt_within_se(t4, tr, se4, 4, "hutchinson 400 probes vs known trace");
    st = gd_hutchinson_trace(&ctx, n, dense_mv, &op, 1600, 23, &t16, &se16);
    gdt_within_se(t16, tr, se16, 4, "hutchinson 1600 probes vs known trace");
    gdt_check(se1 / se4 > 1.6 && se1 / se4 < 2.5 && se4 / se16 > 1.6 && se4 / se16 < 2.5,
              "hutchinson: se shrinks like 1/sqrt(nprobe) (ratios %.3f, %.3f, want ~2)",
              se1 / se4, se4 / se16);
    gdt_close(se16 * se16 * 1600, var, 0.15, 0, "hutchinson: sample variance vs 2 sum_{i!=j} A_ij^2");
    /* A diagonal matrix is read exactly by Rademacher probes. */
    dense_op dg;
    make_diag(&dg, n, lam);
    st = gd_hutchinson_trace(&ctx, n, dense_mv, &dg, 5, 24, &t1, &se1);
    gdt_check(st == GD_OK && fabs(t1 - tr) < 1e-12 * n && se1 < 1e-12,
              "hutchinson on a diagonal: exact (%.15g vs %.15g, se %.2g)", t1, tr, se1);
    free(dg.a), free(op.a);
}

/* Failure injection: allocation i fails for i = 0, 1, ...; each call must
 * return ENOMEM or succeed, and succeed once injection passes the end. */
static void test_alloc_failures(void) {
    const size_t n = 40;
    double lam[40];
    for (size_t i = 0; i < n; i++) lam[i] = cos((double)i) * 3.0;
    dense_op op;
    make_op(&op, n, lam, 19);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_lanczos_params p = gd_lanczos_default_params();
    p.k = 2;
    double evec[80], nodes[50], wts[50], x[5] = {-1, 0, 1, 2, 3}, dens[5], tr, se;
    int bad = 0, ok[3] = {0, 0, 0};
    long nfail[3] = {0, 0, 0};
    for (long f = 0; f < 20; f++) {
        gd_status s[3];
        gd_lanczos_result lr;
        gd_alloc_fail_after(f);
        s[0] = gd_lanczos_top(&ctx, n, dense_mv, &op, &p, NULL, evec, &lr);
        gd_alloc_fail_after(f);
        s[1] = gd_slq_density(&ctx, n, dense_mv, &op, 5, 10, 3, nodes, wts, x, 5, 0.5, dens);
        gd_alloc_fail_after(f);
        s[2] = gd_hutchinson_trace(&ctx, n, dense_mv, &op, 5, 3, &tr, &se);
        gd_alloc_fail_after(-1);
        for (int i = 0; i < 3; i++) {
            if (s[i] == GD_OK) ok[i] = 1;
            else if (s[i] == GD_ENOMEM) nfail[i]++;
            else bad = 1;
            if (ok[i] && s[i] != GD_OK) bad = 1; /* fails after a later allocation succeeded */
        }
    }
    gdt_check(!bad && ok[0] && ok[1] && ok[2] && nfail[0] >= 1 && nfail[1] >= 1 && nfail[2] >= 1,
              "failure injection: ENOMEM (%ld, %ld, %ld times) or success, never anything else",
              nfail[0], nfail[1], nfail[2]);
    free(op.a);
}

int main(void) {
    test_negative_dominant();
    test_near_degenerate();
    test_small();
    test_breakdown();
    test_errors();
    test_slq();
    test_hutchinson();
    test_alloc_failures();
    return gdt_summary();
}
