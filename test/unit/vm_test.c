/* test/unit/vm_test.c -- reserving, committing, decommitting and
 * releasing address space; and the rest of the platform layer's plinth
 * (clock, telemetry control, I/O, library functions).
 * Design: manual/design/vm.rst */
#include "platform/vm.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MiB ((Size)1 << 20)

START_TEST(page_size_is_p2)
{
  Size ps = vm_page_size();
  ck_assert(size_is_p2(ps));
  ck_assert_uint_ge(ps, 4096);
  ck_assert_uint_eq(vm_page_size(), ps);
}
END_TEST

START_TEST(reserve_is_aligned_and_unmapped)
{
  VM vm;
  Align align = 16 * MiB;
  ck_assert_int_eq(vm_reserve(&vm, 3 * MiB + 1, align), RES_OK);
  ck_assert(vm_check(&vm));
  ck_assert(addr_is_aligned(vm_base(&vm), align));
  /* rounded up to whole pages */
  ck_assert_uint_eq(vm_reserved(&vm), size_align_up(3 * MiB + 1, vm_page_size()));
  ck_assert_uint_eq(vm_mapped(&vm), 0);
  vm_release(&vm);
}
END_TEST

START_TEST(commit_write_decommit)
{
  VM vm;
  Size ps = vm_page_size();
  Addr base;
  unsigned char *p;

  ck_assert_int_eq(vm_reserve(&vm, 64 * ps, ps), RES_OK);
  base = vm_base(&vm) + 8 * ps;
  ck_assert_int_eq(vm_commit(&vm, base, 4 * ps), RES_OK);
  ck_assert_uint_eq(vm_mapped(&vm), 4 * ps);
  p = addr_ptr(base);
  /* fresh pages read as zero, and take writes */
  for (Size i = 0; i < 4 * ps; ++i)
    ck_assert_int_eq(p[i], 0);
  memset(p, 0xA5, 4 * ps);
  for (Size i = 0; i < 4 * ps; i += 97)
    ck_assert_int_eq(p[i], 0xA5);

  vm_decommit(&vm, base + ps, 2 * ps);
  ck_assert_uint_eq(vm_mapped(&vm), 2 * ps);
  ck_assert_int_eq(p[0], 0xA5);           /* untouched neighbours */
  ck_assert_int_eq(p[3 * ps], 0xA5);
  /* recommitted memory is fresh */
  ck_assert_int_eq(vm_commit(&vm, base + ps, 2 * ps), RES_OK);
  ck_assert_int_eq(p[ps], 0);
  ck_assert_int_eq(p[3 * ps - 1], 0);
  ck_assert_uint_eq(vm_mapped(&vm), 4 * ps);
  vm_decommit(&vm, base, 4 * ps);
  ck_assert_uint_eq(vm_mapped(&vm), 0);
  vm_release(&vm);
}
END_TEST

START_TEST(decommitted_memory_faults)
{
  VM vm;
  Size ps = vm_page_size();
  volatile unsigned char *p;

  ck_assert_int_eq(vm_reserve(&vm, 4 * ps, ps), RES_OK);
  ck_assert_int_eq(vm_commit(&vm, vm_base(&vm), 4 * ps), RES_OK);
  vm_decommit(&vm, vm_base(&vm), 4 * ps);
  p = addr_ptr(vm_base(&vm));
  *p = 1;      /* SIGSEGV */
}
END_TEST

START_TEST(reserved_memory_faults)
{
  VM vm;
  volatile unsigned char *p;
  ck_assert_int_eq(vm_reserve(&vm, MiB, vm_page_size()), RES_OK);
  p = addr_ptr(vm_base(&vm) + 4096);
  (void)*p;    /* SIGSEGV: reserved, never committed */
}
END_TEST

START_TEST(huge_reserve_is_resource)
{
  VM vm;
  memset(&vm, 0x5A, sizeof vm);
  /* more address space than x86-64 user space has */
  ck_assert_int_eq(vm_reserve(&vm, (Size)1 << 62, vm_page_size()), RES_RESOURCE);
  ck_assert_uint_eq(vm.sig, 0x5A5A5A5A);    /* untouched on failure */
  ck_assert_int_eq(vm_reserve(&vm, SIZE_MAX - 10, vm_page_size()), RES_PARAM);
}
END_TEST

START_TEST(many_reservations)
{
  VM vms[64];
  for (int i = 0; i < 64; ++i) {
    ck_assert_int_eq(vm_reserve(&vms[i], 2 * MiB, MiB), RES_OK);
    for (int j = 0; j < i; ++j)   /* disjoint */
      ck_assert(vm_limit(&vms[j]) <= vm_base(&vms[i]) || vm_limit(&vms[i]) <= vm_base(&vms[j]));
  }
  for (int i = 0; i < 64; ++i)
    vm_release(&vms[i]);
}
END_TEST

START_TEST(test_hook_fails_once)
{
  VM vm;
  Size ps = vm_page_size();

  ck_assert_int_eq(vm_reserve(&vm, 16 * ps, ps), RES_OK);
  vm_test_fail_after(1);
  ck_assert_int_eq(vm_commit(&vm, vm_base(&vm), ps), RES_OK);
  ck_assert_int_eq(vm_commit(&vm, vm_base(&vm) + ps, ps), RES_MEMORY);
  ck_assert_uint_eq(vm_mapped(&vm), ps);
  /* the range stays reserved and can be committed later */
  ck_assert_int_eq(vm_commit(&vm, vm_base(&vm) + ps, ps), RES_OK);
  *(volatile char *)addr_ptr(vm_base(&vm) + ps) = 1;
  vm_test_fail_after(0);
  {
    VM vm2;
    ck_assert_int_eq(vm_reserve(&vm2, ps, ps), RES_RESOURCE);
    ck_assert_int_eq(vm_reserve(&vm2, ps, ps), RES_OK);
    vm_release(&vm2);
  }
  vm_release(&vm);
}
END_TEST

START_TEST(fail_after_env)
{
#if CONFIG_FAULT_INJECT
  VM vm;
  /* design.check.fail-after: the second VM call and all later ones fail */
  setenv("LAGOON_FAIL_AFTER", "1", 1);
  ck_assert_int_eq(vm_reserve(&vm, 4 * vm_page_size(), vm_page_size()), RES_OK);
  ck_assert_int_eq(vm_commit(&vm, vm_base(&vm), vm_page_size()), RES_MEMORY);
  ck_assert_int_eq(vm_commit(&vm, vm_base(&vm), vm_page_size()), RES_MEMORY);
  ck_assert_uint_eq(vm_mapped(&vm), 0);
  vm_release(&vm);
#endif
}
END_TEST

START_TEST(commit_outside_asserts)
{
  VM vm;
  Size ps = vm_page_size();
  ck_assert_int_eq(vm_reserve(&vm, 4 * ps, ps), RES_OK);
#if CONFIG_ASSERT
  if (vm_commit(&vm, vm_limit(&vm), ps) == RES_OK)
    ck_abort_msg("commit outside the reservation succeeded");
#else
  raise(SIGABRT);
#endif
}
END_TEST

/* ---- The plinth: design.vm.plinth ---- */

START_TEST(clock_is_monotonic_microseconds)
{
  struct timespec pause = { 0, 20 * 1000 * 1000 };
  mps_clock_t a, b, c;
  ck_assert_uint_eq(mps_clocks_per_sec(), 1000000u);
  a = mps_clock();
  nanosleep(&pause, NULL);
  b = mps_clock();
  c = mps_clock();
  ck_assert_uint_ge(b - a, 19000u);     /* 20 ms slept */
  ck_assert_uint_lt(b - a, 5000000u);
  ck_assert_uint_ge(c, b);
}
END_TEST

static unsigned long control_of(const char *value)
{
  if (value == NULL)
    unsetenv("MPS_TELEMETRY_CONTROL");
  else
    setenv("MPS_TELEMETRY_CONTROL", value, 1);
  return mps_lib_telemetry_control();
}

START_TEST(telemetry_control)
{
  ck_assert_uint_eq(control_of(NULL), 0);
  ck_assert_uint_eq(control_of("6"), 6);
  ck_assert_uint_eq(control_of("0x41"), 0x41);
  ck_assert_uint_eq(control_of("arena pool"), 3);
  ck_assert_uint_eq(control_of("Trace,SEG|user"), 4 | 8 | 64);
  ck_assert_uint_eq(control_of("object ref"), 32 | 16);
  ck_assert_uint_eq(control_of("all"), ~0ul);
  ck_assert_uint_eq(control_of("nonsense"), 0);
  ck_assert_uint_eq(control_of(""), 0);
}
END_TEST

START_TEST(io_writes_the_named_file)
{
  char name[] = "/tmp/lagoon-io-XXXXXX";
  int fd = mkstemp(name);
  mps_io_t io;
  char buf[64] = { 0 };
  FILE *f;

  ck_assert_int_ge(fd, 0);
  close(fd);
  setenv("MPS_TELEMETRY_FILENAME", name, 1);
  ck_assert_int_eq(mps_io_create(&io), MPS_RES_OK);
  ck_assert_int_eq(mps_io_write(io, "hello, ", 7), MPS_RES_OK);
  ck_assert_int_eq(mps_io_write(io, "world", 5), MPS_RES_OK);
  ck_assert_int_eq(mps_io_flush(io), MPS_RES_OK);
  f = fopen(name, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 12);
  ck_assert_str_eq(buf, "hello, world");
  fclose(f);
  mps_io_destroy(io);
  unlink(name);

  setenv("MPS_TELEMETRY_FILENAME", "/nonexistent-dir/x/y.log", 1);
  io = (mps_io_t)0x1;
  ck_assert_int_eq(mps_io_create(&io), MPS_RES_IO);
  ck_assert_ptr_eq(io, (mps_io_t)0x1);
}
END_TEST

START_TEST(lib_functions)
{
  char a[16], b[16];
  ck_assert_ptr_eq(mps_lib_memset(a, 'x', sizeof a), a);
  ck_assert_ptr_eq(mps_lib_memcpy(b, a, sizeof a), b);
  ck_assert_int_eq(mps_lib_memcmp(a, b, sizeof a), 0);
  b[3] = 'y';
  ck_assert_int_lt(mps_lib_memcmp(a, b, sizeof a), 0);
  ck_assert_int_eq(mps_lib_get_EOF(), EOF);
  ck_assert_ptr_eq(mps_lib_get_stderr(), (mps_lib_FILE *)stderr);
  ck_assert_ptr_eq(mps_lib_get_stdout(), (mps_lib_FILE *)stdout);
  ck_assert_int_eq(mps_lib_fputc('.', mps_lib_get_stdout()), '.');
  ck_assert_int_ge(mps_lib_fputs("\n", mps_lib_get_stdout()), 0);
}
END_TEST

static void quiet_handler(const char *file, unsigned line, const char *condition)
{
  UNUSED(file);
  UNUSED(line);
  UNUSED(condition);
  _exit(33);
}

START_TEST(assert_handler_install_and_restore)
{
  mps_lib_assert_fail_t old = mps_lib_assert_fail_install(quiet_handler);
  ck_assert_ptr_eq((void *)mps_lib_assert_fail_install(NULL), (void *)quiet_handler);
  /* NULL put the default back, which aborts */
  ck_assert_ptr_eq((void *)mps_lib_assert_fail_install(old), (void *)old);
  mps_lib_assert_fail("file.c", 12, "condition");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("vm");
  TCase *tc = tcase_create("core");
  TCase *tp = tcase_create("plinth");
  SRunner *sr;
  int failed;

  tcase_add_test(tc, page_size_is_p2);
  tcase_add_test(tc, reserve_is_aligned_and_unmapped);
  tcase_add_test(tc, commit_write_decommit);
  tcase_add_test_raise_signal(tc, decommitted_memory_faults, SIGSEGV);
  tcase_add_test_raise_signal(tc, reserved_memory_faults, SIGSEGV);
  tcase_add_test(tc, huge_reserve_is_resource);
  tcase_add_test(tc, many_reservations);
  tcase_add_test(tc, test_hook_fails_once);
  tcase_add_test(tc, fail_after_env);
  tcase_add_test_raise_signal(tc, commit_outside_asserts, SIGABRT);
  suite_add_tcase(s, tc);
  tcase_add_test(tp, clock_is_monotonic_microseconds);
  tcase_add_test(tp, telemetry_control);
  tcase_add_test(tp, io_writes_the_named_file);
  tcase_add_test(tp, lib_functions);
  tcase_add_test_raise_signal(tp, assert_handler_install_and_restore, SIGABRT);
  suite_add_tcase(s, tp);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
