/* Scaling-law fits (fit.h): the forms and objectives with their analytic
 * gradients, the screened start grid, L-BFGS (liblbfgs) with a Newton
 * polish, variable projection for the Chinchilla form, the compute-optimal
 * allocation and the bootstrap. */
#include "gdlab/fit.h"
#include "gdlab/rng.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <lapacke.h>
#include <lbfgs.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const NAMES_CH[] = {"A", "B", "E", "alpha", "beta", NULL};
static const char *const NAMES_PW[] = {"A", "E", "alpha", NULL};
static const char *const NAMES_BPL[] = {"A", "E", "alpha", "alpha2", "x_break", "smoothness", NULL};

size_t gd_fit_nparams(gd_fit_form f) { return f == GD_FIT_CHINCHILLA ? 5 : f == GD_FIT_POWER ? 3 : 6; }

const char *gd_fit_form_name(gd_fit_form f) {
    return f == GD_FIT_CHINCHILLA ? "chinchilla" : f == GD_FIT_POWER ? "power" : "bpl";
}

const char *const *gd_fit_param_names(gd_fit_form f) {
    return f == GD_FIT_CHINCHILLA ? NAMES_CH : f == GD_FIT_POWER ? NAMES_PW : NAMES_BPL;
}

int gd_fit_form_from_name(const char *s) {
    return !strcmp(s, "chinchilla") ? GD_FIT_CHINCHILLA : !strcmp(s, "power") ? GD_FIT_POWER
           : !strcmp(s, "bpl") ? GD_FIT_BPL : -1;
}

int gd_fit_objective_from_name(const char *s) {
    return !strcmp(s, "huber") ? GD_FIT_HUBER : !strcmp(s, "lsq") ? GD_FIT_LSQ : !strcmp(s, "asym") ? GD_FIT_ASYM : -1;
}

gd_fit_spec gd_fit_default_spec(void) {
    return (gd_fit_spec){.form = GD_FIT_CHINCHILLA, .objective = GD_FIT_HUBER, .delta = 1e-3, .tau = 0.75};
}

/* ---- points in log space and the objective ---- */

typedef struct pts {
    size_t n;
    double *l1, *l2, *lL; /* log x1, log x2 (chinchilla), log L */
    const double *w;      /* multiplicities or NULL */
} pts;

static int pts_make(const gd_fit_spec *s, const gd_fit_data *d, pts *p) {
    p->n = d->n, p->w = d->w;
    p->l1 = gd_malloc(3 * d->n * sizeof *p->l1);
    if (!p->l1) return -1;
    p->l2 = p->l1 + d->n, p->lL = p->l2 + d->n;
    for (size_t i = 0; i < d->n; i++) {
        p->l1[i] = log(d->x1[i]);
        p->l2[i] = s->form == GD_FIT_CHINCHILLA ? log(d->x2[i]) : 0;
        p->lL[i] = log(d->L[i]);
    }
    return 0;
}

static void pts_free(pts *p) { gd_free(p->l1); }

/* rho(r) and psi = rho'(r). */
static inline double loss(const gd_fit_spec *s, double r, double *psi) {
    switch (s->objective) {
    case GD_FIT_HUBER:
        if (fabs(r) <= s->delta) return *psi = r, 0.5 * r * r;
        *psi = copysign(s->delta, r);
        return s->delta * (fabs(r) - 0.5 * s->delta);
    case GD_FIT_LSQ: return *psi = r, 0.5 * r * r;
    default: {
        const double w = r > 0 ? s->tau : 1 - s->tau;
        return *psi = w * r, 0.5 * w * r * r;
    }
    }
}

/* log Lhat = log(e^u1 + e^u2 [+ e^u3]) with its weights p (softmax): one
 * exp fewer than terms (the largest is e^0) and one log. */
static inline double lse(const double *u, int k, double *p) {
    int im = 0;
    for (int j = 1; j < k; j++)
        if (u[j] > u[im]) im = j;
    const double m = u[im];
    double t = 1;
    for (int j = 0; j < k; j++)
        if (j != im) t += p[j] = exp(u[j] - m);
    p[im] = 1;
    const double inv = 1 / t;
    for (int j = 0; j < k; j++) p[j] *= inv;
    return m + log(t);
}

static inline double softplus(double v) { return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)); }
static inline double sigmoid(double v) { return v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v)); }

/* log Lhat at (l1, l2) and, if g is not NULL, its gradient in theta. */
static double log_pred(gd_fit_form f, const double *th, double l1, double l2, double *g) {
    double u[3], p[3];
    switch (f) {
    case GD_FIT_CHINCHILLA: {
        u[0] = th[0] - th[3] * l1, u[1] = th[1] - th[4] * l2, u[2] = th[2];
        const double v = lse(u, 3, p);
        if (g) g[0] = p[0], g[1] = p[1], g[2] = p[2], g[3] = -p[0] * l1, g[4] = -p[1] * l2;
        return v;
    }
    case GD_FIT_POWER: {
        u[0] = th[0] - th[2] * l1, u[1] = th[1];
        const double v = lse(u, 2, p);
        if (g) g[0] = p[0], g[1] = p[1], g[2] = -p[0] * l1;
        return v;
    }
    default: {
        const double fw = exp(th[5]), z = (l1 - th[4]) / fw, sp = softplus(z), sg = sigmoid(z);
        u[0] = th[0] - th[2] * l1 - th[3] * fw * sp, u[1] = th[1];
        const double v = lse(u, 2, p);
        if (g) {
            g[0] = p[0], g[1] = p[1], g[2] = -p[0] * l1, g[3] = -p[0] * fw * sp;
            g[4] = p[0] * th[3] * sg, g[5] = -p[0] * th[3] * fw * (sp - sg * z);
        }
        return v;
    }
    }
}

static double obj(const gd_fit_spec *s, const pts *d, const double *th, double *grad) {
    const size_t np = gd_fit_nparams(s->form);
    double F = 0, g[GD_FIT_MAXP];
    if (grad) memset(grad, 0, np * sizeof *grad);
    for (size_t i = 0; i < d->n; i++) {
        const double wi = d->w ? d->w[i] : 1;
        if (wi == 0) continue;
        double psi;
        const double r = log_pred(s->form, th, d->l1[i], d->l2[i], grad ? g : NULL) - d->lL[i];
        F += wi * loss(s, r, &psi);
        if (grad)
            for (size_t j = 0; j < np; j++) grad[j] += wi * psi * g[j];
    }
    return F;
}

double gd_fit_objective_value(const gd_fit_spec *s, const gd_fit_data *d, const double *theta, double *grad) {
    pts p;
    if (pts_make(s, d, &p)) return GD_NAN;
    const double F = obj(s, &p, theta, grad);
    pts_free(&p);
    return F;
}

double gd_fit_predict(const gd_fit_spec *s, const double *theta, double x1, double x2) {
    return exp(log_pred(s->form, theta, log(x1), s->form == GD_FIT_CHINCHILLA ? log(x2) : 0, NULL));
}

size_t gd_fit_report(const gd_fit_spec *s, const double *th, double *out) {
    switch (s->form) {
    case GD_FIT_CHINCHILLA:
        out[0] = exp(th[0]), out[1] = exp(th[1]), out[2] = exp(th[2]), out[3] = th[3], out[4] = th[4];
        return 5;
    case GD_FIT_POWER: out[0] = exp(th[0]), out[1] = exp(th[1]), out[2] = th[2]; return 3;
    default:
        out[0] = exp(th[0]), out[1] = exp(th[1]), out[2] = th[2], out[3] = th[2] + th[3], out[4] = exp(th[4]);
        out[5] = exp(th[5]);
        return 6;
    }
}

/* ---- L-BFGS and the polish ---- */

typedef struct lb_inst {
    const gd_fit_spec *s;
    const pts *d;
} lb_inst;

static lbfgsfloatval_t lb_eval(void *inst, const lbfgsfloatval_t *x, lbfgsfloatval_t *g, const int n,
                               const lbfgsfloatval_t step) {
    (void)n, (void)step;
    const lb_inst *li = inst;
    const double F = obj(li->s, li->d, x, g);
    return isfinite(F) ? F : HUGE_VAL;
}

static double norm(const double *g, size_t n) {
    double t = 0;
    for (size_t i = 0; i < n; i++) t = hypot(t, g[i]);
    return t;
}

/* The exact Hessian for the forms whose log-sum-exp arguments u_k are
 * linear in theta (chinchilla, power): per point, with g = J^T p the
 * gradient of log Lhat and p the softmax weights,
 *   H += w (rho''(r) g g^T + rho'(r) (sum_k p_k J_k J_k^T - g g^T)).
 * Also returns the objective and fills grad. */
static double obj_hess(const gd_fit_spec *s, const pts *d, const double *th, double *grad, double *H) {
    const size_t np = gd_fit_nparams(s->form);
    const int k3 = s->form == GD_FIT_CHINCHILLA;
    memset(grad, 0, np * sizeof *grad), memset(H, 0, np * np * sizeof *H);
    double F = 0;
    for (size_t i = 0; i < d->n; i++) {
        const double wi = d->w ? d->w[i] : 1;
        if (wi == 0) continue;
        double J[3][GD_FIT_MAXP] = {{0}}, g[GD_FIT_MAXP], p[3], u[3];
        if (k3) {
            J[0][0] = 1, J[0][3] = -d->l1[i], J[1][1] = 1, J[1][4] = -d->l2[i], J[2][2] = 1;
            u[0] = th[0] - th[3] * d->l1[i], u[1] = th[1] - th[4] * d->l2[i], u[2] = th[2];
        } else {
            J[0][0] = 1, J[0][2] = -d->l1[i], J[1][1] = 1;
            u[0] = th[0] - th[2] * d->l1[i], u[1] = th[1];
        }
        const int K = k3 ? 3 : 2;
        const double r = lse(u, K, p) - d->lL[i];
        double psi;
        F += wi * loss(s, r, &psi);
        const double rho2 = s->objective == GD_FIT_HUBER ? (fabs(r) <= s->delta) : s->objective == GD_FIT_LSQ ? 1
                            : r > 0 ? s->tau : 1 - s->tau;
        for (size_t a = 0; a < np; a++) {
            g[a] = 0;
            for (int k = 0; k < K; k++) g[a] += p[k] * J[k][a];
            grad[a] += wi * psi * g[a];
        }
        for (size_t a = 0; a < np; a++)
            for (size_t b = 0; b < np; b++) {
                double t = 0;
                for (int k = 0; k < K; k++) t += p[k] * J[k][a] * J[k][b];
                H[a * np + b] += wi * (rho2 * g[a] * g[b] + psi * (t - g[a] * g[b]));
            }
    }
    return F;
}

/* Newton steps on the Hessian (exact for chinchilla and power, central
 * differences of the analytic gradient for bpl),
 * each accepted only if it lowers the objective (Levenberg damping when
 * the Hessian is not positive definite or the step fails). */
static double polish(const gd_fit_spec *s, const pts *d, double *th, double F, double *gn) {
    const size_t np = gd_fit_nparams(s->form);
    double g[GD_FIT_MAXP], H[GD_FIT_MAXP * GD_FIT_MAXP], gp[GD_FIT_MAXP], gm[GD_FIT_MAXP], t[GD_FIT_MAXP];
    obj(s, d, th, g);
    int flat = 0;
    for (int it = 0; it < 30 && norm(g, np) > 1e-15 && flat < 2; it++) {
        if (s->form != GD_FIT_BPL) obj_hess(s, d, th, g, H);
        else
            for (size_t j = 0; j < np; j++) {
                const double h = 1e-6 * fmax(1, fabs(th[j])), o = th[j];
                th[j] = o + h, obj(s, d, th, gp);
                th[j] = o - h, obj(s, d, th, gm);
                th[j] = o;
                for (size_t i = 0; i < np; i++) H[i * np + j] = (gp[i] - gm[i]) / (2 * h);
            }
        const double F0 = F;
        int ok = 0;
        for (double lam = 0; lam < 1e12 && !ok; lam = lam ? lam * 100 : 1e-12 * (1 + fabs(H[0]))) {
            double A[GD_FIT_MAXP * GD_FIT_MAXP], b[GD_FIT_MAXP];
            for (size_t i = 0; i < np; i++) {
                for (size_t j = 0; j < np; j++) A[i * np + j] = 0.5 * (H[i * np + j] + H[j * np + i]);
                A[i * np + i] += lam, b[i] = -g[i];
            }
            if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, 1, A, (lapack_int)np, b, 1) != 0) continue;
            for (size_t j = 0; j < np; j++) t[j] = th[j] + b[j];
            const double Ft = obj(s, d, t, NULL);
            if (Ft < F) ok = 1, F = Ft, memcpy(th, t, np * sizeof *th);
        }
        if (!ok) break;
        flat = F0 - F <= 1e-15 * F0 ? flat + 1 : 0; /* two steps without gain: a flat valley */
        obj(s, d, th, g);
    }
    *gn = norm(g, np);
    return F;
}

/* L-BFGS from th (in place): the objective there, NAN when not finite. */
static double descend(const gd_fit_spec *s, const pts *d, double *th) {
    const size_t np = gd_fit_nparams(s->form);
    lbfgs_parameter_t prm;
    lbfgs_parameter_init(&prm);
    prm.m = 10, prm.epsilon = 1e-7, prm.past = 5, prm.delta = 1e-10, prm.max_iterations = 5000;
    lb_inst li = {s, d};
    double F = HUGE_VAL;
    lbfgs((int)np, th, &F, lb_eval, NULL, &li, &prm); /* rounding-error stops keep the best point */
    F = obj(s, d, th, NULL);
    return isfinite(F) ? F : GD_NAN;
}

static double fit_from(const gd_fit_spec *s, const pts *d, double *th, double *gn) {
    const double F = descend(s, d, th);
    if (isnan(F)) return *gn = GD_NAN, GD_NAN;
    return polish(s, d, th, F, gn);
}

/* ---- the start grid ---- */

/* Grid point k of the form's grid into th; returns the grid size. */
static size_t grid_point(gd_fit_form f, const pts *d, size_t k, double *th) {
    static const double E5[6] = {-1, -0.5, 0, 0.5, 1, 1.5};
    if (f == GD_FIT_CHINCHILLA) { /* a, b in {0..25 by 5}, e, alpha, beta in {0..2 by 0.5} */
        if (th) {
            th[0] = 5.0 * (double)(k % 6), k /= 6;
            th[1] = 5.0 * (double)(k % 6), k /= 6;
            th[2] = E5[k % 6], k /= 6;
            th[3] = 0.5 * (double)(k % 5), k /= 5;
            th[4] = 0.5 * (double)(k % 5);
        }
        return 6 * 6 * 6 * 5 * 5;
    }
    if (f == GD_FIT_POWER) { /* a in {0..25 by 2.5}, e, alpha in {0..2 by 0.25} */
        if (th) {
            th[0] = 2.5 * (double)(k % 11), k /= 11;
            th[1] = E5[k % 6], k /= 6;
            th[2] = 0.25 * (double)(k % 9);
        }
        return 11 * 6 * 9;
    }
    /* bpl: a in {0..25 by 5}, e, c0 in {0..1.5 by 0.25}, c1 in {-1..1.5 by
     * 0.5}, log d at the 1/6 .. 5/6 points of the range of log x, log f in
     * {log 1/4, 0, log 4} */
    if (th) {
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (size_t i = 0; i < d->n; i++) lo = fmin(lo, d->l1[i]), hi = fmax(hi, d->l1[i]);
        th[0] = 5.0 * (double)(k % 6), k /= 6;
        th[1] = E5[k % 6], k /= 6;
        th[2] = 0.25 * (double)(k % 7), k /= 7;
        th[3] = -1 + 0.5 * (double)(k % 6), k /= 6;
        th[4] = lo + (hi - lo) * (double)(k % 5 + 1) / 6, k /= 5;
        th[5] = log(4.0) * ((double)(k % 3) - 1);
    }
    return 6 * 6 * 7 * 6 * 5 * 3;
}

typedef struct scored {
    double F;
    size_t k;
} scored;

static int cmp_scored(const void *a, const void *b) {
    const double x = ((const scored *)a)->F, y = ((const scored *)b)->F;
    return (x > y) - (x < y);
}

static int check_data(gd_ctx *ctx, const gd_fit_spec *s, const gd_fit_data *d) {
    if (d->n < gd_fit_nparams(s->form))
        return gd_error(ctx, GD_EINVAL, "fit: %zu points for %zu parameters of the %s form", d->n,
                        gd_fit_nparams(s->form), gd_fit_form_name(s->form));
    for (size_t i = 0; i < d->n; i++)
        if (!(d->x1[i] > 0) || !(d->L[i] > 0) || (s->form == GD_FIT_CHINCHILLA && !(d->x2[i] > 0)) ||
            !isfinite(d->x1[i]) || !isfinite(d->L[i]))
            return gd_error(ctx, GD_EINVAL, "fit: point %zu: sizes and losses must be finite and > 0", i + 1);
    return GD_OK;
}

gd_status gd_fit_run(gd_ctx *ctx, const gd_fit_spec *s, const gd_fit_data *d, size_t starts, gd_fit_result *out) {
    gd_status st = check_data(ctx, s, d);
    if (st != GD_OK) return st;
    const size_t np = gd_fit_nparams(s->form);
    pts p;
    if (pts_make(s, d, &p)) return gd_error(ctx, GD_ENOMEM, "out of memory");
    const size_t G = grid_point(s->form, &p, 0, NULL);
    scored *sc = gd_malloc(G * sizeof *sc);
    double *runs = gd_malloc((starts ? starts : 1) * (np + 1) * sizeof *runs);
    if (!sc || !runs) {
        gd_free(sc), gd_free(runs), pts_free(&p);
        return gd_error(ctx, GD_ENOMEM, "out of memory");
    }
    /* Screening. For chinchilla the grid is a product, so its terms
     * e^(log A - alpha log N) and e^(log B - beta log D) are tabulated once
     * per (log A, alpha) and (log B, beta): a grid point costs one log per
     * run instead of a log-sum-exp (all terms stay within [1e-30, 1e11]). */
    double *tab = s->form == GD_FIT_CHINCHILLA ? gd_malloc(60 * p.n * sizeof *tab) : NULL;
    if (tab) /* row q = c + 6 x: coefficient index c (log A or log B), exponent index x (alpha or beta) */
        for (size_t q = 0; q < 30; q++) {
            double th[GD_FIT_MAXP]; /* the grid point with a = b = c and alpha = beta = x */
            grid_point(s->form, &p, (q % 6) * (1 + 6) + (q / 6) * (216 + 1080), th);
            for (size_t i = 0; i < p.n; i++)
                tab[q * p.n + i] = exp(th[0] - th[3] * p.l1[i]), tab[(30 + q) * p.n + i] = exp(th[1] - th[4] * p.l2[i]);
        }
#pragma omp parallel for num_threads(ctx->threads) schedule(static)
    for (size_t k = 0; k < G; k++) {
        double th[GD_FIT_MAXP], F = 0, psi;
        grid_point(s->form, &p, k, th);
        if (tab) { /* k = a + 6 b + 36 e + 216 alpha + 1080 beta */
            const double *t1 = tab + (k % 6 + 6 * ((k / 216) % 5)) * p.n;
            const double *t2 = tab + (30 + (k / 6) % 6 + 6 * (k / 1080)) * p.n, E = exp(th[2]);
            for (size_t i = 0; i < p.n; i++) F += (p.w ? p.w[i] : 1) * loss(s, log(t1[i] + t2[i] + E) - p.lL[i], &psi);
        } else {
            F = obj(s, &p, th, NULL);
        }
        sc[k] = (scored){isfinite(F) ? F : HUGE_VAL, k};
    }
    gd_free(tab);
    qsort(sc, G, sizeof *sc, cmp_scored);
    if (starts > G) starts = G;
    /* L-BFGS from every start, then the Newton polish of those that ended
     * within 1e-3 of the best (the others cannot reach it: a polish moves
     * the objective by far less) and of the best of the rest. */
#pragma omp parallel for num_threads(ctx->threads) schedule(dynamic)
    for (size_t j = 0; j < starts; j++) {
        double *th = runs + j * (np + 1);
        grid_point(s->form, &p, sc[j].k, th);
        const double F = descend(s, &p, th);
        th[np] = isnan(F) ? HUGE_VAL : F;
    }
    double F1 = HUGE_VAL;
    for (size_t j = 0; j < starts; j++) F1 = fmin(F1, runs[j * (np + 1) + np]);
    size_t other = (size_t)-1;
    for (size_t j = 0; j < starts; j++) {
        const double F = runs[j * (np + 1) + np];
        if (F > F1 * (1 + 1e-3) && isfinite(F) && (other == (size_t)-1 || F < runs[other * (np + 1) + np])) other = j;
    }
#pragma omp parallel for num_threads(ctx->threads) schedule(dynamic)
    for (size_t j = 0; j < starts; j++) {
        double *th = runs + j * (np + 1), gn;
        if (th[np] <= F1 * (1 + 1e-3) || j == other) th[np] = polish(s, &p, th, th[np], &gn);
    }
    size_t best = 0;
    for (size_t j = 1; j < starts; j++)
        if (runs[j * (np + 1) + np] < runs[best * (np + 1) + np]) best = j;
    const double Fb = runs[best * (np + 1) + np];
    memset(out, 0, sizeof *out);
    out->grid = G, out->starts = starts, out->second_objective = GD_NAN;
    for (size_t i = 0; i < GD_FIT_MAXP; i++) out->second[i] = GD_NAN;
    if (!isfinite(Fb)) {
        gd_free(sc), gd_free(runs), pts_free(&p);
        return gd_error(ctx, GD_ENUMERIC, "fit: no start reached a finite objective");
    }
    memcpy(out->theta, runs + best * (np + 1), np * sizeof *out->theta);
    double g[GD_FIT_MAXP];
    out->objective = obj(s, &p, out->theta, g);
    out->grad_norm = norm(g, np);
    for (size_t j = 0; j < starts; j++) {
        const double *th = runs + j * (np + 1), F = th[np];
        if (F <= Fb + 1e-8 * fabs(Fb) + 1e-20 * (double)d->n) out->starts_at_best++; /* relative, or at rounding */
        else if (isfinite(F) && !(F >= out->second_objective))
            out->second_objective = F, memcpy(out->second, th, np * sizeof *th);
    }
    gd_free(sc), gd_free(runs), pts_free(&p);
    return GD_OK;
}

/* ---- variable projection (chinchilla) ---- */

typedef struct vp {
    const gd_fit_spec *s;
    const pts *d;
    double *f;  /* (n, 3): 1, N^-alpha, D^-beta */
    double c[3];
} vp;

/* Weighted NNLS in 3 unknowns by enumerating the supports: the optimum is
 * the least-squares solution on its support, and every feasible such
 * solution is no better. F (n, 3), cw (n) weights, z (n) targets. */
static int nnls3(const double *F, const double *cw, const double *z, size_t n, double *c) {
    double M[9] = {0}, v[3] = {0};
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) {
            v[a] += cw[i] * F[3 * i + a] * z[i];
            for (int b = 0; b < 3; b++) M[3 * a + b] += cw[i] * F[3 * i + a] * F[3 * i + b];
        }
    double best = HUGE_VAL;
    int found = 0;
    for (int S = 1; S < 8; S++) {
        int idx[3], k = 0;
        for (int a = 0; a < 3; a++)
            if (S & (1 << a)) idx[k++] = a;
        double A[9], b[3];
        for (int i = 0; i < k; i++) {
            b[i] = v[idx[i]];
            for (int j = 0; j < k; j++) A[i * k + j] = M[3 * idx[i] + idx[j]];
        }
        if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', k, 1, A, k, b, 1) != 0) continue;
        double t[3] = {0, 0, 0};
        int feas = 1;
        for (int i = 0; i < k; i++) feas &= b[i] >= 0, t[idx[i]] = b[i];
        if (!feas) continue;
        /* weighted SSE up to the constant sum cw z^2: t'Mt - 2 t'v */
        double q = 0;
        for (int a = 0; a < 3; a++) {
            q -= 2 * t[a] * v[a];
            for (int bb = 0; bb < 3; bb++) q += t[a] * M[3 * a + bb] * t[bb];
        }
        if (q < best) best = q, memcpy(c, t, sizeof t), found = 1;
    }
    return found;
}

static double vp_value(vp *V, const double *c) {
    double F = 0, psi;
    for (size_t i = 0; i < V->d->n; i++) {
        const double y = c[0] * V->f[3 * i] + c[1] * V->f[3 * i + 1] + c[2] * V->f[3 * i + 2];
        if (!(y > 0)) return HUGE_VAL;
        F += (V->d->w ? V->d->w[i] : 1) * loss(V->s, log(y) - V->d->lL[i], &psi);
    }
    return F;
}

/* The profile objective at (alpha, beta): IRLS from the relative
 * least-squares fit, each step damped until it lowers the objective. */
static double profile(vp *V, double al, double be) {
    const size_t n = V->d->n;
    double *cw = V->f + 3 * n, *z = cw + n;
    for (size_t i = 0; i < n; i++) {
        V->f[3 * i] = 1, V->f[3 * i + 1] = exp(-al * V->d->l1[i]), V->f[3 * i + 2] = exp(-be * V->d->l2[i]);
        const double L = exp(V->d->lL[i]);
        cw[i] = (V->d->w ? V->d->w[i] : 1) / (L * L), z[i] = L;
    }
    double c[3];
    if (!nnls3(V->f, cw, z, n, c)) return HUGE_VAL;
    double F = vp_value(V, c);
    for (int it = 0; it < 200 && isfinite(F); it++) {
        for (size_t i = 0; i < n; i++) {
            const double y = c[0] * V->f[3 * i] + c[1] * V->f[3 * i + 1] + c[2] * V->f[3 * i + 2];
            const double r = log(y) - V->d->lL[i];
            double psi;
            loss(V->s, r, &psi);
            const double wr = fabs(r) > 1e-300 ? psi / r : (V->s->objective == GD_FIT_ASYM ? V->s->tau : 1);
            cw[i] = (V->d->w ? V->d->w[i] : 1) * wr / (y * y), z[i] = y * (1 - r);
        }
        double cn[3];
        if (!nnls3(V->f, cw, z, n, cn)) break;
        double Fn = vp_value(V, cn), lam = 1;
        while (!(Fn < F) && lam > 1e-6) {
            lam *= 0.5;
            double t[3];
            for (int a = 0; a < 3; a++) t[a] = c[a] + lam * (cn[a] - c[a]);
            Fn = vp_value(V, t);
            if (Fn < F) memcpy(cn, t, sizeof t);
        }
        if (!(Fn < F)) break;
        const int done = F - Fn <= 1e-14 * F;
        F = Fn, memcpy(c, cn, sizeof c);
        if (done) break;
    }
    memcpy(V->c, c, sizeof c);
    return F;
}

static double vp_nm(const gsl_vector *x, void *data) {
    const double al = gsl_vector_get(x, 0), be = gsl_vector_get(x, 1);
    if (!(al > 0 && be > 0 && al < 10 && be < 10)) return 1e300;
    const double F = profile(data, al, be);
    return isfinite(F) ? F : 1e300;
}

gd_status gd_fit_varpro(gd_ctx *ctx, const gd_fit_spec *s, const gd_fit_data *d, double *theta, double *objective) {
    if (s->form != GD_FIT_CHINCHILLA)
        return gd_error(ctx, GD_EINVAL, "fit: variable projection is for the chinchilla form");
    gd_status st = check_data(ctx, s, d);
    if (st != GD_OK) return st;
    pts p;
    if (pts_make(s, d, &p)) return gd_error(ctx, GD_ENOMEM, "out of memory");
    vp V = {s, &p, gd_malloc(5 * d->n * sizeof(double)), {0}};
    if (!V.f) {
        pts_free(&p);
        return gd_error(ctx, GD_ENOMEM, "out of memory");
    }
    double bF = HUGE_VAL, ba = 0, bb = 0;
    for (int i = 1; i <= 30; i++)
        for (int j = 1; j <= 30; j++) {
            const double F = profile(&V, 0.1 * i, 0.1 * j);
            if (F < bF) bF = F, ba = 0.1 * i, bb = 0.1 * j;
        }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_multimin_function fn = {vp_nm, 2, &V};
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, 2);
    gsl_vector *x = gsl_vector_alloc(2), *step = gsl_vector_alloc(2);
    if (m && x && step && isfinite(bF)) {
        gsl_vector_set(x, 0, ba), gsl_vector_set(x, 1, bb);
        gsl_vector_set_all(step, 0.02);
        gsl_multimin_fminimizer_set(m, &fn, x, step);
        for (int it = 0; it < 2000; it++) {
            if (gsl_multimin_fminimizer_iterate(m)) break;
            if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-12) == GSL_SUCCESS) break;
        }
        ba = gsl_vector_get(m->x, 0), bb = gsl_vector_get(m->x, 1);
    }
    gsl_set_error_handler(old);
    const double F = profile(&V, ba, bb);
    theta[0] = log(V.c[1]), theta[1] = log(V.c[2]), theta[2] = log(V.c[0]), theta[3] = ba, theta[4] = bb;
    *objective = F;
    gsl_multimin_fminimizer_free(m), gsl_vector_free(x), gsl_vector_free(step);
    gd_free(V.f), pts_free(&p);
    return isfinite(F) ? GD_OK : gd_error(ctx, GD_ENUMERIC, "fit: variable projection found no finite objective");
}

/* ---- derived quantities and the bootstrap ---- */

gd_fit_optimal gd_fit_compute_optimal(const double *th, double C) {
    const double A = exp(th[0]), B = exp(th[1]), al = th[3], be = th[4];
    gd_fit_optimal o;
    o.a = be / (al + be), o.b = al / (al + be);
    o.G = pow(al * A / (be * B), 1 / (al + be));
    o.N_opt = o.G * pow(C / 6, o.a), o.D_opt = pow(C / 6, o.b) / o.G, o.D_per_N = o.D_opt / o.N_opt;
    return o;
}

gd_status gd_fit_bootstrap(gd_ctx *ctx, const gd_fit_spec *s, const gd_fit_data *d, const long *group,
                           const gd_fit_result *full, size_t K, uint64_t seed, double *out) {
    const size_t n = d->n, np = gd_fit_nparams(s->form);
    /* groups as 0 .. ng-1 */
    long *gid = gd_malloc(n * sizeof *gid);
    if (!gid) return gd_error(ctx, GD_ENOMEM, "out of memory");
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        gid[i] = (long)i;
        if (group) {
            size_t j = 0;
            while (j < i && group[j] != group[i]) j++;
            gid[i] = j < i ? gid[j] : (long)ng;
        }
        if (!group || gid[i] == (long)ng) ng++;
    }
    pts p;
    if (pts_make(s, d, &p)) {
        gd_free(gid);
        return gd_error(ctx, GD_ENOMEM, "out of memory");
    }
    int fail = 0;
#pragma omp parallel num_threads(ctx->threads)
    {
        double *w = gd_malloc((n + ng) * sizeof *w), *cnt = w ? w + n : NULL;
        if (!w) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic)
        for (size_t k = 0; k < K; k++) {
            if (!w) continue;
            gd_rng r;
            gd_rng_stream_init(&r, seed, "fit-bootstrap", (uint64_t)k, 0);
            memset(cnt, 0, ng * sizeof *cnt);
            for (size_t j = 0; j < ng; j++) cnt[(size_t)(gd_rng_uniform(&r) * (double)ng) % ng] += 1;
            for (size_t i = 0; i < n; i++) w[i] = cnt[gid[i]];
            pts q = p;
            q.w = w;
            double th[GD_FIT_MAXP], best[GD_FIT_MAXP], bF = HUGE_VAL, gn;
            for (int from = 0; from < 2; from++) {
                const double *st = from ? full->second : full->theta;
                if (isnan(st[0])) continue;
                memcpy(th, st, np * sizeof *th);
                const double F = fit_from(s, &q, th, &gn);
                if (F < bF) bF = F, memcpy(best, th, np * sizeof *th);
            }
            if (isfinite(bF)) gd_fit_report(s, best, out + k * np);
            else
                for (size_t j = 0; j < np; j++) out[k * np + j] = GD_NAN;
        }
        gd_free(w);
    }
    pts_free(&p);
    gd_free(gid);
    return fail ? gd_error(ctx, GD_ENOMEM, "out of memory") : GD_OK;
}

gd_fit_interval gd_fit_percentiles(const double *v, size_t K, size_t stride, double level) {
    gd_fit_interval o = {GD_NAN, GD_NAN, GD_NAN, 0};
    double *t = gd_malloc((K ? K : 1) * sizeof *t), m = 0, q = 0;
    if (!t) return o;
    size_t n = 0;
    for (size_t k = 0; k < K; k++)
        if (isfinite(v[k * stride])) t[n++] = v[k * stride];
    o.n = n;
    if (n >= 2) {
        for (size_t i = 0; i < n; i++) m += t[i];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) q += (t[i] - m) * (t[i] - m);
        o.sd = sqrt(q / (double)(n - 1));
        for (size_t i = 1; i < n; i++) /* insertion sort: K is thousands */
            for (size_t j = i; j > 0 && t[j - 1] > t[j]; j--) {
                const double x = t[j];
                t[j] = t[j - 1], t[j - 1] = x;
            }
        const double a = (1 - level) / 2;
        for (int e = 0; e < 2; e++) {
            const double pos = (e ? 1 - a : a) * (double)(n - 1);
            const size_t i = (size_t)floor(pos);
            const double y = i + 1 < n ? t[i] + (pos - (double)i) * (t[i + 1] - t[i]) : t[n - 1];
            if (e) o.hi = y;
            else o.lo = y;
        }
    }
    gd_free(t);
    return o;
}

gd_fit_errors gd_fit_errors_at(const gd_fit_spec *s, const double *theta, const gd_fit_data *d, const int *use) {
    gd_fit_errors e = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < d->n; i++) {
        if (use && !use[i]) continue;
        const double p = gd_fit_predict(s, theta, d->x1[i], s->form == GD_FIT_CHINCHILLA ? d->x2[i] : 0);
        const double r = log(p) - log(d->L[i]), rel = fabs(p - d->L[i]) / d->L[i];
        e.rmse_log += r * r, e.mae_log += fabs(r), e.mean_rel += rel, e.max_rel = fmax(e.max_rel, rel), e.n++;
    }
    if (e.n) e.rmse_log = sqrt(e.rmse_log / (double)e.n), e.mae_log /= (double)e.n, e.mean_rel /= (double)e.n;
    return e;
}
