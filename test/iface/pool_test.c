/* test/iface/pool_test.c -- pools through the public interface: creation
 * with keyword arguments (good, unknown, missing, out of range), mps_alloc
 * and mps_free, sizes, the commit limit, misuse.
 * Design: manual/design/pool.rst */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmfs.h"
#include "mpscmvff.h"
#include "mpscmvt.h"
#include "mpscsnc.h"
#include "mpstd.h"
#include "fixture.h"

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static mps_arena_t arena;

static void setup(void)
{
  arena = fixture_vm_arena((size_t)16 << 20);
}

static void teardown(void)
{
  mps_arena_destroy(arena);
}

static mps_res_t mfs_create(mps_pool_t *pool_o, size_t unit)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, unit);
    res = mps_pool_create_k(pool_o, arena, mps_class_mfs(), args);
  } MPS_ARGS_END(args);
  return res;
}

START_TEST(mfs_requires_unit_size)
{
  mps_pool_t pool;
  mps_pool_t untouched = (mps_pool_t)&pool;
  pool = untouched;
  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_mfs(), mps_args_none),
                   MPS_RES_PARAM);
  ck_assert_ptr_eq(pool, untouched);       /* outputs only on success */
  ck_assert_int_eq(mfs_create(&pool, 0), MPS_RES_PARAM);
}
END_TEST

START_TEST(mfs_extend_smaller_than_unit_refused)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, (size_t)4096);
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)1024);
    res = mps_pool_create_k(&pool, arena, mps_class_mfs(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
}
END_TEST

START_TEST(unknown_and_duplicate_keys_refused)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, (size_t)32);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_SLOT_HIGH, 1);   /* not an MFS key */
    res = mps_pool_create_k(&pool, arena, mps_class_mfs(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)65536);
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)65536);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
}
END_TEST

START_TEST(mfs_alloc_free)
{
  mps_pool_t pool;
  mps_addr_t a, b, c;
  ck_assert_int_eq(mfs_create(&pool, 40), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&a, pool, 40), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&b, pool, 40), MPS_RES_OK);
  ck_assert_ptr_ne(a, b);
  memset(a, 0xAA, 40);
  memset(b, 0xBB, 40);
  ck_assert_uint_ge(mps_pool_total_size(pool), 80);
  ck_assert_uint_le(mps_pool_free_size(pool), mps_pool_total_size(pool) - 80);
  /* design.mfs.size: another size is refused */
  ck_assert_int_eq(mps_alloc(&c, pool, 400), MPS_RES_PARAM);
  mps_free(pool, b, 40);
  ck_assert_int_eq(mps_alloc(&c, pool, 40), MPS_RES_OK);
  ck_assert_ptr_eq(c, b);                 /* the free stack is reused */
  mps_free(pool, a, 40);
  mps_free(pool, c, 40);
  mps_pool_destroy(pool);
}
END_TEST

START_TEST(mfs_varargs)
{
  mps_pool_t pool;
  mps_addr_t p;
  ck_assert_int_eq(mps_pool_create(&pool, arena, mps_class_mfs(), (size_t)65536,
                                   (size_t)24), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&p, pool, 24), MPS_RES_OK);
  mps_free(pool, p, 24);
  mps_pool_destroy(pool);
}
END_TEST

START_TEST(mvff_defaults_and_rounding)
{
  mps_pool_t pool;
  mps_addr_t p, q;
  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none),
                   MPS_RES_OK);
  /* Unaligned sizes are rounded up to the alignment (MPS_PF_ALIGN). */
  ck_assert_int_eq(mps_alloc(&p, pool, 13), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&q, pool, 13), MPS_RES_OK);
  ck_assert_uint_eq((uintptr_t)p % MPS_PF_ALIGN, 0);
  ck_assert_uint_eq((uintptr_t)q % MPS_PF_ALIGN, 0);
  ck_assert_uint_ge((uintptr_t)q > (uintptr_t)p ? (uintptr_t)q - (uintptr_t)p
                                              : (uintptr_t)p - (uintptr_t)q, 16);
  ck_assert_uint_eq(mps_mvff_size(pool), mps_pool_total_size(pool));
  ck_assert_uint_eq(mps_mvff_free_size(pool), mps_pool_free_size(pool));
  mps_free(pool, p, 13);
  mps_free(pool, q, 13);
  /* Zero is refused. */
  ck_assert_int_eq(mps_alloc(&p, pool, 0), MPS_RES_PARAM);
  mps_pool_destroy(pool);
}
END_TEST

START_TEST(mvff_key_ranges)
{
  mps_pool_t pool;
  mps_res_t res;
  size_t bad_aligns[] = {3, 4, 24, (size_t)1 << 30};
  for (size_t i = 0; i < sizeof bad_aligns / sizeof bad_aligns[0]; ++i) {
    MPS_ARGS_BEGIN(args) {
      MPS_ARGS_ADD(args, MPS_KEY_ALIGN, bad_aligns[i]);
      res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
    } MPS_ARGS_END(args);
    ck_assert_int_eq(res, MPS_RES_PARAM);
  }
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 1.5);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, (size_t)0);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  /* The least alignment accepted is a word. */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, sizeof(void *));
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.0);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_ARENA_HIGH, 1);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_SLOT_HIGH, 1);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_FIRST_FIT, 1);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  mps_pool_destroy(pool);
}
END_TEST

START_TEST(mvff_varargs)
{
  mps_pool_t pool;
  mps_addr_t p;
  ck_assert_int_eq(mps_pool_create(&pool, arena, mps_class_mvff(), (size_t)65536,
                                   (size_t)32, (size_t)8, 0, 0, 1), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&p, pool, 8), MPS_RES_OK);
  ck_assert_uint_eq((uintptr_t)p % 8, 0);
  mps_free(pool, p, 8);
  mps_pool_destroy(pool);
}
END_TEST

START_TEST(mvff_spare_zero_returns_memory)
{
  mps_pool_t pool;
  mps_addr_t p;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.0);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&p, pool, 1 << 20), MPS_RES_OK);
  ck_assert_uint_ge(mps_pool_total_size(pool), 1 << 20);
  mps_free(pool, p, 1 << 20);
  ck_assert_uint_eq(mps_pool_total_size(pool), 0);
  ck_assert_uint_eq(mps_pool_free_size(pool), 0);
  mps_pool_destroy(pool);
}
END_TEST

static mps_res_t mvt_create(mps_pool_t *pool_o, mps_arg_s args[])
{
  return mps_pool_create_k(pool_o, arena, mps_class_mvt(), args);
}

/* One key, one value: what mps_pool_create_k says of it. */
static mps_res_t mvt_with_size(mps_key_t key, size_t v)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD_FIELD(args, key, size, v);
    res = mvt_create(&pool, args);
  } MPS_ARGS_END(args);
  if (res == MPS_RES_OK)
    mps_pool_destroy(pool);
  return res;
}

static mps_res_t mvt_with_frag(double d)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MVT_FRAG_LIMIT, d);
    res = mvt_create(&pool, args);
  } MPS_ARGS_END(args);
  if (res == MPS_RES_OK)
    mps_pool_destroy(pool);
  return res;
}

static mps_res_t mvt_with_depth(mps_word_t depth)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MVT_RESERVE_DEPTH, depth);
    res = mvt_create(&pool, args);
  } MPS_ARGS_END(args);
  if (res == MPS_RES_OK)
    mps_pool_destroy(pool);
  return res;
}

static mps_res_t mvt_with_sizes(size_t min, size_t mean, size_t max)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MIN_SIZE, min);
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, mean);
    MPS_ARGS_ADD(args, MPS_KEY_MAX_SIZE, max);
    res = mvt_create(&pool, args);
  } MPS_ARGS_END(args);
  if (res == MPS_RES_OK)
    mps_pool_destroy(pool);
  return res;
}

START_TEST(mvt_keys_and_no_alloc)
{
  mps_pool_t pool;
  mps_addr_t p;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MIN_SIZE, (size_t)16);
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, (size_t)64);
    MPS_ARGS_ADD(args, MPS_KEY_MAX_SIZE, (size_t)1024);
    MPS_ARGS_ADD(args, MPS_KEY_MVT_RESERVE_DEPTH, (mps_word_t)100);
    MPS_ARGS_ADD(args, MPS_KEY_MVT_FRAG_LIMIT, 0.5);
    res = mps_pool_create_k(&pool, arena, mps_class_mvt(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  /* MVT allocates only through allocation points. */
  ck_assert_int_eq(mps_alloc(&p, pool, 64), MPS_RES_UNIMPL);
  ck_assert_uint_eq(mps_mvt_size(pool), mps_pool_total_size(pool));
  ck_assert_uint_eq(mps_mvt_free_size(pool), mps_pool_free_size(pool));
  mps_pool_destroy(pool);
}
END_TEST

/* Every MVT key as the manual documents it: its range, and its relation
 * to the others (min <= mean <= max, counting defaults). */
START_TEST(mvt_key_ranges)
{
  /* All defaults. */
  ck_assert_int_eq(mvt_with_depth(1024), MPS_RES_OK);
  /* MPS_KEY_MVT_FRAG_LIMIT: a double in (0.0, 1.0]; 0.0 is forbidden. */
  ck_assert_int_eq(mvt_with_frag(0.0), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_frag(-0.0), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_frag(-0.5), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_frag(1.0000001), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_frag(1.5), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_frag(NAN), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_frag(INFINITY), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_frag(1e-9), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_frag(0.3), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_frag(1.0), MPS_RES_OK);
  /* MPS_KEY_MVT_RESERVE_DEPTH: any count, 0 included, within reason. */
  ck_assert_int_eq(mvt_with_depth(0), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_depth(1), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_depth((mps_word_t)1 << 20), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_depth(~(mps_word_t)0), MPS_RES_PARAM);
  /* MPS_KEY_ALIGN: a power of two from sizeof(void *) up to the grain. */
  ck_assert_int_eq(mvt_with_size(MPS_KEY_ALIGN, sizeof(void *)), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_ALIGN, 64), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_ALIGN, sizeof(void *) / 2), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_ALIGN, 1), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_ALIGN, 24), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_ALIGN, 0), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_ALIGN, (size_t)1 << 30), MPS_RES_PARAM);
  /* The sizes: 0 < min <= mean <= max, the others at their defaults
   * (min MPS_PF_ALIGN, mean 32, max 8192). */
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MIN_SIZE, 0), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MIN_SIZE, 1), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MIN_SIZE, 32), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MIN_SIZE, 33), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MEAN_SIZE, MPS_PF_ALIGN), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MEAN_SIZE, MPS_PF_ALIGN - 1), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MEAN_SIZE, 8192), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MEAN_SIZE, 8193), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MAX_SIZE, 32), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MAX_SIZE, 31), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_size(MPS_KEY_MAX_SIZE, ~(size_t)0), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_sizes(64, 64, 64), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_sizes(8, 100, 100000), MPS_RES_OK);
  ck_assert_int_eq(mvt_with_sizes(64, 32, 1024), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_sizes(16, 2048, 1024), MPS_RES_PARAM);
  ck_assert_int_eq(mvt_with_sizes(2048, 1024, 4096), MPS_RES_PARAM);
  /* A large depth is fine with a small mean, not with a large one. */
  MPS_ARGS_BEGIN(args) {
    mps_pool_t pool;
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, (size_t)8192);
    MPS_ARGS_ADD(args, MPS_KEY_MVT_RESERVE_DEPTH, ~(mps_word_t)0 / 8192);
    ck_assert_int_eq(mvt_create(&pool, args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
}
END_TEST

/* The deprecated varargs form: min, mean, max, depth, and the
 * fragmentation limit as a percentage in (0, 100]. */
START_TEST(mvt_varargs)
{
  mps_pool_t pool;
  ck_assert_int_eq(mps_pool_create(&pool, arena, mps_class_mvt(), (size_t)16, (size_t)32,
                                   (size_t)1024, (mps_word_t)0, (mps_word_t)0),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_pool_create(&pool, arena, mps_class_mvt(), (size_t)16, (size_t)32,
                                   (size_t)1024, (mps_word_t)0, (mps_word_t)101),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_pool_create(&pool, arena, mps_class_mvt(), (size_t)64, (size_t)32,
                                   (size_t)1024, (mps_word_t)0, (mps_word_t)50),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_pool_create(&pool, arena, mps_class_mvt(), (size_t)16, (size_t)32,
                                   (size_t)1024, (mps_word_t)0, (mps_word_t)100),
                   MPS_RES_OK);
  mps_pool_destroy(pool);
}
END_TEST

/* Reserve depth 0 keeps no free memory back from the arena; a depth
 * whose reserve (depth blocks of the mean size, 32) covers the pool's
 * segment keeps it. */
static size_t mvt_total_after_churn(mps_word_t depth)
{
  mps_pool_t pool;
  mps_ap_t ap;
  mps_addr_t blocks[64];
  size_t total;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MAX_SIZE, (size_t)1024);
    MPS_ARGS_ADD(args, MPS_KEY_MVT_RESERVE_DEPTH, depth);
    res = mvt_create(&pool, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  for (size_t i = 0; i < 64; ++i) {
    do {
      ck_assert_int_eq(mps_reserve(&blocks[i], ap, 1024), MPS_RES_OK);
      memset(blocks[i], (int)i, 1024);
    } while (!mps_commit(ap, blocks[i], 1024));
  }
  ck_assert_uint_ge(mps_pool_total_size(pool), 64 * 1024);
  mps_ap_destroy(ap);
  for (size_t i = 0; i < 64; ++i)
    mps_free(pool, blocks[i], 1024);
  total = mps_pool_total_size(pool);
  ck_assert_uint_eq(mps_pool_free_size(pool), total);
  mps_pool_destroy(pool);
  return total;
}

START_TEST(mvt_reserve_depth)
{
  ck_assert_uint_eq(mvt_total_after_churn(0), 0);
  ck_assert_uint_gt(mvt_total_after_churn(8192), 0);
}
END_TEST

START_TEST(snc_requires_format)
{
  mps_pool_t pool;
  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_snc(), mps_args_none),
                   MPS_RES_PARAM);
}
END_TEST

START_TEST(commit_limit_then_recover)
{
  mps_pool_t pool;
  mps_addr_t blocks[256];
  size_t n = 0;
  mps_res_t res = MPS_RES_OK;

  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, mps_arena_committed(arena)
                                              + ((size_t)1 << 20)), MPS_RES_OK);
  while (n < 256) {
    res = mps_alloc(&blocks[n], pool, 16384);
    if (res != MPS_RES_OK)
      break;
    ++n;
  }
  ck_assert_int_eq(res, MPS_RES_COMMIT_LIMIT);
  ck_assert_uint_gt(n, 8);
  mps_free(pool, blocks[--n], 16384);
  mps_free(pool, blocks[--n], 16384);
  ck_assert_int_eq(mps_alloc(&blocks[n++], pool, 16384), MPS_RES_OK);
  while (n > 0)
    mps_free(pool, blocks[--n], 16384);
  mps_pool_destroy(pool);
}
END_TEST

/* Misuse the manual leaves undefined: asserted (cool). */
#ifdef CONFIG_VAR_COOL
START_TEST(free_into_wrong_pool)
{
  mps_pool_t a, b;
  mps_addr_t p;
  ck_assert_int_eq(mps_pool_create_k(&a, arena, mps_class_mvff(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_pool_create_k(&b, arena, mps_class_mvff(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&p, a, 64), MPS_RES_OK);
  mps_free(b, p, 64);
}
END_TEST

START_TEST(free_of_foreign_block)
{
  mps_fmt_t fmt;
  mps_pool_t pool;
  mps_res_t res;
  static char block[64];
  ck_assert_int_eq(mps_fmt_create_k(&fmt, arena, mps_args_none), MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    res = mps_pool_create_k(&pool, arena, mps_class_snc(), args);
  } MPS_ARGS_END(args);
  /* A format without a pad method is refused by SNC. */
  ck_assert_int_eq(res, MPS_RES_PARAM);
  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_mvt(), mps_args_none), MPS_RES_OK);
  mps_free(pool, block, 64);   /* not the pool's memory */
}
END_TEST

START_TEST(destroy_pool_with_ap)
{
  mps_pool_t pool;
  mps_ap_t ap;
  ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  mps_pool_destroy(pool);
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("iface/pool");
  TCase *tc = tcase_create("pool");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, mfs_requires_unit_size);
  tcase_add_test(tc, mfs_extend_smaller_than_unit_refused);
  tcase_add_test(tc, unknown_and_duplicate_keys_refused);
  tcase_add_test(tc, mfs_alloc_free);
  tcase_add_test(tc, mfs_varargs);
  tcase_add_test(tc, mvff_defaults_and_rounding);
  tcase_add_test(tc, mvff_key_ranges);
  tcase_add_test(tc, mvff_varargs);
  tcase_add_test(tc, mvff_spare_zero_returns_memory);
  tcase_add_test(tc, mvt_keys_and_no_alloc);
  tcase_add_test(tc, mvt_key_ranges);
  tcase_add_test(tc, mvt_varargs);
  tcase_add_test(tc, mvt_reserve_depth);
  tcase_add_test(tc, snc_requires_format);
  tcase_add_test(tc, commit_limit_then_recover);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, free_into_wrong_pool, SIGABRT);
  tcase_add_test_raise_signal(tc, free_of_foreign_block, SIGABRT);
  tcase_add_test_raise_signal(tc, destroy_pool_with_ap, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
