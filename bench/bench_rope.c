/* Times the RoPE feasibility check of one base (claims.h) over every m <
 * L, no early exit, on all the threads asked for. Prints one JSON line.
 * Usage: bench_rope [D [L [BASE [THREADS]]]]   (default 128 1048576 5e8 2) */
#include "gdlab/claims.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const size_t d = argc > 1 ? (size_t)atol(argv[1]) : 128;
    const long L = argc > 2 ? atol(argv[2]) : 1048576;
    const double b = argc > 3 ? atof(argv[3]) : 5e8;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.threads = argc > 4 ? atoi(argv[4]) : 2;
    gd_rope_check c;
    double best = 1e300;
    for (int rep = 0; rep < 3; rep++) {
        const double t0 = gd_now();
        if (gd_rope_check_base(&ctx, d, L, b, 0, 0, &c) != GD_OK) {
            fprintf(stderr, "bench_rope: %s\n", ctx.err);
            return 1;
        }
        const double t = gd_now() - t0;
        if (t < best) best = t;
    }
    printf("{\"seconds\": %.6f, \"min_sum\": %.12g, \"argmin_m\": %ld, \"feasible\": %d}\n", best, c.min_sum,
           c.argmin_m, c.feasible);
    return 0;
}
