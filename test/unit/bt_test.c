/* test/unit/bt_test.c -- bit tables against a bool-array model.
 * Design: manual/design/bt.rst
 * Seeded: LAGOON_SEED=n overrides the fixed seed, which every failure
 * message prints. */
#include "base/bt.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long seed = 20240611;
static unsigned long step;
static uint64_t rng_state;

static void rng_seed(unsigned long s) { rng_state = (uint64_t)s * 0x9E3779B97F4A7C15u + 1; }
static uint64_t rng(void)
{
  /* xorshift64* */
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

/* A table of BITS bits with a guard word on each side. */
#define BITS 517u
#define GUARD ((Word)0xA5A5A5A5A5A5A5A5u)
static Word storage[(BITS + WORD_WIDTH - 1) / WORD_WIDTH + 2];
static Word *bt = &storage[1];
static bool model[BITS];

static void table_init(void)
{
  size_t words = bt_size(BITS) / sizeof(Word);
  storage[0] = GUARD;
  storage[words + 1] = GUARD;
  bt_reset_all(bt, BITS);
  memset(model, 0, sizeof model);
}

static void guards_intact(void)
{
  size_t words = bt_size(BITS) / sizeof(Word);
  EXPECT(storage[0] == GUARD);
  EXPECT(storage[words + 1] == GUARD);
}

/* Naive model searches ---------------------------------------------------- */

static bool m_find(Index *o, Index base, Index limit, bool value, bool high)
{
  if (!high) {
    for (Index i = base; i < limit; ++i)
      if (model[i] == value) { *o = i; return true; }
  } else {
    for (Index i = limit; i-- > base;)
      if (model[i] == value) { *o = i; return true; }
  }
  return false;
}

static bool m_run(Index *b_o, Index base, Index limit, Count length, bool value, bool high)
{
  if (limit - base < length)
    return false;
  if (!high) {
    for (Index b = base; b + length <= limit; ++b) {
      Index j;
      if (!m_find(&j, b, b + length, !value, false)) { *b_o = b; return true; }
    }
  } else {
    for (Index b = limit - length + 1; b-- > base;) {
      Index j;
      if (!m_find(&j, b, b + length, !value, false)) { *b_o = b; return true; }
    }
  }
  return false;
}

static bool m_longest(Index *b_o, Index *l_o, Index base, Index limit)
{
  Index best_b = 0, best_len = 0;
  for (Index i = base; i < limit;) {
    if (model[i]) { ++i; continue; }
    Index j = i;
    while (j < limit && !model[j])
      ++j;
    if (j - i > best_len) { best_b = i; best_len = j - i; }
    i = j;
  }
  if (best_len == 0)
    return false;
  *b_o = best_b;
  *l_o = best_b + best_len;
  return true;
}

/* Compare every query over [base, limit) with the model. */
static void check_queries(Index base, Index limit)
{
  Index e, g, gl, eb, el;
  Count n = 0;
  bool all_set = true, all_reset = true;

  for (Index i = base; i < limit; ++i) {
    n += model[i];
    all_set &= model[i];
    all_reset &= !model[i];
  }
  EXPECT(bt_count_set(bt, base, limit) == n);
  EXPECT(bt_is_set_range(bt, base, limit) == all_set);
  EXPECT(bt_is_reset_range(bt, base, limit) == all_reset);

  for (int v = 0; v < 2; ++v) {
    for (int high = 0; high < 2; ++high) {
      bool ef = m_find(&e, base, limit, v, high), gf;
      if (v)
        gf = high ? bt_find_set_high(&g, bt, base, limit) : bt_find_set(&g, bt, base, limit);
      else
        gf = high ? bt_find_reset_high(&g, bt, base, limit) : bt_find_reset(&g, bt, base, limit);
      EXPECT(ef == gf);
      if (ef)
        EXPECT(e == g);
    }
  }

  for (int k = 0; k < 4; ++k) {
    Count length = 1 + (k < 2 ? rnd(8) : rnd(3 * WORD_WIDTH));
    for (int v = 0; v < 2; ++v) {
      for (int high = 0; high < 2; ++high) {
        bool ef = m_run(&e, base, limit, length, v, high), gf;
        g = gl = 12345;
        if (v)
          gf = high ? bt_find_set_range_high(&g, &gl, bt, base, limit, length)
                    : bt_find_set_range(&g, &gl, bt, base, limit, length);
        else
          gf = high ? bt_find_reset_range_high(&g, &gl, bt, base, limit, length)
                    : bt_find_reset_range(&g, &gl, bt, base, limit, length);
        EXPECT(ef == gf);
        if (ef) {
          EXPECT(g == e);
          EXPECT(gl == e + length);
        } else {
          EXPECT(g == 12345 && gl == 12345);   /* outputs untouched */
        }
      }
    }
  }

  {
    bool ef = m_longest(&eb, &el, base, limit);
    bool gf = bt_find_longest_reset_range(&g, &gl, bt, base, limit);
    EXPECT(ef == gf);
    if (ef) {
      EXPECT(g == eb);
      EXPECT(gl == el);
    }
  }
}

/* Tests ------------------------------------------------------------------- */

START_TEST(size_rounds_to_words)
{
  EXPECT(bt_size(0) == 0);
  EXPECT(bt_size(1) == sizeof(Word));
  EXPECT(bt_size(WORD_WIDTH) == sizeof(Word));
  EXPECT(bt_size(WORD_WIDTH + 1) == 2 * sizeof(Word));
  EXPECT(bt_size(10 * WORD_WIDTH) == 10 * sizeof(Word));
}
END_TEST

START_TEST(single_bits)
{
  table_init();
  for (Index i = 0; i < BITS; i += 7) {
    EXPECT(!bt_get(bt, i));
    bt_set(bt, i);
    EXPECT(bt_get(bt, i));
    if (i > 0)
      EXPECT(!bt_get(bt, i - 1));
    if (i + 1 < BITS)
      EXPECT(!bt_get(bt, i + 1));
  }
  EXPECT(bt_count_set(bt, 0, BITS) == (BITS + 6) / 7);
  for (Index i = 0; i < BITS; i += 7) {
    bt_reset(bt, i);
    EXPECT(!bt_get(bt, i));
  }
  bt_put(bt, 3, true);
  EXPECT(bt_get(bt, 3));
  bt_put(bt, 3, false);
  EXPECT(!bt_get(bt, 3));
  EXPECT(bt_is_reset_range(bt, 0, BITS));
  guards_intact();
}
END_TEST

START_TEST(word_boundaries)
{
  /* Ranges that start, end or both on word edges. */
  Index edges[] = {0, 1, WORD_WIDTH - 1, WORD_WIDTH, WORD_WIDTH + 1,
                   2 * WORD_WIDTH, 3 * WORD_WIDTH - 1, BITS - 1, BITS};
  for (size_t a = 0; a < ARRAY_LEN(edges); ++a) {
    for (size_t b = a; b < ARRAY_LEN(edges); ++b) {
      Index lo = edges[a], hi = edges[b];
      table_init();
      bt_set_range(bt, lo, hi);
      for (Index i = lo; i < hi; ++i)
        model[i] = true;
      for (Index i = 0; i < BITS; ++i)
        EXPECT(bt_get(bt, i) == model[i]);
      check_queries(0, BITS);
      check_queries(lo, hi);
      bt_reset_range(bt, lo, hi);
      EXPECT(bt_is_reset_range(bt, 0, BITS));
      guards_intact();
    }
  }
}
END_TEST

START_TEST(empty_ranges)
{
  Index i, l;
  table_init();
  bt_set_range(bt, 5, 5);
  EXPECT(bt_is_reset_range(bt, 0, BITS));
  EXPECT(bt_is_set_range(bt, 9, 9));
  EXPECT(bt_is_reset_range(bt, 9, 9));
  EXPECT(bt_count_set(bt, 9, 9) == 0);
  EXPECT(!bt_find_reset(&i, bt, 9, 9));
  EXPECT(!bt_find_reset_high(&i, bt, 9, 9));
  EXPECT(!bt_find_reset_range(&i, &l, bt, 9, 9, 1));
  EXPECT(!bt_find_reset_range_high(&i, &l, bt, 9, 9, 1));
  EXPECT(!bt_find_longest_reset_range(&i, &l, bt, 9, 9));
  /* A run longer than the search range. */
  EXPECT(!bt_find_reset_range(&i, &l, bt, 10, 20, 11));
  EXPECT(bt_find_reset_range(&i, &l, bt, 10, 20, 10));
  EXPECT(i == 10 && l == 20);
  EXPECT(bt_find_reset_range_high(&i, &l, bt, 10, 20, 10));
  EXPECT(i == 10 && l == 20);
}
END_TEST

START_TEST(randomized_against_model)
{
  rng_seed(seed);
  table_init();
  for (step = 0; step < 3000; ++step) {
    Index base = rnd(BITS + 1);
    Index len = rnd(4) == 0 ? rnd(3 * WORD_WIDTH) : rnd(6);
    Index limit = base + len > BITS ? BITS : base + len;
    /* Bias towards set bits in some phases so long set runs appear too. */
    bool set = (step / 500) % 2 == 0 ? rnd(3) != 0 : rnd(3) == 0;
    if (set)
      bt_set_range(bt, base, limit);
    else
      bt_reset_range(bt, base, limit);
    for (Index i = base; i < limit; ++i)
      model[i] = set;
    if (step % 3 == 0) {
      Index i = rnd(BITS);
      bt_put(bt, i, !model[i]);
      model[i] = !model[i];
    }
    for (Index i = 0; i < BITS; ++i)
      EXPECT(bt_get(bt, i) == model[i]);
    guards_intact();
    check_queries(0, BITS);
    {
      Index qb = rnd(BITS + 1), ql = qb + rnd(BITS + 1 - qb);
      check_queries(qb, ql);
    }
  }
}
END_TEST

START_TEST(sparse_long_runs)
{
  /* Few set bits in a big table: the run searches must skip whole words. */
  enum { N = 64 * 1024 };
  static Word big[N / (sizeof(Word) * CHAR_BIT)];
  Index b, l;
  bt_reset_all(big, N);
  bt_set(big, 100);
  bt_set(big, 40000);
  EXPECT(bt_find_reset_range(&b, &l, big, 0, N, 30000));
  EXPECT(b == 101 && l == 30101);
  EXPECT(bt_find_reset_range_high(&b, &l, big, 0, N, 30000));
  EXPECT(b == 40000 - 30000 && l == 40000);   /* [40001, N) is too short */
  EXPECT(!bt_find_reset_range(&b, &l, big, 0, N, 40000));
  EXPECT(bt_find_longest_reset_range(&b, &l, big, 0, N));
  EXPECT(b == 101 && l == 40000);
  EXPECT(bt_find_set_high(&b, big, 0, N) && b == 40000);
  EXPECT(bt_find_set(&b, big, 101, N) && b == 40000);
  EXPECT(bt_count_set(big, 0, N) == 2);
  bt_set_all(big, N);
  EXPECT(bt_is_set_range(big, 0, N));
  EXPECT(!bt_find_longest_reset_range(&b, &l, big, 0, N));
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(inverted_range_asserts)
{
  table_init();
  bt_set_range(bt, 10, 9);
}
END_TEST

START_TEST(zero_length_search_asserts)
{
  Index b, l;
  table_init();
  (void)bt_find_reset_range(&b, &l, bt, 0, BITS, 0);
}
END_TEST
#endif

static Suite *bt_suite(void)
{
  Suite *s = suite_create("bt");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, size_rounds_to_words);
  tcase_add_test(tc, single_bits);
  tcase_add_test(tc, word_boundaries);
  tcase_add_test(tc, empty_ranges);
  tcase_add_test(tc, randomized_against_model);
  tcase_add_test(tc, sparse_long_runs);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, inverted_range_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, zero_length_search_asserts, SIGABRT);
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
  printf("bt_test: seed %lu (" VARIETY_NAME ")\n", seed);
  sr = srunner_create(bt_suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
