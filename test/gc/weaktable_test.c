/* test/gc/weaktable_test.c -- the weak hash tables of example/weaktable.h
 * over keys and values in an AMC pool: entries whose weak side dies
 * disappear at the collection that finds it dead and the others stay with
 * their values, for weak keys, weak values and both; no lookup returns the
 * value of a dead entry, even when new objects take dead ones' addresses;
 * keys moved by AMC are found again through one rehash; iteration sees
 * exactly the live entries; the tables grow while collections run; and a
 * seeded stress of inserts, drops, deletes and collections (automatic and
 * mps_arena_collect) checked against a model.  LAGOON_SEED replays a run,
 * LAGOON_STRESS_SCALE lengthens it.
 * Design: manual/guide/weak.rst (the MPS manual: guide/advanced.rst,
 * pool/awl.rst, topic/weak.rst, topic/location.rst) */
#define WEAKTABLE_IMPLEMENTATION
#include "../../example/weaktable.h"

#include "mpscamc.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A check that costs nothing when it passes.  Check records every
 * ck_assert that passes (a write to its pipe to the runner), and the
 * loops below check every entry thousands of times.  An optional
 * printf-style message follows the condition. */
#define EXPECT(cond, ...) \
  do { \
    if (!(cond)) \
      expect_failed(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
  } while (0)

static void expect_failed(const char *file, int line, const char *cond, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
static void expect_failed(const char *file, int line, const char *cond, const char *fmt, ...)
{
  char message[256];
  va_list args;

  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  ck_abort_msg("%s:%d: check failed: %s%s", file, line, cond, message);
}

/* ---- The heap ----
 * The gc fixture's arena (not parked: allocation starts collections),
 * Dylan format and one-generation chain; an AMC pool of that format for
 * keys, values and junk; a weak table runtime on the same chain.  The
 * test keeps its keys and values in keys[] and values[], one exact root,
 * and registers no thread, so that only what it keeps is alive. */

enum { C_KEY = 1, C_VALUE = 2, C_JUNK = 3 };

#define NBASIC 4000u

static GcWorld w;
static mps_pool_t amc;
static mps_ap_t ap;
static WtRuntime *rt;
static WtTable *table;
static DylanStaticWrapper key_ws, value_ws, junk_ws;
static mps_addr_t key_wrapper, value_wrapper, junk_wrapper;   /* outside the arena */
static mps_addr_t *held;           /* the root: keys[] then values[] */
static mps_addr_t *keys, *values;  /* keys[i], values[i]: entry i's, if kept */
static size_t nslots;
static Rng rng;

static void open_heap(size_t n)
{
  GcWorldOptions o = {.arena_size = 128 * MiB, .unparked = true, .chain_kb = 256,
                      .mortality = 0.8};
  mps_res_t res;

  gc_world_open(&w, &o);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, w.chain);
    res = mps_pool_create_k(&amc, w.arena, mps_class_amc(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, amc, mps_args_none), MPS_RES_OK);
  key_wrapper = dylan_static_wrapper(&key_ws, C_KEY, 1, DYLAN_VAR_NONE);
  value_wrapper = dylan_static_wrapper(&value_ws, C_VALUE, 1, DYLAN_VAR_NONE);
  junk_wrapper = dylan_static_wrapper(&junk_ws, C_JUNK, 0, DYLAN_VAR_WORDS);
  nslots = n;
  held = malloc(2 * n * sizeof *held);
  ck_assert_ptr_nonnull(held);
  gc_world_add_table(&w, held, 2 * n);
  keys = held;
  values = held + n;
  ck_assert_int_eq(wt_runtime_create(&rt, w.arena, w.chain), MPS_RES_OK);
  table = NULL;
}

static void setup(void)
{
  rng_init(&rng, 1);
  open_heap(NBASIC);
}

static void teardown(void)
{
  mps_arena_park(w.arena);
  if (table != NULL)
    wt_destroy(table);
  wt_runtime_destroy(rt);
  mps_ap_destroy(ap);
  mps_pool_destroy(amc);
  gc_world_close(&w);
  free(held);
}

/* A Dylan object of class wrapper whose one slot is n. */
static mps_addr_t make(mps_addr_t wrapper, long n)
{
  mps_addr_t obj;
  mps_word_t fixed = dylan_int(n);
  EXPECT(dylan_make(&obj, ap, 0, wrapper, &fixed, 0, NULL) == MPS_RES_OK);
  return obj;
}

/* Garbage, so that allocation starts collections. */
static void junk(size_t n)
{
  for (size_t j = 0; j < n; ++j) {
    mps_addr_t obj;
    EXPECT(dylan_make(&obj, ap, 0, junk_wrapper, NULL, (size_t)rng_below(&rng, 24), NULL)
           == MPS_RES_OK);
  }
}

/* The slot of obj, a sound object of class cls. */
static long payload(mps_addr_t obj, unsigned cls)
{
  EXPECT(dylan_is_ref((mps_word_t)obj));
  EXPECT(dylan_check(obj, 0));
  EXPECT(dylan_class_id(obj) == cls);
  return dylan_int_value(*dylan_slot(obj, 0));
}

static void collect(void)
{
  ck_assert_int_eq(mps_arena_collect(w.arena), MPS_RES_OK);
  mps_arena_release(w.arena);
}

static DylanCensus census(void)
{
  DylanCensus c;
  mps_arena_park(w.arena);
  c = gc_world_census(&w, amc);
  mps_arena_release(w.arena);
  return c;
}

static bool keys_weak(WtKind kind) { return kind != WT_WEAK_VALUES; }
static bool values_weak(WtKind kind) { return kind != WT_WEAK_KEYS; }

static void create(WtKind kind, size_t entries)
{
  ck_assert_int_eq(wt_create(&table, rt, kind, entries), MPS_RES_OK);
}

static void put(mps_addr_t key, mps_addr_t value)
{
  EXPECT(wt_put(table, key, value) == MPS_RES_OK);
}

static WtStats stats(void)
{
  WtStats s;
  wt_stats(&s, table);
  return s;
}

/* ---- Iteration against an expectation ----
 * Each call of `check` must be for a distinct entry that `expected`
 * allows, with the value `check_value` wants. */
typedef struct Visit {
  size_t n;                      /* entries 0..n-1 may be seen */
  bool (*expected)(size_t i);    /* entry i may be seen */
  void (*check_value)(size_t i, mps_addr_t value);
  unsigned char *seen;
  size_t calls;
} Visit;

static bool visit_entry(mps_addr_t key, mps_addr_t value, void *closure)
{
  Visit *v = closure;
  long i = payload(key, C_KEY);

  EXPECT(i >= 0 && (size_t)i < v->n);
  EXPECT(v->expected((size_t)i), "iteration sees dead entry %ld", i);
  EXPECT(!v->seen[i], "iteration sees entry %ld twice", i);
  v->seen[i] = 1;
  if (keys[i] != NULL)
    EXPECT(key == keys[i]);
  v->check_value((size_t)i, value);
  ++v->calls;
  return true;
}

/* Iterate; returns the number of entries seen, each checked. */
static size_t iterate(size_t n, bool (*expected)(size_t), void (*check_value)(size_t, mps_addr_t))
{
  Visit v = {n, expected, check_value, calloc(n, 1), 0};
  size_t calls;

  ck_assert_ptr_nonnull(v.seen);
  calls = wt_iterate(table, visit_entry, &v);
  ck_assert_uint_eq(calls, v.calls);
  free(v.seen);
  return calls;
}


/* ---- Entries follow their weak side ----
 * Entry i: key i, and value i (an object, or for i % 5 == 4 an integer).
 * The test lets go of the odd keys and of the values with i % 3 == 1. */

#define NSIDES 300u

static WtKind cur_kind;

static bool int_entry(size_t i) { return i % 5 == 4; }

static bool survives(size_t i)
{
  bool key_lives = !keys_weak(cur_kind) || i % 2 == 0;
  bool value_lives = !values_weak(cur_kind) || int_entry(i) || i % 3 != 1;
  return key_lives && value_lives;
}

static bool any_entry(size_t i) { (void)i; return true; }
static bool no_entry(size_t i) { (void)i; return false; }

static void check_side_value(size_t i, mps_addr_t value)
{
  if (int_entry(i)) {
    EXPECT(value == wt_int((long)i), "entry %zu", i);
  } else {
    EXPECT(payload(value, C_VALUE) == (long)i, "entry %zu", i);
    if (values[i] != NULL)
      EXPECT(value == values[i], "entry %zu", i);
  }
}

START_TEST(weak_sides_die)
{
  size_t live = 0, keys_left = 0, values_left = 0;
  DylanCensus c;

  cur_kind = (WtKind)_i;
  create(cur_kind, 0);
  for (size_t i = 0; i < NSIDES; ++i) {
    keys[i] = make(key_wrapper, (long)i);
    if (int_entry(i)) {
      put(keys[i], wt_int((long)i));
    } else {
      values[i] = make(value_wrapper, (long)i);
      put(keys[i], values[i]);
    }
  }
  ck_assert_uint_eq(wt_count(table), NSIDES);
  for (size_t i = 0; i < NSIDES; ++i) {
    if (i % 2 == 1)
      keys[i] = NULL;
    if (i % 3 == 1)
      values[i] = NULL;
  }
  /* nothing has been collected yet: every entry is still there */
  ck_assert_uint_eq(wt_count(table), NSIDES);
  ck_assert_uint_eq(iterate(NSIDES, any_entry, check_side_value), NSIDES);

  collect();
  for (size_t i = 0; i < NSIDES; ++i) {
    if (keys[i] != NULL) {
      mps_addr_t value = NULL;
      bool found = wt_get(&value, table, keys[i]);
      EXPECT(found == survives(i), "entry %zu: found %d", i, (int)found);
      if (found)
        check_side_value(i, value);
    }
    live += survives(i);
  }
  ck_assert_uint_eq(wt_count(table), live);
  ck_assert_uint_eq(iterate(NSIDES, survives, check_side_value), live);
  ck_assert_uint_eq(stats().splats, NSIDES - live);
  ck_assert_uint_lt(live, NSIDES);
  ck_assert_uint_gt(live, 0);

  /* The strong side of a deleted entry goes at the next collection: what
   * is left is what the test keeps and the strong sides of live entries. */
  collect();
  for (size_t i = 0; i < NSIDES; ++i) {
    keys_left += keys[i] != NULL || (!keys_weak(cur_kind) && survives(i));
    values_left += !int_entry(i) && (values[i] != NULL
                                     || (!values_weak(cur_kind) && survives(i)));
  }
  c = census();
  ck_assert_uint_eq(c.by_class[C_KEY], keys_left);
  ck_assert_uint_eq(c.by_class[C_VALUE], values_left);

  /* A destroyed table keeps nothing alive. */
  wt_destroy(table);
  table = NULL;
  memset(held, 0, 2 * nslots * sizeof *held);
  collect();
  c = census();
  ck_assert_uint_eq(c.by_class[C_KEY], 0);
  ck_assert_uint_eq(c.by_class[C_VALUE], 0);
}
END_TEST


/* ---- No stale value ----
 * Every entry's weak side dies; then new objects are made, some of them
 * at the dead ones' addresses.  No lookup may find anything. */

#define NSTALE 400u

static int cmp_addr(const void *a, const void *b)
{
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return (x > y) - (x < y);
}

START_TEST(no_stale_value)
{
  static uintptr_t dead[NSTALE];
  WtKind kind = (WtKind)_i;
  size_t reused = 0;
  mps_addr_t value;

  create(kind, 0);
  for (size_t i = 0; i < NSTALE; ++i) {
    keys[i] = make(key_wrapper, (long)i);
    values[i] = make(value_wrapper, (long)i);
    put(keys[i], values[i]);
  }
  collect();
  for (size_t i = 0; i < NSTALE; ++i) {
    mps_addr_t *side = keys_weak(kind) ? &keys[i] : &values[i];
    dead[i] = (uintptr_t)*side;
    *side = NULL;
  }
  qsort(dead, NSTALE, sizeof dead[0], cmp_addr);
  collect();
  ck_assert_uint_eq(wt_count(table), 0);
  ck_assert_uint_eq(iterate(NSTALE, no_entry, check_side_value), 0);
  ck_assert_uint_eq(stats().splats, NSTALE);
  if (!keys_weak(kind))
    for (size_t i = 0; i < NSTALE; ++i)
      EXPECT(!wt_get(&value, table, keys[i]));

  /* New objects of the weak side's class, until the freed memory is
   * reused: a table that kept dead entries would find them by the new
   * objects' addresses. */
  for (size_t round = 0; round < 256 && reused < NSTALE; ++round)
    for (size_t i = 0; i < NSTALE; ++i) {
      mps_addr_t *side = keys_weak(kind) ? &keys[i] : &values[i];
      *side = make(keys_weak(kind) ? key_wrapper : value_wrapper, (long)(NSTALE + i));
      reused += bsearch(&(uintptr_t){(uintptr_t)*side}, dead, NSTALE, sizeof dead[0],
                        cmp_addr) != NULL;
      if (keys_weak(kind))
        EXPECT(!wt_get(&value, table, keys[i]));
    }
  EXPECT(reused > 0, "no new object took a dead one's address");
  for (size_t i = 0; i < NSTALE; ++i)
    EXPECT(!wt_get(&value, table, keys[i]));
  fprintf(stderr, "weaktable_test: kind %d: %zu new objects at dead ones' addresses\n",
          (int)kind, reused);

  /* The table still works. */
  put(keys[0], values[0]);
  ck_assert_uint_eq(wt_count(table), 1);
  EXPECT(wt_get(&value, table, keys[0]));
  ck_assert_ptr_eq(value, values[0]);
}
END_TEST


/* ---- Keys that move ---- */

#define NMOVE 2000u

START_TEST(moved_keys_found)
{
  static uintptr_t before[NMOVE];
  WtKind kind = (WtKind)_i;
  unsigned long rehashes;
  size_t moved = 0;
  mps_addr_t value;
  mps_addr_t *stranger = &values[0];          /* a key never put */

  create(kind, 0);
  for (size_t i = 0; i < NMOVE; ++i) {
    keys[i] = make(key_wrapper, (long)i);
    put(keys[i], wt_int((long)i));
    junk(4);
  }
  *stranger = make(key_wrapper, -1);
  for (size_t i = 0; i < NMOVE; ++i)
    before[i] = (uintptr_t)keys[i];
  rehashes = stats().rehashes;

  collect();
  for (size_t i = 0; i < NMOVE; ++i)
    moved += (uintptr_t)keys[i] != before[i];
  ck_assert_uint_gt(moved, 0);
  /* every key found at its new address, after exactly one rehash */
  for (unsigned pass = 0; pass < 2; ++pass)
    for (size_t i = 0; i < NMOVE; ++i) {
      EXPECT(wt_get(&value, table, keys[i]), "moved key %zu lost", i);
      EXPECT(value == wt_int((long)i), "key %zu", i);
    }
  ck_assert_uint_eq(stats().rehashes, rehashes + 1);
  ck_assert_uint_eq(wt_count(table), NMOVE);

  /* After further moves: a put of a present key replaces its value (no
   * second entry under the new address), a delete finds its key, and a
   * key never put is not found. */
  collect();
  put(keys[0], wt_int(-7));
  ck_assert_uint_eq(wt_count(table), NMOVE);
  EXPECT(wt_get(&value, table, keys[0]));
  ck_assert_ptr_eq(value, wt_int(-7));
  collect();
  EXPECT(wt_delete(table, keys[1]));
  EXPECT(!wt_delete(table, keys[1]));
  EXPECT(!wt_get(&value, table, keys[1]));
  ck_assert_uint_eq(wt_count(table), NMOVE - 1);
  collect();
  rehashes = stats().rehashes;
  EXPECT(!wt_get(&value, table, *stranger));
  EXPECT(!wt_get(&value, table, *stranger));
  ck_assert_uint_le(stats().rehashes, rehashes + 1);
  for (size_t i = 2; i < NMOVE; ++i)
    EXPECT(wt_get(&value, table, keys[i]));
  ck_assert_uint_le(stats().rehashes, rehashes + 1);
}
END_TEST


/* ---- Growth while collections run ---- */

static bool all_made(size_t i) { (void)i; return true; }

static void check_int_value(size_t i, mps_addr_t value)
{
  EXPECT(value == wt_int((long)i), "entry %zu", i);
}

START_TEST(grows_under_collections)
{
  WtKind kind = (WtKind)_i;
  mps_word_t collections = mps_collections(w.arena);
  WtStats s;

  create(kind, 0);
  ck_assert_uint_eq(stats().capacity, 8);
  for (size_t i = 0; i < NBASIC; ++i) {
    keys[i] = make(key_wrapper, (long)i);
    put(keys[i], wt_int((long)i));
    junk(8);
  }
  ck_assert_uint_gt(mps_collections(w.arena), collections + 3);
  for (size_t i = 0; i < NBASIC; ++i) {
    mps_addr_t value;
    EXPECT(wt_get(&value, table, keys[i]), "key %zu lost", i);
    EXPECT(value == wt_int((long)i), "key %zu", i);
  }
  s = stats();
  ck_assert_uint_eq(s.count, NBASIC);
  ck_assert_uint_ge(s.rebuilds, 10);           /* 8 slots to 8192 */
  ck_assert_uint_eq(s.capacity, 8192);
  ck_assert_uint_le(s.used * 4, s.capacity * 3);
  ck_assert_uint_eq(iterate(NBASIC, all_made, check_int_value), NBASIC);
}
END_TEST


/* ---- Arrays in a generation that young collections leave alone ----
 * A runtime on a chain of its own, with a generation 0 too large to
 * fill, so the collections that allocation starts condemn the young keys
 * and values but never the arrays (design.awl.gen: their segments are
 * scanned all the same).  Weak entries still go when their objects die;
 * and the arrays a table drops (when it grows, or is destroyed) must not
 * keep the strong sides of its entries alive meanwhile. */

/* Allocate until a collection has run; the arena is parked after it. */
static void collect_young(void)
{
  mps_word_t before = mps_collections(w.arena);

  mps_arena_release(w.arena);
  for (unsigned n = 0; n < 4096 && mps_collections(w.arena) == before; ++n)
    junk(16);
  mps_arena_park(w.arena);
  ck_assert_uint_gt(mps_collections(w.arena), before);
}

#define NOLD 600u

START_TEST(old_generation_arrays)
{
  WtKind kind = (WtKind)_i;
  mps_gen_param_s big = {64 * 1024, 0.5};
  mps_chain_t chain;
  WtRuntime *old_rt;
  WtTable *other;
  size_t held_keys = 0, held_values = 0;
  DylanCensus before, after;

  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 1, &big), MPS_RES_OK);
  ck_assert_int_eq(wt_runtime_create(&old_rt, w.arena, chain), MPS_RES_OK);
  ck_assert_int_eq(wt_create(&table, old_rt, kind, 0), MPS_RES_OK);

  /* Parked: every key and value stays young; the table grows (and drops
   * arrays) eight times. */
  mps_arena_park(w.arena);
  for (size_t i = 0; i < NOLD; ++i) {
    keys[i] = make(key_wrapper, (long)i);
    values[i] = make(value_wrapper, (long)i);
    put(keys[i], values[i]);
  }
  ck_assert_uint_ge(stats().rebuilds, 8);
  /* i % 4 == 0: deleted, then let go of; 1: the weak side let go of;
   * 2, 3: kept. */
  for (size_t i = 0; i < NOLD; i += 4) {
    EXPECT(wt_delete(table, keys[i]));
    keys[i] = values[i] = NULL;
    if (keys_weak(kind))
      keys[i + 1] = NULL;
    else
      values[i + 1] = NULL;
  }
  collect_young();
  ck_assert_uint_eq(wt_count(table), NOLD / 2);
  ck_assert_uint_eq(stats().splats, NOLD / 4);
  for (size_t i = 0; i < NOLD; ++i) {
    mps_addr_t value;
    if (keys[i] != NULL) {
      bool found = wt_get(&value, table, keys[i]);
      EXPECT(found == (i % 4 >= 2), "entry %zu", i);
      if (found)
        EXPECT(value == values[i], "entry %zu", i);
    }
    held_keys += keys[i] != NULL;
    held_values += values[i] != NULL;
  }
  /* Entries deleted before the collection left nothing alive: what is
   * left is what the test holds. */
  before = gc_world_census(&w, amc);
  ck_assert_uint_eq(before.by_class[C_KEY], held_keys);
  ck_assert_uint_eq(before.by_class[C_VALUE], held_values);

  /* A destroyed table's arrays keep nothing alive either. */
  ck_assert_int_eq(wt_create(&other, old_rt, kind, 0), MPS_RES_OK);
  for (size_t i = NOLD; i < 2 * NOLD; ++i) {
    keys[i] = make(key_wrapper, (long)i);
    values[i] = make(value_wrapper, (long)i);
    ck_assert_int_eq(wt_put(other, keys[i], values[i]), MPS_RES_OK);
  }
  wt_destroy(other);
  memset(&keys[NOLD], 0, NOLD * sizeof *keys);
  memset(&values[NOLD], 0, NOLD * sizeof *values);
  collect_young();
  after = gc_world_census(&w, amc);
  ck_assert_uint_eq(after.by_class[C_KEY], before.by_class[C_KEY]);
  ck_assert_uint_eq(after.by_class[C_VALUE], before.by_class[C_VALUE]);

  wt_destroy(table);
  table = NULL;
  wt_runtime_destroy(old_rt);
  mps_chain_destroy(chain);
}
END_TEST


/* ---- The interface's edges ---- */

static bool stop_after_three(mps_addr_t key, mps_addr_t value, void *closure)
{
  (void)key;
  (void)value;
  return ++*(int *)closure < 3;
}

START_TEST(interface)
{
  WtTable *t = (WtTable *)&t;
  mps_addr_t value = NULL;
  int calls = 0;

  ck_assert_int_eq(wt_create(&t, rt, (WtKind)3, 0), MPS_RES_PARAM);
  ck_assert_ptr_eq(t, (WtTable *)&t);
  create(WT_WEAK_KEYS, 100);
  ck_assert_uint_eq(stats().capacity, 256);
  keys[0] = make(key_wrapper, 0);
  ck_assert_int_eq(wt_put(table, NULL, wt_int(1)), MPS_RES_PARAM);
  ck_assert_int_eq(wt_put(table, wt_int(5), wt_int(1)), MPS_RES_PARAM);
  ck_assert_int_eq(wt_put(table, keys[0], NULL), MPS_RES_PARAM);
  ck_assert_uint_eq(wt_count(table), 0);
  EXPECT(!wt_get(&value, table, keys[0]));
  ck_assert_ptr_null(value);                  /* written only when found */
  EXPECT(!wt_delete(table, keys[0]));

  /* tagged integers round-trip, negative ones included */
  ck_assert_int_eq(wt_int_value(wt_int(-12345)), -12345);
  EXPECT(wt_is_int(wt_int(0)));
  EXPECT(!wt_is_int(keys[0]));

  for (size_t i = 0; i < 10; ++i) {
    keys[i] = make(key_wrapper, (long)i);
    put(keys[i], wt_int((long)i));
  }
  ck_assert_uint_eq(wt_iterate(table, stop_after_three, &calls), 3);
  ck_assert_int_eq(calls, 3);
  /* a key outside the arena is a reference that never dies or moves */
  put(&key_ws, wt_int(99));
  collect();
  EXPECT(wt_get(&value, table, &key_ws));
  ck_assert_ptr_eq(value, wt_int(99));
  ck_assert_uint_eq(wt_count(table), 11);
}
END_TEST


/* ---- Stress against a model ----
 * Entry e has key e (keys[e] while the test keeps it) and a value that
 * is an integer or an object (values[e] while kept) whose slot is the
 * model's serial v.  States: NONE (never put), PRESENT (must be found),
 * MAYBE (a weak side was let go and no full collection has run since:
 * found or not, but found with its value), ABSENT (must not be found). */

enum { S_NONE, S_PRESENT, S_MAYBE, S_ABSENT };

typedef struct Entry {
  unsigned char state;
  bool is_int;
  long v;
} Entry;

static Entry *model;
static size_t made;
static long serial;
static WtKind stress_kind;

static void setup_stress(void)
{
  rng_init(&rng, rng_seed_from_env("gc/weaktable_test"));
  open_heap(12000u * rng_scale());
  model = calloc(nslots, sizeof *model);
  ck_assert_ptr_nonnull(model);
  made = 0;
  serial = 0;
}

static void teardown_stress(void)
{
  teardown();
  free(model);
}

static bool surely_alive(size_t e)
{
  return (!keys_weak(stress_kind) || keys[e] != NULL)
         && (!values_weak(stress_kind) || model[e].is_int || values[e] != NULL);
}

static void let_go(mps_addr_t *slot, size_t e)
{
  *slot = NULL;
  if (model[e].state == S_PRESENT && !surely_alive(e))
    model[e].state = S_MAYBE;
}

static void check_model_value(size_t e, mps_addr_t value)
{
  if (model[e].is_int) {
    EXPECT(value == wt_int(model[e].v), "entry %zu", e);
  } else {
    EXPECT(payload(value, C_VALUE) == model[e].v, "entry %zu", e);
    if (values[e] != NULL)
      EXPECT(value == values[e], "entry %zu", e);
  }
}

/* A new value for entry e, into the model and values[e]; returns it. */
static mps_addr_t new_value(size_t e)
{
  model[e].v = ++serial;
  model[e].is_int = rng_below(&rng, 4) == 0;
  values[e] = model[e].is_int ? NULL : make(value_wrapper, serial);
  return model[e].is_int ? wt_int(serial) : values[e];
}

static void stress_put(size_t e)
{
  mps_addr_t value = new_value(e);
  put(keys[e], value);
  model[e].state = S_PRESENT;
}

static void stress_get(size_t e)
{
  mps_addr_t value;
  bool found = wt_get(&value, table, keys[e]);

  switch (model[e].state) {
  case S_PRESENT:
    EXPECT(found, "entry %zu lost", e);
    check_model_value(e, value);
    break;
  case S_MAYBE:
    if (found)
      check_model_value(e, value);
    else
      model[e].state = S_ABSENT;
    break;
  default:
    EXPECT(!found, "entry %zu found after it went", e);
  }
}

static void stress_delete(size_t e)
{
  bool found = wt_delete(table, keys[e]);
  if (model[e].state == S_PRESENT)
    EXPECT(found);
  else if (model[e].state != S_MAYBE)
    EXPECT(!found);
  model[e].state = S_ABSENT;
}

static bool in_table(size_t e)
{
  return model[e].state == S_PRESENT || model[e].state == S_MAYBE;
}

/* The count and the iteration agree with the model; after a full
 * collection (no MAYBE left) exactly. */
static void stress_verify(void)
{
  size_t present = 0, maybe = 0, count = wt_count(table), seen;

  for (size_t e = 0; e < made; ++e) {
    present += model[e].state == S_PRESENT;
    maybe += model[e].state == S_MAYBE;
  }
  ck_assert_uint_ge(count, present);
  ck_assert_uint_le(count, present + maybe);
  seen = iterate(made, in_table, check_model_value);
  ck_assert_uint_eq(seen, count);
  for (size_t e = 0; e < made; ++e)
    if (keys[e] != NULL)
      stress_get(e);
}

static void stress_full_collection(void)
{
  collect();
  for (size_t e = 0; e < made; ++e)
    if (model[e].state == S_MAYBE)
      model[e].state = S_ABSENT;
  stress_verify();
}

/* A random entry whose key the test keeps (made > 0), or nslots. */
static size_t kept_entry(void)
{
  for (unsigned tries = 0; tries < 8; ++tries) {
    size_t e = (size_t)rng_below(&rng, made);
    if (keys[e] != NULL)
      return e;
  }
  return nslots;
}

START_TEST(stress)
{
  size_t ops = 24000u * rng_scale(), fulls = 0;
  mps_word_t collections = mps_collections(w.arena);
  WtStats s;

  stress_kind = (WtKind)_i;
  create(stress_kind, 0);
  for (size_t op = 0; op < ops; ++op) {
    unsigned r = (unsigned)rng_below(&rng, 100);
    size_t e;

    if (made == 0 || (r < 30 && made < nslots)) {
      e = made++;
      keys[e] = make(key_wrapper, (long)e);
      stress_put(e);
    } else if ((e = kept_entry()) == nslots) {
      continue;
    } else if (r < 40) {
      stress_put(e);                          /* replace the value */
    } else if (r < 50) {
      let_go(&keys[e], e);
    } else if (r < 60) {
      if (values[e] != NULL)
        let_go(&values[e], e);
    } else if (r < 65) {
      stress_delete(e);
    } else {
      stress_get(e);
    }
    junk((size_t)rng_below(&rng, 48));
    if (op % 250 == 0)
      stress_verify();
    if (op % (ops / 8) == ops / 16) {
      stress_full_collection();
      ++fulls;
    }
  }
  stress_full_collection();
  s = stats();
  fprintf(stderr, "weaktable_test: kind %d: %zu entries, %lu collections (%zu full), "
          "%lu splats, %lu rehashes, %lu rebuilds, %zu left\n", (int)stress_kind, made,
          (unsigned long)(mps_collections(w.arena) - collections), fulls + 1, s.splats,
          s.rehashes, s.rebuilds, s.count);
  /* the run exercised what it is for */
  ck_assert_uint_gt(mps_collections(w.arena) - collections, 2 * (fulls + 1));
  ck_assert_uint_gt(s.splats, 0);
  ck_assert_uint_gt(s.rehashes, 0);
  ck_assert_uint_gt(s.rebuilds, 1);
}
END_TEST


int main(void)
{
  Suite *s = suite_create("gc/weaktable");
  TCase *tc = fixture_tcase(s, "tables", setup, teardown, 60);
  int kinds = WT_WEAK_BOTH + 1;

  tcase_add_loop_test(tc, weak_sides_die, 0, kinds);
  tcase_add_loop_test(tc, no_stale_value, 0, kinds);
  tcase_add_loop_test(tc, moved_keys_found, 0, kinds);
  tcase_add_loop_test(tc, grows_under_collections, 0, kinds);
  tcase_add_loop_test(tc, old_generation_arrays, 0, kinds);
  tcase_add_test(tc, interface);
  tc = fixture_tcase(s, "stress", setup_stress, teardown_stress, 120);
  tcase_add_loop_test(tc, stress, 0, kinds);
  return fixture_run_suite(s);
}
