/* arena/arena_impl.h -- what the arena's own modules share: generic
 * arena setup for the classes, chunk bookkeeping, control memory setup.
 * Design: manual/design/arena.rst
 *
 * Only the arena layer's own .c files include this. */
#ifndef LAGOON_ARENA_ARENA_IMPL_H
#define LAGOON_ARENA_ARENA_IMPL_H

#include "arena/arena.h"
#include "arena/chunk.h"

/* Keyword arguments common to the classes, read and range-checked by
 * arena_params_read.  design.arena.args */
typedef struct ArenaParams {
  Size size;                   /* MPS_KEY_ARENA_SIZE */
  Size grain_size;             /* MPS_KEY_ARENA_GRAIN_SIZE, checked p2 */
  Size commit_limit;           /* MPS_KEY_COMMIT_LIMIT */
  double spare;                /* MPS_KEY_SPARE or _SPARE_COMMIT_LIMIT */
  double pause_time;           /* MPS_KEY_PAUSE_TIME */
  bool zoned;                  /* MPS_KEY_ARENA_ZONED */
  bool incremental;            /* MPS_KEY_ARENA_INCREMENTAL (Lagoon) */
  mps_arena_extended_t extended;
  mps_arena_contracted_t contracted;
} ArenaParams;

/* Read the common keys (those present in args) over the defaults in
 * *params.  RES_PARAM for a value out of range. */
Res arena_params_read(ArenaParams *params, const mps_arg_s args[]) WARN_UNUSED;

/* The zone shift for an arena whose first chunk is `size` bytes:
 * design.arena.zone.shift */
Shift arena_zone_shift_for(Size size, Shift grain_shift);

/* Set up the generic part of an arena struct (which lives in the
 * overhead of its first chunk) from checked params; params->grain_size
 * is final.  Sets the signature, so chunk_init may follow.  The caller
 * then adds the first chunk with arena_chunk_add and sets primary. */
void arena_init(Arena *arena, const ArenaClass *klass, const ArenaParams *params,
                Shift zone_shift);
/* Undo arena_init once only the primary chunk is left and it is empty.
 * The caller releases the primary chunk's memory afterwards. */
void arena_finish(Arena *arena);

/* Enter a new chunk (overhead committed) in the arena's tables and
 * accounts.  Arena lock held (or the arena not yet published). */
void arena_chunk_add(Arena *arena, Chunk *chunk);
/* Tell the client (MPS_KEY_ARENA_EXTENDED) about a chunk just added. */
void arena_chunk_extended(Arena *arena, Chunk *chunk);
/* Take a chunk out of the arena's tables and accounts (its pages go
 * with it); the caller releases its memory.  For class destroy methods,
 * on the first chunk, last. */
void arena_chunk_remove(Arena *arena, Chunk *chunk);
/* Take an empty chunk out (decommitting its spare pages), call the
 * contracted callback, and release it through the class. */
void arena_chunk_release(Arena *arena, Chunk *chunk);

/* Make room under the commit limit for `need` more committed bytes by
 * decommitting spare pages, none from pages [ex_base, ex_limit) of
 * ex_chunk (ex_chunk may be NULL), whose spare pages number ex_spare.
 * RES_COMMIT_LIMIT, with nothing changed, when that cannot be done. */
Res arena_commit_room(Arena *arena, Size need, const Chunk *ex_chunk,
                      Index ex_base, Index ex_limit, Count ex_spare) WARN_UNUSED;

/* Decommit spare memory above the spare fraction (all of it in an arena
 * that keeps none).  Releases no chunk. */
void arena_spare_policy(Arena *arena);

/* Free pages as arena_pages_free does, but only make them spare: no
 * spare policy, no chunk release (so the chunk stays valid). */
void arena_pages_to_spare(Arena *arena, Chunk *chunk, Addr base, Size size);

/* Control memory set-up: design.arena.control */
void arena_control_init(Arena *arena);
/* Return (as spare) every control page with no block in use. */
void arena_control_trim(Arena *arena);
/* Return every control page; asserts none is still in use. */
void arena_control_finish(Arena *arena);

#endif /* LAGOON_ARENA_ARENA_IMPL_H */
