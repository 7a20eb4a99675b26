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

/* One block of m in [m0, m1): the first violation (or -1) and the minimum
 * of B over the block, or with stop over m up to the first violation. */
typedef struct blk {
    long first, argmin;
    double min;
} blk;

static void block_fp64(const double *th, const double *cr, const double *sr, size_t h, long m0,
                       long m1, double bound, double b, size_t d, int stop, blk *o) {
    double c[MAXH], s[MAXH];
    for (size_t i = 0; i < h; i++) {
        const double hi = (double)m0 * th[i], lo = fma((double)m0, th[i], -hi);
        const double ch = cos(hi), sh = sin(hi);
        c[i] = ch - sh * lo, s[i] = sh + ch * lo;
    }
    o->first = -1, o->min = INFINITY, o->argmin = m0;
    for (long m = m0; m < m1; m++) {
        double sum = 0;
        for (size_t i = 0; i < h; i++) sum += c[i];
        int viol = sum < 0;
        if (viol && sum >= -bound) viol = sum_ld(h, m, b, d) < 0; /* inside the bound: decide exactly */
        if (sum < o->min) o->min = sum, o->argmin = m;
        if (viol && o->first < 0) {
            o->first = m;
            if (stop) return;
        }
#pragma omp simd
        for (size_t i = 0; i < h; i++) {
            const double cn = c[i] * cr[i] - s[i] * sr[i];
            s[i] = s[i] * cr[i] + c[i] * sr[i];
            c[i] = cn;
        }
    }
}

static void block_fp32(const float *thf, size_t h, long m0, long m1, int stop, blk *o) {
    o->first = -1, o->min = INFINITY, o->argmin = m0;
    for (long m = m0; m < m1; m++) {
        double sum = 0;
        const float mf = (float)m;
        for (size_t i = 0; i < h; i++) {
            const float a = mf * thf[i];
            sum += cos((double)a);
        }
        if (sum < o->min) o->min = sum, o->argmin = m;
        if (sum < 0 && o->first < 0) {
            o->first = m;
            if (stop) return;
        }
    }
}

gd_status gd_rope_check_base(gd_ctx *ctx, size_t d, long L, double b, int fp32, int early_exit,
                             gd_rope_check *out) {
    GD_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    if (d < 2 || d > 2 * MAXH || d % 2)
        return gd_error(ctx, GD_EINVAL, "rope: the dimension must be even, in [2, %d] (got %zu)", 2 * MAXH, d);
    if (L < 1 || L > (1L << 31))
        return gd_error(ctx, GD_EINVAL, "rope: the context must be in [1, 2^31] (got %ld)", L);
    if (!(b > 1) || !isfinite(b))
        return gd_error(ctx, GD_EINVAL, "rope: the base must be finite and > 1 (got %g)", b);
    const size_t h = d / 2;
    double th[MAXH], cr[MAXH], sr[MAXH], thsum = 0;
    float thf[MAXH];
    for (size_t i = 0; i < h; i++) {
        th[i] = pow(b, -2.0 * (double)i / (double)d);
        cr[i] = cos(th[i]), sr[i] = sin(th[i]);
        thf[i] = (float)th[i];
        thsum += th[i];
    }
    const double bound = fp32 ? 0 : (double)h * (8.0 * BLOCK + 8) * DBL_EPSILON + 2.0 * (double)L * thsum * DBL_EPSILON;
    const long nb = (L + BLOCK - 1) / BLOCK;
    blk *bl = malloc((size_t)nb * sizeof *bl);
    if (!bl) return gd_error(ctx, GD_ENOMEM, "rope: out of memory for %ld blocks", nb);
    long stop = nb; /* the first block with a violation (early exit) */
    const int nth = ctx && ctx->threads > 0 ? ctx->threads : 1;
#pragma omp parallel for schedule(dynamic, 4) num_threads(nth)
    for (long k = 0; k < nb; k++) {
        long cur;
#pragma omp atomic read
        cur = stop;
        if (early_exit && k > cur) {
            bl[k].first = -2; /* skipped */
            continue;
        }
        const long m0 = k * BLOCK, m1 = m0 + BLOCK < L ? m0 + BLOCK : L;
        if (fp32) block_fp32(thf, h, m0, m1, early_exit, &bl[k]);
        else block_fp64(th, cr, sr, h, m0, m1, bound, b, d, early_exit, &bl[k]);
        if (bl[k].first >= 0) {
#pragma omp critical /* unnamed: a named section exports a symbol */
            if (k < stop) stop = k;
        }
    }
    out->first_violation_m = -1, out->min_sum = INFINITY, out->argmin_m = 0, out->err_bound = bound;
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
    free(bl);
    return GD_OK;
}

gd_rope_search_params gd_rope_search_default_params(void) {
    return (gd_rope_search_params){.start = 2, .ratio = 0.01, .rel_tol = 1e-6, .max_base = 1e15};
}

gd_status gd_rope_min_base(gd_ctx *ctx, size_t d, long L, int fp32, const gd_rope_search_params *sp,
                           double *base, long *evaluations) {
    GD_ASSERT(sp != NULL && base != NULL && evaluations != NULL);
    *base = NAN, *evaluations = 0;
    if (!(sp->start > 1) || !(sp->ratio > 0) || !(sp->rel_tol > 0) || !(sp->max_base > sp->start))
        return gd_error(ctx, GD_EINVAL, "rope search: need start > 1, ratio > 0, rel_tol > 0, max_base > start "
                        "(got %g, %g, %g, %g)", sp->start, sp->ratio, sp->rel_tol, sp->max_base);
    gd_rope_check c;
    gd_status st;
    double lo = NAN, hi = NAN;
    for (double bk = sp->start; bk <= sp->max_base; bk *= 1 + sp->ratio) {
        if ((st = gd_rope_check_base(ctx, d, L, bk, fp32, 1, &c)) != GD_OK) return st;
        ++*evaluations;
        if (c.feasible) {
            hi = bk;
            break;
        }
        lo = bk;
    }
    if (isnan(hi)) return GD_OK;
    if (isnan(lo)) { /* the first grid point is feasible */
        *base = hi;
        return GD_OK;
    }
    while (hi - lo > sp->rel_tol * hi) {
        const double mid = 0.5 * (lo + hi);
        if ((st = gd_rope_check_base(ctx, d, L, mid, fp32, 1, &c)) != GD_OK) return st;
        ++*evaluations;
        if (c.feasible) hi = mid;
        else lo = mid;
    }
    *base = hi;
    return GD_OK;
}
