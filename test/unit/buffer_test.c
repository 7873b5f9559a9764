/* test/unit/buffer_test.c -- buffers: the trap, flips and trips, fill
 * after a trap, invariants, destroy of a reserved block.
 * Design: manual/design/buffer.rst */
#include "pool/buffer.h"
#include "pool/mvff.h"
#include "mpsavm.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>

static mps_arena_t arena;
static Pool *pool;
static Buffer *buf;

static void setup(void)
{
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  arena_enter(arena);
  ck_assert_int_eq(pool_create(&pool, arena, &mvff_class, mps_args_none), RES_OK);
  ck_assert_int_eq(buffer_create(&buf, pool, mps_args_none), RES_OK);
  arena_leave(arena);
}

static void teardown(void)
{
  arena_enter(arena);
  buffer_destroy(buf);
  pool_destroy(pool);
  arena_leave(arena);
  mps_arena_destroy(arena);
}

START_TEST(reset_buffer_goes_to_fill)
{
  mps_ap_t ap = buffer_ap(buf);
  mps_addr_t p;
  ck_assert(buffer_is_reset(buf));
  ck_assert_ptr_null(ap->limit);
  ck_assert_int_eq(mps_reserve(&p, ap, 32), MPS_RES_OK);
  ck_assert(!buffer_is_reset(buf));
  ck_assert_uint_eq(buf->fill_count, 1);
  ck_assert(mps_commit(ap, p, 32));
  ck_assert(buffer_check(buf));
  ck_assert_uint_eq(buf->base, (Addr)p);
}
END_TEST

START_TEST(flip_fails_commit_once)
{
  mps_ap_t ap = buffer_ap(buf);
  mps_addr_t p;
  ck_assert_int_eq(mps_reserve(&p, ap, 32), MPS_RES_OK);
  arena_enter(arena);
  buffer_flip(buf);              /* as the collector would, mid-protocol */
  ck_assert(buffer_check(buf));
  arena_leave(arena);
  ck_assert_ptr_null(ap->limit);
  ck_assert(!mps_commit(ap, p, 32));
  ck_assert(!buffer_is_trapped(buf));
  /* The retry succeeds. */
  ck_assert_int_eq(mps_reserve(&p, ap, 32), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 32));
}
END_TEST

START_TEST(flip_between_commit_and_reserve_is_harmless)
{
  mps_ap_t ap = buffer_ap(buf);
  mps_addr_t p, q;
  ck_assert_int_eq(mps_reserve(&p, ap, 32), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 32));
  arena_enter(arena);
  buffer_flip(buf);
  arena_leave(arena);
  /* The reserve takes the slow path but stays in the region. */
  ck_assert_int_eq(mps_reserve(&q, ap, 32), MPS_RES_OK);
  ck_assert_ptr_eq(q, (char *)p + 32);
  ck_assert_uint_eq(buf->fill_count, 1);
  ck_assert(mps_commit(ap, q, 32));
}
END_TEST

START_TEST(trap_without_flip_commits)
{
  mps_ap_t ap = buffer_ap(buf);
  mps_addr_t p;
  ck_assert_int_eq(mps_reserve(&p, ap, 32), MPS_RES_OK);
  arena_enter(arena);
  buffer_trap(buf);
  arena_leave(arena);
  ck_assert(mps_commit(ap, p, 32));
  ck_assert_ptr_eq(ap->limit, (void *)buf->limit);
}
END_TEST

START_TEST(destroy_discards_reserved_block)
{
  mps_ap_t ap = buffer_ap(buf);
  mps_addr_t p;
  Buffer *b2;
  arena_enter(arena);
  ck_assert_int_eq(buffer_create(&b2, pool, mps_args_none), RES_OK);
  arena_leave(arena);
  ap = buffer_ap(b2);
  ck_assert_int_eq(mps_reserve(&p, ap, 64), MPS_RES_OK);
  arena_enter(arena);
  buffer_destroy(b2);           /* reserved, never committed */
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  arena_leave(arena);
}
END_TEST

START_TEST(fill_beyond_region_refills)
{
  mps_ap_t ap = buffer_ap(buf);
  mps_addr_t p, q;
  Size region;
  ck_assert_int_eq(mps_reserve(&p, ap, 32), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 32));
  region = buf->limit - buf->base;
  ck_assert_int_eq(mps_reserve(&q, ap, region), MPS_RES_OK);
  ck_assert(mps_commit(ap, q, region));
  ck_assert_uint_eq(buf->fill_count, 2);
  ck_assert_uint_eq(buf->empty_count, 1);
  ck_assert_uint_eq(buf->base, (Addr)q);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/buffer");
  TCase *tc = tcase_create("buffer");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, reset_buffer_goes_to_fill);
  tcase_add_test(tc, flip_fails_commit_once);
  tcase_add_test(tc, flip_between_commit_and_reserve_is_harmless);
  tcase_add_test(tc, trap_without_flip_commits);
  tcase_add_test(tc, destroy_discards_reserved_block);
  tcase_add_test(tc, fill_beyond_region_refills);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
