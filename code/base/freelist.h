/* base/freelist.h -- a set of free ranges kept as an address-ordered
 * singly linked list stored in the free memory itself.
 * Design: manual/design/cbs.rst (design.cbs.freelist)
 *
 * Needs no allocation, but every range given to it must be writable
 * memory, which it overwrites.  align >= sizeof(Word).  A range of one
 * align unit holds only its next link, tagged in the low bit, so its size
 * is implicit; a larger one holds its next link and its limit
 * (design.cbs.freelist.block).  The same invariants as the CBS hold:
 * disjoint, coalesced, aligned, non-empty.  Operations are O(n).
 * No locking: the owner serialises calls. */
#ifndef LAGOON_BASE_FREELIST_H
#define LAGOON_BASE_FREELIST_H

#include "base/check.h"
#include "base/range.h"

#ifndef SIG_FREELIST
#define SIG_FREELIST ((Sig)0x519F4EE1)   /* SIGnature FREEList */
#endif
#define freelist_sig_value SIG_FREELIST

typedef struct Freelist {
  Sig sig;          /* SIG_FREELIST, set last by freelist_init */
  Align align;      /* >= sizeof(Word); every range aligned to it */
  Addr head;        /* lowest block, 0 when empty */
  Size size;        /* total bytes in all ranges */
  Count count;      /* number of ranges */
} Freelist;

void freelist_init(Freelist *fl, Align align);
/* Forget every range (the memory is not touched). */
void freelist_finish(Freelist *fl);
bool freelist_check(const Freelist *fl);       /* O(1) */
bool freelist_verify(const Freelist *fl);      /* O(n): every invariant */

/* Add range, coalescing with neighbours.  RES_OK with *range_o the range
 * that now holds it, or RES_FAIL if it overlaps a range present (the
 * freelist is then unchanged).  Never needs memory. */
Res freelist_insert(Range *range_o, Freelist *fl, const Range *range) WARN_UNUSED;
/* Remove range, which must lie wholly inside one range present: RES_OK
 * with *range_o that containing range as it was, or RES_FAIL.  Never
 * needs memory, so never RES_MEMORY. */
Res freelist_delete(Range *range_o, Freelist *fl, const Range *range) WARN_UNUSED;

/* Does any range present overlap range? */
bool freelist_overlaps(const Freelist *fl, const Range *range);
/* Find the range holding addr. */
bool freelist_lookup(Range *range_o, const Freelist *fl, Addr addr);

/* As cbs_find_first/last/largest (base/cbs.h). */
bool freelist_find_first(Range *range_o, Range *old_o, Freelist *fl, Size size, FindDelete fd);
bool freelist_find_last(Range *range_o, Range *old_o, Freelist *fl, Size size, FindDelete fd);
bool freelist_find_largest(Range *range_o, Range *old_o, Freelist *fl, Size size, FindDelete fd);

static inline Size freelist_size(const Freelist *fl) { return fl->size; }
static inline Count freelist_count(const Freelist *fl) { return fl->count; }
static inline bool freelist_is_empty(const Freelist *fl) { return fl->head == 0; }

/* Visit ranges in address order until visit returns false; returns false
 * if stopped.  The visitor must not change the freelist. */
bool freelist_iterate(Freelist *fl, RangeVisitFn visit, void *closure);

/* A cursor for walking ranges in address order without a callback:
 *   for (Addr b = freelist_first(fl); b != 0; b = freelist_next(fl, b))
 *     freelist_block_range(&r, fl, b);
 * Invalidated by any change to the freelist. */
Addr freelist_first(const Freelist *fl);
Addr freelist_next(const Freelist *fl, Addr block);
void freelist_block_range(Range *range_o, const Freelist *fl, Addr block);

#endif /* LAGOON_BASE_FREELIST_H */
