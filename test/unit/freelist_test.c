/* test/unit/freelist_test.c -- the in-memory free list against a
 * bit-per-grain model, over real memory whose allocated grains carry a
 * canary the freelist must never touch.
 * Design: manual/design/cbs.rst (design.cbs.freelist)
 * Seeded: LAGOON_SEED=n overrides the fixed seed, which every failure
 * message prints. */
#include "base/freelist.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long seed = 777;
static unsigned long step;
static uint64_t rng_state;

static void rng_seed(unsigned long s) { rng_state = (uint64_t)s * 0x9E3779B97F4A7C15u + 3; }
static uint64_t rng(void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Du;
}
static Index rnd(Index n) { return n == 0 ? 0 : (Index)(rng() % n); }

/* Only a failure talks to Check: a passing ck_assert writes to its pipe. */
#define EXPECT(c) \
  do { \
    if (!(c)) \
      ck_abort_msg("%s (seed %lu, step %lu)", #c, seed, step); \
  } while (0)

/* Memory and model: one bool per grain; true = in the freelist ----------- */

#define GRAINS 300u
static Align grain;
static unsigned char *memory;  /* GRAINS grains, grain-aligned */
static Addr space;             /* address of grain 0 */
static bool model[GRAINS];

static Addr gaddr(Index g) { return space + g * grain; }
static Index grain_of(Addr a) { return (a - space) / grain; }
static Range grange(Index b, Index l) { return range_make(gaddr(b), gaddr(l)); }

static unsigned char canary(Index g, Size i) { return (unsigned char)(0x5A ^ (g * 31 + i)); }

static void canary_fill(Index g)
{
  for (Size i = 0; i < grain; ++i)
    memory[g * grain + i] = canary(g, i);
}

/* Every grain outside the set still holds its canary. */
static void canaries_intact(void)
{
  for (Index g = 0; g < GRAINS; ++g) {
    if (model[g])
      continue;
    for (Size i = 0; i < grain; ++i)
      EXPECT(memory[g * grain + i] == canary(g, i));
  }
}

static Range model_run(Index g)
{
  Index b = g, l = g + 1;
  while (b > 0 && model[b - 1])
    --b;
  while (l < GRAINS && model[l])
    ++l;
  return grange(b, l);
}

static void model_put(const Range *r, bool v)
{
  for (Index g = grain_of(r->base); g < grain_of(r->limit); ++g) {
    model[g] = v;
    if (!v)
      canary_fill(g);     /* the client takes it and writes to it */
  }
}

typedef struct Collect {
  Range ranges[GRAINS];
  Count n;
} Collect;

static bool collect_visit(const Range *range, void *closure)
{
  Collect *c = closure;
  ck_assert(c->n < GRAINS);
  c->ranges[c->n++] = *range;
  return true;
}

static void model_runs(Collect *c)
{
  c->n = 0;
  for (Index g = 0; g < GRAINS;) {
    if (!model[g]) { ++g; continue; }
    Range r = model_run(g);
    c->ranges[c->n++] = r;
    g = grain_of(r.limit);
  }
}

static void agree(Freelist *fl)
{
  static Collect got, want;
  Size size = 0;
  Count n = 0;
  got.n = 0;
  EXPECT(freelist_verify(fl));
  EXPECT(freelist_iterate(fl, collect_visit, &got));
  model_runs(&want);
  EXPECT(got.n == want.n);
  for (Count i = 0; i < want.n; ++i) {
    EXPECT(range_equal(&got.ranges[i], &want.ranges[i]));
    size += range_size(&want.ranges[i]);
  }
  EXPECT(freelist_size(fl) == size);
  EXPECT(freelist_count(fl) == want.n);
  /* The cursor walks the same ranges. */
  for (Addr b = freelist_first(fl); b != 0; b = freelist_next(fl, b)) {
    Range r;
    freelist_block_range(&r, fl, b);
    EXPECT(n < want.n && range_equal(&r, &want.ranges[n]));
    ++n;
  }
  EXPECT(n == want.n);
  canaries_intact();
}

static void setup(Freelist *fl, Align align)
{
  grain = align;
  memory = aligned_alloc(align, GRAINS * align);
  ck_assert_ptr_nonnull(memory);
  space = (Addr)memory;
  memset(model, 0, sizeof model);
  for (Index g = 0; g < GRAINS; ++g)
    canary_fill(g);
  freelist_init(fl, align);
}

static void teardown(Freelist *fl)
{
  freelist_finish(fl);
  free(memory);
  memory = NULL;
}

static bool all_set(Index b, Index l, bool v)
{
  for (Index g = b; g < l; ++g)
    if (model[g] != v)
      return false;
  return true;
}

static void do_insert(Freelist *fl, Index b, Index l)
{
  Range r = grange(b, l), out = {0, 0};
  bool free_ = all_set(b, l, false);
  Res res = freelist_insert(&out, fl, &r);
  if (!free_) {
    EXPECT(res == RES_FAIL);
    EXPECT(out.base == 0 && out.limit == 0);
  } else {
    EXPECT(res == RES_OK);
    model_put(&r, true);
    Range want = model_run(b);
    EXPECT(range_equal(&out, &want));
  }
}

static void do_delete(Freelist *fl, Index b, Index l)
{
  Range r = grange(b, l), out = {0, 0};
  bool present = all_set(b, l, true);
  Range old = present ? model_run(b) : range_make(0, 0);
  Res res = freelist_delete(&out, fl, &r);
  if (!present) {
    EXPECT(res == RES_FAIL);
    EXPECT(out.base == 0 && out.limit == 0);
  } else {
    EXPECT(res == RES_OK);
    EXPECT(range_equal(&out, &old));
    model_put(&r, false);
  }
}

enum { HOW_FIRST, HOW_LAST, HOW_LARGEST };

static void do_find(Freelist *fl, int how, Size grains, FindDelete fd)
{
  Collect runs;
  Range want_old = {0, 0}, got = {0, 0}, got_old = {0, 0};
  bool want = false, found;
  Size size = grains * grain;

  model_runs(&runs);
  for (Count i = 0; i < runs.n; ++i) {
    Size s = range_size(&runs.ranges[i]);
    if (s < size)
      continue;
    if ((how == HOW_FIRST && !want) || how == HOW_LAST ||
        (how == HOW_LARGEST && (!want || s > range_size(&want_old)))) {
      want_old = runs.ranges[i];
      want = true;
    }
  }
  switch (how) {
  case HOW_FIRST: found = freelist_find_first(&got, &got_old, fl, size, fd); break;
  case HOW_LAST: found = freelist_find_last(&got, &got_old, fl, size, fd); break;
  default: found = freelist_find_largest(&got, &got_old, fl, size, fd); break;
  }
  EXPECT(found == want);
  if (!want) {
    EXPECT(got.base == 0 && got_old.base == 0);
    return;
  }
  EXPECT(range_equal(&got_old, &want_old));
  switch (fd) {
  case FIND_DELETE_NONE:
  case FIND_DELETE_ENTIRE:
    EXPECT(range_equal(&got, &want_old));
    break;
  case FIND_DELETE_LOW:
    EXPECT(got.base == want_old.base && range_size(&got) == size);
    break;
  case FIND_DELETE_HIGH:
    EXPECT(got.limit == want_old.limit && range_size(&got) == size);
    break;
  }
  if (fd != FIND_DELETE_NONE)
    model_put(&got, false);
}

static void pick(Index *b_o, Index *l_o, bool v)
{
  Index b = rnd(GRAINS), l;
  if (rnd(2) == 0 && model[b] == v) {
    Index lo = b, hi = b + 1;
    while (lo > 0 && model[lo - 1] == v)
      --lo;
    while (hi < GRAINS && model[hi] == v)
      ++hi;
    b = lo + rnd(hi - lo);
    l = b + 1 + rnd(hi - b);
  } else {
    /* Many one-grain ranges: they are the tagged one-word blocks. */
    l = b + 1 + (rnd(4) == 0 ? rnd(40) : rnd(3));
    if (l > GRAINS)
      l = GRAINS;
  }
  *b_o = b;
  *l_o = l;
}

static void random_walk(Align align, unsigned long steps)
{
  Freelist fl;
  setup(&fl, align);
  rng_seed(seed + align);
  for (step = 0; step < steps; ++step) {
    Index b, l;
    unsigned op = (unsigned)rnd(100);
    if (op < 40) {
      pick(&b, &l, false);
      do_insert(&fl, b, l);
    } else if (op < 70) {
      pick(&b, &l, true);
      do_delete(&fl, b, l);
    } else if (op < 92) {
      do_find(&fl, (int)rnd(3), 1 + (rnd(3) == 0 ? rnd(30) : rnd(3)), (FindDelete)rnd(4));
    } else if (op < 96) {
      Range got;
      Index g = rnd(GRAINS);
      bool found = freelist_lookup(&got, &fl, gaddr(g));
      EXPECT(found == model[g]);
      if (found) {
        Range want = model_run(g);
        EXPECT(range_equal(&got, &want));
      }
    } else {
      pick(&b, &l, rnd(2) == 0);
      Range r = grange(b, l);
      bool any = !all_set(b, l, false);
      EXPECT(freelist_overlaps(&fl, &r) == any);
    }
    agree(&fl);
  }
  teardown(&fl);
}

/* Tests ------------------------------------------------------------------- */

START_TEST(random_ops_one_word_grains)
{
  random_walk(sizeof(Word), 5000);
}
END_TEST

START_TEST(random_ops_two_word_grains)
{
  random_walk(2 * sizeof(Word), 5000);
}
END_TEST

START_TEST(random_ops_big_grains)
{
  random_walk(256, 3000);
}
END_TEST

START_TEST(one_word_blocks)
{
  Freelist fl;
  Range r, out;
  const Word *w;
  setup(&fl, sizeof(Word));
  /* Singles at 1, 3, 5: each is a tagged link and nothing more. */
  for (Index g = 1; g <= 5; g += 2) {
    r = grange(g, g + 1);
    ck_assert_int_eq(freelist_insert(&out, &fl, &r), RES_OK);
    model_put(&r, true);
  }
  agree(&fl);
  w = (const Word *)gaddr(1);
  ck_assert(w[0] & 1);                              /* tagged */
  ck_assert_uint_eq(w[0] & ~(Word)1, gaddr(3));     /* next */
  w = (const Word *)gaddr(5);
  ck_assert_uint_eq(w[0], 1);                       /* tagged end */
  ck_assert_uint_eq(freelist_size(&fl), 3 * sizeof(Word));
  /* Filling the gap at 2 makes a three-grain block holding its limit. */
  r = grange(2, 3);
  ck_assert_int_eq(freelist_insert(&out, &fl, &r), RES_OK);
  model_put(&r, true);
  ck_assert(range_equal(&out, &(Range){gaddr(1), gaddr(4)}));
  w = (const Word *)gaddr(1);
  ck_assert(!(w[0] & 1));
  ck_assert_uint_eq(w[0], gaddr(5));
  ck_assert_uint_eq(w[1], gaddr(4));
  agree(&fl);
  /* Shrinking it from above back to one grain tags it again. */
  r = grange(2, 4);
  ck_assert_int_eq(freelist_delete(&out, &fl, &r), RES_OK);
  model_put(&r, false);
  ck_assert(w[0] & 1);
  agree(&fl);
  /* Splitting a three-grain block in the middle leaves two singles. */
  r = grange(5, 6);
  ck_assert_int_eq(freelist_delete(&out, &fl, &r), RES_OK);
  model_put(&r, false);
  r = grange(10, 13);
  ck_assert_int_eq(freelist_insert(&out, &fl, &r), RES_OK);
  model_put(&r, true);
  r = grange(11, 12);
  ck_assert_int_eq(freelist_delete(&out, &fl, &r), RES_OK);
  model_put(&r, false);
  ck_assert(range_equal(&out, &(Range){gaddr(10), gaddr(13)}));
  ck_assert_uint_eq(freelist_count(&fl), 3);
  ck_assert(*(const Word *)gaddr(10) & 1);
  ck_assert(*(const Word *)gaddr(12) & 1);
  agree(&fl);
  teardown(&fl);
}
END_TEST

START_TEST(never_writes_outside_free_memory)
{
  /* A whole-space insert, then deletion of every other grain from the
   * low end and the high end: the deleted grains are overwritten with
   * canaries right after each delete, and must stay intact. */
  Freelist fl;
  Range r, out, old;
  setup(&fl, sizeof(Word));
  r = grange(0, GRAINS);
  ck_assert_int_eq(freelist_insert(&out, &fl, &r), RES_OK);
  model_put(&r, true);
  for (Index g = 0; g < GRAINS; g += 2) {
    r = grange(g, g + 1);
    ck_assert_int_eq(freelist_delete(&out, &fl, &r), RES_OK);
    model_put(&r, false);
  }
  agree(&fl);
  ck_assert_uint_eq(freelist_count(&fl), GRAINS / 2);
  while (freelist_find_last(&out, &old, &fl, sizeof(Word), FIND_DELETE_HIGH)) {
    model_put(&out, false);
    agree(&fl);
  }
  ck_assert(freelist_is_empty(&fl));
  teardown(&fl);
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(small_align_asserts)
{
  Freelist fl;
  freelist_init(&fl, sizeof(Word) / 2);
}
END_TEST

START_TEST(misaligned_insert_asserts)
{
  Freelist fl;
  Range r, out;
  setup(&fl, 16);
  r = range_make(gaddr(1) + 8, gaddr(2));
  ck_assert_int_eq(freelist_insert(&out, &fl, &r), RES_OK);   /* not reached */
}
END_TEST
#endif

static Suite *freelist_suite(void)
{
  Suite *s = suite_create("freelist");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, random_ops_one_word_grains);
  tcase_add_test(tc, random_ops_two_word_grains);
  tcase_add_test(tc, random_ops_big_grains);
  tcase_add_test(tc, one_word_blocks);
  tcase_add_test(tc, never_writes_outside_free_memory);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, small_align_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, misaligned_insert_asserts, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  const char *env = getenv("LAGOON_SEED");
  SRunner *sr;
  int failed;

  if (env != NULL)
    seed = strtoul(env, NULL, 0);
  printf("freelist_test: seed %lu (" VARIETY_NAME ")\n", seed);
  sr = srunner_create(freelist_suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
