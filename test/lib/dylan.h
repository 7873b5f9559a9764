/* test/lib/dylan.h -- a toy Dylan-like object format for the collector's
 * tests, with or without an in-band header.
 * Design: manual/design/scan.rst (formats as the pools see them)
 *
 * Every word is an mps_word_t and objects are word-aligned.  A slot holds
 * a tagged integer (low bit 1, see dylan_int), a reference (a client
 * pointer: non-zero, low bits 0), or 0.
 *
 * An object's first word is its wrapper: a reference to the wrapper
 * object that describes its class.  Wrappers are objects too: each has
 * the wrapper-wrapper as its wrapper, and the wrapper-wrapper is its own
 * wrapper.  A wrapper's three slots are tagged integers: the class id,
 * the number of fixed slots, and the kind of the repeated (variable)
 * part.  An object is then
 *
 *   word 0          wrapper
 *   words 1..F      the F fixed slots
 *   word F+1        (if the class has a variable part) its length n as a
 *                   tagged integer, followed by n words (DYLAN_VAR_WORDS,
 *                   scanned like the fixed slots) or n bytes rounded up
 *                   to whole words (DYLAN_VAR_BYTES, never scanned).
 *
 * Without a header, padding and forwarding objects are told apart by the
 * tag in word 0: 1 is a one-word pad, 3 a pad whose size in bytes is in
 * word 1, new|2 a one-word forwarding object and new|6 a forwarding
 * object whose size is in word 1.  A forwarding object overwrites at most
 * words 0 and 1, so a forwarded wrapper still gives its layout.
 *
 * With a header (dylan_fmt_create with DYLAN_HEADER_SIZE), every block
 * starts with one header word, size << 3 | kind (1 object, 3 pad,
 * 5 forwarding; a forwarding object keeps its new address in word 0 of
 * the body), and the client pointer is the block's base plus the header.
 * The library allocates and pads by base pointers; the format's other
 * methods, references, and the stepper of
 * mps_arena_formatted_objects_walk see client pointers.
 *
 * The scan method fixes the wrapper first and reads the layout through
 * the fixed reference, so it is safe in moving pools. */
#ifndef LAGOON_TEST_DYLAN_H
#define LAGOON_TEST_DYLAN_H

#include "mps.h"

#include <stdbool.h>
#include <stddef.h>

#define DYLAN_WORD sizeof(mps_word_t)
#define DYLAN_ALIGN sizeof(mps_word_t)          /* the format's alignment */
#define DYLAN_HEADER_SIZE sizeof(mps_word_t)    /* of the header variant */

enum {
  DYLAN_VAR_NONE = 0,     /* no variable part */
  DYLAN_VAR_WORDS = 1,    /* n scanned word slots */
  DYLAN_VAR_BYTES = 2     /* n unscanned bytes (leaf data) */
};

enum {
  DYLAN_KIND_OBJECT,      /* an ordinary object (wrappers included) */
  DYLAN_KIND_PAD,
  DYLAN_KIND_FWD,
  DYLAN_KIND_BAD          /* not a valid block of this format */
};

#define DYLAN_CLASS_WRAPPER 0u   /* class id of the wrapper-wrapper */
#define DYLAN_WRAPPER_WORDS 4u   /* wrapper, class id, fixed count, var kind */

/* Tagged integers. */
static inline mps_word_t dylan_int(long n)
{
  return ((mps_word_t)n << 1) | 1u;
}
static inline long dylan_int_value(mps_word_t w)
{
  return (long)w >> 1;
}
static inline bool dylan_is_int(mps_word_t w)
{
  return (w & 1u) != 0;
}
/* Whether a slot value is treated as a reference by the scan method. */
static inline bool dylan_is_ref(mps_word_t w)
{
  return w != 0 && (w & 1u) == 0;
}

/* Object access (client pointers). */
static inline mps_word_t *dylan_words(mps_addr_t obj)
{
  return (mps_word_t *)obj;
}
static inline mps_addr_t dylan_wrapper(mps_addr_t obj)
{
  return (mps_addr_t)dylan_words(obj)[0];
}
static inline unsigned dylan_class_id(mps_addr_t obj)
{
  return (unsigned)dylan_int_value(dylan_words(dylan_wrapper(obj))[1]);
}
static inline size_t dylan_fixed_count(mps_addr_t obj)
{
  return (size_t)dylan_int_value(dylan_words(dylan_wrapper(obj))[2]);
}
static inline int dylan_var_kind(mps_addr_t obj)
{
  return (int)dylan_int_value(dylan_words(dylan_wrapper(obj))[3]);
}
/* Fixed slot i (i < dylan_fixed_count). */
static inline mps_word_t *dylan_slot(mps_addr_t obj, size_t i)
{
  return &dylan_words(obj)[1 + i];
}
/* Length of the variable part (0 if the class has none). */
static inline size_t dylan_var_len(mps_addr_t obj)
{
  if (dylan_var_kind(obj) == DYLAN_VAR_NONE)
    return 0;
  return (size_t)dylan_int_value(dylan_words(obj)[1 + dylan_fixed_count(obj)]);
}
/* Variable word slot i (DYLAN_VAR_WORDS) or the bytes (DYLAN_VAR_BYTES). */
static inline mps_word_t *dylan_var(mps_addr_t obj, size_t i)
{
  return &dylan_words(obj)[2 + dylan_fixed_count(obj) + i];
}
static inline unsigned char *dylan_bytes(mps_addr_t obj)
{
  return (unsigned char *)dylan_var(obj, 0);
}

/* Size in bytes of the block (header included) of an object of a class
 * with `fixed` fixed slots, variable kind `var_kind`, length `var_len`. */
size_t dylan_block_size(size_t header_size, size_t fixed, int var_kind,
                        size_t var_len);

/* Create a format for the variant: header_size is 0 or
 * DYLAN_HEADER_SIZE.  It has the scan, skip, fwd, isfwd and pad methods
 * and alignment DYLAN_ALIGN. */
mps_res_t dylan_fmt_create(mps_fmt_t *fmt_o, mps_arena_t arena, size_t header_size);

/* The format methods of the variant without a header... */
mps_res_t dylan_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit);
mps_addr_t dylan_skip(mps_addr_t obj);
void dylan_fwd(mps_addr_t old, mps_addr_t new_addr);
mps_addr_t dylan_isfwd(mps_addr_t obj);
void dylan_pad(mps_addr_t base, size_t size);
/* ...and of the variant with a header of DYLAN_HEADER_SIZE. */
mps_res_t dylan_h_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit);
mps_addr_t dylan_h_skip(mps_addr_t obj);
void dylan_h_fwd(mps_addr_t old, mps_addr_t new_addr);
mps_addr_t dylan_h_isfwd(mps_addr_t obj);
void dylan_h_pad(mps_addr_t base, size_t size);

/* What the block at client pointer obj is (for steppers and walkers). */
int dylan_kind(mps_addr_t obj, size_t header_size);
/* Whether obj is a well-formed object: its wrapper's wrapper is a
 * wrapper-wrapper, its layout plausible, its header (if any) agrees. */
bool dylan_check(mps_addr_t obj, size_t header_size);

/* Allocation through an allocation point, with the reserve/commit loop
 * (a failed commit is retried; dylan_commit_failures counts them in all
 * threads).  header_size must match the pool's format.  Results as
 * mps_reserve; *obj_o (a client pointer) is written only on success.
 *
 * dylan_make: fixed (NULL for all 0) gives the fixed slots; var (NULL for
 * zeros) the variable part: var_len words or bytes.  References in them
 * must stay valid until the call returns: reachable, and, with a moving
 * pool, unmoved.  The reserve may start a collection, which moves what
 * exact roots alone refer to, so with an unparked arena and AMC the
 * caller's thread must be registered with a stack root (fixed[] and
 * var[] then pin their objects) or the values must be re-read after
 * the call. */
mps_res_t dylan_make(mps_addr_t *obj_o, mps_ap_t ap, size_t header_size,
                     mps_addr_t wrapper, const mps_word_t *fixed,
                     size_t var_len, const void *var);
/* A wrapper-wrapper (its own wrapper), and a wrapper of class `class_id`
 * whose wrapper is ww. */
mps_res_t dylan_make_wrapper_wrapper(mps_addr_t *ww_o, mps_ap_t ap,
                                     size_t header_size);
mps_res_t dylan_make_wrapper(mps_addr_t *wrapper_o, mps_ap_t ap, size_t header_size,
                             mps_addr_t ww, unsigned class_id, size_t fixed,
                             int var_kind);
unsigned long dylan_commit_failures(void);

/* A wrapper outside the arena (static or malloc'd), for pools whose
 * objects do not keep their wrappers alive (LO).  Its wrapper is a
 * static wrapper-wrapper.  Returns the wrapper's client pointer. */
typedef struct DylanStaticWrapper {
  mps_word_t header;                     /* for the header variant */
  mps_word_t words[DYLAN_WRAPPER_WORDS];
} DylanStaticWrapper;
mps_addr_t dylan_static_wrapper(DylanStaticWrapper *sw, unsigned class_id,
                                size_t fixed, int var_kind);

/* A census of the formatted objects of one pool (or of every pool whose
 * format is this one's, if pool is NULL), taken with
 * mps_arena_formatted_objects_walk (the arena should be parked).  Pads
 * are counted apart; anything that fails dylan_check counts as bad.
 * Class ids at or above DYLAN_CENSUS_CLASSES count in `objects` only. */
#define DYLAN_CENSUS_CLASSES 64
typedef struct DylanCensus {
  mps_pool_t pool;           /* the pool counted, or NULL */
  mps_fmt_t fmt;             /* the format counted (if pool is NULL) */
  size_t header_size;        /* of that format */
  size_t objects;            /* ordinary objects, wrappers included */
  size_t bytes;              /* their block sizes, headers included */
  size_t pads;
  size_t bad;
  size_t by_class[DYLAN_CENSUS_CLASSES];
  size_t bytes_by_class[DYLAN_CENSUS_CLASSES];
} DylanCensus;
void dylan_census(DylanCensus *census, mps_arena_t arena, mps_pool_t pool,
                  mps_fmt_t fmt, size_t header_size);

#endif /* LAGOON_TEST_DYLAN_H */
