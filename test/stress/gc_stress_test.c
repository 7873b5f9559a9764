/* test/stress/gc_stress_test.c -- seeded stress of the collector: random
 * object graphs (the toy Dylan format) in AMS, with leaves in LO, held by
 * exact roots and by ambiguous references on the stack, mutated between
 * thousands of collections (explicit, and started by allocation through
 * a small chain).
 *
 * single_thread: a shadow model of the graph (by object id) is kept in
 * malloc'd memory; the whole graph is checksummed by traversal from the
 * roots (structure, ids and integer contents) before and after every
 * explicit collection, and checked against the model after every
 * collection, whoever started it.
 *
 * threads: several registered threads each mutate their own subgraph
 * (their own exact roots and stack) and share immutable objects through
 * a locked table; each checksums its subgraph before and after bursts of
 * allocation that start collections, while one thread also runs
 * mps_arena_collect.
 *
 * LAGOON_SEED replays a run (thread interleavings aside);
 * LAGOON_STRESS_SCALE multiplies the work.
 * Design: manual/design/trace.rst, manual/design/scan.rst */
#include "mps.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLASS_NODE = 1, CLASS_LEAF = 2, CLASS_JUNK = 3 };
enum { W_WW, W_NODE, W_JUNK, NWRAPPERS };

#define NROOTS 64          /* exact root slots */
#define NSTACK 8           /* ambiguous references in a stack frame */
#define MAX_VAR 6          /* variable slots of a node */
#define MAX_LEAF 300       /* bytes of a leaf */

static uint64_t seed;

static uint64_t mix(uint64_t h, uint64_t v)
{
  h ^= v + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9u;
  return h ^ (h >> 31);
}

static unsigned char leaf_byte(uint64_t id, size_t i)
{
  return (unsigned char)((id * 131 + i * 7) & 0xFF);
}

/* ---- The heap shared by both parts ------------------------------------ */

static GcWorld heap;                   /* AMS and LO, a small chain */
static mps_addr_t wrappers[NWRAPPERS];
static DylanStaticWrapper leaf_sw;
static mps_addr_t leaf_wrapper;

static void heap_create(size_t hdr)
{
  static const GcClass classes[] = {{CLASS_NODE, 2, DYLAN_VAR_WORDS},
                                    {CLASS_JUNK, 0, DYLAN_VAR_WORDS}};
  GcWorldOptions o = {.arena_size = 256 * MiB, .unparked = true, .header_size = hdr,
                      .chain_kb = 256, .mortality = 0.8,    /* collections start often */
                      .pools = GC_POOL_AMS | GC_POOL_LO,
                      .table = wrappers, .table_len = NWRAPPERS,
                      .classes = classes, .nclasses = 2};
  gc_world_open(&heap, &o);
  leaf_wrapper = dylan_static_wrapper(&leaf_sw, CLASS_LEAF, 1, DYLAN_VAR_BYTES);
}

/* Heap objects: a node is (id, payload; var slots), a leaf (id; bytes),
 * junk (var words of integers), never referenced. */
static mps_addr_t new_node(mps_ap_t ap, uint64_t id, long payload, size_t n,
                           const mps_word_t *slots)
{
  mps_addr_t obj;
  mps_word_t fixed[2] = {dylan_int((long)id), dylan_int(payload)};
  mps_res_t res = dylan_make(&obj, ap, heap.header_size, wrappers[W_NODE], fixed, n, slots);
  ck_assert_msg(res == MPS_RES_OK, "node allocation failed: %d", res);
  return obj;
}

static mps_addr_t new_leaf(mps_ap_t ap, uint64_t id, size_t len)
{
  mps_addr_t obj;
  unsigned char bytes[MAX_LEAF];
  mps_word_t fixed[1] = {dylan_int((long)id)};
  mps_res_t res;
  for (size_t i = 0; i < len; ++i)
    bytes[i] = leaf_byte(id, i);
  res = dylan_make(&obj, ap, heap.header_size, leaf_wrapper, fixed, len, bytes);
  ck_assert_msg(res == MPS_RES_OK, "leaf allocation failed: %d", res);
  return obj;
}

static void new_junk(mps_ap_t ap, Rng *rng)
{
  mps_addr_t obj;
  size_t n = rng_below(rng, 20) == 0 ? (size_t)rng_range(rng, 500, 3000)
                                     : (size_t)rng_below(rng, 40);
  mps_res_t res = dylan_make(&obj, ap, heap.header_size, wrappers[W_JUNK], NULL, n, NULL);
  ck_assert_msg(res == MPS_RES_OK, "junk allocation failed: %d", res);
}

static uint64_t obj_id(mps_addr_t obj)
{
  ck_assert_msg(dylan_check(obj, heap.header_size), "corrupt object %p", obj);
  return (uint64_t)dylan_int_value(*dylan_slot(obj, 0));
}

/* ---- Part 1: one thread, with a shadow model --------------------------- */

/* Model slot values: 0, an integer word (odd), or a reference to id as
 * (id + 1) << 1 (even, not 0). */
#define MREF(id) (((mps_word_t)(id) + 1) << 1)
#define MREF_ID(v) (((v) >> 1) - 1)

typedef struct MNode {
  unsigned kind;              /* CLASS_NODE or CLASS_LEAF */
  long payload;               /* a node's payload; a leaf's length */
  size_t n;                   /* variable slots of a node */
  mps_word_t slot[MAX_VAR];
  mps_addr_t addr;            /* where it is in the heap */
  uint32_t mark;              /* traversal epoch */
} MNode;

typedef struct Model {
  MNode *node;                /* by id; id 0 unused */
  size_t count, cap;
  mps_word_t root[NROOTS];    /* mirrors roots[] */
  mps_word_t stack[NSTACK];   /* mirrors the stack frame's references */
  uint32_t epoch;
  uint64_t *queue;            /* traversal queue of ids */
  size_t reachable_nodes, reachable_leaves;
} Model;

static Model model;
static mps_addr_t roots[NROOTS];     /* exact root */

static uint64_t model_new(unsigned kind, long payload, size_t n)
{
  uint64_t id;
  if (model.count == model.cap) {
    model.cap = model.cap * 2 + 1024;
    model.node = realloc(model.node, model.cap * sizeof *model.node);
    model.queue = realloc(model.queue, model.cap * sizeof *model.queue);
    ck_assert_ptr_nonnull(model.node);
    ck_assert_ptr_nonnull(model.queue);
  }
  if (model.count == 0)
    model.count = 1;           /* id 0 means nothing */
  id = model.count++;
  memset(&model.node[id], 0, sizeof model.node[id]);
  model.node[id].kind = kind;
  model.node[id].payload = payload;
  model.node[id].n = n;
  return id;
}

/* The heap's value of a model slot (a reference becomes the address). */
static mps_word_t heap_value(mps_word_t m)
{
  if (m == 0 || dylan_is_int(m))
    return m;
  return (mps_word_t)model.node[MREF_ID(m)].addr;
}

/* Checksum of the model from its roots, in breadth-first order of
 * discovery.  checksum_heap computes the same from the heap. */
static uint64_t visit_model(uint64_t h, mps_word_t v, size_t *tail)
{
  if (v == 0 || dylan_is_int(v))
    return mix(h, v);
  uint64_t id = MREF_ID(v);
  if (model.node[id].mark != model.epoch) {
    model.node[id].mark = model.epoch;
    model.queue[(*tail)++] = id;
  }
  return mix(h, 0x100000000u + id);
}

static uint64_t checksum_model(bool with_stack)
{
  uint64_t h = 1;
  size_t head = 0, tail = 0;
  ++model.epoch;
  model.reachable_nodes = model.reachable_leaves = 0;
  for (size_t i = 0; i < NROOTS; ++i)
    h = visit_model(h, model.root[i], &tail);
  for (size_t i = 0; with_stack && i < NSTACK; ++i)
    h = visit_model(h, model.stack[i], &tail);
  while (head < tail) {
    MNode *m = &model.node[model.queue[head++]];
    h = mix(h, m->kind);
    h = mix(h, (uint64_t)m->payload);
    if (m->kind == CLASS_LEAF) {
      ++model.reachable_leaves;
      for (long i = 0; i < m->payload; ++i)
        h = mix(h, leaf_byte(model.queue[head - 1], (size_t)i));
      continue;
    }
    ++model.reachable_nodes;
    h = mix(h, m->n);
    for (size_t i = 0; i < m->n; ++i)
      h = visit_model(h, m->slot[i], &tail);
  }
  return h;
}

/* Heap traversal: ids come from the objects; the model's marks (a
 * separate epoch) record what was seen, its addresses are not used. */
static uint64_t visit_heap(uint64_t h, mps_word_t v, size_t *tail)
{
  if (v == 0 || dylan_is_int(v))
    return mix(h, v);
  uint64_t id = obj_id((mps_addr_t)v);
  ck_assert_msg(id > 0 && id < model.count, "bad id %" PRIu64 " at %p", id, (void *)v);
  ck_assert_msg(model.node[id].addr == (mps_addr_t)v, "object %" PRIu64 " moved or forged", id);
  if (model.node[id].mark != model.epoch) {
    model.node[id].mark = model.epoch;
    model.queue[(*tail)++] = id;
  }
  return mix(h, 0x100000000u + id);
}

static uint64_t checksum_heap(const volatile mps_word_t *stack, bool with_stack)
{
  uint64_t h = 1;
  size_t head = 0, tail = 0;
  ++model.epoch;
  for (size_t i = 0; i < NROOTS; ++i)
    h = visit_heap(h, (mps_word_t)roots[i], &tail);
  for (size_t i = 0; with_stack && i < NSTACK; ++i)
    h = visit_heap(h, stack[i], &tail);
  while (head < tail) {
    uint64_t id = model.queue[head++];
    mps_addr_t obj = model.node[id].addr;
    unsigned kind = dylan_class_id(obj);
    h = mix(h, kind);
    if (kind == CLASS_LEAF) {
      size_t len = dylan_var_len(obj);
      h = mix(h, len);
      for (size_t i = 0; i < len; ++i)
        h = mix(h, dylan_bytes(obj)[i]);
      continue;
    }
    ck_assert_uint_eq(kind, CLASS_NODE);
    h = mix(h, (uint64_t)dylan_int_value(*dylan_slot(obj, 1)));
    h = mix(h, dylan_var_len(obj));
    for (size_t i = 0; i < dylan_var_len(obj); ++i)
      h = visit_heap(h, *dylan_var(obj, i), &tail);
  }
  return h;
}

/* A random reachable node (not a leaf), by a random walk in the model
 * from a random root; 0 if the walk finds none. */
static uint64_t pick_node(Rng *rng)
{
  uint64_t id = 0;
  for (int tries = 0; tries < 8 && id == 0; ++tries) {
    mps_word_t v = model.root[rng_below(rng, NROOTS)];
    if (v != 0 && !dylan_is_int(v) && model.node[MREF_ID(v)].kind == CLASS_NODE)
      id = MREF_ID(v);
  }
  if (id == 0)
    return 0;
  for (unsigned steps = (unsigned)rng_below(rng, 12); steps > 0; --steps) {
    MNode *m = &model.node[id];
    if (m->n == 0)
      break;
    mps_word_t v = m->slot[rng_below(rng, m->n)];
    if (v == 0 || dylan_is_int(v) || model.node[MREF_ID(v)].kind != CLASS_NODE)
      break;
    id = MREF_ID(v);
  }
  return id;
}

/* A random model value: an integer, 0, or a reference to something
 * reachable. */
static mps_word_t pick_value(Rng *rng)
{
  uint64_t r = rng_below(rng, 10);
  if (r < 3)
    return dylan_int((long)rng_below(rng, 1000000) - 500000);
  if (r < 4)
    return 0;
  uint64_t id = pick_node(rng);
  if (id != 0 && r < 8)
    return MREF(id);
  if (id != 0 && model.node[id].n > 0) {
    mps_word_t v = model.node[id].slot[rng_below(rng, model.node[id].n)];
    return v;                  /* maybe a leaf */
  }
  return dylan_int(7);
}

/* Store model value v into a random place: a root, a stack slot, or a
 * slot of a reachable node. */
static void store_somewhere(Rng *rng, mps_word_t v, volatile mps_word_t *stack)
{
  uint64_t r = rng_below(rng, 10);
  if (r < 3) {
    size_t i = (size_t)rng_below(rng, NROOTS);
    model.root[i] = v;
    roots[i] = (mps_addr_t)heap_value(v);
  } else if (r < 4) {
    size_t i = (size_t)rng_below(rng, NSTACK);
    model.stack[i] = v;
    stack[i] = heap_value(v);
  } else {
    uint64_t id = pick_node(rng);
    if (id == 0 || model.node[id].n == 0) {
      size_t i = (size_t)rng_below(rng, NROOTS);
      model.root[i] = v;
      roots[i] = (mps_addr_t)heap_value(v);
      return;
    }
    MNode *m = &model.node[id];
    size_t i = (size_t)rng_below(rng, m->n);
    ck_assert_uint_eq(obj_id(m->addr), id);
    m->slot[i] = v;
    *dylan_var(m->addr, i) = heap_value(v);
  }
}

typedef struct Stats {
  unsigned long steps, explicit_collections, checks;
  mps_word_t collections_seen;
} Stats;

static void check_model(const volatile mps_word_t *stack, Stats *st)
{
  uint64_t hm = checksum_model(true);
  uint64_t hh = checksum_heap(stack, true);
  ck_assert_msg(hh == hm, "heap and model differ after %lu steps (seed %" PRIu64 ")",
                st->steps, seed);
  ++st->checks;
}

static void after_allocation(const volatile mps_word_t *stack, Stats *st)
{
  mps_word_t c = mps_collections(heap.arena);
  if (c != st->collections_seen) {
    st->collections_seen = c;
    check_model(stack, st);
  }
}

static __attribute__((noinline)) void single_thread_run(Rng *rng, mps_ap_t ap,
                                                        mps_ap_t ap_ambig, mps_ap_t lo_ap,
                                                        unsigned long steps,
                                                        unsigned collect_every, Stats *st)
{
  volatile mps_word_t stack[NSTACK];   /* ambiguous references */
  for (size_t i = 0; i < NSTACK; ++i)
    stack[i] = 0;
  st->collections_seen = mps_collections(heap.arena);

  for (st->steps = 0; st->steps < steps; ++st->steps) {
    uint64_t r = rng_below(rng, 100);
    if (r < 35) {
      /* A new node, filled with values that are reachable now: the
       * values sit in `slots` on this stack while it is allocated. */
      size_t n = (size_t)rng_below(rng, MAX_VAR + 1);
      mps_word_t mslots[MAX_VAR], slots[MAX_VAR];
      long payload = (long)rng_below(rng, 1u << 30);
      for (size_t i = 0; i < n; ++i) {
        mslots[i] = pick_value(rng);
        slots[i] = heap_value(mslots[i]);
      }
      uint64_t id = model_new(CLASS_NODE, payload, n);
      memcpy(model.node[id].slot, mslots, n * sizeof mslots[0]);
      model.node[id].addr = new_node(rng_below(rng, 5) == 0 ? ap_ambig : ap, id, payload,
                                     n, slots);
      after_allocation(stack, st);
      store_somewhere(rng, MREF(id), stack);
    } else if (r < 45) {
      size_t len = (size_t)rng_below(rng, MAX_LEAF + 1);
      uint64_t id = model_new(CLASS_LEAF, (long)len, 0);
      model.node[id].addr = new_leaf(lo_ap, id, len);
      after_allocation(stack, st);
      store_somewhere(rng, MREF(id), stack);
    } else if (r < 70) {
      store_somewhere(rng, pick_value(rng), stack);
    } else if (r < 75) {
      size_t i = (size_t)rng_below(rng, NROOTS);
      model.root[i] = 0;
      roots[i] = NULL;
    } else if (r < 80) {
      uint64_t id = pick_node(rng);
      if (id != 0) {
        long payload = (long)rng_below(rng, 1u << 30);
        model.node[id].payload = payload;
        *dylan_slot(model.node[id].addr, 1) = dylan_int(payload);
      }
    } else {
      for (unsigned j = (unsigned)rng_range(rng, 1, 20); j > 0; --j) {
        new_junk(ap, rng);
        after_allocation(stack, st);
      }
    }

    if ((st->steps + 1) % collect_every == 0) {
      uint64_t before = checksum_heap(stack, true);
      ck_assert_uint_eq(before, checksum_model(true));
      mps_arena_collect(heap.arena);
      ck_assert_msg(checksum_heap(stack, true) == before,
                    "collection changed the graph at step %lu (seed %" PRIu64 ")",
                    st->steps, seed);
      ++st->explicit_collections;
      st->collections_seen = mps_collections(heap.arena);
      mps_arena_release(heap.arena);
    }
  }
  check_model(stack, st);
  for (size_t i = 0; i < NSTACK; ++i) {
    stack[i] = 0;
    model.stack[i] = 0;
  }
}

START_TEST(single_thread)
{
  Rng rng;
  mps_ap_t ap_ambig;
  void *cold = &cold;
  Stats st;
  unsigned long steps = 50000ul * rng_scale();
  size_t hdr;
  DylanCensus c;
  mps_res_t res;

  seed = rng_seed_from_env("stress/gc_stress single_thread");
  rng_init(&rng, seed);
  hdr = rng_below(&rng, 2) == 0 ? 0 : DYLAN_HEADER_SIZE;
  fprintf(stderr, "single_thread: %lu steps, header %zu\n", steps, hdr);
  memset(&model, 0, sizeof model);
  memset(&st, 0, sizeof st);

  heap_create(hdr);
  (void)gc_world_add_table(&heap, roots, NROOTS);
  gc_world_thread_open(&heap, cold);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_ambig());
    res = mps_ap_create_k(&ap_ambig, heap.ams, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);

  single_thread_run(&rng, heap.ams_ap, ap_ambig, heap.lo_ap, steps, 100, &st);
  fprintf(stderr, "single_thread: %lu explicit collections, %lu in all, %lu model checks, "
          "%lu commit retries\n", st.explicit_collections,
          (unsigned long)mps_collections(heap.arena), st.checks, dylan_commit_failures());
  /* Allocation started collections too, between the explicit ones. */
  ck_assert_uint_ge(mps_collections(heap.arena), st.explicit_collections + 50);

  /* Without the stack root, exactly what the exact roots reach lives. */
  gc_world_thread_close(&heap);
  mps_arena_collect(heap.arena);
  (void)checksum_model(false);
  c = gc_world_census(&heap, heap.ams);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], model.reachable_nodes);
  ck_assert_uint_eq(c.by_class[CLASS_JUNK], 0);
  c = gc_world_census(&heap, heap.lo);
  ck_assert_uint_eq(c.by_class[CLASS_LEAF], model.reachable_leaves);
  ck_assert_uint_eq(checksum_heap(NULL, false), checksum_model(false));

  mps_ap_destroy(ap_ambig);
  gc_world_close(&heap);
  free(model.node);
  free(model.queue);
}
END_TEST

/* ---- Part 2: threads ---------------------------------------------------- */

#define NTHREADS 4
#define TROOTS 16
#define NSHARED 16

static mps_addr_t shared[NSHARED];           /* exact root; under shared_mu */
static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct Worker {
  unsigned index;
  uint64_t seed;
  unsigned long iterations;
  bool collector;             /* also runs mps_arena_collect */
  unsigned long verified, collects;
  const char *failure;
  unsigned long fail_iteration;
  mps_addr_t roots[TROOTS];   /* exact root, this thread's */
  /* traversal: an open-addressing set of addresses */
  mps_word_t *set;
  size_t set_cap;
} Worker;

static bool set_add(Worker *w, mps_word_t a)
{
  size_t mask = w->set_cap - 1;
  size_t i = (size_t)((a >> 3) * 0x9E3779B97F4A7C15u) & mask;
  while (w->set[i] != 0) {
    if (w->set[i] == a)
      return false;
    i = (i + 1) & mask;
  }
  w->set[i] = a;
  return true;
}

/* Checksum of what the worker's roots (and the stack references it
 * passes) reach: ids, payloads, structure. */
static uint64_t worker_checksum(Worker *w, const volatile mps_word_t *stack, size_t n_stack,
                                size_t *count_o)
{
  mps_word_t *queue;
  size_t head = 0, tail = 0, cap = w->set_cap / 2;
  uint64_t h = 7;
  queue = malloc(cap * sizeof *queue);
  if (queue == NULL)
    abort();
  memset(w->set, 0, w->set_cap * sizeof *w->set);
  for (size_t i = 0; i < TROOTS + n_stack; ++i) {
    mps_word_t v = i < TROOTS ? (mps_word_t)w->roots[i] : stack[i - TROOTS];
    if (dylan_is_ref(v) && set_add(w, v)) {
      if (tail == cap)
        abort();
      queue[tail++] = v;
    }
    h = mix(h, dylan_is_ref(v) ? obj_id((mps_addr_t)v) : v);
  }
  while (head < tail) {
    mps_addr_t obj = (mps_addr_t)queue[head++];
    h = mix(h, obj_id(obj));
    h = mix(h, (uint64_t)dylan_int_value(*dylan_slot(obj, 1)));
    for (size_t i = 0; i < dylan_var_len(obj); ++i) {
      mps_word_t v = *dylan_var(obj, i);
      if (dylan_is_ref(v)) {
        h = mix(h, obj_id((mps_addr_t)v));
        if (set_add(w, v)) {
          if (tail == cap)
            abort();
          queue[tail++] = v;
        }
      } else {
        h = mix(h, v);
      }
    }
  }
  free(queue);
  if (count_o != NULL)
    *count_o = tail;
  return h;
}

/* Shared nodes (payload -1) are immutable: never picked for a store. */
static bool is_shared(mps_addr_t obj)
{
  return *dylan_slot(obj, 1) == dylan_int(-1);
}

/* A random node of this worker's own that it can reach now, or NULL. */
static mps_addr_t worker_pick(Worker *w, Rng *rng)
{
  mps_addr_t obj = w->roots[rng_below(rng, TROOTS)];
  if (obj == NULL || is_shared(obj))
    return NULL;
  for (unsigned steps = (unsigned)rng_below(rng, 10); steps > 0; --steps) {
    size_t n = dylan_var_len(obj);
    if (n == 0)
      break;
    mps_word_t v = *dylan_var(obj, rng_below(rng, n));
    if (!dylan_is_ref(v) || is_shared((mps_addr_t)v))
      break;
    obj = (mps_addr_t)v;
  }
  return obj;
}

static mps_word_t worker_value(Worker *w, Rng *rng)
{
  uint64_t r = rng_below(rng, 10);
  if (r < 3)
    return dylan_int((long)rng_below(rng, 100000));
  if (r < 4)
    return 0;
  if (r < 5) {
    mps_addr_t s;
    pthread_mutex_lock(&shared_mu);
    s = shared[rng_below(rng, NSHARED)];
    pthread_mutex_unlock(&shared_mu);
    return (mps_word_t)s;       /* immutable once shared */
  }
  return (mps_word_t)worker_pick(w, rng);
}

#define FAIL(w, it, why) do { (w)->failure = (why); (w)->fail_iteration = (it); goto out; } while (0)

static __attribute__((noinline)) void worker_run(Worker *w, mps_ap_t ap, Rng *rng)
{
  volatile mps_word_t stack[NSTACK];
  uint64_t next_id = ((uint64_t)w->index + 1) << 40;
  unsigned long it;

  for (size_t i = 0; i < NSTACK; ++i)
    stack[i] = 0;
  for (it = 0; it < w->iterations; ++it) {
    /* Mutate: new nodes of reachable values, stores, clears. */
    for (unsigned k = 0; k < 20; ++k) {
      uint64_t r = rng_below(rng, 10);
      if (r < 4) {
        size_t n = (size_t)rng_below(rng, MAX_VAR + 1);
        mps_word_t slots[MAX_VAR];
        for (size_t i = 0; i < n; ++i)
          slots[i] = worker_value(w, rng);
        mps_addr_t obj = new_node(ap, ++next_id, (long)rng_below(rng, 1000), n, slots);
        if (rng_below(rng, 4) == 0) {
          stack[rng_below(rng, NSTACK)] = (mps_word_t)obj;
        } else {
          mps_addr_t into = worker_pick(w, rng);
          if (into != NULL && dylan_var_len(into) > 0 && rng_below(rng, 2) == 0)
            *dylan_var(into, rng_below(rng, dylan_var_len(into))) = (mps_word_t)obj;
          else
            w->roots[rng_below(rng, TROOTS)] = obj;
        }
      } else if (r < 7) {
        mps_addr_t into = worker_pick(w, rng);
        if (into != NULL && dylan_var_len(into) > 0)
          *dylan_var(into, rng_below(rng, dylan_var_len(into))) = worker_value(w, rng);
      } else if (r < 8) {
        w->roots[rng_below(rng, TROOTS)] = NULL;
      } else if (r < 9) {
        /* Share a new immutable node (integers only). */
        mps_word_t slots[3] = {dylan_int(1), dylan_int(2), dylan_int((long)it)};
        mps_addr_t obj = new_node(ap, ++next_id, -1, 3, slots);
        pthread_mutex_lock(&shared_mu);
        shared[rng_below(rng, NSHARED)] = obj;
        pthread_mutex_unlock(&shared_mu);
      } else {
        new_junk(ap, rng);
      }
    }
    /* Checksum, then a burst of allocation that starts collections (in
     * this or other threads), maybe an explicit one, then again. */
    uint64_t before = worker_checksum(w, stack, NSTACK, NULL);
    for (unsigned j = (unsigned)rng_range(rng, 10, 200); j > 0; --j)
      new_junk(ap, rng);
    if (w->collector && it % 8 == 0) {
      mps_arena_collect(heap.arena);
      mps_arena_release(heap.arena);
      ++w->collects;
    }
    if (worker_checksum(w, stack, NSTACK, NULL) != before)
      FAIL(w, it, "subgraph changed across collections");
    ++w->verified;
  }
out:
  for (size_t i = 0; i < NSTACK; ++i)
    stack[i] = 0;
}

static __attribute__((noinline)) void worker_body(Worker *w, void *cold)
{
  mps_thr_t thr;
  mps_root_t stack_root, root;
  mps_ap_t ap;
  Rng rng;

  rng_init(&rng, w->seed);
  w->set_cap = 1u << 18;
  w->set = calloc(w->set_cap, sizeof *w->set);
  if (w->set == NULL)
    abort();
  memset(w->roots, 0, sizeof w->roots);
  if (mps_thread_reg(&thr, heap.arena) != MPS_RES_OK)
    abort();
  if (mps_root_create_thread(&stack_root, heap.arena, thr, cold) != MPS_RES_OK)
    abort();
  if (mps_root_create_table(&root, heap.arena, mps_rank_exact(), 0, w->roots, TROOTS)
      != MPS_RES_OK)
    abort();
  if (mps_ap_create_k(&ap, heap.ams, mps_args_none) != MPS_RES_OK)
    abort();
  worker_run(w, ap, &rng);
  mps_ap_destroy(ap);
  mps_root_destroy(root);
  mps_root_destroy(stack_root);
  mps_thread_dereg(thr);
  free(w->set);
}

static void *worker_main(void *arg)
{
  void *cold = &cold;
  worker_body(arg, cold);
  return NULL;
}

START_TEST(threads)
{
  static Worker workers[NTHREADS];
  pthread_t tids[NTHREADS];
  unsigned long iterations = 400ul * rng_scale();
  mps_word_t c0;
  DylanCensus c;
  size_t distinct = 0;

  seed = rng_seed_from_env("stress/gc_stress threads");
  heap_create(0);
  (void)gc_world_add_table(&heap, shared, NSHARED);
  c0 = mps_collections(heap.arena);
  for (unsigned i = 0; i < NTHREADS; ++i) {
    memset(&workers[i], 0, sizeof workers[i]);
    workers[i].index = i;
    workers[i].seed = seed + i * 7919;
    workers[i].iterations = iterations;
    workers[i].collector = i == 0;
    ck_assert_int_eq(pthread_create(&tids[i], NULL, worker_main, &workers[i]), 0);
  }
  for (unsigned i = 0; i < NTHREADS; ++i) {
    ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
    ck_assert_msg(workers[i].failure == NULL, "worker %u: %s at iteration %lu (seed %"
                  PRIu64 ")", i, workers[i].failure, workers[i].fail_iteration, seed);
    ck_assert_uint_eq(workers[i].verified, iterations);
  }
  fprintf(stderr, "threads: %lu collections (%lu explicit), %lu commit retries\n",
          (unsigned long)(mps_collections(heap.arena) - c0), workers[0].collects,
          dylan_commit_failures());
  ck_assert_uint_gt(mps_collections(heap.arena) - c0, workers[0].collects);

  /* Only the shared table is left: exactly its objects live. */
  mps_arena_collect(heap.arena);
  for (size_t i = 0; i < NSHARED; ++i) {
    bool seen = false;
    for (size_t j = 0; j < i; ++j)
      seen = seen || shared[j] == shared[i];
    if (shared[i] != NULL && !seen) {
      ++distinct;
      ck_assert_int_eq(dylan_int_value(*dylan_slot(shared[i], 1)), -1);
    }
  }
  c = gc_world_census(&heap, heap.ams);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], distinct);
  ck_assert_uint_eq(c.by_class[CLASS_JUNK], 0);

  gc_world_close(&heap);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("stress/gc");
  /* Check's default 4 s is far too little; run-tests multiplies this by
   * the stress scale. */
  TCase *tc = fixture_tcase(s, "gc", NULL, NULL, 120);

  tcase_add_test(tc, single_thread);
  tcase_add_test(tc, threads);
  return fixture_run_suite(s);
}
