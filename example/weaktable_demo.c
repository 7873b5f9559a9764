/* weaktable_demo.c -- the weak hash tables of weaktable.h at work: a
 * weak-key table of properties, a weak-value cache and a doubly weak
 * table, over objects in an AMC pool that move as they are collected.
 *
 * Build:  cc -Icode example/weaktable_demo.c build/cool/libmps.a -lsigsegv -pthread
 */
#define WEAKTABLE_IMPLEMENTATION
#include "weaktable.h"

#include "mps.h"
#include "mpsavm.h"
#include "mpscamc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "weaktable_demo: %s failed (result code %d)\n", what, (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "weaktable_demo: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}


/* ---- The objects ----
 * Every object starts with a header word: its size in bytes (a multiple
 * of 8) with its type in the three low bits.  An ordinary object holds a
 * number and no references; padding and forwarding objects are what AMC
 * needs to move objects. */
enum { TYPE_OBJ = 1, TYPE_PAD = 2, TYPE_FWD = 3 };
#define TYPE_MASK ((mps_word_t)7)
#define ALIGNMENT ((size_t)8)

typedef struct obj_s {
  mps_word_t header;
  mps_word_t id;
} obj_s;

typedef struct fwd_s {
  mps_word_t header;
  mps_addr_t to;
} fwd_s;

static mps_word_t type_of(mps_addr_t addr) { return *(mps_word_t *)addr & TYPE_MASK; }
static size_t size_of(mps_addr_t addr) { return *(mps_word_t *)addr & ~TYPE_MASK; }

static mps_addr_t obj_skip(mps_addr_t addr)
{
  return (char *)addr + size_of(addr);
}

static void obj_pad(mps_addr_t addr, size_t size)
{
  *(mps_word_t *)addr = size | TYPE_PAD;
}

static void obj_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  fwd_s *fwd = old;
  fwd->header = size_of(old) | TYPE_FWD;
  fwd->to = new_addr;
}

static mps_addr_t obj_isfwd(mps_addr_t addr)
{
  return type_of(addr) == TYPE_FWD ? ((fwd_s *)addr)->to : NULL;
}

/* No object holds a reference, so the scan only steps over them. */
static mps_res_t obj_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  (void)ss;
  while (base < limit)
    base = obj_skip(base);
  return MPS_RES_OK;
}


/* ---- The heap ----
 * The demo does not register its thread: every reference it keeps
 * across an allocation is in roots[], an exact root, so that no stale
 * word on the stack keeps alive an object it has let go of, and the
 * counts it checks are exact.  A real program registers its threads
 * and their stacks; the tables work the same. */
#define ROOTS 1200

static mps_arena_t arena;
static mps_fmt_t fmt;
static mps_chain_t chain;
static mps_pool_t pool;
static mps_ap_t ap;
static mps_root_t roots_root;
static mps_addr_t roots[ROOTS];
static WtRuntime *rt;

static obj_s *make_obj(mps_word_t id, size_t size)
{
  mps_addr_t p;
  obj_s *obj;

  do {
    mps_res_t res = mps_reserve(&p, ap, size);
    if (res != MPS_RES_OK)
      die("allocating an object", res);
    obj = p;
    obj->header = size | TYPE_OBJ;
    obj->id = id;
  } while (!mps_commit(ap, p, size));
  return obj;
}

/* Garbage, so that collections start by themselves. */
static void churn(size_t n)
{
  for (size_t i = 0; i < n; ++i)
    (void)make_obj(0, ALIGNMENT * (2 + i % 16));
}

static mps_word_t id_of(mps_addr_t obj) { return ((obj_s *)obj)->id; }

static void collect(void)
{
  mps_res_t res = mps_arena_collect(arena);
  if (res != MPS_RES_OK)
    die("collecting", res);
  mps_arena_release(arena);
}

/* Done with a table: destroy it and let go of every object. */
static void finish(WtTable *t)
{
  wt_destroy(t);
  for (size_t i = 0; i < ROOTS; ++i)
    roots[i] = NULL;
}

static void put(WtTable *t, mps_addr_t key, mps_addr_t value)
{
  mps_res_t res = wt_put(t, key, value);
  if (res != MPS_RES_OK)
    die("wt_put", res);
}

static WtTable *create_table(WtKind kind)
{
  WtTable *t;
  mps_res_t res = wt_create(&t, rt, kind, 0);
  if (res != MPS_RES_OK)
    die("wt_create", res);
  return t;
}

/* Whether key has an entry whose value is `want`. */
static int maps_to(WtTable *t, mps_addr_t key, mps_addr_t want)
{
  mps_addr_t value;
  return wt_get(&value, t, key) && value == want;
}


/* ---- A weak-key table: properties of objects ----
 * 200 objects each get a colour (a tagged integer).  The program keeps
 * one object in four; after a collection only their colours are left. */
#define NPROPS 200

static long colour_of(size_t i) { return (long)(i * 7 % 5); }

static bool check_colour(mps_addr_t key, mps_addr_t value, void *closure)
{
  size_t i = id_of(key);
  expect(i % 4 == 0, "iteration sees only the kept objects");
  expect(wt_is_int(value) && wt_int_value(value) == colour_of(i),
         "iteration sees each kept object's colour");
  ++*(size_t *)closure;
  return true;
}

static void weak_keys(void)
{
  WtTable *t = create_table(WT_WEAK_KEYS);
  size_t seen = 0;

  for (size_t i = 0; i < NPROPS; ++i) {
    roots[i] = make_obj(i, sizeof(obj_s));
    put(t, roots[i], wt_int(colour_of(i)));
    churn(20);
  }
  expect(wt_count(t) == NPROPS, "every property is there");
  for (size_t i = 0; i < NPROPS; ++i)
    if (i % 4 != 0)
      roots[i] = NULL;
  collect();
  expect(wt_count(t) == NPROPS / 4, "the properties of dead objects are gone");
  for (size_t i = 0; i < NPROPS; i += 4)
    expect(maps_to(t, roots[i], wt_int(colour_of(i))), "a kept object has its colour");
  expect(wt_iterate(t, check_colour, &seen) == NPROPS / 4 && seen == NPROPS / 4,
         "iteration sees every kept object once");
  printf("weak keys:   %d properties, %d objects kept, %zu entries after a collection\n",
         NPROPS, NPROPS / 4, wt_count(t));
  finish(t);
}


/* ---- A weak-value table: a cache ----
 * Names (kept) map to results (objects).  The program keeps every other
 * result; the cache forgets the rest when they die, but a result that is
 * an integer is never forgotten. */
#define NCACHE 100

static void weak_values(void)
{
  WtTable *t = create_table(WT_WEAK_VALUES);
  mps_addr_t *names = &roots[0], *results = &roots[NCACHE];
  size_t kept = 0;

  for (size_t i = 0; i < NCACHE; ++i) {
    names[i] = make_obj(i, sizeof(obj_s));
    results[i] = make_obj(1000 + i, 4 * ALIGNMENT);
    put(t, names[i], i % 10 == 9 ? wt_int((long)i) : results[i]);
  }
  for (size_t i = 1; i < NCACHE; i += 2)
    results[i] = NULL;
  collect();
  for (size_t i = 0; i < NCACHE; ++i) {
    mps_addr_t value;
    bool found = wt_get(&value, t, names[i]);
    if (i % 10 == 9) {
      expect(found && value == wt_int((long)i), "an integer result stays");
    } else if (i % 2 == 0) {
      expect(found && value == results[i], "a kept result stays");
      expect(id_of(value) == 1000 + i, "a kept result is intact");
    } else {
      expect(!found, "a dead result is forgotten");
    }
    kept += found;
  }
  expect(kept == wt_count(t), "the count agrees");
  printf("weak values: %d results cached, %zu left after a collection\n", NCACHE, kept);
  finish(t);
}


/* ---- A doubly weak table ----
 * An entry lasts only while both its key and its value live: here keys
 * with odd numbers die, and so do values whose number leaves 1 when
 * divided by 3. */
#define NBOTH 120

static void doubly_weak(void)
{
  WtTable *t = create_table(WT_WEAK_BOTH);
  mps_addr_t *keys = &roots[0], *values = &roots[NBOTH];
  size_t want = 0;

  for (size_t i = 0; i < NBOTH; ++i) {
    keys[i] = make_obj(i, sizeof(obj_s));
    values[i] = make_obj(2000 + i, sizeof(obj_s));
    put(t, keys[i], values[i]);
  }
  for (size_t i = 0; i < NBOTH; ++i) {
    if (i % 2 == 1)
      keys[i] = NULL;
    if (i % 3 == 1)
      values[i] = NULL;
  }
  collect();
  for (size_t i = 0; i < NBOTH; i += 2) {
    mps_addr_t value;
    bool found = wt_get(&value, t, keys[i]);
    expect(found == (values[i] != NULL), "an entry lives while both halves do");
    if (found)
      expect(value == values[i] && id_of(value) == 2000 + i, "with its own value");
    want += found;
  }
  expect(wt_count(t) == want, "no entry with a dead key is left");
  printf("doubly weak: %d entries, %zu left after a collection\n", NBOTH, want);
  finish(t);
}


/* ---- Keys that move ----
 * A collection copies the keys to new addresses.  Lookups by the new
 * addresses miss at first, find the table's location dependency stale,
 * rehash once and find every key. */
#define NMOVE 1000

static void moving_keys(void)
{
  static uintptr_t before[NMOVE];       /* addresses, as numbers */
  WtTable *t = create_table(WT_WEAK_KEYS);
  WtStats stats;
  size_t moved = 0;
  unsigned long rehashes;

  for (size_t i = 0; i < NMOVE; ++i) {
    roots[i] = make_obj(i, sizeof(obj_s));
    put(t, roots[i], wt_int((long)i));
    churn(8);
  }
  for (size_t i = 0; i < NMOVE; ++i)
    before[i] = (uintptr_t)roots[i];
  wt_stats(&stats, t);
  rehashes = stats.rehashes;
  collect();
  for (size_t i = 0; i < NMOVE; ++i) {
    moved += (uintptr_t)roots[i] != before[i];
    expect(maps_to(t, roots[i], wt_int((long)i)), "a moved key is found");
  }
  wt_stats(&stats, t);
  expect(moved > 0, "the collection moved keys");
  expect(stats.rehashes == rehashes + 1, "one rehash finds them all");
  expect(stats.count == NMOVE, "no entry lost");
  printf("moving keys: %zu of %d keys moved, found again after %lu rehash\n",
         moved, NMOVE, stats.rehashes - rehashes);
  finish(t);
}


static void make_heap(void)
{
  mps_gen_param_s gens[] = { { 256, 0.8 }, { 1024, 0.5 } };
  mps_res_t res;

  res = mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none);
  if (res != MPS_RES_OK)
    die("creating the arena", res);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, ALIGNMENT);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, obj_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, obj_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, obj_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, obj_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, obj_pad);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("creating the format", res);
  res = mps_chain_create(&chain, arena, 2, gens);
  if (res != MPS_RES_OK)
    die("creating the chain", res);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    res = mps_pool_create_k(&pool, arena, mps_class_amc(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("creating the AMC pool", res);
  res = mps_ap_create_k(&ap, pool, mps_args_none);
  if (res != MPS_RES_OK)
    die("creating the allocation point", res);
  res = mps_root_create_table(&roots_root, arena, mps_rank_exact(), 0, roots, ROOTS);
  if (res != MPS_RES_OK)
    die("creating the root", res);
  res = wt_runtime_create(&rt, arena, chain);
  if (res != MPS_RES_OK)
    die("creating the weak table runtime", res);
}

static void destroy_heap(void)
{
  mps_arena_park(arena);
  wt_runtime_destroy(rt);
  mps_root_destroy(roots_root);
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  mps_fmt_destroy(fmt);
  mps_arena_destroy(arena);
}

int main(void)
{
  make_heap();
  weak_keys();
  weak_values();
  doubly_weak();
  moving_keys();
  expect(mps_collections(arena) > 4, "allocation started collections too");
  destroy_heap();
  printf("weaktable_demo: all checks passed\n");
  return EXIT_SUCCESS;
}
