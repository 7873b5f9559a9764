/* platform/fault.c -- the memory fault handler on libsigsegv (POSIX).
 * Design: manual/design/shield.rst (design.shield.fault) */
#include "platform/fault.h"
#include "platform/lock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sigsegv.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

/* ---- The registry: design.shield.fault.lock ---- */

/* Guards fault_clients.  Statically initialised like the global lock
 * (platform/lock.c) so that it needs no init call. */
static Lock fault_lock = {
  .sig = SIG_LOCK,
  .mutex = PTHREAD_MUTEX_INITIALIZER,
  .owner = 0,
  .claims = 0,
};
static Ring fault_clients = { &fault_clients, &fault_clients };

/* Statistics; relaxed, design.shield.fault.count. */
static _Atomic Count fault_offered = 0;
static _Atomic Count fault_handled = 0;
static _Atomic Count fault_passed = 0;

Count fault_offered_count(void)
{
  return atomic_load_explicit(&fault_offered, memory_order_relaxed);
}

Count fault_handled_count(void)
{
  return atomic_load_explicit(&fault_handled, memory_order_relaxed);
}

Count fault_passed_count(void)
{
  return atomic_load_explicit(&fault_passed, memory_order_relaxed);
}

bool fault_client_check(const FaultClient *client)
{
  CHECK_SIG(client, SIG_FAULT_CLIENT);
  CHECK(client->handle != NULL);
  CHECK(ring_check(&client->ring));
  return true;
}

bool fault_dispatch(Addr addr, AccessSet access)
{
  Ring *node, *next;
  bool handled = false;

  ASSERT_CRIT(access != ACCESS_NONE && access <= ACCESS_RW);
  /* design.shield.fault.inside: nothing faults while the registry is
   * being changed (a recursive claim would walk a half-linked ring). */
  ASSERT_CRIT(!lock_is_held(&fault_lock));
  atomic_fetch_add_explicit(&fault_offered, 1, memory_order_relaxed);
  lock_claim(&fault_lock);
  RING_FOR(node, &fault_clients, next) {
    FaultClient *client = RING_ELT(FaultClient, ring, node);
    ASSERT_CRIT(fault_client_check(client));
    if (client->handle(client, addr, access)) {
      handled = true;
      break;
    }
  }
  lock_release(&fault_lock);
  if (handled)
    atomic_fetch_add_explicit(&fault_handled, 1, memory_order_relaxed);
  return handled;
}

/* ---- The handler: design.shield.fault.install ---- */

/* The signals libsigsegv may catch (it takes SIGBUS too on some
 * systems); install finds out which it took. */
static const int fault_signals[] = { SIGSEGV, SIGBUS };
#define FAULT_SIGNAL_COUNT ARRAY_LEN(fault_signals)

/* Written once, by fault_install under pthread_once, before any client
 * exists (so before any page is protected); read-only afterwards. */
static struct sigaction fault_prev[FAULT_SIGNAL_COUNT];  /* before Lagoon */
static struct sigaction fault_lsv[FAULT_SIGNAL_COUNT];   /* libsigsegv's */
static bool fault_wrapped = false;  /* fault_trampoline runs libsigsegv */
static _Atomic bool fault_installed = false;
/* design.shield.fault.chain: a previous handler with SA_RESETHAND has
 * run once and is now the default action.  Sequentially consistent. */
static _Atomic bool fault_prev_spent[FAULT_SIGNAL_COUNT];

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

/* The fault this thread is handling, as the kernel delivered it: set
 * by fault_trampoline around libsigsegv's handler, so that ours can
 * read the access kind and pass the fault on with its real siginfo and
 * context (design.shield.fault.chain).  Thread-local: each thread
 * handles its own faults. */
typedef struct FaultFrame {
  int sig;
  Index index;              /* of sig in fault_signals */
  siginfo_t *info;
  void *context;
  AccessSet access;         /* design.shield.fault.access */
  bool user_sent;           /* kill/raise, not a real fault: never
                               offered to the clients */
  bool declined;            /* the clients have declined it once */
} FaultFrame;
static _Thread_local FaultFrame *fault_frame = NULL;

bool fault_is_installed(void)
{
  return atomic_load_explicit(&fault_installed, memory_order_acquire);
}

bool fault_is_chained(void)
{
  return fault_is_installed() && fault_wrapped;
}

static Index fault_signal_index(int sig)
{
  for (Index i = 0; i < FAULT_SIGNAL_COUNT; ++i)
    if (fault_signals[i] == sig)
      return i;
  NOTREACHED;
  return 0;
}

/* design.shield.fault.access: which kind of access faulted, where the
 * platform tells.  On x86 the page fault's error code (bit 1: a write)
 * is in the signal context; elsewhere (aarch64 keeps it in the ESR
 * record of the context's reserved area, not decoded yet) it is
 * ACCESS_RW, and clients lift every barrier. */
static AccessSet fault_access_of(int sig, const void *context)
{
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__)) && defined(REG_ERR)
  if (sig == SIGSEGV && context != NULL) {
    const ucontext_t *uc = context;
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? ACCESS_WRITE : ACCESS_READ;
  }
#endif
  UNUSED(sig);
  UNUSED(context);
  return ACCESS_RW;
}

/* design.shield.fault.chain: run the handler that was installed before
 * Lagoon's, as the kernel would have: with its mask added, the signal
 * itself unblocked if it asked for SA_NODEFER, and the fault's own
 * siginfo and context.  Returns 1 if it ran and returned (the access is
 * retried, as after any handler that returns), 0 if the previous action
 * is the default or ignore (libsigsegv then restores the default action
 * and the retried access kills the process with the signal). */
static int fault_pass_on(FaultFrame *frame)
{
  const struct sigaction *prev;
  sigset_t mask, old;

  if (frame == NULL || atomic_load(&fault_prev_spent[frame->index]))
    return 0;
  prev = &fault_prev[frame->index];
  if (!(prev->sa_flags & SA_SIGINFO) &&
      (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN))
    return 0;
  if (prev->sa_flags & SA_RESETHAND)
    atomic_store(&fault_prev_spent[frame->index], true);
  mask = prev->sa_mask;
  (void)pthread_sigmask(SIG_BLOCK, &mask, &old);
  if (prev->sa_flags & SA_NODEFER) {
    sigemptyset(&mask);
    sigaddset(&mask, frame->sig);
    (void)pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
  }
  if (prev->sa_flags & SA_SIGINFO)
    prev->sa_sigaction(frame->sig, frame->info, frame->context);
  else
    prev->sa_handler(frame->sig);
  (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
  return 1;
}

/* design.shield.fault.sent: a signal sent by kill or raise that the
 * previous action would not have caught gets that action: nothing if
 * it was ignored, else the default (death), delivered as soon as the
 * trampoline returns (the signal is blocked until then). */
static void fault_default(const FaultFrame *frame)
{
  const struct sigaction *prev = &fault_prev[frame->index];
  if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler == SIG_IGN &&
      !atomic_load(&fault_prev_spent[frame->index]))
    return;
  (void)signal(frame->sig, SIG_DFL);
  (void)raise(frame->sig);
}

/* libsigsegv's client handler.  libsigsegv calls it with serious == 0
 * and, if that declines, again with serious == 1 (it may also call only
 * the latter); the clients are asked once. */
static int fault_sigsegv_handler(void *fault_address, int serious)
{
  FaultFrame *frame = fault_frame;

  if (frame == NULL || !frame->declined) {
    AccessSet access = frame != NULL ? frame->access : ACCESS_RW;
    if (fault_dispatch(ptr_addr(fault_address), access))
      return 1;
    if (frame != NULL)
      frame->declined = true;
  }
  if (!serious)
    return 0;
  atomic_fetch_add_explicit(&fault_passed, 1, memory_order_relaxed);
  return fault_pass_on(frame);
}

/* The action Lagoon installs over libsigsegv's for the signals it took
 * (design.shield.fault.mask: blocking nothing, so that the suspend
 * signal of platform/thread.c still reaches a thread waiting in the
 * handler for an arena lock).  It records the frame and runs
 * libsigsegv's handler. */
static void fault_trampoline(int sig, siginfo_t *info, void *context)
{
  int saved_errno = errno;
  FaultFrame *outer = fault_frame;
  FaultFrame frame;
  const struct sigaction *lsv;

  frame.sig = sig;
  frame.index = fault_signal_index(sig);
  frame.info = info;
  frame.context = context;
  /* SI_USER, SI_QUEUE, SI_TKILL...: si_addr is not an address */
  frame.user_sent = info == NULL || info->si_code <= 0;
  frame.access = frame.user_sent ? ACCESS_RW : fault_access_of(sig, context);
  frame.declined = false;
  lsv = &fault_lsv[frame.index];
  fault_frame = &frame;
  if (!frame.user_sent) {
    lsv->sa_sigaction(sig, info, context);
  } else {
    atomic_fetch_add_explicit(&fault_passed, 1, memory_order_relaxed);
    if (fault_pass_on(&frame) == 0)
      fault_default(&frame);
  }
  fault_frame = outer;
  errno = saved_errno;
}

static void fault_install(void)
{
  struct sigaction now[FAULT_SIGNAL_COUNT];
  bool taken[FAULT_SIGNAL_COUNT];
  bool wrappable = true;

  for (Index i = 0; i < FAULT_SIGNAL_COUNT; ++i) {
    (void)sigaction(fault_signals[i], NULL, &fault_prev[i]);
    atomic_init(&fault_prev_spent[i], false);
  }
  if (sigsegv_install_handler(fault_sigsegv_handler) != 0)
    return;                       /* the platform cannot catch faults */
  /* Which signals did libsigsegv take, and can each be wrapped? */
  for (Index i = 0; i < FAULT_SIGNAL_COUNT; ++i) {
    (void)sigaction(fault_signals[i], NULL, &now[i]);
    /* Unchanged if it was libsigsegv's already (a client using its
     * global handler, which ours has just replaced: design.shield.fault.libsigsegv). */
    taken[i] = now[i].sa_handler != fault_prev[i].sa_handler;
    if (taken[i] && !(now[i].sa_flags & SA_SIGINFO))
      wrappable = false;
  }
  /* All or none, so that libsigsegv's handler never runs without a
   * fresh frame (design.shield.fault.chain). */
  if (wrappable) {
    struct sigaction tramp;
    memset(&tramp, 0, sizeof tramp);
    tramp.sa_sigaction = fault_trampoline;
    tramp.sa_flags = SA_SIGINFO;
    sigemptyset(&tramp.sa_mask);
    for (Index i = 0; i < FAULT_SIGNAL_COUNT; ++i) {
      if (!taken[i])
        continue;
      fault_lsv[i] = now[i];
      if (sigaction(fault_signals[i], &tramp, NULL) == 0)
        fault_wrapped = true;
    }
  }
  atomic_store_explicit(&fault_installed, true, memory_order_release);
}

Res fault_register(FaultClient *client, FaultHandleFn handle)
{
  int r;

  ASSERT(client != NULL);
  ASSERT(handle != NULL);
  r = pthread_once(&fault_once, fault_install);
  if (r != 0 || !fault_is_installed())
    return RES_RESOURCE;
  client->handle = handle;
  ring_init(&client->ring);
  client->sig = SIG_FAULT_CLIENT;
  lock_claim(&fault_lock);
  ring_append(&fault_clients, &client->ring);
  lock_release(&fault_lock);
  return RES_OK;
}

void fault_deregister(FaultClient *client)
{
  ASSERT_VALID(fault_client, client);
  /* Once the lock is ours no handler is running any client's
   * function, and none will see this one again. */
  lock_claim(&fault_lock);
  ring_remove(&client->ring);
  client->sig = SIG_INVALID;
  lock_release(&fault_lock);
}
