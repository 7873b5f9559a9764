/* test/lib/scheme.h -- a toy Scheme-like object format with tagged
 * values, for the collector's tests.
 * Design: manual/design/scan.rst (formats as the pools see them)
 *
 * A value (SchValue) is one word whose low three bits are its tag:
 *   ...xx1   a fixnum n, stored as n << 1 | 1;
 *   ...010   a reference: the object's address plus SCH_TAG_PTR;
 *   ...110   an immediate constant (SCH_NIL, SCH_TRUE, SCH_FALSE,
 *            SCH_UNSPEC);
 *   0        "no value" (a fresh slot).
 * So a root of values is scanned by mps_scan_area_tagged with
 * SCH_TAG_MASK and SCH_TAG_PTR (mps_root_create_area_tagged), which
 * removes the tag before fixing and puts it back afterwards.
 *
 * Heap objects are word-aligned, without a header; word 0 is a type code:
 *   pair     type, car, cdr
 *   vector   type, length (plain), length values
 *   string   type, length (plain), the characters and a NUL (leaf)
 *   symbol   type, name (a string value)
 *   pad1     type (one word);  pad: type, size in bytes
 *   fwd2     type, new address (two words);  fwd: type, new, size
 * Every object is at least two words, so a forwarding object always
 * fits. */
#ifndef LAGOON_TEST_SCHEME_H
#define LAGOON_TEST_SCHEME_H

#include "mps.h"

#include <stdbool.h>
#include <stddef.h>

typedef mps_word_t SchValue;

#define SCH_WORD sizeof(mps_word_t)
#define SCH_ALIGN sizeof(mps_word_t)
#define SCH_TAG_MASK ((mps_word_t)7)
#define SCH_TAG_PTR ((mps_word_t)2)
#define SCH_TAG_IMM ((mps_word_t)6)

#define SCH_NIL ((SchValue)(0x00 << 3 | SCH_TAG_IMM))
#define SCH_TRUE ((SchValue)(0x01 << 3 | SCH_TAG_IMM))
#define SCH_FALSE ((SchValue)(0x02 << 3 | SCH_TAG_IMM))
#define SCH_UNSPEC ((SchValue)(0x03 << 3 | SCH_TAG_IMM))

enum {
  SCH_TYPE_PAIR = 0x5C01,
  SCH_TYPE_VECTOR,
  SCH_TYPE_STRING,
  SCH_TYPE_SYMBOL,
  SCH_TYPE_PAD1,
  SCH_TYPE_PAD,
  SCH_TYPE_FWD2,
  SCH_TYPE_FWD
};

typedef struct SchPair {
  mps_word_t type;
  SchValue car, cdr;
} SchPair;

typedef struct SchVector {
  mps_word_t type;
  mps_word_t length;
  SchValue elems[];
} SchVector;

typedef struct SchString {
  mps_word_t type;
  mps_word_t length;
  char chars[];
} SchString;

typedef struct SchSymbol {
  mps_word_t type;
  SchValue name;
} SchSymbol;

static inline SchValue sch_fixnum(long n)
{
  return ((mps_word_t)n << 1) | 1u;
}
static inline long sch_fixnum_value(SchValue v)
{
  return (long)v >> 1;
}
static inline bool sch_is_fixnum(SchValue v)
{
  return (v & 1u) != 0;
}
static inline bool sch_is_ptr(SchValue v)
{
  return (v & SCH_TAG_MASK) == SCH_TAG_PTR;
}
/* The object's address (a base pointer), for a reference value. */
static inline void *sch_ptr(SchValue v)
{
  return (void *)(v - SCH_TAG_PTR);
}
static inline SchValue sch_value_of(void *obj)
{
  return (mps_word_t)obj + SCH_TAG_PTR;
}
/* The type code of a reference value's object. */
static inline mps_word_t sch_type(SchValue v)
{
  return *(const mps_word_t *)sch_ptr(v);
}

static inline SchPair *sch_pair(SchValue v)
{
  return sch_ptr(v);
}
static inline SchVector *sch_vector(SchValue v)
{
  return sch_ptr(v);
}
static inline SchString *sch_string(SchValue v)
{
  return sch_ptr(v);
}
static inline SchSymbol *sch_symbol(SchValue v)
{
  return sch_ptr(v);
}

/* The format: scan, skip, fwd, isfwd and pad, alignment SCH_ALIGN. */
mps_res_t sch_fmt_create(mps_fmt_t *fmt_o, mps_arena_t arena);
mps_res_t sch_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit);
mps_addr_t sch_skip(mps_addr_t obj);
void sch_fwd(mps_addr_t old, mps_addr_t new_addr);
mps_addr_t sch_isfwd(mps_addr_t obj);
void sch_pad(mps_addr_t base, size_t size);
/* Whether the block at obj is a pad. */
bool sch_is_pad(mps_addr_t obj);

/* Constructors: allocate on ap with the reserve/commit loop and write the
 * new reference value to *v_o (only on success).  Argument values must
 * stay reachable until the call returns. */
mps_res_t sch_make_pair(SchValue *v_o, mps_ap_t ap, SchValue car, SchValue cdr);
mps_res_t sch_make_vector(SchValue *v_o, mps_ap_t ap, size_t length, SchValue fill);
mps_res_t sch_make_string(SchValue *v_o, mps_ap_t ap, const char *chars);
mps_res_t sch_make_symbol(SchValue *v_o, mps_ap_t ap, SchValue name);

/* Structural equality of two values (strings by contents). */
bool sch_equal(SchValue a, SchValue b);

#endif /* LAGOON_TEST_SCHEME_H */
