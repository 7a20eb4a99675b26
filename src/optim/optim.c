/* The generic optimizer object: default parameters, the type table and
 * lookup by name, construction (all state allocated here, none in a step),
 * the step driver and Adam's preconditioner accessor. The update rules live
 * one per file (gd.c, momentum.c, adam.c, muon.c, sphere.c); Muon's matrix
 * blocks and Newton-Schulz workspace are declared in muon.c. */
#include "optim/optim_int.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

gd_optim_params gd_optim_default_params(void) {
    gd_optim_params p;
    p.momentum = 0.9;
    p.beta1 = 0.9;
    p.beta2 = 0.999;
    p.eps = 1e-8;
    p.weight_decay = 0.0;
    p.ns_steps = 5;
    return p;
}

/* The table. "gd" and "sgd" are two names of one rule. A persisted name
 * never changes; new optimizers go at the end. */
static const gd_optim_type *const optim_types[] = {
    &gd_optim_type_gd,       &gd_optim_type_sgd,   &gd_optim_type_momentum,
    &gd_optim_type_nesterov, &gd_optim_type_adam,  &gd_optim_type_adamw,
    &gd_optim_type_muon,     &gd_optim_type_sphere,
};

const gd_optim_type *const *gd_optim_types(size_t *n) {
    if (n) *n = sizeof optim_types / sizeof optim_types[0];
    return optim_types;
}

const gd_optim_type *gd_optim_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof optim_types / sizeof optim_types[0]; i++)
        if (strcmp(optim_types[i]->name, name) == 0) return optim_types[i];
    return NULL;
}

/* A message for the first out-of-range parameter, or NULL if all are in
 * range. The ranges are those of torch.optim: betas in [0, 1), eps and
 * weight decay >= 0; every field finite. */
static const char *check_params(const gd_optim_params *p) {
    if (!(isfinite(p->momentum) && p->momentum >= 0 && p->momentum < 1))
        return "momentum: expected a number in [0, 1)";
    if (!(isfinite(p->beta1) && p->beta1 >= 0 && p->beta1 < 1))
        return "beta1: expected a number in [0, 1)";
    if (!(isfinite(p->beta2) && p->beta2 >= 0 && p->beta2 < 1))
        return "beta2: expected a number in [0, 1)";
    if (!(isfinite(p->eps) && p->eps >= 0)) return "eps: expected a finite number >= 0";
    if (!(isfinite(p->weight_decay) && p->weight_decay >= 0))
        return "weight decay: expected a finite number >= 0";
    if (p->ns_steps < 0 || p->ns_steps > 64) return "ns_steps: expected a whole number in [0, 64]";
    return NULL;
}

/* Allocates the object and its (nstate, P) state, zeroed: moments and
 * momentum buffers start at 0 as in torch.optim. p NULL means the defaults.
 * NULL with a message in ctx on ENOMEM, and also on parameters out of range
 * (the message names the parameter and its range). ctx is kept for the
 * messages of gd_optim_precond, so it must outlive o (or be NULL). */
gd_optim *gd_optim_new(gd_ctx *ctx, const gd_optim_type *t, size_t P,
                       const gd_optim_params *p) {
    GD_ASSERT(t != NULL);
    gd_optim_params prm = p ? *p : gd_optim_default_params();
    const char *bad = check_params(&prm);
    if (bad) {
        gd_error(ctx, GD_EINVAL, "optimizer %s: %s", t->name, bad);
        return NULL;
    }
    if (t->nstate && P > SIZE_MAX / sizeof(double) / t->nstate) {
        gd_error(ctx, GD_ENOMEM, "optimizer %s: %zu parameters overflow the state size",
                 t->name, P);
        return NULL;
    }
    gd_optim *o = gd_calloc(1, sizeof *o);
    if (!o) goto nomem;
    o->type = t;
    o->ctx = ctx;
    o->p = prm;
    o->P = P;
    if (t->nstate) {
        o->state = gd_calloc(t->nstate * P, sizeof *o->state);
        if (!o->state) goto nomem;
    }
    return o;
nomem:
    gd_optim_free(o);
    gd_error(ctx, GD_ENOMEM, "optimizer %s: out of memory for %zu parameters", t->name, P);
    return NULL;
}

void gd_optim_free(gd_optim *o) {
    if (!o) return;
    gd_free(o->state);
    gd_free(o->blocks);
    gd_free(o->ws);
    gd_free(o);
}

void gd_optim_step(gd_optim *o, double *w, const double *g, double lr) {
    GD_ASSERT(o != NULL && (o->P == 0 || (w != NULL && g != NULL)));
    o->t++;
    o->type->step(o, w, g, lr);
}

long gd_optim_nsteps(const gd_optim *o) {
    GD_ASSERT(o != NULL);
    return o->t;
}

gd_status gd_optim_precond(const gd_optim *o, double *pinv) {
    GD_ASSERT(o != NULL);
    if (o->type != &gd_optim_type_adam && o->type != &gd_optim_type_adamw)
        return gd_error(o->ctx, GD_EINVAL,
                        "preconditioner: optimizer %s has none (expected adam or adamw)",
                        o->type->name);
    if (o->t < 1)
        return gd_error(o->ctx, GD_EINVAL,
                        "preconditioner: %s has taken no step yet (it is that of the last step)",
                        o->type->name);
    GD_ASSERT(o->P == 0 || pinv != NULL);
    gd_optim_adam_precond(o, pinv);
    return GD_OK;
}
