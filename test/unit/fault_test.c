/* test/unit/fault_test.c -- the fault handler: clients that own pages
 * handle their faults and the access is retried; faults nobody owns
 * die of SIGSEGV, or go to the handler installed before Lagoon's with
 * their own siginfo.
 * Design: manual/design/shield.rst (design.shield.fault) */
#include "platform/fault.h"
#include "platform/thread.h"

#include "fixture.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* A client owning [base, limit): it records each fault there and, if
 * `fix`, makes the pages accessible and says it handled the fault. */
typedef struct TestClient {
  FaultClient fc;                /* first: the handle function casts */
  Addr base, limit;
  bool fix;
  int calls;                     /* faults in its range */
  int other_calls;               /* faults it was offered elsewhere */
  AccessSet last_access;
  int report_fd;                 /* if >= 0, one byte per offer */
  bool suspend_blocked;          /* the suspend signal was blocked */
} TestClient;

static bool test_handle(FaultClient *fc, Addr addr, AccessSet access)
{
  TestClient *tc = (TestClient *)(void *)fc;
  sigset_t now;

  if (tc->report_fd >= 0)
    (void)!write(tc->report_fd, "x", 1);
  if (addr < tc->base || addr >= tc->limit) {
    ++tc->other_calls;
    return false;
  }
  ++tc->calls;
  tc->last_access = access;
  (void)pthread_sigmask(SIG_BLOCK, NULL, &now);
  tc->suspend_blocked = sigismember(&now, CONFIG_PTHREADEXT_SIGSUSPEND) == 1;
  if (!tc->fix)
    return false;
  (void)mprotect(addr_ptr(tc->base), tc->limit - tc->base, PROT_READ | PROT_WRITE);
  return true;
}

static char *map_pages(size_t n, int prot)
{
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  void *p = mmap(NULL, n * ps, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ck_assert(p != MAP_FAILED);
  return p;
}

/* An address nothing is mapped at: a page mapped and unmapped again. */
static volatile char *unmapped_address(void)
{
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  char *p = map_pages(1, PROT_NONE);
  ck_assert_int_eq(munmap(p, ps), 0);
  return (volatile char *)p + 12;
}

static void client_register(TestClient *tc, char *base, size_t pages, bool fix, int report_fd)
{
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  memset(tc, 0, sizeof *tc);
  tc->base = ptr_addr(base);
  tc->limit = ptr_addr(base) + pages * ps;
  tc->fix = fix;
  tc->report_fd = report_fd;
  ck_assert_int_eq(fault_register(&tc->fc, test_handle), RES_OK);
}

START_TEST(client_handles_its_faults)
{
  TestClient tc;
  char *page = map_pages(2, PROT_NONE);
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  Count handled = fault_handled_count();
  volatile char *p = page;
  char c;

  client_register(&tc, page, 2, true, -1);
  ck_assert(fault_is_installed());
  ck_assert(fault_is_chained());   /* Linux: libsigsegv uses SA_SIGINFO */

  p[7] = 'w';                      /* faults, handled, retried */
  ck_assert_int_eq(tc.calls, 1);
  ck_assert_int_eq(page[7], 'w');
#if defined(__x86_64__) || defined(__i386__)
  ck_assert_uint_eq(tc.last_access, ACCESS_WRITE);
#else
  ck_assert_uint_eq(tc.last_access, ACCESS_RW);
#endif

  ck_assert_int_eq(mprotect(page, 2 * ps, PROT_NONE), 0);
  c = p[ps + 3];                   /* a read fault on the second page */
  ck_assert_int_eq(c, 0);
  ck_assert_int_eq(tc.calls, 2);
#if defined(__x86_64__) || defined(__i386__)
  ck_assert_uint_eq(tc.last_access, ACCESS_READ);
#endif
  ck_assert_uint_eq(fault_handled_count(), handled + 2);
  /* design.shield.fault.mask: a thread in the handler can be suspended */
  ck_assert(!tc.suspend_blocked);
  fault_deregister(&tc.fc);
  ck_assert_int_eq(munmap(page, 2 * ps), 0);
}
END_TEST

typedef struct ChildArg {
  int fd;                        /* write end of the report pipe */
  volatile char *target;         /* an unmapped address */
  char *page;                    /* a page for the child's client */
} ChildArg;

/* How a child ended, and the bytes it wrote to its pipe. */
typedef struct ChildRun {
  int status;
  size_t len;
  char buf[64];
} ChildRun;

/* Run body in a forked child with a fresh ChildArg. */
static void run_child(ChildRun *run, void (*body)(ChildArg *))
{
  int fds[2];
  ChildArg ca;
  pid_t pid;
  ssize_t r;

  ck_assert_int_eq(pipe(fds), 0);
  ca.fd = fds[1];
  ca.page = map_pages(1, PROT_NONE);
  ca.target = unmapped_address();   /* last: nothing is mapped after it */
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    body(&ca);
    _exit(0);
  }
  close(fds[1]);
  run->len = 0;
  while ((r = read(fds[0], run->buf + run->len, sizeof run->buf - run->len)) > 0)
    run->len += (size_t)r;
  close(fds[0]);
  ck_assert_int_eq(waitpid(pid, &run->status, 0), pid);
}

/* Run body in a child, which must die of SIGSEGV having written
 * `reports` bytes to its pipe. */
static void child_dies_of_sigsegv(void (*body)(ChildArg *), size_t reports)
{
  ChildRun run;
  run_child(&run, body);
  ck_assert_msg(WIFSIGNALED(run.status), "child status %#x: not killed by a signal",
                run.status);
  ck_assert_int_eq(WTERMSIG(run.status), SIGSEGV);
  ck_assert_uint_eq(run.len, reports);
}

static void touch_unmapped_with_client(ChildArg *ca)
{
  TestClient tc;
  client_register(&tc, ca->page, 1, true, ca->fd);
  ca->target[0] = 1;             /* nobody's: must kill us */
  _exit(3);
}

START_TEST(unowned_fault_dies_of_sigsegv)
{
  /* Lagoon's handler was installed and offered the fault to the client
   * (once: libsigsegv asks twice, the clients are asked once). */
  child_dies_of_sigsegv(touch_unmapped_with_client, 1);
}
END_TEST

static void touch_after_deregister(ChildArg *ca)
{
  TestClient tc;
  client_register(&tc, ca->page, 1, true, ca->fd);
  fault_deregister(&tc.fc);
  ca->page[0] = 1;               /* its page, but it has left */
  _exit(3);
}

START_TEST(deregistered_client_is_not_asked)
{
  child_dies_of_sigsegv(touch_after_deregister, 0);
}
END_TEST

/* ---- The handler installed before Lagoon's: design.shield.fault.chain ---- */

static volatile sig_atomic_t prev_calls;
static int prev_fd = -1;
static void *prev_page;
static size_t prev_page_size;

/* Reports the signal and faulting address it was given, then exits 42. */
static void prev_report_exit(int sig, siginfo_t *info, void *context)
{
  void *addr = info->si_addr;
  UNUSED(context);
  (void)!write(prev_fd, &sig, sizeof sig);
  (void)!write(prev_fd, &addr, sizeof addr);
  _exit(42);
}

static void install_prev(void (*fn)(int, siginfo_t *, void *), int flags)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
}

static void prev_then_lagoon(ChildArg *ca)
{
  TestClient tc;
  prev_fd = ca->fd;
  install_prev(prev_report_exit, 0);
  client_register(&tc, ca->page, 1, true, -1);   /* installs Lagoon's */
  (void)!write(ca->fd, &ca->target, sizeof ca->target);
  ca->target[0] = 1;
  _exit(3);
}

START_TEST(previous_handler_gets_unowned_fault)
{
  ChildRun run;
  int sig;
  void *target, *addr;

  run_child(&run, prev_then_lagoon);
  ck_assert_msg(WIFEXITED(run.status), "child status %#x", run.status);
  ck_assert_int_eq(WEXITSTATUS(run.status), 42);
  /* it ran with the fault's own siginfo */
  ck_assert_uint_eq(run.len, sizeof target + sizeof sig + sizeof addr);
  memcpy(&target, run.buf, sizeof target);
  memcpy(&sig, run.buf + sizeof target, sizeof sig);
  memcpy(&addr, run.buf + sizeof target + sizeof sig, sizeof addr);
  ck_assert_int_eq(sig, SIGSEGV);
  ck_assert_ptr_eq(addr, target);
}
END_TEST

/* A previous handler that fixes its own page and returns. */
static void prev_fix(int sig, siginfo_t *info, void *context)
{
  char *a = info->si_addr;
  UNUSED(sig);
  UNUSED(context);
  ++prev_calls;
  if (a >= (char *)prev_page && a < (char *)prev_page + prev_page_size)
    (void)mprotect(prev_page, prev_page_size, PROT_READ | PROT_WRITE);
}

static void prev_recovers(ChildArg *ca)
{
  TestClient tc;
  volatile char *mine;

  prev_page_size = (size_t)sysconf(_SC_PAGESIZE);
  prev_page = map_pages(1, PROT_NONE);
  install_prev(prev_fix, 0);
  client_register(&tc, ca->page, 1, true, -1);
  mine = prev_page;
  mine[5] = 9;                   /* the previous handler's fault */
  if (prev_calls != 1 || mine[5] != 9 || tc.calls != 0)
    _exit(10);
  ca->page[1] = 7;               /* Lagoon's client's, still installed */
  if (tc.calls != 1 || ca->page[1] != 7 || prev_calls != 1)
    _exit(11);
  _exit(0);
}

START_TEST(previous_handler_may_recover)
{
  ChildRun run;
  run_child(&run, prev_recovers);
  ck_assert_msg(WIFEXITED(run.status), "child status %#x", run.status);
  ck_assert_int_eq(WEXITSTATUS(run.status), 0);
}
END_TEST

/* SA_RESETHAND: runs once, then the default action kills. */
static void prev_once(int sig, siginfo_t *info, void *context)
{
  UNUSED(sig);
  UNUSED(info);
  UNUSED(context);
  (void)!write(prev_fd, "p", 1);
}

static void prev_resethand(ChildArg *ca)
{
  TestClient tc;
  prev_fd = ca->fd;
  install_prev(prev_once, SA_RESETHAND);
  client_register(&tc, ca->page, 1, true, -1);
  ca->target[0] = 1;
  _exit(3);
}

START_TEST(previous_resethand_runs_once)
{
  child_dies_of_sigsegv(prev_resethand, 1);
}
END_TEST

/* A SIGSEGV sent by raise() has no fault address: no client is asked,
 * and with no previous handler it kills, as without Lagoon. */
static void raise_segv(ChildArg *ca)
{
  TestClient tc;
  client_register(&tc, ca->page, 1, true, ca->fd);
  raise(SIGSEGV);
  _exit(3);
}

START_TEST(sent_sigsegv_is_not_offered)
{
  child_dies_of_sigsegv(raise_segv, 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("fault");
  TCase *tc = fixture_tcase(s, "core", NULL, NULL, 20);

  tcase_add_test(tc, client_handles_its_faults);
  tcase_add_test(tc, unowned_fault_dies_of_sigsegv);
  tcase_add_test(tc, deregistered_client_is_not_asked);
  tcase_add_test(tc, previous_handler_gets_unowned_fault);
  tcase_add_test(tc, previous_handler_may_recover);
  tcase_add_test(tc, previous_resethand_runs_once);
  tcase_add_test(tc, sent_sigsegv_is_not_offered);
  return fixture_run_suite(s);
}
