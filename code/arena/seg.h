/* arena/seg.h -- segments: page runs owned by one pool.
 * Design: manual/design/seg.rst
 *
 * Contract between the arena layer (which owns it) and the pool layer. */
#ifndef LAGOON_ARENA_SEG_H
#define LAGOON_ARENA_SEG_H

#include "arena/arena.h"

#define seg_sig_value SIG_SEG
#define seg_class_sig_value SIG_SEG_CLASS

typedef struct Buffer Buffer;            /* pool/buffer.h */

/* A segment class: design.seg.class.  Subclasses extend Seg by embedding
 * it first and set `size`; init/finish chain to the superclass. */
struct SegClass {
  Sig sig;                 /* SIG_SEG_CLASS */
  const char *name;
  const SegClass *super;   /* NULL for the base class */
  Size size;               /* sizeof the instance struct */
  Res (*init)(Seg *seg, Pool *pool, Addr base, Size size, const mps_arg_s args[]);
  void (*finish)(Seg *seg);
};

struct Seg {
  Sig sig;                 /* SIG_SEG, set last by seg_init */
  const SegClass *klass;
  Pool *pool;              /* owner; fixed for the seg's life */
  Arena *arena;
  Addr base, limit;        /* [base, limit), grain-aligned */
  Ring pool_ring;          /* in the owning pool's ring of segments */
  Ring grey_ring;          /* in an arena grey ring while grey for some
                              trace: design.scan.grey.ring */
  Buffer *buffer;          /* attached buffer, if any */
  RankSet rank_set;        /* ranks of references it may hold */
  TraceSet white, grey, nailed;
  RefSet summary;          /* design.seg.inv.summary */
  /* The shield's state (trace/shield.c), guarded by the arena lock:
   * design.shield.seg. */
  AccessSet pm, sm;        /* protection mode, shield mode: design.shield.seg */
  unsigned depth;          /* shield expose depth */
  bool queued;             /* in the shield's queue: design.shield.queue */
  void *pool_data;         /* spare word for the pool class */
};

extern const SegClass seg_class_base;

/* The base class's methods, for subclasses to chain to.  seg_base_init
 * fills every field of Seg (seg->arena is set by seg_alloc before any
 * init runs, design.seg.alloc.arena) and sets the signature;
 * seg_base_finish clears it.  The pool links seg->pool_ring itself. */
Res seg_base_init(Seg *seg, Pool *pool, Addr base, Size size, const mps_arg_s args[]);
void seg_base_finish(Seg *seg);
bool seg_class_check(const SegClass *klass);

/* Allocate a segment of `size` bytes (a positive multiple of the grain
 * size) for `pool`, of class `klass`, with an instance struct of
 * klass->size allocated from control memory.  Commits the memory.  The
 * page table names the segment for every page before klass->init runs.
 * pref may be NULL for no preference.
 * Results: RES_OK; RES_COMMIT_LIMIT if the commit limit would be
 * exceeded even after decommitting spare memory; RES_MEMORY if the OS
 * refuses to commit memory, or a client arena is full; RES_RESOURCE if a
 * VM arena cannot reserve the address space to grow (the manual's
 * result for running out of address space: design.arena.res); or what
 * klass->init returns.  On failure nothing stays allocated (the arena
 * may have shed spare pages, or kept a control page for reuse).  Arena
 * lock held. */
Res seg_alloc_in(Seg **seg_o, Arena *arena, const SegClass *klass, Pool *pool, Size size,
                 const SegPref *pref, const mps_arg_s args[]) WARN_UNUSED;
/* seg_alloc(Seg **seg_o, const SegClass *klass, Pool *pool, Size size,
 *           const SegPref *pref, const mps_arg_s args[])
 * is seg_alloc_in on the pool's arena.  It is a macro because this layer
 * cannot see inside a Pool (design.seg.alloc.arena): it expands where
 * pool/pool.h, and so pool_arena(), is in scope. */
#define seg_alloc(seg_o, klass, pool, size, pref, args) \
  seg_alloc_in((seg_o), pool_arena(pool), (klass), (pool), (size), (pref), (args))
/* Return the segment's pages to the arena (they may stay committed as
 * spare) and its struct to control memory, after klass->finish.  The
 * pool must have unlinked seg->pool_ring.  Arena lock held. */
void seg_free(Seg *seg);

static inline Addr seg_base(const Seg *seg) { return seg->base; }
static inline Addr seg_limit(const Seg *seg) { return seg->limit; }
static inline Size seg_size(const Seg *seg) { return seg->limit - seg->base; }
static inline Pool *seg_pool(const Seg *seg) { return seg->pool; }
bool seg_check(const Seg *seg);

#endif /* LAGOON_ARENA_SEG_H */
