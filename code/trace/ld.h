/* trace/ld.h -- location dependencies: the arena's epoch and its history
 * of moved zones, and the operations on a client's mps_ld_s.
 * Design: manual/design/ld.rst
 *
 * The per-arena state, LdGlobals, is embedded in the trace layer's
 * Globals (trace/trace.h) as the field `ld`; this header must therefore
 * not include trace/trace.h.  The engine reports every flip that may
 * move objects with ld_moved (design.ld.hook).  The client's side
 * (mps_ld_reset, _add, _merge, _isstale, _isstale_any) takes no lock
 * (design.ld.lockfree). */
#ifndef LAGOON_TRACE_LD_H
#define LAGOON_TRACE_LD_H

#include "base/check.h"
#include "arena/arena.h"

#include <stdatomic.h>

/* Epochs kept one by one: an mps_ld_s reset within the last
 * LD_HISTORY_LENGTH epochs is judged against exactly the zones moved
 * since; an older one against every zone moved since the arena began
 * (design.ld.prehistory).  A power of two, so `% N` is a mask. */
#define LD_HISTORY_LENGTH 16u

/* design.ld.epoch, design.ld.history.  Written only by ld_globals_moved
 * with the arena lock held (and the world stopped); read without a lock
 * by the client's mps_ld_* calls, which detect a concurrent update
 * through `seq` (design.ld.seqlock). */
typedef struct LdGlobals {
  /* 2 * epoch, plus 1 while the history is being updated.  Release
   * store at the end of an update, acquire load by readers. */
  _Atomic Word seq;
  /* since[e % N], for the epochs e of the window [epoch - N, epoch):
   * the zones in which objects may have moved in epochs e .. epoch - 1.
   * Relaxed: ordered by `seq`. */
  _Atomic RefSet since[LD_HISTORY_LENGTH];
  /* Zones moved in any epoch that has left the window (and some that
   * have not: design.ld.prehistory).  Relaxed: ordered by `seq`. */
  _Atomic RefSet prehistory;
} LdGlobals;

/* Start at epoch 0 with nothing moved.  Cannot fail. */
void ld_globals_init(LdGlobals *ldg);
/* Nothing to free; leaves the struct invalid.  Arena lock held. */
void ld_globals_finish(LdGlobals *ldg);
/* Consistent when no update is in progress (arena lock held). */
bool ld_globals_check(const LdGlobals *ldg);

/* The current epoch.  No lock: a racing update may or may not be seen;
 * during one, the epoch before it (design.ld.seqlock). */
Word ld_globals_epoch(const LdGlobals *ldg);

/* Record that objects in the zones `moved` may move in the flip now
 * happening, and advance the epoch.  Nothing changes (not even the
 * epoch) if moved is empty.  Arena lock held, mutator threads stopped.
 * design.ld.hook */
void ld_globals_moved(LdGlobals *ldg, RefSet moved);

/* The zones in which objects may have moved since `epoch` (an epoch
 * read from this LdGlobals): a superset, never a subset
 * (design.ld.nofalsefresh).  No lock. */
RefSet ld_globals_moved_since(const LdGlobals *ldg, Word epoch);

/* ---- The client's dependency (mps_ld_s), given the arena's state ---- */

/* mps_ld_reset: the current epoch, no zones.  Not thread-safe with
 * respect to other operations on the same ld (the manual says so). */
void ld_reset(mps_ld_s *ld, const LdGlobals *ldg);
/* mps_ld_add: add the zone of addr.  Lock-free, constant time.  Safe
 * against a concurrent ld_is_stale on the same ld, not against another
 * ld_add, ld_merge or ld_reset on it. */
void ld_add(mps_ld_s *ld, Shift zone_shift, Addr addr);
/* mps_ld_merge: ld depends on everything from depended on, since the
 * older of the two epochs.  Same thread-safety as ld_add. */
void ld_merge(mps_ld_s *ld, const mps_ld_s *from);
/* mps_ld_isstale_any (and mps_ld_isstale, design.ld.isstale.addr): true
 * if an object in a zone of ld may have moved since ld was reset.
 * False if nothing was added since.  Lock-free. */
bool ld_is_stale(const mps_ld_s *ld, const LdGlobals *ldg);

/* The set of zones of a dependency, as kept in mps_ld_s._rs.  On a
 * platform whose mps_word_t is narrower than a RefSet the zones are
 * folded, which only makes more sets meet (design.ld.fold). */
static inline mps_word_t ld_word_of_refset(RefSet rs)
{
  if (sizeof(mps_word_t) >= sizeof(RefSet))
    return (mps_word_t)rs;
  return (mps_word_t)(rs | (rs >> (sizeof(mps_word_t) * CHAR_BIT % 64u)));
}

/* ---- The engine hook ---- */

/* Called by the trace engine at the flip of every trace that condemns
 * segments of a pool that may move objects, with the zones of those
 * white segments (or the trace's whole white set).  Arena lock held,
 * mutator threads stopped.  design.ld.globals */
void ld_moved(Arena *arena, RefSet moved);

#endif /* LAGOON_TRACE_LD_H */
