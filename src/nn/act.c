/* Activations: the type table (name and an array kernel giving value, first
 * and second derivative), and the name <-> enum maps. The second derivative
 * is what the R-operator's backward pass needs (hvp.c). Piecewise-linear
 * activations take the derivative of the piece x > 0 at their kink only for
 * x > 0 strictly: at x = 0 relu has derivative 0, leaky relu 0.01. */
#include "nn_int.h"

#include <math.h>
#include <string.h>

/* Defines eval_NAME: for each z, the statement block given after the name
 * (variadic, so that it may hold commas) sets v, d, dd (value, first and
 * second derivative) from z; only the requested outputs are stored. */
#define ACT_KERNEL(NAME, ...)                                                    \
    static void eval_##NAME(size_t n, const double *zs, double *f, double *d1,    \
                            double *d2) {                                         \
        for (size_t i = 0; i < n; i++) {                                          \
            const double z = zs[i];                                               \
            double v, d, dd;                                                      \
            __VA_ARGS__                                                           \
            if (f) f[i] = v;                                                      \
            if (d1) d1[i] = d;                                                    \
            if (d2) d2[i] = dd;                                                   \
        }                                                                         \
    }

/* The logistic function without overflow: exp of a non-positive number. */
static inline double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

ACT_KERNEL(identity, { v = z; d = 1; dd = 0; })
ACT_KERNEL(relu, {
    v = z > 0 ? z : 0;
    d = z > 0 ? 1 : 0;
    dd = 0;
})
ACT_KERNEL(leaky_relu, {
    v = z > 0 ? z : 0.01 * z;
    d = z > 0 ? 1 : 0.01;
    dd = 0;
})
/* tanh(z), 1 ulp: Cephes' rational z + z s P(s)/Q(s), s = z^2, below
 * |z| = 0.625 (where 1 - 2/(e^2|z| + 1) would cancel), and that formula
 * above (exp(2|z|) = inf gives exactly +-1; NaN stays NaN). Inlined here
 * because libm's tanh goes through expm1 and took a third of an MLP
 * gradient's time; exp is the fast path of glibc's libm. Coefficients:
 * Cephes tanh.c (S. L. Moshier), as in Go's math/tanh.go. */
static inline double tanh_fast(double z) {
    const double a = fabs(z);
    if (a < 0.625) {
        const double s = z * z;
        const double p = (-9.64399179425052238628e-1 * s - 9.92877231001918586564e1) * s -
                         1.61468768441708447952e3;
        const double q = ((s + 1.12811678491632931402e2) * s + 2.23548839060100448583e3) * s +
                         4.84406305325125486048e3;
        return z + z * s * (p / q);
    }
    return copysign(1 - 2 / (exp(2 * a) + 1), z);
}

/* tanh' = 1 - t^2, tanh'' = -2 t (1 - t^2). */
ACT_KERNEL(tanh, {
    v = tanh_fast(z);
    d = 1 - v * v;
    dd = -2 * v * d;
})
/* Exact GELU z Phi(z): d/dz = Phi + z phi, d2/dz2 = 2 phi + z phi' =
 * (2 - z^2) phi, with phi' = -z phi. */
ACT_KERNEL(gelu, {
    const double Phi = 0.5 * erfc(-z * 0.70710678118654752440);
    const double phi = 0.39894228040143267794 * exp(-0.5 * z * z);
    v = z * Phi;
    d = Phi + z * phi;
    dd = (2 - z * z) * phi;
})
/* softplus log(1 + e^z) = max(z, 0) + log1p(e^-|z|); ' = s, '' = s (1 - s). */
ACT_KERNEL(softplus, {
    const double s = sigmoid(z);
    v = (z > 0 ? z : 0) + log1p(exp(-fabs(z)));
    d = s;
    dd = s * (1 - s);
})
/* swish z s: ' = s + z s (1 - s), '' = s (1 - s) (2 + z (1 - 2 s)). */
ACT_KERNEL(swish, {
    const double s = sigmoid(z), q = s * (1 - s);
    v = z * s;
    d = s + z * q;
    dd = q * (2 + z * (1 - 2 * s));
})
ACT_KERNEL(square, { v = z * z; d = 2 * z; dd = 2; })

/* Indexed by gd_act, in the enum's order. */
static const gd_act_type act_types[] = {
    {"identity", eval_identity}, {"relu", eval_relu}, {"leaky_relu", eval_leaky_relu},
    {"tanh", eval_tanh},         {"gelu", eval_gelu}, {"softplus", eval_softplus},
    {"swish", eval_swish},       {"square", eval_square},
};
#define N_ACT (sizeof act_types / sizeof *act_types)

const gd_act_type *gd_nn_act_type(gd_act a) {
    GD_ASSERT((size_t)a < N_ACT);
    return &act_types[a];
}

void gd_act_eval(gd_act a, size_t n, const double *z, double *f, double *d1) {
    gd_nn_act_type(a)->eval(n, z, f, d1, NULL);
}

int gd_act_from_name(const char *name) {
    if (!name) return -1;
    for (size_t i = 0; i < N_ACT; i++)
        if (strcmp(name, act_types[i].name) == 0) return (int)i;
    if (strcmp(name, "leaky-relu") == 0) return GD_ACT_LEAKY_RELU;
    if (strcmp(name, "x^2") == 0) return GD_ACT_SQUARE;
    return -1;
}

const char *gd_act_name(gd_act a) {
    return (size_t)a < N_ACT ? act_types[a].name : "unknown";
}
