/* Benchmark driver: per-example gradients (the Jacobian rows of a scalar
 * MLP) and the Gram matrix J J^T, gdlab's side of the race against
 * bench/peer_torch_pergrad.py. Digits (standardised), first M examples,
 * a 64-H-H-1 tanh MLP. Best of 3; one JSON line.
 * Usage: bench_stab M H */
#include "gdlab/gdlab.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    size_t M = argc > 1 ? (size_t)atol(argv[1]) : 500, H = argc > 2 ? (size_t)atol(argv[2]) : 256;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.threads = 2;
    gd_dataset *ds;
    if (gd_data_load(&ctx, "digits", 1, &ds) != GD_OK) {
        fprintf(stderr, "bench_stab: %s\n", ctx.err);
        return 2;
    }
    gd_data_standardize(ds);
    gd_mlp_params mp = gd_mlp_default_params();
    mp.n_layers = 3;
    mp.width[0] = 64, mp.width[1] = H, mp.width[2] = H, mp.width[3] = 1;
    mp.act = GD_ACT_TANH;
    gd_mlp *m = gd_mlp_new(&ctx, &mp, M);
    size_t P = gd_mlp_nparams(m);
    double *w = malloc(P * sizeof *w), *J = malloc(M * P * sizeof *J), *G = malloc(M * M * sizeof *G);
    gd_mlp_init(m, w, 1);
    double best = 1e300, bj = 0, trace = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = gd_now();
        gd_mlp_jacobian(m, w, ds->x, M, J);
        double t1 = gd_now();
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)M, (int)P, 1.0, J, (int)P, 0.0, G, (int)M);
        double t2 = gd_now();
        if (t2 - t0 < best) best = t2 - t0, bj = t1 - t0;
    }
    for (size_t i = 0; i < M; i++) trace += G[i * M + i];
    printf("{\"peer\": \"gdlab\", \"M\": %zu, \"P\": %zu, \"seconds\": %.6f, \"jacobian_s\": %.6f, "
           "\"gram_trace\": %.17g}\n", M, P, best, bj, trace);
    free(w), free(J), free(G);
    gd_mlp_free(m);
    gd_data_free(ds);
    return 0;
}
