/* mpscams.h -- AMS: automatic mark-sweep (non-moving).
 * Design: manual/design/interface.rst (MPS manual, pool/ams.rst) */
#ifndef mpscams_h
#define mpscams_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether allocation points may be created at the ambiguous rank. */
extern const struct mps_key_s _mps_key_AMS_SUPPORT_AMBIGUOUS;
#define MPS_KEY_AMS_SUPPORT_AMBIGUOUS (&_mps_key_AMS_SUPPORT_AMBIGUOUS)
#define MPS_KEY_AMS_SUPPORT_AMBIGUOUS_FIELD b

extern mps_pool_class_t mps_class_ams(void);
extern mps_pool_class_t mps_class_ams_debug(void);

#ifdef __cplusplus
}
#endif

#endif /* mpscams_h */
