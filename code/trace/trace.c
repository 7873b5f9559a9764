/* trace/trace.c -- the trace layer's per-arena state and the trace
 * engine.
 * Design: manual/design/trace.rst */
#include "trace/trace.h"
#include "trace/root.h"
#include "trace/message.h"
#include "trace/verify.h"
#include "pool/buffer.h"
#include "pool/gen.h"

/* ---- Globals ---- */

bool globals_check(const Globals *g)
{
  CHECK_SIG(g, SIG_GLOBALS);
  CHECK_PARENT(arena, g->arena);
  CHECK(g->arena->globals == g);
  CHECK(g->clamp <= GLOBALS_PARKED);
  return true;
}

Res globals_create(Arena *arena)
{
  Globals *g;
  void *p;
  Res res;

  ASSERT_VALID(arena, arena);
  ASSERT(arena->globals == NULL);
  res = arena_control_alloc(&p, arena, sizeof(Globals));
  if (res != RES_OK)
    return res;
  g = p;
  g->arena = arena;
  roots_globals_init(g);
  messages_init(g);
  ld_globals_init(&g->ld);
  pattern_globals_init(&g->pattern);
  final_globals_init(&g->final);
  for (TraceId ti = 0; ti < TRACE_MAX; ++ti) {
    g->trace[ti].sig = SIG_INVALID;
    g->trace[ti].ti = ti;
    g->trace[ti].arena = arena;
    g->trace[ti].state = TRACE_FINISHED;
  }
  g->clamp = GLOBALS_UNCLAMPED;
  g->postmortem = false;
  g->in_collection = false;
  g->collections = 0;
  g->last_collect_clocks = 0;
  g->shield_depth = 0;
  g->shield_suspended = false;
  g->expose_count = 0;
  g->sig = SIG_GLOBALS;
  arena->globals = g;
  return RES_OK;
}

void globals_destroy(Arena *arena)
{
  Globals *g = arena_globals(arena);
  Ring *node, *next;

  ASSERT_VALID(globals, g);
  ASSERT(!g->in_collection);
  /* design.trace.globals.destroy: the client destroys its roots and
   * deregisters its threads before the arena. */
  roots_globals_finish(g);
  messages_destroy_all(g);
  ld_globals_finish(&g->ld);
  pattern_globals_finish(&g->pattern);
  final_globals_finish(&g->final, arena);
  /* The default chain is ours; any other is the client's to destroy. */
  RING_FOR(node, &arena->chain_ring, next) {
    Chain *chain = RING_ELT(Chain, arena_ring, node);
    ASSERT(chain == arena->default_chain);
    chain_destroy(chain);
  }
  g->sig = SIG_INVALID;
  arena->globals = NULL;
  arena_control_free(arena, g, sizeof(Globals));
}

/* ---- Iteration helpers ---- */

static bool pool_is_collected(const Pool *pool)
{
  return pool_has_attr(pool, POOL_ATTR_GC);
}

/* Pools the trace looks into: collected ones, and scanned ones (SNC). */
static bool pool_is_traced(const Pool *pool)
{
  return (pool->klass->attr & (POOL_ATTR_GC | POOL_ATTR_SCAN)) != 0;
}

/* ---- The engine: design.trace.engine ---- */

/* design.trace.scan.error: keep the first error for the caller. */
static void trace_note_error(Trace *trace, Res res)
{
  if (res != RES_OK && trace->scan_res == RES_OK)
    trace->scan_res = res;
}

/* design.trace.scan.error: the pool's scan of seg failed part way.  What
 * it did not reach is found by treating every word of the segment as an
 * ambiguous reference (as it is, and with the bits below a word masked
 * off, so tagged references count): whatever the failed scan would have preserved is
 * preserved, and nothing moves under a word it did not update. */
static void trace_scan_seg_conservatively(Seg *seg, ScanState *failed)
{
  area_scan_conservatively(failed, seg_base(seg), seg_limit(seg));
  failed->fixed_summary = REFSET_UNIV;
}

static void trace_scan_roots(Trace *trace, Rank rank)
{
  Arena *arena = trace->arena;
  ScanState ss;
  Res res;

  scan_state_init(&ss, arena, traceset_single(trace->ti), rank);
  scan_state_set_white(&ss, trace->white);
  res = roots_scan(&ss, arena_globals(arena), rank);
  /* design.trace.scan.error: only a client's scanner can fail */
  trace_note_error(trace, res);
  ++trace->root_scan_count;
  trace->fix_ref_count += ss.fix_ref_count;
  trace->scanned_size += ss.scanned_size;
  scan_state_finish(&ss);
}

/* design.trace.message.keep: a finalization message keeps its object
 * until the client discards it, as an exact root would. */
static void trace_scan_messages(Trace *trace)
{
  Arena *arena = trace->arena;
  ScanState ss;
  Res res;

  scan_state_init(&ss, arena, traceset_single(trace->ti), RANK_EXACT);
  scan_state_set_white(&ss, trace->white);
  res = messages_scan(&ss, arena_globals(arena));
  ASSERT(res == RES_OK);   /* our own scanner: design.trace.scan.error */
  UNUSED(res);
  trace->fix_ref_count += ss.fix_ref_count;
  scan_state_finish(&ss);
}

/* design.trace.scan.seg: scan seg once for trace at its own rank, then
 * make it black and give it a summary. */
static void trace_scan_seg(Trace *trace, Seg *seg)
{
  Arena *arena = trace->arena;
  TraceSet ts = traceset_single(trace->ti);
  Pool *pool = seg_pool(seg);
  ScanState ss;
  bool total = false;
  RefSet summary;
  Res res;

  ASSERT((seg->grey & ts) != 0);
  scan_state_init(&ss, arena, ts, seg_rank(seg));
  scan_state_set_white(&ss, trace->white);
  res = pool->klass->scan(&total, &ss, pool, seg);
  if (res != RES_OK) {
    /* The conservative scan may grey objects of seg itself: seg is then
     * grey again and its pool scans them (they are marked only once, so
     * this ends). */
    trace_note_error(trace, res);
    seg_set_grey(seg, seg->grey & ~ts);
    trace_scan_seg_conservatively(seg, &ss);
    total = true;           /* fixed_summary is now everything */
  } else {
    seg_set_grey(seg, seg->grey & ~ts);
  }
  /* design.seg.inv.summary: the refs now in the segment lie in the zones
   * MPS_FIX1 saw that were not white, or where fixing left them. */
  summary = (scan_state_unfixed_summary(&ss) & ~trace->white) | ss.fixed_summary;
  if (total)
    seg->summary = summary;
  else
    seg->summary |= summary | scan_state_unfixed_summary(&ss);
  ++trace->seg_scan_count;
  trace->fix_ref_count += ss.fix_ref_count;
  trace->scanned_size += ss.scanned_size;
  scan_state_finish(&ss);
}

/* Scan grey segments of rank up to `band` until there are none, lowest
 * rank first (design.trace.band). */
static void trace_scan_grey(Trace *trace, Rank band)
{
  Arena *arena = trace->arena;

  trace->band = band;
  for (;;) {
    Seg *seg = NULL;
    for (Rank r = 0; r <= band; ++r) {
      if (!ring_is_empty(&arena->grey_ring[r])) {
        seg = RING_ELT(Seg, grey_ring, arena->grey_ring[r].next);
        break;
      }
    }
    if (seg == NULL)
      return;
    trace_scan_seg(trace, seg);
  }
}

/* design.trace.condemn: offer every segment of every collected pool to
 * its pool, which whitens those of the condemned generations.  Returns
 * the zones of white segments of pools that may move objects
 * (design.ld.hook). */
static RefSet trace_condemn(Trace *trace)
{
  Arena *arena = trace->arena;
  TraceSet ts = traceset_single(trace->ti);
  Ring *pnode, *pnext, *snode, *snext;
  RefSet moving = REFSET_EMPTY;

  RING_FOR(pnode, arena_pool_ring(arena), pnext) {
    Pool *pool = RING_ELT(Pool, arena_ring, pnode);
    if (!pool_is_collected(pool))
      continue;
    RING_FOR(snode, &pool->seg_ring, snext) {
      Seg *seg = RING_ELT(Seg, pool_ring, snode);
      Res res = pool->klass->whiten(pool, trace, seg);
      ASSERT(res == RES_OK);
      UNUSED(res);
      if ((seg->white & ts) != 0) {
        RefSet zones = refset_of_range(arena->zone_shift, seg_base(seg), seg_limit(seg));
        trace->white |= zones;
        if (pool_has_attr(pool, POOL_ATTR_MOVING))
          moving |= zones;
      } else {
        trace->not_condemned += seg_size(seg);
      }
    }
  }
  return moving;
}

/* design.trace.flip: trap every buffer so a commit in progress fails,
 * grey what may point into the white set, scan the roots. */
static void trace_flip(Trace *trace)
{
  Arena *arena = trace->arena;
  TraceSet ts = traceset_single(trace->ti);
  Ring *pnode, *pnext, *node, *next;

  RING_FOR(pnode, arena_pool_ring(arena), pnext) {
    Pool *pool = RING_ELT(Pool, arena_ring, pnode);
    if (!pool_is_traced(pool))
      continue;
    RING_FOR(node, &pool->buffer_ring, next) {
      Buffer *buf = RING_ELT(Buffer, pool_ring, node);
      buffer_flip(buf);
    }
    RING_FOR(node, &pool->seg_ring, next) {
      Seg *seg = RING_ELT(Seg, pool_ring, node);
      /* design.trace.flip.summary: a segment whose references cannot
       * point into the white set need not be scanned.  Summaries are
       * widened whenever the mutator may write (trace_widen_summaries),
       * so today that is every segment with references. */
      if ((seg->white & ts) == 0 && seg->rank_set != RANKSET_EMPTY
          && (seg->summary & trace->white) != REFSET_EMPTY)
        pool->klass->grey(pool, trace, seg);
    }
  }
  arena->flipped_traces |= ts;
  trace->state = TRACE_FLIPPED;
  trace_scan_roots(trace, RANK_AMBIG);
  /* design.trace.flip.ambig: everything ambiguous is fixed before any
   * exact reference, so no object an ambiguous reference points to has
   * been copied away when that reference is found. */
  trace_scan_grey(trace, RANK_AMBIG);
  trace_scan_roots(trace, RANK_EXACT);
  trace_scan_messages(trace);
}

/* design.trace.flip.summary: the mutator is about to run, and without a
 * write barrier it may store any reference anywhere, so every summary
 * becomes the universal set.  The incremental issue replaces this with
 * write protection of the segments whose summaries are kept. */
static void trace_widen_summaries(Arena *arena)
{
  Ring *pnode, *pnext, *snode, *snext;

  RING_FOR(pnode, arena_pool_ring(arena), pnext) {
    Pool *pool = RING_ELT(Pool, arena_ring, pnode);
    if (!pool_is_traced(pool))
      continue;
    RING_FOR(snode, &pool->seg_ring, snext) {
      Seg *seg = RING_ELT(Seg, pool_ring, snode);
      if (seg->rank_set != RANKSET_EMPTY)
        seg->summary = REFSET_UNIV;
    }
  }
}

static void trace_reclaim(Trace *trace)
{
  Arena *arena = trace->arena;
  TraceSet ts = traceset_single(trace->ti);
  Ring *pnode, *pnext, *snode, *snext;

  trace->state = TRACE_RECLAIM;
  RING_FOR(pnode, arena_pool_ring(arena), pnext) {
    Pool *pool = RING_ELT(Pool, arena_ring, pnode);
    if (!pool_is_collected(pool))
      continue;
    RING_FOR(snode, &pool->seg_ring, snext) {
      Seg *seg = RING_ELT(Seg, pool_ring, snode);
      if ((seg->white & ts) != 0)
        pool->klass->reclaim(pool, trace, seg);   /* may free seg */
    }
  }
  /* design.scan.account */
  ASSERT(trace->preserved + trace->reclaimed == trace->condemned);
}

/* design.gen.condemn: a full collection condemns every generation; one
 * started by the policy condemns, in each chain whose generation 0 is
 * over capacity, generation 0 and each following generation that is
 * over capacity too; a young one (a step) does the same in every chain,
 * whether generation 0 is over capacity or not. */
static void chains_condemn(Arena *arena, bool full, bool young)
{
  Ring *node, *next;
  RING_FOR(node, &arena->chain_ring, next) {
    Chain *chain = RING_ELT(Chain, arena_ring, node);
    bool more = full || young || chain_gen_over_capacity(chain, 0);
    for (Index gen = 0; gen < chain->gen_count; ++gen) {
      chain_condemn_gen(chain, gen, more);
      more = more && (full || (gen + 1 < chain->gen_count
                               && chain_gen_over_capacity(chain, gen + 1)));
    }
  }
}

/* The condemned generations start again; the marks are cleared. */
static void chains_collected(Arena *arena)
{
  Ring *node, *next;
  RING_FOR(node, &arena->chain_ring, next) {
    Chain *chain = RING_ELT(Chain, arena_ring, node);
    for (Index gen = 0; gen < chain->gen_count; ++gen) {
      if (chain->gens[gen].condemned)
        chain_gen_collected(chain, gen);
      chain_condemn_gen(chain, gen, false);
    }
  }
}

Res trace_collect(Globals *g, TraceWhy why)
{
  Arena *arena;
  Trace *trace;
  TraceSet ts;
  Message *start_msg, *end_msg;
  mps_clock_t start;
  RefSet moved;
  bool full;
  Res res;

  ASSERT_VALID(globals, g);
  ASSERT(why < TRACE_WHY_LIMIT);
  arena = g->arena;
  ASSERT(arena_is_locked(arena));
  /* design.trace.reentry: a format method or stepper that calls back
   * into the library cannot start a collection inside one. */
  if (g->in_collection || g->postmortem)
    return RES_FAIL;

  /* design.trace.message: allocated first, so posting cannot fail */
  res = message_alloc(&start_msg, arena);
  if (res != RES_OK)
    goto fail_start_msg;
  res = message_alloc(&end_msg, arena);
  if (res != RES_OK)
    goto fail_end_msg;

  g->in_collection = true;
  start = mps_clock();
  trace = &g->trace[0];
  ts = traceset_single(trace->ti);
  ASSERT((arena->busy_traces & ts) == 0);
  trace->why = why;
  trace->state = TRACE_INIT;
  trace->white = REFSET_EMPTY;
  trace->band = RANK_AMBIG;
  trace->start_clock = start;
  trace->condemned = 0;
  trace->not_condemned = 0;
  trace->preserved = 0;
  trace->reclaimed = 0;
  trace->seg_scan_count = 0;
  trace->root_scan_count = 0;
  trace->fix_ref_count = 0;
  trace->scanned_size = 0;
  trace->scan_res = RES_OK;
  trace->start_message = start_msg;
  trace->end_message = end_msg;
  trace->sig = SIG_TRACE;
  arena->busy_traces |= ts;

  /* design.trace.stw: the world stays stopped from condemning to the end
   * of reclaim, so no barrier is needed (the incremental issue adds
   * them). */
  /* The start message's clock is the start of the collection's pause. */
  message_post_gc_start(start_msg, why);
  trace->start_message = NULL;
  roots_threads_suspend(g);
  g->shield_suspended = true;
  verify_heap(arena, "flip");   /* design.verify.when */

  arena_spare_defer(arena);      /* design.arena.spare.defer */
  /* design.trace.control.step: a step collects generation 0 (and the
   * following generations over capacity); the client's requests and a
   * ramp_collect_all everything. */
  full = why == TRACE_WHY_CLIENT || why == TRACE_WHY_RAMP;
  chains_condemn(arena, full, why == TRACE_WHY_STEP);
  if (full)
    (void)pattern_take_collect_all_request(arena);  /* design.ld.pattern.collect-all */
  moved = trace_condemn(trace);
  trace->state = TRACE_UNFLIPPED;
  /* design.ld.hook: before anything moves, dependencies on the zones
   * of movable white segments go stale. */
  ld_moved(arena, moved);
  trace_flip(trace);
  trace_scan_grey(trace, RANK_EXACT);
  /* design.final.trace: registered objects not reached so far are
   * finalized, and kept with what they refer to (the final band) */
  (void)final_trace(&g->final, trace);
  trace_scan_grey(trace, RANK_FINAL);
  trace_scan_roots(trace, RANK_WEAK);
  trace_scan_grey(trace, RANK_WEAK);
  trace_reclaim(trace);
  arena_spare_undefer(arena);
  trace_widen_summaries(arena);
  verify_heap(arena, "reclaim");

  g->shield_suspended = false;
  roots_threads_resume(g);

  message_post_gc(end_msg, trace->preserved, trace->condemned, trace->not_condemned);
  trace->end_message = NULL;
  chains_collected(arena);
  arena->flipped_traces &= ~ts;
  arena->busy_traces &= ~ts;
  trace->state = TRACE_FINISHED;
  trace->sig = SIG_INVALID;
  ++g->collections;
  g->last_collect_clocks = mps_clock() - start;
  g->in_collection = false;
  /* design.trace.scan.error: the collection finished; say what failed */
  return trace->scan_res;

fail_end_msg:
  message_free(start_msg);
fail_start_msg:
  return res;
}

/* design.trace.poll */
bool trace_collection_due(const Arena *arena)
{
  Ring *node;
  for (node = arena->chain_ring.next; node != &arena->chain_ring; node = node->next) {
    const Chain *chain = RING_ELT(Chain, arena_ring, node);
    if (chain_gen_over_capacity(chain, 0))
      return true;
  }
  return false;
}

/* design.trace.poll.ramp: while an allocation point of a collected pool
 * is in a ramp, a young collection waits until generation 0 of some
 * chain holds RAMP_DEFER_FACTOR times its capacity (the ramp's objects
 * mostly die together at its end; memory must not run away meanwhile). */
#define RAMP_DEFER_FACTOR 4u

static bool trace_ramp_allows(Arena *arena)
{
  Ring *node;

  if (!pattern_arena_in_ramp(arena))
    return true;
  for (node = arena->chain_ring.next; node != &arena->chain_ring; node = node->next) {
    const Chain *chain = RING_ELT(Chain, arena_ring, node);
    if (chain_gen_new_size(chain, 0) / RAMP_DEFER_FACTOR > chain->gens[0].capacity)
      return true;
  }
  return false;
}

void trace_poll(Arena *arena)
{
  Globals *g = arena_globals(arena);
  Res res;

  ASSERT(arena_is_locked(arena));
  if (g == NULL || g->clamp != GLOBALS_UNCLAMPED || g->in_collection || g->postmortem)
    return;
  /* A collection that cannot start (no memory for its messages) is tried
   * again at the next poll. */
  if (pattern_collect_all_due(arena)) {
    /* design.ld.pattern.collect-all: a ramp_collect_all ended */
    res = trace_collect(g, TRACE_WHY_RAMP);
    UNUSED(res);
    return;
  }
  if (trace_collection_due(arena) && trace_ramp_allows(arena)) {
    res = trace_collect(g, TRACE_WHY_CHAIN);
    UNUSED(res);
  }
}
