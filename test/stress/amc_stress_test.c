/* test/stress/amc_stress_test.c -- seeded stress of the moving
 * generational collector, the way a long-running language runtime uses
 * it: a graph of the toy Dylan format in AMC, with leaves (and leaf
 * garbage) in AMCZ, allocated on several allocation points in sizes from
 * one word up to objects many pages long (larger than MPS_KEY_LARGE_SIZE,
 * than the arena grain and than a pool segment), held by an exact table
 * root, by an ambiguous area root (some of its references interior) and
 * by ambiguous references on the registered thread's stack, mutated
 * between thousands of collections: most started by allocation through a
 * small three-generation chain, some by mps_arena_collect and
 * mps_arena_start_collect.
 *
 * single_thread: an independent model of the graph (objects by id, edges
 * by id, no addresses) is kept in malloc'd memory.  After every
 * collection, whoever started it, the whole graph is traversed from the
 * roots and its checksum (shape, ids and contents) compared with the
 * model's; every object must be at one address only, and an object
 * referenced ambiguously must be where the ambiguous reference says
 * (ambiguous references pin).  An address-hashed table whose keys are
 * graph objects depends on their addresses through an mps_ld_s,
 * rehashes when the dependency is stale, and must never lose a key.
 *
 * threads: several registered threads, each with its own allocation
 * points, exact root, stack and subgraph, share immutable objects
 * through a locked table; each checksums its subgraph (the traversal's
 * own queue is an ambiguous root, so what it holds stays put while
 * another thread collects) before and after bursts of allocation that
 * start collections, and one thread also runs mps_arena_collect.
 *
 * LAGOON_SEED replays a run (thread interleavings aside);
 * LAGOON_STRESS_SCALE multiplies the work.
 * Design: manual/design/amc.rst, manual/design/ld.rst,
 * manual/design/gen.rst */
#include "mps.h"
#include "mpscamc.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CLASS_NODE = 1, CLASS_LEAF = 2, CLASS_JUNK = 3, CLASS_BLOB = 4 };
enum { W_WW, W_NODE, W_JUNK, NWRAPPERS };   /* wrappers in AMC: they move */

#define W DYLAN_WORD
#define KiB ((size_t)1 << 10)
#define AMC_LARGE (32 * KiB)       /* MPS_KEY_LARGE_SIZE of the AMC pool */
#define AMCZ_LARGE (16 * KiB)      /* ...and of the AMCZ pool */
#define MAX_LEAF (192 * KiB)       /* bytes of the largest leaf */

#define NROOTS 64                  /* exact table root */
#define NAMB 16                    /* ambiguous area root */
#define NSTACK 8                   /* ambiguous references in a stack frame */
#define INIT_SLOTS 16              /* a node this small starts with values */
#define LIVE_TARGET 3000           /* objects in the graph, about */

/* Check notes the place of every ck_assert that passes (a write to a
 * file each time), far too slow for the traversals: REQUIRE calls it
 * only on failure. */
#define REQUIRE(cond, ...) \
  do { \
    if (!(cond)) \
      ck_abort_msg(__VA_ARGS__); \
  } while (0)

/* Under AddressSanitizer everything is several times slower: a quarter
 * of the work (LAGOON_STRESS_SCALE still multiplies it). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_SHRINK 4ul
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_SHRINK 4ul
#endif
#endif
#ifndef SANITIZER_SHRINK
#define SANITIZER_SHRINK 1ul
#endif

static uint64_t seed;
static size_t grain;               /* the arena grain (the page size) */

/* The checksums fold words in order.  For a given v each step is a
 * bijection of h, so sequences that differ in one word always differ. */
static uint64_t mix(uint64_t h, uint64_t v)
{
  h = (h ^ v) * 0x100000001B3u;      /* FNV-1a's prime */
  return h ^ (h >> 29);
}

static unsigned char leaf_byte(uint64_t id, size_t i)
{
  return (unsigned char)((id * 167 + i * 13 + (i >> 8)) & 0xFF);
}

/* The bytes of a leaf the checksums look at: all of a short one, a
 * sample of a long one (its last byte included). */
static size_t leaf_next(size_t i, size_t len)
{
  if (len <= 512 || i + 1 == len)
    return i + 1;
  return i + 61 < len ? i + 61 : len - 1;
}

/* ---- The heap --------------------------------------------------------- */

typedef struct Heap {
  GcWorld w;                       /* arena, format, roots, thread */
  mps_chain_t chain;
  mps_pool_t amc, amcz;
  mps_addr_t wrappers[NWRAPPERS];  /* exact root */
  DylanStaticWrapper leaf_sw, blob_sw;
  mps_addr_t leaf_wrapper, blob_wrapper;
} Heap;

static Heap heap;

static mps_pool_t make_pool(mps_pool_class_t klass, size_t large_size)
{
  mps_pool_t pool;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, heap.w.fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, heap.chain);
    MPS_ARGS_ADD(args, MPS_KEY_LARGE_SIZE, large_size);
    res = mps_pool_create_k(&pool, heap.w.arena, klass, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return pool;
}

/* The world of both parts: a three-generation chain small enough that
 * allocation starts a collection every few hundred KiB. */
static void heap_open(size_t hdr)
{
  static const GcClass classes[] = {{CLASS_NODE, 2, DYLAN_VAR_WORDS},
                                    {CLASS_JUNK, 0, DYLAN_VAR_WORDS}};
  mps_gen_param_s gens[3] = {{128, 0.85}, {512, 0.5}, {2048, 0.3}};
  GcWorldOptions o = {.arena_size = 256 * MiB, .unparked = true, .header_size = hdr};
  mps_ap_t ap;

  memset(&heap, 0, sizeof heap);
  grain = (size_t)sysconf(_SC_PAGESIZE);
  gc_world_open(&heap.w, &o);
  ck_assert_int_eq(mps_chain_create(&heap.chain, heap.w.arena, 3, gens), MPS_RES_OK);
  heap.amc = make_pool(mps_class_amc(), AMC_LARGE);
  heap.amcz = make_pool(mps_class_amcz(), AMCZ_LARGE);
  /* Every size class below must be exercised for what it is. */
  ck_assert_uint_gt(AMC_LARGE, grain);
  ck_assert_uint_gt(AMCZ_LARGE, grain);

  (void)gc_world_add_table(&heap.w, heap.wrappers, NWRAPPERS);
  ck_assert_int_eq(mps_ap_create_k(&ap, heap.amc, mps_args_none), MPS_RES_OK);
  gc_make_wrappers(heap.wrappers, ap, hdr, classes, 2);
  mps_ap_destroy(ap);
  heap.leaf_wrapper = dylan_static_wrapper(&heap.leaf_sw, CLASS_LEAF, 1, DYLAN_VAR_BYTES);
  heap.blob_wrapper = dylan_static_wrapper(&heap.blob_sw, CLASS_BLOB, 0, DYLAN_VAR_BYTES);
  mps_message_type_enable(heap.w.arena, mps_message_type_gc());
}

/* The pools and chain are ours; the world closes the rest. */
static void heap_close(void)
{
  mps_arena_park(heap.w.arena);
  mps_pool_destroy(heap.amcz);
  mps_pool_destroy(heap.amc);
  mps_chain_destroy(heap.chain);
  gc_world_close(&heap.w);
}

/* Sizes: mostly small, some spanning pages (copied), a few larger than
 * the pool's large size (a segment of their own, never copied), some of
 * those larger than a whole pool segment (64 KiB). */
static size_t node_slots(Rng *rng)
{
  uint64_t r = rng_below(rng, 1000);
  if (r < 750)
    return (size_t)rng_below(rng, 9);
  if (r < 965)
    return (size_t)rng_range(rng, 9, 48);
  if (r < 990)
    return (size_t)rng_range(rng, 49, 2 * grain / W);
  if (r < 997)
    return (size_t)rng_range(rng, 2 * grain / W, AMC_LARGE / W - 8);
  return (size_t)rng_range(rng, AMC_LARGE / W, 3 * AMC_LARGE / W);
}

static size_t leaf_len(Rng *rng)
{
  uint64_t r = rng_below(rng, 1000);
  if (r < 800)
    return (size_t)rng_below(rng, 65);
  if (r < 960)
    return (size_t)rng_range(rng, 65, 2 * grain);
  if (r < 993)
    return (size_t)rng_range(rng, 2 * grain, AMCZ_LARGE - 64);
  return (size_t)rng_range(rng, AMCZ_LARGE, MAX_LEAF);
}

static mps_addr_t new_node(mps_ap_t ap, uint64_t id, long payload, size_t n,
                           const mps_word_t *slots)
{
  mps_addr_t obj;
  mps_word_t fixed[2] = {dylan_int((long)id), dylan_int(payload)};
  mps_res_t res = dylan_make(&obj, ap, heap.w.header_size, heap.wrappers[W_NODE], fixed,
                             n, slots);
  REQUIRE(res == MPS_RES_OK, "node allocation failed: %d", res);
  return obj;
}

static _Thread_local unsigned char leaf_buf[MAX_LEAF];   /* each thread its own */

static mps_addr_t new_leaf(mps_ap_t ap, uint64_t id, size_t len)
{
  mps_addr_t obj;
  mps_word_t fixed[1] = {dylan_int((long)id)};
  mps_res_t res;
  for (size_t i = 0; i < len; ++i)
    leaf_buf[i] = leaf_byte(id, i);
  res = dylan_make(&obj, ap, heap.w.header_size, heap.leaf_wrapper, fixed, len, leaf_buf);
  REQUIRE(res == MPS_RES_OK, "leaf allocation failed: %d", res);
  return obj;
}

/* Garbage, never referenced: word vectors in AMC, byte vectors in
 * AMCZ, now and then a large one. */
static void new_junk(mps_ap_t amc_ap, mps_ap_t amcz_ap, Rng *rng)
{
  mps_addr_t obj;
  mps_res_t res;
  uint64_t r = rng_below(rng, 1000);
  size_t n = r < 950 ? (size_t)rng_below(rng, 48)
           : r < 995 ? (size_t)rng_range(rng, 48, 3 * grain / W)
           : (size_t)rng_range(rng, AMC_LARGE / W, 2 * AMC_LARGE / W);
  if (rng_below(rng, 3) == 0)
    res = dylan_make(&obj, amcz_ap, heap.w.header_size, heap.blob_wrapper, NULL,
                     n * W, NULL);
  else
    res = dylan_make(&obj, amc_ap, heap.w.header_size, heap.wrappers[W_JUNK], NULL,
                     n, NULL);
  REQUIRE(res == MPS_RES_OK, "junk allocation failed: %d", res);
}

/* The id of the object at obj, which must be a well-formed node or leaf. */
static uint64_t obj_id(mps_addr_t obj)
{
  unsigned k;
  REQUIRE(dylan_check(obj, heap.w.header_size), "corrupt object at %p (seed %" PRIu64 ")",
          obj, seed);
  k = dylan_class_id(obj);
  REQUIRE(k == CLASS_NODE || k == CLASS_LEAF, "object of class %u at %p", k, obj);
  return (uint64_t)dylan_int_value(*dylan_slot(obj, 0));
}

/* The size of a node or leaf from its client pointer on (no header). */
static size_t client_size(unsigned kind, size_t n)
{
  if (kind == CLASS_NODE)
    return dylan_block_size(0, 2, DYLAN_VAR_WORDS, n);
  return dylan_block_size(0, 1, DYLAN_VAR_BYTES, n);
}

/* ---- Part 1: one thread and a model --------------------------------- */

/* Model values: 0, a tagged integer (odd), or a reference to object id
 * as (id + 1) << 1 (even, not 0). */
#define MREF(id) (((mps_word_t)(id) + 1) << 1)
#define MREF_ID(v) ((uint64_t)((v) >> 1) - 1)
#define IS_MREF(v) ((v) != 0 && !dylan_is_int(v))

typedef struct MObj {
  unsigned char kind;         /* CLASS_NODE or CLASS_LEAF; 0: dead */
  bool in_table;
  uint32_t mmark, hmark;      /* model and heap traversal epochs */
  size_t n;                   /* a node's slots, a leaf's bytes */
  long payload;               /* a node's */
  mps_word_t *slot;           /* a node's n model values (malloc'd) */
  mps_addr_t addr;            /* client pointer, as of the last check */
  size_t tindex;              /* in model.tids while in_table */
  long tvalue;                /* its value in the table */
} MObj;

typedef struct Model {
  MObj *obj;                  /* by id; id 0 unused */
  size_t count, cap;
  uint64_t *queue;            /* traversal queue, cap entries */
  uint64_t *alive;            /* ids not yet found dead */
  size_t nalive;
  uint64_t fresh;             /* allocated, not yet stored: not swept */
  mps_word_t root[NROOTS];    /* mirror roots[] */
  mps_word_t amb[NAMB];       /* mirror amb_area[], which holds... */
  mps_word_t amb_delta[NAMB]; /* ...the client pointer plus this */
  mps_word_t stack[NSTACK];   /* mirror the stack frame's references */
  uint64_t *tids;             /* the table's keys, in no order */
  size_t tcount;
  uint32_t mepoch, hepoch;
} Model;

static Model model;
static mps_addr_t roots[NROOTS];       /* exact root */
static mps_word_t amb_area[NAMB];      /* ambiguous area root */

static uint64_t model_new(unsigned kind, size_t n, long payload)
{
  uint64_t id;
  MObj *m;
  if (model.count == 0)
    model.count = 1;                   /* id 0 means nothing */
  if (model.count == model.cap) {
    model.cap = model.cap * 2;
    model.obj = realloc(model.obj, model.cap * sizeof *model.obj);
    model.queue = realloc(model.queue, model.cap * sizeof *model.queue);
    model.alive = realloc(model.alive, model.cap * sizeof *model.alive);
    ck_assert(model.obj != NULL && model.queue != NULL && model.alive != NULL);
  }
  id = model.count++;
  m = &model.obj[id];
  memset(m, 0, sizeof *m);
  m->kind = (unsigned char)kind;
  m->n = n;
  m->payload = payload;
  if (kind == CLASS_NODE && n > 0) {
    m->slot = calloc(n, sizeof *m->slot);
    REQUIRE(m->slot != NULL, "out of memory");
  }
  model.alive[model.nalive++] = id;
  model.fresh = id;
  return id;
}

static MObj *mobj(mps_word_t v)
{
  REQUIRE(IS_MREF(v) && MREF_ID(v) < model.count && model.obj[MREF_ID(v)].kind != 0,
          "model value %#lx is no live object", (unsigned long)v);
  return &model.obj[MREF_ID(v)];
}

/* The heap's word for model value v. */
static mps_word_t heap_value(mps_word_t v)
{
  return IS_MREF(v) ? (mps_word_t)mobj(v)->addr : v;
}

/* ---- The address-hashed table (MPS manual, topic/location.rst) ----
 * Entries are in keys[] (an exact root: the collector updates a key when
 * its object moves), values[] and next[]; each bucket chains the
 * entries whose key hashed there, by the address the key had when it
 * was linked.  The dependency says when that address may have changed:
 * then every entry is linked again by its address now.  A free entry
 * has a NULL key and is on the free list (through next[]).  Nothing
 * here allocates, so no collection runs inside an operation. */
#define TKEYS 2048u                   /* entries */
#define TBITS 10u
#define TBUCKETS ((size_t)1 << TBITS)
#define TNONE UINT32_MAX

typedef struct AddrTable {
  mps_ld_s ld;
  mps_addr_t keys[TKEYS];
  long values[TKEYS];
  uint32_t next[TKEYS];
  uint32_t bucket[TBUCKETS];       /* first entry of each chain */
  uint32_t free;                   /* first free entry */
  size_t count;                    /* keys */
  mps_word_t linked_at;            /* mps_collections at the last reset */
  unsigned long rehashes, stale_misses, fresh_misses, hits;
} AddrTable;

static AddrTable table;

static size_t addr_bucket(mps_addr_t key)
{
  return (size_t)(((uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15u) >> (64u - TBITS));
}

/* Chain entry e by its key's address, which the dependency first adds
 * (the manual: add, then hash). */
static void table_link(AddrTable *t, uint32_t e)
{
  size_t b;
  mps_ld_add(&t->ld, heap.w.arena, t->keys[e]);
  b = addr_bucket(t->keys[e]);
  t->next[e] = t->bucket[b];
  t->bucket[b] = e;
}

/* Empty every chain and reset the dependency. */
static void table_unlink_all(AddrTable *t)
{
  for (size_t b = 0; b < TBUCKETS; ++b)
    t->bucket[b] = TNONE;
  mps_ld_reset(&t->ld, heap.w.arena);
  t->linked_at = mps_collections(heap.w.arena);
}

static void table_init(AddrTable *t)
{
  memset(t, 0, sizeof *t);
  for (uint32_t e = 0; e < TKEYS; ++e)
    t->next[e] = e + 1 < TKEYS ? e + 1 : TNONE;
  table_unlink_all(t);
}

static void table_rehash(AddrTable *t)
{
  table_unlink_all(t);
  for (uint32_t e = 0; e < TKEYS; ++e)
    if (t->keys[e] != NULL)
      table_link(t, e);
  ++t->rehashes;
  REQUIRE(!mps_ld_isstale_any(&t->ld, heap.w.arena), "stale right after a reset");
}

/* The entry of key in its chain by its address now, or TNONE; *link_o
 * (if link_o) is the link that leads there. */
static uint32_t table_probe(AddrTable *t, mps_addr_t key, uint32_t **link_o)
{
  uint32_t *link = &t->bucket[addr_bucket(key)];
  while (*link != TNONE && t->keys[*link] != key)
    link = &t->next[*link];
  if (link_o != NULL)
    *link_o = link;
  return *link;
}

/* The entry of key, or TNONE.  A miss on a stale table relinks
 * everything and looks again. */
static uint32_t table_find(AddrTable *t, mps_addr_t key, uint32_t **link_o)
{
  uint32_t e = table_probe(t, key, link_o);
  if (e != TNONE) {
    ++t->hits;
    return e;
  }
  if (!mps_ld_isstale(&t->ld, heap.w.arena, key)) {
    ++t->fresh_misses;
    return TNONE;
  }
  /* design.ld.fewfalsestale: nothing moves but in a collection */
  REQUIRE(mps_collections(heap.w.arena) != t->linked_at,
          "dependency stale with no collection since its reset");
  ++t->stale_misses;
  table_rehash(t);
  return table_probe(t, key, link_o);
}

static void table_put(AddrTable *t, mps_addr_t key, long value)
{
  uint32_t e = table_find(t, key, NULL);
  if (e == TNONE) {
    e = t->free;
    REQUIRE(e != TNONE, "table full");
    t->free = t->next[e];
    t->keys[e] = key;
    table_link(t, e);
    ++t->count;
  }
  t->values[e] = value;
}

static bool table_delete(AddrTable *t, mps_addr_t key)
{
  uint32_t *link;
  uint32_t e = table_find(t, key, &link);
  if (e == TNONE)
    return false;
  *link = t->next[e];
  t->keys[e] = NULL;
  t->next[e] = t->free;
  t->free = e;
  --t->count;
  return true;
}

/* ---- Checksums ----
 * Both traversals go breadth first from the same roots in the same
 * order: the ambiguous area, the stack slots, the exact roots, then the
 * table's keys by increasing id (with their values).  A node adds its
 * kind, payload and slots, a leaf its kind, length and (sampled) bytes;
 * a reference adds the id it refers to. */

static void model_enqueue(uint64_t id, size_t *tail)
{
  MObj *m = &model.obj[id];
  if (m->mmark != model.mepoch) {
    m->mmark = model.mepoch;
    model.queue[(*tail)++] = id;
  }
}

static uint64_t model_visit(uint64_t h, mps_word_t v, size_t *tail)
{
  if (!IS_MREF(v))
    return mix(h, v);
  (void)mobj(v);
  model_enqueue(MREF_ID(v), tail);
  return mix(h, 0x100000000u + MREF_ID(v));
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t checksum_model(bool with_ambig, size_t *nodes_o, size_t *leaves_o)
{
  static uint64_t *sorted;
  static size_t sorted_cap;
  uint64_t h = 1;
  size_t head = 0, tail = 0, nodes = 0, leaves = 0;

  ++model.mepoch;
  for (size_t i = 0; with_ambig && i < NAMB; ++i)
    h = model_visit(h, model.amb[i], &tail);
  for (size_t i = 0; with_ambig && i < NSTACK; ++i)
    h = model_visit(h, model.stack[i], &tail);
  for (size_t i = 0; i < NROOTS; ++i)
    h = model_visit(h, model.root[i], &tail);
  if (sorted_cap < model.tcount + 1) {
    sorted_cap = TKEYS + 1;
    sorted = realloc(sorted, sorted_cap * sizeof *sorted);
    ck_assert_ptr_nonnull(sorted);
  }
  memcpy(sorted, model.tids, model.tcount * sizeof *sorted);
  qsort(sorted, model.tcount, sizeof *sorted, cmp_u64);
  h = mix(h, model.tcount);
  for (size_t k = 0; k < model.tcount; ++k) {
    h = mix(h, (uint64_t)model.obj[sorted[k]].tvalue);
    h = model_visit(h, MREF(sorted[k]), &tail);
  }
  while (head < tail) {
    uint64_t id = model.queue[head++];
    MObj *m = &model.obj[id];
    h = mix(h, m->kind);
    h = mix(h, m->n);
    if (m->kind == CLASS_LEAF) {
      ++leaves;
      for (size_t i = 0; i < m->n; i = leaf_next(i, m->n))
        h = mix(h, leaf_byte(id, i));
      continue;
    }
    ++nodes;
    h = mix(h, (uint64_t)m->payload);
    for (size_t i = 0; i < m->n; ++i)
      h = model_visit(h, m->slot[i], &tail);
  }
  if (nodes_o != NULL)
    *nodes_o = nodes;
  if (leaves_o != NULL)
    *leaves_o = leaves;
  return h;
}

/* The heap side: ids come from the objects themselves; the model only
 * keeps the marks, records where each object was found, and says how
 * far into its object each ambiguous area reference points.  An object
 * is at one address only, whichever references lead to it: so an
 * ambiguously referenced object (which may not move) is where the
 * ambiguous reference says. */
static uint64_t heap_visit(uint64_t h, mps_word_t v, mps_word_t delta, size_t *tail,
                           const char *via)
{
  mps_addr_t obj;
  uint64_t id;
  MObj *m;

  if (v == 0 || dylan_is_int(v))
    return mix(h, v);
  obj = (mps_addr_t)(v - delta);
  REQUIRE(dylan_check(obj, heap.w.header_size)
          && (dylan_class_id(obj) == CLASS_NODE || dylan_class_id(obj) == CLASS_LEAF),
          "%s: no node or leaf at %p (seed %" PRIu64 ")", via, obj, seed);
  id = (uint64_t)dylan_int_value(*dylan_slot(obj, 0));
  REQUIRE(id > 0 && id < model.count && model.obj[id].kind != 0,
          "%s: dead or unknown id %" PRIu64 " at %p (seed %" PRIu64 ")", via, id, obj,
          seed);
  m = &model.obj[id];
  if (m->hmark == model.hepoch) {
    REQUIRE(m->addr == obj, "object %" PRIu64 " at %p and at %p (%s; seed %" PRIu64 ")",
            id, m->addr, obj, via, seed);
  } else {
    m->hmark = model.hepoch;
    m->addr = obj;
    model.queue[(*tail)++] = id;
  }
  return mix(h, 0x100000000u + id);
}

typedef struct TEntry {
  uint64_t id;
  mps_addr_t key;
  long value;
} TEntry;

static int cmp_tentry(const void *a, const void *b)
{
  return cmp_u64(&((const TEntry *)a)->id, &((const TEntry *)b)->id);
}

static uint64_t checksum_heap(const volatile mps_word_t *stack, bool with_ambig)
{
  static TEntry entries[TKEYS];
  uint64_t h = 1;
  size_t head = 0, tail = 0, n = 0;

  ++model.hepoch;
  for (size_t i = 0; with_ambig && i < NAMB; ++i)
    h = heap_visit(h, amb_area[i], model.amb_delta[i], &tail, "ambiguous area");
  for (size_t i = 0; with_ambig && i < NSTACK; ++i)
    h = heap_visit(h, stack[i], 0, &tail, "stack");
  for (size_t i = 0; i < NROOTS; ++i)
    h = heap_visit(h, (mps_word_t)roots[i], 0, &tail, "exact root");
  for (size_t i = 0; i < TKEYS; ++i)
    if (table.keys[i] != NULL) {
      entries[n].id = obj_id(table.keys[i]);
      entries[n].key = table.keys[i];
      entries[n++].value = table.values[i];
    }
  REQUIRE(n == table.count, "table holds %zu keys, not %zu", n, table.count);
  qsort(entries, n, sizeof *entries, cmp_tentry);
  h = mix(h, n);
  for (size_t k = 0; k < n; ++k) {
    h = mix(h, (uint64_t)entries[k].value);
    h = heap_visit(h, (mps_word_t)entries[k].key, 0, &tail, "table key");
  }
  while (head < tail) {
    uint64_t id = model.queue[head++];
    mps_addr_t obj = model.obj[id].addr;
    unsigned kind = dylan_class_id(obj);
    h = mix(h, kind);
    if (kind == CLASS_LEAF) {
      size_t len = dylan_var_len(obj);
      h = mix(h, len);
      for (size_t i = 0; i < len; i = leaf_next(i, len))
        h = mix(h, dylan_bytes(obj)[i]);
      continue;
    }
    h = mix(h, dylan_var_len(obj));
    h = mix(h, (uint64_t)dylan_int_value(*dylan_slot(obj, 1)));
    for (size_t i = 0; i < dylan_var_len(obj); ++i)
      h = heap_visit(h, *dylan_var(obj, i), 0, &tail, "node slot");
  }
  return h;
}

/* ---- The checks after every collection ---- */

typedef struct Stats {
  unsigned long steps, checks, explicit_collections;
  mps_word_t collections_seen;
  size_t gc_messages, young;          /* young: something was not condemned */
  size_t condemned, live;             /* summed over the GC messages */
  size_t max_committed;
  size_t large, huge;                 /* objects of at least the large size;
                                       * of more than a pool segment */
} Stats;

static void gc_message(mps_arena_t arena, mps_message_t m, void *closure)
{
  Stats *st = closure;
  size_t live = mps_message_gc_live_size(arena, m);
  size_t condemned = mps_message_gc_condemned_size(arena, m);
  REQUIRE(live <= condemned, "live %zu > condemned %zu", live, condemned);
  st->live += live;
  st->condemned += condemned;
  if (mps_message_gc_not_condemned_size(arena, m) > 0)
    ++st->young;
}

/* Forget what the last check found unreachable: nothing can refer to it
 * again.  The object allocated last may not be stored yet. */
static void model_sweep(void)
{
  size_t kept = 0;
  for (size_t k = 0; k < model.nalive; ++k) {
    uint64_t id = model.alive[k];
    MObj *m = &model.obj[id];
    if (m->mmark == model.mepoch || id == model.fresh) {
      model.alive[kept++] = id;
    } else {
      REQUIRE(!m->in_table, "unreachable key %" PRIu64, id);
      free(m->slot);
      m->slot = NULL;
      m->kind = 0;
    }
  }
  model.nalive = kept;
}

/* Every key of the table is found at its address now, with its value;
 * a few objects not in it are not found. */
static void verify_table(Rng *rng)
{
  for (size_t k = 0; k < model.tcount; ++k) {
    MObj *m = &model.obj[model.tids[k]];
    uint32_t i = table_find(&table, m->addr, NULL);
    REQUIRE(i != TNONE, "table lost key %" PRIu64 " (seed %" PRIu64 ")", model.tids[k],
            seed);
    REQUIRE(table.values[i] == m->tvalue, "key %" PRIu64 " has the wrong value",
            model.tids[k]);
  }
  for (unsigned j = 0; j < 8 && model.nalive > 0; ++j) {
    MObj *m = &model.obj[model.alive[rng_below(rng, model.nalive)]];
    if (m->kind == CLASS_NODE && m->mmark == model.mepoch && !m->in_table)
      REQUIRE(table_find(&table, m->addr, NULL) == TNONE, "found a key never put");
  }
}

static void check_all(const volatile mps_word_t *stack, Rng *rng, Stats *st)
{
  mps_arena_t arena = heap.w.arena;
  uint64_t hm = checksum_model(true, NULL, NULL);
  uint64_t hh = checksum_heap(stack, true);
  size_t committed = mps_arena_committed(arena);

  REQUIRE(hh == hm, "heap and model differ after %lu steps (seed %" PRIu64 ")", st->steps,
          seed);
  model_sweep();
  verify_table(rng);
  st->gc_messages += gc_drain_messages(arena, mps_message_type_gc(), gc_message, st);
  if (committed > st->max_committed)
    st->max_committed = committed;
  ++st->checks;
}

static void after_allocation(const volatile mps_word_t *stack, Rng *rng, Stats *st)
{
  mps_word_t c = mps_collections(heap.w.arena);
  if (c != st->collections_seen) {
    st->collections_seen = c;
    check_all(stack, rng, st);
  }
}

/* ---- The mutator ---- */

typedef struct Aps {
  mps_ap_t node[2];           /* two on AMC for the graph */
  mps_ap_t junk, leaf, blob;  /* AMC junk; AMCZ leaves and leaf junk */
} Aps;

/* A reachable node: the first one among the roots from a random one
 * on, then a few steps down through nodes; 0 if the roots hold none. */
static uint64_t pick_node(Rng *rng)
{
  size_t start = (size_t)rng_below(rng, NROOTS);
  unsigned depth = (unsigned)rng_below(rng, 12);
  uint64_t id = 0;
  for (size_t k = 0; k < NROOTS && id == 0; ++k) {
    mps_word_t v = model.root[(start + k) % NROOTS];
    if (IS_MREF(v) && mobj(v)->kind == CLASS_NODE)
      id = MREF_ID(v);
  }
  while (id != 0 && depth-- > 0 && model.obj[id].n > 0) {
    mps_word_t next = model.obj[id].slot[rng_below(rng, model.obj[id].n)];
    if (IS_MREF(next) && mobj(next)->kind == CLASS_NODE)
      id = MREF_ID(next);
    else
      depth = 0;
  }
  return id;
}

/* A random value: an integer, 0, or a reference to something reachable. */
static mps_word_t pick_value(Rng *rng)
{
  uint64_t r = rng_below(rng, 10);
  uint64_t id;
  if (r < 3)
    return dylan_int((long)rng_below(rng, 1000000) - 500000);
  if (r < 4)
    return 0;
  id = pick_node(rng);
  if (id == 0)
    return dylan_int(11);
  if (r < 8 || model.obj[id].n == 0)
    return MREF(id);
  return model.obj[id].slot[rng_below(rng, model.obj[id].n)];   /* maybe a leaf */
}

static void set_root(size_t i, mps_word_t v)
{
  model.root[i] = v;
  roots[i] = (mps_addr_t)heap_value(v);
}

/* An ambiguous area slot: a reference is sometimes interior (the
 * base of a block with a header too), which pins just the same. */
static void set_amb(Rng *rng, size_t i, mps_word_t v)
{
  mps_word_t delta = 0;     /* slot = client pointer + delta (mod 2^64) */
  if (IS_MREF(v) && rng_below(rng, 3) == 0) {
    MObj *m = mobj(v);
    size_t words = (client_size(m->kind, m->n) + heap.w.header_size) / W;
    delta = (mps_word_t)rng_below(rng, words) * W - heap.w.header_size;
  }
  model.amb[i] = v;
  model.amb_delta[i] = IS_MREF(v) ? delta : 0;
  amb_area[i] = heap_value(v) + model.amb_delta[i];
}

static void set_slot(uint64_t id, size_t i, mps_word_t v)
{
  MObj *m = &model.obj[id];
  REQUIRE(obj_id(m->addr) == id, "object %" PRIu64 " not where the model says", id);
  m->slot[i] = v;
  *dylan_var(m->addr, i) = heap_value(v);
}

/* Store v in a random place: an exact root, an ambiguous slot (area or
 * stack) or a slot of a reachable node. */
static void store_somewhere(Rng *rng, mps_word_t v, volatile mps_word_t *stack)
{
  uint64_t r = rng_below(rng, 20);
  uint64_t id;
  if (r < 6) {
    set_root((size_t)rng_below(rng, NROOTS), v);
  } else if (r < 7) {
    set_amb(rng, (size_t)rng_below(rng, NAMB), v);
  } else if (r < 8) {
    size_t i = (size_t)rng_below(rng, NSTACK);
    model.stack[i] = v;
    stack[i] = heap_value(v);
  } else if ((id = pick_node(rng)) != 0 && model.obj[id].n > 0) {
    set_slot(id, (size_t)rng_below(rng, model.obj[id].n), v);
  } else {
    set_root((size_t)rng_below(rng, NROOTS), v);
  }
}

/* A table operation: put a reachable node with a new value, or delete
 * a key; either looks the key up first (and may rehash). */
static void table_step(Rng *rng)
{
  if (model.tcount > 0 && (model.tcount >= TKEYS || rng_below(rng, 5) == 0)) {
    size_t k = (size_t)rng_below(rng, model.tcount);
    MObj *m = &model.obj[model.tids[k]];
    REQUIRE(table_delete(&table, m->addr), "table lost a key to delete");
    m->in_table = false;
    model.tids[k] = model.tids[--model.tcount];
    model.obj[model.tids[k]].tindex = k;
  } else {
    uint64_t id = pick_node(rng);
    MObj *m;
    if (id == 0)
      return;
    m = &model.obj[id];
    m->tvalue = (long)rng_below(rng, 1u << 20);
    table_put(&table, m->addr, m->tvalue);
    if (!m->in_table) {
      m->in_table = true;
      m->tindex = model.tcount;
      model.tids[model.tcount++] = id;
    }
  }
}

static void count_size(Stats *st, size_t bytes, size_t large)
{
  if (bytes >= large)
    ++st->large;
  if (bytes > 64 * KiB)
    ++st->huge;
}

/* A new node: a small one gets its values while it is allocated (they
 * sit in `init` on this stack, which pins them should a collection
 * start); a larger one starts empty and gets some afterwards. */
static void make_node(Rng *rng, const Aps *aps, volatile mps_word_t *stack, Stats *st)
{
  mps_word_t minit[INIT_SLOTS], init[INIT_SLOTS];
  size_t n = node_slots(rng);
  long payload = (long)rng_below(rng, 1u << 30);
  uint64_t id;
  if (n <= INIT_SLOTS)
    for (size_t i = 0; i < n; ++i) {
      minit[i] = pick_value(rng);
      init[i] = heap_value(minit[i]);
    }
  id = model_new(CLASS_NODE, n, payload);
  model.obj[id].addr = new_node(aps->node[rng_below(rng, 2)], id, payload, n,
                                n <= INIT_SLOTS ? init : NULL);
  if (n > 0 && n <= INIT_SLOTS)
    memcpy(model.obj[id].slot, minit, n * sizeof minit[0]);
  count_size(st, client_size(CLASS_NODE, n), AMC_LARGE);
  after_allocation(stack, rng, st);
  if (n > INIT_SLOTS)
    for (unsigned j = 0; j < 8; ++j)
      set_slot(id, (size_t)rng_below(rng, n), pick_value(rng));
  store_somewhere(rng, MREF(id), stack);
  model.fresh = 0;
}

static void make_leaf(Rng *rng, const Aps *aps, volatile mps_word_t *stack, Stats *st)
{
  size_t len = leaf_len(rng);
  uint64_t id = model_new(CLASS_LEAF, len, 0);
  model.obj[id].addr = new_leaf(aps->leaf, id, len);
  count_size(st, client_size(CLASS_LEAF, len), AMCZ_LARGE);
  after_allocation(stack, rng, st);
  store_somewhere(rng, MREF(id), stack);
  model.fresh = 0;
}

static void collect_explicitly(Rng *rng, volatile mps_word_t *stack, Stats *st)
{
  mps_arena_t arena = heap.w.arena;
  uint64_t before = checksum_heap(stack, true);
  mps_res_t res;

  ck_assert_uint_eq(before, checksum_model(true, NULL, NULL));
  res = rng_below(rng, 3) == 0 ? mps_arena_start_collect(arena) : mps_arena_collect(arena);
  ck_assert_int_eq(res, MPS_RES_OK);
  ++st->explicit_collections;
  st->collections_seen = mps_collections(arena);
  ck_assert_msg(checksum_heap(stack, true) == before,
                "collection changed the graph at step %lu (seed %" PRIu64 ")", st->steps,
                seed);
  check_all(stack, rng, st);
  mps_arena_release(arena);
}

static __attribute__((noinline)) void single_thread_run(Rng *rng, const Aps *aps,
                                                        unsigned long steps, Stats *st)
{
  volatile mps_word_t stack[NSTACK];   /* ambiguous references */
  for (size_t i = 0; i < NSTACK; ++i)
    stack[i] = 0;
  st->collections_seen = mps_collections(heap.w.arena);

  for (st->steps = 0; st->steps < steps; ++st->steps) {
    uint64_t r = rng_below(rng, 100);
    if (r < 40 && model.nalive > LIVE_TARGET) {
      /* The graph stays about this size: drop part of it. */
      set_root((size_t)rng_below(rng, NROOTS), 0);
    } else if (r < 30) {
      make_node(rng, aps, stack, st);
    } else if (r < 40) {
      make_leaf(rng, aps, stack, st);
    } else if (r < 62) {
      store_somewhere(rng, pick_value(rng), stack);
    } else if (r < 66) {
      set_root((size_t)rng_below(rng, NROOTS), 0);
    } else if (r < 68) {
      set_amb(rng, (size_t)rng_below(rng, NAMB), 0);
    } else if (r < 71) {
      uint64_t id = pick_node(rng);
      if (id != 0) {
        model.obj[id].payload = (long)rng_below(rng, 1u << 30);
        *dylan_slot(model.obj[id].addr, 1) = dylan_int(model.obj[id].payload);
      }
    } else if (r < 78) {
      table_step(rng);
    } else {
      for (unsigned j = (unsigned)rng_range(rng, 1, 80); j > 0; --j) {
        new_junk(aps->junk, aps->blob, rng);
        after_allocation(stack, rng, st);
      }
    }
    if ((st->steps + 1) % 1000 == 0)
      collect_explicitly(rng, stack, st);
  }
  check_all(stack, rng, st);
  for (size_t i = 0; i < NSTACK; ++i) {
    stack[i] = 0;
    model.stack[i] = 0;
  }
}

static void model_open(void)
{
  memset(&model, 0, sizeof model);
  model.cap = 4096;
  model.obj = malloc(model.cap * sizeof *model.obj);
  model.queue = malloc(model.cap * sizeof *model.queue);
  model.alive = malloc(model.cap * sizeof *model.alive);
  model.tids = malloc(TKEYS * sizeof *model.tids);
  ck_assert(model.obj != NULL && model.queue != NULL && model.alive != NULL
            && model.tids != NULL);
  memset(amb_area, 0, sizeof amb_area);
}

static void model_close(void)
{
  for (size_t k = 0; k < model.nalive; ++k)
    free(model.obj[model.alive[k]].slot);
  free(model.obj);
  free(model.queue);
  free(model.alive);
  free(model.tids);
}

START_TEST(single_thread)
{
  Rng rng;
  Aps aps;
  void *cold = &cold;
  Stats st;
  unsigned long steps = 80000ul / SANITIZER_SHRINK * rng_scale();
  mps_root_t amb_root;
  mps_arena_t arena;
  size_t hdr, nodes, leaves;
  DylanCensus c;

  seed = rng_seed_from_env("stress/amc_stress single_thread");
  rng_init(&rng, seed);
  hdr = rng_below(&rng, 2) == 0 ? 0 : DYLAN_HEADER_SIZE;
  memset(&st, 0, sizeof st);
  model_open();
  heap_open(hdr);
  arena = heap.w.arena;
  fprintf(stderr, "single_thread: %lu steps, header %zu, grain %zu\n", steps, hdr, grain);

  (void)gc_world_add_table(&heap.w, roots, NROOTS);
  ck_assert_int_eq(mps_root_create_area(&amb_root, arena, mps_rank_ambig(), 0, amb_area,
                                        amb_area + NAMB, mps_scan_area, NULL), MPS_RES_OK);
  gc_world_adopt_root(&heap.w, amb_root);
  table_init(&table);
  (void)gc_world_add_table(&heap.w, table.keys, TKEYS);
  gc_world_thread_open(&heap.w, cold);
  for (size_t i = 0; i < 2; ++i)
    ck_assert_int_eq(mps_ap_create_k(&aps.node[i], heap.amc, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&aps.junk, heap.amc, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&aps.leaf, heap.amcz, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&aps.blob, heap.amcz, mps_args_none), MPS_RES_OK);

  single_thread_run(&rng, &aps, steps, &st);
  fprintf(stderr, "single_thread: %lu collections (%lu explicit, %zu young), %lu checks, "
          "%lu commit retries, max committed %zu KiB, preserved %zu of %zu KiB condemned\n",
          (unsigned long)mps_collections(arena), st.explicit_collections, st.young,
          st.checks, dylan_commit_failures(), st.max_committed >> 10, st.live >> 10,
          st.condemned >> 10);
  fprintf(stderr, "single_thread: %zu objects of the large size or more, %zu of more "
          "than 64 KiB\n", st.large, st.huge);
  fprintf(stderr, "single_thread: table: %lu rehashes, %lu stale and %lu fresh misses, "
          "%lu hits, %zu keys\n", table.rehashes, table.stale_misses, table.fresh_misses,
          table.hits, table.count);
  /* Thousands of collections, most started by allocation and condemning
   * the young generations only; each was seen and checked. */
  ck_assert_uint_ge(mps_collections(arena), steps / 40);
  ck_assert_uint_ge(mps_collections(arena), 2 * st.explicit_collections);
  ck_assert_uint_eq(st.checks, mps_collections(arena) + 1);
  ck_assert_uint_eq(st.gc_messages, mps_collections(arena));
  ck_assert_uint_ge(st.young, mps_collections(arena) / 2);
  ck_assert_uint_lt(st.live, st.condemned);
  ck_assert_uint_gt(st.huge, 0);
  ck_assert_uint_gt(st.large, st.huge);
  /* Keys moved, the table noticed, and lookups after a move rehashed. */
  ck_assert_uint_gt(table.rehashes, 0);
  ck_assert_uint_gt(table.stale_misses, 0);
  ck_assert_uint_le(table.stale_misses, mps_collections(arena));
  /* Garbage went: the live graph is small. */
  ck_assert_uint_lt(st.max_committed, 128 * MiB);

  /* Without ambiguous roots, exactly what the exact roots and the table
   * reach lives, and nothing of the junk. */
  gc_world_thread_close(&heap.w);
  for (size_t i = 0; i < NAMB; ++i)
    set_amb(&rng, i, 0);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_eq(checksum_heap(NULL, false), checksum_model(false, &nodes, &leaves));
  fprintf(stderr, "single_thread: %zu nodes and %zu leaves live at the end\n", nodes,
          leaves);
  c = gc_census(arena, heap.amc, hdr);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], nodes);
  ck_assert_uint_eq(c.by_class[CLASS_JUNK], 0);
  c = gc_census(arena, heap.amcz, hdr);
  ck_assert_uint_eq(c.by_class[CLASS_LEAF], leaves);
  ck_assert_uint_eq(c.by_class[CLASS_BLOB], 0);
  ck_assert_uint_eq(c.objects, leaves);

  mps_ap_destroy(aps.blob);
  mps_ap_destroy(aps.leaf);
  mps_ap_destroy(aps.junk);
  mps_ap_destroy(aps.node[1]);
  mps_ap_destroy(aps.node[0]);
  heap_close();
  model_close();
}
END_TEST

/* ---- Part 2: threads ---------------------------------------------------- */

#define NTHREADS 4
#define TROOTS 16                 /* a worker's exact roots */
#define NINTERNED 32
#define WQUEUE 4096               /* a worker's traversal queue; its set has twice */
#define WSPACE (3 * WQUEUE)
#define WLIVE 2000                /* a worker's subgraph, about */

/* Leaves any worker may refer to, as a runtime interns strings: leaves
 * never change, so sharing them needs no more than this lock. */
static mps_addr_t interned[NINTERNED];        /* exact root; under interned_mu */
static pthread_mutex_t interned_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct Worker {
  unsigned index;
  uint64_t seed;
  unsigned long rounds;
  bool collector;             /* also runs mps_arena_collect */
  unsigned long verified, collects, pins;
  const char *failure;        /* NULL, or why it stopped... */
  unsigned long failed_round; /* ...and when */
  mps_addr_t roots[TROOTS];   /* exact root, this thread's */
  mps_word_t *space;          /* traversal queue and set: an ambiguous root */
  size_t reached;             /* objects the last traversal reached */
  uint64_t next_id;
} Worker;

/* The id of a node or leaf at obj, or 0 if there is none there. */
static uint64_t worker_id(mps_addr_t obj)
{
  unsigned k;
  if (!dylan_check(obj, heap.w.header_size))
    return 0;
  k = dylan_class_id(obj);
  return k == CLASS_NODE || k == CLASS_LEAF
         ? (uint64_t)dylan_int_value(*dylan_slot(obj, 0)) : 0;
}

/* The traversal's state, in the worker's ambiguous root. */
typedef struct Walk {
  mps_word_t *queue;          /* WQUEUE */
  mps_word_t *set;            /* 2 * WQUEUE, open addressing by address */
  size_t head, tail;
  uint64_t h;
  const char *broken;
} Walk;

/* Mix v into the checksum: the id it refers to, or the value; queue an
 * object not met before. */
static void walk_value(Walk *wk, mps_word_t v)
{
  size_t i;
  uint64_t id;
  if (!dylan_is_ref(v)) {
    wk->h = mix(wk->h, v);
    return;
  }
  id = worker_id((mps_addr_t)v);
  if (id == 0) {
    wk->broken = "a reference to no node or leaf";
    return;
  }
  wk->h = mix(wk->h, 0x100000000u + id);
  for (i = (size_t)(v * 0x9E3779B97F4A7C15u >> 40) % (2 * WQUEUE); wk->set[i] != v;
       i = (i + 1) % (2 * WQUEUE)) {
    if (wk->set[i] == 0) {
      if (wk->tail == WQUEUE) {
        wk->broken = "a subgraph larger than the traversal's queue";
        return;
      }
      wk->set[i] = v;
      wk->queue[wk->tail++] = v;
      return;
    }
  }
}

/* Checksum of what the worker's roots and stack references reach:
 * ids, payloads, shapes; leaf contents must be what their ids say.
 * Another thread may collect meanwhile: what the queue and set hold is
 * pinned by their ambiguous root, and they are cleared after, so that
 * they pin nothing between traversals.  NULL, or what is broken. */
static const char *worker_checksum(Worker *w, const volatile mps_word_t *stack,
                                   uint64_t *h_o)
{
  Walk wk = {w->space, w->space + WQUEUE, 0, 0, 7, NULL};

  for (size_t i = 0; i < TROOTS; ++i)
    walk_value(&wk, (mps_word_t)w->roots[i]);
  for (size_t i = 0; i < NSTACK; ++i)
    walk_value(&wk, stack[i]);
  while (wk.broken == NULL && wk.head < wk.tail) {
    mps_addr_t obj = (mps_addr_t)wk.queue[wk.head++];
    uint64_t id = worker_id(obj);
    size_t n = dylan_var_len(obj);
    bool leaf = dylan_class_id(obj) == CLASS_LEAF;
    wk.h = mix(mix(wk.h, leaf), n);
    for (size_t i = 0; leaf && i < n; i = leaf_next(i, n))
      if (dylan_bytes(obj)[i] != leaf_byte(id, i))
        wk.broken = "a leaf's bytes changed";
    if (leaf)
      continue;
    wk.h = mix(wk.h, (uint64_t)dylan_int_value(*dylan_slot(obj, 1)));
    for (size_t i = 0; i < n; ++i)
      walk_value(&wk, *dylan_var(obj, i));
  }
  memset(w->space, 0, WSPACE * sizeof *w->space);
  w->reached = wk.tail;
  *h_o = wk.h;
  return wk.broken;
}

/* One of the worker's nodes, found by a short walk down from one of its
 * roots through nodes, or NULL. */
static mps_addr_t worker_node(Worker *w, Rng *rng)
{
  mps_addr_t obj = w->roots[rng_below(rng, TROOTS)];
  unsigned depth = (unsigned)rng_below(rng, 10);
  if (obj == NULL || dylan_class_id(obj) != CLASS_NODE)
    return NULL;
  while (depth-- > 0 && dylan_var_len(obj) > 0) {
    mps_word_t next = *dylan_var(obj, rng_below(rng, dylan_var_len(obj)));
    if (dylan_is_ref(next) && dylan_class_id((mps_addr_t)next) == CLASS_NODE)
      obj = (mps_addr_t)next;
    else
      depth = 0;
  }
  return obj;
}

/* Something to store: an integer, 0, an interned leaf, one of the
 * worker's nodes or what one of them holds. */
static mps_word_t worker_value(Worker *w, Rng *rng)
{
  mps_addr_t obj;
  switch (rng_below(rng, 10)) {
  case 0: case 1: case 2:
    return dylan_int((long)rng_below(rng, 100000));
  case 3:
    return 0;
  case 4:
    pthread_mutex_lock(&interned_mu);
    obj = interned[rng_below(rng, NINTERNED)];
    pthread_mutex_unlock(&interned_mu);
    return (mps_word_t)obj;
  case 5: case 6:
    obj = worker_node(w, rng);
    if (obj != NULL && dylan_var_len(obj) > 0)
      return *dylan_var(obj, rng_below(rng, dylan_var_len(obj)));
    return (mps_word_t)obj;
  default:
    return (mps_word_t)worker_node(w, rng);
  }
}

/* Somewhere for a new object: a slot of a node, else a root. */
static void worker_keep(Worker *w, Rng *rng, mps_addr_t obj)
{
  mps_addr_t node = rng_below(rng, 2) == 0 ? worker_node(w, rng) : NULL;
  if (node == NULL || dylan_var_len(node) == 0)
    w->roots[rng_below(rng, TROOTS)] = obj;
  else
    *dylan_var(node, rng_below(rng, dylan_var_len(node))) = (mps_word_t)obj;
}

/* Twenty mutations: new nodes (a small one is made of values held on
 * this stack meanwhile, a quarter go into the ambiguous stack slots),
 * leaves, stores, cleared roots, a newly interned leaf, junk. */
static void worker_mutate(Worker *w, Rng *rng, mps_ap_t amc_ap, mps_ap_t amcz_ap,
                          volatile mps_word_t *stack, uint64_t *stack_id)
{
  for (unsigned k = 0; k < 20; ++k) {
    uint64_t r = rng_below(rng, 20);
    if (r < 4 && w->reached > WLIVE) {
      w->roots[rng_below(rng, TROOTS)] = NULL;
    } else if (r < 8) {
      mps_word_t init[INIT_SLOTS];
      size_t n = node_slots(rng), s = (size_t)rng_below(rng, NSTACK);
      uint64_t id = ++w->next_id;
      mps_addr_t obj;
      for (size_t i = 0; i < n && i < INIT_SLOTS; ++i)
        init[i] = worker_value(w, rng);
      obj = new_node(amc_ap, id, (long)rng_below(rng, 1000), n,
                     n <= INIT_SLOTS ? init : NULL);
      if (rng_below(rng, 4) != 0) {
        worker_keep(w, rng, obj);
      } else {
        stack[s] = (mps_word_t)obj;
        stack_id[s] = id;
      }
    } else if (r < 10) {
      worker_keep(w, rng, new_leaf(amcz_ap, ++w->next_id, leaf_len(rng)));
    } else if (r < 14) {
      mps_addr_t node = worker_node(w, rng);
      mps_word_t v = worker_value(w, rng);
      if (node != NULL && dylan_var_len(node) > 0)
        *dylan_var(node, rng_below(rng, dylan_var_len(node))) = v;
    } else if (r < 15) {
      w->roots[rng_below(rng, TROOTS)] = NULL;
    } else if (r < 16) {
      mps_addr_t leaf = new_leaf(amcz_ap, ++w->next_id, (size_t)rng_below(rng, 100));
      pthread_mutex_lock(&interned_mu);
      interned[rng_below(rng, NINTERNED)] = leaf;
      pthread_mutex_unlock(&interned_mu);
    } else {
      new_junk(amc_ap, amcz_ap, rng);
    }
  }
}

/* One round: mutate, checksum, a burst of allocation that starts
 * collections (here or in other threads), maybe an explicit one, then
 * the same checksum and every stack reference where it was.  NULL, or
 * what went wrong. */
static const char *worker_round(Worker *w, Rng *rng, mps_ap_t amc_ap, mps_ap_t amcz_ap,
                                volatile mps_word_t *stack, uint64_t *stack_id)
{
  uint64_t before, after;
  const char *broken;

  worker_mutate(w, rng, amc_ap, amcz_ap, stack, stack_id);
  if ((broken = worker_checksum(w, stack, &before)) != NULL)
    return broken;
  for (unsigned j = (unsigned)rng_range(rng, 20, 200); j > 0; --j)
    new_junk(amc_ap, amcz_ap, rng);
  if (w->collector && w->verified % 8 == 0) {
    if (mps_arena_collect(heap.w.arena) != MPS_RES_OK)
      return "mps_arena_collect failed";
    mps_arena_release(heap.w.arena);
    ++w->collects;
  }
  if ((broken = worker_checksum(w, stack, &after)) != NULL)
    return broken;
  if (after != before)
    return "the subgraph changed across collections";
  for (size_t i = 0; i < NSTACK; ++i) {
    if (stack[i] == 0)
      continue;
    if (worker_id((mps_addr_t)stack[i]) != stack_id[i])
      return "an ambiguously referenced object moved";
    ++w->pins;
  }
  return NULL;
}

static __attribute__((noinline)) void worker_run(Worker *w, mps_ap_t amc_ap,
                                                 mps_ap_t amcz_ap)
{
  volatile mps_word_t stack[NSTACK] = {0};   /* ambiguous: these stay put */
  uint64_t stack_id[NSTACK] = {0};
  Rng rng;

  rng_init(&rng, w->seed);
  while (w->verified < w->rounds && w->failure == NULL) {
    w->failure = worker_round(w, &rng, amc_ap, amcz_ap, stack, stack_id);
    if (w->failure == NULL)
      ++w->verified;
  }
  w->failed_round = w->verified;
  for (size_t i = 0; i < NSTACK; ++i)
    stack[i] = 0;
}

/* A registered thread with its stack and registers as an ambiguous
 * root (up to `cold`, in this frame), an exact root, the traversal's
 * ambiguous root, and allocation points on both pools. */
static void *worker_main(void *arg)
{
  Worker *w = arg;
  void *cold = &cold;
  mps_arena_t arena = heap.w.arena;
  mps_thr_t thr;
  mps_root_t roots[3];
  mps_ap_t amc_ap, amcz_ap;

  w->next_id = ((uint64_t)w->index + 1) << 40;
  w->space = calloc(WSPACE, sizeof *w->space);
  if (w->space == NULL
      || mps_thread_reg(&thr, arena) != MPS_RES_OK
      || mps_root_create_thread(&roots[0], arena, thr, cold) != MPS_RES_OK
      || mps_root_create_table(&roots[1], arena, mps_rank_exact(), 0, w->roots, TROOTS)
         != MPS_RES_OK
      || mps_root_create_area(&roots[2], arena, mps_rank_ambig(), 0, w->space,
                              w->space + WSPACE, mps_scan_area, NULL) != MPS_RES_OK
      || mps_ap_create_k(&amc_ap, heap.amc, mps_args_none) != MPS_RES_OK
      || mps_ap_create_k(&amcz_ap, heap.amcz, mps_args_none) != MPS_RES_OK)
    abort();
  worker_run(w, amc_ap, amcz_ap);
  mps_ap_destroy(amcz_ap);
  mps_ap_destroy(amc_ap);
  for (size_t i = 3; i > 0; --i)
    mps_root_destroy(roots[i - 1]);
  mps_thread_dereg(thr);
  free(w->space);
  return NULL;
}

static int cmp_addr(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t)*(mps_addr_t const *)a, y = (uintptr_t)*(mps_addr_t const *)b;
  return x < y ? -1 : x > y;
}

START_TEST(threads)
{
  static Worker workers[NTHREADS];
  pthread_t tids[NTHREADS];
  unsigned long rounds = 500ul / SANITIZER_SHRINK * rng_scale(), pins = 0;
  mps_addr_t sorted[NINTERNED];
  mps_word_t c0;
  DylanCensus c;
  size_t distinct = 0;

  seed = rng_seed_from_env("stress/amc_stress threads");
  heap_open(seed % 2 == 0 ? 0 : DYLAN_HEADER_SIZE);
  (void)gc_world_add_table(&heap.w, interned, NINTERNED);
  c0 = mps_collections(heap.w.arena);
  for (unsigned i = 0; i < NTHREADS; ++i) {
    workers[i] = (Worker){.index = i, .seed = seed + 7919u * i, .rounds = rounds,
                          .collector = i == 0};
    ck_assert_int_eq(pthread_create(&tids[i], NULL, worker_main, &workers[i]), 0);
  }
  for (unsigned i = 0; i < NTHREADS; ++i)
    ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
  for (unsigned i = 0; i < NTHREADS; ++i) {
    const Worker *w = &workers[i];
    ck_assert_msg(w->failure == NULL, "worker %u, round %lu: %s (seed %" PRIu64 ")", i,
                  w->failed_round, w->failure, seed);
    ck_assert_uint_eq(w->verified, rounds);
    pins += w->pins;
  }
  fprintf(stderr, "threads: %lu collections (%lu explicit), %lu pinned objects checked, "
          "%lu commit retries\n", (unsigned long)(mps_collections(heap.w.arena) - c0),
          workers[0].collects, pins, dylan_commit_failures());
  ck_assert_uint_gt(mps_collections(heap.w.arena) - c0, 4 * workers[0].collects);
  ck_assert_uint_gt(pins, 0);

  /* The workers are gone: what is interned is all that lives. */
  ck_assert_int_eq(mps_arena_collect(heap.w.arena), MPS_RES_OK);
  memcpy(sorted, interned, sizeof sorted);
  qsort(sorted, NINTERNED, sizeof sorted[0], cmp_addr);
  for (size_t i = 0; i < NINTERNED; ++i)
    if (sorted[i] != NULL && (i == 0 || sorted[i] != sorted[i - 1])) {
      ck_assert(worker_id(sorted[i]) != 0);
      ++distinct;
    }
  c = gc_census(heap.w.arena, heap.amcz, heap.w.header_size);
  ck_assert_uint_eq(c.by_class[CLASS_LEAF], distinct);
  ck_assert_uint_eq(c.objects, distinct);
  c = gc_census(heap.w.arena, heap.amc, heap.w.header_size);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 0);
  ck_assert_uint_eq(c.by_class[CLASS_JUNK], 0);
  heap_close();
}
END_TEST

int main(void)
{
  Suite *s = suite_create("stress/amc");
  /* run-tests multiplies this by the stress scale */
  TCase *tc = fixture_tcase(s, "amc", NULL, NULL, 120);

  tcase_add_test(tc, single_thread);
  tcase_add_test(tc, threads);
  return fixture_run_suite(s);
}
