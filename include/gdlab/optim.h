/* gdlab optim: first-order optimizers as a type table, learning-rate
 * schedules, and mini-batch samplers.
 *
 * The caller owns the loop (set / step / test): compute the gradient, call
 * gd_optim_step with the learning rate of this step (from a schedule), test
 * for convergence or divergence outside. An optimizer allocates its state
 * when made, never in a step.
 *
 * Updates, with g the gradient at w and lr the learning rate:
 *   "gd", "sgd": w -= lr (g + wd w)            (the same rule; stochastic
 *                                               only through the batches)
 *   "momentum":  v = beta v + (g + wd w); w -= lr v          (heavy ball)
 *   "nesterov":  v = beta v + (g + wd w); w -= lr (g + wd w + beta v)
 *   "adam":      g += wd w (coupled L2, as torch.optim.Adam);
 *                m = b1 m + (1-b1) g; s = b2 s + (1-b2) g^2;
 *                w -= lr m_hat / (sqrt(s_hat) + eps), hats = bias-corrected
 *   "adamw":     the same without the L2 term, then w -= lr wd w
 *                (decoupled, as torch.optim.AdamW: applied before the
 *                Adam update, scaled by lr)
 *   "muon":      per matrix block: v = beta v + g; O = NewtonSchulz5(v)
 *                (quintic iteration, coefficients 3.4445, -4.7750, 2.0315,
 *                ns_steps iterations on v/||v||_F); w -= lr sqrt(max(1,
 *                rows/cols)) O; parameters outside matrix blocks (biases)
 *                take the heavy-ball rule
 *   "sphere":    w on the unit sphere: g_t = g - (g.w) w; w = (w - lr g_t)
 *                / ||w - lr g_t|| (tangent projection, then retraction) */
#ifndef GDLAB_OPTIM_H
#define GDLAB_OPTIM_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef struct gd_optim_params {
    double momentum;     /* beta of momentum, nesterov, muon; default 0.9 */
    double beta1, beta2; /* Adam moments; default 0.9, 0.999 */
    double eps;          /* Adam epsilon; default 1e-8 */
    double weight_decay; /* default 0: coupled L2 except in adamw */
    int ns_steps;        /* Muon Newton-Schulz iterations; default 5 */
} gd_optim_params;

gd_optim_params gd_optim_default_params(void);

typedef struct gd_optim gd_optim;

typedef struct gd_optim_type {
    const char *name;    /* "gd", "sgd", "momentum", "nesterov", "adam",
                            "adamw", "muon", "sphere" */
    const char *summary; /* one line */
    size_t nstate;       /* doubles of state per parameter */
    void (*step)(gd_optim *o, double *w, const double *g, double lr);
} gd_optim_type;

/* The table, and lookup by name (NULL if unknown). */
const gd_optim_type *const *gd_optim_types(size_t *n);
const gd_optim_type *gd_optim_find(const char *name);

/* An optimizer of type t for P parameters. NULL with a message in ctx on
 * ENOMEM. */
gd_optim *gd_optim_new(gd_ctx *ctx, const gd_optim_type *t, size_t P,
                       const gd_optim_params *p);
void gd_optim_free(gd_optim *o);

/* Declares the matrix blocks (Muon): block i is the (rows[i], cols[i])
 * row-major matrix at offset off[i]. Others ignore it. Allocates the
 * Newton-Schulz workspace. */
gd_status gd_optim_set_blocks(gd_ctx *ctx, gd_optim *o, size_t nblocks,
                              const size_t *off, const size_t *rows,
                              const size_t *cols);

/* One step in place: w (P) updated from gradient g (P) with rate lr. */
void gd_optim_step(gd_optim *o, double *w, const double *g, double lr);
/* Steps taken so far. */
long gd_optim_nsteps(const gd_optim *o);

/* The Newton-Schulz orthogonalisation behind Muon, usable alone: X_0 =
 * v / (||v||_F + 1e-7) for the (r, c) row-major v, then `steps`
 * iterations X <- a X + (b A + c A^2) X, A = X X^T (or the transposed
 * form X <- a X + X (b A + c A^2), A = X^T X, when r > c), with (a, b, c)
 * = coef[3k .. 3k+2] at step k. ws holds 2 r c + 2 min(r, c)^2 doubles;
 * returns the part of ws that holds the result (r, c). */
const double *gd_newton_schulz(const double *v, size_t r, size_t c, const double *coef, int steps,
                               double *ws);

/* Adam and AdamW: the diagonal preconditioner of the last step, pinv (P)
 * = 1 / (sqrt(s_hat) + eps), so the update was -lr pinv m_hat; the
 * preconditioned sharpness is the top eigenvalue of
 * diag(pinv)^1/2 H diag(pinv)^1/2. GD_EINVAL for other types or before the
 * first step. */
gd_status gd_optim_precond(const gd_optim *o, double *pinv);

/* ---- Learning-rate schedules ---- */

typedef enum gd_sched_kind {
    GD_SCHED_CONSTANT = 0,
    GD_SCHED_STEP,     /* lr gamma^floor(t / every) */
    GD_SCHED_COSINE,   /* lr_min + (lr - lr_min)(1 + cos(pi t / total))/2 */
    GD_SCHED_WARMUP,   /* linear from lr/warmup to lr over warmup steps, then constant */
    GD_SCHED_WSD,      /* warmup, stable, then linear decay to lr_min over the last
                          decay_frac of total */
    GD_SCHED_INVSQRT   /* lr / sqrt(1 + t / every) */
} gd_sched_kind;

typedef struct gd_schedule {
    gd_sched_kind kind;
    double lr;          /* base learning rate */
    double lr_min;      /* floor for cosine and wsd; default 0 */
    long total;         /* total steps (cosine, wsd) */
    long warmup;        /* warm-up steps (warmup, wsd) */
    long every;         /* step period (step, invsqrt) */
    double gamma;       /* factor of step; default 0.1 */
    double decay_frac;  /* wsd decay fraction; default 0.2 */
} gd_schedule;

/* Parses "constant", "step:EVERY:GAMMA", "cosine", "warmup:STEPS",
 * "wsd:WARMUP:DECAY_FRAC", "invsqrt:EVERY" into s (lr and total given).
 * GD_EINVAL with a message naming what was expected. */
gd_status gd_schedule_parse(gd_ctx *ctx, const char *spec, double lr,
                            long total, gd_schedule *s);
/* The learning rate at step t (0-based). */
double gd_schedule_lr(const gd_schedule *s, long t);

/* ---- Mini-batch sampling ---- */

typedef struct gd_sampler gd_sampler;

/* Batches of b indices from 0..n-1: with replacement (independent uniform
 * draws) or without (a fresh random permutation each epoch, consumed in
 * order; an epoch's last partial batch is completed from the next epoch).
 * Random numbers from the stream (seed, experiment, 0, 0). */
gd_sampler *gd_sampler_new(gd_ctx *ctx, size_t n, size_t b, int replace,
                           uint64_t seed, const char *experiment);
void gd_sampler_free(gd_sampler *s);
/* The next batch: b indices, owned by s, valid until the next call. */
const size_t *gd_sampler_next(gd_sampler *s);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
