/* The diagonal Gaussian model: exact risk curve from the second-moment
 * recursion (O(N) per step) and Monte Carlo of the real mini-batch SGD.
 * See include/gdlab/linsgd.h for the recursion. */
#include "gdlab/linsgd.h"
#include "gdlab/rng.h"

#include <gsl/gsl_sf_zeta.h>
#include <math.h>
#include <omp.h>

double gd_diag_tail_noise(const gd_diag *m) {
    double s = m->p + 2.0 * m->q;
    if (!(s > 1.0)) return INFINITY;
    return gsl_sf_hzeta(s, (double)m->width + 1.0);
}

size_t gd_diag_risk(const gd_diag *m, double eta, const long *check,
                    size_t ncheck, double *loss, long *diverged_at) {
    const long N = m->width;
    const double s2 = m->sigma2 + gd_diag_tail_noise(m);
    const double ib = 1.0 / (double)m->batch;
    double *D = gd_malloc((size_t)N * 3 * sizeof *D);
    *diverged_at = -1;
    if (!D) return 0;
    double *lam = D + N, *A = D + 2 * N;
    double tr = 0; /* sum_j l_j D_j */
    for (long i = 0; i < N; i++) {
        double l = pow((double)(i + 1), -m->p), w = pow((double)(i + 1), -m->q);
        lam[i] = l;
        D[i] = w * w;
        A[i] = 1.0 - 2.0 * eta * l + eta * eta * l * l * (1.0 + ib);
        tr += l * D[i];
    }
    const double ke = eta * eta * ib;
    size_t k = 0;
    long t = 0;
    const long T = ncheck ? check[ncheck - 1] : 0;
    for (;;) {
        double L = 0.5 * (tr + s2);
        if (!isfinite(L) || L > 1e100) {
            *diverged_at = t;
            break;
        }
        while (k < ncheck && check[k] == t) loss[k++] = L;
        if (t == T) break;
        /* One pass: update D and accumulate the next trace with four
         * independent partial sums (vectorisable, fixed order). */
        const double kap = ke * (tr + s2);
        double s0 = 0, s1 = 0, s2p = 0, s3 = 0;
        long i = 0;
        for (; i + 4 <= N; i += 4) {
            double d0 = A[i] * D[i] + kap * lam[i];
            double d1 = A[i + 1] * D[i + 1] + kap * lam[i + 1];
            double d2 = A[i + 2] * D[i + 2] + kap * lam[i + 2];
            double d3 = A[i + 3] * D[i + 3] + kap * lam[i + 3];
            D[i] = d0, D[i + 1] = d1, D[i + 2] = d2, D[i + 3] = d3;
            s0 += lam[i] * d0, s1 += lam[i + 1] * d1;
            s2p += lam[i + 2] * d2, s3 += lam[i + 3] * d3;
        }
        for (; i < N; i++) {
            D[i] = A[i] * D[i] + kap * lam[i];
            s0 += lam[i] * D[i];
        }
        tr = (s0 + s1) + (s2p + s3);
        t++;
    }
    gd_free(D);
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
