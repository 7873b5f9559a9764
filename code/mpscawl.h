/* mpscawl.h -- AWL: automatic weak linked (weak references, dependent
 * objects).  Design: manual/design/interface.rst (MPS manual, pool/awl.rst) */
#ifndef mpscawl_h
#define mpscawl_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Given an object, return its dependent object or NULL. */
typedef mps_addr_t (*mps_awl_find_dependent_t)(mps_addr_t addr);

extern const struct mps_key_s _mps_key_AWL_FIND_DEPENDENT;
#define MPS_KEY_AWL_FIND_DEPENDENT (&_mps_key_AWL_FIND_DEPENDENT)
#define MPS_KEY_AWL_FIND_DEPENDENT_FIELD addr_method

extern mps_pool_class_t mps_class_awl(void);

#ifdef __cplusplus
}
#endif

#endif /* mpscawl_h */
