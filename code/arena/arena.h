/* arena/arena.h -- arenas: address space, chunks, page table, accounting.
 * Design: manual/design/arena.rst
 *
 * This is the contract the pool layer relies on.  The arena engineer owns
 * the struct layouts and may add fields and functions; the signatures
 * below are fixed unless both sides agree. */
#ifndef LAGOON_ARENA_ARENA_H
#define LAGOON_ARENA_ARENA_H

#include "base/check.h"
#include "base/ring.h"
#include "platform/lock.h"

#include <stdarg.h>
#include <stdatomic.h>

typedef struct mps_arena_s Arena;
typedef struct mps_arena_class_s ArenaClass;
typedef struct mps_pool_s Pool;          /* defined by pool/pool.h */
typedef struct Seg Seg;
typedef struct SegClass SegClass;
typedef struct Chunk Chunk;

#define arena_sig_value SIG_ARENA
/* Not in base/check.h's list yet; design.arena.class.sig */
#define SIG_ARENA_CLASS ((Sig)0x519A6C1A)
#define arena_class_sig_value SIG_ARENA_CLASS

/* Allocation preference for segments and control pages:
 * design.arena.pref */
typedef struct SegPref {
  bool high;         /* prefer high addresses (MVFF arena-high, etc.) */
  RefSet zones;      /* preferred zones; REFSET_UNIV for no preference */
} SegPref;

/* The default preference: low addresses, any zone. */
static inline SegPref seg_pref_default(void)
{
  SegPref pref = { .high = false, .zones = REFSET_UNIV };
  return pref;
}

/* Control memory size classes: design.arena.control.class */
#define CONTROL_CLASS_COUNT 24
#define CONTROL_CLASS_LARGE 0xFF

/* An arena class: a table of methods.  design.arena.class */
struct mps_arena_class_s {
  Sig sig;                     /* SIG_ARENA_CLASS */
  const char *name;
  /* Keys create accepts (mps_key_t values); args_check refuses others. */
  const mps_key_t *keys;
  Count key_count;
  /* mps_arena_create_v: turn the class's va_list arguments into keyword
   * arguments (at most MPS_ARGS_MAX - 1, then MPS_KEY_ARGS_END). */
  void (*varargs)(mps_arg_s args[], va_list va);
  /* Make the arena and its first chunk; the arena struct lives in that
   * chunk.  Arguments already checked by args_check. */
  Res (*create)(Arena **arena_o, const ArenaClass *klass, const mps_arg_s args[]);
  /* Release every chunk, the arena's own last. */
  void (*destroy)(Arena *arena);
  /* Add a chunk with room for a run of `size` bytes, and return it.
   * RES_RESOURCE (no address space), RES_MEMORY, RES_COMMIT_LIMIT;
   * nothing changes on failure.  Arena lock held. */
  Res (*grow)(Chunk **chunk_o, Arena *arena, Size size);
  /* mps_arena_extend: add [base, base+size) as a chunk. */
  Res (*extend)(Arena *arena, Addr base, Size size);
  /* Commit or decommit a page-aligned range of a chunk. */
  Res (*commit)(Chunk *chunk, Addr base, Size size);
  void (*decommit)(Chunk *chunk, Addr base, Size size);
  /* Give back a chunk that is not the arena's first. */
  void (*chunk_release)(Chunk *chunk);
  bool keeps_spare;            /* false: freed pages count as decommitted */
};

struct mps_arena_s {
  Sig sig;                     /* SIG_ARENA, set last by arena_init */
  const ArenaClass *klass;
  Lock lock;                   /* design.arena.lock */
  Ring global_ring;            /* all arenas; guarded by the global lock */

  /* design.arena.grain: pages of grain_size bytes; fixed. */
  Size grain_size;
  Shift grain_shift;
  /* design.arena.zone: zone of a = (a >> zone_shift) & 63; fixed. */
  Shift zone_shift;
  bool zoned;                  /* MPS_KEY_ARENA_ZONED: honour pref.zones */
  bool incremental;            /* for the trace: barriers allowed */

  /* Chunks (guarded by the lock).  design.chunk.lookup */
  Chunk *primary;              /* holds this struct; released last */
  Ring chunk_ring;             /* Chunk.arena_ring, address order */
  Chunk *chunk_root;           /* treap of chunks by address */
  /* Last chunk found by address.  Relaxed atomic: lookups may run in
   * several threads (parallel marking, later) and only ever store a
   * chunk of the tree; chunk_release clears it under the lock. */
  _Atomic(Chunk *) chunk_cache;
  Count chunk_count;

  Ring pool_ring;              /* Pool.arena_ring; guarded by the lock */

  /* design.arena.account: bytes, guarded by the lock. */
  Size reserved;               /* sum of chunk sizes */
  Size committed;              /* overhead + allocated + spare pages */
  Size spare_committed;        /* spare pages */
  Size commit_limit;           /* design.arena.inv.commit-limit */
  double spare;                /* design.arena.spare: fraction, [0, 1] */
  Count spare_defer;           /* design.arena.spare.defer: nesting */
  double pause_time;           /* seconds, >= 0 */

  /* VM growth: design.arena.grow.  0 means the default. */
  Size grow_desired, grow_minimum;
  mps_arena_extended_t extended;     /* may be NULL */
  mps_arena_contracted_t contracted; /* may be NULL */

  /* Control memory: design.arena.control */
  Ring control_free[CONTROL_CLASS_COUNT];   /* free blocks per class */
  Count control_free_count[CONTROL_CLASS_COUNT];
  Size control_in_use;         /* bytes handed out */

  /* The trace layer's state (roots, threads, chains, messages, traces):
   * made by it after the arena and destroyed before.  The arena layer
   * never looks inside.  design.trace.globals */
  struct Globals *globals;
  /* design.scan.grey.ring: every segment grey for some trace, in the
   * ring of the lowest rank it holds (Seg.grey_ring).  Kept by the pool
   * layer's colour functions (pool/scan.c); guarded by the lock. */
  Ring grey_ring[RANK_LIMIT];
  TraceSet busy_traces;        /* traces in use (trace layer) */
  /* Generation chains (pool/gen.c): Chain.arena_ring, and the chain of
   * pools created without MPS_KEY_CHAIN (made with the trace layer's
   * state).  Guarded by the lock. */
  Ring chain_ring;
  struct mps_chain_s *default_chain;
  TraceSet flipped_traces;     /* busy traces past their flip */
};

/* ---- Creation and destruction (mpsi.c) ---- */

/* Check the class and keyword arguments, make the arena, enter it in
 * the global list.  RES_PARAM for a bad class or argument; the class's
 * results otherwise.  On failure nothing is left allocated. */
Res arena_create(Arena **arena_o, const ArenaClass *klass, const mps_arg_s args[]) WARN_UNUSED;
/* The arena must hold no pools (ASSERTed).  Not locked by the caller. */
void arena_destroy(Arena *arena);

/* Arena lock: every public entry point holds it while inside.  Recursive.
 * design.arena.lock */
void arena_enter(Arena *arena);
void arena_leave(Arena *arena);
bool arena_is_locked(const Arena *arena);   /* by the calling thread */
bool arena_is_busy(const Arena *arena);     /* by any thread (racy) */

Size arena_grain_size(const Arena *arena);
Shift arena_zone_shift(const Arena *arena);
bool arena_check(const Arena *arena);
/* Recount every chunk's tables and the accounting: O(pages).  For tests
 * and LAGOON_VERIFY. */
bool arena_verify(const Arena *arena);

/* Find the segment holding addr, if any.  Arena lock held (or in the
 * fault handler, design.arena.lookup.lockfree).  O(1) after the chunk. */
bool arena_seg_of_addr(Seg **seg_o, const Arena *arena, Addr addr);
/* Find the chunk holding addr, if any. */
bool arena_chunk_of_addr(Chunk **chunk_o, const Arena *arena, Addr addr);
bool arena_has_addr(const Arena *arena, Addr addr);
/* The arena (among all arenas) managing addr, for the fault handler.
 * Claims the global lock and each arena's lock in turn. */
bool arena_find_for_addr(Arena **arena_o, Addr addr);
/* Call f on every arena, with the global lock held (not the arenas'
 * locks); stop when f returns false. */
void arena_global_each(bool (*f)(Arena *arena, void *closure), void *closure);

/* Memory for the library's own structures (pool descriptors, buffers,
 * tree nodes...): small blocks from pages the arena keeps for itself.
 * Blocks are 16-byte aligned and not zeroed.  Counts against the commit
 * limit: RES_COMMIT_LIMIT, RES_MEMORY, RES_RESOURCE as for pages.  Arena
 * lock held. */
Res arena_control_alloc(void **p_o, Arena *arena, Size size) WARN_UNUSED;
/* size must be the size given to arena_control_alloc. */
void arena_control_free(Arena *arena, void *p, Size size);

/* The pools of an arena, for walking (arena->pool_ring links
 * Pool.arena_ring). */
Ring *arena_pool_ring(Arena *arena);

/* Accounting: design.arena.account */
Size arena_committed(const Arena *arena);
Size arena_reserved(const Arena *arena);
Size arena_spare_committed(const Arena *arena);
Size arena_commit_limit(const Arena *arena);
/* RES_FAIL if limit is below what is committed once spare is gone;
 * otherwise spare is decommitted as needed and the limit set. */
Res arena_set_commit_limit(Arena *arena, Size limit) WARN_UNUSED;
double arena_spare(const Arena *arena);
/* spare in [0, 1]; decommits spare memory above the new fraction. */
void arena_set_spare(Arena *arena, double spare);
/* design.arena.spare.defer: between defer and undefer (nested), freed
 * pages stay spare whatever the fraction; undefer applies the spare
 * policy once and releases empty chunks.  For a collection, which frees
 * many segments at once.  Arena lock held. */
void arena_spare_defer(Arena *arena);
void arena_spare_undefer(Arena *arena);
double arena_pause_time(const Arena *arena);
void arena_set_pause_time(Arena *arena, double pause_time);
/* Release non-first chunks that hold nothing, spare pages included. */
void arena_compact(Arena *arena);
/* mps_arena_vm_growth: design.arena.grow.  RES_PARAM if the arena is
 * not a VM arena or minimum > desired. */
Res arena_set_growth(Arena *arena, Size desired, Size minimum) WARN_UNUSED;
/* mps_arena_extend: the class's extend method. */
Res arena_extend(Arena *arena, Addr base, Size size) WARN_UNUSED;

/* ---- Pages (arena layer and seg.c) ---- */

/* Allocate a run of `size` bytes (a positive multiple of the grain) of
 * committed pages, trying spare pages first, then free pages, then a
 * new chunk (design.arena.alloc).  The pages are marked allocated but
 * their page records are the caller's to fill.  Results as seg_alloc.
 * Arena lock held. */
Res arena_pages_alloc(Addr *base_o, Chunk **chunk_o, Arena *arena, Size size,
                      const SegPref *pref) WARN_UNUSED;
/* Free a run given by arena_pages_alloc (records already cleared).  The
 * pages become spare, then the spare policy runs. */
void arena_pages_free(Arena *arena, Chunk *chunk, Addr base, Size size);

/* ---- Zones: design.arena.zone ---- */

static inline unsigned zone_of(Shift zone_shift, Addr addr)
{
  return (unsigned)((addr >> zone_shift) & (ZONE_COUNT - 1));
}
static inline RefSet refset_single(unsigned zone) { return (RefSet)1 << zone; }
static inline RefSet refset_add_addr(Shift zone_shift, RefSet rs, Addr addr)
{
  return rs | refset_single(zone_of(zone_shift, addr));
}
static inline bool refset_is_member_addr(Shift zone_shift, RefSet rs, Addr addr)
{
  return (rs >> zone_of(zone_shift, addr)) & 1;
}
/* The zones of every address in [base, limit), base < limit. */
static inline RefSet refset_of_range(Shift zone_shift, Addr base, Addr limit)
{
  Addr first, last;
  unsigned zb, zl;
  ASSERT_CRIT(base < limit);
  first = base >> zone_shift;
  last = (limit - 1) >> zone_shift;
  if (last - first >= ZONE_COUNT - 1)
    return REFSET_UNIV;
  zb = (unsigned)(first & (ZONE_COUNT - 1));
  zl = (unsigned)(last & (ZONE_COUNT - 1));
  if (zb <= zl)   /* zones zb..zl */
    return (REFSET_UNIV >> (ZONE_COUNT - 1 - zl)) & (REFSET_UNIV << zb);
  /* wraps: zb..63 and 0..zl */
  return (REFSET_UNIV << zb) | (REFSET_UNIV >> (ZONE_COUNT - 1 - zl));
}
static inline unsigned arena_zone_of(const Arena *arena, Addr addr)
{
  return zone_of(arena->zone_shift, addr);
}

/* ---- Classes ---- */
const ArenaClass *arena_class_vm(void);
const ArenaClass *arena_class_cl(void);
bool arena_class_check(const ArenaClass *klass);

#endif /* LAGOON_ARENA_ARENA_H */
