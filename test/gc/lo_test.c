/* test/gc/lo_test.c -- LO (leaf objects) through the public interface:
 * a leaf survives while a root or an AMS object refers to it and dies
 * otherwise; LO never scans its objects, so what they appear to refer to
 * is not kept; leaf contents survive collections; the pool's free memory
 * grows when leaves die.
 * Design: manual/design/trace.rst (the MPS manual: pool/lo.rst) */
#include "mps.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <stdint.h>

enum { CLASS_LEAF = 1, CLASS_HOLDER = 2, CLASS_TARGET = 3, CLASS_LEAFREF = 4 };
enum { W_WW, W_HOLDER, W_TARGET, NWRAPPERS };
enum { R_FIRST = 0, NREFS = 64 };

static const GcClass classes[] = {{CLASS_HOLDER, 2, DYLAN_VAR_WORDS},
                                   {CLASS_TARGET, 1, DYLAN_VAR_NONE}};
static GcWorld w;
static mps_addr_t wrappers[NWRAPPERS];
static mps_addr_t refs[NREFS];
/* Leaves' wrappers live outside the arena: nothing in LO keeps them. */
static DylanStaticWrapper leaf_sw, leafref_sw;
static mps_addr_t leaf_wrapper, leafref_wrapper;

static void setup(void)
{
  GcWorldOptions o = {.pools = GC_POOL_AMS | GC_POOL_LO,
                      .table = wrappers, .table_len = NWRAPPERS,
                      .classes = classes, .nclasses = 2};
  gc_world_open(&w, &o);
  leaf_wrapper = dylan_static_wrapper(&leaf_sw, CLASS_LEAF, 1, DYLAN_VAR_BYTES);
  leafref_wrapper = dylan_static_wrapper(&leafref_sw, CLASS_LEAFREF, 2, DYLAN_VAR_NONE);
  (void)gc_world_add_table(&w, refs, NREFS);
}

static void teardown(void)
{
  gc_world_close(&w);
}

/* A leaf of `len` bytes, payload id, bytes filled from id. */
static mps_addr_t leaf(long id, size_t len)
{
  mps_addr_t obj;
  mps_word_t fixed[1] = {dylan_int(id)};
  ck_assert_int_eq(dylan_make(&obj, w.lo_ap, 0, leaf_wrapper, fixed, len, NULL),
                   MPS_RES_OK);
  for (size_t i = 0; i < len; ++i)
    dylan_bytes(obj)[i] = (unsigned char)(id * 7 + (long)i);
  return obj;
}

static void check_leaf(mps_addr_t obj, long id, size_t len)
{
  ck_assert(dylan_check(obj, 0));
  ck_assert_uint_eq(dylan_class_id(obj), CLASS_LEAF);
  ck_assert_int_eq(dylan_int_value(*dylan_slot(obj, 0)), id);
  ck_assert_uint_eq(dylan_var_len(obj), len);
  /* One assertion for the lot: each ck_assert costs a system call. */
  size_t bad = len;
  for (size_t i = 0; i < len && bad == len; ++i)
    if (dylan_bytes(obj)[i] != (unsigned char)(id * 7 + (long)i))
      bad = i;
  ck_assert_msg(bad == len, "leaf %ld damaged at byte %zu", id, bad);
}

/* An AMS object whose variable part refers to the given objects. */
static mps_addr_t holder(const mps_addr_t *to, size_t n)
{
  mps_addr_t obj;
  mps_word_t var[8];
  ck_assert_uint_le(n, 8);
  for (size_t i = 0; i < n; ++i)
    var[i] = (mps_word_t)to[i];
  ck_assert_int_eq(dylan_make(&obj, w.ams_ap, 0, wrappers[W_HOLDER], NULL, n, var),
                   MPS_RES_OK);
  return obj;
}

static DylanCensus lo_census(void)
{
  return gc_world_census(&w, w.lo);
}

static DylanCensus ams_census(void)
{
  return gc_world_census(&w, w.ams);
}

START_TEST(leaves_kept_by_roots_and_ams_objects)
{
  mps_addr_t l_root, l_held, l_dead_holder, l_none, l_amb, l_interior, l_two[2];
  mps_addr_t amb[3];
  mps_root_t amb_root;
  DylanCensus c;

  amb_root = gc_table_root(w.arena, mps_rank_ambig(), amb, 3);
  refs[0] = l_root = leaf(1, 100);
  l_held = leaf(2, 7);
  refs[1] = holder(&l_held, 1);
  l_dead_holder = leaf(3, 50);
  (void)holder(&l_dead_holder, 1);           /* the holder dies, so does the leaf */
  l_none = leaf(4, 0);
  amb[0] = l_amb = leaf(5, 33);
  l_interior = leaf(6, 64);
  amb[1] = (char *)l_interior + 3 * DYLAN_WORD;   /* interior: keeps nothing */
  l_two[0] = leaf(7, 1);
  l_two[1] = leaf(8, 2);
  refs[2] = holder(l_two, 2);
  refs[3] = holder(l_two, 2);                /* shared by two holders */
  (void)l_none;

  c = lo_census();
  ck_assert_uint_eq(c.by_class[CLASS_LEAF], 8);
  mps_arena_collect(w.arena);
  c = lo_census();
  ck_assert_uint_eq(c.by_class[CLASS_LEAF], 5);
  check_leaf(l_root, 1, 100);
  check_leaf(l_held, 2, 7);
  check_leaf(l_amb, 5, 33);
  check_leaf(l_two[0], 7, 1);
  check_leaf(l_two[1], 8, 2);
  ck_assert_ptr_eq((mps_addr_t)*dylan_var(refs[1], 0), l_held);
  c = ams_census();
  ck_assert_uint_eq(c.by_class[CLASS_HOLDER], 3);

  /* Drop the references one route at a time. */
  refs[2] = NULL;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(lo_census().by_class[CLASS_LEAF], 5);
  refs[3] = NULL;
  refs[0] = NULL;
  mps_root_destroy(amb_root);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(lo_census().by_class[CLASS_LEAF], 1);
  check_leaf(l_held, 2, 7);
  refs[1] = NULL;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(lo_census().by_class[CLASS_LEAF], 0);
  ck_assert_uint_eq(ams_census().by_class[CLASS_HOLDER], 0);
}
END_TEST

START_TEST(leaves_are_not_scanned)
{
  mps_addr_t target, obj;
  mps_word_t fixed[2];
  DylanCensus c;

  /* A leaf whose words look like references: LO does not scan it, so
   * the AMS object it "refers" to dies. */
  ck_assert_int_eq(dylan_make(&target, w.ams_ap, 0, wrappers[W_TARGET], NULL, 0, NULL),
                   MPS_RES_OK);
  fixed[0] = (mps_word_t)target;
  fixed[1] = (mps_word_t)target;
  ck_assert_int_eq(dylan_make(&obj, w.lo_ap, 0, leafref_wrapper, fixed, 0, NULL),
                   MPS_RES_OK);
  refs[0] = obj;
  mps_arena_collect(w.arena);
  c = ams_census();
  ck_assert_uint_eq(c.by_class[CLASS_TARGET], 0);
  c = lo_census();
  ck_assert_uint_eq(c.by_class[CLASS_LEAFREF], 1);
  /* LO leaves the leaf's words alone. */
  ck_assert_ptr_eq((mps_addr_t)*dylan_slot(obj, 0), target);
}
END_TEST

START_TEST(lo_memory_returns)
{
  size_t n = 2000 * rng_scale(), len = 200;
  size_t total0, free0, total1, free1, dead_bytes;
  mps_addr_t keep[16];

  for (size_t i = 0; i < n; ++i) {
    mps_addr_t obj = leaf((long)i, len);
    if (i % (n / 16) == 0 && i / (n / 16) < 16)
      keep[i / (n / 16)] = obj;
  }
  for (size_t i = 0; i < 16; ++i)
    refs[i] = keep[i];
  total0 = mps_pool_total_size(w.lo);
  free0 = mps_pool_free_size(w.lo);
  dead_bytes = (n - 16) * dylan_block_size(0, 1, DYLAN_VAR_BYTES, len);
  ck_assert_uint_ge(total0 - free0, dead_bytes);
  mps_arena_collect(w.arena);
  total1 = mps_pool_total_size(w.lo);
  free1 = mps_pool_free_size(w.lo);
  ck_assert_uint_le(free1, total1);
  ck_assert_uint_le((total1 - free1) + dead_bytes, total0 - free0);
  ck_assert_uint_eq(lo_census().by_class[CLASS_LEAF], 16);
  for (size_t i = 0; i < 16; ++i)
    check_leaf(refs[i], (long)(i * (n / 16)), len);
  /* Reuse: the same again fits in about the same memory. */
  for (size_t i = 0; i < n; ++i)
    (void)leaf((long)i, len);
  ck_assert_uint_le(mps_pool_total_size(w.lo), total0 + total0 / 2);
}
END_TEST

START_TEST(big_leaves)
{
  size_t sizes[] = {5000, 100000, (size_t)3 << 20};
  for (size_t i = 0; i < 3; ++i) {
    refs[i] = leaf((long)i, sizes[i]);
    (void)leaf((long)i + 10, sizes[i]);
  }
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(lo_census().by_class[CLASS_LEAF], 3);
  for (size_t i = 0; i < 3; ++i)
    check_leaf(refs[i], (long)i, sizes[i]);
  refs[1] = NULL;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(lo_census().by_class[CLASS_LEAF], 2);
  check_leaf(refs[2], 2, sizes[2]);
}
END_TEST

START_TEST(many_collections)
{
  /* Leaves and holders churn; the survivors never change. */
  mps_addr_t pair[2];
  for (long round = 0; round < 20; ++round) {
    pair[0] = leaf(round, (size_t)round * 3);
    pair[1] = leaf(round + 1000, 8);
    refs[round % 8] = holder(pair, 2);
    for (int j = 0; j < 50; ++j)
      (void)leaf(-1, 40);
    mps_arena_collect(w.arena);
    ck_assert_uint_eq(lo_census().by_class[CLASS_LEAF], 2 * (size_t)(round < 8 ? round + 1 : 8));
    for (long k = 0; k < 8 && k <= round; ++k) {
      mps_addr_t h = refs[k];
      long r = round - ((round - k) % 8);
      check_leaf((mps_addr_t)*dylan_var(h, 0), r, (size_t)r * 3);
      check_leaf((mps_addr_t)*dylan_var(h, 1), r + 1000, 8);
    }
  }
}
END_TEST

typedef struct LoWalk {
  size_t objects, areas;
} LoWalk;

static mps_res_t lo_walk_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  LoWalk *lw = closure;
  (void)ss;
  ++lw->areas;
  for (char *p = base; p < (char *)limit; p = dylan_skip(p))
    if (dylan_kind(p, 0) == DYLAN_KIND_OBJECT && dylan_check(p, 0))
      ++lw->objects;
  return MPS_RES_OK;
}

START_TEST(walk_and_addr_object)
{
  LoWalk lw = {0, 0};
  mps_addr_t found = NULL, dead;
  for (size_t i = 0; i < 20; ++i)
    refs[i] = leaf((long)i, i * 10);
  dead = leaf(99, 40);
  mps_arena_collect(w.arena);
  ck_assert_int_eq(mps_pool_walk(w.lo, lo_walk_area, &lw), MPS_RES_OK);
  ck_assert_uint_eq(lw.objects, 20);
  ck_assert_uint_eq(lw.objects, lo_census().by_class[CLASS_LEAF]);
  for (size_t i = 0; i < 20; ++i) {
    size_t size = dylan_block_size(0, 1, DYLAN_VAR_BYTES, i * 10);
    ck_assert_int_eq(mps_addr_object(&found, w.arena, (char *)refs[i] + size - 1),
                     MPS_RES_OK);
    ck_assert_ptr_eq(found, refs[i]);
  }
  found = NULL;
  ck_assert_int_eq(mps_addr_object(&found, w.arena, (char *)dead + DYLAN_WORD),
                   MPS_RES_FAIL);
  ck_assert_ptr_null(found);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/lo");
  TCase *tc = fixture_tcase(s, "lo", setup, teardown, 20);

  tcase_add_test(tc, leaves_kept_by_roots_and_ams_objects);
  tcase_add_test(tc, leaves_are_not_scanned);
  tcase_add_test(tc, lo_memory_returns);
  tcase_add_test(tc, big_leaves);
  tcase_add_test(tc, many_collections);
  tcase_add_test(tc, walk_and_addr_object);
  return fixture_run_suite(s);
}
