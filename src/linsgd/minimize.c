/* One-dimensional minimisation over (lo, hi]: bracket on a log grid, then
 * Brent's method from GSL on log x. The grid guards against landscapes that
 * are not unimodal; the end points are always candidates because an
 * infimum over (lo, hi] may sit there, and when the grid's best point is an
 * end point, the cell next to it is scanned finely, since a minimum just
 * inside the end (e.g. 9/28 against 1/3) would otherwise be missed. */
#include "gdlab/linsgd.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <math.h>

typedef struct logf_data {
    double (*f)(double, void *);
    void *data;
    double ulo, uhi, lo, hi; /* end points evaluated exactly, not via exp */
} logf_data;

static double f_of_log(double u, void *p) {
    const logf_data *d = p;
    return d->f(u == d->ulo ? d->lo : u == d->uhi ? d->hi : exp(u), d->data);
}

/* The best of n points from a to b (in log x): its position and value, and
 * the values at its two neighbours (NAN at an end). */
typedef struct best_pt {
    double u, f, fl, fr, h;
    int at_end; /* -1: first point, 1: last point, 0: interior */
} best_pt;

static best_pt grid_scan(const logf_data *d, double a, double b, size_t n) {
    best_pt bp = {a, INFINITY, GD_NAN, GD_NAN, (b - a) / (double)(n - 1), 0};
    size_t best = 0;
    double prev = GD_NAN;
    for (size_t i = 0; i < n; i++) {
        double u = i == n - 1 ? b : a + bp.h * (double)i;
        double fx = f_of_log(u, (void *)d);
        if (i == best + 1) bp.fr = fx;
        if (fx < bp.f) {
            bp.f = fx, bp.u = u, best = i;
            bp.fl = prev, bp.fr = GD_NAN;
        }
        prev = fx;
    }
    bp.at_end = best == 0 ? -1 : best == n - 1 ? 1 : 0;
    return bp;
}

gd_status gd_minimize_1d(gd_ctx *ctx, double (*f)(double x, void *data),
                         void *data, double lo, double hi, size_t ngrid,
                         double *xmin, double *fmin) {
    GD_ASSERT(lo > 0 && hi > lo && ngrid >= 3);
    logf_data d = {f, data, log(lo), log(hi), lo, hi};
    best_pt bp = grid_scan(&d, d.ulo, d.uhi, ngrid);
    if (bp.at_end && isfinite(bp.f)) {
        /* Scan the cell next to the end point finely. */
        double a = bp.at_end > 0 ? d.uhi - bp.h : d.ulo, b = bp.at_end > 0 ? d.uhi : d.ulo + bp.h;
        best_pt fine = grid_scan(&d, a, b, 33);
        if (fine.f < bp.f) bp = fine;
    }
    *xmin = bp.u == d.ulo ? lo : bp.u == d.uhi ? hi : exp(bp.u);
    *fmin = bp.f;
    /* Brent needs f(mid) < f(left), f(right): true for an interior grid
     * minimum unless there is a tie, in which case the grid point stands. */
    if (!isfinite(bp.f) || bp.at_end || !(bp.f < bp.fl && bp.f < bp.fr)) return GD_OK;
    gsl_function F = {f_of_log, &d};
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!s) return gd_error(ctx, GD_ENOMEM, "out of memory for the minimiser");
    int st = gsl_min_fminimizer_set_with_values(s, &F, bp.u, bp.f, bp.u - bp.h, bp.fl,
                                                bp.u + bp.h, bp.fr);
    for (int it = 0; st == GSL_SUCCESS && it < 200; it++) {
        st = gsl_min_fminimizer_iterate(s);
        if (st != GSL_SUCCESS) break;
        double a = gsl_min_fminimizer_x_lower(s), b = gsl_min_fminimizer_x_upper(s);
        if (gsl_min_test_interval(a, b, 1e-12, 0.0) == GSL_SUCCESS) break;
    }
    if (st != GSL_SUCCESS) {
        gsl_min_fminimizer_free(s);
        return gd_error(ctx, GD_ENUMERIC, "Brent minimisation failed: %s", gsl_strerror(st));
    }
    double u = gsl_min_fminimizer_x_minimum(s), fu = gsl_min_fminimizer_f_minimum(s);
    gsl_min_fminimizer_free(s);
    if (fu < *fmin) {
        *fmin = fu;
        *xmin = exp(u);
    }
    return GD_OK;
}
