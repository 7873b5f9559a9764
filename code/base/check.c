/* base/check.c -- assertion failure and check reporting.
 * Design: manual/design/check.rst */
#include "base/check.h"

#include <stdatomic.h>
#include <stdlib.h>

void check_fail(const char *file, unsigned line, const char *cond)
{
  mps_lib_assert_fail(file, line, cond);
  /* A client handler that returns leaves us nowhere safe to go. */
  abort();
}

void check_report(const char *file, unsigned line, const char *cond)
{
  mps_lib_FILE *err = mps_lib_get_stderr();
  char buf[24];
  unsigned n = line;
  int i = (int)sizeof buf - 1;

  /* Print through the plinth; no stdio in the library core. */
  buf[i] = '\0';
  do {
    buf[--i] = (char)('0' + n % 10);
    n /= 10;
  } while (n != 0 && i > 0);
  (void)mps_lib_fputs("lagoon: check failed: ", err);
  (void)mps_lib_fputs(file, err);
  (void)mps_lib_fputc(':', err);
  (void)mps_lib_fputs(&buf[i], err);
  (void)mps_lib_fputs(": ", err);
  (void)mps_lib_fputs(cond, err);
  (void)mps_lib_fputc('\n', err);
}

#if CONFIG_FAULT_INJECT
/* design.check.fail-after: read once; -1 means off.  Relaxed atomics:
 * the count is only a rough trigger for tests. */
static _Atomic long fail_after = -2;

bool fault_inject(void)
{
  long n = atomic_load_explicit(&fail_after, memory_order_relaxed);
  if (n == -2) {
    const char *s = getenv("LAGOON_FAIL_AFTER");
    n = s != NULL ? strtol(s, NULL, 10) : -1;
    if (n < 0)
      n = -1;
    atomic_store_explicit(&fail_after, n, memory_order_relaxed);
  }
  if (n < 0)
    return false;
  if (n == 0)
    return true;
  atomic_fetch_sub_explicit(&fail_after, 1, memory_order_relaxed);
  return false;
}
#endif
