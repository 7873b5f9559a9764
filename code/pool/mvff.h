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
} MVFF;

typedef struct MVFFDebug {
  MVFF mvff;                /* must be first */
  PoolDebugMixin debug;
} MVFFDebug;

bool mvff_check(const MVFF *mvff);
extern const PoolClass mvff_class;
extern const PoolClass mvff_debug_class;

static inline MVFF *mvff_of_pool(Pool *pool) { return (MVFF *)(void *)pool; }

#endif /* LAGOON_POOL_MVFF_H */
