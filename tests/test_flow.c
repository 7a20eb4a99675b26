/* Tests of the flow module (include/gdlab/flow.h).
 *
 * (1) Gradient flow and the first- and second-order modified flows on a
 *     quadratic against their closed forms: x(t) = exp(-lambda t) x0,
 *     x(t) = exp(-(lambda + eta lambda^2/2) t) x0 and
 *     exp(-(lambda + eta lambda^2/2 + eta^2 lambda^3/3) t) x0, to 1e-10.
 * (2) GD on the quadratic (the modified-flow experiment's loop) against
 *     (1 - eta lambda)^N x0, and the experiment's slopes 1, 2, 3.
 * (3) T[g,g] by Richardson extrapolation against the exact third
 *     derivative of x^3 y + exp(x/2) y^2 and of 1/2 (mu - x y)^2.
 * (4) Hessian spectra against known eigenvalues.
 * (5) Error paths: bad T, a flow that blows up in finite time.
 * (6) regimes: every (eta, eigen-direction) pair of a quadratic as
 *     predicted; balancing: the per-step identity and its first step by
 *     hand, sharpness <= 2/eta at the limit. */
#include "gdlab/gdlab.h"
#include "gdlab/flow.h"
#include "gdlab/experiment.h"
#include "gdtest.h"

#include <gsl/gsl_errno.h>

#include <math.h>
#include <string.h>

extern const gd_experiment gd_exp_modified_flow, gd_exp_regimes, gd_exp_balancing;

/* Runs experiment e with name=value pairs (NULL-terminated); NULL on error. */
static gd_result *run_exp(const gd_experiment *e, const char *const *kv) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_params p;
    if (gd_params_init(&p, e->params, &ctx) != GD_OK) return NULL;
    for (; kv[0]; kv += 2)
        if (gd_params_set(&p, kv[0], kv[1], &ctx) != GD_OK) {
            gdt_check(0, "%s --%s %s: %s", e->name, kv[0], kv[1], ctx.err);
            gd_params_free(&p);
            return NULL;
        }
    gd_result *r = gd_result_new(e->name, 7);
    gd_status st = gd_experiment_run(e, &p, &ctx, r);
    gd_params_free(&p);
    if (!gdt_check(st == GD_OK, "%s runs (%s)", e->name, ctx.err)) {
        gd_result_free(r);
        return NULL;
    }
    return r;
}

static double scalar_of(const gd_result *r, const char *name) {
    const gd_scalar *s = r ? gd_result_scalar_find(r, name) : NULL;
    return s ? s->value : GD_NAN;
}

static const gd_claim *claim_of(const gd_result *r, const char *id) {
    for (size_t i = 0; r && i < r->nclaims; i++)
        if (!strcmp(r->claims[i].id, id)) return &r->claims[i];
    return NULL;
}

/* regimes on a quadratic with three eigenvalues: every (eta, direction)
 * pair is decided exactly, with eta lambda on both sides of 1 and 2. */
static void regimes_quadratic(void) {
    static const char *const kv[] = {"spectrum", "0.7,2.385,6.1", "eta", "0.05:0.45:17", "steps", "60", NULL};
    gd_result *r = run_exp(&gd_exp_regimes, kv);
    double pairs = scalar_of(r, "quadratic_pairs"), agree = scalar_of(r, "quadratic_pairs_agree");
    gdt_check(pairs >= 45 && agree == pairs, "regimes: %g of %g pairs as predicted", agree, pairs);
    const gd_claim *c = claim_of(r, "003-regimes-quadratic");
    gdt_check(c && c->verdict == GD_VERDICT_CONFIRMED, "regimes: quadratic claim confirmed");
    gd_result_free(r);
}

/* balancing on the scalar problem: the per-step identity
 * x'^2 - y'^2 = (x^2 - y^2)(1 - eta^2 r^2) to rounding, the first
 * trajectory step against it by hand, sharpness <= 2/eta at the limits. */
static void balancing_scalar(void) {
    static const char *const kv[] = {"problem", "scalar", "mu", "1.3", "x0", "2.385", "y0", "0.3",
                                     "seeds", "4", "eta-l0", "0.5:3.5:7", "eta", "0.35", NULL};
    gd_result *r = run_exp(&gd_exp_balancing, kv);
    gdt_check(scalar_of(r, "identity_max_rel_dev") <= 1e-14, "balancing: identity deviation %.2e <= 1e-14",
              scalar_of(r, "identity_max_rel_dev"));
    gdt_close(scalar_of(r, "imbalance_initial"), 2.385 * 2.385 - 0.09, 1e-15, 0, "balancing: x0^2 - y0^2");
    gd_series *t = r ? gd_result_series_find(r, "trajectory_1") : NULL;
    if (gdt_check(t && t->nrows >= 2, "balancing: trajectory recorded")) {
        double rr = 1.3 - 2.385 * 0.3, want = (2.385 * 2.385 - 0.09) * (1 - 0.35 * 0.35 * rr * rr);
        gdt_close(t->data[1 * t->ncols + 2], want, 1e-13, 0, "balancing: first step, (x^2 - y^2)(1 - eta^2 r^2)");
    }
    if (gdt_check(scalar_of(r, "converged") == 1, "balancing: eta = 0.35 run converged"))
        gdt_check(scalar_of(r, "sharpness_final") * 0.35 <= 2, "balancing: eta x sharpness = %.4f <= 2",
                  scalar_of(r, "sharpness_final") * 0.35);
    gd_result_free(r);
}

static void closed_forms(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const double lam[3] = {0.7, 3.3, 9.1}, x0[3] = {1.3, -0.8, 2.385};
    gd_obj *o = gd_obj_quadratic(&ctx, 3, lam);
    gdt_check(o != NULL, "quadratic objective built");
    const double T = 1.7, eta = 0.043;
    for (int k = 0; k < 3; k++) {
        double x[3];
        memcpy(x, x0, sizeof x);
        gd_status st = gd_flow_integrate(&ctx, o, (gd_flow_kind)k, eta, T, NULL, x);
        gdt_check(st == GD_OK, "order %d integrates (%s)", k, ctx.err);
        double worst = 0;
        for (int i = 0; i < 3; i++) {
            double l = lam[i], rate = l;
            if (k >= 1) rate += eta * l * l / 2;
            if (k >= 2) rate += eta * eta * l * l * l / 3;
            double want = exp(-rate * T) * x0[i];
            worst = fmax(worst, fabs(x[i] - want) / fabs(want));
        }
        gdt_check(worst <= 1e-10, "order %d flow vs closed form: largest relative error %.2e <= 1e-10", k,
                  worst);
    }
    gd_obj_free(o);
}

static void experiment_on_quadratic(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_params p;
    gdt_check(gd_params_init(&p, gd_exp_modified_flow.params, &ctx) == GD_OK, "modified-flow defaults");
    gd_params_set(&p, "spectrum", "0.7,3.3", &ctx);
    gd_params_set(&p, "x0", "1.3,-0.8", &ctx);
    gd_params_set(&p, "time", "1", &ctx);
    gd_params_set(&p, "eta", "0.002:0.5:20", &ctx);
    gd_result *r = gd_result_new("modified-flow", 1);
    gd_status st = gd_experiment_run(&gd_exp_modified_flow, &p, &ctx, r);
    gdt_check(st == GD_OK, "modified-flow runs on a quadratic (%s)", ctx.err);
    const gd_scalar *gdx = gd_result_scalar_find(r, "gd_closed_form_max_rel_err");
    gdt_check(gdx && gdx->value <= 1e-12, "GD iterates vs (1 - eta lambda)^N x0: %.2e <= 1e-12",
              gdx ? gdx->value : GD_NAN);
    const char *names[3] = {"slope_gf", "slope_mod", "slope_mod2"};
    for (int k = 0; k < 3; k++) {
        const gd_scalar *s = gd_result_scalar_find(r, names[k]);
        /* the fit is over eta L <= 0.1, where the next order's relative
         * contribution is below about eta L */
        gdt_check(s && fabs(s->value - (k + 1)) <= 0.1, "%s = %.4f, expected %d within 0.1", names[k],
                  s ? s->value : GD_NAN, k + 1);
    }
    gd_result_free(r);
    gd_params_free(&p);
}

static void third_derivative(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *o = gd_obj_expr(&ctx, "x^3*y + exp(0.5*x)*y^2");
    gdt_check(o != NULL, "expression objective built");
    const double x[2] = {0.83, -1.27}, g[2] = {2.385, -0.61};
    double out[2], work[5 * 2 + 4];
    gd_flow_third(o, x, g, out, work);
    double e = exp(0.5 * x[0]), X = x[0], Y = x[1];
    double fxxx = 6 * Y + e * Y * Y / 8, fxxy = 6 * X + e * Y / 2, fxyy = e, fyyy = 0;
    double want[2] = {fxxx * g[0] * g[0] + 2 * fxxy * g[0] * g[1] + fxyy * g[1] * g[1],
                      fxxy * g[0] * g[0] + 2 * fxyy * g[0] * g[1] + fyyy * g[1] * g[1]};
    for (int i = 0; i < 2; i++) gdt_close(out[i], want[i], 1e-10, 0, "T[g,g] of x^3 y + exp(x/2) y^2");
    gd_obj_free(o);
    gd_obj *m = gd_obj_mf_scalar(&ctx, 1.7);
    gd_flow_third(m, x, g, out, work);
    /* f = 1/2 (mu - x y)^2: f_xxy = 2y, f_xyy = 2x, f_xxx = f_yyy = 0 */
    double w2[2] = {2 * 2 * Y * g[0] * g[1] + 2 * X * g[1] * g[1], 2 * Y * g[0] * g[0] + 2 * 2 * X * g[0] * g[1]};
    for (int i = 0; i < 2; i++) gdt_close(out[i], w2[i], 1e-12, 0, "T[g,g] of 1/2 (mu - x y)^2");
    gd_obj_free(m);
}

static void spectra(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *o = gd_obj_expr(&ctx, "x^2 + x*y + 2*y^2");
    double x[2] = {0.3, 0.4}, ev[2], V[4];
    gdt_check(gd_flow_hess_eig(&ctx, o, x, ev, V) == GD_OK, "dsyev on a 2 x 2 Hessian");
    gdt_close(ev[0], 3 - sqrt(2.0), 1e-14, 0, "lambda_min of [[2,1],[1,4]]");
    gdt_close(ev[1], 3 + sqrt(2.0), 1e-14, 0, "lambda_max of [[2,1],[1,4]]");
    /* H v = lambda v for the top eigenvector (row 1) */
    double r0 = 2 * V[2] + V[3] - ev[1] * V[2], r1 = V[2] + 4 * V[3] - ev[1] * V[3];
    gdt_check(hypot(r0, r1) <= 1e-14, "top eigenvector residual %.1e <= 1e-14", hypot(r0, r1));
    gd_obj_free(o);
}

static void errors(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const double lam[1] = {2.0};
    gd_obj *o = gd_obj_quadratic(&ctx, 1, lam);
    double x[1] = {1};
    gdt_check(gd_flow_integrate(&ctx, o, GD_FLOW_GRADIENT, 0.1, -1, NULL, x) == GD_EINVAL &&
                  strstr(ctx.err, "time T") != NULL,
              "negative T is GD_EINVAL: %s", ctx.err);
    gd_obj_free(o);
    /* x' = 4 x^3 from x = 1 blows up at t = 1/8 */
    gd_obj *b = gd_obj_expr(&ctx, "-x^4");
    x[0] = 1;
    gdt_check(gd_flow_integrate(&ctx, b, GD_FLOW_GRADIENT, 0.0, 1.0, NULL, x) == GD_ENUMERIC,
              "a flow that blows up at t = 1/8 is GD_ENUMERIC: %s", ctx.err);
    gd_obj_free(b);
}

int main(void) {
    gsl_set_error_handler_off();
    closed_forms();
    experiment_on_quadratic();
    regimes_quadratic();
    balancing_scalar();
    third_derivative();
    spectra();
    errors();
    return gdt_summary();
}
