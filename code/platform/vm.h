/* platform/vm.h -- virtual memory: reserve address space, commit and
 * decommit pages in it, release it.
 * Design: manual/design/vm.rst
 *
 * A VM is one reservation.  It is a small value struct: the arena copies
 * it into the chunk that the reservation holds (design.vm.value), so a
 * VM never needs memory of its own.  Page protection is a separate
 * module (platform/prot.h, design.vm.prot) that works on committed
 * ranges of a VM; nothing here changes the protection of committed
 * pages after commit. */
#ifndef LAGOON_PLATFORM_VM_H
#define LAGOON_PLATFORM_VM_H

#include "base/check.h"

#define vm_sig_value SIG_VM

typedef struct VM {
  Sig sig;             /* SIG_VM, set last by vm_reserve */
  Addr base, limit;    /* the usable reservation, aligned as asked */
  Addr block_base;     /* what the OS gave, for vm_release */
  Size block_size;
  Size mapped;         /* bytes committed now: design.vm.inv.mapped */
} VM;

/* The operating system's page size: a power of two, fixed for the life
 * of the process. */
Size vm_page_size(void);

/* Reserve `size` bytes of address space (rounded up to the page size)
 * whose base is aligned to `align` (a power of two; rounded up to the
 * page size).  Nothing is committed.  Results: RES_OK; RES_RESOURCE if
 * the address space cannot be had (design.vm.res); RES_PARAM if the size
 * overflows.  *vm_o is written only on success. */
Res vm_reserve(VM *vm_o, Size size, Align align) WARN_UNUSED;

/* Release the whole reservation, committed or not. */
void vm_release(VM *vm);

/* Commit [base, base + size), page-aligned and inside the reservation,
 * readable and writable.  Pages already committed there lose their
 * contents; fresh pages read as zero.  RES_OK, or RES_MEMORY when the
 * OS refuses (the range is then left uncommitted). */
Res vm_commit(VM *vm, Addr base, Size size) WARN_UNUSED;

/* Return the pages of [base, base + size) to the OS.  The range stays
 * reserved, and inaccessible. */
void vm_decommit(VM *vm, Addr base, Size size);

bool vm_check(const VM *vm);

static inline Addr vm_base(const VM *vm) { return vm->base; }
static inline Addr vm_limit(const VM *vm) { return vm->limit; }
static inline Size vm_reserved(const VM *vm) { return vm->limit - vm->base; }
static inline Size vm_mapped(const VM *vm) { return vm->mapped; }

/* Test hook, design.vm.test.fail: make the (n+1)th reserve or commit
 * from now fail once, as if the OS had refused; -1 turns it off.  Apart
 * from fault_inject() (LAGOON_FAIL_AFTER, cool only, every later call
 * fails), this lets a test see that a failure leaves things usable. */
void vm_test_fail_after(long n);

#endif /* LAGOON_PLATFORM_VM_H */
