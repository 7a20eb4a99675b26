/* libFuzzer target: the expression parser (gd_expr_parse). The input is
 * the source text; its first byte chooses free variables (odd) or exactly
 * x, y, z (even). Properties: a rejection is GD_EINVAL with out NULL and a
 * message starting "column " (or naming the workspace too many variables
 * need); a parsed expression has its variables named,
 * the value path agrees bitwise with eval_hess, the Hessian is exactly
 * symmetric, and a clone evaluates the same. */
#include "fuzz.h"

#include <math.h>

#include "gdlab/expr.h"

static int same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const xyz[] = {"x", "y", "z"};
    if (size == 0 || size > 2000) return 0;
    const int fixed = !(data[0] & 1);
    char *src = fuzz_cstr(data + 1, size - 1);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_expr *e = (gd_expr *)&ctx;
    gd_status st = gd_expr_parse(&ctx, src, fixed ? xyz : NULL, fixed ? 3 : 0, &e);
    if (st != GD_OK) {
        FUZZ_CHECK(st == GD_EINVAL && e == NULL, "a rejection is GD_EINVAL with out NULL");
        FUZZ_CHECK(strncmp(ctx.err, "column ", 7) == 0 || strstr(ctx.err, "for the exact gradient and Hessian"),
                   "a rejection names the column, or the workspace the expression's size needs");
        free(src);
        return 0;
    }
    const size_t n = gd_expr_nvars(e);
    FUZZ_CHECK(!fixed || n == 3, "the given variables are the variables");
    for (size_t i = 0; i < n; i++) {
        const char *nm = gd_expr_var_name(e, i);
        FUZZ_CHECK(nm && *nm && gd_expr_var_index(e, nm) == (long)i, "variables are named and indexed");
    }
    double *x = malloc((n + 1) * sizeof *x), *g = malloc((n + 1) * sizeof *g), *H = malloc((n * n + 1) * sizeof *H);
    if (!x || !g || !H) abort();
    static const double pts[] = {0.7, -1.3, 2.0, 0.0, 1e-3, -0.5, 3.1, 1.0};
    for (size_t i = 0; i < n; i++) x[i] = pts[(i + data[0]) % 8];
    const double v = gd_expr_eval_hess(e, x, g, H);
    FUZZ_CHECK(same(v, gd_expr_eval(e, x)), "eval agrees bitwise with eval_hess");
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) FUZZ_CHECK(same(H[i * n + j], H[j * n + i]), "the Hessian is symmetric");
    gd_expr *c = gd_expr_clone(e);
    FUZZ_CHECK(c && same(gd_expr_eval(c, x), v), "a clone evaluates the same");
    gd_expr_free(c);
    gd_expr_free(e);
    free(x), free(g), free(H), free(src);
    return 0;
}
