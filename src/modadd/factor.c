/* The semiring factorisation test of a neuron group, the per-neuron and
 * per-frequency analysis, and the sum potentials r_{k1 k2 k} (modadd.h). */
#include "modadd_int.h"

#include <cblas.h>
#include <complex.h>
#include <math.h>
#include <string.h>

gd_modadd_analysis_params gd_modadd_analysis_default_params(void) {
    return (gd_modadd_analysis_params){.inactive = 1e-3, .coef_threshold = 0.05,
                                       .factor_tol = 0.1};
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

double gd_modadd_factor_resid(const double *z, size_t m2, size_t *grid) {
    GD_ASSERT(z != NULL && (m2 == 2 || m2 == 3));
    const size_t n = 2 * m2;
    double complex f[2][6];
    for (size_t j = 0; j < n; j++) {
        const double complex za = CMPLX(z[6 * j], z[6 * j + 1]), zb = CMPLX(z[6 * j + 2], z[6 * j + 3]);
        const double complex zc = CMPLX(z[6 * j + 4], z[6 * j + 5]);
        f[0][j] = za * za * conj(zc);
        f[1][j] = zb * zb * conj(zc);
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
            for (int v = 0; v < 2; v++) {
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
        maxn = fmax(maxn, tot);
    }
    for (size_t j = 0; j < q; j++) neurons[j].active = neurons[j].norm2 >= ap->inactive * maxn && maxn > 0;
    for (size_t k = 1; k <= K; k++) {
        gd_modadd_freq *f = &freqs[k - 1];
        memset(f, 0, sizeof *f);
        f->factor_resid = GD_NAN;
        size_t grp[6], ng = 0;
        double complex r = 0;
        for (size_t j = 0; j < q; j++) {
            const double *c = coef + (j * K + k - 1) * 6;
            const double complex za = CMPLX(c[0], c[1]), zb = CMPLX(c[2], c[3]), zc = CMPLX(c[4], c[5]);
            r += za * zb * conj(zc);
            const double mx = fmax(cabs(za), fmax(cabs(zb), cabs(zc)));
            f->order_paper += mx > ap->coef_threshold;
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
            f->factor_resid = gd_modadd_factor_resid(z, ng / 2, NULL);
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
