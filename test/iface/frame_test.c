/* test/iface/frame_test.c -- allocation frames on SNC, and the minimal
 * object formats SNC needs; frames on pools without them.
 * Design: manual/design/snc.rst, manual/design/buffer.rst */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"
#include "mpscsnc.h"

#include <check.h>
#include <signal.h>
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
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)16 << 20);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
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

START_TEST(frames_unsupported_on_mvff)
{
  mps_pool_t mvff;
  mps_ap_t ap2;
  mps_frame_t f = NULL;
  ck_assert_int_eq(mps_pool_create_k(&mvff, arena, mps_class_mvff(), mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap2, mvff, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_frame_push(&f, ap2), MPS_RES_UNIMPL);
  ck_assert_ptr_null(f);
  ck_assert_int_eq(mps_ap_frame_pop(ap2, f), MPS_RES_UNIMPL);
  mps_ap_destroy(ap2);
  mps_pool_destroy(mvff);
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
  tcase_add_test(tc, frames_unsupported_on_mvff);
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
