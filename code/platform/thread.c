/* platform/thread.c -- thread registration, suspension by POSIX signals,
 * register and stack capture.
 * Design: manual/design/thread.rst */
#include "platform/thread.h"

#include <errno.h>
#include <semaphore.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

/* design.thread.signals: one handler per signal for the whole process,
 * installed once.  thread_install_res is written once under
 * pthread_once and read after it. */
static pthread_once_t thread_install_once = PTHREAD_ONCE_INIT;
static Res thread_install_res = RES_RESOURCE;

/* design.thread.handshake: the thread being suspended, set by the
 * suspender before it sends the signal, and the semaphore the handler
 * posts once the thread's state is saved.  thread_suspend_mutex makes
 * suspensions one ring at a time in the whole process (arenas suspend
 * independently and a thread may belong to several). */
static _Atomic(Thread *) thread_suspend_target;
static sem_t thread_ack;
static pthread_mutex_t thread_suspend_mutex = PTHREAD_MUTEX_INITIALIZER;

/* design.thread.fork: what the last fork left behind.  Written in the
 * child's atfork handler, while the child has one thread; read under an
 * arena lock. */
static pid_t thread_fork_parent_pid;
static pid_t thread_fork_prepare_pid;
static pthread_t thread_fork_survivor;
static pid_t thread_fork_survivor_tid;

/* design.thread.dead: signals go to the kernel thread id, so that a
 * thread that exited (joined or not) is reported as gone (ESRCH) and no
 * pthread_t is used after its lifetime.  Elsewhere, pthread_kill. */
#if defined(__linux__)
static pid_t thread_os_id(void)
{
  return (pid_t)syscall(SYS_gettid);
}

/* 0, or the error number.  Changes errno. */
static int thread_signal(const Thread *thread, int sig)
{
  if (syscall(SYS_tgkill, (long)getpid(), (long)thread->tid, (long)sig) == 0)
    return 0;
  return errno;
}
#else
static pid_t thread_os_id(void)
{
  return 0;
}

static int thread_signal(const Thread *thread, int sig)
{
  return pthread_kill(thread->id, sig);
}
#endif

bool thread_check(const Thread *thread)
{
  CHECK_SIG(thread, SIG_THREAD);
  CHECK(thread->arena != NULL);
  CHECK(ring_check(&thread->globals_ring));
  CHECK_BOOL(thread->alive);
  CHECK_BOOL(thread->suspended);
  CHECK_BOOL(thread->signalled);
  CHECK(!thread->signalled || thread->suspended);
  CHECK(thread->stack_lo <= thread->stack_hi);
  return true;
}

/* ---- Signal handlers: design.thread.handler ---- */

static void thread_suspend_handler(int sig, siginfo_t *info, void *context)
{
  int saved_errno = errno;      /* design.thread.errno */
  Thread *thread = atomic_load(&thread_suspend_target);
  const ucontext_t *uc = context;
  sigset_t wait_mask;
  unsigned gen;

  UNUSED(sig);
  UNUSED(info);
  /* A stray signal (RLIMIT_CPU's SIGXCPU, say, or one meant for no
   * thread of ours) is ignored. */
  if (thread == NULL || !pthread_equal(thread->id, pthread_self())
      || thread->tid != thread_os_id()) {
    errno = saved_errno;
    return;
  }
  gen = atomic_load(&thread->suspend_gen);
  /* design.thread.context: the interrupted registers, and the hot end
   * of the stack taken at this frame, which lies below the kernel's
   * signal frame, the red zone and every frame the thread had. */
  thread->regs = uc->uc_mcontext;
  thread->stack_hot = (Addr)__builtin_frame_address(0);
  sem_post(&thread_ack);        /* publishes the stores above */

  sigfillset(&wait_mask);
  sigdelset(&wait_mask, CONFIG_PTHREADEXT_SIGRESUME);
  /* Wait for the resume of this suspension.  resume_gen may also move
   * past gen if the thread was resumed and suspended again before this
   * handler saw the first resume. */
  while ((int)(atomic_load(&thread->resume_gen) - gen) < 0)
    sigsuspend(&wait_mask);
  errno = saved_errno;
}

static void thread_resume_handler(int sig)
{
  /* Only wakes sigsuspend; the suspend handler checks resume_gen. */
  UNUSED(sig);
}

/* design.thread.fork: no suspension is in progress across the fork, so
 * the child does not inherit the mutex held by a thread it lacks. */
static void thread_fork_prepare(void)
{
  (void)pthread_mutex_lock(&thread_suspend_mutex);
  thread_fork_prepare_pid = getpid();
}

static void thread_fork_parent(void)
{
  (void)pthread_mutex_unlock(&thread_suspend_mutex);
}

static void thread_fork_child(void)
{
  thread_fork_parent_pid = thread_fork_prepare_pid;
  thread_fork_survivor = pthread_self();
  thread_fork_survivor_tid = thread_os_id();
  (void)pthread_mutex_unlock(&thread_suspend_mutex);
}

static void thread_install(void)
{
  struct sigaction sa;

  if (sem_init(&thread_ack, 0, 0) != 0)
    return;
  memset(&sa, 0, sizeof sa);
  /* Nothing else runs in the thread while it saves its state. */
  sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sa.sa_sigaction = thread_suspend_handler;
  if (sigaction(CONFIG_PTHREADEXT_SIGSUSPEND, &sa, NULL) != 0)
    return;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = thread_resume_handler;
  if (sigaction(CONFIG_PTHREADEXT_SIGRESUME, &sa, NULL) != 0)
    return;
  if (pthread_atfork(thread_fork_prepare, thread_fork_parent, thread_fork_child) != 0)
    return;
  thread_install_res = RES_OK;
}

/* ---- Registration ---- */

/* design.thread.stack.bounds: the stack's mapping, if the C library
 * tells it, to check cold ends and hot ends against. */
static void thread_stack_bounds(Addr *lo_o, Addr *hi_o)
{
  Addr lo = 0, hi = 0;
#if defined(__GLIBC__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *addr;
    size_t size;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      lo = (Addr)addr;
      hi = lo + size;
    }
    pthread_attr_destroy(&attr);
  }
#endif
  *lo_o = lo;
  *hi_o = hi;
}

Res thread_register(Thread *thread, mps_arena_t arena, Count serial)
{
  int saved_errno = errno;      /* design.thread.errno */

  ASSERT(thread != NULL);
  ASSERT(arena != NULL);
  (void)pthread_once(&thread_install_once, thread_install);
  if (thread_install_res != RES_OK) {
    errno = saved_errno;
    return thread_install_res;
  }
  thread->serial = serial;
  thread->arena = arena;
  ring_init(&thread->globals_ring);
  thread->id = pthread_self();
  thread->tid = thread_os_id();
  thread->pid = getpid();
  thread_stack_bounds(&thread->stack_lo, &thread->stack_hi);
  thread->alive = true;
  thread->suspended = false;
  thread->signalled = false;
  atomic_init(&thread->suspend_gen, 0);
  atomic_init(&thread->resume_gen, 0);
  thread->stack_hot = 0;
  memset(&thread->regs, 0, sizeof thread->regs);
  thread->sig = SIG_THREAD;
  errno = saved_errno;
  return RES_OK;
}

void thread_deregister(Thread *thread)
{
  ASSERT_VALID(thread, thread);
  ASSERT(!thread->suspended);
  ASSERT(ring_is_single(&thread->globals_ring));
  thread->sig = SIG_INVALID;
  ring_finish(&thread->globals_ring);
}

/* design.thread.fork: is the thread in this process?  A thread
 * registered before a fork survives in the child only if it is the one
 * that forked. */
static bool thread_in_process(Thread *thread)
{
  pid_t pid = getpid();

  if (thread->pid == pid)
    return true;
  if (thread->pid == thread_fork_parent_pid
      && pthread_equal(thread->id, thread_fork_survivor)) {
    thread->pid = pid;
    thread->tid = thread_fork_survivor_tid;
    return true;
  }
  return false;
}

bool thread_is_current(const Thread *thread)
{
  ASSERT_VALID(thread, thread);
  return thread->alive && pthread_equal(thread->id, pthread_self())
         && (thread->pid == getpid()
             || (thread->pid == thread_fork_parent_pid
                 && pthread_equal(thread->id, thread_fork_survivor)));
}

/* ---- Suspension: design.thread.suspend ---- */

/* Wait for the handler's acknowledgement.  design.thread.dead: a thread
 * that exits with the signal pending never answers, so poll whether it
 * still exists while waiting.  False if it has gone. */
static bool thread_wait_ack(Thread *thread)
{
  for (;;) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000 * 1000;   /* 20 ms */
    if (deadline.tv_nsec >= 1000 * 1000 * 1000) {
      deadline.tv_nsec -= 1000 * 1000 * 1000;
      ++deadline.tv_sec;
    }
    if (sem_timedwait(&thread_ack, &deadline) == 0)
      return true;
    if (errno == EINTR)
      continue;
    ASSERT(errno == ETIMEDOUT);
    if (thread_signal(thread, 0) == ESRCH)
      return false;
  }
}

static void thread_suspend_one(Thread *thread)
{
  int r;
  bool answered;

  atomic_fetch_add(&thread->suspend_gen, 1);
  atomic_store(&thread_suspend_target, thread);
  r = thread_signal(thread, CONFIG_PTHREADEXT_SIGSUSPEND);
  if (r == ESRCH) {
    answered = false;           /* design.thread.dead */
  } else {
    ASSERT(r == 0);
    answered = thread_wait_ack(thread);
  }
  atomic_store(&thread_suspend_target, NULL);
  if (!answered) {
    thread->alive = false;
    return;
  }
  thread->suspended = true;
  thread->signalled = true;
}

void thread_ring_suspend(Ring *ring)
{
  Ring *node, *next;
  int saved_errno = errno;      /* design.thread.errno */
  int r;

  ASSERT(ring_check(ring));
  r = pthread_mutex_lock(&thread_suspend_mutex);
  ASSERT(r == 0);
  RING_FOR(node, ring, next) {
    Thread *thread = RING_ELT(Thread, globals_ring, node);
    Ring *other;
    bool alias = false;

    ASSERT_VALID(thread, thread);
    ASSERT(!thread->suspended);
    if (!thread->alive)
      continue;
    if (!thread_in_process(thread)) {
      thread->alive = false;    /* design.thread.fork */
      continue;
    }
    if (pthread_equal(thread->id, pthread_self()))
      continue;                 /* the caller runs on */
    /* design.thread.alias: the same thread registered twice in one
     * ring is stopped once; the later record shares the saved state. */
    for (other = ring->next; other != node; other = other->next) {
      Thread *first = RING_ELT(Thread, globals_ring, other);
      if (first->signalled && pthread_equal(first->id, thread->id)) {
        thread->regs = first->regs;
        thread->stack_hot = first->stack_hot;
        thread->suspended = true;
        alias = true;
        break;
      }
    }
    if (!alias)
      thread_suspend_one(thread);
  }
  r = pthread_mutex_unlock(&thread_suspend_mutex);
  ASSERT(r == 0);
  UNUSED(r);
  errno = saved_errno;
}

void thread_ring_resume(Ring *ring)
{
  Ring *node, *next;
  int saved_errno = errno;      /* design.thread.errno */

  ASSERT(ring_check(ring));
  RING_FOR(node, ring, next) {
    Thread *thread = RING_ELT(Thread, globals_ring, node);
    ASSERT_VALID(thread, thread);
    if (!thread->suspended)
      continue;
    thread->suspended = false;
    if (thread->signalled) {
      int r;
      thread->signalled = false;
      atomic_store(&thread->resume_gen, atomic_load(&thread->suspend_gen));
      r = thread_signal(thread, CONFIG_PTHREADEXT_SIGRESUME);
      /* A suspended thread cannot exit. */
      ASSERT(r == 0);
      UNUSED(r);
    }
  }
  errno = saved_errno;
}

void thread_saved_regs(Addr *base_o, Addr *limit_o, const Thread *thread)
{
  Addr base = (Addr)&thread->regs;

  ASSERT_VALID(thread, thread);
  ASSERT(thread->suspended);
  ASSERT(addr_is_aligned(base, sizeof(Word)));
  *base_o = base;
  *limit_o = addr_align_down(base + sizeof thread->regs, sizeof(Word));
}

Addr thread_saved_hot(const Thread *thread)
{
  ASSERT_VALID(thread, thread);
  ASSERT(thread->suspended);
  return thread->stack_hot;
}

/* ---- Scanning: design.thread.self ---- */

/* Visit the stack from this frame up.  Everything the callers pushed,
 * the jmp_buf and the registers spilled by __builtin_unwind_init
 * included, lies above this frame.  __builtin_frame_address is the
 * machine stack even when ASan moves locals to a fake stack. */
static __attribute__((noinline)) Res
thread_scan_stack_here(Addr cold, ThreadAreaFn visit, void *closure)
{
  Addr hot = addr_align_down((Addr)__builtin_frame_address(0), sizeof(Word));
  ASSERT(hot < cold);
  return visit(closure, hot, cold);
}

Res thread_scan_current(Addr cold, ThreadAreaFn visit, void *closure)
{
  jmp_buf regs;
  Res res;

  /* Spill the callee-saved registers into this frame; setjmp copies them
   * (some mangled) into regs as well. */
  __builtin_unwind_init();
  (void)setjmp(regs);
  /* The registers first, in case regs is on an ASan fake stack. */
  res = visit(closure, addr_align_up((Addr)&regs, sizeof(Word)),
              addr_align_down((Addr)&regs + sizeof regs, sizeof(Word)));
  if (res == RES_OK)
    res = thread_scan_stack_here(addr_align_down(cold, sizeof(Word)), visit, closure);
  /* Keep regs and this frame alive across the calls (no tail call). */
  __asm__ __volatile__("" : : "r"(&regs) : "memory");
  return res;
}

Res thread_scan(Thread *thread, Addr cold, ThreadAreaFn visit, void *closure)
{
  Addr base, limit, hot;
  Res res;

  ASSERT_VALID(thread, thread);
  ASSERT(visit != NULL);
  if (!thread->alive)
    return RES_OK;              /* design.thread.dead */
  cold = addr_align_down(cold, sizeof(Word));
  /* design.thread.stack.bounds */
  ASSERT(thread->stack_hi == 0 || cold <= thread->stack_hi);
  if (thread_is_current(thread))
    return thread_scan_current(cold, visit, closure);
  ASSERT(thread->suspended);
  thread_saved_regs(&base, &limit, thread);
  res = visit(closure, base, limit);
  if (res != RES_OK)
    return res;
  hot = addr_align_up(thread->stack_hot, sizeof(Word));
  /* design.thread.cold */
  ASSERT(hot <= cold);
  ASSERT(thread->stack_lo == 0 || thread->stack_lo <= hot);
  return visit(closure, hot, cold);
}
