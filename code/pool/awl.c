/* pool/awl.c -- AWL (Automatic Weak Linked) pool class.
 * Design: manual/design/awl.rst */
#include "pool/awl.h"
#include "pool/buffer.h"
#include "base/args.h"

static inline AWL *awl_of_pool(Pool *pool) { return (AWL *)(void *)pool; }

static Res awl_scan_objects(ScanState *ss, Pool *pool, Addr base, Addr limit);

bool awl_check(const AWL *awl)
{
  CHECK(markseg_pool_check(&awl->mark));
  CHECK(awl->mark.pool.klass == &awl_class);
  CHECK(!awl->mark.leaf);
  /* design.awl.scan.objects: objects are scanned one by one exactly when
   * they may have dependents */
  CHECK(awl->mark.scan_objects == (awl->find_dependent != NULL ? awl_scan_objects : NULL));
  return true;
}

/* mps_pool_create(&pool, arena, mps_class_awl(), format, find_dependent)
 * design.awl.args.varargs: a null function means no dependents. */
static void awl_varargs(mps_arg_s args[], va_list varargs)
{
  mps_awl_find_dependent_t find;

  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = va_arg(varargs, mps_fmt_t);
  find = va_arg(varargs, mps_awl_find_dependent_t);
  if (find == NULL) {
    args[1].key = MPS_KEY_ARGS_END;
    return;
  }
  args[1].key = MPS_KEY_AWL_FIND_DEPENDENT;
  args[1].val.addr_method = find;
  args[2].key = MPS_KEY_ARGS_END;
}

static Res awl_init(Pool *pool, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {
    MPS_KEY_FORMAT, MPS_KEY_AWL_FIND_DEPENDENT, MPS_KEY_CHAIN, MPS_KEY_GEN
  };
  AWL *awl = awl_of_pool(pool);
  mps_arg_s arg;
  Res res;

  /* design.awl.args */
  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  res = markseg_pool_init(pool, args, false);
  if (res != RES_OK)
    return res;
  /* design.awl.dependent: the default is no dependent for any object */
  awl->find_dependent = args_find(&arg, args, MPS_KEY_AWL_FIND_DEPENDENT)
                        ? arg.val.addr_method : NULL;
  if (awl->find_dependent != NULL)
    awl->mark.scan_objects = awl_scan_objects;
  return RES_OK;
}

static Res awl_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[])
{
  static const mps_key_t keys[] = {MPS_KEY_RANK};
  Rank rank;
  Res res;

  ASSERT_CRIT(awl_check(awl_of_pool(pool)));
  UNUSED(pool);
  res = args_check(args, keys, ARRAY_LEN(keys));
  if (res != RES_OK)
    return res;
  /* design.awl.rank: exact (the default) or weak, nothing else */
  rank = args_rank(args, MPS_KEY_RANK, RANK_EXACT);
  if (rank != RANK_EXACT && rank != RANK_WEAK)
    return RES_PARAM;
  buf->rank = rank;
  return RES_OK;
}

/* ---- Dependent objects: design.awl.dependent ---- */

/* design.awl.dependent.expose: make the dependent object dep (a non-null
 * result of find_dependent) readable and writable while the object that
 * names it is scanned, and return what awl_dependent_cover needs to undo
 * it.  The shield (barriers, not yet built) will expose dep's segment
 * here; the stop-the-world engine protects nothing, so today this only
 * checks design.awl.dependent.pool. */
static Seg *awl_dependent_expose(const AWL *awl, Addr dep)
{
  Seg *seg = NULL;
  bool found = arena_seg_of_addr(&seg, awl->mark.pool.arena, dep);

  /* design.awl.dependent.pool: a dependent lives in a segment of a
   * non-moving pool of this arena (a client error otherwise) */
  ASSERT_CRIT(found && !pool_has_attr(seg_pool(seg), POOL_ATTR_MOVING));
  return found ? seg : NULL;
}

/* design.awl.dependent.expose: undo awl_dependent_expose once the object
 * is scanned; the shield will cover the segment again here. */
static void awl_dependent_cover(const AWL *awl, Seg *seg)
{
  UNUSED(awl);
  UNUSED(seg);
}

/* design.awl.scan.objects: the committed objects [base, limit) (client
 * pointers) one at a time, each with its dependent exposed around the
 * call of the format's scan method. */
static Res awl_scan_objects(ScanState *ss, Pool *pool, Addr base, Addr limit)
{
  const AWL *awl = awl_of_pool(pool);
  const Format *format = pool->format;
  Addr p = base;

  ASSERT_CRIT(awl->find_dependent != NULL);
  while (p < limit) {
    Addr next = ptr_addr(format->skip(addr_ptr(p)));
    Addr dep = ptr_addr(awl->find_dependent(addr_ptr(p)));
    Seg *dep_seg = NULL;
    Res res;

    ASSERT_CRIT(next > p && next <= limit);
    if (dep != 0)
      dep_seg = awl_dependent_expose(awl, dep);
    res = scan_format(ss, format, p, next);
    if (dep != 0)
      awl_dependent_cover(awl, dep_seg);
    if (res != RES_OK)
      return res;
    p = next;
  }
  return RES_OK;
}

/* ---- Description ---- */

static Res awl_describe(const Pool *pool, mps_lib_FILE *stream, Count depth)
{
  const AWL *awl = (const AWL *)(const void *)pool;
  Count weak = 0;
  const Ring *node;
  Res res;

  for (node = pool->seg_ring.next; node != &pool->seg_ring; node = node->next) {
    const Seg *seg = RING_ELT(Seg, pool_ring, node);
    if (seg->rank_set == RANKSET_SINGLE(RANK_WEAK))
      ++weak;
  }
  res = markseg_describe(pool, stream, depth);
  if (res == RES_OK)
    res = pool_write(stream, depth, "weak_segments", weak);
  if (res == RES_OK)
    res = pool_write(stream, depth, "find_dependent", awl->find_dependent != NULL);
  return res;
}

/* design.awl.markseg: everything but the keyword, rank and dependent
 * handling is the mark-sweep machinery's. */
const PoolClass awl_class = {
  .sig = SIG_POOL_CLASS,
  .name = "AWL",
  .super = &pool_class_abstract,
  .size = sizeof(AWL),
  .attr = POOL_ATTR_BUFFER | POOL_ATTR_FRAMES | POOL_ATTR_GC,
  .varargs = awl_varargs,
  .init = awl_init,
  .finish = markseg_pool_finish,
  .buffer_varargs = pool_rank_buffer_varargs,
  .buffer_init = awl_buffer_init,
  .buffer_fill = markseg_buffer_fill,
  .buffer_empty = markseg_buffer_empty,
  .debug_mixin = pool_no_debug_mixin,
  .grey = markseg_grey,
  .scan = markseg_scan,
  .describe = awl_describe,
  MARKSEG_CLASS_COMMON_BUT_DESCRIBE
};
