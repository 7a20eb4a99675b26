/* Mean-square stability of linearised SGD: the second-moment map T, its
 * spectral radius rho(eta, b) by Lanczos, and the critical learning
 * rate eta*(b) where rho = 1: as 1 / mu_max of a generalised eigenproblem
 * (fast), and by Brent's method on rho - 1 (the definition, a reference).
 *
 * Applying T to S (r, r): q_j = b_j^T S b_j from W = B S (dsymm), then
 * K = (1/m) B^T diag(q) B (dgemm) and, Sigma being diagonal,
 *   T(S)_kl = S_kl [1 - eta (s_k + s_l) + eta^2 (1 - c_b) s_k s_l]
 *             + eta^2 c_b K_kl,
 * 4 m r^2 flops. T is self-adjoint for <S, R> = tr(S R) and maps the PSD
 * cone into itself, so its spectral radius is its largest eigenvalue
 * (Krein-Rutman), found by Lanczos from I (<I, S*> = tr S* > 0 for the
 * Perron vector S*, so the start sees it). */
#include "stab_int.h"
#include "gdlab/spectra.h"

#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <string.h>

/* out (r, r) = scale (1/m) sum_j b_j (b_j^T S b_j) b_j^T, the covariance
 * part of T (zero when scale is 0); only one triangle of S is read. */
static void cov_term(gd_stab *st, double scale, const double *S, double *out) {
    const size_t m = st->m, r = st->r;
    const int M = stab_int(m), R = stab_int(r);
    if (scale == 0) {
        memset(out, 0, r * r * sizeof *out);
        return;
    }
    cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, M, R, 1.0, S, R, st->B, R, 0.0, st->WB, R);
    for (size_t j = 0; j < m; j++) {
        const double *bj = st->B + j * r;
        double *wj = st->WB + j * r, qj = 0;
        for (size_t k = 0; k < r; k++) qj += wj[k] * bj[k];
        for (size_t k = 0; k < r; k++) wj[k] = qj * bj[k];
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, R, R, M, scale / (double)m, st->B, R,
                st->WB, R, 0.0, out, R);
}

static void apply_T(gd_stab *st, double eta, double c, const double *S, double *out) {
    const size_t r = st->r;
    const double *s = st->s;
    cov_term(st, eta * eta * c, S, out);
    const double e2 = eta * eta * (1.0 - c);
    for (size_t k = 0; k < r; k++)
        for (size_t l = 0; l <= k; l++) {
            double f = 1.0 - eta * (s[k] + s[l]) + e2 * s[k] * s[l];
            /* Average the two triangles of the dgemm result so that out is
             * exactly symmetric (dsymm reads only one triangle of S next). */
            double kv = 0.5 * (out[k * r + l] + out[l * r + k]);
            out[k * r + l] = out[l * r + k] = f * S[k * r + l] + kv;
        }
}

/* One power-iteration update shared by rho and mu: the Rayleigh estimate
 * <S, X>, S <- X / ||X||, and the stopping test on the estimate's change
 * over rho_window iterations. Returns -1 if X is zero or not finite, 1 when
 * converged, 0 to go on. */
static int power_update(gd_stab *st, size_t it, const double *X, double *S, double *est) {
    const size_t n = st->r * st->r, win = st->p.rho_window;
    double dot = 0, nrm = 0;
    for (size_t i = 0; i < n; i++) dot += S[i] * X[i], nrm += X[i] * X[i];
    nrm = sqrt(nrm);
    if (!isfinite(nrm) || nrm == 0) return -1;
    *est = dot;
    for (size_t i = 0; i < n; i++) S[i] = X[i] / nrm;
    st->hist[it % (win + 1)] = dot;
    return it > win && fabs(dot - st->hist[(it - win) % (win + 1)]) <= st->p.rho_tol * fabs(dot);
}

void gd_stab_moment_step(gd_stab *st, double eta, size_t b, int replace,
                         const double *S, double *out) {
    GD_ASSERT(S != out);
    apply_T(st, eta, gd_stab_noise_factor(st, b, replace), S, out);
}

/* T on all r x r matrices through the symmetric part: P T P with P the
 * orthogonal projector on symmetric matrices, self-adjoint for the
 * Frobenius product, equal to T on symmetric matrices and 0 on
 * antisymmetric ones (apply_T reads both triangles of S in places). */
typedef struct t_op {
    gd_stab *st;
    double eta, c;
} t_op;

static void t_matvec(void *data, const double *v, double *out) {
    t_op *o = data;
    const size_t r = o->st->r;
    double *S = o->st->S0;
    for (size_t k = 0; k < r; k++)
        for (size_t l = 0; l <= k; l++) S[k * r + l] = S[l * r + k] = 0.5 * (v[k * r + l] + v[l * r + k]);
    apply_T(o->st, o->eta, o->c, S, out);
}

/* rho = the largest eigenvalue of T (Krein-Rutman: the spectral radius is
 * an eigenvalue, so it is the largest algebraic one) by Lanczos with full
 * reorthogonalisation (src/spectra) from I / sqrt(r), stopping on the Ritz
 * residual <= max(rho_tol, 1e-9) * rho (|theta - rho| is below the
 * residual). A cycle's Krylov dimension k is capped by
 * sqrt(RHO_REORTH_FLOPS / r^2) (full reorthogonalisation costs r^2 k^2;
 * short cycles restarted often measured faster than long ones), by
 * r (r + 1) / 2 (the symmetric matrices) and by 1.25e8 / r^2 (1 GB of
 * Lanczos vectors); when a cycle ends unconverged, Lanczos restarts from
 * its Ritz vector, at most RHO_CYCLES cycles and rho_maxit products in all.
 * The Ritz vector goes to S1 (Frobenius norm 1). */
#define RHO_CYCLES 12
#define RHO_REORTH_FLOPS 1e9
#define RHO_TOL_MIN 1e-9
static gd_status lanczos_rho(gd_ctx *ctx, gd_stab *st, double eta, double c, double *rho,
                             size_t *iters, int *converged) {
    const size_t r = st->r, n = r * r;
    size_t cap = (size_t)sqrt(RHO_REORTH_FLOPS / (double)n), sym = r * (r + 1) / 2,
           mem = (size_t)(1.25e8 / (double)n);
    if (cap > sym) cap = sym;
    if (cap > mem) cap = mem < 20 ? 20 : mem;
    double *v0 = st->S1;
    memset(v0, 0, n * sizeof *v0);
    for (size_t k = 0; k < r; k++) v0[k * r + k] = 1.0 / sqrt((double)r);
    t_op op = {st, eta, c};
    gd_lanczos_params lp = gd_lanczos_default_params();
    lp.k = 1, lp.tol = fmax(st->p.rho_tol, RHO_TOL_MIN);
    gd_lanczos_result res;
    gd_status rc = GD_OK;
    size_t used = 0;
    *converged = 0;
    for (int cyc = 0; cyc < RHO_CYCLES && !*converged && used < st->p.rho_maxit; cyc++) {
        lp.max_iter = cap < st->p.rho_maxit - used ? cap : st->p.rho_maxit - used;
        rc = gd_lanczos_top(ctx, n, t_matvec, &op, &lp, v0, st->S1, &res);
        if (rc != GD_OK) break;
        used += res.nmatvec;
        *converged = res.converged;
        *rho = res.eval[0];
        if (!isfinite(*rho)) rc = GD_ENUMERIC;
    }
    *iters = used;
    return rc;
}

gd_status gd_stab_rho(gd_ctx *ctx, gd_stab *st, double eta, size_t b,
                      int replace, double *rho, size_t *iters, int *converged,
                      double *S) {
    gd_status rc = gd_stab_check_batch_(ctx, st, b);
    if (rc) return rc;
    if (!isfinite(eta))
        return gd_error(ctx, GD_EINVAL, "stab: learning rate must be finite, got %g", eta);
    size_t it = 0;
    int conv = 0;
    rc = lanczos_rho(ctx, st, eta, gd_stab_noise_factor(st, b, replace), rho, &it, &conv);
    if (iters) *iters = it;
    if (converged) *converged = conv;
    if (rc == GD_ENUMERIC)
        return gd_error(ctx, rc, "stab: Lanczos on the second-moment map broke down at eta = %g, "
                        "b = %zu (not finite after %zu products)", eta, b, it);
    if (rc) return rc;
    if (S) {
        /* S1 holds the Ritz vector (Frobenius norm 1, PSD up to its sign
         * and rounding): symmetrise and scale to trace 1. */
        const size_t r = st->r;
        const double *V = st->S1;
        double tr = 0;
        for (size_t k = 0; k < r; k++) tr += V[k * r + k];
        for (size_t k = 0; k < r; k++)
            for (size_t l = 0; l < r; l++) S[k * r + l] = 0.5 * (V[k * r + l] + V[l * r + k]) / tr;
    }
    return GD_OK;
}

typedef struct root_data {
    gd_stab *st;
    double c;
    size_t evals, iters;
    int failed;     /* a rho evaluation broke down or did not converge */
    int nomem;      /* ... because an allocation failed */
} root_data;

static double rho_minus_one(double eta, void *p) {
    root_data *d = p;
    double rho = 0;
    size_t it;
    int conv;
    gd_ctx tmp;
    gd_ctx_init(&tmp);
    gd_status rc = lanczos_rho(&tmp, d->st, eta, d->c, &rho, &it, &conv);
    d->evals++, d->iters += it;
    if (rc || !conv) {
        d->failed = 1;
        d->nomem |= rc == GD_ENOMEM;
        return 1.0; /* finite, so that GSL's checks stay quiet; flagged */
    }
    return rho - 1.0;
}

gd_status gd_stab_eta_crit_brent(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                                 double *eta, size_t *evals) {
    double bound;
    gd_status rc = gd_stab_eta_bound(ctx, st, b, replace, &bound);
    if (rc) return rc;
    root_data d = {st, gd_stab_noise_factor(st, b, replace), 0, 0, 0, 0};
    /* rho(eta) >= (1 - eta s_1)^2 (test S = e_1 e_1^T) and rho >= 1 at the
     * problem's bound, so eta* <= min(2 / sigma_2, bound); 1e-6 above it
     * rho exceeds 1 strictly at the GD limit. The crossing is unique
     * (rho > 1 iff eta > eta*), so halving finds the lower end. */
    double hi = fmin(2.0 / st->sigma2, bound) * (1.0 + 1e-6), fhi = rho_minus_one(hi, &d);
    for (int k = 0; k < 8 && !d.failed && fhi < 0; k++) hi *= 2, fhi = rho_minus_one(hi, &d);
    double lo = hi, flo = fhi;
    for (int k = 0; k < 200 && !d.failed && flo >= 0; k++) lo *= 0.5, flo = rho_minus_one(lo, &d);
    if (evals) *evals = d.iters;
    if (d.nomem) return gd_error(ctx, GD_ENOMEM, "stab: out of memory for Lanczos on T");
    if (d.failed)
        return gd_error(ctx, GD_ENUMERIC, "stab: eta*(b = %zu): rho did not converge within "
                        "%zu Lanczos steps", b, st->p.rho_maxit);
    if (!(fhi >= 0 && flo < 0))
        return gd_error(ctx, GD_ENUMERIC, "stab: eta*(b = %zu): no bracket (rho(%g) - 1 = %g, "
                        "rho(%g) - 1 = %g)", b, lo, flo, hi, fhi);
    if (fhi == 0) {
        *eta = hi;
        return GD_OK;
    }
    gsl_function F = {rho_minus_one, &d};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s) return gd_error(ctx, GD_ENOMEM, "stab: out of memory for the root finder");
    int gs = gsl_root_fsolver_set(s, &F, lo, hi);
    for (int it = 0; gs == GSL_SUCCESS && it < 200; it++) {
        gs = gsl_root_fsolver_iterate(s);
        if (gs != GSL_SUCCESS || d.failed) break;
        double a = gsl_root_fsolver_x_lower(s), c = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(a, c, 0.0, st->p.eta_tol) == GSL_SUCCESS) break;
    }
    double root = gsl_root_fsolver_root(s);
    gsl_root_fsolver_free(s);
    if (evals) *evals = d.iters;
    if (d.nomem) return gd_error(ctx, GD_ENOMEM, "stab: out of memory for Lanczos on T");
    if (d.failed)
        return gd_error(ctx, GD_ENUMERIC, "stab: eta*(b = %zu): rho did not converge within "
                        "%zu Lanczos steps", b, st->p.rho_maxit);
    if (gs != GSL_SUCCESS)
        return gd_error(ctx, GD_ENUMERIC, "stab: eta*(b = %zu): Brent failed: %s", b,
                        gsl_strerror(gs));
    *eta = root;
    return GD_OK;
}

/* The generalised form. T = I - eta L1 + eta^2 Q with
 *   L1(S) = Sigma S + S Sigma,  (L1 S)_kl = (s_k + s_l) S_kl,
 *   Q(S) = (1 - c_b) Sigma S Sigma + c_b (1/m) sum_j b_j (b_j^T S b_j) b_j^T,
 * both self-adjoint and positive semi-definite (L1 definite). For eta > 0,
 * rho(eta) <= 1 iff <T S, S> <= <S, S> for all S (T is self-adjoint with
 * its top eigenvalue = rho) iff eta <Q S, S> <= <L1 S, S> for all S, so
 *   eta* = 1 / mu_max,  mu_max = max_S <Q S, S> / <L1 S, S>,
 * the top eigenvalue of H = L1^-1/2 Q L1^-1/2. L1^-1/2 is the Schur
 * product with (s_k + s_l)^-1/2, a power of a Cauchy matrix and so PSD
 * (Schur product theorem keeps the PSD cone), hence H too maps PSD to PSD
 * and the power iteration from I converges to its Perron pair. Unlike T
 * near eta*, whose eigenvalues 1 - 2 eta s_k crowd below 1 for the small
 * s_k, H sends those directions towards 0, so the iteration is fast. */
static gd_status power_mu(gd_stab *st, double c, double *mu, size_t *iters, int *converged) {
    const size_t r = st->r, n = r * r;
    const double *s = st->s;
    double *S = st->S0, *X = st->S1, est = 0;
    memset(S, 0, n * sizeof *S);
    for (size_t k = 0; k < r; k++) S[k * r + k] = 1.0 / sqrt((double)r);
    *converged = 0;
    size_t it;
    for (it = 1; it <= st->p.rho_maxit; it++) {
        /* N = L1^-1/2 S; X = c K(N) (as in apply_T); then
         * X <- L1^-1/2 ((1 - c) Sigma N Sigma + X). */
        for (size_t k = 0; k < r; k++)
            for (size_t l = 0; l < r; l++) st->N[k * r + l] = S[k * r + l] / sqrt(s[k] + s[l]);
        cov_term(st, c, st->N, X);
        for (size_t k = 0; k < r; k++)
            for (size_t l = 0; l <= k; l++) {
                double kv = 0.5 * (X[k * r + l] + X[l * r + k]);
                double v = ((1.0 - c) * s[k] * s[l] * st->N[k * r + l] + kv) / sqrt(s[k] + s[l]);
                X[k * r + l] = X[l * r + k] = v;
            }
        int u = power_update(st, it, X, S, &est);
        if (u < 0) {
            *iters = it;
            return GD_ENUMERIC;
        }
        if (u > 0) {
            *converged = 1;
            break;
        }
    }
    *iters = it > st->p.rho_maxit ? st->p.rho_maxit : it;
    *mu = est;
    return GD_OK;
}

gd_status gd_stab_eta_crit(gd_ctx *ctx, gd_stab *st, size_t b, int replace,
                           double *eta, size_t *iters) {
    gd_status rc = gd_stab_check_batch_(ctx, st, b);
    if (rc) return rc;
    double mu = 0;
    size_t it;
    int conv;
    rc = power_mu(st, gd_stab_noise_factor(st, b, replace), &mu, &it, &conv);
    if (iters) *iters = it;
    if (rc || !conv || !(mu > 0))
        return gd_error(ctx, GD_ENUMERIC, "stab: eta*(b = %zu): the power iteration for "
                        "max <QS,S>/<L1 S,S> %s after %zu iterations", b,
                        rc ? "broke down" : conv ? "gave a non-positive value" : "did not converge",
                        it);
    *eta = 1.0 / mu;
    return GD_OK;
}
