/* The probability inequality sum_{i<=j} p^i <= sum_{i<=j} u^i/i!, u =
 * log(1/(1-p)): the margin as a difference of tails, the exact integer
 * check of its power series, and the search (claims.h). */
#include "gdlab/claims.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <math.h>
#include <stdlib.h>

/* 128-bit integers (GCC): k^n for k <= 18, n <= 24 is below 2^101. */
__extension__ typedef __int128 i128;

/* sum_{n > j} u^n / n!, by its terms (all positive). */
static long double tail(int j, long double u) {
    long double t = 1;
    for (int n = 1; n <= j + 1; n++) t *= u / n; /* u^(j+1) / (j+1)! */
    long double s = 0;
    for (int n = j + 1; n < 100000; n++) {
        s += t;
        if (n > u && t < s * 1e-22L) break;
        t *= u / (n + 1);
    }
    return s;
}

long double gd_prob_margin(int j, double p) {
    const long double u = -log1pl(-(long double)p), pl = p;
    return powl(pl, j + 1) / (1 - pl) - tail(j, u);
}

long gd_prob_identity(int jmax, int nmax, long *checked) {
    GD_ASSERT(jmax >= 1 && jmax <= 18 && nmax >= 1 && nmax <= 24);
    long bad = 0;
    *checked = 0;
    i128 binom[19][19] = {{0}};
    for (int i = 0; i <= 18; i++) {
        binom[i][0] = 1;
        for (int k = 1; k <= i; k++) binom[i][k] = binom[i - 1][k - 1] + (k <= i - 1 ? binom[i - 1][k] : 0);
    }
    for (int j = 1; j <= jmax; j++)
        for (int n = 0; n <= nmax; n++) {
            /* n! [u^n] D_j = n! [u^n] E_j - sum_{i<=j} n! [u^n] (1 - e^-u)^i. */
            i128 c = n <= j ? 1 : 0;
            for (int i = 0; i <= j; i++)
                for (int k = 0; k <= i; k++) {
                    i128 kn = 1;
                    for (int e = 0; e < n; e++) kn *= k;
                    const i128 term = binom[i][k] * kn;
                    c -= (k + n) % 2 ? -term : term;
                }
            i128 want = 0;
            if (n == j + 1) {
                want = 1;
                for (int e = 2; e <= j + 1; e++) want *= e;
                want -= 1;
            }
            ++*checked;
            if (n <= j + 1 && c != want) bad++;
        }
    return bad;
}

typedef struct sctx {
    int j, termwise;
    long evals;
} sctx;

/* The margin relative to the left tail, D_j / (p^(j+1)/(1-p)), at u (the
 * search runs in u = log(1/(1-p))). */
static double scaled(double u, void *vp) {
    sctx *c = vp;
    c->evals++;
    const double p = -expm1(-u);
    const long double ul = u;
    if (c->termwise) /* u^j/j! - p^j over u^j / j!: the planted variant */
        return (double)(1 - powl((long double)p / ul, c->j) * tgammal(c->j + 1));
    const long double pl = p;
    return (double)(gd_prob_margin(c->j, p) / (powl(pl, c->j + 1) / (1 - pl)));
}

gd_status gd_prob_search(gd_ctx *ctx, int jmax, size_t ngrid, int termwise, double *worst, int *worst_j,
                         double *worst_p, long *evals) {
    GD_ASSERT(jmax >= 1 && ngrid >= 8);
    const double ulo = 1e-6, uhi = -log(0x1p-53);
    *worst = INFINITY, *worst_j = 1, *worst_p = 0, *evals = 0;
    double *g = gd_malloc(ngrid * sizeof *g);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_min_fminimizer *mz = g ? gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent) : NULL;
    if (!mz) {
        gsl_set_error_handler(old);
        gd_free(g);
        return gd_error(ctx, GD_ENOMEM, "out of memory");
    }
    for (int j = 1; j <= jmax; j++) {
        sctx c = {j, termwise, 0};
        gsl_function F = {scaled, &c};
        double best = INFINITY;
        size_t kb = 0;
        for (size_t k = 0; k < ngrid; k++) {
            const double u = ulo * pow(uhi / ulo, (double)k / (double)(ngrid - 1));
            g[k] = scaled(u, &c);
            if (g[k] < best) best = g[k], kb = k;
        }
        double ub = ulo * pow(uhi / ulo, (double)kb / (double)(ngrid - 1));
        /* Brent from the best interior grid point, bracketed by its neighbours. */
        if (kb > 0 && kb + 1 < ngrid) {
            const double a = ulo * pow(uhi / ulo, (double)(kb - 1) / (double)(ngrid - 1));
            const double b = ulo * pow(uhi / ulo, (double)(kb + 1) / (double)(ngrid - 1));
            if (gsl_min_fminimizer_set_with_values(mz, &F, ub, g[kb], a, g[kb - 1], b, g[kb + 1]) == GSL_SUCCESS)
                for (int it = 0; it < 100; it++) {
                    if (gsl_min_fminimizer_iterate(mz) != GSL_SUCCESS) break;
                    const double lo = gsl_min_fminimizer_x_lower(mz), hi = gsl_min_fminimizer_x_upper(mz);
                    if (gsl_min_test_interval(lo, hi, 0, 1e-12) == GSL_SUCCESS) break;
                }
            if (gsl_min_fminimizer_f_minimum(mz) < best)
                best = gsl_min_fminimizer_f_minimum(mz), ub = gsl_min_fminimizer_x_minimum(mz);
        }
        *evals += c.evals;
        if (best < *worst) *worst = best, *worst_j = j, *worst_p = -expm1(-ub);
    }
    gd_free(g);
    gsl_min_fminimizer_free(mz);
    gsl_set_error_handler(old);
    return GD_OK;
}
