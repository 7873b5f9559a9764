/* test/unit/sac_test.c -- SAC internals: the public head layout, refill
 * to half capacity, emptying half when full, large blocks, flush.
 * Design: manual/design/sac.rst */
#include "pool/sac.h"
#include "pool/mvff.h"
#include "mpsavm.h"

#include <check.h>
#include <stddef.h>
#include <stdlib.h>

static mps_arena_t arena;
static Pool *pool;
static SAC *sac;
static mps_sac_class_s classes[2] = {{32, 8, 1}, {128, 0, 1}};

static void setup(void)
{
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  arena_enter(arena);
  ck_assert_int_eq(pool_create(&pool, arena, &mvff_class, mps_args_none), RES_OK);
  ck_assert_int_eq(sac_create(&sac, pool, 2, classes), RES_OK);
}

static void teardown(void)
{
  sac_destroy(sac);
  pool_destroy(pool);
  arena_leave(arena);
  mps_arena_destroy(arena);
}

START_TEST(public_head_first)
{
  ck_assert_uint_eq(offsetof(SAC, esac), 0);
  ck_assert_uint_eq(sac->esac._middle, 2);
  ck_assert_uint_eq(sac->esac._freelists[0]._size, 32);
  ck_assert_uint_eq(sac->esac._freelists[1]._size, 128);
  ck_assert_uint_eq(sac->esac._freelists[0]._count_max, 8);
  ck_assert(!sac->esac._trapped);
  ck_assert(sac_check(sac));
  ck_assert_uint_eq(pool->sac_count, 1);
}
END_TEST

START_TEST(fill_refills_half)
{
  Addr p;
  ck_assert_int_eq(sac_fill(&p, sac, 20), RES_OK);
  ck_assert_uint_eq(sac->esac._freelists[0]._count, 4);
  ck_assert(pool_has_addr(pool, p));
  ck_assert_int_eq(sac_fill(&p, sac, 0), RES_PARAM);
  sac_empty(sac, p, 20);
  ck_assert_uint_eq(sac->esac._freelists[0]._count, 5);
  ck_assert(sac_check(sac));
}
END_TEST

START_TEST(empty_keeps_half_when_full)
{
  Addr blocks[9];
  _mps_sac_freelist_block_s *fl = &sac->esac._freelists[0];
  for (size_t i = 0; i < 9; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 32), RES_OK);
  for (size_t i = 0; i < 8; ++i)
    sac_empty(sac, blocks[i], 32);
  ck_assert_uint_eq(fl->_count, 8);
  sac_empty(sac, blocks[8], 32);      /* full: half goes to the pool */
  ck_assert_uint_eq(fl->_count, 5);
  sac_flush(sac);
  ck_assert_uint_eq(fl->_count, 0);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
}
END_TEST

START_TEST(uncached_and_large_classes)
{
  Addr p, q;
  ck_assert_int_eq(sac_fill(&p, sac, 100), RES_OK);    /* count_max 0 */
  ck_assert_uint_eq(sac->esac._freelists[1]._count, 0);
  sac_empty(sac, p, 100);
  ck_assert_uint_eq(sac->esac._freelists[1]._count, 0);
  ck_assert_int_eq(sac_fill(&q, sac, 5000), RES_OK);   /* above every class */
  sac_empty(sac, q, 5000);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/sac");
  TCase *tc = tcase_create("sac");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, public_head_first);
  tcase_add_test(tc, fill_refills_half);
  tcase_add_test(tc, empty_keeps_half_when_full);
  tcase_add_test(tc, uncached_and_large_classes);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
