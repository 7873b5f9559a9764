/* test/unit/check_test.c -- assertions, the assertion handler, fault
 * injection.  Design: manual/design/check.rst */
#include "base/check.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static char seen_file[256];
static unsigned seen_line;
static char seen_cond[256];

static void recording_handler(const char *file, unsigned line, const char *cond)
{
  strncpy(seen_file, file, sizeof seen_file - 1);
  seen_line = line;
  strncpy(seen_cond, cond, sizeof seen_cond - 1);
  /* Report to the parent through the exit status: 42 = handler ran with
   * the right condition text. */
  exit(strcmp(cond, "1 + 1 == 3") == 0 && strstr(file, "check_test.c") != NULL
       && line > 0 ? 42 : 1);
}

START_TEST(assert_calls_installed_handler)
{
  volatile int two = 2;
  (void)mps_lib_assert_fail_install(recording_handler);
  check_fail(__FILE__, __LINE__, "1 + 1 == 3");
  (void)two;
}
END_TEST

START_TEST(install_returns_previous)
{
  mps_lib_assert_fail_t old = mps_lib_assert_fail_install(recording_handler);
  ck_assert_ptr_nonnull((void *)old);
  ck_assert_ptr_eq((void *)mps_lib_assert_fail_install(old), (void *)recording_handler);
}
END_TEST

START_TEST(default_handler_aborts)
{
  check_fail(__FILE__, __LINE__, "deliberate");
}
END_TEST

START_TEST(assert_macro_fires)
{
  volatile int x = 0;
#if CONFIG_ASSERT
  ASSERT(x == 1);
#else
  abort();
#endif
}
END_TEST

START_TEST(assert_macro_passes)
{
  volatile int x = 1;
  ASSERT(x == 1);
  ASSERT_CRIT(x == 1);
  ck_assert_int_eq(x, 1);
}
END_TEST

START_TEST(fail_after_counts)
{
#if CONFIG_FAULT_INJECT
  setenv("LAGOON_FAIL_AFTER", "3", 1);
  ck_assert(!fault_inject());
  ck_assert(!fault_inject());
  ck_assert(!fault_inject());
  ck_assert(fault_inject());
  ck_assert(fault_inject());
#else
  ck_assert(!fault_inject());
#endif
}
END_TEST

START_TEST(fail_after_off)
{
  unsetenv("LAGOON_FAIL_AFTER");
  for (int i = 0; i < 1000; ++i)
    ck_assert(!fault_inject());
}
END_TEST

int main(void)
{
  Suite *s = suite_create("check");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_add_exit_test(tc, assert_calls_installed_handler, 42);
  tcase_add_test(tc, install_returns_previous);
  tcase_add_test_raise_signal(tc, default_handler_aborts, SIGABRT);
  tcase_add_test_raise_signal(tc, assert_macro_fires, SIGABRT);
  tcase_add_test(tc, assert_macro_passes);
  tcase_add_test(tc, fail_after_counts);
  tcase_add_test(tc, fail_after_off);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
