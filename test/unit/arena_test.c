/* test/unit/arena_test.c -- arena growth, accounting, the commit limit,
 * spare memory, failure injection and the client arena.
 * Design: manual/design/arena.rst */
#include "arena/arena_impl.h"
#include "arena/seg.h"
#include "platform/vm.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((Size)1 << 20)

static char pool_storage[16];
#define POOL ((Pool *)(void *)pool_storage)

static Arena *vm_arena(Size size, double spare, Size commit_limit)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, size);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, spare);
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, commit_limit);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  ck_assert(arena_verify(arena));
  arena_enter(arena);
  return arena;
}

static void drop(Arena *arena)
{
  ck_assert(arena_verify(arena));
  arena_leave(arena);
  arena_destroy(arena);
}

static Res try_seg(Seg **seg_o, Arena *arena, Size size)
{
  Res res = seg_alloc_in(seg_o, arena, &seg_class_base, POOL, size, NULL, mps_args_none);
  ck_assert(arena_verify(arena));
  return res;
}

static Seg *get_seg(Arena *arena, Size size)
{
  Seg *seg;
  ck_assert_int_eq(try_seg(&seg, arena, size), RES_OK);
  return seg;
}

/* The accounting, all at once, for comparing before and after. */
typedef struct Acct {
  Size reserved, committed, spare, limit;
  Count chunks;
} Acct;

static Acct snapshot(const Arena *arena)
{
  Acct a = { arena_reserved(arena), arena_committed(arena), arena_spare_committed(arena),
             arena_commit_limit(arena), arena->chunk_count };
  return a;
}

static void assert_same(Acct a, Acct b)
{
  ck_assert_uint_eq(a.reserved, b.reserved);
  ck_assert_uint_eq(a.committed, b.committed);
  ck_assert_uint_eq(a.spare, b.spare);
  ck_assert_uint_eq(a.limit, b.limit);
  ck_assert_uint_eq(a.chunks, b.chunks);
}

START_TEST(create_defaults)
{
  Arena *arena = NULL;
  ck_assert_int_eq(arena_create(&arena, arena_class_vm(), mps_args_none), RES_OK);
  ck_assert(arena_verify(arena));
  ck_assert_uint_ge(arena_reserved(arena), CONFIG_ARENA_SIZE_DEFAULT);
  ck_assert_uint_eq(arena_grain_size(arena), vm_page_size());
  ck_assert_uint_eq(arena_commit_limit(arena), SIZE_MAX);
  ck_assert(arena_spare(arena) == CONFIG_SPARE_DEFAULT);
  ck_assert(arena_pause_time(arena) == CONFIG_PAUSE_TIME_DEFAULT);
  ck_assert(arena->incremental);
  ck_assert(arena->zoned);
  /* only the first chunk's tables (and the arena) are committed */
  ck_assert_uint_gt(arena_committed(arena), 0);
  ck_assert_uint_lt(arena_committed(arena), arena_reserved(arena) / 64);
  ck_assert_uint_eq(arena_spare_committed(arena), 0);
  /* the arena struct lives inside its own first chunk */
  ck_assert(arena_has_addr(arena, ptr_addr(arena)));
  ck_assert(!arena_is_locked(arena));
  arena_enter(arena);
  arena_enter(arena);
  ck_assert(arena_is_locked(arena));
  arena_leave(arena);
  arena_leave(arena);
  arena_destroy(arena);
}
END_TEST

/* MPS_KEY_ARENA_INCREMENTAL and MPS_KEY_ARENA_ZONED are kept for the
 * trace and the placement policy. */
START_TEST(incremental_and_zoned_keys)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_INCREMENTAL, 0);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_ZONED, 0);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  ck_assert(!arena->incremental);
  ck_assert(!arena->zoned);
  arena_destroy(arena);
}
END_TEST

START_TEST(small_size_rounds_up)
{
  Arena *arena = vm_arena(1, 0.75, SIZE_MAX);
  ck_assert_uint_ge(arena_reserved(arena), WORD_WIDTH * arena_grain_size(arena));
  drop(arena);
}
END_TEST

START_TEST(grows_beyond_arena_size)
{
  Arena *arena = vm_arena(1 * MiB, 0.75, SIZE_MAX);
  Size first = arena_reserved(arena);
  Seg *segs[24];
  Size total = 0;

  for (int i = 0; i < 24; ++i) {
    segs[i] = get_seg(arena, MiB);
    total += MiB;
    ck_assert_uint_ge(arena_committed(arena), total);
  }
  ck_assert_uint_gt(arena_reserved(arena), first);
  ck_assert_uint_gt(arena->chunk_count, 1);
  /* geometric growth keeps the chunks few */
  ck_assert_uint_le(arena->chunk_count, 8);
  /* one request much bigger than everything so far */
  {
    Seg *big = get_seg(arena, 300 * MiB);
    ck_assert_uint_ge(arena_reserved(arena), total + 300 * MiB);
    memset(addr_ptr(seg_base(big)), 1, 4096);
    seg_free(big);
  }
  for (int i = 0; i < 24; ++i)
    seg_free(segs[i]);
  drop(arena);
}
END_TEST

START_TEST(accounting_each_step)
{
  Arena *arena = vm_arena(16 * MiB, 1.0, SIZE_MAX);
  Size grain = arena_grain_size(arena);
  Size base_committed = arena_committed(arena);
  Seg *segs[16];
  Size live = 0;

  for (int i = 0; i < 16; ++i) {
    Size before = arena_committed(arena);
    segs[i] = get_seg(arena, (Size)(i + 1) * grain);
    live += seg_size(segs[i]);
    /* the pages, plus a control page the first time */
    ck_assert_uint_ge(arena_committed(arena) - before, seg_size(segs[i]));
    ck_assert_uint_le(arena_committed(arena) - before, seg_size(segs[i]) + grain);
  }
  for (int i = 0; i < 16; i += 3) {
    Size committed = arena_committed(arena), spare = arena_spare_committed(arena);
    Size size = seg_size(segs[i]);
    seg_free(segs[i]);
    /* with spare 1.0 the pages stay committed, as spare */
    ck_assert_uint_eq(arena_committed(arena), committed);
    ck_assert_uint_eq(arena_spare_committed(arena), spare + size);
    live -= size;
    segs[i] = NULL;
  }
  ck_assert_uint_ge(arena_committed(arena) - arena_spare_committed(arena), base_committed + live);
  for (int i = 0; i < 16; ++i)
    if (segs[i] != NULL)
      seg_free(segs[i]);
  drop(arena);
}
END_TEST

START_TEST(spare_is_reused_first)
{
  Arena *arena = vm_arena(16 * MiB, 1.0, SIZE_MAX);
  Size grain = arena_grain_size(arena);
  Seg *keep, *a, *b;
  Addr a_base;
  Size committed;

  keep = get_seg(arena, grain);
  a = get_seg(arena, 8 * grain);
  a_base = seg_base(a);
  memset(addr_ptr(a_base), 0x77, 8 * grain);
  seg_free(a);
  ck_assert_uint_eq(arena_spare_committed(arena), 8 * grain);
  committed = arena_committed(arena);
  /* a smaller request takes spare pages, committing nothing new */
  b = get_seg(arena, 3 * grain);
  ck_assert_uint_eq(seg_base(b), a_base);
  ck_assert_uint_eq(arena_committed(arena), committed);
  ck_assert_uint_eq(arena_spare_committed(arena), 5 * grain);
  /* spare pages keep their contents: they were never decommitted */
  ck_assert_int_eq(*(unsigned char *)addr_ptr(a_base), 0x77);
  seg_free(b);
  seg_free(keep);
  drop(arena);
}
END_TEST

START_TEST(spare_fraction_is_kept)
{
  Arena *arena = vm_arena(64 * MiB, 0.5, SIZE_MAX);
  Size grain = arena_grain_size(arena);
  Seg *segs[32];

  for (int i = 0; i < 32; ++i)
    segs[i] = get_seg(arena, 16 * grain);
  for (int i = 0; i < 32; ++i) {
    seg_free(segs[i]);
    /* design.arena.spare: never more than the fraction */
    ck_assert_uint_le(arena_spare_committed(arena), arena_committed(arena) / 2);
    ck_assert(arena_verify(arena));
  }
  ck_assert_uint_gt(arena_spare_committed(arena), 0);
  arena_set_spare(arena, 0.25);
  ck_assert_uint_le(arena_spare_committed(arena), arena_committed(arena) / 4);
  ck_assert(arena_verify(arena));
  arena_set_spare(arena, 0.0);
  ck_assert_uint_eq(arena_spare_committed(arena), 0);
  ck_assert(arena_verify(arena));
  drop(arena);
}
END_TEST

START_TEST(commit_limit_refuses_then_recovers)
{
  Arena *arena = vm_arena(16 * MiB, 0.0, SIZE_MAX);
  Size grain = arena_grain_size(arena);
  Seg *first, *a, *b;
  Acct before;

  first = get_seg(arena, grain);     /* gets the control page in */
  ck_assert_int_eq(arena_set_commit_limit(arena, arena_committed(arena) + 4 * grain), RES_OK);
  a = get_seg(arena, 4 * grain);
  ck_assert_uint_eq(arena_committed(arena), arena_commit_limit(arena));
  before = snapshot(arena);
  ck_assert_int_eq(try_seg(&b, arena, grain), RES_COMMIT_LIMIT);
  assert_same(before, snapshot(arena));      /* nothing changed */
  ck_assert_int_eq(try_seg(&b, arena, 64 * MiB), RES_COMMIT_LIMIT);  /* no growing either */
  assert_same(before, snapshot(arena));
  /* raising the limit makes the arena usable again */
  ck_assert_int_eq(arena_set_commit_limit(arena, SIZE_MAX), RES_OK);
  b = get_seg(arena, grain);
  seg_free(b);
  seg_free(a);
  seg_free(first);
  drop(arena);
}
END_TEST

START_TEST(commit_limit_sheds_spare)
{
  Arena *arena = vm_arena(16 * MiB, 1.0, SIZE_MAX);
  Size grain = arena_grain_size(arena);
  Seg *hold, *a1, *sep, *a2, *b;
  Size limit;

  hold = get_seg(arena, grain);
  a1 = get_seg(arena, 2 * grain);
  sep = get_seg(arena, grain);
  a2 = get_seg(arena, 2 * grain);
  limit = arena_committed(arena);
  ck_assert_int_eq(arena_set_commit_limit(arena, limit), RES_OK);
  seg_free(a1);
  seg_free(a2);              /* two spare runs of 2, the second at the top */
  ck_assert_uint_eq(arena_spare_committed(arena), 4 * grain);
  /* 3 pages: no spare run is long enough; the run from a2 up has 2 spare
   * pages and needs 1 fresh one, which fits under the limit only by
   * decommitting a spare page of a1 */
  b = get_seg(arena, 3 * grain);
  ck_assert_uint_eq(seg_base(b), seg_limit(sep));
  ck_assert_uint_eq(arena_committed(arena), limit);
  ck_assert_uint_eq(arena_spare_committed(arena), grain);
  /* 2 more pages: only 1 spare left to shed, so this cannot be done */
  {
    Seg *c;
    Acct before = snapshot(arena);
    SegPref high = { .high = true, .zones = REFSET_UNIV };
    ck_assert_int_eq(seg_alloc_in(&c, arena, &seg_class_base, POOL, 2 * grain, &high,
                                  mps_args_none), RES_COMMIT_LIMIT);
    assert_same(before, snapshot(arena));
  }
  seg_free(b);
  seg_free(sep);
  seg_free(hold);
  drop(arena);
}
END_TEST

START_TEST(commit_limit_set_below_committed)
{
  Arena *arena = vm_arena(16 * MiB, 1.0, SIZE_MAX);
  Size grain = arena_grain_size(arena);
  Seg *a, *b;
  Size committed;

  a = get_seg(arena, 4 * grain);
  b = get_seg(arena, 4 * grain);
  seg_free(b);
  committed = arena_committed(arena);
  ck_assert_uint_eq(arena_spare_committed(arena), 4 * grain);
  /* below what is in use: refused, nothing changes */
  ck_assert_int_eq(arena_set_commit_limit(arena, committed - 5 * grain), RES_FAIL);
  ck_assert_uint_eq(arena_committed(arena), committed);
  ck_assert_uint_eq(arena_commit_limit(arena), SIZE_MAX);
  /* below committed but reachable by shedding spare: accepted */
  ck_assert_int_eq(arena_set_commit_limit(arena, committed - 3 * grain), RES_OK);
  ck_assert_uint_le(arena_committed(arena), committed - 3 * grain);
  ck_assert_uint_eq(arena_commit_limit(arena), committed - 3 * grain);
  seg_free(a);
  drop(arena);
}
END_TEST

START_TEST(create_refuses_tiny_commit_limit)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 100);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_COMMIT_LIMIT);
  ck_assert_ptr_null(arena);
}
END_TEST

START_TEST(vm_commit_failure_leaves_arena_usable)
{
  Arena *arena = vm_arena(16 * MiB, 0.0, SIZE_MAX);
  Size grain = arena_grain_size(arena);
  Seg *first, *seg;
  Acct before;

  first = get_seg(arena, grain);
  before = snapshot(arena);
  vm_test_fail_after(0);                     /* the next commit fails */
  ck_assert_int_eq(try_seg(&seg, arena, 4 * grain), RES_MEMORY);
  assert_same(before, snapshot(arena));
  seg = get_seg(arena, 4 * grain);           /* and then works */
  memset(addr_ptr(seg_base(seg)), 3, seg_size(seg));
  seg_free(seg);
  seg_free(first);
  drop(arena);
}
END_TEST

START_TEST(vm_reserve_failure_on_growth)
{
  Arena *arena = vm_arena(1 * MiB, 0.0, SIZE_MAX);
  Seg *first, *seg;
  Acct before;

  first = get_seg(arena, arena_grain_size(arena));
  before = snapshot(arena);
  vm_test_fail_after(0);                     /* the chunk reservation fails */
  ck_assert_int_eq(try_seg(&seg, arena, 4 * MiB), RES_RESOURCE);
  assert_same(before, snapshot(arena));
  seg = get_seg(arena, 4 * MiB);
  ck_assert_uint_gt(arena->chunk_count, 1);
  seg_free(seg);
  seg_free(first);
  drop(arena);
}
END_TEST

START_TEST(growth_commit_failure)
{
  Arena *arena = vm_arena(1 * MiB, 0.0, SIZE_MAX);
  Seg *first, *seg;
  Acct before;

  first = get_seg(arena, arena_grain_size(arena));
  before = snapshot(arena);
  vm_test_fail_after(1);          /* reserve works; the tables' commit fails */
  ck_assert_int_eq(try_seg(&seg, arena, 4 * MiB), RES_MEMORY);
  assert_same(before, snapshot(arena));
  vm_test_fail_after(2);          /* reserve, tables; the run's commit fails */
  ck_assert_int_eq(try_seg(&seg, arena, 4 * MiB), RES_MEMORY);
  assert_same(before, snapshot(arena));   /* the new chunk went back */
  seg = get_seg(arena, 4 * MiB);
  seg_free(seg);
  seg_free(first);
  drop(arena);
}
END_TEST

START_TEST(fail_after_env_create)
{
#if CONFIG_FAULT_INJECT
  Arena *arena = NULL;
  /* design.check.fail-after: the reservation succeeds, the commit of
   * the arena's tables fails */
  setenv("LAGOON_FAIL_AFTER", "1", 1);
  ck_assert_int_eq(arena_create(&arena, arena_class_vm(), mps_args_none), RES_MEMORY);
  ck_assert_ptr_null(arena);
  ck_assert_int_eq(arena_create(&arena, arena_class_vm(), mps_args_none), RES_RESOURCE);
#endif
}
END_TEST

START_TEST(fail_after_env_alloc)
{
#if CONFIG_FAULT_INJECT
  Arena *arena;
  Seg *seg;
  Acct before;
  /* The reservation and the tables' commit work; the next VM call (the
   * control page for the segment struct) and every later one fail. */
  setenv("LAGOON_FAIL_AFTER", "2", 1);
  arena = vm_arena(16 * MiB, 0.0, SIZE_MAX);
  before = snapshot(arena);
  ck_assert_int_eq(try_seg(&seg, arena, 4 * arena_grain_size(arena)), RES_MEMORY);
  assert_same(before, snapshot(arena));
  drop(arena);                              /* and it can still be destroyed */
#endif
}
END_TEST

START_TEST(spare_commit_limit_key)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 400 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE_COMMIT_LIMIT, 100 * MiB);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  ck_assert(arena_spare(arena) == 0.25);
  arena_destroy(arena);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 400 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE_COMMIT_LIMIT, 500 * MiB);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  ck_assert(arena_spare(arena) == 1.0);
  arena_destroy(arena);
}
END_TEST

static Size extended_total, contracted_total;
static int extended_calls, contracted_calls;

static void on_extended(mps_arena_t arena, void *base, size_t size)
{
  ck_assert(arena_has_addr(arena, ptr_addr(base)));
  ck_assert(arena_has_addr(arena, ptr_addr(base) + size - 1));
  extended_total += size;
  ++extended_calls;
}

static void on_contracted(mps_arena_t arena, void *base, size_t size)
{
  ck_assert(arena_has_addr(arena, ptr_addr(base)));
  contracted_total += size;
  ++contracted_calls;
}

START_TEST(extended_contracted_callbacks)
{
  Arena *arena = NULL;
  Seg *seg;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 1 * MiB);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.0);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_EXTENDED, (mps_fun_t)on_extended);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CONTRACTED, (mps_fun_t)on_contracted);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  ck_assert_int_eq(extended_calls, 1);
  ck_assert_uint_eq(extended_total, arena_reserved(arena));
  arena_enter(arena);
  seg = get_seg(arena, 8 * MiB);
  ck_assert_int_eq(extended_calls, 2);
  ck_assert_uint_eq(extended_total, arena_reserved(arena));
  seg_free(seg);                 /* spare 0: the empty chunk goes back */
  ck_assert_int_eq(contracted_calls, 1);
  ck_assert_uint_eq(extended_total - contracted_total, arena_reserved(arena));
  arena_leave(arena);
  arena_destroy(arena);
  ck_assert_int_eq(contracted_calls, 2);
  ck_assert_uint_eq(extended_total, contracted_total);
}
END_TEST

START_TEST(growth_settings)
{
  Arena *arena = vm_arena(1 * MiB, 0.0, SIZE_MAX);
  Seg *seg;
  Size before;
  ck_assert_int_eq(arena_set_growth(arena, MiB, 2 * MiB), RES_PARAM);
  ck_assert_int_eq(arena_set_growth(arena, 32 * MiB, MiB), RES_OK);
  before = arena_reserved(arena);
  seg = get_seg(arena, 2 * MiB);
  ck_assert_uint_ge(arena_reserved(arena) - before, 32 * MiB);
  seg_free(seg);
  drop(arena);
}
END_TEST

START_TEST(find_arena_for_addr)
{
  Arena *a = vm_arena(4 * MiB, 0.0, SIZE_MAX), *b = vm_arena(4 * MiB, 0.0, SIZE_MAX);
  Arena *found = NULL;
  int local;
  Seg *seg = get_seg(b, arena_grain_size(b));
  arena_leave(a);
  arena_leave(b);
  ck_assert(arena_find_for_addr(&found, seg_base(seg)));
  ck_assert_ptr_eq(found, b);
  ck_assert(arena_find_for_addr(&found, ptr_addr(a)));
  ck_assert_ptr_eq(found, a);
  ck_assert(!arena_find_for_addr(&found, ptr_addr(&local)));
  arena_enter(b);
  seg_free(seg);
  drop(b);
  arena_destroy(a);
}
END_TEST

/* ---- Client arena ---- */

static void *block_alloc(Size size)
{
  void *p = aligned_alloc(4096, size);
  ck_assert_ptr_nonnull(p);
  return p;
}

static Arena *cl_arena(void *block, Size size)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, block);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, size);
    res = arena_create(&arena, arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  ck_assert(arena_verify(arena));
  arena_enter(arena);
  return arena;
}

START_TEST(client_arena_inside_block)
{
  Size size = 4 * MiB;
  char *block = block_alloc(size);
  Addr lo = ptr_addr(block), hi = lo + size;
  Arena *arena = cl_arena(block, size);
  Size grain = arena_grain_size(arena);
  Seg *segs[64];
  int n = 0;
  Res res;
  void *ctl;

  ck_assert_uint_eq(grain, 8192);
  ck_assert(ptr_addr(arena) >= lo && ptr_addr(arena) < hi);
  ck_assert_uint_le(arena_reserved(arena), size);
  /* allocate until full: every page inside the block */
  for (;;) {
    Seg *seg;
    res = try_seg(&seg, arena, 8 * grain);
    if (res != RES_OK)
      break;
    ck_assert(seg_base(seg) >= lo && seg_limit(seg) <= hi);
    ck_assert(ptr_addr(seg) >= lo && ptr_addr(seg) < hi);   /* its struct too */
    memset(addr_ptr(seg_base(seg)), 0xCC, seg_size(seg));
    ck_assert_int_lt(n, 64);
    segs[n++] = seg;
  }
  /* a full client arena cannot grow by itself */
  ck_assert_int_eq(res, RES_MEMORY);
  ck_assert_int_gt(n, 20);
  ck_assert_uint_eq(arena_spare_committed(arena), 0);
  ck_assert_int_eq(arena_control_alloc(&ctl, arena, 64), RES_OK);
  ck_assert(ptr_addr(ctl) >= lo && ptr_addr(ctl) < hi);
  arena_control_free(arena, ctl, 64);
  {
    /* client arenas keep no spare: freed pages leave committed at once */
    Size committed = arena_committed(arena);
    seg_free(segs[--n]);
    ck_assert_uint_eq(arena_committed(arena), committed - 8 * grain);
    ck_assert_uint_eq(arena_spare_committed(arena), 0);
  }
  while (n > 0)
    seg_free(segs[--n]);
  drop(arena);
  free(block);
}
END_TEST

START_TEST(client_arena_extend)
{
  Size size = 1 * MiB;
  char *block1 = block_alloc(size), *block2 = block_alloc(4 * MiB);
  Arena *arena = cl_arena(block1, size);
  Size reserved = arena_reserved(arena);
  Seg *seg;

  /* too big for the first block */
  ck_assert_int_eq(try_seg(&seg, arena, 2 * MiB), RES_MEMORY);
  ck_assert_int_eq(arena_extend(arena, ptr_addr(block2), 4 * MiB), RES_OK);
  ck_assert_uint_gt(arena_reserved(arena), reserved + 3 * MiB);
  ck_assert_uint_eq(arena->chunk_count, 2);
  seg = get_seg(arena, 2 * MiB);
  ck_assert(seg_base(seg) >= ptr_addr(block2) && seg_limit(seg) <= ptr_addr(block2) + 4 * MiB);
  /* overlapping blocks are refused */
  ck_assert_int_eq(arena_extend(arena, ptr_addr(block2) + MiB, MiB), RES_PARAM);
  ck_assert_int_eq(arena_extend(arena, ptr_addr(block1) + size / 2, 10), RES_PARAM);
  ck_assert_int_eq(arena_extend(arena, 0, MiB), RES_PARAM);
  seg_free(seg);
  drop(arena);
  free(block1);
  free(block2);
}
END_TEST

START_TEST(client_arena_too_small)
{
  static char small[4096] __attribute__((aligned(64)));
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, small);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, sizeof small);
    res = arena_create(&arena, arena_class_cl(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_MEMORY);
  ck_assert_ptr_null(arena);
}
END_TEST

START_TEST(client_arena_unaligned_block)
{
  Size size = 2 * MiB;
  char *block = block_alloc(size + 8192);
  Arena *arena = cl_arena(block + 100, size);
  Chunk *chunk = arena->primary;
  ck_assert(chunk->base >= ptr_addr(block) + 100);
  ck_assert(chunk->limit <= ptr_addr(block) + 100 + size);
  ck_assert(addr_is_aligned(chunk->base, arena_grain_size(arena)));
  ck_assert_uint_lt(arena_reserved(arena), size);
  drop(arena);
  free(block);
}
END_TEST

START_TEST(client_commit_limit)
{
  Size size = 2 * MiB;
  char *block = block_alloc(size);
  Arena *arena = cl_arena(block, size);
  Size grain = arena_grain_size(arena);
  Seg *a, *b;
  a = get_seg(arena, grain);
  ck_assert_int_eq(arena_set_commit_limit(arena, arena_committed(arena) + 2 * grain), RES_OK);
  b = get_seg(arena, 2 * grain);
  ck_assert_int_eq(try_seg(&b, arena, grain), RES_COMMIT_LIMIT);
  ck_assert_int_eq(arena_set_commit_limit(arena, SIZE_MAX), RES_OK);
  seg_free(b);
  seg_free(a);
  drop(arena);
  free(block);
}
END_TEST

START_TEST(destroy_with_pool_asserts)
{
  Arena *arena = vm_arena(4 * MiB, 0.0, SIZE_MAX);
  Ring fake_pool_ring;
  ring_init(&fake_pool_ring);
  ring_append(arena_pool_ring(arena), &fake_pool_ring);
  arena_leave(arena);
#if CONFIG_ASSERT
  arena_destroy(arena);
#else
  raise(SIGABRT);
#endif
}
END_TEST

int main(void)
{
  Suite *s = suite_create("arena");
  TCase *tc = tcase_create("vm");
  TCase *tcl = tcase_create("client");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, create_defaults);
  tcase_add_test(tc, incremental_and_zoned_keys);
  tcase_add_test(tc, small_size_rounds_up);
  tcase_add_test(tc, grows_beyond_arena_size);
  tcase_add_test(tc, accounting_each_step);
  tcase_add_test(tc, spare_is_reused_first);
  tcase_add_test(tc, spare_fraction_is_kept);
  tcase_add_test(tc, commit_limit_refuses_then_recovers);
  tcase_add_test(tc, commit_limit_sheds_spare);
  tcase_add_test(tc, commit_limit_set_below_committed);
  tcase_add_test(tc, create_refuses_tiny_commit_limit);
  tcase_add_test(tc, vm_commit_failure_leaves_arena_usable);
  tcase_add_test(tc, vm_reserve_failure_on_growth);
  tcase_add_test(tc, growth_commit_failure);
  tcase_add_test(tc, fail_after_env_create);
  tcase_add_test(tc, fail_after_env_alloc);
  tcase_add_test(tc, spare_commit_limit_key);
  tcase_add_test(tc, extended_contracted_callbacks);
  tcase_add_test(tc, growth_settings);
  tcase_add_test(tc, find_arena_for_addr);
  tcase_add_test_raise_signal(tc, destroy_with_pool_asserts, SIGABRT);
  suite_add_tcase(s, tc);
  tcase_add_test(tcl, client_arena_inside_block);
  tcase_add_test(tcl, client_arena_extend);
  tcase_add_test(tcl, client_arena_too_small);
  tcase_add_test(tcl, client_arena_unaligned_block);
  tcase_add_test(tcl, client_commit_limit);
  suite_add_tcase(s, tcl);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
