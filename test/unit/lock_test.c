/* test/unit/lock_test.c -- recursive locks with owners, and the global
 * lock.  Design: manual/design/arena.rst (design.arena.lock) */
#include "platform/lock.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

static Lock lock;

START_TEST(claim_release)
{
  lock_init(&lock);
  ck_assert(lock_check(&lock));
  ck_assert(!lock_is_held(&lock));
  ck_assert_uint_eq(lock_depth(&lock), 0);
  lock_claim(&lock);
  ck_assert(lock_is_held(&lock));
  ck_assert_uint_eq(lock_depth(&lock), 1);
  lock_release(&lock);
  ck_assert(!lock_is_held(&lock));
  lock_finish(&lock);
}
END_TEST

START_TEST(recursion)
{
  lock_init(&lock);
  for (unsigned i = 1; i <= 5; ++i) {
    lock_claim(&lock);
    ck_assert_uint_eq(lock_depth(&lock), i);
  }
  for (unsigned i = 5; i >= 1; --i) {
    ck_assert(lock_is_held(&lock));
    lock_release(&lock);
    ck_assert_uint_eq(lock_depth(&lock), i - 1);
  }
  ck_assert(!lock_is_held(&lock));
  lock_finish(&lock);
}
END_TEST

typedef struct Probe {
  volatile int phase;       /* set by the thread */
  bool held_seen;           /* what lock_is_held said in the thread */
} Probe;

static void *other_thread(void *arg)
{
  Probe *probe = arg;
  probe->held_seen = lock_is_held(&lock);
  probe->phase = 1;                 /* about to block */
  lock_claim(&lock);
  probe->phase = 2;                 /* got it */
  ck_assert(lock_is_held(&lock));
  lock_release(&lock);
  return NULL;
}

START_TEST(excludes_other_threads)
{
  pthread_t t;
  Probe probe = { 0, true };
  struct timespec pause = { 0, 20 * 1000 * 1000 };

  lock_init(&lock);
  lock_claim(&lock);
  lock_claim(&lock);
  ck_assert_int_eq(pthread_create(&t, NULL, other_thread, &probe), 0);
  while (probe.phase < 1)
    nanosleep(&pause, NULL);
  nanosleep(&pause, NULL);
  ck_assert_int_eq(probe.phase, 1);     /* still blocked */
  ck_assert(!probe.held_seen);          /* held by us, not by it */
  lock_release(&lock);
  nanosleep(&pause, NULL);
  ck_assert_int_eq(probe.phase, 1);     /* one claim is still ours */
  lock_release(&lock);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(probe.phase, 2);
  ck_assert(!lock_is_held(&lock));
  lock_finish(&lock);
}
END_TEST

START_TEST(release_unheld_asserts)
{
  lock_init(&lock);
#if CONFIG_ASSERT
  lock_release(&lock);
#else
  raise(SIGABRT);
#endif
}
END_TEST

START_TEST(finish_held_asserts)
{
  lock_init(&lock);
  lock_claim(&lock);
#if CONFIG_ASSERT
  lock_finish(&lock);
#else
  raise(SIGABRT);
#endif
}
END_TEST

START_TEST(global_lock)
{
  ck_assert(!global_lock_is_held());
  global_lock_claim();
  global_lock_claim();
  ck_assert(global_lock_is_held());
  global_lock_release();
  ck_assert(global_lock_is_held());
  global_lock_release();
  ck_assert(!global_lock_is_held());
}
END_TEST

enum { COUNTER_THREADS = 4, COUNTER_LOOPS = 20000 };
static long counter;

static void *count_thread(void *arg)
{
  UNUSED(arg);
  for (int i = 0; i < COUNTER_LOOPS; ++i) {
    lock_claim(&lock);
    lock_claim(&lock);
    ++counter;
    lock_release(&lock);
    lock_release(&lock);
  }
  return NULL;
}

START_TEST(mutual_exclusion)
{
  pthread_t t[COUNTER_THREADS];
  lock_init(&lock);
  counter = 0;
  for (int i = 0; i < COUNTER_THREADS; ++i)
    ck_assert_int_eq(pthread_create(&t[i], NULL, count_thread, NULL), 0);
  for (int i = 0; i < COUNTER_THREADS; ++i)
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
  ck_assert_int_eq(counter, (long)COUNTER_THREADS * COUNTER_LOOPS);
  lock_finish(&lock);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("lock");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_add_test(tc, claim_release);
  tcase_add_test(tc, recursion);
  tcase_add_test(tc, excludes_other_threads);
  tcase_add_test_raise_signal(tc, release_unheld_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, finish_held_asserts, SIGABRT);
  tcase_add_test(tc, global_lock);
  tcase_add_test(tc, mutual_exclusion);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
