/* balancing: the balancing effect of large learning rates on homogeneous
 * factorisation (seed 003; Wang, Chen, Zhao and Tao, "Large Learning Rate
 * Tames Homogeneity: Convergence and Balancing Effect", ICLR 2022).
 *
 * f = 1/2 (mu - x y)^2 (scalar) or f = 1/2 ||A - X Y^T||_F^2 (matrix, A
 * (n, d) Gaussian from the run's seed or a CSV, X (n, k), Y (d, k)). GD
 * from unbalanced starts X = c G1, Y = G2 / c. The imbalance
 * ||X||_F^2 - ||Y||_F^2 is conserved by the gradient flow; GD changes the
 * k x k matrix D = X^T X - Y^T Y by exactly
 *   D' = D + eta^2 (Y^T R^T R Y - X^T R R^T X),   R = A - X Y^T,
 * which every step checks against the iterates. Over a grid of eta L0 (L0
 * the Hessian's spectral radius at the start) and many seeds: the final
 * imbalance relative to the initial one, the final sharpness against
 * 2/eta, and a rank-correlation test of "larger eta, stronger balancing". */
#include "common.h"
#include "gdlab/data.h"
#include "gdlab/dyn.h"
#include "gdlab/flow.h"
#include "gdlab/rng.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SRC[] = "seeds/003_068e10e0fff05d77.txt; Wang, Chen, Zhao and Tao, ICLR 2022";

#define MAX_GRID 100
#define MAX_TRAJ 4
#define MAX_SEEDS 1000

static const gd_param_spec params[] = {
    {"problem", GD_PARAM_STRING, "matrix", 0, 0, 0,
     "matrix: 1/2 ||A - X Y^T||_F^2; scalar: 1/2 (mu - x y)^2"},
    {"mu", GD_PARAM_REAL, "1", -1e6, 1e6, 0, "target of the scalar problem"},
    {"x0", GD_PARAM_REAL, "4", -1e6, 1e6, 0, "scalar problem: x of the trajectory start"},
    {"y0", GD_PARAM_REAL, "0.2", -1e6, 1e6, 0, "scalar problem: y of the trajectory start"},
    {"n", GD_PARAM_INT, "5", 1, 200, 0, "matrix problem: rows of A"},
    {"d", GD_PARAM_INT, "4", 1, 200, 0, "matrix problem: columns of A"},
    {"k", GD_PARAM_INT, "2", 1, 50, 0, "matrix problem: rank of the factorisation"},
    {"A", GD_PARAM_STRING, "", 0, 0, 0,
     "matrix problem: CSV of A (header line, every column a column of A); empty: Gaussian n x d from --seed"},
    {"scale", GD_PARAM_REAL, "3", 1, 1e3, 0,
     "imbalance of random starts: X = scale G1, Y = G2 / scale, G Gaussian (scalar: x, y likewise)"},
    {"seeds", GD_PARAM_INT, "24", 1, MAX_SEEDS, 0, "random starts per learning rate of the sweep"},
    {"eta-l0", GD_PARAM_STRING, "0.2:4.6:23", 0, 0, 0,
     "sweep grid of eta L0 (each run uses eta = value / L0 of its own start): a number or lo:hi:count"},
    {"eta", GD_PARAM_STRING, "", 0, 0, 0,
     "learning rates of the trajectory runs (a number or lo:hi:count, at most 4); empty: 0.5/L0 and 3/L0"},
    {"steps", GD_PARAM_INT, "100000", 10, 1e8, 0, "largest number of GD steps per run"},
    {"gtol", GD_PARAM_REAL, "1e-9", 0, 1, GD_PARAM_OPEN_MIN,
     "converged when |grad f| <= gtol max(1, |grad f(start)|)"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

/* The problem: w = [X (n, k) row-major | Y (d, k) row-major]. */
typedef struct prob {
    gd_obj *o;
    size_t n, d, k, P;
    double *A;                  /* (n, d) */
    double *R, *RY, *RtX;       /* (n, d), (n, k), (d, k) */
    double *D, *Dp, *E1, *E2;   /* (k, k) */
    double *g, *w1, *ev;        /* (P) */
} prob;

/* D = X^T X - Y^T Y (k, k); returns ||X^T X||_F + ||Y^T Y||_F. */
static double gram_diff(const prob *p, const double *w, double *D) {
    const size_t n = p->n, d = p->d, k = p->k;
    const double *X = w, *Y = w + n * k;
    double sx = 0, sy = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++) {
            double xx = 0, yy = 0;
            for (size_t i = 0; i < n; i++) xx += X[i * k + a] * X[i * k + b];
            for (size_t j = 0; j < d; j++) yy += Y[j * k + a] * Y[j * k + b];
            D[a * k + b] = xx - yy;
            sx += xx * xx, sy += yy * yy;
        }
    return sqrt(sx) + sqrt(sy);
}

static double imbalance(const prob *p, const double *w) {
    double s = 0;
    for (size_t i = 0; i < p->n * p->k; i++) s += w[i] * w[i];
    for (size_t i = p->n * p->k; i < p->P; i++) s -= w[i] * w[i];
    return s;
}

/* The predicted D' = D + eta^2 ((R Y)^T (R Y) - (R^T X)^T (R^T X)) into Dp;
 * returns the Frobenius norm of the eta^2 terms (both), the scale of the
 * rounding in the identity together with the Gram matrices. */
static double predict_D(prob *p, const double *w, double eta, const double *D) {
    const size_t n = p->n, d = p->d, k = p->k;
    const double *X = w, *Y = w + n * k;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0;
            for (size_t a = 0; a < k; a++) s += X[i * k + a] * Y[j * k + a];
            p->R[i * d + j] = p->A[i * d + j] - s;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < k; a++) {
            double s = 0;
            for (size_t j = 0; j < d; j++) s += p->R[i * d + j] * Y[j * k + a];
            p->RY[i * k + a] = s;
        }
    for (size_t j = 0; j < d; j++)
        for (size_t a = 0; a < k; a++) {
            double s = 0;
            for (size_t i = 0; i < n; i++) s += p->R[i * d + j] * X[i * k + a];
            p->RtX[j * k + a] = s;
        }
    double n1 = 0, n2 = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++) {
            double s1 = 0, s2 = 0;
            for (size_t i = 0; i < n; i++) s1 += p->RY[i * k + a] * p->RY[i * k + b];
            for (size_t j = 0; j < d; j++) s2 += p->RtX[j * k + a] * p->RtX[j * k + b];
            p->Dp[a * k + b] = D[a * k + b] + eta * eta * (s1 - s2);
            n1 += s1 * s1, n2 += s2 * s2;
        }
    return eta * eta * (sqrt(n1) + sqrt(n2));
}

typedef struct outcome {
    double imb0, imbT, sharp, L0;
    int converged, diverged;
    long steps;
    double id_dev;     /* largest relative deviation from the identity */
} outcome;

/* Spectral radius of the Hessian at w (max |eigenvalue|) and the top
 * algebraic eigenvalue (the sharpness). */
static gd_status spectrum(gd_ctx *ctx, prob *p, const double *w, double *rho, double *top) {
    gd_status st = gd_flow_hess_eig(ctx, p->o, w, p->ev, NULL);
    if (st != GD_OK) return st;
    if (rho) *rho = fmax(fabs(p->ev[0]), fabs(p->ev[p->P - 1]));
    if (top) *top = p->ev[p->P - 1];
    return GD_OK;
}

/* GD from w (P, overwritten) with learning rate eta for at most `steps`
 * steps, checking the identity every step; trajectory rows (step,
 * imbalance) go to ts when not NULL (every step up to 400, then every
 * 100th). */
static gd_status descend(gd_ctx *ctx, prob *p, double *w, double eta, long steps, double gtol,
                         gd_series *ts, outcome *out) {
    const size_t P = p->P, k = p->k;
    double g0 = 0;
    out->imb0 = imbalance(p, w);
    out->converged = out->diverged = 0;
    out->id_dev = 0;
    out->sharp = GD_NAN;
    double w0n = 0;
    for (size_t i = 0; i < P; i++) w0n += w[i] * w[i];
    w0n = sqrt(w0n);
    long t;
    for (t = 0; t <= steps; t++) {
        gd_obj_eval(p->o, w, p->g, NULL);
        double gn = 0;
        for (size_t i = 0; i < P; i++) gn += p->g[i] * p->g[i];
        gn = sqrt(gn);
        if (t == 0) g0 = gn;
        if (ts && (t <= 400 || t % 100 == 0)) {
            double row[3] = {(double)t, (double)t + 1, imbalance(p, w)};
            gd_status st = gd_series_append(ts, row);
            if (st != GD_OK) return st;
        }
        if (!isfinite(gn)) { out->diverged = 1; break; }
        if (gn <= gtol * fmax(1, g0)) { out->converged = 1; break; }
        if (t == steps) break;
        double scale = gram_diff(p, w, p->D);
        scale += predict_D(p, w, eta, p->D);
        for (size_t i = 0; i < P; i++) w[i] -= eta * p->g[i];
        scale += gram_diff(p, w, p->E1);
        double dev = 0, wn = 0;
        for (size_t i = 0; i < k * k; i++) dev += (p->E1[i] - p->Dp[i]) * (p->E1[i] - p->Dp[i]);
        for (size_t i = 0; i < P; i++) wn += w[i] * w[i];
        if (!isfinite(wn) || sqrt(wn) > 1e8 * (1 + w0n)) { out->diverged = 1; break; }
        if (scale > 0) out->id_dev = fmax(out->id_dev, sqrt(dev) / scale);
    }
    out->steps = t;
    out->imbT = imbalance(p, w);
    if (out->converged) {
        gd_status st = spectrum(ctx, p, w, NULL, &out->sharp);
        if (st != GD_OK) return st;
    }
    return GD_OK;
}

static void prob_free(prob *p) {
    gd_obj_free(p->o);
    gd_free(p->A), gd_free(p->R), gd_free(p->RY), gd_free(p->RtX);
    gd_free(p->D), gd_free(p->Dp), gd_free(p->E1), gd_free(p->E2);
    gd_free(p->g), gd_free(p->w1), gd_free(p->ev);
}

/* The problem the parameters ask for: --problem when given, and then a
 * parameter of the other problem is refused; otherwise scalar when only
 * scalar parameters are given (said in a note), else matrix. All the
 * offending parameters in one message. */
static const char *verb(const char *list) { return strchr(list, ',') ? "belong" : "belongs"; }

static gd_status choose_problem(gd_ctx *ctx, const gd_params *pp, gd_result *r, const char **kind) {
    static const char *const sc[] = {"mu", "x0", "y0", NULL}, *const mc[] = {"n", "d", "k", "A", NULL};
    char ss[64] = "", ms[64] = "", bad[512] = "";
    for (const char *const *q = sc; *q; q++)
        if (gd_params_is_set(pp, *q)) gd_exp_addf(ss, sizeof ss, "%s--%s", ss[0] ? ", " : "", *q);
    for (const char *const *q = mc; *q; q++)
        if (gd_params_is_set(pp, *q)) gd_exp_addf(ms, sizeof ms, "%s--%s", ms[0] ? ", " : "", *q);
    *kind = gd_params_str(pp, "problem");
    if (!gd_params_is_set(pp, "problem")) {
        if (ss[0] && ms[0])
            return gd_error(ctx, GD_EINVAL, "%s %s to --problem scalar and %s to --problem matrix: give one "
                            "problem's parameters (or --problem)", ss, verb(ss), ms);
        if (ss[0]) {
            *kind = "scalar";
            /* summary.json records the problem that ran, not the default. */
            if (gd_result_param_add(r, "problem", *kind, GD_NAN, 0) != GD_OK)
                return gd_error(ctx, GD_ENOMEM, "out of memory");
            gd_result_note(r, "the scalar problem 1/2 (mu - x y)^2, because only its parameters (%s) were given", ss);
        }
        return GD_OK;
    }
    if (!strcmp(*kind, "matrix") && ss[0])
        gd_exp_addf(bad, sizeof bad, "%s %s to --problem scalar, not to --problem matrix", ss, verb(ss));
    if (!strcmp(*kind, "scalar") && ms[0])
        gd_exp_addf(bad, sizeof bad, "%s %s to --problem matrix, not to --problem scalar", ms, verb(ms));
    return bad[0] ? gd_error(ctx, GD_EINVAL, "%s", bad) : GD_OK;
}

static gd_status prob_new(gd_ctx *ctx, const gd_params *pp, const char *kind, prob *p) {
    memset(p, 0, sizeof *p);
    if (!strcmp(kind, "scalar")) {
        p->n = p->d = p->k = 1;
        if (!(p->A = gd_malloc(sizeof *p->A))) return gd_error(ctx, GD_ENOMEM, "out of memory");
        p->A[0] = gd_params_real(pp, "mu");
        if (!(p->o = gd_obj_mf_scalar(ctx, p->A[0]))) return gd_ctx_failed(ctx);
    } else if (!strcmp(kind, "matrix")) {
        p->k = (size_t)gd_params_real(pp, "k");
        const char *path = gd_params_str(pp, "A");
        if (*path) {
            gd_dataset *ds = NULL;
            gd_status st = gd_data_load_csv(ctx, path, 0, &ds);
            if (st != GD_OK) return gd_error_prefix(ctx, "--A"), st;
            p->n = ds->n, p->d = ds->d + 1;
            if (!(p->A = gd_malloc(p->n * p->d * sizeof *p->A))) {
                gd_data_free(ds);
                return gd_error(ctx, GD_ENOMEM, "out of memory");
            }
            for (size_t i = 0; i < p->n; i++) {
                memcpy(p->A + i * p->d, ds->x + i * ds->d, ds->d * sizeof *p->A);
                p->A[i * p->d + ds->d] = ds->y[i];
            }
            gd_data_free(ds);
        } else {
            p->n = (size_t)gd_params_real(pp, "n"), p->d = (size_t)gd_params_real(pp, "d");
            if (!(p->A = gd_malloc(p->n * p->d * sizeof *p->A))) return gd_error(ctx, GD_ENOMEM, "out of memory");
            gd_rng rng;
            gd_rng_stream_init(&rng, ctx->seed, "balancing-A", 0, 0);
            gd_rng_normals(&rng, p->A, p->n * p->d);
        }
        if (p->k > p->n || p->k > p->d)
            return gd_error(ctx, GD_EINVAL, "--k: rank %zu exceeds min(n, d) = %zu of A", p->k,
                            p->n < p->d ? p->n : p->d);
        if ((p->n + p->d) * p->k > 400)
            return gd_error(ctx, GD_EINVAL, "--n, --d, --k: (n + d) k = %zu variables, at most 400 (the "
                            "Hessian spectrum is dense)", (p->n + p->d) * p->k);
        if (!(p->o = gd_obj_mf_matrix(ctx, p->n, p->d, p->k, p->A))) return gd_ctx_failed(ctx);
    } else {
        return gd_error(ctx, GD_EINVAL, "--problem: expected matrix or scalar, got '%s'", kind);
    }
    const size_t n = p->n, d = p->d, k = p->k;
    p->P = (n + d) * k;
    p->R = gd_malloc(n * d * sizeof *p->R), p->RY = gd_malloc(n * k * sizeof *p->RY);
    p->RtX = gd_malloc(d * k * sizeof *p->RtX);
    p->D = gd_malloc(k * k * sizeof *p->D), p->Dp = gd_malloc(k * k * sizeof *p->Dp);
    p->E1 = gd_malloc(k * k * sizeof *p->E1), p->E2 = gd_malloc(k * k * sizeof *p->E2);
    p->g = gd_malloc(p->P * sizeof *p->g), p->w1 = gd_malloc(p->P * sizeof *p->w1);
    p->ev = gd_malloc(p->P * sizeof *p->ev);
    if (!p->R || !p->RY || !p->RtX || !p->D || !p->Dp || !p->E1 || !p->E2 || !p->g || !p->w1 || !p->ev)
        return gd_error(ctx, GD_ENOMEM, "out of memory");
    return GD_OK;
}

/* Random unbalanced start number s: X = c G1, Y = G2 / c. */
static void random_start(const prob *p, uint64_t seed, uint64_t s, double c, double *w) {
    gd_rng rng;
    gd_rng_stream_init(&rng, seed, "balancing-start", 0, s);
    gd_rng_normals(&rng, w, p->P);
    for (size_t i = 0; i < p->n * p->k; i++) w[i] *= c;
    for (size_t i = p->n * p->k; i < p->P; i++) w[i] /= c;
}

/* Values of a range text: count values lo + (hi - lo) i / (count - 1). */
static gd_status range_values(gd_ctx *ctx, const char *text, const char *what, size_t max, double *v,
                              size_t *cnt) {
    double lo, hi;
    gd_status st = gd_exp_parse_range(ctx, text, what, max, &lo, &hi, cnt);
    if (st != GD_OK) return st;
    if (!(lo > 0)) return gd_error(ctx, GD_EINVAL, "%s: values must be > 0, got %g", what, lo);
    for (size_t i = 0; i < *cnt; i++) v[i] = gd_exp_range_at(lo, hi, *cnt, i, 0);
    return GD_OK;
}

static gd_status run(const gd_params *pp, gd_ctx *ctx, gd_result *r) {
    prob p;
    const char *kind;
    gd_status st = choose_problem(ctx, pp, r, &kind);
    if (st != GD_OK) return st;
    st = prob_new(ctx, pp, kind, &p);
    double *ratio = NULL, *esharp = NULL, *rho_s = NULL, *tmp = NULL, *w = NULL;
    int *conv = NULL;
    if (st != GD_OK) goto done;
    const int scalar = p.k == 1 && p.n == 1 && p.d == 1 && !strcmp(kind, "scalar");
    const long steps = (long)gd_params_real(pp, "steps");
    const double gtol = gd_params_real(pp, "gtol"), c = gd_params_real(pp, "scale");
    const size_t S = (size_t)gd_params_real(pp, "seeds");
    double grid[MAX_GRID], etas[MAX_TRAJ];
    size_t G, ntraj = 0;
    if ((st = range_values(ctx, gd_params_str(pp, "eta-l0"), "--eta-l0", MAX_GRID, grid, &G)) != GD_OK) goto done;
    w = gd_malloc(p.P * sizeof *w);
    ratio = gd_malloc(G * S * sizeof *ratio), esharp = gd_malloc(G * S * sizeof *esharp);
    conv = gd_malloc(G * S * sizeof *conv);
    rho_s = gd_malloc(S * sizeof *rho_s), tmp = gd_malloc((8 * G + 4 * S) * sizeof *tmp);
    if (!w || !ratio || !esharp || !conv || !rho_s || !tmp) { st = gd_error(ctx, GD_ENOMEM, "out of memory"); goto done; }

    /* --- trajectories from one start --- */
    if (scalar) w[0] = gd_params_real(pp, "x0"), w[1] = gd_params_real(pp, "y0");
    else random_start(&p, ctx->seed, 0, c, w);
    double L0;
    if ((st = spectrum(ctx, &p, w, &L0, NULL)) != GD_OK) goto done;
    if (!(L0 > 0)) { st = gd_error(ctx, GD_EINVAL, "the Hessian vanishes at the start (L0 = 0): choose another start"); goto done; }
    if (*gd_params_str(pp, "eta")) {
        if ((st = range_values(ctx, gd_params_str(pp, "eta"), "--eta", MAX_TRAJ, etas, &ntraj)) != GD_OK) goto done;
    } else {
        etas[0] = 0.5 / L0, etas[1] = 3 / L0, ntraj = 2;
    }
    memcpy(p.w1, w, p.P * sizeof *w);
    gd_plot pt = {.name = "trajectory", .title = "Imbalance ||X||^2 - ||Y||^2 along GD",
                  .xlabel = "step + 1", .ylabel = "imbalance", .logx = 1, .logy = 0};
    char names[MAX_TRAJ][32], labels[MAX_TRAJ][96];
    outcome o = {0};
    double id_max = 0;
    for (size_t q = 0; q < ntraj; q++) {
        static const char *const tc[] = {"step", "step_plus_1", "imbalance"};
        snprintf(names[q], sizeof names[q], "trajectory_%zu", q + 1);
        gd_series *ts = gd_result_series_new(r, names[q], 3, tc);
        if (!ts) { st = gd_error(ctx, GD_ENOMEM, "out of memory"); goto done; }
        memcpy(w, p.w1, p.P * sizeof *w);
        if ((st = descend(ctx, &p, w, etas[q], steps, gtol, ts, &o)) != GD_OK) goto done;
        id_max = fmax(id_max, o.id_dev);
        snprintf(labels[q], sizeof labels[q], "eta L0 = %.3g (%s)", etas[q] * L0,
                 o.converged ? "converged" : o.diverged ? "diverged" : "not converged");
        pt.line[pt.nlines++] = (gd_plot_line){names[q], "step_plus_1", "imbalance", NULL, labels[q], 0};
    }
    pt.hline[pt.nhlines] = 0;
    pt.hlabel[pt.nhlines++] = "balanced (0)";
    /* The contract scalars describe the last (largest) trajectory eta. */
    gd_result_scalar(r, "L0", L0, GD_NAN);
    gd_result_scalar(r, "eta", etas[ntraj - 1], GD_NAN);
    gd_result_scalar(r, "eta_L0", etas[ntraj - 1] * L0, GD_NAN);
    gd_result_scalar(r, "imbalance_initial", o.imb0, GD_NAN);
    gd_result_scalar(r, "imbalance_final", o.imbT, GD_NAN);
    gd_result_scalar(r, "sharpness_final", o.sharp, GD_NAN);
    gd_result_scalar(r, "two_over_eta", 2 / etas[ntraj - 1], GD_NAN);
    gd_result_scalar(r, "converged", o.converged, GD_NAN);
    gd_result_scalar(r, "steps_run", (double)o.steps, GD_NAN);
    if ((st = gd_result_plot(r, &pt)) != GD_OK) goto done;

    /* --- the sweep: grid of eta L0 x S random starts --- */
    static const char *const rc[] = {"eta_L0", "seed", "eta", "L0", "imbalance_initial", "imbalance_final",
                                     "ratio", "converged", "diverged", "eta_sharpness", "steps"};
    if (!gd_result_series_new(r, "runs", 11, rc)) { st = gd_error(ctx, GD_ENOMEM, "out of memory"); goto done; }
    size_t nconv = 0, nviol = 0;
    double worst_es = 0, worst_es_f = GD_NAN;
    for (size_t s = 0; s < S; s++) {
        random_start(&p, ctx->seed, s, c, p.w1);
        double L0s;
        if ((st = spectrum(ctx, &p, p.w1, &L0s, NULL)) != GD_OK) goto done;
        for (size_t j = 0; j < G; j++) {
            double eta = grid[j] / L0s;
            memcpy(w, p.w1, p.P * sizeof *w);
            if ((st = descend(ctx, &p, w, eta, steps, gtol, NULL, &o)) != GD_OK) goto done;
            id_max = fmax(id_max, o.id_dev);
            size_t ix = j * S + s;
            conv[ix] = o.converged;
            ratio[ix] = o.converged ? fabs(o.imbT) / fabs(o.imb0) : GD_NAN;
            esharp[ix] = o.converged ? eta * o.sharp : GD_NAN;
            if (o.converged) {
                nconv++;
                nviol += !(esharp[ix] <= 2);
                if (esharp[ix] > worst_es) worst_es = esharp[ix], worst_es_f = grid[j];
            }
            double row[11] = {grid[j], (double)s, eta, L0s, o.imb0, o.imbT, fabs(o.imbT) / fabs(o.imb0),
                              o.converged, o.diverged, eta * o.sharp, (double)o.steps};
            if ((st = gd_series_append(gd_result_series_find(r, "runs"), row)) != GD_OK) goto done;
        }
    }
    gd_result_scalar(r, "identity_max_rel_dev", id_max, GD_NAN);

    /* Per grid point: mean and se of the ratio over converged seeds. */
    static const char *const sc[] = {"eta_L0", "mean_ratio", "se_ratio", "median_ratio", "converged_frac",
                                     "mean_eta_sharpness", "max_eta_sharpness"};
    if (!gd_result_series_new(r, "sweep", 7, sc)) { st = gd_error(ctx, GD_ENOMEM, "out of memory"); goto done; }
    double *mean = tmp, *se = tmp + G, *cf = tmp + 2 * G, *col = tmp + 4 * G;
    size_t best = G;
    for (size_t j = 0; j < G; j++) {
        size_t m = 0;
        double es_sum = 0, es_max = GD_NAN;
        for (size_t s = 0; s < S; s++)
            if (conv[j * S + s]) {
                col[m++] = ratio[j * S + s];
                es_sum += esharp[j * S + s];
                es_max = isnan(es_max) ? esharp[j * S + s] : fmax(es_max, esharp[j * S + s]);
            }
        cf[j] = (double)m / (double)S;
        mean[j] = m ? gsl_stats_mean(col, 1, m) : GD_NAN;
        se[j] = m > 1 ? gsl_stats_sd(col, 1, m) / sqrt((double)m) : GD_NAN;
        double med = GD_NAN;
        if (m) {
            qsort(col, m, sizeof *col, gd_exp_cmp_double);
            med = m % 2 ? col[m / 2] : 0.5 * (col[m / 2 - 1] + col[m / 2]);
        }
        double row[7] = {grid[j], mean[j], se[j], med, cf[j], m ? es_sum / (double)m : GD_NAN, es_max};
        if ((st = gd_series_append(gd_result_series_find(r, "sweep"), row)) != GD_OK) goto done;
        /* strongest balancing among grid points where most starts converged */
        if (cf[j] >= 0.5 && m >= 2 && (best == G || mean[j] < mean[best])) best = j;
    }

    /* (b) per seed, Spearman's rank correlation of eta L0 against the final
     * ratio over the grid points where that seed converged (>= 4 points);
     * the mean over seeds against 0 with k = 4 standard errors. */
    size_t ns = 0;
    double *xs = tmp + 4 * G, *ys = xs + G, *wk = ys + G;
    for (size_t s = 0; s < S; s++) {
        size_t m = 0;
        for (size_t j = 0; j < G; j++)
            if (conv[j * S + s]) xs[m] = grid[j], ys[m] = ratio[j * S + s], m++;
        if (m >= 4) rho_s[ns++] = gsl_stats_spearman(xs, 1, ys, 1, m, wk);
    }
    double rmean = ns ? gsl_stats_mean(rho_s, 1, ns) : GD_NAN;
    double rse = ns > 1 ? gsl_stats_sd(rho_s, 1, ns) / sqrt((double)ns) : GD_NAN;
    gd_result_scalar(r, "spearman_mean", rmean, rse);
    gd_result_scalar(r, "spearman_seeds", (double)ns, GD_NAN);
    gd_result_scalar(r, "runs_converged", (double)nconv, GD_NAN);
    gd_result_scalar(r, "sharpness_violations", (double)nviol, GD_NAN);
    gd_result_scalar(r, "max_eta_sharpness", worst_es, GD_NAN);
    gd_result_scalar(r, "best_eta_L0", best < G ? grid[best] : GD_NAN, GD_NAN);
    gd_result_scalar(r, "best_mean_ratio", best < G ? mean[best] : GD_NAN, best < G ? se[best] : GD_NAN);
    /* the largest grid value at which at least half of the starts converged */
    double fmaxconv = GD_NAN;
    for (size_t j = 0; j < G; j++)
        if (cf[j] >= 0.5) fmaxconv = grid[j];
    gd_result_scalar(r, "largest_converging_eta_L0", fmaxconv, GD_NAN);

    char meas[512], prob_txt[160];
    if (scalar)
        snprintf(prob_txt, sizeof prob_txt, "1/2 (mu - x y)^2, mu = %g, starts x = %g z1, y = z2 / %g", p.A[0], c, c);
    else
        snprintf(prob_txt, sizeof prob_txt, "1/2 ||A - X Y^T||_F^2, A %zu x %zu (%s), k = %zu, starts X = %g G1, "
                 "Y = G2 / %g", p.n, p.d, *gd_params_str(pp, "A") ? gd_params_str(pp, "A") : "Gaussian", p.k, c, c);

    /* (a) where balancing is strongest, in units of eta L0 with eta and L0
     * taken from the same loss (invariant under rescaling the loss), and
     * the two mixed readings: L0 from ||.||^2 (twice ours) with eta for
     * 1/2 ||.||^2 puts the window (2/L, 4/L) at eta L0 in (1, 2) in our
     * units; eta for ||.||^2 with L0 of 1/2 ||.||^2 puts it at (4, 8). */
    if (best < G) {
        double f = grid[best];
        int in24 = f > 2 && f < 4, in12 = f > 1 && f < 2, in48 = f > 4 && f < 8;
        /* mean ratio over small eta L0 <= 1 for contrast */
        double small = 0, small_se = 0;
        size_t nsm = 0;
        for (size_t j = 0; j < G; j++)
            if (grid[j] <= 1 && !isnan(mean[j])) small += mean[j], small_se += se[j] * se[j], nsm++;
        small = nsm ? small / (double)nsm : GD_NAN;
        small_se = nsm ? sqrt(small_se) / (double)nsm : GD_NAN;
        snprintf(meas, sizeof meas,
                 "strongest balancing at eta L0 = %.3g (mean |D_T|/|D_0| = %.3g +- %.2g over %.0f%% converged "
                 "starts; %.3g for eta L0 <= 1); at least half the starts converge up to eta L0 = %.3g. "
                 "Same-loss normalisation, window (2, 4): %s; L0 of ||.||^2 with eta for 1/2||.||^2, window "
                 "(1, 2): %s; eta for ||.||^2 with L0 of 1/2||.||^2, window (4, 8): %s",
                 f, mean[best], se[best], 100 * cf[best], small, fmaxconv, in24 ? "inside" : "outside",
                 in12 ? "inside" : "outside", in48 ? "inside" : "outside");
        /* eta L0 with both from the same loss is invariant under rescaling
         * the loss (GD with eta on c f is GD with c eta on f), so that
         * reading decides; the mixed readings are reported, not used. The
         * claim also needs balancing to be weak below the window. */
        /* "Most strongly": the strongest balancing is in (2, 4) and is
         * stronger than at eta L0 <= 1 by more than k = 4 standard errors
         * of the difference; no grid point at eta L0 <= 1, or a
         * difference within the noise: inconclusive. */
        double diff = small - mean[best], diff_se = sqrt(small_se * small_se + se[best] * se[best]);
        int stronger = diff > 4 * diff_se;
        gd_verdict v = !nsm || !isfinite(diff_se) ? GD_VERDICT_INCONCLUSIVE
                       : !in24 ? GD_VERDICT_REFUTED
                       : stronger ? GD_VERDICT_CONFIRMED : GD_VERDICT_INCONCLUSIVE;
        gd_result_claim(r, "003-balancing-window", SRC, v,
                        "a large learning rate drives GD to balanced minima, most strongly for eta in about "
                        "(2/L, 4/L), L the Hessian's spectral radius at initialisation",
                        "the final imbalance |D_T|/|D_0| is smallest for eta L0 in (2, 4)", meas,
                        "%s; %zu grid values of eta L0 in [%g, %g] x %zu starts, at most %ld steps, converged "
                        "when |grad f| <= %g max(1, |grad f(start)|); the seed does not state whether L and eta "
                        "refer to 1/2||.||^2 or ||.||^2 (the paper's abstract writes ||A - X Y^T||_F^2, its Section 1 "
                        "1/2 ||A - X Y^T||_F^2): "
                        "eta L0 is the same for both when eta and L0 come from the same loss (the seed's "
                        "reading), so that decides: confirmed when the strongest balancing lies in (2, 4) "
                        "and is below the mean over eta L0 <= 1 by more than 4 standard errors of the difference "
                        "(refuted when it lies outside (2, 4)); the mixed readings above "
                        "would move the window", prob_txt, G, grid[0], grid[G - 1], S, steps, gtol);
    }
    if (ns >= 2) {
        gd_verdict v = rmean + 4 * rse < 0 ? GD_VERDICT_CONFIRMED
                       : rmean - 4 * rse > 0 ? GD_VERDICT_REFUTED : GD_VERDICT_INCONCLUSIVE;
        size_t nonmono = 0;
        for (size_t s = 0; s < ns; s++) nonmono += rho_s[s] > -1;
        snprintf(meas, sizeof meas,
                 "mean Spearman rho(eta L0, |D_T|/|D_0|) over %zu starts = %.3f +- %.3f (se); %zu of those "
                 "starts are not monotone in eta (rho > -1)", ns, rmean, rse, nonmono);
        gd_result_claim(r, "003-balancing-monotone", SRC, v,
                        "a larger learning rate gives stronger balancing (statistically over starts; single "
                        "runs are not monotone in eta)",
                        "mean per-start Spearman rank correlation of eta against the final imbalance < 0", meas,
                        "test: per start, Spearman rho over the grid values where it converged (>= 4); the mean "
                        "over starts against 0 with k = 4 standard errors; seeds 0..%zu of --seed %llu; %s",
                        S - 1, (unsigned long long)ctx->seed, prob_txt);
    }
    if (nconv > 0) {
        snprintf(meas, sizeof meas, "%zu of %zu converged runs have eta x sharpness <= 2; the largest is %.6f "
                 "(at eta L0 = %g)", nconv - nviol, nconv, worst_es, worst_es_f);
        gd_result_claim(r, "003-balancing-sharpness", SRC, nviol == 0 ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                        "at convergence the sharpness is <= 2/eta (stability)",
                        "top Hessian eigenvalue at the limit <= 2/eta", meas,
                        "sharpness by LAPACK dsyev of the exact Hessian at the last iterate; no tolerance; %s",
                        prob_txt);
    }
    /* the exact per-step identity, a check on the implementation: rounding
     * leaves a deviation of a few hundred ulps of ||X^T X|| + ||Y^T Y||;
     * an update that used the new X for Y would leave O(eta^3) */
    snprintf(meas, sizeof meas, "largest relative deviation over every step of every run: %.3g", id_max);
    gd_result_claim(r, "balancing-identity", "exact algebra of the GD step (gdlab check)",
                    id_max <= 1e-12 ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED,
                    "each GD step changes D = X^T X - Y^T Y by exactly eta^2 (Y^T R^T R Y - X^T R R^T X)",
                    "||D' - D - eta^2 (...)||_F <= 1e-12 x (the sum of the Frobenius norms of the Gram "
                    "matrices X^T X, Y^T Y before and after the step and of the two eta^2 terms)", meas,
                    "GD through the objective's exact gradient; the identity from R = A - X Y^T computed "
                    "separately; tolerance 1e-12 relative to the terms' size, the scale of their rounding "
                    "(about 4500 ulps); an update of Y with the new X would leave O(eta^3) of the same scale");

    gd_plot pb = {.name = "balance", .title = "Balancing: final imbalance vs learning rate",
                  .xlabel = "eta L0", .ylabel = "|imbalance final| / |imbalance initial|", .logy = 1};
    pb.line[pb.nlines++] = (gd_plot_line){"sweep", "eta_L0", "mean_ratio", "se_ratio", "mean +- se over converged starts", 1};
    pb.line[pb.nlines++] = (gd_plot_line){"sweep", "eta_L0", "median_ratio", NULL, "median", 0};
    if ((st = gd_result_plot(r, &pb)) != GD_OK) goto done;
    gd_plot ps = {.name = "sharpness", .title = "Final sharpness x eta vs learning rate",
                  .xlabel = "eta L0", .ylabel = "eta x sharpness at the limit"};
    ps.line[ps.nlines++] = (gd_plot_line){"sweep", "eta_L0", "mean_eta_sharpness", NULL, "mean over converged starts", 1};
    ps.line[ps.nlines++] = (gd_plot_line){"sweep", "eta_L0", "max_eta_sharpness", NULL, "largest", 1};
    ps.line[ps.nlines++] = (gd_plot_line){"sweep", "eta_L0", "converged_frac", NULL, "fraction converged", 0};
    ps.hline[ps.nhlines] = 2;
    ps.hlabel[ps.nhlines++] = "stability limit 2";
    st = gd_result_plot(r, &ps);
done:
    gd_free(w), gd_free(ratio), gd_free(esharp), gd_free(conv), gd_free(rho_s), gd_free(tmp);
    prob_free(&p);
    return st;
}

const gd_experiment gd_exp_balancing = {
    "balancing",
    "large learning rates balance homogeneous factorisation: imbalance vs eta L0, sharpness vs 2/eta",
    SRC, params, (const char *const[]){"seeds", "24", NULL}, run};
