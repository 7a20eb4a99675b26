/* The semiring factorisation test of a neuron group, the per-neuron and
 * per-frequency analysis, and the sum potentials r_{k1 k2 k} (modadd.h). */
#include "modadd_int.h"

#include <cblas.h>
#include <complex.h>
#include <math.h>
#include <string.h>

/* glibc defines C11's CMPLX for GCC only; clang (the libFuzzer build) has
 * the same builtin. */
#if !defined(CMPLX) && defined(__clang__)
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif

gd_modadd_analysis_params gd_modadd_analysis_default_params(void) {
    return (gd_modadd_analysis_params){.inactive = 1e-3, .coef_threshold = 0.05,
                                       .factor_tol = 0.1, .named_tol = 0.1};
}

/* sigma_2(M) / ||M||_F for M (2, m) complex: sigma_2^2 = det(M M^H) /
 * sigma_1^2, with det(M M^H) = sum of |2 x 2 minors|^2 (Cauchy-Binet), so
 * that an exact product gives a residual at rounding level, not at its
 * square root as tr/2 - sqrt(...) would. */
static double rank1_resid(const double complex *M, size_t m) {
    double g11 = 0, g22 = 0, det = 0;
    double complex g12 = 0;
    for (size_t c = 0; c < m; c++) {
        g11 += creal(M[c] * conj(M[c]));
        g22 += creal(M[m + c] * conj(M[m + c]));
        g12 += M[c] * conj(M[m + c]);
        for (size_t d = c + 1; d < m; d++) {
            const double complex mi = M[c] * M[m + d] - M[d] * M[m + c];
            det += creal(mi * conj(mi));
        }
    }
    const double tr = g11 + g22;
    if (!(tr > 0)) return 0;
    const double h = 0.5 * (g11 - g22);
    const double lmax = 0.5 * tr + sqrt(h * h + creal(g12 * conj(g12)));
    return sqrt(det / lmax / tr);
}

/* The features of a neuron (modadd.h): z_a^2 conj z_c, z_b^2 conj z_c,
 * z_a z_b conj z_c, |z_a|^2 conj z_c. */
#define NFEAT 4

double gd_modadd_factor_resid(const double *z, size_t m2, size_t *grid) {
    GD_ASSERT(z != NULL && (m2 == 2 || m2 == 3));
    const size_t n = 2 * m2;
    double complex f[NFEAT][6];
    for (size_t j = 0; j < n; j++) {
        const double complex za = CMPLX(z[6 * j], z[6 * j + 1]), zb = CMPLX(z[6 * j + 2], z[6 * j + 3]);
        const double complex zc = conj(CMPLX(z[6 * j + 4], z[6 * j + 5]));
        f[0][j] = za * za * zc;
        f[1][j] = zb * zb * zc;
        f[2][j] = za * zb * zc;
        f[3][j] = creal(za * conj(za)) * zc;
    }
    /* Row 0 holds neuron 0 and m2 - 1 others (in increasing order: the
     * column order is fixed by row 0), row 1 the rest in every order. */
    double best = INFINITY;
    for (unsigned mask = 0; mask < (1u << n); mask++) {
        if (!(mask & 1u) || (size_t)__builtin_popcount(mask) != m2) continue;
        size_t r0[3], r1[3], k0 = 0, k1 = 0;
        for (size_t j = 0; j < n; j++) (mask >> j & 1u) ? (r0[k0++] = j) : (r1[k1++] = j);
        static const size_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                           {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (size_t pi = 0; pi < 6; pi++) {
            if (m2 == 2 && (perms[pi][2] != 2 || pi > 2)) continue; /* {0,1,2}, {1,0,2} */
            double res = 0;
            for (int v = 0; v < NFEAT; v++) {
                double complex M[6];
                for (size_t c = 0; c < m2; c++) {
                    M[c] = f[v][r0[c]];
                    M[m2 + c] = f[v][r1[perms[pi][c]]];
                }
                res = fmax(res, rank1_resid(M, m2));
            }
            if (res < best) {
                best = res;
                if (grid)
                    for (size_t c = 0; c < m2; c++) grid[c] = r0[c], grid[m2 + c] = r1[perms[pi][c]];
            }
        }
    }
    return best;
}

static const char *const named_names[] = {"none", "nu_i_xi", "nu_syn", "nu_i_synab"};

const char *gd_modadd_named_name(gd_modadd_named c) {
    return (unsigned)c <= GD_MODADD_NAMED_NU_I_SYN_AB ? named_names[c] : "unknown";
}

/* The labels of one factor of a group (the paper's check_component),
 * as flags: an order-2 factor can be both nu and xi (nu = exp(+-i pi/4)
 * is also a xi), and which one counts depends on the group's order. */
enum { F_NU = 1, F_NU_I = 2, F_XI = 4, F_SYN = 8, F_SYN_AB = 16 };

/* Divides the triple x by a cube root of x_a x_b x_c (the principal
 * one), so that its product is 1. */
static void unit_product(double complex x[3]) {
    const double complex r = cpow(x[0] * x[1] * x[2], 1.0 / 3.0);
    if (cabs(r) > 0)
        for (int v = 0; v < 3; v++) x[v] /= r;
}

/* An order-2 factor (1,1,1), x: nu (x_a + x_b = 0, as x = (nu, -nu,
 * -1/nu^2)), nu = +-i (the paper's "4c": x = (+-i, -+i, 1)), xi (x_c =
 * +-i). Each test is unchanged by the node sign (x_a, x_b) -> -(x_a, x_b). */
static int label2(double complex x[3], double tol) {
    const double complex i = CMPLX(0, 1);
    unit_product(x);
    int l = 0;
    if (cabs(x[0] + x[1]) < tol) l |= F_NU;
    if (cabs(x[2] - 1) < tol && fmin(cabs(x[0] - i), cabs(x[0] + i)) < tol) l |= F_NU_I;
    if (fmin(cabs(x[2] - i), cabs(x[2] + i)) < tol) l |= F_XI;
    return l;
}

/* An order-3 factor (1,1,1), x1, x2: syn when {x1, x2} = {w (1,1,1),
 * conj(w) (1,1,1)} with w = exp(2 pi i / 3) (up to the node sign of
 * (x_a, x_b)), syn-ab when only their c entries are w and conj(w); each
 * within tol sqrt(3) in the Euclidean norm of the triple, as the paper. */
static int label3(double complex x1[3], double complex x2[3], double tol) {
    unit_product(x1), unit_product(x2);
    const double complex w = CMPLX(-0.5, 0.5 * sqrt(3.0));
    const double t3 = tol * sqrt(3.0);
    int syn = 0, ab = 0;
    for (int o = 0; o < 2; o++) { /* x1 ~ w, x2 ~ conj(w), or the other way */
        const double complex u[2] = {o ? conj(w) : w, o ? w : conj(w)};
        double complex *xs[2] = {x1, x2};
        int ok = 1, okc = 1;
        for (int i = 0; i < 2; i++) {
            double best = INFINITY;
            for (int sg = -1; sg <= 1; sg += 2) {
                const double da = cabs(sg * xs[i][0] - u[i]), db = cabs(sg * xs[i][1] - u[i]);
                best = fmin(best, sqrt(da * da + db * db + pow(cabs(xs[i][2] - u[i]), 2)));
            }
            ok &= best < t3;
            okc &= cabs(xs[i][2] - u[i]) < tol;
        }
        syn |= ok, ab |= okc;
    }
    return syn ? F_SYN : ab ? F_SYN_AB : 0;
}

gd_modadd_named gd_modadd_classify(const double *z, size_t m2, const size_t *grid, double tol, double *err) {
    GD_ASSERT(z != NULL && grid != NULL && (m2 == 2 || m2 == 3) && tol > 0);
    if (err) *err = GD_NAN;
    /* Each neuron in the paper's convention (z_a, z_b, conj z_c), at the
     * balance weight decay settles, s^6 = 2 |c|^2 / (|a|^2 + |b|^2). */
    double complex u[6][3];
    for (size_t j = 0; j < 2 * m2; j++) {
        const double *t = z + 6 * grid[j];
        const double complex a = CMPLX(t[0], t[1]), b = CMPLX(t[2], t[3]), c = CMPLX(t[4], -t[5]);
        const double ab = creal(a * conj(a) + b * conj(b));
        const double s = ab > 0 ? pow(2 * creal(c * conj(c)) / ab, 1.0 / 6.0) : 1;
        if (!(s > 0)) return GD_MODADD_NAMED_NONE;
        u[j][0] = s * a, u[j][1] = s * b, u[j][2] = c / (s * s);
    }
    /* The grid's two factors: R, the order-2 factor along the rows (row 1
     * over row 0, columns sign-aligned to column 0 and averaged), and C,
     * the order-m2 factor along the columns (row 0 over its first entry). */
    double complex R[3] = {0}, Cf[3][3], x[3][3];
    for (size_t c = 0; c < m2; c++) {
        for (int v = 0; v < 3; v++) x[c][v] = u[m2 + c][v] / u[c][v];
        if (c > 0 && cabs(-x[c][0] - R[0] / (double)c) < cabs(x[c][0] - R[0] / (double)c))
            x[c][0] = -x[c][0], x[c][1] = -x[c][1];
        for (int v = 0; v < 3; v++) R[v] += x[c][v];
    }
    for (int v = 0; v < 3; v++) R[v] /= (double)m2;
    /* The paper's factorisation error: the spread of the row ratios. */
    double e2 = 0;
    for (size_t c = 0; c < m2; c++)
        for (int v = 0; v < 3; v++) e2 += creal((x[c][v] - R[v]) * conj(x[c][v] - R[v]));
    if (err) *err = sqrt(e2);
    for (size_t c = 0; c < m2; c++)
        for (int v = 0; v < 3; v++) Cf[c][v] = u[c][v] / u[0][v];
    const int l1 = label2(R, tol);
    if (m2 == 2) {
        const int l2 = label2(Cf[1], tol);
        return (l1 & F_NU_I && l2 & F_XI) || (l1 & F_XI && l2 & F_NU_I) ? GD_MODADD_NAMED_NU_I_XI
                                                                      : GD_MODADD_NAMED_NONE;
    }
    const int l3 = label3(Cf[1], Cf[2], tol);
    if (l1 & F_NU_I && l3) return GD_MODADD_NAMED_NU_I_SYN_AB;
    if (l1 & F_NU && l3 == F_SYN) return GD_MODADD_NAMED_NU_SYN;
    return GD_MODADD_NAMED_NONE;
}

gd_status gd_modadd_analyse(gd_ctx *ctx, size_t p, size_t q, const double *w,
                            const gd_modadd_analysis_params *ap, gd_modadd_neuron *neurons,
                            gd_modadd_freq *freqs, double *r_off) {
    GD_ASSERT(w != NULL && ap != NULL && neurons != NULL && freqs != NULL && q >= 1);
    if (p < 3 || p % 2 == 0)
        return gd_error(ctx, GD_EINVAL, "modadd analysis: p must be odd and >= 3, got %zu", p);
    const size_t K = (p - 1) / 2, nk = K + 1;
    double *energy = gd_malloc(q * nk * sizeof *energy);
    double *coef = gd_malloc(q * K * 6 * sizeof *coef);
    /* (2K, q) complex: rows k1 = 1..K then -1..-K, for z_a and z_b; C (K, q). */
    double complex *A = gd_malloc(2 * K * q * sizeof *A), *Bm = gd_malloc(2 * K * q * sizeof *Bm);
    double complex *Cd = gd_malloc(2 * K * q * sizeof *Cd), *R = gd_malloc(4 * K * K * sizeof *R);
    gd_status st = GD_OK;
    if (!energy || !coef || !A || !Bm || !Cd || !R) {
        st = gd_error(ctx, GD_ENOMEM, "out of memory for the analysis of %zu neurons", q);
        goto done;
    }
    if ((st = gd_modadd_spectra(ctx, p, q, w, energy, coef)) != GD_OK) goto done;
    double maxn = 0;
    for (size_t j = 0; j < q; j++) {
        gd_modadd_neuron *u = &neurons[j];
        double tot = 0;
        size_t kb = 1;
        for (size_t k = 0; k < nk; k++) tot += energy[j * nk + k];
        for (size_t k = 2; k < nk; k++)
            if (energy[j * nk + k] > energy[j * nk + kb]) kb = k;
        u->norm2 = tot, u->freq = kb;
        u->share = tot > 0 ? energy[j * nk + kb] / tot : 0;
        /* Input weights alone: energy 2 p (|A_k|^2 + |B_k|^2) at k >= 1. */
        double tin = 0, ein = 0;
        for (size_t t = 0; t < p; t++) tin += w[j * p + t] * w[j * p + t] + w[(q + j) * p + t] * w[(q + j) * p + t];
        u->freq_in = 1;
        for (size_t k = 1; k < nk; k++) {
            const double *c = coef + (j * K + k - 1) * 6;
            const double e = 2.0 * (double)p * (c[0] * c[0] + c[1] * c[1] + c[2] * c[2] + c[3] * c[3]);
            if (e > ein) ein = e, u->freq_in = k;
        }
        u->share_in = tin > 0 ? ein / tin : 0;
        maxn = fmax(maxn, tot);
    }
    for (size_t j = 0; j < q; j++) neurons[j].active = neurons[j].norm2 >= ap->inactive * maxn && maxn > 0;
    for (size_t k = 1; k <= K; k++) {
        gd_modadd_freq *f = &freqs[k - 1];
        memset(f, 0, sizeof *f);
        f->factor_resid = f->factor_err = GD_NAN;
        size_t grp[6], ng = 0;
        double complex r = 0;
        for (size_t j = 0; j < q; j++) {
            const double *c = coef + (j * K + k - 1) * 6;
            const double complex za = CMPLX(c[0], c[1]), zb = CMPLX(c[2], c[3]), zc = CMPLX(c[4], c[5]);
            r += za * zb * conj(zc);
            f->order_paper += cabs(za) > ap->coef_threshold;
            if (neurons[j].active && neurons[j].freq == k) {
                if (ng < 6) grp[ng] = j;
                ng++;
            }
        }
        f->order = ng;
        f->r_kkk_re = 2.0 * (double)p * creal(r), f->r_kkk_im = 2.0 * (double)p * cimag(r);
        if (ng == 4 || ng == 6) {
            double z[36];
            for (size_t g = 0; g < ng; g++) memcpy(z + 6 * g, coef + (grp[g] * K + k - 1) * 6, 6 * sizeof *z);
            size_t grid[6];
            f->factor_resid = gd_modadd_factor_resid(z, ng / 2, grid);
            const gd_modadd_named c = gd_modadd_classify(z, ng / 2, grid, ap->named_tol, &f->factor_err);
            f->named = f->factor_err <= ap->named_tol * sqrt(3.0 * (double)ng) ? c : GD_MODADD_NAMED_NONE;
        }
    }
    /* r_{k1 k2 k} for all signed k1, k2 at once per k: R = A diag(conj c_k) B^T. */
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < q; j++) {
            const double *c = coef + (j * K + k) * 6;
            A[k * q + j] = CMPLX(c[0], c[1]), A[(K + k) * q + j] = CMPLX(c[0], -c[1]);
            Bm[k * q + j] = CMPLX(c[2], c[3]), Bm[(K + k) * q + j] = CMPLX(c[2], -c[3]);
        }
    double off = 0;
    const double complex one = 1, zero = 0;
    for (size_t k = 0; k < K; k++) {
        for (size_t k1 = 0; k1 < 2 * K; k1++)
            for (size_t j = 0; j < q; j++) {
                const double *c = coef + (j * K + k) * 6;
                Cd[k1 * q + j] = A[k1 * q + j] * CMPLX(c[4], -c[5]);
            }
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(2 * K), (int)(2 * K), (int)q,
                    &one, Cd, (int)q, Bm, (int)q, &zero, R, (int)(2 * K));
        for (size_t k1 = 0; k1 < 2 * K; k1++)
            for (size_t k2 = 0; k2 < 2 * K; k2++)
                if (!(k1 == k && k2 == k)) off = fmax(off, 2.0 * (double)p * cabs(R[k1 * 2 * K + k2]));
    }
    if (r_off) *r_off = off;
done:
    gd_free(energy), gd_free(coef), gd_free(A), gd_free(Bm), gd_free(Cd), gd_free(R);
    return st;
}
