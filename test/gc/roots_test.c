/* test/gc/roots_test.c -- every kind of root, at the ranks it allows,
 * keeps exactly what it refers to: mps_root_create_area (with each area
 * scanner), _area_tagged, _table, _table_masked, _fmt, mps_root_create
 * with a client scanner, and the thread roots (_thread, _thread_tagged,
 * _thread_scanned) on the calling thread's own stack.  Destroying a root
 * lets its objects die; tags and ambiguous values are left as they were;
 * mps_arena_roots_walk visits root references.  Other threads' stacks are
 * in thread_test.c.
 * Design: manual/design/trace.rst (the MPS manual: topic/root.rst,
 * topic/scanning.rst) */
#include "mps.h"
#include "mpscmvff.h"
#include "gcfixture.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

enum { CLASS_KEPT = 1, CLASS_DROPPED = 2 };
enum { W_WW, W_KEPT, W_DROPPED, NWRAPPERS };
#define NOBJ 24                  /* objects kept per case */
#define NSLOTS (3 * NOBJ + 8)    /* words in a root area */

static const GcClass classes[] = {{CLASS_KEPT, 1, DYLAN_VAR_NONE},
                                   {CLASS_DROPPED, 1, DYLAN_VAR_NONE}};
static GcWorld w;
static mps_addr_t wrappers[NWRAPPERS];
static mps_word_t area[NSLOTS];          /* the root under test */
static mps_word_t saved[NSLOTS];
static mps_addr_t kept[NOBJ], dropped[NOBJ];
static int outside;                      /* memory no arena manages */

static void setup(void)
{
  GcWorldOptions o = {.arena_size = 32 * MiB, .pools = GC_POOL_AMS,
                      .table = wrappers, .table_len = NWRAPPERS,
                      .classes = classes, .nclasses = 2};
  gc_world_open(&w, &o);
  memset(area, 0, sizeof area);
}

static void teardown(void)
{
  gc_world_close(&w);
}

/* NOBJ objects to keep and NOBJ to drop, payload i.  The arena is parked
 * and nothing scans the C variables: they only remember addresses. */
static void make_objects(void)
{
  for (size_t i = 0; i < NOBJ; ++i) {
    mps_word_t payload = dylan_int((long)i);
    ck_assert_int_eq(dylan_make(&kept[i], w.ams_ap, 0, wrappers[W_KEPT], &payload, 0, NULL),
                     MPS_RES_OK);
    ck_assert_int_eq(dylan_make(&dropped[i], w.ams_ap, 0, wrappers[W_DROPPED], &payload, 0,
                                NULL), MPS_RES_OK);
  }
}

static void expect_counts(size_t n_kept, size_t n_dropped)
{
  DylanCensus c = gc_world_census(&w, w.ams);
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], n_kept);
  ck_assert_uint_eq(c.by_class[CLASS_DROPPED], n_dropped);
}

static void check_kept(void)
{
  for (size_t i = 0; i < NOBJ; ++i) {
    ck_assert(dylan_check(kept[i], 0));
    ck_assert_uint_eq(dylan_class_id(kept[i]), CLASS_KEPT);
    ck_assert_int_eq(dylan_int_value(*dylan_slot(kept[i], 0)), (long)i);
  }
}

/* After the area is filled and its root registered: collect, every kept
 * object survives and every dropped one dies, the area is unchanged;
 * then without the root the kept ones die too. */
static void collect_and_check(mps_root_t root)
{
  memcpy(saved, area, sizeof area);
  mps_arena_collect(w.arena);
  expect_counts(NOBJ, 0);
  check_kept();
  ck_assert_mem_eq(saved, area, sizeof area);
  mps_root_destroy(root);
  mps_arena_collect(w.arena);
  expect_counts(0, 0);
  memset(area, 0, sizeof area);
}

static mps_rank_t rank_of(int i)
{
  return i == 0 ? mps_rank_ambig() : mps_rank_exact();
}

/* Fill the area with the kept objects' references encoded by tag, and
 * with values that must not keep anything (fixed or not): tagged
 * integers, NULL, memory outside the arena, and (ambiguous roots only)
 * interior pointers to dropped objects. */
static void fill_area(mps_word_t tag, bool ambiguous)
{
  size_t k = 0;
  for (size_t i = 0; i < NOBJ; ++i) {
    area[k++] = (mps_word_t)kept[i] | tag;
    area[k++] = dylan_int((long)i);
    if (ambiguous)
      area[k++] = (mps_word_t)dropped[i] + DYLAN_WORD;
  }
  area[k++] = 0;
  area[k++] = (mps_word_t)&outside | tag;
  ck_assert_uint_le(k, NSLOTS);
}

/* A root over the area, of the given rank. */
typedef mps_res_t AreaRootFn(mps_root_t *root_o, mps_rank_t rank);
/* Fill the area for a root that is ambiguous or not. */
typedef void AreaFillFn(bool ambiguous);

/* For an ambiguous root and then an exact one: register it, make the
 * objects, fill the area, and collect_and_check. */
static void each_rank(AreaRootFn *create, AreaFillFn *fill)
{
  for (int r = 0; r < 2; ++r) {
    mps_root_t root;
    ck_assert_int_eq(create(&root, rank_of(r)), MPS_RES_OK);
    make_objects();
    fill(r == 0);
    collect_and_check(root);
  }
}

static mps_res_t area_root(mps_root_t *root_o, mps_rank_t rank)
{
  return mps_root_create_area(root_o, w.arena, rank, 0, area, area + NSLOTS,
                              mps_scan_area, NULL);
}

static void area_fill(bool ambiguous)
{
  /* mps_scan_area fixes every word: only references and NULL when
   * exact. */
  if (ambiguous) {
    fill_area(0, true);
  } else {
    for (size_t i = 0; i < NOBJ; ++i)
      area[2 * i] = (mps_word_t)kept[i];
    area[2 * NOBJ] = (mps_word_t)&outside;
  }
}

START_TEST(area_scan_area)
{
  each_rank(area_root, area_fill);
}
END_TEST

/* Tagged area roots: the scanner and pattern of the next tagged_root. */
static mps_area_scan_t tagged_scanner;
static mps_word_t tagged_pattern;

static mps_res_t tagged_root(mps_root_t *root_o, mps_rank_t rank)
{
  return mps_root_create_area_tagged(root_o, w.arena, rank, 0, area, area + NSLOTS,
                                     tagged_scanner, 7, tagged_pattern);
}

static void each_rank_tagged(mps_area_scan_t scanner, mps_word_t pattern, AreaFillFn *fill)
{
  tagged_scanner = scanner;
  tagged_pattern = pattern;
  each_rank(tagged_root, fill);
}

static void tagged_zero_fill(bool ambiguous)
{
  fill_area(0, ambiguous);
  /* Words whose tag is not the pattern are never fixed, even when the
   * root is exact: these would not be valid references. */
  area[NSLOTS - 1] = (mps_word_t)dropped[0] + 4;
  area[NSLOTS - 2] = (mps_word_t)dropped[1] + 1;
}

START_TEST(area_tagged_zero_pattern)
{
  each_rank_tagged(mps_scan_area_tagged, 0, tagged_zero_fill);
}
END_TEST

static void tagged_nonzero_fill(bool ambiguous)
{
  fill_area(2, ambiguous);    /* references tagged 2; the tag is restored */
  area[NSLOTS - 1] = (mps_word_t)dropped[0];   /* tag 0: not a reference */
  area[NSLOTS - 2] = (mps_word_t)dropped[1] | 6;
}

START_TEST(area_tagged_nonzero_pattern)
{
  each_rank_tagged(mps_scan_area_tagged, 2, tagged_nonzero_fill);
}
END_TEST

static void tagged_or_zero_fill(bool ambiguous)
{
  fill_area(3, ambiguous);
  /* Untagged words are references too. */
  for (size_t i = 0; i < NOBJ; i += 2)
    area[(ambiguous ? 3 : 2) * i] = (mps_word_t)kept[i];
  area[NSLOTS - 1] = (mps_word_t)dropped[0] | 5;   /* neither: ignored */
}

START_TEST(area_tagged_or_zero)
{
  each_rank_tagged(mps_scan_area_tagged_or_zero, 3, tagged_or_zero_fill);
}
END_TEST

static mps_res_t masked_root(mps_root_t *root_o, mps_rank_t rank)
{
  static mps_scan_tag_s tag = {7, 0};
  return mps_root_create_area(root_o, w.arena, rank, 0, area, area + NSLOTS,
                              mps_scan_area_masked, &tag);
}

static void masked_fill(bool ambiguous)
{
  (void)ambiguous;
  /* Every word is a reference once its low three bits are cleared. */
  for (size_t i = 0; i < NOBJ; ++i)
    area[2 * i] = (mps_word_t)kept[i] | (i % 8);
  area[2 * NOBJ] = 5;                            /* NULL when masked */
  area[2 * NOBJ + 1] = (mps_word_t)&outside | 3;
}

START_TEST(area_masked_closure)
{
  each_rank(masked_root, masked_fill);
}
END_TEST

static mps_res_t table_root(mps_root_t *root_o, mps_rank_t rank)
{
  return mps_root_create_table(root_o, w.arena, rank, 0, (mps_addr_t *)area, NSLOTS);
}

static void table_fill(bool ambiguous)
{
  for (size_t i = 0; i < NOBJ; ++i)
    area[NSLOTS - 1 - 2 * i] = (mps_word_t)kept[i];
  area[0] = (mps_word_t)&outside;
  if (ambiguous)
    for (size_t i = 0; i < NOBJ; ++i)
      area[1 + i] = (mps_word_t)dropped[i] + 3 * DYLAN_WORD / 2;
}

START_TEST(table)
{
  each_rank(table_root, table_fill);
}
END_TEST

/* topic/root.rst: the mask locates the tag; references have a tag of
 * zero and a value with any other tag is ignored, even when exact. */
static mps_res_t table_masked_root(mps_root_t *root_o, mps_rank_t rank)
{
  return mps_root_create_table_masked(root_o, w.arena, rank, 0, (mps_addr_t *)area,
                                      NSLOTS, 7);
}

static void table_masked_fill(bool ambiguous)
{
  (void)ambiguous;
  for (size_t i = 0; i < NOBJ; ++i) {
    area[2 * i] = (mps_word_t)kept[i];
    area[2 * i + 1] = (mps_word_t)dropped[i] | (1 + i % 7);
  }
  area[2 * NOBJ] = dylan_int(3);
  area[2 * NOBJ + 1] = (mps_word_t)&outside;
}

START_TEST(table_masked)
{
  each_rank(table_masked_root, table_masked_fill);
}
END_TEST

/* A block of formatted objects outside the arena: static wrappers, pads
 * of one and of several words, objects whose slots refer to the kept
 * objects. */
static mps_res_t fmt_root_create(mps_root_t *root_o, mps_rank_t rank)
{
  /* A root must be valid when registered: one big pad. */
  dylan_pad(area, sizeof area);
  return mps_root_create_fmt(root_o, w.arena, rank, 0, dylan_scan, area, area + NSLOTS);
}

static void fmt_root_fill(bool ambiguous)
{
  static DylanStaticWrapper sw;
  mps_addr_t wrapper = dylan_static_wrapper(&sw, 40, 3, DYLAN_VAR_WORDS);
  size_t k = 0;
  (void)ambiguous;
  dylan_pad(&area[k], DYLAN_WORD);
  k += 1;
  for (size_t i = 0; i < NOBJ; i += 4) {
    /* an object: wrapper, 3 fixed slots, 2 variable ones */
    area[k] = (mps_word_t)wrapper;
    area[k + 1] = (mps_word_t)kept[i];
    area[k + 2] = dylan_int((long)i);
    area[k + 3] = (mps_word_t)kept[i + 1];
    area[k + 4] = dylan_int(2);
    area[k + 5] = (mps_word_t)kept[i + 2];
    area[k + 6] = (mps_word_t)kept[i + 3];
    k += 7;
    dylan_pad(&area[k], 3 * DYLAN_WORD);
    k += 3;
  }
  ck_assert_uint_lt(k, NSLOTS);
  dylan_pad(&area[k], (NSLOTS - k) * DYLAN_WORD);
}

START_TEST(fmt_root)
{
  each_rank(fmt_root_create, fmt_root_fill);
}
END_TEST

typedef struct ScanRecord {
  unsigned calls;
  void *p;
  size_t s;
} ScanRecord;
static ScanRecord record;

static mps_res_t client_scan(mps_ss_t ss, void *p, size_t s)
{
  mps_addr_t *refs = p;
  ++record.calls;
  record.p = p;
  record.s = s;
  MPS_SCAN_BEGIN(ss) {
    for (size_t i = 0; i < s; ++i) {
      mps_res_t res = MPS_FIX12(ss, &refs[i]);
      if (res != MPS_RES_OK)
        return res;
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}

START_TEST(client_scanner)
{
  for (int r = 0; r < 2; ++r) {
    mps_root_t root;
    memset(&record, 0, sizeof record);
    ck_assert_int_eq(mps_root_create(&root, w.arena, rank_of(r), 0, client_scan,
                                     area, NOBJ + 1),
                     MPS_RES_OK);
    make_objects();
    for (size_t i = 0; i < NOBJ; ++i)
      area[i] = (mps_word_t)kept[i];
    area[NOBJ] = (mps_word_t)&outside;
    /* Beyond s: not scanned, so it keeps nothing. */
    area[NOBJ + 1] = (mps_word_t)dropped[0];
    memcpy(saved, area, sizeof area);
    mps_arena_collect(w.arena);
    ck_assert_uint_ge(record.calls, 1);
    ck_assert_ptr_eq(record.p, area);
    ck_assert_uint_eq(record.s, NOBJ + 1);
    expect_counts(NOBJ, 0);
    check_kept();
    ck_assert_mem_eq(saved, area, sizeof area);
    mps_root_destroy(root);
    record.calls = 0;
    mps_arena_collect(w.arena);
    ck_assert_uint_eq(record.calls, 0);
    expect_counts(0, 0);
    memset(area, 0, sizeof area);
  }
}
END_TEST

/* Thread roots on this thread: the references live in a volatile array
 * in the frame of hold_and_collect, below the cold end. */
static __attribute__((noinline)) void hold_and_collect(mps_word_t tag)
{
  volatile mps_word_t held[NOBJ];
  for (size_t i = 0; i < NOBJ; ++i) {
    mps_word_t payload = dylan_int((long)i);
    mps_addr_t obj;
    ck_assert_int_eq(dylan_make(&obj, w.ams_ap, 0, wrappers[W_KEPT], &payload, 0, NULL),
                     MPS_RES_OK);
    held[i] = (mps_word_t)obj | tag;
    kept[i] = obj;
  }
  mps_arena_collect(w.arena);
  expect_counts(NOBJ, 0);
  check_kept();
  for (size_t i = 0; i < NOBJ; ++i)
    ck_assert_uint_eq(held[i], (mps_word_t)kept[i] | tag);
}

typedef struct AreaCalls {
  unsigned calls;
  void *closure;
  size_t words;
} AreaCalls;
static AreaCalls area_calls;

static mps_res_t counting_area_scan(mps_ss_t ss, void *base, void *limit, void *closure)
{
  ++area_calls.calls;
  area_calls.closure = closure;
  area_calls.words += (size_t)((mps_word_t *)limit - (mps_word_t *)base);
  return mps_scan_area(ss, base, limit, NULL);
}

enum { THREAD_PLAIN, THREAD_TAGGED, THREAD_TAGGED_OR_ZERO, THREAD_SCANNED, THREAD_CUSTOM };

static void thread_case(int kind)
{
  mps_thr_t thr;
  mps_root_t root;
  mps_res_t res;
  mps_word_t tag = 0;
  void *cold = &cold;

  ck_assert_int_eq(mps_thread_reg(&thr, w.arena), MPS_RES_OK);
  memset(&area_calls, 0, sizeof area_calls);
  switch (kind) {
  case THREAD_PLAIN:
    res = mps_root_create_thread(&root, w.arena, thr, cold);
    break;
  case THREAD_TAGGED:
    tag = 0;
    res = mps_root_create_thread_tagged(&root, w.arena, mps_rank_ambig(), 0, thr,
                                        mps_scan_area_tagged, 7, 0, cold);
    break;
  case THREAD_TAGGED_OR_ZERO:
    /* References tagged 6; the compiler may also keep untagged copies,
     * which _or_zero scans too (topic/root.rst's advice). */
    tag = 6;
    res = mps_root_create_thread_tagged(&root, w.arena, mps_rank_ambig(), 0, thr,
                                        mps_scan_area_tagged_or_zero, 7, 6, cold);
    break;
  case THREAD_SCANNED:
    res = mps_root_create_thread_scanned(&root, w.arena, mps_rank_ambig(), 0, thr,
                                         mps_scan_area, NULL, cold);
    break;
  default:
    res = mps_root_create_thread_scanned(&root, w.arena, mps_rank_ambig(), 0, thr,
                                         counting_area_scan, &area_calls, cold);
    break;
  }
  ck_assert_int_eq(res, MPS_RES_OK);
  hold_and_collect(tag);
  if (kind == THREAD_CUSTOM) {
    ck_assert_uint_ge(area_calls.calls, 1);
    ck_assert_ptr_eq(area_calls.closure, &area_calls);
    ck_assert_uint_ge(area_calls.words, NOBJ);
  }
  mps_root_destroy(root);
  mps_thread_dereg(thr);
  /* Without the root nothing keeps them. */
  mps_arena_collect(w.arena);
  expect_counts(0, 0);
}

START_TEST(thread_root)
{
  thread_case(THREAD_PLAIN);
}
END_TEST

START_TEST(thread_root_tagged)
{
  thread_case(THREAD_TAGGED);
}
END_TEST

START_TEST(thread_root_tagged_or_zero)
{
  thread_case(THREAD_TAGGED_OR_ZERO);
}
END_TEST

START_TEST(thread_root_scanned)
{
  thread_case(THREAD_SCANNED);
}
END_TEST

START_TEST(thread_root_custom_scanner)
{
  thread_case(THREAD_CUSTOM);
}
END_TEST

START_TEST(several_roots_share_objects)
{
  /* Two roots of different kinds and ranks refer to the same objects;
   * destroying one leaves them to the other. */
  mps_root_t r1, r2;
  static mps_addr_t table2[NOBJ];
  ck_assert_int_eq(mps_root_create_area(&r1, w.arena, mps_rank_ambig(), 0, area,
                                        area + NSLOTS, mps_scan_area, NULL),
                   MPS_RES_OK);
  r2 = gc_table_root(w.arena, mps_rank_exact(), table2, NOBJ);
  make_objects();
  for (size_t i = 0; i < NOBJ; ++i) {
    area[i] = (mps_word_t)kept[i];
    table2[i] = kept[i];
  }
  mps_arena_collect(w.arena);
  expect_counts(NOBJ, 0);
  mps_root_destroy(r1);
  mps_arena_collect(w.arena);
  expect_counts(NOBJ, 0);
  check_kept();
  mps_root_destroy(r2);
  mps_arena_collect(w.arena);
  expect_counts(0, 0);
}
END_TEST

START_TEST(many_roots)
{
  /* A root per object: destroying every other one lets half die. */
  enum { N = 400 };
  static mps_addr_t cells[N];
  static mps_root_t rs[N];
  memset(cells, 0, sizeof cells);
  for (size_t i = 0; i < N; ++i) {
    mps_word_t payload = dylan_int((long)i);
    ck_assert_int_eq(mps_root_create_table(&rs[i], w.arena, rank_of((int)(i % 2)), 0,
                                           &cells[i], 1), MPS_RES_OK);
    ck_assert_int_eq(dylan_make(&cells[i], w.ams_ap, 0, wrappers[W_KEPT], &payload, 0,
                                NULL), MPS_RES_OK);
  }
  mps_arena_collect(w.arena);
  expect_counts(N, 0);
  for (size_t i = 0; i < N; i += 2)
    mps_root_destroy(rs[i]);
  mps_arena_collect(w.arena);
  expect_counts(N / 2, 0);
  for (size_t i = 1; i < N; i += 2) {
    ck_assert(dylan_check(cells[i], 0));
    ck_assert_int_eq(dylan_int_value(*dylan_slot(cells[i], 0)), (long)i);
    mps_root_destroy(rs[i]);
  }
  mps_arena_collect(w.arena);
  expect_counts(0, 0);
}
END_TEST

START_TEST(root_in_manual_pool)
{
  /* topic/root.rst: roots may live in manually managed pools. */
  mps_pool_t mvff;
  mps_addr_t block;
  mps_root_t root;
  mps_addr_t *cells;
  ck_assert_int_eq(mps_pool_create_k(&mvff, w.arena, mps_class_mvff(), mps_args_none),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_alloc(&block, mvff, NOBJ * sizeof(mps_addr_t)), MPS_RES_OK);
  cells = block;
  root = gc_table_root(w.arena, mps_rank_exact(), cells, NOBJ);
  make_objects();
  for (size_t i = 0; i < NOBJ; ++i)
    cells[i] = kept[i];
  mps_arena_collect(w.arena);
  expect_counts(NOBJ, 0);
  check_kept();
  mps_root_destroy(root);
  mps_free(mvff, block, NOBJ * sizeof(mps_addr_t));
  mps_arena_collect(w.arena);
  expect_counts(0, 0);
  mps_pool_destroy(mvff);
}
END_TEST

typedef struct RootsWalk {
  mps_root_t root;
  size_t refs, in_area, wrong_root;
} RootsWalk;

static void roots_step(mps_addr_t *ref, mps_root_t root, void *p, size_t s)
{
  RootsWalk *rw = p;
  (void)s;
  if (root == rw->root) {
    ++rw->refs;
    if ((mps_word_t *)ref >= area && (mps_word_t *)ref < area + NSLOTS)
      ++rw->in_area;
  } else if (root != w.table_root) {
    ++rw->wrong_root;
  }
}

START_TEST(roots_walk)
{
  mps_root_t root;
  RootsWalk rw;
  ck_assert_int_eq(mps_root_create_table(&root, w.arena, mps_rank_exact(), 0,
                                         (mps_addr_t *)area, NSLOTS), MPS_RES_OK);
  make_objects();
  for (size_t i = 0; i < NOBJ; ++i)
    area[3 * i] = (mps_word_t)kept[i];
  area[NSLOTS - 1] = (mps_word_t)&outside;    /* not in the arena: not visited */
  memset(&rw, 0, sizeof rw);
  rw.root = root;
  mps_arena_roots_walk(w.arena, roots_step, &rw, 0);
  ck_assert_uint_eq(rw.refs, NOBJ);
  ck_assert_uint_eq(rw.in_area, NOBJ);
  ck_assert_uint_eq(rw.wrong_root, 0);
  mps_root_destroy(root);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/roots");
  TCase *tc = fixture_tcase(s, "roots", setup, teardown, 20);

  tcase_add_test(tc, area_scan_area);
  tcase_add_test(tc, area_tagged_zero_pattern);
  tcase_add_test(tc, area_tagged_nonzero_pattern);
  tcase_add_test(tc, area_tagged_or_zero);
  tcase_add_test(tc, area_masked_closure);
  tcase_add_test(tc, table);
  tcase_add_test(tc, table_masked);
  tcase_add_test(tc, fmt_root);
  tcase_add_test(tc, client_scanner);
  tcase_add_test(tc, thread_root);
  tcase_add_test(tc, thread_root_tagged);
  tcase_add_test(tc, thread_root_tagged_or_zero);
  tcase_add_test(tc, thread_root_scanned);
  tcase_add_test(tc, thread_root_custom_scanner);
  tcase_add_test(tc, several_roots_share_objects);
  tcase_add_test(tc, roots_walk);
  tcase_add_test(tc, many_roots);
  tcase_add_test(tc, root_in_manual_pool);
  return fixture_run_suite(s);
}
