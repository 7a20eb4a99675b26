/* Tests of the stab module: linear stability of SGD at an interpolating
 * minimum in the Gram form.
 *
 * (1) The spectrum, sigma_2, sigma_F and effective rank against dense LAPACK
 *     on Sigma (d, d), full-rank, d < m and rank-deficient; the maps z <-> y.
 * (2) The moment map T against the second moment of d-dimensional SGD,
 *     computed exactly by enumerating every batch sequence (m = 4, b = 2,
 *     3 steps, with and without replacement).
 * (3) rho by power iteration against the dense eigenvalues of T written as
 *     a matrix on symmetric matrices, eta* against rho = 1 there, and rho
 *     against the Monte Carlo growth rate of E[L] far from the limit.
 * (4) The rank-one case in closed form, including data for which eta*
 *     attains the problem's bound sqrt(b / delta_inf) / sigma_F.
 * (5) delta_inf against 10^4 random directions, and delta(y) against the
 *     d-dimensional definition Tr(M Sigma) / (2 L ||Sigma||_F^2).
 * (6) Error paths and failure injection.
 * (7) The m = 200 pipeline: timings, eta* <= min(2/sigma_2, bound), eta*
 *     increasing in b.
 * Statistical checks are within k = 4 standard errors under fixed seeds. */
#include "gdlab/gdlab.h"
#include "gdlab/rng.h"
#include "gdlab/stab.h"
#include "gdtest.h"

#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* (m, d) Gaussian matrix from stream (seed, "test-stab", point, 0). */
static double *gauss(size_t m, size_t d, uint64_t point) {
    double *a = xmalloc(m * d * sizeof *a);
    gd_rng g;
    gd_rng_stream_init(&g, 7, "test-stab", point, 0);
    for (size_t i = 0; i < m * d; i++) a[i] = gd_rng_normal(&g);
    return a;
}

/* Dense Sigma = (1/m) A^T A (d, d) and its eigenvalues, descending. */
static void dense_sigma(const double *A, size_t m, size_t d, double *Sig, double *ev) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)m, 1.0 / (double)m,
                A, (int)d, A, (int)d, 0.0, Sig, (int)d);
    double *t = xmalloc(d * d * sizeof *t), *w = xmalloc(d * sizeof *w);
    memcpy(t, Sig, d * d * sizeof *t);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (int)d, t, (int)d, w) != 0) abort();
    for (size_t i = 0; i < d; i++) ev[i] = w[d - 1 - i];
    free(t), free(w);
}

/* V (d, r): column k is y_to_z(e_k). */
static double *basis(gd_stab *st) {
    size_t d = gd_stab_d(st), r = gd_stab_rank(st);
    double *V = xmalloc(d * r * sizeof *V), *e = calloc(r, sizeof *e), *z = xmalloc(d * sizeof *z);
    if (!e) abort();
    for (size_t k = 0; k < r; k++) {
        e[k] = 1;
        gd_stab_y_to_z(st, e, z);
        for (size_t i = 0; i < d; i++) V[i * r + k] = z[i];
        e[k] = 0;
    }
    free(e), free(z);
    return V;
}

/* ---- (1) spectrum and maps ---- */

static void check_spectrum(gd_ctx *ctx, const double *A, size_t m, size_t d, size_t want_r,
                           const char *name) {
    gd_stab *st = gd_stab_new(ctx, m, d, A, NULL);
    if (!gdt_check(st != NULL, "%s: gd_stab_new (%s)", name, ctx->err)) return;
    size_t r = gd_stab_rank(st);
    gdt_check(r == want_r, "%s: rank %zu, want %zu", name, r, want_r);
    double *Sig = xmalloc(d * d * sizeof *Sig), *ev = xmalloc(d * sizeof *ev);
    dense_sigma(A, m, d, Sig, ev);
    const double *s = gd_stab_spectrum(st);
    double err = 0, f2 = 0, sum = 0, sum2 = 0;
    for (size_t k = 0; k < r && k < d; k++) err = fmax(err, fabs(s[k] - ev[k]));
    for (size_t k = r; k < d; k++) err = fmax(err, fabs(ev[k])); /* the rest are zero */
    for (size_t i = 0; i < d * d; i++) f2 += Sig[i] * Sig[i];
    for (size_t k = 0; k < d; k++) sum += ev[k], sum2 += ev[k] * ev[k];
    gdt_check(err <= 1e-12 * ev[0], "%s: spectrum vs dense dsyev on Sigma (%zu x %zu): max "
              "err %.3g (<= 1e-12 sigma_2)", name, d, d, err);
    gdt_close(gd_stab_sigma2(st), ev[0], 1e-12, 0, "sigma_2 vs dense");
    gdt_close(gd_stab_sigmaF(st), sqrt(f2), 1e-12, 0, "sigma_F vs sqrt(sum Sigma_ij^2)");
    gdt_close(gd_stab_effective_rank(st), sum * sum / sum2, 1e-11, 0, "effective rank vs dense");
    double *own = gd_malloc(m * d * sizeof *own);
    if (!own) abort();
    memcpy(own, A, m * d * sizeof *A);
    gd_stab *ad = gd_stab_adopt(ctx, m, d, own, NULL);
    gdt_check(ad && gd_stab_rank(ad) == r && !memcmp(gd_stab_spectrum(ad), s, r * sizeof *s),
              "%s: gd_stab_adopt (no copy) gives the same spectrum bit for bit", name);
    gd_stab_free(ad);

    /* Maps: y -> z -> y is the identity, z -> y -> z projects on span(a_j),
     * a_j . z = b_j . y, L(z) = L(y). */
    double *z = gauss(1, d, 90 + m + d), *y = xmalloc(r * sizeof *y), *zp = xmalloc(d * sizeof *zp);
    double *y2 = xmalloc(r * sizeof *y2);
    gd_stab_z_to_y(st, z, y);
    gd_stab_y_to_z(st, y, zp);
    gd_stab_z_to_y(st, zp, y2);
    double e1 = 0, e2 = 0, e3 = 0, Lz = 0, ny = 0;
    const double *B = gd_stab_rows(st);
    for (size_t k = 0; k < r; k++) e1 = fmax(e1, fabs(y2[k] - y[k])), ny = fmax(ny, fabs(y[k]));
    for (size_t j = 0; j < m; j++) {
        double az = 0, azp = 0, by = 0;
        for (size_t i = 0; i < d; i++) az += A[j * d + i] * z[i], azp += A[j * d + i] * zp[i];
        for (size_t k = 0; k < r; k++) by += B[j * r + k] * y[k];
        e2 = fmax(e2, fabs(az - by)), e3 = fmax(e3, fabs(az - azp));
        Lz += az * az;
    }
    Lz /= 2.0 * (double)m;
    gdt_check(e1 <= 1e-12 * ny, "%s: y -> z -> y identity (err %.3g)", name, e1);
    gdt_check(e2 <= 1e-11 * sqrt(ev[0]) * ny && e3 <= 1e-11 * sqrt(ev[0]) * ny,
              "%s: a_j . z = b_j . y = a_j . (V V^T z) (err %.3g, %.3g)", name, e2, e3);
    gdt_close(gd_stab_loss(st, y), Lz, 1e-12, 0, "L(y) = L(z)");
    free(z), free(y), free(zp), free(y2), free(Sig), free(ev);
    gd_stab_free(st);
}

static void test_spectrum(gd_ctx *ctx) {
    double *A = gauss(7, 12, 1);
    check_spectrum(ctx, A, 7, 12, 7, "m=7 d=12");
    free(A);
    A = gauss(7, 4, 2);
    check_spectrum(ctx, A, 7, 4, 4, "m=7 d=4 (d < m)");
    free(A);
    /* Rank 3 with d > m: A = X Y, X (7, 3), Y (3, 12). */
    double *X = gauss(7, 3, 3), *Y = gauss(3, 12, 4);
    A = xmalloc(7 * 12 * sizeof *A);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 7, 12, 3, 1.0, X, 3, Y, 12, 0.0, A, 12);
    check_spectrum(ctx, A, 7, 12, 3, "m=7 d=12 rank 3");
    free(A), free(X), free(Y);
}

/* ---- (2) T against exact enumeration ---- */

typedef struct enum_ctx {
    const double *A;
    size_t m, d, b;
    int replace;
    double eta;
    double *Ezz; /* (d, d) */
} enum_ctx;

/* Adds weight * z_T z_T^T over all batch sequences from z (depth steps
 * left). With replacement: all m^b ordered tuples; without: all b-subsets
 * (b = 2 here). */
static void enumerate(enum_ctx *e, const double *z, int depth, double weight) {
    const size_t d = e->d, m = e->m;
    if (depth == 0) {
        for (size_t i = 0; i < d; i++)
            for (size_t k = 0; k < d; k++) e->Ezz[i * d + k] += weight * z[i] * z[k];
        return;
    }
    double zn[16];
    size_t idx[2];
    size_t nb = e->replace ? m * m : m * (m - 1) / 2;
    for (size_t c = 0, i1 = 0; i1 < m; i1++)
        for (size_t i2 = e->replace ? 0 : i1 + 1; i2 < m; i2++, c++) {
            idx[0] = i1, idx[1] = i2;
            memcpy(zn, z, d * sizeof *z);
            for (int t = 0; t < 2; t++) {
                const double *a = e->A + idx[t] * d;
                double dot = 0;
                for (size_t i = 0; i < d; i++) dot += a[i] * z[i];
                for (size_t i = 0; i < d; i++) zn[i] -= e->eta / 2.0 * dot * a[i];
            }
            enumerate(e, zn, depth - 1, weight / (double)nb);
        }
}

static void test_moment_map(gd_ctx *ctx) {
    const size_t m = 4, d = 6;
    double *A = gauss(m, d, 10), *z0 = gauss(1, d, 11);
    gd_stab *st = gd_stab_new(ctx, m, d, A, NULL);
    if (!gdt_check(st != NULL, "enumeration: gd_stab_new")) return;
    size_t r = gd_stab_rank(st);
    double *V = basis(st);
    const double eta = 0.9 * gd_stab_eta_gd(st);
    for (int rep = 1; rep >= 0; rep--) {
        enum_ctx e = {A, m, d, 2, rep, eta, calloc(d * d, sizeof(double))};
        if (!e.Ezz) abort();
        enumerate(&e, z0, 3, 1.0);
        /* V^T E[z z^T] V against T^3(y0 y0^T). */
        double *y0 = xmalloc(r * sizeof *y0), *S = xmalloc(r * r * sizeof *S);
        double *S2 = xmalloc(r * r * sizeof *S2), *P = xmalloc(d * r * sizeof *P);
        gd_stab_z_to_y(st, z0, y0);
        for (size_t k = 0; k < r; k++)
            for (size_t l = 0; l < r; l++) S[k * r + l] = y0[k] * y0[l];
        for (int t = 0; t < 3; t++) {
            gd_stab_moment_step(st, eta, 2, rep, S, S2);
            memcpy(S, S2, r * r * sizeof *S);
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d, (int)r, (int)d, 1.0, e.Ezz,
                    (int)d, V, (int)r, 0.0, P, (int)r);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)r, (int)r, (int)d, 1.0, V, (int)r,
                    P, (int)r, 0.0, S2, (int)r);
        double err = 0, mx = 0, EL = 0;
        for (size_t i = 0; i < r * r; i++) err = fmax(err, fabs(S2[i] - S[i])), mx = fmax(mx, fabs(S[i]));
        gdt_check(err <= 1e-12 * mx, "T^3 vs enumerated E[z z^T] (m=4, b=2, %s, 3 steps): max err "
                  "%.3g of %.3g", rep ? "with replacement" : "without", err, mx);
        /* E[L_3] = (1/2) tr(Sigma S) vs (1/2m) sum_j a_j^T E[z z^T] a_j. */
        const double *s = gd_stab_spectrum(st);
        double ELd = 0;
        for (size_t k = 0; k < r; k++) EL += 0.5 * s[k] * S[k * r + k];
        for (size_t j = 0; j < m; j++)
            for (size_t i = 0; i < d; i++)
                for (size_t k = 0; k < d; k++) ELd += A[j * d + i] * e.Ezz[i * d + k] * A[j * d + k];
        ELd /= 2.0 * (double)m;
        gdt_close(EL, ELd, 1e-12, 0, rep ? "E[L_3] with replacement" : "E[L_3] without");
        free(e.Ezz), free(y0), free(S), free(S2), free(P);
    }
    free(A), free(z0), free(V);
    gd_stab_free(st);
}

/* ---- (3) rho: dense T, and Monte Carlo ---- */

/* Spectral radius of T on symmetric (r, r) matrices, densely: T in the
 * orthonormal basis E_kk, (E_kl + E_lk)/sqrt 2 is a symmetric matrix
 * (T is self-adjoint) whose eigenvalues dsyev gives. */
static double dense_rho(gd_stab *st, double eta, size_t b, int replace, double *lmin) {
    size_t r = gd_stab_rank(st), n = r * (r + 1) / 2;
    double *E = xmalloc(n * r * r * sizeof *E), *TE = xmalloc(r * r * sizeof *TE);
    double *Tm = xmalloc(n * n * sizeof *Tm), *w = xmalloc(n * sizeof *w);
    memset(E, 0, n * r * r * sizeof *E);
    size_t c = 0;
    for (size_t k = 0; k < r; k++)
        for (size_t l = k; l < r; l++, c++) {
            double v = k == l ? 1.0 : 1.0 / sqrt(2.0);
            E[c * r * r + k * r + l] = E[c * r * r + l * r + k] = v;
        }
    for (size_t i = 0; i < n; i++) {
        gd_stab_moment_step(st, eta, b, replace, E + i * r * r, TE);
        for (size_t j = 0; j < n; j++) {
            double dot = 0;
            for (size_t q = 0; q < r * r; q++) dot += E[j * r * r + q] * TE[q];
            Tm[j * n + i] = dot;
        }
    }
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (int)n, Tm, (int)n, w) != 0) abort();
    double top = w[n - 1];
    if (lmin) *lmin = w[0];
    free(E), free(TE), free(Tm), free(w);
    return top;
}

static void test_rho_dense(gd_ctx *ctx) {
    const size_t m = 6, d = 9;
    double *A = gauss(m, d, 20);
    gd_stab *st = gd_stab_new(ctx, m, d, A, NULL);
    if (!gdt_check(st != NULL, "rho: gd_stab_new")) return;
    for (int rep = 1; rep >= 0; rep--)
        for (size_t b = 1; b <= 3; b += 2) {
            double eta, rho, lmin;
            size_t it, ev;
            int conv;
            gd_status rc = gd_stab_eta_crit(ctx, st, b, rep, &eta, &ev);
            if (!gdt_check(rc == GD_OK, "eta_crit b=%zu %s: %s", b, rep ? "repl" : "norepl", ctx->err))
                continue;
            double eb;
            size_t evb;
            rc = gd_stab_eta_crit_brent(ctx, st, b, rep, &eb, &evb);
            gdt_check(rc == GD_OK, "eta_crit_brent: %s", rc ? ctx->err : "ok");
            gdt_close(eb, eta, 1e-9, 0, "eta* by Brent on rho - 1 vs 1/mu_max");
            for (double f = 0.3; f < 2; f += 0.6) {
                rc = gd_stab_rho(ctx, st, f * eta, b, rep, &rho, &it, &conv, NULL);
                double want = dense_rho(st, f * eta, b, rep, &lmin);
                gdt_check(rc == GD_OK && conv, "rho converged (b=%zu, %zu iterations)", b, it);
                gdt_close(rho, want, 1e-9, 0, "rho (Lanczos) vs dense max eigenvalue of T");
                gdt_check(-lmin <= want, "Krein-Rutman: |min eig| %.6g <= rho %.6g", -lmin, want);
            }
            double at = dense_rho(st, eta, b, rep, NULL);
            gdt_close(at, 1.0, 1e-9, 0, "dense rho at eta* is 1");
            gdt_check(dense_rho(st, eta * (1 - 1e-6), b, rep, NULL) < 1 &&
                      dense_rho(st, eta * (1 + 1e-6), b, rep, NULL) > 1,
                      "dense rho crosses 1 at eta* = %.12g (b=%zu, %s; %zu iterations for "
                      "mu_max, %zu for Brent)", eta, b, rep ? "with replacement" : "without", ev, evb);
        }
    /* b = m without replacement is full-batch GD: eta* = 2 / sigma_2. */
    double eta;
    gd_stab_eta_crit(ctx, st, m, 0, &eta, NULL);
    gdt_close(eta, gd_stab_eta_gd(st), 1e-9, 0, "b = m without replacement: eta* = 2/sigma_2");
    gd_stab_eta_crit_brent(ctx, st, m, 0, &eta, NULL);
    gdt_close(eta, gd_stab_eta_gd(st), 1e-9, 0, "b = m without replacement: Brent eta* = 2/sigma_2");
    free(A);
    gd_stab_free(st);
}

/* Draws y0 (R, r) from N(0, S) (S PSD, (r, r)) with stream point. */
static double *draw_start(const double *S, size_t r, size_t R, uint64_t point) {
    double *U = xmalloc(r * r * sizeof *U), *w = xmalloc(r * sizeof *w);
    double *y = xmalloc(R * r * sizeof *y), *xi = xmalloc(r * sizeof *xi);
    memcpy(U, S, r * r * sizeof *U);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (int)r, U, (int)r, w) != 0) abort();
    gd_rng g;
    for (size_t i = 0; i < R; i++) {
        gd_rng_stream_init(&g, 7, "test-stab-start", point, i);
        for (size_t k = 0; k < r; k++) xi[k] = gd_rng_normal(&g) * sqrt(fmax(w[k], 0));
        for (size_t k = 0; k < r; k++) {
            double v = 0;
            for (size_t l = 0; l < r; l++) v += U[k * r + l] * xi[l];
            y[i * r + k] = v;
        }
    }
    free(U), free(w), free(xi);
    return y;
}

/* Monte Carlo growth of E[L] against rho. Starting each replica from
 * y0 ~ N(0, S*) with S* the Perron vector makes E[L_t] = rho^t E[L_0]
 * exactly (no transient), so every checkpoint can be compared with it.
 * Far from the limit this works with 10^5 replicas over 20 steps on the
 * stable side and 3 on the unstable side. Near eta*, and on the unstable
 * side for long horizons, the sample mean misleads: L_t is a
 * product of random factors, so its law is close to log-normal; E[L_t] is
 * carried by rare runs whose weight grows like rho4^t (rho4 the 4th-moment
 * rate, > rho^2), the relative standard error grows geometrically and a
 * typical sample mean sits well below the true mean (it follows the
 * Lyapunov exponent, not log rho). At 1.5 eta* (rho ~ 1.7 per step) the
 * sample mean of L_20 fell 17, and of L_6 still 5, of its own
 * (underestimated) standard errors short with 2*10^4 replicas (seed 7);
 * near eta* the same happens slowly
 * over long horizons, where a stability verdict from E[L] needs far more
 * replicas than the horizon suggests. Hence modest horizons here. */
static void test_rho_mc(gd_ctx *ctx) {
    const size_t m = 8, d = 20, R = 100000, r0 = 8, b = 2;
    double *A = gauss(m, d, 30);
    gd_stab *st = gd_stab_new(ctx, m, d, A, NULL);
    if (!gdt_check(st != NULL && gd_stab_rank(st) == r0, "mc: gd_stab_new")) return;
    const size_t r = gd_stab_rank(st);
    const double *s = gd_stab_spectrum(st);
    for (int rep = 1; rep >= 0; rep--) {
        double etac;
        if (gd_stab_eta_crit(ctx, st, b, rep, &etac, NULL)) {
            gdt_check(0, "mc: eta_crit: %s", ctx->err);
            continue;
        }
        for (int side = 0; side < 2; side++) {
            const double eta = (side ? 1.5 : 0.5) * etac;
            double rho, *S = xmalloc(r * r * sizeof *S);
            int conv;
            gd_stab_rho(ctx, st, eta, b, rep, &rho, NULL, &conv, S);
            double *y0 = draw_start(S, r, R, 40 + 2 * (uint64_t)side + (uint64_t)rep);
            /* Unstable side: a shorter horizon (see above). */
            const size_t check[] = {0, side ? 1 : 5, side ? 2 : 10, side ? 3 : 20};
            const double span = (double)check[3];
            double loss[4], se[4], L0 = 0;
            for (size_t k = 0; k < r; k++) L0 += 0.5 * s[k] * S[k * r + k];
            gd_status rc = gd_stab_simulate(ctx, st, eta, b, rep, R, 1, y0, r, check, 4, loss, se,
                                            NULL);
            gdt_check(rc == GD_OK, "simulate: %s", ctx->err);
            char what[160];
            for (int k = 0; k < 4; k++) {
                snprintf(what, sizeof what, "E[L_%zu] = rho^t E[L_0] at %.1f eta* (%s, rho %.6f)",
                         check[k], side ? 1.5 : 0.5, rep ? "with repl." : "without", rho);
                gdt_within_se(loss[k], L0 * pow(rho, (double)check[k]), se[k], 4, what);
            }
            /* log-slope over 20 steps; se by the (conservative) sum of the
             * two relative errors, the end points being correlated. */
            double slope = (log(loss[3]) - log(loss[0])) / span;
            double sse = (se[3] / loss[3] + se[0] / loss[0]) / span;
            snprintf(what, sizeof what, "log-slope of E[L] vs log rho at %.1f eta* (%s)",
                     side ? 1.5 : 0.5, rep ? "with repl." : "without");
            gdt_within_se(slope, log(rho), sse, 4, what);
            if (!side)
                gdt_check(loss[3] + 4 * se[3] < loss[0] - 4 * se[0], "stable side: E[L] decays "
                          "(%.4g -> %.4g)", loss[0], loss[3]);
            free(S), free(y0);
        }
    }
    /* Deterministic for any thread count. */
    double y0[8] = {1, -0.5, 0.25, 2, 0.1, -1, 0.3, 0.7}, l1[3], s1[3], l2[3], s2[3];
    long dv1[300], dv2[300];
    const size_t ck[] = {0, 7, 30};
    double etag = gd_stab_eta_gd(st);
    ctx->threads = 1;
    gd_stab_simulate(ctx, st, 0.8 * etag, 3, 0, 300, 5, y0, 0, ck, 3, l1, s1, dv1);
    ctx->threads = 2;
    gd_stab_simulate(ctx, st, 0.8 * etag, 3, 0, 300, 5, y0, 0, ck, 3, l2, s2, dv2);
    ctx->threads = 1;
    gdt_check(!memcmp(l1, l2, sizeof l1) && !memcmp(s1, s2, sizeof s1) &&
              !memcmp(dv1, dv2, sizeof dv1), "simulate: identical with 1 and 2 threads");
    /* Divergence bookkeeping on full-batch GD (b = m, without replacement):
     * y_t = (I - eta Sigma)^t y0, so the first step with L > 1e12 L_0 is
     * known in closed form. */
    {
        const double eta = 1.7 * etag;
        double yy[8], L0 = gd_stab_loss(st, y0), lo[1], lse[1];
        long dv[4];
        memcpy(yy, y0, sizeof yy);
        long want = -1;
        for (long t = 0; t <= 60 && want < 0; t++) {
            if (gd_stab_loss(st, yy) > 1e12 * L0) want = t;
            for (size_t k = 0; k < r; k++) yy[k] *= 1 - eta * s[k];
        }
        const size_t c60[] = {60};
        gd_stab_simulate(ctx, st, eta, m, 0, 4, 0, y0, 0, c60, 1, lo, lse, dv);
        gdt_check(want > 0 && dv[0] == want && dv[3] == want, "diverged step %ld = closed form "
                  "%ld (GD at 1.7 x 2/sigma_2)", dv[0], want);
        gdt_check(gd_stab_simulate(ctx, st, 0.5 * etag, m, 0, 2, 0, y0, 0, c60, 1, lo, lse, dv) ==
                  GD_OK && dv[0] == -1 && dv[1] == -1, "stable GD: no divergence recorded");
    }
    free(A);
    gd_stab_free(st);
}

/* ---- (4) rank one ---- */

/* a_j = c_j u: Sigma = s u u^T / |u|^2 with s = (1/m) sum c_j^2 |u|^2,
 * r = 1, b_j = +-c_j |u| and, with x_j = b_j^2, s = mean x, kappa =
 * mean x^2, v = kappa - s^2 (the variance of the per-example curvature).
 * The scalar second moment obeys
 *   E y'^2 = [(1 - eta s)^2 + eta^2 c_b v] y^2,
 * so rho = (1 - eta s)^2 + eta^2 c_b v and eta* = 2 s / (s^2 + c_b v).
 * N = s_f (kappa s - s^3) = s_f s v, D = s^2 s: delta_inf = s_f v / s^2,
 * and eta_bound = sqrt(b / delta_inf) / s = 1 / sqrt(c_b v). Then
 *   eta* = eta_bound  iff  2 s sqrt(c_b v) = s^2 + c_b v
 *                     iff  (s - sqrt(c_b v))^2 = 0  iff  c_b v = s^2,
 * i.e. kappa = (1 + 1/c_b) s^2, and then eta* = 1/s (the proof's
 * s(z) >= 0 step is tight only where (1 - eta s)^2 = 0). Equal |c_j| give
 * v = 0 and an infinite bound, never attained. With x = h on k of the m
 * examples and 0 elsewhere, kappa / s^2 = m / k: with replacement
 * m / k = 1 + b (e.g. m = 6, b = 2, k = 2); without, 1 + b(m-1)/(m-b)
 * (e.g. m = 4, b = 2, k = 1). */
static void rank_one_case(gd_ctx *ctx, size_t m, const double *c, size_t b, int rep,
                          int attained, const char *name) {
    const size_t d = 10;
    double *u = gauss(1, d, 50), *A = xmalloc(m * d * sizeof *A), u2 = 0;
    for (size_t i = 0; i < d; i++) u2 += u[i] * u[i];
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < d; i++) A[j * d + i] = c[j] * u[i];
    double s = 0, kappa = 0;
    for (size_t j = 0; j < m; j++) {
        double x = c[j] * c[j] * u2;
        s += x / (double)m, kappa += x * x / (double)m;
    }
    const double v = kappa - s * s;
    const double cb = rep ? 1.0 / (double)b : (double)(m - b) / ((double)b * (double)(m - 1));
    gd_stab *st = gd_stab_new(ctx, m, d, A, NULL);
    if (!gdt_check(st && gd_stab_rank(st) == 1, "%s: rank 1", name)) {
        gd_stab_free(st), free(u), free(A);
        return;
    }
    gdt_close(gd_stab_sigma2(st), s, 1e-13, 0, "rank one: sigma_2 = s");
    gdt_close(gd_stab_sigmaF(st), s, 1e-13, 0, "rank one: sigma_F = s");
    double eta, delta, bound, rho;
    gd_stab_eta_crit(ctx, st, b, rep, &eta, NULL);
    gd_stab_delta_inf(ctx, st, b, rep, &delta, NULL);
    gd_stab_eta_bound(ctx, st, b, rep, &bound);
    gdt_close(eta, 2 * s / (s * s + cb * v), 1e-12, 0, "rank one: eta* = 2s / (s^2 + c_b v)");
    double eb = 0;
    gd_stab_eta_crit_brent(ctx, st, b, rep, &eb, NULL);
    gdt_close(eb, 2 * s / (s * s + cb * v), 1e-9, 0, "rank one: Brent eta* = 2s / (s^2 + c_b v)");
    gdt_close(delta, b * cb * v / (s * s), 1e-12, 1e-15, "rank one: delta_inf = s_f v / s^2");
    const double e = 0.77 * eta;
    gd_stab_rho(ctx, st, e, b, rep, &rho, NULL, NULL, NULL);
    gdt_close(rho, (1 - e * s) * (1 - e * s) + e * e * cb * v, 1e-12, 0,
              "rank one: rho = (1 - eta s)^2 + eta^2 c_b v");
    if (attained) {
        gdt_close(eta, bound, 1e-9, 0, "rank one, c_b v = s^2: eta* = sqrt(b/delta)/sigma_F");
        gdt_close(eta, 1 / s, 1e-9, 0, "rank one, c_b v = s^2: eta* = 1/s");
    } else {
        gdt_check(eta < bound * (1 - 1e-6), "%s: eta* %.10g < bound %.10g", name, eta, bound);
    }
    gd_stab_free(st), free(u), free(A);
}

static void test_rank_one(gd_ctx *ctx) {
    const double c7[7] = {0.8, -1.3, 0.4, 2.1, -0.6, 1.1, 0.9};
    rank_one_case(ctx, 7, c7, 1, 1, 0, "random c, b=1 repl");
    rank_one_case(ctx, 7, c7, 3, 1, 0, "random c, b=3 repl");
    rank_one_case(ctx, 7, c7, 3, 0, 0, "random c, b=3 norepl");
    const double h = 1.37;
    const double c6[6] = {h, 0, 0, -h, 0, 0};      /* m/k = 3 = 1 + b, b = 2 */
    rank_one_case(ctx, 6, c6, 2, 1, 1, "attained, m=6 b=2 repl");
    const double c4[4] = {0, 0, -h, 0};            /* m/k = 4 = 1 + 2*3/2 */
    rank_one_case(ctx, 4, c4, 2, 0, 1, "attained, m=4 b=2 norepl");
}

/* ---- (5) delta ---- */

static void test_delta(gd_ctx *ctx) {
    const size_t m = 9, d = 20;
    double *A = gauss(m, d, 60);
    gd_stab *st = gd_stab_new(ctx, m, d, A, NULL);
    if (!gdt_check(st != NULL, "delta: gd_stab_new")) return;
    const size_t r = gd_stab_rank(st);
    double *y = xmalloc(r * sizeof *y), *ymin = xmalloc(r * sizeof *ymin);
    for (int rep = 1; rep >= 0; rep--) {
        const size_t b = 3;
        double dinf;
        gd_status rc = gd_stab_delta_inf(ctx, st, b, rep, &dinf, ymin);
        gdt_check(rc == GD_OK && dinf > 0, "delta_inf = %.10g (%s)", dinf, rep ? "repl" : "norepl");
        gdt_close(gd_stab_delta(st, ymin, b, rep), dinf, 1e-10, 0, "delta(minimiser) = delta_inf");
        double lo = INFINITY;
        gd_rng g;
        gd_rng_stream_init(&g, 7, "test-stab-delta", (uint64_t)rep, 0);
        for (int i = 0; i < 10000; i++) {
            /* Random directions, half of them near the minimiser. */
            for (size_t k = 0; k < r; k++)
                y[k] = gd_rng_normal(&g) * (i % 2 ? 1.0 : 0.05) + (i % 2 ? 0.0 : ymin[k]);
            lo = fmin(lo, gd_stab_delta(st, y, b, rep));
        }
        gdt_check(lo >= dinf - 1e-12 * dinf && lo < 1.01 * dinf, "10^4 random y: min delta %.12g "
                  ">= delta_inf %.12g (and within 1%%)", lo, dinf);
    }
    /* delta against d-space: Tr(M Sigma) s_f / (2 L ||Sigma||_F^2). */
    double *z = gauss(1, d, 61), *M = calloc(d * d, sizeof *M), *Sig = xmalloc(d * d * sizeof *Sig);
    double *ev = xmalloc(d * sizeof *ev), *g = xmalloc(d * sizeof *g), *gj = xmalloc(d * sizeof *gj);
    if (!M) abort();
    dense_sigma(A, m, d, Sig, ev);
    for (size_t i = 0; i < d; i++) {
        g[i] = 0;
        for (size_t k = 0; k < d; k++) g[i] += Sig[i * d + k] * z[k];
    }
    double L = 0, f2 = 0, tr = 0;
    for (size_t j = 0; j < m; j++) {
        double az = 0;
        for (size_t i = 0; i < d; i++) az += A[j * d + i] * z[i];
        L += az * az / (2.0 * (double)m);
        for (size_t i = 0; i < d; i++) gj[i] = A[j * d + i] * az;
        for (size_t i = 0; i < d; i++)
            for (size_t k = 0; k < d; k++) M[i * d + k] += gj[i] * gj[k] / (double)m;
    }
    for (size_t i = 0; i < d; i++)
        for (size_t k = 0; k < d; k++) M[i * d + k] -= g[i] * g[k];
    for (size_t i = 0; i < d * d; i++) tr += M[i] * Sig[i], f2 += Sig[i] * Sig[i];
    gd_stab_z_to_y(st, z, y);
    const double sf = (double)(m - 4) / (double)(m - 1);
    gdt_close(gd_stab_delta(st, y, 4, 1), tr / (2 * L * f2), 1e-11, 0, "delta(y) vs d-space, repl");
    gdt_close(gd_stab_delta(st, y, 4, 0), sf * tr / (2 * L * f2), 1e-11, 0,
              "delta(y) vs d-space, without");
    free(z), free(M), free(Sig), free(ev), free(g), free(gj), free(y), free(ymin), free(A);
    gd_stab_free(st);
}

/* ---- (6) errors and failure injection ---- */

static void test_errors(gd_ctx *ctx) {
    double *A = gauss(5, 8, 70), zero[40] = {0};
    ctx->err[0] = 0;
    gd_stab *st = gd_stab_new(ctx, 0, 8, A, NULL);
    gdt_check(!st && strstr(ctx->err, "m >= 1") != NULL, "m = 0 refused: %s", ctx->err);
    ctx->err[0] = 0;
    st = gd_stab_new(ctx, 5, 0, A, NULL);
    gdt_check(!st && ctx->err[0], "d = 0 refused: %s", ctx->err);
    ctx->err[0] = 0;
    st = gd_stab_new(ctx, 5, 8, zero, NULL);
    gdt_check(!st && strstr(ctx->err, "all zero") != NULL, "all-zero A (r = 0) refused: %s", ctx->err);
    double save = A[13];
    A[13] = GD_NAN;
    st = gd_stab_new(ctx, 5, 8, A, NULL);
    gdt_check(!st && strstr(ctx->err, "not finite") != NULL, "NaN in A refused: %s", ctx->err);
    A[13] = save;
    gd_stab_params p = gd_stab_default_params();
    p.rho_window = 0;
    gdt_check(!gd_stab_new(ctx, 5, 8, A, &p), "rho_window = 0 refused: %s", ctx->err);
    gd_stab_free(NULL);
    gdt_check(1, "gd_stab_free(NULL) does nothing");

    st = gd_stab_new(ctx, 5, 8, A, NULL);
    if (!gdt_check(st != NULL, "errors: gd_stab_new")) return;
    double x, y[5] = {1, 2, 3, 4, 5}, l, se;
    size_t ck[2] = {3, 1};
    for (size_t b = 0; b <= 6; b += 6) {
        gdt_check(gd_stab_delta_inf(ctx, st, b, 1, &x, NULL) == GD_EINVAL, "delta_inf b=%zu: %s", b,
                  ctx->err);
        gdt_check(gd_stab_rho(ctx, st, 0.1, b, 0, &x, NULL, NULL, NULL) == GD_EINVAL,
                  "rho b=%zu: %s", b, ctx->err);
        gdt_check(gd_stab_eta_crit(ctx, st, b, 1, &x, NULL) == GD_EINVAL, "eta_crit b=%zu", b);
        gdt_check(gd_stab_eta_crit_brent(ctx, st, b, 1, &x, NULL) == GD_EINVAL,
                  "eta_crit_brent b=%zu", b);
        gdt_check(gd_stab_eta_bound(ctx, st, b, 1, &x) == GD_EINVAL, "eta_bound b=%zu", b);
        gdt_check(gd_stab_simulate(ctx, st, 0.1, b, 1, 4, 0, y, 0, ck + 1, 1, &l, &se, NULL) ==
                  GD_EINVAL, "simulate b=%zu", b);
    }
    gdt_check(gd_stab_rho(ctx, st, INFINITY, 2, 0, &x, NULL, NULL, NULL) == GD_EINVAL,
              "rho eta = inf: %s", ctx->err);
    gdt_check(gd_stab_simulate(ctx, st, 0.1, 2, 1, 4, 0, y, 0, ck, 2, &l, &se, NULL) == GD_EINVAL,
              "simulate: unsorted checkpoints: %s", ctx->err);
    gdt_check(gd_stab_simulate(ctx, st, 0.1, 2, 1, 4, 0, y, 3, ck + 1, 1, &l, &se, NULL) ==
              GD_EINVAL, "simulate: bad stride: %s", ctx->err);
    gdt_check(gd_stab_simulate(ctx, st, 0.1, 2, 1, 0, 0, y, 0, ck + 1, 1, &l, &se, NULL) ==
              GD_EINVAL, "simulate: R = 0: %s", ctx->err);
    /* A power iteration that cannot converge is an outcome: converged = 0. */
    gd_stab_params q = gd_stab_default_params();
    q.rho_maxit = 3;
    gd_stab *st3 = gd_stab_new(ctx, 5, 8, A, &q);
    int conv = 1;
    size_t it = 0;
    gd_status rc3 = st3 ? gd_stab_rho(ctx, st3, 0.5 / gd_stab_sigma2(st3), 2, 1, &x, &it, &conv,
                                      NULL) : GD_ENOMEM;
    gdt_check(rc3 == GD_OK && !conv && it == 3, "rho_maxit reached: GD_OK, converged 0, %zu "
              "iterations", it);
    gdt_check(st3 && gd_stab_eta_crit(ctx, st3, 2, 1, &x, NULL) == GD_ENUMERIC,
              "eta_crit with rho_maxit = 3: GD_ENUMERIC: %s", ctx->err);
    gdt_check(st3 && gd_stab_eta_crit_brent(ctx, st3, 2, 1, &x, NULL) == GD_ENUMERIC,
              "eta_crit_brent with rho_maxit = 3: GD_ENUMERIC: %s", ctx->err);
    gd_stab_free(st3);
    gd_stab_free(st);

    /* Failure injection: every allocation fails in turn. */
    int bad = 0, n_ok = 0;
    long k;
    for (k = 0; k < 200; k++) {
        gd_alloc_fail_after(k);
        ctx->err[0] = 0;
        st = gd_stab_new(ctx, 5, 8, A, NULL);
        gd_status rc = GD_OK;
        if (!st) {
            if (!strstr(ctx->err, "out of memory")) bad++;
            continue;
        }
        size_t c1[2] = {0, 4};
        double lo[2], ls[2];
        if (gd_stab_delta_inf(ctx, st, 2, 1, &x, y) != GD_OK) bad++;
        if (gd_stab_eta_crit(ctx, st, 2, 0, &x, NULL) != GD_OK) bad++;
        rc = gd_stab_eta_crit_brent(ctx, st, 2, 1, &x, NULL); /* Lanczos allocates */
        if (rc != GD_OK && rc != GD_ENOMEM) bad++;
        rc = gd_stab_simulate(ctx, st, 0.1, 2, 0, 70, 0, y, 0, c1, 2, lo, ls, NULL);
        if (rc != GD_OK && rc != GD_ENOMEM) bad++;
        gd_stab_free(st);
        long made = gd_alloc_fail_after(-1);
        if (rc == GD_OK && made <= k) { n_ok = 1; break; }
    }
    gd_alloc_fail_after(-1);
    gdt_check(!bad && n_ok, "failure injection: %ld allocations, each failure gives ENOMEM or "
              "success (bad %d)", k, bad);
    free(A);
}

/* ---- (7) the m = 200 pipeline ---- */

static void test_pipeline(gd_ctx *ctx) {
    const size_t m = 200, d = 1000;
    double *A = gauss(m, d, 80);
    /* Columns scaled by (1 + i)^-0.6: a decaying, realistic Gram spectrum. */
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < d; i++) A[j * d + i] *= pow(1.0 + (double)i, -0.6);
    double t0 = gd_now();
    gd_stab *st = gd_stab_new(ctx, m, d, A, NULL);
    double t1 = gd_now();
    if (!gdt_check(st != NULL, "pipeline: gd_stab_new: %s", ctx->err)) return;
    const double *s = gd_stab_spectrum(st);
    size_t r = gd_stab_rank(st);
    printf("# m = %zu, d = %zu, r = %zu, sigma_2 = %.4g, sigma_F = %.4g, eff. rank %.2f, "
           "s_r/s_1 = %.3g; Gram %.3f s\n", m, d, r, gd_stab_sigma2(st), gd_stab_sigmaF(st),
           gd_stab_effective_rank(st), s[r - 1] / s[0], t1 - t0);
    double prev = 0, tdelta = 0, tcrit = 0;
    int ok_bound = 1, ok_mono = 1, ok_rc = 1;
    size_t tot_it = 0;
    for (size_t b = 1; b <= 32; b++) {
        double delta, eta, bound;
        size_t it = 0;
        double a = gd_now();
        gd_status rc = gd_stab_delta_inf(ctx, st, b, 1, &delta, NULL);
        double bb = gd_now();
        rc |= gd_stab_eta_crit(ctx, st, b, 1, &eta, &it);
        double c = gd_now();
        rc |= gd_stab_eta_bound(ctx, st, b, 1, &bound);
        tdelta += bb - a, tcrit += c - bb, tot_it += it;
        if (rc) { ok_rc = 0; printf("# b = %zu: %s\n", b, ctx->err); continue; }
        if (!(eta <= fmin(gd_stab_eta_gd(st), bound) * (1 + 1e-9))) ok_bound = 0;
        if (!(eta > prev)) ok_mono = 0;
        prev = eta;
        if (b == 1 || b == 2 || b == 4 || b == 8 || b == 16 || b == 32)
            printf("# b = %2zu: delta_inf %.5f, eta* %.6g, bound %.6g, 2/sigma_2 %.6g, "
                   "%zu power iterations, %.3f s\n", b, delta, eta, bound, gd_stab_eta_gd(st), it,
                   c - bb);
    }
    printf("# pipeline: Gram %.3f s, delta_inf x32 %.3f s, eta_crit x32 %.3f s "
           "(%zu power iterations), total %.3f s\n", t1 - t0, tdelta, tcrit, tot_it,
           t1 - t0 + tdelta + tcrit);
    gdt_check(ok_rc, "pipeline: every b in 1..32 solved");
    gdt_check(ok_bound, "pipeline: eta*(b) <= min(2/sigma_2, sqrt(b/delta_inf)/sigma_F)");
    gdt_check(ok_mono, "pipeline: eta*(b) increases with b");
    gd_stab_free(st);
    free(A);
}

int main(void) {
    gsl_set_error_handler_off();
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    test_spectrum(&ctx);
    test_moment_map(&ctx);
    test_rho_dense(&ctx);
    test_rank_one(&ctx);
    test_delta(&ctx);
    test_errors(&ctx);
    test_rho_mc(&ctx);
    test_pipeline(&ctx);
    return gdt_summary();
}
