/* mpscmvff.h -- MVFF: manual, variable-size, first fit.
 * Design: manual/design/interface.rst (MPS manual, pool/mvff.rst) */
#ifndef mpscmvff_h
#define mpscmvff_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Placement policy keys (all mps_bool_t). */
extern const struct mps_key_s _mps_key_MVFF_ARENA_HIGH;
#define MPS_KEY_MVFF_ARENA_HIGH (&_mps_key_MVFF_ARENA_HIGH)
#define MPS_KEY_MVFF_ARENA_HIGH_FIELD b
extern const struct mps_key_s _mps_key_MVFF_SLOT_HIGH;
#define MPS_KEY_MVFF_SLOT_HIGH (&_mps_key_MVFF_SLOT_HIGH)
#define MPS_KEY_MVFF_SLOT_HIGH_FIELD b
extern const struct mps_key_s _mps_key_MVFF_FIRST_FIT;
#define MPS_KEY_MVFF_FIRST_FIT (&_mps_key_MVFF_FIRST_FIT)
#define MPS_KEY_MVFF_FIRST_FIT_FIELD b

extern mps_pool_class_t mps_class_mvff(void);
extern mps_pool_class_t mps_class_mvff_debug(void);

/* Deprecated: the generic functions do the same. */
#define mps_mvff_free_size mps_pool_free_size
#define mps_mvff_size mps_pool_total_size

#ifdef __cplusplus
}
#endif

#endif /* mpscmvff_h */
