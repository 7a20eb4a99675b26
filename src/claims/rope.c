/* The RoPE base bound: feasibility of a base by the rotation recurrence
 * with exact re-anchoring, and the stated search for the smallest
 * feasible base (claims.h). */
#include "gdlab/claims.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 1024
#define MAXH 2048 /* d/2 <= 2048 */

/* B(m) in long double, directly: the arbiter of a sum inside the bound. */
static long double sum_ld(size_t h, long m, double b, size_t d) {
    long double s = 0;
    for (size_t i = 0; i < h; i++) {
        const long double th = powl((long double)b, -2.0L * (long double)i / (long double)d);
        s += cosl((long double)m * th);
    }
    return s;
}

/* The frequencies of base b: theta_i, cos and sin of theta_i, the float
 * theta_i, and the error bound of a recurrence sum (claims.h). */
typedef struct freqs {
    size_t h, d;
    double b, bound, thsum, K; /* K = sum_i (2i/d) theta_i / b, the Lipschitz factor of the scan */
    double th[MAXH], cr[MAXH], sr[MAXH];
    float thf[MAXH];
} freqs;

static void freqs_init(freqs *f, size_t d, long L, double b, int fp32) {
    f->h = d / 2, f->d = d, f->b = b, f->K = 0;
    double thsum = 0;
    for (size_t i = 0; i < f->h; i++) {
        f->th[i] = pow(b, -2.0 * (double)i / (double)d);
        f->cr[i] = cos(f->th[i]), f->sr[i] = sin(f->th[i]);
        f->thf[i] = (float)f->th[i];
        thsum += f->th[i];
        f->K += 2.0 * (double)i / (double)d * f->th[i];
    }
    f->K = f->K / b * (1 + 1e-12); /* rounded up */
    f->thsum = thsum;
    f->bound = fp32 ? 0 : (double)f->h * (8.0 * BLOCK + 8) * DBL_EPSILON + 2.0 * (double)L * thsum * DBL_EPSILON;
}

/* The exclusion radii of the scan: the NCAND largest seen. */
#define NCAND 64
typedef struct cands {
    int n;
    long m[NCAND];
    double r[NCAND];
} cands;

static void cands_add(cands *c, long m, double r) {
    int k;
    if (c->n < NCAND) k = c->n++;
    else if (r <= c->r[NCAND - 1]) return; /* full, and r is not among the largest */
    else k = NCAND - 1;
    while (k > 0 && c->r[k - 1] < r) c->r[k] = c->r[k - 1], c->m[k] = c->m[k - 1], k--;
    c->r[k] = r, c->m[k] = m;
}

/* One block of m in [m0, m1): the first violation (or -1) and the minimum
 * of B over the block, or with stop over m up to the first violation;
 * with rad, the exclusion radius of every certified violation. */
typedef struct blk {
    long first, argmin;
    double min;
} blk;

static void block_fp64(const freqs *f, long m0, long m1, int stop, blk *o, cands *rad) {
    const size_t h = f->h;
    double c[MAXH], s[MAXH];
    for (size_t i = 0; i < h; i++) {
        const double hi = (double)m0 * f->th[i], lo = fma((double)m0, f->th[i], -hi);
        const double ch = cos(hi), sh = sin(hi);
        c[i] = ch - sh * lo, s[i] = sh + ch * lo;
    }
    o->first = -1, o->min = INFINITY, o->argmin = m0;
    for (long m = m0; m < m1; m++) {
        double sum = 0;
        for (size_t i = 0; i < h; i++) sum += c[i];
        int viol = sum < 0;
        if (viol && sum >= -f->bound) viol = sum_ld(h, m, f->b, f->d) < 0; /* inside the bound: decide exactly */
        else if (viol && rad) cands_add(rad, m, (-sum - f->bound) / ((double)m * f->K));
        if (sum < o->min) o->min = sum, o->argmin = m;
        if (viol && o->first < 0) {
            o->first = m;
            if (stop) return;
        }
#pragma omp simd
        for (size_t i = 0; i < h; i++) {
            const double cn = c[i] * f->cr[i] - s[i] * f->sr[i];
            s[i] = s[i] * f->cr[i] + c[i] * f->sr[i];
            c[i] = cn;
        }
    }
}

static void block_fp32(const freqs *f, long m0, long m1, int stop, blk *o) {
    o->first = -1, o->min = INFINITY, o->argmin = m0;
    for (long m = m0; m < m1; m++) {
        double sum = 0;
        const float mf = (float)m;
        for (size_t i = 0; i < f->h; i++) {
            const float a = mf * f->thf[i];
            sum += cos((double)a);
        }
        if (sum < o->min) o->min = sum, o->argmin = m;
        if (sum < 0 && o->first < 0) {
            o->first = m;
            if (stop) return;
        }
    }
}

static gd_status check_args(gd_ctx *ctx, size_t d, long L, double b) {
    if (d < 2 || d > 2 * MAXH || d % 2)
        return gd_error(ctx, GD_EINVAL, "rope: the dimension must be even, in [2, %d] (got %zu)", 2 * MAXH, d);
    if (L < 1 || L > (1L << 31))
        return gd_error(ctx, GD_EINVAL, "rope: the context must be in [1, 2^31] (got %ld)", L);
    if (!(b > 1) || !isfinite(b))
        return gd_error(ctx, GD_EINVAL, "rope: the base must be finite and > 1 (got %g)", b);
    return GD_OK;
}

static int nthreads(const gd_ctx *ctx) { return ctx && ctx->threads > 0 ? ctx->threads : 1; }

gd_status gd_rope_check_base(gd_ctx *ctx, size_t d, long L, double b, int fp32, int early_exit,
                             gd_rope_check *out) {
    GD_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    gd_status st = check_args(ctx, d, L, b);
    if (st != GD_OK) return st;
    freqs f;
    freqs_init(&f, d, L, b, fp32);
    const long nb = (L + BLOCK - 1) / BLOCK;
    blk *bl = gd_malloc((size_t)nb * sizeof *bl);
    if (!bl) return gd_error(ctx, GD_ENOMEM, "rope: out of memory for %ld blocks", nb);
    long stop = nb; /* the first block with a violation (early exit) */
#pragma omp parallel for schedule(dynamic, 4) num_threads(nthreads(ctx))
    for (long k = 0; k < nb; k++) {
        long cur;
#pragma omp atomic read
        cur = stop;
        if (early_exit && k > cur) {
            bl[k].first = -2; /* skipped */
            continue;
        }
        const long m0 = k * BLOCK, m1 = m0 + BLOCK < L ? m0 + BLOCK : L;
        if (fp32) block_fp32(&f, m0, m1, early_exit, &bl[k]);
        else block_fp64(&f, m0, m1, early_exit, &bl[k], NULL);
        if (bl[k].first >= 0) {
#pragma omp critical /* unnamed: a named section exports a symbol */
            if (k < stop) stop = k;
        }
    }
    out->first_violation_m = -1, out->min_sum = INFINITY, out->argmin_m = 0, out->err_bound = f.bound;
    const long last = early_exit && stop < nb ? stop : nb - 1;
    for (long k = 0; k <= last; k++) {
        const long m1 = (k + 1) * BLOCK < L ? (k + 1) * BLOCK : L;
        out->evaluated += early_exit && bl[k].first >= 0 ? bl[k].first - k * BLOCK + 1 : m1 - k * BLOCK;
        if (bl[k].min < out->min_sum) out->min_sum = bl[k].min, out->argmin_m = bl[k].argmin;
        if (bl[k].first >= 0 && out->first_violation_m < 0) {
            out->first_violation_m = bl[k].first;
            if (early_exit) break;
        }
    }
    out->feasible = out->first_violation_m < 0;
    gd_free(bl);
    return GD_OK;
}

/* The exclusion radii of every certified violation at f->b (the NCAND
 * largest, merged over blocks). */
static gd_status scan_radii(gd_ctx *ctx, const freqs *f, long L, cands *out) {
    const long nb = (L + BLOCK - 1) / BLOCK;
    cands *per = gd_malloc((size_t)nb * sizeof *per);
    if (!per) return gd_error(ctx, GD_ENOMEM, "rope: out of memory for %ld blocks", nb);
#pragma omp parallel for schedule(dynamic, 4) num_threads(nthreads(ctx))
    for (long k = 0; k < nb; k++) {
        blk o;
        per[k].n = 0;
        block_fp64(f, k * BLOCK, (k + 1) * BLOCK < L ? (k + 1) * BLOCK : L, 0, &o, &per[k]);
    }
    out->n = 0;
    for (long k = 0; k < nb; k++)
        for (int j = 0; j < per[k].n; j++) cands_add(out, per[k].m[j], per[k].r[j]);
    gd_free(per);
    return GD_OK;
}

/* The largest radius among the candidates at f->b, each B_b(m) evaluated
 * directly in double with the angle m theta_i split exactly (fma); its
 * error, below (2 m sum_i theta_i + h (h + 4)) eps (the double theta_i,
 * the cosines, the sum), is subtracted. */
static double cands_best(const freqs *f, const cands *c) {
    double best = 0;
    for (int j = 0; j < c->n; j++) {
        const double m = (double)c->m[j];
        double s = 0;
        for (size_t i = 0; i < f->h; i++) {
            const double hi = m * f->th[i], lo = fma(m, f->th[i], -hi);
            s += cos(hi) - sin(hi) * lo;
        }
        const double eps = (2 * m * f->thsum + (double)f->h * ((double)f->h + 4)) * DBL_EPSILON;
        if (s < -eps) {
            const double r = (-s - eps) / (m * f->K);
            if (r > best) best = r;
        }
    }
    return best;
}

static gd_status min_base_certified(gd_ctx *ctx, size_t d, long L, const gd_rope_search_params *sp,
                                    gd_rope_search *out) {
    freqs *f = gd_malloc(sizeof *f);
    if (!f) return gd_error(ctx, GD_ENOMEM, "rope: out of memory");
    cands c = {0};
    gd_status st = GD_OK;
    for (double b = sp->start; b <= sp->max_base;) {
        freqs_init(f, d, L, b, 0);
        out->evaluations++;
        double r = cands_best(f, &c);
        if (r < sp->rel_tol * b) {
            out->full_scans++;
            if ((st = scan_radii(ctx, f, L, &c)) != GD_OK) break;
            r = c.n ? c.r[0] : 0;
            if (c.n == 0) { /* no certified violation: decide exactly */
                gd_rope_check chk;
                if ((st = gd_rope_check_base(ctx, d, L, b, 0, 1, &chk)) != GD_OK) break;
                if (chk.feasible) {
                    out->base = b;
                    break;
                }
            }
            if (r < sp->rel_tol * b) r = sp->rel_tol * b, out->uncertified_steps++;
        }
        b += r * (1 - 1e-12);
    }
    gd_free(f);
    return st;
}

static gd_status min_base_grid(gd_ctx *ctx, size_t d, long L, const gd_rope_search_params *sp,
                               gd_rope_search *out) {
    gd_rope_check c;
    gd_status st;
    double lo = NAN, hi = NAN;
    for (double bk = sp->start; bk <= sp->max_base; bk *= 1 + sp->ratio) {
        if ((st = gd_rope_check_base(ctx, d, L, bk, 1, 1, &c)) != GD_OK) return st;
        out->evaluations++, out->full_scans++;
        if (c.feasible) {
            hi = bk;
            break;
        }
        lo = bk;
    }
    if (isnan(hi)) return GD_OK;
    while (!isnan(lo) && hi - lo > sp->rel_tol * hi) {
        const double mid = 0.5 * (lo + hi);
        if ((st = gd_rope_check_base(ctx, d, L, mid, 1, 1, &c)) != GD_OK) return st;
        out->evaluations++, out->full_scans++;
        if (c.feasible) hi = mid;
        else lo = mid;
    }
    out->base = hi;
    return GD_OK;
}

gd_rope_search_params gd_rope_search_default_params(void) {
    return (gd_rope_search_params){.start = 2, .ratio = 0.01, .rel_tol = 1e-6, .max_base = 1e15};
}

gd_status gd_rope_min_base(gd_ctx *ctx, size_t d, long L, int fp32, const gd_rope_search_params *sp,
                           gd_rope_search *out) {
    GD_ASSERT(sp != NULL && out != NULL);
    *out = (gd_rope_search){.base = NAN};
    if (!(sp->start > 1) || !(sp->ratio > 0) || !(sp->rel_tol > 0) || !(sp->max_base > sp->start))
        return gd_error(ctx, GD_EINVAL, "rope search: need start > 1, ratio > 0, rel_tol > 0, max_base > start "
                        "(got %g, %g, %g, %g)", sp->start, sp->ratio, sp->rel_tol, sp->max_base);
    gd_status st = check_args(ctx, d, L, sp->start);
    if (st != GD_OK) return st;
    return fp32 ? min_base_grid(ctx, d, L, sp, out) : min_base_certified(ctx, d, L, sp, out);
}
