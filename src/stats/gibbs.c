/* The normalised Gibbs density p(x) = exp(-f0(x)/T) / Z of a 1-D potential
 * (include/gdlab/stats.h), and moments of a periodic function.
 *
 * Representation. The domain [lo, hi] outside which the mass is below
 * 1e-14 is cut into ncell equal cells; on each the unnormalised density
 * q(x) = exp(-(f0(x) - fmin)/T) is a Chebyshev series (gsl_cheb_init at
 * the Chebyshev points, order 24: on cells this small q is analytic and
 * the series converges to rounding). gsl_cheb_calc_integ gives the
 * series of its integral and of the integral of that, so within cell k
 *   F(x) = Fk + I1(x),  G(x) = Gk + Fk (x - xk) + I2(x),
 * with Fk, Gk the cumulative values at the cell's left end. Outside the
 * domain F = 0 (left) or 1 (right). The normaliser Z is the sum of the
 * cells' integrals and is checked against GSL qags over the domain. */
#include "gdlab/stats.h"

#include <gsl/gsl_chebyshev.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_min.h>
#include <math.h>
#include <string.h>

#define ORDER 24
#define NC (ORDER + 1)
#define KT 40.0           /* f0 - fmin beyond which the domain ends, in units of T */
#define TAIL_REL 1e-14    /* largest tail mass relative to Z */
#define NSCAN 4001        /* points of the scan that finds the domain */
#define RMAX 1e8

struct gd_stats_gibbs {
    double lo, hi, h, T, xmin, fmin, mean, var;
    size_t ncell;
    double *c0, *c1, *c2; /* (ncell, NC) series of p, its integral, and the integral of that */
    double *F, *G;        /* (ncell + 1) cumulative values at the cell ends */
};

typedef struct qdata {
    gd_stats_fn f0;
    void *data;
    double fmin, T;
    int bad; /* f0 was NaN somewhere */
} qdata;

static double q_eval(double x, void *d) {
    qdata *q = d;
    double f = q->f0(x, q->data);
    if (isnan(f)) {
        q->bad = 1;
        return 0;
    }
    return exp(-(f - q->fmin) / q->T);
}

static double f0_eval(double x, void *d) {
    qdata *q = d;
    return q->f0(x, q->data);
}

/* Evaluates the stored series k of one of c0, c1, c2 at x. */
static double series(const gd_stats_gibbs *g, const double *c, size_t k, double x) {
    gsl_cheb_series cs;
    memset(&cs, 0, sizeof cs);
    cs.c = (double *)(c + k * NC);
    cs.order = ORDER, cs.order_sp = ORDER;
    cs.a = g->lo + (double)k * g->h, cs.b = k + 1 == g->ncell ? g->hi : g->lo + (double)(k + 1) * g->h;
    return gsl_cheb_eval(&cs, x);
}

static size_t cell_of(const gd_stats_gibbs *g, double x) {
    double u = (x - g->lo) / g->h;
    size_t k = u <= 0 ? 0 : (size_t)u;
    return k >= g->ncell ? g->ncell - 1 : k;
}

static double cell_lo(const gd_stats_gibbs *g, size_t k) { return g->lo + (double)k * g->h; }

double gd_stats_gibbs_pdf(const gd_stats_gibbs *g, double x) {
    if (!(x >= g->lo && x <= g->hi)) return 0;
    double p = series(g, g->c0, cell_of(g, x), x);
    return p > 0 ? p : 0;
}

double gd_stats_gibbs_cdf(const gd_stats_gibbs *g, double x) {
    if (x <= g->lo) return 0;
    if (x >= g->hi) return 1;
    size_t k = cell_of(g, x);
    double F = g->F[k] + series(g, g->c1, k, x);
    return F < 0 ? 0 : (F > 1 ? 1 : F);
}

double gd_stats_gibbs_cdf_int(const gd_stats_gibbs *g, double x) {
    if (x <= g->lo) return 0;
    if (x >= g->hi) return g->G[g->ncell] + (x - g->hi);
    size_t k = cell_of(g, x);
    return g->G[k] + g->F[k] * (x - cell_lo(g, k)) + series(g, g->c2, k, x);
}

double gd_stats_gibbs_quantile(const gd_stats_gibbs *g, double p) {
    GD_ASSERT(p > 0 && p < 1);
    /* The cell: F[k] <= p < F[k + 1] by bisection on the cumulative table. */
    size_t a = 0, b = g->ncell;
    while (b - a > 1) {
        size_t m = (a + b) / 2;
        if (g->F[m] <= p) a = m;
        else b = m;
    }
    double xa = cell_lo(g, a), xb = a + 1 == g->ncell ? g->hi : cell_lo(g, a + 1);
    double dF = g->F[a + 1] - g->F[a];
    double x = dF > 0 ? xa + (xb - xa) * (p - g->F[a]) / dF : 0.5 * (xa + xb);
    for (int it = 0; it < 100; it++) {
        double r = g->F[a] + series(g, g->c1, a, x) - p;
        if (r < 0) xa = x;
        else xb = x;
        double d = series(g, g->c0, a, x), xn = d > 0 ? x - r / d : 0.5 * (xa + xb);
        if (!(xn > xa && xn < xb)) xn = 0.5 * (xa + xb);
        if (fabs(xn - x) <= 4e-16 * (fabs(x) + g->h) || xb - xa <= 4e-16 * (fabs(x) + g->h)) {
            x = xn;
            break;
        }
        x = xn;
    }
    return x;
}

double gd_stats_gibbs_mean(const gd_stats_gibbs *g) { return g->mean; }
double gd_stats_gibbs_variance(const gd_stats_gibbs *g) { return g->var; }

void gd_stats_gibbs_domain(const gd_stats_gibbs *g, double *lo, double *hi, double *xmin,
                           double *fmin) {
    if (lo) *lo = g->lo;
    if (hi) *hi = g->hi;
    if (xmin) *xmin = g->xmin;
    if (fmin) *fmin = g->fmin;
}

static double law_cdf(double x, void *d) { return gd_stats_gibbs_cdf(d, x); }
static double law_cdf_int(double x, void *d) { return gd_stats_gibbs_cdf_int(d, x); }
static double law_quantile(double p, void *d) { return gd_stats_gibbs_quantile(d, p); }

gd_stats_law gd_stats_gibbs_law(const gd_stats_gibbs *g) {
    return (gd_stats_law){law_cdf, law_cdf_int, law_quantile, g->mean, (void *)g};
}

void gd_stats_gibbs_free(gd_stats_gibbs *g) {
    if (!g) return;
    gd_free(g->c0), gd_free(g->c1), gd_free(g->c2), gd_free(g->F), gd_free(g->G);
    gd_free(g);
}

/* Refines the grid minimum at index k of xs/fs by Brent's method. */
static void refine_min(qdata *q, const double *xs, const double *fs, size_t k, double *xm,
                       double *fm) {
    *xm = xs[k], *fm = fs[k];
    if (k == 0 || k + 1 >= NSCAN || !(fs[k] < fs[k - 1] && fs[k] < fs[k + 1])) return;
    gsl_function F = {f0_eval, q};
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!s) return;
    if (gsl_min_fminimizer_set_with_values(s, &F, xs[k], fs[k], xs[k - 1], fs[k - 1], xs[k + 1],
                                           fs[k + 1]) == GSL_SUCCESS) {
        for (int it = 0; it < 200; it++) {
            if (gsl_min_fminimizer_iterate(s) != GSL_SUCCESS) break;
            double a = gsl_min_fminimizer_x_lower(s), b = gsl_min_fminimizer_x_upper(s);
            if (gsl_min_test_interval(a, b, 1e-15, 1e-14) == GSL_SUCCESS) break;
        }
        double f = gsl_min_fminimizer_f_minimum(s);
        if (f < *fm) *fm = f, *xm = gsl_min_fminimizer_x_minimum(s);
    }
    gsl_min_fminimizer_free(s);
}

gd_stats_gibbs *gd_stats_gibbs_new(gd_ctx *ctx, gd_stats_fn f0, void *data, double T,
                                   double x_hint, size_t ncell) {
    if (!(T > 0) || !isfinite(T)) {
        gd_error(ctx, GD_EINVAL, "Gibbs density: the temperature T must be a positive number, got %g", T);
        return NULL;
    }
    if (ncell < 16 || ncell > 10000000) {
        gd_error(ctx, GD_EINVAL, "Gibbs density: ncell must be in [16, 1e7], got %zu", ncell);
        return NULL;
    }
    if (!isfinite(x_hint)) {
        gd_error(ctx, GD_EINVAL, "Gibbs density: the start point must be finite, got %g", x_hint);
        return NULL;
    }
    gd_stats_gibbs *g = gd_calloc(1, sizeof *g);
    double *xs = gd_malloc(NSCAN * sizeof *xs), *fs = gd_malloc(NSCAN * sizeof *fs);
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    gsl_cheb_series *s0 = gsl_cheb_alloc(ORDER), *s1 = gsl_cheb_alloc(ORDER), *s2 = gsl_cheb_alloc(ORDER);
    gsl_integration_glfixed_table *gl = gsl_integration_glfixed_table_alloc(32);
    gd_status st = GD_OK;
    if (!g || !xs || !fs || !w || !s0 || !s1 || !s2 || !gl) {
        st = gd_error(ctx, GD_ENOMEM, "Gibbs density: out of memory");
        goto done;
    }
    g->T = T, g->ncell = ncell;
    qdata q = {f0, data, 0, T, 0};
    gsl_function Q = {q_eval, &q};

    /* 1. The domain: widen the scan until both ends are 40 T above the
     * minimum and the tails beyond hold below 1e-14 of the mass. */
    double R = fmax(1.0, 2 * fabs(x_hint)), xm = 0, fm = 0, Zscan = 0;
    int found = 0;
    size_t kmin = 0;
    double dwin = 0;
    for (; R <= RMAX; R *= 2) {
        size_t k = 0;
        for (size_t i = 0; i < NSCAN; i++) {
            xs[i] = x_hint - R + 2 * R * (double)i / (NSCAN - 1);
            fs[i] = f0(xs[i], data);
            if (isnan(fs[i]) || (isinf(fs[i]) && fs[i] < 0)) {
                st = gd_error(ctx, GD_EINVAL, "Gibbs density: f0(%g) = %g, expected a finite value "
                              "or +inf", xs[i], fs[i]);
                goto done;
            }
            if (fs[i] < fs[k]) k = i;
        }
        if (k == 0 || k == NSCAN - 1 || !isfinite(fs[k])) continue;
        kmin = k;
        refine_min(&q, xs, fs, k, &xm, &fm);
        if (!(fs[0] - fm > KT * T && fs[NSCAN - 1] - fm > KT * T)) continue;
        q.fmin = fm;
        Zscan = 0;
        for (size_t i = 0; i < NSCAN; i++) Zscan += exp(-(fs[i] - fm) / T);
        Zscan *= 2 * R / (NSCAN - 1);
        /* A well narrower than the scan spacing is missed by the sum: add
         * the mass of the window around the refined minimum where f0 - fmin
         * <= 40 T (halving from the scan spacing), by qagp with the
         * minimiser as a break point, as a lower bound. */
        dwin = xs[1] - xs[0];
        while (dwin > 1e-14 * (1 + fabs(xm)) && f0(xm - dwin, data) - fm > KT * T &&
               f0(xm + dwin, data) - fm > KT * T)
            dwin /= 2;
        dwin *= 2;
        {
            double pts[3] = {xm - dwin, xm, xm + dwin}, zb, eb;
            if (gsl_integration_qagp(&Q, pts, 3, 0, 1e-6, 2000, w, &zb, &eb) == GSL_SUCCESS && zb > Zscan)
                Zscan = zb;
        }
        double tl, tr, el, er;
        int s1s = gsl_integration_qagil(&Q, xs[0], 0, 1e-6, 2000, w, &tl, &el);
        int s2s = gsl_integration_qagiu(&Q, xs[NSCAN - 1], 0, 1e-6, 2000, w, &tr, &er);
        if (q.bad) {
            st = gd_error(ctx, GD_EINVAL, "Gibbs density: f0 is NaN somewhere beyond |x - %g| > %g",
                          x_hint, R);
            goto done;
        }
        if (s1s == GSL_SUCCESS && s2s == GSL_SUCCESS && tl + el < TAIL_REL * Zscan &&
            tr + er < TAIL_REL * Zscan) {
            found = 1;
            break;
        }
    }
    if (!found) {
        st = gd_error(ctx, GD_EINVAL, "Gibbs density: exp(-f0/T) with T = %g is not normalisable "
                      "within |x - %g| <= %g (f0 must grow to +inf on both sides)", T, x_hint, RMAX);
        goto done;
    }
    size_t i0 = 0, i1 = NSCAN - 1;
    while (i0 + 1 < NSCAN && fs[i0 + 1] - fm > KT * T) i0++;
    while (i1 > 0 && fs[i1 - 1] - fm > KT * T) i1--;
    /* A well narrower than the scan spacing has no scan point within 40 T
     * of its minimum: the domain then keeps at least the bracket of the
     * refined minimum. */
    if (i0 > kmin - 1) i0 = kmin - 1;
    if (i1 < kmin + 1) i1 = kmin + 1;
    g->lo = xs[i0], g->hi = xs[i1], g->xmin = xm, g->fmin = fm;
    if (i1 - i0 <= 2) /* the only well is narrower than the scan: its window */
        g->lo = fmax(g->lo, xm - dwin), g->hi = fmin(g->hi, xm + dwin);
    g->h = (g->hi - g->lo) / (double)ncell;

    /* 2. Chebyshev series on the cells, and the cumulative tables. */
    g->c0 = gd_malloc(ncell * NC * sizeof *g->c0);
    g->c1 = gd_malloc(ncell * NC * sizeof *g->c1);
    g->c2 = gd_malloc(ncell * NC * sizeof *g->c2);
    g->F = gd_malloc((ncell + 1) * sizeof *g->F);
    g->G = gd_malloc((ncell + 1) * sizeof *g->G);
    if (!g->c0 || !g->c1 || !g->c2 || !g->F || !g->G) {
        st = gd_error(ctx, GD_ENOMEM, "Gibbs density: out of memory for %zu cells", ncell);
        goto done;
    }
    for (size_t k = 0; k < ncell; k++) {
        double a = cell_lo(g, k), b = k + 1 == ncell ? g->hi : cell_lo(g, k + 1);
        gsl_cheb_init(s0, &Q, a, b);
        gsl_cheb_calc_integ(s1, s0);
        gsl_cheb_calc_integ(s2, s1);
        memcpy(g->c0 + k * NC, s0->c, NC * sizeof(double));
        memcpy(g->c1 + k * NC, s1->c, NC * sizeof(double));
        memcpy(g->c2 + k * NC, s2->c, NC * sizeof(double));
    }
    if (q.bad) {
        st = gd_error(ctx, GD_EINVAL, "Gibbs density: f0 is NaN somewhere in [%g, %g]", g->lo, g->hi);
        goto done;
    }
    double Z = 0;
    for (size_t k = 0; k < ncell; k++)
        Z += series(g, g->c1, k, k + 1 == ncell ? g->hi : cell_lo(g, k + 1));
    double Zq, eq;
    int qs = gsl_integration_qags(&Q, g->lo, g->hi, 0, 1e-11, 2000, w, &Zq, &eq);
    if (qs != GSL_SUCCESS || !(fabs(Zq - Z) <= 1e-9 * Z)) {
        st = gd_error(ctx, GD_ENUMERIC, "Gibbs density: normaliser from the Chebyshev cells %.15g "
                      "and from GSL qags %.15g (%s) disagree beyond 1e-9", Z, Zq, gsl_strerror(qs));
        goto done;
    }
    for (size_t i = 0; i < ncell * NC; i++) g->c0[i] /= Z, g->c1[i] /= Z, g->c2[i] /= Z;
    g->F[0] = 0, g->G[0] = 0;
    for (size_t k = 0; k < ncell; k++) {
        double b = k + 1 == ncell ? g->hi : cell_lo(g, k + 1);
        g->F[k + 1] = g->F[k] + series(g, g->c1, k, b);
        g->G[k + 1] = g->G[k] + g->F[k] * (b - cell_lo(g, k)) + series(g, g->c2, k, b);
    }
    /* Mean = hi - G(hi) (integration by parts, F(hi) = 1); the variance by
     * 32-point Gauss-Legendre per cell on the series. */
    g->mean = g->hi - g->G[ncell];
    double v = 0;
    for (size_t k = 0; k < ncell; k++) {
        double a = cell_lo(g, k), b = k + 1 == ncell ? g->hi : cell_lo(g, k + 1);
        for (size_t j = 0; j < 32; j++) {
            double xj, wj;
            gsl_integration_glfixed_point(a, b, j, &xj, &wj, gl);
            v += wj * (xj - g->mean) * (xj - g->mean) * series(g, g->c0, k, xj);
        }
    }
    g->var = v;
done:
    gd_free(xs), gd_free(fs);
    if (w) gsl_integration_workspace_free(w);
    if (s0) gsl_cheb_free(s0);
    if (s1) gsl_cheb_free(s1);
    if (s2) gsl_cheb_free(s2);
    if (gl) gsl_integration_glfixed_table_free(gl);
    if (st != GD_OK) {
        gd_stats_gibbs_free(g);
        return NULL;
    }
    return g;
}

/* ---- periodic moments ------------------------------------------------- */

typedef struct pdata {
    gd_stats_fn h;
    void *data;
    int pow2, bad;
} pdata;

static double p_eval(double u, void *d) {
    pdata *p = d;
    double v = p->h(u, p->data);
    if (!isfinite(v)) {
        p->bad = 1;
        return 0;
    }
    return p->pow2 ? v * v : v;
}

gd_status gd_stats_periodic_moments(gd_ctx *ctx, gd_stats_fn h, void *data, double period,
                                    double *mean, double *var) {
    if (!(period > 0) || !isfinite(period))
        return gd_error(ctx, GD_EINVAL, "periodic moments: the period must be a positive number, got %g",
                        period);
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    if (!w) return gd_error(ctx, GD_ENOMEM, "periodic moments: out of memory");
    pdata pd = {h, data, 0, 0};
    gsl_function F = {p_eval, &pd};
    /* The second moment first: its root sets the absolute accuracy of the
     * mean, which is 0 for the derivative of a periodic function. */
    double m1 = 0, m2 = 0, e1, e2;
    pd.pow2 = 1;
    int s2 = gsl_integration_qags(&F, 0, period, 0, 1e-12, 2000, w, &m2, &e2);
    pd.pow2 = 0;
    int s1 = s2 == GSL_SUCCESS
                 ? gsl_integration_qags(&F, 0, period, 1e-12 * sqrt(m2 * period) * sqrt(period) + 1e-300,
                                        1e-12, 2000, w, &m1, &e1)
                 : s2;
    gsl_integration_workspace_free(w);
    if (pd.bad)
        return gd_error(ctx, GD_EINVAL, "periodic moments: the function is not finite on [0, %g]", period);
    if (s1 != GSL_SUCCESS || s2 != GSL_SUCCESS)
        return gd_error(ctx, GD_ENUMERIC, "periodic moments: GSL qags failed (%s)",
                        gsl_strerror(s1 != GSL_SUCCESS ? s1 : s2));
    m1 /= period, m2 /= period;
    if (mean) *mean = m1;
    double v = m2 - m1 * m1;
    *var = v > 0 ? v : 0;
    return GD_OK;
}
