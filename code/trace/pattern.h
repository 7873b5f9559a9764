/* trace/pattern.h -- allocation patterns: ramps on allocation points,
 * and what they tell the collection policy.
 * Design: manual/design/ld.rst (allocation patterns, design.ld.pattern)
 *
 * The per-arena state, PatternGlobals, is embedded in the trace layer's
 * Globals (trace/trace.h) as the field `pattern`; the per-AP state is
 * two fields of Buffer (pool/buffer.h: pattern_depth, pattern_kinds).
 * This header must not include trace/trace.h.  Everything here runs
 * with the arena lock held. */
#ifndef LAGOON_TRACE_PATTERN_H
#define LAGOON_TRACE_PATTERN_H

#include "base/check.h"
#include "arena/arena.h"
#include "pool/buffer.h"

/* Not in base/check.h's list: design.ld.pattern.object */
#define SIG_PATTERN ((Sig)0x519BA77E)
#define pattern_sig_value SIG_PATTERN

typedef enum PatternKind {
  PATTERN_RAMP = 0,
  PATTERN_RAMP_COLLECT_ALL = 1,
  PATTERN_KIND_LIMIT
} PatternKind;

/* An allocation pattern (mps_alloc_pattern_t): one constant object per
 * kind, for the life of the program.  design.ld.pattern.object */
typedef struct mps_alloc_pattern_s Pattern;
struct mps_alloc_pattern_s {
  Sig sig;                 /* SIG_PATTERN */
  PatternKind kind;
  const char *name;
};

bool pattern_check(const Pattern *pattern);
const Pattern *pattern_ramp(void);
const Pattern *pattern_ramp_collect_all(void);

/* The patterns begun and not ended on one allocation point, innermost
 * last.  design.ld.pattern.ap */
typedef struct PatternAp {
  Count depth;             /* patterns begun and not yet ended */
  Word kinds;              /* bit d, for d < WORD_WIDTH: the pattern at
                              depth d (0 outermost) is ramp_collect_all */
} PatternAp;

/* The arena's side.  design.ld.pattern.collect-all */
typedef struct PatternGlobals {
  /* A ramp_collect_all pattern began since the last full collection was
   * taken: one is wanted as soon as no allocation point is in a ramp. */
  bool collect_all_pending;
} PatternGlobals;

void pattern_globals_init(PatternGlobals *pg);
void pattern_globals_finish(PatternGlobals *pg);
bool pattern_globals_check(const PatternGlobals *pg);

void pattern_ap_init(PatternAp *pap);
bool pattern_ap_check(const PatternAp *pap);
/* Begin a pattern: always RES_OK (the manual: every pattern is
 * supported; one a pool cannot use is ignored).  A ramp_collect_all
 * marks pg pending. */
Res pattern_ap_begin(PatternAp *pap, PatternGlobals *pg, const Pattern *pattern) WARN_UNUSED;
/* End the innermost pattern: RES_FAIL, and nothing changes, if none was
 * begun or the innermost one is of another kind (design.ld.pattern.end). */
Res pattern_ap_end(PatternAp *pap, const Pattern *pattern) WARN_UNUSED;
/* End every pattern. */
void pattern_ap_reset(PatternAp *pap);
static inline bool pattern_ap_in_ramp(const PatternAp *pap) { return pap->depth > 0; }

/* A full collection is due for ramp_collect_all: one is pending and no
 * allocation point is in a ramp (in_ramp).  _take also clears it. */
bool pattern_globals_collect_all_due(const PatternGlobals *pg, bool in_ramp);
bool pattern_globals_take_collect_all(PatternGlobals *pg, bool in_ramp);

/* ---- Allocation points and arenas ----
 * Over Globals' `pattern` field and Buffer's two pattern fields.
 * Arena lock held for all. */

/* mps_ap_alloc_pattern_begin / _end / _reset on buf. */
Res pattern_buffer_begin(Buffer *buf, const Pattern *pattern) WARN_UNUSED;
Res pattern_buffer_end(Buffer *buf, const Pattern *pattern) WARN_UNUSED;
void pattern_buffer_reset(Buffer *buf);

/* For the collection policy (design.ld.pattern.policy).  Whether an
 * allocation point of this garbage-collected pool (of any such pool of
 * the arena) is in a ramp: then automatic collections of generation 0
 * may wait until the ramp ends.  Allocation points of pools that are not
 * collected (POOL_ATTR_GC) do not count.  O(allocation points). */
bool pattern_pool_in_ramp(const Pool *pool);
bool pattern_arena_in_ramp(Arena *arena);
/* Whether a full collection is due because a ramp_collect_all pattern
 * ended and no ramp remains; _take also clears the request (call it when
 * starting that collection, or after any full collection). */
bool pattern_collect_all_due(Arena *arena);
bool pattern_take_collect_all_request(Arena *arena);

#endif /* LAGOON_TRACE_PATTERN_H */
