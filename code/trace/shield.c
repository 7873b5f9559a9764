/* trace/shield.c -- the shield: segment protection, lazily and in
 * batches, and the arena's fault handler.
 * Design: manual/design/shield.rst */
#include "trace/shield.h"
#include "platform/prot.h"

#include <stddef.h>

/* ---- Checks ---- */

bool shield_check(const Shield *shield)
{
  CHECK_SIG(shield, SIG_SHIELD);
  CHECK_PARENT(arena, shield->arena);
  CHECK_BOOL(shield->attached);
  CHECK_BOOL(shield->inside);
  CHECK_BOOL(shield->suspended);
  CHECK(shield->barrier != NULL);
  CHECK((shield->suspend == NULL) == (shield->resume == NULL));
  CHECK(shield->queue_count <= CONFIG_SHIELD_QUEUE_LENGTH);
  /* design.shield.inv.outside */
  if (!shield->inside) {
    CHECK(shield->queue_count == 0);
    CHECK(!shield->suspended);
    CHECK(shield->holds == 0);
    CHECK(shield->depth == 0);
  }
  /* design.shield.inv.hold */
  CHECK(shield->holds == 0 || shield->suspended);
#if CONFIG_CHECK_DEEP
  for (Index i = 0; i < shield->queue_count; ++i) {
    CHECK_PARENT(seg, shield->queue[i]);
    CHECK(shield->queue[i]->queued);
    CHECK(shield->queue[i]->arena == shield->arena);
  }
#endif
  return true;
}

/* What seg's pages should trap now: nothing while exposed. */
static inline AccessSet seg_want(const Seg *seg)
{
  return seg->depth > 0 ? ACCESS_NONE : seg->sm;
}

/* ---- Applying protection ---- */

static void shield_protect(Shield *shield, Addr base, Addr limit, AccessSet mode)
{
  prot_set(base, limit - base, mode);
  ++shield->prot_calls;
}

/* Record that seg's pages now trap `mode`. */
static void seg_set_pm(Shield *shield, Seg *seg, AccessSet mode)
{
  if (seg->pm == ACCESS_NONE && mode != ACCESS_NONE)
    ++shield->protected_count;
  else if (seg->pm != ACCESS_NONE && mode == ACCESS_NONE) {
    ASSERT(shield->protected_count > 0);
    --shield->protected_count;
  }
  seg->pm = mode;
}

/* Bring seg's pages to what is wanted, now. */
static void shield_sync(Shield *shield, Seg *seg)
{
  AccessSet want = seg_want(seg);
  if (seg->pm == want)
    return;
  shield_protect(shield, seg_base(seg), seg_limit(seg), want);
  seg_set_pm(shield, seg, want);
}

/* design.shield.queue.merge: sort by address, so that neighbours are
 * adjacent.  Insertion sort: the queue is short and usually filled in
 * address order already. */
static void shield_queue_sort(Shield *shield)
{
  Seg **q = shield->queue;
  for (Index i = 1; i < shield->queue_count; ++i) {
    Seg *s = q[i];
    Index j = i;
    while (j > 0 && seg_base(q[j - 1]) > seg_base(s)) {
      q[j] = q[j - 1];
      --j;
    }
    q[j] = s;
  }
}

void shield_flush(Shield *shield)
{
  Addr run_base = 0, run_limit = 0;
  AccessSet run_mode = ACCESS_NONE;
  bool run = false, changed = false;

  ASSERT_VALID(shield, shield);
  ASSERT(arena_is_locked(shield->arena));
  ASSERT(shield->inside);
  shield_queue_sort(shield);
  /* design.shield.queue.merge: one prot_set per run of segments that
   * touch and want the same protection.  A synced segment joins a run
   * (setting its protection again changes nothing) but starts none. */
  for (Index i = 0; i < shield->queue_count; ++i) {
    Seg *seg = shield->queue[i];
    AccessSet want = seg_want(seg);
    ASSERT_CRIT(seg->queued);
    seg->queued = false;
    if (run && seg_base(seg) == run_limit && want == run_mode) {
      run_limit = seg_limit(seg);
      seg_set_pm(shield, seg, want);
      continue;
    }
    if (run) {
      shield_protect(shield, run_base, run_limit, run_mode);
      run = false;
    }
    if (seg->pm != want) {
      run = true;
      changed = true;
      run_base = seg_base(seg);
      run_limit = seg_limit(seg);
      run_mode = want;
      seg_set_pm(shield, seg, want);
    }
  }
  if (run)
    shield_protect(shield, run_base, run_limit, run_mode);
  shield->queue_count = 0;
  if (changed)
    ++shield->flushes;
}

static void shield_queue(Shield *shield, Seg *seg)
{
  if (seg->queued)
    return;
  if (shield->queue_count == CONFIG_SHIELD_QUEUE_LENGTH)
    shield_flush(shield);
  shield->queue[shield->queue_count++] = seg;
  seg->queued = true;
}

/* ---- The mutator ---- */

static void shield_suspend(Shield *shield)
{
  if (shield->suspended)
    return;
  if (shield->suspend != NULL)
    shield->suspend(shield->mutator_closure);
  shield->suspended = true;
}

static void shield_resume(Shield *shield)
{
  if (!shield->suspended)
    return;
  if (shield->resume != NULL)
    shield->resume(shield->mutator_closure);
  shield->suspended = false;
}

/* design.shield.inv.hole: after seg's sm or depth changed, decide when
 * its pages follow.  The mutator may run only where the pages trap at
 * least what sm asks for. */
static void shield_update(Shield *shield, Seg *seg)
{
  ASSERT_CRIT(shield->inside);
  if (seg->depth > 0) {
    /* design.shield.expose: unprotected now; a hole unless stopped */
    if (seg->sm != ACCESS_NONE)
      shield_suspend(shield);
    shield_sync(shield, seg);
    return;
  }
  if (seg->pm == seg->sm)
    return;
  if ((seg->sm & ~seg->pm) != 0 && !shield->suspended) {
    /* Raising while the mutator runs: a queued raise would be a hole. */
    shield_sync(shield, seg);
    return;
  }
  shield_queue(shield, seg);   /* design.shield.lazy */
}

/* ---- The interface ---- */

void shield_init(Shield *shield, Arena *arena)
{
  ASSERT(shield != NULL);
  ASSERT_VALID(arena, arena);
  shield->arena = arena;
  shield->fault.sig = SIG_INVALID;
  shield->attached = false;
  shield->barrier = shield_barrier_lift;
  shield->barrier_closure = NULL;
  shield->suspend = NULL;
  shield->resume = NULL;
  shield->mutator_closure = NULL;
  shield->inside = false;
  shield->suspended = false;
  shield->holds = 0;
  shield->depth = 0;
  shield->protected_count = 0;
  shield->queue_count = 0;
  shield->prot_calls = 0;
  shield->flushes = 0;
  shield->barrier_hits = 0;
  shield->stale_faults = 0;
  shield->sig = SIG_SHIELD;
  ASSERT_VALID(shield, shield);
}

void shield_finish(Shield *shield)
{
  ASSERT_VALID(shield, shield);
  ASSERT(!shield->inside);
  ASSERT(!shield->attached);
  ASSERT(shield->protected_count == 0);
  shield->sig = SIG_INVALID;
}

void shield_set_barrier(Shield *shield, ShieldBarrierFn barrier, void *closure)
{
  ASSERT_VALID(shield, shield);
  ASSERT(!shield->inside);
  shield->barrier = barrier != NULL ? barrier : shield_barrier_lift;
  shield->barrier_closure = barrier != NULL ? closure : NULL;
}

void shield_set_mutator(Shield *shield, ShieldMutatorFn suspend, ShieldMutatorFn resume,
                        void *closure)
{
  ASSERT_VALID(shield, shield);
  ASSERT(!shield->inside);
  ASSERT((suspend == NULL) == (resume == NULL));
  shield->suspend = suspend;
  shield->resume = resume;
  shield->mutator_closure = closure;
}

void shield_enter(Shield *shield)
{
  ASSERT_VALID(shield, shield);
  ASSERT(arena_is_locked(shield->arena));
  ASSERT(!shield->inside);
  shield->inside = true;
}

void shield_leave(Shield *shield)
{
  ASSERT_VALID(shield, shield);
  ASSERT(arena_is_locked(shield->arena));
  ASSERT(shield->inside);
  /* design.shield.inv.outside: every expose covered, every hold
   * released, every change applied before the mutator runs again. */
  ASSERT(shield->depth == 0);
  ASSERT(shield->holds == 0);
  shield_flush(shield);
  shield_resume(shield);
  shield->inside = false;
}

/* The preconditions of raise, lower, expose and cover. */
static void shield_seg_args(const Shield *shield, const Seg *seg)
{
  ASSERT_VALID(shield, shield);
  ASSERT_VALID(seg, seg);
  ASSERT(seg->arena == shield->arena);
  ASSERT(shield->inside);
  UNUSED(shield);
  UNUSED(seg);
}

void shield_raise(Shield *shield, Seg *seg, AccessSet mode)
{
  shield_seg_args(shield, seg);
  ASSERT(mode != ACCESS_NONE && mode <= ACCESS_RW);
  seg->sm |= mode;
  shield_update(shield, seg);
}

void shield_lower(Shield *shield, Seg *seg, AccessSet mode)
{
  shield_seg_args(shield, seg);
  ASSERT(mode != ACCESS_NONE && mode <= ACCESS_RW);
  seg->sm &= ~mode;
  shield_update(shield, seg);
}

void shield_expose(Shield *shield, Seg *seg)
{
  shield_seg_args(shield, seg);
  ++seg->depth;
  ASSERT(seg->depth > 0);     /* no wrap */
  ++shield->depth;
  shield_update(shield, seg);
  /* design.shield.inv.expose */
  ASSERT_CRIT(seg->pm == ACCESS_NONE);
  ASSERT_CRIT(seg->sm == ACCESS_NONE || shield->suspended);
}

void shield_cover(Shield *shield, Seg *seg)
{
  shield_seg_args(shield, seg);
  ASSERT(seg->depth > 0);
  ASSERT(shield->depth > 0);
  --seg->depth;
  --shield->depth;
  if (seg->depth == 0)
    shield_update(shield, seg);
}

void shield_hold(Shield *shield)
{
  ASSERT_VALID(shield, shield);
  ASSERT(shield->inside);
  ++shield->holds;
  shield_suspend(shield);
}

void shield_release(Shield *shield)
{
  ASSERT_VALID(shield, shield);
  ASSERT(shield->inside);
  ASSERT(shield->holds > 0);
  /* The mutator stays stopped until leave: queued raises may need it. */
  --shield->holds;
}

void shield_seg_free(Shield *shield, Seg *seg)
{
  ASSERT_VALID(shield, shield);
  ASSERT_VALID(seg, seg);
  ASSERT(seg->arena == shield->arena);
  ASSERT(arena_is_locked(shield->arena));
  ASSERT(seg->depth == 0);
  seg->sm = ACCESS_NONE;
  shield_sync(shield, seg);
  if (seg->queued) {
    for (Index i = 0; i < shield->queue_count; ++i) {
      if (shield->queue[i] == seg) {
        shield->queue[i] = shield->queue[--shield->queue_count];
        break;
      }
    }
    seg->queued = false;
  }
  ASSERT_CRIT(seg->pm == ACCESS_NONE);
}

/* ---- Faults: design.shield.fault ---- */

bool shield_barrier_lift(Shield *shield, Seg *seg, Addr addr, AccessSet access, void *closure)
{
  UNUSED(addr);
  UNUSED(closure);
  shield_lower(shield, seg, prot_lift_for(access));
  return true;
}

static Shield *shield_of_fault_client(FaultClient *client)
{
  return (Shield *)(void *)((char *)client - offsetof(Shield, fault));
}

/* The fault client of one arena.  Runs in the signal handler of the
 * faulting thread, with the fault registry lock held. */
static bool shield_fault(FaultClient *client, Addr addr, AccessSet access)
{
  Shield *shield = shield_of_fault_client(client);
  Arena *arena = shield->arena;
  Seg *seg;
  bool handled = false;

  if (arena_is_locked(arena)) {
    /* design.shield.fault.inside: this thread is inside the library
     * for this arena, which never touches memory it has not exposed.
     * (A fault elsewhere, in a client's format method say, is a plain
     * crash: not ours.) */
    bool library_faulted_on_protected_segment =
        arena_seg_of_addr(&seg, arena, addr) && seg->pm != ACCESS_NONE;
    ASSERT_CRIT(!library_faulted_on_protected_segment);
    UNUSED(library_faulted_on_protected_segment);
    return false;
  }

  arena_enter(arena);
  ASSERT_VALID(shield, shield);
  if (arena_seg_of_addr(&seg, arena, addr)) {
    /* Nobody else is inside: we hold the lock (design.shield.inv.outside). */
    ASSERT_CRIT(!shield->inside);
    if ((prot_traps(seg->pm) & access) == 0) {
      /* design.shield.fault.stale: lifted while we waited for the lock */
      ++shield->stale_faults;
      handled = true;
    } else {
      ++shield->barrier_hits;
      shield_enter(shield);
      handled = shield->barrier(shield, seg, addr, access, shield->barrier_closure);
      shield_leave(shield);
      /* design.shield.fault.retry: a handled access must not fault again */
      ASSERT_CRIT(!handled || (prot_traps(seg->pm) & access) == 0);
    }
  }
  arena_leave(arena);
  return handled;
}

Res shield_attach(Shield *shield)
{
  Res res;

  ASSERT_VALID(shield, shield);
  ASSERT(!shield->attached);
  ASSERT(!arena_is_locked(shield->arena));   /* design.shield.fault.lock */
  res = fault_register(&shield->fault, shield_fault);
  if (res != RES_OK)
    return res;
  shield->attached = true;
  return RES_OK;
}

void shield_detach(Shield *shield)
{
  ASSERT_VALID(shield, shield);
  ASSERT(shield->attached);
  ASSERT(!arena_is_locked(shield->arena));   /* design.shield.fault.lock */
  ASSERT(!shield->inside);
  ASSERT(shield->protected_count == 0);
  fault_deregister(&shield->fault);
  shield->attached = false;
}
