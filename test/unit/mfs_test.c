/* test/unit/mfs_test.c -- MFS internals: unit rounding, lazy carving of
 * segments, LIFO reuse, the node callbacks, sizes.
 * Design: manual/design/mfs.rst */
#include "pool/mfs.h"
#include "mpsavm.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>

static mps_arena_t arena;
static Pool *pool;

static void make(size_t unit, size_t extend_by)
{
  mps_arg_s args[3];
  args[0].key = MPS_KEY_MFS_UNIT_SIZE;
  args[0].val.size = unit;
  args[1].key = MPS_KEY_EXTEND_BY;
  args[1].val.size = extend_by;
  args[2].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &mfs_class, args), RES_OK);
}

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

START_TEST(unit_rounded_to_alignment)
{
  make(20, 4096);
  ck_assert_uint_eq(mfs_unit_size(mfs_of_pool(pool)), 32);
  ck_assert(mfs_check(mfs_of_pool(pool)));
  pool_destroy(pool);
}
END_TEST

START_TEST(carves_lazily_and_reuses_lifo)
{
  MFS *mfs;
  Addr a, b, c, d;
  make(32, 65536);
  mfs = mfs_of_pool(pool);
  ck_assert_uint_eq(pool_total_size(pool), 0);
  ck_assert_int_eq(pool_alloc(&a, pool, 32), RES_OK);
  ck_assert_uint_eq(pool_total_size(pool), mfs->extend_by);
  ck_assert_int_eq(pool_alloc(&b, pool, 32), RES_OK);
  ck_assert_uint_eq(b, a + 32);            /* carved in order */
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool) - 64);
  pool_free(pool, a, 32);
  pool_free(pool, b, 32);
  ck_assert_int_eq(pool_alloc(&c, pool, 32), RES_OK);
  ck_assert_int_eq(pool_alloc(&d, pool, 32), RES_OK);
  ck_assert_uint_eq(c, b);                 /* last freed, first reused */
  ck_assert_uint_eq(d, a);
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_PARAM);
  pool_free(pool, c, 32);
  pool_free(pool, d, 32);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  pool_destroy(pool);
}
END_TEST

START_TEST(many_segments)
{
  enum { N = 20000 };
  static Addr units[N];
  make(48, 4096);
  for (size_t i = 0; i < N; ++i) {
    ck_assert_int_eq(pool_alloc(&units[i], pool, 48), RES_OK);
    *(size_t *)units[i] = i;
  }
  ck_assert_uint_ge(ring_length(&pool->seg_ring), N * 48 / 4096);
  for (size_t i = 0; i < N; ++i)
    ck_assert_uint_eq(*(size_t *)units[i], i);
  for (size_t i = 0; i < N; ++i)
    pool_free(pool, units[i], 48);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  pool_destroy(pool);
}
END_TEST

START_TEST(node_callbacks)
{
  void *n1, *n2;
  make(CBS_NODE_SIZE, 4096);
  ck_assert_int_eq(mfs_node_alloc(&n1, pool), RES_OK);
  ck_assert_int_eq(mfs_node_alloc(&n2, pool), RES_OK);
  ck_assert_ptr_ne(n1, n2);
  mfs_node_free(n1, pool);
  mfs_node_free(n2, pool);
  ck_assert_uint_eq(mfs_of_pool(pool)->live, 0);
  pool_destroy(pool);
}
END_TEST

START_TEST(commit_limit)
{
  Addr p;
  Res res;
  make(1024, 65536);
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, arena_committed(arena)), MPS_RES_OK);
  res = pool_alloc(&p, pool, 1024);
  ck_assert_int_eq(res, RES_COMMIT_LIMIT);
  ck_assert_uint_eq(pool_total_size(pool), 0);
  pool_destroy(pool);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/mfs");
  TCase *tc = tcase_create("mfs");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, unit_rounded_to_alignment);
  tcase_add_test(tc, carves_lazily_and_reuses_lifo);
  tcase_add_test(tc, many_segments);
  tcase_add_test(tc, node_callbacks);
  tcase_add_test(tc, commit_limit);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
