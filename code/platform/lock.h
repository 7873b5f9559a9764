/* platform/lock.h -- recursive locks that know their owner, and the
 * global lock.
 * Design: manual/design/arena.rst (design.arena.lock)
 *
 * A Lock may be claimed again by the thread that holds it; it is free
 * once every claim is released.  lock_is_held tells whether the calling
 * thread holds it, so code can ASSERT the lock rather than assume it. */
#ifndef LAGOON_PLATFORM_LOCK_H
#define LAGOON_PLATFORM_LOCK_H

#include "base/check.h"

#include <pthread.h>
#include <stdatomic.h>

#define lock_sig_value SIG_LOCK

typedef struct Lock {
  Sig sig;                  /* SIG_LOCK */
  pthread_mutex_t mutex;
  /* The holder's thread tag (design.arena.lock.owner), 0 when free.
   * Written only by the holder, with the mutex held; read by any thread
   * relaxed, which is enough: a thread can only ever read its own tag
   * if it wrote it itself. */
  _Atomic uintptr_t owner;
  unsigned claims;          /* nesting depth; guarded by the mutex */
} Lock;

void lock_init(Lock *lock);
void lock_finish(Lock *lock);      /* the lock must be free */
void lock_claim(Lock *lock);
void lock_release(Lock *lock);     /* the caller must hold it */
bool lock_is_held(const Lock *lock);
/* Claims by the calling thread (0 if it does not hold the lock). */
unsigned lock_depth(const Lock *lock);
/* Whether any thread holds the lock now (a racy snapshot: for
 * mps_arena_busy, which a signal handler may call). */
bool lock_is_busy(const Lock *lock);
bool lock_check(const Lock *lock);

/* The global lock guards process-wide state: the list of arenas
 * (design.arena.global).  Recursive, like any Lock. */
void global_lock_claim(void);
void global_lock_release(void);
bool global_lock_is_held(void);

#endif /* LAGOON_PLATFORM_LOCK_H */
