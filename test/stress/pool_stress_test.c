/* test/stress/pool_stress_test.c -- seeded stress of the manual pool
 * classes (MFS, MVFF, MVFF debug, MVT, SNC) through mps_alloc/mps_free,
 * allocation points, caches and frames, against a shadow model: every
 * block is filled with a pattern and verified before it is freed, no two
 * live blocks overlap, the pool's sizes stay consistent, and each run
 * hits the arena's commit limit, gets MPS_RES_COMMIT_LIMIT, frees, and
 * goes on.  LAGOON_SEED replays a run; LAGOON_STRESS_SCALE multiplies
 * the work.  Design: manual/design/pool.rst */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmfs.h"
#include "mpscmvff.h"
#include "mpscmvt.h"
#include "mpscsnc.h"
#include "rng.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MODE_ALLOC, MODE_AP, MODE_SAC };

typedef struct Block {
  uintptr_t addr;
  size_t size;
  uint64_t tag;
} Block;

#define LIVE_MAX 3000       /* the random phase keeps at most this many */
#define LIVE_CAP 65536      /* the commit-limit phase may exceed it */

typedef struct Stress {
  Rng rng;
  mps_arena_t arena;
  mps_pool_t pool;
  mps_ap_t ap;
  mps_sac_t sac;
  int mode;
  size_t align;
  size_t fixed_size;       /* MFS: every block this size */
  size_t max_size;         /* largest random size */
  Block live[LIVE_CAP];
  size_t n_live;
  size_t live_bytes;
} Stress;

static uint64_t seed;

static void fill(uintptr_t addr, size_t size, uint64_t tag)
{
  uint64_t *w = (uint64_t *)addr;
  for (size_t i = 0; i < size / 8; ++i)
    w[i] = tag ^ (i * 0x9E3779B97F4A7C15u);
}

static void verify(const Block *b)
{
  const uint64_t *w = (const uint64_t *)b->addr;
  for (size_t i = 0; i < b->size / 8; ++i)
    if (w[i] != (b->tag ^ (i * 0x9E3779B97F4A7C15u)))
      ck_abort_msg("block %#lx+%zu corrupted at word %zu (seed %llu)",
                   (unsigned long)b->addr, b->size, i, (unsigned long long)seed);
}

static void check_no_overlap(const Stress *st, uintptr_t addr, size_t size)
{
  for (size_t i = 0; i < st->n_live; ++i) {
    const Block *b = &st->live[i];
    if (addr < b->addr + b->size && b->addr < addr + size)
      ck_abort_msg("new block %#lx+%zu overlaps live %#lx+%zu (seed %llu)",
                   (unsigned long)addr, size, (unsigned long)b->addr, b->size,
                   (unsigned long long)seed);
  }
}

static void check_sizes(Stress *st)
{
  size_t total = mps_pool_total_size(st->pool);
  size_t free = mps_pool_free_size(st->pool);
  ck_assert_uint_ge(total, st->live_bytes);
  ck_assert_uint_le(free, total);
  ck_assert_uint_ge(total - free, st->live_bytes);
}

static size_t random_size(Stress *st)
{
  size_t size;
  if (st->fixed_size != 0)
    return st->fixed_size;
  switch (rng_below(&st->rng, 16)) {
  case 0:
    size = rng_range(&st->rng, 1, st->max_size);
    break;
  case 1: case 2: case 3:
    size = rng_range(&st->rng, 1, 1024);
    break;
  default:
    size = rng_range(&st->rng, 1, 128);
    break;
  }
  return (size + st->align - 1) & ~(st->align - 1);
}

static mps_res_t do_alloc(Stress *st, mps_addr_t *p_o, size_t size)
{
  mps_res_t res;
  mps_addr_t p;
  switch (st->mode) {
  case MODE_AP:
    do {
      res = mps_reserve(&p, st->ap, size);
      if (res != MPS_RES_OK)
        return res;
      memset(p, 0, 8);
    } while (!mps_commit(st->ap, p, size));
    *p_o = p;
    return MPS_RES_OK;
  case MODE_SAC:
    MPS_SAC_ALLOC_FAST(res, p, st->sac, size, 0);
    if (res == MPS_RES_OK)
      *p_o = p;
    return res;
  default:
    return mps_alloc(p_o, st->pool, size);
  }
}

static void do_free(Stress *st, mps_addr_t p, size_t size)
{
  if (st->mode == MODE_SAC)
    MPS_SAC_FREE_FAST(st->sac, p, size);
  else
    mps_free(st->pool, p, size);
}

/* One allocation into the shadow; false if the pool refused. */
static bool step_alloc(Stress *st, mps_res_t *res_o)
{
  size_t size = random_size(st);
  mps_addr_t p;
  Block *b;
  mps_res_t res = do_alloc(st, &p, size);
  *res_o = res;
  if (res != MPS_RES_OK)
    return false;
  ck_assert_uint_eq((uintptr_t)p % st->align, 0);
  /* Past LIVE_MAX the patterns alone catch overlaps (keeps this O(n)). */
  if (st->n_live < LIVE_MAX)
    check_no_overlap(st, (uintptr_t)p, size);
  b = &st->live[st->n_live++];
  b->addr = (uintptr_t)p;
  b->size = size;
  b->tag = rng_next(&st->rng);
  fill(b->addr, size, b->tag);
  st->live_bytes += size;
  return true;
}

static void step_free(Stress *st, size_t i)
{
  Block b = st->live[i];
  verify(&b);
  st->live[i] = st->live[--st->n_live];
  st->live_bytes -= b.size;
  do_free(st, (mps_addr_t)b.addr, b.size);
}

static void run(Stress *st, unsigned steps)
{
  mps_res_t res;
  for (unsigned k = 0; k < steps; ++k) {
    /* Drift between full and empty so lifetimes vary. */
    bool want_alloc = st->n_live == 0
      || (st->n_live < LIVE_MAX && rng_below(&st->rng, 100) < (k / 2000 % 2 ? 35u : 65u));
    if (want_alloc) {
      if (!step_alloc(st, &res))
        ck_abort_msg("allocation failed with %d (seed %llu)", res, (unsigned long long)seed);
    } else {
      step_free(st, rng_below(&st->rng, st->n_live));
    }
    if (k % 1024 == 0)
      check_sizes(st);
  }
  for (size_t i = 0; i < st->n_live; ++i)
    verify(&st->live[i]);
  check_sizes(st);
}

/* design.pool.test.commit-limit: allocate into a small commit limit until
 * refused, free half, and allocate again. */
static void run_commit_limit(Stress *st)
{
  size_t committed = mps_arena_committed(st->arena);
  mps_res_t res = MPS_RES_OK;
  size_t got = 0;

  ck_assert_int_eq(mps_arena_commit_limit_set(st->arena, committed + ((size_t)256 << 10)),
                   MPS_RES_OK);
  while (st->n_live < LIVE_CAP) {
    if (!step_alloc(st, &res))
      break;
    ++got;
  }
  ck_assert_int_eq(res, MPS_RES_COMMIT_LIMIT);
  for (size_t i = st->n_live / 2; i > 0; --i)
    step_free(st, rng_below(&st->rng, st->n_live));
  if (st->mode == MODE_SAC)
    mps_sac_flush(st->sac);
  for (unsigned k = 0; k < 50 && st->n_live < LIVE_CAP; ++k) {
    if (!step_alloc(st, &res))
      ck_abort_msg("allocation after freeing failed with %d (seed %llu)", res,
                   (unsigned long long)seed);
  }
  ck_assert_int_eq(mps_arena_commit_limit_set(st->arena, (size_t)-1), MPS_RES_OK);
  (void)got;
}

static Stress *stress_new(void)
{
  Stress *st = calloc(1, sizeof *st);
  mps_res_t res;
  ck_assert_ptr_nonnull(st);
  rng_init(&st->rng, seed);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)64 << 20);
    res = mps_arena_create_k(&st->arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  st->align = 8;
  st->max_size = 16384;
  return st;
}

static void stress_run_and_free(Stress *st, bool commit_limit)
{
  unsigned steps = 100000u * rng_scale();
  run(st, steps);
  if (commit_limit)
    run_commit_limit(st);
  while (st->n_live > 0)
    step_free(st, st->n_live - 1);
  if (st->sac != NULL)
    mps_sac_destroy(st->sac);
  if (st->ap != NULL)
    mps_ap_destroy(st->ap);
  check_sizes(st);
  mps_pool_destroy(st->pool);
  mps_arena_destroy(st->arena);
  free(st);
}

START_TEST(mfs)
{
  Stress *st = stress_new();
  mps_res_t res;
  st->fixed_size = 16 * rng_range(&st->rng, 1, 16);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, st->fixed_size);
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)rng_range(&st->rng, 1, 64) << 10);
    res = mps_pool_create_k(&st->pool, st->arena, mps_class_mfs(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  stress_run_and_free(st, true);
}
END_TEST

static void mvff_create(Stress *st, mps_pool_class_t klass, mps_pool_debug_option_s *opts)
{
  mps_res_t res;
  st->align = (size_t)8 << rng_below(&st->rng, 4);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, st->align);
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)rng_range(&st->rng, 4, 128) << 10);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, rng_double(&st->rng));
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_ARENA_HIGH, (mps_bool_t)rng_below(&st->rng, 2));
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_SLOT_HIGH, (mps_bool_t)rng_below(&st->rng, 2));
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_FIRST_FIT, (mps_bool_t)rng_below(&st->rng, 2));
    if (opts != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_POOL_DEBUG_OPTIONS, opts);
    res = mps_pool_create_k(&st->pool, st->arena, klass, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
}

START_TEST(mvff)
{
  Stress *st = stress_new();
  mvff_create(st, mps_class_mvff(), NULL);
  stress_run_and_free(st, true);
}
END_TEST

START_TEST(mvff_debug)
{
  static mps_pool_debug_option_s opts = {"fence", 5, "free", 4};
  Stress *st = stress_new();
  mvff_create(st, mps_class_mvff_debug(), &opts);
  run(st, 10000u * rng_scale());
  mps_pool_check_fenceposts(st->pool);
  mps_pool_check_free_space(st->pool);
  /* No commit-limit phase: design.mvff.debug.freelist */
  stress_run_and_free(st, false);
}
END_TEST

START_TEST(mvff_ap)
{
  Stress *st = stress_new();
  mvff_create(st, mps_class_mvff(), NULL);
  st->mode = MODE_AP;
  ck_assert_int_eq(mps_ap_create_k(&st->ap, st->pool, mps_args_none), MPS_RES_OK);
  stress_run_and_free(st, true);
}
END_TEST

START_TEST(mvff_sac)
{
  Stress *st = stress_new();
  mps_sac_class_s classes[4];
  mvff_create(st, mps_class_mvff(), NULL);
  for (size_t i = 0; i < 4; ++i) {
    classes[i].mps_block_size = (st->align > 8 ? st->align : 8) * 4 << i;
    classes[i].mps_cached_count = 64 >> i;
    classes[i].mps_frequency = 1;
  }
  st->mode = MODE_SAC;
  ck_assert_int_eq(mps_sac_create(&st->sac, st->pool, 4, classes), MPS_RES_OK);
  stress_run_and_free(st, true);
}
END_TEST

START_TEST(mvt)
{
  Stress *st = stress_new();
  mps_res_t res;
  st->mode = MODE_AP;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, (size_t)8);
    MPS_ARGS_ADD(args, MPS_KEY_MIN_SIZE, (size_t)8);
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, (size_t)64);
    MPS_ARGS_ADD(args, MPS_KEY_MAX_SIZE, (size_t)4096);
    MPS_ARGS_ADD(args, MPS_KEY_MVT_RESERVE_DEPTH, (mps_word_t)rng_range(&st->rng, 1, 2048));
    MPS_ARGS_ADD(args, MPS_KEY_MVT_FRAG_LIMIT, rng_double(&st->rng));
    res = mps_pool_create_k(&st->pool, st->arena, mps_class_mvt(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&st->ap, st->pool, mps_args_none), MPS_RES_OK);
  stress_run_and_free(st, true);
}
END_TEST

/* SNC: objects carry their size in their first word; frames are pushed
 * and popped at random and the shadow pops with them. */
static void snc_pad(mps_addr_t addr, size_t size)
{
  *(uint64_t *)addr = size;
}

static mps_addr_t snc_skip(mps_addr_t addr)
{
  return (char *)addr + *(uint64_t *)addr;
}

/* The objects hold no references; SNC still requires a scan method. */
static mps_res_t snc_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  (void)ss;
  (void)base;
  (void)limit;
  return MPS_RES_OK;
}

START_TEST(snc)
{
  Stress *st = stress_new();
  mps_fmt_t fmt;
  mps_frame_t frames[64];
  size_t frame_live[64];
  size_t depth = 0;
  unsigned steps = 100000u * rng_scale();
  bool hit_limit = false;
  mps_res_t res;

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)8);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, snc_pad);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, snc_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, snc_scan);
    res = mps_fmt_create_k(&fmt, st->arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    res = mps_pool_create_k(&st->pool, st->arena, mps_class_snc(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&st->ap, st->pool, mps_args_none), MPS_RES_OK);
  st->mode = MODE_AP;
  st->max_size = 2048;

  for (unsigned k = 0; k < steps; ++k) {
    unsigned r = (unsigned)rng_below(&st->rng, 100);
    if (k == steps / 2)
      ck_assert_int_eq(mps_arena_commit_limit_set(st->arena, mps_arena_committed(st->arena)
                                                  + ((size_t)1 << 20)), MPS_RES_OK);
    if (r < 3 && depth < 64) {
      ck_assert_int_eq(mps_ap_frame_push(&frames[depth], st->ap), MPS_RES_OK);
      frame_live[depth++] = st->n_live;
    } else if (r < 6 && depth > 0) {
      size_t d = rng_below(&st->rng, depth);
      for (size_t i = 0; i < st->n_live; ++i)
        verify(&st->live[i]);
      ck_assert_int_eq(mps_ap_frame_pop(st->ap, frames[d]), MPS_RES_OK);
      st->n_live = frame_live[d];
      st->live_bytes = 0;
      for (size_t i = 0; i < st->n_live; ++i)
        st->live_bytes += st->live[i].size;
      depth = d;
      check_sizes(st);
    } else if (st->n_live < LIVE_MAX) {
      if (!step_alloc(st, &res)) {
        ck_assert_int_eq(res, MPS_RES_COMMIT_LIMIT);
        hit_limit = true;
        /* Pop to the outermost frame, if any, and go on. */
        if (depth > 0) {
          ck_assert_int_eq(mps_ap_frame_pop(st->ap, frames[0]), MPS_RES_OK);
          st->n_live = frame_live[0];
          st->live_bytes = 0;
          for (size_t i = 0; i < st->n_live; ++i)
            st->live_bytes += st->live[i].size;
          depth = 0;
        } else {
          break;
        }
      }
    }
  }
  for (size_t i = 0; i < st->n_live; ++i)
    verify(&st->live[i]);
  check_sizes(st);
  (void)hit_limit;
  mps_ap_destroy(st->ap);
  mps_pool_destroy(st->pool);
  mps_fmt_destroy(fmt);
  mps_arena_destroy(st->arena);
  free(st);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("stress/pool");
  TCase *tc = tcase_create("pool");
  SRunner *sr;
  int failed;

  seed = rng_seed_from_env("pool_stress_test");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, mfs);
  tcase_add_test(tc, mvff);
  tcase_add_test(tc, mvff_debug);
  tcase_add_test(tc, mvff_ap);
  tcase_add_test(tc, mvff_sac);
  tcase_add_test(tc, mvt);
  tcase_add_test(tc, snc);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
