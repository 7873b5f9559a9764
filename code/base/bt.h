/* base/bt.h -- bit tables: one bit per index in an array of Words.
 * Design: manual/design/bt.rst
 *
 * A bit table is a plain `Word *` of bt_size(length) bytes; the caller
 * owns and allocates it (design.bt.alloc).  Bit i lives in word
 * i / WORD_WIDTH at position i % WORD_WIDTH.  Every range argument is
 * half-open, [base, limit), and base <= limit (design.bt.half-open).
 * Searches work a word at a time (design.bt.word). */
#ifndef LAGOON_BASE_BT_H
#define LAGOON_BASE_BT_H

#include "base/check.h"

/* Bytes needed for a table of `length` bits (a whole number of words). */
static inline Size bt_size(Count length)
{
  return ((length + WORD_WIDTH - 1) / WORD_WIDTH) * sizeof(Word);
}

static inline bool bt_get(const Word *bt, Index i)
{
  return (bt[i >> WORD_SHIFT] >> (i & (WORD_WIDTH - 1))) & 1;
}
static inline void bt_set(Word *bt, Index i)
{
  bt[i >> WORD_SHIFT] |= (Word)1 << (i & (WORD_WIDTH - 1));
}
static inline void bt_reset(Word *bt, Index i)
{
  bt[i >> WORD_SHIFT] &= ~((Word)1 << (i & (WORD_WIDTH - 1)));
}
static inline void bt_put(Word *bt, Index i, bool value)
{
  if (value)
    bt_set(bt, i);
  else
    bt_reset(bt, i);
}

/* Set or reset every bit in [base, limit). */
void bt_set_range(Word *bt, Index base, Index limit);
void bt_reset_range(Word *bt, Index base, Index limit);
/* Set or reset all of a table of `length` bits. */
void bt_set_all(Word *bt, Count length);
void bt_reset_all(Word *bt, Count length);

/* Are all bits in [base, limit) set (reset)?  True for an empty range. */
bool bt_is_set_range(const Word *bt, Index base, Index limit);
bool bt_is_reset_range(const Word *bt, Index base, Index limit);

/* Number of set bits in [base, limit). */
Count bt_count_set(const Word *bt, Index base, Index limit);

/* Lowest (bt_find_set, bt_find_reset) or highest (..._high) index in
 * [base, limit) whose bit is set (reset).  False if there is none;
 * *index_o is written only on success. */
bool bt_find_set(Index *index_o, const Word *bt, Index base, Index limit);
bool bt_find_reset(Index *index_o, const Word *bt, Index base, Index limit);
bool bt_find_set_high(Index *index_o, const Word *bt, Index base, Index limit);
bool bt_find_reset_high(Index *index_o, const Word *bt, Index base, Index limit);

/* Find the lowest (highest) run of at least `length` reset bits lying
 * within [search_base, search_limit), length >= 1.  On success
 * [*base_o, *limit_o) is exactly `length` bits long: the low end of the
 * lowest such run (the high end of the highest).  design.bt.find.range */
bool bt_find_reset_range(Index *base_o, Index *limit_o, const Word *bt,
                         Index search_base, Index search_limit, Count length);
bool bt_find_reset_range_high(Index *base_o, Index *limit_o, const Word *bt,
                              Index search_base, Index search_limit, Count length);
/* The same for runs of set bits. */
bool bt_find_set_range(Index *base_o, Index *limit_o, const Word *bt,
                       Index search_base, Index search_limit, Count length);
bool bt_find_set_range_high(Index *base_o, Index *limit_o, const Word *bt,
                            Index search_base, Index search_limit, Count length);

/* The longest maximal run of reset bits in [search_base, search_limit)
 * (the lowest one if several tie).  False if every bit is set. */
bool bt_find_longest_reset_range(Index *base_o, Index *limit_o, const Word *bt,
                                 Index search_base, Index search_limit);

#endif /* LAGOON_BASE_BT_H */
