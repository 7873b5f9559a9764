/* pool/pool.c -- the pool protocol: creation, destruction, dispatch
 * defaults and the abstract class.
 * Design: manual/design/pool.rst */
#include "pool/pool.h"
#include "pool/buffer.h"
#include "pool/format.h"
#include "base/args.h"

#include <stdatomic.h>

/* design.pool.serial: serials only label pools in descriptions, so one
 * process-wide counter will do; relaxed because order is immaterial. */
static _Atomic Index pool_serial_next = 1;

bool pool_class_check(const PoolClass *klass)
{
  CHECK_SIG(klass, SIG_POOL_CLASS);
  CHECK(klass->name != NULL);
  CHECK(klass->size >= sizeof(Pool));
  /* design.pool.class.complete */
  CHECK(klass->varargs != NULL && klass->init != NULL && klass->finish != NULL);
  CHECK(klass->alloc != NULL && klass->free != NULL);
  CHECK(klass->buffer_varargs != NULL && klass->buffer_init != NULL);
  CHECK(klass->buffer_finish != NULL);
  CHECK(klass->buffer_fill != NULL && klass->buffer_empty != NULL);
  CHECK(klass->frame_push != NULL && klass->frame_pop != NULL);
  CHECK(klass->total_size != NULL && klass->free_size != NULL);
  CHECK(klass->debug_mixin != NULL && klass->describe != NULL);
  CHECK(klass->whiten != NULL && klass->grey != NULL && klass->scan != NULL);
  CHECK(klass->fix != NULL && klass->reclaim != NULL && klass->walk != NULL);
  CHECK(klass->addr_object != NULL);
  /* A subclass is at least as big as its parent (it embeds it). */
  CHECK(klass->super == NULL || klass->size >= klass->super->size);
  return true;
}

bool pool_class_is_subclass(const PoolClass *klass, const PoolClass *super)
{
  for (; klass != NULL; klass = klass->super)
    if (klass == super)
      return true;
  return false;
}

bool pool_check(const Pool *pool)
{
  CHECK_SIG(pool, SIG_POOL);
  CHECK(pool->klass != NULL && pool->klass->sig == SIG_POOL_CLASS);
  CHECK_PARENT(arena, pool->arena);
  CHECK(ring_check(&pool->arena_ring));
  CHECK(ring_check(&pool->seg_ring));
  CHECK(ring_check(&pool->buffer_ring));
  CHECK(align_check(pool->align));
  CHECK(pool->format == NULL || pool->format->sig == SIG_FORMAT);
  return true;
}

/* The abstract class's init: the fields every pool has.  The class
 * init methods call it first (design.pool.class.inherit). */
Res pool_abstract_init(Pool *pool, const mps_arg_s args[])
{
  UNUSED(args);
  ASSERT(pool->arena != NULL);
  ring_init(&pool->arena_ring);
  ring_init(&pool->seg_ring);
  ring_init(&pool->buffer_ring);
  pool->sac_count = 0;
  pool->align = POOL_ALIGN_NATURAL;
  pool->format = NULL;
  pool->serial = atomic_fetch_add_explicit(&pool_serial_next, 1, memory_order_relaxed);
  return RES_OK;
}

void pool_abstract_finish(Pool *pool)
{
  /* design.pool.destroy: the class finish has freed its segments. */
  ASSERT(ring_is_empty(&pool->seg_ring));
  ASSERT(ring_is_empty(&pool->buffer_ring));
  ring_finish(&pool->seg_ring);
  ring_finish(&pool->buffer_ring);
}

Res pool_init(Pool *pool, Arena *arena, const PoolClass *klass,
              const mps_arg_s args[])
{
  Res res;

  ASSERT_VALID(pool_class, klass);
  ASSERT(arena_is_locked(arena));
  pool->klass = klass;
  pool->arena = arena;
  res = klass->init(pool, args);
  if (res != RES_OK) {
    pool->klass = NULL;
    return res;
  }
  ASSERT(align_check(pool->align));
  ring_append(arena_pool_ring(arena), &pool->arena_ring);
  pool->sig = SIG_POOL;          /* design.check.sig: set last */
  ASSERT_VALID(pool, pool);
  return RES_OK;
}

void pool_finish(Pool *pool)
{
  ASSERT_VALID(pool, pool);
  ASSERT(pool->sac_count == 0);   /* design.pool.destroy */
  pool->sig = SIG_INVALID;
  ring_remove(&pool->arena_ring);
  ring_finish(&pool->arena_ring);
  pool->klass->finish(pool);
  pool->klass = NULL;
}

Res pool_create(Pool **pool_o, Arena *arena, const PoolClass *klass,
                const mps_arg_s args[])
{
  void *p;
  Pool *pool;
  Res res;

  ASSERT(pool_o != NULL);
  ASSERT_VALID(arena, arena);
  ASSERT_VALID(pool_class, klass);

  res = arena_control_alloc(&p, arena, klass->size);
  if (res != RES_OK)
    goto fail_alloc;
  pool = p;
  res = pool_init(pool, arena, klass, args);
  if (res != RES_OK)
    goto fail_init;
  *pool_o = pool;
  return RES_OK;

fail_init:
  arena_control_free(arena, p, klass->size);
fail_alloc:
  return res;
}

/* design.pool.destroy: the manual makes it the client's error to destroy a
 * pool with allocation points or caches still alive; we assert it. */
void pool_destroy(Pool *pool)
{
  Arena *arena;
  Size size;

  ASSERT_VALID(pool, pool);
  ASSERT(ring_is_empty(&pool->buffer_ring));
  ASSERT(pool->sac_count == 0);
  arena = pool->arena;
  size = pool->klass->size;
  pool_finish(pool);
  arena_control_free(arena, pool, size);
}

bool pool_has_addr(const Pool *pool, Addr addr)
{
  Seg *seg;
  return arena_seg_of_addr(&seg, pool->arena, addr) && seg->pool == pool;
}

Res pool_seg_alloc(Seg **seg_o, Pool *pool, const SegClass *klass, Size size,
                   bool high)
{
  SegPref pref;
  Seg *seg;
  Res res;

  ASSERT(size > 0 && size_is_aligned(size, arena_grain_size(pool->arena)));
  pref.high = high;
  pref.zones = REFSET_UNIV;
  res = seg_alloc(&seg, klass != NULL ? klass : &seg_class_base, pool, size,
                &pref, mps_args_none);
  if (res != RES_OK)
    return res;
  ASSERT(seg->pool == pool);
  /* seg_init may already have linked it; design.pool.seg-ring */
  if (ring_is_single(&seg->pool_ring))
    ring_append(&pool->seg_ring, &seg->pool_ring);
  *seg_o = seg;
  return RES_OK;
}

void pool_seg_free(Seg *seg)
{
  ASSERT_VALID(seg, seg);
  ASSERT(seg->buffer == NULL);
  if (!ring_is_single(&seg->pool_ring))
    ring_remove(&seg->pool_ring);
  seg_free(seg);
}

Size pool_release_segs(Pool *pool, Land *land, const Range *range, Size excess)
{
  Arena *arena = pool->arena;
  Addr addr = addr_align_up(range->base, arena_grain_size(arena));
  Size released = 0;

  while (released < excess && addr < range->limit) {
    Seg *seg;
    Range seg_range, old;
    Res res;

    if (!arena_seg_of_addr(&seg, arena, addr) || seg_pool(seg) != pool) {
      NOTREACHED;   /* free memory lies in the pool's segments */
      break;
    }
    addr = seg_limit(seg);
    if (seg_base(seg) < range->base || seg_limit(seg) > range->limit)
      continue;
    range_init(&seg_range, seg_base(seg), seg_limit(seg));
    res = land_delete(&old, land, &seg_range);
    ASSERT(res == RES_OK);
    UNUSED(res);
    released += seg_size(seg);
    pool_seg_free(seg);
  }
  return released;
}

/* Keyword helpers */

Res pool_arg_align(Align *align_io, Arena *arena, const mps_arg_s args[])
{
  mps_arg_s arg;
  if (args_find(&arg, args, MPS_KEY_ALIGN)) {
    Align align = arg.val.align;
    /* design.pool.align: a power of two from a word up to the grain. */
    if (!align_check(align) || align < POOL_ALIGN_MIN
        || align > arena_grain_size(arena))
      return RES_PARAM;
    *align_io = align;
  }
  return RES_OK;
}

/* Describe: a minimal writer through the plinth. */

static Res write_str(mps_lib_FILE *stream, const char *s)
{
  return mps_lib_fputs(s, stream) == mps_lib_get_EOF() ? RES_IO : RES_OK;
}

Res pool_write(mps_lib_FILE *stream, Count depth, const char *label, Word value)
{
  char buf[2 + 2 * sizeof(Word) + 1];
  Index i = sizeof buf - 1;
  Res res;

  buf[i] = '\0';
  do {
    buf[--i] = "0123456789ABCDEF"[value & 15];
    value >>= 4;
  } while (value != 0 && i > 2);
  buf[--i] = 'x';
  buf[--i] = '0';
  for (Count d = 0; d < depth; ++d) {
    res = write_str(stream, "  ");
    if (res != RES_OK)
      return res;
  }
  res = write_str(stream, label);
  if (res == RES_OK)
    res = write_str(stream, " ");
  if (res == RES_OK)
    res = write_str(stream, &buf[i]);
  if (res == RES_OK)
    res = write_str(stream, "\n");
  return res;
}

Res pool_describe(const Pool *pool, mps_lib_FILE *stream, Count depth)
{
  Res res;

  if (pool == NULL || stream == NULL)
    return RES_PARAM;
  res = write_str(stream, "Pool ");
  if (res == RES_OK)
    res = write_str(stream, pool->klass->name);
  if (res == RES_OK)
    res = write_str(stream, "\n");
  if (res == RES_OK)
    res = pool_write(stream, depth + 1, "serial", pool->serial);
  if (res == RES_OK)
    res = pool_write(stream, depth + 1, "align", pool->align);
  if (res == RES_OK)
    res = pool_write(stream, depth + 1, "total_size", pool_total_size(pool));
  if (res == RES_OK)
    res = pool_write(stream, depth + 1, "free_size", pool_free_size(pool));
  if (res == RES_OK)
    res = pool->klass->describe(pool, stream, depth + 1);
  return res;
}

/* Defaults for the class tables: design.pool.class.complete */

void pool_no_varargs(mps_arg_s args[], va_list varargs)
{
  UNUSED(varargs);
  args[0].key = MPS_KEY_ARGS_END;
}

Res pool_no_alloc(Addr *p_o, Pool *pool, Size size)
{
  UNUSED(p_o);
  UNUSED(pool);
  UNUSED(size);
  return RES_UNIMPL;
}

void pool_no_free(Pool *pool, Addr old, Size size)
{
  UNUSED(pool);
  UNUSED(old);
  UNUSED(size);
  /* The interface refuses mps_free on such pools before getting here. */
  NOTREACHED;
}

/* mps_ap_create(&ap, pool, rank) for classes whose allocation points
 * take a rank. */
void pool_rank_buffer_varargs(mps_arg_s args[], va_list varargs)
{
  args[0].key = MPS_KEY_RANK;
  args[0].val.rank = va_arg(varargs, mps_rank_t);
  args[1].key = MPS_KEY_ARGS_END;
}

void pool_no_buffer_varargs(mps_arg_s args[], va_list varargs)
{
  UNUSED(varargs);
  args[0].key = MPS_KEY_ARGS_END;
}

Res pool_no_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[])
{
  UNUSED(pool);
  UNUSED(buf);
  UNUSED(args);
  return RES_UNIMPL;   /* design.buffer.unsupported */
}

Res pool_triv_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[])
{
  UNUSED(pool);
  UNUSED(buf);
  return args_check(args, NULL, 0);
}

void pool_triv_buffer_finish(Pool *pool, Buffer *buf)
{
  UNUSED(pool);
  UNUSED(buf);
}

Res pool_no_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool, Buffer *buf, Size size)
{
  UNUSED(base_o);
  UNUSED(limit_o);
  UNUSED(pool);
  UNUSED(buf);
  UNUSED(size);
  NOTREACHED;
  return RES_UNIMPL;
}

void pool_no_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit)
{
  UNUSED(pool);
  UNUSED(buf);
  UNUSED(init);
  UNUSED(limit);
  NOTREACHED;
}

Res pool_no_frame_push(Frame **frame_o, Pool *pool, Buffer *buf)
{
  UNUSED(frame_o);
  UNUSED(pool);
  UNUSED(buf);
  return RES_UNIMPL;   /* design.buffer.frame.unsupported */
}

Res pool_no_frame_pop(Pool *pool, Buffer *buf, Frame *frame)
{
  UNUSED(pool);
  UNUSED(buf);
  UNUSED(frame);
  return RES_UNIMPL;
}

/* For manual pools whose frames free nothing on pop (the manual lets a
 * pool ignore pops).  The token is opaque and never looked at again. */
Res pool_triv_frame_push(Frame **frame_o, Pool *pool, Buffer *buf)
{
  ASSERT(frame_o != NULL);
  UNUSED(pool);
  *frame_o = (Frame *)(void *)buf;
  return RES_OK;
}

Res pool_triv_frame_pop(Pool *pool, Buffer *buf, Frame *frame)
{
  UNUSED(pool);
  UNUSED(buf);
  UNUSED(frame);
  return RES_OK;
}

PoolDebugMixin *pool_no_debug_mixin(Pool *pool)
{
  UNUSED(pool);
  return NULL;
}

Res pool_triv_describe(const Pool *pool, mps_lib_FILE *stream, Count depth)
{
  UNUSED(pool);
  UNUSED(stream);
  UNUSED(depth);
  return RES_OK;
}

Res pool_no_whiten(Pool *pool, Trace *trace, Seg *seg)
{
  UNUSED(pool);
  UNUSED(trace);
  UNUSED(seg);
  NOTREACHED;
  return RES_UNIMPL;
}

void pool_no_grey(Pool *pool, Trace *trace, Seg *seg)
{
  UNUSED(pool);
  UNUSED(trace);
  UNUSED(seg);
  NOTREACHED;
}

Res pool_no_scan(bool *total_o, ScanState *ss, Pool *pool, Seg *seg)
{
  UNUSED(total_o);
  UNUSED(ss);
  UNUSED(pool);
  UNUSED(seg);
  NOTREACHED;
  return RES_UNIMPL;
}

Res pool_no_fix(Pool *pool, ScanState *ss, Seg *seg, Addr *ref_io)
{
  UNUSED(pool);
  UNUSED(ss);
  UNUSED(seg);
  UNUSED(ref_io);
  NOTREACHED;
  return RES_UNIMPL;
}

void pool_no_reclaim(Pool *pool, Trace *trace, Seg *seg)
{
  UNUSED(pool);
  UNUSED(trace);
  UNUSED(seg);
  NOTREACHED;
}

Res pool_no_walk(Pool *pool, Seg *seg, ScanState *ss, mps_area_scan_t scan_area,
                 void *closure)
{
  UNUSED(pool);
  UNUSED(seg);
  UNUSED(ss);
  UNUSED(scan_area);
  UNUSED(closure);
  return RES_UNIMPL;
}

Res pool_no_addr_object(Addr *base_o, Pool *pool, Seg *seg, Addr addr)
{
  UNUSED(base_o);
  UNUSED(pool);
  UNUSED(seg);
  UNUSED(addr);
  return RES_UNIMPL;
}

static Res abstract_init(Pool *pool, const mps_arg_s args[])
{
  UNUSED(pool);
  UNUSED(args);
  NOTREACHED;    /* abstract: never instantiated */
  return RES_UNIMPL;
}

static Size abstract_size(const Pool *pool)
{
  UNUSED(pool);
  return 0;
}

const PoolClass pool_class_abstract = {
  .sig = SIG_POOL_CLASS,
  .name = "abstract",
  .super = NULL,
  .size = sizeof(Pool),
  .attr = 0,
  .varargs = pool_no_varargs,
  .init = abstract_init,
  .finish = pool_abstract_finish,
  .alloc = pool_no_alloc,
  .free = pool_no_free,
  .buffer_varargs = pool_no_buffer_varargs,
  .buffer_init = pool_no_buffer_init,
  .buffer_finish = pool_triv_buffer_finish,
  .buffer_fill = pool_no_buffer_fill,
  .buffer_empty = pool_no_buffer_empty,
  .frame_push = pool_no_frame_push,
  .frame_pop = pool_no_frame_pop,
  .total_size = abstract_size,
  .free_size = abstract_size,
  .debug_mixin = pool_no_debug_mixin,
  .describe = pool_triv_describe,
  POOL_CLASS_NO_TRACE
};
