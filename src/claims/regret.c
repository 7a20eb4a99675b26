/* Online gradient descent regret against the bound R^2/(2 eta_T) + (G^2/2)
 * sum eta_t: the exact ratio for a sequence, and the adversarial search
 * (claims.h). */
#include "gdlab/claims.h"
#include "gdlab/rng.h"

#include <gsl/gsl_math.h> /* M_PI */

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[GD_REGRET_COUNT] = {
    "constant", "1/sqrt(t)", "step", "cosine", "linear decay",
    "control: warm-up (increasing)", "control: no projection", "control: non-convex losses g_t |x|"};

const char *gd_regret_case_name(gd_regret_case c) { return (unsigned)c < GD_REGRET_COUNT ? names[c] : "unknown"; }

double gd_regret_eta(gd_regret_case c, long t, long T, double eta) {
    switch (c) {
    case GD_REGRET_INVSQRT:
    case GD_REGRET_CONTROL_NO_PROJECTION: return eta / sqrt((double)t);
    case GD_REGRET_STEP: return t <= T / 2 ? eta : eta / 10;
    case GD_REGRET_COSINE: return eta * 0.5 * (1 + cos(M_PI * (double)(t - 1) / (double)T));
    case GD_REGRET_LINEAR: return eta * (double)(T - t + 1) / (double)T;
    case GD_REGRET_CONTROL_WARMUP: return eta * (double)t / (double)T;
    default: return eta;
    }
}

double gd_regret_ratio(gd_regret_case c, const double *g, long T, double x1, double R, double G, double eta) {
    GD_ASSERT(g != NULL && T >= 1 && R > 0 && G > 0 && eta > 0);
    const int project = c != GD_REGRET_CONTROL_NO_PROJECTION, nonconvex = c == GD_REGRET_CONTROL_NONCONVEX;
    const double h = R / 2;
    double x = x1, loss = 0, gsum = 0, esum = 0, eT = eta;
    for (long t = 1; t <= T; t++) {
        const double e = gd_regret_eta(c, t, T, eta), gt = g[t - 1];
        esum += e, eT = e;
        gsum += gt;
        if (nonconvex) {
            loss += gt * fabs(x);
            x -= e * gt * (x > 0 ? 1 : x < 0 ? -1 : 0); /* the gradient of g_t |x| (0 at 0) */
        } else {
            loss += gt * x;
            x -= e * gt;
        }
        if (project) x = fmin(h, fmax(-h, x));
    }
    /* The best fixed point of the interval: linear in x (or in |x|). */
    const double best = nonconvex ? fmin(0, gsum * h) : -h * fabs(gsum);
    return (loss - best) / (R * R / (2 * eT) + 0.5 * G * G * esum);
}

void gd_regret_search(uint64_t seed, gd_regret_case c, long T, double R, double G, double eta, size_t starts,
                      size_t iters, double *worst, long *evals, double *worst_g, double *worst_x1) {
    GD_ASSERT(T >= 2 && starts >= 1);
    gd_rng r;
    gd_rng_stream_init(&r, seed, "claim-regret", (uint64_t)c, 0);
    double *g = malloc((size_t)T * sizeof *g), *gt = malloc((size_t)T * sizeof *gt);
    *worst = -INFINITY, *evals = 0;
    if (!g || !gt) goto done;
    const double h = R / 2;
    for (size_t s = 0; s < starts; s++) {
        double x1;
        const int kind = (int)(s % 4);
        for (long t = 0; t < T; t++) {
            switch (kind) {
            case 0: g[t] = gd_rng_uniform(&r) < 0.5 ? -G : G; break;
            case 1: g[t] = G * (2 * gd_rng_uniform(&r) - 1); break;
            case 2: { /* drift to the far end, then oscillate */
                const long d = (long)((double)T * gd_rng_uniform(&r));
                g[t] = t < d ? G : ((t - d) % 2 ? -G : G);
                break;
            }
            default: g[t] = -G; /* from x_1 = 0: a stationary point of -G |x| */
            }
        }
        x1 = kind == 3 ? 0 : s % 3 == 0 ? h : s % 3 == 1 ? -h : h * (2 * gd_rng_uniform(&r) - 1);
        double best = gd_regret_ratio(c, g, T, x1, R, G, eta);
        ++*evals;
        for (size_t it = 0; it < iters; it++) {
            memcpy(gt, g, (size_t)T * sizeof *g);
            double xt = x1;
            const int move = (int)(gd_rng_u64(&r) % 4);
            const long t0 = (long)(gd_rng_u64(&r) % (uint64_t)T);
            if (move == 0) gt[t0] = -gt[t0];
            else if (move == 1) gt[t0] = gd_rng_uniform(&r) < 0.5 ? -G : G;
            else if (move == 2) gt[t0] = G * (2 * gd_rng_uniform(&r) - 1);
            else xt = fmin(h, fmax(-h, x1 + 0.1 * R * gd_rng_normal(&r)));
            const double v = gd_regret_ratio(c, gt, T, xt, R, G, eta);
            ++*evals;
            if (v > best) {
                best = v, x1 = xt;
                memcpy(g, gt, (size_t)T * sizeof *g);
            }
        }
        if (best > *worst) {
            *worst = best;
            if (worst_g) memcpy(worst_g, g, (size_t)T * sizeof *g);
            if (worst_x1) *worst_x1 = x1;
        }
    }
done:
    free(g), free(gt);
}
