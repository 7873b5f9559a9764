/* arena/seg.c -- segments: allocation, the page table entries that name
 * them, and the base segment class.
 * Design: manual/design/seg.rst */
#include "arena/seg.h"
#include "arena/arena_impl.h"

bool seg_class_check(const SegClass *klass)
{
  CHECK_SIG(klass, SIG_SEG_CLASS);
  CHECK(klass->name != NULL);
  CHECK(klass->size >= sizeof(Seg));
  CHECK(klass->init != NULL && klass->finish != NULL);
  CHECK(klass->super == NULL || klass->super->sig == SIG_SEG_CLASS);
  /* design.seg.class: only the base class has no superclass */
  CHECK((klass->super == NULL) == (klass == &seg_class_base));
  return true;
}

bool seg_check(const Seg *seg)
{
  CHECK_SIG(seg, SIG_SEG);
  CHECK(seg->klass != NULL && seg->klass->sig == SIG_SEG_CLASS);
  CHECK(seg->pool != NULL);
  CHECK_PARENT(arena, seg->arena);
  CHECK(seg->base < seg->limit);
  CHECK(addr_is_aligned(seg->base, seg->arena->grain_size));
  CHECK(addr_is_aligned(seg->limit, seg->arena->grain_size));
  CHECK(ring_check(&seg->pool_ring));
  CHECK(seg->rank_set < (1u << RANK_LIMIT));
  CHECK(seg->pm <= ACCESS_RW && seg->sm <= ACCESS_RW);
  CHECK_BOOL(seg->queued);
  /* design.shield.inv.expose: an exposed segment is unprotected */
  CHECK(seg->depth == 0 || seg->pm == ACCESS_NONE);
#if CONFIG_CHECK_DEEP
  {
    /* design.seg.inv.pages: the page table names the segment at both
     * ends (all pages would be O(size)). */
    Chunk *chunk;
    CHECK(arena_chunk_of_addr(&chunk, seg->arena, seg->base));
    CHECK(seg->limit <= chunk->limit);
    CHECK(chunk_page(chunk, seg->base)->seg == seg);
    CHECK(chunk_page(chunk, seg->limit - 1)->seg == seg);
  }
#endif
  return true;
}

Res seg_base_init(Seg *seg, Pool *pool, Addr base, Size size, const mps_arg_s args[])
{
  ASSERT(seg != NULL);
  ASSERT(pool != NULL);
  ASSERT_VALID(arena, seg->arena);   /* set by seg_alloc_in */
  UNUSED(args);
  seg->klass = &seg_class_base;
  seg->pool = pool;
  seg->base = base;
  seg->limit = base + size;
  ring_init(&seg->pool_ring);
  ring_init(&seg->grey_ring);
  seg->buffer = NULL;
  seg->rank_set = RANKSET_EMPTY;
  seg->white = 0;
  seg->grey = 0;
  seg->nailed = 0;
  seg->summary = REFSET_EMPTY;
  seg->pm = ACCESS_NONE;
  seg->sm = ACCESS_NONE;
  seg->depth = 0;
  seg->queued = false;
  seg->pool_data = NULL;
  seg->sig = SIG_SEG;
  return RES_OK;
}

void seg_base_finish(Seg *seg)
{
  ASSERT_VALID(seg, seg);
  ASSERT(seg->buffer == NULL);
  ASSERT(seg->depth == 0);
  /* design.shield.inv.free: the shield let go of it (shield_seg_free) */
  ASSERT(seg->pm == ACCESS_NONE && !seg->queued);
  ASSERT(seg->grey == 0 && ring_is_single(&seg->grey_ring));
  seg->sig = SIG_INVALID;
  ring_finish(&seg->pool_ring);
}

const SegClass seg_class_base = {
  .sig = SIG_SEG_CLASS,
  .name = "SEG",
  .super = NULL,
  .size = sizeof(Seg),
  .init = seg_base_init,
  .finish = seg_base_finish,
};

static void seg_pages_name(Chunk *chunk, Addr base, Addr limit, Seg *seg)
{
  Index b = chunk_page_index(chunk, base);
  Index l = b + ((limit - base) >> chunk->page_shift);
  for (Index i = b; i < l; ++i) {
    Page *page = &chunk->page_table[i];
    page->seg = seg;
    page->state = seg != NULL ? PAGE_SEG : PAGE_FREE;
  }
}

Res seg_alloc_in(Seg **seg_o, Arena *arena, const SegClass *klass, Pool *pool, Size size,
                 const SegPref *pref, const mps_arg_s args[])
{
  SegPref dflt = seg_pref_default();
  void *p;
  Seg *seg;
  Addr base;
  Chunk *chunk;
  Res res;

  ASSERT(seg_o != NULL);
  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  ASSERT_VALID(seg_class, klass);
  ASSERT(pool != NULL);
  ASSERT(size > 0 && size_is_aligned(size, arena->grain_size));
  if (pref == NULL)
    pref = &dflt;

  res = arena_control_alloc(&p, arena, klass->size);
  if (res != RES_OK)
    goto fail_control;
  res = arena_pages_alloc(&base, &chunk, arena, size, pref);
  if (res != RES_OK)
    goto fail_pages;
  seg = p;
  seg->sig = SIG_INVALID;
  seg->arena = arena;
  seg_pages_name(chunk, base, base + size, seg);
  res = klass->init(seg, pool, base, size, args);
  if (res != RES_OK)
    goto fail_init;
  seg->klass = klass;    /* design.seg.class: the most derived class */
  ASSERT_VALID(seg, seg);
  *seg_o = seg;
  return RES_OK;

fail_init:
  seg_pages_name(chunk, base, base + size, NULL);
  arena_pages_free(arena, chunk, base, size);
fail_pages:
  arena_control_free(arena, p, klass->size);
fail_control:
  return res;
}

void seg_free(Seg *seg)
{
  Arena *arena;
  const SegClass *klass;
  Addr base, limit;
  Chunk *chunk;
  bool found;

  ASSERT_VALID(seg, seg);
  arena = seg->arena;
  ASSERT(arena_is_locked(arena));
  ASSERT(ring_is_single(&seg->pool_ring));
  klass = seg->klass;
  base = seg->base;
  limit = seg->limit;
  found = arena_chunk_of_addr(&chunk, arena, base);
  ASSERT(found);
  UNUSED(found);

  klass->finish(seg);     /* chains down to seg_base_finish */
  ASSERT(seg->sig == SIG_INVALID);
  seg_pages_name(chunk, base, limit, NULL);
  arena_control_free(arena, seg, klass->size);
  arena_pages_free(arena, chunk, base, limit - base);
}
