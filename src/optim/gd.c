/* Plain gradient descent with coupled L2 weight decay:
 *   w -= lr (g + wd w).
 * "gd" and "sgd" are the same rule under two names: the update does not
 * know whether g came from the full data set or a mini-batch. */
#include "optim/optim_int.h"

static void gd_step(gd_optim *o, double *w, const double *g, double lr) {
    const double wd = o->p.weight_decay;
    for (size_t i = 0; i < o->P; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

const gd_optim_type gd_optim_type_gd = {
    "gd", "gradient descent: w -= lr (g + wd w)", 0, gd_step};

const gd_optim_type gd_optim_type_sgd = {
    "sgd", "stochastic gradient descent (the gd rule on mini-batch gradients)", 0, gd_step};
