/* test/gc/scheme_test.c -- a Scheme-like heap of tagged values in AMS:
 * lists, vectors, strings, symbols and cycles reachable from a root of
 * tagged values (mps_root_create_area_tagged with mps_scan_area_tagged)
 * survive collections unchanged, tags included; the rest dies; values
 * on the stack are kept by a thread root scanning with
 * mps_scan_area_tagged_or_zero.
 * Design: manual/design/trace.rst (the MPS manual: topic/scanning.rst
 * "Tagged references", topic/root.rst) */
#include "mps.h"
#include "gcfixture.h"
#include "scheme.h"
#include "rng.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NGLOBALS 32

static GcWorld w;
static SchValue globals[NGLOBALS];     /* tagged values, an exact root */

static void setup(void)
{
  GcWorldOptions o = {.scheme = true, .pools = GC_POOL_AMS};
  mps_root_t root;
  gc_world_open(&w, &o);
  for (size_t i = 0; i < NGLOBALS; ++i)
    globals[i] = SCH_NIL;
  ck_assert_int_eq(mps_root_create_area_tagged(&root, w.arena, mps_rank_exact(), 0,
                                               globals, globals + NGLOBALS,
                                               mps_scan_area_tagged, SCH_TAG_MASK,
                                               SCH_TAG_PTR), MPS_RES_OK);
  gc_world_adopt_root(&w, root);
}

static void teardown(void)
{
  gc_world_close(&w);
}

typedef struct Census {
  size_t by_type[8];
  size_t pads, other;
} Census;

static void census_step(mps_addr_t addr, mps_fmt_t f, mps_pool_t p, void *cl, size_t s)
{
  Census *c = cl;
  mps_word_t type = *(mps_word_t *)addr;
  (void)s;
  if (p != w.ams || f != w.fmt)
    return;
  if (type >= SCH_TYPE_PAIR && type <= SCH_TYPE_SYMBOL)
    ++c->by_type[type - SCH_TYPE_PAIR];
  else if (sch_is_pad(addr))
    ++c->pads;
  else
    ++c->other;
}

static Census census(void)
{
  Census c;
  memset(&c, 0, sizeof c);
  mps_arena_formatted_objects_walk(w.arena, census_step, &c, 0);
  ck_assert_uint_eq(c.other, 0);
  return c;
}

#define PAIRS(c) ((c).by_type[SCH_TYPE_PAIR - SCH_TYPE_PAIR])
#define VECTORS(c) ((c).by_type[SCH_TYPE_VECTOR - SCH_TYPE_PAIR])
#define STRINGS(c) ((c).by_type[SCH_TYPE_STRING - SCH_TYPE_PAIR])
#define SYMBOLS(c) ((c).by_type[SCH_TYPE_SYMBOL - SCH_TYPE_PAIR])

/* (n-1 ... 1 0) built in globals[slot]: every intermediate list is in
 * the root, so a collection in between would lose nothing. */
static void build_list(size_t slot, long n)
{
  globals[slot] = SCH_NIL;
  for (long i = 0; i < n; ++i)
    ck_assert_int_eq(sch_make_pair(&globals[slot], w.ams_ap, sch_fixnum(i), globals[slot]),
                     MPS_RES_OK);
}

static void check_list(SchValue list, long n)
{
  for (long i = n - 1; i >= 0; --i) {
    ck_assert(sch_is_ptr(list));
    ck_assert_uint_eq(sch_type(list), SCH_TYPE_PAIR);
    ck_assert_uint_eq(sch_pair(list)->car, sch_fixnum(i));
    list = sch_pair(list)->cdr;
  }
  ck_assert_uint_eq(list, SCH_NIL);
}

START_TEST(lists_survive_with_tags)
{
  long n = 2000;
  SchValue saved[NGLOBALS];
  Census c;

  build_list(0, n);
  build_list(1, n / 2);
  build_list(2, n / 4);
  globals[2] = SCH_NIL;                  /* garbage now */
  globals[3] = sch_fixnum(-77);
  globals[4] = SCH_TRUE;
  memcpy(saved, globals, sizeof globals);
  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(PAIRS(c), (size_t)(n + n / 2));
  ck_assert_mem_eq(saved, globals, sizeof globals);    /* tags restored */
  check_list(globals[0], n);
  check_list(globals[1], n / 2);
  /* Share a tail: the shared part stays once. */
  sch_pair(globals[1])->cdr = globals[0];
  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(PAIRS(c), (size_t)n + 1);
}
END_TEST

START_TEST(all_types)
{
  char buf[64];
  SchValue v, sym_name;
  Census c;

  /* A vector of symbols, each naming a string; a vector of strings; a
   * cycle through a vector; garbage of every type. */
  ck_assert_int_eq(sch_make_vector(&globals[0], w.ams_ap, 50, SCH_FALSE), MPS_RES_OK);
  for (size_t i = 0; i < 50; ++i) {
    snprintf(buf, sizeof buf, "symbol-%zu", i);
    ck_assert_int_eq(sch_make_string(&globals[5], w.ams_ap, buf), MPS_RES_OK);
    ck_assert_int_eq(sch_make_symbol(&v, w.ams_ap, globals[5]), MPS_RES_OK);
    sch_vector(globals[0])->elems[i] = v;
    ck_assert_int_eq(sch_make_string(&v, w.ams_ap, "garbage string"), MPS_RES_OK);
    ck_assert_int_eq(sch_make_symbol(&v, w.ams_ap, v), MPS_RES_OK);
  }
  globals[5] = SCH_NIL;
  ck_assert_int_eq(sch_make_vector(&globals[1], w.ams_ap, 3, sch_fixnum(1)), MPS_RES_OK);
  ck_assert_int_eq(sch_make_pair(&v, w.ams_ap, globals[1], SCH_NIL), MPS_RES_OK);
  sch_vector(globals[1])->elems[2] = v;           /* vector -> pair -> vector */
  ck_assert_int_eq(sch_make_vector(&v, w.ams_ap, 1000, SCH_UNSPEC), MPS_RES_OK);
  ck_assert_int_eq(sch_make_string(&v, w.ams_ap, ""), MPS_RES_OK);
  ck_assert_int_eq(sch_make_vector(&globals[2], w.ams_ap, 0, SCH_NIL), MPS_RES_OK);

  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(VECTORS(c), 3);
  ck_assert_uint_eq(SYMBOLS(c), 50);
  ck_assert_uint_eq(STRINGS(c), 50);
  ck_assert_uint_eq(PAIRS(c), 1);
  for (size_t i = 0; i < 50; ++i) {
    v = sch_vector(globals[0])->elems[i];
    ck_assert_uint_eq(sch_type(v), SCH_TYPE_SYMBOL);
    sym_name = sch_symbol(v)->name;
    ck_assert_uint_eq(sch_type(sym_name), SCH_TYPE_STRING);
    snprintf(buf, sizeof buf, "symbol-%zu", i);
    ck_assert_str_eq(sch_string(sym_name)->chars, buf);
  }
  v = sch_vector(globals[1])->elems[2];
  ck_assert_uint_eq(sch_pair(v)->car, globals[1]);
  ck_assert_uint_eq(sch_vector(globals[1])->elems[0], sch_fixnum(1));
  ck_assert_uint_eq(sch_vector(globals[2])->length, 0);

  /* Break the cycle's link from the root: the whole cycle dies. */
  globals[1] = SCH_NIL;
  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(VECTORS(c), 2);
  ck_assert_uint_eq(PAIRS(c), 0);
}
END_TEST

/* Values only on the stack, in a frame below the cold end. */
static __attribute__((noinline)) void stack_values(long n)
{
  volatile SchValue held[4];
  SchValue list = SCH_NIL;
  Census c;
  for (long i = 0; i < n; ++i) {
    ck_assert_int_eq(sch_make_pair(&list, w.ams_ap, sch_fixnum(i), list), MPS_RES_OK);
    held[0] = list;
  }
  ck_assert_int_eq(sch_make_string(&list, w.ams_ap, "on the stack"), MPS_RES_OK);
  held[1] = list;
  held[2] = sch_fixnum(5);
  held[3] = SCH_NIL;
  list = SCH_NIL;
  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(PAIRS(c), (size_t)n);
  ck_assert_uint_eq(STRINGS(c), 1);
  check_list(held[0], n);
  ck_assert_str_eq(sch_string(held[1])->chars, "on the stack");
  held[0] = held[1] = SCH_NIL;
}

START_TEST(stack_values_kept_by_thread_root)
{
  mps_thr_t thr;
  mps_root_t stack_root;
  void *cold = &cold;
  ck_assert_int_eq(mps_thread_reg(&thr, w.arena), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_thread_tagged(&stack_root, w.arena, mps_rank_ambig(), 0,
                                                 thr, mps_scan_area_tagged_or_zero,
                                                 SCH_TAG_MASK, SCH_TAG_PTR, cold),
                   MPS_RES_OK);
  stack_values(500);
  mps_root_destroy(stack_root);
  mps_thread_dereg(thr);
}
END_TEST

START_TEST(random_structures)
{
  /* Random trees of pairs and vectors kept by the root; each collection
   * must leave them structurally equal to copies made before it. */
  Rng rng;
  unsigned rounds = 10 * rng_scale();
  rng_init(&rng, rng_seed_from_env("gc/scheme random_structures"));
  for (unsigned r = 0; r < rounds; ++r) {
    size_t slot = 8 + (size_t)rng_below(&rng, 8);
    /* Build globals[slot] as a list of random vectors of fixnums, lists
     * and strings; globals[slot + 8] as an independent copy. */
    globals[slot] = SCH_NIL;
    globals[slot + 8] = SCH_NIL;
    size_t items = (size_t)rng_range(&rng, 1, 30);
    for (size_t i = 0; i < items; ++i) {
      size_t len = (size_t)rng_below(&rng, 6);
      for (int copy = 0; copy < 2; ++copy) {
        SchValue *dst = &globals[slot + 8 * (size_t)copy];
        ck_assert_int_eq(sch_make_vector(&globals[30], w.ams_ap, len, SCH_NIL), MPS_RES_OK);
        for (size_t j = 0; j < len; ++j) {
          SchValue v;
          if (j % 3 == 0) {
            v = sch_fixnum((long)(i * 100 + j));
          } else if (j % 3 == 1) {
            ck_assert_int_eq(sch_make_string(&v, w.ams_ap, "str"), MPS_RES_OK);
          } else {
            ck_assert_int_eq(sch_make_pair(&v, w.ams_ap, sch_fixnum((long)j), SCH_NIL),
                             MPS_RES_OK);
          }
          sch_vector(globals[30])->elems[j] = v;
        }
        ck_assert_int_eq(sch_make_pair(dst, w.ams_ap, globals[30], *dst), MPS_RES_OK);
      }
      /* garbage in between */
      SchValue g;
      ck_assert_int_eq(sch_make_vector(&g, w.ams_ap, (size_t)rng_below(&rng, 40), SCH_TRUE),
                       MPS_RES_OK);
    }
    globals[30] = SCH_NIL;
    ck_assert(sch_equal(globals[slot], globals[slot + 8]));
    mps_arena_collect(w.arena);
    ck_assert(sch_equal(globals[slot], globals[slot + 8]));
    ck_assert_uint_ne(globals[slot], globals[slot + 8]);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/scheme");
  TCase *tc = fixture_tcase(s, "scheme", setup, teardown, 20);

  tcase_add_test(tc, lists_survive_with_tags);
  tcase_add_test(tc, all_types);
  tcase_add_test(tc, stack_values_kept_by_thread_root);
  tcase_add_test(tc, random_structures);
  return fixture_run_suite(s);
}
