/* rope-base: the smallest RoPE base b with B(m) = sum_{i < d/2} cos(m
 * b^(-2i/d)) >= 0 for every m < L (Men et al. 2024; Su,
 * kexue.fm/archives/10122), by the stated search of claims.h, or the
 * check of a given base (`--base`). The mathematics is in
 * src/claims/rope.c. */
#include "common.h"
#include "gdlab/claims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char SRC_ROPE[] = "seed 002 (Su, kexue.fm/archives/10122; Men et al., arXiv 2405.14591)";

static const gd_param_spec params_rope[] = {
    {"dim", GD_PARAM_INT, "128", 2, 4096, 0, "head dimension d (even)"},
    {"context", GD_PARAM_INT, "32768", 1, 2147483648.0, 0, "context length L: B(m) >= 0 for m = 0 .. L-1"},
    {"base", GD_PARAM_REAL, "0", 0, 1e300, 0, "check this base (> 1); 0 searches for the smallest feasible one"},
    {"precision", GD_PARAM_STRING, "fp64", 0, 0, 0,
     "fp64 (exact to a stated bound) or fp32 (emulates float angles m theta_i)"},
    {"search-start", GD_PARAM_REAL, "2", 1, 1e300, GD_PARAM_OPEN_MIN, "search: first base of the grid"},
    {"search-ratio", GD_PARAM_REAL, "0.01", 0, 10, GD_PARAM_OPEN_MIN,
     "fp32 search: grid bases start (1 + ratio)^k until the first feasible one"},
    {"search-tol", GD_PARAM_REAL, "1e-6", 0, 0.1, GD_PARAM_OPEN_MIN,
     "search: the smallest step of the fp64 scan (uncertified), the bisection width of the fp32 grid"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

/* B(m) at up to 400 log-spaced m in [1, L) and at argmin, in long double
 * (the plot of the sum against m). */
static gd_status sum_series(gd_ctx *ctx, gd_result *r, size_t d, long L, double b, long argmin) {
    static const char *const cols[] = {"m", "sum"};
    gd_series *s = gd_result_series_new(r, "sum", 2, cols);
    if (!s) return gd_error(ctx, GD_ENOMEM, "out of memory");
    long prev = -1;
    const int n = 400;
    for (int k = 0; k <= n; k++) {
        long m = k == 0 ? 0 : (long)floor(pow((double)(L - 1), (double)k / n));
        if (prev < argmin && argmin < m) m = argmin, k--; /* the minimum in order */
        if (m <= prev || m >= L) continue;
        prev = m;
        long double t = 0;
        for (size_t i = 0; i < d / 2; i++)
            t += cosl((long double)m * powl((long double)b, -2.0L * (long double)i / (long double)d));
        double row[2] = {(double)m, (double)t};
        gd_status st = gd_series_append(s, row);
        if (st != GD_OK) return st;
    }
    return GD_OK;
}

static gd_status run_rope(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    const size_t d = (size_t)gd_params_real(pa, "dim");
    const long L = (long)gd_params_real(pa, "context");
    double b = gd_params_real(pa, "base");
    const char *prec = gd_params_str(pa, "precision");
    char bad[512] = "";
    if (d % 2) gd_exp_addf(bad, sizeof bad, "; --dim: expected an even dimension, got %zu", d);
    if (strcmp(prec, "fp64") && strcmp(prec, "fp32"))
        gd_exp_addf(bad, sizeof bad, "; --precision: expected fp64 or fp32, got '%s'", prec);
    if (b != 0 && !(b > 1)) gd_exp_addf(bad, sizeof bad, "; --base: expected a base > 1 (or 0 to search), got %g", b);
    if (b != 0)
        for (const char *const *n = (const char *const[]){"search-start", "search-ratio", "search-tol", NULL}; *n; n++)
            if (gd_params_is_set(pa, *n))
                gd_exp_addf(bad, sizeof bad, "; --%s applies to the search, not to the check of --base %g", *n, b);
    if (b == 0 && strcmp(prec, "fp32") && gd_params_is_set(pa, "search-ratio"))
        gd_exp_addf(bad, sizeof bad, "; --search-ratio is the grid of the fp32 search; the fp64 search is a "
                    "certified scan (its step floor is --search-tol)");
    if (bad[0]) return gd_error(ctx, GD_EINVAL, "%s", bad + 2);
    const int fp32 = !strcmp(prec, "fp32");
    gd_status st;
    if (b == 0) {
        gd_rope_search_params sp = gd_rope_search_default_params();
        sp.start = gd_params_real(pa, "search-start");
        sp.ratio = gd_params_real(pa, "search-ratio");
        sp.rel_tol = gd_params_real(pa, "search-tol");
        gd_rope_search so;
        if ((st = gd_rope_min_base(ctx, d, L, fp32, &sp, &so)) != GD_OK) return st;
        b = so.base;
        gd_result_scalar(r, "base", b, GD_NAN);
        gd_result_scalar(r, "search_evaluations", (double)so.evaluations, GD_NAN);
        gd_result_scalar(r, "search_full_scans", (double)so.full_scans, GD_NAN);
        if (fp32)
            gd_result_note(r, "search (fp32, whose sums are not Lipschitz in the base): bases %g (1 + %g)^k up to "
                           "the first feasible one, then bisection to relative width %g below it; feasibility "
                           "is not monotone in the base, so a feasible island narrower than the grid can be "
                           "missed", sp.start, sp.ratio, sp.rel_tol);
        else {
            gd_result_scalar(r, "search_uncertified_steps", (double)so.uncertified_steps, GD_NAN);
            gd_result_note(r, "search: a certified scan up from %g; each step excludes an interval of bases "
                           "where some B(m) < 0 by the bound |dB(m)/db| <= m sum_i (2i/d) theta_i / b, so every "
                           "base below the answer is infeasible except inside the %ld uncertified steps of "
                           "relative width %g (where the sum touches zero)", sp.start, so.uncertified_steps,
                           sp.rel_tol);
        }
        if (isnan(b)) {
            gd_result_set_status(r, GD_RUN_OK, "no feasible base up to %g", sp.max_base);
            return GD_OK;
        }
    }
    gd_rope_check c;
    if ((st = gd_rope_check_base(ctx, d, L, b, fp32, 0, &c)) != GD_OK) return st;
    gd_result_scalar(r, "feasible", c.feasible, GD_NAN);
    gd_result_scalar(r, "first_violation_m", (double)c.first_violation_m, GD_NAN);
    gd_result_scalar(r, "min_sum", c.min_sum, GD_NAN);
    gd_result_scalar(r, "argmin_m", (double)c.argmin_m, GD_NAN);
    if (!fp32) gd_result_scalar(r, "err_bound", c.err_bound, GD_NAN);
    if ((st = sum_series(ctx, r, d, L, b, c.argmin_m)) != GD_OK) return st;
    char title[128];
    snprintf(title, sizeof title, "B(m) = sum cos(m b^(-2i/d)), d = %zu, b = %.6g", d, b);
    gd_plot pl = {.name = "sum", .title = title, .xlabel = "m", .ylabel = "B(m)", .logx = 1};
    pl.line[pl.nlines++] = (gd_plot_line){"sum", "m", "sum", NULL, "B(m)", 0};
    pl.hline[pl.nhlines] = 0, pl.hlabel[pl.nhlines++] = "0";
    return gd_result_plot(r, &pl);
}

const gd_experiment gd_exp_rope_base = {
    "rope-base", "the smallest RoPE base with sum_i cos(m b^(-2i/d)) >= 0 for all m < L, or the check of one base",
    SRC_ROPE, params_rope, NULL, run_rope};
