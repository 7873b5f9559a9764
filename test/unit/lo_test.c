/* test/unit/lo_test.c -- LO internals: keyword checks, leaf segments
 * (never grey, never scanned), marking by exact, ambiguous and weak
 * fixes, reclaim and segment release, in-band headers.  AMS objects
 * referring to LO objects are tested in ams_test.c.
 * Design: manual/design/lo.rst */
#include "pool/lo.h"
#include "pool/buffer.h"
#include "trace/trace.h"
#include "base/bt.h"
#include "mpsavm.h"

#include <check.h>
#include <signal.h>
#include <string.h>

#define WORD_BYTES ((Size)sizeof(Word))

static mps_arena_t arena;
static Size header;             /* of the leaf format: 0 or a word */
static Format *fmt;
static Pool *lo;
static Buffer *buf;
static Trace tr;
static ScanState root_ss[RANK_LIMIT];   /* roots are fixed rank by rank */

/* Leaf format: the block's first word is its size in bytes; the rest is
 * data (a pattern of the client pointer).  client = block + header. */
static Word *leaf_block(Addr client) { return (Word *)addr_ptr(client - header); }

static mps_addr_t leaf_skip(mps_addr_t client)
{
  return (char *)client + leaf_block(ptr_addr(client))[0];
}

static Format *leaf_format(bool skip)
{
  Format *f;
  mps_arg_s args[4];
  args[0].key = MPS_KEY_FMT_HEADER_SIZE;
  args[0].val.size = header;
  args[1].key = MPS_KEY_FMT_ALIGN;
  args[1].val.align = WORD_BYTES;
  args[2].key = skip ? MPS_KEY_FMT_SKIP : MPS_KEY_ARGS_END;
  args[2].val.fmt_skip = leaf_skip;
  args[3].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(format_create(&f, arena, args), RES_OK);
  return f;
}

static void start(Size hdr_size)
{
  mps_arg_s args[2];
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  arena_enter(arena);
  header = hdr_size;
  fmt = leaf_format(true);
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = fmt;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&lo, arena, &lo_class, args), RES_OK);
  ck_assert_int_eq(buffer_create(&buf, lo, mps_args_none), RES_OK);
}

static void start_plain(void) { start(0); }
static void start_header(void) { start(WORD_BYTES); }

static void stop(void)
{
  if (buf != NULL)
    buffer_destroy(buf);
  buf = NULL;
  pool_destroy(lo);
  format_destroy(fmt);
  arena_leave(arena);
  mps_arena_destroy(arena);
}

/* Reserve and commit a leaf of `words` words; its client pointer. */
static Addr leaf(Count words)
{
  Size size = words * WORD_BYTES;
  Addr p = buffer_alloc_addr(buf);
  Word *w;
  if (buf->ap.limit != NULL && size <= ptr_addr(buf->ap.limit) - p)
    buf->ap.alloc = addr_ptr(p + size);
  else
    ck_assert_int_eq(buffer_fill(&p, buf, size), RES_OK);
  w = addr_ptr(p);
  w[0] = size;
  for (Index i = 1; i < words; ++i)
    w[i] = (Word)(p + header) ^ i;
  buf->ap.init = buf->ap.alloc;
  ck_assert_ptr_nonnull(buf->ap.limit);      /* no flip in between */
  return p + header;
}

static bool leaf_intact(Addr client, Count words)
{
  Word *w = leaf_block(client);
  if (w[0] != words * WORD_BYTES)
    return false;
  for (Index i = 1; i < words; ++i)
    if (w[i] != (client ^ i))
      return false;
  return true;
}

static bool live(Addr client)
{
  Seg *seg;
  Addr base = client - header;
  if (!arena_seg_of_addr(&seg, arena, base))
    return false;
  return bt_get(markseg_of_seg(seg)->alloc_table,
                (base - seg_base(seg)) >> markpool_of_pool(lo)->grain_shift);
}

/* The engine's part for a pool whose segments are never grey: whiten,
 * flip, fix roots, reclaim. */
static void condemn(void)
{
  memset(&tr, 0, sizeof tr);
  tr.arena = arena;
  tr.why = TRACE_WHY_CHAIN;
  tr.sig = SIG_TRACE;
  arena->busy_traces = traceset_single(0);
  for (Ring *cn = arena->chain_ring.next; cn != &arena->chain_ring; cn = cn->next) {
    Chain *chain = RING_ELT(Chain, arena_ring, cn);
    for (Index g = 0; g < chain->gen_count; ++g)
      chain_condemn_gen(chain, g, true);   /* design.gen.condemn */
  }
  for (Ring *n = lo->seg_ring.next; n != &lo->seg_ring; n = n->next) {
    Seg *seg = RING_ELT(Seg, pool_ring, n);
    ck_assert(seg->rank_set == RANKSET_EMPTY);
    ck_assert_int_eq(lo->klass->whiten(lo, &tr, seg), RES_OK);
    if (seg->white != 0)
      tr.white |= refset_of_range(arena->zone_shift, seg_base(seg), seg_limit(seg));
  }
  buffer_flip(buf);
  tr.state = TRACE_FLIPPED;
  for (Rank r = 0; r < RANK_LIMIT; ++r) {
    scan_state_init(&root_ss[r], arena, traceset_single(0), r);
    scan_state_set_white(&root_ss[r], tr.white);
  }
}

/* Fix a root reference in the scan state of its rank; whether the
 * object was already preserved. */
static bool fix(Addr *ref_io, Rank rank)
{
  ScanState *ss = &root_ss[rank];
  ss->was_marked = false;
  ck_assert_int_eq(scan_fix(ss, ref_io), RES_OK);
  return ss->was_marked;
}

static void reclaim(void)
{
  Ring *n, *next;
  for (Rank r = 0; r < RANK_LIMIT; ++r)
    scan_state_finish(&root_ss[r]);
  /* design.scan.grey.rank: leaf segments are never grey */
  for (Rank r = 0; r < RANK_LIMIT; ++r)
    ck_assert(ring_is_empty(&arena->grey_ring[r]));
  tr.state = TRACE_RECLAIM;
  RING_FOR(n, &lo->seg_ring, next) {
    Seg *seg = RING_ELT(Seg, pool_ring, n);
    if (seg->white != 0)
      lo->klass->reclaim(lo, &tr, seg);
  }
  ck_assert_uint_eq(tr.preserved + tr.reclaimed, tr.condemned);
  tr.sig = SIG_INVALID;
  arena->busy_traces = TRACESET_EMPTY;
}

static mps_res_t tally(mps_ss_t ss, void *base, void *limit, void *closure)
{
  UNUSED(ss);
  for (Addr c = ptr_addr(base); c < ptr_addr(limit); c = ptr_addr(leaf_skip(addr_ptr(c))))
    ++*(Count *)closure;
  return MPS_RES_OK;
}

static Count objects(void)
{
  ScanState ss;
  Count n = 0;
  scan_state_init(&ss, arena, TRACESET_EMPTY, RANK_EXACT);
  for (Ring *r = lo->seg_ring.next; r != &lo->seg_ring; r = r->next)
    ck_assert_int_eq(lo->klass->walk(lo, RING_ELT(Seg, pool_ring, r), &ss, tally, &n), RES_OK);
  scan_state_finish(&ss);
  return n;
}

START_TEST(keywords)
{
  Format *noskip = leaf_format(false);
  Pool *p;
  Buffer *b;
  mps_arg_s args[3];
  args[0].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&p, arena, &lo_class, args), RES_PARAM);
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = noskip;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&p, arena, &lo_class, args), RES_PARAM);
  /* a format without scan is fine: leaves are never scanned */
  ck_assert_ptr_null(fmt->scan);
  args[0].val.format = fmt;
  args[1].key = MPS_KEY_AMS_SUPPORT_AMBIGUOUS;
  args[1].val.b = true;
  args[2].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&p, arena, &lo_class, args), RES_PARAM);
  args[1].key = MPS_KEY_GEN;
  args[1].val.u = 1;                     /* the default chain has one */
  ck_assert_int_eq(pool_create(&p, arena, &lo_class, args), RES_PARAM);
  args[1].val.u = 0;
  ck_assert_int_eq(pool_create(&p, arena, &lo_class, args), RES_OK);
  /* allocation points take no keywords (no rank: no references) */
  args[0].key = MPS_KEY_RANK;
  args[0].val.rank = RANK_EXACT;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(buffer_create(&b, p, args), RES_PARAM);
  ck_assert(pool_has_attr(p, POOL_ATTR_GC | POOL_ATTR_BUFFER));
  pool_destroy(p);
  format_destroy(noskip);
}
END_TEST

START_TEST(mark_and_reclaim)
{
  enum { N = 600 };
  Addr keep[N], drop[N];
  Size free_before, total;
  Seg *seg;

  for (Index i = 0; i < N; ++i) {
    keep[i] = leaf(3 + i % 5);
    drop[i] = leaf(2 + i % 7);
  }
  ck_assert(arena_seg_of_addr(&seg, arena, keep[0]));
  ck_assert(seg->rank_set == RANKSET_EMPTY && seg->summary == REFSET_EMPTY);
  ck_assert_uint_eq(objects(), 2 * N);
  free_before = pool_free_size(lo);
  total = pool_total_size(lo);

  condemn();
  for (Index i = 0; i < N; ++i) {
    Addr ref = keep[i];
    ck_assert(!fix(&ref, RANK_EXACT));
    ck_assert_uint_eq(ref, keep[i]);
    ck_assert(fix(&ref, RANK_EXACT));   /* the second time, already marked */
  }
  reclaim();
  ck_assert_uint_eq(objects(), N);
  for (Index i = 0; i < N; ++i) {
    ck_assert(live(keep[i]) && leaf_intact(keep[i], 3 + i % 5));
    ck_assert(!live(drop[i]));
  }
  ck_assert_uint_eq(pool_total_size(lo), total);
  ck_assert_uint_eq(pool_free_size(lo) - free_before, tr.reclaimed);
  ck_assert_uint_gt(tr.reclaimed, 0);
}
END_TEST

START_TEST(ambiguous_and_weak)
{
  Addr a = leaf(4), b = leaf(4), c = leaf(4), d = leaf(4);
  Addr va = a, vb = b + WORD_BYTES, vc = c, wd = d, junk = buffer_alloc_addr(buf) + 8;
  condemn();
  ck_assert(!fix(&va, RANK_AMBIG));
  fix(&vb, RANK_AMBIG);                  /* interior: ignored */
  fix(&junk, RANK_AMBIG);                /* the buffer's free part */
  ck_assert_uint_eq(vb, b + WORD_BYTES);
  fix(&vc, RANK_EXACT);
  vc = c;
  ck_assert(fix(&vc, RANK_WEAK));        /* marked: kept */
  ck_assert_uint_eq(vc, c);
  ck_assert(!fix(&wd, RANK_WEAK));       /* unmarked: splatted */
  ck_assert_uint_eq(wd, 0);
  reclaim();
  ck_assert(live(a) && leaf_intact(a, 4));
  ck_assert(!live(b));
  ck_assert(live(c) && leaf_intact(c, 4));
  ck_assert(!live(d));
  ck_assert_uint_eq(tr.reclaimed, 8 * WORD_BYTES);
}
END_TEST

START_TEST(segments_go_back)
{
  for (Index i = 0; i < 5000; ++i)
    leaf(31);
  ck_assert_uint_gt(ring_length(&lo->seg_ring), 1);
  condemn();
  reclaim();
  ck_assert_uint_eq(objects(), 0);
  /* only the buffer's segment is left, and it goes with the buffer */
  ck_assert_uint_eq(ring_length(&lo->seg_ring), 1);
  buffer_destroy(buf);
  buf = NULL;
  ck_assert_uint_eq(pool_total_size(lo), 0);
  ck_assert(ring_is_empty(&lo->seg_ring));
}
END_TEST

START_TEST(headers)
{
  Addr a = leaf(3), b = leaf(5), found, ref;
  Seg *seg;
  ck_assert(arena_seg_of_addr(&seg, arena, a));
  ck_assert_uint_eq(a, seg_base(seg) + WORD_BYTES);
  ck_assert_int_eq(lo->klass->addr_object(&found, lo, seg, b + 2 * WORD_BYTES), RES_OK);
  ck_assert_uint_eq(found, b);
  condemn();
  ref = b;
  fix(&ref, RANK_EXACT);
  ref = a - WORD_BYTES;           /* a's block base: not its client pointer */
  fix(&ref, RANK_AMBIG);
  reclaim();
  ck_assert(!live(a));
  ck_assert(live(b) && leaf_intact(b, 5));
  ck_assert_uint_eq(objects(), 1);
}
END_TEST

START_TEST(exact_garbage_asserts)
{
  Addr a = leaf(4), bad = a + 2 * WORD_BYTES;
  condemn();
  fix(&bad, RANK_EXACT);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/lo");
  TCase *tc = tcase_create("lo");
  TCase *th = tcase_create("header");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, start_plain, stop);
  tcase_add_test(tc, keywords);
  tcase_add_test(tc, mark_and_reclaim);
  tcase_add_test(tc, ambiguous_and_weak);
  tcase_add_test(tc, segments_go_back);
#if CONFIG_ASSERT_CRIT
  tcase_add_test_raise_signal(tc, exact_garbage_asserts, SIGABRT);
#else
  UNUSED(exact_garbage_asserts);
#endif
  suite_add_tcase(s, tc);
  tcase_add_checked_fixture(th, start_header, stop);
  tcase_add_test(th, headers);
  tcase_add_test(th, mark_and_reclaim);
  tcase_add_test(th, ambiguous_and_weak);
  suite_add_tcase(s, th);

  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
