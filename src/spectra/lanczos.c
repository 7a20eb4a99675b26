/* Lanczos with full reorthogonalisation for the k largest (algebraic)
 * eigenvalues of a symmetric operator, and the Krylov basis it shares with
 * stochastic Lanczos quadrature (spectra_int.h).
 *
 * Every new vector is orthogonalised against the whole basis by classical
 * Gram-Schmidt applied twice ("twice is enough": Giraud, Langou, Rozloznik
 * and van den Eshof, Numer. Math. 101, 2005), so the basis stays orthonormal
 * to rounding and no spurious copies of converged Ritz values appear; the
 * cost is O(n d) per step and O(n max_iter) memory. After a step the Ritz
 * pairs (theta_i, V_d s_i) of T_d come from LAPACK dsterf and dstevr (the
 * returned values, residuals and vectors from one solve); the residual of
 * pair i is |beta_d s_{d,i}| (plus the dropped remainders at breakdowns),
 * and the iteration stops when the k largest pairs all have residual
 * <= tol * max(|theta_1|, 1e-300), or when the Krylov dimension reaches
 * max_iter or n, with converged set from the residuals either way.
 *
 * Breakdown: when ||r_j|| <= 1e-12 ||A|| the Krylov space is invariant.
 * The iteration restarts with a Gaussian vector orthogonal to the basis if
 * fewer than k pairs are known, or if the block came from a random vector
 * and its largest Ritz value u exceeds the k-th largest found (a further
 * copy of an eigenvalue above the cut may hide in the complement, as for
 * A = I with k = 2). After a restart the new block's largest Ritz pair must
 * converge too before the iteration stops. A start vector v0 inside an
 * invariant subspace that misses the top eigenvector returns that
 * subspace's eigenvalues: no Krylov method sees past it.
 *
 * p = NULL means the default parameters, and max_iter = 0 the default cap
 * min(n, 300). */
#include "spectra_int.h"

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- the Krylov basis ------------------------------------------------ */

gd_status gd_krylov_init(gd_ctx *ctx, gd_krylov *kr, size_t n, size_t cap) {
    memset(kr, 0, sizeof *kr);
    if (n > (size_t)INT_MAX)
        return gd_error(ctx, GD_EINVAL, "spectra: dimension %zu exceeds the BLAS int range", n);
    GD_ASSERT(cap >= 1 && cap <= n);
    /* Doubles: V (cap n), w (n), h, h2, alpha, beta, ev, e (cap each),
     * Z (cap^2); then brk (cap bytes). */
    if (cap > (SIZE_MAX / sizeof(double) - n - cap) / (n + cap + 6))
        return gd_error(ctx, GD_ENOMEM, "spectra: a basis of %zu x %zu is too large", cap, n);
    size_t nd = cap * (n + cap + 6) + n;
    double *blk = gd_malloc(nd * sizeof(double) + cap);
    if (!blk)
        return gd_error(ctx, GD_ENOMEM, "spectra: out of memory for a Krylov basis of %zu x %zu",
                        cap, n);
    kr->n = n, kr->cap = cap, kr->d = 0, kr->bn = (int)n, kr->anorm = 0;
    kr->V = blk;
    kr->w = kr->V + cap * n;
    kr->h = kr->w + n;
    kr->h2 = kr->h + cap;
    kr->alpha = kr->h2 + cap;
    kr->beta = kr->alpha + cap;
    kr->ev = kr->beta + cap;
    kr->e = kr->ev + cap;
    kr->Z = kr->e + cap;
    kr->brk = (unsigned char *)(kr->Z + cap * cap);
    memset(kr->brk, 0, cap);
    return GD_OK;
}

void gd_krylov_free(gd_krylov *kr) {
    gd_free(kr->V);
    kr->V = NULL;
}

double gd_krylov_orth(gd_krylov *kr, double *x) {
    const int bn = kr->bn, d = (int)kr->d;
    if (d > 0) {
        /* h = V x; x -= V^T h, twice. V is (d, n) row-major. */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, d, bn, 1.0, kr->V, bn, x, 1, 0.0, kr->h, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, d, bn, -1.0, kr->V, bn, kr->h, 1, 1.0, x, 1);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, d, bn, 1.0, kr->V, bn, x, 1, 0.0, kr->h2, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, d, bn, -1.0, kr->V, bn, kr->h2, 1, 1.0, x, 1);
    }
    return cblas_dnrm2(bn, x, 1);
}

void gd_krylov_push(gd_krylov *kr, const double *x, double norm) {
    GD_ASSERT(kr->d < kr->cap && norm > 0);
    double *v = kr->V + kr->d * kr->n;
    const double s = 1.0 / norm;
    for (size_t i = 0; i < kr->n; i++) v[i] = s * x[i];
    kr->brk[kr->d] = 0;
    kr->d++;
}

gd_status gd_krylov_step(gd_ctx *ctx, gd_krylov *kr, gd_matvec A, void *data) {
    GD_ASSERT(kr->d >= 1);
    const size_t j = kr->d - 1;
    A(data, kr->V + j * kr->n, kr->w);
    double an = cblas_dnrm2(kr->bn, kr->w, 1);
    if (!isfinite(an))
        return gd_error(ctx, GD_ENUMERIC, "spectra: the matrix-vector product is not finite");
    if (an > kr->anorm) kr->anorm = an;
    double beta = gd_krylov_orth(kr, kr->w);
    kr->alpha[j] = kr->h[j] + kr->h2[j];
    kr->beta[j] = beta;
    return GD_OK;
}

int gd_krylov_breakdown(const gd_krylov *kr, double beta) {
    return beta <= GD_KRYLOV_BREAKDOWN * kr->anorm;
}

gd_status gd_krylov_ritz(gd_ctx *ctx, gd_krylov *kr, size_t first, int vectors) {
    GD_ASSERT(first < kr->d);
    const size_t d = kr->d - first;
    for (size_t i = 0; i < d; i++) {
        kr->ev[i] = kr->alpha[first + i];
        /* LAPACKE_dstev reads e[0 .. d-2] only. */
        if (i + 1 < d) kr->e[i] = kr->brk[first + i] ? 0.0 : kr->beta[first + i];
    }
    lapack_int info = LAPACKE_dstev(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', (lapack_int)d, kr->ev,
                                    kr->e, kr->Z, (lapack_int)d);
    if (info != 0)
        return gd_error(ctx, GD_ENUMERIC, "spectra: LAPACKE_dstev failed (info %d) on order %zu",
                        (int)info, d);
    return GD_OK;
}

gd_status gd_krylov_ritz_top(gd_ctx *ctx, gd_krylov *kr, size_t k) {
    const size_t d = kr->d;
    GD_ASSERT(k >= 1 && k <= d);
    for (size_t i = 0; i < d; i++) {
        kr->ev[i] = kr->h[i] = kr->alpha[i];
        if (i + 1 < d) kr->e[i] = kr->h2[i] = kr->brk[i] ? 0.0 : kr->beta[i];
    }
    lapack_int info = LAPACKE_dsterf((lapack_int)d, kr->ev, kr->e);
    if (info == 0 && d > 1) {
        lapack_int isuppz[32], found = 0;
        double top[16];
        info = LAPACKE_dstevr(LAPACK_COL_MAJOR, 'V', 'I', (lapack_int)d, kr->h, kr->h2, 0.0, 0.0,
                              (lapack_int)(d - k + 1), (lapack_int)d, 0.0, &found, top,
                              kr->Z + (d - k) * d, (lapack_int)d, isuppz);
        if (info == 0 && (size_t)found == k)
            for (size_t i = 0; i < k; i++) kr->ev[d - k + i] = top[i];
        else if (info == 0)
            info = -100;
    } else if (info == 0) {
        kr->Z[0] = 1.0;
    }
    if (info != 0)
        return gd_error(ctx, GD_ENUMERIC, "spectra: the tridiagonal eigensolver failed (info %d) on order %zu",
                        (int)info, d);
    return GD_OK;
}

double gd_krylov_resid(const gd_krylov *kr, size_t c) {
    const size_t d = kr->d;
    const double *s = kr->Z + c * d;
    double r = kr->beta[d - 1] * s[d - 1];
    double r2 = r * r;
    for (size_t i = 0; i + 1 < d; i++)
        if (kr->brk[i]) r2 += (kr->beta[i] * s[i]) * (kr->beta[i] * s[i]);
    return sqrt(r2);
}

/* ---- Lanczos for the top k ------------------------------------------ */

gd_lanczos_params gd_lanczos_default_params(void) {
    return (gd_lanczos_params){.k = 1, .max_iter = 300, .tol = 1e-6, .seed = 20241123};
}

/* Draws a Gaussian vector orthogonal to the basis into kr->w and returns
 * its norm, or 0 if the basis already spans the space numerically. */
static double random_orth(gd_krylov *kr, gd_rng *rng) {
    for (int attempt = 0; attempt < 3; attempt++) {
        double before = 0;
        for (size_t i = 0; i < kr->n; i++) {
            kr->w[i] = gd_rng_normal(rng);
            before += kr->w[i] * kr->w[i];
        }
        double after = gd_krylov_orth(kr, kr->w);
        /* A random vector keeps a fraction ~ sqrt((n - d) / n) of its norm;
         * less than 1e-8 means no room is left, up to rounding. */
        if (after > 1e-8 * sqrt(before)) return after;
    }
    return 0;
}

/* Ritz values of the current T, the k largest (descending) into res with
 * their residuals; 1 if all meet the tolerance. */
static int top_k(const gd_krylov *kr, size_t k, double tol, gd_lanczos_result *res) {
    const size_t d = kr->d;
    for (size_t i = 0; i < k; i++) {
        res->eval[i] = kr->ev[d - 1 - i];
        res->resid[i] = gd_krylov_resid(kr, d - 1 - i);
    }
    const double lim = tol * fmax(fabs(res->eval[0]), 1e-300);
    for (size_t i = 0; i < k; i++)
        if (!(res->resid[i] <= lim)) return 0;
    return 1;
}

/* Whether the largest Ritz pair of the current block (basis vectors
 * block0 .. d-1, started after a restart) meets the tolerance lim. The
 * block's T is the trailing diagonal block of T_d, and its remainder is
 * r_{d-1} alone. Clobbers kr->ev and kr->Z. */
static gd_status block_top_converged(gd_ctx *ctx, gd_krylov *kr, size_t block0, double lim,
                                     int *ok) {
    gd_status st = gd_krylov_ritz(ctx, kr, block0, 1);
    if (st != GD_OK) return st;
    const size_t db = kr->d - block0;
    *ok = fabs(kr->beta[kr->d - 1] * kr->Z[(db - 1) + (db - 1) * db]) <= lim;
    return GD_OK;
}

/* After a breakdown with k converged pairs, whether they settle the top k.
 * A block started from a random vector has (with probability one) a
 * component along every eigenvector of A restricted to the orthogonal
 * complement of the earlier blocks, so once it is invariant all that
 * remains outside the basis are further copies of eigenvalues it found:
 * none exceeds its largest Ritz value u. The top k are settled when the
 * k-th largest found is not below u (up to the tolerance); otherwise a
 * second copy of a value above it may be hiding, as for A = I. A block
 * started from the caller's v0 gives no such bound and is accepted as it
 * is (a warm start inside an invariant subspace that misses the top
 * eigenvector cannot be detected by any Krylov method). */
static gd_status settled(gd_ctx *ctx, gd_krylov *kr, size_t k, double tol, size_t block0,
                         int random_block, const gd_lanczos_result *res, int *ok) {
    *ok = 1;
    if (!random_block) return GD_OK;
    gd_status st = gd_krylov_ritz(ctx, kr, block0, 0);
    if (st != GD_OK) return st;
    const double u = kr->ev[kr->d - block0 - 1];
    const double slack = fmax(tol * fmax(fabs(res->eval[0]), 1e-300), GD_KRYLOV_BREAKDOWN * kr->anorm);
    *ok = res->eval[k - 1] >= u - slack;
    return GD_OK;
}

gd_status gd_lanczos_top(gd_ctx *ctx, size_t n, gd_matvec A, void *data,
                         const gd_lanczos_params *p, const double *v0,
                         double *evec, gd_lanczos_result *res) {
    GD_ASSERT(A != NULL && res != NULL);
    gd_lanczos_params dp = gd_lanczos_default_params();
    if (!p) p = &dp;
    const size_t k = p->k;
    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < 16; i++) res->eval[i] = res->resid[i] = GD_NAN;
    if (k == 0 || k > 16 || k > n)
        return gd_error(ctx, GD_EINVAL, "lanczos: k = %zu eigenpairs wanted, need 1 <= k <= min(16, n = %zu)",
                        k, n);
    if (p->max_iter != 0 && p->max_iter < k)
        return gd_error(ctx, GD_EINVAL, "lanczos: max_iter = %zu is below k = %zu", p->max_iter, k);
    if (!(p->tol >= 0))
        return gd_error(ctx, GD_EINVAL, "lanczos: tolerance %g is not >= 0", p->tol);
    size_t m = p->max_iter ? p->max_iter : 300;
    if (m > n) m = n;

    gd_krylov kr;
    gd_status st = gd_krylov_init(ctx, &kr, n, m);
    if (st != GD_OK) return st;
    gd_rng rng;
    gd_rng_stream_init(&rng, p->seed, "lanczos", 0, 0);

    /* The start vector: v0 is read once, here (it may alias evec). */
    double nrm;
    int random_block = v0 == NULL;
    if (v0) {
        memcpy(kr.w, v0, n * sizeof *kr.w);
        nrm = cblas_dnrm2(kr.bn, kr.w, 1);
        if (!(nrm > 0) || !isfinite(nrm)) {
            gd_krylov_free(&kr);
            return gd_error(ctx, GD_EINVAL, "lanczos: the start vector is zero or not finite");
        }
    } else {
        nrm = random_orth(&kr, &rng);
    }
    gd_krylov_push(&kr, kr.w, nrm);

    size_t block0 = 0; /* first basis index of the current block */
    int conv = 0;      /* the k largest pairs meet the tolerance */
    int trusted = 1;   /* and nothing seen so far contradicts them */
    for (;;) {
        if ((st = gd_krylov_step(ctx, &kr, A, data)) != GD_OK) goto done;
        res->nmatvec++;
        const size_t d = kr.d;
        const double beta = kr.beta[d - 1];
        const int brk = gd_krylov_breakdown(&kr, beta) || d == n;
        const int last = d == m;
        /* The tridiagonal solve costs O(d^2)..O(d^3): every step while d
         * is small, every fourth step later, and always at the end. */
        const int check = d >= k && (d <= 24 || d % 4 == 0 || brk || last);
        if (check) {
            if ((st = gd_krylov_ritz_top(ctx, &kr, k)) != GD_OK) goto done;
            conv = top_k(&kr, k, p->tol, res);
            /* After a restart the new block's Ritz values start low inside
             * the complement of the earlier blocks: until its largest has
             * converged it says nothing about the eigenvalues left there,
             * so k converged pairs from earlier blocks are not enough. */
            trusted = 1;
            if (conv && block0 > 0) {
                const double lim = p->tol * fmax(fabs(res->eval[0]), 1e-300);
                if ((st = block_top_converged(ctx, &kr, block0, lim, &trusted)) != GD_OK) goto done;
            }
        }
        if (check && conv && trusted && !brk) break;
        if (last || d == n) break;
        if (!brk) {
            gd_krylov_push(&kr, kr.w, beta);
            continue;
        }
        /* Breakdown: span(V_d) is invariant. Stop if the top k are settled,
         * else restart with a random vector orthogonal to the basis. */
        int ok = 0;
        if (check && conv && trusted &&
            (st = settled(ctx, &kr, k, p->tol, block0, random_block, res, &ok)) != GD_OK)
            goto done;
        if (ok) break;
        double r = random_orth(&kr, &rng);
        if (r == 0) {
            if (d < k) {
                st = gd_error(ctx, GD_ENUMERIC, "lanczos: the basis spans the space at dimension %zu < k",
                              d);
                goto done;
            }
            break;
        }
        kr.brk[d - 1] = 1; /* the coupling of v_{d-1} to v_d is dropped */
        gd_krylov_push(&kr, kr.w, r);
        block0 = d;
        random_block = 1;
    }
    /* Ritz vectors y_i = V_d^T s_i. The checks above may have left a
     * block's solution in kr.Z, so T_d is solved again, by the same solver
     * as the last check, and res is taken from that solve too: values,
     * residuals and vectors must be one solve's. A different solver (dstev)
     * may order nearly equal Ritz values from different blocks (copies of a
     * multiple eigenvalue) differently, pairing one block's residual with
     * another block's vector. */
    if (evec) {
        const size_t d = kr.d;
        if ((st = gd_krylov_ritz_top(ctx, &kr, k)) != GD_OK) goto done;
        conv = top_k(&kr, k, p->tol, res);
        for (size_t i = 0; i < k; i++)
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)d, kr.bn, 1.0, kr.V, kr.bn,
                        kr.Z + (d - 1 - i) * d, 1, 0.0, evec + i * n, 1);
    }
    res->converged = conv && trusted;
done:
    gd_krylov_free(&kr);
    return st;
}
