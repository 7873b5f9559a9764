/* pool/format.h -- object formats: the client's description of its
 * objects, the keyword and deprecated constructors, and the helpers pools
 * use to call the client's methods.
 * Design: manual/design/format.rst (and design.pool.format)
 *
 * A format is the client's description of its objects: alignment, header
 * size and the scan, skip, forward, is-forwarded, pad and class methods.
 * Absent methods are NULL.  Client pointers are base pointers plus the
 * header size (design.format.header); every method but pad takes and
 * returns client pointers. */
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

/* Create a format from keyword arguments (design.pool.format.args,
 * design.format.keys).  RES_PARAM for unknown keys, a NULL method, a bad
 * alignment or header size (design.format.align, design.format.header);
 * RES_MEMORY.  Arena lock held. */
Res format_create(Format **format_o, Arena *arena, const mps_arg_s args[]) WARN_UNUSED;

/* The fields of the deprecated descriptions (mps_fmt_A_s, _B_s,
 * _auto_header_s, _fixed_s) as one record; NULL methods are absent.
 * design.format.variants */
typedef struct FormatFields {
  Align align;
  Size header_size;
  mps_fmt_scan_t scan;
  mps_fmt_skip_t skip;
  mps_fmt_fwd_t fwd;
  mps_fmt_isfwd_t isfwd;
  mps_fmt_pad_t pad;
  mps_fmt_class_t klass;
} FormatFields;

/* Create a format from such a record, with the results of
 * format_create.  Arena lock held. */
Res format_create_fields(Format **format_o, Arena *arena,
                         const FormatFields *fields) WARN_UNUSED;
/* Destroy: no pool may still use it (asserted).  Arena lock held. */
void format_destroy(Format *format);

/* The format of the pool whose segment holds addr: false if addr is in
 * no segment of arena or its pool has no format.  Arena lock held.
 * design.format.addr-fmt */
bool format_of_addr(Format **format_o, const Arena *arena, Addr addr);

/* design.format.header: base pointer <-> client pointer. */
static inline Addr format_client_of_base(const Format *format, Addr base)
{
  return base + format->header_size;
}
static inline Addr format_base_of_client(const Format *format, Addr client)
{
  return client - format->header_size;
}

/* The client pointer of the object after the one at client. */
static inline Addr format_skip(const Format *format, Addr client)
{
  Addr next;
  ASSERT_CRIT(format->skip != NULL);
  next = ptr_addr(format->skip(addr_ptr(client)));
  ASSERT_CRIT(next > client);   /* a skip method never fails to advance */
  return next;
}

/* Where the object at client was moved to, or 0 if it is no forwarding
 * object (or the format cannot forward). */
static inline Addr format_isfwd(const Format *format, Addr client)
{
  if (format->isfwd == NULL)
    return 0;
  return ptr_addr(format->isfwd(addr_ptr(client)));
}

/* Turn the object at old into a forwarding object to new_. */
static inline void format_fwd(const Format *format, Addr old, Addr new_)
{
  ASSERT_CRIT(format->fwd != NULL);
  format->fwd(addr_ptr(old), addr_ptr(new_));
}

/* The class method's answer for the object at client, 0 if none. */
static inline Addr format_class(const Format *format, Addr client)
{
  if (format->klass == NULL)
    return 0;
  return ptr_addr(format->klass(addr_ptr(client)));
}

/* Fill [base, base+size) with padding objects (size a non-zero multiple
 * of the alignment). */
static inline void format_pad(const Format *format, Addr base, Size size)
{
  ASSERT_CRIT(format->pad != NULL);
  format->pad(addr_ptr(base), size);
}

#endif /* LAGOON_POOL_FORMAT_H */
