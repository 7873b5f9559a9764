/* test/iface/macros_test.c -- the inline client macros of mps.h against
 * the real library: the allocation point fast path (mps_reserve,
 * mps_commit, MPS_RESERVE_BLOCK and the function forms), the cache fast
 * path (MPS_SAC_ALLOC_FAST, MPS_SAC_FREE_FAST), the argument list macros
 * and the scanning fast path (MPS_SCAN_BEGIN, MPS_FIX1, MPS_FIX_CALL,
 * MPS_SCAN_END).  Public headers only.
 * Design: manual/design/interface.rst (.abi)
 *
 * Where a macro must not call the library, it is run on a structure the
 * test made itself: had it called in, the library would have found no
 * buffer or cache behind the pointer and stopped the program.
 *
 * Not tested: commit after a trap (nothing public traps an allocation
 * point yet), and MPS_FIX2 / MPS_FIX12, which call _mps_fix2, not defined
 * until the tracer exists (test/build/api_names.sh lists it). */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"
#include "fixture.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static mps_arena_t arena;
static mps_pool_t pool;

static void setup(void)
{
  arena = fixture_vm_arena((size_t)16 << 20);
  pool = fixture_mvff(arena, 8);
}

static void teardown(void)
{
  mps_pool_destroy(pool);
  mps_arena_destroy(arena);
}

static uintptr_t u(const void *p)
{
  return (uintptr_t)p;
}

/* Bytes handed out by the pool and not yet freed. */
static size_t pool_in_use(void)
{
  return mps_pool_total_size(pool) - mps_pool_free_size(pool);
}


/* -- Allocation points --------------------------------------------------- */

/* An allocation point the library never saw: the fast paths must serve
 * it without a call. */
static _Alignas(16) unsigned char plain_space[128];

START_TEST(reserve_commit_fast_path_makes_no_call)
{
  mps_ap_s plain = {plain_space, plain_space, plain_space + 64};
  mps_addr_t p = NULL;

  ck_assert_int_eq(mps_reserve(&p, &plain, 16), MPS_RES_OK);
  ck_assert_ptr_eq(p, plain_space);
  ck_assert_ptr_eq(plain.init, plain_space);
  ck_assert_ptr_eq(plain.alloc, plain_space + 16);
  ck_assert_ptr_eq(plain.limit, plain_space + 64);
  ck_assert(mps_commit(&plain, p, 16));
  ck_assert_ptr_eq(plain.init, plain_space + 16);
  ck_assert_ptr_eq(plain.alloc, plain_space + 16);

  /* Up to the limit exactly. */
  ck_assert_int_eq(mps_reserve(&p, &plain, 48), MPS_RES_OK);
  ck_assert_ptr_eq(p, plain_space + 16);
  ck_assert_ptr_eq(plain.alloc, plain_space + 64);
  ck_assert(mps_commit(&plain, p, 48));
  ck_assert_ptr_eq(plain.init, plain_space + 64);
  ck_assert_ptr_eq(plain.limit, plain_space + 64);
}
END_TEST

START_TEST(block_and_function_forms_fast_path)
{
  mps_ap_s plain = {plain_space, plain_space, plain_space + 128};
  mps_addr_t p = NULL;
  mps_res_t res = MPS_RES_FAIL;

  MPS_RESERVE_BLOCK(res, p, &plain, 32);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_ptr_eq(p, plain_space);
  ck_assert_ptr_eq(plain.alloc, plain_space + 32);
  ck_assert(mps_commit(&plain, p, 32));

  /* The function forms, behind parentheses, run the same fast path. */
  ck_assert_int_eq((mps_reserve)(&p, &plain, 64), MPS_RES_OK);
  ck_assert_ptr_eq(p, plain_space + 32);
  ck_assert_ptr_eq(plain.init, plain_space + 32);
  ck_assert_ptr_eq(plain.alloc, plain_space + 96);
  ck_assert((mps_commit)(&plain, p, 64));
  ck_assert_ptr_eq(plain.init, plain_space + 96);
  ck_assert_ptr_eq(plain.limit, plain_space + 128);
}
END_TEST

/* A fresh allocation point has no buffer: the first reserve fills. */
START_TEST(reserve_fills_then_bumps)
{
  mps_ap_t ap;
  mps_addr_t p, q;
  uintptr_t limit;

  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  ck_assert_ptr_null(ap->limit);
  ck_assert_int_eq(mps_reserve(&p, ap, 64), MPS_RES_OK);
  ck_assert_ptr_nonnull(ap->limit);
  ck_assert_ptr_eq(ap->init, p);
  ck_assert_uint_eq(u(ap->alloc), u(p) + 64);
  ck_assert_uint_ge(u(ap->limit), u(ap->alloc));
  memset(p, 0xAB, 64);
  ck_assert(mps_commit(ap, p, 64));
  ck_assert_ptr_eq(ap->init, ap->alloc);

  /* While the buffer has room, each reserve is the bump of alloc from
   * the previous commit, and limit stays where it was. */
  limit = u(ap->limit);
  for (int i = 0; i < 100 && u(ap->alloc) + 32 <= limit; ++i) {
    mps_addr_t before = ap->alloc;
    ck_assert_int_eq(mps_reserve(&q, ap, 32), MPS_RES_OK);
    ck_assert_ptr_eq(q, before);
    ck_assert_uint_eq(u(ap->alloc), u(before) + 32);
    ck_assert_uint_eq(u(ap->limit), limit);
    ck_assert(mps_commit(ap, q, 32));
    ck_assert_ptr_eq(ap->init, ap->alloc);
  }
  ck_assert_uint_eq(((unsigned char *)p)[63], 0xAB);
  mps_ap_destroy(ap);
}
END_TEST

START_TEST(reserve_larger_than_buffer_fills)
{
  mps_ap_t ap;
  mps_addr_t p, big;
  uintptr_t old_alloc, old_limit;
  size_t size, big_size, sizes[2];
  mps_addr_t blocks[2];

  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_reserve(&p, ap, 16), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 16));
  old_alloc = u(ap->alloc);
  old_limit = u(ap->limit);

  /* More than the room left: through mps_ap_fill, into a new buffer. */
  size = big_size = (size_t)(old_limit - old_alloc) + 4096;
  ck_assert_int_eq(mps_reserve(&big, ap, size), MPS_RES_OK);
  ck_assert(u(big) + size <= old_alloc || u(big) >= old_limit);
  ck_assert_ptr_eq(ap->init, big);
  ck_assert_uint_eq(u(ap->alloc), u(big) + size);
  ck_assert_uint_ge(u(ap->limit), u(ap->alloc));
  memset(big, 0x5A, size);
  ck_assert(mps_commit(ap, big, size));
  ck_assert_ptr_eq(ap->init, ap->alloc);

  /* The same through the block form and the function form. */
  {
    mps_res_t res = MPS_RES_FAIL;
    mps_addr_t b = NULL;
    size = (size_t)(u(ap->limit) - u(ap->alloc)) + 8192;
    MPS_RESERVE_BLOCK(res, b, ap, size);
    ck_assert_int_eq(res, MPS_RES_OK);
    ck_assert_ptr_eq(ap->init, b);
    ck_assert_uint_eq(u(ap->alloc), u(b) + size);
    ck_assert((mps_commit)(ap, b, size));
    blocks[0] = b, sizes[0] = size;
    size = (size_t)(u(ap->limit) - u(ap->alloc)) + 8192;
    ck_assert_int_eq((mps_reserve)(&b, ap, size), MPS_RES_OK);
    ck_assert_ptr_eq(ap->init, b);
    ck_assert_uint_eq(u(ap->alloc), u(b) + size);
    ck_assert((mps_commit)(ap, b, size));
    blocks[1] = b, sizes[1] = size;
  }
  /* The unused rest of the buffer goes back with the allocation point;
   * the committed blocks stay allocated until freed. */
  mps_ap_destroy(ap);
  ck_assert_uint_eq(pool_in_use(), 16 + big_size + sizes[0] + sizes[1]);
  mps_free(pool, p, 16);
  mps_free(pool, big, big_size);
  mps_free(pool, blocks[0], sizes[0]);
  mps_free(pool, blocks[1], sizes[1]);
  ck_assert_uint_eq(pool_in_use(), 0);
}
END_TEST

/* Zero and a size that wraps the address space fail the fast-path test
 * and are refused by mps_ap_fill; the output is left alone. */
START_TEST(reserve_refusals_leave_output)
{
  mps_ap_t ap;
  mps_addr_t p, sentinel = (mps_addr_t)&p;
  mps_addr_t alloc;
  mps_res_t res;

  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_reserve(&p, ap, 8), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 8));
  alloc = ap->alloc;

  p = sentinel;
  ck_assert_int_eq(mps_reserve(&p, ap, 0), MPS_RES_PARAM);
  ck_assert_ptr_eq(p, sentinel);
  ck_assert_int_eq((mps_reserve)(&p, ap, 0), MPS_RES_PARAM);
  ck_assert_ptr_eq(p, sentinel);
  MPS_RESERVE_BLOCK(res, p, ap, 0);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  ck_assert_ptr_eq(p, sentinel);
  ck_assert_ptr_eq(ap->alloc, alloc);

  /* alloc + size wraps: the fast path must not take it. */
  res = mps_reserve(&p, ap, ~(size_t)0 - 7);
  ck_assert_int_ne(res, MPS_RES_OK);
  ck_assert_ptr_eq(p, sentinel);

  /* The allocation point still works. */
  ck_assert_int_eq(mps_reserve(&p, ap, 8), MPS_RES_OK);
  ck_assert(mps_commit(ap, p, 8));
  mps_ap_destroy(ap);
}
END_TEST


/* -- Allocation caches --------------------------------------------------- */

/* A cache the library never saw: the fast paths pop and push it. */
START_TEST(sac_fast_path_makes_no_call)
{
  static _Alignas(16) mps_addr_t blocks[3][4];
  _mps_sac_s plain;
  mps_addr_t p = NULL;
  mps_res_t res = MPS_RES_FAIL;

  memset(&plain, 0, sizeof plain);
  plain._middle = 2;
  plain._freelists[0]._size = 16;
  plain._freelists[0]._count_max = 4;
  plain._freelists[1]._size = 32;
  plain._freelists[1]._count_max = 4;
  /* Class 1 holds blocks[0] on top of blocks[1]. */
  blocks[1][0] = NULL;
  blocks[0][0] = blocks[1];
  plain._freelists[1]._blocks = blocks[0];
  plain._freelists[1]._count = 2;

  MPS_SAC_ALLOC_FAST(res, p, &plain, 17, 0);   /* first class that fits: 1 */
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_ptr_eq(p, blocks[0]);
  ck_assert_uint_eq(plain._freelists[1]._count, 1);
  ck_assert_ptr_eq(plain._freelists[1]._blocks, blocks[1]);

  MPS_SAC_ALLOC_FAST(res, p, &plain, 32, 0);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_ptr_eq(p, blocks[1]);
  ck_assert_uint_eq(plain._freelists[1]._count, 0);

  /* Frees push onto the class's stack, linked through the first word. */
  MPS_SAC_FREE_FAST(&plain, blocks[2], 8);      /* class 0 */
  ck_assert_uint_eq(plain._freelists[0]._count, 1);
  ck_assert_ptr_eq(plain._freelists[0]._blocks, blocks[2]);
  ck_assert_ptr_null(blocks[2][0]);
  MPS_SAC_FREE_FAST(&plain, blocks[1], 32);     /* class 1 */
  MPS_SAC_FREE_FAST(&plain, blocks[0], 20);
  ck_assert_uint_eq(plain._freelists[1]._count, 2);
  ck_assert_ptr_eq(plain._freelists[1]._blocks, blocks[0]);
  ck_assert_ptr_eq(blocks[0][0], blocks[1]);
  ck_assert_uint_eq(plain._freelists[0]._count, 1);
}
END_TEST

static mps_sac_class_s classes[3] = {{16, 8, 1}, {64, 8, 1}, {256, 4, 1}};

static mps_sac_t make_sac(void)
{
  mps_sac_t sac;
  ck_assert_int_eq(mps_sac_create(&sac, pool, 3, classes), MPS_RES_OK);
  ck_assert_uint_eq(sac->_middle, 3);
  for (size_t i = 0; i < 3; ++i) {
    ck_assert_uint_ge(sac->_freelists[i]._size, classes[i].mps_block_size);
    if (i > 0)
      ck_assert_uint_gt(sac->_freelists[i]._size, sac->_freelists[i - 1]._size);
  }
  return sac;
}

static size_t class_of(mps_sac_t sac, size_t size)
{
  size_t i = 0;
  while (i < sac->_middle && size > sac->_freelists[i]._size)
    ++i;
  return i;
}

START_TEST(sac_round_trip_same_class)
{
  mps_sac_t sac = make_sac();
  mps_addr_t p, q;
  mps_res_t res;
  size_t c = class_of(sac, 40);
  size_t count;

  ck_assert_uint_eq(c, 1);
  /* The first request finds the stack empty and fills it. */
  ck_assert_uint_eq(sac->_freelists[c]._count, 0);
  MPS_SAC_ALLOC_FAST(res, p, sac, 40, 0);
  ck_assert_int_eq(res, MPS_RES_OK);
  memset(p, 0x11, 40);
  count = sac->_freelists[c]._count;
  ck_assert_uint_le(count, sac->_freelists[c]._count_max);

  /* A freed block goes on top of its class and is the next one served. */
  MPS_SAC_FREE_FAST(sac, p, 40);
  ck_assert_uint_eq(sac->_freelists[c]._count, count + 1);
  ck_assert_ptr_eq(sac->_freelists[c]._blocks, p);
  MPS_SAC_ALLOC_FAST(res, q, sac, 33, 0);   /* another size of the class */
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_ptr_eq(q, p);
  ck_assert_uint_eq(sac->_freelists[c]._count, count);

  /* The other classes were not touched. */
  ck_assert_uint_eq(sac->_freelists[0]._count, 0);
  ck_assert_uint_eq(sac->_freelists[2]._count, 0);

  /* The functions agree with the macros. */
  mps_sac_free(sac, q, 40);
  ck_assert_ptr_eq(sac->_freelists[c]._blocks, q);
  ck_assert_int_eq(mps_sac_alloc(&p, sac, 64, 0), MPS_RES_OK);
  ck_assert_ptr_eq(p, q);
  MPS_SAC_FREE_FAST(sac, p, 64);

  mps_sac_destroy(sac);
  ck_assert_uint_eq(pool_in_use(), 0);
}
END_TEST

START_TEST(sac_zero_size_refused)
{
  mps_sac_t sac = make_sac();
  mps_addr_t p, sentinel = (mps_addr_t)&p;
  mps_res_t res = MPS_RES_OK;

  /* Give class 0 a block, so that only the size keeps the fast path away. */
  MPS_SAC_ALLOC_FAST(res, p, sac, 8, 0);
  ck_assert_int_eq(res, MPS_RES_OK);
  MPS_SAC_FREE_FAST(sac, p, 8);
  ck_assert_uint_gt(sac->_freelists[0]._count, 0);

  p = sentinel;
  MPS_SAC_ALLOC_FAST(res, p, sac, 0, 0);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  ck_assert_ptr_eq(p, sentinel);
  ck_assert_int_eq(mps_sac_alloc(&p, sac, 0, 0), MPS_RES_PARAM);
  ck_assert_ptr_eq(p, sentinel);
  mps_sac_destroy(sac);
}
END_TEST

START_TEST(sac_large_sizes_go_to_pool)
{
  mps_sac_t sac = make_sac();
  size_t largest = sac->_freelists[sac->_middle - 1]._size;
  size_t size = largest + 1000;
  size_t counts[3];
  size_t in_use;
  mps_addr_t p;
  mps_pool_t owner = NULL;
  mps_res_t res;

  in_use = pool_in_use();
  for (size_t i = 0; i < 3; ++i)
    counts[i] = sac->_freelists[i]._count;
  ck_assert_uint_eq(class_of(sac, size), sac->_middle);

  MPS_SAC_ALLOC_FAST(res, p, sac, size, 0);
  ck_assert_int_eq(res, MPS_RES_OK);
  memset(p, 0x77, size);
  ck_assert(mps_addr_pool(&owner, arena, p));
  ck_assert_ptr_eq(owner, pool);
  ck_assert_uint_ge(pool_in_use(), in_use + size);
  for (size_t i = 0; i < 3; ++i)
    ck_assert_uint_eq(sac->_freelists[i]._count, counts[i]);

  /* Freed straight back to the pool, not cached. */
  MPS_SAC_FREE_FAST(sac, p, size);
  ck_assert_uint_eq(pool_in_use(), in_use);
  for (size_t i = 0; i < 3; ++i)
    ck_assert_uint_eq(sac->_freelists[i]._count, counts[i]);
  mps_sac_destroy(sac);
}
END_TEST

/* Filling past a class's capacity spills to the pool, and every block
 * comes back: the macros keep the count within _count_max. */
START_TEST(sac_counts_stay_bounded)
{
  enum { N = 64 };
  mps_sac_t sac = make_sac();
  mps_addr_t blocks[N];
  mps_res_t res;

  for (size_t i = 0; i < N; ++i) {
    MPS_SAC_ALLOC_FAST(res, blocks[i], sac, 16, 0);
    ck_assert_int_eq(res, MPS_RES_OK);
    for (size_t j = 0; j < i; ++j)
      ck_assert_ptr_ne(blocks[i], blocks[j]);
    ck_assert_uint_le(sac->_freelists[0]._count, sac->_freelists[0]._count_max);
  }
  for (size_t i = 0; i < N; ++i) {
    MPS_SAC_FREE_FAST(sac, blocks[i], 16);
    ck_assert_uint_le(sac->_freelists[0]._count, sac->_freelists[0]._count_max);
  }
  mps_sac_flush(sac);
  ck_assert_uint_eq(sac->_freelists[0]._count, 0);
  ck_assert_uint_eq(pool_in_use(), 0);
  mps_sac_destroy(sac);
}
END_TEST


/* -- Argument lists -------------------------------------------------------- */

START_TEST(args_macros_build_the_array)
{
  int checked = 0;
  MPS_ARGS_BEGIN(args) {
    ck_assert_uint_eq(args_i, 0);
    ck_assert_ptr_eq(args[0].key, MPS_KEY_ARGS_END);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)1 << 20);
    /* terminated after every addition, without MPS_ARGS_DONE */
    ck_assert_uint_eq(args_i, 1);
    ck_assert_ptr_eq(args[0].key, MPS_KEY_ARENA_SIZE);
    ck_assert_uint_eq(args[0].val.size, (size_t)1 << 20);
    ck_assert_ptr_eq(args[1].key, MPS_KEY_ARGS_END);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.25);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_FIRST_FIT, 1);
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, (mps_align_t)16);
    /* ADD_FIELD names the union member itself. */
    MPS_ARGS_ADD_FIELD(args, MPS_KEY_COMMIT_LIMIT, size, (size_t)1 << 24);
    MPS_ARGS_ADD_FIELD(args, MPS_KEY_FMT_HEADER_SIZE, size, (size_t)8);
    MPS_ARGS_DONE(args);
    MPS_ARGS_DONE(args);   /* harmless twice */
    ck_assert_uint_eq(args_i, 6);
    ck_assert_ptr_eq(args[1].key, MPS_KEY_SPARE);
    ck_assert(args[1].val.d == 0.25);
    ck_assert_ptr_eq(args[2].key, MPS_KEY_MVFF_FIRST_FIT);
    ck_assert_int_eq(args[2].val.b, 1);
    ck_assert_ptr_eq(args[3].key, MPS_KEY_ALIGN);
    ck_assert_uint_eq(args[3].val.align, 16);
    ck_assert_ptr_eq(args[4].key, MPS_KEY_COMMIT_LIMIT);
    ck_assert_uint_eq(args[4].val.size, (size_t)1 << 24);
    ck_assert_ptr_eq(args[5].key, MPS_KEY_FMT_HEADER_SIZE);
    ck_assert_uint_eq(args[5].val.size, 8);
    ck_assert_ptr_eq(args[6].key, MPS_KEY_ARGS_END);
    checked = 1;
  } MPS_ARGS_END(args);
  ck_assert_int_eq(checked, 1);
  ck_assert_ptr_eq(mps_args_none[0].key, MPS_KEY_ARGS_END);
}
END_TEST

/* The array built by the macros is what the library reads. */
START_TEST(args_macros_reach_the_library)
{
  mps_arena_t a;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)8 << 20);
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, (size_t)64 << 20);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.5);
    res = mps_arena_create_k(&a, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_uint_eq(mps_arena_commit_limit(a), (size_t)64 << 20);
  ck_assert(mps_arena_spare(a) == 0.5);
  ck_assert_uint_ge(mps_arena_reserved(a), (size_t)8 << 20);
  mps_arena_destroy(a);

  /* A key twice is refused by the library, not by the macros. */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)8 << 20);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)8 << 20);
    ck_assert_uint_eq(args_i, 2);
    res = mps_arena_create_k(&a, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
}
END_TEST

START_TEST(args_full_list_fits)
{
  MPS_ARGS_BEGIN(args) {
    for (unsigned i = 0; i < MPS_ARGS_MAX - 1; ++i)
      MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)i);
    ck_assert_uint_eq(args_i, MPS_ARGS_MAX - 1);
    ck_assert_uint_eq(args[MPS_ARGS_MAX - 2].val.size, MPS_ARGS_MAX - 2);
    ck_assert_ptr_eq(args[MPS_ARGS_MAX - 1].key, MPS_KEY_ARGS_END);
  } MPS_ARGS_END(args);
}
END_TEST

/* One more than fits stops the program, in every variety. */
START_TEST(args_overflow_stops)
{
  /* volatile: the compiler must not see the overrun coming. */
  volatile unsigned n = MPS_ARGS_MAX;
  MPS_ARGS_BEGIN(args) {
    for (unsigned i = 0; i < n; ++i)
      MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)i);
  } MPS_ARGS_END(args);
}
END_TEST


/* -- Scanning --------------------------------------------------------------- */

#define ZS 16
#define ZONE_BITS (sizeof(mps_word_t) * CHAR_BIT)

/* A reference whose zone is z under the shift ZS, with some low bits. */
static mps_addr_t ref_in_zone(mps_word_t z, mps_word_t hi)
{
  return (mps_addr_t)(((hi * ZONE_BITS + z) << ZS) | 0x28);
}

static mps_word_t zone_bit(mps_word_t z)
{
  return (mps_word_t)1 << z;
}

START_TEST(fix1_tests_zones)
{
  mps_ss_s ss;
  const mps_word_t before = zone_bit(0);   /* summary already present */
  int in1, in2, out1, out2;

  ss._zs = ZS;
  ss._w = zone_bit(3) | zone_bit(ZONE_BITS - 1);
  ss._ufs = before;
  MPS_SCAN_BEGIN(&ss) {
    in1 = MPS_FIX1(&ss, ref_in_zone(3, 5));
    /* The zone is taken modulo the word width. */
    in2 = MPS_FIX1(&ss, ref_in_zone(ZONE_BITS - 1, 123));
    out1 = MPS_FIX1(&ss, ref_in_zone(4, 0));
    out2 = MPS_FIX1(&ss, ref_in_zone(17, 9));
    /* Nothing is written back before MPS_SCAN_END. */
    ck_assert_uint_eq(ss._ufs, before);
  } MPS_SCAN_END(&ss);
  ck_assert(in1);
  ck_assert(in2);
  ck_assert(!out1);
  ck_assert(!out2);
  ck_assert_uint_eq(ss._ufs, before | zone_bit(3) | zone_bit(ZONE_BITS - 1)
                               | zone_bit(4) | zone_bit(17));
  /* The zone shift and the white set are read, not written. */
  ck_assert_uint_eq(ss._zs, ZS);
  ck_assert_uint_eq(ss._w, zone_bit(3) | zone_bit(ZONE_BITS - 1));
}
END_TEST

START_TEST(fix1_null_and_empty_white_set)
{
  mps_ss_s ss = {0, 0, 0};
  int any = 0;

  /* With nothing white, no reference needs fixing, but every one is
   * summarised.  With a zone shift of 0 the zone is the low bits. */
  MPS_SCAN_BEGIN(&ss) {
    for (mps_word_t r = 0; r < 2 * ZONE_BITS; r += 3)
      any |= MPS_FIX1(&ss, (mps_addr_t)r);
  } MPS_SCAN_END(&ss);
  ck_assert(!any);
  {
    mps_word_t expect = 0;
    for (mps_word_t r = 0; r < 2 * ZONE_BITS; r += 3)
      expect |= zone_bit(r % ZONE_BITS);
    ck_assert_uint_eq(ss._ufs, expect);
  }

  /* NULL is in zone 0: white only if zone 0 is. */
  ss._zs = ZS;
  ss._w = zone_bit(0);
  ss._ufs = 0;
  MPS_SCAN_BEGIN(&ss) {
    any = MPS_FIX1(&ss, NULL);
  } MPS_SCAN_END(&ss);
  ck_assert(any);
  ck_assert_uint_eq(ss._ufs, zone_bit(0));
}
END_TEST

/* A nested scanner called through MPS_FIX_CALL sees the summary so far,
 * and what it changes is seen afterwards. */
static mps_word_t seen_ufs;

static mps_res_t nested_scan(mps_ss_t ss)
{
  seen_ufs = ss->_ufs;
  MPS_SCAN_BEGIN(ss) {
    (void)MPS_FIX1(ss, ref_in_zone(9, 1));
  } MPS_SCAN_END(ss);
  ss->_w = zone_bit(9);   /* as if the library changed the white set */
  return MPS_RES_OK;
}

START_TEST(fix_call_passes_summary)
{
  mps_ss_s ss;
  int before_call, after_call;

  ss._zs = ZS;
  ss._w = zone_bit(2);
  ss._ufs = 0;
  MPS_SCAN_BEGIN(&ss) {
    before_call = MPS_FIX1(&ss, ref_in_zone(2, 0));
    MPS_FIX_CALL(&ss, nested_scan(&ss));
    after_call = MPS_FIX1(&ss, ref_in_zone(9, 7));
  } MPS_SCAN_END(&ss);
  ck_assert(before_call);
  ck_assert_uint_eq(seen_ufs, zone_bit(2));
  ck_assert(after_call);
  ck_assert_uint_eq(ss._ufs, zone_bit(2) | zone_bit(9));
}
END_TEST


int main(void)
{
  Suite *s = suite_create("macros");
  TCase *tc_ap = tcase_create("ap");
  TCase *tc_sac = tcase_create("sac");
  TCase *tc_args = tcase_create("args");
  TCase *tc_scan = tcase_create("scan");
  SRunner *sr;
  int failed;

  tcase_add_test(tc_ap, reserve_commit_fast_path_makes_no_call);
  tcase_add_test(tc_ap, block_and_function_forms_fast_path);
  tcase_add_checked_fixture(tc_ap, setup, teardown);
  tcase_add_test(tc_ap, reserve_fills_then_bumps);
  tcase_add_test(tc_ap, reserve_larger_than_buffer_fills);
  tcase_add_test(tc_ap, reserve_refusals_leave_output);
  suite_add_tcase(s, tc_ap);

  tcase_add_checked_fixture(tc_sac, setup, teardown);
  tcase_add_test(tc_sac, sac_fast_path_makes_no_call);
  tcase_add_test(tc_sac, sac_round_trip_same_class);
  tcase_add_test(tc_sac, sac_zero_size_refused);
  tcase_add_test(tc_sac, sac_large_sizes_go_to_pool);
  tcase_add_test(tc_sac, sac_counts_stay_bounded);
  suite_add_tcase(s, tc_sac);

  tcase_add_test(tc_args, args_macros_build_the_array);
  tcase_add_test(tc_args, args_macros_reach_the_library);
  tcase_add_test(tc_args, args_full_list_fits);
  tcase_add_test_raise_signal(tc_args, args_overflow_stops, SIGABRT);
  suite_add_tcase(s, tc_args);

  tcase_add_test(tc_scan, fix1_tests_zones);
  tcase_add_test(tc_scan, fix1_null_and_empty_white_set);
  tcase_add_test(tc_scan, fix_call_passes_summary);
  suite_add_tcase(s, tc_scan);

  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
