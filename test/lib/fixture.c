/* test/lib/fixture.c -- see fixture.h. */
#include "fixture.h"

#include "mpsavm.h"
#include "mpscmvff.h"

#include <check.h>
#include <stdlib.h>

mps_arena_t fixture_vm_arena(size_t size)
{
  mps_arena_t arena = NULL;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, size);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return arena;
}

mps_pool_t fixture_mvff(mps_arena_t arena, size_t align)
{
  mps_pool_t pool = NULL;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, align);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return pool;
}

TCase *fixture_tcase(Suite *s, const char *name, SFun setup, SFun teardown,
                     double timeout)
{
  TCase *tc = tcase_create(name);
  if (setup != NULL)
    tcase_add_checked_fixture(tc, setup, teardown);
  if (timeout > 0)
    tcase_set_timeout(tc, timeout);
  suite_add_tcase(s, tc);
  return tc;
}

int fixture_run_suite(Suite *s)
{
  SRunner *sr = srunner_create(s);
  int failed;
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
