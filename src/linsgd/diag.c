/* The diagonal Gaussian model: exact risk curve from the second-moment
 * recursion (O(N) per step) and Monte Carlo of the real mini-batch SGD.
 * See include/gdlab/linsgd.h for the recursion. */
#include "gdlab/linsgd.h"
#include "gdlab/rng.h"

#include <gsl/gsl_sf_zeta.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>

double gd_diag_tail_noise(const gd_diag *m) {
    double s = m->p + 2.0 * m->q;
    if (!(s > 1.0)) return INFINITY;
    return gsl_sf_hzeta(s, (double)m->width + 1.0);
}

/* The risk recursion advances KB steps per pass over memory. D moves by
 * the scalar kappa_t = (eta^2/b)(tr_t + s2) only, so from D = D(t0):
 *   tr_{t0+j} = M_j + sum_{s<j} kappa_s P_{j-1-s},
 *   M_j = sum_i l_i A_i^j D_i,  P_m = sum_i l_i^2 A_i^m,
 * and D(t0+k) = A (... (A D + kappa_0 l) ...) + kappa_{k-1} l (Horner: the
 * same operations as k single steps). One pass applies k updates and
 * accumulates M_0..M_{KB-1} of the new D, so the arrays stream through the
 * cache once per KB steps instead of once per step; every term is >= 0
 * (A_i > 0 for any eta, b), so the regrouping costs no accuracy. The pass
 * runs on 8-lane vectors with fixed lanes (the same sums in the same order
 * on every instruction set) and is cloned for AVX2 and AVX-512. */
#define KB 4
typedef double v8d __attribute__((vector_size(64), aligned(64)));
#define HSUM8(v) ((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7])))

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("default", "avx2", "avx512f")))
#endif
static void risk_pass(const double *restrict A, const double *restrict lam,
                      double *restrict D, long N, const double *kap, int k,
                      double *M) {
    v8d m0 = {0}, m1 = {0}, m2 = {0}, m3 = {0};
    double r[KB] = {0, 0, 0, 0};
    long n8 = N - N % 8, i;
    const double k0 = kap[0], k1 = kap[1], k2 = kap[2], k3 = kap[3];
    for (i = 0; i < n8; i += 8) {
        v8d a = *(const v8d *)(A + i), l = *(const v8d *)(lam + i);
        v8d d = *(const v8d *)(D + i);
        if (k == KB) {
            d = a * d + k0 * l, d = a * d + k1 * l;
            d = a * d + k2 * l, d = a * d + k3 * l;
        } else {
            for (int s = 0; s < k; s++) d = a * d + kap[s] * l;
        }
        *(v8d *)(D + i) = d;
        v8d x = l * d;
        m0 += x, x *= a, m1 += x, x *= a, m2 += x, x *= a, m3 += x;
    }
    for (; i < N; i++) {
        double a = A[i], l = lam[i], d = D[i];
        for (int s = 0; s < k; s++) d = a * d + kap[s] * l;
        D[i] = d;
        double x = l * d;
        for (int s = 0; s < KB; s++) r[s] += x, x *= a;
    }
    M[0] = HSUM8(m0) + r[0], M[1] = HSUM8(m1) + r[1];
    M[2] = HSUM8(m2) + r[2], M[3] = HSUM8(m3) + r[3];
}

size_t gd_diag_risk(const gd_diag *m, double eta, const long *check,
                    size_t ncheck, double *loss, long *diverged_at) {
    const long N = m->width;
    const double s2 = m->sigma2 + gd_diag_tail_noise(m);
    const double ib = 1.0 / (double)m->batch;
    /* three arrays, each 64-byte aligned and padded to 8 lanes */
    const long Np = (N + 7) / 8 * 8;
    void *mem = gd_malloc((size_t)Np * 3 * sizeof(double) + 64);
    *diverged_at = -1;
    if (!mem) return 0;
    double *D = (double *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    double *lam = D + Np, *A = D + 2 * Np;
    double P[KB] = {0, 0, 0, 0}, M[KB], kap[KB] = {0, 0, 0, 0};
    for (long i = 0; i < N; i++) {
        double l = pow((double)(i + 1), -m->p), w = pow((double)(i + 1), -m->q);
        lam[i] = l;
        D[i] = w * w;
        A[i] = 1.0 - 2.0 * eta * l + eta * eta * l * l * (1.0 + ib);
        double x = l * l;
        for (int s = 0; s < KB; s++) P[s] += x, x *= A[i];
    }
    risk_pass(A, lam, D, N, kap, 0, M); /* the moments of D(0) */
    const double ke = eta * eta * ib;
    const long T = ncheck ? check[ncheck - 1] : 0;
    size_t k = 0;
    long t = 0;
    for (;;) {
        int j;
        for (j = 0; j < KB; j++) {
            double tr = M[j];
            for (int s = 0; s < j; s++) tr += kap[s] * P[j - 1 - s];
            double L = 0.5 * (tr + s2);
            if (!isfinite(L) || L > 1e100) {
                *diverged_at = t + j;
                goto done;
            }
            while (k < ncheck && check[k] == t + j) loss[k++] = L;
            if (t + j == T) goto done;
            kap[j] = ke * (tr + s2);
            if (t + j + 1 == T) { j++; break; }
        }
        risk_pass(A, lam, D, N, kap, j, M);
        t += j;
    }
done:
    gd_free(mem);
    return k;
}

#define MC_CHUNK 64

gd_status gd_diag_mc(gd_ctx *ctx, const gd_diag *m, double eta, long R,
                     uint64_t point, const long *check, size_t ncheck,
                     double *loss, double *loss_se) {
    const long N = m->width, b = m->batch;
    const long T = ncheck ? check[ncheck - 1] : 0;
    const double s2 = m->sigma2 + gd_diag_tail_noise(m);
    long nchunk = (R + MC_CHUNK - 1) / MC_CHUNK;
    double *acc = gd_calloc((size_t)nchunk * ncheck * 2, sizeof *acc);
    double *lam = gd_malloc((size_t)N * 2 * sizeof *lam);
    int nth = ctx->threads;
    /* Per thread: d (N), g (N), x (b, N), r (b). Allocated once here. */
    double *work = gd_malloc((size_t)nth * (size_t)(2 * N + b * N + b) * sizeof *work);
    if (!acc || !lam || !work) {
        gd_free(acc), gd_free(lam), gd_free(work);
        return gd_error(ctx, GD_ENOMEM, "out of memory for the Monte Carlo");
    }
    double *ws = lam + N; /* w* */
    for (long i = 0; i < N; i++) {
        lam[i] = pow((double)(i + 1), -m->p);
        ws[i] = pow((double)(i + 1), -m->q);
    }
    const uint64_t seed = ctx->seed;
#pragma omp parallel num_threads(nth)
    {
        double *d = work + (size_t)omp_get_thread_num() * (size_t)(2 * N + b * N + b);
        double *g = d + N, *x = g + N, *r = x + b * N;
#pragma omp for schedule(dynamic, 1)
        for (long c = 0; c < nchunk; c++) {
            double *a = acc + (size_t)c * ncheck * 2;
            long r1 = (c + 1) * MC_CHUNK < R ? (c + 1) * MC_CHUNK : R;
            for (long rep = c * MC_CHUNK; rep < r1; rep++) {
                gd_rng rng;
                gd_rng_stream_init(&rng, seed, "sgd-diag", point, (uint64_t)rep);
                for (long i = 0; i < N; i++) d[i] = -ws[i];
                size_t k = 0;
                for (long t = 0;; t++) {
                    if (t == check[k]) {
                        double tr = 0;
                        for (long i = 0; i < N; i++) tr += lam[i] * d[i] * d[i];
                        double L = 0.5 * (tr + s2);
                        if (!isfinite(L) || L > 1e100) L = INFINITY;
                        a[2 * k] += L, a[2 * k + 1] += L * L;
                        if (++k == ncheck) break;
                    }
                    /* A batch: residual r_j = <d, x_j> - xi_j. */
                    for (long j = 0; j < b; j++) {
                        double *xj = x + j * N, dot = 0;
                        for (long i = 0; i < N; i++) {
                            xj[i] = sqrt(lam[i]) * gd_rng_normal(&rng);
                            dot += d[i] * xj[i];
                        }
                        r[j] = dot - sqrt(s2) * gd_rng_normal(&rng);
                    }
                    for (long i = 0; i < N; i++) g[i] = 0;
                    for (long j = 0; j < b; j++)
                        for (long i = 0; i < N; i++) g[i] += r[j] * x[j * N + i];
                    for (long i = 0; i < N; i++) d[i] -= eta / (double)b * g[i];
                }
            }
        }
    }
    double n = (double)R;
    for (size_t k = 0; k < ncheck; k++) {
        double s = 0, ss = 0;
        for (long c = 0; c < nchunk; c++) {
            s += acc[((size_t)c * ncheck + k) * 2];
            ss += acc[((size_t)c * ncheck + k) * 2 + 1];
        }
        double mean = s / n;
        loss[k] = mean;
        loss_se[k] = R > 1 && isfinite(mean) ? sqrt(fmax((ss - n * mean * mean) / (n - 1), 0) / n) : GD_NAN;
    }
    gd_free(acc), gd_free(lam), gd_free(work);
    (void)T;
    return GD_OK;
}
