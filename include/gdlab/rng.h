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
    uint64_t key[2];  /* (seed, hash(experiment)) */
    uint64_t ctr[4];  /* (block index, replica, point, 0); counters with a
                         nonzero last word are gd_rng_normals_zig's side
                         blocks */
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
/* Standard normal variate (GSL's ziggurat driven by this stream: 32 bits
 * of the stream per variate, more when GSL's ziggurat rejects). */
double gd_rng_normal(gd_rng *r);

/* n standard normal variates, the same numbers as n calls of
 * gd_rng_normal (one call for a batch keeps the hot loop in one place). */
void gd_rng_normals(gd_rng *r, double *out, size_t n);

/* n standard normal variates by gdlab's own ziggurat (Marsaglia and Tsang
 * 2000, 512 layers, with Doornik's 2005 independent index bits; described
 * in src/core/rng.c): a different stream of normals from gd_rng_normal's,
 * with a 52-bit uniform per variate instead of GSL's 24, and about twice
 * as fast (about 6 against 13 ns a variate measured on a 2-core AMD EPYC,
 * of which Philox is about 3.5). The Monte Carlo of sgd-1d and sgd-zipf
 * use it.
 * Which numbers: the call takes the next n 64-bit words of the stream, as
 * n calls of gd_rng_u64 would (a pending 32-bit half word of gd_rng_u32
 * stays pending), and variate j is a function of word j alone, plus, for
 * the 0.8% of words the ziggurat's first test rejects, of side blocks
 * keyed by that word's position p in the stream (Philox counters (p,
 * replica, point, c) for c >= 1; the stream's own blocks have c = 0). So
 * the numbers are the same however the n are split into calls (n calls of
 * 1 or one of n), for any number of threads (each replica owns its
 * stream), on every x86-64 CPU (the vector path and the portable one
 * round identically, and the slow path uses no libm function). out (n). */
void gd_rng_normals_zig(gd_rng *r, double *out, size_t n);

/* The same numbers by the portable path only (no vector instructions
 * chosen at run time): for tests that the two agree bit for bit. */
void gd_rng_normals_zig_portable(gd_rng *r, double *out, size_t n);

/* The ziggurat's tables, for tests: X_0..X_C and f(X_i) = exp(-X_i^2/2)
 * (C + 1 entries each, read-only, static), C = 512 layers. Any output may
 * be NULL. */
void gd_rng_zig_tables(const double **x, const double **f, size_t *layers);

/* The ziggurat's own exp(t) (t in [-700, 0]) and log(u) (u a normal double
 * > 0), from basic operations only (the same bits on every CPU), within 2
 * ulps of libm's on 1e6 arguments (tests/test_rng.c): exposed for tests. */
double gd_rng_exp_det(double t);
double gd_rng_log_det(double u);

/* Raw Philox4x64-10 block function, for known-answer tests. */
void gd_rng_philox4x64(const uint64_t ctr[4], const uint64_t key[2],
                       uint64_t out[4]);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
