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
 *   zipf_mc    gd_zipf_mc, a = 1, b = 2, width N = 100 (K = 10 ranks),
 *              T = 1000, eta = 0.1, theta = 3, sigma2 = 1, R = 2e4: the
 *              same outputs (exact value gd_zipf_loss); once per thread
 *              count.
 *
 * Each line also carries the process CPU time of the best run (clock()):
 * on a loaded machine the 1-thread CPU times compare better than the wall
 * times (for 2 threads it is the sum over both).
 *
 * Usage: bench_linsgd [reps [threads...]]   (defaults: 3, then 1 2) */
#include "gdlab/core.h"
#include "gdlab/linsgd.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DIAG_N 10000L
#define DIAG_T 100000L
#define MC_R 1000000L
#define MC_T 100L
#define MC_SEED 20241123u
#define ZIPF_A 1.0
#define ZIPF_B 2.0
#define ZIPF_N 100.0
#define ZIPF_T 1000L
#define ZIPF_R 20000L
#define ZIPF_ETA 0.1

static double cpu_now(void) { return (double)clock() / CLOCKS_PER_SEC; }

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
    double loss = 0, times[16], cpu[16];
    long div = -1;
    for (int r = 0; r < reps; r++) {
        double t0 = gd_now(), c0 = cpu_now();
        size_t k = gd_diag_risk(&m, eta, check, 1, &loss, &div);
        times[r] = gd_now() - t0, cpu[r] = cpu_now() - c0;
        if (k != 1) {
            fprintf(stderr, "bench_linsgd: gd_diag_risk diverged at %ld\n", div);
            return 1;
        }
    }
    printf("{\"case\": \"diag_risk\", \"impl\": \"gdlab\", \"threads\": 1, "
           "\"N\": %ld, \"T\": %ld, \"seconds\": %.6f, \"cpu_seconds\": %.6f, ",
           DIAG_N, DIAG_T, best_of(times, reps), best_of(cpu, reps));
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
    double loss = 0, se = 0, mw = 0, mwse = 0, times[16], cpu[16];
    for (int r = 0; r < reps; r++) {
        double t0 = gd_now(), c0 = cpu_now();
        gd_status s = gd_lin1d_mc(&ctx, &m, eta, MC_T, MC_R, 0, check, 1, &loss,
                                  &se, &mw, &mwse);
        times[r] = gd_now() - t0, cpu[r] = cpu_now() - c0;
        if (s != GD_OK) {
            fprintf(stderr, "bench_linsgd: gd_lin1d_mc: %s\n", ctx.err);
            return 1;
        }
    }
    printf("{\"case\": \"lin1d_mc\", \"impl\": \"gdlab\", \"threads\": %d, "
           "\"R\": %ld, \"T\": %ld, \"seconds\": %.6f, \"cpu_seconds\": %.6f, ",
           threads, MC_R, MC_T, best_of(times, reps), best_of(cpu, reps));
    put_times(times, reps);
    printf(", \"loss\": %.17g, \"loss_se\": %.17g, \"exact\": %.17g}\n", loss, se,
           gd_lin1d_loss(&m, eta, (double)MC_T));
    fflush(stdout);
    return 0;
}

static int bench_zipf(int reps, int threads) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.seed = MC_SEED;
    ctx.threads = threads;
    gd_zipf *z = gd_zipf_new(&ctx, ZIPF_A, ZIPF_B, 3.0, 1.0);
    if (!z) {
        fprintf(stderr, "bench_linsgd: gd_zipf_new: %s\n", ctx.err);
        return 1;
    }
    double loss = 0, se = 0, times[16], cpu[16];
    for (int r = 0; r < reps; r++) {
        double t0 = gd_now(), c0 = cpu_now();
        gd_status s = gd_zipf_mc(&ctx, z, ZIPF_N, ZIPF_T, ZIPF_ETA, ZIPF_R, &loss, &se);
        times[r] = gd_now() - t0, cpu[r] = cpu_now() - c0;
        if (s != GD_OK) {
            fprintf(stderr, "bench_linsgd: gd_zipf_mc: %s\n", ctx.err);
            gd_zipf_free(z);
            return 1;
        }
    }
    printf("{\"case\": \"zipf_mc\", \"impl\": \"gdlab\", \"threads\": %d, "
           "\"R\": %ld, \"T\": %ld, \"K\": %.0f, \"seconds\": %.6f, \"cpu_seconds\": %.6f, ",
           threads, ZIPF_R, ZIPF_T, gd_zipf_rank_limit(z, ZIPF_N), best_of(times, reps),
           best_of(cpu, reps));
    put_times(times, reps);
    printf(", \"loss\": %.17g, \"loss_se\": %.17g, \"exact\": %.17g}\n", loss, se,
           gd_zipf_loss(z, ZIPF_N, (double)ZIPF_T, ZIPF_ETA, NULL));
    fflush(stdout);
    gd_zipf_free(z);
    return 0;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    if (reps < 1 || reps > 16) {
        fprintf(stderr, "usage: bench_linsgd [reps 1..16 [threads...]]\n");
        return 2;
    }
    if (bench_diag(reps)) return 1;
    int th[16], nth = 0;
    for (int i = 2; i < argc && nth < 16; i++) th[nth++] = atoi(argv[i]) > 0 ? atoi(argv[i]) : 1;
    if (nth == 0) th[nth++] = 1, th[nth++] = 2;
    for (int i = 0; i < nth; i++)
        if (bench_mc(reps, th[i])) return 1;
    for (int i = 0; i < nth; i++)
        if (bench_zipf(reps, th[i])) return 1;
    return 0;
}
