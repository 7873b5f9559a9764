/* mpscmvt.h -- MVT: manual, variable-size, temporal fit.
 * Design: manual/design/interface.rst (MPS manual, pool/mvt.rst) */
#ifndef mpscmvt_h
#define mpscmvt_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fraction (0, 1] of free space above which the pool falls back to first
 * fit (double). */
extern const struct mps_key_s _mps_key_MVT_FRAG_LIMIT;
#define MPS_KEY_MVT_FRAG_LIMIT (&_mps_key_MVT_FRAG_LIMIT)
#define MPS_KEY_MVT_FRAG_LIMIT_FIELD d
/* Number of mean-sized blocks' worth of free space to keep (mps_word_t). */
extern const struct mps_key_s _mps_key_MVT_RESERVE_DEPTH;
#define MPS_KEY_MVT_RESERVE_DEPTH (&_mps_key_MVT_RESERVE_DEPTH)
#define MPS_KEY_MVT_RESERVE_DEPTH_FIELD count

extern mps_pool_class_t mps_class_mvt(void);

/* Deprecated: the generic functions do the same. */
#define mps_mvt_free_size mps_pool_free_size
#define mps_mvt_size mps_pool_total_size

#ifdef __cplusplus
}
#endif

#endif /* mpscmvt_h */
