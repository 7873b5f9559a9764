/* test/iface/sac_test.c -- segregated allocation caches through the
 * public interface: class validation, the fast macros and the functions,
 * blocks above every class, flush, misuse.  Design: manual/design/sac.rst */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmfs.h"
#include "mpscmvff.h"
#include "mpscmvt.h"
#include "fixture.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static mps_arena_t arena;
static mps_pool_t pool;

static void setup(void)
{
  arena = fixture_vm_arena((size_t)16 << 20);
  pool = fixture_mvff(arena, 8);
}

static void teardown(void)
{
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);
}

static mps_sac_class_s classes[3] = {{16, 20, 1}, {64, 10, 1}, {256, 4, 1}};

START_TEST(class_validation)
{
  mps_sac_t sac;
  mps_sac_t untouched = (mps_sac_t)&sac;
  mps_sac_class_s bad[MPS_SAC_CLASS_LIMIT + 1];
  for (size_t i = 0; i <= MPS_SAC_CLASS_LIMIT; ++i) {
    bad[i].mps_block_size = 16 * (i + 1);
    bad[i].mps_cached_count = 4;
    bad[i].mps_frequency = 1;
  }
  sac = untouched;
  ck_assert_int_eq(mps_sac_create(&sac, pool, 0, bad), MPS_RES_PARAM);
  ck_assert_ptr_eq(sac, untouched);
  /* Too many classes is MPS_RES_LIMIT (the manual's "combine some
   * classes"), however good the classes are. */
  ck_assert_int_eq(mps_sac_create(&sac, pool, MPS_SAC_CLASS_LIMIT + 1, bad), MPS_RES_LIMIT);
  ck_assert_int_eq(mps_sac_create(&sac, pool, 1000, bad), MPS_RES_LIMIT);
  ck_assert_ptr_eq(sac, untouched);
  bad[1].mps_block_size = 16;            /* not increasing */
  ck_assert_int_eq(mps_sac_create(&sac, pool, 2, bad), MPS_RES_PARAM);
  bad[1].mps_block_size = 36;            /* not a multiple of the alignment */
  ck_assert_int_eq(mps_sac_create(&sac, pool, 2, bad), MPS_RES_PARAM);
  bad[0].mps_block_size = 4;             /* smaller than a word */
  ck_assert_int_eq(mps_sac_create(&sac, pool, 1, bad), MPS_RES_PARAM);
  bad[0].mps_block_size = 16;
  bad[1].mps_block_size = 32;
  ck_assert_int_eq(mps_sac_create(&sac, pool, MPS_SAC_CLASS_LIMIT, bad), MPS_RES_OK);
  mps_sac_destroy(sac);
}
END_TEST

START_TEST(alloc_free_cycle)
{
  mps_sac_t sac;
  mps_addr_t blocks[300];
  ck_assert_int_eq(mps_sac_create(&sac, pool, 3, classes), MPS_RES_OK);
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < 300; ++i) {
      size_t size = 8 + (i * 37) % 600;   /* some above every class */
      mps_res_t res;
      if (i % 2 == 0) {
        MPS_SAC_ALLOC_FAST(res, blocks[i], sac, size, 0);
      } else {
        res = mps_sac_alloc(&blocks[i], sac, size, 0);
      }
      ck_assert_int_eq(res, MPS_RES_OK);
      memset(blocks[i], (int)i, size);
    }
    for (size_t i = 0; i < 300; ++i) {
      size_t size = 8 + (i * 37) % 600;
      const unsigned char *b = blocks[i];
      for (size_t j = 0; j < size; ++j)
        ck_assert_uint_eq(b[j], i & 0xFF);
      if (i % 2 == 0)
        MPS_SAC_FREE_FAST(sac, blocks[i], size);
      else
        mps_sac_free(sac, blocks[i], size);
    }
  }
  /* Everything is either cached or free in the pool; flushing gives the
   * cache back. */
  ck_assert_uint_lt(mps_pool_free_size(pool), mps_pool_total_size(pool));
  mps_sac_flush(sac);
  ck_assert_uint_eq(mps_pool_free_size(pool), mps_pool_total_size(pool));
  mps_sac_destroy(sac);
}
END_TEST

START_TEST(size_zero_refused)
{
  mps_sac_t sac;
  mps_addr_t p = NULL;
  mps_res_t res;
  ck_assert_int_eq(mps_sac_create(&sac, pool, 3, classes), MPS_RES_OK);
  ck_assert_int_eq(mps_sac_alloc(&p, sac, 0, 0), MPS_RES_PARAM);
  MPS_SAC_ALLOC(res, p, sac, 0, 0);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  ck_assert_ptr_null(p);
  mps_sac_destroy(sac);
}
END_TEST

START_TEST(destroy_flushes)
{
  mps_sac_t sac;
  mps_addr_t p;
  ck_assert_int_eq(mps_sac_create(&sac, pool, 3, classes), MPS_RES_OK);
  ck_assert_int_eq(mps_sac_alloc(&p, sac, 60, 0), MPS_RES_OK);
  mps_sac_free(sac, p, 60);
  mps_sac_destroy(sac);
  ck_assert_uint_eq(mps_pool_free_size(pool), mps_pool_total_size(pool));
}
END_TEST

START_TEST(mfs_sac)
{
  mps_pool_t mfs;
  mps_sac_t sac;
  mps_sac_class_s one = {32, 8, 1};
  mps_addr_t p;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, (size_t)32);
    res = mps_pool_create_k(&mfs, arena, mps_class_mfs(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_sac_create(&sac, mfs, 1, &one), MPS_RES_OK);
  ck_assert_int_eq(mps_sac_alloc(&p, sac, 32, 0), MPS_RES_OK);
  mps_sac_free(sac, p, 32);
  mps_sac_destroy(sac);
  mps_pool_destroy(mfs);
}
END_TEST

START_TEST(mvt_has_no_sac)
{
  mps_pool_t mvt;
  mps_sac_t sac;
  ck_assert_int_eq(mps_pool_create_k(&mvt, arena, mps_class_mvt(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_sac_create(&sac, mvt, 3, classes), MPS_RES_PARAM);
  mps_pool_destroy(mvt);
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(destroy_pool_with_sac)
{
  mps_sac_t sac;
  ck_assert_int_eq(mps_sac_create(&sac, pool, 3, classes), MPS_RES_OK);
  mps_pool_destroy(pool);
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("iface/sac");
  TCase *tc = tcase_create("sac");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, class_validation);
  tcase_add_test(tc, alloc_free_cycle);
  tcase_add_test(tc, size_zero_refused);
  tcase_add_test(tc, destroy_flushes);
  tcase_add_test(tc, mfs_sac);
  tcase_add_test(tc, mvt_has_no_sac);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, destroy_pool_with_sac, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
