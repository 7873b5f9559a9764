/* trace/shield.h -- the shield: the one owner of segments' page
 * protection, with lazy, batched protection changes and the arena's
 * side of the fault handler.
 * Design: manual/design/shield.rst
 *
 * Each segment has a shield mode (Seg.sm: the accesses the collector
 * wants the mutator to trap), a protection mode (Seg.pm: what its pages
 * trap now) and an expose depth (Seg.depth: the library itself is
 * touching it).  The collector says what it wants with raise and lower;
 * the shield decides when the pages change (design.shield.lazy).  A
 * Shield is per arena and guarded by the arena lock; the trace layer
 * keeps it (design.shield.wiring). */
#ifndef LAGOON_TRACE_SHIELD_H
#define LAGOON_TRACE_SHIELD_H

#include "arena/arena.h"
#include "arena/seg.h"
#include "platform/fault.h"

/* Not in base/check.h's list yet. */
#define SIG_SHIELD ((Sig)0x5195A1E1)
#define shield_sig_value SIG_SHIELD

/* Segments whose protection may lag behind what is wanted, waiting
 * for a flush (design.shield.queue).  A full queue is flushed. */
#ifndef CONFIG_SHIELD_QUEUE_LENGTH
#define CONFIG_SHIELD_QUEUE_LENGTH 128
#endif

typedef struct Shield Shield;

/* The barrier hook: called when the mutator's access of kind `access`
 * (design.shield.fault.access) at addr faults on seg, a segment of the
 * shield's arena whose protection traps that access.  Called in the
 * faulting thread with the arena lock held and the shield entered; the
 * hook may expose, scan, raise and lower.  It returns true when seg's
 * protection no longer traps the access (the access is retried: cool
 * asserts it, design.shield.fault.retry), false to treat the fault as
 * not the arena's (the process then gets the fault's default action).
 * It must not free seg. */
typedef bool (*ShieldBarrierFn)(Shield *shield, Seg *seg, Addr addr, AccessSet access,
                                void *closure);
/* Stop or restart every mutator thread but the calling one
 * (design.shield.suspend).  Arena lock held. */
typedef void (*ShieldMutatorFn)(void *closure);

struct Shield {
  Sig sig;                    /* SIG_SHIELD, set last by shield_init */
  Arena *arena;
  /* Everything below is guarded by the arena lock. */
  FaultClient fault;          /* the fault registration: design.shield.fault */
  bool attached;              /* fault is registered */
  ShieldBarrierFn barrier;    /* design.shield.fault.hook */
  void *barrier_closure;
  ShieldMutatorFn suspend, resume;   /* NULL: no other thread to stop */
  void *mutator_closure;
  bool inside;                /* between enter and leave: design.shield.enter */
  bool suspended;             /* the shield has stopped the mutator */
  Count holds;                /* shield_hold nesting */
  Count depth;                /* sum of Seg.depth over the arena */
  Count protected_count;      /* segments with pm != ACCESS_NONE */
  Count queue_count;          /* design.shield.queue */
  Seg *queue[CONFIG_SHIELD_QUEUE_LENGTH];
  /* Statistics (design.shield.stats). */
  Count prot_calls;           /* prot_set calls made for this arena */
  Count flushes;              /* queue flushes that changed something */
  Count barrier_hits;         /* faults passed to the barrier hook */
  Count stale_faults;         /* faults on a barrier already lifted */
};

/* Make and unmake an arena's shield.  init sets the default barrier
 * hook (shield_barrier_lift) and no mutator functions; it does not
 * register for faults (shield_attach does).  finish wants the shield
 * outside, detached, with nothing exposed, queued or protected.  Arena
 * lock held, or the arena not yet shared. */
void shield_init(Shield *shield, Arena *arena);
void shield_finish(Shield *shield);
bool shield_check(const Shield *shield);

/* Register with the process's fault handler, installing it on first
 * use: from now on a fault on a protected segment of the arena goes to
 * the barrier hook.  RES_RESOURCE if the platform cannot catch faults.
 * detach undoes it; the arena must have no protected segment.  Neither
 * may be called with any arena's lock held (design.shield.fault.lock). */
Res shield_attach(Shield *shield) WARN_UNUSED;
void shield_detach(Shield *shield);

/* Set the barrier hook (NULL: shield_barrier_lift) and the mutator
 * suspend/resume functions (NULL, NULL: single-threaded).  Arena lock
 * held, shield outside. */
void shield_set_barrier(Shield *shield, ShieldBarrierFn barrier, void *closure);
void shield_set_mutator(Shield *shield, ShieldMutatorFn suspend, ShieldMutatorFn resume,
                        void *closure);

/* The default barrier hook: lower the barriers of seg that trap the
 * access (prot_lift_for), so that the access is retried and succeeds.
 * Returns true. */
bool shield_barrier_lift(Shield *shield, Seg *seg, Addr addr, AccessSet access, void *closure);

/* design.shield.enter: bracket everything the library does to the
 * arena's segments.  leave applies the queued changes (flush), then
 * restarts the mutator if the shield stopped it; it wants every expose
 * covered and every hold released.  Arena lock held throughout; not
 * nested. */
void shield_enter(Shield *shield);
void shield_leave(Shield *shield);
/* Apply every queued change now, merging neighbours
 * (design.shield.queue.merge).  Inside. */
void shield_flush(Shield *shield);

/* design.shield.raise: add `mode` to the accesses seg must trap for the
 * mutator.  Applied at once unless the mutator is stopped, in which
 * case it is queued.  Inside. */
void shield_raise(Shield *shield, Seg *seg, AccessSet mode);
/* design.shield.lower: remove `mode` from them.  Queued: the pages may
 * trap more than wanted until the next flush, which at worst costs the
 * mutator a fault that finds nothing to do.  Inside. */
void shield_lower(Shield *shield, Seg *seg, AccessSet mode);

/* design.shield.expose: the library is about to touch seg's memory (read
 * or write); its pages are unprotected on return, stopping the mutator
 * first if seg has a barrier.  Nested; each expose needs a cover, after
 * which the protection is restored lazily.  Every library access to
 * segment memory must be inside expose/cover, whatever seg->sm says
 * (design.shield.expose.always).  Inside. */
void shield_expose(Shield *shield, Seg *seg);
void shield_cover(Shield *shield, Seg *seg);

/* design.shield.suspend: stop the mutator until the shield is left
 * (for a flip, or to batch raises).  Nested.  Inside. */
void shield_hold(Shield *shield);
void shield_release(Shield *shield);

/* design.shield.inv.free: before seg_free: drop seg's barriers at once
 * and take it off the queue.  Arena lock held; seg not exposed. */
void shield_seg_free(Shield *shield, Seg *seg);

static inline bool shield_is_inside(const Shield *shield) { return shield->inside; }
static inline bool shield_is_suspended(const Shield *shield) { return shield->suspended; }

#endif /* LAGOON_TRACE_SHIELD_H */
