/* gdlab random streams: Philox4x64-10 (Random123), counter based.
 *
 * A stream is keyed by (seed, experiment, grid point, replica): the same key
 * gives the same numbers whatever the number of threads or ranks, because
 * each replica owns its stream and no stream is shared. Streams are plain
 * structs on the stack: making one allocates nothing. */
#ifndef GDLAB_RNG_H
#define GDLAB_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef struct gd_rng {
    uint64_t key[2];  /* (seed, hash(experiment) ^ grid point) */
    uint64_t ctr[4];  /* (block index, replica, 0, 0) */
    uint64_t buf[4];  /* current output block */
    int used;         /* number of words of buf consumed, 0..4 */
    uint32_t half;    /* a spare 32-bit half word */
    int has_half;
} gd_rng;

/* 64-bit FNV-1a hash of a string: the experiment part of a key. */
uint64_t gd_rng_hash(const char *s);

/* Initialises the stream for (seed, experiment name, grid point, replica). */
void gd_rng_stream_init(gd_rng *r, uint64_t seed, const char *experiment,
                        uint64_t point, uint64_t replica);

/* Next 64 random bits. */
uint64_t gd_rng_u64(gd_rng *r);
/* Next 32 random bits. */
uint32_t gd_rng_u32(gd_rng *r);
/* Uniform double in (0, 1): 53 random bits, never 0 or 1. */
double gd_rng_uniform(gd_rng *r);
/* Standard normal variate (GSL's ziggurat driven by this stream). */
double gd_rng_normal(gd_rng *r);

/* n standard normal variates, the same numbers as n calls of
 * gd_rng_normal (one call for a batch keeps the hot loop in one place). */
void gd_rng_normals(gd_rng *r, double *out, size_t n);

/* Raw Philox4x64-10 block function, for known-answer tests. */
void gd_rng_philox4x64(const uint64_t ctr[4], const uint64_t key[2],
                       uint64_t out[4]);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
