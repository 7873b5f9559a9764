/* test/gc/scanerr_test.c -- a client's scanner that fails: the
 * collection runs to the end, mps_arena_collect returns the error, and
 * the heap is intact: what the failed scan would have kept is kept
 * (the segment or area is scanned again conservatively), the other roots
 * are still scanned, and the next collection, whose scans succeed,
 * reclaims the garbage.
 * Design: manual/design/trace.rst (design.trace.scan.error),
 * manual/design/root.rst (design.root.scan.error) */
#include "mps.h"
#include "mpsavm.h"
#include "mpscams.h"
#include "gcfixture.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

enum { CLASS_NODE = 1, CLASS_POISON = 2 };
enum { R_WW, R_NODE, R_POISON, R_A, R_OTHER, NREFS = 8 };
enum { AREA_LEN = 8, JUNK = 2000 };

static const GcClass classes[] = {{CLASS_NODE, 2, DYLAN_VAR_NONE},
                                   {CLASS_POISON, 2, DYLAN_VAR_NONE}};
static mps_addr_t refs[NREFS];           /* exact table root */
static mps_addr_t area[AREA_LEN];        /* the failing area root */
static bool poison;                      /* scanners fail while set */

static mps_arena_t arena;
static mps_fmt_t fmt;
static mps_chain_t chain;
static mps_pool_t pool;
static mps_ap_t ap;
static mps_root_t table_root, area_root;

/* The format's scan: Dylan's, but failing at a poison object while
 * `poison` is set (after scanning the objects before it). */
static mps_res_t scan_poisonable(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  for (mps_addr_t p = base; p < limit;) {
    mps_addr_t next = dylan_skip(p);
    if (poison && dylan_kind(p, 0) == DYLAN_KIND_OBJECT
        && dylan_class_id(p) == CLASS_POISON)
      return MPS_RES_FAIL;
    mps_res_t res = dylan_scan(ss, p, next);
    if (res != MPS_RES_OK)
      return res;
    p = next;
  }
  return MPS_RES_OK;
}

/* An area scanner that fixes the first half of the area, then fails
 * while `poison` is set. */
static mps_res_t scan_half(mps_ss_t ss, void *base, void *limit, void *closure)
{
  mps_addr_t *refp = base, *end = limit;
  (void)closure;
  if (poison)
    end = refp + (end - refp) / 2;
  MPS_SCAN_BEGIN(ss) {
    for (; refp < end; ++refp)
      if (*refp != NULL && MPS_FIX1(ss, *refp)) {
        mps_res_t res = MPS_FIX2(ss, refp);
        if (res != MPS_RES_OK)
          return res;
      }
  } MPS_SCAN_END(ss);
  return poison ? MPS_RES_FAIL : MPS_RES_OK;
}

static void setup(void)
{
  mps_gen_param_s gen = {1024, 0.5};
  poison = false;
  for (size_t i = 0; i < NREFS; ++i)
    refs[i] = NULL;
  for (size_t i = 0; i < AREA_LEN; ++i)
    area[i] = NULL;
  arena = fixture_vm_arena(64 << 20);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, DYLAN_ALIGN);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, scan_poisonable);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, dylan_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, dylan_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, dylan_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, dylan_pad);
    ck_assert_int_eq(mps_fmt_create_k(&fmt, arena, args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_chain_create(&chain, arena, 1, &gen), MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    ck_assert_int_eq(mps_pool_create_k(&pool, arena, mps_class_ams(), args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  table_root = gc_table_root(arena, mps_rank_exact(), refs, NREFS);
  ck_assert_int_eq(mps_root_create_area(&area_root, arena, mps_rank_exact(), 0, area,
                                        area + AREA_LEN, scan_half, NULL),
                   MPS_RES_OK);
  mps_arena_park(arena);
  gc_make_wrappers(refs, ap, 0, classes, 2);
}

static void teardown(void)
{
  mps_root_destroy(area_root);
  mps_root_destroy(table_root);
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  mps_fmt_destroy(fmt);
  mps_arena_destroy(arena);
}

static mps_addr_t make(unsigned cls, mps_addr_t a, mps_addr_t b)
{
  mps_addr_t obj;
  mps_word_t fixed[2] = {(mps_word_t)a, (mps_word_t)b};
  ck_assert_int_eq(dylan_make(&obj, ap, 0, refs[cls == CLASS_NODE ? R_NODE : R_POISON],
                              fixed, 0, NULL),
                   MPS_RES_OK);
  return obj;
}

static mps_addr_t make_value(long v)
{
  return make(CLASS_NODE, NULL, (mps_addr_t)dylan_int(v));
}

static void make_junk(void)
{
  for (int i = 0; i < JUNK; ++i)
    (void)make_value(i);
}

static size_t count(unsigned cls)
{
  return gc_census(arena, pool, 0).by_class[cls];
}

static void check_value(mps_addr_t obj, long v)
{
  ck_assert(dylan_check(obj, 0));
  ck_assert_int_eq(dylan_int_value(*dylan_slot(obj, 1)), v);
}

/* A <- root; A -> P (poison) -> C, D.  The scan of P's segment fails:
 * C and D must survive all the same. */
START_TEST(format_scan_fails)
{
  mps_addr_t c, d, p, a;

  make_junk();
  c = make_value(42);
  d = make_value(43);
  p = make(CLASS_POISON, c, d);
  a = make(CLASS_NODE, p, (mps_addr_t)dylan_int(1));
  refs[R_A] = a;
  refs[R_OTHER] = make_value(7);
  make_junk();
  poison = true;
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_FAIL);
  ck_assert_ptr_eq(refs[R_A], a);
  ck_assert_ptr_eq((mps_addr_t)*dylan_slot(a, 0), p);
  check_value(c, 42);
  check_value(d, 43);
  check_value(refs[R_OTHER], 7);
  ck_assert_uint_eq(count(CLASS_POISON), 1);
  /* what the trace could judge, it judged: most junk is gone unless it
   * shares the failed segment */
  poison = false;
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  check_value(c, 42);
  check_value(d, 43);
  ck_assert_uint_eq(count(CLASS_NODE), 4);   /* a, c, d, other */
  ck_assert_uint_eq(count(CLASS_POISON), 1);
}
END_TEST

/* The area scanner fixes half its area and fails: the other half is kept
 * by the conservative rescan, the table root is still scanned. */
START_TEST(root_scan_fails)
{
  for (size_t i = 0; i < AREA_LEN; ++i)
    area[i] = make_value((long)i);
  refs[R_OTHER] = make_value(99);
  make_junk();
  poison = true;
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_FAIL);
  for (size_t i = 0; i < AREA_LEN; ++i)
    check_value(area[i], (long)i);
  check_value(refs[R_OTHER], 99);
  ck_assert_uint_eq(count(CLASS_NODE), AREA_LEN + 1);   /* junk reclaimed */
  poison = false;
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_eq(count(CLASS_NODE), AREA_LEN + 1);
  area[0] = NULL;
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_eq(count(CLASS_NODE), AREA_LEN);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/scanerr");
  TCase *tc = fixture_tcase(s, "scanerr", setup, teardown, 30);
  tcase_add_test(tc, format_scan_fails);
  tcase_add_test(tc, root_scan_fails);
  return fixture_run_suite(s);
}
