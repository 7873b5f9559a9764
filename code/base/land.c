/* base/land.c -- failover set of free ranges: CBS first, Freelist when
 * the CBS has no node.
 * Design: manual/design/cbs.rst (design.cbs.land) */
#include "base/land.h"

void land_init(Land *land, Align align, CBSNodeAllocFn node_alloc,
               CBSNodeFreeFn node_free, void *closure)
{
  ASSERT(land != NULL);
  ASSERT(align_check(align));
  ASSERT(align >= sizeof(Word));
  cbs_init(&land->cbs, align, node_alloc, node_free, closure);
  freelist_init(&land->fl, align);
  land->sig = SIG_LAND;
  ASSERT_VALID(land, land);
}

void land_finish(Land *land)
{
  ASSERT_VALID(land, land);
  land->sig = SIG_INVALID;
  freelist_finish(&land->fl);
  cbs_finish(&land->cbs);
}

bool land_check(const Land *land)
{
  CHECK_SIG(land, SIG_LAND);
  CHECK(cbs_check(&land->cbs));
  CHECK(freelist_check(&land->fl));
  CHECK(land->cbs.align == land->fl.align);
  return true;
}

/* Merged walk ------------------------------------------------------------ */

typedef struct LandMergeWalk {
  Freelist *fl;
  Addr block;           /* next freelist block to visit, 0 at the end */
  RangeVisitFn visit;
  void *closure;
} LandMergeWalk;

/* Visit the freelist ranges below addr (all of them when addr is 0). */
static bool land_merge_walk_freelist(LandMergeWalk *mw, Addr addr)
{
  while (mw->block != 0 && (addr == 0 || mw->block < addr)) {
    Range r;
    freelist_block_range(&r, mw->fl, mw->block);
    mw->block = freelist_next(mw->fl, mw->block);
    if (!mw->visit(&r, mw->closure))
      return false;
  }
  return true;
}

static bool land_merge_walk_visit(const Range *range, void *closure)
{
  LandMergeWalk *mw = closure;
  if (!land_merge_walk_freelist(mw, range->base))
    return false;
  return mw->visit(range, mw->closure);
}

bool land_iterate(Land *land, RangeVisitFn visit, void *closure)
{
  LandMergeWalk mw;
  ASSERT_VALID(land, land);
  ASSERT(visit != NULL);
  mw.fl = &land->fl;
  mw.block = freelist_first(&land->fl);
  mw.visit = visit;
  mw.closure = closure;
  if (!cbs_iterate(&land->cbs, land_merge_walk_visit, &mw))
    return false;
  return land_merge_walk_freelist(&mw, 0);
}

typedef struct LandVerifyApart {
  bool first, ok;
  Addr prev_limit;
} LandVerifyApart;

static bool land_verify_apart_visit(const Range *range, void *closure)
{
  LandVerifyApart *va = closure;
  /* Across both parts, each range starts strictly after the previous one
   * ends: disjoint, and design.cbs.land.inv.apart. */
  if (!va->first && range->base <= va->prev_limit) {
    va->ok = false;
    return false;
  }
  va->first = false;
  va->prev_limit = range->limit;
  return true;
}

bool land_verify(const Land *land)
{
  LandVerifyApart va = {true, true, 0};
  CHECK(land_check(land));
  CHECK(cbs_verify(&land->cbs));
  CHECK(freelist_verify(&land->fl));
  (void)land_iterate((Land *)land, land_verify_apart_visit, &va);
  CHECK(va.ok);
  return true;
}

/* Insert, delete, flush -------------------------------------------------- */

/* Move a freelist range adjacent to the CBS range r into the CBS, where it
 * coalesces with r and so needs no node.  design.cbs.land.inv.apart */
static void land_absorb(Range *r_io, Land *land, Addr addr)
{
  Range fr, old, merged;
  Res res;
  if (!freelist_lookup(&fr, &land->fl, addr))
    return;
  res = freelist_delete(&old, &land->fl, &fr);
  ASSERT(res == RES_OK);
  res = cbs_insert(&merged, &land->cbs, &fr);
  ASSERT(res == RES_OK);     /* coalesced with *r_io: design.cbs.insert */
  ASSERT(range_contains_range(&merged, r_io));
  UNUSED(res);
  *r_io = merged;
}

bool land_flush(Land *land)
{
  ASSERT_VALID(land, land);
  while (!freelist_is_empty(&land->fl)) {
    Range fr, r, old;
    Res res;
    freelist_block_range(&fr, &land->fl, freelist_first(&land->fl));
    /* Into the CBS first, so that a failure leaves the range where it
     * was.  fr touches no CBS range, so this needs a node. */
    res = cbs_insert(&r, &land->cbs, &fr);
    if (res != RES_OK) {
      ASSERT(res != RES_FAIL);
      return false;
    }
    ASSERT(range_equal(&r, &fr));
    res = freelist_delete(&old, &land->fl, &fr);
    ASSERT(res == RES_OK);
    UNUSED(res);
  }
  return true;
}

/* design.cbs.land.insert */
Res land_insert(Range *range_o, Land *land, const Range *range)
{
  Range r;
  Res res;

  ASSERT_VALID(land, land);
  ASSERT(range_o != NULL);
  ASSERT(range != NULL);
  ASSERT(range->base < range->limit);

  if (!freelist_is_empty(&land->fl) && freelist_overlaps(&land->fl, range))
    return RES_FAIL;
  res = cbs_insert(&r, &land->cbs, range);
  if (res == RES_FAIL)
    return RES_FAIL;
  if (res != RES_OK) {
    /* No node, so range touches no CBS range (it would have coalesced),
     * and inv.apart holds for it in the freelist. */
    res = freelist_insert(&r, &land->fl, range);
    ASSERT(res == RES_OK);
    *range_o = r;
    return RES_OK;
  }
  if (!freelist_is_empty(&land->fl)) {
    ASSERT(r.limit != 0);
    land_absorb(&r, land, r.base - 1);
    land_absorb(&r, land, r.limit);
    /* Nodes may be available again: design.cbs.land.flush */
    (void)land_flush(land);
  }
  *range_o = r;
  return RES_OK;
}

/* design.cbs.land.never-memory */
Res land_delete(Range *range_o, Land *land, const Range *range)
{
  Range old;
  Res res;

  ASSERT_VALID(land, land);
  ASSERT(range_o != NULL);

  res = cbs_delete(&old, &land->cbs, range);
  if (res == RES_FAIL) {
    if (freelist_is_empty(&land->fl))
      return RES_FAIL;
    res = freelist_delete(&old, &land->fl, range);
    if (res != RES_OK)
      return res;
  } else if (res != RES_OK) {
    /* Strictly inside a CBS range and no node for the upper remainder:
     * cut the CBS range down to its lower remainder (no node needed)
     * and put the upper one in the freelist.  The upper remainder's
     * limit was the CBS range's, so it touches nothing: inv.apart. */
    Range low_cut, high, tmp;
    bool found = cbs_lookup(&old, &land->cbs, range->base);
    ASSERT(found);
    UNUSED(found);
    range_init(&low_cut, range->base, old.limit);
    range_init(&high, range->limit, old.limit);
    res = cbs_delete(&tmp, &land->cbs, &low_cut);
    ASSERT(res == RES_OK);
    res = freelist_insert(&tmp, &land->fl, &high);
    ASSERT(res == RES_OK);
    UNUSED(res);
  }
  *range_o = old;
  return RES_OK;
}

bool land_lookup(Range *range_o, const Land *land, Addr addr)
{
  ASSERT_VALID(land, land);
  return cbs_lookup(range_o, &land->cbs, addr) ||
         freelist_lookup(range_o, &land->fl, addr);
}

/* Find ------------------------------------------------------------------- */

/* design.cbs.land.find: ask both parts without deleting, choose, then
 * find again in the chosen part with fd, which finds the same range
 * (the searches are deterministic) and cannot fail. */
typedef enum { LAND_FIND_FIRST, LAND_FIND_LAST, LAND_FIND_LARGEST } LandFind;

static bool land_find(Range *range_o, Range *old_o, Land *land, Size size,
                      FindDelete fd, LandFind how)
{
  typedef bool (*CBSFindFn)(Range *, Range *, CBS *, Size, FindDelete);
  typedef bool (*FLFindFn)(Range *, Range *, Freelist *, Size, FindDelete);
  static const CBSFindFn cbs_find[] = {cbs_find_first, cbs_find_last, cbs_find_largest};
  static const FLFindFn fl_find[] = {freelist_find_first, freelist_find_last,
                                     freelist_find_largest};
  Range cr, cold, fr, fold;
  bool in_cbs, in_fl, use_cbs, found;

  ASSERT_VALID(land, land);
  ASSERT(find_delete_check(fd));
  in_cbs = cbs_find[how](&cr, &cold, &land->cbs, size, FIND_DELETE_NONE);
  in_fl = !freelist_is_empty(&land->fl) &&
          fl_find[how](&fr, &fold, &land->fl, size, FIND_DELETE_NONE);
  if (!in_cbs && !in_fl)
    return false;
  if (!in_fl) {
    use_cbs = true;
  } else if (!in_cbs) {
    use_cbs = false;
  } else {
    switch (how) {
    case LAND_FIND_FIRST:
      use_cbs = cold.base < fold.base;
      break;
    case LAND_FIND_LAST:
      use_cbs = cold.base > fold.base;
      break;
    case LAND_FIND_LARGEST:
    default:
      use_cbs = range_size(&cold) > range_size(&fold) ||
                (range_size(&cold) == range_size(&fold) && cold.base < fold.base);
      break;
    }
  }
  if (fd == FIND_DELETE_NONE) {
    *range_o = *old_o = use_cbs ? cold : fold;
    return true;
  }
  if (use_cbs)
    found = cbs_find[how](&cr, &cold, &land->cbs, size, fd);
  else
    found = fl_find[how](&cr, &cold, &land->fl, size, fd);
  ASSERT(found);
  UNUSED(found);
  *range_o = cr;
  *old_o = cold;
  return true;
}

bool land_find_first(Range *range_o, Range *old_o, Land *land, Size size, FindDelete fd)
{
  return land_find(range_o, old_o, land, size, fd, LAND_FIND_FIRST);
}

bool land_find_last(Range *range_o, Range *old_o, Land *land, Size size, FindDelete fd)
{
  return land_find(range_o, old_o, land, size, fd, LAND_FIND_LAST);
}

bool land_find_largest(Range *range_o, Range *old_o, Land *land, Size size, FindDelete fd)
{
  return land_find(range_o, old_o, land, size, fd, LAND_FIND_LARGEST);
}
