/* pool/scan.c -- scan states, segment colours and the fix dispatch.
 * Design: manual/design/scan.rst */
#include "pool/scan.h"
#include "arena/chunk.h"

bool trace_check(const Trace *trace)
{
  CHECK_SIG(trace, SIG_TRACE);
  CHECK_PARENT(arena, trace->arena);
  CHECK(trace->ti < TRACE_MAX);
  CHECK(trace->state <= TRACE_FINISHED);
  CHECK(trace->band <= RANK_LIMIT);
  CHECK(trace->why < TRACE_WHY_LIMIT);
  /* design.scan.account */
  CHECK(trace->preserved + trace->reclaimed <= trace->condemned);
  return true;
}

bool scan_state_check(const ScanState *ss)
{
  CHECK_SIG(ss, SIG_SS);
  CHECK_PARENT(arena, ss->arena);
  CHECK(ss->rank < RANK_LIMIT);
  CHECK(ss->ss_s._zs == ss->arena->zone_shift);
  CHECK(ss->ss_s._w == ss->white);
  CHECK((ss->traces & ~ss->arena->busy_traces) == 0);
  return true;
}

void scan_state_init(ScanState *ss, Arena *arena, TraceSet ts, Rank rank)
{
  RefSet white = REFSET_EMPTY;

  ASSERT(ss != NULL);
  ASSERT_VALID(arena, arena);
  ASSERT(rank < RANK_LIMIT);
  ASSERT((ts & ~arena->busy_traces) == 0);
  ASSERT(arena->globals != NULL || ts == TRACESET_EMPTY);
  /* The white set of a trace is kept by the engine in the Trace; the
   * engine passes it through scan_state_set_white after init. */
  ss->arena = arena;
  ss->traces = ts;
  ss->rank = rank;
  ss->white = white;
  ss->fixed_summary = REFSET_EMPTY;
  ss->was_marked = false;
  ss->fix_ref_count = 0;
  ss->scanned_size = 0;
  ss->fix_hook = NULL;
  ss->hook_closure = NULL;
  ss->ss_s._zs = arena->zone_shift;
  ss->ss_s._w = white;
  ss->ss_s._ufs = REFSET_EMPTY;
  ss->sig = SIG_SS;
}

void scan_state_set_white(ScanState *ss, RefSet white)
{
  ASSERT_VALID(scan_state, ss);
  ss->white = white;
  ss->ss_s._w = white;
}

void scan_state_finish(ScanState *ss)
{
  ASSERT_VALID(scan_state, ss);
  ss->sig = SIG_INVALID;
}

Rank seg_rank(const Seg *seg)
{
  RankSet rs = seg->rank_set;
  if (rs == RANKSET_EMPTY)
    return RANK_LIMIT;
  return (Rank)__builtin_ctz(rs);
}

/* design.scan.grey.ring: a segment is in its rank's grey ring exactly
 * while its grey set is non-empty. */
void seg_set_grey(Seg *seg, TraceSet grey)
{
  Arena *arena;

  ASSERT_VALID(seg, seg);
  arena = seg->arena;
  ASSERT((grey & ~arena->busy_traces) == 0);
  if (seg->grey == 0 && grey != 0) {
    Rank rank = seg_rank(seg);
    /* design.scan.grey.rank: a segment without references is never grey */
    ASSERT(rank < RANK_LIMIT);
    ring_append(&arena->grey_ring[rank], &seg->grey_ring);
  } else if (seg->grey != 0 && grey == 0) {
    ring_remove(&seg->grey_ring);
  }
  seg->grey = grey;
}

void seg_set_white(Seg *seg, TraceSet white)
{
  ASSERT_VALID(seg, seg);
  ASSERT((white & ~seg->arena->busy_traces) == 0);
  seg->white = white;
}

/* arena_seg_of_addr with its chunk-cache hit inline: almost every
 * reference MPS_FIX1 lets through lies in the chunk of the last one. */
static inline bool scan_seg_of_addr(Seg **seg_o, Arena *arena, Addr ref)
{
  Chunk *chunk = atomic_load_explicit(&arena->chunk_cache, memory_order_relaxed);
  if (LIKELY(chunk != NULL && chunk_has_addr(chunk, ref))) {
    Seg *seg = chunk_page(chunk, ref)->seg;   /* design.chunk.page.record */
    if (seg == NULL)
      return false;
    *seg_o = seg;
    return true;
  }
  return arena_seg_of_addr(seg_o, arena, ref);
}

Res scan_fix(ScanState *ss, Addr *ref_io)
{
  Seg *seg;
  Addr ref;
  Res res;

  ASSERT_CRIT(scan_state_check(ss));
  ASSERT_CRIT(ref_io != NULL);
  if (UNLIKELY(ss->fix_hook != NULL))
    return ss->fix_hook(ss, ref_io);
  ref = *ref_io;
  ++ss->fix_ref_count;
  if (scan_seg_of_addr(&seg, ss->arena, ref) && (seg->white & ss->traces) != 0) {
    Pool *pool = seg->pool;
    res = pool->klass->fix(pool, ss, seg, ref_io);
    if (res != RES_OK)
      return res;
    ref = *ref_io;
  }
  /* design.scan.ss.summary: a splatted reference has no zone to add */
  if (ref != 0)
    ss->fixed_summary = refset_add_addr(ss->arena->zone_shift, ss->fixed_summary, ref);
  return RES_OK;
}

Res scan_format(ScanState *ss, const Format *format, Addr base, Addr limit)
{
  mps_res_t res;

  ASSERT_CRIT(scan_state_check(ss));
  ASSERT_CRIT(format->scan != NULL);
  ASSERT_CRIT(base <= limit);
  if (base == limit)
    return RES_OK;
  res = format->scan(scan_state_ss(ss), addr_ptr(base), addr_ptr(limit));
  ss->scanned_size += limit - base;
  return (Res)res;
}
