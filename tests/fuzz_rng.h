/* The fuzz harnesses' random source: xorshift64* (Vigna), small, with a
 * fixed seed, so every platform replays the same inputs. Header-only: each
 * harness is its own program with its own state. */
#ifndef GDLAB_FUZZ_RNG_H
#define GDLAB_FUZZ_RNG_H
#include <stddef.h>
#include <stdint.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/* Uniform in [0, n) (0 when n = 0). */
static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

/* Uniform in [lo, hi). */
static double uniform(double lo, double hi) {
    return lo + (hi - lo) * (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}
#endif
