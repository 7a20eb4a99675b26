/* Benchmark driver: gdlab's side of the edge-of-stability race against
 * bench/peer_torch_eos.py. Full-batch GD on digits (standardised), a
 * 64-100-100-10 tanh MLP with PyTorch's default initialisation, MSE (mean
 * of 1/2 ||f - y||^2 on one-hot targets), the top two Hessian eigenvalues
 * every EVERY steps by Lanczos (k = 2, relative residual 1e-4, warm-started
 * from the previous top vector). THREADS (default: all cores) is what
 * gdlab --threads N sets: the engine's OpenMP threads and OpenBLAS's; as
 * in gdlab run eos, Lanczos's own BLAS calls run on one thread (src/exp/
 * eos.c), so the numbers are the same for any THREADS. Prints one JSON
 * line.
 * Usage: bench_eos STEPS EVERY ETA [THREADS] */
#include "gdlab/gdlab.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS's thread count (declared in its cblas.h), as src/cli/main.c sets it. */
void openblas_set_num_threads(int n);

typedef struct hop {
    gd_mlp *m;
    const double *w, *x, *y;
    size_t n;
} hop;

static void mv(void *d, const double *v, double *out) {
    hop *h = d;
    gd_mlp_hvp(h->m, h->w, h->x, h->y, h->n, v, out);
}

int main(int argc, char **argv) {
    long steps = argc > 1 ? atol(argv[1]) : 50, every = argc > 2 ? atol(argv[2]) : 10;
    double eta = argc > 3 ? atof(argv[3]) : 0.04;
    int threads = argc > 4 ? atoi(argv[4]) : omp_get_num_procs();
    if (threads < 1) threads = 1;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.threads = threads;
    openblas_set_num_threads(threads);
    gd_dataset *ds;
    if (gd_data_load(&ctx, "digits", 1, &ds) != GD_OK) {
        fprintf(stderr, "bench_eos: %s\n", ctx.err);
        return 2;
    }
    gd_data_standardize(ds);
    gd_mlp_params mp = gd_mlp_default_params();
    mp.n_layers = 3;
    mp.width[0] = 64, mp.width[1] = 100, mp.width[2] = 100, mp.width[3] = 10;
    mp.act = GD_ACT_TANH;
    mp.loss = GD_LOSS_MSE;
    gd_mlp *m = gd_mlp_new(&ctx, &mp, ds->n);
    size_t P = gd_mlp_nparams(m), n = ds->n;
    double *w = malloc(P * sizeof *w), *g = malloc(P * sizeof *g), *y = malloc(n * 10 * sizeof *y);
    double *v = malloc(2 * P * sizeof *v);
    gd_data_targets(ds, y);
    gd_mlp_init(m, w, 1);
    hop h = {m, w, ds->x, y, n};
    gd_lanczos_params lp = gd_lanczos_default_params();
    lp.k = 2, lp.tol = 1e-4;
    gd_lanczos_result lr = {0};
    size_t hvps = 0;
    const int omp_saved = omp_get_max_threads();
    omp_set_num_threads(1);
    double L = 0, t0 = gd_now();
    for (long t = 0; t <= steps; t++) {
        if (t % every == 0) {
            gd_lanczos_top(&ctx, P, mv, &h, &lp, t ? v : NULL, v, &lr);
            hvps += lr.nmatvec;
        }
        L = gd_mlp_loss_grad(m, w, ds->x, y, n, g, NULL);
        if (t < steps)
            for (size_t i = 0; i < P; i++) w[i] -= eta * g[i];
    }
    double secs = gd_now() - t0;
    omp_set_num_threads(omp_saved);
    printf("{\"peer\": \"gdlab\", \"dtype\": \"float64\", \"threads\": %d, \"seconds\": %.6f, "
           "\"final_loss\": %.17g, \"sharpness\": %.17g, \"lambda2\": %.17g, \"hvps\": %zu}\n",
           threads, secs, L, lr.eval[0], lr.eval[1], hvps);
    free(w), free(g), free(y), free(v);
    gd_mlp_free(m);
    gd_data_free(ds);
    return 0;
}
