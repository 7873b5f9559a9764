/* sac.c -- a segregated allocation cache in front of an MVFF pool, used
 * through the functions and through the inline macros.
 *
 * Build:  cc -Icode example/sac.c build/cool/libmps.a -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "sac: %s failed (result code %d)\n", what, (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "sac: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}

/* A small deterministic random number generator, so that every run
 * does the same thing. */
static unsigned long rnd_state = 12345;
static unsigned long rnd(void)
{
  rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
  return rnd_state >> 33;
}

enum { SLOTS = 1000, STEPS = 200000 };

int main(void)
{
  /* Three size classes, smallest first.  Each block size is a multiple
   * of the pool's alignment (16 bytes here).  The counts say how many
   * free blocks of each class the cache may hold on to; the frequencies
   * say how often we expect each class to be used, relative to the
   * others. */
  mps_sac_class_s classes[] = {
    { 32, 64, 8 },      /* block size, cached count, frequency */
    { 128, 32, 4 },
    { 512, 8, 1 },
  };
  mps_arena_t arena;
  mps_pool_t pool;
  mps_sac_t sac;
  mps_res_t res;
  mps_addr_t slot[SLOTS];
  size_t size[SLOTS];
  size_t i, step, live = 0, fast = 0;

  res = mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_arena_create_k", res);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, (mps_align_t)16);
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("mps_pool_create_k", res);

  res = mps_sac_create(&sac, pool, sizeof classes / sizeof classes[0],
                       classes);
  if (res != MPS_RES_OK)
    die("mps_sac_create", res);

  for (i = 0; i < SLOTS; ++i)
    slot[i] = NULL;

  /* Random churn: pick a slot; if it is empty allocate a block of a
   * random size into it, otherwise check and free the block.  Sizes run
   * from 1 byte to 600, so some fall between classes and some are larger
   * than the largest class (those go straight to the pool). */
  for (step = 0; step < STEPS; ++step) {
    i = rnd() % SLOTS;
    if (slot[i] == NULL) {
      size[i] = 1 + rnd() % 600;
      if (step % 2 == 0) {
        res = mps_sac_alloc(&slot[i], sac, size[i], 0);
      } else {
        /* The macro form: inline when the cache has a block of the right
         * class, a call into the library when it does not. */
        MPS_SAC_ALLOC_FAST(res, slot[i], sac, size[i], 0);
        ++fast;
      }
      if (res != MPS_RES_OK)
        die("cache allocation", res);
      memset(slot[i], (int)(i & 0xFF), size[i]);
      ++live;
    } else {
      const unsigned char *b = slot[i];
      expect(b[0] == (i & 0xFF) && b[size[i] - 1] == (i & 0xFF),
             "block contents survive");
      /* Free with the size that was asked for; the cache works out
       * which class the block belongs to. */
      if (step % 3 == 0)
        mps_sac_free(sac, slot[i], size[i]);
      else
        MPS_SAC_FREE_FAST(sac, slot[i], size[i]);
      slot[i] = NULL;
      --live;
    }
  }
  printf("sac: %d steps (%zu allocations by macro), %zu blocks still live\n",
         STEPS, fast, live);

  /* Free what is left, then hand the cached free blocks back to the
   * pool.  After the flush the pool sees every block as free. */
  for (i = 0; i < SLOTS; ++i)
    if (slot[i] != NULL)
      mps_sac_free(sac, slot[i], size[i]);
  printf("sac: before flush: pool total %zu, free %zu\n",
         mps_pool_total_size(pool), mps_pool_free_size(pool));
  mps_sac_flush(sac);
  printf("sac: after flush:  pool total %zu, free %zu\n",
         mps_pool_total_size(pool), mps_pool_free_size(pool));
  expect(mps_pool_free_size(pool) == mps_pool_total_size(pool),
         "a flushed cache holds nothing back from the pool");

  /* The cache can be used again after a flush. */
  res = mps_sac_alloc(&slot[0], sac, 100, 0);
  if (res != MPS_RES_OK)
    die("mps_sac_alloc after flush", res);
  mps_sac_free(sac, slot[0], 100);

  mps_sac_destroy(sac);   /* also flushes */
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);
  printf("sac: done\n");
  return EXIT_SUCCESS;
}
