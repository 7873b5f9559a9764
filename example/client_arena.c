/* client_arena.c -- a client arena: Lagoon manages memory that the
 * program provides, here a static block, extended later by a malloc'd
 * one.  No virtual memory calls are made for the managed memory.
 *
 * Build:  cc -Icode example/client_arena.c build/cool/libmps.a \
 *            -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsacl.h"
#include "mpscmvff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "client_arena: %s failed (result code %d)\n", what,
          (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "client_arena: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}

#define FIRST_SIZE  ((size_t)4 << 20)    /* 4 MiB, static */
#define SECOND_SIZE ((size_t)4 << 20)    /* 4 MiB, from malloc */
#define BLOCK_SIZE  ((size_t)32 << 10)   /* 32 KiB */
#define MAX_BLOCKS  1024                 /* more than 8 MiB worth */

/* The memory the arena will manage.  Any suitably sized block will do;
 * the arena aligns its own boundaries inside it. */
static char first_chunk[FIRST_SIZE];

static int inside(const void *p, const void *base, size_t size)
{
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
  return a >= b && a < b + size;
}

int main(void)
{
  mps_arena_t arena;
  mps_pool_t pool, found;
  mps_res_t res;
  mps_addr_t block[MAX_BLOCKS];
  void *second_chunk;
  size_t n, i, in_second = 0;

  /* A client arena needs two keyword arguments: where its memory starts
   * and how big it is. */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, (mps_addr_t)first_chunk);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, FIRST_SIZE);
    res = mps_arena_create_k(&arena, mps_arena_class_cl(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("mps_arena_create_k", res);
  printf("client_arena: managing %zu bytes at %p, %zu committed\n",
         mps_arena_reserved(arena), (void *)first_chunk,
         mps_arena_committed(arena));
  expect(mps_arena_reserved(arena) <= FIRST_SIZE,
         "the arena uses no more than it was given");

  res = mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_pool_create_k", res);

  /* Fill the arena.  A client arena cannot grow by itself, so sooner or
   * later an allocation fails. */
  for (n = 0; n < MAX_BLOCKS; ++n) {
    res = mps_alloc(&block[n], pool, BLOCK_SIZE);
    if (res != MPS_RES_OK)
      break;
    expect(inside(block[n], first_chunk, FIRST_SIZE),
           "blocks come from the client's memory");
    memset(block[n], 0xA5, BLOCK_SIZE);
  }
  expect(n < MAX_BLOCKS, "the first chunk filled up");
  expect(res == MPS_RES_MEMORY, "a full client arena says MPS_RES_MEMORY");
  printf("client_arena: %zu blocks of %zu bytes filled the first chunk\n",
         n, BLOCK_SIZE);

  /* Give the arena a second block of memory, and carry on. */
  second_chunk = malloc(SECOND_SIZE);
  if (second_chunk == NULL)
    die("malloc", MPS_RES_MEMORY);
  res = mps_arena_extend(arena, second_chunk, SECOND_SIZE);
  if (res != MPS_RES_OK)
    die("mps_arena_extend", res);
  expect(mps_arena_reserved(arena) <= FIRST_SIZE + SECOND_SIZE,
         "reserved memory counts both chunks, no more");
  for (i = 0; i < 16 && n < MAX_BLOCKS; ++i, ++n) {
    res = mps_alloc(&block[n], pool, BLOCK_SIZE);
    if (res != MPS_RES_OK)
      die("mps_alloc after mps_arena_extend", res);
    if (inside(block[n], second_chunk, SECOND_SIZE))
      ++in_second;
    memset(block[n], 0xA5, BLOCK_SIZE);
  }
  expect(in_second > 0, "new blocks come from the second chunk");
  printf("client_arena: after extending, %zu more blocks, %zu of them in "
         "the second chunk\n", i, in_second);

  /* The arena can say which of its pools an address belongs to. */
  expect(mps_arena_has_addr(arena, block[0]), "arena owns its blocks");
  expect(mps_addr_pool(&found, arena, block[0]) && found == pool,
         "mps_addr_pool finds the pool");
  {
    char local;
    expect(!mps_arena_has_addr(arena, &local),
           "the stack is not in the arena");
  }

  for (i = 0; i < n; ++i) {
    const unsigned char *b = block[i];
    expect(b[0] == 0xA5 && b[BLOCK_SIZE - 1] == 0xA5,
           "block contents survive");
    mps_free(pool, block[i], BLOCK_SIZE);
  }
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);

  /* The memory is the program's again once the arena is gone. */
  free(second_chunk);
  printf("client_arena: done\n");
  return EXIT_SUCCESS;
}
