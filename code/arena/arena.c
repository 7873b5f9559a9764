/* arena/arena.c -- the generic arena: creation, the lock, chunk lookup,
 * page allocation with zones and spare memory, accounting and the commit
 * limit.
 * Design: manual/design/arena.rst */
#include "arena/arena_impl.h"
#include "arena/seg.h"
#include "base/args.h"

#include <math.h>

/* ---- Classes and parameters ---- */

bool arena_class_check(const ArenaClass *klass)
{
  CHECK(klass != NULL);
  CHECK(klass->sig == SIG_ARENA_CLASS);
  CHECK(klass->name != NULL);
  CHECK(klass->create != NULL && klass->destroy != NULL);
  CHECK(klass->grow != NULL && klass->extend != NULL);
  CHECK(klass->commit != NULL && klass->decommit != NULL);
  CHECK(klass->varargs != NULL);
  return true;
}

Res arena_params_read(ArenaParams *params, const mps_arg_s args[])
{
  mps_arg_s arg;
  bool have_spare = false;

  if (args_find(&arg, args, MPS_KEY_ARENA_SIZE))
    params->size = arg.val.size;
  if (args_find(&arg, args, MPS_KEY_ARENA_GRAIN_SIZE)) {
    /* design.arena.grain: a power of two; the class may round it up. */
    if (!size_is_p2(arg.val.size))
      return RES_PARAM;
    params->grain_size = arg.val.size;
  }
  if (args_find(&arg, args, MPS_KEY_COMMIT_LIMIT))
    params->commit_limit = arg.val.size;
  if (args_find(&arg, args, MPS_KEY_SPARE)) {
    /* design.arena.spare: a fraction; NaN fails the test too. */
    if (!(arg.val.d >= 0.0 && arg.val.d <= 1.0))
      return RES_PARAM;
    params->spare = arg.val.d;
    have_spare = true;
  }
  if (args_find(&arg, args, MPS_KEY_SPARE_COMMIT_LIMIT) && !have_spare) {
    /* Deprecated: bytes relative to the commit limit, 1.0 if above it. */
    Size scl = arg.val.size;
    params->spare = scl >= params->commit_limit ? 1.0
                    : (double)scl / (double)params->commit_limit;
  }
  if (args_find(&arg, args, MPS_KEY_PAUSE_TIME)) {
    if (!(arg.val.d >= 0.0))
      return RES_PARAM;
    params->pause_time = arg.val.d;
  }
  if (args_find(&arg, args, MPS_KEY_ARENA_ZONED))
    params->zoned = arg.val.b != 0;
  if (args_find(&arg, args, MPS_KEY_ARENA_INCREMENTAL))
    params->incremental = arg.val.b != 0;
  if (args_find(&arg, args, MPS_KEY_ARENA_EXTENDED))
    params->extended = (mps_arena_extended_t)arg.val.fun;
  if (args_find(&arg, args, MPS_KEY_ARENA_CONTRACTED))
    params->contracted = (mps_arena_contracted_t)arg.val.fun;
  return RES_OK;
}

/* design.arena.zone.shift: stripes of 1/64 of the first chunk, so the
 * arena's first reservation spans every zone once; never below a grain,
 * so a page lies in one zone. */
Shift arena_zone_shift_for(Size size, Shift grain_shift)
{
  Shift s = size_log2(size);
  if (((Size)1 << s) < size)
    ++s;                       /* round up */
  s = s > 6 ? s - 6 : 0;
  if (s < grain_shift)
    s = grain_shift;
  if (s > WORD_WIDTH - 7)
    s = WORD_WIDTH - 7;
  return s;
}

/* ---- Creation, destruction, the global list ---- */

/* design.arena.global: every arena, for the fault handler.  Guarded by
 * the global lock. */
static Ring arena_global = { &arena_global, &arena_global };

void arena_init(Arena *arena, const ArenaClass *klass, const ArenaParams *params,
                Shift zone_shift)
{
  ASSERT(arena != NULL);
  ASSERT_VALID(arena_class, klass);
  ASSERT(size_is_p2(params->grain_size));

  arena->klass = klass;
  lock_init(&arena->lock);
  ring_init(&arena->global_ring);
  arena->grain_size = params->grain_size;
  arena->grain_shift = size_log2(params->grain_size);
  arena->zone_shift = zone_shift;
  arena->zoned = params->zoned;
  arena->incremental = params->incremental;
  arena->globals = NULL;
  for (Rank rank = 0; rank < RANK_LIMIT; ++rank)
    ring_init(&arena->grey_ring[rank]);
  arena->busy_traces = 0;
  ring_init(&arena->chain_ring);
  arena->default_chain = NULL;
  arena->flipped_traces = 0;
  arena->primary = NULL;
  ring_init(&arena->chunk_ring);
  arena->chunk_root = NULL;
  atomic_init(&arena->chunk_cache, NULL);
  arena->chunk_count = 0;
  ring_init(&arena->pool_ring);
  arena->reserved = 0;
  arena->committed = 0;
  arena->spare_committed = 0;
  arena->commit_limit = params->commit_limit;
  arena->spare = params->spare;
  arena->spare_defer = 0;
  arena->pause_time = params->pause_time;
  arena->grow_desired = 0;
  arena->grow_minimum = 0;
  arena->extended = params->extended;
  arena->contracted = params->contracted;
  arena_control_init(arena);
  arena->sig = SIG_ARENA;
}

void arena_finish(Arena *arena)
{
  ASSERT_VALID(arena, arena);
  ASSERT(arena->chunk_count == 0);
  ASSERT(ring_is_empty(&arena->pool_ring));
  arena->sig = SIG_INVALID;
  ring_finish(&arena->pool_ring);
  ring_finish(&arena->chunk_ring);
  ring_finish(&arena->global_ring);
  lock_finish(&arena->lock);
}

Res arena_create(Arena **arena_o, const ArenaClass *klass, const mps_arg_s args[])
{
  Arena *arena;
  Res res;

  ASSERT(arena_o != NULL);
  /* A bad class or argument list is the client's mistake: RES_PARAM
   * (design.arena.create.param). */
  if (klass == NULL || klass->sig != SIG_ARENA_CLASS)
    return RES_PARAM;
  ASSERT_VALID(arena_class, klass);
  res = args_check(args, klass->keys, klass->key_count);
  if (res != RES_OK)
    return res;
  res = klass->create(&arena, klass, args);
  if (res != RES_OK)
    return res;
  ASSERT_VALID(arena, arena);
  ASSERT(arena->primary != NULL);

  global_lock_claim();
  ring_append(&arena_global, &arena->global_ring);
  global_lock_release();
  arena_chunk_extended(arena, arena->primary);
  *arena_o = arena;
  return RES_OK;
}

void arena_destroy(Arena *arena)
{
  Ring *node, *next;

  ASSERT_VALID(arena, arena);
  arena_enter(arena);
  /* design.arena.destroy.empty: the client must destroy its pools (and,
   * later, roots, formats, chains and threads) first. */
  ASSERT(ring_is_empty(&arena->pool_ring));

  global_lock_claim();
  ring_remove(&arena->global_ring);
  global_lock_release();

  arena_control_finish(arena);
  RING_FOR(node, &arena->chunk_ring, next) {
    Chunk *chunk = RING_ELT(Chunk, arena_ring, node);
    ASSERT(chunk_is_empty(chunk));
    /* Client blocks are the client's: the class destroy forgets them. */
    if (chunk != arena->primary && arena->klass->chunk_release != NULL)
      arena_chunk_release(arena, chunk);
  }
  if (arena->contracted != NULL)
    arena->contracted(arena, addr_ptr(arena->primary->base), chunk_size(arena->primary));
  arena_leave(arena);
  arena->klass->destroy(arena);
}

void arena_global_each(bool (*f)(Arena *arena, void *closure), void *closure)
{
  Ring *node, *next;
  global_lock_claim();
  RING_FOR(node, &arena_global, next) {
    if (!f(RING_ELT(Arena, global_ring, node), closure))
      break;
  }
  global_lock_release();
}

typedef struct ArenaFindClosure {
  Addr addr;
  Arena *found;
} ArenaFindClosure;

static bool arena_find_visit(Arena *arena, void *closure)
{
  ArenaFindClosure *fc = closure;
  bool has;
  arena_enter(arena);
  has = arena_has_addr(arena, fc->addr);
  arena_leave(arena);
  if (has)
    fc->found = arena;
  return !has;
}

bool arena_find_for_addr(Arena **arena_o, Addr addr)
{
  ArenaFindClosure fc = { addr, NULL };
  arena_global_each(arena_find_visit, &fc);
  if (fc.found == NULL)
    return false;
  *arena_o = fc.found;
  return true;
}

/* ---- Lock and simple accessors ---- */

void arena_enter(Arena *arena)
{
  ASSERT_VALID(arena, arena);
  lock_claim(&arena->lock);
}

void arena_leave(Arena *arena)
{
  ASSERT_VALID(arena, arena);
  lock_release(&arena->lock);
}

bool arena_is_locked(const Arena *arena)
{
  return lock_is_held(&arena->lock);
}

bool arena_is_busy(const Arena *arena)
{
  return lock_is_busy(&arena->lock);
}

Size arena_grain_size(const Arena *arena) { return arena->grain_size; }
Shift arena_zone_shift(const Arena *arena) { return arena->zone_shift; }
Ring *arena_pool_ring(Arena *arena) { return &arena->pool_ring; }
Size arena_committed(const Arena *arena) { return arena->committed; }
Size arena_reserved(const Arena *arena) { return arena->reserved; }
Size arena_spare_committed(const Arena *arena) { return arena->spare_committed; }
Size arena_commit_limit(const Arena *arena) { return arena->commit_limit; }
double arena_spare(const Arena *arena) { return arena->spare; }
double arena_pause_time(const Arena *arena) { return arena->pause_time; }

void arena_set_pause_time(Arena *arena, double pause_time)
{
  ASSERT(arena_is_locked(arena));
  ASSERT(pause_time >= 0.0);
  arena->pause_time = pause_time;
}

/* ---- Checks ---- */

bool arena_check(const Arena *arena)
{
  CHECK_SIG(arena, SIG_ARENA);
  CHECK(arena_class_check(arena->klass));
  CHECK(lock_check(&arena->lock));
  CHECK(size_is_p2(arena->grain_size));
  CHECK(arena->grain_size == (Size)1 << arena->grain_shift);
  CHECK(arena->zone_shift >= arena->grain_shift);
  CHECK(arena->zone_shift < WORD_WIDTH);
  CHECK_BOOL(arena->zoned);
  CHECK_BOOL(arena->incremental);
  CHECK(ring_check(&arena->chunk_ring));
  CHECK(ring_check(&arena->pool_ring));
  /* design.arena.inv.account */
  CHECK(arena->spare_committed <= arena->committed);
  CHECK(arena->committed <= arena->reserved);
  /* design.arena.inv.commit-limit */
  CHECK(arena->committed <= arena->commit_limit);
  CHECK(arena->spare >= 0.0 && arena->spare <= 1.0);
  CHECK(arena->pause_time >= 0.0);
  CHECK(arena->klass->keeps_spare || arena->spare_committed == 0);
  if (arena->primary != NULL)
    CHECK_PARENT(chunk, arena->primary);
  return true;
}

bool arena_verify(const Arena *arena)
{
  Size reserved = 0, committed = 0, spare = 0;
  Count n = 0, tree_n;
  Addr last_limit = 0;
  const Ring *node;

  CHECK(arena_check(arena));
  for (node = arena->chunk_ring.next; node != &arena->chunk_ring; node = node->next) {
    const Chunk *chunk = RING_ELT(Chunk, arena_ring, node);
    CHECK(chunk_verify(chunk));
    CHECK(chunk->arena == arena);
    CHECK(chunk->base >= last_limit);          /* address order */
    CHECK(chunk_tree_find(arena->chunk_root, chunk->base) == chunk);
    last_limit = chunk->limit;
    reserved += chunk_size(chunk);
    committed += (chunk->alloc_pages + chunk->spare_pages) << chunk->page_shift;
    spare += chunk->spare_pages << chunk->page_shift;
    if (chunk->has_vm)   /* design.arena.inv.mapped */
      CHECK(vm_mapped(&chunk->vm) ==
            (chunk->alloc_pages + chunk->spare_pages) << chunk->page_shift);
    ++n;
  }
  CHECK(chunk_tree_check(arena->chunk_root, &tree_n));
  CHECK(tree_n == n);
  CHECK(n == arena->chunk_count);
  CHECK(reserved == arena->reserved);
  CHECK(committed == arena->committed);
  CHECK(spare == arena->spare_committed);
  return true;
}

/* ---- Lookup: design.chunk.lookup ---- */

bool arena_chunk_of_addr(Chunk **chunk_o, const Arena *arena, Addr addr)
{
  Arena *mut = (Arena *)arena;   /* only the cache is written */
  Chunk *chunk = atomic_load_explicit(&mut->chunk_cache, memory_order_relaxed);

  if (chunk != NULL && chunk_has_addr(chunk, addr)) {
    *chunk_o = chunk;
    return true;
  }
  chunk = chunk_tree_find(arena->chunk_root, addr);
  if (chunk == NULL)
    return false;
  atomic_store_explicit(&mut->chunk_cache, chunk, memory_order_relaxed);
  *chunk_o = chunk;
  return true;
}

bool arena_has_addr(const Arena *arena, Addr addr)
{
  Chunk *chunk;
  return arena_chunk_of_addr(&chunk, arena, addr);
}

bool arena_seg_of_addr(Seg **seg_o, const Arena *arena, Addr addr)
{
  Chunk *chunk;
  Seg *seg;

  if (!arena_chunk_of_addr(&chunk, arena, addr))
    return false;
  /* design.chunk.page.record: non-NULL only for PAGE_SEG */
  seg = chunk_page(chunk, addr)->seg;
  if (seg == NULL)
    return false;
  ASSERT_CRIT(seg_base(seg) <= addr && addr < seg_limit(seg));
  *seg_o = seg;
  return true;
}

/* ---- Chunks in the arena ---- */

void arena_chunk_add(Arena *arena, Chunk *chunk)
{
  Ring *node;

  ASSERT_VALID(chunk, chunk);
  ASSERT(chunk->arena == arena);
  /* Keep the ring in address order (design.arena.chunk.order): walk
   * to the first chunk above the new one.  Few chunks; fine. */
  for (node = arena->chunk_ring.next; node != &arena->chunk_ring; node = node->next)
    if (RING_ELT(Chunk, arena_ring, node)->base > chunk->base)
      break;
  ring_append(node, &chunk->arena_ring);   /* just before node */
  chunk_tree_insert(&arena->chunk_root, chunk);
  ++arena->chunk_count;
  arena->reserved += chunk_size(chunk);
  arena->committed += chunk->overhead_pages << chunk->page_shift;
}

void arena_chunk_extended(Arena *arena, Chunk *chunk)
{
  if (arena->extended != NULL)
    arena->extended(arena, addr_ptr(chunk->base), chunk_size(chunk));
}

static void chunk_decommit_spare(Arena *arena, Chunk *chunk, Index base, Index limit)
{
  Size size = (limit - base) << chunk->page_shift;
  arena->klass->decommit(chunk, chunk_page_addr(chunk, base), size);
  chunk_pages_unspare(chunk, base, limit);
  arena->spare_committed -= size;
  arena->committed -= size;
}

/* Decommit up to `pages` spare pages of [lo, hi), highest first.
 * Returns the number decommitted. */
static Count chunk_purge_range(Arena *arena, Chunk *chunk, Index lo, Index hi, Count pages)
{
  Count done = 0;

  while (done < pages && lo < hi) {
    Index top, below, bottom;
    if (!bt_find_reset_high(&top, chunk->nospare_table, lo, hi))
      break;
    /* The spare run ends at top; it starts just above the highest
     * non-spare page below it. */
    bottom = bt_find_set_high(&below, chunk->nospare_table, lo, top) ? below + 1 : lo;
    if (top + 1 - bottom > pages - done)
      bottom = top + 1 - (pages - done);
    chunk_decommit_spare(arena, chunk, bottom, top + 1);
    done += top + 1 - bottom;
    hi = bottom;
  }
  return done;
}

/* design.arena.spare.purge: decommit at least `amount` bytes of spare
 * memory if there is that much outside the excluded range, newest
 * (highest) chunks and highest pages first, so the low pages that
 * allocation prefers stay ready.  Returns the bytes decommitted. */
static Size arena_purge(Arena *arena, Size amount, const Chunk *ex_chunk,
                        Index ex_base, Index ex_limit)
{
  Count pages = (Count)(size_align_up(amount, arena->grain_size) >> arena->grain_shift);
  Count done = 0;
  Ring *node, *prev;

  for (node = arena->chunk_ring.prev; node != &arena->chunk_ring && done < pages; node = prev) {
    Chunk *chunk = RING_ELT(Chunk, arena_ring, node);
    prev = node->prev;
    if (chunk->spare_pages == 0)
      continue;
    if (chunk == ex_chunk) {
      done += chunk_purge_range(arena, chunk, ex_limit, chunk->page_count, pages - done);
      if (done < pages)
        done += chunk_purge_range(arena, chunk, chunk->overhead_pages, ex_base, pages - done);
    } else {
      done += chunk_purge_range(arena, chunk, chunk->overhead_pages, chunk->page_count,
                                pages - done);
    }
  }
  return done << arena->grain_shift;
}

void arena_chunk_remove(Arena *arena, Chunk *chunk)
{
  ASSERT_VALID(chunk, chunk);
  ASSERT(chunk->arena == arena);
  chunk_tree_delete(&arena->chunk_root, chunk);
  ring_remove(&chunk->arena_ring);
  atomic_store_explicit(&arena->chunk_cache, NULL, memory_order_relaxed);
  --arena->chunk_count;
  arena->reserved -= chunk_size(chunk);
  arena->committed -= (chunk->alloc_pages + chunk->spare_pages) << chunk->page_shift;
  arena->spare_committed -= chunk->spare_pages << chunk->page_shift;
  if (chunk == arena->primary)
    arena->primary = NULL;
}

void arena_chunk_release(Arena *arena, Chunk *chunk)
{
  ASSERT(arena_is_locked(arena));
  ASSERT_VALID(chunk, chunk);
  ASSERT(chunk != arena->primary);
  ASSERT(chunk_is_empty(chunk));
  ASSERT(arena->klass->chunk_release != NULL);

  if (chunk->spare_pages > 0)
    (void)chunk_purge_range(arena, chunk, chunk->overhead_pages, chunk->page_count,
                            chunk->spare_pages);
  ASSERT(chunk->spare_pages == 0);
  if (arena->contracted != NULL)
    arena->contracted(arena, addr_ptr(chunk->base), chunk_size(chunk));
  arena_chunk_remove(arena, chunk);
  arena->klass->chunk_release(chunk);
}

/* design.arena.chunk.release: give back chunks other than the first
 * that hold nothing.  Those with spare pages are kept unless with_spare,
 * since spare pages are there to be reused. */
static void arena_release_empty(Arena *arena, bool with_spare)
{
  Ring *node, *next;

  if (arena->klass->chunk_release == NULL)
    return;
  RING_FOR(node, &arena->chunk_ring, next) {
    Chunk *chunk = RING_ELT(Chunk, arena_ring, node);
    if (chunk != arena->primary && chunk_is_empty(chunk) &&
        (with_spare || chunk->spare_pages == 0))
      arena_chunk_release(arena, chunk);
  }
}

void arena_compact(Arena *arena)
{
  ASSERT(arena_is_locked(arena));
  arena_control_trim(arena);
  arena_release_empty(arena, true);
}

/* ---- Spare memory and the commit limit ---- */

/* design.arena.spare: keep spare <= fraction * committed.  Decommitting
 * x bytes of spare lowers both sides, so the excess to shed is
 * (spare - f * committed) / (1 - f). */
void arena_spare_policy(Arena *arena)
{
  double f = arena->klass->keeps_spare ? arena->spare : 0.0;

  while (arena->spare_committed > 0) {
    double s = (double)arena->spare_committed;
    double allowed = f * (double)arena->committed;
    double x;
    Size excess;

    if (s <= allowed || f >= 1.0)
      break;
    x = (s - allowed) / (1.0 - f);
    excess = x >= s ? arena->spare_committed : (Size)x + 1;
    if (arena_purge(arena, excess, NULL, 0, 0) == 0)
      break;
  }
}

Res arena_commit_room(Arena *arena, Size need, const Chunk *ex_chunk,
                      Index ex_base, Index ex_limit, Count ex_spare)
{
  Size headroom, want, avail, purged;

  ASSERT(arena->committed <= arena->commit_limit);
  headroom = arena->commit_limit - arena->committed;
  if (need <= headroom)
    return RES_OK;
  /* design.arena.commit-limit.spare: shed spare first; fail without
   * touching anything if even all of it would not do. */
  want = need - headroom;
  avail = arena->spare_committed - (ex_spare << arena->grain_shift);
  if (want > avail)
    return RES_COMMIT_LIMIT;
  purged = arena_purge(arena, want, ex_chunk, ex_base, ex_limit);
  ASSERT(purged >= want);
  UNUSED(purged);
  return RES_OK;
}

Res arena_set_commit_limit(Arena *arena, Size limit)
{
  ASSERT(arena_is_locked(arena));
  if (limit < arena->committed) {
    /* design.arena.commit-limit.set */
    if (arena->committed - arena->spare_committed > limit)
      return RES_FAIL;
    (void)arena_purge(arena, arena->committed - limit, NULL, 0, 0);
    ASSERT(arena->committed <= limit);
    arena_release_empty(arena, false);
  }
  arena->commit_limit = limit;
  return RES_OK;
}

void arena_set_spare(Arena *arena, double spare)
{
  ASSERT(arena_is_locked(arena));
  ASSERT(spare >= 0.0 && spare <= 1.0);
  arena->spare = spare;
  arena_spare_policy(arena);
  arena_release_empty(arena, false);
}

void arena_spare_defer(Arena *arena)
{
  ASSERT(arena_is_locked(arena));
  ++arena->spare_defer;
}

void arena_spare_undefer(Arena *arena)
{
  ASSERT(arena_is_locked(arena));
  ASSERT(arena->spare_defer > 0);
  if (--arena->spare_defer > 0)
    return;
  arena_spare_policy(arena);
  arena_release_empty(arena, false);
}

Res arena_set_growth(Arena *arena, Size desired, Size minimum)
{
  ASSERT(arena_is_locked(arena));
  if (arena->klass != arena_class_vm() || minimum > desired)
    return RES_PARAM;
  arena->grow_desired = desired;
  arena->grow_minimum = minimum;
  return RES_OK;
}

Res arena_extend(Arena *arena, Addr base, Size size)
{
  ASSERT(arena_is_locked(arena));
  return arena->klass->extend(arena, base, size);
}

/* ---- Page allocation: design.arena.alloc ---- */

static inline RefSet arena_rotr(RefSet x, unsigned k)
{
  k &= ZONE_COUNT - 1;
  return k == 0 ? x : (x >> k) | (x << (ZONE_COUNT - k));
}

static inline RefSet arena_rotl(RefSet x, unsigned k)
{
  k &= ZONE_COUNT - 1;
  return k == 0 ? x : (x << k) | (x >> (ZONE_COUNT - k));
}

static bool arena_find_run(Index *base_o, Index *limit_o, const Word *table,
                     Index lo, Index hi, Count n, bool high)
{
  if (hi - lo < n)
    return false;
  return high ? bt_find_reset_range_high(base_o, limit_o, table, lo, hi, n)
              : bt_find_reset_range(base_o, limit_o, table, lo, hi, n);
}

/* design.arena.alloc.zones: find a run of n reset bits of table among
 * the chunk's pages whose zones are all in `zones`.  The address space
 * is cut into stripes of 1 << zone_shift bytes; membership repeats every
 * 64 stripes, so the length of each run of member (or non-member)
 * stripes comes from one rotate and one count of bits. */
static bool chunk_find_run(Index *base_o, Index *limit_o, const Chunk *chunk,
                           const Word *table, Count n, RefSet zones, bool high,
                           Shift zone_shift)
{
  Index lo = chunk->overhead_pages, hi = chunk->page_count;
  Shift ps = chunk->page_shift;
  Addr base = chunk->base;

  if (zones == REFSET_UNIV)
    return arena_find_run(base_o, limit_o, table, lo, hi, n, high);
  if (zones == REFSET_EMPTY || hi - lo < n)
    return false;
  ASSERT(zone_shift >= ps);

  if (!high) {
    Index i = lo;
    while (i < hi) {
      Addr stripe = (base + ((Addr)i << ps)) >> zone_shift;
      RefSet rot = arena_rotr(zones, (unsigned)(stripe & (ZONE_COUNT - 1)));
      bool member = rot & 1;
      Addr run, end;
      Index j;

      if (member && ~rot == 0) {
        j = hi;
      } else {
        run = member ? (Addr)__builtin_ctzll(~rot) : (Addr)__builtin_ctzll(rot);
        end = (stripe + run) << zone_shift;
        j = end >= chunk->limit || end <= base ? hi : (Index)((end - base) >> ps);
      }
      if (member && arena_find_run(base_o, limit_o, table, i, j, n, false))
        return true;
      i = j;
    }
  } else {
    Index j = hi;
    while (j > lo) {
      Addr stripe = (base + ((Addr)(j - 1) << ps)) >> zone_shift;
      RefSet rot = arena_rotl(zones, (unsigned)(ZONE_COUNT - 1 - (stripe & (ZONE_COUNT - 1))));
      bool member = rot >> (ZONE_COUNT - 1);
      Addr run, start;
      Index i;

      if (member && ~rot == 0) {
        i = lo;
      } else {
        run = member ? (Addr)__builtin_clzll(~rot) : (Addr)__builtin_clzll(rot);
        if (run > stripe) {
          i = lo;
        } else {
          start = (stripe + 1 - run) << zone_shift;
          i = start <= chunk_page_addr(chunk, lo) ? lo : (Index)((start - base) >> ps);
        }
      }
      if (member && arena_find_run(base_o, limit_o, table, i, j, n, true))
        return true;
      j = i;
    }
  }
  return false;
}

/* Commit the uncommitted pages of free run [base, limit) and mark the
 * run allocated.  design.arena.alloc.take */
static Res arena_pages_take(Arena *arena, Chunk *chunk, Index base, Index limit)
{
  Count n = limit - base;
  Count uncommitted = bt_count_set(chunk->nospare_table, base, limit);
  Count spare = n - uncommitted, spare_taken;
  Size need = uncommitted << chunk->page_shift;
  Index i, s = base, e = base;
  Res res;

  res = arena_commit_room(arena, need, chunk, base, limit, spare);
  if (res != RES_OK)
    return res;

  for (i = base; i < limit && bt_find_set(&s, chunk->nospare_table, i, limit); i = e) {
    if (!bt_find_reset(&e, chunk->nospare_table, s, limit))
      e = limit;
    res = arena->klass->commit(chunk, chunk_page_addr(chunk, s), (e - s) << chunk->page_shift);
    if (res != RES_OK)
      goto fail_commit;
  }

  chunk_pages_alloc(chunk, base, limit, &spare_taken);
  ASSERT(spare_taken == spare);
  arena->committed += need;
  arena->spare_committed -= spare << chunk->page_shift;
  return RES_OK;

fail_commit:
  /* Undo the commits made so far: the uncommitted runs of [base, s),
   * whose tables have not changed. */
  {
    Index fail_at = s, j, rs, re;
    for (j = base; j < fail_at && bt_find_set(&rs, chunk->nospare_table, j, fail_at); j = re) {
      if (!bt_find_reset(&re, chunk->nospare_table, rs, fail_at))
        re = fail_at;
      arena->klass->decommit(chunk, chunk_page_addr(chunk, rs), (re - rs) << chunk->page_shift);
    }
  }
  return res;
}

/* Search every chunk for a run of n pages: spare then free, preferred
 * zones then any zone.  RES_OK; RES_FAIL when there is no run; or the
 * failure of taking a run (RES_COMMIT_LIMIT is remembered while the
 * search goes on, as a spare run elsewhere may still do). */
static Res arena_pages_search(Addr *base_o, Chunk **chunk_o, Arena *arena, Count n,
                              RefSet zones, bool high)
{
  Res result = RES_FAIL;

  for (unsigned phase = 0; phase < 4; ++phase) {
    bool in_zones = phase < 2;
    bool spare_only = (phase & 1) == 0;
    RefSet z = in_zones ? zones : REFSET_UNIV;
    Ring *node;

    if (in_zones && zones == REFSET_UNIV)
      continue;    /* the same as the any-zone phases */
    for (node = high ? arena->chunk_ring.prev : arena->chunk_ring.next;
         node != &arena->chunk_ring;
         node = high ? node->prev : node->next) {
      Chunk *chunk = RING_ELT(Chunk, arena_ring, node);
      Index b, l;
      Res res;

      if (spare_only ? chunk->spare_pages < n
                     : chunk->page_count - chunk->alloc_pages < n)
        continue;
      if (!chunk_find_run(&b, &l, chunk,
                          spare_only ? chunk->nospare_table : chunk->alloc_table,
                          n, z, high, arena->zone_shift))
        continue;
      res = arena_pages_take(arena, chunk, b, l);
      if (res == RES_OK) {
        *base_o = chunk_page_addr(chunk, b);
        *chunk_o = chunk;
        return RES_OK;
      }
      if (res != RES_COMMIT_LIMIT)
        return res;
      result = RES_COMMIT_LIMIT;
      break;      /* the next phase may find spare pages */
    }
  }
  return result;
}

Res arena_pages_alloc(Addr *base_o, Chunk **chunk_o, Arena *arena, Size size,
                      const SegPref *pref)
{
  Count n;
  RefSet zones;
  bool high;
  Chunk *chunk;
  Res res;

  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  ASSERT(base_o != NULL && chunk_o != NULL);
  ASSERT(size > 0 && size_is_aligned(size, arena->grain_size));
  ASSERT(pref != NULL);

  n = size >> arena->grain_shift;
  zones = arena->zoned ? pref->zones : REFSET_UNIV;
  high = pref->high;

  res = arena_pages_search(base_o, chunk_o, arena, n, zones, high);
  if (res != RES_FAIL)
    return res;
  /* design.arena.grow: no run anywhere; the class may add a chunk. */
  res = arena->klass->grow(&chunk, arena, size);
  if (res != RES_OK)
    return res;
  res = arena_pages_search(base_o, chunk_o, arena, n, zones, high);
  ASSERT(res != RES_FAIL);   /* grow made room for the run */
  if (res != RES_OK) {
    /* Committing the run failed: give the new chunk back, so that
     * nothing has changed. */
    if (chunk_is_empty(chunk) && arena->klass->chunk_release != NULL)
      arena_chunk_release(arena, chunk);
    return res == RES_FAIL ? RES_MEMORY : res;
  }
  return RES_OK;
}

void arena_pages_to_spare(Arena *arena, Chunk *chunk, Addr base, Size size)
{
  Index b, l;

  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  ASSERT_VALID(chunk, chunk);
  ASSERT(size > 0 && size_is_aligned(size, arena->grain_size));
  ASSERT(chunk->base <= base && size <= chunk->limit - base);

  b = chunk_page_index(chunk, base);
  l = b + (size >> arena->grain_shift);
  chunk_pages_free_spare(chunk, b, l);
  arena->spare_committed += size;
  /* design.arena.cl.spare: an arena that keeps no spare memory
   * decommits at once. */
  if (!arena->klass->keeps_spare)
    chunk_decommit_spare(arena, chunk, b, l);
}

void arena_pages_free(Arena *arena, Chunk *chunk, Addr base, Size size)
{
  /* design.arena.spare: the pages stay committed, as spare... */
  arena_pages_to_spare(arena, chunk, base, size);
  /* ...until the spare policy sheds some (design.arena.spare.defer:
   * at the end of a collection, once). */
  if (arena->spare_defer > 0)
    return;
  arena_spare_policy(arena);
  if (chunk != arena->primary && chunk_is_empty(chunk) && chunk->spare_pages == 0 &&
      arena->klass->chunk_release != NULL)
    arena_chunk_release(arena, chunk);
}
