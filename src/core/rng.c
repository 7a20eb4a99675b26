/* Random streams: Philox4x64-10 from Random123, keyed by (seed,
 * experiment), with the counter (block, replica, grid point, 0). Every
 * (seed, experiment, point, replica) is its own stream of 2^64 blocks of
 * four 64-bit words, so results do not depend on how replicas are spread
 * over threads. Normal variates come from GSL's ziggurat driven by this
 * stream through a gsl_rng view that allocates nothing. */
#include "gdlab/rng.h"

#include <Random123/philox.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

uint64_t gd_rng_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

void gd_rng_philox4x64(const uint64_t ctr[4], const uint64_t key[2],
                       uint64_t out[4]) {
    philox4x64_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    philox4x64_key_t k = {{key[0], key[1]}};
    philox4x64_ctr_t r = philox4x64(c, k);
    for (int i = 0; i < 4; i++) out[i] = r.v[i];
}

void gd_rng_stream_init(gd_rng *r, uint64_t seed, const char *experiment,
                        uint64_t point, uint64_t replica) {
    r->key[0] = seed;
    r->key[1] = gd_rng_hash(experiment ? experiment : "");
    r->ctr[0] = 0;
    r->ctr[1] = replica;
    r->ctr[2] = point;
    r->ctr[3] = 0;
    r->used = 4;
    r->has_half = 0;
    r->half = 0;
}

uint64_t gd_rng_u64(gd_rng *r) {
    if (r->used == 4) {
        gd_rng_philox4x64(r->ctr, r->key, r->buf);
        r->ctr[0]++;
        r->used = 0;
    }
    return r->buf[r->used++];
}

uint32_t gd_rng_u32(gd_rng *r) {
    if (r->has_half) {
        r->has_half = 0;
        return r->half;
    }
    uint64_t w = gd_rng_u64(r);
    r->half = (uint32_t)(w >> 32);
    r->has_half = 1;
    return (uint32_t)w;
}

double gd_rng_uniform(gd_rng *r) {
    /* (k + 0.5) / 2^53 with k in [0, 2^53): in (0, 1), never 0 or 1. */
    return ((double)(gd_rng_u64(r) >> 11) + 0.5) * 0x1p-53;
}

/* The gsl_rng view: a type whose state is a gd_rng. */
static void view_set(void *state, unsigned long seed) {
    (void)state;
    (void)seed;
}
static unsigned long view_get(void *state) { return gd_rng_u32(state); }
static double view_get_double(void *state) { return gd_rng_uniform(state); }

static const gsl_rng_type view_type = {
    "gdlab-philox4x64", 0xffffffffUL, 0, sizeof(gd_rng),
    view_set, view_get, view_get_double};

double gd_rng_normal(gd_rng *r) {
    gsl_rng view = {&view_type, r};
    return gsl_ran_gaussian_ziggurat(&view, 1.0);
}

void gd_rng_normals(gd_rng *r, double *out, size_t n) {
    gsl_rng view = {&view_type, r};
    for (size_t i = 0; i < n; i++) out[i] = gsl_ran_gaussian_ziggurat(&view, 1.0);
}
