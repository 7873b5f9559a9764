/* base/bt.c -- bit tables: ranges, counts and word-at-a-time searches.
 * Design: manual/design/bt.rst */
#include "base/bt.h"

/* design.bt.word: the searches look at one Word per step, finding the
 * bit inside it with count-trailing/leading-zeros.  The builtins are
 * taken at unsigned long long width so they work for any Word up to 64
 * bits. */
_Static_assert(sizeof(Word) <= sizeof(unsigned long long), "Word wider than long long");
_Static_assert((1u << WORD_SHIFT) == WORD_WIDTH, "WORD_SHIFT inconsistent");

#define BT_WORD_ONES (~(Word)0)

static inline unsigned bt_word_ctz(Word w)
{
  ASSERT_CRIT(w != 0);
  return (unsigned)__builtin_ctzll((unsigned long long)w);
}

/* Index of the highest set bit of w. */
static inline unsigned bt_word_high_bit(Word w)
{
  ASSERT_CRIT(w != 0);
  return (unsigned)(sizeof(unsigned long long) * CHAR_BIT - 1) -
         (unsigned)__builtin_clzll((unsigned long long)w);
}

static inline unsigned bt_word_popcount(Word w)
{
  return (unsigned)__builtin_popcountll((unsigned long long)w);
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= WORD_WIDTH. */
static inline Word bt_word_mask(unsigned lo, unsigned hi)
{
  ASSERT_CRIT(lo < hi && hi <= WORD_WIDTH);
  return (BT_WORD_ONES >> (WORD_WIDTH - (hi - lo))) << lo;
}

/* The words covering [base, limit) (non-empty): first and last word
 * indexes and the masks of the bits of the range within each. */
typedef struct BTWordSpan {
  Index first, last;
  Word first_mask, last_mask;
} BTWordSpan;

static inline BTWordSpan bt_word_span(Index base, Index limit)
{
  BTWordSpan s;
  ASSERT_CRIT(base < limit);
  s.first = base >> WORD_SHIFT;
  s.last = (limit - 1) >> WORD_SHIFT;
  s.first_mask = bt_word_mask((unsigned)(base & (WORD_WIDTH - 1)), WORD_WIDTH);
  s.last_mask = bt_word_mask(0, (unsigned)((limit - 1) & (WORD_WIDTH - 1)) + 1);
  return s;
}

/* The mask of the range's bits within word w of span s. */
static inline Word bt_span_mask(const BTWordSpan *s, Index w)
{
  Word m = BT_WORD_ONES;
  if (w == s->first)
    m &= s->first_mask;
  if (w == s->last)
    m &= s->last_mask;
  return m;
}

void bt_set_range(Word *bt, Index base, Index limit)
{
  ASSERT(base <= limit);
  if (base == limit)
    return;
  BTWordSpan s = bt_word_span(base, limit);
  for (Index w = s.first; w <= s.last; ++w)
    bt[w] |= bt_span_mask(&s, w);
}

void bt_reset_range(Word *bt, Index base, Index limit)
{
  ASSERT(base <= limit);
  if (base == limit)
    return;
  BTWordSpan s = bt_word_span(base, limit);
  for (Index w = s.first; w <= s.last; ++w)
    bt[w] &= ~bt_span_mask(&s, w);
}

void bt_set_all(Word *bt, Count length)
{
  bt_set_range(bt, 0, length);
}

void bt_reset_all(Word *bt, Count length)
{
  bt_reset_range(bt, 0, length);
}

Count bt_count_set(const Word *bt, Index base, Index limit)
{
  Count n = 0;
  ASSERT(base <= limit);
  if (base == limit)
    return 0;
  BTWordSpan s = bt_word_span(base, limit);
  for (Index w = s.first; w <= s.last; ++w)
    n += bt_word_popcount(bt[w] & bt_span_mask(&s, w));
  return n;
}

/* The lowest index in [base, limit) whose bit b has b ^ invert set: set
 * bits for invert == 0, reset bits for invert == ~0. */
static bool bt_find_bit_low(Index *index_o, const Word *bt, Index base, Index limit, Word invert)
{
  if (base >= limit)
    return false;
  BTWordSpan s = bt_word_span(base, limit);
  for (Index w = s.first; w <= s.last; ++w) {
    Word x = (bt[w] ^ invert) & bt_span_mask(&s, w);
    if (x != 0) {
      *index_o = (w << WORD_SHIFT) + bt_word_ctz(x);
      return true;
    }
  }
  return false;
}

/* As bt_find_bit_low, the highest such index. */
static bool bt_find_bit_high(Index *index_o, const Word *bt, Index base, Index limit, Word invert)
{
  if (base >= limit)
    return false;
  BTWordSpan s = bt_word_span(base, limit);
  for (Index w = s.last + 1; w-- > s.first;) {
    Word x = (bt[w] ^ invert) & bt_span_mask(&s, w);
    if (x != 0) {
      *index_o = (w << WORD_SHIFT) + bt_word_high_bit(x);
      return true;
    }
  }
  return false;
}

bool bt_find_set(Index *index_o, const Word *bt, Index base, Index limit)
{
  ASSERT(base <= limit);
  return bt_find_bit_low(index_o, bt, base, limit, 0);
}

bool bt_find_reset(Index *index_o, const Word *bt, Index base, Index limit)
{
  ASSERT(base <= limit);
  return bt_find_bit_low(index_o, bt, base, limit, BT_WORD_ONES);
}

bool bt_find_set_high(Index *index_o, const Word *bt, Index base, Index limit)
{
  ASSERT(base <= limit);
  return bt_find_bit_high(index_o, bt, base, limit, 0);
}

bool bt_find_reset_high(Index *index_o, const Word *bt, Index base, Index limit)
{
  ASSERT(base <= limit);
  return bt_find_bit_high(index_o, bt, base, limit, BT_WORD_ONES);
}

bool bt_is_set_range(const Word *bt, Index base, Index limit)
{
  Index i;
  ASSERT(base <= limit);
  return !bt_find_bit_low(&i, bt, base, limit, BT_WORD_ONES);
}

bool bt_is_reset_range(const Word *bt, Index base, Index limit)
{
  Index i;
  ASSERT(base <= limit);
  return !bt_find_bit_low(&i, bt, base, limit, 0);
}

/* design.bt.find.range: find a candidate start (a wanted bit), then look
 * for an unwanted bit in the next `length` bits.  If there is one, no run
 * of that length can start at or before it, so the search resumes just
 * past it.  Each step costs words, not bits, and every bit is looked at
 * at most twice. */
static bool bt_find_run_low(Index *base_o, Index *limit_o, const Word *bt,
                         Index search_base, Index search_limit, Count length, Word invert)
{
  Index pos = search_base;

  ASSERT(search_base <= search_limit);
  ASSERT(length > 0);
  while (search_limit - pos >= length) {
    Index start, bad;
    /* A run must start no later than search_limit - length. */
    if (!bt_find_bit_low(&start, bt, pos, search_limit - length + 1, invert))
      return false;
    if (!bt_find_bit_low(&bad, bt, start, start + length, ~invert)) {
      *base_o = start;
      *limit_o = start + length;
      return true;
    }
    pos = bad + 1;
  }
  return false;
}

/* The mirror image: find a candidate last bit, look back `length` bits. */
static bool bt_find_run_high(Index *base_o, Index *limit_o, const Word *bt,
                          Index search_base, Index search_limit, Count length, Word invert)
{
  Index pos = search_limit;   /* runs must end at or before pos */

  ASSERT(search_base <= search_limit);
  ASSERT(length > 0);
  while (pos - search_base >= length) {
    Index last, bad;
    if (!bt_find_bit_high(&last, bt, search_base + length - 1, pos, invert))
      return false;
    if (!bt_find_bit_high(&bad, bt, last + 1 - length, last + 1, ~invert)) {
      *base_o = last + 1 - length;
      *limit_o = last + 1;
      return true;
    }
    pos = bad;
  }
  return false;
}

bool bt_find_reset_range(Index *base_o, Index *limit_o, const Word *bt,
                         Index search_base, Index search_limit, Count length)
{
  return bt_find_run_low(base_o, limit_o, bt, search_base, search_limit, length, BT_WORD_ONES);
}

bool bt_find_reset_range_high(Index *base_o, Index *limit_o, const Word *bt,
                              Index search_base, Index search_limit, Count length)
{
  return bt_find_run_high(base_o, limit_o, bt, search_base, search_limit, length, BT_WORD_ONES);
}

bool bt_find_set_range(Index *base_o, Index *limit_o, const Word *bt,
                       Index search_base, Index search_limit, Count length)
{
  return bt_find_run_low(base_o, limit_o, bt, search_base, search_limit, length, 0);
}

bool bt_find_set_range_high(Index *base_o, Index *limit_o, const Word *bt,
                            Index search_base, Index search_limit, Count length)
{
  return bt_find_run_high(base_o, limit_o, bt, search_base, search_limit, length, 0);
}

bool bt_find_longest_reset_range(Index *base_o, Index *limit_o, const Word *bt,
                                 Index search_base, Index search_limit)
{
  Index pos = search_base, best_base = 0, best_limit = 0;

  ASSERT(search_base <= search_limit);
  /* Stop once what is left could not beat the best run so far. */
  while (search_limit - pos > best_limit - best_base) {
    Index start, end;
    if (!bt_find_bit_low(&start, bt, pos, search_limit, BT_WORD_ONES))
      break;
    if (!bt_find_bit_low(&end, bt, start, search_limit, 0))
      end = search_limit;
    if (end - start > best_limit - best_base) {
      best_base = start;
      best_limit = end;
    }
    pos = end;
  }
  if (best_limit == best_base)
    return false;
  *base_o = best_base;
  *limit_o = best_limit;
  return true;
}
