/* trace/final.h -- finalization: the arena's registrations and the
 * engine's step that finds registered objects the trace did not reach.
 * Design: manual/design/final.rst
 *
 * The per-arena state, FinalGlobals, is embedded in the trace layer's
 * Globals (trace/trace.h) as the field `final`; this header must not
 * include trace/trace.h.  Everything here runs with the arena lock
 * held. */
#ifndef LAGOON_TRACE_FINAL_H
#define LAGOON_TRACE_FINAL_H

#include "base/check.h"
#include "arena/arena.h"
#include "pool/scan.h"

/* design.final.table: one entry per registration (an object registered
 * twice has two), client pointers, in control memory. */
typedef struct FinalGlobals {
  Addr *refs;                 /* [0, count) registered client pointers */
  Count count;
  Count capacity;             /* entries refs has room for */
  Count finalized;            /* messages posted, for statistics */
} FinalGlobals;

void final_globals_init(FinalGlobals *fg);
/* Drop every registration and free the table.  Arena lock held. */
void final_globals_finish(FinalGlobals *fg, Arena *arena);
bool final_globals_check(const FinalGlobals *fg);

/* mps_finalize: register the object at client pointer ref.  RES_PARAM if
 * ref is not the client pointer of an object in a pool the collector
 * manages (design.final.register); RES_MEMORY if the table cannot grow. */
Res final_register(FinalGlobals *fg, Arena *arena, Addr ref) WARN_UNUSED;
/* mps_definalize: remove one registration of ref; RES_FAIL if there is
 * none. */
Res final_deregister(FinalGlobals *fg, Addr ref) WARN_UNUSED;

/* design.final.trace: called by the engine once everything reachable
 * through ambiguous and exact references is marked (no grey segment of
 * those ranks remains).  Each registered object the trace has not
 * preserved is preserved now at the final rank, a finalization message
 * is posted for it and its registration is dropped; the registrations
 * of preserved objects follow them if they moved.  The caller then
 * scans grey segments up to the final rank.  A registration whose
 * message cannot be allocated is kept (its object preserved) and tried
 * again at the next collection.  Returns the number of messages posted. */
Count final_trace(FinalGlobals *fg, Trace *trace);

#endif /* LAGOON_TRACE_FINAL_H */
