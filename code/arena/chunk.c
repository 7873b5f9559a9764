/* arena/chunk.c -- chunk layout, page tables, free-page tables and the
 * chunk treap.
 * Design: manual/design/chunk.rst */
#include "arena/chunk.h"

#define CHUNK_HEADER_ALIGN ((Size)16)

static Size chunk_header_size(void)
{
  return size_align_up(sizeof(Chunk), CHUNK_HEADER_ALIGN);
}

Addr chunk_extra_addr(Addr base)
{
  return base + chunk_header_size();
}

/* design.chunk.overhead: header, extra, page table, two bit tables. */
static Size chunk_table_bytes(Size extra, Count pages)
{
  return chunk_header_size() + size_align_up(extra, CHUNK_HEADER_ALIGN) +
         size_align_up(pages * sizeof(Page), sizeof(Word)) + 2 * bt_size(pages);
}

Size chunk_overhead_size(Size size, Shift page_shift, Size extra)
{
  Count pages = size >> page_shift;
  Size bytes, overhead;

  if (pages == 0)
    return 0;
  bytes = chunk_table_bytes(extra, pages);
  overhead = size_align_up(bytes, (Size)1 << page_shift);
  if (overhead < bytes || (overhead >> page_shift) >= pages)
    return 0;   /* design.chunk.overhead.min: at least one usable page */
  return overhead;
}

Chunk *chunk_init(Arena *arena, Addr base, Addr limit, Size overhead, Size extra,
                  const VM *vm)
{
  Chunk *chunk = addr_ptr(base);
  Shift shift = arena->grain_shift;
  Count pages = (limit - base) >> shift;
  Addr p;

  ASSERT(addr_is_aligned(base, arena->grain_size));
  ASSERT(addr_is_aligned(limit, arena->grain_size));
  ASSERT(base < limit);
  ASSERT(size_is_aligned(overhead, arena->grain_size));
  ASSERT(overhead < limit - base);

  chunk->arena = arena;
  chunk->base = base;
  chunk->limit = limit;
  chunk->page_shift = shift;
  chunk->page_count = pages;
  chunk->overhead_pages = overhead >> shift;

  /* The extra bytes (the arena struct) sit right after the header and
   * belong to the caller; the tables follow them. */
  p = chunk_extra_addr(base) + size_align_up(extra, CHUNK_HEADER_ALIGN);
  chunk->page_table = addr_ptr(p);
  p += size_align_up(pages * sizeof(Page), sizeof(Word));
  chunk->alloc_table = addr_ptr(p);
  p += bt_size(pages);
  chunk->nospare_table = addr_ptr(p);
  p += bt_size(pages);
  ASSERT(p <= base + overhead);

  /* design.chunk.page.zero: a free page's record is all zeros.  A VM
   * chunk's tables are freshly committed, so they read as zero already:
   * writing them would only make every page of a big page table
   * resident.  A client's block holds whatever it held. */
  _Static_assert(PAGE_FREE == 0, "free page records must be zero");
  for (Index i = 0; i < (vm != NULL ? chunk->overhead_pages : pages); ++i) {
    Page *page = &chunk->page_table[i];
    page->seg = NULL;
    page->live = 0;
    page->state = i < chunk->overhead_pages ? PAGE_OVERHEAD : PAGE_FREE;
    page->klass = 0;
  }
  /* Overhead pages are allocated (so never found free) and not spare;
   * all the others are free and uncommitted. */
  if (vm == NULL)
    bt_reset_all(chunk->alloc_table, pages);
  bt_set_range(chunk->alloc_table, 0, chunk->overhead_pages);
  bt_set_all(chunk->nospare_table, pages);
  chunk->alloc_pages = chunk->overhead_pages;
  chunk->spare_pages = 0;

  ring_init(&chunk->arena_ring);
  chunk->left = chunk->right = NULL;
  /* design.chunk.lookup.treap: a hash of the address for a priority. */
  chunk->priority = (uint32_t)(((uint64_t)(base >> shift) * 0x9E3779B97F4A7C15ull) >> 32);
  chunk->has_vm = vm != NULL;
  if (vm != NULL)
    chunk->vm = *vm;
  else
    chunk->vm.sig = SIG_INVALID;
  chunk->sig = SIG_CHUNK;
  ASSERT_VALID(chunk, chunk);
  return chunk;
}

void chunk_finish(Chunk *chunk)
{
  ASSERT_VALID(chunk, chunk);
  ASSERT(ring_is_single(&chunk->arena_ring));
  chunk->sig = SIG_INVALID;
  ring_finish(&chunk->arena_ring);
}

bool chunk_check(const Chunk *chunk)
{
  CHECK_SIG(chunk, SIG_CHUNK);
  CHECK_PARENT(arena, chunk->arena);
  CHECK(chunk->base < chunk->limit);
  CHECK(addr_is_aligned(chunk->base, (Size)1 << chunk->page_shift));
  CHECK(chunk->page_count == (chunk->limit - chunk->base) >> chunk->page_shift);
  CHECK(chunk->overhead_pages > 0 && chunk->overhead_pages < chunk->page_count);
  CHECK(chunk->alloc_pages >= chunk->overhead_pages);
  CHECK(chunk->alloc_pages <= chunk->page_count);
  /* design.chunk.inv.spare-free: spare pages are free pages */
  CHECK(chunk->spare_pages <= chunk->page_count - chunk->alloc_pages);
  CHECK(ptr_addr(chunk->page_table) > chunk->base);
  CHECK(ptr_addr(chunk->nospare_table) < chunk_page_addr(chunk, chunk->overhead_pages));
  if (chunk->has_vm) {
    CHECK(vm_check(&chunk->vm));
    CHECK(vm_base(&chunk->vm) == chunk->base);
    CHECK(vm_limit(&chunk->vm) == chunk->limit);
  }
  return true;
}

bool chunk_verify(const Chunk *chunk)
{
  Count alloc, spare = 0;

  CHECK(chunk_check(chunk));
  alloc = bt_count_set(chunk->alloc_table, 0, chunk->page_count);
  CHECK(alloc == chunk->alloc_pages);
  CHECK(bt_is_set_range(chunk->alloc_table, 0, chunk->overhead_pages));
  for (Index i = 0; i < chunk->page_count; ++i) {
    const Page *page = &chunk->page_table[i];
    bool allocated = bt_get(chunk->alloc_table, i);
    bool nospare = bt_get(chunk->nospare_table, i);
    /* design.chunk.inv.tables */
    CHECK(allocated || page->state == PAGE_FREE);
    CHECK(!allocated || page->state != PAGE_FREE);
    CHECK(!allocated || nospare);
    CHECK((page->seg != NULL) == (page->state == PAGE_SEG));
    CHECK((i < chunk->overhead_pages) == (page->state == PAGE_OVERHEAD));
    if (!nospare)
      ++spare;
  }
  CHECK(spare == chunk->spare_pages);
  return true;
}

void chunk_pages_alloc(Chunk *chunk, Index base, Index limit, Count *spare_o)
{
  Count n = limit - base;
  Count nonspare;

  ASSERT_CRIT(base < limit && limit <= chunk->page_count);
  ASSERT_CRIT(bt_is_reset_range(chunk->alloc_table, base, limit));
  nonspare = bt_count_set(chunk->nospare_table, base, limit);
  bt_set_range(chunk->alloc_table, base, limit);
  bt_set_range(chunk->nospare_table, base, limit);
  chunk->alloc_pages += n;
  chunk->spare_pages -= n - nonspare;
  *spare_o = n - nonspare;
}

void chunk_pages_free_spare(Chunk *chunk, Index base, Index limit)
{
  Count n = limit - base;

  ASSERT_CRIT(base < limit && limit <= chunk->page_count);
  ASSERT_CRIT(base >= chunk->overhead_pages);
  ASSERT_CRIT(bt_is_set_range(chunk->alloc_table, base, limit));
  bt_reset_range(chunk->alloc_table, base, limit);
  bt_reset_range(chunk->nospare_table, base, limit);
  chunk->alloc_pages -= n;
  chunk->spare_pages += n;
}

void chunk_pages_unspare(Chunk *chunk, Index base, Index limit)
{
  ASSERT_CRIT(base < limit && limit <= chunk->page_count);
  ASSERT_CRIT(bt_is_reset_range(chunk->nospare_table, base, limit));
  bt_set_range(chunk->nospare_table, base, limit);
  chunk->spare_pages -= limit - base;
}

/* ---- The chunk treap: design.chunk.lookup ----
 * A binary search tree on base, and a max-heap on priority.  Chunks
 * never overlap, so a lookup compares the address with one chunk's
 * bounds per level.  Insert and delete recurse to a depth of O(log n)
 * expected; n is the number of chunks, which stays small. */

static Chunk *chunk_rotate_right(Chunk *t)
{
  Chunk *l = t->left;
  t->left = l->right;
  l->right = t;
  return l;
}

static Chunk *chunk_rotate_left(Chunk *t)
{
  Chunk *r = t->right;
  t->right = r->left;
  r->left = t;
  return r;
}

static Chunk *chunk_treap_insert(Chunk *t, Chunk *chunk)
{
  if (t == NULL)
    return chunk;
  ASSERT(chunk->limit <= t->base || t->limit <= chunk->base);
  if (chunk->base < t->base) {
    t->left = chunk_treap_insert(t->left, chunk);
    if (t->left->priority > t->priority)
      t = chunk_rotate_right(t);
  } else {
    t->right = chunk_treap_insert(t->right, chunk);
    if (t->right->priority > t->priority)
      t = chunk_rotate_left(t);
  }
  return t;
}

static Chunk *chunk_treap_delete(Chunk *t, Chunk *chunk)
{
  ASSERT(t != NULL);
  if (t == chunk) {
    if (t->left == NULL)
      return t->right;
    if (t->right == NULL)
      return t->left;
    if (t->left->priority > t->right->priority) {
      t = chunk_rotate_right(t);
      t->right = chunk_treap_delete(t->right, chunk);
    } else {
      t = chunk_rotate_left(t);
      t->left = chunk_treap_delete(t->left, chunk);
    }
    return t;
  }
  if (chunk->base < t->base)
    t->left = chunk_treap_delete(t->left, chunk);
  else
    t->right = chunk_treap_delete(t->right, chunk);
  return t;
}

void chunk_tree_insert(Chunk **root, Chunk *chunk)
{
  ASSERT(chunk->left == NULL && chunk->right == NULL);
  *root = chunk_treap_insert(*root, chunk);
}

void chunk_tree_delete(Chunk **root, Chunk *chunk)
{
  *root = chunk_treap_delete(*root, chunk);
  chunk->left = chunk->right = NULL;
}

Chunk *chunk_tree_find(Chunk *root, Addr addr)
{
  Chunk *t = root;
  while (t != NULL) {
    if (addr < t->base)
      t = t->left;
    else if (addr >= t->limit)
      t = t->right;
    else
      return t;
  }
  return NULL;
}

static bool chunk_treap_check(const Chunk *t, Addr lo, Addr hi, Count *count)
{
  if (t == NULL)
    return true;
  CHECK(t->sig == SIG_CHUNK);
  CHECK(lo <= t->base && t->limit <= hi);
  CHECK(t->left == NULL || t->left->priority <= t->priority);
  CHECK(t->right == NULL || t->right->priority <= t->priority);
  ++*count;
  return chunk_treap_check(t->left, lo, t->base, count) &&
         chunk_treap_check(t->right, t->limit, hi, count);
}

bool chunk_tree_check(const Chunk *root, Count *count_o)
{
  Count n = 0;
  CHECK(chunk_treap_check(root, 0, ADDR_MAX, &n));
  *count_o = n;
  return true;
}
