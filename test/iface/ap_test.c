/* test/iface/ap_test.c -- allocation points through the public
 * interface: the reserve/commit protocol in its macro, block and
 * function forms, fills across regions, destroy, pools without APs, bad
 * sizes.  Design: manual/design/buffer.rst */
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

static int in_range(mps_addr_t p, mps_addr_t base, size_t size)
{
  return (uintptr_t)p >= (uintptr_t)base && (uintptr_t)p < (uintptr_t)base + size;
}

START_TEST(reserve_commit_distinct_blocks)
{
  mps_ap_t ap;
  enum { N = 2000 };
  static mps_addr_t blocks[N];
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  for (size_t i = 0; i < N; ++i) {
    size_t size = 8 * (1 + i % 40);
    mps_addr_t p;
    do {
      ck_assert_int_eq(mps_reserve(&p, ap, size), MPS_RES_OK);
      memset(p, (int)(i & 0xFF), size);
    } while (!mps_commit(ap, p, size));
    ck_assert_uint_eq((uintptr_t)p % 8, 0);
    blocks[i] = p;
  }
  /* No block was overwritten by a later one. */
  for (size_t i = 0; i < N; ++i) {
    size_t size = 8 * (1 + i % 40);
    const unsigned char *b = blocks[i];
    for (size_t j = 0; j < size; ++j)
      ck_assert_uint_eq(b[j], i & 0xFF);
  }
  /* Committed blocks can be freed individually (MVFF). */
  for (size_t i = 0; i < N; i += 2)
    mps_free(pool, blocks[i], 8 * (1 + i % 40));
  mps_ap_destroy(ap);
  for (size_t i = 1; i < N; i += 2)
    mps_free(pool, blocks[i], 8 * (1 + i % 40));
  ck_assert_uint_eq(mps_pool_free_size(pool), mps_pool_total_size(pool));
}
END_TEST

START_TEST(block_and_function_forms)
{
  mps_ap_t ap;
  mps_addr_t p, q;
  mps_res_t res;
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  MPS_RESERVE_BLOCK(res, p, ap, 64);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 64));
  ck_assert_int_eq((mps_reserve)(&q, ap, 64), MPS_RES_OK);
  ck_assert_ptr_eq(q, (char *)p + 64);       /* bump allocation */
  ck_assert((mps_commit)(ap, q, 64));
  ck_assert_ptr_eq(ap->init, (char *)q + 64);
  ck_assert_ptr_eq(ap->alloc, ap->init);
  /* Size zero is refused by the slow path. */
  ck_assert_int_eq((mps_reserve)(&q, ap, 0), MPS_RES_PARAM);
  ck_assert_int_eq(mps_ap_fill(&q, ap, 0), MPS_RES_PARAM);
  mps_ap_destroy(ap);
}
END_TEST

START_TEST(large_reserve_and_refill)
{
  mps_ap_t ap;
  mps_addr_t p, q;
  size_t big = (size_t)1 << 20;
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_reserve(&p, ap, 64), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 64));
  ck_assert_int_eq(mps_reserve(&q, ap, big), MPS_RES_OK);
  memset(q, 1, big);
  ck_assert(mps_commit(ap, q, big));
  ck_assert(!in_range(p, q, big));
  ck_assert_uint_ge(mps_pool_total_size(pool), big + 64);
  mps_free(pool, q, big);
  mps_free(pool, p, 64);
  mps_ap_destroy(ap);
}
END_TEST

START_TEST(destroy_returns_unused)
{
  mps_ap_t ap;
  mps_addr_t p;
  size_t free_before, free_after;
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_reserve(&p, ap, 64), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 64));
  free_before = mps_pool_free_size(pool);
  mps_ap_destroy(ap);
  free_after = mps_pool_free_size(pool);
  /* The buffer's unused tail went back; the committed block did not. */
  ck_assert_uint_gt(free_after, free_before);
  ck_assert_uint_le(free_after, mps_pool_total_size(pool) - 64);
  mps_free(pool, p, 64);
}
END_TEST

START_TEST(mfs_has_no_aps)
{
  mps_pool_t mfs;
  mps_ap_t ap;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, (size_t)32);
    res = mps_pool_create_k(&mfs, arena, mps_class_mfs(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, mfs, mps_args_none), MPS_RES_UNIMPL);
  ck_assert_int_eq(mps_ap_create(&ap, mfs), MPS_RES_UNIMPL);
  mps_pool_destroy(mfs);
}
END_TEST

START_TEST(unknown_ap_key)
{
  mps_ap_t ap;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)4096);
    res = mps_ap_create_k(&ap, pool, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
}
END_TEST

START_TEST(mvt_ap_then_free)
{
  mps_pool_t mvt;
  mps_ap_t ap;
  mps_addr_t blocks[500];
  ck_assert_int_eq(mps_pool_create_k(&mvt, arena, mps_class_mvt(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create(&ap, mvt), MPS_RES_OK);
  for (size_t i = 0; i < 500; ++i) {
    size_t size = 16 * (1 + i % 7) + (i % 50 == 0 ? 20000 : 0);
    mps_addr_t p;
    do {
      ck_assert_int_eq(mps_reserve(&p, ap, size), MPS_RES_OK);
      memset(p, 7, size);
    } while (!mps_commit(ap, p, size));
    blocks[i] = p;
  }
  for (size_t i = 0; i < 500; ++i)
    mps_free(mvt, blocks[i], 16 * (1 + i % 7) + (i % 50 == 0 ? 20000 : 0));
  mps_ap_destroy(ap);
  ck_assert_uint_eq(mps_pool_free_size(mvt), mps_pool_total_size(mvt));
  mps_pool_destroy(mvt);
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(misaligned_reserve)
{
  mps_ap_t ap;
  mps_addr_t p;
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  (void)mps_ap_fill(&p, ap, 12);     /* not a multiple of 8 */
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("iface/ap");
  TCase *tc = tcase_create("ap");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, reserve_commit_distinct_blocks);
  tcase_add_test(tc, block_and_function_forms);
  tcase_add_test(tc, large_reserve_and_refill);
  tcase_add_test(tc, destroy_returns_unused);
  tcase_add_test(tc, mfs_has_no_aps);
  tcase_add_test(tc, unknown_ap_key);
  tcase_add_test(tc, mvt_ap_then_free);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, misaligned_reserve, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
