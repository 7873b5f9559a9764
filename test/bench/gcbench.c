/* test/bench/gcbench.c -- the Ellis/Kovac/Boehm GCBench binary-tree
 * benchmark: Lagoon AMC and AMS side by side with Boehm GC and
 * malloc/free.
 * Design: manual/bench.rst
 *
 * One source, built several times (tool/bench/run does it):
 *   -DBENCH_LAGOON   links build/hot/libmps.a: amc, ams
 *   -DPEER_BOEHM     links -lgc: boehm
 *   (no flag)        glibc: malloc (each short-lived tree freed explicitly)
 *
 * Usage: gcbench [-q] [-g KIB] [-c CHAIN] [-s SPARE] VARIANT
 * Output (read by tool/bench/run): "info ..." lines, then
 *   metric wall_s X           wall time of the whole workload
 *   metric cpu_s X            process CPU time (every thread) over it
 *   metric peak_rss_kib X     peak resident set size (VmHWM)
 *   metric collections X      collections during the workload
 *   metric pause_total_ms X   sum of the collections' pauses
 *   metric pause_max_ms X     the longest one
 *   checksum HEX              depends only on the sizes
 * Exit status 0 on success, 1 if a tree or the array did not read back
 * what was built (a collector freed or overwrote live data) or, in the
 * Lagoon build, if the format's methods failed their self-test or a walk
 * of the heap after the workload met padding or a forwarding object; 2 on
 * a usage or set-up error. */

#define _GNU_SOURCE 1

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/benchlib.h"

#if defined(BENCH_LAGOON)
#include "mps.h"
#include "mpsavm.h"
#include "mpscamc.h"
#include "mpscams.h"
#include "mpslib.h"          /* mps_clocks_per_sec */
#define BENCH_FLAVOUR "lagoon"
#elif defined(PEER_BOEHM)
#define GC_THREADS 1           /* declares GC_get_parallel */
#include <gc/gc.h>
#define BENCH_FLAVOUR "boehm"
#else
#define BENCH_FLAVOUR "malloc"
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))

const char bench_program[] = "gcbench";


/* Sizes.  The original (Boehm's GCBench.c) has a stretch depth of 18, a
 * long-lived depth of 16, an array of 500,000 doubles and depths 4..16.
 * Here the short-lived depths go up to 20, so the stretch depth is 20 too
 * (with 18 the deepest trees would get no iteration): the number of
 * iterations at depth d is 2 * tree_size(stretch) / tree_size(d), 2 at
 * depth 20, so every depth allocates about 8.4 million nodes. */

/* A Lagoon generation chain: mps_chain_create's parameters. */
#define CHAIN_GENS_MAX 4

typedef struct ChainSpec {
  size_t count;
  struct { size_t capacity_kib; double mortality; } gens[CHAIN_GENS_MAX];
} ChainSpec;

typedef struct Sizes {
  int stretch_depth;      /* the stretch tree, built first and dropped */
  int long_lived_depth;   /* the tree that lives to the end */
  size_t array_length;    /* the long-lived array of doubles */
  int min_depth, max_depth; /* short-lived trees, every second depth */
  ChainSpec ams_chain;    /* Lagoon ams: one generation */
  ChainSpec amc_chain;    /* Lagoon amc: a nursery and older generations */
  double spare;           /* Lagoon: MPS_KEY_SPARE, or < 0 for the default */
} Sizes;

/* The chains (manual/bench.rst says why these and what else was tried):
 * ams: one generation of 32 MiB, so every collection is a full
 *   mark-sweep, after 32 MiB of allocation;
 * amc: a 16 MiB nursery, in which trees up to depth 16 (3 MiB) mostly
 *   die, and a 32 MiB generation that takes the survivors (the
 *   long-lived data and the parts of bigger trees that were live at a
 *   nursery collection) and is collected, with the nursery, after 32 MiB
 *   have been copied into it.  Its survivors stay in it.  Lagoon keeps
 *   the mortalities but does not use them yet. */
#define AMC_CHAIN_FULL {2, {{16384, 0.9}, {32768, 0.5}}}
#define AMC_CHAIN_QUICK {2, {{256, 0.9}, {1024, 0.5}}}
static const Sizes sizes_full = {
  20, 16, 500000, 4, 20,
  {1, {{32768, 0.85}}},
  AMC_CHAIN_FULL,
  -1.0
};
/* quick: under 0.1 s for each variant; the smaller generations make
 * both collectors collect often, some of the time in the middle of a
 * tree */
static const Sizes sizes_quick = {
  14, 10, 50000, 4, 14,
  {1, {{1024, 0.85}}},
  AMC_CHAIN_QUICK,
  -1.0
};

static uint64_t tree_size(int depth)
{
  return ((uint64_t)1 << (depth + 1)) - 1;
}

static uint64_t num_iters(const Sizes *s, int depth)
{
  return 2 * tree_size(s->stretch_depth) / tree_size(depth);
}


/* Objects.  A node is the original's: two children and two ints (here i
 * is the node's height, 0 for a leaf, and j a tag per tree, so that a
 * walk notices a node that a collector freed and handed out again).  The
 * array is a header word then the doubles.
 *
 * Lagoon's format tells every block apart by the low three bits of its
 * first word (every block is 8-aligned, so an address has them 0):
 *   000  a node: the first word is its left child, NULL or an address;
 *   001  an array: (length << 3) | 1, then the doubles;
 *   011  padding: (size << 3) | 3, then size - 8 bytes of anything, so
 *        a one-word pad is that word alone;
 *   010  a forwarding object of two words or more: (new address) | 2,
 *        then its size (a node, an array of one double or more);
 *   100  a forwarding object of one word: (new address) | 4 (an empty
 *        array).
 * Nodes thus need no header; the array is a leaf that the scanner
 * steps over, as it steps over padding and forwarding objects. */

typedef struct Node {
  struct Node *left, *right;
  int i, j;
} Node;

typedef struct Array {
  uintptr_t header;       /* (length << 3) | TAG_ARRAY */
  double d[];
} Array;

_Static_assert(sizeof(Node) == 3 * sizeof(void *), "a node is 3 words");
_Static_assert(sizeof(double) == sizeof(uintptr_t), "doubles are words");

enum {
  TAG_MASK = 7, TAG_SHIFT = 3,
  TAG_NODE = 0, TAG_ARRAY = 1, TAG_PAD = 3, TAG_FWD = 2, TAG_FWD1 = 4
};

static ALWAYS_INLINE size_t array_bytes(size_t length)
{
  return sizeof(Array) + length * sizeof(double);
}

static ALWAYS_INLINE uintptr_t array_header(size_t length)
{
  return ((uintptr_t)length << TAG_SHIFT) | TAG_ARRAY;
}


/* Variants. */

typedef enum Kind {
  KIND_MALLOC,   /* malloc, and free of every tree once it has been walked */
  KIND_BOEHM,    /* GC_MALLOC nodes, GC_MALLOC_ATOMIC array */
  KIND_AMS,      /* mps_reserve / mps_commit on an AMS pool */
  KIND_AMC       /* mps_reserve / mps_commit on an AMC pool */
} Kind;

/* unused in the Boehm and malloc builds */
static inline __attribute__((unused)) bool kind_is_lagoon(Kind kind)
{
  return kind == KIND_AMS || kind == KIND_AMC;
}

static const BenchVariant variants[] = {
  {"amc", "lagoon", KIND_AMC},
  {"ams", "lagoon", KIND_AMS},
  {"boehm", "boehm", KIND_BOEHM},
  {"malloc", "malloc", KIND_MALLOC},
};

/* Collection statistics, gathered differently per variant. */
typedef struct Pauses {
  uint64_t count;           /* pauses measured */
  double total_ms, max_ms;
} Pauses;

static __attribute__((unused)) void pauses_add(Pauses *p, double ms)
{
  ++p->count;
  p->total_ms += ms;
  if (ms > p->max_ms)
    p->max_ms = ms;
}

typedef struct Bench {
  Kind kind;
  const Sizes *sizes;
  Pauses pauses;
#ifdef BENCH_LAGOON
  const ChainSpec *chain_spec;
  mps_arena_t arena;
  mps_chain_t chain;
  mps_fmt_t fmt;
  mps_pool_t pool;
  mps_ap_t ap;
  mps_thr_t thread;
  mps_root_t stack_root;
  uint64_t format_bad;      /* failures of format_selftest */
  bool gc_started;          /* a gc_start message awaits its gc message */
  mps_clock_t gc_start_clock;
  uint64_t gc_messages;
  uint64_t condemned, live; /* bytes, summed over the gc messages */
#endif
} Bench;


#ifdef BENCH_LAGOON

/* The format (see "Objects" above).  The scanner fixes the children of
 * nodes and steps over everything else. */

static ALWAYS_INLINE uintptr_t first_word(const void *p)
{
  uintptr_t first;
  memcpy(&first, p, sizeof first);
  return first;
}

static ALWAYS_INLINE size_t obj_size(const void *p)
{
  uintptr_t first = first_word(p);
  switch (first & TAG_MASK) {
  case TAG_NODE: return sizeof(Node);
  case TAG_ARRAY: return array_bytes(first >> TAG_SHIFT);
  case TAG_PAD: return first >> TAG_SHIFT;
  case TAG_FWD: return first_word((const uintptr_t *)p + 1);
  case TAG_FWD1: return sizeof(uintptr_t);
  default: break;
  }
  fprintf(stderr, "gcbench: bad object word %#" PRIxPTR " at %p\n", first, p);
  abort();
}

static mps_res_t obj_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  MPS_SCAN_BEGIN(ss) {
    char *p = base;
    while (p < (char *)limit) {
      if ((first_word(p) & TAG_MASK) != TAG_NODE) {
        p += obj_size(p);
        continue;
      }
      Node *node = (Node *)(void *)p;
      mps_addr_t ref = node->left;
      if (MPS_FIX1(ss, ref)) {
        mps_res_t res = MPS_FIX2(ss, &ref);
        if (res != MPS_RES_OK)
          return res;
        node->left = ref;
      }
      ref = node->right;
      if (MPS_FIX1(ss, ref)) {
        mps_res_t res = MPS_FIX2(ss, &ref);
        if (res != MPS_RES_OK)
          return res;
        node->right = ref;
      }
      p += sizeof(Node);
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}

static mps_addr_t obj_skip(mps_addr_t p)
{
  return (char *)p + obj_size(p);
}

/* The size stays readable: a forwarding object skips as the object did. */
static void obj_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  size_t size = obj_size(old);
  uintptr_t words[2] = {(uintptr_t)new_addr | TAG_FWD, size};

  if (size == sizeof(uintptr_t)) {
    words[0] = (uintptr_t)new_addr | TAG_FWD1;
    memcpy(old, words, sizeof words[0]);
  } else {
    memcpy(old, words, sizeof words);
  }
}

static mps_addr_t obj_isfwd(mps_addr_t p)
{
  uintptr_t first = first_word(p);
  uintptr_t tag = first & TAG_MASK;
  if (tag == TAG_FWD || tag == TAG_FWD1)
    return (mps_addr_t)(first & ~(uintptr_t)TAG_MASK);
  return NULL;
}

/* One word or more: the size is in the first word either way. */
static void obj_pad(mps_addr_t p, size_t size)
{
  uintptr_t header = ((uintptr_t)size << TAG_SHIFT) | TAG_PAD;
  memcpy(p, &header, sizeof header);
}

/* format_selftest -- the methods on blocks the workload seldom makes:
 * one-word and longer pads, forwarding objects of a node and of arrays
 * of one word and more, each followed by a node that must stay intact.
 * Returns the number of failures (each counts as a wrong answer). */
static uint64_t format_selftest(void)
{
  static const size_t pad_sizes[] = {8, 16, 24, 4096};
  static const size_t array_lengths[] = {0, 1, 2, 100};
  uintptr_t block[520], target[520];
  uint64_t bad = 0;

  for (size_t i = 0; i < sizeof pad_sizes / sizeof pad_sizes[0]; ++i) {
    size_t size = pad_sizes[i];
    memset(block, 0xA5, sizeof block);
    obj_pad(block, size);
    bad += obj_skip(block) != (char *)block + size;
    bad += obj_isfwd(block) != NULL;
  }
  for (size_t i = 0; i <= sizeof array_lengths / sizeof array_lengths[0]; ++i) {
    /* the last round forwards a node */
    bool node = i == sizeof array_lengths / sizeof array_lengths[0];
    size_t size = node ? sizeof(Node) : array_bytes(array_lengths[i]);
    Node after = {NULL, NULL, 7, 11};
    memset(block, 0, sizeof block);
    block[0] = node ? 0 : array_header(array_lengths[i]);
    memcpy((char *)block + size, &after, sizeof after);
    bad += obj_skip(block) != (char *)block + size;
    bad += obj_isfwd(block) != NULL;
    obj_fwd(block, target);
    bad += obj_isfwd(block) != (mps_addr_t)target;
    bad += obj_skip(block) != (char *)block + size;
    bad += memcmp((char *)block + size, &after, sizeof after) != 0;
  }
  return bad;
}

static void bench_setup(Bench *b, void *cold)
{
  const ChainSpec *spec = b->chain_spec;
  mps_gen_param_s gens[CHAIN_GENS_MAX];
  mps_res_t res;

  b->format_bad = format_selftest();
  /* The arena's defaults, as a runtime would start (-s sets the spare
   * fraction, to measure what keeping freed memory committed saves). */
  MPS_ARGS_BEGIN(args) {
    if (b->sizes->spare >= 0.0)
      MPS_ARGS_ADD(args, MPS_KEY_SPARE, b->sizes->spare);
    res = mps_arena_create_k(&b->arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  bench_check_res(res, "mps_arena_create_k");
  /* ams: one generation, so every collection is a full mark-sweep of
   * the pool, started when that much has been allocated since the last
   * one.  amc: a nursery and older generations (manual/bench.rst). */
  for (size_t g = 0; g < spec->count; ++g) {
    gens[g].mps_capacity = spec->gens[g].capacity_kib;
    gens[g].mps_mortality = spec->gens[g].mortality;
  }
  res = mps_chain_create(&b->chain, b->arena, spec->count, gens);
  bench_check_res(res, "mps_chain_create");
  /* One format for both pools (AMS needs no fwd and isfwd; AMC does). */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, sizeof(void *));
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, obj_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, obj_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, obj_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, obj_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, obj_pad);
    res = mps_fmt_create_k(&b->fmt, b->arena, args);
  } MPS_ARGS_END(args);
  bench_check_res(res, "mps_fmt_create_k");
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, b->fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, b->chain);
    MPS_ARGS_ADD(args, MPS_KEY_GEN, 0);
    if (b->kind == KIND_AMS) {
      /* the stack root refers into the pool ambiguously (the default;
       * the allocation point below is exact all the same) */
      MPS_ARGS_ADD(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, 1);
      res = mps_pool_create_k(&b->pool, b->arena, mps_class_ams(), args);
    } else {
      /* AMC's defaults: interior pointers pin (the stack root is
       * ambiguous), 64 KiB segments, objects of 32 KiB or more (the
       * array) in segments of their own, never copied. */
      res = mps_pool_create_k(&b->pool, b->arena, mps_class_amc(), args);
    }
  } MPS_ARGS_END(args);
  bench_check_res(res, b->kind == KIND_AMS ? "mps_pool_create_k(AMS)"
                  : "mps_pool_create_k(AMC)");
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_exact());
    res = mps_ap_create_k(&b->ap, b->pool, args);
  } MPS_ARGS_END(args);
  bench_check_res(res, "mps_ap_create_k");
  /* The roots: this thread's stack and registers, ambiguously, from the
   * frame of main down, as a runtime registers its main thread. */
  res = mps_thread_reg(&b->thread, b->arena);
  bench_check_res(res, "mps_thread_reg");
  res = mps_root_create_thread(&b->stack_root, b->arena, b->thread, cold);
  bench_check_res(res, "mps_root_create_thread");
  mps_message_type_enable(b->arena, mps_message_type_gc_start());
  mps_message_type_enable(b->arena, mps_message_type_gc());
}

/* bench_poll -- take the GC messages off the queue, in order.  A
 * collection is stop-the-world from before its gc_start message to after
 * its gc message, so the difference of their clocks is its pause (less
 * the condemn phase, which comes before the start message). */
static void bench_poll(Bench *b)
{
  mps_message_type_t type;
  mps_message_t msg;
  double per_ms = 1000.0 / (double)mps_clocks_per_sec();

  if (!kind_is_lagoon(b->kind))
    return;
  while (mps_message_queue_type(&type, b->arena)) {
    if (!mps_message_get(&msg, b->arena, type))
      bench_die("mps_message_get found no message of the queued type");
    if (type == mps_message_type_gc_start()) {
      if (b->gc_started)
        bench_die("two gc_start messages without a gc message");
      b->gc_started = true;
      b->gc_start_clock = mps_message_clock(b->arena, msg);
    } else if (type == mps_message_type_gc()) {
      mps_clock_t end = mps_message_clock(b->arena, msg);
      if (!b->gc_started || end < b->gc_start_clock)
        bench_die("a gc message without its gc_start message");
      b->gc_started = false;
      pauses_add(&b->pauses, (double)(end - b->gc_start_clock) * per_ms);
      ++b->gc_messages;
      b->condemned += mps_message_gc_condemned_size(b->arena, msg);
      b->live += mps_message_gc_live_size(b->arena, msg);
    }
    mps_message_discard(b->arena, msg);
  }
}

static uint64_t bench_collections(Bench *b)
{
  return kind_is_lagoon(b->kind) ? (uint64_t)mps_collections(b->arena) : 0;
}

/* After the workload (not timed): the pool must be parseable, and a walk
 * must meet only nodes and the array, never padding nor a forwarding
 * object.  Returns the number of other blocks met (the format's test
 * failures included). */
typedef struct HeapCount {
  uint64_t nodes, arrays, other;
} HeapCount;

static void heap_count_step(mps_addr_t addr, mps_fmt_t fmt, mps_pool_t pool,
                            void *p, size_t s)
{
  HeapCount *count = p;
  uintptr_t tag = first_word(addr) & TAG_MASK;
  (void)fmt;
  (void)pool;
  (void)s;
  if (tag == TAG_NODE)
    ++count->nodes;
  else if (tag == TAG_ARRAY)
    ++count->arrays;
  else
    ++count->other;
}

static uint64_t bench_check_heap(Bench *b)
{
  HeapCount count = {0, 0, 0};
  mps_arena_park(b->arena);
  mps_arena_formatted_objects_walk(b->arena, heap_count_step, &count, 0);
  printf("info heap walk: %" PRIu64 " nodes, %" PRIu64 " arrays, %" PRIu64
         " other blocks (must be 0)\n", count.nodes, count.arrays, count.other);
  return count.other + b->format_bad;
}

static void bench_teardown(Bench *b)
{
  mps_arena_park(b->arena);
  bench_poll(b);
  mps_root_destroy(b->stack_root);
  mps_thread_dereg(b->thread);
  mps_ap_destroy(b->ap);
  mps_pool_destroy(b->pool);
  mps_fmt_destroy(b->fmt);
  mps_chain_destroy(b->chain);
  mps_arena_destroy(b->arena);
}

#elif defined(PEER_BOEHM)

/* Boehm GC calls this at the start and end of every collection, with its
 * lock held: the difference is the pause (marking is stop-the-world, and
 * sweeping is lazy, done during later allocations). */
static Pauses boehm_pauses;
static struct timespec boehm_start;
static bool boehm_started;

static void boehm_event(GC_EventType event)
{
  struct timespec now;
  if (event == GC_EVENT_START) {
    clock_gettime(CLOCK_MONOTONIC, &boehm_start);
    boehm_started = true;
  } else if (event == GC_EVENT_END && boehm_started) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    boehm_started = false;
    pauses_add(&boehm_pauses,
               (double)(now.tv_sec - boehm_start.tv_sec) * 1e3
               + (double)(now.tv_nsec - boehm_start.tv_nsec) * 1e-6);
  }
}

static void bench_setup(Bench *b, void *cold)
{
  (void)cold;
  if (b->kind != KIND_BOEHM)
    bench_die("this build has only the boehm variant");
  GC_INIT();
  GC_set_on_collection_event(boehm_event);
}

static void bench_poll(Bench *b)
{
  b->pauses = boehm_pauses;
}

static uint64_t bench_collections(Bench *b)
{
  (void)b;
  return (uint64_t)GC_get_gc_no();
}

static uint64_t bench_check_heap(Bench *b)
{
  (void)b;
  return 0;
}

static void bench_teardown(Bench *b)
{
  (void)b;
  printf("info boehm: version %u.%u.%u, %d parallel markers, heap %zu KiB, "
         "full collection time %lu ms\n",
         GC_get_version() >> 16, (GC_get_version() >> 8) & 0xFF,
         GC_get_version() & 0xFF, GC_get_parallel(), GC_get_heap_size() >> 10,
         GC_get_full_gc_total_time());
}

#else /* malloc */

static void bench_setup(Bench *b, void *cold)
{
  (void)cold;
  if (b->kind != KIND_MALLOC)
    bench_die("this build has only the malloc variant");
}

static void bench_poll(Bench *b)
{
  (void)b;
}

static uint64_t bench_collections(Bench *b)
{
  (void)b;
  return 0;
}

static uint64_t bench_check_heap(Bench *b)
{
  (void)b;
  return 0;
}

static void bench_teardown(Bench *b)
{
  (void)b;
}

#endif


/* Allocation.  Called with a constant kind from the per-kind tree
 * builders below, so each variant's loops hold only its own allocation
 * path (the allocation point's fast path expands in place). */

static ALWAYS_INLINE Node *node_new(Bench *b, Kind kind, Node *left,
                                    Node *right, int height, int tag)
{
  Node *node;
  switch (kind) {
#ifdef BENCH_LAGOON
  case KIND_AMS:
  case KIND_AMC: {
    /* the block is initialized between reserve and commit, and built
     * again if a collection came in between (commit fails) */
    mps_addr_t p;
    do {
      mps_res_t res = mps_reserve(&p, b->ap, sizeof(Node));
      if (res != MPS_RES_OK)
        bench_check_res(res, "mps_reserve");
      node = p;
      node->left = left;
      node->right = right;
      node->i = height;
      node->j = tag;
    } while (!mps_commit(b->ap, p, sizeof(Node)));
    return node;
  }
#endif
#ifdef PEER_BOEHM
  case KIND_BOEHM:
    node = GC_MALLOC(sizeof(Node));
    break;
#endif
  case KIND_MALLOC:
    node = malloc(sizeof(Node));
    break;
  default:
    (void)b;
    bench_die("variant not in this build");
  }
  if (node == NULL)
    bench_die("out of memory");
  node->left = left;
  node->right = right;
  node->i = height;
  node->j = tag;
  return node;
}

static Array *array_new(Bench *b, size_t length)
{
  size_t size = array_bytes(length);
  Array *array;
  switch (b->kind) {
#ifdef BENCH_LAGOON
  case KIND_AMS:
  case KIND_AMC: {
    mps_addr_t p;
    do {
      mps_res_t res = mps_reserve(&p, b->ap, size);
      if (res != MPS_RES_OK)
        bench_check_res(res, "mps_reserve");
      array = p;
      array->header = array_header(length);
    } while (!mps_commit(b->ap, p, size));
    break;
  }
#endif
#ifdef PEER_BOEHM
  case KIND_BOEHM:
    array = GC_MALLOC_ATOMIC(size);
    break;
#endif
  case KIND_MALLOC:
    array = malloc(size);
    break;
  default:
    bench_die("variant not in this build");
  }
  if (array == NULL)
    bench_die("out of memory");
  array->header = array_header(length);
  return array;
}


/* The trees. */

/* populate_KIND -- build the tree under node top down: allocate both
 * children (empty), store them in node, then fill each.
 * make_tree_KIND -- build a tree bottom up: the children first.
 * One copy of each per kind, with that kind's allocation path inlined. */
#define TREE_FUNCTIONS(suffix, kind) \
  static __attribute__((noinline)) void populate_##suffix( \
      Bench *b, int height, Node *node, int tag) \
  { \
    if (height <= 0) \
      return; \
    --height; \
    node->left = node_new(b, kind, NULL, NULL, height, tag); \
    node->right = node_new(b, kind, NULL, NULL, height, tag); \
    populate_##suffix(b, height, node->left, tag); \
    populate_##suffix(b, height, node->right, tag); \
  } \
  static __attribute__((noinline)) Node *make_tree_##suffix( \
      Bench *b, int height, int tag) \
  { \
    if (height <= 0) \
      return node_new(b, kind, NULL, NULL, 0, tag); \
    Node *left = make_tree_##suffix(b, height - 1, tag); \
    Node *right = make_tree_##suffix(b, height - 1, tag); \
    return node_new(b, kind, left, right, height, tag); \
  }

TREE_FUNCTIONS(malloc, KIND_MALLOC)
#ifdef BENCH_LAGOON
TREE_FUNCTIONS(ams, KIND_AMS)
TREE_FUNCTIONS(amc, KIND_AMC)
#endif
#ifdef PEER_BOEHM
TREE_FUNCTIONS(boehm, KIND_BOEHM)
#endif

static void tree_populate(Bench *b, int height, Node *node, int tag)
{
  switch (b->kind) {
  case KIND_MALLOC: populate_malloc(b, height, node, tag); return;
#ifdef BENCH_LAGOON
  case KIND_AMS: populate_ams(b, height, node, tag); return;
  case KIND_AMC: populate_amc(b, height, node, tag); return;
#endif
#ifdef PEER_BOEHM
  case KIND_BOEHM: populate_boehm(b, height, node, tag); return;
#endif
  default: bench_die("variant not in this build");
  }
}

static Node *tree_make(Bench *b, int height, int tag)
{
  switch (b->kind) {
  case KIND_MALLOC: return make_tree_malloc(b, height, tag);
#ifdef BENCH_LAGOON
  case KIND_AMS: return make_tree_ams(b, height, tag);
  case KIND_AMC: return make_tree_amc(b, height, tag);
#endif
#ifdef PEER_BOEHM
  case KIND_BOEHM: return make_tree_boehm(b, height, tag);
#endif
  default: bench_die("variant not in this build");
  }
}

static Node *tree_new_top_down(Bench *b, int height, int tag)
{
  Node *root;
  switch (b->kind) {
  case KIND_MALLOC: root = node_new(b, KIND_MALLOC, NULL, NULL, height, tag); break;
#ifdef BENCH_LAGOON
  case KIND_AMS: root = node_new(b, KIND_AMS, NULL, NULL, height, tag); break;
  case KIND_AMC: root = node_new(b, KIND_AMC, NULL, NULL, height, tag); break;
#endif
#ifdef PEER_BOEHM
  case KIND_BOEHM: root = node_new(b, KIND_BOEHM, NULL, NULL, height, tag); break;
#endif
  default: bench_die("variant not in this build");
  }
  tree_populate(b, height, root, tag);
  return root;
}

/* tree_walk -- count the nodes of a tree of the given height, checking
 * that every node holds what was written: its height, the tree's tag, two
 * children or none. */
static uint64_t tree_walk(const Node *node, int height, int tag, uint64_t *bad)
{
  if (node->i != height || node->j != tag
      || (height == 0) != (node->left == NULL)
      || (height == 0) != (node->right == NULL)) {
    ++*bad;
    return 1;
  }
  if (height == 0)
    return 1;
  return 1 + tree_walk(node->left, height - 1, tag, bad)
           + tree_walk(node->right, height - 1, tag, bad);
}

static void tree_free(Node *node)
{
  if (node->left != NULL)
    tree_free(node->left);
  if (node->right != NULL)
    tree_free(node->right);
  free(node);
}


/* The workload. */

typedef struct Result {
  uint64_t checksum;
  uint64_t nodes;       /* allocated */
  uint64_t trees;       /* short-lived trees */
  uint64_t bad;         /* nodes, trees or array entries that were wrong */
  double wall_s, cpu_s;
  uint64_t collections;
} Result;

/* tree_once -- build a tree of the given height (top down or bottom
 * up), walk it, fold its node count, and drop it (free it if the
 * variant frees).  The tree's address lives only in this call's frame
 * and those below it. */
static __attribute__((noinline)) void tree_once(Bench *b, Result *r, int height,
                                                int tag, bool top_down)
{
  Node *tree = top_down ? tree_new_top_down(b, height, tag)
                        : tree_make(b, height, tag);
  uint64_t count = tree_walk(tree, height, tag, &r->bad);
  if (count != tree_size(height))
    ++r->bad;
  bench_fold(&r->checksum, ((uint64_t)height << 56) ^ count);
  r->nodes += tree_size(height);
  if (b->kind == KIND_MALLOC)
    tree_free(tree);
}

/* stack_scrub -- clear the dead stack below the caller's frame.  A tree
 * built, walked and dropped by tree_once leaves copies of its nodes'
 * addresses in the dead frames of that call; the frames of the next
 * tree's build reuse those addresses, and a slot they do not happen to
 * write stays as it was.  Both collectors scan the stack
 * conservatively, so such a slot would keep the dropped tree (48 MiB at
 * depth 20) alive through the collections of the next one, and which
 * slots survive depends on the compiler's frame layout.  Every variant
 * scrubs alike after each tree of depth SCRUB_MIN_DEPTH or more (Boehm
 * GC also clears the stack itself, GC_clear_stack). */
#define SCRUB_BYTES 16384
#define SCRUB_MIN_DEPTH 10    /* smaller trees cost little if kept */

static __attribute__((noinline)) void stack_scrub(void)
{
  char dead[SCRUB_BYTES];
  memset(dead, 0, sizeof dead);
  __asm__ volatile("" : : "r"(dead) : "memory");
}

/* tree_done -- tree_once, then scrub the stack it used. */
static ALWAYS_INLINE void tree_done(Bench *b, Result *r, int height, int tag,
                                    bool top_down)
{
  tree_once(b, r, height, tag, top_down);
  if (height >= SCRUB_MIN_DEPTH)
    stack_scrub();
}

static __attribute__((noinline)) void workload_run(Bench *b, Result *r)
{
  const Sizes *s = b->sizes;
  double wall0, cpu0;
  int tag = 0;
  Node *long_lived;
  Array *array;
  uint64_t collections0 = bench_collections(b);

  r->checksum = BENCH_FOLD_BASIS;
  wall0 = bench_clock_seconds(CLOCK_MONOTONIC);
  cpu0 = bench_clock_seconds(CLOCK_PROCESS_CPUTIME_ID);

  /* Stretch the heap with a big temporary tree. */
  ++tag;
  tree_done(b, r, s->stretch_depth, tag, false);
  bench_poll(b);

  /* The long-lived data: a tree built top down, and the array. */
  int long_tag = ++tag;
  long_lived = tree_new_top_down(b, s->long_lived_depth, long_tag);
  r->nodes += tree_size(s->long_lived_depth);
  array = array_new(b, s->array_length);
  for (size_t i = 0; i < s->array_length / 2; ++i)
    array->d[i] = 1.0 / (double)(i + 1);

  for (int depth = s->min_depth; depth <= s->max_depth; depth += 2) {
    uint64_t iters = num_iters(s, depth);
    for (uint64_t k = 0; k < iters; ++k) {
      ++tag;
      tree_done(b, r, depth, tag, true);
    }
    bench_poll(b);
    for (uint64_t k = 0; k < iters; ++k) {
      ++tag;
      tree_done(b, r, depth, tag, false);
    }
    bench_poll(b);
    r->trees += 2 * iters;
  }

  /* The long-lived data must have survived intact (the original checks
   * one element; the walk and the whole array cost little). */
  bench_fold(&r->checksum,
             tree_walk(long_lived, s->long_lived_depth, long_tag, &r->bad));
  if (array->header != array_header(s->array_length))
    ++r->bad;
  for (size_t i = 0; i < s->array_length / 2; ++i)
    if (array->d[i] != 1.0 / (double)(i + 1))
      ++r->bad;
  bench_fold(&r->checksum, s->array_length);

  r->wall_s = bench_clock_seconds(CLOCK_MONOTONIC) - wall0;
  r->cpu_s = bench_clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  bench_poll(b);
  r->collections = bench_collections(b) - collections0;

  if (b->kind == KIND_MALLOC) {
    tree_free(long_lived);
    free(array);
  }
}


static void chain_print(FILE *f, const ChainSpec *spec)
{
  for (size_t g = 0; g < spec->count; ++g)
    fprintf(f, "%s%zu/%.2f", g == 0 ? "" : ",", spec->gens[g].capacity_kib,
            spec->gens[g].mortality);
}

static _Noreturn void usage(void)
{
  fputs("usage: gcbench [-q] [-g KIB] [-c CHAIN] [-s SPARE] VARIANT\n",
        stderr);
  bench_variants_print(stderr, variants, sizeof variants / sizeof variants[0],
                       BENCH_FLAVOUR);
  fprintf(stderr, "\n  -q: quick sizes (smoke test)\n"
          "  -c CHAIN: Lagoon's generation chain, KIB[/MORTALITY] per "
          "generation,\n    comma-separated (at most %d); defaults: ams ",
          CHAIN_GENS_MAX);
  chain_print(stderr, &sizes_full.ams_chain);
  fprintf(stderr, " (quick ");
  chain_print(stderr, &sizes_quick.ams_chain);
  fprintf(stderr, "), amc ");
  chain_print(stderr, &sizes_full.amc_chain);
  fprintf(stderr, " (quick ");
  chain_print(stderr, &sizes_quick.amc_chain);
  fprintf(stderr, ")\n  -g KIB: the capacity of the chain's first generation\n"
          "  -s SPARE: Lagoon's arena spare fraction, 0 to 1 (default: the "
          "arena's)\n");
  exit(2);
}

/* chain_parse -- "KIB[/MORTALITY],..." into spec; false if malformed.
 * A mortality left out is 0.5. */
static bool chain_parse(ChainSpec *spec, const char *text)
{
  ChainSpec out = {0, {{0, 0.0}}};
  const char *p = text;

  for (;;) {
    char *end;
    unsigned long long kib;
    double mortality = 0.5;
    if (out.count == CHAIN_GENS_MAX || *p < '0' || *p > '9')
      return false;
    kib = strtoull(p, &end, 10);
    if (kib == 0)
      return false;
    p = end;
    if (*p == '/') {
      mortality = strtod(p + 1, &end);
      if (end == p + 1 || !(mortality >= 0.0 && mortality <= 1.0))
        return false;
      p = end;
    }
    out.gens[out.count].capacity_kib = (size_t)kib;
    out.gens[out.count].mortality = mortality;
    ++out.count;
    if (*p == '\0')
      break;
    if (*p != ',')
      return false;
    ++p;
  }
  *spec = out;
  return true;
}

/* run -- everything that allocates, in a frame below main's, so that the
 * thread root's cold end (in main) is above every reference. */
static __attribute__((noinline)) int run(const BenchVariant *variant,
                                         const Sizes *sizes, void *cold)
{
  Bench bench;
  Result result;
  long rss_kib;

  memset(&bench, 0, sizeof bench);
  memset(&result, 0, sizeof result);
  bench.kind = variant->kind;
  bench.sizes = sizes;
#ifdef BENCH_LAGOON
  bench.chain_spec = variant->kind == KIND_AMC ? &sizes->amc_chain
                                               : &sizes->ams_chain;
#endif

  printf("info variant=%s stretch_depth=%d long_lived_depth=%d "
         "array_length=%zu depths=%d..%d node_bytes=%zu\n",
         variant->name, sizes->stretch_depth, sizes->long_lived_depth,
         sizes->array_length, sizes->min_depth, sizes->max_depth,
         sizeof(Node));
  bench_setup(&bench, cold);
  workload_run(&bench, &result);
  rss_kib = bench_peak_rss_kib();
  result.bad += bench_check_heap(&bench);
#ifdef BENCH_LAGOON
  printf("info %s: chain KiB/mortality ", variant->name);
  chain_print(stdout, bench.chain_spec);
  if (sizes->spare >= 0.0)
    printf(", arena spare fraction %.2f", sizes->spare);
  printf(", %" PRIu64 " gc messages, condemned %" PRIu64 " MiB, "
         "survived %" PRIu64 " MiB in all\n",
         bench.gc_messages, bench.condemned >> 20, bench.live >> 20);
#endif
  bench_teardown(&bench);

  printf("info %" PRIu64 " short-lived trees, %" PRIu64 " nodes allocated, "
         "%" PRIu64 " pauses measured\n",
         result.trees, result.nodes, bench.pauses.count);
  printf("metric wall_s %.4f\n", result.wall_s);
  printf("metric cpu_s %.4f\n", result.cpu_s);
  printf("metric peak_rss_kib %ld\n", rss_kib);
  printf("metric collections %" PRIu64 "\n", result.collections);
  printf("metric pause_total_ms %.3f\n", bench.pauses.total_ms);
  printf("metric pause_max_ms %.3f\n", bench.pauses.max_ms);
  printf("checksum %016" PRIx64 "\n", result.checksum);
  if (result.bad != 0) {
    fprintf(stderr, "gcbench: %s: %" PRIu64 " nodes, trees or array "
            "entries did not read back what was built, or blocks of the "
            "heap or format methods were wrong\n",
            variant->name, result.bad);
    return 1;
  }
  return 0;
}

int main(int argc, char *argv[])
{
  void *cold = __builtin_frame_address(0);
  const BenchVariant *variant;
  Sizes sizes = sizes_full;
  const char *chain = NULL;
  size_t capacity_kib = 0;
  double spare = -1.0;
  int opt;

  while ((opt = getopt(argc, argv, "qg:c:s:")) != -1) {
    switch (opt) {
    case 'q': sizes = sizes_quick; break;
    case 'g': {
      char *end;
      unsigned long long v = strtoull(optarg, &end, 0);
      if (*optarg == '\0' || *end != '\0' || v == 0)
        usage();
      capacity_kib = (size_t)v;
      break;
    }
    case 'c': chain = optarg; break;
    case 's': {
      char *end;
      spare = strtod(optarg, &end);
      if (*optarg == '\0' || *end != '\0' || !(spare >= 0.0 && spare <= 1.0))
        usage();
      break;
    }
    default: usage();
    }
  }
  if (argc - optind != 1)
    usage();
  /* -c and -g apply to both Lagoon variants' chains, after -q */
  if (chain != NULL && (!chain_parse(&sizes.ams_chain, chain)
                        || !chain_parse(&sizes.amc_chain, chain)))
    usage();
  if (capacity_kib != 0) {
    sizes.ams_chain.gens[0].capacity_kib = capacity_kib;
    sizes.amc_chain.gens[0].capacity_kib = capacity_kib;
  }
  sizes.spare = spare;
  variant = bench_variant_find(variants, sizeof variants / sizeof variants[0],
                               argv[optind], BENCH_FLAVOUR);
  if (variant == NULL)
    usage();
  return run(variant, &sizes, cold);
}
