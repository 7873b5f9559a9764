/* arena/chunk.h -- chunks: one reservation (or client block) each, with
 * its page table and free-page tables.
 * Design: manual/design/chunk.rst
 *
 * A chunk describes itself: its first pages (the overhead) hold the Chunk
 * struct, the arena struct too in the arena's first chunk, the page
 * table and two bit tables.  Those pages are committed while the chunk
 * lives, count as committed memory, and are marked allocated so no
 * search ever hands them out (design.chunk.overhead). */
#ifndef LAGOON_ARENA_CHUNK_H
#define LAGOON_ARENA_CHUNK_H

#include "arena/arena.h"
#include "base/bt.h"
#include "platform/vm.h"

#define chunk_sig_value SIG_CHUNK

/* What a page is doing: design.chunk.page.state */
enum {
  PAGE_FREE = 0,       /* free: spare or uncommitted, see nospare_table */
  PAGE_OVERHEAD,       /* the chunk's own header and tables */
  PAGE_SEG,            /* part of segment page->seg */
  PAGE_CONTROL         /* control memory: design.arena.control */
};

/* One record per page (grain).  design.chunk.page.record: address ->
 * chunk -> page -> seg is a subtraction, a shift and a load. */
typedef struct Page {
  Seg *seg;            /* PAGE_SEG: the segment; else NULL */
  uint32_t live;       /* PAGE_CONTROL, small blocks: blocks in use */
  uint8_t state;       /* PAGE_* */
  uint8_t klass;       /* PAGE_CONTROL: size class or CONTROL_CLASS_LARGE */
} Page;

struct Chunk {
  Sig sig;             /* SIG_CHUNK, set last by chunk_init */
  Arena *arena;
  Addr base, limit;    /* the whole chunk, grain-aligned */
  Shift page_shift;    /* = the arena's grain shift */
  Count page_count;    /* pages in [base, limit) */
  Count overhead_pages;/* pages [0, overhead_pages) are PAGE_OVERHEAD */
  Page *page_table;    /* page_count records */
  /* design.chunk.tables: alloc bit set <=> page allocated (overhead,
   * seg or control); nospare bit reset <=> page free and committed
   * (spare).  So a free page with its nospare bit set is uncommitted. */
  Word *alloc_table;
  Word *nospare_table;
  Count alloc_pages;   /* set bits in alloc_table, overhead included */
  Count spare_pages;   /* reset bits in nospare_table */
  Ring arena_ring;     /* arena->chunk_ring, in address order */
  Chunk *left, *right; /* the arena's chunk treap: design.chunk.lookup */
  uint32_t priority;
  bool has_vm;         /* VM chunks; client blocks have none */
  VM vm;               /* the reservation, when has_vm */
};

/* Bytes of overhead for a chunk of `size` bytes with pages of
 * 1 << page_shift bytes, when `extra` bytes (the arena struct) also live
 * in it; a whole number of pages.  0 if the chunk would have no page
 * left over (design.chunk.overhead.min). */
Size chunk_overhead_size(Size size, Shift page_shift, Size extra);
/* Where the extra bytes go in a chunk starting at base. */
Addr chunk_extra_addr(Addr base);

/* Lay out a chunk over [base, limit), whose first `overhead` bytes
 * (from chunk_overhead_size with the same extra) are committed; vm (may
 * be NULL) is copied in, and when it is given the tables must read as
 * zero, as freshly committed memory does (design.chunk.page.zero).  The
 * page size is the arena's grain, which must be set.  Cannot fail. */
Chunk *chunk_init(Arena *arena, Addr base, Addr limit, Size overhead, Size extra,
                  const VM *vm);
/* Invalidate the chunk.  Its memory is the caller's to release. */
void chunk_finish(Chunk *chunk);
bool chunk_check(const Chunk *chunk);
/* Recount the tables and compare with the counters: O(pages).  For
 * tests and arena_verify. */
bool chunk_verify(const Chunk *chunk);

static inline Index chunk_page_index(const Chunk *chunk, Addr addr)
{
  ASSERT_CRIT(chunk->base <= addr && addr < chunk->limit);
  return (addr - chunk->base) >> chunk->page_shift;
}
static inline Addr chunk_page_addr(const Chunk *chunk, Index i)
{
  ASSERT_CRIT(i <= chunk->page_count);
  return chunk->base + ((Addr)i << chunk->page_shift);
}
static inline Page *chunk_page(const Chunk *chunk, Addr addr)
{
  return &chunk->page_table[chunk_page_index(chunk, addr)];
}
static inline bool chunk_has_addr(const Chunk *chunk, Addr addr)
{
  return chunk->base <= addr && addr < chunk->limit;
}
static inline Size chunk_size(const Chunk *chunk) { return chunk->limit - chunk->base; }
/* Is every page but the overhead free (spare or not)? */
static inline bool chunk_is_empty(const Chunk *chunk)
{
  return chunk->alloc_pages == chunk->overhead_pages;
}

/* The chunk treap keyed on address: design.chunk.lookup.  The root
 * lives in the arena.  Lookups never write the tree. */
void chunk_tree_insert(Chunk **root, Chunk *chunk);
void chunk_tree_delete(Chunk **root, Chunk *chunk);
Chunk *chunk_tree_find(Chunk *root, Addr addr);
bool chunk_tree_check(const Chunk *root, Count *count_o);

/* Mark pages [base, limit) (indexes) allocated.  spare_o gets how many
 * of them were spare; the rest were uncommitted (the caller commits
 * them before it calls this). */
void chunk_pages_alloc(Chunk *chunk, Index base, Index limit, Count *spare_o);
/* Mark pages free and spare (still committed). */
void chunk_pages_free_spare(Chunk *chunk, Index base, Index limit);
/* Mark spare pages [base, limit) uncommitted (the caller decommits). */
void chunk_pages_unspare(Chunk *chunk, Index base, Index limit);

#endif /* LAGOON_ARENA_CHUNK_H */
