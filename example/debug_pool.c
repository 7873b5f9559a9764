/* debug_pool.c -- the debugging MVFF pool: fenceposts around every
 * block, a pattern splatted over free space, and the functions that check
 * both.  Also shows how to install an assertion handler.
 *
 * The program uses its blocks correctly, so every check passes.  Had it
 * written past the end of a block, the next check (or the mps_free of that
 * block) would have reported the damage through the assertion handler.
 *
 * Build:  cc -Icode example/debug_pool.c build/cool/libmps.a \
 *            -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"
#include "mpslib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "debug_pool: %s failed (result code %d)\n", what,
          (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "debug_pool: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}

/* Our assertion handler: say which program failed, then stop.  It must
 * not call back into the library or touch memory the library manages. */
static void on_assert(const char *file, unsigned line, const char *cond)
{
  fprintf(stderr, "debug_pool: heap damage detected at %s:%u: %s\n",
          file, line, cond);
  abort();
}

enum { BLOCKS = 200 };

int main(void)
{
  /* The fencepost pattern is written before and after every block; the
   * free pattern over every byte of free space.  Choose patterns that
   * stand out in a debugger and are not plausible pointers or data. */
  static const char fence[] = "FENCEPOST";
  static const char freed[] = "\xDE\xAD\xBE\xEF";
  mps_pool_debug_option_s options = {
    .fence_template = fence,
    .fence_size = sizeof fence - 1,
    .free_template = freed,
    .free_size = sizeof freed - 1,
  };
  mps_lib_assert_fail_t previous;
  mps_arena_t arena;
  mps_pool_t pool;
  mps_res_t res;
  mps_addr_t block[BLOCKS];
  size_t size[BLOCKS];
  size_t i;

  previous = mps_lib_assert_fail_install(on_assert);
  expect(previous != NULL, "there was a default handler");

  res = mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_arena_create_k", res);

  /* The debugging class takes the same keyword arguments as MVFF, plus
   * the debugging options. */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_POOL_DEBUG_OPTIONS, &options);
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, (size_t)64);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff_debug(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("mps_pool_create_k", res);

  for (i = 0; i < BLOCKS; ++i) {
    size[i] = 8 + (i * 37) % 300;
    res = mps_alloc(&block[i], pool, size[i]);
    if (res != MPS_RES_OK)
      die("mps_alloc", res);
    /* Fill every byte we asked for, and not one byte more. */
    memset(block[i], (int)i, size[i]);
  }

  /* Both checks walk the whole pool.  They return nothing: on damage
   * they assert, which here means on_assert runs. */
  mps_pool_check_fenceposts(pool);
  mps_pool_check_free_space(pool);
  printf("debug_pool: %d blocks allocated, fenceposts and free space "
         "intact\n", BLOCKS);

  /* Free every other block.  Each free checks that block's fenceposts,
   * then splats the freed space with the free pattern. */
  for (i = 0; i < BLOCKS; i += 2)
    mps_free(pool, block[i], size[i]);
  mps_pool_check_fenceposts(pool);
  mps_pool_check_free_space(pool);
  printf("debug_pool: freed half of them, still intact\n");

  /* The survivors are untouched by the frees around them. */
  for (i = 1; i < BLOCKS; i += 2) {
    const unsigned char *b = block[i];
    expect(b[0] == (unsigned char)i && b[size[i] - 1] == (unsigned char)i,
           "live block contents survive");
  }

  /* The fenceposts take space, so the pool holds more than the client
   * asked for. */
  printf("debug_pool: pool total %zu bytes, free %zu bytes\n",
         mps_pool_total_size(pool), mps_pool_free_size(pool));

  for (i = 1; i < BLOCKS; i += 2)
    mps_free(pool, block[i], size[i]);
  mps_pool_check_free_space(pool);
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);

  /* Put the default handler back. */
  expect(mps_lib_assert_fail_install(previous) == on_assert,
         "installing returns the handler it replaces");
  printf("debug_pool: done\n");
  return EXIT_SUCCESS;
}
