/* test/gc/params_test.c -- the collector's interface refuses bad
 * arguments with MPS_RES_PARAM (chains, AMS and LO pools and allocation
 * points, formats, roots), writing no output; things are destroyed in
 * the documented order, and destroying them out of order is caught (cool
 * variety).
 * Design: manual/design/interface.rst (design.interface.check),
 * manual/design/gen.rst, manual/design/format.rst (the MPS manual:
 * topic/pool.rst, pool/ams.rst, pool/lo.rst, topic/root.rst) */
#include "mps.h"
#include "mpscams.h"
#include "mpsclo.h"
#include "mpscmfs.h"
#include "gcfixture.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static GcWorld w;                /* an unparked arena and a format */

static void setup(void)
{
  GcWorldOptions o = {.arena_size = 16 * MiB, .unparked = true};
  gc_world_open(&w, &o);
}

static void teardown(void)
{
  gc_world_close(&w);
}

START_TEST(chain_params)
{
  mps_chain_t chain, untouched = (mps_chain_t)&chain;
  mps_gen_param_s good[2] = {{1024, 0.5}, {4096, 0.2}};
  mps_gen_param_s zero_cap[1] = {{0, 0.5}};
  mps_gen_param_s bad_mort[1] = {{1024, 1.5}};
  mps_gen_param_s neg_mort[1] = {{1024, -0.1}};
  mps_gen_param_s huge[1] = {{SIZE_MAX / 1024 + 1, 0.5}};

  chain = untouched;
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 0, good), MPS_RES_PARAM);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, zero_cap), MPS_RES_PARAM);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, bad_mort), MPS_RES_PARAM);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, neg_mort), MPS_RES_PARAM);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, huge), MPS_RES_PARAM);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 65, good), MPS_RES_PARAM);
  ck_assert_ptr_eq(chain, untouched);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 2, good), MPS_RES_OK);
  mps_chain_destroy(chain);
}
END_TEST

static mps_res_t make_pool(mps_pool_t *pool_o, mps_pool_class_t klass, mps_fmt_t f,
                           mps_chain_t chain, int gen, mps_key_t extra_key)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    if (f != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_FORMAT, f);
    if (chain != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    if (gen >= 0)
      MPS_ARGS_ADD(args, MPS_KEY_GEN, (unsigned)gen);
    if (extra_key == MPS_KEY_MFS_UNIT_SIZE)
      MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, (size_t)64);
    res = mps_pool_create_k(pool_o, w.arena, klass, args);
  } MPS_ARGS_END(args);
  return res;
}

static mps_fmt_t partial_format(bool scan, bool skip)
{
  mps_fmt_t f;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)DYLAN_ALIGN);
    if (scan)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, dylan_scan);
    if (skip)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, dylan_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, dylan_pad);
    res = mps_fmt_create_k(&f, w.arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return f;
}

START_TEST(ams_pool_params)
{
  mps_pool_t pool, untouched = (mps_pool_t)&pool;
  mps_chain_t chain;
  mps_gen_param_s gen[2] = {{1024, 0.5}, {2048, 0.5}};
  mps_fmt_t no_skip = partial_format(true, false);
  mps_fmt_t no_scan = partial_format(false, true);

  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 2, gen), MPS_RES_OK);
  pool = untouched;
  /* pool/ams.rst: a format with scan and skip methods is required. */
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), NULL, NULL, -1, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), no_skip, NULL, -1, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), no_scan, NULL, -1, NULL), MPS_RES_PARAM);
  /* A generation the chain does not have; a key AMS does not take. */
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, chain, 2, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, NULL, -1, MPS_KEY_MFS_UNIT_SIZE),
                   MPS_RES_PARAM);
  ck_assert_ptr_eq(pool, untouched);
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, chain, 1, NULL), MPS_RES_OK);
  mps_pool_destroy(pool);
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, NULL, -1, NULL), MPS_RES_OK);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  mps_fmt_destroy(no_scan);
  mps_fmt_destroy(no_skip);
}
END_TEST

START_TEST(ams_does_not_allocate_by_mps_alloc)
{
  mps_pool_t pool;
  mps_addr_t p = NULL;
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, NULL, -1, NULL), MPS_RES_OK);
  /* pool/ams.rst: no mps_alloc / mps_free. */
  ck_assert_int_eq(mps_alloc(&p, pool, 64), MPS_RES_UNIMPL);
  ck_assert_ptr_null(p);
  mps_pool_destroy(pool);
}
END_TEST

/* An allocation point on pool with MPS_KEY_RANK rank. */
static mps_res_t make_ranked_ap(mps_ap_t *ap_o, mps_pool_t pool, mps_rank_t rank)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, rank);
    res = mps_ap_create_k(ap_o, pool, args);
  } MPS_ARGS_END(args);
  return res;
}

START_TEST(ams_ap_params)
{
  mps_pool_t pool, strict;
  mps_ap_t ap, untouched = (mps_ap_t)&ap;
  mps_res_t res;

  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, NULL, -1, NULL), MPS_RES_OK);
  ap = untouched;
  /* pool/ams.rst: the rank must be exact or ambiguous. */
  ck_assert_int_eq(make_ranked_ap(&ap, pool, mps_rank_weak()), MPS_RES_PARAM);
  ck_assert_int_eq(make_ranked_ap(&ap, pool, (mps_rank_t)77), MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, (size_t)8);
    res = mps_ap_create_k(&ap, pool, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  ck_assert_ptr_eq(ap, untouched);
  ck_assert_int_eq(make_ranked_ap(&ap, pool, mps_rank_ambig()), MPS_RES_OK);
  mps_ap_destroy(ap);
  ck_assert_int_eq(make_ranked_ap(&ap, pool, mps_rank_exact()), MPS_RES_OK);
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);

  /* A pool made without support for ambiguous references refuses an
   * ambiguous allocation point. */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    MPS_ARGS_ADD(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, 0);
    res = mps_pool_create_k(&strict, w.arena, mps_class_ams(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(make_ranked_ap(&ap, strict, mps_rank_ambig()), MPS_RES_PARAM);
  ck_assert_int_eq(mps_ap_create_k(&ap, strict, mps_args_none), MPS_RES_OK);
  mps_ap_destroy(ap);
  mps_pool_destroy(strict);
}
END_TEST

START_TEST(lo_pool_params)
{
  mps_pool_t pool, untouched = (mps_pool_t)&pool;
  mps_chain_t chain;
  mps_gen_param_s gen = {1024, 0.5};
  mps_fmt_t no_skip = partial_format(true, false);
  mps_fmt_t skip_only = partial_format(false, true);

  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, &gen), MPS_RES_OK);
  pool = untouched;
  ck_assert_int_eq(make_pool(&pool, mps_class_lo(), NULL, NULL, -1, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(make_pool(&pool, mps_class_lo(), no_skip, NULL, -1, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(make_pool(&pool, mps_class_lo(), w.fmt, chain, 1, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(make_pool(&pool, mps_class_lo(), w.fmt, NULL, -1, MPS_KEY_MFS_UNIT_SIZE),
                   MPS_RES_PARAM);
  ck_assert_ptr_eq(pool, untouched);
  /* Leaves are never scanned: a skip method is enough. */
  ck_assert_int_eq(make_pool(&pool, mps_class_lo(), skip_only, chain, 0, NULL), MPS_RES_OK);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  mps_fmt_destroy(skip_only);
  mps_fmt_destroy(no_skip);
}
END_TEST

START_TEST(format_params)
{
  mps_fmt_t f, untouched = (mps_fmt_t)&f;
  mps_res_t res;
  f = untouched;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)12);
    res = mps_fmt_create_k(&f, w.arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, dylan_scan);
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_exact());
    res = mps_fmt_create_k(&f, w.arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, (mps_fmt_skip_t)NULL);
    res = mps_fmt_create_k(&f, w.arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  ck_assert_ptr_eq(f, untouched);
}
END_TEST

static mps_res_t nop_scan(mps_ss_t ss, void *p, size_t s)
{
  (void)ss, (void)p, (void)s;
  return MPS_RES_OK;
}

START_TEST(root_params)
{
  static mps_addr_t table[8];
  mps_root_t root, untouched = (mps_root_t)&root;
  root = untouched;
  /* Not a rank. */
  ck_assert_int_eq(mps_root_create_table(&root, w.arena, (mps_rank_t)77, 0, table, 8),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create(&root, w.arena, (mps_rank_t)77, 0, nop_scan, NULL, 0),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_area(&root, w.arena, (mps_rank_t)77, 0, table, table + 8,
                                        mps_scan_area, NULL), MPS_RES_PARAM);
  /* Not a root mode; MPS_RM_PROT_INNER needs MPS_RM_PROT. */
  ck_assert_int_eq(mps_root_create_table(&root, w.arena, mps_rank_exact(), (mps_rm_t)0x100,
                                         table, 8), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_table(&root, w.arena, mps_rank_exact(), MPS_RM_PROT_INNER,
                                         table, 8), MPS_RES_PARAM);
  /* An area whose limit is below its base. */
  ck_assert_int_eq(mps_root_create_area(&root, w.arena, mps_rank_exact(), 0, table + 8, table,
                                        mps_scan_area, NULL), MPS_RES_PARAM);
  ck_assert_ptr_eq(root, untouched);
  /* And the good ones. */
  ck_assert_int_eq(mps_root_create_table(&root, w.arena, mps_rank_exact(), 0, table, 8),
                   MPS_RES_OK);
  mps_root_destroy(root);
}
END_TEST

/* The documented tear-down with everything in place: threads and roots,
 * allocation points, pools, chains, formats, then the arena; unread
 * messages go with it. */
START_TEST(documented_teardown)
{
  mps_chain_t chain;
  mps_gen_param_s gen = {1024, 0.5};
  mps_pool_t ams, lo;
  mps_ap_t ap1, ap2;
  mps_thr_t thr;
  mps_root_t stack_root, table_root;
  static mps_addr_t table[4];
  void *cold = &cold;
  mps_addr_t ww;

  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, &gen), MPS_RES_OK);
  ck_assert_int_eq(make_pool(&ams, mps_class_ams(), w.fmt, chain, 0, NULL), MPS_RES_OK);
  ck_assert_int_eq(make_pool(&lo, mps_class_lo(), w.fmt, chain, 0, NULL), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap1, ams, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap2, lo, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_thread_reg(&thr, w.arena), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_thread(&stack_root, w.arena, thr, cold), MPS_RES_OK);
  memset(table, 0, sizeof table);
  ck_assert_int_eq(mps_root_create_table(&table_root, w.arena, mps_rank_exact(), 0, table, 4),
                   MPS_RES_OK);
  mps_message_type_enable(w.arena, mps_message_type_gc());
  ck_assert_int_eq(dylan_make_wrapper_wrapper(&ww, ap1, 0), MPS_RES_OK);
  table[0] = ww;
  mps_arena_collect(w.arena);
  ck_assert(mps_message_poll(w.arena));

  mps_arena_park(w.arena);
  mps_root_destroy(table_root);
  mps_root_destroy(stack_root);
  mps_thread_dereg(thr);
  mps_ap_destroy(ap2);
  mps_ap_destroy(ap1);
  mps_pool_destroy(lo);
  mps_pool_destroy(ams);      /* with live objects: allowed when parked */
  mps_chain_destroy(chain);
  mps_fmt_destroy(w.fmt);
  mps_arena_destroy(w.arena);
  _exit(0);                   /* the fixture has nothing left to do */
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(destroy_format_in_use)
{
  mps_pool_t pool;
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, NULL, -1, NULL), MPS_RES_OK);
  mps_fmt_destroy(w.fmt);
}
END_TEST

START_TEST(destroy_chain_in_use)
{
  mps_chain_t chain;
  mps_gen_param_s gen = {1024, 0.5};
  mps_pool_t pool;
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, &gen), MPS_RES_OK);
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, chain, 0, NULL), MPS_RES_OK);
  mps_chain_destroy(chain);
}
END_TEST

START_TEST(destroy_pool_with_ap)
{
  mps_pool_t pool;
  mps_ap_t ap;
  ck_assert_int_eq(make_pool(&pool, mps_class_ams(), w.fmt, NULL, -1, NULL), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  mps_pool_destroy(pool);
}
END_TEST

START_TEST(destroy_arena_with_root)
{
  static mps_addr_t table[4];
  mps_root_t root;
  ck_assert_int_eq(mps_root_create_table(&root, w.arena, mps_rank_exact(), 0, table, 4),
                   MPS_RES_OK);
  mps_fmt_destroy(w.fmt);
  mps_arena_destroy(w.arena);
}
END_TEST

START_TEST(destroy_arena_with_thread)
{
  mps_thr_t thr;
  ck_assert_int_eq(mps_thread_reg(&thr, w.arena), MPS_RES_OK);
  mps_fmt_destroy(w.fmt);
  mps_arena_destroy(w.arena);
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("gc/params");
  TCase *tc = fixture_tcase(s, "params", setup, teardown, 0);

  tcase_add_test(tc, chain_params);
  tcase_add_test(tc, ams_pool_params);
  tcase_add_test(tc, ams_does_not_allocate_by_mps_alloc);
  tcase_add_test(tc, ams_ap_params);
  tcase_add_test(tc, lo_pool_params);
  tcase_add_test(tc, format_params);
  tcase_add_test(tc, root_params);
  tcase_add_exit_test(tc, documented_teardown, 0);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, destroy_format_in_use, SIGABRT);
  tcase_add_test_raise_signal(tc, destroy_chain_in_use, SIGABRT);
  tcase_add_test_raise_signal(tc, destroy_pool_with_ap, SIGABRT);
  tcase_add_test_raise_signal(tc, destroy_arena_with_root, SIGABRT);
  tcase_add_test_raise_signal(tc, destroy_arena_with_thread, SIGABRT);
#endif
  return fixture_run_suite(s);
}
