/* mpsacl.h -- the client arena class.
 * Design: manual/design/interface.rst (MPS manual, topic/arena.rst) */
#ifndef mpsacl_h
#define mpsacl_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Base address of the client's memory block (required). */
extern const struct mps_key_s _mps_key_ARENA_CL_BASE;
#define MPS_KEY_ARENA_CL_BASE (&_mps_key_ARENA_CL_BASE)
#define MPS_KEY_ARENA_CL_BASE_FIELD addr

/* An arena that manages memory the client supplies: MPS_KEY_ARENA_CL_BASE
 * and MPS_KEY_ARENA_SIZE at creation, more through mps_arena_extend. */
extern mps_arena_class_t mps_arena_class_cl(void);

#ifdef __cplusplus
}
#endif

#endif /* mpsacl_h */
