/* Adam (Kingma and Ba 2015) and AdamW (Loshchilov and Hutter 2019), step
 * for step as torch.optim.Adam and torch.optim.AdamW. State: the first
 * moment m (state 0) and the second moment s (state 1), both starting at 0.
 * At step t (1-based):
 *   adam:  g += wd w                                (coupled L2)
 *   adamw: w *= 1 - lr wd                           (decoupled, before the
 *                                                    moments, as torch)
 *   m = b1 m + (1 - b1) g;  s = b2 s + (1 - b2) g^2
 *   m_hat = m / (1 - b1^t); s_hat = s / (1 - b2^t)  (bias correction)
 *   w -= lr m_hat / (sqrt(s_hat) + eps)
 * On the first step m_hat = g and s_hat = g^2, so each coordinate moves by
 * lr g / (|g| + eps): about lr, whatever the scale of g. */
#include "optim/optim_int.h"

#include <math.h>

/* The shared update; decoupled selects AdamW. */
static void adam_update(gd_optim *o, double *w, const double *g, double lr, int decoupled) {
    const size_t P = o->P;
    const double b1 = o->p.beta1, b2 = o->p.beta2, eps = o->p.eps, wd = o->p.weight_decay;
    const double bc1 = 1.0 - pow(b1, (double)o->t), bc2 = 1.0 - pow(b2, (double)o->t);
    double *m = o->state, *s = o->state + P;
    for (size_t i = 0; i < P; i++) {
        double gi = g[i];
        if (decoupled) w[i] *= 1.0 - lr * wd;
        else gi += wd * w[i];
        m[i] = b1 * m[i] + (1.0 - b1) * gi;
        s[i] = b2 * s[i] + (1.0 - b2) * gi * gi;
        w[i] -= lr * (m[i] / bc1) / (sqrt(s[i] / bc2) + eps);
    }
}

static void adam_step(gd_optim *o, double *w, const double *g, double lr) {
    adam_update(o, w, g, lr, 0);
}

static void adamw_step(gd_optim *o, double *w, const double *g, double lr) {
    adam_update(o, w, g, lr, 1);
}

void gd_optim_adam_precond(const gd_optim *o, double *pinv) {
    const double bc2 = 1.0 - pow(o->p.beta2, (double)o->t), eps = o->p.eps;
    const double *s = o->state + o->P;
    for (size_t i = 0; i < o->P; i++) pinv[i] = 1.0 / (sqrt(s[i] / bc2) + eps);
}

const gd_optim_type gd_optim_type_adam = {
    "adam", "Adam with coupled L2 (torch.optim.Adam)", 2, adam_step};

const gd_optim_type gd_optim_type_adamw = {
    "adamw", "Adam with decoupled weight decay (torch.optim.AdamW)", 2, adamw_step};
