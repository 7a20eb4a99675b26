/* One-dimensional minimisation over (lo, hi]: bracket on a log grid, then
 * Brent's method from GSL on log x. The grid guards against landscapes that
 * are not unimodal; the endpoint hi is always a candidate because an
 * infimum over (lo, hi] may sit there. */
#include "gdlab/linsgd.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <math.h>

typedef struct logf_data {
    double (*f)(double, void *);
    void *data;
} logf_data;

static double f_of_log(double u, void *p) {
    const logf_data *d = p;
    return d->f(exp(u), d->data);
}

gd_status gd_minimize_1d(gd_ctx *ctx, double (*f)(double x, void *data),
                         void *data, double lo, double hi, size_t ngrid,
                         double *xmin, double *fmin) {
    GD_ASSERT(lo > 0 && hi > lo && ngrid >= 3);
    double ulo = log(lo), uhi = log(hi);
    /* Grid scan: the best point and the values of its two neighbours. */
    size_t best = 0;
    double fbest = INFINITY, fprev = GD_NAN, fleft = GD_NAN, fright = GD_NAN;
    for (size_t i = 0; i < ngrid; i++) {
        double u = ulo + (uhi - ulo) * (double)i / (double)(ngrid - 1);
        double fx = f(i == 0 ? lo : i == ngrid - 1 ? hi : exp(u), data);
        if (i == best + 1) fright = fx;
        if (fx < fbest) {
            fbest = fx;
            best = i;
            fleft = fprev;
            fright = GD_NAN;
        }
        fprev = fx;
    }
    double ubest = ulo + (uhi - ulo) * (double)best / (double)(ngrid - 1);
    *xmin = best == 0 ? lo : best == ngrid - 1 ? hi : exp(ubest);
    *fmin = fbest;
    if (!isfinite(fbest) || best == 0 || best == ngrid - 1) return GD_OK;
    double h = (uhi - ulo) / (double)(ngrid - 1);
    /* Brent needs f(mid) < f(left), f(right): true for the grid minimum
     * unless there is a tie, in which case the grid point is the answer. */
    if (!(fbest < fleft && fbest < fright)) return GD_OK;
    logf_data d = {f, data};
    gsl_function F = {f_of_log, &d};
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!s) return gd_error(ctx, GD_ENOMEM, "out of memory for the minimiser");
    int st = gsl_min_fminimizer_set_with_values(s, &F, ubest, fbest, ubest - h,
                                                fleft, ubest + h,
                                                fright);
    for (int it = 0; st == GSL_SUCCESS && it < 200; it++) {
        st = gsl_min_fminimizer_iterate(s);
        if (st != GSL_SUCCESS) break;
        double a = gsl_min_fminimizer_x_lower(s), b = gsl_min_fminimizer_x_upper(s);
        if (gsl_min_test_interval(a, b, 1e-12, 0.0) == GSL_SUCCESS) break;
    }
    if (st != GSL_SUCCESS) {
        gsl_min_fminimizer_free(s);
        return gd_error(ctx, GD_ENUMERIC, "Brent minimisation failed: %s",
                        gsl_strerror(st));
    }
    double u = gsl_min_fminimizer_x_minimum(s), fu = gsl_min_fminimizer_f_minimum(s);
    gsl_min_fminimizer_free(s);
    if (fu < *fmin) {
        *fmin = fu;
        *xmin = exp(u);
    }
    return GD_OK;
}
