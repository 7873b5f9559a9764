/* test/iface/frame_test.c -- allocation frames on SNC, the object formats
 * and ranks SNC accepts; frames on MVT and MVFF (accepted, ignored).
 * Design: manual/design/snc.rst, manual/design/mvt.rst,
 * manual/design/buffer.rst */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"
#include "mpscmvt.h"
#include "mpscsnc.h"
#include "fixture.h"

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A toy format: every object starts with a tag word and a size word. */
enum { TAG_OBJ = 0x0B1, TAG_PAD = 0xBAD };
typedef struct Obj {
  uintptr_t tag;
  uintptr_t size;
  uintptr_t payload[];
} Obj;

static size_t pad_bytes;
static unsigned pad_calls;

static void toy_pad(mps_addr_t addr, size_t size)
{
  Obj *o = addr;
  o->tag = TAG_PAD;
  o->size = size;
  pad_bytes += size;
  ++pad_calls;
}

static mps_addr_t toy_skip(mps_addr_t addr)
{
  return (char *)addr + ((Obj *)addr)->size;
}

static mps_res_t toy_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  (void)ss;
  (void)base;
  (void)limit;
  return MPS_RES_OK;
}

static mps_arena_t arena;
static mps_fmt_t fmt;
static mps_pool_t pool;
static mps_ap_t ap;

static void setup(void)
{
  mps_res_t res;
  arena = fixture_vm_arena((size_t)16 << 20);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)16);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, toy_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, toy_pad);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, toy_scan);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    res = mps_pool_create_k(&pool, arena, mps_class_snc(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, pool, mps_args_none), MPS_RES_OK);
  pad_bytes = 0;
  pad_calls = 0;
}

static void teardown(void)
{
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_fmt_destroy(fmt);
  mps_arena_destroy(arena);
}

static Obj *make(size_t size, uintptr_t fill)
{
  mps_addr_t p;
  Obj *o;
  do {
    ck_assert_int_eq(mps_reserve(&p, ap, size), MPS_RES_OK);
    o = p;
    o->tag = TAG_OBJ;
    o->size = size;
    for (size_t i = 0; i < (size - sizeof(Obj)) / sizeof(uintptr_t); ++i)
      o->payload[i] = fill;
  } while (!mps_commit(ap, p, size));
  return o;
}

static void check_obj(const Obj *o, size_t size, uintptr_t fill)
{
  ck_assert_uint_eq(o->tag, TAG_OBJ);
  ck_assert_uint_eq(o->size, size);
  for (size_t i = 0; i < (size - sizeof(Obj)) / sizeof(uintptr_t); ++i)
    ck_assert_uint_eq(o->payload[i], fill);
}

START_TEST(pop_frees_everything_since_push)
{
  mps_frame_t f0, f1;
  Obj *keep[50];
  size_t total_at_f1;
  Obj *next;

  ck_assert_int_eq(mps_ap_frame_push(&f0, ap), MPS_RES_OK);
  for (size_t i = 0; i < 50; ++i)
    keep[i] = make(64, i);
  total_at_f1 = mps_pool_total_size(pool);
  ck_assert_int_eq(mps_ap_frame_push(&f1, ap), MPS_RES_OK);
  for (size_t i = 0; i < 3000; ++i)      /* ~140 KiB: several segments */
    (void)make(48, 0xDEAD);
  ck_assert_uint_gt(mps_pool_total_size(pool), total_at_f1);
  ck_assert_uint_gt(pad_calls, 0);       /* segment tails were padded */
  ck_assert_int_eq(mps_ap_frame_pop(ap, f1), MPS_RES_OK);
  ck_assert_uint_eq(mps_pool_total_size(pool), total_at_f1);
  for (size_t i = 0; i < 50; ++i)
    check_obj(keep[i], 64, i);
  /* Allocation resumes where the frame was pushed. */
  next = make(64, 1);
  ck_assert_ptr_eq(next, (char *)keep[49] + 64);
  ck_assert_int_eq(mps_ap_frame_pop(ap, f0), MPS_RES_OK);
  ck_assert_uint_eq(mps_pool_total_size(pool), 0);
  ck_assert_uint_eq(mps_pool_free_size(pool), 0);
}
END_TEST

START_TEST(pop_outer_pops_inner)
{
  mps_frame_t f1, f2;
  Obj *a, *b;
  size_t total;

  a = make(32, 1);
  total = mps_pool_total_size(pool);
  ck_assert_int_eq(mps_ap_frame_push(&f1, ap), MPS_RES_OK);
  for (size_t i = 0; i < 1000; ++i)
    (void)make(128, 2);
  ck_assert_int_eq(mps_ap_frame_push(&f2, ap), MPS_RES_OK);
  for (size_t i = 0; i < 1000; ++i)
    (void)make(128, 3);
  ck_assert_int_eq(mps_ap_frame_pop(ap, f1), MPS_RES_OK);
  ck_assert_uint_eq(mps_pool_total_size(pool), total);
  check_obj(a, 32, 1);
  b = make(32, 4);
  ck_assert_ptr_eq(b, (char *)a + 32);
}
END_TEST

START_TEST(snc_refuses_alloc_and_keys)
{
  mps_addr_t p;
  mps_ap_t ap2;
  mps_res_t res;
  ck_assert_int_eq(mps_alloc(&p, pool, 64), MPS_RES_UNIMPL);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, (size_t)4096);
    res = mps_ap_create_k(&ap2, pool, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
}
END_TEST

/* MVT and MVFF support frames but do not use them: push and pop
 * succeed, and a pop frees nothing (blocks go only by mps_free). */
static void check_frames_ignored(mps_pool_class_t klass)
{
  mps_pool_t mp;
  mps_ap_t ap2;
  mps_frame_t f0 = NULL, f1 = NULL;
  mps_addr_t p[3], q;
  size_t total, free;
  ck_assert_int_eq(mps_pool_create_k(&mp, arena, klass, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap2, mp, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_frame_push(&f0, ap2), MPS_RES_OK);
  for (size_t i = 0; i < 3; ++i) {
    if (i == 1)
      ck_assert_int_eq(mps_ap_frame_push(&f1, ap2), MPS_RES_OK);
    do {
      ck_assert_int_eq(mps_reserve(&p[i], ap2, 256), MPS_RES_OK);
      memset(p[i], 0x40 + (int)i, 256);
    } while (!mps_commit(ap2, p[i], 256));
  }
  total = mps_pool_total_size(mp);
  free = mps_pool_free_size(mp);
  ck_assert_int_eq(mps_ap_frame_pop(ap2, f1), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_frame_pop(ap2, f0), MPS_RES_OK);
  ck_assert_uint_eq(mps_pool_total_size(mp), total);
  ck_assert_uint_eq(mps_pool_free_size(mp), free);
  /* The blocks are intact, and a new one does not overlap them. */
  do {
    ck_assert_int_eq(mps_reserve(&q, ap2, 256), MPS_RES_OK);
    memset(q, 0x7F, 256);
  } while (!mps_commit(ap2, q, 256));
  for (size_t i = 0; i < 3; ++i) {
    ck_assert((char *)q + 256 <= (char *)p[i] || (char *)p[i] + 256 <= (char *)q);
    for (size_t j = 0; j < 256; ++j)
      ck_assert_uint_eq(((unsigned char *)p[i])[j], 0x40 + i);
  }
  mps_free(mp, q, 256);
  for (size_t i = 0; i < 3; ++i)
    mps_free(mp, p[i], 256);
  mps_ap_destroy(ap2);
  ck_assert_uint_eq(mps_pool_free_size(mp), mps_pool_total_size(mp));
  mps_pool_destroy(mp);
}

START_TEST(frames_ignored_on_mvt)
{
  check_frames_ignored(mps_class_mvt());
}
END_TEST

START_TEST(frames_ignored_on_mvff)
{
  check_frames_ignored(mps_class_mvff());
}
END_TEST

/* The manual: an SNC pool's format must have scan, skip and pad methods
 * and no in-band headers. */
static mps_res_t snc_with_format(bool skip, bool pad, size_t header)
{
  mps_fmt_t f;
  mps_pool_t p;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, toy_scan);
    if (skip)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, toy_skip);
    if (pad)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, toy_pad);
    if (header > 0)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, header);
    res = mps_fmt_create_k(&f, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, f);
    res = mps_pool_create_k(&p, arena, mps_class_snc(), args);
  } MPS_ARGS_END(args);
  if (res == MPS_RES_OK)
    mps_pool_destroy(p);
  mps_fmt_destroy(f);         /* asserts (cool) if a pool still used it */
  return res;
}

START_TEST(snc_format_requirements)
{
  ck_assert_int_eq(snc_with_format(true, true, 0), MPS_RES_OK);
  ck_assert_int_eq(snc_with_format(false, true, 0), MPS_RES_PARAM);
  ck_assert_int_eq(snc_with_format(true, false, 0), MPS_RES_PARAM);
  ck_assert_int_eq(snc_with_format(false, false, 0), MPS_RES_PARAM);
  ck_assert_int_eq(snc_with_format(true, true, 8), MPS_RES_PARAM);
  ck_assert_int_eq(snc_with_format(true, true, 16), MPS_RES_PARAM);
}
END_TEST

/* mps_rank_*(): distinct ranks; SNC allocation points take exact (also
 * the default) and refuse the others. */
START_TEST(snc_exact_rank_ap)
{
  mps_ap_t ap2;
  mps_res_t res;
  mps_frame_t f;
  Obj *a, *b;
  ck_assert_uint_ne(mps_rank_exact(), mps_rank_ambig());
  ck_assert_uint_ne(mps_rank_exact(), mps_rank_weak());
  ck_assert_uint_ne(mps_rank_ambig(), mps_rank_weak());
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_ambig());
    res = mps_ap_create_k(&ap2, pool, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_weak());
    res = mps_ap_create_k(&ap2, pool, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  /* The deprecated varargs form takes the rank too. */
  ck_assert_int_eq(mps_ap_create(&ap2, pool, mps_rank_weak()), MPS_RES_PARAM);
  ck_assert_int_eq(mps_ap_create(&ap2, pool, mps_rank_exact()), MPS_RES_OK);
  mps_ap_destroy(ap2);
  /* Swap the fixture's allocation point for an explicitly exact one and
   * use it: frames work as on the default one. */
  mps_ap_destroy(ap);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_exact());
    res = mps_ap_create_k(&ap, pool, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  a = make(48, 7);
  ck_assert_int_eq(mps_ap_frame_push(&f, ap), MPS_RES_OK);
  b = make(64, 8);
  ck_assert_ptr_eq(b, (char *)a + 48);
  ck_assert_int_eq(mps_ap_frame_pop(ap, f), MPS_RES_OK);
  check_obj(a, 48, 7);
  b = make(32, 9);
  ck_assert_ptr_eq(b, (char *)a + 48);
}
END_TEST

START_TEST(format_keys)
{
  mps_fmt_t f;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)24);
    res = mps_fmt_create_k(&f, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, (size_t)24);
    res = mps_fmt_create_k(&f, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, (size_t)8);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, toy_pad);
    res = mps_fmt_create_k(&f, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  mps_fmt_destroy(f);
}
END_TEST

#ifdef CONFIG_VAR_COOL
START_TEST(destroy_format_in_use)
{
  mps_fmt_destroy(fmt);
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("iface/frame");
  TCase *tc = tcase_create("frame");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, pop_frees_everything_since_push);
  tcase_add_test(tc, pop_outer_pops_inner);
  tcase_add_test(tc, snc_refuses_alloc_and_keys);
  tcase_add_test(tc, frames_ignored_on_mvt);
  tcase_add_test(tc, frames_ignored_on_mvff);
  tcase_add_test(tc, snc_format_requirements);
  tcase_add_test(tc, snc_exact_rank_ap);
  tcase_add_test(tc, format_keys);
#ifdef CONFIG_VAR_COOL
  tcase_add_test_raise_signal(tc, destroy_format_in_use, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
