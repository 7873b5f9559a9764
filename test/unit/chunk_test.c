/* test/unit/chunk_test.c -- chunks and the page table: address -> chunk
 * -> page -> segment, free-range reuse and coalescing, zones, the chunk
 * treap.  Design: manual/design/chunk.rst */
#include "arena/chunk.h"
#include "arena/seg.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>

#define MiB ((Size)1 << 20)

/* The arena layer never looks inside a Pool; any distinct address will
 * do as an owner. */
static char pool_a_storage[16], pool_b_storage[16];
#define POOL_A ((Pool *)(void *)pool_a_storage)
#define POOL_B ((Pool *)(void *)pool_b_storage)

static Arena *make_vm_arena(Size size, Size grain)
{
  Arena *arena = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    if (size != 0)
      MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, size);
    if (grain != 0)
      MPS_ARGS_ADD(args, MPS_KEY_ARENA_GRAIN_SIZE, grain);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 1.0);
    res = arena_create(&arena, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  arena_enter(arena);
  return arena;
}

static void drop_arena(Arena *arena)
{
  ck_assert(arena_verify(arena));
  arena_leave(arena);
  arena_destroy(arena);
}

static Seg *alloc_seg(Arena *arena, Pool *pool, Size size, const SegPref *pref)
{
  Seg *seg;
  Res res = seg_alloc_in(&seg, arena, &seg_class_base, pool, size, pref, mps_args_none);
  ck_assert_int_eq(res, RES_OK);
  ck_assert(arena_verify(arena));
  return seg;
}

START_TEST(overhead_sizes)
{
  Shift shift = 12;
  /* a chunk of one page has no room for anything */
  ck_assert_uint_eq(chunk_overhead_size(4096, shift, 0), 0);
  ck_assert_uint_eq(chunk_overhead_size(0, shift, 0), 0);
  /* a big chunk's tables take a whole number of pages, a small share */
  {
    Size o = chunk_overhead_size(256 * MiB, shift, 2048);
    ck_assert_uint_ne(o, 0);
    ck_assert(size_is_aligned(o, 4096));
    ck_assert_uint_lt(o, 256 * MiB / 100);
    ck_assert_uint_ge(o, (256 * MiB >> shift) * sizeof(Page));
  }
}
END_TEST

START_TEST(every_page_maps_to_its_seg)
{
  Arena *arena = make_vm_arena(16 * MiB, 0);
  Size grain = arena_grain_size(arena);
  Seg *segs[40];
  Size total = 0;

  for (int i = 0; i < 40; ++i) {
    segs[i] = alloc_seg(arena, i % 2 ? POOL_A : POOL_B, (Size)(1 + i % 7) * grain, NULL);
    total += seg_size(segs[i]);
  }
  for (int i = 0; i < 40; ++i) {
    Seg *seg = segs[i];
    ck_assert(seg_check(seg));
    ck_assert_ptr_eq(seg_pool(seg), i % 2 ? POOL_A : POOL_B);
    ck_assert_ptr_eq(seg->arena, arena);
    for (Addr a = seg_base(seg); a < seg_limit(seg); a += grain / 2) {
      Seg *found = NULL;
      Chunk *chunk;
      ck_assert(arena_seg_of_addr(&found, arena, a));
      ck_assert_ptr_eq(found, seg);
      ck_assert(arena_chunk_of_addr(&chunk, arena, a));
      ck_assert_int_eq(chunk_page(chunk, a)->state, PAGE_SEG);
    }
    ck_assert(arena_has_addr(arena, seg_base(seg)));
  }
  /* the segment memory takes writes */
  for (int i = 0; i < 40; ++i)
    for (Addr a = seg_base(segs[i]); a < seg_limit(segs[i]); a += 512)
      *(Word *)addr_ptr(a) = a;
  for (int i = 0; i < 40; ++i)
    for (Addr a = seg_base(segs[i]); a < seg_limit(segs[i]); a += 512)
      ck_assert_uint_eq(*(Word *)addr_ptr(a), a);
  ck_assert_uint_ge(arena_committed(arena), total);

  for (int i = 0; i < 40; i += 2) {
    Addr base = seg_base(segs[i]);
    Seg *found;
    seg_free(segs[i]);
    ck_assert(!arena_seg_of_addr(&found, arena, base));
    ck_assert(arena_has_addr(arena, base));   /* still the arena's */
  }
  for (int i = 1; i < 40; i += 2)
    seg_free(segs[i]);
  drop_arena(arena);
}
END_TEST

START_TEST(addresses_outside)
{
  Arena *arena = make_vm_arena(4 * MiB, 0);
  Chunk *chunk = arena->primary;
  Seg *seg;
  int local;

  ck_assert(!arena_has_addr(arena, ptr_addr(&local)));
  ck_assert(!arena_has_addr(arena, chunk->base - 1));
  ck_assert(!arena_has_addr(arena, chunk->limit));
  ck_assert(arena_has_addr(arena, chunk->limit - 1));
  ck_assert(!arena_seg_of_addr(&seg, arena, ptr_addr(&local)));
  /* the overhead pages belong to no segment */
  ck_assert(!arena_seg_of_addr(&seg, arena, chunk->base));
  ck_assert_int_eq(chunk_page(chunk, chunk->base)->state, PAGE_OVERHEAD);
  drop_arena(arena);
}
END_TEST

START_TEST(free_ranges_coalesce)
{
  Arena *arena = make_vm_arena(8 * MiB, 0);
  Size grain = arena_grain_size(arena);
  Seg *a, *b, *c, *d;
  Addr a_base;

  a = alloc_seg(arena, POOL_A, 3 * grain, NULL);
  b = alloc_seg(arena, POOL_A, 5 * grain, NULL);
  c = alloc_seg(arena, POOL_A, 2 * grain, NULL);
  /* low-first allocation packs them */
  ck_assert_uint_eq(seg_limit(a), seg_base(b));
  ck_assert_uint_eq(seg_limit(b), seg_base(c));
  a_base = seg_base(a);
  seg_free(a);
  seg_free(b);
  /* the two holes make one run of 8 pages, found before fresh pages */
  d = alloc_seg(arena, POOL_B, 8 * grain, NULL);
  ck_assert_uint_eq(seg_base(d), a_base);
  ck_assert_uint_eq(seg_limit(d), seg_base(c));
  seg_free(c);
  seg_free(d);
  drop_arena(arena);
}
END_TEST

START_TEST(high_preference)
{
  Arena *arena = make_vm_arena(8 * MiB, 0);
  Size grain = arena_grain_size(arena);
  SegPref high = { .high = true, .zones = REFSET_UNIV };
  Seg *lo, *hi;

  lo = alloc_seg(arena, POOL_A, grain, NULL);
  hi = alloc_seg(arena, POOL_A, 2 * grain, &high);
  ck_assert_uint_eq(seg_limit(hi), arena->primary->limit);
  ck_assert_uint_lt(seg_base(lo), seg_base(hi));
  seg_free(lo);
  seg_free(hi);
  drop_arena(arena);
}
END_TEST

START_TEST(zone_preference)
{
  Arena *arena = make_vm_arena(64 * MiB, 0);
  Size grain = arena_grain_size(arena);
  Shift zs = arena_zone_shift(arena);
  Seg *segs[ZONE_COUNT];

  /* 64 MiB / 64 = 1 MiB stripes */
  ck_assert_uint_eq(zs, 20);
  for (unsigned z = 0; z < 8; ++z) {
    unsigned zone = (z * 13 + 5) % ZONE_COUNT;
    SegPref pref = { .high = (z & 1) != 0, .zones = refset_single(zone) };
    segs[z] = alloc_seg(arena, POOL_A, 4 * grain, &pref);
    ck_assert_uint_eq(arena_zone_of(arena, seg_base(segs[z])), zone);
    ck_assert_uint_eq(arena_zone_of(arena, seg_limit(segs[z]) - 1), zone);
    ck_assert(refset_of_range(zs, seg_base(segs[z]), seg_limit(segs[z])) == refset_single(zone));
  }
  /* a preference that cannot be met is only a preference */
  {
    SegPref pref = { .high = false, .zones = refset_single(7) };
    Seg *big = alloc_seg(arena, POOL_A, 3 * ((Size)1 << zs), &pref);
    ck_assert_uint_eq(refset_of_range(zs, seg_base(big), seg_limit(big)) & ~refset_single(7) ? 1 : 0, 1);
    seg_free(big);
  }
  for (unsigned z = 0; z < 8; ++z)
    seg_free(segs[z]);
  drop_arena(arena);
}
END_TEST

/* Zones wrap round again and again in a chunk added later, and zone
 * preferences are met there once the first chunk is full. */
START_TEST(zone_preference_in_new_chunk)
{
  Arena *arena = make_vm_arena(1 * MiB, 0);
  Size grain = arena_grain_size(arena);
  Shift zs = arena_zone_shift(arena);
  Size stripe = (Size)1 << zs;
  enum { MAX_FILL = 512 };
  Seg **fill = malloc(MAX_FILL * sizeof *fill);
  Seg *segs[6];
  RefSet want = refset_single(5) | refset_single(6);
  int n = 0;

  /* the next chunk spans the 64 zones 16 times */
  ck_assert_int_eq(arena_set_growth(arena, 16 * MiB, 0), RES_OK);
  /* fill the first chunk page by page; the last one starts a new chunk */
  while (arena->chunk_count == 1) {
    ck_assert_int_lt(n, MAX_FILL);
    fill[n++] = alloc_seg(arena, POOL_A, grain, NULL);
  }
  ck_assert(!chunk_has_addr(arena->primary, seg_base(fill[n - 1])));
  for (int i = 0; i < 6; ++i) {
    SegPref pref = { .high = (i & 1) != 0, .zones = want };
    segs[i] = alloc_seg(arena, POOL_A, 2 * stripe, &pref);
    ck_assert_msg(arena_zone_of(arena, seg_base(segs[i])) == 5, "seg %d in zone %u", i,
                  arena_zone_of(arena, seg_base(segs[i])));
    ck_assert(refset_of_range(zs, seg_base(segs[i]), seg_limit(segs[i])) == want);
  }
  for (int i = 0; i < 6; ++i)
    seg_free(segs[i]);
  while (n > 0)
    seg_free(fill[--n]);
  free(fill);
  drop_arena(arena);
}
END_TEST

START_TEST(refset_ranges)
{
  Shift zs = 20;
  Addr s = (Addr)1 << zs;
  ck_assert(refset_of_range(zs, 0, 1) == refset_single(0));
  ck_assert(refset_of_range(zs, 3 * s, 5 * s) == (refset_single(3) | refset_single(4)));
  ck_assert(refset_of_range(zs, 3 * s + 5, 5 * s + 1) ==
            (refset_single(3) | refset_single(4) | refset_single(5)));
  /* wrapping round zone 63 -> 0 */
  ck_assert(refset_of_range(zs, 63 * s, 65 * s) == (refset_single(63) | refset_single(0)));
  ck_assert(refset_of_range(zs, 10 * s, 74 * s) == REFSET_UNIV);
  ck_assert(refset_of_range(zs, 10 * s, 73 * s) == (REFSET_UNIV & ~refset_single(9)));
}
END_TEST

/* Many chunks: force growth by small increments, then check the treap
 * and every lookup. */
START_TEST(many_chunks_lookup)
{
  Arena *arena = make_vm_arena(1 * MiB, 0);
  Size grain = arena_grain_size(arena);
  enum { N = 60 };
  Seg *segs[N];
  Ring *node;
  Count count;

  ck_assert_int_eq(arena_set_growth(arena, 2 * MiB, 0), RES_OK);
  for (int i = 0; i < N; ++i)
    segs[i] = alloc_seg(arena, POOL_A, MiB, NULL);
  ck_assert_uint_gt(arena->chunk_count, N / 2);
  ck_assert(chunk_tree_check(arena->chunk_root, &count));
  ck_assert_uint_eq(count, arena->chunk_count);
  for (node = arena->chunk_ring.next; node != &arena->chunk_ring; node = node->next) {
    Chunk *chunk = RING_ELT(Chunk, arena_ring, node), *found;
    ck_assert(arena_chunk_of_addr(&found, arena, chunk->base));
    ck_assert_ptr_eq(found, chunk);
    ck_assert(arena_chunk_of_addr(&found, arena, chunk->limit - 1));
    ck_assert_ptr_eq(found, chunk);
    ck_assert_ptr_eq(chunk_tree_find(arena->chunk_root, chunk->base + grain), chunk);
  }
  for (int i = 0; i < N; ++i) {
    Seg *found;
    ck_assert(arena_seg_of_addr(&found, arena, seg_base(segs[i]) + grain));
    ck_assert_ptr_eq(found, segs[i]);
  }
  for (int i = N - 1; i >= 0; --i)
    seg_free(segs[i]);
  /* empty chunks go back on compaction */
  arena_compact(arena);
  ck_assert_uint_eq(arena->chunk_count, 1);
  ck_assert(chunk_tree_check(arena->chunk_root, &count));
  ck_assert_uint_eq(count, 1);
  drop_arena(arena);
}
END_TEST

START_TEST(big_grain)
{
  Arena *arena = make_vm_arena(32 * MiB, 64 * 1024);
  Seg *seg;
  ck_assert_uint_eq(arena_grain_size(arena), 64 * 1024);
  ck_assert(addr_is_aligned(arena->primary->base, 64 * 1024));
  seg = alloc_seg(arena, POOL_A, 3 * 64 * 1024, NULL);
  ck_assert(addr_is_aligned(seg_base(seg), 64 * 1024));
  seg_free(seg);
  drop_arena(arena);
}
END_TEST

START_TEST(verify_catches_corruption)
{
  Arena *arena = make_vm_arena(4 * MiB, 0);
  Seg *seg = alloc_seg(arena, POOL_A, arena_grain_size(arena), NULL);
  Chunk *chunk;
  ck_assert(arena_chunk_of_addr(&chunk, arena, seg_base(seg)));
  /* a page table record that disagrees with the bit tables */
  chunk_page(chunk, seg_base(seg))->state = PAGE_FREE;
  ck_assert(!chunk_verify(chunk));
  chunk_page(chunk, seg_base(seg))->state = PAGE_SEG;
  ck_assert(chunk_verify(chunk));
  ++chunk->spare_pages;
  ck_assert(!chunk_verify(chunk));
  --chunk->spare_pages;
  seg_free(seg);
  drop_arena(arena);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("chunk");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, overhead_sizes);
  tcase_add_test(tc, every_page_maps_to_its_seg);
  tcase_add_test(tc, addresses_outside);
  tcase_add_test(tc, free_ranges_coalesce);
  tcase_add_test(tc, high_preference);
  tcase_add_test(tc, zone_preference);
  tcase_add_test(tc, zone_preference_in_new_chunk);
  tcase_add_test(tc, refset_ranges);
  tcase_add_test(tc, many_chunks_lookup);
  tcase_add_test(tc, big_grain);
  tcase_add_test(tc, verify_catches_corruption);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
