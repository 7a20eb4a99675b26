/* Lyapunov spectrum of the GD map by QR re-orthonormalisation (Benettin et
 * al. 1980; include/gdlab/orbit.h): Q_{t+1} R_t = (I - eta H(x_t)) Q_t with
 * modified Gram-Schmidt (n is at most a few dozen), lambda_i the average
 * of log |R_t,ii|, and batch means for the standard error. */
#include "gdlab/orbit.h"

#include <math.h>
#include <string.h>

static int inside_bound(const double *x, size_t n, double bound) {
    for (size_t i = 0; i < n; i++)
        if (!(fabs(x[i]) <= bound)) return 0;
    return 1;
}

gd_status gd_lyap_spectrum(gd_ctx *ctx, gd_obj *f, double eta, const double *x0, long transient,
                           long steps, size_t nbatch, double bound, double *lambda, double *se,
                           long *div_step) {
    const size_t n = gd_obj_dim(f);
    if (!(eta > 0) || !isfinite(eta))
        return gd_error(ctx, GD_EINVAL, "lyapunov: eta must be a finite number > 0, got %g", eta);
    if (nbatch < 2 || steps < (long)nbatch || transient < 0)
        return gd_error(ctx, GD_EINVAL, "lyapunov: need nbatch >= 2, steps >= nbatch and transient >= 0, got "
                        "nbatch %zu, steps %ld, transient %ld", nbatch, steps, transient);
    double *x = gd_malloc(n * sizeof *x), *g = gd_malloc(n * sizeof *g);
    double *H = gd_malloc(n * n * sizeof *H), *Q = gd_malloc(n * n * sizeof *Q);
    double *V = gd_malloc(n * n * sizeof *V), *acc = gd_calloc(n, sizeof *acc);
    double *bm = gd_calloc(nbatch * n, sizeof *bm);
    gd_status st = GD_OK;
    if (!x || !g || !H || !Q || !V || !acc || !bm) {
        st = gd_error(ctx, GD_ENOMEM, "out of memory");
        goto done;
    }
    *div_step = -1;
    memcpy(x, x0, n * sizeof *x);
    long d = gd_orbit_iterate(f, eta, x, transient, bound, g);
    if (d >= 0) {
        *div_step = d;
        goto diverged;
    }
    memset(Q, 0, n * n * sizeof *Q);
    for (size_t i = 0; i < n; i++) Q[i * n + i] = 1;
    /* Batch b covers steps [b steps / nbatch, (b + 1) steps / nbatch). */
    size_t b = 0;
    long bend = steps / (long)nbatch, bstart = 0;
    for (long t = 0; t < steps; t++) {
        gd_obj_eval(f, x, g, H);
        /* V = (I - eta H) Q, columns are the tangent vectors. */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double v = Q[i * n + j];
                for (size_t k = 0; k < n; k++) v -= eta * H[i * n + k] * Q[k * n + j];
                V[i * n + j] = v;
            }
        /* Modified Gram-Schmidt on the columns of V into Q. */
        for (size_t j = 0; j < n; j++) {
            for (size_t k = 0; k < j; k++) {
                double dot = 0;
                for (size_t i = 0; i < n; i++) dot += Q[i * n + k] * V[i * n + j];
                for (size_t i = 0; i < n; i++) V[i * n + j] -= dot * Q[i * n + k];
            }
            double nr = 0;
            for (size_t i = 0; i < n; i++) nr += V[i * n + j] * V[i * n + j];
            nr = sqrt(nr);
            acc[j] += log(nr);
            for (size_t i = 0; i < n; i++) Q[i * n + j] = nr > 0 ? V[i * n + j] / nr : (i == j);
        }
        for (size_t i = 0; i < n; i++) x[i] -= eta * g[i];
        if (!inside_bound(x, n, bound)) {
            *div_step = transient + t + 1;
            goto diverged;
        }
        if (t + 1 == bend) {
            for (size_t j = 0; j < n; j++) bm[b * n + j] = acc[j] / (double)(bend - bstart), acc[j] = 0;
            b++;
            bstart = bend;
            bend = (long)((double)steps * (double)(b + 1) / (double)nbatch);
        }
    }
    for (size_t j = 0; j < n; j++) {
        double m = 0, s2 = 0;
        for (size_t k = 0; k < nbatch; k++) m += bm[k * n + j];
        m /= (double)nbatch;
        for (size_t k = 0; k < nbatch; k++) s2 += (bm[k * n + j] - m) * (bm[k * n + j] - m);
        lambda[j] = m;
        se[j] = sqrt(s2 / (double)(nbatch - 1) / (double)nbatch);
    }
    /* Sort descending (the columns start at the coordinate axes, so a
     * diagonal Jacobian keeps them in coordinate order). */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && lambda[j] > lambda[j - 1]; j--) {
            double t = lambda[j]; lambda[j] = lambda[j - 1]; lambda[j - 1] = t;
            t = se[j]; se[j] = se[j - 1]; se[j - 1] = t;
        }
    goto done;
diverged:
    for (size_t j = 0; j < n; j++) lambda[j] = se[j] = GD_NAN;
done:
    gd_free(x), gd_free(g), gd_free(H), gd_free(Q), gd_free(V), gd_free(acc), gd_free(bm);
    return st;
}
