/* platform/prot.h -- page protection: make committed pages trap reads,
 * writes or both.
 * Design: manual/design/shield.rst (design.shield.prot)
 *
 * The shield (trace/shield.h) is the only caller: it decides what each
 * segment's pages should trap and batches the changes; this module only
 * maps an AccessSet to the operating system's protection of a range.
 * design.vm.prot: the VM module never changes the protection of a
 * committed page, so the two do not interfere. */
#ifndef LAGOON_PLATFORM_PROT_H
#define LAGOON_PLATFORM_PROT_H

#include "base/check.h"

/* Make [base, base + size) trap the accesses in `mode` (ACCESS_NONE: no
 * trap, the pages are readable and writable).  base and size are
 * multiples of the page size and the range is committed.  Some modes
 * trap more than asked (design.shield.prot.mode): prot_traps tells
 * what a mode really traps.  Any thread, any lock; cannot fail (a
 * refusal by the OS is asserted against: design.shield.prot.fail). */
void prot_set(Addr base, Size size, AccessSet mode);

/* The accesses that really trap on pages protected with `mode`: with
 * mprotect a read barrier traps writes too (design.shield.prot.mode). */
AccessSet prot_traps(AccessSet mode);

/* The protection to lift so that an access of kind `access` (ACCESS_READ,
 * ACCESS_WRITE, or ACCESS_RW if unknown) no longer traps: a write needs
 * both barriers lifted, a read only the read barrier. */
AccessSet prot_lift_for(AccessSet access);

/* Test counter, design.shield.prot.count: the number of prot_set calls
 * (system calls) this process has made.  Relaxed atomic. */
Count prot_set_count(void);

#endif /* LAGOON_PLATFORM_PROT_H */
