/* arena/vmarena.c -- the virtual memory arena class: chunks are
 * reservations from the OS, committed page by page, and the arena grows
 * by reserving more.
 * Design: manual/design/arena.rst (design.arena.vm) */
#include "arena/arena_impl.h"
#include "base/args.h"

static const mps_key_t vm_arena_keys[] = {
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
  MPS_KEY_VMW3_TOP_DOWN,      /* accepted; only Windows would use it */
};

/* mps_arena_create(&arena, mps_arena_class_vm(), size_t size) */
static void vm_arena_varargs(mps_arg_s args[], va_list va)
{
  args[0].key = MPS_KEY_ARENA_SIZE;
  args[0].val.size = va_arg(va, size_t);
  args[1].key = MPS_KEY_ARGS_END;
}

static Res vm_arena_create(Arena **arena_o, const ArenaClass *klass, const mps_arg_s args[])
{
  ArenaParams params = {
    .size = CONFIG_ARENA_SIZE_DEFAULT,
    .grain_size = vm_page_size(),
    .commit_limit = SIZE_MAX,
    .spare = CONFIG_SPARE_DEFAULT,
    .pause_time = CONFIG_PAUSE_TIME_DEFAULT,
    .zoned = true,
    .incremental = true,
  };
  Size size, minimum, overhead;
  Shift shift;
  VM vm;
  Arena *arena;
  Chunk *chunk;
  Res res;

  res = arena_params_read(&params, args);
  if (res != RES_OK)
    return res;
  /* design.arena.vm.grain: at least a page, so that commit works */
  if (params.grain_size < vm_page_size())
    params.grain_size = vm_page_size();
  shift = size_log2(params.grain_size);

  /* design.arena.vm.size: a small size is rounded up to the minimum. */
  if (__builtin_mul_overflow(params.grain_size, (Size)WORD_WIDTH, &minimum))
    return RES_RESOURCE;
  size = params.size < minimum ? minimum : params.size;
  if (size_align_up(size, params.grain_size) < size)
    return RES_RESOURCE;
  size = size_align_up(size, params.grain_size);

  res = vm_reserve(&vm, size, params.grain_size);
  if (res != RES_OK)
    goto fail_reserve;
  size = vm_reserved(&vm);
  overhead = chunk_overhead_size(size, shift, sizeof(Arena));
  if (overhead == 0) {
    res = RES_MEMORY;
    goto fail_overhead;
  }
  if (overhead > params.commit_limit) {
    res = RES_COMMIT_LIMIT;
    goto fail_overhead;
  }
  res = vm_commit(&vm, vm_base(&vm), overhead);
  if (res != RES_OK)
    goto fail_overhead;

  arena = addr_ptr(chunk_extra_addr(vm_base(&vm)));
  arena_init(arena, klass, &params, arena_zone_shift_for(size, shift));
  chunk = chunk_init(arena, vm_base(&vm), vm_limit(&vm), overhead, sizeof(Arena), &vm);
  arena_chunk_add(arena, chunk);
  arena->primary = chunk;
  ASSERT_VALID(arena, arena);
  *arena_o = arena;
  return RES_OK;

fail_overhead:
  vm_release(&vm);
fail_reserve:
  return res;
}

static void vm_arena_destroy(Arena *arena)
{
  Chunk *chunk = arena->primary;
  VM vm;

  ASSERT(arena->chunk_count == 1);   /* arena_destroy released the rest */
  /* The VM lives in the chunk, which the release unmaps. */
  vm = chunk->vm;
  arena_chunk_remove(arena, chunk);
  chunk_finish(chunk);
  arena_finish(arena);
  vm_release(&vm);
}

/* The smallest chunk size whose pages, after its overhead, hold a run of
 * `size` bytes; 0 on overflow. */
static Size vm_chunk_size_for(Size size, Shift shift)
{
  Size grain = (Size)1 << shift;
  Size chunk = size;

  for (;;) {
    Size overhead = chunk_overhead_size(chunk, shift, 0);
    Size more;
    if (overhead != 0 && chunk - overhead >= size)
      return chunk;
    more = overhead != 0 ? overhead : grain;
    if (!size_add_ok(&chunk, chunk, more))
      return 0;
  }
}

/* design.arena.grow: add a chunk holding at least `size` bytes of pages,
 * by default as large as all the arena has reserved so far (so the
 * reservation grows geometrically and chunks stay few), or the size set
 * by mps_arena_vm_growth; halve towards the least that will do while
 * the OS refuses. */
static Res vm_arena_grow(Chunk **chunk_o, Arena *arena, Size size)
{
  Shift shift = arena->grain_shift;
  Size grain = arena->grain_size;
  Size least, desired, attempt;
  VM vm;
  Size overhead;
  Chunk *chunk;
  Res res;

  ASSERT(arena_is_locked(arena));
  least = vm_chunk_size_for(size, shift);
  if (least == 0)
    return RES_RESOURCE;
  if (least < arena->grow_minimum)
    least = size_align_up(arena->grow_minimum, grain);
  desired = arena->grow_desired != 0 ? arena->grow_desired : arena->reserved;
  desired = size_align_down(desired, grain);
  attempt = desired > least ? desired : least;

  for (;;) {
    res = vm_reserve(&vm, attempt, grain);
    if (res == RES_OK) {
      overhead = chunk_overhead_size(vm_reserved(&vm), shift, 0);
      ASSERT(overhead != 0);
      /* The run will need `size` committed, the tables `overhead`. */
      res = arena_commit_room(arena, overhead + size, NULL, 0, 0, 0);
      if (res == RES_OK)
        break;
      vm_release(&vm);
      if (attempt == least)
        return res;
      attempt = least;    /* a smaller chunk has smaller tables */
      continue;
    }
    if (attempt == least)
      return res;
    attempt = size_align_down(attempt / 2, grain);
    if (attempt < least)
      attempt = least;
  }

  res = vm_commit(&vm, vm_base(&vm), overhead);
  if (res != RES_OK) {
    vm_release(&vm);
    return res;
  }
  chunk = chunk_init(arena, vm_base(&vm), vm_limit(&vm), overhead, 0, &vm);
  arena_chunk_add(arena, chunk);
  arena_chunk_extended(arena, chunk);
  *chunk_o = chunk;
  return RES_OK;
}

static Res vm_arena_extend(Arena *arena, Addr base, Size size)
{
  UNUSED(arena);
  UNUSED(base);
  UNUSED(size);
  return RES_UNIMPL;    /* a VM arena extends itself: design.arena.vm.extend */
}

static Res vm_arena_commit(Chunk *chunk, Addr base, Size size)
{
  ASSERT_CRIT(chunk->has_vm);
  return vm_commit(&chunk->vm, base, size);
}

static void vm_arena_decommit(Chunk *chunk, Addr base, Size size)
{
  ASSERT_CRIT(chunk->has_vm);
  vm_decommit(&chunk->vm, base, size);
}

static void vm_arena_chunk_release(Chunk *chunk)
{
  VM vm = chunk->vm;
  chunk_finish(chunk);
  vm_release(&vm);
}

static const ArenaClass vm_arena_class = {
  .sig = SIG_ARENA_CLASS,
  .name = "VM",
  .keys = vm_arena_keys,
  .key_count = ARRAY_LEN(vm_arena_keys),
  .varargs = vm_arena_varargs,
  .create = vm_arena_create,
  .destroy = vm_arena_destroy,
  .grow = vm_arena_grow,
  .extend = vm_arena_extend,
  .commit = vm_arena_commit,
  .decommit = vm_arena_decommit,
  .chunk_release = vm_arena_chunk_release,
  .keeps_spare = true,
};

const ArenaClass *arena_class_vm(void)
{
  return &vm_arena_class;
}

mps_arena_class_t mps_arena_class_vm(void)
{
  return (mps_arena_class_t)&vm_arena_class;
}
