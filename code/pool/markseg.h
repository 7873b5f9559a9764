/* pool/markseg.h -- mark-sweep segments: the non-moving collector
 * machinery that AMS, LO and AWL share (bitmaps per grain, whiten, fix,
 * scan, reclaim, walk).
 * Design: manual/design/ams.rst (design.ams.markseg)
 *
 * A MarkPool is the common instance struct of the two classes; each
 * class embeds it first, checks its own keyword arguments, then calls
 * markseg_pool_init.  The class tables take most of their methods from
 * here.  Everything runs with the arena lock held. */
#ifndef LAGOON_POOL_MARKSEG_H
#define LAGOON_POOL_MARKSEG_H

#include "pool/pool.h"
#include "pool/format.h"
#include "pool/gen.h"
#include "pool/scan.h"
#include "pool/dbg.h"

/* design.ams.seg.size: a new segment is at least this big (rounded up
 * to the arena grain), or the request if larger. */
#define MARKSEG_SEG_SIZE ((Size)65536)

/* A mark-sweep segment.  One bit per grain (the pool alignment) in each
 * table; a grain index i denotes the address base + (i << grain_shift).
 * design.ams.tables */
typedef struct MarkSeg {
  Seg seg;                  /* must be first */
  Count grains;             /* seg_size >> grain_shift */
  Count free_grains;        /* grains whose alloc bit is reset */
  Word *alloc_table;        /* grain allocated (object or buffer region) */
  Word *start_table;        /* condemned object starts; while white */
  Word *mark_table;         /* preserved (grey or black), at starts */
  Word *grey_table;         /* marked, not yet scanned; NULL if leaf */
  Count condemned_count;    /* start bits set */
  Count marked_count;       /* mark bits set */
  Count grey_count;         /* grey bits set */
  /* design.ams.black: the attached buffer's [init, limit) at whiten:
   * not condemned; empty (0, 0) when the segment had no buffer. */
  Addr black_base, black_limit;
} MarkSeg;

/* Scan the objects [base, limit) of pool (client pointers, whole
 * committed objects of one segment) for ss.  design.awl.scan.objects */
typedef Res (*MarkScanObjectsFn)(ScanState *ss, Pool *pool, Addr base, Addr limit);

/* The instance struct AMS, LO and AWL embed first. */
typedef struct MarkPool {
  Pool pool;                /* must be first */
  PoolGen pgen;             /* design.ams.gen */
  Shift grain_shift;        /* log2(pool->align) */
  Size header_size;         /* the format's in-band header */
  bool leaf;                /* LO: objects hold no references */
  bool support_ambig;       /* AMS: MPS_KEY_AMS_SUPPORT_AMBIGUOUS */
  Size total_size;          /* bytes of segments */
  Size alloc_size;          /* bytes of allocated grains, buffer regions
                               included: design.ams.size */
  PoolDebugMixin *debug;    /* non-NULL in a debugging class */
  /* design.awl.scan.objects: when set, markseg_scan hands each run of
   * objects to it instead of to the format's scan method; NULL (set by
   * markseg_pool_init) for AMS and LO. */
  MarkScanObjectsFn scan_objects;
} MarkPool;

extern const SegClass markseg_class;

static inline MarkPool *markpool_of_pool(Pool *pool) { return (MarkPool *)(void *)pool; }
static inline MarkSeg *markseg_of_seg(Seg *seg) { return (MarkSeg *)(void *)seg; }

bool markseg_check(const MarkSeg *ms);
bool markseg_pool_check(const MarkPool *mp);

/* Initialise the common part from MPS_KEY_FORMAT, MPS_KEY_CHAIN and
 * MPS_KEY_GEN (the class has already checked which keys it accepts).
 * The format must belong to the arena, have a skip method (and a scan
 * method unless leaf) and an alignment of at least a word.  RES_PARAM
 * for a missing or unsuitable format, or a bad chain or generation;
 * nothing is left to undo on failure.  design.ams.args */
Res markseg_pool_init(Pool *pool, const mps_arg_s args[], bool leaf) WARN_UNUSED;
/* Free every segment (the pool's buffers are gone) and detach. */
void markseg_pool_finish(Pool *pool);

/* Class methods (see pool/pool.h for the contracts). */
Res markseg_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool, Buffer *buf,
                        Size size);
void markseg_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit);
Res markseg_whiten(Pool *pool, Trace *trace, Seg *seg);
void markseg_grey(Pool *pool, Trace *trace, Seg *seg);
Res markseg_scan(bool *total_o, ScanState *ss, Pool *pool, Seg *seg);
Res markseg_fix(Pool *pool, ScanState *ss, Seg *seg, Addr *ref_io);
void markseg_reclaim(Pool *pool, Trace *trace, Seg *seg);
Res markseg_walk(Pool *pool, Seg *seg, ScanState *ss, mps_area_scan_t scan_area,
                 void *closure);
Res markseg_addr_object(Addr *base_o, Pool *pool, Seg *seg, Addr addr);
Size markseg_total_size(const Pool *pool);
Size markseg_free_size(const Pool *pool);
Res markseg_describe(const Pool *pool, mps_lib_FILE *stream, Count depth);
/* The slots every mark-sweep class table fills alike; each class adds
 * its varargs, init, finish, buffer init and varargs, buffer fill and
 * empty, debug_mixin, grey and scan.  design.ams.markseg */
#define MARKSEG_CLASS_COMMON \
  MARKSEG_CLASS_COMMON_BUT_DESCRIBE, .describe = markseg_describe
/* The same without describe, for a class that describes more (AWL). */
#define MARKSEG_CLASS_COMMON_BUT_DESCRIBE \
  .alloc = pool_no_alloc, .free = pool_no_free, \
  .buffer_finish = pool_triv_buffer_finish, \
  .frame_push = pool_triv_frame_push, .frame_pop = pool_triv_frame_pop, \
  .total_size = markseg_total_size, .free_size = markseg_free_size, \
  .whiten = markseg_whiten, .fix = markseg_fix, \
  .reclaim = markseg_reclaim, .walk = markseg_walk, \
  .addr_object = markseg_addr_object

/* The debug mixin's free-range walker: the unallocated grain runs of
 * every segment.  design.ams.debug */
bool markseg_free_walk(Pool *pool, RangeVisitFn visit, void *closure);

#endif /* LAGOON_POOL_MARKSEG_H */
