/* mpsclo.h -- LO: automatic, non-moving, leaf objects only.
 * Design: manual/design/interface.rst (MPS manual, pool/lo.rst) */
#ifndef mpsclo_h
#define mpsclo_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

extern mps_pool_class_t mps_class_lo(void);

#ifdef __cplusplus
}
#endif

#endif /* mpsclo_h */
