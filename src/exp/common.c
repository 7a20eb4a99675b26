/* Helpers shared by the experiments: checkpoints, candidate formulas
 * checked on a grid, log-log slopes. */
#include "common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t gd_exp_checkpoints(long T, size_t max, long *out) {
    GD_ASSERT(max >= 2);
    size_t n = 0;
    out[n++] = 0;
    if (T == 0) return n;
    for (size_t i = 0; i + 1 < max; i++) {
        double f = (double)i / (double)(max - 2);
        long t = (long)floor(pow((double)T, f) + 0.5);
        if (t > out[n - 1] && t <= T) out[n++] = t;
    }
    if (out[n - 1] != T) out[n++] = T;
    return n;
}

gd_status gd_exp_claim_formula(gd_ctx *ctx, gd_result *r, const char *id,
                               const char *source, const char *statement,
                               const char *expr_src, gd_exp_quantity q,
                               void *data, const double *etas, size_t neta,
                               const double *Ts, size_t nT, double tol) {
    static const char *const vars[] = {"eta", "T"};
    gd_expr *e = NULL;
    gd_status st = gd_expr_parse(ctx, expr_src, vars, 2, &e);
    if (st != GD_OK) return st;
    double worst = -1, weta = 0, wT = 0, wpred = 0, wexact = 0;
    for (size_t i = 0; i < neta; i++)
        for (size_t j = 0; j < nT; j++) {
            double x[2] = {etas[i], Ts[j]};
            double pred = gd_expr_eval(e, x), exact = q(etas[i], Ts[j], data);
            double rel = fabs(pred - exact) / fmax(fabs(exact), 1e-300);
            if (isnan(rel)) rel = INFINITY;
            if (rel > worst) {
                worst = rel, weta = etas[i], wT = Ts[j], wpred = pred, wexact = exact;
            }
        }
    gd_expr_free(e);
    char pred[512], meas[256];
    snprintf(pred, sizeof pred, "%s", expr_src);
    snprintf(meas, sizeof meas, "largest relative error %.3g over %zu x %zu grid",
             worst, neta, nT);
    gd_verdict v = worst <= tol ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED;
    return gd_result_claim(
        r, id, source, v, statement, pred, meas,
        "worst at eta = %.6g, T = %.6g: formula gives %.12g, exact recursion "
        "gives %.12g (relative error %.3g; tolerance %.0e relative, the "
        "rounding of pow over T <= %.0g steps)",
        weta, wT, wpred, wexact, worst, tol, Ts[nT - 1]);
}

double gd_exp_slope(const double *x, const double *y, size_t n) {
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxy / sxx;
}

int gd_exp_parse_sizes(const char *s, size_t *out, int max) {
    int n = 0;
    const char *end;
    while (*s && n < max) {
        double v;
        if (gd_parse_decimal(s, &end, &v) != GD_NUM_OK || v < 1 || v > 1e6 || v != floor(v)) return -1;
        out[n++] = (size_t)v;
        s = end;
        if (*s == ',') s++;
        else if (*s) return -1;
    }
    return *s ? -1 : n;
}

int gd_exp_cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int gd_exp_parse_reals(const char *s, double *out, int max) {
    int n = 0;
    const char *end;
    while (*s) {
        if (n == max) return -1;
        if (gd_parse_decimal(s, &end, &out[n]) != GD_NUM_OK || !(out[n] > 0)) return -1;
        n++;
        s = end;
        if (*s == ',') s++;
        else if (*s) return -1;
    }
    return n;
}

gd_status gd_exp_parse_range(gd_ctx *ctx, const char *s, const char *what, size_t max_count,
                             double *lo, double *hi, size_t *count) {
    /* a, or a:b:c, each a decimal number (gd_parse_decimal: no hex; an
     * overflow or an underflow to 0 is named). */
    const char *end;
    double v[3] = {0, 0, 0};
    int why = GD_NUM_OK, k = 0;
    for (const char *t = s; k < 3; k++) {
        why = gd_parse_decimal(t, &end, &v[k]);
        if (why != GD_NUM_OK || *end != ':') break;
        t = end + 1;
    }
    if (why == GD_NUM_OK && k == 0 && !*end) {
        *lo = *hi = v[0], *count = 1;
        return GD_OK;
    }
    if (why == GD_NUM_OVERFLOW || why == GD_NUM_UNDERFLOW)
        return gd_error(ctx, GD_EINVAL, "%s: expected a number or lo:hi:count, got '%s' (%s)", what, s,
                        gd_parse_number_why(why));
    const double a = v[0], b = v[1], c = v[2];
    if (why != GD_NUM_OK || k != 2 || *end || !(a < b) || c < 2 || c != floor(c) || c > (double)max_count)
        return gd_error(ctx, GD_EINVAL, "%s: expected a number or lo:hi:count with lo < hi and 2 <= count <= %zu, "
                        "got '%s'", what, max_count, s);
    *lo = a, *hi = b, *count = (size_t)c;
    return GD_OK;
}

void gd_exp_addf(char *buf, size_t len, const char *fmt, ...) {
    size_t u = strlen(buf);
    if (u + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + u, len - u, fmt, ap);
    va_end(ap);
}

double gd_exp_range_at(double lo, double hi, size_t count, size_t i, int logspaced) {
    if (count < 2) return lo;
    double t = (double)i / (double)(count - 1);
    return logspaced ? lo * pow(hi / lo, t) : lo + (hi - lo) * t;
}

int gd_exp_parse_flat_runs(const char *s, size_t m, double *fe, size_t *fb, int max) {
    int n = 0;
    const char *end;
    while (*s) {
        if (n == max) return -1;
        if (gd_parse_decimal(s, &end, &fe[n]) != GD_NUM_OK || *end != ':' || !(fe[n] > 0)) return -1;
        s = end + 1;
        double bb;
        if (gd_parse_decimal(s, &end, &bb) != GD_NUM_OK || !(bb >= 1 && bb <= (double)m && bb <= 0x1p53) || bb != floor(bb)) return -1;
        fb[n++] = (size_t)bb;
        s = end;
        if (*s == ',') s++;
        else if (*s) return -1;
    }
    return n;
}

/* "2-3-3-1" into p->width, p->n_layers; 0 when malformed. */
static int parse_arch(const char *s, size_t len, gd_mlp_params *p) {
    size_t n = 0;
    const char *e = s + len;
    while (s < e) {
        const char *end;
        double v;
        if (gd_parse_decimal(s, &end, &v) != GD_NUM_OK || end > e || v < 1 || v > 64 || v != floor(v) ||
            n > GD_MLP_MAX_LAYERS)
            return 0;
        p->width[n++] = (size_t)v;
        s = end;
        if (s < e && *s == '-') s++;
        else if (s < e) return 0;
    }
    p->n_layers = n - 1;
    return n >= 2;
}

int gd_exp_parse_archs(const char *s, gd_mlp_params *out, int max, char *bad, size_t len) {
    int n = 0;
    for (; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] == ',')) {
        const size_t l = strcspn(s, ",");
        if (n == max) {
            gd_exp_addf(bad, len, "; --archs: more than %d architectures", max);
            break;
        }
        out[n] = gd_mlp_default_params();
        if (parse_arch(s, l, &out[n])) n++;
        else gd_exp_addf(bad, len, "; --archs: expected architectures like 2-3-3-1 (widths 1..64, at most %d layers), "
                         "got '%.*s'", GD_MLP_MAX_LAYERS, (int)l, s);
    }
    return n;
}
