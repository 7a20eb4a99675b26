/* Times full-batch Adam on the modadd network (include/gdlab/modadd.h):
 * p, width, steps from the command line (default 127 512 20), train pairs
 * the first 90% of a seeded shuffle, projected MSE, lr 0.01, coupled
 * weight decay 5e-5. Prints one JSON line per precision: seconds per
 * step (best of 3 runs of `steps` steps after one warm-up step) and the
 * final loss. Raced against bench/peer_torch_modadd.py by bench/run_modadd. */
#include "gdlab/gdlab.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

void openblas_set_num_threads(int n);

int main(int argc, char **argv) {
    const size_t p = argc > 1 ? (size_t)atol(argv[1]) : 127, q = argc > 2 ? (size_t)atol(argv[2]) : 512;
    const int steps = argc > 3 ? atoi(argv[3]) : 20;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.threads = omp_get_num_procs();
    openblas_set_num_threads(ctx.threads);
    const size_t n = p * p, ntrain = (size_t)(0.9 * (double)n + 0.5);
    uint32_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (uint32_t)((i * 7919) % n); /* a fixed permutation (n prime to 7919) */
    for (int f32 = 1; f32 >= 0; f32--) {
        gd_modadd_params mp = gd_modadd_default_params();
        mp.p = p, mp.width = q, mp.float32 = f32;
        gd_modadd *m = gd_modadd_new(&ctx, &mp, 0);
        const size_t P = gd_modadd_nparams(m);
        double *w = malloc(P * sizeof *w), *g = malloc(P * sizeof *g);
        gd_optim_params op = gd_optim_default_params();
        op.weight_decay = 5e-5, op.beta2 = 0.98;
        double best = 1e300, L = 0;
        for (int rep = 0; rep < 3; rep++) {
            gd_modadd_init(m, w, 1, 1);
            gd_optim *o = gd_optim_new(&ctx, gd_optim_find("adam"), P, &op);
            gd_modadd_loss_grad(m, w, ids, ntrain, g, NULL);
            gd_optim_step(o, w, g, 0.01);
            double t0 = gd_now();
            for (int s = 0; s < steps; s++) {
                L = gd_modadd_loss_grad(m, w, ids, ntrain, g, NULL);
                gd_optim_step(o, w, g, 0.01);
            }
            double t = (gd_now() - t0) / steps;
            if (t < best) best = t;
            gd_optim_free(o);
        }
        printf("{\"impl\": \"gdlab\", \"dtype\": \"%s\", \"p\": %zu, \"width\": %zu, \"threads\": %d, "
               "\"seconds_per_step\": %.6g, \"final_loss\": %.8g}\n",
               f32 ? "float32" : "float64", p, q, ctx.threads, best, L);
        free(w), free(g);
        gd_modadd_free(m);
    }
    free(ids);
    return 0;
}
