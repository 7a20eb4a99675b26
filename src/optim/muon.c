/* Muon (Jordan et al. 2024, "Muon: an optimizer for hidden layers"):
 * momentum on each declared matrix block, orthogonalised by a quintic
 * Newton-Schulz iteration before it is applied. For a (rows, cols) block
 * with gradient g (coupled L2: g + wd w) and buffer v (state 0):
 *   v = beta v + g
 *   X_0 = v / (||v||_F + 1e-7)
 *   X_{k+1} = a X_k + (b A_k + c A_k^2) X_k,  A_k = X_k X_k^T,
 *             (a, b, c) = (3.4445, -4.7750, 2.0315), ns_steps times
 *   w -= lr sqrt(max(1, rows / cols)) X
 * The plain buffer v is orthogonalised (the header's rule), not the
 * Nesterov look-ahead g + beta v of the reference implementation.
 *
 * Why it works: with X_0 = U S V^T, every X_k = U p_k(S) V^T where p is
 * the scalar quintic p(s) = a s + b s^3 + c s^5 iterated, so the iteration
 * maps each singular value through p and keeps the singular vectors. The
 * coefficients make p steep at 0 (slope 3.4445) at the cost of not
 * converging to 1: after five steps every singular value that started
 * above 1.5e-3 of the Frobenius norm lies in [0.6798, 1.2024] (computed by
 * claim-sphere on the scalar map). The update is
 * thus about U V^T, the nearest semi-orthogonal matrix.
 *
 * When rows > cols the reference works on the transpose so that A is the
 * smaller (cols, cols) Gram matrix. Here that is done without copying:
 * the iteration on Z = X^T is Z' = a Z + (b A + c A^2) Z with A = Z Z^T =
 * X^T X, and transposing it (A is symmetric) gives X' = a X + X (b A +
 * c A^2): the same matrices, computed from X in place.
 *
 * Parameters outside the blocks (biases, or everything when no blocks
 * were declared) take the heavy-ball rule. All products are cblas_dgemm on
 * a workspace allocated by gd_optim_set_blocks; a step allocates nothing. */
#include "optim/optim_int.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS_A 3.4445
#define NS_B (-4.7750)
#define NS_C 2.0315

/* The one conversion of a size to a BLAS int; gd_optim_set_blocks has
 * already refused blocks whose sides exceed INT_MAX. */
static int blas_int(size_t n) {
    GD_ASSERT(n <= (size_t)INT_MAX);
    return (int)n;
}

static int block_cmp(const void *a, const void *b) {
    const gd_optim_block *x = a, *y = b;
    return (x->off > y->off) - (x->off < y->off);
}

/* Validates and stores the blocks sorted by offset, and allocates the
 * Newton-Schulz workspace for the largest of them. On any error the
 * previous blocks stay in place. Types other than muon ignore the call. */
gd_status gd_optim_set_blocks(gd_ctx *ctx, gd_optim *o, size_t nblocks,
                              const size_t *off, const size_t *rows,
                              const size_t *cols) {
    GD_ASSERT(o != NULL);
    GD_ASSERT(nblocks == 0 || (off != NULL && rows != NULL && cols != NULL));
    if (o->type != &gd_optim_type_muon) return GD_OK;
    size_t ws_mat = 0, ws_sq = 0;
    for (size_t i = 0; i < nblocks; i++) {
        size_t r = rows[i], c = cols[i];
        if (r == 0 || c == 0)
            return gd_error(ctx, GD_EINVAL, "muon block %zu: expected rows and cols >= 1, "
                            "got (%zu, %zu)", i, r, c);
        if (r > (size_t)INT_MAX || c > (size_t)INT_MAX || r > SIZE_MAX / sizeof(double) / c)
            return gd_error(ctx, GD_EINVAL, "muon block %zu: (%zu, %zu) is too large "
                            "(expected sides <= %d)", i, r, c, INT_MAX);
        if (off[i] > o->P || r * c > o->P - off[i])
            return gd_error(ctx, GD_EINVAL, "muon block %zu: (%zu, %zu) at offset %zu "
                            "runs past the %zu parameters", i, r, c, off[i], o->P);
        size_t m = r < c ? r : c;
        if (r * c > ws_mat) ws_mat = r * c;
        if (m * m > ws_sq) ws_sq = m * m;
    }
    gd_optim_block *blocks = gd_malloc(nblocks * sizeof *blocks);
    if (!blocks) return gd_error(ctx, GD_ENOMEM, "muon: out of memory for %zu blocks", nblocks);
    for (size_t i = 0; i < nblocks; i++)
        blocks[i] = (gd_optim_block){off[i], rows[i], cols[i]};
    if (nblocks > 1) qsort(blocks, nblocks, sizeof *blocks, block_cmp);
    for (size_t i = 0; i + 1 < nblocks; i++)
        if (blocks[i].off + blocks[i].rows * blocks[i].cols > blocks[i + 1].off) {
            gd_status st = gd_error(ctx, GD_EINVAL, "muon blocks at offsets %zu and %zu "
                                    "overlap: expected disjoint blocks",
                                    blocks[i].off, blocks[i + 1].off);
            gd_free(blocks);
            return st;
        }
    /* X, Y: ws_mat each; A, B: ws_sq <= ws_mat each, so 4 ws_mat bounds
     * the total, and ws_mat <= SIZE_MAX / sizeof(double) was checked. */
    double *ws = NULL;
    if (nblocks) {
        if (ws_mat > SIZE_MAX / sizeof(double) / 4) {
            gd_free(blocks);
            return gd_error(ctx, GD_EINVAL, "muon: a block of %zu entries is too large", ws_mat);
        }
        ws = gd_malloc((2 * ws_mat + 2 * ws_sq) * sizeof *ws);
        if (!ws) {
            gd_free(blocks);
            return gd_error(ctx, GD_ENOMEM, "muon: out of memory for the Newton-Schulz "
                            "workspace (%zu doubles)", 2 * ws_mat + 2 * ws_sq);
        }
    }
    gd_free(o->blocks);
    gd_free(o->ws);
    o->blocks = blocks;
    o->nblocks = nblocks;
    o->ws = ws;
    o->ws_mat = ws_mat;
    o->ws_sq = ws_sq;
    return GD_OK;
}

const double *gd_newton_schulz(const double *v, size_t r, size_t c, const double *coef, int steps,
                               double *ws) {
    GD_ASSERT(v != NULL && ws != NULL && r >= 1 && c >= 1 && (steps == 0 || coef != NULL));
    const size_t rc = r * c;
    const int R = blas_int(r), C = blas_int(c);
    const int wide = r <= c;    /* A = X X^T (r, r), else A = X^T X (c, c) */
    const int M = wide ? R : C;
    const size_t mm = (size_t)M * (size_t)M;
    double *X = ws, *Y = ws + rc, *A = ws + 2 * rc, *B = A + mm;
    double n2 = 0;
    for (size_t i = 0; i < rc; i++) n2 += v[i] * v[i];
    const double scale = 1.0 / (sqrt(n2) + 1e-7);
    for (size_t i = 0; i < rc; i++) X[i] = v[i] * scale;
    for (int k = 0; k < steps; k++) {
        const double ca = coef[3 * k], cb = coef[3 * k + 1], cc = coef[3 * k + 2];
        if (wide)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, R, C, 1.0, X, C, X, C,
                        0.0, A, R);
        else
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, C, R, 1.0, X, C, X, C,
                        0.0, A, C);
        /* B = b A + c A A */
        memcpy(B, A, mm * sizeof *B);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, M, M, cc, A, M, A, M, cb, B, M);
        /* Y = a X + B X (wide) or a X + X B (tall) */
        memcpy(Y, X, rc * sizeof *Y);
        if (wide)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, C, R, 1.0, B, R, X, C,
                        ca, Y, C);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, C, C, 1.0, X, C, B, C,
                        ca, Y, C);
        double *tmp = X;
        X = Y;
        Y = tmp;
    }
    return X;
}

static void muon_step(gd_optim *o, double *w, const double *g, double lr) {
    const double beta = o->p.momentum, wd = o->p.weight_decay;
    size_t next = 0; /* first parameter not yet updated */
    for (size_t k = 0; k < o->nblocks; k++) {
        const gd_optim_block *b = &o->blocks[k];
        const size_t rc = b->rows * b->cols;
        gd_optim_heavy_ball_range(o, w, g, lr, next, b->off);
        double *v = o->state + b->off, *wb = w + b->off;
        const double *gb = g + b->off;
        for (size_t i = 0; i < rc; i++) v[i] = beta * v[i] + (gb[i] + wd * wb[i]);
        double coef[3 * 64];
        const int steps = o->p.ns_steps; /* <= 64, checked at gd_optim_new */
        for (int s2 = 0; s2 < steps; s2++) coef[3 * s2] = NS_A, coef[3 * s2 + 1] = NS_B, coef[3 * s2 + 2] = NS_C;
        const double *X = gd_newton_schulz(v, b->rows, b->cols, coef, steps, o->ws);
        const double s = lr * sqrt(fmax(1.0, (double)b->rows / (double)b->cols));
        for (size_t i = 0; i < rc; i++) wb[i] -= s * X[i];
        next = b->off + rc;
    }
    gd_optim_heavy_ball_range(o, w, g, lr, next, o->P);
}

const gd_optim_type gd_optim_type_muon = {
    "muon", "momentum orthogonalised by Newton-Schulz on matrix blocks (heavy ball elsewhere)",
    1, muon_step};
