/* The experiment registry: a static table, in the order `gdlab list` and
 * `gdlab reproduce` use. Adding an experiment is a file and a line here. */
#include "gdlab/experiment.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

extern const gd_experiment gd_exp_sgd_1d, gd_exp_sgd_zipf, gd_exp_sgd_zipf_exponents,
    gd_exp_sgd_diag, gd_exp_eos, gd_exp_eos_momentum, gd_exp_eos_adam, gd_exp_stability,
    gd_exp_regimes, gd_exp_modified_flow, gd_exp_balancing, gd_exp_multiscale, gd_exp_orbit,
    gd_exp_orbit_diagram, gd_exp_lyapunov, gd_exp_basins, gd_exp_modadd, gd_exp_modadd_gromov, gd_exp_rope_base,
    gd_exp_claim_probability, gd_exp_claim_cosine, gd_exp_claim_logsumexp,
    gd_exp_claim_regret, gd_exp_claim_sphere, gd_exp_claim_rope, gd_exp_claim_gradpenalty, gd_exp_fit, gd_exp_chinchilla_fit;

static const gd_experiment *const registry[] = {
    &gd_exp_sgd_1d, &gd_exp_sgd_zipf, &gd_exp_sgd_zipf_exponents, &gd_exp_sgd_diag,
    &gd_exp_eos,    &gd_exp_eos_momentum, &gd_exp_eos_adam, &gd_exp_stability,
    &gd_exp_regimes, &gd_exp_modified_flow, &gd_exp_balancing, &gd_exp_multiscale,
    &gd_exp_orbit, &gd_exp_orbit_diagram, &gd_exp_lyapunov, &gd_exp_basins,
    &gd_exp_modadd, &gd_exp_modadd_gromov, &gd_exp_rope_base,
    &gd_exp_claim_probability, &gd_exp_claim_cosine, &gd_exp_claim_logsumexp,
    &gd_exp_claim_regret, &gd_exp_claim_sphere, &gd_exp_claim_rope, &gd_exp_claim_gradpenalty, &gd_exp_fit, &gd_exp_chinchilla_fit};

const gd_experiment *const *gd_experiment_list(size_t *n) {
    *n = sizeof registry / sizeof *registry;
    return registry;
}

const gd_experiment *gd_experiment_find(const char *name) {
    for (size_t i = 0; i < sizeof registry / sizeof *registry; i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

gd_status gd_experiment_run(const gd_experiment *e, const gd_params *p,
                            gd_ctx *ctx, gd_result *r) {
    for (size_t i = 0; i < p->n; i++) {
        const gd_param_value *v = &p->v[i];
        int num = p->spec[i].kind != GD_PARAM_STRING && !v->is_opt;
        gd_status st = gd_result_param_add(r, p->spec[i].name, v->s, v->x, num);
        if (st != GD_OK) return gd_error(ctx, st, "out of memory");
    }
    ctx->err[0] = '\0';
    ctx->status = GD_OK;
    double t0 = gd_now();
    /* The same numbers for any thread count (DESIGN.md): with the calling
     * thread's OpenMP thread count at 1, the OpenMP build of OpenBLAS runs
     * every BLAS and LAPACK call on this thread (how a call is split over
     * threads changes its rounding: dgemv, the eigensolvers). Every
     * parallel region of the library names its own thread count
     * (num_threads(ctx->threads)), so the experiments' own threads are
     * unaffected. Restored after the run. */
    const int omp_saved = omp_get_max_threads();
    omp_set_num_threads(1);
    gd_status st = e->run(p, ctx, r);
    omp_set_num_threads(omp_saved);
    r->elapsed_s = gd_now() - t0;
    /* A failure always carries a message that agrees with its status: an
     * allocation failure whose caller passed the status up without one (or
     * after an earlier message of another kind) says "out of memory". */
    if (st != GD_OK && (!ctx->err[0] || ctx->status != st))
        gd_error(ctx, st, "%s: %s", e->name, gd_status_name(st));
    return st;
}
