/* Monte Carlo of linearised SGD in the r coordinates. A step costs O(b r):
 * y' = y - (eta / b) sum_{j in batch} b_j (b_j . y). Each replica owns the
 * stream (seed, "stab", point, replica); replicas are grouped in chunks of
 * SIM_CHUNK whose sums are reduced in chunk order, so the result is the
 * same for any number of threads. Batches without replacement are uniform
 * b-subsets drawn afresh each step by a partial Fisher-Yates shuffle of a
 * per-replica permutation (any permutation is a valid start: the first b
 * positions after the partial shuffle are a uniform subset). */
#include "stab_int.h"
#include "gdlab/rng.h"

#include <math.h>
#include <omp.h>

#define SIM_CHUNK 64
#define SIM_BLOWUP 1e12

/* Uniform integer in [0, n) without modulo bias (threshold 2^64 mod n,
 * as in src/optim/sampler.c). */
static size_t uniform_below(gd_rng *g, uint64_t n) {
    const uint64_t thresh = (0 - n) % n;
    uint64_t x;
    do x = gd_rng_u64(g);
    while (x < thresh);
    return (size_t)(x % n);
}

gd_status gd_stab_simulate(gd_ctx *ctx, const gd_stab *st, double eta,
                           size_t b, int replace, size_t R, uint64_t point,
                           const double *y0, size_t y0_stride,
                           const size_t *check, size_t ncheck, double *loss,
                           double *loss_se, long *diverged) {
    gd_status rc = gd_stab_check_batch_(ctx, st, b);
    if (rc) return rc;
    const size_t m = st->m, r = st->r;
    if (!isfinite(eta))
        return gd_error(ctx, GD_EINVAL, "stab: learning rate must be finite, got %g", eta);
    if (R == 0 || ncheck == 0)
        return gd_error(ctx, GD_EINVAL, "stab: simulate needs R >= 1 replicas and >= 1 "
                        "checkpoint, got R = %zu, ncheck = %zu", R, ncheck);
    if (y0_stride != 0 && y0_stride != r)
        return gd_error(ctx, GD_EINVAL, "stab: y0_stride must be 0 or r = %zu, got %zu", r,
                        y0_stride);
    for (size_t k = 1; k < ncheck; k++)
        if (check[k] < check[k - 1])
            return gd_error(ctx, GD_EINVAL, "stab: checkpoints must ascend (check[%zu] = %zu "
                            "< check[%zu] = %zu)", k, check[k], k - 1, check[k - 1]);
    GD_ASSERT(y0 && loss && loss_se);
    const int nth = ctx->threads > 0 ? ctx->threads : 1;
    const size_t nchunk = (R + SIM_CHUNK - 1) / SIM_CHUNK;
    const size_t per = r + m + b; /* per thread: y (r), res (b), perm (m), batch (b) */
    if (nchunk > SIZE_MAX / 2 / sizeof(double) / ncheck ||
        per > SIZE_MAX / sizeof(double) / (size_t)nth)
        return gd_error(ctx, GD_EINVAL, "stab: simulate sizes overflow");
    double *acc = gd_calloc(nchunk * ncheck * 2, sizeof *acc);
    double *work = gd_malloc((size_t)nth * (r + b) * sizeof *work);
    size_t *perm = gd_malloc((size_t)nth * m * sizeof *perm);
    size_t *batch = gd_malloc((size_t)nth * b * sizeof *batch);
    if (!acc || !work || !perm || !batch) {
        gd_free(acc), gd_free(work), gd_free(perm), gd_free(batch);
        return gd_error(ctx, GD_ENOMEM, "stab: out of memory for the simulation");
    }
    const uint64_t seed = ctx->seed;
    const size_t T = check[ncheck - 1];
    const double *B = st->B, step = eta / (double)b;
#pragma omp parallel num_threads(nth)
    {
        const size_t tid = (size_t)omp_get_thread_num();
        double *y = work + tid * (r + b), *res = y + r;
        size_t *pm = perm + tid * m, *bt = batch + tid * b;
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < nchunk; c++) {
            double *a = acc + c * ncheck * 2;
            size_t r1 = (c + 1) * SIM_CHUNK < R ? (c + 1) * SIM_CHUNK : R;
            for (size_t rep = c * SIM_CHUNK; rep < r1; rep++) {
                gd_rng g;
                gd_rng_stream_init(&g, seed, "stab", point, (uint64_t)rep);
                const double *ys = y0 + rep * y0_stride;
                for (size_t k = 0; k < r; k++) y[k] = ys[k];
                for (size_t j = 0; j < m; j++) pm[j] = j;
                const double L0 = gd_stab_loss(st, y);
                long div = -1;
                size_t kc = 0;
                for (size_t t = 0;; t++) {
                    double L = gd_stab_loss(st, y);
                    if (!isfinite(L)) L = (double)INFINITY;
                    if (div < 0 && (L > SIM_BLOWUP * L0 || !isfinite(L))) div = (long)t;
                    for (; kc < ncheck && check[kc] == t; kc++)
                        a[2 * kc] += L, a[2 * kc + 1] += L * L;
                    if (t == T) break;
                    if (!isfinite(L)) {
                        for (; kc < ncheck; kc++) a[2 * kc] += (double)INFINITY, a[2 * kc + 1] += (double)INFINITY;
                        break;
                    }
                    if (replace) {
                        for (size_t i = 0; i < b; i++) bt[i] = uniform_below(&g, m);
                    } else {
                        for (size_t i = 0; i < b; i++) {
                            size_t j = i + uniform_below(&g, m - i), tmp = pm[i];
                            pm[i] = pm[j], pm[j] = tmp;
                            bt[i] = pm[i];
                        }
                    }
                    /* All b residuals at the same y, then the update. */
                    for (size_t i = 0; i < b; i++) {
                        const double *bj = B + bt[i] * r;
                        double dot = 0;
                        for (size_t k = 0; k < r; k++) dot += bj[k] * y[k];
                        res[i] = step * dot;
                    }
                    for (size_t i = 0; i < b; i++) {
                        const double *bj = B + bt[i] * r;
                        const double ri = res[i];
                        for (size_t k = 0; k < r; k++) y[k] -= ri * bj[k];
                    }
                }
                if (diverged) diverged[rep] = div;
            }
        }
    }
    gd_free(work), gd_free(perm), gd_free(batch);
    const double n = (double)R;
    for (size_t k = 0; k < ncheck; k++) {
        double s = 0, ss = 0;
        for (size_t c = 0; c < nchunk; c++) s += acc[(c * ncheck + k) * 2], ss += acc[(c * ncheck + k) * 2 + 1];
        double mean = s / n;
        loss[k] = mean;
        loss_se[k] = R > 1 && isfinite(mean) ? sqrt(fmax((ss - n * mean * mean) / (n - 1), 0) / n)
                                             : GD_NAN;
    }
    gd_free(acc);
    return GD_OK;
}
