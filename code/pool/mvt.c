/* pool/mvt.c -- MVT (Manual Variable Temporal) pool class.
 * Design: manual/design/mvt.rst */
#include "pool/mvt.h"
#include "pool/buffer.h"
#include "base/args.h"

#define MVT_SEG_SIZE_MIN ((Size)65536)
/* Bound on max_size and on reserve_depth * mean_size. */
#define MVT_SIZE_LIMIT ((Size)1 << (WORD_WIDTH - 4))

static inline MVT *mvt_of_pool(Pool *pool) { return (MVT *)(void *)pool; }

bool mvt_check(const MVT *mvt)
{
  CHECK(pool_check(&mvt->pool));
  CHECK(mvt->pool.klass == &mvt_class);
  CHECK(land_check(&mvt->free_land));
  CHECK(0 < mvt->min_size && mvt->min_size <= mvt->mean_size);
  CHECK(mvt->mean_size <= mvt->max_size);
  CHECK(mvt->reserve == mvt->reserve_depth * mvt->mean_size);
  CHECK(mvt->frag_limit > 0.0 && mvt->frag_limit <= 1.0);
  CHECK(land_size(&mvt->free_land) <= mvt->total_size);
  return true;
}

static void mvt_varargs(mps_arg_s args[], va_list varargs)
{
  /* The MPS order: minimum, mean and maximum size, reserve depth,
   * fragmentation limit (then a percentage). */
  args[0].key = MPS_KEY_MIN_SIZE;
  args[0].val.size = va_arg(varargs, size_t);
  args[1].key = MPS_KEY_MEAN_SIZE;
  args[1].val.size = va_arg(varargs, size_t);
  args[2].key = MPS_KEY_MAX_SIZE;
  args[2].val.size = va_arg(varargs, size_t);
  args[3].key = MPS_KEY_MVT_RESERVE_DEPTH;
  args[3].val.count = va_arg(varargs, mps_word_t);
  args[4].key = MPS_KEY_MVT_FRAG_LIMIT;
  args[4].val.d = (double)va_arg(varargs, mps_word_t) / 100.0;
  args[5].key = MPS_KEY_ARGS_END;
}

static Res mvt_init(Pool *pool, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {
    MPS_KEY_ALIGN, MPS_KEY_MIN_SIZE, MPS_KEY_MEAN_SIZE, MPS_KEY_MAX_SIZE,
    MPS_KEY_MVT_RESERVE_DEPTH, MPS_KEY_MVT_FRAG_LIMIT
  };
  MVT *mvt = mvt_of_pool(pool);
  Align align = POOL_ALIGN_NATURAL;
  Size min_size, mean_size, max_size, grain;
  Count depth;
  double frag;
  mps_arg_s node_args[3];
  Res res;

  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  res = pool_arg_align(&align, pool->arena, args);
  if (res != RES_OK)
    return res;
  min_size = args_size(args, MPS_KEY_MIN_SIZE, POOL_ALIGN_NATURAL);
  mean_size = args_size(args, MPS_KEY_MEAN_SIZE, MVT_MEAN_SIZE_DEFAULT);
  max_size = args_size(args, MPS_KEY_MAX_SIZE, MVT_MAX_SIZE_DEFAULT);
  depth = args_count(args, MPS_KEY_MVT_RESERVE_DEPTH, MVT_RESERVE_DEPTH_DEFAULT);
  frag = args_double(args, MPS_KEY_MVT_FRAG_LIMIT, MVT_FRAG_LIMIT_DEFAULT);
  /* design.mvt.args, as the manual has them: the sizes are hints but
   * must satisfy 0 < min <= mean <= max; any reserve depth, 0 included
   * (no reserve), as long as depth * mean fits; a fragmentation limit in
   * (0.0, 1.0], since 0.0 would make the pool pure first fit.  The size
   * and depth bounds keep the pool's arithmetic from overflowing. */
  if (min_size == 0 || min_size > mean_size || mean_size > max_size
      || max_size > MVT_SIZE_LIMIT || depth > MVT_SIZE_LIMIT / mean_size
      || !(frag > 0.0 && frag <= 1.0))
    return RES_PARAM;

  res = pool_abstract_init(pool, args);
  if (res != RES_OK)
    return res;
  grain = arena_grain_size(pool->arena);
  pool->align = align;
  mvt->min_size = min_size;
  mvt->mean_size = mean_size;
  mvt->max_size = max_size;
  mvt->reserve_depth = depth;
  mvt->frag_limit = frag;
  mvt->fill_size = size_align_up(max_size, align);
  mvt->seg_size = size_align_up(4 * mvt->fill_size > MVT_SEG_SIZE_MIN
                                ? 4 * mvt->fill_size : MVT_SEG_SIZE_MIN, grain);
  mvt->reserve = depth * mean_size;
  mvt->total_size = 0;

  node_args[0].key = MPS_KEY_MFS_UNIT_SIZE;
  node_args[0].val.size = CBS_NODE_SIZE;
  node_args[1].key = MPS_KEY_EXTEND_BY;
  node_args[1].val.size = grain;
  node_args[2].key = MPS_KEY_ARGS_END;
  res = pool_init(&mvt->node_pool.pool, pool->arena, &mfs_class, node_args);
  if (res != RES_OK) {
    pool_abstract_finish(pool);
    return res;
  }
  land_init(&mvt->free_land, align, mfs_node_alloc, mfs_node_free, &mvt->node_pool);
  return RES_OK;
}

static void mvt_finish(Pool *pool)
{
  MVT *mvt = mvt_of_pool(pool);
  Ring *node, *next;

  land_finish(&mvt->free_land);
  pool_finish(&mvt->node_pool.pool);
  RING_FOR(node, &pool->seg_ring, next) {
    Seg *seg = RING_ELT(Seg, pool_ring, node);
    pool_seg_free(seg);
  }
  mvt->total_size = 0;
  pool_abstract_finish(pool);
}

/* Take [base, base+size) out of the free range `found` (known to hold
 * it). */
static void mvt_take(MVT *mvt, Addr base, Size size)
{
  Range range, old;
  Res res;

  range_init(&range, base, base + size);
  res = land_delete(&old, &mvt->free_land, &range);
  ASSERT(res == RES_OK);
  UNUSED(res);
}

static Res mvt_new_seg(Range *range_o, MVT *mvt, Size size)
{
  Size want = size > mvt->seg_size ? size_align_up(size, arena_grain_size(mvt->pool.arena))
                                   : mvt->seg_size;
  Range range, coalesced;
  Seg *seg;
  Res res;

  if (want < size)
    return RES_MEMORY;
  res = pool_seg_alloc(&seg, &mvt->pool, NULL, want, false);
  if (res != RES_OK)
    return res;
  mvt->total_size += seg_size(seg);
  range_init(&range, seg_base(seg), seg_limit(seg));
  res = land_insert(&coalesced, &mvt->free_land, &range);
  ASSERT(res == RES_OK);
  UNUSED(res);
  *range_o = range;
  return RES_OK;
}

/* design.mvt.fill: large requests get a segment of their own.  Otherwise,
 * while fragmentation is under the limit, buffers get fill_size bytes of
 * contiguous space, from a free range that large or a new segment; once
 * free space is over the limit of the total, the lowest free range that
 * fits is reused, whatever its size (first fit). */
static Res mvt_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool,
                           Buffer *buf, Size size)
{
  MVT *mvt = mvt_of_pool(pool);
  Size free = land_size(&mvt->free_land);
  Range range, old;
  Size take;
  Res res;

  UNUSED(buf);
  ASSERT_CRIT(mvt_check(mvt));
  if (size > mvt->max_size) {
    res = mvt_new_seg(&range, mvt, size);
    if (res == RES_OK) {
      take = range_size(&range);
    } else {
      /* Out of memory: any free range that fits will do. */
      if (!land_find_first(&range, &old, &mvt->free_land, size, FIND_DELETE_NONE))
        return res;
      take = size;
    }
  } else if ((double)free > mvt->frag_limit * (double)mvt->total_size
             && land_find_first(&range, &old, &mvt->free_land, size, FIND_DELETE_NONE)) {
    take = range_size(&range) < mvt->fill_size ? range_size(&range) : mvt->fill_size;
    if (take < size)
      take = size;
  } else if (land_find_largest(&range, &old, &mvt->free_land, mvt->fill_size,
                               FIND_DELETE_NONE)) {
    take = mvt->fill_size;
  } else {
    res = mvt_new_seg(&range, mvt, mvt->fill_size);
    if (res != RES_OK) {
      /* Out of memory: any free range that fits will do. */
      if (!land_find_first(&range, &old, &mvt->free_land, size, FIND_DELETE_NONE))
        return res;
      take = size;
    } else {
      take = mvt->fill_size;
    }
  }
  mvt_take(mvt, range.base, take);
  *base_o = range.base;
  *limit_o = range.base + take;
  return RES_OK;
}

static void mvt_add_free(MVT *mvt, Addr base, Addr limit)
{
  Range range, coalesced;
  Size free;
  Res res;

  range_init(&range, base, limit);
  res = land_insert(&coalesced, &mvt->free_land, &range);
  ASSERT(res == RES_OK);   /* design.mvt.free.double */
  UNUSED(res);
  /* design.mvt.reserve: keep reserve_depth mean-sized blocks' worth of
   * free memory; whole free segments beyond that go back. */
  free = land_size(&mvt->free_land);
  if (free > mvt->reserve && range_size(&coalesced) >= arena_grain_size(mvt->pool.arena))
    mvt->total_size -= pool_release_segs(&mvt->pool, &mvt->free_land, &coalesced,
                                         free - mvt->reserve);
}

static void mvt_free(Pool *pool, Addr old, Size size)
{
  MVT *mvt = mvt_of_pool(pool);
  ASSERT_CRIT(mvt_check(mvt));
  mvt_add_free(mvt, old, old + size);
}

static void mvt_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit)
{
  UNUSED(buf);
  if (init < limit)
    mvt_add_free(mvt_of_pool(pool), init, limit);
}

static Size mvt_total_size(const Pool *pool)
{
  return ((const MVT *)(const void *)pool)->total_size;
}

static Size mvt_free_size(const Pool *pool)
{
  return land_size(&((const MVT *)(const void *)pool)->free_land);
}

const PoolClass mvt_class = {
  .sig = SIG_POOL_CLASS,
  .name = "MVT",
  .super = &pool_class_abstract,
  .size = sizeof(MVT),
  .attr = POOL_ATTR_FREE | POOL_ATTR_BUFFER | POOL_ATTR_FRAMES,
  .varargs = mvt_varargs,
  .init = mvt_init,
  .finish = mvt_finish,
  .alloc = pool_no_alloc,
  .free = mvt_free,
  .buffer_varargs = pool_no_buffer_varargs,
  .buffer_init = pool_triv_buffer_init,
  .buffer_finish = pool_triv_buffer_finish,
  .buffer_fill = mvt_buffer_fill,
  .buffer_empty = mvt_buffer_empty,
  .frame_push = pool_triv_frame_push,
  .frame_pop = pool_triv_frame_pop,
  .total_size = mvt_total_size,
  .free_size = mvt_free_size,
  .debug_mixin = pool_no_debug_mixin,
  .describe = pool_triv_describe,
  POOL_CLASS_NO_TRACE
};

mps_pool_class_t mps_class_mvt(void)
{
  return (mps_pool_class_t)&mvt_class;
}
