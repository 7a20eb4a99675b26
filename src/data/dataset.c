/* Data sets in memory: construction and freeing, standardisation, subsets
 * (first n or class-balanced) and network targets (one-hot or value). */
#include <math.h>
#include <string.h>

#include "data/data_internal.h"

gd_dataset *gd_data_alloc(const char *name, size_t n, size_t d) {
    GD_ASSERT(name != NULL && n >= 1 && d >= 1);
    if (n > (size_t)-1 / d || n * d > (size_t)-1 / sizeof(double)) return NULL;
    gd_dataset *ds = gd_calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->n = n;
    ds->d = d;
    ds->name = gd_strdup(name);
    ds->x = gd_malloc(n * d * sizeof *ds->x);
    ds->y = gd_malloc(n * sizeof *ds->y);
    if (!ds->name || !ds->x || !ds->y) {
        gd_data_free(ds);
        return NULL;
    }
    return ds;
}

void gd_data_free(gd_dataset *ds) {
    if (!ds) return;
    gd_free(ds->name);
    gd_free(ds->x);
    gd_free(ds->y);
    gd_free(ds);
}

/* Column j becomes (x - mean) / sd with the population variance
 * sd^2 = (1/n) sum (x - mean)^2, computed in two passes (the mean first,
 * then the centred sum of squares, which loses no accuracy to
 * cancellation). A column whose values are all equal is set to 0: testing
 * min == max rather than sd == 0 catches the case where the rounded mean
 * differs from the common value by an ulp and sd comes out as 1e-17. */
void gd_data_standardize(gd_dataset *ds) {
    GD_ASSERT(ds != NULL);
    size_t n = ds->n, d = ds->d;
    for (size_t j = 0; j < d; j++) {
        double *col = ds->x + j;
        double sum = 0.0, lo = col[0], hi = col[0];
        for (size_t i = 0; i < n; i++) {
            double v = col[i * d];
            sum += v;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (lo == hi) {
            for (size_t i = 0; i < n; i++) col[i * d] = 0.0;
            continue;
        }
        double mean = sum / (double)n, ss = 0.0;
        for (size_t i = 0; i < n; i++) {
            double c = col[i * d] - mean;
            ss += c * c;
        }
        double sd = sqrt(ss / (double)n);
        for (size_t i = 0; i < n; i++) col[i * d] = (col[i * d] - mean) / sd;
    }
}

/* Copies example src of ds to row dst of out. */
static void copy_row(gd_dataset *out, size_t dst, const gd_dataset *ds, size_t src) {
    memcpy(out->x + dst * ds->d, ds->x + src * ds->d, ds->d * sizeof *ds->x);
    out->y[dst] = ds->y[src];
}

/* Balanced selection: classes 0, 1, ..., k-1 in turn, each contributing its
 * next example in order of appearance, a class that has run out being
 * skipped. next[c] is the index from which to search for class c's next
 * example, so the whole selection costs O(k n) at worst. The subset keeps
 * the round-robin order, which interleaves the classes. */
static gd_status subset_balanced(gd_ctx *ctx, const gd_dataset *ds, size_t n,
                                 gd_dataset *out) {
    size_t k = ds->k, *next = gd_calloc(k, sizeof *next);
    if (!next) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", ds->name);
    size_t taken = 0;
    while (taken < n) {
        for (size_t c = 0; c < k && taken < n; c++) {
            size_t i = next[c];
            while (i < ds->n && ds->y[i] != (double)c) i++;
            next[c] = i < ds->n ? i + 1 : i;
            if (i < ds->n) copy_row(out, taken++, ds, i);
        }
    }
    gd_free(next);
    return GD_OK;
}

gd_status gd_data_subset(gd_ctx *ctx, const gd_dataset *ds, size_t n,
                         int balanced, gd_dataset **out) {
    GD_ASSERT(ds != NULL && out != NULL);
    *out = NULL;
    if (n == 0 || n > ds->n)
        return gd_error(ctx, GD_EINVAL,
                        "%s: a subset of %zu examples (the data set has %zu; "
                        "need 1 to %zu)", ds->name, n, ds->n, ds->n);
    if (balanced && ds->k == 0)
        return gd_error(ctx, GD_EINVAL,
                        "%s: a balanced subset needs classes, and the target "
                        "is a regression value", ds->name);
    gd_dataset *s = gd_data_alloc(ds->name, n, ds->d);
    if (!s) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", ds->name);
    s->k = ds->k;
    if (balanced) {
        gd_status st = subset_balanced(ctx, ds, n, s);
        if (st != GD_OK) {
            gd_data_free(s);
            return st;
        }
    } else {
        memcpy(s->x, ds->x, n * ds->d * sizeof *ds->x);
        memcpy(s->y, ds->y, n * sizeof *ds->y);
    }
    *out = s;
    return GD_OK;
}

void gd_data_targets(const gd_dataset *ds, double *out) {
    GD_ASSERT(ds != NULL && out != NULL);
    if (ds->k == 0) {
        memcpy(out, ds->y, ds->n * sizeof *out);
        return;
    }
    size_t k = ds->k;
    memset(out, 0, ds->n * k * sizeof *out);
    for (size_t i = 0; i < ds->n; i++) {
        double c = ds->y[i];
        GD_ASSERT(c >= 0.0 && c < (double)k && c == floor(c));
        out[i * k + (size_t)c] = 1.0;
    }
}
