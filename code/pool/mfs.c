/* pool/mfs.c -- MFS (Manual Fixed Small) pool class.
 * Design: manual/design/mfs.rst */
#include "pool/mfs.h"
#include "base/args.h"

bool mfs_check(const MFS *mfs)
{
  CHECK(pool_check(&mfs->pool));
  CHECK(pool_class_is_subclass(mfs->pool.klass, &mfs_class));
  CHECK(mfs->unit_size >= sizeof(Addr));
  CHECK(size_is_aligned(mfs->unit_size, mfs->pool.align));
  CHECK(mfs->extend_by >= mfs->unit_size);
  CHECK(mfs->tail <= mfs->tail_limit);
  CHECK(mfs->live * mfs->unit_size <= mfs->total_size);
  return true;
}

static void mfs_varargs(mps_arg_s args[], va_list varargs)
{
  /* The MPS order: extend_by, then unit size. */
  args[0].key = MPS_KEY_EXTEND_BY;
  args[0].val.size = va_arg(varargs, size_t);
  args[1].key = MPS_KEY_MFS_UNIT_SIZE;
  args[1].val.size = va_arg(varargs, size_t);
  args[2].key = MPS_KEY_ARGS_END;
}

static Res mfs_init(Pool *pool, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {MPS_KEY_MFS_UNIT_SIZE, MPS_KEY_EXTEND_BY};
  MFS *mfs = mfs_of_pool(pool);
  Size unit, extend_by, grain;
  Res res;

  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  /* design.mfs.args: the unit size is required and non-zero; extend_by
   * must hold at least one unit. */
  unit = args_size(args, MPS_KEY_MFS_UNIT_SIZE, 0);
  extend_by = args_size(args, MPS_KEY_EXTEND_BY, MFS_EXTEND_BY_DEFAULT);
  if (unit == 0 || unit > ((Size)1 << (WORD_WIDTH - 2)) || extend_by < unit)
    return RES_PARAM;
  res = pool_abstract_init(pool, args);
  if (res != RES_OK)
    return res;
  pool->align = POOL_ALIGN_NATURAL;
  grain = arena_grain_size(pool->arena);
  mfs->unit_size = size_align_up(unit, pool->align);
  mfs->extend_by = size_align_up(size_align_up(extend_by, pool->align), grain);
  if (mfs->extend_by < mfs->unit_size)
    mfs->extend_by = size_align_up(mfs->unit_size, grain);
  mfs->free_list = 0;
  mfs->tail = mfs->tail_limit = 0;
  mfs->total_size = 0;
  mfs->live = 0;
  return RES_OK;
}

static void mfs_finish(Pool *pool)
{
  MFS *mfs = mfs_of_pool(pool);
  Ring *node, *next;

  RING_FOR(node, &pool->seg_ring, next) {
    Seg *seg = RING_ELT(Seg, pool_ring, node);
    pool_seg_free(seg);
  }
  mfs->free_list = 0;
  mfs->total_size = 0;
  pool_abstract_finish(pool);
}

/* design.mfs.extend: a new segment becomes the tail, carved one unit at a
 * time, so a large extend_by costs nothing until used. */
static Res mfs_extend(MFS *mfs)
{
  Seg *seg;
  Res res;

  res = pool_seg_alloc(&seg, &mfs->pool, NULL, mfs->extend_by, false);
  if (res != RES_OK)
    return res;
  /* The unused end of the old tail is lost to fragmentation: at most a
   * unit, since the tail is only replaced once it cannot hold one. */
  mfs->tail = seg_base(seg);
  mfs->tail_limit = seg_base(seg) + (seg_size(seg) / mfs->unit_size) * mfs->unit_size;
  mfs->total_size += seg_size(seg);
  return RES_OK;
}

static inline Res mfs_unit_alloc(Addr *p_o, MFS *mfs)
{
  Addr p = mfs->free_list;
  if (LIKELY(p != 0)) {
    mfs->free_list = *(Addr *)addr_ptr(p);
  } else {
    if (mfs->tail_limit - mfs->tail < mfs->unit_size) {
      Res res = mfs_extend(mfs);
      if (res != RES_OK)
        return res;
    }
    p = mfs->tail;
    mfs->tail += mfs->unit_size;
  }
  ++mfs->live;
  *p_o = p;
  return RES_OK;
}

static inline void mfs_unit_free(MFS *mfs, Addr old)
{
  ASSERT_CRIT(pool_has_addr(&mfs->pool, old));
  ASSERT_CRIT(mfs->live > 0);
  *(Addr *)addr_ptr(old) = mfs->free_list;
  mfs->free_list = old;
  --mfs->live;
}

static Res mfs_alloc(Addr *p_o, Pool *pool, Size size)
{
  MFS *mfs = mfs_of_pool(pool);
  ASSERT_CRIT(mfs_check(mfs));
  /* design.mfs.size: every block is one unit */
  if (size != mfs->unit_size)
    return RES_PARAM;
  return mfs_unit_alloc(p_o, mfs);
}

static void mfs_free(Pool *pool, Addr old, Size size)
{
  MFS *mfs = mfs_of_pool(pool);
  ASSERT_CRIT(mfs_check(mfs));
  ASSERT(size == mfs->unit_size);
  UNUSED(size);
  mfs_unit_free(mfs, old);
}

Res mfs_node_alloc(void **node_o, void *closure)
{
  MFS *mfs = closure;
  Addr p;
  Res res = mfs_unit_alloc(&p, mfs);
  if (res != RES_OK)
    return res;
  *node_o = addr_ptr(p);
  return RES_OK;
}

void mfs_node_free(void *node, void *closure)
{
  mfs_unit_free(closure, ptr_addr(node));
}

static Size mfs_total_size(const Pool *pool)
{
  return ((const MFS *)(const void *)pool)->total_size;
}

static Size mfs_free_size(const Pool *pool)
{
  const MFS *mfs = (const MFS *)(const void *)pool;
  return mfs->total_size - mfs->live * mfs->unit_size;
}

static Res mfs_describe(const Pool *pool, mps_lib_FILE *stream, Count depth)
{
  const MFS *mfs = (const MFS *)(const void *)pool;
  Res res = pool_write(stream, depth, "unit_size", mfs->unit_size);
  if (res == RES_OK)
    res = pool_write(stream, depth, "extend_by", mfs->extend_by);
  if (res == RES_OK)
    res = pool_write(stream, depth, "live", mfs->live);
  return res;
}

const PoolClass mfs_class = {
  .sig = SIG_POOL_CLASS,
  .name = "MFS",
  .super = &pool_class_abstract,
  .size = sizeof(MFS),
  .attr = POOL_ATTR_ALLOC | POOL_ATTR_FREE,
  .varargs = mfs_varargs,
  .init = mfs_init,
  .finish = mfs_finish,
  .alloc = mfs_alloc,
  .free = mfs_free,
  .buffer_varargs = pool_no_buffer_varargs,
  .buffer_init = pool_no_buffer_init,
  .buffer_finish = pool_triv_buffer_finish,
  .buffer_fill = pool_no_buffer_fill,
  .buffer_empty = pool_no_buffer_empty,
  .frame_push = pool_no_frame_push,
  .frame_pop = pool_no_frame_pop,
  .total_size = mfs_total_size,
  .free_size = mfs_free_size,
  .debug_mixin = pool_no_debug_mixin,
  .describe = mfs_describe,
  POOL_CLASS_NO_TRACE
};

mps_pool_class_t mps_class_mfs(void)
{
  return (mps_pool_class_t)&mfs_class;
}
