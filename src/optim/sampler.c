/* Mini-batch samplers over the indices 0..n-1, driven by the random stream
 * (seed, experiment, 0, 0):
 *   with replacement: each index an independent uniform draw;
 *   without: a fresh uniform permutation each epoch (Fisher-Yates),
 *            consumed in order; a batch that reaches the end of an epoch
 *            is completed from the next one, so every batch has b indices
 *            and every window of n consecutive drawn indices aligned on an
 *            epoch is a permutation.
 * Uniform integers below m use rejection (the threshold 2^64 mod m of
 * OpenBSD's arc4random_uniform) rather than a bare modulo, which would
 * favour small indices when m does not divide 2^64. Memory (the permutation and the batch) is allocated by
 * gd_sampler_new; gd_sampler_next allocates nothing. */
#include "gdlab/optim.h"

#include <stdint.h>

struct gd_sampler {
    size_t n, b;
    int replace;
    gd_rng rng;
    size_t *perm;  /* (n) current epoch's permutation (without replacement) */
    size_t pos;    /* next position in perm; n when a new epoch is due */
    size_t *batch; /* (b) the batch returned by gd_sampler_next */
};

/* A uniform integer in [0, m), m >= 1, without modulo bias: x % m is
 * uniform once x is restricted to [2^64 mod m, 2^64), a range whose length
 * is a multiple of m; (-m) % m is 2^64 mod m in uint64_t arithmetic. */
static uint64_t uniform_below(gd_rng *r, uint64_t m) {
    const uint64_t thresh = (0 - m) % m;
    uint64_t x;
    do x = gd_rng_u64(r);
    while (x < thresh);
    return x % m;
}

/* Fisher-Yates (Durstenfeld): from the identity, swapping position i with
 * a uniform position in [0, i], for i from n - 1 down, makes every
 * permutation equally likely. Starting each epoch from the identity (not
 * from the previous order) makes each epoch's order a function of its own
 * draws only, so a test of one epoch's distribution tests the shuffle and
 * not the mixing of a chain of shuffles. */
static void shuffle(gd_sampler *s) {
    for (size_t i = 0; i < s->n; i++) s->perm[i] = i;
    for (size_t i = s->n; i-- > 1;) {
        size_t j = (size_t)uniform_below(&s->rng, (uint64_t)i + 1);
        size_t t = s->perm[i];
        s->perm[i] = s->perm[j];
        s->perm[j] = t;
    }
}

/* NULL with a message in ctx if n or b is 0 (GD_EINVAL) or on ENOMEM.
 * experiment NULL is the empty name. b may exceed n: without replacement
 * a batch then spans several epochs. */
gd_sampler *gd_sampler_new(gd_ctx *ctx, size_t n, size_t b, int replace,
                           uint64_t seed, const char *experiment) {
    if (n == 0 || b == 0) {
        gd_error(ctx, GD_EINVAL, "sampler: expected n >= 1 indices and batches of b >= 1, "
                 "got n = %zu, b = %zu", n, b);
        return NULL;
    }
    if (n > SIZE_MAX / sizeof(size_t) || b > SIZE_MAX / sizeof(size_t)) {
        gd_error(ctx, GD_ENOMEM, "sampler: n = %zu, b = %zu overflow the memory size", n, b);
        return NULL;
    }
    gd_sampler *s = gd_calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->n = n;
    s->b = b;
    s->replace = replace != 0;
    gd_rng_stream_init(&s->rng, seed, experiment, 0, 0);
    s->batch = gd_malloc(b * sizeof *s->batch);
    if (!s->batch) goto nomem;
    if (!s->replace) {
        s->perm = gd_malloc(n * sizeof *s->perm);
        if (!s->perm) goto nomem;
        s->pos = n;
    }
    return s;
nomem:
    gd_sampler_free(s);
    gd_error(ctx, GD_ENOMEM, "sampler: out of memory for n = %zu, b = %zu", n, b);
    return NULL;
}

void gd_sampler_free(gd_sampler *s) {
    if (!s) return;
    gd_free(s->perm);
    gd_free(s->batch);
    gd_free(s);
}

const size_t *gd_sampler_next(gd_sampler *s) {
    GD_ASSERT(s != NULL);
    if (s->replace) {
        for (size_t i = 0; i < s->b; i++) s->batch[i] = (size_t)uniform_below(&s->rng, s->n);
        return s->batch;
    }
    for (size_t i = 0; i < s->b; i++) {
        if (s->pos == s->n) {
            shuffle(s);
            s->pos = 0;
        }
        s->batch[i] = s->perm[s->pos++];
    }
    return s->batch;
}
