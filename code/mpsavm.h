/* mpsavm.h -- the virtual memory arena class.
 * Design: manual/design/interface.rst (MPS manual, topic/arena.rst) */
#ifndef mpsavm_h
#define mpsavm_h

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An arena that reserves address space from the operating system and
 * commits it as needed.  Keys: MPS_KEY_ARENA_SIZE, MPS_KEY_ARENA_GRAIN_SIZE,
 * MPS_KEY_COMMIT_LIMIT, MPS_KEY_SPARE, MPS_KEY_PAUSE_TIME, and more. */
extern mps_arena_class_t mps_arena_class_vm(void);

/* Set the size by which the arena grows when it needs more address space
 * (desired) and the smallest growth it will accept (minimum; 0 for no
 * minimum).  MPS_RES_PARAM if minimum exceeds desired. */
extern mps_res_t mps_arena_vm_growth(mps_arena_t arena, size_t desired,
                                     size_t minimum);

#ifdef __cplusplus
}
#endif

#endif /* mpsavm_h */
