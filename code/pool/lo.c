/* pool/lo.c -- LO (Leaf Object) pool class.
 * Design: manual/design/lo.rst */
#include "pool/lo.h"
#include "base/args.h"

bool lo_check(const LO *lo)
{
  CHECK(markseg_pool_check(&lo->mark));
  CHECK(lo->mark.pool.klass == &lo_class);
  CHECK(lo->mark.leaf);
  return true;
}

/* mps_pool_create(&pool, arena, mps_class_lo(), format) */
static void lo_varargs(mps_arg_s args[], va_list varargs)
{
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = va_arg(varargs, mps_fmt_t);
  args[1].key = MPS_KEY_ARGS_END;
}

static Res lo_init(Pool *pool, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {MPS_KEY_FORMAT, MPS_KEY_CHAIN, MPS_KEY_GEN};
  Res res;

  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  /* design.lo.format: skip is enough; objects are never scanned */
  return markseg_pool_init(pool, args, true);
}

/* design.lo.leaf: the segments have an empty rank set, so the trace
 * never greys or scans them and they need no barrier; an allocation
 * point takes no keyword arguments. */
const PoolClass lo_class = {
  .sig = SIG_POOL_CLASS,
  .name = "LO",
  .super = &pool_class_abstract,
  .size = sizeof(LO),
  .attr = POOL_ATTR_BUFFER | POOL_ATTR_FRAMES | POOL_ATTR_GC,
  .varargs = lo_varargs,
  .init = lo_init,
  .finish = markseg_pool_finish,
  .buffer_varargs = pool_no_buffer_varargs,
  .buffer_init = pool_triv_buffer_init,
  .buffer_fill = markseg_buffer_fill,
  .buffer_empty = markseg_buffer_empty,
  .debug_mixin = pool_no_debug_mixin,
  .grey = pool_no_grey,
  .scan = pool_no_scan,
  MARKSEG_CLASS_COMMON
};
