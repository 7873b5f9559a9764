/* pool/lo.h -- LO (Leaf Object): a garbage-collected, non-moving pool
 * of formatted objects that hold no references.
 * Design: manual/design/lo.rst */
#ifndef LAGOON_POOL_LO_H
#define LAGOON_POOL_LO_H

#include "pool/markseg.h"

typedef struct LO {
  MarkPool mark;            /* must be first: design.ams.markseg */
} LO;

bool lo_check(const LO *lo);
extern const PoolClass lo_class;

#endif /* LAGOON_POOL_LO_H */
