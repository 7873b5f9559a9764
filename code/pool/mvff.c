/* pool/mvff.c -- MVFF (Manual Variable First Fit) pool class and its
 * debugging variant.
 * Design: manual/design/mvff.rst */
#include "pool/mvff.h"
#include "pool/buffer.h"
#include "base/args.h"

#define MVFF_NODE_EXTEND ((Size)16384)

bool mvff_check(const MVFF *mvff)
{
  CHECK(pool_check(&mvff->pool));
  CHECK(pool_class_is_subclass(mvff->pool.klass, &mvff_class));
  CHECK(land_check(&mvff->free_land));
  CHECK(mvff->extend_by > 0 && mvff->mean_size > 0);
  CHECK(mvff->spare >= 0.0 && mvff->spare <= 1.0);
  CHECK_BOOL(mvff->arena_high);
  CHECK_BOOL(mvff->slot_high);
  CHECK_BOOL(mvff->first_fit);
  /* design.mvff.inv.free: free memory lies in the pool's segments */
  CHECK(land_size(&mvff->free_land) + mvff->cache_size <= mvff->total_size);
  CHECK(mvff->cache_max <= MVFF_CACHE_MAX_SIZE);
  CHECK(mvff->cache_max == 0 || mvff->cache_max >= mvff->pool.align);
  CHECK(mvff->cache_max != 0 || mvff->cache_size == 0);
  CHECK(((Size)1 << mvff->align_shift) == mvff->pool.align);
  return true;
}

static void mvff_set_total(MVFF *mvff, Size total)
{
  mvff->total_size = total;
  mvff->spare_limit = (Size)(mvff->spare * (double)total);
  /* design.mvff.cache.limit: a fraction of the pool, at least a floor */
  mvff->cache_limit = total / MVFF_CACHE_FRACTION;
  if (mvff->cache_limit < MVFF_CACHE_BYTES)
    mvff->cache_limit = MVFF_CACHE_BYTES;
}

static void mvff_varargs(mps_arg_s args[], va_list varargs)
{
  /* The MPS order: extend_by, mean size, alignment, slot_high,
   * arena_high, first_fit. */
  args[0].key = MPS_KEY_EXTEND_BY;
  args[0].val.size = va_arg(varargs, size_t);
  args[1].key = MPS_KEY_MEAN_SIZE;
  args[1].val.size = va_arg(varargs, size_t);
  args[2].key = MPS_KEY_ALIGN;
  args[2].val.align = va_arg(varargs, size_t);
  args[3].key = MPS_KEY_MVFF_SLOT_HIGH;
  args[3].val.b = va_arg(varargs, mps_bool_t) != 0;
  args[4].key = MPS_KEY_MVFF_ARENA_HIGH;
  args[4].val.b = va_arg(varargs, mps_bool_t) != 0;
  args[5].key = MPS_KEY_MVFF_FIRST_FIT;
  args[5].val.b = va_arg(varargs, mps_bool_t) != 0;
  args[6].key = MPS_KEY_ARGS_END;
}

static void mvff_debug_varargs(mps_arg_s args[], va_list varargs)
{
  args[0].key = MPS_KEY_POOL_DEBUG_OPTIONS;
  args[0].val.pool_debug_options = va_arg(varargs, mps_pool_debug_option_s *);
  mvff_varargs(args + 1, varargs);
}

static Res mvff_init_common(Pool *pool, const mps_arg_s args[], bool debug)
{
  static const mps_key_t keys[] = {
    MPS_KEY_EXTEND_BY, MPS_KEY_MEAN_SIZE, MPS_KEY_ALIGN, MPS_KEY_SPARE,
    MPS_KEY_MVFF_ARENA_HIGH, MPS_KEY_MVFF_SLOT_HIGH, MPS_KEY_MVFF_FIRST_FIT,
    MPS_KEY_POOL_DEBUG_OPTIONS   /* last: only for the debug class */
  };
  MVFF *mvff = mvff_of_pool(pool);
  Align align = POOL_ALIGN_NATURAL;
  Size extend_by, mean_size;
  double spare;
  mps_arg_s node_args[3];
  Res res;

  res = args_check(args, keys, ARRAY_LEN(keys) - (debug ? 0 : 1));
  if (res != RES_OK)
    return res;
  res = pool_arg_align(&align, pool->arena, args);
  if (res != RES_OK)
    return res;
  extend_by = args_size(args, MPS_KEY_EXTEND_BY, MVFF_EXTEND_BY_DEFAULT);
  mean_size = args_size(args, MPS_KEY_MEAN_SIZE, MVFF_MEAN_SIZE_DEFAULT);
  spare = args_double(args, MPS_KEY_SPARE, MVFF_SPARE_DEFAULT);
  /* design.mvff.args */
  if (extend_by == 0 || mean_size == 0 || !(spare >= 0.0 && spare <= 1.0))
    return RES_PARAM;

  res = pool_abstract_init(pool, args);
  if (res != RES_OK)
    return res;
  pool->align = align;
  mvff->extend_by = extend_by;
  mvff->mean_size = mean_size;
  mvff->spare = spare;
  mvff->arena_high = args_bool(args, MPS_KEY_MVFF_ARENA_HIGH, false);
  mvff->slot_high = args_bool(args, MPS_KEY_MVFF_SLOT_HIGH, false);
  mvff->first_fit = args_bool(args, MPS_KEY_MVFF_FIRST_FIT, true);
  mvff->debug = NULL;
  mvff_set_total(mvff, 0);
  /* design.mvff.cache: one class per multiple of the alignment */
  mvff->align_shift = size_log2(align);
  mvff->cache_max = (Size)MVFF_CACHE_CLASSES << mvff->align_shift;
  if (mvff->cache_max > MVFF_CACHE_MAX_SIZE)
    mvff->cache_max = MVFF_CACHE_MAX_SIZE;
  if (mvff->cache_max < align)
    mvff->cache_max = 0;
  mvff->cache_size = 0;
  for (Index i = 0; i <= MVFF_CACHE_CLASSES; ++i)
    mvff->cache[i] = 0;

  node_args[0].key = MPS_KEY_MFS_UNIT_SIZE;
  node_args[0].val.size = CBS_NODE_SIZE;
  node_args[1].key = MPS_KEY_EXTEND_BY;
  node_args[1].val.size = MVFF_NODE_EXTEND;
  node_args[2].key = MPS_KEY_ARGS_END;
  res = pool_init(&mvff->node_pool.pool, pool->arena, &mfs_class, node_args);
  if (res != RES_OK)
    goto fail_nodes;
  land_init(&mvff->free_land, align, mfs_node_alloc, mfs_node_free, &mvff->node_pool);
  return RES_OK;

fail_nodes:
  pool_abstract_finish(pool);
  return res;
}

static Res mvff_init(Pool *pool, const mps_arg_s args[])
{
  return mvff_init_common(pool, args, false);
}

static void mvff_finish(Pool *pool)
{
  MVFF *mvff = mvff_of_pool(pool);
  Ring *node, *next;

  /* Cached blocks lie in the segments freed below. */
  mvff->cache_size = 0;
  land_finish(&mvff->free_land);
  pool_finish(&mvff->node_pool.pool);
  RING_FOR(node, &pool->seg_ring, next) {
    Seg *seg = RING_ELT(Seg, pool_ring, node);
    pool_seg_free(seg);
  }
  mvff_set_total(mvff, 0);
  pool_abstract_finish(pool);
}

/* design.mvff.extend: a segment of extend_by bytes, or of the request if
 * larger (so a large block gets a segment of its own); if the larger one
 * cannot be had, just the request. */
static Res mvff_extend(MVFF *mvff, Size size)
{
  Pool *pool = &mvff->pool;
  Size grain = arena_grain_size(pool->arena);
  Size want = size > mvff->extend_by ? size : mvff->extend_by;
  Size need = size_align_up(size, grain);
  Range range, coalesced;
  Seg *seg;
  Res res;

  if (need < size)
    return RES_MEMORY;      /* wrapped */
  want = size_align_up(want, grain);
  if (want < need)
    want = need;
  res = pool_seg_alloc(&seg, pool, NULL, want, mvff->arena_high);
  if (res != RES_OK && want > need)
    res = pool_seg_alloc(&seg, pool, NULL, need, mvff->arena_high);
  if (res != RES_OK)
    return res;
  mvff_set_total(mvff, mvff->total_size + seg_size(seg));
  if (mvff->debug != NULL)
    debug_splat(mvff->debug, seg_base(seg), seg_limit(seg));
  range_init(&range, seg_base(seg), seg_limit(seg));
  res = land_insert(&coalesced, &mvff->free_land, &range);
  ASSERT(res == RES_OK);   /* fresh memory overlaps nothing */
  UNUSED(res);
  return RES_OK;
}

/* design.mvff.fit: SLOT_HIGH chooses the range searched for (the
 * highest-addressed that fits, else the lowest); FIRST_FIT chooses the
 * end of it the block is cut from (the low end, else the high end).
 * When the land's freelist is empty (almost always) its CBS is asked
 * directly, which saves the land's second search. */
static inline bool mvff_find(Range *range_o, MVFF *mvff, Size size)
{
  Range old;
  Land *land = &mvff->free_land;
  FindDelete fd = mvff->first_fit ? FIND_DELETE_LOW : FIND_DELETE_HIGH;
  if (LIKELY(freelist_is_empty(&land->fl))) {
    if (mvff->slot_high)
      return cbs_find_last(range_o, &old, &land->cbs, size, fd);
    return cbs_find_first(range_o, &old, &land->cbs, size, fd);
  }
  if (mvff->slot_high)
    return land_find_last(range_o, &old, land, size, fd);
  return land_find_first(range_o, &old, land, size, fd);
}

static void mvff_add_free(MVFF *mvff, Addr base, Addr limit);

/* The front cache: design.mvff.cache ---------------------------------- */

static inline bool mvff_cacheable(const MVFF *mvff, Size size)
{
  return size <= mvff->cache_max;
}

static inline Addr *mvff_cache_head(MVFF *mvff, Size size)
{
  ASSERT_CRIT(size_is_aligned(size, mvff->pool.align));
  return &mvff->cache[size >> mvff->align_shift];
}

static inline Addr mvff_cache_next(Addr block)
{
  return *(Addr *)addr_ptr(block);
}

void mvff_cache_flush(MVFF *mvff)
{
  ASSERT_CRIT(mvff_check(mvff));
  if (mvff->cache_size == 0)
    return;
  for (Index i = 1; i <= MVFF_CACHE_CLASSES; ++i) {
    Size size = (Size)i << mvff->align_shift;
    Addr block = mvff->cache[i];
    mvff->cache[i] = 0;
    while (block != 0) {
      Addr next = mvff_cache_next(block);
      mvff->cache_size -= size;
      /* One at a time, so that each completed segment may go back:
       * design.mvff.spare */
      mvff_add_free(mvff, block, block + size);
      block = next;
    }
  }
  ASSERT(mvff->cache_size == 0);
}

#ifdef CONFIG_VAR_COOL
/* design.mvff.cache.double: in cool, a block being freed must not be in
 * the land nor (among the first entries) in its class list. */
static bool mvff_cache_not_free(MVFF *mvff, Addr block, Size size)
{
  Range r;
  Count n = 0;
  if (land_lookup(&r, &mvff->free_land, block)
      || land_lookup(&r, &mvff->free_land, block + size - 1))
    return false;
  for (Addr b = *mvff_cache_head(mvff, size); b != 0 && n < 64; b = mvff_cache_next(b), ++n)
    if (b == block)
      return false;
  return true;
}
#endif

/* design.mvff.cache.flush: the land cannot serve size bytes.  Flush
 * the cache first when it holds a good part of its limit (its blocks may
 * coalesce into a range that fits); otherwise extend, and flush only if
 * that fails (at the commit limit, say) before trying the arena again.
 * RES_OK means the land can now serve the request. */
static Res mvff_grow(MVFF *mvff, Size size)
{
  Res res;
  Range r;
  if (mvff->cache_size >= mvff->cache_limit / MVFF_CACHE_FLUSH_FIRST) {
    mvff_cache_flush(mvff);
    if (land_find_first(&r, &r, &mvff->free_land, size, FIND_DELETE_NONE))
      return RES_OK;
  }
  res = mvff_extend(mvff, size);
  if (res == RES_OK || mvff->cache_size == 0)
    return res;
  mvff_cache_flush(mvff);
  if (land_find_first(&r, &r, &mvff->free_land, size, FIND_DELETE_NONE))
    return RES_OK;
  return mvff_extend(mvff, size);
}

static Res mvff_alloc(Addr *p_o, Pool *pool, Size size)
{
  MVFF *mvff = mvff_of_pool(pool);
  Range range;

  ASSERT_CRIT(mvff_check(mvff));
  if (LIKELY(mvff_cacheable(mvff, size))) {
    Addr *head = mvff_cache_head(mvff, size);
    Addr block = *head;
    if (block != 0) {
      *head = mvff_cache_next(block);
      mvff->cache_size -= size;
      *p_o = block;
      return RES_OK;
    }
  }
  if (UNLIKELY(!mvff_find(&range, mvff, size))) {
    Res res = mvff_grow(mvff, size);
    if (res != RES_OK)
      return res;
    if (!mvff_find(&range, mvff, size)) {
      NOTREACHED;
      return RES_FAIL;
    }
  }
  ASSERT_CRIT(range_size(&range) == size);
  *p_o = range.base;
  return RES_OK;
}

/* design.mvff.spare: when free memory exceeds the spare fraction of the
 * total, give back whole segments inside the range just freed.  Releasing
 * s bytes leaves free - s <= spare * (total - s) once
 * s >= (free - spare * total) / (1 - spare). */
static void mvff_reduce(MVFF *mvff, const Range *freed)
{
  double over = (double)land_size(&mvff->free_land) - mvff->spare * (double)mvff->total_size;
  Size excess, released;

  if (mvff->spare >= 1.0 || over <= 0.0)
    return;
  {
    double e = over / (1.0 - mvff->spare);
    excess = e >= (double)mvff->total_size ? mvff->total_size : (Size)e + 1;
  }
  released = pool_release_segs(&mvff->pool, &mvff->free_land, freed, excess);
  mvff_set_total(mvff, mvff->total_size - released);
}

static void mvff_add_free(MVFF *mvff, Addr base, Addr limit)
{
  Range range, coalesced;
  Res res;

  range_init(&range, base, limit);
  res = land_insert(&coalesced, &mvff->free_land, &range);
  /* design.mvff.free.double: overlapping a free range means the block
   * was not allocated (a double free, or a wrong address or size). */
  ASSERT(res == RES_OK);
  UNUSED(res);
  if (UNLIKELY(land_size(&mvff->free_land) > mvff->spare_limit)
      && range_size(&coalesced) >= arena_grain_size(mvff->pool.arena))
    mvff_reduce(mvff, &coalesced);
}

static void mvff_free(Pool *pool, Addr old, Size size)
{
  MVFF *mvff = mvff_of_pool(pool);
  ASSERT_CRIT(mvff_check(mvff));
  if (LIKELY(mvff_cacheable(mvff, size))) {
    Addr *head = mvff_cache_head(mvff, size);
    /* design.mvff.cache.spare: cached bytes count as free; a free that
     * would take free memory over the spare limit goes to the land,
     * with the cache, so that segments can go back. */
    if (LIKELY(land_size(&mvff->free_land) + mvff->cache_size + size
               <= mvff->spare_limit)) {
      /* design.mvff.cache.double: hot catches an immediate re-free, cool
       * a block already free anywhere near. */
      ASSERT(old != *head);
      ASSERT_CRIT(mvff_cache_not_free(mvff, old, size));
      *(Addr *)addr_ptr(old) = *head;
      *head = old;
      mvff->cache_size += size;
      if (UNLIKELY(mvff->cache_size > mvff->cache_limit))
        mvff_cache_flush(mvff);
      return;
    }
    mvff_cache_flush(mvff);
  }
  mvff_add_free(mvff, old, old + size);
}

/* design.mvff.buffer: worst fit, at most max(size, extend_by) bytes from
 * the largest free range. */
static Res mvff_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool,
                            Buffer *buf, Size size)
{
  MVFF *mvff = mvff_of_pool(pool);
  Size want = size > mvff->extend_by ? size : mvff->extend_by;
  Range range, old;
  bool found;

  UNUSED(buf);
  ASSERT_CRIT(mvff_check(mvff));
  want = size_align_up(want, pool->align);
  found = land_find_largest(&range, &old, &mvff->free_land, want, FIND_DELETE_LOW);
  if (!found && mvff->cache_size > 0) {
    /* design.mvff.cache.buffer: allocation points never take cached
     * blocks, so give them to the land before settling for less. */
    mvff_cache_flush(mvff);
    found = land_find_largest(&range, &old, &mvff->free_land, want, FIND_DELETE_LOW);
  }
  if (!found)
    found = land_find_largest(&range, &old, &mvff->free_land, size, FIND_DELETE_ENTIRE);
  if (!found) {
    Res res = mvff_grow(mvff, size);
    if (res != RES_OK)
      return res;
    found = land_find_largest(&range, &old, &mvff->free_land, want, FIND_DELETE_LOW)
            || land_find_largest(&range, &old, &mvff->free_land, size, FIND_DELETE_ENTIRE);
    ASSERT(found);
  }
  *base_o = range.base;
  *limit_o = range.limit;
  return RES_OK;
}

static void mvff_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit)
{
  UNUSED(buf);
  if (init < limit)
    mvff_add_free(mvff_of_pool(pool), init, limit);
}

static Size mvff_total_size(const Pool *pool)
{
  return ((const MVFF *)(const void *)pool)->total_size;
}

static Size mvff_free_size(const Pool *pool)
{
  const MVFF *mvff = (const MVFF *)(const void *)pool;
  return land_size(&mvff->free_land) + mvff->cache_size;
}

static Res mvff_describe(const Pool *pool, mps_lib_FILE *stream, Count depth)
{
  const MVFF *mvff = (const MVFF *)(const void *)pool;
  Res res = pool_write(stream, depth, "extend_by", mvff->extend_by);
  if (res == RES_OK)
    res = pool_write(stream, depth, "free_ranges", land_count(&mvff->free_land));
  if (res == RES_OK)
    res = pool_write(stream, depth, "cached_bytes", mvff->cache_size);
  if (res == RES_OK)
    res = pool_write(stream, depth, "segments", ring_length(&pool->seg_ring));
  return res;
}

const PoolClass mvff_class = {
  .sig = SIG_POOL_CLASS,
  .name = "MVFF",
  .super = &pool_class_abstract,
  .size = sizeof(MVFF),
  .attr = POOL_ATTR_ALLOC | POOL_ATTR_FREE | POOL_ATTR_BUFFER | POOL_ATTR_FRAMES,
  .varargs = mvff_varargs,
  .init = mvff_init,
  .finish = mvff_finish,
  .alloc = mvff_alloc,
  .free = mvff_free,
  .buffer_varargs = pool_no_buffer_varargs,
  .buffer_init = pool_triv_buffer_init,
  .buffer_finish = pool_triv_buffer_finish,
  .buffer_fill = mvff_buffer_fill,
  .buffer_empty = mvff_buffer_empty,
  .frame_push = pool_triv_frame_push,
  .frame_pop = pool_triv_frame_pop,
  .total_size = mvff_total_size,
  .free_size = mvff_free_size,
  .debug_mixin = pool_no_debug_mixin,
  .describe = mvff_describe,
  POOL_CLASS_NO_TRACE
};

/* The debugging variant: design.pool.debug */

static PoolDebugMixin *mvff_debug_mixin(Pool *pool)
{
  return &((MVFFDebug *)(void *)pool)->debug;
}

/* Free ranges for mps_pool_check_free_space.  Ranges in the land's
 * freelist hold its links in their first words, so only the tree's are
 * visited: design.mvff.debug.freelist */
static bool mvff_free_walk(Pool *pool, RangeVisitFn visit, void *closure)
{
  return cbs_iterate(&mvff_of_pool(pool)->free_land.cbs, visit, closure);
}

static Res mvff_debug_init(Pool *pool, const mps_arg_s args[])
{
  MVFFDebug *d = (MVFFDebug *)(void *)pool;
  Res res = mvff_init_common(pool, args, true);
  if (res != RES_OK)
    return res;
  /* design.mvff.cache.debug: no cache, so that every free reaches the
   * land at once (splatted, checked for double frees) and every free
   * range is walked by mps_pool_check_free_space. */
  d->mvff.cache_max = 0;
  res = debug_mixin_init(&d->debug, pool, args, mvff_free_walk);
  if (res != RES_OK) {
    mvff_finish(pool);
    return res;
  }
  d->mvff.debug = &d->debug;
  return RES_OK;
}

static void mvff_debug_finish(Pool *pool)
{
  MVFFDebug *d = (MVFFDebug *)(void *)pool;
  debug_mixin_finish(&d->debug);
  d->mvff.debug = NULL;
  mvff_finish(pool);
}

const PoolClass mvff_debug_class = {
  .sig = SIG_POOL_CLASS,
  .name = "MVFFDebug",
  .super = &mvff_class,
  .size = sizeof(MVFFDebug),
  .attr = POOL_ATTR_ALLOC | POOL_ATTR_FREE | POOL_ATTR_BUFFER | POOL_ATTR_FRAMES
          | POOL_ATTR_DEBUG,
  .varargs = mvff_debug_varargs,
  .init = mvff_debug_init,
  .finish = mvff_debug_finish,
  .alloc = debug_alloc,
  .free = debug_free,
  .buffer_varargs = pool_no_buffer_varargs,
  .buffer_init = debug_buffer_init,
  .buffer_finish = pool_triv_buffer_finish,
  .buffer_fill = debug_buffer_fill,
  .buffer_empty = debug_buffer_empty,
  .frame_push = pool_triv_frame_push,
  .frame_pop = pool_triv_frame_pop,
  .total_size = mvff_total_size,
  .free_size = mvff_free_size,
  .debug_mixin = mvff_debug_mixin,
  .describe = mvff_describe,
  POOL_CLASS_NO_TRACE
};

mps_pool_class_t mps_class_mvff(void)
{
  return (mps_pool_class_t)&mvff_class;
}

mps_pool_class_t mps_class_mvff_debug(void)
{
  return (mps_pool_class_t)&mvff_debug_class;
}
