/* pool/mvt.h -- MVT (Manual Variable Temporal): variable-sized blocks
 * allocated on allocation points, freed with mps_free.
 * Design: manual/design/mvt.rst */
#ifndef LAGOON_POOL_MVT_H
#define LAGOON_POOL_MVT_H

#include "pool/pool.h"
#include "pool/mfs.h"
#include "base/land.h"

#define MVT_MEAN_SIZE_DEFAULT ((Size)32)
#define MVT_MAX_SIZE_DEFAULT ((Size)8192)
#define MVT_RESERVE_DEPTH_DEFAULT ((Count)1024)
#define MVT_FRAG_LIMIT_DEFAULT 0.3

typedef struct MVT {
  Pool pool;                /* must be first */
  Land free_land;           /* free ranges */
  MFS node_pool;            /* CBS nodes for free_land */
  Size min_size, mean_size, max_size;
  Count reserve_depth;
  double frag_limit;
  Size fill_size;           /* buffer region size: design.mvt.fill */
  Size seg_size;            /* ordinary segment size */
  Size reserve;             /* free bytes kept: reserve_depth * mean_size */
  Size total_size;          /* sum of segment sizes */
} MVT;

bool mvt_check(const MVT *mvt);
extern const PoolClass mvt_class;

#endif /* LAGOON_POOL_MVT_H */
