/* pool/dbg.h -- the debugging mixin: fenceposts and free-space splatting
 * for the debugging variants of pool classes (mps_class_mvff_debug).
 * Design: manual/design/pool.rst (design.pool.debug)
 *
 * A debug class embeds a PoolDebugMixin in its instance struct, returns
 * it from its debug_mixin method, and routes alloc and free through
 * debug_alloc and debug_free, which call the superclass's methods for the
 * underlying memory.  Each block allocated with mps_alloc is laid out as
 *   [fence][client block][fence]
 * and recorded in a CBS of live client blocks (design.pool.debug.index),
 * so a free of a block that is not live and a fencepost overwrite are
 * both detected.  Free memory (freed blocks, unused buffer space, fresh
 * segments) is splatted with the free template and checked when it is
 * handed out again. */
#ifndef LAGOON_POOL_DBG_H
#define LAGOON_POOL_DBG_H

#include "pool/pool.h"
#include "pool/mfs.h"
#include "base/cbs.h"
#include "base/range.h"

#define SIG_POOL_DEBUG ((Sig)0x519DEB60)
#define pool_debug_mixin_sig_value SIG_POOL_DEBUG

/* Visit the free ranges of a pool (for mps_pool_check_free_space). */
typedef bool (*PoolFreeWalkFn)(Pool *pool, RangeVisitFn visit, void *closure);

struct PoolDebugMixin {
  Sig sig;                  /* SIG_POOL_DEBUG */
  Pool *pool;               /* the pool it is part of */
  Size fence_size;          /* bytes of each fencepost: the template size
                               rounded up to the pool alignment */
  const unsigned char *fence_template;   /* copy, in control memory */
  Size fence_template_size;
  const unsigned char *free_template;    /* copy, in control memory */
  Size free_template_size;
  CBS live;                 /* live client blocks from debug_alloc */
  MFS node_pool;            /* nodes for live */
  bool untracked;           /* an allocation point made blocks we do not
                               index: design.pool.debug.ap */
  PoolFreeWalkFn free_walk;
};

bool pool_debug_mixin_check(const PoolDebugMixin *dbg);

/* Initialise from MPS_KEY_POOL_DEBUG_OPTIONS (defaults: "POST" fences and
 * "DEAD" free space).  Call after the superclass init has set
 * pool->align.  RES_PARAM for a bad options structure. */
Res debug_mixin_init(PoolDebugMixin *dbg, Pool *pool, const mps_arg_s args[],
                     PoolFreeWalkFn free_walk) WARN_UNUSED;
void debug_mixin_finish(PoolDebugMixin *dbg);

/* Class methods for debug classes: they use the superclass's alloc, free,
 * buffer_fill and buffer_empty. */
Res debug_alloc(Addr *p_o, Pool *pool, Size size);
void debug_free(Pool *pool, Addr old, Size size);
Res debug_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool, Buffer *buf, Size size);
void debug_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit);
Res debug_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[]);

/* Splat [base, limit) with the free template, as free memory. */
void debug_splat(PoolDebugMixin *dbg, Addr base, Addr limit);

/* mps_pool_check_fenceposts and mps_pool_check_free_space: an overwrite
 * is reported as an assertion failure (in every variety).  No effect on
 * pools without the mixin.  Arena lock held. */
void pool_check_fenceposts(Pool *pool);
void pool_check_free_space(Pool *pool);

#endif /* LAGOON_POOL_DBG_H */
