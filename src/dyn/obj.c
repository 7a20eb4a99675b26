/* Objectives for GD as a dynamical system: expressions and built-ins with
 * exact gradients and Hessians (include/gdlab/dyn.h). */
#include "gdlab/dyn.h"
#include "gdlab/expr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gd_obj {
    gd_obj_kind kind;
    size_t n;
    char **names;       /* (n) */
    char *text;
    gd_expr *e0, *e1;   /* expr / multiscale parts */
    size_t n1;
    size_t *map1;       /* (n1) f1's variable j is variable map1[j] */
    double *lambda;     /* quadratic (n) */
    double mu, eps;
    size_t mn, md, mk;  /* mf-matrix sizes */
    double *A;          /* (mn, md) */
    double *w1, *g1, *h1, *R; /* workspace */
};

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = gd_malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

void gd_obj_free(gd_obj *o) {
    if (!o) return;
    if (o->names)
        for (size_t i = 0; i < o->n; i++) gd_free(o->names[i]);
    gd_free(o->names), gd_free(o->text);
    gd_expr_free(o->e0), gd_expr_free(o->e1);
    gd_free(o->map1), gd_free(o->lambda), gd_free(o->A);
    gd_free(o->w1), gd_free(o->g1), gd_free(o->h1), gd_free(o->R);
    gd_free(o);
}

/* Allocates the shell with n variables named by fmt(i) or names[i]. */
static gd_obj *shell(gd_ctx *ctx, gd_obj_kind kind, size_t n, const char *text) {
    gd_obj *o = gd_calloc(1, sizeof *o);
    if (!o || !(o->names = gd_calloc(n, sizeof *o->names)) || !(o->text = dupstr(text))) {
        gd_obj_free(o);
        gd_error(ctx, GD_ENOMEM, "out of memory");
        return NULL;
    }
    o->kind = kind, o->n = n;
    return o;
}

static int set_name(gd_obj *o, size_t i, const char *name) {
    return (o->names[i] = dupstr(name)) != NULL;
}

static gd_obj *nomem(gd_ctx *ctx, gd_obj *o) {
    gd_obj_free(o);
    gd_error(ctx, GD_ENOMEM, "out of memory");
    return NULL;
}

gd_obj *gd_obj_expr(gd_ctx *ctx, const char *src) {
    gd_expr *e;
    if (gd_expr_parse(ctx, src, NULL, 0, &e) != GD_OK) return NULL;
    size_t n = gd_expr_nvars(e);
    if (n == 0) {
        gd_expr_free(e);
        gd_error(ctx, GD_EINVAL, "objective '%s' has no variables", src);
        return NULL;
    }
    gd_obj *o = shell(ctx, GD_OBJ_EXPR, n, src);
    if (!o) { gd_expr_free(e); return NULL; }
    o->e0 = e;
    for (size_t i = 0; i < n; i++)
        if (!set_name(o, i, gd_expr_var_name(e, i))) return nomem(ctx, o);
    return o;
}

gd_obj *gd_obj_quadratic(gd_ctx *ctx, size_t n, const double *lambda) {
    if (n == 0) {
        gd_error(ctx, GD_EINVAL, "quadratic: need at least one eigenvalue");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(lambda[i])) {
            gd_error(ctx, GD_EINVAL, "quadratic: eigenvalue %zu is %g, expected a finite number", i + 1,
                     lambda[i]);
            return NULL;
        }
    gd_obj *o = shell(ctx, GD_OBJ_QUADRATIC, n, "1/2 sum_i lambda_i x_i^2");
    if (!o || !(o->lambda = gd_malloc(n * sizeof *o->lambda))) return nomem(ctx, o);
    memcpy(o->lambda, lambda, n * sizeof *lambda);
    for (size_t i = 0; i < n; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "x%zu", i + 1);
        if (!set_name(o, i, nm)) return nomem(ctx, o);
    }
    return o;
}

gd_obj *gd_obj_mf_scalar(gd_ctx *ctx, double mu) {
    if (!isfinite(mu)) {
        gd_error(ctx, GD_EINVAL, "mf-scalar: --mu must be finite, got %g", mu);
        return NULL;
    }
    char t[64];
    snprintf(t, sizeof t, "1/2 (%g - x y)^2", mu);
    gd_obj *o = shell(ctx, GD_OBJ_MF_SCALAR, 2, t);
    if (!o || !set_name(o, 0, "x") || !set_name(o, 1, "y")) return nomem(ctx, o);
    o->mu = mu;
    return o;
}

gd_obj *gd_obj_mf_matrix(gd_ctx *ctx, size_t n, size_t d, size_t k, const double *A) {
    if (n == 0 || d == 0 || k == 0 || n > 10000 || d > 10000 || k > 10000 || (n + d) * k > 100000) {
        gd_error(ctx, GD_EINVAL, "mf-matrix: need 1 <= n, d, k and (n + d) k <= 1e5, got n = %zu, d = %zu, "
                 "k = %zu", n, d, k);
        return NULL;
    }
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(A[i])) {
            gd_error(ctx, GD_EINVAL, "mf-matrix: A[%zu,%zu] = %g is not finite", i / d, i % d, A[i]);
            return NULL;
        }
    gd_obj *o = shell(ctx, GD_OBJ_MF_MATRIX, (n + d) * k, "1/2 ||A - X Y^T||_F^2");
    if (!o || !(o->A = gd_malloc(n * d * sizeof *o->A)) || !(o->R = gd_malloc(n * d * sizeof *o->R)))
        return nomem(ctx, o);
    memcpy(o->A, A, n * d * sizeof *A);
    o->mn = n, o->md = d, o->mk = k;
    for (size_t i = 0; i < (n + d) * k; i++) {
        char nm[48];
        if (i < n * k) snprintf(nm, sizeof nm, "X[%zu,%zu]", i / k, i % k);
        else snprintf(nm, sizeof nm, "Y[%zu,%zu]", (i - n * k) / k, (i - n * k) % k);
        if (!set_name(o, i, nm)) return nomem(ctx, o);
    }
    return o;
}

gd_obj *gd_obj_multiscale(gd_ctx *ctx, const char *f0, const char *f1, double eps) {
    if (!(eps > 0) || !isfinite(eps)) {
        gd_error(ctx, GD_EINVAL, "multiscale: --eps must be a positive number, got %g", eps);
        return NULL;
    }
    gd_obj *o = gd_obj_expr(ctx, f0);
    if (!o) return NULL;
    o->kind = GD_OBJ_MULTISCALE, o->eps = eps;
    if (gd_expr_parse(ctx, f1, (const char *const *)o->names, o->n, &o->e1) != GD_OK) {
        gd_obj_free(o);
        gd_error_prefix(ctx, "f1 '%s'", f1);
        return NULL;
    }
    size_t len = strlen(f0) + strlen(f1) + 64;
    char *t = gd_malloc(len);
    if (!t || !(o->w1 = gd_malloc(o->n * sizeof *o->w1)) || !(o->g1 = gd_malloc(o->n * sizeof *o->g1)) ||
        !(o->h1 = gd_malloc(o->n * o->n * sizeof *o->h1))) {
        gd_free(t);
        return nomem(ctx, o);
    }
    snprintf(t, len, "%s + %g f1(x/%g), f1 = %s", f0, eps, eps, f1);
    gd_free(o->text);
    o->text = t;
    return o;
}

gd_obj_kind gd_obj_kind_of(const gd_obj *o) { return o->kind; }
size_t gd_obj_dim(const gd_obj *o) { return o->n; }
const char *gd_obj_var_name(const gd_obj *o, size_t i) {
    GD_ASSERT(i < o->n);
    return o->names[i];
}
const char *gd_obj_text(const gd_obj *o) { return o->text; }

/* 1/2 ||A - X Y^T||^2 with R = A - X Y^T: grad_X = -R Y, grad_Y = -R^T X;
 * Hess[X_ia, X_jl] = delta_ij (Y^T Y)_la, Hess[Y_jb, Y_j'l] = delta_jj' (X^T X)_lb,
 * Hess[X_ia, Y_bl] = X_il Y_ba - R_ib delta_al. */
static double mf_matrix(gd_obj *o, const double *v, double *grad, double *hess) {
    const size_t n = o->mn, d = o->md, k = o->mk, N = o->n;
    const double *X = v, *Y = v + n * k;
    double f = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double s = o->A[i * d + j];
            for (size_t a = 0; a < k; a++) s -= X[i * k + a] * Y[j * k + a];
            o->R[i * d + j] = s;
            f += s * s;
        }
    if (grad) {
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < k; a++) {
                double s = 0;
                for (size_t j = 0; j < d; j++) s -= o->R[i * d + j] * Y[j * k + a];
                grad[i * k + a] = s;
            }
        for (size_t j = 0; j < d; j++)
            for (size_t a = 0; a < k; a++) {
                double s = 0;
                for (size_t i = 0; i < n; i++) s -= o->R[i * d + j] * X[i * k + a];
                grad[n * k + j * k + a] = s;
            }
    }
    if (hess) {
        memset(hess, 0, N * N * sizeof *hess);
        for (size_t l = 0; l < k; l++)
            for (size_t a = 0; a < k; a++) {
                double yy = 0, xx = 0;
                for (size_t j = 0; j < d; j++) yy += Y[j * k + l] * Y[j * k + a];
                for (size_t i = 0; i < n; i++) xx += X[i * k + l] * X[i * k + a];
                for (size_t i = 0; i < n; i++) hess[(i * k + a) * N + i * k + l] = yy;
                for (size_t j = 0; j < d; j++) hess[(n * k + j * k + a) * N + n * k + j * k + l] = xx;
            }
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < k; a++)
                for (size_t b = 0; b < d; b++)
                    for (size_t l = 0; l < k; l++) {
                        double h = X[i * k + l] * Y[b * k + a] - (a == l ? o->R[i * d + b] : 0);
                        size_t p = i * k + a, q = n * k + b * k + l;
                        hess[p * N + q] = hess[q * N + p] = h;
                    }
    }
    return 0.5 * f;
}

double gd_obj_eval(gd_obj *o, const double *x, double *grad, double *hess) {
    const size_t n = o->n;
    switch (o->kind) {
    case GD_OBJ_EXPR:
        return gd_expr_eval_hess(o->e0, x, grad, hess);
    case GD_OBJ_QUADRATIC: {
        double f = 0;
        for (size_t i = 0; i < n; i++) {
            f += 0.5 * o->lambda[i] * x[i] * x[i];
            if (grad) grad[i] = o->lambda[i] * x[i];
        }
        if (hess) {
            memset(hess, 0, n * n * sizeof *hess);
            for (size_t i = 0; i < n; i++) hess[i * n + i] = o->lambda[i];
        }
        return f;
    }
    case GD_OBJ_MF_SCALAR: {
        double u = x[0], v = x[1], r = o->mu - u * v;
        if (grad) grad[0] = -r * v, grad[1] = -r * u;
        if (hess) hess[0] = v * v, hess[3] = u * u, hess[1] = hess[2] = u * v - r;
        return 0.5 * r * r;
    }
    case GD_OBJ_MF_MATRIX:
        return mf_matrix(o, x, grad, hess);
    case GD_OBJ_MULTISCALE: {
        double f = gd_expr_eval_hess(o->e0, x, grad, hess);
        for (size_t i = 0; i < n; i++) o->w1[i] = x[i] / o->eps;
        double f1 = gd_expr_eval_hess(o->e1, o->w1, grad ? o->g1 : NULL, hess ? o->h1 : NULL);
        if (grad)
            for (size_t i = 0; i < n; i++) grad[i] += o->g1[i];
        if (hess)
            for (size_t i = 0; i < n * n; i++) hess[i] += o->h1[i] / o->eps;
        return f + o->eps * f1;
    }
    }
    return NAN;
}

gd_obj *gd_obj_clone(const gd_obj *o) {
    gd_ctx tmp = {0};
    gd_obj *c = NULL;
    switch (o->kind) {
    case GD_OBJ_EXPR: c = gd_obj_expr(&tmp, o->text); break;
    case GD_OBJ_QUADRATIC: c = gd_obj_quadratic(&tmp, o->n, o->lambda); break;
    case GD_OBJ_MF_SCALAR: c = gd_obj_mf_scalar(&tmp, o->mu); break;
    case GD_OBJ_MF_MATRIX: c = gd_obj_mf_matrix(&tmp, o->mn, o->md, o->mk, o->A); break;
    case GD_OBJ_MULTISCALE: {
        c = shell(&tmp, GD_OBJ_MULTISCALE, o->n, o->text);
        if (!c) return NULL;
        c->eps = o->eps;
        c->e0 = gd_expr_clone(o->e0), c->e1 = gd_expr_clone(o->e1);
        c->w1 = gd_malloc(o->n * sizeof *c->w1), c->g1 = gd_malloc(o->n * sizeof *c->g1);
        c->h1 = gd_malloc(o->n * o->n * sizeof *c->h1);
        int ok = c->e0 && c->e1 && c->w1 && c->g1 && c->h1;
        for (size_t i = 0; ok && i < o->n; i++) ok = set_name(c, i, o->names[i]);
        if (!ok) { gd_obj_free(c); return NULL; }
        break;
    }
    }
    return c;
}

gd_status gd_obj_parse_point(gd_ctx *ctx, const gd_obj *o, const char *text, const char *what,
                             double *x) {
    const size_t n = o->n;
    int named = strchr(text, '=') != NULL;
    unsigned char *seen = gd_calloc(n, 1);
    if (!seen) return gd_error(ctx, GD_ENOMEM, "out of memory");
    size_t cnt = 0;
    const char *s = text;
    gd_status st = GD_OK;
    char vars[256] = "";
    for (size_t i = 0, u = 0; i < n && u < sizeof vars - 8; i++)
        u += (size_t)snprintf(vars + u, sizeof vars - u, "%s%s", i ? ", " : "", o->names[i]);
    while (*s) {
        size_t idx = cnt;
        if (named) {
            const char *eq = strchr(s, '=');
            const char *comma = strchr(s, ',');
            if (!eq || (comma && comma < eq)) {
                st = gd_error(ctx, GD_EINVAL, "%s: expected name=value pairs separated by commas, got '%s'",
                              what, text);
                break;
            }
            size_t len = (size_t)(eq - s);
            idx = n;
            for (size_t i = 0; i < n; i++)
                if (strlen(o->names[i]) == len && !strncmp(o->names[i], s, len)) idx = i;
            if (idx == n) {
                st = gd_error(ctx, GD_EINVAL, "%s: unknown variable '%.*s' (the variables are %s)", what,
                              (int)len, s, vars);
                break;
            }
            if (seen[idx]) {
                st = gd_error(ctx, GD_EINVAL, "%s: variable '%s' given twice", what, o->names[idx]);
                break;
            }
            s = eq + 1;
        } else if (cnt >= n) {
            cnt++;
            break;
        }
        const char *end;
        double v;
        const int why = gd_parse_decimal(s, &end, &v);
        if (why != GD_NUM_OK || (*end && *end != ',')) {
            st = gd_error(ctx, GD_EINVAL, "%s: expected a finite number for %s, got '%s'%s%s%s", what,
                          o->names[idx], s, why > GD_NUM_NONE ? " (" : "",
                          why > GD_NUM_NONE ? gd_parse_number_why(why) : "", why > GD_NUM_NONE ? ")" : "");
            break;
        }
        x[idx] = v, seen[idx] = 1, cnt++;
        s = *end ? end + 1 : end;
    }
    if (st == GD_OK && cnt != n)
        st = gd_error(ctx, GD_EINVAL, "%s: expected %zu value%s (%s), got %s%zu", what, n, n == 1 ? "" : "s",
                      vars, cnt > n ? "more than " : "", cnt > n ? n : cnt);
    gd_free(seen);
    return st;
}

gd_status gd_obj_check_start(gd_ctx *ctx, gd_obj *o, const double *x, const char *what) {
    const size_t n = o->n;
    double *g = gd_malloc((n + n * n) * sizeof *g);
    if (!g) return gd_error(ctx, GD_ENOMEM, "out of memory");
    const double f = gd_obj_eval(o, x, g, g + n);
    const char *bad = NULL;
    size_t at = 0;
    if (!isfinite(f)) bad = "f";
    for (size_t i = 0; !bad && i < n + n * n; i++)
        if (!isfinite(g[i])) bad = i < n ? "a partial derivative" : "a second derivative", at = i;
    gd_status st = GD_OK;
    if (bad) {
        char pt[256] = "";
        for (size_t i = 0, u = 0; i < n && u < sizeof pt - 40; i++)
            u += (size_t)snprintf(pt + u, sizeof pt - u, "%s%s = %.17g", i ? ", " : "", o->names[i], x[i]);
        char which[160];
        if (at < n) snprintf(which, sizeof which, "d/d%s", o->names[at]);
        else snprintf(which, sizeof which, "d2/d%s d%s", o->names[(at - n) / n], o->names[(at - n) % n]);
        st = gd_error(ctx, GD_EINVAL,
                      "%s: the objective %s is not finite at the start %s: %s%s%s = %s (a start needs a finite "
                      "value, gradient and Hessian)", what, o->text, pt, bad, *bad == 'f' ? "" : " ",
                      *bad == 'f' ? "" : which, isnan(*bad == 'f' ? f : g[at]) ? "nan" : "inf");
    }
    gd_free(g);
    return st;
}
