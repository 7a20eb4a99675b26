/* The Zipf one-hot model of problem 6, part 3: exact expected test loss for
 * any width N and any number of steps T, both up to 1e12 or infinite.
 * See include/gdlab/linsgd.h for the decoupling into 1-D problems.
 *
 * P(K) = 1 - zeta(s, K+1)/zeta(s) (s = a + 1) is exact through GSL's
 * Hurwitz zeta. S(K,T) = sum_{k<=K} f(k), f(k) = p_k (1 - c p_k)^T, is
 * summed directly for k <= GD_ZIPF_DIRECT; the rest by Euler-Maclaurin:
 *   sum_{k=A}^{B} f(k) = int_A^B f + (f(A) + f(B))/2
 *                        + (f'(B) - f'(A))/12 - (f'''(B) - f'''(A))/720 + R,
 * with the integral by GSL adaptive Gauss-Kronrod in log x. Beyond A =
 * 16385 every derivative of log f is below s(1 + T c p)/x, so where f is
 * not negligible (T c p < 40) each order shrinks the term by about
 * (s 41 / (2 pi A))^2 < 1e-5; we report |last correction| + the
 * quadrature's error as the error estimate. */
#include "gdlab/linsgd.h"
#include "gdlab/rng.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_zeta.h>
#include <math.h>
#include <omp.h>

struct gd_zipf {
    double a, b, s;       /* s = a + 1 */
    double theta, sigma2;
    double Z;             /* zeta(s) */
    double p[GD_ZIPF_DIRECT + 1]; /* p[k] = k^-s / Z, k = 1..DIRECT */
};

gd_zipf *gd_zipf_new(gd_ctx *ctx, double a, double b, double theta,
                     double sigma2) {
    if (!(a > 0) || !isfinite(a)) {
        gd_error(ctx, GD_EINVAL, "--a: expected a number > 0, got %g", a);
        return NULL;
    }
    if (!(b >= 1) || !isfinite(b)) {
        gd_error(ctx, GD_EINVAL, "--b: expected a number >= 1, got %g", b);
        return NULL;
    }
    gd_zipf *z = gd_malloc(sizeof *z);
    if (!z) {
        gd_error(ctx, GD_ENOMEM, "out of memory");
        return NULL;
    }
    z->a = a, z->b = b, z->s = a + 1.0;
    z->theta = theta, z->sigma2 = sigma2;
    /* zeta(s) as the direct head plus the Hurwitz tail, so that the head
     * masses and every tail mass (also from gsl_sf_hzeta) add up to one to
     * rounding; gsl_sf_zeta and gsl_sf_hzeta alone disagree by ~1e-15. */
    double head = 0, comp = 0;
    for (int k = GD_ZIPF_DIRECT; k >= 1; k--) {
        double y = pow((double)k, -z->s) - comp, t = head + y;
        comp = (t - head) - y, head = t;
    }
    z->Z = head + gsl_sf_hzeta(z->s, GD_ZIPF_DIRECT + 1.0);
    z->p[0] = 0.0;
    for (int k = 1; k <= GD_ZIPF_DIRECT; k++) z->p[k] = pow((double)k, -z->s) / z->Z;
    return z;
}

void gd_zipf_free(gd_zipf *z) { gd_free(z); }

double gd_zipf_rank_limit(const gd_zipf *z, double N) {
    if (isinf(N)) return INFINITY;
    if (N < 1) return 0;
    /* Largest K with ceil(K^b) <= N, i.e. K^b <= N for whole N. Start from
     * the floating-point root and correct by whole steps. */
    double K = floor(pow(N, 1.0 / z->b));
    while (K > 0 && ceil(pow(K, z->b)) > N) K -= 1;
    while (ceil(pow(K + 1, z->b)) <= N) K += 1;
    return K;
}

/* Tail mass sum_{k > K} p_k. */
static double tail_mass(const gd_zipf *z, double K) {
    if (isinf(K)) return 0.0;
    return gsl_sf_hzeta(z->s, K + 1.0) / z->Z;
}

typedef struct tailf {
    double s, C, T, Z; /* f(x) = x^-s/Z (1 - C x^-s)^T, C = c / Z */
} tailf;

/* log f and its first three derivatives at x. */
static void logf_derivs(const tailf *t, double x, double h[4]) {
    double q = t->C * pow(x, -t->s);
    double s = t->s, om = 1.0 - q;
    double q1 = -s * q / x, q2 = s * (s + 1) * q / (x * x),
           q3 = -s * (s + 1) * (s + 2) * q / (x * x * x);
    double l1 = -q1 / om;
    double l2 = -q2 / om - q1 * q1 / (om * om);
    double l3 = -q3 / om - 3 * q1 * q2 / (om * om) - 2 * q1 * q1 * q1 / (om * om * om);
    h[0] = -log(t->Z) - s * log(x) + t->T * log1p(-q);
    h[1] = -s / x + t->T * l1;
    h[2] = s / (x * x) + t->T * l2;
    h[3] = -2 * s / (x * x * x) + t->T * l3;
}

/* f(e^u) e^u: the integrand in u = log x. */
static double integrand(double u, void *p) {
    const tailf *t = p;
    double x = exp(u), h[4];
    logf_derivs(t, x, h);
    return exp(h[0] + u);
}

/* f, f', f''' at x. */
static void f_derivs(const tailf *t, double x, double *f, double *f1,
                     double *f3) {
    double h[4];
    logf_derivs(t, x, h);
    *f = exp(h[0]);
    *f1 = *f * h[1];
    *f3 = *f * (h[3] + 3 * h[1] * h[2] + h[1] * h[1] * h[1]);
}

/* sum_{k=A}^{B} f(k) by Euler-Maclaurin; B may be infinite. */
static double em_sum(const tailf *t, double A, double B, double *err) {
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    gsl_function F = {integrand, (void *)t};
    double I = 0, Ierr = 0;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    if (w) {
        if (isinf(B))
            gsl_integration_qagiu(&F, log(A), 0.0, 1e-13, 1000, w, &I, &Ierr);
        else
            gsl_integration_qag(&F, log(A), log(B), 0.0, 1e-13, 1000,
                                GSL_INTEG_GAUSS61, w, &I, &Ierr);
        gsl_integration_workspace_free(w);
    } else {
        Ierr = INFINITY;
    }
    gsl_set_error_handler(old);
    double fA, f1A, f3A, fB = 0, f1B = 0, f3B = 0;
    f_derivs(t, A, &fA, &f1A, &f3A);
    if (!isinf(B)) f_derivs(t, B, &fB, &f1B, &f3B);
    double last = -(f3B - f3A) / 720.0;
    if (err) *err = fabs(last) + Ierr;
    return I + 0.5 * (fA + fB) + (f1B - f1A) / 12.0 + last;
}

/* S(K, T) = sum_{k <= K} p_k (1 - c p_k)^T, T finite. */
static double S_sum(const gd_zipf *z, double K, double T, double c,
                    double *err) {
    double kd = K < GD_ZIPF_DIRECT ? K : GD_ZIPF_DIRECT;
    long kmax = (long)kd;
    /* Neumaier-compensated direct sum, smallest terms last is not needed:
     * the compensation keeps the error at a few ulps of the total. */
    double sum = 0, comp = 0;
    for (long k = 1; k <= kmax; k++) {
        double pk = z->p[k];
        double term = pk * exp(T * log1p(-c * pk));
        double tt = sum + term;
        comp += fabs(sum) >= fabs(term) ? (sum - tt) + term : (term - tt) + sum;
        sum = tt;
    }
    sum += comp;
    if (err) *err = 0;
    if (K > GD_ZIPF_DIRECT) {
        tailf t = {z->s, c / z->Z, T, z->Z};
        sum += em_sum(&t, GD_ZIPF_DIRECT + 1.0, K, err);
    }
    return sum;
}

/* The loss minus its noise floor sigma2/2, from its parts: every term is
 * non-negative for eta < 2/3, so the excess keeps full relative accuracy
 * even when it is far below the floor. */
static double assemble(const gd_zipf *z, double tail, double S, double eta) {
    double u = eta / (2.0 - 3.0 * eta);
    double th2 = z->theta * z->theta, s2 = z->sigma2;
    return 0.5 * u * s2 * (1.0 - tail) + 0.5 * (th2 - u * s2) * S + 0.5 * th2 * tail;
}

double gd_zipf_loss(const gd_zipf *z, double N, double T, double eta,
                    double *err) {
    return 0.5 * z->sigma2 + gd_zipf_excess(z, N, T, eta, err);
}

double gd_zipf_excess(const gd_zipf *z, double N, double T, double eta,
                      double *err) {
    double K = gd_zipf_rank_limit(z, N);
    double tail = tail_mass(z, K);
    double c = eta * (2.0 - 3.0 * eta), S, e = 0;
    if (isinf(T)) S = 0.0;       /* (1 - c p)^T -> 0 for every k */
    else if (T == 0) S = 1.0 - tail;
    else S = S_sum(z, K, T, c, &e);
    if (err) *err = 0.5 * fabs(z->theta * z->theta - eta / (2 - 3 * eta) * z->sigma2) * e;
    return assemble(z, tail, S, eta);
}

double gd_zipf_loss_direct(const gd_zipf *z, double N, double T, double eta) {
    double K = gd_zipf_rank_limit(z, N);
    GD_ASSERT(isfinite(K) && isfinite(T));
    double c = eta * (2.0 - 3.0 * eta), S = 0, P = 0, cS = 0, cP = 0;
    /* Smallest terms first, with Kahan compensation. */
    for (double k = K; k >= 1; k -= 1) {
        double pk = pow(k, -z->s) / z->Z;
        double y = pk * exp(T * log1p(-c * pk)) - cS, t = S + y;
        cS = (t - S) - y, S = t;
        y = pk - cP, t = P + y;
        cP = (t - P) - y, P = t;
    }
    return 0.5 * z->sigma2 + assemble(z, 1.0 - P, S, eta);
}

/* Walker's alias table by Vose's linear construction (M. D. Vose, "A
 * linear algorithm for generating random numbers with a given
 * distribution", IEEE TSE 17, 1991): outcome c of n drawn uniformly, kept
 * with probability F[c], else replaced by A[c]; one 64-bit word a draw
 * (the high half of w n picks c exactly, the low half is the uniform), no
 * libm. GSL has the same table (gsl_ran_discrete_preproc), but its
 * allocations are unchecked and bypass gd_malloc, and its draw reads F[n]
 * when a 53-bit uniform rounds u n up to n. */
typedef struct alias_table {
    size_t n;
    double *F;
    uint32_t *A;
} alias_table;

static void alias_free(alias_table *t) { gd_free(t->F), gd_free(t->A); }

/* The table of the n weights p (>= 0, sum > 0); n <= 2^32. */
static gd_status alias_build(gd_ctx *ctx, const double *p, size_t n, alias_table *t) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += p[i];
    t->n = n;
    t->F = gd_malloc(n * sizeof *t->F), t->A = gd_malloc(n * sizeof *t->A);
    uint32_t *work = gd_malloc(n * sizeof *work);
    if (!t->F || !t->A || !work) {
        alias_free(t), gd_free(work);
        return gd_error(ctx, GD_ENOMEM, "out of memory for the Monte Carlo's rank table");
    }
    /* F holds the scaled weights n p_i / sum until fixed; the small ones
     * (< 1) are stacked from the front of work, the large from the back. */
    size_t ns = 0, nl = n;
    for (size_t i = 0; i < n; i++) {
        t->F[i] = p[i] * (double)n / sum;
        if (t->F[i] < 1) work[ns++] = (uint32_t)i;
        else work[--nl] = (uint32_t)i;
    }
    while (ns > 0 && nl < n) {
        uint32_t sm = work[--ns], lg = work[nl++];
        t->A[sm] = lg; /* F[sm] is final */
        t->F[lg] -= 1 - t->F[sm];
        if (t->F[lg] < 1) work[ns++] = lg;
        else work[--nl] = lg;
    }
    /* What is left has weight 1 up to rounding. */
    while (ns > 0) t->F[work[--ns]] = 1;
    while (nl < n) t->F[work[nl++]] = 1;
    for (size_t i = 0; i < n; i++)
        if (t->F[i] >= 1) t->A[i] = (uint32_t)i;
    gd_free(work);
    return GD_OK;
}

__extension__ typedef unsigned __int128 u128;

static inline size_t alias_draw(const alias_table *t, uint64_t w) {
    const u128 m = (u128)w * t->n;
    const size_t c = (size_t)(m >> 64);
    const double u = (double)((uint64_t)m >> 11) * 0x1p-53;
    return u < t->F[c] ? c : t->A[c];
}

#define ZIPF_MC_CHUNK 256
/* Steps per block: the ranks of a block first, then the normals of the
 * steps that update the model, in one call. */
#define ZIPF_STEPS 128

gd_status gd_zipf_mc(gd_ctx *ctx, const gd_zipf *z, double N, long T,
                     double eta, long R, double *loss, double *loss_se) {
    double Kd = gd_zipf_rank_limit(z, N);
    if (!(Kd <= 1e7))
        return gd_error(ctx, GD_EINVAL,
                        "--width: Monte Carlo keeps one weight per feature and needs "
                        "N^(1/b) <= 1e7 features; got %g", Kd);
    long K = (long)Kd;
    long nchunk = (R + ZIPF_MC_CHUNK - 1) / ZIPF_MC_CHUNK;
    int nth = ctx->threads;
    const double tail = tail_mass(z, Kd), th = z->theta, sd = sqrt(z->sigma2);
    /* The law of a step's rank: k = 1..K, or 0 for every rank beyond the
     * model's K features (the tail), which changes nothing. */
    double *pk = gd_malloc((size_t)(K + 1) * sizeof *pk);
    if (!pk) return gd_error(ctx, GD_ENOMEM, "out of memory for the Monte Carlo");
    pk[0] = tail;
    for (long k = 1; k <= K; k++) pk[k] = k <= GD_ZIPF_DIRECT ? z->p[k] : pow((double)k, -z->s) / z->Z;
    alias_table at;
    gd_status st = alias_build(ctx, pk, (size_t)K + 1, &at);
    if (st != GD_OK) {
        gd_free(pk);
        return st;
    }
    double *acc = gd_calloc((size_t)nchunk * 2, sizeof *acc);
    double *w = gd_malloc((size_t)nth * (size_t)(K + 1) * sizeof *w);
    if (!acc || !w) {
        gd_free(acc), gd_free(w), gd_free(pk), alias_free(&at);
        return gd_error(ctx, GD_ENOMEM, "out of memory for the Monte Carlo");
    }
    const uint64_t seed = ctx->seed;
#pragma omp parallel num_threads(nth)
    {
        double *wk = w + (size_t)omp_get_thread_num() * (size_t)(K + 1);
        long idx[ZIPF_STEPS];
        double zn[2 * ZIPF_STEPS];
#pragma omp for schedule(dynamic, 1)
        for (long c = 0; c < nchunk; c++) {
            long r1 = (c + 1) * ZIPF_MC_CHUNK < R ? (c + 1) * ZIPF_MC_CHUNK : R;
            for (long rep = c * ZIPF_MC_CHUNK; rep < r1; rep++) {
                gd_rng rng;
                gd_rng_stream_init(&rng, seed, "sgd-zipf", 0, (uint64_t)rep);
                for (long k = 0; k <= K; k++) wk[k] = 0;
                /* Each block of steps: the ranks k of its steps (the alias
                 * table), then x and eps of the m steps whose feature the
                 * model sees (k <= K; the others change nothing and draw
                 * nothing), then those m updates in step order. */
                for (long t0 = 0; t0 < T; t0 += ZIPF_STEPS) {
                    long nb = T - t0 < ZIPF_STEPS ? T - t0 : ZIPF_STEPS;
                    size_t m = 0;
                    for (long j = 0; j < nb; j++) {
                        const size_t k = alias_draw(&at, gd_rng_u64(&rng));
                        if (k) idx[m++] = (long)k;
                    }
                    gd_rng_normals_zig(&rng, zn, 2 * m);
                    for (size_t j = 0; j < m; j++) {
                        double x = zn[2 * j], y = th * x + sd * zn[2 * j + 1];
                        wk[idx[j]] -= eta * (wk[idx[j]] * x - y) * x;
                    }
                }
                /* Conditional test loss given w: exact over a fresh (x, y). */
                double L = 0.5 * z->sigma2 + 0.5 * th * th * tail;
                for (long k = 1; k <= K; k++) L += 0.5 * pk[k] * (wk[k] - th) * (wk[k] - th);
                acc[2 * c] += L, acc[2 * c + 1] += L * L;
            }
        }
    }
    double s = 0, ss = 0, n = (double)R;
    for (long c = 0; c < nchunk; c++) s += acc[2 * c], ss += acc[2 * c + 1];
    *loss = s / n;
    *loss_se = R > 1 ? sqrt(fmax((ss - n * *loss * *loss) / (n - 1), 0) / n) : GD_NAN;
    gd_free(acc), gd_free(w), gd_free(pk), alias_free(&at);
    return GD_OK;
}
