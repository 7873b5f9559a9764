/* pool/snc.h -- SNC (Stack No Checking): formatted objects allocated on
 * allocation points and freed by popping allocation frames.
 * Design: manual/design/snc.rst */
#ifndef LAGOON_POOL_SNC_H
#define LAGOON_POOL_SNC_H

#include "pool/pool.h"
#include "pool/format.h"

#define SNC_SEG_SIZE ((Size)16384)

/* design.snc.stack: each allocation point has a stack of segments, the
 * top one attached to it; below-top segments are full up to a padded
 * tail. */
typedef struct SNCSeg {
  Seg seg;                  /* must be first */
  struct SNCSeg *next;      /* the segment below in its buffer's stack */
  Size pad;                 /* bytes of padding at its end, when detached */
} SNCSeg;

typedef struct SNC {
  Pool pool;                /* must be first */
  Size total_size;          /* sum of segment sizes */
  Size pad_size;            /* sum of SNCSeg.pad */
} SNC;

bool snc_check(const SNC *snc);
extern const PoolClass snc_class;
extern const SegClass snc_seg_class;

#endif /* LAGOON_POOL_SNC_H */
