/* The GD map as a dynamical system (include/gdlab/orbit.h): stepping,
 * attractor finding (return distance, Newton refinement of the p-cycle,
 * multipliers of its monodromy matrix) and period-doubling points by
 * bisection on the multiplier crossing -1. */
#include "gdlab/orbit.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

struct gd_orbit {
    gd_obj *f;
    gd_orbit_params p;
    size_t n;
    double *g;          /* (n) gradient */
    double *H;          /* (n, n) Hessian */
    double *M, *T;      /* (n, n) monodromy and a product buffer */
    double *A;          /* (n, n) M - I, destroyed by dgelsd */
    double *b, *sv;     /* (n) right-hand side, singular values */
    double *y;          /* (n) the cycle being followed */
    double *buf;        /* (2 max_period + 1, n) iterates after the transient */
    double *pts;        /* (max_period, n) the attractor's points */
    double *mre, *mim;  /* (n) multipliers */
};

gd_orbit_params gd_orbit_default_params(void) {
    return (gd_orbit_params){.eta = 1.0, .transient = 20000, .max_period = 64, .tol = 1e-8,
                             .bound = 1e8, .newton_iters = 30};
}

gd_status gd_orbit_params_check(gd_ctx *ctx, const gd_orbit_params *p) {
    if (!(p->eta > 0) || !isfinite(p->eta))
        return gd_error(ctx, GD_EINVAL, "orbit: eta must be a finite number > 0, got %g", p->eta);
    if (p->transient < 0)
        return gd_error(ctx, GD_EINVAL, "orbit: transient must be >= 0 steps, got %ld", p->transient);
    if (p->max_period < 1 || p->max_period > GD_ORBIT_MAX_PERIOD)
        return gd_error(ctx, GD_EINVAL, "orbit: max_period must be in 1..%d, got %zu", GD_ORBIT_MAX_PERIOD,
                        p->max_period);
    if (!(p->tol > 0 && p->tol < 1))
        return gd_error(ctx, GD_EINVAL, "orbit: tol must be in (0, 1), got %g", p->tol);
    if (!(p->bound > 0))
        return gd_error(ctx, GD_EINVAL, "orbit: bound must be > 0, got %g", p->bound);
    if (p->newton_iters < 0)
        return gd_error(ctx, GD_EINVAL, "orbit: newton_iters must be >= 0, got %d", p->newton_iters);
    return GD_OK;
}

double gd_orbit_step(gd_obj *f, double eta, const double *x, double *x_out, double *grad) {
    size_t n = gd_obj_dim(f);
    double v = gd_obj_eval(f, x, grad, NULL);
    for (size_t i = 0; i < n; i++) x_out[i] = x[i] - eta * grad[i];
    return v;
}

/* 1 when every component is finite and within the bound. */
static int inside(const double *x, size_t n, double bound) {
    for (size_t i = 0; i < n; i++)
        if (!(fabs(x[i]) <= bound)) return 0;
    return 1;
}

long gd_orbit_iterate(gd_obj *f, double eta, double *x, long steps, double bound, double *grad) {
    for (long t = 1; t <= steps; t++) {
        gd_orbit_step(f, eta, x, x, grad);
        if (!inside(x, gd_obj_dim(f), bound)) return t;
    }
    return -1;
}

void gd_orbit_free(gd_orbit *o) {
    if (!o) return;
    gd_free(o->g), gd_free(o->H), gd_free(o->M), gd_free(o->T), gd_free(o->A);
    gd_free(o->b), gd_free(o->sv), gd_free(o->y), gd_free(o->buf), gd_free(o->pts);
    gd_free(o->mre), gd_free(o->mim);
    gd_free(o);
}

gd_orbit *gd_orbit_new(gd_ctx *ctx, gd_obj *f, const gd_orbit_params *p) {
    if (gd_orbit_params_check(ctx, p) != GD_OK) return NULL;
    gd_orbit *o = gd_calloc(1, sizeof *o);
    if (!o) {
        gd_error(ctx, GD_ENOMEM, "out of memory");
        return NULL;
    }
    size_t n = gd_obj_dim(f), P = p->max_period;
    o->f = f, o->p = *p, o->n = n;
    o->g = gd_malloc(n * sizeof *o->g);
    o->H = gd_malloc(n * n * sizeof *o->H);
    o->M = gd_malloc(n * n * sizeof *o->M);
    o->T = gd_malloc(n * n * sizeof *o->T);
    o->A = gd_malloc(n * n * sizeof *o->A);
    o->b = gd_malloc(n * sizeof *o->b);
    o->sv = gd_malloc(n * sizeof *o->sv);
    o->y = gd_malloc(n * sizeof *o->y);
    o->buf = gd_malloc((2 * P + 1) * n * sizeof *o->buf);
    o->pts = gd_malloc(P * n * sizeof *o->pts);
    o->mre = gd_malloc(n * sizeof *o->mre);
    o->mim = gd_malloc(n * sizeof *o->mim);
    if (!o->g || !o->H || !o->M || !o->T || !o->A || !o->b || !o->sv || !o->y || !o->buf || !o->pts ||
        !o->mre || !o->mim) {
        gd_orbit_free(o);
        gd_error(ctx, GD_ENOMEM, "out of memory");
        return NULL;
    }
    return o;
}

static double norm_inf(const double *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

/* From x (n): y = F^p(x) and M = DF^p(x) = prod (I - eta H(x_i)), newest
 * factor on the left. Returns ||F^p(x) - x||_inf (NAN if not finite). */
static double cycle_map(gd_orbit *o, double eta, size_t p, const double *x) {
    const size_t n = o->n;
    memcpy(o->y, x, n * sizeof *x);
    memset(o->M, 0, n * n * sizeof *o->M);
    for (size_t i = 0; i < n; i++) o->M[i * n + i] = 1;
    for (size_t s = 0; s < p; s++) {
        gd_obj_eval(o->f, o->y, o->g, o->H);
        /* T = (I - eta H) M */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double v = o->M[i * n + j];
                for (size_t k = 0; k < n; k++) v -= eta * o->H[i * n + k] * o->M[k * n + j];
                o->T[i * n + j] = v;
            }
        memcpy(o->M, o->T, n * n * sizeof *o->M);
        for (size_t i = 0; i < n; i++) o->y[i] -= eta * o->g[i];
    }
    double r = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(o->y[i] - x[i]);
        if (!isfinite(d)) return GD_NAN;
        r = fmax(r, d);
    }
    return r;
}

/* Eigenvalues of M (n, n) sorted by modulus, largest first; 0 or LAPACK's info. */
static int multipliers(gd_orbit *o, double *re, double *im) {
    const size_t n = o->n;
    memcpy(o->A, o->M, n * n * sizeof *o->A);
    lapack_int info = LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)n, o->A, (lapack_int)n, re, im,
                                    NULL, 1, NULL, 1);
    if (info != 0) {
        for (size_t i = 0; i < n; i++) re[i] = im[i] = GD_NAN;
        return (int)info;
    }
    for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (size_t j = i; j > 0 && hypot(re[j], im[j]) > hypot(re[j - 1], im[j - 1]); j--) {
            double t = re[j]; re[j] = re[j - 1]; re[j - 1] = t;
            t = im[j]; im[j] = im[j - 1]; im[j - 1] = t;
        }
    return 0;
}

double gd_orbit_refine(gd_orbit *o, double eta, size_t p, double *x, int iters, double *mult_re,
                       double *mult_im) {
    const size_t n = o->n;
    double res = cycle_map(o, eta, p, x);
    for (int it = 0; it < iters && isfinite(res) && res > 1e-15 * (1 + norm_inf(x, n)); it++) {
        /* (M - I) dx = x - F^p(x): the linearisation of F^p(x + dx) = x + dx. */
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) o->A[i * n + j] = o->M[i * n + j] - (i == j);
            o->b[i] = x[i] - o->y[i];
        }
        lapack_int rank;
        lapack_int info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, (lapack_int)n, (lapack_int)n, 1, o->A,
                                         (lapack_int)n, o->b, 1, o->sv, 1e-12, &rank);
        if (info != 0) break;
        /* Accept the step only if it lowers the residual: a Newton step that
         * overshoots to another cycle is refused. */
        double *xt = o->pts; /* scratch row: pts is rebuilt after refinement */
        for (size_t i = 0; i < n; i++) xt[i] = x[i] + o->b[i];
        double r2 = cycle_map(o, eta, p, xt);
        if (!(r2 < res)) {
            cycle_map(o, eta, p, x);
            break;
        }
        memcpy(x, xt, n * sizeof *x);
        res = r2;
    }
    if (mult_re && mult_im) {
        if (isfinite(res)) multipliers(o, mult_re, mult_im);
        else
            for (size_t i = 0; i < n; i++) mult_re[i] = mult_im[i] = GD_NAN;
    }
    return res;
}

gd_status gd_orbit_find(gd_ctx *ctx, gd_orbit *o, const double *x0, gd_orbit_attractor *a) {
    const size_t n = o->n, P = o->p.max_period;
    const double eta = o->p.eta, tol = o->p.tol, bound = o->p.bound;
    memset(a, 0, sizeof *a);
    a->n = n, a->divergence_step = -1, a->residual = GD_NAN;
    a->points = o->pts, a->mult_re = o->mre, a->mult_im = o->mim;
    for (size_t i = 0; i < n; i++) o->mre[i] = o->mim[i] = GD_NAN;
    double *x = o->buf;
    memcpy(x, x0, n * sizeof *x);
    if (!inside(x, n, bound)) {
        a->period = -1, a->divergence_step = 0;
        return GD_OK;
    }
    long d = gd_orbit_iterate(o->f, eta, x, o->p.transient, bound, o->g);
    if (d >= 0) {
        a->period = -1, a->divergence_step = d;
        return GD_OK;
    }
    for (size_t t = 1; t < 2 * P; t++) {
        gd_orbit_step(o->f, eta, o->buf + (t - 1) * n, o->buf + t * n, o->g);
        if (!inside(o->buf + t * n, n, bound)) {
            a->period = -1, a->divergence_step = o->p.transient + (long)t;
            return GD_OK;
        }
    }
    size_t per = 0;
    for (size_t p = 1; p <= P && !per; p++) {
        int ok = 1;
        for (size_t t = 0; t < p && ok && t + p < 2 * P; t++) {
            const double *u = o->buf + t * n, *v = o->buf + (t + p) * n;
            double dist = 0;
            for (size_t i = 0; i < n; i++) dist = fmax(dist, fabs(u[i] - v[i]));
            ok = dist <= tol * (1 + norm_inf(u, n));
        }
        if (ok) per = p;
    }
    if (!per) {
        memcpy(o->pts, o->buf + P * n, P * n * sizeof *o->pts);
        a->npoints = P;
        return GD_OK;
    }
    /* Refine from the first point of the detected cycle; keep Newton's answer
     * only when it stays near the detected cycle (else the detection stands,
     * unrefined). */
    double *x1 = o->buf + 2 * P * n; /* the spare last row */
    memcpy(x1, o->buf, n * sizeof *x1);
    double res = gd_orbit_refine(o, eta, per, x1, o->p.newton_iters, o->mre, o->mim);
    double scale = 1 + norm_inf(o->buf, n), moved = 0;
    for (size_t i = 0; i < n; i++) moved = fmax(moved, fabs(x1[i] - o->buf[i]));
    a->refined = isfinite(res) && res <= 1e-13 * scale && moved <= 1e-3 * scale;
    if (!a->refined) {
        memcpy(x1, o->buf, n * sizeof *x1);
        res = gd_orbit_refine(o, eta, per, x1, 0, o->mre, o->mim);
    }
    /* A slowly converging cycle can pass the return test at a multiple of
     * its true period (near a period doubling, x_{t+2} - x_t is small long
     * before x_{t+1} - x_t is); once refined, test the divisors. */
    for (size_t dv = 1; a->refined && dv < per; dv++) {
        if (per % dv) continue;
        double rd = cycle_map(o, eta, dv, x1);
        if (rd <= 1e-10 * (1 + norm_inf(x1, n))) {
            per = dv;
            res = gd_orbit_refine(o, eta, per, x1, o->p.newton_iters, o->mre, o->mim);
            break;
        }
    }
    if (a->refined && !(res <= 1e-13 * (1 + norm_inf(x1, n)))) a->refined = 0;
    if (!isfinite(o->mre[0]) && isfinite(res))
        return gd_error(ctx, GD_ENUMERIC, "orbit: LAPACKE_dgeev failed on the %zu-cycle's monodromy matrix", per);
    a->residual = res;
    memcpy(o->pts, x1, n * sizeof *x1);
    for (size_t t = 1; t < per; t++) gd_orbit_step(o->f, eta, o->pts + (t - 1) * n, o->pts + t * n, o->g);
    a->period = (int)per, a->npoints = per;
    a->stable = 1;
    for (size_t i = 0; i < n; i++)
        if (!(hypot(o->mre[i], o->mim[i]) < 1)) a->stable = 0;
    return GD_OK;
}

/* The most negative real multiplier plus one (> 0: no real multiplier at or
 * below -1) of the p-cycle continued from x (refined in place); NAN when
 * Newton did not converge. */
static double pd_gap(gd_orbit *o, double eta, size_t p, double *x) {
    double res = gd_orbit_refine(o, eta, p, x, 50, o->mre, o->mim);
    if (!(res <= 1e-11 * (1 + norm_inf(x, o->n)))) return GD_NAN;
    double g = INFINITY;
    for (size_t i = 0; i < o->n; i++) {
        double m = hypot(o->mre[i], o->mim[i]);
        if (fabs(o->mim[i]) <= 1e-9 * m) g = fmin(g, o->mre[i] + 1);
    }
    return g;
}

gd_status gd_orbit_pd_bisect(gd_ctx *ctx, gd_orbit *o, size_t p, double eta_lo, const double *x_lo,
                             double eta_hi, double xtol, double *eta_pd, double *x_pd) {
    const size_t n = o->n;
    if (!(eta_lo < eta_hi) || !(eta_lo > 0) || !(xtol > 0) || p < 1)
        return gd_error(ctx, GD_EINVAL, "orbit: period-doubling bracket needs 0 < eta_lo < eta_hi, xtol > 0 "
                        "and p >= 1, got [%g, %g], xtol %g, p %zu", eta_lo, eta_hi, xtol, p);
    double *xl = o->buf, *xm = o->buf + n;
    memcpy(xl, x_lo, n * sizeof *xl);
    double gl = pd_gap(o, eta_lo, p, xl);
    if (!(gl > 0))
        return gd_error(ctx, GD_EINVAL, "orbit: at eta_lo = %.10g the %zu-cycle %s", eta_lo, p,
                        isnan(gl) ? "could not be refined by Newton" : "already has a multiplier <= -1");
    /* Continue the cycle to eta_hi in small steps (Newton from the previous
     * point), then bisect. */
    double lo = eta_lo, hi = eta_hi;
    const int sub = 16;
    for (int k = 1; k <= sub; k++) {
        double e = eta_lo + (eta_hi - eta_lo) * k / sub;
        memcpy(xm, xl, n * sizeof *xm);
        double g = pd_gap(o, e, p, xm);
        if (isnan(g))
            return gd_error(ctx, GD_ENUMERIC, "orbit: lost the %zu-cycle while continuing it to eta = %.10g", p, e);
        if (g <= 0) { hi = e; break; }
        lo = e;
        memcpy(xl, xm, n * sizeof *xl);
        if (k == sub)
            return gd_error(ctx, GD_EINVAL, "orbit: the %zu-cycle has no real multiplier below -1 at eta_hi = "
                            "%.10g (no period doubling in [%.10g, %.10g])", p, eta_hi, eta_lo, eta_hi);
    }
    while (hi - lo > xtol) {
        double mid = 0.5 * (lo + hi);
        if (!(mid > lo && mid < hi)) break;
        memcpy(xm, xl, n * sizeof *xm);
        double g = pd_gap(o, mid, p, xm);
        if (isnan(g))
            return gd_error(ctx, GD_ENUMERIC, "orbit: lost the %zu-cycle at eta = %.10g", p, mid);
        if (g > 0) {
            lo = mid;
            memcpy(xl, xm, n * sizeof *xl);
        } else {
            hi = mid;
        }
    }
    *eta_pd = 0.5 * (lo + hi);
    if (x_pd) memcpy(x_pd, xl, n * sizeof *x_pd);
    return GD_OK;
}
