/* test/unit/awl_test.c -- the AWL pool class: keyword, rank and
 * allocation refusals; exact references keep and weak ones do not; every
 * weak slot of a dead object reads 0 after a collection; weak tables
 * whose scan method sees the splat and deletes the dependent's entry;
 * references from AWL into AMS and AMC; in-band headers; generations;
 * walking, object lookup, sizes and description; and (cool) a dependent
 * in a moving pool caught.
 * Design: manual/design/awl.rst (the MPS manual: pool/awl.rst,
 * topic/weak.rst) */
#include "pool/awl.h"
#include "pool/buffer.h"
#include "pool/gen.h"
#include "trace/trace.h"
#include "mpscamc.h"
#include "mpscawl.h"
#include "gcfixture.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define WORD sizeof(mps_word_t)

/* ---- The test format ----
 * A block is 2 + n words: word 0 a header (n << 8 | tag << 2 | flags |
 * 1, odd so it is never a reference), word 1 the dependent (a reference
 * or 0), words 2.. the n slots (references, odd integers, or 0).  With
 * tf_hdr == WORD the header is in-band: the client pointer is the
 * block's base plus one word.  A block with TF_TABLE is half of a weak
 * table: when the scan finds slot i splatted it deletes entry i of the
 * dependent (writes TF_DELETED there), as a weak hash table would. */

#define TF_TABLE 2u
#define TF_DELETED ((mps_word_t)0x7FF)

enum { TAG_PLAIN, TAG_A, TAG_B, TAG_DEAD, TAG_WEAK, TAG_KEYS, TAG_VALS, TAG_LIMIT };

static size_t tf_hdr;
static unsigned long tf_deleted;      /* entries deleted by the scan */
static unsigned long tf_dep_calls;    /* find_dependent calls... */
static unsigned long tf_dep_found;    /* ...that found a dependent */

static mps_word_t *tf_block(mps_addr_t c) { return (mps_word_t *)((char *)c - tf_hdr); }
static size_t tf_nslots(mps_addr_t c) { return (size_t)(tf_block(c)[0] >> 8); }
static unsigned tf_tag(mps_addr_t c) { return (unsigned)(tf_block(c)[0] >> 2) & 0x3Fu; }
static mps_word_t *tf_slot(mps_addr_t c, size_t i) { return &tf_block(c)[2 + i]; }
static size_t tf_size(size_t nslots) { return (2 + nslots) * WORD; }
static bool tf_is_ref(mps_word_t v) { return v != 0 && (v & 1u) == 0; }

static mps_addr_t tf_skip(mps_addr_t c)
{
  return (char *)c + tf_size(tf_nslots(c));
}

static mps_res_t tf_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  MPS_SCAN_BEGIN(ss) {
    for (mps_addr_t c = base; c < limit; c = tf_skip(c)) {
      mps_word_t *b = tf_block(c);
      size_t n = (size_t)(b[0] >> 8);
      mps_word_t *dep = NULL;
      for (size_t i = 1; i < 2 + n; ++i) {   /* the dependent, then the slots */
        mps_addr_t p = (mps_addr_t)b[i];
        if (tf_is_ref(b[i]) && MPS_FIX1(ss, p)) {
          mps_res_t res = MPS_FIX2(ss, &p);
          if (res != MPS_RES_OK)
            return res;
          b[i] = (mps_word_t)p;
          if (p == NULL && i >= 2 && (b[0] & TF_TABLE) != 0 && dep != NULL) {
            dep[i] = TF_DELETED;              /* entry i - 2 of the other half */
            ++tf_deleted;
          }
        }
        if (i == 1 && tf_is_ref(b[1]))
          dep = tf_block((mps_addr_t)b[1]);
      }
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}

/* The client pointer's dependent field; a base pointer instead of a
 * client pointer would read the header and find nothing. */
static mps_addr_t tf_find_dependent(mps_addr_t c)
{
  mps_word_t d = tf_block(c)[1];
  ++tf_dep_calls;
  if (!tf_is_ref(d))
    return NULL;
  ++tf_dep_found;
  return (mps_addr_t)d;
}

static mps_fmt_t tf_format(mps_arena_t arena, bool scan, bool skip, size_t hdr)
{
  mps_fmt_t fmt;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, WORD);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, hdr);
    if (scan)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, tf_scan);
    if (skip)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, tf_skip);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return fmt;
}

/* A committed block of n null slots; its client pointer. */
static mps_addr_t tf_make(mps_ap_t ap, size_t n, unsigned tag, unsigned flags)
{
  size_t size = tf_size(n);
  mps_addr_t p;
  do {
    mps_word_t *b;
    ck_assert_int_eq(mps_reserve(&p, ap, size), MPS_RES_OK);
    b = p;
    b[0] = (mps_word_t)n << 8 | (mps_word_t)tag << 2 | flags | 1u;
    for (size_t i = 1; i < 2 + n; ++i)
      b[i] = 0;
  } while (!mps_commit(ap, p, size));
  return (char *)p + tf_hdr;
}

static void tf_set(mps_addr_t c, size_t i, mps_addr_t ref)
{
  *tf_slot(c, i) = (mps_word_t)ref;
}

static void tf_set_dep(mps_addr_t c, mps_addr_t dep)
{
  tf_block(c)[1] = (mps_word_t)dep;
}

/* ---- The world ----
 * The gc fixture's parked arena, Dylan format and AMS pool, wrappers in
 * an exact root; an AWL pool of the test format (find_dependent as the
 * case says) with an exact and a weak allocation point; an AMC pool of
 * the Dylan format; and an exact table root `roots`. */

enum { C_TARGET = 1, C_DEAD, C_LIVE, C_KEY, C_VALUE, NCLASSES = C_VALUE };
static const GcClass classes[NCLASSES] = {
  {C_TARGET, 1, DYLAN_VAR_NONE}, {C_DEAD, 1, DYLAN_VAR_NONE},
  {C_LIVE, 1, DYLAN_VAR_NONE}, {C_KEY, 1, DYLAN_VAR_NONE},
  {C_VALUE, 1, DYLAN_VAR_NONE}
};
#define NROOTS 256

static GcWorld w;
static mps_addr_t wrappers[1 + NCLASSES];     /* wrappers[class id] */
static mps_addr_t roots[NROOTS];
static mps_fmt_t tf;
static mps_pool_t awl, amc;
static mps_ap_t exact_ap, weak_ap, amc_ap;

static mps_res_t make_awl(mps_pool_t *pool_o, mps_fmt_t fmt, mps_awl_find_dependent_t find,
                          mps_chain_t chain, unsigned gen)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    if (fmt != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    if (find != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_AWL_FIND_DEPENDENT, find);
    if (chain != NULL) {
      MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
      MPS_ARGS_ADD(args, MPS_KEY_GEN, gen);
    }
    res = mps_pool_create_k(pool_o, w.arena, mps_class_awl(), args);
  } MPS_ARGS_END(args);
  return res;
}

static void open_world(size_t hdr, mps_awl_find_dependent_t find)
{
  GcWorldOptions o = {.arena_size = 64 * MiB, .pools = GC_POOL_AMS,
                      .header_size = hdr != 0 ? DYLAN_HEADER_SIZE : 0,
                      .table = wrappers, .table_len = 1 + NCLASSES,
                      .classes = classes, .nclasses = NCLASSES};
  gc_world_open(&w, &o);
  tf_hdr = hdr;
  tf_deleted = tf_dep_calls = tf_dep_found = 0;
  tf = tf_format(w.arena, true, true, hdr);
  ck_assert_int_eq(make_awl(&awl, tf, find, NULL, 0), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&exact_ap, awl, mps_args_none), MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_weak());
    ck_assert_int_eq(mps_ap_create_k(&weak_ap, awl, args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    ck_assert_int_eq(mps_pool_create_k(&amc, w.arena, mps_class_amc(), args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_ap_create_k(&amc_ap, amc, mps_args_none), MPS_RES_OK);
  gc_world_add_table(&w, roots, NROOTS);
}

static void setup_plain(void) { open_world(0, tf_find_dependent); }
static void setup_header(void) { open_world(WORD, tf_find_dependent); }
static void setup_nodep(void) { open_world(0, NULL); }

static void teardown(void)
{
  mps_arena_park(w.arena);
  mps_ap_destroy(amc_ap);
  mps_pool_destroy(amc);
  mps_ap_destroy(weak_ap);
  mps_ap_destroy(exact_ap);
  mps_pool_destroy(awl);
  mps_fmt_destroy(tf);
  gc_world_close(&w);
}

/* A Dylan object of class cls with payload n. */
static mps_addr_t dobj(mps_ap_t ap, unsigned cls, long n)
{
  mps_addr_t obj;
  mps_word_t fixed = dylan_int(n);
  ck_assert_int_eq(dylan_make(&obj, ap, w.header_size, wrappers[cls], &fixed, 0, NULL),
                   MPS_RES_OK);
  return obj;
}

static size_t census(mps_pool_t pool, unsigned cls)
{
  return gc_world_census(&w, pool).by_class[cls];
}

/* A Dylan object of class cls whose payload is n. */
static void expect_dobj(mps_word_t ref, unsigned cls, long n)
{
  ck_assert(tf_is_ref(ref));
  ck_assert(dylan_check((mps_addr_t)ref, w.header_size));
  ck_assert_uint_eq(dylan_class_id((mps_addr_t)ref), cls);
  ck_assert_int_eq(dylan_int_value(*dylan_slot((mps_addr_t)ref, 0)), n);
}

/* Blocks of the test format in pool, by tag, through mps_pool_walk. */
typedef struct TagCount {
  size_t objects;
  size_t bytes;
  size_t by_tag[TAG_LIMIT];
} TagCount;

static mps_res_t count_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  TagCount *tc = closure;
  (void)ss;
  for (mps_addr_t c = base; c < limit; c = tf_skip(c)) {
    ck_assert_uint_lt(tf_tag(c), TAG_LIMIT);
    ++tc->objects;
    tc->bytes += tf_size(tf_nslots(c));
    ++tc->by_tag[tf_tag(c)];
  }
  return MPS_RES_OK;
}

static TagCount awl_count(mps_pool_t pool)
{
  TagCount tc;
  memset(&tc, 0, sizeof tc);
  ck_assert_int_eq(mps_pool_walk(pool, count_area, &tc), MPS_RES_OK);
  return tc;
}

/* ---- Exact references keep ---- */

START_TEST(exact_keeps)
{
  mps_addr_t a = tf_make(exact_ap, 4, TAG_A, 0);
  mps_addr_t b = tf_make(exact_ap, 1, TAG_B, 0);
  mps_addr_t dead = tf_make(exact_ap, 1, TAG_DEAD, 0);
  mps_addr_t x = dobj(w.ams_ap, C_TARGET, 11);
  mps_addr_t y = dobj(amc_ap, C_TARGET, 22);
  mps_addr_t z = dobj(w.ams_ap, C_TARGET, 33);

  tf_set(a, 0, x);                      /* AMS */
  tf_set(a, 1, y);                      /* AMC: moves */
  tf_set(a, 2, b);                      /* AWL, which refers to AMS */
  *tf_slot(a, 3) = dylan_int(7);
  tf_set(b, 0, z);
  tf_set(dead, 0, dobj(w.ams_ap, C_DEAD, 44));
  roots[0] = a;
  /* a run of adjacent rooted objects, scanned together or one by one */
  for (size_t i = 0; i < 8; ++i) {
    roots[8 + i] = tf_make(exact_ap, 1, TAG_PLAIN, 0);
    tf_set(roots[8 + i], 0, dobj(w.ams_ap, C_LIVE, (long)i));
  }

  mps_arena_collect(w.arena);
  ck_assert_ptr_eq(roots[0], a);        /* AWL does not move */
  ck_assert_ptr_eq((mps_addr_t)*tf_slot(a, 0), x);
  expect_dobj(*tf_slot(a, 1), C_TARGET, 22);
  ck_assert_ptr_eq((mps_addr_t)*tf_slot(a, 2), b);
  ck_assert_uint_eq(*tf_slot(a, 3), dylan_int(7));
  ck_assert_ptr_eq((mps_addr_t)*tf_slot(b, 0), z);
  expect_dobj(*tf_slot(b, 0), C_TARGET, 33);
  ck_assert_uint_eq(census(w.ams, C_TARGET), 2);
  ck_assert_uint_eq(census(w.ams, C_DEAD), 0);
  ck_assert_uint_eq(census(amc, C_TARGET), 1);
  ck_assert_uint_eq(census(w.ams, C_LIVE), 8);
  for (size_t i = 0; i < 8; ++i)
    expect_dobj(*tf_slot(roots[8 + i], 0), C_LIVE, (long)i);
  {
    TagCount tc = awl_count(awl);
    ck_assert_uint_eq(tc.by_tag[TAG_PLAIN], 8);
    ck_assert_uint_eq(tc.by_tag[TAG_A], 1);
    ck_assert_uint_eq(tc.by_tag[TAG_B], 1);
    ck_assert_uint_eq(tc.by_tag[TAG_DEAD], 0);
  }

  memset(roots, 0, sizeof roots);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(awl_count(awl).objects, 0);
  ck_assert_uint_eq(census(w.ams, C_TARGET), 0);
  ck_assert_uint_eq(census(w.ams, C_LIVE), 0);
  ck_assert_uint_eq(census(amc, C_TARGET), 0);
  /* nothing committed is left: what remains is free */
  ck_assert_uint_eq(mps_pool_total_size(awl), mps_pool_free_size(awl));
}
END_TEST

/* ---- Weak references do not keep, and read 0 once their object dies ---- */

#define NWEAK 48

START_TEST(weak_splats)
{
  mps_addr_t wk = tf_make(weak_ap, NWEAK, TAG_WEAK, 0);
  mps_addr_t d = dobj(w.ams_ap, C_DEAD, 1);        /* AMS */
  mps_addr_t e = dobj(amc_ap, C_DEAD, 2);          /* AMC */
  mps_addr_t f = tf_make(exact_ap, 0, TAG_DEAD, 0); /* AWL, exact segment */
  mps_addr_t g = tf_make(weak_ap, 0, TAG_DEAD, 0);  /* AWL, weak segment */
  mps_addr_t live_ams = dobj(w.ams_ap, C_LIVE, 3);
  mps_addr_t live_amc = dobj(amc_ap, C_LIVE, 4);
  mps_addr_t targets[6] = {d, e, f, g, live_ams, live_amc};

  roots[0] = wk;
  roots[1] = live_ams;
  roots[2] = live_amc;
  for (size_t i = 0; i < NWEAK; ++i) {
    if (i % 8 < 6)
      tf_set(wk, i, targets[i % 8]);
    else if (i % 8 == 6)
      *tf_slot(wk, i) = dylan_int((long)i);
  }

  mps_arena_collect(w.arena);
  for (size_t i = 0; i < NWEAK; ++i) {
    mps_word_t v = *tf_slot(wk, i);
    switch (i % 8) {
    case 4:
      ck_assert_ptr_eq((mps_addr_t)v, roots[1]);
      break;
    case 5:                             /* moved with its exact root */
      ck_assert_ptr_eq((mps_addr_t)v, roots[2]);
      expect_dobj(v, C_LIVE, 4);
      break;
    case 6:
      ck_assert_uint_eq(v, dylan_int((long)i));
      break;
    default:                            /* every dead referent: splatted */
      ck_assert_uint_eq(v, 0);
    }
  }
  ck_assert_uint_eq(census(w.ams, C_DEAD), 0);
  ck_assert_uint_eq(census(amc, C_DEAD), 0);
  ck_assert_uint_eq(census(w.ams, C_LIVE), 1);
  ck_assert_uint_eq(census(amc, C_LIVE), 1);
  {
    TagCount tc = awl_count(awl);
    ck_assert_uint_eq(tc.by_tag[TAG_DEAD], 0);
    ck_assert_uint_eq(tc.by_tag[TAG_WEAK], 1);
  }

  /* The weak object itself lives in a weak segment, kept by its root
   * alone; without it, it goes too. */
  roots[0] = NULL;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(awl_count(awl).objects, 0);
  ck_assert_uint_eq(census(w.ams, C_LIVE), 1);
}
END_TEST

/* ---- Weak tables: the scan deletes the dependent's entry ---- */

#define NENTRIES 64

/* keys and values arrays, each the other's dependent, rooted. */
static void make_table(mps_addr_t *keys_o, mps_addr_t *vals_o, mps_ap_t keys_ap,
                       mps_ap_t vals_ap)
{
  mps_addr_t keys = tf_make(keys_ap, NENTRIES, TAG_KEYS, TF_TABLE);
  mps_addr_t vals = tf_make(vals_ap, NENTRIES, TAG_VALS, TF_TABLE);
  tf_set_dep(keys, vals);
  tf_set_dep(vals, keys);
  roots[0] = keys;
  roots[1] = vals;
  *keys_o = keys;
  *vals_o = vals;
}

START_TEST(weak_key_table)
{
  mps_addr_t keys, vals;

  make_table(&keys, &vals, weak_ap, exact_ap);
  for (size_t i = 0; i < NENTRIES; ++i) {
    mps_addr_t k = dobj(w.ams_ap, C_KEY, (long)i);
    tf_set(keys, i, k);
    tf_set(vals, i, dobj(amc_ap, C_VALUE, (long)i));
    if (i % 2 == 0)
      roots[2 + i / 2] = k;
  }

  mps_arena_collect(w.arena);
  /* design.awl.dependent: find_dependent saw client pointers */
  ck_assert_uint_gt(tf_dep_found, 0);
  ck_assert_uint_eq(tf_dep_found, tf_dep_calls);
  ck_assert_uint_eq(tf_deleted, NENTRIES / 2);
  for (size_t i = 0; i < NENTRIES; ++i) {
    if (i % 2 == 0) {
      ck_assert_ptr_eq((mps_addr_t)*tf_slot(keys, i), roots[2 + i / 2]);
      expect_dobj(*tf_slot(vals, i), C_VALUE, (long)i);
    } else {
      ck_assert_uint_eq(*tf_slot(keys, i), 0);
      ck_assert_uint_eq(*tf_slot(vals, i), TF_DELETED);
    }
  }
  ck_assert_uint_eq(census(w.ams, C_KEY), NENTRIES / 2);
  /* The values array was scanned (exact) before the keys (weak), so the
   * deleted values die at the next collection. */
  ck_assert_uint_eq(census(amc, C_VALUE), NENTRIES);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(census(amc, C_VALUE), NENTRIES / 2);
  ck_assert_uint_eq(tf_deleted, NENTRIES / 2);
  for (size_t i = 0; i < NENTRIES; i += 2)
    expect_dobj(*tf_slot(vals, i), C_VALUE, (long)i);
}
END_TEST

static bool gone(mps_word_t v)
{
  return v == 0 || v == TF_DELETED;
}

START_TEST(doubly_weak_table)
{
  mps_addr_t keys, vals;
  size_t nroots = 2;

  make_table(&keys, &vals, weak_ap, weak_ap);
  for (size_t i = 0; i < NENTRIES; ++i) {
    mps_addr_t k = dobj(w.ams_ap, C_KEY, (long)i);
    mps_addr_t v = dobj(w.ams_ap, C_VALUE, (long)i);
    tf_set(keys, i, k);
    tf_set(vals, i, v);
    if (i % 2 == 0)
      roots[nroots++] = k;
    if (i % 3 == 0)
      roots[nroots++] = v;
  }
  ck_assert_uint_le(nroots, NROOTS);

  mps_arena_collect(w.arena);
  for (size_t i = 0; i < NENTRIES; ++i) {
    mps_word_t k = *tf_slot(keys, i), v = *tf_slot(vals, i);
    if (i % 6 == 0) {
      expect_dobj(k, C_KEY, (long)i);
      expect_dobj(v, C_VALUE, (long)i);
    } else {
      /* no half of a broken entry survives, and nothing stale remains */
      ck_assert(gone(k));
      ck_assert(gone(v));
    }
  }
  ck_assert_uint_eq(census(w.ams, C_KEY), (NENTRIES + 1) / 2);
  ck_assert_uint_eq(census(w.ams, C_VALUE), (NENTRIES + 2) / 3);
}
END_TEST

/* ---- Refusals ---- */

START_TEST(alloc_refused)
{
  mps_addr_t p = NULL;
  mps_frame_t frame;

  /* design.awl.alloc */
  ck_assert_int_eq(mps_alloc(&p, awl, 64), MPS_RES_UNIMPL);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(mps_ap_frame_push(&frame, exact_ap), MPS_RES_OK);
  (void)tf_make(exact_ap, 2, TAG_PLAIN, 0);
  ck_assert_int_eq(mps_ap_frame_pop(exact_ap, frame), MPS_RES_OK);
}
END_TEST

START_TEST(rank_refused)
{
  mps_ap_t ap = NULL;
  const mps_rank_t bad[] = {mps_rank_ambig(), (mps_rank_t)RANK_FINAL,
                            (mps_rank_t)RANK_LIMIT, (mps_rank_t)99};

  /* design.awl.rank */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    MPS_ARGS_BEGIN(args) {
      MPS_ARGS_ADD(args, MPS_KEY_RANK, bad[i]);
      ck_assert_int_eq(mps_ap_create_k(&ap, awl, args), MPS_RES_PARAM);
    } MPS_ARGS_END(args);
  }
  ck_assert_ptr_null(ap);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, WORD);
    ck_assert_int_eq(mps_ap_create_k(&ap, awl, args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  /* the default is exact; the variadic form takes the rank */
  ck_assert_int_eq(mps_ap_create_k(&ap, awl, mps_args_none), MPS_RES_OK);
  ck_assert_uint_eq(buffer_of_ap(ap)->rank, RANK_EXACT);
  mps_ap_destroy(ap);
  ck_assert_int_eq(mps_ap_create(&ap, awl, mps_rank_weak()), MPS_RES_OK);
  ck_assert_uint_eq(buffer_of_ap(ap)->rank, RANK_WEAK);
  mps_ap_destroy(ap);
  ck_assert_int_eq(mps_ap_create(&ap, awl, mps_rank_ambig()), MPS_RES_PARAM);
}
END_TEST

START_TEST(keywords)
{
  mps_pool_t pool = NULL;
  mps_fmt_t no_scan = tf_format(w.arena, false, true, 0);
  mps_fmt_t no_skip = tf_format(w.arena, true, false, 0);
  mps_arena_t other;
  mps_fmt_t foreign;
  mps_chain_t chain;
  mps_gen_param_s gens[2] = {{256, 0.5}, {1024, 0.5}};

  /* design.awl.args: the format is required, with scan and skip */
  ck_assert_int_eq(make_awl(&pool, NULL, NULL, NULL, 0), MPS_RES_PARAM);
  ck_assert_int_eq(make_awl(&pool, no_scan, NULL, NULL, 0), MPS_RES_PARAM);
  ck_assert_int_eq(make_awl(&pool, no_skip, NULL, NULL, 0), MPS_RES_PARAM);
  ck_assert_int_eq(mps_arena_create_k(&other, mps_arena_class_vm(), mps_args_none),
                   MPS_RES_OK);
  foreign = tf_format(other, true, true, 0);
  ck_assert_int_eq(make_awl(&pool, foreign, NULL, NULL, 0), MPS_RES_PARAM);
  mps_fmt_destroy(foreign);
  mps_arena_destroy(other);
  /* other classes' keys, and a null find-dependent function */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, tf);
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, 2 * WORD);
    ck_assert_int_eq(mps_pool_create_k(&pool, w.arena, mps_class_awl(), args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, tf);
    MPS_ARGS_ADD(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, 0);
    ck_assert_int_eq(mps_pool_create_k(&pool, w.arena, mps_class_awl(), args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, tf);
    MPS_ARGS_ADD_FIELD(args, MPS_KEY_AWL_FIND_DEPENDENT, addr_method, NULL);
    ck_assert_int_eq(mps_pool_create_k(&pool, w.arena, mps_class_awl(), args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  /* a generation the chain does not have */
  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 2, gens), MPS_RES_OK);
  ck_assert_int_eq(make_awl(&pool, tf, NULL, chain, 2), MPS_RES_PARAM);
  ck_assert_ptr_null(pool);
  ck_assert_int_eq(make_awl(&pool, tf, NULL, chain, 1), MPS_RES_OK);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);

  /* the variadic form: format and find-dependent function (NULL: none) */
  ck_assert_int_eq(mps_pool_create(&pool, w.arena, mps_class_awl(), tf, tf_find_dependent),
                   MPS_RES_OK);
  ck_assert_ptr_eq((void *)((AWL *)(void *)pool)->find_dependent, (void *)tf_find_dependent);
  ck_assert(awl_check((AWL *)(void *)pool));
  mps_pool_destroy(pool);
  ck_assert_int_eq(mps_pool_create(&pool, w.arena, mps_class_awl(), tf, NULL), MPS_RES_OK);
  ck_assert_ptr_null((void *)((AWL *)(void *)pool)->find_dependent);
  ck_assert(awl_check((AWL *)(void *)pool));
  mps_pool_destroy(pool);
  mps_fmt_destroy(no_scan);
  mps_fmt_destroy(no_skip);
}
END_TEST

/* ---- Walking, lookup, sizes, segments and description ---- */

/* mps_arena_formatted_objects_walk: count the AWL pool's objects. */
static void count_awl_object(mps_addr_t addr, mps_fmt_t fmt, mps_pool_t pool, void *p,
                             size_t s)
{
  (void)s;
  if (pool != awl)
    return;
  ck_assert_ptr_eq(fmt, tf);
  ck_assert_uint_lt(tf_tag(addr), TAG_LIMIT);
  ++*(size_t *)p;
}

START_TEST(walk_and_lookup)
{
  mps_addr_t a = tf_make(exact_ap, 3, TAG_A, 0);
  mps_addr_t b = tf_make(weak_ap, 5, TAG_B, 0);
  mps_addr_t p = NULL;
  Pool *pool = awl;
  TagCount tc;
  Ring *node;
  size_t walked = 0;

  roots[0] = a;
  roots[1] = b;
  tc = awl_count(awl);
  ck_assert_uint_eq(tc.objects, 2);
  ck_assert_uint_eq(tc.by_tag[TAG_A], 1);
  ck_assert_uint_eq(tc.by_tag[TAG_B], 1);
  /* design.awl.size: what is committed is what is not free */
  ck_assert_uint_eq(mps_pool_total_size(awl) - mps_pool_free_size(awl), tc.bytes);
  ck_assert_uint_eq(tc.bytes, tf_size(3) + tf_size(5));

  /* design.awl.rank.seg: one rank a segment */
  ck_assert_uint_eq(buffer_of_ap(exact_ap)->seg->rank_set, RANKSET_SINGLE(RANK_EXACT));
  ck_assert_uint_eq(buffer_of_ap(weak_ap)->seg->rank_set, RANKSET_SINGLE(RANK_WEAK));
  for (node = pool->seg_ring.next; node != &pool->seg_ring; node = node->next) {
    Seg *seg = RING_ELT(Seg, pool_ring, node);
    ck_assert(seg->rank_set == RANKSET_SINGLE(RANK_EXACT)
              || seg->rank_set == RANKSET_SINGLE(RANK_WEAK));
  }

  ck_assert_int_eq(mps_addr_object(&p, w.arena, (char *)a + 2 * WORD), MPS_RES_OK);
  ck_assert_ptr_eq(p, a);
  ck_assert_int_eq(mps_addr_object(&p, w.arena, b), MPS_RES_OK);
  ck_assert_ptr_eq(p, b);
  ck_assert_int_eq(mps_addr_object(&p, w.arena, (char *)tf_skip(b) - tf_hdr - 1), MPS_RES_OK);
  ck_assert_ptr_eq(p, b);
  /* the allocation point's unused part holds no object */
  ck_assert_ptr_ne(exact_ap->init, exact_ap->limit);
  ck_assert_int_eq(mps_addr_object(&p, w.arena, exact_ap->init), MPS_RES_FAIL);
  ck_assert_ptr_eq(p, b);

  /* the formatted-objects walk sees both (and nothing of the others) */
  mps_arena_formatted_objects_walk(w.arena, count_awl_object, &walked, 0);
  ck_assert_uint_eq(walked, 2);

  /* after a collection that keeps them, the same */
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(awl_count(awl).objects, 2);
}
END_TEST

START_TEST(describe)
{
  FILE *f = tmpfile();
  char text[4096];
  size_t n;

  ck_assert_ptr_nonnull(f);
  (void)tf_make(weak_ap, 1, TAG_PLAIN, 0);
  ck_assert_int_eq(pool_describe(awl, (mps_lib_FILE *)f, 0), RES_OK);
  rewind(f);
  n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  ck_assert_ptr_nonnull(strstr(text, "AWL"));
  ck_assert_ptr_nonnull(strstr(text, "weak_segments"));
  ck_assert_ptr_nonnull(strstr(text, "find_dependent"));
}
END_TEST

/* ---- Generations: design.awl.gen ---- */

START_TEST(generations)
{
  mps_gen_param_s gens[2] = {{64, 0.5}, {64 * 1024, 0.5}};
  mps_chain_t chain;
  mps_pool_t young, old;
  mps_ap_t young_ap, old_ap;
  AWL *old_awl;
  Res res;

  ck_assert_int_eq(mps_chain_create(&chain, w.arena, 2, gens), MPS_RES_OK);
  ck_assert_int_eq(make_awl(&young, tf, NULL, chain, 0), MPS_RES_OK);
  ck_assert_int_eq(make_awl(&old, tf, NULL, chain, 1), MPS_RES_OK);
  old_awl = (AWL *)(void *)old;
  ck_assert_uint_eq(old_awl->mark.pgen.gen, 1);
  ck_assert_int_eq(mps_ap_create(&young_ap, young, mps_rank_exact()), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create(&old_ap, old, mps_rank_weak()), MPS_RES_OK);

  roots[0] = tf_make(old_ap, 2, TAG_A, 0);
  roots[1] = tf_make(young_ap, 2, TAG_A, 0);
  tf_set(roots[0], 0, dobj(w.ams_ap, C_LIVE, 1));    /* weak, dies */
  tf_set(roots[0], 1, tf_make(young_ap, 0, TAG_DEAD, 0));
  (void)tf_make(old_ap, 2, TAG_DEAD, 0);
  /* over generation 0's capacity */
  for (size_t i = 0; i < 128; ++i)
    (void)tf_make(young_ap, 126, TAG_DEAD, 0);
  ck_assert(chain_gen_over_capacity(chain, 0));
  ck_assert(!chain_gen_over_capacity(chain, 1));

  /* A collection the chain asks for condemns generation 0 only: the
   * pool in generation 1 keeps its garbage; of its weak slots, the one
   * to a dead object of generation 0 is splatted and the one to an
   * object of a pool not condemned stays. */
  arena_enter(w.arena);
  res = trace_collect(arena_globals(w.arena), TRACE_WHY_CHAIN);
  arena_leave(w.arena);
  ck_assert_int_eq(res, RES_OK);
  ck_assert_uint_eq(awl_count(young).by_tag[TAG_DEAD], 0);
  ck_assert_uint_eq(awl_count(young).by_tag[TAG_A], 1);
  ck_assert_uint_eq(awl_count(old).by_tag[TAG_DEAD], 1);
  ck_assert_uint_eq(awl_count(old).by_tag[TAG_A], 1);
  ck_assert(tf_is_ref(*tf_slot(roots[0], 0)));
  ck_assert_uint_eq(*tf_slot(roots[0], 1), 0);
  /* objects stay in their generation: nothing promoted */
  ck_assert_uint_eq(old_awl->mark.pgen.gen, 1);
  ck_assert_uint_eq(chain->gens[1].total_size, old_awl->mark.pgen.total_size);

  mps_arena_collect(w.arena);
  ck_assert_uint_eq(awl_count(old).by_tag[TAG_DEAD], 0);
  ck_assert_uint_eq(awl_count(old).by_tag[TAG_A], 1);
  ck_assert_uint_eq(*tf_slot(roots[0], 0), 0);
  ck_assert_uint_eq(old_awl->mark.pgen.gen, 1);

  roots[0] = roots[1] = NULL;
  mps_ap_destroy(young_ap);
  mps_ap_destroy(old_ap);
  mps_pool_destroy(young);
  mps_pool_destroy(old);
  mps_chain_destroy(chain);
}
END_TEST

/* ---- A dependent in a moving pool: design.awl.dependent.pool ---- */

#ifdef CONFIG_VAR_COOL
static mps_addr_t moving_dep;

static mps_addr_t find_in_amc(mps_addr_t c)
{
  (void)c;
  return moving_dep;
}

START_TEST(moving_dependent_asserts)
{
  mps_pool_t pool;
  mps_ap_t ap;

  ck_assert_int_eq(make_awl(&pool, tf, find_in_amc, NULL, 0), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create(&ap, pool, mps_rank_weak()), MPS_RES_OK);
  moving_dep = dobj(amc_ap, C_TARGET, 1);
  roots[0] = moving_dep;
  roots[1] = tf_make(ap, 1, TAG_PLAIN, 0);
  mps_arena_collect(w.arena);       /* the scan of roots[1] asserts */
  /* not reached; if it were, end cleanly so the test fails */
  roots[1] = NULL;
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("awl");
  struct { const char *name; SFun setup; } cases[] = {
    {"dependents", setup_plain}, {"header", setup_header}, {"no_dependent", setup_nodep}
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    TCase *tc = fixture_tcase(s, cases[i].name, cases[i].setup, teardown, 0);
    tcase_add_test(tc, exact_keeps);
    tcase_add_test(tc, weak_splats);
    tcase_add_test(tc, walk_and_lookup);
    if (cases[i].setup != setup_nodep) {
      tcase_add_test(tc, weak_key_table);
      tcase_add_test(tc, doubly_weak_table);
    }
  }
  {
    TCase *tc = fixture_tcase(s, "interface", setup_plain, teardown, 0);
    tcase_add_test(tc, alloc_refused);
    tcase_add_test(tc, rank_refused);
    tcase_add_test(tc, keywords);
    tcase_add_test(tc, describe);
    tcase_add_test(tc, generations);
#ifdef CONFIG_VAR_COOL
    tcase_add_test_raise_signal(tc, moving_dependent_asserts, SIGABRT);
#endif
  }
  return fixture_run_suite(s);
}
