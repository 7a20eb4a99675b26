/* The DFT of every neuron's three weight vectors (modadd.h states the
 * convention): two matrix products with the cosine and sine tables,
 *   Re X = W cos^T,  Im X = -W sin^T,  cos[k][t] = cos(2 pi k t / p),
 * for the rows of W_a and W_b and the columns of W_c (OpenBLAS dgemm; a
 * p-point FFT per row would cost the same order for p in the hundreds and
 * make the prime p a special case). */
#include "modadd_int.h"

#include <cblas.h>
#include <gsl/gsl_math.h> /* M_PI */
#include <math.h>

gd_status gd_modadd_spectra(gd_ctx *ctx, size_t p, size_t q, const double *w, double *energy,
                            double *coef) {
    GD_ASSERT(w != NULL && energy != NULL && p >= 2 && q >= 1);
    const size_t K = (p - 1) / 2, nk = K + 1, pq = p * q;
    double *tab = gd_malloc(2 * nk * p * sizeof *tab);  /* cos (nk, p), then sin (nk, p) */
    double *re = gd_malloc(3 * q * nk * sizeof *re);     /* (3, q, nk) */
    double *im = gd_malloc(3 * q * nk * sizeof *im);
    if (!tab || !re || !im) {
        gd_free(tab), gd_free(re), gd_free(im);
        return gd_error(ctx, GD_ENOMEM, "out of memory for the spectra of %zu neurons", q);
    }
    for (size_t k = 0; k < nk; k++)
        for (size_t t = 0; t < p; t++) {
            /* The angle reduced mod p first keeps it exact for large k t. */
            const double th = 2 * M_PI * (double)((k * t) % p) / (double)p;
            tab[k * p + t] = cos(th);
            tab[(nk + k) * p + t] = sin(th);
        }
    for (int v = 0; v < 3; v++) {
        /* W_a, W_b: (q, p) row-major; W_c: (p, q), so its transpose. */
        const int trans = v == 2;
        const double *W = w + (size_t)v * pq;
        const int lda = trans ? (int)q : (int)p;
        cblas_dgemm(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, CblasTrans, (int)q, (int)nk,
                    (int)p, 1.0, W, lda, tab, (int)p, 0.0, re + (size_t)v * q * nk, (int)nk);
        cblas_dgemm(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, CblasTrans, (int)q, (int)nk,
                    (int)p, -1.0, W, lda, tab + nk * p, (int)p, 0.0, im + (size_t)v * q * nk,
                    (int)nk);
    }
    for (size_t j = 0; j < q; j++)
        for (size_t k = 0; k < nk; k++) {
            double e = 0;
            for (int v = 0; v < 3; v++) {
                const size_t i = ((size_t)v * q + j) * nk + k;
                e += re[i] * re[i] + im[i] * im[i];
                if (coef && k >= 1) {
                    double *c = coef + ((j * K + k - 1) * 3 + (size_t)v) * 2;
                    c[0] = re[i] / (double)p;
                    c[1] = im[i] / (double)p;
                }
            }
            energy[j * nk + k] = (k ? 2 : 1) * e / (double)p;
        }
    gd_free(tab), gd_free(re), gd_free(im);
    return GD_OK;
}
