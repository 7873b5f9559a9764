/* base/range.h -- half-open address ranges [base, limit), and the types
 * shared by the range sets (CBS, Freelist, Land).
 * Design: manual/design/cbs.rst */
#ifndef LAGOON_BASE_RANGE_H
#define LAGOON_BASE_RANGE_H

#include "base/check.h"

typedef struct Range {
  Addr base, limit;   /* base <= limit; empty when equal */
} Range;

static inline void range_init(Range *range, Addr base, Addr limit)
{
  ASSERT_CRIT(base <= limit);
  range->base = base;
  range->limit = limit;
}

static inline Range range_make(Addr base, Addr limit)
{
  Range r;
  range_init(&r, base, limit);
  return r;
}

static inline bool range_check(const Range *range)
{
  CHECK(range != NULL);
  CHECK(range->base <= range->limit);
  return true;
}

static inline Size range_size(const Range *range) { return range->limit - range->base; }
static inline bool range_is_empty(const Range *range) { return range->base == range->limit; }
static inline bool range_contains(const Range *range, Addr addr)
{
  return range->base <= addr && addr < range->limit;
}
/* Is inner wholly inside outer?  An empty inner is inside when its base
 * lies in [outer.base, outer.limit]. */
static inline bool range_contains_range(const Range *outer, const Range *inner)
{
  return outer->base <= inner->base && inner->limit <= outer->limit;
}
/* Do the two ranges share at least one address?  Empty ranges overlap
 * nothing. */
static inline bool range_overlaps(const Range *a, const Range *b)
{
  return a->base < b->limit && b->base < a->limit;
}
static inline bool range_is_aligned(const Range *range, Align align)
{
  return addr_is_aligned(range->base, align) && addr_is_aligned(range->limit, align);
}
static inline bool range_equal(const Range *a, const Range *b)
{
  return a->base == b->base && a->limit == b->limit;
}

/* What a find_* function of a range set does with the range it finds.
 * design.cbs.find.delete */
typedef enum FindDelete {
  FIND_DELETE_NONE = 0,   /* report it; the set is unchanged */
  FIND_DELETE_LOW,        /* delete and return its lowest `size` bytes */
  FIND_DELETE_HIGH,       /* delete and return its highest `size` bytes */
  FIND_DELETE_ENTIRE      /* delete and return all of it */
} FindDelete;

static inline bool find_delete_check(FindDelete fd)
{
  return fd == FIND_DELETE_NONE || fd == FIND_DELETE_LOW ||
         fd == FIND_DELETE_HIGH || fd == FIND_DELETE_ENTIRE;
}

/* Visitor for the iterate functions of range sets: called once per range
 * in address order; return false to stop.  It must not change the set. */
typedef bool (*RangeVisitFn)(const Range *range, void *closure);

#endif /* LAGOON_BASE_RANGE_H */
