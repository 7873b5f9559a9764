/* test/lib/rng.h -- a seeded random number generator for tests.
 *
 * rng_seed_from_env() takes LAGOON_SEED if set (else the time), prints
 * "seed: N" to stderr so a failure can be replayed, and returns it.
 * rng_scale() reads LAGOON_STRESS_SCALE (default 1) for stress tests. */
#ifndef LAGOON_TEST_RNG_H
#define LAGOON_TEST_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct Rng {
  uint64_t state;
} Rng;

void rng_init(Rng *rng, uint64_t seed);
uint64_t rng_next(Rng *rng);
/* Uniform in [0, n); n > 0. */
uint64_t rng_below(Rng *rng, uint64_t n);
/* Uniform in [lo, hi]. */
uint64_t rng_range(Rng *rng, uint64_t lo, uint64_t hi);
double rng_double(Rng *rng);            /* [0, 1) */

uint64_t rng_seed_from_env(const char *test_name);
unsigned rng_scale(void);

#endif /* LAGOON_TEST_RNG_H */
