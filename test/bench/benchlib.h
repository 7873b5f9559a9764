/* test/bench/benchlib.h -- what every benchmark program shares: fatal
 * set-up errors, clocks, the checksum, peak RSS and the variant table.
 * Design: manual/bench.rst
 *
 * tool/bench/run compiles benchlib.c into every build of a program (it is
 * in each benchmark's extra_sources), with that build's -D flags, so the
 * Lagoon-only part below is there exactly when BENCH_LAGOON is. */
#ifndef LAGOON_TEST_BENCHLIB_H
#define LAGOON_TEST_BENCHLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#ifdef BENCH_LAGOON
#include "mps.h"
#endif

/* The program's name, which prefixes every message of bench_die; each
 * program defines it. */
extern const char bench_program[];

/* bench_die -- a usage or set-up error: print "PROGRAM: " and the
 * message to stderr and exit 2, as the protocol says. */
_Noreturn void bench_die(const char *fmt, ...)
  __attribute__((format(printf, 1, 2), cold));

#ifdef BENCH_LAGOON
/* bench_check_res -- bench_die with "WHAT failed: result N" unless res is
 * MPS_RES_OK. */
void bench_check_res(mps_res_t res, const char *what);
#endif

/* bench_clock_seconds -- clock `id` (CLOCK_MONOTONIC for wall time,
 * CLOCK_PROCESS_CPUTIME_ID for CPU time) in seconds. */
double bench_clock_seconds(clockid_t id);

/* bench_peak_rss_kib -- the process's peak resident set in KiB.  Linux
 * keeps getrusage's ru_maxrss across execve, so a child of a big parent
 * (the Python driver) would report the parent's size: this reads the
 * image's own high-water mark, VmHWM, and uses ru_maxrss only where there
 * is no /proc. */
long bench_peak_rss_kib(void);

/* The checksum: FNV-1a on 64-bit words.  Start from BENCH_FOLD_BASIS and
 * fold in each word; inline, as allocbench folds in its timed loop. */
#define BENCH_FOLD_BASIS UINT64_C(0xCBF29CE484222325)

static inline __attribute__((always_inline)) void bench_fold(uint64_t *sum,
                                                             uint64_t word)
{
  *sum = (*sum ^ word) * UINT64_C(0x100000001B3);
}

/* A variant as the command line names it, and the build that has it
 * (BENCH_FLAVOUR: lagoon, boehm, malloc, ...).  kind is the program's
 * own code for the path it takes (its Kind enumeration, or 0). */
typedef struct BenchVariant {
  const char *name;
  const char *flavour;
  int kind;
} BenchVariant;

/* bench_variant_find -- the variant called name in this build (flavour)
 * among variants[0..count), or NULL. */
const BenchVariant *bench_variant_find(const BenchVariant *variants,
                                       size_t count, const char *name,
                                       const char *flavour);

/* bench_variants_print -- the usage line "  this build (FLAVOUR) runs:"
 * and the names of its variants, without the newline. */
void bench_variants_print(FILE *f, const BenchVariant *variants,
                          size_t count, const char *flavour);

#endif /* LAGOON_TEST_BENCHLIB_H */
