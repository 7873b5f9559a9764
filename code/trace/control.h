/* trace/control.h -- arena states and the client's control of
 * collection (mps_arena_collect, _park, _step...).
 * Design: manual/design/trace.rst (design.trace.control)
 *
 * Each function takes the trace layer's state of an arena whose lock the
 * caller holds. */
#ifndef LAGOON_TRACE_CONTROL_H
#define LAGOON_TRACE_CONTROL_H

#include "trace/trace.h"

/* A full collection, leaving the arena parked. */
Res control_collect(Globals *g) WARN_UNUSED;
/* Unclamp and run a full collection. */
Res control_start_collect(Globals *g) WARN_UNUSED;
void control_clamp(Globals *g);
void control_park(Globals *g);
void control_release(Globals *g);
/* True if there was collection work to do (and it was done). */
bool control_step(Globals *g, double interval, double multiplier);
/* Clamp and expose every page; restore undoes a remembered expose. */
void control_expose(Globals *g);
void control_restore_protection(Globals *g);
/* Stop collecting for good and drop the caller's hold of the lock. */
void control_postmortem(Globals *g);

#endif /* LAGOON_TRACE_CONTROL_H */
