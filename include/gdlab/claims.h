/* gdlab claims: exact and adversarial checks of inequalities from the
 * optimisation literature (seed 002, issue 10). Each checker computes a
 * margin whose sign is the claim's verdict, with a stated bound on its
 * rounding error, and never reports a violation inside that bound without
 * re-evaluating it in extended precision. */
#ifndef GDLAB_CLAIMS_H
#define GDLAB_CLAIMS_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"
#include "nn.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* ---- The RoPE base bound (Men et al. 2024, arXiv 2405.14591; Su,
 * kexue.fm/archives/10122) ----
 *
 * With head dimension d (even) and base b > 1, theta_i = b^(-2i/d) for i =
 * 0 .. d/2 - 1 and
 *   B(m) = sum_{i < d/2} cos(m theta_i);
 * a base is feasible for context L when B(m) >= 0 for every m = 0 .. L-1.
 *
 * In fp64 the check runs over blocks of 1024 consecutive m: at the start
 * m0 of a block cos(m0 theta_i) and sin(m0 theta_i) come from libm (the
 * argument m0 theta_i split exactly into two doubles by fma), and the
 * block follows the rotation recurrence (c, s) <- (c cos theta_i - s sin
 * theta_i, s cos theta_i + c sin theta_i). The error of each B(m) against
 * the exact sum for the double theta_i is below err_bound = (d/2) (1024 x
 * 8 + 8) eps; the double theta_i are within one ulp of the real ones, which
 * moves B(m) by at most sum_i m theta_i eps (added to err_bound). A sum in
 * [-err_bound, 0) is re-evaluated directly in long double (80-bit) before
 * it counts as a violation. Blocks run on ctx->threads OpenMP threads; the
 * answer does not depend on the thread count.
 *
 * fp32 emulates a float implementation: theta_i rounded to float, the
 * angle m theta_i computed as a float product, its cosine then exact in
 * double and the sum in double (direct, no recurrence). */
typedef struct gd_rope_check {
    int feasible;           /* 1 when B(m) >= 0 for every m < L */
    long first_violation_m; /* the first m < L with B(m) < 0; -1 when none */
    double min_sum;         /* min B(m) over the m evaluated */
    long argmin_m;          /* where (the first such m) */
    double err_bound;       /* bound on |computed - exact| of each B(m) (0 for fp32: the
                               emulation is the definition) */
    long evaluated;         /* m values evaluated */
} gd_rope_check;

/* Checks base b for dimension d (even, 2 .. 4096) and context L (1 ..
 * 2^31). With early_exit the scan stops at the first violation (then
 * min_sum and argmin_m cover only m <= first_violation_m). GD_EINVAL with
 * a message naming the parameter on bad input. */
gd_status gd_rope_check_base(gd_ctx *ctx, size_t d, long L, double b, int fp32, int early_exit,
                             gd_rope_check *out);

/* The search for the smallest feasible base.
 *
 * fp64: a certified scan upward from start. At an infeasible base b every
 * m with B_b(m) < -err_bound excludes an interval: |dB_b(m)/db| =
 * |sum_i sin(m theta_i) m theta_i (2i/d) / b| <= m K(b), K(b) = sum_i
 * (2i/d) theta_i / b, and K decreases in b, so B_{b'}(m) < 0 for every b'
 * in [b, b + r_m) with r_m = (-B_b(m) - err_bound) / (m K(b)). The scan
 * steps by the largest r_m it knows: the radii of up to 64 candidate m
 * (kept from the last scan over every m < L and re-evaluated directly in
 * long double at each base), refreshed by a scan over every m when no
 * candidate excludes at least rel_tol b. Where even the full scan
 * excludes less than rel_tol b (the sum is about to cross zero), the step
 * is rel_tol b without a certificate and counted. So every base in
 * [start, base) is infeasible except possibly inside the counted
 * uncertified steps, each of relative width rel_tol, and base itself is
 * feasible by gd_rope_check_base.
 *
 * fp32 (the emulated float sums are not Lipschitz in b): bases b_k = start
 * (1 + ratio)^k are checked until the first feasible one, then bisection
 * on [b_{k-1}, b_k] keeps a feasible upper end until the bracket is below
 * rel_tol b_k; a feasible island narrower than the grid can be missed. */
typedef struct gd_rope_search_params {
    double start;    /* first base, > 1; default 2 */
    double ratio;    /* fp32 grid step, > 0; default 0.01 */
    double rel_tol;  /* fp64 smallest step, fp32 bisection stop, > 0; default 1e-6 */
    double max_base; /* give up above; default 1e15 */
} gd_rope_search_params;

typedef struct gd_rope_search {
    double base;             /* the smallest feasible base found; NAN when none up to max_base */
    long evaluations;        /* bases visited */
    long full_scans;         /* of which with every m < L evaluated */
    long uncertified_steps;  /* fp64: steps of rel_tol b without a certificate (0 for fp32) */
} gd_rope_search;

gd_rope_search_params gd_rope_search_default_params(void);

gd_status gd_rope_min_base(gd_ctx *ctx, size_t d, long L, int fp32, const gd_rope_search_params *sp,
                           gd_rope_search *out);

/* ---- A probability inequality (Su, kexue.fm, 30 Apr; from "There is no
 * fast single hashing algorithm") ----
 *
 * For p in [0, 1) and j >= 0, with u = log(1/(1-p)):
 *   S_j = sum_{i<=j} p^i  <=  E_j = sum_{i<=j} u^i / i!.
 * Since sum_i p^i = 1/(1-p) = e^u, the margin is the difference of two
 * tails, D_j = E_j - S_j = p^(j+1)/(1-p) - sum_{n>j} u^n/n!, both positive,
 * and gdlab computes it that way in long double (no cancellation between
 * the two sides for j >= 1, where the tails differ by the factor (j+1)!
 * near p = 0). j = 0 is an equality (both sides 1), and so is p = 0.
 * In probability: the left tail is P(max of j+1 Exp(1) <= u), the right
 * one P(their sum <= u), so the inequality is max <= sum, and the margin
 * relative to the left tail, 1 - P(sum <= u) / P(max <= u), lies in (0,
 * 1): 1 - 1/(j+1)! as p -> 0, and it tends to 0 as p -> 1 (the absolute
 * gap E_j - S_j grows there). The checker searches its minimum. */

/* D_j(p) in long double. */
long double gd_prob_margin(int j, double p);

/* The exact check of the coefficient identity: for every j in 1 .. jmax
 * (<= 18) and n in 0 .. nmax (<= 24), the integer n! [u^n] D_j, computed
 * from n! [u^n] (1 - e^-u)^i = sum_k C(i, k) (-1)^(k+n) k^n in 128-bit
 * integers, must be 0 for n <= j and (j+1)! - 1 for n = j + 1. Returns
 * the number of (j, n) pairs where it fails (0: the identity holds);
 * *checked receives the pairs checked. */
long gd_prob_identity(int jmax, int nmax, long *checked);

/* The search: for each j in 1 .. jmax, the scaled margin on a grid of
 * ngrid points log-spaced in u from 1e-6 to -log(2^-53), then Brent's
 * method (GSL) from the best few; *worst and (*worst_j, *worst_p) receive
 * the smallest relative margin found and where; *evals the evaluations. A
 * termwise variant, p^j <= u^j/j! alone with the margin 1 - j! (p/u)^j,
 * is selected by termwise; it fails for j >= 2 near p = 0 (there p^j / (u^j
 * / j!) -> j!): the planted case the search must find. GD_ENOMEM if its
 * workspace cannot be allocated. */
gd_status gd_prob_search(gd_ctx *ctx, int jmax, size_t ngrid, int termwise, double *worst, int *worst_j,
                         double *worst_p, long *evals);

/* ---- Local and global cosine similarity (Su, kexue.fm, 9 Jan) ----
 *
 * x and y (n) cut into k blocks of sizes sizes[0..k-1]: c_i the cosine of
 * block i, C the cosine of the whole. With a_i = |x_i|, b_i = |y_i|,
 *   C = sum_i c_i w_i,  w_i = a_i b_i / (|x| |y|) >= 0,  sum_i w_i <= 1
 * (Cauchy-Schwarz), so C <= max_i c_i whenever max_i c_i >= 0, and it can
 * fail when every c_i < 0 (then C >= max_i c_i sum w_i > max_i c_i is
 * possible); and C can be near 0 with every c_i = 1 (the weights, not the
 * cosines, decide). */

/* The block cosines (local, k) and the global cosine; 0 for a zero block. */
double gd_cos_blocks(const double *x, const double *y, const size_t *sizes, size_t k, double *local);

/* The search for a violation of C <= max_i c_i: trials random instances
 * (k in 1..kmax blocks of sizes 1..dmax, Gaussian entries, each block's y
 * a mix of +-x_i and noise so that block cosines cover [-1, 1]), each
 * followed by a local search (Gaussian perturbations kept when they lower
 * the margin max_i c_i - C). Restricted to instances with max_i c_i >= 0
 * (the claim) or, with negative, to instances with every c_i < 0 (the
 * control, which must fail). A margin in [-1e-13, 0) is recomputed in long
 * double before it counts. *worst receives the smallest margin, *evals
 * the instances evaluated. Seeded: stream (ctx->seed, "claim-cosine").
 * GD_ENOMEM if its workspace cannot be allocated. */
gd_status gd_cos_search(gd_ctx *ctx, size_t trials, size_t kmax, size_t dmax, int negative, double *worst,
                        long *evals);

/* ---- logsumexp inequalities (Su, kexue.fm, 10 May) ----
 *
 * lse(x) = log sum_i e^(x_i) over n entries. The inequalities, each as a
 * margin that is >= 0 when it holds, divided by the scale max(1, |lse(x)|,
 * max_i |x_i|) (a relative tolerance, since the terms are of that size):
 *   MAX_LOWER  lse(x) - x_max > 0 (n >= 2); computed as log1p(sum of the
 *              others' e^(x_i - x_max)), which is 0 only when they
 *              underflow even in long double (x_i - x_max < -11355);
 *   MAX_UPPER  x_max + log n - lse(x) >= 0;
 *   MEAN       lse(x) - mean(x) - log n >= 0 (Jensen);
 *   LIPSCHITZ  max_i |x_i - y_i| - |lse(x) - lse(y)| >= 0;
 *   CONVEX     l lse(x) + (1-l) lse(y) - lse(l x + (1-l) y) >= 0, l in [0, 1];
 * and two negative controls that are false and must be found violated:
 *   CONTROL_HALF_LOG  x_max + (log n)/2 - lse(x) >= 0;
 *   CONTROL_REVERSE_MEAN  mean(x) + log n - lse(x) >= 0.
 * Equality: all x_i equal (MAX_UPPER, MEAN), x - y constant (LIPSCHITZ,
 * CONVEX). */
typedef enum gd_lse_ineq {
    GD_LSE_MAX_LOWER = 0,
    GD_LSE_MAX_UPPER,
    GD_LSE_MEAN,
    GD_LSE_LIPSCHITZ,
    GD_LSE_CONVEX,
    GD_LSE_CONTROL_HALF_LOG,
    GD_LSE_CONTROL_REVERSE_MEAN,
    GD_LSE_COUNT
} gd_lse_ineq;

const char *gd_lse_ineq_name(gd_lse_ineq k);

/* lse(x), shifted by the maximum. */
double gd_lse(const double *x, size_t n);

/* The relative margin of inequality k at (x, y, l) (y and l used by
 * LIPSCHITZ and CONVEX), n <= 64, evaluated in long double: its rounding
 * is below 1e-17 of the scale, so a margin below -1e-15 is a violation. */
double gd_lse_margin(gd_lse_ineq k, const double *x, const double *y, double l, size_t n);

/* Searches the smallest relative margin of k: trials random instances (n
 * in 1..nmax, or 2..nmax for MAX_LOWER; entries of scales 1e-3 .. 1e3,
 * some with clusters of equal entries), each refined by a local search.
 * Seeded: stream (seed, "claim-logsumexp", k, 0). */
void gd_lse_search(uint64_t seed, gd_lse_ineq k, size_t trials, size_t nmax, double *worst, long *evals);

/* ---- Online gradient descent regret on a bounded convex domain (Su,
 * "Making alchemy more scientific (1)", kexue.fm; Zinkevich 2003) ----
 *
 * On the interval [-R/2, R/2] (diameter R), losses l_t(x) = g_t x with
 * |g_t| <= G, projected OGD x_{t+1} = clip(x_t - eta_t g_t) from x_1, and
 * for non-increasing eta_t
 *   regret_T = sum_t l_t(x_t) - min_x sum_t l_t(x) <= R^2/(2 eta_T) + (G^2/2) sum_t eta_t.
 * Linear losses are the worst case of convex ones with these gradients
 * (l_t(x_t) - l_t(x*) <= g_t (x_t - x*)). The schedules, t = 1..T, base
 * eta: constant; eta/sqrt(t); step (eta, then eta/10 after T/2); cosine
 * eta (1 + cos(pi (t-1)/T))/2; linear decay eta (T - t + 1)/T; and the
 * control warm-up eta t/T, which increases and breaks the proof. Two more
 * controls: no projection (eta/sqrt(t): with a constant eta the bound
 * would survive, since it needs only |x_1 - x*| <= R; a decreasing one
 * needs every |x_t - x*| <= R), and non-convex losses g_t |x| (constant
 * eta; the comparator over the interval exactly, the loss being linear in
 * |x|). */
typedef enum gd_regret_case {
    GD_REGRET_CONSTANT = 0,
    GD_REGRET_INVSQRT,
    GD_REGRET_STEP,
    GD_REGRET_COSINE,
    GD_REGRET_LINEAR,
    GD_REGRET_CONTROL_WARMUP,
    GD_REGRET_CONTROL_NO_PROJECTION,
    GD_REGRET_CONTROL_NONCONVEX,
    GD_REGRET_COUNT
} gd_regret_case;

const char *gd_regret_case_name(gd_regret_case c);

/* eta_t of case c, t = 1..T, base eta. */
double gd_regret_eta(gd_regret_case c, long t, long T, double eta);

/* regret_T / bound for the gradients g (T) from x1, with R, G, base eta. */
double gd_regret_ratio(gd_regret_case c, const double *g, long T, double x1, double R, double G, double eta);

/* The adversarial search for the largest ratio: starts (random signs,
 * random magnitudes, a drift then an oscillation, x_1 at the ends and at
 * 0) each refined by a local search over (g, x_1) that keeps changes
 * raising the ratio. *worst receives the largest ratio, *evals the
 * evaluations, worst_g (T) and *worst_x1, if not NULL, the sequence.
 * Seeded: stream (seed, "claim-regret", c, 0). */
void gd_regret_search(uint64_t seed, gd_regret_case c, long T, double R, double G, double eta, size_t starts,
                      size_t iters, double *worst, long *evals, double *worst_g, double *worst_x1);

/* The unbounded domain, in expectation (Su, "Making alchemy more
 * scientific (2): extending the conclusion to unbounded domains", 12 Dec
 * 2025, https://kexue.fm/archives/11469, after Orabona's "Last iterate of
 * SGD converges (even in unbounded domains)", parameterfree.com, 2020).
 *
 * The post's statement. Part one's notation: per-sample loss L(x, theta),
 * samples x_t drawn i.i.d., the target L(theta) = E_x L(x, theta) with
 * theta* = argmin over all of R^d, and plain SGD theta_{t+1} = theta_t -
 * eta_t g(x_t, theta_t), g = grad_theta L, with no projection. Assumed:
 * L(x, .) convex for every x, and |g(x_t, theta_t)| <= G. Summing the
 * identity |theta_{t+1} - phi|^2 = |theta_t - phi|^2 - 2 eta_t (theta_t -
 * phi).g + eta_t^2 |g|^2 without dividing by eta_t gives, on every path
 * and for every vector phi,
 *   (mid1) sum_t eta_t [L(x_t, theta_t) - L(x_t, phi)] <= |theta_1 - phi|^2/2 + (G^2/2) sum_t eta_t^2.
 * Taking the expectation over x_1..x_T, for phi independent of the data
 * (E L(x_t, theta_t) = E L(theta_t), since theta_t depends on x_1..x_{t-1}
 * only),
 *   (mid3) sum_t eta_t E[L(theta_t) - L(phi)] <= |theta_1 - phi|^2/2 + (G^2/2) sum_t eta_t^2.
 * With phi = theta* every E[L(theta_t) - L(theta*)] is >= 0, so for
 * non-increasing eta_t each eta_t may be replaced by eta_T:
 *   (avg-2) (1/T) sum_t E[L(theta_t) - L(theta*)]
 *             <= |theta_1 - theta*|^2/(2 T eta_T) + (G^2/(2T)) sum_t eta_t^2/eta_T;
 * R^2 of part one becomes |theta_1 - theta*|^2 and sum eta_t becomes sum
 * eta_t^2/eta_T (so eta/sqrt(t) costs a factor ln T). Dividing (mid3) by
 * sum eta_t instead needs no monotonicity:
 *   (avg-3) sum_t eta_t E[L(theta_t) - L(theta*)] / sum_t eta_t
 *             <= (|theta_1 - theta*|^2 + G^2 sum_t eta_t^2) / (2 sum_t eta_t).
 * Only (mid1) is pathwise: single paths of (avg-2) can exceed its bound,
 * because the population excess on one path is not what (mid1) bounds and
 * the sample excess L(x_t, theta_t) - L(x_t, theta*) can be negative.
 *
 * The test problem meets these assumptions exactly. In R^d (d <= 8),
 *   L(x, theta) = sum_i w_i |theta_i - x_i|,   x ~ N(mu, diag(s_i^2)),
 * is convex in theta for every x and its gradient w_i sign(theta_i - x_i)
 * has norm G = |w| for almost every x (at most G at ties, taken as 0).
 * With z_i = (theta_i - mu_i)/s_i, E|theta_i - x_i| = s_i (2 phi(z_i) +
 * z_i erf(z_i / sqrt 2)) (phi the standard normal density), so
 *   L(theta) = sum_i w_i s_i (2 phi(z_i) + z_i erf(z_i/sqrt 2)),  theta* = mu,
 *   L(theta) - L(theta*) = sum_i w_i s_i h(z_i),  h(z) = 2 phi(0) expm1(-z^2/2) + z erf(z/sqrt 2),
 * whose two terms (-phi(0) z^2 and 2 phi(0) z^2 near z = 0) cancel by at
 * most a half, so h keeps its relative precision down to z = 0 (h(z) =
 * phi(0) (z^2 - z^4/12 + ...)). Least squares would not do: its gradient
 * (x.theta - y) x is unbounded in x and theta, so no G exists. */
#define GD_REGRET_MC_MAXDIM 8

typedef struct gd_regret_mc_params {
    size_t dim;                          /* d, 1 .. GD_REGRET_MC_MAXDIM; default 3 */
    double w[GD_REGRET_MC_MAXDIM];       /* (dim) weights > 0, G = |w|; default (0.8, 0.48, 0.36): G = 1 */
    double mu[GD_REGRET_MC_MAXDIM];      /* (dim) data means = theta*; default (0.5, -1, 0.25) */
    double s[GD_REGRET_MC_MAXDIM];       /* (dim) data standard deviations > 0; default (3, 2, 1) */
    double theta1[GD_REGRET_MC_MAXDIM];  /* (dim) start; default mu + (1.2, -0.9, 0): |theta_1 - theta*| = 1.5 */
    long steps;                          /* T >= 1; default 200 */
    double eta;                          /* base rate >= 0; 0 (default): |theta_1 - theta*| / (G sqrt T),
                                            which balances (avg-2) for a constant rate */
    size_t paths;                        /* Monte Carlo paths R >= 2; default 4000 */
} gd_regret_mc_params;

gd_regret_mc_params gd_regret_mc_default_params(void);

/* The base rate p->eta, or the balancing rate when it is 0. */
double gd_regret_mc_eta(const gd_regret_mc_params *p);

/* The population loss L(theta) and its excess L(theta) - L(theta*)
 * (theta (dim)), exact as above; and the per-sample loss L(x, theta). */
double gd_regret_mc_loss(const gd_regret_mc_params *p, const double *theta);
double gd_regret_mc_excess(const gd_regret_mc_params *p, const double *theta);
double gd_regret_mc_sample_loss(const gd_regret_mc_params *p, const double *x, const double *theta);

/* The right sides for the first t steps of case c's schedule over T
 * (eta_1..eta_t, still non-increasing for the five schedules), with D =
 * |theta_1 - theta*|. */
typedef struct gd_regret_bounds {
    double average;  /* (avg-2): D^2/(2 t eta_t) + (G^2/(2t)) sum_{s<=t} eta_s^2 / eta_t */
    double weighted; /* (avg-3): (D^2 + G^2 sum_{s<=t} eta_s^2) / (2 sum_{s<=t} eta_s) */
    double pathwise; /* (mid1), phi = theta*: D^2/2 + (G^2/2) sum_{s<=t} eta_s^2 */
} gd_regret_bounds;

gd_regret_bounds gd_regret_unbounded_bounds(gd_regret_case c, long t, long T, double eta, double D, double G);

/* The realised left sides of one path. */
typedef struct gd_regret_path {
    double average;  /* (1/T) sum_t [L(theta_t) - L(theta*)]: (avg-2) without E */
    double weighted; /* sum_t eta_t [L(theta_t) - L(theta*)] / sum_t eta_t: (avg-3) without E */
    double pathwise; /* sum_t eta_t [L(x_t, theta_t) - L(x_t, theta*)]: (mid1), bounded on every path */
} gd_regret_path;

/* One unprojected SGD path of case c (a schedule or the warm-up control;
 * asserted) on the problem p (asserted valid) from theta_1, with the
 * samples x (steps, dim), or, when x is NULL, x_t = mu + s * N(0, 1) drawn
 * from r (dim normals per step, whatever the iterate). excess (steps), if
 * not NULL, receives L(theta_t) - L(theta*) for t = 1..T. */
struct gd_rng;
gd_regret_path gd_regret_mc_path(const gd_regret_mc_params *p, gd_regret_case c, const double *x,
                                 struct gd_rng *r, double *excess);

/* The Monte Carlo over p->paths seeded paths: path k draws from the
 * stream (ctx->seed, "claim-regret-unbounded", 0, k), so every case sees
 * the same samples (common random numbers) and the result does not depend
 * on ctx->threads (paths run in blocks of 64 on OpenMP threads, each
 * block's sums in path order, the blocks' in block order). */
typedef struct gd_regret_mc {
    gd_regret_bounds bound;      /* at t = T */
    double mean, se;             /* of the (avg-2) left side over the paths */
    double wmean, wse;           /* of the (avg-3) left side */
    double max_average;          /* the largest single path of (avg-2) ... */
    size_t argmax;               /* ... at this path index */
    size_t exceed;               /* paths whose (avg-2) left side exceeds its bound by more than 1e-9 of it */
    double worst_pathwise;       /* max over paths of (mid1)'s left / right side: <= 1 */
} gd_regret_mc;

/* Runs case c. mean_excess (steps), if not NULL, receives the average over
 * the paths of L(theta_t) - L(theta*). GD_EINVAL with a message naming the
 * field for bad parameters, GD_ENOMEM. */
gd_status gd_regret_mc_run(gd_ctx *ctx, const gd_regret_mc_params *p, gd_regret_case c, gd_regret_mc *out,
                           double *mean_excess);

/* Path k of the Monte Carlo with master seed `seed`, replayed
 * (gd_regret_mc_path on its stream). */
gd_regret_path gd_regret_mc_replay(uint64_t seed, const gd_regret_mc_params *p, gd_regret_case c, size_t k,
                                   double *excess);

/* ---- Steepest descent on the unit sphere, and msign (Su, kexue.fm, 1 Aug:
 * "Steepest descent on manifolds: 1. SGD + hypersphere"; Muon) ----
 *
 * At w (|w| = 1) with gradient g, the tangent part is g_t = g - <g, w> w.
 * The first-order optimum of min <g, d> over unit tangent directions d is
 * phi = -g_t / |g_t|, and the step is the retraction w' = (w + eta phi) /
 * |w + eta phi|, which turns w by atan(eta) towards phi. The exact problem
 * min <g, w'> over |w'| = 1, |w' - w| = eta (eta <= 2) is solved by w* =
 * (1 - eta^2/2) w + eta sqrt(1 - eta^2/4) phi, an angle of 2 asin(eta/2):
 * the retraction turns by less, by 2 asin(eta/2) - atan(eta) ~ (3/8)
 * eta^3. */
typedef struct gd_sphere_step {
    double tangent_err; /* |<phi, w>| */
    double unit_err;    /* max(| |phi| - 1 |, | |w'| - 1 |, | |w*| - 1 |) */
    double angle_retraction, angle_exact; /* the angles from w, by atan2 */
} gd_sphere_step;

/* One step at (w, g), n entries (w normalised inside), into *out; phi,
 * wr (the retraction) and we (the exact optimum), n each, may be NULL.
 * GD_ENOMEM if its workspace cannot be allocated. */
gd_status gd_sphere_step_at(gd_ctx *ctx, const double *w, const double *g, size_t n, double eta,
                            double *phi, double *wr, double *we, gd_sphere_step *out);

/* The singular value decomposition's U V^T of the (r, c) matrix M against
 * gd_newton_schulz with `steps` steps of coef: *err = |X - U V^T|_F /
 * sqrt(min(r, c)), and the range [*smin, *smax] of the singular values of
 * X (LAPACK dgesvd for both), and *map_err, the largest difference between
 * the singular values of X and those of M / (|M|_F + 1e-7) sent through
 * the scalar map s <- a s + b s^3 + c s^5 of each step (both sorted): the
 * iteration acts on each singular value alone, X = U p(S) V^T. GD_ENOMEM
 * or GD_ENUMERIC (no convergence) with a message. */
gd_status gd_msign_error(gd_ctx *ctx, const double *M, size_t r, size_t c, const double *coef, int steps,
                         double *err, double *smin, double *smax, double *map_err);

/* ---- Input- against parameter-gradient penalty (Su, kexue.fm, 11 Dec,
 * from Dherin et al. 2021, "The Geometric Occam's Razor Implicit in Deep
 * Learning", arXiv 2111.15090) ----
 *
 * The engine's MLP (gd_mlp_params: widths n_0 .. n_l, hidden activation
 * g, biases or none) with h^(1) = x, z^(t+1) = W^(t) h^(t) + b^(t),
 * h^(t+1) = g(z^(t+1)) (the identity after the last layer), and f = c .
 * h^(l+1) for a vector c (n_l): every scalar function of the output has
 * such a gradient at a point. With J_t = dh^(t)/dx (J_1 = I), spectral
 * norms ||.||, beta = 1 with biases and 0 without, the claim is
 *   ||grad_x f||^2 sum_t (beta + ||h^(t)||^2) / (||W^(t)||^2 ||J_t||^2) <= ||grad_theta f||^2.
 * Why: P_t = ||grad_{W^(t), b^(t)} f||^2 = (beta + ||h^(t)||^2)
 * ||grad_{z^(t+1)} f||^2, and grad_x f = J_t^T W^(t)T grad_{z^(t+1)} f, so
 * ||grad_x f|| <= ||J_t|| ||W^(t)|| ||grad_{z^(t+1)} f||: the per-layer,
 * undivided form
 *   L_t = ||grad_x f||^2 (beta + ||h^(t)||^2) <= R_t = ||W^(t)||^2 ||J_t||^2 P_t
 * holds for every layer, and summing L_t / (||W^(t)||^2 ||J_t||^2) gives
 * the claim whenever no ||W^(t)|| ||J_t|| is 0. A layer whose units are
 * all dead (ReLU) has J_{t+1} = 0: its successors' terms are 0/0, the
 * undivided form 0 <= 0. Every step is equality for width-one hidden
 * layers (n_1 = .. = n_{l-1} = 1), where the claim is tight.
 *
 * residual (the negative control): every hidden layer t = 2 .. l-1 whose
 * input and output widths agree becomes h^(t+1) = h^(t) + g(z^(t+1)); then
 * grad_{h^(t)} f gains grad_{h^(t+1)} f and the proof's step fails.
 *
 * Spectral norms are LAPACK's singular values (dgesvd), backward stable;
 * at the sizes allowed (widths <= 64, depth <= 16) the relative error of
 * the ratio is below 1e-12, so GD_GP_TOL = 1e-10 separates a violation from
 * rounding. */
#define GD_GP_TOL 1e-10

typedef struct gd_gp_point {
    double ratio;         /* lhs / rhs of the claim; NAN when a term is 0/0 or rhs = 0 */
    double lhs, rhs;
    double layer_margin;  /* min_t (R_t - L_t) / max(R_t, L_t) (0 when both are 0): >= 0 claimed */
    int layer_at;         /* the t (1-based) of layer_margin */
    int zero_terms;       /* layers with ||W^(t)|| ||J_t|| = 0 */
    double gx2;           /* ||grad_x f||^2 */
    double h2[GD_MLP_MAX_LAYERS], Wn[GD_MLP_MAX_LAYERS], Jn[GD_MLP_MAX_LAYERS],
        P[GD_MLP_MAX_LAYERS]; /* per layer t = 1..l (index t-1): ||h^(t)||^2, ||W^(t)||, ||J_t||, P_t */
} gd_gp_point;

/* The claim at (w, x, c) for the network p (w in the engine's layout,
 * gd_mlp_layer). GD_EINVAL (a message naming the problem) on widths above
 * 64 or a residual network without a hidden layer of equal widths;
 * GD_ENOMEM. */
gd_status gd_gp_eval(gd_ctx *ctx, const gd_mlp_params *p, int residual, const double *w, const double *x,
                     const double *c, gd_gp_point *out);

/* The adversarial search for the largest ratio (which = 0) or the
 * smallest undivided margin (which = 1): `starts` random points (weights
 * N(0, s^2 / fan_in) and x, c, biases N(0, s'^2) with s, s' log-uniform in
 * [0.1, 10]; for ReLU, biases shifted so that whole layers can be dead),
 * each refined by GSL's Nelder-Mead simplex (nmsimplex2) over (w, x, c)
 * for up to `iters` iterations. *worst receives the largest ratio (which
 * = 0) or the smallest margin (which = 1), *at the point, w_at (P), x_at
 * (n_0) and c_at (n_l) its location if not NULL, *evals the evaluations,
 * *zero_terms the points met with a 0/0 term. Seeded: stream (seed,
 * "claim-gradpenalty", which, 0). */
gd_status gd_gp_search(gd_ctx *ctx, uint64_t seed, const gd_mlp_params *p, int residual, int which,
                       size_t starts, size_t iters, double *worst, gd_gp_point *at, double *w_at, double *x_at,
                       double *c_at, long *evals, long *zero_terms);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
