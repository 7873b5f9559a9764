/* weaktable.h -- weak-key, weak-value and doubly weak hash tables on the
 * AWL pool class, keyed by the addresses of objects that may move.
 * Guide: manual/guide/weak.rst.  Demo: example/weaktable_demo.c.
 *
 * A header-only library.  Include it wherever the interface is needed,
 * and in exactly one C file of the program define WEAKTABLE_IMPLEMENTATION
 * before including it, to compile the code as well:
 *
 *   #define WEAKTABLE_IMPLEMENTATION
 *   #include "weaktable.h"
 *
 * (It is one header rather than a .c and a .h because every C file in
 * example/ is built as a program of its own.)
 *
 * WHAT IS IN A TABLE
 * Keys and values are words of the program's heap, told apart by their
 * low bit, as the arrays' scan method must be able to do:
 *   - a reference: not NULL, low bit 0: the address of an object as its
 *     pool's format knows it (its client pointer, not an interior
 *     pointer), usually in a moving pool such as AMC; or an address
 *     outside the arena, which simply never dies or moves;
 *   - a tagged integer: low bit 1, made with wt_int().
 * A key must be a reference: the table hashes its address.  A value may
 * be either; a tagged integer is not a reference, so it never dies and
 * an entry in a weak-value table whose value is an integer lasts until
 * it is deleted.  NULL is neither, and is refused.
 *
 * WEAKNESS
 * WT_WEAK_KEYS    the table does not keep its keys alive: once the
 *                 collector finds a key dead, its entry disappears.  The
 *                 values are kept alive while their entries exist.
 * WT_WEAK_VALUES  the same with keys and values exchanged.
 * WT_WEAK_BOTH    neither is kept alive: the entry disappears when either
 *                 its key or its value dies.
 * An entry disappears in the collection that finds its weak side dead,
 * and not before: until then it is found as usual.  A collection that
 * does not condemn the dead object's generation leaves the entry alone.
 * An entry's strong side is kept until the next collection after its
 * entry disappears.  There are no ephemerons: in a weak-key table a value
 * that refers to its own key keeps that key, and so the entry, alive.
 *
 * COLLECTIONS AND ROOTS
 * wt_create and wt_put (when the table grows) allocate in the arena and
 * so may run a collection, which may move keys and values and make weak
 * entries disappear.  The library keeps what it is
 * working on in the table's own root meanwhile, so a key or value passed
 * to wt_put is safe even if the caller's stack is not a root.  As for
 * any allocation, the caller's own references must be in roots (or on a
 * registered thread's stack) across these calls.  wt_get, wt_delete,
 * wt_count, wt_iterate and wt_stats never allocate in the arena.
 *
 * THREADS
 * A runtime and its tables belong to one thread at a time, and the
 * library expects no collection to start while one of its functions
 * runs, except inside the allocation that function makes: in a program
 * where other threads allocate in the same arena, hold a lock around
 * each wt_ call that those threads also hold while they allocate.  (A
 * rehash moves the entries through memory that is not a root; see the
 * guide, section "Threads".)
 *
 * ERRORS
 * Functions that can fail return an mps_res_t and write their outputs
 * only on success: MPS_RES_PARAM for a key or value the table cannot
 * hold or an unknown kind, MPS_RES_MEMORY (or the arena's result) when
 * memory runs out.  A failed wt_put leaves the table as it was. */
#ifndef WEAKTABLE_H
#define WEAKTABLE_H

#include "mps.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum WtKind {
  WT_WEAK_KEYS,
  WT_WEAK_VALUES,
  WT_WEAK_BOTH
} WtKind;

/* The AWL pool the tables' arrays live in, with its format and its two
 * allocation points (one exact, one weak).  One runtime serves any
 * number of tables in one arena. */
typedef struct WtRuntime WtRuntime;

/* A table: malloc'd, with a root that holds its two arrays. */
typedef struct WtTable WtTable;

/* Tagged integers. */
static inline mps_addr_t wt_int(long n)
{
  return (mps_addr_t)(((mps_word_t)n << 1) | 1u);
}
static inline bool wt_is_int(mps_addr_t word)
{
  return ((mps_word_t)word & 1u) != 0;
}
static inline long wt_int_value(mps_addr_t word)
{
  return (long)(mps_word_t)word >> 1;
}

/* Make a runtime in arena.  Its AWL pool takes chain (generation 0 of
 * it), or the arena's default chain if chain is NULL. */
mps_res_t wt_runtime_create(WtRuntime **rt_o, mps_arena_t arena, mps_chain_t chain);
/* Destroy a runtime whose tables have all been destroyed. */
void wt_runtime_destroy(WtRuntime *rt);

/* Make an empty table of that kind, with room for about `entries`
 * entries before it first grows (0 for a small default). */
mps_res_t wt_create(WtTable **table_o, WtRuntime *rt, WtKind kind, size_t entries);
/* Destroy a table.  Its arrays become garbage; the entries' keys and
 * values are no longer kept alive by it. */
void wt_destroy(WtTable *table);

/* Map key to value, replacing the value of an entry key already has.
 * May allocate (to grow the table). */
mps_res_t wt_put(WtTable *table, mps_addr_t key, mps_addr_t value);

/* If key has an entry, write its value to *value_o and return true;
 * otherwise return false.  Never returns the value of an entry whose key
 * or value the collector has found dead. */
bool wt_get(mps_addr_t *value_o, WtTable *table, mps_addr_t key);

/* Remove key's entry; returns whether there was one. */
bool wt_delete(WtTable *table, mps_addr_t key);

/* The number of entries: those put and neither deleted nor found dead
 * by a collection so far. */
size_t wt_count(WtTable *table);

/* Call visit(key, value, closure) for each entry, in no particular
 * order, until it returns false; returns the number of calls.  visit
 * must not change the table nor allocate in the arena. */
typedef bool WtVisitFn(mps_addr_t key, mps_addr_t value, void *closure);
size_t wt_iterate(WtTable *table, WtVisitFn *visit, void *closure);

/* What the table has done, for tests and tuning. */
typedef struct WtStats {
  size_t count;              /* as wt_count */
  size_t capacity;           /* slots in each array */
  size_t used;               /* slots holding an entry or a deleted mark */
  unsigned long splats;      /* entries removed by the collector */
  unsigned long rehashes;    /* in place, after keys moved */
  unsigned long rebuilds;    /* into new arrays, to grow or shrink */
} WtStats;
void wt_stats(WtStats *stats_o, WtTable *table);

#endif /* WEAKTABLE_H */


#ifdef WEAKTABLE_IMPLEMENTATION
#ifndef WEAKTABLE_IMPLEMENTED
#define WEAKTABLE_IMPLEMENTED

#include "mpscawl.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- The arrays ----
 * A table keeps its keys in one AWL object and its values in another,
 * entry i in slot i of both.  The array on a weak side is allocated on
 * the weak allocation point, the other on the exact one.  Each array's
 * dependent object is its partner: when the scan of one array finds a
 * slot splatted (its object died), it deletes the entry in both.
 *
 *   word 0  header: slots << 2 | role << 1 | 1 (odd: never a reference)
 *   word 1  the partner array (not fixed: AWL does not move objects, and
 *           the table holds both arrays alive together)
 *   word 2  a tagged count of the entries this array's scan deleted
 *   word 3+ the slots
 *
 * A key slot holds 0 (never used), WT_DELETED (an entry was here) or a
 * key.  A value slot holds the entry's value, or 0 if there is no entry.
 * Keys are never integers, so any odd word can mark a deleted key; the
 * scan fixes only the words that are references. */

enum { WT_ROLE_KEYS = 0, WT_ROLE_VALUES = 1 };

#define WT_DELETED ((mps_word_t)1)
#define WT_MIN_CAPACITY ((size_t)8)

typedef struct WtArray {
  mps_word_t header;
  struct WtArray *partner;
  mps_word_t splats;
  mps_word_t slot[];
} WtArray;

static bool wt_is_ref(mps_word_t word)
{
  return word != 0 && (word & 1u) == 0;
}

static size_t wt_array_length(const WtArray *array)
{
  return (size_t)(array->header >> 2);
}

static size_t wt_array_size(size_t length)
{
  return sizeof(WtArray) + length * sizeof(mps_word_t);
}

static mps_word_t wt_array_splats(const WtArray *array)
{
  return array->splats >> 1;
}

static mps_addr_t wt_array_skip(mps_addr_t addr)
{
  return (char *)addr + wt_array_size(wt_array_length(addr));
}

static mps_addr_t wt_array_dependent(mps_addr_t addr)
{
  return ((WtArray *)addr)->partner;
}

/* The format's scan method.  A weak array's slots are fixed at the weak
 * rank, after everything stronger: a reference the fix returns as NULL
 * is to an object that died, and its entry is deleted there and then.
 * The dependent (partner) is writable during the scan; it only ever
 * receives non-references (0 or WT_DELETED), which is why writing into
 * it is safe however far the collector has got with it. */
static mps_res_t wt_array_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  MPS_SCAN_BEGIN(ss) {
    while (base < limit) {
      WtArray *array = base;
      WtArray *partner = array->partner;
      bool keys = ((array->header >> 1) & 1u) == WT_ROLE_KEYS;
      size_t length = wt_array_length(array);

      for (size_t i = 0; i < length; ++i) {
        mps_addr_t ref = (mps_addr_t)array->slot[i];
        mps_res_t res;

        if (!wt_is_ref(array->slot[i]) || !MPS_FIX1(ss, ref))
          continue;
        res = MPS_FIX2(ss, &ref);
        if (res != MPS_RES_OK)
          return res;
        if (ref != NULL) {
          array->slot[i] = (mps_word_t)ref;
          continue;
        }
        /* Splatted: delete entry i from both arrays. */
        array->slot[i] = keys ? WT_DELETED : 0;
        if (partner != NULL)
          partner->slot[i] = keys ? 0 : WT_DELETED;
        array->splats += 2;                /* tagged: one more */
      }
      base = wt_array_skip(base);
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}

/* An array of `length` empty slots, on ap.  Results as mps_reserve. */
static mps_res_t wt_array_make(WtArray **array_o, mps_ap_t ap, unsigned role, size_t length)
{
  size_t size = wt_array_size(length);
  mps_addr_t p;
  WtArray *array;

  do {
    mps_res_t res = mps_reserve(&p, ap, size);
    if (res != MPS_RES_OK)
      return res;
    array = p;
    array->header = (mps_word_t)length << 2 | (mps_word_t)role << 1 | 1u;
    array->partner = NULL;
    array->splats = 1;                     /* tagged 0 */
    memset(array->slot, 0, length * sizeof(mps_word_t));
  } while (!mps_commit(ap, p, size));
  *array_o = array;
  return MPS_RES_OK;
}

/* Empty an array that the table is dropping, so that it keeps nothing
 * alive while it waits to be collected (its generation may not be
 * condemned for a while, and until then its slots are still scanned). */
static void wt_array_clear(WtArray *array)
{
  memset(array->slot, 0, wt_array_length(array) * sizeof(mps_word_t));
  array->partner = NULL;
}


/* ---- The runtime ---- */

enum { WT_EXACT, WT_WEAK, WT_NAPS };

struct WtRuntime {
  mps_arena_t arena;
  mps_fmt_t fmt;              /* of the arrays: scan and skip */
  mps_pool_t pool;            /* AWL, find-dependent: the partner */
  mps_ap_t ap[WT_NAPS];       /* of ranks exact and weak */
  size_t tables;              /* tables not yet destroyed */
};

mps_res_t wt_runtime_create(WtRuntime **rt_o, mps_arena_t arena, mps_chain_t chain)
{
  WtRuntime *rt = malloc(sizeof *rt);
  size_t naps;
  mps_res_t res;

  if (rt == NULL)
    return MPS_RES_MEMORY;
  rt->arena = arena;
  rt->tables = 0;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, sizeof(mps_word_t));
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, wt_array_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, wt_array_skip);
    res = mps_fmt_create_k(&rt->fmt, arena, args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    goto fail_fmt;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, rt->fmt);
    MPS_ARGS_ADD(args, MPS_KEY_AWL_FIND_DEPENDENT, wt_array_dependent);
    if (chain != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    res = mps_pool_create_k(&rt->pool, arena, mps_class_awl(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    goto fail_pool;
  for (naps = 0; naps < WT_NAPS; ++naps) {
    MPS_ARGS_BEGIN(args) {
      MPS_ARGS_ADD(args, MPS_KEY_RANK, naps == WT_WEAK ? mps_rank_weak() : mps_rank_exact());
      res = mps_ap_create_k(&rt->ap[naps], rt->pool, args);
    } MPS_ARGS_END(args);
    if (res != MPS_RES_OK)
      goto fail_ap;
  }
  *rt_o = rt;
  return MPS_RES_OK;

fail_ap:
  while (naps > 0)
    mps_ap_destroy(rt->ap[--naps]);
  mps_pool_destroy(rt->pool);
fail_pool:
  mps_fmt_destroy(rt->fmt);
fail_fmt:
  free(rt);
  return res;
}

void wt_runtime_destroy(WtRuntime *rt)
{
  assert(rt->tables == 0);
  mps_ap_destroy(rt->ap[WT_WEAK]);
  mps_ap_destroy(rt->ap[WT_EXACT]);
  mps_pool_destroy(rt->pool);
  mps_fmt_destroy(rt->fmt);
  free(rt);
}


/* ---- Tables ----
 * refs[] is an exact root: the two arrays, the two arrays being built
 * while the table grows, and the key and value of a wt_put parked there
 * while it allocates.  Entries count: count live entries as the table
 * last knew, used the slots whose key is not 0.  The collector deletes
 * entries behind the table's back and counts them in the arrays;
 * wt_sync takes those counts into `count`.
 *
 * Hashing by address: ld depends on the address of every key placed
 * since the last rehash.  A lookup that misses while ld is stale may be
 * missing a key that moved, so it rehashes and looks again; one that
 * misses while ld is fresh is right. */

enum { WT_KEYS, WT_VALUES, WT_NEW_KEYS, WT_NEW_VALUES, WT_PARKED_KEY, WT_PARKED_VALUE,
       WT_NREFS };

struct WtTable {
  WtRuntime *rt;
  WtKind kind;
  mps_addr_t refs[WT_NREFS];  /* an exact root: see above */
  mps_root_t root;
  mps_ld_s ld;                /* the addresses the slots were chosen by */
  size_t capacity;            /* slots in each array: a power of two */
  unsigned bits;              /* log2(capacity) */
  size_t count;               /* live entries */
  size_t used;                /* key slots not 0 */
  mps_word_t splats_seen;     /* the arrays' splat counts at the last sync */
  unsigned long splats, rehashes, rebuilds;
};

static WtArray *wt_keys(const WtTable *t) { return t->refs[WT_KEYS]; }
static WtArray *wt_values(const WtTable *t) { return t->refs[WT_VALUES]; }

/* Multiplicative hashing: the top `bits` bits of the address times a
 * large odd constant. */
static size_t wt_hash(const WtTable *t, mps_addr_t key)
{
  uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> (64 - t->bits));
}

/* Take the entries the collector deleted since the last call into the
 * count. */
static void wt_sync(WtTable *t)
{
  mps_word_t total = wt_array_splats(wt_keys(t)) + wt_array_splats(wt_values(t));
  mps_word_t fresh = total - t->splats_seen;

  assert(fresh <= t->count);
  t->count -= (size_t)fresh;
  t->splats += (unsigned long)fresh;
  t->splats_seen = total;
}

/* The slot of key found by its address now, or t->capacity. */
static size_t wt_probe(const WtTable *t, mps_addr_t key)
{
  const WtArray *keys = wt_keys(t);
  size_t mask = t->capacity - 1;
  size_t i = wt_hash(t, key);

  for (size_t n = 0; n < t->capacity; ++n, i = (i + 1) & mask) {
    if (keys->slot[i] == 0)
      break;
    if (keys->slot[i] == (mps_word_t)key)
      return i;
  }
  return t->capacity;
}

/* The slot of key found by looking at every slot, or t->capacity: for
 * when there is no memory to rehash. */
static size_t wt_search(const WtTable *t, mps_addr_t key)
{
  for (size_t i = 0; i < t->capacity; ++i)
    if (wt_keys(t)->slot[i] == (mps_word_t)key)
      return i;
  return t->capacity;
}

/* Put an entry whose key is not in the table into the first free slot
 * from its home, depending on the key's address first (so that a
 * collection between the two leaves ld stale, never wrongly fresh). */
static void wt_place(WtTable *t, mps_addr_t key, mps_addr_t value)
{
  WtArray *keys = wt_keys(t);
  size_t mask = t->capacity - 1;
  size_t i;

  mps_ld_add(&t->ld, t->rt->arena, key);
  i = wt_hash(t, key);
  while (keys->slot[i] != 0 && keys->slot[i] != WT_DELETED)
    i = (i + 1) & mask;
  if (keys->slot[i] == 0)
    ++t->used;
  keys->slot[i] = (mps_word_t)key;
  wt_values(t)->slot[i] = (mps_word_t)value;
  ++t->count;
}

/* Place every entry again by its key's address now, in the same arrays,
 * under a new dependency; deleted marks go.  Returns false, changing
 * nothing, if there is no memory for the scratch copy. */
static bool wt_rehash(WtTable *t)
{
  WtArray *keys = wt_keys(t), *values = wt_values(t);
  mps_word_t *scratch;
  size_t n = 0;

  wt_sync(t);
  scratch = malloc(2 * (t->count + 1) * sizeof *scratch);
  if (scratch == NULL)
    return false;
  /* count is the number of keys in the slots (entries deleted by the
   * collector have WT_DELETED there and were counted by wt_sync) */
  for (size_t i = 0; i < t->capacity; ++i)
    if (wt_is_ref(keys->slot[i])) {
      assert(n < t->count);
      scratch[2 * n] = keys->slot[i];
      scratch[2 * n + 1] = values->slot[i];
      ++n;
    }
  assert(n == t->count);
  memset(keys->slot, 0, t->capacity * sizeof(mps_word_t));
  memset(values->slot, 0, t->capacity * sizeof(mps_word_t));
  t->count = t->used = 0;
  mps_ld_reset(&t->ld, t->rt->arena);
  for (size_t j = 0; j < n; ++j)
    wt_place(t, (mps_addr_t)scratch[2 * j], (mps_addr_t)scratch[2 * j + 1]);
  free(scratch);
  ++t->rehashes;
  return true;
}

/* The slot of key, or t->capacity.  A miss is believed only if no key
 * can have moved since the slots were chosen. */
static size_t wt_find(WtTable *t, mps_addr_t key)
{
  size_t i = wt_probe(t, key);

  if (i != t->capacity || !mps_ld_isstale(&t->ld, t->rt->arena, key))
    return i;
  if (wt_rehash(t))
    return wt_probe(t, key);
  return wt_search(t, key);
}

/* A power of two with room for `entries` at half load. */
static size_t wt_capacity_for(size_t entries)
{
  size_t capacity = WT_MIN_CAPACITY;
  while (capacity / 2 < entries)
    capacity *= 2;
  return capacity;
}

/* Move the entries into new arrays of `capacity` slots (the first
 * arrays, if the table has none yet).  The allocations may collect:
 * the new arrays wait in the root, and entries are copied only after
 * both exist, by their keys' addresses then.  On failure nothing
 * changes. */
static mps_res_t wt_rebuild(WtTable *t, size_t capacity)
{
  WtRuntime *rt = t->rt;
  mps_ap_t keys_ap = rt->ap[t->kind == WT_WEAK_VALUES ? WT_EXACT : WT_WEAK];
  mps_ap_t values_ap = rt->ap[t->kind == WT_WEAK_KEYS ? WT_EXACT : WT_WEAK];
  WtArray *keys, *values, *old_keys, *old_values;
  size_t old_capacity = t->capacity;
  mps_res_t res;

  res = wt_array_make(&keys, keys_ap, WT_ROLE_KEYS, capacity);
  if (res != MPS_RES_OK)
    return res;
  t->refs[WT_NEW_KEYS] = keys;
  res = wt_array_make(&values, values_ap, WT_ROLE_VALUES, capacity);
  if (res != MPS_RES_OK) {
    t->refs[WT_NEW_KEYS] = NULL;
    return res;
  }
  keys->partner = values;
  values->partner = keys;

  old_keys = wt_keys(t);
  old_values = wt_values(t);
  if (old_keys != NULL)
    wt_sync(t);
  t->refs[WT_KEYS] = keys;
  t->refs[WT_VALUES] = values;
  t->refs[WT_NEW_KEYS] = t->refs[WT_NEW_VALUES] = NULL;
  t->capacity = capacity;
  for (t->bits = 0; ((size_t)1 << t->bits) < capacity; ++t->bits)
    ;
  t->count = t->used = 0;
  t->splats_seen = 0;
  mps_ld_reset(&t->ld, rt->arena);
  if (old_keys != NULL) {
    for (size_t i = 0; i < old_capacity; ++i)
      if (wt_is_ref(old_keys->slot[i]))
        wt_place(t, (mps_addr_t)old_keys->slot[i], (mps_addr_t)old_values->slot[i]);
    wt_array_clear(old_keys);
    wt_array_clear(old_values);
  }
  ++t->rebuilds;
  return MPS_RES_OK;
}

mps_res_t wt_create(WtTable **table_o, WtRuntime *rt, WtKind kind, size_t entries)
{
  WtTable *t;
  mps_res_t res;

  if (kind != WT_WEAK_KEYS && kind != WT_WEAK_VALUES && kind != WT_WEAK_BOTH)
    return MPS_RES_PARAM;
  if (entries > SIZE_MAX / 8 / sizeof(mps_word_t))
    return MPS_RES_PARAM;
  t = calloc(1, sizeof *t);
  if (t == NULL)
    return MPS_RES_MEMORY;
  t->rt = rt;
  t->kind = kind;
  res = mps_root_create_table(&t->root, rt->arena, mps_rank_exact(), 0, t->refs, WT_NREFS);
  if (res != MPS_RES_OK)
    goto fail_root;
  res = wt_rebuild(t, wt_capacity_for(entries));
  if (res != MPS_RES_OK)
    goto fail_arrays;
  ++rt->tables;
  *table_o = t;
  return MPS_RES_OK;

fail_arrays:
  mps_root_destroy(t->root);
fail_root:
  free(t);
  return res;
}

void wt_destroy(WtTable *t)
{
  wt_array_clear(wt_keys(t));
  wt_array_clear(wt_values(t));
  mps_root_destroy(t->root);
  --t->rt->tables;
  free(t);
}

mps_res_t wt_put(WtTable *t, mps_addr_t key, mps_addr_t value)
{
  size_t i;

  if (!wt_is_ref((mps_word_t)key) || value == NULL)
    return MPS_RES_PARAM;
  i = wt_find(t, key);
  if (i != t->capacity) {
    wt_values(t)->slot[i] = (mps_word_t)value;
    return MPS_RES_OK;
  }
  /* Grow (or shrink, or only sweep the deleted marks away) at three
   * quarters full, with key and value in the root while it allocates:
   * a collection may move them. */
  if ((t->used + 1) * 4 > t->capacity * 3) {
    mps_res_t res;

    wt_sync(t);
    t->refs[WT_PARKED_KEY] = key;
    t->refs[WT_PARKED_VALUE] = wt_is_int(value) ? NULL : value;
    res = wt_rebuild(t, wt_capacity_for(t->count + 1));
    key = t->refs[WT_PARKED_KEY];
    if (!wt_is_int(value))
      value = t->refs[WT_PARKED_VALUE];
    t->refs[WT_PARKED_KEY] = t->refs[WT_PARKED_VALUE] = NULL;
    if (res != MPS_RES_OK)
      return res;
  }
  wt_place(t, key, value);
  return MPS_RES_OK;
}

bool wt_get(mps_addr_t *value_o, WtTable *t, mps_addr_t key)
{
  size_t i = wt_find(t, key);

  if (i == t->capacity)
    return false;
  *value_o = (mps_addr_t)wt_values(t)->slot[i];
  return true;
}

bool wt_delete(WtTable *t, mps_addr_t key)
{
  size_t i = wt_find(t, key);

  if (i == t->capacity)
    return false;
  wt_keys(t)->slot[i] = WT_DELETED;
  wt_values(t)->slot[i] = 0;
  --t->count;
  return true;
}

size_t wt_count(WtTable *t)
{
  wt_sync(t);
  return t->count;
}

size_t wt_iterate(WtTable *t, WtVisitFn *visit, void *closure)
{
  const WtArray *keys = wt_keys(t), *values = wt_values(t);
  size_t calls = 0;

  for (size_t i = 0; i < t->capacity; ++i)
    if (wt_is_ref(keys->slot[i])) {
      ++calls;
      if (!visit((mps_addr_t)keys->slot[i], (mps_addr_t)values->slot[i], closure))
        break;
    }
  return calls;
}

void wt_stats(WtStats *stats_o, WtTable *t)
{
  wt_sync(t);
  stats_o->count = t->count;
  stats_o->capacity = t->capacity;
  stats_o->used = t->used;
  stats_o->splats = t->splats;
  stats_o->rehashes = t->rehashes;
  stats_o->rebuilds = t->rebuilds;
}

#endif /* WEAKTABLE_IMPLEMENTED */
#endif /* WEAKTABLE_IMPLEMENTATION */
