/* test/unit/shield_test.c -- the shield: raise and lower, lazy batched
 * protection with neighbours merged, expose and cover, holding the
 * mutator, and barrier faults on real segments handled and retried.
 * Design: manual/design/shield.rst */
#include "arena/arena.h"
#include "arena/seg.h"
#include "platform/prot.h"
#include "trace/shield.h"
#include "fixture.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MiB ((Size)1 << 20)
#define SEGS 6

static char pool_storage[16];
#define POOL ((Pool *)(void *)pool_storage)

/* The arena (locked), its shield, and SEGS one-grain segments that
 * touch each other, in address order. */
static Arena *arena;
static Shield shield;
static Seg *segs[SEGS];
static Size grain;
static int suspends, resumes;

static void count_suspend(void *closure) { ck_assert_ptr_eq(closure, &shield); ++suspends; }
static void count_resume(void *closure) { ck_assert_ptr_eq(closure, &shield); ++resumes; }

static void setup(void)
{
  Seg *first;
  arena = fixture_vm_arena(8 * MiB);
  arena_enter(arena);
  grain = arena_grain_size(arena);
  shield_init(&shield, arena);
  shield_set_mutator(&shield, count_suspend, count_resume, &shield);
  suspends = resumes = 0;
  /* the first segment's struct takes a control page; allocate one to
   * get that out of the way, so the rest lie side by side */
  ck_assert_int_eq(seg_alloc_in(&first, arena, &seg_class_base, POOL, grain, NULL,
                                mps_args_none), RES_OK);
  for (int i = 0; i < SEGS; ++i)
    ck_assert_int_eq(seg_alloc_in(&segs[i], arena, &seg_class_base, POOL, grain, NULL,
                                  mps_args_none), RES_OK);
  for (int i = 1; i < SEGS; ++i)
    ck_assert_msg(seg_base(segs[i]) == seg_limit(segs[i - 1]),
                  "test needs adjacent segments");
  seg_free(first);
}

static void teardown(void)
{
  if (!arena_is_locked(arena))
    arena_enter(arena);
  for (int i = 0; i < SEGS; ++i) {
    shield_seg_free(&shield, segs[i]);
    seg_free(segs[i]);
  }
  arena_leave(arena);
  if (shield.attached)
    shield_detach(&shield);
  arena_enter(arena);
  shield_finish(&shield);
  arena_leave(arena);
  mps_arena_destroy(arena);
}

/* Probes that do not fault: the kernel reports EFAULT instead of
 * raising SIGSEGV when a system call meets a protected page. */
static bool can_read(const Seg *seg)
{
  int fds[2];
  char c;
  ssize_t r;
  ck_assert_int_eq(pipe(fds), 0);
  r = write(fds[1], addr_ptr(seg_base(seg)), 1);
  ck_assert(r == 1 || errno == EFAULT);
  if (r == 1)
    ck_assert_int_eq(read(fds[0], &c, 1), 1);
  close(fds[0]);
  close(fds[1]);
  return r == 1;
}

static bool can_write(const Seg *seg)
{
  int fds[2];
  ssize_t r;
  ck_assert_int_eq(pipe(fds), 0);
  ck_assert_int_eq(write(fds[1], "z", 1), 1);
  r = read(fds[0], addr_ptr(seg_base(seg) + 8), 1);
  ck_assert(r == 1 || errno == EFAULT);
  close(fds[0]);
  close(fds[1]);
  return r == 1;
}

/* What seg's pages allow, as a protection mode. */
static AccessSet traps(const Seg *seg)
{
  return (can_read(seg) ? 0 : ACCESS_READ) | (can_write(seg) ? 0 : ACCESS_WRITE);
}

START_TEST(raise_while_running_applies_at_once)
{
  Count calls = prot_set_count();

  shield_enter(&shield);
  shield_raise(&shield, segs[0], ACCESS_WRITE);
  /* the mutator is running: a queued raise would be a hole */
  ck_assert_uint_eq(prot_set_count(), calls + 1);
  ck_assert_uint_eq(segs[0]->pm, ACCESS_WRITE);
  ck_assert_uint_eq(traps(segs[0]), ACCESS_WRITE);
  ck_assert_uint_eq(traps(segs[1]), ACCESS_NONE);
  shield_raise(&shield, segs[0], ACCESS_READ);
  ck_assert_uint_eq(segs[0]->pm, ACCESS_RW);
  ck_assert_uint_eq(traps(segs[0]), ACCESS_RW);
  ck_assert_uint_eq(prot_set_count(), calls + 2);
  shield_leave(&shield);
  ck_assert_int_eq(suspends, 0);
  ck_assert_uint_eq(shield.protected_count, 1);

  /* lowering is lazy: the pages trap more than wanted until leave */
  shield_enter(&shield);
  shield_lower(&shield, segs[0], ACCESS_READ);
  ck_assert_uint_eq(segs[0]->sm, ACCESS_WRITE);
  ck_assert_uint_eq(segs[0]->pm, ACCESS_RW);
  ck_assert(segs[0]->queued);
  ck_assert_uint_eq(prot_set_count(), calls + 2);
  shield_leave(&shield);
  ck_assert_uint_eq(prot_set_count(), calls + 3);
  ck_assert_uint_eq(segs[0]->pm, ACCESS_WRITE);
  ck_assert_uint_eq(traps(segs[0]), ACCESS_WRITE);
  ck_assert(!segs[0]->queued);
}
END_TEST

START_TEST(held_raises_are_batched_and_merged)
{
  Count calls = prot_set_count();

  shield_enter(&shield);
  shield_hold(&shield);
  ck_assert_int_eq(suspends, 1);
  for (int i = 0; i < SEGS; ++i)
    shield_raise(&shield, segs[i], ACCESS_WRITE);
  shield_release(&shield);
  /* nothing applied yet: the mutator is stopped */
  ck_assert_uint_eq(prot_set_count(), calls);
  ck_assert_uint_eq(traps(segs[2]), ACCESS_NONE);
  ck_assert_uint_eq(shield.queue_count, SEGS);
  shield_leave(&shield);
  /* one call for the run of SEGS neighbours, then the mutator resumes */
  ck_assert_uint_eq(prot_set_count(), calls + 1);
  ck_assert_int_eq(resumes, 1);
  for (int i = 0; i < SEGS; ++i) {
    ck_assert_uint_eq(segs[i]->pm, ACCESS_WRITE);
    ck_assert_uint_eq(traps(segs[i]), ACCESS_WRITE);
  }

  /* two runs with different modes, raised out of address order */
  shield_enter(&shield);
  shield_hold(&shield);
  shield_raise(&shield, segs[3], ACCESS_READ);
  shield_raise(&shield, segs[1], ACCESS_READ);
  shield_raise(&shield, segs[2], ACCESS_READ);
  shield_release(&shield);
  shield_leave(&shield);
  ck_assert_uint_eq(prot_set_count(), calls + 2);   /* segs 1-3 merged */
  ck_assert_uint_eq(traps(segs[0]), ACCESS_WRITE);
  ck_assert_uint_eq(traps(segs[2]), ACCESS_RW);
  ck_assert_uint_eq(traps(segs[4]), ACCESS_WRITE);

  /* lowering every segment: lazy even with the mutator running, and
   * merged: segments 0 and 4-5 still want WRITE and 1-3 NONE... */
  shield_enter(&shield);
  for (int i = 1; i <= 3; ++i)
    shield_lower(&shield, segs[i], ACCESS_RW);
  ck_assert_uint_eq(prot_set_count(), calls + 2);
  shield_leave(&shield);
  ck_assert_uint_eq(prot_set_count(), calls + 3);
  ck_assert_uint_eq(traps(segs[2]), ACCESS_NONE);
  ck_assert_uint_eq(traps(segs[0]), ACCESS_WRITE);
  /* ...and non-neighbours with the same mode are separate calls */
  shield_enter(&shield);
  shield_lower(&shield, segs[0], ACCESS_WRITE);
  shield_lower(&shield, segs[5], ACCESS_WRITE);
  shield_leave(&shield);
  ck_assert_uint_eq(prot_set_count(), calls + 5);
  ck_assert_uint_eq(traps(segs[4]), ACCESS_WRITE);
  ck_assert_uint_eq(shield.protected_count, 1);
  ck_assert_int_eq(suspends, 2);
  ck_assert_int_eq(resumes, 2);
}
END_TEST

START_TEST(raise_then_lower_costs_nothing)
{
  Count calls = prot_set_count();
  shield_enter(&shield);
  shield_hold(&shield);
  shield_raise(&shield, segs[0], ACCESS_RW);
  shield_lower(&shield, segs[0], ACCESS_RW);
  shield_release(&shield);
  shield_leave(&shield);
  ck_assert_uint_eq(prot_set_count(), calls);
  ck_assert_uint_eq(segs[0]->pm, ACCESS_NONE);
  ck_assert(!segs[0]->queued);
}
END_TEST

START_TEST(expose_and_cover_nest)
{
  Count calls;

  shield_enter(&shield);
  shield_raise(&shield, segs[1], ACCESS_RW);
  shield_leave(&shield);
  ck_assert_uint_eq(traps(segs[1]), ACCESS_RW);
  calls = prot_set_count();

  shield_enter(&shield);
  /* an unprotected segment: no system call, no suspension */
  shield_expose(&shield, segs[0]);
  ck_assert_int_eq(suspends, 0);
  ck_assert_uint_eq(prot_set_count(), calls);
  shield_cover(&shield, segs[0]);

  shield_expose(&shield, segs[1]);
  /* design.shield.inv.expose: unprotected at once, mutator stopped */
  ck_assert_int_eq(suspends, 1);
  ck_assert_uint_eq(segs[1]->pm, ACCESS_NONE);
  ck_assert_uint_eq(segs[1]->sm, ACCESS_RW);
  ck_assert_uint_eq(traps(segs[1]), ACCESS_NONE);
  ck_assert_uint_eq(prot_set_count(), calls + 1);
  shield_expose(&shield, segs[1]);
  ck_assert_uint_eq(segs[1]->depth, 2);
  ck_assert_uint_eq(shield.depth, 2);
  ((volatile char *)addr_ptr(seg_base(segs[1])))[0] = 'a';   /* the library writes */
  shield_cover(&shield, segs[1]);
  ck_assert_uint_eq(traps(segs[1]), ACCESS_NONE);             /* still exposed */
  shield_cover(&shield, segs[1]);
  /* covered: protection comes back lazily, the mutator still stopped */
  ck_assert(segs[1]->queued);
  ck_assert_uint_eq(traps(segs[1]), ACCESS_NONE);
  ck_assert_int_eq(resumes, 0);
  ck_assert_uint_eq(prot_set_count(), calls + 1);
  shield_leave(&shield);
  ck_assert_uint_eq(traps(segs[1]), ACCESS_RW);
  ck_assert_uint_eq(prot_set_count(), calls + 2);
  ck_assert_int_eq(suspends, 1);
  ck_assert_int_eq(resumes, 1);
}
END_TEST

/* A raise on an exposed segment stops the mutator: the pages stay open
 * for the library while the segment wants a barrier. */
START_TEST(raise_while_exposed_suspends)
{
  shield_enter(&shield);
  shield_expose(&shield, segs[2]);
  ck_assert_int_eq(suspends, 0);
  shield_raise(&shield, segs[2], ACCESS_WRITE);
  ck_assert_int_eq(suspends, 1);
  ck_assert_uint_eq(traps(segs[2]), ACCESS_NONE);
  shield_cover(&shield, segs[2]);
  shield_leave(&shield);
  ck_assert_uint_eq(traps(segs[2]), ACCESS_WRITE);
  ck_assert_int_eq(resumes, 1);
}
END_TEST

START_TEST(leave_with_expose_asserts)
{
  shield_enter(&shield);
  shield_expose(&shield, segs[0]);
  shield_leave(&shield);
}
END_TEST

START_TEST(free_protected_seg_asserts)
{
  shield_enter(&shield);
  shield_raise(&shield, segs[0], ACCESS_WRITE);
  shield_leave(&shield);
  seg_free(segs[0]);    /* design.shield.inv.free: shield_seg_free first */
}
END_TEST

START_TEST(seg_free_drops_barrier)
{
  shield_enter(&shield);
  shield_hold(&shield);
  shield_raise(&shield, segs[4], ACCESS_RW);
  ck_assert(segs[4]->queued);
  shield_seg_free(&shield, segs[4]);     /* while queued */
  ck_assert(!segs[4]->queued);
  ck_assert_uint_eq(shield.queue_count, 0);
  shield_raise(&shield, segs[5], ACCESS_RW);
  shield_release(&shield);
  shield_leave(&shield);
  shield_seg_free(&shield, segs[5]);     /* applied */
  ck_assert_uint_eq(segs[5]->pm, ACCESS_NONE);
  ck_assert_uint_eq(traps(segs[5]), ACCESS_NONE);
  ck_assert_uint_eq(shield.protected_count, 0);
}
END_TEST

static int seg_cmp(const void *a, const void *b)
{
  Addr x = seg_base(*(Seg *const *)a), y = seg_base(*(Seg *const *)b);
  return x < y ? -1 : x > y;
}

/* How many runs of neighbours segments v[0..n) make. */
static Count runs_of(Seg **v, Count n)
{
  Seg **sorted = malloc(n * sizeof *sorted);
  Count runs = n > 0;
  ck_assert_ptr_nonnull(sorted);
  memcpy(sorted, v, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, seg_cmp);
  for (Count i = 1; i < n; ++i)
    runs += seg_base(sorted[i]) != seg_limit(sorted[i - 1]);
  free(sorted);
  return runs;
}

/* More segments than the queue holds: a full queue is flushed. */
START_TEST(full_queue_flushes)
{
  enum { N = CONFIG_SHIELD_QUEUE_LENGTH + 3 };
  Seg **many = malloc(N * sizeof *many);
  Count calls = prot_set_count();

  ck_assert_ptr_nonnull(many);
  for (int i = 0; i < N; ++i)
    ck_assert_int_eq(seg_alloc_in(&many[i], arena, &seg_class_base, POOL, grain, NULL,
                                  mps_args_none), RES_OK);
  shield_enter(&shield);
  shield_hold(&shield);
  for (int i = 0; i < N; ++i)
    shield_raise(&shield, many[i], ACCESS_WRITE);
  /* the first CONFIG_SHIELD_QUEUE_LENGTH went out when the queue filled */
  ck_assert_uint_eq(shield.queue_count, N - CONFIG_SHIELD_QUEUE_LENGTH);
  ck_assert_uint_eq(prot_set_count(), calls + runs_of(many, CONFIG_SHIELD_QUEUE_LENGTH));
  ck_assert_uint_eq(many[0]->pm, ACCESS_WRITE);
  ck_assert_uint_eq(many[N - 1]->pm, ACCESS_NONE);
  shield_release(&shield);
  shield_leave(&shield);
  for (int i = 0; i < N; ++i)
    ck_assert_uint_eq(many[i]->pm, ACCESS_WRITE);
  /* one call per run of neighbours in each batch (control pages for
   * the segments' structs break the runs now and then) */
  ck_assert_uint_eq(prot_set_count(),
                    calls + runs_of(many, CONFIG_SHIELD_QUEUE_LENGTH)
                    + runs_of(many + CONFIG_SHIELD_QUEUE_LENGTH, N - CONFIG_SHIELD_QUEUE_LENGTH));
  ck_assert_uint_lt(runs_of(many, N), N / 4);
  ck_assert_uint_eq(traps(many[N - 1]), ACCESS_WRITE);
  for (int i = 0; i < N; ++i) {
    shield_seg_free(&shield, many[i]);
    seg_free(many[i]);
  }
  free(many);
}
END_TEST

/* ---- Faults: design.shield.fault ---- */

static void attach(void)
{
  arena_leave(arena);
  ck_assert_int_eq(shield_attach(&shield), RES_OK);
  arena_enter(arena);
}

/* Protect seg with mode and give the arena lock back: the test is now
 * the mutator. */
static void protect_and_run(Seg *seg, AccessSet mode)
{
  shield_enter(&shield);
  shield_raise(&shield, seg, mode);
  shield_leave(&shield);
  arena_leave(arena);
}

START_TEST(write_fault_lifts_barrier)
{
  volatile Word *p = addr_ptr(seg_base(segs[2]) + 64);
  Count hits;

  attach();
  protect_and_run(segs[2], ACCESS_RW);
  hits = shield.barrier_hits;
  *p = 0xC0FFEE;                  /* faults; the default hook lifts it */
  ck_assert_uint_eq(*p, 0xC0FFEE);
  arena_enter(arena);
  ck_assert_uint_eq(shield.barrier_hits, hits + 1);
  ck_assert_uint_eq(segs[2]->sm, ACCESS_NONE);
  ck_assert_uint_eq(segs[2]->pm, ACCESS_NONE);
  ck_assert(!shield.inside);
}
END_TEST

START_TEST(read_fault_lifts_read_barrier)
{
  volatile Word *p = addr_ptr(seg_base(segs[3]) + 8);
  Word v;

  attach();
  protect_and_run(segs[3], ACCESS_RW);
  v = *p;                         /* a read: fresh memory reads zero */
  ck_assert_uint_eq(v, 0);
  arena_enter(arena);
  ck_assert_uint_eq(shield.barrier_hits, 1);
#if defined(__x86_64__) || defined(__i386__)
  /* the platform said it was a read: the write barrier stays */
  ck_assert_uint_eq(segs[3]->sm, ACCESS_WRITE);
  ck_assert_uint_eq(traps(segs[3]), ACCESS_WRITE);
  arena_leave(arena);
  *p = 5;                         /* now the write barrier */
  arena_enter(arena);
  ck_assert_uint_eq(shield.barrier_hits, 2);
#else
  arena_leave(arena);
  *p = 5;
  arena_enter(arena);
#endif
  ck_assert_uint_eq(*p, 5);
  ck_assert_uint_eq(segs[3]->sm, ACCESS_NONE);
}
END_TEST

/* A barrier hook of the trace's kind: it sees the fault, does its work
 * with the shield entered, and lifts the barrier itself. */
typedef struct HookLog {
  int calls;
  Seg *seg;
  Addr addr;
  AccessSet access;
  bool was_inside, was_locked;
} HookLog;

static bool test_hook(Shield *sh, Seg *seg, Addr addr, AccessSet access, void *closure)
{
  HookLog *log = closure;
  ++log->calls;
  log->seg = seg;
  log->addr = addr;
  log->access = access;
  log->was_inside = shield_is_inside(sh);
  log->was_locked = arena_is_locked(sh->arena);
  /* scan it, as the trace will: expose, read, cover */
  shield_expose(sh, seg);
  ck_assert_uint_eq(*(Word *)addr_ptr(seg_base(seg)), 0);
  shield_cover(sh, seg);
  shield_lower(sh, seg, ACCESS_RW);
  return true;
}

START_TEST(fault_calls_barrier_hook)
{
  HookLog log = { 0 };
  volatile char *p = (char *)addr_ptr(seg_base(segs[5])) + 100;

  shield_set_barrier(&shield, test_hook, &log);
  attach();
  protect_and_run(segs[5], ACCESS_WRITE);
  *p = 'q';
  ck_assert_int_eq(*p, 'q');
  ck_assert_int_eq(log.calls, 1);
  ck_assert_ptr_eq(log.seg, segs[5]);
  ck_assert(log.addr == ptr_addr((const void *)p));
  ck_assert(log.was_inside && log.was_locked);
#if defined(__x86_64__) || defined(__i386__)
  ck_assert_uint_eq(log.access, ACCESS_WRITE);
#endif
  arena_enter(arena);
  ck_assert_uint_eq(segs[5]->pm, ACCESS_NONE);
  ck_assert(!shield.inside);
  shield_set_barrier(&shield, NULL, NULL);
}
END_TEST

/* A hook that declines: the fault is not the arena's, the process dies
 * of SIGSEGV (here, Check's forked test process). */
static bool decline_hook(Shield *sh, Seg *seg, Addr addr, AccessSet access, void *closure)
{
  UNUSED(sh);
  UNUSED(seg);
  UNUSED(addr);
  UNUSED(access);
  UNUSED(closure);
  return false;
}

START_TEST(declined_fault_dies_of_sigsegv)
{
  shield_set_barrier(&shield, decline_hook, NULL);
  attach();
  protect_and_run(segs[0], ACCESS_WRITE);
  *(volatile char *)addr_ptr(seg_base(segs[0])) = 1;
}
END_TEST

/* A free page inside the arena is not a protected segment: a real
 * crash still crashes. */
START_TEST(free_page_in_arena_dies_of_sigsegv)
{
  Addr free_addr = seg_limit(segs[SEGS - 1]) + 16 * grain;
  Seg *seg;
  attach();
  ck_assert(arena_has_addr(arena, free_addr));
  ck_assert(!arena_seg_of_addr(&seg, arena, free_addr));
  arena_leave(arena);
  *(volatile char *)addr_ptr(free_addr) = 1;
}
END_TEST

/* design.shield.fault.inside: the library touching protected memory
 * with the arena lock held asserts in cool (ASSERT_CRIT); elsewhere the
 * fault is declined and the process dies of SIGSEGV. */
START_TEST(library_fault_with_lock_held)
{
  attach();
  shield_enter(&shield);
  shield_raise(&shield, segs[1], ACCESS_RW);
  shield_leave(&shield);
  ck_assert(arena_is_locked(arena));
  (void)*(volatile char *)addr_ptr(seg_base(segs[1]));
}
END_TEST

/* design.shield.fault.stale: a mutator faulting while the library is
 * inside waits for the lock; if the barrier was lowered meanwhile the
 * fault finds nothing to do and the access is retried. */
static void *mutator_write(void *arg)
{
  *(volatile Word *)arg = 77;
  return NULL;
}

START_TEST(fault_waits_for_leave)
{
  Word *p = addr_ptr(seg_base(segs[4]));
  Count offered, handled;
  pthread_t t;

  attach();
  shield_enter(&shield);
  shield_raise(&shield, segs[4], ACCESS_RW);
  shield_leave(&shield);
  /* inside again, lowering lazily: the pages still trap */
  shield_enter(&shield);
  shield_lower(&shield, segs[4], ACCESS_RW);
  ck_assert_uint_eq(segs[4]->pm, ACCESS_RW);
  offered = fault_offered_count();
  handled = fault_handled_count();
  ck_assert_int_eq(pthread_create(&t, NULL, mutator_write, p), 0);
  /* it faults, and waits in the handler for the arena lock */
  while (fault_offered_count() == offered)
    usleep(1000);
  usleep(10 * 1000);
  ck_assert_uint_eq(fault_handled_count(), handled);
  shield_leave(&shield);
  arena_leave(arena);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  arena_enter(arena);
  ck_assert_uint_eq(*p, 77);
  ck_assert_uint_eq(fault_handled_count(), handled + 1);
  ck_assert_uint_eq(shield.stale_faults, 1);
  ck_assert_uint_eq(shield.barrier_hits, 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("shield");
  TCase *tc = fixture_tcase(s, "protection", setup, teardown, 20);
  TCase *tf = fixture_tcase(s, "faults", setup, teardown, 20);

  tcase_add_test(tc, raise_while_running_applies_at_once);
  tcase_add_test(tc, held_raises_are_batched_and_merged);
  tcase_add_test(tc, raise_then_lower_costs_nothing);
  tcase_add_test(tc, expose_and_cover_nest);
  tcase_add_test(tc, raise_while_exposed_suspends);
  tcase_add_test(tc, seg_free_drops_barrier);
  tcase_add_test(tc, full_queue_flushes);
  tcase_add_test_raise_signal(tc, leave_with_expose_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, free_protected_seg_asserts, SIGABRT);

  tcase_add_test(tf, write_fault_lifts_barrier);
  tcase_add_test(tf, read_fault_lifts_read_barrier);
  tcase_add_test(tf, fault_calls_barrier_hook);
  tcase_add_test(tf, fault_waits_for_leave);
  tcase_add_test_raise_signal(tf, declined_fault_dies_of_sigsegv, SIGSEGV);
  tcase_add_test_raise_signal(tf, free_page_in_arena_dies_of_sigsegv, SIGSEGV);
#if CONFIG_ASSERT_CRIT
  tcase_add_test_raise_signal(tf, library_fault_with_lock_held, SIGABRT);
#else
  tcase_add_test_raise_signal(tf, library_fault_with_lock_held, SIGSEGV);
#endif
  return fixture_run_suite(s);
}
