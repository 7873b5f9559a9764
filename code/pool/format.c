/* pool/format.c -- object formats: keyword and deprecated constructors,
 * the format of an address, and the public rank constructors for the
 * references in formatted objects.
 * Design: manual/design/format.rst (and design.pool.format) */
#include "pool/format.h"
#include "pool/pool.h"
#include "base/args.h"

bool format_check(const Format *format)
{
  CHECK_SIG(format, SIG_FORMAT);
  CHECK_PARENT(arena, format->arena);
  CHECK(align_check(format->align));
  CHECK(format->align <= arena_grain_size(format->arena));
  CHECK(format->header_size < arena_grain_size(format->arena));
  return true;
}

Res format_create(Format **format_o, Arena *arena, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {
    MPS_KEY_FMT_ALIGN, MPS_KEY_FMT_HEADER_SIZE, MPS_KEY_FMT_SCAN,
    MPS_KEY_FMT_SKIP, MPS_KEY_FMT_FWD, MPS_KEY_FMT_ISFWD, MPS_KEY_FMT_PAD,
    MPS_KEY_FMT_CLASS
  };
  Format *format;
  mps_arg_s arg;
  void *p;
  Align align;
  Size header_size;
  Res res;

  ASSERT(format_o != NULL);
  ASSERT_VALID(arena, arena);
  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  /* design.format.align */
  align = args_align(args, MPS_KEY_FMT_ALIGN, POOL_ALIGN_NATURAL);
  if (!align_check(align) || align > arena_grain_size(arena))
    return RES_PARAM;
  /* design.format.header */
  header_size = args_size(args, MPS_KEY_FMT_HEADER_SIZE, 0);
  if (header_size >= arena_grain_size(arena))
    return RES_PARAM;
  res = arena_control_alloc(&p, arena, sizeof(Format));
  if (res != RES_OK)
    return res;
  format = p;
  format->arena = arena;
  format->align = align;
  format->header_size = header_size;
  format->scan = args_find(&arg, args, MPS_KEY_FMT_SCAN) ? arg.val.fmt_scan : NULL;
  format->skip = args_find(&arg, args, MPS_KEY_FMT_SKIP) ? arg.val.fmt_skip : NULL;
  format->fwd = args_find(&arg, args, MPS_KEY_FMT_FWD) ? arg.val.fmt_fwd : NULL;
  format->isfwd = args_find(&arg, args, MPS_KEY_FMT_ISFWD) ? arg.val.fmt_isfwd : NULL;
  format->pad = args_find(&arg, args, MPS_KEY_FMT_PAD) ? arg.val.fmt_pad : NULL;
  format->klass = args_find(&arg, args, MPS_KEY_FMT_CLASS) ? arg.val.fmt_class : NULL;
  format->pool_count = 0;
  format->sig = SIG_FORMAT;
  *format_o = format;
  return RES_OK;
}

Res format_create_fields(Format **format_o, Arena *arena, const FormatFields *fields)
{
  /* design.format.variants: the keyword form of the old descriptions */
  mps_arg_s args[9];
  Count n = 0;

  ASSERT(fields != NULL);
  args[n].key = MPS_KEY_FMT_ALIGN;
  args[n++].val.align = fields->align;
  args[n].key = MPS_KEY_FMT_HEADER_SIZE;
  args[n++].val.size = fields->header_size;
  if (fields->scan != NULL) {
    args[n].key = MPS_KEY_FMT_SCAN;
    args[n++].val.fmt_scan = fields->scan;
  }
  if (fields->skip != NULL) {
    args[n].key = MPS_KEY_FMT_SKIP;
    args[n++].val.fmt_skip = fields->skip;
  }
  if (fields->fwd != NULL) {
    args[n].key = MPS_KEY_FMT_FWD;
    args[n++].val.fmt_fwd = fields->fwd;
  }
  if (fields->isfwd != NULL) {
    args[n].key = MPS_KEY_FMT_ISFWD;
    args[n++].val.fmt_isfwd = fields->isfwd;
  }
  if (fields->pad != NULL) {
    args[n].key = MPS_KEY_FMT_PAD;
    args[n++].val.fmt_pad = fields->pad;
  }
  if (fields->klass != NULL) {
    args[n].key = MPS_KEY_FMT_CLASS;
    args[n++].val.fmt_class = fields->klass;
  }
  args[n].key = MPS_KEY_ARGS_END;
  ASSERT(n < ARRAY_LEN(args));
  return format_create(format_o, arena, args);
}

bool format_of_addr(Format **format_o, const Arena *arena, Addr addr)
{
  Seg *seg;
  Format *format;

  ASSERT(format_o != NULL);
  ASSERT_VALID(arena, arena);
  if (!arena_seg_of_addr(&seg, arena, addr))
    return false;
  format = seg->pool->format;
  if (format == NULL)
    return false;
  ASSERT_VALID(format, format);
  *format_o = format;
  return true;
}

void format_destroy(Format *format)
{
  ASSERT_VALID(format, format);
  ASSERT(format->pool_count == 0);   /* design.pool.format.destroy */
  format->sig = SIG_INVALID;
  arena_control_free(format->arena, format, sizeof(Format));
}

/* The ranks a client names in MPS_KEY_RANK (and, later, for roots):
 * mps_rank_t values are the internal Rank codes. */

mps_rank_t mps_rank_ambig(void)
{
  return (mps_rank_t)RANK_AMBIG;
}

mps_rank_t mps_rank_exact(void)
{
  return (mps_rank_t)RANK_EXACT;
}

mps_rank_t mps_rank_weak(void)
{
  return (mps_rank_t)RANK_WEAK;
}
