/* hello.c -- the smallest useful Lagoon program: a virtual memory arena,
 * one MVFF pool, a few blocks allocated and freed by hand.
 *
 * Build:  cc -Icode example/hello.c build/cool/libmps.a -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Report a failure and leave: an example should never fail quietly. */
static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "hello: %s failed (result code %d)\n", what, (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "hello: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}

int main(void)
{
  mps_arena_t arena;
  mps_pool_t pool;
  mps_res_t res;
  mps_addr_t block[10];
  size_t i;

  /* An arena that reserves 32 MiB of address space to begin with.  It
   * commits memory only as pools ask for it. */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)32 << 20);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("mps_arena_create_k", res);

  /* An MVFF pool with the default settings: first fit, natural
   * alignment, 64 KiB extensions. */
  res = mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_pool_create_k", res);

  /* Allocate ten blocks of growing size and write a string into each. */
  for (i = 0; i < 10; ++i) {
    size_t size = 100 * (i + 1);
    res = mps_alloc(&block[i], pool, size);
    if (res != MPS_RES_OK)
      die("mps_alloc", res);
    expect(mps_arena_has_addr(arena, block[i]), "block is in the arena");
    memset(block[i], 0, size);
    snprintf(block[i], size, "block %zu of %zu bytes", i, size);
  }
  printf("hello: allocated ten blocks; the first says \"%s\"\n",
         (char *)block[0]);

  /* The pool knows how much memory it holds and how much is free. */
  printf("hello: pool total %zu bytes, free %zu bytes\n",
         mps_pool_total_size(pool), mps_pool_free_size(pool));
  expect(mps_pool_total_size(pool) >= 5500, "pool holds the blocks");
  expect(mps_pool_free_size(pool) < mps_pool_total_size(pool),
         "some of the pool is in use");
  printf("hello: arena reserved %zu bytes, committed %zu bytes\n",
         mps_arena_reserved(arena), mps_arena_committed(arena));
  expect(mps_arena_committed(arena) <= mps_arena_reserved(arena),
         "committed memory lies within reserved address space");

  /* The blocks are intact: nothing overlapped. */
  for (i = 0; i < 10; ++i) {
    char want[64];
    snprintf(want, sizeof want, "block %zu of %zu bytes", i, 100 * (i + 1));
    expect(strcmp(block[i], want) == 0, "block contents survive");
  }

  /* Free every block, giving the size it was allocated with. */
  for (i = 0; i < 10; ++i)
    mps_free(pool, block[i], 100 * (i + 1));
  expect(mps_pool_free_size(pool) == mps_pool_total_size(pool),
         "after freeing everything, all of the pool is free");

  /* Tear down in reverse order of creation. */
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);
  printf("hello: done\n");
  return EXIT_SUCCESS;
}
