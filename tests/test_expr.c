/* Tests of the expression language (src/expr/expr.c): known values at
 * non-trivial points, precedence, every function's gradient and Hessian
 * against central finite differences, negative bases, min/max/abs, NaN
 * propagation, parse errors provoked on purpose (the message must name the
 * column), variable order, clones, and allocation failure injection. */
#include "gdlab/expr.h"
#include "gdtest.h"

#include <stdlib.h>
#include <string.h>

#define PX 1.37
#define PY (-0.42)
#define PZ 0.83

static gd_ctx ctx;

/* Parses src or records a failure; NULL on failure. */
static gd_expr *parse(const char *src, const char *const *vars, size_t nvars) {
    gd_expr *e = NULL;
    gd_status st = gd_expr_parse(&ctx, src, vars, nvars, &e);
    if (!gdt_check(st == GD_OK && e != NULL, "parse \"%s\"", src)) {
        printf("  message: %s\n", ctx.err);
        return NULL;
    }
    return e;
}

/* Value of src at x (variables in order of appearance unless vars given). */
static void value_is(const char *src, const char *const *vars, size_t nvars,
                     const double *x, double want, double tol) {
    char what[160];
    gd_expr *e = parse(src, vars, nvars);
    if (!e) return;
    snprintf(what, sizeof what, "value of %s", src);
    gdt_close(gd_expr_eval(e, x), want, tol, 0.0, what);
    gd_expr_free(e);
}

static void test_known_values(void) {
    const char *xy[] = {"x", "y"};
    double p[2] = {PX, PY}, g[2], H[4];
    double x = PX, y = PY;
    double want = x * x * y - 3 * sin(x * y) + exp(-y) / sqrt(x);
    gd_expr *e = parse("x^2*y - 3*sin(x*y) + exp(-y)/sqrt(x)", xy, 2);
    if (e) {
        double v = gd_expr_eval_hess(e, p, g, H);
        gdt_close(v, want, 1e-14, 0.0, "f1 value at (1.37,-0.42)");
        gdt_close(g[0], 2 * x * y - 3 * y * cos(x * y) - 0.5 * exp(-y) * pow(x, -1.5),
                  1e-13, 1e-15, "f1 df/dx analytic");
        gdt_close(g[1], x * x - 3 * x * cos(x * y) - exp(-y) / sqrt(x), 1e-13, 1e-15,
                  "f1 df/dy analytic");
        gdt_close(H[1], 2 * x - 3 * cos(x * y) + 3 * x * y * sin(x * y) +
                            0.5 * exp(-y) * pow(x, -1.5),
                  1e-13, 1e-15, "f1 d2f/dxdy analytic");
        gdt_check(v == gd_expr_eval(e, p), "f1 fast path equals eval_hess value");
        gd_expr_free(e);
    }
    value_is("tanh(x)*log(1+x^2) - max(y, -x) + cos(pi*y)/(1 + abs(y))", xy, 2, p,
             tanh(x) * log(1 + x * x) - fmax(y, -x) + cos(3.14159265358979323846 * y) /
                                                     (1 + fabs(y)),
             1e-14);
    value_is("tan(x/3) - pow(x, y) + min(x*y, y) * 2.5e-3", xy, 2, p,
             tan(x / 3) - pow(x, y) + fmin(x * y, y) * 2.5e-3, 1e-14);
    value_is(".5 + 0.0625 + 1E2 + 2.", NULL, 0, NULL, 102.5625, 0.0);
    value_is("pi", NULL, 0, NULL, 3.14159265358979323846, 0.0);
    {
        gd_expr *e2 = parse("inf - INF + 1", NULL, 0);
        if (e2) gdt_check(isnan(gd_expr_eval(e2, NULL)), "inf - INF is NaN");
        gd_expr_free(e2);
        e2 = parse("-infinity", NULL, 0);
        if (e2) gdt_check(isinf(gd_expr_eval(e2, NULL)) && gd_expr_eval(e2, NULL) < 0,
                          "-infinity is -inf");
        gd_expr_free(e2);
        e2 = parse("nan * x", NULL, 0);
        if (e2) gdt_check(isnan(gd_expr_eval(e2, p)), "nan * x is NaN");
        gd_expr_free(e2);
    }
}

static void test_precedence(void) {
    const char *abc[] = {"a", "b", "c"};
    double x3 = 3.0, xm = -1.37, a1[3] = {5, 3, 1}, a2[3] = {8, 4, 2};
    value_is("-x^2", NULL, 0, &x3, -9.0, 0.0);
    value_is("-x^2", NULL, 0, &xm, -1.37 * 1.37, 1e-15);
    value_is("2^3^2", NULL, 0, NULL, 512.0, 0.0);
    value_is("a-b-c", abc, 3, a1, 1.0, 0.0);
    value_is("a/b/c", abc, 3, a2, 1.0, 0.0);
    value_is("a - b*c^2 / a", abc, 3, a1, 5.0 - 3.0 / 5.0, 1e-15);
    value_is("-2^2", NULL, 0, NULL, -4.0, 0.0);
    value_is("(-2)^2", NULL, 0, NULL, 4.0, 0.0);
    value_is("2^-1", NULL, 0, NULL, 0.5, 0.0);
    value_is("2*-3", NULL, 0, NULL, -6.0, 0.0);
    value_is("1 + 2*3^2", NULL, 0, NULL, 19.0, 0.0);
    value_is("--x + +x", NULL, 0, &x3, 6.0, 0.0);
    value_is("2^-x^2", NULL, 0, &x3, pow(2.0, -9.0), 0.0);
}

/* Gradient and Hessian of src at p (n variables in order of appearance)
 * against central differences: the gradient from values with step
 * 1e-5 (truncation ~1e-10), the Hessian from gradients with step 1e-4
 * (truncation ~1e-8). Tolerances: gradient rel 1e-6 + abs 1e-8, Hessian
 * rel 1e-5 + abs 1e-6. The Hessian must be exactly symmetric, and the fast
 * path and the gradient-only path must agree with the full evaluation. */
static void fd_check(const char *src, const double *p, size_t n) {
    gd_expr *e = parse(src, NULL, 0);
    double x[3], g[3], g2[3], gp[3], gm[3], H[9];
    double v;
    size_t i, j;
    int sym = 1, gok = 1, hok = 1;
    if (!e) return;
    if (!gdt_check(gd_expr_nvars(e) == n, "%s has %zu variables", src, n)) {
        gd_expr_free(e);
        return;
    }
    v = gd_expr_eval_hess(e, p, g, H);
    gdt_check(v == gd_expr_eval(e, p), "%s: fast path value equals eval_hess", src);
    gd_expr_eval_hess(e, p, g2, NULL);
    gdt_check(memcmp(g, g2, n * sizeof *g) == 0, "%s: gradient-only path agrees", src);
    for (i = 0; i < n; i++) {
        double hg = 1e-5, hh = 1e-4, fd;
        memcpy(x, p, n * sizeof *x);
        x[i] = p[i] + hg;
        fd = gd_expr_eval(e, x);
        x[i] = p[i] - hg;
        fd = (fd - gd_expr_eval(e, x)) / (2 * hg);
        if (!(fabs(g[i] - fd) <= 1e-6 * fabs(fd) + 1e-8)) {
            gok = 0;
            printf("  d/dx%zu: exact %.12g fd %.12g\n", i, g[i], fd);
        }
        x[i] = p[i] + hh;
        gd_expr_eval_hess(e, x, gp, NULL);
        x[i] = p[i] - hh;
        gd_expr_eval_hess(e, x, gm, NULL);
        for (j = 0; j < n; j++) {
            double fdh = (gp[j] - gm[j]) / (2 * hh);
            if (!(fabs(H[i * n + j] - fdh) <= 1e-5 * fabs(fdh) + 1e-6)) {
                hok = 0;
                printf("  H[%zu][%zu]: exact %.12g fd %.12g\n", i, j, H[i * n + j], fdh);
            }
            if (H[i * n + j] != H[j * n + i]) sym = 0;
        }
    }
    gdt_check(gok, "%s: gradient matches central differences (rel 1e-6, abs 1e-8)", src);
    gdt_check(hok, "%s: Hessian matches differences of gradients (rel 1e-5, abs 1e-6)", src);
    gdt_check(sym, "%s: Hessian exactly symmetric", src);
    gd_expr_free(e);
}

static void test_derivatives(void) {
    static const char *const src[] = {
        "exp(x*y - z)", "log(x^2 + y*z + 1)", "sqrt(x^2 + y^2 + z)",
        "sin(x*y + z)", "cos(x - y*z)", "tan(0.5*x*y + z)", "tanh(2*x + y*z)",
        "abs(x*y - z)", "pow(x, y*z)", "x^(y + z)", "2^(x*y) * z",
        "x^3*y - z", "pow(y*z - x, 3)", "y^-2 * z * x", "x^2.5 * z + y",
        "min(x*y, z - x) * y", "max(x*y, z - x) * z", "x/y/z",
        "(x + y)/(z - x*y)", "-x*y^2 + x*z", "(x + y*y)^z * 3", "x*y*z", "1/x + y/(2*z)",
        "exp(sin(x)*cos(y)) / (1 + z^2)", "sqrt(x)*tanh(z) + log(abs(y))",
    };
    double p[3] = {PX, PY, PZ};
    size_t i;
    for (i = 0; i < sizeof src / sizeof src[0]; i++) fd_check(src[i], p, 3);
    {
        double q[2] = {0.37, PY};
        fd_check("x^y + y^2*x", q, 2);
        fd_check("sqrt(x)", q, 1);
    }
}

/* Value, first and second derivative of a one-variable expression. */
static void d1(const char *src, double x, double v, double g, double h) {
    char what[160];
    double gg, hh, vv;
    gd_expr *e = parse(src, NULL, 0);
    if (!e) return;
    vv = gd_expr_eval_hess(e, &x, &gg, &hh);
    snprintf(what, sizeof what, "%s at %g: value", src, x);
    gdt_close(vv, v, 1e-15, 0.0, what);
    snprintf(what, sizeof what, "%s at %g: first derivative", src, x);
    gdt_close(gg, g, 1e-15, 0.0, what);
    snprintf(what, sizeof what, "%s at %g: second derivative", src, x);
    gdt_close(hh, h, 1e-15, 0.0, what);
    gd_expr_free(e);
}

static void test_pow_negative_base(void) {
    d1("x^3", -2.0, -8.0, 12.0, -12.0);
    d1("pow(x, 2)", -1.5, 2.25, -3.0, 2.0);
    d1("x^-2", -2.0, 0.25, 0.25, 0.375);
    d1("x^(1+1+1)", -1.37, -1.37 * 1.37 * 1.37, 3 * 1.37 * 1.37, -6 * 1.37);
    d1("x^0", 0.0, 1.0, 0.0, 0.0);
    d1("x^1", 0.0, 0.0, 1.0, 0.0);
    d1("x^2", 0.0, 0.0, 0.0, 2.0);
    value_is("(-2)^3", NULL, 0, NULL, -8.0, 0.0);
    value_is("pow(-2, 3)", NULL, 0, NULL, -8.0, 0.0);
    {
        /* Both base and exponent vary: u^w = exp(w log u) needs u > 0 for
         * its derivatives; the value is still C's pow. */
        double p[2] = {-2.0, 3.0}, g[2], H[4];
        gd_expr *e = parse("x^y", NULL, 0);
        if (e) {
            gdt_close(gd_expr_eval_hess(e, p, g, H), -8.0, 0.0, 0.0,
                      "x^y at (-2,3): value");
            gdt_check(isnan(g[1]), "x^y at (-2,3): d/dy is NaN (log of negative)");
        }
        gd_expr_free(e);
    }
}

static void test_min_max_abs(void) {
    double p[2] = {PX, PY}, t[2] = {1.0, 1.0}, g[2], H[4];
    gd_expr *e = parse("min(x, y)", NULL, 0);
    if (e) {
        gdt_close(gd_expr_eval_hess(e, p, g, H), PY, 0.0, 0.0, "min(x,y) value");
        gdt_check(g[0] == 0 && g[1] == 1, "min(x,y) gradient (0,1): (%g,%g)", g[0], g[1]);
        gd_expr_eval_hess(e, t, g, H);
        gdt_check(g[0] == 1 && g[1] == 0, "min(x,y) tie selects the first: (%g,%g)",
                  g[0], g[1]);
        gd_expr_free(e);
    }
    e = parse("max(x, y)", NULL, 0);
    if (e) {
        gdt_close(gd_expr_eval_hess(e, p, g, H), PX, 0.0, 0.0, "max(x,y) value");
        gdt_check(g[0] == 1 && g[1] == 0, "max(x,y) gradient (1,0): (%g,%g)", g[0], g[1]);
        gd_expr_free(e);
    }
    e = parse("abs(x*y)", NULL, 0);
    if (e) {
        gdt_close(gd_expr_eval_hess(e, p, g, H), PX * -PY, 1e-15, 0.0, "abs(x*y) value");
        gdt_check(g[0] == -PY && g[1] == -PX, "abs(x*y) gradient -sign * (y, x)");
        gdt_check(H[0] == 0 && H[1] == -1 && H[2] == -1 && H[3] == 0,
                  "abs(x*y) Hessian sign(xy) [[0,1],[1,0]]: %g %g %g %g",
                  H[0], H[1], H[2], H[3]);
        gd_expr_free(e);
    }
    d1("abs(x)", -0.42, 0.42, -1.0, 0.0);
    d1("abs(x)", 0.0, 0.0, 0.0, 0.0);
    e = parse("min(nan, x) + max(x, nan) + max(nan, x)", NULL, 0);
    if (e) gdt_check(isnan(gd_expr_eval(e, p)), "min/max propagate NaN");
    gd_expr_free(e);
}

static void test_nan_inf(void) {
    double m1 = -1.0, one = 1.0, big = 1000.0, g, H;
    gd_expr *e = parse("log(-1)", NULL, 0);
    if (e) gdt_check(isnan(gd_expr_eval(e, NULL)), "log(-1) is NaN");
    gd_expr_free(e);
    e = parse("log(x) + sqrt(x)", NULL, 0);
    if (e) gdt_check(isnan(gd_expr_eval_hess(e, &m1, &g, &H)),
                     "log(x)+sqrt(x) at -1: NaN value, no crash");
    gd_expr_free(e);
    e = parse("x/0", NULL, 0);
    if (e) gdt_check(isinf(gd_expr_eval_hess(e, &one, &g, &H)) && isinf(g) && H == 0,
                     "x/0 at 1: inf value and derivative, zero second derivative");
    gd_expr_free(e);
    e = parse("exp(x)", NULL, 0);
    if (e) gdt_check(isinf(gd_expr_eval_hess(e, &big, &g, &H)) && isinf(g) && isinf(H),
                     "exp(1000): inf value, gradient and Hessian");
    gd_expr_free(e);
    e = parse("0/0 + x", NULL, 0);
    if (e) gdt_check(isnan(gd_expr_eval_hess(e, &one, &g, &H)), "0/0 + x is NaN");
    gd_expr_free(e);
}

/* src must fail with GD_EINVAL, *out NULL, and a message holding every
 * needle (n2 may be NULL). */
static void parse_fails(const char *label, const char *src, const char *const *vars,
                        size_t nvars, const char *n1, const char *n2) {
    gd_expr *e = (gd_expr *)&ctx; /* must be overwritten with NULL */
    gd_status st;
    ctx.err[0] = '\0';
    st = gd_expr_parse(&ctx, src, vars, nvars, &e);
    gdt_check(st == GD_EINVAL && e == NULL && strstr(ctx.err, n1) &&
                  (!n2 || strstr(ctx.err, n2)),
              "%s rejected, message has \"%s\"%s%s%s: %s", label, n1,
              n2 ? " and \"" : "", n2 ? n2 : "", n2 ? "\"" : "", ctx.err);
}

static char *nest(const char *open, const char *mid, const char *close, int depth) {
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + lm + 1), *q = s;
    int i;
    for (i = 0; i < depth; i++, q += lo) memcpy(q, open, lo);
    memcpy(q, mid, lm);
    q += lm;
    for (i = 0; i < depth; i++, q += lc) memcpy(q, close, lc);
    *q = '\0';
    return s;
}

static void test_parse_errors(void) {
    const char *et[] = {"eta", "T"};
    char *s;
    gd_expr *e;
    parse_fails("2*(x+1", "2*(x+1", NULL, 0, "column 7", "'(' at column 3");
    gd_expr_parse(&ctx, "2*(x+1", NULL, 0, &e);
    gdt_check(strcmp(ctx.err, "column 7: expected ')' to close '(' at column 3, "
                              "got end of input") == 0, "exact message: %s", ctx.err);
    parse_fails("x+", "x+", NULL, 0, "column 3", "end of input");
    parse_fails("foo(1)", "foo(1)", NULL, 0, "column 1", "unknown function 'foo'");
    parse_fails("x (2)", "x (2)", NULL, 0, "column 1", "unknown function 'x'");
    parse_fails("sin(1,2)", "sin(1,2)", NULL, 0, "column 1", "takes 1 argument, got 2");
    parse_fails("pow(1)", "pow(1)", NULL, 0, "column 1", "takes 2 arguments, got 1");
    parse_fails("1+min()", "1+min()", NULL, 0, "column 3", "got 0");
    parse_fails("3 4", "3 4", NULL, 0, "column 3", "'4'");
    parse_fails("empty", "", NULL, 0, "column 1", "end of input");
    parse_fails("blank", "   ", NULL, 0, "column 4", "end of input");
    parse_fails("x $ y", "x $ y", NULL, 0, "column 3", "'$'");
    parse_fails("x)", "x)", NULL, 0, "column 2", "unmatched ')'");
    parse_fails("sin", "sin", NULL, 0, "column 4", "expected '(' after function 'sin'");
    parse_fails("pow(x y)", "pow(x y)", NULL, 0, "column 7", "',' or ')'");
    parse_fails("1e", "1e", NULL, 0, "column 2", "'e'");
    parse_fails("x^", "x^", NULL, 0, "column 3", "expected a number");
    parse_fails("x**2", "x**2", NULL, 0, "column 3", "'*'");
    parse_fails("control byte", "x+\x01", NULL, 0, "column 3", "byte 0x01");
    parse_fails("pi(2)", "pi(2)", NULL, 0, "column 1", "unknown function 'pi'");
    parse_fails("unknown variable", "eta*T + z", et, 2,
                "column 9: unknown variable 'z' (expected one of: eta, T)", NULL);
    parse_fails("no variables allowed", "2*x", et, 0, "column 3", "no variables");
    s = nest("(", "1", ")", 800);
    parse_fails("800 nested parentheses", s, NULL, 0, "column 201", "nested too deeply");
    free(s);
    s = nest("-", "x", "", 800);
    parse_fails("800 unary minus", s, NULL, 0, "column", "nested too deeply");
    free(s);
    s = nest("2^", "2", "", 800);
    parse_fails("800 powers", s, NULL, 0, "column", "nested too deeply");
    free(s);
    s = nest("sin(", "x", ")", 800);
    parse_fails("800 nested calls", s, NULL, 0, "column", "nested too deeply");
    free(s);
    s = nest("(", "x", ")", 150);
    value_is(s, NULL, 0, (double[]){PX}, PX, 0.0);
    free(s);
    gdt_check(gd_expr_parse(NULL, "x+", NULL, 0, &e) == GD_EINVAL && e == NULL,
              "NULL context: error status, no crash");
}

static void test_vars(void) {
    const char *xyz[] = {"x", "y", "z"}, *zx[] = {"z", "x"};
    double p[3] = {1.0, 2.0, 3.0}, g[3], H[9];
    gd_expr *e = parse("y + x*z + x*y", NULL, 0);
    if (e) {
        gdt_check(gd_expr_nvars(e) == 3 && !strcmp(gd_expr_var_name(e, 0), "y") &&
                      !strcmp(gd_expr_var_name(e, 1), "x") &&
                      !strcmp(gd_expr_var_name(e, 2), "z"),
                  "discovered variables in order of first appearance: y x z");
        gdt_check(gd_expr_var_index(e, "z") == 2 && gd_expr_var_index(e, "w") == -1,
                  "gd_expr_var_index finds z at 2, w at -1");
        /* y=1, x=2, z=3 */
        gdt_close(gd_expr_eval(e, p), 1.0 + 6.0 + 2.0, 0.0, 0.0, "value in discovered order");
        gd_expr_free(e);
    }
    e = parse("z + x", xyz, 3);
    if (e) {
        gd_expr_eval_hess(e, p, g, H);
        gdt_check(gd_expr_nvars(e) == 3 && g[0] == 1 && g[1] == 0 && g[2] == 1,
                  "given vars keep unused y: gradient (1,0,1)");
        gd_expr_free(e);
    }
    e = parse("x - z*x", zx, 2);
    if (e) {
        double q[2] = {5.0, 1.5};
        gdt_close(gd_expr_eval_hess(e, q, g, H), 1.5 - 7.5, 0.0, 0.0, "given order z, x: value");
        gdt_check(g[0] == -1.5 && g[1] == 1.0 - 5.0 && H[1] == -1 && H[2] == -1 &&
                      H[0] == 0 && H[3] == 0, "given order z, x: gradient and Hessian");
        gdt_check(!strcmp(gd_expr_var_name(e, 0), "z"), "given order: name 0 is z");
        gd_expr_free(e);
    }
    e = parse("2 + 3*4^0.5", NULL, 0);
    if (e) {
        gdt_check(gd_expr_nvars(e) == 0 && gd_expr_eval_hess(e, NULL, g, H) == 8.0,
                  "constant expression: no variables, value 8");
        gd_expr_free(e);
    }
}

static void test_clone(void) {
    double p1[2] = {PX, PY}, p2[2] = {-0.7, 2.1}, g1[2], g2[2], gc[2], H[4];
    gd_expr *e = parse("x^2*sin(y) + exp(x*y)", NULL, 0), *c;
    double v1, v2, vc;
    long nalloc;
    if (!e) return;
    v1 = gd_expr_eval_hess(e, p1, g1, H);
    v2 = gd_expr_eval_hess(e, p2, g2, H);
    c = gd_expr_clone(e);
    if (!gdt_check(c != NULL, "clone")) { gd_expr_free(e); return; }
    gd_expr_eval_hess(c, p1, gc, H);
    gd_expr_eval_hess(e, p2, g2, H);
    vc = gd_expr_eval_hess(c, p1, gc, NULL);
    gdt_check(vc == v1 && gc[0] == g1[0] && gc[1] == g1[1],
              "clone keeps its own workspace while the original runs");
    gdt_check(gd_expr_var_name(c, 0) != gd_expr_var_name(e, 0) &&
                  !strcmp(gd_expr_var_name(c, 1), "y"), "clone owns its names");
    gd_expr_free(e);
    gdt_check(gd_expr_eval(c, p2) == v2, "clone works after the original is freed");
    gd_alloc_fail_after(0);
    gd_expr_eval_hess(c, p2, gc, H);
    gd_expr_eval(c, p1);
    nalloc = gd_alloc_fail_after(-1);
    gdt_check(nalloc == 0, "evaluation allocates nothing (%ld allocations)", nalloc);
    gd_expr_free(c);
    gd_expr_free(NULL);
    gdt_check(1, "gd_expr_free(NULL) does nothing");
}

/* Makes allocation k fail for k = 0, 1, ... until parse succeeds; every
 * failing run must return GD_ENOMEM with *out NULL (leaks are caught by
 * the sanitizer or valgrind run). Then the same for clone. */
static void test_alloc_failure(const char *src, const char *const *vars, size_t nvars) {
    long k;
    int clean = 1;
    gd_expr *e = NULL, *c = NULL;
    gd_status st = GD_ENOMEM;
    for (k = 0; k < 1000 && st != GD_OK; k++) {
        e = (gd_expr *)&ctx;
        gd_alloc_fail_after(k);
        st = gd_expr_parse(&ctx, src, vars, nvars, &e);
        gd_alloc_fail_after(-1);
        if (st != GD_OK && (st != GD_ENOMEM || e != NULL)) clean = 0;
    }
    gdt_check(clean && st == GD_OK, "parse \"%.30s...\": allocations 0..%ld fail cleanly,"
              " then succeeds", src, k - 2);
    for (k = 0; k < 1000 && !c; k++) {
        gd_alloc_fail_after(k);
        c = gd_expr_clone(e);
        gd_alloc_fail_after(-1);
    }
    gdt_check(c != NULL && gd_expr_eval(c, (double[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                                      12, 13, 14, 15, 16}) ==
                               gd_expr_eval(e, (double[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                          11, 12, 13, 14, 15, 16}),
              "clone: allocations 0..%ld fail cleanly, then an equal copy", k - 2);
    gd_expr_free(c);
    gd_expr_free(e);
}

int main(void) {
    const char *vars[] = {"x", "y", "z", "w"};
    gd_ctx_init(&ctx);
    test_known_values();
    test_precedence();
    test_derivatives();
    test_pow_negative_base();
    test_min_max_abs();
    test_nan_inf();
    test_parse_errors();
    test_vars();
    test_clone();
    test_alloc_failure("x^2*sin(y) + exp(-z)/w + a*b*c*d*e*f*g*h*i2*j*k*l + "
                       "x+x+x+x+x+x+x+x+x+x+x+x+x+x+x+x+x+x+x", NULL, 0);
    test_alloc_failure("x^2*sin(y) + exp(-z)/w + x*y*z*w*x*y*z*w*x*y", vars, 4);
    return gdt_summary();
}
