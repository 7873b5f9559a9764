/* platform/prot.c -- page protection with mprotect (POSIX).
 * Design: manual/design/shield.rst (design.shield.prot) */
#include "platform/prot.h"
#include "platform/vm.h"

#include <stdatomic.h>
#include <sys/mman.h>

/* design.shield.prot.count: how many times prot_set reached the OS.
 * Relaxed: a counter for tests and statistics, read after the fact. */
static _Atomic Count prot_calls = 0;

Count prot_set_count(void)
{
  return atomic_load_explicit(&prot_calls, memory_order_relaxed);
}

AccessSet prot_traps(AccessSet mode)
{
  ASSERT_CRIT(mode <= ACCESS_RW);
  /* design.shield.prot.mode: pages that cannot be read cannot be written
   * either (PROT_WRITE without PROT_READ is not portable), so a read
   * barrier is a barrier to every access. */
  if (mode & ACCESS_READ)
    return ACCESS_RW;
  return mode;
}

AccessSet prot_lift_for(AccessSet access)
{
  ASSERT_CRIT(access != ACCESS_NONE && access <= ACCESS_RW);
  return (access & ACCESS_WRITE) ? ACCESS_RW : ACCESS_READ;
}

static int prot_flags(AccessSet mode)
{
  switch (prot_traps(mode)) {
  case ACCESS_NONE:
    return PROT_READ | PROT_WRITE;
  case ACCESS_WRITE:
    return PROT_READ;
  default:
    return PROT_NONE;
  }
}

void prot_set(Addr base, Size size, AccessSet mode)
{
  int r;

  ASSERT(mode <= ACCESS_RW);
  ASSERT(size > 0);
  ASSERT(addr_is_aligned(base, vm_page_size()) && size_is_aligned(size, vm_page_size()));
  atomic_fetch_add_explicit(&prot_calls, 1, memory_order_relaxed);
  r = mprotect(addr_ptr(base), size, prot_flags(mode));
  /* design.shield.prot.fail: the range is committed and ours, so only
   * the kernel's limit on mappings (each change of protection inside a
   * mapping splits it) can refuse.  The shield merges neighbouring
   * segments with the same mode to stay clear of it; running into it
   * is a broken assumption, not an error a client could handle. */
  ASSERT(r == 0);
  UNUSED(r);
}
