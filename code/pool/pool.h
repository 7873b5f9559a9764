/* pool/pool.h -- the pool protocol: pool classes, pools, and the generic
 * operations every class shares.
 * Design: manual/design/pool.rst
 *
 * A pool class is a const table of methods (struct mps_pool_class_s).  A
 * class extends another by embedding the parent's instance struct first
 * and naming it as `super`; init and finish chain to the parent
 * explicitly (design.pool.class.inherit).  Every slot of a table is
 * filled: classes use the pool_no_* / pool_triv_* defaults for what they
 * do not support (design.pool.class.complete), so dispatch never tests
 * for NULL. */
#ifndef LAGOON_POOL_POOL_H
#define LAGOON_POOL_POOL_H

#include "base/check.h"
#include "base/ring.h"
#include "arena/arena.h"
#include "arena/seg.h"
#include "base/land.h"

#include <stdarg.h>

typedef struct mps_pool_class_s PoolClass;
typedef struct mps_fmt_s Format;          /* pool/format.h */
typedef struct mps_frame_s Frame;         /* opaque: design.buffer.frame */
typedef struct PoolDebugMixin PoolDebugMixin;  /* pool/dbg.h */
typedef struct Trace Trace;               /* trace layer, later */
typedef struct ScanState ScanState;       /* trace layer, later */

#define pool_sig_value SIG_POOL
#define pool_class_sig_value SIG_POOL_CLASS

/* The platform's natural alignment (MPS_PF_ALIGN in mpstd.h: two words)
 * is the default alignment of the manual pools; a word is the least they
 * accept (a free block must hold a link).  design.pool.align */
#define POOL_ALIGN_NATURAL ((Align)(2 * sizeof(void *)))
#define POOL_ALIGN_MIN ((Align)sizeof(void *))

/* What a class supports, for checks at the interface and for the pool
 * property table of the manual.  design.pool.attr */
enum {
  POOL_ATTR_ALLOC = 1u << 0,    /* mps_alloc */
  POOL_ATTR_FREE = 1u << 1,     /* mps_free */
  POOL_ATTR_BUFFER = 1u << 2,   /* allocation points */
  POOL_ATTR_FRAMES = 1u << 3,   /* allocation frames */
  POOL_ATTR_GC = 1u << 4,       /* garbage collected (trace layer) */
  POOL_ATTR_DEBUG = 1u << 5,    /* has the debugging mixin */
  POOL_ATTR_SCAN = 1u << 6,     /* not collected, but its segments hold
                                   references the trace scans (SNC) */
  POOL_ATTR_MOVING = 1u << 7    /* collections may move its objects
                                   (AMC, AMCZ): design.ld.hook */
};

typedef Res (*PoolInitFn)(Pool *pool, const mps_arg_s args[]);
typedef void (*PoolFinishFn)(Pool *pool);
typedef void (*PoolVarargsFn)(mps_arg_s args[], va_list varargs);
typedef Res (*PoolAllocFn)(Addr *p_o, Pool *pool, Size size);
typedef void (*PoolFreeFn)(Pool *pool, Addr old, Size size);
typedef Res (*PoolBufferInitFn)(Pool *pool, Buffer *buf, const mps_arg_s args[]);
typedef void (*PoolBufferVarargsFn)(mps_arg_s args[], va_list varargs);
typedef void (*PoolBufferFinishFn)(Pool *pool, Buffer *buf);
typedef Res (*PoolBufferFillFn)(Addr *base_o, Addr *limit_o, Pool *pool,
                                Buffer *buf, Size size);
typedef void (*PoolBufferEmptyFn)(Pool *pool, Buffer *buf, Addr init, Addr limit);
typedef Res (*PoolFramePushFn)(Frame **frame_o, Pool *pool, Buffer *buf);
typedef Res (*PoolFramePopFn)(Pool *pool, Buffer *buf, Frame *frame);
typedef Size (*PoolSizeFn)(const Pool *pool);
typedef PoolDebugMixin *(*PoolDebugMixinFn)(Pool *pool);
typedef Res (*PoolDescribeFn)(const Pool *pool, mps_lib_FILE *stream, Count depth);
/* Trace-layer slots: filled by the tracing issue; the manual classes
 * take the pool_no_* defaults, which assert.  design.pool.class.trace */
typedef Res (*PoolWhitenFn)(Pool *pool, Trace *trace, Seg *seg);
typedef void (*PoolGreyFn)(Pool *pool, Trace *trace, Seg *seg);
/* scan: on an error from the format's scan method, return it leaving no
 * object of seg grey; the engine scans seg again conservatively
 * (design.trace.scan.error). */
typedef Res (*PoolScanFn)(bool *total_o, ScanState *ss, Pool *pool, Seg *seg);
typedef Res (*PoolFixFn)(Pool *pool, ScanState *ss, Seg *seg, Addr *ref_io);
typedef void (*PoolReclaimFn)(Pool *pool, Trace *trace, Seg *seg);
/* Walk: call scan_area(ss, base, limit, closure) on runs of the
 * formatted objects of seg ([base, limit) client pointers), never on
 * padding, forwarding objects or a buffer's unused part.  ss has no
 * traces (fixes do nothing) unless the caller says otherwise; parked
 * arena.  design.pool.walk */
typedef Res (*PoolWalkFn)(Pool *pool, Seg *seg, ScanState *ss,
                          mps_area_scan_t scan_area, void *closure);
/* mps_addr_object: the client pointer of the object containing addr (in
 * seg), RES_FAIL if addr is in no object, RES_UNIMPL if the class cannot
 * tell.  Parked arena.  design.pool.addr-object */
typedef Res (*PoolAddrObjectFn)(Addr *base_o, Pool *pool, Seg *seg, Addr addr);

struct mps_pool_class_s {
  Sig sig;                        /* SIG_POOL_CLASS */
  const char *name;
  const PoolClass *super;         /* NULL for the abstract class */
  Size size;                      /* sizeof the instance struct */
  unsigned attr;                  /* POOL_ATTR_* */
  PoolVarargsFn varargs;          /* decode mps_pool_create_v arguments */
  PoolInitFn init;
  PoolFinishFn finish;
  PoolAllocFn alloc;
  PoolFreeFn free;
  PoolBufferVarargsFn buffer_varargs;
  PoolBufferInitFn buffer_init;   /* refuses when buffers are unsupported */
  PoolBufferFinishFn buffer_finish;
  PoolBufferFillFn buffer_fill;
  PoolBufferEmptyFn buffer_empty;
  PoolFramePushFn frame_push;
  PoolFramePopFn frame_pop;
  PoolSizeFn total_size;
  PoolSizeFn free_size;
  PoolDebugMixinFn debug_mixin;   /* NULL result for non-debug classes */
  PoolDescribeFn describe;
  PoolWhitenFn whiten;
  PoolGreyFn grey;
  PoolScanFn scan;
  PoolFixFn fix;
  PoolReclaimFn reclaim;
  PoolWalkFn walk;
  PoolAddrObjectFn addr_object;
};

/* A pool.  Class instance structs embed it first. */
struct mps_pool_s {
  Sig sig;                        /* SIG_POOL, set last by pool_init */
  const PoolClass *klass;
  Arena *arena;
  Ring arena_ring;                /* in arena_pool_ring(arena) */
  Ring seg_ring;                  /* segments owned: Seg.pool_ring */
  Ring buffer_ring;               /* allocation points: Buffer.pool_ring */
  Count sac_count;                /* live SACs: design.pool.destroy */
  Align align;                    /* of blocks; set by the class init */
  Format *format;                 /* NULL for unformatted pools */
  Index serial;
};

/* Fill every trace slot of a class table with the asserting default. */
#define POOL_CLASS_NO_TRACE \
  .whiten = pool_no_whiten, .grey = pool_no_grey, .scan = pool_no_scan, \
  .fix = pool_no_fix, .reclaim = pool_no_reclaim, .walk = pool_no_walk, \
  .addr_object = pool_no_addr_object

extern const PoolClass pool_class_abstract;

bool pool_class_check(const PoolClass *klass);
bool pool_class_is_subclass(const PoolClass *klass, const PoolClass *super);
bool pool_check(const Pool *pool);

/* Create a pool of `klass` in arena with its instance from control
 * memory.  Arena lock held.  RES_PARAM for bad keyword arguments (unknown
 * keys, missing required ones, values out of range), or a resource
 * result; nothing is left allocated on failure. */
Res pool_create(Pool **pool_o, Arena *arena, const PoolClass *klass,
                const mps_arg_s args[]) WARN_UNUSED;
/* Destroy a pool: design.pool.destroy.  The client must have destroyed
 * its allocation points and caches first (asserted).  Arena lock held. */
void pool_destroy(Pool *pool);

/* Initialise/finish a pool whose memory the caller owns (a pool embedded
 * in another pool, like MVFF's node pool).  Arena lock held. */
Res pool_init(Pool *pool, Arena *arena, const PoolClass *klass,
              const mps_arg_s args[]) WARN_UNUSED;
void pool_finish(Pool *pool);

/* Generic parts, for class init/finish methods to chain to. */
Res pool_abstract_init(Pool *pool, const mps_arg_s args[]);
void pool_abstract_finish(Pool *pool);

/* Allocate size bytes (non-zero, a multiple of pool->align).  Arena lock
 * held.  RES_UNIMPL if the class has no mps_alloc. */
static inline Res pool_alloc(Addr *p_o, Pool *pool, Size size)
{
  ASSERT_CRIT(pool_check(pool));
  ASSERT_CRIT(size > 0 && size_is_aligned(size, pool->align));
  return pool->klass->alloc(p_o, pool, size);
}
/* Free a block allocated with pool_alloc (same size).  Arena lock held. */
static inline void pool_free(Pool *pool, Addr old, Size size)
{
  ASSERT_CRIT(pool_check(pool));
  ASSERT_CRIT(size > 0 && size_is_aligned(size, pool->align));
  pool->klass->free(pool, old, size);
}

static inline Size pool_total_size(const Pool *pool) { return pool->klass->total_size(pool); }
static inline Size pool_free_size(const Pool *pool) { return pool->klass->free_size(pool); }
static inline Align pool_align(const Pool *pool) { return pool->align; }
static inline Arena *pool_arena(const Pool *pool) { return pool->arena; }
static inline bool pool_has_attr(const Pool *pool, unsigned attr)
{
  return (pool->klass->attr & attr) == attr;
}

/* Does addr lie in a segment of this pool?  Arena lock held. */
bool pool_has_addr(const Pool *pool, Addr addr);

/* Segments: allocate one for the pool (of class klass, or the base class
 * when NULL) and link it on pool->seg_ring; free it and unlink.  Arena
 * lock held.  Results as seg_alloc. */
Res pool_seg_alloc(Seg **seg_o, Pool *pool, const SegClass *klass, Size size,
                   bool high) WARN_UNUSED;
void pool_seg_free(Seg *seg);

/* Give back to the arena whole segments of pool that lie inside range, a
 * range of free memory held in land, in address order, until at least
 * `excess` bytes have gone.  Each is deleted from land first.  Returns
 * the bytes released.  Arena lock held.  design.pool.release */
Size pool_release_segs(Pool *pool, Land *land, const Range *range, Size excess);

/* Write a description of the pool to stream (for debugging). */
Res pool_describe(const Pool *pool, mps_lib_FILE *stream, Count depth);

/* Defaults for class tables.  The pool_no_* ones refuse (result) or
 * assert (no result); the pool_triv_* ones succeed doing nothing. */
void pool_no_varargs(mps_arg_s args[], va_list varargs);
Res pool_no_alloc(Addr *p_o, Pool *pool, Size size);
void pool_no_free(Pool *pool, Addr old, Size size);
void pool_no_buffer_varargs(mps_arg_s args[], va_list varargs);
void pool_rank_buffer_varargs(mps_arg_s args[], va_list varargs);
Res pool_no_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[]);
Res pool_triv_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[]);
void pool_triv_buffer_finish(Pool *pool, Buffer *buf);
Res pool_no_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool, Buffer *buf, Size size);
void pool_no_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit);
Res pool_no_frame_push(Frame **frame_o, Pool *pool, Buffer *buf);
Res pool_no_frame_pop(Pool *pool, Buffer *buf, Frame *frame);
Res pool_triv_frame_push(Frame **frame_o, Pool *pool, Buffer *buf);
Res pool_triv_frame_pop(Pool *pool, Buffer *buf, Frame *frame);
PoolDebugMixin *pool_no_debug_mixin(Pool *pool);
Res pool_triv_describe(const Pool *pool, mps_lib_FILE *stream, Count depth);
Res pool_no_whiten(Pool *pool, Trace *trace, Seg *seg);
void pool_no_grey(Pool *pool, Trace *trace, Seg *seg);
Res pool_no_scan(bool *total_o, ScanState *ss, Pool *pool, Seg *seg);
Res pool_no_fix(Pool *pool, ScanState *ss, Seg *seg, Addr *ref_io);
void pool_no_reclaim(Pool *pool, Trace *trace, Seg *seg);
Res pool_no_walk(Pool *pool, Seg *seg, ScanState *ss, mps_area_scan_t scan_area,
                 void *closure);
Res pool_no_addr_object(Addr *base_o, Pool *pool, Seg *seg, Addr addr);

/* Keyword helpers shared by the classes.  Each returns RES_PARAM for an
 * argument of the wrong range.  design.pool.args */
Res pool_arg_align(Align *align_io, Arena *arena, const mps_arg_s args[]);

/* Describe helpers: write text or a number (plinth only). */
Res pool_write(mps_lib_FILE *stream, Count depth, const char *label, Word value);

#endif /* LAGOON_POOL_POOL_H */
