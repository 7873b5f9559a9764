/* commit_limit.c -- run an arena into its commit limit, then recover:
 * once by freeing memory, once by raising the limit.
 *
 * Build:  cc -Icode example/commit_limit.c build/cool/libmps.a \
 *            -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "commit_limit: %s failed (result code %d)\n", what,
          (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "commit_limit: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}

static void show(mps_arena_t arena, const char *when)
{
  printf("commit_limit: %-22s committed %8zu  spare %8zu  limit %8zu\n",
         when, mps_arena_committed(arena), mps_arena_spare_committed(arena),
         mps_arena_commit_limit(arena));
  expect(mps_arena_committed(arena) <= mps_arena_commit_limit(arena),
         "committed memory never exceeds the commit limit");
  expect(mps_arena_spare_committed(arena) <= mps_arena_committed(arena),
         "spare memory is part of committed memory");
}

#define BLOCK_SIZE ((size_t)64 << 10)   /* 64 KiB */
#define HEADROOM   ((size_t)1 << 20)    /* 1 MiB */
#define MAX_BLOCKS 1000                 /* far more than can fit */

int main(void)
{
  mps_arena_t arena;
  mps_pool_t pool;
  mps_res_t res;
  mps_addr_t block[MAX_BLOCKS];
  size_t n, i;

  res = mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_arena_create_k", res);
  expect(mps_arena_commit_limit(arena) == SIZE_MAX,
         "by default there is no commit limit");

  res = mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_pool_create_k", res);

  /* Allow the arena about one more megabyte than it uses now. */
  res = mps_arena_commit_limit_set(arena,
                                   mps_arena_committed(arena) + HEADROOM);
  if (res != MPS_RES_OK)
    die("mps_arena_commit_limit_set", res);
  show(arena, "limit set:");

  /* Allocate until the arena refuses.  The failure is an ordinary
   * result code, MPS_RES_COMMIT_LIMIT, and nothing is lost: the pool
   * and every block already allocated are still good. */
  for (n = 0; n < MAX_BLOCKS; ++n) {
    res = mps_alloc(&block[n], pool, BLOCK_SIZE);
    if (res != MPS_RES_OK)
      break;
    memset(block[n], (int)n, BLOCK_SIZE);
  }
  expect(n < MAX_BLOCKS, "the commit limit stopped the allocation");
  expect(res == MPS_RES_COMMIT_LIMIT, "the failure says why");
  printf("commit_limit: %zu blocks of %zu bytes fitted, then "
         "MPS_RES_COMMIT_LIMIT\n", n, BLOCK_SIZE);
  show(arena, "at the limit:");
  expect(n > 0, "at least one block fitted under the limit");

  /* Recovery 1: free some blocks.  Their memory goes back to the pool
   * (or to the arena's spare memory), so the same allocation now
   * succeeds without committing anything new. */
  for (i = 0; i < 2; ++i)
    mps_free(pool, block[--n], BLOCK_SIZE);
  for (i = 0; i < 2; ++i) {
    res = mps_alloc(&block[n], pool, BLOCK_SIZE);
    if (res != MPS_RES_OK)
      die("mps_alloc after freeing", res);
    memset(block[n], (int)n, BLOCK_SIZE);
    ++n;
  }
  show(arena, "after freeing two:");

  /* Lowering the limit below what is in use cannot work: the arena
   * refuses and keeps the old limit. */
  {
    size_t old = mps_arena_commit_limit(arena);
    res = mps_arena_commit_limit_set(arena, 0);
    expect(res != MPS_RES_OK, "a limit below current use is refused");
    expect(mps_arena_commit_limit(arena) == old,
           "a refused limit leaves the old one in place");
  }

  /* Recovery 2: raise the limit, and allocation carries on. */
  res = mps_arena_commit_limit_set(arena,
                                   mps_arena_commit_limit(arena) + 4 * HEADROOM);
  if (res != MPS_RES_OK)
    die("raising the commit limit", res);
  for (i = 0; i < 16 && n < MAX_BLOCKS; ++i) {
    res = mps_alloc(&block[n], pool, BLOCK_SIZE);
    if (res != MPS_RES_OK)
      die("mps_alloc after raising the limit", res);
    memset(block[n], (int)n, BLOCK_SIZE);
    ++n;
  }
  show(arena, "after raising it:");

  /* Every block still holds what we wrote. */
  for (i = 0; i < n; ++i) {
    const unsigned char *b = block[i];
    expect(b[0] == (unsigned char)i && b[BLOCK_SIZE - 1] == (unsigned char)i,
           "block contents survive");
  }

  /* Remove the limit altogether. */
  res = mps_arena_commit_limit_set(arena, SIZE_MAX);
  if (res != MPS_RES_OK)
    die("removing the commit limit", res);

  for (i = 0; i < n; ++i)
    mps_free(pool, block[i], BLOCK_SIZE);
  mps_pool_destroy(pool);
  show(arena, "pool destroyed:");
  mps_arena_destroy(arena);
  printf("commit_limit: done\n");
  return EXIT_SUCCESS;
}
