/* Tests of src/dyn/obj.c: the gradient and Hessian of every objective kind
 * against central finite differences, known values, point parsing (good and
 * bad input) and clone independence. */
#include "gdlab/dyn.h"
#include "gdtest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Central differences of f (for the gradient) and of grad f (for the
 * Hessian) at x with step h; the truncation error is O(h^2 f''') and the
 * rounding error O(eps f / h), so h ~ 1e-5 gives ~1e-9 relative accuracy
 * on these smooth objectives of size O(1): tolerances 1e-7 relative. */
static void check_fd(gd_obj *f, const double *x, const char *name) {
    const size_t n = gd_obj_dim(f);
    double *g = malloc(n * sizeof *g), *H = malloc(n * n * sizeof *H), *xp = malloc(n * sizeof *xp);
    double *gp = malloc(n * sizeof *gp), *gm = malloc(n * sizeof *gm);
    double f0 = gd_obj_eval(f, x, g, H);
    double f1 = gd_obj_eval(f, x, NULL, NULL);
    gdt_check(f0 == f1, "%s: f with and without derivatives equal (%.17g)", name, f0);
    double gerr = 0, herr = 0, gsc = 1e-3, hsc = 1e-3, asym = 0;
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        memcpy(xp, x, n * sizeof *xp);
        xp[i] = x[i] + h;
        double fp = gd_obj_eval(f, xp, gp, NULL);
        xp[i] = x[i] - h;
        double fm = gd_obj_eval(f, xp, gm, NULL);
        gerr = fmax(gerr, fabs((fp - fm) / (2 * h) - g[i]));
        gsc = fmax(gsc, fabs(g[i]));
        for (size_t j = 0; j < n; j++) {
            herr = fmax(herr, fabs((gp[j] - gm[j]) / (2 * h) - H[j * n + i]));
            hsc = fmax(hsc, fabs(H[j * n + i]));
            asym = fmax(asym, fabs(H[i * n + j] - H[j * n + i]));
        }
    }
    gdt_check(gerr <= 1e-7 * gsc, "%s: gradient vs central differences, max err %.2e (scale %.3g)", name, gerr, gsc);
    gdt_check(herr <= 1e-7 * hsc, "%s: Hessian vs central differences of the gradient, max err %.2e (scale %.3g)",
              name, herr, hsc);
    gdt_check(asym == 0, "%s: Hessian exactly symmetric (max asymmetry %.2e)", name, asym);
    free(g), free(H), free(xp), free(gp), free(gm);
}

static void test_kinds(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *e = gd_obj_expr(&ctx, "x^2*y - 3*sin(x*y) + exp(-z)*y + x*z^3/5");
    gdt_check(e && gd_obj_dim(e) == 3 && !strcmp(gd_obj_var_name(e, 2), "z"), "expr: 3 variables x, y, z");
    double xe[3] = {0.713, -1.29, 0.385};
    check_fd(e, xe, "expr");

    double L[4] = {2.385, -0.5, 7.25, 1e-3}, xq[4] = {0.3, -1.7, 0.25, 4.1};
    gd_obj *q = gd_obj_quadratic(&ctx, 4, L);
    check_fd(q, xq, "quadratic");
    double fq = 0;
    for (int i = 0; i < 4; i++) fq += 0.5 * L[i] * xq[i] * xq[i];
    gdt_close(gd_obj_eval(q, xq, NULL, NULL), fq, 1e-15, 0, "quadratic: value 1/2 sum lambda x^2");

    gd_obj *m = gd_obj_mf_scalar(&ctx, 1.37);
    double xm[2] = {0.81, -1.42};
    check_fd(m, xm, "mf-scalar");
    double r = 1.37 - 0.81 * -1.42;
    gdt_close(gd_obj_eval(m, xm, NULL, NULL), 0.5 * r * r, 1e-15, 0, "mf-scalar: value 1/2 (mu - xy)^2");
    gdt_check(!strcmp(gd_obj_var_name(m, 0), "x") && !strcmp(gd_obj_var_name(m, 1), "y"), "mf-scalar: names x, y");

    /* mf-matrix with n = 3, d = 2, k = 2 against its closed form value. */
    double A[6] = {1.2, -0.4, 0.35, 2.1, -1.3, 0.7};
    gd_obj *M = gd_obj_mf_matrix(&ctx, 3, 2, 2, A);
    gdt_check(M && gd_obj_dim(M) == 10 && !strcmp(gd_obj_var_name(M, 6), "Y[0,0]"), "mf-matrix: 10 variables, "
              "Y[0,0] is the 7th");
    double v[10] = {0.3, -0.8, 1.1, 0.25, -0.6, 0.9, 0.45, -1.2, 0.75, 0.15};
    check_fd(M, v, "mf-matrix");
    double fm = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            double s = A[i * 2 + j];
            for (int a = 0; a < 2; a++) s -= v[i * 2 + a] * v[6 + j * 2 + a];
            fm += 0.5 * s * s;
        }
    gdt_close(gd_obj_eval(M, v, NULL, NULL), fm, 1e-14, 0, "mf-matrix: value 1/2 ||A - X Y^T||^2");

    gd_obj *ms = gd_obj_multiscale(&ctx, "(x^2 - 1)^2 + 0.5*y^2", "cos(x) + sin(y)", 0.05);
    double xs[2] = {0.437, -0.812};
    check_fd(ms, xs, "multiscale");
    double want = pow(0.437 * 0.437 - 1, 2) + 0.5 * 0.812 * 0.812 + 0.05 * (cos(0.437 / 0.05) + sin(-0.812 / 0.05));
    gdt_close(gd_obj_eval(ms, xs, NULL, NULL), want, 1e-14, 0, "multiscale: value f0 + eps f1(x/eps)");
    gdt_check(gd_obj_kind_of(ms) == GD_OBJ_MULTISCALE, "multiscale: kind");

    /* Bad constructors. */
    double bad[2] = {1, NAN};
    gdt_check(!gd_obj_quadratic(&ctx, 0, L) && strstr(ctx.err, "eigenvalue"), "quadratic n = 0 refused: %s", ctx.err);
    gdt_check(!gd_obj_quadratic(&ctx, 2, bad), "quadratic NaN eigenvalue refused: %s", ctx.err);
    gdt_check(!gd_obj_mf_scalar(&ctx, INFINITY) && strstr(ctx.err, "--mu"), "mf-scalar mu = inf refused: %s", ctx.err);
    gdt_check(!gd_obj_mf_matrix(&ctx, 0, 2, 2, A), "mf-matrix n = 0 refused: %s", ctx.err);
    gdt_check(!gd_obj_multiscale(&ctx, "x^2", "cos(x)", 0) && strstr(ctx.err, "--eps"), "multiscale eps = 0 refused: %s",
              ctx.err);
    gdt_check(!gd_obj_multiscale(&ctx, "x^2", "cos(z)", 0.1), "multiscale f1 with a variable not in f0 refused: %s",
              ctx.err);
    gdt_check(!gd_obj_expr(&ctx, "3 + 4"), "expression without variables refused: %s", ctx.err);
    gdt_check(!gd_obj_expr(&ctx, "x +* y"), "malformed expression refused: %s", ctx.err);
    gd_obj_free(e), gd_obj_free(q), gd_obj_free(m), gd_obj_free(M), gd_obj_free(ms);
    gd_obj_free(NULL);
}

static void test_parse(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_obj *e = gd_obj_expr(&ctx, "x*y + z");
    double x[3] = {0, 0, 0};
    gdt_check(gd_obj_parse_point(&ctx, e, "1.5,-2,3e-1", "--x0", x) == GD_OK && x[0] == 1.5 && x[1] == -2 &&
                  x[2] == 0.3, "parse '1.5,-2,3e-1'");
    gdt_check(gd_obj_parse_point(&ctx, e, "z=4,x=0.25,y=-1", "--x0", x) == GD_OK && x[0] == 0.25 && x[1] == -1 &&
                  x[2] == 4, "parse named, any order");
    const char *badv[] = {"1,2", "1,2,3,4", "1,a,3", "x=1,y=2", "x=1,y=2,w=3", "x=1,x=2,y=3", "1,,3", "", "x=1,2,3",
                          "1,2,inf"};
    for (size_t i = 0; i < sizeof badv / sizeof *badv; i++) {
        ctx.err[0] = 0;
        gd_status st = gd_obj_parse_point(&ctx, e, badv[i], "--x0", x);
        gdt_check(st == GD_EINVAL && strstr(ctx.err, "--x0"), "parse '%s' refused naming --x0: %s", badv[i], ctx.err);
    }
    gd_obj_free(e);
}

static void test_clone(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const char *names[] = {"expr", "quadratic", "mf-scalar", "mf-matrix", "multiscale"};
    double L[2] = {1.5, 0.25}, A[2] = {0.7, -0.2};
    gd_obj *o[5] = {gd_obj_expr(&ctx, "sin(x)*y^2"), gd_obj_quadratic(&ctx, 2, L), gd_obj_mf_scalar(&ctx, 0.8),
                    gd_obj_mf_matrix(&ctx, 1, 2, 1, A), gd_obj_multiscale(&ctx, "x^2 + y^2", "cos(x*y)", 0.1)};
    for (int k = 0; k < 5; k++) {
        gd_obj *c = gd_obj_clone(o[k]);
        size_t n = gd_obj_dim(o[k]);
        double x[3] = {0.31, -0.77, 0.52}, g1[3], g2[3], H1[9], H2[9];
        double f1 = gd_obj_eval(o[k], x, g1, H1);
        char text[128];
        snprintf(text, sizeof text, "%s", gd_obj_text(o[k]));
        gd_obj_free(o[k]); /* the clone must not share anything with the original */
        double f2 = c ? gd_obj_eval(c, x, g2, H2) : GD_NAN;
        gdt_check(c && gd_obj_dim(c) == n && gd_obj_kind_of(c) == (gd_obj_kind)k && f1 == f2 &&
                      !memcmp(g1, g2, n * sizeof *g1) && !memcmp(H1, H2, n * n * sizeof *H1),
                  "%s: clone evaluates identically after the original is freed", names[k]);
        gdt_check(c && !strcmp(gd_obj_text(c), text), "%s: clone text '%s' equals the original's", names[k],
                  c ? gd_obj_text(c) : "(null)");
        gd_obj_free(c);
    }
}

int main(void) {
    test_kinds();
    test_parse();
    test_clone();
    return gdt_summary();
}
