/* test/iface/debug_test.c -- the debugging pool class (MVFF debug):
 * fenceposts, free-space splatting, double and bogus frees.  Detections
 * are assertion failures (SIGABRT) in every variety, because the client
 * asked for the checks.  Design: manual/design/pool.rst (debug) */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"
#include "fixture.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static mps_arena_t arena;
static mps_pool_t pool;
static mps_pool_debug_option_s options = {"FENCEPOST", 9, "freefree", 8};

static void setup(void)
{
  mps_res_t res;
  arena = fixture_vm_arena((size_t)16 << 20);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_POOL_DEBUG_OPTIONS, &options);
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, (size_t)8);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff_debug(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
}

static void teardown(void)
{
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);
}

START_TEST(clean_use_passes_checks)
{
  mps_addr_t blocks[200];
  for (size_t i = 0; i < 200; ++i) {
    size_t size = 8 * (1 + i % 30);
    ck_assert_int_eq(mps_alloc(&blocks[i], pool, size), MPS_RES_OK);
    memset(blocks[i], 0x5A, size);
  }
  mps_pool_check_fenceposts(pool);
  for (size_t i = 0; i < 200; i += 2)
    mps_free(pool, blocks[i], 8 * (1 + i % 30));
  mps_pool_check_free_space(pool);
  mps_pool_check_fenceposts(pool);
  for (size_t i = 0; i < 200; i += 2)
    ck_assert_int_eq(mps_alloc(&blocks[i], pool, 8 * (1 + i % 30)), MPS_RES_OK);
  for (size_t i = 0; i < 200; ++i)
    mps_free(pool, blocks[i], 8 * (1 + i % 30));
  mps_pool_check_free_space(pool);
}
END_TEST

START_TEST(default_options)
{
  mps_pool_t p2;
  mps_addr_t a;
  ck_assert_int_eq(mps_pool_create_k(&p2, arena, mps_class_mvff_debug(), mps_args_none),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&a, p2, 24), MPS_RES_OK);
  mps_pool_check_fenceposts(p2);
  mps_free(p2, a, 24);
  mps_pool_destroy(p2);
}
END_TEST

START_TEST(bad_options_refused)
{
  mps_pool_t p2;
  mps_res_t res;
  mps_pool_debug_option_s bad = {NULL, 4, NULL, 0};
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_POOL_DEBUG_OPTIONS, &bad);
    res = mps_pool_create_k(&p2, arena, mps_class_mvff_debug(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  /* and the plain class does not take the key */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_POOL_DEBUG_OPTIONS, &options);
    res = mps_pool_create_k(&p2, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
}
END_TEST

START_TEST(checks_are_noops_on_plain_pools)
{
  mps_pool_t p2;
  mps_addr_t a;
  ck_assert_int_eq(mps_pool_create_k(&p2, arena, mps_class_mvff(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&a, p2, 32), MPS_RES_OK);
  memset(a, 0, 48);     /* overrun: nobody is watching */
  mps_pool_check_fenceposts(p2);
  mps_pool_check_free_space(p2);
  mps_pool_destroy(p2);
}
END_TEST

START_TEST(overrun_detected_by_check)
{
  mps_addr_t a;
  ck_assert_int_eq(mps_alloc(&a, pool, 32), MPS_RES_OK);
  ((char *)a)[32] = 'X';               /* one past the end */
  mps_pool_check_fenceposts(pool);
}
END_TEST

START_TEST(underrun_detected_by_free)
{
  mps_addr_t a;
  ck_assert_int_eq(mps_alloc(&a, pool, 32), MPS_RES_OK);
  ((char *)a)[-1] = 'X';
  mps_free(pool, a, 32);
}
END_TEST

START_TEST(double_free_detected)
{
  mps_addr_t a, b;
  ck_assert_int_eq(mps_alloc(&a, pool, 32), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&b, pool, 32), MPS_RES_OK);
  mps_free(pool, a, 32);
  mps_free(pool, a, 32);
}
END_TEST

START_TEST(bogus_free_detected)
{
  mps_addr_t a;
  ck_assert_int_eq(mps_alloc(&a, pool, 64), MPS_RES_OK);
  mps_free(pool, (char *)a + 16, 32);  /* inside a block, not a block */
}
END_TEST

START_TEST(write_after_free_detected_by_check)
{
  mps_addr_t a, b;
  ck_assert_int_eq(mps_alloc(&a, pool, 64), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&b, pool, 64), MPS_RES_OK);
  mps_free(pool, a, 64);
  ((char *)a)[8] = 'X';
  mps_pool_check_free_space(pool);
}
END_TEST

START_TEST(write_after_free_detected_on_reuse)
{
  mps_addr_t a, b, c;
  ck_assert_int_eq(mps_alloc(&a, pool, 64), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&b, pool, 64), MPS_RES_OK);
  mps_free(pool, a, 64);
  ((char *)a)[8] = 'X';
  ck_assert_int_eq(mps_alloc(&c, pool, 64), MPS_RES_OK);   /* first fit: a again */
}
END_TEST

int main(void)
{
  Suite *s = suite_create("iface/debug");
  TCase *tc = tcase_create("debug");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, clean_use_passes_checks);
  tcase_add_test(tc, default_options);
  tcase_add_test(tc, bad_options_refused);
  tcase_add_test(tc, checks_are_noops_on_plain_pools);
  tcase_add_test_raise_signal(tc, overrun_detected_by_check, SIGABRT);
  tcase_add_test_raise_signal(tc, underrun_detected_by_free, SIGABRT);
  tcase_add_test_raise_signal(tc, double_free_detected, SIGABRT);
  tcase_add_test_raise_signal(tc, bogus_free_detected, SIGABRT);
  tcase_add_test_raise_signal(tc, write_after_free_detected_by_check, SIGABRT);
  tcase_add_test_raise_signal(tc, write_after_free_detected_on_reuse, SIGABRT);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
