/* test/gc/ams_test.c -- AMS through the public interface: reachable
 * objects survive a collection with their contents, unreachable ones die
 * and their memory returns to the pool; exact and ambiguous roots and
 * allocation points; ambiguous values that are not client pointers keep
 * nothing; in-band headers; mps_pool_walk, mps_addr_object,
 * mps_addr_pool, mps_addr_fmt; the allocation point protocol across a
 * collection.  Objects are counted with mps_arena_formatted_objects_walk.
 * Design: manual/design/scan.rst, manual/design/trace.rst (the MPS
 * manual: pool/ams.rst, topic/root.rst, topic/format.rst) */
#include "mps.h"
#include "mpscams.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

enum {
  CLASS_NODE = 1,     /* next, payload; variable words */
  CLASS_VICTIM = 2,   /* next, payload; never reachable */
  CLASS_KEPT = 3,     /* next, payload; reachable by one route only */
  CLASS_BIG = 4,      /* payload; variable bytes */
  CLASS_EXTRA = 5     /* a wrapper that is not in the root */
};

enum { R_WW, R_NODE, R_VICTIM, R_KEPT, R_BIG, R_FIRST, NREFS = 256 };

static const GcClass classes[] = {
  {CLASS_NODE, 2, DYLAN_VAR_WORDS}, {CLASS_VICTIM, 2, DYLAN_VAR_WORDS},
  {CLASS_KEPT, 2, DYLAN_VAR_WORDS}, {CLASS_BIG, 1, DYLAN_VAR_BYTES}};

static GcWorld w;
static size_t hdr;                 /* header size of this run's format */
static mps_addr_t refs[NREFS];     /* the exact root */

/* Parked: no collection but the ones the tests ask for, so objects held
 * only in C variables (which are no roots here) stay put. */
static void setup_with(size_t header_size)
{
  GcWorldOptions o = {.header_size = header_size, .chain_kb = 8192, .mortality = 0.5,
                      .pools = GC_POOL_AMS, .table = refs, .table_len = NREFS,
                      .classes = classes, .nclasses = 4};
  hdr = header_size;
  gc_world_open(&w, &o);
}

static void setup_plain(void)
{
  setup_with(0);
}

static void setup_header(void)
{
  setup_with(DYLAN_HEADER_SIZE);
}

static void teardown(void)
{
  gc_world_close(&w);
}

static mps_addr_t make_on(mps_ap_t on, unsigned wrapper_slot, mps_word_t next,
                          long payload, size_t var_len)
{
  mps_addr_t obj;
  mps_word_t fixed[2];
  fixed[0] = next;
  fixed[1] = dylan_int(payload);
  ck_assert_int_eq(dylan_make(&obj, on, hdr, refs[wrapper_slot], fixed, var_len, NULL),
                   MPS_RES_OK);
  return obj;
}

static mps_addr_t make(unsigned wrapper_slot, mps_word_t next, long payload, size_t var_len)
{
  return make_on(w.ams_ap, wrapper_slot, next, payload, var_len);
}

static DylanCensus census(void)
{
  return gc_world_census(&w, w.ams);
}

/* A collection, then the census. */
static DylanCensus collect_census(void)
{
  mps_arena_collect(w.arena);
  return census();
}

/* A list of n objects of a class, payloads base..base+n-1, each with a
 * variable part of var_len words holding tagged integers derived from
 * the payload. */
static mps_addr_t make_list(unsigned wrapper_slot, size_t n, long base, size_t var_len)
{
  mps_addr_t head = NULL;
  for (size_t i = n; i > 0; --i) {
    mps_addr_t obj = make(wrapper_slot, (mps_word_t)head, base + (long)i - 1, var_len);
    for (size_t j = 0; j < var_len; ++j)
      *dylan_var(obj, j) = dylan_int((base + (long)i - 1) * 31 + (long)j);
    head = obj;
  }
  return head;
}

static void check_list(mps_addr_t head, unsigned class_id, size_t n, long base,
                       size_t var_len)
{
  mps_addr_t obj = head;
  for (size_t i = 1; i <= n; ++i) {
    ck_assert_ptr_nonnull(obj);
    ck_assert(dylan_check(obj, hdr));
    ck_assert_uint_eq(dylan_class_id(obj), class_id);
    ck_assert_int_eq(dylan_int_value(*dylan_slot(obj, 1)), base + (long)i - 1);
    ck_assert_uint_eq(dylan_var_len(obj), var_len);
    for (size_t j = 0; j < var_len; ++j)
      ck_assert_uint_eq(*dylan_var(obj, j), dylan_int((base + (long)i - 1) * 31 + (long)j));
    obj = (mps_addr_t)*dylan_slot(obj, 0);
  }
  ck_assert_ptr_null(obj);
}

static size_t obj_size(size_t var_len)
{
  return dylan_block_size(hdr, 2, DYLAN_VAR_WORDS, var_len);
}


START_TEST(reachable_survive_unreachable_die)
{
  size_t n = 500 * rng_scale();
  DylanCensus c;
  mps_word_t collections = mps_collections(w.arena);

  refs[R_FIRST] = make_list(R_NODE, n, 1000, 3);
  (void)make_list(R_VICTIM, n, 5000, 3);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], n);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], n);
  ck_assert_uint_eq(c.by_class[DYLAN_CLASS_WRAPPER], 5);   /* ww and 4 wrappers */

  mps_arena_collect(w.arena);
  ck_assert_uint_eq(mps_collections(w.arena), collections + 1);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], n);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  ck_assert_uint_eq(c.by_class[DYLAN_CLASS_WRAPPER], 5);
  check_list(refs[R_FIRST], CLASS_NODE, n, 1000, 3);

  /* Drop the first half: those die at the next collection. */
  {
    mps_addr_t obj = refs[R_FIRST];
    for (size_t i = 0; i < n / 2; ++i)
      obj = (mps_addr_t)*dylan_slot(obj, 0);
    refs[R_FIRST] = obj;
  }
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], n - n / 2);
  check_list(refs[R_FIRST], CLASS_NODE, n - n / 2, 1000 + (long)(n / 2), 3);

  /* Nothing changes when nothing changed. */
  mps_arena_collect(w.arena);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], n - n / 2);
  check_list(refs[R_FIRST], CLASS_NODE, n - n / 2, 1000 + (long)(n / 2), 3);

  refs[R_FIRST] = NULL;
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 0);
  ck_assert_uint_eq(c.objects, 5);
}
END_TEST

START_TEST(sizes_follow_collection)
{
  size_t n = 2000, var_len = 5;
  size_t total0, free0, used0, total1, free1, used1, dead;

  refs[R_FIRST] = make_list(R_NODE, n / 4, 0, var_len);
  (void)make_list(R_VICTIM, n, 0, var_len);
  total0 = mps_pool_total_size(w.ams);
  free0 = mps_pool_free_size(w.ams);
  ck_assert_uint_le(free0, total0);
  used0 = total0 - free0;
  dead = n * obj_size(var_len);
  ck_assert_uint_ge(used0, dead + n / 4 * obj_size(var_len));

  mps_arena_collect(w.arena);
  total1 = mps_pool_total_size(w.ams);
  free1 = mps_pool_free_size(w.ams);
  ck_assert_uint_le(free1, total1);
  used1 = total1 - free1;
  /* The victims' memory is free (or gone from the pool). */
  ck_assert_uint_le(used1 + dead, used0);
  ck_assert_uint_ge(used1, n / 4 * obj_size(var_len));
  check_list(refs[R_FIRST], CLASS_NODE, n / 4, 0, var_len);

  /* And it is reused: allocating the same again needs no more memory
   * than the pool had before the collection. */
  (void)make_list(R_VICTIM, n, 0, var_len);
  ck_assert_uint_le(mps_pool_total_size(w.ams), total0 + total0 / 2);
}
END_TEST

START_TEST(deep_and_wide)
{
  /* A long chain (no recursion in marking may overflow the stack) and
   * one object with very many references. */
  size_t n = 200000 * rng_scale(), width = 50000;
  mps_addr_t wide;
  DylanCensus c;

  refs[R_FIRST] = make_list(R_NODE, n, 0, 0);
  ck_assert_int_eq(dylan_make(&wide, w.ams_ap, hdr, refs[R_NODE], NULL, width, NULL),
                   MPS_RES_OK);
  refs[R_FIRST + 1] = wide;
  for (size_t i = 0; i < width; ++i)
    *dylan_var(wide, i) = (mps_word_t)make(R_KEPT, 0, (long)i, 0);
  (void)make_list(R_VICTIM, 1000, 0, 0);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], n + 1);
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], width);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  {
    /* Walk the chain without an assertion per node (each costs a system
     * call). */
    mps_addr_t obj = refs[R_FIRST];
    size_t i = 0;
    while (obj != NULL && dylan_int_value(*dylan_slot(obj, 1)) == (long)i) {
      obj = (mps_addr_t)*dylan_slot(obj, 0);
      ++i;
    }
    ck_assert_uint_eq(i, n);
    for (i = 0; i < width; ++i)
      if (dylan_int_value(*dylan_slot((mps_addr_t)*dylan_var(wide, i), 1)) != (long)i)
        break;
    ck_assert_uint_eq(i, width);
  }
  refs[R_FIRST] = NULL;
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 1);
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], width);
}
END_TEST

START_TEST(cycles)
{
  mps_addr_t a, b, c1, self;
  DylanCensus c;

  /* A reachable cycle survives, an unreachable one and a lone
   * self-referencing object die. */
  a = make(R_KEPT, 0, 1, 0);
  b = make(R_KEPT, (mps_word_t)a, 2, 0);
  *dylan_slot(a, 0) = (mps_word_t)b;
  refs[R_FIRST] = a;
  c1 = make(R_VICTIM, 0, 3, 0);
  *dylan_slot(make(R_VICTIM, (mps_word_t)c1, 4, 0), 0) = 0;
  *dylan_slot(c1, 0) = (mps_word_t)make(R_VICTIM, (mps_word_t)c1, 5, 0);
  self = make(R_VICTIM, 0, 6, 0);
  *dylan_slot(self, 0) = (mps_word_t)self;
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 2);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  ck_assert_ptr_eq((mps_addr_t)*dylan_slot(a, 0), b);
  ck_assert_ptr_eq((mps_addr_t)*dylan_slot(b, 0), a);
}
END_TEST

START_TEST(wrappers_live_while_instances_do)
{
  mps_addr_t extra;
  DylanCensus c;

  /* A wrapper outside the root lives while an instance does. */
  ck_assert_int_eq(dylan_make_wrapper(&extra, w.ams_ap, hdr, refs[R_WW], CLASS_EXTRA, 2,
                                      DYLAN_VAR_NONE), MPS_RES_OK);
  ck_assert_int_eq(dylan_make(&refs[R_FIRST], w.ams_ap, hdr, extra, NULL, 0, NULL),
                   MPS_RES_OK);
  extra = NULL;
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_EXTRA], 1);
  ck_assert_uint_eq(c.by_class[DYLAN_CLASS_WRAPPER], 6);
  ck_assert(dylan_check(refs[R_FIRST], hdr));
  refs[R_FIRST] = NULL;
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_EXTRA], 0);
  ck_assert_uint_eq(c.by_class[DYLAN_CLASS_WRAPPER], 5);
}
END_TEST

START_TEST(big_objects)
{
  /* Objects larger than pages and than typical segments. */
  size_t sizes[] = {4096, 65536 + 8, 1u << 20};
  mps_addr_t keep[3];
  mps_root_t r2;
  DylanCensus c;

  r2 = gc_table_root(w.arena, mps_rank_exact(), keep, 3);
  for (size_t i = 0; i < 3; ++i) {
    mps_word_t fixed[1] = {dylan_int((long)i)};
    mps_addr_t dead;
    ck_assert_int_eq(dylan_make(&keep[i], w.ams_ap, hdr, refs[R_BIG], fixed, sizes[i],
                                NULL), MPS_RES_OK);
    memset(dylan_bytes(keep[i]), (int)(0xA0 + i), sizes[i]);
    ck_assert_int_eq(dylan_make(&dead, w.ams_ap, hdr, refs[R_BIG], fixed, sizes[i], NULL),
                     MPS_RES_OK);
    memset(dylan_bytes(dead), 0x55, sizes[i]);
  }
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_BIG], 3);
  for (size_t i = 0; i < 3; ++i) {
    ck_assert(dylan_check(keep[i], hdr));
    ck_assert_uint_eq(dylan_var_len(keep[i]), sizes[i]);
    size_t bad = sizes[i];
    for (size_t j = 0; j < sizes[i] && bad == sizes[i]; ++j)
      if (dylan_bytes(keep[i])[j] != 0xA0 + i)
        bad = j;
    ck_assert_msg(bad == sizes[i], "object %zu damaged at byte %zu", i, bad);
  }
  mps_root_destroy(r2);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_BIG], 0);
}
END_TEST

START_TEST(ambiguous_root_keeps_client_pointers)
{
  mps_addr_t amb[4];
  mps_root_t r2;
  DylanCensus c;

  r2 = gc_table_root(w.arena, mps_rank_ambig(), amb, 4);
  amb[0] = make(R_KEPT, 0, 10, 2);
  amb[1] = make(R_NODE, 0, 11, 0);
  /* The node keeps a kept object through an exact slot of an object that
   * only an ambiguous reference keeps. */
  *dylan_slot(amb[1], 0) = (mps_word_t)make(R_KEPT, 0, 12, 0);
  (void)make(R_VICTIM, 0, 13, 0);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 2);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 1);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  ck_assert_int_eq(dylan_int_value(*dylan_slot(amb[0], 1)), 10);
  ck_assert_int_eq(dylan_int_value(*dylan_slot((mps_addr_t)*dylan_slot(amb[1], 0), 1)), 12);
  mps_root_destroy(r2);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 0);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 0);
}
END_TEST

/* design.trace-contract: an ambiguous value may be anything, and keeps
 * only the object whose client pointer it is. */
START_TEST(garbage_ambiguous_values_keep_nothing)
{
  enum { NAMB = 40 };
  mps_word_t amb[NAMB], saved[NAMB];
  mps_root_t r2;
  mps_addr_t victim, big, freed, kept;
  DylanCensus c;
  size_t k = 0;
  mps_word_t local = 0;

  r2 = gc_table_root(w.arena, mps_rank_ambig(), (mps_addr_t *)amb, NAMB);
  refs[R_FIRST] = victim = make(R_VICTIM, 0, 2, 6);
  refs[R_FIRST + 1] = big = make(R_VICTIM, 0, 3, 3000);
  refs[R_FIRST + 2] = kept = make(R_KEPT, 0, 4, 0);
  freed = make(R_VICTIM, 0, 1, 4);
  mps_arena_collect(w.arena);                /* freed dies */
  refs[R_FIRST + 3] = make(R_NODE, 0, 5, 0); /* the AP gets a new buffer */
  refs[R_FIRST] = refs[R_FIRST + 1] = refs[R_FIRST + 2] = NULL;

  amb[k++] = (mps_word_t)kept;                              /* the control */
  amb[k++] = (mps_word_t)victim + DYLAN_WORD;               /* interior */
  amb[k++] = (mps_word_t)victim + 3;                        /* misaligned */
  amb[k++] = (mps_word_t)victim - hdr + obj_size(6) - 1;    /* last byte */
  amb[k++] = (mps_word_t)big + 1000 * DYLAN_WORD;           /* deep inside */
  amb[k++] = (mps_word_t)big + 3000;                        /* its end */
  amb[k++] = (mps_word_t)victim - hdr - DYLAN_WORD;         /* before it */
  if (hdr != 0)
    amb[k++] = (mps_word_t)victim - hdr;                    /* base, not client */
  amb[k++] = (mps_word_t)freed + 2 * DYLAN_WORD;            /* freed memory */
  if (w.ams_ap->alloc < w.ams_ap->limit) {
    amb[k++] = (mps_word_t)w.ams_ap->alloc;                 /* the AP's free part */
    amb[k++] = (mps_word_t)w.ams_ap->limit - DYLAN_WORD;
  }
  amb[k++] = (mps_word_t)&local;                            /* not the arena's */
  amb[k++] = (mps_word_t)&amb[0];
  amb[k++] = (mps_word_t)w.ams;                             /* library memory */
  amb[k++] = (mps_word_t)w.arena;
  amb[k++] = 1;
  amb[k++] = (mps_word_t)-1;
  amb[k++] = (mps_word_t)-8;
  amb[k++] = ((mps_word_t)1 << 47) - 8;
  amb[k++] = dylan_int(12345);
  ck_assert_uint_le(k, NAMB);
  /* Misaligned words in the zones around the objects. */
  for (; k < NAMB; ++k)
    amb[k] = (((mps_word_t)victim & ~(mps_word_t)0xFFFFF) + k * 8198) | 1;

  memcpy(saved, amb, sizeof amb);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 1);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 1);
  ck_assert_mem_eq(saved, amb, sizeof amb);      /* ambiguous: never changed */
  ck_assert(dylan_check(kept, hdr));

  /* The heap is still sound: allocate over the freed memory and collect. */
  refs[R_FIRST] = make_list(R_NODE, 300, 7, 4);
  mps_arena_collect(w.arena);
  mps_arena_collect(w.arena);
  check_list(refs[R_FIRST], CLASS_NODE, 300, 7, 4);
  mps_root_destroy(r2);
}
END_TEST

START_TEST(ambiguous_allocation_point)
{
  mps_ap_t ap_ambig;
  mps_addr_t holder, target, interior_only;
  mps_word_t saved[6];
  DylanCensus c;
  mps_res_t res;

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_ambig());
    res = mps_ap_create_k(&ap_ambig, w.ams, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);

  /* An object with ambiguous references: its slots may hold anything. */
  target = make(R_KEPT, 0, 1, 0);
  interior_only = make(R_VICTIM, 0, 2, 4);
  holder = make_on(ap_ambig, R_NODE, (mps_word_t)target, 3, 4);
  *dylan_var(holder, 0) = (mps_word_t)interior_only + 2 * DYLAN_WORD;
  *dylan_var(holder, 1) = (mps_word_t)w.ams_ap->alloc;
  *dylan_var(holder, 2) = 0x1000;
  *dylan_var(holder, 3) = (mps_word_t)holder;     /* itself */
  memcpy(saved, dylan_words(holder), sizeof saved);
  refs[R_FIRST] = holder;
  /* An exact object keeps one from the ambiguous allocation point. */
  refs[R_FIRST + 1] = make(R_NODE, (mps_word_t)make_on(ap_ambig, R_KEPT, 0, 4, 0), 5, 0);

  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 2);
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 2);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  ck_assert_mem_eq(saved, dylan_words(holder), sizeof saved);
  ck_assert(dylan_check(target, hdr));
  ck_assert_int_eq(dylan_int_value(*dylan_slot(target, 1)), 1);

  /* Both allocation points still allocate after the collection. */
  refs[R_FIRST + 2] = make_on(ap_ambig, R_KEPT, 0, 6, 0);
  refs[R_FIRST + 3] = make(R_KEPT, 0, 7, 0);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 4);
  mps_ap_destroy(ap_ambig);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 4);   /* objects outlive their AP */
}
END_TEST

/* design.trace-contract step 3: a flip between reserve and commit makes
 * the commit fail; the client initialises the block again. */
START_TEST(commit_fails_after_flip)
{
  mps_addr_t p;
  size_t size = obj_size(0);
  int tries = 0;
  DylanCensus c;

  for (;;) {
    mps_word_t *obj;
    ck_assert_int_eq(mps_reserve(&p, w.ams_ap, size), MPS_RES_OK);
    obj = (mps_word_t *)((char *)p + hdr);
    if (hdr != 0)
      ((mps_word_t *)p)[0] = ((mps_word_t)size << 3) | 1;   /* see dylan.h */
    obj[0] = (mps_word_t)refs[R_KEPT];
    obj[1] = 0;
    obj[2] = dylan_int(99);
    obj[3] = dylan_int(0);
    ++tries;
    if (tries == 1)
      mps_arena_collect(w.arena);   /* flips between reserve and commit */
    if (mps_commit(w.ams_ap, p, size))
      break;
    ck_assert_int_lt(tries, 10);
  }
  ck_assert_int_eq(tries, 2);
  refs[R_FIRST] = (char *)p + hdr;
  ck_assert(dylan_check(refs[R_FIRST], hdr));
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 1);
  ck_assert_int_eq(dylan_int_value(*dylan_slot(refs[R_FIRST], 1)), 99);
}
END_TEST

/* design.trace-contract (buffers): the reserved block [init, alloc) is
 * being initialised and is never scanned.  Here it holds words that the
 * format's scan method would reject (it aborts on them). */
START_TEST(reserved_block_not_scanned)
{
  mps_addr_t p;
  size_t size = obj_size(6);
  int tries = 0;

  refs[R_FIRST] = make_list(R_NODE, 50, 0, 1);
  for (;;) {
    mps_word_t *obj;
    ck_assert_int_eq(mps_reserve(&p, w.ams_ap, size), MPS_RES_OK);
    obj = (mps_word_t *)((char *)p + hdr);
    memset(p, 0x5D, size);             /* not a block of the format */
    ++tries;
    if (tries == 1) {
      mps_arena_collect(w.arena);
      check_list(refs[R_FIRST], CLASS_NODE, 50, 0, 1);
    }
    if (hdr != 0)
      ((mps_word_t *)p)[0] = ((mps_word_t)size << 3) | 1;
    obj[0] = (mps_word_t)refs[R_KEPT];
    obj[1] = 0;
    obj[2] = dylan_int(1);
    obj[3] = dylan_int(6);
    for (size_t i = 0; i < 6; ++i)
      obj[4 + i] = dylan_int((long)i);
    if (mps_commit(w.ams_ap, p, size))
      break;
    ck_assert_int_lt(tries, 10);
  }
  refs[R_FIRST + 1] = (char *)p + hdr;
  mps_arena_collect(w.arena);
  ck_assert(dylan_check(refs[R_FIRST + 1], hdr));
  ck_assert_uint_eq(census().by_class[CLASS_KEPT], 1);
}
END_TEST

/* Two arenas: each collects its own objects only, and a reference into
 * the other (memory it does not manage) is ignored. */
START_TEST(two_arenas)
{
  static const GcClass kept_class[] = {{CLASS_KEPT, 2, DYLAN_VAR_WORDS}};
  mps_addr_t refs2[4];
  GcWorldOptions o2 = {.arena_size = 16 * MiB, .header_size = hdr, .pools = GC_POOL_AMS,
                       .table = refs2, .table_len = 4,
                       .classes = kept_class, .nclasses = 1};
  GcWorld w2;
  DylanCensus c;

  gc_world_open(&w2, &o2);
  /* Arena 2's object refers to arena 1's and the other way round. */
  refs[R_FIRST] = make(R_KEPT, 0, 1, 0);
  {
    mps_word_t fixed[2] = {(mps_word_t)refs[R_FIRST], dylan_int(2)};
    ck_assert_int_eq(dylan_make(&refs2[2], w2.ams_ap, hdr, refs2[1], fixed, 0, NULL),
                     MPS_RES_OK);
  }
  *dylan_slot(refs[R_FIRST], 0) = (mps_word_t)refs2[2];
  (void)make(R_VICTIM, 0, 3, 0);
  mps_arena_collect(w.arena);
  mps_arena_collect(w2.arena);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 1);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  c = gc_world_census(&w2, w2.ams);
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 1);
  ck_assert(mps_arena_has_addr(w2.arena, refs2[2]));
  ck_assert(!mps_arena_has_addr(w.arena, refs2[2]));
  /* A reference from arena 1 does not keep arena 2's object. */
  refs2[2] = NULL;
  mps_arena_collect(w2.arena);
  c = gc_world_census(&w2, w2.ams);
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 0);
  *dylan_slot(refs[R_FIRST], 0) = 0;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(census().by_class[CLASS_KEPT], 1);

  gc_world_close(&w2);
}
END_TEST

START_TEST(two_pools_cross_references)
{
  mps_pool_t pool2;
  mps_ap_t ap2;
  mps_res_t res;
  DylanCensus c;

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    res = mps_pool_create_k(&pool2, w.arena, mps_class_ams(), args);   /* default chain */
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap2, pool2, mps_args_none), MPS_RES_OK);
  /* pool -> pool2 -> pool -> pool2 */
  {
    mps_addr_t d = make_on(ap2, R_KEPT, 0, 4, 0);
    mps_addr_t cc = make(R_KEPT, (mps_word_t)d, 3, 0);
    mps_addr_t b = make_on(ap2, R_KEPT, (mps_word_t)cc, 2, 0);
    refs[R_FIRST] = make(R_KEPT, (mps_word_t)b, 1, 0);
  }
  (void)make_on(ap2, R_VICTIM, (mps_word_t)refs[R_FIRST], 0, 0);
  c = collect_census();
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 2);
  c = gc_world_census(&w, pool2);
  ck_assert_uint_eq(c.by_class[CLASS_KEPT], 2);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  {
    mps_addr_t obj = refs[R_FIRST];
    for (long i = 1; i <= 4; ++i) {
      ck_assert(dylan_check(obj, hdr));
      ck_assert_int_eq(dylan_int_value(*dylan_slot(obj, 1)), i);
      obj = (mps_addr_t)*dylan_slot(obj, 0);
    }
    ck_assert_ptr_null(obj);
  }
  mps_ap_destroy(ap2);
  refs[R_FIRST] = NULL;
  mps_pool_destroy(pool2);     /* parked; nothing reachable in it now */
}
END_TEST

START_TEST(addr_pool_and_fmt)
{
  mps_addr_t obj = make(R_KEPT, 0, 1, 10);
  mps_pool_t p = NULL;
  mps_fmt_t f = NULL;
  int local;

  refs[R_FIRST] = obj;
  ck_assert(mps_arena_has_addr(w.arena, obj));
  ck_assert(mps_addr_pool(&p, w.arena, obj));
  ck_assert_ptr_eq(p, w.ams);
  ck_assert(mps_addr_pool(&p, w.arena, (char *)obj + 3 * DYLAN_WORD));
  ck_assert_ptr_eq(p, w.ams);
  ck_assert(mps_addr_fmt(&f, w.arena, obj));
  ck_assert_ptr_eq(f, w.fmt);
  ck_assert(!mps_arena_has_addr(w.arena, &local));
  ck_assert(!mps_addr_pool(&p, w.arena, &local));
  ck_assert(!mps_addr_fmt(&f, w.arena, &local));
}
END_TEST

/* mps_pool_walk: areas covering every object, scanned by the protocol. */
typedef struct WalkState {
  size_t areas, objects, pads, bytes;
  mps_res_t result;        /* what the scanner returns */
} WalkState;

static mps_res_t walk_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  WalkState *ws = closure;
  char *p = base;
  ++ws->areas;
  while (p < (char *)limit) {
    char *next = dylan_skip(p);
    int kind = dylan_kind(p, 0);
    ck_assert(kind == DYLAN_KIND_OBJECT || kind == DYLAN_KIND_PAD);
    if (kind == DYLAN_KIND_OBJECT) {
      ck_assert(dylan_check(p, 0));
      ++ws->objects;
      ws->bytes += (size_t)(next - p);
    } else {
      ++ws->pads;
    }
    ck_assert(next <= (char *)limit);
    p = next;
  }
  if (ws->result != MPS_RES_OK)
    return ws->result;
  return dylan_scan(ss, base, limit);   /* fix every reference */
}

START_TEST(pool_walk)
{
  WalkState ws;
  DylanCensus c;

  refs[R_FIRST] = make_list(R_NODE, 400, 0, 2);
  refs[R_FIRST + 1] = make_list(R_KEPT, 100, 0, 40);
  (void)make_list(R_VICTIM, 100, 0, 1);
  mps_arena_collect(w.arena);       /* parked afterwards */
  c = census();
  memset(&ws, 0, sizeof ws);
  ws.result = MPS_RES_OK;
  ck_assert_int_eq(mps_pool_walk(w.ams, walk_area, &ws), MPS_RES_OK);
  ck_assert_uint_eq(ws.objects, c.objects);
  ck_assert_uint_eq(ws.objects, 400 + 100 + 5);
  ck_assert_uint_eq(ws.bytes, c.bytes);
  ck_assert_uint_ge(ws.areas, 1);
  check_list(refs[R_FIRST], CLASS_NODE, 400, 0, 2);
  check_list(refs[R_FIRST + 1], CLASS_KEPT, 100, 0, 40);

  /* A result other than MPS_RES_OK stops the walk and is returned. */
  memset(&ws, 0, sizeof ws);
  ws.result = MPS_RES_FAIL;
  ck_assert_int_eq(mps_pool_walk(w.ams, walk_area, &ws), MPS_RES_FAIL);
  ck_assert_uint_eq(ws.areas, 1);

  /* The heap is unchanged by walking. */
  c = collect_census();
  ck_assert_uint_eq(c.objects, 400 + 100 + 5);
}
END_TEST

START_TEST(addr_object)
{
  mps_addr_t objs[50], found, victim;
  int local;

  for (size_t i = 0; i < 50; ++i) {
    objs[i] = make(R_KEPT, 0, (long)i, i);
    refs[R_FIRST + i] = objs[i];
  }
  victim = make_list(R_VICTIM, 50, 0, 2);
  mps_arena_collect(w.arena);
  for (size_t i = 0; i < 50; ++i) {
    size_t size = obj_size(i);
    found = NULL;
    ck_assert_int_eq(mps_addr_object(&found, w.arena, objs[i]), MPS_RES_OK);
    ck_assert_ptr_eq(found, objs[i]);
    found = NULL;
    ck_assert_int_eq(mps_addr_object(&found, w.arena, (char *)objs[i] + size - 1),
                     MPS_RES_OK);
    ck_assert_ptr_eq(found, objs[i]);
    found = NULL;
    ck_assert_int_eq(mps_addr_object(&found, w.arena, (char *)objs[i] + size / 2),
                     MPS_RES_OK);
    ck_assert_ptr_eq(found, objs[i]);
  }
  found = &local;
  ck_assert_int_eq(mps_addr_object(&found, w.arena, &local), MPS_RES_FAIL);
  ck_assert_ptr_eq(found, &local);    /* outputs only on success */
  /* Free space (where the victims were) is in no object. */
  ck_assert_int_eq(mps_addr_object(&found, w.arena, (char *)victim + DYLAN_WORD),
                   MPS_RES_FAIL);
  ck_assert_ptr_eq(found, &local);
}
END_TEST

static void add_core(TCase *tc)
{
  tcase_add_test(tc, reachable_survive_unreachable_die);
  tcase_add_test(tc, sizes_follow_collection);
  tcase_add_test(tc, cycles);
  tcase_add_test(tc, deep_and_wide);
  tcase_add_test(tc, wrappers_live_while_instances_do);
  tcase_add_test(tc, big_objects);
  tcase_add_test(tc, ambiguous_root_keeps_client_pointers);
  tcase_add_test(tc, garbage_ambiguous_values_keep_nothing);
  tcase_add_test(tc, ambiguous_allocation_point);
  tcase_add_test(tc, commit_fails_after_flip);
  tcase_add_test(tc, reserved_block_not_scanned);
  tcase_add_test(tc, two_arenas);
  tcase_add_test(tc, two_pools_cross_references);
  tcase_add_test(tc, addr_pool_and_fmt);
}

int main(void)
{
  Suite *s = suite_create("gc/ams");
  TCase *plain = fixture_tcase(s, "plain", setup_plain, teardown, 20);
  TCase *header = fixture_tcase(s, "header", setup_header, teardown, 20);

  add_core(plain);
  tcase_add_test(plain, pool_walk);
  tcase_add_test(plain, addr_object);
  add_core(header);
  return fixture_run_suite(s);
}
