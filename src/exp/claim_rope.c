/* claim-rope: the published smallest RoPE bases for d = 128 and L = 1k ..
 * 1M (Men et al. 2024, "Base of RoPE Bounds Context Length", Figure 1, as
 * Su quotes its values; Su's recomputation, kexue.fm/archives/10122), each value
 * checked as printed, and against gdlab's certified search for the
 * smallest feasible base (src/claims/rope.c). */
#include "common.h"
#include "gdlab/claims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char SRC_ROPE[] = "seed 002 (Men et al., arXiv 2405.14591, Figure 1, as Su quotes it; Su, kexue.fm/archives/10122)";

/* The rows as printed, for L = 1024 2^k, k = 0 .. 10 (Su quotes both). */
#define NCTX 11
#define D 128
static const double ROW_PAPER[NCTX] = {4.3e3, 1.6e4, 2.7e4, 8.4e4, 3.1e5, 6.4e5, 2.1e6, 7.8e6, 3.6e7, 6.4e7, 5.1e8};
static const double ROW_SU[NCTX] = {4.3e3, 1.2e4, 2.7e4, 8.4e4, 2.3e5, 6.3e5, 2.1e6, 4.9e6, 2.4e7, 5.8e7, 6.5e7};

static const gd_param_spec params_crope[] = {
    {"max-context", GD_PARAM_INT, "1048576", 1024, 1048576, 0,
     "check the printed bases for L = 1024, 2048, ... up to this context"},
    {"search-max-context", GD_PARAM_INT, "131072", 0, 1048576, 0,
     "run the certified search for the smallest base up to this context (0: none; 1M takes minutes)"},
    {"search-tol", GD_PARAM_REAL, "1e-6", 0, 0.1, GD_PARAM_OPEN_MIN,
     "the search's smallest (uncertified) step, relative to the base"},
    {"row", GD_PARAM_STRING, "", 0, 0, 0,
     "your own row to check: bases for L = 1024, 2048, ..., comma-separated (claim 002-rope-user-row)"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

/* b rounded to 2 significant digits, as the rows print it. */
static double two_digits(double b) {
    const double s = pow(10, floor(log10(b)) - 1);
    return round(b / s) * s;
}

typedef struct row {
    const char *id, *name;
    const double *b;
    int n;                              /* values given */
    gd_rope_check c[NCTX];
    int infeasible, matches, compared;  /* vs the search: equal to 2 digits */
} row;

static gd_status claim_row(gd_result *r, const row *w, int nctx) {
    char meas[1024] = "", stmt[256];
    int shown = 0;
    for (int k = 0; k < nctx && k < w->n; k++)
        if (!w->c[k].feasible && shown++ < 12)
            gd_exp_addf(meas, sizeof meas, "%sL = %ld: b = %.2g has B(%ld) = %.3g", shown > 1 ? "; " : "",
                        1024L << k, w->b[k], w->c[k].first_violation_m, w->c[k].min_sum);
    char head[128];
    const int n = w->n < nctx ? w->n : nctx;
    snprintf(head, sizeof head, "%d of %d printed bases infeasible%s", w->infeasible, n, w->infeasible ? ": " : "");
    char all[1200];
    snprintf(all, sizeof all, "%s%s", head, meas);
    snprintf(stmt, sizeof stmt, "every base of %s (d = 128) is feasible for its context as printed: "
             "sum_i cos(m b^(-2i/d)) >= 0 for every m < L", w->name);
    return gd_result_claim(r, w->id, SRC_ROPE, w->infeasible ? GD_VERDICT_REFUTED : GD_VERDICT_CONFIRMED, stmt,
                           "every printed base feasible", all,
                           "each printed value is checked over every m < L by the rotation recurrence re-anchored "
                           "every 1024 m, with the rounding of each B(m) bounded (err_bound, below 3e-9) and sums "
                           "inside the bound re-evaluated in long double; the first m with B(m) < 0 is named");
}

static gd_status claim_smallest(gd_result *r, const row *w, const double *best, int nsearch, const char *id) {
    char meas[1024] = "", stmt[256];
    for (int k = 0; k < nsearch && k < w->n; k++)
        if (two_digits(best[k]) != w->b[k])
            gd_exp_addf(meas, sizeof meas, "; L = %ld: printed %.2g, smallest feasible %.7g", 1024L << k, w->b[k],
                        best[k]);
    char all[1200];
    snprintf(all, sizeof all, "%d of %d printed bases equal the smallest feasible base to 2 digits%s", w->matches,
             w->compared, meas);
    snprintf(stmt, sizeof stmt, "%s is the smallest feasible base for each context, to its 2 printed digits",
             w->name);
    const gd_verdict v = w->compared == 0 ? GD_VERDICT_INCONCLUSIVE
                         : w->matches == w->compared ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED;
    return gd_result_claim(r, id, SRC_ROPE, v, stmt, "the certified smallest base rounds to the printed value", all,
                           "gdlab's certified scan (claims.h) for L up to --search-max-context: every base below "
                           "its answer is infeasible, except inside the counted uncertified steps of relative width "
                           "--search-tol where the sum touches zero, which cannot change the first 2 digits unless "
                           "the answer sits on a rounding boundary");
}

static gd_status run_crope(const gd_params *pa, gd_ctx *ctx, gd_result *r) {
    const long Lmax = (long)gd_params_real(pa, "max-context"), Smax = (long)gd_params_real(pa, "search-max-context");
    const char *rs = gd_params_str(pa, "row");
    double user[NCTX];
    const int nuser = gd_exp_parse_reals(rs, user, NCTX);
    char bad[512] = "";
    if (nuser < 0)
        gd_exp_addf(bad, sizeof bad, "; --row: expected up to %d comma-separated bases > 1 (for L = 1024, 2048, "
                    "...), got '%s'", NCTX, rs);
    for (int k = 0; k < nuser; k++)
        if (!(user[k] > 1)) gd_exp_addf(bad, sizeof bad, "; --row: base %d is %g, expected > 1", k + 1, user[k]);
    if ((Lmax & (Lmax - 1)) || (Smax && (Smax & (Smax - 1))) || Smax > Lmax || (Smax && Smax < 1024))
        gd_exp_addf(bad, sizeof bad, "; --max-context %ld, --search-max-context %ld: expected powers of two, 1024 <= "
                    "search-max-context <= max-context (or 0)", Lmax, Smax);
    if (Smax == 0 && gd_params_is_set(pa, "search-tol"))
        gd_exp_addf(bad, sizeof bad, "; --search-tol applies to the search, which --search-max-context 0 turns off");
    if (bad[0]) return gd_error(ctx, GD_EINVAL, "%s", bad + 2);
    int nctx = 0, nsearch = 0;
    while (nctx < NCTX && (1024L << nctx) <= Lmax) nctx++;
    while (nsearch < nctx && (1024L << nsearch) <= Smax) nsearch++;
    if (nuser > nctx)
        gd_result_note(r, "--row has %d bases; the last %d (contexts above --max-context %ld) are not checked", nuser,
                       nuser - nctx, Lmax);

    row rows[3] = {{"002-rope-paper-row", "Men et al.'s row", ROW_PAPER, NCTX, {{0}}, 0, 0, 0},
                   {"002-rope-su-row", "Su's row", ROW_SU, NCTX, {{0}}, 0, 0, 0},
                   {"002-rope-user-row", "the --row bases", user, nuser, {{0}}, 0, 0, 0}};
    const int nrows = nuser > 0 ? 3 : 2;
    double best[NCTX], worst = INFINITY;
    long uncert[NCTX], evals = 0, worst_w = 0, worst_k = 0;
    gd_status st;
    for (int k = 0; k < nctx; k++) {
        const long L = 1024L << k;
        for (int j = 0; j < nrows; j++) {
            row *w = &rows[j];
            if (k >= w->n) continue;
            if ((st = gd_rope_check_base(ctx, D, L, w->b[k], 0, 0, &w->c[k])) != GD_OK) return st;
            evals++;
            w->infeasible += !w->c[k].feasible;
            if (w->c[k].min_sum < worst) worst = w->c[k].min_sum, worst_w = j, worst_k = k;
        }
        best[k] = NAN, uncert[k] = -1;
        if (k < nsearch) {
            gd_rope_search_params sp = gd_rope_search_default_params();
            sp.rel_tol = gd_params_real(pa, "search-tol");
            gd_rope_search so;
            if ((st = gd_rope_min_base(ctx, D, L, 0, &sp, &so)) != GD_OK) return st;
            best[k] = so.base, uncert[k] = so.uncertified_steps, evals += so.evaluations;
            for (int j = 0; j < nrows; j++)
                if (k < rows[j].n) rows[j].compared++, rows[j].matches += two_digits(best[k]) == rows[j].b[k];
        }
    }

    gd_result_scalar(r, "worst_margin", worst, GD_NAN);
    gd_result_scalar(r, "evaluations", (double)evals, GD_NAN);
    gd_result_scalar(r, "paper_infeasible", rows[0].infeasible, GD_NAN);
    gd_result_scalar(r, "su_infeasible", rows[1].infeasible, GD_NAN);
    if (nrows == 3) gd_result_scalar(r, "user_infeasible", rows[2].infeasible, GD_NAN);
    gd_result_scalar(r, "paper_matches", rows[0].matches, GD_NAN);
    gd_result_scalar(r, "su_matches", rows[1].matches, GD_NAN);
    gd_result_scalar(r, "searched_contexts", nsearch, GD_NAN);

    static const char *const wc[] = {"row", "context", "base", "m", "sum"};
    gd_series *ws = gd_result_series_new(r, "worst_at", 5, wc);
    static const char *const tc[] = {"context", "paper", "paper_feasible", "paper_first_violation_m", "paper_min_sum",
                                     "su", "su_feasible", "su_first_violation_m", "su_min_sum", "user",
                                     "user_feasible", "user_first_violation_m", "user_min_sum", "gdlab_base",
                                     "gdlab_uncertified_steps"};
    gd_series *ts = gd_result_series_new(r, "rows", 15, tc);
    if (!ws || !ts) return gd_error(ctx, GD_ENOMEM, "out of memory");
    const gd_rope_check *wcx = &rows[worst_w].c[worst_k];
    if ((st = gd_series_append(ws, (double[]){(double)worst_w, (double)(1024L << worst_k), rows[worst_w].b[worst_k],
                                              (double)wcx->argmin_m, wcx->min_sum})) != GD_OK)
        return st;
    for (int k = 0; k < nctx; k++) {
        double t[15] = {(double)(1024L << k)};
        for (int j = 0; j < 3; j++) {
            const int on = j < nrows && k < rows[j].n;
            const gd_rope_check *c = &rows[j].c[k];
            t[1 + 4 * j] = on ? rows[j].b[k] : GD_NAN;
            t[2 + 4 * j] = on ? c->feasible : GD_NAN;
            t[3 + 4 * j] = on ? (double)c->first_violation_m : GD_NAN;
            t[4 + 4 * j] = on ? c->min_sum : GD_NAN;
        }
        t[13] = best[k], t[14] = uncert[k] < 0 ? GD_NAN : (double)uncert[k];
        if ((st = gd_series_append(ts, t)) != GD_OK) return st;
    }
    gd_result_note(r, "worst_at is the printed base with the most negative min over m < L of B(m); its row is "
                   "0 for Men et al., 1 for Su, 2 for --row");

    for (int j = 0; j < nrows; j++)
        if ((st = claim_row(r, &rows[j], nctx)) != GD_OK) return st;
    if ((st = claim_smallest(r, &rows[0], best, nsearch, "002-rope-paper-smallest")) != GD_OK ||
        (st = claim_smallest(r, &rows[1], best, nsearch, "002-rope-su-smallest")) != GD_OK)
        return st;

    /* Monotonicity: a printed base above the certified smallest one that is
     * infeasible is a witness that a larger base can fail. */
    char meas[1024] = "";
    int witnesses = 0;
    for (int k = 0; k < nsearch; k++)
        for (int j = 0; j < nrows; j++) {
            int dup = 0;
            for (int i = 0; i < j; i++) dup |= k < rows[i].n && rows[i].b[k] == rows[j].b[k];
            if (!dup && k < rows[j].n && rows[j].b[k] > best[k] && !rows[j].c[k].feasible && witnesses++ < 6)
                gd_exp_addf(meas, sizeof meas, "%sL = %ld: %.7g feasible, %.7g infeasible (B(%ld) = %.3g)",
                            witnesses > 1 ? "; " : "", 1024L << k, best[k], rows[j].b[k],
                            rows[j].c[k].first_violation_m, rows[j].c[k].min_sum);
        }
    char all[1200];
    snprintf(all, sizeof all, "%d distinct printed bases above the smallest feasible one are infeasible%s%s", witnesses,
             witnesses ? ": " : "", meas);
    if ((st = gd_result_claim(r, "002-rope-monotone", SRC_ROPE, witnesses ? GD_VERDICT_REFUTED : GD_VERDICT_INCONCLUSIVE,
                              "feasibility is monotone in the base: every base above the smallest feasible one is "
                              "feasible (what reading the rows as lower bounds assumes)",
                              "no infeasible base above the smallest feasible one", all,
                              "witnesses among the printed bases, for the contexts searched; both bases of a witness "
                              "are checked over every m < L; with no witness the claim stays open, since gdlab "
                              "does not scan every base above the answer")) != GD_OK)
        return st;

    gd_plot pb = {.name = "rows", .title = "Smallest feasible RoPE base, d = 128", .xlabel = "context L",
                  .ylabel = "base b", .logx = 1, .logy = 1};
    pb.line[pb.nlines++] = (gd_plot_line){"rows", "context", "paper", NULL, "Men et al. (printed)", 1};
    pb.line[pb.nlines++] = (gd_plot_line){"rows", "context", "su", NULL, "Su (printed)", 1};
    if (nrows == 3) pb.line[pb.nlines++] = (gd_plot_line){"rows", "context", "user", NULL, "--row", 1};
    pb.line[pb.nlines++] = (gd_plot_line){"rows", "context", "gdlab_base", NULL, "gdlab (certified search)", 0};
    gd_plot pm = {.name = "margins", .title = "Each printed base: min over m < L of B(m)",
                  .xlabel = "context L", .ylabel = "min B(m) (< 0: infeasible)", .logx = 1};
    pm.line[pm.nlines++] = (gd_plot_line){"rows", "context", "paper_min_sum", NULL, "Men et al.", 1};
    pm.line[pm.nlines++] = (gd_plot_line){"rows", "context", "su_min_sum", NULL, "Su", 1};
    if (nrows == 3) pm.line[pm.nlines++] = (gd_plot_line){"rows", "context", "user_min_sum", NULL, "--row", 1};
    pm.hline[pm.nhlines] = 0, pm.hlabel[pm.nhlines++] = "0";
    if ((st = gd_result_plot(r, &pb)) != GD_OK) return st;
    return gd_result_plot(r, &pm);
}

const gd_experiment gd_exp_claim_rope = {
    "claim-rope", "the published smallest RoPE bases (d = 128, L = 1k .. 1M) checked as printed, and searched",
    SRC_ROPE, params_crope, (const char *const[]){NULL}, run_crope};
