/* test/unit/seg_test.c -- segments: allocation, the base class, subclass
 * chaining, failure unwinding, the page table.
 * Design: manual/design/seg.rst */
#include "arena/arena.h"
#include "arena/seg.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((Size)1 << 20)

static char pool_storage[16];
#define POOL ((Pool *)(void *)pool_storage)

static Arena *make_arena(void)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 8 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.0);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  arena_enter(arena);
  return arena;
}

static void drop(Arena *arena)
{
  ck_assert(arena_verify(arena));
  arena_leave(arena);
  arena_destroy(arena);
}

/* A subclass with a field of its own and counters of the calls. */
typedef struct TestSeg {
  Seg seg;
  Word magic;
  char big[600];        /* a struct bigger than the base */
} TestSeg;

static int init_calls, finish_calls;
static bool fail_init;

static Res test_seg_init(Seg *seg, Pool *pool, Addr base, Size size, const mps_arg_s args[])
{
  TestSeg *ts = (TestSeg *)seg;
  Seg *found;
  Res res = seg_class_base.init(seg, pool, base, size, args);
  if (res != RES_OK)
    return res;
  /* the page table already names the segment during init */
  ck_assert(arena_seg_of_addr(&found, seg->arena, base));
  ck_assert_ptr_eq(found, seg);
  ++init_calls;
  if (fail_init) {
    seg_class_base.finish(seg);
    return RES_LIMIT;
  }
  ts->magic = 0xFEEDFACE;
  memset(ts->big, 1, sizeof ts->big);
  return RES_OK;
}

static void test_seg_finish(Seg *seg)
{
  TestSeg *ts = (TestSeg *)seg;
  ck_assert_uint_eq(ts->magic, 0xFEEDFACE);
  ++finish_calls;
  ts->magic = 0;
  seg_class_base.finish(seg);
}

static const SegClass test_seg_class = {
  .sig = SIG_SEG_CLASS,
  .name = "TEST",
  .super = &seg_class_base,
  .size = sizeof(TestSeg),
  .init = test_seg_init,
  .finish = test_seg_finish,
};

START_TEST(base_fields)
{
  Arena *arena = make_arena();
  Size grain = arena_grain_size(arena);
  Seg *seg;

  ck_assert(seg_class_check(&seg_class_base));
  ck_assert_int_eq(seg_alloc_in(&seg, arena, &seg_class_base, POOL, 3 * grain, NULL,
                                mps_args_none), RES_OK);
  ck_assert(seg_check(seg));
  ck_assert_ptr_eq(seg->klass, &seg_class_base);
  ck_assert_ptr_eq(seg_pool(seg), POOL);
  ck_assert_ptr_eq(seg->arena, arena);
  ck_assert_uint_eq(seg_size(seg), 3 * grain);
  ck_assert(addr_is_aligned(seg_base(seg), grain));
  ck_assert_ptr_null(seg->buffer);
  ck_assert(ring_is_single(&seg->pool_ring));
  ck_assert_uint_eq(seg->rank_set, RANKSET_EMPTY);
  ck_assert_uint_eq(seg->white, 0);
  ck_assert_uint_eq(seg->grey, 0);
  ck_assert_uint_eq(seg->nailed, 0);
  ck_assert(seg->summary == REFSET_EMPTY);
  ck_assert_uint_eq(seg->pm, ACCESS_NONE);
  ck_assert_uint_eq(seg->sm, ACCESS_NONE);
  ck_assert_uint_eq(seg->depth, 0);
  /* the segment's struct is control memory: in the arena, in no seg */
  {
    Seg *found;
    ck_assert(arena_has_addr(arena, ptr_addr(seg)));
    ck_assert(!arena_seg_of_addr(&found, arena, ptr_addr(seg)));
  }
  seg_free(seg);
  drop(arena);
}
END_TEST

START_TEST(subclass_chains)
{
  Arena *arena = make_arena();
  Size grain = arena_grain_size(arena);
  Seg *seg;
  Addr base;

  init_calls = finish_calls = 0;
  fail_init = false;
  ck_assert(seg_class_check(&test_seg_class));
  ck_assert_int_eq(seg_alloc_in(&seg, arena, &test_seg_class, POOL, 2 * grain, NULL,
                                mps_args_none), RES_OK);
  ck_assert_ptr_eq(seg->klass, &test_seg_class);
  ck_assert_uint_eq(((TestSeg *)seg)->magic, 0xFEEDFACE);
  ck_assert(seg_check(seg));
  ck_assert_int_eq(init_calls, 1);
  base = seg_base(seg);
  seg_free(seg);
  ck_assert_int_eq(finish_calls, 1);
  {
    Seg *found;
    ck_assert(!arena_seg_of_addr(&found, arena, base));
  }
  drop(arena);
}
END_TEST

START_TEST(init_failure_unwinds)
{
  Arena *arena = make_arena();
  Size grain = arena_grain_size(arena);
  Seg *keep, *seg = NULL;
  Size committed, reserved;
  Addr next_base;

  /* warm up control memory so its page does not count below */
  ck_assert_int_eq(seg_alloc_in(&keep, arena, &test_seg_class, POOL, grain, NULL,
                                mps_args_none), RES_OK);
  committed = arena_committed(arena);
  reserved = arena_reserved(arena);
  next_base = seg_limit(keep);
  fail_init = true;
  ck_assert_int_eq(seg_alloc_in(&seg, arena, &test_seg_class, POOL, 4 * grain, NULL,
                                mps_args_none), RES_LIMIT);
  ck_assert_ptr_null(seg);
  ck_assert_uint_eq(arena_committed(arena), committed);
  ck_assert_uint_eq(arena_reserved(arena), reserved);
  ck_assert(arena_verify(arena));
  {
    Seg *found;
    ck_assert(!arena_seg_of_addr(&found, arena, next_base));
  }
  fail_init = false;
  ck_assert_int_eq(seg_alloc_in(&seg, arena, &test_seg_class, POOL, 4 * grain, NULL,
                                mps_args_none), RES_OK);
  ck_assert_uint_eq(seg_base(seg), next_base);   /* the pages came back */
  seg_free(seg);
  seg_free(keep);
  drop(arena);
}
END_TEST

START_TEST(many_segs_lookup)
{
  Arena *arena = make_arena();
  Size grain = arena_grain_size(arena);
  enum { N = 200 };
  Seg **segs = malloc(N * sizeof *segs);
  unsigned seed = 12345;

  for (int i = 0; i < N; ++i) {
    seed = seed * 1103515245u + 12345u;
    ck_assert_int_eq(seg_alloc_in(&segs[i], arena, &seg_class_base, POOL,
                                  (Size)(1 + (seed >> 16) % 5) * grain, NULL,
                                  mps_args_none), RES_OK);
  }
  /* free every third, then check every page of the rest */
  for (int i = 0; i < N; i += 3) {
    seg_free(segs[i]);
    segs[i] = NULL;
  }
  ck_assert(arena_verify(arena));
  for (int i = 0; i < N; ++i) {
    if (segs[i] == NULL)
      continue;
    for (Addr a = seg_base(segs[i]); a < seg_limit(segs[i]); a += grain) {
      Seg *found;
      ck_assert(arena_seg_of_addr(&found, arena, a));
      ck_assert_ptr_eq(found, segs[i]);
      ck_assert(arena_seg_of_addr(&found, arena, a + grain - 1));
      ck_assert_ptr_eq(found, segs[i]);
    }
  }
  for (int i = 0; i < N; ++i)
    if (segs[i] != NULL)
      seg_free(segs[i]);
  free(segs);
  drop(arena);
}
END_TEST

START_TEST(free_linked_seg_asserts)
{
  Arena *arena = make_arena();
  Seg *seg;
  Ring owner;
  ck_assert_int_eq(seg_alloc_in(&seg, arena, &seg_class_base, POOL, arena_grain_size(arena),
                                NULL, mps_args_none), RES_OK);
  ring_init(&owner);
  ring_append(&owner, &seg->pool_ring);   /* still on its pool's ring */
#if CONFIG_ASSERT
  seg_free(seg);
#else
  raise(SIGABRT);
#endif
}
END_TEST

START_TEST(unaligned_size_asserts)
{
  Arena *arena = make_arena();
  Seg *seg;
#if CONFIG_ASSERT
  if (seg_alloc_in(&seg, arena, &seg_class_base, POOL, arena_grain_size(arena) + 8, NULL,
                   mps_args_none) == RES_OK)
    ck_abort_msg("unaligned segment size accepted");
#else
  UNUSED(seg);
  UNUSED(arena);
  raise(SIGABRT);
#endif
}
END_TEST

int main(void)
{
  Suite *s = suite_create("seg");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, base_fields);
  tcase_add_test(tc, subclass_chains);
  tcase_add_test(tc, init_failure_unwinds);
  tcase_add_test(tc, many_segs_lookup);
  tcase_add_test_raise_signal(tc, free_linked_seg_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, unaligned_size_asserts, SIGABRT);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
