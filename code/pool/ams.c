/* pool/ams.c -- AMS (Automatic Mark and Sweep) pool class and its
 * debugging variant.
 * Design: manual/design/ams.rst */
#include "pool/ams.h"
#include "pool/buffer.h"
#include "base/args.h"

static inline AMS *ams_of_pool(Pool *pool) { return (AMS *)(void *)pool; }

bool ams_check(const AMS *ams)
{
  CHECK(markseg_pool_check(&ams->mark));
  CHECK(pool_class_is_subclass(ams->mark.pool.klass, &ams_class));
  CHECK(!ams->mark.leaf);
  return true;
}

/* mps_pool_create(&pool, arena, mps_class_ams(), format, chain) */
static void ams_varargs(mps_arg_s args[], va_list varargs)
{
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = va_arg(varargs, mps_fmt_t);
  args[1].key = MPS_KEY_CHAIN;
  args[1].val.chain = va_arg(varargs, mps_chain_t);
  args[2].key = MPS_KEY_ARGS_END;
}

/* The debugging class takes the options first. */
static void ams_debug_varargs(mps_arg_s args[], va_list varargs)
{
  args[0].key = MPS_KEY_POOL_DEBUG_OPTIONS;
  args[0].val.pool_debug_options = va_arg(varargs, mps_pool_debug_option_s *);
  ams_varargs(args + 1, varargs);
}

static Res ams_init_common(Pool *pool, const mps_arg_s args[], bool debug)
{
  static const mps_key_t keys[] = {
    MPS_KEY_FORMAT, MPS_KEY_CHAIN, MPS_KEY_GEN, MPS_KEY_AMS_SUPPORT_AMBIGUOUS,
    MPS_KEY_POOL_DEBUG_OPTIONS   /* last: only for the debug class */
  };
  AMS *ams = ams_of_pool(pool);
  Res res;

  res = args_check(args, keys, ARRAY_LEN(keys) - (debug ? 0 : 1));
  if (res != RES_OK)
    return res;
  res = markseg_pool_init(pool, args, false);
  if (res != RES_OK)
    return res;
  /* design.ams.ambig */
  ams->mark.support_ambig = args_bool(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, true);
  return RES_OK;
}

static Res ams_init(Pool *pool, const mps_arg_s args[])
{
  return ams_init_common(pool, args, false);
}

static Res ams_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {MPS_KEY_RANK};
  AMS *ams = ams_of_pool(pool);
  Rank rank;
  Res res;

  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  rank = args_rank(args, MPS_KEY_RANK, RANK_EXACT);
  /* design.ams.rank: exact, or ambiguous if the pool supports it; AMS
   * objects may not hold weak references. */
  if (rank != RANK_EXACT && !(rank == RANK_AMBIG && ams->mark.support_ambig))
    return RES_PARAM;
  buf->rank = rank;
  return RES_OK;
}

const PoolClass ams_class = {
  .sig = SIG_POOL_CLASS,
  .name = "AMS",
  .super = &pool_class_abstract,
  .size = sizeof(AMS),
  .attr = POOL_ATTR_BUFFER | POOL_ATTR_FRAMES | POOL_ATTR_GC,
  .varargs = ams_varargs,
  .init = ams_init,
  .finish = markseg_pool_finish,
  .buffer_varargs = pool_rank_buffer_varargs,
  .buffer_init = ams_buffer_init,
  .buffer_fill = markseg_buffer_fill,
  .buffer_empty = markseg_buffer_empty,
  .debug_mixin = pool_no_debug_mixin,
  .grey = markseg_grey,
  .scan = markseg_scan,
  MARKSEG_CLASS_COMMON
};

/* The debugging variant: design.ams.debug */

static PoolDebugMixin *ams_debug_mixin(Pool *pool)
{
  return &((AMSDebug *)(void *)pool)->debug;
}

static Res ams_debug_init(Pool *pool, const mps_arg_s args[])
{
  AMSDebug *d = (AMSDebug *)(void *)pool;
  Res res = ams_init_common(pool, args, true);
  if (res != RES_OK)
    return res;
  res = debug_mixin_init(&d->debug, pool, args, markseg_free_walk);
  if (res != RES_OK) {
    markseg_pool_finish(pool);
    return res;
  }
  d->ams.mark.debug = &d->debug;
  return RES_OK;
}

static void ams_debug_finish(Pool *pool)
{
  AMSDebug *d = (AMSDebug *)(void *)pool;
  debug_mixin_finish(&d->debug);
  d->ams.mark.debug = NULL;
  markseg_pool_finish(pool);
}

const PoolClass ams_debug_class = {
  .sig = SIG_POOL_CLASS,
  .name = "AMSDebug",
  .super = &ams_class,
  .size = sizeof(AMSDebug),
  .attr = POOL_ATTR_BUFFER | POOL_ATTR_FRAMES | POOL_ATTR_GC | POOL_ATTR_DEBUG,
  .varargs = ams_debug_varargs,
  .init = ams_debug_init,
  .finish = ams_debug_finish,
  .buffer_varargs = pool_rank_buffer_varargs,
  .buffer_init = debug_buffer_init,
  .buffer_fill = debug_buffer_fill,
  .buffer_empty = debug_buffer_empty,
  .debug_mixin = ams_debug_mixin,
  .grey = markseg_grey,
  .scan = markseg_scan,
  MARKSEG_CLASS_COMMON
};
