/* Online gradient descent regret against the bound R^2/(2 eta_T) + (G^2/2)
 * sum eta_t: the exact ratio for a sequence, and the adversarial search;
 * and the unbounded-domain bounds in expectation (Su, part two): the exact
 * population loss of a weighted absolute-deviation problem, one SGD path,
 * and the Monte Carlo over seeded paths (claims.h). */
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
    double *g = gd_malloc((size_t)T * sizeof *g), *gt = gd_malloc((size_t)T * sizeof *gt);
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
    gd_free(g), gd_free(gt);
}

/* ---- The unbounded domain, in expectation ---- */

#define PHI0 0.398942280401432677939946059934 /* 1/sqrt(2 pi) */
#define MC_BLOCK 64                           /* paths per OpenMP work item */

gd_regret_mc_params gd_regret_mc_default_params(void) {
    gd_regret_mc_params p = {.dim = 3, .w = {0.8, 0.48, 0.36}, .mu = {0.5, -1, 0.25}, .s = {3, 2, 1},
                             .theta1 = {1.7, -1.9, 0.25}, .steps = 200, .eta = 0, .paths = 4000};
    return p;
}

static double dist0(const gd_regret_mc_params *p) {
    double d2 = 0;
    for (size_t i = 0; i < p->dim; i++) d2 += (p->theta1[i] - p->mu[i]) * (p->theta1[i] - p->mu[i]);
    return sqrt(d2);
}

static double gnorm(const gd_regret_mc_params *p) {
    double g2 = 0;
    for (size_t i = 0; i < p->dim; i++) g2 += p->w[i] * p->w[i];
    return sqrt(g2);
}

double gd_regret_mc_eta(const gd_regret_mc_params *p) {
    return p->eta > 0 ? p->eta : dist0(p) / (gnorm(p) * sqrt((double)p->steps));
}

/* GD_OK, or GD_EINVAL naming the first bad field (ctx may be NULL). */
static gd_status mc_check(gd_ctx *ctx, const gd_regret_mc_params *p) {
    if (p->dim < 1 || p->dim > GD_REGRET_MC_MAXDIM)
        return gd_error(ctx, GD_EINVAL, "dim: expected 1 .. %d, got %zu", GD_REGRET_MC_MAXDIM, p->dim);
    for (size_t i = 0; i < p->dim; i++) {
        if (!(p->w[i] > 0 && isfinite(p->w[i])))
            return gd_error(ctx, GD_EINVAL, "w[%zu]: expected a finite weight > 0, got %g", i, p->w[i]);
        if (!(p->s[i] > 0 && isfinite(p->s[i])))
            return gd_error(ctx, GD_EINVAL, "s[%zu]: expected a finite standard deviation > 0, got %g", i, p->s[i]);
        if (!isfinite(p->mu[i]) || !isfinite(p->theta1[i]))
            return gd_error(ctx, GD_EINVAL, "mu[%zu], theta1[%zu]: expected finite values", i, i);
    }
    if (p->steps < 1) return gd_error(ctx, GD_EINVAL, "steps: expected T >= 1, got %ld", p->steps);
    if (p->paths < 2) return gd_error(ctx, GD_EINVAL, "paths: expected at least 2 (for a standard error), got %zu",
                                      p->paths);
    if (!(p->eta >= 0 && isfinite(p->eta)))
        return gd_error(ctx, GD_EINVAL, "eta: expected a finite rate >= 0, got %g", p->eta);
    if (!(gd_regret_mc_eta(p) > 0))
        return gd_error(ctx, GD_EINVAL, "eta: 0 asks for the rate |theta_1 - theta*| / (G sqrt T), which is 0 "
                        "when theta_1 = theta*; give a rate > 0");
    return GD_OK;
}

/* h(z) = E|z - u| - E|u|, u ~ N(0, 1): 2 phi(0) (e^(-z^2/2) - 1) + z erf(z/sqrt 2). */
static double h_excess(double z) { return 2 * PHI0 * expm1(-0.5 * z * z) + z * erf(z * M_SQRT1_2); }

double gd_regret_mc_loss(const gd_regret_mc_params *p, const double *theta) {
    double L = 0;
    for (size_t i = 0; i < p->dim; i++) {
        const double z = (theta[i] - p->mu[i]) / p->s[i];
        L += p->w[i] * p->s[i] * (2 * PHI0 * exp(-0.5 * z * z) + z * erf(z * M_SQRT1_2));
    }
    return L;
}

double gd_regret_mc_excess(const gd_regret_mc_params *p, const double *theta) {
    double e = 0;
    for (size_t i = 0; i < p->dim; i++) e += p->w[i] * p->s[i] * h_excess((theta[i] - p->mu[i]) / p->s[i]);
    return e;
}

double gd_regret_mc_sample_loss(const gd_regret_mc_params *p, const double *x, const double *theta) {
    double L = 0;
    for (size_t i = 0; i < p->dim; i++) L += p->w[i] * fabs(theta[i] - x[i]);
    return L;
}

gd_regret_bounds gd_regret_unbounded_bounds(gd_regret_case c, long t, long T, double eta, double D, double G) {
    GD_ASSERT(t >= 1 && t <= T && eta > 0 && D >= 0 && G > 0);
    double s1 = 0, s2 = 0, et = eta;
    for (long k = 1; k <= t; k++) {
        et = gd_regret_eta(c, k, T, eta);
        s1 += et, s2 += et * et;
    }
    const double D2 = D * D, G2 = G * G;
    return (gd_regret_bounds){.average = D2 / (2 * (double)t * et) + G2 * s2 / (2 * (double)t * et),
                              .weighted = (D2 + G2 * s2) / (2 * s1), .pathwise = 0.5 * (D2 + G2 * s2)};
}

gd_regret_path gd_regret_mc_path(const gd_regret_mc_params *p, gd_regret_case c, const double *x,
                                 struct gd_rng *r, double *excess) {
    GD_ASSERT(p != NULL && mc_check(NULL, p) == GD_OK && (x != NULL || r != NULL));
    GD_ASSERT((unsigned)c <= GD_REGRET_CONTROL_WARMUP);
    const size_t d = p->dim;
    const long T = p->steps;
    const double eta = gd_regret_mc_eta(p);
    double th[GD_REGRET_MC_MAXDIM], xt[GD_REGRET_MC_MAXDIM];
    memcpy(th, p->theta1, d * sizeof *th);
    double sum = 0, wsum = 0, esum = 0, path = 0;
    for (long t = 1; t <= T; t++) {
        const double e = gd_regret_eta(c, t, T, eta), ex = gd_regret_mc_excess(p, th);
        if (excess) excess[t - 1] = ex;
        sum += ex, wsum += e * ex, esum += e;
        if (x) memcpy(xt, x + (size_t)(t - 1) * d, d * sizeof *xt);
        else {
            gd_rng_normals(r, xt, d);
            for (size_t i = 0; i < d; i++) xt[i] = p->mu[i] + p->s[i] * xt[i];
        }
        /* The sample excess for (mid1), then the step along -w_i sign(theta_i - x_i). */
        double ds = 0;
        for (size_t i = 0; i < d; i++) {
            const double a = th[i] - xt[i];
            ds += p->w[i] * (fabs(a) - fabs(p->mu[i] - xt[i]));
            th[i] -= e * p->w[i] * (a > 0 ? 1 : a < 0 ? -1 : 0);
        }
        path += e * ds;
    }
    return (gd_regret_path){.average = sum / (double)T, .weighted = wsum / esum, .pathwise = path};
}

gd_regret_path gd_regret_mc_replay(uint64_t seed, const gd_regret_mc_params *p, gd_regret_case c, size_t k,
                                   double *excess) {
    gd_rng r;
    gd_rng_stream_init(&r, seed, "claim-regret-unbounded", 0, k);
    return gd_regret_mc_path(p, c, NULL, &r, excess);
}

static int mc_threads(const gd_ctx *ctx) { return ctx && ctx->threads > 0 ? ctx->threads : 1; }

gd_status gd_regret_mc_run(gd_ctx *ctx, const gd_regret_mc_params *p, gd_regret_case c, gd_regret_mc *out,
                           double *mean_excess) {
    GD_ASSERT(p != NULL && out != NULL && (unsigned)c <= GD_REGRET_CONTROL_WARMUP);
    memset(out, 0, sizeof *out);
    gd_status st = mc_check(ctx, p);
    if (st != GD_OK) return st;
    const size_t R = p->paths, T = (size_t)p->steps, nb = (R + MC_BLOCK - 1) / MC_BLOCK;
    gd_regret_path *pp = gd_malloc(R * sizeof *pp);
    double *curve = mean_excess ? gd_calloc(2 * nb * T, sizeof *curve) : NULL; /* (nb, T) sums, (nb, T) scratch */
    if (!pp || (mean_excess && !curve)) {
        gd_free(pp), gd_free(curve);
        return gd_error(ctx, GD_ENOMEM, "out of memory for %zu Monte Carlo paths of %zu steps", R, T);
    }
    const uint64_t seed = ctx ? ctx->seed : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(mc_threads(ctx))
    for (long b = 0; b < (long)nb; b++) {
        double *sum = curve ? curve + (size_t)b * T : NULL, *scr = curve ? curve + (nb + (size_t)b) * T : NULL;
        const size_t k1 = ((size_t)b + 1) * MC_BLOCK < R ? ((size_t)b + 1) * MC_BLOCK : R;
        for (size_t k = (size_t)b * MC_BLOCK; k < k1; k++) {
            pp[k] = gd_regret_mc_replay(seed, p, c, k, scr);
            if (sum)
                for (size_t t = 0; t < T; t++) sum[t] += scr[t];
        }
    }
    /* Reductions in a fixed order: paths, then blocks. */
    const double eta = gd_regret_mc_eta(p);
    out->bound = gd_regret_unbounded_bounds(c, p->steps, p->steps, eta, dist0(p), gnorm(p));
    double m = 0, wm = 0, v = 0, wv = 0;
    for (size_t k = 0; k < R; k++) m += pp[k].average, wm += pp[k].weighted;
    m /= (double)R, wm /= (double)R;
    out->max_average = -INFINITY, out->worst_pathwise = -INFINITY;
    for (size_t k = 0; k < R; k++) {
        v += (pp[k].average - m) * (pp[k].average - m), wv += (pp[k].weighted - wm) * (pp[k].weighted - wm);
        if (pp[k].average > out->max_average) out->max_average = pp[k].average, out->argmax = k;
        /* The sums carry rounding below 1e-12 of the bound: 1e-9 is a violation, not rounding. */
        out->exceed += pp[k].average > out->bound.average * (1 + 1e-9);
        out->worst_pathwise = fmax(out->worst_pathwise, pp[k].pathwise / out->bound.pathwise);
    }
    out->mean = m, out->wmean = wm;
    out->se = sqrt(v / (double)(R - 1) / (double)R), out->wse = sqrt(wv / (double)(R - 1) / (double)R);
    if (mean_excess)
        for (size_t t = 0; t < T; t++) {
            double a = 0;
            for (size_t b = 0; b < nb; b++) a += curve[b * T + t];
            mean_excess[t] = a / (double)R;
        }
    gd_free(pp), gd_free(curve);
    return GD_OK;
}
