/* The modadd network: parameters, initialisation, and the loss and its
 * gradient in float32 or float64 (pass.h, included once per type). */
#include "modadd_int.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "gdlab/rng.h"

#define REAL float
#define GEMM cblas_sgemm
#define PASS pass_f32
#define ACT act_f32
#define BLOCK block_f32
#include "pass.h"
#undef REAL
#undef GEMM
#undef PASS
#undef ACT
#undef BLOCK

#define REAL double
#define GEMM cblas_dgemm
#define PASS pass_f64
#define ACT act_f64
#define BLOCK block_f64
#include "pass.h"
#undef REAL
#undef GEMM
#undef PASS
#undef ACT
#undef BLOCK

static const char *const loss_names[] = {"projected-mse", "mse", "ce"};

int gd_modadd_loss_from_name(const char *name) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, loss_names[i])) return i;
    return -1;
}

const char *gd_modadd_loss_name(gd_modadd_loss l) {
    return (unsigned)l < 3 ? loss_names[l] : "unknown";
}

gd_modadd_params gd_modadd_default_params(void) {
    return (gd_modadd_params){.p = 23, .width = 512, .act = GD_ACT_SQUARE,
                              .loss = GD_MODADD_LOSS_PROJECTED_MSE, .float32 = 1,
                              .in_scale = 1, .out_scale = 1};
}

gd_modadd *gd_modadd_new(gd_ctx *ctx, const gd_modadd_params *p, size_t max_block) {
    GD_ASSERT(ctx != NULL && p != NULL);
    if (p->p < 2 || p->p > 4096 || p->width < 1 || p->width > 65536) {
        gd_error(ctx, GD_EINVAL, "modadd: p must be in [2, 4096] and the width in [1, 65536] "
                 "(got p = %zu, width = %zu)", p->p, p->width);
        return NULL;
    }
    if (!(p->in_scale > 0 && p->out_scale > 0 && isfinite(p->in_scale) && isfinite(p->out_scale))) {
        gd_error(ctx, GD_EINVAL, "modadd: the scales must be positive and finite (got in %g, out %g)",
                 p->in_scale, p->out_scale);
        return NULL;
    }
    if ((unsigned)p->loss > GD_MODADD_LOSS_CE || (unsigned)p->act > GD_ACT_SQUARE) {
        gd_error(ctx, GD_EINVAL, "modadd: unknown loss %d or activation %d", (int)p->loss, (int)p->act);
        return NULL;
    }
    gd_modadd *m = gd_calloc(1, sizeof *m);
    if (!m) {
        gd_error(ctx, GD_ENOMEM, "out of memory");
        return NULL;
    }
    const size_t P = p->p, q = p->width, B = max_block ? max_block : 512;
    const int nth = ctx->threads > 0 ? ctx->threads : 1;
    m->p = P, m->q = q, m->P = 3 * P * q, m->B = B, m->threads = nth;
    m->act = p->act, m->loss = p->loss, m->f32 = p->float32 != 0;
    m->s_in = p->in_scale, m->s_out = p->out_scale;
    m->at = gd_nn_act_type(p->act);
    const size_t es = m->f32 ? sizeof(float) : sizeof(double);
    const int scratch = m->f32 && p->act != GD_ACT_SQUARE;
    const size_t shared = (3 + 3 * GD_MODADD_PARTS) * P * q * es;
    const size_t per = (4 * B * q + B * P) * es + (scratch ? 3 * B * q * sizeof(double) : 0);
    m->ws = gd_calloc((size_t)nth, sizeof *m->ws);
    m->work = gd_malloc(shared + (size_t)nth * per);
    if (!m->ws || !m->work) {
        gd_error(ctx, GD_ENOMEM, "out of memory for a modadd network of p = %zu, width %zu", P, q);
        gd_modadd_free(m);
        return NULL;
    }
    char *c = m->work;
    m->U = c, c += P * q * es;
    m->V = c, c += P * q * es;
    m->C = c, c += P * q * es;
    m->part = c, c += 3 * GD_MODADD_PARTS * P * q * es;
    for (int t = 0; t < nth; t++) {
        gd_modadd_ws *ws = &m->ws[t];
        void **views[] = {&ws->H, &ws->S, &ws->D, &ws->G};
        for (size_t i = 0; i < 4; i++) *views[i] = c, c += B * q * es;
        ws->O = c, c += B * P * es;
        if (scratch) {
            ws->Zd = (double *)(void *)c;
            ws->Fd = ws->Zd + B * q;
            ws->Dd = ws->Fd + B * q;
            c += 3 * B * q * sizeof(double);
        }
    }
    return m;
}

void gd_modadd_free(gd_modadd *m) {
    if (!m) return;
    gd_free(m->work);
    gd_free(m->ws);
    gd_free(m);
}

size_t gd_modadd_nparams(const gd_modadd *m) { return m->P; }

void gd_modadd_init(const gd_modadd *m, double *w, uint64_t seed, double scale) {
    GD_ASSERT(m != NULL && w != NULL);
    gd_rng r;
    gd_rng_stream_init(&r, seed, "modadd-init", 0, 0);
    const size_t pq = m->p * m->q;
    const double ba = scale / sqrt((double)m->p), bc = scale / sqrt((double)m->q);
    for (size_t i = 0; i < 3 * pq; i++)
        w[i] = (i < 2 * pq ? ba : bc) * (2 * gd_rng_uniform(&r) - 1);
}

void gd_modadd_init_normal(const gd_modadd *m, double *w, uint64_t seed, double sd) {
    GD_ASSERT(m != NULL && w != NULL);
    gd_rng r;
    gd_rng_stream_init(&r, seed, "modadd-init-normal", 0, 0);
    gd_rng_normals(&r, w, m->P);
    for (size_t i = 0; i < m->P; i++) w[i] *= sd;
}

double gd_modadd_loss_grad(gd_modadd *m, const double *w, const uint32_t *pairs, size_t n,
                           double *grad, double *acc) {
    GD_ASSERT(m != NULL && w != NULL && pairs != NULL && n >= 1);
    return m->f32 ? pass_f32(m, w, pairs, n, grad, acc) : pass_f64(m, w, pairs, n, grad, acc);
}
