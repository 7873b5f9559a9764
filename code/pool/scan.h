/* pool/scan.h -- the trace protocol as pool classes see it: traces,
 * scan states, segment colours and the fix dispatch.
 * Design: manual/design/scan.rst
 *
 * The automatic pool classes (AMS, LO, and later AMC and AWL) live in
 * the pool layer but take part in traces.  Everything they need of a
 * trace is here, below the trace engine (trace/trace.h), so the layers
 * stay ordered: the engine drives traces through the pool methods
 * whiten, grey, scan, fix, reclaim and walk, and those methods use only
 * this header. */
#ifndef LAGOON_POOL_SCAN_H
#define LAGOON_POOL_SCAN_H

#include "base/check.h"
#include "arena/arena.h"
#include "arena/seg.h"
#include "pool/pool.h"
#include "pool/format.h"

#define trace_sig_value SIG_TRACE
#define scan_state_sig_value SIG_SS

/* design.scan.trace.max: one trace at a time for now.  Colours are
 * TraceSets so a second trace (and parallel work) fits later. */
#define TRACE_MAX 1u
#define TRACESET_EMPTY 0u
static inline TraceSet traceset_single(TraceId ti) { return (TraceSet)1u << ti; }

typedef struct mps_message_s Message;   /* trace/message.h */

/* Why a trace started (mps_message_gc_start_why).  design.scan.why */
typedef enum TraceWhy {
  TRACE_WHY_CHAIN = 0,        /* a generation exceeded its capacity */
  TRACE_WHY_CLIENT,           /* mps_arena_collect / _start_collect */
  TRACE_WHY_STEP,             /* mps_arena_step had time to spare */
  TRACE_WHY_RAMP,             /* a ramp_collect_all pattern ended */
  TRACE_WHY_LIMIT
} TraceWhy;

/* design.scan.trace.state */
typedef enum TraceState {
  TRACE_INIT = 0,     /* created, condemning */
  TRACE_UNFLIPPED,    /* white set fixed, roots not yet scanned */
  TRACE_FLIPPED,      /* roots scanned, grey segments being scanned */
  TRACE_RECLAIM,      /* marking done, white objects being freed */
  TRACE_FINISHED
} TraceState;

struct Trace {
  Sig sig;                    /* SIG_TRACE while busy */
  TraceId ti;
  Arena *arena;
  TraceState state;
  TraceWhy why;
  RefSet white;               /* zones of every white segment */
  Rank band;                  /* the rank being scanned: design.scan.band */
  mps_clock_t start_clock;
  /* design.scan.account: bytes.  whiten adds to condemned; reclaim adds
   * to preserved and reclaimed (preserved + reclaimed == condemned when
   * the trace ends); the engine fills not_condemned. */
  Size condemned;
  Size not_condemned;
  Size preserved;
  Size reclaimed;
  /* statistics */
  Count seg_scan_count;
  Count root_scan_count;
  Count fix_ref_count;
  Size scanned_size;
  Res scan_res;               /* first error a scan method or root scanner
                                 returned: design.trace.scan.error */
  Message *start_message;     /* preallocated: design.trace.message */
  Message *end_message;
};

/* A scan state.  The public part comes first so an mps_ss_t is a
 * ScanState * (design.scan.ss.first): _zs is the arena's zone shift, _w
 * the white refset of the traces, _ufs the unfixed summary MPS_FIX1
 * accumulates. */
struct ScanState {
  mps_ss_s ss_s;              /* must stay first */
  Sig sig;                    /* SIG_SS */
  Arena *arena;
  TraceSet traces;            /* traces this scan fixes for */
  Rank rank;                  /* of the references being fixed */
  RefSet white;               /* union of the traces' white sets */
  /* design.scan.ss.summary: zones of the references left in the scanned
   * area after fixing (what the segment's summary may become). */
  RefSet fixed_summary;
  bool was_marked;            /* set by a pool's fix: the object was
                                 already preserved (for weak fixes) */
  Count fix_ref_count;
  Size scanned_size;
  /* design.scan.fix.hook: when set, scan_fix hands every reference to
   * it instead of fixing (for walking roots through client scanners). */
  Res (*fix_hook)(ScanState *ss, Addr *ref_io);
  void *hook_closure;
};

static inline ScanState *scan_state_of_ss(mps_ss_t ss) { return (ScanState *)(void *)ss; }
static inline mps_ss_t scan_state_ss(ScanState *ss) { return &ss->ss_s; }
static inline RefSet scan_state_unfixed_summary(const ScanState *ss)
{
  return (RefSet)ss->ss_s._ufs;
}

bool trace_check(const Trace *trace);
bool scan_state_check(const ScanState *ss);

/* ---- Scan states ---- */

/* Start a scan state for traces ts (all busy) at rank.  ts may be empty
 * (walking: MPS_FIX1 is then always false). */
void scan_state_init(ScanState *ss, Arena *arena, TraceSet ts, Rank rank);
/* Set the white refset (the union of the traces' white sets). */
void scan_state_set_white(ScanState *ss, RefSet white);
void scan_state_finish(ScanState *ss);

/* ---- Colours of segments: design.scan.colour ----
 * Only these change seg->grey and seg->white, so the grey rings stay
 * true.  Arena lock held. */
void seg_set_grey(Seg *seg, TraceSet grey);
void seg_set_white(Seg *seg, TraceSet white);
/* The rank a segment is scanned at: the lowest in its rank set
 * (RANK_LIMIT for an empty rank set). */
Rank seg_rank(const Seg *seg);

/* ---- The fix protocol: design.scan.fix ----
 * _mps_fix2 calls scan_fix for a reference MPS_FIX1 let through.  It
 * finds the segment; if that is white for a trace in ss->traces it
 * calls the pool's fix method, which:
 *   - at RANK_AMBIG: preserves the object the value may denote (the value
 *     may be anything: not a reference, interior, free memory) and never
 *     changes *ref_io;
 *   - at RANK_EXACT and RANK_FINAL: *ref_io is a reference to an object
 *     (ASSERT_CRIT); preserves it (greying it, and its segment with
 *     seg_set_grey, if it must be scanned) and may update *ref_io if the
 *     object moves;
 *   - at RANK_WEAK: does not preserve; if the object is white and not
 *     preserved, writes 0 to *ref_io (splat); sets ss->was_marked.
 * The zone of the fixed reference goes into ss->fixed_summary. */
Res scan_fix(ScanState *ss, Addr *ref_io);

/* ---- Scanning helpers for pools ---- */

/* Scan [base, limit) of formatted objects with the format's scan method.
 * base and limit are client pointers (design.scan.header: base +
 * header_size). */
Res scan_format(ScanState *ss, const Format *format, Addr base, Addr limit);

#endif /* LAGOON_POOL_SCAN_H */
