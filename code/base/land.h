/* base/land.h -- a failover set of free ranges: a CBS backed by a
 * Freelist for when tree nodes cannot be had.
 * Design: manual/design/cbs.rst (design.cbs.land)
 *
 * For pools managing free memory: every range given to a Land must be
 * writable memory (it may end up in the freelist), align >= sizeof(Word).
 * Insertion of free memory never fails for lack of nodes, and neither
 * does deletion (design.cbs.land.never-memory).  From the user's view the
 * union is one coalesced set: a freelist range is never adjacent to a CBS
 * range (design.cbs.land.inv.apart), so every range reported is maximal.
 * No locking: the owner serialises calls. */
#ifndef LAGOON_BASE_LAND_H
#define LAGOON_BASE_LAND_H

#include "base/cbs.h"
#include "base/freelist.h"

#ifndef SIG_LAND
#define SIG_LAND ((Sig)0x5191A4D0)   /* SIGnature LAND */
#endif
#define land_sig_value SIG_LAND

typedef struct Land {
  Sig sig;          /* SIG_LAND, set last by land_init */
  CBS cbs;          /* primary */
  Freelist fl;      /* secondary: ranges the CBS had no node for */
} Land;

/* align >= sizeof(Word), a power of two.  The callbacks are the CBS's. */
void land_init(Land *land, Align align, CBSNodeAllocFn node_alloc,
               CBSNodeFreeFn node_free, void *closure);
/* Free every CBS node; forget the freelist. */
void land_finish(Land *land);
bool land_check(const Land *land);      /* O(1) */
bool land_verify(const Land *land);     /* O(n): both parts and inv.apart */

/* Add a range (non-empty, aligned, writable), coalescing.  RES_OK with
 * *range_o the maximal range that now holds it, or RES_FAIL if it overlaps
 * a range present (nothing changes).  Tries a flush first when the
 * freelist is not empty. */
Res land_insert(Range *range_o, Land *land, const Range *range) WARN_UNUSED;
/* Remove a range wholly inside one range present: RES_OK with *range_o
 * the containing range as it was, or RES_FAIL.  Never RES_MEMORY: when
 * the CBS lacks a node for the upper remainder, that remainder goes to
 * the freelist. */
Res land_delete(Range *range_o, Land *land, const Range *range) WARN_UNUSED;

/* As cbs_find_first/last/largest, over both parts: the lowest (highest,
 * largest, lowest of equal largest) of the two candidates. */
bool land_find_first(Range *range_o, Range *old_o, Land *land, Size size, FindDelete fd);
bool land_find_last(Range *range_o, Range *old_o, Land *land, Size size, FindDelete fd);
bool land_find_largest(Range *range_o, Range *old_o, Land *land, Size size, FindDelete fd);

/* Find the range holding addr. */
bool land_lookup(Range *range_o, const Land *land, Addr addr);

/* Move freelist ranges into the CBS until it runs out of nodes.  Returns
 * true if the freelist is now empty. */
bool land_flush(Land *land);

static inline Size land_size(const Land *land) { return cbs_size(&land->cbs) + freelist_size(&land->fl); }
static inline Count land_count(const Land *land) { return cbs_count(&land->cbs) + freelist_count(&land->fl); }
static inline bool land_is_empty(const Land *land)
{
  return cbs_is_empty(&land->cbs) && freelist_is_empty(&land->fl);
}

/* Visit every range of both parts, merged in address order, until visit
 * returns false; returns false if stopped.  The visitor must not change
 * the land. */
bool land_iterate(Land *land, RangeVisitFn visit, void *closure);

#endif /* LAGOON_BASE_LAND_H */
