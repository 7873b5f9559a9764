/* test/gc/ld_test.c -- location dependencies end to end: an address-hashed
 * table whose keys are objects of a moving pool (AMC) depends on their
 * addresses through an mps_ld_s, rehashes when the dependency is stale,
 * and never loses a key across many collections, automatic and
 * mps_arena_collect; a dependency goes stale when its objects move and
 * stays fresh until something moves.  Ramp patterns wrap the allocation.
 * Design: manual/design/ld.rst (MPS manual: topic/location.rst, the
 * worked example of an address-based hash table; topic/pattern.rst) */
#include "mps.h"
#include "mpsavm.h"
#include "mpscamc.h"
#include "dylan.h"
#include "rng.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { CLASS_KEY = 1, CLASS_JUNK = 2 };

#define SLOT_BITS 12u
#define SLOTS ((size_t)1 << SLOT_BITS)     /* table slots */
#define KEYS 1500u                        /* keys ever made (< SLOTS / 2) */

static mps_arena_t arena;
static mps_fmt_t fmt;
static mps_chain_t chain;
static mps_pool_t pool;
static mps_ap_t ap;
static DylanStaticWrapper key_wrapper_s, junk_wrapper_s;
static mps_addr_t key_wrapper, junk_wrapper;   /* outside the arena: never move */
static Rng rng;

/* ---- The table (the manual's example, in C) ----
 * keys[] is an exact root: the collector updates the keys when their
 * objects move, but the slot a key sits in was chosen by its old
 * address.  A slot holds NULL (empty), TOMBSTONE (deleted) or a key.
 * Nothing here allocates, so no collection runs inside a table
 * operation (collections are stop-the-world, at allocation or on
 * request). */
static mps_word_t tombstone_word;
#define TOMBSTONE ((mps_addr_t)&tombstone_word)

typedef struct Table {
  mps_ld_s ld;
  mps_addr_t keys[SLOTS];
  long values[SLOTS];
  size_t count;                 /* live keys */
  size_t used;                  /* live keys and tombstones */
  unsigned long rehashes;       /* table_rehash calls */
  unsigned long stale_misses;   /* misses that found the table stale */
  unsigned long fresh_misses;   /* misses that found it fresh */
} Table;

static Table table;
static mps_root_t table_root;
static mps_addr_t old_keys[SLOTS];   /* rehash scratch (no allocation meanwhile) */
static long old_values[SLOTS];

static size_t hash_addr(mps_addr_t key)
{
  uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15u;
  return (size_t)(h >> (64u - SLOT_BITS));
}

/* Depend on key's address, then hash it (the manual: add first). */
static size_t hash_depend(Table *t, mps_addr_t key)
{
  mps_ld_add(&t->ld, arena, key);
  return hash_addr(key);
}

/* The slot of key by its current address, or SLOTS. */
static size_t table_probe(const Table *t, mps_addr_t key)
{
  size_t i = hash_addr(key);
  for (size_t n = 0; n < SLOTS; ++n, i = (i + 1) & (SLOTS - 1)) {
    if (t->keys[i] == NULL)
      return SLOTS;
    if (t->keys[i] == key)
      return i;
  }
  return SLOTS;
}

/* Put every live key back by its current address, under a fresh
 * dependency; return the slot of `want` (or SLOTS): the manual's advice
 * not to repeat the address-based lookup after a rehash. */
static size_t table_rehash(Table *t, mps_addr_t want)
{
  size_t found = SLOTS, n = 0;
  for (size_t i = 0; i < SLOTS; ++i)
    if (t->keys[i] != NULL && t->keys[i] != TOMBSTONE) {
      old_keys[n] = t->keys[i];
      old_values[n] = t->values[i];
      ++n;
    }
  ck_assert_uint_eq(n, t->count);
  memset(t->keys, 0, sizeof t->keys);
  mps_ld_reset(&t->ld, arena);
  for (size_t k = 0; k < n; ++k) {
    size_t i = hash_depend(t, old_keys[k]);
    while (t->keys[i] != NULL)
      i = (i + 1) & (SLOTS - 1);
    t->keys[i] = old_keys[k];
    t->values[i] = old_values[k];
    if (old_keys[k] == want)
      found = i;
  }
  t->used = n;
  ++t->rehashes;
  /* Nothing can have moved since the reset: the manual promises fresh. */
  ck_assert(!mps_ld_isstale_any(&t->ld, arena));
  return found;
}

/* The slot of key, or SLOTS; rehashes if a miss may be due to a move. */
static size_t table_find(Table *t, mps_addr_t key)
{
  size_t i = table_probe(t, key);
  if (i != SLOTS)
    return i;
  if (!mps_ld_isstale(&t->ld, arena, key)) {
    ++t->fresh_misses;
    return SLOTS;
  }
  ++t->stale_misses;
  return table_rehash(t, key);
}

static void table_put(Table *t, mps_addr_t key, long value)
{
  size_t i = table_find(t, key);    /* the manual: check before adding */
  if (i != SLOTS) {
    t->values[i] = value;
    return;
  }
  ck_assert_uint_lt(t->used + 1, SLOTS / 2 + SLOTS / 4);
  i = hash_depend(t, key);
  while (t->keys[i] != NULL && t->keys[i] != TOMBSTONE)
    i = (i + 1) & (SLOTS - 1);
  if (t->keys[i] == NULL)
    ++t->used;
  t->keys[i] = key;
  t->values[i] = value;
  ++t->count;
}

static bool table_delete(Table *t, mps_addr_t key)
{
  size_t i = table_find(t, key);
  if (i == SLOTS)
    return false;
  t->keys[i] = TOMBSTONE;
  --t->count;
  return true;
}

/* ---- The test's own record ----
 * made[] (an exact root) holds every key object the test made, so the
 * test always knows each object's current address; made_addr[] the
 * address it had at the last look, as a number (not a reference). */
static mps_addr_t made[KEYS];
static mps_root_t made_root;
static uintptr_t made_addr[KEYS];
static bool in_table[KEYS];
static size_t made_count;

static long value_of(size_t k) { return (long)k * 7 + 3; }

static void make_key(void)
{
  mps_addr_t obj;
  mps_word_t fixed[1];
  ck_assert_uint_lt(made_count, KEYS);
  fixed[0] = dylan_int((long)made_count);
  ck_assert_int_eq(dylan_make(&obj, ap, 0, key_wrapper, fixed, 0, NULL), MPS_RES_OK);
  made[made_count] = obj;               /* rooted before the next allocation */
  made_addr[made_count] = (uintptr_t)obj;
  ++made_count;
}

/* Garbage, to fill generation 0 and bring automatic collections. */
static void make_junk(size_t n)
{
  for (size_t j = 0; j < n; ++j) {
    mps_addr_t obj;
    ck_assert_int_eq(dylan_make(&obj, ap, 0, junk_wrapper, NULL,
                                (size_t)rng_below(&rng, 24), NULL), MPS_RES_OK);
  }
}

/* How many keys moved since the last look; updates the record. */
static size_t keys_moved(void)
{
  size_t moved = 0;
  for (size_t k = 0; k < made_count; ++k) {
    ck_assert(dylan_check(made[k], 0));
    ck_assert_int_eq(dylan_int_value(*dylan_slot(made[k], 0)), (long)k);
    if ((uintptr_t)made[k] != made_addr[k]) {
      ++moved;
      made_addr[k] = (uintptr_t)made[k];
    }
  }
  return moved;
}

/* Every key is found with its value, or absent if deleted. */
static void verify_table(void)
{
  size_t live = 0;
  for (size_t k = 0; k < made_count; ++k) {
    size_t i = table_find(&table, made[k]);
    if (in_table[k]) {
      ck_assert_msg(i != SLOTS, "key %zu lost", k);
      ck_assert_int_eq(table.values[i], value_of(k));
      ++live;
    } else {
      ck_assert_msg(i == SLOTS, "deleted key %zu found", k);
    }
  }
  ck_assert_uint_eq(live, table.count);
}

static void setup(void)
{
  mps_gen_param_s gens[2] = {{256, 0.8}, {1024, 0.5}};
  mps_res_t res;

  rng_init(&rng, rng_seed_from_env("gc/ld_test"));
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)64 << 20);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(dylan_fmt_create(&fmt, arena, 0), MPS_RES_OK);
  ck_assert_int_eq(mps_chain_create(&chain, arena, 2, gens), MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    res = mps_pool_create_k(&pool, arena, mps_class_amc(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  key_wrapper = dylan_static_wrapper(&key_wrapper_s, CLASS_KEY, 1, DYLAN_VAR_NONE);
  junk_wrapper = dylan_static_wrapper(&junk_wrapper_s, CLASS_JUNK, 0, DYLAN_VAR_WORDS);

  memset(&table, 0, sizeof table);
  mps_ld_reset(&table.ld, arena);
  ck_assert_int_eq(mps_root_create_table(&table_root, arena, mps_rank_exact(), 0,
                                         table.keys, SLOTS), MPS_RES_OK);
  memset(made, 0, sizeof made);
  made_count = 0;
  ck_assert_int_eq(mps_root_create_table(&made_root, arena, mps_rank_exact(), 0,
                                         made, KEYS), MPS_RES_OK);
}

static void teardown(void)
{
  mps_arena_park(arena);
  mps_root_destroy(made_root);
  mps_root_destroy(table_root);
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  mps_fmt_destroy(fmt);
  mps_arena_destroy(arena);
}

/* Insert keys while allocating (automatic collections move them), then
 * collect again and again, deleting and re-inserting between, and check
 * every key after every step. */
START_TEST(table_survives_collections)
{
  mps_word_t collections;
  size_t moved_total = 0;

  /* the first keys in a ramp (collections may wait), the rest not */
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ap, mps_alloc_pattern_ramp()), MPS_RES_OK);
  for (size_t k = 0; k < KEYS / 2; ++k) {
    if (k == KEYS / 8) {
      ck_assert_int_eq(mps_ap_alloc_pattern_end(ap, mps_alloc_pattern_ramp()), MPS_RES_OK);
      ck_assert_int_eq(mps_ap_alloc_pattern_end(ap, mps_alloc_pattern_ramp()), MPS_RES_FAIL);
    }
    make_key();
    table_put(&table, made[k], value_of(k));
    in_table[k] = true;
    make_junk(40);
    if (k % 97 == 0) {
      moved_total += keys_moved();
      verify_table();
    }
  }
  moved_total += keys_moved();
  verify_table();

  for (unsigned round = 0; round < 24; ++round) {
    size_t moved;
    mps_ld_s probe;

    /* A dependency on every key: stale after the collection exactly
     * when some key moved (design.ld.nofalsefresh). */
    mps_ld_reset(&probe, arena);
    for (size_t k = 0; k < made_count; ++k)
      mps_ld_add(&probe, arena, made[k]);
    ck_assert(!mps_ld_isstale_any(&probe, arena));
    ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
    mps_arena_release(arena);
    moved = keys_moved();
    moved_total += moved;
    if (moved > 0) {
      ck_assert(mps_ld_isstale_any(&probe, arena));
      if (table.count > 0)
        ck_assert(mps_ld_isstale_any(&table.ld, arena));
    }
    verify_table();

    /* delete a tenth of the keys, put some back, add new ones */
    for (size_t k = round % 10; k < made_count; k += 10)
      if (in_table[k]) {
        ck_assert(table_delete(&table, made[k]));
        in_table[k] = false;
      }
    make_junk(200);
    for (size_t k = (round + 5) % 10; k < made_count; k += 10)
      if (!in_table[k]) {
        table_put(&table, made[k], value_of(k));
        in_table[k] = true;
      }
    for (unsigned j = 0; j < 30 && made_count < KEYS; ++j) {
      size_t k = made_count;
      make_key();
      table_put(&table, made[k], value_of(k));
      in_table[k] = true;
      make_junk(10);
    }
    moved_total += keys_moved();
    verify_table();
  }

  collections = mps_collections(arena);
  fprintf(stderr, "ld_test: %lu collections, %zu key moves, %lu rehashes, "
          "%lu stale and %lu fresh misses\n", (unsigned long)collections, moved_total,
          table.rehashes, table.stale_misses, table.fresh_misses);
  /* AMC moved keys, and the table had to rehash */
  ck_assert_uint_gt(moved_total, 0);
  ck_assert_uint_gt(table.rehashes, 0);
  /* few false stale: a rehash resets the dependency, which then stays
   * fresh until a collection moves something */
  ck_assert_uint_le(table.rehashes, collections);
}
END_TEST

/* A collection that condemns nothing moves nothing: dependencies stay
 * fresh (no epoch passes).  One that moves keys makes a dependency on
 * them stale, and a dependency merged with it too. */
START_TEST(stale_only_when_something_moves)
{
  static mps_word_t outside[64];
  mps_ld_s ld, keys_ld;

  mps_ld_reset(&ld, arena);
  mps_ld_add(&ld, arena, &outside[0]);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);   /* empty pool */
  ck_assert(!mps_ld_isstale(&ld, arena, &outside[0]));
  ck_assert(!mps_ld_isstale_any(&ld, arena));
  mps_arena_release(arena);

  for (size_t k = 0; k < 200; ++k) {
    make_key();
    make_junk(5);
  }
  (void)keys_moved();
  mps_ld_reset(&keys_ld, arena);
  for (size_t k = 0; k < made_count; ++k)
    mps_ld_add(&keys_ld, arena, made[k]);
  ck_assert(!mps_ld_isstale_any(&keys_ld, arena));
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_gt(keys_moved(), 0);
  ck_assert(mps_ld_isstale_any(&keys_ld, arena));
  mps_ld_merge(&ld, arena, &keys_ld);
  ck_assert(mps_ld_isstale_any(&ld, arena));
  mps_arena_release(arena);
}
END_TEST

int main(void)
{
  Suite *s;
  TCase *tc;
  SRunner *sr;
  int failed;

  s = suite_create("gc/ld");
  tc = tcase_create("table");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, table_survives_collections);
  tcase_add_test(tc, stale_only_when_something_moves);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
