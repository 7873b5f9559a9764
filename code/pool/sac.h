/* pool/sac.h -- segregated allocation caches.
 * Design: manual/design/sac.rst
 *
 * A SAC keeps, per size class, a stack of free blocks of the class's
 * size in front of a pool's alloc and free methods.  The public head
 * _mps_sac_s comes first (design.sac.abi) so the client's inline macros
 * MPS_SAC_ALLOC_FAST / MPS_SAC_FREE_FAST pop and push without the lock;
 * they call sac_fill / sac_empty (through mps_sac_fill / mps_sac_empty)
 * when a stack is empty or full, or the size is 0 or above every class. */
#ifndef LAGOON_POOL_SAC_H
#define LAGOON_POOL_SAC_H

#include "pool/pool.h"

#define sac_sig_value SIG_SAC

typedef struct SAC {
  _mps_sac_s esac;          /* design.sac.abi: must be first */
  Sig sig;                  /* SIG_SAC */
  Pool *pool;
} SAC;

bool sac_check(const SAC *sac);
static inline SAC *sac_of_public(mps_sac_t esac) { return (SAC *)(void *)esac; }

/* Create a cache for pool with the size classes given (design.sac.classes):
 * 1..MPS_SAC_CLASS_LIMIT classes, block sizes increasing, each a multiple
 * of the pool alignment and at least a word.  RES_PARAM if not, or
 * if the pool has no mps_alloc/mps_free; RES_MEMORY.  Arena lock held. */
Res sac_create(SAC **sac_o, Pool *pool, Count classes_count,
               const mps_sac_class_s *classes) WARN_UNUSED;
/* Flush, then destroy.  Arena lock held. */
void sac_destroy(SAC *sac);
/* Return every cached block to the pool.  Arena lock held. */
void sac_flush(SAC *sac);
/* Slow paths.  sac_fill: RES_PARAM for size 0, else as pool_alloc; refills
 * the class's stack to half its capacity.  sac_empty: frees half the
 * class's stack to the pool when full, then caches p.  Arena lock held. */
Res sac_fill(Addr *p_o, SAC *sac, Size size) WARN_UNUSED;
void sac_empty(SAC *sac, Addr p, Size size);

#endif /* LAGOON_POOL_SAC_H */
