/* pool/mfs.h -- MFS (Manual Fixed Small): fixed-size units.
 * Design: manual/design/mfs.rst
 *
 * Exposed inside the library because other pools embed an MFS for their
 * own nodes (MVFF and MVT keep their CBS nodes in one). */
#ifndef LAGOON_POOL_MFS_H
#define LAGOON_POOL_MFS_H

#include "pool/pool.h"

#define MFS_EXTEND_BY_DEFAULT ((Size)65536)

typedef struct MFS {
  Pool pool;              /* must be first: design.pool.class.inherit */
  Size unit_size;         /* rounded up to pool.align */
  Size extend_by;         /* segment size, grain-aligned */
  Addr free_list;         /* free units linked through their first word */
  Addr tail, tail_limit;  /* not yet carved part of the newest segment:
                             design.mfs.tail */
  Size total_size;        /* sum of segment sizes */
  Count live;             /* units allocated */
} MFS;

bool mfs_check(const MFS *mfs);
extern const PoolClass mfs_class;

static inline MFS *mfs_of_pool(Pool *pool) { return (MFS *)(void *)pool; }
static inline Size mfs_unit_size(const MFS *mfs) { return mfs->unit_size; }

/* Allocate and free one unit: the CBS node callbacks of the pools that
 * embed an MFS (closure is the MFS).  Arena lock held. */
Res mfs_node_alloc(void **node_o, void *closure);
void mfs_node_free(void *node, void *closure);

#endif /* LAGOON_POOL_MFS_H */
