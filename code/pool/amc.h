/* pool/amc.h -- AMC and AMCZ (Automatic Mostly-Copying): generational,
 * copying pools of formatted objects that pin what ambiguous references
 * point at.
 * Design: manual/design/amc.rst
 *
 * A pool keeps one AMCGen per generation of its chain from the one new
 * objects go in (MPS_KEY_GEN) to the last; survivors of generation k are
 * copied into generation k+1 (the last keeps its own).  Segments belong
 * to one generation.  AMCZ is the same class for leaf objects: its
 * segments have an empty rank set and are never scanned.  Everything
 * runs with the arena lock held. */
#ifndef LAGOON_POOL_AMC_H
#define LAGOON_POOL_AMC_H

#include "pool/pool.h"
#include "pool/format.h"
#include "pool/gen.h"
#include "pool/scan.h"

typedef struct AMC AMC;
typedef struct AMCSeg AMCSeg;
typedef struct AMCBoard AMCBoard;

/* design.amc.defaults: the manual's AMC page gives 4096 for
 * MPS_KEY_EXTEND_BY, a minimum; without the key the pool takes larger
 * segments, which cost far fewer buffer fills and segment operations. */
#define AMC_EXTEND_BY_DEFAULT ((Size)65536)
#define AMC_LARGE_SIZE_DEFAULT ((Size)32768)
/* design.amc.fwd.size: the least size of a segment objects are copied
 * into (the pool's own choice: copying volume is high). */
#define AMC_FWD_SEG_SIZE ((Size)65536)

/* A generation of the pool.  design.amc.gen */
typedef struct AMCGen {
  PoolGen pgen;             /* accounting with the chain: design.gen */
  AMC *amc;
  AMCSeg *fwd;              /* the segment survivors are being copied
                               into during the trace, or NULL:
                               design.amc.fwd */
  Count seg_count;
} AMCGen;

/* design.amc.board: the nail board of a condemned segment, made on
 * demand for the trace.  One bit per grain of the segment in each
 * table. */
struct AMCBoard {
  Word *nail_table;         /* object starts of nailed objects; a block of
                               its own: it becomes the segment's live
                               table at reclaim (design.amc.sparse) */
  Word *start_table;        /* starts of the condemned objects, once
                               built (design.amc.ambig.starts) */
  Word *grey_table;         /* nailed, not yet scanned; NULL in AMCZ */
  bool starts_built;
  Count nail_count;
  Count grey_count;
  Size nailed_size;         /* bytes of the nailed objects */
};

/* design.amc.seg.layout: objects fill [base, parsed limit) with no
 * gap; [base, sparse_limit) holds only the objects whose start is set
 * in live_table (the rest of it is padding); the parsed limit is the
 * attached buffer's init, or data_limit. */
struct AMCSeg {
  Seg seg;                  /* must be first */
  AMCGen *gen;
  bool large;               /* design.amc.large: one object, never copied */
  bool to_space;            /* filled by copying in the current trace */
  AMCSeg *next_to_space;    /* list of those: AMC.to_space */
  Addr data_limit;          /* end of the objects when no buffer is
                               attached (the copy fill pointer of a
                               to-space segment) */
  Addr sparse_limit;        /* design.amc.sparse */
  Word *live_table;         /* NULL: no object below sparse_limit */
  Size pad_size;            /* dead bytes below the parsed limit:
                               padding and stale forwarding objects */
  bool stale_fwd;           /* forwarding objects may lie in
                               [sparse_limit, parsed limit):
                               design.amc.reclaim.whole */
  /* For the trace (design.amc.whiten): */
  Addr white_limit;         /* condemned objects are [base, white_limit);
                               anything above is black: design.amc.black */
  Addr scanned;             /* to-space: objects below it are scanned */
  bool whole_scanned;       /* nailed whole and scanned whole */
  Size forwarded_size;      /* bytes copied out of it */
  AMCBoard *board;          /* NULL until something is nailed */
};

struct AMC {
  Pool pool;                /* must be first */
  Size header_size;         /* the format's in-band header */
  mps_fmt_skip_t skip;      /* the format's methods, at hand for fix */
  mps_fmt_isfwd_t isfwd;
  Shift grain_shift;        /* log2(pool->align) */
  bool leaf;                /* AMCZ */
  bool interior;            /* MPS_KEY_INTERIOR: design.amc.interior */
  Size extend_by;           /* MPS_KEY_EXTEND_BY, rounded to the grain */
  Size large_size;          /* MPS_KEY_LARGE_SIZE */
  Count gen_count;
  AMCGen *gens;             /* gens[0] takes new objects */
  Size total_size;          /* bytes of segments */
  AMCSeg *to_space;         /* segments filled by copying this trace */
  bool fwd_open;            /* some copying happened in this trace */
  Count copy_fail_count;    /* copies refused for memory: design.amc.nofail */
};

extern const PoolClass amc_class;
extern const PoolClass amcz_class;

static inline AMC *amc_of_pool(Pool *pool) { return (AMC *)(void *)pool; }
static inline AMCSeg *amc_seg_of_seg(Seg *seg) { return (AMCSeg *)(void *)seg; }

bool amc_check(const AMC *amc);
bool amc_seg_check(const AMCSeg *aseg);
/* Is this one of the AMC classes? */
bool amc_is_amc_pool(const Pool *pool);

/* design.amc.seg.layout: where the objects of a segment end now. */
Addr amc_seg_parsed_limit(const AMCSeg *aseg);

#endif /* LAGOON_POOL_AMC_H */
