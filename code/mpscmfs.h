/* mpscmfs.h -- MFS: manual, fixed-size small blocks.
 * Design: manual/design/interface.rst (MPS manual, pool/mfs.rst) */
#ifndef mpscmfs_h
#define mpscmfs_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The size of every block in the pool (required). */
extern const struct mps_key_s _mps_key_MFS_UNIT_SIZE;
#define MPS_KEY_MFS_UNIT_SIZE (&_mps_key_MFS_UNIT_SIZE)
#define MPS_KEY_MFS_UNIT_SIZE_FIELD size

extern mps_pool_class_t mps_class_mfs(void);

#ifdef __cplusplus
}
#endif

#endif /* mpscmfs_h */
