/* test/unit/pool_test.c -- the pool protocol: class tables, creation and
 * destruction through pool_create, segments, describe.
 * Design: manual/design/pool.rst */
#include "pool/pool.h"
#include "pool/mfs.h"
#include "pool/mvff.h"
#include "pool/mvt.h"
#include "pool/snc.h"
#include "mpsavm.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>

static mps_arena_t arena;

static void setup(void)
{
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  arena_enter(arena);
}

static void teardown(void)
{
  arena_leave(arena);
  mps_arena_destroy(arena);
}

START_TEST(classes_are_complete)
{
  const PoolClass *classes[] = {&pool_class_abstract, &mfs_class, &mvff_class,
                                &mvff_debug_class, &mvt_class, &snc_class};
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; ++i) {
    ck_assert(pool_class_check(classes[i]));
    ck_assert(pool_class_is_subclass(classes[i], &pool_class_abstract));
  }
  ck_assert(pool_class_is_subclass(&mvff_debug_class, &mvff_class));
  ck_assert(!pool_class_is_subclass(&mvff_class, &mvff_debug_class));
  ck_assert(!pool_class_is_subclass(&mfs_class, &mvff_class));
  ck_assert_ptr_eq(mps_class_mvff(), &mvff_class);
  ck_assert_ptr_eq(mps_class_mfs(), &mfs_class);
}
END_TEST

START_TEST(create_links_pool_and_segments)
{
  Pool *pool;
  Addr p;
  mps_arg_s args[2];
  args[0].key = MPS_KEY_MFS_UNIT_SIZE;
  args[0].val.size = 64;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &mfs_class, args), RES_OK);
  ck_assert(pool_check(pool));
  ck_assert(!ring_is_empty(arena_pool_ring(arena)));
  ck_assert(ring_is_empty(&pool->seg_ring));
  ck_assert_int_eq(pool_alloc(&p, pool, 64), RES_OK);
  ck_assert_uint_eq(ring_length(&pool->seg_ring), 1);
  ck_assert(pool_has_addr(pool, p));
  ck_assert(!pool_has_addr(pool, (Addr)&p));
  ck_assert_int_eq(pool_describe(pool, mps_lib_get_stdout(), 0), RES_OK);
  pool_free(pool, p, 64);
  pool_destroy(pool);
}
END_TEST

START_TEST(failed_create_leaks_nothing)
{
  Pool *pool = NULL;
  size_t committed = arena_committed(arena);
  mps_arg_s args[2];
  args[0].key = MPS_KEY_SPARE;
  args[0].val.d = 2.0;
  args[1].key = MPS_KEY_ARGS_END;
  for (int i = 0; i < 100; ++i)
    ck_assert_int_eq(pool_create(&pool, arena, &mvff_class, args), RES_PARAM);
  ck_assert_ptr_null(pool);
  ck_assert_uint_le(arena_committed(arena), committed + arena_grain_size(arena));
}
END_TEST

START_TEST(release_segs_from_land)
{
  Pool *pool;
  Addr a;
  mps_arg_s args[2];
  args[0].key = MPS_KEY_SPARE;
  args[0].val.d = 1.0;             /* keep everything: we release by hand */
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &mvff_class, args), RES_OK);
  ck_assert_int_eq(pool_alloc(&a, pool, 1 << 20), RES_OK);
  pool_free(pool, a, 1 << 20);
  {
    MVFF *mvff = mvff_of_pool(pool);
    Range all, old;
    Size total = mvff->total_size, released;
    ck_assert(land_find_largest(&all, &old, &mvff->free_land, 1 << 20, FIND_DELETE_NONE));
    ck_assert_uint_eq(land_size(&mvff->free_land), total);
    released = pool_release_segs(pool, &mvff->free_land, &all, 1);
    ck_assert_uint_gt(released, 0);
    ck_assert_uint_eq(land_size(&mvff->free_land), total - released);
    mvff->total_size -= released;
  }
  pool_destroy(pool);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/pool");
  TCase *tc = tcase_create("pool");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, classes_are_complete);
  tcase_add_test(tc, create_links_pool_and_segments);
  tcase_add_test(tc, failed_create_leaks_nothing);
  tcase_add_test(tc, release_segs_from_land);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
