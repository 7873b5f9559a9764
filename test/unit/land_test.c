/* test/unit/land_test.c -- the failover land (CBS + freelist) against a
 * bit-per-grain model over real memory, with tree nodes failing on
 * demand; grains outside the land carry a canary it must never touch.
 * Design: manual/design/cbs.rst (design.cbs.land)
 * Seeded: LAGOON_SEED=n overrides the fixed seed, which every failure
 * message prints. */
#include "base/land.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long seed = 31337;
static unsigned long step;
static uint64_t rng_state;

static void rng_seed(unsigned long s) { rng_state = (uint64_t)s * 0x9E3779B97F4A7C15u + 5; }
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
} NodeSource;

static Res node_alloc(void **node_o, void *closure)
{
  NodeSource *ns = closure;
  void *p;
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

/* Memory and model: one bool per grain; true = in the land ----------- */

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

/* The land equals the model, merged iteration is in address order, the
 * parts are apart (land_verify), and the CBS owns one node per range. */
static void agree(Land *land, const NodeSource *ns)
{
  static Collect got, want;
  Size size = 0;
  got.n = 0;
  EXPECT(land_verify(land));
  EXPECT(land_iterate(land, collect_visit, &got));
  model_runs(&want);
  EXPECT(got.n == want.n);
  for (Count i = 0; i < want.n; ++i) {
    EXPECT(range_equal(&got.ranges[i], &want.ranges[i]));
    size += range_size(&want.ranges[i]);
  }
  EXPECT(land_size(land) == size);
  EXPECT(land_count(land) == want.n);
  EXPECT(ns->live == cbs_count(&land->cbs));
  canaries_intact();
}

static void setup(Land *land, NodeSource *ns, Align align)
{
  grain = align;
  memory = aligned_alloc(align, GRAINS * align);
  ck_assert_ptr_nonnull(memory);
  space = (Addr)memory;
  memset(model, 0, sizeof model);
  memset(ns, 0, sizeof *ns);
  for (Index g = 0; g < GRAINS; ++g)
    canary_fill(g);
  land_init(land, align, node_alloc, node_free, ns);
}

static void teardown(Land *land, NodeSource *ns)
{
  land_finish(land);
  EXPECT(ns->live == 0);
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

/* Insert and delete succeed whenever the range is free (present), with
 * nodes or without: design.cbs.land.never-memory */
static void do_insert(Land *land, Index b, Index l)
{
  Range r = grange(b, l), out = {0, 0};
  bool free_ = all_set(b, l, false);
  Res res = land_insert(&out, land, &r);
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

static void do_delete(Land *land, Index b, Index l)
{
  Range r = grange(b, l), out = {0, 0};
  bool present = all_set(b, l, true);
  Range old = present ? model_run(b) : range_make(0, 0);
  Res res = land_delete(&out, land, &r);
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

static void do_find(Land *land, int how, Size grains, FindDelete fd)
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
  case HOW_FIRST: found = land_find_first(&got, &got_old, land, size, fd); break;
  case HOW_LAST: found = land_find_last(&got, &got_old, land, size, fd); break;
  default: found = land_find_largest(&got, &got_old, land, size, fd); break;
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
    l = b + 1 + (rnd(4) == 0 ? rnd(40) : rnd(3));
    if (l > GRAINS)
      l = GRAINS;
  }
  *b_o = b;
  *l_o = l;
}

/* Node failure comes in spells, so that the freelist fills up and then
 * drains into the CBS. */
static void random_walk(Align align, unsigned long steps, unsigned fail_percent)
{
  Land land;
  NodeSource ns;
  Count steps_with_freelist = 0;
  setup(&land, &ns, align);
  rng_seed(seed + align + fail_percent);
  for (step = 0; step < steps; ++step) {
    Index b, l;
    unsigned op = (unsigned)rnd(100);
    if (step % 50 == 0)
      ns.fail = rnd(100) < fail_percent;
    if (op < 40) {
      pick(&b, &l, false);
      do_insert(&land, b, l);
    } else if (op < 70) {
      pick(&b, &l, true);
      do_delete(&land, b, l);
    } else if (op < 95) {
      do_find(&land, (int)rnd(3), 1 + (rnd(3) == 0 ? rnd(30) : rnd(3)), (FindDelete)rnd(4));
    } else {
      Range got;
      Index g = rnd(GRAINS);
      bool found = land_lookup(&got, &land, gaddr(g));
      EXPECT(found == model[g]);
      if (found) {
        Range want = model_run(g);
        EXPECT(range_equal(&got, &want));
      }
    }
    agree(&land, &ns);
    steps_with_freelist += !freelist_is_empty(&land.fl);
  }
  /* With failures the freelist must have been used, and with nodes back
   * a flush must empty it. */
  if (fail_percent > 0)
    EXPECT(steps_with_freelist > 0);
  ns.fail = false;
  EXPECT(land_flush(&land));
  EXPECT(freelist_is_empty(&land.fl));
  agree(&land, &ns);
  teardown(&land, &ns);
}

/* Tests ------------------------------------------------------------------- */

START_TEST(random_ops_nodes_always)
{
  random_walk(sizeof(Word), 4000, 0);
}
END_TEST

START_TEST(random_ops_nodes_sometimes)
{
  random_walk(sizeof(Word), 6000, 40);
}
END_TEST

START_TEST(random_ops_nodes_rarely)
{
  random_walk(4 * sizeof(Word), 6000, 90);
}
END_TEST

START_TEST(fallback_then_flush)
{
  Land land;
  NodeSource ns;
  Range r, out, old;
  setup(&land, &ns, sizeof(Word));
  ns.fail = true;
  for (Index g = 10; g < 100; g += 20) {
    r = grange(g, g + 5);
    ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
    ck_assert(range_equal(&out, &r));
    model_put(&r, true);
  }
  agree(&land, &ns);
  ck_assert_uint_eq(cbs_count(&land.cbs), 0);
  ck_assert_uint_eq(freelist_count(&land.fl), 5);
  ck_assert(!land_flush(&land));
  /* Overlap is still detected against the freelist part. */
  r = grange(12, 14);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_FAIL);
  /* Finds see the freelist part. */
  ck_assert(land_find_last(&out, &old, &land, 2 * sizeof(Word), FIND_DELETE_LOW));
  ck_assert(range_equal(&old, &(Range){gaddr(90), gaddr(95)}));
  ck_assert(range_equal(&out, &(Range){gaddr(90), gaddr(92)}));
  model_put(&out, false);
  agree(&land, &ns);
  /* Nodes return: the next insert flushes everything into the CBS. */
  ns.fail = false;
  r = grange(200, 201);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  model_put(&r, true);
  ck_assert(freelist_is_empty(&land.fl));
  ck_assert_uint_eq(cbs_count(&land.cbs), 6);
  agree(&land, &ns);
  teardown(&land, &ns);
}
END_TEST

START_TEST(freelist_range_absorbed_when_cbs_grows_into_it)
{
  /* CBS [0,10), freelist [20,30) (no node then), then [10,20) arrives,
   * still without nodes: it coalesces with [0,10) in the CBS, which then
   * touches [20,30); the land takes that into the CBS too, so the user
   * sees one range. */
  Land land;
  NodeSource ns;
  Range r, out;
  setup(&land, &ns, sizeof(Word));
  r = grange(1, 10);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  model_put(&r, true);
  ns.fail = true;
  r = grange(20, 30);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  model_put(&r, true);
  ck_assert_uint_eq(freelist_count(&land.fl), 1);
  r = grange(10, 20);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  model_put(&r, true);
  ck_assert(range_equal(&out, &(Range){gaddr(1), gaddr(30)}));
  ck_assert(freelist_is_empty(&land.fl));
  ck_assert_uint_eq(cbs_count(&land.cbs), 1);
  agree(&land, &ns);
  /* The same from above: freelist [40,45) below a CBS range [50,60). */
  r = grange(40, 45);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);   /* freelist */
  model_put(&r, true);
  ns.fail = false;
  /* Nodes are back, but [50,60) arrives first; the flush that follows
   * must leave everything coalesced. */
  r = grange(50, 60);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  model_put(&r, true);
  ns.fail = true;
  r = grange(45, 50);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  model_put(&r, true);
  ck_assert(range_equal(&out, &(Range){gaddr(40), gaddr(60)}));
  agree(&land, &ns);
  ns.fail = false;
  teardown(&land, &ns);
}
END_TEST

START_TEST(delete_middle_without_nodes)
{
  Land land;
  NodeSource ns;
  Range r, out;
  setup(&land, &ns, 2 * sizeof(Word));
  r = grange(0, 100);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  model_put(&r, true);
  ns.fail = true;
  r = grange(40, 50);
  ck_assert_int_eq(land_delete(&out, &land, &r), RES_OK);
  model_put(&r, false);
  ck_assert(range_equal(&out, &(Range){gaddr(0), gaddr(100)}));
  ck_assert_uint_eq(cbs_count(&land.cbs), 1);
  ck_assert_uint_eq(freelist_count(&land.fl), 1);
  agree(&land, &ns);
  /* And from the freelist part. */
  r = grange(60, 61);
  ck_assert_int_eq(land_delete(&out, &land, &r), RES_OK);
  model_put(&r, false);
  ck_assert(range_equal(&out, &(Range){gaddr(50), gaddr(100)}));
  agree(&land, &ns);
  r = grange(45, 55);
  ck_assert_int_eq(land_delete(&out, &land, &r), RES_FAIL);
  ns.fail = false;
  ck_assert(land_flush(&land));
  agree(&land, &ns);
  teardown(&land, &ns);
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(small_align_asserts)
{
  Land land;
  NodeSource ns;
  memset(&ns, 0, sizeof ns);
  land_init(&land, sizeof(Word) / 2, node_alloc, node_free, &ns);
}
END_TEST

START_TEST(misaligned_delete_asserts)
{
  Land land;
  NodeSource ns;
  Range r, out;
  setup(&land, &ns, 16);
  r = grange(0, 10);
  ck_assert_int_eq(land_insert(&out, &land, &r), RES_OK);
  r = range_make(gaddr(2) + 8, gaddr(3));
  ck_assert_int_eq(land_delete(&out, &land, &r), RES_OK);   /* not reached */
}
END_TEST
#endif

static Suite *land_suite(void)
{
  Suite *s = suite_create("land");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, random_ops_nodes_always);
  tcase_add_test(tc, random_ops_nodes_sometimes);
  tcase_add_test(tc, random_ops_nodes_rarely);
  tcase_add_test(tc, fallback_then_flush);
  tcase_add_test(tc, freelist_range_absorbed_when_cbs_grows_into_it);
  tcase_add_test(tc, delete_middle_without_nodes);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, small_align_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, misaligned_delete_asserts, SIGABRT);
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
  printf("land_test: seed %lu (" VARIETY_NAME ")\n", seed);
  sr = srunner_create(land_suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
