/* trace/trace.h -- the trace layer's per-arena state and the trace
 * engine: condemn, flip, scan grey until none, reclaim.
 * Design: manual/design/trace.rst
 *
 * The pools' side of the protocol (Trace, ScanState, colours, fix) is
 * pool/scan.h; chains and generations are pool/gen.h.  Roots and threads
 * (trace/root.h), messages (trace/message.h), location dependency
 * (trace/ld.h), allocation patterns (trace/pattern.h), finalization
 * (trace/final.h) and the shield
 * counters keep their state in Globals. */
#ifndef LAGOON_TRACE_TRACE_H
#define LAGOON_TRACE_TRACE_H

#include "base/check.h"
#include "base/ring.h"
#include "arena/arena.h"
#include "pool/scan.h"
#include "trace/ld.h"
#include "trace/pattern.h"
#include "trace/final.h"

#define globals_sig_value SIG_GLOBALS

#include "pool/gen.h"

/* The trace layer's per-arena state.  Guarded by the arena lock.
 * design.trace.globals */
typedef struct Globals {
  Sig sig;                    /* SIG_GLOBALS */
  Arena *arena;

  /* roots and threads: trace/root.c */
  Ring root_ring;             /* Root.globals_ring */
  Count root_serial;
  Ring thread_ring;           /* Thread.globals_ring */
  Count thread_serial;

  /* messages: trace/message.c */
  Ring message_queue;         /* Message.queue_ring, oldest first */
  unsigned message_enabled;   /* bit per MessageType */
  Count message_drops;        /* messages not posted (type disabled) */

  /* location dependency: trace/ld.c.  design.ld.globals */
  LdGlobals ld;
  /* allocation patterns: trace/pattern.c.  design.ld.pattern */
  PatternGlobals pattern;

  /* finalization registrations: trace/final.c.  design.final */
  FinalGlobals final;

  /* traces: trace/trace.c */
  Trace trace[TRACE_MAX];

  /* control: trace/control.c.  design.trace.control */
  enum { GLOBALS_UNCLAMPED = 0, GLOBALS_CLAMPED, GLOBALS_PARKED } clamp;
  bool postmortem;
  bool in_collection;         /* design.trace.reentry: no nested traces */
  Count collections;          /* mps_collections */
  mps_clock_t last_collect_clocks;  /* duration of the last collection */

  /* shield: trace/shield.c.  design.shield */
  Count shield_depth;         /* nested exposes of the whole arena */
  bool shield_suspended;      /* mutator threads stopped by the shield */
  Count expose_count;         /* mps_arena_expose nesting */
} Globals;

bool globals_check(const Globals *g);

static inline Globals *arena_globals(const Arena *arena) { return arena->globals; }

/* Make and destroy the trace layer's state for an arena.  create runs
 * the init functions of roots, chains and messages; destroy asserts that
 * no roots or threads remain (design.trace.globals.destroy), drops
 * unread messages and destroys the default chain.  Arena lock held. */
Res globals_create(Arena *arena) WARN_UNUSED;
void globals_destroy(Arena *arena);

/* ---- Traces ---- */

/* Run a collection of the condemned generations of every chain: condemn,
 * stop the world, scan roots and grey segments until none, reclaim,
 * restart the world, post the messages.  Arena lock held.  RES_MEMORY
 * etc. if it could not start (nothing changed); RES_FAIL if a collection
 * is already running; otherwise the first error a client's scanner
 * returned (the collection ran to the end: design.trace.scan.error), or
 * RES_OK. */
Res trace_collect(Globals *g, TraceWhy why) WARN_UNUSED;

/* Whether the policy wants a collection now: generation 0 of some chain
 * is over its capacity.  design.trace.poll */
bool trace_collection_due(const Arena *arena);

/* Called by the interface before allocation in a collected pool
 * (mps_alloc, buffer fill): may run a collection if a chain is over
 * capacity, or a ramp_collect_all pattern has ended, and the arena is not
 * clamped.  Arena lock held; the calling thread must hold no reserved,
 * uncommitted block.  design.trace.poll */
void trace_poll(Arena *arena);

#endif /* LAGOON_TRACE_TRACE_H */
