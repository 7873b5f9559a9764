/* test/unit/cbs_test.c -- the coalescing block structure against a
 * bit-per-grain model of a small address space.
 * Design: manual/design/cbs.rst
 * Seeded: LAGOON_SEED=n overrides the fixed seed, which every failure
 * message prints. */
#include "base/cbs.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long seed = 4242;
static unsigned long step;
static uint64_t rng_state;

static void rng_seed(unsigned long s) { rng_state = (uint64_t)s * 0x9E3779B97F4A7C15u + 7; }
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

/* Nodes from malloc, with failure on demand ------------------------------ */

typedef struct NodeSource {
  Count live;        /* nodes handed out and not yet freed */
  bool fail;         /* refuse every request */
  Count requests;
} NodeSource;

static Res node_alloc(void **node_o, void *closure)
{
  NodeSource *ns = closure;
  void *p;
  ++ns->requests;
  if (ns->fail)
    return RES_MEMORY;
  p = malloc(CBS_NODE_SIZE);
  if (p == NULL)
    return RES_MEMORY;
  ++ns->live;
  *node_o = p;
  return RES_OK;
}

static void node_free(void *node, void *closure)
{
  NodeSource *ns = closure;
  ck_assert(ns->live > 0);
  --ns->live;
  memset(node, 0xDD, CBS_NODE_SIZE);
  free(node);
}

/* The model: one bool per grain; true = in the set ------------------------ */

#define GRAINS 300u
static Align grain;
static Addr space;             /* address of grain 0 */
static bool model[GRAINS];

static Addr gaddr(Index g) { return space + g * grain; }
static Index grain_of(Addr a) { return (a - space) / grain; }
static Range grange(Index b, Index l) { return range_make(gaddr(b), gaddr(l)); }

/* The maximal run of set grains containing g. */
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
  for (Index g = grain_of(r->base); g < grain_of(r->limit); ++g)
    model[g] = v;
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

/* The model's runs in address order. */
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

/* The CBS equals the model, its invariants hold, and it owns exactly one
 * node per range. */
static void agree(CBS *cbs, const NodeSource *ns)
{
  static Collect got, want;
  Size size = 0;
  got.n = 0;
  EXPECT(cbs_verify(cbs));
  EXPECT(cbs_iterate(cbs, collect_visit, &got));
  model_runs(&want);
  EXPECT(got.n == want.n);
  for (Count i = 0; i < want.n; ++i) {
    EXPECT(range_equal(&got.ranges[i], &want.ranges[i]));
    size += range_size(&want.ranges[i]);
  }
  EXPECT(cbs_size(cbs) == size);
  EXPECT(cbs_count(cbs) == want.n);
  EXPECT(ns->live == want.n);
  {
    Size largest = 0;
    for (Count i = 0; i < want.n; ++i)
      if (range_size(&want.ranges[i]) > largest)
        largest = range_size(&want.ranges[i]);
    EXPECT(cbs_largest_size(cbs) == largest);
  }
}

static void setup(CBS *cbs, NodeSource *ns, Align align)
{
  memset(ns, 0, sizeof *ns);
  memset(model, 0, sizeof model);
  grain = align;
  space = (Addr)0x100000 + align * 4;  /* aligned, not at zero */
  cbs_init(cbs, align, node_alloc, node_free, ns);
}

/* One step of each kind, with its expected outcome from the model ------- */

static bool all_set(Index b, Index l, bool v)
{
  for (Index g = b; g < l; ++g)
    if (model[g] != v)
      return false;
  return true;
}

static void do_insert(CBS *cbs, NodeSource *ns, Index b, Index l)
{
  Range r = grange(b, l), out = {0, 0};
  bool free_ = all_set(b, l, false);
  bool touches = (b > 0 && model[b - 1]) || (l < GRAINS && model[l]);
  Res res = cbs_insert(&out, cbs, &r);
  if (!free_) {
    EXPECT(res == RES_FAIL);
    EXPECT(out.base == 0 && out.limit == 0);
  } else if (ns->fail && !touches) {
    EXPECT(res == RES_MEMORY);
    EXPECT(out.base == 0 && out.limit == 0);
  } else {
    EXPECT(res == RES_OK);
    model_put(&r, true);
    Range want = model_run(b);
    EXPECT(range_equal(&out, &want));
  }
}

static void do_delete(CBS *cbs, NodeSource *ns, Index b, Index l)
{
  Range r = grange(b, l), out = {0, 0};
  bool present = all_set(b, l, true);
  Res res = cbs_delete(&out, cbs, &r);
  if (!present) {
    EXPECT(res == RES_FAIL);
    return;
  }
  Range old = model_run(b);
  bool middle = old.base < r.base && r.limit < old.limit;
  if (ns->fail && middle) {
    EXPECT(res == RES_MEMORY);
    EXPECT(out.base == 0 && out.limit == 0);
  } else {
    EXPECT(res == RES_OK);
    EXPECT(range_equal(&out, &old));
    model_put(&r, false);
  }
}

enum { HOW_FIRST, HOW_LAST, HOW_LARGEST };

static void do_find(CBS *cbs, int how, Size grains, FindDelete fd)
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
    if (how == HOW_FIRST && !want) {
      want_old = runs.ranges[i];
      want = true;
    } else if (how == HOW_LAST) {
      want_old = runs.ranges[i];
      want = true;
    } else if (how == HOW_LARGEST && (!want || s > range_size(&want_old))) {
      want_old = runs.ranges[i];
      want = true;
    }
  }
  switch (how) {
  case HOW_FIRST: found = cbs_find_first(&got, &got_old, cbs, size, fd); break;
  case HOW_LAST: found = cbs_find_last(&got, &got_old, cbs, size, fd); break;
  default: found = cbs_find_largest(&got, &got_old, cbs, size, fd); break;
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

/* A random range, half the time chosen inside a run of `v` grains so that
 * inserts into gaps and deletes inside ranges happen often. */
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
    l = b + 1 + (rnd(4) == 0 ? rnd(40) : rnd(5));
    if (l > GRAINS)
      l = GRAINS;
  }
  *b_o = b;
  *l_o = l;
}

static void random_walk(Align align, unsigned long steps, unsigned fail_percent)
{
  CBS cbs;
  NodeSource ns;
  setup(&cbs, &ns, align);
  rng_seed(seed + align);
  for (step = 0; step < steps; ++step) {
    Index b, l;
    unsigned op = (unsigned)rnd(100);
    ns.fail = rnd(100) < fail_percent;
    if (op < 40) {
      pick(&b, &l, false);
      do_insert(&cbs, &ns, b, l);
    } else if (op < 70) {
      pick(&b, &l, true);
      do_delete(&cbs, &ns, b, l);
    } else if (op < 95) {
      /* Finds never need a node, so failing nodes must not matter. */
      do_find(&cbs, (int)rnd(3), 1 + (rnd(3) == 0 ? rnd(30) : rnd(4)), (FindDelete)rnd(4));
    } else {
      Range got;
      Index g = rnd(GRAINS);
      bool found = cbs_lookup(&got, &cbs, gaddr(g));
      EXPECT(found == model[g]);
      if (found) {
        Range want = model_run(g);
        EXPECT(range_equal(&got, &want));
      }
    }
    agree(&cbs, &ns);
  }
  ns.fail = false;
  cbs_finish(&cbs);
  EXPECT(ns.live == 0);
}

/* Tests ------------------------------------------------------------------- */

START_TEST(random_ops_agree_with_model)
{
  random_walk(16, 6000, 0);
}
END_TEST

START_TEST(random_ops_with_node_failures)
{
  /* Every failing step must leave the CBS unchanged (agree checks it
   * against the untouched model). */
  random_walk(8, 6000, 35);
}
END_TEST

START_TEST(random_ops_large_align)
{
  random_walk(4096, 3000, 10);
}
END_TEST

START_TEST(coalesce_both_sides_frees_a_node)
{
  CBS cbs;
  NodeSource ns;
  Range r, out;
  setup(&cbs, &ns, 8);
  r = grange(10, 20);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  r = grange(30, 40);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  ck_assert_uint_eq(ns.live, 2);
  ns.fail = true;                      /* coalescing needs no node */
  r = grange(20, 25);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  ck_assert(range_equal(&out, &(Range){gaddr(10), gaddr(25)}));
  r = grange(28, 30);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  ck_assert(range_equal(&out, &(Range){gaddr(28), gaddr(40)}));
  r = grange(25, 28);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  ck_assert(range_equal(&out, &(Range){gaddr(10), gaddr(40)}));
  ck_assert_uint_eq(ns.live, 1);
  ck_assert_uint_eq(cbs_count(&cbs), 1);
  ck_assert_uint_eq(cbs_size(&cbs), 30 * 8);
  ck_assert(cbs_verify(&cbs));
  /* A range touching nothing does need one. */
  r = grange(50, 51);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_MEMORY);
  ck_assert_uint_eq(cbs_count(&cbs), 1);
  /* Overlap is reported before the lack of a node. */
  r = grange(39, 45);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_FAIL);
  r = grange(5, 10);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  ns.fail = false;
  cbs_finish(&cbs);
  ck_assert_uint_eq(ns.live, 0);
}
END_TEST

START_TEST(delete_cases)
{
  CBS cbs;
  NodeSource ns;
  Range r, out;
  setup(&cbs, &ns, 8);
  r = grange(0, 100);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  ns.fail = true;
  /* Ends need no node; the middle does. */
  r = grange(0, 10);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_OK);
  ck_assert(range_equal(&out, &(Range){gaddr(0), gaddr(100)}));
  r = grange(90, 100);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_OK);
  ck_assert(range_equal(&out, &(Range){gaddr(10), gaddr(100)}));
  r = grange(40, 50);
  out = range_make(1, 1);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_MEMORY);
  ck_assert(out.base == 1 && out.limit == 1);      /* not written */
  ck_assert_uint_eq(cbs_count(&cbs), 1);
  ck_assert_uint_eq(cbs_size(&cbs), 80 * 8);
  ns.fail = false;
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_OK);
  ck_assert(range_equal(&out, &(Range){gaddr(10), gaddr(90)}));
  ck_assert_uint_eq(cbs_count(&cbs), 2);
  ck_assert_uint_eq(ns.live, 2);
  /* Not wholly inside one range: spans the gap, or outside. */
  r = grange(35, 55);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_FAIL);
  r = grange(95, 96);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_FAIL);
  r = grange(40, 41);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_FAIL);
  r = grange(10, 40);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_OK);   /* entire */
  ck_assert_uint_eq(ns.live, 1);
  ck_assert(cbs_verify(&cbs));
  cbs_finish(&cbs);
  ck_assert_uint_eq(ns.live, 0);
}
END_TEST

START_TEST(find_delete_modes)
{
  CBS cbs;
  NodeSource ns;
  Range r, out, old;
  setup(&cbs, &ns, 8);
  /* [0,4) [10,30) [40,60) [70,75) */
  Index spans[][2] = {{0, 4}, {10, 30}, {40, 60}, {70, 75}};
  for (size_t i = 0; i < ARRAY_LEN(spans); ++i) {
    r = grange(spans[i][0], spans[i][1]);
    ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  }
  ns.fail = true;   /* none of these needs a node */
  ck_assert(cbs_find_first(&out, &old, &cbs, 5 * 8, FIND_DELETE_NONE));
  ck_assert(range_equal(&old, &(Range){gaddr(10), gaddr(30)}));
  ck_assert(range_equal(&out, &old));
  ck_assert(cbs_find_last(&out, &old, &cbs, 5 * 8, FIND_DELETE_HIGH));
  ck_assert(range_equal(&old, &(Range){gaddr(70), gaddr(75)}));
  ck_assert(range_equal(&out, &old));          /* all of it, by HIGH */
  ck_assert_uint_eq(cbs_count(&cbs), 3);
  ck_assert(cbs_find_largest(&out, &old, &cbs, 8, FIND_DELETE_LOW));
  ck_assert(range_equal(&old, &(Range){gaddr(10), gaddr(30)}));  /* lowest of equals */
  ck_assert(range_equal(&out, &(Range){gaddr(10), gaddr(11)}));
  ck_assert(cbs_find_largest(&out, &old, &cbs, 8, FIND_DELETE_HIGH));
  ck_assert(range_equal(&old, &(Range){gaddr(40), gaddr(60)}));
  ck_assert(range_equal(&out, &(Range){gaddr(59), gaddr(60)}));
  ck_assert(cbs_find_first(&out, &old, &cbs, 8, FIND_DELETE_ENTIRE));
  ck_assert(range_equal(&out, &(Range){gaddr(0), gaddr(4)}));
  ck_assert(!cbs_find_first(&out, &old, &cbs, 20 * 8, FIND_DELETE_ENTIRE));
  ck_assert(!cbs_find_last(&out, &old, &cbs, 20 * 8, FIND_DELETE_NONE));
  ck_assert(!cbs_find_largest(&out, &old, &cbs, 20 * 8, FIND_DELETE_NONE));
  ck_assert_uint_eq(cbs_size(&cbs), (19 + 19) * 8);
  ck_assert(cbs_verify(&cbs));
  ns.fail = false;
  cbs_finish(&cbs);
  ck_assert_uint_eq(ns.live, 0);
}
END_TEST

static bool stop_after_two(const Range *range, void *closure)
{
  Count *n = closure;
  UNUSED(range);
  return ++*n < 2;
}

START_TEST(iterate_stops)
{
  CBS cbs;
  NodeSource ns;
  Range r, out;
  Count n = 0;
  setup(&cbs, &ns, 8);
  for (Index g = 0; g < 20; g += 2) {
    r = grange(g, g + 1);
    ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  }
  ck_assert(!cbs_iterate(&cbs, stop_after_two, &n));
  ck_assert_uint_eq(n, 2);
  cbs_finish(&cbs);
}
END_TEST

START_TEST(balanced_under_ordered_inserts)
{
  /* Ascending and descending inserts degrade an unbalanced tree to a
   * list; the AVL height must stay within 1.45 log2(n + 2). */
  enum { N = 100000 };
  CBS cbs;
  NodeSource ns;
  Range r, out, old;
  memset(&ns, 0, sizeof ns);
  cbs_init(&cbs, 16, node_alloc, node_free, &ns);
  for (Addr i = 0; i < N; ++i) {
    Addr a = (Addr)0x10000000 + ((i % 2 == 0) ? i : (2 * N - i)) * 32;
    r = range_make(a, a + 16 * (1 + i % 2));
    ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);
  }
  ck_assert_uint_eq(cbs_count(&cbs), N);
  ck_assert(cbs.root->height <= 1.45 * 17.0 + 1);
  ck_assert(cbs_verify(&cbs));
  ck_assert_uint_eq(cbs_largest_size(&cbs), 32);
  /* The first 32-byte range is the lowest odd i's: i = N - 1. */
  ck_assert(cbs_find_first(&out, &old, &cbs, 32, FIND_DELETE_NONE));
  ck_assert_uint_eq(out.base, (Addr)0x10000000 + (2 * N - (N - 1)) * 32);
  /* Delete every other range from the low end. */
  for (Count k = 0; k < N / 2; ++k)
    ck_assert(cbs_find_first(&out, &old, &cbs, 16, FIND_DELETE_ENTIRE));
  ck_assert_uint_eq(cbs_count(&cbs), N / 2);
  ck_assert(cbs.root->height <= 1.45 * 16.0 + 1);
  ck_assert(cbs_verify(&cbs));
  cbs_finish(&cbs);
  ck_assert_uint_eq(ns.live, 0);
}
END_TEST

START_TEST(node_size_is_known)
{
  ck_assert_uint_eq(cbs_node_size(), CBS_NODE_SIZE);
  ck_assert_uint_ge(CBS_NODE_SIZE, 4 * sizeof(void *));
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(misaligned_insert_asserts)
{
  CBS cbs;
  NodeSource ns;
  Range r = range_make(0x1000 + 8, 0x2000), out;
  setup(&cbs, &ns, 16);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);   /* not reached */
}
END_TEST

START_TEST(empty_delete_asserts)
{
  CBS cbs;
  NodeSource ns;
  Range r = range_make(0x1000, 0x1000), out;
  setup(&cbs, &ns, 16);
  ck_assert_int_eq(cbs_delete(&out, &cbs, &r), RES_OK);   /* not reached */
}
END_TEST

START_TEST(unaligned_find_size_asserts)
{
  CBS cbs;
  NodeSource ns;
  Range out, old;
  setup(&cbs, &ns, 16);
  (void)cbs_find_first(&out, &old, &cbs, 24, FIND_DELETE_NONE);
}
END_TEST

START_TEST(finished_cbs_asserts)
{
  CBS cbs;
  NodeSource ns;
  Range r = range_make(0x1000, 0x2000), out;
  setup(&cbs, &ns, 16);
  cbs_finish(&cbs);
  ck_assert_int_eq(cbs_insert(&out, &cbs, &r), RES_OK);   /* not reached */
}
END_TEST
#endif

static Suite *cbs_suite(void)
{
  Suite *s = suite_create("cbs");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, node_size_is_known);
  tcase_add_test(tc, random_ops_agree_with_model);
  tcase_add_test(tc, random_ops_with_node_failures);
  tcase_add_test(tc, random_ops_large_align);
  tcase_add_test(tc, coalesce_both_sides_frees_a_node);
  tcase_add_test(tc, delete_cases);
  tcase_add_test(tc, find_delete_modes);
  tcase_add_test(tc, iterate_stops);
  tcase_add_test(tc, balanced_under_ordered_inserts);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, misaligned_insert_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, empty_delete_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, unaligned_find_size_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, finished_cbs_asserts, SIGABRT);
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
  printf("cbs_test: seed %lu (" VARIETY_NAME ")\n", seed);
  sr = srunner_create(cbs_suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
