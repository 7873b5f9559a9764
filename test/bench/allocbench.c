/* test/bench/allocbench.c -- manual allocation benchmark: Lagoon's manual
 * pools side by side with malloc peers.  Design: manual/bench.rst
 *
 * One source, built several times (tool/bench/run does it):
 *   -DBENCH_LAGOON   links build/hot/libmps.a: mvff mvff-ap mfs sac mvt
 *   (no flag)        glibc: malloc
 *   -DPEER_MIMALLOC  links -lmimalloc, which replaces malloc: mimalloc
 *   -DPEER_JEMALLOC  links -ljemalloc, which replaces malloc: jemalloc
 * The peer builds run exactly the malloc code path; only the library that
 * provides malloc/free differs, and the program checks at start-up that
 * it is the one it was built for.
 *
 * Usage: allocbench [-q] [-n STEPS] [-s SLOTS] [-r SEED] VARIANT WORKLOAD
 * Output (read by tool/bench/run): "info ..." lines, then
 *   metric ns_per_pair X      wall time / number of alloc+free pairs
 *   metric peak_rss_kib X     peak resident set size (VmHWM)
 *   checksum HEX              depends only on the workload and seed
 * Exit status 0 on success, 1 if a block was found corrupted, 2 on a usage
 * or set-up error. */

#define _GNU_SOURCE 1

#include <dlfcn.h>
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
#include "mpscmfs.h"
#include "mpscmvff.h"
#include "mpscmvt.h"
#define BENCH_FLAVOUR "lagoon"
#elif defined(PEER_MIMALLOC)
#include <mimalloc.h>
#define BENCH_FLAVOUR "mimalloc"
#define BENCH_PROVIDER "libmimalloc"
#elif defined(PEER_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define BENCH_FLAVOUR "jemalloc"
#define BENCH_PROVIDER "libjemalloc"
#else
#define BENCH_FLAVOUR "malloc"
#define BENCH_PROVIDER "libc.so"
#endif

#define WORD sizeof(uint64_t)
#define BENCH_ALIGN ((size_t)8) /* MVFF/MVT alignment; every size is a multiple */

#define ALWAYS_INLINE inline __attribute__((always_inline))

const char bench_program[] = "allocbench";


/* Random numbers: xorshift64*, identical in every build so that every
 * variant sees the same sizes, slots and tags. */

typedef struct Rng {
  uint64_t state;
} Rng;

static void rng_init(Rng *rng, uint64_t seed)
{
  /* splitmix64 step so that small seeds give well-mixed states */
  uint64_t z = seed + 0x9E3779B97F4A7C15u;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  z ^= z >> 31;
  rng->state = z != 0 ? z : 1;
}

static ALWAYS_INLINE uint64_t rng_next(Rng *rng)
{
  uint64_t x = rng->state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng->state = x;
  return x * 0x2545F4914F6CDD1Du;
}

/* rng_below -- a number in [0, n), n > 0. */
static ALWAYS_INLINE uint64_t rng_below(Rng *rng, uint64_t n)
{
#ifdef __SIZEOF_INT128__
  return (uint64_t)(((unsigned __int128)rng_next(rng) * n) >> 64);
#else
  return rng_next(rng) % n;
#endif
}


/* Workloads.  Sizes are drawn as follows: pick a class c = min_log +
 * min(u, v) with u, v uniform in [0, span) (so small classes are more
 * likely), then a size uniform in (2^(c-1), 2^c], rounded up to a word.
 * A fixed workload uses one size for every block. */

typedef struct Workload {
  const char *name;
  unsigned min_log, span;  /* size classes, see above */
  size_t fixed_size;       /* nonzero: every block has this size */
  size_t min_size, mean_size, max_size; /* hints for MVT and MVFF */
  uint64_t steps_full, steps_quick;
  size_t slots_full, slots_quick;
} Workload;

static const Workload workloads[] = {
  /* 8 B .. 4 KiB: median 32 B, mean about 190 B */
  {"small", 3, 10, 0, 8, 192, 4096,
   10000000, 400000, 20000, 4000},
  /* 4 KiB .. 1 MiB: median 22 KiB, mean 70 KiB, 3/4 at most 64 KiB */
  {"large", 13, 8, 0, 4104, 65536, (size_t)1 << 20,
   1000000, 20000, 1000, 200},
  /* one size for every variant, including MFS */
  {"fixed", 0, 0, 48, 48, 48, 48,
   10000000, 400000, 20000, 4000},
};

static const Workload *workload_find(const char *name)
{
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; ++i)
    if (strcmp(workloads[i].name, name) == 0)
      return &workloads[i];
  return NULL;
}

static ALWAYS_INLINE size_t workload_size(const Workload *w, Rng *rng)
{
  if (w->fixed_size != 0)
    return w->fixed_size;
  uint64_t u = rng_below(rng, w->span), v = rng_below(rng, w->span);
  size_t top = (size_t)1 << (w->min_log + (u < v ? u : v));
  size_t size = top / 2 + 1 + (size_t)rng_below(rng, top / 2);
  return (size + WORD - 1) & ~(WORD - 1);
}


/* Variants.  Kind says which code path allocates; the three malloc
 * variants share KIND_MALLOC and differ in the library linked. */

typedef enum Kind {
  KIND_MALLOC,
  KIND_MVFF,     /* mps_alloc / mps_free on MVFF */
  KIND_MVFF_AP,  /* mps_reserve / mps_commit on MVFF, mps_free */
  KIND_MFS,      /* mps_alloc / mps_free on MFS, fixed size only */
  KIND_SAC,      /* MPS_SAC_ALLOC_FAST / MPS_SAC_FREE_FAST over MVFF */
  KIND_MVT       /* mps_reserve / mps_commit on MVT, mps_free */
} Kind;

static const BenchVariant variants[] = {
  {"mvff", "lagoon", KIND_MVFF},
  {"mvff-ap", "lagoon", KIND_MVFF_AP},
  {"mfs", "lagoon", KIND_MFS},
  {"sac", "lagoon", KIND_SAC},
  {"mvt", "lagoon", KIND_MVT},
  {"malloc", "malloc", KIND_MALLOC},
  {"mimalloc", "mimalloc", KIND_MALLOC},
  {"jemalloc", "jemalloc", KIND_MALLOC},
};

typedef struct Bench {
  Kind kind;
  const Workload *w;
#ifdef BENCH_LAGOON
  mps_arena_t arena;
  mps_pool_t pool;
  mps_ap_t ap;
  mps_sac_t sac;
#endif
} Bench;

typedef struct Slot {
  void *p;          /* NULL when empty */
  size_t size;
  uint64_t tag;     /* first word holds tag, last word ~tag */
} Slot;


#ifdef BENCH_LAGOON

/* SAC classes per workload: the cache is meant to be tuned to the
 * client's size distribution, so each workload gets its own. */
static size_t bench_sac_classes(mps_sac_classes_s *classes, const Workload *w)
{
  size_t n = 0;
  if (w->fixed_size != 0) {
    classes[n].mps_block_size = w->fixed_size;
    classes[n].mps_cached_count = 256;
    classes[n].mps_frequency = 1;
    ++n;
  } else {
    /* one class per power of two from the workload's smallest class
     * (small: 8 B .. 1 KiB, 96% of requests; large: 8 KiB .. 1 MiB, all),
     * caching fewer blocks of the bigger sizes */
    size_t size = (size_t)1 << w->min_log;
    for (; n < MPS_SAC_CLASS_LIMIT && size <= w->max_size; ++n, size *= 2) {
      size_t count = ((size_t)64 << 10) / size;
      classes[n].mps_block_size = size;
      classes[n].mps_cached_count = count < 4 ? 4 : count > 128 ? 128 : count;
      classes[n].mps_frequency = (unsigned)(MPS_SAC_CLASS_LIMIT - n);
    }
  }
  return n;
}

static void bench_setup(Bench *b)
{
  mps_res_t res;
  const Workload *w = b->w;

  /* the default arena, as most clients would create it: its overheads
   * (page tables and the like) count in the peak RSS */
  res = mps_arena_create_k(&b->arena, mps_arena_class_vm(), mps_args_none);
  bench_check_res(res, "mps_arena_create_k");

  switch (b->kind) {
  case KIND_MVFF:
  case KIND_MVFF_AP:
  case KIND_SAC:
    MPS_ARGS_BEGIN(args) {
      MPS_ARGS_ADD(args, MPS_KEY_ALIGN, BENCH_ALIGN);
      MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, w->mean_size);
      res = mps_pool_create_k(&b->pool, b->arena, mps_class_mvff(), args);
    } MPS_ARGS_END(args);
    bench_check_res(res, "mps_pool_create_k(MVFF)");
    break;
  case KIND_MFS:
    if (w->fixed_size == 0)
      bench_die("mfs runs only the fixed workload");
    MPS_ARGS_BEGIN(args) {
      MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, w->fixed_size);
      res = mps_pool_create_k(&b->pool, b->arena, mps_class_mfs(), args);
    } MPS_ARGS_END(args);
    bench_check_res(res, "mps_pool_create_k(MFS)");
    break;
  case KIND_MVT:
    MPS_ARGS_BEGIN(args) {
      MPS_ARGS_ADD(args, MPS_KEY_ALIGN, BENCH_ALIGN);
      MPS_ARGS_ADD(args, MPS_KEY_MIN_SIZE, w->min_size);
      MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, w->mean_size);
      MPS_ARGS_ADD(args, MPS_KEY_MAX_SIZE, w->max_size);
      res = mps_pool_create_k(&b->pool, b->arena, mps_class_mvt(), args);
    } MPS_ARGS_END(args);
    bench_check_res(res, "mps_pool_create_k(MVT)");
    break;
  case KIND_MALLOC:
    bench_die("malloc is not a Lagoon variant");
  }

  if (b->kind == KIND_MVFF_AP || b->kind == KIND_MVT) {
    res = mps_ap_create_k(&b->ap, b->pool, mps_args_none);
    bench_check_res(res, "mps_ap_create_k");
  }
  if (b->kind == KIND_SAC) {
    mps_sac_classes_s classes[MPS_SAC_CLASS_LIMIT];
    size_t n = bench_sac_classes(classes, w);
    res = mps_sac_create(&b->sac, b->pool, n, classes);
    bench_check_res(res, "mps_sac_create");
  }
}

static void bench_teardown(Bench *b)
{
  if (b->kind == KIND_SAC)
    mps_sac_destroy(b->sac);
  if (b->kind == KIND_MVFF_AP || b->kind == KIND_MVT)
    mps_ap_destroy(b->ap);
  mps_pool_destroy(b->pool);
  mps_arena_destroy(b->arena);
}

#else /* !BENCH_LAGOON */

static void bench_setup(Bench *b)
{
  if (b->kind != KIND_MALLOC)
    bench_die("this build has only the malloc code path");
}

static void bench_teardown(Bench *b)
{
  (void)b;
}

#endif /* BENCH_LAGOON */


/* bench_alloc, bench_free -- one block.  Called with a constant kind from
 * an always-inlined loop, so each variant's loop holds only its own fast
 * path (the allocation-point and SAC macros expand in place). */

static ALWAYS_INLINE void *bench_alloc(Bench *b, Kind kind, size_t size)
{
  void *p;
  switch (kind) {
  case KIND_MALLOC:
    p = malloc(size);
    if (p == NULL)
      bench_die("malloc failed");
    return p;
#ifdef BENCH_LAGOON
  case KIND_MVFF:
  case KIND_MFS: {
    mps_addr_t a;
    mps_res_t res = mps_alloc(&a, b->pool, size);
    if (res != MPS_RES_OK)
      bench_check_res(res, "mps_alloc");
    return a;
  }
  case KIND_MVFF_AP:
  case KIND_MVT: {
    mps_addr_t a;
    do {
      mps_res_t res = mps_reserve(&a, b->ap, size);
      if (res != MPS_RES_OK)
        bench_check_res(res, "mps_reserve");
    } while (!mps_commit(b->ap, a, size));
    return a;
  }
  case KIND_SAC: {
    mps_addr_t a;
    mps_res_t res;
    MPS_SAC_ALLOC_FAST(res, a, b->sac, size, 0);
    if (res != MPS_RES_OK)
      bench_check_res(res, "MPS_SAC_ALLOC_FAST");
    return a;
  }
#else
  default:
    (void)b;
    bench_die("variant not in this build");
#endif
  }
  return NULL;
}

static ALWAYS_INLINE void bench_free(Bench *b, Kind kind, void *p, size_t size)
{
  switch (kind) {
  case KIND_MALLOC:
    (void)size;
    free(p);
    return;
#ifdef BENCH_LAGOON
  case KIND_MVFF:
  case KIND_MFS:
  case KIND_MVFF_AP:
  case KIND_MVT:
    mps_free(b->pool, p, size);
    return;
  case KIND_SAC:
    MPS_SAC_FREE_FAST(b->sac, p, size);
    return;
#else
  default:
    (void)b;
    bench_die("variant not in this build");
#endif
  }
}


/* The workload loop. */

typedef struct Result {
  uint64_t checksum;
  uint64_t pairs;       /* blocks allocated, all of them freed */
  uint64_t corrupt;     /* blocks whose words did not read back */
  double seconds;
} Result;

static ALWAYS_INLINE void block_fill(const Slot *s)
{
  char *base = s->p;
  uint64_t first = s->tag, last = ~s->tag;
  memcpy(base, &first, WORD);
  memcpy(base + s->size - WORD, &last, WORD);
}

/* block_check -- fold the block's first and last words into the
 * checksum; count it as corrupt if they are not what was written. */
static ALWAYS_INLINE void block_check(const Slot *s, Result *r)
{
  const char *base = s->p;
  uint64_t first, last;
  memcpy(&first, base, WORD);
  memcpy(&last, base + s->size - WORD, WORD);
  /* a one-word block holds only the last word written */
  uint64_t want_first = s->size > WORD ? s->tag : ~s->tag;
  if (first != want_first || last != ~s->tag)
    ++r->corrupt;
  bench_fold(&r->checksum, first);
  bench_fold(&r->checksum, last ^ s->size);
}

static ALWAYS_INLINE void workload_run(Bench *b, Kind kind, Slot *slots,
                                       size_t nslots, uint64_t steps,
                                       uint64_t seed, Result *r)
{
  const Workload *w = b->w;
  Rng rng;
  double start;

  rng_init(&rng, seed);
  r->checksum = BENCH_FOLD_BASIS;
  r->pairs = 0;
  r->corrupt = 0;

  start = bench_clock_seconds(CLOCK_MONOTONIC);
  for (uint64_t i = 0; i < steps; ++i) {
    Slot *s = &slots[rng_below(&rng, nslots)];
    if (s->p != NULL) {
      block_check(s, r);
      bench_free(b, kind, s->p, s->size);
    }
    s->size = workload_size(w, &rng);
    s->tag = rng_next(&rng);
    s->p = bench_alloc(b, kind, s->size);
    block_fill(s);
  }
  for (size_t i = 0; i < nslots; ++i) {
    Slot *s = &slots[i];
    if (s->p != NULL) {
      block_check(s, r);
      bench_free(b, kind, s->p, s->size);
      s->p = NULL;
    }
  }
  r->seconds = bench_clock_seconds(CLOCK_MONOTONIC) - start;
  r->pairs = steps;
}

/* bench_run -- dispatch on the kind with a constant in each call so that
 * the compiler makes one specialised loop per kind. */
static void bench_run(Bench *b, Slot *slots, size_t nslots, uint64_t steps,
                      uint64_t seed, Result *r)
{
  switch (b->kind) {
  case KIND_MALLOC:
    workload_run(b, KIND_MALLOC, slots, nslots, steps, seed, r);
    break;
#ifdef BENCH_LAGOON
  case KIND_MVFF:
    workload_run(b, KIND_MVFF, slots, nslots, steps, seed, r);
    break;
  case KIND_MVFF_AP:
    workload_run(b, KIND_MVFF_AP, slots, nslots, steps, seed, r);
    break;
  case KIND_MFS:
    workload_run(b, KIND_MFS, slots, nslots, steps, seed, r);
    break;
  case KIND_SAC:
    workload_run(b, KIND_SAC, slots, nslots, steps, seed, r);
    break;
  case KIND_MVT:
    workload_run(b, KIND_MVT, slots, nslots, steps, seed, r);
    break;
#else
  default:
    bench_die("variant not in this build");
#endif
  }
}


/* The peer builds must really run the peer: check which shared object
 * provides malloc and free now, at run time. */
static void provider_check(void)
{
#ifdef BENCH_PROVIDER
  const char *names[] = {"malloc", "free"};
  for (size_t i = 0; i < 2; ++i) {
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, names[i]);
    if (sym == NULL || dladdr(sym, &info) == 0 || info.dli_fname == NULL)
      bench_die("cannot tell which library provides malloc");
    printf("info %s_from=%s\n", names[i], info.dli_fname);
    if (strstr(info.dli_fname, BENCH_PROVIDER) == NULL)
      bench_die("%s comes from %s, not %s", names[i], info.dli_fname,
                BENCH_PROVIDER);
  }
#endif
#if defined(PEER_MIMALLOC)
  printf("info mimalloc_version=%d\n", mi_version());
#elif defined(PEER_JEMALLOC)
  {
    const char *version = NULL;
    size_t len = sizeof version;
    if (mallctl("version", &version, &len, NULL, 0) == 0 && version != NULL)
      printf("info jemalloc_version=%s\n", version);
  }
#endif
}

static _Noreturn void usage(void)
{
  fputs("usage: allocbench [-q] [-n STEPS] [-s SLOTS] [-r SEED] VARIANT "
        "WORKLOAD\n", stderr);
  bench_variants_print(stderr, variants, sizeof variants / sizeof variants[0],
                       BENCH_FLAVOUR);
  fprintf(stderr, "\n  workloads:");
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; ++i)
    fprintf(stderr, " %s", workloads[i].name);
  fprintf(stderr, "\n  -q: quick sizes (smoke test)\n");
  exit(2);
}

static uint64_t parse_count(const char *arg)
{
  char *end;
  unsigned long long v = strtoull(arg, &end, 0);
  if (*arg == '\0' || *end != '\0' || v == 0)
    usage();
  return (uint64_t)v;
}

int main(int argc, char *argv[])
{
  bool quick = false;
  uint64_t steps = 0, seed = 1;
  size_t nslots = 0;
  const BenchVariant *variant;
  Bench bench;
  Result result = {0, 0, 0, 0.0};
  long rss_kib;
  Slot *slots;
  int opt;

  while ((opt = getopt(argc, argv, "qn:s:r:")) != -1) {
    switch (opt) {
    case 'q': quick = true; break;
    case 'n': steps = parse_count(optarg); break;
    case 's': nslots = (size_t)parse_count(optarg); break;
    case 'r': seed = parse_count(optarg); break;
    default: usage();
    }
  }
  if (argc - optind != 2)
    usage();
  variant = bench_variant_find(variants, sizeof variants / sizeof variants[0],
                               argv[optind], BENCH_FLAVOUR);
  if (variant == NULL)
    usage();
  memset(&bench, 0, sizeof bench);
  bench.kind = variant->kind;
  bench.w = workload_find(argv[optind + 1]);
  if (bench.w == NULL)
    usage();
  if (steps == 0)
    steps = quick ? bench.w->steps_quick : bench.w->steps_full;
  if (nslots == 0)
    nslots = quick ? bench.w->slots_quick : bench.w->slots_full;

  provider_check();
  printf("info variant=%s workload=%s steps=%" PRIu64 " slots=%zu seed=%" PRIu64
         "\n", variant->name, bench.w->name, steps, nslots, seed);

  /* The slot table is touched before timing starts: it weighs the same
   * in every variant's peak RSS. */
  slots = calloc(nslots, sizeof *slots);
  if (slots == NULL)
    bench_die("cannot allocate the slot table");
  memset(slots, 0, nslots * sizeof *slots);

  bench_setup(&bench);
  bench_run(&bench, slots, nslots, steps, seed, &result);
  rss_kib = bench_peak_rss_kib();
  bench_teardown(&bench);
  free(slots);

  printf("metric ns_per_pair %.3f\n", result.seconds * 1e9 / (double)result.pairs);
  printf("metric peak_rss_kib %ld\n", rss_kib);
  printf("checksum %016" PRIx64 "\n", result.checksum);
  if (result.corrupt != 0) {
    fprintf(stderr, "allocbench: %s: %" PRIu64 " corrupted blocks\n",
            variant->name, result.corrupt);
    return 1;
  }
  return 0;
}
