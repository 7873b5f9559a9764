/* test/unit/mvff_test.c -- MVFF internals: fit policy, placement
 * options, spare release, large blocks, the free land's invariants,
 * double free, the front cache, frames.  Design: manual/design/mvff.rst */
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

/* An MVFF pool with the given placement policies and spare fraction. */
static Pool *make_mvff(bool arena_high, bool slot_high, bool first_fit,
                       double spare)
{
  Pool *pool;
  mps_arg_s args[6];
  args[0].key = MPS_KEY_MVFF_ARENA_HIGH;
  args[0].val.b = arena_high;
  args[1].key = MPS_KEY_MVFF_SLOT_HIGH;
  args[1].val.b = slot_high;
  args[2].key = MPS_KEY_MVFF_FIRST_FIT;
  args[2].val.b = first_fit;
  args[3].key = MPS_KEY_SPARE;
  args[3].val.d = spare;
  args[4].key = MPS_KEY_ALIGN;
  args[4].val.align = 8;
  args[5].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &mvff_class, args), RES_OK);
  return pool;
}

static Pool *make(bool slot_high, bool first_fit, double spare)
{
  return make_mvff(false, slot_high, first_fit, spare);
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

/* SLOT_HIGH picks the highest range; FIRST_FIT true cuts from its low
 * end, so a fresh segment fills upwards. */
START_TEST(slot_high_first_fit_takes_low_end_of_highest)
{
  Pool *pool = make(true, true, 0.75);
  Addr a, b, c, d;
  Seg *seg;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  ck_assert_uint_eq(b, a + 64);
  ck_assert(arena_seg_of_addr(&seg, arena, a));
  ck_assert_uint_eq(a, seg_base(seg));
  /* a hole below the rest of the segment is not chosen */
  ck_assert_int_eq(pool_alloc(&c, pool, 64), RES_OK);
  pool_free(pool, a, 64);
  mvff_cache_flush(mvff_of_pool(pool));
  ck_assert_int_eq(pool_alloc(&d, pool, 64), RES_OK);
  ck_assert_uint_eq(d, c + 64);
  pool_destroy(pool);
}
END_TEST

static Pool *make_placed(bool arena_high, bool slot_high, bool first_fit)
{
  return make_mvff(arena_high, slot_high, first_fit, 0.75);
}

/* The manual's top-down allocator: ARENA_HIGH and SLOT_HIGH true,
 * FIRST_FIT false.  Successive blocks come at falling addresses, within
 * a segment and across segments. */
START_TEST(top_down_allocates_downwards)
{
  Pool *pool = make_placed(true, true, false);
  enum { N = 3000 };                /* 3 segments of the default 64 KiB */
  Addr prev = 0, p;
  for (size_t i = 0; i < N; ++i) {
    ck_assert_int_eq(pool_alloc(&p, pool, 64), RES_OK);
    if (i > 0)
      ck_assert_uint_lt(p, prev);
    prev = p;
  }
  pool_destroy(pool);
}
END_TEST

/* The defaults: first fit from the bottom, rising addresses. */
START_TEST(defaults_allocate_upwards)
{
  Pool *pool = make_placed(false, false, true);
  Addr prev = 0, p;
  for (size_t i = 0; i < 1500; ++i) {
    ck_assert_int_eq(pool_alloc(&p, pool, 64), RES_OK);
    if (i > 0)
      ck_assert_uint_gt(p, prev);
    prev = p;
  }
  pool_destroy(pool);
}
END_TEST

/* ARENA_HIGH alone places segments high but still fills each upwards. */
START_TEST(arena_high_alone_fills_upwards)
{
  Pool *pool = make_placed(true, false, true);
  Addr a, b;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  ck_assert_uint_eq(b, a + 64);
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

/* The front cache: design.mvff.cache.  spare 1.0 keeps every free
 * cacheable. */
START_TEST(cache_reuses_lifo)
{
  Pool *pool = make(false, true, 1.0);
  MVFF *mvff = mvff_of_pool(pool);
  Addr a, b, c, d, e, f;
  Count ranges;
  ck_assert_uint_gt(mvff->cache_max, 0);
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&c, pool, 64), RES_OK);
  ranges = land_count(&mvff->free_land);
  pool_free(pool, a, 64);
  pool_free(pool, b, 64);
  /* cached, not in the land, but counted free */
  ck_assert_uint_eq(land_count(&mvff->free_land), ranges);
  ck_assert_uint_eq(mvff->cache_size, 128);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool) - 64);
  ck_assert_int_eq(pool_alloc(&d, pool, 64), RES_OK);
  ck_assert_uint_eq(d, b);
  ck_assert_int_eq(pool_alloc(&e, pool, 64), RES_OK);
  ck_assert_uint_eq(e, a);
  ck_assert_uint_eq(mvff->cache_size, 0);
  /* a different size does not take a cached block */
  pool_free(pool, c, 64);
  ck_assert_int_eq(pool_alloc(&f, pool, 56), RES_OK);
  ck_assert_uint_ne(f, c);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool) - 3 * 64 + 8);
  ck_assert(mvff_check(mvff));
  pool_destroy(pool);
}
END_TEST

/* A flush coalesces: the freed blocks become whole segments' ranges,
 * which can then go back to the arena. */
START_TEST(cache_flush_coalesces)
{
  Pool *pool = make(false, true, 1.0);
  MVFF *mvff = mvff_of_pool(pool);
  enum { N = 2000 };
  static Addr blocks[N];
  Size total;
  for (size_t i = 0; i < N; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 64), RES_OK);
  total = pool_total_size(pool);
  for (size_t i = 0; i < N; ++i)
    pool_free(pool, blocks[i], 64);
  ck_assert_uint_eq(mvff->cache_size, N * 64);
  ck_assert_uint_eq(pool_free_size(pool), total);
  mvff_cache_flush(mvff);
  ck_assert_uint_eq(mvff->cache_size, 0);
  ck_assert_uint_eq(pool_free_size(pool), total);
  ck_assert(land_verify(&mvff->free_land));
  /* one range per segment at most */
  ck_assert_uint_le(land_count(&mvff->free_land), ring_length(&pool->seg_ring));
  pool_destroy(pool);
}
END_TEST

/* With the default spare, freeing everything gives segments back even
 * though small blocks go through the cache. */
START_TEST(cache_spare_returns_segments)
{
  Pool *pool = make(false, true, 0.0);
  MVFF *mvff = mvff_of_pool(pool);
  enum { N = 5000 };
  static Addr blocks[N];
  for (size_t i = 0; i < N; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 48), RES_OK);
  for (size_t i = 0; i < N; ++i)
    pool_free(pool, blocks[N - 1 - i], 48);
  ck_assert_uint_eq(mvff->cache_size, 0);
  ck_assert_uint_eq(pool_total_size(pool), 0);
  pool_destroy(pool);
}
END_TEST

/* Over the limit, the cache goes to the land. */
START_TEST(cache_bounded)
{
  Pool *pool = make(false, true, 1.0);
  MVFF *mvff = mvff_of_pool(pool);
  enum { N = 20000 };
  static Addr blocks[N];
  for (size_t i = 0; i < N; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 32 + 8 * (i % 16)), RES_OK);
  for (size_t i = 0; i < N; ++i) {
    pool_free(pool, blocks[i], 32 + 8 * (i % 16));
    ck_assert_uint_le(mvff->cache_size, mvff->cache_limit);
  }
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  ck_assert(mvff_check(mvff));
  pool_destroy(pool);
}
END_TEST

/* A request the land cannot serve flushes the cache (which coalesces)
 * before asking the arena; under a commit limit that is what makes it
 * succeed. */
START_TEST(cache_flushed_before_extend)
{
  Pool *pool = make(false, true, 1.0);
  MVFF *mvff = mvff_of_pool(pool);
  enum { N = 1000 };               /* 64000 bytes: most of one segment */
  static Addr blocks[N];
  Addr big;
  Size total;
  for (size_t i = 0; i < N; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 64), RES_OK);
  total = pool_total_size(pool);
  for (size_t i = 0; i < N; ++i)
    pool_free(pool, blocks[i], 64);
  ck_assert_uint_gt(mvff->cache_size, 0);
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, mps_arena_committed(arena)), MPS_RES_OK);
  ck_assert_int_eq(pool_alloc(&big, pool, 32768), RES_OK);
  ck_assert_uint_eq(mvff->cache_size, 0);
  ck_assert_uint_eq(pool_total_size(pool), total);
  /* more than the pool has: the cache is empty and the arena says no */
  ck_assert_int_eq(pool_alloc(&big, pool, 64), RES_OK);
  pool_free(pool, big, 64);
  ck_assert_int_eq(pool_alloc(&big, pool, (Size)4 << 20), RES_COMMIT_LIMIT);
  ck_assert_uint_eq(mvff->cache_size, 0);
  ck_assert(mvff_check(mvff));
  pool_destroy(pool);
}
END_TEST

/* design.mvff.cache.buffer: an allocation point's fill flushes the
 * cache rather than settle for a fragment or extend. */
START_TEST(cache_flushed_for_buffer_fill)
{
  Pool *pool = make(false, true, 1.0);
  MVFF *mvff = mvff_of_pool(pool);
  enum { N = 1024 };               /* exactly one 64 KiB segment */
  static Addr blocks[N];
  Addr base, limit;
  Size total;
  for (size_t i = 0; i < N; ++i)
    ck_assert_int_eq(pool_alloc(&blocks[i], pool, 64), RES_OK);
  total = pool_total_size(pool);
  for (size_t i = 0; i < N; i += 2)       /* the even ones first */
    pool_free(pool, blocks[i], 64);
  for (size_t i = 1; i < N; i += 2)
    pool_free(pool, blocks[i], 64);
  ck_assert_uint_eq(mvff->cache_size, total);
  ck_assert_int_eq(pool->klass->buffer_fill(&base, &limit, pool, NULL, 64), RES_OK);
  ck_assert_uint_eq(mvff->cache_size, 0);
  ck_assert_uint_eq(limit - base, total);  /* the whole, coalesced */
  ck_assert_uint_eq(pool_total_size(pool), total);
  pool->klass->buffer_empty(pool, NULL, base, limit);
  ck_assert(land_verify(&mvff->free_land));
  pool_destroy(pool);
}
END_TEST

#ifndef CONFIG_VAR_RASH
START_TEST(cache_double_free_asserts)
{
  Pool *pool = make(false, true, 1.0);
  Addr a, b;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool_alloc(&b, pool, 64), RES_OK);
  pool_free(pool, a, 64);
  ck_assert_uint_eq(mvff_of_pool(pool)->cache_size, 64);
  pool_free(pool, a, 64);
}
END_TEST
#endif

/* The debug class has no cache: every free reaches the land.  It takes
 * frames too. */
START_TEST(debug_has_no_cache)
{
  Pool *pool;
  mps_arg_s args[2];
  Addr a;
  args[0].key = MPS_KEY_SPARE;
  args[0].val.d = 1.0;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &mvff_debug_class, args), RES_OK);
  Frame *frame = NULL;
  ck_assert_uint_eq(mvff_of_pool(pool)->cache_max, 0);
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  /* frames are ignored by the debug class too: design.mvff.frame */
  ck_assert_int_eq(pool->klass->frame_push(&frame, pool, NULL), RES_OK);
  ck_assert_int_eq(pool->klass->frame_pop(pool, NULL, frame), RES_OK);
  pool_free(pool, a, 64);
  ck_assert_uint_eq(mvff_of_pool(pool)->cache_size, 0);
  ck_assert_uint_eq(pool_free_size(pool), pool_total_size(pool));
  pool_destroy(pool);
}
END_TEST

/* design.mvff.frame: push and pop succeed and free nothing. */
START_TEST(frames_are_ignored)
{
  Pool *pool = make(false, true, 0.75);
  Frame *frame = NULL;
  Addr a;
  Size free_size;
  ck_assert_int_eq(pool_alloc(&a, pool, 64), RES_OK);
  ck_assert_int_eq(pool->klass->frame_push(&frame, pool, NULL), RES_OK);
  free_size = pool_free_size(pool);
  ck_assert_int_eq(pool->klass->frame_pop(pool, NULL, frame), RES_OK);
  ck_assert_uint_eq(pool_free_size(pool), free_size);
  pool_free(pool, a, 64);
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
  tcase_add_test(tc, slot_high_first_fit_takes_low_end_of_highest);
  tcase_add_test(tc, top_down_allocates_downwards);
  tcase_add_test(tc, defaults_allocate_upwards);
  tcase_add_test(tc, arena_high_alone_fills_upwards);
  tcase_add_test(tc, cache_reuses_lifo);
  tcase_add_test(tc, cache_flush_coalesces);
  tcase_add_test(tc, cache_spare_returns_segments);
  tcase_add_test(tc, cache_bounded);
  tcase_add_test(tc, cache_flushed_before_extend);
  tcase_add_test(tc, cache_flushed_for_buffer_fill);
  tcase_add_test(tc, debug_has_no_cache);
  tcase_add_test(tc, frames_are_ignored);
  tcase_add_test(tc, first_fit_false_takes_far_end);
  tcase_add_test(tc, spare_releases_segments);
  tcase_add_test(tc, spare_keeps_fraction);
  tcase_add_test(tc, large_block_own_segment);
  tcase_add_test(tc, buffer_fill_is_worst_fit);
#ifndef CONFIG_VAR_RASH
  tcase_add_test_raise_signal(tc, double_free_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, cache_double_free_asserts, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
