/* test/gc/verify_test.c -- the heap verifier (LAGOON_VERIFY=1): a
 * healthy heap of AMS, AMC and LO objects passes it at every flip and
 * reclaim; a dangling reference (to a freed AMS grain, a freed AMC
 * segment, AMC padding) planted by hiding a pointer from the collector
 * stops the next collection at its flip, and a root that hides its
 * reference from the collector's own scan stops it at reclaim, each
 * with the verifier's message; with the variable unset or 0 nothing is
 * verified.  The verifier is in the cool variety only: in hot the same
 * collections simply run.
 * Design: manual/design/verify.rst */
#include "trace/verify.h"     /* verify_count, verify_enabled */
#include "mps.h"
#include "mpscamc.h"
#include "mpslib.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CLASS_PAIR = 1, CLASS_VEC = 2, CLASS_LEAF = 3 };
/* Wrappers first (gc_world_open puts them there), then the test's. */
enum { R_WW, R_PAIR, R_VEC, R_LEAF, R_KEEP, R_TMP, R_NEW, R_LISTS,
       NLISTS = 16, NREFS = R_LISTS + NLISTS, NWEAK = 16 };

static const GcClass classes[] = {{CLASS_PAIR, 2, DYLAN_VAR_NONE},
                                  {CLASS_VEC, 0, DYLAN_VAR_WORDS},
                                  {CLASS_LEAF, 1, DYLAN_VAR_BYTES}};

static GcWorld w;
static size_t hdr;
static mps_addr_t refs[NREFS];     /* exact root */
static mps_addr_t weak[NWEAK];     /* weak root */
static mps_pool_t amc;
static mps_ap_t amc_ap;

/* Set LAGOON_VERIFY (NULL: unset) before the arena exists, then build a
 * parked world: AMS, LO and AMC pools on one chain, an exact and a weak
 * table root. */
static void open_world(size_t header_size, const char *verify)
{
  GcWorldOptions o = {.header_size = header_size, .chain_kb = 64, .mortality = 0.5,
                      .pools = GC_POOL_AMS | GC_POOL_LO, .table = refs,
                      .table_len = NREFS, .classes = classes,
                      .nclasses = sizeof classes / sizeof classes[0]};
  mps_res_t res;

  if (verify != NULL)
    ck_assert_int_eq(setenv("LAGOON_VERIFY", verify, 1), 0);
  else
    ck_assert_int_eq(unsetenv("LAGOON_VERIFY"), 0);
  hdr = header_size;
  gc_world_open(&w, &o);
  gc_world_adopt_root(&w, gc_table_root(w.arena, mps_rank_weak(), weak, NWEAK));
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, w.chain);
    MPS_ARGS_ADD(args, MPS_KEY_GEN, 0u);
    res = mps_pool_create_k(&amc, w.arena, mps_class_amc(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&amc_ap, amc, mps_args_none), MPS_RES_OK);
}

static void close_world(void)
{
  mps_arena_park(w.arena);
  mps_ap_destroy(amc_ap);
  mps_pool_destroy(amc);
  gc_world_close(&w);
}

/* An object of the class whose wrapper is refs[wrapper_slot], slots 0.
 * The caller stores it in a root before it allocates again. */
static mps_addr_t make(mps_ap_t ap, unsigned wrapper_slot, size_t var_len)
{
  mps_addr_t obj;
  ck_assert_int_eq(dylan_make(&obj, ap, hdr, refs[wrapper_slot], NULL, var_len, NULL),
                   MPS_RES_OK);
  return obj;
}

/* A pair in ap whose car and cdr are 0. */
static mps_addr_t make_pair(mps_ap_t ap)
{
  return make(ap, R_PAIR, 0);
}

/* ---- A healthy heap ---- */

/* One step of a mutator that keeps every reference it will use in the
 * roots, so it is safe while collections may start at any allocation. */
static void mutate(Rng *rng, long step)
{
  size_t k = R_LISTS + rng_below(rng, NLISTS);
  mps_ap_t ap = rng_below(rng, 2) == 0 ? amc_ap : w.ams_ap;

  switch (rng_below(rng, 8)) {
  case 0:                              /* a list becomes garbage */
    refs[k] = NULL;
    break;
  case 1:                              /* a leaf in LO */
    refs[R_TMP] = make(w.lo_ap, R_LEAF, 1 + rng_below(rng, 64));
    *dylan_slot(refs[R_TMP], 0) = dylan_int(step);
    break;
  case 2: {                            /* a vector of list heads */
    size_t n = 1 + rng_below(rng, 8);
    refs[R_TMP] = make(ap, R_VEC, n);
    for (size_t i = 0; i < n; ++i)
      *dylan_var(refs[R_TMP], i) = (mps_word_t)refs[R_LISTS + rng_below(rng, NLISTS)];
    break;
  }
  case 3:                              /* a weak reference to a list */
    weak[rng_below(rng, NWEAK)] = refs[k];
    break;
  default:
    break;
  }
  /* Fields are read from the roots after the allocation, which may have
   * moved what they refer to (a value read before it would dangle: the
   * verifier catches that). */
  refs[R_NEW] = make_pair(ap);
  *dylan_slot(refs[R_NEW], 0) = (mps_word_t)refs[R_TMP];
  *dylan_slot(refs[R_NEW], 1) = (mps_word_t)refs[k];
  refs[k] = refs[R_NEW];
  refs[R_NEW] = NULL;
}

static void check_ref(mps_word_t ref)
{
  if (dylan_is_ref(ref))
    ck_assert(dylan_check((mps_addr_t)ref, hdr));
}

/* Every object the roots reach is well formed; returns the pairs. */
static size_t check_heap(void)
{
  size_t pairs = 0;

  for (size_t k = R_LISTS; k < R_LISTS + NLISTS; ++k) {
    for (mps_addr_t p = refs[k]; p != NULL; p = (mps_addr_t)*dylan_slot(p, 1)) {
      mps_word_t car = *dylan_slot(p, 0);
      ck_assert(dylan_check(p, hdr));
      ck_assert_uint_eq(dylan_class_id(p), CLASS_PAIR);
      check_ref(car);
      if (dylan_is_ref(car) && dylan_class_id((mps_addr_t)car) == CLASS_VEC)
        for (size_t i = 0; i < dylan_var_len((mps_addr_t)car); ++i)
          check_ref(*dylan_var((mps_addr_t)car, i));
      ++pairs;
    }
  }
  for (size_t i = 0; i < NWEAK; ++i)
    check_ref((mps_word_t)weak[i]);
  return pairs;
}

/* (a) Thousands of objects in AMS, AMC and LO, pointing across pools,
 * some held weakly; full collections while parked, then collections
 * the policy starts.  With LAGOON_VERIFY=1 each collection is verified
 * twice (cool) and passes; the heap is intact afterwards. */
START_TEST(healthy_heap_passes)
{
  size_t header = _i == 0 ? 0 : DYLAN_HEADER_SIZE;
  Count verified;
  mps_word_t collections;
  Rng rng;
  long step = 0;

  rng_init(&rng, rng_seed_from_env("gc/verify_test"));
  open_world(header, "1");
  verified = verify_count();
  collections = mps_collections(w.arena);
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 1000; ++i)
      mutate(&rng, step++);
    mps_arena_collect(w.arena);
  }
  mps_arena_release(w.arena);          /* the chain's policy collects */
  for (int i = 0; i < 6000; ++i)
    mutate(&rng, step++);
  mps_arena_park(w.arena);
  mps_arena_collect(w.arena);
  ck_assert_uint_gt(check_heap(), 0);
  collections = mps_collections(w.arena) - collections;
  ck_assert_uint_gt(collections, 5);   /* some started by the policy */
#if VERIFY_CONFIGURED
  ck_assert(verify_enabled());
  ck_assert_uint_eq(verify_count() - verified, 2 * collections);
#else
  ck_assert(!verify_enabled());
  ck_assert_uint_eq(verify_count(), 0);
  (void)verified;
#endif
  close_world();
}
END_TEST

/* ---- Planted dangling references ---- */

/* What the verifier's assertion must say; another assertion, or another
 * message, exits without the signal the test expects. */
static const char *expect_when, *expect_what;

static void expect_verify_failure(const char *file, unsigned line, const char *cond)
{
  fprintf(stderr, "%s:%u: %s\n", file, line, cond);
  if (strstr(file, "trace/verify.c") != NULL && strstr(cond, expect_when) != NULL
      && strstr(cond, expect_what) != NULL)
    abort();
  _exit(3);
}

static void expect_failure(const char *when, const char *what)
{
  expect_when = when;
  expect_what = what;
  (void)mps_lib_assert_fail_install(expect_verify_failure);
}

/* A pointer the collector cannot see: no format, root or stack scan
 * finds it in this form. */
#define HIDE ((mps_word_t)0x5a5a5a5a5a5a5a5aull)

static mps_word_t hide(mps_addr_t p)
{
  return (mps_word_t)p ^ HIDE;
}

static mps_addr_t unhide(mps_word_t h)
{
  return (mps_addr_t)(h ^ HIDE);
}

/* Put victim (freed by now) in the car of the live pair in refs[R_KEEP]
 * and collect: in cool the verifier stops at the flip; in hot the
 * collection runs (the collector lets these references be). */
static void restore_and_collect(mps_addr_t victim)
{
  mps_word_t collections = mps_collections(w.arena);

  *dylan_slot(refs[R_KEEP], 0) = (mps_word_t)victim;
  mps_arena_collect(w.arena);
  ck_assert(!VERIFY_CONFIGURED);       /* cool never gets here */
  ck_assert(!verify_enabled());
  ck_assert_uint_eq(verify_count(), 0);
  ck_assert_uint_eq(mps_collections(w.arena), collections + 1);
  close_world();
}

/* (b) A freed grain of an AMS segment that lives on. */
START_TEST(dangling_ams_grain_caught_at_flip)
{
  mps_word_t hidden;
  mps_addr_t victim, p;
  mps_pool_t pool;

  open_world(0, "1");
  expect_failure("LAGOON_VERIFY at flip: object ", "which is in no object");
  refs[R_KEEP] = make_pair(w.ams_ap);
  hidden = hide(make_pair(w.ams_ap));
  mps_arena_collect(w.arena);          /* frees the victim, passes */
  victim = unhide(hidden);
  ck_assert(mps_addr_pool(&pool, w.arena, victim));
  ck_assert_ptr_eq(pool, w.ams);
  ck_assert_int_ne(mps_addr_object(&p, w.arena, victim), MPS_RES_OK);
  restore_and_collect(victim);
}
END_TEST

/* (b) An AMC object whose segment went back to the arena: the large
 * object after it moves the allocation point to a segment of its own. */
START_TEST(dangling_amc_segment_caught_at_flip)
{
  mps_word_t hidden;
  mps_addr_t victim;
  mps_pool_t pool;

  open_world(_i == 0 ? 0 : DYLAN_HEADER_SIZE, "1");
  expect_failure("LAGOON_VERIFY at flip: object ", "which is in no segment");
  refs[R_KEEP] = make_pair(w.ams_ap);
  hidden = hide(make_pair(amc_ap));
  (void)make(amc_ap, R_LEAF, 64 * 1024);   /* garbage, large */
  mps_arena_collect(w.arena);
  victim = unhide(hidden);
  ck_assert(!mps_addr_pool(&pool, w.arena, victim));
  restore_and_collect(victim);
}
END_TEST

/* (b) An AMC object turned into padding: its segment stays because the
 * allocation point is still attached to it. */
START_TEST(dangling_amc_padding_caught_at_flip)
{
  mps_word_t hidden;
  mps_addr_t victim, p;
  mps_pool_t pool;

  open_world(_i == 0 ? 0 : DYLAN_HEADER_SIZE, "1");
  expect_failure("LAGOON_VERIFY at flip: object ", "which is in no object");
  refs[R_KEEP] = make_pair(w.ams_ap);
  hidden = hide(make_pair(amc_ap));
  mps_arena_collect(w.arena);
  victim = unhide(hidden);
  ck_assert(mps_addr_pool(&pool, w.arena, victim));
  ck_assert_ptr_eq(pool, amc);
  ck_assert_int_ne(mps_addr_object(&p, w.arena, victim), MPS_RES_OK);
  restore_and_collect(victim);
}
END_TEST

/* A root scanner that hides its reference from one call in `period`: in
 * cool each collection calls it three times (the verifier at the flip,
 * the collector, the verifier at reclaim) and the collector's call is
 * the second; in hot it calls it once. */
static mps_addr_t hiding_slot;
static unsigned hiding_calls;

static mps_res_t hiding_scan(mps_ss_t ss, void *p, size_t s)
{
  mps_res_t res = MPS_RES_OK;
  unsigned period = VERIFY_CONFIGURED ? 3 : 1;

  (void)p;
  (void)s;
  if (++hiding_calls % period == 2 % period)
    return MPS_RES_OK;
  MPS_SCAN_BEGIN(ss) {
    res = MPS_FIX12(ss, &hiding_slot);
  } MPS_SCAN_END(ss);
  return res;
}

/* (b) The collector frees what a root refers to (as if the root scanner
 * had a bug): the verifier sees the reference at reclaim. */
START_TEST(root_hidden_from_collector_caught_at_reclaim)
{
  mps_root_t root;
  mps_addr_t p;
  mps_word_t collections;

  open_world(0, "1");
  expect_failure("LAGOON_VERIFY at reclaim: root ", "which is in no object");
  ck_assert_int_eq(mps_root_create(&root, w.arena, mps_rank_exact(), 0, hiding_scan,
                                   NULL, 0), MPS_RES_OK);
  gc_world_adopt_root(&w, root);
  hiding_slot = make_pair(w.ams_ap);
  hiding_calls = 0;
  collections = mps_collections(w.arena);
  mps_arena_collect(w.arena);
  ck_assert(!VERIFY_CONFIGURED);
  ck_assert_uint_eq(mps_collections(w.arena), collections + 1);
  ck_assert_uint_eq(verify_count(), 0);
  ck_assert_int_ne(mps_addr_object(&p, w.arena, hiding_slot), MPS_RES_OK);
  hiding_slot = NULL;
  close_world();
}
END_TEST

/* ---- Switched off ---- */

/* (c) LAGOON_VERIFY unset (_i 0) or 0 (_i 1): collections of a healthy
 * heap, and one with a reference into a freed segment (which the
 * collector ignores), verify nothing. */
START_TEST(unset_verifies_nothing)
{
  mps_word_t hidden;
  Rng rng;

  rng_init(&rng, rng_seed_from_env("gc/verify_test"));
  open_world(0, _i == 0 ? NULL : "0");
  for (long step = 0; step < 2000; ++step) {
    mutate(&rng, step);
    if (step % 500 == 499)
      mps_arena_collect(w.arena);
  }
  ck_assert_uint_gt(check_heap(), 0);
  ck_assert(!verify_enabled());
  ck_assert_uint_eq(verify_count(), 0);
  refs[R_KEEP] = make_pair(w.ams_ap);
  hidden = hide(make_pair(amc_ap));
  (void)make(amc_ap, R_LEAF, 64 * 1024);
  mps_arena_collect(w.arena);
  *dylan_slot(refs[R_KEEP], 0) = (mps_word_t)unhide(hidden);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(verify_count(), 0);
  close_world();
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/verify");
  TCase *healthy = fixture_tcase(s, "healthy", NULL, NULL, 120);
  TCase *planted = fixture_tcase(s, "planted", NULL, NULL, 60);
  TCase *off = fixture_tcase(s, "off", NULL, NULL, 60);

  tcase_add_loop_test(healthy, healthy_heap_passes, 0, 2);
#if VERIFY_CONFIGURED
  tcase_add_test_raise_signal(planted, dangling_ams_grain_caught_at_flip, SIGABRT);
  tcase_add_loop_test_raise_signal(planted, dangling_amc_segment_caught_at_flip,
                                   SIGABRT, 0, 2);
  tcase_add_loop_test_raise_signal(planted, dangling_amc_padding_caught_at_flip,
                                   SIGABRT, 0, 2);
  tcase_add_test_raise_signal(planted, root_hidden_from_collector_caught_at_reclaim,
                              SIGABRT);
#else
  tcase_add_test(planted, dangling_ams_grain_caught_at_flip);
  tcase_add_loop_test(planted, dangling_amc_segment_caught_at_flip, 0, 2);
  tcase_add_loop_test(planted, dangling_amc_padding_caught_at_flip, 0, 2);
  tcase_add_test(planted, root_hidden_from_collector_caught_at_reclaim);
#endif
  tcase_add_loop_test(off, unset_verifies_nothing, 0, 2);
  return fixture_run_suite(s);
}
