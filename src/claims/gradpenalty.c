/* The input- against parameter-gradient penalty inequality of an MLP
 * (claims.h): its two sides at a point, forward and backward passes in
 * long double, spectral norms by LAPACK, and the Nelder-Mead search (GSL)
 * for the largest ratio or the smallest per-layer margin. */
#include "gdlab/claims.h"
#include "gdlab/rng.h"

#include <gsl/gsl_multimin.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#define GP_MAXW 64

/* The largest singular value of the (r, c) row-major matrix A (copied). */
static double spectral_norm(const double *A, size_t r, size_t c, double *work) {
    double *B = work, *s = work + r * c, *sup = s + (r < c ? r : c);
    memcpy(B, A, r * c * sizeof *B);
    if (r == 1 || c == 1) {
        double t = 0;
        for (size_t i = 0; i < r * c; i++) t = hypot(t, B[i]);
        return t;
    }
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)r, (lapack_int)c, B, (lapack_int)c, s,
                                     NULL, 1, NULL, 1, sup);
    return info == 0 ? s[0] : GD_NAN;
}

/* Residual at layer t (1-based) of l: hidden, input and output widths equal. */
static int is_residual(const gd_mlp_params *p, int residual, size_t t) {
    return residual && t >= 2 && t + 1 <= p->n_layers && p->width[t] == p->width[t - 1];
}

static gd_status check_net(gd_ctx *ctx, const gd_mlp_params *p, int residual) {
    if (p->n_layers < 1 || p->n_layers > GD_MLP_MAX_LAYERS)
        return gd_error(ctx, GD_EINVAL, "gradient penalty: expected 1 to %d layers, got %zu", GD_MLP_MAX_LAYERS,
                        p->n_layers);
    int any = 0;
    for (size_t t = 0; t <= p->n_layers; t++)
        if (p->width[t] < 1 || p->width[t] > GP_MAXW)
            return gd_error(ctx, GD_EINVAL, "gradient penalty: width %zu of layer %zu outside [1, %d]", p->width[t],
                            t, GP_MAXW);
    for (size_t t = 1; t <= p->n_layers; t++) any |= is_residual(p, residual, t);
    if (residual && !any)
        return gd_error(ctx, GD_EINVAL, "gradient penalty: a residual network needs a hidden layer with equal "
                        "input and output widths");
    return GD_OK;
}

static size_t nparams(const gd_mlp_params *p) {
    size_t P = 0;
    for (size_t t = 1; t <= p->n_layers; t++) P += p->width[t] * (p->width[t - 1] + (p->bias ? 1 : 0));
    return P;
}

/* The workspace of one evaluation: activations h^(t), derivatives g', the
 * input Jacobian (long double), its double copy and the SVD's space. */
typedef struct gp_work {
    long double h[GD_MLP_MAX_LAYERS + 1][GP_MAXW], dg[GD_MLP_MAX_LAYERS][GP_MAXW];
    long double J[GP_MAXW * GP_MAXW], Jn[GP_MAXW * GP_MAXW], delta[GP_MAXW], prev[GP_MAXW];
    double Jd[GP_MAXW * GP_MAXW], svd[GP_MAXW * GP_MAXW + 2 * GP_MAXW];
} gp_work;

/* The claim's sides at (w, x, c); the caller has checked the network. */
static void eval(const gd_mlp_params *p, int residual, const double *w, const double *x, const double *c,
                 gp_work *k, gd_gp_point *o) {
    const size_t l = p->n_layers, n0 = p->width[0];
    const long double beta = p->bias ? 1 : 0;
    memset(o, 0, sizeof *o);
    for (size_t j = 0; j < n0; j++) k->h[0][j] = x[j];
    for (size_t i = 0; i < n0 * n0; i++) k->J[i] = i % (n0 + 1) == 0;
    const double *wt = w;
    double z[GP_MAXW], d1[GP_MAXW], v[GP_MAXW];
    for (size_t t = 1; t <= l; t++) {
        const size_t r = p->width[t], cdim = p->width[t - 1];
        const double *W = wt, *b = p->bias ? wt + r * cdim : NULL;
        wt += r * cdim + (p->bias ? r : 0);
        long double h2 = 0;
        for (size_t j = 0; j < cdim; j++) h2 += k->h[t - 1][j] * k->h[t - 1][j];
        o->h2[t - 1] = (double)h2;
        o->Wn[t - 1] = spectral_norm(W, r, cdim, k->svd);
        if (t == 1) o->Jn[0] = 1;
        else {
            for (size_t i = 0; i < cdim * n0; i++) k->Jd[i] = (double)k->J[i];
            o->Jn[t - 1] = spectral_norm(k->Jd, cdim, n0, k->svd);
        }
        long double zl[GP_MAXW];
        for (size_t i = 0; i < r; i++) {
            long double s = b ? b[i] : 0;
            for (size_t j = 0; j < cdim; j++) s += (long double)W[i * cdim + j] * k->h[t - 1][j];
            zl[i] = s, z[i] = (double)s;
        }
        if (t < l) gd_act_eval(p->act, r, z, v, d1);
        else for (size_t i = 0; i < r; i++) v[i] = z[i], d1[i] = 1;
        const int res = is_residual(p, residual, t);
        for (size_t i = 0; i < r; i++) {
            k->dg[t - 1][i] = d1[i];
            /* the last layer's value in long double: it is linear */
            k->h[t][i] = (t < l ? (long double)v[i] : zl[i]) + (res ? k->h[t - 1][i] : 0);
            for (size_t q = 0; q < n0; q++) {
                long double s = 0;
                for (size_t j = 0; j < cdim; j++) s += (long double)W[i * cdim + j] * k->J[j * n0 + q];
                k->Jn[i * n0 + q] = d1[i] * s + (res ? k->J[i * n0 + q] : 0);
            }
        }
        memcpy(k->J, k->Jn, r * n0 * sizeof *k->J);
    }
    /* Backward: delta = grad_{h^(t+1)} f, gz = delta g'(z^(t+1)). */
    for (size_t i = 0; i < p->width[l]; i++) k->delta[i] = c[i];
    long double rhs = 0;
    for (size_t t = l; t >= 1; t--) {
        const size_t r = p->width[t], cdim = p->width[t - 1];
        wt -= r * cdim + (p->bias ? r : 0);
        const double *W = wt;
        long double gz[GP_MAXW], g2 = 0;
        for (size_t i = 0; i < r; i++) gz[i] = k->delta[i] * k->dg[t - 1][i], g2 += gz[i] * gz[i];
        const long double Pt = (beta + (long double)o->h2[t - 1]) * g2;
        o->P[t - 1] = (double)Pt;
        rhs += Pt;
        const int res = is_residual(p, residual, t);
        for (size_t j = 0; j < cdim; j++) {
            long double s = res ? k->delta[j] : 0;
            for (size_t i = 0; i < r; i++) s += (long double)W[i * cdim + j] * gz[i];
            k->prev[j] = s;
        }
        memcpy(k->delta, k->prev, cdim * sizeof *k->delta);
    }
    long double gx2 = 0;
    for (size_t j = 0; j < n0; j++) gx2 += k->delta[j] * k->delta[j];
    o->gx2 = (double)gx2;
    long double lhs = 0;
    o->layer_margin = INFINITY;
    for (size_t t = 1; t <= l; t++) {
        const long double a = beta + (long double)o->h2[t - 1];
        const long double nn = (long double)o->Wn[t - 1] * o->Jn[t - 1];
        const long double L = gx2 * a, R = nn * nn * o->P[t - 1];
        const double m = L == 0 && R == 0 ? 0 : (double)((R - L) / fmaxl(R, L));
        if (m < o->layer_margin) o->layer_margin = m, o->layer_at = (int)t;
        if (nn == 0) o->zero_terms++;
        else lhs += L / (nn * nn);
    }
    o->lhs = (double)lhs, o->rhs = (double)rhs;
    o->ratio = o->zero_terms || !(rhs > 0) ? GD_NAN : (double)(lhs / rhs);
    if (!isfinite(o->lhs) || !isfinite(o->rhs)) o->ratio = GD_NAN, o->layer_margin = GD_NAN;
}

gd_status gd_gp_eval(gd_ctx *ctx, const gd_mlp_params *p, int residual, const double *w, const double *x,
                     const double *c, gd_gp_point *out) {
    gd_status st = check_net(ctx, p, residual);
    if (st != GD_OK) return st;
    gp_work *k = gd_malloc(sizeof *k);
    if (!k) return gd_error(ctx, GD_ENOMEM, "out of memory");
    eval(p, residual, w, x, c, k, out);
    gd_free(k);
    return GD_OK;
}

/* ---- the search ---- */

typedef struct gp_search {
    const gd_mlp_params *p;
    int residual, which;
    size_t P, n0, nl;
    gp_work *k;
    long evals, zero;
    double best;  /* largest ratio or smallest margin seen */
    gd_gp_point at;
    double *v_best;  /* (P + n0 + nl) */
} gp_search;

/* The objective, minimised: -ratio or the margin; a 0/0 point counts as 1
 * (no evidence either way). Records the extreme point seen. */
static double objective(const gsl_vector *v, void *data) {
    gp_search *s = data;
    gd_gp_point o;
    const double *u = v->data;
    eval(s->p, s->residual, u, u + s->P, u + s->P + s->n0, s->k, &o);
    s->evals++;
    s->zero += o.zero_terms > 0;
    const double val = s->which ? o.layer_margin : o.ratio;
    if (isnan(val)) return 1;
    if (s->which ? val < s->best : val > s->best) {
        s->best = val, s->at = o;
        memcpy(s->v_best, u, (s->P + s->n0 + s->nl) * sizeof *u);
    }
    return s->which ? val : -val;
}

static double log_uniform(gd_rng *r, double lo, double hi) {
    return lo * exp(log(hi / lo) * gd_rng_uniform(r));
}

gd_status gd_gp_search(gd_ctx *ctx, uint64_t seed, const gd_mlp_params *p, int residual, int which,
                       size_t starts, size_t iters, double *worst, gd_gp_point *at, double *w_at, double *x_at,
                       double *c_at, long *evals, long *zero_terms) {
    gd_status st = check_net(ctx, p, residual);
    if (st != GD_OK) return st;
    gp_search s = {.p = p, .residual = residual, .which = which, .P = nparams(p), .n0 = p->width[0],
                   .nl = p->width[p->n_layers], .best = which ? INFINITY : -INFINITY};
    const size_t N = s.P + s.n0 + s.nl;
    s.k = gd_malloc(sizeof *s.k);
    s.v_best = gd_calloc(N, sizeof *s.v_best);
    gsl_vector *v = gsl_vector_alloc(N), *step = gsl_vector_alloc(N);
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, N);
    if (!s.k || !s.v_best || !v || !step || !m) {
        st = gd_error(ctx, GD_ENOMEM, "out of memory");
        goto done;
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gd_rng r;
    gd_rng_stream_init(&r, seed, "claim-gradpenalty", (uint64_t)which, 0);
    gsl_multimin_function fn = {objective, N, &s};
    for (size_t a = 0; a < starts; a++) {
        double *u = v->data;
        size_t o = 0;
        const int dead = p->act == GD_ACT_RELU && gd_rng_uniform(&r) < 0.25;
        for (size_t t = 1; t <= p->n_layers; t++) {
            const size_t rows = p->width[t], cols = p->width[t - 1];
            const double sw = log_uniform(&r, 0.1, 10) / sqrt((double)cols), sb = log_uniform(&r, 0.01, 3);
            for (size_t i = 0; i < rows * cols; i++) u[o++] = sw * gd_rng_normal(&r);
            /* a dead start: one hidden layer's biases far below its inputs' reach */
            const int kill = dead && t < p->n_layers && gd_rng_uniform(&r) < 0.5;
            if (p->bias)
                for (size_t i = 0; i < rows; i++) u[o++] = kill ? -50 - fabs(sb * gd_rng_normal(&r)) : sb * gd_rng_normal(&r);
        }
        const double sx = log_uniform(&r, 0.1, 10);
        for (size_t j = 0; j < s.n0; j++) u[o++] = sx * gd_rng_normal(&r);
        for (size_t j = 0; j < s.nl; j++) u[o++] = gd_rng_normal(&r);
        for (size_t i = 0; i < N; i++) gsl_vector_set(step, i, 0.1 * fmax(fabs(u[i]), 0.1));
        gsl_multimin_fminimizer_set(m, &fn, v, step);
        for (size_t it = 0; it < iters; it++) {
            if (gsl_multimin_fminimizer_iterate(m)) break;
            if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-12) == GSL_SUCCESS) break;
        }
    }
    *worst = isfinite(s.best) ? s.best : GD_NAN;
    if (at) *at = s.at;
    if (w_at) memcpy(w_at, s.v_best, s.P * sizeof *w_at);
    if (x_at) memcpy(x_at, s.v_best + s.P, s.n0 * sizeof *x_at);
    if (c_at) memcpy(c_at, s.v_best + s.P + s.n0, s.nl * sizeof *c_at);
    *evals = s.evals;
    if (zero_terms) *zero_terms = s.zero;
    gsl_set_error_handler(old);
done:
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(step);
    gsl_vector_free(v);
    gd_free(s.v_best);
    gd_free(s.k);
    return st;
}
