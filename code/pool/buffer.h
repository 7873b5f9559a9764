/* pool/buffer.h -- buffers: the library side of allocation points, and
 * allocation frames.
 * Design: manual/design/buffer.rst
 *
 * A Buffer starts with the public mps_ap_s, so an mps_ap_t is a Buffer *
 * (design.buffer.ap.first).  The buffered region [base, limit) comes from
 * the pool's buffer_fill method; [base, ap.init) is committed,
 * [ap.init, ap.alloc) reserved, [ap.alloc, limit) free.  The client's
 * reserve and commit touch only the mps_ap_s fields, without the lock;
 * everything here runs with the arena lock held. */
#ifndef LAGOON_POOL_BUFFER_H
#define LAGOON_POOL_BUFFER_H

#include "pool/pool.h"

#define buffer_sig_value SIG_BUFFER

/* design.buffer.mode */
enum {
  BUFFER_MODE_TRAPPED = 1u << 0,   /* ap.limit is 0; the real one is limit */
  BUFFER_MODE_FLIPPED = 1u << 1    /* a flip happened since the last fill */
};

struct Buffer {
  mps_ap_s ap;              /* design.buffer.ap.first: must stay first */
  Sig sig;                  /* SIG_BUFFER, set last by buffer_create */
  Pool *pool;
  Seg *seg;                 /* segment holding the region, if the pool
                               attaches buffers to segments */
  Addr base;                /* start of the buffered region; 0 when reset */
  Addr limit;               /* real end of the region (ap.limit may be 0) */
  Ring pool_ring;           /* in pool->buffer_ring */
  unsigned mode;            /* BUFFER_MODE_* */
  Addr flip_init;           /* ap.init at the last flip: design.buffer.trip.rollback */
  Rank rank;                /* rank of references in blocks (formatted) */
  Count fill_count;         /* design.buffer.stats */
  Count empty_count;
  Size fill_size;           /* bytes of regions handed to the buffer */
  Size empty_size;          /* bytes of regions handed back unused */
  Word pool_data[2];        /* private to the pool class */
  Count pattern_depth;      /* allocation patterns begun, not ended:
                               trace/pattern.h, design.ld.pattern.ap */
  Word pattern_kinds;       /* bit d: pattern at depth d is collect-all */
};

bool buffer_check(const Buffer *buf);

static inline Buffer *buffer_of_ap(mps_ap_t ap) { return (Buffer *)(void *)ap; }
static inline mps_ap_t buffer_ap(Buffer *buf) { return &buf->ap; }
static inline Addr buffer_init_addr(const Buffer *buf) { return ptr_addr(buf->ap.init); }
static inline Addr buffer_alloc_addr(const Buffer *buf) { return ptr_addr(buf->ap.alloc); }
static inline bool buffer_is_reset(const Buffer *buf) { return buf->base == 0; }
static inline bool buffer_is_trapped(const Buffer *buf)
{
  return (buf->mode & BUFFER_MODE_TRAPPED) != 0;
}
/* Ready: no block is reserved (init == alloc). */
static inline bool buffer_is_ready(const Buffer *buf) { return buf->ap.init == buf->ap.alloc; }

/* Create an allocation point on pool.  RES_UNIMPL if the class has no
 * allocation points; RES_PARAM for bad keyword arguments; RES_MEMORY.
 * Arena lock held. */
Res buffer_create(Buffer **buf_o, Pool *pool, const mps_arg_s args[]) WARN_UNUSED;
/* Destroy: the unused part [init, limit), including any block reserved
 * but not committed, goes back to the pool.  Arena lock held. */
void buffer_destroy(Buffer *buf);

/* The reserve slow path (mps_ap_fill): size is non-zero and aligned.
 * Hands the rest of the region back, asks the pool for a new one of at
 * least size, and reserves size bytes.  On failure the buffer is reset
 * and *p_o untouched.  Arena lock held.  design.buffer.fill */
Res buffer_fill(Addr *p_o, Buffer *buf, Size size) WARN_UNUSED;
/* The commit slow path (mps_ap_trip): untrap; false if a flip happened
 * since the block [p, p+size) was reserved.  Arena lock held.
 * design.buffer.trip */
bool buffer_trip(Buffer *buf, Addr p, Size size);
/* Give the unused part of the region back to the pool and reset the
 * buffer (init must equal alloc).  Arena lock held. */
void buffer_empty(Buffer *buf);
/* Forget the region without telling the pool (for a pool method that has
 * already dealt with it, e.g. a frame pop freeing the segment). */
void buffer_reset(Buffer *buf);
/* Attach a region to a reset buffer, with [base, init) already in use. */
void buffer_attach(Buffer *buf, Addr base, Addr init, Addr limit);

/* For the tracing issue: trap the buffer so the next commit fails (a flip
 * happened) and the next reserve goes to buffer_fill.  design.buffer.flip */
void buffer_flip(Buffer *buf);
/* Trap the buffer without failing commits (so the next reserve and
 * commit take the slow paths); undone by the next fill or trip. */
void buffer_trap(Buffer *buf);

/* Allocation frames: design.buffer.frame.  RES_UNIMPL if the pool has no
 * frames.  No block may be reserved.  Arena lock held. */
Res buffer_frame_push(Frame **frame_o, Buffer *buf) WARN_UNUSED;
Res buffer_frame_pop(Buffer *buf, Frame *frame) WARN_UNUSED;

#endif /* LAGOON_POOL_BUFFER_H */
