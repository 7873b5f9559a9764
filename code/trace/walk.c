/* trace/walk.c -- walking the formatted objects of pools and arenas, and
 * finding the object that holds an address.
 * Design: manual/design/walk.rst */
#include "trace/walk.h"
#include "pool/scan.h"
#include "arena/seg.h"

/* design.walk.parked: collections run inside one call with the arena
 * lock held, so holding the lock with no trace busy is the parked state
 * as far as a walk can tell. */
static void walk_check_parked(const Arena *arena)
{
  UNUSED(arena);   /* checks only */
  ASSERT(arena_is_locked(arena));
  ASSERT(arena->busy_traces == TRACESET_EMPTY);
}

bool walk_pool_can(const Pool *pool)
{
  ASSERT_VALID(pool, pool);
  return pool->format != NULL && pool->klass->walk != pool_no_walk;
}

/* Walk every segment of pool with scan_area, stopping at the first
 * result that is not RES_OK (RES_UNIMPL from a class that cannot walk).
 * design.walk.segs */
static Res walk_pool_segs(Pool *pool, mps_area_scan_t scan_area, void *closure)
{
  ScanState ss;
  Ring *node, *next;
  Res res = RES_OK;

  /* design.walk.ss: no traces, so every fix leaves the reference alone */
  scan_state_init(&ss, pool->arena, TRACESET_EMPTY, RANK_EXACT);
  RING_FOR(node, &pool->seg_ring, next) {
    Seg *seg = RING_ELT(Seg, pool_ring, node);
    ASSERT_VALID(seg, seg);
    ASSERT(seg->pool == pool);
    res = pool->klass->walk(pool, seg, &ss, scan_area, closure);
    if (res != RES_OK)
      break;
  }
  scan_state_finish(&ss);
  return res;
}

Res walk_pool(Pool *pool, mps_area_scan_t scan_area, void *closure)
{
  ASSERT_VALID(pool, pool);
  ASSERT(scan_area != NULL);
  walk_check_parked(pool->arena);
  /* design.walk.pool.result */
  if (pool->format == NULL)
    return RES_PARAM;
  if (!walk_pool_can(pool))
    return RES_UNIMPL;
  return walk_pool_segs(pool, scan_area, closure);
}

/* The closure of walk_step_area: the client's stepper and its
 * arguments, and the pool being walked. */
typedef struct WalkStepClosure {
  mps_formatted_objects_stepper_t f;
  void *p;
  size_t s;
  Pool *pool;
} WalkStepClosure;

/* An area scanner that calls the stepper on each object of a run of
 * client pointers, stepping with the format's skip method. */
static mps_res_t walk_step_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  WalkStepClosure *wsc = closure;
  Format *format = wsc->pool->format;
  Addr obj;

  UNUSED(ss);
  ASSERT_CRIT(ptr_addr(base) <= ptr_addr(limit));
  for (obj = ptr_addr(base); obj < ptr_addr(limit); obj = format_skip(format, obj))
    wsc->f(addr_ptr(obj), format, wsc->pool, wsc->p, wsc->s);
  ASSERT_CRIT(obj == ptr_addr(limit));   /* runs hold whole objects */
  return MPS_RES_OK;
}

void walk_formatted_objects(Arena *arena, mps_formatted_objects_stepper_t f,
                            void *p, size_t s)
{
  Ring *node, *next;

  ASSERT_VALID(arena, arena);
  ASSERT(f != NULL);
  walk_check_parked(arena);
  RING_FOR(node, arena_pool_ring(arena), next) {
    Pool *pool = RING_ELT(Pool, arena_ring, node);
    WalkStepClosure wsc;
    Res res;

    ASSERT_VALID(pool, pool);
    /* design.walk.arena: pools without a format, or whose class cannot
     * walk, hold no objects this walk can visit. */
    if (!walk_pool_can(pool) || pool->format->skip == NULL)
      continue;
    wsc.f = f;
    wsc.p = p;
    wsc.s = s;
    wsc.pool = pool;
    res = walk_pool_segs(pool, walk_step_area, &wsc);
    /* walk_step_area cannot fail; a class may still refuse */
    ASSERT(res == RES_OK || res == RES_UNIMPL);
    UNUSED(res);
  }
}

Res walk_addr_object(Addr *client_o, Arena *arena, Addr addr)
{
  Seg *seg;
  Pool *pool;
  Addr client;
  Res res;

  ASSERT(client_o != NULL);
  ASSERT_VALID(arena, arena);
  walk_check_parked(arena);
  /* design.walk.addr-object */
  if (!arena_seg_of_addr(&seg, arena, addr))
    return RES_FAIL;
  pool = seg->pool;
  ASSERT_VALID(pool, pool);
  res = pool->klass->addr_object(&client, pool, seg, addr);
  if (res != RES_OK)
    return res;
  *client_o = client;
  return RES_OK;
}
