/* Benchmark driver: the orbit diagram of GD on f = 1/2 (1 - x y)^2 over
 * NETA learning rates evenly spaced in [ETA_LO, ETA_HI], STEPS GD steps
 * each from (0.45, 0.55), the last K iterates kept (gdlab's side of the
 * race against bench/peer_orbit.py). Uses gd_orbit_mf_batch, the batched
 * fast path of gd_orbit_diagram. Best of REPS wall-clock runs; one JSON
 * line; the kept iterates (x then y, each (NETA, K) row-major float64) are
 * written to OUT when given, for bench/run_orbit's agreement check.
 * Usage: bench_orbit [NETA [STEPS [K [THREADS [REPS [OUT]]]]]] */
#include "gdlab/gdlab.h"
#include "gdlab/orbit.h"

#include <stdio.h>
#include <stdlib.h>

#define ETA_LO 0.5
#define ETA_HI 2.0

int main(int argc, char **argv) {
    size_t neta = argc > 1 ? (size_t)atol(argv[1]) : 4096;
    long steps = argc > 2 ? atol(argv[2]) : 100000;
    size_t K = argc > 3 ? (size_t)atol(argv[3]) : 64;
    int threads = argc > 4 ? atoi(argv[4]) : 2, reps = argc > 5 ? atoi(argv[5]) : 3;
    const char *out = argc > 6 ? argv[6] : NULL;
    if (neta < 2 || K < 1 || steps < (long)K || threads < 1 || reps < 1) {
        fprintf(stderr, "usage: bench_orbit [NETA>=2 [STEPS>=K [K>=1 [THREADS>=1 [REPS>=1 [OUT]]]]]]\n");
        return 2;
    }
    double *eta = malloc(neta * sizeof *eta), *xs = malloc(neta * K * sizeof *xs), *ys = malloc(neta * K * sizeof *ys);
    if (!eta || !xs || !ys) return 3;
    /* The grid exactly as numpy.linspace makes it (j * step + lo, the last
     * value set to hi), so the peers iterate the same learning rates bit
     * for bit. */
    const double step = (ETA_HI - ETA_LO) / (double)(neta - 1);
    for (size_t j = 0; j < neta; j++) eta[j] = (double)j * step + ETA_LO;
    eta[neta - 1] = ETA_HI;
    double best = 1e300, all[64];
    for (int r = 0; r < reps && r < 64; r++) {
        double t0 = gd_now();
        gd_orbit_mf_batch(1.0, eta, neta, 0.45, 0.55, steps - (long)K, K, 1e8, threads, xs, ys);
        all[r] = gd_now() - t0;
        if (all[r] < best) best = all[r];
    }
    size_t ndiv = 0;
    for (size_t j = 0; j < neta; j++) ndiv += xs[j * K] != xs[j * K];
    if (out) {
        FILE *f = fopen(out, "wb");
        if (!f || fwrite(xs, sizeof *xs, neta * K, f) != neta * K || fwrite(ys, sizeof *ys, neta * K, f) != neta * K ||
            fclose(f)) {
            fprintf(stderr, "bench_orbit: cannot write %s\n", out);
            return 3;
        }
    }
    printf("{\"case\": \"orbit_diagram\", \"impl\": \"gdlab\", \"threads\": %d, \"neta\": %zu, \"steps\": %ld, "
           "\"K\": %zu, \"eta_lo\": %g, \"eta_hi\": %g, \"seconds\": %.6f, \"all\": [", threads, neta, steps, K,
           ETA_LO, ETA_HI, best);
    for (int r = 0; r < reps && r < 64; r++) printf("%s%.6f", r ? ", " : "", all[r]);
    printf("], \"diverged\": %zu, \"lane_steps_per_ns\": %.4f}\n", ndiv, (double)neta * (double)steps / best * 1e-9);
    free(eta), free(xs), free(ys);
    return 0;
}
