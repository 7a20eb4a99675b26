/* libFuzzer target: the parsers of command-line values. The first byte
 * chooses the parser, the rest is the text:
 *   0 comma lists of sizes (--hidden, --b-grid)   1 of reals (--row, --ns)
 *   2 ranges lo:hi:count (--eta, --grid)          3 --flat-runs pairs f:b
 *   4 --archs (2-3-3-1,...)                       5 points (--x0) of x, y, z
 *   6 learning-rate schedules (--schedule)        7 sweep axes NAME=SPEC
 *   8 any parameter of any experiment (gd_params_set; bytes 2 and 3 choose
 *     the experiment and the parameter)
 * Properties: what parses satisfies the documented contract (counts within
 * the maximum, values in range and finite, schedule rates >= 0, not NaN; a
 * parameter's number is in gdlab's decimal syntax, gd_parse_number);
 * what is refused is GD_EINVAL with a message naming the parameter. */
#include "fuzz.h"

#include <math.h>

#include "exp/common.h"
#include "gdlab/dyn.h"
#include "gdlab/optim.h"
#include "gdlab/sweep.h"

static void refused(gd_status st, const gd_ctx *ctx, const char *what) {
    FUZZ_CHECK(st == GD_EINVAL, "a refusal is GD_EINVAL");
    FUZZ_CHECK(strstr(ctx->err, what) != NULL, "a refusal names the parameter");
}

static void params(const uint8_t *data, size_t size, gd_ctx *ctx) {
    if (size < 2) return;
    size_t ne;
    const gd_experiment *const *all = gd_experiment_list(&ne);
    const gd_experiment *e = all[data[0] % ne];
    size_t np = 0;
    while (e->params[np].name) np++;
    if (!np) return;
    const gd_param_spec *sp = &e->params[data[1] % np];
    char *text = fuzz_cstr(data + 2, size - 2);
    gd_params p;
    if (gd_params_init(&p, e->params, ctx) != GD_OK) abort();
    gd_status st = gd_params_set(&p, sp->name, text, ctx);
    if (st != GD_OK) {
        char what[80];
        snprintf(what, sizeof what, "--%s", sp->name);
        refused(st, ctx, what);
    } else if (sp->kind != GD_PARAM_STRING && !gd_params_is_opt(&p, sp->name)) {
        const double x = gd_params_real(&p, sp->name);
        FUZZ_CHECK((x == INFINITY && (sp->flags & GD_PARAM_INF)) ||
                       (x <= sp->max && ((sp->flags & GD_PARAM_OPEN_MIN) ? x > sp->min : x >= sp->min)),
                   "a value is in range");
        FUZZ_CHECK(isfinite(x) || (x == INFINITY && (sp->flags & GD_PARAM_INF)), "a value is finite or an allowed inf");
        FUZZ_CHECK(sp->kind != GD_PARAM_INT || !isfinite(x) || x == floor(x), "a whole number is whole");
        FUZZ_CHECK(strcmp(gd_params_str(&p, sp->name), text) == 0, "the text is kept");
        double y;
        FUZZ_CHECK(x == INFINITY || (gd_parse_number(text, &y) == GD_NUM_OK && y == x),
                   "an accepted number is written in gdlab's decimal syntax (no hex, no underflow to 0)");
    } else if (sp->kind == GD_PARAM_STRING) {
        FUZZ_CHECK(strcmp(gd_params_str(&p, sp->name), text) == 0, "the text is kept");
    }
    gd_params_free(&p);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0 || size > 4000) return 0;
    const int which = data[0] % 9;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    if (which == 8) {
        params(data + 1, size - 1, &ctx);
        return 0;
    }
    char *s = fuzz_cstr(data + 1, size - 1);
    gd_status st;
    switch (which) {
    case 0: {
        size_t v[8];
        const int n = gd_exp_parse_sizes(s, v, 8);
        FUZZ_CHECK(n >= -1 && n <= 8, "a size count within the maximum");
        for (int i = 0; i < n; i++) FUZZ_CHECK(v[i] >= 1 && v[i] <= 1000000, "sizes in [1, 1e6]");
        break;
    }
    case 1: {
        double v[8];
        const int n = gd_exp_parse_reals(s, v, 8);
        FUZZ_CHECK(n >= -1 && n <= 8, "a real count within the maximum");
        for (int i = 0; i < n; i++) FUZZ_CHECK(isfinite(v[i]) && v[i] > 0, "reals finite and > 0");
        break;
    }
    case 2: {
        double lo, hi;
        size_t n;
        st = gd_exp_parse_range(&ctx, s, "--eta", 1000, &lo, &hi, &n);
        if (st != GD_OK) refused(st, &ctx, "--eta");
        else if (n == 1) FUZZ_CHECK(lo == hi && isfinite(lo), "a number is a range of one");
        else {
            FUZZ_CHECK(n >= 2 && n <= 1000 && isfinite(lo) && isfinite(hi) && lo < hi, "a range lo < hi, 2..max values");
            for (size_t i = 0; i < n; i++) {
                const double x = gd_exp_range_at(lo, hi, n, i, lo > 0);
                const double tol = 1e-12 * (fabs(lo) + fabs(hi));
                FUZZ_CHECK(isfinite(x) && x >= lo - tol && x <= hi + tol, "range values lie in [lo, hi]");
            }
        }
        break;
    }
    case 3: {
        double fe[8];
        size_t fb[8];
        const int n = gd_exp_parse_flat_runs(s, 100, fe, fb, 8);
        FUZZ_CHECK(n >= -1 && n <= 8, "a pair count within the maximum");
        for (int i = 0; i < n; i++)
            FUZZ_CHECK(isfinite(fe[i]) && fe[i] > 0 && fb[i] >= 1 && fb[i] <= 100, "pairs f > 0, b in [1, m]");
        break;
    }
    case 4: {
        gd_mlp_params a[4];
        char bad[1024] = "";
        const int n = gd_exp_parse_archs(s, a, 4, bad, sizeof bad);
        FUZZ_CHECK(n >= 0 && n <= 4, "an architecture count within the maximum");
        FUZZ_CHECK(bad[0] == '\0' || strncmp(bad, "; --archs", 9) == 0, "a refusal names --archs");
        for (int i = 0; i < n; i++) {
            FUZZ_CHECK(a[i].n_layers >= 1 && a[i].n_layers <= GD_MLP_MAX_LAYERS, "layers in [1, max]");
            for (size_t l = 0; l <= a[i].n_layers; l++) FUZZ_CHECK(a[i].width[l] >= 1 && a[i].width[l] <= 64, "widths in [1, 64]");
        }
        break;
    }
    case 5: {
        gd_obj *o = gd_obj_expr(&ctx, "x^2 + y*z");
        double x[3];
        if (!o) abort();
        st = gd_obj_parse_point(&ctx, o, s, "--x0", x);
        if (st != GD_OK) refused(st, &ctx, "--x0");
        gd_obj_free(o);
        break;
    }
    case 6: {
        gd_schedule sc;
        st = gd_schedule_parse(&ctx, s, 0.1, 1000, &sc);
        if (st != GD_OK) FUZZ_CHECK(st == GD_EINVAL && ctx.err[0], "a refused schedule says why");
        else
            for (long t = 0; t <= 1000; t += 7) {
                const double lr = gd_schedule_lr(&sc, t);
                FUZZ_CHECK(lr >= 0, "schedule rates >= 0, never NaN"); /* step:1:5 grows to inf */
            }
        break;
    }
    default: {
        gd_sweep_axis ax;
        st = gd_sweep_parse_axis(&ctx, s, &ax);
        if (st != GD_OK) FUZZ_CHECK(st == GD_EINVAL && ctx.err[0], "a refused axis says why");
        else {
            FUZZ_CHECK(ax.name && *ax.name && ax.n >= 1 && ax.n <= 100000, "an axis has a name and 1..1e5 values");
            for (size_t i = 0; i < ax.n; i++) FUZZ_CHECK(ax.values[i] != NULL, "axis values are there");
            gd_sweep_axis_free(&ax);
        }
    }
    }
    free(s);
    return 0;
}
