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
#include "trace/trace.h"

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
  /* design.trace.globals: the trace layer's state, made after the arena */
  arena_enter(arena);
  res = globals_create(arena);
  arena_leave(arena);
  if (res != RES_OK) {
    arena_destroy(arena);
    return res;
  }
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
  arena_enter(arena);
  /* design.arena.destroy.empty: pools first (before the trace layer's
   * state, whose default chain they may use) */
  ASSERT(ring_is_empty(arena_pool_ring(arena)));
  globals_destroy(arena);
  arena_leave(arena);
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
#include "trace/trace.h"

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
  /* design.trace.poll; a pool without mps_alloc refuses at once */
  if (pool_has_attr(pool, POOL_ATTR_GC) && pool_has_attr(pool, POOL_ATTR_ALLOC))
    trace_poll(arena);
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
  /* design.trace.poll: the buffer holds no reserved block here */
  if (pool_has_attr(buf->pool, POOL_ATTR_GC))
    trace_poll(arena);
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

/* ==== BEGIN SECTION trace (lead) ==== */
/* Collection control, chains and the fix entry point: design.trace. */
#include "trace/control.h"
#include "pool/scan.h"
#include "pool/gen.h"

/* design.scan.fix: MPS_FIX2 lands here for a reference whose zone may
 * hold white objects.  No lock: the collector holds it already. */
mps_res_t _mps_fix2(mps_ss_t mps_ss, mps_addr_t *ref_io)
{
  return scan_fix(scan_state_of_ss(mps_ss), (Addr *)(void *)ref_io);
}

mps_res_t mps_fix(mps_ss_t mps_ss, mps_addr_t *ref_io)
{
  mps_res_t res;
  MPS_SCAN_BEGIN(mps_ss) {
    res = MPS_FIX12(mps_ss, ref_io);
  } MPS_SCAN_END(mps_ss);
  return res;
}

static Globals *mpsi_globals(mps_arena_t arena)
{
  ASSERT_VALID(arena, arena);
  ASSERT_VALID(globals, arena_globals(arena));
  return arena_globals(arena);
}

mps_res_t mps_arena_collect(mps_arena_t arena)
{
  Res res;
  arena_enter(arena);
  res = control_collect(mpsi_globals(arena));
  arena_leave(arena);
  return res;
}

mps_res_t mps_arena_start_collect(mps_arena_t arena)
{
  Res res;
  arena_enter(arena);
  res = control_start_collect(mpsi_globals(arena));
  arena_leave(arena);
  return res;
}

void mps_arena_clamp(mps_arena_t arena)
{
  arena_enter(arena);
  control_clamp(mpsi_globals(arena));
  arena_leave(arena);
}

void mps_arena_park(mps_arena_t arena)
{
  arena_enter(arena);
  control_park(mpsi_globals(arena));
  arena_leave(arena);
}

void mps_arena_release(mps_arena_t arena)
{
  arena_enter(arena);
  control_release(mpsi_globals(arena));
  arena_leave(arena);
}

mps_bool_t mps_arena_step(mps_arena_t arena, double interval, double multiplier)
{
  bool work;
  ASSERT(interval >= 0.0);
  ASSERT(multiplier >= 0.0);
  arena_enter(arena);
  work = control_step(mpsi_globals(arena), interval, multiplier);
  arena_leave(arena);
  return work;
}

void mps_arena_expose(mps_arena_t arena)
{
  arena_enter(arena);
  control_expose(mpsi_globals(arena));
  control_restore_protection(mpsi_globals(arena));   /* nothing to remember */
  arena_leave(arena);
}

void mps_arena_unsafe_expose_remember_protection(mps_arena_t arena)
{
  arena_enter(arena);
  control_expose(mpsi_globals(arena));
  arena_leave(arena);
}

void mps_arena_unsafe_restore_protection(mps_arena_t arena)
{
  arena_enter(arena);
  control_restore_protection(mpsi_globals(arena));
  arena_leave(arena);
}

void mps_arena_postmortem(mps_arena_t arena)
{
  /* design.trace.control.postmortem: the caller may already hold the
   * lock (an assertion handler); claim it once more, then drop all. */
  arena_enter(arena);
  control_postmortem(mpsi_globals(arena));
}

mps_bool_t mps_arena_busy(mps_arena_t arena)
{
  /* No lock: the point is to ask whether someone holds it. */
  return arena_is_busy(arena);
}

mps_word_t mps_collections(mps_arena_t arena)
{
  Count n;
  arena_enter(arena);
  n = mpsi_globals(arena)->collections;
  arena_leave(arena);
  return (mps_word_t)n;
}

mps_res_t mps_chain_create(mps_chain_t *chain_o, mps_arena_t arena, size_t gen_count,
                           mps_gen_param_s *params)
{
  Chain *chain;
  Res res;

  if (chain_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  res = chain_create(&chain, arena, gen_count, params);
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *chain_o = chain;
  return MPS_RES_OK;
}

void mps_chain_destroy(mps_chain_t chain)
{
  Arena *arena;
  ASSERT_VALID(chain, chain);
  arena = chain->arena;
  arena_enter(arena);
  chain_destroy(chain);
  arena_leave(arena);
}
/* ==== END SECTION trace ==== */

/* ==== BEGIN SECTION roots (roots and threads engineer) ==== */
/* Roots, threads, area scanners: design.root, design.thread.  Each
 * entry point but mps_stack_scan_ambig takes the arena lock (that one
 * runs inside a collection, which holds it).  The argument checks the
 * manual calls for are in trace/root.c and give MPS_RES_PARAM. */
#include "trace/root.h"

static Globals *mpsi_roots_globals(mps_arena_t arena)
{
  ASSERT_VALID(arena, arena);
  /* design.root.globals: the trace layer's state exists */
  ASSERT(arena_globals(arena) != NULL);
  return arena_globals(arena);
}

/* Finish a root creation: leave the arena and publish the root. */
static mps_res_t mpsi_root_result(mps_root_t *root_o, mps_arena_t arena,
                                  Res res, Root *root)
{
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *root_o = root;
  return MPS_RES_OK;
}

mps_res_t mps_root_create(mps_root_t *root_o, mps_arena_t arena,
                         mps_rank_t rank, mps_rm_t rm,
                         mps_root_scan_t root_scan, void *p, size_t s)
{
  Root *root = NULL;
  Res res;

  if (root_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_fun(&root, arena, (Rank)rank, rm, root_scan, p, s);
  return mpsi_root_result(root_o, arena, res, root);
}

mps_res_t mps_root_create_fmt(mps_root_t *root_o, mps_arena_t arena,
                             mps_rank_t rank, mps_rm_t rm,
                             mps_fmt_scan_t fmt_scan,
                             mps_addr_t base, mps_addr_t limit)
{
  Root *root = NULL;
  Res res;

  if (root_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_fmt(&root, arena, (Rank)rank, rm, fmt_scan,
                        ptr_addr(base), ptr_addr(limit));
  return mpsi_root_result(root_o, arena, res, root);
}

mps_res_t mps_root_create_area(mps_root_t *root_o, mps_arena_t arena,
                              mps_rank_t rank, mps_rm_t rm,
                              void *base, void *limit,
                              mps_area_scan_t scan_area, void *closure)
{
  Root *root = NULL;
  Res res;

  if (root_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_area(&root, arena, (Rank)rank, rm, ptr_addr(base),
                         ptr_addr(limit), scan_area, closure);
  return mpsi_root_result(root_o, arena, res, root);
}

mps_res_t mps_root_create_area_tagged(mps_root_t *root_o, mps_arena_t arena,
                                     mps_rank_t rank, mps_rm_t rm,
                                     void *base, void *limit,
                                     mps_area_scan_t scan_area,
                                     mps_word_t mask, mps_word_t pattern)
{
  Root *root = NULL;
  Res res;

  if (root_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_area_tagged(&root, arena, (Rank)rank, rm, ptr_addr(base),
                                ptr_addr(limit), scan_area, mask, pattern);
  return mpsi_root_result(root_o, arena, res, root);
}

/* [base, base + count) as addresses, or false if it wraps. */
static bool mpsi_table_limit(Addr *limit_o, mps_addr_t *base, size_t count)
{
  Addr b = ptr_addr(base);
  if (count > (ADDR_MAX - b) / sizeof(mps_addr_t))
    return false;
  *limit_o = b + count * sizeof(mps_addr_t);
  return true;
}

/* design.root.table: an area scanned by mps_scan_area. */
mps_res_t mps_root_create_table(mps_root_t *root_o, mps_arena_t arena,
                               mps_rank_t rank, mps_rm_t rm,
                               mps_addr_t *base, size_t count)
{
  Root *root = NULL;
  Addr limit;
  Res res;

  if (root_o == NULL || arena == NULL || !mpsi_table_limit(&limit, base, count))
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_area(&root, arena, (Rank)rank, rm, ptr_addr(base), limit,
                         mps_scan_area, NULL);
  return mpsi_root_result(root_o, arena, res, root);
}

/* design.root.table: as the manual says, an area scanned by
 * mps_scan_area_tagged with pattern zero. */
mps_res_t mps_root_create_table_masked(mps_root_t *root_o, mps_arena_t arena,
                                      mps_rank_t rank, mps_rm_t rm,
                                      mps_addr_t *base, size_t count,
                                      mps_word_t mask)
{
  Root *root = NULL;
  Addr limit;
  Res res;

  if (root_o == NULL || arena == NULL || !mpsi_table_limit(&limit, base, count))
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_area_tagged(&root, arena, (Rank)rank, rm, ptr_addr(base),
                                limit, mps_scan_area_tagged, mask, 0);
  return mpsi_root_result(root_o, arena, res, root);
}

/* design.root.thread.default: word-aligned values, ambiguously. */
mps_res_t mps_root_create_thread(mps_root_t *root_o, mps_arena_t arena,
                                mps_thr_t thr, void *cold)
{
  return mps_root_create_thread_tagged(root_o, arena, mps_rank_ambig(), 0, thr,
                                       mps_scan_area_tagged,
                                       sizeof(mps_word_t) - 1, 0, cold);
}

mps_res_t mps_root_create_thread_tagged(mps_root_t *root_o, mps_arena_t arena,
                                       mps_rank_t rank, mps_rm_t rm,
                                       mps_thr_t thr, mps_area_scan_t scan_area,
                                       mps_word_t mask, mps_word_t pattern,
                                       void *cold)
{
  Root *root = NULL;
  Res res;

  if (root_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_thread_tagged(&root, arena, (Rank)rank, rm, thr, scan_area,
                                  mask, pattern, ptr_addr(cold));
  return mpsi_root_result(root_o, arena, res, root);
}

mps_res_t mps_root_create_thread_scanned(mps_root_t *root_o, mps_arena_t arena,
                                        mps_rank_t rank, mps_rm_t rm,
                                        mps_thr_t thr, mps_area_scan_t scan_area,
                                        void *closure, void *cold)
{
  Root *root = NULL;
  Res res;

  if (root_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  res = root_create_thread(&root, arena, (Rank)rank, rm, thr, scan_area,
                           closure, ptr_addr(cold));
  return mpsi_root_result(root_o, arena, res, root);
}

/* design.root.reg: with mps_stack_scan_ambig (the only scanner the
 * manual supports) this is the thread root the manual says it equals;
 * another scanner is called as given. */
mps_res_t mps_root_create_reg(mps_root_t *root_o, mps_arena_t arena,
                             mps_rank_t rank, mps_rm_t rm, mps_thr_t thr,
                             mps_reg_scan_t reg_scan, void *p, size_t s)
{
  Root *root = NULL;
  Res res;

  if (root_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  (void)mpsi_roots_globals(arena);
  if (reg_scan == mps_stack_scan_ambig)
    res = root_create_thread_tagged(&root, arena, (Rank)rank, rm, thr,
                                    mps_scan_area_tagged, sizeof(mps_word_t) - 1,
                                    0, ptr_addr(p));
  else
    res = root_create_reg(&root, arena, (Rank)rank, rm, thr, reg_scan, p, s);
  return mpsi_root_result(root_o, arena, res, root);
}

mps_res_t mps_stack_scan_ambig(mps_ss_t ss, mps_thr_t thr, void *p, size_t s)
{
  UNUSED(s);
  return root_stack_scan_ambig(scan_state_of_ss(ss), thr, ptr_addr(p));
}

void mps_root_destroy(mps_root_t root)
{
  Arena *arena;

  ASSERT_VALID(root, root);
  arena = root->arena;
  arena_enter(arena);
  root_destroy(root);
  arena_leave(arena);
}

mps_res_t mps_thread_reg(mps_thr_t *thr_o, mps_arena_t arena)
{
  Thread *thread = NULL;
  Res res;

  if (thr_o == NULL || arena == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  res = roots_thread_reg(&thread, mpsi_roots_globals(arena));
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *thr_o = thread;
  return MPS_RES_OK;
}

void mps_thread_dereg(mps_thr_t thr)
{
  Arena *arena;

  ASSERT_VALID(thread, thr);
  arena = thread_arena(thr);
  arena_enter(arena);
  roots_thread_dereg(thr);
  arena_leave(arena);
}

void mps_arena_roots_walk(mps_arena_t arena, mps_roots_stepper_t f, void *p, size_t s)
{
  arena_enter(arena);
  roots_walk(mpsi_roots_globals(arena), f, p, s);
  arena_leave(arena);
}
/* ==== END SECTION roots ==== */

/* ==== BEGIN SECTION gcpools (automatic pools engineer) ==== */
/* AMS and LO class functions: design.ams, design.lo. */
#include "pool/ams.h"
#include "pool/lo.h"

mps_pool_class_t mps_class_ams(void)
{
  return (mps_pool_class_t)&ams_class;
}

mps_pool_class_t mps_class_ams_debug(void)
{
  return (mps_pool_class_t)&ams_debug_class;
}

mps_pool_class_t mps_class_lo(void)
{
  return (mps_pool_class_t)&lo_class;
}
/* ==== END SECTION gcpools ==== */

/* ==== BEGIN SECTION amc (AMC pool engineer) ==== */
/* AMC and AMCZ class functions and mps_amc_apply: design.amc. */
#include "pool/amc.h"
#include "trace/walk.h"

mps_pool_class_t mps_class_amc(void)
{
  return (mps_pool_class_t)&amc_class;
}

mps_pool_class_t mps_class_amcz(void)
{
  return (mps_pool_class_t)&amcz_class;
}

/* The closure of amc_apply_area: the client's stepper and values. */
typedef struct AMCApplyClosure {
  mps_amc_apply_stepper_t f;
  void *p;
  size_t s;
  const Format *format;
} AMCApplyClosure;

/* An area scanner calling the stepper on each object of a run. */
static mps_res_t amc_apply_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  AMCApplyClosure *c = closure;
  Addr obj;

  UNUSED(ss);
  for (obj = ptr_addr(base); obj < ptr_addr(limit); obj = format_skip(c->format, obj))
    c->f(addr_ptr(obj), c->p, c->s);
  return MPS_RES_OK;
}

/* design.amc.apply: every object of the pool, through the pool's walk
 * (so never padding nor forwarding objects).  Parked arena. */
void mps_amc_apply(mps_pool_t pool, mps_amc_apply_stepper_t f, void *p, size_t s)
{
  AMCApplyClosure c;
  Arena *arena;
  Res res;

  ASSERT_VALID(pool, pool);
  ASSERT(f != NULL);
  ASSERT(amc_is_amc_pool(pool));
  arena = pool->arena;
  arena_enter(arena);
  c.f = f;
  c.p = p;
  c.s = s;
  c.format = pool->format;
  res = walk_pool(pool, amc_apply_area, &c);
  ASSERT(res == RES_OK);   /* amc_apply_area cannot fail */
  UNUSED(res);
  arena_leave(arena);
}
/* ==== END SECTION amc ==== */

/* ==== BEGIN SECTION messages (messages, formats and walking engineer) ==== */
/* Messages, format constructors and queries, walking: design.message,
 * design.format, design.walk.  Each entry takes the arena lock once and
 * calls trace/message.h, pool/format.h or trace/walk.h. */
#include "trace/message.h"
#include "trace/walk.h"
#include "pool/format.h"

/* The message type codes of mps.h are MessageType values. */
_Static_assert((int)MESSAGE_TYPE_FINALIZATION == mps_message_type_finalization()
               && (int)MESSAGE_TYPE_GC == mps_message_type_gc()
               && (int)MESSAGE_TYPE_GC_START == mps_message_type_gc_start(),
               "design.message.type");

mps_message_type_t (mps_message_type_finalization)(void)
{
  return mps_message_type_finalization();
}

mps_message_type_t (mps_message_type_gc)(void)
{
  return mps_message_type_gc();
}

mps_message_type_t (mps_message_type_gc_start)(void)
{
  return mps_message_type_gc_start();
}

/* The manual leaves other codes undefined: asserted. */
static MessageType mpsi_message_type(mps_message_type_t message_type)
{
  ASSERT(message_type >= 0 && message_type_check((unsigned)message_type));
  return (MessageType)message_type;
}

void mps_message_type_enable(mps_arena_t arena, mps_message_type_t message_type)
{
  MessageType type = mpsi_message_type(message_type);
  arena_enter(arena);
  message_type_enable(message_globals(arena), type);
  arena_leave(arena);
}

void mps_message_type_disable(mps_arena_t arena, mps_message_type_t message_type)
{
  MessageType type = mpsi_message_type(message_type);
  arena_enter(arena);
  message_type_disable(message_globals(arena), type);
  arena_leave(arena);
}

mps_bool_t mps_message_poll(mps_arena_t arena)
{
  bool any;
  arena_enter(arena);
  any = message_queue_type(NULL, message_globals(arena));
  arena_leave(arena);
  return any;
}

mps_bool_t mps_message_queue_type(mps_message_type_t *message_type_o, mps_arena_t arena)
{
  MessageType type;
  bool any;

  ASSERT(message_type_o != NULL);
  arena_enter(arena);
  any = message_queue_type(&type, message_globals(arena));
  arena_leave(arena);
  if (any)
    *message_type_o = (mps_message_type_t)type;
  return any;
}

mps_bool_t mps_message_get(mps_message_t *message_o, mps_arena_t arena,
                           mps_message_type_t message_type)
{
  MessageType type = mpsi_message_type(message_type);
  Message *msg;
  bool got;

  ASSERT(message_o != NULL);
  arena_enter(arena);
  got = message_get(&msg, message_globals(arena), type);
  arena_leave(arena);
  if (got)
    *message_o = msg;
  return got;
}

void mps_message_discard(mps_arena_t arena, mps_message_t message)
{
  arena_enter(arena);
  message_discard(message_globals(arena), message);
  arena_leave(arena);
}

/* The accessors read a message the client owns; the lock keeps them
 * ordered with discarding and with arena destruction. */
#define MPSI_MESSAGE_READ(type_, result_, arena_, message_, call_) \
  MPS_BEGIN \
    arena_enter(arena_); \
    ASSERT_VALID(message, (message_)); \
    ASSERT((message_)->arena == (arena_)); \
    (result_) = (type_)(call_); \
    arena_leave(arena_); \
  MPS_END

mps_message_type_t mps_message_type(mps_arena_t arena, mps_message_t message)
{
  mps_message_type_t type;
  MPSI_MESSAGE_READ(mps_message_type_t, type, arena, message, message_type(message));
  return type;
}

mps_clock_t mps_message_clock(mps_arena_t arena, mps_message_t message)
{
  mps_clock_t clock;
  MPSI_MESSAGE_READ(mps_clock_t, clock, arena, message, message_clock(message));
  return clock;
}

/* design.final.register: the arena's registration table.  A NULL ref or
 * a block the collector does not manage is refused with MPS_RES_PARAM. */
mps_res_t mps_finalize(mps_arena_t arena, mps_addr_t *ref)
{
  Res res;
  if (ref == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  res = final_register(&mpsi_globals(arena)->final, arena, ptr_addr(*ref));
  arena_leave(arena);
  return res;
}

/* MPS_RES_FAIL if *ref has no registration left. */
mps_res_t mps_definalize(mps_arena_t arena, mps_addr_t *ref)
{
  Res res;
  if (ref == NULL)
    return MPS_RES_PARAM;
  arena_enter(arena);
  res = final_deregister(&mpsi_globals(arena)->final, ptr_addr(*ref));
  arena_leave(arena);
  return res;
}

void mps_message_finalization_ref(mps_addr_t *ref_o, mps_arena_t arena,
                                  mps_message_t message)
{
  Addr ref;
  ASSERT(ref_o != NULL);
  MPSI_MESSAGE_READ(Addr, ref, arena, message, message_finalization_ref(message));
  *ref_o = addr_ptr(ref);
}

size_t mps_message_gc_live_size(mps_arena_t arena, mps_message_t message)
{
  size_t size;
  MPSI_MESSAGE_READ(size_t, size, arena, message, message_gc_live_size(message));
  return size;
}

size_t mps_message_gc_condemned_size(mps_arena_t arena, mps_message_t message)
{
  size_t size;
  MPSI_MESSAGE_READ(size_t, size, arena, message, message_gc_condemned_size(message));
  return size;
}

size_t mps_message_gc_not_condemned_size(mps_arena_t arena, mps_message_t message)
{
  size_t size;
  MPSI_MESSAGE_READ(size_t, size, arena, message, message_gc_not_condemned_size(message));
  return size;
}

const char *mps_message_gc_start_why(mps_arena_t arena, mps_message_t message)
{
  const char *why;
  MPSI_MESSAGE_READ(const char *, why, arena, message, message_gc_start_why(message));
  return why;
}

/* The deprecated format constructors: design.format.variants. */
static mps_res_t mpsi_fmt_create(mps_fmt_t *fmt_o, mps_arena_t arena,
                                 const FormatFields *fields)
{
  Format *format;
  Res res;

  ASSERT(fmt_o != NULL);
  ASSERT_VALID(arena, arena);
  arena_enter(arena);
  res = format_create_fields(&format, arena, fields);
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *fmt_o = format;
  return MPS_RES_OK;
}

mps_res_t mps_fmt_create_A(mps_fmt_t *fmt_o, mps_arena_t arena, mps_fmt_A_s *fmt_A)
{
  FormatFields fields = {0};
  ASSERT(fmt_A != NULL);
  fields.align = fmt_A->align;
  fields.scan = fmt_A->scan;
  fields.skip = fmt_A->skip;
  fields.fwd = fmt_A->fwd;
  fields.isfwd = fmt_A->isfwd;
  fields.pad = fmt_A->pad;
  return mpsi_fmt_create(fmt_o, arena, &fields);   /* copy is unused */
}

mps_res_t mps_fmt_create_B(mps_fmt_t *fmt_o, mps_arena_t arena, mps_fmt_B_s *fmt_B)
{
  FormatFields fields = {0};
  ASSERT(fmt_B != NULL);
  fields.align = fmt_B->align;
  fields.scan = fmt_B->scan;
  fields.skip = fmt_B->skip;
  fields.fwd = fmt_B->fwd;
  fields.isfwd = fmt_B->isfwd;
  fields.pad = fmt_B->pad;
  fields.klass = fmt_B->mps_class;
  return mpsi_fmt_create(fmt_o, arena, &fields);
}

mps_res_t mps_fmt_create_auto_header(mps_fmt_t *fmt_o, mps_arena_t arena,
                                     mps_fmt_auto_header_s *fmt_ah)
{
  FormatFields fields = {0};
  ASSERT(fmt_ah != NULL);
  fields.align = fmt_ah->align;
  fields.header_size = fmt_ah->mps_headerSize;
  fields.scan = fmt_ah->scan;
  fields.skip = fmt_ah->skip;
  fields.fwd = fmt_ah->fwd;
  fields.isfwd = fmt_ah->isfwd;
  fields.pad = fmt_ah->pad;
  return mpsi_fmt_create(fmt_o, arena, &fields);
}

mps_res_t mps_fmt_create_fixed(mps_fmt_t *fmt_o, mps_arena_t arena,
                               mps_fmt_fixed_s *fmt_fixed)
{
  FormatFields fields = {0};
  ASSERT(fmt_fixed != NULL);
  fields.align = fmt_fixed->align;
  fields.scan = fmt_fixed->scan;
  fields.fwd = fmt_fixed->fwd;
  fields.isfwd = fmt_fixed->isfwd;
  fields.pad = fmt_fixed->pad;
  return mpsi_fmt_create(fmt_o, arena, &fields);   /* no skip method */
}

mps_bool_t mps_addr_fmt(mps_fmt_t *fmt_o, mps_arena_t arena, mps_addr_t addr)
{
  Format *format;
  bool found;

  ASSERT(fmt_o != NULL);
  arena_enter(arena);
  found = format_of_addr(&format, arena, ptr_addr(addr));
  arena_leave(arena);
  if (found)
    *fmt_o = format;
  return found;
}

void mps_arena_formatted_objects_walk(mps_arena_t arena, mps_formatted_objects_stepper_t f,
                                      void *p, size_t s)
{
  ASSERT(f != NULL);
  arena_enter(arena);
  walk_formatted_objects(arena, f, p, s);
  arena_leave(arena);
}

mps_res_t mps_pool_walk(mps_pool_t pool, mps_area_scan_t scan_area, void *closure)
{
  Arena *arena;
  Res res;

  ASSERT_VALID(pool, pool);
  ASSERT(scan_area != NULL);
  arena = pool->arena;
  arena_enter(arena);
  res = walk_pool(pool, scan_area, closure);
  arena_leave(arena);
  return res;
}

mps_res_t mps_addr_object(mps_addr_t *p_o, mps_arena_t arena, mps_addr_t addr)
{
  Addr client;
  Res res;

  ASSERT(p_o != NULL);
  arena_enter(arena);
  res = walk_addr_object(&client, arena, ptr_addr(addr));
  arena_leave(arena);
  if (res != RES_OK)
    return res;
  *p_o = addr_ptr(client);
  return MPS_RES_OK;
}
/* ==== END SECTION messages ==== */

/* ==== BEGIN SECTION ld (location dependency and allocation patterns engineer) ==== */
/* Location dependencies (design.ld) and allocation patterns
 * (design.ld.pattern).  The mps_ld_* functions take no lock
 * (design.ld.lockfree); the pattern functions take the arena lock. */
#include "trace/ld.h"
#include "trace/pattern.h"
#include "pool/buffer.h"

/* The arena's history, without the lock: the arena's signature (fixed
 * after creation) is all that may be checked here. */
static const LdGlobals *mpsi_ld_globals(mps_arena_t arena)
{
  ASSERT_CRIT(arena != NULL && arena->sig == SIG_ARENA);
  ASSERT_CRIT(arena_globals(arena) != NULL);
  return &arena_globals(arena)->ld;
}

void mps_ld_reset(mps_ld_t ld, mps_arena_t arena)
{
  ASSERT(ld != NULL);
  ASSERT(arena != NULL && arena->sig == SIG_ARENA);
  ld_reset(ld, mpsi_ld_globals(arena));
}

/* design.ld.add: lock-free and constant time. */
void mps_ld_add(mps_ld_t ld, mps_arena_t arena, mps_addr_t addr)
{
  ASSERT_CRIT(arena != NULL && arena->sig == SIG_ARENA);
  ld_add(ld, arena->zone_shift, ptr_addr(addr));
}

void mps_ld_merge(mps_ld_t ld, mps_arena_t arena, mps_ld_t from)
{
  ASSERT(arena != NULL && arena->sig == SIG_ARENA);
  UNUSED(arena);
  ld_merge(ld, from);
}

/* design.ld.isstale.addr: addr is not used, and must not be. */
mps_bool_t mps_ld_isstale(mps_ld_t ld, mps_arena_t arena, mps_addr_t addr)
{
  UNUSED(addr);
  return ld_is_stale(ld, mpsi_ld_globals(arena));
}

mps_bool_t mps_ld_isstale_any(mps_ld_t ld, mps_arena_t arena)
{
  return ld_is_stale(ld, mpsi_ld_globals(arena));
}

mps_alloc_pattern_t mps_alloc_pattern_ramp(void)
{
  return (mps_alloc_pattern_t)pattern_ramp();
}

mps_alloc_pattern_t mps_alloc_pattern_ramp_collect_all(void)
{
  return (mps_alloc_pattern_t)pattern_ramp_collect_all();
}

/* design.ld.pattern.begin: MPS_RES_OK for every pattern and AP. */
mps_res_t mps_ap_alloc_pattern_begin(mps_ap_t ap, mps_alloc_pattern_t alloc_pattern)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;
  Res res;

  ASSERT_VALID(buffer, buf);
  ASSERT_VALID(pattern, alloc_pattern);
  arena = buf->pool->arena;
  arena_enter(arena);
  res = pattern_buffer_begin(buf, alloc_pattern);
  arena_leave(arena);
  return res;
}

/* design.ld.pattern.end: MPS_RES_FAIL if no begun pattern matches. */
mps_res_t mps_ap_alloc_pattern_end(mps_ap_t ap, mps_alloc_pattern_t alloc_pattern)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;
  Res res;

  ASSERT_VALID(buffer, buf);
  ASSERT_VALID(pattern, alloc_pattern);
  arena = buf->pool->arena;
  arena_enter(arena);
  res = pattern_buffer_end(buf, alloc_pattern);
  arena_leave(arena);
  return res;
}

mps_res_t mps_ap_alloc_pattern_reset(mps_ap_t ap)
{
  Buffer *buf = buffer_of_ap(ap);
  Arena *arena;

  ASSERT_VALID(buffer, buf);
  arena = buf->pool->arena;
  arena_enter(arena);
  pattern_buffer_reset(buf);
  arena_leave(arena);
  return MPS_RES_OK;
}
/* ==== END SECTION ld ==== */

/* ==== BEGIN SECTION awl (AWL pool engineer) ==== */
/* The AWL class function: design.awl. */
#include "pool/awl.h"

mps_pool_class_t mps_class_awl(void)
{
  return (mps_pool_class_t)&awl_class;
}
/* ==== END SECTION awl ==== */
