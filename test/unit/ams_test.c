/* test/unit/ams_test.c -- AMS internals, driven through the pool methods
 * as the trace engine drives them: keyword and rank checks, marking from
 * roots and through grey segments, ambiguous values, in-band headers,
 * reclaim and segment release, buffers across a trace, weak fixes,
 * sizes, walking, object lookup, and the debugging class.
 * Design: manual/design/ams.rst */
#include "pool/ams.h"
#include "pool/lo.h"
#include "pool/buffer.h"
#include "trace/trace.h"
#include "base/bt.h"
#include "mpsavm.h"
#include "mpscams.h"
#include "mpsclo.h"

#include <check.h>
#include <signal.h>
#include <string.h>

#define W ((Size)sizeof(Word))

static mps_arena_t arena;
static Size hdr;                /* header size of the test format */
static Format *format;
static Pool *pool;
static Buffer *ap;
static Trace trace;
static Count scanned;           /* objects the format's scan visited */

/* ---- The test format ----
 * Block base b = client - hdr.  Word 0 of the block: its size in bytes
 * << 8 | the number of reference slots n; words 1..n: references (client
 * pointers or 0); the rest: data.  With hdr = W, word 0 is the in-band
 * header and the references start at the client pointer. */

static Word *obj_words(Addr client) { return (Word *)addr_ptr(client - hdr); }
static Size obj_size(Addr client) { return obj_words(client)[0] >> 8; }
static Count obj_nrefs(Addr client) { return obj_words(client)[0] & 0xFF; }
static Addr *obj_ref(Addr client, Index k) { return (Addr *)&obj_words(client)[1 + k]; }

static mps_addr_t t_skip(mps_addr_t client)
{
  return (char *)client + obj_size(ptr_addr(client));
}

static mps_res_t t_scan(mps_ss_t mps_ss, mps_addr_t base, mps_addr_t limit)
{
  ScanState *ss = scan_state_of_ss(mps_ss);
  for (Addr c = ptr_addr(base); c < ptr_addr(limit); c += obj_size(c)) {
    ++scanned;
    for (Index k = 0; k < obj_nrefs(c); ++k) {
      if (*obj_ref(c, k) != 0) {
        Res res = scan_fix(ss, obj_ref(c, k));
        if (res != RES_OK)
          return res;
      }
    }
  }
  return MPS_RES_OK;
}

/* The data words of an object hold a pattern of its address. */
static Word obj_pattern(Addr client, Index i) { return (Word)(client * 31u + i); }

static bool obj_intact(Addr client, Count words, Count nrefs)
{
  Word *w = obj_words(client);
  if (obj_size(client) != words * W || obj_nrefs(client) != nrefs)
    return false;
  for (Index i = 1 + nrefs; i < words; ++i)
    if (w[i] != obj_pattern(client, i))
      return false;
  return true;
}

static Format *make_format(Size header, bool with_scan, Align align)
{
  Format *f;
  mps_arg_s args[5];
  Index n = 0;
  args[n].key = MPS_KEY_FMT_SKIP;
  args[n++].val.fmt_skip = t_skip;
  if (with_scan) {
    args[n].key = MPS_KEY_FMT_SCAN;
    args[n++].val.fmt_scan = t_scan;
  }
  args[n].key = MPS_KEY_FMT_HEADER_SIZE;
  args[n++].val.size = header;
  args[n].key = MPS_KEY_FMT_ALIGN;
  args[n++].val.align = align;
  args[n].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(format_create(&f, arena, args), RES_OK);
  return f;
}

static Res make_pool(Pool **pool_o, const PoolClass *klass, Format *f, bool ambig)
{
  mps_arg_s args[3];
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = f;
  args[1].key = MPS_KEY_AMS_SUPPORT_AMBIGUOUS;
  args[1].val.b = ambig;
  args[2].key = MPS_KEY_ARGS_END;
  if (klass == &lo_class)
    args[1].key = MPS_KEY_ARGS_END;
  return pool_create(pool_o, arena, klass, args);
}

static Buffer *make_ap(Pool *p, Rank rank)
{
  Buffer *buf;
  mps_arg_s args[2];
  args[0].key = MPS_KEY_RANK;
  args[0].val.rank = rank;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(buffer_create(&buf, p, p->klass == &lo_class ? mps_args_none : args),
                   RES_OK);
  return buf;
}

static void setup_common(Size header, const PoolClass *klass, bool ambig)
{
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  arena_enter(arena);
  ck_assert_ptr_nonnull(arena->globals);     /* scan states need it */
  hdr = header;
  format = make_format(header, true, W);
  ck_assert_int_eq(make_pool(&pool, klass, format, ambig), RES_OK);
  ap = make_ap(pool, RANK_EXACT);
}

static void setup(void) { setup_common(0, &ams_class, true); }
static void setup_header(void) { setup_common(W, &ams_class, true); }
static void setup_debug(void) { setup_common(0, &ams_debug_class, true); }
static void setup_no_ambig(void) { setup_common(0, &ams_class, false); }

static void teardown(void)
{
  if (ap != NULL)
    buffer_destroy(ap);
  ap = NULL;
  pool_destroy(pool);
  format_destroy(format);
  arena_leave(arena);
  mps_arena_destroy(arena);
}

/* ---- Allocation by the reserve/commit protocol ---- */

static Addr reserve(Buffer *buf, Size size)
{
  Addr p = buffer_alloc_addr(buf);
  if (buf->ap.limit != NULL && size <= ptr_addr(buf->ap.limit) - p) {
    buf->ap.alloc = addr_ptr(p + size);
    return p;
  }
  ck_assert_int_eq(buffer_fill(&p, buf, size), RES_OK);
  return p;
}

static bool commit(Buffer *buf, Addr p, Size size)
{
  buf->ap.init = buf->ap.alloc;
  if (buf->ap.limit != NULL)
    return true;
  return buffer_trip(buf, p, size);
}

static void obj_init(Addr base, Count words, Count nrefs)
{
  Word *w = addr_ptr(base);
  Addr client = base + hdr;
  w[0] = (Word)(words * W) << 8 | nrefs;
  for (Index i = 1; i <= nrefs; ++i)
    w[i] = 0;
  for (Index i = 1 + nrefs; i < words; ++i)
    w[i] = obj_pattern(client, i);
}

/* A committed object of `words` words (header included) with nrefs null
 * reference slots; its client pointer. */
static Addr new_obj(Buffer *buf, Count words, Count nrefs)
{
  Addr p;
  do {
    p = reserve(buf, words * W);
    obj_init(p, words, nrefs);
  } while (!commit(buf, p, words * W));
  return p + hdr;
}

/* ---- Driving a trace as the engine does (pool/scan.h) ---- */

static void trace_condemn(const Pool *spare)
{
  Ring *pn, *sn, *bn;

  memset(&trace, 0, sizeof trace);
  trace.ti = 0;
  trace.arena = arena;
  trace.why = TRACE_WHY_CLIENT;
  trace.state = TRACE_INIT;
  trace.sig = SIG_TRACE;
  arena->busy_traces |= traceset_single(0);
  scanned = 0;
  for (Ring *cn = arena->chain_ring.next; cn != &arena->chain_ring; cn = cn->next) {
    Chain *chain = RING_ELT(Chain, arena_ring, cn);
    for (Index g = 0; g < chain->gen_count; ++g)
      chain_condemn_gen(chain, g, true);   /* design.gen.condemn */
  }
  for (pn = arena_pool_ring(arena)->next; pn != arena_pool_ring(arena); pn = pn->next) {
    Pool *p = RING_ELT(Pool, arena_ring, pn);
    if (!pool_has_attr(p, POOL_ATTR_GC) || p == spare)
      continue;
    for (sn = p->seg_ring.next; sn != &p->seg_ring; sn = sn->next) {
      Seg *seg = RING_ELT(Seg, pool_ring, sn);
      ck_assert_int_eq(p->klass->whiten(p, &trace, seg), RES_OK);
      if (seg->white != 0)
        trace.white |= refset_of_range(arena->zone_shift, seg_base(seg), seg_limit(seg));
    }
  }
  trace.state = TRACE_UNFLIPPED;
  for (pn = arena_pool_ring(arena)->next; pn != arena_pool_ring(arena); pn = pn->next) {
    Pool *p = RING_ELT(Pool, arena_ring, pn);
    if (!pool_has_attr(p, POOL_ATTR_GC))
      continue;
    for (bn = p->buffer_ring.next; bn != &p->buffer_ring; bn = bn->next)
      buffer_flip(RING_ELT(Buffer, pool_ring, bn));
    for (sn = p->seg_ring.next; sn != &p->seg_ring; sn = sn->next) {
      Seg *seg = RING_ELT(Seg, pool_ring, sn);
      if (seg->white == 0 && seg->rank_set != RANKSET_EMPTY)
        p->klass->grey(p, &trace, seg);
    }
  }
  trace.state = TRACE_FLIPPED;
}

/* Fix one root reference; returns ss.was_marked. */
static bool fix_root(Addr *ref_io, Rank rank)
{
  ScanState ss;
  bool was_marked;
  scan_state_init(&ss, arena, traceset_single(0), rank);
  scan_state_set_white(&ss, trace.white);
  ss.was_marked = false;
  ck_assert_int_eq(scan_fix(&ss, ref_io), RES_OK);
  was_marked = ss.was_marked;
  scan_state_finish(&ss);
  return was_marked;
}

static void trace_scan(void)
{
  Rank rank = 0;
  while (rank < RANK_LIMIT) {
    Ring *ring = &arena->grey_ring[rank];
    Seg *seg;
    ScanState ss;
    bool total = false;
    if (ring_is_empty(ring)) {
      ++rank;
      continue;
    }
    seg = RING_ELT(Seg, grey_ring, ring->next);
    scan_state_init(&ss, arena, traceset_single(0), seg_rank(seg));
    scan_state_set_white(&ss, trace.white);
    ck_assert_int_eq(seg->pool->klass->scan(&total, &ss, seg->pool, seg), RES_OK);
    seg_set_grey(seg, seg->grey & ~traceset_single(0));
    seg->summary = total ? (scan_state_unfixed_summary(&ss) & ~trace.white) | ss.fixed_summary
                         : seg->summary | ss.fixed_summary;
    scan_state_finish(&ss);
    rank = 0;      /* a scan may grey a segment of a lower rank */
  }
}

static void trace_reclaim(void)
{
  Ring *pn, *sn, *next;
  trace.state = TRACE_RECLAIM;
  for (pn = arena_pool_ring(arena)->next; pn != arena_pool_ring(arena); pn = pn->next) {
    Pool *p = RING_ELT(Pool, arena_ring, pn);
    if (!pool_has_attr(p, POOL_ATTR_GC))
      continue;
    RING_FOR(sn, &p->seg_ring, next) {
      Seg *seg = RING_ELT(Seg, pool_ring, sn);
      if ((seg->white & traceset_single(0)) != 0) {
        p->klass->reclaim(p, &trace, seg);
      }
    }
  }
  ck_assert_uint_eq(trace.preserved + trace.reclaimed, trace.condemned);
  trace.state = TRACE_FINISHED;
  trace.sig = SIG_INVALID;
  arena->busy_traces &= ~traceset_single(0);
}

/* A whole collection of every GC pool with these exact roots. */
static void collect(Addr *roots[], Count n)
{
  trace_condemn(NULL);
  for (Index i = 0; i < n; ++i)
    fix_root(roots[i], RANK_EXACT);
  trace_scan();
  trace_reclaim();
}

/* ---- Walking ---- */

static mps_res_t count_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  Count *n = closure;
  UNUSED(ss);
  for (Addr c = ptr_addr(base); c < ptr_addr(limit); c += obj_size(c))
    ++*n;
  return MPS_RES_OK;
}

static Count walk_count(Pool *p)
{
  ScanState ss;
  Count n = 0;
  scan_state_init(&ss, arena, TRACESET_EMPTY, RANK_EXACT);
  for (Ring *sn = p->seg_ring.next; sn != &p->seg_ring; sn = sn->next)
    ck_assert_int_eq(p->klass->walk(p, RING_ELT(Seg, pool_ring, sn), &ss, count_area, &n),
                     RES_OK);
  scan_state_finish(&ss);
  return n;
}

static bool grain_allocated(Addr addr)
{
  Seg *seg;
  MarkSeg *ms;
  if (!arena_seg_of_addr(&seg, arena, addr))
    return false;
  ms = markseg_of_seg(seg);
  return bt_get(ms->alloc_table, (addr - seg_base(seg)) >> markpool_of_pool(seg->pool)->grain_shift);
}

/* ---- Creation ---- */

START_TEST(create_arguments)
{
  Pool *p;
  Format *noscan = make_format(0, false, W);
  Format *small = make_format(0, true, 4);
  mps_arena_t other;
  Chain *chain, *foreign;
  mps_gen_param_s gens[2] = {{1024, 0.5}, {2048, 0.2}};
  mps_arg_s args[4];

  /* the format is required, and needs scan and skip */
  args[0].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&p, arena, &ams_class, args), RES_PARAM);
  ck_assert_int_eq(make_pool(&p, &ams_class, noscan, true), RES_PARAM);
  /* an alignment below a word */
  ck_assert_int_eq(make_pool(&p, &ams_class, small, true), RES_PARAM);
  /* keys AMS does not take */
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = format;
  args[1].key = MPS_KEY_ALIGN;
  args[1].val.align = 16;
  args[2].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&p, arena, &ams_class, args), RES_PARAM);
  args[1].key = MPS_KEY_POOL_DEBUG_OPTIONS;
  args[1].val.pool_debug_options = NULL;
  ck_assert_int_eq(pool_create(&p, arena, &ams_class, args), RES_PARAM);

  /* chains: of this arena, generation in range */
  ck_assert_int_eq(chain_create(&chain, arena, 2, gens), RES_OK);
  args[1].key = MPS_KEY_CHAIN;
  args[1].val.chain = chain;
  args[2].key = MPS_KEY_GEN;
  args[2].val.u = 2;
  args[3].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&p, arena, &ams_class, args), RES_PARAM);
  args[2].val.u = 1;
  ck_assert_int_eq(pool_create(&p, arena, &ams_class, args), RES_OK);
  ck_assert_ptr_eq(markpool_of_pool(p)->pgen.chain, chain);
  ck_assert_uint_eq(markpool_of_pool(p)->pgen.gen, 1);
  ck_assert_uint_eq(format->pool_count, 2);
  pool_destroy(p);

  ck_assert_int_eq(mps_arena_create_k(&other, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  arena_enter(other);
  ck_assert_int_eq(chain_create(&foreign, other, 2, gens), RES_OK);
  arena_leave(other);
  args[1].val.chain = foreign;
  args[2].val.u = 0;
  ck_assert_int_eq(pool_create(&p, arena, &ams_class, args), RES_PARAM);
  arena_enter(other);
  chain_destroy(foreign);
  arena_leave(other);
  mps_arena_destroy(other);

  chain_destroy(chain);
  ck_assert_uint_eq(format->pool_count, 1);
  format_destroy(noscan);
  format_destroy(small);
}
END_TEST

START_TEST(ranks_and_no_alloc)
{
  Buffer *b;
  Pool *strict;
  Addr p;
  mps_arg_s args[2];
  args[0].key = MPS_KEY_RANK;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_uint_eq(ap->rank, RANK_EXACT);     /* the default */
  args[0].val.rank = RANK_WEAK;
  ck_assert_int_eq(buffer_create(&b, pool, args), RES_PARAM);
  args[0].val.rank = RANK_FINAL;
  ck_assert_int_eq(buffer_create(&b, pool, args), RES_PARAM);
  args[0].val.rank = RANK_AMBIG;
  ck_assert_int_eq(buffer_create(&b, pool, args), RES_OK);
  ck_assert_uint_eq(b->rank, RANK_AMBIG);
  buffer_destroy(b);
  {
    mps_arg_s wrong[2];
    wrong[0].key = MPS_KEY_FORMAT;      /* not an AP key */
    wrong[0].val.format = format;
    wrong[1].key = MPS_KEY_ARGS_END;
    ck_assert_int_eq(buffer_create(&b, pool, wrong), RES_PARAM);
  }

  /* without support for ambiguous references, no ambiguous APs */
  ck_assert_int_eq(make_pool(&strict, &ams_class, format, false), RES_OK);
  ck_assert_int_eq(buffer_create(&b, strict, args), RES_PARAM);
  args[0].val.rank = RANK_EXACT;
  ck_assert_int_eq(buffer_create(&b, strict, args), RES_OK);
  buffer_destroy(b);
  pool_destroy(strict);

  /* allocation points only */
  ck_assert_int_eq(pool_alloc(&p, pool, 64), RES_UNIMPL);
  ck_assert(pool_has_attr(pool, POOL_ATTR_GC | POOL_ATTR_BUFFER));
  ck_assert(!pool_has_attr(pool, POOL_ATTR_ALLOC));
  ck_assert(!pool_has_attr(pool, POOL_ATTR_FREE));
}
END_TEST

/* ---- Sizes, walking, lookup ---- */

START_TEST(sizes_walk_lookup)
{
  Addr a, b, obj, found;
  Seg *seg;
  Size total;

  ck_assert_uint_eq(pool_total_size(pool), 0);
  ck_assert_uint_eq(pool_free_size(pool), 0);
  a = new_obj(ap, 4, 1);
  b = new_obj(ap, 6, 0);
  total = pool_total_size(pool);
  ck_assert_uint_ge(total, MARKSEG_SEG_SIZE);
  /* the buffer's unused part counts as free: design.ams.size */
  ck_assert_uint_eq(pool_free_size(pool), total - 10 * W);
  ck_assert_uint_eq(markpool_of_pool(pool)->pgen.total_size, total);
  ck_assert_uint_eq(walk_count(pool), 2);

  ck_assert(arena_seg_of_addr(&seg, arena, a));
  ck_assert(seg->rank_set == RANKSET_SINGLE(RANK_EXACT));
  ck_assert(seg->summary == REFSET_UNIV);
  ck_assert_int_eq(pool->klass->addr_object(&found, pool, seg, b + 3 * W), RES_OK);
  ck_assert_uint_eq(found, b);
  ck_assert_int_eq(pool->klass->addr_object(&found, pool, seg, a), RES_OK);
  ck_assert_uint_eq(found, a);
  /* the buffer's unused part holds no object */
  ck_assert_int_eq(pool->klass->addr_object(&found, pool, seg, buffer_init_addr(ap)),
                   RES_FAIL);
  ck_assert_int_eq(pool_describe(pool, mps_lib_get_stdout(), 0), RES_OK);

  /* emptying frees the tail; the committed objects stay */
  buffer_destroy(ap);
  ap = NULL;
  ck_assert_uint_eq(pool_total_size(pool), total);
  ck_assert_uint_eq(pool_free_size(pool), total - 10 * W);
  ck_assert_uint_eq(markpool_of_pool(pool)->pgen.total_size, 10 * W);
  ck_assert_uint_eq(walk_count(pool), 2);
  ck_assert_int_eq(pool->klass->addr_object(&found, pool, seg, b + 10 * W), RES_FAIL);

  /* a new buffer reuses the free run after them */
  ap = make_ap(pool, RANK_EXACT);
  obj = new_obj(ap, 2, 0);
  ck_assert_uint_eq(obj, b + 6 * W);
  ck_assert_uint_eq(pool_total_size(pool), total);
  ck_assert_uint_eq(walk_count(pool), 3);
}
END_TEST

/* ---- Collections ---- */

/* A list of reachable objects, each referring to the one allocated before
 * it (so scanning the newest greys objects behind it in the segment),
 * interleaved with garbage. */
START_TEST(reachable_survive_garbage_dies)
{
  enum { N = 1000 };
  Addr root = 0, prev = 0;
  Addr live[N];
  Size garbage = 0, free_before;

  for (Index i = 0; i < N; ++i) {
    live[i] = new_obj(ap, 4, 1);
    *obj_ref(live[i], 0) = prev;
    prev = live[i];
    if (i % 3 == 0) {
      new_obj(ap, 3, 0);
      garbage += 3 * W;
    }
  }
  root = prev;
  free_before = pool_free_size(pool);
  ck_assert_uint_eq(walk_count(pool), N + (N + 2) / 3);

  collect((Addr *[]){&root}, 1);
  ck_assert_uint_eq(trace.condemned, N * 4 * W + garbage);
  ck_assert_uint_eq(trace.preserved, N * 4 * W);
  ck_assert_uint_eq(trace.reclaimed, garbage);
  ck_assert_uint_eq(scanned, N);       /* each survivor scanned once */
  ck_assert_uint_eq(pool_free_size(pool), free_before + garbage);
  ck_assert_uint_eq(walk_count(pool), N);
  ck_assert_uint_eq(root, live[N - 1]);
  for (Index i = 0; i < N; ++i) {
    ck_assert(obj_intact(live[i], 4, 1));
    ck_assert_uint_eq(*obj_ref(live[i], 0), i == 0 ? 0 : live[i - 1]);
  }
  /* the segments are no longer white or grey */
  for (Ring *sn = pool->seg_ring.next; sn != &pool->seg_ring; sn = sn->next) {
    Seg *seg = RING_ELT(Seg, pool_ring, sn);
    ck_assert_uint_eq(seg->white, 0);
    ck_assert_uint_eq(seg->grey, 0);
  }

  /* Nothing reachable: everything goes. */
  collect(NULL, 0);
  ck_assert_uint_eq(trace.preserved, 0);
  ck_assert_uint_eq(trace.reclaimed, N * 4 * W);
  ck_assert_uint_eq(walk_count(pool), 0);
}
END_TEST

/* Objects across many segments, with references forwards and back; then
 * everything dies and the segments go back to the arena. */
START_TEST(many_segments_released)
{
  enum { N = 3000, WORDS = 40 };
  static Addr obj[N];
  Addr root;
  Size committed;

  for (Index i = 0; i < N; ++i) {
    obj[i] = new_obj(ap, WORDS, 2);
    if (i > 0) {
      *obj_ref(obj[i], 0) = obj[i - 1];
      *obj_ref(obj[i - 1], 1) = obj[i];     /* forward */
    }
  }
  ck_assert_uint_gt(ring_length(&pool->seg_ring), 10);
  root = obj[N / 2];
  collect((Addr *[]){&root}, 1);
  ck_assert_uint_eq(trace.reclaimed, 0);
  ck_assert_uint_eq(walk_count(pool), N);
  for (Index i = 0; i < N; ++i)
    ck_assert(obj_intact(obj[i], WORDS, 2));

  /* Break the chain in the middle: the front half dies. */
  *obj_ref(obj[N / 2], 0) = 0;
  *obj_ref(obj[N / 2 - 1], 1) = 0;
  collect((Addr *[]){&root}, 1);
  ck_assert_uint_eq(trace.reclaimed, (N / 2) * WORDS * W);
  ck_assert_uint_eq(walk_count(pool), N - N / 2);

  /* Everything dies: only the buffer's segment stays. */
  committed = arena_committed(arena) - arena_spare_committed(arena);
  collect(NULL, 0);
  ck_assert_uint_eq(walk_count(pool), 0);
  ck_assert_uint_eq(ring_length(&pool->seg_ring), 1);
  ck_assert_uint_lt(arena_committed(arena) - arena_spare_committed(arena), committed);
  ck_assert_ptr_eq(RING_ELT(Seg, pool_ring, pool->seg_ring.next), ap->seg);
  /* and it goes when the buffer lets go of it */
  buffer_destroy(ap);
  ap = NULL;
  ck_assert(ring_is_empty(&pool->seg_ring));
  ck_assert_uint_eq(pool_total_size(pool), 0);
  ck_assert_uint_eq(markpool_of_pool(pool)->pgen.total_size, 0);
}
END_TEST

/* A segment whose last object dies goes back at reclaim when no buffer
 * holds it. */
START_TEST(empty_segment_released_at_reclaim)
{
  Addr a = new_obj(ap, 8, 0);
  Seg *seg;
  ck_assert(arena_seg_of_addr(&seg, arena, a));
  buffer_destroy(ap);              /* the segment keeps the object */
  ap = NULL;
  ck_assert_uint_eq(ring_length(&pool->seg_ring), 1);
  collect(NULL, 0);
  ck_assert_uint_eq(trace.reclaimed, 8 * W);
  ck_assert(ring_is_empty(&pool->seg_ring));
  ck_assert(!arena_seg_of_addr(&seg, arena, a));
  ck_assert_uint_eq(pool_total_size(pool), 0);
  ck_assert_uint_eq(pool_free_size(pool), 0);
}
END_TEST

START_TEST(ambiguous_values)
{
  Addr a = new_obj(ap, 4, 1);
  Addr b = new_obj(ap, 4, 1);
  Addr c = new_obj(ap, 4, 1);
  Addr d = new_obj(ap, 4, 0);
  Addr e = new_obj(ap, 6, 0);
  Addr va, vb, vfree, vbuf, vodd, vbefore, vc, copy;
  Seg *seg;

  ck_assert(arena_seg_of_addr(&seg, arena, a));
  *obj_ref(c, 0) = e;            /* e is reached through c */
  /* d dies first, so a later value pointing at it points at free grains */
  collect((Addr *[]){&a, &b, &c, &e}, 4);
  ck_assert(!grain_allocated(d));
  ck_assert(grain_allocated(e));

  trace_condemn(NULL);
  va = a;                        /* a client pointer: preserves a */
  vb = b + W;                    /* interior: not a reference to b */
  vfree = d;                     /* free grains */
  vbuf = buffer_alloc_addr(ap);  /* the buffer's unused part */
  vodd = a + 3;                  /* unaligned */
  vbefore = seg_base(seg) - 1;   /* just outside the pool */
  vc = c;
  copy = vb;
  fix_root(&va, RANK_AMBIG);
  fix_root(&vb, RANK_AMBIG);
  fix_root(&vfree, RANK_AMBIG);
  fix_root(&vbuf, RANK_AMBIG);
  fix_root(&vodd, RANK_AMBIG);
  fix_root(&vbefore, RANK_AMBIG);
  fix_root(&vc, RANK_EXACT);
  ck_assert_uint_eq(va, a);      /* never changed */
  ck_assert_uint_eq(vb, copy);
  ck_assert_uint_eq(vfree, d);
  trace_scan();
  trace_reclaim();
  ck_assert(grain_allocated(a) && obj_intact(a, 4, 1));
  ck_assert(!grain_allocated(b));
  ck_assert(grain_allocated(c) && obj_intact(c, 4, 1));
  ck_assert(grain_allocated(e) && obj_intact(e, 6, 0));
  ck_assert(!grain_allocated(d));        /* not brought back to life */
  ck_assert_uint_eq(trace.reclaimed, 4 * W);
  ck_assert_uint_eq(walk_count(pool), 3);
}
END_TEST

/* Objects on an ambiguous allocation point live in segments of their
 * own rank, scanned ambiguously: their interior values preserve
 * nothing, their base pointers do. */
START_TEST(ambiguous_rank_segments)
{
  Buffer *amb = make_ap(pool, RANK_AMBIG);
  Addr holder = new_obj(amb, 4, 3);
  Addr t1 = new_obj(ap, 4, 0), t2 = new_obj(ap, 4, 0), t3 = new_obj(ap, 4, 0);
  Seg *hs, *ts;

  ck_assert(arena_seg_of_addr(&hs, arena, holder));
  ck_assert(arena_seg_of_addr(&ts, arena, t1));
  ck_assert_ptr_ne(hs, ts);
  ck_assert(hs->rank_set == RANKSET_SINGLE(RANK_AMBIG));
  *obj_ref(holder, 0) = t1;
  *obj_ref(holder, 1) = t2 + 2 * W;      /* interior */
  *obj_ref(holder, 2) = (Addr)0x11;      /* not a reference at all */
  collect((Addr *[]){&holder}, 1);
  ck_assert(grain_allocated(t1) && obj_intact(t1, 4, 0));
  ck_assert(!grain_allocated(t2));
  ck_assert(!grain_allocated(t3));
  ck_assert_uint_eq(*obj_ref(holder, 1), t2 + 2 * W);
  ck_assert_uint_eq(*obj_ref(holder, 2), 0x11);
  buffer_destroy(amb);
}
END_TEST

START_TEST(weak_fix)
{
  Addr x = new_obj(ap, 4, 0), y = new_obj(ap, 4, 0);
  Addr wx, wy;
  trace_condemn(NULL);
  fix_root(&x, RANK_EXACT);
  trace_scan();
  wx = x;
  wy = y;
  ck_assert(fix_root(&wx, RANK_WEAK));
  ck_assert_uint_eq(wx, x);
  ck_assert(!fix_root(&wy, RANK_WEAK));
  ck_assert_uint_eq(wy, 0);                /* splatted */
  trace_reclaim();
  ck_assert(grain_allocated(x));
  ck_assert(!grain_allocated(y));
}
END_TEST

/* A block reserved but not committed at the flip is neither scanned nor
 * reclaimed; its commit then fails and the retry gets the same memory. */
START_TEST(reserved_block_kept)
{
  Addr a = new_obj(ap, 4, 1);
  Addr p = reserve(ap, 8 * W), again;
  Size reserved_free;
  obj_init(p, 8, 1);
  *obj_ref(p + hdr, 0) = a;      /* not seen by the trace */
  reserved_free = pool_free_size(pool);
  collect(NULL, 0);
  ck_assert_uint_eq(trace.reclaimed, 4 * W);
  ck_assert_uint_eq(scanned, 0);
  ck_assert(grain_allocated(p) && grain_allocated(p + 7 * W));
  ck_assert(obj_intact(p + hdr, 8, 1));
  ck_assert_uint_eq(pool_free_size(pool), reserved_free + 4 * W);
  ck_assert(!commit(ap, p, 8 * W));          /* the flip spoilt it */
  again = reserve(ap, 8 * W);
  ck_assert_uint_eq(again, p);
  obj_init(again, 8, 0);
  ck_assert(commit(ap, again, 8 * W));
  ck_assert_uint_eq(walk_count(pool), 1);
}
END_TEST

/* A pool not condemned is greyed and scanned whole, preserving what it
 * refers to; references from it into LO keep leaf objects too. */
START_TEST(uncondemned_pool_and_leaves)
{
  Pool *other, *leaf;
  Buffer *oap, *lap;
  Addr holder, kept, lost, lkept, llost;
  Seg *hs, *ls;

  ck_assert_int_eq(make_pool(&other, &ams_class, format, true), RES_OK);
  ck_assert_int_eq(make_pool(&leaf, &lo_class, format, true), RES_OK);
  oap = make_ap(other, RANK_EXACT);
  lap = make_ap(leaf, RANK_EXACT);
  holder = new_obj(oap, 5, 2);
  kept = new_obj(ap, 4, 1);
  lost = new_obj(ap, 4, 1);
  lkept = new_obj(lap, 4, 0);
  llost = new_obj(lap, 4, 0);
  *obj_ref(holder, 0) = kept;
  *obj_ref(kept, 0) = lkept;
  *obj_ref(holder, 1) = 0;
  *obj_ref(lost, 0) = llost;
  ck_assert(arena_seg_of_addr(&hs, arena, holder));
  ck_assert(arena_seg_of_addr(&ls, arena, lkept));
  ck_assert(ls->rank_set == RANKSET_EMPTY);

  trace_condemn(other);
  ck_assert_uint_eq(hs->white, 0);
  ck_assert_uint_ne(hs->grey, 0);            /* greyed at the flip */
  ck_assert_uint_ne(ls->white, 0);
  trace_scan();
  ck_assert(hs->summary != REFSET_UNIV);      /* scanned whole: total */
  ck_assert(refset_is_member_addr(arena->zone_shift, hs->summary, kept));
  ck_assert_uint_eq(ls->grey, 0);
  trace_reclaim();
  ck_assert(grain_allocated(kept) && obj_intact(kept, 4, 1));
  ck_assert(grain_allocated(lkept) && obj_intact(lkept, 4, 0));
  ck_assert(!grain_allocated(lost));
  ck_assert(!grain_allocated(llost));
  ck_assert(grain_allocated(holder));
  ck_assert_uint_eq(walk_count(leaf), 1);

  buffer_destroy(oap);
  buffer_destroy(lap);
  pool_destroy(other);
  pool_destroy(leaf);
}
END_TEST

/* ---- In-band headers ---- */

static mps_res_t first_client(mps_ss_t ss, void *base, void *limit, void *closure)
{
  Addr *first = closure;
  UNUSED(ss);
  UNUSED(limit);
  if (*first == 0)
    *first = ptr_addr(base);
  return MPS_RES_OK;
}

START_TEST(header_objects)
{
  Addr a = new_obj(ap, 4, 1), b = new_obj(ap, 4, 1), c = new_obj(ap, 4, 1);
  Addr first = 0, found, vbase, va;
  ScanState ss;
  Seg *seg;

  ck_assert(arena_seg_of_addr(&seg, arena, a));
  ck_assert_uint_eq(a, seg_base(seg) + W);   /* client = base + header */
  *obj_ref(a, 0) = b;
  scan_state_init(&ss, arena, TRACESET_EMPTY, RANK_EXACT);
  ck_assert_int_eq(pool->klass->walk(pool, seg, &ss, first_client, &first), RES_OK);
  scan_state_finish(&ss);
  ck_assert_uint_eq(first, a);
  ck_assert_int_eq(pool->klass->addr_object(&found, pool, seg, b - W), RES_OK);
  ck_assert_uint_eq(found, b);               /* the header belongs to b */

  trace_condemn(NULL);
  va = a;
  vbase = c - W;                 /* the block's base is not its client pointer */
  fix_root(&va, RANK_EXACT);
  fix_root(&vbase, RANK_AMBIG);
  trace_scan();
  trace_reclaim();
  ck_assert(grain_allocated(a - W) && obj_intact(a, 4, 1));
  ck_assert(grain_allocated(b - W) && obj_intact(b, 4, 1));
  ck_assert(!grain_allocated(c - W));
  ck_assert_uint_eq(walk_count(pool), 2);
}
END_TEST

/* ---- Client errors that assert (cool only: ASSERT_CRIT) ---- */

START_TEST(exact_interior_asserts)
{
  Addr a = new_obj(ap, 4, 0);
  Addr bad = a + W;
  trace_condemn(NULL);
  fix_root(&bad, RANK_EXACT);
}
END_TEST

START_TEST(ambiguous_unsupported_asserts)
{
  Addr a = new_obj(ap, 4, 0);
  trace_condemn(NULL);
  fix_root(&a, RANK_AMBIG);
}
END_TEST

/* ---- The debugging class ---- */

START_TEST(debug_free_space)
{
  Addr a = new_obj(ap, 4, 0), b = new_obj(ap, 6, 0), again;
  ck_assert(pool_class_is_subclass(pool->klass, &ams_class));
  ck_assert_ptr_nonnull(pool->klass->debug_mixin(pool));
  collect((Addr *[]){&a}, 1);
  ck_assert(!grain_allocated(b));
  /* the reclaimed object was splatted */
  ck_assert_uint_ne(obj_words(b)[0], (Word)(6 * W) << 8);
  pool_check_free_space(pool);
  buffer_destroy(ap);                /* the tail is splatted too */
  ap = NULL;
  pool_check_free_space(pool);
  /* refilling from splatted space passes the debug fill's check */
  ap = make_ap(pool, RANK_EXACT);
  again = new_obj(ap, 6, 0);
  ck_assert_uint_eq(again, b);
  pool_check_free_space(pool);
}
END_TEST

START_TEST(debug_overwrite_detected)
{
  Addr a = new_obj(ap, 4, 0), b = new_obj(ap, 6, 0);
  collect((Addr *[]){&a}, 1);
  obj_words(b)[2] = 42;              /* a write after the object died */
  pool_check_free_space(pool);
}
END_TEST

START_TEST(debug_options)
{
  static const char fence[] = "FENCEPOS", freet[] = "FREE";
  mps_pool_debug_option_s opts = {fence, 8, freet, 4};
  mps_pool_debug_option_s bad = {NULL, 8, freet, 4};
  mps_arg_s args[3];
  Pool *p;
  Buffer *b;
  Addr o;
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = format;
  args[1].key = MPS_KEY_POOL_DEBUG_OPTIONS;
  args[1].val.pool_debug_options = &bad;
  args[2].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&p, arena, &ams_debug_class, args), RES_PARAM);
  /* fenceposts are accepted (design.ams.debug.fence) */
  args[1].val.pool_debug_options = &opts;
  ck_assert_int_eq(pool_create(&p, arena, &ams_debug_class, args), RES_OK);
  b = make_ap(p, RANK_EXACT);
  o = reserve(b, 4 * W);
  ck_assert_uint_eq(*(Word *)addr_ptr(o + 2 * W) & 0xFFFFFFFFu,
                    ((const uint32_t *)(const void *)freet)[0]);
  obj_init(o, 4, 0);
  ck_assert(commit(b, o, 4 * W));
  pool_check_fenceposts(p);
  pool_check_free_space(p);
  buffer_destroy(b);
  pool_destroy(p);
}
END_TEST

/* ---- Through the public interface ---- */

static mps_addr_t pub_new(mps_ap_t pap, Count words, Count nrefs)
{
  mps_addr_t p;
  do {
    ck_assert_int_eq(mps_reserve(&p, pap, words * W), MPS_RES_OK);
    obj_init(ptr_addr(p), words, nrefs);
  } while (!mps_commit(pap, p, words * W));
  return p;
}

/* The variadic constructors, the debugging class with free-space
 * splatting and a leaf pool, through a real collection. */
START_TEST(public_interface)
{
  static mps_addr_t roots[2];
  mps_pool_debug_option_s opts = {NULL, 0, "DEAD", 4};
  mps_gen_param_s gen = {1024, 0.5};
  mps_arena_t a;
  mps_fmt_t f;
  mps_chain_t chain;
  mps_pool_t p, l;
  mps_ap_t pap, lap;
  mps_root_t root;
  mps_addr_t holder, leaf, found;
  size_t free_before, leaf_free_before;

  hdr = 0;
  ck_assert_int_eq(mps_arena_create_k(&a, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  mps_arena_park(a);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, W);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, t_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, t_skip);
    ck_assert_int_eq(mps_fmt_create_k(&f, a, args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_chain_create(&chain, a, 1, &gen), MPS_RES_OK);
  ck_assert_int_eq(mps_pool_create(&p, a, mps_class_ams_debug(), &opts, f, chain),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_pool_create(&l, a, mps_class_lo(), f), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create(&pap, p, mps_rank_exact()), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create(&lap, l), MPS_RES_OK);

  holder = pub_new(pap, 6, 2);
  leaf = pub_new(lap, 5, 0);
  *obj_ref(ptr_addr(holder), 0) = ptr_addr(leaf);
  *obj_ref(ptr_addr(holder), 1) = ptr_addr(pub_new(pap, 4, 1));    /* kept too */
  for (int i = 0; i < 100; ++i) {
    (void)pub_new(pap, 4, 1);
    (void)pub_new(lap, 3, 0);
  }
  roots[0] = holder;
  ck_assert_int_eq(mps_root_create_table(&root, a, mps_rank_exact(), 0, roots, 2),
                   MPS_RES_OK);
  free_before = mps_pool_free_size(p);
  leaf_free_before = mps_pool_free_size(l);
  ck_assert_int_eq(mps_arena_collect(a), MPS_RES_OK);
  ck_assert_uint_eq(mps_pool_free_size(p), free_before + 100 * 4 * W);
  ck_assert_uint_eq(mps_pool_free_size(l), leaf_free_before + 100 * 3 * W);
  ck_assert(obj_intact(ptr_addr(holder), 6, 2));
  ck_assert(obj_intact(ptr_addr(leaf), 5, 0));
  ck_assert(obj_intact(*obj_ref(ptr_addr(holder), 1), 4, 1));
  mps_pool_check_free_space(p);
  ck_assert_int_eq(mps_addr_object(&found, a, (char *)holder + 3 * W), MPS_RES_OK);
  ck_assert_ptr_eq(found, holder);

  mps_root_destroy(root);
  mps_ap_destroy(pap);
  mps_ap_destroy(lap);
  mps_pool_destroy(p);
  mps_pool_destroy(l);
  mps_chain_destroy(chain);
  mps_fmt_destroy(f);
  mps_arena_destroy(a);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/ams");
  TCase *tc = tcase_create("ams");
  TCase *th = tcase_create("header");
  TCase *td = tcase_create("debug");
  TCase *ta = tcase_create("asserts");
  TCase *tp = tcase_create("public");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, create_arguments);
  tcase_add_test(tc, ranks_and_no_alloc);
  tcase_add_test(tc, sizes_walk_lookup);
  tcase_add_test(tc, reachable_survive_garbage_dies);
  tcase_add_test(tc, many_segments_released);
  tcase_add_test(tc, empty_segment_released_at_reclaim);
  tcase_add_test(tc, ambiguous_values);
  tcase_add_test(tc, ambiguous_rank_segments);
  tcase_add_test(tc, weak_fix);
  tcase_add_test(tc, reserved_block_kept);
  tcase_add_test(tc, uncondemned_pool_and_leaves);
  suite_add_tcase(s, tc);

  tcase_add_checked_fixture(th, setup_header, teardown);
  tcase_add_test(th, header_objects);
  tcase_add_test(th, reachable_survive_garbage_dies);
  tcase_add_test(th, ambiguous_values);
  suite_add_tcase(s, th);

  tcase_add_checked_fixture(td, setup_debug, teardown);
  tcase_add_test(td, debug_free_space);
  tcase_add_test_raise_signal(td, debug_overwrite_detected, SIGABRT);
  tcase_add_test(td, debug_options);
  tcase_add_test(td, reachable_survive_garbage_dies);
  suite_add_tcase(s, td);

#if CONFIG_ASSERT_CRIT
  tcase_add_checked_fixture(ta, setup_no_ambig, teardown);
  tcase_add_test_raise_signal(ta, exact_interior_asserts, SIGABRT);
  tcase_add_test_raise_signal(ta, ambiguous_unsupported_asserts, SIGABRT);
#else
  UNUSED(setup_no_ambig);
  UNUSED(exact_interior_asserts);
  UNUSED(ambiguous_unsupported_asserts);
#endif
  suite_add_tcase(s, ta);

  tcase_add_test(tp, public_interface);
  suite_add_tcase(s, tp);

  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
