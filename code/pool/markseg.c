/* pool/markseg.c -- mark-sweep segments shared by AMS, LO and AWL.
 * Design: manual/design/ams.rst (design.ams.markseg) */
#include "pool/markseg.h"
#include "pool/buffer.h"
#include "base/args.h"
#include "base/bt.h"

/* ---- Grains ---- */

static inline Addr markseg_addr(const MarkSeg *ms, const MarkPool *mp, Index i)
{
  return seg_base(&ms->seg) + ((Addr)i << mp->grain_shift);
}

static inline Index markseg_index(const MarkSeg *ms, const MarkPool *mp, Addr addr)
{
  ASSERT_CRIT(addr >= seg_base(&ms->seg) && addr <= seg_limit(&ms->seg));
  return (Index)((addr - seg_base(&ms->seg)) >> mp->grain_shift);
}

static inline MarkPool *markseg_pool(const MarkSeg *ms)
{
  return markpool_of_pool(ms->seg.pool);
}

/* The end (a base pointer) of the object whose base is `base`, by the
 * format's skip method on client pointers: design.ams.header. */
static inline Addr markseg_object_end(const MarkPool *mp, Addr base)
{
  Size h = mp->header_size;
  return ptr_addr(mp->pool.format->skip(addr_ptr(base + h))) - h;
}

/* ---- Checks ---- */

bool markseg_check(const MarkSeg *ms)
{
  CHECK(seg_check(&ms->seg));
  CHECK(ms->grains > 0);
  CHECK(ms->free_grains <= ms->grains);
  CHECK(ms->alloc_table != NULL && ms->start_table != NULL && ms->mark_table != NULL);
  CHECK(ms->marked_count <= ms->condemned_count);
  CHECK(ms->grey_count <= ms->marked_count);
  CHECK(ms->black_base <= ms->black_limit);
  /* design.ams.colour: only segments with references are scanned */
  CHECK(ms->grey_table != NULL || ms->grey_count == 0);
  CHECK(ms->seg.buffer == NULL || ms->seg.buffer->seg == &ms->seg);
  return true;
}

bool markseg_pool_check(const MarkPool *mp)
{
  CHECK(pool_check(&mp->pool));
  CHECK(mp->pool.format != NULL);
  CHECK(((Size)1 << mp->grain_shift) == mp->pool.align);
  CHECK(mp->header_size == mp->pool.format->header_size);
  CHECK(mp->alloc_size <= mp->total_size);
  CHECK_BOOL(mp->leaf);
  CHECK_BOOL(mp->support_ambig);
  CHECK(mp->debug == NULL || mp->debug->sig == SIG_POOL_DEBUG);
  return true;
}

/* ---- The segment class: design.ams.tables ---- */

static Count markseg_table_count(const MarkPool *mp)
{
  return mp->leaf ? 3 : 4;
}

static Res markseg_init(Seg *seg, Pool *pool, Addr base, Size size, const mps_arg_s args[])
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  Count grains = size >> mp->grain_shift;
  Size table = bt_size(grains);
  void *p;
  Res res;

  res = markseg_class.super->init(seg, pool, base, size, args);
  if (res != RES_OK)
    goto fail_super;
  res = arena_control_alloc(&p, pool->arena, markseg_table_count(mp) * table);
  if (res != RES_OK)
    goto fail_tables;
  ms->grains = grains;
  ms->free_grains = grains;
  ms->alloc_table = p;
  ms->start_table = (Word *)(void *)((char *)p + table);
  ms->mark_table = (Word *)(void *)((char *)p + 2 * table);
  ms->grey_table = mp->leaf ? NULL : (Word *)(void *)((char *)p + 3 * table);
  bt_reset_all(ms->alloc_table, grains);
  bt_reset_all(ms->start_table, grains);
  bt_reset_all(ms->mark_table, grains);
  if (ms->grey_table != NULL)
    bt_reset_all(ms->grey_table, grains);
  ms->condemned_count = ms->marked_count = ms->grey_count = 0;
  ms->black_base = ms->black_limit = 0;
  return RES_OK;

fail_tables:
  markseg_class.super->finish(seg);
fail_super:
  return res;
}

static void markseg_finish(Seg *seg)
{
  MarkSeg *ms = markseg_of_seg(seg);
  MarkPool *mp = markseg_pool(ms);

  arena_control_free(seg->arena, ms->alloc_table,
                     markseg_table_count(mp) * bt_size(ms->grains));
  ms->alloc_table = ms->start_table = ms->mark_table = ms->grey_table = NULL;
  markseg_class.super->finish(seg);
}

const SegClass markseg_class = {
  .sig = SIG_SEG_CLASS,
  .name = "MarkSeg",
  .super = &seg_class_base,
  .size = sizeof(MarkSeg),
  .init = markseg_init,
  .finish = markseg_finish
};

/* Give a segment back to the arena, with the accounting of whatever is
 * still allocated in it (only pool finish frees a non-empty one). */
static void markseg_release(MarkPool *mp, MarkSeg *ms)
{
  Size size = seg_size(&ms->seg);
  Size used = (Size)(ms->grains - ms->free_grains) << mp->grain_shift;

  ASSERT(ms->seg.buffer == NULL);
  ASSERT(ms->seg.white == 0 && ms->seg.grey == 0);
  ASSERT(mp->total_size >= size && mp->alloc_size >= used);
  if (used != 0) {
    mp->alloc_size -= used;
    pool_gen_account_free(&mp->pgen, used);
  }
  mp->total_size -= size;
  pool_seg_free(&ms->seg);
}

/* design.ams.free.seg: a segment that holds nothing goes back. */
static void markseg_release_if_empty(MarkPool *mp, MarkSeg *ms)
{
  if (ms->free_grains == ms->grains && ms->seg.buffer == NULL
      && ms->seg.white == 0 && ms->seg.grey == 0)
    markseg_release(mp, ms);
}

/* ---- Runs of committed objects: design.ams.runs ----
 * Allocated grains are whole objects, except the attached buffer's
 * unused part [init, limit), which is allocated but holds no objects
 * (design.ams.buffer).  Find the next run of committed objects at or
 * after grain *pos_io, as grain indexes [*base_o, *limit_o); advance
 * *pos_io past it. */
static bool markseg_next_run(Index *base_o, Index *limit_o, const MarkSeg *ms,
                             const MarkPool *mp, Index *pos_io)
{
  const Buffer *buf = ms->seg.buffer;
  Index gap_base = 0, gap_limit = 0, pos = *pos_io, b, l;

  if (buf != NULL) {
    ASSERT_CRIT(addr_is_aligned(buffer_init_addr(buf), mp->pool.align));
    gap_base = markseg_index(ms, mp, buffer_init_addr(buf));
    gap_limit = markseg_index(ms, mp, buf->limit);
  }
  for (;;) {
    if (pos >= ms->grains || !bt_find_set(&b, ms->alloc_table, pos, ms->grains))
      return false;
    if (!bt_find_reset(&l, ms->alloc_table, b, ms->grains))
      l = ms->grains;
    if (gap_base < gap_limit) {
      if (b >= gap_base && b < gap_limit) {
        pos = gap_limit;
        continue;
      }
      if (b < gap_base && l > gap_base)
        l = gap_base;
    }
    *base_o = b;
    *limit_o = l;
    *pos_io = l;
    return true;
  }
}

/* ---- Pools ---- */

Res markseg_pool_init(Pool *pool, const mps_arg_s args[], bool leaf)
{
  MarkPool *mp = markpool_of_pool(pool);
  mps_arg_s arg;
  Format *format;
  Res res;

  /* design.ams.args: the format is required and must suit the class */
  if (!args_find(&arg, args, MPS_KEY_FORMAT))
    return RES_PARAM;
  format = arg.val.format;
  if (format == NULL || format->sig != SIG_FORMAT || format->arena != pool->arena
      || format->skip == NULL || (!leaf && format->scan == NULL)
      || format->align < POOL_ALIGN_MIN || format->align > arena_grain_size(pool->arena))
    return RES_PARAM;

  res = pool_abstract_init(pool, args);
  if (res != RES_OK)
    goto fail_abstract;
  res = pool_gen_init_args(&mp->pgen, pool, args);
  if (res != RES_OK)
    goto fail_gen;
  pool->align = format->align;
  pool->format = format;
  ++format->pool_count;
  mp->grain_shift = size_log2(format->align);
  mp->header_size = format->header_size;
  mp->leaf = leaf;
  mp->support_ambig = true;
  mp->total_size = 0;
  mp->alloc_size = 0;
  mp->debug = NULL;
  mp->scan_objects = NULL;
  return RES_OK;

fail_gen:
  pool_abstract_finish(pool);
fail_abstract:
  return res;
}

void markseg_pool_finish(Pool *pool)
{
  MarkPool *mp = markpool_of_pool(pool);
  Ring *node, *next;

  /* pool_finish has cleared the signature: no pool check here. */
  RING_FOR(node, &pool->seg_ring, next) {
    markseg_release(mp, markseg_of_seg(RING_ELT(Seg, pool_ring, node)));
  }
  ASSERT(mp->total_size == 0 && mp->alloc_size == 0);
  pool_gen_finish(&mp->pgen);
  --pool->format->pool_count;
  pool->format = NULL;
  pool_abstract_finish(pool);
}

/* ---- Allocation: design.ams.fill ---- */

/* Hand grains [b, l) of ms to buf. */
static void markseg_take(Addr *base_o, Addr *limit_o, MarkPool *mp, MarkSeg *ms,
                         Buffer *buf, Index b, Index l)
{
  Size size = (Size)(l - b) << mp->grain_shift;

  ASSERT_CRIT(bt_is_reset_range(ms->alloc_table, b, l));
  bt_set_range(ms->alloc_table, b, l);
  ms->free_grains -= l - b;
  mp->alloc_size += size;
  pool_gen_account_alloc(&mp->pgen, size);
  /* design.ams.summary: new objects may refer anywhere */
  if (!mp->leaf)
    ms->seg.summary = REFSET_UNIV;
  ms->seg.buffer = buf;
  buf->seg = &ms->seg;
  *base_o = markseg_addr(ms, mp, b);
  *limit_o = markseg_addr(ms, mp, l);
}

Res markseg_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool, Buffer *buf, Size size)
{
  MarkPool *mp = markpool_of_pool(pool);
  RankSet rank_set = mp->leaf ? RANKSET_EMPTY : RANKSET_SINGLE(buf->rank);
  Count want = size >> mp->grain_shift;
  Size grain = arena_grain_size(pool->arena);
  Size seg_bytes;
  Ring *node, *next;
  MarkSeg *ms;
  Seg *seg;
  Res res;

  ASSERT_CRIT(markseg_pool_check(mp));
  ASSERT(size > 0 && size_is_aligned(size, pool->align));
  ASSERT(buf->seg == NULL);

  /* design.ams.fill.search: first fit among the segments of the rank */
  RING_FOR(node, &pool->seg_ring, next) {
    Index b, l;
    seg = RING_ELT(Seg, pool_ring, node);
    ms = markseg_of_seg(seg);
    if (seg->rank_set != rank_set || seg->buffer != NULL || ms->free_grains < want
        || seg->white != 0 || seg->grey != 0)
      continue;
    if (bt_find_reset_range(&b, &l, ms->alloc_table, 0, ms->grains, want)) {
      /* the whole free run, so the client refills less often */
      if (!bt_find_set(&l, ms->alloc_table, l, ms->grains))
        l = ms->grains;
      markseg_take(base_o, limit_o, mp, ms, buf, b, l);
      return RES_OK;
    }
  }

  seg_bytes = size_align_up(size, grain);
  if (seg_bytes < size)
    return RES_MEMORY;
  if (seg_bytes < MARKSEG_SEG_SIZE)
    seg_bytes = size_align_up(MARKSEG_SEG_SIZE, grain);
  res = pool_seg_alloc(&seg, pool, &markseg_class, seg_bytes, false);
  if (res != RES_OK)
    return res;
  ms = markseg_of_seg(seg);
  seg->rank_set = rank_set;
  mp->total_size += seg_bytes;
  /* design.ams.debug: fresh memory is free memory */
  if (mp->debug != NULL)
    debug_splat(mp->debug, seg_base(seg), seg_limit(seg));
  markseg_take(base_o, limit_o, mp, ms, buf, 0, ms->grains);
  return RES_OK;
}

void markseg_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit)
{
  MarkPool *mp = markpool_of_pool(pool);
  Seg *seg = buf->seg;
  MarkSeg *ms;

  ASSERT(seg != NULL && seg->buffer == buf && seg->pool == pool);
  ASSERT(limit == buf->limit && init <= limit);
  ms = markseg_of_seg(seg);
  if (init < limit) {
    Index b = markseg_index(ms, mp, init), l = markseg_index(ms, mp, limit);
    Size size = limit - init;
    ASSERT(addr_is_aligned(init, pool->align));
    bt_reset_range(ms->alloc_table, b, l);
    ms->free_grains += l - b;
    mp->alloc_size -= size;
    pool_gen_account_free(&mp->pgen, size);
  }
  seg->buffer = NULL;
  buf->seg = NULL;
  markseg_release_if_empty(mp, ms);
}

/* ---- Tracing: design.ams.trace ---- */

Res markseg_whiten(Pool *pool, Trace *trace, Seg *seg)
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  TraceSet bit = traceset_single(trace->ti);
  Size condemned = 0;
  Count count = 0;
  Index pos = 0, b, l;

  ASSERT_VALID(trace, trace);
  ASSERT_CRIT(markseg_check(ms));
  ASSERT(seg->pool == pool);
  ASSERT((seg->white & bit) == 0);
  /* design.gen.condemn: only segments of a condemned generation */
  if (!pool_gen_condemned(&mp->pgen))
    return RES_OK;

  bt_reset_all(ms->start_table, ms->grains);
  bt_reset_all(ms->mark_table, ms->grains);
  if (ms->grey_table != NULL)
    bt_reset_all(ms->grey_table, ms->grains);
  ms->marked_count = ms->grey_count = 0;
  /* design.ams.black */
  if (seg->buffer != NULL) {
    ms->black_base = buffer_init_addr(seg->buffer);
    ms->black_limit = seg->buffer->limit;
  } else {
    ms->black_base = ms->black_limit = 0;
  }
  /* design.ams.start: the object-start table, for O(1) ambiguous fixes
   * and for reclaim */
  while (markseg_next_run(&b, &l, ms, mp, &pos)) {
    Addr p = markseg_addr(ms, mp, b), limit = markseg_addr(ms, mp, l);
    while (p < limit) {
      Addr end = markseg_object_end(mp, p);
      ASSERT_CRIT(end > p && end <= limit && addr_is_aligned(end, pool->align));
      bt_set(ms->start_table, markseg_index(ms, mp, p));
      ++count;
      p = end;
    }
    condemned += limit - markseg_addr(ms, mp, b);
  }
  ms->condemned_count = count;
  if (count > 0) {
    trace->condemned += condemned;
    seg_set_white(seg, seg->white | bit);
  }
  return RES_OK;
}

void markseg_grey(Pool *pool, Trace *trace, Seg *seg)
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  TraceSet bit = traceset_single(trace->ti);

  ASSERT_VALID(trace, trace);
  ASSERT_CRIT(markseg_check(ms));
  /* design.ams.colour: leaf segments have no references to scan */
  ASSERT(!mp->leaf && seg->rank_set != RANKSET_EMPTY);
  UNUSED(mp);
  if ((seg->white & bit) != 0) {
    /* Every condemned object not yet black becomes grey. */
    Count words = bt_size(ms->grains) / sizeof(Word);
    for (Index w = 0; w < words; ++w) {
      ms->grey_table[w] |= ms->start_table[w] & ~ms->mark_table[w];
      ms->mark_table[w] = ms->start_table[w];
    }
    ms->marked_count = ms->condemned_count;
    ms->grey_count = bt_count_set(ms->grey_table, 0, ms->grains);
  }
  seg_set_grey(seg, seg->grey | bit);
}

/* design.trace.scan.error: a scan that failed leaves no grey object; the
 * engine scans the whole segment again conservatively, which keeps what
 * the grey objects refer to. */
static void markseg_drop_grey(MarkSeg *ms)
{
  bt_reset_range(ms->grey_table, 0, ms->grains);
  ms->grey_count = 0;
}

/* Scan the committed objects [base, limit) (client pointers): in one
 * call of the format's scan method, or through the class's hook
 * (design.awl.scan.objects). */
static inline Res markseg_scan_objects(MarkPool *mp, ScanState *ss, Addr base, Addr limit)
{
  if (mp->scan_objects != NULL)
    return mp->scan_objects(ss, &mp->pool, base, limit);
  return scan_format(ss, mp->pool.format, base, limit);
}

Res markseg_scan(bool *total_o, ScanState *ss, Pool *pool, Seg *seg)
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  Size h = mp->header_size;
  Index pos = 0;
  Res res;

  ASSERT_CRIT(scan_state_check(ss));
  ASSERT_CRIT(markseg_check(ms));
  ASSERT(!mp->leaf);

  if ((seg->white & ss->traces) == 0) {
    /* design.ams.scan.all: a segment that is not condemned is scanned
     * whole, run by run. */
    Index b, l;
    while (markseg_next_run(&b, &l, ms, mp, &pos)) {
      res = markseg_scan_objects(mp, ss, markseg_addr(ms, mp, b) + h,
                                 markseg_addr(ms, mp, l) + h);
      if (res != RES_OK)
        return res;
    }
    *total_o = true;
    return RES_OK;
  }

  /* design.ams.scan.grey: scan grey objects, each run of adjacent ones
   * in one call, until fixing greys no more of them. */
  while (ms->grey_count > 0) {
    Index i, j;
    Addr base, p;
    if (!bt_find_set(&i, ms->grey_table, pos, ms->grains)) {
      pos = 0;
      continue;
    }
    base = markseg_addr(ms, mp, i);
    p = base;
    j = i;
    do {
      bt_reset(ms->grey_table, j);
      --ms->grey_count;
      p = markseg_object_end(mp, p);
      ASSERT_CRIT(p <= seg_limit(seg));
      j = markseg_index(ms, mp, p);
    } while (j < ms->grains && bt_get(ms->grey_table, j));
    res = markseg_scan_objects(mp, ss, base + h, p + h);
    if (res != RES_OK) {
      markseg_drop_grey(ms);
      return res;
    }
    pos = j;
  }
  /* design.ams.scan.total: every object scanned if all were preserved
   * and none was left out as black */
  *total_o = ms->marked_count == ms->condemned_count && ms->black_base == ms->black_limit;
  return RES_OK;
}

Res markseg_fix(Pool *pool, ScanState *ss, Seg *seg, Addr *ref_io)
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  Addr ref = *ref_io, base;
  Index i;

  ASSERT_CRIT(scan_state_check(ss));
  ASSERT_CRIT(markseg_check(ms));
  ASSERT_CRIT((seg->white & ss->traces) != 0);
  /* design.ams.ambig.refuse: the client promised no ambiguous
   * references into this pool */
  ASSERT_CRIT(ss->rank != RANK_AMBIG || mp->support_ambig);

  /* design.ams.fix.start: a client pointer of a condemned object is a
   * base with its start bit set, header_size before ref. */
  if (ref < seg_base(seg) + mp->header_size)
    goto not_object;
  base = ref - mp->header_size;
  if (!addr_is_aligned(base, pool->align))
    goto not_object;
  i = markseg_index(ms, mp, base);
  if (!bt_get(ms->start_table, i))
    goto not_object;

  if (bt_get(ms->mark_table, i)) {
    ss->was_marked = true;
    return RES_OK;
  }
  ss->was_marked = false;
  if (ss->rank == RANK_WEAK) {
    /* design.ams.fix.weak: not preserved; splat */
    *ref_io = 0;
    return RES_OK;
  }
  bt_set(ms->mark_table, i);
  ++ms->marked_count;
  if (!mp->leaf) {
    bt_set(ms->grey_table, i);
    ++ms->grey_count;
    seg_set_grey(seg, seg->grey | (seg->white & ss->traces));
  }
  return RES_OK;

not_object:
  /* design.ams.black: an object committed since the segment was
   * whitened is not condemned: already preserved. */
  if (ref >= ms->black_base && ref < ms->black_limit) {
    ss->was_marked = true;
    return RES_OK;
  }
  /* design.ams.fix.exact: only an ambiguous value may be anything */
  ASSERT_CRIT(ss->rank == RANK_AMBIG);
  ss->was_marked = true;     /* nothing of ours to splat */
  return RES_OK;
}

void markseg_reclaim(Pool *pool, Trace *trace, Seg *seg)
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  TraceSet bit = traceset_single(trace->ti);
  Size preserved = 0, reclaimed = 0;
  Index pos = 0, i;

  ASSERT_VALID(trace, trace);
  ASSERT_CRIT(markseg_check(ms));
  ASSERT((seg->white & bit) != 0);
  /* design.ams.reclaim.grey: marking is over */
  ASSERT(ms->grey_count == 0);

  while (pos < ms->grains && bt_find_set(&i, ms->start_table, pos, ms->grains)) {
    Addr base = markseg_addr(ms, mp, i);
    Addr end = markseg_object_end(mp, base);
    Index j = markseg_index(ms, mp, end);
    ASSERT_CRIT(j > i && j <= ms->grains);
    if (bt_get(ms->mark_table, i)) {
      preserved += end - base;
    } else {
      bt_reset_range(ms->alloc_table, i, j);
      ms->free_grains += j - i;
      reclaimed += end - base;
      /* design.ams.debug.splat */
      if (mp->debug != NULL)
        debug_splat(mp->debug, base, end);
    }
    bt_reset(ms->start_table, i);
    pos = j;
  }
  bt_reset_all(ms->mark_table, ms->grains);
  ms->condemned_count = ms->marked_count = 0;
  ms->black_base = ms->black_limit = 0;

  trace->preserved += preserved;
  trace->reclaimed += reclaimed;
  if (reclaimed != 0) {
    ASSERT(mp->alloc_size >= reclaimed);
    mp->alloc_size -= reclaimed;
    pool_gen_account_free(&mp->pgen, reclaimed);
  }
  seg_set_white(seg, seg->white & ~bit);
  markseg_release_if_empty(mp, ms);
}

Res markseg_walk(Pool *pool, Seg *seg, ScanState *ss, mps_area_scan_t scan_area,
                 void *closure)
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  Size h = mp->header_size;
  Index pos = 0, b, l;

  ASSERT_CRIT(markseg_check(ms));
  ASSERT(seg->pool == pool);
  while (markseg_next_run(&b, &l, ms, mp, &pos)) {
    mps_res_t res = scan_area(scan_state_ss(ss), addr_ptr(markseg_addr(ms, mp, b) + h),
                              addr_ptr(markseg_addr(ms, mp, l) + h), closure);
    if (res != MPS_RES_OK)
      return (Res)res;
  }
  return RES_OK;
}

Res markseg_addr_object(Addr *base_o, Pool *pool, Seg *seg, Addr addr)
{
  MarkPool *mp = markpool_of_pool(pool);
  MarkSeg *ms = markseg_of_seg(seg);
  const Buffer *buf = seg->buffer;
  Index i, run;
  Addr p;

  ASSERT_CRIT(markseg_check(ms));
  ASSERT(seg->pool == pool && addr >= seg_base(seg) && addr < seg_limit(seg));
  i = markseg_index(ms, mp, addr);
  if (!bt_get(ms->alloc_table, i))
    return RES_FAIL;
  if (buf != NULL && addr >= buffer_init_addr(buf) && addr < buf->limit)
    return RES_FAIL;
  /* design.ams.runs: a run of allocated grains starts with an object,
   * or with the buffer's unused part, which we step over. */
  run = bt_find_reset_high(&run, ms->alloc_table, 0, i) ? run + 1 : 0;
  p = markseg_addr(ms, mp, run);
  if (buf != NULL && buf->limit <= addr && buf->limit > p)
    p = buf->limit;
  while (p <= addr) {
    Addr end = markseg_object_end(mp, p);
    ASSERT_CRIT(end > p);
    if (addr < end) {
      *base_o = p + mp->header_size;
      return RES_OK;
    }
    p = end;
  }
  NOTREACHED;
  return RES_FAIL;
}

/* ---- Sizes and description: design.ams.size ---- */

Size markseg_total_size(const Pool *pool)
{
  return ((const MarkPool *)(const void *)pool)->total_size;
}

Size markseg_free_size(const Pool *pool)
{
  const MarkPool *mp = (const MarkPool *)(const void *)pool;
  Size free = mp->total_size - mp->alloc_size;
  const Ring *node;

  /* A buffer's unused part counts as free. */
  for (node = pool->buffer_ring.next; node != &pool->buffer_ring; node = node->next) {
    const Buffer *buf = RING_ELT(Buffer, pool_ring, node);
    if (!buffer_is_reset(buf))
      free += buf->limit - buffer_init_addr(buf);
  }
  return free;
}

Res markseg_describe(const Pool *pool, mps_lib_FILE *stream, Count depth)
{
  const MarkPool *mp = (const MarkPool *)(const void *)pool;
  Res res;

  res = pool_write(stream, depth, "segments", ring_length(&pool->seg_ring));
  if (res == RES_OK)
    res = pool_write(stream, depth, "alloc_size", mp->alloc_size);
  if (res == RES_OK)
    res = pool_write(stream, depth, "header_size", mp->header_size);
  if (res == RES_OK)
    res = pool_write(stream, depth, "leaf", mp->leaf);
  if (res == RES_OK)
    res = pool_write(stream, depth, "support_ambiguous", mp->support_ambig);
  if (res == RES_OK)
    res = pool_write(stream, depth, "generation", mp->pgen.gen);
  return res;
}

bool markseg_free_walk(Pool *pool, RangeVisitFn visit, void *closure)
{
  MarkPool *mp = markpool_of_pool(pool);
  const Ring *node;

  for (node = pool->seg_ring.next; node != &pool->seg_ring; node = node->next) {
    MarkSeg *ms = markseg_of_seg(RING_ELT(Seg, pool_ring, node));
    Index pos = 0, b, l;
    while (pos < ms->grains && bt_find_reset(&b, ms->alloc_table, pos, ms->grains)) {
      Range range;
      if (!bt_find_set(&l, ms->alloc_table, b, ms->grains))
        l = ms->grains;
      range_init(&range, markseg_addr(ms, mp, b), markseg_addr(ms, mp, l));
      if (!visit(&range, closure))
        return false;
      pos = l;
    }
  }
  return true;
}
