/* pool/snc.c -- SNC (Stack No Checking) pool class.
 * Design: manual/design/snc.rst */
#include "pool/snc.h"
#include "pool/buffer.h"
#include "pool/scan.h"
#include "base/args.h"

static inline SNC *snc_of_pool(Pool *pool) { return (SNC *)(void *)pool; }
static inline SNCSeg *sncseg_of_seg(Seg *seg) { return (SNCSeg *)(void *)seg; }
/* design.snc.stack.top: a buffer's top segment lives in pool_data[0] */
static inline SNCSeg *snc_top(const Buffer *buf) { return (SNCSeg *)buf->pool_data[0]; }
static inline void snc_set_top(Buffer *buf, SNCSeg *s) { buf->pool_data[0] = (Word)s; }

static Res sncseg_init(Seg *seg, Pool *pool, Addr base, Size size, const mps_arg_s args[])
{
  Res res = snc_seg_class.super->init(seg, pool, base, size, args);
  if (res != RES_OK)
    return res;
  sncseg_of_seg(seg)->next = NULL;
  sncseg_of_seg(seg)->pad = 0;
  return RES_OK;
}

static void sncseg_finish(Seg *seg)
{
  snc_seg_class.super->finish(seg);
}

const SegClass snc_seg_class = {
  .sig = SIG_SEG_CLASS,
  .name = "SNCSeg",
  .super = &seg_class_base,
  .size = sizeof(SNCSeg),
  .init = sncseg_init,
  .finish = sncseg_finish
};

bool snc_check(const SNC *snc)
{
  CHECK(pool_check(&snc->pool));
  CHECK(snc->pool.klass == &snc_class);
  CHECK(snc->pool.format != NULL);
  CHECK(snc->pad_size <= snc->total_size);
  return true;
}

static void snc_varargs(mps_arg_s args[], va_list varargs)
{
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = va_arg(varargs, mps_fmt_t);
  args[1].key = MPS_KEY_ARGS_END;
}

static Res snc_init(Pool *pool, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {MPS_KEY_FORMAT};
  SNC *snc = snc_of_pool(pool);
  mps_arg_s arg;
  Format *format;
  Res res;

  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  /* design.snc.format: required.  The manual has SNC objects belong to a
   * format with scan, skip and pad methods and without in-band headers
   * (blocks are referenced by base pointers only). */
  if (!args_find(&arg, args, MPS_KEY_FORMAT))
    return RES_PARAM;
  format = arg.val.format;
  if (format == NULL || format->sig != SIG_FORMAT || format->arena != pool->arena
      || format->scan == NULL || format->skip == NULL || format->pad == NULL
      || format->header_size != 0
      || format->align < POOL_ALIGN_MIN)
    return RES_PARAM;
  res = pool_abstract_init(pool, args);
  if (res != RES_OK)
    return res;
  pool->align = format->align;
  pool->format = format;
  ++format->pool_count;
  snc->total_size = 0;
  snc->pad_size = 0;
  return RES_OK;
}

static void snc_seg_release(SNC *snc, SNCSeg *s)
{
  snc->total_size -= seg_size(&s->seg);
  snc->pad_size -= s->pad;
  pool_seg_free(&s->seg);
}

static void snc_finish(Pool *pool)
{
  SNC *snc = snc_of_pool(pool);
  Ring *node, *next;

  RING_FOR(node, &pool->seg_ring, next) {
    Seg *seg = RING_ELT(Seg, pool_ring, node);
    snc_seg_release(snc, sncseg_of_seg(seg));
  }
  ASSERT(snc->total_size == 0 && snc->pad_size == 0);
  --pool->format->pool_count;
  pool->format = NULL;
  pool_abstract_finish(pool);
}

static Res snc_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {MPS_KEY_RANK};
  Rank rank;
  Res res;

  UNUSED(pool);
  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  rank = args_rank(args, MPS_KEY_RANK, RANK_EXACT);
  /* design.snc.rank: the manual lets SNC blocks hold exact references
   * only, never ambiguous or weak ones. */
  if (rank != RANK_EXACT)
    return RES_PARAM;
  buf->rank = rank;
  snc_set_top(buf, NULL);
  return RES_OK;
}

static void snc_buffer_finish(Pool *pool, Buffer *buf)
{
  UNUSED(pool);
  /* The segments stay: destroying an allocation point does not free its
   * blocks (design.snc.ap.destroy).  They go with the pool. */
  snc_set_top(buf, NULL);
}

static Res snc_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool,
                           Buffer *buf, Size size)
{
  SNC *snc = snc_of_pool(pool);
  Size grain = arena_grain_size(pool->arena);
  Size want = size_align_up(size > SNC_SEG_SIZE ? size : SNC_SEG_SIZE, grain);
  SNCSeg *s;
  Seg *seg;
  Res res;

  ASSERT_CRIT(snc_check(snc));
  if (want < size)
    return RES_MEMORY;
  res = pool_seg_alloc(&seg, pool, &snc_seg_class, want, false);
  if (res != RES_OK)
    return res;
  s = sncseg_of_seg(seg);
  s->next = snc_top(buf);
  s->pad = 0;
  snc_set_top(buf, s);
  snc->total_size += seg_size(seg);
  /* design.snc.scan: blocks hold references of the buffer's rank, in
   * any zone until the segment is first scanned */
  seg->rank_set = RANKSET_SINGLE(buf->rank);
  seg->summary = REFSET_UNIV;
  seg->buffer = buf;
  buf->seg = seg;
  *base_o = seg_base(seg);
  *limit_o = seg_limit(seg);
  return RES_OK;
}

/* design.snc.pad: the unused end of a segment leaving the buffer is
 * padded so the segment stays parseable by the format. */
static void snc_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit)
{
  SNC *snc = snc_of_pool(pool);
  Seg *seg = buf->seg;
  SNCSeg *s = sncseg_of_seg(seg);

  ASSERT(seg != NULL && seg->buffer == buf);
  ASSERT(limit == seg_limit(seg));
  if (init < limit)
    format_pad(pool->format, init, limit - init);
  s->pad = limit - init;
  snc->pad_size += s->pad;
  seg->buffer = NULL;
}

/* design.snc.frame: a frame is the buffer's init address at the push (0
 * if it had no segment).  It lies in (base, limit] of the segment that
 * was on top then, since a committed block precedes it. */
static Res snc_frame_push(Frame **frame_o, Pool *pool, Buffer *buf)
{
  SNCSeg *top = snc_top(buf);
  Addr addr;

  UNUSED(pool);
  if (!buffer_is_reset(buf))
    addr = buffer_init_addr(buf);
  else if (top != NULL)        /* a failed fill left the top detached */
    addr = seg_limit(&top->seg) - top->pad;
  else
    addr = 0;
  *frame_o = (Frame *)addr;
  return RES_OK;
}

static Res snc_frame_pop(Pool *pool, Buffer *buf, Frame *frame)
{
  SNC *snc = snc_of_pool(pool);
  Addr addr = (Addr)frame;
  SNCSeg *s = snc_top(buf);

  ASSERT_CRIT(snc_check(snc));
  /* Free every segment pushed since the frame. */
  while (s != NULL && !(seg_base(&s->seg) < addr && addr <= seg_limit(&s->seg))) {
    SNCSeg *below = s->next;
    if (buf->seg == &s->seg) {
      s->seg.buffer = NULL;
      buffer_reset(buf);
    }
    snc_seg_release(snc, s);
    s = below;
  }
  snc_set_top(buf, s);
  if (s == NULL) {
    /* design.snc.frame.bad: a frame not on this buffer's stack */
    ASSERT(addr == 0);
    return RES_OK;
  }
  if (buf->seg == &s->seg) {
    ASSERT(addr <= buffer_init_addr(buf));
    buf->ap.init = addr_ptr(addr);
    buf->ap.alloc = addr_ptr(addr);
  } else {
    /* The frame's segment was below the top: attach it again. */
    if (!buffer_is_reset(buf)) {
      ASSERT(buf->seg != NULL);
      buf->seg->buffer = NULL;
      buffer_reset(buf);
    }
    snc->pad_size -= s->pad;
    s->pad = 0;
    buffer_attach(buf, seg_base(&s->seg), addr, seg_limit(&s->seg));
    buf->seg = &s->seg;
    s->seg.buffer = buf;
  }
  return RES_OK;
}

/* design.snc.scan: SNC is not collected, but its blocks are scanned
 * by every trace, as roots are.  The whole segment turns grey. */
static void snc_grey(Pool *pool, Trace *trace, Seg *seg)
{
  UNUSED(pool);
  seg_set_grey(seg, seg->grey | traceset_single(trace->ti));
}

/* The committed blocks of a segment: up to the buffer's init while it
 * is attached, else up to the padding at its end. */
static Res snc_scan(bool *total_o, ScanState *ss, Pool *pool, Seg *seg)
{
  Addr limit;
  Res res;

  if (seg->buffer != NULL)
    limit = buffer_init_addr(seg->buffer);
  else
    limit = seg_limit(seg) - sncseg_of_seg(seg)->pad;
  res = scan_format(ss, pool->format, seg_base(seg), limit);
  if (res != RES_OK)
    return res;
  *total_o = true;
  return RES_OK;
}

static Size snc_total_size(const Pool *pool)
{
  return ((const SNC *)(const void *)pool)->total_size;
}

static Size snc_free_size(const Pool *pool)
{
  const SNC *snc = (const SNC *)(const void *)pool;
  Size free = snc->pad_size;
  const Ring *node;

  for (node = pool->buffer_ring.next; node != &pool->buffer_ring; node = node->next) {
    const Buffer *buf = RING_ELT(Buffer, pool_ring, node);
    if (!buffer_is_reset(buf))
      free += buf->limit - buffer_init_addr(buf);
  }
  return free;
}

const PoolClass snc_class = {
  .sig = SIG_POOL_CLASS,
  .name = "SNC",
  .super = &pool_class_abstract,
  .size = sizeof(SNC),
  .attr = POOL_ATTR_BUFFER | POOL_ATTR_FRAMES | POOL_ATTR_SCAN,
  .varargs = snc_varargs,
  .init = snc_init,
  .finish = snc_finish,
  .alloc = pool_no_alloc,
  .free = pool_no_free,
  .buffer_varargs = pool_rank_buffer_varargs,
  .buffer_init = snc_buffer_init,
  .buffer_finish = snc_buffer_finish,
  .buffer_fill = snc_buffer_fill,
  .buffer_empty = snc_buffer_empty,
  .frame_push = snc_frame_push,
  .frame_pop = snc_frame_pop,
  .total_size = snc_total_size,
  .free_size = snc_free_size,
  .debug_mixin = pool_no_debug_mixin,
  .describe = pool_triv_describe,
  .whiten = pool_no_whiten,
  .grey = snc_grey,
  .scan = snc_scan,
  .fix = pool_no_fix,
  .reclaim = pool_no_reclaim,
  .walk = pool_no_walk,
  .addr_object = pool_no_addr_object
};

mps_pool_class_t mps_class_snc(void)
{
  return (mps_pool_class_t)&snc_class;
}
