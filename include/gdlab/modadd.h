/* gdlab modadd: two-layer networks on modular addition, and the Fourier
 * analysis of what they learn (seed 004: Tian, "Composing global solutions
 * to reasoning tasks via algebraic objects in neural nets", arXiv
 * 2410.01779; Gromov, "Grokking modular arithmetic", arXiv 2301.02679).
 *
 * The model. For a pair (a, b) of residues mod p, with one-hot inputs e_a
 * and e_b and no embedding,
 *   h = s_in (W_a e_a + W_b e_b)   (q hidden neurons, bias-free),
 *   o = s_out W_c sigma(h)         (p outputs, bias-free),
 * and the target class y = (a + b) mod p. The fixed scales s_in and s_out
 * are 1 in PyTorch's parameterisation (Tian's) and s_in = 1/sqrt(2p),
 * s_out = 1/q in Gromov's mean-field one, f = W2 (W1 x)^2 / (2p q) with
 * standard normal weights. The parameters live in one
 * buffer w (P = 3 p q) in PyTorch's nn.Linear layout:
 *   W_a (q, p) at 0,  W_b (q, p) at q p,  W_c (p, q) at 2 q p,
 * so neuron j owns row j of W_a and W_b and column j of W_c.
 *
 * Losses, averaged over the n pairs of a batch (stated because every
 * learning rate depends on it; no factor 1/2):
 *   projected-mse: (1/n) sum_i ||P (o_i - e_{y_i})||^2, P = I - 1 1^T / p
 *                  (Tian's objective: the projection removes the constant
 *                  direction, so o need not sum to 1);
 *   mse:           (1/n) sum_i ||o_i - e_{y_i}||^2;
 *   ce:            (1/n) sum_i -log softmax(o_i)_{y_i}.
 *
 * Because the inputs are one-hot, the first layer is a gather of two rows
 * of W_a^T and W_b^T, and its gradient a scatter-add: the work per pass is
 * three matrix products of n x q x p (forward, dW_c, and the hidden
 * gradient), done by OpenBLAS, in float32 (the default: half the time of
 * float64, errors bounded in tests/test_modadd.c) or float64. Parameters,
 * gradients and the optimizer stay in double either way.
 *
 * The analysis (same header, usable without the experiment) is documented
 * at its declarations below. */
#ifndef GDLAB_MODADD_H
#define GDLAB_MODADD_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"
#include "nn.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Persisted by name ("projected-mse", "mse", "ce"): only grows at its end. */
typedef enum gd_modadd_loss {
    GD_MODADD_LOSS_PROJECTED_MSE = 0,
    GD_MODADD_LOSS_MSE,
    GD_MODADD_LOSS_CE
} gd_modadd_loss;

/* Name <-> enum; -1 when unknown. */
int gd_modadd_loss_from_name(const char *name);
const char *gd_modadd_loss_name(gd_modadd_loss l);

typedef struct gd_modadd_params {
    size_t p;            /* modulus, 2 .. 4096; default 23 */
    size_t width;        /* hidden neurons q >= 1; default 512 */
    gd_act act;          /* activation of the hidden layer; default GD_ACT_SQUARE */
    gd_modadd_loss loss; /* default GD_MODADD_LOSS_PROJECTED_MSE */
    int float32;         /* 1: passes in float32 (default), 0: float64 */
    double in_scale;     /* s_in > 0; default 1 */
    double out_scale;    /* s_out > 0; default 1 */
} gd_modadd_params;

gd_modadd_params gd_modadd_default_params(void);

typedef struct gd_modadd gd_modadd;

/* A network for batches of any size, processed in blocks of at most
 * max_block pairs (0: 512), with one workspace per thread of ctx. NULL
 * with a message in ctx on bad parameters or ENOMEM. */
gd_modadd *gd_modadd_new(gd_ctx *ctx, const gd_modadd_params *p, size_t max_block);
/* Frees m; NULL does nothing. */
void gd_modadd_free(gd_modadd *m);

/* P = 3 p q. */
size_t gd_modadd_nparams(const gd_modadd *m);

/* PyTorch's default nn.Linear initialisation, bias-free: every entry of W_a
 * and W_b uniform in +-1/sqrt(p) (fan-in p each), of W_c in +-1/sqrt(q),
 * times scale; drawn from the stream (seed, "modadd-init", 0, 0). */
void gd_modadd_init(const gd_modadd *m, double *w, uint64_t seed, double scale);

/* Every entry normal with mean 0 and standard deviation sd (Gromov's
 * initialisation: sd = 1 with the mean-field scales), from the stream
 * (seed, "modadd-init-normal", 0, 0). */
void gd_modadd_init_normal(const gd_modadd *m, double *w, uint64_t seed, double sd);

/* The loss over the n pairs pairs[i] = a p + b (a, b in 0..p-1; targets
 * (a + b) mod p) and, if grad (P) is non-NULL, its gradient, overwritten.
 * acc, if non-NULL, receives the share of pairs whose argmax output (first
 * maximum) is the target. */
double gd_modadd_loss_grad(gd_modadd *m, const double *w, const uint32_t *pairs, size_t n,
                           double *grad, double *acc);

/* ---- The Fourier analysis ----
 *
 * Convention. For a vector x over Z_p, its DFT is
 *   X_k = sum_{t=0}^{p-1} x_t exp(-2 pi i k t / p),   k = 0 .. p-1,
 * unnormalised (Parseval: sum_t x_t^2 = (1/p) sum_k |X_k|^2). For real x,
 * X_{p-k} = conj(X_k), so frequencies k = 1 .. K, K = (p-1)/2 (p odd;
 * K = p/2 - 1 and the Nyquist term is counted apart for p even) carry all
 * non-constant content. Neuron j has three such vectors: row j of W_a
 * (over a), row j of W_b (over b) and column j of W_c (over c). */

/* Per-neuron spectra. energy (q, K + 1): energy[j (K+1) + k] for k = 0 ..
 * K is the energy of neuron j at frequency k summed over its three
 * vectors, (|A_k|^2 + |A_{p-k}|^2 + same for B and C) / p for k >= 1 and
 * |X_0|^2 / p for k = 0, so that a row sums to the squared norm of the
 * neuron's weights (up to the Nyquist term for p even). coef (q, K, 3)
 * complex (re, im interleaved), may be NULL: coef[((j K + k-1) 3 + v) 2]
 * is X_k / p of vector v (0: W_a row, 1: W_b row, 2: W_c column) at
 * frequency k = 1 .. K: the paper's normalised coefficient. w is a
 * modadd parameter buffer of modulus p and width q. */
gd_status gd_modadd_spectra(gd_ctx *ctx, size_t p, size_t q, const double *w, double *energy,
                            double *coef);


/* The semiring product of two solutions x (m1 neurons) and y (m2 neurons)
 * is the m1 m2 neurons (i, i') whose coefficients at every frequency are
 * products, z_v = x_{v,i} y_{v,i'} (v = a, b, c). A neuron's triple is
 * defined only up to the rescaling (z_a, z_b, z_c) -> (s z_a, s z_b,
 * z_c / s^2), s real and non-zero, which leaves the network unchanged and
 * which weight decay settles per neuron; so the test uses the features
 *   z_a^2 conj(z_c),  z_b^2 conj(z_c),  z_a z_b conj(z_c),  |z_a|^2 conj(z_c),
 * which are invariant under it, multiplicative under the product, and
 * together fix the triple up to that rescaling (the first two alone do
 * not: (i z_a, i z_b, -z_c) has the same ones, and then a product of
 * z_nu and z_syn has three arrangements that look like products). A
 * product group arranged on its m1 x m2 grid has every feature matrix of
 * rank one.
 *
 * gd_modadd_factor_resid: z (n, 3) complex (re, im interleaved) are the
 * triples of n = 2 m2 neurons at one frequency (m2 = 2 or 3). Returns the
 * smallest, over the arrangements of the neurons on a 2 x m2 grid, of
 * the largest res(F) over the four feature matrices F, res(M) = sigma_2(M) / ||M||_F, the relative
 * distance to the nearest rank-one matrix (0 for an exact product, never
 * above 1/sqrt(2) for two rows). If grid is not NULL it
 * receives the best arrangement: grid[r m2 + c] = the neuron at (r, c). */
double gd_modadd_factor_resid(const double *z, size_t m2, size_t *grid);

/* The paper's named constructions (Tian, arXiv 2410.01779, Sec. 5 and
 * its factorize_sol.py), for a group that factors. Persisted by name
 * (gd_modadd_named_name: "none", "nu_i_xi", "nu_syn", "nu_i_synab"):
 * only grows at its end. */
typedef enum gd_modadd_named {
    GD_MODADD_NAMED_NONE = 0,    /* not one of the constructions below */
    GD_MODADD_NAMED_NU_I_XI,     /* order 4: z_{nu=i} * z_xi */
    GD_MODADD_NAMED_NU_SYN,      /* order 6: z_nu * z_syn */
    GD_MODADD_NAMED_NU_I_SYN_AB  /* order 6: z_{nu=i} * z_{syn,alpha beta} (z_syn included) */
} gd_modadd_named;

const char *gd_modadd_named_name(gd_modadd_named c);

/* Classifies a group that factors, z and m2 as for gd_modadd_factor_resid
 * and grid its best arrangement. In the paper's convention (z_a, z_b,
 * conj z_c), each neuron first at the balance weight decay settles
 * (rescaled so that |z_a|^2 + |z_b|^2 = 2 |z_c|^2), a factor written with
 * its first neuron (1, 1, 1) and its product a b c scaled to 1, the
 * factors are labelled, each test within tol (the paper's 0.1):
 *   order 2, second neuron x:  "nu=i" x = (+-i, -+i, 1);  "xi" x_c = +-i;
 *                              "nu"  x_a + x_b = 0  (x = (nu, -nu, -1/nu^2));
 *   order 3, neurons x1, x2:   "syn" {x1, x2} = {w (1,1,1), conj(w) (1,1,1)},
 *                              w = exp(2 pi i / 3), within tol sqrt(3);
 *                              "syn-ab" only the c entries are w, conj(w);
 * and the group is nu_i_xi for (nu=i, xi) in either order, nu_i_synab for
 * (nu=i, syn or syn-ab), nu_syn for (nu, syn) with nu not +-i, none else
 * (a factor may pass two tests: nu = exp(+-i pi/4) is also a xi).
 * The tests are invariant under each neuron's sign (z_a, z_b) -> -(z_a,
 * z_b), the arrangement's row swap and column order. err, if not NULL,
 * receives the paper's factorisation error: the Frobenius norm of the
 * 3 x m2 row ratios (row 1 over row 0 of the balanced triples, signs
 * aligned) minus their mean over the columns; the paper calls a group of
 * order q non-factorable when it exceeds tol sqrt(3 q). */
gd_modadd_named gd_modadd_classify(const double *z, size_t m2, const size_t *grid, double tol, double *err);

typedef struct gd_modadd_analysis_params {
    double inactive;       /* a neuron is inactive when its squared weight norm is below
                              this share of the largest neuron's; default 1e-3 */
    double coef_threshold; /* the paper's rule: neuron j counts for frequency k when
                              |A_k| / p > this, A the DFT of its W_a row (the first
                              layer only, as the paper's code); default 0.05 */
    double factor_tol;     /* a group of order 4 or 6 factors when its residual is
                              below this; default 0.1 */
    double named_tol;      /* tolerance of gd_modadd_classify; default 0.1 */
} gd_modadd_analysis_params;

gd_modadd_analysis_params gd_modadd_analysis_default_params(void);

typedef struct gd_modadd_neuron {
    int active;   /* 1 unless below the inactive threshold */
    size_t freq;  /* dominant frequency 1 .. K (largest energy over k >= 1) */
    double share; /* the energy at freq over the neuron's total energy */
    double norm2; /* squared norm of its three weight vectors */
    size_t freq_in;  /* the same for its input weights alone (W_a and W_b rows: */
    double share_in; /* its features, Gromov's periodic functions) */
} gd_modadd_neuron;

typedef struct gd_modadd_freq {
    size_t order;        /* scale-free rule: active neurons whose dominant frequency is k */
    size_t order_paper;  /* the paper's rule: neurons with |A_k|/p > coef_threshold */
    double r_kkk_re, r_kkk_im; /* 2 p r_kkk (1 at a global optimum) */
    double factor_resid; /* for order 4 or 6 (scale-free rule): gd_modadd_factor_resid; NAN else */
    double factor_err;   /* for order 4 or 6: the paper's error (gd_modadd_classify); NAN else */
    gd_modadd_named named; /* for order 4 or 6 with factor_err <= named_tol sqrt(3 order), the
                              paper's factorable groups: its construction; NONE else */
} gd_modadd_freq;

/* Analyses the weights w of a network of modulus p (odd, >= 3) and width
 * q: neurons (q) and freqs (K) are filled; *r_off receives the largest
 * |2 p r_{k1 k2 k}| over k = 1..K and signed k1, k2 in +-(1..K) with
 * (k1, k2) != (k, k), where
 *   r_{k1 k2 k} = sum_j z_{a,k1,j} z_{b,k2,j} conj(z_{c,k,j}),
 *   z_{v,-k,j} = conj(z_{v,k,j}),
 * the coefficient of o at frequencies (k1, k2; k) divided by 2 p^3: the
 * network fits the target (a + b) mod p exactly only if 2 p r_kkk = 1 and
 * every other such r vanishes (the squared terms of x^2 live at k1 = 0 or
 * k2 = 0 and do not enter). GD_EINVAL for even p. */
gd_status gd_modadd_analyse(gd_ctx *ctx, size_t p, size_t q, const double *w,
                            const gd_modadd_analysis_params *ap, gd_modadd_neuron *neurons,
                            gd_modadd_freq *freqs, double *r_off);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
