/* test/unit/mvt_test.c -- MVT internals: buffer fills of fill_size,
 * large blocks in their own segment, first fit over the fragmentation
 * limit, the reserve (and none at depth 0), frames that free nothing.
 * Design: manual/design/mvt.rst */
#include "pool/mvt.h"
#include "pool/buffer.h"
#include "mpsavm.h"

#include <check.h>
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

static Pool *make(double frag, Count depth)
{
  Pool *pool;
  mps_arg_s args[4];
  args[0].key = MPS_KEY_MAX_SIZE;
  args[0].val.size = 1024;
  args[1].key = MPS_KEY_MVT_FRAG_LIMIT;
  args[1].val.d = frag;
  args[2].key = MPS_KEY_MVT_RESERVE_DEPTH;
  args[2].val.count = depth;
  args[3].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &mvt_class, args), RES_OK);
  ck_assert(mvt_check((MVT *)pool));
  return pool;
}

START_TEST(fills_are_fill_size)
{
  Pool *pool = make(0.3, 1024);
  Addr base, limit;
  ck_assert_int_eq(pool->klass->buffer_fill(&base, &limit, pool, NULL, 64), RES_OK);
  ck_assert_uint_eq(limit - base, 1024);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool) - 1024);
  pool->klass->buffer_empty(pool, NULL, base, limit);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  pool_destroy(pool);
}
END_TEST

START_TEST(large_gets_own_segment_and_returns_it)
{
  Pool *pool = make(0.3, 1);
  Addr base, limit;
  Size before;
  ck_assert_int_eq(pool->klass->buffer_fill(&base, &limit, pool, NULL, 64), RES_OK);
  before = pool_total_size(pool);
  {
    Addr b2, l2;
    ck_assert_int_eq(pool->klass->buffer_fill(&b2, &l2, pool, NULL, 100000), RES_OK);
    ck_assert_uint_ge(l2 - b2, 100000);
    ck_assert_uint_ge(pool_total_size(pool), before + 100000);
    pool_free(pool, b2, l2 - b2);
    /* reserve of one mean-sized block: the whole segment goes back */
    ck_assert_uint_eq(pool_total_size(pool), before);
  }
  pool->klass->buffer_empty(pool, NULL, base, limit);
  pool_destroy(pool);
}
END_TEST

START_TEST(first_fit_over_frag_limit)
{
  /* The smallest limit the manual allows is just above 0.0. */
  Pool *pool = make(0.01, 100000);
  Addr b1, l1, b2, l2, b3, l3;
  ck_assert_int_eq(pool->klass->buffer_fill(&b1, &l1, pool, NULL, 64), RES_OK);
  ck_assert_int_eq(pool->klass->buffer_fill(&b2, &l2, pool, NULL, 64), RES_OK);
  /* Free a small hole at the bottom of the first region: with free
   * space far over the limit it is reused first. */
  pool_free(pool, b1, 128);
  ck_assert_int_eq(pool->klass->buffer_fill(&b3, &l3, pool, NULL, 64), RES_OK);
  ck_assert_uint_eq(b3, b1);
  ck_assert_uint_eq(l3 - b3, 128);
  pool_free(pool, b1 + 128, l1 - b1 - 128);
  pool_free(pool, b2, l2 - b2);
  pool_free(pool, b3, l3 - b3);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  pool_destroy(pool);
}
END_TEST

START_TEST(zero_reserve_depth_keeps_nothing)
{
  Pool *pool = make(0.3, 0);
  Addr b1, l1, b2, l2;
  ck_assert_uint_eq(((MVT *)pool)->reserve, 0);
  ck_assert_int_eq(pool->klass->buffer_fill(&b1, &l1, pool, NULL, 64), RES_OK);
  ck_assert_int_eq(pool->klass->buffer_fill(&b2, &l2, pool, NULL, 100000), RES_OK);
  ck_assert_uint_gt(pool_total_size(pool), 100000);
  /* A large block's own segment goes back as soon as it is free... */
  pool_free(pool, b2, l2 - b2);
  ck_assert_uint_lt(pool_total_size(pool), 100000);
  ck_assert_uint_gt(pool_total_size(pool), 0);
  /* ...and once everything is free, so does the rest. */
  pool->klass->buffer_empty(pool, NULL, b1, l1);
  ck_assert_uint_eq(pool_total_size(pool), 0);
  ck_assert_uint_eq(pool_free_size(pool), 0);
  ck_assert(mvt_check((MVT *)pool));
  pool_destroy(pool);
}
END_TEST

START_TEST(frames_free_nothing)
{
  Pool *pool = make(0.3, 1024);
  Buffer *buf;
  Frame *f0, *f1;
  Addr p, q;
  Size free;
  ck_assert_int_eq(buffer_create(&buf, pool, mps_args_none), RES_OK);
  /* A push before any allocation still gives a token. */
  ck_assert_int_eq(buffer_frame_push(&f0, buf), RES_OK);
  ck_assert_ptr_nonnull(f0);
  ck_assert_int_eq(buffer_fill(&p, buf, 64), RES_OK);
  buf->ap.init = buf->ap.alloc;            /* commit */
  ck_assert_int_eq(buffer_frame_push(&f1, buf), RES_OK);
  ck_assert_ptr_nonnull(f1);                /* an opaque token */
  ck_assert_int_eq(buffer_fill(&q, buf, 64), RES_OK);
  buf->ap.init = buf->ap.alloc;
  free = pool_free_size(pool);
  ck_assert_int_eq(buffer_frame_pop(buf, f1), RES_OK);
  ck_assert_int_eq(buffer_frame_pop(buf, f0), RES_OK);
  /* Nothing was freed and allocation carries on past both blocks. */
  ck_assert_uint_eq(pool_free_size(pool), free);
  ck_assert_uint_eq(buffer_init_addr(buf), q + 64);
  ck_assert(buffer_check(buf));
  buffer_destroy(buf);
  pool_free(pool, p, 64);
  pool_free(pool, q, 64);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  pool_destroy(pool);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/mvt");
  TCase *tc = tcase_create("mvt");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, fills_are_fill_size);
  tcase_add_test(tc, large_gets_own_segment_and_returns_it);
  tcase_add_test(tc, first_fit_over_frag_limit);
  tcase_add_test(tc, zero_reserve_depth_keeps_nothing);
  tcase_add_test(tc, frames_free_nothing);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
