/* Tests of the gradient-penalty inequality (claims.h): both sides against
 * the network engine (its per-example parameter gradient, finite
 * differences of its forward pass), tightness on width-one chains, a
 * planted violation with a residual connection that the search must
 * find, dead ReLU layers (0/0 in the divided form, 0 <= 0 undivided), and
 * the search on plain networks staying below 1. */
#include "gdlab/claims.h"
#include "gdlab/nn.h"
#include "gdlab/rng.h"
#include "gdtest.h"

#include <math.h>
#include <string.h>

static gd_mlp_params net(size_t layers, const size_t *widths, gd_act act, int bias) {
    gd_mlp_params p = gd_mlp_default_params();
    p.n_layers = layers;
    memcpy(p.width, widths, (layers + 1) * sizeof *widths);
    p.act = act, p.bias = bias;
    return p;
}

/* Both sides against the engine: rhs = ||grad_theta f||^2 from
 * gd_mlp_jacobian, P_t from its layer blocks, grad_x f by central
 * differences of gd_mlp_forward. */
static void test_against_engine(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    for (int bias = 0; bias <= 1; bias++) {
        const size_t wd[] = {3, 4, 5, 1};
        gd_mlp_params p = net(3, wd, GD_ACT_TANH, bias);
        gd_mlp *m = gd_mlp_new(&ctx, &p, 4);
        const size_t P = gd_mlp_nparams(m);
        double w[64], J[64], x[3] = {0.3, -1.2, 0.7}, c = 1, f0, f1;
        gd_rng r;
        gd_rng_stream_init(&r, 5, "test-gp", (uint64_t)bias, 0);
        for (size_t i = 0; i < P; i++) w[i] = gd_rng_normal(&r);
        gd_mlp_jacobian(m, w, x, 1, J);
        gd_gp_point o;
        const gd_status st = gd_gp_eval(&ctx, &p, 0, w, x, &c, &o);
        gdt_check(st == GD_OK, "eval ok (bias %d)", bias);
        double all = 0, worst = 0;
        for (size_t l = 0; l < 3; l++) {
            size_t wo, rows, cols, bo;
            gd_mlp_layer(m, l, &wo, &rows, &cols, &bo);
            double pt = 0;
            for (size_t i = 0; i < rows * cols; i++) pt += J[wo + i] * J[wo + i];
            if (bias)
                for (size_t i = 0; i < rows; i++) pt += J[bo + i] * J[bo + i];
            all += pt;
            worst = fmax(worst, fabs(pt - o.P[l]) / pt);
        }
        gdt_check(worst < 1e-13 && fabs(o.rhs - all) <= 1e-13 * all,
                  "bias %d: P_t against the engine's Jacobian blocks, worst relative error %.2g", bias, worst);
        double gx2 = 0;
        for (int j = 0; j < 3; j++) {
            double xp[3], xm[3];
            memcpy(xp, x, sizeof x), memcpy(xm, x, sizeof x);
            xp[j] += 1e-5, xm[j] -= 1e-5;
            gd_mlp_forward(m, w, xp, 1, &f1);
            gd_mlp_forward(m, w, xm, 1, &f0);
            const double g = (f1 - f0) / 2e-5;
            gx2 += g * g;
        }
        gdt_check(fabs(o.gx2 - gx2) <= 1e-8 * gx2, "bias %d: ||grad_x f||^2 %.12g against central differences %.12g",
                  bias, o.gx2, gx2);
        gdt_check(o.ratio > 0 && o.ratio <= 1, "bias %d: ratio %.6f in (0, 1]", bias, o.ratio);
        gd_mlp_free(m);
    }
}

/* Width-one hidden layers: every Cauchy-Schwarz step is an equality. */
static void test_width_one(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const size_t wd[] = {3, 1, 1, 1, 1};
    const gd_act acts[] = {GD_ACT_TANH, GD_ACT_SOFTPLUS, GD_ACT_GELU, GD_ACT_SQUARE};
    gd_rng r;
    gd_rng_stream_init(&r, 7, "test-gp-chain", 0, 0);
    double worst = 0;
    for (int a = 0; a < 4; a++) {
        gd_mlp_params p = net(4, wd, acts[a], 1);
        for (int k = 0; k < 200; k++) {
            double w[16], x[3], c = gd_rng_normal(&r);
            for (int i = 0; i < 12; i++) w[i] = gd_rng_normal(&r);
            for (int i = 0; i < 3; i++) x[i] = gd_rng_normal(&r);
            gd_gp_point o;
            gd_gp_eval(&ctx, &p, 0, w, x, &c, &o);
            if (o.rhs > 1e-200) worst = fmax(worst, fabs(o.ratio - 1));
        }
    }
    gdt_check(worst < 1e-12, "width-one chains: |ratio - 1| at most %.2g over 800 points", worst);
}

/* A residual chain 1-1-1-1: h3 = h2 + tanh(w2 h2 + b2). With w2 small the
 * input gradient stays about 1 while the parameter gradient of layer 2 and
 * ||W2|| vanish: the claim fails. The search must find a violation too. */
static void test_residual(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const size_t wd[] = {1, 1, 1, 1};
    gd_mlp_params p = net(3, wd, GD_ACT_TANH, 1);
    const double w[] = {1, 0.1, 1e-3, 0.2, 1, 0}, x = 0.5, c = 1;
    gd_gp_point o, plain;
    gd_gp_eval(&ctx, &p, 1, w, &x, &c, &o);
    gd_gp_eval(&ctx, &p, 0, w, &x, &c, &plain);
    gdt_check(o.ratio > 1e4 && o.layer_margin < -0.99 && o.layer_at == 2,
              "planted: residual ratio %.3g, layer %d margin %.3f", o.ratio, o.layer_at, o.layer_margin);
    gdt_check(fabs(plain.ratio - 1) < 1e-12, "the same weights without the residual: ratio %.15f", plain.ratio);
    const size_t wd2[] = {2, 3, 3, 3, 1};
    gd_mlp_params q = net(4, wd2, GD_ACT_TANH, 1);
    double worst;
    long ev;
    gd_status st = gd_gp_search(&ctx, 3, &q, 1, 0, 4, 2000, &worst, NULL, NULL, NULL, NULL, &ev, NULL);
    gdt_check(st == GD_OK && worst > 1 + GD_GP_TOL, "the search finds the residual violation: ratio %.3g (%ld "
              "evaluations)", worst, ev);
    st = gd_gp_search(&ctx, 3, &q, 1, 1, 2, 300, &worst, NULL, NULL, NULL, NULL, &ev, NULL);
    gdt_check(st == GD_OK && worst < -GD_GP_TOL, "and the undivided form fails there too: margin %.3g", worst);
    const size_t wd3[] = {2, 3, 4, 1};
    gd_mlp_params bad = net(3, wd3, GD_ACT_TANH, 1);
    st = gd_gp_eval(&ctx, &bad, 1, w, &x, &c, &o);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "equal"),
              "a residual network without equal widths is refused: %s", ctx.err);
}

/* Dead ReLU: a hidden layer with every unit below 0. */
static void test_dead_relu(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const size_t wd[] = {2, 2, 2, 1};
    gd_mlp_params p = net(3, wd, GD_ACT_RELU, 1);
    /* layer 1: W = I, b = (-9, -9): dead for |x| < 9 */
    const double w[] = {1, 0, 0, 1, -9, -9, 1, 2, 3, 4, 0.1, 0.2, 1, 1, 0}, x[2] = {0.5, -0.5}, c = 1;
    gd_gp_point o;
    gd_gp_eval(&ctx, &p, 0, w, x, &c, &o);
    gdt_check(isnan(o.ratio) && o.zero_terms == 2 && o.gx2 == 0 && o.layer_margin == 0,
              "dead layer: ratio NaN (0/0 in %d terms), undivided margin %g", o.zero_terms, o.layer_margin);
    double worst;
    long ev, zero;
    const gd_status st = gd_gp_search(&ctx, 11, &p, 0, 1, 8, 400, &worst, NULL, NULL, NULL, NULL, &ev, &zero);
    gdt_check(st == GD_OK && worst >= -GD_GP_TOL && zero > 0,
              "ReLU search of the undivided form: smallest margin %.3g, %ld of %ld points with a 0/0 term", worst,
              zero, ev);
}

/* Plain networks: the largest ratio found stays at most 1, and the search
 * gets near it (a search that cannot approach the bound tests nothing). */
static void test_search(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const size_t wd[] = {2, 3, 3, 1};
    const gd_act acts[] = {GD_ACT_TANH, GD_ACT_RELU, GD_ACT_SQUARE};
    for (int a = 0; a < 3; a++) {
        gd_mlp_params p = net(3, wd, acts[a], 1);
        double worst;
        long ev;
        gd_gp_point at;
        gd_gp_search(&ctx, 1, &p, 0, 0, 4, 1500, &worst, &at, NULL, NULL, NULL, &ev, NULL);
        gdt_check(worst <= 1 + GD_GP_TOL && worst > 0.9, "%s 2-3-3-1: largest ratio %.9f (%ld evaluations)",
                  gd_act_name(acts[a]), worst, ev);
    }
}

int main(void) {
    test_against_engine();
    test_width_one();
    test_residual();
    test_dead_relu();
    test_search();
    return gdt_summary();
}
