/* The multi-layer perceptron object: parameters and validation, the
 * parameter layout, initialisation schemes, the workspace (one per thread,
 * see nn_int.h), the BLAS gemm wrapper (the one place sizes become BLAS
 * ints) and the forward pass.
 * Gradients are in grad.c, Hessian-vector products in hvp.c, per-example
 * Jacobians in jacobian.c, the loss heads in loss.c. */
#include "nn_int.h"
#include "gdlab/rng.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

gd_mlp_params gd_mlp_default_params(void) {
    gd_mlp_params p;
    memset(&p, 0, sizeof p);
    p.n_layers = 2;
    p.width[0] = 1;
    p.width[1] = 16;
    p.width[2] = 1;
    p.act = GD_ACT_TANH;
    p.loss = GD_LOSS_MSE;
    p.init = GD_INIT_TORCH;
    p.init_scale = 1;
    p.bias = 1;
    return p;
}

void gd_nn_gemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
                const double *A, size_t lda, const double *B, size_t ldb,
                double beta, double *C, size_t ldc) {
    GD_ASSERT(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX);
    GD_ASSERT(lda <= INT_MAX && ldb <= INT_MAX && ldc <= INT_MAX);
    if (M == 0 || N == 0) return;
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* a * b, or 0 with *ovf set when the product overflows size_t. */
static size_t mul_sz(size_t a, size_t b, int *ovf) {
    if (a && b > SIZE_MAX / a) {
        *ovf = 1;
        return 0;
    }
    return a * b;
}

static size_t add_sz(size_t a, size_t b, int *ovf) {
    if (b > SIZE_MAX - a) {
        *ovf = 1;
        return 0;
    }
    return a + b;
}

gd_mlp *gd_mlp_new(gd_ctx *ctx, const gd_mlp_params *p, size_t max_batch) {
    GD_ASSERT(p != NULL);
    const size_t L = p->n_layers;
    if (L < 1 || L > GD_MLP_MAX_LAYERS) {
        gd_error(ctx, GD_EINVAL, "mlp: n_layers must be in [1, %d], got %zu",
                 GD_MLP_MAX_LAYERS, L);
        return NULL;
    }
    for (size_t l = 0; l <= L; l++)
        if (p->width[l] < 1 || p->width[l] > INT_MAX) {
            gd_error(ctx, GD_EINVAL, "mlp: width[%zu] must be in [1, %d], got %zu", l,
                     INT_MAX, p->width[l]);
            return NULL;
        }
    if ((unsigned)p->act > GD_ACT_SQUARE) {
        gd_error(ctx, GD_EINVAL, "mlp: unknown activation %d", (int)p->act);
        return NULL;
    }
    if (p->loss != GD_LOSS_MSE && p->loss != GD_LOSS_CE) {
        gd_error(ctx, GD_EINVAL, "mlp: unknown loss %d", (int)p->loss);
        return NULL;
    }
    if (p->init != GD_INIT_TORCH && p->init != GD_INIT_XAVIER && p->init != GD_INIT_HE) {
        gd_error(ctx, GD_EINVAL, "mlp: unknown initialisation %d", (int)p->init);
        return NULL;
    }
    if (p->loss == GD_LOSS_CE && p->width[L] < 2) {
        gd_error(ctx, GD_EINVAL, "mlp: cross-entropy needs n_out >= 2 classes, got n_out = %zu",
                 p->width[L]);
        return NULL;
    }
    if (max_batch < 1 || max_batch > INT_MAX / 2) {
        gd_error(ctx, GD_EINVAL, "mlp: max_batch must be in [1, %d], got %zu", INT_MAX / 2,
                 max_batch);
        return NULL;
    }

    /* Parameter layout and workspace size, checked for overflow. A block
     * holds Bw rows: a part of a batch of max_batch (ceil(B / K(B))), and
     * at least min(B, 2 GD_NN_PART_ROWS), the largest part of any batch
     * of fewer than GD_NN_PARTS GD_NN_PART_ROWS examples; so a batch of at
     * most max_batch examples runs as one block per part. */
    int ovf = 0;
    const size_t B = max_batch, KB = gd_nn_nparts(B);
    size_t Bw = (B + KB - 1) / KB;
    if (Bw < 2 * GD_NN_PART_ROWS) Bw = B < 2 * GD_NN_PART_ROWS ? B : 2 * GD_NN_PART_ROWS;
    const int threads = ctx && ctx->threads > 1 ? ctx->threads : 1;
    const int nws = threads < GD_NN_PARTS ? threads : GD_NN_PARTS;
    size_t P = 0, maxw = 0, per = 0;
    size_t w_off[GD_MLP_MAX_LAYERS + 1] = {0}, b_off[GD_MLP_MAX_LAYERS + 1] = {0};
    for (size_t l = 1; l <= L; l++) {
        size_t nl = p->width[l];
        w_off[l] = P;
        P = add_sz(P, mul_sz(nl, p->width[l - 1], &ovf), &ovf);
        b_off[l] = p->bias ? P : SIZE_MAX;
        if (p->bias) P = add_sz(P, nl, &ovf);
        if (nl > maxw) maxw = nl;
        size_t rows = l < L ? 6 * Bw : 2 * Bw; /* Z, H stacked with tangents; D1, D2 */
        per = add_sz(per, mul_sz(rows, nl, &ovf), &ovf);
    }
    per = add_sz(per, mul_sz(4 * Bw, maxw, &ovf), &ovf);
    per = add_sz(per, mul_sz(Bw, p->width[L], &ovf), &ovf);
    size_t nwork = add_sz(mul_sz((size_t)nws, per, &ovf),
                          mul_sz(GD_NN_PARTS - 1, P, &ovf), &ovf);
    mul_sz(nwork, sizeof(double), &ovf);
    if (ovf) {
        gd_error(ctx, GD_EINVAL, "mlp: network too large for this machine's address space");
        return NULL;
    }

    gd_mlp *m = gd_calloc(1, sizeof *m);
    if (!m) {
        gd_error(ctx, GD_ENOMEM, "mlp: out of memory");
        return NULL;
    }
    m->L = L;
    memcpy(m->width, p->width, sizeof m->width);
    memcpy(m->w_off, w_off, sizeof w_off);
    memcpy(m->b_off, b_off, sizeof b_off);
    m->P = P;
    m->maxw = maxw;
    m->B = B;
    m->Bw = Bw;
    m->threads = threads;
    m->nws = nws;
    m->act = p->act;
    m->loss = p->loss;
    m->init = p->init;
    m->init_scale = p->init_scale;
    m->bias = p->bias ? 1 : 0;
    m->at = gd_nn_act_type(p->act);
    m->work = gd_malloc(nwork * sizeof(double));
    if (!m->work) {
        gd_mlp_free(m);
        gd_error(ctx, GD_ENOMEM, "mlp: out of memory for the workspace (%zu doubles)", nwork);
        return NULL;
    }
    double *q = m->work;
    for (int t = 0; t < nws; t++) {
        gd_nn_ws *ws = &m->ws[t];
        for (size_t l = 1; l <= L; l++) {
            size_t nl = p->width[l];
            ws->Z[l] = q, q += 2 * Bw * nl;
            if (l < L) {
                ws->H[l] = q, q += 2 * Bw * nl;
                ws->D1[l] = q, q += Bw * nl;
                ws->D2[l] = q, q += Bw * nl;
            }
        }
        ws->G[0] = q, q += 2 * Bw * maxw;
        ws->G[1] = q, q += 2 * Bw * maxw;
        ws->prob = q, q += Bw * p->width[L];
    }
    m->acc = q, q += (GD_NN_PARTS - 1) * P;
    GD_ASSERT((size_t)(q - m->work) == nwork);
    return m;
}

void gd_mlp_free(gd_mlp *m) {
    if (!m) return;
    gd_free(m->work);
    gd_free(m);
}

size_t gd_mlp_nparams(const gd_mlp *m) {
    GD_ASSERT(m != NULL);
    return m->P;
}

void gd_mlp_layer(const gd_mlp *m, size_t l, size_t *w_off, size_t *rows,
                  size_t *cols, size_t *b_off) {
    GD_ASSERT(m != NULL && l < m->L);
    if (w_off) *w_off = m->w_off[l + 1];
    if (rows) *rows = m->width[l + 1];
    if (cols) *cols = m->width[l];
    if (b_off) *b_off = m->b_off[l + 1];
}

/* PyTorch's nn.Linear default, kaiming_uniform_(a = sqrt(5)), has gain
 * sqrt(2 / (1 + 5)) and bound gain sqrt(3 / fan_in) = 1 / sqrt(fan_in); its
 * bias bound is 1 / sqrt(fan_in) too. Xavier: bound sqrt(6 / (fan_in +
 * fan_out)). He: standard deviation sqrt(2 / fan_in). Draws run in
 * parameter order (W_1 row-major, b_1, W_2, ...) from one stream. */
void gd_mlp_init(const gd_mlp *m, double *w, uint64_t seed) {
    GD_ASSERT(m != NULL && w != NULL);
    gd_rng r;
    gd_rng_stream_init(&r, seed, "mlp-init", 0, 0);
    const double s = m->init_scale;
    for (size_t l = 1; l <= m->L; l++) {
        const size_t fan_in = m->width[l - 1], fan_out = m->width[l];
        const size_t nw = fan_in * fan_out;
        double *W = w + m->w_off[l];
        double wb = 0, bb = 0;
        switch (m->init) {
        case GD_INIT_TORCH:
            wb = bb = 1.0 / sqrt((double)fan_in);
            break;
        case GD_INIT_XAVIER:
            wb = sqrt(6.0 / (double)(fan_in + fan_out));
            break;
        case GD_INIT_HE:
            wb = sqrt(2.0 / (double)fan_in);
            break;
        }
        for (size_t i = 0; i < nw; i++)
            W[i] = s * (m->init == GD_INIT_HE ? wb * gd_rng_normal(&r)
                                              : wb * (2 * gd_rng_uniform(&r) - 1));
        if (m->bias) {
            double *b = w + m->b_off[l];
            for (size_t i = 0; i < fan_out; i++)
                b[i] = bb > 0 ? s * bb * (2 * gd_rng_uniform(&r) - 1) : 0.0;
        }
    }
}

/* Z_l = H_{l-1} W_l^T + 1 b_l^T as one dgemm over the block (bias rows
 * first, then beta = 1), H_l = act(Z_l). */
double *gd_nn_forward(const gd_mlp *m, gd_nn_ws *ws, const double *w, const double *x,
                      size_t b, int d1, int d2, double *out) {
    GD_ASSERT(b <= m->Bw);
    const double *h = x;
    double *z = NULL;
    for (size_t l = 1; l <= m->L; l++) {
        const size_t nl = m->width[l], np = m->width[l - 1];
        z = l == m->L && out ? out : ws->Z[l];
        double beta = 0;
        if (m->bias) {
            const double *bl = w + m->b_off[l];
            for (size_t i = 0; i < b; i++) memcpy(z + i * nl, bl, nl * sizeof *z);
            beta = 1;
        }
        gd_nn_gemm(0, 1, b, nl, np, 1.0, h, np, w + m->w_off[l], np, beta, z, nl);
        if (l < m->L) {
            m->at->eval(b * nl, z, ws->H[l], d1 ? ws->D1[l] : NULL, d2 ? ws->D2[l] : NULL);
            h = ws->H[l];
        }
    }
    return z;
}

typedef struct fwd_arg {
    const double *w, *x;
    double *f;
} fwd_arg;

/* The outputs of one part, block by block. */
static void forward_part(const gd_mlp *m, gd_nn_ws *ws, size_t k, size_t i0, size_t i1,
                         double *acc, void *arg) {
    (void)k, (void)acc;
    const fwd_arg *a = arg;
    const size_t n0 = m->width[0], nL = m->width[m->L];
    for (size_t i = i0; i < i1; i += m->Bw) {
        const size_t b = i1 - i < m->Bw ? i1 - i : m->Bw;
        gd_nn_forward(m, ws, a->w, a->x + i * n0, b, 0, 0, a->f + i * nL);
    }
}

void gd_mlp_forward(gd_mlp *m, const double *w, const double *x, size_t n,
                    double *f) {
    GD_ASSERT(m != NULL && w != NULL && (n == 0 || (x != NULL && f != NULL)));
    if (n == 0) return;
    fwd_arg a = {w, x, f};
    gd_nn_parts_run(m, n, forward_part, &a, NULL);
}
