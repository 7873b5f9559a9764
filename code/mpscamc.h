/* mpscamc.h -- AMC and AMCZ: automatic, mostly-copying, generational.
 * Design: manual/design/interface.rst (MPS manual, pool/amc.rst, amcz.rst) */
#ifndef mpscamc_h
#define mpscamc_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

extern mps_pool_class_t mps_class_amc(void);
extern mps_pool_class_t mps_class_amcz(void);   /* leaf objects: not scanned */

/* Called by mps_amc_apply for each object; p and s are passed through. */
typedef void (*mps_amc_apply_stepper_t)(mps_addr_t addr, void *p, size_t s);

/* Visit every object in an AMC pool (deprecated: use mps_pool_walk).
 * The arena must be parked. */
extern void mps_amc_apply(mps_pool_t pool, mps_amc_apply_stepper_t f,
                          void *p, size_t s);

#ifdef __cplusplus
}
#endif

#endif /* mpscamc_h */
