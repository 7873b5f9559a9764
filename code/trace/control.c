/* trace/control.c -- arena states (unclamped, clamped, parked,
 * postmortem) and the client's control of collection.
 * Design: manual/design/trace.rst (design.trace.control) */
#include "trace/trace.h"
#include "trace/control.h"

/* design.trace.control.collect: a full collection, then parked. */
Res control_collect(Globals *g)
{
  ASSERT_VALID(globals, g);
  g->clamp = GLOBALS_PARKED;
  return trace_collect(g, TRACE_WHY_CLIENT);
}

/* design.trace.control.start: collections are stop-the-world inside one
 * call for now, so "starting" one runs it to the end. */
Res control_start_collect(Globals *g)
{
  ASSERT_VALID(globals, g);
  g->clamp = GLOBALS_UNCLAMPED;
  return trace_collect(g, TRACE_WHY_CLIENT);
}

void control_clamp(Globals *g)
{
  ASSERT_VALID(globals, g);
  g->clamp = GLOBALS_CLAMPED;
}

/* Parked: clamped, and no trace in progress (none ever is between calls
 * while collection is stop-the-world). */
void control_park(Globals *g)
{
  ASSERT_VALID(globals, g);
  ASSERT(g->arena->busy_traces == TRACESET_EMPTY || g->in_collection);
  g->clamp = GLOBALS_PARKED;
}

void control_release(Globals *g)
{
  ASSERT_VALID(globals, g);
  g->clamp = GLOBALS_UNCLAMPED;
}

/* Whether anything was allocated in generation 0 of a chain since it
 * was last collected: the work a step could do. */
static bool control_has_new_allocation(const Arena *arena)
{
  const Ring *node;
  for (node = arena->chain_ring.next; node != &arena->chain_ring; node = node->next) {
    const Chain *chain = RING_ELT(Chain, arena_ring, node);
    if (chain_gen_new_size(chain, 0) > 0)
      return true;
  }
  return false;
}

/* design.trace.control.step: the work is a whole collection.  Do it if
 * one is due, or if the last one took no longer than interval *
 * multiplier and there is something new to collect. */
bool control_step(Globals *g, double interval, double multiplier)
{
  Arena *arena;
  bool due, work = false;
  double budget, last;

  ASSERT_VALID(globals, g);
  arena = g->arena;
  if (g->clamp == GLOBALS_PARKED)
    g->clamp = GLOBALS_CLAMPED;
  due = trace_collection_due(arena);
  budget = interval * multiplier;
  last = (double)g->last_collect_clocks / (double)mps_clocks_per_sec();
  if (due || (control_has_new_allocation(arena) && last <= budget)) {
    /* a collection whose scanner failed still did the work */
    Count before = g->collections;
    Res res = trace_collect(g, due ? TRACE_WHY_CHAIN : TRACE_WHY_STEP);
    UNUSED(res);
    work = g->collections != before;
  }
  return work;
}

/* design.trace.control.expose: no barriers exist outside a collection
 * yet, so exposing only has to stop collections from starting. */
void control_expose(Globals *g)
{
  ASSERT_VALID(globals, g);
  g->clamp = GLOBALS_CLAMPED;
  ++g->expose_count;
}

void control_restore_protection(Globals *g)
{
  ASSERT_VALID(globals, g);
  /* design.trace.control.restore: only after remembering */
  ASSERT(g->expose_count > 0);
  --g->expose_count;
}

/* design.trace.control.postmortem: for a debugger or a crash handler.
 * Collections stop for good and the caller's claims on the arena lock
 * are dropped so a debugger can call in. */
void control_postmortem(Globals *g)
{
  Arena *arena;
  ASSERT_VALID(globals, g);
  arena = g->arena;
  g->postmortem = true;
  g->clamp = GLOBALS_PARKED;
  while (arena_is_locked(arena))
    arena_leave(arena);
}
