/* The fixed partition of a batch over OpenMP threads (nn_int.h): the part
 * count, the driver that runs the parts with single-threaded BLAS, and the
 * in-order sum of the parts' accumulators. As in src/modadd: the number of
 * parts depends on the batch size only, so the rounding of every sum is
 * the same for any thread count. */
#include "nn_int.h"

#include <omp.h>
#include <string.h>

size_t gd_nn_nparts(size_t n) {
    const size_t k = n / GD_NN_PART_ROWS;
    return k < 1 ? 1 : k > GD_NN_PARTS ? GD_NN_PARTS : k;
}

/* Part k of K of a batch of n: n / K examples, one more for k < n % K. */
static void part_range(size_t n, size_t K, size_t k, size_t *i0, size_t *i1) {
    const size_t q = n / K, r = n % K;
    *i0 = k * q + (k < r ? k : r);
    *i1 = *i0 + q + (k < r);
}

static void run_part(gd_mlp *m, gd_nn_ws *ws, size_t n, size_t K, size_t k, gd_nn_part_fn fn,
                     void *arg, double *out) {
    size_t i0, i1;
    part_range(n, K, k, &i0, &i1);
    double *acc = NULL;
    if (out) {
        acc = k == 0 ? out : m->acc + (k - 1) * m->P;
        memset(acc, 0, m->P * sizeof *acc);
    }
    fn(m, ws, k, i0, i1, acc, arg);
}

/* out (P) += the accumulators of parts 1..K-1, in part order for each
 * element. An orphaned worksharing loop: split over the threads of the
 * enclosing parallel region, or run whole outside one. */
static void sum_parts(const gd_mlp *m, double *out, size_t K) {
    const size_t P = m->P;
    const double *acc = m->acc;
    const long nP = (long)P;
#pragma omp for schedule(static)
    for (long jj = 0; jj < nP; jj++) {
        const size_t j = (size_t)jj;
        double s = out[j];
        for (size_t k = 1; k < K; k++) s += acc[(k - 1) * P + j];
        out[j] = s;
    }
}

void gd_nn_parts_run(gd_mlp *m, size_t n, gd_nn_part_fn fn, void *arg, double *out) {
    const size_t K = gd_nn_nparts(n);
    const int nth = (size_t)m->threads < K ? m->threads : (int)K;
    GD_ASSERT(nth <= m->nws);
    /* OpenMP-built OpenBLAS (libopenblas0-openmp, which CMakeLists.txt
     * links) runs a call on the calling thread alone inside an active
     * parallel region or when the caller's OpenMP thread count is 1. The
     * count is an ICV of the calling task: setting it here changes nothing
     * for other threads, and it is restored below. */
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    if (nth > 1) {
#pragma omp parallel num_threads(nth)
        {
            gd_nn_ws *ws = &m->ws[omp_get_thread_num()];
            const long nK = (long)K;
#pragma omp for schedule(dynamic, 1)
            for (long k = 0; k < nK; k++) run_part(m, ws, n, K, (size_t)k, fn, arg, out);
            if (out && K > 1) sum_parts(m, out, K);
        }
    } else {
        for (size_t k = 0; k < K; k++) run_part(m, &m->ws[0], n, K, k, fn, arg, out);
        if (out && K > 1) sum_parts(m, out, K);
    }
    omp_set_num_threads(saved);
}
