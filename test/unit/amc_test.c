/* test/unit/amc_test.c -- AMC and AMCZ driven through the public
 * interface (mps_arena_collect runs full collections), with a look at
 * the pool's internals where the interface cannot tell: objects move and
 * every reference follows them; ambiguous references (a table root, a
 * stack local) pin objects in place; interior pointers pin or not
 * (MPS_KEY_INTERIOR); large objects stay put; AMCZ leaves; the walkers
 * never see padding or forwarding objects; copying without memory
 * nails instead; a commit after a flip fails and the retry succeeds;
 * generations and promotion; automatic collections; objects whose
 * layout is read through another object that moves too (the Dylan-like
 * format of test/lib, with wrappers); bad arguments.
 * Design: manual/design/amc.rst */
#include "pool/amc.h"
#include "arena/seg.h"
#include "mps.h"
#include "mpsavm.h"
#include "mpscamc.h"
#include "dylan.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define W ((size_t)sizeof(mps_word_t))

/* ---- The test format ----
 * A block is a whole number of words; b = client - hdr is its base.
 * Word 0 of the block tells what it is by its low two bits:
 *   object:  size << 8 | nrefs << 2 | 0; words 1..nrefs are references
 *            (client pointers or 0), word nrefs+1 the object's id, the
 *            rest a pattern of the id;
 *   pad:     size << 2 | 1;
 *   forward: size << 2 | 2, word 1 the new client pointer.
 * With hdr = W the client pointer is b + W (word 0 is then an in-band
 * header), otherwise b. */

enum { TAG_OBJ = 0, TAG_PAD = 1, TAG_FWD = 2, TAG_MASK = 3 };

static size_t hdr;
static unsigned long fwd_seen;      /* forwarding objects the scan met */

static mps_word_t *blk(mps_addr_t client) { return (mps_word_t *)((char *)client - hdr); }
static unsigned tag_of(mps_addr_t c) { return (unsigned)(blk(c)[0] & TAG_MASK); }
static size_t obj_size(mps_addr_t c)
{
  mps_word_t w = blk(c)[0];
  return (w & TAG_MASK) == TAG_OBJ ? (size_t)(w >> 8) : (size_t)(w >> 2);
}
static size_t obj_nrefs(mps_addr_t c) { return (size_t)((blk(c)[0] >> 2) & 63); }
static mps_addr_t *obj_ref(mps_addr_t c, size_t i) { return (mps_addr_t *)&blk(c)[1 + i]; }
static long obj_id(mps_addr_t c) { return (long)blk(c)[1 + obj_nrefs(c)]; }
static mps_word_t pattern(long id, size_t i) { return (mps_word_t)id * 1000003u + i; }

static mps_res_t t_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  MPS_SCAN_BEGIN(ss) {
    char *c = base;
    while (c < (char *)limit) {
      mps_word_t *b = blk(c);
      unsigned tag = (unsigned)(b[0] & TAG_MASK);
      ck_assert_uint_ne(tag, 3);
      if (tag == TAG_OBJ) {
        size_t n = (size_t)((b[0] >> 2) & 63);
        for (size_t i = 1; i <= n; ++i) {
          mps_addr_t ref = (mps_addr_t)b[i];
          if (ref != NULL && MPS_FIX1(ss, ref)) {
            mps_res_t res = MPS_FIX2(ss, &ref);
            if (res != MPS_RES_OK)
              return res;
            b[i] = (mps_word_t)ref;
          }
        }
      } else if (tag == TAG_FWD) {
        ++fwd_seen;
      }
      c += obj_size(c);
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}

static mps_addr_t t_skip(mps_addr_t c)
{
  return (char *)c + obj_size(c);
}

static void t_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  size_t size = obj_size(old);
  ck_assert_uint_ge(size, 2 * W);
  blk(old)[0] = (mps_word_t)size << 2 | TAG_FWD;
  blk(old)[1] = (mps_word_t)new_addr;
}

static mps_addr_t t_isfwd(mps_addr_t c)
{
  if (tag_of(c) != TAG_FWD)
    return NULL;
  return (mps_addr_t)blk(c)[1];
}

static void t_pad(mps_addr_t base, size_t size)
{
  ck_assert(size > 0 && size % W == 0);
  ((mps_word_t *)base)[0] = (mps_word_t)size << 2 | TAG_PAD;
}

enum { F_SCAN = 1, F_FWD = 2, F_ISFWD = 4, F_PAD = 8, F_ALL = 15 };

static mps_res_t make_format(mps_fmt_t *fmt_o, mps_arena_t a, unsigned which)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, W);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, hdr);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, t_skip);
    if (which & F_SCAN)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, t_scan);
    if (which & F_FWD)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, t_fwd);
    if (which & F_ISFWD)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, t_isfwd);
    if (which & F_PAD)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, t_pad);
    res = mps_fmt_create_k(fmt_o, a, args);
  } MPS_ARGS_END(args);
  return res;
}

/* ---- The environment: an arena, a format, a chain, a pool, an
 * allocation point and an exact table root ---- */

#define NROOTS 1024
#define NAMB 16

typedef struct Opts {
  bool leaf;                /* AMCZ */
  size_t hdr;
  bool interior;
  size_t large_size;        /* 0: default */
  size_t gens;              /* chain length, 0: 1 */
  unsigned first_gen;
  size_t capacity_kb;       /* of each generation, 0: big */
} Opts;

static mps_arena_t arena;
static mps_fmt_t fmt;
static mps_chain_t chain;
static mps_pool_t pool;
static mps_ap_t ap;
static mps_root_t root, amb_root;
static mps_addr_t roots[NROOTS];    /* exact */
static mps_addr_t amb[NAMB];        /* ambiguous */

static void env_open(const Opts *o)
{
  mps_gen_param_s params[4];
  size_t gens = o->gens == 0 ? 1 : o->gens;
  mps_res_t res;

  hdr = o->hdr;
  fwd_seen = 0;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)64 << 20);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  mps_arena_park(arena);
  ck_assert_int_eq(make_format(&fmt, arena, o->leaf ? F_ALL & ~F_SCAN : F_ALL), MPS_RES_OK);
  for (size_t i = 0; i < gens; ++i) {
    params[i].mps_capacity = o->capacity_kb != 0 ? o->capacity_kb : 1u << 20;
    params[i].mps_mortality = 0.5;
  }
  ck_assert_int_eq(mps_chain_create(&chain, arena, gens, params), MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    MPS_ARGS_ADD(args, MPS_KEY_GEN, o->first_gen);
    MPS_ARGS_ADD(args, MPS_KEY_INTERIOR, o->interior);
    if (o->large_size != 0)
      MPS_ARGS_ADD(args, MPS_KEY_LARGE_SIZE, o->large_size);
    res = mps_pool_create_k(&pool, arena, o->leaf ? mps_class_amcz() : mps_class_amc(),
                            args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  memset(roots, 0, sizeof roots);
  memset(amb, 0, sizeof amb);
  ck_assert_int_eq(mps_root_create_table(&root, arena, mps_rank_exact(), 0, roots, NROOTS),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_table(&amb_root, arena, mps_rank_ambig(), 0, amb, NAMB),
                   MPS_RES_OK);
}

static void env_close(void)
{
  mps_arena_park(arena);
  mps_root_destroy(amb_root);
  mps_root_destroy(root);
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_chain_destroy(chain);
  mps_fmt_destroy(fmt);
  mps_arena_destroy(arena);
}

static const Opts plain = {.interior = true};

/* Allocate on `on` an object of `words` words (header included), id,
 * whose references are the roots at src[0..nrefs) (a negative index
 * for 0), and put it in roots[dst].  The references are read after the
 * reserve and the object rebuilt when a commit fails, as the protocol
 * asks. */
static void make_on(mps_ap_t on, size_t dst, size_t words, long id, size_t nrefs,
                    const int *src)
{
  size_t size = words * W;
  mps_addr_t p;

  ck_assert(words >= 2 + nrefs && nrefs < 64);
  do {
    mps_word_t *b;
    ck_assert_int_eq(mps_reserve(&p, on, size), MPS_RES_OK);
    b = p;
    b[0] = (mps_word_t)size << 8 | (mps_word_t)nrefs << 2 | TAG_OBJ;
    for (size_t i = 0; i < nrefs; ++i)
      b[1 + i] = src[i] < 0 ? 0 : (mps_word_t)roots[src[i]];
    b[1 + nrefs] = (mps_word_t)id;
    for (size_t i = 2 + nrefs; i < words; ++i)
      b[i] = pattern(id, i);
  } while (!mps_commit(on, p, size));
  roots[dst] = (char *)p + hdr;
}

static void make(size_t dst, size_t words, long id, size_t nrefs, const int *src)
{
  make_on(ap, dst, words, id, nrefs, src);
}

/* Is the object at c an intact object of this id and size? */
static bool intact(mps_addr_t c, long id, size_t words)
{
  mps_word_t *b = blk(c);
  size_t n;
  if (tag_of(c) != TAG_OBJ || obj_size(c) != words * W || obj_id(c) != id)
    return false;
  n = obj_nrefs(c);
  for (size_t i = 2 + n; i < words; ++i)
    if (b[i] != pattern(id, i))
      return false;
  return true;
}

/* A list of n objects of `words` words in roots[dst]: ids base..base+n-1
 * from the head, each object's ref 0 the next. */
static void make_list(size_t dst, size_t n, long base, size_t words)
{
  int src[1];
  roots[dst] = NULL;
  src[0] = (int)dst;
  for (size_t i = n; i > 0; --i)
    make(dst, words, base + (long)i - 1, 1, src);
}

/* Check the list and record its objects' addresses in addrs (if not
 * NULL). */
static void check_list(mps_addr_t head, size_t n, long base, size_t words, mps_addr_t *addrs)
{
  mps_addr_t c = head;
  for (size_t i = 0; i < n; ++i) {
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(intact(c, base + (long)i, words), "list object %zu damaged", i);
    if (addrs != NULL)
      addrs[i] = c;
    c = *obj_ref(c, 0);
  }
  ck_assert_ptr_null(c);
}

static AMC *the_amc(void) { return amc_of_pool((Pool *)pool); }

static AMCSeg *seg_of(mps_addr_t c)
{
  Seg *seg;
  ck_assert(arena_seg_of_addr(&seg, (Arena *)arena, (Addr)c));
  ck_assert_ptr_eq(seg->pool, (Pool *)pool);
  return amc_seg_of_seg(seg);
}

/* The chain generation of the segment holding c. */
static Index gen_of(mps_addr_t c)
{
  return seg_of(c)->gen->pgen.gen;
}

/* ---- Walking ---- */

static size_t stepped;

static void count_stepper(mps_addr_t addr, mps_fmt_t f, mps_pool_t p, void *closure,
                          size_t s)
{
  (void)closure;
  (void)s;
  ck_assert_ptr_eq(f, fmt);
  ck_assert_ptr_eq(p, pool);
  ck_assert_uint_eq(tag_of(addr), TAG_OBJ);
  ++stepped;
}

static void apply_stepper(mps_addr_t addr, void *p, size_t s)
{
  ck_assert_ptr_eq(p, &stepped);
  ck_assert_uint_eq(s, 42);
  ck_assert_uint_eq(tag_of(addr), TAG_OBJ);
  ++stepped;
}

static mps_res_t count_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  (void)ss;
  (void)closure;
  for (char *c = base; c < (char *)limit; c += obj_size(c)) {
    ck_assert_uint_eq(tag_of(c), TAG_OBJ);
    ++stepped;
  }
  return MPS_RES_OK;
}

/* The objects each walker sees; all three must agree. */
static size_t walk_count(void)
{
  size_t a, b, c;
  stepped = 0;
  mps_arena_formatted_objects_walk(arena, count_stepper, NULL, 0);
  a = stepped;
  stepped = 0;
  ck_assert_int_eq(mps_pool_walk(pool, count_area, NULL), MPS_RES_OK);
  b = stepped;
  stepped = 0;
  mps_amc_apply(pool, apply_stepper, &stepped, 42);
  c = stepped;
  ck_assert_uint_eq(a, b);
  ck_assert_uint_eq(a, c);
  return a;
}

/* ---- Tests ---- */

/* Every object of a list moves and every reference follows. */
static void moving_list(size_t header)
{
  enum { N = 2000, WORDS = 5 };
  Opts o = plain;
  mps_addr_t *before = malloc(N * sizeof *before), *after = malloc(N * sizeof *after);

  o.hdr = header;
  env_open(&o);
  make_list(0, N, 100, WORDS);
  check_list(roots[0], N, 100, WORDS, before);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  check_list(roots[0], N, 100, WORDS, after);
  for (size_t i = 0; i < N; ++i)
    ck_assert_ptr_ne(before[i], after[i]);
  ck_assert_uint_eq(the_amc()->copy_fail_count, 0);
  ck_assert_uint_eq(walk_count(), N);
  /* and again: the survivors move once more */
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  check_list(roots[0], N, 100, WORDS, before);
  for (size_t i = 0; i < N; ++i)
    ck_assert_ptr_ne(before[i], after[i]);
  free(before);
  free(after);
  env_close();
}

START_TEST(objects_move)
{
  moving_list(0);
}
END_TEST

START_TEST(objects_move_header)
{
  moving_list(W);
}
END_TEST

/* Shared structure: several references to one object all follow it,
 * the object is copied once, and unreachable objects die. */
START_TEST(shared_refs_follow)
{
  enum { N = 300 };
  int src[3];
  env_open(&plain);
  make(0, 4, 1, 0, NULL);                      /* the shared target */
  src[0] = 0;
  for (size_t i = 1; i <= N; ++i) {
    src[1] = (int)(i - 1);
    src[2] = -1;
    make(i, 6, (long)(1000 + i), 3, src);      /* ref 0: target; ref 1: previous */
  }
  for (size_t i = N + 1; i < N + 400; ++i)
    make(i, 8, -1, 0, NULL);                   /* garbage */
  for (size_t i = N + 1; i < N + 400; ++i)
    roots[i] = NULL;
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert(intact(roots[0], 1, 4));
  for (size_t i = 1; i <= N; ++i) {
    ck_assert(intact(roots[i], (long)(1000 + i), 6));
    ck_assert_ptr_eq(*obj_ref(roots[i], 0), roots[0]);
    ck_assert_ptr_eq(*obj_ref(roots[i], 1), roots[i - 1]);
    ck_assert_ptr_null(*obj_ref(roots[i], 2));
  }
  ck_assert_uint_eq(walk_count(), N + 1);
  ck_assert_uint_eq(fwd_seen, 0);
  /* nothing left: everything goes */
  memset(roots, 0, sizeof roots);
  mps_ap_destroy(ap);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_eq(mps_pool_total_size(pool), 0);
  ck_assert_uint_eq(walk_count(), 0);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  env_close();
}
END_TEST

/* An ambiguous table root pins the object it points at (reachable or
 * not), never changes, and the pinned object's own references are
 * fixed. */
START_TEST(ambiguous_table_pins)
{
  enum { N = 200, WORDS = 6 };
  mps_addr_t before[N], after[N], lonely;

  env_open(&plain);
  make_list(0, N, 0, WORDS);
  make(1, WORDS, 7777, 0, NULL);
  check_list(roots[0], N, 0, WORDS, before);
  lonely = roots[1];
  roots[1] = NULL;                   /* only the ambiguous root keeps it */
  amb[0] = before[50];
  amb[1] = lonely;
  amb[2] = (char *)before[10] + 1;   /* interior and misaligned */
  amb[3] = (mps_addr_t)(uintptr_t)0x12345;  /* no address of ours */
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  check_list(roots[0], N, 0, WORDS, after);
  ck_assert_ptr_eq(amb[0], before[50]);
  ck_assert_ptr_eq(after[50], before[50]);
  ck_assert_ptr_eq(after[10], before[10]);    /* interior pins by default */
  for (size_t i = 0; i < N; ++i)
    if (i != 50 && i != 10)
      ck_assert_ptr_ne(after[i], before[i]);
  /* the pinned object's reference was updated to its moved successor */
  ck_assert_ptr_eq(*obj_ref(after[50], 0), after[51]);
  ck_assert_ptr_eq(*obj_ref(after[49], 0), before[50]);
  ck_assert(intact(lonely, 7777, WORDS));
  ck_assert_uint_eq(walk_count(), N + 1);
  /* mps_addr_object finds a pinned object from inside it, and nothing in
   * the padding around it */
  {
    mps_addr_t found = NULL;
    ck_assert_int_eq(mps_addr_object(&found, arena, (char *)lonely + 2 * W), MPS_RES_OK);
    ck_assert_ptr_eq(found, lonely);
    ck_assert_int_eq(mps_addr_object(&found, arena, before[51]), MPS_RES_FAIL);
  }
  /* Unpinned, they move at the next collection. */
  memset(amb, 0, sizeof amb);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  check_list(roots[0], N, 0, WORDS, after);
  ck_assert_ptr_ne(after[50], before[50]);
  ck_assert_uint_eq(walk_count(), N);
  env_close();
}
END_TEST

/* A stack local (a registered thread's stack root) pins its object. */
static void __attribute__((noinline)) stack_pin_body(void)
{
  enum { N = 100, WORDS = 4 };
  mps_addr_t before[N], after[N];
  mps_addr_t volatile local;

  make_list(0, N, 0, WORDS);
  check_list(roots[0], N, 0, WORDS, before);
  local = before[30];
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  check_list(roots[0], N, 0, WORDS, after);
  ck_assert_ptr_eq(local, before[30]);
  ck_assert_ptr_eq(after[30], before[30]);
  ck_assert(intact(local, 30, WORDS));
  ck_assert_ptr_eq(*obj_ref(local, 0), after[31]);
}

START_TEST(stack_local_pins)
{
  void *cold;
  mps_thr_t thr;
  mps_root_t troot;

  env_open(&plain);
  ck_assert_int_eq(mps_thread_reg(&thr, arena), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_thread(&troot, arena, thr, &cold), MPS_RES_OK);
  stack_pin_body();
  mps_root_destroy(troot);
  mps_thread_dereg(thr);
  env_close();
}
END_TEST

/* MPS_KEY_INTERIOR: an ambiguous interior pointer pins when true only;
 * a client pointer pins either way. */
static void interior_case(bool interior, size_t header)
{
  enum { WORDS = 8 };
  Opts o = plain;
  mps_addr_t a, b, c;

  o.interior = interior;
  o.hdr = header;
  env_open(&o);
  make(0, WORDS, 1, 0, NULL);
  make(1, WORDS, 2, 0, NULL);
  make(2, WORDS, 3, 0, NULL);
  a = roots[0];
  b = roots[1];
  c = roots[2];
  amb[0] = (char *)a + 3 * W;      /* interior */
  amb[1] = b;                      /* client pointer */
  amb[2] = (char *)c - header;     /* the block's base (interior with a header) */
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert(intact(roots[0], 1, WORDS));
  ck_assert(intact(roots[1], 2, WORDS));
  ck_assert(intact(roots[2], 3, WORDS));
  if (interior)
    ck_assert_ptr_eq(roots[0], a);
  else
    ck_assert_ptr_ne(roots[0], a);
  ck_assert_ptr_eq(roots[1], b);
  if (interior || header == 0)
    ck_assert_ptr_eq(roots[2], c);
  else
    ck_assert_ptr_ne(roots[2], c);
  env_close();
}

START_TEST(interior_true_pins)
{
  interior_case(true, 0);
  interior_case(true, W);
}
END_TEST

START_TEST(interior_false_moves)
{
  interior_case(false, 0);
  interior_case(false, W);
}
END_TEST

/* A large object gets a segment of its own, never moves, is promoted in
 * place, and its references are fixed; dead, its segment goes back. */
START_TEST(large_object)
{
  enum { BIG = 3000, SMALL = 4 };
  Opts o = plain;
  int src[1] = {1};
  mps_addr_t big, small;
  size_t total;

  o.large_size = 8192;
  o.gens = 2;
  env_open(&o);
  make(1, SMALL, 5, 0, NULL);
  make(0, BIG, 6, 1, src);
  big = roots[0];
  small = roots[1];
  ck_assert(seg_of(big)->large);
  ck_assert_uint_eq(seg_base(&seg_of(big)->seg), (Addr)big - hdr);
  ck_assert_uint_eq(gen_of(big), 0);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_ptr_eq(roots[0], big);
  ck_assert_ptr_ne(roots[1], small);
  ck_assert(intact(big, 6, BIG));
  ck_assert(intact(roots[1], 5, SMALL));
  ck_assert_ptr_eq(*obj_ref(big, 0), roots[1]);
  ck_assert_uint_eq(gen_of(big), 1);
  ck_assert_uint_eq(gen_of(roots[1]), 1);
  ck_assert_uint_eq(walk_count(), 2);
  total = mps_pool_total_size(pool);
  roots[0] = NULL;
  /* the allocation point keeps the large segment until it next fills */
  make(2, SMALL, 7, 0, NULL);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  {
    mps_pool_t owner;
    ck_assert(!mps_addr_pool(&owner, arena, big));   /* its segment went back */
    ck_assert(mps_addr_pool(&owner, arena, roots[1]) && owner == pool);
  }
  ck_assert_uint_lt(mps_pool_total_size(pool), total + 2 * 65536);
  ck_assert_uint_eq(walk_count(), 2);
  env_close();
}
END_TEST

/* AMCZ: leaf objects move, are never scanned, die when unreachable;
 * AMC objects referring to them follow them. */
START_TEST(amcz_leaves)
{
  enum { N = 500, WORDS = 6 };
  Opts o = plain;
  mps_pool_t zpool, cpool;
  mps_ap_t zap, cap;
  mps_addr_t before[N];

  o.leaf = true;
  env_open(&o);
  ck_assert(the_amc()->leaf);
  for (size_t i = 0; i < N; ++i)
    make(i, WORDS, (long)i, 0, NULL);
  for (size_t i = 0; i < N; ++i)
    before[i] = roots[i];
  for (size_t i = 0; i < N; i += 2)
    roots[i] = NULL;                    /* half die */
  /* AMCZ segments hold no references: the trace never scans them */
  ck_assert_uint_eq(seg_of(before[1])->seg.rank_set, 0);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  for (size_t i = 1; i < N; i += 2) {
    ck_assert(intact(roots[i], (long)i, WORDS));
    ck_assert_ptr_ne(roots[i], before[i]);
  }
  ck_assert_uint_eq(walk_count(), N / 2);

  /* An AMC pool (with a scanning format) whose objects refer to AMCZ
   * objects. */
  zpool = pool;
  zap = ap;
  {
    mps_fmt_t sfmt;
    ck_assert_int_eq(make_format(&sfmt, arena, F_ALL), MPS_RES_OK);
    MPS_ARGS_BEGIN(args) {
      MPS_ARGS_ADD(args, MPS_KEY_FORMAT, sfmt);
      MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
      ck_assert_int_eq(mps_pool_create_k(&cpool, arena, mps_class_amc(), args),
                       MPS_RES_OK);
    } MPS_ARGS_END(args);
    ck_assert_int_eq(mps_ap_create_k(&cap, cpool, mps_args_none), MPS_RES_OK);
    for (size_t i = 1; i < N; i += 2) {
      int src[1] = {(int)i};
      make_on(cap, i - 1, 3, (long)(10000 + i), 1, src);   /* holder of leaf i */
      roots[i] = NULL;
    }
    ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
    for (size_t i = 1; i < N; i += 2) {
      ck_assert(intact(roots[i - 1], (long)(10000 + i), 3));
      ck_assert(intact(*obj_ref(roots[i - 1], 0), (long)i, WORDS));
      ck_assert_ptr_eq(seg_of(*obj_ref(roots[i - 1], 0))->seg.pool, (Pool *)zpool);
    }
    memset(roots, 0, sizeof roots);
    mps_ap_destroy(cap);
    mps_pool_destroy(cpool);
    mps_fmt_destroy(sfmt);
  }
  ck_assert_ptr_eq(ap, zap);    /* the AMCZ allocation point is still there */
  env_close();
}
END_TEST

/* Copying with no memory for the copies (the commit limit) nails the
 * objects in place: nothing is lost and the arena stays usable. */
static void out_of_memory_case(size_t slack)
{
  enum { N = 3000, WORDS = 6 };
  mps_addr_t *before = malloc(N * sizeof *before), *after = malloc(N * sizeof *after);
  size_t committed;

  env_open(&plain);
  /* a first collection, so its messages' control memory exists */
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  make_list(0, N, 0, WORDS);
  check_list(roots[0], N, 0, WORDS, before);
  committed = mps_arena_committed(arena);
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, committed + slack), MPS_RES_OK);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_gt(the_amc()->copy_fail_count, 0);
  check_list(roots[0], N, 0, WORDS, after);
  /* nothing moved: there was nowhere to move to */
  for (size_t i = 0; i < N; ++i)
    ck_assert_ptr_eq(after[i], before[i]);
  ck_assert_uint_eq(walk_count(), N);
  ck_assert_uint_le(mps_arena_committed(arena), committed + slack);
  /* With memory again, they move and the arena works as before. */
  ck_assert_int_eq(mps_arena_commit_limit_set(arena, (size_t)64 << 20), MPS_RES_OK);
  make_list(1, 100, 50000, WORDS);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  check_list(roots[0], N, 0, WORDS, after);
  check_list(roots[1], 100, 50000, WORDS, NULL);
  for (size_t i = 0; i < N; ++i)
    ck_assert_ptr_ne(after[i], before[i]);
  ck_assert_uint_eq(walk_count(), N + 100);
  free(before);
  free(after);
  env_close();
}

START_TEST(copy_out_of_memory_nails)
{
  out_of_memory_case(2 * 4096);
}
END_TEST

START_TEST(copy_out_of_memory_no_slack)
{
  out_of_memory_case(0);
}
END_TEST

/* A collection between reserve and commit makes the commit fail; the
 * client's retry succeeds. */
START_TEST(commit_fails_after_flip)
{
  enum { WORDS = 5 };
  int src[1] = {0};
  mps_addr_t p, old0;
  size_t size = WORDS * W;
  mps_word_t *b;

  env_open(&plain);
  make(0, WORDS, 1, 0, NULL);
  old0 = roots[0];
  ck_assert_int_eq(mps_reserve(&p, ap, size), MPS_RES_OK);
  b = p;
  b[0] = (mps_word_t)size << 8 | 1u << 2;
  b[1] = (mps_word_t)roots[0];
  b[2] = 2;
  for (size_t i = 3; i < WORDS; ++i)
    b[i] = pattern(2, i);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_ptr_ne(roots[0], old0);          /* the referent moved */
  ck_assert(!mps_commit(ap, p, size));
  /* the retry, as make() does it */
  make(1, WORDS, 2, 1, src);
  ck_assert(intact(roots[1], 2, WORDS));
  ck_assert_ptr_eq(*obj_ref(roots[1], 0), roots[0]);
  ck_assert_uint_eq(walk_count(), 2);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert(intact(roots[1], 2, WORDS));
  ck_assert_ptr_eq(*obj_ref(roots[1], 0), roots[0]);
  ck_assert_uint_eq(walk_count(), 2);

  /* A large reservation too */
  {
    size_t big = 5000 * W;
    ck_assert_int_eq(mps_reserve(&p, ap, big), MPS_RES_OK);
    b = p;
    b[0] = (mps_word_t)big << 8;
    b[1] = 3;
    for (size_t i = 2; i < 5000; ++i)
      b[i] = pattern(3, i);
    ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
    ck_assert(!mps_commit(ap, p, big));
    make(2, 5000, 3, 0, NULL);
    ck_assert(intact(roots[2], 3, 5000));
    ck_assert_uint_eq(walk_count(), 3);
  }
  env_close();
}
END_TEST

/* Survivors are promoted one generation per collection; the last keeps
 * its own.  MPS_KEY_GEN chooses where new objects go. */
START_TEST(generations_promote)
{
  Opts o = plain;
  o.gens = 3;
  env_open(&o);
  ck_assert_uint_eq(the_amc()->gen_count, 3);
  make(0, 4, 1, 0, NULL);
  ck_assert_uint_eq(gen_of(roots[0]), 0);
  for (Index expect = 1; expect <= 3; ++expect) {
    ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
    ck_assert(intact(roots[0], 1, 4));
    ck_assert_uint_eq(gen_of(roots[0]), expect < 2 ? expect : 2);
  }
  env_close();

  o.first_gen = 1;
  env_open(&o);
  ck_assert_uint_eq(the_amc()->gen_count, 2);
  make(0, 4, 1, 0, NULL);
  ck_assert_uint_eq(gen_of(roots[0]), 1);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_eq(gen_of(roots[0]), 2);
  env_close();
}
END_TEST

/* Collections the chain starts while the client allocates (arena
 * unclamped) keep a rooted structure intact among much garbage. */
START_TEST(automatic_collections)
{
  enum { N = 500, WORDS = 6, GARBAGE = 60000 };
  Opts o = plain;
  int src[2];

  o.gens = 2;
  o.capacity_kb = 256;
  env_open(&o);
  mps_arena_release(arena);
  make_list(0, N, 0, WORDS);
  make(1, 3, -5, 0, NULL);
  for (long i = 0; i < GARBAGE; ++i) {
    /* short-lived objects pointing at the list and at a fixed object;
     * each replaces the one before it in its root slot */
    src[0] = 0;
    src[1] = 1;
    make(2 + (size_t)(i % 64), 4 + (size_t)(i % 7), i, 2, src);
  }
  mps_arena_park(arena);
  ck_assert_uint_gt(mps_collections(arena), 2);
  check_list(roots[0], N, 0, WORDS, NULL);
  ck_assert(intact(roots[1], -5, 3));
  for (size_t k = 2; k < 66; ++k) {
    mps_addr_t c = roots[k];
    ck_assert_ptr_eq(*obj_ref(c, 0), roots[0]);
    ck_assert_ptr_eq(*obj_ref(c, 1), roots[1]);
  }
  env_close();
}
END_TEST

/* A random graph with ambiguous roots sprinkled in survives collections
 * with the same shape: a checksum over the reachable graph, by ids. */
static unsigned long rng_state;
static unsigned long rnd(void)
{
  rng_state = rng_state * 6364136223846793005ul + 1442695040888963407ul;
  return rng_state >> 33;
}

enum { GN = 20000, GSLOTS = 256 };
static unsigned char seen[GN];

static unsigned long graph_sum_from(mps_addr_t c)
{
  /* iterative DFS with an explicit stack */
  static mps_addr_t stack[GN * 4];
  size_t top = 0;
  unsigned long sum = 0;
  stack[top++] = c;
  while (top > 0) {
    mps_addr_t o = stack[--top];
    long id;
    if (o == NULL)
      continue;
    ck_assert_uint_eq(tag_of(o), TAG_OBJ);
    id = obj_id(o);
    ck_assert(id >= 0 && id < GN);
    ck_assert(intact(o, id, obj_size(o) / W));
    if (seen[id])
      continue;
    seen[id] = 1;
    sum += (unsigned long)id * 2654435761u;
    for (size_t i = 0; i < obj_nrefs(o); ++i) {
      mps_addr_t r = *obj_ref(o, i);
      sum += (r == NULL ? 7u : (unsigned long)obj_id(r) * 40503u) * (i + 1);
      ck_assert(top < GN * 4);
      stack[top++] = r;
    }
  }
  return sum;
}

static unsigned long graph_sum(void)
{
  unsigned long sum = 0;
  memset(seen, 0, sizeof seen);
  for (size_t k = 0; k < GSLOTS; ++k)
    sum = sum * 31 + graph_sum_from(roots[k]);
  for (size_t k = 0; k < NAMB; ++k)
    if (amb[k] != NULL)
      sum = sum * 37 + graph_sum_from(amb[k]);
  return sum;
}

START_TEST(random_graph)
{
  Opts o = plain;
  unsigned long sum;

  o.gens = 3;
  o.hdr = (size_t)_i * W;   /* both variants */
  env_open(&o);
  rng_state = 12345 + (unsigned long)_i;
  for (long id = 0; id < GN; ++id) {
    int src[3];
    size_t nrefs = rnd() % 4;
    size_t words = 2 + nrefs + rnd() % 6;
    for (size_t i = 0; i < nrefs; ++i)
      src[i] = (int)(rnd() % GSLOTS);
    if (rnd() % 50 == 0)
      words += 4500;              /* now and then a large object */
    make(rnd() % GSLOTS, words, id, nrefs, src);
    if (id % 1000 == 999) {
      /* an ambiguous root to a random rooted object */
      amb[rnd() % NAMB] = roots[rnd() % GSLOTS];
    }
    if (id % 5000 == 4999)
      ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  }
  sum = graph_sum();
  for (int k = 0; k < 3; ++k) {
    ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
    ck_assert_uint_eq(graph_sum(), sum);
  }
  /* every object a walker sees is reachable or pinned */
  {
    size_t reach = 0;
    for (size_t i = 0; i < GN; ++i)
      reach += seen[i];
    ck_assert_uint_ge(walk_count(), reach);
  }
  env_close();
}
END_TEST

/* The variadic forms: mps_pool_create(arena, class, format, chain) and
 * mps_ap_create(pool, rank) for AMC. */
START_TEST(varargs_forms)
{
  mps_pool_t p2;
  mps_ap_t ap2;

  env_open(&plain);
  ck_assert_int_eq(mps_pool_create(&p2, arena, mps_class_amc(), fmt, chain), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create(&ap2, p2, mps_rank_exact()), MPS_RES_OK);
  make_on(ap2, 0, 4, 9, 0, NULL);
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert(intact(roots[0], 9, 4));
  roots[0] = NULL;
  mps_ap_destroy(ap2);
  mps_pool_destroy(p2);
  env_close();
}
END_TEST

/* The Dylan-like format: every object's layout is read through its
 * wrapper, an object of the same pool that moves too (and may be pinned
 * while the objects that use it move, or the reverse). */
START_TEST(dylan_wrappers_move)
{
  enum { N = 1500, VAR = 3 };
  size_t h = _i == 0 ? 0 : DYLAN_HEADER_SIZE;
  mps_fmt_t dfmt;
  mps_pool_t dpool;
  mps_ap_t dap;
  mps_addr_t *before = malloc(N * sizeof *before);

  env_open(&plain);
  ck_assert_int_eq(dylan_fmt_create(&dfmt, arena, h), MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, dfmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, chain);
    ck_assert_int_eq(mps_pool_create_k(&dpool, arena, mps_class_amc(), args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_ap_create(&dap, dpool, mps_rank_exact()), MPS_RES_OK);
  ck_assert_int_eq(dylan_make_wrapper_wrapper(&roots[0], dap, h), MPS_RES_OK);
  ck_assert_int_eq(dylan_make_wrapper(&roots[1], dap, h, roots[0], 1, 2, DYLAN_VAR_WORDS),
                   MPS_RES_OK);
  roots[2] = NULL;
  for (long i = N - 1; i >= 0; --i) {
    mps_word_t fixed[2] = {(mps_word_t)roots[2], dylan_int(i)};
    mps_word_t var[VAR] = {dylan_int(i * 3), dylan_int(i * 3 + 1), dylan_int(i * 3 + 2)};
    ck_assert_int_eq(dylan_make(&roots[2], dap, h, roots[1], fixed, VAR, var), MPS_RES_OK);
    if (i % 97 == 0)
      ck_assert_int_eq(dylan_make(&roots[3], dap, h, roots[1], NULL, VAR, NULL),
                       MPS_RES_OK);                           /* garbage */
  }
  roots[3] = NULL;
  for (int round = 0; round < 4; ++round) {
    mps_addr_t obj = roots[2], wrapper = roots[1];
    DylanCensus c;
    for (size_t i = 0; i < N; ++i) {
      before[i] = obj;
      obj = (mps_addr_t)*dylan_slot(obj, 0);
    }
    memset(amb, 0, sizeof amb);
    if (round == 0)
      amb[0] = wrapper;                  /* the wrapper stays, its users move */
    if (round == 1) {
      for (size_t k = 0; k < NAMB; ++k)  /* some users stay, the wrapper moves */
        amb[k] = before[k * 71 % N];
    }
    ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
    if (round == 0)
      ck_assert_ptr_eq(roots[1], wrapper);
    else
      ck_assert_ptr_ne(roots[1], wrapper);
    obj = roots[2];
    for (long i = 0; i < N; ++i) {
      ck_assert(dylan_check(obj, h));
      ck_assert_ptr_eq(dylan_wrapper(obj), roots[1]);
      ck_assert_int_eq(dylan_int_value(*dylan_slot(obj, 1)), i);
      ck_assert_uint_eq(dylan_var_len(obj), VAR);
      for (size_t j = 0; j < VAR; ++j)
        ck_assert_uint_eq(*dylan_var(obj, j), dylan_int(i * 3 + (long)j));
      if (round == 1 && i == 71)
        ck_assert_ptr_eq(obj, before[71]);
      obj = (mps_addr_t)*dylan_slot(obj, 0);
    }
    ck_assert_ptr_null(obj);
    dylan_census(&c, arena, dpool, NULL, h);
    ck_assert_uint_eq(c.bad, 0);
    ck_assert_uint_eq(c.pads, 0);
    ck_assert_uint_eq(c.objects, N + 2);
  }
  memset(amb, 0, sizeof amb);
  memset(roots, 0, sizeof roots);
  mps_ap_destroy(dap);
  mps_pool_destroy(dpool);
  mps_fmt_destroy(dfmt);
  free(before);
  env_close();
}
END_TEST

/* ---- Bad arguments ---- */

static mps_res_t try_pool(mps_pool_class_t klass, mps_fmt_t f, mps_chain_t c, bool with_gen,
                          unsigned gen)
{
  mps_pool_t p;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    if (f != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_FORMAT, f);
    if (c != NULL)
      MPS_ARGS_ADD(args, MPS_KEY_CHAIN, c);
    if (with_gen)
      MPS_ARGS_ADD(args, MPS_KEY_GEN, gen);
    res = mps_pool_create_k(&p, arena, klass, args);
  } MPS_ARGS_END(args);
  if (res == MPS_RES_OK)
    mps_pool_destroy(p);
  return res;
}

START_TEST(bad_arguments)
{
  mps_fmt_t f;
  mps_arena_t arena2;
  mps_chain_t chain2;
  mps_gen_param_s gp = {1024, 0.5};
  mps_pool_t p;
  mps_ap_t a;
  mps_res_t res;

  env_open(&plain);
  /* no format */
  ck_assert_int_eq(try_pool(mps_class_amc(), NULL, chain, false, 0), MPS_RES_PARAM);
  ck_assert_int_eq(try_pool(mps_class_amcz(), NULL, chain, false, 0), MPS_RES_PARAM);
  /* a format without one of the methods the classes need */
  {
    static const unsigned missing[] = {F_FWD, F_ISFWD, F_PAD};
    for (size_t i = 0; i < 3; ++i) {
      ck_assert_int_eq(make_format(&f, arena, F_ALL & ~missing[i]), MPS_RES_OK);
      ck_assert_int_eq(try_pool(mps_class_amc(), f, chain, false, 0), MPS_RES_PARAM);
      ck_assert_int_eq(try_pool(mps_class_amcz(), f, chain, false, 0), MPS_RES_PARAM);
      mps_fmt_destroy(f);
    }
    ck_assert_int_eq(make_format(&f, arena, F_ALL & ~F_SCAN), MPS_RES_OK);
    ck_assert_int_eq(try_pool(mps_class_amc(), f, chain, false, 0), MPS_RES_PARAM);
    ck_assert_int_eq(try_pool(mps_class_amcz(), f, chain, false, 0), MPS_RES_OK);
    mps_fmt_destroy(f);
  }
  /* a chain of another arena; a generation out of range */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)16 << 20);
    ck_assert_int_eq(mps_arena_create_k(&arena2, mps_arena_class_vm(), args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_chain_create(&chain2, arena2, 1, &gp), MPS_RES_OK);
  ck_assert_int_eq(try_pool(mps_class_amc(), fmt, chain2, false, 0), MPS_RES_PARAM);
  ck_assert_int_eq(try_pool(mps_class_amcz(), fmt, chain2, false, 0), MPS_RES_PARAM);
  mps_chain_destroy(chain2);
  mps_arena_destroy(arena2);
  ck_assert_int_eq(try_pool(mps_class_amc(), fmt, chain, true, 1), MPS_RES_PARAM);
  ck_assert_int_eq(try_pool(mps_class_amc(), fmt, chain, true, 0), MPS_RES_OK);
  /* the default chain when none is given */
  ck_assert_int_eq(try_pool(mps_class_amc(), fmt, NULL, false, 0), MPS_RES_OK);
  /* sizes of zero, keys of other classes */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, 0);
    ck_assert_int_eq(mps_pool_create_k(&p, arena, mps_class_amc(), args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_LARGE_SIZE, 0);
    ck_assert_int_eq(mps_pool_create_k(&p, arena, mps_class_amc(), args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, 64);
    ck_assert_int_eq(mps_pool_create_k(&p, arena, mps_class_amc(), args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, 100000);
    MPS_ARGS_ADD(args, MPS_KEY_INTERIOR, 0);
    ck_assert_int_eq(mps_pool_create_k(&p, arena, mps_class_amc(), args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_uint_eq(amc_of_pool((Pool *)p)->interior, false);
  ck_assert_uint_ge(amc_of_pool((Pool *)p)->extend_by, 100000);
  /* allocation points: exact only; hash arrays accepted */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_ambig());
    ck_assert_int_eq(mps_ap_create_k(&a, p, args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_weak());
    ck_assert_int_eq(mps_ap_create_k(&a, p, args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, 8);
    ck_assert_int_eq(mps_ap_create_k(&a, p, args), MPS_RES_PARAM);
  } MPS_ARGS_END(args);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_AP_HASH_ARRAYS, 1);
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_exact());
    res = mps_ap_create_k(&a, p, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  mps_ap_destroy(a);
  /* no mps_alloc */
  {
    mps_addr_t q;
    ck_assert_int_ne(mps_alloc(&q, p, 64), MPS_RES_OK);
  }
  mps_pool_destroy(p);
  env_close();
}
END_TEST

/* The pool's sizes: total is its segments, free at most total. */
START_TEST(sizes)
{
  env_open(&plain);
  ck_assert_uint_eq(mps_pool_total_size(pool), 0);
  make_list(0, 100, 0, 4);
  ck_assert_uint_gt(mps_pool_total_size(pool), 100 * 4 * W);
  ck_assert_uint_le(mps_pool_free_size(pool), mps_pool_total_size(pool));
  ck_assert_uint_eq(the_amc()->total_size, mps_pool_total_size(pool));
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert_uint_le(mps_pool_free_size(pool), mps_pool_total_size(pool));
  ck_assert_uint_ge(mps_pool_total_size(pool) - mps_pool_free_size(pool), 100 * 4 * W);
  env_close();
}
END_TEST

int main(void)
{
  Suite *s = suite_create("amc");
  TCase *tc = tcase_create("move");
  TCase *tp = tcase_create("pin");
  TCase *te = tcase_create("edge");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, objects_move);
  tcase_add_test(tc, objects_move_header);
  tcase_add_test(tc, shared_refs_follow);
  tcase_add_test(tc, generations_promote);
  tcase_add_test(tc, automatic_collections);
  tcase_add_loop_test(tc, random_graph, 0, 2);
  tcase_add_test(tc, varargs_forms);
  tcase_add_test(tc, sizes);
  suite_add_tcase(s, tc);

  tcase_add_test(tp, ambiguous_table_pins);
  tcase_add_test(tp, stack_local_pins);
  tcase_add_test(tp, interior_true_pins);
  tcase_add_test(tp, interior_false_moves);
  tcase_add_test(tp, large_object);
  tcase_add_loop_test(tp, dylan_wrappers_move, 0, 2);
  suite_add_tcase(s, tp);

  tcase_set_timeout(te, 60);
  tcase_add_test(te, amcz_leaves);
  tcase_add_test(te, copy_out_of_memory_nails);
  tcase_add_test(te, copy_out_of_memory_no_slack);
  tcase_add_test(te, commit_fails_after_flip);
  tcase_add_test(te, bad_arguments);
  suite_add_tcase(s, te);

  sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
