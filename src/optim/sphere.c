/* Riemannian gradient descent on the unit sphere ||w|| = 1:
 *   g_t = g - (g.w) w                  (projection on the tangent space)
 *   w   = (w - lr g_t) / ||w - lr g_t|| (retraction by normalisation)
 * The caller starts w on the sphere; every step ends on it to rounding
 * (a few ulp), so the error does not accumulate. Since g_t is orthogonal
 * to w, ||w - lr g_t||^2 = 1 + lr^2 ||g_t||^2 >= 1: no division by zero.
 *
 * Weight decay is ignored: coupled L2 adds wd w, which is radial and is
 * removed exactly by the tangent projection when ||w|| = 1.
 *
 * No state and no workspace: the unnormalised point is computed twice,
 * once for its norm and once to store it, by the same expression. Both
 * reductions run in index order. */
#include "optim/optim_int.h"

#include <math.h>

static void sphere_step(gd_optim *o, double *w, const double *g, double lr) {
    const size_t P = o->P;
    double gw = 0;
    for (size_t i = 0; i < P; i++) gw += g[i] * w[i];
    double n2 = 0;
    for (size_t i = 0; i < P; i++) {
        double u = w[i] - lr * (g[i] - gw * w[i]);
        n2 += u * u;
    }
    const double inv = 1.0 / sqrt(n2);
    for (size_t i = 0; i < P; i++) w[i] = (w[i] - lr * (g[i] - gw * w[i])) * inv;
}

const gd_optim_type gd_optim_type_sphere = {
    "sphere", "gradient descent on the unit sphere: tangent projection, then normalisation",
    0, sphere_step};
