/* pool/format.h -- object formats (the minimal form SNC needs; the
 * tracing issue extends it).
 * Design: manual/design/pool.rst (design.pool.format)
 *
 * A format is the client's description of its objects: alignment, header
 * size and the scan, skip, forward, is-forwarded, pad and class methods.
 * Absent methods are NULL. */
#ifndef LAGOON_POOL_FORMAT_H
#define LAGOON_POOL_FORMAT_H

#include "base/check.h"
#include "arena/arena.h"

typedef struct mps_fmt_s Format;
#define format_sig_value SIG_FORMAT

struct mps_fmt_s {
  Sig sig;                  /* SIG_FORMAT */
  Arena *arena;
  Align align;              /* of objects (MPS_KEY_FMT_ALIGN) */
  Size header_size;         /* in-band header (MPS_KEY_FMT_HEADER_SIZE) */
  mps_fmt_scan_t scan;
  mps_fmt_skip_t skip;
  mps_fmt_fwd_t fwd;
  mps_fmt_isfwd_t isfwd;
  mps_fmt_pad_t pad;
  mps_fmt_class_t klass;
  Count pool_count;         /* pools using it: design.pool.format.destroy */
};

bool format_check(const Format *format);

/* Create a format from keyword arguments (design.pool.format.args).
 * RES_PARAM for unknown keys or a bad alignment; RES_MEMORY.  Arena lock
 * held. */
Res format_create(Format **format_o, Arena *arena, const mps_arg_s args[]) WARN_UNUSED;
/* Destroy: no pool may still use it (asserted).  Arena lock held. */
void format_destroy(Format *format);

/* Fill [base, base+size) with padding objects (size a non-zero multiple
 * of the alignment). */
static inline void format_pad(const Format *format, Addr base, Size size)
{
  ASSERT_CRIT(format->pad != NULL);
  format->pad(addr_ptr(base), size);
}

#endif /* LAGOON_POOL_FORMAT_H */
