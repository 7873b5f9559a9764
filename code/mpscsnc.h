/* mpscsnc.h -- SNC: manual stack allocation with allocation frames.
 * Design: manual/design/interface.rst (MPS manual, pool/snc.rst) */
#ifndef mpscsnc_h
#define mpscsnc_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

extern mps_pool_class_t mps_class_snc(void);

#ifdef __cplusplus
}
#endif

#endif /* mpscsnc_h */
