/* test/build/client.c -- a small client of the public interface, built by
 * the build checks (single-TU build, installed static and shared library).
 *
 * It creates a VM arena and an MVFF pool, allocates blocks of many sizes
 * with mps_alloc and through an allocation point, checks that they are
 * aligned, disjoint and keep their contents, frees them, and destroys
 * everything.  Exits 0 and prints "client: ok" on success.
 *
 * With -DCLIENT_DEFINES_INTERNAL_NAMES it also defines external functions
 * whose names Lagoon uses internally: linking it against libmps.a or
 * libmps.so proves those names do not leak out of the library. */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"
#include "mpstd.h"   /* MPS_PF_ALIGN: the default alignment of MVFF */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) \
  do { \
    fprintf(stderr, "client: %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); \
    fputc('\n', stderr); \
    exit(1); \
  } while (0)

#define CHECK_RES(expr) \
  do { \
    mps_res_t res_ = (expr); \
    if (res_ != MPS_RES_OK) \
      FAIL("%s returned %d", #expr, (int)res_); \
  } while (0)

#define CHECK(cond) \
  do { \
    if (!(cond)) \
      FAIL("check failed: %s", #cond); \
  } while (0)

#ifdef CLIENT_DEFINES_INTERNAL_NAMES
/* The client's own functions, named like Lagoon's internals. */
int ring_init(int x);
int check_fail(int x);
int arena_create(int x);
int ring_init(int x) { return x + 1; }
int check_fail(int x) { return x + 2; }
int arena_create(int x) { return x + 3; }
static int own_names(void) { return ring_init(0) + check_fail(0) + arena_create(0); }
#else
static int own_names(void) { return 6; }
#endif

enum { NBLOCKS = 2000, NAP = 500 };

static size_t block_size(unsigned i)
{
  /* 1 byte to about 8 KiB, skewed towards small */
  unsigned r = (i * 2654435761u) >> 7;
  return (r % 8 == 0) ? 1 + r % 8192 : 1 + r % 200;
}

static void fill(void *p, size_t size, unsigned i)
{
  memset(p, (int)(i & 0xff), size);
}

static void verify(const void *p, size_t size, unsigned i)
{
  const unsigned char *b = p;
  for (size_t k = 0; k < size; ++k)
    if (b[k] != (unsigned char)(i & 0xff))
      FAIL("block %u overwritten at offset %zu", i, k);
}

int main(void)
{
  static void *block[NBLOCKS];
  static size_t size[NBLOCKS];
  mps_arena_t arena;
  mps_pool_t pool;
  mps_ap_t ap;
  size_t live = 0;

  CHECK(own_names() == 6);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)32 << 20);
    CHECK_RES(mps_arena_create_k(&arena, mps_arena_class_vm(), args));
  } MPS_ARGS_END(args);
  CHECK_RES(mps_pool_create_k(&pool, arena, mps_class_mvff(), mps_args_none));

  for (unsigned i = 0; i < NBLOCKS; ++i) {
    mps_addr_t p;
    size[i] = block_size(i);
    CHECK_RES(mps_alloc(&p, pool, size[i]));
    CHECK(p != NULL);
    CHECK((uintptr_t)p % MPS_PF_ALIGN == 0);
    fill(p, size[i], i);
    block[i] = p;
    live += size[i];
  }
  for (unsigned i = 0; i < NBLOCKS; ++i)
    verify(block[i], size[i], i);
  CHECK(mps_pool_total_size(pool) - mps_pool_free_size(pool) >= live);
  CHECK(mps_arena_committed(arena) >= live);

  /* Free every other block, reuse the space, check nothing moved or was
   * overwritten. */
  for (unsigned i = 0; i < NBLOCKS; i += 2) {
    mps_free(pool, block[i], size[i]);
    live -= size[i];
  }
  for (unsigned i = 1; i < NBLOCKS; i += 2)
    verify(block[i], size[i], i);
  for (unsigned i = 0; i < NBLOCKS; i += 2) {
    mps_addr_t p;
    CHECK_RES(mps_alloc(&p, pool, size[i]));
    fill(p, size[i], i);
    block[i] = p;
    live += size[i];
  }
  for (unsigned i = 0; i < NBLOCKS; ++i)
    verify(block[i], size[i], i);

  /* An allocation point on the same pool. */
  CHECK_RES(mps_ap_create_k(&ap, pool, mps_args_none));
  {
    static void *obj[NAP];
    for (unsigned i = 0; i < NAP; ++i) {
      size_t sz = 16 * (1 + i % 8);
      mps_addr_t p;
      do {
        CHECK_RES(mps_reserve(&p, ap, sz));
        fill(p, sz, i + 7);
      } while (!mps_commit(ap, p, sz));
      CHECK((uintptr_t)p % MPS_PF_ALIGN == 0);
      obj[i] = p;
    }
    for (unsigned i = 0; i < NAP; ++i)
      verify(obj[i], 16 * (1 + i % 8), i + 7);
    for (unsigned i = 0; i < NBLOCKS; ++i)
      verify(block[i], size[i], i);
  }
  mps_ap_destroy(ap);

  for (unsigned i = 0; i < NBLOCKS; ++i)
    mps_free(pool, block[i], size[i]);
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);

  puts("client: ok");
  return 0;
}
