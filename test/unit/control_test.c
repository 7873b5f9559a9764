/* test/unit/control_test.c -- control memory: size classes, alignment,
 * no overlap, pages going back, the commit limit, client arenas.
 * Design: manual/design/arena.rst (design.arena.control) */
#include "arena/arena_impl.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((Size)1 << 20)

static Arena *make_arena(double spare)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 16 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, spare);
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

typedef struct Block {
  unsigned char *p;
  Size size;
  unsigned char fill;
} Block;

/* Allocate blocks of many sizes, fill each with its own byte, check
 * nothing overlaps, free in a scrambled order. */
START_TEST(sizes_alignment_no_overlap)
{
  Arena *arena = make_arena(0.0);
  enum { N = 600 };
  Block *blocks = malloc(N * sizeof *blocks);
  Size base_committed = arena_committed(arena);
  unsigned seed = 99;

  for (int i = 0; i < N; ++i) {
    void *p;
    seed = seed * 1103515245u + 12345u;
    blocks[i].size = 1 + (seed >> 8) % (i % 10 == 0 ? 20000 : 700);
    blocks[i].fill = (unsigned char)(i * 7 + 1);
    ck_assert_int_eq(arena_control_alloc(&p, arena, blocks[i].size), RES_OK);
    ck_assert(addr_is_aligned(ptr_addr(p), 16));
    ck_assert(arena_has_addr(arena, ptr_addr(p)));
    blocks[i].p = p;
    memset(p, blocks[i].fill, blocks[i].size);
  }
  ck_assert(arena_verify(arena));
  ck_assert_uint_gt(arena_committed(arena), base_committed);
  for (int i = 0; i < N; ++i)
    for (Size k = 0; k < blocks[i].size; k += 13)
      ck_assert_uint_eq(blocks[i].p[k], blocks[i].fill);
  for (int step = 0; step < 2; ++step)
    for (int i = step; i < N; i += 2) {
      arena_control_free(arena, blocks[i].p, blocks[i].size);
      if (i % 50 == 0)
        ck_assert(arena_verify(arena));
    }
  /* with no spare kept and the control caches trimmed, everything is
   * back where it started */
  arena_compact(arena);
  ck_assert_uint_eq(arena_committed(arena), base_committed);
  free(blocks);
  drop(arena);
}
END_TEST

START_TEST(reuse_after_free)
{
  Arena *arena = make_arena(0.0);
  void *a, *b, *c;
  ck_assert_int_eq(arena_control_alloc(&a, arena, 100), RES_OK);
  ck_assert_int_eq(arena_control_alloc(&b, arena, 100), RES_OK);
  ck_assert_ptr_ne(a, b);
  arena_control_free(arena, a, 100);
  ck_assert_int_eq(arena_control_alloc(&c, arena, 97), RES_OK);
  ck_assert_ptr_eq(c, a);            /* same class, last freed first */
  arena_control_free(arena, b, 100);
  arena_control_free(arena, c, 97);
  drop(arena);
}
END_TEST

START_TEST(large_blocks_are_pages)
{
  Arena *arena = make_arena(0.0);
  Size grain = arena_grain_size(arena);
  Size committed = arena_committed(arena);
  void *p;
  ck_assert_int_eq(arena_control_alloc(&p, arena, 3 * grain + 1), RES_OK);
  ck_assert(addr_is_aligned(ptr_addr(p), grain));
  ck_assert_uint_eq(arena_committed(arena), committed + 4 * grain);
  memset(p, 9, 3 * grain + 1);
  arena_control_free(arena, p, 3 * grain + 1);
  ck_assert_uint_eq(arena_committed(arena), committed);
  drop(arena);
}
END_TEST

START_TEST(empty_pages_go_back)
{
  Arena *arena = make_arena(0.0);
  Size grain = arena_grain_size(arena);
  enum { N = 2000 };
  void **p = malloc(N * sizeof *p);
  Size committed = arena_committed(arena), peak;

  for (int i = 0; i < N; ++i)
    ck_assert_int_eq(arena_control_alloc(&p[i], arena, 64), RES_OK);
  peak = arena_committed(arena);
  ck_assert_uint_ge(peak - committed, (Size)N * 64);
  for (int i = 0; i < N; ++i)
    arena_control_free(arena, p[i], 64);
  /* all but about two pages' worth go back without compaction */
  ck_assert_uint_le(arena_committed(arena), committed + 2 * grain);
  ck_assert(arena_verify(arena));
  free(p);
  drop(arena);
}
END_TEST

START_TEST(commit_limit_applies)
{
  Arena *arena = make_arena(0.0);
  Size grain = arena_grain_size(arena);
  void *p, *q;
  ck_assert_int_eq(arena_set_commit_limit(arena, arena_committed(arena) + grain), RES_OK);
  ck_assert_int_eq(arena_control_alloc(&p, arena, 64), RES_OK);     /* one page */
  ck_assert_int_eq(arena_control_alloc(&q, arena, 5000), RES_COMMIT_LIMIT);
  ck_assert_int_eq(arena_control_alloc(&q, arena, 200), RES_COMMIT_LIMIT);  /* other class */
  ck_assert_int_eq(arena_control_alloc(&q, arena, 64), RES_OK);    /* same page */
  arena_control_free(arena, q, 64);
  arena_control_free(arena, p, 64);
  drop(arena);
}
END_TEST

START_TEST(client_arena_control)
{
  Size size = 2 * MiB;
  char *block = aligned_alloc(4096, size);
  Arena *arena = NULL;
  void *ps[100];
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, block);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, size);
    res = arena_create(&arena, arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  arena_enter(arena);
  for (int i = 0; i < 100; ++i) {
    ck_assert_int_eq(arena_control_alloc(&ps[i], arena, (Size)(i * 40 + 8)), RES_OK);
    ck_assert(ptr_addr(ps[i]) >= ptr_addr(block) &&
              ptr_addr(ps[i]) + (Size)(i * 40 + 8) <= ptr_addr(block) + size);
  }
  for (int i = 0; i < 100; ++i)
    arena_control_free(arena, ps[i], (Size)(i * 40 + 8));
  drop(arena);
  free(block);
}
END_TEST

START_TEST(destroy_with_block_alive_asserts)
{
  Arena *arena = make_arena(0.0);
  void *p;
  ck_assert_int_eq(arena_control_alloc(&p, arena, 64), RES_OK);
  arena_leave(arena);
#if CONFIG_ASSERT
  arena_destroy(arena);
#else
  raise(SIGABRT);
#endif
}
END_TEST

START_TEST(free_wrong_size_asserts)
{
  Arena *arena = make_arena(0.0);
  void *p;
  ck_assert_int_eq(arena_control_alloc(&p, arena, 64), RES_OK);
#if CONFIG_ASSERT
  arena_control_free(arena, p, 1000);
#else
  raise(SIGABRT);
#endif
}
END_TEST

int main(void)
{
  Suite *s = suite_create("control");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, sizes_alignment_no_overlap);
  tcase_add_test(tc, reuse_after_free);
  tcase_add_test(tc, large_blocks_are_pages);
  tcase_add_test(tc, empty_pages_go_back);
  tcase_add_test(tc, commit_limit_applies);
  tcase_add_test(tc, client_arena_control);
  tcase_add_test_raise_signal(tc, destroy_with_block_alive_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, free_wrong_size_asserts, SIGABRT);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
