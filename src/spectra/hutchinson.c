/* Hutchinson's trace estimator (Hutchinson, Comm. Stat. Simul. Comput. 18,
 * 1989) and the Rademacher probes the spectra module shares.
 *
 * For z with independent +-1 entries, E[z^T A z] = trace(A) and
 * Var[z^T A z] = 2 sum_{i != j} A_ij^2 (the smallest of any i.i.d. probe
 * distribution): the diagonal is read without error. The estimate is the
 * mean over nprobe probes, its standard error the sample standard deviation
 * over sqrt(nprobe). Probe i draws from the stream (seed, "hutchinson", 0, i). */
#include "spectra_int.h"

#include <math.h>

void gd_rademacher(gd_rng *r, double *z, size_t n, double scale) {
    uint64_t bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 64 == 0) bits = gd_rng_u64(r);
        z[i] = (bits & 1) ? scale : -scale;
        bits >>= 1;
    }
}

gd_status gd_hutchinson_trace(gd_ctx *ctx, size_t n, gd_matvec A, void *data,
                              size_t nprobe, uint64_t seed, double *trace,
                              double *se) {
    GD_ASSERT(A != NULL && trace != NULL);
    if (n == 0 || nprobe < 2)
        return gd_error(ctx, GD_EINVAL, "hutchinson: need n >= 1 and nprobe >= 2 (got %zu, %zu)",
                        n, nprobe);
    if (n > SIZE_MAX / 2 / sizeof(double))
        return gd_error(ctx, GD_ENOMEM, "hutchinson: dimension %zu is too large", n);
    double *z = gd_malloc(2 * n * sizeof *z);
    if (!z) return gd_error(ctx, GD_ENOMEM, "hutchinson: out of memory for n = %zu", n);
    double *az = z + n;
    /* Welford's running mean and sum of squared deviations. */
    double mean = 0, m2 = 0;
    for (size_t p = 0; p < nprobe; p++) {
        gd_rng rng;
        gd_rng_stream_init(&rng, seed, "hutchinson", 0, (uint64_t)p);
        gd_rademacher(&rng, z, n, 1.0);
        A(data, z, az);
        double q = 0;
        for (size_t i = 0; i < n; i++) q += z[i] * az[i];
        if (!isfinite(q)) {
            gd_free(z);
            return gd_error(ctx, GD_ENUMERIC, "hutchinson: the matrix-vector product is not finite");
        }
        const double dlt = q - mean;
        mean += dlt / (double)(p + 1);
        m2 += dlt * (q - mean);
    }
    gd_free(z);
    *trace = mean;
    if (se) *se = sqrt(m2 / (double)(nprobe - 1) / (double)nprobe);
    return GD_OK;
}
