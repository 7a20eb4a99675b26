/* The 1-D linear model x ~ N(0,1), y = theta x + eps: exact moments by the
 * affine moment recursion and Monte Carlo of the real algorithm. See
 * include/gdlab/linsgd.h for the derivation. */
#include "gdlab/linsgd.h"
#include "gdlab/rng.h"

#include <math.h>
#include <omp.h>

gd_lin1d gd_lin1d_default_params(void) {
    gd_lin1d m = {3.0, 1.0};
    return m;
}

/* An affine map x -> a x + c; the composition g(f(x)) of f = (a1, c1) and
 * g = (a2, c2) is (a2 a1, a2 c1 + c2). */
typedef struct affine { double a, c; } affine;

static affine compose(affine f, affine g) {
    affine h = {g.a * f.a, g.a * f.c + g.c};
    return h;
}

/* f composed with itself T times, by binary powering: O(log T) products,
 * each of which only multiplies and adds non-negative numbers when a, c
 * are non-negative, so the relative error stays at a few ulps per level. */
static affine affine_pow(affine f, double T) {
    affine acc = {1.0, 0.0};
    double n = T;
    while (n >= 1.0) {
        double half = floor(n / 2.0);
        if (n - 2.0 * half >= 1.0) acc = compose(acc, f);
        f = compose(f, f);
        n = half;
    }
    return acc;
}

void gd_lin1d_moments(const gd_lin1d *m, double eta, double T, double *mean_w,
                      double *v) {
    GD_ASSERT(T >= 0 && T == floor(T));
    if (mean_w) {
        /* E d' = (1 - eta) E d, d0 = -theta. */
        affine f = {1.0 - eta, 0.0};
        *mean_w = m->theta + affine_pow(f, T).a * (-m->theta);
    }
    if (v) {
        affine f = {1.0 - 2.0 * eta + 3.0 * eta * eta, eta * eta * m->sigma2};
        affine g = affine_pow(f, T);
        *v = g.a * m->theta * m->theta + g.c;
    }
}

double gd_lin1d_loss(const gd_lin1d *m, double eta, double T) {
    double v;
    gd_lin1d_moments(m, eta, T, NULL, &v);
    return 0.5 * (v + m->sigma2);
}

double gd_lin1d_loss_iterate(const gd_lin1d *m, double eta, long T) {
    double r = 1.0 - 2.0 * eta + 3.0 * eta * eta;
    double v = m->theta * m->theta;
    for (long t = 0; t < T; t++) v = r * v + eta * eta * m->sigma2;
    return 0.5 * (v + m->sigma2);
}

/* Replicas are grouped in chunks of this size; each chunk's sums are kept
 * apart and added in chunk order at the end (thread-count independent). */
#define MC_CHUNK 4096
/* Normals drawn per batch and replica (even: x and eps of a step). */
#define NORMAL_BUF 256
/* Replicas stepped side by side. */
#define GROUP 8

/* ns SGD steps of GROUP replicas side by side, replica g taking the
 * normals z[g][zn], z[g][zn + 1], ... (x then eps of each step). Their w
 * updates are independent chains, so the CPU overlaps them (one replica
 * alone is bound by the latency of its own update); the loop over g is
 * unrolled so the w stay in registers. */
static void mc_steps(double w[GROUP], const double (*z)[NORMAL_BUF], size_t zn, long ns,
                     double theta, double sd, double eta) {
    double v[GROUP];
    for (int g = 0; g < GROUP; g++) v[g] = w[g];
    for (long s = 0; s < ns; s++, zn += 2) {
#pragma GCC unroll 8
        for (int g = 0; g < GROUP; g++) {
            double x = z[g][zn], y = theta * x + sd * z[g][zn + 1];
            v[g] -= eta * (v[g] * x - y) * x;
        }
    }
    for (int g = 0; g < GROUP; g++) w[g] = v[g];
}

gd_status gd_lin1d_mc(gd_ctx *ctx, const gd_lin1d *m, double eta, long T,
                      long R, uint64_t point, const long *check, size_t ncheck,
                      double *loss, double *loss_se, double *mean_w,
                      double *mean_w_se) {
    GD_ASSERT(R >= 1 && T >= 0);
    for (size_t i = 0; i < ncheck; i++)
        GD_ASSERT(check[i] <= T && (i == 0 || check[i] > check[i - 1]));
    long nchunk = (R + MC_CHUNK - 1) / MC_CHUNK;
    /* Per chunk and checkpoint: sums of (loss - ref), its square, w - ref,
     * its square. Shifting by the exact value keeps the sums well scaled. */
    double *acc = gd_calloc((size_t)nchunk * ncheck * 4, sizeof *acc);
    double *ref_l = gd_malloc(ncheck * sizeof *ref_l);
    double *ref_w = gd_malloc(ncheck * sizeof *ref_w);
    if (!acc || !ref_l || !ref_w) {
        gd_free(acc), gd_free(ref_l), gd_free(ref_w);
        return gd_error(ctx, GD_ENOMEM, "out of memory for %ld Monte Carlo chunks", nchunk);
    }
    for (size_t i = 0; i < ncheck; i++) {
        ref_l[i] = gd_lin1d_loss(m, eta, (double)check[i]);
        gd_lin1d_moments(m, eta, (double)check[i], &ref_w[i], NULL);
    }
    const double theta = m->theta, sd = sqrt(m->sigma2);
    const uint64_t seed = ctx->seed;
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx->threads)
    for (long c = 0; c < nchunk; c++) {
        double *a = acc + (size_t)c * ncheck * 4;
        long r1 = (c + 1) * MC_CHUNK < R ? (c + 1) * MC_CHUNK : R;
        /* Each replica draws from its own stream in the same order (its
         * normals in batches of NORMAL_BUF, gd_rng_normals_zig: the numbers
         * do not depend on the batching), and the sums take the replicas in
         * order, so the result is the same for any number of threads. */
        for (long g0 = c * MC_CHUNK; g0 < r1; g0 += GROUP) {
            const int ng = r1 - g0 < GROUP ? (int)(r1 - g0) : GROUP;
            gd_rng rng[GROUP];
            double w[GROUP], z[GROUP][NORMAL_BUF];
            for (int g = 0; g < GROUP; g++) {
                if (g < ng) gd_rng_stream_init(&rng[g], seed, "sgd-1d", point, (uint64_t)(g0 + g));
                w[g] = 0.0;
            }
            /* Lanes past ng (the last group of a chunk) step on zeros. */
            for (int g = ng; g < GROUP; g++)
                for (int j = 0; j < NORMAL_BUF; j++) z[g][j] = 0.0;
            size_t k = 0, zn = NORMAL_BUF;
            long t = 0;
            while (k < ncheck) {
                if (t == check[k]) {
                    for (int g = 0; g < ng; g++) {
                        double d = w[g] - theta;
                        double l = 0.5 * (d * d + m->sigma2) - ref_l[k];
                        double dw = w[g] - ref_w[k];
                        a[4 * k] += l, a[4 * k + 1] += l * l;
                        a[4 * k + 2] += dw, a[4 * k + 3] += dw * dw;
                    }
                    k++;
                    continue;
                }
                if (zn == NORMAL_BUF) {
                    /* the next normals of each replica's stream, in order */
                    long left = 2 * (T - t);
                    size_t nz = left < NORMAL_BUF ? (size_t)left : NORMAL_BUF;
                    for (int g = 0; g < ng; g++) gd_rng_normals_zig(&rng[g], z[g], nz);
                    zn = 0;
                }
                /* up to the next checkpoint or the end of the batch */
                long ns = check[k] - t, nb = (long)(NORMAL_BUF - zn) / 2;
                if (nb < ns) ns = nb;
                mc_steps(w, (const double (*)[NORMAL_BUF])z, zn, ns, theta, sd, eta);
                t += ns, zn += 2 * (size_t)ns;
            }
        }
    }
    double n = (double)R;
    for (size_t k = 0; k < ncheck; k++) {
        double s[4] = {0, 0, 0, 0};
        for (long c = 0; c < nchunk; c++)
            for (int j = 0; j < 4; j++) s[j] += acc[((size_t)c * ncheck + k) * 4 + j];
        double ml = s[0] / n, mw = s[2] / n;
        double vl = R > 1 ? (s[1] - n * ml * ml) / (n - 1) : GD_NAN;
        double vw = R > 1 ? (s[3] - n * mw * mw) / (n - 1) : GD_NAN;
        if (loss) loss[k] = ref_l[k] + ml;
        if (loss_se) loss_se[k] = sqrt(fmax(vl, 0.0) / n);
        if (mean_w) mean_w[k] = ref_w[k] + mw;
        if (mean_w_se) mean_w_se[k] = sqrt(fmax(vw, 0.0) / n);
    }
    gd_free(acc), gd_free(ref_l), gd_free(ref_w);
    return GD_OK;
}
