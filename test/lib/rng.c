/* test/lib/rng.c -- a seeded random number generator for tests
 * (xorshift64* seeded through splitmix64). */
#include "rng.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void rng_init(Rng *rng, uint64_t seed)
{
  uint64_t z = seed + 0x9E3779B97F4A7C15u;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  z ^= z >> 31;
  rng->state = z != 0 ? z : 1;
}

uint64_t rng_next(Rng *rng)
{
  uint64_t x = rng->state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng->state = x;
  return x * 0x2545F4914F6CDD1Du;
}

uint64_t rng_below(Rng *rng, uint64_t n)
{
  return n == 0 ? 0 : rng_next(rng) % n;
}

uint64_t rng_range(Rng *rng, uint64_t lo, uint64_t hi)
{
  return lo + rng_below(rng, hi - lo + 1);
}

double rng_double(Rng *rng)
{
  return (double)(rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t rng_seed_from_env(const char *test_name)
{
  const char *s = getenv("LAGOON_SEED");
  uint64_t seed;

  if (s != NULL && *s != '\0')
    seed = strtoull(s, NULL, 0);
  else
    seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
  fprintf(stderr, "%s: seed: %" PRIu64 " (replay with LAGOON_SEED=%" PRIu64 ")\n",
          test_name, seed, seed);
  return seed;
}

unsigned rng_scale(void)
{
  const char *s = getenv("LAGOON_STRESS_SCALE");
  long n = s != NULL ? strtol(s, NULL, 10) : 1;
  return n >= 1 ? (unsigned)n : 1u;
}
