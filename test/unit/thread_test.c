/* test/unit/thread_test.c -- registered threads: registration, suspension
 * and resumption with signals, saved registers and stacks, self scans,
 * threads that exit without deregistering, fork.
 * Design: manual/design/thread.rst */
#include "platform/thread.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The arena is opaque to the platform layer: any non-NULL value will do. */
static char fake_arena_byte;
#define FAKE_ARENA ((mps_arena_t)(void *)&fake_arena_byte)

#define MAGIC_STACK ((Word)0x5AC4ED0DULL * 0x10001u)
#define MAGIC_REG   ((Word)0x4E615ED0ULL * 0x10003u)
#define MAGIC_SELF  ((Word)0x5E1F5CA1ULL * 0x10005u)
#define MAGIC_LIVE  ((Word)0x11FE1A5EULL * 0x10007u)

static void sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* A value the compiler cannot see through. */
static __attribute__((noinline)) Word opaque(Word w)
{
  __asm__ __volatile__("" : "+r"(w));
  return w;
}

/* ---- Visitors ---- */

typedef struct Find {
  Word value;
  Count found;          /* occurrences in all areas */
  Count found_first;    /* occurrences in the first area visited */
  Count areas;
  Size bytes;
} Find;

/* Reads whole stacks, ASan's redzones included. */
__attribute__((no_sanitize_address))
static Res find_visit(void *closure, Addr base, Addr limit)
{
  Find *f = closure;
  ck_assert(base <= limit);
  ck_assert(addr_is_aligned(base, sizeof(Word)));
  ck_assert(addr_is_aligned(limit, sizeof(Word)));
  for (Addr a = base; a < limit; a += sizeof(Word)) {
    if (*(volatile Word *)a == f->value) {
      ++f->found;
      if (f->areas == 0)
        ++f->found_first;
    }
  }
  ++f->areas;
  f->bytes += limit - base;
  return RES_OK;
}

static Res fail_visit(void *closure, Addr base, Addr limit)
{
  UNUSED(base);
  UNUSED(limit);
  ++*(int *)closure;
  return RES_LIMIT;
}

/* ---- Workers ---- */

typedef enum { WORK_SPIN, WORK_REG, WORK_STACK, WORK_ERRNO, WORK_READ, WORK_EXIT } WorkKind;

typedef struct Worker {
  pthread_t pthread;
  WorkKind kind;
  Thread thread;
  bool registered;
  int pipe_fd[2];              /* WORK_READ */
  _Atomic int ready;
  _Atomic int stop;
  _Atomic unsigned long counter;
  _Atomic int errno_broken;
  _Atomic int read_result;
  Addr cold;                   /* the cold end of its stack (a frame) */
} Worker;

static __attribute__((noinline)) void work_stack(Worker *w)
{
  /* A local holding a known value, in memory on this thread's stack. */
  volatile Word local = opaque(MAGIC_STACK);
  atomic_store(&w->ready, 1);
  while (!atomic_load(&w->stop))
    atomic_fetch_add_explicit(&w->counter, 1, memory_order_relaxed);
  ck_assert_uint_eq(local, MAGIC_STACK);
}

static __attribute__((noinline)) void work_reg(Worker *w)
{
  /* A value held in a register across the loop: best effort, but the
   * "+r" constraint makes the compiler keep it in one there. */
  Word v = opaque(MAGIC_REG);
  atomic_store(&w->ready, 1);
  while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
    __asm__ __volatile__("" : "+r"(v));
    atomic_fetch_add_explicit(&w->counter, 1, memory_order_relaxed);
  }
  __asm__ __volatile__("" : "+r"(v));
  ck_assert_uint_eq(v, MAGIC_REG);
}

static void *worker_main(void *arg)
{
  Worker *w = arg;

  w->cold = (Addr)__builtin_frame_address(0);
  ck_assert_int_eq(thread_register(&w->thread, FAKE_ARENA, 7), RES_OK);
  w->registered = true;
  switch (w->kind) {
  case WORK_SPIN:
    atomic_store(&w->ready, 1);
    while (!atomic_load(&w->stop))
      atomic_fetch_add_explicit(&w->counter, 1, memory_order_relaxed);
    break;
  case WORK_REG:
    work_reg(w);
    break;
  case WORK_STACK:
    work_stack(w);
    break;
  case WORK_ERRNO:
    atomic_store(&w->ready, 1);
    while (!atomic_load(&w->stop)) {
      errno = 4242;
      for (int i = 0; i < 1000; ++i)
        atomic_fetch_add_explicit(&w->counter, 1, memory_order_relaxed);
      if (errno != 4242)
        atomic_store(&w->errno_broken, 1);
    }
    break;
  case WORK_READ: {
    char c;
    ssize_t n;
    atomic_store(&w->ready, 1);
    n = read(w->pipe_fd[0], &c, 1);   /* restarted after each signal */
    atomic_store(&w->read_result, n == 1 ? c : (n < 0 ? -errno : -1000));
    break;
  }
  case WORK_EXIT:
    atomic_store(&w->ready, 1);
    break;     /* exits still registered */
  }
  return NULL;
}

static void worker_start(Worker *w, WorkKind kind)
{
  memset(w, 0, sizeof *w);
  w->kind = kind;
  if (kind == WORK_READ)
    ck_assert_int_eq(pipe(w->pipe_fd), 0);
  ck_assert_int_eq(pthread_create(&w->pthread, NULL, worker_main, w), 0);
  while (!atomic_load(&w->ready))
    sleep_ms(1);
}

/* A resumed thread runs again: its counter passes `from` within a few
 * seconds (generous, for loaded machines and sanitizers). */
static bool counter_moves(Worker *w, unsigned long from)
{
  for (int i = 0; i < 5000; ++i) {
    if (atomic_load(&w->counter) > from)
      return true;
    sleep_ms(1);
  }
  return false;
}

static void worker_stop(Worker *w)
{
  atomic_store(&w->stop, 1);
  ck_assert_int_eq(pthread_join(w->pthread, NULL), 0);
  if (w->thread.sig == SIG_THREAD) {
    if (!ring_is_single(&w->thread.globals_ring))
      ring_remove(&w->thread.globals_ring);
    thread_deregister(&w->thread);
  }
}

/* ---- Tests ---- */

START_TEST(register_fills_in)
{
  Thread t;
  memset(&t, 0xA5, sizeof t);
  ck_assert_int_eq(thread_register(&t, FAKE_ARENA, 42), RES_OK);
  ck_assert(thread_check(&t));
  ck_assert_uint_eq(t.sig, SIG_THREAD);
  ck_assert_uint_eq(t.serial, 42);
  ck_assert_ptr_eq(thread_arena(&t), FAKE_ARENA);
  ck_assert(pthread_equal(t.id, pthread_self()));
  ck_assert(thread_is_current(&t));
  ck_assert(!thread_is_dead(&t));
  ck_assert(!t.suspended);
  ck_assert(ring_is_single(&t.globals_ring));
  /* glibc tells the stack's mapping, which holds this frame */
  if (t.stack_hi != 0) {
    Addr here = (Addr)__builtin_frame_address(0);
    ck_assert(t.stack_lo < here && here < t.stack_hi);
  }
  thread_deregister(&t);
  ck_assert_uint_ne(t.sig, SIG_THREAD);
}
END_TEST

START_TEST(register_from_several_threads)
{
  enum { N = 6 };
  Worker w[N];
  Ring ring;
  Thread self;

  ring_init(&ring);
  ck_assert_int_eq(thread_register(&self, FAKE_ARENA, 0), RES_OK);
  ring_append(&ring, &self.globals_ring);
  for (int i = 0; i < N; ++i) {
    worker_start(&w[i], WORK_SPIN);
    ck_assert(thread_check(&w[i].thread));
    ck_assert(pthread_equal(w[i].thread.id, w[i].pthread));
    ck_assert(!thread_is_current(&w[i].thread));
    ring_append(&ring, &w[i].thread.globals_ring);
  }
  ck_assert_uint_eq(ring_length(&ring), N + 1);
  /* the caller is in the ring: it is skipped, the others stop */
  thread_ring_suspend(&ring);
  ck_assert(!self.suspended);
  for (int i = 0; i < N; ++i)
    ck_assert(w[i].thread.suspended);
  thread_ring_resume(&ring);
  for (int i = 0; i < N; ++i) {
    ck_assert(!w[i].thread.suspended);
    worker_stop(&w[i]);
  }
  ring_remove(&self.globals_ring);
  thread_deregister(&self);
}
END_TEST

START_TEST(suspended_threads_make_no_progress)
{
  enum { N = 4 };
  Worker w[N];
  Ring ring;
  unsigned long before[N];

  ring_init(&ring);
  for (int i = 0; i < N; ++i) {
    worker_start(&w[i], WORK_SPIN);
    ring_append(&ring, &w[i].thread.globals_ring);
  }
  for (int round = 0; round < 5; ++round) {
    thread_ring_suspend(&ring);
    for (int i = 0; i < N; ++i)
      before[i] = atomic_load(&w[i].counter);
    sleep_ms(30);
    for (int i = 0; i < N; ++i) {
      ck_assert(w[i].thread.suspended);
      ck_assert_uint_eq(atomic_load(&w[i].counter), before[i]);
    }
    thread_ring_resume(&ring);
    for (int i = 0; i < N; ++i)
      ck_assert(counter_moves(&w[i], before[i]));
  }
  for (int i = 0; i < N; ++i)
    worker_stop(&w[i]);
}
END_TEST

/* Suspend and resume back to back: a resume whose signal has not been
 * taken yet when the next suspension starts must not lose either. */
START_TEST(rapid_suspend_resume)
{
  enum { N = 3 };
  Worker w[N];
  Ring ring;

  ring_init(&ring);
  for (int i = 0; i < N; ++i) {
    worker_start(&w[i], WORK_SPIN);
    ring_append(&ring, &w[i].thread.globals_ring);
  }
  for (int round = 0; round < 300; ++round) {
    thread_ring_suspend(&ring);
    thread_ring_resume(&ring);
  }
  for (int i = 0; i < N; ++i) {
    ck_assert(counter_moves(&w[i], atomic_load(&w[i].counter)));
    worker_stop(&w[i]);
  }
}
END_TEST

START_TEST(saved_stack_holds_locals)
{
  Worker w;
  Ring ring;
  Find f = { .value = MAGIC_STACK };
  Addr hot;

  ring_init(&ring);
  worker_start(&w, WORK_STACK);
  ring_append(&ring, &w.thread.globals_ring);
  thread_ring_suspend(&ring);
  hot = thread_saved_hot(&w.thread);
  ck_assert(hot < w.cold);
  if (w.thread.stack_hi != 0)
    ck_assert(w.thread.stack_lo <= hot && w.cold <= w.thread.stack_hi);
  ck_assert_int_eq(thread_scan(&w.thread, w.cold, find_visit, &f), RES_OK);
  ck_assert_uint_eq(f.areas, 2);            /* registers, then stack */
  ck_assert_uint_ge(f.found, 1);
  /* the stack area is [hot, cold) */
  ck_assert_uint_ge(f.bytes, w.cold - hot);
  thread_ring_resume(&ring);
  worker_stop(&w);
}
END_TEST

START_TEST(saved_registers_hold_values)
{
  Worker w;
  Ring ring;
  Find f = { .value = MAGIC_REG };
  Addr base, limit;
  bool seen = false;

  ring_init(&ring);
  worker_start(&w, WORK_REG);
  ring_append(&ring, &w.thread.globals_ring);
  /* The value is in a register while the loop runs; a suspension may
   * land just outside it, so try a few times. */
  for (int attempt = 0; attempt < 20 && !seen; ++attempt) {
    Find r = { .value = MAGIC_REG };
    thread_ring_suspend(&ring);
    thread_saved_regs(&base, &limit, &w.thread);
    ck_assert(base < limit);
    ck_assert(addr_is_aligned(base, sizeof(Word)));
    ck_assert_int_eq(find_visit(&r, base, limit), RES_OK);
    seen = r.found > 0;
    if (seen) {
      ck_assert_int_eq(thread_scan(&w.thread, w.cold, find_visit, &f), RES_OK);
      ck_assert_uint_ge(f.found_first, 1);   /* in the register area */
    }
    thread_ring_resume(&ring);
    sleep_ms(1);
  }
  ck_assert(seen);
  worker_stop(&w);
}
END_TEST

/* The calling thread's own scan: a local in a callee frame and a value
 * live in a register across the call are both visited. */
static __attribute__((noinline)) void scan_self_below(Addr cold)
{
  volatile Word local = opaque(MAGIC_SELF);
  Word live = opaque(MAGIC_LIVE);
  Find f1 = { .value = MAGIC_SELF };
  Find f2 = { .value = MAGIC_LIVE };
  Thread t;

  __asm__ __volatile__("" : "+r"(live));
  ck_assert_int_eq(thread_scan_current(cold, find_visit, &f1), RES_OK);
  ck_assert_uint_ge(f1.found, 1);
  ck_assert_uint_eq(f1.areas, 2);
  ck_assert_int_eq(thread_scan_current(cold, find_visit, &f2), RES_OK);
  ck_assert_uint_ge(f2.found, 1);
  /* through thread_scan, for a registration of the calling thread */
  ck_assert_int_eq(thread_register(&t, FAKE_ARENA, 1), RES_OK);
  f1.found = 0;
  ck_assert_int_eq(thread_scan(&t, cold, find_visit, &f1), RES_OK);
  ck_assert_uint_ge(f1.found, 1);
  thread_deregister(&t);
  __asm__ __volatile__("" : "+r"(live));
  ck_assert_uint_eq(local, MAGIC_SELF);
  ck_assert_uint_eq(live, MAGIC_LIVE);
}

START_TEST(scan_current_thread)
{
  scan_self_below((Addr)__builtin_frame_address(0));
}
END_TEST

START_TEST(scan_stops_at_first_failure)
{
  Worker w;
  Ring ring;
  int calls = 0;

  ring_init(&ring);
  worker_start(&w, WORK_SPIN);
  ring_append(&ring, &w.thread.globals_ring);
  thread_ring_suspend(&ring);
  ck_assert_int_eq(thread_scan(&w.thread, w.cold, fail_visit, &calls), RES_LIMIT);
  ck_assert_int_eq(calls, 1);
  thread_ring_resume(&ring);
  calls = 0;
  ck_assert_int_eq(thread_scan_current((Addr)__builtin_frame_address(0), fail_visit,
                                       &calls), RES_LIMIT);
  ck_assert_int_eq(calls, 1);
  worker_stop(&w);
}
END_TEST

START_TEST(handler_keeps_errno)
{
  Worker w;
  Ring ring;

  ring_init(&ring);
  worker_start(&w, WORK_ERRNO);
  ring_append(&ring, &w.thread.globals_ring);
  for (int i = 0; i < 200; ++i) {
    thread_ring_suspend(&ring);
    thread_ring_resume(&ring);
  }
  worker_stop(&w);
  ck_assert_int_eq(atomic_load(&w.errno_broken), 0);
}
END_TEST

/* SA_RESTART: a thread blocked in read() is suspended and resumed and
 * its read neither fails with EINTR nor returns early. */
START_TEST(blocking_call_restarts)
{
  Worker w;
  Ring ring;
  char c = 'x';

  ring_init(&ring);
  worker_start(&w, WORK_READ);
  ring_append(&ring, &w.thread.globals_ring);
  sleep_ms(20);   /* let it block in read */
  for (int i = 0; i < 20; ++i) {
    thread_ring_suspend(&ring);
    ck_assert(w.thread.suspended);
    thread_ring_resume(&ring);
  }
  ck_assert_int_eq(atomic_load(&w.read_result), 0);
  ck_assert_int_eq(write(w.pipe_fd[1], &c, 1), 1);
  worker_stop(&w);
  ck_assert_int_eq(atomic_load(&w.read_result), 'x');
  close(w.pipe_fd[0]);
  close(w.pipe_fd[1]);
}
END_TEST

/* design.thread.dead: a thread that exits registered is skipped, found
 * dead, and scans as nothing. */
START_TEST(exited_thread_is_skipped)
{
  Worker dead, live;
  Ring ring;
  Find f = { .value = 0 };

  ring_init(&ring);
  worker_start(&dead, WORK_EXIT);
  worker_start(&live, WORK_SPIN);
  ring_append(&ring, &dead.thread.globals_ring);
  ring_append(&ring, &live.thread.globals_ring);
  sleep_ms(50);   /* let it exit; not joined yet */
  thread_ring_suspend(&ring);
  ck_assert(thread_is_dead(&dead.thread));
  ck_assert(!dead.thread.suspended);
  ck_assert(live.thread.suspended);
  ck_assert_int_eq(thread_scan(&dead.thread, dead.cold, find_visit, &f), RES_OK);
  ck_assert_uint_eq(f.areas, 0);
  thread_ring_resume(&ring);
  /* later suspensions do not try it again */
  thread_ring_suspend(&ring);
  ck_assert(!dead.thread.suspended);
  thread_ring_resume(&ring);
  worker_stop(&dead);
  worker_stop(&live);
}
END_TEST

/* design.thread.alias: one thread registered twice in a ring. */
START_TEST(thread_registered_twice)
{
  Worker w;
  Thread second;
  Ring ring;
  Find f = { .value = MAGIC_STACK };

  ring_init(&ring);
  worker_start(&w, WORK_STACK);
  /* a second record of the same thread, made as if it had registered */
  second = w.thread;
  ring_init(&second.globals_ring);
  ring_append(&ring, &w.thread.globals_ring);
  ring_append(&ring, &second.globals_ring);
  thread_ring_suspend(&ring);
  ck_assert(w.thread.suspended && second.suspended);
  ck_assert_uint_eq(thread_saved_hot(&second), thread_saved_hot(&w.thread));
  ck_assert_int_eq(thread_scan(&second, w.cold, find_visit, &f), RES_OK);
  ck_assert_uint_ge(f.found, 1);
  thread_ring_resume(&ring);
  ck_assert(!w.thread.suspended && !second.suspended);
  thread_ring_suspend(&ring);
  thread_ring_resume(&ring);
  ring_remove(&second.globals_ring);
  second.sig = SIG_INVALID;
  worker_stop(&w);
}
END_TEST

/* Two rings (two arenas) sharing a thread: the second suspension waits
 * until the first resumes, without deadlock. */
static Ring shared_ring_b;
static _Atomic int b_suspended;

static void *suspend_b(void *arg)
{
  UNUSED(arg);
  thread_ring_suspend(&shared_ring_b);
  atomic_store(&b_suspended, 1);
  thread_ring_resume(&shared_ring_b);
  return NULL;
}

START_TEST(thread_in_two_rings)
{
  Worker w;
  Thread in_b;
  Ring ring_a;
  pthread_t other;

  ring_init(&ring_a);
  ring_init(&shared_ring_b);
  worker_start(&w, WORK_SPIN);
  in_b = w.thread;
  ring_init(&in_b.globals_ring);
  ring_append(&ring_a, &w.thread.globals_ring);
  ring_append(&shared_ring_b, &in_b.globals_ring);
  thread_ring_suspend(&ring_a);
  ck_assert_int_eq(pthread_create(&other, NULL, suspend_b, NULL), 0);
  sleep_ms(50);
  ck_assert_int_eq(atomic_load(&b_suspended), 0);   /* still stopped by A */
  thread_ring_resume(&ring_a);
  ck_assert_int_eq(pthread_join(other, NULL), 0);
  ck_assert_int_eq(atomic_load(&b_suspended), 1);
  ring_remove(&in_b.globals_ring);
  worker_stop(&w);
}
END_TEST

/* design.thread.fork: in the child, threads of the parent are dead but
 * the one that forked is the caller. */
START_TEST(fork_child_keeps_forker)
{
  Worker w;
  Thread self;
  Ring ring;
  pid_t pid;
  int status;

  ring_init(&ring);
  ck_assert_int_eq(thread_register(&self, FAKE_ARENA, 0), RES_OK);
  worker_start(&w, WORK_SPIN);
  ring_append(&ring, &self.globals_ring);
  ring_append(&ring, &w.thread.globals_ring);
  pid = fork();
  ck_assert_int_ne(pid, -1);
  if (pid == 0) {
    int ok;
    thread_ring_suspend(&ring);
    ok = thread_is_dead(&w.thread) && !w.thread.suspended
         && thread_is_current(&self) && !self.suspended;
    thread_ring_resume(&ring);
    _exit(ok ? 0 : 1);
  }
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
  /* the parent's view is unchanged */
  thread_ring_suspend(&ring);
  ck_assert(w.thread.suspended);
  thread_ring_resume(&ring);
  ring_remove(&self.globals_ring);
  thread_deregister(&self);
  worker_stop(&w);
}
END_TEST

#if CONFIG_ASSERT
START_TEST(dereg_suspended_asserts)
{
  Worker w;
  Ring ring;

  ring_init(&ring);
  worker_start(&w, WORK_SPIN);
  ring_append(&ring, &w.thread.globals_ring);
  thread_ring_suspend(&ring);
  ring_remove(&w.thread.globals_ring);
  thread_deregister(&w.thread);    /* suspended: asserts */
}
END_TEST

START_TEST(scan_running_thread_asserts)
{
  Worker w;
  Find f = { .value = 0 };
  Res res;

  worker_start(&w, WORK_SPIN);
  res = thread_scan(&w.thread, w.cold, find_visit, &f);   /* not suspended */
  UNUSED(res);
}
END_TEST
#endif /* CONFIG_ASSERT */

int main(void)
{
  Suite *s = suite_create("thread");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, register_fills_in);
  tcase_add_test(tc, register_from_several_threads);
  tcase_add_test(tc, suspended_threads_make_no_progress);
  tcase_add_test(tc, rapid_suspend_resume);
  tcase_add_test(tc, saved_stack_holds_locals);
  tcase_add_test(tc, saved_registers_hold_values);
  tcase_add_test(tc, scan_current_thread);
  tcase_add_test(tc, scan_stops_at_first_failure);
  tcase_add_test(tc, handler_keeps_errno);
  tcase_add_test(tc, blocking_call_restarts);
  tcase_add_test(tc, exited_thread_is_skipped);
  tcase_add_test(tc, thread_registered_twice);
  tcase_add_test(tc, thread_in_two_rings);
  tcase_add_test(tc, fork_child_keeps_forker);
#if CONFIG_ASSERT
  tcase_add_test_raise_signal(tc, dereg_suspended_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, scan_running_thread_asserts, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
