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

typedef struct mps_arena_s Arena;
typedef struct mps_arena_class_s ArenaClass;
typedef struct mps_pool_s Pool;          /* defined by pool/pool.h */
typedef struct Seg Seg;
typedef struct SegClass SegClass;
typedef struct Chunk Chunk;

#define arena_sig_value SIG_ARENA

/* Allocation preference for segments and control pages:
 * design.arena.pref */
typedef struct SegPref {
  bool high;         /* prefer high addresses (MVFF arena-high, etc.) */
  RefSet zones;      /* preferred zones; REFSET_UNIV for no preference */
} SegPref;

/* Arena lock: every public entry point holds it while inside.  Recursive.
 * design.arena.lock */
void arena_enter(Arena *arena);
void arena_leave(Arena *arena);
bool arena_is_locked(const Arena *arena);   /* by the calling thread */

Size arena_grain_size(const Arena *arena);
Shift arena_zone_shift(const Arena *arena);
bool arena_check(const Arena *arena);

/* Find the segment holding addr, if any.  Arena lock held (or in the
 * fault handler, design.arena.lookup.lockfree).  O(1) after the chunk. */
bool arena_seg_of_addr(Seg **seg_o, const Arena *arena, Addr addr);
/* Find the chunk holding addr, if any. */
bool arena_chunk_of_addr(Chunk **chunk_o, const Arena *arena, Addr addr);
bool arena_has_addr(const Arena *arena, Addr addr);

/* Memory for the library's own structures (pool descriptors, buffers,
 * tree nodes...): small blocks from pages the arena keeps for itself.
 * Counts against the commit limit.  Arena lock held. */
Res arena_control_alloc(void **p_o, Arena *arena, Size size) WARN_UNUSED;
void arena_control_free(Arena *arena, void *p, Size size);

/* The pools of an arena, for walking (arena->pool_ring links
 * Pool.arena_ring). */
Ring *arena_pool_ring(Arena *arena);

/* Accounting: design.arena.account */
Size arena_committed(const Arena *arena);
Size arena_reserved(const Arena *arena);
Size arena_spare_committed(const Arena *arena);
Size arena_commit_limit(const Arena *arena);

#endif /* LAGOON_ARENA_ARENA_H */
