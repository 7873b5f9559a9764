/* pool/awl.h -- AWL (Automatic Weak Linked): a garbage-collected,
 * non-moving pool of formatted objects that may hold weak references,
 * each object optionally linked to a dependent object.
 * Design: manual/design/awl.rst */
#ifndef LAGOON_POOL_AWL_H
#define LAGOON_POOL_AWL_H

#include "pool/markseg.h"

typedef struct AWL {
  MarkPool mark;            /* must be first: design.awl.markseg */
  /* design.awl.dependent: the client's MPS_KEY_AWL_FIND_DEPENDENT, or
   * NULL when it gave none (no object has a dependent). */
  mps_awl_find_dependent_t find_dependent;
} AWL;

bool awl_check(const AWL *awl);
extern const PoolClass awl_class;

#endif /* LAGOON_POOL_AWL_H */
