/* platform/lock.c -- recursive locks with owner tracking on pthreads.
 * Design: manual/design/arena.rst (design.arena.lock) */
#include "platform/lock.h"

/* design.arena.lock.owner: a thread's tag is the address of a
 * thread-local byte, unique among live threads and never 0. */
static _Thread_local char lock_thread_tag_byte;

static inline uintptr_t lock_thread_tag(void)
{
  return (uintptr_t)&lock_thread_tag_byte;
}

bool lock_check(const Lock *lock)
{
  CHECK_SIG(lock, SIG_LOCK);
  return true;
}

void lock_init(Lock *lock)
{
  int r;

  ASSERT(lock != NULL);
  r = pthread_mutex_init(&lock->mutex, NULL);
  ASSERT(r == 0);
  UNUSED(r);
  atomic_init(&lock->owner, 0);
  lock->claims = 0;
  lock->sig = SIG_LOCK;
}

void lock_finish(Lock *lock)
{
  int r;

  ASSERT_VALID(lock, lock);
  ASSERT(atomic_load_explicit(&lock->owner, memory_order_relaxed) == 0);
  lock->sig = SIG_INVALID;
  r = pthread_mutex_destroy(&lock->mutex);
  ASSERT(r == 0);
  UNUSED(r);
}

void lock_claim(Lock *lock)
{
  uintptr_t me = lock_thread_tag();
  int r;

  ASSERT_VALID(lock, lock);
  if (atomic_load_explicit(&lock->owner, memory_order_relaxed) == me) {
    ASSERT(lock->claims > 0);
    ++lock->claims;
    return;
  }
  r = pthread_mutex_lock(&lock->mutex);
  ASSERT(r == 0);
  UNUSED(r);
  ASSERT(lock->claims == 0);
  atomic_store_explicit(&lock->owner, me, memory_order_relaxed);
  lock->claims = 1;
}

void lock_release(Lock *lock)
{
  int r;

  ASSERT_VALID(lock, lock);
  ASSERT(lock_is_held(lock));
  ASSERT(lock->claims > 0);
  if (--lock->claims > 0)
    return;
  atomic_store_explicit(&lock->owner, 0, memory_order_relaxed);
  r = pthread_mutex_unlock(&lock->mutex);
  ASSERT(r == 0);
  UNUSED(r);
}

bool lock_is_held(const Lock *lock)
{
  return atomic_load_explicit(&lock->owner, memory_order_relaxed) == lock_thread_tag();
}

unsigned lock_depth(const Lock *lock)
{
  return lock_is_held(lock) ? lock->claims : 0;
}

bool lock_is_busy(const Lock *lock)
{
  return atomic_load_explicit(&lock->owner, memory_order_relaxed) != 0;
}

/* design.arena.global: statically initialised, so it works before any
 * arena exists and needs no init call. */
static Lock lock_global = {
  .sig = SIG_LOCK,
  .mutex = PTHREAD_MUTEX_INITIALIZER,
  .owner = 0,
  .claims = 0,
};

void global_lock_claim(void)
{
  lock_claim(&lock_global);
}

void global_lock_release(void)
{
  lock_release(&lock_global);
}

bool global_lock_is_held(void)
{
  return lock_is_held(&lock_global);
}
