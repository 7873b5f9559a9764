/* trace/final.c -- finalization registrations and the engine's final
 * step.
 * Design: manual/design/final.rst */
#include "trace/final.h"
#include "trace/trace.h"
#include "trace/message.h"

#include <string.h>

#define FINAL_TABLE_MIN 64u   /* entries of the first table */

bool final_globals_check(const FinalGlobals *fg)
{
  CHECK(fg != NULL);
  CHECK(fg->count <= fg->capacity);
  CHECK((fg->refs == NULL) == (fg->capacity == 0));
  return true;
}

void final_globals_init(FinalGlobals *fg)
{
  fg->refs = NULL;
  fg->count = 0;
  fg->capacity = 0;
  fg->finalized = 0;
}

void final_globals_finish(FinalGlobals *fg, Arena *arena)
{
  ASSERT(final_globals_check(fg));
  if (fg->refs != NULL)
    arena_control_free(arena, fg->refs, fg->capacity * sizeof(Addr));
  final_globals_init(fg);
}

/* Room for one more entry. */
static Res final_grow(FinalGlobals *fg, Arena *arena)
{
  Count capacity = fg->capacity == 0 ? FINAL_TABLE_MIN : fg->capacity * 2;
  void *p;
  Res res;

  if (capacity < fg->capacity || capacity > (Count)-1 / sizeof(Addr))
    return RES_MEMORY;
  res = arena_control_alloc(&p, arena, capacity * sizeof(Addr));
  if (res != RES_OK)
    return res;
  if (fg->count > 0)
    memcpy(p, fg->refs, fg->count * sizeof(Addr));
  if (fg->refs != NULL)
    arena_control_free(arena, fg->refs, fg->capacity * sizeof(Addr));
  fg->refs = p;
  fg->capacity = capacity;
  return RES_OK;
}

/* design.final.register: the client pointer of an object in a pool the
 * collector manages.  Pools that can find objects check it exactly. */
static bool final_ref_ok(Arena *arena, Addr ref)
{
  Seg *seg;
  Pool *pool;
  Addr client;

  if (!arena_seg_of_addr(&seg, arena, ref))
    return false;
  pool = seg->pool;
  if (!pool_has_attr(pool, POOL_ATTR_GC))
    return false;
  switch (pool->klass->addr_object(&client, pool, seg, ref)) {
  case RES_OK:
    return client == ref;
  case RES_UNIMPL:
    return true;              /* the class cannot tell: trust the client */
  default:
    return false;             /* free, padding, or not yet committed */
  }
}

Res final_register(FinalGlobals *fg, Arena *arena, Addr ref)
{
  Res res;

  ASSERT(final_globals_check(fg));
  ASSERT(arena_is_locked(arena));
  if (!final_ref_ok(arena, ref))
    return RES_PARAM;
  if (fg->count == fg->capacity) {
    res = final_grow(fg, arena);
    if (res != RES_OK)
      return res;
  }
  fg->refs[fg->count++] = ref;
  return RES_OK;
}

static void final_remove(FinalGlobals *fg, Index i)
{
  ASSERT(i < fg->count);
  fg->refs[i] = fg->refs[--fg->count];
}

Res final_deregister(FinalGlobals *fg, Addr ref)
{
  ASSERT(final_globals_check(fg));
  /* The newest registration goes first, which only matters to no one:
   * registrations of one object are alike. */
  for (Index i = fg->count; i > 0; --i) {
    if (fg->refs[i - 1] == ref) {
      final_remove(fg, i - 1);
      return RES_OK;
    }
  }
  return RES_FAIL;
}

Count final_trace(FinalGlobals *fg, Trace *trace)
{
  Arena *arena = trace->arena;
  TraceSet ts = traceset_single(trace->ti);
  ScanState weak, final;
  Count posted = 0, dead, keep;
  Index i = 0;

  ASSERT(final_globals_check(fg));
  ASSERT(arena_is_locked(arena));
  if (fg->count == 0)
    return 0;
  /* design.final.trace.test: a weak fix tells whether the trace has
   * preserved an object (and where it is now) without preserving it */
  scan_state_init(&weak, arena, ts, RANK_WEAK);
  scan_state_set_white(&weak, trace->white);
  scan_state_init(&final, arena, ts, RANK_FINAL);
  scan_state_set_white(&final, trace->white);
  /* Phase 1: partition into [0, dead) preserved by the trace and
   * [dead, count) not (or whose pool is gone: 0).  Every registration is
   * judged before any is preserved, so an object registered twice gets
   * two messages (design.final.once). */
  dead = fg->count;
  while (i < dead) {
    Addr ref = fg->refs[i], probe = ref;
    Seg *seg;
    Res res;

    if (!arena_seg_of_addr(&seg, arena, ref) || !pool_has_attr(seg->pool, POOL_ATTR_GC)) {
      probe = 0;             /* design.final.pool-destroyed */
      ref = 0;
    } else {
      res = scan_fix(&weak, &probe);
      ASSERT(res == RES_OK);   /* design.trace.scan.nofail */
      UNUSED(res);
    }
    if (probe != 0) {
      fg->refs[i] = probe;   /* alive; it may have moved */
      ++i;
    } else {
      --dead;
      fg->refs[i] = fg->refs[dead];
      fg->refs[dead] = ref;
    }
  }
  /* Phase 2: preserve each unreachable object at the final rank, so it
   * and what it refers to survive until the client has the message. */
  keep = dead;
  for (Index j = dead; j < fg->count; ++j) {
    Addr ref = fg->refs[j];
    Message *msg;
    Res res;

    if (ref == 0)
      continue;
    res = scan_fix(&final, &ref);
    ASSERT(res == RES_OK);
    UNUSED(res);
    if (message_alloc(&msg, arena) != RES_OK) {
      fg->refs[keep++] = ref;   /* design.final.trace.nomem: next time */
      continue;
    }
    message_post_finalization(msg, ref);
    ++posted;
  }
  fg->count = keep;
  trace->fix_ref_count += weak.fix_ref_count + final.fix_ref_count;
  scan_state_finish(&weak);
  scan_state_finish(&final);
  fg->finalized += posted;
  return posted;
}
