/* platform/plinth.c -- the default plinth (mpslib.h) on the C library.
 * Design: manual/design/vm.rst (design.vm.plinth)
 *
 * The library reaches its environment only through these functions, so
 * a client can supply its own plinth.  They may be called from a fault
 * handler: none touches memory the MPS manages. */
#include "base/config.h"
#include "base/public.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

mps_lib_FILE *mps_lib_get_stderr(void)
{
  return (mps_lib_FILE *)stderr;
}

mps_lib_FILE *mps_lib_get_stdout(void)
{
  return (mps_lib_FILE *)stdout;
}

int mps_lib_get_EOF(void)
{
  return EOF;
}

int mps_lib_fputc(int c, mps_lib_FILE *stream)
{
  return fputc(c, (FILE *)stream);
}

int mps_lib_fputs(const char *s, mps_lib_FILE *stream)
{
  return fputs(s, (FILE *)stream);
}

void *mps_lib_memset(void *s, int c, size_t n)
{
  return memset(s, c, n);
}

void *mps_lib_memcpy(void *dest, const void *source, size_t n)
{
  return memcpy(dest, source, n);
}

int mps_lib_memcmp(const void *s1, const void *s2, size_t n)
{
  return memcmp(s1, s2, n);
}

/* design.vm.plinth.clock: a monotonic clock in microseconds, so that
 * pause-time decisions are not upset by changes to the wall clock. */
mps_clock_t mps_clock(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return (mps_clock_t)clock();
  return (mps_clock_t)ts.tv_sec * 1000000u + (mps_clock_t)ts.tv_nsec / 1000u;
}

mps_clock_t mps_clocks_per_sec(void)
{
  return 1000000u;
}

/* MPS_TELEMETRY_CONTROL: a number is the filter itself; otherwise words
 * naming event categories (any case, separated by blanks, commas or
 * bars), "all" for every one.  Unset or unrecognised means 0. */
unsigned long mps_lib_telemetry_control(void)
{
  static const char *const names[] = {
    "arena", "pool", "trace", "seg", "ref", "object", "user"
  };
  const char *s = getenv("MPS_TELEMETRY_CONTROL");
  unsigned long mask = 0;
  char *end;

  if (s == NULL)
    return 0;
  mask = strtoul(s, &end, 0);
  if (end != s && *end == '\0')
    return mask;
  mask = 0;
  while (*s != '\0') {
    size_t len;
    s += strspn(s, " \t,|");
    len = strcspn(s, " \t,|");
    if (len == 0)
      break;
    if (len == 3 && strncasecmp(s, "all", 3) == 0)
      mask = ~0ul;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
      if (strlen(names[i]) == len && strncasecmp(s, names[i], len) == 0)
        mask |= 1ul << i;
    s += len;
  }
  return mask;
}

/* design.vm.plinth.assert: report the failure and stop.  The library
 * cannot go on safely after a broken invariant, so the default handler
 * aborts in every variety. */
static void plinth_default_assert_fail(const char *file, unsigned line, const char *condition)
{
  fflush(stdout);
  fprintf(stderr, "%s:%u: MPS ASSERTION FAILED: %s\n",
          file != NULL ? file : "?", line, condition != NULL ? condition : "?");
  fflush(stderr);
  abort();
}

/* Guarded by nothing: installing a handler is meant to happen before
 * arenas exist; the atomic keeps a racing reader from seeing a torn
 * pointer. */
static _Atomic(mps_lib_assert_fail_t) plinth_assert_handler = plinth_default_assert_fail;

void mps_lib_assert_fail(const char *file, unsigned line, const char *condition)
{
  mps_lib_assert_fail_t h = atomic_load_explicit(&plinth_assert_handler, memory_order_acquire);
  h(file, line, condition);
}

mps_lib_assert_fail_t mps_lib_assert_fail_install(mps_lib_assert_fail_t handler)
{
  if (handler == NULL)
    handler = plinth_default_assert_fail;
  return atomic_exchange_explicit(&plinth_assert_handler, handler, memory_order_acq_rel);
}
