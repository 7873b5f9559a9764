/* test/gc/gen_test.c -- generations seen from outside, through GC
 * messages and object addresses: with a chain of three generations and
 * a moving pool (AMC), a program that allocates much short-lived garbage
 * while holding a modest long-lived structure gets young collections
 * (their condemned size a small part of the heap, the rest reported as
 * not condemned), its garbage reclaimed (committed memory stays
 * bounded) and its structure intact and promoted out of the young
 * generations (it is no longer condemned, and once in the oldest
 * generation it no longer moves until a full collection moves it).
 * MPS_KEY_GEN puts a pool's objects straight into a later generation,
 * which young collections leave alone, dead objects and all.
 *
 * No thread is registered, so nothing is pinned by the stack: every
 * reference the test keeps across an allocation is in an exact root,
 * objects start with integers only, and a new object goes into the
 * structure before the next allocation (a collection starts only when
 * an allocation point is refilled, design.trace.poll); the wrappers are
 * static.
 * Design: manual/design/gen.rst, manual/design/amc.rst (design.amc.gen,
 * .account, .promote); the MPS manual: topic/collection.rst,
 * topic/message.rst */
#include "mps.h"
#include "mpscamc.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLASS_ITEM = 1, CLASS_VEC = 2, CLASS_JUNK = 3 };

#define KiB ((size_t)1 << 10)
#define ITEM_WORDS 40              /* variable slots of an item */
#define VEC_LEN 64                 /* items a vector holds */
#define NVEC 128                   /* vectors of the long-lived structure */
#define NITEMS (NVEC * VEC_LEN)
#define NREFS (NVEC + 16)

static GcWorld w;
static mps_chain_t chain;
static mps_addr_t refs[NREFS];     /* exact root: refs[v] is vector v */
static DylanStaticWrapper item_sw, vec_sw, junk_sw;
static mps_addr_t item_wrapper, vec_wrapper, junk_wrapper;
static Rng rng;

/* The world without pools: a format, the exact root, static wrappers,
 * GC messages on, collections started by allocation (unparked).  No
 * thread registered. */
static void setup(void)
{
  GcWorldOptions o = {.arena_size = 128 * MiB, .unparked = true,
                      .table = refs, .table_len = NREFS};
  rng_init(&rng, rng_seed_from_env("gc/gen_test"));
  gc_world_open(&w, &o);
  item_wrapper = dylan_static_wrapper(&item_sw, CLASS_ITEM, 2, DYLAN_VAR_WORDS);
  vec_wrapper = dylan_static_wrapper(&vec_sw, CLASS_VEC, 1, DYLAN_VAR_WORDS);
  junk_wrapper = dylan_static_wrapper(&junk_sw, CLASS_JUNK, 0, DYLAN_VAR_WORDS);
  mps_message_type_enable(w.arena, mps_message_type_gc());
  chain = NULL;
}

static void teardown(void)
{
  mps_arena_park(w.arena);
  gc_world_close(&w);        /* the pools and chain are gone by now */
}

static mps_pool_t make_amc(unsigned gen)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    MPS_ARGS_ADD(args, MPS_KEY_GEN, gen);
    res = mps_pool_create_k(&pool, w.arena, mps_class_amc(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return pool;
}

static mps_ap_t make_ap(mps_pool_t pool)
{
  mps_ap_t ap;
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  return ap;
}

static mps_word_t item_word(uint64_t id, size_t j)
{
  return dylan_int((long)((id * 2654435761u + j * 40503u) & 0xFFFFFFF));
}

static size_t item_bytes(void)
{
  return dylan_block_size(0, 2, DYLAN_VAR_WORDS, ITEM_WORDS);
}

/* An item: its id, a payload, and ITEM_WORDS integers made from the id.
 * (Check notes every passing assertion in a file, so the functions that
 * run for every object assert only when something is wrong.) */
static mps_addr_t new_item(mps_ap_t ap, uint64_t id)
{
  mps_addr_t obj;
  mps_word_t fixed[2] = {dylan_int((long)id), dylan_int(-(long)id)};
  mps_word_t var[ITEM_WORDS];
  for (size_t j = 0; j < ITEM_WORDS; ++j)
    var[j] = item_word(id, j);
  if (dylan_make(&obj, ap, 0, item_wrapper, fixed, ITEM_WORDS, var) != MPS_RES_OK)
    ck_abort_msg("item %llu not allocated", (unsigned long long)id);
  return obj;
}

/* Garbage: a vector of 2 to 60 words, never referenced.  Returns its size. */
static size_t new_junk(mps_ap_t ap)
{
  mps_addr_t obj;
  size_t n = (size_t)rng_range(&rng, 2, 60);
  if (dylan_make(&obj, ap, 0, junk_wrapper, NULL, n, NULL) != MPS_RES_OK)
    ck_abort_msg("junk not allocated");
  return dylan_block_size(0, 0, DYLAN_VAR_WORDS, n);
}

/* Vectors [first, first + nvec) of refs[], each of VEC_LEN new items
 * (item i in vector i / VEC_LEN), on ap; after each item `junk` pieces
 * of garbage on junk_ap.  Each item goes into its vector before the
 * next allocation. */
static void make_vectors(mps_ap_t ap, size_t first, size_t nvec, mps_ap_t junk_ap,
                         unsigned junk)
{
  for (size_t v = first; v < first + nvec; ++v) {
    mps_word_t fixed[1] = {dylan_int((long)v)};
    ck_assert_int_eq(dylan_make(&refs[v], ap, 0, vec_wrapper, fixed, VEC_LEN, NULL),
                     MPS_RES_OK);
    for (size_t j = 0; j < VEC_LEN; ++j) {
      mps_addr_t item = new_item(ap, v * VEC_LEN + j);
      *dylan_var(refs[v], j) = (mps_word_t)item;
      for (unsigned k = 0; k < junk; ++k)
        (void)new_junk(junk_ap);
    }
  }
}

/* Whether item id, at item, is whole: its class, id, payload and words. */
static bool item_whole(mps_addr_t item, uint64_t id)
{
  if (!dylan_check(item, 0) || dylan_class_id(item) != CLASS_ITEM
      || *dylan_slot(item, 0) != dylan_int((long)id)
      || *dylan_slot(item, 1) != dylan_int(-(long)id) || dylan_var_len(item) != ITEM_WORDS)
    return false;
  for (size_t k = 0; k < ITEM_WORDS; ++k)
    if (*dylan_var(item, k) != item_word(id, k))
      return false;
  return true;
}

/* Every item of vectors [first, first + nvec) is whole; their addresses
 * go into addr[] if addr. */
static void check_items(size_t first, size_t nvec, uintptr_t *addr)
{
  for (size_t v = first; v < first + nvec; ++v) {
    mps_addr_t vec = refs[v];
    if (!dylan_check(vec, 0) || dylan_class_id(vec) != CLASS_VEC
        || dylan_var_len(vec) != VEC_LEN)
      ck_abort_msg("vector %zu broken", v);
    for (size_t j = 0; j < VEC_LEN; ++j) {
      mps_addr_t item = (mps_addr_t)*dylan_var(vec, j);
      if (!item_whole(item, v * VEC_LEN + j))
        ck_abort_msg("item %zu broken", v * VEC_LEN + j);
      if (addr != NULL)
        addr[v * VEC_LEN + j] = (uintptr_t)item;
    }
  }
}

/* How many items are not at the address addr[] has for them; addr[] is
 * brought up to date. */
static size_t items_moved(size_t first_vec, size_t nvec, uintptr_t *addr)
{
  size_t moved = 0;
  for (size_t v = first_vec; v < first_vec + nvec; ++v)
    for (size_t j = 0; j < VEC_LEN; ++j) {
      uint64_t id = v * VEC_LEN + j;
      uintptr_t now = (uintptr_t)*dylan_var(refs[v], j);
      if (now != addr[id]) {
        ++moved;
        addr[id] = now;
      }
    }
  return moved;
}

/* What the GC messages of a stretch of the test said. */
typedef struct Seen {
  size_t messages;
  size_t young;               /* something was not condemned */
  size_t max_condemned_share; /* condemned / (condemned + not), in 1/1000 */
  size_t min_not_condemned;
  size_t max_live;
  size_t min_live;
} Seen;

static void seen_init(Seen *s)
{
  memset(s, 0, sizeof *s);
  s->min_not_condemned = SIZE_MAX;
  s->min_live = SIZE_MAX;
}

static void on_gc(mps_arena_t arena, mps_message_t m, void *closure)
{
  Seen *s = closure;
  size_t live = mps_message_gc_live_size(arena, m);
  size_t condemned = mps_message_gc_condemned_size(arena, m);
  size_t not_condemned = mps_message_gc_not_condemned_size(arena, m);
  size_t share = condemned * 1000 / (condemned + not_condemned + 1);

  ck_assert_uint_le(live, condemned);
  ++s->messages;
  if (not_condemned > 0)
    ++s->young;
  if (share > s->max_condemned_share)
    s->max_condemned_share = share;
  if (not_condemned < s->min_not_condemned)
    s->min_not_condemned = not_condemned;
  if (live > s->max_live)
    s->max_live = live;
  if (live < s->min_live)
    s->min_live = live;
}

/* Allocate `bytes` of junk; drain GC messages into *s as collections
 * happen; if addr, check after each collection that no item of the
 * structure moved (returning how many collections there were).  The
 * committed memory's peak goes into *peak. */
static size_t churn(mps_ap_t ap, size_t bytes, Seen *s, uintptr_t *addr, size_t *peak)
{
  mps_word_t c0 = mps_collections(w.arena), seen = c0;
  size_t done = 0;
  while (done < bytes) {
    done += new_junk(ap);
    if (mps_collections(w.arena) != seen) {
      size_t committed = mps_arena_committed(w.arena);
      seen = mps_collections(w.arena);
      (void)gc_drain_messages(w.arena, mps_message_type_gc(), on_gc, s);
      if (addr != NULL)
        ck_assert_msg(items_moved(0, NVEC, addr) == 0,
                      "a young collection (%lu) moved old objects",
                      (unsigned long)(seen - c0));
      if (peak != NULL && committed > *peak)
        *peak = committed;
    }
  }
  (void)gc_drain_messages(w.arena, mps_message_type_gc(), on_gc, s);
  return (size_t)(mps_collections(w.arena) - c0);
}

/* A chain of three generations: 256 KiB young, 256 KiB middle, and an
 * oldest one too big to fill here.  Build a structure of NITEMS items
 * (about 3 MiB) among garbage, then allocate much more garbage. */
START_TEST(young_collections_spare_the_old)
{
  mps_gen_param_s gens[3] = {{256, 0.9}, {256, 0.5}, {64 * 1024, 0.2}};
  size_t long_bytes = NITEMS * item_bytes()
                      + NVEC * dylan_block_size(0, 1, DYLAN_VAR_WORDS, VEC_LEN);
  size_t garbage = 48 * MiB, committed0, peak, n;
  uintptr_t *addr = malloc(NITEMS * sizeof *addr);
  mps_pool_t pool;
  mps_ap_t ap;
  Seen build, young, full, old;

  ck_assert_ptr_nonnull(addr);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 3, gens), MPS_RES_OK);
  pool = make_amc(0);
  ap = make_ap(pool);

  /* The structure, among garbage: collections start as it grows, and
   * copy it up the generations. */
  seen_init(&build);
  make_vectors(ap, 0, NVEC, ap, 8);
  (void)gc_drain_messages(w.arena, mps_message_type_gc(), on_gc, &build);
  check_items(0, NVEC, addr);
  fprintf(stderr, "build: %zu collections, %zu young, structure %zu KiB\n", build.messages,
          build.young, long_bytes / KiB);
  ck_assert_uint_ge(build.messages, 20);
  ck_assert_uint_ge(build.young, build.messages / 2);

  /* Garbage only.  Young collections condemn a small part of the heap;
   * the structure is not in it (promoted: it is neither condemned nor
   * preserved), and the garbage goes. */
  committed0 = peak = mps_arena_committed(w.arena);
  seen_init(&young);
  n = churn(ap, garbage, &young, NULL, &peak);
  check_items(0, NVEC, NULL);
  fprintf(stderr, "garbage: %zu collections, %zu young, condemned at most %zu/1000 of the "
          "heap, not condemned at least %zu KiB, preserved at most %zu KiB, committed %zu "
          "-> %zu KiB\n", n, young.young, young.max_condemned_share,
          young.min_not_condemned / KiB, young.max_live / KiB, committed0 / KiB,
          peak / KiB);
  ck_assert_uint_eq(young.messages, n);
  ck_assert_uint_ge(n, garbage / (512 * KiB));
  ck_assert_uint_eq(young.young, n);
  ck_assert_uint_lt(young.max_condemned_share, 250);
  ck_assert_uint_ge(young.min_not_condemned, long_bytes / 2);
  ck_assert_uint_lt(young.max_live, long_bytes / 4);
  ck_assert_uint_lt(peak, committed0 + 8 * MiB);
  ck_assert_uint_lt(peak - committed0, garbage / 8);

  /* A full collection condemns everything, the structure included,
   * which survives whole (and moves: AMC copies it).  A second one
   * leaves all of it in the oldest generation. */
  seen_init(&full);
  check_items(0, NVEC, addr);
  ck_assert_int_eq(mps_arena_collect(w.arena), MPS_RES_OK);
  ck_assert_uint_gt(items_moved(0, NVEC, addr), NITEMS / 2);
  ck_assert_int_eq(mps_arena_collect(w.arena), MPS_RES_OK);
  mps_arena_release(w.arena);
  (void)gc_drain_messages(w.arena, mps_message_type_gc(), on_gc, &full);
  check_items(0, NVEC, addr);
  fprintf(stderr, "full: condemned at most %zu/1000 of the heap, preserved at least "
          "%zu KiB\n", full.max_condemned_share, full.min_live / KiB);
  ck_assert_uint_eq(full.messages, 2);
  ck_assert_uint_ge(full.min_live, long_bytes);
  ck_assert_uint_gt(full.max_condemned_share, 900);

  /* Now young collections never touch it: not one item moves. */
  seen_init(&old);
  n = churn(ap, 16 * MiB, &old, addr, NULL);
  check_items(0, NVEC, NULL);
  fprintf(stderr, "old: %zu collections, %zu young, not condemned at least %zu KiB, "
          "preserved at most %zu KiB\n", n, old.young, old.min_not_condemned / KiB,
          old.max_live / KiB);
  ck_assert_uint_ge(n, 16 * MiB / (512 * KiB));
  ck_assert_uint_eq(old.young, n);
  ck_assert_uint_ge(old.min_not_condemned, long_bytes);
  ck_assert_uint_lt(old.max_live, long_bytes / 8);

  /* Until a full collection condemns the oldest generation too. */
  ck_assert_int_eq(mps_arena_collect(w.arena), MPS_RES_OK);
  ck_assert_uint_gt(items_moved(0, NVEC, addr), NITEMS / 2);
  check_items(0, NVEC, NULL);

  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  free(addr);
}
END_TEST

/* Two pools on a two-generation chain: `young` allocates in generation
 * 0, `old` (MPS_KEY_GEN 1) in generation 1, less than its capacity.
 * Young collections started by `young`'s garbage move its survivors
 * (once: they are promoted) but neither move `old`'s objects nor
 * reclaim its dead ones; a full collection does both. */
START_TEST(gen_key_places_objects_later)
{
  mps_gen_param_s gens[2] = {{256, 0.9}, {4096, 0.5}};
  const size_t nvec = 8;      /* vectors 0..7 in `old`, 8..15 in `young` */
  uintptr_t *addr = malloc(NITEMS * sizeof *addr);
  mps_pool_t young, old;
  mps_ap_t young_ap, old_ap;
  DylanCensus c;
  Seen s;
  size_t n;

  ck_assert_ptr_nonnull(addr);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 2, gens), MPS_RES_OK);
  young = make_amc(0);
  old = make_amc(1);
  young_ap = make_ap(young);
  old_ap = make_ap(old);

  make_vectors(old_ap, 0, nvec, old_ap, 1);      /* with garbage in `old` */
  make_vectors(young_ap, nvec, nvec, young_ap, 0);
  check_items(0, 2 * nvec, addr);
  mps_arena_park(w.arena);
  c = gc_census(w.arena, old, 0);
  ck_assert_uint_eq(c.by_class[CLASS_ITEM], nvec * VEC_LEN);
  ck_assert_uint_eq(c.by_class[CLASS_JUNK], nvec * VEC_LEN);
  mps_arena_release(w.arena);

  seen_init(&s);
  n = churn(young_ap, 16 * MiB, &s, NULL, NULL);
  check_items(0, 2 * nvec, NULL);
  fprintf(stderr, "gen key: %zu collections, %zu young, condemned at most %zu/1000\n", n,
          s.young, s.max_condemned_share);
  ck_assert_uint_ge(n, 16 * MiB / (512 * KiB));
  ck_assert_uint_eq(s.young, n);
  ck_assert_uint_eq(items_moved(0, nvec, addr), 0);
  ck_assert_uint_eq(items_moved(nvec, nvec, addr), nvec * VEC_LEN);
  mps_arena_park(w.arena);
  c = gc_census(w.arena, old, 0);
  ck_assert_uint_eq(c.by_class[CLASS_ITEM], nvec * VEC_LEN);
  ck_assert_uint_eq(c.by_class[CLASS_JUNK], nvec * VEC_LEN);

  ck_assert_int_eq(mps_arena_collect(w.arena), MPS_RES_OK);
  check_items(0, 2 * nvec, NULL);
  ck_assert_uint_eq(items_moved(0, nvec, addr), nvec * VEC_LEN);
  c = gc_census(w.arena, old, 0);
  ck_assert_uint_eq(c.by_class[CLASS_ITEM], nvec * VEC_LEN);
  ck_assert_uint_eq(c.by_class[CLASS_JUNK], 0);
  ck_assert_uint_eq(c.by_class[CLASS_VEC], nvec);

  mps_ap_destroy(old_ap);
  mps_ap_destroy(young_ap);
  mps_pool_destroy(old);
  mps_pool_destroy(young);
  mps_chain_destroy(chain);
  free(addr);
}
END_TEST

/* design.trace.control.step: a step when nothing is due is a young
 * collection: the old structure is neither condemned nor moved, the
 * young garbage goes. */
START_TEST(step_collects_the_young)
{
  mps_gen_param_s gens[2] = {{1024, 0.9}, {64 * 1024, 0.2}};
  const size_t nvec = 16;
  uintptr_t *addr = malloc(NITEMS * sizeof *addr);
  size_t long_bytes = nvec * VEC_LEN * item_bytes();
  mps_pool_t pool;
  mps_ap_t ap;
  Seen s;

  ck_assert_ptr_nonnull(addr);
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 2, gens), MPS_RES_OK);
  pool = make_amc(0);
  ap = make_ap(pool);
  mps_arena_park(w.arena);
  make_vectors(ap, 0, nvec, ap, 0);
  ck_assert_int_eq(mps_arena_collect(w.arena), MPS_RES_OK);   /* promoted */
  check_items(0, nvec, addr);
  (void)gc_drain_messages(w.arena, mps_message_type_gc(), NULL, NULL);
  /* less garbage than generation 0's capacity: no collection is due */
  for (size_t done = 0; done < 512 * KiB;)
    done += new_junk(ap);
  ck_assert(mps_arena_step(w.arena, 10.0, 100.0));
  seen_init(&s);
  ck_assert_uint_eq(gc_drain_messages(w.arena, mps_message_type_gc(), on_gc, &s), 1);
  ck_assert_uint_eq(s.young, 1);
  ck_assert_uint_ge(s.min_not_condemned, long_bytes);
  ck_assert_uint_lt(s.max_live, long_bytes / 4);
  ck_assert_uint_eq(items_moved(0, nvec, addr), 0);
  check_items(0, nvec, NULL);
  /* nothing new since: no work */
  ck_assert(!mps_arena_step(w.arena, 10.0, 100.0));
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  free(addr);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/gen");
  TCase *tc = fixture_tcase(s, "gen", setup, teardown, 60);

  tcase_add_test(tc, young_collections_spare_the_old);
  tcase_add_test(tc, gen_key_places_objects_later);
  tcase_add_test(tc, step_collects_the_young);
  return fixture_run_suite(s);
}
