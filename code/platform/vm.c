/* platform/vm.c -- virtual memory for POSIX systems with mmap.
 * Design: manual/design/vm.rst */
#include "platform/vm.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

static _Atomic Size vm_page_size_cache = 0;

Size vm_page_size(void)
{
  Size ps = atomic_load_explicit(&vm_page_size_cache, memory_order_relaxed);
  if (UNLIKELY(ps == 0)) {
    long r = sysconf(_SC_PAGESIZE);
    ps = r > 0 ? (Size)r : (Size)4096;
    ASSERT(size_is_p2(ps));
    atomic_store_explicit(&vm_page_size_cache, ps, memory_order_relaxed);
  }
  return ps;
}

/* design.vm.test.fail: a one-shot countdown; -1 is off.  Relaxed: a test
 * sets it and then calls in from the same thread. */
static _Atomic long vm_test_fail_countdown = -1;

void vm_test_fail_after(long n)
{
  atomic_store_explicit(&vm_test_fail_countdown, n < 0 ? -1 : n, memory_order_relaxed);
}

static bool vm_should_fail(void)
{
  long n = atomic_load_explicit(&vm_test_fail_countdown, memory_order_relaxed);
  if (n >= 0) {
    atomic_store_explicit(&vm_test_fail_countdown, n - 1, memory_order_relaxed);
    if (n == 0)
      return true;
  }
  return fault_inject();
}

bool vm_check(const VM *vm)
{
  Size ps = vm_page_size();
  CHECK_SIG(vm, SIG_VM);
  CHECK(vm->block_base <= vm->base);
  CHECK(vm->base < vm->limit);
  CHECK(vm->limit <= vm->block_base + vm->block_size);
  CHECK(addr_is_aligned(vm->base, ps));
  CHECK(addr_is_aligned(vm->limit, ps));
  CHECK(vm->mapped <= vm->limit - vm->base);   /* design.vm.inv.mapped */
  return true;
}

Res vm_reserve(VM *vm_o, Size size, Align align)
{
  Size ps = vm_page_size();
  Size block_size, usable;
  void *p;
  Addr block, base;

  ASSERT(vm_o != NULL);
  ASSERT(size > 0);
  ASSERT(align_check(align));
  if (align < ps)
    align = ps;
  usable = size_align_up(size, ps);
  if (usable < size || !size_add_ok(&block_size, usable, align - ps))
    return RES_PARAM;
  if (vm_should_fail())
    return RES_RESOURCE;

  /* design.vm.reserve: inaccessible, and no swap is set aside. */
  p = mmap(NULL, block_size, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return RES_RESOURCE;
  block = ptr_addr(p);
  base = addr_align_up(block, align);

  /* Give back the slop on either side so only [base, base+usable) stays
   * reserved (design.vm.align). */
  if (base > block)
    (void)munmap(p, base - block);
  if (block + block_size > base + usable)
    (void)munmap(addr_ptr(base + usable), block + block_size - (base + usable));

  vm_o->block_base = base;
  vm_o->block_size = usable;
  vm_o->base = base;
  vm_o->limit = base + usable;
  vm_o->mapped = 0;
  vm_o->sig = SIG_VM;
  ASSERT_VALID(vm, vm_o);
  return RES_OK;
}

void vm_release(VM *vm)
{
  Addr block;
  Size size;

  ASSERT_VALID(vm, vm);
  block = vm->block_base;
  size = vm->block_size;
  /* The VM may live inside the memory being unmapped: clear it first. */
  vm->sig = SIG_INVALID;
  (void)munmap(addr_ptr(block), size);
}

__attribute__((unused))
static bool vm_range_ok(const VM *vm, Addr base, Size size)
{
  Size ps = vm_page_size();
  return size > 0 && addr_is_aligned(base, ps) && size_is_aligned(size, ps) &&
         vm->base <= base && base < vm->limit && size <= vm->limit - base;
}

Res vm_commit(VM *vm, Addr base, Size size)
{
  void *p;

  ASSERT_VALID(vm, vm);
  ASSERT(vm_range_ok(vm, base, size));
  if (vm_should_fail())
    return RES_MEMORY;
  /* design.vm.commit: a fixed private mapping counts against the OS's
   * commit charge (no MAP_NORESERVE), so a refusal shows here rather
   * than as a later SIGSEGV or OOM kill. */
  p = mmap(addr_ptr(base), size, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) {
    /* A failed MAP_FIXED may have unmapped the range: re-reserve it so
     * the reservation stays whole. */
    (void)mmap(addr_ptr(base), size, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return RES_MEMORY;
  }
  ASSERT(ptr_addr(p) == base);
  vm->mapped += size;
  return RES_OK;
}

void vm_decommit(VM *vm, Addr base, Size size)
{
  void *p;

  ASSERT_VALID(vm, vm);
  ASSERT(vm_range_ok(vm, base, size));
  ASSERT(size <= vm->mapped);
  /* design.vm.decommit: replacing the pages with a fresh inaccessible
   * no-reserve mapping frees them and their commit charge at once. */
  p = mmap(addr_ptr(base), size, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) {
    /* Cannot happen short of kernel trouble; fall back to dropping the
     * pages and their access. */
    (void)madvise(addr_ptr(base), size, MADV_DONTNEED);
    (void)mprotect(addr_ptr(base), size, PROT_NONE);
  }
  vm->mapped -= size;
}
