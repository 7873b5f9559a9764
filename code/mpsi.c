/* mpsi.c -- the public entry points: check arguments, take the arena
 * lock, call the layer below, translate results.
 * Design: manual/design/interface.rst
 *
 * Sections are owned by different engineers; edit only your own, between
 * its BEGIN and END markers. */
#include "base/config.h"
#include "base/public.h"
#include "base/check.h"

/* ==== BEGIN SECTION arena (arena engineer) ==== */
/* Arenas: design.arena.  Every entry point but create takes the arena
 * lock (design.arena.lock); the client's mistakes with a result to give
 * get MPS_RES_PARAM, the others an assertion. */
#include "arena/arena.h"
#include "arena/seg.h"

#include <stdarg.h>

mps_res_t mps_arena_create_k(mps_arena_t *arena_o, mps_arena_class_t arena_class,
                             mps_arg_s args[])
{
  Arena *arena;
  Res res;

  if (arena_o == NULL)
    return MPS_RES_PARAM;
  res = arena_create(&arena, arena_class, args);
  if (res != RES_OK)
    return res;
  *arena_o = arena;
  return MPS_RES_OK;
}

mps_res_t mps_arena_create_v(mps_arena_t *arena_o, mps_arena_class_t arena_class,
                             va_list varargs)
{
  mps_arg_s args[MPS_ARGS_MAX];

  if (arena_class == NULL || !arena_class_check(arena_class))
    return MPS_RES_PARAM;
  arena_class->varargs(args, varargs);
  return mps_arena_create_k(arena_o, arena_class, args);
}

mps_res_t mps_arena_create(mps_arena_t *arena_o, mps_arena_class_t arena_class, ...)
{
  va_list varargs;
  mps_res_t res;

  va_start(varargs, arena_class);
  res = mps_arena_create_v(arena_o, arena_class, varargs);
  va_end(varargs);
  return res;
}

void mps_arena_destroy(mps_arena_t arena)
{
  ASSERT_VALID(arena, arena);
  arena_destroy(arena);
}

size_t mps_arena_committed(mps_arena_t arena)
{
  Size size;
  arena_enter(arena);
  size = arena_committed(arena);
  arena_leave(arena);
  return size;
}

size_t mps_arena_reserved(mps_arena_t arena)
{
  Size size;
  arena_enter(arena);
  size = arena_reserved(arena);
  arena_leave(arena);
  return size;
}

size_t mps_arena_spare_committed(mps_arena_t arena)
{
  Size size;
  arena_enter(arena);
  size = arena_spare_committed(arena);
  arena_leave(arena);
  return size;
}

size_t mps_arena_commit_limit(mps_arena_t arena)
{
  Size size;
  arena_enter(arena);
  size = arena_commit_limit(arena);
  arena_leave(arena);
  return size;
}

mps_res_t mps_arena_commit_limit_set(mps_arena_t arena, size_t limit)
{
  Res res;
  arena_enter(arena);
  res = arena_set_commit_limit(arena, limit);
  arena_leave(arena);
  return res;
}

double mps_arena_spare(mps_arena_t arena)
{
  double spare;
  arena_enter(arena);
  spare = arena_spare(arena);
  arena_leave(arena);
  return spare;
}

void mps_arena_spare_set(mps_arena_t arena, double spare)
{
  arena_enter(arena);
  /* The manual: between 0.0 and 1.0 inclusive (NaN fails too). */
  ASSERT(spare >= 0.0 && spare <= 1.0);
  arena_set_spare(arena, spare);
  arena_leave(arena);
}

/* Deprecated: the spare fraction as bytes of the committed memory. */
size_t mps_arena_spare_commit_limit(mps_arena_t arena)
{
  Size size;
  arena_enter(arena);
  size = (Size)(arena_spare(arena) * (double)arena_committed(arena));
  arena_leave(arena);
  return size;
}

void mps_arena_spare_commit_limit_set(mps_arena_t arena, size_t limit)
{
  Size committed;
  arena_enter(arena);
  committed = arena_committed(arena);
  arena_set_spare(arena, limit >= committed ? 1.0 : (double)limit / (double)committed);
  arena_leave(arena);
}

double mps_arena_pause_time(mps_arena_t arena)
{
  double t;
  arena_enter(arena);
  t = arena_pause_time(arena);
  arena_leave(arena);
  return t;
}

void mps_arena_pause_time_set(mps_arena_t arena, double pause_time)
{
  arena_enter(arena);
  ASSERT(pause_time >= 0.0);   /* the manual: non-negative */
  arena_set_pause_time(arena, pause_time);
  arena_leave(arena);
}

mps_bool_t mps_arena_has_addr(mps_arena_t arena, mps_addr_t addr)
{
  bool has;
  arena_enter(arena);
  has = arena_has_addr(arena, ptr_addr(addr));
  arena_leave(arena);
  return has;
}

mps_bool_t mps_addr_pool(mps_pool_t *pool_o, mps_arena_t arena, mps_addr_t addr)
{
  Seg *seg;
  bool found;

  ASSERT(pool_o != NULL);
  arena_enter(arena);
  found = arena_seg_of_addr(&seg, arena, ptr_addr(addr));
  if (found)
    *pool_o = seg_pool(seg);
  arena_leave(arena);
  return found;
}

mps_res_t mps_arena_extend(mps_arena_t arena, mps_addr_t base, size_t size)
{
  Res res;
  arena_enter(arena);
  res = arena_extend(arena, ptr_addr(base), size);
  arena_leave(arena);
  return res;
}

mps_res_t mps_arena_vm_growth(mps_arena_t arena, size_t desired, size_t minimum)
{
  Res res;
  arena_enter(arena);
  res = arena_set_growth(arena, desired, minimum);
  arena_leave(arena);
  return res;
}
/* ==== END SECTION arena ==== */

/* ==== BEGIN SECTION pool (pool engineer) ==== */
/* Pools, allocation points, caches, frames, formats (minimal).
 * Design: manual/design/pool.rst, buffer.rst, sac.rst.  Each entry checks
 * what it can cheaply, takes the arena lock once, calls the pool layer
 * and writes its outputs only on success.  What the manual leaves
 * undefined is asserted; documented refusals return their result. */
#include "pool/pool.h"
#include "pool/buffer.h"
#include "pool/sac.h"
#include "pool/dbg.h"
#include "pool/format.h"

mps_res_t mps_pool_create_k(mps_pool_t *pool_o, mps_arena_t arena,
                            mps_pool_class_t pool_class, mps_arg_s args[])
{
  Pool *pool;
  Res res;

  ASSERT(pool_o != NULL);
  ASSERT(arena != NULL);
  ASSERT_VALID(pool_class, (const PoolClass *)pool_class);
  arena_enter(arena);
  res = pool_create(&pool, arena, pool_class, args);
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *pool_o = pool;
  return MPS_RES_OK;
}

mps_res_t mps_pool_create_v(mps_pool_t *pool_o, mps_arena_t arena,
                            mps_pool_class_t pool_class, va_list varargs)
{
  mps_arg_s args[MPS_ARGS_MAX];
  ASSERT_VALID(pool_class, (const PoolClass *)pool_class);
  pool_class->varargs(args, varargs);
  return mps_pool_create_k(pool_o, arena, pool_class, args);
}

mps_res_t mps_pool_create(mps_pool_t *pool_o, mps_arena_t arena,
                          mps_pool_class_t pool_class, ...)
{
  mps_res_t res;
  va_list varargs;
  va_start(varargs, pool_class);
  res = mps_pool_create_v(pool_o, arena, pool_class, varargs);
  va_end(varargs);
  return res;
}

void mps_pool_destroy(mps_pool_t pool)
{
  Arena *arena;
  ASSERT_VALID(pool, pool);
  arena = pool->arena;
  arena_enter(arena);
  pool_destroy(pool);
  arena_leave(arena);
}

size_t mps_pool_total_size(mps_pool_t pool)
{
  Size size;
  ASSERT_VALID(pool, pool);
  arena_enter(pool->arena);
  size = pool_total_size(pool);
  arena_leave(pool->arena);
  return size;
}

size_t mps_pool_free_size(mps_pool_t pool)
{
  Size size;
  ASSERT_VALID(pool, pool);
  arena_enter(pool->arena);
  size = pool_free_size(pool);
  arena_leave(pool->arena);
  return size;
}

void mps_pool_check_fenceposts(mps_pool_t pool)
{
  ASSERT_VALID(pool, pool);
  arena_enter(pool->arena);
  pool_check_fenceposts(pool);
  arena_leave(pool->arena);
}

void mps_pool_check_free_space(mps_pool_t pool)
{
  ASSERT_VALID(pool, pool);
  arena_enter(pool->arena);
  pool_check_free_space(pool);
  arena_leave(pool->arena);
}

/* design.pool.interface.alloc: the size is rounded up to the pool's
 * alignment (the manual's rule); zero is refused. */
mps_res_t mps_alloc(mps_addr_t *p_o, mps_pool_t pool, size_t size)
{
  Arena *arena;
  Addr p;
  Size rounded;
  Res res;

  ASSERT_CRIT(p_o != NULL);
  ASSERT_VALID(pool, pool);
  if (UNLIKELY(size == 0))
    return MPS_RES_PARAM;
  rounded = size_align_up(size, pool->align);
  if (UNLIKELY(rounded < size))
    return MPS_RES_MEMORY;
  arena = pool->arena;
  arena_enter(arena);
  res = pool->klass->alloc(&p, pool, rounded);
  arena_leave(arena);
  if (UNLIKELY(res != RES_OK))
    return res;
  *p_o = addr_ptr(p);
  return MPS_RES_OK;
}

void mps_free(mps_pool_t pool, mps_addr_t addr, size_t size)
{
  Arena *arena;

  ASSERT_VALID(pool, pool);
  /* The manual makes these undefined: design.pool.interface.free */
  ASSERT(addr != NULL);
  ASSERT(size != 0);
  ASSERT(pool_has_attr(pool, POOL_ATTR_FREE));
  ASSERT_CRIT(addr_is_aligned(ptr_addr(addr), pool->align));
  arena = pool->arena;
  arena_enter(arena);
  /* The block's segment must belong to this pool (cool only: a lookup). */
  ASSERT_CRIT(pool_has_addr(pool, ptr_addr(addr)));
  pool->klass->free(pool, ptr_addr(addr), size_align_up(size, pool->align));
  arena_leave(arena);
}

mps_res_t mps_ap_create_k(mps_ap_t *ap_o, mps_pool_t pool, mps_arg_s args[])
{
  Buffer *buf;
  Res res;

  ASSERT(ap_o != NULL);
  ASSERT_VALID(pool, pool);
  arena_enter(pool->arena);
  res = buffer_create(&buf, pool, args);
  arena_leave(pool->arena);
  if (res != RES_OK)
    return res;
  *ap_o = buffer_ap(buf);
  return MPS_RES_OK;
}

mps_res_t mps_ap_create_v(mps_ap_t *ap_o, mps_pool_t pool, va_list varargs)
{
  mps_arg_s args[MPS_ARGS_MAX];
  ASSERT_VALID(pool, pool);
  pool->klass->buffer_varargs(args, varargs);
  return mps_ap_create_k(ap_o, pool, args);
}

mps_res_t mps_ap_create(mps_ap_t *ap_o, mps_pool_t pool, ...)
{
  mps_res_t res;
  va_list varargs;
  va_start(varargs, pool);
  res = mps_ap_create_v(ap_o, pool, varargs);
  va_end(varargs);
  return res;
}

void mps_ap_destroy(mps_ap_t ap)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;

  ASSERT_VALID(buffer, buf);
  arena = buf->pool->arena;
  arena_enter(arena);
  buffer_destroy(buf);
  arena_leave(arena);
}

/* design.buffer.fill.size: zero is refused; a size that is not a multiple
 * of the alignment is undefined in the manual, so asserted. */
mps_res_t mps_ap_fill(mps_addr_t *p_o, mps_ap_t ap, size_t size)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;
  Addr p;
  Res res;

  ASSERT(p_o != NULL);
  ASSERT_VALID(buffer, buf);
  if (size == 0)
    return MPS_RES_PARAM;
  ASSERT(size_is_aligned(size, buf->pool->align));
  arena = buf->pool->arena;
  arena_enter(arena);
  res = buffer_fill(&p, buf, size);
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *p_o = addr_ptr(p);
  return MPS_RES_OK;
}

mps_bool_t mps_ap_trip(mps_ap_t ap, mps_addr_t p, size_t size)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;
  bool ok;

  ASSERT_VALID(buffer, buf);
  arena = buf->pool->arena;
  arena_enter(arena);
  ok = buffer_trip(buf, ptr_addr(p), size);
  arena_leave(arena);
  return ok;
}

/* The function forms: the macros of mps.h, behind parentheses. */
mps_res_t (mps_reserve)(mps_addr_t *p_o, mps_ap_t ap, size_t size)
{
  ASSERT(p_o != NULL);
  ASSERT(ap != NULL);
  return mps_reserve(p_o, ap, size);
}

mps_bool_t (mps_commit)(mps_ap_t ap, mps_addr_t p, size_t size)
{
  ASSERT(ap != NULL);
  return mps_commit(ap, p, size);
}

mps_res_t mps_ap_frame_push(mps_frame_t *frame_o, mps_ap_t ap)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;
  Frame *frame;
  Res res;

  ASSERT(frame_o != NULL);
  ASSERT_VALID(buffer, buf);
  arena = buf->pool->arena;
  arena_enter(arena);
  res = buffer_frame_push(&frame, buf);
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *frame_o = frame;
  return MPS_RES_OK;
}

mps_res_t mps_ap_frame_pop(mps_ap_t ap, mps_frame_t frame)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;
  Res res;

  ASSERT_VALID(buffer, buf);
  arena = buf->pool->arena;
  arena_enter(arena);
  res = buffer_frame_pop(buf, frame);
  arena_leave(arena);
  return res;
}

mps_res_t mps_sac_create(mps_sac_t *sac_o, mps_pool_t pool,
                         size_t classes_count, mps_sac_class_s *classes)
{
  SAC *sac;
  Res res;

  ASSERT(sac_o != NULL);
  ASSERT_VALID(pool, pool);
  arena_enter(pool->arena);
  res = sac_create(&sac, pool, classes_count, classes);
  arena_leave(pool->arena);
  if (res != RES_OK)
    return res;
  *sac_o = &sac->esac;
  return MPS_RES_OK;
}

void mps_sac_destroy(mps_sac_t esac)
{
  SAC *sac = sac_of_public(esac);
  Arena *arena;

  ASSERT_VALID(sac, sac);
  arena = sac->pool->arena;
  arena_enter(arena);
  sac_destroy(sac);
  arena_leave(arena);
}

void mps_sac_flush(mps_sac_t esac)
{
  SAC *sac = sac_of_public(esac);
  ASSERT_VALID(sac, sac);
  arena_enter(sac->pool->arena);
  sac_flush(sac);
  arena_leave(sac->pool->arena);
}

mps_res_t mps_sac_fill(mps_addr_t *p_o, mps_sac_t esac, size_t size,
                       mps_bool_t has_reservoir_permit)
{
  SAC *sac = sac_of_public(esac);
  Addr p;
  Res res;

  UNUSED(has_reservoir_permit);   /* the reservoir is gone from the MPS */
  ASSERT(p_o != NULL);
  ASSERT_VALID(sac, sac);
  arena_enter(sac->pool->arena);
  res = sac_fill(&p, sac, size);
  arena_leave(sac->pool->arena);
  if (res != RES_OK)
    return res;
  *p_o = addr_ptr(p);
  return MPS_RES_OK;
}

void mps_sac_empty(mps_sac_t esac, mps_addr_t p, size_t size)
{
  SAC *sac = sac_of_public(esac);
  ASSERT_VALID(sac, sac);
  ASSERT(p != NULL);
  ASSERT(size != 0);
  arena_enter(sac->pool->arena);
  ASSERT_CRIT(pool_has_addr(sac->pool, ptr_addr(p)));
  sac_empty(sac, ptr_addr(p), size);
  arena_leave(sac->pool->arena);
}

mps_res_t mps_sac_alloc(mps_addr_t *p_o, mps_sac_t sac, size_t size,
                        mps_bool_t has_reservoir_permit)
{
  mps_res_t res;
  mps_addr_t p;

  ASSERT(p_o != NULL);
  ASSERT_VALID(sac, sac_of_public(sac));
  MPS_SAC_ALLOC_FAST(res, p, sac, size, has_reservoir_permit);
  if (res == MPS_RES_OK)
    *p_o = p;
  return res;
}

void mps_sac_free(mps_sac_t sac, mps_addr_t p, size_t size)
{
  ASSERT_VALID(sac, sac_of_public(sac));
  ASSERT(p != NULL);
  MPS_SAC_FREE_FAST(sac, p, size);
}

mps_res_t mps_fmt_create_k(mps_fmt_t *fmt_o, mps_arena_t arena, mps_arg_s args[])
{
  Format *format;
  Res res;

  ASSERT(fmt_o != NULL);
  ASSERT(arena != NULL);
  arena_enter(arena);
  res = format_create(&format, arena, args);
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *fmt_o = format;
  return MPS_RES_OK;
}

void mps_fmt_destroy(mps_fmt_t format)
{
  Arena *arena;
  ASSERT_VALID(format, format);
  arena = format->arena;
  arena_enter(arena);
  format_destroy(format);
  arena_leave(arena);
}
/* ==== END SECTION pool ==== */
