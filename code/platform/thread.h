/* platform/thread.h -- registered threads: suspend and resume them with
 * POSIX signals, and find their registers and stacks for scanning.
 * Design: manual/design/thread.rst
 *
 * The platform layer knows nothing of arenas, roots or scan states: the
 * trace layer (trace/root.c) allocates each Thread, links it into its
 * arena's thread ring, and scans through the visitor callbacks below.
 * Everything here that changes a Thread is called with the owning
 * arena's lock held (design.thread.lock). */
#ifndef LAGOON_PLATFORM_THREAD_H
#define LAGOON_PLATFORM_THREAD_H

#include "base/check.h"
#include "base/ring.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <ucontext.h>

typedef struct mps_thr_s Thread;

#define thread_sig_value SIG_THREAD

/* The signals that suspend and resume a thread: design.thread.signals.
 * The MPS's names for the build options are kept so that a client's
 * -D flags carry over. */
#ifndef CONFIG_PTHREADEXT_SIGSUSPEND
#define CONFIG_PTHREADEXT_SIGSUSPEND SIGXCPU
#endif
#ifndef CONFIG_PTHREADEXT_SIGRESUME
#define CONFIG_PTHREADEXT_SIGRESUME SIGXFSZ
#endif

struct mps_thr_s {
  Sig sig;                    /* SIG_THREAD, set last by thread_register */
  Count serial;               /* from the owner's thread_serial */
  mps_arena_t arena;          /* owner: opaque at this layer */
  Ring globals_ring;          /* in Globals.thread_ring (arena lock) */
  pthread_t id;               /* the registered thread */
  pid_t tid;                  /* its kernel thread id (Linux), which
                                 signals go to: design.thread.dead */
  pid_t pid;                  /* process it was registered (or last seen)
                                 in: design.thread.fork */
  Addr stack_lo, stack_hi;    /* its stack's mapping if known, else 0, 0:
                                 design.thread.stack.bounds */
  /* Guarded by the arena lock. */
  bool alive;                 /* false once it is known to have exited:
                                 design.thread.dead */
  bool suspended;             /* by thread_ring_suspend, not yet resumed */
  bool signalled;             /* suspended by a signal (not an alias) */
  /* Handshake with the signal handler: design.thread.handshake.  Written
   * by the suspender (sequentially consistent), read by the handler. */
  _Atomic unsigned suspend_gen;
  _Atomic unsigned resume_gen;
  /* Saved by the handler at suspension, published by sem_post:
   * design.thread.context */
  Addr stack_hot;             /* the handler's frame: hot end of the stack */
  mcontext_t regs;            /* the interrupted register file */
};

bool thread_check(const Thread *thread);

/* Register the calling thread: fill in `thread`, which the caller
 * allocated, for the arena `arena` (kept opaque).  The first call in a
 * process installs the signal handlers.  RES_RESOURCE if they could not
 * be installed; nothing is written then. */
Res thread_register(Thread *thread, mps_arena_t arena, Count serial) WARN_UNUSED;
/* The thread must not be suspended.  It must be unlinked from its ring. */
void thread_deregister(Thread *thread);

static inline mps_arena_t thread_arena(const Thread *thread) { return thread->arena; }
/* Is this the registration of the calling thread? */
bool thread_is_current(const Thread *thread);
/* Has the thread been found to have exited without deregistering? */
static inline bool thread_is_dead(const Thread *thread) { return !thread->alive; }

/* Suspend every thread in ring (Thread.globals_ring) except the calling
 * thread and those that have exited, and return when all are stopped.
 * Resume undoes it.  The owner's lock held; the ring must not change in
 * between.  design.thread.suspend */
void thread_ring_suspend(Ring *ring);
void thread_ring_resume(Ring *ring);

/* For a suspended thread: the saved registers, [*base_o, *limit_o), word
 * aligned, and the hot end of its stack (everything the thread had
 * pushed lies in [hot, cold)). */
void thread_saved_regs(Addr *base_o, Addr *limit_o, const Thread *thread);
Addr thread_saved_hot(const Thread *thread);

/* A visitor of one area [base, limit) of words. */
typedef Res (*ThreadAreaFn)(void *closure, Addr base, Addr limit);

/* Visit the calling thread's registers (spilled on its stack in a
 * jmp_buf) and then its stack from the current frame to cold.
 * design.thread.self */
Res thread_scan_current(Addr cold, ThreadAreaFn visit, void *closure) WARN_UNUSED;

/* Visit a registered thread's registers and then its stack [hot, cold):
 * live for the calling thread, as saved for a suspended one, nothing
 * for a dead one.  Any other thread is an error (asserted).  cold is
 * rounded down to a word; cold below the hot end is asserted against
 * (design.thread.cold).  Returns the first result other than RES_OK. */
Res thread_scan(Thread *thread, Addr cold, ThreadAreaFn visit, void *closure) WARN_UNUSED;

#endif /* LAGOON_PLATFORM_THREAD_H */
