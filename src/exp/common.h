/* Helpers shared by the experiments (internal, not installed). */
#ifndef GDLAB_EXP_COMMON_H
#define GDLAB_EXP_COMMON_H

#include "gdlab/experiment.h"
#include "gdlab/expr.h"
#include "gdlab/nn.h"

/* Up to `max` distinct whole steps from 0 to T, roughly log-spaced, always
 * including 0 and T, ascending. Returns how many were written. */
size_t gd_exp_checkpoints(long T, size_t max, long *out);

/* A quantity q(eta, T) computed exactly by gdlab. */
typedef double (*gd_exp_quantity)(double eta, double T, void *data);

/* Checks a candidate closed form `expr_src` in the variables eta and T
 * against q on the grid etas x Ts: the claim is confirmed when the largest
 * relative error is <= tol, refuted otherwise with the worst point as
 * evidence. A parse error is returned as GD_EINVAL (message in ctx). */
gd_status gd_exp_claim_formula(gd_ctx *ctx, gd_result *r, const char *id,
                               const char *source, const char *statement,
                               const char *expr_src, gd_exp_quantity q,
                               void *data, const double *etas, size_t neta,
                               const double *Ts, size_t nT, double tol);

/* Parses "16,32,8": up to max whole numbers in [1, 1e6]; returns how many,
 * or -1 when malformed or longer than max. "" gives 0. */
int gd_exp_parse_sizes(const char *s, size_t *out, int max);

/* Parses "0.5,1e4,2": up to max finite numbers > 0; returns how many, or -1
 * when malformed, not positive, or longer than max. "" gives 0. */
int gd_exp_parse_reals(const char *s, double *out, int max);

/* Parses "f:b,f:b,...", up to max pairs of a learning-rate factor f
 * (finite, > 0) and a whole batch size b in [1, m], into fe and fb;
 * returns how many, or -1 when malformed or longer than max. "" gives 0. */
int gd_exp_parse_flat_runs(const char *s, size_t m, double *fe, size_t *fb, int max);

/* Parses "2-3-3-1,4-8-1": architectures (widths in [1, 64], 2 to
 * GD_MLP_MAX_LAYERS + 1 of them) into out[0, max), as n_layers and width
 * over gd_mlp_default_params. Returns how many parsed; every malformed
 * entry, and a list longer than max, is appended to bad (len) as
 * "; --archs: ..." (gd_exp_addf). */
int gd_exp_parse_archs(const char *s, gd_mlp_params *out, int max, char *bad, size_t len);

/* qsort comparison of doubles, ascending. */
int gd_exp_cmp_double(const void *a, const void *b);

/* Parses a number ("0.5": lo = hi, count 1) or a range "lo:hi:count"
 * (count values lo + (hi - lo) i / (count - 1), lo < hi, 2 <= count <=
 * max_count). GD_EINVAL names `what` (e.g. "--eta"). */
gd_status gd_exp_parse_range(gd_ctx *ctx, const char *s, const char *what, size_t max_count,
                             double *lo, double *hi, size_t *count);

/* Appends printf-style text to the string buf of size len (truncating). */
void gd_exp_addf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Value i (0 <= i < count) of a range parsed by gd_exp_parse_range:
 * lo + (hi - lo) i / (count - 1), or lo (hi / lo)^(i / (count - 1)) when
 * logspaced (lo > 0); lo when count is 1. */
double gd_exp_range_at(double lo, double hi, size_t count, size_t i, int logspaced);

/* Least-squares slope of y against x. */
double gd_exp_slope(const double *x, const double *y, size_t n);

/* inf over eta in (0, eta_max] of the exact Zipf-model loss minus its
 * noise floor sigma2/2 (sgd_zipf.c). */
struct gd_zipf;
gd_status gd_exp_zipf_optimum(gd_ctx *ctx, const struct gd_zipf *z, double N,
                              double T, double eta_max, double *eta,
                              double *excess);

/* Trains the scalar-output network net from w (P, updated in place) to
 * interpolate (x (m, n_in), y (m)) by Levenberg-Marquardt in the Gram form
 * (interp.c), until the loss (1/2m) sum (f - y)^2 <= tol or max_iter
 * iterations or no step decreases the loss. *loss and *iters receive the
 * final loss and the iterations used; reaching tol is the caller's test. */
struct gd_mlp;
gd_status gd_exp_interpolate(gd_ctx *ctx, struct gd_mlp *net, double *w, const double *x,
                             const double *y, size_t m, double tol, size_t max_iter,
                             double *loss, size_t *iters);

#endif
