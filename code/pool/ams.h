/* pool/ams.h -- AMS (Automatic Mark and Sweep): a garbage-collected,
 * non-moving pool of scanned, formatted objects, and its debugging
 * variant.
 * Design: manual/design/ams.rst */
#ifndef LAGOON_POOL_AMS_H
#define LAGOON_POOL_AMS_H

#include "pool/markseg.h"

typedef struct AMS {
  MarkPool mark;            /* must be first: design.ams.markseg */
} AMS;

typedef struct AMSDebug {
  AMS ams;                  /* must be first */
  PoolDebugMixin debug;     /* design.ams.debug */
} AMSDebug;

bool ams_check(const AMS *ams);
extern const PoolClass ams_class;
extern const PoolClass ams_debug_class;

#endif /* LAGOON_POOL_AMS_H */
