/* Tests of the network engine (nn.h).
 *
 * For every activation and both losses, on odd sizes (5-7-3-4 nets, batches
 * of 11 with max_batch 4 so that every pass runs in blocks of 4, 4 and 3):
 * the forward pass against a naive per-example reference with its own
 * activation formulas; the gradient against central finite differences of
 * the loss; the Hessian-vector product against central finite differences
 * of the gradient, and against itself without blocking. For tiny nets the
 * dense Hessian built column by column from HVPs is checked for symmetry,
 * linearity (H v = hvp(v)) and against finite differences. Jacobian rows
 * against finite differences of the scalar output and against single-
 * example MSE gradients, (f_i - y_i) J_i. Known answers: a 2-2-1 identity
 * network with hand-computed loss and gradient, and cross-entropy of
 * logits +-1000. Initialisation statistics within 4 standard errors; names;
 * validation errors; allocation failures injected at every allocation.
 *
 * Finite-difference tolerances: steps h = 1e-5 give truncation errors
 * O(h^2 |f'''|) ~ 1e-10 and rounding O(eps |f| / h) ~ 1e-11 on quantities
 * of order one (observed: at most 1e-10 relative), so a relative error
 * (infinity norm) of 1e-8 leaves a margin of 100 and still catches a wrong
 * term a million times smaller than the derivative. Relu and leaky
 * relu are tested where every hidden pre-activation is at least 1e-3 from
 * the kink (checked), far beyond what a step of 1e-5 can cross. */
#include "gdlab/gdlab.h"
#include "gdlab/nn.h"
#include "gdtest.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define MAXP 4096

/* ---- independent reference -------------------------------------------- */

static double ref_act(gd_act a, double z) {
    switch (a) {
    case GD_ACT_IDENTITY: return z;
    case GD_ACT_RELU: return z > 0 ? z : 0;
    case GD_ACT_LEAKY_RELU: return z > 0 ? z : 0.01 * z;
    case GD_ACT_TANH: return tanh(z);
    case GD_ACT_GELU: return 0.5 * z * (1 + erf(z / sqrt(2.0)));
    case GD_ACT_SOFTPLUS: return log1p(exp(z));
    case GD_ACT_SWISH: return z / (1 + exp(-z));
    case GD_ACT_SQUARE: return z * z;
    }
    return GD_NAN;
}

/* Naive forward of one example, loops only, with the layout of nn.h.
 * Returns the smallest |pre-activation| of the hidden layers. */
static double ref_forward(const gd_mlp_params *p, const double *w,
                          const double *x, double *f) {
    double a[64], b[64], minz = INFINITY;
    size_t off = 0;
    memcpy(a, x, p->width[0] * sizeof *a);
    for (size_t l = 1; l <= p->n_layers; l++) {
        size_t nl = p->width[l], np = p->width[l - 1];
        const double *W = w + off, *bl = w + off + nl * np;
        for (size_t r = 0; r < nl; r++) {
            double s = p->bias ? bl[r] : 0;
            for (size_t c = 0; c < np; c++) s += W[r * np + c] * a[c];
            if (l < p->n_layers) {
                if (fabs(s) < minz) minz = fabs(s);
                s = ref_act(p->act, s);
            }
            b[r] = s;
        }
        off += nl * np + (p->bias ? nl : 0);
        memcpy(a, b, nl * sizeof *a);
    }
    memcpy(f, a, p->width[p->n_layers] * sizeof *f);
    return minz;
}

/* ---- helpers ------------------------------------------------------------ */

static gd_mlp_params net_params(gd_act act, gd_loss loss, size_t L,
                                const size_t *widths) {
    gd_mlp_params p = gd_mlp_default_params();
    p.n_layers = L;
    for (size_t l = 0; l <= L; l++) p.width[l] = widths[l];
    p.act = act;
    p.loss = loss;
    return p;
}

/* x (n, d) standard normal; y (n, k) normal targets (MSE) or one-hot rows
 * of uniform classes (CE). */
static void make_data(gd_rng *r, size_t n, size_t d, size_t k, gd_loss loss,
                      double *x, double *y) {
    for (size_t i = 0; i < n * d; i++) x[i] = gd_rng_normal(r);
    for (size_t i = 0; i < n; i++) {
        if (loss == GD_LOSS_MSE) {
            for (size_t c = 0; c < k; c++) y[i * k + c] = gd_rng_normal(r);
        } else {
            size_t cls = (size_t)(gd_rng_uniform(r) * (double)k);
            for (size_t c = 0; c < k; c++) y[i * k + c] = c == cls;
        }
    }
}

static double max_abs(const double *a, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}

static double max_abs_diff(const double *a, const double *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabs(a[i] - b[i]) <= m)) m = fabs(a[i] - b[i]);
    return m;
}

/* PASS iff max |got - want| <= rel * max |want| + abs_tol. */
static int check_vec(const double *got, const double *want, size_t n, double rel,
                     double abs_tol, const char *what) {
    double e = max_abs_diff(got, want, n), s = max_abs(want, n);
    return gdt_check(e <= rel * s + abs_tol, "%s: max |err| %.3g, max |want| %.3g (tol rel %.0e abs %.0e)",
                     what, e, s, rel, abs_tol);
}

/* ---- per-network derivative checks ------------------------------------- */

/* Forward vs reference, gradient vs central differences, HVP vs central
 * differences of the gradient and vs the unblocked HVP, for one network on
 * a batch of n = 11 processed in blocks of 4. */
static void check_net(gd_act act, gd_loss loss, int bias, uint64_t seed) {
    static const size_t widths[] = {5, 7, 3, 4};
    const size_t n = 11, d = 5, k = 4;
    gd_mlp_params p = net_params(act, loss, 3, widths);
    p.bias = bias;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_mlp *m = gd_mlp_new(&ctx, &p, 4), *mbig = gd_mlp_new(&ctx, &p, 64);
    char tag[96];
    snprintf(tag, sizeof tag, "%s/%s%s", gd_act_name(act), loss == GD_LOSS_MSE ? "mse" : "ce",
             bias ? "" : "/nobias");
    if (!gdt_check(m && mbig, "%s: networks built", tag)) return;
    const size_t P = gd_mlp_nparams(m);
    double gfd[MAXP] = {0};
    double w[MAXP], g[MAXP], v[MAXP], hv[MAXP], hv2[MAXP], hfd[MAXP];
    double wp[MAXP], gp[MAXP], gm[MAXP], x[11 * 5], y[11 * 4], f[11 * 4], fr[4];
    gd_mlp_init(m, w, seed);
    /* Relu and leaky relu take the first data set (replica 0, 1, ...) whose
     * hidden pre-activations all stay 1e-3 away from the kink. */
    const int kinked = act == GD_ACT_RELU || act == GD_ACT_LEAKY_RELU;
    gd_rng r;
    double minz = INFINITY;
    for (uint64_t rep = 0; rep < 100; rep++) {
        gd_rng_stream_init(&r, seed, "test-nn-data", 0, rep);
        make_data(&r, n, d, k, loss, x, y);
        minz = INFINITY;
        for (size_t i = 0; i < n; i++) minz = fmin(minz, ref_forward(&p, w, x + i * d, fr));
        if (!kinked || minz >= 1e-3) break;
    }

    /* Forward against the naive reference. */
    gd_mlp_forward(m, w, x, n, f);
    double err = 0;
    for (size_t i = 0; i < n; i++) {
        ref_forward(&p, w, x + i * d, fr);
        double e = max_abs_diff(f + i * k, fr, k) / (1 + max_abs(fr, k));
        if (e > err) err = e;
    }
    gdt_check(err <= 1e-13, "%s: forward (blocks of 4) vs naive reference, rel err %.3g <= 1e-13",
              tag, err);
    if (kinked)
        gdt_check(minz >= 1e-3, "%s: hidden pre-activations away from the kink, min |z| %.3g >= 1e-3",
                  tag, minz);

    /* Loss against the reference outputs. */
    double Lref = 0;
    for (size_t i = 0; i < n; i++) {
        const double *fi = f + i * k, *yi = y + i * k;
        if (loss == GD_LOSS_MSE) {
            for (size_t c = 0; c < k; c++) Lref += 0.5 * (fi[c] - yi[c]) * (fi[c] - yi[c]);
        } else {
            double se = 0, fy = 0;
            for (size_t c = 0; c < k; c++) se += exp(fi[c]), fy += yi[c] * fi[c];
            Lref += log(se) - fy;
        }
    }
    Lref /= (double)n;
    double acc;
    double L = gd_mlp_loss_grad(m, w, x, y, n, g, &acc);
    char what[160];
    snprintf(what, sizeof what, "%s: loss vs reference from outputs", tag);
    gdt_close(L, Lref, 1e-13, 1e-15, what);
    gdt_close(gd_mlp_loss_grad(m, w, x, y, n, NULL, NULL), L, 0, 0,
              "loss without gradient equals loss with it");

    /* Gradient vs central differences. */
    const double h = 1e-5;
    memcpy(wp, w, P * sizeof *w);
    for (size_t j = 0; j < P; j++) {
        wp[j] = w[j] + h;
        double Lp = gd_mlp_loss_grad(m, wp, x, y, n, NULL, NULL);
        wp[j] = w[j] - h;
        double Lm = gd_mlp_loss_grad(m, wp, x, y, n, NULL, NULL);
        wp[j] = w[j];
        gfd[j] = (Lp - Lm) / (2 * h);
    }
    snprintf(what, sizeof what, "%s: gradient vs central differences (P = %zu)", tag, P);
    check_vec(g, gfd, P, 1e-8, 1e-11, what);

    /* Blocked gradient equals unblocked to rounding. */
    double L2 = gd_mlp_loss_grad(mbig, w, x, y, n, gp, NULL);
    snprintf(what, sizeof what, "%s: loss, max_batch 4 vs 64", tag);
    gdt_close(L, L2, 1e-14, 0, what);
    snprintf(what, sizeof what, "%s: gradient, max_batch 4 vs 64", tag);
    check_vec(g, gp, P, 1e-13, 0, what);

    /* HVP vs central differences of the gradient along a unit v. */
    double nv = 0;
    for (size_t j = 0; j < P; j++) v[j] = gd_rng_normal(&r), nv += v[j] * v[j];
    for (size_t j = 0; j < P; j++) v[j] /= sqrt(nv);
    gd_mlp_hvp(m, w, x, y, n, v, hv);
    for (size_t j = 0; j < P; j++) wp[j] = w[j] + h * v[j];
    gd_mlp_loss_grad(m, wp, x, y, n, gp, NULL);
    for (size_t j = 0; j < P; j++) wp[j] = w[j] - h * v[j];
    gd_mlp_loss_grad(m, wp, x, y, n, gm, NULL);
    for (size_t j = 0; j < P; j++) hfd[j] = (gp[j] - gm[j]) / (2 * h);
    snprintf(what, sizeof what, "%s: HVP vs central differences of the gradient", tag);
    check_vec(hv, hfd, P, 1e-8, 1e-11, what);
    gd_mlp_hvp(mbig, w, x, y, n, v, hv2);
    snprintf(what, sizeof what, "%s: HVP, max_batch 4 vs 64", tag);
    check_vec(hv, hv2, P, 1e-13, 0, what);
    /* The HVP leaves the workspace so that a following gradient is right. */
    gd_mlp_loss_grad(m, w, x, y, n, gp, NULL);
    snprintf(what, sizeof what, "%s: gradient after HVP unchanged", tag);
    check_vec(gp, g, P, 0, 0, what);

    gd_mlp_free(m);
    gd_mlp_free(mbig);
}

/* The dense Hessian of a tiny net from P HVPs with unit vectors: symmetric
 * to rounding, H v = hvp(v) for a random v, and each column against central
 * differences of the gradient. */
static void check_dense_hessian(gd_act act, gd_loss loss) {
    static const size_t widths[] = {3, 4, 3};
    const size_t n = 7, d = 3, k = 3;
    gd_mlp_params p = net_params(act, loss, 2, widths);
    gd_mlp *m = gd_mlp_new(NULL, &p, 3);
    if (!gdt_check(m != NULL, "tiny net built")) return;
    const size_t P = gd_mlp_nparams(m); /* 16 + 12 = 28 */
    double w[64], x[21], y[21], e[64], H[64 * 64], v[64], hv[64], Hv[64] = {0}, wp[64], gp[64], gm[64];
    gd_mlp_init(m, w, 7);
    gd_rng r;
    gd_rng_stream_init(&r, 11, "test-nn-hess", 0, 0);
    make_data(&r, n, d, k, loss, x, y);
    memset(e, 0, sizeof e);
    for (size_t j = 0; j < P; j++) {
        e[j] = 1;
        gd_mlp_hvp(m, w, x, y, n, e, hv);
        e[j] = 0;
        for (size_t i = 0; i < P; i++) H[i * P + j] = hv[i]; /* column j */
    }
    double asym = 0, hmax = 0;
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < P; j++) {
            asym = fmax(asym, fabs(H[i * P + j] - H[j * P + i]));
            hmax = fmax(hmax, fabs(H[i * P + j]));
        }
    gdt_check(asym <= 1e-13 * hmax, "%s/%s: dense Hessian (P = %zu) symmetric, max |H - H^T| %.3g <= 1e-13 max |H| = %.3g",
              gd_act_name(act), loss == GD_LOSS_MSE ? "mse" : "ce", P, asym, 1e-13 * hmax);
    for (size_t j = 0; j < P; j++) v[j] = gd_rng_normal(&r);
    gd_mlp_hvp(m, w, x, y, n, v, hv);
    for (size_t i = 0; i < P; i++) {
        Hv[i] = 0;
        for (size_t j = 0; j < P; j++) Hv[i] += H[i * P + j] * v[j];
    }
    char what[128];
    snprintf(what, sizeof what, "%s/%s: dense H v equals hvp(v)", gd_act_name(act),
             loss == GD_LOSS_MSE ? "mse" : "ce");
    check_vec(Hv, hv, P, 1e-12, 1e-15, what);
    const double h = 1e-5;
    double err = 0, scale = hmax;
    for (size_t j = 0; j < P; j++) {
        memcpy(wp, w, P * sizeof *w);
        wp[j] += h;
        gd_mlp_loss_grad(m, wp, x, y, n, gp, NULL);
        wp[j] -= 2 * h;
        gd_mlp_loss_grad(m, wp, x, y, n, gm, NULL);
        for (size_t i = 0; i < P; i++)
            err = fmax(err, fabs(H[i * P + j] - (gp[i] - gm[i]) / (2 * h)));
    }
    gdt_check(err <= 1e-8 * scale, "%s/%s: every Hessian column vs central differences, max |err| %.3g <= 1e-8 max |H| = %.3g",
              gd_act_name(act), loss == GD_LOSS_MSE ? "mse" : "ce", err, 1e-8 * scale);
    gd_mlp_free(m);
}

/* Jacobian rows of a 5-7-3-1 net: against central differences of the
 * outputs, against single-example MSE gradients, and bit for bit equal
 * with 1 and 2 threads. */
static void check_jacobian(gd_act act) {
    static const size_t widths[] = {5, 7, 3, 1};
    const size_t n = 11, d = 5;
    gd_mlp_params p = net_params(act, GD_LOSS_MSE, 3, widths);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_mlp *m = gd_mlp_new(&ctx, &p, 4);
    ctx.threads = 2;
    gd_mlp *m2 = gd_mlp_new(&ctx, &p, 4);
    if (!gdt_check(m && m2, "%s: Jacobian nets built", gd_act_name(act))) return;
    const size_t P = gd_mlp_nparams(m);
    double w[MAXP], wp[MAXP], J[11 * 128], J2[11 * 128], Jfd[11 * 128], x[55], y[11];
    double fp[11], fm[11], f[11], g[MAXP];
    GD_ASSERT(P <= 128);
    gd_mlp_init(m, w, 5);
    gd_rng r;
    gd_rng_stream_init(&r, 5, "test-nn-jac", 0, 0);
    make_data(&r, n, d, 1, GD_LOSS_MSE, x, y);
    gd_mlp_jacobian(m, w, x, n, J);
    gd_mlp_jacobian(m2, w, x, n, J2);
    const double h = 1e-5;
    memcpy(wp, w, P * sizeof *w);
    for (size_t j = 0; j < P; j++) {
        wp[j] = w[j] + h;
        gd_mlp_forward(m, wp, x, n, fp);
        wp[j] = w[j] - h;
        gd_mlp_forward(m, wp, x, n, fm);
        wp[j] = w[j];
        for (size_t i = 0; i < n; i++) Jfd[i * P + j] = (fp[i] - fm[i]) / (2 * h);
    }
    char what[128];
    snprintf(what, sizeof what, "%s: Jacobian (11 x %zu) vs central differences of f", gd_act_name(act), P);
    check_vec(J, Jfd, n * P, 1e-8, 1e-11, what);
    snprintf(what, sizeof what, "%s: Jacobian with 2 threads equals 1 thread", gd_act_name(act));
    gdt_check(memcmp(J, J2, n * P * sizeof *J) == 0, "%s", what);
    gd_mlp_forward(m, w, x, n, f);
    double err = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        gd_mlp_loss_grad(m, w, x + i * d, y + i, 1, g, NULL);
        for (size_t j = 0; j < P; j++) {
            err = fmax(err, fabs(g[j] - (f[i] - y[i]) * J[i * P + j]));
            scale = fmax(scale, fabs(g[j]));
        }
    }
    gdt_check(err <= 1e-14 * scale + 1e-300, "%s: single-example MSE gradients = (f_i - y_i) J_i, max |err| %.3g",
              gd_act_name(act), err);
    gd_mlp_free(m);
    gd_mlp_free(m2);
}

/* ---- the same bits for any thread count ------------------------------ */

/* OpenBLAS's own thread count (declared in its cblas.h, whose location
 * varies; src/cli/main.c declares it the same way). */
void openblas_set_num_threads(int n);

typedef struct thr_op {
    gd_mlp *m;
    const double *w, *x, *y;
    size_t n;
    int omp_threads; /* the caller's OpenMP thread count, restored for the HVP */
} thr_op;

/* The HVP as Lanczos's matvec, run with the caller's OpenMP thread count
 * (Lanczos itself runs with 1, see thr_run), so that what is checked is
 * the engine and not that setting. */
static void thr_mv(void *data, const double *v, double *out) {
    thr_op *h = data;
    omp_set_num_threads(h->omp_threads);
    gd_mlp_hvp(h->m, h->w, h->x, h->y, h->n, v, out);
    omp_set_num_threads(1);
}

/* Everything one configuration computes on the problem of check_threads. */
typedef struct thr_out {
    double loss, acc, loss_only, sharp[2];
    size_t nmv;
    double *grad, *hv, *f, *evec, *J;
} thr_out;

/* Loss, accuracy, gradient, HVP, outputs, the top two Hessian eigenvalues
 * by Lanczos on the HVPs (and the top eigenvector) of net p, and the
 * Jacobian of the scalar net pj, with `threads` OpenMP threads in the
 * engine and OpenBLAS's own count set to `blas`. Lanczos's own level-2
 * BLAS calls (src/spectra) run with the calling thread's OpenMP thread
 * count set to 1, as gdlab run eos runs them, its HVPs with the caller's:
 * the engine's results must not depend on either count. */
static int thr_run(const gd_mlp_params *p, const gd_mlp_params *pj, int threads, int blas,
                   const double *x, const double *y, size_t n, const double *v, thr_out *o) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    ctx.threads = threads;
    openblas_set_num_threads(blas);
    gd_mlp *m = gd_mlp_new(&ctx, p, n), *mj = gd_mlp_new(&ctx, pj, 128);
    if (!m || !mj) {
        gd_mlp_free(m), gd_mlp_free(mj);
        return 0;
    }
    const size_t P = gd_mlp_nparams(m);
    double *w = malloc(P * sizeof *w), *wj = malloc(gd_mlp_nparams(mj) * sizeof *wj);
    gd_mlp_init(m, w, 21);
    gd_mlp_init(mj, wj, 22);
    o->loss = gd_mlp_loss_grad(m, w, x, y, n, o->grad, &o->acc);
    o->loss_only = gd_mlp_loss_grad(m, w, x, y, n, NULL, NULL);
    gd_mlp_hvp(m, w, x, y, n, v, o->hv);
    gd_mlp_forward(m, w, x, n, o->f);
    gd_mlp_jacobian(mj, wj, x, n, o->J);
    const int saved = omp_get_max_threads();
    thr_op h = {m, w, x, y, n, saved};
    gd_lanczos_params lp = gd_lanczos_default_params();
    lp.k = 2, lp.tol = 1e-10;
    gd_lanczos_result lr;
    omp_set_num_threads(1);
    gd_status st = gd_lanczos_top(&ctx, P, thr_mv, &h, &lp, NULL, o->evec, &lr);
    omp_set_num_threads(saved);
    o->sharp[0] = lr.eval[0], o->sharp[1] = lr.eval[1], o->nmv = lr.nmatvec;
    free(w), free(wj);
    gd_mlp_free(m), gd_mlp_free(mj);
    return st == GD_OK;
}

static int thr_alloc(thr_out *o, size_t P, size_t nk, size_t nPj) {
    o->grad = malloc(P * sizeof(double)), o->hv = malloc(P * sizeof(double));
    o->f = malloc(nk * sizeof(double)), o->evec = malloc(2 * P * sizeof(double));
    o->J = malloc(nPj * sizeof(double));
    return o->grad && o->hv && o->f && o->evec && o->J;
}

static void thr_free(thr_out *o) {
    free(o->grad), free(o->hv), free(o->f), free(o->evec), free(o->J);
}

/* DESIGN.md: the same numbers for any thread count. A 24-80-60-5 tanh net
 * (and a 24-80-60-1 net for the Jacobian) on 401 examples: large enough
 * that the engine cuts the batch into parts (3, of 134, 134 and 133) and
 * that OpenBLAS splits the products of a part over its threads if let. Every result is
 * compared bit for bit (memcmp) with that of 1 engine thread and 1
 * OpenBLAS thread, for engine threads 1, 2, 3 (3 oversubscribes two cores)
 * and OpenBLAS at 1 or 2. */
static void check_threads(gd_loss loss) {
    static const size_t widths[] = {24, 80, 60, 5}, widths_j[] = {24, 80, 60, 1};
    const size_t n = 401, d = 24, k = 5;
    const char *ln = loss == GD_LOSS_MSE ? "mse" : "ce";
    gd_mlp_params p = net_params(GD_ACT_TANH, loss, 3, widths);
    gd_mlp_params pj = net_params(GD_ACT_TANH, GD_LOSS_MSE, 3, widths_j);
    const size_t P = 24 * 80 + 80 + 80 * 60 + 60 + 60 * 5 + 5, Pj = P - 60 * 4 - 4;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * k * sizeof *y), *v = malloc(P * sizeof *v);
    gd_rng r;
    gd_rng_stream_init(&r, 7, "test-nn-threads", 0, 0);
    make_data(&r, n, d, k, loss, x, y);
    for (size_t i = 0; i < P; i++) v[i] = gd_rng_normal(&r);
    static const int conf[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 2}};
    thr_out a = {0}, b = {0};
    int ok = thr_alloc(&a, P, n * k, n * Pj) && thr_alloc(&b, P, n * k, n * Pj) &&
             thr_run(&p, &pj, 1, 1, x, y, n, v, &a);
    for (size_t c = 1; c < sizeof conf / sizeof *conf && ok; c++) {
        const int t = conf[c][0], bl = conf[c][1];
        if (!gdt_check(thr_run(&p, &pj, t, bl, x, y, n, v, &b),
                       "%s: nets built and Lanczos ran with %d threads (OpenBLAS %d)", ln, t, bl))
            break;
        gdt_check(memcmp(&a.loss, &b.loss, sizeof a.loss) == 0 &&
                      memcmp(&a.loss_only, &b.loss_only, sizeof a.loss) == 0 &&
                      memcmp(&a.acc, &b.acc, sizeof a.acc) == 0,
                  "%s: loss %.17g and accuracy with %d threads (OpenBLAS %d) bitwise those of 1 (%.17g)",
                  ln, b.loss, t, bl, a.loss);
        gdt_check(memcmp(a.grad, b.grad, P * sizeof *a.grad) == 0,
                  "%s: gradient (%zu) with %d threads (OpenBLAS %d) bitwise that of 1", ln, P, t, bl);
        gdt_check(memcmp(a.hv, b.hv, P * sizeof *a.hv) == 0,
                  "%s: Hessian-vector product with %d threads (OpenBLAS %d) bitwise that of 1", ln, t, bl);
        gdt_check(memcmp(a.f, b.f, n * k * sizeof *a.f) == 0,
                  "%s: outputs (%zu x %zu) with %d threads (OpenBLAS %d) bitwise those of 1", ln, n, k, t, bl);
        gdt_check(memcmp(a.J, b.J, n * Pj * sizeof *a.J) == 0,
                  "%s: Jacobian (%zu x %zu) with %d threads (OpenBLAS %d) bitwise that of 1", ln, n, Pj, t, bl);
        gdt_check(memcmp(a.sharp, b.sharp, sizeof a.sharp) == 0 && a.nmv == b.nmv &&
                      memcmp(a.evec, b.evec, P * sizeof *a.evec) == 0,
                  "%s: sharpness %.17g, lambda2 %.17g (%zu HVPs) and top eigenvector with %d threads "
                  "(OpenBLAS %d) bitwise those of 1 (%.17g, %.17g, %zu HVPs)",
                  ln, b.sharp[0], b.sharp[1], b.nmv, t, bl, a.sharp[0], a.sharp[1], a.nmv);
    }
    gdt_check(ok, "%s: the 1-thread reference computed", ln);
    openblas_set_num_threads(omp_get_num_procs());
    thr_free(&a), thr_free(&b);
    free(x), free(y), free(v);
}

/* ---- known answers --------------------------------------------------------- */

/* A 2-2-1 identity network, two examples, MSE. By hand:
 *   W1 = [[0.5, -0.3], [0.2, 0.8]], b1 = (0.1, -0.25), W2 = (1.5, -0.7),
 *   b2 = 0.2; x1 = (2.385, -1.3), y1 = 0.7; x2 = (-0.5, 0.9), y2 = -0.4.
 *   h(x1) = (1.1925 + 0.39 + 0.1, 0.477 - 1.04 - 0.25) = (1.6825, -0.813),
 *   f1 = 2.52375 + 0.5691 + 0.2 = 3.29285, r1 = f1 - y1 = 2.59285;
 *   h(x2) = (-0.25 - 0.27 + 0.1, -0.1 + 0.72 - 0.25) = (-0.42, 0.37),
 *   f2 = -0.63 - 0.259 + 0.2 = -0.689, r2 = -0.289;
 *   L = (r1^2 + r2^2) / 4 = (6.7228711225 + 0.083521) / 4 = 1.701598030625.
 * With dL/df_i = r_i / 2:
 *   db2 = (r1 + r2)/2 = 1.151925;  dW2 = (r1 h(x1) + r2 h(x2))/2
 *       = (2.2419250625, -1.107458525);
 *   db1 = W2 db2 = (1.7278875, -0.8063475);
 *   dW1[a][c] = W2[a] (r1 x1[c] + r2 x2[c]) / 2, with
 *       r1 x1 + r2 x2 = (6.18394725 + 0.1445, -3.370705 - 0.2601)
 *                     = (6.32844725, -3.630805), so
 *   dW1 = [[4.7463354375, -2.72310375], [-2.2149565375, 1.27078175]].
 * Accuracy: f1 > 0.5 and y1 > 0.5 agree, f2 and y2 both below: 1. */
static void known_answer(void) {
    static const size_t widths[] = {2, 2, 1};
    gd_mlp_params p = net_params(GD_ACT_IDENTITY, GD_LOSS_MSE, 2, widths);
    gd_mlp *m = gd_mlp_new(NULL, &p, 1); /* blocks of one example */
    if (!gdt_check(m != NULL, "2-2-1 net built")) return;
    gdt_check(gd_mlp_nparams(m) == 9, "2-2-1 net has 9 parameters");
    const double w[9] = {0.5, -0.3, 0.2, 0.8, 0.1, -0.25, 1.5, -0.7, 0.2};
    const double x[4] = {2.385, -1.3, -0.5, 0.9}, y[2] = {0.7, -0.4};
    const double gwant[9] = {4.7463354375, -2.72310375, -2.2149565375, 1.27078175,
                             1.7278875, -0.8063475, 2.2419250625, -1.107458525, 1.151925};
    double g[9], f[2], acc;
    gd_mlp_forward(m, w, x, 2, f);
    gdt_close(f[0], 3.29285, 1e-15, 0, "2-2-1: f(x1)");
    gdt_close(f[1], -0.689, 1e-15, 0, "2-2-1: f(x2)");
    double L = gd_mlp_loss_grad(m, w, x, y, 2, g, &acc);
    gdt_close(L, 1.701598030625, 1e-15, 0, "2-2-1: loss");
    gdt_close(acc, 1.0, 0, 0, "2-2-1: accuracy");
    for (int j = 0; j < 9; j++) {
        char what[64];
        snprintf(what, sizeof what, "2-2-1: gradient[%d]", j);
        gdt_close(g[j], gwant[j], 1e-14, 0, what);
    }
    /* y2 = +0.6 makes example 2 wrong: accuracy 1/2. */
    const double y2[2] = {0.7, 0.6};
    gd_mlp_loss_grad(m, w, x, y2, 2, NULL, &acc);
    gdt_close(acc, 0.5, 0, 0, "2-2-1: accuracy with one example wrong");
    size_t wo, rows, cols, bo;
    gd_mlp_layer(m, 1, &wo, &rows, &cols, &bo);
    gdt_check(wo == 6 && rows == 1 && cols == 2 && bo == 8, "2-2-1: layer 1 (0-based) at w[6], 1 x 2, bias w[8]");
    gd_mlp_free(m);
}

/* Cross-entropy of a linear layer with logits (1000, 0, -1000): the
 * log-sum-exp must not overflow. Loss of class 0 is log(1 + e^-1000 +
 * e^-2000) = 0 in double, of class 2 it is 2000; the gradient w.r.t. b is
 * p - y = (1, 0, 0) - y. */
static void known_ce(void) {
    static const size_t widths[] = {1, 3};
    gd_mlp_params p = net_params(GD_ACT_TANH, GD_LOSS_CE, 1, widths);
    gd_mlp *m = gd_mlp_new(NULL, &p, 2);
    if (!gdt_check(m != NULL, "linear CE net built")) return;
    const double w[6] = {1000, 0, -1000, 0, 0, 0}, x[2] = {1, 1};
    const double y[6] = {1, 0, 0, 0, 0, 1};
    double g[6], acc;
    double L = gd_mlp_loss_grad(m, w, x, y, 2, g, &acc);
    gdt_close(L, 1000.0, 1e-15, 0, "CE with logits +-1000: loss (0 + 2000)/2");
    gdt_close(acc, 0.5, 0, 0, "CE with logits +-1000: accuracy");
    gdt_close(g[3], 0.5, 1e-15, 0, "CE with logits +-1000: d/db_0");
    gdt_close(g[5], -0.5, 1e-15, 0, "CE with logits +-1000: d/db_2");
    gdt_close(g[0], 0.5, 1e-15, 0, "CE with logits +-1000: d/dW_0");
    gd_mlp_free(m);
}

/* ---- initialisation -------------------------------------------------------- */

/* Sample mean and variance of a[0..n) against U(-a, a) or N(0, s^2): the
 * mean within 4 se (se = sd / sqrt(n)); the variance within 4 se, with
 * Var(X^2) = 4 a^4 / 45 (uniform) or 2 s^4 (normal). */
static void check_stats(const double *a, size_t n, double var, double var4, const char *what) {
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) s += a[i], s2 += a[i] * a[i];
    char w2[128];
    snprintf(w2, sizeof w2, "%s: mean", what);
    gdt_within_se(s / (double)n, 0, sqrt(var / (double)n), 4, w2);
    snprintf(w2, sizeof w2, "%s: variance", what);
    gdt_within_se(s2 / (double)n, var, sqrt(var4 / (double)n), 4, w2);
}

static void check_init(void) {
    static const size_t widths[] = {200, 300, 50};
    gd_mlp_params p = net_params(GD_ACT_TANH, GD_LOSS_MSE, 2, widths);
    gd_mlp *m = gd_mlp_new(NULL, &p, 1);
    if (!gdt_check(m != NULL, "init net built")) return;
    const size_t P = gd_mlp_nparams(m);
    gdt_check(P == 200 * 300 + 300 + 300 * 50 + 50, "200-300-50 net has %zu parameters", P);
    double *w = malloc(P * sizeof *w), *w2 = malloc(P * sizeof *w);
    gd_mlp_init(m, w, 2385);
    for (size_t l = 0; l < 2; l++) {
        size_t wo, rows, cols, bo;
        gd_mlp_layer(m, l, &wo, &rows, &cols, &bo);
        const double a = 1 / sqrt((double)cols);
        gdt_check(max_abs(w + wo, rows * cols) <= a && max_abs(w + wo, rows * cols) > 0.99 * a,
                  "torch init layer %zu: W in [-1/sqrt(%zu), 1/sqrt(%zu)], max |W| %.6g (bound %.6g)",
                  l, cols, cols, max_abs(w + wo, rows * cols), a);
        gdt_check(max_abs(w + bo, rows) <= a, "torch init layer %zu: b in [-1/sqrt(fan_in), +]", l);
        char what[64];
        snprintf(what, sizeof what, "torch init layer %zu W ~ U(-1/sqrt(%zu), +)", l, cols);
        check_stats(w + wo, rows * cols, a * a / 3, 4 * a * a * a * a / 45, what);
    }
    /* The bias of layer 0: 300 values. */
    {
        size_t bo;
        gd_mlp_layer(m, 0, NULL, NULL, NULL, &bo);
        double a = 1 / sqrt(200.0);
        check_stats(w + bo, 300, a * a / 3, 4 * a * a * a * a / 45, "torch init layer 0 b");
    }
    gd_mlp_init(m, w2, 2385);
    gdt_check(memcmp(w, w2, P * sizeof *w) == 0, "init: same seed, same parameters");
    gd_mlp_init(m, w2, 2386);
    gdt_check(memcmp(w, w2, P * sizeof *w) != 0, "init: another seed, other parameters");
    gd_mlp_free(m);

    p.init_scale = 2.385;
    m = gd_mlp_new(NULL, &p, 1);
    gd_mlp_init(m, w2, 2385);
    double e = 0;
    for (size_t i = 0; i < P; i++) e = fmax(e, fabs(w2[i] - 2.385 * w[i]));
    gdt_check(e <= 1e-15, "init_scale 2.385 multiplies every parameter, max |err| %.3g", e);
    gd_mlp_free(m);

    p.init_scale = 1;
    p.init = GD_INIT_XAVIER;
    m = gd_mlp_new(NULL, &p, 1);
    gd_mlp_init(m, w, 99);
    {
        size_t wo, rows, cols, bo;
        gd_mlp_layer(m, 0, &wo, &rows, &cols, &bo);
        const double a = sqrt(6.0 / (200 + 300));
        gdt_check(max_abs(w + wo, rows * cols) <= a, "xavier: W in [-sqrt(6/500), +]");
        gdt_check(max_abs(w + bo, rows) == 0, "xavier: b = 0");
        check_stats(w + wo, rows * cols, a * a / 3, 4 * a * a * a * a / 45, "xavier layer 0 W");
    }
    gd_mlp_free(m);
    p.init = GD_INIT_HE;
    m = gd_mlp_new(NULL, &p, 1);
    gd_mlp_init(m, w, 99);
    {
        size_t wo, rows, cols, bo;
        gd_mlp_layer(m, 1, &wo, &rows, &cols, &bo);
        const double s2 = 2.0 / 300;
        gdt_check(max_abs(w + bo, rows) == 0, "he: b = 0");
        check_stats(w + wo, rows * cols, s2, 2 * s2 * s2, "he layer 1 W ~ N(0, 2/300)");
    }
    gd_mlp_free(m);
    free(w);
    free(w2);
}

/* Activation values through a 1-1-1 network with unit weights and zero
 * biases, f = act(x), against the libm formulas of ref_act on a grid over
 * [-20, 20] and at special points (0, +-1e-8, the tanh branch point 0.625,
 * +-400 where exp overflows): 2 ulp relative; for gelu, whose reference
 * 1 + erf cancels for negative x, also 1e-15 absolute. */
static void check_act_values(void) {
    static const size_t widths[] = {1, 1, 1};
    static const double special[] = {0, 1e-8, -1e-8, 0.625, -0.625, 0.6249999999999999,
                                     30, -30, 400, -400};
    const double w[4] = {1, 0, 1, 0};
    for (int a = 0; a < 8; a++) {
        gd_mlp_params p = net_params((gd_act)a, GD_LOSS_MSE, 2, widths);
        gd_mlp *m = gd_mlp_new(NULL, &p, 64);
        double x[1100], f[1100], err = 0;
        size_t n = 0;
        for (int i = 0; i <= 1078; i++) x[n++] = -20 + 0.0371 * i;
        for (size_t i = 0; i < sizeof special / sizeof *special; i++) x[n++] = special[i];
        gd_mlp_forward(m, w, x, n, f);
        const double abs_tol = a == GD_ACT_GELU ? 1e-15 : 0;
        int ok = 1;
        for (size_t i = 0; i < n; i++) {
            double want = ref_act((gd_act)a, x[i]), e = fabs(f[i] - want);
            ok &= e <= 4.5e-16 * fabs(want) + abs_tol;
            if (e > err) err = e;
        }
        gdt_check(ok, "%s: values at %zu points vs libm reference (rel 4.5e-16, abs %.0e), max |err| %.3g",
                  gd_act_name((gd_act)a), n, abs_tol, err);
        gd_mlp_free(m);
    }
}

/* ---- names, validation, failure injection --------------------------------- */

static void check_names(void) {
    static const char *names[] = {"identity", "relu", "leaky_relu", "tanh",
                                  "gelu", "softplus", "swish", "square"};
    for (int a = 0; a < 8; a++) {
        gdt_check(gd_act_from_name(names[a]) == a, "activation name '%s' -> %d", names[a], a);
        gdt_check(strcmp(gd_act_name((gd_act)a), names[a]) == 0, "activation %d -> '%s'", a, names[a]);
    }
    gdt_check(gd_act_from_name("leaky-relu") == GD_ACT_LEAKY_RELU, "alias leaky-relu");
    gdt_check(gd_act_from_name("x^2") == GD_ACT_SQUARE, "alias x^2");
    gdt_check(gd_act_from_name("sigmoid") == -1 && gd_act_from_name("") == -1 &&
                  gd_act_from_name(NULL) == -1,
              "unknown activation names give -1");
}

static void expect_invalid(gd_mlp_params p, size_t max_batch, const char *needle,
                           const char *what) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_mlp *m = gd_mlp_new(&ctx, &p, max_batch);
    gdt_check(m == NULL && strstr(ctx.err, needle) != NULL, "%s rejected: '%s'", what, ctx.err);
    gd_mlp_free(m);
}

static void check_validation(void) {
    static const size_t widths[] = {3, 4, 2};
    gd_mlp_params p = net_params(GD_ACT_TANH, GD_LOSS_MSE, 2, widths), q;
    q = p, q.n_layers = 0;
    expect_invalid(q, 8, "n_layers", "0 layers");
    q = p, q.n_layers = GD_MLP_MAX_LAYERS + 1;
    expect_invalid(q, 8, "n_layers", "17 layers");
    q = p, q.width[1] = 0;
    expect_invalid(q, 8, "width[1]", "zero hidden width");
    q = p, q.width[0] = 0;
    expect_invalid(q, 8, "width[0]", "zero input width");
    q = p, q.loss = GD_LOSS_CE, q.width[2] = 1;
    expect_invalid(q, 8, "cross-entropy", "CE with one output");
    expect_invalid(p, 0, "max_batch", "max_batch 0");
    q = p, q.act = (gd_act)42;
    expect_invalid(q, 8, "activation", "activation 42");
    gd_mlp_free(NULL);
    gdt_check(1, "gd_mlp_free(NULL) does nothing");
    /* Maximal depth is accepted. */
    q = p, q.n_layers = GD_MLP_MAX_LAYERS;
    for (size_t l = 0; l <= GD_MLP_MAX_LAYERS; l++) q.width[l] = 2;
    gd_mlp *m = gd_mlp_new(NULL, &q, 3);
    gdt_check(m != NULL && gd_mlp_nparams(m) == 16 * 6, "16 layers accepted, 96 parameters");
    gd_mlp_free(m);
}

static void check_alloc_failures(void) {
    static const size_t widths[] = {5, 7, 3, 4};
    gd_mlp_params p = net_params(GD_ACT_TANH, GD_LOSS_CE, 3, widths);
    int ok = 1, done = 0;
    long k;
    for (k = 0; k < 100 && !done; k++) {
        gd_ctx ctx;
        gd_ctx_init(&ctx);
        gd_alloc_fail_after(k);
        gd_mlp *m = gd_mlp_new(&ctx, &p, 4);
        gd_alloc_fail_after(-1);
        if (m) {
            done = 1;
            double w[128], x[5] = {0.3, -1, 2, 0.1, 0.5}, y[4] = {0, 0, 1, 0}, g[128];
            gd_mlp_init(m, w, 1);
            ok &= isfinite(gd_mlp_loss_grad(m, w, x, y, 1, g, NULL));
        } else {
            ok &= strstr(ctx.err, "out of memory") != NULL;
        }
        gd_mlp_free(m);
    }
    gdt_check(ok && done, "allocation failure at each of the first %ld allocations: NULL with "
              "'out of memory', then success", k - 1);
}

int main(void) {
    static const gd_act acts[] = {GD_ACT_IDENTITY, GD_ACT_RELU, GD_ACT_LEAKY_RELU, GD_ACT_TANH,
                                  GD_ACT_GELU, GD_ACT_SOFTPLUS, GD_ACT_SWISH, GD_ACT_SQUARE};
    known_answer();
    known_ce();
    check_act_values();
    for (int a = 0; a < 8; a++)
        for (int loss = 0; loss < 2; loss++) {
            check_net(acts[a], (gd_loss)loss, 1, 100 + (uint64_t)a);
            check_dense_hessian(acts[a], (gd_loss)loss);
        }
    check_net(GD_ACT_TANH, GD_LOSS_CE, 0, 3);
    check_net(GD_ACT_SWISH, GD_LOSS_MSE, 0, 4);
    for (int a = 0; a < 8; a++) check_jacobian(acts[a]);
    check_threads(GD_LOSS_MSE);
    check_threads(GD_LOSS_CE);
    check_init();
    check_names();
    check_validation();
    check_alloc_failures();
    return gdt_summary();
}
