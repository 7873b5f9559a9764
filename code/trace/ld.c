/* trace/ld.c -- location dependencies: epochs and the history of moved
 * zones.
 * Design: manual/design/ld.rst */
#include "trace/ld.h"
#include "trace/trace.h"

#define LD_SLOT(e) ((Index)((e) & (LD_HISTORY_LENGTH - 1u)))

_Static_assert((LD_HISTORY_LENGTH & (LD_HISTORY_LENGTH - 1u)) == 0,
               "LD_HISTORY_LENGTH must be a power of two");
/* design.ld.abi: mps_ld_s._epoch holds an epoch. */
_Static_assert(sizeof(mps_word_t) >= sizeof(Word), "an epoch must fit in mps_ld_s");

void ld_globals_init(LdGlobals *ldg)
{
  ASSERT(ldg != NULL);
  atomic_init(&ldg->seq, 0);
  for (Index i = 0; i < LD_HISTORY_LENGTH; ++i)
    atomic_init(&ldg->since[i], REFSET_EMPTY);
  atomic_init(&ldg->prehistory, REFSET_EMPTY);
}

void ld_globals_finish(LdGlobals *ldg)
{
  ASSERT(ld_globals_check(ldg));
  /* An odd sequence: any reader left over sees "update in progress"
   * and answers stale. */
  atomic_store_explicit(&ldg->seq, 1, memory_order_relaxed);
}

bool ld_globals_check(const LdGlobals *ldg)
{
  Word seq, epoch;
  RefSet older;

  CHECK(ldg != NULL);
  seq = atomic_load_explicit(&ldg->seq, memory_order_relaxed);
  CHECK((seq & 1u) == 0);           /* no update in progress */
  epoch = seq >> 1;
  /* design.ld.history.monotonic: moves since an older epoch include
   * those since a newer one, back to the oldest in the window. */
  older = REFSET_UNIV;
  for (Word k = (epoch < LD_HISTORY_LENGTH ? epoch : LD_HISTORY_LENGTH); k > 0; --k) {
    RefSet since = atomic_load_explicit(&ldg->since[LD_SLOT(epoch - k)],
                                        memory_order_relaxed);
    CHECK((since & ~older) == REFSET_EMPTY);
    older = since;
  }
  return true;
}

Word ld_globals_epoch(const LdGlobals *ldg)
{
  return atomic_load_explicit(&ldg->seq, memory_order_acquire) >> 1;
}

/* design.ld.history, design.ld.seqlock.  Epoch e becomes e + 1.  The
 * slot of epoch e - N leaves the window: what it held (moves in epochs
 * e - N .. e - 1) goes into the prehistory, and the slot becomes epoch
 * e's.  Then every epoch of the new window has `moved` added. */
void ld_globals_moved(LdGlobals *ldg, RefSet moved)
{
  Word seq, epoch;
  Index slot;
  RefSet evicted;

  ASSERT(ldg != NULL);
  if (moved == REFSET_EMPTY)
    return;
  seq = atomic_load_explicit(&ldg->seq, memory_order_relaxed);
  ASSERT((seq & 1u) == 0);    /* one writer: the arena lock */
  epoch = seq >> 1;

  atomic_store_explicit(&ldg->seq, seq + 1, memory_order_relaxed);
  /* Orders the odd sequence before the history stores: a reader that
   * sees any of the stores below then sees an odd or newer sequence on
   * its second look. */
  atomic_thread_fence(memory_order_release);

  slot = LD_SLOT(epoch);
  evicted = atomic_load_explicit(&ldg->since[slot], memory_order_relaxed);
  atomic_store_explicit(&ldg->prehistory,
                        atomic_load_explicit(&ldg->prehistory, memory_order_relaxed) | evicted,
                        memory_order_relaxed);
  atomic_store_explicit(&ldg->since[slot], REFSET_EMPTY, memory_order_relaxed);
  for (Word k = 0; k < LD_HISTORY_LENGTH && k <= epoch; ++k) {
    Index i = LD_SLOT(epoch - k);
    atomic_store_explicit(&ldg->since[i],
                          atomic_load_explicit(&ldg->since[i], memory_order_relaxed) | moved,
                          memory_order_relaxed);
  }
  /* Publishes the new history with the new epoch. */
  atomic_store_explicit(&ldg->seq, seq + 2, memory_order_release);
}

/* design.ld.seqlock: read the epoch, the history, the epoch again; if an
 * update was in progress or happened in between, answer "every zone". */
RefSet ld_globals_moved_since(const LdGlobals *ldg, Word epoch)
{
  Word seq, now, dist;
  RefSet moved;

  ASSERT_CRIT(ldg != NULL);
  seq = atomic_load_explicit(&ldg->seq, memory_order_acquire);
  if ((seq & 1u) != 0)
    return REFSET_UNIV;
  now = seq >> 1;
  if (epoch == now)
    return REFSET_EMPTY;
  if (epoch > now)        /* never reset in this arena: be safe */
    return REFSET_UNIV;
  dist = now - epoch;
  if (dist <= LD_HISTORY_LENGTH)
    moved = atomic_load_explicit(&ldg->since[LD_SLOT(epoch)], memory_order_relaxed);
  else   /* design.ld.prehistory */
    moved = atomic_load_explicit(&ldg->prehistory, memory_order_relaxed)
            | atomic_load_explicit(&ldg->since[LD_SLOT(now - LD_HISTORY_LENGTH)],
                                   memory_order_relaxed);
  atomic_thread_fence(memory_order_acquire);
  if (atomic_load_explicit(&ldg->seq, memory_order_relaxed) != seq)
    return REFSET_UNIV;
  return moved;
}

/* ---- The client's dependency ---- */

/* The fields of mps_ld_s are read and written with relaxed atomic
 * operations: ld_add and ld_is_stale may race on _rs (the manual allows
 * it), and a reader must not see a torn word. */
static inline mps_word_t ld_load(const mps_word_t *p)
{
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void ld_store(mps_word_t *p, mps_word_t w)
{
  __atomic_store_n(p, w, __ATOMIC_RELAXED);
}

void ld_reset(mps_ld_s *ld, const LdGlobals *ldg)
{
  ASSERT(ld != NULL);
  ASSERT(ldg != NULL);
  /* design.ld.reset: during an update (only seen by a thread the
   * collector did not stop) this is the epoch before it: older, so
   * safe. */
  ld_store(&ld->_epoch, (mps_word_t)ld_globals_epoch(ldg));
  ld_store(&ld->_rs, 0);
}

void ld_add(mps_ld_s *ld, Shift zone_shift, Addr addr)
{
  ASSERT_CRIT(ld != NULL);
  ld_store(&ld->_rs, ld_load(&ld->_rs)
                     | ld_word_of_refset(refset_single(zone_of(zone_shift, addr))));
}

void ld_merge(mps_ld_s *ld, const mps_ld_s *from)
{
  mps_word_t from_epoch;

  ASSERT(ld != NULL);
  ASSERT(from != NULL);
  /* design.ld.merge: the older epoch, so that moves since either reset
   * count. */
  from_epoch = ld_load(&from->_epoch);
  if (from_epoch < ld_load(&ld->_epoch))
    ld_store(&ld->_epoch, from_epoch);
  ld_store(&ld->_rs, ld_load(&ld->_rs) | ld_load(&from->_rs));
}

bool ld_is_stale(const mps_ld_s *ld, const LdGlobals *ldg)
{
  mps_word_t rs;

  ASSERT_CRIT(ld != NULL);
  rs = ld_load(&ld->_rs);
  if (rs == 0)          /* nothing added since the reset */
    return false;
  return (rs & ld_word_of_refset(ld_globals_moved_since(ldg, ld_load(&ld->_epoch)))) != 0;
}

/* ---- The engine hook ---- */

void ld_moved(Arena *arena, RefSet moved)
{
  Globals *g;

  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  g = arena_globals(arena);
  ASSERT_VALID(globals, g);
  ld_globals_moved(&g->ld, moved);
}
