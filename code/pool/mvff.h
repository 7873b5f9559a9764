/* pool/mvff.h -- MVFF (Manual Variable First Fit) and its debugging
 * variant.
 * Design: manual/design/mvff.rst */
#ifndef LAGOON_POOL_MVFF_H
#define LAGOON_POOL_MVFF_H

#include "pool/pool.h"
#include "pool/mfs.h"
#include "pool/dbg.h"
#include "base/land.h"

#define MVFF_EXTEND_BY_DEFAULT ((Size)65536)
#define MVFF_MEAN_SIZE_DEFAULT ((Size)32)
#define MVFF_SPARE_DEFAULT 0.75

/* design.mvff.cache: freed blocks of up to MVFF_CACHE_MAX_SIZE bytes wait
 * in exact-size LIFO lists (one per multiple of the alignment, at most
 * MVFF_CACHE_CLASSES of them) until reused or flushed into the land; the
 * cache flushes once it holds more than the larger of MVFF_CACHE_BYTES
 * and 1/MVFF_CACHE_FRACTION of the pool's total size. */
#define MVFF_CACHE_CLASSES 256
#define MVFF_CACHE_MAX_SIZE ((Size)2048)
#define MVFF_CACHE_BYTES ((Size)262144)
#define MVFF_CACHE_FRACTION 4
/* design.mvff.cache.flush: a miss in the land flushes before extending
 * once the cache holds 1/MVFF_CACHE_FLUSH_FIRST of its limit */
#define MVFF_CACHE_FLUSH_FIRST 1

typedef struct MVFF {
  Pool pool;                /* must be first */
  Land free_land;           /* free ranges: design.mvff.free */
  MFS node_pool;            /* CBS nodes for free_land */
  Size extend_by;           /* segment size to ask for: design.mvff.extend */
  Size mean_size;           /* hint only */
  double spare;             /* design.mvff.spare */
  Size spare_limit;         /* spare * total_size, kept up to date */
  bool arena_high;          /* segments at high addresses */
  bool slot_high;           /* search free ranges from the top */
  bool first_fit;           /* take from the search's near end */
  Size total_size;          /* sum of segment sizes */
  PoolDebugMixin *debug;    /* non-NULL in the debug class */
  Size cache_max;           /* largest size cached; 0: no cache (debug) */
  Shift align_shift;        /* log2(pool->align): class = size >> it */
  Size cache_size;          /* bytes in the cache: design.mvff.cache */
  Size cache_limit;         /* flush when cache_size exceeds this */
  Addr cache[MVFF_CACHE_CLASSES + 1]; /* LIFO heads; 0 = empty; [k] holds
                                       * blocks of k << align_shift bytes */
} MVFF;

typedef struct MVFFDebug {
  MVFF mvff;                /* must be first */
  PoolDebugMixin debug;
} MVFFDebug;

bool mvff_check(const MVFF *mvff);
/* Move every cached block into the free land (coalescing, and giving
 * spare segments back).  design.mvff.cache.flush */
void mvff_cache_flush(MVFF *mvff);
extern const PoolClass mvff_class;
extern const PoolClass mvff_debug_class;

static inline MVFF *mvff_of_pool(Pool *pool) { return (MVFF *)(void *)pool; }

#endif /* LAGOON_POOL_MVFF_H */
