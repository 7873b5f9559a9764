/* test/bench/benchlib.c -- what every benchmark program shares.
 * Design: manual/bench.rst; the contracts are in benchlib.h. */

#define _GNU_SOURCE 1

#include "bench/benchlib.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

_Noreturn void bench_die(const char *fmt, ...)
{
  va_list args;

  fprintf(stderr, "%s: ", bench_program);
  va_start(args, fmt);
  vfprintf(stderr, fmt, args);
  va_end(args);
  fputc('\n', stderr);
  exit(2);
}

#ifdef BENCH_LAGOON
void bench_check_res(mps_res_t res, const char *what)
{
  if (res != MPS_RES_OK)
    bench_die("%s failed: result %d", what, (int)res);
}
#endif

double bench_clock_seconds(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

long bench_peak_rss_kib(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  if (f != NULL) {
    while (fgets(line, sizeof line, f) != NULL)
      if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
        break;
    fclose(f);
  }
  if (kib < 0) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
      bench_die("getrusage failed");
    kib = ru.ru_maxrss;
  }
  return kib;
}

const BenchVariant *bench_variant_find(const BenchVariant *variants,
                                       size_t count, const char *name,
                                       const char *flavour)
{
  for (size_t i = 0; i < count; ++i)
    if (strcmp(variants[i].name, name) == 0
        && strcmp(variants[i].flavour, flavour) == 0)
      return &variants[i];
  return NULL;
}

void bench_variants_print(FILE *f, const BenchVariant *variants,
                          size_t count, const char *flavour)
{
  fprintf(f, "  this build (%s) runs:", flavour);
  for (size_t i = 0; i < count; ++i)
    if (strcmp(variants[i].flavour, flavour) == 0)
      fprintf(f, " %s", variants[i].name);
}
