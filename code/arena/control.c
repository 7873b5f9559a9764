/* arena/control.c -- control memory: small blocks for the library's own
 * structures, carved from pages the arena allocates to itself.
 * Design: manual/design/arena.rst (design.arena.control)
 *
 * Small requests are served from size classes.  Each class has a ring of
 * free blocks; a control page holds blocks of one class only, and its
 * page record counts the live ones, so a page that empties can go back
 * to the arena.  Requests above a quarter of a grain get whole pages. */
#include "arena/arena_impl.h"

/* design.arena.control.class: multiples of 16 growing by about a
 * quarter, so no more than a fifth of a block is wasted. */
static const Size control_class_size[CONTROL_CLASS_COUNT] = {
  16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256,
  320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048
};

#define CONTROL_ALIGN ((Size)16)

static Count control_blocks_per_page(const Arena *arena, unsigned klass)
{
  return arena->grain_size / control_class_size[klass];
}

/* The class for size, or CONTROL_CLASS_LARGE for whole pages. */
static unsigned control_class_of(const Arena *arena, Size size)
{
  for (unsigned c = 0; c < CONTROL_CLASS_COUNT; ++c) {
    if (control_class_size[c] > arena->grain_size / 4)
      break;
    if (size <= control_class_size[c])
      return c;
  }
  return CONTROL_CLASS_LARGE;
}

void arena_control_init(Arena *arena)
{
  for (unsigned c = 0; c < CONTROL_CLASS_COUNT; ++c) {
    ring_init(&arena->control_free[c]);
    arena->control_free_count[c] = 0;
  }
  arena->control_in_use = 0;
}

/* Give an emptied page of class c back to the arena, taking its blocks
 * off the free ring.  With prune, the arena's spare policy runs and may
 * release the chunk; without, the page just becomes spare. */
static void control_page_release(Arena *arena, Chunk *chunk, Addr page_base, unsigned c,
                                 bool prune)
{
  Page *page = chunk_page(chunk, page_base);
  Count per_page = control_blocks_per_page(arena, c);

  ASSERT(page->state == PAGE_CONTROL && page->klass == c && page->live == 0);
  for (Index k = 0; k < per_page; ++k)
    ring_remove(addr_ptr(page_base + k * control_class_size[c]));
  arena->control_free_count[c] -= per_page;
  page->state = PAGE_FREE;
  page->klass = 0;
  if (prune)
    arena_pages_free(arena, chunk, page_base, arena->grain_size);
  else
    arena_pages_to_spare(arena, chunk, page_base, arena->grain_size);
}

/* Return every control page with no live block, as spare.  Such a
 * page has all its blocks on its class's free ring, so walking the rings
 * finds them all. */
static void control_trim(Arena *arena)
{
  for (unsigned c = 0; c < CONTROL_CLASS_COUNT; ++c) {
    Ring *head = &arena->control_free[c];
    Ring *node = head->next;
    while (node != head) {
      Chunk *chunk;
      Page *page;
      Addr page_base = addr_align_down(ptr_addr(node), arena->grain_size);
      Ring *next = node->next;
      bool found = arena_chunk_of_addr(&chunk, arena, ptr_addr(node));
      ASSERT(found);
      UNUSED(found);
      page = chunk_page(chunk, page_base);
      if (page->live == 0) {
        /* step past the blocks that are about to leave the ring */
        while (next != head && addr_align_down(ptr_addr(next), arena->grain_size) == page_base)
          next = next->next;
        control_page_release(arena, chunk, page_base, c, false);
      }
      node = next;
    }
  }
  arena_spare_policy(arena);
}

void arena_control_trim(Arena *arena)
{
  ASSERT(arena_is_locked(arena));
  control_trim(arena);
}

void arena_control_finish(Arena *arena)
{
  /* design.arena.control.finish: every block must have been freed; the
   * pages still held are the ones kept for reuse. */
  ASSERT(arena->control_in_use == 0);
  control_trim(arena);
  for (unsigned c = 0; c < CONTROL_CLASS_COUNT; ++c) {
    ASSERT(ring_is_empty(&arena->control_free[c]));
    ASSERT(arena->control_free_count[c] == 0);
  }
}

static Res control_alloc_pages(Addr *base_o, Chunk **chunk_o, Arena *arena, Size size)
{
  SegPref pref = seg_pref_default();   /* low addresses: design.arena.control.low */
  return arena_pages_alloc(base_o, chunk_o, arena, size, &pref);
}

static Res control_refill(Arena *arena, unsigned c)
{
  Addr base;
  Chunk *chunk;
  Page *page;
  Count per_page = control_blocks_per_page(arena, c);
  Res res;

  res = control_alloc_pages(&base, &chunk, arena, arena->grain_size);
  if (res != RES_OK)
    return res;
  page = chunk_page(chunk, base);
  page->state = PAGE_CONTROL;
  page->klass = (uint8_t)c;
  page->live = 0;
  for (Index k = 0; k < per_page; ++k) {
    Ring *block = addr_ptr(base + k * control_class_size[c]);
    ring_init(block);
    ring_append(&arena->control_free[c], block);
  }
  arena->control_free_count[c] += per_page;
  return RES_OK;
}

Res arena_control_alloc(void **p_o, Arena *arena, Size size)
{
  unsigned c;
  Ring *block;
  Chunk *chunk;
  Res res;

  ASSERT(p_o != NULL);
  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  ASSERT(size > 0);

  c = control_class_of(arena, size);
  if (c == CONTROL_CLASS_LARGE) {
    Size pages_size = size_align_up(size, arena->grain_size);
    Addr base;
    if (pages_size < size)
      return RES_MEMORY;
    res = control_alloc_pages(&base, &chunk, arena, pages_size);
    if (res != RES_OK)
      return res;
    for (Addr a = base; a < base + pages_size; a += arena->grain_size) {
      Page *page = chunk_page(chunk, a);
      page->state = PAGE_CONTROL;
      page->klass = CONTROL_CLASS_LARGE;
      page->live = 1;
    }
    arena->control_in_use += pages_size;
    *p_o = addr_ptr(base);
    return RES_OK;
  }

  if (ring_is_empty(&arena->control_free[c])) {
    res = control_refill(arena, c);
    if (res != RES_OK)
      return res;
  }
  block = arena->control_free[c].next;
  ring_remove(block);
  --arena->control_free_count[c];
  (void)arena_chunk_of_addr(&chunk, arena, ptr_addr(block));
  ++chunk_page(chunk, ptr_addr(block))->live;
  arena->control_in_use += control_class_size[c];
  ASSERT_CRIT(addr_is_aligned(ptr_addr(block), CONTROL_ALIGN));
  *p_o = block;
  return RES_OK;
}

void arena_control_free(Arena *arena, void *p, Size size)
{
  Addr addr = ptr_addr(p);
  Chunk *chunk;
  Page *page;
  unsigned c;
  bool found;

  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  ASSERT(p != NULL && size > 0);
  found = arena_chunk_of_addr(&chunk, arena, addr);
  ASSERT(found);
  UNUSED(found);
  page = chunk_page(chunk, addr);
  ASSERT(page->state == PAGE_CONTROL);
  c = control_class_of(arena, size);
  ASSERT(page->klass == c);

  if (c == CONTROL_CLASS_LARGE) {
    Size pages_size = size_align_up(size, arena->grain_size);
    ASSERT(addr_is_aligned(addr, arena->grain_size));
    for (Addr a = addr; a < addr + pages_size; a += arena->grain_size) {
      Page *pg = chunk_page(chunk, a);
      ASSERT(pg->state == PAGE_CONTROL && pg->klass == CONTROL_CLASS_LARGE);
      pg->state = PAGE_FREE;
      pg->klass = 0;
      pg->live = 0;
    }
    arena->control_in_use -= pages_size;
    arena_pages_free(arena, chunk, addr, pages_size);
    return;
  }

  ASSERT(page->live > 0);
  ASSERT((addr - addr_align_down(addr, arena->grain_size)) % control_class_size[c] == 0);
  ring_init(p);
  /* LIFO: the block just freed is the warmest. */
  ring_insert_after(&arena->control_free[c], p);
  ++arena->control_free_count[c];
  arena->control_in_use -= control_class_size[c];
  --page->live;
  /* design.arena.control.release: an empty page goes back to the arena
   * while another page's worth of free blocks remains in the class, so
   * a class at the edge of needing a page does not churn. */
  if (page->live == 0 &&
      arena->control_free_count[c] >= 2 * control_blocks_per_page(arena, c))
    control_page_release(arena, chunk, addr_align_down(addr, arena->grain_size), c, true);
}
