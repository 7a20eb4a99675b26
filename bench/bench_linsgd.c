/* Benchmark driver for the linsgd kernels (bench/README.md).
 *
 * Runs each case best of REPS wall-clock (gd_now) and prints one JSON line
 * per case with its time and its result; bench/run races these against
 * bench/peer_numpy.py, which prints the same lines.
 *
 *   diag_risk  gd_diag_risk, N = 1e4, T = 1e5, batch 1, p = 1.5, q = 0.5,
 *              sigma2 = 0.01, eta = 0.2: the loss at step T.
 *   lin1d_mc   gd_lin1d_mc, R = 1e6 replicas, T = 100, eta = 0.1, theta = 3,
 *              sigma2 = 1: mean conditional test loss at T, its standard
 *              error, and the exact value gd_lin1d_loss; once per thread
 *              count (1 and 2 by default).
 *
 * Usage: bench_linsgd [reps [threads...]]   (defaults: 3, then 1 2) */
#include "gdlab/core.h"
#include "gdlab/linsgd.h"

#include <stdio.h>
#include <stdlib.h>

#define DIAG_N 10000L
#define DIAG_T 100000L
#define MC_R 1000000L
#define MC_T 100L
#define MC_SEED 20241123u

static void put_times(const double *t, int n) {
    printf("\"times\": [");
    for (int i = 0; i < n; i++) printf("%s%.6f", i ? ", " : "", t[i]);
    printf("]");
}

static double best_of(const double *t, int n) {
    double b = t[0];
    for (int i = 1; i < n; i++)
        if (t[i] < b) b = t[i];
    return b;
}

static int bench_diag(int reps) {
    const gd_diag m = {1.5, 0.5, 0.01, 1, DIAG_N};
    const double eta = 0.2;
    const long check[1] = {DIAG_T};
    double loss = 0, times[16];
    long div = -1;
    for (int r = 0; r < reps; r++) {
        double t0 = gd_now();
        size_t k = gd_diag_risk(&m, eta, check, 1, &loss, &div);
        times[r] = gd_now() - t0;
        if (k != 1) {
            fprintf(stderr, "bench_linsgd: gd_diag_risk diverged at %ld\n", div);
            return 1;
        }
    }
    printf("{\"case\": \"diag_risk\", \"impl\": \"gdlab\", \"threads\": 1, "
           "\"N\": %ld, \"T\": %ld, \"seconds\": %.6f, ",
           DIAG_N, DIAG_T, best_of(times, reps));
    put_times(times, reps);
    printf(", \"loss\": %.17g, \"tail_noise\": %.17g}\n", loss,
           gd_diag_tail_noise(&m));
    fflush(stdout);
    return 0;
}

static int bench_mc(int reps, int threads) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.seed = MC_SEED;
    ctx.threads = threads;
    const gd_lin1d m = gd_lin1d_default_params(); /* theta 3, sigma2 1 */
    const double eta = 0.1;
    const long check[1] = {MC_T};
    double loss = 0, se = 0, mw = 0, mwse = 0, times[16];
    for (int r = 0; r < reps; r++) {
        double t0 = gd_now();
        gd_status s = gd_lin1d_mc(&ctx, &m, eta, MC_T, MC_R, 0, check, 1, &loss,
                                  &se, &mw, &mwse);
        times[r] = gd_now() - t0;
        if (s != GD_OK) {
            fprintf(stderr, "bench_linsgd: gd_lin1d_mc: %s\n", ctx.err);
            return 1;
        }
    }
    printf("{\"case\": \"lin1d_mc\", \"impl\": \"gdlab\", \"threads\": %d, "
           "\"R\": %ld, \"T\": %ld, \"seconds\": %.6f, ",
           threads, MC_R, MC_T, best_of(times, reps));
    put_times(times, reps);
    printf(", \"loss\": %.17g, \"loss_se\": %.17g, \"exact\": %.17g}\n", loss, se,
           gd_lin1d_loss(&m, eta, (double)MC_T));
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    if (reps < 1 || reps > 16) {
        fprintf(stderr, "usage: bench_linsgd [reps 1..16 [threads...]]\n");
        return 2;
    }
    if (bench_diag(reps)) return 1;
    if (argc > 2) {
        for (int i = 2; i < argc; i++)
            if (bench_mc(reps, atoi(argv[i]) > 0 ? atoi(argv[i]) : 1)) return 1;
    } else {
        if (bench_mc(reps, 1) || bench_mc(reps, 2)) return 1;
    }
    return 0;
}
