/* test/unit/mvff_test.c -- MVFF internals: fit policy, placement
 * options, spare release, large blocks, the free land's invariants,
 * double free.  Design: manual/design/mvff.rst */
#include "pool/mvff.h"
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

static Pool *make(bool slot_high, bool first_fit, double spare)
{
  Pool *pool;
  mps_arg_s args[5];
  args[0].key = MPS_KEY_MVFF_SLOT_HIGH;
  args[0].val.b = slot_high;
  args[1].key = MPS_KEY_MVFF_FIRST_FIT;
  args[1].val.b = first_fit;
  args[2].key = MPS_KEY_SPARE;
  args[2].val.d = spare;
  args[3].key = MPS_KEY_ALIGN;
  args[3].val.align = 8;
  args[4].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &mvff_class, args), RES_OK);
  return pool;
}

START_TEST(first_fit_reuses_lowest_hole)
{
  Pool *pool = make(false, true, 0.75);
  Addr a, b, c, d, e;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&c, pool, 64), RES_OK);
  ck_assert_uint_eq(b, a + 64);            /* low end of the lowest range */
  ck_assert_uint_eq(c, b + 64);
  pool_free(pool, a, 64);
  pool_free(pool, c, 64);
  ck_assert_int_eq(pool_alloc(&d, pool, 32), RES_OK);
  ck_assert_uint_eq(d, a);                 /* the lowest hole that fits */
  ck_assert_int_eq(pool_alloc(&e, pool, 48), RES_OK);
  ck_assert_uint_eq(e, c);                 /* a's rest (32) is too small */
  ck_assert(land_verify(&mvff_of_pool(pool)->free_land));
  ck_assert(mvff_check(mvff_of_pool(pool)));
  pool_destroy(pool);
}
END_TEST

START_TEST(slot_high_allocates_downwards)
{
  Pool *pool = make(true, true, 0.75);
  Addr a, b;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  ck_assert_uint_eq(b + 64, a);
  pool_destroy(pool);
}
END_TEST

START_TEST(first_fit_false_takes_far_end)
{
  Pool *pool = make(false, false, 0.75);
  Addr a, b;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  ck_assert_uint_eq(b + 64, a);            /* high end of the lowest range */
  pool_destroy(pool);
}
END_TEST

START_TEST(spare_releases_segments)
{
  Pool *pool = make(false, true, 0.0);
  enum { N = 1000 };
  static Addr blocks[N];
  for (size_t i = 0; i < N; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 512), RES_OK);
  ck_assert_uint_ge(pool_total_size(pool), N * 512);
  for (size_t i = 0; i < N; ++i)
    pool_free(pool, blocks[i], 512);
  ck_assert_uint_eq(pool_total_size(pool), 0);
  ck_assert(ring_is_empty(&pool->seg_ring));
  pool_destroy(pool);
}
END_TEST

START_TEST(spare_keeps_fraction)
{
  Pool *pool = make(false, true, 0.5);
  enum { N = 2000 };
  static Addr blocks[N];
  for (size_t i = 0; i < N; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 1024), RES_OK);
  for (size_t i = 0; i < N; ++i)
    pool_free(pool, blocks[i], 1024);
  /* The whole pool is free, so at most the spare fraction remains once
   * a segment's worth of slack is allowed for. */
  ck_assert_uint_le(pool_free_size(pool), pool_total_size(pool));
  ck_assert_uint_lt(pool_total_size(pool), N * 1024 / 2 + 2 * 65536);
  pool_destroy(pool);
}
END_TEST

START_TEST(large_block_own_segment)
{
  Pool *pool = make(false, true, 0.75);
  Addr small, big;
  Seg *seg;
  ck_assert_int_eq(pool_alloc(&small, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&big, pool, 1 << 20), RES_OK);
  ck_assert(arena_seg_of_addr(&seg, arena, big));
  ck_assert_uint_ge(seg_size(seg), 1 << 20);
  ck_assert(!(seg_base(seg) <= small && small < seg_limit(seg)));
  pool_free(pool, big, 1 << 20);
  pool_free(pool, small, 64);
  pool_destroy(pool);
}
END_TEST

#ifndef CONFIG_VAR_RASH
START_TEST(double_free_asserts)
{
  Pool *pool = make(false, true, 0.75);
  Addr a, b;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  pool_free(pool, a, 64);
  pool_free(pool, a, 64);
}
END_TEST
#endif

START_TEST(buffer_fill_is_worst_fit)
{
  Pool *pool = make(false, true, 0.75);
  Addr a, base, limit;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool->klass->buffer_fill(&base, &limit, pool, NULL, 64), RES_OK);
  ck_assert_uint_ge(limit - base, mvff_of_pool(pool)->extend_by - 64);
  pool->klass->buffer_empty(pool, NULL, base, limit);
  pool_free(pool, a, 64);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  pool_destroy(pool);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/mvff");
  TCase *tc = tcase_create("mvff");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, first_fit_reuses_lowest_hole);
  tcase_add_test(tc, slot_high_allocates_downwards);
  tcase_add_test(tc, first_fit_false_takes_far_end);
  tcase_add_test(tc, spare_releases_segments);
  tcase_add_test(tc, spare_keeps_fraction);
  tcase_add_test(tc, large_block_own_segment);
  tcase_add_test(tc, buffer_fill_is_worst_fit);
#ifndef CONFIG_VAR_RASH
  tcase_add_test_raise_signal(tc, double_free_asserts, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
