/* base/cbs.h -- coalescing block structure: a set of disjoint address
 * ranges in an AVL tree keyed on base, each node augmented with the
 * largest range size in its subtree.
 * Design: manual/design/cbs.rst
 *
 * Invariants (checked by cbs_verify):
 *   design.cbs.inv.disjoint   ranges never overlap;
 *   design.cbs.inv.coalesced  no two ranges are adjacent;
 *   design.cbs.inv.aligned    both ends of every range are `align`-aligned,
 *                             and no range is empty;
 *   design.cbs.inv.max        node->max is the largest size in its subtree;
 *   design.cbs.inv.avl        subtree heights differ by at most one.
 *
 * The CBS never allocates memory itself: tree nodes come from the
 * callbacks given to cbs_init, each of CBS_NODE_SIZE bytes
 * (design.cbs.node.alloc).  No locking: the owner serialises calls. */
#ifndef LAGOON_BASE_CBS_H
#define LAGOON_BASE_CBS_H

#include "base/check.h"
#include "base/range.h"

/* Obtain one node of CBS_NODE_SIZE bytes (pointer-aligned).  Return
 * RES_OK and write *node_o, or a failure code (normally RES_MEMORY) which
 * the CBS passes back to its caller; RES_FAIL is reported as RES_MEMORY so
 * that RES_FAIL always means a bad range. */
typedef Res (*CBSNodeAllocFn)(void **node_o, void *closure);
/* Give back a node obtained from the alloc callback. */
typedef void (*CBSNodeFreeFn)(void *node, void *closure);

/* A tree node.  Private to cbs.c; public only so that its size is known. */
typedef struct CBSNode {
  struct CBSNode *left, *right;
  Addr base, limit;          /* the range [base, limit) */
  Size max;                  /* design.cbs.inv.max */
  unsigned height;           /* leaf = 1; design.cbs.inv.avl */
} CBSNode;

#define CBS_NODE_SIZE (sizeof(CBSNode))
static inline Size cbs_node_size(void) { return CBS_NODE_SIZE; }

#define cbs_sig_value SIG_CBS

typedef struct CBS {
  Sig sig;                   /* SIG_CBS, set last by cbs_init */
  Align align;               /* every range is aligned to this */
  CBSNode *root;             /* NULL when empty */
  CBSNodeAllocFn node_alloc;
  CBSNodeFreeFn node_free;
  void *closure;             /* passed to node_alloc and node_free */
  Size size;                 /* total bytes in all ranges */
  Count count;               /* number of ranges (= nodes) */
} CBS;

/* align: a power of two.  Cannot fail. */
void cbs_init(CBS *cbs, Align align, CBSNodeAllocFn node_alloc,
              CBSNodeFreeFn node_free, void *closure);
/* Free every node through the free callback and invalidate the CBS. */
void cbs_finish(CBS *cbs);
/* Cheap check (signature, fields, root).  O(1). */
bool cbs_check(const CBS *cbs);
/* Full check of every invariant above, plus size and count.  O(n):
 * for tests and debugging. */
bool cbs_verify(const CBS *cbs);

/* Add `range` (non-empty, aligned), coalescing with its neighbours.
 * RES_OK: *range_o is the range that now holds it.
 * RES_FAIL: it overlaps a range present (checked first, so RES_FAIL wins
 *   over RES_MEMORY).
 * RES_MEMORY (or the alloc callback's code): it touches no range and no
 *   node could be had.  On failure the CBS is unchanged.
 * Insertion that coalesces with a neighbour never needs a node.
 * design.cbs.insert */
Res cbs_insert(Range *range_o, CBS *cbs, const Range *range) WARN_UNUSED;

/* Remove `range` (non-empty, aligned), which must lie wholly inside one
 * range present.
 * RES_OK: *range_o is that containing range as it was.
 * RES_FAIL: no range present contains it.
 * RES_MEMORY (or the callback's code): it is strictly inside (touching
 *   neither end) and the node for the upper remainder could not be had.
 * On failure the CBS is unchanged.  design.cbs.delete */
Res cbs_delete(Range *range_o, CBS *cbs, const Range *range) WARN_UNUSED;

/* Find the range holding addr.  O(log n). */
bool cbs_lookup(Range *range_o, const CBS *cbs, Addr addr);

/* Find the lowest-addressed (cbs_find_first), highest-addressed
 * (cbs_find_last) or largest (cbs_find_largest; the lowest of equals)
 * range of at least `size` bytes; size is non-zero and aligned.  On
 * success *old_o is the whole range found and *range_o is the part deleted
 * according to fd (the whole range for FIND_DELETE_NONE, which deletes
 * nothing).  These never need a node, so cannot fail once a range is
 * found.  O(log n).  design.cbs.find */
bool cbs_find_first(Range *range_o, Range *old_o, CBS *cbs, Size size, FindDelete fd);
bool cbs_find_last(Range *range_o, Range *old_o, CBS *cbs, Size size, FindDelete fd);
bool cbs_find_largest(Range *range_o, Range *old_o, CBS *cbs, Size size, FindDelete fd);

static inline Size cbs_size(const CBS *cbs) { return cbs->size; }
static inline Count cbs_count(const CBS *cbs) { return cbs->count; }
static inline bool cbs_is_empty(const CBS *cbs) { return cbs->root == NULL; }
static inline Align cbs_align(const CBS *cbs) { return cbs->align; }
/* Size of the largest range, 0 if empty.  O(1). */
static inline Size cbs_largest_size(const CBS *cbs)
{
  return cbs->root != NULL ? cbs->root->max : 0;
}

/* Call visit on each range in address order until it returns false.
 * Returns false if the visitor stopped the walk.  The visitor must not
 * change the CBS. */
bool cbs_iterate(CBS *cbs, RangeVisitFn visit, void *closure);

#endif /* LAGOON_BASE_CBS_H */
