/* Stochastic Lanczos quadrature for the spectral density (Lin, Saad and
 * Yang, "Approximating spectral densities of large matrices", SIAM Review
 * 58, 2016; Ghorbani, Krishnan and Xiao, ICML 2019, for Hessians).
 *
 * For a unit probe v = z / sqrt(n), z Rademacher, the spectral measure
 * mu_v = sum_i (q_i^T v)^2 delta(lambda_i) has mean (over z) the uniform
 * measure on the n eigenvalues. m Lanczos steps from v give T_m = S diag(theta)
 * S^T, and the Gauss quadrature sum_j tau_j^2 delta(theta_j), tau_j = S_{1j},
 * matches the first 2m - 1 moments of mu_v exactly. Averaging the nprobe
 * quadratures gives nodes theta and weights tau^2 / nprobe (summing to one),
 * smoothed by a Gaussian kernel into a density. The Lanczos runs keep full
 * reorthogonalisation, so no ghost copies of extreme eigenvalues steal
 * weight. A probe whose Krylov space becomes invariant after d < m steps
 * (or d = n) has an exact quadrature with d nodes; its other m - d slots
 * get weight 0 and repeat its largest node. */
#include "spectra_int.h"

#include <lapacke.h>
#include <math.h>
#include <omp.h>

gd_status gd_slq_density(gd_ctx *ctx, size_t n, gd_matvec A, void *data,
                         size_t nprobe, size_t m, uint64_t seed, double *nodes,
                         double *weights, const double *x, size_t ngrid,
                         double sigma, double *dens) {
    GD_ASSERT(A != NULL && nodes != NULL && weights != NULL);
    if (n == 0 || nprobe == 0 || m == 0)
        return gd_error(ctx, GD_EINVAL, "slq: need n, nprobe and m >= 1 (got %zu, %zu, %zu)", n,
                        nprobe, m);
    if (ngrid > 0) {
        GD_ASSERT(x != NULL && dens != NULL);
        if (!(sigma > 0) || !isfinite(sigma))
            return gd_error(ctx, GD_EINVAL, "slq: kernel width sigma = %g is not > 0", sigma);
    }
    const size_t cap = m < n ? m : n;
    gd_krylov kr;
    gd_status st = gd_krylov_init(ctx, &kr, n, cap);
    if (st != GD_OK) return st;

    const double scale = 1.0 / sqrt((double)n);
    for (size_t p = 0; p < nprobe; p++) {
        gd_rng rng;
        gd_rng_stream_init(&rng, seed, "slq", 0, (uint64_t)p);
        kr.d = 0;
        gd_rademacher(&rng, kr.w, n, scale);
        gd_krylov_push(&kr, kr.w, 1.0);
        for (;;) {
            if ((st = gd_krylov_step(ctx, &kr, A, data)) != GD_OK) goto done;
            const double beta = kr.beta[kr.d - 1];
            if (kr.d == cap || gd_krylov_breakdown(&kr, beta)) break;
            gd_krylov_push(&kr, kr.w, beta);
        }
        if ((st = gd_krylov_ritz(ctx, &kr, 0, 1)) != GD_OK) goto done;
        const size_t d = kr.d;
        double *nd = nodes + p * m, *wt = weights + p * m;
        for (size_t c = 0; c < m; c++) {
            if (c < d) {
                const double tau = kr.Z[c * d]; /* first component of eigenvector c */
                nd[c] = kr.ev[c];
                wt[c] = tau * tau / (double)nprobe;
            } else {
                nd[c] = kr.ev[d - 1];
                wt[c] = 0;
            }
        }
    }

    /* The smoothed density: each grid point sums the nodes in a fixed
     * order, so the result does not depend on the thread count. */
    if (ngrid > 0) {
        const size_t nn = nprobe * m;
        const double c0 = 1.0 / (sigma * 2.5066282746310002 /* sqrt(2 pi) */), c1 = -0.5 / (sigma * sigma);
        const long ng = (long)ngrid;
#pragma omp parallel for schedule(static) num_threads(ctx ? ctx->threads : 1)
        for (long g = 0; g < ng; g++) {
            double s = 0;
            for (size_t j = 0; j < nn; j++) {
                const double dx = x[g] - nodes[j];
                s += weights[j] * exp(c1 * dx * dx);
            }
            dens[g] = c0 * s;
        }
    }
done:
    gd_krylov_free(&kr);
    return st;
}
