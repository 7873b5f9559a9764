/* base/types.h -- the basic types and address arithmetic.
 * Design: manual/design/config.rst */
#ifndef LAGOON_BASE_TYPES_H
#define LAGOON_BASE_TYPES_H

#include "base/config.h"
#include "base/public.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>

typedef uintptr_t Addr;     /* an address, as an integer: no pointer UB */
typedef uintptr_t Word;
typedef size_t Size;
typedef size_t Count;
typedef size_t Index;
typedef size_t Align;       /* always a power of two */
typedef unsigned Shift;
typedef int Res;            /* RES_* */
typedef uint64_t RefSet;    /* one bit per zone: design.arena.zone */
typedef unsigned Rank;      /* RANK_* */
typedef unsigned RankSet;
typedef unsigned TraceId;
typedef unsigned TraceSet;
typedef unsigned AccessSet; /* ACCESS_READ | ACCESS_WRITE */
typedef uint32_t Sig;
typedef uint64_t Epoch;
typedef double Clock;       /* seconds */

#define WORD_WIDTH   ((unsigned)(sizeof(Word) * CHAR_BIT))
#define WORD_SHIFT   (sizeof(Word) == 8 ? 6u : 5u)
#define ADDR_MAX     UINTPTR_MAX
#define SIZE_MAX_    SIZE_MAX

/* Result codes, equal to the public ones. */
enum {
  RES_OK = MPS_RES_OK,
  RES_FAIL = MPS_RES_FAIL,
  RES_RESOURCE = MPS_RES_RESOURCE,
  RES_MEMORY = MPS_RES_MEMORY,
  RES_LIMIT = MPS_RES_LIMIT,
  RES_UNIMPL = MPS_RES_UNIMPL,
  RES_IO = MPS_RES_IO,
  RES_COMMIT_LIMIT = MPS_RES_COMMIT_LIMIT,
  RES_PARAM = MPS_RES_PARAM
};

/* Ranks, in the order a trace scans them: design.config.rank.order */
enum { RANK_AMBIG = 0, RANK_EXACT = 1, RANK_FINAL = 2, RANK_WEAK = 3, RANK_LIMIT = 4 };
#define RANKSET_EMPTY   0u
#define RANKSET_SINGLE(r) (1u << (r))
#define RANKSET_IS_MEMBER(rs, r) (((rs) >> (r)) & 1u)

enum { ACCESS_NONE = 0, ACCESS_READ = 1, ACCESS_WRITE = 2, ACCESS_RW = 3 };

#define REFSET_EMPTY  ((RefSet)0)
#define REFSET_UNIV   (~(RefSet)0)
#define ZONE_COUNT    64u

#define WARN_UNUSED   __attribute__((warn_unused_result))
#define UNUSED(x)     ((void)(x))
#define LIKELY(e)     __builtin_expect(!!(e), 1)
#define UNLIKELY(e)   __builtin_expect(!!(e), 0)
#define ARRAY_LEN(a)  (sizeof(a) / sizeof((a)[0]))

static inline bool size_is_p2(Size s) { return s != 0 && (s & (s - 1)) == 0; }
static inline bool align_check(Align a) { return size_is_p2(a); }
static inline Addr addr_align_up(Addr a, Align al) { return (a + al - 1) & ~(Addr)(al - 1); }
static inline Addr addr_align_down(Addr a, Align al) { return a & ~(Addr)(al - 1); }
static inline bool addr_is_aligned(Addr a, Align al) { return (a & (al - 1)) == 0; }
static inline Size size_align_up(Size s, Align al) { return (s + al - 1) & ~(Size)(al - 1); }
static inline Size size_align_down(Size s, Align al) { return s & ~(Size)(al - 1); }
static inline bool size_is_aligned(Size s, Align al) { return (s & (al - 1)) == 0; }
static inline Shift size_log2(Size s) { return (Shift)(WORD_WIDTH - 1 - (unsigned)__builtin_clzl((unsigned long)s)); }
static inline void *addr_ptr(Addr a) { return (void *)a; }
static inline Addr ptr_addr(const void *p) { return (Addr)p; }

/* Overflow-checked size arithmetic: false on overflow. */
static inline bool size_add_ok(Size *sum_o, Size a, Size b) { return !__builtin_add_overflow(a, b, sum_o); }

#endif /* LAGOON_BASE_TYPES_H */
