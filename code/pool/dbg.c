/* pool/dbg.c -- the debugging mixin: fenceposts and free-space splatting.
 * Design: manual/design/pool.rst (design.pool.debug) */
#include "pool/dbg.h"
#include "pool/buffer.h"
#include "base/args.h"

#include <string.h>

/* design.pool.debug.default: the options used when the client gives none */
static const mps_pool_debug_option_s debug_options_default = {
  "POST", 4, "DEAD", 4
};

bool pool_debug_mixin_check(const PoolDebugMixin *dbg)
{
  CHECK_SIG(dbg, SIG_POOL_DEBUG);
  CHECK_PARENT(pool, dbg->pool);
  CHECK(size_is_aligned(dbg->fence_size, dbg->pool->align));
  CHECK((dbg->fence_template_size == 0) == (dbg->fence_size == 0));
  CHECK(dbg->fence_template_size == 0 || dbg->fence_template != NULL);
  CHECK(dbg->free_template_size == 0 || dbg->free_template != NULL);
  CHECK(cbs_check(&dbg->live));
  CHECK(dbg->free_walk != NULL);
  return true;
}

/* design.pool.debug.phase: byte at address a holds tmpl[a mod size], so
 * any part of a splatted range can be checked on its own, whatever
 * ranges it was split from or merged into. */
static void pattern_write(Addr base, Addr limit, const unsigned char *tmpl, Size size)
{
  unsigned char *p = addr_ptr(base);
  Index phase = base % size;
  for (Addr a = base; a < limit; ++a, ++p) {
    *p = tmpl[phase];
    if (++phase == size)
      phase = 0;
  }
}

static bool pattern_ok(Addr base, Addr limit, const unsigned char *tmpl, Size size)
{
  const unsigned char *p = addr_ptr(base);
  Index phase = base % size;
  for (Addr a = base; a < limit; ++a, ++p) {
    if (*p != tmpl[phase])
      return false;
    if (++phase == size)
      phase = 0;
  }
  return true;
}

static Res template_copy(const unsigned char **copy_o, Arena *arena,
                         const void *tmpl, Size size)
{
  void *p;
  Res res;

  if (size == 0) {
    *copy_o = NULL;
    return RES_OK;
  }
  res = arena_control_alloc(&p, arena, size);
  if (res != RES_OK)
    return res;
  memcpy(p, tmpl, size);
  *copy_o = p;
  return RES_OK;
}

static void template_free(Arena *arena, const unsigned char *copy, Size size)
{
  if (size != 0)
    arena_control_free(arena, (void *)(Addr)copy, size);
}

Res debug_mixin_init(PoolDebugMixin *dbg, Pool *pool, const mps_arg_s args[],
                     PoolFreeWalkFn free_walk)
{
  const mps_pool_debug_option_s *opts = &debug_options_default;
  mps_arg_s arg;
  mps_arg_s node_args[3];
  Arena *arena = pool->arena;
  Res res;

  if (args_find(&arg, args, MPS_KEY_POOL_DEBUG_OPTIONS)) {
    opts = arg.val.pool_debug_options;
    if (opts == NULL)
      return RES_PARAM;
  }
  /* design.pool.debug.options: a template is needed for a non-zero size */
  if ((opts->fence_size != 0 && opts->fence_template == NULL)
      || (opts->free_size != 0 && opts->free_template == NULL))
    return RES_PARAM;
  if (opts->fence_size > arena_grain_size(arena) || opts->free_size > arena_grain_size(arena))
    return RES_PARAM;

  dbg->pool = pool;
  dbg->free_walk = free_walk;
  dbg->untracked = false;
  dbg->fence_template_size = opts->fence_size;
  dbg->fence_size = size_align_up(opts->fence_size, pool->align);
  dbg->free_template_size = opts->free_size;
  res = template_copy(&dbg->fence_template, arena, opts->fence_template, opts->fence_size);
  if (res != RES_OK)
    goto fail_fence;
  res = template_copy(&dbg->free_template, arena, opts->free_template, opts->free_size);
  if (res != RES_OK)
    goto fail_free;

  node_args[0].key = MPS_KEY_MFS_UNIT_SIZE;
  node_args[0].val.size = CBS_NODE_SIZE;
  node_args[1].key = MPS_KEY_EXTEND_BY;
  node_args[1].val.size = arena_grain_size(arena);
  node_args[2].key = MPS_KEY_ARGS_END;
  res = pool_init(&dbg->node_pool.pool, arena, &mfs_class, node_args);
  if (res != RES_OK)
    goto fail_nodes;
  cbs_init(&dbg->live, pool->align, mfs_node_alloc, mfs_node_free, &dbg->node_pool);
  dbg->sig = SIG_POOL_DEBUG;
  return RES_OK;

fail_nodes:
  template_free(arena, dbg->free_template, dbg->free_template_size);
fail_free:
  template_free(arena, dbg->fence_template, dbg->fence_template_size);
fail_fence:
  return res;
}

void debug_mixin_finish(PoolDebugMixin *dbg)
{
  Arena *arena = dbg->pool->arena;

  /* The pool's own signature is already cleared: design.check.sig */
  ASSERT(dbg->sig == SIG_POOL_DEBUG);
  dbg->sig = SIG_INVALID;
  cbs_finish(&dbg->live);
  pool_finish(&dbg->node_pool.pool);
  template_free(arena, dbg->free_template, dbg->free_template_size);
  template_free(arena, dbg->fence_template, dbg->fence_template_size);
}

static PoolDebugMixin *debug_of(Pool *pool)
{
  PoolDebugMixin *dbg = pool->klass->debug_mixin(pool);
  ASSERT_VALID(pool_debug_mixin, dbg);
  return dbg;
}

void debug_splat(PoolDebugMixin *dbg, Addr base, Addr limit)
{
  if (dbg->free_template_size != 0 && base < limit)
    pattern_write(base, limit, dbg->free_template, dbg->free_template_size);
}

/* design.pool.debug.report: overwrites are reported as assertion
 * failures in every variety, since the client asked for the checks. */
static void debug_check_free(PoolDebugMixin *dbg, Addr base, Addr limit)
{
  if (dbg->free_template_size != 0
      && !pattern_ok(base, limit, dbg->free_template, dbg->free_template_size))
    check_fail(__FILE__, __LINE__, "free space intact (written after free)");
}

static bool fences_ok(const PoolDebugMixin *dbg, Addr obj, Size size)
{
  Size f = dbg->fence_size;
  if (f == 0)
    return true;
  return pattern_ok(obj - f, obj, dbg->fence_template, dbg->fence_template_size)
         && pattern_ok(obj + size, obj + size + f, dbg->fence_template,
                       dbg->fence_template_size);
}

Res debug_alloc(Addr *p_o, Pool *pool, Size size)
{
  PoolDebugMixin *dbg = debug_of(pool);
  Size f = dbg->fence_size, total;
  Addr base, obj;
  Range range, coalesced;
  Res res;

  if (!size_add_ok(&total, size, 2 * f))
    return RES_MEMORY;
  res = pool->klass->super->alloc(&base, pool, total);
  if (res != RES_OK)
    return res;
  debug_check_free(dbg, base, base + total);
  obj = base + f;
  if (f != 0) {
    pattern_write(base, obj, dbg->fence_template, dbg->fence_template_size);
    pattern_write(obj + size, obj + size + f, dbg->fence_template,
                  dbg->fence_template_size);
  }
  range_init(&range, obj, obj + size);
  res = cbs_insert(&coalesced, &dbg->live, &range);
  if (res != RES_OK) {
    debug_splat(dbg, base, base + total);
    pool->klass->super->free(pool, base, total);
    return res;
  }
  *p_o = obj;
  return RES_OK;
}

void debug_free(Pool *pool, Addr old, Size size)
{
  PoolDebugMixin *dbg = debug_of(pool);
  Size f = dbg->fence_size;
  Range range, found, deleted;

  range_init(&range, old, old + size);
  if (cbs_lookup(&found, &dbg->live, old) && range_contains_range(&found, &range)) {
    /* With fences, blocks never touch, so a live range is one block. */
    if (f != 0 && !range_equal(&found, &range))
      check_fail(__FILE__, __LINE__, "freed block matches an allocated block");
    if (!fences_ok(dbg, old, size))
      check_fail(__FILE__, __LINE__, "fenceposts intact (block overwritten)");
    /* Only an interior delete (blocks touching: no fences) needs a node;
     * without one we lose track, as for allocation point blocks. */
    if (cbs_delete(&deleted, &dbg->live, &range) != RES_OK)
      dbg->untracked = true;
    debug_splat(dbg, old - f, old + size + f);
    pool->klass->super->free(pool, old - f, size + 2 * f);
    return;
  }
  /* design.pool.debug.ap: blocks from allocation points are not indexed;
   * without any, the block was never allocated or is already free. */
  if (!dbg->untracked)
    check_fail(__FILE__, __LINE__, "freed block is allocated (double or bogus free)");
  debug_splat(dbg, old, old + size);
  pool->klass->super->free(pool, old, size);
}

Res debug_buffer_init(Pool *pool, Buffer *buf, const mps_arg_s args[])
{
  PoolDebugMixin *dbg = debug_of(pool);
  Res res = pool->klass->super->buffer_init(pool, buf, args);
  if (res == RES_OK)
    dbg->untracked = true;
  return res;
}

Res debug_buffer_fill(Addr *base_o, Addr *limit_o, Pool *pool, Buffer *buf, Size size)
{
  PoolDebugMixin *dbg = debug_of(pool);
  Addr base, limit;
  Res res = pool->klass->super->buffer_fill(&base, &limit, pool, buf, size);
  if (res != RES_OK)
    return res;
  debug_check_free(dbg, base, limit);
  *base_o = base;
  *limit_o = limit;
  return RES_OK;
}

void debug_buffer_empty(Pool *pool, Buffer *buf, Addr init, Addr limit)
{
  debug_splat(debug_of(pool), init, limit);
  pool->klass->super->buffer_empty(pool, buf, init, limit);
}

static bool fence_visit(const Range *range, void *closure)
{
  PoolDebugMixin *dbg = closure;
  if (!fences_ok(dbg, range->base, range_size(range)))
    check_fail(__FILE__, __LINE__, "fenceposts intact (block overwritten)");
  return true;
}

void pool_check_fenceposts(Pool *pool)
{
  PoolDebugMixin *dbg;

  ASSERT_VALID(pool, pool);
  dbg = pool->klass->debug_mixin(pool);
  if (dbg == NULL || dbg->fence_size == 0)
    return;
  (void)cbs_iterate(&dbg->live, fence_visit, dbg);
}

static bool free_visit(const Range *range, void *closure)
{
  debug_check_free(closure, range->base, range->limit);
  return true;
}

void pool_check_free_space(Pool *pool)
{
  PoolDebugMixin *dbg;

  ASSERT_VALID(pool, pool);
  dbg = pool->klass->debug_mixin(pool);
  if (dbg == NULL || dbg->free_template_size == 0)
    return;
  (void)dbg->free_walk(pool, free_visit, dbg);
}
