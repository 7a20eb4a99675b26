/* Momentum in two forms, with coupled L2 weight decay d = g + wd w and the
 * buffer v (state 0, starting at 0):
 *   heavy ball (Polyak): v = beta v + d; w -= lr v
 *   Nesterov (torch.optim.SGD with nesterov=True):
 *                        v = beta v + d; w -= lr (d + beta v)
 * Nesterov takes the look-ahead d + beta v, so on the first step (v = d)
 * it moves (1 + beta) times as far as heavy ball; on a quadratic of
 * curvature h its step is stable for lr h < (2 + 2 beta) / (1 + 2 beta)
 * against (2 + 2 beta) for heavy ball. */
#include "optim/optim_int.h"

void gd_optim_heavy_ball_range(gd_optim *o, double *w, const double *g,
                               double lr, size_t i0, size_t i1) {
    const double beta = o->p.momentum, wd = o->p.weight_decay;
    double *v = o->state;
    for (size_t i = i0; i < i1; i++) {
        v[i] = beta * v[i] + (g[i] + wd * w[i]);
        w[i] -= lr * v[i];
    }
}

static void heavy_ball_step(gd_optim *o, double *w, const double *g, double lr) {
    gd_optim_heavy_ball_range(o, w, g, lr, 0, o->P);
}

static void nesterov_step(gd_optim *o, double *w, const double *g, double lr) {
    const double beta = o->p.momentum, wd = o->p.weight_decay;
    double *v = o->state;
    for (size_t i = 0; i < o->P; i++) {
        double d = g[i] + wd * w[i];
        v[i] = beta * v[i] + d;
        w[i] -= lr * (d + beta * v[i]);
    }
}

const gd_optim_type gd_optim_type_momentum = {
    "momentum", "heavy ball: v = beta v + g; w -= lr v", 1, heavy_ball_step};

const gd_optim_type gd_optim_type_nesterov = {
    "nesterov", "Nesterov momentum: v = beta v + g; w -= lr (g + beta v)", 1, nesterov_step};
