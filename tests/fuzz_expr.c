/* Fuzz harness for the expression parser (src/expr/expr.c): runs argv[1]
 * (default 20000) inputs through gd_expr_parse under a fixed seed, and
 * evaluates every expression that parses with value, gradient and Hessian
 * at a random point. Inputs are random bytes, random strings over the
 * language's alphabet, mutated valid expressions and deep nests.
 * Beyond not crashing it checks: a rejection is GD_EINVAL (out NULL) with a
 * message that starts with "column "; the fast value path agrees bitwise
 * with eval_hess; the Hessian is exactly symmetric; a clone evaluates the
 * same. Ends with "1 passed, 0 failed" (or "0 passed, 1 failed"). */
#include "gdlab/expr.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXLEN 300
#define MAXVARS 160

#include "fuzz_rng.h"

static const char alphabet[] = "xyz xyz 0123456789..eE+-*/^^()(),, \tpisncoqrtalbmhwfu_";
static const char *const pieces[] = {
    "sin(", "cos(", "exp(", "log(", "sqrt(", "tan(", "tanh(", "abs(", "pow(",
    "min(", "max(", "pi", "inf", "nan", "0x1p-4", "1e308", "1e-308", ")", "^-",
    "x", "y", "z", "((", "))", ",", "-", "0", "2.5e-3", ".5", "foo(", "nan(1)",
};
static const char *const seeds[] = {
    "x^2*y - 3*sin(x*y) + exp(-y)/sqrt(x)",
    "tanh(x)*log(1+x^2) - max(y, -x) + cos(pi*y)/(1 + abs(y))",
    "pow(x, y*z) + min(x*y, z - x) * 2.5e-3",
    "(x + y)/(z - x*y) - x^-2 + 2^(x*y)",
    "-x^2 + 2^3^2 - a-b-c + a/b/c",
    "tan(0.5*x*y + z) * (x*z)^y + 0x1p-4 * inf",
    "exp(exp(exp(x))) / log(abs(y)) + sqrt(-x)",
    "x^y^z - --x + +y * (((z)))",
};

static int failures;

static void fail(const char *what, const char *src) {
    if (failures++ < 10) fprintf(stderr, "fuzz_expr: %s: \"%s\"\n", what, src);
}

/* Bitwise equality, so that NaN == NaN here. */
static int same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Appends a random well-formed expression of at most `depth` levels. */
static void gen(char *s, size_t *len, int depth) {
    static const char *const leaf[] = {"x", "y", "z", "w", "1.37", "-0.42", "2",
                                       "0", "pi", "inf", "nan", "3e-5", "0x1p4"};
    static const char *const fn1[] = {"exp", "log", "sqrt", "sin", "cos", "tan",
                                      "tanh", "abs", "-", "+"};
    static const char *const fn2[] = {"pow", "min", "max"};
    if (*len + 40 >= MAXLEN || depth <= 0 || below(4) == 0) {
        *len += (size_t)snprintf(s + *len, MAXLEN - *len, "%s",
                                 leaf[below(sizeof leaf / sizeof *leaf)]);
        return;
    }
    switch (below(3)) {
    case 0:
        *len += (size_t)snprintf(s + *len, MAXLEN - *len, "%s(",
                                 fn1[below(sizeof fn1 / sizeof *fn1)]);
        gen(s, len, depth - 1);
        break;
    case 1:
        *len += (size_t)snprintf(s + *len, MAXLEN - *len, "%s(", fn2[below(3)]);
        gen(s, len, depth - 1);
        s[(*len)++] = ',';
        gen(s, len, depth - 1);
        break;
    default:
        s[(*len)++] = '(';
        gen(s, len, depth - 1);
        s[(*len)++] = "+-*/^"[below(5)];
        gen(s, len, depth - 1);
    }
    s[(*len)++] = ')';
    s[*len] = '\0';
}

static void make_input(char *s) {
    size_t len = 0, i, k;
    switch (below(9)) {
    case 0: /* random bytes */
        for (k = below(40); len < k; len++) s[len] = (char)(1 + below(255));
        break;
    case 1: /* random characters of the language */
        for (k = below(60); len < k; len++) s[len] = alphabet[below(sizeof alphabet - 1)];
        break;
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7: /* a valid expression (generated, a seed or two spliced seeds),
             * mutated up to three times */
        if (below(2)) {
            gen(s, &len, 6);
        } else {
            len = (size_t)snprintf(s, MAXLEN, "%s", seeds[below(sizeof seeds / sizeof *seeds)]);
            if (below(3) == 0)
                len = (size_t)snprintf(s, MAXLEN, "(%.120s)%c(%.120s)", seeds[below(8)],
                                       "+-*/^,"[below(6)], seeds[below(8)]);
        }
        for (k = below(4); k > 0; k--) {
            size_t at = below(len + 1);
            const char *p;
            size_t pl;
            switch (below(4)) {
            case 0: /* delete a run */
                pl = below(4);
                if (at + pl > len) pl = len - at;
                memmove(s + at, s + at + pl, len - at - pl);
                len -= pl;
                break;
            case 1: /* replace a character */
                if (at < len) s[at] = alphabet[below(sizeof alphabet - 1)];
                break;
            default: /* insert a character or a piece */
                p = pieces[below(sizeof pieces / sizeof *pieces)];
                pl = below(2) ? strlen(p) : 1;
                if (pl == 1 && below(2)) p = &alphabet[below(sizeof alphabet - 1)];
                if (len + pl >= MAXLEN) break;
                memmove(s + at + pl, s + at, len - at);
                memcpy(s + at, p, pl);
                len += pl;
            }
        }
        break;
    default: /* nests around the parser's depth limit */
        k = 150 + below(100);
        for (i = 0; i < k && len + 2 < MAXLEN; i++) s[len++] = "(-+"[below(3)];
        s[len++] = 'x';
        for (i = 0; i < k && len + 1 < MAXLEN; i++) s[len++] = ')';
    }
    s[len] = '\0';
}

int main(int argc, char **argv) {
    static const char *const xyz[] = {"x", "y", "z"};
    static double x[MAXVARS], g[MAXVARS], H[MAXVARS * MAXVARS];
    static char src[MAXLEN + 1];
    long iters = argc > 1 ? atol(argv[1]) : 20000, it, parsed = 0;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    for (it = 0; it < iters; it++) {
        gd_expr *e = NULL, *c;
        int fixed = below(8) == 0;
        size_t n, i, j;
        double v;
        gd_status st;
        make_input(src);
        ctx.err[0] = '\0';
        st = gd_expr_parse(&ctx, src, fixed ? xyz : NULL, fixed ? 3 : 0, &e);
        if (st != GD_OK) {
            if (st != GD_EINVAL || e != NULL || strncmp(ctx.err, "column ", 7) != 0)
                fail("bad rejection", src);
            continue;
        }
        parsed++;
        n = gd_expr_nvars(e);
        if (n > MAXVARS) {
            fail("too many variables for the harness", src);
            gd_expr_free(e);
            continue;
        }
        for (i = 0; i < n; i++) {
            static const double special[] = {0.0, -1.0, 1.0, INFINITY, -INFINITY, NAN, 1e-300};
            x[i] = below(10) == 0 ? special[below(7)] : uniform(-3.0, 3.0);
        }
        v = gd_expr_eval_hess(e, x, g, H);
        if (!same(v, gd_expr_eval(e, x))) fail("eval differs from eval_hess", src);
        for (i = 0; i < n; i++)
            for (j = i + 1; j < n; j++)
                if (!same(H[i * n + j], H[j * n + i])) fail("Hessian not symmetric", src);
        if (parsed % 64 == 0) {
            c = gd_expr_clone(e);
            if (!c || !same(gd_expr_eval_hess(c, x, NULL, NULL), v)) fail("clone differs", src);
            gd_expr_free(c);
        }
        gd_expr_free(e);
    }
    printf("fuzz_expr: %ld inputs, %ld parsed, %ld rejected\n", iters, parsed, iters - parsed);
    printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    return failures ? 1 : 0;
}
