/* arena/clarena.c -- the client arena class: chunks are blocks of memory
 * the client gives; nothing is ever reserved, committed or returned.
 * Design: manual/design/arena.rst (design.arena.cl) */
#include "arena/arena_impl.h"
#include "base/args.h"

/* Default grain of a client arena, as the manual gives it. */
#define CL_GRAIN_DEFAULT ((Size)8192)
/* design.arena.cl.grain: pages are aligned to at least this, so control
 * blocks and chunk headers are aligned for any of the library's structs. */
#define CL_GRAIN_MIN ((Size)16)

static const mps_key_t cl_arena_keys[] = {
  MPS_KEY_ARENA_CL_BASE,
  MPS_KEY_ARENA_SIZE,
  MPS_KEY_ARENA_GRAIN_SIZE,
  MPS_KEY_COMMIT_LIMIT,
  MPS_KEY_SPARE,
  MPS_KEY_SPARE_COMMIT_LIMIT,
  MPS_KEY_PAUSE_TIME,
  MPS_KEY_ARENA_ZONED,
  MPS_KEY_ARENA_INCREMENTAL,
  MPS_KEY_ARENA_EXTENDED,
  MPS_KEY_ARENA_CONTRACTED,
};

/* mps_arena_create(&arena, mps_arena_class_cl(), size_t size, mps_addr_t base) */
static void cl_arena_varargs(mps_arg_s args[], va_list va)
{
  args[0].key = MPS_KEY_ARENA_SIZE;
  args[0].val.size = va_arg(va, size_t);
  args[1].key = MPS_KEY_ARENA_CL_BASE;
  args[1].val.addr = va_arg(va, mps_addr_t);
  args[2].key = MPS_KEY_ARGS_END;
}

/* The grain-aligned part of a client block; false if nothing is left
 * or the block wraps round the address space. */
static bool cl_block_range(Addr *base_o, Addr *limit_o, Addr base, Size size, Size grain)
{
  Addr limit, b, l;
  if (base == 0 || size == 0 || base + size < base)
    return false;
  limit = base + size;
  b = addr_align_up(base, grain);
  l = addr_align_down(limit, grain);
  if (b < base || b >= l)
    return false;
  *base_o = b;
  *limit_o = l;
  return true;
}

static Res cl_arena_create(Arena **arena_o, const ArenaClass *klass, const mps_arg_s args[])
{
  ArenaParams params = {
    .size = 0,
    .grain_size = CL_GRAIN_DEFAULT,
    .commit_limit = SIZE_MAX,
    .spare = CONFIG_SPARE_DEFAULT,
    .pause_time = CONFIG_PAUSE_TIME_DEFAULT,
    .zoned = true,
    .incremental = true,
  };
  mps_arg_s arg;
  Addr block, base, limit;
  Size overhead;
  Shift shift;
  Arena *arena;
  Chunk *chunk;
  Res res;

  /* design.arena.cl.args: both the block's base and size are required. */
  if (!args_find(&arg, args, MPS_KEY_ARENA_CL_BASE))
    return RES_PARAM;
  block = ptr_addr(arg.val.addr);
  if (!args_find(&arg, args, MPS_KEY_ARENA_SIZE))
    return RES_PARAM;
  res = arena_params_read(&params, args);
  if (res != RES_OK)
    return res;
  if (params.grain_size < sizeof(void *))
    return RES_PARAM;
  if (params.grain_size < CL_GRAIN_MIN)
    params.grain_size = CL_GRAIN_MIN;
  shift = size_log2(params.grain_size);
  if (block == 0 || block + params.size < block)
    return RES_PARAM;

  /* design.arena.cl.small: a block too small for the arena's own
   * structures is refused with RES_MEMORY, as the manual says. */
  if (!cl_block_range(&base, &limit, block, params.size, params.grain_size))
    return RES_MEMORY;
  overhead = chunk_overhead_size(limit - base, shift, sizeof(Arena));
  if (overhead == 0)
    return RES_MEMORY;
  if (overhead > params.commit_limit)
    return RES_COMMIT_LIMIT;

  arena = addr_ptr(chunk_extra_addr(base));
  arena_init(arena, klass, &params, arena_zone_shift_for(limit - base, shift));
  chunk = chunk_init(arena, base, limit, overhead, sizeof(Arena), NULL);
  arena_chunk_add(arena, chunk);
  arena->primary = chunk;
  ASSERT_VALID(arena, arena);
  *arena_o = arena;
  return RES_OK;
}

static void cl_arena_destroy(Arena *arena)
{
  Chunk *chunk = arena->primary;
  Ring *node, *next;

  /* Extension chunks are the client's memory: just forget them. */
  RING_FOR(node, &arena->chunk_ring, next) {
    Chunk *c = RING_ELT(Chunk, arena_ring, node);
    if (c != chunk) {
      arena_chunk_remove(arena, c);
      chunk_finish(c);
    }
  }
  arena_chunk_remove(arena, chunk);
  chunk_finish(chunk);
  arena_finish(arena);
}

/* A client arena cannot find more memory by itself: the client must
 * extend it (design.arena.cl.grow). */
static Res cl_arena_grow(Chunk **chunk_o, Arena *arena, Size size)
{
  UNUSED(chunk_o);
  UNUSED(arena);
  UNUSED(size);
  return RES_MEMORY;
}

static Res cl_arena_extend(Arena *arena, Addr block, Size size)
{
  Addr base, limit;
  Size overhead;
  Chunk *chunk;
  Ring *node;
  Res res;

  ASSERT(arena_is_locked(arena));
  if (block == 0 || size == 0 || block + size < block)
    return RES_PARAM;
  /* design.arena.cl.extend.disjoint: a block overlapping the arena is a
   * client error. */
  for (node = arena->chunk_ring.next; node != &arena->chunk_ring; node = node->next) {
    Chunk *c = RING_ELT(Chunk, arena_ring, node);
    if (block < c->limit && c->base < block + size)
      return RES_PARAM;
  }
  if (!cl_block_range(&base, &limit, block, size, arena->grain_size))
    return RES_MEMORY;
  overhead = chunk_overhead_size(limit - base, arena->grain_shift, 0);
  if (overhead == 0)
    return RES_MEMORY;
  res = arena_commit_room(arena, overhead, NULL, 0, 0, 0);
  if (res != RES_OK)
    return res;
  chunk = chunk_init(arena, base, limit, overhead, 0, NULL);
  arena_chunk_add(arena, chunk);
  arena_chunk_extended(arena, chunk);
  return RES_OK;
}

/* The client's memory is always there: commit is bookkeeping only. */
static Res cl_arena_commit(Chunk *chunk, Addr base, Size size)
{
  UNUSED(chunk);
  UNUSED(base);
  UNUSED(size);
  return RES_OK;
}

static void cl_arena_decommit(Chunk *chunk, Addr base, Size size)
{
  UNUSED(chunk);
  UNUSED(base);
  UNUSED(size);
}

static const ArenaClass cl_arena_class = {
  .sig = SIG_ARENA_CLASS,
  .name = "CL",
  .keys = cl_arena_keys,
  .key_count = ARRAY_LEN(cl_arena_keys),
  .varargs = cl_arena_varargs,
  .create = cl_arena_create,
  .destroy = cl_arena_destroy,
  .grow = cl_arena_grow,
  .extend = cl_arena_extend,
  .commit = cl_arena_commit,
  .decommit = cl_arena_decommit,
  .chunk_release = NULL,      /* client memory is never returned */
  .keeps_spare = false,       /* design.arena.cl.spare */
};

const ArenaClass *arena_class_cl(void)
{
  return &cl_arena_class;
}

mps_arena_class_t mps_arena_class_cl(void)
{
  return (mps_arena_class_t)&cl_arena_class;
}
