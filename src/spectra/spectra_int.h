/* Internals of the spectra module (never installed): the Krylov basis with
 * full reorthogonalisation that Lanczos (lanczos.c) and stochastic Lanczos
 * quadrature (slq.c) share, the tridiagonal eigensolver wrapper and the
 * Rademacher probe. The library is built with hidden visibility, so none of
 * this is exported. */
#ifndef GDLAB_SPECTRA_INT_H
#define GDLAB_SPECTRA_INT_H

#include <stddef.h>

#include "gdlab/rng.h"
#include "gdlab/spectra.h"

/* A Lanczos basis V_d = [v_0 .. v_{d-1}] and its tridiagonal matrix T_d.
 *
 * After step j (d = j + 1 vectors), A V_d = V_d T_d + r_j e_d^T with
 * ||r_j|| = beta[j]: alpha (d) is the diagonal of T_d and beta[i], i < d-1,
 * its off-diagonal, except where brk[i] = 1. There the Krylov space was
 * (numerically) invariant, the small remainder r_i of norm beta[i] was
 * dropped and v_{i+1} is a fresh vector orthogonal to v_0 .. v_i, so T_d
 * has a zero at (i, i+1) and A V_d = V_d T_d + sum of the dropped r_i e_i^T
 * + r_j e_d^T. The residual of a Ritz pair (theta, V_d s) is then
 * sqrt(sum over dropped i of (beta[i] s_i)^2 + (beta[j] s_{d-1})^2),
 * which is what gd_krylov_resid returns. */
typedef struct gd_krylov {
    size_t n;           /* dimension of the operator */
    size_t cap;         /* most basis vectors held, <= n */
    size_t d;           /* basis vectors held now */
    int bn;             /* n as a BLAS int */
    double anorm;       /* max ||A v_j|| so far: a lower bound of ||A|| */
    double *V;          /* (cap, n) orthonormal basis, row j = v_j */
    double *w;          /* (n) the next residual vector */
    double *h;          /* (cap) Gram-Schmidt coefficients, first pass */
    double *h2;         /* (cap) Gram-Schmidt coefficients, second pass */
    double *alpha;      /* (cap) diagonal of T */
    double *beta;       /* (cap) beta[j] = ||r_j|| after step j */
    unsigned char *brk; /* (cap) 1 where the coupling beta[j] was dropped */
    double *ev;         /* (cap) eigenvalues of T, ascending */
    double *e;          /* (cap) off-diagonal work copy for dstev */
    double *Z;          /* (cap, cap) column-major eigenvectors of T, ld = d */
} gd_krylov;

/* Relative size of ||r_j|| / ||A|| below which the Krylov space is taken as
 * invariant (a breakdown). Far below any useful tolerance, far above the
 * rounding level (~1e-16 sqrt(n)) that CGS2 leaves. */
#define GD_KRYLOV_BREAKDOWN 1e-12

/* Allocates the basis for an n x n operator and up to cap vectors in one
 * block. GD_EINVAL if n does not fit a BLAS int, GD_ENOMEM. */
gd_status gd_krylov_init(gd_ctx *ctx, gd_krylov *kr, size_t n, size_t cap);
/* Frees the block; safe on a zeroed or already freed basis. */
void gd_krylov_free(gd_krylov *kr);

/* Classical Gram-Schmidt, twice, of x (n) against the d basis vectors
 * (two pairs of dgemv). Returns ||x|| afterwards. */
double gd_krylov_orth(gd_krylov *kr, double *x);
/* Appends x / norm as v_d. Requires d < cap. */
void gd_krylov_push(gd_krylov *kr, const double *x, double norm);

/* One Lanczos step from v_{d-1}: w = A v_{d-1}, orthogonalised against the
 * whole basis (CGS2), alpha[d-1] = v_{d-1}^T A v_{d-1} (both passes'
 * coefficients), beta[d-1] = ||w||. kr->w holds the remainder; the caller
 * pushes it (gd_krylov_push(kr, kr->w, beta)) or declares a breakdown.
 * GD_ENUMERIC if the product is not finite. */
gd_status gd_krylov_step(gd_ctx *ctx, gd_krylov *kr, gd_matvec A, void *data);
/* 1 if beta (a remainder norm) means the Krylov space is invariant. */
int gd_krylov_breakdown(const gd_krylov *kr, double beta);

/* Eigenvalues (kr->ev, ascending) and, if vectors, eigenvectors (kr->Z,
 * column c for ev[c], column-major with leading dimension d) of the
 * tridiagonal T formed by rows first .. d-1 of the basis (LAPACK dstev).
 * GD_ENUMERIC if dstev fails. */
gd_status gd_krylov_ritz(gd_ctx *ctx, gd_krylov *kr, size_t first, int vectors);
/* All eigenvalues (kr->ev, ascending; dsterf) and the eigenvectors of the
 * k largest only (kr->Z columns d-k .. d-1; dstevr, MRRR): O(d^2 + d k)
 * instead of dstev's O(d^3), for the convergence checks. k <= 16. */
gd_status gd_krylov_ritz_top(gd_ctx *ctx, gd_krylov *kr, size_t k);
/* Residual norm of the Ritz pair of column c after gd_krylov_ritz(.., 0, 1)
 * (see the comment on gd_krylov). */
double gd_krylov_resid(const gd_krylov *kr, size_t c);

/* A Rademacher vector: z (n) with entries +-scale, one random bit each. */
void gd_rademacher(gd_rng *r, double *z, size_t n, double scale);

#endif
