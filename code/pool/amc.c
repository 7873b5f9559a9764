/* pool/amc.c -- AMC and AMCZ (Automatic Mostly-Copying) pool classes.
 * Design: manual/design/amc.rst */
#include "pool/amc.h"
#include "pool/buffer.h"
#include "base/args.h"
#include "base/bt.h"

#include <string.h>

/* ---- Grains and objects ---- */

static inline Index amc_index(const AMC *amc, const AMCSeg *aseg, Addr addr)
{
  ASSERT_CRIT(addr >= seg_base(&aseg->seg) && addr <= seg_limit(&aseg->seg));
  return (Index)((addr - seg_base(&aseg->seg)) >> amc->grain_shift);
}

static inline Addr amc_addr(const AMC *amc, const AMCSeg *aseg, Index i)
{
  return seg_base(&aseg->seg) + ((Addr)i << amc->grain_shift);
}

static inline Count amc_seg_grains(const AMC *amc, const AMCSeg *aseg)
{
  return seg_size(&aseg->seg) >> amc->grain_shift;
}

/* design.amc.header: the base of the block after the one at base. */
static inline Addr amc_object_end(const AMC *amc, Addr base)
{
  Size h = amc->header_size;
  Addr next = ptr_addr(amc->skip(addr_ptr(base + h)));
  ASSERT_CRIT(next > base + h);   /* a skip method always advances */
  return next - h;
}

/* The client's is-forwarded answer for the block at base: the new
 * client pointer, or 0. */
static inline Addr amc_moved_to(const AMC *amc, Addr base)
{
  return ptr_addr(amc->isfwd(addr_ptr(base + amc->header_size)));
}

static inline bool amc_is_fwd(const AMC *amc, Addr base)
{
  return amc_moved_to(amc, base) != 0;
}

static inline AMC *amc_seg_amc(const AMCSeg *aseg)
{
  return amc_of_pool(aseg->seg.pool);
}

Addr amc_seg_parsed_limit(const AMCSeg *aseg)
{
  const Buffer *buf = aseg->seg.buffer;
  return buf != NULL ? buffer_init_addr(buf) : aseg->data_limit;
}

/* The generation survivors of gen are copied into: design.amc.gen */
static inline AMCGen *amc_gen_next(AMC *amc, AMCGen *gen)
{
  Index g = (Index)(gen - amc->gens);
  return g + 1 < amc->gen_count ? gen + 1 : gen;
}

/* ---- Checks ---- */

bool amc_is_amc_pool(const Pool *pool)
{
  return pool->klass == &amc_class || pool->klass == &amcz_class;
}

bool amc_check(const AMC *amc)
{
  CHECK(pool_check(&amc->pool));
  CHECK(amc_is_amc_pool(&amc->pool));
  CHECK(amc->pool.format != NULL);
  CHECK(((Size)1 << amc->grain_shift) == amc->pool.align);
  CHECK(amc->header_size == amc->pool.format->header_size);
  CHECK(amc->skip == amc->pool.format->skip && amc->isfwd == amc->pool.format->isfwd);
  CHECK_BOOL(amc->leaf);
  CHECK(amc->leaf == (amc->pool.klass == &amcz_class));
  CHECK_BOOL(amc->interior);
  CHECK(amc->extend_by > 0 && amc->large_size > 0);
  CHECK(amc->gen_count > 0 && amc->gens != NULL);
  CHECK(amc->fwd_open || amc->to_space == NULL);
  return true;
}

bool amc_seg_check(const AMCSeg *aseg)
{
  const Seg *seg = &aseg->seg;
  Addr parsed;

  CHECK(seg_check(seg));
  CHECK(amc_is_amc_pool(seg->pool));
  CHECK(aseg->gen != NULL && aseg->gen->amc == (const AMC *)(const void *)seg->pool);
  parsed = amc_seg_parsed_limit(aseg);
  /* design.amc.seg.layout */
  CHECK(seg_base(seg) <= aseg->sparse_limit);
  CHECK(aseg->sparse_limit <= parsed && parsed <= seg_limit(seg));
  CHECK(aseg->data_limit >= seg_base(seg) && aseg->data_limit <= seg_limit(seg));
  CHECK(aseg->live_table == NULL || aseg->sparse_limit > seg_base(seg));
  CHECK(aseg->white_limit >= seg_base(seg) && aseg->white_limit <= seg_limit(seg));
  CHECK(seg->white != 0 || aseg->board == NULL);
  CHECK(!aseg->to_space || seg->buffer == NULL);
  CHECK(seg->buffer == NULL || seg->buffer->seg == seg);
  CHECK(aseg->board == NULL || aseg->board->nail_count == 0
        || aseg->board->nail_table != NULL);
  return true;
}

/* ---- The segment class ---- */

static Res amc_seg_init(Seg *seg, Pool *pool, Addr base, Size size, const mps_arg_s args[])
{
  AMCSeg *aseg = amc_seg_of_seg(seg);
  Res res = seg_class_base.init(seg, pool, base, size, args);
  if (res != RES_OK)
    return res;
  aseg->gen = NULL;
  aseg->large = false;
  aseg->to_space = false;
  aseg->next_to_space = NULL;
  aseg->data_limit = base;
  aseg->sparse_limit = base;
  aseg->live_table = NULL;
  aseg->pad_size = 0;
  aseg->stale_fwd = false;
  aseg->white_limit = base;
  aseg->scanned = base;
  aseg->whole_scanned = false;
  aseg->forwarded_size = 0;
  aseg->board = NULL;
  return RES_OK;
}

static void amc_board_free(AMC *amc, AMCSeg *aseg);

static void amc_seg_finish(Seg *seg)
{
  AMCSeg *aseg = amc_seg_of_seg(seg);
  AMC *amc = amc_seg_amc(aseg);

  amc_board_free(amc, aseg);
  if (aseg->live_table != NULL) {
    arena_control_free(seg->arena, aseg->live_table, bt_size(amc_seg_grains(amc, aseg)));
    aseg->live_table = NULL;
  }
  seg_class_base.finish(seg);
}

static const SegClass amc_seg_class = {
  .sig = SIG_SEG_CLASS,
  .name = "AMCSeg",
  .super = &seg_class_base,
  .size = sizeof(AMCSeg),
  .init = amc_seg_init,
  .finish = amc_seg_finish
};

/* Make a segment of size bytes (grain-aligned) in gen.  Results as
 * pool_seg_alloc. */
static Res amc_seg_new(AMCSeg **aseg_o, AMC *amc, AMCGen *gen, Size size)
{
  Seg *seg;
  AMCSeg *aseg;
  Res res;

  res = pool_seg_alloc(&seg, &amc->pool, &amc_seg_class, size, false);
  if (res != RES_OK)
    return res;
  aseg = amc_seg_of_seg(seg);
  aseg->gen = gen;
  /* design.amc.rank */
  seg->rank_set = amc->leaf ? RANKSET_EMPTY : RANKSET_SINGLE(RANK_EXACT);
  amc->total_size += size;
  ++gen->seg_count;
  pool_gen_account_alloc(&gen->pgen, size);   /* design.amc.account */
  *aseg_o = aseg;
  return RES_OK;
}

/* Give a segment back to the arena. */
static void amc_seg_release(AMC *amc, AMCSeg *aseg)
{
  Seg *seg = &aseg->seg;
  Size size = seg_size(seg);
  AMCGen *gen = aseg->gen;

  ASSERT(seg->buffer == NULL && !aseg->to_space);
  ASSERT(seg->white == 0 && seg->grey == 0);
  ASSERT(amc->total_size >= size && gen->seg_count > 0);
  amc->total_size -= size;
  --gen->seg_count;
  pool_gen_account_free(&gen->pgen, size);
  pool_seg_free(seg);
}

/* design.amc.promote: move a surviving segment to the next generation. */
static void amc_seg_promote(AMC *amc, AMCSeg *aseg)
{
  AMCGen *from = aseg->gen, *to = amc_gen_next(amc, from);
  Size size = seg_size(&aseg->seg);

  if (to == from)
    return;
  pool_gen_account_free(&from->pgen, size);
  --from->seg_count;
  pool_gen_account_alloc(&to->pgen, size);
  ++to->seg_count;
  aseg->gen = to;
}

/* ---- Nail boards: design.amc.board ---- */

static Size amc_board_block_size(const AMC *amc, Count grains)
{
  return size_align_up(sizeof(AMCBoard), sizeof(Word))
         + (amc->leaf ? 1 : 2) * bt_size(grains);
}

static void amc_board_free(AMC *amc, AMCSeg *aseg)
{
  AMCBoard *board = aseg->board;
  Count grains = amc_seg_grains(amc, aseg);
  Arena *arena = aseg->seg.arena;

  if (board == NULL)
    return;
  if (board->nail_table != NULL)
    arena_control_free(arena, board->nail_table, bt_size(grains));
  arena_control_free(arena, board, amc_board_block_size(amc, grains));
  aseg->board = NULL;
}

/* The board of a condemned segment, made if it has none.  RES_MEMORY
 * and the like from control memory: the caller then nails the whole
 * segment (design.amc.nofail). */
static Res amc_board_get(AMCBoard **board_o, AMC *amc, AMCSeg *aseg)
{
  Count grains = amc_seg_grains(amc, aseg);
  Arena *arena = aseg->seg.arena;
  AMCBoard *board;
  void *p, *nails;
  Res res;

  if (aseg->board != NULL) {
    *board_o = aseg->board;
    return RES_OK;
  }
  if (fault_inject())
    return RES_MEMORY;
  res = arena_control_alloc(&p, arena, amc_board_block_size(amc, grains));
  if (res != RES_OK)
    goto fail_block;
  res = arena_control_alloc(&nails, arena, bt_size(grains));
  if (res != RES_OK)
    goto fail_nails;
  board = p;
  board->nail_table = nails;
  board->start_table = (Word *)(void *)((char *)p + size_align_up(sizeof(AMCBoard), sizeof(Word)));
  board->grey_table = amc->leaf ? NULL
                      : (Word *)(void *)((char *)board->start_table + bt_size(grains));
  bt_reset_all(board->nail_table, grains);
  if (board->grey_table != NULL)
    bt_reset_all(board->grey_table, grains);
  board->starts_built = false;
  board->nail_count = 0;
  board->grey_count = 0;
  board->nailed_size = 0;
  aseg->board = board;
  *board_o = board;
  return RES_OK;

fail_nails:
  arena_control_free(arena, p, amc_board_block_size(amc, grains));
fail_block:
  return res;
}

/* design.amc.ambig.starts: the start of every condemned block, by one
 * walk of the segment per trace, made when the first ambiguous value
 * falls in it. */
static void amc_board_build_starts(AMC *amc, AMCSeg *aseg, AMCBoard *board)
{
  Addr p = seg_base(&aseg->seg), limit = aseg->white_limit;

  bt_reset_all(board->start_table, amc_seg_grains(amc, aseg));
  while (p < limit) {
    Addr end = amc_object_end(amc, p);
    ASSERT_CRIT(end > p && end <= limit && addr_is_aligned(end, amc->pool.align));
    bt_set(board->start_table, amc_index(amc, aseg, p));
    p = end;
  }
  board->starts_built = true;
}

/* ---- Nailing: design.amc.nail ---- */

/* design.amc.nail.whole: keep every condemned object of the segment in
 * place and scan them all. */
static void amc_nail_whole(AMC *amc, AMCSeg *aseg, TraceSet ts)
{
  Seg *seg = &aseg->seg;

  if ((seg->nailed & ts) == ts)
    return;
  seg->nailed |= ts;
  if (!amc->leaf)
    seg_set_grey(seg, seg->grey | ts);
}

/* Nail the condemned object whose base is `base` (an object start) on
 * the segment's board, or the whole segment if it cannot have one. */
static void amc_nail(AMC *amc, AMCSeg *aseg, Addr base, TraceSet ts)
{
  AMCBoard *board;
  Index i;

  if (amc_board_get(&board, amc, aseg) != RES_OK) {
    amc_nail_whole(amc, aseg, ts);
    return;
  }
  i = amc_index(amc, aseg, base);
  if (bt_get(board->nail_table, i))
    return;
  bt_set(board->nail_table, i);
  ++board->nail_count;
  board->nailed_size += amc_object_end(amc, base) - base;
  if (!amc->leaf) {
    bt_set(board->grey_table, i);
    ++board->grey_count;
    seg_set_grey(&aseg->seg, aseg->seg.grey | ts);
  }
}

static inline bool amc_is_nailed(const AMC *amc, const AMCSeg *aseg, Addr base, TraceSet ts)
{
  if ((aseg->seg.nailed & ts) != 0)
    return true;
  return aseg->board != NULL && aseg->board->nail_count > 0
         && bt_get(aseg->board->nail_table, amc_index(amc, aseg, base));
}

/* ---- Copying: design.amc.fwd ---- */

/* A new segment to copy size bytes into, in gen.  It becomes the
 * generation's forwarding segment unless the object is big and the
 * current one still has room for others (design.amc.fwd.big).  Out of
 * line, to keep the copying path of amc_fix short: once per segment,
 * not per copy. */
static __attribute__((noinline)) Res amc_fwd_seg(AMCSeg **aseg_o, AMC *amc, AMCGen *gen, Size size)
{
  Size grain = arena_grain_size(amc->pool.arena);
  Size want = size;
  AMCSeg *aseg, *cur = gen->fwd;
  bool big;
  Res res;

  big = cur != NULL && size >= AMC_FWD_SEG_SIZE / 4;
  if (!big) {
    if (want < AMC_FWD_SEG_SIZE)
      want = AMC_FWD_SEG_SIZE;
    if (want < amc->extend_by)
      want = amc->extend_by;
  }
  want = size_align_up(want, grain);
  if (want < size)
    return RES_MEMORY;
  if (fault_inject())
    return RES_MEMORY;
  res = amc_seg_new(&aseg, amc, gen, want);
  if (res != RES_OK)
    return res;
  aseg->to_space = true;
  aseg->scanned = seg_base(&aseg->seg);
  aseg->next_to_space = amc->to_space;
  amc->to_space = aseg;
  amc->fwd_open = true;
  /* design.amc.fwd.summary: the copies' references are fixed when the
   * segment is scanned, which sets its summary. */
  aseg->seg.summary = REFSET_EMPTY;
  if (!big)
    gen->fwd = aseg;
  *aseg_o = aseg;
  return RES_OK;
}

/* Copy size bytes (a multiple of the word: design.amc.args) between
 * blocks that do not overlap.  Most objects are
 * a few words, for which calling memcpy costs more than the copy: up to
 * four words take two two-word moves, which overlap for three. */
static inline void amc_copy_block(Addr to, Addr from, Size size)
{
  const Size pair = 2 * sizeof(Word);

  ASSERT_CRIT(size > 0 && size_is_aligned(size, sizeof(Word)));
  if (size == sizeof(Word)) {
    memcpy(addr_ptr(to), addr_ptr(from), sizeof(Word));
  } else if (size <= 2 * pair) {
    memcpy(addr_ptr(to), addr_ptr(from), pair);
    memcpy(addr_ptr(to + size - pair), addr_ptr(from + size - pair), pair);
  } else {
    memcpy(addr_ptr(to), addr_ptr(from), size);
  }
}

/* Copy the condemned object at base out of `from`, leave a forwarding
 * object, and return the copy's client pointer.  False if there is no
 * memory for it (nothing changes then). */
static inline bool amc_copy(Addr *new_o, AMC *amc, AMCSeg *from, Addr base, TraceSet ts)
{
  Size h = amc->header_size;
  Addr end = amc_object_end(amc, base), new_base;
  Size size = end - base;
  AMCGen *to = amc_gen_next(amc, from->gen);
  AMCSeg *tseg = to->fwd;

  ASSERT_CRIT(end > base && end <= from->white_limit);
  if (UNLIKELY(tseg == NULL || (Size)(seg_limit(&tseg->seg) - tseg->data_limit) < size)) {
    if (amc_fwd_seg(&tseg, amc, to, size) != RES_OK) {
      ++amc->copy_fail_count;
      return false;
    }
  }
  new_base = tseg->data_limit;
  tseg->data_limit = new_base + size;
  amc_copy_block(new_base, base, size);
  format_fwd(amc->pool.format, base + h, new_base + h);
  from->forwarded_size += size;
  /* design.amc.fwd.grey */
  if (!amc->leaf && (tseg->seg.grey & ts) != ts)
    seg_set_grey(&tseg->seg, tseg->seg.grey | ts);
  *new_o = new_base + h;
  return true;
}

/* ---- Pools ---- */

/* mps_pool_create(&pool, arena, mps_class_amc(), format, chain) */
static void amc_varargs(mps_arg_s args[], va_list varargs)
{
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = va_arg(varargs, mps_fmt_t);
  args[1].key = MPS_KEY_CHAIN;
  args[1].val.chain = va_arg(varargs, mps_chain_t);
  args[2].key = MPS_KEY_ARGS_END;
}

static Res amc_init_common(Pool *pool, const mps_arg_s args[], bool leaf)
{
  static const mps_key_t keys[] = {
    MPS_KEY_FORMAT, MPS_KEY_CHAIN, MPS_KEY_GEN, MPS_KEY_INTERIOR,
    MPS_KEY_EXTEND_BY, MPS_KEY_LARGE_SIZE
  };
  AMC *amc = amc_of_pool(pool);
  Arena *arena = pool->arena;
  Size grain = arena_grain_size(arena);
  mps_arg_s arg;
  Format *format;
  PoolGen probe;
  Chain *chain;
  Index first;
  Size extend_by, large_size;
  void *p;
  Res res;

  /* design.amc.args */
  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  if (!args_find(&arg, args, MPS_KEY_FORMAT))
    return RES_PARAM;
  format = arg.val.format;
  if (format == NULL || format->sig != SIG_FORMAT || format->arena != arena
      || format->skip == NULL || format->fwd == NULL || format->isfwd == NULL
      || format->pad == NULL || (!leaf && format->scan == NULL)
      || format->align < POOL_ALIGN_MIN || format->align > grain)
    return RES_PARAM;
  extend_by = args_size(args, MPS_KEY_EXTEND_BY, AMC_EXTEND_BY_DEFAULT);
  large_size = args_size(args, MPS_KEY_LARGE_SIZE, AMC_LARGE_SIZE_DEFAULT);
  if (extend_by == 0 || large_size == 0 || size_align_up(extend_by, grain) < extend_by)
    return RES_PARAM;

  res = pool_abstract_init(pool, args);
  if (res != RES_OK)
    goto fail_abstract;
  /* design.amc.gen: validate the chain and generation, then attach one
   * PoolGen per generation from that one to the last. */
  res = pool_gen_init_args(&probe, pool, args);
  if (res != RES_OK)
    goto fail_gen;
  chain = probe.chain;
  first = probe.gen;
  pool_gen_finish(&probe);
  amc->gen_count = chain->gen_count - first;
  res = arena_control_alloc(&p, arena, amc->gen_count * sizeof(AMCGen));
  if (res != RES_OK)
    goto fail_gens;
  amc->gens = p;
  for (Index g = 0; g < amc->gen_count; ++g) {
    pool_gen_init(&amc->gens[g].pgen, chain, first + g, pool);
    amc->gens[g].amc = amc;
    amc->gens[g].fwd = NULL;
    amc->gens[g].seg_count = 0;
  }
  pool->align = format->align;
  pool->format = format;
  ++format->pool_count;
  amc->header_size = format->header_size;
  amc->skip = format->skip;
  amc->isfwd = format->isfwd;
  amc->grain_shift = size_log2(format->align);
  amc->leaf = leaf;
  amc->interior = args_bool(args, MPS_KEY_INTERIOR, true);
  amc->extend_by = size_align_up(extend_by, grain);
  amc->large_size = large_size;
  amc->total_size = 0;
  amc->to_space = NULL;
  amc->fwd_open = false;
  amc->copy_fail_count = 0;
  return RES_OK;

fail_gens:
fail_gen:
  pool_abstract_finish(pool);
fail_abstract:
  return res;
}

static Res amc_init(Pool *pool, const mps_arg_s args[])
{
  return amc_init_common(pool, args, false);
}

static Res amcz_init(Pool *pool, const mps_arg_s args[])
{
  return amc_init_common(pool, args, true);
}

static void amc_finish(Pool *pool)
{
  AMC *amc = amc_of_pool(pool);
  Ring *node, *next;

  /* pool_finish has cleared the signature: no pool check here. */
  ASSERT(!amc->fwd_open);
  RING_FOR(node, &pool->seg_ring, next) {
    amc_seg_release(amc, amc_seg_of_seg(RING_ELT(Seg, pool_ring, node)));
  }
  ASSERT(amc->total_size == 0);
  for (Index g = 0; g < amc->gen_count; ++g) {
    ASSERT(amc->gens[g].seg_count == 0);
    pool_gen_finish(&amc->gens[g].pgen);
  }
  arena_control_free(pool->arena, amc->gens, amc->gen_count * sizeof(AMCGen));
  amc->gens = NULL;
  --pool->format->pool_count;
  pool->format = NULL;
  pool_abstract_finish(pool);
}

/* ---- Allocation points: design.amc.ap ---- */

static Res amc_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {MPS_KEY_AP_HASH_ARRAYS, MPS_KEY_RANK};
  Res res;

  UNUSED(pool);
  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  /* AMC blocks hold exact references only. */
  if (args_rank(args, MPS_KEY_RANK, RANK_EXACT) != RANK_EXACT)
    return RES_PARAM;
  buf->rank = RANK_EXACT;
  /* design.amc.ap.hash: accepted; not yet told apart */
  buf->pool_data[0] = args_bool(args, MPS_KEY_AP_HASH_ARRAYS, false);
  return RES_OK;
}

/* design.amc.ap.resume: the segment this buffer last stopped in, if
 * it still takes new objects of this size at the point where the buffer
 * left it.  The buffer remembers only that address, so a segment freed
 * meanwhile is simply not found. */
static AMCSeg *amc_resume_seg(AMC *amc, Buffer *buf, Size size)
{
  Addr from = (Addr)buf->pool_data[1];
  Seg *seg;
  AMCSeg *aseg;

  if (from == 0 || !arena_seg_of_addr(&seg, amc->pool.arena, from)
      || seg->pool != &amc->pool)
    return NULL;
  aseg = amc_seg_of_seg(seg);
  if (seg->buffer != NULL || aseg->data_limit != from || aseg->large || aseg->to_space
      || aseg->gen != &amc->gens[0] || seg->white != 0 || seg->grey != 0
      || (Size)(seg_limit(seg) - from) < size)
    return NULL;
  return aseg;
}

/* design.amc.ap.fill: a region of the allocation generation: the rest of
 * the segment the buffer last used if the request fits, else a new
 * segment; an object of at least large_size gets one of its own. */
static Res amc_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool, Buffer *buf,
                           Size size)
{
  AMC *amc = amc_of_pool(pool);
  Size grain = arena_grain_size(pool->arena);
  bool large = size >= amc->large_size;
  Size seg_bytes;
  AMCSeg *aseg;
  Addr base, limit;
  Res res;

  ASSERT_CRIT(amc_check(amc));
  ASSERT(size > 0 && size_is_aligned(size, pool->align));
  ASSERT(buf->seg == NULL);
  aseg = large ? NULL : amc_resume_seg(amc, buf, size);
  if (aseg != NULL) {
    base = aseg->data_limit;
  } else {
    seg_bytes = size_align_up(size, grain);
    if (seg_bytes < size)
      return RES_MEMORY;
    if (!large && seg_bytes < amc->extend_by)
      seg_bytes = amc->extend_by;
    res = amc_seg_new(&aseg, amc, &amc->gens[0], seg_bytes);
    if (res != RES_OK)
      return res;
    aseg->large = large;
    base = seg_base(&aseg->seg);
  }
  /* design.amc.summary: new objects may refer anywhere */
  if (!amc->leaf)
    aseg->seg.summary = REFSET_UNIV;
  aseg->seg.buffer = buf;
  buf->seg = &aseg->seg;
  if (large) {
    limit = base + size;       /* design.amc.large: the object alone */
  } else {
    /* design.amc.ap.cap: less than large_size, so that a large request
     * never fits the region and always comes here */
    Size cap = size_align_down(amc->large_size - 1, pool->align);
    ASSERT(size <= cap);
    limit = seg_limit(&aseg->seg);
    if ((Size)(limit - base) > cap)
      limit = base + cap;
  }
  *base_o = base;
  *limit_o = limit;
  return RES_OK;
}

/* design.amc.ap.empty: the objects end at init; the rest of the
 * segment stays unused, and the buffer remembers where it stopped
 * (design.amc.ap.resume).  A segment that got no object goes back. */
static void amc_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit)
{
  AMC *amc = amc_of_pool(pool);
  Seg *seg = buf->seg;
  AMCSeg *aseg;

  ASSERT(seg != NULL && seg->buffer == buf && seg->pool == pool);
  ASSERT(init <= limit && limit <= seg_limit(seg));
  UNUSED(limit);
  aseg = amc_seg_of_seg(seg);
  aseg->data_limit = init;
  seg->buffer = NULL;
  buf->seg = NULL;
  buf->pool_data[1] = init < seg_limit(seg) ? (Word)init : 0;
  if (init == seg_base(seg) && seg->white == 0 && seg->grey == 0) {
    buf->pool_data[1] = 0;
    amc_seg_release(amc, aseg);
  }
}

/* ---- Tracing: design.amc.trace ---- */

static Res amc_whiten(Pool *pool, Trace *trace, Seg *seg)
{
  AMC *amc = amc_of_pool(pool);
  AMCSeg *aseg = amc_seg_of_seg(seg);
  TraceSet bit = traceset_single(trace->ti);
  Addr limit;

  ASSERT_VALID(trace, trace);
  ASSERT_CRIT(amc_seg_check(aseg));
  ASSERT(seg->pool == pool && (seg->white & bit) == 0);
  ASSERT(!amc->fwd_open && aseg->board == NULL && (seg->nailed & bit) == 0);
  UNUSED(amc);
  /* design.gen.condemn */
  if (!pool_gen_condemned(&aseg->gen->pgen))
    return RES_OK;
  /* design.amc.whiten: the committed objects; an attached buffer's
   * [init, limit) is black (nothing there is condemned). */
  limit = amc_seg_parsed_limit(aseg);
  if (limit == seg_base(seg))
    return RES_OK;
  aseg->white_limit = limit;
  aseg->forwarded_size = 0;
  aseg->whole_scanned = false;
  trace->condemned += limit - seg_base(seg);
  seg_set_white(seg, seg->white | bit);
  return RES_OK;
}

static void amc_grey(Pool *pool, Trace *trace, Seg *seg)
{
  AMC *amc = amc_of_pool(pool);
  AMCSeg *aseg = amc_seg_of_seg(seg);
  TraceSet bit = traceset_single(trace->ti);

  ASSERT_VALID(trace, trace);
  ASSERT_CRIT(amc_seg_check(aseg));
  ASSERT(!amc->leaf && seg->rank_set != RANKSET_EMPTY);
  /* design.amc.grey: every condemned object grey means none moves */
  if ((seg->white & bit) != 0)
    amc_nail_whole(amc, aseg, bit);
  seg_set_grey(seg, seg->grey | bit);
}

/* design.trace.scan.error: a scan that failed leaves no grey object; the
 * engine scans the whole segment again conservatively. */
static void amc_drop_grey(AMC *amc, AMCSeg *aseg)
{
  AMCBoard *board = aseg->board;
  bt_reset_range(board->grey_table, 0, amc_seg_grains(amc, aseg));
  board->grey_count = 0;
}

/* design.amc.scan.nails: scan the grey nailed objects, adjacent ones in
 * one call, until fixing greys no more of them. */
static Res amc_scan_nails(ScanState *ss, AMC *amc, AMCSeg *aseg)
{
  AMCBoard *board = aseg->board;
  const Format *format = amc->pool.format;
  Size h = amc->header_size;
  Addr limit = aseg->white_limit;
  Count grains = amc_index(amc, aseg, limit);
  Index pos = 0;
  Res res;

  while (board->grey_count > 0) {
    Index i;
    Addr base, p;
    if (pos >= grains || !bt_find_set(&i, board->grey_table, pos, grains)) {
      pos = 0;
      continue;
    }
    base = p = amc_addr(amc, aseg, i);
    do {
      bt_reset(board->grey_table, amc_index(amc, aseg, p));
      --board->grey_count;
      p = amc_object_end(amc, p);
      ASSERT_CRIT(p <= limit);
    } while (p < limit && bt_get(board->grey_table, amc_index(amc, aseg, p)));
    res = scan_format(ss, format, base + h, p + h);
    if (res != RES_OK) {
      amc_drop_grey(amc, aseg);
      return res;
    }
    pos = amc_index(amc, aseg, p);
  }
  return RES_OK;
}

static Res amc_scan(bool *total_o, ScanState *ss, Pool *pool, Seg *seg)
{
  AMC *amc = amc_of_pool(pool);
  AMCSeg *aseg = amc_seg_of_seg(seg);
  const Format *format = pool->format;
  Size h = amc->header_size;
  Addr base = seg_base(seg);
  Res res;

  ASSERT_CRIT(scan_state_check(ss));
  ASSERT_CRIT(amc_seg_check(aseg));
  ASSERT(!amc->leaf);

  if ((seg->white & ss->traces) == 0) {
    if (aseg->to_space) {
      /* design.amc.scan.to-space: from where the last scan stopped to
       * the fill pointer, until copying into this segment stops. */
      bool from_base = aseg->scanned == base;
      while (aseg->scanned < aseg->data_limit) {
        Addr from = aseg->scanned, to = aseg->data_limit;
        res = scan_format(ss, format, from + h, to + h);
        if (res != RES_OK) {
          aseg->scanned = to;      /* design.trace.scan.error */
          return res;
        }
        aseg->scanned = to;
      }
      *total_o = from_base;
      return RES_OK;
    }
    /* design.amc.scan.all: a segment greyed at the flip, whole */
    res = scan_format(ss, format, base + h, amc_seg_parsed_limit(aseg) + h);
    if (res != RES_OK)
      return res;
    /* an attached buffer will add objects the scan did not see */
    *total_o = seg->buffer == NULL;
    return RES_OK;
  }

  /* design.amc.scan.white: only what is nailed; until nothing is grey
   * (fixing may nail more, or the whole segment). */
  for (;;) {
    if ((seg->nailed & ss->traces) != 0 && !aseg->whole_scanned) {
      aseg->whole_scanned = true;
      if (aseg->board != NULL && aseg->board->grey_count > 0) {
        bt_reset_all(aseg->board->grey_table, amc_seg_grains(amc, aseg));
        aseg->board->grey_count = 0;
      }
      res = scan_format(ss, format, base + h, aseg->white_limit + h);
      if (res != RES_OK) {
        aseg->whole_scanned = false;
        return res;
      }
      continue;
    }
    if (aseg->board != NULL && aseg->board->grey_count > 0) {
      res = amc_scan_nails(ss, amc, aseg);
      if (res != RES_OK)
        return res;
      continue;
    }
    break;
  }
  *total_o = false;
  return RES_OK;
}

/* design.amc.ambig: preserve the condemned object ref may denote, never
 * changing ref.  Out of line, to keep amc_fix short: ambiguous values
 * are few beside exact references. */
static __attribute__((noinline)) void amc_fix_ambig(AMC *amc, AMCSeg *aseg, Addr ref, TraceSet ts)
{
  Seg *seg = &aseg->seg;
  Size h = amc->header_size;
  Addr sbase = seg_base(seg), base;
  AMCBoard *board;
  Index i;

  if (ref >= aseg->white_limit || (seg->nailed & ts) != 0)
    return;                    /* not condemned, or already all kept */
  if (aseg->large) {
    /* design.amc.large: one object [sbase, white_limit) */
    if (amc->interior || ref == sbase + h)
      amc_nail_whole(amc, aseg, ts);
    return;
  }
  /* design.amc.interior: without it only a client pointer counts */
  if (!amc->interior
      && (ref < sbase + h || !addr_is_aligned(ref - h, amc->pool.align)))
    return;
  if (amc_board_get(&board, amc, aseg) != RES_OK) {
    amc_nail_whole(amc, aseg, ts);    /* design.amc.nofail */
    return;
  }
  if (!board->starts_built)
    amc_board_build_starts(amc, aseg, board);
  if (amc->interior) {
    Index s;
    bool found = bt_find_set_high(&s, board->start_table, 0,
                                  amc_index(amc, aseg, ref) + 1);
    ASSERT_CRIT(found);        /* the segment's base starts a block */
    UNUSED(found);
    base = amc_addr(amc, aseg, s);
  } else {
    base = ref - h;
    if (!bt_get(board->start_table, amc_index(amc, aseg, base)))
      return;
  }
  /* design.amc.sparse: padding is no object */
  if (base < aseg->sparse_limit) {
    i = amc_index(amc, aseg, base);
    if (aseg->live_table == NULL || !bt_get(aseg->live_table, i))
      return;
  }
  /* design.amc.ambig.moved: a forwarding object is no object */
  if (amc_is_fwd(amc, base))
    return;
  amc_nail(amc, aseg, base, ts);
}

static Res amc_fix(Pool *pool, ScanState *ss, Seg *seg, Addr *ref_io)
{
  AMC *amc = amc_of_pool(pool);
  AMCSeg *aseg = amc_seg_of_seg(seg);
  TraceSet ts = seg->white & ss->traces;
  Addr ref = *ref_io, base, moved;

  ASSERT_CRIT(scan_state_check(ss));
  ASSERT_CRIT(amc_seg_check(aseg));
  ASSERT_CRIT(ts != 0);

  if (ss->rank == RANK_AMBIG) {
    amc_fix_ambig(amc, aseg, ref, ts);
    ss->was_marked = true;     /* nothing to splat */
    return RES_OK;
  }

  /* design.amc.fix.exact: ref is the client pointer of an object */
  base = ref - amc->header_size;
  if (base >= aseg->white_limit) {
    /* design.amc.black: committed since the segment was condemned */
    ss->was_marked = true;
    return RES_OK;
  }
  ASSERT_CRIT(base >= seg_base(seg) && addr_is_aligned(base, pool->align));
  /* Moved first: a segment nailed whole after a failed copy may hold
   * objects copied before it was nailed. */
  moved = amc_moved_to(amc, base);
  if (moved != 0) {
    *ref_io = moved;
    ss->was_marked = true;
    return RES_OK;
  }
  if (amc_is_nailed(amc, aseg, base, ts)) {
    ss->was_marked = true;     /* kept in place: ref stays */
    return RES_OK;
  }
  ss->was_marked = false;
  if (ss->rank == RANK_WEAK) {
    *ref_io = 0;               /* design.amc.fix.weak */
    return RES_OK;
  }
  if (aseg->large) {
    amc_nail_whole(amc, aseg, ts);
    return RES_OK;
  }
  if (!amc_copy(&moved, amc, aseg, base, ts)) {
    /* design.amc.nofail: no memory to copy into; keep it in place */
    amc_nail(amc, aseg, base, ts);
    return RES_OK;
  }
  *ref_io = moved;
  return RES_OK;
}

/* design.amc.fwd.close: at the end of marking, forget the forwarding
 * segments; they end at their fill pointers. */
static void amc_close_fwd(AMC *amc)
{
  AMCSeg *aseg, *next;

  for (Index g = 0; g < amc->gen_count; ++g)
    amc->gens[g].fwd = NULL;
  for (aseg = amc->to_space; aseg != NULL; aseg = next) {
    ASSERT(aseg->seg.grey == 0);
    next = aseg->next_to_space;
    aseg->to_space = false;
    aseg->next_to_space = NULL;
    aseg->scanned = seg_base(&aseg->seg);
  }
  amc->to_space = NULL;
  amc->fwd_open = false;
}

/* design.amc.reclaim.pad: pad [base, white_limit) but for the nailed
 * objects. */
static void amc_pad_unnailed(AMC *amc, AMCSeg *aseg)
{
  const Format *format = amc->pool.format;
  AMCBoard *board = aseg->board;
  Addr cursor = seg_base(&aseg->seg), limit = aseg->white_limit;
  Count grains = amc_index(amc, aseg, limit);
  Index pos = 0, i;

  if (board != NULL && board->nail_count > 0) {
    while (pos < grains && bt_find_set(&i, board->nail_table, pos, grains)) {
      Addr base = amc_addr(amc, aseg, i);
      Addr end = amc_object_end(amc, base);
      ASSERT_CRIT(base >= cursor && end <= limit);
      if (base > cursor)
        format_pad(format, cursor, base - cursor);
      cursor = end;
      pos = amc_index(amc, aseg, end);
    }
  }
  if (cursor < limit)
    format_pad(format, cursor, limit - cursor);
}

static void amc_reclaim(Pool *pool, Trace *trace, Seg *seg)
{
  AMC *amc = amc_of_pool(pool);
  AMCSeg *aseg = amc_seg_of_seg(seg);
  AMCBoard *board = aseg->board;
  TraceSet bit = traceset_single(trace->ti);
  Size condemned = aseg->white_limit - seg_base(seg);
  Size preserved;
  bool retain = true;

  ASSERT_VALID(trace, trace);
  ASSERT_CRIT(amc_seg_check(aseg));
  ASSERT((seg->white & bit) != 0 && seg->grey == 0);
  ASSERT(board == NULL || board->grey_count == 0);
  /* design.amc.fwd.close: marking is over */
  if (amc->fwd_open)
    amc_close_fwd(amc);

  if ((seg->nailed & bit) != 0) {
    /* design.amc.reclaim.whole: everything stays; copied objects leave
     * forwarding objects the walker steps over. */
    preserved = condemned;
    aseg->pad_size += aseg->forwarded_size;
    if (aseg->forwarded_size != 0)
      aseg->stale_fwd = true;
  } else if ((board != NULL && board->nail_count > 0) || seg->buffer != NULL) {
    /* design.amc.reclaim.pad and design.amc.sparse */
    Size nailed = board != NULL ? board->nailed_size : 0;
    Count grains = amc_seg_grains(amc, aseg);
    amc_pad_unnailed(amc, aseg);
    preserved = aseg->forwarded_size + nailed;
    if (aseg->live_table != NULL)
      arena_control_free(seg->arena, aseg->live_table, bt_size(grains));
    aseg->live_table = NULL;
    if (board != NULL && board->nail_count > 0) {
      aseg->live_table = board->nail_table;
      board->nail_table = NULL;
    }
    aseg->sparse_limit = aseg->white_limit;
    aseg->pad_size = condemned - nailed;
    aseg->stale_fwd = false;
  } else {
    /* design.amc.reclaim.free: only forwarding objects and garbage */
    preserved = aseg->forwarded_size;
    retain = false;
  }
  ASSERT(preserved <= condemned);
  trace->preserved += preserved;
  trace->reclaimed += condemned - preserved;

  amc_board_free(amc, aseg);
  seg->nailed &= ~bit;
  aseg->whole_scanned = false;
  aseg->forwarded_size = 0;
  aseg->white_limit = seg_base(seg);
  seg_set_white(seg, seg->white & ~bit);
  if (!retain)
    amc_seg_release(amc, aseg);
  else if (aseg->large && (seg->buffer == NULL
                           || buffer_init_addr(seg->buffer) == seg->buffer->limit))
    amc_seg_promote(amc, aseg);    /* design.amc.ap.full */
}

/* ---- Walking and object lookup: design.amc.walk ---- */

static Res amc_walk_run(AMCSeg *aseg, ScanState *ss, mps_area_scan_t scan_area,
                        void *closure, Addr base, Addr limit)
{
  Size h = amc_seg_amc(aseg)->header_size;
  if (base == limit)
    return RES_OK;
  return (Res)scan_area(scan_state_ss(ss), addr_ptr(base + h), addr_ptr(limit + h), closure);
}

static Res amc_walk(Pool *pool, Seg *seg, ScanState *ss, mps_area_scan_t scan_area,
                    void *closure)
{
  AMC *amc = amc_of_pool(pool);
  AMCSeg *aseg = amc_seg_of_seg(seg);
  Addr sparse = aseg->sparse_limit, limit = amc_seg_parsed_limit(aseg);
  Res res;

  ASSERT_CRIT(amc_seg_check(aseg));
  ASSERT(seg->pool == pool && seg->white == 0 && !aseg->to_space);

  /* design.amc.sparse: the live objects below sparse_limit, adjacent
   * ones in one run */
  if (aseg->live_table != NULL) {
    Count grains = amc_index(amc, aseg, sparse);
    Index pos = 0, i;
    while (pos < grains && bt_find_set(&i, aseg->live_table, pos, grains)) {
      Addr base = amc_addr(amc, aseg, i), end = amc_object_end(amc, base);
      while (end < sparse && bt_get(aseg->live_table, amc_index(amc, aseg, end)))
        end = amc_object_end(amc, end);
      res = amc_walk_run(aseg, ss, scan_area, closure, base, end);
      if (res != RES_OK)
        return res;
      pos = amc_index(amc, aseg, end);
    }
  }
  if (!aseg->stale_fwd)
    return amc_walk_run(aseg, ss, scan_area, closure, sparse, limit);
  /* design.amc.reclaim.whole: step over forwarding objects */
  {
    Addr run = sparse, p = sparse;
    while (p < limit) {
      Addr end = amc_object_end(amc, p);
      if (amc_is_fwd(amc, p)) {
        res = amc_walk_run(aseg, ss, scan_area, closure, run, p);
        if (res != RES_OK)
          return res;
        run = end;
      }
      p = end;
    }
    return amc_walk_run(aseg, ss, scan_area, closure, run, limit);
  }
}

static Res amc_addr_object(Addr *base_o, Pool *pool, Seg *seg, Addr addr)
{
  AMC *amc = amc_of_pool(pool);
  AMCSeg *aseg = amc_seg_of_seg(seg);
  Addr limit = amc_seg_parsed_limit(aseg), p;

  ASSERT_CRIT(amc_seg_check(aseg));
  ASSERT(seg->pool == pool && addr >= seg_base(seg) && addr < seg_limit(seg));
  if (addr >= limit)
    return RES_FAIL;
  if (addr < aseg->sparse_limit) {
    Index s;
    Addr end;
    if (aseg->live_table == NULL
        || !bt_find_set_high(&s, aseg->live_table, 0, amc_index(amc, aseg, addr) + 1))
      return RES_FAIL;
    p = amc_addr(amc, aseg, s);
    end = amc_object_end(amc, p);
    if (addr >= end)
      return RES_FAIL;
    *base_o = p + amc->header_size;
    return RES_OK;
  }
  for (p = aseg->sparse_limit; p <= addr;) {
    Addr end = amc_object_end(amc, p);
    ASSERT_CRIT(end > p);
    if (addr < end) {
      if (amc_is_fwd(amc, p))
        return RES_FAIL;
      *base_o = p + amc->header_size;
      return RES_OK;
    }
    p = end;
  }
  NOTREACHED;
  return RES_FAIL;
}

/* ---- Sizes and description: design.amc.size ---- */

static Size amc_total_size(const Pool *pool)
{
  return ((const AMC *)(const void *)pool)->total_size;
}

static Size amc_free_size(const Pool *pool)
{
  Size free = 0;
  const Ring *node;

  for (node = pool->seg_ring.next; node != &pool->seg_ring; node = node->next) {
    const AMCSeg *aseg = (const AMCSeg *)(const void *)RING_ELT(Seg, pool_ring, node);
    free += seg_limit(&aseg->seg) - amc_seg_parsed_limit(aseg) + aseg->pad_size;
  }
  return free;
}

static Res amc_describe(const Pool *pool, mps_lib_FILE *stream, Count depth)
{
  const AMC *amc = (const AMC *)(const void *)pool;
  Res res;

  res = pool_write(stream, depth, "segments", ring_length(&pool->seg_ring));
  if (res == RES_OK)
    res = pool_write(stream, depth, "total_size", amc->total_size);
  if (res == RES_OK)
    res = pool_write(stream, depth, "header_size", amc->header_size);
  if (res == RES_OK)
    res = pool_write(stream, depth, "generations", amc->gen_count);
  if (res == RES_OK)
    res = pool_write(stream, depth, "first_generation", amc->gens[0].pgen.gen);
  if (res == RES_OK)
    res = pool_write(stream, depth, "interior", amc->interior);
  if (res == RES_OK)
    res = pool_write(stream, depth, "extend_by", amc->extend_by);
  if (res == RES_OK)
    res = pool_write(stream, depth, "large_size", amc->large_size);
  if (res == RES_OK)
    res = pool_write(stream, depth, "copy_failures", amc->copy_fail_count);
  return res;
}

/* ---- Class tables ---- */

#define AMC_CLASS_COMMON \
  .super = &pool_class_abstract, \
  .size = sizeof(AMC), \
  .attr = POOL_ATTR_BUFFER | POOL_ATTR_FRAMES | POOL_ATTR_GC | POOL_ATTR_MOVING, \
  .varargs = amc_varargs, \
  .finish = amc_finish, \
  .alloc = pool_no_alloc, .free = pool_no_free, \
  .buffer_init = amc_buffer_init, \
  .buffer_finish = pool_triv_buffer_finish, \
  .buffer_fill = amc_buffer_fill, .buffer_empty = amc_buffer_empty, \
  .frame_push = pool_triv_frame_push, .frame_pop = pool_triv_frame_pop, \
  .total_size = amc_total_size, .free_size = amc_free_size, \
  .debug_mixin = pool_no_debug_mixin, .describe = amc_describe, \
  .whiten = amc_whiten, .fix = amc_fix, .reclaim = amc_reclaim, \
  .walk = amc_walk, .addr_object = amc_addr_object

const PoolClass amc_class = {
  .sig = SIG_POOL_CLASS,
  .name = "AMC",
  .init = amc_init,
  .buffer_varargs = pool_rank_buffer_varargs,
  .grey = amc_grey,
  .scan = amc_scan,
  AMC_CLASS_COMMON
};

/* design.amc.amcz: leaf objects; segments with an empty rank set are
 * never grey nor scanned.  An allocation point takes no variadic
 * argument. */
const PoolClass amcz_class = {
  .sig = SIG_POOL_CLASS,
  .name = "AMCZ",
  .init = amcz_init,
  .buffer_varargs = pool_no_buffer_varargs,
  .grey = pool_no_grey,
  .scan = pool_no_scan,
  AMC_CLASS_COMMON
};
