/* base/freelist.c -- free ranges as an address-ordered list stored in
 * the free memory itself.
 * Design: manual/design/cbs.rst (design.cbs.freelist) */
#include "base/freelist.h"

/* design.cbs.freelist.block: a block is the range [b, limit).  Word 0 at
 * b holds the address of the next block (0 at the end), with bit 0 set
 * when the block is exactly one align unit; otherwise word 1 holds the
 * limit.  Links are aligned to align >= sizeof(Word) >= 2, so bit 0 is
 * free. */
#define FL_TAG_UNIT ((Word)1)

static inline Word *fl_block_words(Addr b) { return (Word *)addr_ptr(b); }

static inline Addr fl_block_next(Addr b)
{
  return (Addr)(fl_block_words(b)[0] & ~FL_TAG_UNIT);
}

static inline Addr fl_block_limit(const Freelist *fl, Addr b)
{
  const Word *w = fl_block_words(b);
  return (w[0] & FL_TAG_UNIT) != 0 ? b + fl->align : (Addr)w[1];
}

/* Write the block [b, limit) linked to next. */
static inline void fl_block_write(const Freelist *fl, Addr b, Addr limit, Addr next)
{
  Word *w = fl_block_words(b);
  ASSERT_CRIT(b < limit);
  ASSERT_CRIT(addr_is_aligned(next, fl->align));
  if (limit - b == fl->align) {
    w[0] = (Word)next | FL_TAG_UNIT;
  } else {
    w[0] = (Word)next;
    w[1] = (Word)limit;
  }
}

static inline void fl_block_set_next(Addr b, Addr next)
{
  Word *w = fl_block_words(b);
  w[0] = (Word)next | (w[0] & FL_TAG_UNIT);
}

/* Make prev (or the head, when prev is 0) point at block. */
static inline void fl_link_after(Freelist *fl, Addr prev, Addr block)
{
  if (prev == 0)
    fl->head = block;
  else
    fl_block_set_next(prev, block);
}

void freelist_init(Freelist *fl, Align align)
{
  ASSERT(fl != NULL);
  ASSERT(align_check(align));
  ASSERT(align >= sizeof(Word));
  fl->align = align;
  fl->head = 0;
  fl->size = 0;
  fl->count = 0;
  fl->sig = SIG_FREELIST;
  ASSERT_VALID(freelist, fl);
}

void freelist_finish(Freelist *fl)
{
  ASSERT_VALID(freelist, fl);
  fl->sig = SIG_INVALID;
  fl->head = 0;
  fl->size = 0;
  fl->count = 0;
}

bool freelist_check(const Freelist *fl)
{
  CHECK_SIG(fl, SIG_FREELIST);
  CHECK(align_check(fl->align));
  CHECK(fl->align >= sizeof(Word));
  CHECK(addr_is_aligned(fl->head, fl->align));
  CHECK((fl->head == 0) == (fl->count == 0));
  CHECK((fl->head == 0) == (fl->size == 0));
  return true;
}

bool freelist_verify(const Freelist *fl)
{
  Size size = 0;
  Count count = 0;
  Addr prev_limit = 0;

  CHECK(freelist_check(fl));
  for (Addr b = fl->head; b != 0; b = fl_block_next(b)) {
    Addr limit = fl_block_limit(fl, b);
    CHECK(count < fl->count);                          /* no cycle */
    CHECK(addr_is_aligned(b, fl->align));              /* .inv.aligned */
    CHECK(addr_is_aligned(limit, fl->align));
    CHECK(b < limit);
    /* The tag is set exactly for one-unit blocks. */
    CHECK(((fl_block_words(b)[0] & FL_TAG_UNIT) != 0) == (limit - b == fl->align));
    /* .inv.disjoint and .inv.coalesced: a gap before each block. */
    CHECK(count == 0 || b > prev_limit);
    prev_limit = limit;
    size += limit - b;
    ++count;
  }
  CHECK(count == fl->count);
  CHECK(size == fl->size);
  return true;
}

static void fl_check_arg_range(const Freelist *fl, const Range *range)
{
  ASSERT(range != NULL);
  ASSERT(range->base < range->limit);
  ASSERT(range->base != 0);
  ASSERT(range_is_aligned(range, fl->align));
  UNUSED(fl);
  UNUSED(range);
}

Res freelist_insert(Range *range_o, Freelist *fl, const Range *range)
{
  Addr prev = 0, cur, base, limit;
  bool join_low, join_high;

  ASSERT_VALID(freelist, fl);
  ASSERT(range_o != NULL);
  fl_check_arg_range(fl, range);
  base = range->base;
  limit = range->limit;

  /* prev: the last block below base; cur: the first at or above it. */
  for (cur = fl->head; cur != 0 && cur < base; cur = fl_block_next(cur))
    prev = cur;
  if ((prev != 0 && fl_block_limit(fl, prev) > base) || (cur != 0 && cur < limit))
    return RES_FAIL;
  join_low = prev != 0 && fl_block_limit(fl, prev) == base;
  join_high = cur != 0 && cur == limit;

  if (join_low && join_high) {
    Addr cur_limit = fl_block_limit(fl, cur), cur_next = fl_block_next(cur);
    fl_block_write(fl, prev, cur_limit, cur_next);
    fl->count -= 1;
    range_init(range_o, prev, cur_limit);
  } else if (join_low) {
    fl_block_write(fl, prev, limit, cur);
    range_init(range_o, prev, limit);
  } else if (join_high) {
    Addr cur_limit = fl_block_limit(fl, cur), cur_next = fl_block_next(cur);
    fl_block_write(fl, base, cur_limit, cur_next);
    fl_link_after(fl, prev, base);
    range_init(range_o, base, cur_limit);
  } else {
    fl_block_write(fl, base, limit, cur);
    fl_link_after(fl, prev, base);
    fl->count += 1;
    *range_o = *range;
  }
  fl->size += limit - base;
  return RES_OK;
}

Res freelist_delete(Range *range_o, Freelist *fl, const Range *range)
{
  Addr prev = 0, cur, cur_limit, next, base, limit;

  ASSERT_VALID(freelist, fl);
  ASSERT(range_o != NULL);
  fl_check_arg_range(fl, range);
  base = range->base;
  limit = range->limit;

  /* Find the first block ending above base: the only one that could
   * contain the range. */
  for (cur = fl->head; cur != 0; cur = fl_block_next(cur)) {
    if (fl_block_limit(fl, cur) > base)
      break;
    prev = cur;
  }
  if (cur == 0 || cur > base)
    return RES_FAIL;
  cur_limit = fl_block_limit(fl, cur);
  if (limit > cur_limit)
    return RES_FAIL;
  next = fl_block_next(cur);

  if (cur == base && cur_limit == limit) {
    fl_link_after(fl, prev, next);
    fl->count -= 1;
  } else if (cur == base) {
    fl_block_write(fl, limit, cur_limit, next);
    fl_link_after(fl, prev, limit);
  } else if (cur_limit == limit) {
    fl_block_write(fl, cur, base, next);
  } else {
    /* Split: no memory needed, the upper part holds its own link. */
    fl_block_write(fl, limit, cur_limit, next);
    fl_block_write(fl, cur, base, limit);
    fl->count += 1;
  }
  fl->size -= limit - base;
  range_init(range_o, cur, cur_limit);
  return RES_OK;
}

bool freelist_overlaps(const Freelist *fl, const Range *range)
{
  ASSERT_VALID(freelist, fl);
  ASSERT(range != NULL);
  for (Addr b = fl->head; b != 0 && b < range->limit; b = fl_block_next(b))
    if (fl_block_limit(fl, b) > range->base)
      return true;
  return false;
}

bool freelist_lookup(Range *range_o, const Freelist *fl, Addr addr)
{
  ASSERT_VALID(freelist, fl);
  ASSERT(range_o != NULL);
  for (Addr b = fl->head; b != 0 && b <= addr; b = fl_block_next(b)) {
    Addr limit = fl_block_limit(fl, b);
    if (addr < limit) {
      range_init(range_o, b, limit);
      return true;
    }
  }
  return false;
}

/* Find ------------------------------------------------------------------- */

static void fl_check_find_args(const Range *range_o, const Range *old_o, const Freelist *fl,
                            Size size, FindDelete fd)
{
  ASSERT_VALID(freelist, fl);
  ASSERT(range_o != NULL);
  ASSERT(old_o != NULL);
  ASSERT(size > 0);
  ASSERT(size_is_aligned(size, fl->align));
  ASSERT(find_delete_check(fd));
  UNUSED(range_o);
  UNUSED(old_o);
  UNUSED(fl);
  UNUSED(size);
  UNUSED(fd);
}

/* Deliver the found block [b, limit), deleting the part fd says.
 * design.cbs.find.delete */
static void fl_find_finish(Range *range_o, Range *old_o, Freelist *fl, Addr b, Addr limit,
                        Size size, FindDelete fd)
{
  Range old = range_make(b, limit), part;
  switch (fd) {
  case FIND_DELETE_LOW:
    part = range_make(b, b + size);
    break;
  case FIND_DELETE_HIGH:
    part = range_make(limit - size, limit);
    break;
  case FIND_DELETE_NONE:
  case FIND_DELETE_ENTIRE:
  default:
    part = old;
    break;
  }
  if (fd != FIND_DELETE_NONE) {
    Range containing;
    Res res = freelist_delete(&containing, fl, &part);
    ASSERT(res == RES_OK);
    ASSERT(range_equal(&containing, &old));
    UNUSED(res);
  }
  *range_o = part;
  *old_o = old;
}

bool freelist_find_first(Range *range_o, Range *old_o, Freelist *fl, Size size, FindDelete fd)
{
  fl_check_find_args(range_o, old_o, fl, size, fd);
  for (Addr b = fl->head; b != 0; b = fl_block_next(b)) {
    Addr limit = fl_block_limit(fl, b);
    if (limit - b >= size) {
      fl_find_finish(range_o, old_o, fl, b, limit, size, fd);
      return true;
    }
  }
  return false;
}

bool freelist_find_last(Range *range_o, Range *old_o, Freelist *fl, Size size, FindDelete fd)
{
  Addr found = 0, found_limit = 0;
  fl_check_find_args(range_o, old_o, fl, size, fd);
  for (Addr b = fl->head; b != 0; b = fl_block_next(b)) {
    Addr limit = fl_block_limit(fl, b);
    if (limit - b >= size) {
      found = b;
      found_limit = limit;
    }
  }
  if (found == 0)
    return false;
  fl_find_finish(range_o, old_o, fl, found, found_limit, size, fd);
  return true;
}

bool freelist_find_largest(Range *range_o, Range *old_o, Freelist *fl, Size size, FindDelete fd)
{
  Addr found = 0, found_limit = 0;
  fl_check_find_args(range_o, old_o, fl, size, fd);
  for (Addr b = fl->head; b != 0; b = fl_block_next(b)) {
    Addr limit = fl_block_limit(fl, b);
    /* Strictly larger: the lowest of equals wins. */
    if (limit - b >= size && limit - b > found_limit - found) {
      found = b;
      found_limit = limit;
    }
  }
  if (found == 0)
    return false;
  fl_find_finish(range_o, old_o, fl, found, found_limit, size, fd);
  return true;
}

/* Iterate ---------------------------------------------------------------- */

bool freelist_iterate(Freelist *fl, RangeVisitFn visit, void *closure)
{
  ASSERT_VALID(freelist, fl);
  ASSERT(visit != NULL);
  for (Addr b = fl->head; b != 0; b = fl_block_next(b)) {
    Range r = range_make(b, fl_block_limit(fl, b));
    if (!visit(&r, closure))
      return false;
  }
  return true;
}

Addr freelist_first(const Freelist *fl)
{
  ASSERT_VALID(freelist, fl);
  return fl->head;
}

Addr freelist_next(const Freelist *fl, Addr block)
{
  ASSERT_VALID(freelist, fl);
  ASSERT(block != 0);
  UNUSED(fl);
  return fl_block_next(block);
}

void freelist_block_range(Range *range_o, const Freelist *fl, Addr block)
{
  ASSERT_VALID(freelist, fl);
  ASSERT(block != 0);
  range_init(range_o, block, fl_block_limit(fl, block));
}
