/* test/iface/arena_test.c -- the arena interface as a client sees it:
 * creation with keyword and variable arguments, bad arguments, the
 * properties, client arenas, introspection, misuse.
 * Design: manual/design/arena.rst; the MPS manual, topic/arena.rst */
#include "mps.h"
#include "mpsavm.h"
#include "mpsacl.h"
#include "mpscmfs.h"
#include "mpscmvff.h"

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((size_t)1 << 20)

/* Misuse is caught by assertions, which abort in every variety but rash;
 * rash checks nothing, so there the test only stands in for the abort. */
#ifdef CONFIG_VAR_RASH
#define MISUSE(stmt) ((void)sizeof(stmt, 0), raise(SIGABRT))
#else
#define MISUSE(stmt) stmt
#endif

static mps_arena_t vm_arena(void)
{
  mps_arena_t arena;
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none),
                   MPS_RES_OK);
  return arena;
}

START_TEST(vm_defaults)
{
  mps_arena_t arena = vm_arena();
  ck_assert_uint_ge(mps_arena_reserved(arena), 256 * MiB);
  ck_assert_uint_gt(mps_arena_committed(arena), 0);
  ck_assert_uint_lt(mps_arena_committed(arena), mps_arena_reserved(arena));
  ck_assert_uint_eq(mps_arena_spare_committed(arena), 0);
  ck_assert_uint_eq(mps_arena_commit_limit(arena), SIZE_MAX);
  ck_assert(mps_arena_spare(arena) == 0.75);
  ck_assert(mps_arena_pause_time(arena) == 0.1);
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(vm_keys)
{
  mps_arena_t arena;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 32 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_GRAIN_SIZE, 65536);
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 100 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.5);
    MPS_ARGS_ADD(args, MPS_KEY_PAUSE_TIME, 0.25);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_ZONED, 0);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_uint_ge(mps_arena_reserved(arena), 32 * MiB);
  ck_assert_uint_eq(mps_arena_commit_limit(arena), 100 * MiB);
  ck_assert(mps_arena_spare(arena) == 0.5);
  ck_assert(mps_arena_pause_time(arena) == 0.25);
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(small_grain_rounds_up)
{
  mps_arena_t arena;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_GRAIN_SIZE, 16);   /* below the page size */
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 1);          /* below the minimum */
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_uint_ge(mps_arena_reserved(arena), 64 * 4096);
  mps_arena_destroy(arena);
}
END_TEST

/* Expect MPS_RES_PARAM from the VM class with one argument.  (The
 * field is named because a key passed through a macro argument is
 * expanded before MPS_ARGS_ADD could paste _FIELD to it.) */
#define EXPECT_PARAM_VM(key, field, value) do { \
    mps_arena_t arena_ = (mps_arena_t)0x1234; \
    mps_res_t res_; \
    MPS_ARGS_BEGIN(args_) { \
      MPS_ARGS_ADD_FIELD(args_, key, field, value); \
      res_ = mps_arena_create_k(&arena_, mps_arena_class_vm(), args_); \
    } MPS_ARGS_END(args_); \
    ck_assert_int_eq(res_, MPS_RES_PARAM); \
    ck_assert_ptr_eq(arena_, (mps_arena_t)0x1234); \
  } while (0)

START_TEST(bad_values)
{
  EXPECT_PARAM_VM(MPS_KEY_SPARE, d, 1.5);
  EXPECT_PARAM_VM(MPS_KEY_SPARE, d, -0.1);
  EXPECT_PARAM_VM(MPS_KEY_SPARE, d, NAN);
  EXPECT_PARAM_VM(MPS_KEY_ARENA_GRAIN_SIZE, size, 3000);
  EXPECT_PARAM_VM(MPS_KEY_ARENA_GRAIN_SIZE, size, 0);
  EXPECT_PARAM_VM(MPS_KEY_PAUSE_TIME, d, -1.0);
  EXPECT_PARAM_VM(MPS_KEY_ARENA_EXTENDED, fun, (mps_fun_t)NULL);   /* no function */
  EXPECT_PARAM_VM(MPS_KEY_MFS_UNIT_SIZE, size, 64);        /* another function's key */
  EXPECT_PARAM_VM(MPS_KEY_ARENA_CL_BASE, addr, (mps_addr_t)0x10000);  /* the CL class's */
}
END_TEST

START_TEST(bad_lists)
{
  mps_arena_t arena = (mps_arena_t)0x1234;
  mps_arg_s dup[3];
  dup[0].key = MPS_KEY_ARENA_SIZE;
  dup[0].val.size = 32 * MiB;
  dup[1].key = MPS_KEY_ARENA_SIZE;
  dup[1].val.size = 64 * MiB;
  dup[2].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), dup), MPS_RES_PARAM);
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_arena_create_k(&arena, NULL, mps_args_none), MPS_RES_PARAM);
  ck_assert_int_eq(mps_arena_create_k(NULL, mps_arena_class_vm(), mps_args_none),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_arena_create(&arena, NULL, (size_t)MiB), MPS_RES_PARAM);
  ck_assert_ptr_eq(arena, (mps_arena_t)0x1234);
}
END_TEST

START_TEST(tiny_commit_limit)
{
  mps_arena_t arena;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 1);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_COMMIT_LIMIT);
}
END_TEST

START_TEST(huge_arena_size)
{
  mps_arena_t arena;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)1 << 62);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  /* the manual: no address space for the arena is MPS_RES_RESOURCE */
  ck_assert_int_eq(res, MPS_RES_RESOURCE);
}
END_TEST

START_TEST(varargs_create)
{
  mps_arena_t arena;
  char *block = aligned_alloc(4096, 4 * MiB);
  ck_assert_int_eq(mps_arena_create(&arena, mps_arena_class_vm(), (size_t)(16 * MiB)),
                   MPS_RES_OK);
  ck_assert_uint_ge(mps_arena_reserved(arena), 16 * MiB);
  ck_assert_uint_lt(mps_arena_reserved(arena), 256 * MiB);
  mps_arena_destroy(arena);
  ck_assert_int_eq(mps_arena_create(&arena, mps_arena_class_cl(), (size_t)(4 * MiB),
                                    (mps_addr_t)block), MPS_RES_OK);
  ck_assert(mps_arena_has_addr(arena, block + 2 * MiB));
  ck_assert_uint_le(mps_arena_reserved(arena), 4 * MiB);
  mps_arena_destroy(arena);
  free(block);
}
END_TEST

START_TEST(client_arena)
{
  size_t size = 4 * MiB;
  char *block = aligned_alloc(4096, size), *more = aligned_alloc(4096, size);
  mps_arena_t arena;
  mps_res_t res;
  int local;

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, block);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, size);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_GRAIN_SIZE, 4096);
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 3 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_PAUSE_TIME, 0.5);
    res = mps_arena_create_k(&arena, mps_arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_uint_eq(mps_arena_reserved(arena), size);
  ck_assert_uint_eq(mps_arena_commit_limit(arena), 3 * MiB);
  ck_assert(mps_arena_pause_time(arena) == 0.5);
  ck_assert_uint_eq(mps_arena_spare_committed(arena), 0);
  ck_assert(mps_arena_has_addr(arena, block));
  ck_assert(mps_arena_has_addr(arena, block + size - 1));
  ck_assert(!mps_arena_has_addr(arena, block + size));
  ck_assert(!mps_arena_has_addr(arena, &local));
  /* spare settings are kept but client arenas hold no spare memory */
  mps_arena_spare_set(arena, 0.3);
  ck_assert(mps_arena_spare(arena) == 0.3);
  /* extension */
  ck_assert_int_eq(mps_arena_extend(arena, more, size), MPS_RES_OK);
  ck_assert_uint_eq(mps_arena_reserved(arena), 2 * size);
  ck_assert(mps_arena_has_addr(arena, more + 100));
  ck_assert_int_eq(mps_arena_extend(arena, more + 4096, 4096), MPS_RES_PARAM);
  /* growth settings belong to VM arenas */
  ck_assert_int_eq(mps_arena_vm_growth(arena, 8 * MiB, 0), MPS_RES_PARAM);
  mps_arena_destroy(arena);
  free(block);
  free(more);
}
END_TEST

START_TEST(client_arena_bad)
{
  static char small[1024];
  char *block = aligned_alloc(4096, MiB);
  mps_arena_t arena = (mps_arena_t)0x1234;
  mps_res_t res;

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, MiB);      /* no base */
    res = mps_arena_create_k(&arena, mps_arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, block);   /* no size */
    res = mps_arena_create_k(&arena, mps_arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, small);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, sizeof small);
    res = mps_arena_create_k(&arena, mps_arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_MEMORY);              /* the manual: too small */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, block);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, MiB);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_GRAIN_SIZE, 5000);
    res = mps_arena_create_k(&arena, mps_arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  ck_assert_ptr_eq(arena, (mps_arena_t)0x1234);
  free(block);
}
END_TEST

START_TEST(vm_extend_unimplemented)
{
  mps_arena_t arena = vm_arena();
  static char block[1 << 16];
  ck_assert_int_eq(mps_arena_extend(arena, block, sizeof block), MPS_RES_UNIMPL);
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(commit_limit_set)
{
  mps_arena_t arena = vm_arena();
  size_t committed = mps_arena_committed(arena);
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, committed / 2), MPS_RES_FAIL);
  ck_assert_uint_eq(mps_arena_commit_limit(arena), SIZE_MAX);
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, committed), MPS_RES_OK);
  ck_assert_uint_eq(mps_arena_commit_limit(arena), committed);
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, SIZE_MAX), MPS_RES_OK);
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(spare_settings)
{
  mps_arena_t arena = vm_arena();
  size_t committed;
  mps_arena_spare_set(arena, 0.0);
  ck_assert(mps_arena_spare(arena) == 0.0);
  mps_arena_spare_set(arena, 1.0);
  ck_assert(mps_arena_spare(arena) == 1.0);
  /* deprecated byte-valued forms */
  committed = mps_arena_committed(arena);
  ck_assert_uint_eq(mps_arena_spare_commit_limit(arena), committed);
  mps_arena_spare_commit_limit_set(arena, committed / 4);
  ck_assert(fabs(mps_arena_spare(arena) - 0.25) < 0.01);
  mps_arena_spare_commit_limit_set(arena, committed * 2);
  ck_assert(mps_arena_spare(arena) == 1.0);
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(pause_time_settings)
{
  mps_arena_t arena = vm_arena();
  mps_arena_pause_time_set(arena, 0.0);
  ck_assert(mps_arena_pause_time(arena) == 0.0);
  mps_arena_pause_time_set(arena, INFINITY);
  ck_assert(isinf(mps_arena_pause_time(arena)));
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(vm_growth)
{
  mps_arena_t arena = vm_arena();
  ck_assert_int_eq(mps_arena_vm_growth(arena, MiB, 2 * MiB), MPS_RES_PARAM);
  ck_assert_int_eq(mps_arena_vm_growth(arena, 64 * MiB, 16 * MiB), MPS_RES_OK);
  ck_assert_int_eq(mps_arena_vm_growth(arena, 0, 0), MPS_RES_OK);
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(addr_pool_and_growth)
{
  mps_arena_t arena;
  mps_pool_t pool, found;
  mps_res_t res;
  mps_addr_t p[64];
  int local;
  size_t reserved;

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, MiB);   /* small: must not cap the heap */
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  reserved = mps_arena_reserved(arena);
  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none),
                   MPS_RES_OK);
  for (int i = 0; i < 64; ++i) {
    ck_assert_int_eq(mps_alloc(&p[i], pool, 256 * 1024), MPS_RES_OK);
    memset(p[i], i, 256 * 1024);
    ck_assert(mps_arena_has_addr(arena, p[i]));
    found = NULL;
    ck_assert(mps_addr_pool(&found, arena, p[i]));
    ck_assert_ptr_eq(found, pool);
  }
  ck_assert_uint_gt(mps_arena_reserved(arena), reserved);
  ck_assert_uint_ge(mps_arena_committed(arena), 64 * 256 * 1024);
  found = (mps_pool_t)0x99;
  ck_assert(!mps_addr_pool(&found, arena, &local));
  ck_assert(!mps_addr_pool(&found, arena, arena));    /* control memory: no pool */
  ck_assert_ptr_eq(found, (mps_pool_t)0x99);
  for (int i = 0; i < 64; ++i)
    mps_free(pool, p[i], 256 * 1024);
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);
}
END_TEST

START_TEST(destroy_with_pool_alive)
{
  mps_arena_t arena = vm_arena();
  mps_pool_t pool;
  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none),
                   MPS_RES_OK);
  MISUSE(mps_arena_destroy(arena));    /* asserts: pools must go first */
}
END_TEST

START_TEST(spare_out_of_range)
{
  mps_arena_t arena = vm_arena();
  MISUSE(mps_arena_spare_set(arena, 1.5));
}
END_TEST

START_TEST(pause_time_negative)
{
  mps_arena_t arena = vm_arena();
  MISUSE(mps_arena_pause_time_set(arena, -1.0));
}
END_TEST

START_TEST(two_arenas)
{
  mps_arena_t a = vm_arena(), b = vm_arena();
  mps_pool_t pool;
  mps_addr_t p;
  ck_assert_int_eq(mps_pool_create_k(&pool, b, mps_class_mvff(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&p, pool, 64), MPS_RES_OK);
  ck_assert(mps_arena_has_addr(b, p));
  ck_assert(!mps_arena_has_addr(a, p));
  mps_free(pool, p, 64);
  mps_pool_destroy(pool);
  mps_arena_destroy(a);
  mps_arena_destroy(b);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("iface-arena");
  TCase *tc = tcase_create("core");
  TCase *tm = tcase_create("misuse");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, vm_defaults);
  tcase_add_test(tc, vm_keys);
  tcase_add_test(tc, small_grain_rounds_up);
  tcase_add_test(tc, bad_values);
  tcase_add_test(tc, bad_lists);
  tcase_add_test(tc, tiny_commit_limit);
  tcase_add_test(tc, huge_arena_size);
  tcase_add_test(tc, varargs_create);
  tcase_add_test(tc, client_arena);
  tcase_add_test(tc, client_arena_bad);
  tcase_add_test(tc, vm_extend_unimplemented);
  tcase_add_test(tc, commit_limit_set);
  tcase_add_test(tc, spare_settings);
  tcase_add_test(tc, pause_time_settings);
  tcase_add_test(tc, vm_growth);
  tcase_add_test(tc, addr_pool_and_growth);
  tcase_add_test(tc, two_arenas);
  suite_add_tcase(s, tc);
  tcase_add_test_raise_signal(tm, destroy_with_pool_alive, SIGABRT);
  tcase_add_test_raise_signal(tm, spare_out_of_range, SIGABRT);
  tcase_add_test_raise_signal(tm, pause_time_negative, SIGABRT);
  suite_add_tcase(s, tm);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
