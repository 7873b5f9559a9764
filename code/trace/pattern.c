/* trace/pattern.c -- allocation patterns: ramps on allocation points.
 * Design: manual/design/ld.rst (allocation patterns, design.ld.pattern) */
#include "trace/pattern.h"
#include "trace/trace.h"

/* design.ld.pattern.object: constant, distinct, never freed. */
static const Pattern pattern_ramp_object = {
  .sig = SIG_PATTERN, .kind = PATTERN_RAMP, .name = "ramp"
};
static const Pattern pattern_ramp_collect_all_object = {
  .sig = SIG_PATTERN, .kind = PATTERN_RAMP_COLLECT_ALL, .name = "ramp_collect_all"
};

const Pattern *pattern_ramp(void) { return &pattern_ramp_object; }
const Pattern *pattern_ramp_collect_all(void) { return &pattern_ramp_collect_all_object; }

bool pattern_check(const Pattern *pattern)
{
  CHECK_SIG(pattern, SIG_PATTERN);
  CHECK(pattern == &pattern_ramp_object || pattern == &pattern_ramp_collect_all_object);
  CHECK(pattern->kind < PATTERN_KIND_LIMIT);
  return true;
}

/* ---- Arena side ---- */

void pattern_globals_init(PatternGlobals *pg)
{
  ASSERT(pg != NULL);
  pg->collect_all_pending = false;
}

void pattern_globals_finish(PatternGlobals *pg)
{
  ASSERT(pattern_globals_check(pg));
  pg->collect_all_pending = false;
}

bool pattern_globals_check(const PatternGlobals *pg)
{
  CHECK(pg != NULL);
  CHECK_BOOL(pg->collect_all_pending);
  return true;
}

bool pattern_globals_collect_all_due(const PatternGlobals *pg, bool in_ramp)
{
  ASSERT(pattern_globals_check(pg));
  return pg->collect_all_pending && !in_ramp;
}

bool pattern_globals_take_collect_all(PatternGlobals *pg, bool in_ramp)
{
  if (!pattern_globals_collect_all_due(pg, in_ramp))
    return false;
  pg->collect_all_pending = false;
  return true;
}

/* ---- One allocation point ---- */

void pattern_ap_init(PatternAp *pap)
{
  ASSERT(pap != NULL);
  pap->depth = 0;
  pap->kinds = 0;
}

bool pattern_ap_check(const PatternAp *pap)
{
  CHECK(pap != NULL);
  /* no kind recorded above the depth */
  CHECK(pap->depth >= WORD_WIDTH || (pap->kinds >> pap->depth) == 0);
  return true;
}

static inline Word pattern_level_bit(Count level) { return (Word)1 << level; }

Res pattern_ap_begin(PatternAp *pap, PatternGlobals *pg, const Pattern *pattern)
{
  ASSERT(pattern_ap_check(pap));
  ASSERT(pattern_globals_check(pg));
  ASSERT_VALID(pattern, pattern);
  ASSERT(pap->depth < SIZE_MAX);
  /* design.ld.pattern.deep: below WORD_WIDTH levels the kind is
   * recorded; deeper ones are counted only. */
  if (pattern->kind == PATTERN_RAMP_COLLECT_ALL) {
    if (pap->depth < WORD_WIDTH)
      pap->kinds |= pattern_level_bit(pap->depth);
    /* design.ld.pattern.collect-all: it cannot fire while this AP is
     * in the ramp, so marking it now equals marking it at the end. */
    pg->collect_all_pending = true;
  }
  ++pap->depth;
  return RES_OK;
}

Res pattern_ap_end(PatternAp *pap, const Pattern *pattern)
{
  Count level;

  ASSERT(pattern_ap_check(pap));
  ASSERT_VALID(pattern, pattern);
  /* design.ld.pattern.end */
  if (pap->depth == 0)
    return RES_FAIL;
  level = pap->depth - 1;
  if (level < WORD_WIDTH) {
    bool collect_all = (pap->kinds & pattern_level_bit(level)) != 0;
    if (collect_all != (pattern->kind == PATTERN_RAMP_COLLECT_ALL))
      return RES_FAIL;
    pap->kinds &= ~pattern_level_bit(level);
  }
  pap->depth = level;
  return RES_OK;
}

void pattern_ap_reset(PatternAp *pap)
{
  ASSERT(pattern_ap_check(pap));
  pattern_ap_init(pap);
}

/* ---- Allocation points and arenas (wired into Globals and Buffer) ---- */


static PatternGlobals *pattern_globals_of(Arena *arena)
{
  Globals *g = arena_globals(arena);
  ASSERT_VALID(globals, g);
  return &g->pattern;
}

static PatternAp pattern_ap_of(const Buffer *buf)
{
  PatternAp pap = { .depth = buf->pattern_depth, .kinds = buf->pattern_kinds };
  return pap;
}

static void pattern_ap_store(Buffer *buf, const PatternAp *pap)
{
  buf->pattern_depth = pap->depth;
  buf->pattern_kinds = pap->kinds;
}

Res pattern_buffer_begin(Buffer *buf, const Pattern *pattern)
{
  PatternAp pap;
  Res res;

  ASSERT_VALID(buffer, buf);
  ASSERT(arena_is_locked(buf->pool->arena));
  pap = pattern_ap_of(buf);
  res = pattern_ap_begin(&pap, pattern_globals_of(buf->pool->arena), pattern);
  if (res != RES_OK)
    return res;
  pattern_ap_store(buf, &pap);
  return RES_OK;
}

Res pattern_buffer_end(Buffer *buf, const Pattern *pattern)
{
  PatternAp pap;
  Res res;

  ASSERT_VALID(buffer, buf);
  ASSERT(arena_is_locked(buf->pool->arena));
  pap = pattern_ap_of(buf);
  res = pattern_ap_end(&pap, pattern);
  if (res != RES_OK)
    return res;
  pattern_ap_store(buf, &pap);
  return RES_OK;
}

void pattern_buffer_reset(Buffer *buf)
{
  PatternAp pap;

  ASSERT_VALID(buffer, buf);
  ASSERT(arena_is_locked(buf->pool->arena));
  pap = pattern_ap_of(buf);
  pattern_ap_reset(&pap);
  pattern_ap_store(buf, &pap);
}

bool pattern_pool_in_ramp(const Pool *pool)
{
  const Ring *node;

  ASSERT_VALID(pool, pool);
  if (!pool_has_attr(pool, POOL_ATTR_GC))
    return false;
  for (node = pool->buffer_ring.next; node != &pool->buffer_ring; node = node->next) {
    const Buffer *buf = RING_ELT(Buffer, pool_ring, node);
    if (buf->pattern_depth > 0)
      return true;
  }
  return false;
}

bool pattern_arena_in_ramp(Arena *arena)
{
  Ring *ring, *node;

  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  ring = arena_pool_ring(arena);
  for (node = ring->next; node != ring; node = node->next)
    if (pattern_pool_in_ramp(RING_ELT(Pool, arena_ring, node)))
      return true;
  return false;
}

bool pattern_collect_all_due(Arena *arena)
{
  PatternGlobals *pg = pattern_globals_of(arena);
  /* the cheap test first: the walk over allocation points only if one
   * is pending */
  return pg->collect_all_pending
         && pattern_globals_collect_all_due(pg, pattern_arena_in_ramp(arena));
}

bool pattern_take_collect_all_request(Arena *arena)
{
  PatternGlobals *pg = pattern_globals_of(arena);
  return pg->collect_all_pending
         && pattern_globals_take_collect_all(pg, pattern_arena_in_ramp(arena));
}

